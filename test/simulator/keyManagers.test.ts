/**
 * `/api/security/key-managers` on the simulator playing ONTAP 9.6 (synchronous answers): every rule and
 * error code of POST, GET, PATCH and DELETE, and that passphrases never come back or reach the log.
 */
import type { Simulator } from "../../simulator";
import {
  Client,
  PASSPHRASE,
  clusterExternalBody,
  PASSPHRASE2,
  createKm,
  list,
  expectError,
  externalBody,
  records,
  str,
  useSimulator,
} from "./helpers";

let sim: Simulator;
let c: Client;
const logLines: string[] = [];

useSimulator({ log: (l) => logLines.push(l) }, (started, client) => ([sim, c] = [started, client]));

const KM = "/api/security/key-managers";

async function certUuid(name: string): Promise<string> {
  return str(records(await c.get(`/api/security/certificates?name=${name}`))[0]?.uuid);
}

describe("POST external", () => {
  test("creates an SVM-scoped key manager: 201, Location, normalised servers, default timeout/username", async () => {
    const r = await c.post(
      KM,
      externalBody("vs0", [
        { server: "KMIP1.Example.COM" },
        { server: "10.0.0.2:5697", timeout: 10, username: "u1" },
      ]),
    );
    expect(r.status).toBe(201);
    const uuid = str(r.headers.location).split("/").pop() ?? "";
    expect(r.headers.location).toBe(`${KM}/${uuid}`);
    const km = await c.get(`${KM}/${uuid}`);
    expect(km.body).toEqual({
      uuid,
      scope: "svm",
      svm: { uuid: expect.any(String) as string, name: "vs0", _links: expect.any(Object) as object },
      external: {
        client_certificate: { uuid: await certUuid("vs0-client"), _links: expect.any(Object) as object },
        server_ca_certificates: [{ uuid: await certUuid("vs0-ca-1"), _links: expect.any(Object) as object }],
        servers: [
          { server: "kmip1.example.com:5696", timeout: 25, username: "" },
          { server: "10.0.0.2:5697", timeout: 10, username: "u1" },
        ],
      },
      _links: { self: { href: `${KM}/${uuid}` } },
    });
  });

  test("certificates by uuid; cluster scope without svm or with the admin SVM's name; return_records", async () => {
    const body = {
      external: {
        client_certificate: { uuid: await certUuid("cluster-client") },
        server_ca_certificates: [{ uuid: await certUuid("cluster-ca-1") }, { name: "cluster-ca-2" }],
        servers: [{ server: "[FD00::0001]" }],
      },
    };
    const r = await c.post(`${KM}?return_records=true`, body);
    expect(r.status).toBe(201);
    expect(r.body.num_records).toBe(1);
    expect(r.body.records?.[0]).toMatchObject({
      scope: "cluster",
      external: { servers: [{ server: "[fd00::1]:5696" }] },
    });
    expect(r.body.records?.[0]?.svm).toBeUndefined();
    expect(r.body.records?.[0]?.external?.server_ca_certificates).toHaveLength(2);
    await c.del(`${KM}/${str(r.body.records?.[0]?.uuid)}`);
    const byAdminName = await c.post(`${KM}?return_records=true`, { ...body, svm: { name: "cluster1" } });
    expect(byAdminName.body.records?.[0]).toMatchObject({ scope: "cluster" });
  });

  test("65536823: one key manager per scope", async () => {
    await createKm(c, externalBody("vs0"));
    expectError(await c.post(KM, externalBody("vs0", [{ server: "10.0.0.9" }])), 400, "65536823");
    expect((await c.post(KM, externalBody("vs1"))).status).toBe(201);
    await createKm(c, clusterExternalBody());
    expectError(await c.post(KM, { onboard: { passphrase: PASSPHRASE } }), 400, "65536823");
    expect(sim.keyManagers()).toHaveLength(3);
  });

  test("65536876: external needs a client certificate, server CA certificates and at least one server", async () => {
    const full = externalBody("vs0") as { svm: unknown; external: Record<string, unknown> };
    for (const drop of ["client_certificate", "server_ca_certificates", "servers"]) {
      const external = { ...full.external };
      delete external[drop];
      expectError(await c.post(KM, { svm: full.svm, external }), 400, "65536876", "external");
    }
    expectError(
      await c.post(KM, { svm: full.svm, external: { ...full.external, servers: [] } }),
      400,
      "65536876",
    );
    expectError(
      await c.post(KM, { svm: full.svm, external: { ...full.external, server_ca_certificates: [] } }),
      400,
      "65536876",
    );
  });

  test("65536038: at most four servers", async () => {
    const five = [1, 2, 3, 4, 5].map((n) => ({ server: `10.0.0.${n}` }));
    expectError(await c.post(KM, externalBody("vs0", five)), 400, "65536038", "external.servers");
    expect((await c.post(KM, externalBody("vs0", five.slice(0, 4)))).status).toBe(201);
  });

  test("65536871: duplicate servers after default-port and case normalisation", async () => {
    expectError(
      await c.post(KM, externalBody("vs0", [{ server: "10.0.0.1" }, { server: "10.0.0.1:5696" }])),
      400,
      "65536871",
    );
    expectError(
      await c.post(
        KM,
        externalBody("vs0", [{ server: "KMIP.example.com" }, { server: "kmip.example.com:5696" }]),
      ),
      400,
      "65536871",
    );
    expectError(
      await c.post(KM, externalBody("vs0", [{ server: "[fd00::1]" }, { server: "[fd00:0::1]:5696" }])),
      400,
      "65536871",
    );
    expect(
      (await c.post(KM, externalBody("vs0", [{ server: "10.0.0.1" }, { server: "10.0.0.1:5697" }]))).status,
    ).toBe(201);
  });

  test("65536821: certificates must be installed in the key manager's scope, with the right type", async () => {
    const base = externalBody("vs0") as { svm: unknown; external: Record<string, unknown> };
    const withCert = (k: string, v: unknown): unknown => ({
      svm: base.svm,
      external: { ...base.external, [k]: v },
    });
    expectError(
      await c.post(KM, withCert("client_certificate", { name: "vs1-client" })),
      400,
      "65536821",
      "external.client_certificate",
    );
    expectError(
      await c.post(KM, withCert("client_certificate", { uuid: await certUuid("vs1-client") })),
      400,
      "65536821",
    );
    expectError(await c.post(KM, withCert("client_certificate", { name: "vs0-ca-1" })), 400, "65536821");
    expectError(await c.post(KM, withCert("client_certificate", { name: "no-such-cert" })), 400, "65536821");
    expectError(
      await c.post(KM, withCert("server_ca_certificates", [{ name: "vs0-ca-1" }, { name: "cluster-ca-1" }])),
      400,
      "65536821",
      "external.server_ca_certificates",
    );
    expect(sim.keyManagers()).toEqual([]);
  });

  test("an unknown SVM answers 2621462 naming svm.name or svm.uuid", async () => {
    expectError(await c.post(KM, externalBody("vs9")), 400, "2621462", "svm.name");
    expectError(
      await c.post(KM, { ...externalBody("vs0"), svm: { uuid: "00000000-0000-0000-0000-000000000000" } }),
      400,
      "2621462",
      "svm.uuid",
    );
  });
});

