/**
 * The KeyServer provider implementation against the simulator, playing ONTAP 9.6 (synchronous writes) and 9.13
 * (asynchronous jobs): the exact ONTAP calls of each operation, parallel operations on one key manager, ONTAP's
 * refusals explained, refresh (gone, drift), adopt, passwords, and coexistence with a KeyManager.
 *
 * One simulator at a time: each release's block starts its own and closes it when done.
 */

import type * as dynamic from "@pulumi/pulumi/dynamic";
import { startSimulator, type Simulator } from "../../simulator";
import {
  closeAllClients,
  createKeyManager,
  deleteKeyManager,
  listCertificates,
  type OntapClient,
} from "../../provider/ontap";
import {
  addKeyServer,
  deleteKeyServer,
  findKeyServer,
  updateKeyServer,
} from "../../provider/ontap/keyServers";
import { clientFor } from "../../provider/resources/impl/connection";
import { PartialStateError } from "../../provider/resources/impl/failures";
import * as kmImpl from "../../provider/resources/impl/keyManagerProvider";
import * as ks from "../../provider/resources/impl/keyServerProvider";

const PASSWORD = "kmip-password-4711-never-shown";

/** A `configure` request whose config answers like the stack config of a program using the simulator. */
function configureRequest(sim: Simulator, extra: Record<string, string> = {}): dynamic.ConfigureRequest {
  const values: Record<string, string> = {
    "ontap:host": sim.url,
    "ontap:username": sim.username,
    "ontap:password": sim.password,
    "ontap:caCert": sim.caCert,
    ...extra,
  };
  // Only `get` is used, as on a real pulumi.Config.
  return { config: { get: (key: string) => values[key] } } as unknown as dynamic.ConfigureRequest;
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`rejected with a non-Error: ${String(err)}`, { cause: err });
  }
  throw new Error("expected the call to fail, but it succeeded");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe.each(["9.6", "9.13"])("ONTAP %s", (version) => {
  const later = version !== "9.6";
  let sim: Simulator;
  let client: OntapClient;
  let clientCertUuid: string;
  let caUuid: string;
  let km: string;

  /** Status of a write that ONTAP accepted: synchronous on 9.6, a job on later releases. */
  // Writes carry return_timeout: a later release answers a quick write as 9.6 does, once its job has ended.
  const ok = (status: number): number => status;
  /** Status of a write that ONTAP refused: 400 (on later releases, the job's failure within return_timeout). */
  const refused = 400;

  /** Calls since the last clear, as "METHOD path status", key manager UUID as {km}, job polls left out. */
  function calls(): string[] {
    return (
      sim
        .requestLog()
        .sort((a, b) => a.seq - b.seq)
        .filter((e) => !e.path.startsWith("/api/cluster/jobs/"))
        // return_timeout rides on every write (test/ontap checks it): left out.
        .map((e) => ({
          ...e,
          path: e.path.replace(/([?&])return_timeout=\d+(&|$)/, (_m, p1: string, p2: string) =>
            p2 ? p1 : "",
          ),
        }))
        .map((e) => `${e.method} ${e.path.split(km).join("{km}")} ${e.status}`)
    );
  }

  /** The calls once `expected` are logged (an entry is logged when its response has closed; bounded wait). */
  async function callsAfter(expected: number): Promise<string[]> {
    const until = Date.now() + 2_000;
    while (calls().length < expected && Date.now() < until) await sleep(10);
    await sleep(20);
    return calls();
  }

  const ksPath = (server: string): string =>
    `/api/security/key-managers/{km}/key-servers/${encodeURIComponent(server)}`;
  const collection = "/api/security/key-managers/{km}/key-servers";
  // 9.13 has secondary servers (9.11.1 on), 9.6 has neither them nor connectivity.
  const readFields = `?fields=uuid,server,timeout,username${later ? ",secondary_key_servers,connectivity" : ""}`;
  const baseFields = `?fields=uuid,server,timeout,username${later ? ",secondary_key_servers" : ""}`;
  /** The read a create makes before it writes, when the server is not there yet. */
  const preRead = (server: string): string => `GET ${ksPath(server)}${baseFields} 404`;
  /** The read of its connectivity that ends a create on releases that report it; none on 9.6. */
  const connectivityRead = (server: string): string[] =>
    later ? [`GET ${ksPath(server)}${readFields} 200`] : [];
  /** What a create returns: the inputs, plus the connectivity the simulator reports on later releases. */
  const createdOuts = (news: Record<string, unknown>): Record<string, unknown> =>
    later
      ? {
          ...news,
          connectivity: {
            clusterAvailability: true,
            nodeStates: [
              { node: "cluster1-01", state: "available" },
              { node: "cluster1-02", state: "available" },
            ],
          },
        }
      : news;

  /** Checked inputs, as the engine passes them to create/update/diff. */
  async function inputs(news: Record<string, unknown>): Promise<Record<string, unknown>> {
    const result = await ks.check({}, { keyManager: km, ...news });
    expect(result.failures).toEqual([]);
    return result.inputs as Record<string, unknown>;
  }

  async function newKeyManager(servers: string[], svm?: string): Promise<string> {
    const record = await createKeyManager(client, {
      ...(svm !== undefined ? { svm: { name: svm } } : {}),
      external: {
        clientCertificate: { uuid: clientCertUuid },
        serverCaCertificates: [{ uuid: caUuid }],
        servers: servers.map((server) => ({ server })),
      },
    });
    return record.uuid;
  }

  beforeAll(async () => {
    sim = await startSimulator({ ontapVersion: version, jobDelayMs: 10 });
    await ks.configure(configureRequest(sim));
    // The provider's own client (shared per cluster and process); its version probe is made once, here.
    client = clientFor(undefined);
    await client.clusterInfo();
    const installed = await listCertificates(client);
    clientCertUuid = installed.find((c) => c.name === "cluster-client")!.uuid;
    caUuid = installed.find((c) => c.name === "cluster-ca-1")!.uuid;
  });

  afterAll(async () => {
    await closeAllClients();
    await sim?.close();
  });

  beforeEach(async () => {
    sim.reset();
    km = await newKeyManager(["10.0.0.1"]);
    await callsAfter(1);
    sim.clearRequestLog();
  });

  test("create (a GET, then a POST), read, update, delete (one call each); host and host:5696 are the same server", async () => {
    const news = await inputs({ server: "KS1.Example.com" });
    expect(news).toEqual({
      keyManager: km,
      server: "ks1.example.com:5696",
      timeout: 25,
      username: "",
      adopt: false,
    });

    const created = await ks.create(news);
    expect(created.id).toBe(`${km}/ks1.example.com:5696`);
    expect(created.outs).toEqual(createdOuts(news));
    expect(await callsAfter(later ? 3 : 2)).toEqual([
      preRead("ks1.example.com:5696"),
      `POST ${collection} ${ok(201)}`,
      ...connectivityRead("ks1.example.com:5696"),
    ]);

    // check and diff make no calls
    sim.clearRequestLog();
    const same = await inputs({ server: "ks1.example.com:5696" });
    expect(await ks.diff(created.id, created.outs, same)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: true,
    });

    const read = await ks.read(created.id, created.outs);
    expect(await callsAfter(1)).toEqual([`GET ${ksPath("ks1.example.com:5696")}${readFields} 200`]);
    expect(read.id).toBe(created.id);
    expect(read.inputs).toEqual(news);
    // The first refresh finds the outputs the create recorded: connectivity included, nothing to show.
    expect(read.props).toEqual(created.outs);
    // connectivity is not an input: no diff
    expect((await ks.diff(created.id, read.props, news)).changes).toBe(false);

    sim.clearRequestLog();
    const changed = await inputs({ server: "ks1.example.com", timeout: 40, username: "kmip" });
    expect(await ks.diff(created.id, read.props, changed)).toMatchObject({ changes: true, replaces: [] });
    const updated = await ks.update(created.id, read.props, changed);
    expect(await callsAfter(1)).toEqual([`PATCH ${ksPath("ks1.example.com:5696")} ${ok(200)}`]);
    expect(updated.outs).toEqual({
      ...changed,
      ...(later ? { connectivity: (read.props as { connectivity?: unknown }).connectivity } : {}),
    });
    expect(await findKeyServer(client, km, "ks1.example.com:5696")).toMatchObject({
      timeout: 40,
      username: "kmip",
    });
    expect((await ks.diff(created.id, updated.outs, changed)).changes).toBe(false);

    sim.clearRequestLog();
    await ks.delete(created.id, updated.outs);
    expect(await callsAfter(1)).toEqual([`DELETE ${ksPath("ks1.example.com:5696")} ${ok(200)}`]);
    expect(await findKeyServer(client, km, "ks1.example.com:5696")).toBeUndefined();

    // Already gone is success.
    sim.clearRequestLog();
    await ks.delete(created.id, updated.outs);
    expect(await callsAfter(1)).toEqual([`DELETE ${ksPath("ks1.example.com:5696")} ${refused}`]);
  });

  test("a create with timeout and username is a POST of the address, then one PATCH of the settings", async () => {
    const created = await ks.create(await inputs({ server: "[FD00::0:7]:5697", timeout: 7, username: "u1" }));
    expect(created.id).toBe(`${km}/[fd00::7]:5697`);
    expect(await callsAfter(later ? 4 : 3)).toEqual([
      preRead("[fd00::7]:5697"),
      `POST ${collection} ${ok(201)}`,
      `PATCH ${ksPath("[fd00::7]:5697")} ${ok(200)}`,
      ...connectivityRead("[fd00::7]:5697"),
    ]);
    expect(await findKeyServer(client, km, "[fd00::7]:5697")).toMatchObject({ timeout: 7, username: "u1" });
  });

  test("changing only adopt makes no call", async () => {
    const created = await ks.create(await inputs({ server: "10.0.0.2" }));
    sim.clearRequestLog();
    const updated = await ks.update(
      created.id,
      created.outs,
      await inputs({ server: "10.0.0.2", adopt: true }),
    );
    expect(updated.outs).toMatchObject({ adopt: true });
    await sleep(50);
    expect(calls()).toEqual([]);
  });

  test("a server the key manager already has: a clear error, or taken over with adopt", async () => {
    const err = await rejectionOf(ks.create(await inputs({ server: "10.0.0.1", timeout: 30 })));
    expect(err.message).toContain(`key manager ${km} already has key server 10.0.0.1:5696`);
    expect(err.message).toContain("adopt: true");
    expect(err.message).toContain("Nothing was changed");
    // Read before writing: found, so no write at all.
    expect(await callsAfter(1)).toEqual([`GET ${ksPath("10.0.0.1:5696")}${baseFields} 200`]);

    sim.clearRequestLog();
    const adopted = await ks.create(await inputs({ server: "10.0.0.1:5696", timeout: 30, adopt: true }));
    expect(adopted).toEqual({
      id: `${km}/10.0.0.1:5696`,
      outs: createdOuts({ keyManager: km, server: "10.0.0.1:5696", timeout: 30, username: "", adopt: true }),
    });
    expect(await callsAfter(later ? 3 : 2)).toEqual([
      `GET ${ksPath("10.0.0.1:5696")}${baseFields} 200`,
      `PATCH ${ksPath("10.0.0.1:5696")} ${ok(200)}`,
      ...connectivityRead("10.0.0.1:5696"),
    ]);
    expect(await findKeyServer(client, km, "10.0.0.1:5696")).toMatchObject({ timeout: 30 });

    // Adopting a server that is not there yet just adds it.
    sim.clearRequestLog();
    await ks.create(await inputs({ server: "10.0.0.3", adopt: true }));
    expect(await callsAfter(later ? 3 : 2)).toEqual([
      `GET ${ksPath("10.0.0.3:5696")}${baseFields} 404`,
      `POST ${collection} ${ok(201)}`,
      ...connectivityRead("10.0.0.3:5696"),
    ]);
  });

  test("4 KeyServers created, changed and deleted in parallel all succeed; a 5th is refused, explained", async () => {
    // Room for 4: the key manager's initial server is removed behind its back.
    await deleteKeyServer(client, km, "10.0.0.1:5696");
    const servers = ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4"];
    sim.clearRequestLog();
    const created = await Promise.all(servers.map(async (server) => ks.create(await inputs({ server }))));
    expect(created.map((c) => c.id).sort()).toEqual(servers.map((s) => `${km}/${s}:5696`));
    expect((await callsAfter(later ? 12 : 8)).filter((c) => c.startsWith("POST"))).toEqual(
      Array(4).fill(`POST ${collection} ${ok(201)}`),
    );
    expect(calls().filter((c) => c.startsWith("GET"))).toHaveLength(later ? 8 : 4);
    /** Writes (W) and job polls (J) in arrival order: serialised writes each finish their job before the next. */
    const order = (): string =>
      sim
        .requestLog()
        .sort((a, b) => a.seq - b.seq)
        .map((e) => (e.path.startsWith("/api/cluster/jobs/") ? "J" : "W"))
        .join("");
    // Each create's GET and POST (and the POST's job polls, when a job outlasts return_timeout) run before the
    // next create starts.
    if (later) expect(order()).toMatch(/^(WWJ*W){4}$/);

    sim.clearRequestLog();
    const err = await rejectionOf(ks.create(await inputs({ server: "10.1.0.5" })));
    expect(err.message).toContain(`key manager ${km} already has 4 key servers`);
    expect(err.message).toContain("65536038");
    expect(err.message).toContain("Fix: remove a key server first");
    expect(await callsAfter(2)).toEqual([preRead("10.1.0.5:5696"), `POST ${collection} ${refused}`]);

    sim.clearRequestLog();
    const updated = await Promise.all(
      created.map(async (c) =>
        ks.update(c.id, c.outs, await inputs({ server: (c.outs as { server: string }).server, timeout: 50 })),
      ),
    );
    expect(updated.map((u) => (u.outs as { timeout: number }).timeout)).toEqual([50, 50, 50, 50]);
    expect((await callsAfter(4)).sort()).toEqual(
      servers.map((s) => `PATCH ${ksPath(`${s}:5696`)} ${ok(200)}`),
    );
    if (later) expect(order()).toMatch(/^(WJ*){4}$/);

    sim.clearRequestLog();
    await Promise.all(created.map((c, i) => ks.delete(c.id, updated[i]!.outs)));
    expect((await callsAfter(4)).sort()).toEqual(
      servers.map((s) => `DELETE ${ksPath(`${s}:5696`)} ${ok(200)}`),
    );
    if (later) expect(order()).toMatch(/^(WJ*){4}$/);
    for (const s of servers) expect(await findKeyServer(client, km, s)).toBeUndefined();
  });

  test("deleting the last server holding some keys is refused (65536700), explained, nothing changed", async () => {
    const created = await ks.create(await inputs({ server: "10.0.0.2" }));
    sim.setServerHoldsKeys(km, "10.0.0.2:5696", true);
    sim.clearRequestLog();
    const err = await rejectionOf(ks.delete(created.id, created.outs));
    expect(err.message).toContain(`key server 10.0.0.2:5696 of key manager ${km} was NOT removed`);
    expect(err.message).toContain("65536700");
    expect(err.message).toContain("Fix: first add a key server that holds the same keys");
    expect(await callsAfter(1)).toEqual([`DELETE ${ksPath("10.0.0.2:5696")} ${refused}`]);
    expect(await findKeyServer(client, km, "10.0.0.2:5696")).toBeDefined();

    // Once another server holds the keys too, it goes.
    sim.setServerHoldsKeys(km, "10.0.0.1:5696", true);
    await ks.delete(created.id, created.outs);
    expect(await findKeyServer(client, km, "10.0.0.2:5696")).toBeUndefined();
  });

  test("read: a server removed out of band, or its key manager, is gone", async () => {
    const created = await ks.create(await inputs({ server: "10.0.0.2" }));
    await deleteKeyServer(client, km, "10.0.0.2:5696");
    expect(await ks.read(created.id, created.outs)).toEqual({ id: "", props: {} });

    const other = await ks.create(await inputs({ server: "10.0.0.3" }));
    await deleteKeyManager(client, km);
    expect(await ks.read(other.id, other.outs)).toEqual({ id: "", props: {} });
  });

  test("read: timeout and username changed out of band are drift, and the next update reverts them", async () => {
    const news = await inputs({ server: "10.0.0.2", timeout: 20, username: "alice" });
    const created = await ks.create(news);
    await updateKeyServer(client, km, "10.0.0.2:5696", { timeout: 59, username: "mallory" });

    const read = await ks.read(created.id, created.outs);
    expect(read.inputs).toEqual({ ...news, timeout: 59, username: "mallory" });
    expect(read.props).toMatchObject({ timeout: 59, username: "mallory" });
    expect(await ks.diff(created.id, read.props, news)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: true,
    });

    sim.clearRequestLog();
    await ks.update(created.id, read.props, news);
    expect(await callsAfter(1)).toEqual([`PATCH ${ksPath("10.0.0.2:5696")} ${ok(200)}`]);
    expect(await findKeyServer(client, km, "10.0.0.2:5696")).toMatchObject({
      timeout: 20,
      username: "alice",
    });
  });

  if (!later) {
    test("a lost POST answer is reconciled by reading the server back", async () => {
      sim.injectFault({ method: "POST", path: /\/key-servers$/, action: { type: "drop-after-apply" } });
      const created = await ks.create(await inputs({ server: "10.0.0.2", timeout: 9 }));
      expect(created.id).toBe(`${km}/10.0.0.2:5696`);
      expect(await callsAfter(4)).toEqual([
        preRead("10.0.0.2:5696"),
        `POST ${collection} 0`,
        `GET ${ksPath("10.0.0.2:5696")}${baseFields} 200`,
        `PATCH ${ksPath("10.0.0.2:5696")} 200`,
      ]);
      expect(await findKeyServer(client, km, "10.0.0.2:5696")).toMatchObject({ timeout: 9 });
    });
  }

  // The 9.6 PATCH reference documents `password` already: the same calls on every release.
  {
    test("password: one PATCH after the POST; a change is one PATCH; never in errors", async () => {
      const news = await inputs({ server: "10.0.0.2", username: "u", password: PASSWORD });
      const created = await ks.create(news);
      expect(created.outs).toEqual(createdOuts({ ...news, password: PASSWORD }));
      expect(await callsAfter(4)).toEqual([
        preRead("10.0.0.2:5696"),
        `POST ${collection} ${ok(201)}`,
        `PATCH ${ksPath("10.0.0.2:5696")} ${ok(200)}`,
        ...connectivityRead("10.0.0.2:5696"),
      ]);

      sim.clearRequestLog();
      const rotated = await inputs({ server: "10.0.0.2", username: "u", password: `${PASSWORD}-2` });
      expect(await ks.diff(created.id, created.outs, rotated)).toMatchObject({ changes: true, replaces: [] });
      const updated = await ks.update(created.id, created.outs, rotated);
      expect(updated.outs).toMatchObject({ password: `${PASSWORD}-2` });
      expect(await callsAfter(1)).toEqual([`PATCH ${ksPath("10.0.0.2:5696")} ${ok(200)}`]);

      // Refresh keeps the password (ONTAP never shows it): no perpetual diff.
      const read = await ks.read(created.id, updated.outs);
      expect((await ks.diff(created.id, read.props, rotated)).changes).toBe(false);
    });

    test("password: a failed PATCH after the POST records the server without its password", async () => {
      sim.injectFault({
        method: "PATCH",
        path: /\/key-servers\//,
        action: { type: "job-failure", code: 65536921, message: "KMIP command failed" },
      });
      const news = await inputs({ server: "10.0.0.2", username: "u", password: PASSWORD });
      const err = await rejectionOf(ks.create(news));
      expect(err).toBeInstanceOf(PartialStateError);
      const partial = err as PartialStateError;
      expect(partial.id).toBe(`${km}/10.0.0.2:5696`);
      expect(partial.properties).toEqual({
        keyManager: km,
        server: "10.0.0.2:5696",
        timeout: 25,
        username: "",
        adopt: false,
      });
      expect(partial.message).toContain("could not apply its settings and password");
      expect(partial.message).toContain("65536921");
      expect(partial.message).not.toContain(PASSWORD);
      expect(JSON.stringify(partial.reasons)).not.toContain(PASSWORD);
      // The next `pulumi up` sees the password as a change and sends it.
      expect((await ks.diff(partial.id, partial.properties, news)).changes).toBe(true);
    });
  }

  test("coexistence: a listed KeyManager with 2 servers and 2 KeyServers on it converge with no diff", async () => {
    await deleteKeyManager(client, km);
    const kmNews = await kmImpl.check(
      {},
      {
        external: {
          clientCertificate: "cluster-client",
          serverCaCertificates: ["cluster-ca-1"],
          servers: ["10.2.0.1", { server: "10.2.0.2", timeout: 30 }],
        },
        serverManagement: "listed",
      },
    );
    expect(kmNews.failures).toEqual([]);
    const kmCreated = await kmImpl.create(kmNews.inputs);
    km = kmCreated.id;

    const ksNews = [
      await inputs({ server: "10.2.0.3", username: "svc" }),
      await inputs({ server: "10.2.0.4:5697", timeout: 45 }),
    ];
    const created = await Promise.all(ksNews.map((n) => ks.create(n)));

    const kmRead = await kmImpl.read(km, kmCreated.outs);
    expect(await kmImpl.diff(km, kmRead.props, kmNews.inputs)).toMatchObject({ changes: false });
    for (const [i, c] of created.entries()) {
      const read = await ks.read(c.id, c.outs);
      expect(await ks.diff(c.id, read.props, ksNews[i])).toMatchObject({ changes: false });
    }
    // An update of the listed KeyManager leaves the KeyServers alone.
    const kmUpdated = await kmImpl.update(km, kmRead.props, kmNews.inputs);
    expect(kmUpdated.outs).toMatchObject({ uuid: km });
    for (const c of created) expect((await ks.read(c.id, c.outs)).id).toBe(c.id);
  });

  test("coexistence: a rogue server on an authoritative KeyManager stays visible as drift", async () => {
    await deleteKeyManager(client, km);
    const kmNews = await kmImpl.check(
      {},
      {
        external: {
          clientCertificate: "cluster-client",
          serverCaCertificates: ["cluster-ca-1"],
          servers: ["10.3.0.1"],
        },
      },
    );
    const kmCreated = await kmImpl.create(kmNews.inputs);
    km = kmCreated.id;
    await addKeyServer(client, km, { server: "10.3.0.66" });

    const kmRead = await kmImpl.read(km, kmCreated.outs);
    expect(JSON.stringify(kmRead.props)).toContain("10.3.0.66:5696");
    expect(await kmImpl.diff(km, kmRead.props, kmNews.inputs)).toMatchObject({ changes: true });
  });

  test("a server the KeyManager lists is never taken over, even when the KeyServer's POST answer is lost", async () => {
    await deleteKeyManager(client, km);
    const kmNews = await kmImpl.check(
      {},
      {
        external: {
          clientCertificate: "cluster-client",
          serverCaCertificates: ["cluster-ca-1"],
          servers: ["10.2.0.1", { server: "10.2.0.2", timeout: 30 }],
        },
        serverManagement: "listed",
      },
    );
    const kmCreated = await kmImpl.create(kmNews.inputs);
    km = kmCreated.id;
    await callsAfter(1);
    sim.clearRequestLog();
    // Today's main: the reset made the create look the server up, find the KeyManager's and converge it.
    sim.injectFault({ method: "POST", path: /\/key-servers$/, action: { type: "reset" } });
    const err = await rejectionOf(ks.create(await inputs({ server: "10.2.0.2", timeout: 40 })));
    sim.clearFaults();
    expect(err.message).toContain(`key manager ${km} already has key server 10.2.0.2:5696`);
    expect(err.message).toContain("`adopt: true`");
    expect(err.message).toContain("Nothing was changed");
    expect(await callsAfter(1)).toEqual([`GET ${ksPath("10.2.0.2:5696")}${baseFields} 200`]);
    expect(await findKeyServer(client, km, "10.2.0.2:5696")).toMatchObject({ timeout: 30, username: "" });
    // The KeyManager still owns it, unchanged: no diff.
    const kmRead = await kmImpl.read(km, kmCreated.outs);
    expect(await kmImpl.diff(km, kmRead.props, kmNews.inputs)).toMatchObject({ changes: false });
  });

  test("a lost POST answer is reconciled into the server the read before it proved absent", async () => {
    // Later releases: the POST's job still runs when the provider first looks.
    if (later) sim.setJobDelay(150);
    sim.injectFault({ method: "POST", path: /\/key-servers$/, action: { type: "drop-after-apply" } });
    const news = await inputs({ server: "10.0.0.2", timeout: 9, username: "u" });
    const created = await ks.create(news);
    sim.setJobDelay(10);
    expect(created).toEqual({ id: `${km}/10.0.0.2:5696`, outs: createdOuts(news) });
    const log = await callsAfter(later ? 5 : 4);
    expect(log.slice(0, 2)).toEqual([preRead("10.0.0.2:5696"), `POST ${collection} 0`]);
    expect(log.slice(later ? -2 : -1)).toEqual([
      `PATCH ${ksPath("10.0.0.2:5696")} ${ok(200)}`,
      ...connectivityRead("10.0.0.2:5696"),
    ]);
    expect(await findKeyServer(client, km, "10.0.0.2:5696")).toMatchObject({ timeout: 9, username: "u" });
    const read = await ks.read(created.id, created.outs);
    expect((await ks.diff(created.id, read.props, news)).changes).toBe(false);
  });

  test("a profile change proves it reaches the same server with one GET; another cluster fails, state kept", async () => {
    const other = await startSimulator({ ontapVersion: version, jobDelayMs: 10 });
    try {
      const profiles = JSON.stringify({
        same: { host: sim.url },
        other: { host: other.url, username: other.username, password: other.password, caCert: other.caCert },
      });
      await ks.configure(configureRequest(sim, { "ontap:profiles": profiles }));
      const created = await ks.create(await inputs({ server: "10.0.0.2" }));
      await callsAfter(2);
      sim.clearRequestLog();

      const renamed = await ks.update(
        created.id,
        created.outs,
        await inputs({ server: "10.0.0.2", profile: "same" }),
      );
      expect(renamed.outs).toMatchObject({ profile: "same" });
      expect(await callsAfter(1)).toEqual([`GET ${ksPath("10.0.0.2:5696")}${baseFields} 200`]);

      sim.clearRequestLog();
      const err = await rejectionOf(
        ks.update(
          created.id,
          renamed.outs,
          await inputs({ server: "10.0.0.2", profile: "other", timeout: 30 }),
        ),
      );
      expect(err.message).toContain(
        `key server 10.0.0.2:5696 of key manager ${km} was not found through profile "other"`,
      );
      expect(err.message).toContain('Nothing was changed; the stack keeps profile "same"');
      await sleep(50);
      // Nothing written anywhere: the other cluster saw one GET, this one nothing.
      expect(
        other
          .requestLog()
          .filter((e) => !e.path.startsWith("/api/cluster"))
          .map((e) => `${e.method} ${e.status}`),
      ).toEqual(["GET 404"]);
      expect(calls()).toEqual([]);
      expect(await findKeyServer(client, km, "10.0.0.2:5696")).toMatchObject({ timeout: 25 });

      // Back to the default connection: proven the same way.
      sim.clearRequestLog();
      const back = await ks.update(created.id, renamed.outs, await inputs({ server: "10.0.0.2" }));
      expect(back.outs).not.toHaveProperty("profile");
      expect(await callsAfter(1)).toEqual([`GET ${ksPath("10.0.0.2:5696")}${baseFields} 200`]);
    } finally {
      await ks.configure(configureRequest(sim));
      await other.close();
    }
  });

  if (later) {
    test("a bare % in an unrelated pending job's description does not stop the wait for our own job", async () => {
      const vs0 = await kmImpl.check(
        {},
        {
          svm: "vs0",
          external: {
            clientCertificate: "vs0-client",
            serverCaCertificates: ["vs0-ca-1"],
            servers: ["10.9.0.1"],
          },
        },
      );
      const unrelated = (await kmImpl.create(vs0.inputs)).id;
      sim.setJobDelay(200);
      sim.clearRequestLog();
      // A job whose description (its request path) holds "odd%na...": not a URL escape.
      const odd = deleteKeyServer(client, unrelated, "odd%name.example.com:5696").catch(() => undefined);
      const until = Date.now() + 2_000;
      while (!sim.requestLog().some((e) => e.method === "DELETE") && Date.now() < until) await sleep(5);
      sim.injectFault({ method: "POST", path: /\/key-servers$/, action: { type: "drop-after-apply" } });
      // Our POST's job ends after the unrelated one (jobs end in submission order): only a wait finds it.
      const created = await ks.create(await inputs({ server: "10.0.0.2" }));
      await odd;
      sim.setJobDelay(10);
      expect(created.id).toBe(`${km}/10.0.0.2:5696`);
      expect(await findKeyServer(client, km, "10.0.0.2:5696")).toBeDefined();
    });

    test("removing a password fails at check and diff, saying how to proceed; nothing is sent", async () => {
      const news = await inputs({ server: "10.0.0.2", username: "u", password: PASSWORD });
      const created = await ks.create(news);
      await callsAfter(3);
      sim.clearRequestLog();
      const without = { keyManager: km, server: "10.0.0.2", username: "u" };
      const result = await ks.check(news, without);
      expect(result.failures).toEqual([
        { property: "", reason: expect.stringContaining("password: cannot be removed") as string },
      ]);
      expect(JSON.stringify(result.failures)).toContain("Fix: keep `password`");
      expect(JSON.stringify(result.failures)).not.toContain(PASSWORD);
      const err = await rejectionOf(ks.diff(created.id, created.outs, result.inputs));
      expect(err.message).toContain("password: cannot be removed");
      expect(err.message).not.toContain(PASSWORD);
      await sleep(50);
      expect(calls()).toEqual([]);
    });
  }
});
