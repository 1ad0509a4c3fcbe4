/**
 * The whole `pulumi preview/up/refresh/destroy` as a user waits for it: the real CLI and Node.js language host
 * (test/support/automation.ts) run a plain-JS program declaring N external key managers (one per data SVM, on a 9.6
 * simulator in a child process with 20 ms latency), and, in the same run, the same program declaring N do-nothing
 * dynamic resources: the engine's own floor. Both programs load the package from a program directory laid out as
 * a user's install (so `__provider` is what users store). Per operation: wall time, CPU of the CLI, the program
 * (with its language host) and the provider host, REST calls, and state bytes per resource.
 *
 * CPU is exact: each Node process reports its own CPU when it ends (`cpuReport.cjs`, preloaded through
 * `NODE_OPTIONS`), the whole tree's is this process's waited-for children's times (/proc/self/stat), and the rest
 * is the CLI's and the Go language host's. `BENCH_ENGINE_DEBUG=1` also prints every REST call of each operation.
 *
 * @packageDocumentation
 */

import { promises as fs, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { openStack, ontapConfig, type EngineStack } from "../test/support/automation";
import { startChildSimulator } from "./childSimulator";
import { round } from "./support";

/** The six operations, in the order they run. */
export const ENGINE_OPS = [
  "up (create)",
  "preview",
  "refresh",
  "up, nothing to do",
  "up, one server timeout changed on all",
  "destroy",
] as const;

/** One operation of one program. */
export interface EngineOpRow {
  /** One of {@link ENGINE_OPS}. */
  op: string;
  /** Wall seconds of the Automation API call. */
  wallS: number;
  /** CPU ms of the `pulumi` CLI and the (Go) language host: the whole tree's less the Node processes'. */
  cliCpuMs: number;
  /** CPU ms of the program's Node processes. */
  programCpuMs: number;
  /** CPU ms of the dynamic provider host's Node process. */
  hostCpuMs: number;
  /** Node processes that reported (program, helpers, provider host). */
  nodeProcesses: number;
  /** CPU ms of the whole tree (exact). */
  totalCpuMs: number;
  /** REST calls the simulator answered (0 for the floor). */
  restCalls: number;
}

/** One program at one N. */
export interface EngineRun {
  /** `ours` (KeyManager) or `floor` (do-nothing dynamic resources). */
  program: "ours" | "floor";
  /** Resources declared. */
  n: number;
  /** Rows in {@link ENGINE_OPS} order. */
  rows: EngineOpRow[];
  /** Bytes of the checkpoint after the create, per resource. */
  stateBytesPerResource: number;
  /** Bytes of one resource's `__provider`. */
  providerBytes: number;
}

/** Ours against the floor at one N. */
export interface EngineComparison {
  /** Resources. */
  n: number;
  /** Per operation and for all six: wall seconds of both and their ratio. */
  ops: { op: string; oursS: number; floorS: number; ratio: number }[];
  /** State bytes per resource, ours minus the floor's. */
  stateBytesOverFloor: number;
}

/** Result of {@link measureEngine}. */
export interface EngineResult {
  /** Engine parallelism (`--parallel`). */
  parallel: number;
  /** Simulator latency per request, ms. */
  latencyMs: number;
  /** Every program at every N. */
  runs: EngineRun[];
  /** Ours against the floor per N. */
  comparisons: EngineComparison[];
  /** How the all-six ratio grows from the smallest to the largest N. */
  ratioGrowth: number;
}

const PROGRAM = `"use strict";
const pulumi = require("@pulumi/pulumi");
const cfg = new pulumi.Config("bench");
const n = cfg.requireNumber("n");
const timeout = cfg.requireNumber("timeout");
const args = (i) => ({
  svm: "vs" + i,
  external: {
    clientCertificate: "vs" + i + "-client",
    serverCaCertificates: ["vs" + i + "-ca-1"],
    servers: [{ server: "10." + Math.floor(i / 250) + "." + (i % 250) + ".1", timeout }],
  },
});
if (cfg.require("program") === "floor") {
  // The engine's floor: a dynamic resource that does nothing but keep its inputs.
  const provider = {
    async create(inputs) { return { id: "floor-" + inputs.external.clientCertificate, outs: inputs }; },
    async diff(id, olds, news) { return { changes: JSON.stringify(olds.external) !== JSON.stringify(news.external) }; },
    async read(id, props) { return { id, props }; },
    async update(id, olds, news) { return { outs: news }; },
    async delete() {},
  };
  class Floor extends pulumi.dynamic.Resource {
    constructor(name, props, opts) { super(provider, name, props, opts); }
  }
  for (let i = 0; i < n; i++) new Floor("r" + i, args(i));
} else {
  const { KeyManager } = require("pulumi-ontap-keymanager");
  for (let i = 0; i < n; i++) new KeyManager("r" + i, args(i));
}
`;

/** Bytes of the stack's checkpoint (the backend's `<stack>.json`) and one resource's `__provider`. */
async function stateSizes(stack: EngineStack, n: number): Promise<{ perResource: number; provider: number }> {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== "backups" && e.name !== "history") walk(full);
      else if (e.isFile() && full.endsWith(`${stack.name}.json`)) files.push(full);
    }
  };
  walk(path.join(stack.tempDir, "backend"));
  const text = await fs.readFile(files[0]!, "utf8");
  const provider = /"__provider":\s*("(?:[^"\\]|\\.)*")/.exec(text)?.[1];
  return {
    perResource: Math.round(Buffer.byteLength(text) / n),
    provider: provider ? Buffer.byteLength(JSON.parse(provider) as string) : 0,
  };
}

