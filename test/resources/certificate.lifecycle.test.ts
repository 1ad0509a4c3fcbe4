/**
 * The Certificate provider implementation against the simulator (ONTAP 9.13, and 9.7 for the release gate):
 * validation at check with no call, the exact calls of install/refresh/delete, read before write (a name already
 * taken fails before any write unless `adopt` and the same certificate), identity checked on answers, a lost POST
 * or DELETE answer reconciled, drift, the expiry warning, and the refused delete naming the key manager.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { closeAllClients } from "../../provider/ontap";
import * as impl from "../../provider/resources/impl/certificateProvider";
import { type Simulator, startSimulator } from "../../simulator";
import { type Pem, caCertificate, clientCertificate, keyPair } from "../support/certs";

function configureRequest(sim: Simulator): dynamic.ConfigureRequest {
  const values: Record<string, string> = {
    "ontap:host": sim.url,
    "ontap:username": sim.username,
    "ontap:password": sim.password,
    "ontap:caCert": sim.caCert,
  };
  return { config: { get: (key: string) => values[key] } } as unknown as dynamic.ConfigureRequest;
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`rejected with a non-Error: ${String(err)}`, { cause: err });
  }
  throw new Error("expected the call to fail, but it succeeded");
}

let sim: Simulator;
let ca: Pem;
let client: Pem;
let other: Pem;
let soon: Pem;

/** Calls since the last clear, as "METHOD path", without the version probe. */
const calls = (): string[] =>
  sim
    .requestLog()
    .filter((e) => !/^\/api\/cluster(\?|$)/.test(e.path))
    .map((e) => `${e.method} ${e.path.split("?")[0]}`);

beforeAll(async () => {
  ca = await caCertificate("KMIP CA");
  client = await clientCertificate("ontap-kmip", ca, keyPair(), 365);
  other = await clientCertificate("ontap-kmip", ca, keyPair(), 365);
  soon = await clientCertificate("ontap-kmip", ca, keyPair(), 5);
  sim = await startSimulator({ ontapVersion: "9.13", jobDelayMs: 5 });
  await impl.configure(configureRequest(sim));
});

afterAll(async () => {
  await closeAllClients();
  await sim.close();
});

beforeEach(() => sim.reset());

async function checked(news: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await impl.check({}, news);
  expect(r.failures).toEqual([]);
  return r.inputs as Record<string, unknown>;
}

const clientNews = (pem: Pem = client, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  namePrefix: "kmip-client",
  type: "client",
  certificate: pem.cert,
  privateKey: pem.key,
  svm: "vs0",
  ...extra,
});

describe("check (no network)", () => {
  test("names the certificate after the resource with a random suffix, and keeps that name on later checks", async () => {
    sim.clearRequestLog();
    const first = await checked(clientNews());
    expect(first.name).toMatch(/^kmip-client-[0-9a-f]{7}$/);
    expect(first.autoNamed).toBe(true);
    const again = await impl.check(first, clientNews());
    expect((again.inputs as Record<string, unknown>).name).toBe(first.name);
    // On replacement the engine checks again without olds: a new name, so both can exist at once.
    expect((await checked(clientNews())).name).not.toBe(first.name);
    expect(sim.requestLog()).toEqual([]);
  });

  test.each<[string, () => Record<string, unknown>, RegExp]>([
    [
      "a PEM that does not parse",
      () => clientNews({ ...client, cert: "-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----" }),
      /not a PEM X\.509 certificate/,
    ],
    [
      "a key of another certificate",
      () => clientNews({ cert: client.cert, key: other.key }),
      /does not match/,
    ],
    ["a client without a key", () => ({ ...clientNews(), privateKey: undefined }), /required for a client/],
    [
      "a server_ca with a key",
      () => ({ ...clientNews(), type: "server_ca", certificate: ca.cert }),
      /must not be set for a server_ca/,
    ],
    [
      "a server_ca that is no CA",
      () => ({ ...clientNews(), type: "server_ca", privateKey: undefined }),
      /not a CA certificate/,
    ],
  ])("refuses %s, without quoting the key", async (_what, news, reason) => {
    const r = await impl.check({}, news());
    expect(r.failures?.map((f) => f.reason).join("; ")).toMatch(reason);
    const text = JSON.stringify(r.failures);
    expect(text).not.toContain("PRIVATE KEY");
    expect(text).not.toContain(client.key.split("\n")[1]);
  });

  test("refuses an expired certificate", async () => {
    const expired = await clientCertificate("old", ca, keyPair(), 10, -20);
    const r = await impl.check({}, clientNews(expired));
    expect(r.failures?.map((f) => `${f.property}: ${f.reason}`)).toEqual([
      expect.stringMatching(/^certificate: expired on /),
    ]);
  });
});

