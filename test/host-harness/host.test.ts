/* eslint-disable @typescript-eslint/no-require-imports -- the serialized provider must require its implementation
   by package name at call time, inside the host: that is the pattern this harness exists to exercise. */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as grpc from "@grpc/grpc-js";
import {
  captureProvider,
  HostCallError,
  isSecret,
  prepareProgramDir,
  PROVIDER_KEY,
  secret,
  startHost,
  writePackage,
  type CapturedResource,
  type ConfigureResult,
  type HostHandle,
  type PropertyMap,
} from "../support/host";
import { FIXTURE_PACKAGE, fixtureFiles } from "./fixture";

type Impl = Required<pulumi.dynamic.ResourceProvider>;

// One-liners: all logic lives in the fixture package, resolved from the host's working directory.
const fixtureProvider: pulumi.dynamic.ResourceProvider = {
  configure: (req) => (require("harness-fixture-provider") as Impl).configure(req),
  check: (olds, news) => (require("harness-fixture-provider") as Impl).check(olds, news),
  diff: (id, olds, news) => (require("harness-fixture-provider") as Impl).diff(id, olds, news),
  create: (inputs) => (require("harness-fixture-provider") as Impl).create(inputs),
  read: (id, props) => (require("harness-fixture-provider") as Impl).read(id, props),
  update: (id, olds, news) => (require("harness-fixture-provider") as Impl).update(id, olds, news),
  delete: (id, props) => (require("harness-fixture-provider") as Impl).delete(id, props),
};

// Distinct provider texts get distinct entries in the host's provider cache, hence their own configure call.
const racyProvider: pulumi.dynamic.ResourceProvider = {
  configure: (req) => (require("harness-fixture-provider") as Fixture).configureRacy(req),
  check: (olds, news) => (require("harness-fixture-provider") as Fixture).checkRacy(olds, news),
  create: (inputs) => (require("harness-fixture-provider") as Impl).create(inputs),
};
const failingProvider: pulumi.dynamic.ResourceProvider = {
  configure: (req) => (require("harness-fixture-provider") as Fixture).configureFailing(req),
  check: (olds, news) => (require("harness-fixture-provider") as Fixture).checkFailing(olds, news),
  create: (inputs) => (require("harness-fixture-provider") as Impl).create(inputs),
};

interface Fixture {
  configureRacy: Impl["configure"];
  checkRacy: Impl["check"];
  configureFailing: Impl["configure"];
  checkFailing: Impl["check"];
}

class FixtureResource extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    args: Record<string, pulumi.Input<string | number>>,
    provider: pulumi.dynamic.ResourceProvider = fixtureProvider,
  ) {
    super(provider, name, args, undefined, "harness", "Fixture");
  }
}

const PASSWORD = "hunter2-input-secret";
const CONFIG_PASSWORD = "config-secret-4711";

let programDir: string;
let captured: CapturedResource<FixtureResource>;
let host: HostHandle;
let configured: ConfigureResult;

beforeAll(async () => {
  programDir = await fs.realpath(await prepareProgramDir());
  await writePackage(programDir, FIXTURE_PACKAGE, fixtureFiles);
  // Host start-up and provider serialization are both slow: overlap them, and keep the host for afterAll either way.
  const starting = startHost({ programDir }).then((h) => (host = h));
  const capturing = captureProvider(
    () => new FixtureResource("widget", { name: "widget", size: 3, password: pulumi.secret(PASSWORD) }),
  );
  await Promise.allSettled([starting, capturing]);
  captured = await capturing;
  await starting;
  configured = await host.configure({
    "fixture:host": "198.51.100.7",
    "fixture:password": secret(CONFIG_PASSWORD),
    "host-harness:greeting": "hello",
  });
});

afterAll(async () => {
  await host?.close();
});

/** Properties for a lifecycle call: the captured registration with some inputs changed. */
const props = (overrides: PropertyMap = {}): PropertyMap => ({ ...captured.properties, ...overrides });

describe("program directory", () => {
  test("holds our package as a real copy and its dependencies resolvable", async () => {
    const own = path.join(programDir, "node_modules", "pulumi-ontap-keymanager");
    expect((await fs.lstat(own)).isSymbolicLink()).toBe(false);
    expect((await fs.lstat(path.join(own, "bin"))).isSymbolicLink()).toBe(false);
    expect(require.resolve("pulumi-ontap-keymanager", { paths: [programDir] })).toBe(
      path.join(own, "bin", "provider", "index.js"),
    );
    for (const dep of ["zod", "undici", "selfsigned", "@pulumi/pulumi"]) {
      expect(() => require.resolve(dep, { paths: [own] })).not.toThrow();
    }
  });
});

