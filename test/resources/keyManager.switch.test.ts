/**
 * The in-place switch between onboard and external at cluster scope (ONTAP 9.16.1+), through the KeyManager
 * provider implementation against the simulator over HTTPS: diff says update (9.16) or replace (9.13); the update
 * creates the new configuration inactive, enables it through the key store, deletes the old one; a failure at
 * each step (refusal, failed job, lost answer) leaves the old configuration active and a truthful state that the
 * next update resumes from; configurations made by hand are reported and never adopted or deleted.
 */
import { closeAllClients } from "../../provider/ontap";
import * as provider from "../../provider/resources/impl/keyManagerProvider";
import { parseKeyManagerOutputs, type KeyManagerOutputs } from "../../provider/resources/model";
import { startSimulator, type Simulator } from "../../simulator";
import { OntapAdmin } from "../support/ontapAdmin";
import { type Props, SERIALIZED, configure, create, diff, update } from "../support/keyManagerDriver";
import { rejection } from "../support/rejection";

const KM = "/api/security/key-managers";
const KS = "/api/security/key-stores";
const PASSPHRASE = "Switch-Onboard-Passphrase-0123456789-abc";
const EXTERNAL: Props = {
  external: {
    clientCertificate: "cluster-client",
    serverCaCertificates: ["cluster-ca-1"],
    servers: ["10.0.0.1", { server: "10.0.0.2", timeout: 40 }],
  },
};
const ONBOARD: Props = { onboard: { passphrase: PASSPHRASE } };

interface SimConfig {
  uuid: string;
  enabled?: boolean;
  onboard?: { enabled: boolean };
  external?: { servers: { server: string; timeout: number }[] };
  configuration?: { name: string };
}

/** The writes the simulator saw, `METHOD pathname` with uuids as they are. */
function writes(sim: Simulator): string[] {
  return sim
    .requestLog()
    .filter((e) => e.method !== "GET")
    .map(
      (e) =>
        `${e.method} ${e.path.split("?")[0]}${e.path.includes("create_inactive=true") ? "?create_inactive" : ""}`,
    );
}

/** The error's recorded outputs (a partial state), parsed. */
function recorded(err: Error): KeyManagerOutputs {
  const properties = (err as Error & { properties?: unknown }).properties;
  expect(properties).toBeDefined();
  return parseKeyManagerOutputs(properties);
}

