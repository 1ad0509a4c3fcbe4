/**
 * The implementation behind `keyServerProvider`: Pulumi's dynamic provider methods for `KeyServer`, gluing the
 * pure model (validation, diff, plans, read mapping) to the ONTAP key-servers endpoint. Loaded by package name
 * at call time by the serialized provider, so module state here (config, connection pools, locks) lives once
 * per provider process, shared with the `KeyManager` implementation.
 *
 * Every write holds the lock `km:<uuid>` (the one the KeyManager glue takes): Pulumi runs independent
 * resources in parallel, and ONTAP's limit of 4 servers per key manager applies to the state each request sees.
 *
 * @packageDocumentation
 */

import type * as dynamic from "@pulumi/pulumi/dynamic";
import { FEATURES, OntapNotFoundError, isOutcomeUnknown, waitForKeyServerJobs, OntapCode } from "../../ontap";
import type { OntapClient } from "../../ontap/client";
import {
  type KeyServerRecord,
  addKeyServer,
  deleteKeyServer,
  findKeyServer,
  updateKeyServer,
} from "../../ontap/keyServers";
import {
  type CheckedKeyServerInputs,
  type KeyServerInputs,
  type KeyServerOutputs,
  DEFAULT_SERVER_TIMEOUT,
  DEFAULT_SERVER_USERNAME,
  buildKeyServerOutputs,
  checkKeyServer,
  diffKeyServer,
  isKnownKeyServerInputs,
  type KeyServerConnectivity,
  type KeyServerState,
  connectivityOutput,
  keyServerId,
  keyServerRecordMismatch,
  parseKeyServerId,
  parseKeyServerOutputs,
  planKeyServerCreate,
  planKeyServerUpdate,
  passwordFailures,
  passwordRemovalFailures,
  previousConnectivity,
  readKeyServer,
  isUnknown,
} from "../model";
import { clientFor, connectionFailures } from "./connection";
import { PartialStateError, hasOntapCode, keepingSerializedProvider, messageOf } from "./failures";
import {
  checkedInputs,
  configureFor,
  diffResult,
  keyManagerLock,
  knownInputs,
  outputsRecord,
  profileOf,
} from "./glue";
import { withLock } from "./locks";
import { gatedUses, requireServerFeatures, secondaryRefusal } from "./serverFeatures";
import { assertBounded, settle, settleCheck } from "./settle";

/** Stores the stack config (connection settings and credentials); see `setConfig`. */
export const configure = configureFor("KeyServer");

/** Validates and normalises inputs. No network calls. */
export function check(olds: unknown, news: unknown): Promise<dynamic.CheckResult> {
  return settleCheck("KeyServer", news, () => {
    const result = checkKeyServer(olds, news);
    const failures = result.valid
      ? [...passwordFailures(result.inputs), ...passwordRemovalFailures(olds, result.inputs)]
      : result.failures;
    return { inputs: result.inputs, failures: [...failures, ...connectionFailures(result.inputs.profile)] };
  });
}

function checked(news: unknown): CheckedKeyServerInputs {
  return checkedInputs("KeyServer", checkKeyServer({}, news), passwordFailures);
}

function known(news: unknown): KeyServerInputs {
  return knownInputs("KeyServer", checked(news), isKnownKeyServerInputs);
}

/**
 * Previous outputs compared with checked inputs. No network calls, except the cached version probe when a
 * change sets secondary servers, a timeout of -1 or 0 or `createRemoveTimeout`: a release without them fails
 * here, in preview, naming the release it needs. `connectivity` is not an input and never makes a diff.
 */
export function diff(_id: string, olds: unknown, news: unknown): Promise<dynamic.DiffResult> {
  return settle(
    "KeyServer diff",
    async () => {
      const inputs = checked(news);
      const removal = passwordRemovalFailures(olds, inputs);
      if (removal.length > 0) throw new Error(`invalid KeyServer inputs: ${removal[0]!.reason}`);
      const outcome = diffKeyServer(parseKeyServerOutputs(olds), inputs);
      const uses = gated(inputs);
      if (
        outcome.replaces.length === 0 &&
        uses.length > 0 &&
        !isUnknown(inputs.profile) &&
        outcome.updates.some((u) => ["secondaryKeyServers", "timeout", "createRemoveTimeout"].includes(u))
      ) {
        await requireServerFeatures(clientFor(inputs.profile), uses);
      }
      return diffResult(outcome);
    },
    olds,
    news,
  );
}

