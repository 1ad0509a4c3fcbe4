import {
  type CheckFailure,
  UNKNOWN,
  checkKeyManager,
  isKnownKeyManagerInputs,
} from "../../../provider/resources/model";

const PASSPHRASE = "The quick brown fox jumps over 13 lazy dogs!";
const UUID_A = "6f2c1a0e-8b7d-4c3e-9f10-2a3b4c5d6e7f";

const external = {
  clientCertificate: "kmip-client",
  serverCaCertificates: ["kmip-ca"],
  servers: ["10.0.0.1"],
};

function failures(news: unknown): CheckFailure[] {
  const result = checkKeyManager({}, news);
  expect(result.valid).toBe(false);
  expect(result.failures.length).toBeGreaterThan(0);
  return result.failures;
}

function inputs(news: unknown) {
  const result = checkKeyManager({}, news);
  if (!result.valid) throw new Error(`unexpected failures: ${JSON.stringify(result.failures)}`);
  expect(result.failures).toEqual([]);
  return result.inputs;
}

describe("checkKeyManager: normalisation", () => {
  test("fills defaults, canonicalises and sorts servers and CA certificates", () => {
    expect(
      inputs({
        svm: "vs0",
        external: {
          clientCertificate: UUID_A.toUpperCase(),
          serverCaCertificates: ["ca-2", "ca-1"],
          servers: [
            "KMS2.example.com",
            { server: "10.0.0.1:5696", timeout: 30 },
            { server: "[FD00::1]", username: "u" },
          ],
        },
      }),
    ).toEqual({
      svm: "vs0",
      external: {
        clientCertificate: UUID_A,
        serverCaCertificates: ["ca-1", "ca-2"],
        servers: [
          { server: "10.0.0.1:5696", timeout: 30, username: "" },
          { server: "[fd00::1]:5696", timeout: 25, username: "u" },
          { server: "kms2.example.com:5696", timeout: 25, username: "" },
        ],
      },
      adopt: false,
      serverManagement: "authoritative",
    });
  });

  test("onboard at cluster scope, with every option set", () => {
    expect(
      inputs({
        onboard: { passphrase: PASSPHRASE },
        adopt: true,
        profile: "lab",
        serverManagement: "listed",
      }),
    ).toEqual({
      onboard: { passphrase: PASSPHRASE },
      adopt: true,
      profile: "lab",
      serverManagement: "listed",
    });
  });

  test("ignores Pulumi-internal keys and treats null as not set", () => {
    expect(inputs({ __provider: "serialized", __anything: 1, external, svm: null, profile: null })).toEqual({
      external: {
        clientCertificate: "kmip-client",
        serverCaCertificates: ["kmip-ca"],
        servers: [{ server: "10.0.0.1:5696", timeout: 25, username: "" }],
      },
      adopt: false,
      serverManagement: "authoritative",
    });
  });

  test("accepts the limits: 4 servers, timeouts 1 and 60, passphrases of 32 and 256 characters", () => {
    expect(
      inputs({
        external: {
          ...external,
          servers: ["a", { server: "b", timeout: 1 }, { server: "c", timeout: 60 }, "d:1"],
        },
      }),
    ).toBeDefined();
    expect(inputs({ onboard: { passphrase: " ".repeat(32) } })).toBeDefined();
    expect(inputs({ onboard: { passphrase: "~".repeat(256) } })).toBeDefined();
  });
});

