/**
 * The state layout of KeyManager (servers and CA certificates as maps keyed by address and reference, so that
 * the engine's display reads an addition as one `+` entry), and the 0.1 layout (lists) read back unchanged.
 */
import {
  UNKNOWN,
  checkKeyManager,
  diffKeyManager,
  keyManagerInputsFromState,
  keyManagerInputsToState,
  keyManagerOutputsToState,
  keyManagerStateShape,
  parseKeyManagerOutputs,
  readKeyManager,
} from "../../../provider/resources/model";
import { checked, fakeUuid, outputsAfterCreate, recordFor } from "./fixtures";

const program = {
  svm: "vs0",
  external: {
    clientCertificate: "client",
    serverCaCertificates: ["ca-2", "ca-1"],
    servers: ["kmip2.example.com:5697", { server: "10.0.0.1", timeout: 30 }],
  },
};

describe("KeyManager state layout", () => {
  test("checked inputs hand the engine maps keyed by canonical address and reference", () => {
    expect(keyManagerInputsToState(checked(program)).external).toEqual({
      clientCertificate: "client",
      serverCaCertificates: { "ca-1": true, "ca-2": true },
      servers: {
        "10.0.0.1:5696": { timeout: 30, username: "" },
        "kmip2.example.com:5697": { timeout: 25, username: "" },
      },
    });
  });

  test("outputs hand the engine maps, the CA map giving the UUID ONTAP uses", () => {
    const state = keyManagerOutputsToState(outputsAfterCreate(program));
    expect(state.external).toEqual({
      clientCertificate: "client",
      clientCertificateUuid: fakeUuid("client"),
      serverCaCertificates: { "ca-1": fakeUuid("ca-1"), "ca-2": fakeUuid("ca-2") },
      servers: {
        "10.0.0.1:5696": { timeout: 30, username: "" },
        "kmip2.example.com:5697": { timeout: 25, username: "" },
      },
    });
    expect(keyManagerStateShape(state)).toBe("maps");
  });

  test("the checked inputs the engine passes back check to the same inputs, with no diff", () => {
    const inputs = checked(program);
    const back = checkKeyManager({}, keyManagerInputsFromState(keyManagerInputsToState(inputs)));
    expect(back).toEqual({ valid: true, inputs, failures: [] });
    const outputs = outputsAfterCreate(program);
    const stored = parseKeyManagerOutputs(JSON.parse(JSON.stringify(keyManagerOutputsToState(outputs))));
    expect(stored).toEqual(outputs);
    expect(diffKeyManager(stored, back.valid ? back.inputs : inputs).changes).toBe(false);
  });

  test("maps handed back in another key order read the same", () => {
    const state = keyManagerOutputsToState(outputsAfterCreate(program));
    const external = state.external as { servers: Record<string, unknown> };
    const reversed = Object.fromEntries(Object.entries(external.servers).reverse());
    expect(parseKeyManagerOutputs({ ...state, external: { ...external, servers: reversed } })).toEqual(
      outputsAfterCreate(program),
    );
  });

  test("0.1 outputs (lists) parse to the same outputs, with no diff against the new checked inputs", () => {
    const outputs = outputsAfterCreate(program);
    // The 0.1 layout, as that release wrote it.
    const legacy = {
      uuid: outputs.uuid,
      scope: "svm",
      svm: "vs0",
      svmUuid: outputs.svmUuid,
      external: {
        clientCertificate: "client",
        clientCertificateUuid: fakeUuid("client"),
        serverCaCertificates: ["ca-1", "ca-2"],
        serverCaCertificateUuids: [fakeUuid("ca-1"), fakeUuid("ca-2")],
        servers: [
          { server: "10.0.0.1:5696", timeout: 30, username: "" },
          { server: "kmip2.example.com:5697", timeout: 25, username: "" },
        ],
      },
      adopt: false,
      serverManagement: "authoritative",
    };
    expect(keyManagerStateShape(legacy)).toBe("lists");
    expect(parseKeyManagerOutputs(legacy)).toEqual(outputs);
    const news = checkKeyManager({}, keyManagerInputsFromState(keyManagerInputsToState(checked(program))));
    expect(news.valid && diffKeyManager(parseKeyManagerOutputs(legacy), news.inputs).changes).toBe(false);
    // A refresh of 0.1 outputs keeps their layout: the engine shows a refresh as a diff of outputs.
    const read = readKeyManager(recordFor(outputs), parseKeyManagerOutputs(legacy));
    expect(keyManagerOutputsToState(read.outputs, keyManagerStateShape(legacy))).toEqual(legacy);
  });

  test("a server whose address is unknown (preview) makes the whole map unknown: a key cannot be", () => {
    const inputs = checked({
      external: { ...program.external, servers: ["10.0.0.1", { server: UNKNOWN }] },
    });
    const state = keyManagerInputsToState(inputs);
    expect((state.external as { servers: unknown }).servers).toBe(UNKNOWN);
    const back = checkKeyManager({}, keyManagerInputsFromState(state));
    expect(back.valid && diffKeyManager(outputsAfterCreate(program), back.inputs).updates).toEqual([
      "external.servers",
    ]);
  });

  test("a known address with an unknown timeout keeps its key", () => {
    const state = keyManagerInputsToState(
      checked({ external: { ...program.external, servers: [{ server: "10.0.0.1", timeout: UNKNOWN }] } }),
    );
    expect((state.external as { servers: unknown }).servers).toEqual({
      "10.0.0.1:5696": { timeout: UNKNOWN, username: "" },
    });
  });

  test("certificate names that look like object internals are plain keys", () => {
    const refs = ["__proto__", "constructor"];
    const inputs = checked({ external: { ...program.external, serverCaCertificates: refs } });
    const state = keyManagerInputsToState(inputs);
    expect(Object.keys((state.external as { serverCaCertificates: object }).serverCaCertificates)).toEqual(
      refs,
    );
    const back = checkKeyManager({}, keyManagerInputsFromState(JSON.parse(JSON.stringify(state))));
    expect(back).toEqual({ valid: true, inputs, failures: [] });
  });
});
