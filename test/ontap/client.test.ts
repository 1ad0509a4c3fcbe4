/**
 * The HTTP client against the simulator playing ONTAP 9.6, over real HTTPS: TLS verification, credentials,
 * error shapes, paging, retries of idempotent requests only, timeouts, debug tracing, redaction, the version
 * probe and connection reuse.
 */

import { createServer } from "node:net";
import { inspect } from "node:util";
import { generate } from "selfsigned";
import { z } from "zod";
import { startSimulator, type Simulator } from "../../simulator";
import {
  OntapApiError,
  OntapAuthenticationError,
  OntapConnectionError,
  OntapNotFoundError,
  OntapTimeoutError,
  OntapUnsupportedError,
  closeAllClients,
  createKeyManager,
  getClient,
  isOutcomeUnknown,
  resolveConnection,
  deleteKeyServer,
} from "../../provider/ontap";
import { FAST, captureStderr, eventually, rejectionOf, settingsFor } from "./helpers";

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ ontapVersion: "9.6" });
});

afterAll(async () => {
  await closeAllClients();
  await sim.close();
});

beforeEach(async () => {
  await closeAllClients();
  sim.reset();
});

afterEach(() => {
  delete process.env.ONTAP_DEBUG;
});

const anyRecord = z.looseObject({ uuid: z.string() });
const PASSPHRASE = "correct horse battery staple, forty chars!";

function requests(method: string, prefix: string): { status: number; path: string }[] {
  return sim.requestLog().filter((e) => e.method === method && e.path.startsWith(prefix));
}

/** The requests logged once at least `atLeast` have been (the simulator logs when a response has closed). */
async function logged(
  method: string,
  prefix: string,
  atLeast: number,
): Promise<{ status: number; path: string }[]> {
  await eventually(() => requests(method, prefix).length >= atLeast);
  return requests(method, prefix);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") {
    throw new Error("no port");
  }
  return address.port;
}

