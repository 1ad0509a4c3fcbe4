/**
 * End to end with the real Pulumi engine: what a reviewer reads in `pulumi preview --diff` (with and without
 * `--refresh`). The CLI renders lists by position and maps by key, and a dynamic provider cannot return a
 * detailed diff, so the KeyManager's servers and CA certificates are maps in state: a server added out of band
 * must read as that one server, not as a shifted list. Each case asserts the exact entry lines the CLI prints.
 * Also: a check failure shows its path and value (a secret says so), and state written by 0.1 (lists) shows no
 * change.
 */
import { type EngineStack, ontapConfig, openStack } from "../support/automation";
import { OntapAdmin } from "../support/ontapAdmin";
import { type Simulator, startSimulator } from "../../simulator";
import {
  E2E_TEST_TIMEOUT_MS,
  ENGINE_SETUP_TIMEOUT_MS,
  exampleDir,
  prepareEngine,
  projectNameOf,
} from "./helpers";

const projectDir = exampleDir("quickstart");
const project = projectNameOf(projectDir);

/** The servers config of the quickstart. */
function serversConfig(servers: unknown[]): Record<string, { value: string }> {
  return { [`${project}:servers`]: { value: JSON.stringify(servers) } };
}

const SERVERS = ["10.0.0.1", { server: "kmip.example.com:5697", timeout: 30 }];

/**
 * The lines of the CLI's diff that add, remove or change something (`+`, `-`, `~` first), with the resource
 * headers (`~ pulumi-nodejs:dynamic/ontap:KeyManager: (update)`) and the enclosing objects (`~ external: {`,
 * `~ servers: {`) left out, whitespace collapsed: what the reviewer's eye lands on.
 */