describe("KeyManager switch between onboard and external", () => {
  let sim: Simulator;
  let admin: OntapAdmin;
  let config: Record<string, string>;
  const configs = (): SimConfig[] => sim.keyManagers() as SimConfig[];
  const active = (): SimConfig => {
    const all = configs().filter((c) => c.enabled !== false);
    expect(all).toHaveLength(1);
    return all[0]!;
  };

  afterEach(async () => {
    await closeAllClients();
    await admin?.close();
    await sim?.close();
  });

  async function start(version: string): Promise<void> {
    sim = await startSimulator({ ontapVersion: version, jobDelayMs: 20 });
    admin = new OntapAdmin(sim);
    config = {
      "ontap:host": sim.url,
      "ontap:username": sim.username,
      "ontap:password": sim.password,
      "ontap:caCert": sim.caCert,
    };
    await configure(config);
  }

  /** An onboard key manager protecting an encrypted volume of vs0 (which has no key manager of its own). */
  async function onboardWithVolume(): Promise<{ id: string; outs: Props }> {
    const made = await create(ONBOARD);
    sim.seedEncryptedVolume("vs0");
    return made;
  }

  test("9.16: diff is an update; one update switches onboard -> external -> onboard, never deleting the active configuration", async () => {
    await start("9.16");
    const { id, outs } = await onboardWithVolume();
    expect(parseKeyManagerOutputs(outs).configuration).toBe("default");

    const d = await diff(id, outs, EXTERNAL);
    expect(d).toMatchObject({ changes: true, replaces: [] });

    sim.clearRequestLog();
    const after = await update(id, outs, EXTERNAL);
    const out = parseKeyManagerOutputs(after);
    const now = active();
    expect(now.external?.servers.map((s) => [s.server, s.timeout])).toEqual([
      ["10.0.0.1:5696", 25],
      ["10.0.0.2:5696", 40],
    ]);
    expect(configs()).toHaveLength(1);
    expect(out).toMatchObject({ uuid: now.uuid, scope: "cluster", configuration: "default" });
    expect(out.onboard).toBeUndefined();
    expect(out.leftoverConfigurations).toBeUndefined();
    expect(out.external?.servers).toHaveLength(2);
    expect(writes(sim)).toEqual([
      `POST ${KM}?create_inactive`,
      `PATCH ${KS}/${now.uuid}`,
      `DELETE ${KS}/${id}`,
      `PATCH ${KM}/${now.uuid}/key-servers/10.0.0.2%3A5696`,
    ]);
    // The active configuration is never deleted through key-managers.
    expect(writes(sim).filter((w) => w.startsWith(`DELETE ${KM}`))).toEqual([]);
    // The encrypted volume stays (ONTAP re-wrapped its key under the new configuration).
    const volumes = (await admin.call("GET", "/api/storage/volumes?fields=uuid,name")) as {
      num_records: number;
    };
    expect(volumes.num_records).toBe(1);

    // No diff left, and the refresh reads the new configuration.
    expect((await diff(id, after, EXTERNAL)).changes).toBe(false);
    const read = await provider.read(id, after);
    expect(read.id).toBe(now.uuid);
    expect(parseKeyManagerOutputs(read.props).inactiveConfigurations).toBeUndefined();

    // And back.
    sim.clearRequestLog();
    expect(await diff(now.uuid, after, ONBOARD)).toMatchObject({ changes: true, replaces: [] });
    const back = parseKeyManagerOutputs(await update(now.uuid, after, ONBOARD));
    const onboard = active();
    expect(onboard.onboard?.enabled).toBe(true);
    expect(configs()).toHaveLength(1);
    expect(back).toMatchObject({ uuid: onboard.uuid, onboard: { enabled: true, passphrase: PASSPHRASE } });
    expect(back.onboard?.keyBackup).toContain("BEGIN BACKUP");
    expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(true);
    expect(writes(sim)).toEqual([
      `POST ${KM}?create_inactive`,
      `PATCH ${KS}/${onboard.uuid}`,
      `DELETE ${KS}/${now.uuid}`,
    ]);
  });

  test("9.13: the same change is a delete-first replacement", async () => {
    await start("9.13");
    const { id, outs } = await onboardWithVolume();
    expect(parseKeyManagerOutputs(outs).configuration).toBeUndefined();
    expect(await diff(id, outs, EXTERNAL)).toMatchObject({
      changes: true,
      replaces: ["external", "onboard"],
      deleteBeforeReplace: true,
    });
  });

  test("9.16: only the mode at cluster scope switches in place; a change of SVM stays a replacement", async () => {
    await start("9.16");
    const { id, outs } = await create(EXTERNAL);
    const d = await diff(id, outs, { ...ONBOARD });
    expect(d.replaces).toEqual([]);
    const svm = await diff(id, outs, {
      svm: "vs0",
      external: {
        clientCertificate: "vs0-client",
        serverCaCertificates: ["vs0-ca-1"],
        servers: ["10.0.0.1"],
      },
    });
    expect(svm.replaces).toEqual(["svm"]);
  });

  describe.each([
    ["refused", { type: "status", status: 400, code: "65536821", message: "refused" } as const],
    ["a failed job", { type: "job-failure", code: 65536821, message: "job failed" } as const],
  ])("the POST of the inactive configuration: %s", (_what, action) => {
    test("nothing changes, the state stays the old configuration; the next update switches", async () => {
      await start("9.16");
      const { id, outs } = await onboardWithVolume();
      sim.injectFault({ method: "POST", path: KM, action });
      const err = await rejection(update(id, outs, EXTERNAL));
      expect(err.message).toContain("creating the new configuration inactive");
      expect(err.message).toContain(`The previous configuration ${id} stays the active one`);
      const state = recorded(err);
      expect(state.uuid).toBe(id);
      expect(state.onboard?.passphrase).toBe(PASSPHRASE);
      expect(state.leftoverConfigurations).toBeUndefined();
      expect(configs().map((c) => c.uuid)).toEqual([id]);

      const again = parseKeyManagerOutputs(await update(id, { ...outs, ...SERIALIZED }, EXTERNAL));
      expect(again.uuid).toBe(active().uuid);
      expect(active().external).toBeDefined();
    });
  });

  test("the POST's answer is lost after ONTAP applied it: the configuration it made is found and the switch goes on", async () => {
    await start("9.16");
    const { id, outs } = await onboardWithVolume();
    sim.injectFault({ method: "POST", path: KM, action: { type: "drop-after-apply" } });
    const out = parseKeyManagerOutputs(await update(id, outs, EXTERNAL));
    expect(configs()).toHaveLength(1);
    expect(out.uuid).toBe(active().uuid);
    expect(active().external).toBeDefined();
  });

  describe.each([
    ["refused", { type: "status", status: 400, code: "65539534", message: "root volumes" } as const],
    ["a failed job", { type: "job-failure", code: 65539534, message: "root volumes" } as const],
  ])("the key-store PATCH: %s", (_what, action) => {
    test("the old configuration stays active; the new one is recorded as a leftover, deleted and remade next time", async () => {
      await start("9.16");
      const { id, outs } = await onboardWithVolume();
      sim.injectFault({ method: "PATCH", path: `${KS}/*`, action });
      const err = await rejection(update(id, outs, EXTERNAL));
      expect(err.message).toContain("enabling the new configuration");
      expect(err.message).toContain(`The previous configuration ${id} stays the active one`);
      const state = recorded(err);
      const inactive = configs().find((c) => c.enabled === false)!;
      expect(active().uuid).toBe(id);
      expect(state).toMatchObject({ uuid: id, leftoverConfigurations: [inactive.uuid] });
      expect(state.onboard?.passphrase).toBe(PASSPHRASE);
      const stored = { ...(err as Error & { properties: Props }).properties, ...SERIALIZED };

      // A refresh keeps the leftover (it is ours), reports nothing foreign.
      const read = parseKeyManagerOutputs((await provider.read(id, stored)).props);
      expect(read.leftoverConfigurations).toEqual([inactive.uuid]);
      expect(read.inactiveConfigurations).toBeUndefined();

      // The next update: the leftover is deleted (its settings are an earlier program's), a new one made and enabled.
      sim.clearRequestLog();
      const out = parseKeyManagerOutputs(await update(id, stored, EXTERNAL));
      const now = active();
      expect(configs()).toHaveLength(1);
      expect(out).toMatchObject({ uuid: now.uuid });
      expect(out.leftoverConfigurations).toBeUndefined();
      expect(writes(sim).slice(0, 4)).toEqual([
        `DELETE ${KS}/${inactive.uuid}`,
        `POST ${KM}?create_inactive`,
        `PATCH ${KS}/${now.uuid}`,
        `DELETE ${KS}/${id}`,
      ]);
    });
  });

  test("the key-store PATCH's answer is lost after ONTAP applied it: the switch is seen and goes on", async () => {
    await start("9.16");
    const { id, outs } = await onboardWithVolume();
    sim.setJobDelay(300);
    sim.injectFault({ method: "PATCH", path: `${KS}/*`, action: { type: "drop-after-apply" } });
    const out = parseKeyManagerOutputs(await update(id, outs, EXTERNAL));
    expect(configs()).toHaveLength(1);
    expect(out.uuid).toBe(active().uuid);
    expect(active().external).toBeDefined();
  });

  test("the DELETE's answer is lost after ONTAP applied it: counted as deleted, nothing left over", async () => {
    await start("9.16");
    const { id, outs } = await onboardWithVolume();
    sim.injectFault({ method: "DELETE", path: `${KS}/${id}`, action: { type: "drop-after-apply" } });
    const out = parseKeyManagerOutputs(await update(id, outs, EXTERNAL));
    expect(out.leftoverConfigurations).toBeUndefined();
    expect(configs().map((c) => c.uuid)).toEqual([out.uuid]);
  });

  describe.each([
    ["refused", { type: "status", status: 400, code: "65539593", message: "switching" } as const],
    ["a failed job", { type: "job-failure", code: 65539593, message: "switching" } as const],
  ])("the DELETE of the old configuration: %s", (_what, action) => {
    test("the new configuration is recorded as active with the old one as a leftover; the next update deletes it", async () => {
      await start("9.16");
      const { id, outs } = await onboardWithVolume();
      sim.injectFault({ method: "DELETE", path: `${KS}/${id}`, action });
      const err = await rejection(update(id, outs, EXTERNAL));
      const now = active();
      expect(err.message).toContain(`deleting the previous configuration ${id}`);
      expect(err.message).toContain(`The cluster now uses the external configuration ${now.uuid}`);
      const state = recorded(err);
      expect(state).toMatchObject({ uuid: now.uuid, leftoverConfigurations: [id] });
      expect(state.external?.servers.map((s) => s.server)).toEqual(["10.0.0.1:5696", "10.0.0.2:5696"]);
      expect(state.onboard).toBeUndefined();
      const stored = { ...(err as Error & { properties: Props }).properties, ...SERIALIZED };

      // The program did not change, but the leftover makes an update, which deletes it (and only it).
      expect(await diff(id, stored, EXTERNAL)).toMatchObject({ changes: true, replaces: [] });
      sim.clearRequestLog();
      const out = parseKeyManagerOutputs(await update(id, stored, EXTERNAL));
      expect(out.leftoverConfigurations).toBeUndefined();
      expect(out.uuid).toBe(now.uuid);
      expect(configs().map((c) => c.uuid)).toEqual([now.uuid]);
      // The follow-up server PATCH that the failed switch never reached is made now.
      expect(writes(sim)).toEqual([
        `DELETE ${KS}/${id}`,
        `PATCH ${KM}/${now.uuid}/key-servers/10.0.0.2%3A5696`,
      ]);
      expect(active().external?.servers.find((s) => s.server === "10.0.0.2:5696")?.timeout).toBe(40);
      expect((await diff(id, { ...out, ...SERIALIZED }, EXTERNAL)).changes).toBe(false);
    });
  });

  test("an inactive configuration made by hand is reported by refresh, never adopted or deleted, and blocks a switch to its mode", async () => {
    await start("9.16");
    const { id, outs } = await create(ONBOARD);
    await admin.write("POST", `${KM}?create_inactive=true`, {
      external: {
        client_certificate: { name: "cluster-client" },
        server_ca_certificates: [{ name: "cluster-ca-1" }],
        servers: [{ server: "10.9.9.9" }],
      },
    });
    const foreign = configs().find((c) => c.enabled === false)!;
    const spy = jest.spyOn(process.stderr, "write").mockImplementation(() => true);
    let read: KeyManagerOutputs;
    try {
      read = parseKeyManagerOutputs((await provider.read(id, outs)).props);
      expect(spy.mock.calls.map((c) => String(c[0])).join("")).toContain(foreign.uuid);
    } finally {
      spy.mockRestore();
    }
    expect(read.uuid).toBe(id);
    expect(read.inactiveConfigurations).toEqual([{ uuid: foreign.uuid, name: "default", mode: "external" }]);
    // Reported, not a change.
    expect((await diff(id, { ...read, ...SERIALIZED }, ONBOARD)).changes).toBe(false);

    sim.clearRequestLog();
    const err = await rejection(update(id, { ...read, ...SERIALIZED }, EXTERNAL));
    expect(err.message).toContain(
      `inactive external configuration that this stack did not create (${foreign.uuid}`,
    );
    expect(err.message).toContain("Nothing was changed");
    expect(writes(sim)).toEqual([]);
    expect(
      configs()
        .map((c) => c.uuid)
        .sort(),
    ).toEqual([id, foreign.uuid].sort());
  });

  test("a refresh after a switch whose state was not recorded follows it only to a configuration of its own", async () => {
    await start("9.16");
    const { id, outs } = await create(ONBOARD);
    // Someone switches the cluster by hand: the state's configuration is inactive now.
    await admin.write("POST", `${KM}?create_inactive=true`, {
      external: {
        client_certificate: { name: "cluster-client" },
        server_ca_certificates: [{ name: "cluster-ca-1" }],
        servers: [{ server: "10.9.9.9" }],
      },
    });
    const other = configs().find((c) => c.enabled === false)!;
    await admin.write("PATCH", `${KS}/${other.uuid}`, { enabled: true });
    const err = await rejection(provider.read(id, outs));
    expect(err.message).toContain(`key manager ${id} in state is no longer the active configuration`);
    expect(err.message).toContain(`${other.uuid} (external) is active`);

    // Had this resource made that configuration (recorded as a leftover), the refresh moves the state to it.
    const ours = { ...outs, leftoverConfigurations: [other.uuid] };
    const read = await provider.read(id, ours);
    expect(read.id).toBe(other.uuid);
    expect(parseKeyManagerOutputs(read.props)).toMatchObject({
      uuid: other.uuid,
      leftoverConfigurations: [id],
    });
  });
});
