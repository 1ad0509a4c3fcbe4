/**
 * The KeyManager provider implementation (configure/check/diff/create/read/update/delete) against the simulator
 * over HTTPS, in both release behaviours: 9.6 (synchronous writes) and 9.13 (202 + job). Every case asserts the
 * exact ONTAP calls from the simulator's request log: version probes (`GET /api/cluster`) are ignored and job polls
 * (`GET /api/cluster/jobs/{uuid}`) are counted apart, since their number depends on timing.
 */
import { inspect } from "node:util";
import { OntapAdmin } from "../support/ontapAdmin";
import { closeAllClients } from "../../provider/ontap";
import * as provider from "../../provider/resources/impl/keyManagerProvider";
import { UNKNOWN, parseKeyManagerOutputs, type KeyManagerOutputs } from "../../provider/resources/model";
import { startSimulator, type RequestLogEntry, type Simulator } from "../../simulator";
import { type Props, SERIALIZED, configure, create, diff, update } from "../support/keyManagerDriver";
import { rejection as failure } from "../support/rejection";

type Server = string | { server: string; timeout?: number; username?: string };

const KM = "/api/security/key-managers";
const CERTS = "/api/security/certificates";

const PASSPHRASE = "Onboard-Passphrase-Alpha-0123456789-xyz";
const NEW_PASSPHRASE = "Onboard-Passphrase-Bravo-9876543210-abc";

/** The calls the simulator saw, once its log has settled (entries are recorded when a response closes). */
interface Observed {
  /** `METHOD path?filters` without `fields`/`max_records`, key manager UUIDs as `{km}`; no probes, no job polls. */
  calls: string[];
  /** `GET /api/cluster/jobs/{uuid}` polls. */
  jobPolls: number;
  /** Every entry, unfiltered. */
  entries: RequestLogEntry[];
}

function label(e: RequestLogEntry): string {
  const [pathname = "", query = ""] = e.path.split("?");
  const path = pathname.replace(/(key-managers\/)[0-9a-f-]{36}/, "$1{km}");
  // return_timeout rides on every write (test/ontap checks it), so it is left out like fields.
  const params = query.split("&").filter((p) => p !== "" && !/^(fields|max_records|return_timeout)=/.test(p));
  return `${e.method} ${path}${params.length > 0 ? `?${params.join("&")}` : ""}`;
}

const isProbe = (e: RequestLogEntry): boolean =>
  e.method === "GET" && e.path.split("?")[0] === "/api/cluster";
const isJobPoll = (e: RequestLogEntry): boolean => /^\/api\/cluster\/jobs\/[^/?]+/.test(e.path);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function observed(sim: Simulator): Promise<Observed> {
  let last = -1;
  let stable = 0;
  const until = Date.now() + 3_000;
  while (stable < 3 && Date.now() < until) {
    await sleep(15);
    const n = sim.requestLog().length;
    stable = n === last ? stable + 1 : 0;
    last = n;
  }
  const entries = sim.requestLog();
  return {
    calls: entries.filter((e) => !isProbe(e) && !isJobPoll(e)).map(label),
    jobPolls: entries.filter(isJobPoll).length,
    entries,
  };
}

const parsed = (outs: unknown): KeyManagerOutputs => parseKeyManagerOutputs(outs);

const external = (servers: Server[], client = "cluster-client", cas = ["cluster-ca-1"]): Props => ({
  clientCertificate: client,
  serverCaCertificates: cas,
  servers,
});

interface SimKeyManager {
  uuid: string;
  scope: string;
  svm?: { name: string };
  external?: {
    client_certificate: { uuid: string };
    server_ca_certificates: { uuid: string }[];
    servers: { server: string; timeout: number; username: string }[];
  };
  onboard?: { enabled: boolean };
}

