/**
 * The simulator playing 9.16+: several configurations per scope (`enabled`, `configuration`,
 * `create_inactive`), `/api/security/key-stores` and its onboard/external switch (job, `state`), secondary key
 * servers in both forms, per-release timeouts and `create_remove_timeout`, `status` as an expensive field set
 * by a control, and onboard key synchronisation (per-node key-ids, `onboard.synchronize`). 9.13 keeps its
 * behaviour where 9.16 differs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Simulator, startSimulator } from "../../simulator";
import {
  Client,
  PASSPHRASE,
  type Res,
  clusterExternalBody,
  eventually,
  expectError,
  records,
  str,
} from "./helpers";

let sim: Simulator;
let c: Client;
let old: Simulator;
let oc: Client;

beforeAll(async () => {
  sim = await startSimulator({ ontapVersion: "9.16", jobDelayMs: 10 });
  c = new Client(sim);
  old = await startSimulator({ ontapVersion: "9.13", jobDelayMs: 10 });
  oc = new Client(old);
});

afterAll(async () => {
  await c.close();
  await oc.close();
  await sim.close();
  await old.close();
});

beforeEach(() => {
  sim.reset();
  old.reset();
});

const KM = "/api/security/key-managers";
const KS = "/api/security/key-stores";
const WAIT = "return_timeout=10";

/** Polls a job until it ends and returns its record. */
async function settle(client: Client, res: Res): Promise<Res["body"]> {
  expect(res.status).toBe(202);
  const href = str(res.body.job?._links?.self?.href);
  let job: Res["body"] | undefined;
  await eventually(async () => {
    job = (await client.get(href)).body;
    const state: unknown = job.state;
    return state === "success" || state === "failure";
  }, 5_000);
  if (!job) throw new Error("no job record");
  return job;
}

