/**
 * Per-release key-server settings through both providers against the simulator over HTTPS: secondary key servers
 * (ONTAP 9.11.1+), timeouts -1/0 and `createRemoveTimeout` (9.14+) on 9.16, where they work, and on 9.13/9.6, where the release lacks
 * one of them and the provider refuses at diff (preview) or before the first write, naming the release; ONTAP's
 * 65538503 explained if it comes anyway. The exact ONTAP calls come from the request log (version probes and
 * job polls left out).
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { closeAllClients } from "../../provider/ontap";
import * as ks from "../../provider/resources/impl/keyServerProvider";
import { startSimulator, type RequestLogEntry, type Simulator } from "../../simulator";
import { type Props, configure, create, diff, update } from "../support/keyManagerDriver";
import * as kmImpl from "../../provider/resources/impl/keyManagerProvider";
import { OntapAdmin } from "../support/ontapAdmin";
import { rejection } from "../support/rejection";

const KM = "/api/security/key-managers";
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `METHOD path` without query, key manager UUIDs as {km}; no probes, no job polls. */
function label(e: RequestLogEntry): string {
  const path = e.path.split("?")[0]!.replace(/(key-managers\/)[0-9a-f-]{36}/, "$1{km}");
  return `${e.method} ${path}`;
}

async function calls(sim: Simulator): Promise<string[]> {
  let last = -1;
  let stable = 0;
  const until = Date.now() + 3_000;
  while (stable < 3 && Date.now() < until) {
    await sleep(15);
    const n = sim.requestLog().length;
    stable = n === last ? stable + 1 : 0;
    last = n;
  }
  return sim
    .requestLog()
    .sort((a, b) => a.seq - b.seq)
    .filter((e) => !(e.method === "GET" && e.path.split("?")[0] === "/api/cluster"))
    .filter((e) => !e.path.startsWith("/api/cluster/jobs/"))
    .map(label);
}

const external = (servers: unknown[]): Props => ({
  clientCertificate: "cluster-client",
  serverCaCertificates: ["cluster-ca-1"],
  servers,
});

interface Setup {
  sim: Simulator;
  admin: OntapAdmin;
}

function useRelease(version: string): Setup {
  const setup = {} as Setup;
  beforeAll(async () => {
    setup.sim = await startSimulator({ ontapVersion: version, jobDelayMs: 10 });
    setup.admin = new OntapAdmin(setup.sim);
    const config = {
      "ontap:host": setup.sim.url,
      "ontap:username": setup.sim.username,
      "ontap:password": setup.sim.password,
      "ontap:caCert": setup.sim.caCert,
    };
    await configure(config);
    await ks.configure({ config: { get: (k: string) => config[k as keyof typeof config] } } as never);
  });
  afterAll(async () => {
    await closeAllClients();
    await setup.admin?.close();
    await setup.sim?.close();
  });
  beforeEach(() => setup.sim.reset());
  return setup;
}

async function ksInputs(news: Props): Promise<Props> {
  const result = await ks.check({}, news);
  expect(result.failures ?? []).toEqual([]);
  return result.inputs as Props;
}

async function keyServerRecord(admin: OntapAdmin, km: string, server: string): Promise<Props> {
  return (await admin.call("GET", `${KM}/${km}/key-servers/${encodeURIComponent(server)}?fields=*`)) as Props;
}