describe("captureProvider", () => {
  test("captures the serialized provider and the registered inputs, secrets marked", () => {
    expect(captured.type).toBe("pulumi-nodejs:dynamic/harness:Fixture");
    expect(captured.urn).toBe("urn:pulumi:test::host-harness::pulumi-nodejs:dynamic/harness:Fixture::widget");
    expect(captured.providerIsSecret).toBe(false);
    expect(captured.providerText).toContain('require("harness-fixture-provider")');
    expect(captured.providerText).not.toContain(PASSWORD);
    expect(captured.inputs).toEqual({ name: "widget", size: 3, password: secret(PASSWORD) });
    expect(captured.properties[PROVIDER_KEY]).toBe(captured.providerText);
  });
});

describe("dynamic provider host", () => {
  test("starts like the engine starts it and reports the SDK version", () => {
    // The host is the one of the installed SDK (whatever version the lockfile holds).
    const sdk = require("@pulumi/pulumi/package.json") as { version: string };
    expect(host.pluginVersion).toBe(sdk.version);
    expect(host.pluginVersion).toMatch(/^3\.\d+\.\d+$/);
    expect(host.stdout().split("\n")[0]).toMatch(/^\d+$/);
    expect(host.engineLogs()).toEqual([]);
  });

  test("Configure: no secrets or previews accepted; CheckConfig unimplemented", () => {
    expect(configured).toEqual({
      acceptSecrets: false,
      acceptResources: false,
      supportsPreview: false,
      acceptOutputs: false,
      checkConfig: {
        code: grpc.status.UNIMPLEMENTED,
        details: expect.stringContaining("CheckConfig") as string,
      },
    });
  });

  test("check: the provider sees plain values; the engine re-marks the secret input", async () => {
    const { inputs, failures, raw } = await host.check(captured.urn, {}, props());
    expect(failures).toEqual([]);
    expect(raw.inputs).toMatchObject({ password: PASSWORD, checked: true, sawSecretMarker: false });
    expect(inputs.password).toEqual(secret(PASSWORD));
    expect(inputs[PROVIDER_KEY]).toBe(captured.providerText);
  });

  test("check: failures come back as failures", async () => {
    const { failures } = await host.check(captured.urn, {}, props({ size: -1 }));
    expect(failures).toEqual([{ property: "size", reason: "size must not be negative" }]);
  });

  test("create: configure got the stack config with secrets unwrapped; no TypeScript loader", async () => {
    const created = await host.create(captured.urn, props());
    expect(created.id).toBe("fx-widget");
    const out = created.properties;
    expect(out.configSeen).toEqual({
      host: "198.51.100.7",
      password: CONFIG_PASSWORD,
      projectRelative: "hello",
      missing: null,
    });
    expect(out.configureCalls).toBe(1);
    expect(out.loader).toEqual({
      tsExtension: false,
      tsNode: false,
      execArgv: [],
      nodeOptions: null,
      cwd: programDir,
      fixtureFile: path.join(programDir, "node_modules", FIXTURE_PACKAGE, "index.js"),
      pulumiResolvedFrom: expect.stringContaining(path.join("node_modules", "@pulumi", "pulumi")) as string,
    });
    expect(host.stderr()).toContain("fixture: creating widget\n");
  });

  test("create: only outputs named like a secret input come back secret", async () => {
    const created = await host.create(captured.urn, props());
    expect(created.raw?.properties.password).toBe(PASSWORD);
    expect(created.raw?.properties.sawSecretMarker).toBe(false);
    expect(isSecret(created.properties.password)).toBe(true);
    // Same value, other name: the engine cannot know; that is what additionalSecretOutputs is for.
    expect(created.properties.passwordCopy).toBe(PASSWORD);
  });

  test("create during preview never reaches the host", async () => {
    const created = await host.create(captured.urn, props({ name: "preview-only" }), true);
    expect(created).toMatchObject({ id: "", hostCalled: false });
    expect(host.stderr()).not.toContain("preview-only");
  });

  test("diff: none, some, and replace with delete-before-replace", async () => {
    const olds = props();
    expect(await host.diff("fx-widget", captured.urn, olds, props())).toMatchObject({
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await host.diff("fx-widget", captured.urn, olds, props({ size: 4 }))).toMatchObject({
      changes: "some",
      replaces: [],
    });
    expect(await host.diff("fx-widget", captured.urn, olds, props({ name: "other" }))).toMatchObject({
      changes: "some",
      replaces: ["name"],
      deleteBeforeReplace: true,
    });
  });

  test("read: refreshed outputs and inputs, secrets re-marked; empty id means gone", async () => {
    const state = (await host.create(captured.urn, props())).properties;
    const read = await host.read("fx-widget", captured.urn, state, props());
    expect(read.id).toBe("fx-widget");
    expect(read.properties.size).toBe(99);
    expect(read.inputs).toEqual({
      name: "widget",
      size: 99,
      password: secret(PASSWORD),
      [PROVIDER_KEY]: captured.providerText,
    });
    expect(await host.read("fx-gone", captured.urn, state, props())).toMatchObject({
      id: "",
      properties: {},
      inputs: undefined,
    });
  });

  test("update: olds are the old outputs, results come back re-marked", async () => {
    const olds = (await host.create(captured.urn, props())).properties;
    const updated = await host.update("fx-widget", captured.urn, olds, props({ size: 5 }), {
      oldInputs: props(),
    });
    expect(updated.properties).toMatchObject({ size: 5, previousSize: 3, password: secret(PASSWORD) });
  });

  test("delete reaches the provider", async () => {
    await host.delete("fx-widget", captured.urn, props());
    expect(host.stderr()).toContain("fixture: deleted fx-widget\n");
  });

  test("errors thrown by the provider come back with their message; check errors also go to stderr", async () => {
    const checkErr = await host
      .check(captured.urn, {}, props({ mode: "throw-check" }))
      .catch((e: unknown) => e);
    expect(checkErr).toBeInstanceOf(HostCallError);
    expect(checkErr).toMatchObject({ code: grpc.status.UNKNOWN, details: "check refused widget" });
    expect(host.stderr()).toContain("Error: check refused widget: Error: check refused widget\n    at ");

    await expect(host.create(captured.urn, props({ mode: "throw-create" }))).rejects.toMatchObject({
      method: "Create",
      details: "create refused for widget",
    });
    await expect(host.delete("fx-widget", captured.urn, props({ mode: "throw-delete" }))).rejects.toThrow(
      "Delete failed: UNKNOWN: delete refused for fx-widget",
    );
  });

  test("a create error carrying an id is a partial failure whose properties the engine keeps", async () => {
    const err = await host.create(captured.urn, props({ mode: "partial" })).catch((e: unknown) => e);
    expect(err).toMatchObject({
      details: "created but not ready",
      initFailure: { id: "fx-partial", properties: { name: "widget", password: secret(PASSWORD) } },
    });
    expect((err as HostCallError).initFailure?.reasons).toEqual(["not ready yet"]);
  });

  test("an error's numeric code and string details replace the gRPC status and the message", async () => {
    await expect(host.read("fx-widget", captured.urn, props({ mode: "grpc-fields" }))).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: "details text wins",
    });
  });

  test("an undefined output value fails the whole call in the host", async () => {
    await expect(host.create(captured.urn, props({ mode: "undefined-output" }))).rejects.toMatchObject({
      details: "Unexpected struct type.",
    });
  });

  test("pulumi.log prints to the host's stdout (not to the engine); pulumi.Config sees no stack config", async () => {
    const created = await host.create(captured.urn, props({ mode: "pulumi-api" }));
    expect(host.stdout()).toContain("info: [runtime] fixture log for widget\n");
    expect(host.engineLogs()).toEqual([]);
    expect(created.properties.pulumiConfigHost).toBeNull();
  });

  test("configure is not awaited by calls that race the first one", async () => {
    const racy = await captureProvider(() => new FixtureResource("racy", { name: "racy" }, racyProvider));
    const results = await Promise.all([
      host.check(racy.urn, {}, racy.properties),
      host.check(racy.urn, {}, racy.properties),
    ]);
    expect(results.map((r) => r.inputs.configSeen).sort()).toEqual(["198.51.100.7", null]);
  });

  test("a configure that throws fails one call, then the provider runs unconfigured", async () => {
    const failing = await captureProvider(
      () => new FixtureResource("failing", { name: "f" }, failingProvider),
    );
    await expect(host.check(failing.urn, {}, failing.properties)).rejects.toMatchObject({
      details: "configure refused: fixture:host is not reachable",
    });
    const { inputs } = await host.check(failing.urn, {}, failing.properties);
    expect(inputs.failingConfigureCalls).toBe(1);
  });

  test("nothing the host printed or logged carries a secret, failures included", async () => {
    await expect(host.check(captured.urn, {}, props({ mode: "throw-check" }))).rejects.toThrow();
    await expect(host.create(captured.urn, props({ mode: "throw-create" }))).rejects.toThrow();
    await host.create(captured.urn, props());
    const visible = host.userVisibleOutput();
    expect(visible).toContain("check refused widget");
    expect(visible).not.toContain(PASSWORD);
    expect(visible).not.toContain(CONFIG_PASSWORD);
  });
});

test("the CLI's shell shim starts the same host, and close() ends it", async () => {
  const shimHost = await startHost({ programDir, launcher: "shim" });
  try {
    await shimHost.configure({});
    const { inputs } = await shimHost.check(captured.urn, {}, props());
    expect(inputs.checked).toBe(true);
  } finally {
    await shimHost.close();
  }
  expect(shimHost.exitStatus()).toBeDefined();
});
