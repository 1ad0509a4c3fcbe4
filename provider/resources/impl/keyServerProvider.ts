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
import { z } from "zod";
import {
  FEATURES,
  OntapNotFoundError,
  OntapUnsupportedError,
  isOutcomeUnknown,
  waitForJobsMentioning,
} from "../../ontap";
import type { OntapClient } from "../../ontap/client";
import {
  type KeyServerRecord,
  addKeyServer,
  deleteKeyServer,
  findKeyServer,
  updateKeyServer,
} from "../../ontap/keyServers";
import {
  type CheckFailure,
  type CheckedKeyServerInputs,
  type KeyServerInputs,
  type KeyServerOutputs,
  buildKeyServerOutputs,
  checkKeyServer,
  diffKeyServer,
  isKnownKeyServerInputs,
  isUnknown,
  keyServerId,
  parseKeyServerId,
  parseKeyServerOutputs,
  planKeyServerCreate,
  planKeyServerUpdate,
  readKeyServer,
} from "../model";
import { clientFor, connectionFailures, setConfig } from "./connection";
import { PartialStateError, hasOntapCode, keepingSerializedProvider, messageOf } from "./failures";
import { withLock } from "./locks";

/** A key server's connectivity as ONTAP last reported it (9.7 and later), in output form. */
export interface KeyServerConnectivity {
  /** Whether every node of the cluster reaches the server; absent when ONTAP did not say. */
  clusterAvailability?: boolean;
  /** Per-node states, sorted by node (9.7 lists only nodes whose state is not `available`). */
  nodeStates: { node: string; state: string }[];
}

/** Outputs of a `KeyServer`: its normalised inputs, plus connectivity where the release reports it. */
export type KeyServerState = KeyServerOutputs & { connectivity?: KeyServerConnectivity };

const connectivitySchema = z.object({
  clusterAvailability: z.boolean().optional(),
  nodeStates: z.array(z.object({ node: z.string(), state: z.string() })),
});

/** Stores the stack config (connection settings and credentials); see {@link setConfig}. */
export function configure(req: dynamic.ConfigureRequest): Promise<void> {
  setConfig(req.config);
  return Promise.resolve();
}

/**
 * Failures the model's check does not know about: ONTAP refuses a password on a server without a username
 * (65536845), which would only show after the POST had already added the server.
 */
export function passwordFailures(inputs: CheckedKeyServerInputs): CheckFailure[] {
  const { password, username } = inputs;
  if (password === undefined || isUnknown(password) || isUnknown(username) || username !== "") return [];
  return [
    {
      property: "username",
      reason: "must be set when password is set: ONTAP refuses a key server password without a username",
    },
  ];
}

/** Validates and normalises inputs. No network calls. */
export function check(olds: unknown, news: unknown): Promise<dynamic.CheckResult> {
  const result = checkKeyServer(olds, news);
  const failures = result.valid ? passwordFailures(result.inputs) : result.failures;
  return Promise.resolve({
    inputs: result.inputs,
    failures: [...failures, ...connectionFailures(result.inputs.profile)],
  });
}

/** Runs pure work, reporting a throw as a rejection like the I/O methods do. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

function checked(news: unknown): CheckedKeyServerInputs {
  const result = checkKeyServer({}, news);
  const failures = result.valid ? passwordFailures(result.inputs) : result.failures;
  if (!result.valid || failures.length > 0) {
    throw new Error(
      `invalid KeyServer inputs: ${failures.map((f) => (f.property ? `${f.property}: ${f.reason}` : f.reason)).join("; ")}`,
    );
  }
  return result.inputs;
}

function known(news: unknown): KeyServerInputs {
  const inputs = checked(news);
  if (!isKnownKeyServerInputs(inputs)) throw new Error("KeyServer inputs are not known yet");
  return inputs;
}

/**
 * Previous outputs compared with checked inputs. No network calls. `connectivity` is not an input and never
 * makes a diff.
 */
export function diff(_id: string, olds: unknown, news: unknown): Promise<dynamic.DiffResult> {
  return settle(() => {
    const outcome = diffKeyServer(parseKeyServerOutputs(olds), checked(news));
    return {
      changes: outcome.changes,
      replaces: outcome.replaces,
      deleteBeforeReplace: outcome.deleteBeforeReplace,
    };
  });
}

