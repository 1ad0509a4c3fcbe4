/**
 * The bad-input corpus: every case is rejected by `check` with a failure naming the field, with no network call,
 * without throwing, and without echoing a secret (the passphrase, the KMIP password, the connection password).
 * `create` and `update` refuse the same inputs before any call too, should they ever get them unchecked. Inputs
 * nested thousands of levels deep, cyclic or huge are among them, and no provider method ever throws
 * synchronously: a failure is a check failure or a rejected promise.
 */
import { closeAllClients, openTransportCount } from "../../provider/ontap";
import { startSimulator, type Simulator } from "../../simulator";
import { type Impl, type Props, configure, km, ks, simConfig } from "./support";

const PASSPHRASE = "Corpus-Passphrase-0123456789-abcdefghijkl";
const PASSWORD = "corpus-kmip-password-s3cr3t";
const KM_UUID = "0f0e0d0c-0b0a-4909-8807-060504030201";

const ext = (servers: unknown, extra: Props = {}): Props => ({
  external: {
    clientCertificate: "cluster-client",
    serverCaCertificates: ["cluster-ca-1"],
    servers,
    ...extra,
  },
});
const server = (address: unknown): Props => ext([address]);

/** A value nested `levels` deep: objects in objects, or arrays in arrays. */
function nested(levels: number, kind: "object" | "array" = "object"): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < levels; i++) value = kind === "object" ? { a: value } : [value];
  return value;
}

interface Case {
  /** What is wrong. */
  name: string;
  /** Which resource. */
  impl: Impl;
  /** The inputs, as a program (or a buggy engine) would send them. */
  inputs: unknown;
  /** The field a failure must name (its `property`, or the start of its reason). */
  field: string;
  /** Secret values inside the inputs that must not come back. */
  secrets?: string[];
}

