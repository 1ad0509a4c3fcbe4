/**
 * Drives the real dynamic provider host of @pulumi/pulumi (`cmd/dynamic-provider`) over gRPC the way the Pulumi engine
 * does (sdk/go/common/resource/plugin/provider_plugin.go and pkg/resource/deploy/target.go, Pulumi 3.x):
 *
 * - the plugin is `node <@pulumi/pulumi/cmd/dynamic-provider> <engine address>` in the program directory, with
 *   PULUMI_NODEJS_PROJECT, PULUMI_PROJECT and PULUMI_CONFIG (the `pulumi-nodejs:` config, usually `{}`) in its
 *   environment; its first stdout line is its port, everything else it prints goes to the user;
 * - the engine calls Handshake (UNIMPLEMENTED here: fallback), GetPluginInfo, CheckConfig (UNIMPLEMENTED: inputs kept),
 *   then Configure with the WHOLE stack config (keys keep their namespace; secure values as wire secrets) in `args`,
 *   and the legacy `variables` map (`pulumi-nodejs:config:<key>` to plain strings);
 * - the host answers Configure with acceptSecrets=false and supportsPreview=false, so the engine strips secrets from
 *   everything it sends afterwards, re-marks outputs whose same-named input was secret, and never calls Create or
 *   Update during preview.
 *
 * Results are returned as the engine sees them after that re-marking, with the raw wire response alongside.
 *
 * @packageDocumentation
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as statusproto from "@pulumi/pulumi/proto/status_pb";
import { startFakeEngine } from "./engine";
import {
  annotateSecrets,
  fromStruct,
  toStruct,
  unwrapSecrets,
  unwrapSecretsIn,
  type PropertyMap,
  type SecretValue,
} from "./wire";

/** Package of the Node.js dynamic provider plugin, as the engine names it. */
export const DYNAMIC_PROVIDER_PACKAGE = "pulumi-nodejs";

/** Options of {@link startHost}. */
export interface StartHostOptions {
  /** Program directory: the host's working directory, whose node_modules the serialized provider requires from. */
  programDir: string;
  /** Extra environment for the host (applied last). The engine passes its own environment through. */
  env?: NodeJS.ProcessEnv;
  /** Project name the engine exports to the plugin (PULUMI_NODEJS_PROJECT). Default `host-harness`. */
  project?: string;
  /** Stack name, used only in the provider URN sent to Configure. Default `test`. */
  stack?: string;
  /**
   * `node` (default) runs the host script directly, resolved from the program directory as the shim does; `shim` runs
   * the `pulumi-resource-pulumi-nodejs` shell shim shipped in @pulumi/pulumi, exactly what the CLI starts (one more
   * node start-up).
   */
  launcher?: "node" | "shim";
  /** Bound on start-up (spawn to port). Default 30 s. */
  startTimeoutMs?: number;
  /** Deadline of every gRPC call. Default 30 s. */
  callTimeoutMs?: number;
}

/**
 * The whole stack config for {@link HostHandle.configure}: `namespace:key` to its string value (structured values as
 * their JSON text, as the engine sends them); wrap secure values with `secret()`.
 */
export type StackConfig = Record<string, string | SecretValue>;

/** What Configure told the engine about the provider's protocol. */
export interface ConfigureResult {
  /** False for the dynamic host: the engine then sends plain values and re-marks secrets by name. */
  acceptSecrets: boolean;
  /** Whether resource references may be sent as such. */
  acceptResources: boolean;
  /** False for the dynamic host: the engine then never calls Create/Update with preview=true. */
  supportsPreview: boolean;
  /** Whether output values may be sent as such. */
  acceptOutputs: boolean;
  /** Outcome of the CheckConfig call the engine makes first (UNIMPLEMENTED for the dynamic host). */
  checkConfig: { code: grpc.status; details: string };
}

/** Result of {@link HostHandle.check}. */
export interface CheckResult {
  /** Checked inputs as the engine holds them (secrets re-marked). */
  inputs: PropertyMap;
  /** Validation failures; the engine reports them and stops. */
  failures: { property: string; reason: string }[];
  /** The inputs exactly as the host returned them. */
  raw: { inputs: PropertyMap };
}

