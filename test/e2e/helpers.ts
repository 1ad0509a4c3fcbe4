/**
 * Shared pieces of the end-to-end suite: the engine (once per test file), the examples' directories and project
 * names, the simulator's request log reduced to the calls that matter, and the state scan for secrets.
 *
 * @packageDocumentation
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { cp, mkdtemp, rm, symlink } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import type { RequestLogEntry, Simulator } from "../../simulator";
import { ENGINE_TIMEOUT_MS, REPO_ROOT, getPulumiDir } from "../support/automation";

export { REPO_ROOT };

/** Limit of a test that runs a few engine operations (each takes 2-6 s; the machine may be busy). */
export const E2E_TEST_TIMEOUT_MS = 180_000;

/** Limit of a `beforeAll` that may build the Pulumi CLI from source on a fresh machine. */
export const ENGINE_SETUP_TIMEOUT_MS = ENGINE_TIMEOUT_MS + 60_000;

/** The directory of an example. */
export function exampleDir(name: string): string {
  return path.join(REPO_ROOT, "examples", name);
}

/** A project copied out of the repository; see {@link copyProject}. */
export interface ProjectCopy {
  /** The copy's directory. */
  dir: string;
  /** Deletes the copy. */
  remove(): Promise<void>;
}

/**
 * Copies a project directory into a temporary one, with `node_modules` linked to the repository's (where the
 * self-link makes `pulumi-ontap-keymanager` resolvable): a user's project that a test may edit.
 */
export async function copyProject(dir: string): Promise<ProjectCopy> {
  const parent = await mkdtemp(path.join(os.tmpdir(), "pulumi-ontap-project-"));
  const copy = path.join(parent, path.basename(dir));
  await cp(dir, copy, { recursive: true, filter: (src) => !/[/\\]Pulumi\.[^/\\]+\.yaml$/.test(src) });
  await symlink(path.join(REPO_ROOT, "node_modules"), path.join(copy, "node_modules"), "dir");
  return { dir: copy, remove: () => rm(parent, { recursive: true, force: true }) };
}

/** The project name in a directory's Pulumi.yaml: config keys of `new pulumi.Config()` start with it. */
export function projectNameOf(dir: string): string {
  const text = readFileSync(path.join(dir, "Pulumi.yaml"), "utf8");
  const name = /^name:\s*["']?([A-Za-z0-9_.-]+)["']?\s*$/m.exec(text)?.[1];
  if (!name) throw new Error(`no project name in ${dir}/Pulumi.yaml`);
  return name;
}

function newestMtime(dir: string, suffix: string, skip: (file: string) => boolean): [number, string] {
  let newest: [number, string] = [0, ""];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      const inner = newestMtime(full, suffix, skip);
      if (inner[0] > newest[0]) newest = inner;
    } else if (entry.name.endsWith(suffix) && !skip(entry.name)) {
      const mtime = statSync(full).mtimeMs;
      if (mtime > newest[0]) newest = [mtime, full];
    }
  }
  return newest;
}

/**
 * Fails unless `bin/` is at least as new as every provider source: the provider host runs the compiled package,
 * so a stale build would test old code.
 */
export function assertBuildIsCurrent(): void {
  const [sourceTime, source] = newestMtime(path.join(REPO_ROOT, "provider"), ".ts", (f) =>
    f.endsWith(".d.ts"),
  );
  let builtTime = 0;
  try {
    builtTime = newestMtime(path.join(REPO_ROOT, "bin", "provider"), ".js", () => false)[0];
  } catch {
    // No bin/ at all.
  }
  if (builtTime < sourceTime) {
    throw new Error(
      `bin/ is older than ${path.relative(REPO_ROOT, source)}: the end-to-end tests run the compiled package. ` +
        `Run \`npm run build\` first.`,
    );
  }
}

/**
 * Gets the Pulumi CLI for this test file (building it from source on a fresh machine: progress goes to stderr)
 * and checks the build. Never skips: without an engine the suite fails.
 */
export async function prepareEngine(): Promise<void> {
  assertBuildIsCurrent();
  await getPulumiDir();
}

const isProbe = (e: RequestLogEntry): boolean =>
  e.method === "GET" && e.path.split("?")[0] === "/api/cluster";
const isJobPoll = (e: RequestLogEntry): boolean => /^\/api\/cluster\/jobs\//.test(e.path);

/**
 * The writes (POST/PATCH/DELETE) the simulator received since its log was last cleared, as `METHOD pathname`
 * with key manager UUIDs kept, in order of arrival.
 */
export function writes(sim: Simulator): string[] {
  return sim
    .requestLog()
    .filter((e) => e.method !== "GET" && !isProbe(e) && !isJobPoll(e))
    .map((e) => `${e.method} ${e.path.split("?")[0]}`);
}

/** Every occurrence of `secret` in `text`, as indexes (none expected). */
function occurrences(text: string, secret: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(secret); i >= 0; i = text.indexOf(secret, i + 1)) found.push(i);
  return found;
}

/** Asserts that the exported state contains none of the secrets in plain text (nor JSON-escaped). */
export function expectNoPlaintextSecrets(state: string, secrets: Record<string, string>): void {
  for (const [what, secret] of Object.entries(secrets)) {
    expect(secret.length).toBeGreaterThanOrEqual(8);
    const escaped = JSON.stringify(secret).slice(1, -1);
    expect({ what, found: [...occurrences(state, secret), ...occurrences(state, escaped)] }).toEqual({
      what,
      found: [],
    });
  }
}

/** How many encrypted values the exported state holds (secret outputs are stored as `ciphertext`). */
export function ciphertexts(state: string): number {
  return occurrences(state, '"ciphertext"').length;
}
