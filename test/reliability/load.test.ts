/**
 * Load: 200 key managers created in parallel, one per data SVM, then 4 KeyServers per key manager in parallel
 * (800 at once), then a refresh of everything and the deletes, all in parallel as the engine runs independent
 * resources. Every call succeeds, ONTAP never refuses a request (no 5th server, no second key manager in a
 * scope), the state describes ONTAP exactly, and one connection pool of at most 10 sockets carries it all.
 *
 * Each key manager lists one server and leaves the others to KeyServers (`serverManagement: "listed"`); ONTAP
 * allows 4 servers per key manager, so 3 KeyServers add servers and the 4th takes over the listed one
 * (`adopt: true`, same settings: no write).
 */
import { closeAllClients, openTransportCount } from "../../provider/ontap";
import { startSimulator, type Simulator } from "../../simulator";
import {
  type Props,
  type Recorded,
  checkedInputs,
  configure,
  describeError,
  engineCreate,
  engineDelete,
  km,
  ks,
  quiet,
  simConfig,
  simKeyManagers,
  violations,
} from "./support";

const COUNT = 200;
const ip = (i: number, host: number): string => `10.${Math.floor(i / 250)}.${i % 250}.${host}`;

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ ontapVersion: "9.6", dataSvms: COUNT, latencyMs: 0 });
  await configure(simConfig(sim));
});

afterAll(async () => {
  await closeAllClients();
  await sim?.close();
});

/** Runs every step at once; fails with the first errors when any step failed. */
async function allSucceed(what: string, steps: Promise<{ state: Recorded | undefined; error?: unknown }>[]) {
  const results = await Promise.all(steps);
  const failed = results.filter((r) => r.error !== undefined);
  if (failed.length > 0) {
    throw new Error(
      `${failed.length} of ${results.length} ${what} failed, e.g.: ${failed
        .slice(0, 3)
        .map((r) => describeError(r.error))
        .join(" | ")}`,
    );
  }
  return results;
}

function refusals(): string[] {
  // A KeyServer create reads before it writes: its GET answers 404 (the server is not there yet), which is the
  // answer it needs, not a refusal.
  const preRead = (e: { method: string; path: string; status: number }): boolean =>
    e.method === "GET" && e.status === 404 && /\/key-servers\/[^/?]+\?/.test(e.path);
  return sim
    .requestLog()
    .filter((e) => (e.status < 200 || e.status >= 300) && !preRead(e))
    .map((e) => `${e.method} ${e.path} -> ${e.status}`);
}

test(`${COUNT} key managers and ${COUNT * 4} KeyServers, all in parallel`, async () => {
  const kmNews = await Promise.all(
    Array.from({ length: COUNT }, (_, i) =>
      checkedInputs(km, {
        svm: `vs${i}`,
        external: {
          clientCertificate: `vs${i}-client`,
          serverCaCertificates: [`vs${i}-ca-1`],
          servers: [ip(i, 1)],
        },
        serverManagement: "listed",
      }),
    ),
  );
  sim.clearRequestLog();
  const kmStates = (
    await allSucceed(
      "key manager creates",
      kmNews.map((n) => engineCreate(km, n)),
    )
  ).map((r) => r.state!);
  expect(new Set(kmStates.map((s) => s.id)).size).toBe(COUNT);
  expect(simKeyManagers(sim)).toHaveLength(COUNT);

  const ksNews: Props[] = [];
  for (const [i, s] of kmStates.entries()) {
    for (const host of [2, 3, 4])
      ksNews.push(await checkedInputs(ks, { keyManager: s.id, server: ip(i, host) }));
    ksNews.push(await checkedInputs(ks, { keyManager: s.id, server: ip(i, 1), adopt: true }));
  }
  const ksStates = (
    await allSucceed(
      "KeyServer creates",
      ksNews.map((n) => engineCreate(ks, n)),
    )
  ).map((r) => r.state!);
  await quiet(sim, undefined);
  expect(refusals()).toEqual([]);
  for (const k of simKeyManagers(sim)) expect(k.external?.servers).toHaveLength(4);
  expect(violations(sim, { keyManagers: kmStates, keyServers: ksStates })).toEqual([]);
  // One pool per cluster, at most 10 sockets, all kept alive.
  expect(openTransportCount()).toBe(1);
  expect(new Set(sim.requestLog().map((e) => e.connection)).size).toBeLessThanOrEqual(10);
  expect(sim.tlsHandshakes()).toBeLessThanOrEqual(10);

  // A refresh of everything at once: nothing is gone, nothing drifted.
  const reads = await Promise.all([
    ...kmStates.map(async (s, i) => {
      const r = await km.read(s.id, s.outs);
      return r.id === s.id && (await km.diff(s.id, r.props, kmNews[i])).changes === false;
    }),
    ...ksStates.map(async (s, i) => {
      const r = await ks.read(s.id, s.outs);
      return r.id === s.id && (await ks.diff(s.id, r.props, ksNews[i])).changes === false;
    }),
  ]);
  expect(reads.filter((ok) => !ok)).toHaveLength(0);

  // Deletes in parallel: the KeyServers that added servers, then the key managers.
  const added = ksStates.filter((_, i) => i % 4 !== 3);
  await allSucceed(
    "KeyServer deletes",
    added.map((s) => engineDelete(ks, s)),
  );
  for (const k of simKeyManagers(sim)) expect(k.external?.servers.map((s) => s.server)).toHaveLength(1);
  await allSucceed(
    "key manager deletes",
    kmStates.map((s) => engineDelete(km, s)),
  );
  await quiet(sim, undefined);
  expect(simKeyManagers(sim)).toEqual([]);
  expect(refusals()).toEqual([]);
}, 120_000);
