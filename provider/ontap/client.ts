/**
 * The HTTP client for one ONTAP cluster.
 *
 * - One undici {@link Agent} (a keep-alive connection pool, at most {@link DEFAULT_CONNECTIONS} sockets) per
 *   cluster and TLS setting, shared by every client and every resource in the process: TLS handshakes per
 *   run stay at or below the number of requests in flight.
 * - Idempotent requests (GET, job polls) go through undici's {@link RetryAgent} with this module's retry
 *   policy: connection errors, 429, 502, 503 and 504, exponential backoff with jitter, `Retry-After`
 *   honoured. Writes go through the plain agent and are never retried: the resource layer reconciles them,
 *   guided by {@link OntapError.mayHaveReachedServer}.
 * - 202 answers with a job are followed to the job's end.
 * - `ONTAP_DEBUG=1` traces one stderr line per HTTP attempt: method, path with query, status, duration,
 *   attempt. Never headers, never bodies.
 * - At most {@link MAX_RESPONSE_BYTES} of a response body are read; past that (or when `Content-Length`
 *   announces more) the body is dropped and the call fails with {@link OntapResponseTooLargeError}, so
 *   whatever answers for the cluster cannot exhaust the provider's memory.
 *
 * @packageDocumentation
 */

import type { Agent, Dispatcher } from "undici";

/**
 * undici, loaded on the first client: the provider host loads this module for every method, and `check` and most
 * `diff`s never speak HTTP, so they do not pay for loading it (a cold start of each command).
 */
function undici(): typeof import("undici") {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily on purpose
  return require("undici") as typeof import("undici");
}
import type { IncomingHttpHeaders } from "node:http";
import { z } from "zod";
import { clientKey, transportKey, type ConnectionSettings } from "./config";
import {
  OntapBadResponseError,
  OntapResponseTooLargeError,
  OntapUnsupportedError,
  fromErrorResponse,
  readErrorBody,
  type OntapRequestContext,
} from "./errors";
import { fromTransportError } from "./transportErrors";
import {
  clusterRecordSchema,
  CLUSTER_FIELDS,
  toClusterInfo,
  versionAtLeast,
  type ClusterInfo,
} from "./cluster";
import { jobAcceptedSchema, jobPath, jobRecordSchema, JOB_FIELDS, waitForJob, type JobRecord } from "./jobs";
import { parseBody, parseJsonText } from "./parse";
import { apiPath } from "./paths";
import { registerCredential, registerSecretsIn } from "./redact";

/**
 * The most this client reads of one response body: 8 MiB. The longest real key-manager answers (a page of
 * certificate records, a job record) are tens of kilobytes.
 */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/** Sockets per cluster: enough for Pulumi's usual parallelism, few enough to spare the cluster. */
export const DEFAULT_CONNECTIONS = 10;
/** HTTP statuses retried for idempotent requests. 500 is not: ONTAP uses it for real errors. */
export const RETRY_STATUSES: readonly number[] = [429, 502, 503, 504];
/**
 * Transport error codes retried for idempotent requests: the connection was refused, reset or closed, or
 * could not be opened in time. Response timeouts are not retried: a cluster that did not answer within
 * the request timeout would likely spend the whole deadline doing so again.
 */
export const RETRY_ERROR_CODES: readonly string[] = [
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ECONNABORTED",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ENETDOWN",
  "EHOSTDOWN",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
];

/**
 * Seconds a write asks ONTAP to wait for its job (`return_timeout`, 0-120) before answering 202: long enough for a
 * key manager or key server write, which takes a second or two, short enough to keep an answer well inside the
 * request timeout.
 */
export const WRITE_RETURN_TIMEOUT_S = 15;

/** A query parameter value; arrays are joined with commas (as `fields` wants). */
export type QueryValue = string | number | boolean | readonly (string | number | boolean)[] | undefined;
/** Query parameters, in order. `undefined` values are left out. */
export type Query = Readonly<Record<string, QueryValue>>;

