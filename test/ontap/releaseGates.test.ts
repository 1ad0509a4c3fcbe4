/**
 * The client against the simulator playing a later release (9.13): writes answer 202 with a job that the
 * client follows to success, failure or its timeout; later-release fields are read and tolerated. Most tests ask
 * for the job (`return_timeout=0`); the last ones show the default, where a quick write answers at once.
 */

import { inspect } from "node:util";
import { z } from "zod";
import { startSimulator, type Simulator } from "../../simulator";
import {
  OntapBadResponseError,
  OntapApiError,
  OntapConnectionError,
  OntapJobFailedError,
  OntapTimeoutError,
  addKeyServer,
  closeAllClients,
  createKeyManager,
  findKeyManager,
  findKeyServer,
  getClient,
  keyManagerRecordSchema,
  rotateOnboardPassphrase,
  updateKeyServer,
  type OntapClient,
} from "../../provider/ontap";
import { FAST, captureStderr, eventually, rejectionOf, settingsFor } from "./helpers";

let sim: Simulator;
let client: OntapClient;
/** Every write answers 202 with a job, whatever its length. */
const JOBS = { ...FAST, writeReturnTimeoutS: 0 };

beforeAll(async () => {
  sim = await startSimulator({ ontapVersion: "9.13", jobDelayMs: 40 });
});

afterAll(async () => {
  await closeAllClients();
  await sim.close();
});

beforeEach(async () => {
  await closeAllClients();
  sim.reset();
  client = getClient(settingsFor(sim), JOBS);
});

afterEach(() => {
  delete process.env.ONTAP_DEBUG;
});

const P1 = "first onboard passphrase, 32+ characters long";
const P2 = "second onboard passphrase, 32+ characters too";
const external = {
  clientCertificate: { name: "vs0-client" },
  serverCaCertificates: [{ name: "vs0-ca-1" }],
  servers: [{ server: "10.0.0.5" }],
};

function jobPolls(): { status: number }[] {
  return sim.requestLog().filter((e) => e.method === "GET" && e.path.startsWith("/api/cluster/jobs/"));
}

test("the release is probed", async () => {
  expect((await client.clusterInfo()).version.text).toBe("9.13.1");
});

test("a create answered 202 is followed to the job's success, then read back by scope", async () => {
  const km = await createKeyManager(client, { svm: { name: "vs0" }, external }, { laterFields: true });
  expect(sim.requestLog().find((e) => e.method === "POST")?.status).toBe(202);
  expect(jobPolls().length).toBeGreaterThanOrEqual(1);
  expect(km).toMatchObject({
    scope: "svm",
    svm: { name: "vs0" },
    external: { client_certificate: { name: "vs0-client" }, servers: [{ server: "10.0.0.5:5696" }] },
    status: { code: 65537200, message: "No action needed at this time." },
    volume_encryption: { supported: true },
  });
});

test("fields of later releases are kept when read, and asked for only on request", async () => {
  const km = await createKeyManager(client, { svm: { name: "vs0" }, external });
  const everything = await client.get(`/security/key-managers/${km.uuid}`, keyManagerRecordSchema, {
    fields: ["**"],
  });
  // Not in the schema, but kept: connectivity of each server and the key manager's _links.
  expect(everything.external?.servers?.[0]).toHaveProperty("connectivity.cluster_availability", true);
  expect(everything).toHaveProperty("_links.self.href", `/api/security/key-managers/${km.uuid}`);
  const basic = await findKeyManager(client, km.uuid);
  expect(basic?.status).toBeUndefined();
});

test("a job that ends in failure becomes an error with the job's code, meaning and message", async () => {
  sim.injectFault({
    method: "POST",
    path: "/api/security/key-managers",
    action: { type: "job-failure", code: 65536821, message: "Certificate not installed." },
  });
  const err = await rejectionOf(createKeyManager(client, { svm: { name: "vs0" }, external }));
  expect(err).toBeInstanceOf(OntapJobFailedError);
  const e = err as OntapJobFailedError;
  expect(e.jobCode).toBe(65536821);
  expect(e.ontapCode).toBe("65536821");
  expect(e.meaning).toBe("the certificate is not installed");
  expect(e.jobMessage).toBe("Certificate not installed.");
  expect(e.method).toBe("POST");
  expect(e.path).toBe("/api/security/key-managers");
  expect(e.remedy).toContain("install the certificate");
  expect(sim.keyManagers()).toHaveLength(0);
});

