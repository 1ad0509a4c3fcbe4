/**
 * The simulator in a child process (`bin/simulator/cli.js`), driven through its `/__sim/` control endpoints.
 * Timing and CPU figures need it there: in-process, the simulator's own work would run on the benchmark's
 * event loop and be counted as the provider's, whereas a real cluster is another machine.
 *
 * @packageDocumentation
 */

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { Agent, request } from "undici";
import type { RequestLogEntry } from "../simulator";

/** A simulator running in a child process. */
export interface ChildSimulator {
  /** Base URL. */
  readonly url: string;
  /** PEM of its TLS certificate. */
  readonly caCert: string;
  /** Basic-auth user. */
  readonly username: string;
  /** Basic-auth password. */
  readonly password: string;
  /** A bare HTTPS call (send, read, parse JSON) with the simulator's credentials, on a pool of its own (10). */
  call(method: string, pathAndQuery: string, body?: unknown): Promise<unknown>;
  /** The request log and the TLS handshakes since the last clear. */
  log(): Promise<{ records: RequestLogEntry[]; handshakes: number }>;
  /** Empties the request log and zeroes the handshake count. */
  clearLog(): Promise<void>;
  /** Latency added to each ONTAP request. */
  setLatency(ms: number): Promise<void>;
  /** Stops the child (SIGTERM, then SIGKILL) and closes the pool. */
  close(): Promise<void>;
}

/**
 * Starts `bin/simulator/cli.js` on a free port and reads its URL and CA certificate from its banner.
 *
 * @param options - ONTAP release and data SVMs to seed.
 */
export async function startChildSimulator(
  options: { ontapVersion?: string; dataSvms?: number } = {},
): Promise<ChildSimulator> {
  const cli = path.resolve(__dirname, "..", "bin", "simulator", "cli.js");
  const password = randomBytes(18).toString("base64url");
  const args = [cli, "--port", "0", "--quiet", "--data-svms", String(options.dataSvms ?? 2)];
  if (options.ontapVersion !== undefined) args.push("--ontap-version", options.ontapVersion);
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ONTAP_SIMULATOR_PASSWORD: password },
  });
  let out = "";
  child.stdout?.setEncoding("utf8");
  child.stderr?.resume();
  const banner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not start within 30 s: ${out}`)), 30_000);
    child.stdout?.on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("ready")) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`simulator exited with ${code}: ${out}`));
    });
  }).catch(async (err: unknown) => {
    await stop(child);
    throw err;
  });
  const url = /^url: (\S+)$/m.exec(banner)?.[1];
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(banner)?.[0];
  if (!url || !pem) {
    await stop(child);
    throw new Error("unexpected simulator banner");
  }
  const caCert = `${pem}\n`;
  const username = "admin";
  const agent = new Agent({ connections: 10, pipelining: 1, connect: { ca: caCert } });
  // Control calls share one connection, opened before any clear of the log: they add no TLS handshake to the
  // count a measurement reads afterwards.
  const controlAgent = new Agent({ connections: 1, pipelining: 1, connect: { ca: caCert } });
  const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  const send = async (
    dispatcher: Agent,
    method: string,
    pathAndQuery: string,
    body?: unknown,
  ): Promise<unknown> => {
    const res = await request(`${url}${pathAndQuery}`, {
      method: method as "GET",
      dispatcher,
      headers: {
        authorization,
        accept: "application/hal+json, application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`${method} ${pathAndQuery}: HTTP ${res.statusCode} ${text}`);
    return text === "" ? undefined : (JSON.parse(text) as unknown);
  };
  const call = (method: string, pathAndQuery: string, body?: unknown): Promise<unknown> =>
    send(agent, method, pathAndQuery, body);
  const control = (method: string, pathAndQuery: string, body?: unknown): Promise<unknown> =>
    send(controlAgent, method, pathAndQuery, body);
  await control("GET", "/__sim/log");
  return {
    url,
    caCert,
    username,
    password,
    call,
    async log() {
      const r = (await control("GET", "/__sim/log")) as {
        records: RequestLogEntry[];
        tls_handshakes: number;
      };
      return { records: r.records, handshakes: r.tls_handshakes };
    },
    async clearLog() {
      await control("DELETE", "/__sim/log");
    },
    async setLatency(ms) {
      await control("POST", "/__sim/latency", { ms });
    },
    async close() {
      await agent.close();
      await controlAgent.close();
      await stop(child);
    },
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