describe("ONTAP 9.16: secondary key servers and timeouts -1/0 work", () => {
  const s = useRelease("9.16");

  test("KeyManager: create POSTs the addresses, then one PATCH per server with secondaries; read shows no diff", async () => {
    const program = {
      external: external([
        { server: "10.0.0.1", timeout: -1, secondaryKeyServers: ["KS2.example.com", "10.0.0.9:5697"] },
        "10.0.0.2",
      ]),
    };
    s.sim.clearRequestLog();
    const created = await create(program);
    expect(await calls(s.sim)).toEqual([
      `GET ${KM}`,
      "GET /api/security/certificates",
      `POST ${KM}`,
      // The health read-back (status, connectivity: 9.7+), so that the first refresh shows no change.
      `GET ${KM}/{km}`,
      `PATCH ${KM}/{km}/key-servers/10.0.0.1%3A5696`,
    ]);
    const record = await keyServerRecord(s.admin, created.id, "10.0.0.1:5696");
    expect(record).toMatchObject({
      timeout: -1,
      secondary_key_servers: ["ks2.example.com:5696", "10.0.0.9:5697"],
    });
    // In state, servers are a map keyed by canonical address.
    expect(created.outs.external).toMatchObject({
      servers: {
        "10.0.0.1:5696": {
          timeout: -1,
          username: "",
          secondaryKeyServers: ["ks2.example.com:5696", "10.0.0.9:5697"],
        },
        "10.0.0.2:5696": { timeout: 25, username: "" },
      },
    });

    const read = await kmImpl.read(created.id, created.outs);
    expect(read.props).toEqual(
      created.outs.external ? expect.objectContaining({ external: created.outs.external }) : {},
    );
    expect((await diff(created.id, read.props as Props, program)).changes).toBe(false);

    // Another order is one PATCH of that server, with the whole list.
    const reordered = {
      external: external([
        { server: "10.0.0.1", timeout: -1, secondaryKeyServers: ["10.0.0.9:5697", "ks2.example.com"] },
        "10.0.0.2",
      ]),
    };
    expect(await diff(created.id, read.props as Props, reordered)).toMatchObject({
      changes: true,
      replaces: [],
    });
    s.sim.clearRequestLog();
    const updated = await update(created.id, read.props as Props, reordered);
    expect(await calls(s.sim)).toEqual([`PATCH ${KM}/{km}/key-servers/10.0.0.1%3A5696`]);
    expect((await keyServerRecord(s.admin, created.id, "10.0.0.1:5696")).secondary_key_servers).toEqual([
      "10.0.0.9:5697",
      "ks2.example.com:5696",
    ]);

    // Secondaries set by hand on the other server are drift: refresh shows them, up removes them with [].
    await s.admin.write("PATCH", `${KM}/${created.id}/key-servers/10.0.0.2%3A5696`, {
      secondary_key_servers: ["10.0.0.8"],
    });
    const drifted = await kmImpl.read(created.id, updated);
    expect(
      (drifted.inputs as { external: { servers: Record<string, Props> } }).external.servers["10.0.0.2:5696"],
    ).toEqual({
      timeout: 25,
      username: "",
      secondaryKeyServers: ["10.0.0.8:5696"],
    });
    expect((await diff(created.id, drifted.props as Props, reordered)).changes).toBe(true);
    s.sim.clearRequestLog();
    await update(created.id, drifted.props as Props, reordered);
    expect(await calls(s.sim)).toEqual([`PATCH ${KM}/{km}/key-servers/10.0.0.2%3A5696`]);
    expect(
      (await keyServerRecord(s.admin, created.id, "10.0.0.2:5696")).secondary_key_servers,
    ).toBeUndefined();
  });

  test("KeyServer: create is GET, POST, one PATCH; refresh shows hand-made changes; a change is one PATCH", async () => {
    const km = await create({ external: external(["10.0.0.1"]), serverManagement: "listed" });
    const news = await ksInputs({
      keyManager: km.id,
      server: "10.0.0.3",
      timeout: 0,
      secondaryKeyServers: ["10.0.0.7", "ks4.example.com"],
    });
    s.sim.clearRequestLog();
    const created = await ks.create(news);
    expect(await calls(s.sim)).toEqual([
      `GET ${KM}/{km}/key-servers/10.0.0.3%3A5696`,
      `POST ${KM}/{km}/key-servers`,
      `PATCH ${KM}/{km}/key-servers/10.0.0.3%3A5696`,
      // Its connectivity (9.7+), so that the first refresh shows no change.
      `GET ${KM}/{km}/key-servers/10.0.0.3%3A5696`,
    ]);
    expect(created.outs).toEqual({ ...news, connectivity: expect.any(Object) as unknown });
    expect(await keyServerRecord(s.admin, km.id, "10.0.0.3:5696")).toMatchObject({
      timeout: 0,
      secondary_key_servers: ["10.0.0.7:5696", "ks4.example.com:5696"],
    });
    const read = await ks.read(created.id, created.outs);
    expect((await ks.diff(created.id, read.props, news)).changes).toBe(false);

    await s.admin.write("PATCH", `${KM}/${km.id}/key-servers/10.0.0.3%3A5696`, {
      secondary_key_servers: ["10.0.0.7"],
    });
    const drifted = await ks.read(created.id, created.outs);
    expect((drifted.inputs as Props).secondaryKeyServers).toEqual(["10.0.0.7:5696"]);
    const back: dynamic.DiffResult = await ks.diff(created.id, drifted.props, news);
    expect(back).toMatchObject({ changes: true, replaces: [] });
    s.sim.clearRequestLog();
    await ks.update(created.id, drifted.props, news);
    expect(await calls(s.sim)).toEqual([`PATCH ${KM}/{km}/key-servers/10.0.0.3%3A5696`]);
    expect((await keyServerRecord(s.admin, km.id, "10.0.0.3:5696")).secondary_key_servers).toEqual([
      "10.0.0.7:5696",
      "ks4.example.com:5696",
    ]);
  });

  test("a secondary that is another primary (65538502) is explained; the server stays recorded without it", async () => {
    const km = await create({ external: external(["10.0.0.1"]), serverManagement: "listed" });
    const err = await rejection(
      ks.create(await ksInputs({ keyManager: km.id, server: "10.0.0.3", secondaryKeyServers: ["10.0.0.1"] })),
    );
    expect(err.message).toContain("one of them is a primary key server of the same key manager (65538502");
    expect((err as { properties?: Props }).properties).toEqual({
      keyManager: km.id,
      server: "10.0.0.3:5696",
      timeout: 25,
      username: "",
      adopt: false,
    });
  });
});

