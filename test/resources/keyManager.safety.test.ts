/**
 * The KeyManager's safety guarantees (issue 10), against the simulator over HTTPS in both release behaviours:
 * create reads before it writes, a profile change proves it reaches the same object, an SVM is its UUID, every
 * answer's identity is checked, a destructive plan is proven before it runs, a create whose job outlasts the job
 * timeout resumes, a rotation has an escape hatch, and lookups do not trust filters. Each case failed on the code
 * before these guarantees (the finding's number is in its name).
 */
import { Agent, request } from "undici";
import { closeAllClients } from "../../provider/ontap";
import * as provider from "../../provider/resources/impl/keyManagerProvider";
import { PartialStateError } from "../../provider/resources/impl/failures";
import { UNKNOWN, parseKeyManagerOutputs } from "../../provider/resources/model";
import { startSimulator, type RequestLogEntry, type Simulator } from "../../simulator";
import {
  type Props,
  SERIALIZED,
  checked,
  configure,
  create,
  diff,
  update,
} from "../support/keyManagerDriver";
import { rejection as failure } from "../support/rejection";

const KM = "/api/security/key-managers";
const PASSPHRASE = "Onboard-Passphrase-Alpha-0123456789-xyz";
const NEW_PASSPHRASE = "Onboard-Passphrase-Bravo-9876543210-abc";
const THIRD_PASSPHRASE = "Onboard-Passphrase-Charlie-1357924680-q";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Requests the simulator saw once its log settled, without version probes and job polls. */
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
    .filter((e) => !(e.method === "GET" && e.path.split("?")[0] === "/api/cluster"))
    .filter((e) => !/^\/api\/cluster\/jobs\/[^/?]+/.test(e.path))
    .map(label);
}

function label(e: RequestLogEntry): string {
  const [pathname = "", query = ""] = e.path.split("?");
  const path = pathname.replace(/(key-managers\/)[0-9a-f-]{36}/, "$1{km}");
  // return_timeout rides on every write (test/ontap checks it), so it is left out like fields.
  const params = query.split("&").filter((p) => p !== "" && !/^(fields|max_records|return_timeout)=/.test(p));
  return `${e.method} ${path}${params.length > 0 ? `?${params.join("&")}` : ""}`;
}

const writes = (list: string[]): string[] => list.filter((c) => !c.startsWith("GET "));

const external = (servers: string[], client = "cluster-client", cas = ["cluster-ca-1"]): Props => ({
  clientCertificate: client,
  serverCaCertificates: cas,
  servers,
});

interface SimKeyManager {
  uuid: string;
  scope: string;
  svm?: { uuid: string; name: string };
  external?: {
    client_certificate: { uuid: string };
    server_ca_certificates: { uuid: string }[];
    servers: { server: string; timeout: number; username: string }[];
  };
  onboard?: { enabled: boolean };
}

function connection(sim: Simulator): Record<string, string> {
  return {
    "ontap:host": sim.url,
    "ontap:username": sim.username,
    "ontap:password": sim.password,
    "ontap:caCert": sim.caCert,
  };
}

/** Puts a key manager on ONTAP by hand (waiting for its job) and returns its record. */
async function seed(sim: Simulator, body: Props): Promise<SimKeyManager> {
  const res = await request(`${sim.url}${KM}?return_timeout=10`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${sim.username}:${sim.password}`).toString("base64")}`,
      "content-type": "application/json",
    },
    body: JSON.stringify(body),
    dispatcher: new Agent({ connect: { ca: sim.caCert } }),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`seed: HTTP ${res.statusCode} ${text}`);
  const scope = (body.svm as { name?: string } | undefined)?.name;
  const km = (sim.keyManagers() as SimKeyManager[]).find((k) => k.svm?.name === scope);
  if (!km) throw new Error("seeded key manager not found");
  return km;
}

