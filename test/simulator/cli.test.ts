/**
 * `npm run simulator` (node bin/simulator/cli.js): prints URL, credentials and CA, serves real HTTPS,
 * keeps state across restarts with --state, and stops cleanly on SIGINT and SIGTERM.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client, eventually, externalBody, records, str } from "./helpers";

const root = join(__dirname, "..", "..");
const cli = join(root, "bin", "simulator", "cli.js");
let dir: string;

/** Newest modification time of the simulator's sources. */
function newestSource(): number {
  const srcDir = join(root, "simulator");
  return Math.max(
    ...readdirSync(srcDir)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => statSync(join(srcDir, f)).mtimeMs),
  );
}

function builtAt(): number {
  try {
    return statSync(cli).mtimeMs;
  } catch {
    return 0;
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ontap-sim-cli-"));
  // CI builds before testing; a developer who edited the simulator gets a fresh build here.
  if (builtAt() < newestSource()) {
    try {
      execFileSync(
        process.execPath,
        [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
        {
          cwd: root,
          stdio: "pipe",
        },
      );
    } catch {
      // Type errors elsewhere still emit JavaScript; freshness is checked below.
    }
  }
  expect(builtAt()).toBeGreaterThanOrEqual(newestSource());
}, 120_000);

const children: ChildProcessWithoutNullStreams[] = [];

afterAll(() => {
  // A failed test must not leave a simulator running (nor keep jest waiting for it).
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
  info: { url: string; username: string; password: string; caCert: string };
}

async function start(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: root,
    env: { ...process.env, ONTAP_SIMULATOR_PASSWORD: "" },
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    await eventually(() => out.includes("ready (Ctrl-C to stop)"), 20_000);
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`simulator did not start: ${err}`, { cause: e });
  }
  const line = (name: string): string => str(new RegExp(`^${name}: (.*)$`, "m").exec(out)?.[1]);
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(out)?.[0] ?? "";
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    info: { url: line("url"), username: line("username"), password: line("password"), caCert: pem },
  };
}

async function stop(s: Started, signal: NodeJS.Signals): Promise<number | null> {
  s.child.kill(signal);
  const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 10_000).unref());
  const code = await Promise.race([s.exited, timeout]);
  if (code === "timeout") {
    s.child.kill("SIGKILL");
    throw new Error(`simulator did not stop on ${signal}`);
  }
  return code;
}

test("prints URL, credentials and CA; serves verified HTTPS; stops on SIGINT; state survives into a SIGTERM run", async () => {
  const state = join(dir, "state.json");
  const caFile = join(dir, "ca.pem");
  const first = await start([
    "--port",
    "0",
    "--ontap-version",
    "9.13",
    "--state",
    state,
    "--ca-file",
    caFile,
    "--quiet",
  ]);
  const c1 = new Client(first.info);
  try {
    expect(first.stdout()).toContain("playing ONTAP 9.13");
    expect(first.info.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(first.info.username).toBe("admin");
    expect(first.info.password).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(readFileSync(caFile, "utf8").trim()).toBe(first.info.caCert);
    expect((await c1.get("/api/cluster")).body.version).toMatchObject({ generation: 9, major: 13 });
    const posted = await c1.post("/api/security/key-managers", externalBody("vs0"));
    expect(posted.status).toBe(202);
    const job = `/api/cluster/jobs/${str(posted.body.job?.uuid)}`;
    await eventually(async () => ((await c1.get(job)).body.state as unknown) === "success");
  } finally {
    await c1.close();
  }
  expect(await stop(first, "SIGINT")).toBe(0);
  expect(first.stdout()).toContain("simulator stopped (SIGINT)");
  expect(first.stderr()).toBe("");

  const second = await start(["--port", "0", "--state", state, "--password", "fixed-password"]);
  const c2 = new Client(second.info);
  try {
    expect(second.info.password).toBe("fixed-password");
    const kms = records(await c2.get("/api/security/key-managers"));
    expect(kms.map((k) => k.svm?.name)).toEqual(["vs0"]);
    await eventually(() => second.stderr().includes("GET /api/security/key-managers 200"));
    expect(second.stderr()).not.toContain("fixed-password");
  } finally {
    await c2.close();
  }
  expect(await stop(second, "SIGTERM")).toBe(0);
  expect(second.stdout()).toContain("simulator stopped (SIGTERM)");
});

test("unknown options print the usage and exit 2", async () => {
  const child = spawn(process.execPath, [cli, "--bogus"], { cwd: root });
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  expect(code).toBe(2);
  expect(err).toContain("usage: npm run simulator");
});
