/**
 * REST calls per operation, counted from the simulator's request log, beside the fewest the ONTAP API allows.
 * Version probes (`GET /api/cluster`, once per cluster and process) and job polls (later releases) are counted
 * apart: the first is a per-process cost, the second depends on timing.
 *
 * @packageDocumentation
 */

import { closeAllClients, getClient, listCertificates, resolveConnection } from "../provider/ontap";
import * as ct from "../provider/resources/impl/certificateProvider";
import { startSimulator, type Simulator } from "../simulator";
import { caCertificate, clientCertificate, keyPair } from "../test/support/certs";
import {
  type CallCount,
  type Props,
  checked,
  configureProviders,
  counted,
  external,
  providers,
  simConfig,
} from "./support";

const { km, ks } = providers;

/** The fewest calls an operation needs, and why. */
interface Minimum {
  /** On 9.6 (synchronous writes). */
  readonly sync: number;
  /** On later releases (writes answer 202 + job), job polls not included. */
  readonly later: number;
  /** One line of justification. */
  readonly why: string;
}

/**
 * The minimum per operation. On later releases a write's job need not be polled at all when the write carries
 * `return_timeout` (ONTAP then answers once the job has ended), so the minimum number of job polls is 0.
 */
export const MINIMUMS: Readonly<Record<string, Minimum>> = {
  "KeyManager check": { sync: 0, later: 0, why: "validation is local" },
  "KeyManager diff": { sync: 0, later: 0, why: "compares stored outputs with checked inputs, no lookup" },
  "KeyManager create external, 1 server (cert names)": {
    sync: 3,
    later: 4,
    why: "1 GET of the scope (read before writing: never take over), 1 certificate GET resolves the names, 1 POST (return_records; on later releases with return_timeout, so the job has ended and the record comes back); later: +1 GET of the new key manager for the health outputs (status, connectivity: computed on request only), so that the first refresh shows no change",
  },
  "KeyManager create external, 4 servers (cert names)": {
    sync: 3,
    later: 4,
    why: "the servers travel in the same POST; same as with 1 server",
  },
  "KeyManager create external, 1 server (cert UUIDs)": {
    sync: 2,
    later: 3,
    why: "UUIDs need no lookup: 1 GET of the scope + 1 POST; later: +1 GET for the health outputs",
  },
  "KeyManager create onboard": {
    sync: 2,
    later: 3,
    why: "1 GET of the scope + 1 POST with the passphrase; later: +1 GET of the new key manager for its key_backup and status (computed on request only; the per-node key listings are not read: a new onboard key manager has its keys on every node)",
  },
  "KeyManager read": { sync: 1, later: 1, why: "1 GET of the key manager with an explicit fields list" },
  "KeyManager read onboard": {
    sync: 1,
    later: 4,
    why: "1 GET of the key manager; later (9.11+): +1 GET of the cluster's nodes and 1 GET per node (2 here) of its key listing, to report nodes missing onboard keys (9.7-9.10 would make 1)",
  },
  "KeyManager synchronize onboard keys": {
    sync: 0,
    later: 1,
    why: "1 PATCH {onboard: {synchronize: true, existing_passphrase}}, only when the last read found nodes missing keys (9.11+)",
  },
  "KeyManager add 2 servers": { sync: 1, later: 1, why: "1 batch POST {records:[...]} to key-servers" },
  "KeyManager remove 1 server": { sync: 1, later: 1, why: "1 DELETE of key-servers/{server}" },
  "KeyManager change a server timeout": { sync: 1, later: 1, why: "1 PATCH of key-servers/{server}" },
  "KeyManager rotate certificates (new names)": {
    sync: 2,
    later: 2,
    why: "1 certificate GET for the new names + 1 PATCH with both certificates",
  },
  "KeyManager rotate passphrase": {
    sync: 1,
    later: 2,
    why: "1 PATCH {existing_passphrase, passphrase}; later: +1 GET of the re-wrapped key_backup the outputs carry",
  },
  "KeyManager delete": { sync: 1, later: 1, why: "1 DELETE" },
  "KeyServer check": { sync: 0, later: 0, why: "validation is local" },
  "KeyServer diff": { sync: 0, later: 0, why: "compares stored outputs with checked inputs" },
  "KeyServer create": {
    sync: 2,
    later: 3,
    why: "read before write: 1 GET of key-servers/{server} (must not exist) + 1 POST {server}; later: +1 GET of its connectivity (computed on request only), so the first refresh shows no change",
  },
  "KeyServer create with timeout": {
    sync: 3,
    later: 4,
    why: "1 GET + 1 POST {server} (POST takes no settings) + 1 PATCH {timeout}; later: +1 GET of its connectivity",
  },
  "KeyServer read": { sync: 1, later: 1, why: "1 GET of key-servers/{server}" },
  "KeyServer update (timeout)": { sync: 1, later: 1, why: "1 PATCH carrying only the change" },
  "KeyServer change profile": {
    sync: 1,
    later: 1,
    why: "1 GET of key-servers/{server} through the new profile: it must reach the same server",
  },
  "KeyServer delete": { sync: 1, later: 1, why: "1 DELETE" },
  // Certificates need ONTAP 9.8 (names): measured on the later release only.
  "Certificate check": { sync: 0, later: 0, why: "PEM, key match, type and validity checked locally" },
  "Certificate install (client)": {
    sync: 0,
    later: 2,
    why: "read before write: 1 GET (the name is free in the scope) + 1 POST (return_records)",
  },
  "Certificate read": { sync: 0, later: 1, why: "1 GET by UUID" },
  "Certificate renew: install new, KeyManager PATCH, delete old": {
    sync: 0,
    later: 4,
    why: "1 GET + 1 POST for the new certificate, 1 PATCH of the key manager (by UUID: no lookup), 1 DELETE",
  },
  "Certificate delete": { sync: 0, later: 1, why: "1 DELETE" },
};