/** Retry policy for idempotent requests. */
export interface RetryPolicy {
  /** Retries after the first attempt. Default 4. */
  readonly maxRetries?: number;
  /** First backoff. Default 500 ms. */
  readonly minDelayMs?: number;
  /** Longest backoff. Default 10 s. */
  readonly maxDelayMs?: number;
  /** Longest `Retry-After` honoured; longer ones are capped. Default 30 s. */
  readonly maxRetryAfterMs?: number;
}

/** Options of a client; the defaults suit production, tests shorten the waits. */
export interface ClientOptions {
  /** Retry policy of idempotent requests. */
  readonly retry?: RetryPolicy;
  /**
   * `return_timeout` of writes, seconds (0-120): how long a later release waits for a write's job before answering
   * 202. Default {@link WRITE_RETURN_TIMEOUT_S}, capped at half the request timeout; 0 always gets a job to poll.
   */
  readonly writeReturnTimeoutS?: number;
  /** Job polling: intervals and progress reporting (see {@link waitForJob}). */
  readonly jobPoll?: {
    /** First poll interval. Default 250 ms. */
    readonly minIntervalMs?: number;
    /** Longest poll interval. Default 5 s. */
    readonly maxIntervalMs?: number;
    /** Report progress on stderr once a wait exceeds this. Default 10 s. */
    readonly progressAfterMs?: number;
    /** Then again every this often. Default 30 s. */
    readonly progressEveryMs?: number;
  };
  /** Sockets per cluster. Default {@link DEFAULT_CONNECTIONS}. */
  readonly connections?: number;
  /**
   * Where warnings, progress and debug lines go; default: stderr. Lines are built from values known not to
   * be secret, and outside text in them (a job's description) is redacted before.
   */
  readonly log?: (line: string) => void;
}

/** Options of a GET. */
export interface GetOptions {
  /** Query parameters (filters, `return_timeout`, ...). */
  readonly query?: Query;
  /** The explicit `fields` list. */
  readonly fields?: readonly string[];
  /** Cancels the call. */
  readonly signal?: AbortSignal;
}

/** Options of a collection GET. */
export interface CollectionOptions extends GetOptions {
  /** Page size, sent as ONTAP's `max_records`. */
  readonly maxRecords?: number;
  /** Stop once this many records are collected. */
  readonly limit?: number;
}

/** Options of a write. */
export interface WriteOptions<T> {
  /** Query parameters (`return_records`, `force`, ...). */
  readonly query?: Query;
  /** Schema of a non-empty success body (not used for 202 job answers). */
  readonly responseSchema?: z.ZodType<T>;
  /** Follow a 202 job to its end (default true). */
  readonly waitForJob?: boolean;
  /** Cancels the call (not the job wait). */
  readonly signal?: AbortSignal;
}

/** Outcome of a write. */
export interface WriteResult<T> {
  /** HTTP status of the write itself (200, 201 or 202). */
  readonly status: number;
  /** The parsed body, when the answer had one and was not a job (202). */
  readonly body?: T;
  /** The finished job, when ONTAP answered 202 and the job was followed. */
  readonly job?: JobRecord;
  /**
   * The job's uuid, when ONTAP answered 202 (also when `waitForJob` is false), or answered 200/201 for a job that
   * ended within `return_timeout` (a later release).
   */
  readonly jobUuid?: string;
}

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

/** One cluster's shared connection pool. */
interface Transport {
  readonly agent: Agent;
  /** The agent with the debug-trace interceptor. */
  readonly traced: Dispatcher;
  /** The version probe, once per cluster per process. */
  clusterInfo?: Promise<ClusterInfo>;
}

const transports = new Map<string, Transport>();
const clients = new Map<string, OntapClient>();

let generation = 0;

/**
 * Changes whenever {@link closeAllClients} runs, so a caller that keeps a client from {@link getClient} can
 * tell it was closed and ask again.
 */
