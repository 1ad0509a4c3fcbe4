/**
 * KeyManager through the real dynamic provider host of @pulumi/pulumi, driven the way the engine drives it: the
 * serialized `__provider` captured from a program, a host started in a program directory that has our compiled
 * package installed (plain node, no TypeScript loader), the stack config sent by Configure with the password as a
 * secret, and check/diff/create/read/update/delete against the simulator.
 *
 * Needs `npm run build` first: the host loads bin/ from the program directory, never the sources.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { KeyManager } from "../../provider";
import { startSimulator, type Simulator } from "../../simulator";
import {
  captureProvider,
  HostCallError,
  isSecret,
  prepareProgramDir,
  PROVIDER_KEY,
  secret,
  startHost,
  UNKNOWN,
  type CapturedResource,
  type HostHandle,
  type PropertyMap,
  type PropertyValue,
} from "../support/host";

const PASSPHRASE = "Host-Onboard-Passphrase-1111111111-aaa";
const NEW_PASSPHRASE = "Host-Onboard-Passphrase-2222222222-bbb";

let sim: Simulator;
let programDir: string;
let host: HostHandle;
let onboard: CapturedResource<KeyManager>;
let external: CapturedResource<KeyManager>;
let onboardOpts: pulumi.CustomResourceOptions | undefined;
let firstCheckMs = 0;

/** Runs `promise`, which must fail in the host, and returns the error the engine would get. */
async function hostFailure(promise: Promise<unknown>): Promise<HostCallError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof HostCallError) return err;
    throw err;
  }
  throw new Error("expected the host call to fail, but it succeeded");
}

/** The value of a wire secret (fails the test when `v` is not one). */
function revealed(v: PropertyValue | undefined): PropertyValue {
  if (!isSecret(v)) throw new Error(`expected a secret, got ${JSON.stringify(v)}`);
  return v.value;
}

function record(v: PropertyValue | undefined): PropertyMap {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new Error(`not an object: ${JSON.stringify(v)}`);
  return v;
}

beforeAll(async () => {
  sim = await startSimulator({ ontapVersion: "9.13", jobDelayMs: 20 });
  programDir = await fs.realpath(await prepareProgramDir());
  const starting = startHost({ programDir }).then((h) => (host = h));
  const capturing = (async () => {
    // Declared through the installed copy, as a user's program does (the repository's own KeyManager is linked,
    // not under a node_modules, so the closure serializer inlines its provider by value instead of a require()).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed copy, loaded by path
    const installed = require(path.join(programDir, "node_modules", "pulumi-ontap-keymanager")) as {
      KeyManager: typeof KeyManager;
    };
    // A plain passphrase: the resource must make it secret by itself.
    onboard = await captureProvider(
      () =>
        new installed.KeyManager(
          "onboard",
          { onboard: { passphrase: PASSPHRASE } },
          {
            additionalSecretOutputs: ["external"],
            transformations: [
              (args) => {
                onboardOpts = args.opts;
                return undefined;
              },
            ],
          },
        ),
    );
    external = await captureProvider(
      () =>
        new KeyManager("external", {
          external: {
            clientCertificate: "cluster-client",
            serverCaCertificates: ["cluster-ca-1"],
            servers: ["10.0.0.1", { server: "10.0.0.2", timeout: 40 }],
          },
        }),
    );
  })();
  await Promise.allSettled([starting, capturing]);
  await capturing;
  await starting;
  await host.configure({
    "ontap:host": sim.url,
    "ontap:username": sim.username,
    "ontap:password": secret(sim.password),
    "ontap:caCert": sim.caCert,
  });
  const t0 = performance.now();
  await host.check(external.urn, {}, external.properties);
  firstCheckMs = performance.now() - t0;
});

beforeEach(() => sim.reset());

afterAll(async () => {
  await host?.close();
  await sim?.close();
});