describe("checkKeyManager: rules", () => {
  test.each<[string, unknown, CheckFailure]>([
    [
      "neither mode",
      {},
      { property: "", reason: expect.stringContaining("exactly one of external") as string },
    ],
    [
      "both modes",
      { external, onboard: { passphrase: PASSPHRASE } },
      { property: "", reason: expect.stringContaining("mutually exclusive") as string },
    ],
    [
      "onboard at SVM scope",
      { svm: "vs0", onboard: { passphrase: PASSPHRASE } },
      { property: "svm", reason: expect.stringContaining("only available at cluster scope") as string },
    ],
    [
      "empty svm",
      { svm: "", external },
      { property: "svm", reason: expect.stringContaining("non-empty") as string },
    ],
    [
      "padded svm",
      { svm: " vs0", external },
      { property: "svm", reason: expect.stringContaining("whitespace") as string },
    ],
    ["svm not a string", { svm: 1, external }, { property: "svm", reason: "must be a string" }],
    [
      "empty profile",
      { profile: "", external },
      { property: "profile", reason: expect.any(String) as string },
    ],
    [
      "adopt not a boolean",
      { adopt: "yes", external },
      { property: "adopt", reason: expect.stringContaining("boolean") as string },
    ],
    [
      "bad serverManagement",
      { serverManagement: "all", external },
      { property: "serverManagement", reason: 'must be "authoritative" or "listed"' },
    ],
    [
      "unknown top-level key",
      { external, extra: 1 },
      { property: "", reason: "extra: is not a known property" },
    ],
    [
      "unknown key in external",
      { external: { ...external, server: "x" } },
      { property: "", reason: "external.server: is not a known property" },
    ],
    [
      "external not an object",
      { external: "x" },
      { property: "external", reason: expect.stringContaining("object") as string },
    ],
    [
      "missing client certificate",
      { external: { ...external, clientCertificate: undefined } },
      { property: "", reason: "external.clientCertificate: is required" },
    ],
    [
      "empty client certificate",
      { external: { ...external, clientCertificate: "" } },
      {
        property: "",
        reason: expect.stringMatching(/^external\.clientCertificate: .*non-empty.* \(value: ""\)$/) as string,
      },
    ],
    [
      "no CA certificate",
      { external: { ...external, serverCaCertificates: [] } },
      {
        property: "",
        reason: "external.serverCaCertificates: must list at least one server CA certificate (value: a list)",
      },
    ],
    [
      "empty CA certificate",
      { external: { ...external, serverCaCertificates: ["a", ""] } },
      {
        property: "",
        reason: expect.stringMatching(/^external\.serverCaCertificates\[1\]: .*non-empty/) as string,
      },
    ],
    [
      "duplicate CA certificate (UUID letter case)",
      { external: { ...external, serverCaCertificates: [UUID_A, UUID_A.toUpperCase()] } },
      {
        property: "",
        reason:
          `external.serverCaCertificates[1]: is the same certificate as entry [0] ("${UUID_A}") ` +
          `(value: "${UUID_A.toUpperCase()}")`,
      },
    ],
    [
      "CA list not a list",
      { external: { ...external, serverCaCertificates: "ca" } },
      { property: "", reason: 'external.serverCaCertificates: must be a list (value: "ca")' },
    ],
    [
      "no server",
      { external: { ...external, servers: [] } },
      { property: "", reason: "external.servers: must list 1 to 4 key servers (value: a list)" },
    ],
    [
      "five servers",
      { external: { ...external, servers: ["a", "b", "c", "d", "e"] } },
      {
        property: "",
        reason: expect.stringMatching(/^external\.servers: .*1 to 4.*\(value: a list\)$/) as string,
      },
    ],
    [
      "duplicate server after normalisation",
      { external: { ...external, servers: ["KMS.example.com", "10.0.0.1", "kms.example.com:5696"] } },
      {
        property: "",
        reason:
          'external.servers[2]: is the same key server as entry [0] (kms.example.com:5696) (value: "kms.example.com:5696")',
      },
    ],
    [
      "bare IPv6",
      { external: { ...external, servers: ["fd00::1"] } },
      {
        property: "",
        reason:
          'external.servers[0]: IPv6 addresses must be in brackets, e.g. [fd00::1]:5696 (value: "fd00::1")',
      },
    ],
    [
      "bad port in object form",
      { external: { ...external, servers: [{ server: "kms:0" }] } },
      {
        property: "",
        reason: 'external.servers[0].server: port must be an integer from 1 to 65535 (value: "kms:0")',
      },
    ],
    [
      "timeout -2",
      { external: { ...external, servers: ["a", "b", { server: "c", timeout: -2 }] } },
      {
        property: "",
        reason:
          "external.servers[2].timeout: must be an integer from -1 to 60 (seconds; -1 waits indefinitely and 0 does not wait, both need ONTAP 9.14 or later) (value: -2)",
      },
    ],
    [
      "timeout 61",
      { external: { ...external, servers: [{ server: "c", timeout: 61 }] } },
      {
        property: "",
        reason:
          "external.servers[0].timeout: must be an integer from -1 to 60 (seconds; -1 waits indefinitely and 0 does not wait, both need ONTAP 9.14 or later) (value: 61)",
      },
    ],
    [
      "fractional timeout",
      { external: { ...external, servers: [{ server: "c", timeout: 2.5 }] } },
      {
        property: "",
        reason:
          "external.servers[0].timeout: must be an integer from -1 to 60 (seconds; -1 waits indefinitely and 0 does not wait, both need ONTAP 9.14 or later) (value: 2.5)",
      },
    ],
    [
      "timeout as a string",
      { external: { ...external, servers: [{ server: "c", timeout: "30" }] } },
      {
        property: "",
        reason:
          'external.servers[0].timeout: must be an integer from -1 to 60 (seconds; -1 waits indefinitely and 0 does not wait, both need ONTAP 9.14 or later) (value: "30")',
      },
    ],
    [
      "username not a string",
      { external: { ...external, servers: [{ server: "c", username: 7 }] } },
      { property: "", reason: "external.servers[0].username: must be a string (value: 7)" },
    ],
    [
      "server entry of the wrong type",
      { external: { ...external, servers: [5] } },
      {
        property: "",
        reason: expect.stringMatching(
          /^external\.servers\[0\]: must be a server address.*\(value: 5\)$/,
        ) as string,
      },
    ],
    [
      "unknown key in a server",
      { external: { ...external, servers: [{ server: "c", port: 1 }] } },
      { property: "", reason: "external.servers[0].port: is not a known property" },
    ],
    [
      "missing server address",
      { external: { ...external, servers: [{ timeout: 3 }] } },
      { property: "", reason: "external.servers[0].server: is required" },
    ],
    ["missing passphrase", { onboard: {} }, { property: "", reason: "onboard.passphrase: is required" }],
    [
      "short passphrase",
      { onboard: { passphrase: "x".repeat(31) } },
      { property: "", reason: "onboard.passphrase: must be 32 to 256 characters long (value: secret)" },
    ],
    [
      "long passphrase",
      { onboard: { passphrase: "x".repeat(257) } },
      { property: "", reason: "onboard.passphrase: must be 32 to 256 characters long (value: secret)" },
    ],
    [
      "non-printable passphrase",
      { onboard: { passphrase: `${PASSPHRASE}\t` } },
      {
        property: "",
        reason: expect.stringMatching(
          /^onboard\.passphrase: .*printable ASCII.*\(value: secret\)$/,
        ) as string,
      },
    ],
    [
      "non-ASCII passphrase",
      { onboard: { passphrase: `${PASSPHRASE}é` } },
      {
        property: "",
        reason: expect.stringMatching(
          /^onboard\.passphrase: .*printable ASCII.*\(value: secret\)$/,
        ) as string,
      },
    ],
  ])("%s", (_name, news, expected) => {
    expect(failures(news)).toContainEqual(expected);
  });

  test("reports every independent failure at once", () => {
    const found = failures({
      svm: "",
      external: { clientCertificate: "", serverCaCertificates: [], servers: [{ server: "a", timeout: -2 }] },
    });
    expect(found.map((f) => f.property || f.reason.split(":")[0]).sort()).toEqual([
      "external.clientCertificate",
      "external.serverCaCertificates",
      "external.servers[0].timeout",
      "svm",
    ]);
  });

  test("returns the inputs as received (without internal keys) when invalid", () => {
    const result = checkKeyManager({}, { __provider: "p", svm: "" });
    expect(result.inputs).toEqual({ svm: "" });
  });

  test("rejects inputs that are not an object", () => {
    expect(failures(null)[0]!.reason).toContain("exactly one of external");
  });
});

