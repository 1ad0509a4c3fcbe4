/**
 * Secondary key servers (clustered KMIP) in the model: check (normalised like primaries, order kept, ONTAP's rules
 * 65537400/65538407/65538408/65538502 caught before any call), diff (order counts, respelling does not), plans
 * (one PATCH of the server with the whole list, `[]` to remove), and reads of both ONTAP forms (an array in a
 * key-server record, one comma-separated string in a key-manager record). Also `createRemoveTimeout` (9.14+),
 * managed only when set.
 */
import {
  type KeyServerSettings,
  UNKNOWN,
  checkKeyManager,
  checkKeyServer,
  diffKeyManager,
  diffKeyServer,
  buildKeyServerOutputs,
  isKnownKeyServerInputs,
  parseKeyManagerOutputs,
  parseKeyServerOutputs,
  planKeyManagerCreate,
  planKeyServerCreate,
  planKeyServerUpdate,
  planServerChanges,
  readKeyManager,
  readKeyServer,
  sameSecondaries,
  secondariesFromRecord,
  serverPatchOf,
  serverSettingsFromRecord,
  desiredKeyManagerState,
} from "../../../provider/resources/model";
import { KM_UUID, checked, known, outputsAfterCreate, recordFor, resolutionFor } from "./fixtures";

const KM = "6f2c1a0e-8b7d-4c3e-9f10-2a3b4c5d6e7f";
const external = (servers: unknown[]) => ({
  clientCertificate: "kmip-client",
  serverCaCertificates: ["ca-1"],
  servers,
});

/**
 * Failures with their path as `property`: a nested path is not one the engine resolves, so check names it at the
 * start of the reason instead (`external.servers[0].timeout: must be ... (value: 99)`) and leaves `property` empty.
 */
function located(failures: readonly { property: string; reason: string }[]) {
  return failures.map((f) => {
    if (f.property !== "") return f;
    const at = f.reason.indexOf(": ");
    return { property: f.reason.slice(0, at), reason: f.reason.slice(at + 2) };
  });
}

function kmFailures(news: unknown) {
  const result = checkKeyManager({}, news);
  expect(result.valid).toBe(false);
  return located(result.failures);
}

function ksFailures(news: unknown) {
  const result = checkKeyServer({}, news);
  expect(result.valid).toBe(false);
  return located(result.failures);
}

function ksKnown(news: unknown) {
  const result = checkKeyServer({}, news);
  if (!result.valid) throw new Error(JSON.stringify(result.failures));
  if (!isKnownKeyServerInputs(result.inputs)) throw new Error("unknown");
  return result.inputs;
}

describe("ONTAP's two forms", () => {
  test("a comma-separated string or an array, canonical, in ONTAP's order; none is undefined", () => {
    expect(secondariesFromRecord("KS2.example.com, 10.0.0.9:5697")).toEqual([
      "ks2.example.com:5696",
      "10.0.0.9:5697",
    ]);
    expect(secondariesFromRecord(["10.0.0.9:5697", "ks2.example.com"])).toEqual([
      "10.0.0.9:5697",
      "ks2.example.com:5696",
    ]);
    expect(secondariesFromRecord("")).toBeUndefined();
    expect(secondariesFromRecord([])).toBeUndefined();
    expect(secondariesFromRecord(undefined)).toBeUndefined();
    expect(serverSettingsFromRecord({ server: "10.0.0.1" })).toEqual({
      server: "10.0.0.1:5696",
      timeout: 25,
      username: "",
    });
    expect(serverSettingsFromRecord({ server: "10.0.0.1", secondary_key_servers: "ks2" })).toEqual({
      server: "10.0.0.1:5696",
      timeout: 25,
      username: "",
      secondaryKeyServers: ["ks2:5696"],
    });
  });

  test("sameSecondaries: order counts, absent is empty", () => {
    expect(sameSecondaries(["a:5696", "b:5696"], ["a:5696", "b:5696"])).toBe(true);
    expect(sameSecondaries(["a:5696", "b:5696"], ["b:5696", "a:5696"])).toBe(false);
    expect(sameSecondaries(undefined, [])).toBe(true);
    expect(sameSecondaries(undefined, ["a:5696"])).toBe(false);
  });
});

