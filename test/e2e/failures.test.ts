/**
 * End to end with the real Pulumi engine: failing updates, on both release behaviours (9.6 refuses a write
 * synchronously; later releases accept it and fail its job). The user must see ONTAP's code and our explanation,
 * and the state must stay consistent: nothing recorded for a refused create, the previous settings kept for a
 * refused update, and later operations (refresh, up, destroy) working on it.
 */
import { type EngineStack, ontapConfig, openStack } from "../support/automation";
import { OntapAdmin } from "../support/ontapAdmin";
import { type Simulator, startSimulator } from "../../simulator";
import {
  E2E_TEST_TIMEOUT_MS,
  ENGINE_SETUP_TIMEOUT_MS,
  exampleDir,
  expectNoPlaintextSecrets,
  prepareEngine,
  projectNameOf,
  writes,
} from "./helpers";
import { rejectionMessage as failure } from "../support/rejection";

/** A well-formed certificate UUID that the cluster does not have. */
const MISSING_CERTIFICATE = "0badc0de-0000-4000-8000-00000000e2e0";

describe.each(["9.6", "9.13"])("failing updates, ONTAP %s", (release) => {
  const projectDir = exampleDir("quickstart");
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
      config: {
        ...ontapConfig(sim),
        [`${project}:clientCertificate`]: { value: MISSING_CERTIFICATE },
        [`${project}:serverCaCertificates`]: { value: JSON.stringify(["cluster-ca-1"]) },
        [`${project}:servers`]: { value: JSON.stringify(["10.0.0.1"]) },
      },
    });
  }, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
    await admin?.close();
    await sim?.close();
  });

  test(
    "a create refused for a certificate that is not installed shows ONTAP's code and the fix; nothing is recorded",
    async () => {
      const message = await failure(stack.up());
      expect(message).toContain("65536821");
      expect(message).toContain("the certificate is not installed");
      expect(message).toMatch(/Fix: install the certificate/);
      expectNoPlaintextSecrets(message, { "ONTAP password": sim.password });

      expect(await stack.resources()).toEqual([]);
      expect(sim.keyManagers()).toEqual([]);

      // Once the program names an installed certificate, the same stack converges.
      await stack.setConfig({ [`${project}:clientCertificate`]: { value: "cluster-client" } });
      expect((await stack.up()).changes).toEqual({ "key-manager": ["create"] });
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "an update refused for a client certificate with another key pair keeps the previous settings in the state",
    async () => {
      const before = await admin.keyManager();
      await stack.setConfig({ [`${project}:clientCertificate`]: { value: "cluster-client-other" } });

      const message = await failure(stack.up());
      expect(message).toContain("65536850");
      expect(message).toContain("different key pair");
      expect(message).toMatch(/Fix: /);
      expect(await admin.keyManager()).toEqual(before);

      // The state still describes what ONTAP holds: a refresh finds no drift, only the program's pending change.
      expect((await stack.preview({ refresh: true })).changes).toEqual({ "key-manager": ["update"] });
      // Back to the installed certificate: ONTAP already matches, so converging writes nothing.
      await stack.setConfig({ [`${project}:clientCertificate`]: { value: "cluster-client" } });
      // The refused update left the user's certificate name in state, so there is nothing to show either.
      expect((await stack.preview({ refresh: true })).changes).toEqual({});
      sim.clearRequestLog();
      await stack.up({ refresh: true });
      expect(writes(sim)).toEqual([]);
      expect(await admin.keyManager()).toEqual(before);
      expect((await stack.preview({ refresh: true })).changes).toEqual({});

      expect((await stack.destroy()).changes).toEqual({ "key-manager": ["delete"] });
      expect(sim.keyManagers()).toEqual([]);
    },
    E2E_TEST_TIMEOUT_MS,
  );
});

describe("preview without a cluster to talk to", () => {
  const stacks: EngineStack[] = [];

  beforeAll(prepareEngine, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await Promise.all(stacks.map((s) => s.close()));
  });

  test(
    "no ontap:host: preview fails at once, naming the settings to add",
    async () => {
      const projectDir = exampleDir("quickstart");
      const project = projectNameOf(projectDir);
      const stack = await openStack({
        projectDir,
        config: {
          [`${project}:clientCertificate`]: { value: "cluster-client" },
          [`${project}:serverCaCertificates`]: { value: JSON.stringify(["cluster-ca-1"]) },
          [`${project}:servers`]: { value: JSON.stringify(["10.0.0.1"]) },
        },
      });
      stacks.push(stack);
      const message = await failure(stack.preview());
      expect(message).toContain("ontap:host");
      expect(message).toContain("pulumi config set ontap:host");
      expect(await stack.resources()).toEqual([]);
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "a key manager's profile without a host: preview fails at once, naming the profile, though ontap:host is set",
    async () => {
      const projectDir = exampleDir("multi-cluster");
      const project = projectNameOf(projectDir);
      const stack = await openStack({
        projectDir,
        config: {
          "ontap:host": { value: "cluster-a.example.com" },
          "ontap:username": { value: "admin" },
          "ontap:password": { value: "default-connection-password", secret: true },
          "ontap:profiles": { value: JSON.stringify({ siteB: { username: "admin" } }), secret: true },
          [`${project}:clusters`]: {
            value: JSON.stringify({
              siteB: {
                clientCertificate: "cluster-client",
                serverCaCertificates: ["cluster-ca-1"],
                servers: ["10.0.0.1"],
              },
            }),
          },
        },
      });
      stacks.push(stack);
      const message = await failure(stack.preview());
      expect(message).toContain('Profile "siteB"');
      expect(message).toContain('"host"');
      expect(await stack.resources()).toEqual([]);
    },
    E2E_TEST_TIMEOUT_MS,
  );
});
