/**
 * The one error hierarchy of the ONTAP layer.
 *
 * Every failure this layer reports is an {@link OntapError}: the HTTP method and path, the cluster it was
 * sent to, a remedy when one exists, whether the request may have reached ONTAP, and a `cause`. Transport
 * error codes from undici and Node are mapped in one place ({@link fromTransportError}), as are ONTAP error
 * bodies ({@link fromErrorResponse}).
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

  /** Subclass fields for {@link OntapError.toJSON}; every value must already be safe. */
  protected details(): Record<string, unknown> {
    return {};
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

/** Options of {@link OntapApiError}. */
export interface OntapApiErrorOptions extends OntapErrorOptions {
  /** HTTP status of the answer. */
  readonly status: number;
  /** `error.code` of the body: a string of digits. */
  readonly ontapCode?: string;
  /** `error.message` of the body. */
  readonly ontapMessage?: string;
  /** `error.target` of the body: the request field ONTAP objected to. */
  readonly ontapTarget?: string;
  /** `error.arguments` of the body. */
  readonly arguments?: readonly OntapErrorArgument[];
}

/** ONTAP answered with a non-2xx status. */
export class OntapApiError extends OntapError {
  /** HTTP status. */
  readonly status: number;
  /** ONTAP's error code (`error.code`, a string of digits), when the body had one. */
  readonly ontapCode?: string;
  /** ONTAP's own message (redacted); never rely on its wording. */
  readonly ontapMessage?: string;
  /** The request field ONTAP named in `error.target`, e.g. `svm.uuid` (redacted). */
  readonly ontapTarget?: string;
  /** What {@link ontapCode} means, from the codes table. */
  readonly meaning?: string;
  /** ONTAP's `error.arguments` (redacted). */
  readonly arguments: readonly OntapErrorArgument[];

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
    this.status = options.status;
    this.ontapCode = code;
    this.ontapMessage = ontapMessage;
    this.ontapTarget = ontapTarget;
    this.meaning = info?.meaning;
    this.arguments = redactValue(options.arguments ?? []);
  }

  protected override details(): Record<string, unknown> {
    return {
      status: this.status,
      ontapCode: this.ontapCode,
      ontapMessage: this.ontapMessage,
      ontapTarget: this.ontapTarget,
      meaning: this.meaning,
      arguments: this.arguments.length > 0 ? this.arguments : undefined,
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

/** Options of {@link OntapConnectionError}. */
export interface OntapConnectionErrorOptions extends OntapErrorOptions {
  /** The kind of failure. */
  readonly reason: OntapConnectionFailure;
  /** The undici or Node error code, e.g. `ECONNREFUSED`. */
  readonly errorCode?: string;
  /** Required here: the caller must decide. */
  readonly mayHaveReachedServer: boolean;
}

/**
 * The connection failed or broke. `mayHaveReachedServer` is false when the request certainly was not sent
 * (refused, DNS, TLS verification, connect timeout) and true when the connection broke after it may have
 * been sent (reset, socket closed).
 */
export class OntapConnectionError extends OntapError {
  /** The kind of failure. */
  readonly reason: OntapConnectionFailure;
  /** The undici or Node error code, e.g. `ECONNRESET`, `UND_ERR_SOCKET`, `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  readonly errorCode?: string;

  /**
   * @param message - What happened.
   * @param options - Reason, code, request context.
   */
  constructor(message: string, options: OntapConnectionErrorOptions) {
    super(message, options);
    this.reason = options.reason;
    this.errorCode = options.errorCode;
  }

  protected override details(): Record<string, unknown> {
    return { reason: this.reason, errorCode: this.errorCode };
  }
}

/** Which wait ran out; see {@link OntapTimeoutError.phase}. */
export type OntapTimeoutPhase = "connect" | "headers" | "body" | "deadline" | "job";

/** Options of {@link OntapTimeoutError}. */
export interface OntapTimeoutErrorOptions extends OntapErrorOptions {
  /** Which wait ran out. */
  readonly phase: OntapTimeoutPhase;
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs?: number;
  /** The job being waited for (phase `job`). */
  readonly jobUuid?: string;
  /** The undici error code, when undici reported the timeout. */
  readonly errorCode?: string;
}

/** A request, a call (with its retries) or a job took longer than allowed. */
export class OntapTimeoutError extends OntapError {
  /** Which wait ran out: connecting, response headers, response body, the call's deadline, a job. */
  readonly phase: OntapTimeoutPhase;
  /** The limit, in milliseconds. */
  readonly timeoutMs?: number;
  /** The job, for a job timeout. */
  readonly jobUuid?: string;
  /** The undici error code, when there is one. */
  readonly errorCode?: string;

  /**
   * @param message - What happened.
   * @param options - Phase, limit, request context.
   */
  constructor(message: string, options: OntapTimeoutErrorOptions) {
    super(message, {
      ...options,
      mayHaveReachedServer: options.mayHaveReachedServer ?? options.phase !== "connect",
    });
    this.phase = options.phase;
    this.timeoutMs = options.timeoutMs;
    this.jobUuid = options.jobUuid;
    this.errorCode = options.errorCode;
  }

  protected override details(): Record<string, unknown> {
    return { phase: this.phase, timeoutMs: this.timeoutMs, jobUuid: this.jobUuid, errorCode: this.errorCode };
  }
}

/** Options of {@link OntapJobFailedError}. */
export interface OntapJobFailedErrorOptions extends OntapErrorOptions {
  /** The job's uuid. */
  readonly jobUuid: string;
  /** The job's `code` (an integer in job records). */
  readonly jobCode?: number;
  /** The job's `message`. */
  readonly jobMessage?: string;
}

/** An asynchronous job ended in state `failure`. The write reached ONTAP and was refused. */
export class OntapJobFailedError extends OntapError {
  /** The job's uuid. */
  readonly jobUuid: string;
  /** The job's error code (integer), when it had one. */
  readonly jobCode?: number;
  /** The job's message (redacted). */
  readonly jobMessage?: string;
  /** The code as the string ONTAP uses in error bodies, for comparison with {@link OntapApiError.ontapCode}. */
  readonly ontapCode?: string;
  /** What the code means, from the codes table. */
  readonly meaning?: string;

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
    this.jobUuid = jobUuid;
    this.jobCode = options.jobCode;
    this.jobMessage = jobMessage;
    this.ontapCode = options.jobCode === undefined ? undefined : String(options.jobCode);
    this.meaning = info?.meaning;
  }

  protected override details(): Record<string, unknown> {
    return {
      jobUuid: this.jobUuid,
      jobCode: this.jobCode,
      jobMessage: this.jobMessage,
      ontapCode: this.ontapCode,
      meaning: this.meaning,
    };
  }
}

/** One problem found in a response body. */
export interface OntapResponseIssue {
  /** Field path, e.g. `records[0].svm.uuid` (`(root)` for the body itself). */
  readonly field: string;
  /** What is wrong with it (never the value). */
  readonly problem: string;
}

/** Options of {@link OntapBadResponseError}. */
export interface OntapBadResponseErrorOptions extends OntapErrorOptions {
  /** HTTP status of the answer. */
  readonly status?: number;
  /** The problems, first one first. */
  readonly issues: readonly OntapResponseIssue[];
}

/** ONTAP's answer does not fit the contract: not JSON, or a field missing or of the wrong type. */
export class OntapBadResponseError extends OntapError {
  /** HTTP status of the answer. */
  readonly status?: number;
  /** The first field that broke the contract. */
  readonly field: string;
  /** Every problem found. */
  readonly issues: readonly OntapResponseIssue[];

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
    this.status = options.status;
    this.field = first.field;
    this.issues = issues;
  }

  protected override details(): Record<string, unknown> {
    return { status: this.status, field: this.field, issues: this.issues };
  }
}

/** Options of {@link OntapResponseTooLargeError}. */
export interface OntapResponseTooLargeErrorOptions extends OntapErrorOptions {
  /** HTTP status of the answer. */
  readonly status?: number;
  /** The most this client reads of one response body, in bytes. */
  readonly limitBytes: number;
  /** The length the server announced (`Content-Length`), when it announced one over the limit. */
  readonly declaredBytes?: number;
}

/**
 * A response body was longer than this client reads ({@link OntapResponseTooLargeError.limitBytes}). Reading
 * stopped at the limit and the connection was closed: whatever answers for the cluster (a proxy, or a
 * man-in-the-middle when certificates are not verified) cannot exhaust the provider's memory. No real
 * key-manager answer comes near the limit.
 */
export class OntapResponseTooLargeError extends OntapBadResponseError {
  /** The limit, in bytes. */
  readonly limitBytes: number;
  /** The announced `Content-Length`, when it was over the limit. */
  readonly declaredBytes?: number;

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
    this.limitBytes = options.limitBytes;
    this.declaredBytes = options.declaredBytes;
  }

  protected override details(): Record<string, unknown> {
    return { ...super.details(), limitBytes: this.limitBytes, declaredBytes: this.declaredBytes };
  }
}

function formatBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

/** Options of {@link OntapConfigurationError}. */
export interface OntapConfigurationErrorOptions extends OntapErrorOptions {
  /** The stack configuration key to set or fix, e.g. `ontap:host`. */
  readonly key: string;
  /** The environment variable that can stand in for it, e.g. `ONTAP_HOST`. */
  readonly envVar?: string;
}

/** A connection setting is missing, malformed or contradicts another. Nothing was sent. */
export class OntapConfigurationError extends OntapError {
  /** The configuration key to set or fix, e.g. `ontap:host` or `ontap:profiles`. */
  readonly key: string;
  /** The environment variable that can stand in for it. */
  readonly envVar?: string;

  /**
   * @param message - What is wrong.
   * @param options - The key and, usually, a remedy naming the command to run.
   */
  constructor(message: string, options: OntapConfigurationErrorOptions) {
    super(message, { ...options, mayHaveReachedServer: false });
    this.key = options.key;
    this.envVar = options.envVar;
  }

  protected override details(): Record<string, unknown> {
    return { key: this.key, envVar: this.envVar };
  }
}

/** Options of {@link OntapUnsupportedError}. */
export interface OntapUnsupportedErrorOptions extends OntapErrorOptions {
  /** The feature, in words: "key server passwords". */
  readonly feature: string;
  /** The first release that has it, e.g. `9.7`. */
  readonly requiredVersion: string;
  /** The cluster's release. */
  readonly actualVersion: string;
}

