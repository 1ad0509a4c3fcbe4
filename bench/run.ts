/**
 * `npm run bench`: REST calls per operation against the fewest the API allows, the size of the serialized
 * provider, CPU overhead beside a bare HTTP client, refresh at scale and the provider host's cold start.
 *
 * Prints readable tables, then writes one JSON object to `bench/results/latest.json` (or the file given with
 * `--out FILE`) and as the last line of stdout. A benchmark prints figures: it exits 0 whatever they are, and
 * non-zero only when it could not measure.
 *
 * @packageDocumentation
 */

import { execFileSync } from "node:child_process";
import { promises as fs, realpathSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as prettier from "prettier";
import { prepareProgramDir } from "../test/support/host";
import { type CallsResult, measureCalls } from "./calls";
import { type ColdStartResult, measureColdStart } from "./coldStart";
import { type OverheadRow, measureOverhead } from "./overhead";
import { type ProviderSize, measureProviderSizes } from "./providerSize";
import { type EngineResult, engineTable, measureEngine } from "./engine";
import { type ModuleLoadResult, measureModuleLoad } from "./moduleLoad";
import { type RefreshResult, measureRefresh } from "./refresh";
import { type WriteRow, measureWrites } from "./writes";

/** The targets of the issue; a benchmark reports against them, it does not fail on them. */
export const TARGETS = {
  /** Every operation makes exactly the minimum number of calls. */
  callsEqualMinimum: true,
  /** Serialized `__provider` per resource, bytes, as installed in a node_modules (issue 16). */
  providerBytesMax: 600,
  /** Refresh wall time over the latency bound. */
  refreshRatioMax: 1.25,
  /** TLS handshakes during the refresh: at most the parallelism. */
  handshakesMax: 10,
} as const;

/** Everything `npm run bench` measured. */
export interface BenchResult {
  /** Format of this object. */
  schema: 1;
  /** When, ISO 8601 UTC. */
  date: string;
  /** Where. */
  machine: {
    cpu: string;
    cpus: number;
    node: string;
    platform: string;
    memoryGiB: number;
    /** 1-minute load average when the bench started: figures from a busy shared machine are noisier. */
    loadAverage: number;
  };
  /** Which code. */
  commit: string | undefined;
  /** REST calls per operation, per release played. */
  calls: CallsResult[];
  /** Serialized provider size per resource type. */
  providerBytes: ProviderSize[];
  /** CPU per operation beside a bare undici client. */
  overhead: OverheadRow[];
  /** Refresh of 200 key managers. */
  refresh: RefreshResult;
  /** Provider host cold start. */
  coldStart: ColdStartResult;
  /** The whole engine against its do-nothing floor (bench/engine.ts). */
  engine: EngineResult;
  /** Calls and latency per write on 9.13, with and without return_timeout (bench/writes.ts). */
  writes: WriteRow[];
  /** What our modules add to the provider host's start (bench/moduleLoad.ts). */
  moduleLoad: ModuleLoadResult;
  /** Targets and whether each was met. */
  targets: typeof TARGETS;
  /** Per target: met or not. */
  met: { calls: boolean; providerBytes: boolean; refreshRatio: boolean; handshakes: boolean };
  /** Seconds the benchmark took. */
  durationS: number;
}

function machine(): BenchResult["machine"] {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cpus: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

function commit(): string | undefined {
  try {
    const root = path.resolve(__dirname, "..");
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      cwd: root,
      encoding: "utf8",
    }).trim();
    const dirty =
      execFileSync("git", ["status", "--porcelain"], { cwd: root, encoding: "utf8" }).trim() !== "";
    return dirty ? `${head}+local changes` : head;
  } catch {
    return undefined;
  }
}

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const numeric = headers.map((_, i) => rows.every((r) => typeof r[i] === "number"));
  const line = (r: string[]): string =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join(
    "\n",
  );
}

const mark = (ok: boolean): string => (ok ? "yes" : "NO");