/** Result of {@link HostHandle.diff}. Only changes, replaces and deleteBeforeReplace matter to the engine's plan. */
export interface DiffResult {
  /** Whether the resource changes; `unknown` makes the engine compare inputs itself. */
  changes: "some" | "none" | "unknown";
  /** Properties whose change forces a replacement. */
  replaces: string[];
  /** Delete the old resource before creating its replacement. */
  deleteBeforeReplace: boolean;
  /** The rest of the response, which the dynamic host never fills. */
  raw: {
    stables: string[];
    diffs: string[];
    hasDetailedDiff: boolean;
    detailedDiff: Record<string, { kind: string; inputDiff: boolean }>;
  };
}

/** Result of {@link HostHandle.create}. */
export interface CreateResult {
  /** The new resource's id (`""` during preview). */
  id: string;
  /** Outputs as the engine holds them (secrets re-marked). */
  properties: PropertyMap;
  /** False when the engine would not have called the host (preview: the host does not support previews). */
  hostCalled: boolean;
  /** The outputs exactly as the host returned them, when it was called. */
  raw: { properties: PropertyMap } | undefined;
}

/** Result of {@link HostHandle.read}. An empty id means the resource is gone. */
export interface ReadResult {
  /** The resource's id; `""` when the provider reported it gone. */
  id: string;
  /** Refreshed outputs as the engine holds them (secrets re-marked); `{}` when gone. */
  properties: PropertyMap;
  /** Inputs the provider returned (3.216+); undefined when it returned none and the engine keeps the old inputs. */
  inputs: PropertyMap | undefined;
  /** The response exactly as the host returned it. */
  raw: { id: string; properties: PropertyMap; inputs: PropertyMap | undefined };
}

/** Result of {@link HostHandle.update}. */
export interface UpdateResult {
  /** Outputs as the engine holds them (secrets re-marked). */
  properties: PropertyMap;
  /** False when the engine would not have called the host (preview: the host does not support previews). */
  hostCalled: boolean;
  /** The outputs exactly as the host returned them, when it was called. */
  raw: { properties: PropertyMap } | undefined;
}

/** A running dynamic provider host. */
export interface HostHandle {
  /** Version reported by GetPluginInfo (the @pulumi/pulumi version). */
  readonly pluginVersion: string;
  /** Start-up timings, in milliseconds from spawn. */
  readonly timings: { readonly portMs: number; readonly firstAnswerMs: number };
  /** CheckConfig then Configure, as the engine configures the default `pulumi-nodejs` provider. */
  configure(config: StackConfig): Promise<ConfigureResult>;
  /** `olds` are the old INPUTS (`{}` for a new resource); `news` the program's inputs, `__provider` included. */
  check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<CheckResult>;
  /**
   * `olds` are the old OUTPUTS, `news` the checked inputs; `oldInputs` defaults to `olds`. `changes: "unknown"` (what
   * the host answers when the provider has no diff) makes the engine fall back to its own comparison of inputs.
   */
  diff(
    id: string,
    urn: string,
    olds: PropertyMap,
    news: PropertyMap,
    opts?: { oldInputs?: PropertyMap; ignoreChanges?: string[] },
  ): Promise<DiffResult>;
  /** `properties` are the checked inputs. With `preview`, answers as the engine does without calling the host. */
  create(urn: string, properties: PropertyMap, preview?: boolean): Promise<CreateResult>;
  /** `properties` are the current state (outputs), `inputs` the current inputs (refresh sends both). */
  read(id: string, urn: string, properties: PropertyMap, inputs?: PropertyMap): Promise<ReadResult>;
  /** `olds` are the old OUTPUTS, `news` the checked inputs; `oldInputs` defaults to `olds`. */
  update(
    id: string,
    urn: string,
    olds: PropertyMap,
    news: PropertyMap,
    opts?: { oldInputs?: PropertyMap; preview?: boolean; ignoreChanges?: string[] },
  ): Promise<UpdateResult>;
  /** `properties` are the current state (outputs); `oldInputs` defaults to them. */
  delete(id: string, urn: string, properties: PropertyMap, opts?: { oldInputs?: PropertyMap }): Promise<void>;
  /** Everything the host wrote to stdout, port line included (the engine shows the rest to the user). */
  stdout(): string;
  /** Everything the host wrote to stderr (the engine shows it to the user). */
  stderr(): string;
  /** Log calls the host made to the engine address (none with @pulumi/pulumi 3.248). */
  engineLogs(): string[];
  /** stdout after the port line, stderr and engine logs: all the host made visible to the user, for secret scans. */
  userVisibleOutput(): string;
  /**
   * Waits (bounded, default 5 s) until the host's stdout or stderr contains `pattern`, for output written after a call
   * was answered. Output written before an answer is already captured when the call resolves.
   */
  waitForOutput(pattern: string | RegExp, timeoutMs?: number): Promise<void>;
  /** The host's exit status, once it has exited. */
  exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Kills the host (SIGTERM, then SIGKILL) and stops the fake engine; bounded and idempotent. */
  close(): Promise<void>;
}