/** The cluster's ONTAP release lacks a feature. Nothing was sent. */
export class OntapUnsupportedError extends OntapError {
  /** The feature. */
  readonly feature: string;
  /** The first release that has it. */
  readonly requiredVersion: string;
  /** The cluster's release. */
  readonly actualVersion: string;

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
    this.feature = options.feature;
    this.requiredVersion = options.requiredVersion;
    this.actualVersion = options.actualVersion;
  }

  protected override details(): Record<string, unknown> {
    return {
      feature: this.feature,
      requiredVersion: this.requiredVersion,
      actualVersion: this.actualVersion,
    };
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

/** Context of {@link fromTransportError}. */
export interface TransportErrorContext extends OntapRequestContext {
  /** The per-request timeout, for the message. */
  readonly requestTimeoutMs?: number;
  /** The call's deadline, for the message. */
  readonly deadlineMs?: number;
  /** Set when the call's own deadline signal fired: the error is then a deadline timeout. */
  readonly deadlineExceeded?: boolean;
}

interface TransportClass {
  readonly kind: OntapConnectionFailure | "connect-timeout" | "headers-timeout" | "body-timeout" | "aborted";
  /** Whether the request may have been sent before the failure. */
  readonly reached: boolean;
}

/**
 * undici and Node error codes → what they mean for us. THE place where transport codes are interpreted.
 * `reached` is false only when the failure certainly happened before the request was written.
 */
const TRANSPORT_CODES: Readonly<Record<string, TransportClass>> = {
  ECONNREFUSED: { kind: "refused", reached: false },
  ENOTFOUND: { kind: "dns", reached: false },
  EAI_AGAIN: { kind: "dns", reached: false },
  EAI_FAIL: { kind: "dns", reached: false },
  EAI_NONAME: { kind: "dns", reached: false },
  ENETUNREACH: { kind: "unreachable", reached: false },
  EHOSTUNREACH: { kind: "unreachable", reached: false },
  ENETDOWN: { kind: "unreachable", reached: false },
  EHOSTDOWN: { kind: "unreachable", reached: false },
  EADDRNOTAVAIL: { kind: "unreachable", reached: false },
  UND_ERR_CONNECT_TIMEOUT: { kind: "connect-timeout", reached: false },
  ETIMEDOUT: { kind: "connect-timeout", reached: false },
  ECONNRESET: { kind: "reset", reached: true },
  EPIPE: { kind: "reset", reached: true },
  ECONNABORTED: { kind: "reset", reached: true },
  UND_ERR_SOCKET: { kind: "reset", reached: true },
  UND_ERR_CLOSED: { kind: "reset", reached: true },
  UND_ERR_DESTROYED: { kind: "reset", reached: true },
  UND_ERR_HEADERS_TIMEOUT: { kind: "headers-timeout", reached: true },
  UND_ERR_BODY_TIMEOUT: { kind: "body-timeout", reached: true },
  UND_ERR_ABORTED: { kind: "aborted", reached: true },
  UND_ERR_ABORT: { kind: "aborted", reached: true },
  ABORT_ERR: { kind: "aborted", reached: true },
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: { kind: "protocol", reached: true },
  UND_ERR_HEADERS_OVERFLOW: { kind: "protocol", reached: true },
  UND_ERR_INFO: { kind: "protocol", reached: true },
  EPROTO: { kind: "tls-protocol", reached: false },
  ERR_TLS_CERT_ALTNAME_INVALID: { kind: "tls-hostname", reached: false },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: { kind: "tls-verification", reached: false },
  DEPTH_ZERO_SELF_SIGNED_CERT: { kind: "tls-verification", reached: false },
  SELF_SIGNED_CERT_IN_CHAIN: { kind: "tls-verification", reached: false },
  UNABLE_TO_GET_ISSUER_CERT: { kind: "tls-verification", reached: false },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: { kind: "tls-verification", reached: false },
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: { kind: "tls-verification", reached: false },
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: { kind: "tls-verification", reached: false },
  INVALID_CA: { kind: "tls-verification", reached: false },
  PATH_LENGTH_EXCEEDED: { kind: "tls-verification", reached: false },
  INVALID_PURPOSE: { kind: "tls-verification", reached: false },
  CERT_UNTRUSTED: { kind: "tls-verification", reached: false },
  CERT_REJECTED: { kind: "tls-verification", reached: false },
  HOSTNAME_MISMATCH: { kind: "tls-hostname", reached: false },
};

function classify(code: string | undefined): TransportClass {
  if (code === undefined) {
    return { kind: "other", reached: true };
  }
  const known = Object.hasOwn(TRANSPORT_CODES, code) ? TRANSPORT_CODES[code] : undefined;
  if (known) {
    return known;
  }
  if (code.startsWith("CERT_") || code.startsWith("ERR_TLS_CERT")) {
    return { kind: "tls-verification", reached: false };
  }
  if (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_")) {
    return { kind: "tls-protocol", reached: false };
  }
  if (code.startsWith("HPE_")) {
    return { kind: "protocol", reached: true };
  }
  return { kind: "other", reached: true };
}

/**
 * Finds the most specific error code in an error, its `cause` chain and, for an `AggregateError` (Node's
 * happy-eyeballs connect), its `errors`.
 *
 * @param err - Anything thrown.
 */
export function findErrorCode(err: unknown): string | undefined {
  let fallback: string | undefined;
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0 && seen.size < 20) {
    const e = queue.shift();
    if (!isRecord(e) || seen.has(e)) {
      continue;
    }
    seen.add(e);
    const code = typeof e.code === "string" ? e.code : undefined;
    // A generic code (e.g. UND_ERR_SOCKET wrapping ECONNRESET) is kept only if nothing more specific is found.
    if (code && code !== "UND_ERR" && classify(code).kind !== "other") {
      if (code !== "UND_ERR_SOCKET" && code !== "UND_ERR_ABORTED") {
        return code;
      }
      fallback ??= code;
    } else if (code) {
      fallback ??= code;
    }
    if (e.name === "TimeoutError") {
      fallback ??= "ABORT_ERR";
    }
    queue.push(e.cause);
    if (Array.isArray(e.errors)) {
      queue.push(...(e.errors as unknown[]));
    }
  }
  return fallback;
}

