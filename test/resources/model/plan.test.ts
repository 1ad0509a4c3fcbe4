import {
  type ExternalState,
  type KeyServerSettings,
  KeyManagerPlanError,
  planKeyManagerCreate,
  planKeyManagerUpdate,
  planServerChanges,
} from "../../../provider/resources/model";

function s(name: string, timeout = 25, username = ""): KeyServerSettings {
  return { server: `${name}:5696`, timeout, username };
}

function ext(servers: KeyServerSettings[], client = "c1", cas = ["ca1"]): ExternalState {
  return { clientCertificateUuid: client, serverCaCertificateUuids: cas, servers };
}

const add = (...names: string[]) => ({
  kind: "addServers",
  servers: names.map((n) => ({ server: `${n}:5696` })),
});
const remove = (name: string) => ({ kind: "removeServer", server: `${name}:5696` });

function planError(run: () => unknown): KeyManagerPlanError {
  try {
    run();
  } catch (e) {
    if (e instanceof KeyManagerPlanError) return e;
    throw e;
  }
  throw new Error("expected a KeyManagerPlanError");
}

describe("planKeyManagerUpdate: certificates", () => {
  test("nothing to do", () => {
    expect(planKeyManagerUpdate({ external: ext([s("a")]) }, { external: ext([s("a")]) })).toEqual([]);
  });

  test("CA order does not matter", () => {
    expect(
      planKeyManagerUpdate(
        { external: ext([s("a")], "c1", ["x", "y"]) },
        { external: ext([s("a")], "c1", ["y", "x"]) },
      ),
    ).toEqual([]);
  });

  test("one PATCH carries only what changed", () => {
    expect(planKeyManagerUpdate({ external: ext([s("a")]) }, { external: ext([s("a")], "c2") })).toEqual([
      { kind: "patchCertificates", clientCertificateUuid: "c2" },
    ]);
    expect(
      planKeyManagerUpdate({ external: ext([s("a")]) }, { external: ext([s("a")], "c1", ["ca2", "ca1"]) }),
    ).toEqual([{ kind: "patchCertificates", serverCaCertificateUuids: ["ca1", "ca2"] }]);
    expect(
      planKeyManagerUpdate({ external: ext([s("a")]) }, { external: ext([s("a")], "c2", ["ca3"]) }),
    ).toEqual([
      { kind: "patchCertificates", clientCertificateUuid: "c2", serverCaCertificateUuids: ["ca3"] },
    ]);
  });

  test("certificates are patched before servers change", () => {
    expect(planKeyManagerUpdate({ external: ext([s("a")]) }, { external: ext([s("b")], "c2") })).toEqual([
      { kind: "patchCertificates", clientCertificateUuid: "c2" },
      add("b"),
      remove("a"),
    ]);
  });
});

describe("planServerChanges: order", () => {
  test("swapping the only server adds first, then removes", () => {
    expect(planServerChanges([s("a")], [s("b")])).toEqual([add("b"), remove("a")]);
  });

  test("adds in one batch, then removes, when the limit allows", () => {
    expect(planServerChanges([s("a"), s("b"), s("c")], [s("a"), s("d")])).toEqual([
      add("d"),
      remove("b"),
      remove("c"),
    ]);
    expect(planServerChanges([s("a")], [s("a"), s("b"), s("c"), s("d")])).toEqual([add("b", "c", "d")]);
  });

  test("at the limit, removes just enough first", () => {
    expect(planServerChanges([s("a"), s("b"), s("c"), s("d")], [s("a"), s("b"), s("c"), s("e")])).toEqual([
      remove("d"),
      add("e"),
    ]);
    expect(planServerChanges([s("a"), s("b"), s("c")], [s("d"), s("e"), s("f")])).toEqual([
      remove("a"),
      remove("b"),
      add("d", "e", "f"),
      remove("c"),
    ]);
  });

  test("replacing 4 servers by 4 new ones keeps one old server until 3 new ones are in", () => {
    expect(planServerChanges([s("a"), s("b"), s("c"), s("d")], [s("e"), s("f"), s("g"), s("h")])).toEqual([
      remove("a"),
      remove("b"),
      remove("c"),
      add("e", "f", "g"),
      remove("d"),
      add("h"),
    ]);
  });

  test("going from 2 servers to 4 new ones needs two batches", () => {
    expect(planServerChanges([s("a"), s("b")], [s("c"), s("d"), s("e"), s("f")])).toEqual([
      remove("a"),
      add("c", "d", "e"),
      remove("b"),
      add("f"),
    ]);
  });

  test("only removing", () => {
    expect(planServerChanges([s("a"), s("b")], [s("b")])).toEqual([remove("a")]);
  });
});

