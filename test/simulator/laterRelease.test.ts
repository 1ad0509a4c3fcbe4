/**
 * The simulator playing a later release (9.13): key-manager and key-server writes answer 202 + a job that
 * moves queued -> running -> success/failure; framework errors stay synchronous 400s while key-manager
 * refusals surface as job failures (integer code); later read-only fields; key-server password; force.
 */
import { type Simulator, startSimulator } from "../../simulator";
import {
  Client,
  PASSPHRASE,
  PASSPHRASE2,
  type Res,
  clusterExternalBody,
  eventually,
  expectError,
  externalBody,
  list,
  records,
  str,
  useSimulator,
} from "./helpers";

let sim: Simulator;
let c: Client;

useSimulator({ ontapVersion: "9.13", jobDelayMs: 20 }, (started, client) => ([sim, c] = [started, client]));

const KM = "/api/security/key-managers";

/** Polls a job until it ends; returns the states seen in order (deduplicated) and the final record. */
async function settle(res: Res): Promise<{ states: string[]; job: Res["body"] }> {
  expect(res.status).toBe(202);
  const href = str(res.body.job?._links?.self?.href);
  expect(href).toBe(`/api/cluster/jobs/${str(res.body.job?.uuid)}`);
  const states: string[] = [];
  let job: Res["body"] | undefined;
  await eventually(async () => {
    job = (await c.get(href)).body;
    const s = str(job.state);
    if (states[states.length - 1] !== s) states.push(s);
    return s === "success" || s === "failure";
  }, 5_000);
  if (!job) throw new Error("no job record");
  return { states, job };
}

/** Creates a key manager through its job and returns the uuid of the record that appeared. */
async function createKm(body: unknown): Promise<string> {
  const uuids = async (): Promise<string[]> => records(await c.get(KM)).map((k) => str(k.uuid));
  const before = new Set(await uuids());
  const { job } = await settle(await c.post(KM, body));
  expect(job.state).toBe("success");
  const added = (await uuids()).filter((u) => !before.has(u));
  expect(added).toHaveLength(1);
  return added[0] ?? "";
}