/** A gRPC error from the host: `details` is exactly the text the engine shows the user. */
export class HostCallError extends Error {
  /** gRPC method, e.g. `Create`. */
  readonly method: string;
  /** gRPC status code. */
  readonly code: grpc.status;
  /** Status details (the provider's error message, for errors it threw). */
  readonly details: string;
  /**
   * For Create/Update errors carrying an `id` (partial failure: created but failed to initialize), what the engine
   * records in state.
   */
  readonly initFailure: { id: string; properties: PropertyMap; reasons: string[] } | undefined;

  constructor(
    method: string,
    err: grpc.ServiceError,
    initFailure?: { id: string; properties: PropertyMap; reasons: string[] },
  ) {
    super(`${method} failed: ${grpc.status[err.code] ?? err.code}: ${err.details}`, { cause: err });
    this.name = "HostCallError";
    this.method = method;
    this.code = err.code;
    this.details = err.details;
    this.initFailure = initFailure;
  }
}

const DIFF_CHANGES: Record<provproto.DiffResponse.DiffChanges, DiffResult["changes"]> = {
  [provproto.DiffResponse.DiffChanges.DIFF_UNKNOWN]: "unknown",
  [provproto.DiffResponse.DiffChanges.DIFF_NONE]: "none",
  [provproto.DiffResponse.DiffChanges.DIFF_SOME]: "some",
};

const DIFF_KINDS: Record<provproto.PropertyDiff.Kind, string> = {
  [provproto.PropertyDiff.Kind.ADD]: "add",
  [provproto.PropertyDiff.Kind.ADD_REPLACE]: "add-replace",
  [provproto.PropertyDiff.Kind.DELETE]: "delete",
  [provproto.PropertyDiff.Kind.DELETE_REPLACE]: "delete-replace",
  [provproto.PropertyDiff.Kind.UPDATE]: "update",
  [provproto.PropertyDiff.Kind.UPDATE_REPLACE]: "update-replace",
};

/** Environment that would change how the host loads code, which the Pulumi CLI would not have set. */
const SCRUBBED_ENV = /^(NODE_OPTIONS|NODE_PATH|TS_NODE_.*|PULUMI_NODEJS_.*|PULUMI_CONFIG.*|PULUMI_PROJECT)$/;

