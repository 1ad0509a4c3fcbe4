/**
 * The simulator's foundations over real HTTPS: certificate verification, Basic auth, the cluster, SVMs,
 * certificates and volumes it is seeded with, seeding, request-level errors and reset.
 */
import { X509Certificate } from "node:crypto";
import { Agent, request } from "undici";
import { type Simulator, startSimulator } from "../../simulator";
import { Client, expectError, records, str, useSimulator } from "./helpers";

let sim: Simulator;
let c: Client;

useSimulator({}, (started, client) => ([sim, c] = [started, client]));

describe("transport", () => {
  test("serves HTTPS on 127.0.0.1 with a certificate that its caCert verifies", async () => {
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const x = new X509Certificate(sim.caCert);
    expect(x.subjectAltName).toContain("IP Address:127.0.0.1");
    expect(x.subjectAltName).toContain("DNS:localhost");
    expect((await c.get("/api/cluster")).status).toBe(200);
  });

  test("a client that does not trust the caCert is refused at the TLS handshake", async () => {
    const untrusting = new Agent();
    try {
      await expect(request(`${sim.url}/api/cluster`, { dispatcher: untrusting })).rejects.toThrow(
        /certificate/i,
      );
    } finally {
      await untrusting.close();
    }
  });

  test("wrong or missing credentials answer 401 with ONTAP's body", async () => {
    for (const auth of [`${sim.username}:wrong`, "nobody:x", null]) {
      const r = await c.get("/api/security/key-managers", { auth });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: { message: "not authorized for that command", code: "6" } });
    }
  });

  test("unknown APIs answer 404, unsupported methods 405", async () => {
    expectError(await c.get("/api/nope"), 404, "3");
    const r = await c.call("PUT", "/api/security/key-managers", {});
    expect(r.status).toBe(405);
    expect(r.headers.allow).toContain("POST");
  });

  test("bad request bodies: a body on GET 262198, invalid JSON 262199, an array 262255", async () => {
    expectError(await c.call("GET", "/api/cluster", undefined, { raw: "{}" }), 400, "262198");
    expectError(
      await c.call("POST", "/api/security/key-managers", undefined, { raw: "{oops" }),
      400,
      "262199",
    );
    expectError(await c.post("/api/security/key-managers", [{}]), 400, "262255");
  });
});

describe("cluster, SVMs, certificates, volumes", () => {
  test("GET /api/cluster names the cluster and the 9.6 release it plays", async () => {
    const r = await c.get("/api/cluster");
    expect(r.body).toMatchObject({
      name: "cluster1",
      version: { generation: 9, major: 6, minor: 0 },
      _links: { self: { href: "/api/cluster" } },
    });
    expect(str(r.body.version?.full)).toMatch(/^NetApp Release 9\.6\.0/);
    expect(str(r.body.uuid)).toMatch(/^[0-9a-f-]{36}$/);
    expect((await c.get("/api/cluster?fields=version.major")).body).toEqual({
      uuid: r.body.uuid,
      version: { major: 6 },
      _links: { self: { href: "/api/cluster" } },
    });
  });

  test("the SVM collection lists the data SVMs; the admin SVM and unknown uuids are 404 code 4", async () => {
    const r = await c.get("/api/svm/svms");
    expect(
      records(r)
        .map((s) => s.name)
        .sort(),
    ).toEqual(["vs0", "vs1"]);
    expect(r.body.num_records).toBe(2);
    const vs0 = records(r).find((s) => (s.name as unknown) === "vs0");
    const one = await c.get(`/api/svm/svms/${str(vs0?.uuid)}`);
    expect(one.body).toMatchObject({
      name: "vs0",
      state: "running",
      _links: { self: { href: `/api/svm/svms/${str(vs0?.uuid)}` } },
    });
    const adminCert = records(await c.get("/api/security/certificates?name=cluster-client&fields=svm"))[0];
    expect(adminCert?.svm?.name).toBe("cluster1");
    expectError(await c.get(`/api/svm/svms/${str(adminCert?.svm?.uuid)}`), 404, "4");
    expectError(await c.get("/api/svm/svms/00000000-0000-0000-0000-000000000000"), 404, "4");
  });

  test("each scope has its client and server-CA certificates; renewed shares the key pair, other does not", async () => {
    const all = records(await c.get("/api/security/certificates?fields=*"));
    expect(all).toHaveLength(18);
    const cluster = all
      .filter((x) => (x.scope as unknown) === "cluster")
      .map((x) => x.name)
      .sort();
    expect(cluster).toEqual([
      "cluster-ca-1",
      "cluster-ca-2",
      "cluster-ca-3",
      "cluster-client",
      "cluster-client-other",
      "cluster-client-renewed",
    ]);
    const byName = new Map(all.map((x) => [str(x.name), x]));
    expect(byName.get("vs0-client")).toMatchObject({ type: "client", scope: "svm", svm: { name: "vs0" } });
    expect(byName.get("vs1-ca-3")).toMatchObject({ type: "server_ca", scope: "svm", svm: { name: "vs1" } });
    expect(byName.get("cluster-ca-1")).toMatchObject({ type: "server_ca", svm: { name: "cluster1" } });
    const ski = (n: string): string => str(byName.get(n)?.subject_key_identifier);
    expect(ski("vs0-client-renewed")).toBe(ski("vs0-client"));
    expect(ski("vs0-client-other")).not.toBe(ski("vs0-client"));
    for (const x of all) {
      expect(Object.keys(x).sort()).toEqual(
        expect.arrayContaining([
          "uuid",
          "name",
          "type",
          "scope",
          "svm",
          "common_name",
          "serial_number",
          "expiry_time",
          "_links",
        ]),
      );
    }
    const one = await c.get(`/api/security/certificates/${str(byName.get("vs0-ca-2")?.uuid)}`);
    expect(one.body).toMatchObject({ name: "vs0-ca-2", type: "server_ca" });
    expectError(await c.get("/api/security/certificates/00000000-0000-0000-0000-000000000000"), 404, "4");
  });

  test("certificate filters: name, type, svm.name, scope", async () => {
    const names = async (q: string): Promise<string[]> =>
      records(await c.get(`/api/security/certificates?${q}`))
        .map((x) => str(x.name))
        .sort();
    expect(await names("name=vs1-client")).toEqual(["vs1-client"]);
    expect(await names("svm.name=vs0&type=server_ca")).toEqual(["vs0-ca-1", "vs0-ca-2", "vs0-ca-3"]);
    expect(await names("scope=cluster&type=client")).toEqual([
      "cluster-client",
      "cluster-client-other",
      "cluster-client-renewed",
    ]);
  });

  test("volumes: seeded encrypted volumes are listed and filterable, and can be removed", async () => {
    expect((await c.get("/api/storage/volumes")).body.num_records).toBe(0);
    const v = sim.seedEncryptedVolume("vs0");
    expect(v.name).toBe("vs0_vol1");
    sim.seedEncryptedVolume("vs1", "data1");
    const r = await c.get("/api/storage/volumes?svm.name=vs0&encryption.enabled=true&fields=*");
    expect(records(r)).toEqual([
      {
        uuid: v.uuid,
        name: "vs0_vol1",
        svm: { uuid: expect.any(String) as string, name: "vs0", _links: expect.any(Object) as object },
        encryption: { enabled: true },
        _links: { self: { href: `/api/storage/volumes/${v.uuid}` } },
      },
    ]);
    expect((await c.get(`/api/storage/volumes/${v.uuid}?fields=name`)).body.name).toBe("vs0_vol1");
    expect(() => sim.seedEncryptedVolume("vs9")).toThrow(/vs9/);
    expect(() => sim.seedEncryptedVolume("cluster1")).toThrow(/cluster1/);
    sim.removeVolumes("vs0");
    expect(records(await c.get("/api/storage/volumes")).map((x) => x.name)).toEqual(["data1"]);
    sim.removeVolumes();
    expect((await c.get("/api/storage/volumes")).body.num_records).toBe(0);
  });
});

