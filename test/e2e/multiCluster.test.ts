/**
 * End to end with the real Pulumi engine: examples/multi-cluster, one program managing the key managers of two
 * clusters through named connection profiles in the secret stack config `ontap:profiles`. The two clusters play
 * different releases (9.6 and 9.13), as the two sites of a real estate sometimes do during an upgrade.
 */
import { program } from "../../examples/multi-cluster/program";
import { type EngineStack, ontapProfilesConfig, openStack } from "../../scripts/engine";
import { OntapAdmin } from "../../scripts/ontapAdmin";
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

describe("key managers on two clusters through connection profiles", () => {
  const programDir = exampleDir("multi-cluster");
  const project = projectNameOf(programDir);
  let siteA: Simulator;
  let siteB: Simulator;
  let adminA: OntapAdmin;
  let adminB: OntapAdmin;
  let stack: EngineStack;

  beforeAll(async () => {
    await prepareEngine();
    siteA = await startSimulator({ ontapVersion: "9.6", clusterName: "site-a" });
    siteB = await startSimulator({ ontapVersion: "9.13", clusterName: "site-b", jobDelayMs: 20 });
    adminA = new OntapAdmin(siteA);
    adminB = new OntapAdmin(siteB);
    stack = await openStack({
      projectName: project,
      program,
      programDir,
      pathConfig: ontapProfilesConfig({ siteA, siteB }),
      config: {
        [`${project}:clusters`]: {
          value: JSON.stringify({
            siteA: {
              clientCertificate: "cluster-client",
              serverCaCertificates: ["cluster-ca-1"],
              servers: ["10.10.0.1", "10.10.0.2"],
            },
            siteB: {
              svm: "vs1",
              clientCertificate: "vs1-client",
              serverCaCertificates: ["vs1-ca-1", "vs1-ca-2"],
              servers: ["10.20.0.1"],
            },
          }),
        },
      },
    });
  }, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
    await adminA?.close();
    await adminB?.close();
    await siteA?.close();
    await siteB?.close();
  });

  test(
    "up creates each key manager on its own cluster; a second preview shows no changes",
    async () => {
      const up = await stack.up();
      expect(up.changes).toEqual({ "key-manager-siteA": ["create"], "key-manager-siteB": ["create"] });

      const [a, ...moreA] = await adminA.keyManagers();
      const [b, ...moreB] = await adminB.keyManagers();
      expect([moreA, moreB]).toEqual([[], []]);
      expect(a?.scope).toBe("cluster");
      expect(a?.external?.servers?.map((s) => s.server)).toEqual(["10.10.0.1:5696", "10.10.0.2:5696"]);
      expect(b?.svm?.name).toBe("vs1");
      expect(b?.external?.servers?.map((s) => s.server)).toEqual(["10.20.0.1:5696"]);
      expect(await stack.outputs()).toEqual({ keyManagerUuids: { siteA: a?.uuid, siteB: b?.uuid } });

      expect((await stack.preview({ refresh: true })).changes).toEqual({});
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "the stored state holds neither cluster's password in plain text; destroy empties both clusters",
    async () => {
      const stored = await stack.storedText();
      expectNoPlaintextSecrets(stored, {
        "site A password": siteA.password,
        "site B password": siteB.password,
      });
      expect(ciphertexts(stored)).toBeGreaterThan(0);

      const destroy = await stack.destroy();
      expect(destroy.changes).toEqual({ "key-manager-siteA": ["delete"], "key-manager-siteB": ["delete"] });
      expect(siteA.keyManagers()).toEqual([]);
      expect(siteB.keyManagers()).toEqual([]);
    },
    E2E_TEST_TIMEOUT_MS,
  );
});
