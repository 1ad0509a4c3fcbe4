/**
 * End to end with the real Pulumi engine: examples/onboard-rotation, the cluster's onboard key manager with its
 * passphrase in the stack config as a secret, on both release behaviours: rotation by a config change, the
 * state scanned for the passphrases, and a change of mode (onboard to external) as a delete-before-replace.
 * The project runs from a copy of the example, so that the last test can edit its program as a user would.
 */
import { copyFile } from "node:fs/promises";
import * as path from "node:path";
import { type EngineStack, ontapConfig, openStack } from "../support/automation";
import { OntapAdmin } from "../support/ontapAdmin";
import { type Simulator, startSimulator } from "../../simulator";
import {
  E2E_TEST_TIMEOUT_MS,
  ENGINE_SETUP_TIMEOUT_MS,
  ciphertexts,
  type ProjectCopy,
  copyProject,
  exampleDir,
  expectNoPlaintextSecrets,
  prepareEngine,
  projectNameOf,
  writes,
} from "./helpers";

const FIRST_PASSPHRASE = "e2e-onboard-passphrase-ALPHA-0123456789";
const SECOND_PASSPHRASE = "e2e-onboard-passphrase-BRAVO-9876543210";

describe.each(["9.6", "9.13"])("onboard key manager with rotation, ONTAP %s", (release) => {
  const project = projectNameOf(exampleDir("onboard-rotation"));
  let copy: ProjectCopy;
  let sim: Simulator;
  let admin: OntapAdmin;
  let stack: EngineStack;

  beforeAll(async () => {
    await prepareEngine();
    copy = await copyProject(exampleDir("onboard-rotation"));
    sim = await startSimulator({ ontapVersion: release, jobDelayMs: 20 });
    admin = new OntapAdmin(sim);
    stack = await openStack({
      projectDir: copy.dir,
      config: {
        ...ontapConfig(sim),
        [`${project}:passphrase`]: { value: FIRST_PASSPHRASE, secret: true },
      },
    });
  }, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.close();
    await admin?.close();
    await sim?.close();
    await copy?.remove();
  });

  test(
    "up enables onboard key management with the passphrase from the stack config; a second preview shows no changes",
    async () => {
      const up = await stack.up();
      expect(up.changes).toEqual({ "key-manager": ["create"] });
      const [km, ...others] = await admin.keyManagers();
      expect(others).toEqual([]);
      expect(km).toMatchObject({ scope: "cluster", onboard: { enabled: true } });
      expect(sim.checkOnboardPassphrase(FIRST_PASSPHRASE)).toBe(true);
      expect(await stack.outputs()).toEqual({ keyManagerUuid: km?.uuid, scope: "cluster" });

      const preview = await stack.preview();
      expect(preview.changes).toEqual({});
      expect(preview.output).not.toContain(FIRST_PASSPHRASE);
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "changing the passphrase secret rotates it with one PATCH; ONTAP then accepts only the new one",
    async () => {
      const km = await admin.keyManager();
      await stack.setConfig({ [`${project}:passphrase`]: { value: SECOND_PASSPHRASE, secret: true } });
      sim.clearRequestLog();

      const up = await stack.up({ diff: true });
      expect(up.changes).toEqual({ "key-manager": ["update"] });
      // The detailed diff names the change without showing either passphrase.
      expect(up.output).toContain("[secret]");
      expect(writes(sim)).toEqual([`PATCH /api/security/key-managers/${km.uuid}`]);
      expect(sim.checkOnboardPassphrase(SECOND_PASSPHRASE)).toBe(true);
      expect(sim.checkOnboardPassphrase(FIRST_PASSPHRASE)).toBe(false);
      for (const text of [up.output, JSON.stringify(sim.requestLog())]) {
        expect(text).not.toContain(FIRST_PASSPHRASE);
        expect(text).not.toContain(SECOND_PASSPHRASE);
      }

      expect((await stack.preview({ refresh: true })).changes).toEqual({});
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "the stored state holds neither passphrase nor the ONTAP password in plain text",
    async () => {
      // A refresh rewrites the state from what read returns (outputs and inputs): secrets must stay secret.
      await stack.refresh();
      const stored = await stack.storedText();
      expectNoPlaintextSecrets(stored, {
        "first passphrase": FIRST_PASSPHRASE,
        "second passphrase": SECOND_PASSPHRASE,
        "ONTAP password": sim.password,
      });
      expect(ciphertexts(stored)).toBeGreaterThan(0);
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "switching the program from onboard to external replaces the key manager, the old one deleted first",
    async () => {
      const old = await admin.keyManager();
      // The user rewrites the program: the same resource name, now external (the quickstart's program).
      await copyFile(path.join(exampleDir("quickstart"), "program.ts"), path.join(copy.dir, "program.ts"));
      await stack.setConfig({
        [`${project}:clientCertificate`]: { value: "cluster-client" },
        [`${project}:serverCaCertificates`]: { value: JSON.stringify(["cluster-ca-1"]) },
        [`${project}:servers`]: { value: JSON.stringify(["10.0.0.7"]) },
      });
      sim.clearRequestLog();

      const up = await stack.up();
      expect(up.changes).toEqual({ "key-manager": ["delete-replaced", "replace", "create-replacement"] });
      const log = writes(sim);
      const deleted = log.indexOf(`DELETE /api/security/key-managers/${old.uuid}`);
      expect(deleted).toBeGreaterThanOrEqual(0);
      expect(log.indexOf("POST /api/security/key-managers")).toBeGreaterThan(deleted);
      const [km, ...others] = await admin.keyManagers();
      expect(others).toEqual([]);
      expect(km?.scope).toBe("cluster");
      expect(km?.external?.servers?.map((s) => s.server)).toEqual(["10.0.0.7:5696"]);
      expect(km?.onboard?.enabled ?? false).toBe(false);

      const destroy = await stack.destroy();
      expect(destroy.changes).toEqual({ "key-manager": ["delete"] });
      expect(sim.keyManagers()).toEqual([]);
    },
    E2E_TEST_TIMEOUT_MS,
  );
});
