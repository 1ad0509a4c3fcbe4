/**
 * KeyManager health outputs (`status`, `connectivity`, `keysMissingOnNodes`) and the declarative onboard key
 * synchronisation, against the simulator over HTTPS on 9.6 (none of it: no extra call), 9.13 (status,
 * connectivity, per-node key listings) and 9.16. Every case asserts the exact ONTAP calls from the request log
 * (version probes and job polls left out).
 */
import { OntapAdmin } from "../support/ontapAdmin";
import { closeAllClients } from "../../provider/ontap";
import * as provider from "../../provider/resources/impl/keyManagerProvider";
import { parseKeyManagerOutputs, type KeyManagerOutputs } from "../../provider/resources/model";
import { startSimulator, type RequestLogEntry, type Simulator } from "../../simulator";
import { type Props, SERIALIZED, configure, create, diff, update } from "../support/keyManagerDriver";
import { rejection } from "../support/rejection";

const KM = "/api/security/key-managers";
const PASSPHRASE = "Onboard-Passphrase-Alpha-0123456789-xyz";
const OTHER_PASSPHRASE = "Onboard-Passphrase-Other-5555555555-qqq";
const NEW_PASSPHRASE = "Onboard-Passphrase-Bravo-9876543210-abc";
const OK = { code: 65537200, message: "No action needed at this time." };

const onboard = (passphrase = PASSPHRASE, more: Props = {}): Props => ({ onboard: { passphrase, ...more } });
const externalProgram: Props = {
  external: {
    clientCertificate: "cluster-client",
    serverCaCertificates: ["cluster-ca-1"],
    servers: ["10.0.0.1"],
  },
};
const parsed = (outs: unknown): KeyManagerOutputs => parseKeyManagerOutputs(outs);

function label(e: RequestLogEntry): string {
  const [pathname = "", query = ""] = e.path.split("?");
  const path = pathname
    .replace(/(key-managers\/)[0-9a-f-]{36}/, "$1{km}")
    .replace(/(keys\/)[0-9a-f-]{36}/, "$1{node}");
  const params = query.split("&").filter((p) => p !== "" && !/^(fields|max_records|return_timeout)=/.test(p));
  return `${e.method} ${path}${params.length > 0 ? `?${params.join("&")}` : ""}`;
}

