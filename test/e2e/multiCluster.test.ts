/**
 * End to end with the real Pulumi engine: examples/multi-cluster, one program managing the key managers of two
 * clusters through named connection profiles in the secret stack config `ontap:profiles`. The two clusters play
 * different releases (9.6 and 9.13), as the two sites of a real estate sometimes do during an upgrade. The
 * profiles are set by running the example README's `pulumi config set --path ...` commands as written, with the
 * simulators' hosts, passwords and CA files put in for the placeholders.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { type EngineStack, openStack } from "../support/automation";
import { OntapAdmin } from "../support/ontapAdmin";
import { type Simulator, startSimulator } from "../../simulator";
import {
  E2E_TEST_TIMEOUT_MS,
  ENGINE_SETUP_TIMEOUT_MS,
  ciphertexts,
  exampleDir,
  expectNoPlaintextSecrets,
  prepareEngine,
  projectNameOf,
  REPO_ROOT,
} from "./helpers";

/** The fenced blocks of one language in a Markdown text, in order. */
function codeBlocks(markdown: string, lang: string): string[] {
  return [...markdown.matchAll(new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```", "gm"))].map(
    (m) => m[1] ?? "",
  );
}

/** Single-quotes a value for bash. */
const quoted = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`;

describe("key managers on two clusters through connection profiles", () => {
  const projectDir = exampleDir("multi-cluster");
  const project = projectNameOf(projectDir);
  let siteA: Simulator;
  let siteB: Simulator;
  let adminA: OntapAdmin;
  let adminB: OntapAdmin;
  let stack: EngineStack;
  let caDir: string;

  beforeAll(async () => {
    await prepareEngine();
    siteA = await startSimulator({ ontapVersion: "9.6", clusterName: "site-a" });
    siteB = await startSimulator({ ontapVersion: "9.13", clusterName: "site-b", jobDelayMs: 20 });
    adminA = new OntapAdmin(siteA);
    adminB = new OntapAdmin(siteB);
    caDir = await mkdtemp(path.join(os.tmpdir(), "pulumi-ontap-e2e-ca-"));
    stack = await openStack({
      projectDir,
      config: {
        [`${project}:clusters`]: {
          value: JSON.stringify({
            siteA: {
              clientCertificate: "cluster-client",
              serverCaCertificates: ["cluster-ca-1"],
              servers: ["10.10.0.1", "10.10.0.2"],
            },
            siteB: {
              svm: "vs1",
              clientCertificate: "vs1-client",
              serverCaCertificates: ["vs1-ca-1", "vs1-ca-2"],
              servers: ["10.20.0.1"],
            },
          }),
        },
      },
    });
  }, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
    await adminA?.close();
    await adminB?.close();
    await siteA?.close();
    await siteB?.close();
    if (caDir) await rm(caDir, { recursive: true, force: true });
  });

  test("the README's profile commands, run as written, set both profiles", async () => {
    const readme = readFileSync(path.join(projectDir, "README.md"), "utf8");
    const [profileCommands] = codeBlocks(readme, "bash");
    expect(profileCommands).toContain("ontap:profiles.siteA.caCert");
    // The top-level README's profile commands are a part of these, so this test runs them too.
    const topLevel = readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
    const topSection = topLevel.slice(topLevel.indexOf("### Several clusters (profiles)"));
    for (const line of (codeBlocks(topSection, "bash")[0] ?? "").split("\n").filter((l) => l.trim() !== "")) {
      expect(profileCommands).toContain(line);
    }

    const sites = { A: siteA, B: siteB };
    let script = profileCommands ?? "";
    for (const [letter, sim] of Object.entries(sites)) {
      const caFile = path.join(caDir, `cluster-${letter.toLowerCase()}-ca.pem`);
      await writeFile(caFile, sim.caCert);
      script = script
        .replaceAll(`cluster-${letter.toLowerCase()}.example.com`, sim.url)
        .replaceAll(`cluster-${letter.toLowerCase()}-ca.pem`, quoted(caFile))
        .split("\n")
        .map((line) =>
          line.includes(`ontap:profiles.site${letter}.password`)
            ? line.replace("'...'", quoted(sim.password))
            : line,
        )
        .join("\n");
    }
    const run = spawnSync("bash", ["-euo", "pipefail", "-c", script], {
      cwd: projectDir,
      env: { ...process.env, ...stack.cliEnv },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: "" });

    const config = await stack.stack.getAllConfig();
    const profiles = JSON.parse(config["ontap:profiles"]?.value ?? "{}") as Record<
      string,
      Record<string, string>
    >;
    expect(config["ontap:profiles"]?.secret).toBe(true);
    expect(profiles).toEqual({
      siteA: { host: siteA.url, username: "admin", password: siteA.password, caCert: siteA.caCert.trimEnd() },
      siteB: { host: siteB.url, username: "admin", password: siteB.password, caCert: siteB.caCert.trimEnd() },
    });
  });

  test(
    "up creates each key manager on its own cluster; a second preview shows no changes",
    async () => {
      const up = await stack.up();
      expect(up.changes).toEqual({ "key-manager-siteA": ["create"], "key-manager-siteB": ["create"] });

      const [a, ...moreA] = await adminA.keyManagers();
      const [b, ...moreB] = await adminB.keyManagers();
      expect([moreA, moreB]).toEqual([[], []]);
      expect(a?.scope).toBe("cluster");
      expect(a?.external?.servers?.map((s) => s.server)).toEqual(["10.10.0.1:5696", "10.10.0.2:5696"]);
      expect(b?.svm?.name).toBe("vs1");
      expect(b?.external?.servers?.map((s) => s.server)).toEqual(["10.20.0.1:5696"]);
      expect(await stack.outputs()).toEqual({ keyManagerUuids: { siteA: a?.uuid, siteB: b?.uuid } });

      expect((await stack.preview({ refresh: true })).changes).toEqual({});
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "the stored state holds neither cluster's password in plain text; destroy empties both clusters",
    async () => {
      const stored = await stack.storedText();
      expectNoPlaintextSecrets(stored, {
        "site A password": siteA.password,
        "site B password": siteB.password,
      });
      expect(ciphertexts(stored)).toBeGreaterThan(0);

      const destroy = await stack.destroy();
      expect(destroy.changes).toEqual({ "key-manager-siteA": ["delete"], "key-manager-siteB": ["delete"] });
      expect(siteA.keyManagers()).toEqual([]);
      expect(siteB.keyManagers()).toEqual([]);
    },
    E2E_TEST_TIMEOUT_MS,
  );
});
