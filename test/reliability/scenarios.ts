/**
 * Fault-injection scenarios: one operation (create, update or delete of a KeyManager or a KeyServer) run with
 * a fault injected into one of the requests it always makes, then the same program run again with no fault.
 * Every scenario starts beside objects this program did not create (a key manager in another SVM, a server
 * added by hand), which must be untouched after both runs.
 * A scenario is drawn from a seeded PRNG, so a seed reproduces it exactly.
 *
 * @packageDocumentation
 */

import { closeAllClients } from "../../provider/ontap";
import { OntapAdmin } from "../support/ontapAdmin";
import {
  type FaultAction,
  type FaultSpec,
  type RequestLogEntry,
  type Simulator,
  startSimulator,
} from "../../simulator";
import {
  type Foreign,
  type Impl,
  type Props,
  type Recorded,
  type Rng,
  type Step,
  type World,
  checkedInputs,
  configure,
  describeError,
  engineConverge,
  engineCreate,
  engineDelete,
  engineUpdate,
  km,
  ks,
  quiet,
  simConfig,
  simKeyManagers,
  violations,
} from "./support";

/** The kinds of fault the suite injects. */
export const FAULT_KINDS = ["5xx", "reset", "stall", "drop-after-apply", "job-failure"] as const;
/** One kind of fault. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The operations under test. */
export const OPERATIONS = [
  "km-create",
  "km-update",
  "km-delete",
  "ks-create",
  "ks-update",
  "ks-delete",
] as const;
/** One operation. */
export type Operation = (typeof OPERATIONS)[number];

/** Timing of the suite's simulator and provider config. */
export interface Timing {
  /** `ontap:requestTimeout`, seconds: short, so that stalls past it keep the suite fast. */
  requestTimeoutS: number;
  /** Simulator job delay, ms (later releases); each scenario draws 5 ms, this, or 150 ms. */
  jobDelayMs: number;
}

/** A request an operation sends. */
interface Target {
  method: string;
  path: RegExp;
  label: string;
}

/** What a scenario needs before its operation: the states already recorded and the operation's inputs. */
interface Prepared {
  /** Which provider. */
  impl: Impl;
  /** States of the other resources (the KeyServers' key manager, ...). */
  others: World;
  /** Whether the resource under test is a KeyServer. */
  isKeyServer: boolean;
  /** The state of the resource under test (update and delete). */
  target?: Recorded;
  /** The inputs of the program (create and update), checked. */
  news?: Props;
  /** Requests the operation always sends, writes first. */
  writes: Target[];
  /** GETs it always sends. */
  reads: Target[];
  /** GETs it may send (lookups after a lost answer, re-reads after a failure): transient faults only. */
  maybeReads: Target[];
  /** In words. */
  what: string;
}

/** A drawn scenario, ready to run. */
export interface Scenario {
  /** Test name. */
  name: string;
  /** Runs it; returns a one-line summary. */
  run(sim: Simulator): Promise<string>;
}

const UUID = "[0-9a-f-]{36}";
const KM_COLLECTION = /^\/api\/security\/key-managers$/;
const KM_INSTANCE = new RegExp(`^/api/security/key-managers/${UUID}$`);
const KS_COLLECTION = new RegExp(`^/api/security/key-managers/${UUID}/key-servers$`);
const ksInstance = (server: string): RegExp =>
  new RegExp(`^/api/security/key-managers/${UUID}/key-servers/${escape(encodeURIComponent(server))}$`);
const CERTIFICATES = /^\/api\/security\/certificates$/;

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const PASSPHRASES = [
  "reliability-onboard-passphrase-AAAA-0123456789",
  "reliability-onboard-passphrase-BBBB-9876543210",
];
/** KMIP password used on later releases (9.6 has no key server passwords). */
export const KS_PASSWORD = "reliability-kmip-password-7f3a9c";

const external = (
  scope: string | undefined,
  servers: (string | { server: string; timeout?: number; username?: string })[],
  client = "client",
  cas = ["ca-1"],
): Props => {
  const prefix = scope ?? "cluster";
  return {
    ...(scope !== undefined ? { svm: scope } : {}),
    external: {
      clientCertificate: `${prefix}-${client}`,
      serverCaCertificates: cas.map((c) => `${prefix}-${c}`),
      servers,
    },
  };
};

