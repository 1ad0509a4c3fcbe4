/**
 * `KeyServer` through the real Pulumi dynamic provider host: the provider serialized from `new KeyServer(...)`
 * runs in plain node from a program directory with our compiled package installed, configured with the stack
 * config (the cluster password as a secret), against the simulator playing ONTAP 9.13.
 *
 * Needs `npm run build` first (the host loads bin/ only).
 */

import { startSimulator, type Simulator } from "../../simulator";
import { KeyServer } from "../../provider";
import {
  closeAllClients,
  createKeyManager,
  findKeyServer,
  getClient,
  resolveConnection,
  type OntapClient,
} from "../../provider/ontap";
import {
  HostCallError,
  PROVIDER_KEY,
  captureProvider,
  isSecret,
  prepareProgramDir,
  secret,
  startHost,
  unwrapSecretsIn,
  type CapturedResource,
  type HostHandle,
  type PropertyMap,
} from "../support/host";

const PASSWORD = "kmip-host-password-8c1e5f";

let sim: Simulator;
let client: OntapClient;
let host: HostHandle;
let km: string;
let captured: CapturedResource<KeyServer>;

beforeAll(async () => {
  sim = await startSimulator({ ontapVersion: "9.13", jobDelayMs: 10 });
  // Host start-up is slow: overlap it with the key manager's creation, and keep the host for afterAll either way.
  const starting = prepareProgramDir().then((programDir) => startHost({ programDir }));
  starting.then((h) => (host = h)).catch(() => undefined);
  client = getClient(
    resolveConnection({
      config: {
        "ontap:host": sim.url,
        "ontap:username": sim.username,
        "ontap:password": sim.password,
        "ontap:caCert": sim.caCert,
      },
      env: {},
    }),
  );
  km = (
    await createKeyManager(client, {
      external: {
        clientCertificate: { name: "cluster-client" },
        serverCaCertificates: [{ name: "cluster-ca-1" }],
        servers: [{ server: "10.0.0.1" }],
      },
    })
  ).uuid;
  // A plain-string password: the constructor makes it secret.
  captured = await captureProvider(
    () =>
      new KeyServer("ks", {
        keyManager: km,
        server: "KS1.example.com",
        timeout: 30,
        username: "kmip",
        password: PASSWORD,
      }),
  );
  host = await starting;
  await host.configure({
    "ontap:host": sim.url,
    "ontap:username": sim.username,
    "ontap:password": secret(sim.password),
    "ontap:caCert": sim.caCert,
  });
});

afterAll(async () => {
  await host?.close();
  await closeAllClients();
  await sim?.close();
});

const props = (overrides: PropertyMap = {}): PropertyMap => ({ ...captured.properties, ...overrides });

/** Everything in `map` but `password`, as text: the password must not be anywhere in it. */
const allButPassword = (map: PropertyMap): string => {
  const { password: _password, ...rest } = map;
  return JSON.stringify(rest);
};

test("the serialized provider is small, captures nothing, and loads the implementation by package name", () => {
  const text = captured.providerText;
  expect(captured.providerIsSecret).toBe(false);
  expect(text).toContain('require("pulumi-ontap-keymanager/ks")');
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(sim.password);
  expect(text).not.toMatch(/zod|undici|Agent/);
  // One-liners only (the KeyManager's is ~1.9 KB): the text is stored in every KeyServer's state.
  expect(Buffer.byteLength(text)).toBeLessThan(2_500);
  expect(captured.inputs).toEqual({
    keyManager: km,
    server: "KS1.example.com",
    timeout: 30,
    username: "kmip",
    password: secret(PASSWORD),
  });
});

test("check and diff: normalised inputs, the password still secret, no call to ONTAP", async () => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  const before = sim.requestLog().length;
  const { inputs, failures } = await host.check(captured.urn, {}, props());
  expect(failures).toEqual([]);
  expect(inputs).toEqual({
    keyManager: km,
    server: "ks1.example.com:5696",
    timeout: 30,
    username: "kmip",
    password: secret(PASSWORD),
    adopt: false,
    [PROVIDER_KEY]: captured.providerText,
  });

  const bad = await host.check(captured.urn, {}, props({ timeout: -2, username: "" }));
  expect(bad.failures.map((f) => f.property).sort()).toEqual(["timeout"]);

  const olds = unwrapSecretsIn(inputs);
  const same = (await host.check(captured.urn, {}, props({ server: "ks1.example.com:5696" }))).inputs;
  expect(await host.diff("id", captured.urn, olds, same)).toMatchObject({ changes: "none", replaces: [] });
  const longer = (await host.check(captured.urn, {}, props({ timeout: 31 }))).inputs;
  expect(await host.diff("id", captured.urn, olds, longer)).toMatchObject({ changes: "some", replaces: [] });
  const moved = (await host.check(captured.urn, {}, props({ server: "ks2.example.com" }))).inputs;
  expect(await host.diff("id", captured.urn, olds, moved)).toMatchObject({
    changes: "some",
    replaces: ["server"],
    deleteBeforeReplace: false,
  });
  expect(sim.requestLog().length).toBe(before);
});

