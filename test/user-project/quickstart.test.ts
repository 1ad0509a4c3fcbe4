/**
 * A user's project, as a new user would make it: a fresh directory outside the repository with its own
 * `Pulumi.yaml`, `package.json` and `tsconfig.json` (what `pulumi new typescript` writes), the package installed
 * from the tarball `npm pack` makes (the README's "Install"), `@pulumi/pulumi` at the version the user chose, and
 * the README's Quick start as it stands: its config commands run by bash (the cluster's address and CA filled
 * in, the password typed on stdin) and its TypeScript block, verbatim, as `index.ts`. Then the literal `pulumi`
 * CLI, through its Node.js language host, against the simulator: preview, up, preview (no changes), refresh and
 * destroy.
 *
 * Two SDK versions: the lockfile's (what a new project gets today) and the oldest that `package.json` allows.
 * Runs under whatever `node` is first on PATH; CI runs it on Node 22, 24 and 26.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { getPulumiDir } from "../support/automation";
import { OntapAdmin } from "../support/ontapAdmin";
import { type Simulator, startSimulator } from "../../simulator";
import { ENGINE_SETUP_TIMEOUT_MS, REPO_ROOT, prepareEngine } from "../e2e/helpers";

/** Installing a fresh project from the registry (npm's cache helps after the first time). */
const INSTALL_TIMEOUT_MS = 5 * 60_000;

