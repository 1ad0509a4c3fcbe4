/**
 * `/api/security/certificates` on the simulator: POST (install), GET (fields, filters), DELETE, with the codes of
 * NetApp's REST reference (see simulator/README.md), and the key-pair identity taken from the real key, so that
 * ONTAP's rule for a key manager's new client certificate (65536850: same key pair) holds for installed ones.
 */
import { startSimulator } from "../../simulator";
import { type Pem, caCertificate, clientCertificate, keyPair } from "../support/certs";
import { Client, expectError, records, str, useSimulator } from "./helpers";

let c: Client;
let ca: Pem;
let client: Pem;
let renewed: Pem;
let other: Pem;
let expired: Pem;
let future: Pem;

const CERTS = "/api/security/certificates";
const KM = "/api/security/key-managers";

useSimulator({ ontapVersion: "9.13", jobDelayMs: 5 }, (_sim, http) => {
  c = http;
});

beforeAll(async () => {
  ca = await caCertificate("KMIP CA");
  const pair = keyPair();
  client = await clientCertificate("ontap-kmip", ca, pair, 365);
  renewed = await clientCertificate("ontap-kmip", ca, pair, 730);
  other = await clientCertificate("ontap-kmip", ca, keyPair(), 365);
  expired = await clientCertificate("old", ca, keyPair(), 10, -20);
  future = await clientCertificate("later", ca, keyPair(), 10, 5);
});

async function install(body: Record<string, unknown>): Promise<string> {
  const r = await c.post(`${CERTS}?return_records=true`, body);
  expect(r.status).toBe(201);
  return str(records(r)[0]?.uuid);
}

const clientBody = (name: string, pem: Pem = client, svm = "vs0"): Record<string, unknown> => ({
  svm: { name: svm },
  name,
  type: "client",
  public_certificate: pem.cert,
  private_key: pem.key,
});
const caBody = (name: string, svm = "vs0"): Record<string, unknown> => ({
  svm: { name: svm },
  name,
  type: "server_ca",
  public_certificate: ca.cert,
});

test("POST installs a client certificate; GET shows its fields from the PEM, never the key", async () => {
  const r = await c.post(`${CERTS}?return_records=true`, clientBody("kmip-client"));
  expect(r.status).toBe(201);
  expect(r.headers.location).toMatch(/^\/api\/security\/certificates\/[0-9a-f-]{36}$/);
  const uuid = str(records(r)[0]?.uuid);
  const got = await c.get(`${CERTS}/${uuid}?fields=*`);
  expect(got.body).toMatchObject({
    uuid,
    name: "kmip-client",
    type: "client",
    scope: "svm",
    svm: { name: "vs0" },
    common_name: "ontap-kmip",
    ca: "KMIP CA",
    public_certificate: expect.stringContaining("BEGIN CERTIFICATE") as unknown,
  });
  expect(str(got.body.serial_number)).toMatch(/^[0-9A-F]+$/);
  expect(str(got.body.subject_key_identifier)).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
  expect(JSON.stringify(got.body)).not.toContain("PRIVATE KEY");
  expect((await c.get(`${CERTS}/${uuid}?fields=private_key`)).body.error?.code).toBe("262249");
});

test("filters by name and scope; the same name in another SVM is another certificate", async () => {
  await install(caBody("kmip-ca", "vs0"));
  await install(caBody("kmip-ca", "vs1"));
  const vs0 = records(await c.get(`${CERTS}?name=kmip-ca&svm.name=vs0&fields=name,svm`));
  expect(vs0.map((r) => r.svm?.name)).toEqual(["vs0"]);
  expect(records(await c.get(`${CERTS}?name=kmip-ca&scope=cluster`))).toEqual([]);
});

test.each<[string, () => Record<string, unknown>, string]>([
  [
    "an invalid PEM",
    () => ({
      ...caBody("x"),
      public_certificate: "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----",
    }),
    "52559975",
  ],
  [
    "a key that does not parse",
    () => ({
      ...clientBody("x"),
      private_key: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    }),
    "52560123",
  ],
  ["a client certificate without its key", () => ({ ...clientBody("x"), private_key: undefined }), "3735693"],
  ["a private key with a server_ca", () => ({ ...caBody("x"), private_key: "k" }), "3735618"],
  ["an unsupported type here", () => ({ ...caBody("x"), type: "server" }), "3735622"],
])("POST refuses %s", async (_what, body, code) => {
  expectError(await c.post(CERTS, body()), 400, code);
  expect(records(await c.get(`${CERTS}?name=x`))).toEqual([]);
});

