/**
 * The `KeyServer` resource's data model: input validation (`check`), normalisation, outputs, ids, and the
 * mapping from ONTAP records to Pulumi state. Pure: no I/O.
 *
 * A `KeyServer` manages one server of a key manager that does not list it itself. It must be paired with a
 * `KeyManager` whose `serverManagement` is `listed`: an `authoritative` key manager removes every server it does
 * not list, including this one.
 *
 * Outputs are the normalised inputs (server as canonical `host:port`, timeout and username explicit). ONTAP
 * never returns the password: it is carried over from the previous state. The glue should list `password` in
 * `additionalSecretOutputs`.
 *
 * @packageDocumentation
 */

import { z } from "zod";
import type { KeyServerRecord } from "../../ontap/keyServers";
import {
  type CheckFailure,
  type CheckResult,
  addIssue,
  type FailureAddressing,
  parseStoredOutputs,
  issuesToFailures,
  messages,
  sanitizeInputs,
  stringSchema,
  trimmedNameSchema,
  unknownOr,
} from "./check";
import { isUuid } from "./certificates";
import { type KeyServerConnectivity, connectivityFromRecord } from "./connectivity";
import {
  createRemoveTimeoutSchema,
  secondaryIssues,
  secondaryKeyServersSchema,
  serverAddressSchema,
  serverTimeoutSchema,
  serverUsernameSchema,
} from "./keyManagerModel";
import {
  DEFAULT_SERVER_TIMEOUT,
  DEFAULT_SERVER_USERNAME,
  canonicalServerAddress,
  parseServerAddress,
  serverSettingsFromRecord,
  withSecondaries,
  type KeyServerSettings,
  type ParseResult,
} from "./servers";
import { type MaybeUnknown, containsUnknown, isUnknown } from "./unknown";

/** The normalised, fully known inputs of a `KeyServer`. */
export interface KeyServerInputs extends KeyServerSettings {
  /** UUID (lower-case) of the key manager the server belongs to. */
  keyManager: string;
  /** Password for the KMIP username; absent to leave it unset. Secret. */
  password?: string;
  /** Take over the server if the key manager already has it instead of failing. Default false. */
  adopt: boolean;
  /** Connection profile name; absent means the stack's `ontap:*` settings. */
  profile?: string;
}

/** What `check` returns: {@link KeyServerInputs} where, during preview, any field may still be unknown. */
export type CheckedKeyServerInputs = { [K in keyof KeyServerInputs]: MaybeUnknown<KeyServerInputs[K]> };

/** The outputs (state) of a `KeyServer`: its normalised inputs. The id is {@link keyServerId}. */
export type KeyServerOutputs = KeyServerInputs;

const keyManagerUuidSchema = stringSchema()
  .refine(isUuid, { error: "must be the key manager's UUID (e.g. the KeyManager's id)" })
  .transform((uuid) => uuid.toLowerCase());

const keyServerInputsSchema = z
  .strictObject({
    keyManager: unknownOr(keyManagerUuidSchema),
    server: unknownOr(serverAddressSchema),
    timeout: unknownOr(serverTimeoutSchema).optional(),
    username: unknownOr(serverUsernameSchema).optional(),
    secondaryKeyServers: unknownOr(secondaryKeyServersSchema).optional(),
    createRemoveTimeout: unknownOr(createRemoveTimeoutSchema).optional(),
    password: unknownOr(
      stringSchema().min(1, { error: "must not be empty; omit password to leave it unset" }),
    ).optional(),
    adopt: unknownOr(z.boolean({ error: messages.boolean })).optional(),
    profile: unknownOr(trimmedNameSchema()).optional(),
  })
  .superRefine((v, ctx) => {
    // The other primaries of the key manager are not known here: ONTAP's 65538502 is explained at create.
    for (const issue of secondaryIssues(v.server, v.secondaryKeyServers))
      addIssue(ctx, issue.message, issue.path);
  })
  .transform((v): CheckedKeyServerInputs => ({
    keyManager: v.keyManager,
    server: v.server,
    timeout: v.timeout ?? DEFAULT_SERVER_TIMEOUT,
    username: v.username ?? DEFAULT_SERVER_USERNAME,
    ...(isUnknown(v.secondaryKeyServers)
      ? { secondaryKeyServers: v.secondaryKeyServers }
      : withSecondaries({}, v.secondaryKeyServers)),
    ...(v.createRemoveTimeout !== undefined ? { createRemoveTimeout: v.createRemoveTimeout } : {}),
    ...(v.password !== undefined ? { password: v.password } : {}),
    adopt: v.adopt ?? false,
    ...(v.profile !== undefined ? { profile: v.profile } : {}),
  }));

