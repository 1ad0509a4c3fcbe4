/**
 * `/api/security/key-managers/{uuid}/key-servers` on the simulator playing ONTAP 9.6: GET, POST (one or a
 * `records` batch), GET/PATCH/DELETE of one server addressed raw or URL-encoded, and every rule and code.
 */
import type { Simulator } from "../../simulator";
import {
  Client,
  PASSPHRASE,
  createKm,
  expectError,
  externalBody,
  records,
  str,
  useSimulator,
} from "./helpers";

let sim: Simulator;
let c: Client;

useSimulator({}, (started, client) => ([sim, c] = [started, client]));

const KM = "/api/security/key-managers";
const ks = (km: string, server?: string): string =>
  server === undefined ? `${KM}/${km}/key-servers` : `${KM}/${km}/key-servers/${server}`;

async function externalKm(servers: unknown[] = [{ server: "10.0.0.1" }]): Promise<string> {
  return createKm(c, externalBody("vs0", servers));
}

describe("GET", () => {
  test("lists the servers with the parent uuid and an href holding host%3Aport", async () => {
    const km = await externalKm([{ server: "10.0.0.1" }, { server: "[fd00::2]:5697", timeout: 30 }]);
    const r = await c.get(`${ks(km)}?fields=*`);
    expect(records(r)).toEqual(
      expect.arrayContaining([
        {
          uuid: km,
          server: "10.0.0.1:5696",
          timeout: 25,
          username: "",
          _links: { self: { href: `${ks(km)}/10.0.0.1%3A5696` } },
        },
        {
          uuid: km,
          server: "[fd00::2]:5697",
          timeout: 30,
          username: "",
          _links: { self: { href: `${ks(km)}/%5Bfd00%3A%3A2%5D%3A5697` } },
        },
      ]),
    );
    expect(r.body.num_records).toBe(2);
    expect(Object.keys(records(await c.get(ks(km)))[0] ?? {}).sort()).toEqual(["_links", "server", "uuid"]);
  });

  test("one server by raw host:port, URL-encoded, or without the default port; missing ones 404 code 4", async () => {
    const km = await externalKm([{ server: "kmip.example.com" }]);
    for (const p of [
      "kmip.example.com:5696",
      "kmip.example.com%3A5696",
      "KMIP.example.com",
      "kmip.example.com%3a5696",
    ]) {
      const r = await c.get(ks(km, p));
      expect({ p, status: r.status, server: r.body.server }).toEqual({
        p,
        status: 200,
        server: "kmip.example.com:5696",
      });
    }
    expectError(await c.get(ks(km, "kmip.example.com:5697")), 404, "4");
    expectError(await c.get(ks(km, "10.9.9.9")), 404, "4");
    expectError(await c.get(ks("00000000-0000-0000-0000-000000000000")), 404, "4");
    expectError(await c.get(ks("00000000-0000-0000-0000-000000000000", "10.0.0.1")), 404, "4");
  });

  test("filters and fields work on the collection", async () => {
    const km = await externalKm([
      { server: "10.0.0.1" },
      { server: "10.0.0.2", timeout: 40 },
      { server: "kmip.example.com" },
    ]);
    const r = await c.get(`${ks(km)}?timeout=40&fields=timeout`);
    expect(records(r)).toEqual([
      {
        uuid: km,
        server: "10.0.0.2:5696",
        timeout: 40,
        _links: { self: { href: `${ks(km)}/10.0.0.2%3A5696` } },
      },
    ]);
    expect(records(await c.get(`${ks(km)}?server=10.*`)).map((x) => x.server)).toEqual([
      "10.0.0.1:5696",
      "10.0.0.2:5696",
    ]);
  });
});

