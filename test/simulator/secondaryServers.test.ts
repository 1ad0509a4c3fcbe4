/**
 * Secondary key servers (clustered KMIP) by release: `secondary_key_servers` on the key-server PATCH works from
 * 9.11.1 ("Support for adding secondary key servers requires an ECV of ONTAP 9.11.1 or later", 65538503); the
 * PATCH page documents the field from 9.8, so 9.8-9.10 know it and refuse it with 65538503; 9.6 does not know it
 * (262179, in keyServers.test.ts). At most 3 per primary (65537400; NetApp's knowledge base: "one primary key
 * server and up to three secondary key servers"). And the 9.14.1 reference's wider timeouts: -1, 0 and
 * `create_remove_timeout` from 9.14.
 */
import { type Simulator, startSimulator } from "../../simulator";
import { Client, clusterExternalBody, expectError } from "./helpers";

const KM = "/api/security/key-managers";
const WAIT = "return_timeout=10";
const server = (km: string, s = "10.0.0.1:5696"): string =>
  `${KM}/${km}/key-servers/${encodeURIComponent(s)}`;

async function withRelease(
  version: string,
  run: (c: Client, sim: Simulator) => Promise<void>,
): Promise<void> {
  const sim = await startSimulator({ ontapVersion: version, jobDelayMs: 5 });
  const c = new Client(sim);
  try {
    await run(c, sim);
  } finally {
    await c.close();
    await sim.close();
  }
}

async function externalKm(c: Client): Promise<string> {
  const r = await c.post(
    `${KM}?return_records=true&${WAIT}`,
    clusterExternalBody([{ server: "10.0.0.1" }, { server: "10.0.0.2" }]),
  );
  expect(r.status).toBe(201);
  const uuid = (r.body as { records?: { uuid?: string }[] }).records?.[0]?.uuid;
  expect(uuid).toEqual(expect.any(String));
  return uuid!;
}

test("9.10 knows the field but refuses it with 65538503 (a job failure), nothing applied; the record has none", async () => {
  await withRelease("9.10", async (c) => {
    const km = await externalKm(c);
    expectError(
      await c.patch(`${server(km)}?${WAIT}`, { secondary_key_servers: ["10.0.0.9"] }),
      400,
      "65538503",
    );
    expectError(await c.get(`${server(km)}?fields=secondary_key_servers`), 400, "262197");
    expect((await c.get(`${server(km)}?fields=*`)).body.secondary_key_servers).toBeUndefined();
  });
});

test("9.13 (real: 9.11.1 on) takes them: an array on the key server, a comma-separated string in the key manager", async () => {
  await withRelease("9.13", async (c) => {
    const km = await externalKm(c);
    const r = await c.patch(`${server(km)}?${WAIT}`, {
      secondary_key_servers: ["ks2.example.com", "10.0.0.9:5697"],
    });
    expect(r.status).toBe(200);
    expect((await c.get(`${server(km)}?fields=secondary_key_servers`)).body.secondary_key_servers).toEqual([
      "ks2.example.com",
      "10.0.0.9:5697",
    ]);
    const rec = (
      await c.get(`${KM}/${km}?fields=external.servers.server,external.servers.secondary_key_servers`)
    ).body;
    expect(rec.external?.servers?.[0]?.secondary_key_servers).toBe("ks2.example.com,10.0.0.9:5697");
    expectError(
      await c.patch(`${server(km)}?${WAIT}`, { secondary_key_servers: ["10.0.0.2"] }),
      400,
      "65538502",
    );
    // 9.13 keeps no create_remove_timeout (real: 9.14).
    expectError(await c.patch(server(km), { create_remove_timeout: 10 }), 400, "262179");
  });
});

test("65537400: at most 3 secondary key servers per primary (9.16)", async () => {
  await withRelease("9.16", async (c) => {
    const km = await externalKm(c);
    const four = ["10.0.0.5", "10.0.0.6", "10.0.0.7", "10.0.0.8"];
    expectError(await c.patch(`${server(km)}?${WAIT}`, { secondary_key_servers: four }), 400, "65537400");
    expect((await c.get(server(km))).body.secondary_key_servers).toBeUndefined();
    expect((await c.patch(`${server(km)}?${WAIT}`, { secondary_key_servers: four.slice(0, 3) })).status).toBe(
      200,
    );
    expect((await c.get(server(km))).body.secondary_key_servers).toEqual(four.slice(0, 3));
  });
});

test("9.14 (9.14.1 reference): timeouts -1 and 0 and create_remove_timeout; 9.13 has neither", async () => {
  await withRelease("9.14", async (c) => {
    const km = await externalKm(c);
    expect((await c.patch(`${server(km)}?${WAIT}`, { timeout: 0, create_remove_timeout: -1 })).status).toBe(
      200,
    );
    expect(await c.get(`${server(km)}?fields=timeout,create_remove_timeout`)).toMatchObject({
      body: { timeout: 0, create_remove_timeout: -1 },
    });
    expectError(
      await c.patch(server(km), { create_remove_timeout: 61 }),
      400,
      "262185",
      "create_remove_timeout",
    );
  });
  await withRelease("9.13", async (c) => {
    const km = await externalKm(c);
    expectError(await c.patch(server(km), { timeout: 0 }), 400, "262185", "timeout");
    expectError(await c.get(`${server(km)}?fields=create_remove_timeout`), 400, "262197");
  });
});
