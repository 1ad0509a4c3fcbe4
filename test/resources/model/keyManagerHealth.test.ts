/**
 * The KeyManager health outputs in the pure model: what a record maps to, what an update keeps, what diff does with
 * them (nothing, but for onboard keys missing on nodes), and that stored state round-trips.
 */
import type { KeyManagerRecord } from "../../../provider/ontap";
import {
  buildKeyManagerOutputs,
  diffKeyManager,
  healthFromRecord,
  healthKeptByUpdate,
  needsOnboardSync,
  parseKeyManagerOutputs,
  readKeyManager,
  type KeyManagerOutputs,
} from "../../../provider/resources/model";
import { KM_UUID, checked, known, outputsAfterCreate, recordFor, resolutionFor } from "./fixtures";

const PASSPHRASE = "The quick brown fox jumps over 13 lazy dogs!";
const external = {
  clientCertificate: "kmip-client",
  serverCaCertificates: ["ca-1"],
  servers: ["kms1", "kms2"],
};
const onboard = { onboard: { passphrase: PASSPHRASE } };
const reachable = {
  cluster_availability: true,
  node_states: [
    { node: { name: "n2" }, state: "available" },
    { node: { name: "n1" }, state: "available" },
  ],
};
const unreachable = {
  cluster_availability: false,
  node_states: [{ node: { name: "n1", uuid: "u1" }, state: "not_responding" }],
};

function externalRecord(status?: { code: number; message: string }): KeyManagerRecord {
  const record = recordFor(outputsAfterCreate({ external }));
  return {
    ...record,
    ...(status ? { status } : {}),
    external: {
      ...record.external,
      servers: [
        { server: "KMS1:5696", timeout: 25, username: "", connectivity: reachable },
        { server: "kms2:5696", timeout: 25, username: "", connectivity: unreachable },
      ],
    },
  };
}

describe("healthFromRecord", () => {
  test("status, and connectivity per canonical server address with nodes sorted", () => {
    expect(
      healthFromRecord(externalRecord({ code: 65537200, message: "No action needed at this time." })),
    ).toEqual({
      status: { code: 65537200, message: "No action needed at this time." },
      connectivity: {
        "kms1:5696": {
          clusterAvailability: true,
          nodeStates: [
            { node: "n1", state: "available" },
            { node: "n2", state: "available" },
          ],
        },
        "kms2:5696": { clusterAvailability: false, nodeStates: [{ node: "n1", state: "not_responding" }] },
      },
    });
  });

  test("a record without the health fields (9.6) has none", () => {
    expect(healthFromRecord(recordFor(outputsAfterCreate({ external })))).toEqual({});
    expect(healthFromRecord(recordFor(outputsAfterCreate(onboard)), ["n2"])).toEqual({
      keysMissingOnNodes: ["n2"],
    });
  });
});

describe("readKeyManager: health outputs", () => {
  test("status and connectivity are outputs only: the refreshed inputs never carry them", () => {
    const previous = outputsAfterCreate({ external });
    const { outputs, inputs } = readKeyManager(externalRecord({ code: 7, message: "m" }), previous);
    expect(outputs.status).toEqual({ code: 7, message: "m" });
    expect(Object.keys(outputs.connectivity ?? {})).toEqual(["kms1:5696", "kms2:5696"]);
    expect(inputs).not.toHaveProperty("status");
    expect(inputs).not.toHaveProperty("connectivity");
  });

  test("keys missing on nodes show in the outputs, and in the refreshed inputs only while not empty", () => {
    const previous = outputsAfterCreate(onboard);
    const record = recordFor(previous);
    const missing = readKeyManager(record, previous, ["n2", "n1"]);
    expect(missing.outputs.keysMissingOnNodes).toEqual(["n1", "n2"]);
    expect(missing.inputs.keysMissingOnNodes).toEqual(["n1", "n2"]);
    const inStep = readKeyManager(record, previous, []);
    expect(inStep.outputs.keysMissingOnNodes).toEqual([]);
    expect(inStep.inputs).not.toHaveProperty("keysMissingOnNodes");
    // Not listed (a read-back after a failure): the previous state's knowledge stays.
    expect(readKeyManager(record, missing.outputs).outputs.keysMissingOnNodes).toEqual(["n1", "n2"]);
  });

  test("an external key manager never reports keys missing on nodes", () => {
    const previous = outputsAfterCreate({ external });
    expect(readKeyManager(externalRecord(), previous, ["n1"]).outputs).not.toHaveProperty(
      "keysMissingOnNodes",
    );
  });
});