describe.each(["9.6", "9.13"])("KeyManager provider against ONTAP %s", (version) => {
  const later = version !== "9.6";
  let sim: Simulator;
  let admin: OntapAdmin;
  let config: Record<string, string>;
  const certs = new Map<string, string>();
  const cert = (name: string): string => {
    const uuid = certs.get(name);
    if (uuid === undefined) throw new Error(`no certificate ${name}`);
    return uuid;
  };
  /** On later releases a create answers with a job, so the new key manager is looked up by scope. */
  // A create carries return_timeout: a later release returns the record once the job has ended, as 9.6 does, so
  // there is no read-back by scope (the onboard key backup is read back by UUID, see that test).
  const lookup = (_scope: string): string[] => [];
  /** Later releases: the health outputs (status, connectivity) are read back by UUID after the create. */
  const healthRead = (): string[] => (later ? [`GET ${KM}/{km}`] : []);
  /** The health outputs of a key manager with one key server on 2 nodes, as a later release reports them. */
  const healthy = (servers: string[]): Props =>
    later
      ? {
          status: { code: 65537200, message: "No action needed at this time." },
          connectivity: Object.fromEntries(
            servers.map((s) => [
              s,
              {
                clusterAvailability: true,
                nodeStates: [
                  { node: "cluster1-01", state: "available" },
                  { node: "cluster1-02", state: "available" },
                ],
              },
            ]),
          ),
        }
      : {};
  const kms = (): SimKeyManager[] => sim.keyManagers() as SimKeyManager[];
  const onlyKm = (): SimKeyManager => {
    const all = kms();
    expect(all).toHaveLength(1);
    return all[0]!;
  };
  const serversOnOntap = (): string[] => (onlyKm().external?.servers ?? []).map((s) => s.server).sort();
  /** Puts a key manager on ONTAP by hand and returns its UUID. */
  const seed = async (body: Props): Promise<string> => {
    await admin.write("POST", KM, body);
    const scope = (body.svm as { name?: string } | undefined)?.name;
    const km = kms().find((k) => k.svm?.name === scope);
    if (!km) throw new Error("seeded key manager not found");
    return km.uuid;
  };
  const expectWrites = (o: Observed, _writes: number): void => {
    // Every write (however many) ends within return_timeout here: no job poll on any release.
    expect(o.jobPolls).toBe(0);
  };

  beforeAll(async () => {
    sim = await startSimulator({ ontapVersion: version, jobDelayMs: 20 });
    admin = new OntapAdmin(sim);
    config = {
      "ontap:host": sim.url,
      "ontap:username": sim.username,
      "ontap:password": sim.password,
      "ontap:caCert": sim.caCert,
    };
    const list = (await admin.call("GET", `${CERTS}?fields=uuid,name`)) as {
      records: { uuid: string; name: string }[];
    };
    for (const c of list.records) certs.set(c.name, c.uuid);
  });

  beforeEach(async () => {
    sim.reset();
    await configure(config);
  });

  afterAll(async () => {
    await admin?.close();
    await closeAllClients();
    await sim?.close();
  });

  describe("check and diff", () => {
    test("make no network call, and connection settings never make a diff", async () => {
      const { id, outs } = await create({ external: external(["10.0.0.1"]) });
      sim.clearRequestLog();
      // Another spelling of the same cluster, other timeouts: connection comes from configure, not from inputs.
      await configure({ ...config, "ontap:host": sim.url.replace("https://", ""), "ontap:deadline": "120" });
      expect((await diff(id, outs, { external: external(["10.0.0.1"]) })).changes).toBe(false);
      const invalid = await provider.check({}, { onboard: { passphrase: "short" }, svm: "vs0" });
      expect(invalid.failures?.length).toBeGreaterThan(0);
      const preview = await provider.check(
        {},
        { external: { clientCertificate: UNKNOWN, serverCaCertificates: UNKNOWN, servers: [UNKNOWN] } },
      );
      expect(preview.failures ?? []).toEqual([]);
      expect(await provider.diff(id, outs, preview.inputs)).toMatchObject({ changes: true, replaces: [] });
      expect((await observed(sim)).entries).toEqual([]);
    });

    test("validation failures name the field and never echo the passphrase", async () => {
      const secretish = "Tooshort-Secret-Value-42";
      const failures = async (raw: Props): Promise<string> => {
        const result = await provider.check({}, raw);
        const text = JSON.stringify(result.failures ?? []);
        expect(text).not.toContain(secretish);
        expect(text).not.toContain(PASSPHRASE);
        return text;
      };
      expect(await failures({ onboard: { passphrase: secretish } })).toBe(
        JSON.stringify([
          { property: "", reason: "onboard.passphrase: must be 32 to 256 characters long (value: secret)" },
        ]),
      );
      expect(await failures({ onboard: { passphrase: `${PASSPHRASE}\u00e9` } })).toMatch(
        /"onboard\.passphrase:.*printable ASCII/,
      );
      expect(
        await failures({ onboard: { passphrase: PASSPHRASE }, external: external(["10.0.0.1"]) }),
      ).toContain("external and onboard are mutually exclusive");
      expect(await failures({})).toContain("set exactly one of external");
      expect(await failures({ svm: "vs0", onboard: { passphrase: PASSPHRASE } })).toMatch(
        /"property":"svm".*only available at cluster scope/,
      );
      expect(await failures({ external: external(["a", "b", "c", "d", "e"]) })).toMatch(
        /"external\.servers:.*1 to 4 key servers/,
      );
      expect(await failures({ external: external([]) })).toMatch(/"external\.servers:.*1 to 4 key servers/);
      expect(await failures({ external: external(["10.0.0.1", "10.0.0.1:5696"]) })).toMatch(
        /"external\.servers\[1\]:.*same key server as entry \[0\]/,
      );
      expect(await failures({ external: external(["h:70000"]) })).toMatch(
        /"external\.servers\[0\]:.*port must be an integer from 1 to 65535/,
      );
      expect(await failures({ external: external([{ server: "10.0.0.3", timeout: 61 }]) })).toMatch(
        /"external\.servers\[0\]\.timeout:.*-1 to 60/,
      );
      expect(await failures({ external: external([{ server: "10.0.0.3", timeout: -2 }]) })).toMatch(
        /"external\.servers\[0\]\.timeout:.*-1 to 60/,
      );
      // A passphrase typed into the wrong place is not printed back either.
      expect(await failures({ passphrase: secretish, onboard: { passphrase: PASSPHRASE } })).toContain(
        "passphrase: ",
      );
    });

    test("after create: nothing for equivalent spellings; updates and delete-first replacements", async () => {
      const servers = ["kms1.example.com", "10.0.0.2:5696"];
      const { id, outs } = await create({
        external: external(servers, "cluster-client", ["cluster-ca-2", "cluster-ca-1"]),
      });
      const same = async (raw: Props): Promise<void> => {
        expect(await diff(id, outs, raw)).toMatchObject({ changes: false, replaces: [] });
      };
      await same({ external: external(servers, "cluster-client", ["cluster-ca-2", "cluster-ca-1"]) });
      await same({
        external: external(
          [{ server: "10.0.0.2", timeout: 25, username: "" }, "KMS1.example.com:5696"],
          "cluster-client",
          ["cluster-ca-1", "cluster-ca-2"],
        ),
        adopt: true,
      });
      const changed = async (raw: Props, replaces: string[] = []): Promise<void> => {
        const d = await diff(id, outs, raw);
        expect(d).toMatchObject({ changes: true, replaces });
        if (replaces.length > 0) expect(d.deleteBeforeReplace).toBe(true);
      };
      const cas = ["cluster-ca-1", "cluster-ca-2"];
      await changed({ external: external(servers, "cluster-client-renewed", cas) });
      await changed({ external: external(servers, "cluster-client", ["cluster-ca-1"]) });
      await changed({ external: external([...servers, "10.0.0.3"], "cluster-client", cas) });
      await changed({ external: external(["kms1.example.com"], "cluster-client", cas) });
      await changed({
        external: external(["kms1.example.com", { server: "10.0.0.2", timeout: 30 }], "cluster-client", cas),
      });
      await changed({
        external: external(
          ["kms1.example.com", { server: "10.0.0.2", username: "u" }],
          "cluster-client",
          cas,
        ),
      });
      await changed({ svm: "vs0", external: external(servers, "vs0-client", ["vs0-ca-1"]) }, ["svm"]);
      await changed({ onboard: { passphrase: PASSPHRASE } }, ["external", "onboard"]);
    });
  });

  describe("create", () => {
    test("external, 1 server by certificate names: 1 GET of the scope, 1 certificate GET + 1 POST", async () => {
      const { id, outs, inputs } = await create({ external: external(["10.0.0.1"]) });
      const o = await observed(sim);
      expect(o.calls).toEqual([
        `GET ${KM}?scope=cluster`,
        `GET ${CERTS}?scope=cluster`,
        `POST ${KM}?return_records=true`,
        ...lookup("scope=cluster"),
        ...healthRead(),
      ]);
      expectWrites(o, 1);
      const km = onlyKm();
      expect(id).toBe(km.uuid);
      expect(km.external).toMatchObject({
        client_certificate: { uuid: cert("cluster-client") },
        server_ca_certificates: [{ uuid: cert("cluster-ca-1") }],
        servers: [{ server: "10.0.0.1:5696", timeout: 25, username: "" }],
      });
      expect(parsed(outs)).toEqual({
        uuid: id,
        scope: "cluster",
        external: {
          clientCertificate: "cluster-client",
          clientCertificateUuid: cert("cluster-client"),
          serverCaCertificates: ["cluster-ca-1"],
          serverCaCertificateUuids: [cert("cluster-ca-1")],
          servers: [{ server: "10.0.0.1:5696", timeout: 25, username: "" }],
        },
        adopt: false,
        serverManagement: "authoritative",
        ...healthy(["10.0.0.1:5696"]),
      });
      expect((await provider.diff(id, outs, inputs)).changes).toBe(false);
    });

    test("external, 4 servers by certificate UUIDs in an SVM: the GET of the scope and the POST", async () => {
      const servers = ["10.0.0.4", "10.0.0.1", "[fd00::1]", "kms.example.com:5697"];
      const { id } = await create({
        svm: "vs0",
        external: external(servers, cert("vs0-client").toUpperCase(), [cert("vs0-ca-1"), cert("vs0-ca-2")]),
      });
      const o = await observed(sim);
      expect(o.calls).toEqual([
        `GET ${KM}?scope=svm&svm.name=vs0`,
        `POST ${KM}?return_records=true`,
        ...lookup("scope=svm&svm.name=vs0"),
        ...healthRead(),
      ]);
      expectWrites(o, 1);
      expect(onlyKm()).toMatchObject({ uuid: id, scope: "svm", svm: { name: "vs0" } });
      expect(serversOnOntap()).toEqual([
        "10.0.0.1:5696",
        "10.0.0.4:5696",
        "[fd00::1]:5696",
        "kms.example.com:5697",
      ]);
    });

    test("onboard: a GET of the scope, one POST; the passphrase is set, and kept only in the onboard output", async () => {
      const { id, outs } = await create({ onboard: { passphrase: PASSPHRASE } });
      const o = await observed(sim);
      expect(o.calls).toEqual([
        `GET ${KM}?scope=cluster`,
        `POST ${KM}?return_records=true`,
        ...(later ? [`GET ${KM}/{km}`] : []),
      ]);
      expectWrites(o, 1);
      expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(true);
      const out = parsed(outs);
      expect(out).toMatchObject({
        uuid: id,
        scope: "cluster",
        onboard: { enabled: true, passphrase: PASSPHRASE },
      });
      expect(out.onboard?.keyBackup !== undefined).toBe(later);
      const { onboard: _onboard, ...rest } = outs;
      expect(JSON.stringify(rest)).not.toContain(PASSPHRASE);
    });

    test("non-default server settings: the POST, then one PATCH per such server", async () => {
      await create({
        external: external([
          { server: "10.0.0.1", timeout: 40 },
          "10.0.0.2",
          { server: "10.0.0.3", timeout: 25, username: "" },
          { server: "kms.example.com", username: "kmip" },
        ]),
      });
      const o = await observed(sim);
      expect(o.calls).toEqual([
        `GET ${KM}?scope=cluster`,
        `GET ${CERTS}?scope=cluster`,
        `POST ${KM}?return_records=true`,
        ...lookup("scope=cluster"),
        ...healthRead(),
        `PATCH ${KM}/{km}/key-servers/10.0.0.1%3A5696`,
        `PATCH ${KM}/{km}/key-servers/kms.example.com%3A5696`,
      ]);
      expectWrites(o, 3);
      expect(onlyKm().external?.servers).toEqual([
        { server: "10.0.0.1:5696", timeout: 40, username: "" },
        { server: "10.0.0.2:5696", timeout: 25, username: "" },
        { server: "10.0.0.3:5696", timeout: 25, username: "" },
        { server: "kms.example.com:5696", timeout: 25, username: "kmip" },
      ]);
    });

    test("adopt: takes over the scope's key manager and converges it", async () => {
      const existing = await seed({
        svm: { name: "vs0" },
        external: {
          client_certificate: { uuid: cert("vs0-client") },
          server_ca_certificates: [{ uuid: cert("vs0-ca-1") }],
          servers: [{ server: "10.0.0.9" }],
        },
      });
      sim.clearRequestLog();
      const { id, outs, inputs } = await create({
        svm: "vs0",
        adopt: true,
        external: external(["10.0.0.1", "10.0.0.2"], "vs0-client", ["vs0-ca-1", "vs0-ca-2"]),
      });
      const o = await observed(sim);
      expect(o.calls).toEqual([
        `GET ${KM}?scope=svm&svm.name=vs0`,
        `GET ${CERTS}?svm.name=vs0`,
        `PATCH ${KM}/{km}`,
        `POST ${KM}/{km}/key-servers`,
        `DELETE ${KM}/{km}/key-servers/10.0.0.9%3A5696`,
      ]);
      expectWrites(o, 3);
      expect(id).toBe(existing);
      expect(serversOnOntap()).toEqual(["10.0.0.1:5696", "10.0.0.2:5696"]);
      expect(
        onlyKm()
          .external?.server_ca_certificates.map((c) => c.uuid)
          .sort(),
      ).toEqual([cert("vs0-ca-1"), cert("vs0-ca-2")].sort());
      expect((await provider.diff(id, outs, inputs)).changes).toBe(false);
    });

    test("adopt of an onboard key manager takes the given passphrase as current, without any write", async () => {
      const existing = await seed({ onboard: { passphrase: PASSPHRASE } });
      sim.clearRequestLog();
      const { id, outs } = await create({ adopt: true, onboard: { passphrase: NEW_PASSPHRASE } });
      expect((await observed(sim)).calls).toEqual([`GET ${KM}?scope=cluster`]);
      expect(id).toBe(existing);
      expect(parsed(outs).onboard).toMatchObject({ enabled: true, passphrase: NEW_PASSPHRASE });
      expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(true);
    });

    test("adopt of a key manager in the other mode fails clearly and changes nothing", async () => {
      await seed({
        external: {
          client_certificate: { uuid: cert("cluster-client") },
          server_ca_certificates: [{ uuid: cert("cluster-ca-1") }],
          servers: [{ server: "10.0.0.9" }],
        },
      });
      sim.clearRequestLog();
      const err = await failure(create({ adopt: true, onboard: { passphrase: PASSPHRASE } }));
      expect(err.message).toMatch(
        /the cluster already has an external key manager \([0-9a-f-]{36}\); adopt cannot switch it to onboard/,
      );
      expect(err.message).toContain("delete it first");
      expect(err.message).not.toContain(PASSPHRASE);
      expect((await observed(sim)).calls).toEqual([`GET ${KM}?scope=cluster`]);
      expect(onlyKm().external?.servers).toHaveLength(1);
    });

    test("without adopt, an existing key manager fails the create before any write, naming adopt", async () => {
      await seed({
        svm: { name: "vs0" },
        external: {
          client_certificate: { uuid: cert("vs0-client") },
          server_ca_certificates: [{ uuid: cert("vs0-ca-1") }],
          servers: [{ server: "10.0.0.9" }],
        },
      });
      sim.clearRequestLog();
      const err = await failure(
        create({ svm: "vs0", external: external(["10.0.0.1"], cert("vs0-client"), [cert("vs0-ca-1")]) }),
      );
      expect(err.message).toContain('SVM "vs0" already has a key manager');
      expect(err.message).toContain("`adopt: true`");
      expect(err.message).toContain("65536823");
      expect(err.message).toContain("Nothing was changed");
      const o = await observed(sim);
      // Read before writing: the scope's GET finds it, and no POST goes out.
      expect(o.calls).toEqual([`GET ${KM}?scope=svm&svm.name=vs0`]);
      expectWrites(o, 0);
      expect(serversOnOntap()).toEqual(["10.0.0.9:5696"]);
    });

    test("a POST answer lost after ONTAP applied it: found by scope, no duplicate, no orphan", async () => {
      // A job that outlives the lost answer: the key manager appears only once it ends.
      if (later) sim.setJobDelay(400);
      sim.injectFault({ method: "POST", path: KM, action: { type: "drop-after-apply" } });
      const { id, outs, inputs } = await create({
        external: external(["10.0.0.1"], cert("cluster-client"), [cert("cluster-ca-1")]),
      });
      const o = await observed(sim);
      expect(o.entries.find((e) => e.method === "POST")?.status).toBe(0);
      expect(o.calls).toEqual([
        `GET ${KM}?scope=cluster`,
        `POST ${KM}?return_records=true`,
        // With return_timeout the job had ended when the answer was lost: the first look finds it (the wait for
        // an unfinished job is covered by test/reliability and test/ontap).
        `GET ${KM}?scope=cluster`,
      ]);
      expectWrites(o, 1);
      expect(onlyKm().uuid).toBe(id);
      expect((await provider.diff(id, outs, inputs)).changes).toBe(false);
    });

    test("a failed create job (or a 9.6 refusal) leaves nothing and says why", async () => {
      sim.injectFault({
        method: "POST",
        path: KM,
        action: { type: "job-failure", code: 66060341, message: "Cannot connect to key server 10.0.0.1." },
      });
      const err = await failure(
        create({ external: external(["10.0.0.1"], cert("cluster-client"), [cert("cluster-ca-1")]) }),
      );
      expect(err.message).toContain("66060341");
      expect(err.message).toContain("the network connection could not be made");
      expect(err.message).toContain("Fix:");
      const o = await observed(sim);
      expect(o.calls).toEqual([`GET ${KM}?scope=cluster`, `POST ${KM}?return_records=true`]);
      expectWrites(o, 1);
      expect(kms()).toEqual([]);
    });
  });

  describe("update", () => {
    test("adding 2 servers is one batch POST", async () => {
      const { id, outs } = await create({ external: external(["10.0.0.1"]) });
      sim.clearRequestLog();
      const next = { external: external(["10.0.0.1", "10.0.0.2", "10.0.0.3"]) };
      const after = await update(id, outs, next);
      const o = await observed(sim);
      expect(o.calls).toEqual([`POST ${KM}/{km}/key-servers`]);
      expectWrites(o, 1);
      expect(serversOnOntap()).toEqual(["10.0.0.1:5696", "10.0.0.2:5696", "10.0.0.3:5696"]);
      expect((await diff(id, after, next)).changes).toBe(false);
    });

    test("removing 1 server is one DELETE", async () => {
      const { id, outs } = await create({ external: external(["10.0.0.1", "10.0.0.2", "10.0.0.3"]) });
      sim.clearRequestLog();
      await update(id, outs, { external: external(["10.0.0.1", "10.0.0.3"]) });
      const o = await observed(sim);
      expect(o.calls).toEqual([`DELETE ${KM}/{km}/key-servers/10.0.0.2%3A5696`]);
      expectWrites(o, 1);
      expect(serversOnOntap()).toEqual(["10.0.0.1:5696", "10.0.0.3:5696"]);
    });

    test("swapping all 4 servers never exceeds 4 and never drops to 0", async () => {
      const old = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"];
      const { id, outs } = await create({
        external: external(old, cert("cluster-client"), [cert("cluster-ca-1")]),
      });
      sim.clearRequestLog();
      await update(id, outs, {
        external: external(["10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4"], cert("cluster-client"), [
          cert("cluster-ca-1"),
        ]),
      });
      const o = await observed(sim);
      const del = (s: string): string => `DELETE ${KM}/{km}/key-servers/${s}%3A5696`;
      // 4 -> 1 -> 4 (3 added in one batch) -> 3 -> 4: one old server stays until new ones are in.
      expect(o.calls).toEqual([
        del("10.0.0.1"),
        del("10.0.0.2"),
        del("10.0.0.3"),
        `POST ${KM}/{km}/key-servers`,
        del("10.0.0.4"),
        `POST ${KM}/{km}/key-servers`,
      ]);
      expectWrites(o, 6);
      expect(serversOnOntap()).toEqual(["10.0.1.1:5696", "10.0.1.2:5696", "10.0.1.3:5696", "10.0.1.4:5696"]);
    });

    test("changing a timeout is one PATCH of that server", async () => {
      const { id, outs } = await create({ external: external(["10.0.0.1", "10.0.0.2"]) });
      sim.clearRequestLog();
      await update(id, outs, { external: external(["10.0.0.1", { server: "10.0.0.2", timeout: 45 }]) });
      const o = await observed(sim);
      expect(o.calls).toEqual([`PATCH ${KM}/{km}/key-servers/10.0.0.2%3A5696`]);
      expectWrites(o, 1);
      expect(onlyKm().external?.servers.find((s) => s.server === "10.0.0.2:5696")?.timeout).toBe(45);
    });

    test("rotating certificates is one PATCH; another key pair is refused with an explanation", async () => {
      const { id, outs } = await create({
        external: external(["10.0.0.1"], cert("cluster-client"), [cert("cluster-ca-1")]),
      });
      sim.clearRequestLog();
      const rotated = await update(id, outs, {
        external: external(["10.0.0.1"], cert("cluster-client-renewed"), [
          cert("cluster-ca-2"),
          cert("cluster-ca-3"),
        ]),
      });
      const o = await observed(sim);
      expect(o.calls).toEqual([`PATCH ${KM}/{km}`]);
      expectWrites(o, 1);
      expect(onlyKm().external).toMatchObject({
        client_certificate: { uuid: cert("cluster-client-renewed") },
      });
      expect(
        onlyKm()
          .external?.server_ca_certificates.map((c) => c.uuid)
          .sort(),
      ).toEqual([cert("cluster-ca-2"), cert("cluster-ca-3")].sort());

      sim.clearRequestLog();
      const err = await failure(
        update(id, rotated, {
          external: external(["10.0.0.1"], cert("cluster-client-other"), [cert("cluster-ca-2")]),
        }),
      );
      expect(err.message).toContain("65536850");
      expect(err.message).toContain("different key pair");
      expect(err.message).toContain("Fix: use a renewed client certificate with the same key pair");
      expect((await observed(sim)).calls[0]).toBe(`PATCH ${KM}/{km}`);
      expect(onlyKm().external).toMatchObject({
        client_certificate: { uuid: cert("cluster-client-renewed") },
      });
    });

    test("rotating the passphrase is one PATCH with the previous and the new one", async () => {
      const { id, outs } = await create({ onboard: { passphrase: PASSPHRASE } });
      expect((await diff(id, outs, { onboard: { passphrase: PASSPHRASE } })).changes).toBe(false);
      expect(await diff(id, outs, { onboard: { passphrase: NEW_PASSPHRASE } })).toMatchObject({
        changes: true,
        replaces: [],
      });
      sim.clearRequestLog();
      const after = await update(id, outs, { onboard: { passphrase: NEW_PASSPHRASE } });
      const o = await observed(sim);
      // Later releases return the key backup, which the rotation changed: it is read again.
      expect(o.calls).toEqual([`PATCH ${KM}/{km}`, ...(later ? [`GET ${KM}/{km}`] : [])]);
      expectWrites(o, 1);
      if (later) {
        const now = (await admin.call("GET", `${KM}/${id}?fields=onboard.key_backup`)) as {
          onboard: { key_backup: string };
        };
        expect(parsed(after).onboard?.keyBackup).toBe(now.onboard.key_backup);
        expect(now.onboard.key_backup).not.toBe(parsed(outs).onboard?.keyBackup);
      }
      expect(sim.checkOnboardPassphrase(NEW_PASSPHRASE)).toBe(true);
      expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(false);
      expect(parsed(after).onboard?.passphrase).toBe(NEW_PASSPHRASE);
      expect(await diff(id, after, { onboard: { passphrase: NEW_PASSPHRASE } })).toMatchObject({
        changes: false,
      });
    });

    test("a profile change is one GET by UUID through the new profile; adopt alone makes no call", async () => {
      const { id, outs } = await create({ external: external(["10.0.0.1"]) });
      await configure({ ...config, "ontap:profiles": JSON.stringify({ siteA: { host: sim.url } }) });
      sim.clearRequestLog();
      const after = await update(id, outs, {
        external: external(["10.0.0.1"]),
        profile: "siteA",
        adopt: true,
      });
      expect((await observed(sim)).calls).toEqual([`GET ${KM}/{km}`]);
      expect(parsed(after)).toMatchObject({ profile: "siteA", adopt: true });
      sim.clearRequestLog();
      await update(id, after, { external: external(["10.0.0.1"]), profile: "siteA", adopt: false });
      expect((await observed(sim)).entries).toEqual([]);
    });
  });

  describe("read", () => {
    const servers = ["10.0.0.1", "10.0.0.2"];
    const program = { external: external(servers) };

    test("one GET with explicit fields; no drift shows no diff", async () => {
      const { id, outs } = await create(program);
      sim.clearRequestLog();
      const read = await provider.read(id, outs);
      const o = await observed(sim);
      expect(o.calls).toEqual([`GET ${KM}/{km}`]);
      expect(o.entries[0]?.path).toMatch(
        /\?fields=uuid,scope,svm\.uuid,svm\.name,onboard\.enabled,external\./,
      );
      expect(read.id).toBe(id);
      const { __provider: _p, ...created } = outs;
      expect(read.props).toEqual(created);
      expect(read.inputs).toEqual({
        // Maps keyed by address and reference: the engine's display diffs them by key.
        external: {
          clientCertificate: "cluster-client",
          serverCaCertificates: { "cluster-ca-1": true },
          servers: {
            "10.0.0.1:5696": { timeout: 25, username: "" },
            "10.0.0.2:5696": { timeout: 25, username: "" },
          },
        },
        adopt: false,
        serverManagement: "authoritative",
      });
      expect((await diff(id, read.props as Props, program)).changes).toBe(false);
    });

    test("a rogue server added out of band shows as drift, and the next update removes it", async () => {
      const { id, outs } = await create(program);
      await admin.write("POST", `${KM}/${id}/key-servers`, { server: "10.6.6.6" });
      const read = await provider.read(id, outs);
      expect(parsed(read.props).external?.servers.map((s) => s.server)).toEqual([
        "10.0.0.1:5696",
        "10.0.0.2:5696",
        "10.6.6.6:5696",
      ]);
      expect(Object.keys((read.inputs as { external: { servers: object } }).external.servers)).toEqual([
        "10.0.0.1:5696",
        "10.0.0.2:5696",
        "10.6.6.6:5696",
      ]);
      expect(await diff(id, read.props as Props, program)).toMatchObject({ changes: true, replaces: [] });
      sim.clearRequestLog();
      await update(id, read.props as Props, program);
      expect((await observed(sim)).calls).toEqual([`DELETE ${KM}/{km}/key-servers/10.6.6.6%3A5696`]);
      expect(serversOnOntap()).toEqual(["10.0.0.1:5696", "10.0.0.2:5696"]);
    });

    test("a server removed out of band shows as drift, and the next update puts it back", async () => {
      const { id, outs } = await create(program);
      await admin.write("DELETE", `${KM}/${id}/key-servers/10.0.0.2%3A5696`);
      const read = await provider.read(id, outs);
      expect(parsed(read.props).external?.servers.map((s) => s.server)).toEqual(["10.0.0.1:5696"]);
      expect((await diff(id, read.props as Props, program)).changes).toBe(true);
      sim.clearRequestLog();
      await update(id, read.props as Props, program);
      expect((await observed(sim)).calls).toEqual([`POST ${KM}/{km}/key-servers`]);
      expect(serversOnOntap()).toEqual(["10.0.0.1:5696", "10.0.0.2:5696"]);
    });

    test("a certificate swapped out of band shows as drift, and the next update swaps it back", async () => {
      const { id, outs } = await create(program);
      await admin.write("PATCH", `${KM}/${id}`, {
        external: { client_certificate: { uuid: cert("cluster-client-renewed") } },
      });
      const read = await provider.read(id, outs);
      expect(parsed(read.props).external).toMatchObject({
        clientCertificate: cert("cluster-client-renewed"),
        clientCertificateUuid: cert("cluster-client-renewed"),
      });
      expect((await diff(id, read.props as Props, program)).changes).toBe(true);
      sim.clearRequestLog();
      await update(id, read.props as Props, program);
      expect((await observed(sim)).calls).toEqual([`GET ${CERTS}?scope=cluster`, `PATCH ${KM}/{km}`]);
      expect(onlyKm().external?.client_certificate.uuid).toBe(cert("cluster-client"));
    });

    test("a key manager deleted out of band reads as gone", async () => {
      const { id, outs } = await create(program);
      await admin.write("DELETE", `${KM}/${id}`);
      sim.clearRequestLog();
      expect(await provider.read(id, outs)).toMatchObject({ id: "" });
      expect((await observed(sim)).calls).toEqual([`GET ${KM}/{km}`]);
    });

    test("an onboard key manager keeps the passphrase from state", async () => {
      const { id, outs } = await create({ onboard: { passphrase: PASSPHRASE } });
      const read = await provider.read(id, outs);
      expect(parsed(read.props).onboard).toMatchObject({ enabled: true, passphrase: PASSPHRASE });
      expect(read.inputs).toMatchObject({ onboard: { passphrase: PASSPHRASE } });
      expect((await diff(id, read.props as Props, { onboard: { passphrase: PASSPHRASE } })).changes).toBe(
        false,
      );
    });

    test("with only an id (KeyManager.get), through the default connection or a profile", async () => {
      const { id } = await create({
        svm: "vs0",
        external: external(["10.0.0.1"], "vs0-client", ["vs0-ca-1"]),
      });
      sim.clearRequestLog();
      const read = await provider.read(id, { ...SERIALIZED });
      expect((await observed(sim)).calls).toEqual([`GET ${KM}/{km}`]);
      expect(parsed(read.props)).toEqual({
        uuid: id,
        scope: "svm",
        svm: "vs0",
        svmUuid: expect.any(String) as string,
        external: {
          clientCertificate: cert("vs0-client"),
          clientCertificateUuid: cert("vs0-client"),
          serverCaCertificates: [cert("vs0-ca-1")],
          serverCaCertificateUuids: [cert("vs0-ca-1")],
          servers: [{ server: "10.0.0.1:5696", timeout: 25, username: "" }],
        },
        adopt: false,
        serverManagement: "authoritative",
        ...healthy(["10.0.0.1:5696"]),
      });
      await configure({ ...config, "ontap:profiles": JSON.stringify({ siteB: { host: sim.url } }) });
      const viaProfile = await provider.read(id, { ...SERIALIZED, profile: "siteB" });
      expect(viaProfile.props).toMatchObject({ uuid: id, profile: "siteB" });
      expect(viaProfile.inputs).toMatchObject({ profile: "siteB", svm: "vs0" });
    });
  });

  describe("delete", () => {
    test("one DELETE", async () => {
      const { id, outs } = await create({ external: external(["10.0.0.1"]) });
      sim.clearRequestLog();
      await provider.delete(id, outs);
      const o = await observed(sim);
      expect(o.calls).toEqual([`DELETE ${KM}/{km}`]);
      expectWrites(o, 1);
      expect(kms()).toEqual([]);
    });

    test("a key manager already gone counts as deleted", async () => {
      const { id, outs } = await create({ external: external(["10.0.0.1"]) });
      await admin.write("DELETE", `${KM}/${id}`);
      sim.clearRequestLog();
      await provider.delete(id, outs);
      const o = await observed(sim);
      expect(o.calls).toEqual([`DELETE ${KM}/{km}`]);
      expect(o.entries.at(-1)?.status).toBe(404);
    });

    test("a DELETE answer lost after ONTAP applied it counts as deleted", async () => {
      const { id, outs } = await create({ external: external(["10.0.0.1"]) });
      // A job that outlives the lost answer: the key manager is gone only once it ends.
      if (later) sim.setJobDelay(400);
      sim.injectFault({ method: "DELETE", path: `${KM}/${id}`, action: { type: "drop-after-apply" } });
      sim.clearRequestLog();
      await provider.delete(id, outs);
      const o = await observed(sim);
      expect(o.entries.find((e) => e.method === "DELETE")?.status).toBe(0);
      expect(o.calls).toEqual([`DELETE ${KM}/{km}`, `GET ${KM}/{km}`]);
      expect(kms()).toEqual([]);
    });

    test("a refusal because of encrypted volumes says that nothing was deleted, and why", async () => {
      const { id, outs } = await create({
        svm: "vs0",
        external: external(["10.0.0.1"], "vs0-client", ["vs0-ca-1"]),
      });
      sim.seedEncryptedVolume("vs0");
      sim.clearRequestLog();
      const err = await failure(provider.delete(id, outs));
      expect(err.message).toMatch(new RegExp(`^key manager ${id} was NOT deleted: `));
      expect(err.message).toContain("65536867");
      expect(err.message).toContain("encrypted volumes exist");
      expect(err.message).toContain("Nothing was changed");
      expect((await observed(sim)).calls).toEqual([`DELETE ${KM}/{km}`]);
      expect(onlyKm().uuid).toBe(id);
    });
  });

  test("the passphrases never appear in errors or on stderr, failures included", async () => {
    const writes: string[] = [];
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      writes.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    });
    const wrong = "Onboard-Passphrase-Wrong-5555555555-zzz";
    const errors: Error[] = [];
    let id: string | undefined;
    const collect = async (promise: Promise<unknown>): Promise<void> => {
      errors.push(await failure(promise));
    };
    process.env.ONTAP_DEBUG = "1";
    try {
      sim.injectFault({
        method: "POST",
        path: KM,
        action: { type: "status", status: 500, code: "65536903" },
      });
      await collect(create({ onboard: { passphrase: PASSPHRASE } }));
      const created = await create({ onboard: { passphrase: PASSPHRASE } });
      const outs = created.outs;
      id = created.id;
      await collect(create({ onboard: { passphrase: PASSPHRASE } }));
      await collect(
        update(
          id,
          { ...outs, onboard: { enabled: true, passphrase: wrong } },
          { onboard: { passphrase: NEW_PASSPHRASE } },
        ),
      );
      sim.injectFault({ method: "PATCH", path: `${KM}/${id}`, action: { type: "drop-after-apply" } });
      // A rotation whose answer was lost is sent once more: refused with 65536139, it had been applied.
      const rotated = await update(id, outs, { onboard: { passphrase: NEW_PASSPHRASE } });
      expect(rotated).toMatchObject({ onboard: { passphrase: NEW_PASSPHRASE } });
      expect(sim.checkOnboardPassphrase(NEW_PASSPHRASE)).toBe(true);
      sim.seedEncryptedVolume("vs0");
      await collect(provider.delete(id, outs));
      await collect(provider.create({ onboard: { passphrase: `${PASSPHRASE}\u0007` } }));
    } finally {
      delete process.env.ONTAP_DEBUG;
      spy.mockRestore();
    }
    expect(errors).toHaveLength(5);
    expect(errors.map((e) => e.message).join("\n")).toMatch(
      /already has a key manager[\s\S]*65536139[\s\S]*NOT deleted/,
    );
    expect(writes.join("")).toContain("[ontap] PATCH");
    const visible = [
      ...writes,
      ...errors.flatMap((e) => [e.message, e.stack ?? "", JSON.stringify(e), inspect(e, { depth: 10 })]),
    ].join("\n");
    for (const secret of [PASSPHRASE, NEW_PASSPHRASE, wrong, sim.password])
      expect(visible).not.toContain(secret);
  });
});
