import { randomBytes, createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Server, createServer } from "node:https";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { registerCertificateRoutes } from "./certificates";
import { registerClusterRoutes } from "./cluster";
import { registerControlRoutes } from "./control";
import { type Env, nodeNames } from "./env";
import { SimulatedOntapError } from "./errors";
import { FaultRegistry } from "./faults";
import { type Ctx, type Reply, errorReply } from "./http";
import { newUuid } from "./ids";
import { JobRunner } from "./jobs";
import { keyManagerSpec, registerKeyManagerRoutes, renderKeyManager } from "./keyManagers";
import { registerKeyServerRoutes } from "./keyServers";
import { registerKeyStoreRoutes } from "./keyStores";
import { project, queryPairs } from "./query";
import { type Release, parseRelease } from "./release";
import { Router } from "./router";
import { normalizeServer } from "./serverAddress";
import { Model, loadState, saveState, secretMatches } from "./state";
import { generateServerCertificate } from "./tls";
import type { FaultSpec, RequestLogEntry, Simulator, SimulatorOptions } from "./types";
import { registerVolumeRoutes } from "./volumes";

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_LOG_ENTRIES = 100_000;

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new RequestError(413, "request body too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function randomPassword(n: number): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join("");
}

function sha256(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** The query as received, with the values of passphrase/password parameters replaced. */
function redactQuery(rawQuery: string): string {
  return rawQuery
    .split("&")
    .map((p) => {
      const eq = p.indexOf("=");
      let name = eq < 0 ? p : p.slice(0, eq);
      try {
        name = decodeURIComponent(name.replace(/\+/g, " "));
      } catch {
        // keep the raw name
      }
      return eq >= 0 && /pass(phrase|word)/i.test(name) ? `${p.slice(0, eq)}=***` : p;
    })
    .join("&");
}

function safeDecode(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

function parseJsonBody(method: string, text: string): unknown {
  if (text.trim() === "") return undefined;
  if (method === "GET" || method === "HEAD" || method === "DELETE") {
    throw new SimulatedOntapError(
      400,
      "262198",
      "A request body is not allowed on GET, HEAD and DELETE requests.",
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SimulatedOntapError(400, "262199", "Invalid JSON input in the request body.");
  }
}

interface Sleep {
  timer: NodeJS.Timeout;
  resolve: (completed: boolean) => void;
}

/** The simulator: an HTTPS server playing ONTAP's key-manager API, plus its test controls. */
class SimulatorImpl implements Simulator {
  readonly url: string;
  readonly caCert: string;
  readonly username: string;
  readonly password: string;
  readonly ontapVersion: string;

  private readonly env: Env;
  private readonly router = new Router();
  private readonly control = new Router();
  private readonly faults = new FaultRegistry();
  private log: RequestLogEntry[] = [];
  private epoch = 0;
  private seq = 0;
  private handshakes = 0;
  private connSeq = 0;
  private readonly connIds = new WeakMap<object, number>();
  private readonly sockets = new Set<Socket>();
  private readonly sleeps = new Set<Sleep>();
  private latencyMs: number;
  private jobDelayMs: number;
  private closed = false;

  constructor(
    private readonly server: Server,
    port: number,
    cert: string,
    private readonly options: SimulatorOptions,
    release: Release,
    model: Model,
    private readonly credentials: { username: string; password: string },
  ) {
    const host = options.host ?? "127.0.0.1";
    this.url = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
    this.caCert = cert;
    this.username = credentials.username;
    this.password = credentials.password;
    this.ontapVersion = release.label;
    this.latencyMs = options.latencyMs ?? 0;
    this.jobDelayMs = options.jobDelayMs ?? 50;
    const jobs = new JobRunner(
      () => this.jobDelayMs,
      (e) => this.internalError(e),
    );
    this.env = {
      release,
      model,
      jobs,
      changed: () => this.persist(),
    };
    registerClusterRoutes(this.router, this.env);
    registerCertificateRoutes(this.router, this.env);
    registerVolumeRoutes(this.router, this.env);
    registerKeyManagerRoutes(this.router, this.env);
    registerKeyServerRoutes(this.router, this.env);
    registerKeyStoreRoutes(this.router, this.env);
    registerControlRoutes(this.control, this);

    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.once("close", () => this.sockets.delete(s));
    });
    server.on("secureConnection", (s: Socket) => {
      this.handshakes += 1;
      this.connSeq += 1;
      this.connIds.set(s, this.connSeq);
    });
    server.on("tlsClientError", () => {
      // A client that does not trust the certificate aborts the handshake; nothing to answer.
    });
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((e: unknown) => this.internalError(e));
    });
  }

  // ---- programmatic API -------------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelSleeps();
    this.env.jobs.clear();
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await done;
  }

  setLatency(ms: number): void {
    if (!(ms >= 0)) throw new Error("latency must be >= 0 ms");
    this.latencyMs = ms;
  }

  setJobDelay(ms: number): void {
    if (!(ms >= 0)) throw new Error("job delay must be >= 0 ms");
    this.jobDelayMs = ms;
  }

  injectFault(fault: FaultSpec): void {
    this.faults.add(fault);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  requestLog(): RequestLogEntry[] {
    return this.log.map((e) => ({ ...e })).sort((a, b) => a.seq - b.seq);
  }

  clearRequestLog(): void {
    this.log = [];
    this.epoch += 1;
    this.seq = 0;
    this.handshakes = 0;
  }

  tlsHandshakes(): number {
    return this.handshakes;
  }

  reset(): void {
    this.cancelSleeps();
    this.env.jobs.clear();
    this.faults.clear();
    this.clearRequestLog();
    this.latencyMs = this.options.latencyMs ?? 0;
    this.jobDelayMs = this.options.jobDelayMs ?? 50;
    this.env.model = Model.seeded(
      this.options.clusterName ?? "cluster1",
      this.options.dataSvms ?? ["vs0", "vs1"],
    );
    this.persist();
  }

  seedSvms(spec: number | string[]): { uuid: string; name: string }[] {
    const added = this.env.model.seedSvms(spec);
    this.persist();
    return added.map((s) => ({ uuid: s.uuid, name: s.name }));
  }

  seedEncryptedVolume(svmName: string, volumeName?: string): { uuid: string; name: string } {
    const svm = this.env.model.svmByName(svmName);
    if (!svm || svm.admin) throw new Error(`no data SVM named "${svmName}"`);
    const taken = new Set(
      [...this.env.model.volumes.values()].filter((v) => v.svmUuid === svm.uuid).map((v) => v.name),
    );
    let name = volumeName;
    if (name === undefined) {
      let n = 1;
      while (taken.has(`${svmName}_vol${n}`)) n += 1;
      name = `${svmName}_vol${n}`;
    } else if (taken.has(name)) {
      throw new Error(`SVM "${svmName}" already has a volume "${name}"`);
    }
    const v = { uuid: newUuid(), name, svmUuid: svm.uuid, encrypted: true };
    this.env.model.volumes.set(v.uuid, v);
    this.persist();
    return { uuid: v.uuid, name: v.name };
  }

  renameSvm(name: string, newName: string): { uuid: string; name: string } {
    const svm = this.env.model.renameSvm(name, newName);
    this.persist();
    return { uuid: svm.uuid, name: svm.name };
  }

  removeVolumes(svmName?: string): void {
    const model = this.env.model;
    const svm = svmName === undefined ? undefined : model.svmByName(svmName);
    if (svmName !== undefined && !svm) throw new Error(`no SVM named "${svmName}"`);
    for (const v of [...model.volumes.values()])
      if (!svm || v.svmUuid === svm.uuid) model.volumes.delete(v.uuid);
    this.persist();
  }

  checkOnboardPassphrase(passphrase: string): boolean {
    const km = this.env.model.keyManagerOf(this.env.model.adminSvm().uuid);
    return km?.onboard !== undefined && secretMatches(km.onboard.passphrase, passphrase);
  }

  checkKeyServerPassword(keyManagerUuid: string, server: string, password: string): boolean {
    const km = this.env.model.keyManagers.get(keyManagerUuid);
    const n = normalizeServer(server);
    const s = "server" in n ? km?.external?.servers.find((x) => x.server === n.server) : undefined;
    return s?.password !== undefined && secretMatches(s.password, password);
  }

  setServerHoldsKeys(keyManagerUuid: string, server: string, holds: boolean): void {
    const km = this.env.model.keyManagers.get(keyManagerUuid);
    if (!km?.external) throw new Error(`no external key manager ${keyManagerUuid}`);
    const n = normalizeServer(server);
    const s = "server" in n ? km.external.servers.find((x) => x.server === n.server) : undefined;
    if (!s) throw new Error(`key manager ${keyManagerUuid} has no key server "${server}"`);
    s.holdsKeys = holds;
    this.persist();
  }

  setKeyManagerStatus(keyManagerUuid: string, status: { code: number; message: string } | undefined): void {
    if (!this.env.release.later) throw new Error("key-manager status exists from ONTAP 9.7 on");
    const km = this.env.model.keyManagers.get(keyManagerUuid);
    if (!km) throw new Error(`no key manager ${keyManagerUuid}`);
    if (status) km.status = { code: status.code, message: status.message };
    else delete km.status;
    this.persist();
  }

  setOnboardKeysMissing(node: string, missing: boolean): void {
    if (!this.env.release.later) throw new Error("onboard synchronize exists from ONTAP 9.7 on");
    const km = this.env.model.keyManagerOf(this.env.model.adminSvm().uuid);
    if (!km?.onboard) throw new Error("the cluster has no enabled onboard key manager");
    if (!nodeNames(this.env).includes(node)) {
      throw new Error(`no node "${node}" (nodes: ${nodeNames(this.env).join(", ")})`);
    }
    const set = new Set(km.onboard.missingKeysOn ?? []);
    if (missing) set.add(node);
    else set.delete(node);
    if (set.size) km.onboard.missingKeysOn = [...set].sort();
    else delete km.onboard.missingKeysOn;
    this.persist();
  }

  onboardKeysMissing(): string[] {
    const km = this.env.model.keyManagerOf(this.env.model.adminSvm().uuid);
    return [...(km?.onboard?.missingKeysOn ?? [])];
  }

  keyManagers(): unknown[] {
    const spec = keyManagerSpec(this.env.release);
    return [...this.env.model.keyManagers.values()].map((k) =>
      project(renderKeyManager(this.env, k), { star: true, all: false, paths: [] }, spec),
    );
  }

  // ---- request handling -------------------------------------------------------------------------------

  private persist(): void {
    if (this.options.stateFile) saveState(this.options.stateFile, this.env.model);
  }

  private internalError(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    this.options.log?.(`simulator internal error: ${msg}`);
  }

  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const entry: Sleep = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve(true);
        }, ms),
        resolve,
      };
      this.sleeps.add(entry);
    });
  }

  private cancelSleeps(): void {
    for (const s of this.sleeps) {
      clearTimeout(s.timer);
      s.resolve(false);
    }
    this.sleeps.clear();
  }

  private authorized(req: IncomingMessage): boolean {
    const h = req.headers.authorization ?? "";
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h);
    if (!m?.[1]) return false;
    const given = Buffer.from(m[1], "base64").toString("utf8");
    const expected = `${this.credentials.username}:${this.credentials.password}`;
    return timingSafeEqual(sha256(given), sha256(expected));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const start = performance.now();
    const method = (req.method ?? "GET").toUpperCase();
    const rawUrl = req.url ?? "/";
    const qi = rawUrl.indexOf("?");
    const pathname = qi < 0 ? rawUrl : rawUrl.slice(0, qi);
    const rawQuery = qi < 0 ? "" : rawUrl.slice(qi + 1);
    const isControl = pathname === "/__sim" || pathname.startsWith("/__sim/");

    if (!isControl) {
      const epoch = this.epoch;
      this.seq += 1;
      const entry: RequestLogEntry = {
        seq: this.seq,
        method,
        path: rawQuery ? `${pathname}?${redactQuery(rawQuery)}` : pathname,
        status: 0,
        durationMs: 0,
        connection: this.connIds.get(req.socket) ?? 0,
      };
      res.once("close", () => {
        entry.status = res.writableFinished ? res.statusCode : 0;
        entry.durationMs = Math.round((performance.now() - start) * 100) / 100;
        if (epoch === this.epoch) {
          this.log.push(entry);
          if (this.log.length > MAX_LOG_ENTRIES) this.log.splice(0, this.log.length - MAX_LOG_ENTRIES);
        }
        this.options.log?.(
          `${method} ${entry.path} ${entry.status || "dropped"} ${Math.round(entry.durationMs)}ms conn#${entry.connection}`,
        );
      });
    }

    let text: string;
    try {
      text = await readBody(req);
    } catch (e) {
      if (e instanceof RequestError && !res.headersSent && !req.socket.destroyed) {
        this.send(res, { status: e.status, body: { error: { message: e.message, code: "2" } } }, true);
      }
      return;
    }
    if (!this.authorized(req)) {
      this.send(res, {
        status: 401,
        body: { error: { message: "not authorized for that command", code: "6" } },
      });
      return;
    }

    try {
      if (isControl) {
        this.send(res, await this.dispatch(this.control, method, pathname, rawQuery, text, undefined));
        return;
      }
      const action = this.faults.take(method, pathname, safeDecode(pathname));
      if (action?.type === "reset") {
        req.socket.destroy();
        return;
      }
      if (action?.type === "respond") {
        this.send(res, { status: action.status, body: action.body });
        return;
      }
      if (action?.type === "status") {
        const headers: Record<string, string> = {};
        if (action.retryAfterSeconds !== undefined) headers["retry-after"] = String(action.retryAfterSeconds);
        const body = {
          error: {
            message: action.message ?? `Simulated fault (HTTP ${action.status}).`,
            code: action.code ?? "1",
          },
        };
        this.send(res, { status: action.status, body, headers });
        return;
      }
      if (this.latencyMs > 0 && !(await this.sleep(this.latencyMs))) {
        req.socket.destroy();
        return;
      }
      if (action?.type === "stall" && (!(await this.sleep(action.ms)) || req.socket.destroyed)) {
        req.socket.destroy();
        return;
      }
      const jobFailure =
        action?.type === "job-failure" ? { code: action.code, message: action.message } : undefined;
      const reply = await this.dispatch(this.router, method, pathname, rawQuery, text, jobFailure);
      if (action?.type === "drop-after-apply") {
        req.socket.destroy();
        return;
      }
      this.send(res, reply);
    } catch (e) {
      if (e instanceof SimulatedOntapError) {
        this.send(res, errorReply(e));
        return;
      }
      this.internalError(e);
      this.send(res, { status: 500, body: { error: { message: "Internal error.", code: "262145" } } });
    }
  }

  private async dispatch(
    router: Router,
    method: string,
    pathname: string,
    rawQuery: string,
    text: string,
    jobFailure: Ctx["jobFailure"],
  ): Promise<Reply> {
    const m = router.match(method, pathname);
    if (m.kind === "no-route")
      return { status: 404, body: { error: { message: "API not found", code: "3" } } };
    if (m.kind === "no-method") {
      return {
        status: 405,
        body: { error: { message: `The "${method}" method is not allowed on this resource.`, code: "3" } },
        headers: { allow: m.allowed.join(", ") },
      };
    }
    const ctx: Ctx = {
      method,
      pathname,
      rawQuery,
      pairs: queryPairs(rawQuery),
      params: m.params,
      body: parseJsonBody(method, text),
      ...(jobFailure ? { jobFailure } : {}),
    };
    if (method === "GET" && jobFailure) {
      throw new SimulatedOntapError(400, String(jobFailure.code), jobFailure.message);
    }
    return m.handler(ctx);
  }

  private send(res: ServerResponse, reply: Reply, close = false): void {
    if (res.headersSent || res.destroyed) return;
    const payload = Buffer.from(JSON.stringify(reply.body ?? {}));
    res.writeHead(reply.status, {
      "content-type": "application/hal+json; charset=utf-8",
      "content-length": String(payload.length),
      ...(close ? { connection: "close" } : {}),
      ...(reply.headers ?? {}),
    });
    res.end(payload);
  }
}

function checkOptions(o: SimulatorOptions): void {
  const nonNegative = (name: string, v: number | undefined): void => {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new Error(`${name} must be a number >= 0`);
  };
  nonNegative("jobDelayMs", o.jobDelayMs);
  nonNegative("latencyMs", o.latencyMs);
  if (o.port !== undefined && !(Number.isInteger(o.port) && o.port >= 0 && o.port <= 65535)) {
    throw new Error("port must be an integer 0-65535");
  }
}

/** Starts a simulator and resolves once it listens. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  checkOptions(options);
  const release = parseRelease(options.ontapVersion ?? "9.6");
  const credentials = {
    username: options.username ?? "admin",
    password: options.password ?? randomPassword(24),
  };
  const model =
    (options.stateFile ? loadState(options.stateFile) : undefined) ??
    Model.seeded(options.clusterName ?? "cluster1", options.dataSvms ?? ["vs0", "vs1"]);
  const { key, cert } = await generateServerCertificate(options.host ?? "127.0.0.1");
  const server = createServer({ key, cert, keepAlive: true });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 0);
  const sim = new SimulatorImpl(server, port, cert, options, release, model, credentials);
  if (options.stateFile) saveState(options.stateFile, model);
  return sim;
}
