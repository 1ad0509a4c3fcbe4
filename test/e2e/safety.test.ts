/**
 * End to end with the real Pulumi engine (examples/quickstart, run as a real project, on an SVM): the KeyManager's guarantees that only
 * the engine can show. The provider's diff runs in the provider host during `preview` too, with the stack config
 * that `configure` received: an SVM renamed outside Pulumi is never a replacement, and a delete-first replacement
 * that could not be created afterwards fails preview and up before anything is deleted.
 */
import { type EngineStack, ontapConfig, openStack } from "../support/automation";
import { OntapAdmin } from "../support/ontapAdmin";
import { type Simulator, startSimulator } from "../../simulator";
import {
  E2E_TEST_TIMEOUT_MS,
  ENGINE_SETUP_TIMEOUT_MS,
  exampleDir,
  prepareEngine,
  projectNameOf,
  writes,
} from "./helpers";
import { rejectionMessage as failure } from "../support/rejection";

describe.each(["9.6", "9.13"])("KeyManager safety with the engine, ONTAP %s", (release) => {
  const programDir = exampleDir("quickstart");
  const project = projectNameOf(programDir);
  let sim: Simulator;
  let admin: OntapAdmin;
  let stack: EngineStack;
  /** The certificates are named after the SVM they were installed in, which keeps them across a rename. */
  const scope = (svm: string, prefix = svm, client = `${prefix}-client`) => ({
    [`${project}:svm`]: { value: svm },
    [`${project}:clientCertificate`]: { value: client },
    [`${project}:serverCaCertificates`]: { value: JSON.stringify([`${prefix}-ca-1`]) },
  });

  beforeAll(async () => {
    await prepareEngine();
    sim = await startSimulator({ ontapVersion: release, jobDelayMs: 20 });
    admin = new OntapAdmin(sim);
    stack = await openStack({
      projectDir: programDir,
      config: {
        ...ontapConfig(sim),
        ...scope("vs0"),
        [`${project}:servers`]: { value: JSON.stringify(["10.0.0.1"]) },
      },
    });
  }, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
    await admin?.close();
    await sim?.close();
  });

  test(
    "an SVM renamed outside Pulumi: refresh reports it, preview shows an update and up asks for the name; " +
      "protect blocks a destroy; " +
      "an impossible replacement fails preview and up with nothing deleted",
    async () => {
      expect((await stack.up()).changes).toEqual({ "key-manager": ["create"] });
      const created = await admin.keyManager("vs0");

      sim.renameSvm("vs0", "vs0_renamed");
      await stack.refresh();
      // The unchanged program: an update (never a replace) that stops with the name to set.
      expect((await stack.preview()).changes).toEqual({ "key-manager": ["update"] });
      sim.clearRequestLog();
      const renamed = await failure(stack.up());
      expect(renamed).toContain('set `svm: "vs0_renamed"`');
      expect(renamed).toContain("renamed outside Pulumi");
      expect(writes(sim)).toEqual([]);
      await stack.setConfig(scope("vs0_renamed", "vs0"));
      expect((await stack.preview()).changes).toEqual({});
      await stack.up();
      expect(writes(sim)).toEqual([]);
      expect((await admin.keyManager("vs0_renamed")).uuid).toBe(created.uuid);

      // Another SVM, but a client certificate that is not installed there: the create would fail after the delete.
      await stack.setConfig(scope("vs1", "vs1", "vs1-client-missing"));
      sim.clearRequestLog();
      const preview = await failure(stack.preview());
      expect(preview).toContain('client certificate "vs1-client-missing" is not installed in SVM "vs1"');
      expect(preview).toContain("Nothing was deleted");
      const up = await failure(stack.up());
      expect(up).toContain("Nothing was deleted");
      expect(writes(sim)).toEqual([]);
      expect((await admin.keyManager("vs0_renamed")).uuid).toBe(created.uuid);

      // The same move with the installed certificate is a proven replacement.
      await stack.setConfig(scope("vs1"));
      expect((await stack.up()).changes).toEqual({
        "key-manager": ["delete-replaced", "replace", "create-replacement"],
      });
      expect(sim.keyManagers()).toHaveLength(1);
      expect((await admin.keyManager("vs1")).uuid).not.toBe(created.uuid);

      // The example's `protect` config is Pulumi's `protect`: a destroy then fails before anything is deleted.
      await stack.setConfig({ [`${project}:protect`]: { value: "true" } });
      await stack.up();
      sim.clearRequestLog();
      expect(await failure(stack.destroy())).toContain("protected");
      expect(writes(sim)).toEqual([]);
      expect(sim.keyManagers()).toHaveLength(1);
      await stack.setConfig({ [`${project}:protect`]: { value: "false" } });
      await stack.up();
      expect((await stack.destroy()).changes).toEqual({ "key-manager": ["delete"] });
      expect(sim.keyManagers()).toEqual([]);
    },
    E2E_TEST_TIMEOUT_MS,
  );
});