/** POSTs a key manager, waiting for its job; returns the uuid from the Location header. */
async function create(client: Client, body: unknown, query = ""): Promise<string> {
  const r = await client.post(`${KM}?${WAIT}${query}`, body);
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`);
  return str(r.headers.location).split("/").pop() ?? "";
}

/** Cluster onboard (enabled) + cluster external (inactive). */
async function onboardWithInactiveExternal(): Promise<{ okm: string; kmip: string }> {
  const okm = await create(c, { onboard: { passphrase: PASSPHRASE } });
  const kmip = await create(c, clusterExternalBody(), "&create_inactive=true");
  return { okm, kmip };
}

describe("configurations", () => {
  test("create_inactive adds an inactive configuration beside the enabled one; records carry enabled and configuration", async () => {
    const { okm, kmip } = await onboardWithInactiveExternal();
    const listed = records(await c.get(`${KM}?fields=uuid,enabled,configuration,onboard.enabled`));
    const byUuid = new Map(listed.map((r) => [str(r.uuid), r]));
    expect(byUuid.get(okm)).toMatchObject({ enabled: true, configuration: { name: "default", uuid: okm } });
    expect(byUuid.get(kmip)).toMatchObject({
      enabled: false,
      configuration: { name: "default", uuid: kmip },
    });
    const enabledOnly = records(await c.get(`${KM}?scope=cluster&enabled=true`));
    expect(enabledOnly.map((r) => r.uuid)).toEqual([okm]);
  });

  test("status is expensive and not available for an inactive configuration", async () => {
    const { okm, kmip } = await onboardWithInactiveExternal();
    expect((await c.get(`${KM}/${okm}`)).body.status).toBeUndefined();
    expect((await c.get(`${KM}/${okm}?fields=status`)).body.status).toEqual({
      code: 65537200,
      message: "No action needed at this time.",
    });
    expect((await c.get(`${KM}/${kmip}?fields=status`)).body.status).toBeUndefined();
    const conn = (await c.get(`${KM}/${kmip}?fields=external.servers.connectivity`)).body;
    expect(conn.external?.servers?.[0]?.connectivity).toBeUndefined();
  });

  test("a second inactive configuration of the same kind is refused (job failure 65536823 / 65536907)", async () => {
    await onboardWithInactiveExternal();
    expectError(await c.post(`${KM}?${WAIT}&create_inactive=true`, clusterExternalBody()), 400, "65536823");
    expectError(
      await c.post(`${KM}?${WAIT}&create_inactive=true`, { onboard: { passphrase: PASSPHRASE } }),
      400,
      "65536907",
    );
    // Without create_inactive the scope already has its key manager.
    expectError(await c.post(`${KM}?${WAIT}`, clusterExternalBody()), 400, "65536823");
  });

  test("9.13 has no create_inactive (262179) and no enabled/configuration (262197)", async () => {
    expectError(await oc.post(`${KM}?create_inactive=true`, clusterExternalBody()), 400, "262179");
    expectError(await oc.get(`${KM}?fields=configuration`), 400, "262197");
  });
});

describe("key stores", () => {
  test("GET lists one record per configuration with type, location, enabled and state", async () => {
    const { okm, kmip } = await onboardWithInactiveExternal();
    const ks = records(await c.get(`${KS}?fields=*`));
    const byUuid = new Map(ks.map((r) => [str(r.uuid), r]));
    expect(byUuid.get(okm)).toMatchObject({
      type: "okm",
      location: "onboard",
      enabled: true,
      state: "active",
      configuration: { uuid: okm, name: "default" },
    });
    expect(byUuid.get(kmip)).toMatchObject({ type: "kmip", location: "external", enabled: false });
    expect(byUuid.get(kmip)?.state).toBeUndefined();
    expect((await c.get(`${KS}/${okm}`)).body.uuid).toBe(okm);
    expectError(await c.get(`${KS}/00000000-0000-0000-0000-000000000000`), 404, "4");
  });

  test("PATCH enabled: true switches onboard to external as a job: both read `switching`, then the new one is active, the old one inactive, volumes stay", async () => {
    const { okm, kmip } = await onboardWithInactiveExternal();
    const vol = sim.seedEncryptedVolume("vs0");
    sim.setJobDelay(400);
    const started = await c.patch(`${KS}/${kmip}`, { enabled: true });
    const states = records(await c.get(`${KS}?fields=state,enabled`)).map((r) => [
      r.uuid,
      r.state,
      r.enabled,
    ]);
    expect(states).toEqual(
      expect.arrayContaining([
        [okm, "switching", true],
        [kmip, "switching", false],
      ]),
    );
    // While the switch runs, the inactive configuration cannot be deleted.
    const delWhile = await c.del(`${KS}/${kmip}`);
    const job = await settle(c, started);
    expect(job.state).toBe("success");
    expect((await settle(c, delWhile)).code).toBe(65539593);
    sim.setJobDelay(10);
    const after = new Map(records(await c.get(`${KS}?fields=state,enabled`)).map((r) => [str(r.uuid), r]));
    expect(after.get(kmip)).toMatchObject({ enabled: true, state: "active" });
    expect(after.get(okm)?.enabled).toBe(false);
    expect(after.get(okm)?.state).toBeUndefined();
    expect(records(await c.get("/api/storage/volumes")).map((v) => v.uuid)).toEqual([vol.uuid]);
    // The enabled configuration now holds the volume's keys: its delete is refused; the old one goes.
    expectError(await c.del(`${KS}/${kmip}?${WAIT}`), 400, "65538905");
    expectError(await c.del(`${KM}/${kmip}?${WAIT}`), 400, "65536867");
    expect((await c.del(`${KS}/${okm}?${WAIT}`)).status).toBe(200);
    expectError(await c.get(`${KM}/${okm}`), 404, "4");
    expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(false);
  });

  test("and back: external to onboard", async () => {
    const kmip = await create(c, clusterExternalBody());
    const okm = await create(c, { onboard: { passphrase: PASSPHRASE } }, "&create_inactive=true");
    expect((await c.patch(`${KS}/${okm}?${WAIT}`, { enabled: true })).status).toBe(200);
    const enabled = records(await c.get(`${KM}?fields=enabled`)).filter(
      (r) => (r.enabled as unknown) === true,
    );
    expect(enabled.map((r) => r.uuid)).toEqual([okm]);
    expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(true);
    expect((await c.del(`${KS}/${kmip}?${WAIT}`)).status).toBe(200);
  });

  test("PATCH refusals: 65538909, 65538910, 65539218, 65538908, 65539515; body fields that are not settable 262196", async () => {
    const { okm } = await onboardWithInactiveExternal();
    expectError(await c.patch(`${KS}/${okm}?${WAIT}`, {}), 400, "65538909");
    expectError(await c.patch(`${KS}/${okm}?${WAIT}`, { enabled: false }), 400, "65538910");
    expectError(await c.patch(`${KS}/${okm}?${WAIT}`, { enabled: true }), 400, "65539218");
    expectError(
      await c.patch(`${KS}/00000000-0000-0000-0000-000000000000?${WAIT}`, { enabled: true }),
      400,
      "65538908",
    );
    expectError(await c.patch(`${KS}/${okm}`, { type: "kmip" }), 400, "262196");
    // Same type on the admin SVM: a second external configuration cannot take over from an external one.
    sim.reset();
    await create(c, clusterExternalBody());
    const other = await create(c, clusterExternalBody([{ server: "10.0.0.5" }]), "&create_inactive=true");
    expectError(await c.patch(`${KS}/${other}?${WAIT}`, { enabled: true }), 400, "65539515");
    expect(records(await c.get(`${KM}?enabled=true`)).length).toBe(1);
  });

  test("a failed switch job leaves the old configuration enabled and no state `switching`", async () => {
    const { okm, kmip } = await onboardWithInactiveExternal();
    sim.injectFault({
      method: "PATCH",
      path: `${KS}/${kmip}`,
      action: { type: "job-failure", code: 65536987, message: "One or more key servers are unavailable." },
    });
    expectError(await c.patch(`${KS}/${kmip}?${WAIT}`, { enabled: true }), 400, "65536987");
    const after = new Map(records(await c.get(`${KS}?fields=state,enabled`)).map((r) => [str(r.uuid), r]));
    expect(after.get(okm)).toMatchObject({ enabled: true, state: "active" });
    expect(after.get(kmip)?.enabled).toBe(false);
  });

  test("9.13: key-stores GET without state; no PATCH/DELETE (9.14+)", async () => {
    const km = await create(oc, clusterExternalBody());
    const ks = records(await oc.get(`${KS}?fields=*`));
    expect(ks).toEqual([expect.objectContaining({ uuid: km, type: "kmip", enabled: true })]);
    expect(ks[0]?.state).toBeUndefined();
    expectError(await oc.get(`${KS}?fields=state`), 400, "262197");
    const r = await oc.patch(`${KS}/${km}`, { enabled: true });
    expect(r.status).toBe(405);
  });
});

describe("key servers", () => {
  const server = (km: string, s = "10.0.0.1:5696"): string =>
    `${KM}/${km}/key-servers/${encodeURIComponent(s)}`;

  test("secondary_key_servers: an array on the key server, one comma-separated string in the key-manager record", async () => {
    const km = await create(c, clusterExternalBody([{ server: "10.0.0.1" }, { server: "10.0.0.2" }]));
    const r = await c.patch(`${server(km)}?${WAIT}`, {
      secondary_key_servers: ["ks2.example.com", "10.0.0.9:5697"],
    });
    expect(r.status).toBe(200);
    expect((await c.get(server(km))).body.secondary_key_servers).toEqual([
      "ks2.example.com",
      "10.0.0.9:5697",
    ]);
    const rec = (await c.get(`${KM}/${km}?fields=external.servers`)).body;
    expect(rec.external?.servers?.[0]?.secondary_key_servers).toBe("ks2.example.com,10.0.0.9:5697");
    expect(rec.external?.servers?.[1]?.secondary_key_servers).toBeUndefined();
    expect((await c.get(server(km, "10.0.0.2:5696"))).body.secondary_key_servers).toBeUndefined();
    // An empty list removes them.
    expect((await c.patch(`${server(km)}?${WAIT}`, { secondary_key_servers: [] })).status).toBe(200);
    expect((await c.get(server(km))).body.secondary_key_servers).toBeUndefined();
  });

  test("secondary refusals: its primary 65538407, duplicates 65538408, format 65538413, another primary 65538502", async () => {
    const km = await create(c, clusterExternalBody([{ server: "10.0.0.1" }, { server: "10.0.0.2" }]));
    const patch = (list: string[]): Promise<Res> =>
      c.patch(`${server(km)}?${WAIT}`, { secondary_key_servers: list });
    expectError(await patch(["10.0.0.1"]), 400, "65538407");
    expectError(await patch(["ks2.example.com", "KS2.example.com:5696"]), 400, "65538408");
    expectError(await patch(["[fe80::1"]), 400, "65538413");
    expectError(await patch(["10.0.0.2:5696"]), 400, "65538502");
    expect((await c.get(server(km))).body.secondary_key_servers).toBeUndefined();
  });

  test("timeout -1..60 and create_remove_timeout -1..60 on 9.16; 9.13 keeps 1..60 and has no create_remove_timeout", async () => {
    const km = await create(c, clusterExternalBody());
    for (const t of [-1, 0, 60]) {
      expect((await c.patch(`${server(km)}?${WAIT}`, { timeout: t })).status).toBe(200);
      expect((await c.get(server(km))).body.timeout).toBe(t);
    }
    expectError(await c.patch(server(km), { timeout: 61 }), 400, "262185", "timeout");
    expectError(await c.patch(server(km), { timeout: -2 }), 400, "262185", "timeout");
    expect((await c.get(server(km))).body.create_remove_timeout).toBe(25);
    expect((await c.patch(`${server(km)}?${WAIT}`, { create_remove_timeout: -1 })).status).toBe(200);
    expect((await c.get(server(km))).body.create_remove_timeout).toBe(-1);
    expectError(
      await c.patch(server(km), { create_remove_timeout: 61 }),
      400,
      "262185",
      "create_remove_timeout",
    );

    const okm = await create(oc, clusterExternalBody());
    expectError(await oc.patch(server(okm), { timeout: 0 }), 400, "262185", "timeout");
    expectError(await oc.patch(server(okm), { create_remove_timeout: 10 }), 400, "262179");
    // 9.13 has secondary servers (9.11.1 on): test/simulator/secondaryServers.test.ts.
    expect((await oc.get(server(okm))).body.create_remove_timeout).toBeUndefined();
  });
});

describe("health and sync controls", () => {
  test("setKeyManagerStatus (and POST /__sim/key-manager-status) sets the expensive status", async () => {
    const km = await create(c, clusterExternalBody());
    sim.setKeyManagerStatus(km, { code: 65537708, message: "External key server 10.0.0.1 is unreachable." });
    expect((await c.get(`${KM}/${km}?fields=status`)).body.status).toEqual({
      code: 65537708,
      message: "External key server 10.0.0.1 is unreachable.",
    });
    expect((await c.get(`${KM}?status.code=65537708`)).body.num_records).toBe(1);
    expect((await c.post("/__sim/key-manager-status", { key_manager: km })).status).toBe(200);
    expect((await c.get(`${KM}/${km}?fields=status`)).body.status?.code).toBe(65537200);
    const viaHttp = await c.post("/__sim/key-manager-status", { key_manager: km, code: 1, message: "x" });
    expect(viaHttp.status).toBe(200);
    expect((await c.get(`${KM}/${km}?fields=status`)).body.status).toEqual({ code: 1, message: "x" });
  });

  test("a node missing the onboard keys reads restored: false in its key-ids until PATCH onboard.synchronize", async () => {
    const okm = await create(c, { onboard: { passphrase: PASSPHRASE } });
    sim.seedEncryptedVolume("vs0");
    const nodes = records(await c.get("/api/cluster/nodes"));
    expect(nodes.map((n) => n.name)).toEqual(["cluster1-01", "cluster1-02"]);
    const keyIds = async (node: Res["body"] | undefined): Promise<string[]> =>
      records(await c.get(`${KM}/${okm}/keys/${str(node?.uuid)}/key-ids?fields=restored,key_type`))
        .map((k) => `${str(k.key_type)}:${String(k.restored)}`)
        .sort();
    expect(await keyIds(nodes[1])).toEqual(["svm_kek:true", "vek:true"]);
    const marked = await c.post("/__sim/onboard-keys-missing", { node: "cluster1-02", missing: true });
    expect(marked.body.nodes).toEqual(["cluster1-02"]);
    const missing = records(await c.get(`${KM}/${okm}/keys/${str(nodes[1]?.uuid)}/key-ids?restored=false`));
    expect(missing.length).toBe(2);
    expect(records(await c.get(`${KM}/${okm}/keys/${str(nodes[0]?.uuid)}/key-ids?restored=false`))).toEqual(
      [],
    );
    // A wrong passphrase does not sync.
    expectError(
      await c.patch(`${KM}/${okm}?${WAIT}`, {
        onboard: { synchronize: true, existing_passphrase: "x".repeat(40) },
      }),
      400,
      "65536139",
    );
    expect(sim.onboardKeysMissing()).toEqual(["cluster1-02"]);
    expect(
      (
        await c.patch(`${KM}/${okm}?${WAIT}`, {
          onboard: { synchronize: true, existing_passphrase: PASSPHRASE },
        })
      ).status,
    ).toBe(200);
    expect(sim.onboardKeysMissing()).toEqual([]);
    expect((await c.get("/__sim/onboard-keys-missing")).body.nodes).toEqual([]);
    expect(records(await c.get(`${KM}/${okm}/keys/${str(nodes[1]?.uuid)}/key-ids?restored=false`))).toEqual(
      [],
    );
    expectError(
      await c.get(`${KM}/00000000-0000-0000-0000-000000000000/keys/${str(nodes[1]?.uuid)}/key-ids`),
      400,
      "65537125",
    );
    expectError(await c.get(`${KM}/${okm}/keys/00000000-0000-0000-0000-000000000000/key-ids`), 404, "4");
    // The passphrase is unchanged by a sync.
    expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(true);
  });

  test("controls refuse what cannot be: no onboard key manager, unknown node, 9.6", async () => {
    expect(() => sim.setOnboardKeysMissing("cluster1-02", true)).toThrow(/onboard/);
    await create(c, { onboard: { passphrase: PASSPHRASE } });
    expect(() => sim.setOnboardKeysMissing("cluster9-07", true)).toThrow(/no node/);
    expect((await c.post("/__sim/onboard-keys-missing", { node: "nope", missing: true })).status).toBe(400);
    const v96 = await startSimulator({});
    try {
      expect(() => v96.setKeyManagerStatus("x", undefined)).toThrow(/9\.7/);
    } finally {
      await v96.close();
    }
  });
});

test("inactive configurations, secondary servers, create_remove_timeout, status and missing-key marks survive a restart", async () => {
  const dir = mkdtempSync(join(tmpdir(), "ontap-sim-916-"));
  const stateFile = join(dir, "state.json");
  try {
    const first = await startSimulator({ ontapVersion: "9.16", jobDelayMs: 0, stateFile });
    const fc = new Client(first);
    const okm = str(
      (await fc.post(`${KM}?${WAIT}`, { onboard: { passphrase: PASSPHRASE } })).headers.location,
    )
      .split("/")
      .pop();
    const kmip = str(
      (await fc.post(`${KM}?${WAIT}&create_inactive=true`, clusterExternalBody())).headers.location,
    )
      .split("/")
      .pop();
    const ks = `${KM}/${kmip ?? ""}/key-servers/10.0.0.1%3A5696`;
    expect(
      (
        await fc.patch(`${ks}?${WAIT}`, {
          secondary_key_servers: ["ks2.example.com"],
          create_remove_timeout: 7,
        })
      ).status,
    ).toBe(200);
    first.setKeyManagerStatus(okm ?? "", { code: 42, message: "m" });
    first.setOnboardKeysMissing("cluster1-02", true);
    await fc.close();
    await first.close();

    const second = await startSimulator({ ontapVersion: "9.16", jobDelayMs: 0, stateFile });
    const sc = new Client(second);
    try {
      expect((await sc.get(`${KM}/${kmip ?? ""}?fields=enabled`)).body.enabled).toBe(false);
      expect((await sc.get(`${KM}/${okm ?? ""}?fields=status`)).body.status).toEqual({
        code: 42,
        message: "m",
      });
      const server = (await sc.get(ks)).body;
      expect([server.secondary_key_servers, server.create_remove_timeout]).toEqual([["ks2.example.com"], 7]);
      expect(second.onboardKeysMissing()).toEqual(["cluster1-02"]);
    } finally {
      await sc.close();
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