function report(r: BenchResult): string {
  const out: string[] = [];
  out.push(`pulumi-ontap-keymanager bench, ${r.date}`);
  out.push(
    `${r.machine.cpu} x${r.machine.cpus}, node ${r.machine.node}, ${r.machine.platform}, load average ${r.machine.loadAverage}`,
  );
  for (const c of r.calls) {
    out.push("");
    out.push(
      `REST calls per operation, ONTAP ${c.ontapVersion}${c.asyncJobs ? " (writes answer 202 + job; job polls counted apart, minimum 0 with return_timeout)" : ""}; version probes (GET /api/cluster) in the run: ${c.versionProbes}`,
    );
    out.push(
      table(
        ["operation", "calls", "minimum", "= min", ...(c.asyncJobs ? ["job polls"] : []), "calls made"],
        c.rows.map((row) => [
          row.op,
          row.calls,
          row.min,
          mark(row.calls === row.min),
          ...(c.asyncJobs ? [row.jobPolls] : []),
          row.labels.join(", ") || "-",
        ]),
      ),
    );
  }
  out.push("");
  out.push("Minimums: why");
  const seen = new Set<string>();
  for (const row of r.calls[0]?.rows ?? []) {
    if (seen.has(row.op)) continue;
    seen.add(row.op);
    out.push(`  ${row.op}: ${row.why}`);
  }
  out.push("");
  out.push(`Serialized __provider (target <= ${TARGETS.providerBytesMax} bytes)`);
  out.push(
    table(
      ["resource", "bytes", "<= target", "secret", "captures inputs"],
      r.providerBytes.map((p) => [
        p.resource,
        p.bytes,
        mark(p.bytes <= TARGETS.providerBytesMax),
        String(p.secret),
        String(p.capturesInputs),
      ]),
    ),
  );
  out.push("");
  out.push("Provider overhead per operation (CPU ms in this process; the simulator runs in a child process)");
  out.push(
    table(
      [
        "operation",
        "HTTP",
        "provider CPU",
        "bare undici CPU",
        "overhead CPU",
        "provider wall",
        "bare wall",
        "n",
      ],
      r.overhead.map((o) => [
        o.op,
        o.http,
        o.providerCpuMs,
        o.bareCpuMs,
        o.overheadCpuMs,
        o.providerWallMs,
        o.bareWallMs,
        o.iterations,
      ]),
    ),
  );
  const f = r.refresh;
  out.push("");
  out.push(
    `Refresh: ${f.resources} key managers, ${f.parallelism} in flight, ${f.latencyMs} ms latency per request; bound ${f.boundMs} ms`,
  );
  out.push(
    table(
      [
        "client",
        "wall ms (median)",
        "runs ms",
        "ratio",
        `ratio <= ${TARGETS.refreshRatioMax}`,
        "TLS handshakes",
        `<= ${TARGETS.handshakesMax}`,
        "connections used",
        "calls",
        "found",
      ],
      [
        [
          "provider read",
          f.wallMs,
          f.runsMs.join(" / "),
          f.ratio,
          mark(f.ratio <= TARGETS.refreshRatioMax),
          f.handshakes,
          mark(f.handshakes <= TARGETS.handshakesMax),
          f.connections,
          f.calls,
          f.found,
        ],
        [
          "bare undici GET",
          f.bare.wallMs,
          f.bare.runsMs.join(" / "),
          f.bare.ratio,
          "-",
          "-",
          "-",
          "-",
          "-",
          "-",
        ],
      ],
    ),
  );
  const s = r.coldStart;
  out.push("");
  out.push(`Cold start of the dynamic provider host (median of ${s.runs} runs, ms from spawn)`);
  out.push(
    table(
      ["port printed", "first call answered", "KeyManager Configure+Check", "then Read (TLS + GET)"],
      [[s.portMs, s.firstAnswerMs, s.firstCheckMs, s.firstReadMs]],
    ),
  );
  out.push("");
  out.push(
    `Module loading in a fresh node (medians of ${r.moduleLoad.runs}): @pulumi/pulumi ${r.moduleLoad.pulumiMs} ms; ` +
      `then our provider + first check ${r.moduleLoad.checkMs} ms (undici loaded: ${r.moduleLoad.checkLoadsUndici}); ` +
      `then the first client ${r.moduleLoad.firstClientMs} ms`,
    "",
    "Writes on 9.13 (calls / job polls / median ms), return_timeout 0 then 15 s:",
    ...r.writes.map(
      (w) => `  ${w.write}, ${w.returnTimeoutS} s: ${w.calls} / ${w.jobPolls} / ${w.wallMs} ms`,
    ),
    "",
    "The engine against its floor (real CLI + language host, plain-JS program, installed package):",
    engineTable(r.engine),
    "",
  );
  out.push(
    `Targets: calls = minimum ${mark(r.met.calls)}; __provider <= ${TARGETS.providerBytesMax} B ${mark(r.met.providerBytes)}; ` +
      `refresh ratio <= 1.25 ${mark(r.met.refreshRatio)}; handshakes <= 10 ${mark(r.met.handshakes)}; ` +
      `took ${r.durationS} s`,
  );
  return out.join("\n");
}