describe("checkKeyManager: secrets", () => {
  const secretCases: [string, unknown][] = [
    ["short", { onboard: { passphrase: PASSPHRASE.slice(0, 31) } }],
    ["too long", { onboard: { passphrase: PASSPHRASE.repeat(6) } }],
    ["non-printable", { onboard: { passphrase: `${PASSPHRASE}\u0000` } }],
    ["at SVM scope", { svm: "vs0", onboard: { passphrase: PASSPHRASE } }],
    ["with external", { external, onboard: { passphrase: PASSPHRASE } }],
    ["misplaced at top level", { passphrase: PASSPHRASE, onboard: { passphrase: PASSPHRASE } }],
    ["misspelled", { onboard: { passPhrase: PASSPHRASE } }],
    ["onboard as a string", { onboard: PASSPHRASE }],
    ["onboard as a list", { onboard: [PASSPHRASE] }],
    ["passphrase as a list", { onboard: { passphrase: [PASSPHRASE] } }],
  ];

  test.each(secretCases)("a passphrase never appears in failures (%s)", (_name, news) => {
    const found = failures(news);
    for (const failure of found) {
      expect(failure.property).not.toContain(PASSPHRASE.slice(0, 8));
      expect(failure.reason).not.toContain(PASSPHRASE.slice(0, 8));
    }
  });

  test.each(secretCases)("no failure names a top-level input holding a secret (%s)", (_name, news) => {
    // The engine prints the value of the top-level input a failure's property names.
    for (const failure of failures(news)) {
      expect(["onboard", "passphrase", "passPhrase"]).not.toContain(failure.property);
    }
  });
});