describe("checkKeyManager", () => {
  test("normalises secondaries like primaries and keeps their order; an empty list is left out", () => {
    const inputs = known({
      external: external([
        { server: "10.0.0.1", secondaryKeyServers: ["KS3.example.com", "[FD00::0:9]:5697", "10.0.0.7"] },
        { server: "10.0.0.2", secondaryKeyServers: [] },
      ]),
    });
    expect(inputs.external?.servers).toEqual([
      {
        server: "10.0.0.1:5696",
        timeout: 25,
        username: "",
        secondaryKeyServers: ["ks3.example.com:5696", "[fd00::9]:5697", "10.0.0.7:5696"],
      },
      { server: "10.0.0.2:5696", timeout: 25, username: "" },
    ]);
  });

  test("its own primary (65538407), duplicates (65538408), another primary (65538502), more than 3 (65537400)", () => {
    const found = kmFailures({
      external: external([
        { server: "10.0.0.1", secondaryKeyServers: ["10.0.0.1:5696", "ks2", "KS2:5696", "10.0.0.2"] },
        "10.0.0.2",
      ]),
    });
    expect(found).toEqual(
      expect.arrayContaining([
        {
          property: "external.servers[0].secondaryKeyServers",
          reason: expect.stringContaining("at most 3 secondary key servers") as string,
        },
        {
          property: "external.servers[0].secondaryKeyServers[0]",
          reason: expect.stringContaining("65538407") as string,
        },
        {
          property: "external.servers[0].secondaryKeyServers[2]",
          reason: expect.stringContaining("same secondary key server as entry [1]") as string,
        },
        {
          property: "external.servers[0].secondaryKeyServers[3]",
          reason: expect.stringContaining("65538502") as string,
        },
      ]),
    );
    expect(found).toHaveLength(4);
  });

  test("bad addresses and types are named", () => {
    expect(kmFailures({ external: external([{ server: "a", secondaryKeyServers: ["fd00::1"] }]) })).toEqual([
      {
        property: "external.servers[0].secondaryKeyServers[0]",
        reason: expect.stringContaining("IPv6 addresses must be in brackets") as string,
      },
    ]);
    expect(kmFailures({ external: external([{ server: "a", secondaryKeyServers: "b" }]) })[0]?.property).toBe(
      "external.servers[0].secondaryKeyServers",
    );
  });

  test("unknown values pass (preview)", () => {
    const inputs = checked({ external: external([{ server: "a", secondaryKeyServers: UNKNOWN }]) });
    expect(inputs.external).toMatchObject({ servers: [{ server: "a:5696", secondaryKeyServers: UNKNOWN }] });
    checked({ external: external([{ server: "a", secondaryKeyServers: ["b", UNKNOWN] }]) });
  });

  test("timeouts -1 and 0 pass the check (the release is checked at diff and before writes); -2 and 61 do not", () => {
    checked({
      external: external([
        { server: "a", timeout: -1 },
        { server: "b", timeout: 0 },
      ]),
    });
    expect(kmFailures({ external: external([{ server: "a", timeout: -2 }]) })[0]?.property).toBe(
      "external.servers[0].timeout",
    );
  });
});

describe("checkKeyServer", () => {
  test("normalised, order kept; its own server and duplicates refused", () => {
    expect(
      ksKnown({ keyManager: KM, server: "10.0.0.1", secondaryKeyServers: ["KS2", "10.0.0.9:5697"] })
        .secondaryKeyServers,
    ).toEqual(["ks2:5696", "10.0.0.9:5697"]);
    expect(ksKnown({ keyManager: KM, server: "10.0.0.1", secondaryKeyServers: [] })).not.toHaveProperty(
      "secondaryKeyServers",
    );
    expect(
      ksFailures({
        keyManager: KM,
        server: "10.0.0.1",
        secondaryKeyServers: ["10.0.0.1", "b", "B:5696"],
      }).map((f) => f.property),
    ).toEqual(["secondaryKeyServers[0]", "secondaryKeyServers[2]"]);
  });
});

