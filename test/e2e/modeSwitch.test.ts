/**
 * End to end with the real Pulumi engine: the cluster's onboard key manager (examples/onboard-rotation, run from a
 * copy) protects an encrypted volume; the program is rewritten to external (the quickstart's program) and back.
 * On 9.16 each change is ONE `pulumi up` that switches in place (an update, never a delete of the active
 * configuration; the volume stays). On 9.13 the same program previews as a replacement, and `up` is refused by
 * ONTAP (65536867, encrypted volumes) with our explanation, nothing deleted.
 */
import { copyFile } from "node:fs/promises";
import * as path from "node:path";
import { type EngineStack, ontapConfig, openStack } from "../support/automation";
import { OntapAdmin } from "../support/ontapAdmin";
import { type Simulator, startSimulator } from "../../simulator";
import { rejectionMessage } from "../support/rejection";
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

const PASSPHRASE = "e2e-switch-passphrase-ALPHA-0123456789";
const KM = "/api/security/key-managers";
const KS = "/api/security/key-stores";

/** One stack on one simulator: the onboard example's copy, with the quickstart's config set too. */
function switchStack(release: string) {
  const project = projectNameOf(exampleDir("onboard-rotation"));
  const ctx = {} as { copy: ProjectCopy; sim: Simulator; admin: OntapAdmin; stack: EngineStack };

  beforeAll(async () => {
    await prepareEngine();
    ctx.copy = await copyProject(exampleDir("onboard-rotation"));
    ctx.sim = await startSimulator({ ontapVersion: release, jobDelayMs: 20 });
    ctx.admin = new OntapAdmin(ctx.sim);
    ctx.stack = await openStack({
      projectDir: ctx.copy.dir,
      config: {
        ...ontapConfig(ctx.sim),
        [`${project}:passphrase`]: { value: PASSPHRASE, secret: true },
        [`${project}:clientCertificate`]: { value: "cluster-client" },
        [`${project}:serverCaCertificates`]: { value: JSON.stringify(["cluster-ca-1"]) },
        [`${project}:servers`]: { value: JSON.stringify(["10.0.0.7", { server: "10.0.0.8", timeout: 40 }]) },
      },
    });
  }, ENGINE_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await ctx.stack?.close();
    await ctx.admin?.close();
    await ctx.sim?.close();
    await ctx.copy?.remove();
  });

  return {
    ctx,
    /** Puts an example's program in the project (the user rewrites the program). */
    useProgram: (example: string): Promise<void> =>
      copyFile(path.join(exampleDir(example), "program.ts"), path.join(ctx.copy.dir, "program.ts")),
    /** How many volumes the simulator holds. */
    volumes: async (): Promise<number> =>
      ((await ctx.admin.call("GET", "/api/storage/volumes?fields=uuid")) as { num_records: number })
        .num_records,
  };
}

