/**
 * What our modules add to a provider host's start: fresh `node` processes in a program directory holding the
 * installed package load `@pulumi/pulumi` (what the host loads without us), then our provider object and the
 * KeyManager implementation and run one `check`, then make one client (which loads undici). Medians of wall ms.
 *
 * @packageDocumentation
 */

import { execFileSync } from "node:child_process";
import { median, round } from "./support";

/** Module-loading figures, medians in ms. */
export interface ModuleLoadResult {
  /** Processes measured. */
  runs: number;
  /** `require("@pulumi/pulumi")`: the host's own load, without our modules. */
  pulumiMs: number;
  /** Then our provider object, the implementation and a first `check` (no HTTP code loaded). */
  checkMs: number;
  /** Whether `check` loaded undici (it must not). */
  checkLoadsUndici: boolean;
  /** Then the first client (undici, the TLS settings). */
  firstClientMs: number;
}

const SCRIPT = `
const t0 = performance.now();
require("@pulumi/pulumi");
const t1 = performance.now();
const p = require("pulumi-ontap-keymanager/bin/provider/resources/lazy/km.js");
p.check({}, { svm: "vs0", external: { clientCertificate: "c", serverCaCertificates: ["a"], servers: ["10.0.0.1"] } }).then(() => {
  const t2 = performance.now();
  const undici = Object.keys(require.cache).some((k) => k.includes("/node_modules/undici/"));
  const ontap = require("pulumi-ontap-keymanager/bin/provider/ontap/index.js");
  ontap.getClient(ontap.resolveConnection({ config: { "ontap:host": "https://127.0.0.1:1", "ontap:username": "u", "ontap:password": "p", "ontap:validateCerts": "false" }, env: {} }), { log: () => {} });
  const t3 = performance.now();
  process.stdout.write(JSON.stringify({ pulumi: t1 - t0, check: t2 - t1, undici, client: t3 - t2 }));
});
`;

/**
 * Runs {@link SCRIPT} `runs` times.
 *
 * @param programDir - A program directory holding the package as installed.
 */
export function measureModuleLoad(programDir: string, runs = 7): ModuleLoadResult {
  const each = Array.from({ length: runs }, () => {
    const out = execFileSync(process.execPath, ["-e", SCRIPT], { cwd: programDir, encoding: "utf8" });
    return JSON.parse(out) as { pulumi: number; check: number; undici: boolean; client: number };
  });
  return {
    runs,
    pulumiMs: round(median(each.map((e) => e.pulumi)), 1),
    checkMs: round(median(each.map((e) => e.check)), 1),
    checkLoadsUndici: each.some((e) => e.undici),
    firstClientMs: round(median(each.map((e) => e.client)), 1),
  };
}