test("the serialized provider is small, loads our package by name, and captures nothing secret", () => {
  const bytes = Buffer.byteLength(onboard.providerText, "utf8");
  console.log(
    `KeyManager __provider: ${bytes} bytes; host cold start: port after ${Math.round(host.timings.portMs)} ms, ` +
      `first answer after ${Math.round(host.timings.firstAnswerMs)} ms; first check (loads the package) ` +
      `${Math.round(firstCheckMs)} ms`,
  );
  // Installed in a node_modules, the provider object is a module's exports: the serializer writes a require() of it.
  expect(bytes).toBeLessThanOrEqual(600);
  expect(onboard.providerText).toContain(
    'require("pulumi-ontap-keymanager/bin/provider/resources/lazy/km.js")',
  );
  // What that require() finds in the host: the compiled JS of a real install, no sources, no TypeScript loader.
  expect(require.resolve("pulumi-ontap-keymanager/km", { paths: [programDir] })).toBe(
    path.join(
      programDir,
      "node_modules/pulumi-ontap-keymanager/bin/provider/resources/impl/keyManagerProvider.js",
    ),
  );
  expect(onboard.providerText).not.toContain(PASSPHRASE);
  expect(onboard.providerIsSecret).toBe(false);
  // Declared through the linked repository (not under a node_modules), the same object is inlined by value: its
  // one-liners load the implementation by package name too, and capture nothing.
  expect(external.providerText).toContain('require("pulumi-ontap-keymanager/km")');
  expect(external.providerText).not.toContain("__dirname");
  expect(external.providerIsSecret).toBe(false);
});

test("the resource makes onboard secret and lists it in additionalSecretOutputs", async () => {
  // Output properties are declared, not defined: a class field would overwrite what the SDK set up.
  expect(pulumi.Output.isInstance(onboard.resource.onboard)).toBe(true);
  expect(pulumi.Output.isInstance(onboard.resource.uuid)).toBe(true);
  expect(await pulumi.isSecret(onboard.resource.onboard)).toBe(true);
  expect(isSecret(onboard.inputs.onboard)).toBe(true);
  expect(revealed(onboard.inputs.onboard)).toEqual({ passphrase: PASSPHRASE });
  expect(onboardOpts?.additionalSecretOutputs).toEqual(["external", "onboard"]);
  expect(external.inputs.onboard).toBeUndefined();
  expect(JSON.stringify(external.inputs)).not.toContain("1b47061264138c4ac30d75fd1eb44270");
});

test("external: check, create, refresh, diff, update, read by id and delete, as the engine drives them", async () => {
  const checked = await host.check(external.urn, {}, external.properties);
  expect(checked.failures).toEqual([]);
  const created = await host.create(external.urn, checked.inputs);
  const km = sim.keyManagers() as {
    uuid: string;
    external: { servers: { server: string; timeout: number }[] };
  }[];
  expect(km).toHaveLength(1);
  expect(created.id).toBe(km[0]?.uuid);
  expect(km[0]?.external.servers).toMatchObject([
    { server: "10.0.0.1:5696", timeout: 25 },
    { server: "10.0.0.2:5696", timeout: 40 },
  ]);
  expect(created.properties[PROVIDER_KEY]).toBe(external.providerText);

  // Refresh with no drift, then preview: nothing to do.
  const refreshed = await host.read(created.id, external.urn, created.properties, checked.inputs);
  expect(refreshed.id).toBe(created.id);
  expect(refreshed.properties).toEqual(created.properties);
  const again = await host.check(external.urn, checked.inputs, external.properties);
  expect(await host.diff(created.id, external.urn, refreshed.properties, again.inputs)).toMatchObject({
    changes: "none",
    replaces: [],
  });

  // Preview with a server list that is not known yet: a possible update, no network call.
  sim.clearRequestLog();
  const previewInputs = {
    ...external.properties,
    external: { ...record(external.properties.external), servers: UNKNOWN },
  };
  const preview = await host.check(external.urn, checked.inputs, previewInputs);
  expect(preview.failures).toEqual([]);
  expect(await host.diff(created.id, external.urn, refreshed.properties, preview.inputs)).toMatchObject({
    changes: "some",
    replaces: [],
  });
  expect(sim.requestLog()).toEqual([]);

  // Add a server: an in-place update.
  const added = await host.check(external.urn, checked.inputs, {
    ...external.properties,
    external: {
      ...record(external.properties.external),
      servers: ["10.0.0.1", "10.0.0.3", { server: "10.0.0.2", timeout: 40 }],
    },
  });
  expect(await host.diff(created.id, external.urn, refreshed.properties, added.inputs)).toMatchObject({
    changes: "some",
    replaces: [],
  });
  const updated = await host.update(created.id, external.urn, refreshed.properties, added.inputs, {
    oldInputs: checked.inputs,
  });
  expect(await host.diff(created.id, external.urn, updated.properties, added.inputs)).toMatchObject({
    changes: "none",
  });
  expect((sim.keyManagers()[0] as { external: { servers: unknown[] } }).external.servers).toHaveLength(3);

  // Another SVM: replaced, the old one deleted first.
  const moved = await host.check(external.urn, added.inputs, {
    ...external.properties,
    svm: "vs0",
    external: { clientCertificate: "vs0-client", serverCaCertificates: ["vs0-ca-1"], servers: ["10.0.0.1"] },
  });
  expect(await host.diff(created.id, external.urn, updated.properties, moved.inputs)).toMatchObject({
    changes: "some",
    replaces: ["svm"],
    deleteBeforeReplace: true,
  });

  // KeyManager.get(name, id): the engine reads with nothing but the provider.
  const got = await host.read(created.id, external.urn, { [PROVIDER_KEY]: external.providerText });
  expect(got.id).toBe(created.id);
  expect(record(got.properties.external).servers).toEqual(record(updated.properties.external).servers);
  expect(got.inputs).toMatchObject({ adopt: false, serverManagement: "authoritative" });

  await host.delete(created.id, external.urn, updated.properties);
  expect(sim.keyManagers()).toEqual([]);
  expect(await host.read(created.id, external.urn, updated.properties, added.inputs)).toMatchObject({
    id: "",
  });
});

