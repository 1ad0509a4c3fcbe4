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
  type KeyManagerRecord,
  OntapError,
  OntapNotFoundError,
  createKeyManager,
  deleteKeyManager,
  findKeyManager,
  findKeyManagerForScope,
  isOutcomeUnknown,
  listCertificates,
  rotateOnboardPassphrase,
  updateKeyManagerCertificates,
  waitForKeyManagerJobs,
  waitForJobsMentioning,
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
  type OntapKeyManagerRecord,
  buildKeyManagerOutputs,
  canonicalServerAddress,
  certificateRefsToResolve,
  checkKeyManager,
  desiredKeyManagerState,
  diffKeyManager,
  isKnownKeyManagerInputs,
  isUuid,
  parseKeyManagerOutputs,
  planKeyManagerCreate,
  planKeyManagerUpdate,
  readKeyManager,
} from "../model";
import { clientFor, connectionFailures, setConfig } from "./connection";
import { PartialStateError, hasOntapCode, keepingSerializedProvider, messageOf } from "./failures";
import { withLock } from "./locks";

/** Stores the stack config (connection settings and credentials); see {@link setConfig}. */
export function configure(req: dynamic.ConfigureRequest): Promise<void> {
  setConfig(req.config);
  return Promise.resolve();
}

/** Validates and normalises inputs. No network calls. */
export function check(olds: unknown, news: unknown): Promise<dynamic.CheckResult> {
  const result = checkKeyManager(olds, news);
  const failures = [...result.failures, ...connectionFailures(result.inputs.profile)];
  return Promise.resolve({ inputs: result.inputs, failures });
}

function checked(news: unknown): CheckedKeyManagerInputs {
  const result = checkKeyManager({}, news);
  if (!result.valid) {
    const reasons = result.failures.map((f) => (f.property === "" ? f.reason : `${f.property}: ${f.reason}`));
    throw new Error(`invalid KeyManager inputs: ${reasons.join("; ")}`);
  }
  return result.inputs;
}

function known(news: unknown): KeyManagerInputs {
  const inputs = checked(news);
  if (!isKnownKeyManagerInputs(inputs)) throw new Error("KeyManager inputs are not known yet");
  return inputs;
}

/** Previous outputs compared with checked inputs. No network calls. */
export function diff(_id: string, olds: unknown, news: unknown): Promise<dynamic.DiffResult> {
  const outcome = diffKeyManager(parseKeyManagerOutputs(olds), checked(news));
  return Promise.resolve({
    changes: outcome.changes,
    replaces: outcome.replaces,
    deleteBeforeReplace: outcome.deleteBeforeReplace,
  });
}

function describeScope(inputs: { svm?: string }): string {
  return inputs.svm === undefined ? "the cluster" : `SVM "${inputs.svm}"`;
}

/** ONTAP's record in the shape the model reads. */
function toModelRecord(record: KeyManagerRecord): OntapKeyManagerRecord {
  const svm = record.svm?.uuid !== undefined && record.svm.name !== undefined ? record.svm : undefined;
  const ext = record.external;
  return {
    uuid: record.uuid,
    scope: record.scope ?? (svm ? "svm" : "cluster"),
    ...(svm ? { svm: { uuid: svm.uuid!, name: svm.name! } } : {}),
    ...(ext
      ? {
          external: {
            ...(ext.client_certificate ? { client_certificate: { uuid: ext.client_certificate.uuid } } : {}),
            server_ca_certificates: (ext.server_ca_certificates ?? []).map((c) => ({ uuid: c.uuid })),
            servers: (ext.servers ?? []).map((s) => ({
              server: s.server,
              ...(s.timeout !== undefined ? { timeout: s.timeout } : {}),
              ...(s.username !== undefined ? { username: s.username } : {}),
            })),
          },
        }
      : {}),
    ...(record.onboard
      ? {
          onboard: {
            enabled: record.onboard.enabled ?? false,
            ...(record.onboard.key_backup !== undefined ? { key_backup: record.onboard.key_backup } : {}),
          },
        }
      : {}),
  };
}