async function calls(sim: Simulator): Promise<string[]> {
  // Entries are recorded when a response closes: let the log settle.
  await new Promise((resolve) => setTimeout(resolve, 60));
  return sim
    .requestLog()
    .filter((e) => !(e.method === "GET" && e.path.split("?")[0] === "/api/cluster"))
    .filter((e) => !/^\/api\/cluster\/jobs\//.test(e.path))
    .map(label);
}

describe.each(["9.6", "9.13", "9.16"])("KeyManager health and onboard sync against ONTAP %s", (version) => {
  const later = version !== "9.6";
  // A refresh reads the key manager; from 9.16 it also lists the scope's configurations (inactive ones are reported).
  const readGets = version === "9.16" ? [`GET ${KM}/{km}`, `GET ${KM}?scope=cluster`] : [`GET ${KM}/{km}`];
  let sim: Simulator;
  let admin: OntapAdmin;

  beforeAll(async () => {
    sim = await startSimulator({ ontapVersion: version, jobDelayMs: 20 });
    admin = new OntapAdmin(sim);
  });

  beforeEach(async () => {
    sim.reset();
    await configure({
      "ontap:host": sim.url,
      "ontap:username": sim.username,
      "ontap:password": sim.password,
      "ontap:caCert": sim.caCert,
    });
  });

  afterAll(async () => {
    await admin?.close();
    await closeAllClients();
    await sim?.close();
  });

  test("status and connectivity: filled in by create, refreshed by read in its one GET, never a diff", async () => {
    const { id, outs } = await create(externalProgram);
    const created = parsed(outs);
    expect(created.status).toEqual(later ? OK : undefined);
    expect(Object.keys(created.connectivity ?? {})).toEqual(later ? ["10.0.0.1:5696"] : []);
    expect(created.keysMissingOnNodes).toBeUndefined();

    // The first refresh after the create changes nothing (no spurious `+ status`).
    sim.clearRequestLog();
    const first = await provider.read(id, outs);
    expect(await calls(sim)).toEqual(readGets);
    const { __provider: _p, ...stored } = outs;
    expect(first.props).toEqual(stored);
    const fields = decodeURIComponent(
      sim.requestLog().find((e) => e.method === "GET" && e.path.startsWith(`${KM}/`))!.path,
    );
    expect(fields.includes("status.code") && fields.includes("external.servers.connectivity")).toBe(later);
    if (!later) return;

    const keysMissing = { code: 65537300, message: "Some keys are missing on node cluster1-02." };
    sim.setKeyManagerStatus(id, keysMissing);
    sim.clearRequestLog();
    const read = await provider.read(id, outs);
    expect(await calls(sim)).toEqual(readGets);
    expect(parsed(read.props).status).toEqual(keysMissing);
    expect(read.inputs).not.toHaveProperty("status");
    expect(read.inputs).not.toHaveProperty("connectivity");
    expect(await diff(id, read.props as Props, externalProgram)).toMatchObject({
      changes: false,
      replaces: [],
    });

    // An update keeps the health outputs without reading them again (no extra call).
    sim.clearRequestLog();
    const changed = {
      external: { ...(externalProgram.external as Props), servers: [{ server: "10.0.0.1", timeout: 30 }] },
    };
    const after = await update(id, read.props as Props, changed);
    expect(await calls(sim)).toEqual([`PATCH ${KM}/{km}/key-servers/10.0.0.1%3A5696`]);
    expect(parsed(after).status).toEqual(keysMissing);
    expect(parsed(after).connectivity).toEqual(parsed(read.props).connectivity);
  });

  test("an external key manager's read never lists nodes or keys", async () => {
    const { id, outs } = await create(externalProgram);
    sim.clearRequestLog();
    const read = await provider.read(id, outs);
    expect(await calls(sim)).toEqual(readGets);
    expect(parsed(read.props).keysMissingOnNodes).toBeUndefined();
  });

  if (!later) {
    test("9.6: an onboard read is one GET, with no health and no per-node listing", async () => {
      const { id, outs } = await create(onboard());
      expect(parsed(outs)).not.toHaveProperty("keysMissingOnNodes");
      expect(parsed(outs)).not.toHaveProperty("status");
      sim.clearRequestLog();
      const read = await provider.read(id, outs);
      expect(await calls(sim)).toEqual([`GET ${KM}/{km}`]);
      expect(read.props).toEqual((({ __provider: _p, ...rest }) => rest)(outs));
      expect(() => sim.setOnboardKeysMissing("cluster1-02", true)).toThrow();
    });
    return;
  }

  test("keys missing on a node: refresh shows it, one up heals it with one PATCH, then nothing is sent", async () => {
    const { id, outs } = await create(onboard());
    expect(parsed(outs).keysMissingOnNodes).toEqual([]);
    sim.setOnboardKeysMissing("cluster1-02", true);

    sim.clearRequestLog();
    const read = await provider.read(id, outs);
    // 1 GET of the key manager, 1 of the nodes, 1 per node of its keys.
    expect(await calls(sim)).toEqual([
      ...readGets,
      "GET /api/cluster/nodes",
      `GET ${KM}/{km}/keys/{node}/key-ids`,
      `GET ${KM}/{km}/keys/{node}/key-ids`,
    ]);
    expect(parsed(read.props).keysMissingOnNodes).toEqual(["cluster1-02"]);
    expect(read.inputs).toMatchObject({ keysMissingOnNodes: ["cluster1-02"] });
    const planned = await diff(id, read.props as Props, onboard());
    expect(planned).toMatchObject({ changes: true, replaces: [] });

    sim.clearRequestLog();
    const healed = await update(id, read.props as Props, onboard());
    expect(await calls(sim)).toEqual([`PATCH ${KM}/{km}`]);
    expect(sim.onboardKeysMissing()).toEqual([]);
    expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(true);
    expect(parsed(healed).keysMissingOnNodes).toEqual([]);
    expect(parsed(healed).onboard?.passphrase).toBe(PASSPHRASE);

    // In step: no diff, and an update (were the engine to call one) sends nothing.
    expect((await diff(id, healed, onboard())).changes).toBe(false);
    sim.clearRequestLog();
    await update(id, healed, onboard());
    expect(await calls(sim)).toEqual([]);

    const again = await provider.read(id, healed);
    expect(parsed(again.props).keysMissingOnNodes).toEqual([]);
    expect(again.inputs).not.toHaveProperty("keysMissingOnNodes");
    expect((await diff(id, again.props as Props, onboard())).changes).toBe(false);
  });

  test("keys missing and a rotation in one up: the sync first, with the passphrase in use, then the rotation", async () => {
    const { id, outs } = await create(onboard());
    sim.setOnboardKeysMissing("cluster1-01", true);
    const read = await provider.read(id, outs);
    sim.clearRequestLog();
    const after = await update(id, read.props as Props, onboard(NEW_PASSPHRASE));
    const log = await calls(sim);
    expect(log.filter((c) => c.startsWith("PATCH"))).toEqual([`PATCH ${KM}/{km}`, `PATCH ${KM}/{km}`]);
    expect(sim.onboardKeysMissing()).toEqual([]);
    expect(sim.checkOnboardPassphrase(NEW_PASSPHRASE)).toBe(true);
    expect(parsed(after).keysMissingOnNodes).toEqual([]);
  });

  test("a passphrase ONTAP does not hold: the sync is refused, clearly, and nothing changes", async () => {
    const { id, outs } = await create(onboard());
    // Rotated by hand: the state's passphrase is no longer the one in use.
    await admin.write("PATCH", `${KM}/${id}`, {
      onboard: { existing_passphrase: PASSPHRASE, passphrase: OTHER_PASSPHRASE },
    });
    sim.setOnboardKeysMissing("cluster1-02", true);
    const read = await provider.read(id, outs);
    sim.clearRequestLog();
    const err = await rejection(update(id, read.props as Props, onboard()));
    expect(await calls(sim)).toEqual([`PATCH ${KM}/{km}`]);
    expect(err.message).toContain("could not synchronize the onboard keys");
    expect(err.message).toContain("cluster1-02");
    expect(err.message).toContain("65536139");
    expect(err.message).toContain("onboard.currentPassphrase");
    expect(err.message).toContain("Nothing was changed");
    expect(err.message).not.toContain(PASSPHRASE);
    expect(err.message).not.toContain(OTHER_PASSPHRASE);
    expect(sim.onboardKeysMissing()).toEqual(["cluster1-02"]);

    // With the passphrase in use given, the same up heals (and rotates back to the program's).
    sim.clearRequestLog();
    const healed = await update(
      id,
      read.props as Props,
      onboard(PASSPHRASE, { currentPassphrase: OTHER_PASSPHRASE }),
    );
    expect((await calls(sim)).filter((c) => c.startsWith("PATCH"))).toHaveLength(2);
    expect(sim.onboardKeysMissing()).toEqual([]);
    expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(true);
    expect(parsed(healed).keysMissingOnNodes).toEqual([]);
  });

  test("a state read by id (no passphrase) syncs with the program's passphrase, and says so when ONTAP refuses it", async () => {
    const { id } = await create(onboard());
    sim.setOnboardKeysMissing("cluster1-02", true);
    const read = await provider.read(id, { ...SERIALIZED });
    expect(parsed(read.props).onboard?.passphrase).toBeUndefined();
    const err = await rejection(update(id, read.props as Props, onboard(OTHER_PASSPHRASE)));
    expect(err.message).toContain("65536139");
    expect(sim.onboardKeysMissing()).toEqual(["cluster1-02"]);
    await update(id, read.props as Props, onboard(PASSPHRASE));
    expect(sim.onboardKeysMissing()).toEqual([]);
  });
});
