import { UNKNOWN, diffKeyManager } from "../../../provider/resources/model";
import { checked, outputsAfterCreate } from "./fixtures";

const PASSPHRASE = "The quick brown fox jumps over 13 lazy dogs!";
const CA_UUID = "6f2c1a0e-8b7d-4c3e-9f10-2a3b4c5d6e7f";

const external = {
  clientCertificate: "kmip-client",
  serverCaCertificates: ["ca-1", CA_UUID],
  servers: [
    "kms1.example.com",
    { server: "10.0.0.2", timeout: 30 },
    { server: "[fd00::3]", username: "kmip" },
  ],
};
const base = { svm: "vs0", external, profile: "lab" };
const olds = outputsAfterCreate(base);
const onboardOlds = outputsAfterCreate({ onboard: { passphrase: PASSPHRASE } });

const NO_CHANGE = { changes: false, replaces: [], deleteBeforeReplace: true, updates: [] };

function update(...updates: string[]) {
  return { changes: true, replaces: [], deleteBeforeReplace: true, updates };
}

describe("diffKeyManager: no change", () => {
  test("right after create", () => {
    expect(diffKeyManager(olds, checked(base))).toEqual(NO_CHANGE);
    expect(diffKeyManager(onboardOlds, checked({ onboard: { passphrase: PASSPHRASE } }))).toEqual(NO_CHANGE);
  });

  test("for reordered lists and respelled servers, certificates and defaults", () => {
    const respelled = {
      svm: "vs0",
      profile: "lab",
      adopt: false,
      serverManagement: "authoritative",
      external: {
        clientCertificate: "kmip-client",
        serverCaCertificates: [CA_UUID.toUpperCase(), "ca-1"],
        servers: [
          { server: "[FD00:0:0:0:0:0:0:3]:5696", timeout: 25, username: "kmip" },
          "KMS1.Example.com:5696",
          { server: "10.0.0.2:5696", timeout: 30, username: "" },
        ],
      },
    };
    expect(diffKeyManager(olds, checked(respelled))).toEqual(NO_CHANGE);
  });

  test("when only adopt changes", () => {
    expect(diffKeyManager(olds, checked({ ...base, adopt: true }))).toEqual(NO_CHANGE);
  });
});

describe("diffKeyManager: replacements delete first", () => {
  test.each([
    ["svm changed", { ...base, svm: "vs1" }, ["svm"]],
    ["svm removed (scope to cluster)", { ...base, svm: undefined }, ["svm"]],
    [
      "external to onboard",
      { profile: "lab", onboard: { passphrase: PASSPHRASE } },
      ["svm", "external", "onboard"],
    ],
  ])("%s", (_name, news, replaces) => {
    expect(diffKeyManager(olds, checked(news))).toEqual({
      changes: true,
      replaces,
      deleteBeforeReplace: true,
      updates: [],
    });
  });

  test("onboard to external, and cluster to SVM scope", () => {
    expect(diffKeyManager(onboardOlds, checked({ external })).replaces).toEqual(["external", "onboard"]);
    expect(
      diffKeyManager(outputsAfterCreate({ external }), checked({ svm: "vs0", external })).replaces,
    ).toEqual(["svm"]);
  });
});

describe("diffKeyManager: updates in place", () => {
  test.each([
    ["client certificate", { ...external, clientCertificate: "kmip-client-2" }, "external.clientCertificate"],
    [
      "certificate respelled by UUID",
      { ...external, clientCertificate: CA_UUID },
      "external.clientCertificate",
    ],
    [
      "CA added",
      { ...external, serverCaCertificates: ["ca-1", "ca-2", CA_UUID] },
      'external.serverCaCertificates["ca-2"]',
    ],
    [
      "CA replaced",
      { ...external, serverCaCertificates: ["ca-2", CA_UUID] },
      'external.serverCaCertificates["ca-1"]',
      'external.serverCaCertificates["ca-2"]',
    ],
    [
      "CA removed",
      { ...external, serverCaCertificates: ["ca-1"] },
      `external.serverCaCertificates["${CA_UUID}"]`,
    ],
    [
      "server added",
      { ...external, servers: [...external.servers, "kms4"] },
      'external.servers["kms4:5696"]',
    ],
    [
      "server removed",
      { ...external, servers: external.servers.slice(1) },
      'external.servers["kms1.example.com:5696"]',
    ],
    [
      "server port",
      { ...external, servers: ["kms1.example.com:5697", ...external.servers.slice(1)] },
      'external.servers["kms1.example.com:5696"]',
      'external.servers["kms1.example.com:5697"]',
    ],
    [
      "server timeout",
      { ...external, servers: [{ server: "kms1.example.com", timeout: 26 }, ...external.servers.slice(1)] },
      'external.servers["kms1.example.com:5696"]',
    ],
    [
      "server username",
      { ...external, servers: [{ server: "kms1.example.com", username: "u" }, ...external.servers.slice(1)] },
      'external.servers["kms1.example.com:5696"]',
    ],
  ] as [string, unknown, ...string[]][])("%s", (_name, ext, ...paths) => {
    expect(diffKeyManager(olds, checked({ ...base, external: ext }))).toEqual(update(...paths));
  });

  test("passphrase", () => {
    expect(diffKeyManager(onboardOlds, checked({ onboard: { passphrase: `${PASSPHRASE}!` } }))).toEqual(
      update("onboard.passphrase"),
    );
  });

  test("an unknown previous passphrase (import, adopt) is recorded by an update", () => {
    const imported = { ...onboardOlds, onboard: { enabled: true } };
    expect(diffKeyManager(imported, checked({ onboard: { passphrase: PASSPHRASE } }))).toEqual(
      update("onboard.passphrase"),
    );
  });

  test("profile is an update, never a replacement", () => {
    expect(diffKeyManager(olds, checked({ ...base, profile: "other" }))).toEqual(update("profile"));
    expect(diffKeyManager(olds, checked({ ...base, profile: undefined }))).toEqual(update("profile"));
  });

  test("serverManagement", () => {
    expect(diffKeyManager(olds, checked({ ...base, serverManagement: "listed" }))).toEqual(
      update("serverManagement"),
    );
  });

  test("several changes at once", () => {
    const news = checked({
      svm: "vs0",
      profile: "other",
      external: { ...external, clientCertificate: "new", servers: ["kms9"] },
    });
    expect(diffKeyManager(olds, news)).toEqual(
      update(
        "external.clientCertificate",
        'external.servers["10.0.0.2:5696"]',
        'external.servers["[fd00::3]:5696"]',
        'external.servers["kms1.example.com:5696"]',
        'external.servers["kms9:5696"]',
        "profile",
      ),
    );
  });
});

