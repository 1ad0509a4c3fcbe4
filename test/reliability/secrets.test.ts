/**
 * Secret scan. The test passphrases, the KMIP password and the connection password are followed through
 * everything the providers return (check, diff, create, read, update results, partial-failure properties), every
 * error (message, stack, inspection, JSON, causes), stderr (with ONTAP_DEBUG tracing on) and the simulator's
 * request log: they may appear only where the engine will mark them secret, i.e. inside `onboard` of a
 * KeyManager and `password` of a KeyServer (the inputs the resources always make secret and list in
 * additionalSecretOutputs). The connection password may appear nowhere.
 *
 * Two passes: the provider implementations in-process, with faults on every kind of request; then the real
 * dynamic provider host, where "marked secret" is checked on the engine's view of every answer.
 */
import { promises as fs } from "node:fs";
import { inspect } from "node:util";
import { REDACTED, closeAllClients } from "../../provider/ontap";
import { startSimulator, type FaultSpec, type Simulator } from "../../simulator";
import {
  HostCallError,
  captureProvider,
  isSecret,
  prepareProgramDir,
  secret,
  startHost,
  type HostHandle,
  type PropertyValue,
} from "../support/host";
import { KeyManager, KeyServer } from "../../provider";
import { type Impl, type Props, configure, km, ks, simConfig } from "./support";

const PASSPHRASE_A = "Secret-Scan-Passphrase-Alpha-0123456789";
const PASSPHRASE_B = "Secret-Scan-Passphrase-Bravo-9876543210";
const PASSPHRASE_BAD = "Secret-Scan-Short-Passphrase";
const KMIP_PASSWORD = "secret-scan-kmip-password-5f1d";
const KMIP_PASSWORD_2 = "secret-scan-kmip-password-9c2e";
const CONNECTION_PASSWORD = "secret-scan-cluster-password-77a1";
const INPUT_SECRETS = [PASSPHRASE_A, PASSPHRASE_B, PASSPHRASE_BAD, KMIP_PASSWORD, KMIP_PASSWORD_2];

/** Where each resource's secrets may appear: the top-level inputs the engine marks secret. */
const ALLOWED: Record<"km" | "ks", ReadonlySet<string>> = {
  km: new Set(["onboard"]),
  ks: new Set(["password"]),
};

/** Paths in `value` holding a secret outside the allowed top-level keys (the connection password: anywhere). */
function leaks(value: unknown, allowedTop: ReadonlySet<string>, path = "", top = true): string[] {
  if (typeof value === "string") {
    const found = INPUT_SECRETS.filter((s) => value.includes(s)).map(
      (s) => `${path || "(value)"}: ${label(s)}`,
    );
    return value.includes(CONNECTION_PASSWORD) ? [...found, `${path}: connection password`] : found;
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => leaks(v, allowedTop, `${path}[${i}]`, false));
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => {
      const p = path ? `${path}.${k}` : k;
      if (top && allowedTop.has(k)) {
        // Allowed here, but the connection password never.
        return JSON.stringify(v ?? null).includes(CONNECTION_PASSWORD) ? [`${p}: connection password`] : [];
      }
      return leaks(v, allowedTop, p, false);
    });
  }
  return [];
}

function label(secretValue: string): string {
  return secretValue === CONNECTION_PASSWORD
    ? "connection password"
    : `secret "${secretValue.slice(0, 18)}..."`;
}

/** Everything an error shows when printed, logged, inspected or serialized, causes included. */
function errorTexts(err: unknown): string[] {
  const texts: string[] = [String(err), inspect(err, { depth: 10 })];
  try {
    texts.push(JSON.stringify(err) ?? "");
  } catch {
    // A cycle: inspect covered it.
  }
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 10; depth++) {
    texts.push(e.message, e.stack ?? "");
    e = e.cause;
  }
  return texts;
}

function textLeaks(text: string, where: string): string[] {
  return [...INPUT_SECRETS, CONNECTION_PASSWORD]
    .filter((s) => text.includes(s))
    .map((s) => `${where}: ${label(s)}`);
}

test("the scanner finds a planted secret (so that the scans below can fail)", () => {
  const err = new Error("outer", { cause: new Error(`inner ${PASSPHRASE_A}`) });
  expect(errorTexts(err).flatMap((t) => textLeaks(t, "error"))).not.toEqual([]);
  expect(leaks({ onboard: { passphrase: PASSPHRASE_A } }, ALLOWED.km)).toEqual([]);
  expect(leaks({ external: { note: PASSPHRASE_A } }, ALLOWED.km)).toEqual([
    `external.note: ${label(PASSPHRASE_A)}`,
  ]);
  expect(leaks({ onboard: { passphrase: CONNECTION_PASSWORD } }, ALLOWED.km)).toHaveLength(1);
});