/**
 * CPU of one operation, split exactly: every Node process the engine starts (the program, its helpers, the provider
 * host) reports its own CPU when it ends (`cpuReport.cjs`, preloaded through `NODE_OPTIONS`); the whole tree's CPU
 * is this process's waited-for children's times. What is left is the Go processes: the CLI and the language host.
 */
class CpuMeter {
  private cStart = 0;

  constructor(private readonly dir: string) {}

  async start(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
    await fs.mkdir(this.dir, { recursive: true });
    this.cStart = childTicks();
  }

  async stop(): Promise<{
    cli: number;
    program: number;
    host: number;
    total: number;
    nodeProcesses: number;
  }> {
    const total = (childTicks() - this.cStart) * 10;
    let program = 0;
    let host = 0;
    const files = await fs.readdir(this.dir);
    for (const file of files) {
      const report = JSON.parse(await fs.readFile(path.join(this.dir, file), "utf8")) as {
        argv: string[];
        cpuUs: number;
      };
      const ms = report.cpuUs / 1000;
      if (report.argv.some((a) => /dynamic-provider/.test(a))) host += ms;
      else program += ms;
    }
    return {
      cli: Math.max(0, Math.round(total - program - host)),
      program: Math.round(program),
      host: Math.round(host),
      total,
      nodeProcesses: files.length,
    };
  }
}

/** User + system ticks of this process's terminated, waited-for descendants. */
function childTicks(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[13]) + Number(f[14]);
}

/**
 * Runs the six operations for ours and the floor at each N.
 *
 * @param programDir - A program directory holding the package as installed (`prepareProgramDir`).
 * @param sizes - Values of N.
 * @param log - Progress lines.
 * @param parallel - Engine parallelism (`--parallel`). Default 8.
 * @param latencyMs - Latency the simulator adds to each request. Default 20 ms.
 */