test("refusals of the key-manager subsystem arrive as job failures", async () => {
  const km = await createKeyManager(client, { onboard: { passphrase: P1 } });
  await rotateOnboardPassphrase(client, km.uuid, { existingPassphrase: P1, passphrase: P2 });
  expect(sim.checkOnboardPassphrase(P2)).toBe(true);
  const err = await rejectionOf(
    rotateOnboardPassphrase(client, km.uuid, { existingPassphrase: P1, passphrase: P2 }),
  );
  expect(err).toBeInstanceOf(OntapJobFailedError);
  expect((err as OntapJobFailedError).ontapCode).toBe("65536139");
  for (const text of [(err as Error).message, JSON.stringify(err), inspect(err, { depth: 10 })]) {
    expect(text).not.toContain(P1);
    expect(text).not.toContain(P2);
  }
});

test("a job that outlives the job timeout is a timeout error that says it may still complete", async () => {
  sim.setJobDelay(3_000);
  const slow = getClient(settingsFor(sim, { "ontap:jobTimeout": "0.3" }), JOBS);
  const err = await rejectionOf(createKeyManager(slow, { svm: { name: "vs0" }, external }));
  expect(err).toBeInstanceOf(OntapTimeoutError);
  const e = err as OntapTimeoutError;
  expect(e.phase).toBe("job");
  expect(e.jobUuid).toEqual(expect.any(String));
  expect(e.mayHaveReachedServer).toBe(true);
  expect(e.message).toContain("It may still complete");
  expect(e.remedy).toContain("ontap:jobTimeout");
});

test("a long wait reports progress on stderr", async () => {
  sim.setJobDelay(400);
  const patient = getClient(settingsFor(sim), {
    ...JOBS,
    jobPoll: { minIntervalMs: 20, maxIntervalMs: 40, progressAfterMs: 100, progressEveryMs: 1_000 },
  });
  const stderr = captureStderr();
  try {
    await createKeyManager(patient, { svm: { name: "vs0" }, external });
  } finally {
    stderr.restore();
  }
  expect(stderr.text()).toMatch(
    /\[ontap\] still waiting for job [0-9a-f-]+ \(POST \/api\/security\/key-managers\) on 127\.0\.0\.1:\d+: (queued|running), \d+ s elapsed/,
  );
});

test("job polls are idempotent and retried; the write itself is sent once", async () => {
  sim.injectFault({
    method: "GET",
    path: "/api/cluster/jobs/*",
    count: 2,
    action: { type: "status", status: 503 },
  });
  sim.injectFault({ method: "GET", path: "/api/cluster/jobs/*", action: { type: "reset" } });
  await createKeyManager(client, { svm: { name: "vs0" }, external });
  await eventually(() => jobPolls().some((p) => p.status === 200));
  expect(
    jobPolls()
      .slice(0, 3)
      .map((p) => p.status),
  ).toEqual([503, 503, 0]);
  expect(sim.requestLog().filter((e) => e.method === "POST")).toHaveLength(1);
});

test("a caller may take the job's uuid instead of waiting, and wait later", async () => {
  const km = await createKeyManager(client, { svm: { name: "vs0" }, external });
  const result = await client.delete(`/security/key-managers/${km.uuid}`, { waitForJob: false });
  expect(result.status).toBe(202);
  expect(result.job).toBeUndefined();
  const job = await client.waitForJob(result.jobUuid ?? "", { method: "DELETE" });
  expect(job.state).toBe("success");
  expect(await findKeyManager(client, km.uuid)).toBeUndefined();
});

test("a job uuid that is not a UUID is refused before it goes into a path or a message", async () => {
  sim.clearRequestLog();
  const err = await rejectionOf(
    client.waitForJob("../../security/Echoed-secret-value", { method: "DELETE" }),
  );
  expect(err).toBeInstanceOf(OntapBadResponseError);
  expect((err as OntapBadResponseError).field).toBe("job.uuid");
  expect((err as Error).message).not.toContain("Echoed-secret-value");
  expect(sim.requestLog()).toEqual([]);
});

test("a write dropped after ONTAP accepted it is reported as possibly applied, and it was", async () => {
  sim.injectFault({
    method: "POST",
    path: "/api/security/key-managers",
    action: { type: "drop-after-apply" },
  });
  const err = await rejectionOf(createKeyManager(client, { svm: { name: "vs0" }, external }));
  expect(err).toBeInstanceOf(OntapConnectionError);
  expect((err as OntapConnectionError).mayHaveReachedServer).toBe(true);
  await eventually(() => sim.keyManagers().length === 1);
});

