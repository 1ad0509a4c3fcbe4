/**
 * `npm run demo`: the embedded ONTAP simulator and the real Pulumi engine walk through the quickstart, narrated:
 * `up`, an idempotent `preview`, drift made out of band and found by `preview --refresh`, healed by
 * `up --refresh`, then onboard key management with a passphrase rotation, and `destroy`. Every step checks its
 * outcome; the demo exits non-zero when one is not what it should be.
 *
 * @packageDocumentation
 */
import type { ConfigMap } from "@pulumi/pulumi/automation";
import { type Simulator, startSimulator } from "pulumi-ontap-keymanager/simulator";
import {
  type Changes,
  type EngineStack,
  REPO_ROOT,
  getPulumiDir,
  ontapConfig,
  openStack,
} from "../test/support/automation";
import { OntapAdmin } from "../test/support/ontapAdmin";
import * as path from "node:path";

const started = Date.now();
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[22m` : s);
const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[22m` : s);
let stepNumber = 0;

function say(text = ""): void {
  process.stdout.write(`${text}\n`);
}

function step(title: string, why: string): void {
  stepNumber += 1;
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  say();
  say(
    bold(`━━ ${stepNumber}. ${title} ${"━".repeat(Math.max(3, 86 - title.length))} ${dim(`t=${seconds}s`)}`),
  );
  say(why);
  say();
}

/** Lines of the CLI's output that say nothing about this demo. */
const BOILERPLATE = [
  "The resources in the stack have been deleted",
  "If you want to remove the stack completely",
];

/** The engine's output, indented, without its progress-spinner lines. */
function engineOutput(text: string): void {
  for (const line of text.split("\n")) {
    if (line.startsWith("@ ") || line.trim() === "" || BOILERPLATE.some((b) => line.startsWith(b))) continue;
    say(dim(`   │ ${line}`));
  }
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`demo check failed: ${what}`);
  say(`   ✔ ${what}`);
}

function describeChanges(changes: Changes): string {
  const entries = Object.entries(changes);
  return entries.length === 0
    ? "no changes"
    : entries.map(([name, ops]) => `${name}: ${ops.join(" → ")}`).join(", ");
}

/** The writes ONTAP received since the log was cleared (GETs and job polls left out). */
function ontapWrites(sim: Simulator): string[] {
  return sim
    .requestLog()
    .filter((e) => e.method !== "GET")
    .map((e) => `${e.method} ${e.path.split("?")[0]} → ${e.status}`);
}

function showWrites(sim: Simulator): void {
  const writes = ontapWrites(sim);
  say(`   ONTAP received ${writes.length === 0 ? "no writes" : "these writes"}:`);
  for (const w of writes) say(`     ${w}`);
}