describe("diff", () => {
  const base = {
    external: external([{ server: "10.0.0.1", secondaryKeyServers: ["ks2", "ks3"] }, "10.0.0.2"]),
  };
  const olds = outputsAfterCreate(base);

  test("KeyManager: respelled is no change; another order, an addition or a removal is an update", () => {
    const respelled = {
      external: external(["10.0.0.2:5696", { server: "10.0.0.1", secondaryKeyServers: ["KS2:5696", "ks3"] }]),
    };
    expect(diffKeyManager(olds, checked(respelled)).changes).toBe(false);
    for (const secondaryKeyServers of [["ks3", "ks2"], ["ks2"], [], ["ks2", "ks3", "ks4"]]) {
      const news = checked({ external: external([{ server: "10.0.0.1", secondaryKeyServers }, "10.0.0.2"]) });
      expect(diffKeyManager(olds, news)).toEqual({
        changes: true,
        replaces: [],
        deleteBeforeReplace: true,
        updates: ['external.servers["10.0.0.1:5696"]'],
      });
    }
  });

  test("stored outputs of earlier versions (no secondaries) parse and diff as none", () => {
    const plain = outputsAfterCreate({ external: external(["10.0.0.1"]) });
    const stored = JSON.parse(JSON.stringify(plain)) as unknown;
    expect(
      diffKeyManager(parseKeyManagerOutputs(stored), checked({ external: external(["10.0.0.1"]) })).changes,
    ).toBe(false);
    expect(parseKeyManagerOutputs(JSON.parse(JSON.stringify(olds))).external?.servers[0]).toEqual(
      olds.external?.servers[0],
    );
  });

  test("KeyServer: secondaryKeyServers is an in-place update; order counts; unknown is a possible change", () => {
    const ksOlds = buildKeyServerOutputs(
      ksKnown({ keyManager: KM, server: "a", secondaryKeyServers: ["b", "c"] }),
    );
    const diff = (secondaryKeyServers: unknown) =>
      diffKeyServer(
        ksOlds,
        checkKeyServer({}, { keyManager: KM, server: "a", secondaryKeyServers }).inputs as never,
      );
    expect(diff(["B:5696", "c"]).changes).toBe(false);
    expect(diff(["c", "b"])).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: true,
      updates: ["secondaryKeyServers"],
    });
    expect(diff(undefined).updates).toEqual(["secondaryKeyServers"]);
    expect(diff(UNKNOWN).updates).toEqual(["secondaryKeyServers"]);
    expect(parseKeyServerOutputs(JSON.parse(JSON.stringify(ksOlds))).secondaryKeyServers).toEqual([
      "b:5696",
      "c:5696",
    ]);
  });
});

describe("plans", () => {
  const s = (server: string, secondaryKeyServers?: string[]): KeyServerSettings => ({
    server,
    timeout: 25,
    username: "",
    ...(secondaryKeyServers ? { secondaryKeyServers } : {}),
  });

  test("one PATCH of the changed server with the whole list; [] removes them; unchanged servers no call", () => {
    const current = [s("a:5696", ["x:5696", "y:5696"]), s("b:5696")];
    expect(planServerChanges(current, [s("a:5696", ["y:5696", "x:5696"]), s("b:5696")])).toEqual([
      { kind: "patchServer", server: "a:5696", secondaryKeyServers: ["y:5696", "x:5696"] },
    ]);
    expect(planServerChanges(current, [s("a:5696"), s("b:5696", ["z:5696"])])).toEqual([
      { kind: "patchServer", server: "a:5696", secondaryKeyServers: [] },
      { kind: "patchServer", server: "b:5696", secondaryKeyServers: ["z:5696"] },
    ]);
    expect(planServerChanges(current, current)).toEqual([]);
    expect(
      serverPatchOf({ kind: "patchServer", server: "a:5696", timeout: 0, secondaryKeyServers: [] }),
    ).toEqual({
      timeout: 0,
      secondaryKeyServers: [],
    });
  });

  test("an added server with secondaries: POST of its address, then one PATCH (also at create)", () => {
    expect(planServerChanges([s("a:5696")], [s("a:5696"), s("b:5696", ["z:5696"])])).toEqual([
      { kind: "addServers", servers: [{ server: "b:5696" }] },
      { kind: "patchServer", server: "b:5696", secondaryKeyServers: ["z:5696"] },
    ]);
    const inputs = known({ external: external([{ server: "a", secondaryKeyServers: ["z"] }]) });
    const plan = planKeyManagerCreate(desiredKeyManagerState(inputs, resolutionFor(inputs)));
    expect(plan.request.external?.servers).toEqual([{ server: "a:5696" }]);
    expect(plan.followUp).toEqual([
      { kind: "patchServer", server: "a:5696", secondaryKeyServers: ["z:5696"] },
    ]);
  });

  test("KeyServer: create patches secondaries after the POST; update sends them only when they differ", () => {
    expect(planKeyServerCreate(ksKnown({ keyManager: KM, server: "a", secondaryKeyServers: ["z"] }))).toEqual(
      {
        request: { server: "a:5696" },
        patch: { secondaryKeyServers: ["z:5696"] },
      },
    );
    const current = { timeout: 25, username: "", secondaryKeyServers: ["z:5696"] };
    expect(planKeyServerUpdate(current, { ...current }, undefined)).toBeUndefined();
    expect(planKeyServerUpdate(current, { timeout: 25, username: "" }, undefined)).toEqual({
      secondaryKeyServers: [],
    });
  });
});