describe("ONTAP 9.16: createRemoveTimeout", () => {
  const s = useRelease("9.16");

  test("KeyServer: set at create (in the PATCH after the POST), refreshed, changed with one PATCH", async () => {
    const km = await create({ external: external(["10.0.0.1"]), serverManagement: "listed" });
    const news = await ksInputs({ keyManager: km.id, server: "10.0.0.3", createRemoveTimeout: 40 });
    const created = await ks.create(news);
    expect((await keyServerRecord(s.admin, km.id, "10.0.0.3:5696")).create_remove_timeout).toBe(40);
    await s.admin.write("PATCH", `${KM}/${km.id}/key-servers/10.0.0.3%3A5696`, { create_remove_timeout: 5 });
    const drifted = await ks.read(created.id, created.outs);
    expect((drifted.inputs as Props).createRemoveTimeout).toBe(5);
    expect((await ks.diff(created.id, drifted.props, news)).changes).toBe(true);
    s.sim.clearRequestLog();
    await ks.update(created.id, drifted.props, news);
    expect(await calls(s.sim)).toEqual([`PATCH ${KM}/{km}/key-servers/10.0.0.3%3A5696`]);
    expect((await keyServerRecord(s.admin, km.id, "10.0.0.3:5696")).create_remove_timeout).toBe(40);
    // Not set: not managed, so ONTAP's value is no drift.
    const plainInputs = await ksInputs({ keyManager: km.id, server: "10.0.0.4" });
    const plain = await ks.create(plainInputs);
    const read = await ks.read(plain.id, plain.outs);
    expect(read.props).not.toHaveProperty("createRemoveTimeout");
    expect((await ks.diff(plain.id, read.props, plainInputs)).changes).toBe(false);
  });

  test("KeyManager: one PATCH; a refresh keeps it (the key-manager record has none), so no perpetual diff", async () => {
    const created = await create({ external: external(["10.0.0.1"]) });
    const program = { external: external([{ server: "10.0.0.1", createRemoveTimeout: -1 }]) };
    s.sim.clearRequestLog();
    const updated = await update(created.id, created.outs, program);
    expect(await calls(s.sim)).toEqual([`PATCH ${KM}/{km}/key-servers/10.0.0.1%3A5696`]);
    expect((await keyServerRecord(s.admin, created.id, "10.0.0.1:5696")).create_remove_timeout).toBe(-1);
    const read = await kmImpl.read(created.id, updated);
    expect((await diff(created.id, read.props as Props, program)).changes).toBe(false);
  });
});

