/**
 * The implementation behind `keyManagerProvider`: Pulumi's dynamic provider methods for `KeyManager`, gluing
 * the pure model (validation, diff, plans) to the ONTAP REST layer. Loaded by package name at call time by
 * the serialized provider, so module state here (config, connection pools, locks) lives once per provider
 * process.
 *
 * @packageDocumentation
 */

import type * as dynamic from "@pulumi/pulumi/dynamic";
import {
  type CertificateRecord,
  type KeyManagerIdentity,
  type KeyManagerRecord,
  OntapError,
  OntapJobFailedError,
  OntapNotFoundError,
  OntapTimeoutError,
  activeKeyManager,
  createKeyManager,
  deleteKeyManager,
  findKeyManager,
  findKeyManagerForScope,
  findSvm,
  findSvmByName,
  isOutcomeUnknown,
  keyManagerRecordScope,
  listCertificates,
  listKeyManagersOfScope,
  rotateOnboardPassphrase,
  synchronizeOnboardKeys,
  hasKeyIds,
  nodesMissingKeys,
  updateKeyManagerCertificates,
  waitForKeyManagerJobs,
  waitForJobsMentioning,
  OntapCode,
  KEY_MANAGERS_PATH,
  FEATURES,
  apiPath,
  keyManagerPath,
  deleteKeyStore,
  enableKeyStore,
  findKeyStore,
  inactiveOfMode,
  waitForKeyStoreSwitch,
} from "../../ontap";
import type { OntapClient } from "../../ontap/client";
import { addKeyServers, deleteKeyServer, listKeyServers, updateKeyServer } from "../../ontap/keyServers";
import {
  type CertificateResolution,
  type CheckedKeyManagerInputs,
  type KeyManagerInputs,
  type KeyManagerOutputs,
  type KeyManagerPlanStep,
  type KeyManagerState,
  type OnboardOutputs,
  buildKeyManagerOutputs,
  certificateRefsToResolve,
  checkKeyManager,
  desiredKeyManagerState,
  diffKeyManager,
  type DiffOutcome,
  healthFromRecord,
  healthKeptByUpdate,
  needsOnboardSync,
  type ConfigurationView,
  type InactiveConfiguration,
  type KeyManagementMode,
  type ModeSwitchStep,
  asModeSwitch,
  planModeSwitch,
  replacesModeOnly,
  switchableScope,
  isKnownKeyManagerInputs,
  isUnknown,
  isUuid,
  keyManagerInputsFromState,
  keyManagerInputsToState,
  keyManagerMode,
  keyManagerOutputsToState,
  keyManagerStateShape,
  keyManagerStateFromRecord,
  type KeyManagerStateShape,
  parseKeyManagerOutputs,
  planKeyManagerCreate,
  planKeyManagerUpdate,
  readKeyManager,
  serverPatchOf,
  serverSettingsFromRecord,
} from "../model";
import { clientFor, connectionFailures } from "./connection";
import { PartialStateError, hasOntapCode, keepingSerializedProvider, messageOf } from "./failures";
import {
  checkedInputs,
  configureFor,
  diffResult,
  keyManagerLock,
  knownInputs,
  profileOf,
  scopeLock,
} from "./glue";
import { withLock } from "./locks";
import { gatedUses, requireServerFeatures, secondaryRefusal } from "./serverFeatures";
import { assertBounded, settle, settleCheck } from "./settle";

/** Stores the stack config (connection settings and credentials); see `setConfig`. */
export const configure = configureFor("KeyManager");

/** Validates and normalises inputs. No network calls. */
export function check(olds: unknown, news: unknown): Promise<dynamic.CheckResult> {
  return settleCheck("KeyManager", news, () => {
    const result = checkKeyManager(olds, news);
    return {
      inputs: result.valid ? keyManagerInputsToState(result.inputs) : result.inputs,
      failures: [...result.failures, ...connectionFailures(result.inputs.profile)],
    };
  });
}

/** Inputs the engine passes back: what {@link check} returned, in the state layout. */
function checked(news: unknown): CheckedKeyManagerInputs {
  return checkedInputs("KeyManager", checkKeyManager({}, keyManagerInputsFromState(news)));
}

/** Outputs as the engine's property bag, in the state layout (see `KeyManagerStateShape`). */
function outputsRecord(outputs: KeyManagerOutputs, shape?: KeyManagerStateShape): Record<string, unknown> {
  return keyManagerOutputsToState(outputs, shape);
}

function known(news: unknown): KeyManagerInputs {
  return knownInputs("KeyManager", checked(news), isKnownKeyManagerInputs);
}

/**
 * Previous outputs compared with checked inputs. No network call, except where the diff would delete: a
 * replacement of the `svm` first asks whether the program's SVM is the same SVM under another name (an SVM is its
 * UUID), and a delete-first replacement is then proven with read-only calls before the engine deletes anything
 * (see {@link proveReplacement}). Never a write.
 */
export function diff(_id: string, olds: unknown, news: unknown): Promise<dynamic.DiffResult> {
  return settle(
    "KeyManager diff",
    async () => {
      const previous = parseKeyManagerOutputs(olds);
      const inputs = checked(news);
      let outcome = diffKeyManager(previous, inputs);
      if (replacesModeOnly(outcome) && (await switchesInPlace(previous, inputs))) {
        outcome = asModeSwitch(outcome);
      }
      // Before the engine deletes (a replacement) or anything is written: the release must have what is asked for.
      if (outcome.changes && !isUnknown(inputs.profile)) await requireServerReleases(inputs);
      if (outcome.replaces.length > 0) {
        outcome = await settleSvmRename(previous, inputs, outcome);
        if (outcome.replaces.length > 0) await proveReplacement(previous, inputs);
      }
      return diffResult(outcome);
    },
    olds,
    news,
  );
}

/** The release-gated settings of a KeyManager's servers (secondary servers, timeouts -1/0, createRemoveTimeout). */
function serverUses(inputs: CheckedKeyManagerInputs | KeyManagerInputs): ReturnType<typeof gatedUses> {
  const ext = inputs.external;
  if (ext === undefined || isUnknown(ext) || isUnknown(ext.servers)) return [];
  return gatedUses(ext.servers, (s) => `external.servers[${s}].`);
}

/** Fails when the cluster's release lacks a server setting of the inputs (no call when none is used). */
async function requireServerReleases(inputs: CheckedKeyManagerInputs | KeyManagerInputs): Promise<void> {
  const uses = serverUses(inputs);
  if (uses.length > 0) await requireServerFeatures(clientFor(inputs.profile), uses);
}

/**
 * An SVM renamed outside Pulumi keeps its UUID, so a changed `svm` name that still means the same SVM is no
 * replacement: the program naming the SVM by its new name is an update, and the program still naming it by the
 * old name (after a refresh recorded the new one) is an update too, which fails with a clear error asking for the
 * name ({@link checkSvmName}): diff must not fail there, since `pulumi refresh` itself diffs the refreshed state.
 * Only a program naming another existing SVM (another UUID) stays a replacement.
 */
async function settleSvmRename(
  previous: KeyManagerOutputs,
  inputs: CheckedKeyManagerInputs,
  outcome: DiffOutcome,
): Promise<DiffOutcome> {
  const svm = inputs.svm;
  if (!outcome.replaces.includes("svm") || previous.svmUuid === undefined) return outcome;
  if (svm === undefined || isUnknown(svm) || isUnknown(inputs.profile)) return outcome;
  const client = clientFor(inputs.profile);
  const named = await findSvmByName(client, svm);
  const same = named
    ? named.uuid.toLowerCase() === previous.svmUuid.toLowerCase()
    : (await findSvm(client, previous.svmUuid)) !== undefined;
  if (!same) return outcome;
  const replaces = outcome.replaces.filter((r) => r !== "svm");
  return { ...outcome, changes: true, replaces, updates: [...outcome.updates, "svm"] };
}

/**
 * Before an update whose `svm` name differs from the state's: the name must be that of the key manager's SVM (by
 * UUID). A name no SVM has, while the key manager's SVM now has another one, fails with the name to set.
 */