/** One measured operation. */
export interface CallRow extends CallCount {
  /** Operation name, a key of {@link MINIMUMS}. */
  op: string;
  /** The minimum on this release. */
  min: number;
  /** Why that is the minimum. */
  why: string;
}

/** The result of one release's run. */
export interface CallsResult {
  /** "9.6" or a later release. */
  ontapVersion: string;
  /** Whether writes go through jobs. */
  asyncJobs: boolean;
  /** One row per operation. */
  rows: CallRow[];
  /** Version probes over the whole run (per process: expected 1). */
  versionProbes: number;
}

const PASSPHRASE = "bench-onboard-passphrase-0123456789-abcdef";
const NEW_PASSPHRASE = "bench-onboard-passphrase-9876543210-zyxwvu";

/** Runs every operation once against a fresh simulator playing `ontapVersion`. */
export async function measureCalls(ontapVersion: string): Promise<CallsResult> {
  const later = ontapVersion !== "9.6";
  const sim = await startSimulator({ ontapVersion, jobDelayMs: 20 });
  await closeAllClients();
  const rows: CallRow[] = [];
  const row = async <T>(op: string, fn: () => Promise<T>): Promise<T> => {
    const min = MINIMUMS[op];
    if (!min) throw new Error(`no minimum defined for "${op}"`);
    const { result, count } = await counted(sim, fn);
    rows.push({ op, min: later ? min.later : min.sync, why: min.why, ...count });
    return result;
  };
  try {
    await configureProviders(simConfig(sim));
    await runOperations(sim, row);
  } finally {
    await closeAllClients();
    await sim.close();
  }
  return {
    ontapVersion,
    asyncJobs: later,
    rows,
    versionProbes: rows.reduce((n, r) => n + r.versionProbes, 0),
  };
}

type Row = <T>(op: string, fn: () => Promise<T>) => Promise<T>;

