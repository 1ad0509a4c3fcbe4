/**
 * Shared plumbing of `npm run bench`: driving the provider implementations the way the dynamic provider host
 * does, reading the simulator's request log once it has settled, and small statistics.
 *
 * @packageDocumentation
 */

import type * as dynamic from "@pulumi/pulumi/dynamic";
import * as km from "../provider/resources/impl/keyManagerProvider";
import * as ks from "../provider/resources/impl/keyServerProvider";
import type { RequestLogEntry, Simulator } from "../simulator";

/** Property bags as the host passes them. */
export type Props = Record<string, unknown>;

/** The two provider implementations, called directly (what the serialized provider's one-liners reach). */
export const providers = { km, ks } as const;

/** Connection config of a simulator, as a stack config would carry it. */
export function simConfig(sim: Pick<Simulator, "url" | "username" | "password" | "caCert">): Props {
  return {
    "ontap:host": sim.url,
    "ontap:username": sim.username,
    "ontap:password": sim.password,
    "ontap:caCert": sim.caCert,
  };
}

/** Configures both providers (they share one connection module, so either would do; the host calls each). */
export async function configureProviders(config: Props): Promise<void> {
  const req = { config: { get: (key: string) => config[key] } } as unknown as dynamic.ConfigureRequest;
  await km.configure(req);
  await ks.configure(req);
}

/** `check` that must pass: returns the checked inputs. */
export async function checked(
  impl: { check(olds: unknown, news: unknown): Promise<dynamic.CheckResult> },
  raw: Props,
): Promise<Props> {
  const result = await impl.check({}, raw);
  if ((result.failures ?? []).length > 0) {
    throw new Error(`bench inputs rejected: ${JSON.stringify(result.failures)}`);
  }
  return result.inputs as Props;
}

/** External settings in the shape a program writes them. */
export function external(
  servers: (string | { server: string; timeout?: number; username?: string })[],
  clientCertificate = "cluster-client",
  serverCaCertificates = ["cluster-ca-1"],
): Props {
  return { clientCertificate, serverCaCertificates, servers };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The request log once it has settled: an entry is recorded when its response closes, which may be a moment
 * after the client has read the body. Waits until the count is stable (bounded).
 */
export async function settledLog(sim: Simulator, timeoutMs = 3_000): Promise<RequestLogEntry[]> {
  let last = -1;
  let stable = 0;
  const until = Date.now() + timeoutMs;
  while (stable < 3 && Date.now() < until) {
    await sleep(10);
    const n = sim.requestLog().length;
    stable = n === last ? stable + 1 : 0;
    last = n;
  }
  return sim.requestLog();
}

/** `GET /api/cluster`: the version probe, once per cluster and process. */
export function isVersionProbe(e: RequestLogEntry): boolean {
  return e.method === "GET" && e.path.split("?")[0] === "/api/cluster";
}

/** `GET /api/cluster/jobs/{uuid}`: a poll of an asynchronous job (later releases). */
export function isJobPoll(e: RequestLogEntry): boolean {
  return e.method === "GET" && /^\/api\/cluster\/jobs\/[^/?]+$/.test(e.path.split("?")[0] ?? "");
}

const UUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** `METHOD path` with UUIDs as `{uuid}` and the query's parameter names only (values vary). */
export function callLabel(e: RequestLogEntry): string {
  const [pathname = "", query = ""] = e.path.split("?");
  const names = query
    .split("&")
    .filter((p) => p !== "")
    .map((p) => p.split("=")[0]);
  return `${e.method} ${pathname.replace(UUID_RE, "{uuid}")}${names.length > 0 ? `?${names.join("&")}` : ""}`;
}

/** What one operation cost in REST calls. */
export interface CallCount {
  /** Calls other than version probes and job polls. */
  calls: number;
  /** Their labels, in order. */
  labels: string[];
  /** `GET /api/cluster/jobs/{uuid}` polls. */
  jobPolls: number;
  /** `GET /api/cluster` version probes. */
  versionProbes: number;
}

/** Runs `fn` with an empty request log and counts the calls it made. */
export async function counted<T>(
  sim: Simulator,
  fn: () => Promise<T>,
): Promise<{ result: T; count: CallCount }> {
  await settledLog(sim, 500);
  sim.clearRequestLog();
  const result = await fn();
  const entries = await settledLog(sim);
  const counted = entries.filter((e) => !isVersionProbe(e) && !isJobPoll(e));
  return {
    result,
    count: {
      calls: counted.length,
      labels: counted.map(callLabel),
      jobPolls: entries.filter(isJobPoll).length,
      versionProbes: entries.filter(isVersionProbe).length,
    },
  };
}

/** Runs `tasks` with at most `limit` in flight; results in input order. */
export async function pool<T>(limit: number, tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** CPU time (user + system) of this process, in milliseconds. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