async function checkSvmName(
  client: OntapClient,
  previous: KeyManagerOutputs,
  inputs: KeyManagerInputs,
): Promise<void> {
  if (inputs.svm === undefined || inputs.svm === previous.svm || previous.svmUuid === undefined) return;
  const named = await findSvmByName(client, inputs.svm);
  if (named && named.uuid.toLowerCase() === previous.svmUuid.toLowerCase()) return;
  const ours = await findSvm(client, previous.svmUuid);
  throw new Error(
    `SVM "${inputs.svm}" is not the SVM of key manager ${previous.uuid} (${previous.svmUuid})` +
      (ours ? `, which is now named "${ours.name}": it was renamed outside Pulumi` : "") +
      `. An SVM is its UUID, so this is no replacement and nothing was changed or deleted. Fix: set ` +
      `\`svm: "${ours?.name ?? previous.svm ?? ""}"\` in the program.`,
  );
}

/** The new inputs of a delete-first replacement: known, or this diff cannot prove anything yet (preview). */
function knownForProof(inputs: CheckedKeyManagerInputs): KeyManagerInputs | undefined {
  return isKnownKeyManagerInputs(inputs) ? inputs : undefined;
}

/**
 * Proves a delete-first replacement before the engine deletes anything: with read-only calls through the new
 * inputs' connection, the new SVM exists, no other key manager holds the new scope (or `adopt` may take it, in
 * the same mode), and every certificate is installed in the new scope with the right type. A create that would
 * fail after the delete fails here instead, in preview and in up. With inputs still unknown (preview), the proof
 * runs in `up`, whose diff sees them known.
 */
async function proveReplacement(
  previous: KeyManagerOutputs,
  checkedInputs: CheckedKeyManagerInputs,
): Promise<void> {
  const inputs = knownForProof(checkedInputs);
  if (!inputs) return;
  const client = clientFor(inputs.profile);
  const problems: string[] = [];
  const svm = inputs.svm === undefined ? undefined : await findSvmByName(client, inputs.svm);
  if (inputs.svm !== undefined && !svm) {
    problems.push(`SVM "${inputs.svm}" does not exist on ${client.target} (ONTAP would refuse with 2621462)`);
  } else {
    const scope = svm ? { svmUuid: svm.uuid } : {};
    const others = (await listKeyManagersOfScope(client, scope)).filter(
      (r) => r.uuid.toLowerCase() !== previous.uuid.toLowerCase(),
    );
    const active = activeKeyManager(others);
    const mode = inputs.onboard ? "onboard" : "external";
    if (others.length > 0 && !inputs.adopt) {
      problems.push(
        `${describeScope(inputs)} already has another key manager (${others.map((r) => r.uuid).join(", ")}) and ` +
          `\`adopt\` is not set (ONTAP would refuse with ${OntapCode.SCOPE_HAS_KEY_MANAGER})`,
      );
    } else if (active && modeOf(active) !== mode) {
      problems.push(
        `${describeScope(inputs)} already has an ${modeOf(active)} key manager (${active.uuid}); adopt cannot ` +
          `switch it to ${mode}`,
      );
    }
    problems.push(...(await missingCertificates(client, inputs)));
  }
  if (problems.length > 0) {
    throw new Error(
      `replacing key manager ${previous.uuid} deletes it first and then creates the new one, and the create would ` +
        `fail: ${problems.join("; ")}. Nothing was deleted or changed. Fix: correct the program (or install what ` +
        `is missing on the cluster), then run again.`,
    );
  }
}

/** Certificates of external inputs (by UUID or name) that are not installed in their scope with their type. */
async function missingCertificates(client: OntapClient, inputs: KeyManagerInputs): Promise<string[]> {
  const ext = inputs.external;
  if (!ext) return [];
  const installed = await listCertificates(client, inputs.svm === undefined ? {} : { svmName: inputs.svm });
  const has = (ref: string, type: "client" | "server_ca"): boolean =>
    installed.some(
      (c) =>
        (isUuid(ref) ? c.uuid.toLowerCase() === ref.toLowerCase() : c.name === ref) &&
        (c.type === undefined || c.type === type),
    );
  const missing: string[] = [];
  if (!has(ext.clientCertificate, "client")) {
    missing.push(
      `client certificate "${ext.clientCertificate}" is not installed in ${describeScope(inputs)}`,
    );
  }
  for (const ref of ext.serverCaCertificates) {
    if (!has(ref, "server_ca"))
      missing.push(`server CA certificate "${ref}" is not installed in ${describeScope(inputs)}`);
  }
  if (missing.length > 0)
    missing[missing.length - 1] += ` (ONTAP would refuse with ${OntapCode.CERTIFICATE_NOT_INSTALLED})`;
  return missing;
}

/** A record's mode for the glue's checks: one that says neither counts as onboard (it has no `external` to keep). */
function modeOf(record: KeyManagerRecord): "external" | "onboard" {
  return keyManagerMode(record) ?? "onboard";
}

function describeScope(inputs: { svm?: string }): string {
  return inputs.svm === undefined ? "the cluster" : `SVM "${inputs.svm}"`;
}

/**
 * Resolves certificate names to UUIDs with one GET of the scope's certificates. Names already resolved in
 * `known` (the previous outputs) are not looked up again; UUIDs need no lookup (ONTAP checks them).
 */
