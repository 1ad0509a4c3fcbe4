/**
 * The one error hierarchy of the ONTAP layer.
 *
 * Every failure this layer reports is an {@link OntapError}: the HTTP method and path, the cluster it was
 * sent to, a remedy when one exists, whether the request may have reached ONTAP, and a `cause`. Transport
 * error codes from undici and Node are mapped in one place (`fromTransportError`, in `transportErrors.ts`);
 * ONTAP error bodies here ({@link fromErrorResponse}).
 *
 * Nothing here ever holds a secret. Messages are built from values known not to be secret (method, path,
 * cluster, status, setting names, our own words) plus outside text that is redacted before it is put in:
 * ONTAP's message, target, code and arguments, job messages, field names from a response, the messages of
 * undici, Node and zod errors. The whole message is never redacted, because redacting our own words would
 * reveal a secret that happens to be one of them (see `redact.ts`). The `cause` chain is replaced by redacted
 * copies (the original objects from undici or zod are not kept, so a property nobody thought of cannot
 * leak), and `toJSON()` lists only known-safe fields.
 *
 * @packageDocumentation
 */

import { describeOntapCode } from "./codes";
import { redact, redactValue } from "./redact";

/** Where a request went: copied into every error about it. */
export interface OntapRequestContext {
  /** HTTP method, upper case. */
  readonly method?: string;
  /** Request path without the query string, e.g. `/api/security/key-managers`. */
  readonly path?: string;
  /** The cluster, as `host[:port]` of its management interface. */
  readonly target?: string;
}

/** Options common to every {@link OntapError}. */
export interface OntapErrorOptions extends OntapRequestContext {
  /** What caused this error; stored as a redacted copy. */
  readonly cause?: unknown;
  /** What the user can do about it. Appended to the message as "Fix: ...". */
  readonly remedy?: string;
  /**
   * Whether the request may have reached ONTAP (and so, for a write, may have been applied).
   * Defaults to `true`, the answer that is safe for reconciliation.
   */
  readonly mayHaveReachedServer?: boolean;
}

/**
 * Base class of every error of the ONTAP layer.
 *
 * `mayHaveReachedServer` tells the resource layer whether a failed write must be reconciled by reading
 * the state back (true) or certainly changed nothing (false).
 *
 * A subclass declares its fields once, as an interface (`...Fields`) that its options extend and that is
 * merged into the class, and sets them with {@link OntapError.setFields}, which also lists them in
 * {@link OntapError.toJSON}.
 */
export class OntapError extends Error {
  /** HTTP method of the failed request, when there was one. */
  readonly method?: string;
  /** Path of the failed request (no query string), when there was one. */
  readonly path?: string;
  /** The cluster (`host[:port]`) the request went to. */
  readonly target?: string;
  /** What the user can do about it, when something can be done. */
  readonly remedy?: string;
  /** Whether the request may have reached ONTAP; see {@link OntapErrorOptions.mayHaveReachedServer}. */
  readonly mayHaveReachedServer: boolean;
  /** A redacted copy of the underlying error. `declare` keeps the field from overwriting what super() set. */
  declare readonly cause?: Error;
  /** The subclass fields, in the order {@link OntapError.toJSON} lists them. */
  readonly #fieldNames: string[] = [];

  /**
   * @param message - What went wrong, without the remedy (it is appended). Built only from values known not
   *   to be secret and outside text already passed through {@link redact}; not redacted again here.
   * @param options - Request context, cause, remedy (the same rule applies to the remedy).
   */
  constructor(message: string, options: OntapErrorOptions = {}) {
    const text = options.remedy
      ? `${message}${/[.!?]$/.test(message) ? "" : "."} Fix: ${options.remedy}`
      : message;
    super(text, options.cause === undefined ? undefined : { cause: sanitizeCause(options.cause, 0) });
    this.method = options.method;
    this.path = options.path;
    this.target = options.target;
    this.remedy = options.remedy;
    this.mayHaveReachedServer = options.mayHaveReachedServer ?? true;
  }

