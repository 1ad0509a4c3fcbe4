/**
 * End to end with the real Pulumi engine: examples/external-svm, an SVM's external key manager that lists one
 * server (`serverManagement: "listed"`) plus two `KeyServer` resources, on both release behaviours, with a KMIP
 * username and password (the 9.6 PATCH reference documents them already). Out-of-band changes made through ONTAP's API are found
 * by `preview --refresh`, which must name exactly the resources concerned, and healed by `up --refresh`.
 */
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { type EngineStack, ontapConfig, openStack } from "../support/automation";
import { OntapAdmin } from "../support/ontapAdmin";
import { type Simulator, startSimulator } from "../../simulator";
import {
  E2E_TEST_TIMEOUT_MS,
  ENGINE_SETUP_TIMEOUT_MS,
  ciphertexts,
  exampleDir,
  expectNoPlaintextSecrets,
  prepareEngine,
  projectNameOf,
} from "./helpers";

const KEY_SERVER_PASSWORD = "e2e-kmip-password-Q7x9";

interface Case {
  release: string;
  /** Whether the release takes a KMIP username and password per key server. */
  credentials: boolean;
}

describe.each<Case>([
  { release: "9.6", credentials: true },
  { release: "9.13", credentials: true },
])("SVM key manager with KeyServer resources, ONTAP $release", ({ release, credentials }) => {
  const projectDir = exampleDir("external-svm");
  const project = projectNameOf(projectDir);
  let sim: Simulator;
  let admin: OntapAdmin;
  let stack: EngineStack;

  const config = (): ConfigMap => ({
    [`${project}:svm`]: { value: "vs0" },
    [`${project}:clientCertificate`]: { value: "vs0-client" },
    [`${project}:serverCaCertificates`]: { value: JSON.stringify(["vs0-ca-1"]) },
    [`${project}:primaryServer`]: { value: "10.1.0.1" },
    [`${project}:keyServers`]: {
      value: JSON.stringify([
        { server: "10.1.0.2", timeout: 40 },
        { server: "kmip-b.example.com:5697", ...(credentials ? { username: "kmip-user" } : {}) },
      ]),
    },
    ...(credentials
      ? { [`${project}:keyServerPassword`]: { value: KEY_SERVER_PASSWORD, secret: true } }
      : {}),
  });

  /** The SVM's key manager on ONTAP, its servers sorted. */
  async function onOntap(): Promise<{ uuid: string; clientCertificate?: string; servers: unknown[] }> {
    const km = await admin.keyManager("vs0");
    return {
      uuid: km.uuid,
      clientCertificate: km.external?.client_certificate?.uuid,
      servers: [...(km.external?.servers ?? [])]
        .map((s) => ({ server: s.server, timeout: s.timeout, username: s.username }))
        .sort((a, b) => a.server.localeCompare(b.server)),
    };
  }

  const expectedServers = (): unknown[] => [
    { server: "10.1.0.1:5696", timeout: 25, username: "" },
    { server: "10.1.0.2:5696", timeout: 40, username: "" },
    { server: "kmip-b.example.com:5697", timeout: 25, username: credentials ? "kmip-user" : "" },
  ];

  beforeAll(async () => {
    await prepareEngine();
    sim = await startSimulator({ ontapVersion: release, jobDelayMs: 20 });
    admin = new OntapAdmin(sim);
    stack = await openStack({
      projectDir,
      config: { ...ontapConfig(sim), ...config() },
    });
  }, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
    await admin?.close();
    await sim?.close();
  });

  test(
    "up creates the key manager and its key servers; a second preview shows no changes",
    async () => {
      const up = await stack.up();
      expect(up.changes).toEqual({
        "key-manager": ["create"],
        "kmip-10.1.0.2": ["create"],
        "kmip-kmip-b.example.com-5697": ["create"],
      });
      const km = await onOntap();
      expect(km.clientCertificate).toBe(await admin.certificateUuid("vs0-client", "vs0"));
      expect(km.servers).toEqual(expectedServers());
      expect(await stack.outputs()).toEqual({
        keyManagerUuid: km.uuid,
        svmUuid: expect.any(String) as unknown,
        keyServers: ["10.1.0.2:5696", "kmip-b.example.com:5697"],
      });

      expect((await stack.preview()).changes).toEqual({});
      // The first refresh reads each KeyServer's connectivity (9.7 on): its create recorded it, so no output
      // changes either (the refresh step would show them as `+ connectivity`).
      const refreshed = await stack.preview({ refresh: true, diff: true });
      expect(refreshed.changes).toEqual({});
      expect(refreshed.output).not.toContain("connectivity");
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "a key server removed and the client certificate swapped out of band: preview --refresh names exactly " +
      "those two resources; up --refresh restores both",
    async () => {
      const km = await onOntap();
      await admin.removeKeyServer(km.uuid, "10.1.0.2:5696");
      await admin.setClientCertificate(km.uuid, await admin.certificateUuid("vs0-client-renewed", "vs0"));

      const preview = await stack.preview({ refresh: true });
      expect(preview.changes).toEqual({ "key-manager": ["update"], "kmip-10.1.0.2": ["create"] });

      const up = await stack.up({ refresh: true });
      expect(up.changes).toEqual({ "key-manager": ["update"], "kmip-10.1.0.2": ["create"] });
      expect(await onOntap()).toEqual({ ...km, servers: expectedServers() });
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "the key manager deleted out of band: preview --refresh shows it and its key servers to be created; " +
      "up --refresh recreates them all",
    async () => {
      const old = await onOntap();
      await admin.deleteKeyManager(old.uuid);

      const expected = {
        "key-manager": ["create"],
        "kmip-10.1.0.2": ["create"],
        "kmip-kmip-b.example.com-5697": ["create"],
      };
      expect((await stack.preview({ refresh: true })).changes).toEqual(expected);
      expect((await stack.up({ refresh: true })).changes).toEqual(expected);
      const km = await onOntap();
      expect(km.uuid).not.toBe(old.uuid);
      expect(km.servers).toEqual(expectedServers());

      expect((await stack.preview({ refresh: true })).changes).toEqual({});
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "the stored state holds no key-server password or ONTAP password in plain text; destroy leaves no key manager",
    async () => {
      // A refresh rewrites the state from what read returns (outputs and inputs): secrets must stay secret.
      await stack.refresh();
      const stored = await stack.storedText();
      expectNoPlaintextSecrets(stored, {
        "ONTAP password": sim.password,
        ...(credentials ? { "key-server password": KEY_SERVER_PASSWORD } : {}),
      });
      expect(ciphertexts(stored)).toBeGreaterThan(credentials ? 1 : 0);

      const destroy = await stack.destroy();
      expect(destroy.changes).toEqual({
        "key-manager": ["delete"],
        "kmip-10.1.0.2": ["delete"],
        "kmip-kmip-b.example.com-5697": ["delete"],
      });
      expect(sim.keyManagers()).toEqual([]);
    },
    E2E_TEST_TIMEOUT_MS,
  );
});