describe.each(["9.6", "9.13"])("KeyManager safety against ONTAP %s", (version) => {
  const later = version !== "9.6";
  let sim: Simulator;
  let config: Record<string, string>;
  const kms = (): SimKeyManager[] => sim.keyManagers() as SimKeyManager[];
  const cert = (svm: string, name: string): string => {
    const prefix = svm === "" ? "cluster" : svm;
    const found = certs.get(`${prefix}-${name}`);
    if (found === undefined) throw new Error(`no certificate ${prefix}-${name}`);
    return found;
  };
  const certs = new Map<string, string>();
  const svmExternal = (svm: string, server = "10.0.0.9"): Props => ({
    svm: { name: svm },
    external: {
      client_certificate: { uuid: cert(svm, "client") },
      server_ca_certificates: [{ uuid: cert(svm, "ca-1") }],
      servers: [{ server }],
    },
  });

  beforeAll(async () => {
    sim = await startSimulator({ ontapVersion: version, jobDelayMs: 20 });
    config = connection(sim);
    const res = await request(`${sim.url}/api/security/certificates?fields=uuid,name`, {
      headers: {
        authorization: `Basic ${Buffer.from(`${sim.username}:${sim.password}`).toString("base64")}`,
      },
      dispatcher: new Agent({ connect: { ca: sim.caCert } }),
    });
    const body = (await res.body.json()) as { records: { uuid: string; name: string }[] };
    for (const c of body.records) certs.set(c.name, c.uuid);
  });

  beforeEach(async () => {
    sim.reset();
    await configure(config);
  });

  afterAll(async () => {
    await closeAllClients();
    await sim?.close();
  });

  describe("1. create reads before it writes", () => {
    test("a key manager already there and no adopt: fails at the read, the POST never goes out (even one that would reset)", async () => {
      const existing = await seed(sim, svmExternal("vs0"));
      sim.injectFault({ method: "POST", path: KM, action: { type: "reset" } });
      sim.clearRequestLog();
      const err = await failure(
        create({ svm: "vs0", external: external(["10.0.0.1"], "vs0-client", ["vs0-ca-1", "vs0-ca-2"]) }),
      );
      expect(err.message).toContain(`SVM "vs0" already has a key manager (${existing.uuid})`);
      expect(err.message).toContain("`adopt: true`");
      expect(err.message).toContain("Nothing was changed");
      expect(await calls(sim)).toEqual([`GET ${KM}?scope=svm&svm.name=vs0`]);
      expect(kms()).toEqual([existing]);
    });

    test("a lost POST answer is reconciled into the key manager the read proved absent", async () => {
      sim.injectFault({ method: "POST", path: KM, action: { type: "drop-after-apply" } });
      const { id } = await create({ external: external(["10.0.0.1"]) });
      const list = await calls(sim);
      expect(list[0]).toBe(`GET ${KM}?scope=cluster`);
      expect(writes(list)).toEqual([`POST ${KM}?return_records=true`]);
      expect(kms().map((k) => k.uuid)).toEqual([id]);
    });
  });

  describe("2. a profile change proves it reaches the same object", () => {
    test("a profile that points at another cluster fails with not found; neither cluster changes", async () => {
      const other = await startSimulator({ ontapVersion: version, jobDelayMs: 20 });
      try {
        const { id, outs } = await create({ external: external(["10.0.0.1"]) });
        const before = kms();
        await configure({
          ...config,
          "ontap:profiles": JSON.stringify({
            siteB: {
              host: other.url,
              username: other.username,
              password: other.password,
              caCert: other.caCert,
            },
          }),
        });
        sim.clearRequestLog();
        const err = await failure(update(id, outs, { external: external(["10.0.0.1"]), profile: "siteB" }));
        expect(err.message).toContain(`key manager ${id} is not found through profile "siteB"`);
        expect(err.message).toContain("Nothing was changed");
        expect(await calls(sim)).toEqual([]);
        expect(await calls(other)).toEqual([`GET ${KM}/{km}`]);
        expect(kms()).toEqual(before);
        expect(other.keyManagers()).toEqual([]);
      } finally {
        await other.close();
      }
    });
  });

  describe("3. an SVM is its UUID", () => {
    test("a rename outside Pulumi: refresh reports it, the unchanged program is an update that asks for the name, never a delete", async () => {
      const program = { svm: "vs0", external: external(["10.0.0.1"], "vs0-client", ["vs0-ca-1"]) };
      const { id, outs } = await create(program);
      const svmUuid = parseKeyManagerOutputs(outs).svmUuid;
      sim.renameSvm("vs0", "vs0_renamed");
      const read = await provider.read(id, outs);
      expect(read.id).toBe(id);
      expect(parseKeyManagerOutputs(read.props)).toMatchObject({ svm: "vs0_renamed", svmUuid });
      const refreshed = { ...(read.props as Props), ...SERIALIZED };
      sim.clearRequestLog();
      // What `pulumi refresh` and the next preview ask: an update, never a replacement.
      expect(await diff(id, refreshed, program)).toMatchObject({ changes: true, replaces: [] });
      const err = await failure(update(id, refreshed, program));
      expect(err.message).toContain('which is now named "vs0_renamed": it was renamed outside Pulumi');
      expect(err.message).toContain('set `svm: "vs0_renamed"`');
      expect(writes(await calls(sim))).toEqual([]);
      expect(kms().map((k) => k.uuid)).toEqual([id]);

      // The program following the rename: no change after a refresh, an update without any write before one.
      const renamed = { ...program, svm: "vs0_renamed" };
      expect(await diff(id, refreshed, renamed)).toMatchObject({ changes: false, replaces: [] });
      expect(await diff(id, outs, renamed)).toMatchObject({ changes: true, replaces: [] });
      sim.clearRequestLog();
      const after = await update(id, outs, renamed);
      expect(writes(await calls(sim))).toEqual([]);
      expect(parseKeyManagerOutputs(after)).toMatchObject({ uuid: id, svm: "vs0_renamed", svmUuid });
    });

    test("only a program naming another SVM (another UUID) replaces", async () => {
      const { id, outs } = await create({
        svm: "vs0",
        external: external(["10.0.0.1"], "vs0-client", ["vs0-ca-1"]),
      });
      const d = await diff(id, outs, {
        svm: "vs1",
        external: external(["10.0.0.1"], "vs1-client", ["vs1-ca-1"]),
      });
      expect(d).toMatchObject({ changes: true, replaces: ["svm"], deleteBeforeReplace: true });
    });
  });

  describe("4. identity is checked on every answer", () => {
    const crafted = async (
      outs: Props,
      id: string,
      record: (real: SimKeyManager) => Record<string, unknown>,
    ): Promise<Error> => {
      const real = kms().find((k) => k.uuid === id)!;
      sim.injectFault({
        method: "GET",
        path: `${KM}/${id}`,
        action: { type: "respond", status: 200, body: record(real) },
      });
      return failure(provider.read(id, outs));
    };

    test("a record of another UUID, of neither mode, or of another scope is an error, never new outputs", async () => {
      const { id, outs } = await create({ external: external(["10.0.0.1"]) });
      const other = "0badc0de-0000-4000-8000-000000000001";
      const e1 = await crafted(outs, id, (r) => ({ ...r, uuid: other }));
      expect(e1.message).toContain(`the record is of key manager ${other}, not ${id}`);
      expect(e1.message).toContain("nothing was recorded from this answer");
      const e2 = await crafted(outs, id, ({ external: _e, ...r }) => r);
      expect(e2.message).toContain("neither external nor onboard");
      const e3 = await crafted(outs, id, (r) => ({
        ...r,
        scope: "svm",
        svm: { uuid: "0badc0de-0000-4000-8000-000000000002", name: "vs9" },
      }));
      expect(e3.message).toContain("the record is of svm scope, not cluster");
      // The next honest answer reads as before.
      const read = await provider.read(id, outs);
      expect(read.id).toBe(id);
      expect(
        (await diff(id, { ...(read.props as Props), ...SERIALIZED }, { external: external(["10.0.0.1"]) }))
          .changes,
      ).toBe(false);
    });
  });

  describe("5. a destructive plan is proven before it runs", () => {
    test("onboard to external with a certificate that is not installed: diff fails, nothing is deleted", async () => {
      const { id, outs } = await create({ onboard: { passphrase: PASSPHRASE } });
      sim.clearRequestLog();
      const err = await failure(diff(id, outs, { external: external(["10.0.0.1"], "no-such-client") }));
      expect(err.message).toContain(`replacing key manager ${id} deletes it first`);
      expect(err.message).toContain('client certificate "no-such-client" is not installed in the cluster');
      expect(err.message).toContain("Nothing was deleted");
      expect(err.message).not.toContain(PASSPHRASE);
      expect(writes(await calls(sim))).toEqual([]);
      expect(kms().map((k) => k.uuid)).toEqual([id]);
    });

    test("a new SVM that does not exist, or a scope another key manager holds, fails the diff", async () => {
      const { id, outs } = await create({ external: external(["10.0.0.1"]) });
      const missing = await failure(
        diff(id, outs, { svm: "nosuch", external: external(["10.0.0.1"], "nosuch-client", ["nosuch-ca-1"]) }),
      );
      expect(missing.message).toContain('SVM "nosuch" does not exist');
      const taken = await seed(sim, svmExternal("vs1"));
      sim.clearRequestLog();
      const held = await failure(
        diff(id, outs, { svm: "vs1", external: external(["10.0.0.1"], "vs1-client", ["vs1-ca-1"]) }),
      );
      expect(held.message).toContain(`SVM "vs1" already has another key manager (${taken.uuid})`);
      expect(held.message).toContain("`adopt`");
      expect(writes(await calls(sim))).toEqual([]);
      expect(
        kms()
          .map((k) => k.uuid)
          .sort(),
      ).toEqual([id, taken.uuid].sort());
    });

    test("a valid replacement is proven with read-only calls; unknown inputs (preview) make no call", async () => {
      const { id, outs } = await create({ onboard: { passphrase: PASSPHRASE } });
      sim.clearRequestLog();
      const d = await diff(id, outs, {
        external: external(["10.0.0.1"], "cluster-client", [cert("", "ca-2")]),
      });
      expect(d).toMatchObject({
        changes: true,
        replaces: ["external", "onboard"],
        deleteBeforeReplace: true,
      });
      const list = await calls(sim);
      expect(list.length).toBeGreaterThan(0);
      expect(writes(list)).toEqual([]);
      sim.clearRequestLog();
      const preview = await provider.check(
        {},
        { external: { clientCertificate: UNKNOWN, serverCaCertificates: ["x"], servers: ["10.0.0.1"] } },
      );
      expect(await provider.diff(id, outs, preview.inputs)).toMatchObject({
        replaces: ["external", "onboard"],
      });
      expect(await calls(sim)).toEqual([]);
    });
  });

  // 9.6 writes synchronously: only a later release has jobs to outlast.
  if (later)
    describe("6. a create whose job outlasts the job timeout resumes", () => {
      test("recorded as pending under its job; the next up takes over the key manager it made, no adopt", async () => {
        // A 2 s request timeout caps return_timeout at 1 s: the 2.5 s job outlasts it, the POST answers 202.
        await configure({ ...config, "ontap:jobTimeout": "1", "ontap:requestTimeout": "2" });
        sim.setJobDelay(2_500);
        const program = { external: external(["10.0.0.1"]) };
        const inputs = await checked(program);
        const err = await failure(provider.create(inputs));
        expect(err).toBeInstanceOf(PartialStateError);
        const partial = err as PartialStateError;
        expect(err.message).toContain("recorded as pending");
        expect(err.message).not.toContain("adopt: true");
        const pending = { ...partial.properties, ...SERIALIZED };
        expect(parseKeyManagerOutputs(pending)).toMatchObject({ createJob: partial.id, uuid: partial.id });
        // The next up: an update (never a replacement) that waits for the job and takes the key manager over.
        await configure(config);
        expect(await diff(partial.id, pending, program)).toMatchObject({ changes: true, replaces: [] });
        const outs = await update(partial.id, pending, program);
        const made = kms();
        expect(made).toHaveLength(1);
        expect(parseKeyManagerOutputs(outs)).toMatchObject({ uuid: made[0]!.uuid });
        expect(parseKeyManagerOutputs(outs).createJob).toBeUndefined();
        expect((await diff(partial.id, outs, program)).changes).toBe(false);
        // A refresh moves the resource id to the key manager's UUID.
        expect((await provider.read(partial.id, outs)).id).toBe(made[0]!.uuid);
      });

      test("a pending create whose job failed is created by the next up; destroyed while pending, its object goes", async () => {
        const program = { external: external(["10.0.0.1"]) };
        const pendingFrom = async (fault: boolean): Promise<{ id: string; pending: Props }> => {
          // return_timeout (1 s, capped by the request timeout) plus the 1 s job timeout end before the job.
          await configure({ ...config, "ontap:jobTimeout": "1", "ontap:requestTimeout": "2" });
          sim.setJobDelay(3_000);
          if (fault) {
            sim.injectFault({
              method: "POST",
              path: KM,
              action: {
                type: "job-failure",
                code: 66060341,
                message: "Cannot connect to key server 10.0.0.1.",
              },
            });
          }
          const err = await failure(provider.create(await checked(program)));
          expect(err).toBeInstanceOf(PartialStateError);
          await configure(config);
          const partial = err as PartialStateError;
          return { id: partial.id, pending: { ...partial.properties, ...SERIALIZED } };
        };
        const failed = await pendingFrom(true);
        const outs = await update(failed.id, failed.pending, program);
        expect(kms().map((k) => k.uuid)).toEqual([parseKeyManagerOutputs(outs).uuid]);
        sim.setJobDelay(20);
        await provider.delete(failed.id, outs);
        expect(kms()).toEqual([]);

        const running = await pendingFrom(false);
        await provider.delete(running.id, running.pending);
        expect(kms()).toEqual([]);
      });
    });

  describe("7. a rotation whose answers were lost twice has a way out", () => {
    test("65536139 names onboard.currentPassphrase; given, it is used, and kept only inside the secret onboard", async () => {
      const { id, outs } = await create({ onboard: { passphrase: PASSPHRASE } });
      sim.injectFault({
        method: "PATCH",
        path: `${KM}/${id}`,
        count: 2,
        action: { type: "drop-after-apply" },
      });
      const lost = await failure(update(id, outs, { onboard: { passphrase: NEW_PASSPHRASE } }));
      expect(sim.checkOnboardPassphrase(NEW_PASSPHRASE)).toBe(true);
      const stale = lost instanceof PartialStateError ? { ...lost.properties, ...SERIALIZED } : outs;
      expect(parseKeyManagerOutputs(stale).onboard?.passphrase).toBe(PASSPHRASE);

      const stuck = await failure(update(id, stale, { onboard: { passphrase: NEW_PASSPHRASE } }));
      expect(stuck.message).toContain("65536139");
      expect(stuck.message).toContain("onboard.currentPassphrase");
      expect(stuck.message).not.toContain(NEW_PASSPHRASE);

      // ONTAP already holds the program's passphrase: recorded, without a call.
      sim.clearRequestLog();
      const fixed = await update(id, stale, {
        onboard: { passphrase: NEW_PASSPHRASE, currentPassphrase: NEW_PASSPHRASE },
      });
      expect(writes(await calls(sim))).toEqual([]);
      expect(parseKeyManagerOutputs(fixed).onboard).toMatchObject({
        passphrase: NEW_PASSPHRASE,
        currentPassphrase: NEW_PASSPHRASE,
      });
      expect(
        (
          await diff(id, fixed, {
            onboard: { passphrase: NEW_PASSPHRASE, currentPassphrase: NEW_PASSPHRASE },
          })
        ).changes,
      ).toBe(false);
      const { onboard: _onboard, ...rest } = fixed;
      expect(JSON.stringify(rest)).not.toContain(NEW_PASSPHRASE);

      // From a stale state to a third passphrase: one rotation from the given current one.
      sim.clearRequestLog();
      const third = await update(id, stale, {
        onboard: { passphrase: THIRD_PASSPHRASE, currentPassphrase: NEW_PASSPHRASE },
      });
      expect(writes(await calls(sim))).toEqual([`PATCH ${KM}/{km}`]);
      expect(sim.checkOnboardPassphrase(THIRD_PASSPHRASE)).toBe(true);
      expect(parseKeyManagerOutputs(third).onboard?.passphrase).toBe(THIRD_PASSPHRASE);
    });
  });

  describe("10. lookups do not trust filters", () => {
    test("an answer that ignores scope=cluster never makes a cluster adopt take over an SVM's key manager", async () => {
      const svmKm = await seed(sim, svmExternal("vs0"));
      sim.injectFault({
        method: "GET",
        path: KM,
        action: { type: "respond", status: 200, body: { records: [svmKm], num_records: 1 } },
      });
      const { id } = await create({ adopt: true, external: external(["10.0.0.1"]) });
      expect(id).not.toBe(svmKm.uuid);
      expect(kms().find((k) => k.uuid === svmKm.uuid)).toEqual(svmKm);
      expect(kms().find((k) => k.uuid === id)).toMatchObject({ scope: "cluster" });
    });

    test("where records carry enabled, adopt picks the enabled configuration, never records[0]", async () => {
      const active = await seed(sim, {
        external: {
          client_certificate: { uuid: cert("", "client") },
          server_ca_certificates: [{ uuid: cert("", "ca-1") }],
          servers: [{ server: "10.0.0.1" }],
        },
      });
      const inactive = { ...active, uuid: "0badc0de-0000-4000-8000-000000000003", enabled: false };
      sim.injectFault({
        method: "GET",
        path: KM,
        action: {
          type: "respond",
          status: 200,
          body: { records: [inactive, { ...active, enabled: true }], num_records: 2 },
        },
      });
      sim.clearRequestLog();
      const { id } = await create({ adopt: true, external: external(["10.0.0.1"]) });
      expect(id).toBe(active.uuid);
      expect(writes(await calls(sim))).toEqual([]);
    });
  });
});