/** Outputs with `connectivity` added when known (an output set to undefined would fail the host's call). */
function withConnectivity(
  outputs: KeyServerOutputs,
  connectivity: KeyServerConnectivity | undefined,
): KeyServerState {
  return connectivity ? { ...outputs, connectivity } : { ...outputs };
}

/**
 * Outputs with the connectivity of the server this create added or took over, so that the first refresh (which
 * reads it) finds no change: one GET on releases that report it (9.7 and later), none on 9.6. The server is added whatever this read
 * gives: a failed or senseless answer only leaves connectivity to the next refresh.
 */
async function withAddedConnectivity(
  client: OntapClient,
  outputs: KeyServerOutputs,
): Promise<KeyServerState> {
  const reported = await client.supports(FEATURES.keyServerConnectivity.minVersion).catch(() => false);
  if (!reported) return outputs;
  const { keyManager, server } = outputs;
  const record = await readServer(client, keyManager, server, { connectivity: true }).catch(() => undefined);
  return withConnectivity(outputs, record ? connectivityOutput(record) : undefined);
}

function withoutPassword(outputs: KeyServerState): KeyServerState {
  const { password: _dropped, ...rest } = outputs;
  return rest;
}

function describe(keyManager: string, server: string): string {
  return `key server ${server} of key manager ${keyManager}`;
}

/** The release-gated settings of a KeyServer's inputs (secondary servers, timeouts -1/0, createRemoveTimeout). */
function gated(inputs: CheckedKeyServerInputs): ReturnType<typeof gatedUses> {
  return gatedUses([inputs], () => "");
}

/** Why a key-server write failed, in words: ONTAP's refusal of secondary servers explained, else its message. */
function said(err: unknown, keyManager: string, server: string): string {
  return messageOf(secondaryRefusal(err, describe(keyManager, server)) ?? err);
}

/**
 * Converges a server that already exists (adopted, or found after a lost POST answer) to the inputs: one PATCH
 * of what differs, the password always (ONTAP never shows it). Returns the outputs.
 */
async function converge(
  client: OntapClient,
  inputs: KeyServerInputs,
  record: KeyServerRecord,
  what: string,
): Promise<KeyServerState> {
  const current = readKeyServer(
    inputs.keyManager,
    record,
    withoutPassword(buildKeyServerOutputs(inputs)),
  ).outputs;
  const patch = planKeyServerUpdate(current, inputs, undefined);
  if (patch) {
    try {
      await updateKeyServer(client, inputs.keyManager, inputs.server, patch);
    } catch (err) {
      throw new PartialStateError(
        `${what} ${describe(inputs.keyManager, inputs.server)} but could not apply its settings: ` +
          `${said(err, inputs.keyManager, inputs.server)} It is recorded in the stack; run \`pulumi up\` again to finish.`,
        keyServerId(inputs.keyManager, inputs.server),
        outputsRecord(current),
        err,
      );
    }
  }
  return buildKeyServerOutputs(inputs);
}

function createFailure(err: unknown, inputs: KeyServerInputs): Error {
  const { keyManager, server } = inputs;
  const said = `ONTAP said: ${messageOf(err)}`;
  if (hasOntapCode(err, OntapCode.DUPLICATE_KEY_SERVER)) {
    return new Error(
      `key manager ${keyManager} already has key server ${server}. Nothing was changed. Fix: set \`adopt: true\` ` +
        `to take it over and converge it to this program (dynamic resources cannot be imported), or remove it ` +
        `first. A server listed in a KeyManager's \`servers\` must not also be a KeyServer. ${said}`,
      { cause: err },
    );
  }
  if (hasOntapCode(err, OntapCode.TOO_MANY_KEY_SERVERS)) {
    return new Error(
      `cannot add key server ${server}: key manager ${keyManager} already has 4 key servers, the most ONTAP ` +
        `allows (${OntapCode.TOO_MANY_KEY_SERVERS}). The servers its KeyManager lists and every KeyServer on it count together. Nothing ` +
        `was changed. Fix: remove a key server first; Pulumi creates new resources before it deletes removed ` +
        `ones, so when swapping servers at the limit, remove the old one in an earlier \`pulumi up\`. ${said}`,
      { cause: err },
    );
  }
  if (err instanceof OntapNotFoundError) {
    return new Error(
      `key manager ${keyManager} does not exist, so key server ${server} cannot be added. Fix: set ` +
        `\`keyManager\` to an existing key manager's UUID (e.g. a KeyManager's id) on the cluster the ` +
        `connection${inputs.profile !== undefined ? ` profile "${inputs.profile}"` : ""} points at. ${said}`,
      { cause: err },
    );
  }
  if (hasOntapCode(err, OntapCode.NOT_EXTERNAL)) {
    return new Error(
      `key manager ${keyManager} does not use external key management (${OntapCode.NOT_EXTERNAL}), so it has no key servers. ` +
        `Fix: point \`keyManager\` at an external key manager. ${said}`,
      { cause: err },
    );
  }
  return new Error(`could not add key server ${server} to key manager ${keyManager}: ${messageOf(err)}`, {
    cause: err,
  });
}

