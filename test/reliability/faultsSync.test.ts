/**
 * Fault injection against ONTAP 9.6 (synchronous writes): every operation of both resources with every fault
 * kind, seeded. After the faulty run and after a second, clean run: no duplicate, no orphan, every recorded
 * resource as its outputs describe it; the second run converges. Reproduce with RELIABILITY_SEED=<seed>.
 */
import { drawScenarios, faultSuite, type Timing } from "./scenarios";
import { Rng, suiteSeed } from "./support";

const VERSION = "9.6";
const seed = suiteSeed();
const timing: Timing = { requestTimeoutS: 1, jobDelayMs: 20 };
const scenarios = drawScenarios(new Rng(seed ^ 0x96), false, timing, undefined, [
  { op: "km-update", kind: "drop-after-apply", pin: { variant: "passphrase" } },
  { op: "km-update", kind: "drop-after-apply", pin: { variant: "several" } },
]);
faultSuite(VERSION, seed, timing, scenarios);
