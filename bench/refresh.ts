/**
 * Refresh at scale: read 200 key managers (one per data SVM) with 10 reads in flight, as `pulumi refresh`
 * does with its default parallelism, against a simulator that adds 20 ms to every request. The lower bound
 * is 200 / 10 x 20 ms; the ratio to it shows what the provider adds. TLS handshakes are counted by the
 * simulator: a pool that keeps its connections alive needs no more than the parallelism.
 *
 * @packageDocumentation
 */

import { Agent, request } from "undici";
import { KEY_MANAGER_FIELDS, closeAllClients } from "../provider/ontap";
import { type ChildSimulator, startChildSimulator } from "./childSimulator";
import {
  type Props,
  checked,
  configureProviders,
  external,
  median,
  pool,
  providers,
  round,
  simConfig,
  sleep,
} from "./support";

const { km } = providers;

/** The figures of the refresh benchmark. */
export interface RefreshResult {
  /** Key managers read. */
  resources: number;
  /** Reads in flight. */
  parallelism: number;
  /** Latency the simulator adds to each request. */
  latencyMs: number;
  /** resources / parallelism x latency. */
  boundMs: number;
  /** Median wall time of the runs (each with a cold connection pool, like a new provider process). */
  wallMs: number;
  /** wallMs / boundMs. */
  ratio: number;
  /** Wall time of each run. */
  runsMs: number[];
  /**
   * The same 200 GETs from a bare undici client (10 connections, cold each run), run in turn with the
   * provider's: what this machine and the simulator allow, with no provider at all.
   */
  bare: { wallMs: number; ratio: number; runsMs: number[] };
  /** Most TLS handshakes the simulator counted in one run (its `/__sim/log` counter). */
  handshakes: number;
  /** Most distinct connections that carried the provider's requests in one run. */
  connections: number;
  /** REST calls in the last run (1 GET per key manager). */
  calls: number;
  /** Reads that found their key manager (all of them). */
  found: number;
}

/** Runs the refresh benchmark `runs` times. */
export async function measureRefresh(
  resources = 200,
  parallelism = 10,
  latencyMs = 20,
  runs = 5,
): Promise<RefreshResult> {
  // In a child process: the simulator's own CPU must not slow the reads down (a cluster is another machine).
  const sim = await startChildSimulator({ ontapVersion: "9.6", dataSvms: resources });
  try {
    await closeAllClients();
    await configureProviders(simConfig(sim));
    // One key manager per SVM, certificates by name as a program would write them.
    const states = await pool(
      parallelism,
      Array.from({ length: resources }, (_, i) => async () => {
        const svm = `vs${i}`;
        const news = await checked(km, {
          svm,
          external: external([`10.${Math.floor(i / 250)}.${i % 250}.1`], `${svm}-client`, [`${svm}-ca-1`]),
        });
        const created = await km.create(news);
        return { id: created.id, outs: created.outs as Props };
      }),
    );
    const runsMs: number[] = [];
    let handshakes = 0;
    let connections = 0;
    let calls = 0;
    let found = 0;
    const bareRunsMs: number[] = [];
    for (let run = 0; run < runs; run++) {
      // A refresh starts a new provider process: no pooled connection survives from before.
      await closeAllClients();
      await configureProviders(simConfig(sim));
      await sim.clearLog();
      await sim.setLatency(latencyMs);
      const t0 = performance.now();
      const results = await pool(
        parallelism,
        states.map((s) => () => km.read(s.id, s.outs)),
      );
      runsMs.push(performance.now() - t0);
      await sim.setLatency(0);
      found = results.filter((r) => r.id !== "").length;
      // Entries are logged when a response closes: give the last ones a moment.
      await sleep(50);
      const log = await sim.log();
      handshakes = Math.max(handshakes, log.handshakes);
      connections = Math.max(connections, new Set(log.records.map((e) => e.connection)).size);
      calls = log.records.length;

      bareRunsMs.push(
        await bareRefresh(
          sim,
          states.map((s) => s.id),
          parallelism,
          latencyMs,
        ),
      );
    }
    const boundMs = (resources / parallelism) * latencyMs;
    const wallMs = median(runsMs);
    return {
      resources,
      parallelism,
      latencyMs,
      boundMs,
      wallMs: round(wallMs, 1),
      ratio: round(wallMs / boundMs, 3),
      runsMs: runsMs.map((ms) => round(ms, 1)),
      bare: {
        wallMs: round(median(bareRunsMs), 1),
        ratio: round(median(bareRunsMs) / boundMs, 3),
        runsMs: bareRunsMs.map((ms) => round(ms, 1)),
      },
      handshakes,
      connections,
      calls,
      found,
    };
  } finally {
    await closeAllClients();
    await sim.close();
  }
}

/** The provider's reads done by a bare undici client with a cold pool: wall ms. */
async function bareRefresh(
  sim: ChildSimulator,
  ids: readonly string[],
  parallelism: number,
  latencyMs: number,
): Promise<number> {
  const agent = new Agent({ connections: parallelism, pipelining: 1, connect: { ca: sim.caCert } });
  const authorization = `Basic ${Buffer.from(`${sim.username}:${sim.password}`).toString("base64")}`;
  const fields = KEY_MANAGER_FIELDS.join(",");
  try {
    await sim.setLatency(latencyMs);
    const t0 = performance.now();
    await pool(
      parallelism,
      ids.map((id) => async () => {
        const res = await request(`${sim.url}/api/security/key-managers/${id}?fields=${fields}`, {
          dispatcher: agent,
          headers: { authorization, accept: "application/hal+json, application/json" },
        });
        JSON.parse(await res.body.text());
      }),
    );
    return performance.now() - t0;
  } finally {
    await sim.setLatency(0);
    await agent.close();
  }
}
