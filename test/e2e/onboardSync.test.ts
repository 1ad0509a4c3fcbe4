/**
 * End to end with the real Pulumi engine: a node that misses the onboard keys (as after it joined the cluster)
 * shows in `preview --refresh` as an update of the key manager, one `up --refresh` heals it with a single PATCH
 * (`onboard.synchronize` with the passphrase in use), and the next `preview --refresh` shows no changes. Health
 * outputs (`status`) filled in at create never show as changes. ONTAP 9.16 (the per-node key listings are 9.11+).
 */
import { type EngineStack, ontapConfig, openStack } from "../support/automation";
import { type Simulator, startSimulator } from "../../simulator";
import {
  E2E_TEST_TIMEOUT_MS,
  ENGINE_SETUP_TIMEOUT_MS,
  type ProjectCopy,
  copyProject,
  exampleDir,
  prepareEngine,
  projectNameOf,
  writes,
} from "./helpers";

const PASSPHRASE = "e2e-onboard-sync-passphrase-0123456789-xyz";

describe("onboard keys missing on a node, ONTAP 9.16", () => {
  const project = projectNameOf(exampleDir("onboard-rotation"));
  let copy: ProjectCopy;
  let sim: Simulator;
  let stack: EngineStack;

  beforeAll(async () => {
    await prepareEngine();
    copy = await copyProject(exampleDir("onboard-rotation"));
    sim = await startSimulator({ ontapVersion: "9.16", jobDelayMs: 20 });
    stack = await openStack({
      projectDir: copy.dir,
      config: { ...ontapConfig(sim), [`${project}:passphrase`]: { value: PASSPHRASE, secret: true } },
    });
  }, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
    await sim?.close();
    await copy?.remove();
  });

  test(
    "preview --refresh shows the update, up heals it with one PATCH, the next preview shows no changes",
    async () => {
      expect((await stack.up()).changes).toEqual({ "key-manager": ["create"] });
      // Health filled in at create: the first refresh finds nothing to change.
      expect((await stack.preview({ refresh: true })).changes).toEqual({});

      sim.setOnboardKeysMissing("cluster1-02", true);
      const preview = await stack.preview({ refresh: true, diff: true });
      expect(preview.changes).toEqual({ "key-manager": ["update"] });
      expect(preview.output).toContain("keysMissingOnNodes");
      expect(preview.output).toContain("cluster1-02");
      expect(preview.output).not.toContain(PASSPHRASE);
      expect(sim.onboardKeysMissing()).toEqual(["cluster1-02"]);

      const [km] = sim.keyManagers() as { uuid: string }[];
      sim.clearRequestLog();
      const up = await stack.up({ refresh: true });
      expect(up.changes).toEqual({ "key-manager": ["update"] });
      expect(writes(sim)).toEqual([`PATCH /api/security/key-managers/${km?.uuid}`]);
      expect(sim.onboardKeysMissing()).toEqual([]);
      expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(true);
      expect(up.output).not.toContain(PASSPHRASE);

      sim.clearRequestLog();
      expect((await stack.preview({ refresh: true })).changes).toEqual({});
      const again = await stack.up({ refresh: true });
      expect(again.changes).toEqual({});
      expect(writes(sim)).toEqual([]);

      expect((await stack.destroy()).changes).toEqual({ "key-manager": ["delete"] });
    },
    E2E_TEST_TIMEOUT_MS * 2,
  );
});
