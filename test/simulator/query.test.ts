/**
 * ONTAP query behaviour (simulator playing 9.6): `fields` (default, `*`, nested), filters (exact, wildcard,
 * `|`, `!`, ranges, through arrays), `order_by`, `max_records` with `_links.next` paging, `return_records`,
 * `return_timeout`, and the 400s of each.
 */
import type { Simulator } from "../../simulator";
import { Client, type Res, createKm, expectError, externalBody, records, str, useSimulator } from "./helpers";

let sim: Simulator;
let c: Client;

useSimulator({}, (started, client) => ([sim, c] = [started, client]));

const KM = "/api/security/key-managers";

async function twoKeyManagers(): Promise<{ vs0: string; vs1: string }> {
  const vs0 = await createKm(
    c,
    externalBody("vs0", [{ server: "10.0.0.1" }, { server: "kmip.example.com", timeout: 40 }]),
  );
  const vs1 = await createKm(c, externalBody("vs1", [{ server: "10.0.0.2", username: "kmip-user" }]));
  return { vs0, vs1 };
}

describe("fields", () => {
  test("a collection GET without fields returns the identifying fields; fields=* returns every field", async () => {
    const { vs0 } = await twoKeyManagers();
    const plain = records(await c.get(`${KM}?svm.name=vs0`));
    expect(plain).toEqual([
      {
        uuid: vs0,
        scope: "svm",
        svm: { uuid: expect.any(String) as string, name: "vs0", _links: expect.any(Object) as object },
        _links: { self: { href: `${KM}/${vs0}` } },
      },
    ]);
    const star = records(await c.get(`${KM}?svm.name=vs0&fields=*`))[0];
    expect(star?.external?.servers).toEqual([
      { server: "10.0.0.1:5696", timeout: 25, username: "" },
      { server: "kmip.example.com:5696", timeout: 40, username: "" },
    ]);
    expect(star?.external?.client_certificate?.uuid).toEqual(expect.any(String));
    // An instance GET without fields returns every (non-expensive) field.
    expect((await c.get(`${KM}/${vs0}`)).body).toEqual(star);
  });

  test("nested names select sub-fields; the key and _links always come along", async () => {
    const { vs0 } = await twoKeyManagers();
    const r = records(await c.get(`${KM}?svm.name=vs0&fields=external.servers.server,svm.name`));
    expect(r).toEqual([
      {
        uuid: vs0,
        svm: { name: "vs0" },
        external: { servers: [{ server: "10.0.0.1:5696" }, { server: "kmip.example.com:5696" }] },
        _links: { self: { href: `${KM}/${vs0}` } },
      },
    ]);
    const one = await c.get(`${KM}/${vs0}?fields=scope`);
    expect(one.body).toEqual({ uuid: vs0, scope: "svm", _links: { self: { href: `${KM}/${vs0}` } } });
  });

  test("unknown fields answer 262197; write-only ones 262249; later-release fields are unknown on 9.6", async () => {
    expectError(await c.get(`${KM}?fields=uuid,bogus`), 400, "262197", "fields");
    expectError(await c.get(`${KM}?fields=onboard.passphrase`), 400, "262249", "fields");
    expectError(await c.get(`${KM}?fields=status`), 400, "262197", "fields");
    expectError(await c.get(`${KM}?fields=volume_encryption`), 400, "262197", "fields");
  });
});

describe("filters", () => {
  const names = async (q: string): Promise<string[]> =>
    records(await c.get(`/api/security/certificates?${q}`))
      .map((x) => str(x.name))
      .sort();

  test("exact, wildcard, alternatives, negation; strings compare case-insensitively", async () => {
    expect(await names("name=vs0-client")).toEqual(["vs0-client"]);
    expect(await names("name=VS0-CLIENT")).toEqual(["vs0-client"]);
    expect(await names("name=vs0-ca-*")).toEqual(["vs0-ca-1", "vs0-ca-2", "vs0-ca-3"]);
    expect(await names("name=*-client-re*")).toEqual([
      "cluster-client-renewed",
      "vs0-client-renewed",
      "vs1-client-renewed",
    ]);
    expect(await names("name=vs0-ca-1|vs1-ca-2|nope")).toEqual(["vs0-ca-1", "vs1-ca-2"]);
    expect(await names("svm.name=!vs0&type=client&scope=svm")).toEqual([
      "vs1-client",
      "vs1-client-other",
      "vs1-client-renewed",
    ]);
  });

  test("filters reach into arrays and compare numbers; ranges work", async () => {
    const { vs0, vs1 } = await twoKeyManagers();
    const uuids = async (q: string): Promise<string[]> =>
      records(await c.get(`${KM}?${q}`))
        .map((x) => str(x.uuid))
        .sort();
    expect(await uuids("external.servers.server=10.0.0.1:5696")).toEqual([vs0]);
    expect(await uuids("external.servers.timeout=40")).toEqual([vs0]);
    expect(await uuids("external.servers.timeout=>30")).toEqual([vs0]);
    expect(await uuids("external.servers.timeout=<=25")).toEqual([vs0, vs1].sort());
    expect(await uuids("external.servers.username=kmip-*")).toEqual([vs1]);
    expect(await uuids("scope=svm&svm.name=vs0|vs1")).toEqual([vs0, vs1].sort());
    expect(await uuids("scope=cluster")).toEqual([]);
  });

  test("unknown filters 262179, a filter given twice 262188, a secret in the URL 262202 (value never echoed)", async () => {
    expectError(await c.get(`${KM}?colour=blue`), 400, "262179", "colour");
    expectError(await c.get(`${KM}?scope=svm&scope=cluster`), 400, "262188", "scope");
    const r = await c.get(`${KM}?onboard.passphrase=hunter2-hunter2-hunter2-hunter2-x`);
    expectError(r, 400, "262202", "onboard.passphrase");
    expect(JSON.stringify(r.body)).not.toContain("hunter2");
    const logged = sim.requestLog().find((e) => e.path.includes("onboard.passphrase"));
    expect(logged?.path).toBe(`${KM}?onboard.passphrase=***`);
  });
});