interface PackageJson {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
interface PackageLock {
  packages: Record<string, { version?: string }>;
}

const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as PackageJson;
const lock = JSON.parse(readFileSync(path.join(REPO_ROOT, "package-lock.json"), "utf8")) as PackageLock;

/** The version the lockfile installs of a package. */
function locked(name: string): string {
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

/** The oldest version a `^x.y.z` range allows. */
function oldestAllowed(range: string | undefined): string {
  const m = /^\^(\d+\.\d+\.\d+)$/.exec(range ?? "");
  if (!m?.[1]) throw new Error(`expected a caret range for @pulumi/pulumi in package.json, got '${range}'`);
  return m[1];
}

/** The fenced blocks of one language in a Markdown text, in order. */
function codeBlocks(markdown: string, lang: string): string[] {
  return [...markdown.matchAll(new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```", "gm"))].map(
    (m) => m[1] ?? "",
  );
}

/** The README's Quick start: its shell block and its TypeScript block. */
async function quickStart(): Promise<{ bash: string; ts: string }> {
  const readme = await readFile(path.join(REPO_ROOT, "README.md"), "utf8");
  const start = readme.indexOf("\n## Quick start\n");
  expect(start).toBeGreaterThan(0);
  const section = readme.slice(start + 1, readme.indexOf("\n## ", start + 2));
  const [bash] = codeBlocks(section, "bash");
  const [ts] = codeBlocks(section, "ts");
  if (!bash || !ts) throw new Error("README's Quick start has no bash or no ts block");
  return { bash, ts };
}

interface Run {
  status: number | null;
  output: string;
}

const sdkVersions = [
  { which: "the lockfile's", version: locked("@pulumi/pulumi") },
  { which: "the oldest allowed", version: oldestAllowed(pkg.dependencies["@pulumi/pulumi"]) },
];

describe(`a user's project on Node ${process.version}`, () => {
  let tarball: string;
  let packDir: string;
  let pulumiDir: string;

  beforeAll(async () => {
    // Also checks that bin/ is current: the tarball packs it as it is.
    await prepareEngine();
    pulumiDir = await getPulumiDir();
    packDir = await mkdtemp(path.join(os.tmpdir(), "pulumi-ontap-pack-"));
    // bin/ is current (checked above): no need to run `prepare` again.
    const pack = spawnSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", packDir], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 120_000,
    });
    expect({ status: pack.status, stderr: pack.stderr }).toEqual({ status: 0, stderr: "" });
    tarball = path.join(packDir, pack.stdout.trim().split("\n").pop() ?? "");
    expect(path.basename(tarball)).toBe(`pulumi-ontap-keymanager-${pkg.version}.tgz`);
  }, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    if (packDir) await rm(packDir, { recursive: true, force: true });
  });

  describe.each(sdkVersions)("with @pulumi/pulumi $version ($which)", ({ version }) => {
    let dir: string;
    let sim: Simulator;
    let admin: OntapAdmin;
    let env: NodeJS.ProcessEnv;

    /**
     * Runs a command in the project, as the user would type it. Asynchronous: the simulator answers from this
     * process, so it must not be blocked while the command talks to it.
     */
    function run(command: string, args: string[], input?: string, timeout = 5 * 60_000): Promise<Run> {
      return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd: dir, env, stdio: ["pipe", "pipe", "pipe"], timeout });
        let output = "";
        child.stdout.setEncoding("utf8").on("data", (text: string) => (output += text));
        child.stderr.setEncoding("utf8").on("data", (text: string) => (output += text));
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, output }));
        child.stdin.end(input ?? "");
      });
    }
    /** Runs a `pulumi` command and expects it to succeed. */
    async function pulumi(...args: string[]): Promise<string> {
      const r = await run("pulumi", args);
      if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")} exited with ${r.status}:\n${r.output}`);
      return r.output;
    }

    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), "ontap-km-user-project-"));
      const home = path.join(dir, ".pulumi-home");
      env = {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ONTAP_"))),
        PATH: [pulumiDir, process.env.PATH ?? ""].join(path.delimiter),
        PULUMI_HOME: home,
        PULUMI_BACKEND_URL: `file://${path.join(dir, ".state")}`,
        PULUMI_CONFIG_PASSPHRASE: "user-project-state-passphrase",
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      };
      await Promise.all([".state", ".pulumi-home"].map((d) => mkdir(path.join(dir, d), { recursive: true })));
      // What `pulumi new typescript` writes (less its sample program).
      await writeFile(
        path.join(dir, "Pulumi.yaml"),
        "name: my-key-managers\nruntime:\n  name: nodejs\n  options:\n    packagemanager: npm\n" +
          "description: A user's project\n",
      );
      await writeFile(
        path.join(dir, "package.json"),
        JSON.stringify(
          {
            name: "my-key-managers",
            main: "index.ts",
            devDependencies: {
              "@types/node": locked("@types/node"),
              typescript: locked("typescript"),
            },
          },
          null,
          2,
        ),
      );
      await writeFile(
        path.join(dir, "tsconfig.json"),
        JSON.stringify(
          {
            compilerOptions: {
              strict: true,
              outDir: "bin",
              target: "es2020",
              module: "commonjs",
              moduleResolution: "node",
              sourceMap: true,
              experimentalDecorators: true,
              pretty: true,
              noFallthroughCasesInSwitch: true,
              noImplicitReturns: true,
              forceConsistentCasingInFileNames: true,
            },
            files: ["index.ts"],
          },
          null,
          2,
        ),
      );
      await copyFile(tarball, path.join(dir, path.basename(tarball)));
      await writeFile(path.join(dir, "index.ts"), (await quickStart()).ts);

      sim = await startSimulator({ ontapVersion: "9.13", jobDelayMs: 20 });
      admin = new OntapAdmin(sim);
    }, INSTALL_TIMEOUT_MS);

    afterAll(async () => {
      await admin?.close();
      await sim?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test(
      "installs from the tarball with exactly one copy of @pulumi/pulumi",
      async () => {
        const install = await run(
          "npm",
          ["install", "--no-audit", "--no-fund", `./${path.basename(tarball)}`, `@pulumi/pulumi@${version}`],
          undefined,
          INSTALL_TIMEOUT_MS,
        );
        expect({ status: install.status }).toEqual({ status: 0 });
        if (install.status !== 0) throw new Error(install.output);

        const ls = await run("npm", ["ls", "@pulumi/pulumi", "--all", "--parseable", "--long"]);
        expect(ls.status).toBe(0);
        expect(ls.output.trim().split("\n")).toEqual([
          `${path.join(dir, "node_modules", "@pulumi", "pulumi")}:@pulumi/pulumi@${version}`,
        ]);
      },
      INSTALL_TIMEOUT_MS,
    );

    test(
      "the README's Quick start: config commands, then preview, up, preview (no changes), refresh, destroy",
      async () => {
        await pulumi("stack", "init", "dev");
        await writeFile(path.join(dir, "cluster-ca.pem"), sim.caCert);
        const { bash } = await quickStart();
        expect(bash).toContain("cluster1.example.com");
        const config = await run(
          "bash",
          ["-euo", "pipefail", "-c", bash.replaceAll("cluster1.example.com", sim.url)],
          sim.password,
        );
        expect({ status: config.status }).toEqual({ status: 0 });
        expect((await pulumi("config", "get", "ontap:password")).trim()).toBe(sim.password);

        expect(await pulumi("preview")).toContain("+ 2 to create");
        expect(sim.keyManagers()).toEqual([]);

        const up = await pulumi("up", "--yes");
        expect(up).toContain("+ 2 created");
        const [km, ...others] = await admin.keyManagers();
        expect(others).toEqual([]);
        expect(km?.scope).toBe("cluster");
        expect(km?.external?.client_certificate?.uuid).toBe(await admin.certificateUuid("cluster-client"));
        expect(km?.external?.servers?.map((s) => s.server)).toEqual([
          "kms1.example.com:5696",
          "kms2.example.com:5697",
        ]);
        expect((await pulumi("stack", "output", "keyManagerUuid")).trim()).toBe(km?.uuid);

        await pulumi("preview", "--expect-no-changes");
        await pulumi("refresh", "--yes", "--expect-no-changes");

        expect(await pulumi("destroy", "--yes")).toContain("- 2 deleted");
        expect(sim.keyManagers()).toEqual([]);
      },
      10 * 60_000,
    );
  });
});
