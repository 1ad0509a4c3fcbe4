/**
 * Test controls (simulator playing 9.6): scripted faults (status, reset, stall, drop-after-apply,
 * job-failure, respond), SVM renames, latency, the request log and TLS handshake count, and the `/__sim/` HTTP endpoints.
 */
import * as https from "node:https";
import type { Simulator } from "../../simulator";
import {
  Client,
  PASSPHRASE,
  createKm,
  eventually,
  expectError,
  externalBody,
  records,
  useSimulator,
} from "./helpers";

let sim: Simulator;
let c: Client;

useSimulator({}, (started, client) => ([sim, c] = [started, client]));

const KM = "/api/security/key-managers";

async function kmCount(): Promise<number> {
  return Number((await c.get(`${KM}?return_records=false`)).body.num_records);
}

describe("faults", () => {
  test("status: the next N matching requests get an ONTAP error (with Retry-After), then normal answers", async () => {
    sim.injectFault({
      method: "get",
      path: "/api/cluster",
      count: 2,
      action: {
        type: "status",
        status: 503,
        code: "262160",
        message: "Too many requests",
        retryAfterSeconds: 2,
      },
    });
    for (let i = 0; i < 2; i++) {
      const r = await c.get("/api/cluster");
      expectError(r, 503, "262160");
      expect(r.headers["retry-after"]).toBe("2");
    }
    expect((await c.get("/api/cluster")).status).toBe(200);
  });

  test("status on a write: nothing is applied; other methods and paths are not affected", async () => {
    sim.injectFault({ method: "POST", path: KM, action: { type: "status", status: 500 } });
    expect((await c.get(KM)).status).toBe(200);
    const r = await c.post(KM, externalBody("vs0"));
    expect(r.status).toBe(500);
    expect(r.body.error?.code).toEqual(expect.any(String));
    expect(await kmCount()).toBe(0);
    expect((await c.post(KM, externalBody("vs0"))).status).toBe(201);
  });

  test("paths match exactly, by prefix ending in '*', or by RegExp, raw or decoded", async () => {
    const km = await createKm(c, externalBody("vs0"));
    sim.injectFault({ path: `${KM}*`, count: 2, action: { type: "status", status: 502 } });
    expect((await c.get(`${KM}/${km}/key-servers`)).status).toBe(502);
    expect((await c.get("/api/cluster")).status).toBe(200);
    expect((await c.get(KM)).status).toBe(502);
    sim.injectFault({ path: /key-servers\/10\.0\.0\.1:5696$/, action: { type: "status", status: 504 } });
    expect((await c.get(`${KM}/${km}/key-servers/10.0.0.1%3A5696`)).status).toBe(504);
    sim.injectFault({ path: `${KM}/${km}`, action: { type: "status", status: 409 } });
    expect((await c.get(`${KM}/${km}/key-servers`)).status).toBe(200);
    expect((await c.get(`${KM}/${km}`)).status).toBe(409);
  });

  test("clearFaults removes pending faults", async () => {
    sim.injectFault({ action: { type: "status", status: 503 }, count: 5 });
    sim.clearFaults();
    expect((await c.get("/api/cluster")).status).toBe(200);
  });

  test("reset: the socket is destroyed without an answer, the write is not applied, the log says 0", async () => {
    sim.injectFault({ method: "POST", path: KM, action: { type: "reset" } });
    await expect(c.post(KM, externalBody("vs0"))).rejects.toThrow();
    expect(await kmCount()).toBe(0);
    await eventually(() => sim.requestLog().some((e) => e.method === "POST" && e.status === 0));
  });

  test("stall: the client's timeout fires first and the stalled write is dropped unapplied", async () => {
    sim.injectFault({ method: "POST", path: KM, action: { type: "stall", ms: 400 } });
    await expect(c.post(KM, externalBody("vs0"), { timeoutMs: 100 })).rejects.toThrow(/timeout|abort/i);
    await eventually(() => sim.requestLog().some((e) => e.method === "POST" && e.status === 0));
    // Let the stall run out: the simulator then finds the client gone and drops the request.
    await new Promise((r) => setTimeout(r, 500));
    expect(await kmCount()).toBe(0);
  });

  test("stall shorter than the client's patience: handled normally after the wait", async () => {
    sim.injectFault({ method: "POST", path: KM, action: { type: "stall", ms: 150 } });
    expect((await c.post(KM, externalBody("vs0"))).status).toBe(201);
    await eventually(() => sim.requestLog().some((e) => e.method === "POST" && e.status === 201));
    expect(sim.requestLog().find((e) => e.method === "POST")?.durationMs).toBeGreaterThanOrEqual(150);
  });

  test("drop-after-apply: the write happens but the answer is lost; a retry sees it (65536823)", async () => {
    sim.injectFault({ method: "POST", path: KM, action: { type: "drop-after-apply" } });
    await expect(c.post(KM, externalBody("vs0"))).rejects.toThrow();
    expect(await kmCount()).toBe(1);
    expectError(await c.post(KM, externalBody("vs0")), 400, "65536823");
  });

  test("job-failure on 9.6 (no jobs): a synchronous 400 with the code, nothing applied", async () => {
    sim.injectFault({
      method: "POST",
      path: KM,
      action: { type: "job-failure", code: 66060341, message: "network" },
    });
    expectError(await c.post(KM, externalBody("vs0")), 400, "66060341");
    expect(await kmCount()).toBe(0);
  });

  test("respond: one request gets a crafted status and body, nothing is applied, then normal answers", async () => {
    const body = {
      records: [{ uuid: "11111111-2222-3333-4444-555555555555", scope: "svm" }],
      num_records: 1,
    };
    sim.injectFault({ method: "GET", path: KM, action: { type: "respond", status: 200, body } });
    expect(await c.get(`${KM}?scope=cluster`)).toMatchObject({ status: 200, body });
    expect(await c.get(`${KM}?scope=cluster`)).toMatchObject({ status: 200, body: { num_records: 0 } });
    sim.injectFault({ method: "POST", path: KM, action: { type: "respond", status: 201, body: {} } });
    expect((await c.post(KM, externalBody("vs0"))).status).toBe(201);
    expect(await kmCount()).toBe(0);
    expect(() => sim.injectFault({ action: { type: "respond", status: 99, body: {} } })).toThrow(/200-599/);
  });

  test("renameSvm: same UUID, certificates and key manager; the old name is gone", async () => {
    const km = await createKm(c, externalBody("vs0"));
    const [before] = records(await c.get("/api/svm/svms?name=vs0"));
    const uuid = String(before?.uuid);
    expect(sim.renameSvm("vs0", "vs0_renamed")).toEqual({ uuid, name: "vs0_renamed" });
    expect((await c.get("/api/svm/svms?name=vs0")).body.num_records).toBe(0);
    expect((await c.get(`/api/svm/svms/${uuid}`)).body.name).toBe("vs0_renamed");
    expect((await c.get(`${KM}/${km}?fields=svm`)).body.svm).toMatchObject({
      uuid,
      name: "vs0_renamed",
    });
    expect(
      (await c.get("/api/security/certificates?svm.name=vs0_renamed&name=vs0-client")).body.num_records,
    ).toBe(1);
    expect(() => sim.renameSvm("vs0", "x")).toThrow(/no data SVM named "vs0"/);
    expect(() => sim.renameSvm("vs1", "vs0_renamed")).toThrow(/already exists/);
    expect(() => sim.renameSvm("cluster1", "x")).toThrow(/no data SVM/);
  });

  test("invalid faults are refused", () => {
    expect(() => sim.injectFault({ action: { type: "status", status: 200 } })).toThrow(/400-599/);
    expect(() => sim.injectFault({ count: 0, action: { type: "reset" } })).toThrow(/count/);
  });
});