test("onboard: the passphrase travels as a secret and comes back only inside onboard", async () => {
  const checked = await host.check(onboard.urn, {}, onboard.properties);
  expect(checked.failures).toEqual([]);
  expect(revealed(checked.inputs.onboard)).toEqual({ passphrase: PASSPHRASE });
  const created = await host.create(onboard.urn, checked.inputs);
  expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(true);
  const raw = created.raw?.properties ?? {};
  expect(record(raw.onboard)).toMatchObject({ enabled: true, passphrase: PASSPHRASE });
  expect(typeof record(raw.onboard).keyBackup).toBe("string");
  const { onboard: _secretPart, ...rest } = raw;
  expect(JSON.stringify(rest)).not.toContain(PASSPHRASE);
  expect(revealed(created.properties.onboard)).toMatchObject({ passphrase: PASSPHRASE });

  // A second create in the same scope: refused, with the way out, and no passphrase.
  const conflict = await hostFailure(host.create(onboard.urn, checked.inputs));
  expect(conflict.details).toContain("`adopt: true`");

  // Rotation: one PATCH with the previous passphrase from state and the new one.
  const rotated = await host.check(onboard.urn, checked.inputs, {
    ...onboard.properties,
    onboard: secret({ passphrase: NEW_PASSPHRASE }),
  });
  expect(await host.diff(created.id, onboard.urn, created.properties, rotated.inputs)).toMatchObject({
    changes: "some",
    replaces: [],
  });
  const updated = await host.update(created.id, onboard.urn, created.properties, rotated.inputs);
  expect(sim.checkOnboardPassphrase(NEW_PASSPHRASE)).toBe(true);
  expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(false);
  expect(revealed(updated.properties.onboard)).toMatchObject({ passphrase: NEW_PASSPHRASE });

  // Refresh keeps the passphrase from state, still secret.
  const refreshed = await host.read(created.id, onboard.urn, updated.properties, rotated.inputs);
  expect(revealed(refreshed.properties.onboard)).toMatchObject({ enabled: true, passphrase: NEW_PASSPHRASE });
  expect(revealed(refreshed.inputs?.onboard)).toEqual({ passphrase: NEW_PASSPHRASE });

  // A rotation whose answer is lost is sent once more; ONTAP refuses it (65536139) because the first one was
  // applied, so the update succeeds with the new passphrase, still marked secret.
  sim.injectFault({
    method: "PATCH",
    path: `/api/security/key-managers/${created.id}`,
    action: { type: "drop-after-apply" },
  });
  const back = await host.check(onboard.urn, rotated.inputs, onboard.properties);
  const lost = await host.update(created.id, onboard.urn, refreshed.properties, back.inputs);
  expect(revealed(lost.properties.onboard)).toMatchObject({ passphrase: PASSPHRASE });
  expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(true);
  expect(host.stderr()).not.toContain(PASSPHRASE);

  // Delete refused while encrypted volumes depend on it: nothing deleted, and the user is told why.
  sim.seedEncryptedVolume("vs0");
  const refused = await hostFailure(host.delete(created.id, onboard.urn, refreshed.properties));
  expect(refused.details).toMatch(/was NOT deleted: .*65536867 \(encrypted volumes exist in the SVM\)/);
  expect(refused.details).toContain("Nothing was changed");
  expect(host.stderr()).toContain("was NOT deleted");
  expect(sim.keyManagers()).toHaveLength(1);
  sim.removeVolumes();
  await host.delete(created.id, onboard.urn, refreshed.properties);
  expect(sim.keyManagers()).toEqual([]);

  for (const err of [conflict, refused]) {
    for (const text of [err.details, err.message, JSON.stringify(err.initFailure?.reasons ?? [])]) {
      expect(text).not.toContain(PASSPHRASE);
      expect(text).not.toContain(NEW_PASSPHRASE);
    }
  }
});