/** The README section: latest figures against their targets, with date and machine. */
function markdown(r: BenchResult): string {
  const [sync, later] = r.calls;
  const byOp = new Map(later?.rows.map((row) => [row.op, row]));
  const f = r.refresh;
  const s = r.coldStart;
  const lines = [
    "## Benchmarks",
    "",
    `Latest \`npm run bench\`: ${r.date.slice(0, 16).replace("T", " ")} UTC on ${r.machine.cpu} (${r.machine.cpus} CPUs), ` +
      `Node ${r.machine.node}, ${r.machine.platform}, load average ${r.machine.loadAverage}` +
      `${r.commit ? `, commit ${r.commit}` : ""}. ` +
      "Full results: `bench/results/latest.json`.",
    "",
    "| figure | result | target | met |",
    "|---|---|---|---|",
    `| REST calls per operation | all equal to the minimum: ${mark(r.met.calls)} (table below) | = minimum | ${mark(r.met.calls)} |`,
    ...r.providerBytes.map(
      (p) =>
        `| serialized \`__provider\`, ${p.resource} | ${p.bytes} bytes | <= ${TARGETS.providerBytesMax} bytes | ${mark(p.bytes <= TARGETS.providerBytesMax)} |`,
    ),
    `| refresh of ${f.resources} key managers, ${f.parallelism} in flight, ${f.latencyMs} ms latency | ${f.wallMs} ms = ${f.ratio} x the ${f.boundMs} ms bound (bare undici client: ${f.bare.ratio} x) | <= 1.25 x | ${mark(r.met.refreshRatio)} |`,
    `| TLS handshakes during that refresh | ${f.handshakes} | <= ${TARGETS.handshakesMax} | ${mark(r.met.handshakes)} |`,
    `| cold start: host spawn to first answered call | ${s.firstAnswerMs} ms (first KeyManager check ${s.firstCheckMs} ms, first read ${s.firstReadMs} ms) | - | - |`,
    ...r.overhead.map(
      (o) =>
        `| provider CPU per ${o.op} (${o.http}) | ${o.providerCpuMs} ms (bare undici ${o.bareCpuMs} ms, overhead ${o.overheadCpuMs} ms) | - | - |`,
    ),
    "",
    `| operation | calls on 9.6 | minimum | calls on ${later?.ontapVersion ?? "later"} (+ job polls) | minimum |`,
    "|---|---|---|---|---|",
    ...(sync?.rows ?? []).map((row) => {
      const l = byOp.get(row.op);
      return `| ${row.op} | ${row.calls} | ${row.min} | ${l ? `${l.calls} (+${l.jobPolls})` : "-"} | ${l?.min ?? "-"} |`;
    }),
    // Operations of the later release only (certificates need ONTAP 9.8).
    ...(later?.rows ?? [])
      .filter((row) => !(sync?.rows ?? []).some((s) => s.op === row.op))
      .map((row) => `| ${row.op} | - | - | ${row.calls} (+${row.jobPolls}) | ${row.min} |`),
    "",
    "Version probe (`GET /api/cluster`): once per cluster and provider process, only when a method needs the " +
      "release (later-release fields, features); not counted above. Writes send `return_timeout`, so a write that " +
      "ends within it needs no job poll.",
    "",
    `Provider host start, module loading (fresh node, medians of ${r.moduleLoad.runs}): \`@pulumi/pulumi\` alone ` +
      `${r.moduleLoad.pulumiMs} ms; our provider object, the KeyManager implementation and a first \`check\` add ` +
      `${r.moduleLoad.checkMs} ms without loading undici (${r.moduleLoad.checkLoadsUndici ? "it was loaded" : "not loaded"}); ` +
      `the first client (undici) adds ${r.moduleLoad.firstClientMs} ms, paid only by methods that call ONTAP.`,
    "",
    "### Writes on 9.13: `return_timeout`",
    "",
    "Per write, 20 ms latency, jobs of 50 ms; `return_timeout=0` is what the client sent before (ONTAP's default).",
    "",
    "| write | return_timeout | calls | job polls | median latency |",
    "|---|---|---|---|---|",
    ...r.writes.map(
      (w) => `| ${w.write} | ${w.returnTimeoutS} s | ${w.calls} | ${w.jobPolls} | ${w.wallMs} ms |`,
    ),
    "",
    "### The whole engine against its floor",
    "",
    "The real CLI 3.248 and language host run a plain-JS program of N external key managers (9.6 simulator, " +
      "one per SVM) and the same program of N do-nothing dynamic resources, with the package installed as a user " +
      "has it (`bench/engine.ts`).",
    "",
    engineTable(r.engine),
    "",
  ];
  return lines.join("\n");
}

