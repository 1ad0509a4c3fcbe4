/**
 * The real Pulumi engine for the end-to-end tests and the demo: finds or builds the `pulumi` CLI and its Node.js
 * language host (through `scripts/get-pulumi.sh`, once per process) and runs real Pulumi projects with them: a
 * directory holding a `Pulumi.yaml` (an example, or the repository root), driven by the Automation API's
 * `LocalWorkspace` with that directory as its `workDir`. Each operation is `pulumi up/preview/refresh/destroy`
 * in the project directory: the CLI starts `pulumi-language-nodejs`, which runs the project's program with the
 * project's own runtime options, and the engine starts the dynamic provider host
 * (`pulumi-resource-pulumi-nodejs`) in the program's directory, exactly as on a user's machine.
 *
 * Each stack has its own temporary file backend and PULUMI_HOME and a unique name, so that stacks of the same
 * project can run in parallel. The only file written into the project directory is the stack's settings file,
 * `Pulumi.<stack>.yaml` (what `pulumi config set` writes there), and {@link EngineStack.close} removes it.
 *
 * @packageDocumentation
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import {
  type ConfigMap,
  type EngineEvent,
  LocalWorkspace,
  type OpMap,
  type OpType,
  PulumiCommand,
  type Stack,
  type UpdateSummary,
} from "@pulumi/pulumi/automation";

/** Root of this repository. */
export const REPO_ROOT = path.resolve(__dirname, "../..");

/** Default limit for finding or building the CLI: a build from source takes 12-15 minutes on 2 cores. */
export const ENGINE_TIMEOUT_MS = 30 * 60_000;

/** Default limit for one engine operation (up, preview, refresh, destroy); they take seconds. */
export const OPERATION_TIMEOUT_MS = 5 * 60_000;

let engineDir: Promise<string> | undefined;

/** Options of {@link getPulumiDir}. */
export interface GetPulumiOptions {
  /** Receives each progress line of get-pulumi.sh. Default: written to stderr with a prefix. */
  onProgress?: (line: string) => void;
  /** Gives up (and kills the script) after this long. Default {@link ENGINE_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/**
 * The directory holding the `pulumi` CLI (and the dynamic provider's launcher), from `scripts/get-pulumi.sh`:
 * run once per process, whatever the number of callers. On a fresh machine the script builds the CLI, which
 * takes a while; its progress goes to `onProgress`.
 *
 * @throws when the script fails or times out, with its last lines of output.
 */
export function getPulumiDir(options: GetPulumiOptions = {}): Promise<string> {
  engineDir ??= runGetPulumi(options).catch((err: unknown) => {
    engineDir = undefined;
    throw err;
  });
  return engineDir;
}

function runGetPulumi(options: GetPulumiOptions): Promise<string> {
  const script = path.join(REPO_ROOT, "scripts", "get-pulumi.sh");
  const progress = options.onProgress ?? ((line: string) => process.stderr.write(`[engine] ${line}\n`));
  const timeoutMs = options.timeoutMs ?? ENGINE_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    const tail: string[] = [];
    let partial = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        lastProgress = Date.now();
        progress(line);
      }
    });
    const started = Date.now();
    let lastProgress = started;
    // A build from source is quiet for minutes at a time: say that it is still going.
    const heartbeat = setInterval(() => {
      if (Date.now() - lastProgress < 55_000) return;
      lastProgress = Date.now();
      progress(`still working (${Math.round((Date.now() - started) / 60_000)} min so far)`);
    }, 60_000);
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`scripts/get-pulumi.sh did not finish within ${timeoutMs / 60_000} min`));
    }, timeoutMs);
    const stop = (): void => {
      clearTimeout(timer);
      clearInterval(heartbeat);
    };
    child.on("error", (err) => {
      stop();
      reject(new Error(`cannot run scripts/get-pulumi.sh: ${err.message}`, { cause: err }));
    });
    child.on("close", (code) => {
      stop();
      const dir = stdout.trim().split("\n").pop()?.trim() ?? "";
      if (code !== 0 || dir === "") {
        reject(
          new Error(
            `scripts/get-pulumi.sh failed (exit ${code}): no Pulumi CLI for the end-to-end run.\n` +
              [...tail, partial].filter((l) => l !== "").join("\n"),
          ),
        );
        return;
      }
      resolve(dir);
    });
  });
}

