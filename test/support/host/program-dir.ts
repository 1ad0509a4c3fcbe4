/**
 * A throwaway Pulumi program directory laid out the way a user's program is once they have installed our package:
 * the provider host runs there with plain `node`, and the serialized provider's `require()` resolves only from its
 * `node_modules`.
 *
 * @packageDocumentation
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Root of this repository. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

const DIR_PREFIX = "pulumi-ontap-keymanager-host-";
const FINGERPRINT_FILE = ".harness-fingerprint";

interface PackageJson {
  name: string;
  main?: string;
  files?: string[];
}

let cached: Promise<string> | undefined;

/**
 * Returns a program directory (created once per test process, reused while `bin/` and package.json are unchanged)
 * whose `node_modules` holds:
 * - this package as a real copy of what `npm pack` ships (package.json and the `files` entries, i.e. `bin/`), so the
 *   host loads the compiled JS exactly as a user's install would, and a symlink cannot smuggle in the repo's own
 *   node_modules or sources;
 * - every other entry of the repo's node_modules as a symlink (its runtime dependencies and theirs resolve from there).
 *
 * Fails with instructions when `bin/` has not been built.
 */
export function prepareProgramDir(): Promise<string> {
  cached ??= build().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

/**
 * Writes a plain-JS package into `<programDir>/node_modules/<name>` as real files (e.g. a fixture provider). A
 * package.json naming `index.js` as main is added unless `files` has one.
 */
export async function writePackage(
  programDir: string,
  name: string,
  files: Record<string, string>,
): Promise<string> {
  const dir = path.join(programDir, "node_modules", ...name.split("/"));
  await fs.rm(dir, { recursive: true, force: true });
  const all: Record<string, string> = {
    "package.json": JSON.stringify({ name, version: "0.0.0", main: "index.js" }, null, 2),
    ...files,
  };
  for (const [rel, text] of Object.entries(all)) {
    const file = path.join(dir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
  }
  return dir;
}

async function build(): Promise<string> {
  const pkg = JSON.parse(await fs.readFile(path.join(REPO_ROOT, "package.json"), "utf8")) as PackageJson;
  const main = path.join(REPO_ROOT, pkg.main ?? "index.js");
  if (!(await exists(main))) {
    throw new Error(
      `${path.relative(REPO_ROOT, main)} is missing: run \`npm run build\` first. The provider host is plain node ` +
        "and loads only the compiled package from the program's node_modules.",
    );
  }
  const shipped = ["package.json", ...(pkg.files ?? ["bin"])];
  const fingerprint = await fingerprintOf(shipped);
  const dir = path.join(os.tmpdir(), `${DIR_PREFIX}${process.pid}`);
  await sweepStaleDirs();
  if ((await readIfExists(path.join(dir, FINGERPRINT_FILE))) === fingerprint) return dir;

  await fs.rm(dir, { recursive: true, force: true });
  const modules = path.join(dir, "node_modules");
  await fs.mkdir(modules, { recursive: true });
  const repoModules = path.join(REPO_ROOT, "node_modules");
  for (const entry of await fs.readdir(repoModules)) {
    if (entry === pkg.name || entry.startsWith(".")) continue;
    await fs.symlink(path.join(repoModules, entry), path.join(modules, entry), "dir");
  }
  const own = path.join(modules, pkg.name);
  for (const rel of shipped) {
    const from = path.join(REPO_ROOT, rel);
    if (await exists(from)) await fs.cp(from, path.join(own, rel), { recursive: true });
  }
  await fs.writeFile(
    path.join(dir, "package.json"),
    JSON.stringify(
      { name: "host-harness-program", private: true, dependencies: { [pkg.name]: "*" } },
      null,
      2,
    ),
  );
  await fs.writeFile(path.join(dir, "Pulumi.yaml"), "name: host-harness\nruntime: nodejs\n");
  await fs.writeFile(path.join(dir, FINGERPRINT_FILE), fingerprint);
  return dir;
}

/** Hash of the shipped files' paths, sizes and mtimes: cheap, and changes whenever `npm run build` rewrites bin/. */
async function fingerprintOf(shipped: string[]): Promise<string> {
  const hash = createHash("sha256");
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(REPO_ROOT, rel);
    const st = await fs.stat(abs).catch(() => undefined);
    if (!st) return;
    if (st.isDirectory()) {
      for (const child of (await fs.readdir(abs)).sort()) await walk(path.join(rel, child));
    } else {
      hash.update(`${rel}\0${st.size}\0${st.mtimeMs}\n`);
    }
  };
  for (const rel of shipped) await walk(rel);
  return hash.digest("hex");
}

/** Removes program dirs left by test processes that no longer exist (a worker killed before it could clean up). */
async function sweepStaleDirs(): Promise<void> {
  for (const entry of await fs.readdir(os.tmpdir()).catch(() => [])) {
    if (!entry.startsWith(DIR_PREFIX)) continue;
    const pid = Number(entry.slice(DIR_PREFIX.length));
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await fs.rm(path.join(os.tmpdir(), entry), { recursive: true, force: true }).catch(() => undefined);
  }
}

function isAlive(pid: number): boolean {
  try {
    // Signal 0 only asks whether the process exists.
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

async function readIfExists(p: string): Promise<string | undefined> {
  return fs.readFile(p, "utf8").catch(() => undefined);
}