describe("POST", () => {
  test("adds one server: 201, Location with host%3Aport, normalised and defaulted", async () => {
    const km = await externalKm();
    const r = await c.post(ks(km), { server: "KMIP2.Example.com" });
    expect(r.status).toBe(201);
    expect(r.headers.location).toBe(`${ks(km)}/kmip2.example.com%3A5696`);
    expect((await c.get(ks(km, "kmip2.example.com:5696"))).body).toMatchObject({
      timeout: 25,
      username: "",
    });
    const viaKm = (await c.get(`${KM}/${km}?fields=external.servers`)).body.external?.servers;
    expect(viaKm).toEqual([
      { server: "10.0.0.1:5696", timeout: 25, username: "" },
      { server: "kmip2.example.com:5696", timeout: 25, username: "" },
    ]);
  });

  test("262196: timeout and username are PATCH-only, in a single POST and in records; nothing added", async () => {
    // ONTAP 9.6 lists only server, records and password for this body; the 9.19 client marks timeout and
    // username patch-only.
    const km = await externalKm();
    expectError(await c.post(ks(km), { server: "10.0.0.9", timeout: 30 }), 400, "262196", "timeout");
    expectError(await c.post(ks(km), { server: "10.0.0.9", username: "kmip" }), 400, "262196", "username");
    expectError(
      await c.post(ks(km), { records: [{ server: "10.0.0.9", timeout: 5 }] }),
      400,
      "262196",
      "records.timeout",
    );
    expectError(
      await c.post(ks(km), { records: [{ server: "10.0.0.9", username: "u" }] }),
      400,
      "262196",
      "records.username",
    );
    expect((await c.get(ks(km))).body.num_records).toBe(1);
  });

  test("adds a records batch; return_records=true lists the created records", async () => {
    const km = await externalKm();
    const r = await c.post(`${ks(km)}?return_records=true`, {
      records: [{ server: "10.0.0.2" }, { server: "10.0.0.3" }],
    });
    expect(r.status).toBe(201);
    expect(r.body.num_records).toBe(2);
    expect(records(r).map((x) => [x.server, x.timeout])).toEqual([
      ["10.0.0.2:5696", 25],
      ["10.0.0.3:5696", 25],
    ]);
    expect((await c.get(ks(km))).body.num_records).toBe(3);
  });

  test("65536038: at most four servers, counting those already configured", async () => {
    const km = await externalKm([{ server: "10.0.0.1" }, { server: "10.0.0.2" }, { server: "10.0.0.3" }]);
    expectError(
      await c.post(ks(km), { records: [{ server: "10.0.0.4" }, { server: "10.0.0.5" }] }),
      400,
      "65536038",
    );
    expect((await c.post(ks(km), { server: "10.0.0.4" })).status).toBe(201);
    expectError(await c.post(ks(km), { server: "10.0.0.5" }), 400, "65536038", "server");
    const empty = await createKm(c, externalBody("vs1"));
    const five = [2, 3, 4, 5, 6].map((n) => ({ server: `10.0.1.${n}` }));
    expectError(await c.post(ks(empty), { records: five }), 400, "65536038", "records");
    expect((await c.get(ks(km))).body.num_records).toBe(4);
  });

  test("65536871: duplicates, against configured servers or within the batch, after normalisation", async () => {
    const km = await externalKm([{ server: "10.0.0.1" }, { server: "[fd00::1]" }]);
    expectError(await c.post(ks(km), { server: "10.0.0.1:5696" }), 400, "65536871");
    expectError(await c.post(ks(km), { server: "[FD00:0:0::1]:5696" }), 400, "65536871");
    expectError(
      await c.post(ks(km), { records: [{ server: "a.example.com" }, { server: "A.EXAMPLE.COM:5696" }] }),
      400,
      "65536871",
    );
    expect((await c.get(ks(km))).body.num_records).toBe(2);
  });

  test("validation: IPv6 needs brackets, ports 1-65535, records XOR server, unknown fields", async () => {
    const km = await externalKm();
    expectError(await c.post(ks(km), { server: "fd00::9" }), 400, "262185", "server");
    expectError(await c.post(ks(km), { server: "10.0.0.9:65536" }), 400, "262185", "server");
    expectError(
      await c.post(ks(km), { records: [{ server: "10.0.0.9" }], server: "10.0.0.8" }),
      400,
      "262186",
      "records",
    );
    expectError(await c.post(ks(km), { records: [] }), 400, "262177", "records");
    expectError(await c.post(ks(km), {}), 400, "262177", "server");
    expectError(await c.post(ks(km), { server: "10.0.0.9", secure: true }), 400, "262179", "secure");
    expectError(
      await c.post(ks(km), { records: [{ server: "10.0.0.9", secure: true }] }),
      400,
      "262179",
      "records.secure",
    );
    expectError(await c.post(ks(km), { server: "10.0.0.9", password: "pw" }), 400, "262179", "password");
    expect((await c.post(ks(km), { server: "10.0.0.9:65535" })).status).toBe(201);
  });

  test("65536828: the key-servers endpoint of an onboard key manager refuses writes and lists nothing", async () => {
    const km = await createKm(c, { onboard: { passphrase: PASSPHRASE } });
    expectError(await c.post(ks(km), { server: "10.0.0.1" }), 400, "65536828");
    expectError(await c.patch(ks(km, "10.0.0.1"), { timeout: 30 }), 400, "65536828");
    expectError(await c.del(ks(km, "10.0.0.1")), 400, "65536828");
    expect((await c.get(ks(km))).body.num_records).toBe(0);
  });

  test("a missing key manager is 404 code 4", async () => {
    expectError(await c.post(ks("00000000-0000-0000-0000-000000000000"), { server: "10.0.0.1" }), 404, "4");
  });
});