/** The top-level inputs a `KeyServer` accepts. */
export const KEY_SERVER_INPUT_NAMES: ReadonlySet<string> = new Set([
  "keyManager",
  "server",
  "timeout",
  "username",
  "secondaryKeyServers",
  "createRemoveTimeout",
  "password",
  "adopt",
  "profile",
]);

const KEY_SERVER_ADDRESSING: FailureAddressing = {
  secretTopLevel: new Set(["password"]),
  knownTopLevel: KEY_SERVER_INPUT_NAMES,
};

/**
 * Validates and normalises `KeyServer` inputs (Pulumi `check`): `server` canonical `host:port`, `timeout`
 * (-1 to 60, default 25; the release is checked later) and `username` (default "") explicit,
 * `secondaryKeyServers` canonical in their order (left out when empty). Unknown preview values pass; `__*` keys are dropped.
 * Failures never contain the password.
 *
 * @param _olds - the previous inputs; unused.
 * @param news - the inputs as Pulumi sends them.
 */
export function checkKeyServer(_olds: unknown, news: unknown): CheckResult<CheckedKeyServerInputs> {
  const raw = sanitizeInputs(news);
  const parsed = keyServerInputsSchema.safeParse(raw);
  if (parsed.success) return { valid: true, inputs: parsed.data, failures: [] };
  return {
    valid: false,
    inputs: raw,
    failures: issuesToFailures(parsed.error.issues, KEY_SERVER_ADDRESSING, raw),
  };
}

/** True when checked inputs hold no unknown value (always the case outside preview). */
export function isKnownKeyServerInputs(inputs: CheckedKeyServerInputs): inputs is KeyServerInputs {
  return !containsUnknown(inputs);
}

/** The resource id of a key server: `<key manager uuid>/<host:port>`. */
export function keyServerId(keyManagerUuid: string, server: string): string {
  return `${keyManagerUuid.toLowerCase()}/${canonicalServerAddress(server)}`;
}

/** Splits a {@link keyServerId} (e.g. given to `pulumi import`) into key manager UUID and canonical server. */
export function parseKeyServerId(id: string): ParseResult<{ keyManager: string; server: string }> {
  const slash = id.indexOf("/");
  const keyManager = slash < 0 ? "" : id.slice(0, slash);
  if (!isUuid(keyManager)) {
    return { ok: false, reason: "a KeyServer id is <key manager uuid>/<host:port>" };
  }
  const server = parseServerAddress(id.slice(slash + 1));
  if (!server.ok) return { ok: false, reason: `the server part of the id ${server.reason}` };
  return { ok: true, value: { keyManager: keyManager.toLowerCase(), server: server.value.address } };
}

/** Outputs after a successful create or update: the normalised inputs. */
export function buildKeyServerOutputs(inputs: KeyServerInputs): KeyServerOutputs {
  return { ...inputs };
}

/** The inputs that outputs stand for (what a refresh reports as the resource's inputs). */
export function keyServerInputsFromOutputs(outputs: KeyServerOutputs): KeyServerInputs {
  return { ...outputs };
}

/**
 * Refresh: outputs and inputs describing ONTAP's record of the server on key manager `keyManagerUuid`.
 * Password, `adopt` and `profile` come from the previous outputs (`undefined` when importing).
 */
export function readKeyServer(
  keyManagerUuid: string,
  record: KeyServerRecord,
  previous: KeyServerOutputs | undefined,
): { outputs: KeyServerOutputs; inputs: KeyServerInputs } {
  const outputs: KeyServerOutputs = {
    keyManager: keyManagerUuid.toLowerCase(),
    ...serverSettingsFromRecord(record),
    // Managed only when the program sets it: ONTAP's value then (the previous one if the record lacks it).
    ...(previous?.createRemoveTimeout !== undefined
      ? { createRemoveTimeout: record.create_remove_timeout ?? previous.createRemoveTimeout }
      : {}),
    ...(previous?.password !== undefined ? { password: previous.password } : {}),
    adopt: previous?.adopt ?? false,
    ...(previous?.profile !== undefined ? { profile: previous.profile } : {}),
  };
  return { outputs, inputs: keyServerInputsFromOutputs(outputs) };
}