function changeLines(output: string): string[] {
  return (
    output
      .split("\n")
      .map((line) => line.trim().replace(/\s+/g, " "))
      .filter((line) => /^[-+~] /.test(line))
      .filter((line) => !/^[-+~] pulumi[-:]/.test(line))
      .filter((line) => !/^~ (external|servers|serverCaCertificates) ?: \{$/.test(line))
      // The summary (`~ 1 to update`, `~ 1 updated`).
      .filter((line) => !/^[-+~] \d+ (to |updated|created|deleted)/.test(line))
  );
}

/** The part of a `preview --refresh --diff` output about the refresh, and the part about the update. */
function refreshAndUpdate(output: string): { refresh: string; update: string } {
  const at = output.search(/^\s*~ pulumi-nodejs:dynamic\S*: \(update\)/m);
  expect(at).toBeGreaterThan(0);
  return { refresh: output.slice(0, at), update: output.slice(at) };
}

describe("preview text of a KeyManager (ONTAP 9.13, examples/quickstart)", () => {
  let sim: Simulator;
  let admin: OntapAdmin;
  let stack: EngineStack;
  let uuid: string;

  beforeAll(async () => {
    await prepareEngine();
    sim = await startSimulator({ ontapVersion: "9.13", jobDelayMs: 20 });
    admin = new OntapAdmin(sim);
    stack = await openStack({
      projectDir,
      config: {
        ...ontapConfig(sim),
        [`${project}:clientCertificate`]: { value: "cluster-client" },
        [`${project}:serverCaCertificates`]: { value: JSON.stringify(["cluster-ca-1"]) },
        ...serversConfig(SERVERS),
      },
    });
    await stack.up();
    uuid = (await admin.keyManager()).uuid;
  }, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
    await admin?.close();
    await sim?.close();
  });

  test(
    "a rogue server added out of band: the refresh shows `+` that server, the update `-` it, nothing else",
    async () => {
      await admin.addKeyServer(uuid, "10.66.66.66");
      const preview = await stack.preview({ refresh: true, diff: true });
      expect(preview.changes).toEqual({ "key-manager": ["update"] });
      const { refresh, update } = refreshAndUpdate(preview.output);
      expect(changeLines(refresh)).toEqual(["+ 10.66.66.66:5696 : {", "+ timeout : 25", '+ username: ""']);
      expect(changeLines(update)).toEqual(["- 10.66.66.66:5696 : {", "- timeout : 25", '- username: ""']);
      // No line about the other servers' positions: the shifted list the 0.1 layout showed.
      expect(preview.output).not.toMatch(/\[\d\]:/);

      // `up` prints the plan, then the step it runs: the same three lines each time.
      const heal = await stack.up({ refresh: true, diff: true });
      const removed = ["- 10.66.66.66:5696 : {", "- timeout : 25", '- username: ""'];
      expect(changeLines(refreshAndUpdate(heal.output).update)).toEqual([...removed, ...removed]);
      expect((await admin.keyManager()).external?.servers?.map((s) => s.server)).toEqual([
        "10.0.0.1:5696",
        "kmip.example.com:5697",
      ]);
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "a server removed out of band: the refresh shows `-` that server, the update `+` it",
    async () => {
      await admin.removeKeyServer(uuid, "10.0.0.1:5696");
      const preview = await stack.preview({ refresh: true, diff: true });
      expect(preview.changes).toEqual({ "key-manager": ["update"] });
      const { refresh, update } = refreshAndUpdate(preview.output);
      expect(changeLines(refresh)).toEqual(["- 10.0.0.1:5696 : {", "- timeout : 25", '- username: ""']);
      expect(changeLines(update)).toEqual(["+ 10.0.0.1:5696 : {", "+ timeout : 25", '+ username: ""']);
      await stack.up({ refresh: true });
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "a CA certificate added in the program: exactly that certificate's line",
    async () => {
      await stack.setConfig({
        [`${project}:serverCaCertificates`]: { value: JSON.stringify(["cluster-ca-2", "cluster-ca-1"]) },
      });
      const preview = await stack.preview({ diff: true });
      expect(preview.changes).toEqual({ "key-manager": ["update"] });
      expect(changeLines(preview.output)).toEqual(["+ cluster-ca-2: true"]);
      const up = await stack.up();
      expect(up.changes).toEqual({ "key-manager": ["update"] });
      expect((await stack.preview({ refresh: true })).changes).toEqual({});
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "a timeout changed in the program: exactly that server's timeout line",
    async () => {
      await stack.setConfig(serversConfig(["10.0.0.1", { server: "kmip.example.com:5697", timeout: 40 }]));
      const preview = await stack.preview({ diff: true });
      expect(preview.changes).toEqual({ "key-manager": ["update"] });
      expect(changeLines(preview.output)).toEqual(["~ kmip.example.com:5697: {", "~ timeout : 30 => 40"]);
      await stack.up();
      expect((await stack.preview({ refresh: true })).changes).toEqual({});
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "a check failure names the path and shows the value",
    async () => {
      await stack.setConfig(serversConfig(["10.0.0.1", { server: "kmip.example.com:5697", timeout: 99 }]));
      const failed = await stack.preview().then(
        () => "",
        (err: unknown) => String(err),
      );
      expect(failed).toContain(
        "resource 'key-manager' has a problem: external.servers[1].timeout: must be an integer from -1 to 60 " +
          "(seconds; -1 waits indefinitely and 0 does not wait, both need ONTAP 9.14 or later) (value: 99)",
      );
      expect(failed).not.toContain("<nil>");
      await stack.setConfig(serversConfig(SERVERS));
    },
    E2E_TEST_TIMEOUT_MS,
  );
});

describe("a check failure of a secret (ONTAP 9.13, examples/onboard-rotation)", () => {
  const onboardDir = exampleDir("onboard-rotation");
  const onboardProject = projectNameOf(onboardDir);
  const SHORT = "too-short-passphrase-e2e";
  let sim: Simulator;
  let stack: EngineStack;

  beforeAll(async () => {
    await prepareEngine();
    sim = await startSimulator({ ontapVersion: "9.13" });
    stack = await openStack({
      projectDir: onboardDir,
      config: { ...ontapConfig(sim), [`${onboardProject}:passphrase`]: { value: SHORT, secret: true } },
    });
  }, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
    await sim?.close();
  });

  test(
    "says `secret`, never the value",
    async () => {
      const failed = await stack.preview().then(
        () => "",
        (err: unknown) => String(err),
      );
      expect(failed).toContain(
        "has a problem: onboard.passphrase: must be 32 to 256 characters long (value: secret)",
      );
      expect(failed).not.toContain(SHORT);
      expect(failed).not.toContain("<nil>");
    },
    E2E_TEST_TIMEOUT_MS,
  );
});

/** A KeyManager's state in the 0.1 layout (sorted lists), as that release wrote it. */
function toListLayout(resource: {
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}): void {
  type Servers = Record<string, Record<string, unknown>>;
  const servers = (map: Servers): Record<string, unknown>[] =>
    Object.keys(map)
      .sort()
      .map((server) => ({ server, ...map[server] }));
  const inExt = resource.inputs?.external as { servers: Servers; serverCaCertificates: object };
  inExt.servers = servers(inExt.servers) as unknown as Servers;
  inExt.serverCaCertificates = Object.keys(inExt.serverCaCertificates).sort();
  const outExt = resource.outputs?.external as {
    servers: Servers;
    serverCaCertificates: Record<string, string>;
    serverCaCertificateUuids?: string[];
  };
  const cas = outExt.serverCaCertificates;
  outExt.servers = servers(outExt.servers) as unknown as Servers;
  outExt.serverCaCertificateUuids = Object.keys(cas)
    .sort()
    .map((ref) => cas[ref]!);
  outExt.serverCaCertificates = Object.keys(cas).sort() as unknown as Record<string, string>;
}

describe("upgrade: a stack whose state 0.1 wrote (lists) (ONTAP 9.13, examples/quickstart)", () => {
  let sim: Simulator;
  let admin: OntapAdmin;
  let stack: EngineStack;

  beforeAll(async () => {
    await prepareEngine();
    sim = await startSimulator({ ontapVersion: "9.13", jobDelayMs: 20 });
    admin = new OntapAdmin(sim);
    stack = await openStack({
      projectDir,
      config: {
        ...ontapConfig(sim),
        [`${project}:clientCertificate`]: { value: "cluster-client" },
        [`${project}:serverCaCertificates`]: { value: JSON.stringify(["cluster-ca-1", "cluster-ca-2"]) },
        ...serversConfig(SERVERS),
      },
    });
    await stack.up();
    // The same stack as 0.1 left it: its KeyManager's inputs and outputs in lists.
    const deployment = await stack.stack.exportStack();
    const state = deployment.deployment as {
      resources: {
        type: string;
        urn: string;
        inputs?: Record<string, unknown>;
        outputs?: Record<string, unknown>;
      }[];
    };
    const km = state.resources.find((r) => r.urn.endsWith("::key-manager"))!;
    toListLayout(km);
    expect(Array.isArray((km.outputs?.external as { servers: unknown }).servers)).toBe(true);
    await stack.stack.importStack(deployment);
  }, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
    await admin?.close();
    await sim?.close();
  });

  test(
    "preview, preview --refresh, refresh and up show no change and make no write; drift then reads by key",
    async () => {
      const preview = await stack.preview({ diff: true });
      expect(preview.changes).toEqual({});
      expect(changeLines(preview.output)).toEqual([]);

      const refreshing = await stack.preview({ refresh: true, diff: true });
      expect(refreshing.changes).toEqual({});
      expect(changeLines(refreshing.output)).toEqual([]);

      const refresh = await stack.refresh();
      expect(refresh.summary?.resourceChanges).not.toHaveProperty("update");

      sim.clearRequestLog();
      const up = await stack.up();
      expect(up.changes).toEqual({});
      expect(sim.requestLog().filter((e) => e.method !== "GET")).toEqual([]);

      // A rogue server: the update already reads by key (the inputs are maps from the first `up` on).
      await admin.addKeyServer((await admin.keyManager()).uuid, "10.66.66.66");
      const drift = await stack.preview({ refresh: true, diff: true });
      expect(drift.changes).toEqual({ "key-manager": ["update"] });
      expect(changeLines(refreshAndUpdate(drift.output).update)).toEqual([
        "- 10.66.66.66:5696 : {",
        "- timeout : 25",
        '- username: ""',
      ]);
    },
    E2E_TEST_TIMEOUT_MS,
  );
});