describe("diffKeyManager ignores status and connectivity", () => {
  test("whatever ONTAP reports, no change and no replacement", () => {
    const previous = readKeyManager(
      externalRecord({ code: 65537300, message: "key server unreachable" }),
      outputsAfterCreate({ external }),
    ).outputs;
    expect(diffKeyManager(previous, checked({ external }))).toMatchObject({ changes: false, replaces: [] });
    const onboardPrevious = {
      ...outputsAfterCreate(onboard),
      status: { code: 1, message: "x" },
      keysMissingOnNodes: [],
    };
    expect(diffKeyManager(onboardPrevious, checked(onboard))).toMatchObject({ changes: false, replaces: [] });
  });

  test("onboard keys missing on nodes is an update (never a replacement) until they are in step", () => {
    const missing: KeyManagerOutputs = { ...outputsAfterCreate(onboard), keysMissingOnNodes: ["n2"] };
    expect(diffKeyManager(missing, checked(onboard))).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: true,
      updates: ["keysMissingOnNodes"],
    });
    expect(needsOnboardSync(missing, known(onboard))).toBe(true);
    const healed = { ...missing, keysMissingOnNodes: [] };
    expect(diffKeyManager(healed, checked(onboard)).changes).toBe(false);
    expect(needsOnboardSync(healed, known(onboard))).toBe(false);
    // A switch to external replaces (or, where another helper's switch applies, changes mode): no sync of keys.
    const toExternal = diffKeyManager(missing, checked({ external }));
    expect(toExternal.updates).not.toContain("keysMissingOnNodes");
    expect(needsOnboardSync(missing, known({ external }))).toBe(false);
  });
});

describe("health through create, update and stored state", () => {
  test("create takes what it knows; keysMissingOnNodes only for onboard, connectivity only for external", () => {
    const health = {
      status: { code: 65537200, message: "ok" },
      connectivity: { "kms1:5696": { nodeStates: [] } },
      keysMissingOnNodes: [],
    };
    const inputs = known({ external });
    const ext = buildKeyManagerOutputs(inputs, {
      uuid: KM_UUID,
      certificates: resolutionFor(inputs),
      health,
    });
    expect(ext).toMatchObject({ status: health.status, connectivity: health.connectivity });
    expect(ext).not.toHaveProperty("keysMissingOnNodes");
    const ob = buildKeyManagerOutputs(known(onboard), { uuid: KM_UUID, health });
    expect(ob).toMatchObject({ status: health.status, keysMissingOnNodes: [] });
    expect(ob).not.toHaveProperty("connectivity");
    expect(buildKeyManagerOutputs(known(onboard), { uuid: KM_UUID })).not.toHaveProperty("status");
  });

  test("an update keeps the previous health, minus the servers it removes", () => {
    const previous = readKeyManager(
      externalRecord({ code: 3, message: "m" }),
      outputsAfterCreate({ external }),
    ).outputs;
    const kept = healthKeptByUpdate(
      previous,
      known({ external: { ...external, servers: ["kms1", "kms3"] } }),
    );
    expect(kept.status).toEqual({ code: 3, message: "m" });
    expect(Object.keys(kept.connectivity ?? {})).toEqual(["kms1:5696"]);
  });

  test("stored health outputs parse back as they were", () => {
    const previous = readKeyManager(
      externalRecord({ code: 3, message: "m" }),
      outputsAfterCreate({ external }),
    ).outputs;
    expect(parseKeyManagerOutputs(JSON.parse(JSON.stringify(previous)))).toEqual(previous);
    const missing = { ...outputsAfterCreate(onboard), keysMissingOnNodes: ["n1"] };
    expect(parseKeyManagerOutputs(missing)).toEqual(missing);
  });
});

describe("readKeyManager: connectivity of the managed servers only", () => {
  const previous = (): KeyManagerOutputs => ({
    ...outputsAfterCreate({ external }),
    connectivity: {
      "kms1:5696": { clusterAvailability: true, nodeStates: [] },
      "kms2:5696": { clusterAvailability: true, nodeStates: [] },
    },
  });

  test("a server added out of band gets no entry: the refresh shows it once, in external.servers", () => {
    const record = externalRecord();
    const rogue = { server: "10.66.66.66:5696", timeout: 25, username: "", connectivity: reachable };
    const drifted = {
      ...record,
      external: { ...record.external, servers: [...record.external!.servers!, rogue] },
    };
    const { outputs } = readKeyManager(drifted, previous());
    expect(outputs.external?.servers.map((s) => s.server)).toContain("10.66.66.66:5696");
    expect(Object.keys(outputs.connectivity ?? {})).toEqual(["kms1:5696", "kms2:5696"]);
    expect(outputs.connectivity?.["kms2:5696"]?.clusterAvailability).toBe(false);
  });

  test("a managed server ONTAP no longer lists keeps its last report", () => {
    const record = externalRecord();
    const removed = {
      ...record,
      external: { ...record.external, servers: record.external!.servers!.slice(0, 1) },
    };
    const { outputs } = readKeyManager(removed, previous());
    expect(outputs.external?.servers.map((s) => s.server)).toEqual(["kms1:5696"]);
    expect(outputs.connectivity?.["kms2:5696"]).toEqual({ clusterAvailability: true, nodeStates: [] });
  });

  test("without previous outputs (a lookup by id) every reported server", () => {
    expect(Object.keys(readKeyManager(externalRecord(), undefined).outputs.connectivity ?? {})).toEqual([
      "kms1:5696",
      "kms2:5696",
    ]);
  });
});