  /**
   * Sets a subclass's fields and lists them in {@link OntapError.toJSON}; every value must already be safe.
   *
   * @param fields - The values, every one of the subclass's `...Fields` (an optional one may be undefined).
   */
  protected setFields<F extends object>(fields: { readonly [K in keyof Required<F>]: F[K] }): void {
    Object.assign(this, fields);
    this.#fieldNames.push(...Object.keys(fields));
  }

  /** Subclass fields for {@link OntapError.toJSON}; every value must already be safe. */
  protected details(): Record<string, unknown> {
    const self = this as unknown as Record<string, unknown>;
    return Object.fromEntries(this.#fieldNames.map((name) => [name, self[name]]));
  }

  /** A serializable view with known-safe fields only (no headers, no bodies, no secrets). */
  toJSON(): Record<string, unknown> {
    const json: Record<string, unknown> = {
      name: this.name,
      message: this.message,
      method: this.method,
      path: this.path,
      target: this.target,
      remedy: this.remedy,
      mayHaveReachedServer: this.mayHaveReachedServer,
      ...this.details(),
    };
    if (this.cause) {
      json.cause = causeToJSON(this.cause, 0);
    }
    for (const key of Object.keys(json)) {
      if (json[key] === undefined) {
        delete json[key];
      }
    }
    return json;
  }
}

/** One `arguments` entry of an ONTAP error body. */
export interface OntapErrorArgument {
  /** Argument code, as ONTAP sent it. */
  readonly code?: string;
  /** Argument message (redacted). */
  readonly message?: string;
}

/** Fields of {@link OntapApiError}: what ONTAP's error body said, redacted. */
export interface OntapApiErrorFields {
  /** HTTP status of the answer. */
  readonly status: number;
  /** ONTAP's error code (`error.code`, a string of digits), when the body had one. */
  readonly ontapCode?: string;
  /** ONTAP's own message (`error.message`, redacted); never rely on its wording. */
  readonly ontapMessage?: string;
  /** The request field ONTAP named in `error.target`, e.g. `svm.uuid` (redacted). */
  readonly ontapTarget?: string;
  /** ONTAP's `error.arguments` (redacted). */
  readonly arguments?: readonly OntapErrorArgument[];
}

/** Options of {@link OntapApiError}. */
export interface OntapApiErrorOptions extends OntapErrorOptions, OntapApiErrorFields {}

export interface OntapApiError extends OntapApiErrorFields {
  /** ONTAP's `error.arguments` (redacted); empty when there were none. */
  readonly arguments: readonly OntapErrorArgument[];
}

/** ONTAP answered with a non-2xx status. */
export class OntapApiError extends OntapError {
  /** What {@link OntapApiError.ontapCode} means, from the codes table. */
  readonly meaning?: string;

  /**
   * @param options - Status, ONTAP code, message, target and arguments, plus the request context.
   * @param summary - Overrides the first words of the message (used by subclasses).
   */
  constructor(options: OntapApiErrorOptions, summary?: string) {
    const info = describeOntapCode(options.ontapCode);
    const where = describeRequest(options);
    // Everything from ONTAP's body is outside text: redacted once, here, for the message and the fields.
    const code = outside(options.ontapCode);
    const ontapMessage = outside(options.ontapMessage);
    const ontapTarget = outside(options.ontapTarget);
    let message = summary ?? `ONTAP refused ${where} with HTTP ${options.status}`;
    if (code !== undefined) {
      message += `, error ${code}${info ? ` (${info.meaning})` : ""}`;
    }
    if (ontapMessage) {
      message += `: ${ontapMessage}`;
    }
    if (ontapTarget) {
      message += ` [field: ${ontapTarget}]`;
    }
    // ONTAP's own message usually ends with a full stop already.
    if (!/[.!?]$/.test(message)) message += ".";
    super(message, {
      ...options,
      remedy: options.remedy ?? info?.remedy,
      mayHaveReachedServer: options.mayHaveReachedServer ?? true,
    });
    this.meaning = info?.meaning;
    this.setFields<OntapApiErrorFields>({
      status: options.status,
      ontapCode: code,
      ontapMessage,
      ontapTarget,
      arguments: redactValue(options.arguments ?? []),
    });
  }

