/**
 * Shared plumbing of the reliability suite: a seeded PRNG, the provider implementations driven the way the
 * Pulumi engine drives them (what it records after a success, a partial failure or a plain failure), and the
 * invariants checked against the simulator after every run.
 *
 * @packageDocumentation
 */

import type * as dynamic from "@pulumi/pulumi/dynamic";
import * as kmImpl from "../../provider/resources/impl/keyManagerProvider";
import * as ksImpl from "../../provider/resources/impl/keyServerProvider";
import { parseKeyManagerOutputs } from "../../provider/resources/model";
import type { Simulator } from "../../simulator";

/** Property bags as the engine passes them. */
export type Props = Record<string, unknown>;

/** The provider implementations the serialized providers load (`pulumi-ontap-keymanager/km` and `/ks`). */
export const km = kmImpl;
export const ks = ksImpl;

/** A provider implementation, as far as the engine sees it. */
export type Impl = typeof kmImpl | typeof ksImpl;

// ---------------------------------------------------------------------------------------------------------------
// seeds

/**
 * The suite's seed: `RELIABILITY_SEED` when set (to reproduce a run), else a fresh one. Printed by each file so a
 * failing run can be replayed with `RELIABILITY_SEED=<seed> npx jest test/reliability`.
 */
export function suiteSeed(): number {
  const fromEnv = process.env.RELIABILITY_SEED;
  if (fromEnv !== undefined && fromEnv !== "") {
    const n = Number(fromEnv);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
      throw new Error(`RELIABILITY_SEED must be an integer 0..4294967295, got "${fromEnv}"`);
    }
    return n;
  }
  return Math.floor(Math.random() * 0x100000000);
}

/** A small seeded PRNG (mulberry32): the same seed gives the same scenarios. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A seed for a sub-generator, so that one scenario's draws do not shift another's. */
  fork(): Rng {
    return new Rng(this.int(0x100000000));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// driving the providers like the engine

/** Stack config of a simulator, plus extra `ontap:*` settings. */
export function simConfig(sim: Simulator, extra: Props = {}): Props {
  return {
    "ontap:host": sim.url,
    "ontap:username": sim.username,
    "ontap:password": sim.password,
    "ontap:caCert": sim.caCert,
    ...extra,
  };
}

/** `configure` of both providers with a stack config (they share the connection module). */
export async function configure(config: Props): Promise<void> {
  const req = { config: { get: (key: string) => config[key] } } as unknown as dynamic.ConfigureRequest;
  await km.configure(req);
  await ks.configure(req);
}

/** Checked inputs; fails the test when `check` rejects them. */
export async function checkedInputs(impl: Impl, raw: Props): Promise<Props> {
  const result = await impl.check({}, raw);
  if ((result.failures ?? []).length > 0) {
    throw new Error(`inputs rejected by check: ${JSON.stringify(result.failures)}`);
  }
  return result.inputs as Props;
}

/** What the engine holds for a resource: its id and outputs. */
export interface Recorded {
  id: string;
  outs: Props;
}

/** The outcome of one engine step. */
export interface Step {
  /** The state the engine keeps afterwards (undefined: no resource recorded). */
  state: Recorded | undefined;
  /** The error the step reported, if any. */
  error?: unknown;
  /** True when the error was a partial failure whose properties the engine recorded. */
  partial: boolean;
}

/** An error carrying `id` and `properties`: the dynamic provider host reports it as "created, but failed to initialise". */
function partialOf(err: unknown): Recorded | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const { id, properties } = err as { id?: unknown; properties?: unknown };
  if (typeof id !== "string" || id === "" || typeof properties !== "object" || properties === null)
    return undefined;
  return { id, outs: properties as Props };
}

/** Create as the engine runs it: a partial failure is recorded, a plain failure records nothing. */
export async function engineCreate(impl: Impl, news: Props): Promise<Step> {
  try {
    const r = await impl.create(news);
    return { state: { id: r.id, outs: r.outs as Props }, partial: false };
  } catch (error) {
    const partial = partialOf(error);
    return { state: partial, error, partial: partial !== undefined };
  }
}