describe("switching the cluster between onboard and external, ONTAP 9.16", () => {
  const { ctx, useProgram, volumes } = switchStack("9.16");
  let onboard = "";
  let external = "";

  test(
    "onboard -> external in one up (an update), the encrypted volume kept and no delete of the active configuration",
    async () => {
      const { sim, admin, stack } = ctx;
      expect((await stack.up()).changes).toEqual({ "key-manager": ["create"] });
      onboard = (await admin.keyManager()).uuid;
      sim.seedEncryptedVolume("vs0");
      await useProgram("quickstart");

      expect((await stack.preview()).changes).toEqual({ "key-manager": ["update"] });
      sim.clearRequestLog();
      expect((await stack.up()).changes).toEqual({ "key-manager": ["update"] });
      const [km, ...others] = await admin.keyManagers();
      expect(others).toEqual([]);
      expect(km?.external?.servers?.map((s) => [s.server, s.timeout])).toEqual([
        ["10.0.0.7:5696", 25],
        ["10.0.0.8:5696", 40],
      ]);
      external = km!.uuid;
      const log = writes(sim);
      expect(log).toEqual([
        `POST ${KM}`,
        `PATCH ${KS}/${external}`,
        `DELETE ${KS}/${onboard}`,
        `PATCH ${KM}/${external}/key-servers/10.0.0.8%3A5696`,
      ]);
      expect(sim.requestLog().filter((e) => e.path.includes("create_inactive=true"))).toHaveLength(1);
      // No delete of a key manager ever: the old configuration was removed only once inactive (key-stores).
      expect(log.filter((w) => w.startsWith(`DELETE ${KM}`))).toEqual([]);
      expect(await volumes()).toBe(1);
      expect((await stack.preview()).changes).toEqual({});
      // The resource id catches up with the new configuration at the next refresh.
      await stack.refresh();
      expect((await stack.resources()).find((r) => r.name === "key-manager")?.id).toBe(external);
    },
    E2E_TEST_TIMEOUT_MS,
  );

  test(
    "back to onboard in one up; a refused DELETE of the old configuration is recorded and the next up deletes it",
    async () => {
      const { sim, admin, stack } = ctx;
      expect(external).not.toBe("");
      await useProgram("onboard-rotation");
      expect((await stack.preview()).changes).toEqual({ "key-manager": ["update"] });
      sim.injectFault({
        method: "DELETE",
        path: `${KS}/${external}`,
        action: { type: "status", status: 400, code: "65539593", message: "switching" },
      });
      sim.clearRequestLog();
      const failed = await rejectionMessage(stack.up());
      expect(failed).toContain(`deleting the previous configuration ${external}`);
      const back = (await admin.keyManagers()).find((k) => k.onboard?.enabled === true);
      expect(back).toBeDefined();
      expect(writes(sim)).toEqual([`POST ${KM}`, `PATCH ${KS}/${back!.uuid}`, `DELETE ${KS}/${external}`]);
      expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(true);

      // The state names the new configuration and the old one as a leftover: an update, which deletes it.
      expect((await stack.preview()).changes).toEqual({ "key-manager": ["update"] });
      sim.clearRequestLog();
      expect((await stack.up()).changes).toEqual({ "key-manager": ["update"] });
      expect(writes(sim)).toEqual([`DELETE ${KS}/${external}`]);
      expect((await admin.keyManagers()).map((k) => k.uuid)).toEqual([back!.uuid]);
      expect(await volumes()).toBe(1);
      expect((await stack.preview({ refresh: true })).changes).toEqual({});
    },
    E2E_TEST_TIMEOUT_MS,
  );
});

describe("changing the cluster between onboard and external, ONTAP 9.13", () => {
  const { ctx, useProgram, volumes } = switchStack("9.13");

  test(
    "the same program previews a replacement, and up is refused by ONTAP (65536867) with the explanation, nothing deleted",
    async () => {
      const { sim, admin, stack } = ctx;
      expect((await stack.up()).changes).toEqual({ "key-manager": ["create"] });
      const onboard = await admin.keyManager();
      sim.seedEncryptedVolume("vs0");
      await useProgram("quickstart");

      expect((await stack.preview()).changes).toEqual({
        "key-manager": ["delete-replaced", "replace", "create-replacement"],
      });
      sim.clearRequestLog();
      const refused = await rejectionMessage(stack.up());
      expect(refused).toContain(`key manager ${onboard.uuid} was NOT deleted`);
      expect(refused).toContain("65536867");
      expect(refused).toContain("deleting it would make their data unreadable");
      expect(refused).toContain(
        "ONTAP 9.16.1 and later the cluster switches between onboard and external in place",
      );
      expect(writes(sim)).toEqual([`DELETE ${KM}/${onboard.uuid}`]);
      expect((await admin.keyManagers()).map((k) => k.uuid)).toEqual([onboard.uuid]);
      expect(sim.checkOnboardPassphrase(PASSPHRASE)).toBe(true);
      expect(await volumes()).toBe(1);
    },
    E2E_TEST_TIMEOUT_MS,
  );
});