describe("diffKeyManager: unknown values", () => {
  test("an unknown svm replaces", () => {
    expect(diffKeyManager(olds, checked({ ...base, svm: UNKNOWN }))).toMatchObject({
      changes: true,
      replaces: ["svm"],
      deleteBeforeReplace: true,
    });
  });

  test("unknown parts of the same mode are possible updates", () => {
    expect(diffKeyManager(olds, checked({ ...base, external: UNKNOWN }))).toEqual(update("external"));
    expect(
      diffKeyManager(olds, checked({ ...base, external: { ...external, clientCertificate: UNKNOWN } })),
    ).toEqual(update("external.clientCertificate"));
    expect(
      diffKeyManager(
        olds,
        checked({ ...base, external: { ...external, serverCaCertificates: ["ca-1", UNKNOWN] } }),
      ),
    ).toEqual(update("external.serverCaCertificates"));
    expect(diffKeyManager(olds, checked({ ...base, external: { ...external, servers: UNKNOWN } }))).toEqual(
      update("external.servers"),
    );
    expect(
      diffKeyManager(
        olds,
        checked({
          ...base,
          external: {
            ...external,
            servers: [...external.servers.slice(1), { server: "kms1.example.com", timeout: UNKNOWN }],
          },
        }),
      ),
    ).toEqual(update("external.servers"));
    expect(diffKeyManager(onboardOlds, checked({ onboard: { passphrase: UNKNOWN } }))).toEqual(
      update("onboard.passphrase"),
    );
    expect(diffKeyManager(onboardOlds, checked({ onboard: UNKNOWN }))).toEqual(update("onboard.passphrase"));
    expect(diffKeyManager(olds, checked({ ...base, profile: UNKNOWN, serverManagement: UNKNOWN }))).toEqual(
      update("profile", "serverManagement"),
    );
  });

  test("an unknown object of the other mode replaces", () => {
    expect(diffKeyManager(onboardOlds, checked({ external: UNKNOWN })).replaces).toEqual([
      "external",
      "onboard",
    ]);
  });

  test("an undetermined mode (one side unknown, both set) replaces", () => {
    expect(
      diffKeyManager(onboardOlds, checked({ external: UNKNOWN, onboard: { passphrase: PASSPHRASE } }))
        .replaces,
    ).toEqual(["external", "onboard"]);
  });
});

describe("diffKeyManager: onboard.currentPassphrase and pending creates", () => {
  const CURRENT = "The passphrase ONTAP holds now, 0123456789!";

  test("given or changed it is an update; left in place it is nothing; removed it is recorded", () => {
    const given = { onboard: { passphrase: PASSPHRASE, currentPassphrase: CURRENT } };
    expect(diffKeyManager(onboardOlds, checked(given))).toEqual(update("onboard.currentPassphrase"));
    const recorded = outputsAfterCreate(given);
    expect(recorded.onboard?.currentPassphrase).toBe(CURRENT);
    expect(diffKeyManager(recorded, checked(given))).toEqual(NO_CHANGE);
    expect(diffKeyManager(recorded, checked({ onboard: { passphrase: PASSPHRASE } }))).toEqual(
      update("onboard.currentPassphrase"),
    );
  });

  test("a pending create (createJob) is an update, never a replacement", () => {
    const pending = { ...olds, createJob: "3b1f6c2a-0000-4000-8000-00000000abcd" };
    expect(diffKeyManager(pending, checked(base))).toEqual(update("createJob"));
    expect(diffKeyManager(pending, checked({ ...base, svm: "vs1" }))).toMatchObject({ replaces: [] });
  });
});