test("POST refuses a key that does not match, an expired and a not-yet-valid certificate", async () => {
  expectError(await c.post(CERTS, { ...clientBody("x"), private_key: other.key }), 400, "52559976");
  expectError(await c.post(CERTS, clientBody("x", expired)), 400, "52559973");
  expectError(await c.post(CERTS, clientBody("x", future)), 400, "52559972");
});

test("a name is unique per SVM: a second install of it is a duplicate entry", async () => {
  await install(caBody("kmip-ca"));
  expectError(await c.post(CERTS, caBody("kmip-ca")), 409, "1");
  expectError(await c.post(CERTS, clientBody("kmip-ca")), 409, "1");
});

test("9.6 and 9.7 know no certificate name (it came with 9.8)", async () => {
  const old = await startSimulator({ ontapVersion: "9.7" });
  const oc = new Client(old);
  try {
    expectError(await oc.post(CERTS, caBody("kmip-ca")), 400, "262179");
    expect((await oc.post(CERTS, { ...caBody("kmip-ca"), name: undefined })).status).toBe(201);
  } finally {
    await oc.close();
    await old.close();
  }
});

async function externalKm(clientUuid: string, caUuid: string): Promise<string> {
  const r = await c.post(`${KM}?return_records=true&return_timeout=10`, {
    svm: { name: "vs0" },
    external: {
      client_certificate: { uuid: clientUuid },
      server_ca_certificates: [{ uuid: caUuid }],
      servers: [{ server: "10.0.0.1" }],
    },
  });
  expect(r.status).toBe(201);
  return str(records(r)[0]?.uuid);
}

test("65536850 holds for installed certificates: a renewal with the same key pair is accepted, another key pair is not", async () => {
  const first = await install(clientBody("kmip-client"));
  const caUuid = await install(caBody("kmip-ca"));
  const km = await externalKm(first, caUuid);
  const otherUuid = await install(clientBody("kmip-other", other));
  const refused = await c.patch(`${KM}/${km}?return_timeout=10`, {
    external: { client_certificate: { uuid: otherUuid } },
  });
  expect(refused.status).toBe(400);
  expect(refused.body.error?.code).toBe("65536850");
  const renewedUuid = await install(clientBody("kmip-client-2", renewed));
  const ok = await c.patch(`${KM}/${km}?return_timeout=10`, {
    external: { client_certificate: { uuid: renewedUuid } },
  });
  expect(ok.status).toBe(200);
  // A seeded certificate has another key pair than any installed one.
  const seeded = str(records(await c.get(`${CERTS}?name=vs0-client&svm.name=vs0`))[0]?.uuid);
  const again = await c.patch(`${KM}/${km}?return_timeout=10`, {
    external: { client_certificate: { uuid: seeded } },
  });
  expect(again.body.error?.code).toBe("65536850");
});

test("DELETE removes a certificate; one a key manager uses is refused with 3735683 and stays", async () => {
  const cl = await install(clientBody("kmip-client"));
  const caUuid = await install(caBody("kmip-ca"));
  const spare = await install(caBody("kmip-ca-spare"));
  const km = await externalKm(cl, caUuid);
  expectError(await c.del(`${CERTS}/${cl}`), 400, "3735683");
  expectError(await c.del(`${CERTS}/${caUuid}`), 400, "3735683");
  expect((await c.get(`${CERTS}/${cl}`)).status).toBe(200);
  expect((await c.del(`${CERTS}/${spare}`)).status).toBe(200);
  expectError(await c.del(`${CERTS}/${spare}`), 404, "4");
  expect((await c.del(`${KM}/${km}?return_timeout=10`)).status).toBe(200);
  expect((await c.del(`${CERTS}/${cl}`)).status).toBe(200);
});
