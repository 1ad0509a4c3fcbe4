/**
 * The provider's HTTP client in a process of its own, for `hostileBodies.test.ts`: one GET of `path` against
 * a scripted server, its own memory sampled all along. Prints one JSON line: what the call did and how much
 * the process grew. Stops itself, reporting "runaway", once it has grown by RUNAWAY_MIB, so that a client
 * without a body limit fails the test quickly instead of taking the machine down.
 *
 * Usage: node -r ts-node/register/transpile-only hostileBodyClient.ts <url> <ca file> <path>
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { closeAllClients, getClient, resolveConnection } from "../../provider/ontap";

const RUNAWAY_MIB = 512;
const MiB = 1024 * 1024;

function report(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function main(): Promise<void> {
  const [url, caFile, path] = process.argv.slice(2);
  if (!url || !caFile || !path) throw new Error("usage: hostileBodyClient.ts <url> <ca file> <path>");
  const settings = resolveConnection({
    config: {
      "ontap:host": url,
      "ontap:username": "admin",
      "ontap:password": "hostile-body-password",
      "ontap:caCert": readFileSync(caFile, "utf8"),
    },
    env: {},
  });
  // The production options: retries included, so that a retry re-reading the body would show.
  const client = getClient(settings);
  // Warm up (modules, TLS, the connection pool), so that the baseline is the client at rest.
  await client.get("/small", z.unknown());
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
    if (peak - baseline > RUNAWAY_MIB * MiB) {
      report({ outcome: "runaway", growthMiB: Math.round((peak - baseline) / MiB) });
      process.exit(0);
    }
  }, 2);
  let outcome: Record<string, unknown>;
  try {
    await client.get(path, z.unknown());
    outcome = { outcome: "resolved" };
  } catch (err) {
    const e = err as Error & Record<string, unknown>;
    outcome = {
      outcome: "rejected",
      name: e.name,
      message: e.message,
      limitBytes: e.limitBytes,
      declaredBytes: e.declaredBytes,
      mayHaveReachedServer: e.mayHaveReachedServer,
    };
  }
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  report({ ...outcome, growthMiB: Math.round(((peak - baseline) / MiB) * 10) / 10 });
  await closeAllClients();
}

main().catch((err: unknown) => {
  report({ outcome: "crashed", message: err instanceof Error ? err.message : String(err) });
  process.exitCode = 1;
});