describe("TLS", () => {
  test("verifies the cluster against the configured CA and reads the release", async () => {
    const info = await getClient(settingsFor(sim), FAST).clusterInfo();
    expect(info.name).toBe("cluster1");
    expect(info.version.text).toBe("9.6.0");
  });

  test("verification is on by default: a self-signed cluster without ontap:caCert is refused", async () => {
    const settings = resolveConnection({
      config: { "ontap:host": sim.url, "ontap:username": sim.username, "ontap:password": sim.password },
      env: {},
    });
    expect(settings.validateCerts).toBe(true);
    const err = await rejectionOf(getClient(settings, FAST).clusterInfo());
    expect(err).toBeInstanceOf(OntapConnectionError);
    const e = err as OntapConnectionError;
    expect(e.reason).toBe("tls-verification");
    expect(e.mayHaveReachedServer).toBe(false);
    expect(e.message).toContain("ontap:caCert");
    expect(e.message).toContain("ontap:validateCerts false");
    expect(sim.requestLog()).toHaveLength(0);
  });

  test("a CA that did not sign the cluster's certificate is refused, with the fix", async () => {
    const other = await generate([{ name: "commonName", value: "another CA" }], { keySize: 2048 });
    const settings = resolveConnection({
      config: {
        "ontap:host": sim.url,
        "ontap:username": sim.username,
        "ontap:password": sim.password,
        "ontap:caCert": other.cert,
      },
      env: {},
    });
    const err = await rejectionOf(getClient(settings, FAST).clusterInfo());
    expect(err).toBeInstanceOf(OntapConnectionError);
    expect((err as OntapConnectionError).reason).toBe("tls-verification");
    expect((err as Error).message).toMatch(/Cannot verify the TLS certificate of ONTAP at 127\.0\.0\.1:\d+/);
    expect((err as OntapConnectionError).remedy).toContain("ontap:caCert");
    expect(sim.requestLog()).toHaveLength(0);
  });

  test("verification is turned off only by explicit opt-in, and says so on stderr", async () => {
    const stderr = captureStderr();
    try {
      const settings = resolveConnection({
        config: { "ontap:host": sim.url, "ontap:username": sim.username, "ontap:password": sim.password },
        env: { ONTAP_VALIDATE_CERTS: "false" },
      });
      expect(settings.validateCerts).toBe(false);
      const info = await getClient(settings, FAST).clusterInfo();
      expect(info.version.text).toBe("9.6.0");
    } finally {
      stderr.restore();
    }
    expect(stderr.text()).toMatch(
      /WARNING: TLS certificate verification is OFF for 127\.0\.0\.1:\d+ \(ONTAP_VALIDATE_CERTS/,
    );
  });
});

describe("answers that are errors", () => {
  test("wrong credentials give an authentication error that names the settings and not the password", async () => {
    const wrong = "not-the-password-1234";
    const settings = settingsFor(sim, { "ontap:password": wrong });
    const err = await rejectionOf(getClient(settings, FAST).clusterInfo());
    expect(err).toBeInstanceOf(OntapAuthenticationError);
    const e = err as OntapAuthenticationError;
    expect(e.status).toBe(401);
    expect(e.method).toBe("GET");
    expect(e.path).toBe("/api/cluster");
    expect(e.message).toContain("ontap:password");
    for (const text of [e.message, e.stack ?? "", JSON.stringify(e), inspect(e, { depth: 5 })]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(Buffer.from(`${sim.username}:${wrong}`).toString("base64"));
    }
  });

  test("404 is a not-found error with ONTAP's code 4; find() turns it into undefined", async () => {
    const client = getClient(settingsFor(sim), FAST);
    const path = "/security/key-managers/00000000-0000-4000-8000-000000000000";
    const err = await rejectionOf(client.get(path, anyRecord));
    expect(err).toBeInstanceOf(OntapNotFoundError);
    const e = err as OntapNotFoundError;
    expect(e).toBeInstanceOf(OntapApiError);
    expect(e.status).toBe(404);
    expect(e.ontapCode).toBe("4");
    expect(e.path).toBe(`/api${path}`);
    expect(e.target).toBe(client.target);
    await expect(client.find(path, anyRecord)).resolves.toBeUndefined();
    // A 404 that is not "entry doesn't exist" (code 3: no such API) is an error even for find().
    const noApi = await rejectionOf(client.find("/security/no-such-collection", anyRecord));
    expect(noApi).toBeInstanceOf(OntapNotFoundError);
    expect((noApi as OntapNotFoundError).ontapCode).toBe("3");
  });

  test("an ONTAP refusal carries status, code, meaning, target field, request and remedy", async () => {
    const client = getClient(settingsFor(sim), FAST);
    const err = await rejectionOf(
      createKeyManager(client, {
        svm: { name: "vs0" },
        external: {
          // Installed, but in SVM vs1: not in the key manager's scope.
          clientCertificate: { name: "vs1-client" },
          serverCaCertificates: [{ name: "vs0-ca-1" }],
          servers: [{ server: "10.0.0.5" }],
        },
      }),
    );
    expect(err).toBeInstanceOf(OntapApiError);
    const e = err as OntapApiError;
    expect(e.status).toBe(400);
    expect(e.ontapCode).toBe("65536821");
    expect(e.meaning).toBe("the certificate is not installed");
    expect(e.ontapTarget).toBe("external.client_certificate");
    expect(e.method).toBe("POST");
    expect(e.path).toBe("/api/security/key-managers");
    expect(e.remedy).toMatch(/install the certificate/);
    expect(e.message).toMatch(/HTTP 400, error 65536821 \(the certificate is not installed\)/);
    expect(e.message).toContain("[field: external.client_certificate]");
    expect(e.message).toContain("Fix: install the certificate");
    expect(e.toJSON()).toMatchObject({ name: "OntapApiError", status: 400, ontapCode: "65536821" });
  });
});

describe("collections", () => {
  test("pages through _links.next with explicit fields", async () => {
    const client = getClient(settingsFor(sim), FAST);
    const certs = await client.getCollection(
      "/security/certificates",
      z.looseObject({ uuid: z.string(), name: z.string() }),
      {
        fields: ["uuid", "name"],
        maxRecords: 4,
      },
    );
    // Three SVMs (cluster1, vs0, vs1) with six certificates each.
    expect(certs).toHaveLength(18);
    expect(new Set(certs.map((c) => c.uuid)).size).toBe(18);
    const pages = await logged("GET", "/api/security/certificates", 5);
    expect(pages).toHaveLength(5);
    expect(pages[0]?.path).toContain("fields=uuid,name");
    expect(pages[1]?.path).toContain("start.uuid=");
  });

  test("stops at the limit", async () => {
    const client = getClient(settingsFor(sim), FAST);
    const certs = await client.getCollection("/security/certificates", anyRecord, {
      fields: ["uuid"],
      maxRecords: 4,
      limit: 6,
    });
    expect(certs).toHaveLength(6);
    expect(await logged("GET", "/api/security/certificates", 2)).toHaveLength(2);
  });

  test("encodes query values", async () => {
    const client = getClient(settingsFor(sim), FAST);
    const certs = await client.getCollection("/security/certificates", z.looseObject({ name: z.string() }), {
      fields: ["name"],
      query: { name: "vs0-ca-1|vs1-ca-2" },
    });
    expect(certs.map((c) => c.name).sort()).toEqual(["vs0-ca-1", "vs1-ca-2"]);
    expect((await logged("GET", "/api/security/certificates", 1))[0]?.path).toContain(
      "name=vs0-ca-1%7Cvs1-ca-2",
    );
  });
});

describe("retries", () => {
  test("a GET answered 503 with Retry-After is retried after the announced wait", async () => {
    sim.injectFault({
      method: "GET",
      path: "/api/cluster",
      action: { type: "status", status: 503, retryAfterSeconds: 1 },
    });
    const started = Date.now();
    const info = await getClient(settingsFor(sim), FAST).clusterInfo();
    expect(info.version.text).toBe("9.6.0");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect((await logged("GET", "/api/cluster", 2)).map((r) => r.status)).toEqual([503, 200]);
  });

  test("GETs are retried on 429, 502 and 504 too", async () => {
    for (const status of [429, 502, 504]) {
      sim.injectFault({ method: "GET", path: "/api/svm/svms", action: { type: "status", status } });
    }
    const svms = await getClient(settingsFor(sim), FAST).getCollection("/svm/svms", anyRecord, {
      fields: ["uuid"],
    });
    expect(svms).toHaveLength(2);
    expect((await logged("GET", "/api/svm/svms", 4)).map((r) => r.status)).toEqual([429, 502, 504, 200]);
  });

  test("a GET whose connection is reset is retried", async () => {
    sim.injectFault({ method: "GET", path: "/api/svm/svms", count: 2, action: { type: "reset" } });
    const svms = await getClient(settingsFor(sim), FAST).getCollection("/svm/svms", anyRecord, {
      fields: ["uuid"],
    });
    expect(svms).toHaveLength(2);
    expect((await logged("GET", "/api/svm/svms", 3)).map((r) => r.status)).toEqual([0, 0, 200]);
  });

  test("after the last retry the final 503 is reported with ONTAP's body", async () => {
    sim.injectFault({
      method: "GET",
      path: "/api/cluster",
      count: 10,
      action: { type: "status", status: 503, code: "123", message: "node busy" },
    });
    const err = await rejectionOf(getClient(settingsFor(sim), FAST).clusterInfo());
    expect(err).toBeInstanceOf(OntapApiError);
    expect((err as OntapApiError).status).toBe(503);
    expect((err as OntapApiError).ontapMessage).toBe("node busy");
    // The first attempt and FAST's three retries.
    expect(await logged("GET", "/api/cluster", 4)).toHaveLength(4);
  });

  test("a 500 is not retried", async () => {
    sim.injectFault({ method: "GET", path: "/api/cluster", action: { type: "status", status: 500 } });
    const err = await rejectionOf(getClient(settingsFor(sim), FAST).clusterInfo());
    expect((err as OntapApiError).status).toBe(500);
    expect(await logged("GET", "/api/cluster", 1)).toHaveLength(1);
  });

  test("a failed probe is not cached: the next call probes again", async () => {
    sim.injectFault({ method: "GET", path: "/api/cluster", action: { type: "status", status: 500 } });
    const client = getClient(settingsFor(sim), FAST);
    await rejectionOf(client.clusterInfo());
    await expect(client.clusterInfo()).resolves.toMatchObject({ name: "cluster1" });
  });
});

describe("writes are never retried", () => {
  const external = {
    clientCertificate: { name: "cluster-client" },
    serverCaCertificates: [{ name: "cluster-ca-1" }],
    servers: [{ server: "10.0.0.5" }],
  };

  test("a POST answered 503 fails at once; nothing was applied", async () => {
    sim.injectFault({
      method: "POST",
      path: "/api/security/key-managers",
      action: { type: "status", status: 503 },
    });
    const err = await rejectionOf(createKeyManager(getClient(settingsFor(sim), FAST), { external }));
    expect(err).toBeInstanceOf(OntapApiError);
    expect((err as OntapApiError).status).toBe(503);
    expect(isOutcomeUnknown(err)).toBe(false);
    expect(await logged("POST", "/api/security/key-managers", 1)).toHaveLength(1);
    expect(sim.keyManagers()).toHaveLength(0);
  });

  test("a POST whose connection drops after ONTAP applied it says it may have reached the server", async () => {
    sim.injectFault({
      method: "POST",
      path: "/api/security/key-managers",
      action: { type: "drop-after-apply" },
    });
    const err = await rejectionOf(createKeyManager(getClient(settingsFor(sim), FAST), { external }));
    expect(err).toBeInstanceOf(OntapConnectionError);
    const e = err as OntapConnectionError;
    expect(e.mayHaveReachedServer).toBe(true);
    expect(isOutcomeUnknown(e)).toBe(true);
    expect(e.message).toContain("may have reached ONTAP and been applied");
    expect(await logged("POST", "/api/security/key-managers", 1)).toHaveLength(1);
    // It was applied: the resource layer must look before trying again.
    expect(sim.keyManagers()).toHaveLength(1);
  });

  test("PATCH and DELETE whose connection is reset are not retried either", async () => {
    const client = getClient(settingsFor(sim), FAST);
    const km = await createKeyManager(client, { external });
    const path = `/api/security/key-managers/${km.uuid}`;
    sim.injectFault({ method: "PATCH", path, action: { type: "reset" } });
    sim.injectFault({ method: "DELETE", path, action: { type: "reset" } });
    const patchErr = await rejectionOf(
      client.patch(path, { external: { client_certificate: { name: "cluster-client-renewed" } } }),
    );
    const deleteErr = await rejectionOf(client.delete(path));
    for (const err of [patchErr, deleteErr]) {
      expect(err).toBeInstanceOf(OntapConnectionError);
      expect((err as OntapConnectionError).mayHaveReachedServer).toBe(true);
    }
    expect(await logged("PATCH", path, 1)).toHaveLength(1);
    expect(await logged("DELETE", path, 1)).toHaveLength(1);
  });

  test("a refused connection says the write did not reach the server", async () => {
    const port = await freePort();
    const settings = resolveConnection({
      config: {
        "ontap:host": `127.0.0.1:${port}`,
        "ontap:username": "admin",
        "ontap:password": "secret-pw-1",
      },
      env: {},
    });
    const err = await rejectionOf(createKeyManager(getClient(settings, FAST), { external }));
    expect(err).toBeInstanceOf(OntapConnectionError);
    const e = err as OntapConnectionError;
    expect(e.reason).toBe("refused");
    expect(e.errorCode).toBe("ECONNREFUSED");
    expect(e.mayHaveReachedServer).toBe(false);
    expect(isOutcomeUnknown(e)).toBe(false);
    expect(e.message).toContain("did not reach ONTAP");
    expect(e.message).toContain("ontap:host");
  });
});

describe("timeouts", () => {
  test("an answer slower than the request timeout is a timeout error, not retried", async () => {
    sim.injectFault({ method: "GET", path: "/api/cluster", action: { type: "stall", ms: 2_000 } });
    const client = getClient(settingsFor(sim, { "ontap:requestTimeout": "0.3" }), FAST);
    const err = await rejectionOf(client.clusterInfo());
    expect(err).toBeInstanceOf(OntapTimeoutError);
    const e = err as OntapTimeoutError;
    expect(e.phase).toBe("headers");
    expect(e.timeoutMs).toBe(300);
    expect(e.message).toContain("ontap:requestTimeout");
    expect(await logged("GET", "/api/cluster", 1)).toHaveLength(1);
  });

  test("the deadline bounds a call, retries included", async () => {
    sim.injectFault({
      method: "GET",
      path: "/api/cluster",
      count: 10,
      action: { type: "status", status: 503, retryAfterSeconds: 1 },
    });
    const settings = settingsFor(sim, { "ontap:requestTimeout": "0.2", "ontap:deadline": "0.5" });
    const started = Date.now();
    const err = await rejectionOf(getClient(settings, FAST).clusterInfo());
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(err).toBeInstanceOf(OntapTimeoutError);
    expect((err as OntapTimeoutError).phase).toBe("deadline");
    expect((err as Error).message).toContain("ontap:deadline");
  });
});

describe("debug tracing and redaction", () => {
  test("ONTAP_DEBUG=1 traces method, path, status, duration and attempt, never headers or bodies", async () => {
    process.env.ONTAP_DEBUG = "1";
    sim.injectFault({ method: "GET", path: "/api/cluster", action: { type: "status", status: 503 } });
    const stderr = captureStderr();
    try {
      const client = getClient(settingsFor(sim), FAST);
      await client.clusterInfo();
      await createKeyManager(client, { onboard: { passphrase: PASSPHRASE } });
    } finally {
      stderr.restore();
    }
    const lines = stderr.text().split("\n");
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^\[ontap\] GET \/api\/cluster\?fields=name,uuid,version 503 \d+ms attempt=1 host=127\.0\.0\.1:\d+$/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^\[ontap\] GET \/api\/cluster\?fields=name,uuid,version 200 \d+ms attempt=2 /),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^\[ontap\] POST \/api\/security\/key-managers\?return_timeout=15&return_records=true 201 /,
      ),
    );
    const text = stderr.text();
    expect(text).not.toContain(PASSPHRASE);
    expect(text).not.toContain(sim.password);
    expect(text).not.toMatch(/authorization|Basic /i);
    expect(text).not.toContain("NetApp Release");
  });

  test("a secret ONTAP echoes in an error never reaches message, stack, JSON or inspect", async () => {
    const secret = "Echoed-passphrase-that-is-long-enough-0123456789";
    sim.injectFault({
      method: "POST",
      path: "/api/security/key-managers",
      action: {
        type: "status",
        status: 400,
        code: "65536920",
        message: `The passphrase "${secret}" is not valid; user ${sim.username} password ${sim.password}.`,
      },
    });
    const err = await rejectionOf(
      createKeyManager(getClient(settingsFor(sim), FAST), { onboard: { passphrase: secret } }),
    );
    expect(err).toBeInstanceOf(OntapApiError);
    const e = err as OntapApiError;
    expect(e.message).toContain("[REDACTED]");
    expect(e.meaning).toBe("the passphrase length is incorrect");
    for (const text of [
      e.message,
      e.stack ?? "",
      JSON.stringify(e),
      inspect(e, { depth: 10, showHidden: true }),
      e.ontapMessage ?? "",
    ]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(sim.password);
    }
  });

  test("the settings and the client never show the password", () => {
    const settings = settingsFor(sim);
    const client = getClient(settings, FAST);
    for (const text of [
      JSON.stringify(settings),
      inspect(settings, { depth: 5 }),
      JSON.stringify({ ...settings }),
      inspect(client, { depth: 5, showHidden: true }),
      JSON.stringify(client),
    ]) {
      expect(text).not.toContain(sim.password);
      expect(text).not.toContain(Buffer.from(`${sim.username}:${sim.password}`).toString("base64"));
    }
    expect(settings.password).toBe(sim.password);
  });
});

