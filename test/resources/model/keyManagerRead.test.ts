import type { KeyManagerRecord } from "../../../provider/ontap";
import {
  buildKeyManagerOutputs,
  certificateRefsToResolve,
  desiredKeyManagerState,
  diffKeyManager,
  keyManagerInputsFromOutputs,
  keyManagerStateFromRecord,
  parseKeyManagerOutputs,
  readKeyManager,
} from "../../../provider/resources/model";
import { KM_UUID, SVM_UUID, checked, fakeUuid, known, outputsAfterCreate, recordFor } from "./fixtures";

const PASSPHRASE = "The quick brown fox jumps over 13 lazy dogs!";
const CLIENT_UUID = "6f2c1a0e-8b7d-4c3e-9f10-2a3b4c5d6e7f";
const OTHER_UUID = "7f2c1a0e-8b7d-4c3e-9f10-2a3b4c5d6e7f";

const external = {
  clientCertificate: "kmip-client",
  serverCaCertificates: ["ca-1", "ca-2"],
  servers: ["kms1", { server: "kms2", timeout: 30 }],
};
const program = { svm: "vs0", external };
const created = outputsAfterCreate(program);

describe("buildKeyManagerOutputs", () => {
  test("carries the normalised inputs and the resolved certificates, index for index", () => {
    expect(created).toEqual({
      uuid: KM_UUID,
      scope: "svm",
      svm: "vs0",
      svmUuid: SVM_UUID,
      external: {
        clientCertificate: "kmip-client",
        clientCertificateUuid: fakeUuid("kmip-client"),
        serverCaCertificates: ["ca-1", "ca-2"],
        serverCaCertificateUuids: [fakeUuid("ca-1"), fakeUuid("ca-2")],
        servers: [
          { server: "kms1:5696", timeout: 25, username: "" },
          { server: "kms2:5696", timeout: 30, username: "" },
        ],
      },
      adopt: false,
      serverManagement: "authoritative",
    });
  });

  test("UUID references resolve to themselves; an unresolved name is an error", () => {
    const inputs = known({
      external: { ...external, clientCertificate: CLIENT_UUID, serverCaCertificates: [OTHER_UUID] },
    });
    expect(certificateRefsToResolve(inputs)).toEqual([]);
    const outputs = buildKeyManagerOutputs(inputs, { uuid: KM_UUID });
    expect(outputs.external?.clientCertificateUuid).toBe(CLIENT_UUID);
    expect(outputs.external?.serverCaCertificateUuids).toEqual([OTHER_UUID]);
    expect(() => buildKeyManagerOutputs(known(program), { uuid: KM_UUID })).toThrow(
      /certificate "kmip-client" was not resolved/,
    );
  });

  test("onboard outputs hold the passphrase and the key backup", () => {
    const outputs = buildKeyManagerOutputs(known({ onboard: { passphrase: PASSPHRASE } }), {
      uuid: KM_UUID,
      keyBackup: "BACKUP",
    });
    expect(outputs).toEqual({
      uuid: KM_UUID,
      scope: "cluster",
      onboard: { enabled: true, passphrase: PASSPHRASE, keyBackup: "BACKUP" },
      adopt: false,
      serverManagement: "authoritative",
    });
  });
});