describe("POST onboard", () => {
  test("creates the cluster's onboard key manager; GET shows onboard.enabled and never the passphrase", async () => {
    const uuid = await createKm(c, { onboard: { passphrase: PASSPHRASE } });
    const one = await c.get(`${KM}/${uuid}`);
    expect(one.body).toEqual({
      uuid,
      scope: "cluster",
      onboard: { enabled: true },
      _links: { self: { href: `${KM}/${uuid}` } },
    });
    const all = await c.get(`${KM}?fields=*`);
    for (const text of [
      JSON.stringify(one.body),
      JSON.stringify(all.body),
      JSON.stringify(sim.keyManagers()),
    ]) {
      expect(text).not.toContain(PASSPHRASE);
      expect(text).not.toContain("passphrase");
    }
    expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(true);
    expect(sim.checkOnboardPassphrase(PASSPHRASE2)).toBe(false);
    expect(logLines.join("\n")).not.toContain(PASSPHRASE);
    expect(logLines.join("\n")).toMatch(/POST \/api\/security\/key-managers 201/);
  });

  test("65536916: onboard only at cluster scope", async () => {
    expectError(
      await c.post(KM, { svm: { name: "vs0" }, onboard: { passphrase: PASSPHRASE } }),
      400,
      "65536916",
    );
  });

  test("65536907: onboard only once", async () => {
    await createKm(c, { onboard: { passphrase: PASSPHRASE } });
    expectError(await c.post(KM, { onboard: { passphrase: PASSPHRASE2 } }), 400, "65536907");
  });

  test("65536920: the passphrase is 32 to 256 ASCII characters", async () => {
    for (const p of ["x".repeat(31), "x".repeat(257), "é".repeat(40), `${"x".repeat(31)}\n`]) {
      expectError(await c.post(KM, { onboard: { passphrase: p } }), 400, "65536920", "onboard.passphrase");
    }
    for (const p of ["y".repeat(32), "z".repeat(256)]) {
      expect((await c.post(KM, { onboard: { passphrase: p } })).status).toBe(201);
      sim.reset();
    }
  });

  test("a missing passphrase is 262177; synchronize is a later-release field (262179 on 9.6)", async () => {
    expectError(await c.post(KM, { onboard: {} }), 400, "262177", "onboard.passphrase");
    expectError(
      await c.post(KM, { onboard: { passphrase: PASSPHRASE, synchronize: true } }),
      400,
      "262179",
      "onboard.synchronize",
    );
  });
});