describe("in-process: results, errors, stderr and the simulator's log", () => {
  let sim: Simulator;
  const simLines: string[] = [];
  const stderr: string[] = [];
  const problems: string[] = [];
  let restoreStderr: () => void = () => undefined;
  const previousDebug = process.env.ONTAP_DEBUG;

  beforeAll(async () => {
    sim = await startSimulator({
      ontapVersion: "9.13",
      jobDelayMs: 10,
      password: CONNECTION_PASSWORD,
      log: (line) => simLines.push(line),
    });
    process.env.ONTAP_DEBUG = "1";
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk: string | Uint8Array): boolean => {
      stderr.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    };
    restoreStderr = () => {
      process.stderr.write = write;
    };
    await configure(simConfig(sim, { "ontap:requestTimeout": "1" }));
  });

  afterAll(async () => {
    restoreStderr();
    if (previousDebug === undefined) delete process.env.ONTAP_DEBUG;
    else process.env.ONTAP_DEBUG = previousDebug;
    await closeAllClients();
    await sim?.close();
  });

  /**
   * Leaks in a provider's answer: its property bags (`inputs`, `outs`, `props`) may hold secrets under the
   * allowed keys; everything else (failures, diff results, ids) none. The inputs of a failed check are not
   * kept or shown by the engine (it prints the failures and stops), so only the failures count there.
   */
  function resultLeaks(result: unknown, allowed: ReadonlySet<string>): string[] {
    if (typeof result !== "object" || result === null) return leaks(result, allowed);
    const failed = ((result as { failures?: unknown[] }).failures ?? []).length > 0;
    return Object.entries(result).flatMap(([k, v]) => {
      if (k === "inputs" && failed) return [];
      const bag = k === "inputs" || k === "outs" || k === "props";
      return leaks(v, bag ? allowed : new Set<string>(), k, bag);
    });
  }

  /** What the last failing call of {@link scan} threw. */
  let lastError: unknown;

  /** Runs a provider call, scanning what it returns or throws. */
  async function scan<T>(
    what: string,
    resource: "km" | "ks",
    call: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      const result = await call();
      problems.push(...resultLeaks(result, ALLOWED[resource]).map((l) => `${what} returned ${l}`));
      return result;
    } catch (err) {
      lastError = err;
      for (const text of errorTexts(err)) problems.push(...textLeaks(text, `${what} threw`));
      const properties = (err as { properties?: unknown }).properties;
      if (properties !== undefined) {
        problems.push(...leaks(properties, ALLOWED[resource]).map((l) => `${what} partial properties ${l}`));
      }
      return undefined;
    }
  }

  async function withFault<T>(fault: FaultSpec, fn: () => Promise<T>): Promise<T> {
    sim.injectFault(fault);
    try {
      return await fn();
    } finally {
      sim.clearFaults();
    }
  }

  const KM_PATCH: FaultSpec = {
    method: "PATCH",
    path: /^\/api\/security\/key-managers\/[0-9a-f-]{36}$/,
    action: { type: "reset" },
  };
  const checkedOf = async (impl: Impl, raw: Props): Promise<Props> =>
    (await impl.check({}, raw)).inputs as Props;

  test("an onboard key manager's life, with faults, leaks no passphrase", async () => {
    await scan("check (bad passphrase)", "km", () =>
      km.check({}, { onboard: { passphrase: PASSPHRASE_BAD } }),
    );
    await scan("check (misplaced passphrase)", "km", () =>
      km.check({}, { onboard: { passphrase: PASSPHRASE_A }, passphrase: PASSPHRASE_B }),
    );
    await scan("create (bad passphrase)", "km", () => km.create({ onboard: { passphrase: PASSPHRASE_BAD } }));
    const newsA = await checkedOf(km, { onboard: { passphrase: PASSPHRASE_A } });
    const newsB = await checkedOf(km, { onboard: { passphrase: PASSPHRASE_B } });
    await withFault(
      {
        method: "POST",
        path: "/api/security/key-managers",
        action: { type: "job-failure", code: 65536920, message: "Passphrase length incorrect." },
      },
      () => scan("create (job failure)", "km", () => km.create(newsA)),
    );
    await withFault(
      { method: "POST", path: "/api/security/key-managers", action: { type: "status", status: 500 } },
      () => scan("create (500)", "km", () => km.create(newsA)),
    );
    const created = await scan("create", "km", () => km.create(newsA));
    expect(created).toBeDefined();
    const id = created!.id;
    let outs = created!.outs as Props;
    await scan("diff (rotation)", "km", () => km.diff(id, outs, newsB));
    await scan("read", "km", () => km.read(id, outs));
    /** A rotation to whichever passphrase the recorded state does not hold, recorded as the engine would. */
    const rotate = async (what: string): Promise<boolean> => {
      const current = (outs.onboard as { passphrase?: string } | undefined)?.passphrase;
      const news = current === PASSPHRASE_B ? newsA : newsB;
      const result = await scan(what, "km", () => km.update(id, outs, news));
      const partial = (lastError as { properties?: Props } | undefined)?.properties;
      if (result) outs = result.outs as Props;
      else if (partial) outs = partial;
      return result !== undefined;
    };
    for (const action of [
      { type: "job-failure", code: 65536139, message: "The existing passphrase is not correct." },
      { type: "status", status: 502 },
      { type: "reset" },
      { type: "stall", ms: 1_600 },
    ] as const) {
      await withFault({ ...KM_PATCH, action }, () => rotate(`update (rotation, ${action.type})`));
    }
    expect(await rotate("update (rotation)")).toBe(true);
    await scan("read after rotation", "km", () => km.read(id, outs));
    await withFault(
      {
        method: "DELETE",
        action: { type: "job-failure", code: 65536813, message: "Encrypted core files exist." },
      },
      () => scan("delete (refused)", "km", () => km.delete(id, outs)),
    );
    await scan("delete", "km", () => km.delete(id, outs));
    expect(problems).toEqual([]);
  }, 30_000);

  test("a key server's password, with faults, leaks nowhere", async () => {
    const host = await km.create(
      await checkedOf(km, {
        svm: "vs0",
        external: {
          clientCertificate: "vs0-client",
          serverCaCertificates: ["vs0-ca-1"],
          servers: ["10.3.0.1"],
        },
        serverManagement: "listed",
      }),
    );
    const raw = { keyManager: host.id, server: "10.3.0.2", username: "kmip", password: KMIP_PASSWORD };
    await scan("check (password without username)", "ks", () =>
      ks.check({}, { ...raw, username: undefined }),
    );
    await scan("check (password in an unknown field)", "ks", () =>
      ks.check({}, { ...raw, secret: KMIP_PASSWORD_2 }),
    );
    const news = await checkedOf(ks, raw);
    const changed = await checkedOf(ks, { ...raw, password: KMIP_PASSWORD_2, timeout: 40 });
    const ksInstance = /key-servers\/10\.3\.0\.2%3A5696$/;
    await withFault(
      {
        method: "PATCH",
        path: ksInstance,
        action: { type: "status", status: 500, message: "Failed to set the password." },
      },
      () => scan("create (password PATCH fails)", "ks", () => ks.create(news)),
    );
    await scan("delete (after partial create)", "ks", () =>
      ks.delete(`${host.id}/10.3.0.2:5696`, { keyManager: host.id, server: "10.3.0.2:5696" }),
    );
    const created = await scan("create", "ks", () => ks.create(news));
    expect(created).toBeDefined();
    const { id } = created!;
    const outs = created!.outs as Props;
    await scan("diff (password change)", "ks", () => ks.diff(id, outs, changed));
    await scan("read", "ks", () => ks.read(id, outs));
    for (const action of [
      { type: "drop-after-apply" },
      { type: "job-failure", code: 65536846, message: "Missing password." },
    ] as const) {
      await withFault({ method: "PATCH", path: ksInstance, action }, () =>
        scan(`update (${action.type})`, "ks", () => ks.update(id, outs, changed)),
      );
    }
    const updated = await scan("update", "ks", () => ks.update(id, outs, changed));
    expect(updated).toBeDefined();
    await scan("delete", "ks", () => ks.delete(id, updated!.outs));
    await km.delete(host.id, host.outs);
    expect(problems).toEqual([]);
  }, 30_000);

  test("ONTAP echoing the Basic credential, or a secret form-encoded or HTML-escaped, leaks nothing", async () => {
    const spaced = `${PASSPHRASE_A} with spaces & <marks>`;
    const basic = Buffer.from(`${sim.username}:${CONNECTION_PASSWORD}`).toString("base64");
    const spellings = [
      basic,
      basic.replace(/=+$/, ""),
      Buffer.from(CONNECTION_PASSWORD).toString("base64"),
      new URLSearchParams({ v: spaced }).toString().slice(2),
      spaced.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"),
    ];
    // The passphrase is registered when it is sent; a 257-character one is refused by check, so send a
    // valid one that holds the spaced text.
    const news = await checkedOf(km, { onboard: { passphrase: spaced } });
    for (const spelling of spellings) {
      lastError = undefined;
      await withFault(
        {
          method: "POST",
          path: "/api/security/key-managers",
          action: {
            type: "status",
            status: 400,
            message: `rejected: ${spelling} (${spelling})`,
          },
        },
        () => scan(`create (ONTAP echoes a spelling)`, "km", () => km.create(news)),
      );
      expect(String(lastError)).toContain("rejected: ");
      for (const text of errorTexts(lastError)) {
        if (text.includes(spelling))
          problems.push(`create error shows the spelling ${spelling.slice(0, 12)}...`);
      }
    }
    expect(problems).toEqual([]);
  });

  test("stderr (ONTAP_DEBUG traces, warnings) and the simulator's log hold no secret", () => {
    expect(stderr.join("").length).toBeGreaterThan(0);
    const found = [
      ...textLeaks(stderr.join(""), "stderr"),
      ...textLeaks(simLines.join("\n"), "simulator log lines"),
      ...textLeaks(JSON.stringify(sim.requestLog()), "simulator request log"),
    ];
    expect(found).toEqual([]);
  });
});