export function clientGeneration(): number {
  return generation;
}

/**
 * The client for a cluster, shared by every caller in the process that has the same settings (and
 * options): resources handled by one provider process reuse its connections and its version probe.
 *
 * @param settings - Validated connection settings ({@link resolveConnection}).
 * @param options - Client options; part of the sharing key.
 */
export function getClient(settings: ConnectionSettings, options: ClientOptions = {}): OntapClient {
  const key = `${clientKey(settings)}|${JSON.stringify({ ...options, log: options.log ? "custom" : "stderr" })}`;
  let client = clients.get(key);
  if (!client || options.log) {
    client = new OntapClient(settings, options);
    clients.set(key, client);
  }
  return client;
}

/**
 * Closes every connection pool and forgets every client and version probe. For tests and for a provider
 * shutting down; idle sockets never keep the process alive anyway.
 */
export async function closeAllClients(): Promise<void> {
  generation += 1;
  const agents = [...transports.values()].map((t) => t.agent);
  transports.clear();
  clients.clear();
  await Promise.all(agents.map((a) => a.close().catch(() => a.destroy())));
}

/** The number of connection pools open in this process (one per cluster and TLS setting). */
export function openTransportCount(): number {
  return transports.size;
}

function defaultLog(line: string): void {
  process.stderr.write(`${line}\n`);
}