/** Starts the dynamic provider host in `programDir` and performs the engine's plugin start-up calls. */
export async function startHost(opts: StartHostOptions): Promise<HostHandle> {
  const project = opts.project ?? "host-harness";
  const stack = opts.stack ?? "test";
  const callTimeoutMs = opts.callTimeoutMs ?? 30_000;
  const engine = await startFakeEngine();

  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!SCRUBBED_ENV.test(k)) env[k] = v;
  Object.assign(env, {
    PULUMI_NODEJS_PROJECT: project,
    PULUMI_PROJECT: project,
    PULUMI_CONFIG: "{}",
    ...opts.env,
  });

  const shim = path.join(opts.programDir, "node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs");
  // What the shim runs: `require.resolve("@pulumi/pulumi/cmd/dynamic-provider")` from the program directory.
  const script = require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [opts.programDir] });
  const [command, args] =
    opts.launcher === "shim"
      ? ["/bin/sh", [shim, engine.address]]
      : [process.execPath, [script, engine.address]];
  const t0 = performance.now();
  // Own process group, so close() also reaches the node the shim starts as a grandchild.
  const child = spawn(command, args, {
    cwd: opts.programDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const proc = trackProcess(child);

  let port: number;
  try {
    port = await proc.waitForPort(opts.startTimeoutMs ?? 30_000);
  } catch (err) {
    await proc.kill();
    await engine.close();
    throw err;
  }
  const portMs = performance.now() - t0;

  const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const unary = <Req, Res>(
    fn: (
      req: Req,
      md: grpc.Metadata,
      options: Partial<grpc.CallOptions>,
      cb: (err: grpc.ServiceError | null, res: Res) => void,
    ) => grpc.ClientUnaryCall,
    req: Req,
  ): Promise<Res> =>
    new Promise<Res>((resolve, reject) => {
      fn(req, new grpc.Metadata(), { deadline: Date.now() + callTimeoutMs }, (err, res) =>
        err ? reject(err) : resolve(res),
      );
    });
  const call = async <Req, Res>(
    method: string,
    fn: Parameters<typeof unary<Req, Res>>[0],
    req: Req,
    requestProps?: PropertyMap,
  ): Promise<Res> => {
    try {
      return await unary(fn, req);
    } catch (err) {
      throw toHostCallError(method, err, requestProps);
    } finally {
      await settleOutput();
    }
  };

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    client.close();
    await proc.kill();
    await engine.close();
  };

  // Engine start-up sequence: Handshake (falls back when UNIMPLEMENTED), then GetPluginInfo.
  let firstAnswerMs: number;
  let pluginVersion: string;
  try {
    const handshake = new provproto.ProviderHandshakeRequest();
    handshake.setEngineAddress(engine.address);
    // The engine sends the plugin executable's directory for both.
    handshake.setRootDirectory(path.dirname(opts.launcher === "shim" ? shim : script));
    handshake.setProgramDirectory(path.dirname(opts.launcher === "shim" ? shim : script));
    handshake.setConfigureWithUrn(true);
    await unary(client.handshake.bind(client), handshake).catch((err: unknown) => {
      if ((err as grpc.ServiceError).code !== grpc.status.UNIMPLEMENTED) throw err;
    });
    firstAnswerMs = performance.now() - t0;
    pluginVersion = (await unary(client.getPluginInfo.bind(client), new Empty())).getVersion();
  } catch (err) {
    await close();
    throw err;
  }

  let protocol: ConfigureResult | undefined;
  const configured = (method: string): ConfigureResult => {
    if (!protocol) {
      throw new Error(`${method} before configure(): the engine always configures the provider first`);
    }
    return protocol;
  };
  /** What the engine marshals for this provider: secrets stripped unless it accepts them. */
  const send = (props: PropertyMap, label: string, p: ConfigureResult) =>
    toStruct(p.acceptSecrets ? props : unwrapSecretsIn(props), label);
  /** What the engine makes of the provider's answer: same-named secret inputs re-marked. */
  const receive = (outs: PropertyMap, ins: PropertyMap | undefined, p: ConfigureResult) =>
    p.acceptSecrets || !ins ? outs : annotateSecrets(outs, ins);
  const urnParts = (urn: string) => {
    const parts = urn.split("::");
    return { type: parts[2] ?? "", name: parts[3] ?? "" };
  };

  return {
    pluginVersion,
    timings: { portMs, firstAnswerMs },

    async configure(config) {
      const providerType = `pulumi:providers:${DYNAMIC_PROVIDER_PACKAGE}`;
      const providerUrn = `urn:pulumi:${stack}::${project}::${providerType}::default`;
      const args: PropertyMap = { ...config };

      const checkReq = new provproto.CheckRequest();
      checkReq.setUrn(providerUrn);
      checkReq.setName("default");
      checkReq.setType(providerType);
      checkReq.setOlds(toStruct({}));
      checkReq.setNews(toStruct(unwrapSecretsIn(args), "config"));
      const checkConfig = await unary(client.checkConfig.bind(client), checkReq).then(
        () => ({ code: grpc.status.OK, details: "" }),
        (err: grpc.ServiceError) => ({ code: err.code, details: err.details }),
      );

      const req = new provproto.ConfigureRequest();
      req.setUrn(providerUrn);
      req.setName("default");
      req.setType(providerType);
      req.setId(randomUUID());
      req.setAcceptsecrets(true);
      req.setAcceptresources(true);
      req.setSendsOldInputs(true);
      req.setSendsOldInputsToDelete(true);
      req.setArgs(toStruct(args, "config"));
      const variables = req.getVariablesMap();
      for (const [k, v] of Object.entries(config)) {
        const plain = unwrapSecrets(v);
        variables.set(
          `${DYNAMIC_PROVIDER_PACKAGE}:config:${k}`,
          typeof plain === "string" ? plain : JSON.stringify(plain),
        );
      }
      const resp = await call("Configure", client.configure.bind(client), req);
      protocol = {
        acceptSecrets: resp.getAcceptsecrets(),
        acceptResources: resp.getAcceptresources(),
        supportsPreview: resp.getSupportspreview(),
        acceptOutputs: resp.getAcceptoutputs(),
        checkConfig,
      };
      return protocol;
    },

    async check(urn, olds, news) {
      const p = configured("check");
      const req = new provproto.CheckRequest();
      req.setUrn(urn);
      req.setName(urnParts(urn).name);
      req.setType(urnParts(urn).type);
      req.setOlds(send(olds, "olds", p));
      req.setNews(send(news, "news", p));
      req.setRandomseed(randomBytes(32));
      const resp = await call("Check", client.check.bind(client), req, news);
      const raw = fromStruct(resp.getInputs());
      return {
        inputs: receive(raw, news, p),
        failures: resp.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
        raw: { inputs: raw },
      };
    },

    async diff(id, urn, olds, news, o = {}) {
      const p = configured("diff");
      const req = new provproto.DiffRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setName(urnParts(urn).name);
      req.setType(urnParts(urn).type);
      req.setOlds(send(olds, "olds", p));
      req.setNews(send(news, "news", p));
      req.setOldInputs(send(o.oldInputs ?? olds, "oldInputs", p));
      req.setIgnorechangesList(o.ignoreChanges ?? []);
      const resp = await call("Diff", client.diff.bind(client), req, news);
      const detailedDiff: DiffResult["raw"]["detailedDiff"] = {};
      resp.getDetaileddiffMap().forEach((v, k) => {
        detailedDiff[k] = { kind: DIFF_KINDS[v.getKind()], inputDiff: v.getInputdiff() };
      });
      return {
        changes: DIFF_CHANGES[resp.getChanges()],
        replaces: resp.getReplacesList(),
        deleteBeforeReplace: resp.getDeletebeforereplace(),
        raw: {
          stables: resp.getStablesList(),
          diffs: resp.getDiffsList(),
          hasDetailedDiff: resp.getHasdetaileddiff(),
          detailedDiff,
        },
      };
    },

    async create(urn, properties, preview = false) {
      const p = configured("create");
      if (preview && !p.supportsPreview) {
        return { id: "", properties, hostCalled: false, raw: undefined };
      }
      const req = new provproto.CreateRequest();
      req.setUrn(urn);
      req.setName(urnParts(urn).name);
      req.setType(urnParts(urn).type);
      req.setProperties(send(properties, "properties", p));
      req.setPreview(preview);
      const resp = await call("Create", client.create.bind(client), req, properties);
      const raw = fromStruct(resp.getProperties());
      if (resp.getId() === "" && !preview) {
        throw new Error(
          `plugin for package '${DYNAMIC_PROVIDER_PACKAGE}' returned empty resource.ID from create`,
        );
      }
      return {
        id: resp.getId(),
        properties: receive(raw, properties, p),
        hostCalled: true,
        raw: { properties: raw },
      };
    },

    async read(id, urn, properties, inputs) {
      const p = configured("read");
      const req = new provproto.ReadRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setName(urnParts(urn).name);
      req.setType(urnParts(urn).type);
      req.setProperties(send(properties, "properties", p));
      if (inputs) req.setInputs(send(inputs, "inputs", p));
      const resp = await call("Read", client.read.bind(client), req, properties);
      const raw = {
        id: resp.getId(),
        properties: fromStruct(resp.getProperties()),
        inputs: resp.hasInputs() ? fromStruct(resp.getInputs()) : undefined,
      };
      if (raw.id === "") return { id: "", properties: {}, inputs: undefined, raw };
      return {
        id: raw.id,
        properties: receive(raw.properties, properties, p),
        inputs: raw.inputs && receive(raw.inputs, inputs, p),
        raw,
      };
    },

    async update(id, urn, olds, news, o = {}) {
      const p = configured("update");
      if (o.preview && !p.supportsPreview) return { properties: news, hostCalled: false, raw: undefined };
      const req = new provproto.UpdateRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setName(urnParts(urn).name);
      req.setType(urnParts(urn).type);
      req.setOlds(send(olds, "olds", p));
      req.setNews(send(news, "news", p));
      req.setOldInputs(send(o.oldInputs ?? olds, "oldInputs", p));
      req.setIgnorechangesList(o.ignoreChanges ?? []);
      req.setPreview(o.preview ?? false);
      const resp = await call("Update", client.update.bind(client), req, news);
      const raw = fromStruct(resp.getProperties());
      return { properties: receive(raw, news, p), hostCalled: true, raw: { properties: raw } };
    },

    async delete(id, urn, properties, o = {}) {
      const p = configured("delete");
      const req = new provproto.DeleteRequest();
      req.setId(id);
      req.setUrn(urn);
      req.setName(urnParts(urn).name);
      req.setType(urnParts(urn).type);
      req.setProperties(send(properties, "properties", p));
      req.setOldInputs(send(o.oldInputs ?? properties, "oldInputs", p));
      await call("Delete", client.delete.bind(client), req, properties);
    },

    stdout: () => proc.stdout(),
    stderr: () => proc.stderr(),
    engineLogs: () => engine.logs(),
    userVisibleOutput: () =>
      [proc.stdout().split("\n").slice(1).join("\n"), proc.stderr(), ...engine.logs()].join("\n"),
    waitForOutput: (pattern, timeoutMs = 5000) => proc.waitForOutput(pattern, timeoutMs),
    exitStatus: () => proc.exitStatus(),
    close,
  };
}