describe("the real dynamic provider host: secrets only where the engine marks them", () => {
  let sim: Simulator;
  let host: HostHandle;
  const problems: string[] = [];

  beforeAll(async () => {
    const programDir = await fs.realpath(await prepareProgramDir());
    [sim, host] = await Promise.all([
      startSimulator({ ontapVersion: "9.13", jobDelayMs: 10, password: CONNECTION_PASSWORD }),
      startHost({ programDir, env: { ONTAP_DEBUG: "1" } }),
    ]);
    await host.configure({
      "ontap:host": sim.url,
      "ontap:username": sim.username,
      "ontap:password": secret(CONNECTION_PASSWORD),
      "ontap:caCert": sim.caCert,
    });
  }, 60_000);

  afterAll(async () => {
    await host?.close();
    await sim?.close();
  });

  /** Plain strings (outside wire secrets) in the engine's view that hold a secret. */
  function unmarked(value: PropertyValue | undefined, path = ""): string[] {
    if (value === undefined || value === null) return [];
    if (isSecret(value)) {
      return JSON.stringify(value.value).includes(CONNECTION_PASSWORD)
        ? [`${path}: connection password`]
        : [];
    }
    if (typeof value === "string") return textLeaks(value, path || "(value)");
    if (Array.isArray(value)) return value.flatMap((v, i) => unmarked(v, `${path}[${i}]`));
    if (typeof value === "object")
      return Object.entries(value).flatMap(([k, v]) => unmarked(v, path ? `${path}.${k}` : k));
    return [];
  }

  async function engineCall<T>(
    what: string,
    call: () => Promise<T>,
    view: (r: T) => PropertyValue[],
  ): Promise<T | undefined> {
    try {
      const result = await call();
      for (const v of view(result)) problems.push(...unmarked(v).map((l) => `${what}: ${l}`));
      return result;
    } catch (err) {
      if (!(err instanceof HostCallError)) throw err;
      problems.push(...textLeaks(err.details, `${what} error shown to the user`));
      if (err.initFailure)
        problems.push(...unmarked(err.initFailure.properties).map((l) => `${what} partial state: ${l}`));
      return undefined;
    }
  }

  test("KeyManager and KeyServer lives through the host, failures included", async () => {
    const kmA = await captureProvider(
      () => new KeyManager("onboard", { onboard: { passphrase: PASSPHRASE_A } }),
    );
    const kmB = await captureProvider(
      () => new KeyManager("onboard", { onboard: { passphrase: PASSPHRASE_B } }),
    );
    const kmBad = await captureProvider(
      () => new KeyManager("bad", { onboard: { passphrase: PASSPHRASE_BAD } }),
    );
    expect([kmA, kmB, kmBad].map((c) => c.providerText.includes(PASSPHRASE_A) || c.providerIsSecret)).toEqual(
      [false, false, false],
    );

    await engineCall(
      "check (bad passphrase)",
      () => host.check(kmBad.urn, {}, kmBad.properties),
      (r) => [r.inputs, JSON.stringify(r.failures)],
    );
    const a = await engineCall(
      "check",
      () => host.check(kmA.urn, {}, kmA.properties),
      (r) => [r.inputs],
    );
    const b = await engineCall(
      "check (rotation)",
      () => host.check(kmB.urn, kmA.properties, kmB.properties),
      (r) => [r.inputs],
    );
    const created = await engineCall(
      "create",
      () => host.create(kmA.urn, a!.inputs),
      (r) => [r.properties],
    );
    expect(created?.id).toBeTruthy();
    expect(isSecret(created!.properties.onboard)).toBe(true);
    const id = created!.id;
    await engineCall(
      "diff",
      () => host.diff(id, kmA.urn, created!.properties, b!.inputs),
      () => [],
    );
    await engineCall(
      "read",
      () => host.read(id, kmA.urn, created!.properties, a!.inputs),
      (r) => [r.properties, r.inputs ?? null],
    );
    sim.injectFault({
      method: "PATCH",
      action: { type: "job-failure", code: 65536139, message: "The existing passphrase is not correct." },
    });
    await engineCall(
      "update (refused)",
      () => host.update(id, kmA.urn, created!.properties, b!.inputs),
      (r) => [r.properties],
    );
    sim.clearFaults();
    const rotated = await engineCall(
      "update",
      () => host.update(id, kmA.urn, created!.properties, b!.inputs),
      (r) => [r.properties],
    );
    expect(rotated).toBeDefined();
    await engineCall(
      "delete",
      () => host.delete(id, kmA.urn, rotated!.properties).then(() => ({})),
      () => [],
    );

    const external = await captureProvider(
      () =>
        new KeyManager("external", {
          external: {
            clientCertificate: "cluster-client",
            serverCaCertificates: ["cluster-ca-1"],
            servers: ["10.4.0.1"],
          },
          serverManagement: "listed",
        }),
    );
    const extChecked = await host.check(external.urn, {}, external.properties);
    const ext = await host.create(external.urn, extChecked.inputs);
    const ksA = await captureProvider(
      () =>
        new KeyServer("ks", {
          keyManager: ext.id,
          server: "10.4.0.2",
          username: "kmip",
          password: KMIP_PASSWORD,
        }),
    );
    const ksB = await captureProvider(
      () =>
        new KeyServer("ks", {
          keyManager: ext.id,
          server: "10.4.0.2",
          username: "kmip",
          password: KMIP_PASSWORD_2,
        }),
    );
    const ksChecked = await engineCall(
      "KeyServer check",
      () => host.check(ksA.urn, {}, ksA.properties),
      (r) => [r.inputs],
    );
    const ksChanged = await engineCall(
      "KeyServer check (new password)",
      () => host.check(ksB.urn, ksA.properties, ksB.properties),
      (r) => [r.inputs],
    );
    sim.injectFault({
      method: "PATCH",
      action: { type: "status", status: 500, message: "Failed to set the password." },
    });
    await engineCall(
      "KeyServer create (password PATCH fails)",
      () => host.create(ksA.urn, ksChecked!.inputs),
      (r) => [r.properties],
    );
    sim.clearFaults();
    const ksId = `${ext.id}/10.4.0.2:5696`;
    await engineCall(
      "KeyServer delete (after partial)",
      () => host.delete(ksId, ksA.urn, ksChecked!.inputs).then(() => ({})),
      () => [],
    );
    const ksCreated = await engineCall(
      "KeyServer create",
      () => host.create(ksA.urn, ksChecked!.inputs),
      (r) => [r.properties],
    );
    expect(ksCreated?.id).toBe(ksId);
    expect(isSecret(ksCreated!.properties.password)).toBe(true);
    await engineCall(
      "KeyServer read",
      () => host.read(ksId, ksA.urn, ksCreated!.properties, ksChecked!.inputs),
      (r) => [r.properties, r.inputs ?? null],
    );
    const ksUpdated = await engineCall(
      "KeyServer update",
      () => host.update(ksId, ksA.urn, ksCreated!.properties, ksChanged!.inputs),
      (r) => [r.properties],
    );
    await engineCall(
      "KeyServer delete",
      () => host.delete(ksId, ksA.urn, ksUpdated!.properties).then(() => ({})),
      () => [],
    );
    await host.delete(ext.id, external.urn, ext.properties);

    problems.push(...textLeaks(host.userVisibleOutput(), "host output (stdout, stderr, engine log)"));
    problems.push(...textLeaks(JSON.stringify(sim.requestLog()), "simulator request log"));
    expect(host.stderr()).toContain("[ontap]");
    expect(problems).toEqual([]);
  }, 60_000);
});