describe("order_by and paging", () => {
  async function allPages(first: string): Promise<{ names: string[]; pages: number; sizes: number[] }> {
    const names: string[] = [];
    const sizes: number[] = [];
    let next: string | undefined = first;
    let pages = 0;
    while (next !== undefined) {
      const r: Res = await c.get(next);
      expect(r.status).toBe(200);
      pages += 1;
      sizes.push(Number(r.body.num_records));
      names.push(...records(r).map((x) => str(x.name)));
      next = r.body._links?.next ? str(r.body._links.next.href) : undefined;
      expect(pages).toBeLessThan(50);
    }
    return { names, pages, sizes };
  }

  test("order_by sorts ascending or descending on a field", async () => {
    const r = records(await c.get("/api/security/certificates?svm.name=vs0&order_by=name desc"));
    expect(r.map((x) => x.name)).toEqual([
      "vs0-client-renewed",
      "vs0-client-other",
      "vs0-client",
      "vs0-ca-3",
      "vs0-ca-2",
      "vs0-ca-1",
    ]);
    const asc = records(await c.get("/api/security/certificates?svm.name=vs0&order_by=type%20asc,name"));
    expect(asc.map((x) => x.name)).toEqual([
      "vs0-client",
      "vs0-client-other",
      "vs0-client-renewed",
      "vs0-ca-1",
      "vs0-ca-2",
      "vs0-ca-3",
    ]);
  });

  test("order_by on unknown or array fields answers 262268; a bad direction 262197", async () => {
    expectError(await c.get("/api/svm/svms?order_by=colour"), 400, "262268", "order_by");
    expectError(await c.get(`${KM}?order_by=external.servers.server`), 400, "262268", "order_by");
    expectError(await c.get("/api/svm/svms?order_by=name%20sideways"), 400, "262197", "order_by");
  });

  test("max_records pages through _links.next until every record was seen once", async () => {
    sim.seedSvms(23);
    const { names, pages, sizes } = await allPages("/api/svm/svms?max_records=10");
    expect(pages).toBe(3);
    expect(sizes).toEqual([10, 10, 5]);
    expect(new Set(names).size).toBe(25);
    const first = await c.get("/api/svm/svms?max_records=10&fields=name");
    expect(str(first.body._links?.next?.href)).toMatch(
      /^\/api\/svm\/svms\?max_records=10&fields=name&start\.uuid=/,
    );
    expect(first.body._links?.self?.href).toBe("/api/svm/svms?max_records=10&fields=name");
  });

  test("paging keeps order_by and filters across pages", async () => {
    sim.seedSvms(10);
    const { names } = await allPages("/api/svm/svms?order_by=name%20desc&name=vs1*&max_records=2");
    expect(names).toEqual(["vs11", "vs10", "vs1"]);
    const { names: all } = await allPages("/api/svm/svms?order_by=name&max_records=4");
    expect(all).toEqual([...all].sort());
    expect(all).toHaveLength(12);
  });

  test("max_records must be a positive integer", async () => {
    expectError(await c.get("/api/svm/svms?max_records=0"), 400, "262197", "max_records");
    expectError(await c.get("/api/svm/svms?max_records=ten"), 400, "262197", "max_records");
  });
});

describe("return_records and return_timeout", () => {
  test("return_records=false answers only the count", async () => {
    const r = await c.get("/api/security/certificates?type=server_ca&return_records=false");
    expect(r.body).toEqual({
      num_records: 9,
      _links: { self: { href: "/api/security/certificates?type=server_ca&return_records=false" } },
    });
    expectError(await c.get("/api/svm/svms?return_records=maybe"), 400, "262197", "return_records");
  });

  test("return_timeout accepts 0-120 seconds on reads and writes", async () => {
    expect((await c.get("/api/svm/svms?return_timeout=15")).status).toBe(200);
    expectError(await c.get("/api/svm/svms?return_timeout=121"), 400, "262197", "return_timeout");
    expect((await c.post(`${KM}?return_timeout=10`, externalBody("vs0"))).status).toBe(201);
    expectError(
      await c.post(`${KM}?return_timeout=-1`, externalBody("vs1")),
      400,
      "262197",
      "return_timeout",
    );
  });

  test("instance GETs accept only fields and return_timeout", async () => {
    const { vs0 } = await twoKeyManagers();
    expectError(await c.get(`${KM}/${vs0}?scope=svm`), 400, "262179", "scope");
    expectError(await c.get(`${KM}/${vs0}?max_records=1`), 400, "262179", "max_records");
    expect((await c.get(`${KM}/${vs0}?return_timeout=5&fields=uuid`)).status).toBe(200);
  });
});