describe("POST validation", () => {
  test("unknown fields answer 262179 naming the field; read-only ones 262196", async () => {
    expectError(await c.post(KM, { ...externalBody("vs0"), colour: "blue" }), 400, "262179", "colour");
    const body = externalBody("vs0", [{ server: "10.0.0.1", port: 5696 }]);
    expectError(await c.post(KM, body), 400, "262179", "external.servers.port");
    expectError(await c.post(KM, { ...externalBody("vs0"), scope: "svm" }), 400, "262196", "scope");
    expectError(
      await c.post(KM, { onboard: { passphrase: PASSPHRASE, enabled: true } }),
      400,
      "262196",
      "onboard.enabled",
    );
    expectError(await c.post(`${KM}?dry_run=true`, externalBody("vs0")), 400, "262179", "dry_run");
  });

  test("invalid values answer 262185 naming the field: server format, port, timeout range and type", async () => {
    const bad: [unknown, string][] = [
      [{ server: "fd00::1" }, "external.servers.server"],
      [{ server: "10.0.0.1:70000" }, "external.servers.server"],
      [{ server: "10.0.0.1:0" }, "external.servers.server"],
      [{ server: "bad_host!" }, "external.servers.server"],
      [{ server: "10.0.0.1", timeout: 0 }, "external.servers.timeout"],
      [{ server: "10.0.0.1", timeout: 61 }, "external.servers.timeout"],
      [{ server: "10.0.0.1", timeout: "ten" }, "external.servers.timeout"],
      [{ server: 42 }, "external.servers.server"],
    ];
    for (const [server, target] of bad)
      expectError(await c.post(KM, externalBody("vs0", [server])), 400, "262185", target);
    expect(
      (
        await c.post(
          KM,
          externalBody("vs0", [
            { server: "10.0.0.1", timeout: 1 },
            { server: "10.0.0.2", timeout: 60 },
          ]),
        )
      ).status,
    ).toBe(201);
  });

  test("external and onboard together 262186; neither 262212", async () => {
    expectError(
      await c.post(KM, { ...clusterExternalBody(), onboard: { passphrase: PASSPHRASE } }),
      400,
      "262186",
      "onboard",
    );
    expectError(await c.post(KM, { svm: { name: "vs0" } }), 400, "262212");
  });
});

