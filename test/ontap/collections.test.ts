/**
 * The per-collection modules (SVMs, certificates, key managers, key servers) against the simulator playing
 * ONTAP 9.6, where every write answers synchronously.
 */

import { startSimulator, type Simulator } from "../../simulator";
import {
  OntapApiError,
  OntapUnsupportedError,
  addKeyServer,
  addKeyServers,
  closeAllClients,
  createKeyManager,
  deleteKeyManager,
  deleteKeyServer,
  findKeyManager,
  findKeyManagerForScope,
  findKeyServer,
  findSvmByName,
  getClient,
  keyManagerRecordSchema,
  listCertificates,
  listKeyManagers,
  listKeyServers,
  rotateOnboardPassphrase,
  updateKeyManagerCertificates,
  updateKeyServer,
  type OntapClient,
} from "../../provider/ontap";
import { FAST, eventually, rejectionOf, settingsFor } from "./helpers";

let sim: Simulator;
let client: OntapClient;

beforeAll(async () => {
  sim = await startSimulator({ ontapVersion: "9.6" });
});

afterAll(async () => {
  await closeAllClients();
  await sim.close();
});

beforeEach(() => {
  sim.reset();
  client = getClient(settingsFor(sim), FAST);
});

const P1 = "first onboard passphrase, 32+ characters long";
const P2 = "second onboard passphrase, 32+ characters too";

async function externalForVs0(servers = [{ server: "10.0.0.5" }]) {
  return createKeyManager(client, {
    svm: { name: "vs0" },
    external: {
      clientCertificate: { name: "vs0-client" },
      serverCaCertificates: [{ name: "vs0-ca-1" }],
      servers,
    },
  });
}

describe("SVMs and certificates", () => {
  test("an SVM is found by exact name; the admin SVM and unknown names are not data SVMs", async () => {
    expect(await findSvmByName(client, "vs0")).toMatchObject({
      name: "vs0",
      uuid: expect.any(String) as string,
    });
    expect(await findSvmByName(client, "cluster1")).toBeUndefined();
    expect(await findSvmByName(client, "vs9")).toBeUndefined();
  });

  test("certificates of a scope are listed", async () => {
    const cas = await listCertificates(client, { svmName: "vs1", type: "server_ca" });
    expect(cas.map((c) => c.name).sort()).toEqual(["vs1-ca-1", "vs1-ca-2", "vs1-ca-3"]);
  });
});

describe("key managers", () => {
  test("an external key manager is created, read by uuid, by scope and in lists", async () => {
    const km = await externalForVs0([{ server: "10.0.0.5" }, { server: "kms.example.com:5697" }]);
    expect(km).toMatchObject({
      scope: "svm",
      svm: { name: "vs0" },
      external: { servers: [{ server: "10.0.0.5:5696", timeout: 25 }, { server: "kms.example.com:5697" }] },
    });
    expect(await findKeyManager(client, km.uuid)).toMatchObject({ uuid: km.uuid, scope: "svm" });
    expect((await findKeyManagerForScope(client, { svmName: "vs0" }))?.uuid).toBe(km.uuid);
    expect(await findKeyManagerForScope(client, { svmName: "vs1" })).toBeUndefined();
    expect(await findKeyManagerForScope(client, {})).toBeUndefined();
    expect((await listKeyManagers(client, { scope: "svm" })).map((k) => k.uuid)).toEqual([km.uuid]);
    const get = sim
      .requestLog()
      .find((e) => e.method === "GET" && e.path.startsWith(`/api/security/key-managers/${km.uuid}`));
    expect(get?.path).toContain(
      "fields=uuid,scope,svm.uuid,svm.name,onboard.enabled,external.client_certificate.uuid",
    );
  });

  test("later-release fields are not asked of a 9.6 cluster, which would refuse them", async () => {
    const km = await externalForVs0();
    sim.clearRequestLog();
    expect(await findKeyManager(client, km.uuid, { laterFields: true })).toMatchObject({ uuid: km.uuid });
    const isGet = (e: { path: string }): boolean =>
      e.path.startsWith(`/api/security/key-managers/${km.uuid}`);
    await eventually(() => sim.requestLog().some(isGet));
    expect(sim.requestLog().find(isGet)?.path).not.toContain("status");
    const err = await rejectionOf(
      client.get(`/security/key-managers/${km.uuid}`, keyManagerRecordSchema, { fields: ["uuid", "status"] }),
    );
    expect((err as OntapApiError).ontapCode).toBe("262197");
  });

  test("a second key manager in the same scope is refused with 65536823 and the adopt remedy", async () => {
    await externalForVs0();
    const err = await rejectionOf(externalForVs0());
    expect(err).toBeInstanceOf(OntapApiError);
    expect((err as OntapApiError).ontapCode).toBe("65536823");
    expect((err as OntapApiError).remedy).toContain("adopt: true");
  });

  test("certificates are replaced; a client certificate with another key pair is refused", async () => {
    const km = await externalForVs0();
    const renewed = (await listCertificates(client, { svmName: "vs0", type: "client" })).find(
      (c) => c.name === "vs0-client-renewed",
    );
    const ca2 = (await listCertificates(client, { svmName: "vs0", type: "server_ca" })).find(
      (c) => c.name === "vs0-ca-2",
    );
    await updateKeyManagerCertificates(client, km.uuid, {
      clientCertificate: { uuid: renewed!.uuid },
      serverCaCertificates: [{ uuid: ca2!.uuid }],
    });
    expect(await findKeyManager(client, km.uuid)).toMatchObject({
      external: {
        client_certificate: { uuid: renewed!.uuid },
        server_ca_certificates: [{ uuid: ca2!.uuid }],
      },
    });
    const err = await rejectionOf(
      updateKeyManagerCertificates(client, km.uuid, { clientCertificate: { name: "vs0-client-other" } }),
    );
    expect((err as OntapApiError).ontapCode).toBe("65536850");
    expect((err as OntapApiError).meaning).toBe("the new client certificate has a different key pair");
  });

  test("the onboard passphrase is set and rotated; a wrong existing passphrase is refused", async () => {
    const km = await createKeyManager(client, { onboard: { passphrase: P1 } });
    expect(km).toMatchObject({ scope: "cluster", onboard: { enabled: true } });
    expect(sim.checkOnboardPassphrase(P1)).toBe(true);
    await rotateOnboardPassphrase(client, km.uuid, { existingPassphrase: P1, passphrase: P2 });
    expect(sim.checkOnboardPassphrase(P2)).toBe(true);
    const err = await rejectionOf(
      rotateOnboardPassphrase(client, km.uuid, { existingPassphrase: P1, passphrase: P2 }),
    );
    expect((err as OntapApiError).ontapCode).toBe("65536139");
    expect((err as Error).message).not.toContain(P1);
    expect((err as Error).message).not.toContain(P2);
  });

  test("deleting is refused while encrypted volumes depend on it, and works after", async () => {
    const km = await externalForVs0();
    sim.seedEncryptedVolume("vs0");
    const err = await rejectionOf(deleteKeyManager(client, km.uuid));
    expect((err as OntapApiError).ontapCode).toBe("65536867");
    expect((err as OntapApiError).remedy).toContain("encrypted volumes");
    sim.removeVolumes("vs0");
    await deleteKeyManager(client, km.uuid);
    expect(await findKeyManager(client, km.uuid)).toBeUndefined();
  });
});