/**
 * The host writes to its stdout/stderr pipes synchronously (Linux) before it sends a response, but this process may
 * handle the response before the pipe data in the same event-loop turn. Two setImmediate hops guarantee a full poll
 * phase in between, so output written before the answer has been read when a call resolves.
 */
async function settleOutput(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function toHostCallError(method: string, err: unknown, requestProps: PropertyMap | undefined): unknown {
  if (!isServiceError(err)) return err;
  let initFailure: HostCallError["initFailure"];
  for (const bin of err.metadata?.get("grpc-status-details-bin") ?? []) {
    if (typeof bin === "string") continue;
    for (const any of statusproto.Status.deserializeBinary(bin).getDetailsList()) {
      const detail = any.unpack(
        (bytes) => provproto.ErrorResourceInitFailed.deserializeBinary(bytes),
        "pulumirpc.ErrorResourceInitFailed",
      );
      if (!detail) continue;
      const props = fromStruct(detail.getProperties());
      initFailure = {
        id: detail.getId(),
        properties: requestProps ? annotateSecrets(props, requestProps) : props,
        reasons: detail.getReasonsList(),
      };
    }
  }
  return new HostCallError(method, err, initFailure);
}

function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === "number";
}

interface TrackedProcess {
  waitForPort(timeoutMs: number): Promise<number>;
  waitForOutput(pattern: string | RegExp, timeoutMs: number): Promise<void>;
  stdout(): string;
  stderr(): string;
  exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  kill(): Promise<void>;
}