/** Update as the engine runs it: a partial failure records its properties, a plain failure keeps the old state. */
export async function engineUpdate(impl: Impl, state: Recorded, news: Props): Promise<Step> {
  try {
    const r = await impl.update(state.id, state.outs, news);
    return { state: { id: state.id, outs: r.outs as Props }, partial: false };
  } catch (error) {
    const partial = partialOf(error);
    return { state: partial ?? state, error, partial: partial !== undefined };
  }
}

/** Delete as the engine runs it: success forgets the resource, a failure keeps it. */
export async function engineDelete(impl: Impl, state: Recorded): Promise<Step> {
  try {
    await impl.delete(state.id, state.outs);
    return { state: undefined, partial: false };
  } catch (error) {
    return { state, error, partial: false };
  }
}

/**
 * The next `pulumi up` of the same program, with no fault: create when nothing is recorded, otherwise diff and,
 * if needed, update (a replacement would mean the program changed, which it did not).
 */
export async function engineConverge(impl: Impl, state: Recorded | undefined, news: Props): Promise<Step> {
  if (!state) return engineCreate(impl, news);
  const d = await impl.diff(state.id, state.outs, news);
  if ((d.replaces ?? []).length > 0) {
    throw new Error(`the second run would replace the resource (${String(d.replaces)}), which it must not`);
  }
  if (d.changes === false) return { state, partial: false };
  return engineUpdate(impl, state, news);
}

/** The message of anything thrown, for assertion messages. */
export function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until the simulator is quiet: its request log stops growing (entries are logged when a response
 * closes) and, on releases with jobs (`jobDelayMs` given), jobs started by dropped requests have had time to
 * end. Bounded.
 */
