/**
 * Fault injection against ONTAP 9.6 (synchronous writes): every operation of both resources with every fault
 * kind, seeded. After the faulty run and after a second, clean run: no duplicate, no orphan, every recorded
 * resource as its outputs describe it; the second run converges. Reproduce with RELIABILITY_SEED=<seed>.
 */
import { closeAllClients } from "../../provider/ontap";
import { startSimulator, type Simulator } from "../../simulator";
import { drawScenarios, type Timing } from "./scenarios";
import { Rng, suiteSeed } from "./support";

const VERSION = "9.6";
const seed = suiteSeed();
const timing: Timing = { requestTimeoutS: 1, jobDelayMs: 20 };
const scenarios = drawScenarios(new Rng(seed ^ 0x96), false, timing, undefined, [
  { op: "km-update", kind: "drop-after-apply", pin: { variant: "passphrase" } },
  { op: "km-update", kind: "drop-after-apply", pin: { variant: "several" } },
]);
console.log(`fault injection on ONTAP ${VERSION}: seed ${seed} (reproduce with RELIABILITY_SEED=${seed})`);

let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ ontapVersion: VERSION, jobDelayMs: timing.jobDelayMs });
});

afterAll(async () => {
  await closeAllClients();
  await sim?.close();
});

describe(`fault injection on ONTAP ${VERSION} (seed ${seed})`, () => {
  test.each(scenarios.map((s, i) => [`#${i + 1} ${s.name}`, s] as const))(
    "%s",
    async (_name, scenario) => {
      await scenario.run(sim);
    },
    30_000,
  );
});