/** See {@link createResource}; a partial state keeps the serialized provider (see `keepingSerializedProvider`). */
export function create(news: unknown): Promise<dynamic.CreateResult> {
  return settle("KeyServer create", () => keepingSerializedProvider(news, createResource(news)), news);
}

/**
 * Reads the server (one GET) and checks that the answer is the server asked for: an answer naming another key
 * manager or server does not make sense and is an error, never state.
 */
async function readServer(
  client: OntapClient,
  keyManager: string,
  server: string,
  options: { readonly connectivity?: boolean } = {},
): Promise<KeyServerRecord | undefined> {
  const record = await findKeyServer(client, keyManager, server, options);
  if (!record) return undefined;
  const theirs = keyServerRecordMismatch(keyManager, server, record);
  if (theirs !== undefined) {
    throw new Error(
      `ONTAP answered a read of ${describe(keyManager, server)} with the record of ${theirs}. ` +
        `The answer does not make sense, so nothing was recorded from it and nothing was changed. Fix: check ` +
        `the connection settings point at the cluster that holds key manager ${keyManager}, then run again.`,
    );
  }
  return record;
}

function alreadyThere(inputs: KeyServerInputs): Error {
  const { keyManager, server } = inputs;
  return new Error(
    `key manager ${keyManager} already has key server ${server}, and this KeyServer did not add it (a ` +
      `KeyManager may list it, or another program or a person added it). Nothing was changed. Fix: set ` +
      `\`adopt: true\` to take it over and converge it to this program (dynamic resources cannot be imported), ` +
      `or remove it first. A server listed in a KeyManager's \`servers\` must not also be a KeyServer.`,
  );
}

/**
 * Reads before it writes: one GET of the server, then one POST of its address and, when its settings are not
 * ONTAP's defaults or it has a password, one PATCH of them. A server already there belongs to someone else
 * (the KeyManager that lists it, another program, a person): without `adopt` the create fails before any write;
 * with `adopt` it is taken over (one PATCH if its settings differ). A lost POST answer is reconciled by reading
 * the server back, which is sound only because the GET proved it absent before: what is there now is what
 * this POST added (unless someone else added the same server in that instant).
 */
async function createResource(news: unknown): Promise<dynamic.CreateResult> {
  const inputs = known(news);
  const { keyManager, server } = inputs;
  const id = keyServerId(keyManager, server);
  const client = clientFor(inputs.profile);
  return withLock(keyManagerLock(keyManager), async () => {
    await requireServerFeatures(client, gated(inputs));
    const existing = await readServer(client, keyManager, server);
    if (existing) {
      if (!inputs.adopt) throw alreadyThere(inputs);
      const outputs = await converge(client, inputs, existing, "took over");
      return { id, outs: outputsRecord(await withAddedConnectivity(client, outputs)) };
    }
    const plan = planKeyServerCreate(inputs);
    try {
      await addKeyServer(client, keyManager, plan.request);
    } catch (err) {
      if (!isOutcomeUnknown(err)) throw createFailure(err, inputs);
      // The POST may have been applied although its answer was lost: look before failing, so that a retry
      // makes neither a duplicate nor an orphan.
      let found = await readServer(client, keyManager, server).catch(() => undefined);
      if (!found) {
        // Its job may still be running, or have ended since: wait for pending ones, then look again.
        await waitForKeyServerJobs(client, keyManager).catch(() => 0);
        found = await readServer(client, keyManager, server).catch(() => undefined);
      }
      if (!found) throw createFailure(err, inputs);
      const outputs = await converge(client, inputs, found, "added");
      return { id, outs: outputsRecord(await withAddedConnectivity(client, outputs)) };
    }
    const outputs = buildKeyServerOutputs(inputs);
    if (plan.patch) {
      try {
        await updateKeyServer(client, keyManager, server, plan.patch);
      } catch (err) {
        const { secondaryKeyServers: _notYet, createRemoveTimeout: _neither, ...posted } = outputs;
        let added = withoutPassword({
          ...posted,
          timeout: DEFAULT_SERVER_TIMEOUT,
          username: DEFAULT_SERVER_USERNAME,
        });
        if (isOutcomeUnknown(err)) {
          // The PATCH may have been applied (by a job that may still run): record what ONTAP holds. Whether
          // the password went through cannot be read back, so it is left out and sent again by the next up.
          await waitForKeyServerJobs(client, keyManager).catch(() => 0);
          const now = await readServer(client, keyManager, server).catch(() => undefined);
          if (now) added = readKeyServer(keyManager, now, added).outputs;
        }
        throw new PartialStateError(
          `added ${describe(keyManager, server)} but could not apply its settings${plan.patch.password !== undefined ? " and password" : ""}: ` +
            `${said(err, keyManager, server)} It is recorded in the stack as ONTAP holds it; run \`pulumi up\` again to ` +
            `apply them.`,
          id,
          outputsRecord(added),
          err,
        );
      }
    }
    return { id, outs: outputsRecord(await withAddedConnectivity(client, outputs)) };
  });
}