/** A resource's name: the last part of its URN. */
export function resourceName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}

/** What one operation did to each resource: name → the step kinds the engine reported, in order. */
export type Changes = Record<string, OpType[]>;

/** The outcome of one engine operation. */
export interface OperationResult {
  /** Steps other than `same` (and, on a refreshing preview or update, other than the refresh steps). */
  changes: Changes;
  /** Every step kind reported, per resource, `same` and `refresh` included. */
  steps: Changes;
  /** What the CLI printed. */
  output: string;
  /** Summary of an update, refresh or destroy. */
  summary?: UpdateSummary;
  /** Change summary of a preview. */
  changeSummary?: OpMap;
}

/** Options of {@link openStack}. */
export interface OpenStackOptions {
  /**
   * The project's directory: it holds the `Pulumi.yaml` that names the project, its runtime and its program, and
   * the program's `require()`s resolve from its `node_modules` (or a parent's). Nothing in it is changed but the
   * stack's settings file.
   */
  projectDir: string;
  /** Stack name. Default: unique per process and call (`e2e-<pid>-<n>`), so parallel runs never share one. */
  stackName?: string;
  /** Stack config to set before the first operation. */
  config?: ConfigMap;
  /**
   * Stack config set with `--path` before the first operation: keys such as `ontap:profiles.siteB.host` build a
   * structured value, some of whose leaves may be secrets.
   */
  pathConfig?: ConfigMap;
  /** Receives the CLI's output as it comes (e.g. to narrate it). Always recorded in the result as well. */
  onOutput?: (text: string) => void;
  /** Limit for each operation. Default {@link OPERATION_TIMEOUT_MS}. */
  operationTimeoutMs?: number;
  /** Extra environment for the CLI and the plugins it starts. */
  envVars?: Record<string, string>;
}

/** Options of one operation. */
export interface OperationOptions {
  /** Refresh first (`--refresh`). */
  refresh?: boolean;
  /** Shows the detailed diff of each change (`--diff`). */
  diff?: boolean;
}

let stackCounter = 0;

/**
 * A stack of a real project on a private file backend, with helpers that report exactly which resources each
 * operation changed. {@link EngineStack.close} removes its temporary directories and its settings file.
 */
export class EngineStack {
  private constructor(
    /** The Automation API stack. */
    readonly stack: Stack,
    /** The project directory (the workspace's workDir). */
    readonly projectDir: string,
    /** The temporary directory holding the backend and PULUMI_HOME. */
    readonly tempDir: string,
    /**
     * The environment the CLI runs with (backend, PULUMI_HOME, state passphrase, PATH): with it, a `pulumi`
     * command run in {@link EngineStack.projectDir} acts on this stack, which is the selected one.
     */
    readonly cliEnv: Record<string, string>,
    private readonly onOutput: ((text: string) => void) | undefined,
    private readonly timeoutMs: number,
  ) {}

