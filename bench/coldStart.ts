/**
 * Cold start of the real dynamic provider host (`@pulumi/pulumi/cmd/dynamic-provider`, plain node in a
 * program directory holding the installed package), driven over gRPC as the engine drives it.
 *
 * @packageDocumentation
 */

import * as path from "node:path";
import { closeAllClients } from "../provider/ontap";
import { startSimulator } from "../simulator";
import { captureProvider, startHost, type PropertyMap } from "../test/support/host";
import { checked, configureProviders, median, providers, round, simConfig } from "./support";

/** Cold-start timings, medians over the runs, in milliseconds from spawning the host. */
export interface ColdStartResult {
  /** Runs measured. */
  runs: number;
  /** The host printed its gRPC port. */
  portMs: number;
  /** The first call answered (the engine's Handshake; GetPluginInfo follows). */
  firstAnswerMs: number;
  /** Configure + Check of a KeyManager answered: the serialized provider loaded and required our package. */
  firstCheckMs: number;
  /** Then a Read answered: undici, TLS handshake and one GET to the cluster. */
  firstReadMs: number;
  /** Each run's figures. */
  each: { portMs: number; firstAnswerMs: number; firstCheckMs: number; firstReadMs: number }[];
}

/**
 * Starts the host `runs` times.
 *
 * @param programDir - A program directory holding the package ({@link prepareProgramDir}).
 */
export async function measureColdStart(programDir: string, runs = 3): Promise<ColdStartResult> {
  const sim = await startSimulator({ ontapVersion: "9.6" });
  const each: ColdStartResult["each"] = [];
  try {
    // A key manager to read, made in-process.
    await configureProviders(simConfig(sim));
    const raw = {
      external: {
        clientCertificate: "cluster-client",
        serverCaCertificates: ["cluster-ca-1"],
        servers: ["10.0.0.1"],
      },
    };
    const created = await providers.km.create(await checked(providers.km, raw));
    await closeAllClients();

    const pkg = path.join(programDir, "node_modules", "pulumi-ontap-keymanager");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed copy, as a user's program loads it
    const { KeyManager } = require(pkg) as typeof import("../provider");
    const captured = await captureProvider(() => new KeyManager("km", raw));
    const config = Object.fromEntries(Object.entries(simConfig(sim)).map(([k, v]) => [k, String(v)]));

    for (let run = 0; run < runs; run++) {
      const t0 = performance.now();
      const host = await startHost({ programDir });
      try {
        await host.configure(config);
        const checkedInputs = await host.check(captured.urn, {}, captured.properties);
        const firstCheckMs = performance.now() - t0;
        if (checkedInputs.failures.length > 0) throw new Error(JSON.stringify(checkedInputs.failures));
        const state = { ...(created.outs as PropertyMap), __provider: captured.providerText };
        const read = await host.read(created.id, captured.urn, state, checkedInputs.inputs);
        const firstReadMs = performance.now() - t0;
        if (read.id !== created.id) throw new Error(`cold-start read did not find ${created.id}`);
        each.push({
          portMs: round(host.timings.portMs, 1),
          firstAnswerMs: round(host.timings.firstAnswerMs, 1),
          firstCheckMs: round(firstCheckMs, 1),
          firstReadMs: round(firstReadMs, 1),
        });
      } finally {
        await host.close();
      }
    }
  } finally {
    await closeAllClients();
    await sim.close();
  }
  const pick = (k: keyof ColdStartResult["each"][number]): number => round(median(each.map((e) => e[k])), 1);
  return {
    runs,
    portMs: pick("portMs"),
    firstAnswerMs: pick("firstAnswerMs"),
    firstCheckMs: pick("firstCheckMs"),
    firstReadMs: pick("firstReadMs"),
    each,
  };
}