function updateFailure(err: unknown, keyManager: string, server: string): Error {
  if (
    err instanceof OntapNotFoundError ||
    hasOntapCode(err, OntapCode.KEY_SERVER_NOT_CONFIGURED, OntapCode.NOT_EXTERNAL)
  ) {
    return new Error(
      `${describe(keyManager, server)} no longer exists: it was removed outside Pulumi. Nothing was changed. ` +
        `Fix: run \`pulumi refresh\` (or \`pulumi up --refresh\`); the next \`pulumi up\` adds it again.`,
      { cause: err },
    );
  }
  const outcome = isOutcomeUnknown(err)
    ? "It may or may not have been applied; the stack keeps the previous settings and the next `pulumi up` " +
      "sends the change again."
    : "Nothing was changed; the stack keeps the previous settings.";
  return new Error(
    `could not update ${describe(keyManager, server)}: ${said(err, keyManager, server)} ${outcome}`,
    {
      cause: err,
    },
  );
}

/** See {@link updateResource}; a partial state keeps the serialized provider (see `keepingSerializedProvider`). */
export function update(id: string, olds: unknown, news: unknown): Promise<dynamic.UpdateResult> {
  return settle(
    "KeyServer update",
    () => keepingSerializedProvider(news, updateResource(id, olds, news)),
    olds,
    news,
  );
}

/**
 * A new `profile` must reach the same server: one GET through it. Not found (the profile points at another
 * cluster) fails with the state unchanged, instead of recording a server that the next refresh would drop
 * while it stays, unmanaged, on the first cluster.
 */
async function proveReachable(
  client: OntapClient,
  inputs: KeyServerInputs,
  previous: KeyServerOutputs,
): Promise<void> {
  const { keyManager, server } = inputs;
  const via = (p: string | undefined): string =>
    p === undefined ? "the stack's default connection" : `profile "${p}"`;
  const record = await readServer(client, keyManager, server).catch((err: unknown) => {
    throw new Error(
      `could not reach ${describe(keyManager, server)} through ${via(inputs.profile)}: ${messageOf(err)} ` +
        `Nothing was changed; the stack keeps ${via(previous.profile)}.`,
      { cause: err },
    );
  });
  if (!record) {
    throw new Error(
      `${describe(keyManager, server)} was not found through ${via(inputs.profile)}, so that connection does ` +
        `not reach the cluster that holds it. Nothing was changed; the stack keeps ${via(previous.profile)}. ` +
        `Fix: point the profile at the cluster that holds key manager ${keyManager} (renaming a profile, or ` +
        `naming the same cluster another way, is fine). A profile change never moves a key server: to add it ` +
        `on another cluster, point \`keyManager\` at a key manager there (that replaces the KeyServer).`,
    );
  }
}

/**
 * Changes `timeout`, `username` and/or `password` with one PATCH carrying only what changes, planned against
 * the previous outputs. A `profile` change first proves, with one GET, that the new profile reaches the same
 * server; `adopt` alone changes nothing on ONTAP.
 */