test("create, read, update, delete; the password only ever in the password output", async () => {
  const { inputs } = await host.check(captured.urn, {}, props());
  const created = await host.create(captured.urn, inputs);
  const id = `${km}/ks1.example.com:5696`;
  expect(created.id).toBe(id);
  expect(isSecret(created.properties.password)).toBe(true);
  expect(created.raw?.properties.password).toBe(PASSWORD);
  expect(allButPassword(created.raw!.properties)).not.toContain(PASSWORD);
  expect(await findKeyServer(client, km, "ks1.example.com:5696")).toMatchObject({
    timeout: 30,
    username: "kmip",
  });

  const read = await host.read(id, captured.urn, created.properties, inputs);
  expect(read.id).toBe(id);
  expect(read.properties).toMatchObject({
    server: "ks1.example.com:5696",
    password: secret(PASSWORD),
    connectivity: { clusterAvailability: true },
  });
  expect(read.inputs).toMatchObject({ password: secret(PASSWORD), timeout: 30 });
  expect(allButPassword(read.raw.properties)).not.toContain(PASSWORD);
  expect((await host.diff(id, captured.urn, unwrapSecretsIn(read.properties), inputs)).changes).toBe("none");

  const rotated = (
    await host.check(captured.urn, {}, props({ password: secret(`${PASSWORD}-2`), timeout: 45 }))
  ).inputs;
  const updated = await host.update(id, captured.urn, unwrapSecretsIn(read.properties), rotated);
  expect(updated.properties).toMatchObject({ timeout: 45, password: secret(`${PASSWORD}-2`) });
  expect(updated.properties.connectivity).toEqual(read.properties.connectivity);
  expect(await findKeyServer(client, km, "ks1.example.com:5696")).toMatchObject({ timeout: 45 });

  await host.delete(id, captured.urn, unwrapSecretsIn(updated.properties));
  expect(await findKeyServer(client, km, "ks1.example.com:5696")).toBeUndefined();
  expect(await host.read(id, captured.urn, unwrapSecretsIn(updated.properties))).toMatchObject({ id: "" });
});

test("ONTAP's refusals come back explained, without the password", async () => {
  const { inputs } = await host.check(captured.urn, {}, props({ server: "10.0.0.1" }));
  const err = await host.create(captured.urn, inputs).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HostCallError);
  expect((err as HostCallError).details).toContain(`key manager ${km} already has key server 10.0.0.1:5696`);
  expect((err as HostCallError).details).not.toContain(PASSWORD);

  const adopted = await host.create(captured.urn, { ...inputs, adopt: true });
  expect(adopted.id).toBe(`${km}/10.0.0.1:5696`);
  sim.setServerHoldsKeys(km, "10.0.0.1:5696", true);
  const refused = await host
    .delete(adopted.id, captured.urn, unwrapSecretsIn(adopted.properties))
    .catch((e: unknown) => e);
  expect((refused as HostCallError).details).toContain("65536700");
  expect((refused as HostCallError).details).not.toContain(PASSWORD);
});

test("removing the password fails at check through the host, saying how to proceed, without showing it", async () => {
  const before = sim.requestLog().length;
  const olds = unwrapSecretsIn((await host.check(captured.urn, {}, props())).inputs);
  const { password: _password, ...withoutPassword } = props();
  const { failures } = await host.check(captured.urn, olds, withoutPassword);
  expect(failures).toEqual([
    { property: "", reason: expect.stringContaining("password: cannot be removed") as string },
  ]);
  expect(JSON.stringify(failures)).not.toContain(PASSWORD);
  expect(sim.requestLog().length).toBe(before);
});

test("nothing the host printed or logged carries the password or the cluster password", () => {
  const visible = host.userVisibleOutput();
  expect(visible).not.toContain(PASSWORD);
  expect(visible).not.toContain(sim.password);
});