describe("jobs", () => {
  test("a POST answers 202 with a job that moves queued -> running -> success, then the record exists", async () => {
    sim.setJobDelay(1_500);
    const r = await c.post(`${KM}?return_records=true`, externalBody("vs0"));
    expect(r.status).toBe(202);
    expect(Object.keys(r.body)).toEqual(["job"]);
    expect((await c.get(KM)).body.num_records).toBe(0);
    const { states, job } = await settle(r);
    expect(states).toEqual(["queued", "running", "success"]);
    expect(job).toMatchObject({
      uuid: r.body.job?.uuid,
      description: `POST ${KM}`,
      state: "success",
      code: 0,
      _links: { self: { href: `/api/cluster/jobs/${str(r.body.job?.uuid)}` } },
    });
    expect(str(job.start_time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    expect(str(job.end_time)).toMatch(/^\d{4}-/);
    expect(records(await c.get(`${KM}?svm.name=vs0`))).toHaveLength(1);
    expectError(await c.get("/api/cluster/jobs/00000000-0000-0000-0000-000000000000"), 404, "4");
    expect((await c.get("/api/cluster/jobs?state=success")).body.num_records).toBe(1);
  });

  test("key-manager refusals end the job in failure with an integer code; nothing is applied", async () => {
    await createKm(externalBody("vs0"));
    const cases: [unknown, number][] = [
      [externalBody("vs0", [{ server: "10.0.0.9" }]), 65536823],
      [{ svm: { name: "vs1" }, onboard: { passphrase: PASSPHRASE } }, 65536916],
      [{ onboard: { passphrase: "too short" } }, 65536920],
      [
        externalBody(
          "vs1",
          [1, 2, 3, 4, 5].map((n) => ({ server: `10.0.0.${n}` })),
        ),
        65536038,
      ],
      [externalBody("vs1", [{ server: "10.0.0.1" }, { server: "10.0.0.1:5696" }]), 65536871],
      [
        {
          ...externalBody("vs1"),
          external: {
            client_certificate: { name: "vs0-client" },
            server_ca_certificates: [{ name: "vs1-ca-1" }],
            servers: [{ server: "10.0.0.1" }],
          },
        },
        65536821,
      ],
      [
        {
          svm: { name: "vs1" },
          external: { client_certificate: { name: "vs1-client" }, servers: [{ server: "10.0.0.1" }] },
        },
        65536876,
      ],
    ];
    for (const [body, code] of cases) {
      const { job } = await settle(await c.post(KM, body));
      expect({ state: job.state, code: job.code, error: job.error?.code }).toEqual({
        state: "failure",
        code,
        error: String(code),
      });
      expect(str(job.message).length).toBeGreaterThan(0);
    }
    expect(sim.keyManagers()).toHaveLength(1);
  });

  test("framework errors are still synchronous 400s: unknown field, bad value, unknown SVM, 404", async () => {
    expectError(await c.post(KM, { ...externalBody("vs0"), colour: "red" }), 400, "262179", "colour");
    expectError(await c.post(KM, externalBody("vs0", [{ server: "fd00::1" }])), 400, "262185");
    expectError(await c.post(KM, externalBody("vs9")), 400, "2621462");
    expectError(await c.del(`${KM}/00000000-0000-0000-0000-000000000000`), 404, "4");
    expect((await c.get("/api/cluster/jobs")).body.num_records).toBe(0);
  });

  test("PATCH rotates the passphrase through a job; refusals are job failures", async () => {
    const km = await createKm({ onboard: { passphrase: PASSPHRASE } });
    const fail = await settle(
      await c.patch(`${KM}/${km}`, {
        onboard: { existing_passphrase: PASSPHRASE2, passphrase: PASSPHRASE2 },
      }),
    );
    expect(fail.job.code).toBe(65536139);
    const same = await settle(
      await c.patch(`${KM}/${km}`, { onboard: { existing_passphrase: PASSPHRASE, passphrase: PASSPHRASE } }),
    );
    expect(same.job.code).toBe(65536150);
    const ok = await settle(
      await c.patch(`${KM}/${km}`, { onboard: { existing_passphrase: PASSPHRASE, passphrase: PASSPHRASE2 } }),
    );
    expect(ok.job.state).toBe("success");
    expect(sim.checkOnboardPassphrase(PASSPHRASE2)).toBe(true);
    const sync = await settle(await c.patch(`${KM}/${km}`, { onboard: { synchronize: true } }));
    expect(sync.job.state).toBe("success");
  });

  test("DELETE runs as a job: 65536867 with encrypted volumes, success without", async () => {
    const km = await createKm(externalBody("vs0"));
    sim.seedEncryptedVolume("vs0");
    expect((await settle(await c.del(`${KM}/${km}`))).job.code).toBe(65536867);
    sim.removeVolumes();
    expect((await settle(await c.del(`${KM}/${km}`))).job.state).toBe("success");
    expectError(await c.get(`${KM}/${km}`), 404, "4");
  });

  test("return_timeout waits for the job: 201/200 with the job when it ends in time, 400 on failure", async () => {
    const r = await c.post(`${KM}?return_timeout=10&return_records=true`, externalBody("vs0"));
    expect(r.status).toBe(201);
    expect(r.body.job?.uuid).toEqual(expect.any(String));
    expect(r.body.num_records).toBe(1);
    expect(r.headers.location).toBe(`${KM}/${str(r.body.records?.[0]?.uuid)}`);
    const patched = await c.patch(`${KM}/${str(r.body.records?.[0]?.uuid)}?return_timeout=10`, {
      external: { client_certificate: { name: "vs0-client-renewed" } },
    });
    expect(patched.status).toBe(200);
    const again = await c.post(`${KM}?return_timeout=10`, externalBody("vs0"));
    expectError(again, 400, "65536823");
    sim.setJobDelay(2_000);
    const slow = await c.post(`${KM}?return_timeout=1`, externalBody("vs1"));
    expect(slow.status).toBe(202);
  });

  test("jobs end in the order they were submitted", async () => {
    sim.setJobDelay(300);
    const a = await c.post(KM, externalBody("vs0"));
    sim.setJobDelay(0);
    const b = await c.post(KM, externalBody("vs0", [{ server: "10.0.0.9" }]));
    // The second job is due earlier but waits for the first: it then finds vs0 taken.
    const [ja, jb] = await Promise.all([settle(a), settle(b)]);
    expect(ja.job.state).toBe("success");
    expect(jb.job.code).toBe(65536823);
  });
});

describe("later fields", () => {
  test("fields=* adds volume_encryption, certificate names; status, key_backup and connectivity only on request", async () => {
    const ext = await createKm(externalBody("vs0"));
    const onb = await createKm({ onboard: { passphrase: PASSPHRASE } });
    const star = (await c.get(`${KM}/${ext}?fields=*`)).body;
    expect(star).toMatchObject({
      volume_encryption: { supported: true },
      is_default_data_at_rest_encryption_disabled: false,
      external: {
        client_certificate: { name: "vs0-client" },
        server_ca_certificates: [{ name: "vs0-ca-1" }],
        servers: [{ server: "10.0.0.1:5696" }],
      },
    });
    expect(star.status).toBeUndefined();
    expect(list(star.external?.servers)[0]?.connectivity).toBeUndefined();
    const plain = (await c.get(`${KM}/${onb}`)).body;
    expect(plain.onboard).toEqual({ enabled: true });

    const asked = (await c.get(`${KM}/${onb}?fields=status,onboard.key_backup`)).body;
    expect(asked.status).toEqual({ code: 65537200, message: "No action needed at this time." });
    expect(str(asked.onboard?.key_backup)).toMatch(/BEGIN BACKUP/);
    expect(str(asked.onboard?.key_backup)).not.toContain(PASSPHRASE);

    const conn = (await c.get(`${KM}/${ext}?fields=external.servers.connectivity`)).body;
    expect(conn.external?.servers).toEqual([
      {
        connectivity: {
          cluster_availability: true,
          node_states: [
            { node: { name: "cluster1-01" }, state: "available" },
            { node: { name: "cluster1-02" }, state: "available" },
          ],
        },
      },
    ]);
    const all = (await c.get(`${KM}/${ext}?fields=**`)).body;
    expect(all.status).toBeDefined();
    expect(list(all.external?.servers)[0]?.connectivity).toBeDefined();
    const coll = records(await c.get(`${KM}?fields=status&scope=cluster`));
    expect(coll).toHaveLength(1);
    expect(coll[0]?.status).toBeDefined();
  });

  test("key servers: connectivity on request, password accepted on PATCH and never returned", async () => {
    const km = await createKm(externalBody("vs0"));
    const ks = `${KM}/${km}/key-servers`;
    expect(records(await c.get(`${ks}?fields=*`))[0]?.connectivity).toBeUndefined();
    expect(records(await c.get(`${ks}?fields=connectivity`))[0]?.connectivity).toMatchObject({
      cluster_availability: true,
    });
    expectError(await c.get(`${ks}?fields=password`), 400, "262249", "fields");
    const noUser = await settle(await c.patch(`${ks}/10.0.0.1`, { password: "kmip-secret-1" }));
    expect(noUser.job.code).toBe(65536845);
    const ok = await settle(await c.patch(`${ks}/10.0.0.1`, { username: "kmip", password: "kmip-secret-1" }));
    expect(ok.job.state).toBe("success");
    const text = JSON.stringify((await c.get(`${ks}/10.0.0.1?fields=**`)).body);
    expect(text).not.toContain("kmip-secret-1");
    expect(text).toContain('"username":"kmip"');
  });

  test("key-server writes run as jobs; force=true deletes a server holding keys", async () => {
    const km = await createKm(externalBody("vs0"));
    const ks = `${KM}/${km}/key-servers`;
    expect(
      (await settle(await c.post(ks, { records: [{ server: "10.0.0.2" }, { server: "10.0.0.3" }] }))).job
        .state,
    ).toBe("success");
    expect((await settle(await c.post(ks, { server: "10.0.0.2" }))).job.code).toBe(65536871);
    expect(
      (await settle(await c.post(ks, { records: [{ server: "10.0.0.4" }, { server: "10.0.0.5" }] }))).job
        .code,
    ).toBe(65536038);
    expect((await settle(await c.patch(`${ks}/10.0.0.9`, { timeout: 30 }))).job.code).toBe(65536843);
    sim.setServerHoldsKeys(km, "10.0.0.1", true);
    expect((await settle(await c.del(`${ks}/10.0.0.1`))).job.code).toBe(65536700);
    expect((await settle(await c.del(`${ks}/10.0.0.1?force=true`))).job.state).toBe("success");
    expect(records(await c.get(ks)).map((s) => s.server)).toEqual(["10.0.0.2:5696", "10.0.0.3:5696"]);
    const onboard = await createKm({ onboard: { passphrase: PASSPHRASE } });
    expect(
      (await settle(await c.post(`${KM}/${onboard}/key-servers`, { server: "10.0.0.1" }))).job.code,
    ).toBe(65536828);
  });

  test("a job-failure fault answers 202 and fails the job without applying the write", async () => {
    sim.injectFault({
      method: "POST",
      path: KM,
      action: { type: "job-failure", code: 66060340, message: "KMIP library failure" },
    });
    const { job } = await settle(await c.post(KM, clusterExternalBody()));
    expect(job).toMatchObject({ state: "failure", code: 66060340, message: "KMIP library failure" });
    expect(sim.keyManagers()).toEqual([]);
    expect((await settle(await c.post(KM, clusterExternalBody()))).job.state).toBe("success");
  });
});

test("9.16 on, key-manager records carry `enabled` (the simulator keeps one, active, configuration per scope)", async () => {
  const later = await startSimulator({ ontapVersion: "9.16", jobDelayMs: 0 });
  const client = new Client(later);
  try {
    const created = await client.post(`${KM}?return_timeout=10`, clusterExternalBody());
    expect(created.status).toBe(201);
    const listed = await client.get(`${KM}?fields=uuid,enabled`);
    expect(records(listed).map((r) => r.enabled)).toEqual([true]);
    expectError(await c.get(`${KM}?fields=enabled`), 400, "262197");
  } finally {
    await client.close();
    await later.close();
  }
});