describe("latency, request log, connections", () => {
  test("injected latency delays each request", async () => {
    sim.setLatency(120);
    expect((await c.get("/api/cluster")).status).toBe(200);
    await eventually(() => sim.requestLog().length === 1);
    expect(sim.requestLog()[0]?.durationMs).toBeGreaterThanOrEqual(120);
    sim.setLatency(0);
  });

  test("the log records method, path with query, status, duration and connection, never bodies", async () => {
    await c.get("/api/svm/svms?fields=name");
    await c.post(KM, { onboard: { passphrase: PASSPHRASE } });
    await c.get("/api/nope");
    await eventually(() => sim.requestLog().length === 3);
    const log = sim.requestLog();
    expect(log.map((e) => [e.seq, e.method, e.path, e.status])).toEqual([
      [1, "GET", "/api/svm/svms?fields=name", 200],
      [2, "POST", KM, 201],
      [3, "GET", "/api/nope", 404],
    ]);
    for (const e of log) {
      expect(Object.keys(e).sort()).toEqual(["connection", "durationMs", "method", "path", "seq", "status"]);
      expect(e.connection).toBeGreaterThan(0);
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
    }
    expect(JSON.stringify(log)).not.toContain(PASSPHRASE);
  });

  test("keep-alive: one TLS connection carries consecutive requests; each handshake is counted", async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: sim.caCert });
    const auth = `${sim.username}:${sim.password}`;
    const get = (path: string): Promise<number> =>
      new Promise((resolve, reject) => {
        https
          .get(`${sim.url}${path}`, { agent, auth }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          })
          .on("error", reject);
      });
    try {
      sim.clearRequestLog();
      for (const p of ["/api/cluster", "/api/svm/svms", "/api/storage/volumes"])
        expect(await get(p)).toBe(200);
      await eventually(() => sim.requestLog().length === 3);
      expect(new Set(sim.requestLog().map((e) => e.connection)).size).toBe(1);
      expect(sim.tlsHandshakes()).toBe(1);
    } finally {
      agent.destroy();
    }
    const other = new https.Agent({ keepAlive: false, ca: sim.caCert });
    try {
      await new Promise<void>((resolve, reject) => {
        https
          .get(`${sim.url}/api/cluster`, { agent: other, auth }, (res) => {
            res.resume();
            res.on("end", resolve);
          })
          .on("error", reject);
      });
      expect(sim.tlsHandshakes()).toBe(2);
      await eventually(() => sim.requestLog().length === 4);
      expect(new Set(sim.requestLog().map((e) => e.connection)).size).toBe(2);
    } finally {
      other.destroy();
    }
  });

  test("clearRequestLog empties the log and zeroes the handshake count; copies are independent", async () => {
    await c.get("/api/cluster");
    await eventually(() => sim.requestLog().length === 1);
    const copy = sim.requestLog();
    sim.clearRequestLog();
    expect(copy).toHaveLength(1);
    expect(sim.requestLog()).toEqual([]);
    expect(sim.tlsHandshakes()).toBe(0);
    const fresh = new Client(sim);
    try {
      await fresh.get("/api/cluster");
      expect(sim.tlsHandshakes()).toBe(1);
    } finally {
      await fresh.close();
    }
  });
});

