import {
  type CheckFailure,
  type KeyServerOutputs,
  UNKNOWN,
  buildKeyServerOutputs,
  checkKeyServer,
  diffKeyServer,
  isKnownKeyServerInputs,
  keyServerId,
  parseKeyServerId,
  parseKeyServerOutputs,
  keyServerRecordMismatch,
  planKeyServerCreate,
  planKeyServerUpdate,
  readKeyServer,
} from "../../../provider/resources/model";

const KM = "6f2c1a0e-8b7d-4c3e-9f10-2a3b4c5d6e7f";
const PASSWORD = "kmip-user-password-Zq9";

function inputs(news: unknown) {
  const result = checkKeyServer({}, news);
  if (!result.valid) throw new Error(`unexpected failures: ${JSON.stringify(result.failures)}`);
  return result.inputs;
}

function failures(news: unknown): CheckFailure[] {
  const result = checkKeyServer({}, news);
  expect(result.valid).toBe(false);
  return result.failures;
}

function known(news: unknown) {
  const checked = inputs(news);
  if (!isKnownKeyServerInputs(checked)) throw new Error("expected known inputs");
  return checked;
}

describe("checkKeyServer", () => {
  test("normalises and fills defaults", () => {
    expect(inputs({ __provider: "p", keyManager: KM.toUpperCase(), server: "KMS.example.com" })).toEqual({
      keyManager: KM,
      server: "kms.example.com:5696",
      timeout: 25,
      username: "",
      adopt: false,
    });
    expect(
      inputs({
        keyManager: KM,
        server: "[fd00::1]:99",
        timeout: 60,
        username: "u",
        password: PASSWORD,
        adopt: true,
        profile: "p",
      }),
    ).toEqual({
      keyManager: KM,
      server: "[fd00::1]:99",
      timeout: 60,
      username: "u",
      password: PASSWORD,
      adopt: true,
      profile: "p",
    });
  });

  test.each<[string, unknown, CheckFailure]>([
    ["missing key manager", { server: "a" }, { property: "keyManager", reason: "is required" }],
    [
      "key manager not a UUID",
      { keyManager: "km", server: "a" },
      { property: "keyManager", reason: expect.stringContaining("UUID") as string },
    ],
    ["missing server", { keyManager: KM }, { property: "server", reason: "is required" }],
    [
      "bare IPv6",
      { keyManager: KM, server: "fd00::1" },
      { property: "server", reason: expect.stringContaining("[fd00::1]:5696") as string },
    ],
    [
      "timeout -2",
      { keyManager: KM, server: "a", timeout: -2 },
      {
        property: "timeout",
        reason:
          "must be an integer from -1 to 60 (seconds; -1 waits indefinitely and 0 does not wait, both need ONTAP 9.14 or later)",
      },
    ],
    [
      "username not a string",
      { keyManager: KM, server: "a", username: 1 },
      { property: "username", reason: "must be a string" },
    ],
    [
      "unknown key",
      { keyManager: KM, server: "a", port: 1 },
      { property: "", reason: "port: is not a known property" },
    ],
    [
      "password not a string",
      { keyManager: KM, server: "a", password: 1 },
      { property: "", reason: "password: must be a string" },
    ],
    [
      "empty password",
      { keyManager: KM, server: "a", password: "" },
      { property: "", reason: expect.stringMatching(/^password: must not be empty/) as string },
    ],
  ])("%s", (_name, news, expected) => {
    expect(failures(news)).toContainEqual(expected);
  });

  test("a password never appears in failures nor as a failure's property", () => {
    for (const news of [
      { keyManager: KM, server: "a", password: [PASSWORD] },
      { keyManager: KM, server: "a", passwd: PASSWORD },
      { keyManager: PASSWORD, server: "a", password: PASSWORD, timeout: 99 },
    ]) {
      for (const failure of failures(news)) {
        expect(JSON.stringify(failure)).not.toContain(PASSWORD.slice(0, 10));
        expect(["password", "passwd"]).not.toContain(failure.property);
      }
    }
  });

  test("accepts unknown values", () => {
    const checked = inputs({ keyManager: UNKNOWN, server: UNKNOWN, timeout: UNKNOWN, password: UNKNOWN });
    expect(checked).toEqual({
      keyManager: UNKNOWN,
      server: UNKNOWN,
      timeout: UNKNOWN,
      username: "",
      password: UNKNOWN,
      adopt: false,
    });
    expect(isKnownKeyServerInputs(checked)).toBe(false);
  });
});