describe("version probe and connection reuse", () => {
  test("GET /api/cluster runs once per cluster per process, whatever the number of clients", async () => {
    const a = getClient(settingsFor(sim), FAST);
    const b = getClient(settingsFor(sim), FAST);
    expect(b).toBe(a);
    const c = getClient(settingsFor(sim, { "ontap:requestTimeout": "30" }), FAST);
    await Promise.all([a.clusterInfo(), a.clusterInfo(), b.clusterInfo(), c.clusterInfo()]);
    expect(await logged("GET", "/api/cluster", 1)).toHaveLength(1);
  });

  test("features are gated by release with a clear error, before anything is sent", async () => {
    const client = getClient(settingsFor(sim), FAST);
    // (Key-server passwords are not gated: the 9.6 PATCH reference documents them.)
    const err = await rejectionOf(
      deleteKeyServer(client, "00000000-0000-4000-8000-000000000000", "10.0.0.5:5696", { force: true }),
    );
    expect(err).toBeInstanceOf(OntapUnsupportedError);
    expect((err as Error).message).toMatch(
      /^forced removals of key servers need ONTAP 9\.7 or later; 127\.0\.0\.1:\d+ runs ONTAP 9\.6\.0\./,
    );
    expect(sim.requestLog().filter((e) => e.method === "DELETE")).toHaveLength(0);
  });

  test("requests in flight share a bounded pool of kept-alive connections", async () => {
    const client = getClient(settingsFor(sim), FAST);
    sim.setLatency(20);
    const inFlight = 5;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 40) {
        next += 1;
        await client.getCollection("/svm/svms", anyRecord, { fields: ["uuid"] });
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    expect(await logged("GET", "/api/svm/svms", 40)).toHaveLength(40);
    expect(sim.tlsHandshakes()).toBeLessThanOrEqual(inFlight);
  });
});