function debugEnabled(): boolean {
  const v = process.env.ONTAP_DEBUG;
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/**
 * Joins query parameters with proper encoding. Commas stay readable (they are legal in a query and
 * ONTAP's `fields` lists use them); everything else that needs it is percent-encoded.
 *
 * @param query - Parameters in order; `undefined` values are left out.
 * @returns `""` or `"?a=b&c=d"`.
 */
export function buildQuery(query: Query | undefined): string {
  if (!query) {
    return "";
  }
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) {
      continue;
    }
    const text = Array.isArray(value) ? value.map(String).join(",") : String(value);
    parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(text).replace(/%2C/gi, ",")}`);
  }
  return parts.length > 0 ? `?${parts.join("&")}` : "";
}

/**
 * A value for an ONTAP query filter. ONTAP gives `*`, `|`, `!`, `<` and `>` a meaning in filters and has no
 * escape for them; a value containing one is cut there and ends in a wildcard, and callers re-check the
 * exact value on the records returned.
 *
 * @param value - The exact value wanted.
 */
export function filterValue(value: string): string {
  return /[*|!<>]/.test(value) ? value.replace(/[*|!<>].*$/s, "*") : value;
}

function stripQuery(path: string): string {
  const i = path.indexOf("?");
  return i < 0 ? path : path.slice(0, i);
}

function mergeQuery(query: Query | undefined, fields: readonly string[] | undefined, extra?: Query): Query {
  return { ...(fields && fields.length > 0 ? { fields: fields.join(",") } : {}), ...query, ...extra };
}

/** A client for one cluster. Obtain it with {@link getClient} so that connections are shared. */
export class OntapClient {
  /** The cluster, as `host[:port]`. */
  readonly target: string;
  readonly #settings: ConnectionSettings;
  readonly #transport: Transport;
  readonly #retrying: Dispatcher;
  readonly #log: (line: string) => void;
  readonly #options: ClientOptions;
  /** Computed once; held in a private field so no enumeration, serialization or inspection shows it. */
  readonly #authorization: string;

  /**
   * Prefer {@link getClient}, which shares clients.
   *
   * @param settings - Connection settings.
   * @param options - Client options.
   */
  constructor(settings: ConnectionSettings, options: ClientOptions = {}) {
    this.#settings = settings;
    this.#options = options;
    this.target = settings.host;
    const sink = options.log ?? defaultLog;
    this.#log = sink;
    this.#authorization = `Basic ${Buffer.from(`${settings.username}:${settings.password}`).toString("base64")}`;
    registerCredential(settings.username, settings.password);
    this.#transport = transportFor(settings, options, this.#log);
    this.#retrying = new (undici().RetryAgent)(
      this.#transport.traced,
      this.#retryOptions(options.retry ?? {}),
    );
  }

  /** The settings (password hidden from serialization and inspection). */
  get settings(): ConnectionSettings {
    return this.#settings;
  }

  /**
   * GETs one object.
   *
   * @param path - Path under `/api` (a leading `/api` is accepted), without query.
   * @param schema - Expected shape of the body.
   * @param options - Query, fields, signal.
   * @throws {@link OntapNotFoundError} on 404, other {@link OntapError}s on failure.
   */
  async get<T>(path: string, schema: z.ZodType<T>, options: GetOptions = {}): Promise<T> {
    const full = apiPath(path);
    const res = await this.#send("GET", `${full}${buildQuery(mergeQuery(options.query, options.fields))}`, {
      signal: options.signal,
    });
    return this.#parseSuccess(res, "GET", full, schema);
  }

  /**
   * GETs one object, or `undefined` when it does not exist (404).
   *
   * @param path - Path under `/api`.
   * @param schema - Expected shape of the body.
   * @param options - Query, fields, signal.
   */
  async find<T>(path: string, schema: z.ZodType<T>, options: GetOptions = {}): Promise<T | undefined> {
    const full = apiPath(path);
    const res = await this.#send("GET", `${full}${buildQuery(mergeQuery(options.query, options.fields))}`, {
      signal: options.signal,
    });
    if (res.status === 404) {
      // Code "4" is "entry doesn't exist"; another code on a 404 (e.g. "3", no such API) is a real error.
      const code = readErrorBody(parseLenient(res.text))?.code;
      if (code === undefined || code === "4") {
        return undefined;
      }
    }
    return this.#parseSuccess(res, "GET", full, schema);
  }

  /**
   * GETs every record of a collection, following `_links.next`.
   *
   * @param path - Collection path under `/api`.
   * @param recordSchema - Expected shape of one record (a loose object: unknown fields pass).
   * @param options - Filters (`query`), `fields`, page size (`maxRecords`), overall `limit`.
   */
  async getCollection<T>(
    path: string,
    recordSchema: z.ZodType<T>,
    options: CollectionOptions = {},
  ): Promise<T[]> {
    const full = apiPath(path);
    const pageSchema = z.looseObject({
      records: z.array(recordSchema).optional(),
      num_records: z.number().optional(),
      _links: z.looseObject({ next: z.looseObject({ href: z.string() }).optional() }).optional(),
    });
    const records: T[] = [];
    const seen = new Set<string>();
    let next: string | undefined =
      `${full}${buildQuery(mergeQuery(options.query, options.fields, { max_records: options.maxRecords }))}`;
    while (next !== undefined) {
      if (seen.has(next) || seen.size >= 10_000) {
        throw new OntapBadResponseError({
          method: "GET",
          path: full,
          target: this.target,
          issues: [{ field: "_links.next.href", problem: "the pages link back to a page already read" }],
        });
      }
      seen.add(next);
      const res = await this.#send("GET", next, { signal: options.signal });
      const page = this.#parseSuccess(res, "GET", full, pageSchema);
      records.push(...(page.records ?? []));
      if (options.limit !== undefined && records.length >= options.limit) {
        return records.slice(0, options.limit);
      }
      next = page._links?.next?.href === undefined ? undefined : this.#nextPath(page._links.next.href, full);
    }
    return records;
  }

  /**
   * POSTs, never retried. A 202 answer's job is followed to its end.
   *
   * @param path - Path under `/api`.
   * @param body - JSON body; secret-named fields are registered for redaction first.
   * @param options - Query (`return_records`), response schema, job handling.
   */
  post<T = unknown>(path: string, body: unknown, options: WriteOptions<T> = {}): Promise<WriteResult<T>> {
    return this.#write("POST", path, body, options);
  }

  /**
   * PATCHes, never retried. A 202 answer's job is followed to its end.
   *
   * @param path - Path under `/api`.
   * @param body - JSON body.
   * @param options - Query, response schema, job handling.
   */
  patch<T = unknown>(path: string, body: unknown, options: WriteOptions<T> = {}): Promise<WriteResult<T>> {
    return this.#write("PATCH", path, body, options);
  }

  /**
   * DELETEs, never retried. A 202 answer's job is followed to its end.
   *
   * @param path - Path under `/api`.
   * @param options - Query (`force`), response schema, job handling.
   */
  delete<T = unknown>(path: string, options: WriteOptions<T> = {}): Promise<WriteResult<T>> {
    return this.#write("DELETE", path, undefined, options);
  }

  /**
   * Reads a job once (a retried GET).
   *
   * @param uuid - The job.
   */
  getJob(uuid: string): Promise<JobRecord> {
    return this.get(jobPath(uuid), jobRecordSchema, { fields: JOB_FIELDS });
  }

  /**
   * Polls a job until it ends, within the job timeout of the settings.
   *
   * @param uuid - The job.
   * @param context - The write that started it, for messages.
   * @throws {@link OntapJobFailedError}, {@link OntapTimeoutError} (phase `job`), {@link OntapBadResponseError}
   *   when `uuid` is not a UUID.
   */
  waitForJob(uuid: string, context: OntapRequestContext = {}): Promise<JobRecord> {
    // Job uuids come from ONTAP's answers and go into paths and messages: one that is not a UUID is refused.
    if (!UUID.test(uuid)) {
      return Promise.reject(
        new OntapBadResponseError({
          ...context,
          target: this.target,
          issues: [{ field: "job.uuid", problem: "is not a UUID" }],
        }),
      );
    }
    const poll = this.#options.jobPoll ?? {};
    return waitForJob(this, uuid, {
      timeoutMs: this.#settings.jobTimeoutMs,
      minIntervalMs: poll.minIntervalMs,
      maxIntervalMs: poll.maxIntervalMs,
      progressAfterMs: poll.progressAfterMs,
      progressEveryMs: poll.progressEveryMs,
      log: this.#log,
      context: { target: this.target, ...context },
    });
  }

  /**
   * The cluster's name and release: `GET /api/cluster`, once per cluster per process (a failed probe is
   * forgotten, so the next call tries again).
   */
  clusterInfo(): Promise<ClusterInfo> {
    const transport = this.#transport;
    if (!transport.clusterInfo) {
      const probe = this.get("/cluster", clusterRecordSchema, { fields: CLUSTER_FIELDS }).then(toClusterInfo);
      transport.clusterInfo = probe;
      probe.catch(() => {
        if (transport.clusterInfo === probe) {
          transport.clusterInfo = undefined;
        }
      });
    }
    return transport.clusterInfo;
  }

  /**
   * Whether the cluster runs at least a release.
   *
   * @param minVersion - E.g. "9.7".
   */
  async supports(minVersion: string): Promise<boolean> {
    return versionAtLeast((await this.clusterInfo()).version, minVersion);
  }

  /**
   * Fails unless the cluster runs at least `minVersion`.
   *
   * @param minVersion - E.g. "9.7".
   * @param feature - The feature in words, plural: "key server passwords".
   * @returns The cluster info.
   * @throws {@link OntapUnsupportedError} ("forced removals of key servers need ONTAP 9.7 or later; ...").
   */
  async requireVersion(minVersion: string, feature: string): Promise<ClusterInfo> {
    const info = await this.clusterInfo();
    if (!versionAtLeast(info.version, minVersion)) {
      throw new OntapUnsupportedError({
        feature,
        requiredVersion: minVersion,
        actualVersion: info.version.text,
        target: this.target,
      });
    }
    return info;
  }

  async #write<T>(
    method: "POST" | "PATCH" | "DELETE",
    path: string,
    body: unknown,
    options: WriteOptions<T>,
  ): Promise<WriteResult<T>> {
    registerSecretsIn(body);
    const full = apiPath(path);
    // Later releases answer a write with 202 and a job unless asked to wait: with return_timeout ONTAP answers
    // 200/201 (or the job's error) when the job ends within it, so a quick write needs no job poll; a longer one
    // still answers 202 and is polled. 9.6 answers synchronously and accepts the parameter. Half the request
    // timeout at most, so the answer always arrives before we give up on the request (writes are not retried).
    const returnTimeout = Math.min(
      this.#options.writeReturnTimeoutS ?? WRITE_RETURN_TIMEOUT_S,
      Math.floor(this.#settings.requestTimeoutMs / 2000),
    );
    const query = { return_timeout: returnTimeout, ...options.query };
    const res = await this.#send(method, `${full}${buildQuery(query)}`, {
      body,
      signal: options.signal,
    });
    const context = { method, path: full, target: this.target, status: res.status };
    if (res.status >= 300 || res.status < 200) {
      throw fromErrorResponse(res.status, parseLenient(res.text), context);
    }
    const parsed = parseJsonText(res.text, context);
    if (res.status === 202) {
      const accepted = parseBody(jobAcceptedSchema, parsed, context);
      const jobUuid = accepted.job.uuid;
      // The uuid goes into paths, messages and remedies: it must be one, not whatever the answer says.
      if (!UUID.test(jobUuid)) {
        throw new OntapBadResponseError({
          ...context,
          issues: [{ field: "job.uuid", problem: "is not a UUID" }],
        });
      }
      if (options.waitForJob === false) {
        return { status: res.status, jobUuid };
      }
      const job = await this.waitForJob(jobUuid, { method, path: full });
      return { status: res.status, job, jobUuid };
    }
    // A later release's write that ended within return_timeout answers with its result and the job's reference.
    const doneJob = jobAcceptedSchema.safeParse(parsed);
    const jobRef =
      doneJob.success && UUID.test(doneJob.data.job.uuid) ? { jobUuid: doneJob.data.job.uuid } : {};
    if (parsed === undefined || !options.responseSchema) {
      return { status: res.status, ...jobRef };
    }
    return { status: res.status, body: parseBody(options.responseSchema, parsed, context), ...jobRef };
  }

  #parseSuccess<T>(res: RawResponse, method: string, path: string, schema: z.ZodType<T>): T {
    const context = { method, path, target: this.target, status: res.status };
    if (res.status >= 300 || res.status < 200) {
      throw fromErrorResponse(res.status, parseLenient(res.text), context);
    }
    return parseBody(schema, parseJsonText(res.text, context), context);
  }

  /**
   * Accepts a `next` link only on this cluster: a relative `/api/...` path or an absolute URL of the same
   * origin. Following a link elsewhere would send the credentials there.
   */
  #nextPath(href: string, collectionPath: string): string {
    let url: URL | undefined;
    try {
      url = new URL(href, this.#settings.origin);
    } catch {
      url = undefined;
    }
    if (url?.origin !== this.#settings.origin || !url.pathname.startsWith("/api/")) {
      throw new OntapBadResponseError({
        method: "GET",
        path: collectionPath,
        target: this.target,
        issues: [{ field: "_links.next.href", problem: "the next-page link leaves the cluster's /api" }],
      });
    }
    return `${url.pathname}${url.search}`;
  }

  async #send(
    method: string,
    pathAndQuery: string,
    options: { body?: unknown; signal?: AbortSignal },
  ): Promise<RawResponse> {
    const settings = this.#settings;
    const deadline = AbortSignal.timeout(settings.deadlineMs);
    const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
    const headers: Record<string, string> = {
      authorization: this.#authorization,
      accept: "application/hal+json, application/json",
      "user-agent": "pulumi-ontap-keymanager",
    };
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers["content-type"] = "application/json";
    }
    const dispatcher = method === "GET" ? this.#retrying : this.#transport.traced;
    try {
      const res = await dispatcher.request({
        origin: settings.origin,
        path: pathAndQuery,
        method: method,
        headers,
        body: payload,
        signal,
        headersTimeout: settings.requestTimeoutMs,
        bodyTimeout: settings.requestTimeoutMs,
      });
      const text = await readBounded(res, {
        method,
        path: stripQuery(pathAndQuery),
        target: this.target,
        status: res.statusCode,
      });
      // undici frees the socket in a setImmediate after the body ends; a caller that sent its next request
      // before that would find every socket busy and open a new one (a TLS handshake per race). Waiting one
      // turn of the event loop keeps the connection count at the number of requests really in flight.
      await new Promise<void>((resolve) => setImmediate(resolve));
      return { status: res.statusCode, headers: res.headers, text };
    } catch (err) {
      if (err instanceof OntapResponseTooLargeError) {
        throw err;
      }
      throw fromTransportError(err, {
        method,
        path: stripQuery(pathAndQuery),
        target: this.target,
        requestTimeoutMs: settings.requestTimeoutMs,
        deadlineMs: settings.deadlineMs,
        deadlineExceeded: deadline.aborted,
      });
    }
  }

  /**
   * undici's retry machinery with this module's policy: which failures, how long to wait (exponential with
   * jitter, or `Retry-After`), and never past the call's deadline or after an abort.
   */
  #retryOptions(policy: RetryPolicy): ConstructorParameters<typeof import("undici").RetryAgent>[1] {
    const maxRetries = policy.maxRetries ?? 4;
    const minDelay = policy.minDelayMs ?? 500;
    const maxDelay = policy.maxDelayMs ?? 10_000;
    const maxRetryAfter = policy.maxRetryAfterMs ?? 30_000;
    const log = this.#log;
    const target = this.target;
    return {
      // Pass the last answer through rather than throwing, so a final 503 is reported with ONTAP's body.
      throwOnError: false,
      maxRetries,
      methods: ["GET"],
      statusCodes: [...RETRY_STATUSES],
      errorCodes: [...RETRY_ERROR_CODES],
      retry: (err, { state, opts }, callback) => {
        const failure = err as Error & { statusCode?: number; code?: string; headers?: IncomingHttpHeaders };
        // request() hands its options, signal included, down to dispatch; the retry context carries them.
        const signal = (opts as { signal?: unknown }).signal as AbortSignal | undefined;
        const retryable =
          opts.method === "GET" &&
          (failure.code === "UND_ERR_REQ_RETRY"
            ? failure.statusCode !== undefined && RETRY_STATUSES.includes(failure.statusCode)
            : failure.code !== undefined && RETRY_ERROR_CODES.includes(failure.code));
        if (!retryable || state.counter > maxRetries || signal?.aborted) {
          callback(err);
          return;
        }
        const retryAfter = parseRetryAfter(failure.headers?.["retry-after"]);
        const backoff = Math.min(minDelay * 2 ** (state.counter - 1), maxDelay);
        // Jitter (half to all of the backoff) keeps resources that failed together from retrying in step.
        const delay =
          retryAfter !== undefined
            ? Math.min(retryAfter, maxRetryAfter)
            : Math.round(backoff * (0.5 + Math.random() * 0.5));
        if (debugEnabled()) {
          log(
            `[ontap] ${String(opts.method)} ${String(opts.path)} on ${target}: ${failure.statusCode ?? failure.code ?? "error"}, ` +
              `retry ${state.counter} of ${maxRetries} in ${delay} ms${retryAfter !== undefined ? " (Retry-After)" : ""}`,
          );
        }
        const timer = setTimeout(() => {
          signal?.removeEventListener("abort", onAbort);
          callback(null);
        }, delay);
        const onAbort = (): void => {
          clearTimeout(timer);
          callback(err);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
      },
    };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads a response body as UTF-8 text, at most {@link MAX_RESPONSE_BYTES}. An announced `Content-Length`
 * over the limit is refused before reading; a longer body (chunked, or lying about its length) is cut at the
 * limit. Either way the body is destroyed, which closes the connection: memory stays bounded by the limit.
 */
async function readBounded(
  res: Dispatcher.ResponseData,
  context: OntapRequestContext & { readonly status: number },
): Promise<string> {
  const limitBytes = MAX_RESPONSE_BYTES;
  const header = res.headers["content-length"];
  const declared = Number(Array.isArray(header) ? header[0] : header);
  if (Number.isFinite(declared) && declared > limitBytes) {
    res.body.destroy();
    throw new OntapResponseTooLargeError({ ...context, limitBytes, declaredBytes: declared });
  }
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limitBytes) {
      chunks.length = 0;
      res.body.destroy();
      throw new OntapResponseTooLargeError({ ...context, limitBytes });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length).toString("utf8");
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === "") {
    return undefined;
  }
  const seconds = Number(text);
  if (Number.isFinite(seconds)) {
    return Math.max(0, seconds * 1000);
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function parseLenient(text: string): unknown {
  try {
    return text.trim() === "" ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}

function transportFor(
  settings: ConnectionSettings,
  options: ClientOptions,
  log: (line: string) => void,
): Transport {
  const key = `${transportKey(settings)}|${options.connections ?? DEFAULT_CONNECTIONS}`;
  const existing = transports.get(key);
  if (existing) {
    return existing;
  }
  if (!settings.validateCerts) {
    const source = settings.sources.validateCerts ?? "ontap:validateCerts";
    log(
      `[ontap] WARNING: TLS certificate verification is OFF for ${settings.host} (${source} = false): ` +
        `anyone on the network path can read the credentials. Set ontap:caCert to the cluster's CA instead.`,
    );
  }
  const agent = new (undici().Agent)({
    connections: options.connections ?? DEFAULT_CONNECTIONS,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    connect: {
      rejectUnauthorized: settings.validateCerts,
      ...(settings.caCert !== undefined ? { ca: settings.caCert } : {}),
      timeout: Math.min(settings.requestTimeoutMs, 15_000),
    },
  });
  const transport: Transport = { agent, traced: agent.compose(traceInterceptor(settings.host, log)) };
  transports.set(key, transport);
  return transport;
}

