/**
 * End to end with the real Pulumi engine: examples/certificates, the KMIP client and CA certificates installed as
 * `Certificate` resources in an SVM with the external key manager that uses them, on a release with certificate
 * names (9.13). The client certificate is then renewed with the same key pair in a second `up` (install the new
 * one, switch the key manager with one PATCH, delete the old one: 4 calls), drift and the expiry warning are
 * shown by refresh, deleting a certificate still in use is refused naming the key manager, and destroy removes
 * everything in the right order.
 */
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { copyFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { type EngineStack, ontapConfig, openStack } from "../support/automation";
import { OntapAdmin } from "../support/ontapAdmin";
import { type Simulator, startSimulator } from "../../simulator";
import { type Pem, caCertificate, clientCertificate, keyPair } from "../support/certs";
import {
  E2E_TEST_TIMEOUT_MS,
  ENGINE_SETUP_TIMEOUT_MS,
  type ProjectCopy,
  copyProject,
  exampleDir,
  expectNoPlaintextSecrets,
  prepareEngine,
  projectNameOf,
  writes,
} from "./helpers";

describe("Certificates as code with the key manager that uses them, ONTAP 9.13", () => {
  const programDir = exampleDir("certificates");
  const project = projectNameOf(programDir);
  // A copy, so that one test can edit the program as a user would.
  let copy: ProjectCopy;
  let sim: Simulator;
  let admin: OntapAdmin;
  let stack: EngineStack;
  let ca: Pem;
  let first: Pem;
  let renewed: Pem;

  /** The calls that matter: no version probe, no job polls. */
  const calls = (): string[] =>
    sim
      .requestLog()
      .filter((e) => !/^\/api\/cluster(\/jobs\/|$|\?)/.test(e.path))
      .map((e) => `${e.method} ${e.path.split("?")[0]}`);

  const config = (client: Pem): ConfigMap => ({
    [`${project}:svm`]: { value: "vs0" },
    [`${project}:clientCertificate`]: { value: client.cert },
    [`${project}:clientKey`]: { value: client.key, secret: true },
    [`${project}:caCertificate`]: { value: ca.cert },
    [`${project}:server`]: { value: "10.1.0.1" },
  });

  async function certificatesOnOntap(): Promise<{ uuid: string; name: string }[]> {
    const answer = (await admin.call("GET", "/api/security/certificates?svm.name=vs0&fields=name")) as {
      records: { uuid: string; name: string }[];
    };
    return answer.records
      .filter((r) => r.name.startsWith("kmip-"))
      .map((r) => ({ uuid: r.uuid, name: r.name }));
  }

  beforeAll(async () => {
    await prepareEngine();
    ca = await caCertificate("KMIP CA");
    const pair = keyPair();
    // The first client certificate expires in 10 days: refresh must warn.
    first = await clientCertificate("ontap-kmip", ca, pair, 10);
    renewed = await clientCertificate("ontap-kmip", ca, pair, 400);
    sim = await startSimulator({ ontapVersion: "9.13", jobDelayMs: 20 });
    admin = new OntapAdmin(sim);
    copy = await copyProject(programDir);
    stack = await openStack({
      projectDir: copy.dir,
      config: { ...ontapConfig(sim), ...config(first) },
    });
  }, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
    await admin?.close();
    await sim?.close();
    await copy?.remove();
  });

  test(
    "up installs both certificates with automatic names and creates the key manager with them; the key " +
      "stays secret; a second preview shows no changes",
    async () => {
      sim.clearRequestLog();
      const up = await stack.up();
      expect(up.changes).toEqual({
        "kmip-client": ["create"],
        "kmip-ca": ["create"],
        "key-manager": ["create"],
      });
      const installed = await certificatesOnOntap();
      expect(installed.map((c) => c.name).sort()).toEqual([
        expect.stringMatching(/^kmip-ca-[0-9a-f]{7}$/),
        expect.stringMatching(/^kmip-client-[0-9a-f]{7}$/),
      ]);
      const outputs = await stack.outputs();
      const km = await admin.keyManager("vs0");
      expect(km.uuid).toBe(outputs.keyManagerUuid);
      expect(km.external?.client_certificate?.uuid).toBe(outputs.clientCertificateUuid);
      expect(calls().filter((c) => c.startsWith("POST"))).toEqual([
        "POST /api/security/certificates",
        "POST /api/security/certificates",
        "POST /api/security/key-managers",
      ]);
      expectNoPlaintextSecrets(await stack.storedText(), { clientKey: first.key });
      expect((await stack.preview()).changes).toEqual({});
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "refresh warns on stderr about the client certificate that expires within 30 days",
    async () => {
      const refresh = await stack.refresh();
      expect(refresh.output).toMatch(
        /certificate "kmip-client-[0-9a-f]{7}" \(SVM "vs0", uuid [0-9a-f-]{36}\) expires in 9 day\(s\)/,
      );
      expect(refresh.output).not.toMatch(/certificate "kmip-ca-/);
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "renewing the client certificate (same key pair) in a second up: new certificate, one PATCH of the key " +
      "manager, old certificate deleted; 4 calls",
    async () => {
      const before = await stack.outputs();
      await stack.setConfig(config(renewed));
      sim.clearRequestLog();
      const up = await stack.up();
      expect(up.changes).toEqual({
        "kmip-client": ["create-replacement", "replace", "delete-replaced"],
        "key-manager": ["update"],
      });
      const after = await stack.outputs();
      expect(after.clientCertificateName).not.toBe(before.clientCertificateName);
      expect(after.clientCertificateName).toMatch(/^kmip-client-[0-9a-f]{7}$/);
      expect(after.clientKeyPairId).toBe(before.clientKeyPairId);
      expect(after.keyManagerUuid).toBe(before.keyManagerUuid);
      expect(calls()).toEqual([
        "GET /api/security/certificates",
        "POST /api/security/certificates",
        `PATCH /api/security/key-managers/${String(after.keyManagerUuid)}`,
        `DELETE /api/security/certificates/${String(before.clientCertificateUuid)}`,
      ]);
      const km = await admin.keyManager("vs0");
      expect(km.external?.client_certificate?.uuid).toBe(after.clientCertificateUuid);
      expect((await certificatesOnOntap()).map((c) => c.uuid)).not.toContain(before.clientCertificateUuid);
      expectNoPlaintextSecrets(await stack.storedText(), { clientKey: renewed.key });
      expect((await stack.preview()).changes).toEqual({});
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "a certificate removed outside Pulumi shows as drift: preview --refresh plans to install it again",
    async () => {
      // Out of band: the key manager is pointed at a seeded CA, and our CA certificate is deleted.
      const km = await admin.keyManager("vs0");
      const ours = (await certificatesOnOntap()).find((c) => c.name.startsWith("kmip-ca-"));
      expect(ours).toBeDefined();
      await admin.write("PATCH", `/api/security/key-managers/${km.uuid}`, {
        external: { server_ca_certificates: [{ uuid: await admin.certificateUuid("vs0-ca-1", "vs0") }] },
      });
      await admin.write("DELETE", `/api/security/certificates/${ours!.uuid}`);
      const preview = await stack.preview({ refresh: true });
      expect(preview.changes).toEqual({ "kmip-ca": ["create"], "key-manager": ["update"] });
      const up = await stack.up({ refresh: true });
      expect(up.changes).toEqual({ "kmip-ca": ["create"], "key-manager": ["update"] });
      expect((await stack.preview()).changes).toEqual({});
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "deleting a certificate a key manager still uses is refused, naming the key manager; nothing changes",
    async () => {
      const outputs = await stack.outputs();
      const caName = String(outputs.caCertificateName);
      const caUuid = await admin.certificateUuid(caName, "vs0");
      // The same program, but the key manager names the CA by UUID text (no dependency) and the CA is dropped.
      await writeFile(
        path.join(copy.dir, "program.ts"),
        [
          'import * as pulumi from "@pulumi/pulumi";',
          'import { Certificate, KeyManager } from "pulumi-ontap-keymanager";',
          "export function program(): Promise<Record<string, pulumi.Output<unknown>>> {",
          "  const config = new pulumi.Config();",
          '  const client = new Certificate("kmip-client", {',
          '    svm: "vs0",',
          '    type: "client",',
          '    certificate: config.require("clientCertificate"),',
          '    privateKey: config.requireSecret("clientKey"),',
          "  });",
          '  const keyManager = new KeyManager("key-manager", {',
          '    svm: "vs0",',
          `    external: { clientCertificate: client.id, serverCaCertificates: [${JSON.stringify(caUuid)}], servers: ["10.1.0.1"] },`,
          "  });",
          "  return Promise.resolve({ keyManagerUuid: keyManager.id });",
          "}",
          "",
        ].join("\n"),
      );
      await expect(stack.up()).rejects.toThrow(
        new RegExp(
          `key manager ${String(outputs.keyManagerUuid)} \\(vs0\\) uses it as its server CA certificate`,
        ),
      );
      expect((await certificatesOnOntap()).map((c) => c.uuid)).toContain(caUuid);
      // Back to the example: nothing to do for the certificates.
      await copyFile(path.join(programDir, "program.ts"), path.join(copy.dir, "program.ts"));
      const up = await stack.up();
      expect(up.changes["kmip-ca"]).toBeUndefined();
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "destroy removes the key manager first, then the certificates",
    async () => {
      sim.clearRequestLog();
      await stack.destroy();
      const w = writes(sim);
      expect(w[0]).toMatch(/^DELETE \/api\/security\/key-managers\//);
      expect(w.slice(1).sort()).toEqual([
        expect.stringMatching(/^DELETE \/api\/security\/certificates\//),
        expect.stringMatching(/^DELETE \/api\/security\/certificates\//),
      ]);
      expect(await certificatesOnOntap()).toEqual([]);
      expect(await admin.keyManagers()).toEqual([]);
    },
    E2E_TEST_TIMEOUT_MS,
  );
});