const KM_CASES: Omit<Case, "impl">[] = [
  // svm
  { name: "svm empty string", inputs: { svm: "", ...server("10.0.0.1") }, field: "svm" },
  { name: "svm with surrounding spaces", inputs: { svm: " vs0 ", ...server("10.0.0.1") }, field: "svm" },
  { name: "svm of the wrong type", inputs: { svm: 7, ...server("10.0.0.1") }, field: "svm" },
  { name: "svm with a control character", inputs: { svm: "vs0\u0007", ...server("10.0.0.1") }, field: "svm" },
  // modes
  { name: "neither external nor onboard", inputs: {}, field: "external" },
  {
    name: "both external and onboard",
    inputs: { ...server("10.0.0.1"), onboard: { passphrase: PASSPHRASE } },
    field: "external",
    secrets: [PASSPHRASE],
  },
  {
    name: "onboard on an SVM",
    inputs: { svm: "vs0", onboard: { passphrase: PASSPHRASE } },
    field: "svm",
    secrets: [PASSPHRASE],
  },
  { name: "external of the wrong type", inputs: { external: "10.0.0.1" }, field: "external" },
  {
    name: "onboard of the wrong type (a bare passphrase)",
    inputs: { onboard: PASSPHRASE },
    field: "onboard",
    secrets: [PASSPHRASE],
  },
  // passphrase
  {
    name: "passphrase of 31 characters",
    inputs: { onboard: { passphrase: PASSPHRASE.slice(0, 31) } },
    field: "onboard.passphrase",
    secrets: [PASSPHRASE.slice(0, 31)],
  },
  {
    name: "passphrase of 257 characters",
    inputs: { onboard: { passphrase: PASSPHRASE.repeat(7).slice(0, 257) } },
    field: "onboard.passphrase",
    secrets: [PASSPHRASE.repeat(7).slice(0, 257)],
  },
  {
    name: "passphrase with non-ASCII",
    inputs: { onboard: { passphrase: `${PASSPHRASE}-Ünïcødé` } },
    field: "onboard.passphrase",
    secrets: [`${PASSPHRASE}-Ünïcødé`],
  },
  {
    name: "passphrase with a newline",
    inputs: { onboard: { passphrase: `${PASSPHRASE}\nsecond-line` } },
    field: "onboard.passphrase",
    secrets: [`${PASSPHRASE}\nsecond-line`, "second-line"],
  },
  { name: "passphrase empty", inputs: { onboard: { passphrase: "" } }, field: "onboard.passphrase" },
  {
    name: "passphrase of the wrong type",
    inputs: { onboard: { passphrase: 12345 } },
    field: "onboard.passphrase",
  },
  {
    name: "unknown field in onboard",
    inputs: { onboard: { passphrase: PASSPHRASE, existingPassphrase: `${PASSPHRASE}-old` } },
    field: "onboard.existingPassphrase",
    secrets: [PASSPHRASE, `${PASSPHRASE}-old`],
  },
  {
    name: "misplaced top-level passphrase",
    inputs: { ...server("10.0.0.1"), passphrase: PASSPHRASE },
    field: "passphrase",
    secrets: [PASSPHRASE],
  },
  // server lists
  { name: "0 servers", inputs: ext([]), field: "external.servers" },
  {
    name: "5 servers",
    inputs: ext(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]),
    field: "external.servers",
  },
  { name: "servers of the wrong type", inputs: ext("10.0.0.1"), field: "external.servers" },
  {
    name: "duplicate: host and host:5696",
    inputs: ext(["10.0.0.1", "10.0.0.1:5696"]),
    field: "external.servers[1]",
  },
  {
    name: "duplicate: DNS name in other case",
    inputs: ext(["KS.Example.com", "ks.example.COM:5696"]),
    field: "external.servers[1]",
  },
  {
    name: "duplicate: IPv6 in other spellings",
    inputs: ext(["[fd00::1]", "[FD00:0:0:0:0:0:0:1]:5696"]),
    field: "external.servers[1]",
  },
  {
    name: "duplicate: string and object",
    inputs: ext(["10.0.0.1", { server: "10.0.0.1", timeout: 30 }]),
    field: "external.servers[1]",
  },
  { name: "server entry null", inputs: ext([null]), field: "external.servers[0]" },
  { name: "server entry a number", inputs: ext([5696]), field: "external.servers[0]" },
  // addresses
  { name: "empty server address", inputs: server(""), field: "external.servers[0]" },
  { name: "port 0", inputs: server("10.0.0.1:0"), field: "external.servers[0]" },
  { name: "port 65536", inputs: server("10.0.0.1:65536"), field: "external.servers[0]" },
  { name: "port not numeric", inputs: server("10.0.0.1:kmip"), field: "external.servers[0]" },
  { name: "port with a sign", inputs: server("10.0.0.1:+5696"), field: "external.servers[0]" },
  { name: "empty port", inputs: server("10.0.0.1:"), field: "external.servers[0]" },
  { name: "bare IPv6 (no brackets)", inputs: server("fd00::1"), field: "external.servers[0]" },
  { name: "IPv6 with ':::'", inputs: server("[fd00:::1]"), field: "external.servers[0]" },
  { name: "IPv6 with a non-hex group", inputs: server("[fd00::g1]:5696"), field: "external.servers[0]" },
  { name: "IPv6 without closing bracket", inputs: server("[fd00::1:5696"), field: "external.servers[0]" },
  { name: "IPv6 with 9 groups", inputs: server("[1:2:3:4:5:6:7:8:9]"), field: "external.servers[0]" },
  { name: "IPv4 octet over 255", inputs: server("10.0.0.256"), field: "external.servers[0]" },
  { name: "IPv4 octet with a leading zero", inputs: server("010.0.0.1"), field: "external.servers[0]" },
  { name: "address with a trailing space", inputs: server("10.0.0.1 "), field: "external.servers[0]" },
  { name: "non-ASCII host name", inputs: server("kms.exämple.com"), field: "external.servers[0]" },
  { name: "NUL in a host name", inputs: server("kms\u0000.example.com"), field: "external.servers[0]" },
  {
    name: "DNS label of 64 characters",
    inputs: server(`${"a".repeat(64)}.example.com`),
    field: "external.servers[0]",
  },
  {
    name: "host name over 253 characters",
    inputs: server(Array.from({ length: 5 }, () => "b".repeat(60)).join(".")),
    field: "external.servers[0]",
  },
  {
    name: "URL instead of an address",
    inputs: server("https://kms.example.com"),
    field: "external.servers[0]",
  },
  // per-server settings
  {
    name: "timeout -2",
    inputs: server({ server: "10.0.0.1", timeout: -2 }),
    field: "external.servers[0].timeout",
  },
  {
    name: "timeout 61",
    inputs: server({ server: "10.0.0.1", timeout: 61 }),
    field: "external.servers[0].timeout",
  },
  {
    name: "timeout not an integer",
    inputs: server({ server: "10.0.0.1", timeout: 2.5 }),
    field: "external.servers[0].timeout",
  },
  {
    name: "timeout as a string",
    inputs: server({ server: "10.0.0.1", timeout: "30" }),
    field: "external.servers[0].timeout",
  },
  {
    name: "timeout NaN",
    inputs: server({ server: "10.0.0.1", timeout: Number.NaN }),
    field: "external.servers[0].timeout",
  },
  {
    name: "username of the wrong type",
    inputs: server({ server: "10.0.0.1", username: 5 }),
    field: "external.servers[0].username",
  },
  {
    name: "server object without server",
    inputs: server({ timeout: 30 }),
    field: "external.servers[0].server",
  },
  {
    name: "unknown field in a server",
    inputs: server({ server: "10.0.0.1", port: 5696 }),
    field: "external.servers[0].port",
  },
  // certificates
  {
    name: "client certificate empty",
    inputs: ext(["10.0.0.1"], { clientCertificate: "" }),
    field: "external.clientCertificate",
  },
  {
    name: "client certificate with surrounding spaces",
    inputs: ext(["10.0.0.1"], { clientCertificate: " cluster-client" }),
    field: "external.clientCertificate",
  },
  {
    name: "no server CA certificate",
    inputs: ext(["10.0.0.1"], { serverCaCertificates: [] }),
    field: "external.serverCaCertificates",
  },
  {
    name: "server CA certificates not a list",
    inputs: ext(["10.0.0.1"], { serverCaCertificates: "cluster-ca-1" }),
    field: "external.serverCaCertificates",
  },
  {
    name: "duplicate CA: one UUID in two cases",
    inputs: ext(["10.0.0.1"], { serverCaCertificates: [KM_UUID, KM_UUID.toUpperCase()] }),
    field: "external.serverCaCertificates[1]",
  },
  {
    name: "unknown field in external",
    inputs: ext(["10.0.0.1"], { kmipVersion: "1.4" }),
    field: "external.kmipVersion",
  },
  // other top-level fields
  { name: "adopt as a string", inputs: { ...server("10.0.0.1"), adopt: "yes" }, field: "adopt" },
  {
    name: "serverManagement unknown",
    inputs: { ...server("10.0.0.1"), serverManagement: "all" },
    field: "serverManagement",
  },
  { name: "profile empty", inputs: { ...server("10.0.0.1"), profile: "" }, field: "profile" },
  { name: "profile with a tab", inputs: { ...server("10.0.0.1"), profile: "site\tA" }, field: "profile" },
  {
    name: "certificate name with an escape character",
    inputs: ext(["10.0.0.1"], { clientCertificate: "cluster-client\u001b[2J" }),
    field: "external.clientCertificate",
  },
  {
    name: "unknown top-level field",
    inputs: { ...server("10.0.0.1"), host: "cluster1.example.com" },
    field: "host",
  },
  { name: "inputs not an object", inputs: "external", field: "external" },
  // sizes: zod and the input sanitiser recurse, and would overflow the stack
  { name: "external nested 5000 levels deep", inputs: { external: nested(5_000) }, field: "external" },
  {
    name: "servers nested 5000 arrays deep",
    inputs: ext(nested(5_000, "array")),
    field: "external",
  },
  {
    name: "onboard nested 5000 levels deep, with a passphrase at the bottom",
    inputs: { onboard: { passphrase: PASSPHRASE, more: nested(5_000) } },
    field: "onboard",
    secrets: [PASSPHRASE],
  },
  {
    name: "50000 server entries",
    inputs: ext(Array.from({ length: 50_000 }, (_, i) => `10.0.${i >> 8}.${i & 255}`)),
    field: "external",
  },
];

