/**
 * The KeyServer glue's own pure logic: the extra check (password needs a username), diff through the glue
 * (connectivity never diffs), connectivity outputs, and failures that happen before any ONTAP call.
 */

import { UNKNOWN, connectivityOutput, previousConnectivity } from "../../provider/resources/model";
import * as ks from "../../provider/resources/impl/keyServerProvider";

const KM = "3f1b2c4d-0000-4000-8000-00000000abcd";
const PASSWORD = "kmip-password-unit-4711";

const outputs = {
  keyManager: KM,
  server: "10.0.0.1:5696",
  timeout: 25,
  username: "u",
  password: PASSWORD,
  adopt: false,
};

describe("check", () => {
  test("normalises: canonical host:port, defaults explicit, key manager UUID lower case", async () => {
    expect(
      await ks.check({}, { keyManager: KM.toUpperCase(), server: "Kms.Example.COM", __provider: "x" }),
    ).toEqual({
      inputs: { keyManager: KM, server: "kms.example.com:5696", timeout: 25, username: "", adopt: false },
      failures: [],
    });
  });

  test("a password without a username fails on username, without showing the password", async () => {
    const result = await ks.check({}, { keyManager: KM, server: "10.0.0.1", password: PASSWORD });
    expect(result.failures).toEqual([
      { property: "username", reason: expect.stringContaining("password") as string },
    ]);
    expect(JSON.stringify(result.failures)).not.toContain(PASSWORD);
    expect(
      (await ks.check({}, { keyManager: KM, server: "10.0.0.1", username: "u", password: PASSWORD }))
        .failures,
    ).toEqual([]);
  });

  test("preview: an unknown username or password is not a failure yet", async () => {
    const withUnknownUser = await ks.check(
      {},
      { keyManager: KM, server: "a", username: UNKNOWN, password: PASSWORD },
    );
    expect(withUnknownUser.failures).toEqual([]);
    const withUnknownPassword = await ks.check({}, { keyManager: KM, server: "a", password: UNKNOWN });
    expect(withUnknownPassword.failures).toEqual([]);
  });

  test("the model's failures pass through; a bad password is reported without property or value", async () => {
    const { failures = [] } = await ks.check(
      {},
      { keyManager: "km1", server: "a", timeout: -2, password: 42 },
    );
    expect(failures.map((f) => f.property).sort()).toEqual(["", "keyManager", "timeout"]);
    expect(failures.find((f) => f.property === "")?.reason).toMatch(/^password: /);
  });
});

describe("diff", () => {
  const news = { keyManager: KM, server: "10.0.0.1", username: "u", password: PASSWORD };

  test("connectivity in the old outputs and host vs host:5696 are no change", async () => {
    const olds = { ...outputs, connectivity: { clusterAvailability: false, nodeStates: [] } };
    expect(await ks.diff("id", olds, news)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: true,
    });
  });

  test("keyManager or server replaces, the new server added first", async () => {
    expect(await ks.diff("id", outputs, { ...news, server: "10.0.0.2" })).toEqual({
      changes: true,
      replaces: ["server"],
      deleteBeforeReplace: false,
    });
    const other = "3f1b2c4d-0000-4000-8000-00000000ffff";
    expect(await ks.diff("id", outputs, { ...news, keyManager: other })).toMatchObject({
      replaces: ["keyManager"],
    });
    expect(await ks.diff("id", outputs, { ...news, server: UNKNOWN })).toMatchObject({
      replaces: ["server"],
    });
  });

  test("timeout, username and password update in place", async () => {
    for (const change of [{ timeout: 26 }, { username: "v" }, { password: `${PASSWORD}-new` }]) {
      expect(await ks.diff("id", outputs, { ...news, ...change })).toEqual({
        changes: true,
        replaces: [],
        deleteBeforeReplace: true,
      });
    }
  });

  test("invalid new inputs throw without the password", async () => {
    const err = await ks.diff("id", outputs, { ...news, timeout: 61 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain("timeout");
    expect((err as Error).message).not.toContain(PASSWORD);
  });
});

describe("connectivity", () => {
  test("ONTAP's record in output form, nodes sorted", () => {
    expect(
      connectivityOutput({
        connectivity: {
          cluster_availability: false,
          node_states: [
            { node: { name: "n2", uuid: "u2" }, state: "not_responding" },
            { node: { name: "n1" }, state: "available" },
            { node: { uuid: "u3" } },
          ],
        },
      }),
    ).toEqual({
      clusterAvailability: false,
      nodeStates: [
        { node: "n1", state: "available" },
        { node: "n2", state: "not_responding" },
        { node: "u3", state: "unknown" },
      ],
    });
    expect(connectivityOutput({ connectivity: {} })).toEqual({ nodeStates: [] });
    expect(connectivityOutput({})).toBeUndefined();
  });

  test("kept from previous outputs only when well-formed", () => {
    const connectivity = { clusterAvailability: true, nodeStates: [{ node: "n1", state: "available" }] };
    expect(previousConnectivity({ ...outputs, connectivity })).toEqual(connectivity);
    expect(previousConnectivity({ ...outputs, connectivity: { nodeStates: "x" } })).toBeUndefined();
    expect(previousConnectivity(outputs)).toBeUndefined();
    expect(previousConnectivity(undefined)).toBeUndefined();
  });
});

describe("failures before any ONTAP call", () => {
  test("create with invalid inputs names the problem, never the password", async () => {
    const err = await ks
      .create({ keyManager: KM, server: "10.0.0.1", password: PASSWORD })
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /^invalid KeyServer inputs: username: must be set when password is set/,
    );
    expect((err as Error).message).not.toContain(PASSWORD);
  });

  test("read and delete refuse an id that is not <key manager uuid>/<host:port>", async () => {
    await expect(ks.read("10.0.0.1:5696", {})).rejects.toThrow('"10.0.0.1:5696" is not a KeyServer id');
    await expect(ks.delete(`${KM}/fd00::1`, {})).rejects.toThrow("is not a KeyServer id");
  });
});