test("key server passwords exist in this release and never show in traces", async () => {
  process.env.ONTAP_DEBUG = "1";
  const secret = "kmip-server-password-77";
  const stderr = captureStderr();
  try {
    const km = await createKeyManager(client, { svm: { name: "vs0" }, external });
    await addKeyServer(client, km.uuid, { server: "10.0.0.6" });
    await updateKeyServer(client, km.uuid, "10.0.0.6:5696", {
      username: "kmip",
      password: secret,
      timeout: 40,
    });
    expect(await findKeyServer(client, km.uuid, "10.0.0.6:5696")).toMatchObject({
      username: "kmip",
      timeout: 40,
    });
    // A refusal of the password change (no username) comes back as a job failure, without the password.
    await addKeyServer(client, km.uuid, { server: "10.0.0.7" });
    const err = await rejectionOf(updateKeyServer(client, km.uuid, "10.0.0.7:5696", { password: secret }));
    expect((err as OntapJobFailedError).ontapCode).toBe("65536845");
    expect(JSON.stringify(err)).not.toContain(secret);
  } finally {
    stderr.restore();
  }
  expect(stderr.text()).toMatch(
    /\[ontap\] PATCH \/api\/security\/key-managers\/[0-9a-f-]+\/key-servers\/10\.0\.0\.6%3A5696\?return_timeout=0 202 /,
  );
  expect(stderr.text()).not.toContain(secret);
});

test("a synchronous refusal (REST framework validation) is still an API error on this release", async () => {
  const err = await rejectionOf(
    client.post("/security/key-managers", {
      svm: { name: "vs0" },
      external: { servers: [{ server: "a:b:c" }] },
    }),
  );
  expect(err).toBeInstanceOf(OntapApiError);
  expect((err as OntapApiError).status).toBe(400);
  expect((err as OntapApiError).ontapTarget).toEqual(expect.stringContaining("external.servers"));
});

test("records of collections parse with loose schemas on this release too", async () => {
  const certs = await client.getCollection(
    "/security/certificates",
    z.looseObject({ uuid: z.string(), name: z.string() }),
    { fields: ["*"], maxRecords: 7 },
  );
  expect(certs).toHaveLength(18);
  expect(certs[0]).toHaveProperty("subject_key_identifier");
});

describe("with the default return_timeout", () => {
  let quick: OntapClient;
  beforeEach(async () => {
    await closeAllClients();
    quick = getClient(settingsFor(sim), FAST);
  });

  test("a write whose job ends in time answers 201/200 at once: no job poll, and the record is read back", async () => {
    const km = await createKeyManager(quick, { onboard: { passphrase: P1 } }, { keyBackup: true });
    const post = sim.requestLog().find((e) => e.method === "POST");
    expect(post?.status).toBe(201);
    expect(post?.path).toContain("return_timeout=15");
    expect(jobPolls()).toHaveLength(0);
    // The key backup is computed on request only: the create reads it back.
    expect(km.onboard?.key_backup).toEqual(expect.any(String));
    await rotateOnboardPassphrase(quick, km.uuid, { existingPassphrase: P1, passphrase: P2 });
    expect(sim.requestLog().find((e) => e.method === "PATCH")?.status).toBe(200);
    expect(jobPolls()).toHaveLength(0);
    expect(sim.checkOnboardPassphrase(P2)).toBe(true);
  });

  test("a refusal decided by the job within return_timeout is an API error with its code", async () => {
    const km = await createKeyManager(quick, { onboard: { passphrase: P1 } });
    const err = await rejectionOf(
      rotateOnboardPassphrase(quick, km.uuid, { existingPassphrase: P2, passphrase: P1 }),
    );
    expect((err as { ontapCode?: string }).ontapCode).toBe("65536139");
    expect(jobPolls()).toHaveLength(0);
  });

  test("a job that outlasts return_timeout still answers 202 and is polled to its end", async () => {
    sim.setJobDelay(2_500);
    // A 2 s request timeout caps return_timeout at 1 s.
    const capped = getClient(settingsFor(sim, { "ontap:requestTimeout": "2" }), FAST);
    await createKeyManager(capped, { svm: { name: "vs0" }, external });
    const post = sim.requestLog().find((e) => e.method === "POST");
    expect(post?.status).toBe(202);
    expect(post?.path).toContain("return_timeout=1");
    expect(jobPolls().length).toBeGreaterThanOrEqual(1);
    expect(sim.keyManagers()).toHaveLength(1);
  });
});
