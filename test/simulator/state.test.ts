/**
 * The optional state file: the configuration survives a restart (even under another release), passphrases
 * are stored only as salted hashes, writes are atomic, and a file that is not a simulator state is refused.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSimulator } from "../../simulator";
import { Client, PASSPHRASE, PASSPHRASE2, createKm, eventually, externalBody, records, str } from "./helpers";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ontap-sim-state-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const KM = "/api/security/key-managers";

test("key managers, servers, SVMs and volumes survive a restart; passphrases are never stored in plain text", async () => {
  const stateFile = join(dir, "state.json");
  const first = await startSimulator({ stateFile });
  const c1 = new Client(first);
  let ext: string;
  let onboard: string;
  try {
    first.seedSvms(["extra"]);
    ext = await createKm(
      c1,
      externalBody("extra", [{ server: "10.0.0.1" }, { server: "kmip.example.com", username: "u" }]),
    );
    onboard = await createKm(c1, { onboard: { passphrase: PASSPHRASE } });
    expect(
      (
        await c1.patch(`${KM}/${onboard}`, {
          onboard: { existing_passphrase: PASSPHRASE, passphrase: PASSPHRASE2 },
        })
      ).status,
    ).toBe(200);
    first.seedEncryptedVolume("extra", "secure");
    first.setServerHoldsKeys(ext, "10.0.0.1", true);
  } finally {
    await c1.close();
    await first.close();
  }
  const text = readFileSync(stateFile, "utf8");
  expect(text).not.toContain(PASSPHRASE);
  expect(text).not.toContain(PASSPHRASE2);
  expect(readdirSync(dir)).toEqual(["state.json"]);

  const second = await startSimulator({ stateFile, ontapVersion: "9.13" });
  const c2 = new Client(second);
  try {
    expect(second.checkOnboardPassphrase(PASSPHRASE2)).toBe(true);
    expect(second.checkOnboardPassphrase(PASSPHRASE)).toBe(false);
    const kms = records(await c2.get(`${KM}?fields=*&order_by=scope`));
    expect(kms.map((k) => [k.uuid, k.scope])).toEqual([
      [onboard, "cluster"],
      [ext, "svm"],
    ]);
    expect(kms[1]?.external?.servers).toEqual([
      { server: "10.0.0.1:5696", timeout: 25, username: "" },
      { server: "kmip.example.com:5696", timeout: 25, username: "u" },
    ]);
    expect(kms[1]?.external?.client_certificate?.name).toBe("extra-client");
    expect(records(await c2.get("/api/storage/volumes?svm.name=extra")).map((v) => v.name)).toEqual([
      "secure",
    ]);
    expect(records(await c2.get("/api/svm/svms?name=extra"))).toHaveLength(1);
    // The key-holding mark survived too (force is needed to delete that server on a later release).
    const del = await c2.del(`${KM}/${ext}/key-servers/10.0.0.1`);
    expect(del.status).toBe(202);
    const job = `/api/cluster/jobs/${str(del.body.job?.uuid)}`;
    await eventually(async () => ((await c2.get(job)).body.state as unknown) === "failure");
    expect((await c2.get(job)).body.code).toBe(65536700);
  } finally {
    await c2.close();
    await second.close();
  }
});

test("reset() rewrites the state file with the freshly seeded state", async () => {
  const stateFile = join(dir, "reset.json");
  const sim = await startSimulator({ stateFile, dataSvms: 1 });
  const c = new Client(sim);
  try {
    await createKm(c, externalBody("vs0"));
    expect(JSON.parse(readFileSync(stateFile, "utf8"))).toMatchObject({ keyManagers: [expect.any(Object)] });
    sim.reset();
    expect(JSON.parse(readFileSync(stateFile, "utf8"))).toMatchObject({ keyManagers: [], volumes: [] });
  } finally {
    await c.close();
    await sim.close();
  }
});

test("a state file that is not a simulator state is refused, naming the file", async () => {
  const bad = join(dir, "bad.json");
  writeFileSync(bad, JSON.stringify({ hello: "world" }));
  await expect(startSimulator({ stateFile: bad })).rejects.toThrow(bad);
  writeFileSync(bad, "{not json");
  await expect(startSimulator({ stateFile: bad })).rejects.toThrow(/not JSON/);
});