  /** Creates the stack. See {@link OpenStackOptions}. */
  static async open(options: OpenStackOptions): Promise<EngineStack> {
    const pulumiDir = await getPulumiDir();
    const projectDir = path.resolve(options.projectDir);
    const stackName = options.stackName ?? `e2e-${process.pid}-${++stackCounter}`;
    const tempDir = await mkdtemp(path.join(os.tmpdir(), `pulumi-ontap-e2e-${path.basename(projectDir)}-`));
    try {
      // The Automation API finds `pulumi` on PATH; the CLI finds the language host and the dynamic provider's
      // launcher next to itself.
      if (!(process.env.PATH ?? "").split(path.delimiter).includes(pulumiDir)) {
        process.env.PATH = [pulumiDir, process.env.PATH ?? ""].join(path.delimiter);
      }
      const pulumiCommand = await PulumiCommand.get();
      const backend = path.join(tempDir, "backend");
      const home = path.join(tempDir, "home");
      await Promise.all([backend, home].map((d) => mkdir(d, { recursive: true })));
      const cliEnv: Record<string, string> = {
        ...ontapEnvironmentCleared(),
        PATH: process.env.PATH ?? "",
        PULUMI_HOME: home,
        PULUMI_CONFIG_PASSPHRASE: "pulumi-ontap-keymanager-e2e-state-passphrase",
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        ...options.envVars,
      };
      const stack = await LocalWorkspace.createOrSelectStack(
        { stackName, workDir: projectDir },
        { pulumiHome: home, pulumiCommand, envVars: cliEnv },
      );
      const engineStack = new EngineStack(
        stack,
        projectDir,
        tempDir,
        cliEnv,
        options.onOutput,
        options.operationTimeoutMs ?? OPERATION_TIMEOUT_MS,
      );
      try {
        if (options.config) await stack.setAllConfig(options.config);
        if (options.pathConfig) await stack.setAllConfig(options.pathConfig, true);
      } catch (err) {
        await engineStack.close();
        throw err;
      }
      return engineStack;
    } catch (err) {
      await rm(tempDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** The stack's name. */
  get name(): string {
    return this.stack.name;
  }

  /** The stack's settings file in the project directory (its config, secrets encrypted). */
  get settingsFile(): string {
    return path.join(this.projectDir, `Pulumi.${this.stack.name}.yaml`);
  }

  /** `pulumi up` (`--refresh` when asked). Rejects when the update fails; the error carries the CLI output. */
  async up(options: OperationOptions = {}): Promise<OperationResult> {
    return this.run(async (record) => {
      const result = await this.stack.up({
        ...record,
        refresh: options.refresh,
        diff: options.diff,
      });
      return { summary: result.summary };
    }, options.refresh === true);
  }

  /** `pulumi preview` (`--refresh` when asked). */
  async preview(options: OperationOptions = {}): Promise<OperationResult> {
    return this.run(async (record) => {
      const result = await this.stack.preview({
        ...record,
        refresh: options.refresh,
        diff: options.diff,
      });
      return { changeSummary: result.changeSummary };
    }, options.refresh === true);
  }

  /** `pulumi refresh`. */
  async refresh(): Promise<OperationResult> {
    return this.run(async (record) => {
      const result = await this.stack.refresh(record);
      return { summary: result.summary };
    }, false);
  }

  /** `pulumi destroy`. */
  async destroy(): Promise<OperationResult> {
    return this.run(async (record) => {
      const result = await this.stack.destroy(record);
      return { summary: result.summary };
    }, false);
  }

  /** Sets stack config values (`pulumi config set [--secret]`). */
  setConfig(config: ConfigMap): Promise<void> {
    return this.stack.setAllConfig(config);
  }

  /**
   * Everything Pulumi has written for this stack, as text: the state in the backend (current checkpoint, backups,
   * history) and the stack's settings file. What a secret scan must search. (The Automation API's `exportStack()`
   * runs `pulumi stack export --show-secrets`, so it cannot tell what is stored encrypted.)
   */
  async storedText(): Promise<string> {
    const texts: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(full);
        else texts.push(`== ${path.relative(this.tempDir, full)}\n${await readFile(full, "utf8")}`);
      }
    };
    await walk(path.join(this.tempDir, "backend"));
    texts.push(`== ${path.basename(this.settingsFile)}\n${await readFile(this.settingsFile, "utf8")}`);
    return texts.join("\n");
  }

  /** The resources in the current state (type, name, id), the stack and its providers left out. */
  async resources(): Promise<{ type: string; name: string; id?: string }[]> {
    const deployment = (await this.stack.exportStack()).deployment as {
      resources?: { type: string; urn: string; id?: string }[];
    };
    return (deployment.resources ?? [])
      .filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"))
      .map((r) => ({ type: r.type, name: resourceName(r.urn), ...(r.id ? { id: r.id } : {}) }));
  }

  /** The stack outputs as plain values (secrets revealed). */
  async outputs(): Promise<Record<string, unknown>> {
    const outputs = await this.stack.outputs();
    return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.value as unknown]));
  }

  /** Removes the stack's temporary directories (the backend with it) and its settings file. */
  async close(): Promise<void> {
    await rm(this.settingsFile, { force: true });
    await rm(this.tempDir, { recursive: true, force: true });
  }

  private async run(
    operation: (record: {
      onOutput: (text: string) => void;
      onEvent: (event: EngineEvent) => void;
      signal: AbortSignal;
      color: "never";
    }) => Promise<Pick<OperationResult, "summary" | "changeSummary">>,
    refreshing: boolean,
  ): Promise<OperationResult> {
    let output = "";
    const steps: Changes = {};
    const onOutput = (text: string): void => {
      output += text;
      this.onOutput?.(text);
    };
    const onEvent = (event: EngineEvent): void => {
      const meta = event.resourcePreEvent?.metadata;
      // The stack itself and the default provider are bookkeeping, not resources of the program.
      if (!meta || meta.type === "pulumi:pulumi:Stack" || meta.type.startsWith("pulumi:providers:")) return;
      const list = (steps[resourceName(meta.urn)] ??= []);
      if (list[list.length - 1] !== meta.op) list.push(meta.op);
    };
    const done = await operation({
      onOutput,
      onEvent,
      signal: AbortSignal.timeout(this.timeoutMs),
      color: "never",
    });
    const ignored = new Set<OpType>(refreshing ? ["same", "refresh"] : ["same"]);
    const changes: Changes = {};
    for (const [name, ops] of Object.entries(steps)) {
      const significant = ops.filter((op) => !ignored.has(op));
      if (significant.length > 0) changes[name] = significant;
    }
    return { ...done, changes, steps, output };
  }
}