const KS_CASES: Omit<Case, "impl">[] = [
  { name: "KeyServer without keyManager", inputs: { server: "10.0.0.1" }, field: "keyManager" },
  { name: "keyManager not a UUID", inputs: { keyManager: "km-1", server: "10.0.0.1" }, field: "keyManager" },
  { name: "keyManager empty", inputs: { keyManager: "", server: "10.0.0.1" }, field: "keyManager" },
  { name: "KeyServer without server", inputs: { keyManager: KM_UUID }, field: "server" },
  { name: "KeyServer port 99999", inputs: { keyManager: KM_UUID, server: "ks:99999" }, field: "server" },
  { name: "KeyServer bad IPv6", inputs: { keyManager: KM_UUID, server: "[::1:5696" }, field: "server" },
  {
    name: "KeyServer secondary server that is its primary",
    inputs: { keyManager: KM_UUID, server: "10.0.0.1", secondaryKeyServers: ["10.0.0.1:5696"] },
    field: "secondaryKeyServers[0]",
  },
  {
    name: "KeyServer timeout -2",
    inputs: { keyManager: KM_UUID, server: "10.0.0.1", timeout: -2 },
    field: "timeout",
  },
  {
    name: "KeyServer timeout 1000",
    inputs: { keyManager: KM_UUID, server: "10.0.0.1", timeout: 1000 },
    field: "timeout",
  },
  {
    name: "KeyServer username of the wrong type",
    inputs: { keyManager: KM_UUID, server: "10.0.0.1", username: ["kmip"] },
    field: "username",
  },
  {
    name: "KeyServer password without username",
    inputs: { keyManager: KM_UUID, server: "10.0.0.1", password: PASSWORD },
    field: "username",
    secrets: [PASSWORD],
  },
  {
    name: "KeyServer password empty",
    inputs: { keyManager: KM_UUID, server: "10.0.0.1", username: "kmip", password: "" },
    field: "password",
  },
  {
    name: "KeyServer password of the wrong type",
    inputs: { keyManager: KM_UUID, server: "10.0.0.1", username: "kmip", password: 4711 },
    field: "password",
  },
  {
    name: "KeyServer unknown field holding a secret",
    inputs: { keyManager: KM_UUID, server: "10.0.0.1", secret: PASSWORD },
    field: "secret",
    secrets: [PASSWORD],
  },
  {
    name: "KeyServer adopt as a number",
    inputs: { keyManager: KM_UUID, server: "10.0.0.1", adopt: 1 },
    field: "adopt",
  },
  {
    name: "KeyServer username nested 5000 levels deep",
    inputs: { keyManager: KM_UUID, server: "10.0.0.1", username: nested(5_000) },
    field: "username",
  },
  {
    name: "KeyServer password nested 5000 arrays deep",
    inputs: { keyManager: KM_UUID, server: "10.0.0.1", username: "kmip", password: nested(5_000, "array") },
    field: "password",
  },
];