describe("/__sim/ control endpoints", () => {
  test("need the same credentials and are not logged", async () => {
    expect((await c.get("/__sim/log", { auth: "admin:wrong" })).status).toBe(401);
    await c.get("/__sim/log");
    await c.get("/api/cluster");
    await eventually(() => sim.requestLog().length === 1);
    expect(sim.requestLog().map((e) => e.path)).toEqual(["/api/cluster"]);
  });

  test("faults, latency, log, svms, volumes, holds-keys, passphrase check and reset over HTTP", async () => {
    expect(
      (
        await c.post("/__sim/faults", {
          method: "GET",
          path: "/api/cluster",
          action: { type: "status", status: 503 },
        })
      ).status,
    ).toBe(201);
    expect((await c.get("/api/cluster")).status).toBe(503);
    await c.post("/__sim/faults", {
      path_regex: "^/api/svm",
      count: 3,
      action: { type: "status", status: 500 },
    });
    expect((await c.call("DELETE", "/__sim/faults")).status).toBe(200);
    expect((await c.get("/api/svm/svms")).status).toBe(200);
    expect((await c.post("/__sim/faults", { action: { type: "explode" } })).status).toBe(400);

    expect((await c.post("/__sim/latency", { ms: 0 })).status).toBe(200);
    expect((await c.post("/__sim/job-delay", { ms: 10 })).status).toBe(200);

    const svms = await c.post("/__sim/svms", { count: 2 });
    expect(records(svms).map((s) => s.name)).toEqual(["vs2", "vs3"]);
    expect(records(await c.post("/__sim/svms", { names: ["blue"] })).map((s) => s.name)).toEqual(["blue"]);
    expect((await c.post("/__sim/svms", { names: ["blue"] })).status).toBe(400);
    expect((await c.post("/__sim/svms/rename", { name: "blue", new_name: "green" })).body).toMatchObject({
      name: "green",
    });
    expect((await c.get("/api/svm/svms?name=green")).body.num_records).toBe(1);
    expect((await c.post("/__sim/svms/rename", { name: "blue", new_name: "red" })).status).toBe(400);
    await c.post("/__sim/faults", {
      method: "GET",
      path: "/api/cluster",
      action: { type: "respond", status: 200, body: { crafted: true } },
    });
    expect((await c.get("/api/cluster")).body).toEqual({ crafted: true });

    const vol = await c.post("/__sim/volumes", { svm: "vs0", name: "secure1" });
    expect(vol.body).toMatchObject({ name: "secure1" });
    const km = await createKm(c, externalBody("vs0", [{ server: "10.0.0.1" }, { server: "10.0.0.2" }]));
    expectError(await c.del(`${KM}/${km}`), 400, "65536867");
    expect((await c.call("DELETE", "/__sim/volumes?svm=vs0")).status).toBe(200);
    expect((await c.get("/api/storage/volumes")).body.num_records).toBe(0);

    expect(
      (await c.post("/__sim/holds-keys", { key_manager: km, server: "10.0.0.1", holds: true })).status,
    ).toBe(200);
    expectError(await c.del(`${KM}/${km}/key-servers/10.0.0.1`), 400, "65536700");

    await createKm(c, { onboard: { passphrase: PASSPHRASE } });
    expect((await c.post("/__sim/onboard-passphrase/check", { passphrase: PASSPHRASE })).body).toEqual({
      matches: true,
    });
    expect((await c.post("/__sim/onboard-passphrase/check", { passphrase: "nope" })).body).toEqual({
      matches: false,
    });

    const log = await c.get("/__sim/log");
    expect(Number(log.body.num_records)).toBeGreaterThan(0);
    expect(log.body.tls_handshakes).toEqual(expect.any(Number));
    expect((await c.call("DELETE", "/__sim/log")).status).toBe(200);
    expect((await c.get("/__sim/log")).body.num_records).toBe(0);

    expect((await c.post("/__sim/reset")).status).toBe(200);
    expect(sim.keyManagers()).toEqual([]);
    expect((await c.get("/api/svm/svms")).body.num_records).toBe(2);
    expect((await c.get("/__sim/nope")).status).toBe(404);
  });
});