async function resolveCertificates(
  client: OntapClient,
  inputs: KeyManagerInputs,
  knownResolution: CertificateResolution = new Map(),
): Promise<CertificateResolution> {
  const resolution = new Map(knownResolution);
  const names = certificateRefsToResolve(inputs).filter((name) => !resolution.has(name));
  if (names.length === 0 || !inputs.external) return resolution;
  const installed = await listCertificates(client, inputs.svm === undefined ? {} : { svmName: inputs.svm });
  const want = (name: string, type: "client" | "server_ca"): CertificateRecord | undefined =>
    installed.find((c) => c.name === name && (c.type === undefined || c.type === type));
  const missing: string[] = [];
  for (const name of names) {
    const type = name === inputs.external.clientCertificate ? "client" : "server_ca";
    const found = want(name, type);
    if (found) resolution.set(name, found.uuid.toLowerCase());
    else missing.push(`${type === "client" ? "client" : "server CA"} certificate "${name}"`);
  }
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(", ")} not installed in ${describeScope(inputs)} (ONTAP would refuse with ${OntapCode.CERTIFICATE_NOT_INSTALLED}). ` +
        `Fix: install the certificate in that scope (security certificate install), or refer to it by the UUID ` +
        `or name of one that is installed there.`,
    );
  }
  return resolution;
}

/** Name-to-UUID pairs that previous outputs already established. */
function previousResolution(previous: KeyManagerOutputs | undefined): CertificateResolution {
  const map = new Map<string, string>();
  const ext = previous?.external;
  if (!ext) return map;
  map.set(ext.clientCertificate, ext.clientCertificateUuid);
  ext.serverCaCertificates.forEach((ref, i) => map.set(ref, ext.serverCaCertificateUuids[i]!));
  for (const [ref, uuid] of map) if (isUuid(ref) && ref !== uuid) map.delete(ref);
  return map;
}

/** Runs plan steps in order against key manager `uuid`. */
async function runSteps(
  client: OntapClient,
  uuid: string,
  steps: readonly KeyManagerPlanStep[],
  passphrases: { existing?: string; next?: string },
  progress: { failed?: KeyManagerPlanStep } = {},
): Promise<void> {
  for (const step of steps) {
    progress.failed = step;
    switch (step.kind) {
      case "patchCertificates":
        await updateKeyManagerCertificates(client, uuid, {
          ...(step.clientCertificateUuid !== undefined
            ? { clientCertificate: { uuid: step.clientCertificateUuid } }
            : {}),
          ...(step.serverCaCertificateUuids !== undefined
            ? { serverCaCertificates: step.serverCaCertificateUuids.map((u) => ({ uuid: u })) }
            : {}),
        });
        break;
      case "addServers":
        await addKeyServers(client, uuid, step.servers);
        break;
      case "removeServer":
        await deleteKeyServer(client, uuid, step.server);
        break;
      case "patchServer":
        await updateKeyServer(client, uuid, step.server, serverPatchOf(step)).catch((err: unknown) => {
          throw secondaryRefusal(err, `key server ${step.server}`) ?? err;
        });
        break;
      case "rotatePassphrase":
        if (passphrases.existing === undefined || passphrases.next === undefined) {
          throw new Error("cannot rotate the passphrase: the current one is not known");
        }
        await rotateOnboardPassphrase(client, uuid, {
          existingPassphrase: passphrases.existing,
          passphrase: passphrases.next,
        });
        break;
    }
  }
  progress.failed = undefined;
}

/** Outputs for what ONTAP holds now, re-read after a failure midway, keeping the user's spellings. */
async function outputsAfterFailure(
  client: OntapClient,
  uuid: string,
  intended: KeyManagerOutputs,
  previous?: KeyManagerOutputs,
): Promise<KeyManagerOutputs | undefined> {
  try {
    // On later releases the failed write's job may still be running: read what it leaves behind.
    await waitForJobsMentioning(client, uuid).catch(() => 0);
    const record = await findKeyManager(client, uuid, { health: true, configuration: true });
    if (!record) return undefined;
    const clientUuid = record.external?.client_certificate?.uuid.toLowerCase();
    return readKeyManager(record, spellingReference(intended, previous, clientUuid)).outputs;
  } catch {
    return undefined;
  }
}

/**
 * The outputs whose certificate spellings a read-back after a failed update should reuse: the intended ones
 * where the change went through, the previous ones where it did not, so a refused update keeps the user's
 * names instead of recording bare UUIDs (which would show a change that makes no call).
 */
function spellingReference(
  intended: KeyManagerOutputs,
  previous: KeyManagerOutputs | undefined,
  clientUuid: string | undefined,
): KeyManagerOutputs {
  const next = intended.external;
  const before = previous?.external;
  if (!next || !before) return intended;
  const pairs = new Map<string, string>();
  before.serverCaCertificates.forEach((ref, i) => pairs.set(ref, before.serverCaCertificateUuids[i]!));
  next.serverCaCertificates.forEach((ref, i) => pairs.set(ref, next.serverCaCertificateUuids[i]!));
  return {
    ...intended,
    external: {
      ...next,
      // readKeyManager matches one client certificate spelling by UUID: offer the one ONTAP holds.
      ...(clientUuid !== before.clientCertificateUuid
        ? {}
        : {
            clientCertificate: before.clientCertificate,
            clientCertificateUuid: before.clientCertificateUuid,
          }),
      serverCaCertificates: [...pairs.keys()],
      serverCaCertificateUuids: [...pairs.values()],
    },
  };
}

/**
 * Converges an existing key manager (adopted, or found after a lost create response) to the inputs, then
 * returns its outputs.
 */
async function converge(
  client: OntapClient,
  record: KeyManagerRecord,
  inputs: KeyManagerInputs,
  resolution: CertificateResolution,
): Promise<KeyManagerOutputs> {
  const mode = inputs.onboard ? "onboard" : "external";
  if (modeOf(record) !== mode) {
    throw new Error(
      `${describeScope(inputs)} already has an ${modeOf(record)} key manager (${record.uuid}); adopt cannot ` +
        `switch it to ${mode}. Fix: delete it first (ONTAP cannot change the mode in place), or declare it as ` +
        `${modeOf(record)}.`,
    );
  }
  // An adopted onboard key manager takes the given passphrase as current: ONTAP cannot check one without
  // changing it, so no rotation is planned (and no probing write is ever made).
  const current = keyManagerStateFromRecord(record, inputs.onboard?.passphrase);
  const desired = desiredKeyManagerState(inputs, resolution);
  const steps = planKeyManagerUpdate(current, desired, {
    serverManagement: inputs.serverManagement,
    previouslyManaged: [],
  });
  const outputs = buildKeyManagerOutputs(inputs, {
    uuid: record.uuid,
    ...(record.svm?.uuid !== undefined ? { svmUuid: record.svm.uuid } : {}),
    certificates: resolution,
    ...(record.configuration?.name !== undefined ? { configuration: record.configuration.name } : {}),
  });
  try {
    await runSteps(client, record.uuid, steps, {});
  } catch (err) {
    const now = await outputsAfterFailure(client, record.uuid, outputs);
    throw new PartialStateError(
      `took over key manager ${record.uuid} in ${describeScope(inputs)} but could not converge it: ${messageOf(err)}`,
      record.uuid,
      outputsRecord(now ?? outputs),
      err,
    );
  }
  return outputs;
}

/**
 * The scope's key manager after a create whose answer was lost. Later releases create through a job, which may
 * still be running: the key manager appears only when it ends, so wait for pending create jobs and look again.
 */
async function findCreated(
  client: OntapClient,
  scope: { svmName?: string },
): Promise<KeyManagerRecord | undefined> {
  const found = await findKeyManagerForScope(client, scope);
  if (found) return found;
  // Look again even when no job is pending any more: it may have ended between the two looks.
  await waitForKeyManagerJobs(client, "POST", KEY_MANAGERS_PATH);
  return findKeyManagerForScope(client, scope);
}

/** See {@link createResource}; a partial state keeps the serialized provider (see `keepingSerializedProvider`). */
export function create(news: unknown): Promise<dynamic.CreateResult> {
  return settle("KeyManager create", () => keepingSerializedProvider(news, createResource(news)), news);
}

/**
 * Creates the key manager: one GET of the scope, then one POST (`return_records=true`), then one PATCH per server
 * with non-default settings. See the README for `adopt` and for how a lost response is reconciled.
 */
async function createResource(news: unknown): Promise<dynamic.CreateResult> {
  const inputs = known(news);
  const client = clientFor(inputs.profile);
  await requireServerReleases(inputs);
  return withLock(scopeLock(inputs), () => createIn(client, inputs));
}

function scopeOf(inputs: { svm?: string }): { svmName?: string } {
  return inputs.svm === undefined ? {} : { svmName: inputs.svm };
}

/** The identity a stored key manager's records must show: its scope and SVM UUID (an SVM may be renamed). */
function identityOf(previous: KeyManagerOutputs): Omit<KeyManagerIdentity, "uuid"> {
  return { scope: previous.scope, ...(previous.svmUuid !== undefined ? { svmUuid: previous.svmUuid } : {}) };
}

/**
 * Reads before it writes: the scope's key managers first. Something there without `adopt` fails before any write;
 * with `adopt`, the active one is converged. Only when the read proved the scope empty does the POST go out, so a
 * lost answer is reconciled into an object that did not exist before it (what remains: another creator posting
 * in the same instant, which this read cannot see).
 */
async function createIn(client: OntapClient, inputs: KeyManagerInputs): Promise<dynamic.CreateResult> {
  const scope = scopeOf(inputs);
  const present = await listKeyManagersOfScope(client, scope);
  if (present.length > 0) {
    const active = activeKeyManager(present);
    if (!inputs.adopt || !active) {
      const uuids = present.map((r) => r.uuid).join(", ");
      throw new Error(
        `${describeScope(inputs)} already has a key manager (${uuids}${active ? "" : ", inactive"}), and ONTAP ` +
          `allows one per scope (a create would be refused with ${OntapCode.SCOPE_HAS_KEY_MANAGER}). Nothing was changed. Fix: ` +
          (active
            ? `set \`adopt: true\` to take it over and converge it to this program (dynamic resources cannot be ` +
              `imported), or delete the existing one.`
            : `activate or delete the inactive configuration on the cluster (security key-manager keystore).`),
      );
    }
    const resolution = await resolveCertificates(client, inputs);
    const outputs = await converge(client, active, inputs, resolution);
    return { id: outputs.uuid, outs: outputsRecord(outputs) };
  }
  const resolution = await resolveCertificates(client, inputs);
  const plan = planKeyManagerCreate(desiredKeyManagerState(inputs, resolution));
  let record: KeyManagerRecord;
  try {
    record = await createKeyManager(client, plan.request, {
      keyBackup: inputs.onboard !== undefined,
      // Health outputs from the start, so that the first refresh shows no change of them (9.7+: one read-back,
      // which an onboard create on those releases makes anyway for its key backup).
      health: true,
      configuration: true,
    });
  } catch (err) {
    if (
      hasOntapCode(
        err,
        OntapCode.SCOPE_HAS_KEY_MANAGER,
        OntapCode.ONBOARD_ALREADY_CONFIGURED,
        OntapCode.KEY_SERVERS_ALREADY_CONFIGURED,
      )
    ) {
      throw new Error(
        `${describeScope(inputs)} got a key manager between this create's read of the scope and its POST (another ` +
          `creator at the same instant), and ONTAP allows one per scope. Nothing was changed. Fix: set ` +
          `\`adopt: true\` to take it over and converge it to this program, or delete the other one. ONTAP said: ` +
          `${messageOf(err)}`,
        { cause: err },
      );
    }
    if (err instanceof OntapTimeoutError && err.phase === "job" && err.jobUuid !== undefined) {
      throw await pendingCreate(client, inputs, resolution, err.jobUuid, err);
    }
    if (!isOutcomeUnknown(err)) throw err;
    // The POST may have been applied although its answer was lost: look before failing, so a retry makes neither a
    // duplicate nor an orphan. The read before the POST proved the scope empty, so what is there now is this POST's.
    const found = await findCreated(client, scope).catch(() => undefined);
    if (!found) throw err;
    const outputs = await converge(client, found, inputs, resolution);
    return { id: outputs.uuid, outs: outputsRecord(outputs) };
  }
  const outputs = buildKeyManagerOutputs(inputs, {
    uuid: record.uuid,
    ...(record.svm?.uuid !== undefined ? { svmUuid: record.svm.uuid } : {}),
    certificates: resolution,
    ...(record.onboard?.key_backup !== undefined ? { keyBackup: record.onboard.key_backup } : {}),
    // A new onboard key manager has its keys on every node (ONTAP refuses with 65536903 when a node fails), so on
    // releases that list keys per node it starts in step without 1 + N reads of the listings.
    health: healthFromRecord(
      record,
      inputs.onboard !== undefined && (await hasKeyIds(client)) ? [] : undefined,
    ),
    ...(record.configuration?.name !== undefined ? { configuration: record.configuration.name } : {}),
  });
  try {
    await runSteps(client, record.uuid, plan.followUp, {});
  } catch (err) {
    const now = await outputsAfterFailure(client, record.uuid, outputs);
    throw new PartialStateError(
      `created key manager ${record.uuid} in ${describeScope(inputs)} but could not apply every server ` +
        `setting: ${messageOf(err)}. It is recorded in the stack; run \`pulumi up\` again to finish.`,
      record.uuid,
      outputsRecord(now ?? outputs),
      err,
    );
  }
  return { id: record.uuid, outs: outputsRecord(outputs) };
}