describe("readKeyManager", () => {
  test("an unchanged key manager reads back as the same outputs and shows no diff", () => {
    const read = readKeyManager(recordFor(created), created);
    expect(read.outputs).toEqual(created);
    expect(diffKeyManager(read.outputs, checked(program)).changes).toBe(false);
    expect(read.inputs).toEqual(known(program));
  });

  test("canonicalises ONTAP's spelling of servers and certificate UUIDs", () => {
    const record = recordFor(created);
    record.external!.servers = [{ server: "KMS2:5696", timeout: 30, username: "" }, { server: "kms1" }];
    record.external!.client_certificate = { uuid: created.external!.clientCertificateUuid.toUpperCase() };
    expect(readKeyManager(record, created).outputs).toEqual(created);
  });

  test("a client certificate swapped out of band is reported by UUID, so the program's name shows a diff", () => {
    const record: KeyManagerRecord = { ...recordFor(created) };
    record.external = { ...record.external, client_certificate: { uuid: OTHER_UUID } };
    const read = readKeyManager(record, created);
    expect(read.outputs.external).toMatchObject({
      clientCertificate: OTHER_UUID,
      clientCertificateUuid: OTHER_UUID,
    });
    expect(read.inputs.external?.clientCertificate).toBe(OTHER_UUID);
    expect(diffKeyManager(read.outputs, checked(program)).updates).toEqual(["external.clientCertificate"]);
  });

  test("a CA certificate added out of band appears by UUID next to the user's names", () => {
    const record = recordFor(created);
    record.external!.server_ca_certificates!.push({ uuid: OTHER_UUID });
    const read = readKeyManager(record, created);
    expect(read.outputs.external?.serverCaCertificates).toEqual([OTHER_UUID, "ca-1", "ca-2"].sort());
    expect(read.outputs.external?.serverCaCertificateUuids).toEqual(
      read.outputs.external!.serverCaCertificates.map((ref) =>
        ref === OTHER_UUID ? OTHER_UUID : fakeUuid(ref),
      ),
    );
    expect(diffKeyManager(read.outputs, checked(program)).updates).toEqual([
      `external.serverCaCertificates["${OTHER_UUID}"]`,
    ]);
  });

  test("two spellings of the same certificate both read back", () => {
    const news = { external: { ...external, serverCaCertificates: ["ca-1", fakeUuid("ca-1")] } };
    const outputs = outputsAfterCreate(news);
    const read = readKeyManager(recordFor(outputs), outputs);
    expect(read.outputs.external?.serverCaCertificates).toEqual(outputs.external?.serverCaCertificates);
    expect(diffKeyManager(read.outputs, checked(news)).changes).toBe(false);
  });

  test("a name read back for the certificate ONTAP still uses keeps its spelling", () => {
    const same = readKeyManager(recordFor(created), created);
    expect(same.outputs).toEqual(created);
  });

  test("authoritative: a server added out of band is drift", () => {
    const record = recordFor(created);
    record.external!.servers!.push({ server: "rogue:5696", timeout: 25, username: "" });
    const read = readKeyManager(record, created);
    expect(read.outputs.external?.servers.map((s) => s.server)).toEqual([
      "kms1:5696",
      "kms2:5696",
      "rogue:5696",
    ]);
    expect(diffKeyManager(read.outputs, checked(program)).updates).toEqual([
      'external.servers["rogue:5696"]',
    ]);
  });

  test("listed: servers the resource does not list are ignored, its own are tracked", () => {
    const listedProgram = { ...program, serverManagement: "listed" };
    const listed = outputsAfterCreate(listedProgram);
    const record = recordFor(listed);
    record.external!.servers!.push({ server: "other:5696", timeout: 25, username: "" });
    expect(diffKeyManager(readKeyManager(record, listed).outputs, checked(listedProgram)).changes).toBe(
      false,
    );
    record.external!.servers = record.external!.servers!.filter((s) => s.server !== "kms1:5696");
    const read = readKeyManager(record, listed);
    expect(read.outputs.external?.servers.map((s) => s.server)).toEqual(["kms2:5696"]);
    expect(diffKeyManager(read.outputs, checked(listedProgram)).updates).toEqual([
      'external.servers["kms1:5696"]',
    ]);
  });

  test("per-server drift (timeout, username) shows", () => {
    const record = recordFor(created);
    record.external!.servers![0] = { server: "kms1:5696", timeout: 10, username: "x" };
    expect(diffKeyManager(readKeyManager(record, created).outputs, checked(program)).updates).toEqual([
      'external.servers["kms1:5696"]',
    ]);
  });

  test("missing ONTAP defaults are filled in", () => {
    const record = recordFor(created);
    record.external!.servers = [{ server: "kms1:5696" }, { server: "kms2:5696", timeout: 30 }];
    expect(readKeyManager(record, created).outputs).toEqual(created);
  });

  test("an SVM renamed out of band is reported by its new name (a replacement the user must resolve)", () => {
    const record = { ...recordFor(created), svm: { uuid: SVM_UUID, name: "vs0-renamed" } };
    const read = readKeyManager(record, created);
    expect(read.outputs.svm).toBe("vs0-renamed");
    expect(diffKeyManager(read.outputs, checked(program)).replaces).toEqual(["svm"]);
  });

  test("onboard: the passphrase is carried over, enabled and key backup come from ONTAP", () => {
    const news = { onboard: { passphrase: PASSPHRASE }, profile: "lab", adopt: true };
    const outputs = outputsAfterCreate(news);
    const read = readKeyManager(
      { uuid: KM_UUID, scope: "cluster", onboard: { enabled: true, key_backup: "BACKUP" } },
      outputs,
    );
    expect(read.outputs).toEqual({
      ...outputs,
      onboard: { enabled: true, passphrase: PASSPHRASE, keyBackup: "BACKUP" },
    });
    expect(read.inputs).toEqual(known(news));
    expect(diffKeyManager(read.outputs, checked(news)).changes).toBe(false);
  });

  test("an external record that also says onboard.enabled=false is external", () => {
    const record = { ...recordFor(created), onboard: { enabled: false } };
    expect(readKeyManager(record, created).outputs).toEqual(created);
  });

  test("a mode switched out of band shows as a replacement", () => {
    const read = readKeyManager(
      { uuid: KM_UUID, scope: "svm", svm: { uuid: SVM_UUID, name: "vs0" }, onboard: { enabled: true } },
      created,
    );
    expect(diffKeyManager(read.outputs, checked(program)).replaces).toEqual(["external", "onboard"]);
  });

  test("import (no previous state): certificates by UUID, defaults for the resource options, no passphrase", () => {
    const read = readKeyManager(recordFor(created), undefined);
    expect(read.outputs).toEqual({
      ...created,
      external: {
        ...created.external!,
        clientCertificate: created.external!.clientCertificateUuid,
        serverCaCertificates: [...created.external!.serverCaCertificateUuids].sort(),
        serverCaCertificateUuids: [...created.external!.serverCaCertificateUuids].sort(),
      },
    });
    const onboard = readKeyManager(
      { uuid: KM_UUID, scope: "cluster", onboard: { enabled: true } },
      undefined,
    );
    expect(onboard.outputs.onboard).toEqual({ enabled: true });
    expect(onboard.inputs).toEqual({ onboard: {}, adopt: false, serverManagement: "authoritative" });
  });
});