describe("a secret that is an ordinary word: redaction reveals nothing by what it hides", () => {
  // The connection password is a word of every key-manager path; the KMIP password a word of key-server paths.
  const WORD_PASSWORD = "security";
  const WORD_KMIP_PASSWORD = "key-servers";
  let sim: Simulator;
  const stderr: string[] = [];
  let restoreStderr: () => void = () => undefined;
  const previousDebug = process.env.ONTAP_DEBUG;

  beforeAll(async () => {
    await closeAllClients();
    sim = await startSimulator({ ontapVersion: "9.13", jobDelayMs: 10, password: WORD_PASSWORD });
    process.env.ONTAP_DEBUG = "1";
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (chunk: string | Uint8Array): boolean => {
      stderr.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    };
    restoreStderr = () => {
      process.stderr.write = write;
    };
    await configure(simConfig(sim));
  });

  afterAll(async () => {
    restoreStderr();
    if (previousDebug === undefined) delete process.env.ONTAP_DEBUG;
    else process.env.ONTAP_DEBUG = previousDebug;
    await closeAllClients();
    await sim?.close();
  });

  async function failureOf(call: () => Promise<unknown>): Promise<Error> {
    const err = await call().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }

  /** The message and its causes, as the user sees them. */
  const texts = (err: Error): string[] => errorTexts(err);

  test("our own words stay readable; only ONTAP's echo of the password is hidden", async () => {
    const news = (await km.check({}, { onboard: { passphrase: PASSPHRASE_A } })).inputs as Props;
    sim.injectFault({
      method: "POST",
      path: "/api/security/key-managers",
      action: { type: "status", status: 500, message: "internal error" },
    });
    const plain = await failureOf(() => km.create(news));
    sim.clearFaults();
    for (const text of texts(plain)) expect(text).not.toContain(REDACTED);
    expect(plain.message).toContain("POST /api/security/key-managers");

    sim.injectFault({
      method: "POST",
      path: "/api/security/key-managers",
      action: { type: "status", status: 500, message: `password ${WORD_PASSWORD} refused` },
    });
    const echoed = await failureOf(() => km.create(news));
    sim.clearFaults();
    expect(echoed.message).toContain("POST /api/security/key-managers");
    expect(echoed.message).toContain(`password ${REDACTED} refused`);
    for (const text of texts(echoed)) {
      expect(text).not.toContain(`password ${WORD_PASSWORD} refused`);
      expect(text).not.toContain(`/api/${REDACTED}`);
    }
    const cause = echoed.cause ?? echoed;
    expect((cause as { path?: string }).path).toBe("/api/security/key-managers");
  });

  test("a KMIP password that is a path word leaves key-server paths readable", async () => {
    const host = await km.create(
      (
        await km.check(
          {},
          {
            svm: "vs0",
            external: {
              clientCertificate: "vs0-client",
              serverCaCertificates: ["vs0-ca-1"],
              servers: ["10.5.0.1"],
            },
            serverManagement: "listed",
          },
        )
      ).inputs as Props,
    );
    const news = (
      await ks.check(
        {},
        {
          keyManager: host.id,
          server: "10.5.0.2",
          username: "kmip",
          password: WORD_KMIP_PASSWORD,
        },
      )
    ).inputs as Props;
    sim.injectFault({
      method: "PATCH",
      path: /key-servers\/10\.5\.0\.2%3A5696$/,
      action: { type: "status", status: 500, message: "Failed to set the password." },
    });
    const err = await failureOf(() => ks.create(news));
    sim.clearFaults();
    for (const text of texts(err)) expect(text).not.toContain(REDACTED);
    expect(err.message).toContain(`/api/security/key-managers/${host.id}/key-servers/10.5.0.2%3A5696`);
    await ks.delete(`${host.id}/10.5.0.2:5696`, { keyManager: host.id, server: "10.5.0.2:5696" });
    await km.delete(host.id, host.outs);
  });

  test("debug traces show the real paths, not redacted ones", () => {
    const text = stderr.join("");
    expect(text).toMatch(/\[ontap\] POST \/api\/security\/key-managers/);
    expect(text).toMatch(/\/key-servers/);
    expect(text).not.toContain(REDACTED);
  });
});