describe("PATCH", () => {
  test("client certificate swap: same key pair allowed, different key pair 65536850, other scope 65536821", async () => {
    const uuid = await createKm(c, externalBody("vs0"));
    const swap = (ref: unknown): Promise<import("./helpers").Res> =>
      c.patch(`${KM}/${uuid}`, { external: { client_certificate: ref } });
    expect((await swap({ name: "vs0-client-renewed" })).status).toBe(200);
    expect(
      (await c.get(`${KM}/${uuid}?fields=external.client_certificate.uuid`)).body.external?.client_certificate
        ?.uuid,
    ).toBe(await certUuid("vs0-client-renewed"));
    expectError(await swap({ name: "vs0-client-other" }), 400, "65536850", "external.client_certificate");
    expectError(await swap({ name: "vs1-client-renewed" }), 400, "65536821");
    expectError(await swap({ uuid: await certUuid("cluster-client") }), 400, "65536821");
    expect((await swap({ name: "vs0-client" })).status).toBe(200);
  });

  test("server CA certificates are replaced as a list; an empty list is 65536876", async () => {
    const uuid = await createKm(c, externalBody("vs0"));
    const r = await c.patch(`${KM}/${uuid}`, {
      external: { server_ca_certificates: [{ name: "vs0-ca-2" }, { name: "vs0-ca-3" }] },
    });
    expect(r.status).toBe(200);
    const cas = (await c.get(`${KM}/${uuid}`)).body.external?.server_ca_certificates;
    expect(list(cas).map((x) => x.uuid)).toEqual([await certUuid("vs0-ca-2"), await certUuid("vs0-ca-3")]);
    expectError(
      await c.patch(`${KM}/${uuid}`, { external: { server_ca_certificates: [] } }),
      400,
      "65536876",
    );
    expectError(
      await c.patch(`${KM}/${uuid}`, { external: { server_ca_certificates: [{ name: "vs1-ca-1" }] } }),
      400,
      "65536821",
    );
  });

  test("servers, svm and scope are not patchable here (262196); an empty PATCH is 262190", async () => {
    const uuid = await createKm(c, externalBody("vs0"));
    expectError(
      await c.patch(`${KM}/${uuid}`, { external: { servers: [{ server: "10.0.0.5" }] } }),
      400,
      "262196",
      "external.servers",
    );
    expectError(await c.patch(`${KM}/${uuid}`, { svm: { name: "vs1" } }), 400, "262196", "svm");
    expectError(await c.patch(`${KM}/${uuid}`, { scope: "cluster" }), 400, "262196", "scope");
    expectError(await c.patch(`${KM}/${uuid}`, {}), 400, "262190");
    expectError(await c.patch(`${KM}/${uuid}`, { external: {} }), 400, "262190");
  });

  test("passphrase rotation: 65536917 without both, 65536404 length, 65536139 wrong existing, 65536150 unchanged", async () => {
    const uuid = await createKm(c, { onboard: { passphrase: PASSPHRASE } });
    const rotate = (onboard: unknown): Promise<import("./helpers").Res> =>
      c.patch(`${KM}/${uuid}`, { onboard });
    expectError(await rotate({ passphrase: PASSPHRASE2 }), 400, "65536917");
    expectError(await rotate({ existing_passphrase: PASSPHRASE }), 400, "65536917");
    expectError(await rotate({}), 400, "65536917");
    expectError(
      await rotate({ existing_passphrase: PASSPHRASE, passphrase: "short" }),
      400,
      "65536404",
      "onboard.passphrase",
    );
    expectError(
      await rotate({ existing_passphrase: PASSPHRASE, passphrase: "x".repeat(257) }),
      400,
      "65536404",
    );
    expectError(await rotate({ existing_passphrase: PASSPHRASE2, passphrase: PASSPHRASE2 }), 400, "65536139");
    expectError(await rotate({ existing_passphrase: PASSPHRASE, passphrase: PASSPHRASE }), 400, "65536150");
    expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(true);
    expect((await rotate({ existing_passphrase: PASSPHRASE, passphrase: PASSPHRASE2 })).status).toBe(200);
    expect(sim.checkOnboardPassphrase(PASSPHRASE2)).toBe(true);
    expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(false);
    expectError(
      await rotate({ existing_passphrase: PASSPHRASE2, passphrase: PASSPHRASE, synchronize: true }),
      400,
      "262179",
    );
    expect(logLines.join("\n")).not.toContain(PASSPHRASE2);
  });

  test("65536828: external changes where the scope has no external key manager; onboard fields on external 262186", async () => {
    const onboard = await createKm(c, { onboard: { passphrase: PASSPHRASE } });
    expectError(
      await c.patch(`${KM}/${onboard}`, { external: { client_certificate: { name: "cluster-client" } } }),
      400,
      "65536828",
    );
    const ext = await createKm(c, externalBody("vs0"));
    expectError(
      await c.patch(`${KM}/${ext}`, {
        onboard: { existing_passphrase: PASSPHRASE, passphrase: PASSPHRASE2 },
      }),
      400,
      "262186",
    );
  });

  test("both external and onboard in one PATCH is 262186", async () => {
    const uuid = await createKm(c, externalBody("vs0"));
    expectError(
      await c.patch(`${KM}/${uuid}`, {
        external: { client_certificate: { name: "vs0-client" } },
        onboard: { passphrase: PASSPHRASE },
      }),
      400,
      "262186",
    );
  });
});