const CASES: Case[] = [
  ...KM_CASES.map((c) => ({ ...c, impl: km })),
  ...KS_CASES.map((c) => ({ ...c, impl: ks })),
];

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ ontapVersion: "9.6" });
  await configure(simConfig(sim));
});

afterAll(async () => {
  await closeAllClients();
  await sim?.close();
});

beforeEach(() => sim.clearRequestLog());

test(`the corpus has at least 50 cases (${CASES.length})`, () => {
  expect(CASES.length).toBeGreaterThanOrEqual(50);
  expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
});

describe.each(CASES.map((c) => [c.name, c] as const))("%s", (_name, c) => {
  test("check rejects it, naming the field, with no network call and no secret", async () => {
    const transports = openTransportCount();
    const result = await c.impl.check({}, c.inputs);
    const failures = result.failures ?? [];
    expect(failures.length).toBeGreaterThan(0);
    const named = failures.some(
      (f) =>
        f.property === c.field ||
        f.property.startsWith(`${c.field}.`) ||
        f.property.startsWith(`${c.field}[`) ||
        (f.property === "" && f.reason.startsWith(c.field)) ||
        f.reason.includes(c.field),
    );
    if (!named) throw new Error(`no failure names "${c.field}": ${JSON.stringify(failures)}`);
    const text = JSON.stringify(failures);
    for (const secret of [...(c.secrets ?? []), sim.password]) expect(text).not.toContain(secret);
    // A failure whose property is exactly a top-level input makes the engine print that input's value.
    for (const f of failures) {
      if (["onboard", "password", "passphrase", "secret"].includes(f.property)) {
        throw new Error(
          `failure addressed to secret-holding input "${f.property}": the engine would print its value`,
        );
      }
    }
    expect(sim.requestLog()).toEqual([]);
    expect(openTransportCount()).toBe(transports);
  });

  test("create refuses it before any network call, without echoing a secret", async () => {
    const err = await c.impl.create(c.inputs).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    for (const secret of [...(c.secrets ?? []), sim.password]) expect(message).not.toContain(secret);
    expect(sim.requestLog()).toEqual([]);
  });
});