describe("seeding and reset", () => {
  test("hundreds of SVMs can be seeded, each with its certificates", async () => {
    const added = sim.seedSvms(300);
    expect(added).toHaveLength(300);
    expect(added[0]?.name).toBe("vs2");
    expect(added[299]?.name).toBe("vs301");
    expect((await c.get("/api/svm/svms?return_records=false")).body.num_records).toBe(302);
    expect(
      (await c.get("/api/security/certificates?svm.name=vs301&return_records=false")).body.num_records,
    ).toBe(6);
    expect(sim.seedSvms(["prod-a", "prod-b"]).map((s) => s.name)).toEqual(["prod-a", "prod-b"]);
    expect(() => sim.seedSvms(["prod-a"])).toThrow(/already exists/);
    expect(() => sim.seedSvms(["bad name"])).toThrow(/not a valid SVM name/);
  });

  test("reset() returns to the seeded state: start SVMs, no key managers, no volumes, empty log", async () => {
    sim.seedSvms(3);
    sim.seedEncryptedVolume("vs0");
    expect(
      (await c.post("/api/security/key-managers", { onboard: { passphrase: "x".repeat(32) } })).status,
    ).toBe(201);
    sim.reset();
    expect(sim.requestLog()).toEqual([]);
    expect(sim.keyManagers()).toEqual([]);
    expect((await c.get("/api/svm/svms")).body.num_records).toBe(2);
    expect((await c.get("/api/storage/volumes")).body.num_records).toBe(0);
    expect((await c.get("/api/security/key-managers")).body.num_records).toBe(0);
  });
});

describe("start options", () => {
  test("cluster name, SVM count, credentials and release are configurable; releases before 9.6 are refused", async () => {
    const other = await startSimulator({
      clusterName: "prod",
      dataSvms: 3,
      username: "ops",
      password: "s3cret-pw",
      ontapVersion: "9.13",
    });
    const oc = new Client(other);
    try {
      expect({ u: other.username, p: other.password, v: other.ontapVersion }).toEqual({
        u: "ops",
        p: "s3cret-pw",
        v: "9.13",
      });
      expect((await oc.get("/api/cluster")).body).toMatchObject({
        name: "prod",
        version: { major: 13, minor: 1 },
      });
      expect(records(await oc.get("/api/svm/svms?order_by=name")).map((s) => s.name)).toEqual([
        "vs0",
        "vs1",
        "vs2",
      ]);
      const cert = records(await oc.get("/api/security/certificates?name=cluster-client&fields=svm.name"))[0];
      expect(cert?.svm?.name).toBe("prod");
    } finally {
      await oc.close();
      await other.close();
    }
    await expect(startSimulator({ ontapVersion: "9.5" })).rejects.toThrow(/9\.6/);
    await expect(startSimulator({ ontapVersion: "nine" })).rejects.toThrow(/release/);
  });

  test("the default password is 24 random characters", () => {
    expect(sim.username).toBe("admin");
    expect(sim.password).toMatch(/^[A-Za-z0-9]{24}$/);
  });
});