describe("planServerChanges: settings", () => {
  test("PATCHes kept servers with only the changed fields", () => {
    expect(
      planServerChanges([s("a", 25, "u"), s("b"), s("c")], [s("a", 30, "u"), s("b", 25, "v"), s("c")]),
    ).toEqual([
      { kind: "patchServer", server: "a:5696", timeout: 30 },
      { kind: "patchServer", server: "b:5696", username: "v" },
    ]);
  });

  test("added servers get their non-default settings by PATCH after the POST", () => {
    expect(planServerChanges([s("a", 20)], [s("a"), s("b", 30), s("c", 25, "u"), s("d")])).toEqual([
      { kind: "patchServer", server: "a:5696", timeout: 25 },
      add("b", "c", "d"),
      { kind: "patchServer", server: "b:5696", timeout: 30 },
      { kind: "patchServer", server: "c:5696", username: "u" },
    ]);
  });
});

describe("planServerChanges: serverManagement", () => {
  test("listed leaves servers it never listed alone, and removes the ones it dropped", () => {
    const current = [s("a"), s("b"), s("c")];
    expect(
      planServerChanges(current, [s("a"), s("d")], {
        serverManagement: "listed",
        previouslyManaged: ["a:5696", "c:5696"],
      }),
    ).toEqual([add("d"), remove("c")]);
  });

  test("listed counts servers it does not own towards the limit", () => {
    const current = [s("a"), s("x"), s("y")];
    expect(
      planServerChanges(current, [s("b"), s("c")], {
        serverManagement: "listed",
        previouslyManaged: ["a:5696"],
      }),
    ).toEqual([remove("a"), add("b", "c")]);
    const error = planError(() =>
      planServerChanges([s("a"), s("x"), s("y"), s("z")], [s("a"), s("b")], {
        serverManagement: "listed",
        previouslyManaged: ["a:5696"],
      }),
    );
    expect(error.code).toBe("tooManyServers");
    expect(error.message).toContain("3 server(s) on ONTAP are not managed by this KeyManager");
  });

  test("authoritative removes every server it does not list", () => {
    expect(planServerChanges([s("a"), s("x")], [s("a")], { previouslyManaged: [] })).toEqual([remove("x")]);
  });
});

describe("planKeyManagerUpdate: refusals and onboard", () => {
  test("no servers or too many servers", () => {
    expect(planError(() => planServerChanges([s("a")], [])).code).toBe("noServers");
    expect(planError(() => planServerChanges([s("a")], [s("a"), s("b"), s("c"), s("d"), s("e")])).code).toBe(
      "tooManyServers",
    );
  });

  test("a mode change is not an update", () => {
    expect(
      planError(() => planKeyManagerUpdate({ external: ext([s("a")]) }, { onboard: { passphrase: "p" } }))
        .code,
    ).toBe("modeChange");
    expect(planError(() => planKeyManagerUpdate({ onboard: {} }, { external: ext([s("a")]) })).code).toBe(
      "modeChange",
    );
  });

  test("rotates a changed passphrase, only when the current one is known", () => {
    expect(
      planKeyManagerUpdate({ onboard: { passphrase: "old" } }, { onboard: { passphrase: "new" } }),
    ).toEqual([{ kind: "rotatePassphrase" }]);
    expect(
      planKeyManagerUpdate({ onboard: { passphrase: "same" } }, { onboard: { passphrase: "same" } }),
    ).toEqual([]);
    expect(planKeyManagerUpdate({ onboard: {} }, { onboard: { passphrase: "new" } })).toEqual([]);
  });

  test("steps never carry a secret", () => {
    const steps = planKeyManagerUpdate(
      { onboard: { passphrase: "old-secret" } },
      { onboard: { passphrase: "new-secret" } },
    );
    expect(JSON.stringify(steps)).not.toMatch(/secret/);
  });
});

describe("planKeyManagerCreate", () => {
  test("external: one POST with addresses only, then PATCHes for non-default settings", () => {
    expect(
      planKeyManagerCreate({
        svm: "vs0",
        external: ext([s("b", 30), s("a"), s("c", 25, "u")], "c1", ["ca2", "ca1"]),
      }),
    ).toEqual({
      request: {
        svm: { name: "vs0" },
        external: {
          clientCertificate: { uuid: "c1" },
          serverCaCertificates: [{ uuid: "ca1" }, { uuid: "ca2" }],
          servers: [{ server: "a:5696" }, { server: "b:5696" }, { server: "c:5696" }],
        },
      },
      followUp: [
        { kind: "patchServer", server: "b:5696", timeout: 30 },
        { kind: "patchServer", server: "c:5696", username: "u" },
      ],
    });
  });

  test("onboard", () => {
    expect(planKeyManagerCreate({ onboard: { passphrase: "p" } })).toEqual({
      request: { onboard: { passphrase: "p" } },
      followUp: [],
    });
  });

  test("refuses impossible requests", () => {
    expect(planError(() => planKeyManagerCreate({})).code).toBe("noServers");
    expect(planError(() => planKeyManagerCreate({ external: ext([]) })).code).toBe("noServers");
    expect(
      planError(() => planKeyManagerCreate({ external: ext(["a", "b", "c", "d", "e"].map((n) => s(n))) }))
        .code,
    ).toBe("tooManyServers");
  });
});