describe("GET and DELETE", () => {
  test("missing key managers are 404 code 4 on GET, PATCH and DELETE", async () => {
    const missing = `${KM}/00000000-0000-0000-0000-000000000000`;
    expectError(await c.get(missing), 404, "4");
    expect((await c.get(missing)).body.error?.message).toBe("entry doesn't exist");
    expectError(
      await c.patch(missing, { external: { client_certificate: { name: "vs0-client" } } }),
      404,
      "4",
    );
    expectError(await c.del(missing), 404, "4");
  });

  test("65536867: an SVM key manager is not deleted while its SVM has encrypted volumes", async () => {
    const uuid = await createKm(c, externalBody("vs0"));
    sim.seedEncryptedVolume("vs0");
    expectError(await c.del(`${KM}/${uuid}`), 400, "65536867");
    sim.removeVolumes("vs0");
    expect((await c.del(`${KM}/${uuid}`)).status).toBe(200);
    expectError(await c.get(`${KM}/${uuid}`), 404, "4");
  });

  test("65536867: the cluster key manager holds the keys of SVMs without their own", async () => {
    const cluster = await createKm(c, { onboard: { passphrase: PASSPHRASE } });
    sim.seedEncryptedVolume("vs1");
    expectError(await c.del(`${KM}/${cluster}`), 400, "65536867");
    await createKm(c, externalBody("vs1"));
    expect((await c.del(`${KM}/${cluster}`)).status).toBe(200);
  });

  test("keyManagers() is what GET fields=* shows", async () => {
    await createKm(c, externalBody("vs0"));
    await createKm(c, { onboard: { passphrase: PASSPHRASE } });
    const viaHttp = records(await c.get(`${KM}?fields=*`));
    const snapshot = sim.keyManagers();
    expect(snapshot).toHaveLength(2);
    expect(snapshot).toEqual(expect.arrayContaining(viaHttp));
  });
});