describe("reads", () => {
  test("readKeyManager: the comma-separated string becomes the list (drift shows)", () => {
    const olds = outputsAfterCreate({ external: external(["10.0.0.1"]) });
    const record = recordFor(olds);
    record.external!.servers![0]!.secondary_key_servers = "ks2.example.com,10.0.0.9:5697";
    const { outputs, inputs } = readKeyManager(record, olds);
    expect(outputs.external?.servers[0]?.secondaryKeyServers).toEqual([
      "ks2.example.com:5696",
      "10.0.0.9:5697",
    ]);
    expect(inputs.external?.servers[0]?.secondaryKeyServers).toEqual([
      "ks2.example.com:5696",
      "10.0.0.9:5697",
    ]);
    expect(diffKeyManager(outputs, checked({ external: external(["10.0.0.1"]) })).updates).toEqual([
      'external.servers["10.0.0.1:5696"]',
    ]);
    expect(outputs.uuid).toBe(KM_UUID);
  });

  test("readKeyServer: the array becomes the list; none leaves the field out", () => {
    const previous = buildKeyServerOutputs(ksKnown({ keyManager: KM, server: "a" }));
    expect(
      readKeyServer(KM, { server: "a:5696", secondary_key_servers: ["B", "c:1"] }, previous).outputs
        .secondaryKeyServers,
    ).toEqual(["b:5696", "c:1"]);
    expect(readKeyServer(KM, { server: "a:5696" }, previous).outputs).not.toHaveProperty(
      "secondaryKeyServers",
    );
  });
});

describe("createRemoveTimeout (managed only when set)", () => {
  test("check: -1 to 60, absent when not given; KeyManager servers and KeyServer", () => {
    expect(ksKnown({ keyManager: KM, server: "a", createRemoveTimeout: -1 }).createRemoveTimeout).toBe(-1);
    expect(ksKnown({ keyManager: KM, server: "a" })).not.toHaveProperty("createRemoveTimeout");
    expect(ksFailures({ keyManager: KM, server: "a", createRemoveTimeout: 61 })[0]?.property).toBe(
      "createRemoveTimeout",
    );
    expect(
      known({ external: external([{ server: "a", createRemoveTimeout: 0 }]) }).external?.servers[0],
    ).toEqual({
      server: "a:5696",
      timeout: 25,
      username: "",
      createRemoveTimeout: 0,
    });
  });

  test("plans send it only when set and different; dropping it makes no call", () => {
    const current = { timeout: 25, username: "", createRemoveTimeout: 10 };
    expect(planKeyServerUpdate(current, { ...current, createRemoveTimeout: 20 }, undefined)).toEqual({
      createRemoveTimeout: 20,
    });
    expect(planKeyServerUpdate(current, { timeout: 25, username: "" }, undefined)).toBeUndefined();
    expect(
      planKeyServerCreate(ksKnown({ keyManager: KM, server: "a", createRemoveTimeout: 5 })).patch,
    ).toEqual({
      createRemoveTimeout: 5,
    });
    const s = { server: "a:5696", timeout: 25, username: "" };
    expect(
      planServerChanges([{ ...s, createRemoveTimeout: 10 }], [{ ...s, createRemoveTimeout: 11 }]),
    ).toEqual([{ kind: "patchServer", server: "a:5696", createRemoveTimeout: 11 }]);
    expect(planServerChanges([{ ...s, createRemoveTimeout: 10 }], [s])).toEqual([]);
  });

  test("reads: KeyServer refreshes it when managed; KeyManager keeps the state's (its record has none)", () => {
    const previous = buildKeyServerOutputs(ksKnown({ keyManager: KM, server: "a", createRemoveTimeout: 10 }));
    expect(
      readKeyServer(KM, { server: "a", create_remove_timeout: 12 }, previous).outputs.createRemoveTimeout,
    ).toBe(12);
    const unmanaged = buildKeyServerOutputs(ksKnown({ keyManager: KM, server: "a" }));
    expect(
      readKeyServer(KM, { server: "a", create_remove_timeout: 12 }, unmanaged).outputs,
    ).not.toHaveProperty("createRemoveTimeout");
    const program = { external: external([{ server: "10.0.0.1", createRemoveTimeout: 10 }]) };
    const olds = outputsAfterCreate(program);
    const { outputs } = readKeyManager(recordFor(olds), olds);
    expect(outputs.external?.servers[0]?.createRemoveTimeout).toBe(10);
    expect(diffKeyManager(outputs, checked(program)).changes).toBe(false);
    expect(
      diffKeyServer(previous, checkKeyServer({}, { keyManager: KM, server: "a" }).inputs as never).updates,
    ).toEqual(["createRemoveTimeout"]);
  });
});