async function updateResource(_id: string, olds: unknown, news: unknown): Promise<dynamic.UpdateResult> {
  const previous = parseKeyServerOutputs(olds);
  const inputs = known(news);
  if (previous.keyManager !== inputs.keyManager || previous.server !== inputs.server) {
    // diff replaces the resource for these; an update can never move a server.
    throw new Error("a KeyServer's keyManager and server cannot change in place; it must be replaced");
  }
  const { keyManager, server } = inputs;
  const outs = outputsRecord(withConnectivity(buildKeyServerOutputs(inputs), previousConnectivity(olds)));
  const patch = planKeyServerUpdate(previous, inputs, previous.password);
  const profileChanged = (previous.profile ?? "") !== (inputs.profile ?? "");
  if (!patch && !profileChanged) return { outs };
  const client = clientFor(inputs.profile);
  return withLock(keyManagerLock(keyManager), async () => {
    if (patch) await requireServerFeatures(client, gated(inputs));
    if (profileChanged) await proveReachable(client, inputs, previous);
    if (!patch) return { outs };
    try {
      await updateKeyServer(client, keyManager, server, patch);
    } catch (err) {
      if (isOutcomeUnknown(err)) {
        // Maybe applied: record what ONTAP holds now (the password cannot be read back: keep the previous).
        await waitForKeyServerJobs(client, keyManager).catch(() => 0);
        const now = await findKeyServer(client, keyManager, server).catch(() => undefined);
        if (now) {
          throw new PartialStateError(
            `could not confirm the update of ${describe(keyManager, server)}: ${messageOf(err)}`,
            _id,
            outputsRecord(
              withConnectivity(readKeyServer(keyManager, now, previous).outputs, previousConnectivity(olds)),
            ),
            err,
          );
        }
      }
      throw updateFailure(err, keyManager, server);
    }
    return { outs };
  });
}

function idParts(id: string): { keyManager: string; server: string } {
  const parsed = parseKeyServerId(id);
  if (!parsed.ok) throw new Error(`"${id}" is not a KeyServer id: ${parsed.reason}`);
  return parsed.value;
}

function hasState(props: unknown): boolean {
  return (
    typeof props === "object" &&
    props !== null &&
    typeof (props as { keyManager?: unknown }).keyManager === "string"
  );
}

/**
 * Refresh: one GET of the server, with `connectivity` on releases that report it (a version probe first, once
 * per cluster and process). Gone when ONTAP answers 404; timeout and username as ONTAP holds them (drift).
 */
export async function read(id: string, props: unknown): Promise<dynamic.ReadResult> {
  assertBounded("KeyServer read", props);
  const { keyManager, server } = idParts(id);
  const previous = hasState(props) ? parseKeyServerOutputs(props) : undefined;
  const profile = previous?.profile ?? profileOf(props);
  const client = clientFor(profile);
  const record = await readServer(client, keyManager, server, { connectivity: true });
  if (!record) return { id: "", props: {} };
  const { outputs, inputs } = readKeyServer(keyManager, record, previous);
  if (!previous && profile !== undefined) {
    // `KeyServer.get(name, id, {profile})`: remember which cluster it was read from.
    outputs.profile = profile;
    inputs.profile = profile;
  }
  return {
    id: keyServerId(keyManager, record.server),
    props: outputsRecord(withConnectivity(outputs, connectivityOutput(record))),
    inputs,
  };
}

/**
 * One DELETE. A server (or key manager) already gone counts as deleted; ONTAP's refusal to remove the last
 * server holding some keys (65536700) is explained.
 */
export async function delete_(id: string, props: unknown): Promise<void> {
  assertBounded("KeyServer delete", props);
  const { keyManager, server } = idParts(id);
  const client = clientFor(profileOf(props));
  await withLock(keyManagerLock(keyManager), async () => {
    try {
      await deleteKeyServer(client, keyManager, server);
    } catch (err) {
      // 65536843: not configured; 65536828: the key manager is no longer external, so it has no servers.
      if (
        err instanceof OntapNotFoundError ||
        hasOntapCode(err, OntapCode.KEY_SERVER_NOT_CONFIGURED, OntapCode.NOT_EXTERNAL)
      )
        return;
      if (isOutcomeUnknown(err)) {
        // The DELETE may have been applied although its answer was lost (by a job that may still run).
        await waitForKeyServerJobs(client, keyManager).catch(() => 0);
        const still = await findKeyServer(client, keyManager, server);
        if (!still) return;
      }
      if (hasOntapCode(err, OntapCode.KEY_SERVER_HOLDS_ONLY_COPY)) {
        throw new Error(
          `${describe(keyManager, server)} was NOT removed: it holds keys in use that no other key server of ` +
            `this key manager has, and removing it would make them unreachable, so ONTAP refuses (${OntapCode.KEY_SERVER_HOLDS_ONLY_COPY}). ` +
            `Nothing was changed; the KeyServer stays in the stack. Fix: first add a key server that holds the ` +
            `same keys (e.g. a replica of this one) and let it synchronise, then delete this KeyServer.`,
          { cause: err },
        );
      }
      throw new Error(
        `${describe(keyManager, server)} was NOT removed: ${messageOf(err)} Nothing was changed; the KeyServer ` +
          `stays in the stack.`,
        { cause: err },
      );
    }
  });
}

export { delete_ as delete };
