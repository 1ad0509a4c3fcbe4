/**
 * Transport failures → {@link OntapError}s: THE place where undici and Node error codes are interpreted
 * (what failed, and whether the request may have reached ONTAP). The error classes live in `errors.ts`.
 *
 * @packageDocumentation
 */

import {
  describeRequest,
  OntapConnectionError,
  OntapError,
  OntapTimeoutError,
  type OntapConnectionFailure,
  type OntapRequestContext,
} from "./errors";
import { redact } from "./redact";

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

function seconds(ms: number | undefined): string {
  return ms === undefined ? "allowed time" : `${Math.round(ms / 100) / 10} s`;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    return err.message;
  }
  return typeof err === "string" ? err : "unknown error";
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}