export async function measureEngine(
  programDir: string,
  sizes: readonly number[],
  log: (line: string) => void,
  parallel = 8,
  latencyMs = 20,
): Promise<EngineResult> {
  const projectDir = path.join(programDir, "bench-engine");
  await fs.mkdir(projectDir, { recursive: true });
  await fs.writeFile(
    path.join(projectDir, "Pulumi.yaml"),
    "name: bench-engine\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n",
  );
  await fs.writeFile(path.join(projectDir, "index.js"), PROGRAM);
  const cpuDir = path.join(programDir, "bench-cpu");
  const runs: EngineRun[] = [];
  for (const n of sizes) {
    for (const program of ["floor", "ours"] as const) {
      log(`engine: ${program}, N = ${n}`);
      const sim = await startChildSimulator({ ontapVersion: "9.6", dataSvms: n });
      await sim.setLatency(latencyMs);
      const stack = await openStack({
        projectDir,
        stackName: `bench-${program}-${n}`,
        config: {
          ...ontapConfig(sim),
          "bench:n": { value: String(n) },
          "bench:timeout": { value: "10" },
          "bench:program": { value: program },
        },
        operationTimeoutMs: 10 * 60_000,
        envVars: {
          BENCH_CPU_DIR: cpuDir,
          NODE_OPTIONS: `--require ${path.join(__dirname, "cpuReport.cjs")}`,
        },
      });
      const meter = new CpuMeter(cpuDir);
      const rows: EngineOpRow[] = [];
      let sizesAfterCreate = { perResource: 0, provider: 0 };
      try {
        const s = stack.stack;
        const ops: (() => Promise<unknown>)[] = [
          () => s.up({ parallel }),
          () => s.preview({ parallel }),
          () => s.refresh({ parallel }),
          () => s.up({ parallel }),
          async () => {
            await s.setConfig("bench:timeout", { value: "20" });
            return s.up({ parallel });
          },
          () => s.destroy({ parallel }),
        ];
        for (const [i, run] of ops.entries()) {
          await sim.clearLog();
          await meter.start();
          const t0 = performance.now();
          await run();
          const wallS = (performance.now() - t0) / 1000;
          const cpu = await meter.stop();
          const records = (await sim.log()).records;
          const restCalls = records.length;
          if (process.env.BENCH_ENGINE_DEBUG)
            for (const r of records)
              log(`  ${ENGINE_OPS[i]}: ${r.method} ${r.path} ${r.status} ${r.durationMs} ms`);
          rows.push({
            op: ENGINE_OPS[i]!,
            wallS: round(wallS, 2),
            cliCpuMs: cpu.cli,
            programCpuMs: cpu.program,
            hostCpuMs: cpu.host,
            totalCpuMs: cpu.total,
            nodeProcesses: cpu.nodeProcesses,
            restCalls,
          });
          if (i === 0) sizesAfterCreate = await stateSizes(stack, n);
        }
      } finally {
        await stack.close();
        await sim.close();
      }
      runs.push({
        program,
        n,
        rows,
        stateBytesPerResource: sizesAfterCreate.perResource,
        providerBytes: sizesAfterCreate.provider,
      });
    }
  }
  const comparisons: EngineComparison[] = sizes.map((n) => {
    const ours = runs.find((r) => r.n === n && r.program === "ours")!;
    const floor = runs.find((r) => r.n === n && r.program === "floor")!;
    const ops = ours.rows.map((row, i) => ({
      op: row.op,
      oursS: row.wallS,
      floorS: floor.rows[i]!.wallS,
      ratio: round(row.wallS / floor.rows[i]!.wallS, 2),
    }));
    const oursAll = ours.rows.reduce((a, r) => a + r.wallS, 0);
    const floorAll = floor.rows.reduce((a, r) => a + r.wallS, 0);
    ops.push({
      op: "all six",
      oursS: round(oursAll, 2),
      floorS: round(floorAll, 2),
      ratio: round(oursAll / floorAll, 2),
    });
    return { n, ops, stateBytesOverFloor: ours.stateBytesPerResource - floor.stateBytesPerResource };
  });
  const allRatio = (c: EngineComparison): number => c.ops[c.ops.length - 1]!.ratio;
  return {
    parallel,
    latencyMs,
    runs,
    comparisons,
    ratioGrowth: round(allRatio(comparisons[comparisons.length - 1]!) / allRatio(comparisons[0]!), 2),
  };
}

/** The engine benchmark as a markdown table. */
export function engineTable(result: EngineResult): string {
  const out: string[] = [];
  for (const c of result.comparisons) {
    const ours = result.runs.find((r) => r.n === c.n && r.program === "ours")!;
    const floor = result.runs.find((r) => r.n === c.n && r.program === "floor")!;
    out.push(
      `N = ${c.n} (parallel ${result.parallel}, ${result.latencyMs} ms latency; CPU ms: CLI and Go language ` +
        "host / program (Node) / provider host (Node), each process's own)",
      "",
      "| operation | ours | floor | ratio | ours CPU | floor CPU | REST calls |",
      "|---|---|---|---|---|---|---|",
    );
    for (const [i, o] of c.ops.entries()) {
      const r = ours.rows[i];
      const f = floor.rows[i];
      const cpu = (x: EngineOpRow | undefined): string =>
        x ? `${x.cliCpuMs} / ${x.programCpuMs} / ${x.hostCpuMs}` : "";
      out.push(
        `| ${o.op} | ${o.oursS} s | ${o.floorS} s | ${o.ratio} | ${cpu(r)} | ${cpu(f)} | ${r ? r.restCalls : ours.rows.reduce((a, x) => a + x.restCalls, 0)} |`,
      );
    }
    out.push(
      "",
      `state per resource: ours ${ours.stateBytesPerResource} B, floor ${floor.stateBytesPerResource} B ` +
        `(${c.stateBytesOverFloor >= 0 ? "+" : ""}${c.stateBytesOverFloor} B); __provider: ours ${ours.providerBytes} B, floor ${floor.providerBytes} B`,
      "",
    );
  }
  out.push(
    `all-six ratio growth from N = ${result.comparisons[0]?.n} to N = ${result.comparisons.at(-1)?.n}: x${result.ratioGrowth}`,
  );
  return out.join("\n");
}