async function runOperations(sim: Simulator, row: Row): Promise<void> {
  const later = sim.ontapVersion !== "9.6";
  // External key manager at cluster scope, certificates by name: the life of one resource.
  const raw1 = { external: external(["10.0.0.1"]) };
  const news1 = await row("KeyManager check", () => checked(km, raw1));
  const a = await row("KeyManager create external, 1 server (cert names)", () => km.create(news1));
  let outs = a.outs as Props;
  const news3 = await checked(km, { external: external(["10.0.0.1", "10.0.0.2", "10.0.0.3"]) });
  await row("KeyManager diff", () => km.diff(a.id, outs, news3));
  await row("KeyManager read", () => km.read(a.id, outs));
  outs = (await row("KeyManager add 2 servers", () => km.update(a.id, outs, news3))).outs as Props;
  const news2 = await checked(km, { external: external(["10.0.0.1", "10.0.0.2"]) });
  outs = (await row("KeyManager remove 1 server", () => km.update(a.id, outs, news2))).outs as Props;
  const newsTimeout = await checked(km, {
    external: external(["10.0.0.1", { server: "10.0.0.2", timeout: 40 }]),
  });
  outs = (await row("KeyManager change a server timeout", () => km.update(a.id, outs, newsTimeout)))
    .outs as Props;
  const newsCerts = await checked(km, {
    external: external(["10.0.0.1", { server: "10.0.0.2", timeout: 40 }], "cluster-client-renewed", [
      "cluster-ca-2",
    ]),
  });
  outs = (await row("KeyManager rotate certificates (new names)", () => km.update(a.id, outs, newsCerts)))
    .outs as Props;
  await row("KeyManager delete", () => km.delete(a.id, outs));

  const news4 = await checked(km, {
    svm: "vs0",
    external: external(["10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.4"], "vs0-client", [
      "vs0-ca-1",
      "vs0-ca-2",
    ]),
  });
  const b = await row("KeyManager create external, 4 servers (cert names)", () => km.create(news4));
  await km.delete(b.id, b.outs);

  const uuids = await certificateUuids(sim, ["vs1-client", "vs1-ca-1"]);
  const newsUuid = await checked(km, {
    svm: "vs1",
    external: external(["10.0.2.1"], uuids["vs1-client"], [uuids["vs1-ca-1"]!]),
  });
  const c = await row("KeyManager create external, 1 server (cert UUIDs)", () => km.create(newsUuid));
  await km.delete(c.id, c.outs);

  // Onboard key manager at cluster scope.
  const newsOnboard = await checked(km, { onboard: { passphrase: PASSPHRASE } });
  const d = await row("KeyManager create onboard", () => km.create(newsOnboard));
  await row("KeyManager read onboard", () => km.read(d.id, d.outs));
  if (later) {
    // A node that misses the onboard keys (as after joining the cluster): the refresh that finds it is not counted.
    sim.setOnboardKeysMissing("cluster1-02", true);
    const missing = await km.read(d.id, d.outs);
    await row("KeyManager synchronize onboard keys", () => km.update(d.id, missing.props, newsOnboard));
    sim.setOnboardKeysMissing("cluster1-02", false);
  }
  const newsRotated = await checked(km, { onboard: { passphrase: NEW_PASSPHRASE } });
  const rotated = await row("KeyManager rotate passphrase", () => km.update(d.id, d.outs, newsRotated));
  await km.delete(d.id, rotated.outs);

  // A key server of a listed key manager.
  const host = await km.create(
    await checked(km, { external: external(["10.0.3.1"]), serverManagement: "listed" }),
  );
  const ksRaw = { keyManager: host.id, server: "10.0.3.2" };
  const ksNews = await row("KeyServer check", () => checked(ks, ksRaw));
  const e = await row("KeyServer create", () => ks.create(ksNews));
  const ksChanged = await checked(ks, { ...ksRaw, timeout: 30 });
  await row("KeyServer diff", () => ks.diff(e.id, e.outs, ksChanged));
  const read = await row("KeyServer read", () => ks.read(e.id, e.outs));
  const updated = await row("KeyServer update (timeout)", () => ks.update(e.id, read.props, ksChanged));
  // A profile naming the same cluster (e.g. the default connection given a name).
  await configureProviders({
    ...simConfig(sim),
    "ontap:profiles": JSON.stringify({ same: { host: sim.url } }),
  });
  const ksProfiled = await checked(ks, { ...ksRaw, timeout: 30, profile: "same" });
  const moved = await row("KeyServer change profile", () => ks.update(e.id, updated.outs, ksProfiled));
  await row("KeyServer delete", () => ks.delete(e.id, moved.outs));
  const ksSet = await checked(ks, { keyManager: host.id, server: "10.0.3.3", timeout: 40 });
  const f = await row("KeyServer create with timeout", () => ks.create(ksSet));
  await ks.delete(f.id, f.outs);
  await km.delete(host.id, host.outs);

  if (sim.ontapVersion !== "9.6") await certificateOperations(row);
}

/** A client certificate and a CA installed, a key manager using them, the client renewed, all removed. */
async function certificateOperations(row: Row): Promise<void> {
  const ca = await caCertificate("bench KMIP CA");
  const pair = keyPair();
  const first = await clientCertificate("bench-kmip", ca, pair, 365);
  const renewed = await clientCertificate("bench-kmip", ca, pair, 730);
  const clientRaw = (pem: { cert: string; key: string }): Props => ({
    namePrefix: "kmip-client",
    type: "client",
    certificate: pem.cert,
    privateKey: pem.key,
    svm: "vs0",
  });
  const news = await row("Certificate check", () => checked(ct, clientRaw(first)));
  const c1 = await row("Certificate install (client)", () => ct.create(news));
  const caRes = await ct.create(
    await checked(ct, { namePrefix: "kmip-ca", type: "server_ca", certificate: ca.cert, svm: "vs0" }),
  );
  await row("Certificate read", () => ct.read(c1.id, c1.outs));
  const k = await km.create(
    await checked(km, { svm: "vs0", external: external(["10.0.4.1"], c1.id, [caRes.id]) }),
  );
  const renewedNews = await checked(ct, clientRaw(renewed));
  const kmNews = (id: string): Promise<Props> =>
    checked(km, { svm: "vs0", external: external(["10.0.4.1"], id, [caRes.id]) });
  const c2 = await row("Certificate renew: install new, KeyManager PATCH, delete old", async () => {
    const created = await ct.create(renewedNews);
    await km.update(k.id, k.outs, await kmNews(created.id));
    await ct.delete(c1.id, c1.outs);
    return created;
  });
  await km.delete(k.id, k.outs);
  await row("Certificate delete", () => ct.delete(c2.id, c2.outs));
  await ct.delete(caRes.id, caRes.outs);
}

/** Certificate UUIDs by name, read the way an administrator would (outside any measured operation). */
async function certificateUuids(sim: Simulator, names: string[]): Promise<Record<string, string>> {
  const client = getClient(resolveConnection({ config: simConfig(sim) }));
  const svmName = names[0]!.replace(/-client$/, "");
  const certs = await listCertificates(client, { svmName });
  const out: Record<string, string> = {};
  for (const name of names) {
    const found = certs.find((c) => c.name === name);
    if (!found) throw new Error(`certificate ${name} is not seeded`);
    out[name] = found.uuid;
  }
  return out;
}
