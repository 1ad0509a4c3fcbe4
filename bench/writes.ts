/**
 * Calls and latency per write on a later release (9.13, 20 ms latency, jobs of 50 ms), with `return_timeout` as
 * the client sends it and with `return_timeout=0` (what the client did before: a 202 and a job to poll for every
 * write). The simulator runs in a child process.
 *
 * @packageDocumentation
 */

import {
  closeAllClients,
  createKeyManager,
  deleteKeyManager,
  getClient,
  resolveConnection,
  updateKeyServer,
  type OntapClient,
} from "../provider/ontap";
import { startChildSimulator } from "./childSimulator";
import { isJobPoll, median, round, sleep } from "./support";

/** One kind of write, one setting. */
export interface WriteRow {
  /** The write. */
  write: string;
  /** `return_timeout` sent, seconds. */
  returnTimeoutS: number;
  /** REST calls per write (job polls and read-backs included). */
  calls: number;
  /** Job polls per write. */
  jobPolls: number;
  /** Median wall ms per write. */
  wallMs: number;
}

/**
 * Measures create (external, certificate UUIDs), a key-server PATCH and a delete, `rounds` times each, with the
 * default `return_timeout` and with 0.
 */
export async function measureWrites(rounds = 5, latencyMs = 20): Promise<WriteRow[]> {
  const sim = await startChildSimulator({ ontapVersion: "9.13", dataSvms: rounds });
  const rows: WriteRow[] = [];
  try {
    await sim.setLatency(latencyMs);
    const settings = resolveConnection({
      config: {
        "ontap:host": sim.url,
        "ontap:username": sim.username,
        "ontap:password": sim.password,
        "ontap:caCert": sim.caCert,
      },
      env: {},
    });
    const certs = (await sim.call(
      "GET",
      "/api/security/certificates?fields=uuid,name,svm&max_records=1000",
    )) as {
      records: { uuid: string; name: string; svm?: { name: string } }[];
    };
    const uuidOf = (name: string): string => certs.records.find((c) => c.name === name)!.uuid;
    for (const returnTimeoutS of [0, undefined]) {
      await closeAllClients();
      const client: OntapClient = getClient(
        settings,
        returnTimeoutS === undefined ? {} : { writeReturnTimeoutS: returnTimeoutS },
      );
      await client.clusterInfo(); // the version probe, once, outside the figures
      const samples: Record<string, { calls: number; polls: number; ms: number }[]> = {};
      const measure = async <T>(write: string, fn: () => Promise<T>): Promise<T> => {
        await sim.clearLog();
        const t0 = performance.now();
        const out = await fn();
        const ms = performance.now() - t0;
        await sleep(50); // the child logs a request once its answer is sent
        const { records } = await sim.log();
        (samples[write] ??= []).push({ calls: records.length, polls: records.filter(isJobPoll).length, ms });
        return out;
      };
      for (let i = 0; i < rounds; i++) {
        const svm = `vs${i}`;
        const km = await measure("KeyManager create (POST)", () =>
          createKeyManager(client, {
            svm: { name: svm },
            external: {
              clientCertificate: { uuid: uuidOf(`${svm}-client`) },
              serverCaCertificates: [{ uuid: uuidOf(`${svm}-ca-1`) }],
              servers: [{ server: "10.0.0.5" }],
            },
          }),
        );
        await measure("key server timeout (PATCH)", () =>
          updateKeyServer(client, km.uuid, "10.0.0.5:5696", { timeout: 20 + i }),
        );
        await measure("KeyManager delete (DELETE)", () => deleteKeyManager(client, km.uuid));
      }
      for (const [write, list] of Object.entries(samples)) {
        rows.push({
          write,
          returnTimeoutS: returnTimeoutS ?? 15,
          calls: round(list.reduce((a, s) => a + s.calls, 0) / list.length, 2),
          jobPolls: round(list.reduce((a, s) => a + s.polls, 0) / list.length, 2),
          wallMs: round(median(list.map((s) => s.ms)), 1),
        });
      }
    }
  } finally {
    await closeAllClients();
    await sim.close();
  }
  return rows;
}