describe("PATCH", () => {
  test("changes timeout and username of a server addressed raw or encoded", async () => {
    const km = await externalKm([{ server: "10.0.0.1" }, { server: "[fd00::1]" }]);
    expect((await c.patch(ks(km, "10.0.0.1:5696"), { timeout: 45 })).status).toBe(200);
    expect((await c.patch(ks(km, encodeURIComponent("[fd00::1]:5696")), { username: "kmip" })).status).toBe(
      200,
    );
    const servers = (await c.get(`${KM}/${km}?fields=external.servers`)).body.external?.servers;
    expect(servers).toEqual([
      { server: "10.0.0.1:5696", timeout: 45, username: "" },
      { server: "[fd00::1]:5696", timeout: 25, username: "kmip" },
    ]);
  });

  test("65536843 for a server not configured; 262185 timeout range; 262196 server; 262190 empty", async () => {
    const km = await externalKm();
    expectError(await c.patch(ks(km, "10.0.0.2"), { timeout: 30 }), 400, "65536843");
    expectError(await c.patch(ks(km, "10.0.0.1"), { timeout: 0 }), 400, "262185", "timeout");
    expectError(await c.patch(ks(km, "10.0.0.1"), { timeout: 61 }), 400, "262185", "timeout");
    expectError(await c.patch(ks(km, "10.0.0.1"), { server: "10.0.0.3" }), 400, "262196", "server");
    expectError(await c.patch(ks(km, "10.0.0.1"), {}), 400, "262190");
    // 9.6 documents `password` on this PATCH (with 65536845/65536846): tested in "password on 9.6" below.
    expectError(await c.patch(`${ks(km, "10.0.0.1")}?force=true`, { timeout: 30 }), 400, "262179", "force");
    expectError(
      await c.patch(ks("00000000-0000-0000-0000-000000000000", "10.0.0.1"), { timeout: 30 }),
      404,
      "4",
    );
  });
});