describe("create, read, delete", () => {
  test("install: 1 GET (the name is free) + 1 POST; read: 1 GET; delete: 1 DELETE", async () => {
    const inputs = await checked(clientNews());
    sim.clearRequestLog();
    const created = await impl.create(inputs);
    expect(calls()).toEqual(["GET /api/security/certificates", "POST /api/security/certificates"]);
    expect(created.outs).toMatchObject({
      uuid: created.id,
      name: inputs.name,
      type: "client",
      scope: "svm",
      svm: "vs0",
      commonName: "ontap-kmip",
      serialNumber: expect.stringMatching(/^[0-9A-F]+$/) as unknown,
      keyPairId: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
      subjectKeyIdentifier: expect.any(String) as unknown,
    });
    sim.clearRequestLog();
    const read = await impl.read(created.id, created.outs);
    expect(calls()).toEqual([`GET /api/security/certificates/${created.id}`]);
    expect(read.id).toBe(created.id);
    expect(read.inputs).toMatchObject({ name: inputs.name, certificate: inputs.certificate });
    sim.clearRequestLog();
    await impl.delete(created.id, created.outs);
    expect(calls()).toEqual([`DELETE /api/security/certificates/${created.id}`]);
    expect((await impl.read(created.id, created.outs)).id).toBe("");
  });

  test("a name already taken in the scope fails before any write; adopt takes over only the same certificate", async () => {
    const inputs = await checked(clientNews(client, { name: "kmip-client" }));
    const first = await impl.create(inputs);
    sim.clearRequestLog();
    const err = await rejectionOf(impl.create(inputs));
    expect(err.message).toMatch(/already exists .*Nothing was changed.*adopt: true/);
    expect(calls().filter((c) => !c.startsWith("GET"))).toEqual([]);
    const adopted = await impl.create({ ...inputs, adopt: true });
    expect(adopted.id).toBe(first.id);
    const otherInputs = await checked(clientNews(other, { name: "kmip-client", adopt: true }));
    sim.clearRequestLog();
    expect((await rejectionOf(impl.create(otherInputs))).message).toMatch(/already exists/);
    expect(calls().filter((c) => !c.startsWith("GET"))).toEqual([]);
  });

  test("a lost POST answer is reconciled: the certificate installed is found and recorded, not installed twice", async () => {
    const inputs = await checked(clientNews());
    sim.injectFault({
      method: "POST",
      path: "/api/security/certificates",
      action: { type: "drop-after-apply" },
    });
    const created = await impl.create(inputs);
    const listed = (await fetchNames()).filter((n) => n === inputs.name);
    expect(listed).toEqual([inputs.name]);
    expect(created.outs).toMatchObject({ name: inputs.name });
  });

  test("an ONTAP refusal that echoes part of the private key reaches the user redacted", async () => {
    const inputs = await checked(clientNews());
    const line = client.key.split("\n")[3] ?? "";
    expect(line.length).toBeGreaterThan(40);
    sim.injectFault({
      method: "POST",
      path: "/api/security/certificates",
      action: { type: "status", status: 400, code: "52560123", message: `bad key near ${line}` },
    });
    const err = await rejectionOf(impl.create(inputs));
    expect(err.message).toMatch(/could not install .*Nothing was changed/);
    const everything = JSON.stringify({
      message: err.message,
      cause: String((err as { cause?: unknown }).cause),
    });
    expect(everything).not.toContain(line);
    expect(everything).toContain("[REDACTED]");
  });

  test("a lost DELETE answer counts as deleted when the certificate is gone", async () => {
    const created = await impl.create(await checked(clientNews()));
    sim.injectFault({
      method: "DELETE",
      path: "/api/security/certificates/*",
      action: { type: "drop-after-apply" },
    });
    await impl.delete(created.id, created.outs);
    expect((await impl.read(created.id, created.outs)).id).toBe("");
  });

  test("a certificate a key manager uses is not deleted, and the error names the key manager", async () => {
    const cl = await impl.create(await checked(clientNews()));
    const caRes = await impl.create(
      await checked({ namePrefix: "kmip-ca", type: "server_ca", certificate: ca.cert, svm: "vs0" }),
    );
    const km = await createKm(cl.id, caRes.id);
    const err = await rejectionOf(impl.delete(cl.id, cl.outs));
    expect(err.message).toContain(`key manager ${km} (vs0) uses it as its client certificate`);
    expect(err.message).toContain("NOT deleted");
    expect((await impl.read(cl.id, cl.outs)).id).toBe(cl.id);
  });

  test("read warns on stderr when the certificate expires within 30 days (days left, name, scope)", async () => {
    const created = await impl.create(await checked(clientNews(soon)));
    const lines: string[] = [];
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      await impl.read(created.id, created.outs);
    } finally {
      spy.mockRestore();
    }
    const outs = created.outs as { name: string };
    expect(lines.join("")).toMatch(
      new RegExp(`certificate "${outs.name}" \\(SVM "vs0", uuid ${created.id}\\) expires in 4 day\\(s\\)`),
    );
  });

  test("an ONTAP before 9.8 (no certificate names) is refused before any write", async () => {
    const old = await startSimulator({ ontapVersion: "9.7" });
    try {
      await impl.configure(configureRequest(old));
      const err = await rejectionOf(impl.create(await checked(clientNews())));
      expect(err.message).toMatch(/need ONTAP 9\.8 or later.*runs ONTAP 9\.7.*Nothing was changed/);
      expect(old.requestLog().filter((e) => e.method !== "GET")).toEqual([]);
    } finally {
      await impl.configure(configureRequest(sim));
      await old.close();
    }
  });
});