function recordMode(record: KeyManagerRecord): "external" | "onboard" {
  return record.onboard?.enabled === true || !record.external ? "onboard" : "external";
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
      `${missing.join(", ")} not installed in ${describeScope(inputs)} (ONTAP would refuse with 65536821). ` +
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
        await updateKeyServer(client, uuid, step.server, {
          ...(step.timeout !== undefined ? { timeout: step.timeout } : {}),
          ...(step.username !== undefined ? { username: step.username } : {}),
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
    const record = await findKeyManager(client, uuid);
    if (!record) return undefined;
    const model = toModelRecord(record);
    const clientUuid = model.external?.client_certificate?.uuid.toLowerCase();
    return readKeyManager(model, spellingReference(intended, previous, clientUuid)).outputs;
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

function outputsRecord(outputs: KeyManagerOutputs): Record<string, unknown> {
  return outputs as unknown as Record<string, unknown>;
}

function stateOf(record: KeyManagerRecord, passphrase: string | undefined): KeyManagerState {
  const model = toModelRecord(record);
  if (recordMode(record) === "onboard") return { onboard: passphrase !== undefined ? { passphrase } : {} };
  return {
    external: {
      clientCertificateUuid: model.external?.client_certificate?.uuid.toLowerCase() ?? "",
      serverCaCertificateUuids: (model.external?.server_ca_certificates ?? []).map((c) =>
        c.uuid.toLowerCase(),
      ),
      servers: (model.external?.servers ?? []).map((s) => ({
        server: canonicalServerAddress(s.server),
        timeout: s.timeout ?? 25,
        username: s.username ?? "",
      })),
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
  if (recordMode(record) !== mode) {
    throw new Error(
      `${describeScope(inputs)} already has an ${recordMode(record)} key manager (${record.uuid}); adopt cannot ` +
        `switch it to ${mode}. Fix: delete it first (ONTAP cannot change the mode in place), or declare it as ` +
        `${recordMode(record)}.`,
    );
  }
  // An adopted onboard key manager takes the given passphrase as current: ONTAP cannot check one without
  // changing it, so no rotation is planned (and no probing write is ever made).
  const current = stateOf(record, inputs.onboard?.passphrase);
  const desired = desiredKeyManagerState(inputs, resolution);
  const steps = planKeyManagerUpdate(current, desired, {
    serverManagement: inputs.serverManagement,
    previouslyManaged: [],
  });
  const outputs = buildKeyManagerOutputs(inputs, {
    uuid: record.uuid,
    ...(record.svm?.uuid !== undefined ? { svmUuid: record.svm.uuid } : {}),
    certificates: resolution,
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
  await waitForKeyManagerJobs(client, "POST", "/security/key-managers");
  return findKeyManagerForScope(client, scope);
}

function scopeLock(inputs: { svm?: string; profile?: string }): string {
  return `scope:${inputs.profile ?? ""}:${inputs.svm ?? ""}`;
}

function kmLock(uuid: string): string {
  return `km:${uuid.toLowerCase()}`;
}

/** See {@link createResource}; a partial state keeps the serialized provider (see `keepingSerializedProvider`). */
export function create(news: unknown): Promise<dynamic.CreateResult> {
  return keepingSerializedProvider(news, createResource(news));
}

/**
 * Creates the key manager: one POST (`return_records=true`), then one PATCH per server with non-default
 * settings. See the README for `adopt` and for how a lost response is reconciled.
 */
async function createResource(news: unknown): Promise<dynamic.CreateResult> {
  const inputs = known(news);
  const client = clientFor(inputs.profile);
  return withLock(scopeLock(inputs), async () => {
    const resolution = await resolveCertificates(client, inputs);
    const scope = inputs.svm === undefined ? {} : { svmName: inputs.svm };
    if (inputs.adopt) {
      const existing = await findKeyManagerForScope(client, scope);
      if (existing) {
        const outputs = await converge(client, existing, inputs, resolution);
        return { id: outputs.uuid, outs: outputsRecord(outputs) };
      }
    }
    const plan = planKeyManagerCreate(desiredKeyManagerState(inputs, resolution));
    const request = plan.request;
    let record: KeyManagerRecord;
    try {
      record = await createKeyManager(
        client,
        {
          ...(request.svm !== undefined ? { svm: { name: request.svm } } : {}),
          ...(request.external
            ? {
                external: {
                  clientCertificate: { uuid: request.external.clientCertificateUuid },
                  serverCaCertificates: request.external.serverCaCertificateUuids.map((uuid) => ({ uuid })),
                  servers: request.external.servers,
                },
              }
            : {}),
          ...(request.onboard ? { onboard: { passphrase: request.onboard.passphrase } } : {}),
        },
        { keyBackup: inputs.onboard !== undefined },
      );
    } catch (err) {
      if (hasOntapCode(err, "65536823", "65536907", "65536870")) {
        throw new Error(
          `${describeScope(inputs)} already has a key manager, and ONTAP allows one per scope. Fix: set ` +
            `\`adopt: true\` to take it over and converge it to this program (dynamic resources cannot be ` +
            `imported), or delete the existing one. ONTAP said: ${messageOf(err)}`,
          { cause: err },
        );
      }
      if (!isOutcomeUnknown(err)) throw err;
      // The POST may have been applied although its answer was lost: look before failing, so a retry makes
      // neither a duplicate nor an orphan.
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
  });
}

/** See {@link updateResource}; a partial state keeps the serialized provider (see `keepingSerializedProvider`). */
export function update(id: string, olds: unknown, news: unknown): Promise<dynamic.UpdateResult> {
  return keepingSerializedProvider(news, updateResource(id, olds, news));
}

/**
 * Changes the key manager in place, planned against the previous outputs: certificates in one PATCH, servers
 * through the key-servers endpoint, the passphrase in one PATCH with the previous and the new one.
 */
async function updateResource(id: string, olds: unknown, news: unknown): Promise<dynamic.UpdateResult> {
  const previous = parseKeyManagerOutputs(olds);
  const inputs = known(news);
  const client = clientFor(inputs.profile);
  return withLock(kmLock(id), async () => {
    const resolution = await resolveCertificates(client, inputs, previousResolution(previous));
    const outputs = buildKeyManagerOutputs(inputs, {
      uuid: id,
      ...(previous.svmUuid !== undefined ? { svmUuid: previous.svmUuid } : {}),
      certificates: resolution,
      ...(previous.onboard?.enabled !== undefined ? { onboardEnabled: previous.onboard.enabled } : {}),
      ...(previous.onboard?.keyBackup !== undefined ? { keyBackup: previous.onboard.keyBackup } : {}),
    });
    let current: KeyManagerState = previous.external
      ? { external: previous.external }
      : {
          onboard:
            previous.onboard?.passphrase !== undefined ? { passphrase: previous.onboard.passphrase } : {},
        };
    if (inputs.serverManagement === "listed" && previous.external && inputs.external) {
      // Servers this resource does not own still count towards ONTAP's limit of 4: plan with all of them.
      const servers = await listKeyServers(client, id);
      current = {
        external: {
          ...previous.external,
          servers: servers.map((s) => ({
            server: canonicalServerAddress(s.server),
            timeout: s.timeout ?? 25,
            username: s.username ?? "",
          })),
        },
      };
    }
    const steps = planKeyManagerUpdate(current, desiredKeyManagerState(inputs, resolution), {
      serverManagement: inputs.serverManagement,
      previouslyManaged: (previous.external?.servers ?? []).map((s) => s.server),
    });
    const progress: { failed?: KeyManagerPlanStep } = {};
    const passphrases = {
      ...(previous.onboard?.passphrase !== undefined ? { existing: previous.onboard.passphrase } : {}),
      ...(inputs.onboard ? { next: inputs.onboard.passphrase } : {}),
    };
    try {
      try {
        await runSteps(client, id, steps, passphrases, progress);
      } catch (err) {
        // A rotation whose answer was lost: send it again once. Accepted, it is applied now; refused because
        // the existing passphrase no longer matches (65536139), the first one was applied.
        if (progress.failed?.kind !== "rotatePassphrase" || !isOutcomeUnknown(err)) throw err;
        await waitForJobsMentioning(client, id).catch(() => 0);
        try {
          await runSteps(client, id, [progress.failed], passphrases);
        } catch (again) {
          if (!hasOntapCode(again, "65536139")) throw err;
        }
      }
    } catch (err) {
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

/** Refresh: one GET with an explicit `fields` list; gone when ONTAP answers 404. */
export async function read(id: string, props: unknown): Promise<dynamic.ReadResult> {
  const previous = hasState(props) ? parseKeyManagerOutputs(props) : undefined;
  const profile = previous?.profile ?? profileOf(props);
  const client = clientFor(profile);
  const record = await findKeyManager(client, id, { keyBackup: previous?.onboard !== undefined });
  if (!record) return { id: "", props: {} };
  const { outputs, inputs } = readKeyManager(toModelRecord(record), previous);
  if (!previous && profile !== undefined) {
    // `KeyManager.get(name, id, {profile})`: remember which cluster it was read from.
    outputs.profile = profile;
    inputs.profile = profile;
  }
  return {
    id: record.uuid,
    props: outputsRecord(outputs),
    inputs: inputs,
  };
}

function hasState(props: unknown): boolean {
  return (
    typeof props === "object" && props !== null && typeof (props as { uuid?: unknown }).uuid === "string"
  );
}

function profileOf(props: unknown): string | undefined {
  const profile =
    typeof props === "object" && props !== null ? (props as { profile?: unknown }).profile : undefined;
  return typeof profile === "string" && profile !== "" ? profile : undefined;
}

/** One DELETE; a key manager already gone counts as deleted. */
export async function delete_(id: string, props: unknown): Promise<void> {
  const profile = profileOf(props);
  const client = clientFor(profile);
  await withLock(kmLock(id), async () => {
    try {
      await deleteKeyManager(client, id);
    } catch (err) {
      if (err instanceof OntapNotFoundError) return;
      if (err instanceof OntapError && isOutcomeUnknown(err)) {
        // The DELETE may have been applied although its answer was lost (on later releases, by a job that may
        // still be running).
        const path = `/security/key-managers/${id}`;
        const gone = async (): Promise<boolean> => (await findKeyManager(client, id)) === undefined;
        if (await gone()) return;
        // Look again even when no job is pending any more: it may have ended between the two looks.
        await waitForKeyManagerJobs(client, "DELETE", path);
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
          `the key manager stays in the stack.`,
        { cause: err },
      );
    }
  });
}

export { delete_ as delete };
