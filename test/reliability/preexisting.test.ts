/**
 * A KeyServer create meets a server that is already there (listed by a KeyManager, or by another program), with
 * every fault kind on its requests, on 9.6 and on a later release: it never writes, never records the server as
 * its own, and leaves the server exactly as it was (issue 10, finding 1: a lost POST answer used to make the
 * KeyServer take over the KeyManager's server and rewrite its timeout).
 */
import { closeAllClients } from "../../provider/ontap";
import { type FaultSpec, type Simulator, startSimulator } from "../../simulator";
import { FAULT_KINDS, type FaultKind } from "./scenarios";
import { checkedInputs, configure, engineCreate, km, ks, quiet, simConfig, simKeyManagers } from "./support";

const SERVER = "10.4.0.2:5696";

function faultsFor(kind: FaultKind): FaultSpec[] {
  const instance = /\/key-servers\/10\.4\.0\.2(%3A|:)5696$/;
  const collection = /\/key-servers$/;
  switch (kind) {
    case "5xx":
      return [
        { method: "GET", path: instance, action: { type: "status", status: 503 } },
        { method: "POST", path: collection, action: { type: "status", status: 502 } },
      ];
    case "reset":
      return [
        { method: "GET", path: instance, action: { type: "reset" } },
        { method: "POST", path: collection, action: { type: "reset" } },
      ];
    case "stall":
      return [{ method: "GET", path: instance, action: { type: "stall", ms: 1_600 } }];
    case "drop-after-apply":
      return [{ method: "POST", path: collection, action: { type: "drop-after-apply" } }];
    case "job-failure":
      return [
        { method: "POST", path: collection, action: { type: "job-failure", code: 65536921, message: "x" } },
      ];
  }
}

describe.each(["9.6", "9.13"])("ONTAP %s", (version) => {
  let sim: Simulator;

  beforeAll(async () => {
    sim = await startSimulator({ ontapVersion: version, jobDelayMs: 20 });
  });

  afterAll(async () => {
    await closeAllClients();
    await sim?.close();
  });

  test.each(
    FAULT_KINDS.flatMap((kind) => [
      [kind, "listed by a KeyManager"],
      [kind, "added by another program"],
    ]),
  )("%s: a server %s is never written to nor taken over", async (kind, how) => {
    sim.reset();
    await configure(simConfig(sim, { "ontap:requestTimeout": "1" }));
    const byKeyManager = how === "listed by a KeyManager";
    const host = await km.create(
      await checkedInputs(km, {
        svm: "vs0",
        external: {
          clientCertificate: "vs0-client",
          serverCaCertificates: ["vs0-ca-1"],
          servers: [
            "10.4.0.1",
            ...(byKeyManager ? [{ server: SERVER, timeout: 33, username: "theirs" }] : []),
          ],
        },
        serverManagement: "listed",
      }),
    );
    if (!byKeyManager) {
      const other = await ks.create(
        await checkedInputs(ks, { keyManager: host.id, server: SERVER, timeout: 33, username: "theirs" }),
      );
      expect(other.id).toBe(`${host.id}/${SERVER}`);
    }
    const before = JSON.stringify(simKeyManagers(sim));
    await quiet(sim, 20);
    sim.clearRequestLog();
    for (const f of faultsFor(kind)) sim.injectFault(f);

    const step = await engineCreate(
      ks,
      await checkedInputs(ks, { keyManager: host.id, server: SERVER, timeout: 40, username: "mine" }),
    );
    sim.clearFaults();
    await quiet(sim, 20);

    expect(step.error).toBeDefined();
    expect(step.state).toBeUndefined();
    const writes = sim
      .requestLog()
      .filter((e) => e.method !== "GET")
      .map((e) => `${e.method} ${e.path}`);
    expect(writes).toEqual([]);
    expect(JSON.stringify(simKeyManagers(sim))).toBe(before);
    // With the fault gone, the same program still refuses, naming adopt.
    await configure(simConfig(sim));
    const again = await engineCreate(
      ks,
      await checkedInputs(ks, { keyManager: host.id, server: SERVER, timeout: 40, username: "mine" }),
    );
    expect(String(again.error)).toContain("adopt: true");
    expect(JSON.stringify(simKeyManagers(sim))).toBe(before);
  });
});