describe("no provider method throws synchronously, whatever it is handed", () => {
  const deep = nested(5_000);
  const cyclic: Record<string, unknown> = { svm: "vs0" };
  cyclic.self = cyclic;
  const hostile: [string, unknown][] = [
    ["undefined", undefined],
    ["null", null],
    ["a string", "garbage"],
    ["a number", 42],
    ["an object nested 5000 levels deep", deep],
    ["an array nested 5000 levels deep", nested(5_000, "array")],
    ["a cyclic object", cyclic],
  ];
  const validNews: Record<"km" | "ks", Props> = {
    km: { onboard: { passphrase: PASSPHRASE } },
    ks: { keyManager: KM_UUID, server: "10.0.0.1" },
  };
  const impls = [
    ["KeyManager", km, "km"],
    ["KeyServer", ks, "ks"],
  ] as const;

  /** Calls `fn`, failing the test on a synchronous throw; returns the settled outcome. */
  async function outcomeOf(fn: () => Promise<unknown>): Promise<{ ok: boolean; error?: Error }> {
    let promise: Promise<unknown>;
    try {
      promise = fn();
    } catch (err) {
      throw new Error(`threw synchronously: ${String(err)}`, { cause: err });
    }
    expect(promise).toBeInstanceOf(Promise);
    return promise.then(
      () => ({ ok: true }),
      (error: unknown) => {
        expect(error).toBeInstanceOf(Error);
        return { ok: false, error: error as Error };
      },
    );
  }

  describe.each(impls)("%s", (resource, impl, kind) => {
    test.each(hostile)("check, diff, create, update, read and delete of %s", async (what, value) => {
      const news = validNews[kind];
      const calls: [string, () => Promise<unknown>][] = [
        ["check", () => impl.check(value, value)],
        ["diff (bad olds)", () => impl.diff("id", value, news)],
        ["diff (bad news)", () => impl.diff("id", {}, value)],
        ["create", () => impl.create(value)],
        ["update (bad olds)", () => impl.update("id", value, news)],
        ["update (bad news)", () => impl.update("id", {}, value)],
      ];
      const tooBig = what.includes("deep") || what.includes("cyclic");
      if (tooBig) {
        // read and delete of sane props would reach the cluster; bounded ones must not get that far.
        calls.push(["read", () => impl.read("id", value)], ["delete", () => impl.delete("id", value)]);
      }
      for (const [method, call] of calls) {
        const outcome = await outcomeOf(call).catch((err: Error) => {
          throw new Error(`${resource} ${method} of ${what}: ${err.message}`);
        });
        if (method === "check") {
          const failures = (await impl.check(value, value)).failures ?? [];
          expect(failures.length).toBeGreaterThan(0);
          if (tooBig) expect(JSON.stringify(failures)).toMatch(/nested more than 64 levels|refers to itself/);
        } else {
          expect(outcome.ok).toBe(false);
          expect(outcome.error?.message).not.toMatch(/Maximum call stack/);
          if (tooBig) expect(outcome.error?.message).toMatch(/nested more than 64 levels|refers to itself/);
        }
      }
      expect(sim.requestLog()).toEqual([]);
    });
  });
});