function trackProcess(child: ChildProcess): TrackedProcess {
  let out = "";
  let err = "";
  let status: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      status = { code, signal };
      resolve();
    });
    // A failed spawn emits "error" and never "exit".
    child.once("error", (e) => {
      err += `spawn failed: ${e.message}\n`;
      status ??= { code: null, signal: null };
      resolve();
    });
  });
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));

  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || status) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  const within = (ms: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });

  return {
    waitForPort(timeoutMs) {
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`dynamic provider host printed no port within ${timeoutMs} ms; stderr:\n${err}`));
        }, timeoutMs);
        const onData = () => {
          const newline = out.indexOf("\n");
          if (newline < 0) return;
          cleanup();
          const line = out.slice(0, newline).trim();
          const port = Number(line);
          if (Number.isInteger(port) && port > 0) resolve(port);
          else reject(new Error(`dynamic provider host printed ${JSON.stringify(line)} instead of a port`));
        };
        const onExit = () => {
          cleanup();
          reject(
            new Error(
              `dynamic provider host exited (${JSON.stringify(status)}) before its port; stderr:\n${err}`,
            ),
          );
        };
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout?.off("data", onData);
          child.off("exit", onExit);
        };
        child.stdout?.on("data", onData);
        child.once("exit", onExit);
        onData();
      });
    },
    waitForOutput(pattern, timeoutMs) {
      const found = () =>
        [out, err].some((text) =>
          typeof pattern === "string" ? text.includes(pattern) : pattern.test(text),
        );
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`dynamic provider host did not print ${String(pattern)} within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          if (!found()) return;
          cleanup();
          resolve();
        };
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout?.off("data", check);
          child.stderr?.off("data", check);
        };
        child.stdout?.on("data", check);
        child.stderr?.on("data", check);
        check();
      });
    },
    stdout: () => out,
    stderr: () => err,
    exitStatus: () => status,
    async kill() {
      signalGroup("SIGTERM");
      if (await within(3000)) return;
      signalGroup("SIGKILL");
      await within(2000);
    },
  };
}