async function fetchNames(): Promise<string[]> {
  const { getClient, resolveConnection, listCertificates } = await import("../../provider/ontap");
  const c = getClient(
    resolveConnection({
      config: { get: () => undefined },
      env: {
        ONTAP_HOST: sim.url,
        ONTAP_USERNAME: sim.username,
        ONTAP_PASSWORD: sim.password,
        ONTAP_CA_CERT: sim.caCert,
      },
      profile: undefined,
    }),
  );
  return (await listCertificates(c, { svmName: "vs0" })).map((r) => r.name ?? "");
}

async function createKm(clientUuid: string, caUuid: string): Promise<string> {
  const { getClient, resolveConnection, createKeyManager } = await import("../../provider/ontap");
  const c = getClient(
    resolveConnection({
      config: { get: () => undefined },
      env: {
        ONTAP_HOST: sim.url,
        ONTAP_USERNAME: sim.username,
        ONTAP_PASSWORD: sim.password,
        ONTAP_CA_CERT: sim.caCert,
      },
      profile: undefined,
    }),
  );
  const km = await createKeyManager(c, {
    svm: { name: "vs0" },
    external: {
      clientCertificate: { uuid: clientUuid },
      serverCaCertificates: [{ uuid: caUuid }],
      servers: [{ server: "10.0.0.1" }],
    },
  });
  return km.uuid;
}