  protected override details(): Record<string, unknown> {
    const { arguments: args, ...rest } = super.details();
    return {
      ...rest,
      meaning: this.meaning,
      arguments: this.arguments.length > 0 ? args : undefined,
    };
  }
}

/** The object does not exist (HTTP 404, ONTAP code "4"). */
export class OntapNotFoundError extends OntapApiError {
  /** @param options - As for {@link OntapApiError}; status is normally 404. */
  constructor(options: OntapApiErrorOptions) {
    super(options, `${describeRequest(options)}: not found (HTTP ${options.status})`);
  }
}

/** The credentials were refused (401) or the account may not do this (403). */
export class OntapAuthenticationError extends OntapApiError {
  /** @param options - As for {@link OntapApiError}; status 401 or 403. */
  constructor(options: OntapApiErrorOptions) {
    const remedy =
      options.status === 403
        ? "give the account a role with access to /api/security (security login role), or connect as another user"
        : "check ontap:username and ontap:password (ONTAP_USERNAME / ONTAP_PASSWORD, or the profile's username and password); " +
          "the account needs the http application (security login create -application http -authentication-method password)";
    super(
      { ...options, remedy: options.remedy ?? remedy },
      options.status === 403
        ? `ONTAP at ${options.target ?? "the cluster"} denied ${describeRequest(options)} to this account (HTTP 403)`
        : `ONTAP at ${options.target ?? "the cluster"} rejected the username or password (HTTP ${options.status})`,
    );
  }
}

/** How a connection failed; see {@link OntapConnectionError.reason}. */
export type OntapConnectionFailure =
  | "refused"
  | "dns"
  | "unreachable"
  | "tls-verification"
  | "tls-hostname"
  | "tls-protocol"
  | "reset"
  | "protocol"
  | "other";

/** Fields of {@link OntapConnectionError}. */
export interface OntapConnectionErrorFields {
  /** The kind of failure. */
  readonly reason: OntapConnectionFailure;
  /** The undici or Node error code, e.g. `ECONNRESET`, `UND_ERR_SOCKET`, `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  readonly errorCode?: string;
}

/** Options of {@link OntapConnectionError}. */
export interface OntapConnectionErrorOptions extends OntapErrorOptions, OntapConnectionErrorFields {
  /** Required here: the caller must decide. */
  readonly mayHaveReachedServer: boolean;
}

export interface OntapConnectionError extends OntapConnectionErrorFields {}

/**
 * The connection failed or broke. `mayHaveReachedServer` is false when the request certainly was not sent
 * (refused, DNS, TLS verification, connect timeout) and true when the connection broke after it may have
 * been sent (reset, socket closed).
 */
export class OntapConnectionError extends OntapError {
  /**
   * @param message - What happened.
   * @param options - Reason, code, request context.
   */
  constructor(message: string, options: OntapConnectionErrorOptions) {
    super(message, options);
    this.setFields<OntapConnectionErrorFields>({ reason: options.reason, errorCode: options.errorCode });
  }
}

/** Which wait ran out; see {@link OntapTimeoutError.phase}. */
export type OntapTimeoutPhase = "connect" | "headers" | "body" | "deadline" | "job";

/** Fields of {@link OntapTimeoutError}. */
export interface OntapTimeoutErrorFields {
  /** Which wait ran out: connecting, response headers, response body, the call's deadline, a job. */
  readonly phase: OntapTimeoutPhase;
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs?: number;
  /** The job being waited for (phase `job`). */
  readonly jobUuid?: string;
  /** The undici error code, when undici reported the timeout. */
  readonly errorCode?: string;
}

/** Options of {@link OntapTimeoutError}. */
export interface OntapTimeoutErrorOptions extends OntapErrorOptions, OntapTimeoutErrorFields {}

export interface OntapTimeoutError extends OntapTimeoutErrorFields {}

/** A request, a call (with its retries) or a job took longer than allowed. */
export class OntapTimeoutError extends OntapError {
  /**
   * @param message - What happened.
   * @param options - Phase, limit, request context.
   */
  constructor(message: string, options: OntapTimeoutErrorOptions) {
    super(message, {
      ...options,
      mayHaveReachedServer: options.mayHaveReachedServer ?? options.phase !== "connect",
    });
    this.setFields<OntapTimeoutErrorFields>({
      phase: options.phase,
      timeoutMs: options.timeoutMs,
      jobUuid: options.jobUuid,
      errorCode: options.errorCode,
    });
  }
}

/** What the job record said, as {@link OntapJobFailedErrorOptions} take it. */
interface OntapJobFailure {
  /** The job's uuid. */
  readonly jobUuid: string;
  /** The job's error code (an integer in job records), when it had one. */
  readonly jobCode?: number;
  /** The job's message (redacted). */
  readonly jobMessage?: string;
}

/** Fields of {@link OntapJobFailedError}. */
export interface OntapJobFailedErrorFields extends OntapJobFailure {
  /** The code as the string ONTAP uses in error bodies, for comparison with {@link OntapApiError.ontapCode}. */
  readonly ontapCode?: string;
  /** What the code means, from the codes table. */
  readonly meaning?: string;
}

/** Options of {@link OntapJobFailedError}. */
export interface OntapJobFailedErrorOptions extends OntapErrorOptions, OntapJobFailure {}

export interface OntapJobFailedError extends OntapJobFailedErrorFields {}

/** An asynchronous job ended in state `failure`. The write reached ONTAP and was refused. */
export class OntapJobFailedError extends OntapError {
  /** @param options - Job uuid, code, message, request context. */
  constructor(options: OntapJobFailedErrorOptions) {
    const info = describeOntapCode(options.jobCode);
    const jobUuid = redact(options.jobUuid);
    const jobMessage = outside(options.jobMessage);
    let message = `ONTAP job ${jobUuid} for ${describeRequest(options)} failed`;
    if (options.jobCode !== undefined) {
      message += ` with code ${options.jobCode}${info ? ` (${info.meaning})` : ""}`;
    }
    if (jobMessage) {
      message += `: ${jobMessage}`;
    }
    message += ".";
    super(message, { ...options, remedy: options.remedy ?? info?.remedy, mayHaveReachedServer: true });
    this.setFields<OntapJobFailedErrorFields>({
      jobUuid,
      jobCode: options.jobCode,
      jobMessage,
      ontapCode: options.jobCode === undefined ? undefined : String(options.jobCode),
      meaning: info?.meaning,
    });
  }
}

/** One problem found in a response body. */
export interface OntapResponseIssue {
  /** Field path, e.g. `records[0].svm.uuid` (`(root)` for the body itself). */
  readonly field: string;
  /** What is wrong with it (never the value). */
  readonly problem: string;
}

/** Fields of {@link OntapBadResponseError}. */
export interface OntapBadResponseErrorFields {
  /** HTTP status of the answer. */
  readonly status?: number;
  /** The first field that broke the contract. */
  readonly field: string;
  /** Every problem found, first one first. */
  readonly issues: readonly OntapResponseIssue[];
}

/** Options of {@link OntapBadResponseError}. */
export interface OntapBadResponseErrorOptions
  extends OntapErrorOptions, Omit<OntapBadResponseErrorFields, "field"> {}

export interface OntapBadResponseError extends OntapBadResponseErrorFields {}

/** ONTAP's answer does not fit the contract: not JSON, or a field missing or of the wrong type. */
export class OntapBadResponseError extends OntapError {
  /** @param options - Problems, status, request context. */
  constructor(options: OntapBadResponseErrorOptions) {
    // Field names may be keys of the response body, and zod's wording may quote what it expected: outside.
    const issues = redactValue(options.issues);
    const first = issues[0] ?? { field: "(root)", problem: "unexpected answer" };
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    super(
      `ONTAP's answer to ${describeRequest(options)} breaks the expected contract at ${first.field}: ${first.problem}${more}.`,
      {
        ...options,
        remedy:
          options.remedy ??
          "this ONTAP release answers in a way the provider does not understand: report it with the ONTAP version (GET /api/cluster)",
      },
    );
    this.setFields<OntapBadResponseErrorFields>({ status: options.status, field: first.field, issues });
  }
}

/** Fields of {@link OntapResponseTooLargeError}. */
export interface OntapResponseTooLargeErrorFields {
  /** The most this client reads of one response body, in bytes. */
  readonly limitBytes: number;
  /** The length the server announced (`Content-Length`), when it announced one over the limit. */
  readonly declaredBytes?: number;
}

/** Options of {@link OntapResponseTooLargeError}. */
export interface OntapResponseTooLargeErrorOptions
  extends OntapErrorOptions, OntapResponseTooLargeErrorFields {
  /** HTTP status of the answer. */
  readonly status?: number;
}

export interface OntapResponseTooLargeError extends OntapResponseTooLargeErrorFields {}

/**
 * A response body was longer than this client reads ({@link OntapResponseTooLargeError.limitBytes}). Reading
 * stopped at the limit and the connection was closed: whatever answers for the cluster (a proxy, or a
 * man-in-the-middle when certificates are not verified) cannot exhaust the provider's memory. No real
 * key-manager answer comes near the limit.
 */
export class OntapResponseTooLargeError extends OntapBadResponseError {
  /** @param options - The limit, the announced length, the request context. */
  constructor(options: OntapResponseTooLargeErrorOptions) {
    const limit = formatBytes(options.limitBytes);
    super({
      ...options,
      issues: [
        {
          field: "(body)",
          problem:
            options.declaredBytes !== undefined
              ? `the body announces ${options.declaredBytes} bytes (Content-Length), over the ${limit} limit of one answer`
              : `the body is longer than the ${limit} limit of one answer; reading stopped there`,
        },
      ],
      remedy:
        options.remedy ??
        `no ONTAP key-manager answer is that long: check what answers at ${options.target ?? "the cluster address"} (a proxy or load balancer?), and keep ontap:validateCerts on`,
    });
    this.setFields<OntapResponseTooLargeErrorFields>({
      limitBytes: options.limitBytes,
      declaredBytes: options.declaredBytes,
    });
  }
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

/** Fields of {@link OntapConfigurationError}. */
export interface OntapConfigurationErrorFields {
  /** The stack configuration key to set or fix, e.g. `ontap:host` or `ontap:profiles`. */
  readonly key: string;
  /** The environment variable that can stand in for it, e.g. `ONTAP_HOST`. */
  readonly envVar?: string;
}

/** Options of {@link OntapConfigurationError}. */
export interface OntapConfigurationErrorOptions extends OntapErrorOptions, OntapConfigurationErrorFields {}

export interface OntapConfigurationError extends OntapConfigurationErrorFields {}

/** A connection setting is missing, malformed or contradicts another. Nothing was sent. */
export class OntapConfigurationError extends OntapError {
  /**
   * @param message - What is wrong.
   * @param options - The key and, usually, a remedy naming the command to run.
   */
  constructor(message: string, options: OntapConfigurationErrorOptions) {
    super(message, { ...options, mayHaveReachedServer: false });
    this.setFields<OntapConfigurationErrorFields>({ key: options.key, envVar: options.envVar });
  }
}

/** Fields of {@link OntapUnsupportedError}. */
export interface OntapUnsupportedErrorFields {
  /** The feature, in words: "key server passwords". */
  readonly feature: string;
  /** The first release that has it, e.g. `9.7`. */
  readonly requiredVersion: string;
  /** The cluster's release. */
  readonly actualVersion: string;
}

/** Options of {@link OntapUnsupportedError}. */
export interface OntapUnsupportedErrorOptions extends OntapErrorOptions, OntapUnsupportedErrorFields {}

export interface OntapUnsupportedError extends OntapUnsupportedErrorFields {}

/** The cluster's ONTAP release lacks a feature. Nothing was sent. */
export class OntapUnsupportedError extends OntapError {
  /** @param options - Feature and versions. */
  constructor(options: OntapUnsupportedErrorOptions) {
    super(
      `${options.feature} need ONTAP ${options.requiredVersion} or later; ${options.target ?? "the cluster"} runs ONTAP ${options.actualVersion}.`,
      {
        ...options,
        remedy:
          options.remedy ??
          `upgrade the cluster to ONTAP ${options.requiredVersion}, or stop using ${options.feature}`,
        mayHaveReachedServer: false,
      },
    );
    this.setFields<OntapUnsupportedErrorFields>({
      feature: options.feature,
      requiredVersion: options.requiredVersion,
      actualVersion: options.actualVersion,
    });
  }
}

// `name` lives on the prototypes: V8 formats `stack` lazily from the name, and a class field would only be
// set after super() returned.
for (const cls of [
  OntapError,
  OntapApiError,
  OntapNotFoundError,
  OntapAuthenticationError,
  OntapConnectionError,
  OntapTimeoutError,
  OntapJobFailedError,
  OntapBadResponseError,
  OntapResponseTooLargeError,
  OntapConfigurationError,
  OntapUnsupportedError,
]) {
  Object.defineProperty(cls.prototype, "name", { value: cls.name, writable: true, configurable: true });
}

/**
 * Whether a failed write may have been applied although no success was seen: the connection broke after
 * the request may have been sent, a per-request or call deadline ran out, a gateway answered 502/504, or
 * the answer was too long to read.
 * The resource layer reconciles such writes by reading the state back instead of retrying blindly.
 *
 * @param err - Any error.
 */
export function isOutcomeUnknown(err: unknown): boolean {
  if (err instanceof OntapConnectionError || err instanceof OntapTimeoutError) {
    return err.mayHaveReachedServer;
  }
  if (err instanceof OntapApiError) {
    return err.status === 502 || err.status === 504;
  }
  // The write reached ONTAP, whose answer (its status included, for all we know) was not read to the end.
  return err instanceof OntapResponseTooLargeError;
}

/** The parts of an ONTAP error body this layer reads; everything else is ignored. */
export interface OntapErrorBody {
  /** `error.code`. */
  readonly code?: string;
  /** `error.message`. */
  readonly message?: string;
  /** `error.target`. */
  readonly target?: string;
  /** `error.arguments`. */
  readonly arguments?: readonly OntapErrorArgument[];
}

/**
 * Reads `{"error": {...}}` leniently: a body that is not of that shape gives `undefined` rather than an
 * error, because a proxy or an overloaded node may answer with HTML or nothing, and the status is still
 * worth reporting.
 *
 * @param body - The parsed JSON body, or anything.
 */
export function readErrorBody(body: unknown): OntapErrorBody | undefined {
  if (!isRecord(body) || !isRecord(body.error)) {
    return undefined;
  }
  const e = body.error;
  const str = (v: unknown): string | undefined =>
    typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
  const args = Array.isArray(e.arguments)
    ? e.arguments.filter(isRecord).map((a) => ({ code: str(a.code), message: str(a.message) }))
    : undefined;
  return { code: str(e.code), message: str(e.message), target: str(e.target), arguments: args };
}

/**
 * Builds the error for a non-2xx answer: 401/403 → {@link OntapAuthenticationError}, 404 →
 * {@link OntapNotFoundError}, anything else → {@link OntapApiError}.
 *
 * @param status - HTTP status.
 * @param body - The parsed JSON body (or `undefined` when it was empty or not JSON).
 * @param context - Method, path, target.
 */
export function fromErrorResponse(
  status: number,
  body: unknown,
  context: OntapRequestContext,
): OntapApiError {
  const parsed = readErrorBody(body);
  const options: OntapApiErrorOptions = {
    ...context,
    status,
    ontapCode: parsed?.code,
    ontapMessage: parsed?.message,
    ontapTarget: parsed?.target,
    arguments: parsed?.arguments,
    remedy: statusRemedy(status),
  };
  if (status === 401 || status === 403) {
    return new OntapAuthenticationError({ ...options, remedy: undefined });
  }
  if (status === 404) {
    return new OntapNotFoundError({ ...options, remedy: undefined });
  }
  return new OntapApiError(options);
}

function statusRemedy(status: number): string | undefined {
  if (status === 429 || status === 503) {
    return "ONTAP is busy: wait and run again, or lower the parallelism (pulumi up --parallel)";
  }
  if (status === 502 || status === 504) {
    return "a gateway between here and ONTAP failed: check the path to the cluster management interface";
  }
  return undefined;
}

/**
 * `METHOD /path` of a request, for messages (shared with `transportErrors.ts`).
 *
 * @internal
 * @param context - The request.
 */
export function describeRequest(context: OntapRequestContext): string {
  if (context.method && context.path) {
    return `${context.method} ${context.path}`;
  }
  return context.path ?? context.method ?? "the request";
}

/** Outside text, redacted; `undefined` stays `undefined`. */
function outside(text: string | undefined): string | undefined {
  return text === undefined ? undefined : redact(text);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/**
 * Replaces an error from outside (undici, Node, zod) with a plain Error holding only redacted, known
 * fields: name, message, stack, code, errno, syscall, statusCode and, recursively, cause and errors.
 */
function sanitizeCause(cause: unknown, depth: number): Error {
  if (cause instanceof OntapError) {
    return cause;
  }
  if (!(cause instanceof Error)) {
    return new Error(redact(typeof cause === "string" ? cause : `non-error thrown (${typeof cause})`));
  }
  const nested =
    cause.cause !== undefined && depth < 5 ? { cause: sanitizeCause(cause.cause, depth + 1) } : undefined;
  const safe = new Error(redact(cause.message), nested);
  Object.defineProperty(safe, "name", { value: cause.name, writable: true, configurable: true });
  safe.stack = cause.stack === undefined ? undefined : redact(cause.stack);
  const src = cause as unknown as Record<string, unknown>;
  const dst = safe as unknown as Record<string, unknown>;
  for (const key of ["code", "errno", "syscall", "statusCode"]) {
    const v = src[key];
    if (typeof v === "string" || typeof v === "number") {
      dst[key] = typeof v === "string" ? redact(v) : v;
    }
  }
  if (Array.isArray(src.errors) && depth < 5) {
    dst.errors = (src.errors as unknown[]).slice(0, 10).map((e) => sanitizeCause(e, depth + 1));
  }
  return safe;
}

function causeToJSON(cause: Error, depth: number): Record<string, unknown> | string {
  if (cause instanceof OntapError) {
    return cause.toJSON();
  }
  const src = cause as unknown as Record<string, unknown>;
  const json: Record<string, unknown> = { name: cause.name, message: redact(cause.message) };
  if (typeof src.code === "string") {
    json.code = src.code;
  }
  if (cause.cause instanceof Error && depth < 5) {
    json.cause = causeToJSON(cause.cause, depth + 1);
  }
  return json;
}
