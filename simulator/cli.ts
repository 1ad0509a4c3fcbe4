#!/usr/bin/env node
/**
 * `npm run simulator -- --port 8443 [--ontap-version 9.13] [--state FILE]`: starts the simulator, prints its
 * URL, credentials and CA certificate, logs requests to stderr and serves until SIGINT/SIGTERM.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startSimulator } from "./server";
import type { SimulatorOptions } from "./types";

const usage = `usage: npm run simulator -- [options]
  --port N               port to listen on (default 8443; 0 = any free port)
  --host ADDR            address to listen on (default 127.0.0.1)
  --ontap-version V      release to play: 9.6 (default, synchronous) or later, e.g. 9.13 (jobs)
  --state FILE           keep the configuration in FILE across restarts
  --username NAME        Basic-auth user (default admin)
  --password PW          Basic-auth password (default: $ONTAP_SIMULATOR_PASSWORD, else random)
  --data-svms N|a,b      data SVMs to seed (default vs0,vs1)
  --cluster-name NAME    cluster / admin SVM name (default cluster1)
  --job-delay-ms MS      time a job takes (default 50)
  --latency-ms MS        latency added to each request (default 0)
  --ca-file FILE         also write the CA certificate PEM to FILE
  --quiet                do not log requests to stderr`;

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a non-negative integer`);
  return Number(v);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: "string" },
        host: { type: "string" },
        "ontap-version": { type: "string" },
        state: { type: "string" },
        username: { type: "string" },
        password: { type: "string" },
        "data-svms": { type: "string" },
        "cluster-name": { type: "string" },
        "job-delay-ms": { type: "string" },
        "latency-ms": { type: "string" },
        "ca-file": { type: "string" },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const svms = values["data-svms"];
  const options: SimulatorOptions = {
    port: num("port", values.port) ?? 8443,
    host: values.host,
    ontapVersion: values["ontap-version"],
    stateFile: values.state,
    username: values.username,
    password: values.password ?? (process.env.ONTAP_SIMULATOR_PASSWORD || undefined),
    dataSvms:
      svms === undefined ? undefined : /^\d+$/.test(svms) ? Number(svms) : svms.split(",").filter(Boolean),
    clusterName: values["cluster-name"],
    jobDelayMs: num("job-delay-ms", values["job-delay-ms"]),
    latencyMs: num("latency-ms", values["latency-ms"]),
    log: values.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
  };
  const sim = await startSimulator(options);
  if (values["ca-file"]) writeFileSync(values["ca-file"], sim.caCert);
  process.stdout.write(
    [
      `ONTAP key-manager simulator playing ONTAP ${sim.ontapVersion}`,
      `url: ${sim.url}`,
      `username: ${sim.username}`,
      `password: ${sim.password}`,
      ...(values["ca-file"] ? [`ca-file: ${values["ca-file"]}`] : []),
      "ca-certificate:",
      sim.caCert.trim(),
      "ready (Ctrl-C to stop)",
      "",
    ].join("\n"),
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    sim.close().then(
      () => process.stdout.write(`simulator stopped (${signal})\n`),
      (e: unknown) => {
        process.stderr.write(`simulator close failed: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((e: unknown) => {
  process.stderr.write(`simulator failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