/**
 * A create whose job outlasted the job timeout: the error that records it. If the key manager is already listed
 * (the scope was empty before the POST, so it is this job's), it is recorded by its UUID; otherwise the resource is
 * recorded as pending under the job's UUID, and the next `up` (or refresh) waits for the job and takes over the
 * key manager it created, never asking for `adopt`.
 */
async function pendingCreate(
  client: OntapClient,
  inputs: KeyManagerInputs,
  resolution: CertificateResolution,
  job: string,
  err: OntapTimeoutError,
): Promise<PartialStateError> {
  const now = await findKeyManagerForScope(client, scopeOf(inputs)).catch(() => undefined);
  if (now) {
    const outputs = buildKeyManagerOutputs(inputs, {
      uuid: now.uuid,
      ...(now.svm?.uuid !== undefined ? { svmUuid: now.svm.uuid } : {}),
      certificates: resolution,
    });
    const read = await outputsAfterFailure(client, now.uuid, outputs);
    return new PartialStateError(
      `created key manager ${now.uuid} in ${describeScope(inputs)}, but its create job ${job} did not end within ` +
        `ontap:jobTimeout: ${messageOf(err)} It is recorded in the stack; run \`pulumi up\` again to finish.`,
      now.uuid,
      outputsRecord(read ?? outputs),
      err,
    );
  }
  const outputs: KeyManagerOutputs = {
    ...buildKeyManagerOutputs(inputs, { uuid: job, certificates: resolution }),
    createJob: job,
  };
  return new PartialStateError(
    `the create job ${job} for a key manager in ${describeScope(inputs)} did not end within ontap:jobTimeout ` +
      `(${messageOf(err)}). The resource is recorded as pending: the next \`pulumi up\` (or \`pulumi refresh\`) ` +
      `waits for that job and takes over the key manager it creates (the scope was empty before the POST); no ` +
      `\`adopt\` is needed. Raise ontap:jobTimeout if creates take this long on this cluster.`,
    job,
    outputsRecord(outputs),
    err,
  );
}

/**
 * The key manager a pending create's job made: waits for the job (within the job timeout), then looks in the
 * scope. `undefined` when the job failed (nothing was created).
 */
async function pendingKeyManager(
  client: OntapClient,
  previous: KeyManagerOutputs,
): Promise<KeyManagerRecord | undefined> {
  const job = previous.createJob!;
  try {
    await client.waitForJob(job, { method: "POST", path: apiPath(KEY_MANAGERS_PATH) });
  } catch (err) {
    if (err instanceof OntapJobFailedError || err instanceof OntapNotFoundError) return undefined;
    throw err;
  }
  const found = await findKeyManagerForScope(client, scopeOf(previous));
  if (!found) {
    throw new Error(
      `the create job ${job} ended, but ${describeScope(previous)} has no key manager. Nothing was changed. Run ` +
        `\`pulumi refresh\`: the pending resource is then dropped, and the next \`pulumi up\` creates it again.`,
    );
  }
  return found;
}

/** The update of a pending create: take over what its job made (or create, if the job failed). */
async function finishPendingCreate(
  client: OntapClient,
  previous: KeyManagerOutputs,
  inputs: KeyManagerInputs,
): Promise<dynamic.UpdateResult> {
  if ((inputs.svm ?? "") !== (previous.svm ?? "")) {
    throw new Error(
      `the pending create (job ${previous.createJob}) is in ${describeScope(previous)}, but the program now names ` +
        `${describeScope(inputs)}. Nothing was changed. Fix: run \`pulumi up\` once with the previous svm to finish ` +
        `it, then change it.`,
    );
  }
  const record = await pendingKeyManager(client, previous);
  if (!record) {
    // The job failed, so nothing was created: create now (reading the scope first, as any create does).
    const created: dynamic.CreateResult = await createIn(client, inputs);
    return { outs: created.outs as Record<string, unknown> };
  }
  const resolution = await resolveCertificates(client, inputs);
  const outputs = await converge(client, record, inputs, resolution);
  return { outs: outputsRecord(outputs) };
}

/** See {@link updateResource}; a partial state keeps the serialized provider (see `keepingSerializedProvider`). */
export function update(id: string, olds: unknown, news: unknown): Promise<dynamic.UpdateResult> {
  return settle(
    "KeyManager update",
    () => keepingSerializedProvider(news, updateResource(id, olds, news)),
    olds,
    news,
  );
}

/**
 * Changes the key manager in place, planned against the previous outputs: certificates in one PATCH, servers
 * through the key-servers endpoint, the passphrase in one PATCH with the previous and the new one.
 */
