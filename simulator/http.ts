import type { SimulatedOntapError } from "./errors";

/** A handler's answer. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a handler sees of a request. */
export interface Ctx {
  /** Upper-case method. */
  method: string;
  /** Pathname as received (not decoded). */
  pathname: string;
  /** Query string as received, without '?'. */
  rawQuery: string;
  /** Decoded query pairs, in order. */
  pairs: [string, string][];
  /** Decoded path parameters. */
  params: Record<string, string>;
  /** Parsed JSON body; undefined when there is none. */
  body: unknown;
  /** Set by a `job-failure` fault: the write's job must fail with this instead of applying. */
  jobFailure?: { code: number; message: string };
}

/** A JSON reply. */
export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return headers ? { status, body, headers } : { status, body };
}

/** The reply for an ONTAP error. */
export function errorReply(e: SimulatedOntapError): Reply {
  return { status: e.status, body: e.body() };
}