/**
 * What is wrong with ONTAP's answer to a read of server `server` of key manager `keyManagerUuid`: the record of
 * another key manager (its `uuid`, when the record carries one) or of another server, in words; `undefined`
 * when it is the server asked for. Such an answer is an error, never new state.
 */
export function keyServerRecordMismatch(
  keyManagerUuid: string,
  server: string,
  record: KeyServerRecord,
): string | undefined {
  const theirs = [
    record.uuid !== undefined && record.uuid.toLowerCase() !== keyManagerUuid.toLowerCase()
      ? `key manager ${record.uuid}`
      : undefined,
    canonicalServerAddress(record.server) !== canonicalServerAddress(server)
      ? `server ${record.server}`
      : undefined,
  ].filter((x) => x !== undefined);
  return theirs.length > 0 ? theirs.join(" and ") : undefined;
}

const keyServerOutputsSchema = z.object({
  keyManager: z.string().min(1),
  server: z.string().min(1),
  timeout: z.number(),
  username: z.string(),
  secondaryKeyServers: z.array(z.string()).optional(),
  createRemoveTimeout: z.number().optional(),
  password: z.string().optional(),
  adopt: z.boolean().default(false),
  profile: z.string().optional(),
}) satisfies z.ZodType<KeyServerOutputs, unknown>;

/**
 * Parses stored `KeyServer` outputs. Internal `__*` and unknown keys are ignored.
 *
 * @throws Error naming the invalid fields (never their values).
 */
export function parseKeyServerOutputs(state: unknown): KeyServerOutputs {
  return parseStoredOutputs("KeyServer", keyServerOutputsSchema, state);
}

export type { KeyServerConnectivity } from "./connectivity";

/** Outputs of a `KeyServer`: its normalised inputs, plus connectivity where the release reports it. */
export type KeyServerState = KeyServerOutputs & { connectivity?: KeyServerConnectivity };

const connectivitySchema = z.object({
  clusterAvailability: z.boolean().optional(),
  nodeStates: z.array(z.object({ node: z.string(), state: z.string() })),
});

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

/**
 * Removing a password is refused, not ignored: ONTAP's REST API sets a key server's password (PATCH
 * `password`) but documents no way to clear one, so dropping it from the program would leave the credential on
 * the cluster while the stack forgot it. `olds` are the previous inputs (check) or outputs (diff).
 */
export function passwordRemovalFailures(olds: unknown, news: CheckedKeyServerInputs): CheckFailure[] {
  const old =
    typeof olds === "object" && olds !== null
      ? (olds as { password?: unknown; keyManager?: unknown; server?: unknown })
      : {};
  if (typeof old.password !== "string" || old.password === "" || news.password !== undefined) return [];
  // A replacement adds another server and removes the old one, credential and all: nothing is left behind.
  const replaced =
    isUnknown(news.keyManager) ||
    isUnknown(news.server) ||
    typeof old.keyManager !== "string" ||
    typeof old.server !== "string" ||
    old.keyManager.toLowerCase() !== news.keyManager ||
    canonicalServerAddress(old.server) !== news.server;
  if (replaced) return [];
  return [
    {
      // No property: the engine would show the password's value beside it.
      property: "",
      reason:
        "password: cannot be removed: ONTAP can set a key server's password but not clear it, so the " +
        "credential would stay on the cluster while the stack forgets it. Nothing was changed. Fix: keep " +
        "`password` (a new value changes it); to drop the credential, delete the KeyServer in one `pulumi up` " +
        "and add it back without a password in the next (ONTAP refuses to remove the last server holding " +
        "some keys, 65536700: add another one first).",
    },
  ];
}

/** ONTAP's connectivity record in output form; undefined when the record has none (9.6, or not asked for). */
export function connectivityOutput(
  record: Pick<KeyServerRecord, "connectivity">,
): KeyServerConnectivity | undefined {
  return record.connectivity ? connectivityFromRecord(record.connectivity) : undefined;
}

/** The connectivity recorded in previous outputs, if any (kept by updates, which do not read it). */
export function previousConnectivity(olds: unknown): KeyServerConnectivity | undefined {
  const raw =
    typeof olds === "object" && olds !== null ? (olds as { connectivity?: unknown }).connectivity : undefined;
  const parsed = connectivitySchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