describe("key servers", () => {
  test("servers are added one by one and in a batch, listed, read by host:port, changed and removed", async () => {
    const km = await externalForVs0();
    await addKeyServer(client, km.uuid, { server: "10.0.0.6:5696" });
    await updateKeyServer(client, km.uuid, "10.0.0.6:5696", { timeout: 30, username: "kmip" });
    await addKeyServers(client, km.uuid, [{ server: "10.0.0.7" }, { server: "[fd00::7]:5696" }]);
    expect((await listKeyServers(client, km.uuid)).map((s) => s.server)).toEqual([
      "10.0.0.5:5696",
      "10.0.0.6:5696",
      "10.0.0.7:5696",
      "[fd00::7]:5696",
    ]);
    expect(await findKeyServer(client, km.uuid, "10.0.0.6:5696")).toMatchObject({
      timeout: 30,
      username: "kmip",
    });
    expect(await findKeyServer(client, km.uuid, "[fd00::7]:5696")).toMatchObject({
      server: "[fd00::7]:5696",
    });
    // The path segment went out URL-encoded.
    expect(sim.requestLog().some((e) => e.path.includes("/key-servers/%5Bfd00%3A%3A7%5D%3A5696"))).toBe(true);
    await updateKeyServer(client, km.uuid, "10.0.0.6:5696", { timeout: 45 });
    expect(await findKeyServer(client, km.uuid, "10.0.0.6:5696")).toMatchObject({ timeout: 45 });
    await deleteKeyServer(client, km.uuid, "10.0.0.7:5696");
    expect(await findKeyServer(client, km.uuid, "10.0.0.7:5696")).toBeUndefined();
  });

  test("a fifth server is refused with 65536038; forced removal needs a later release", async () => {
    const km = await externalForVs0();
    await addKeyServers(client, km.uuid, [
      { server: "10.0.0.6" },
      { server: "10.0.0.7" },
      { server: "10.0.0.8" },
    ]);
    const err = await rejectionOf(addKeyServer(client, km.uuid, { server: "10.0.0.9" }));
    expect((err as OntapApiError).ontapCode).toBe("65536038");
    const forced = await rejectionOf(deleteKeyServer(client, km.uuid, "10.0.0.9:5696", { force: true }));
    expect(forced).toBeInstanceOf(OntapUnsupportedError);
    expect((forced as Error).message).toMatch(/^forced removals of key servers need ONTAP 9\.7 or later/);
  });
});
