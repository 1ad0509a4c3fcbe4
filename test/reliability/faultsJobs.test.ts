/**
 * Fault injection against a later ONTAP release, where writes answer 202 and run as jobs: every operation of
 * both resources with a failed job and with a write applied whose answer is lost (its job may still be running
 * when the provider looks), plus one seeded transport fault (5xx, reset or stall) per operation. After the
 * faulty run and after a second, clean run: no duplicate, no orphan, every recorded resource as its outputs
 * describe it; the second run converges. Reproduce with RELIABILITY_SEED=<seed>.
 */
import { type FaultKind, OPERATIONS, drawScenarios, faultSuite, type Timing } from "./scenarios";
import { Rng, suiteSeed } from "./support";

const VERSION = "9.13";
const seed = suiteSeed();
const timing: Timing = { requestTimeoutS: 1, jobDelayMs: 20 };
const picks = new Rng(seed ^ 0x5eed);
const transport = new Map(OPERATIONS.map((op) => [op, picks.pick<FaultKind>(["5xx", "reset", "stall"])]));
const scenarios = drawScenarios(
  new Rng(seed ^ 0x913),
  true,
  timing,
  (op, kind) => kind === "drop-after-apply" || kind === "job-failure" || transport.get(op) === kind,
  [
    // A lost answer while the write's job still runs (150 ms) or has just ended (5 ms) when the provider looks.
    { op: "km-create", kind: "drop-after-apply", pin: { jobDelayMs: 150 } },
    { op: "km-create", kind: "drop-after-apply", pin: { jobDelayMs: 5 } },
    { op: "km-update", kind: "drop-after-apply", pin: { variant: "passphrase", jobDelayMs: 150 } },
    { op: "km-update", kind: "drop-after-apply", pin: { variant: "several", jobDelayMs: 150 } },
    { op: "km-delete", kind: "drop-after-apply", pin: { jobDelayMs: 150 } },
    { op: "ks-create", kind: "drop-after-apply", pin: { jobDelayMs: 150 } },
    { op: "ks-delete", kind: "drop-after-apply", pin: { jobDelayMs: 150 } },
  ],
);
faultSuite(VERSION, seed, timing, scenarios);