async function main(): Promise<void> {
  say(
    bold(
      "pulumi-ontap-keymanager demo: the quickstart with the real Pulumi engine against a simulated ONTAP",
    ),
  );

  step(
    "Start the embedded ONTAP simulator",
    "A real HTTPS server that plays ONTAP 9.13 (writes run as asynchronous jobs). It has data SVMs vs0 and vs1\n" +
      "and their certificates installed, e.g. vs0-client, vs0-client-renewed, vs0-ca-1.",
  );
  const sim = await startSimulator({ ontapVersion: "9.13", jobDelayMs: 50 });
  const admin = new OntapAdmin(sim);
  say(`   ONTAP ${sim.ontapVersion} at ${sim.url}, user ${sim.username} (password random, kept as a secret)`);
  const stacks: EngineStack[] = [];

  try {
    step(
      "Get the Pulumi engine",
      "scripts/get-pulumi.sh uses `pulumi` from PATH, or a cached build, or builds it from the Go module proxy\n" +
        "(about 15 minutes, once per machine).",
    );
    const dir = await getPulumiDir({ onProgress: (line) => say(dim(`   │ ${line}`)) });
    say(`   pulumi CLI in ${dir}`);

    const quickstartDir = path.join(REPO_ROOT, "examples", "quickstart");
    const qs = "ontap-km-quickstart";
    const quickstartConfig: ConfigMap = {
      ...ontapConfig(sim),
      [`${qs}:svm`]: { value: "vs0" },
      [`${qs}:clientCertificate`]: { value: "vs0-client" },
      [`${qs}:serverCaCertificates`]: { value: JSON.stringify(["vs0-ca-1"]) },
      [`${qs}:servers`]: {
        value: JSON.stringify(["10.0.0.1", { server: "kmip2.example.com:5697", timeout: 30 }]),
      },
    };
    const quickstart = await openStack({
      projectDir: quickstartDir,
      config: quickstartConfig,
    });
    stacks.push(quickstart);

    step(
      "pulumi up: the quickstart",
      "examples/quickstart declares one external (KMIP) key manager. Stack config: ontap:host, ontap:username,\n" +
        "ontap:password (secret), ontap:caCert; svm=vs0, clientCertificate=vs0-client,\n" +
        'serverCaCertificates=["vs0-ca-1"], servers=["10.0.0.1", {server: "kmip2.example.com:5697", timeout: 30}].\n' +
        "(SVM vs0 keeps the cluster scope free for the onboard key manager of step 8.)",
    );
    sim.clearRequestLog();
    const up = await quickstart.up();
    engineOutput(up.output);
    showWrites(sim);
    const km = await admin.keyManager("vs0");
    check(
      JSON.stringify(up.changes) === JSON.stringify({ "key-manager": ["create"] }),
      "created key-manager",
    );
    check(
      (km.external?.servers ?? []).map((s) => s.server).join(",") === "10.0.0.1:5696,kmip2.example.com:5697",
      `ONTAP has key manager ${km.uuid} on SVM vs0 with key servers 10.0.0.1:5696 and kmip2.example.com:5697`,
    );

    step(
      "pulumi preview: nothing to do",
      "Run right after `up`, a preview must find the program and ONTAP in step.",
    );
    const idle = await quickstart.preview();
    engineOutput(idle.output);
    check(Object.keys(idle.changes).length === 0, `preview: ${describeChanges(idle.changes)}`);

    step(
      "Drift, made out of band",
      "An administrator changes the cluster through ONTAP's REST API, outside Pulumi: adds a rogue key server\n" +
        "and swaps the client certificate for vs0-client-renewed.",
    );
    await admin.addKeyServer(km.uuid, "10.66.66.66");
    say(`   POST /api/security/key-managers/${km.uuid}/key-servers {"server": "10.66.66.66"}`);
    const renewed = await admin.certificateUuid("vs0-client-renewed", "vs0");
    await admin.setClientCertificate(km.uuid, renewed);
    say(
      `   PATCH /api/security/key-managers/${km.uuid} {"external": {"client_certificate": {"uuid": "${renewed}"}}}`,
    );

    step(
      "pulumi preview --refresh: the drift is found",
      "Refresh reads the key manager back from ONTAP; the preview then shows what `up` would put right. Servers\n" +
        "are keyed by address in state, so the rogue one reads `+ 10.66.66.66:5696` (refresh) and `-` (update).",
    );
    const drift = await quickstart.preview({ refresh: true, diff: true });
    engineOutput(drift.output);
    check(
      JSON.stringify(drift.changes) === JSON.stringify({ "key-manager": ["update"] }),
      `preview --refresh: ${describeChanges(drift.changes)}`,
    );
    check(
      /^\s*│?\s*\+ 10\.66\.66\.66:5696\s*: \{$/m.test(drift.output) && !/\[\d+\]:/.test(drift.output),
      "the rogue server reads as one added key server (+ 10.66.66.66:5696); no other server shifts",
    );

    step(
      "pulumi up --refresh: the drift is healed",
      "The rogue server is removed and the client certificate set back, with the fewest calls ONTAP allows.",
    );
    sim.clearRequestLog();
    const heal = await quickstart.up({ refresh: true });
    engineOutput(heal.output);
    showWrites(sim);
    const healed = await admin.keyManager("vs0");
    check(
      (healed.external?.servers ?? []).map((s) => s.server).join(",") ===
        "10.0.0.1:5696,kmip2.example.com:5697",
      "the rogue key server is gone",
    );
    check(
      healed.external?.client_certificate?.uuid === (await admin.certificateUuid("vs0-client", "vs0")),
      "the client certificate is vs0-client again",
    );
    const again = await quickstart.preview({ refresh: true });
    check(
      Object.keys(again.changes).length === 0,
      `a second preview --refresh: ${describeChanges(again.changes)}`,
    );

    const passphrase1 = "demo-onboard-passphrase-one-0123456789";
    const passphrase2 = "demo-onboard-passphrase-two-9876543210";
    const ob = "ontap-km-onboard-rotation";
    const onboard = await openStack({
      projectDir: path.join(REPO_ROOT, "examples", "onboard-rotation"),
      config: { ...ontapConfig(sim), [`${ob}:passphrase`]: { value: passphrase1, secret: true } },
    });
    stacks.push(onboard);

    step(
      "pulumi up: onboard key management for the cluster",
      "examples/onboard-rotation: the passphrase comes from the stack config as a secret\n" +
        "(pulumi config set --secret passphrase ...), so it is encrypted in the state and hidden in every diff.",
    );
    const onboardUp = await onboard.up();
    engineOutput(onboardUp.output);
    check(
      sim.checkOnboardPassphrase(passphrase1),
      "ONTAP's onboard key manager uses the configured passphrase",
    );

    step(
      "Passphrase rotation",
      "pulumi config set --secret passphrase <new>; pulumi up. One PATCH carries the previous passphrase (from the\n" +
        "encrypted state) and the new one.",
    );
    await onboard.setConfig({ [`${ob}:passphrase`]: { value: passphrase2, secret: true } });
    sim.clearRequestLog();
    const rotate = await onboard.up();
    engineOutput(rotate.output);
    showWrites(sim);
    check(ontapWrites(sim).length === 1 && ontapWrites(sim)[0]!.startsWith("PATCH "), "exactly one PATCH");
    check(sim.checkOnboardPassphrase(passphrase2), "ONTAP accepts the new passphrase");
    check(!sim.checkOnboardPassphrase(passphrase1), "ONTAP refuses the old one");
    const stored = (await onboard.storedText()) + (await quickstart.storedText());
    check(
      ![passphrase1, passphrase2, sim.password].some((secret) => stored.includes(secret)),
      "no passphrase and no ONTAP password in plain text in the stacks' state and config",
    );

    step("pulumi destroy", "Both stacks are destroyed; ONTAP is left with no key manager.");
    for (const stack of [quickstart, onboard]) {
      const destroyed = await stack.destroy();
      engineOutput(destroyed.output);
    }
    check(sim.keyManagers().length === 0, "the simulator has no key managers");

    say();
    say(bold(`Done in ${((Date.now() - started) / 1000).toFixed(0)} s.`));
  } finally {
    for (const stack of stacks) await stack.close();
    await admin.close();
    await sim.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