async function mustCreate(impl: Impl, raw: Props): Promise<Recorded> {
  const r = await impl.create(await checkedInputs(impl, raw));
  return { id: r.id, outs: r.outs as Props };
}

/** The kinds of KeyManager update. */
export const KM_UPDATE_VARIANTS = [
  "add",
  "remove",
  "timeout",
  "certificates",
  "several",
  "passphrase",
] as const;

/** Details a pinned scenario fixes instead of drawing them (it also always hits its first write, alone). */
export interface Pin {
  /** The KeyManager update to make. */
  variant?: (typeof KM_UPDATE_VARIANTS)[number];
  /** How long the simulator's jobs take (later releases). */
  jobDelayMs?: number;
}

/** Draws what the operation does and which requests it sends, and creates what it needs first (no fault). */
async function prepare(op: Operation, rng: Rng, later: boolean, pin: Pin): Promise<Prepared> {
  const scope = rng.pick([undefined, "vs0", "vs1"]);
  switch (op) {
    case "km-create": {
      if (rng.chance(0.25)) {
        return {
          impl: km,
          others: { keyManagers: [], keyServers: [] },
          isKeyServer: false,
          news: await checkedInputs(km, { onboard: { passphrase: PASSPHRASES[0] } }),
          writes: [{ method: "POST", path: KM_COLLECTION, label: "POST key-managers" }],
          reads: [],
          maybeReads: [{ method: "GET", path: KM_COLLECTION, label: "GET key-managers (lookup)" }],
          what: "create onboard",
        };
      }
      const slow = rng.chance(0.4);
      const servers = slow
        ? ["10.1.0.1", { server: "10.1.0.2", timeout: 40, username: "kmip" }]
        : ["10.1.0.1"];
      return {
        impl: km,
        others: { keyManagers: [], keyServers: [] },
        isKeyServer: false,
        news: await checkedInputs(km, external(scope, servers)),
        writes: [
          { method: "POST", path: KM_COLLECTION, label: "POST key-managers" },
          ...(slow
            ? [{ method: "PATCH", path: ksInstance("10.1.0.2:5696"), label: "PATCH key-servers (settings)" }]
            : []),
        ],
        reads: [{ method: "GET", path: CERTIFICATES, label: "GET certificates" }],
        maybeReads: [
          { method: "GET", path: KM_COLLECTION, label: "GET key-managers (lookup)" },
          { method: "GET", path: KM_INSTANCE, label: "GET key-manager (re-read)" },
        ],
        what: `create external in ${scope ?? "the cluster"} with ${servers.length} server(s)${slow ? ", one with settings" : ""}`,
      };
    }
    case "km-update": {
      const drawn = rng.pick(KM_UPDATE_VARIANTS);
      const variant = pin.variant ?? drawn;
      if (variant === "passphrase") {
        const target = await mustCreate(km, { onboard: { passphrase: PASSPHRASES[0] } });
        return {
          impl: km,
          others: { keyManagers: [], keyServers: [] },
          isKeyServer: false,
          target,
          news: await checkedInputs(km, { onboard: { passphrase: PASSPHRASES[1] } }),
          writes: [{ method: "PATCH", path: KM_INSTANCE, label: "PATCH key-manager (passphrase)" }],
          reads: [],
          maybeReads: [{ method: "GET", path: KM_INSTANCE, label: "GET key-manager (re-read)" }],
          what: "rotate the onboard passphrase",
        };
      }
      const target = await mustCreate(km, external(scope, ["10.1.0.1", "10.1.0.2"]));
      const plan: Record<typeof variant, { raw: Props; writes: Target[]; reads: Target[] }> = {
        add: {
          raw: external(scope, ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4"]),
          writes: [{ method: "POST", path: KS_COLLECTION, label: "POST key-servers (batch)" }],
          reads: [],
        },
        remove: {
          raw: external(scope, ["10.1.0.1"]),
          writes: [{ method: "DELETE", path: ksInstance("10.1.0.2:5696"), label: "DELETE key-server" }],
          reads: [],
        },
        timeout: {
          raw: external(scope, ["10.1.0.1", { server: "10.1.0.2", timeout: 45 }]),
          writes: [{ method: "PATCH", path: ksInstance("10.1.0.2:5696"), label: "PATCH key-server" }],
          reads: [],
        },
        certificates: {
          raw: external(scope, ["10.1.0.1", "10.1.0.2"], "client-renewed", ["ca-2", "ca-3"]),
          writes: [{ method: "PATCH", path: KM_INSTANCE, label: "PATCH key-manager (certificates)" }],
          reads: [{ method: "GET", path: CERTIFICATES, label: "GET certificates" }],
        },
        several: {
          raw: external(
            scope,
            ["10.1.0.1", "10.1.0.3", { server: "10.1.0.4", timeout: 50, username: "svc" }],
            "client-renewed",
          ),
          writes: [
            { method: "PATCH", path: KM_INSTANCE, label: "PATCH key-manager (certificates)" },
            { method: "POST", path: KS_COLLECTION, label: "POST key-servers (batch)" },
            { method: "PATCH", path: ksInstance("10.1.0.4:5696"), label: "PATCH key-server (settings)" },
            { method: "DELETE", path: ksInstance("10.1.0.2:5696"), label: "DELETE key-server" },
          ],
          reads: [{ method: "GET", path: CERTIFICATES, label: "GET certificates" }],
        },
      };
      const p = plan[variant];
      return {
        impl: km,
        others: { keyManagers: [], keyServers: [] },
        isKeyServer: false,
        target,
        news: await checkedInputs(km, p.raw),
        writes: p.writes,
        reads: p.reads,
        maybeReads: [{ method: "GET", path: KM_INSTANCE, label: "GET key-manager (re-read)" }],
        what: `update in ${scope ?? "the cluster"}: ${variant}`,
      };
    }
    case "km-delete": {
      const onboard = rng.chance(0.3);
      const target = onboard
        ? await mustCreate(km, { onboard: { passphrase: PASSPHRASES[0] } })
        : await mustCreate(km, external(scope, ["10.1.0.1", "10.1.0.2"]));
      return {
        impl: km,
        others: { keyManagers: [], keyServers: [] },
        isKeyServer: false,
        target,
        writes: [{ method: "DELETE", path: KM_INSTANCE, label: "DELETE key-manager" }],
        reads: [],
        maybeReads: [{ method: "GET", path: KM_INSTANCE, label: "GET key-manager (lookup)" }],
        what: `delete ${onboard ? "onboard" : `external in ${scope ?? "the cluster"}`}`,
      };
    }
    case "ks-create":
    case "ks-update":
    case "ks-delete": {
      const host = await mustCreate(km, { ...external(scope, ["10.2.0.1"]), serverManagement: "listed" });
      const others: World = { keyManagers: [host], keyServers: [] };
      const server = rng.pick(["10.2.0.2", "kms-2.example.com", "[fd00::2]:5697"]);
      const canonical = server.includes(":") ? server : `${server}:5696`;
      const withPassword = later && rng.chance(0.5);
      const base = { keyManager: host.id, server };
      const instance = { method: "GET", path: ksInstance(canonical), label: "GET key-server (lookup)" };
      if (op === "ks-create") {
        const withSettings = rng.chance(0.5);
        const settings = withSettings ? { timeout: 30, username: "kmip" } : {};
        const raw = {
          ...base,
          ...settings,
          ...(withPassword ? { username: "kmip", password: KS_PASSWORD } : {}),
        };
        // The POST carries the address only; settings and password follow in one PATCH.
        return {
          impl: ks,
          others,
          isKeyServer: true,
          news: await checkedInputs(ks, raw),
          writes: [
            { method: "POST", path: KS_COLLECTION, label: "POST key-servers" },
            ...(withPassword || withSettings
              ? [{ method: "PATCH", path: ksInstance(canonical), label: "PATCH key-server (settings)" }]
              : []),
          ],
          // Read before write: the server must not be there yet.
          reads: [{ ...instance, label: "GET key-server (pre-read)" }],
          maybeReads: [instance],
          what: `add ${server}${withSettings ? " with settings" : ""}${withPassword ? " with a password" : ""}`,
        };
      }
      const target = await mustCreate(ks, base);
      if (op === "ks-update") {
        const raw = {
          ...base,
          timeout: 55,
          username: "svc",
          ...(withPassword ? { password: KS_PASSWORD } : {}),
        };
        return {
          impl: ks,
          others,
          isKeyServer: true,
          target,
          news: await checkedInputs(ks, raw),
          writes: [{ method: "PATCH", path: ksInstance(canonical), label: "PATCH key-server" }],
          reads: [],
          maybeReads: [instance],
          what: `change ${server}'s timeout and username${withPassword ? " and set a password" : ""}`,
        };
      }
      return {
        impl: ks,
        others,
        isKeyServer: true,
        target,
        writes: [{ method: "DELETE", path: ksInstance(canonical), label: "DELETE key-server" }],
        reads: [],
        maybeReads: [instance],
        what: `remove ${server}`,
      };
    }
  }
}

/** The data SVM that holds the pre-existing key manager (the suite's simulator seeds it). */
const FOREIGN_SVM = "vs2";
/** A server a person added by hand to the key manager of the KeyServer scenarios. */
const BY_HAND = { server: "10.2.0.9:5696", timeout: 33, username: "by-hand" };

/**
 * Objects this program did not create, made the way an administrator would (plain REST calls): a key manager
 * in another SVM with a server of non-default settings and, for KeyServer scenarios, a server added by hand to
 * their (listed) key manager. Snapshotted after they are made; every run must leave them exactly so.
 */
async function seedForeign(sim: Simulator, p: Prepared): Promise<Foreign> {
  const admin = new OntapAdmin(sim);
  try {
    await admin.write("POST", "/api/security/key-managers", {
      svm: { name: FOREIGN_SVM },
      external: {
        client_certificate: { name: `${FOREIGN_SVM}-client` },
        server_ca_certificates: [{ name: `${FOREIGN_SVM}-ca-1` }],
        servers: [{ server: "10.9.0.1" }, { server: "kms-foreign.example.com" }],
      },
    });
    const theirs = await admin.keyManager(FOREIGN_SVM);
    await admin.write(
      "PATCH",
      `/api/security/key-managers/${theirs.uuid}/key-servers/${encodeURIComponent("kms-foreign.example.com:5696")}`,
      { timeout: 44, username: "theirs" },
    );
    const host = p.isKeyServer ? p.others.keyManagers[0]?.id : undefined;
    if (host !== undefined) {
      await admin.addKeyServer(host, BY_HAND.server);
      await admin.write(
        "PATCH",
        `/api/security/key-managers/${host}/key-servers/${encodeURIComponent(BY_HAND.server)}`,
        { timeout: BY_HAND.timeout, username: BY_HAND.username },
      );
    }
    return {
      keyManagers: simKeyManagers(sim).filter((k) => k.uuid === theirs.uuid),
      servers: host !== undefined ? [{ keyManager: host, server: BY_HAND }] : [],
    };
  } finally {
    await admin.close();
  }
}

/** The fault action of a kind, for a write or a read. */
function actionFor(kind: FaultKind, isWrite: boolean, rng: Rng, timing: Timing): FaultAction {
  switch (kind) {
    case "5xx":
      return { type: "status", status: rng.pick(isWrite ? [500, 502, 503, 504] : [500, 503]) };
    case "reset":
      return { type: "reset" };
    case "stall":
      return { type: "stall", ms: timing.requestTimeoutS * 1000 + 600 };
    case "drop-after-apply":
      return { type: "drop-after-apply" };
    case "job-failure":
      return {
        type: "job-failure",
        code: rng.pick([65536921, 65536406, 66060341]),
        message: "Simulated job failure.",
      };
  }
}

/** Which faults apply to which requests: writes take every kind, reads only those a GET can suffer. */
function targetsFor(kind: FaultKind, p: Prepared): Target[] {
  const writeOnly = kind === "drop-after-apply" || kind === "job-failure";
  return writeOnly ? p.writes : [...p.writes, ...p.reads];
}

/** Whether a logged request is the target (the log holds raw paths: key server segments stay encoded). */
function matches(e: RequestLogEntry, t: Target): boolean {
  return e.method === t.method && t.path.test(e.path.split("?")[0] ?? "");
}

function summary(step: Step): string {
  if (!step.error) return "ok";
  return `${step.partial ? "partial" : "failed"} (${describeError(step.error).slice(0, 140)})`;
}

/**
 * Draws one scenario.
 *
 * @param op - The operation under test.
 * @param kind - The fault to inject.
 * @param rng - The scenario's own generator.
 * @param later - Whether the simulator plays a release with jobs.
 * @param timing - Request timeout and job delay.
 * @param pin - Details to fix rather than draw.
 */
export function drawScenario(
  op: Operation,
  kind: FaultKind,
  rng: Rng,
  later: boolean,
  timing: Timing,
  pin: Pin = {},
): Scenario {
  const drawnDelay = rng.pick([5, timing.jobDelayMs, 150]);
  const draws = {
    count: rng.pick([1, 1, 2]),
    // A second, transient fault would change the timing a pinned scenario fixes: pinned ones have none.
    second: rng.chance(0.35) && pin.variant === undefined && pin.jobDelayMs === undefined,
    // Later releases: a job that ends before the provider looks again, or one still running when it looks.
    jobDelayMs: later ? (pin.jobDelayMs ?? drawnDelay) : undefined,
    rng: rng.fork(),
  };
  const pinned = [
    pin.variant,
    pin.jobDelayMs !== undefined && later ? `jobs of ${pin.jobDelayMs} ms` : undefined,
  ].filter((x) => x !== undefined);
  return {
    name: `${op} with ${kind}${pinned.length > 0 ? ` (${pinned.join(", ")})` : ""}`,
    async run(sim) {
      sim.reset();
      // Setup and the second run get a generous request timeout, so that a slow moment of a busy machine is
      // not a fault of its own; only the faulty run has the short one that stalls outlast.
      await configure(simConfig(sim, { "ontap:requestTimeout": "30" }));
      if (draws.jobDelayMs !== undefined) sim.setJobDelay(draws.jobDelayMs);
      const p = await prepare(op, draws.rng, later, pin);
      const foreign = await seedForeign(sim, p);
      const candidates = targetsFor(kind, p);
      // A pinned scenario hits the operation's first write: its main request.
      const isPinned = pin.variant !== undefined || pin.jobDelayMs !== undefined;
      const primary = isPinned ? candidates[0]! : draws.rng.pick(candidates);
      const isWrite = primary.method !== "GET";
      const fault: FaultSpec = {
        method: primary.method,
        path: primary.path,
        // A write is never retried, so a second matching write would be a second, independent request.
        count: isWrite ? 1 : draws.count,
        action: actionFor(kind, isWrite, draws.rng, timing),
      };
      const faults = [fault];
      if (draws.second && p.maybeReads.length > 0) {
        // A transient fault on a lookup the provider may make: its retries must absorb it.
        const read = draws.rng.pick(p.maybeReads);
        faults.push({
          method: read.method,
          path: read.path,
          count: 1,
          action: draws.rng.pick<FaultAction>([{ type: "reset" }, { type: "status", status: 503 }]),
        });
      }
      const described = faults
        .map(
          (f) =>
            `${f.action.type}${f.action.type === "status" ? ` ${f.action.status}` : ""} on ${f.method} ${String(f.path)}${(f.count ?? 1) > 1 ? ` x${f.count}` : ""}`,
        )
        .join(" + ");

      await configure(simConfig(sim, { "ontap:requestTimeout": String(timing.requestTimeoutS) }));
      sim.clearRequestLog();
      for (const f of faults) sim.injectFault(f);
      const first =
        p.target === undefined
          ? await engineCreate(p.impl, p.news!)
          : p.news === undefined
            ? await engineDelete(p.impl, p.target)
            : await engineUpdate(p.impl, p.target, p.news);
      sim.clearFaults();
      await quiet(sim, draws.jobDelayMs);
      const fired = sim.requestLog().some((e) => matches(e, primary));
      const jobs = draws.jobDelayMs !== undefined ? `; jobs take ${draws.jobDelayMs} ms` : "";
      const context = `${p.what}; fault: ${described}${jobs}; first run: ${summary(first)}`;
      if (!fired) throw new Error(`the fault never fired: ${context}`);

      const worldOf = (state: Recorded | undefined): World => ({
        keyManagers: [...p.others.keyManagers, ...(!p.isKeyServer && state ? [state] : [])],
        keyServers: [...p.others.keyServers, ...(p.isKeyServer && state ? [state] : [])],
        foreign,
      });
      const afterFirst = violations(sim, worldOf(first.state));

      await configure(simConfig(sim, { "ontap:requestTimeout": "30" }));
      const second =
        p.news === undefined
          ? first.state
            ? await engineDelete(p.impl, first.state)
            : { state: undefined, partial: false }
          : await engineConverge(p.impl, first.state, p.news);
      await quiet(sim, draws.jobDelayMs);
      const afterSecond = violations(sim, worldOf(second.state));
      const problems = [
        ...afterFirst.map((v) => `after the faulty run: ${v}`),
        ...(second.error ? [`the second run failed: ${describeError(second.error)}`] : []),
        ...afterSecond.map((v) => `after the second run: ${v}`),
      ];
      if (p.news !== undefined && second.state && !second.error) {
        // Converged: no diff against the program, and a refresh finds no drift.
        const d = await p.impl.diff(second.state.id, second.state.outs, p.news);
        if (d.changes !== false) problems.push("the second run did not converge: diff still reports changes");
        const read = await p.impl.read(second.state.id, second.state.outs);
        if (read.id !== second.state.id)
          problems.push(`refresh after the second run lost the resource (id "${read.id}")`);
        else if ((await p.impl.diff(read.id, read.props, p.news)).changes !== false) {
          problems.push("refresh after the second run shows drift");
        }
      }
      if (p.news === undefined && second.state) problems.push("the second run did not delete the resource");
      if (problems.length > 0) throw new Error(`${context}\n  ${problems.join("\n  ")}`);
      return `${context}; second run: ${summary(second)}`;
    },
  };
}

/**
 * The scenarios of one release: every operation with every fault kind (job failures and lost answers only hit
 * writes), in a seeded order with seeded details.
 *
 * @param rng - The file's generator.
 * @param later - Whether the simulator plays a release with jobs.
 * @param timing - Request timeout and job delay.
 * @param keep - Which (operation, fault) pairs to draw; all by default.
 * @param pinned - Scenarios always run with some details fixed (the lost answers that are hardest to
 *   reconcile), in addition to the drawn ones.
 */
export function drawScenarios(
  rng: Rng,
  later: boolean,
  timing: Timing,
  keep: (op: Operation, kind: FaultKind) => boolean = () => true,
  pinned: readonly { op: Operation; kind: FaultKind; pin: Pin }[] = [],
): Scenario[] {
  const out: Scenario[] = [];
  for (const op of OPERATIONS) {
    for (const kind of FAULT_KINDS) {
      const sub = rng.fork();
      if (keep(op, kind)) out.push(drawScenario(op, kind, sub, later, timing));
    }
  }
  for (const { op, kind, pin } of pinned) out.push(drawScenario(op, kind, rng.fork(), later, timing, pin));
  return out;
}

/**
 * Registers a seeded fault-injection suite: one simulator playing `version` for all scenarios, each scenario
 * a test, and the seed printed so a failure can be replayed with RELIABILITY_SEED.
 */
export function faultSuite(
  version: string,
  seed: number,
  timing: Timing,
  scenarios: readonly Scenario[],
): void {
  console.log(`fault injection on ONTAP ${version}: seed ${seed} (reproduce with RELIABILITY_SEED=${seed})`);
  let sim: Simulator;
  beforeAll(async () => {
    // vs2 holds a key manager this program did not create (see seedForeign).
    sim = await startSimulator({
      ontapVersion: version,
      jobDelayMs: timing.jobDelayMs,
      dataSvms: ["vs0", "vs1", FOREIGN_SVM],
    });
  });
  afterAll(async () => {
    await closeAllClients();
    await sim?.close();
  });
  describe(`fault injection on ONTAP ${version} (seed ${seed})`, () => {
    test.each(scenarios.map((s, i) => [`#${i + 1} ${s.name}`, s] as const))(
      "%s",
      async (_name, scenario) => {
        await scenario.run(sim);
      },
      30_000,
    );
  });
}