describe("removing a password (ONTAP cannot clear one)", () => {
  const withPassword = { keyManager: KM, server: "10.0.0.1", username: "u", password: PASSWORD };
  const without = { keyManager: KM, server: "10.0.0.1", username: "u" };

  test("check fails, without the password, and says how to proceed", async () => {
    const result = await ks.check(withPassword, without);
    expect(result.failures).toHaveLength(1);
    expect(result.failures?.[0]?.property).toBe("");
    expect(result.failures?.[0]?.reason).toMatch(/^password: cannot be removed/);
    expect(result.failures?.[0]?.reason).toContain("Fix: keep `password`");
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
  });

  test("diff of outputs holding a password against inputs without one fails too", async () => {
    const err = await ks
      .diff("id", outputs, { ...without, timeout: 25, adopt: false })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain("password: cannot be removed");
    expect((err as Error).message).not.toContain(PASSWORD);
  });

  test("setting, changing, keeping or never having a password is fine; an unknown one waits", async () => {
    expect((await ks.check({}, withPassword)).failures).toEqual([]);
    expect((await ks.check(withPassword, { ...withPassword, password: `${PASSWORD}-2` })).failures).toEqual(
      [],
    );
    expect((await ks.check(without, without)).failures).toEqual([]);
    expect((await ks.check(withPassword, { ...without, password: UNKNOWN })).failures).toEqual([]);
  });

  test("a replacement may drop the password: the old server goes, credential and all", async () => {
    expect((await ks.check(withPassword, { ...without, server: "10.0.0.2" })).failures).toEqual([]);
    expect((await ks.check(withPassword, { ...without, server: UNKNOWN })).failures).toEqual([]);
    const otherKm = "9a8b7c6d-0000-4000-8000-00000000ffff";
    expect((await ks.check(withPassword, { ...without, keyManager: otherKm })).failures).toEqual([]);
    expect(await ks.diff("id", outputs, { ...without, server: "10.0.0.2" })).toMatchObject({
      replaces: ["server"],
    });
    // The same server spelled differently is no replacement.
    expect((await ks.check(withPassword, { ...without, server: "10.0.0.1:5696" })).failures).toHaveLength(1);
  });
});

describe("numeric look-alikes of IPv4 addresses", () => {
  test("check refuses them as server names", async () => {
    for (const server of ["0x7f.1", "0x7f000001", "127.1", "017700000001"]) {
      const result = await ks.check({}, { keyManager: KM, server });
      expect(result.failures).toEqual([
        { property: "server", reason: expect.stringContaining("127.0.0.1") as string },
      ]);
    }
  });
});