async function main(): Promise<void> {
  const started = performance.now();
  const where = machine();
  const outIndex = process.argv.indexOf("--out");
  const outFile = path.resolve(
    outIndex >= 0 && process.argv[outIndex + 1]
      ? process.argv[outIndex + 1]!
      : path.join(__dirname, "results", "latest.json"),
  );
  const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

  log("REST calls per operation (ONTAP 9.6, then 9.13)");
  const calls = [await measureCalls("9.6"), await measureCalls("9.13")];
  log("serialized provider size");
  const programDir = realpathSync(await prepareProgramDir());
  const providerBytes = await measureProviderSizes(programDir);
  log("provider overhead (CPU)");
  const overhead = await measureOverhead();
  log("refresh at scale");
  const refresh = await measureRefresh();
  log("cold start");
  const coldStart = await measureColdStart(programDir);
  log("module loading");
  const moduleLoad = measureModuleLoad(programDir);
  log("writes on 9.13 with and without return_timeout");
  const writes = await measureWrites();
  // N = 200 takes most of the time; BENCH_ENGINE_SIZES (e.g. "50") runs fewer.
  const sizes = (process.env.BENCH_ENGINE_SIZES ?? "50,200")
    .split(",")
    .map(Number)
    .filter((n) => n > 0);
  log(`engine against its floor, N = ${sizes.join(", ")}`);
  const engine = await measureEngine(programDir, sizes, log);
  await fs.rm(programDir, { recursive: true, force: true });

  const result: BenchResult = {
    schema: 1,
    date: new Date().toISOString(),
    machine: where,
    commit: commit(),
    calls,
    providerBytes,
    overhead,
    refresh,
    coldStart,
    engine,
    writes,
    moduleLoad,
    targets: TARGETS,
    met: {
      calls: calls.every((c) => c.rows.every((row) => row.calls === row.min)),
      providerBytes: providerBytes.every((p) => p.bytes <= TARGETS.providerBytesMax),
      refreshRatio: refresh.ratio <= TARGETS.refreshRatioMax,
      handshakes: refresh.handshakes <= TARGETS.handshakesMax,
    },
    durationS: Math.round((performance.now() - started) / 100) / 10,
  };
  const json = JSON.stringify(result);
  await fs.mkdir(path.dirname(outFile), { recursive: true });
  // Formatted as the repository's Prettier would, so that `npm run lint` accepts the committed results.
  const prettierConfig = (await prettier.resolveConfig(outFile)) ?? {};
  await fs.writeFile(
    outFile,
    await prettier.format(JSON.stringify(result), { ...prettierConfig, parser: "json" }),
  );
  await fs.writeFile(outFile.replace(/\.json$/, "") + ".md", markdown(result));
  process.stdout.write(
    `${report(result)}\n\nresults written to ${path.relative(process.cwd(), outFile)}\n${json}\n`,
  );
}

main().then(
  // Pools and timers of the libraries may linger; everything was closed, so exit now.
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
