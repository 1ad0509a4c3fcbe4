/**
 * End to end with the real Pulumi engine: the quickstart (an external key manager at cluster scope) on both
 * release behaviours, each a real project run through the CLI and the Node.js language host. ONTAP 9.6 runs the
 * repository's root project (Pulumi.yaml + index.ts, the provider host started at the repository root, where
 * only the self-link makes `pulumi-ontap-keymanager` resolvable); a later release runs examples/quickstart from
 * its own directory.
 */
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { type EngineStack, ontapConfig, openStack } from "../support/automation";
import { OntapAdmin } from "../support/ontapAdmin";
import { type Simulator, startSimulator } from "../../simulator";
import {
  E2E_TEST_TIMEOUT_MS,
  ENGINE_SETUP_TIMEOUT_MS,
  REPO_ROOT,
  ciphertexts,
  exampleDir,
  expectNoPlaintextSecrets,
  prepareEngine,
  projectNameOf,
  writes,
} from "./helpers";

interface Case {
  release: string;
  via: string;
  projectDir: string;
}

const cases: Case[] = [
  { release: "9.6", via: "the root Pulumi project", projectDir: REPO_ROOT },
  { release: "9.13", via: "examples/quickstart", projectDir: exampleDir("quickstart") },
];

/** The quickstart's config for the cluster scope or one SVM, with that scope's seeded certificates. */
function quickstartConfig(project: string, svm?: string): ConfigMap {
  const prefix = svm ?? "cluster";
  return {
    [`${project}:clientCertificate`]: { value: `${prefix}-client` },
    [`${project}:serverCaCertificates`]: { value: JSON.stringify([`${prefix}-ca-2`, `${prefix}-ca-1`]) },
    [`${project}:servers`]: {
      value: JSON.stringify(["10.0.0.1", { server: "kmip.example.com:5697", timeout: 30 }]),
    },
    ...(svm === undefined ? {} : { [`${project}:svm`]: { value: svm } }),
  };
}

describe.each(cases)("quickstart on ONTAP $release, via $via", ({ release, projectDir }) => {
  const project = projectNameOf(projectDir);
  let sim: Simulator;
  let admin: OntapAdmin;
  let stack: EngineStack;

  beforeAll(async () => {
    await prepareEngine();
    sim = await startSimulator({ ontapVersion: release, jobDelayMs: 20 });
    admin = new OntapAdmin(sim);
    stack = await openStack({
      projectDir,
      config: { ...ontapConfig(sim), ...quickstartConfig(project) },
    });
  }, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
    await admin?.close();
    await sim?.close();
  });

  test(
    "up creates the cluster's external key manager; a second preview shows no changes",
    async () => {
      const up = await stack.up();
      expect(up.changes).toEqual({ "key-manager": ["create"] });

      const [km, ...others] = await admin.keyManagers();
      expect(others).toEqual([]);
      expect(km?.scope).toBe("cluster");
      expect(km?.external?.client_certificate?.uuid).toBe(await admin.certificateUuid("cluster-client"));
      expect(km?.external?.server_ca_certificates?.map((c) => c.uuid).sort()).toEqual(
        [await admin.certificateUuid("cluster-ca-1"), await admin.certificateUuid("cluster-ca-2")].sort(),
      );
      expect(km?.external?.servers).toEqual([
        expect.objectContaining({ server: "10.0.0.1:5696", timeout: 25 }),
        expect.objectContaining({ server: "kmip.example.com:5697", timeout: 30 }),
      ]);
      expect(await stack.outputs()).toEqual({
        keyManagerUuid: km?.uuid,
        scope: "cluster",
        keyServers: ["10.0.0.1:5696", "kmip.example.com:5697"],
      });

      const preview = await stack.preview();
      expect(preview.changes).toEqual({});
      expect(Object.keys(preview.changeSummary ?? {})).toEqual(["same"]);
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "a key server added out of band: preview --refresh reports the key manager; up --refresh removes the server",
    async () => {
      const km = await admin.keyManager();
      await admin.addKeyServer(km.uuid, "10.66.66.66");

      const preview = await stack.preview({ refresh: true });
      expect(preview.changes).toEqual({ "key-manager": ["update"] });
      expect(preview.output).toContain("~external");

      sim.clearRequestLog();
      const up = await stack.up({ refresh: true });
      expect(up.changes).toEqual({ "key-manager": ["update"] });
      expect(writes(sim)).toEqual([
        `DELETE /api/security/key-managers/${km.uuid}/key-servers/${encodeURIComponent("10.66.66.66:5696")}`,
      ]);
      expect((await admin.keyManager()).external?.servers?.map((s) => s.server)).toEqual([
        "10.0.0.1:5696",
        "kmip.example.com:5697",
      ]);
      expect((await stack.preview({ refresh: true })).changes).toEqual({});
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "moving the key manager to an SVM replaces it: the old one is deleted before the new one is created",
    async () => {
      const old = await admin.keyManager();
      await stack.setConfig(quickstartConfig(project, "vs1"));
      sim.clearRequestLog();

      const up = await stack.up();
      expect(up.changes).toEqual({ "key-manager": ["delete-replaced", "replace", "create-replacement"] });
      const log = writes(sim);
      const deleted = log.indexOf(`DELETE /api/security/key-managers/${old.uuid}`);
      const created = log.indexOf("POST /api/security/key-managers");
      expect(deleted).toBeGreaterThanOrEqual(0);
      expect(created).toBeGreaterThan(deleted);

      const [km, ...others] = await admin.keyManagers();
      expect(others).toEqual([]);
      expect(km?.svm?.name).toBe("vs1");
      expect(km?.uuid).not.toBe(old.uuid);
      expect(km?.external?.client_certificate?.uuid).toBe(await admin.certificateUuid("vs1-client", "vs1"));
      expect((await stack.preview()).changes).toEqual({});
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "the exported state does not hold the ONTAP password; destroy leaves no key manager",
    async () => {
      const stored = await stack.storedText();
      expectNoPlaintextSecrets(stored, { "ONTAP password": sim.password });
      // The stack config reaches the state as the dynamic provider's inputs: the password is there, encrypted.
      expect(ciphertexts(stored)).toBeGreaterThan(0);

      const destroy = await stack.destroy();
      expect(destroy.changes).toEqual({ "key-manager": ["delete"] });
      expect(sim.keyManagers()).toEqual([]);
    },
    E2E_TEST_TIMEOUT_MS,
  );
});