describe("ONTAP 9.13: secondary key servers work, timeouts -1/0 do not (9.14)", () => {
  const s = useRelease("9.13");

  test("KeyServer createRemoveTimeout: the create fails before any write, naming 9.14", async () => {
    const km = await create({ external: external(["10.0.0.1"]), serverManagement: "listed" });
    s.sim.clearRequestLog();
    const err = await rejection(
      ks.create(await ksInputs({ keyManager: km.id, server: "10.0.0.3", createRemoveTimeout: 30 })),
    );
    expect(err.message).toContain(
      "createRemoveTimeout: key server create/remove timeouts need ONTAP 9.14 or later",
    );
    expect(await calls(s.sim)).toEqual([]);
  });

  test("KeyServer timeout 0: the create fails before any write, naming 9.14 and 9.13.1", async () => {
    const km = await create({ external: external(["10.0.0.1"]), serverManagement: "listed" });
    s.sim.clearRequestLog();
    const err = await rejection(
      ks.create(await ksInputs({ keyManager: km.id, server: "10.0.0.3", timeout: 0 })),
    );
    expect(err.message).toContain("timeout (0): key server timeouts of -1 and 0 need ONTAP 9.14 or later");
    expect(err.message).toContain("runs ONTAP 9.13.1. Nothing was changed.");
    expect(await calls(s.sim)).toEqual([]);
  });

  test("KeyManager: a timeout of -1 fails at diff (preview), and update and create before any write", async () => {
    const created = await create({ external: external(["10.0.0.1"]) });
    const program = { external: external([{ server: "10.0.0.1", timeout: -1 }]) };
    s.sim.clearRequestLog();
    const err = await rejection(diff(created.id, created.outs, program));
    expect(err.message).toContain(
      "external.servers[10.0.0.1:5696].timeout (-1): key server timeouts of -1 and 0 need ONTAP 9.14 or later",
    );
    expect((await rejection(update(created.id, created.outs, program))).message).toContain("need ONTAP 9.14");
    expect(await calls(s.sim)).toEqual([]);
    await kmImpl.delete(created.id, created.outs);
    s.sim.clearRequestLog();
    expect((await rejection(create(program))).message).toContain("need ONTAP 9.14 or later");
    expect(await calls(s.sim)).toEqual([]);
  });

  test("secondaries work on 9.13 (9.11.1 on): one PATCH; ONTAP's 65538503, should it come anyway, is explained", async () => {
    const created = await create({ external: external(["10.0.0.1"]) });
    const program = { external: external([{ server: "10.0.0.1", secondaryKeyServers: ["10.0.0.9"] }]) };
    s.sim.injectFault({
      method: "PATCH",
      path: /\/key-servers\//,
      action: {
        type: "job-failure",
        code: 65538503,
        message: "Support for adding secondary key servers requires an ECV of ONTAP 9.11.1 or later.",
      },
    });
    const err = await rejection(update(created.id, created.outs, program));
    expect(err.message).toContain("need an effective cluster version of ONTAP 9.11.1 or later");
    expect(err.message).toContain("finish upgrading every node");
    s.sim.clearRequestLog();
    await update(created.id, created.outs, program);
    expect(await calls(s.sim)).toEqual([`PATCH ${KM}/{km}/key-servers/10.0.0.1%3A5696`]);
    expect((await keyServerRecord(s.admin, created.id, "10.0.0.1:5696")).secondary_key_servers).toEqual([
      "10.0.0.9:5696",
    ]);
  });
});

describe("ONTAP 9.6: no secondary key servers (9.11.1), key-server passwords work", () => {
  const s = useRelease("9.6");

  test("KeyManager and KeyServer: secondaries fail at diff and before any write, naming 9.11.1 and 9.6.0", async () => {
    const created = await create({ external: external(["10.0.0.1"]), serverManagement: "listed" });
    const program = {
      external: external([{ server: "10.0.0.1", secondaryKeyServers: ["10.0.0.9"] }]),
      serverManagement: "listed",
    };
    s.sim.clearRequestLog();
    const err = await rejection(diff(created.id, created.outs, program));
    expect(err.message).toContain(
      "external.servers[10.0.0.1:5696].secondaryKeyServers: secondary key servers need ONTAP 9.11.1 or later",
    );
    expect(err.message).toContain("runs ONTAP 9.6.0. Nothing was changed.");
    expect((await rejection(update(created.id, created.outs, program))).message).toContain(
      "need ONTAP 9.11.1",
    );
    const ksErr = await rejection(
      ks.create(
        await ksInputs({ keyManager: created.id, server: "10.0.0.3", secondaryKeyServers: ["10.0.0.9"] }),
      ),
    );
    expect(ksErr.message).toContain("secondaryKeyServers: secondary key servers need ONTAP 9.11.1 or later");
    expect(await calls(s.sim)).toEqual([]);
  });

  test("KeyServer password on 9.6: GET, POST, one PATCH with username and password; ONTAP holds it", async () => {
    const km = await create({ external: external(["10.0.0.1"]), serverManagement: "listed" });
    const news = await ksInputs({
      keyManager: km.id,
      server: "10.0.0.3",
      username: "kmip",
      password: "kmip-pw-0001",
    });
    s.sim.clearRequestLog();
    const created = await ks.create(news);
    expect(await calls(s.sim)).toEqual([
      `GET ${KM}/{km}/key-servers/10.0.0.3%3A5696`,
      `POST ${KM}/{km}/key-servers`,
      `PATCH ${KM}/{km}/key-servers/10.0.0.3%3A5696`,
    ]);
    expect(s.sim.checkKeyServerPassword(km.id, "10.0.0.3", "kmip-pw-0001")).toBe(true);
    const next = await ksInputs({ ...news, password: "kmip-pw-0002" });
    await ks.update(created.id, created.outs, next);
    expect(s.sim.checkKeyServerPassword(km.id, "10.0.0.3", "kmip-pw-0002")).toBe(true);
  });
});
