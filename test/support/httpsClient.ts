/**
 * The one HTTPS client of the tests, the demo and the bench for plain calls to the ONTAP REST API (the
 * simulator's, or a cluster's), outside the provider: it verifies the server's certificate with the given CA
 * (never turned off) and logs in with Basic authentication. The simulator's conformance tests use it as is;
 * {@link OntapAdmin} builds the administrator's calls on it.
 *
 * @packageDocumentation
 */
import { Agent, request } from "undici";

/** A parsed JSON body, readable at any depth (tests assert on the values). */
export type Body = { readonly [key: string]: Body } & readonly Body[];

/** An answer. */
export interface Res {
  status: number;
  body: Body;
  headers: Record<string, string | string[] | undefined>;
}

/** Options of one call. */
export interface CallOptions {
  /** `null` sends no Authorization header; a string replaces the simulator's credentials ("user:pw"). */
  auth?: string | null;
  /** Client-side limit on the whole call (aborts it, which closes the connection). */
  timeoutMs?: number;
  /** Raw body text (instead of JSON). */
  raw?: string;
}

/** An HTTPS client that verifies the simulator's certificate with its caCert (never turned off). */
export class Client {
  readonly agent: Agent;

  constructor(readonly sim: { url: string; caCert: string; username: string; password: string }) {
    this.agent = new Agent({ connect: { ca: sim.caCert }, keepAliveTimeout: 2_000 });
  }

  /** Sends one request; `path` is appended to the simulator's URL as is. */
  async call(method: string, path: string, body?: unknown, opts: CallOptions = {}): Promise<Res> {
    const creds = opts.auth === undefined ? `${this.sim.username}:${this.sim.password}` : opts.auth;
    const headers: Record<string, string> = { accept: "application/hal+json" };
    if (creds !== null) headers.authorization = `Basic ${Buffer.from(creds).toString("base64")}`;
    let payload: string | undefined = opts.raw;
    if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers["content-type"] = "application/json";
    const r = await request(`${this.sim.url}${path}`, {
      method: method as "GET",
      headers,
      body: payload,
      dispatcher: this.agent,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    const text = await r.body.text();
    return { status: r.statusCode, body: (text ? JSON.parse(text) : {}) as Body, headers: r.headers };
  }

  get(path: string, opts?: CallOptions): Promise<Res> {
    return this.call("GET", path, undefined, opts);
  }

  post(path: string, body?: unknown, opts?: CallOptions): Promise<Res> {
    return this.call("POST", path, body ?? {}, opts);
  }

  patch(path: string, body: unknown, opts?: CallOptions): Promise<Res> {
    return this.call("PATCH", path, body, opts);
  }

  del(path: string, opts?: CallOptions): Promise<Res> {
    return this.call("DELETE", path, undefined, opts);
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}