describe("PATCH password on 9.6", () => {
  // ontap-restapi-96/patch-security-key-managers-key-servers-.html: `password` in the body, 65536845 missing
  // username, 65536846 missing password.
  test("username and password in one PATCH: 200, the password kept (write-only), never returned", async () => {
    const km = await externalKm();
    expect((await c.patch(ks(km, "10.0.0.1"), { username: "kmip", password: "secret-pw" })).status).toBe(200);
    expect(sim.checkKeyServerPassword(km, "10.0.0.1", "secret-pw")).toBe(true);
    expect(sim.checkKeyServerPassword(km, "10.0.0.1", "other")).toBe(false);
    const r = await c.get(`${ks(km, "10.0.0.1")}?fields=*`);
    expect(r.body.username).toBe("kmip");
    expect(JSON.stringify(r.body)).not.toContain("secret-pw");
    expectError(await c.get(`${ks(km, "10.0.0.1")}?fields=password`), 400, "262249");
    // A new password alone, once the username is set.
    expect((await c.patch(ks(km, "10.0.0.1"), { password: "next-pw" })).status).toBe(200);
    expect(sim.checkKeyServerPassword(km, "10.0.0.1", "next-pw")).toBe(true);
  });

  test("65536845 without a username, 65536846 for an empty password; nothing applied", async () => {
    const km = await externalKm();
    expectError(await c.patch(ks(km, "10.0.0.1"), { password: "secret-pw" }), 400, "65536845", "username");
    expectError(
      await c.patch(ks(km, "10.0.0.1"), { username: "kmip", password: "" }),
      400,
      "65536846",
      "password",
    );
    const r = await c.get(ks(km, "10.0.0.1"));
    expect(r.body.username).toBe("");
    expect(sim.checkKeyServerPassword(km, "10.0.0.1", "")).toBe(false);
  });

  test("secondary_key_servers is unknown on 9.6 (262179); timeout keeps 1-60", async () => {
    const km = await externalKm();
    expectError(
      await c.patch(ks(km, "10.0.0.1"), { secondary_key_servers: ["10.0.0.9"] }),
      400,
      "262179",
      "secondary_key_servers",
    );
    expectError(await c.get(`${ks(km, "10.0.0.1")}?fields=secondary_key_servers`), 400, "262197");
    expectError(await c.patch(ks(km, "10.0.0.1"), { timeout: -1 }), 400, "262185", "timeout");
  });
});

describe("DELETE", () => {
  test("removes a server; 65536843 when it is not configured", async () => {
    const km = await externalKm([{ server: "10.0.0.1" }, { server: "10.0.0.2" }]);
    expect((await c.del(ks(km, "10.0.0.2%3A5696"))).status).toBe(200);
    expectError(await c.get(ks(km, "10.0.0.2")), 404, "4");
    expectError(await c.del(ks(km, "10.0.0.2")), 400, "65536843");
    expectError(await c.del(`${ks(km, "10.0.0.1")}?force=true`), 400, "262179", "force");
  });

  test("65536700: a server holding keys no other configured server has cannot be deleted", async () => {
    const km = await externalKm([{ server: "10.0.0.1" }, { server: "10.0.0.2" }, { server: "10.0.0.3" }]);
    sim.setServerHoldsKeys(km, "10.0.0.1", true);
    expectError(await c.del(ks(km, "10.0.0.1")), 400, "65536700", "server");
    expect((await c.del(ks(km, "10.0.0.3"))).status).toBe(200);
    sim.setServerHoldsKeys(km, "10.0.0.2:5696", true);
    expect((await c.del(ks(km, "10.0.0.1"))).status).toBe(200);
    expectError(await c.del(ks(km, "10.0.0.2")), 400, "65536700");
    sim.setServerHoldsKeys(km, "10.0.0.2", false);
    // Deleting the last server is allowed when it holds no keys (the key manager then has none).
    expect((await c.del(ks(km, "10.0.0.2"))).status).toBe(200);
    expect((await c.get(`${KM}/${km}`)).body.external?.servers).toEqual([]);
    expect(() => sim.setServerHoldsKeys(km, "10.9.9.9", true)).toThrow(/no key server/);
  });
});

describe("paths", () => {
  test("the server path segment may come raw with brackets for IPv6", async () => {
    const km = await externalKm([{ server: "[fd00::1]:5697" }]);
    const r = await c.get(ks(km, "[fd00::1]:5697"));
    expect(r.status).toBe(200);
    expect(str(r.body.server)).toBe("[fd00::1]:5697");
  });
});