test("an invalid input comes back as check failures naming the field, without the passphrase", async () => {
  const shortPassphrase = "Host-Short-Secret-77";
  const result = await host.check(
    onboard.urn,
    {},
    {
      ...onboard.properties,
      onboard: secret({ passphrase: shortPassphrase }),
    },
  );
  expect(result.failures).toEqual([
    { property: "", reason: "onboard.passphrase: must be 32 to 256 characters long (value: secret)" },
  ]);
  const scoped = await host.check(onboard.urn, {}, { ...onboard.properties, svm: "vs0" });
  expect(scoped.failures).toEqual([
    { property: "svm", reason: expect.stringContaining("only available at cluster scope") as string },
  ]);
  expect(JSON.stringify([result.failures, scoped.failures])).not.toMatch(/Host-Short-Secret-77|Host-Onboard/);
  expect(host.userVisibleOutput()).not.toContain(shortPassphrase);
});

test("nothing the host printed carries a secret", () => {
  const visible = host.userVisibleOutput();
  for (const s of [PASSPHRASE, NEW_PASSPHRASE, sim.password]) expect(visible).not.toContain(s);
  expect(host.engineLogs()).toEqual([]);
});

test("state written by the previous version (a by-value provider of one-liners) upgrades without a diff", async () => {
  // The provider object as version 0.1.0 wrote it into every resource's state: serialized by value.
  /* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access -- a copy of the old object */
  const previousProvider: pulumi.dynamic.ResourceProvider = {
    configure: (r) => require("pulumi-ontap-keymanager/km").configure(r),
    check: (o, n) => require("pulumi-ontap-keymanager/km").check(o, n),
    diff: (i, o, n) => require("pulumi-ontap-keymanager/km").diff(i, o, n),
    create: (n) => require("pulumi-ontap-keymanager/km").create(n),
    read: (i, p) => require("pulumi-ontap-keymanager/km").read(i, p),
    update: (i, o, n) => require("pulumi-ontap-keymanager/km").update(i, o, n),
    delete: (i, p) => require("pulumi-ontap-keymanager/km").delete(i, p),
  };
  /* eslint-enable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access */
  const previousText = (await pulumi.runtime.serializeFunction(() => previousProvider)).text;
  expect(previousText).not.toBe(onboard.providerText);
  const checkedBefore = await host.check(onboard.urn, {}, onboard.properties);
  const oldInputs = { ...checkedBefore.inputs, [PROVIDER_KEY]: previousText };
  const created = await host.create(onboard.urn, oldInputs);
  expect(created.properties[PROVIDER_KEY]).toBe(previousText);
  sim.clearRequestLog();

  // The new version's program: same arguments, the new __provider.
  const checked = await host.check(onboard.urn, oldInputs, onboard.properties);
  expect(checked.failures).toEqual([]);
  expect(await host.diff(created.id, onboard.urn, created.properties, checked.inputs)).toMatchObject({
    changes: "none",
    replaces: [],
  });
  // A refresh loads the provider the state names (the old one) and finds no drift.
  const refreshed = await host.read(created.id, onboard.urn, created.properties, oldInputs);
  expect(refreshed.id).toBe(created.id);
  expect(refreshed.properties).toEqual(created.properties);
  expect(sim.requestLog().filter((e) => e.method !== "GET")).toEqual([]);
});