export async function quiet(sim: Simulator, jobDelayMs: number | undefined): Promise<void> {
  if (jobDelayMs !== undefined) await sleep(jobDelayMs * 2 + 30);
  let last = -1;
  let stable = 0;
  const until = Date.now() + 3_000;
  while (stable < 3 && Date.now() < until) {
    await sleep(10);
    const n = sim.requestLog().length;
    stable = n === last ? stable + 1 : 0;
    last = n;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// invariants

/** A key manager as `sim.keyManagers()` shows it. */
export interface SimKeyManager {
  uuid: string;
  scope: "cluster" | "svm";
  svm?: { uuid: string; name: string };
  external?: {
    client_certificate: { uuid: string };
    server_ca_certificates: { uuid: string }[];
    servers: { server: string; timeout: number; username: string }[];
  };
  onboard?: { enabled: boolean };
}

/** The key managers on the simulator. */
export function simKeyManagers(sim: Simulator): SimKeyManager[] {
  return sim.keyManagers() as SimKeyManager[];
}

interface ServerSettings {
  server: string;
  timeout: number;
  username: string;
}

interface KmOutputs {
  uuid: string;
  scope: string;
  svm?: string;
  external?: {
    clientCertificateUuid: string;
    serverCaCertificateUuids: string[];
    servers: ServerSettings[];
  };
  onboard?: { enabled: boolean; passphrase?: string };
  serverManagement: "authoritative" | "listed";
}

interface KsOutputs extends ServerSettings {
  keyManager: string;
}

/** Everything the engine holds: key manager states and key server states. */
export interface World {
  keyManagers: Recorded[];
  keyServers: Recorded[];
  /** Objects this program did not create, as they were before the run: they must stay exactly so. */
  foreign?: Foreign;
}

/** Objects on ONTAP that were there before the program ran (another program's, or a person's). */
export interface Foreign {
  /** Key managers, as `sim.keyManagers()` showed them. */
  keyManagers: SimKeyManager[];
  /** Servers added by hand to a key manager the program records (a `listed` one), as they were. */
  servers: { keyManager: string; server: ServerSettings }[];
}

/** What must not change about a key manager, as text: scope, mode, certificates, servers and settings. */
function fingerprint(k: SimKeyManager): string {
  return JSON.stringify({
    scope: scopeOf(k),
    onboard: k.onboard?.enabled === true,
    client: k.external?.client_certificate.uuid,
    cas: (k.external?.server_ca_certificates ?? []).map((c) => c.uuid).sort(),
    servers: (k.external?.servers ?? []).map(settings).sort(),
  });
}

/** Violations of "pre-existing objects are untouched". */
function foreignViolations(onOntap: readonly SimKeyManager[], foreign: Foreign | undefined): string[] {
  if (!foreign) return [];
  const out: string[] = [];
  for (const before of foreign.keyManagers) {
    const now = onOntap.find((k) => k.uuid === before.uuid);
    if (!now) {
      out.push(`touched: the pre-existing key manager ${before.uuid} (${scopeOf(before)}) is gone`);
    } else if (fingerprint(now) !== fingerprint(before)) {
      out.push(
        `touched: the pre-existing key manager ${before.uuid} was ${fingerprint(before)}, is ${fingerprint(now)}`,
      );
    }
  }
  for (const { keyManager, server } of foreign.servers) {
    const now = onOntap
      .find((k) => k.uuid.toLowerCase() === keyManager.toLowerCase())
      ?.external?.servers.find((s) => s.server === server.server);
    if (!now) out.push(`touched: the pre-existing server ${server.server} of ${keyManager} is gone`);
    else if (settings(now) !== settings(server)) {
      out.push(
        `touched: the pre-existing server ${settings(server)} of ${keyManager} is now ${settings(now)}`,
      );
    }
  }
  return out;
}

const scopeOf = (k: { svm?: { name: string } }): string => k.svm?.name ?? "(cluster)";
const settings = (s: ServerSettings): string => `${s.server} timeout=${s.timeout} username="${s.username}"`;

/**
 * The invariants after a run, as a list of violations (empty when all hold):
 * - no duplicate: one key manager per scope, each server once per key manager;
 * - no orphan: every key manager on ONTAP is recorded in the stack, and every server on it is described by
 *   its key manager's outputs or by a KeyServer's;
 * - every recorded key manager or server exists and is in the state its outputs describe (mode, certificates,
 *   servers with their settings, the onboard passphrase);
 * - objects this program did not create (`world.foreign`) are exactly as they were: never taken over, changed
 *   or deleted.
 */
export function violations(sim: Simulator, world: World): string[] {
  const out: string[] = [];
  const onOntap = simKeyManagers(sim);
  const scopes = new Map<string, number>();
  for (const k of onOntap) scopes.set(scopeOf(k), (scopes.get(scopeOf(k)) ?? 0) + 1);
  for (const [scope, n] of scopes) if (n > 1) out.push(`duplicate: ${n} key managers in scope ${scope}`);

  const kmStates = new Map(
    // The stored layout (servers and CAs as maps) read back as the model's lists.
    world.keyManagers.map((r) => [r.id.toLowerCase(), parseKeyManagerOutputs(r.outs) as KmOutputs]),
  );
  const ksStates = world.keyServers.map((r) => r.outs as unknown as KsOutputs);
  const foreignKms = new Set((world.foreign?.keyManagers ?? []).map((k) => k.uuid.toLowerCase()));
  out.push(...foreignViolations(onOntap, world.foreign));
  for (const k of onOntap) {
    if (!kmStates.has(k.uuid.toLowerCase()) && !foreignKms.has(k.uuid.toLowerCase())) {
      out.push(`orphan: key manager ${k.uuid} in scope ${scopeOf(k)} is on ONTAP but in no recorded state`);
    }
  }
  for (const [uuid, outs] of kmStates) {
    const k = onOntap.find((x) => x.uuid.toLowerCase() === uuid);
    if (!k) {
      out.push(`stale: the state describes key manager ${uuid}, which ONTAP does not have`);
      continue;
    }
    const byHand = (world.foreign?.servers ?? [])
      .filter((f) => f.keyManager.toLowerCase() === uuid)
      .map((f) => f.server.server);
    out.push(...keyManagerMismatches(sim, k, outs, ksStates, new Set(byHand)));
  }
  for (const ksOuts of ksStates) {
    const k = onOntap.find((x) => x.uuid.toLowerCase() === ksOuts.keyManager.toLowerCase());
    const s = k?.external?.servers.find((x) => x.server === ksOuts.server);
    if (!s) {
      out.push(
        `stale: the state describes key server ${ksOuts.server} of ${ksOuts.keyManager}, which ONTAP does not have`,
      );
    } else if (settings(s) !== settings(ksOuts)) {
      out.push(
        `mismatch: key server ${ksOuts.server}: ONTAP has ${settings(s)}, the KeyServer state ${settings(ksOuts)}`,
      );
    }
  }
  return out;
}

function keyManagerMismatches(
  sim: Simulator,
  k: SimKeyManager,
  outs: KmOutputs,
  keyServers: readonly KsOutputs[],
  byHand: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  const where = `key manager ${k.uuid} (${scopeOf(k)})`;
  if (scopeOf(k) !== (outs.svm ?? "(cluster)"))
    out.push(`mismatch: ${where} has scope ${scopeOf(k)}, state ${outs.svm}`);
  const mode = k.onboard?.enabled === true ? "onboard" : "external";
  const stateMode = outs.onboard ? "onboard" : "external";
  if (mode !== stateMode)
    return [...out, `mismatch: ${where} is ${mode} on ONTAP, ${stateMode} in the state`];
  if (outs.onboard) {
    const passphrase = outs.onboard.passphrase;
    if (passphrase !== undefined && !sim.checkOnboardPassphrase(passphrase)) {
      out.push(`mismatch: ${where}: ONTAP's onboard passphrase is not the one the state holds`);
    }
    return out;
  }
  const ext = k.external!;
  const stateExt = outs.external!;
  const sortJoin = (xs: readonly string[]): string =>
    [...xs]
      .map((x) => x.toLowerCase())
      .sort()
      .join(",");
  if (ext.client_certificate.uuid.toLowerCase() !== stateExt.clientCertificateUuid.toLowerCase()) {
    out.push(
      `mismatch: ${where}: client certificate ${ext.client_certificate.uuid} on ONTAP, ${stateExt.clientCertificateUuid} in the state`,
    );
  }
  const cas = sortJoin(ext.server_ca_certificates.map((c) => c.uuid));
  if (cas !== sortJoin(stateExt.serverCaCertificateUuids)) {
    out.push(
      `mismatch: ${where}: server CAs ${cas} on ONTAP, ${sortJoin(stateExt.serverCaCertificateUuids)} in the state`,
    );
  }
  const seen = new Set<string>();
  for (const s of ext.servers) {
    if (seen.has(s.server)) out.push(`duplicate: ${where} lists server ${s.server} twice`);
    seen.add(s.server);
  }
  const owned = new Map(stateExt.servers.map((s) => [s.server, s]));
  const byKeyServer = new Map(
    keyServers.filter((s) => s.keyManager.toLowerCase() === k.uuid.toLowerCase()).map((s) => [s.server, s]),
  );
  for (const s of ext.servers) {
    const mine = owned.get(s.server);
    if (mine) {
      if (settings(mine) !== settings(s)) {
        out.push(`mismatch: ${where}: ONTAP has ${settings(s)}, the state ${settings(mine)}`);
      }
    } else if (byHand.has(s.server) && outs.serverManagement === "listed") {
      // Added by hand to a listed key manager: the foreign checks hold it to its settings.
    } else if (outs.serverManagement === "authoritative" || !byKeyServer.has(s.server)) {
      out.push(`orphan: ${where} has server ${s.server}, which no recorded state describes`);
    }
  }
  for (const s of stateExt.servers) {
    if (!seen.has(s.server))
      out.push(`stale: the state of ${where} lists server ${s.server}, which ONTAP does not have`);
  }
  return out;
}