/** Attempt numbers by handler: undici's retry handler dispatches itself again for each attempt. */
const attempts = new WeakMap<object, number>();

/**
 * One debug line per HTTP attempt when `ONTAP_DEBUG` is set: method, path with query, status (or error
 * code), duration and attempt number. Headers and bodies are never looked at.
 */
function traceInterceptor(
  target: string,
  log: (line: string) => void,
): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    if (!debugEnabled()) {
      return dispatch(opts, handler);
    }
    const attempt = (attempts.get(handler) ?? 0) + 1;
    attempts.set(handler, attempt);
    const started = performance.now();
    let status: number | undefined;
    const line = (outcome: string): void =>
      log(
        `[ontap] ${opts.method} ${opts.path} ${outcome} ${Math.round(performance.now() - started)}ms attempt=${attempt} host=${target}`,
      );
    return dispatch(opts, {
      onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
      onRequestUpgrade: (controller, statusCode, headers, socket) =>
        handler.onRequestUpgrade?.(controller, statusCode, headers, socket),
      onResponseStart: (controller, statusCode, headers, statusMessage) => {
        status = statusCode;
        return handler.onResponseStart?.(controller, statusCode, headers, statusMessage);
      },
      onResponseData: (controller, chunk) => handler.onResponseData?.(controller, chunk),
      onResponseEnd: (controller, trailers) => {
        line(String(status));
        return handler.onResponseEnd?.(controller, trailers);
      },
      onResponseError: (controller, error) => {
        const code = (error as { code?: unknown }).code;
        line(`${status ?? ""}${status ? " " : ""}${typeof code === "string" ? code : error.name}`);
        return handler.onResponseError?.(controller, error);
      },
    });
  };
}