/**
 * Blanks the caller's `ONTAP_*` variables (an empty value counts as unset) for the CLI and the provider host it
 * starts: the connection must come from the stack config alone, not from whatever cluster the shell points at.
 * `ONTAP_DEBUG` (a request trace on stderr) is kept.
 */
function ontapEnvironmentCleared(): Record<string, string> {
  return Object.fromEntries(
    Object.keys(process.env)
      .filter((name) => name.startsWith("ONTAP_") && name !== "ONTAP_DEBUG")
      .map((name) => [name, ""]),
  );
}

/** Creates a stack on a private backend; see {@link EngineStack}. */
export function openStack(options: OpenStackOptions): Promise<EngineStack> {
  return EngineStack.open(options);
}

/** What the `ontap:*` stack config needs to reach a cluster. */
export interface ClusterAccess {
  /** `https://host:port`. */
  url: string;
  /** ONTAP account. */
  username: string;
  /** Its password: stored as a secret. */
  password: string;
  /** PEM of the CA that signed the cluster's certificate. */
  caCert: string;
}

/** Stack config `ontap:host`, `ontap:username`, `ontap:password` (secret) and `ontap:caCert` for a cluster. */
export function ontapConfig(cluster: ClusterAccess): ConfigMap {
  return {
    "ontap:host": { value: cluster.url },
    "ontap:username": { value: cluster.username },
    "ontap:password": { value: cluster.password, secret: true },
    "ontap:caCert": { value: cluster.caCert },
  };
}

/**
 * Stack config `ontap:profiles` naming several clusters, as `--path` keys (set it through
 * {@link OpenStackOptions.pathConfig}), the way a user writes it: `pulumi config set --path
 * 'ontap:profiles.siteB.host' ...` and `pulumi config set --secret --path 'ontap:profiles.siteB.password' ...`.
 */
export function ontapProfilesConfig(profiles: Record<string, ClusterAccess>): ConfigMap {
  const config: ConfigMap = {};
  for (const [name, cluster] of Object.entries(profiles)) {
    config[`ontap:profiles.${name}.host`] = { value: cluster.url };
    config[`ontap:profiles.${name}.username`] = { value: cluster.username };
    config[`ontap:profiles.${name}.password`] = { value: cluster.password, secret: true };
    config[`ontap:profiles.${name}.caCert`] = { value: cluster.caCert };
  }
  return config;
}