describe("state for planning", () => {
  test("keyManagerStateFromRecord reports every ONTAP server and the previous passphrase", () => {
    const record = recordFor(created);
    record.external!.servers!.push({ server: "Other" });
    expect(keyManagerStateFromRecord(record)).toEqual({
      external: {
        clientCertificateUuid: fakeUuid("kmip-client"),
        serverCaCertificateUuids: [fakeUuid("ca-1"), fakeUuid("ca-2")].sort(),
        servers: [
          { server: "kms1:5696", timeout: 25, username: "" },
          { server: "kms2:5696", timeout: 30, username: "" },
          { server: "other:5696", timeout: 25, username: "" },
        ],
      },
    });
    expect(
      keyManagerStateFromRecord({ uuid: KM_UUID, scope: "cluster", onboard: { enabled: true } }, "pw"),
    ).toEqual({
      onboard: { passphrase: "pw" },
    });
    expect(
      keyManagerStateFromRecord({ uuid: KM_UUID, scope: "cluster", onboard: { enabled: true } }),
    ).toEqual({ onboard: {} });
  });

  test("desiredKeyManagerState resolves names and keeps the SVM", () => {
    const inputs = known(program);
    const resolution = new Map(certificateRefsToResolve(inputs).map((n) => [n, fakeUuid(n)]));
    expect(certificateRefsToResolve(inputs)).toEqual(["ca-1", "ca-2", "kmip-client"]);
    expect(desiredKeyManagerState(inputs, resolution)).toEqual({
      svm: "vs0",
      external: {
        clientCertificateUuid: fakeUuid("kmip-client"),
        serverCaCertificateUuids: [fakeUuid("ca-1"), fakeUuid("ca-2")].sort(),
        servers: inputs.external!.servers,
      },
    });
    expect(desiredKeyManagerState(known({ onboard: { passphrase: PASSPHRASE } }))).toEqual({
      onboard: { passphrase: PASSPHRASE },
    });
  });

  test("keyManagerInputsFromOutputs round-trips inputs", () => {
    expect(keyManagerInputsFromOutputs(created)).toEqual(known(program));
  });
});

describe("parseKeyManagerOutputs", () => {
  test("accepts stored state, ignoring internal keys, and fills options older state lacks", () => {
    const { adopt: _adopt, serverManagement: _sm, ...older } = created;
    expect(parseKeyManagerOutputs({ ...older, __provider: "serialized" })).toEqual(created);
  });

  test("rejects broken state naming fields, never values", () => {
    const stored = outputsAfterCreate({ onboard: { passphrase: PASSPHRASE } });
    let message = "";
    try {
      parseKeyManagerOutputs({
        ...stored,
        uuid: undefined,
        onboard: { passphrase: PASSPHRASE, enabled: PASSPHRASE },
      });
    } catch (e) {
      message = String(e);
    }
    expect(message).toMatch(/stored KeyManager state is not valid: uuid: .*; onboard\.enabled: /);
    expect(message).not.toContain(PASSPHRASE);
  });

  test("rejects CA lists that are not parallel", () => {
    const broken = { ...created, external: { ...created.external!, serverCaCertificateUuids: [] } };
    expect(() => parseKeyManagerOutputs(broken)).toThrow(/same length/);
  });
});
