/**
 * The cluster nodes and the per-node key listings (9.11+) against the simulator: which nodes miss onboard keys,
 * release gating without calls, the reference's error for a UUID that is not a key manager, and an answer about
 * another node taken as an error, never as new state.
 */
import { startSimulator, type Simulator } from "../../simulator";
import {
  OntapApiError,
  OntapBadResponseError,
  closeAllClients,
  createKeyManager,
  getClient,
  listKeyIds,
  listNodes,
  nodesMissingKeys,
  synchronizeOnboardKeys,
  OntapCode,
} from "../../provider/ontap";
import { FAST, rejectionOf, settingsFor } from "./helpers";

const PASSPHRASE = "onboard passphrase for key listings, 32+ chars";

describe.each(["9.6", "9.13"])("per-node key listings, ONTAP %s", (version) => {
  const listed = version !== "9.6";
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({ ontapVersion: version, jobDelayMs: 10 });
  });
  afterAll(async () => {
    await closeAllClients();
    await sim.close();
  });
  beforeEach(async () => {
    await closeAllClients();
    sim.reset();
  });

  const requests = (): string[] =>
    sim
      .requestLog()
      .filter((e) => e.path.split("?")[0] !== "/api/cluster")
      .map((e) => `${e.method} ${e.path.split("?")[0]!.replace(/[0-9a-f-]{36}/g, "{uuid}")}`);

  test("nodesMissingKeys: the nodes with a key restored: false, one GET of the nodes and one per node", async () => {
    const client = getClient(settingsFor(sim), FAST);
    const km = await createKeyManager(client, { onboard: { passphrase: PASSPHRASE } });
    sim.clearRequestLog();
    const inStep = await nodesMissingKeys(client, km.uuid);
    if (!listed) {
      expect(inStep).toBeUndefined();
      expect(requests()).toEqual([]);
      return;
    }
    expect(inStep).toEqual([]);
    expect(requests()).toEqual([
      "GET /api/cluster/nodes",
      "GET /api/security/key-managers/{uuid}/keys/{uuid}/key-ids",
      "GET /api/security/key-managers/{uuid}/keys/{uuid}/key-ids",
    ]);
    sim.setOnboardKeysMissing("cluster1-02", true);
    expect(await nodesMissingKeys(client, km.uuid)).toEqual(["cluster1-02"]);

    await synchronizeOnboardKeys(client, km.uuid, PASSPHRASE);
    expect(await nodesMissingKeys(client, km.uuid)).toEqual([]);
    sim.setOnboardKeysMissing("cluster1-01", true);
    const refused = await rejectionOf(synchronizeOnboardKeys(client, km.uuid, `${PASSPHRASE}-not-it`));
    expect(refused).toBeInstanceOf(Error);
    expect(String((refused as Error).message)).toContain(OntapCode.PASSPHRASE_MISMATCH);
    expect(sim.onboardKeysMissing()).toEqual(["cluster1-01"]);
  });

  if (!listed) return;

  test("a UUID that is not a key manager's: 65537125, as the reference says", async () => {
    const client = getClient(settingsFor(sim), FAST);
    const [node] = await listNodes(client);
    const err = await rejectionOf(listKeyIds(client, "00000000-0000-4000-8000-000000000000", node!.uuid));
    expect(err).toBeInstanceOf(OntapApiError);
    expect((err as OntapApiError).ontapCode).toBe(OntapCode.KEY_IDS_NOT_A_KEY_MANAGER);
  });

  test("keys of another node in the answer: an error, nothing recorded", async () => {
    const client = getClient(settingsFor(sim), FAST);
    const km = await createKeyManager(client, { onboard: { passphrase: PASSPHRASE } });
    const [first, second] = await listNodes(client);
    sim.injectFault({
      method: "GET",
      path: /\/key-ids$/,
      action: {
        type: "respond",
        status: 200,
        body: { records: [{ key_id: "k", restored: true, node: { uuid: second!.uuid } }], num_records: 1 },
      },
    });
    const err = await rejectionOf(listKeyIds(client, km.uuid, first!.uuid));
    expect(err).toBeInstanceOf(OntapBadResponseError);
    expect((err as Error).message).toContain(`not ${first!.uuid}`);
  });
});