describe("key server ids", () => {
  test("format and parse", () => {
    expect(keyServerId(KM.toUpperCase(), "KMS")).toBe(`${KM}/kms:5696`);
    expect(parseKeyServerId(`${KM}/[FD00::1]`)).toEqual({
      ok: true,
      value: { keyManager: KM, server: "[fd00::1]:5696" },
    });
    expect(parseKeyServerId("kms:5696")).toEqual({
      ok: false,
      reason: expect.stringContaining("<key manager uuid>/<host:port>") as string,
    });
    expect(parseKeyServerId(`${KM}/fd00::1`)).toEqual({
      ok: false,
      reason: expect.stringContaining("brackets") as string,
    });
  });
});

describe("diffKeyServer", () => {
  const base = known({ keyManager: KM, server: "kms", password: PASSWORD });
  const olds: KeyServerOutputs = buildKeyServerOutputs(base);

  test("no diff after create, for a respelled server, or for adopt alone", () => {
    expect(diffKeyServer(olds, base).changes).toBe(false);
    expect(
      diffKeyServer(
        olds,
        known({
          keyManager: KM.toUpperCase(),
          server: "KMS:5696",
          timeout: 25,
          username: "",
          password: PASSWORD,
          adopt: true,
        }),
      ).changes,
    ).toBe(false);
  });

  test("server or key manager changes replace, creating the new server first", () => {
    expect(diffKeyServer(olds, known({ keyManager: KM, server: "kms2", password: PASSWORD }))).toEqual({
      changes: true,
      replaces: ["server"],
      deleteBeforeReplace: false,
      updates: [],
    });
    const otherKm = KM.replace("6f", "7f");
    expect(
      diffKeyServer(olds, known({ keyManager: otherKm, server: "kms", password: PASSWORD })).replaces,
    ).toEqual(["keyManager"]);
  });

  test("a targeted replace (no replacing property) deletes first", () => {
    expect(diffKeyServer(olds, base).deleteBeforeReplace).toBe(true);
  });

  test("timeout, username, password and profile update in place", () => {
    const changed = known({
      keyManager: KM,
      server: "kms",
      timeout: 30,
      username: "u",
      password: `${PASSWORD}2`,
      profile: "p",
    });
    expect(diffKeyServer(olds, changed)).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: true,
      updates: ["timeout", "username", "password", "profile"],
    });
    expect(diffKeyServer(olds, known({ keyManager: KM, server: "kms" })).updates).toEqual(["password"]);
  });

  test("unknown values: replace for identity, update otherwise", () => {
    const news = inputs({ keyManager: UNKNOWN, server: "kms", password: UNKNOWN });
    expect(diffKeyServer(olds, news)).toMatchObject({
      changes: true,
      replaces: ["keyManager"],
      updates: ["password"],
    });
  });
});