describe("checkKeyManager: unknown values (preview)", () => {
  test("accepts unknown values anywhere and keeps them in place", () => {
    const result = inputs({
      svm: UNKNOWN,
      profile: UNKNOWN,
      adopt: UNKNOWN,
      serverManagement: UNKNOWN,
      external: {
        clientCertificate: UNKNOWN,
        serverCaCertificates: ["b", UNKNOWN, "a"],
        servers: [UNKNOWN, { server: UNKNOWN, timeout: 5 }, { server: "z", timeout: UNKNOWN }, "y"],
      },
    });
    expect(result).toEqual({
      svm: UNKNOWN,
      profile: UNKNOWN,
      adopt: UNKNOWN,
      serverManagement: UNKNOWN,
      external: {
        clientCertificate: UNKNOWN,
        serverCaCertificates: ["a", "b", UNKNOWN],
        servers: [
          { server: "y:5696", timeout: 25, username: "" },
          { server: "z:5696", timeout: UNKNOWN, username: "" },
          UNKNOWN,
          { server: UNKNOWN, timeout: 5, username: "" },
        ],
      },
    });
    expect(isKnownKeyManagerInputs(result)).toBe(false);
  });

  test("accepts whole objects and lists that are unknown", () => {
    expect(inputs({ external: UNKNOWN }).external).toBe(UNKNOWN);
    expect(inputs({ onboard: UNKNOWN }).onboard).toBe(UNKNOWN);
    expect(
      inputs({ external: { clientCertificate: "c", serverCaCertificates: UNKNOWN, servers: UNKNOWN } }),
    ).toEqual({
      external: { clientCertificate: "c", serverCaCertificates: UNKNOWN, servers: UNKNOWN },
      adopt: false,
      serverManagement: "authoritative",
    });
  });

  test("does not decide cross-field rules on unknown values", () => {
    expect(inputs({ external: UNKNOWN, onboard: { passphrase: PASSPHRASE } })).toBeDefined();
    expect(inputs({ svm: UNKNOWN, onboard: { passphrase: PASSPHRASE } })).toBeDefined();
    expect(inputs({ svm: "vs0", onboard: UNKNOWN })).toBeDefined();
  });

  test("still validates what is known next to unknown values", () => {
    expect(
      failures({
        external: {
          clientCertificate: UNKNOWN,
          serverCaCertificates: [UNKNOWN],
          servers: ["a", "A:5696", UNKNOWN],
        },
      }),
    ).toEqual([
      {
        property: "",
        reason: 'external.servers[1]: is the same key server as entry [0] (a:5696) (value: "A:5696")',
      },
    ]);
    expect(failures({ onboard: { passphrase: UNKNOWN }, svm: "vs0" })).toEqual([
      { property: "svm", reason: expect.stringContaining("cluster scope") as string },
    ]);
  });

  test("known inputs are recognised as such", () => {
    expect(isKnownKeyManagerInputs(inputs({ external }))).toBe(true);
  });
});

describe("checkKeyManager: every problem at once", () => {
  test("rules across fields are reported together with field errors, not in a later round", () => {
    const found = failures({
      svm: "vs0",
      onboard: { passphrase: "too short" },
      external: { ...external, servers: ["10.0.0.1:0"] },
    });
    const reasons = found.map((f) => `${f.property} ${f.reason}`).join("\n");
    expect(reasons).toMatch(/32 to 256 characters/);
    expect(reasons).toMatch(/servers\[0\]/);
    expect(reasons).toMatch(/mutually exclusive/);
    expect(reasons).toMatch(/only available at cluster scope/);
    expect(reasons).not.toContain("too short");
  });

  test("a field error alone does not invent a cross-field failure", () => {
    const found = failures({ external: { ...external, servers: ["10.0.0.1:0"] } });
    expect(found.map((f) => f.reason).join("\n")).not.toMatch(/exactly one|mutually exclusive|cluster scope/);
  });
});

test("onboard.currentPassphrase is optional, validated like the passphrase, and never echoed", () => {
  const passphrase = "A perfectly fine passphrase of 32+ chars";
  const ok = checkKeyManager({}, { onboard: { passphrase, currentPassphrase: passphrase.toUpperCase() } });
  expect(ok.failures).toEqual([]);
  expect(ok.inputs).toMatchObject({ onboard: { currentPassphrase: passphrase.toUpperCase() } });
  const bad = checkKeyManager({}, { onboard: { passphrase, currentPassphrase: "short-secret" } });
  expect(bad.failures).toEqual([
    { property: "", reason: "onboard.currentPassphrase: must be 32 to 256 characters long (value: secret)" },
  ]);
  expect(JSON.stringify(bad.failures)).not.toContain("short-secret");
});