/** ONTAP's connectivity record in output form; undefined when the record has none (9.6, or not asked for). */
export function connectivityOutput(
  record: Pick<KeyServerRecord, "connectivity">,
): KeyServerConnectivity | undefined {
  const raw = record.connectivity;
  if (!raw) return undefined;
  const nodeStates = (raw.node_states ?? [])
    .map((n) => ({ node: n.node?.name ?? n.node?.uuid ?? "", state: n.state ?? "unknown" }))
    .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return {
    ...(raw.cluster_availability !== undefined ? { clusterAvailability: raw.cluster_availability } : {}),
    nodeStates,
  };
}

/** The connectivity recorded in previous outputs, if any (kept by updates, which do not read it). */
export function previousConnectivity(olds: unknown): KeyServerConnectivity | undefined {
  const raw =
    typeof olds === "object" && olds !== null ? (olds as { connectivity?: unknown }).connectivity : undefined;
  const parsed = connectivitySchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** Outputs with `connectivity` added when known (an output set to undefined would fail the host's call). */
function withConnectivity(
  outputs: KeyServerOutputs,
  connectivity: KeyServerConnectivity | undefined,
): KeyServerState {
  return connectivity ? { ...outputs, connectivity } : { ...outputs };
}

function withoutPassword(outputs: KeyServerState): KeyServerState {
  const { password: _dropped, ...rest } = outputs;
  return rest;
}

function outputsRecord(outputs: KeyServerState): Record<string, unknown> {
  return outputs as unknown as Record<string, unknown>;
}

function kmLock(uuid: string): string {
  return `km:${uuid.toLowerCase()}`;
}

function describe(keyManager: string, server: string): string {
  return `key server ${server} of key manager ${keyManager}`;
}

/** Fails before any write when the cluster's release cannot store a key server password. */
async function requirePasswordSupport(
  client: OntapClient,
  keyManager: string,
  server: string,
): Promise<void> {
  try {
    await client.requireVersion(FEATURES.keyServerPassword.minVersion, FEATURES.keyServerPassword.feature);
  } catch (err) {
    if (!(err instanceof OntapUnsupportedError)) throw err;
    throw new Error(
      `the password of ${describe(keyManager, server)} cannot be set: ${err.feature} need ONTAP ` +
        `${err.requiredVersion} or later, and ${err.target ?? "the cluster"} runs ONTAP ${err.actualVersion}. ` +
        `Nothing was changed. Fix: remove \`password\` from the KeyServer, or upgrade the cluster.`,
      { cause: err },
    );
  }
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
          `${messageOf(err)} It is recorded in the stack; run \`pulumi up\` again to finish.`,
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
  if (hasOntapCode(err, "65536871")) {
    return new Error(
      `key manager ${keyManager} already has key server ${server}. Nothing was changed. Fix: set \`adopt: true\` ` +
        `to take it over and converge it to this program (dynamic resources cannot be imported), or remove it ` +
        `first. A server listed in a KeyManager's \`servers\` must not also be a KeyServer. ${said}`,
      { cause: err },
    );
  }
  if (hasOntapCode(err, "65536038")) {
    return new Error(
      `cannot add key server ${server}: key manager ${keyManager} already has 4 key servers, the most ONTAP ` +
        `allows (65536038). The servers its KeyManager lists and every KeyServer on it count together. Nothing ` +
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
  if (hasOntapCode(err, "65536828")) {
    return new Error(
      `key manager ${keyManager} does not use external key management (65536828), so it has no key servers. ` +
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
  return keepingSerializedProvider(news, createResource(news));
}

/**
 * Adds the server: one POST carrying its timeout and username, then one PATCH when it has a password (the POST
 * cannot carry one). With `adopt`, an existing server is taken over instead (one GET, then one PATCH if its
 * settings differ). A lost POST answer is reconciled by reading the server back.
 */
async function createResource(news: unknown): Promise<dynamic.CreateResult> {
  const inputs = known(news);
  const { keyManager, server } = inputs;
  const id = keyServerId(keyManager, server);
  const client = clientFor(inputs.profile);
  return withLock(kmLock(keyManager), async () => {
    if (inputs.password !== undefined) await requirePasswordSupport(client, keyManager, server);
    if (inputs.adopt) {
      const existing = await findKeyServer(client, keyManager, server);
      if (existing) return { id, outs: outputsRecord(await converge(client, inputs, existing, "took over")) };
    }
    const plan = planKeyServerCreate(inputs);
    try {
      await addKeyServer(client, keyManager, plan.request);
    } catch (err) {
      if (!isOutcomeUnknown(err)) throw createFailure(err, inputs);
      // The POST may have been applied although its answer was lost: look before failing, so that a retry
      // makes neither a duplicate nor an orphan.
      let found = await findKeyServer(client, keyManager, server).catch(() => undefined);
      if (!found) {
        // Its job may still be running, or have ended since: wait for pending ones, then look again.
        await waitForJobsMentioning(client, `${keyManager}/key-servers`).catch(() => 0);
        found = await findKeyServer(client, keyManager, server).catch(() => undefined);
      }
      if (!found) throw createFailure(err, inputs);
      return { id, outs: outputsRecord(await converge(client, inputs, found, "added")) };
    }
    const outputs = buildKeyServerOutputs(inputs);
    if (plan.patch) {
      try {
        await updateKeyServer(client, keyManager, server, plan.patch);
      } catch (err) {
        throw new PartialStateError(
          `added ${describe(keyManager, server)} but could not set its password: ${messageOf(err)} It is ` +
            `recorded in the stack without the password; run \`pulumi up\` again to set it.`,
          id,
          outputsRecord(withoutPassword(outputs)),
          err,
        );
      }
    }
    return { id, outs: outputsRecord(outputs) };
  });
}

function updateFailure(err: unknown, keyManager: string, server: string): Error {
  if (err instanceof OntapNotFoundError || hasOntapCode(err, "65536843", "65536828")) {
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
  return new Error(`could not update ${describe(keyManager, server)}: ${messageOf(err)} ${outcome}`, {
    cause: err,
  });
}

/** See {@link updateResource}; a partial state keeps the serialized provider (see `keepingSerializedProvider`). */
export function update(id: string, olds: unknown, news: unknown): Promise<dynamic.UpdateResult> {
  return keepingSerializedProvider(news, updateResource(id, olds, news));
}

/**
 * Changes `timeout`, `username` and/or `password` with one PATCH carrying only what changes, planned against
 * the previous outputs. `profile` or `adopt` alone change nothing on ONTAP.
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
  if (!patch) return { outs };
  const client = clientFor(inputs.profile);
  return withLock(kmLock(keyManager), async () => {
    if (patch.password !== undefined) await requirePasswordSupport(client, keyManager, server);
    try {
      await updateKeyServer(client, keyManager, server, patch);
    } catch (err) {
      if (isOutcomeUnknown(err)) {
        // Maybe applied: record what ONTAP holds now (the password cannot be read back: keep the previous).
        await waitForJobsMentioning(client, `${keyManager}/key-servers`).catch(() => 0);
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

function profileOf(props: unknown): string | undefined {
  const profile =
    typeof props === "object" && props !== null ? (props as { profile?: unknown }).profile : undefined;
  return typeof profile === "string" && profile !== "" ? profile : undefined;
}

/**
 * Refresh: one GET of the server, with `connectivity` on releases that report it (a version probe first, once
 * per cluster and process). Gone when ONTAP answers 404; timeout and username as ONTAP holds them (drift).
 */
export async function read(id: string, props: unknown): Promise<dynamic.ReadResult> {
  const { keyManager, server } = idParts(id);
  const previous = hasState(props) ? parseKeyServerOutputs(props) : undefined;
  const profile = previous?.profile ?? profileOf(props);
  const client = clientFor(profile);
  const record = await findKeyServer(client, keyManager, server, { connectivity: true });
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
  const { keyManager, server } = idParts(id);
  const client = clientFor(profileOf(props));
  await withLock(kmLock(keyManager), async () => {
    try {
      await deleteKeyServer(client, keyManager, server);
    } catch (err) {
      // 65536843: not configured; 65536828: the key manager is no longer external, so it has no servers.
      if (err instanceof OntapNotFoundError || hasOntapCode(err, "65536843", "65536828")) return;
      if (isOutcomeUnknown(err)) {
        // The DELETE may have been applied although its answer was lost (by a job that may still run).
        await waitForJobsMentioning(client, `${keyManager}/key-servers`).catch(() => 0);
        const still = await findKeyServer(client, keyManager, server);
        if (!still) return;
      }
      if (hasOntapCode(err, "65536700")) {
        throw new Error(
          `${describe(keyManager, server)} was NOT removed: it holds keys in use that no other key server of ` +
            `this key manager has, and removing it would make them unreachable, so ONTAP refuses (65536700). ` +
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