describe("read and plans", () => {
  test("readKeyServer canonicalises ONTAP's answer and carries the password over", () => {
    const previous = buildKeyServerOutputs(
      known({ keyManager: KM, server: "kms", password: PASSWORD, profile: "p", adopt: true }),
    );
    const read = readKeyServer(KM, { server: "KMS:5696", timeout: 25, username: "" }, previous);
    expect(read.outputs).toEqual(previous);
    expect(read.inputs).toEqual(previous);
    expect(
      diffKeyServer(read.outputs, known({ keyManager: KM, server: "kms", password: PASSWORD, profile: "p" }))
        .changes,
    ).toBe(false);
  });

  test("readKeyServer reports drift and supports import", () => {
    const previous = buildKeyServerOutputs(known({ keyManager: KM, server: "kms" }));
    const drifted = readKeyServer(KM, { server: "kms:5696", timeout: 40, username: "x" }, previous).outputs;
    expect(diffKeyServer(drifted, known({ keyManager: KM, server: "kms" })).updates).toEqual([
      "timeout",
      "username",
    ]);
    expect(readKeyServer(KM, { server: "kms:5696" }, undefined).outputs).toEqual({
      keyManager: KM,
      server: "kms:5696",
      timeout: 25,
      username: "",
      adopt: false,
    });
  });

  test("planKeyServerCreate posts the address only, then patches non-default settings and the password", () => {
    expect(planKeyServerCreate(known({ keyManager: KM, server: "kms" }))).toEqual({
      request: { server: "kms:5696" },
    });
    expect(
      planKeyServerCreate(
        known({ keyManager: KM, server: "kms", timeout: 9, username: "u", password: PASSWORD }),
      ),
    ).toEqual({
      request: { server: "kms:5696" },
      patch: { timeout: 9, username: "u", password: PASSWORD },
    });
    expect(planKeyServerCreate(known({ keyManager: KM, server: "kms", timeout: 25, username: "u" }))).toEqual(
      {
        request: { server: "kms:5696" },
        patch: { username: "u" },
      },
    );
  });

  test("planKeyServerUpdate sends only what changes", () => {
    const desired = known({ keyManager: KM, server: "kms", timeout: 30, password: PASSWORD });
    expect(planKeyServerUpdate({ timeout: 30, username: "" }, desired, PASSWORD)).toBeUndefined();
    expect(planKeyServerUpdate({ timeout: 25, username: "" }, desired, PASSWORD)).toEqual({ timeout: 30 });
    expect(planKeyServerUpdate({ timeout: 30, username: "old" }, desired, undefined)).toEqual({
      username: "",
      password: PASSWORD,
    });
    expect(
      planKeyServerUpdate(
        { timeout: 30, username: "" },
        known({ keyManager: KM, server: "kms", timeout: 30 }),
        PASSWORD,
      ),
    ).toBeUndefined();
  });

  test("parseKeyServerOutputs accepts stored state and rejects broken state without echoing values", () => {
    const stored = {
      ...buildKeyServerOutputs(known({ keyManager: KM, server: "kms", password: PASSWORD })),
      __provider: "p",
    };
    expect(parseKeyServerOutputs(stored)).toEqual(
      buildKeyServerOutputs(known({ keyManager: KM, server: "kms", password: PASSWORD })),
    );
    let message = "";
    try {
      parseKeyServerOutputs({ ...stored, timeout: PASSWORD });
    } catch (e) {
      message = String(e);
    }
    expect(message).toMatch(/stored KeyServer state is not valid: timeout/);
    expect(message).not.toContain(PASSWORD);
  });
});

describe("keyServerRecordMismatch", () => {
  const OTHER = "9a8b7c6d-0000-4000-8000-00000000ffff";

  test("the server asked for, in any spelling, is no mismatch", () => {
    expect(keyServerRecordMismatch(KM, "kms:5696", { server: "KMS" })).toBeUndefined();
    expect(
      keyServerRecordMismatch(KM, "kms:5696", { uuid: KM.toUpperCase(), server: "kms:5696" }),
    ).toBeUndefined();
  });

  test("another key manager or another server is named", () => {
    expect(keyServerRecordMismatch(KM, "kms:5696", { uuid: OTHER, server: "kms:5696" })).toBe(
      `key manager ${OTHER}`,
    );
    expect(keyServerRecordMismatch(KM, "kms:5696", { server: "kms:5697" })).toBe("server kms:5697");
    expect(keyServerRecordMismatch(KM, "kms:5696", { uuid: OTHER, server: "other" })).toBe(
      `key manager ${OTHER} and server other`,
    );
  });
});