async function updateResource(_id: string, olds: unknown, news: unknown): Promise<dynamic.UpdateResult> {
  let previous = parseKeyManagerOutputs(olds);
  const inputs = known(news);
  const client = clientFor(inputs.profile);
  // The key manager's UUID; the resource id differs only for a create that was pending (recorded under its job).
  const id = previous.uuid;
  await requireServerReleases(inputs);
  return withLock(keyManagerLock(id), async () => {
    if (previous.createJob !== undefined) return finishPendingCreate(client, previous, inputs);
    if (previous.profile !== inputs.profile) await proveSameKeyManager(client, previous, inputs);
    await checkSvmName(client, previous, inputs);
    if (previous.external ? !inputs.external : !inputs.onboard) {
      return { outs: outputsRecord(await switchMode(client, previous, inputs)) };
    }
    if ((previous.leftoverConfigurations?.length ?? 0) > 0) {
      const switched = await cleanUpLeftovers(client, previous, inputs);
      if (switched) return { outs: outputsRecord(switched) };
      previous = { ...previous, leftoverConfigurations: undefined };
    }
    const resolution = await resolveCertificates(client, inputs, previousResolution(previous));
    const outputs = buildKeyManagerOutputs(inputs, {
      uuid: id,
      ...(previous.svmUuid !== undefined ? { svmUuid: previous.svmUuid } : {}),
      certificates: resolution,
      ...(previous.onboard?.enabled !== undefined ? { onboardEnabled: previous.onboard.enabled } : {}),
      ...(previous.onboard?.keyBackup !== undefined ? { keyBackup: previous.onboard.keyBackup } : {}),
      health: healthKeptByUpdate(previous, inputs),
      ...(previous.configuration !== undefined ? { configuration: previous.configuration } : {}),
    });
    if (previous.inactiveConfigurations) outputs.inactiveConfigurations = previous.inactiveConfigurations;
    const holds = passphraseOntapHolds(previous, inputs);
    if (needsOnboardSync(previous, inputs)) {
      // Before any rotation: a node that misses the keys could not take part in one.
      // A state that never knew the passphrase (read by id) takes the program's as current, as adopt does.
      await synchronize(client, id, holds ?? inputs.onboard?.passphrase, previous.keysMissingOnNodes ?? []);
      outputs.keysMissingOnNodes = [];
    }
    let current: KeyManagerState = previous.external
      ? { external: previous.external }
      : { onboard: holds !== undefined ? { passphrase: holds } : {} };
    if (inputs.serverManagement === "listed" && previous.external && inputs.external) {
      // Servers this resource does not own still count towards ONTAP's limit of 4: plan with all of them.
      const servers = await listKeyServers(client, id);
      current = {
        external: {
          ...previous.external,
          servers: servers.map(serverSettingsFromRecord),
        },
      };
    }
    const steps = planKeyManagerUpdate(current, desiredKeyManagerState(inputs, resolution), {
      serverManagement: inputs.serverManagement,
      previouslyManaged: (previous.external?.servers ?? []).map((s) => s.server),
    });
    const progress: { failed?: KeyManagerPlanStep } = {};
    const passphrases = {
      ...(holds !== undefined ? { existing: holds } : {}),
      ...(inputs.onboard ? { next: inputs.onboard.passphrase } : {}),
    };
    try {
      try {
        await runSteps(client, id, steps, passphrases, progress);
      } catch (err) {
        if (progress.failed?.kind !== "rotatePassphrase") throw err;
        await retryRotation(client, id, err, passphrases, inputs.onboard?.currentPassphrase);
      }
    } catch (err) {
      if (hasOntapCode(err, OntapCode.PASSPHRASE_MISMATCH)) {
        throw new Error(
          `could not rotate the passphrase of key manager ${id}: ONTAP holds another passphrase than the one this ` +
            `update sent as the existing one (${OntapCode.PASSPHRASE_MISMATCH}; for example after a rotation whose answers were lost ` +
            `twice). Nothing was changed. Fix: set \`onboard.currentPassphrase\` (a secret) to the passphrase the ` +
            `cluster holds now and run \`pulumi up\` again; it is used only when given.`,
          { cause: err },
        );
      }
      if (steps.length > 1 || !(err instanceof OntapError) || err.mayHaveReachedServer) {
        const now = await outputsAfterFailure(client, id, outputs, previous);
        if (now) {
          throw new PartialStateError(
            `could not finish updating key manager ${id}: ${messageOf(err)}`,
            id,
            outputsRecord(keepPassphraseIfUnchanged(now, previous)),
            err,
          );
        }
      }
      throw err;
    }
    if (outputs.onboard?.keyBackup !== undefined && steps.some((s) => s.kind === "rotatePassphrase")) {
      outputs.onboard = await withFreshKeyBackup(client, id, outputs.onboard);
    }
    return { outs: outputsRecord(outputs) };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The in-place switch between onboard and external (cluster scope, ONTAP 9.16.1 and later): see model/modeSwitch.ts

/**
 * Whether a mode-only replacement is, on this cluster, the in-place switch: cluster scope before and after, a
 * known profile to ask through, no pending create, and a release that has it (the cached version probe).
 */
async function switchesInPlace(
  previous: KeyManagerOutputs,
  inputs: CheckedKeyManagerInputs,
): Promise<boolean> {
  if (!switchableScope(previous.svm, inputs.svm) || previous.createJob !== undefined) return false;
  if (isUnknown(inputs.profile)) return false;
  return clientFor(inputs.profile).supports(FEATURES.keyManagerSwitch.minVersion);
}

function inputsMode(inputs: KeyManagerInputs): KeyManagementMode {
  return inputs.onboard ? "onboard" : "external";
}

/** The scope's configurations as the switch plan sees them (the active one by {@link activeKeyManager}). */
function configurationViews(records: readonly KeyManagerRecord[]): ConfigurationView[] {
  const active = activeKeyManager(records);
  return records.map((r) => ({
    uuid: r.uuid,
    enabled: r === active,
    mode: modeOf(r),
    ...(r.configuration?.name !== undefined ? { name: r.configuration.name } : {}),
  }));
}

/** Inactive configurations of a scope that are neither `uuid` nor one of `leftovers`: reported, never touched. */
function foreignInactive(
  records: readonly KeyManagerRecord[],
  known: readonly string[],
): InactiveConfiguration[] {
  const ours = new Set(known.map((u) => u.toLowerCase()));
  return configurationViews(records)
    .filter((c) => !c.enabled && !ours.has(c.uuid.toLowerCase()))
    .map((c) => ({ uuid: c.uuid, mode: c.mode, ...(c.name !== undefined ? { name: c.name } : {}) }));
}

/** Where a switch stands, updated after every call, so that a failure records what the cluster holds. */
interface SwitchProgress {
  /** The active configuration's uuid. */
  active: string;
  /** The record of the active one, when it is not the state's (a previous switch made it active). */
  activeRecord?: KeyManagerRecord;
  /** The configuration this switch created (inactive until enabled). */
  created?: KeyManagerRecord;
  /** Configurations of this resource's on the cluster, inactive, still to delete. */
  leftovers: Set<string>;
}

/**
 * Changes the mode in place (cluster scope, 9.16.1+): plan against the scope's configurations, then create the new
 * one inactive, enable it, wait for the switch, delete the previous one, and apply the new one's server settings.
 * Lost answers are looked up before anything else is sent. A failure records what the cluster holds: the old
 * configuration while the switch has not happened, else the new one, and in both cases the configurations still
 * to delete; the next `up` resumes from there.
 */
async function switchMode(
  client: OntapClient,
  previous: KeyManagerOutputs,
  inputs: KeyManagerInputs,
): Promise<KeyManagerOutputs> {
  const desired = inputsMode(inputs);
  if (
    previous.scope !== "cluster" ||
    inputs.svm !== undefined ||
    !(await client.supports(FEATURES.keyManagerSwitch.minVersion))
  ) {
    throw new Error(
      `key manager ${previous.uuid} cannot change to ${desired} key management in place: that needs ONTAP ` +
        `${FEATURES.keyManagerSwitch.minVersion} or later at cluster scope. Nothing was changed. Run \`pulumi up\` ` +
        `again: its preview then shows the replacement (delete, then create) this cluster needs.`,
    );
  }
  const resolution = await resolveCertificates(client, inputs);
  const records = await listKeyManagersOfScope(client, {}, { configuration: true });
  const plan = planModeSwitch({
    recorded: previous.uuid,
    leftovers: previous.leftoverConfigurations ?? [],
    configurations: configurationViews(records),
    desired,
  });
  const progress: SwitchProgress = {
    active: plan.active.uuid,
    ...(plan.active.uuid.toLowerCase() !== previous.uuid.toLowerCase()
      ? { activeRecord: records.find((r) => r.uuid === plan.active.uuid) }
      : {}),
    leftovers: new Set(plan.steps.flatMap((s) => (s.kind === "deleteConfiguration" ? [s.uuid] : []))),
  };
  if (plan.switched) {
    // A previous switch made the desired mode active: clean up, then converge it like any adopted record.
    await runSwitchSteps(client, previous, inputs, resolution, plan.steps, progress);
    const record = progress.activeRecord ?? records.find((r) => r.uuid === plan.active.uuid)!;
    const outputs = await converge(client, record, inputs, resolution);
    return withConfigurationFacts(outputs, record, progress, records);
  }
  await runSwitchSteps(client, previous, inputs, resolution, plan.steps, progress);
  const created = progress.created!;
  const followUp = planKeyManagerCreate(desiredKeyManagerState(inputs, resolution)).followUp;
  const outputs = buildKeyManagerOutputs(inputs, {
    uuid: created.uuid,
    certificates: resolution,
    ...(created.onboard?.key_backup !== undefined ? { keyBackup: created.onboard.key_backup } : {}),
    ...(created.configuration?.name !== undefined ? { configuration: created.configuration.name } : {}),
    leftoverConfigurations: [...progress.leftovers],
  });
  try {
    await runSteps(client, created.uuid, followUp, {});
  } catch (err) {
    const now = await outputsAfterFailure(client, created.uuid, outputs);
    throw new PartialStateError(
      `switched the cluster to ${desired} key management (configuration ${created.uuid}) but could not apply every ` +
        `server setting: ${messageOf(err)}. It is recorded in the stack; run \`pulumi up\` again to finish.`,
      created.uuid,
      outputsRecord(now ? { ...now, ...leftoverFacts(progress) } : outputs),
      err,
    );
  }
  if (outputs.onboard?.keyBackup !== undefined) {
    // The backup read before the switch predates the keys the switch re-wrapped: read it again.
    outputs.onboard = await withFreshKeyBackup(client, created.uuid, outputs.onboard);
  }
  const foreign = foreignInactive(records, [
    previous.uuid,
    created.uuid,
    ...(previous.leftoverConfigurations ?? []),
  ]);
  return foreign.length > 0 ? { ...outputs, inactiveConfigurations: foreign } : outputs;
}

function leftoverFacts(progress: SwitchProgress): Pick<KeyManagerOutputs, "leftoverConfigurations"> {
  return progress.leftovers.size > 0 ? { leftoverConfigurations: [...progress.leftovers] } : {};
}

function withConfigurationFacts(
  outputs: KeyManagerOutputs,
  record: KeyManagerRecord,
  progress: SwitchProgress,
  records: readonly KeyManagerRecord[],
): KeyManagerOutputs {
  const foreign = foreignInactive(records, [record.uuid, ...progress.leftovers]);
  return {
    ...outputs,
    ...(record.configuration?.name !== undefined ? { configuration: record.configuration.name } : {}),
    ...leftoverFacts(progress),
    ...(foreign.length > 0 ? { inactiveConfigurations: foreign } : {}),
  };
}

/**
 * The update of a key manager whose mode did not change but whose state names leftovers of a switch: delete them
 * (only those, and only while inactive). Returns the outputs when a previous switch turned out to have made another
 * configuration of this resource's the active one; `undefined` when the recorded one is still active (the caller
 * goes on with the ordinary update).
 */
async function cleanUpLeftovers(
  client: OntapClient,
  previous: KeyManagerOutputs,
  inputs: KeyManagerInputs,
): Promise<KeyManagerOutputs | undefined> {
  if (previous.scope !== "cluster" || !(await client.supports(FEATURES.keyManagerSwitch.minVersion))) {
    return undefined;
  }
  const records = await listKeyManagersOfScope(client, {}, { configuration: true });
  const plan = planModeSwitch({
    recorded: previous.uuid,
    leftovers: previous.leftoverConfigurations ?? [],
    configurations: configurationViews(records),
    desired: inputsMode(inputs),
  });
  if (!plan.switched) return switchMode(client, previous, inputs);
  const resolution = await resolveCertificates(client, inputs, previousResolution(previous));
  const progress: SwitchProgress = {
    active: plan.active.uuid,
    leftovers: new Set(plan.steps.flatMap((s) => (s.kind === "deleteConfiguration" ? [s.uuid] : []))),
  };
  if (plan.active.uuid.toLowerCase() === previous.uuid.toLowerCase()) {
    await runSwitchSteps(client, previous, inputs, resolution, plan.steps, progress);
    return undefined;
  }
  return switchMode(client, previous, inputs);
}

/** What to record when a switch step fails: the active configuration's outputs and the leftovers. */
async function switchFailureOutputs(
  client: OntapClient,
  previous: KeyManagerOutputs,
  inputs: KeyManagerInputs,
  resolution: CertificateResolution,
  progress: SwitchProgress,
): Promise<KeyManagerOutputs> {
  const leftovers = leftoverFacts(progress);
  if (progress.active.toLowerCase() === previous.uuid.toLowerCase()) {
    const { leftoverConfigurations: _stale, ...rest } = previous;
    return { ...rest, ...leftovers };
  }
  const intended = buildKeyManagerOutputs(inputs, {
    uuid: progress.active,
    certificates: resolution,
    ...(progress.created?.configuration?.name !== undefined
      ? { configuration: progress.created.configuration.name }
      : {}),
  });
  const now = await outputsAfterFailure(client, progress.active, intended);
  const record = progress.activeRecord ?? progress.created;
  return {
    ...(now ?? intended),
    ...(record?.configuration?.name !== undefined ? { configuration: record.configuration.name } : {}),
    ...leftovers,
  };
}

/** Runs the switch plan's calls, keeping `progress` true to the cluster; a failure records it (PartialStateError). */
async function runSwitchSteps(
  client: OntapClient,
  previous: KeyManagerOutputs,
  inputs: KeyManagerInputs,
  resolution: CertificateResolution,
  steps: readonly ModeSwitchStep[],
  progress: SwitchProgress,
): Promise<void> {
  const desired = inputsMode(inputs);
  for (const step of steps) {
    try {
      switch (step.kind) {
        case "deleteConfiguration":
        case "deletePrevious":
          await deleteInactiveConfiguration(client, step.uuid);
          progress.leftovers.delete(step.uuid);
          break;
        case "createInactive":
          progress.created = await createInactiveConfiguration(client, inputs, resolution);
          progress.leftovers.add(progress.created.uuid);
          break;
        case "enableCreated": {
          const created = progress.created!;
          await enableConfiguration(client, created.uuid);
          progress.leftovers.delete(created.uuid);
          progress.leftovers.add(progress.active);
          progress.active = created.uuid;
          break;
        }
      }
    } catch (err) {
      const outputs = await switchFailureOutputs(client, previous, inputs, resolution, progress);
      const where =
        progress.active.toLowerCase() === previous.uuid.toLowerCase()
          ? `The previous configuration ${previous.uuid} stays the active one`
          : `The cluster now uses the ${desired} configuration ${progress.active}`;
      const pending =
        progress.leftovers.size > 0
          ? `; configurations ${[...progress.leftovers].join(", ")} (inactive, made or replaced by this resource) are ` +
            `recorded and the next \`pulumi up\` deletes them`
          : "";
      throw new PartialStateError(
        `could not switch key manager ${previous.uuid} to ${desired} key management (${describeSwitchStep(step)}): ` +
          `${messageOf(err)} ${where}${pending}. Run \`pulumi up\` again to finish.`,
        progress.active,
        outputsRecord(outputs),
        err,
      );
    }
  }
}

function describeSwitchStep(step: ModeSwitchStep): string {
  switch (step.kind) {
    case "deleteConfiguration":
      return `deleting inactive configuration ${step.uuid}`;
    case "createInactive":
      return "creating the new configuration inactive";
    case "enableCreated":
      return "enabling the new configuration";
    case "deletePrevious":
      return `deleting the previous configuration ${step.uuid}`;
  }
}

/**
 * POST of the new configuration with `create_inactive=true`. A lost answer is looked up (after the create's job):
 * the plan proved the scope held no other inactive configuration of this mode, so one there now is this POST's.
 */
async function createInactiveConfiguration(
  client: OntapClient,
  inputs: KeyManagerInputs,
  resolution: CertificateResolution,
): Promise<KeyManagerRecord> {
  const { request } = planKeyManagerCreate(desiredKeyManagerState(inputs, resolution));
  const mode = inputsMode(inputs);
  try {
    return await createKeyManager(client, request, {
      inactive: true,
      configuration: true,
      keyBackup: mode === "onboard",
    });
  } catch (err) {
    if (!isOutcomeUnknown(err)) throw err;
    await waitForKeyManagerJobs(client, "POST", KEY_MANAGERS_PATH).catch(() => 0);
    const found = inactiveOfMode(await listKeyManagersOfScope(client, {}, { configuration: true }), mode);
    if (!found) throw err;
    return found;
  }
}

/**
 * PATCH of the key store, then wait until it no longer reads `switching`; it must then be the enabled one. A lost
 * answer is looked up after the switch's job.
 */
async function enableConfiguration(client: OntapClient, uuid: string): Promise<void> {
  try {
    await enableKeyStore(client, uuid);
  } catch (err) {
    if (!isOutcomeUnknown(err)) throw err;
    await waitForJobsMentioning(client, uuid).catch(() => 0);
    const store = await waitForKeyStoreSwitch(client, uuid);
    if (store?.enabled !== true) throw err;
    return;
  }
  const store = await waitForKeyStoreSwitch(client, uuid);
  if (store?.enabled !== true) {
    throw new Error(
      `the switch to configuration ${uuid} ended, but ONTAP does not list it as enabled (state ` +
        `${store?.state ?? "none"}). Check the key store on the cluster (security key-manager keystore show).`,
    );
  }
}

/** DELETE of an inactive configuration; one already gone counts as deleted, and so does a lost answer that applied. */
async function deleteInactiveConfiguration(client: OntapClient, uuid: string): Promise<void> {
  try {
    await deleteKeyStore(client, uuid);
  } catch (err) {
    if (err instanceof OntapNotFoundError || hasOntapCode(err, OntapCode.KEY_STORE_NOT_FOUND)) return;
    if (!isOutcomeUnknown(err)) throw err;
    await waitForJobsMentioning(client, uuid).catch(() => 0);
    if ((await findKeyStore(client, uuid)) === undefined) return;
    throw err;
  }
}

/**
 * One PATCH `{onboard: {synchronize: true, existing_passphrase}}` with the passphrase ONTAP holds. Nothing else
 * was changed when it fails, so the error says so (the stack keeps `keysMissingOnNodes`, and the next `up` tries
 * again).
 */
async function synchronize(
  client: OntapClient,
  id: string,
  passphrase: string | undefined,
  nodes: readonly string[],
): Promise<void> {
  const what = `could not synchronize the onboard keys of key manager ${id} onto ${nodes.join(", ")}`;
  if (passphrase === undefined) {
    throw new Error(
      `${what}: ONTAP needs the passphrase in use (existing_passphrase), and the stack does not hold it. Nothing ` +
        `was changed. Fix: set \`onboard.currentPassphrase\` (a secret) to the passphrase the cluster holds now ` +
        `and run \`pulumi up\` again.`,
    );
  }
  try {
    await synchronizeOnboardKeys(client, id, passphrase);
  } catch (err) {
    if (hasOntapCode(err, OntapCode.PASSPHRASE_MISMATCH)) {
      throw new Error(
        `${what}: ONTAP refused the passphrase this update sent as the one in use (${OntapCode.PASSPHRASE_MISMATCH}: ` +
          `it holds another one). Nothing was changed. Fix: set \`onboard.currentPassphrase\` (a secret) to the ` +
          `passphrase the cluster holds now and run \`pulumi up\` again; it is used only when given.`,
        { cause: err },
      );
    }
    throw new Error(`${what}: ${messageOf(err)} Nothing else was changed; run \`pulumi up\` again.`, {
      cause: err,
    });
  }
}

/**
 * The passphrase ONTAP holds, as far as this update knows: `onboard.currentPassphrase` when the program gives it
 * anew (the user says so: ONTAP cannot check it without a write), else the one in state.
 */
function passphraseOntapHolds(previous: KeyManagerOutputs, inputs: KeyManagerInputs): string | undefined {
  const given = inputs.onboard?.currentPassphrase;
  if (given !== undefined && given !== previous.onboard?.currentPassphrase) return given;
  return previous.onboard?.passphrase;
}

/**
 * After a failed rotation. A lost answer: send it again once; accepted, it is applied now; refused because the
 * existing passphrase no longer matches (65536139), the first one was applied. A refusal with 65536139: when the
 * program gives `onboard.currentPassphrase` (and it was not what was sent), rotate from it, or, when it already is
 * the new passphrase, there is nothing to rotate.
 */
async function retryRotation(
  client: OntapClient,
  id: string,
  err: unknown,
  passphrases: { existing?: string; next?: string },
  currentPassphrase: string | undefined,
): Promise<void> {
  const rotate: KeyManagerPlanStep[] = [{ kind: "rotatePassphrase" }];
  if (isOutcomeUnknown(err)) {
    await waitForJobsMentioning(client, id).catch(() => 0);
    try {
      await runSteps(client, id, rotate, passphrases);
      return;
    } catch (again) {
      if (hasOntapCode(again, OntapCode.PASSPHRASE_MISMATCH)) return;
      throw err;
    }
  }
  if (!hasOntapCode(err, OntapCode.PASSPHRASE_MISMATCH) || currentPassphrase === undefined) throw err;
  if (currentPassphrase === passphrases.existing) throw err;
  if (currentPassphrase === passphrases.next) return;
  await runSteps(client, id, rotate, { ...passphrases, existing: currentPassphrase });
}

/**
 * A `profile` change reaches the key manager by its UUID through the new profile: one GET. Not found (the profile
 * points at another cluster), or another object answering, fails the update before anything changes; the stack
 * keeps the previous profile.
 */
async function proveSameKeyManager(
  client: OntapClient,
  previous: KeyManagerOutputs,
  inputs: KeyManagerInputs,
): Promise<void> {
  const via = inputs.profile === undefined ? "the stack's ontap:* settings" : `profile "${inputs.profile}"`;
  const found = await findKeyManager(client, previous.uuid, { expect: identityOf(previous) });
  if (!found) {
    throw new Error(
      `key manager ${previous.uuid} is not found through ${via} (${client.target}): the new profile does not reach ` +
        `the cluster that holds it. Nothing was changed; the stack keeps the previous profile. Fix: point the ` +
        `profile at the same cluster; to move a key manager to another cluster on purpose, use \`pulumi up --replace\`.`,
    );
  }
}

/**
 * A rotation re-wraps the key hierarchy, so the backup kept in state no longer restores with the new
 * passphrase: read the new one (one GET). If that read fails, drop the stale backup rather than fail an update
 * that has already rotated the passphrase (the next refresh fetches it).
 */
async function withFreshKeyBackup(
  client: OntapClient,
  id: string,
  onboard: OnboardOutputs,
): Promise<OnboardOutputs> {
  const { keyBackup: _stale, ...rest } = onboard;
  try {
    const backup = (await findKeyManager(client, id, { keyBackup: true }))?.onboard?.key_backup;
    return backup !== undefined ? { ...rest, keyBackup: backup } : rest;
  } catch {
    return rest;
  }
}

/**
 * After a failed update, which passphrase does ONTAP hold? The rotation is the last step and a lost answer is
 * resolved by sending it once more, so a failure here almost always means it was refused or never ran: keep the
 * previous one. (Only a second lost answer in a row leaves this stale; the next rotation then fails with
 * 65536139 and changes nothing.)
 */
function keepPassphraseIfUnchanged(now: KeyManagerOutputs, previous: KeyManagerOutputs): KeyManagerOutputs {
  if (!now.onboard) return now;
  const passphrase = previous.onboard?.passphrase;
  const { passphrase: _dropped, ...rest } = now.onboard;
  return { ...now, onboard: passphrase !== undefined ? { ...rest, passphrase } : rest };
}

/**
 * Refresh: one GET with an explicit `fields` list; gone when ONTAP answers 404. The answer must be the key manager
 * in state (same UUID, scope and SVM UUID, external or onboard), else the read fails and nothing is recorded. A
 * pending create is resolved first (its job waited for, the key manager it made taken, by its UUID).
 */
export async function read(id: string, props: unknown): Promise<dynamic.ReadResult> {
  assertBounded("KeyManager read", props);
  const previous = hasState(props) ? parseKeyManagerOutputs(props) : undefined;
  const profile = previous?.profile ?? profileOf(props);
  const client = clientFor(profile);
  let uuid = previous?.uuid ?? id;
  let base = previous;
  if (previous?.createJob !== undefined) {
    const made = await pendingKeyManager(client, previous);
    if (!made) return { id: "", props: {} };
    uuid = made.uuid;
    const { createJob: _job, ...rest } = previous;
    base = { ...rest, uuid, ...(made.svm?.uuid !== undefined ? { svmUuid: made.svm.uuid } : {}) };
  }
  let record = await findKeyManager(client, uuid, {
    keyBackup: base?.onboard !== undefined,
    // status and the servers' connectivity ride on this GET (9.7+): no extra call.
    health: true,
    configuration: true,
    ...(base ? { expect: identityOf(base) } : {}),
  });
  const configurations = await scopeConfigurations(client, record, base);
  if (configurations && base) {
    const followed = await followSwitch(client, record, base, configurations);
    record = followed.record;
    base = followed.base;
  }
  if (!record) return { id: "", props: {} };
  // Onboard keys live on the nodes: one GET of the nodes and one per node (9.11+; none before, nor for external).
  const missing =
    keyManagerMode(record) === "onboard" ? await nodesMissingKeys(client, record.uuid) : undefined;
  const { outputs, inputs } = readKeyManager(record, base, missing);
  if (configurations) {
    const leftovers = (outputs.leftoverConfigurations ?? []).filter((l) =>
      configurations.some((c) => c.uuid.toLowerCase() === l.toLowerCase()),
    );
    if (leftovers.length > 0) outputs.leftoverConfigurations = leftovers;
    else delete outputs.leftoverConfigurations;
    const foreign = foreignInactive(configurations, [record.uuid, ...leftovers]);
    if (foreign.length > 0) {
      outputs.inactiveConfigurations = foreign;
      process.stderr.write(
        `[ontap] ${describeScope(outputs)} also holds ${foreign.length === 1 ? "an inactive configuration" : "inactive configurations"} ` +
          `this stack did not create: ${foreign.map((c) => `${c.uuid}${c.name !== undefined ? ` "${c.name}"` : ""} (${c.mode})`).join(", ")}. ` +
          `It is reported in \`inactiveConfigurations\`, never adopted or deleted; remove it on the cluster ` +
          `(security key-manager keystore delete) if nobody needs it.\n`,
      );
    }
  }
  if (!previous && profile !== undefined) {
    // `KeyManager.get(name, id, {profile})`: remember which cluster it was read from.
    outputs.profile = profile;
    inputs.profile = profile;
  }
  return {
    id: record.uuid,
    // A refresh shows a diff of outputs: it keeps their layout, so that an upgrade alone is no drift.
    props: outputsRecord(outputs, keyManagerStateShape(props)),
    inputs: keyManagerInputsToState(inputs),
  };
}

/**
 * On releases with several configurations per scope (9.16+): every configuration of the key manager's scope (one
 * GET), for the refresh to report inactive ones and follow a switch; `undefined` before 9.16.
 */
async function scopeConfigurations(
  client: OntapClient,
  record: KeyManagerRecord | undefined,
  base: KeyManagerOutputs | undefined,
): Promise<KeyManagerRecord[] | undefined> {
  if (!(await client.supports(FEATURES.keyManagerConfigurations.minVersion))) return undefined;
  const svmUuid = record?.svm?.uuid ?? base?.svmUuid;
  const scope =
    (record ? keyManagerRecordScope(record) : base?.scope) === "svm" && svmUuid ? { svmUuid } : {};
  return listKeyManagersOfScope(client, scope, { configuration: true });
}

/**
 * A refresh where the state's configuration is no longer the active one. If a configuration this resource created
 * is active (a switch whose last answers were lost), the state moves to it and the previous one becomes a leftover
 * to delete. Anything else was switched outside Pulumi: an error, and nothing is recorded.
 */
async function followSwitch(
  client: OntapClient,
  record: KeyManagerRecord | undefined,
  base: KeyManagerOutputs,
  configurations: readonly KeyManagerRecord[],
): Promise<{ record: KeyManagerRecord | undefined; base: KeyManagerOutputs }> {
  if (record?.enabled !== false) return { record, base };
  const active = activeKeyManager(configurations);
  const leftovers = base.leftoverConfigurations ?? [];
  if (active && leftovers.some((l) => l.toLowerCase() === active.uuid.toLowerCase())) {
    const now = await findKeyManager(client, active.uuid, {
      keyBackup: modeOf(active) === "onboard",
      configuration: true,
      expect: identityOf(base),
    });
    if (now) {
      const rest = leftovers.filter((l) => l.toLowerCase() !== active.uuid.toLowerCase());
      const { external: _e, onboard: _o, ...common } = base;
      return {
        record: now,
        base: { ...common, uuid: now.uuid, leftoverConfigurations: [...rest, record.uuid] },
      };
    }
  }
  throw new Error(
    `key manager ${record.uuid} in state is no longer the active configuration of ${describeScope(base)}` +
      (active ? `: ${active.uuid} (${modeOf(active)}) is` : ", and none is") +
      ` active (switched outside Pulumi, e.g. security key-manager keystore enable). Nothing was recorded or ` +
      `changed. Fix: switch back on the cluster, or remove the resource from the stack (pulumi state delete) and ` +
      `adopt the active one.`,
  );
}

/** The stored outputs, when `props` holds valid ones (a delete must not fail on a state it cannot parse). */
function storedOutputs(props: unknown): KeyManagerOutputs | undefined {
  if (!hasState(props)) return undefined;
  try {
    return parseKeyManagerOutputs(props);
  } catch {
    return undefined;
  }
}

function hasState(props: unknown): boolean {
  return (
    typeof props === "object" && props !== null && typeof (props as { uuid?: unknown }).uuid === "string"
  );
}

/**
 * What a refused delete (65536867/65536239) means for the user: the usual cause is a replacement for a change of
 * mode on a release without the in-place switch.
 */
const ENCRYPTED_VOLUMES_EXPLANATION =
  " ONTAP keeps a key manager while encrypted volumes depend on its keys: deleting it would make their data " +
  "unreadable. If this delete is the first half of a replacement (external <-> onboard, or another SVM), nothing " +
  "was replaced either. What to do: on ONTAP 9.16.1 and later the cluster switches between onboard and external in " +
  "place, without a delete (upgrade, then run `pulumi up` again); on this release, keep the current mode, or " +
  "decrypt or move the encrypted volumes first (volume encryption conversion, volume move) and run again.";

/** One DELETE; a key manager already gone counts as deleted. */
export async function delete_(resourceId: string, props: unknown): Promise<void> {
  assertBounded("KeyManager delete", props);
  const profile = profileOf(props);
  const client = clientFor(profile);
  const previous = storedOutputs(props);
  let id = previous?.uuid ?? resourceId;
  if (previous?.createJob !== undefined) {
    // A pending create: delete what its job made, if anything.
    const made = await pendingKeyManager(client, previous);
    if (!made) return;
    id = made.uuid;
  }
  await withLock(keyManagerLock(id), async () => {
    try {
      await deleteKeyManager(client, id);
    } catch (err) {
      if (err instanceof OntapNotFoundError) return;
      if (err instanceof OntapError && isOutcomeUnknown(err)) {
        // The DELETE may have been applied although its answer was lost (on later releases, by a job that may
        // still be running).
        const gone = async (): Promise<boolean> => (await findKeyManager(client, id)) === undefined;
        if (await gone()) return;
        // Look again even when no job is pending any more: it may have ended between the two looks.
        await waitForKeyManagerJobs(client, "DELETE", keyManagerPath(id));
        if (await gone()) return;
        throw new Error(
          `key manager ${id} was NOT deleted: the answer to the DELETE was lost (${messageOf(err)}), and the ` +
            `key manager still exists. Nothing was changed; it stays in the stack: run the operation again.`,
          { cause: err },
        );
      }
      const reason = messageOf(err);
      throw new Error(
        `key manager ${id} was NOT deleted: ${reason}${/[.!?]$/.test(reason) ? "" : "."} Nothing was changed; ` +
          `the key manager stays in the stack.` +
          (hasOntapCode(err, OntapCode.ENCRYPTED_VOLUMES_EXIST, OntapCode.ENCRYPTED_VOLUMES_FOUND)
            ? ENCRYPTED_VOLUMES_EXPLANATION
            : ""),
        { cause: err },
      );
    }
  });
}

export { delete_ as delete };
