/**
 * The optional state file: the configuration survives a restart (even under another release), passphrases
 * are stored only as salted hashes, writes are atomic (through an exclusive, randomly named temp file in the
 * same directory) and leave a 0600 file, a symlink at the state path is refused, and a file that is not a
 * simulator state is refused.
 */
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
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

describe("the file's safety (the simulator runs in shared CI machines)", () => {
  let sub: string;
  beforeEach(() => {
    sub = join(dir, `safety-${Math.random().toString(36).slice(2)}`);
    mkdirSync(sub);
  });

  test("a new state file is created with mode 0600", async () => {
    const stateFile = join(sub, "state.json");
    const sim = await startSimulator({ stateFile });
    await sim.close();
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(sub)).toEqual(["state.json"]);
  });

  test("an existing state file readable by everyone is rewritten with mode 0600", async () => {
    const stateFile = join(sub, "state.json");
    const first = await startSimulator({ stateFile });
    await first.close();
    chmodSync(stateFile, 0o666);
    const second = await startSimulator({ stateFile });
    try {
      expect(statSync(stateFile).mode & 0o777).toBe(0o600);
      const c = new Client(second);
      try {
        await createKm(c, externalBody("vs0"));
      } finally {
        await c.close();
      }
      expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    } finally {
      await second.close();
    }
  });

  test("a leftover world-readable temp file at the old predictable name does not lend its mode", async () => {
    const stateFile = join(sub, "state.json");
    const leftover = `${stateFile}.${process.pid}.tmp`;
    writeFileSync(leftover, "left by a crash");
    chmodSync(leftover, 0o666);
    const sim = await startSimulator({ stateFile });
    await sim.close();
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
  });

  test("a symlink planted at the old predictable temp name is neither followed nor renamed into place", async () => {
    const stateFile = join(sub, "state.json");
    const victim = join(sub, "victim.txt");
    writeFileSync(victim, "do not overwrite");
    // The name the simulator used to write through: `<file>.<pid>.tmp`, pid of this process.
    symlinkSync(victim, `${stateFile}.${process.pid}.tmp`);
    const sim = await startSimulator({ stateFile });
    await sim.close();
    expect(readFileSync(victim, "utf8")).toBe("do not overwrite");
    expect(lstatSync(stateFile).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(stateFile, "utf8"))).toMatchObject({ format: 1 });
  });

  test("a state path that is a symlink is refused, naming it, and its target is left alone", async () => {
    const target = join(sub, "elsewhere.json");
    writeFileSync(target, "precious");
    const stateFile = join(sub, "state.json");
    symlinkSync(target, stateFile);
    await expect(startSimulator({ stateFile })).rejects.toThrow(`${stateFile} is a symbolic link`);
    expect(readFileSync(target, "utf8")).toBe("precious");
    // A dangling link too: creating the file through it would write wherever it points.
    const dangling = join(sub, "dangling.json");
    symlinkSync(join(sub, "not-yet.json"), dangling);
    await expect(startSimulator({ stateFile: dangling })).rejects.toThrow("is a symbolic link");
    expect(readdirSync(sub).sort()).toEqual(["dangling.json", "elsewhere.json", "state.json"]);
  });
});