/**
 * Maps anything undici or Node threw for a request to an {@link OntapError}. The one place that knows
 * transport error codes.
 *
 * @param err - What was thrown (an existing {@link OntapError} is returned as is).
 * @param context - The request and its limits.
 */
export function fromTransportError(err: unknown, context: TransportErrorContext): OntapError {
  if (err instanceof OntapError) {
    return err;
  }
  const where = describeRequest(context);
  const target = context.target ?? "the cluster";
  const isWrite = context.method !== undefined && context.method !== "GET" && context.method !== "HEAD";
  const outcome = (reached: boolean): string =>
    isWrite
      ? reached
        ? " The request may have reached ONTAP and been applied."
        : " The request did not reach ONTAP."
      : "";

  if (context.deadlineExceeded) {
    return new OntapTimeoutError(
      `${where} did not complete within the ${seconds(context.deadlineMs)} deadline (retries included).${outcome(true)}`,
      {
        ...context,
        cause: err,
        phase: "deadline",
        timeoutMs: context.deadlineMs,
        mayHaveReachedServer: true,
        remedy: "raise ontap:deadline (ONTAP_DEADLINE, seconds), or check why the cluster answers slowly",
      },
    );
  }

  const found = findErrorCode(err);
  const cls = classify(found);
  // Known codes are ours to print; an unknown one is outside text.
  const code = found === undefined || Object.hasOwn(TRANSPORT_CODES, found) ? found : redact(found);
  const codeText = code ? ` (${code})` : "";
  const base = { ...context, cause: err, errorCode: code, mayHaveReachedServer: cls.reached };
  switch (cls.kind) {
    case "connect-timeout":
      return new OntapTimeoutError(
        `Connecting to ONTAP at ${target} timed out${codeText}.${outcome(false)}`,
        {
          ...base,
          phase: "connect",
          remedy:
            "check that ontap:host (ONTAP_HOST) is the cluster management interface and that it is reachable from here",
        },
      );
    case "headers-timeout":
    case "body-timeout":
      return new OntapTimeoutError(
        `ONTAP at ${target} did not answer ${where} within ${seconds(context.requestTimeoutMs)}${codeText}.${outcome(true)}`,
        {
          ...base,
          phase: cls.kind === "headers-timeout" ? "headers" : "body",
          timeoutMs: context.requestTimeoutMs,
          remedy: "raise ontap:requestTimeout (ONTAP_REQUEST_TIMEOUT, seconds), or check the cluster's load",
        },
      );
    case "aborted":
      return new OntapTimeoutError(`${where} was aborted before ONTAP answered${codeText}.${outcome(true)}`, {
        ...base,
        phase: "deadline",
        timeoutMs: context.deadlineMs,
      });
    case "refused":
      return new OntapConnectionError(
        `Cannot connect to ONTAP at ${target}: connection refused${codeText}.${outcome(false)}`,
        {
          ...base,
          reason: cls.kind,
          remedy:
            "check that ontap:host (ONTAP_HOST) names the cluster management interface (host or host:port) and that HTTPS is enabled on it",
        },
      );
    case "dns":
      return new OntapConnectionError(
        `Cannot connect to ONTAP at ${target}: the host name does not resolve${codeText}.${outcome(false)}`,
        { ...base, reason: cls.kind, remedy: "check the host name in ontap:host (ONTAP_HOST)" },
      );
    case "unreachable":
      return new OntapConnectionError(
        `Cannot connect to ONTAP at ${target}: the network is unreachable${codeText}.${outcome(false)}`,
        { ...base, reason: cls.kind, remedy: "check the network path to the cluster management interface" },
      );
    case "tls-verification":
      return new OntapConnectionError(
        `Cannot verify the TLS certificate of ONTAP at ${target}: ${tlsProblem(code)}${codeText}.${outcome(false)}`,
        {
          ...base,
          reason: cls.kind,
          remedy:
            "set ontap:caCert (ONTAP_CA_CERT, or caCert in the profile) to the PEM text or file of the CA that signed the " +
            "cluster's certificate (for a self-signed certificate, the certificate itself); only in a lab, turn " +
            "verification off with ontap:validateCerts false",
        },
      );
    case "tls-hostname":
      return new OntapConnectionError(
        `The TLS certificate of ONTAP at ${target} does not name that host${codeText}.${outcome(false)}`,
        {
          ...base,
          reason: cls.kind,
          remedy:
            "set ontap:host to a name or address the certificate lists, or install a certificate for this address on the cluster",
        },
      );
    case "tls-protocol":
      return new OntapConnectionError(
        `TLS negotiation with ${target} failed${codeText}; is it an HTTPS port?${outcome(false)}`,
        {
          ...base,
          reason: cls.kind,
          remedy: "ontap:host must name the HTTPS management interface (port 443 unless it was changed)",
        },
      );
    case "reset":
      return new OntapConnectionError(
        `The connection to ONTAP at ${target} broke during ${where}${codeText}.${outcome(true)}`,
        {
          ...base,
          reason: cls.kind,
          remedy: isWrite ? undefined : "run again; if it persists, check the network",
        },
      );
    case "protocol":
      return new OntapConnectionError(
        `ONTAP at ${target} sent a malformed HTTP answer to ${where}${codeText}.${outcome(true)}`,
        { ...base, reason: cls.kind },
      );
    default:
      return new OntapConnectionError(
        `${where} failed${codeText}: ${redact(errorMessage(err))}.${outcome(true)}`,
        {
          ...base,
          reason: "other",
        },
      );
  }
}

function tlsProblem(code: string | undefined): string {
  switch (code) {
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
      return "it is self-signed and not trusted";
    case "SELF_SIGNED_CERT_IN_CHAIN":
      return "its chain ends in a self-signed CA that is not trusted";
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "UNABLE_TO_GET_ISSUER_CERT":
      return "it is signed by a CA that is not trusted";
    case "CERT_HAS_EXPIRED":
      return "it has expired";
    case "CERT_NOT_YET_VALID":
      return "it is not valid yet";
    default:
      return "verification failed";
  }
}

function describeRequest(context: OntapRequestContext): string {
  if (context.method && context.path) {
    return `${context.method} ${context.path}`;
  }
  return context.path ?? context.method ?? "the request";
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? "allowed time" : `${Math.round(ms / 100) / 10} s`;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    return err.message;
  }
  return typeof err === "string" ? err : "unknown error";
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
