/**
 * The `KeyManager` resource's data model: input validation (`check`), normalisation, outputs, and the mapping
 * between ONTAP records and Pulumi state. Pure: no I/O.
 *
 * ## Inputs, outputs and certificate spellings
 *
 * The user may name certificates by UUID or by name; ONTAP stores UUIDs. Outputs therefore keep both:
 * - `external.clientCertificate` / `external.serverCaCertificates`: the references as the user wrote them
 *   (canonicalised: UUIDs lower-cased, CA list sorted and de-duplicated). `diff` compares ONLY these with the
 *   new inputs, so it reflects user intent and needs no ONTAP lookup.
 * - `external.clientCertificateUuid` / `external.serverCaCertificateUuids`: what ONTAP holds.
 *   `serverCaCertificateUuids[i]` is the UUID `serverCaCertificates[i]` resolved to (parallel lists).
 *
 * On refresh, {@link readKeyManager} maps each UUID ONTAP reports back to the spelling that resolved to it
 * before, so an unchanged key manager shows no diff. A UUID that no previous spelling resolved to (a
 * certificate swapped out of band) is reported as the UUID itself, which differs from the user's spelling, so
 * the next preview shows an update that puts the user's certificate back.
 *
 * Every other input is carried in the outputs in its normalised form (servers as `host:port` with explicit
 * timeout and username, sorted), because Pulumi's `diff` receives the previous outputs, not the inputs.
 *
 * `onboard.passphrase` is carried over from the previous state (ONTAP never returns it). The glue should list
 * `onboard` in `additionalSecretOutputs`: it holds the passphrase and the key backup.
 *
 * @packageDocumentation
 */

import { z } from "zod";
import type { KeyManagerRecord } from "../../ontap/keyManagers";
import {
  type CheckResult,
  type FailureAddressing,
  addIssue,
  parseStoredOutputs,
  issuesToFailures,
  messages,
  parseWithin,
  requiredOr,
  sanitizeInputs,
  stringSchema,
  trimmedNameSchema,
  unknownOr,
} from "./check";
import {
  type CertificateResolution,
  canonicalCertificateRef,
  isUuid,
  resolveCertificateRef,
  sortCertificateRefs,
} from "./certificates";
import type { DesiredKeyManagerState, ExternalState, KeyManagerState, ServerManagement } from "./plan";
import {
  DEFAULT_SERVER_TIMEOUT,
  DEFAULT_SERVER_USERNAME,
  MAX_KEY_SERVERS,
  MAX_SERVER_TIMEOUT,
  MIN_SERVER_TIMEOUT,
  type KeyServerSettings,
  parseServerAddress,
  canonicalServerAddress,
  carryCreateRemoveTimeout,
  secondaryProblems,
  serverSettingsFromRecord,
  sortServerEntries,
  withSecondaries,
} from "./servers";
import { type MaybeUnknown, UNKNOWN, containsUnknown, isUnknown } from "./unknown";
import { type KeyServerConnectivity, connectivityFromRecord } from "./connectivity";

export type { ServerManagement } from "./plan";

/** Where a key manager lives: the cluster (admin SVM) or one data SVM. */
export type KeyManagerScope = "cluster" | "svm";

/** Normalised external (KMIP) settings as the user gave them. */
export interface ExternalInputs {
  /** Client certificate UUID (lower-case) or name. */
  clientCertificate: string;
  /** Server CA certificate UUIDs (lower-case) or names; sorted, unique, at least one. */
  serverCaCertificates: string[];
  /** 1 to 4 key servers, unique, sorted by address, every setting explicit. */
  servers: KeyServerSettings[];
}

/** Onboard key management settings. */
export interface OnboardInputs {
  /** 32-256 printable ASCII characters. Secret. */
  passphrase: string;
  /**
   * The passphrase ONTAP holds now, when it is not the one in state (a rotation whose answers were lost twice).
   * Used only when given. Secret.
   */
  currentPassphrase?: string;
}

/** The normalised, fully known inputs of a `KeyManager` (what create and update work with). */
export interface KeyManagerInputs {
  /** SVM name; absent for cluster scope. */
  svm?: string;
  /** External key management; exactly one of `external` and `onboard` is present. */
  external?: ExternalInputs;
  /** Onboard key management (cluster scope only). */
  onboard?: OnboardInputs;
  /** Take over an existing key manager in the scope instead of failing. Default false. */
  adopt: boolean;
  /** Connection profile name; absent means the stack's `ontap:*` settings. */
  profile?: string;
  /** Which key servers this resource owns. Default `authoritative`. */
  serverManagement: ServerManagement;
}

/**
 * What `check` returns: {@link KeyManagerInputs}, except that during preview any part may still be Pulumi's
 * unknown sentinel. Use {@link isKnownKeyManagerInputs} before create or update.
 */
export type CheckedKeyManagerInputs = { [K in keyof KeyManagerInputs]: MaybeUnknown<KeyManagerInputs[K]> };

/** Normalised external settings in outputs: the user's spellings plus what ONTAP holds. */
export interface ExternalOutputs extends ExternalInputs {
  /** UUID of the client certificate ONTAP uses. */
  clientCertificateUuid: string;
  /** UUIDs ONTAP uses; `serverCaCertificateUuids[i]` is what `serverCaCertificates[i]` resolved to. */
  serverCaCertificateUuids: string[];
}

/** Onboard key management in outputs. */
export interface OnboardOutputs {
  /** Whether ONTAP reports onboard key management as enabled. */
  enabled: boolean;
  /** The passphrase last applied; absent when not known (imported). Secret. */
  passphrase?: string;
  /** `currentPassphrase` as last given, so that leaving it in the program is no change. Secret. */
  currentPassphrase?: string;
  /** The key hierarchy backup text, when the ONTAP release returns it. Secret. */
  keyBackup?: string;
}

/** The key manager's `status` as ONTAP reports it (9.7 and later; an expensive field). */
export interface KeyManagerStatus {
  /** ONTAP's status code (65537200 with "No action needed at this time."). */
  code: number;
  /** ONTAP's message: what, if anything, needs doing. */
  message: string;
}

/**
 * Health outputs: what ONTAP reports about the key manager's state. Refreshed by `read`, filled in by `create`,
 * kept by updates; never compared by `diff` (no change, no replacement), except that `keysMissingOnNodes` not
 * empty makes the next `up` synchronise the onboard keys.
 */
export interface KeyManagerHealth {
  /** `status {code, message}` (ONTAP 9.7 and later; absent on 9.6). */
  status?: KeyManagerStatus;
  /**
   * Per key server (canonical `host:port`), its connectivity from the cluster's nodes (external key managers,
   * ONTAP 9.7 and later; absent on 9.6).
   */
  connectivity?: Record<string, KeyServerConnectivity>;
  /**
   * Onboard key managers on ONTAP 9.11 and later: the nodes (by name, sorted) that miss some of the onboard keys
   * (a key `restored: false` in the node's key listing); `[]` when every node has them. Absent on earlier
   * releases (no per-node listing) and for external key managers.
   */
  keysMissingOnNodes?: string[];
}

/** The outputs (state) of a `KeyManager`. The resource id is `uuid`. */
export interface KeyManagerOutputs {
  /** ONTAP's UUID of the key manager; also the resource id. */
  uuid: string;
  /** `cluster`, or `svm` when `svm` is set. */
  scope: KeyManagerScope;
  /** SVM name (as ONTAP reports it after a refresh); absent for cluster scope. */
  svm?: string;
  /** SVM UUID; absent for cluster scope. */
  svmUuid?: string;
  /** External key management; absent in onboard mode. */
  external?: ExternalOutputs;
  /** Onboard key management; absent in external mode. */
  onboard?: OnboardOutputs;
  /** As in the inputs. */
  adopt: boolean;
  /** As in the inputs. */
  profile?: string;
  /** As in the inputs. */
  serverManagement: ServerManagement;
  /**
   * Set while a create is pending: its ONTAP job outlasted the job timeout before the key manager appeared. The
   * job's uuid; the resource id is the job's uuid too until the key manager is resolved (the next `up` or refresh
   * waits for the job and takes over the key manager it created).
   */
  createJob?: string;
  /** See {@link KeyManagerHealth}. */
  status?: KeyManagerStatus;
  /** See {@link KeyManagerHealth}. */
  connectivity?: Record<string, KeyServerConnectivity>;
  /** See {@link KeyManagerHealth}. */
  keysMissingOnNodes?: string[];
  /**
   * The name of the configuration this key manager is (ONTAP 9.16 and later, where a scope may hold an active
   * configuration and inactive ones); absent before 9.16.
   */
  configuration?: string;
  /**
   * Configurations (uuids) this resource created or replaced during a switch between onboard and external that may
   * still be on the cluster, inactive: the next `up` deletes them. Absent when there are none.
   */
  leftoverConfigurations?: string[];
  /**
   * Inactive configurations of the scope this resource does not know (made outside Pulumi), as the last read saw
   * them: reported, never adopted, never deleted. Absent when there are none (or before 9.16).
   */
  inactiveConfigurations?: InactiveConfiguration[];
}

/** An inactive key-manager configuration of the scope (9.16+), as outputs report it. */
export interface InactiveConfiguration {
  /** Its uuid. */
  uuid: string;
  /** Its name, when ONTAP reports one. */
  name?: string;
  /** Its mode. */
  mode: "external" | "onboard";
}

/** Inputs as reconstructed by a refresh: as {@link KeyManagerInputs}, but the passphrase may be unknown. */
export type RefreshedKeyManagerInputs = Omit<KeyManagerInputs, "onboard"> & {
  onboard?: Partial<OnboardInputs>;
  /**
   * Not an input a program sets: a refresh that finds onboard keys missing on some nodes reports them here, so the
   * next preview shows them going away (the update that synchronises them). Absent when every node has its keys.
   */
  keysMissingOnNodes?: string[];
};

// ---------------------------------------------------------------------------------------------------------------
// check

const PASSPHRASE_LENGTH = "must be 32 to 256 characters long";
const TIMEOUT =
  `must be an integer from ${MIN_SERVER_TIMEOUT} to ${MAX_SERVER_TIMEOUT} (seconds; -1 waits indefinitely and 0 ` +
  `does not wait, both need ONTAP 9.14 or later)`;
const SERVER_ENTRY =
  "must be a server address (host[:port]) or an object {server, timeout?, username?, secondaryKeyServers?}";

const passphraseSchema = stringSchema()
  .min(32, { error: PASSPHRASE_LENGTH })
  .max(256, { error: PASSPHRASE_LENGTH })
  .regex(/^[\x20-\x7e]*$/, { error: "must contain only printable ASCII characters (space to ~)" });

/** A key server address, canonicalised (see `parseServerAddress`). */
export const serverAddressSchema = stringSchema().transform((text, ctx) => {
  const parsed = parseServerAddress(text);
  if (parsed.ok) return parsed.value.address;
  addIssue(ctx, parsed.reason);
  return z.NEVER;
});

/** A key server timeout in seconds. */
export const serverTimeoutSchema = z
  .number({ error: TIMEOUT })
  .int({ error: TIMEOUT })
  .min(MIN_SERVER_TIMEOUT, { error: TIMEOUT })
  .max(MAX_SERVER_TIMEOUT, { error: TIMEOUT });

/** A key server username (`""` for none). */
export const serverUsernameSchema = stringSchema();

const CREATE_REMOVE_TIMEOUT =
  `must be an integer from ${MIN_SERVER_TIMEOUT} to ${MAX_SERVER_TIMEOUT} (seconds; -1 waits indefinitely, 0 ` +
  `does not wait; needs ONTAP 9.14 or later)`;

/** A key server's timeout for key create and remove operations, in seconds (9.14+). */
export const createRemoveTimeoutSchema = z
  .number({ error: CREATE_REMOVE_TIMEOUT })
  .int({ error: CREATE_REMOVE_TIMEOUT })
  .min(MIN_SERVER_TIMEOUT, { error: CREATE_REMOVE_TIMEOUT })
  .max(MAX_SERVER_TIMEOUT, { error: CREATE_REMOVE_TIMEOUT });

/**
 * Secondary key servers of one primary: addresses canonicalised like primaries, order kept (ONTAP tries them in
 * order). Rules that need the primary are checked by {@link secondaryFailures}.
 */
export const secondaryKeyServersSchema = z.array(unknownOr(serverAddressSchema), requiredOr(messages.list));

/**
 * Issues of a server's secondary list against its primary and the other primaries (when all are known), as
 * {path, message} relative to the server entry.
 */
export function secondaryIssues(
  primary: unknown,
  secondaries: unknown,
  otherPrimaries: readonly unknown[] = [],
): { message: string; path: PropertyKey[] }[] {
  if (typeof primary !== "string" || isUnknown(primary) || !Array.isArray(secondaries)) return [];
  const known = secondaries.filter((s): s is string => typeof s === "string" && !isUnknown(s));
  if (known.length !== secondaries.length) return [];
  const others = otherPrimaries.filter((p): p is string => typeof p === "string" && !isUnknown(p));
  return secondaryProblems(primary, known, others).map((p) => ({
    message: p.reason,
    path: p.index === undefined ? ["secondaryKeyServers"] : ["secondaryKeyServers", p.index],
  }));
}

const serverObjectSchema = z
  .strictObject(
    {
      server: unknownOr(serverAddressSchema),
      timeout: unknownOr(serverTimeoutSchema).optional(),
      username: unknownOr(serverUsernameSchema).optional(),
      secondaryKeyServers: unknownOr(secondaryKeyServersSchema).optional(),
      createRemoveTimeout: unknownOr(createRemoveTimeoutSchema).optional(),
    },
    { error: SERVER_ENTRY },
  )
  .transform((s): MaybeUnknown<KeyServerSettings> => {
    const settings = {
      server: s.server,
      timeout: s.timeout ?? DEFAULT_SERVER_TIMEOUT,
      username: s.username ?? DEFAULT_SERVER_USERNAME,
      ...(s.createRemoveTimeout !== undefined ? { createRemoveTimeout: s.createRemoveTimeout } : {}),
    };
    // Unknown (preview) stays in place; a known empty list is the default and is left out.
    if (isUnknown(s.secondaryKeyServers)) return { ...settings, secondaryKeyServers: s.secondaryKeyServers };
    return withSecondaries(settings, s.secondaryKeyServers);
  });

const serverEntrySchema = z.unknown().transform((value, ctx): MaybeUnknown<KeyServerSettings> => {
  if (typeof value === "string") {
    const server = parseWithin(serverAddressSchema, value, ctx);
    return { server, timeout: DEFAULT_SERVER_TIMEOUT, username: DEFAULT_SERVER_USERNAME };
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return parseWithin(serverObjectSchema, value, ctx);
  }
  addIssue(ctx, SERVER_ENTRY);
  return z.NEVER;
});

function knownServerAddress(entry: MaybeUnknown<KeyServerSettings>): string | undefined {
  return isUnknown(entry) || isUnknown(entry.server) ? undefined : entry.server;
}

const serversSchema = z
  .array(unknownOr(serverEntrySchema), requiredOr(messages.list))
  .min(1, { error: `must list 1 to ${MAX_KEY_SERVERS} key servers` })
  .max(MAX_KEY_SERVERS, { error: `must list 1 to ${MAX_KEY_SERVERS} key servers (ONTAP's limit)` })
  .superRefine((servers, ctx) => {
    const firstIndex = new Map<string, number>();
    servers.forEach((entry, i) => {
      const address = knownServerAddress(entry);
      if (address === undefined) return;
      const first = firstIndex.get(address);
      if (first === undefined) firstIndex.set(address, i);
      else addIssue(ctx, `is the same key server as entry [${first}] (${address})`, [i]);
    });
    servers.forEach((entry, i) => {
      if (isUnknown(entry)) return;
      const others = servers.filter((_, j) => j !== i).map((o) => (isUnknown(o) ? o : o.server));
      for (const issue of secondaryIssues(entry.server, entry.secondaryKeyServers, others)) {
        addIssue(ctx, issue.message, [i, ...issue.path]);
      }
    });
  })
  .transform((servers) => sortServerEntries(servers));

/** A certificate reference (UUID or name), canonicalised. */
export const certificateRefSchema = trimmedNameSchema().transform(canonicalCertificateRef);

const serverCaCertificatesSchema = z
  .array(unknownOr(certificateRefSchema), requiredOr(messages.list))
  .min(1, { error: "must list at least one server CA certificate" })
  .superRefine((refs, ctx) => {
    const firstIndex = new Map<string, number>();
    refs.forEach((ref, i) => {
      if (isUnknown(ref)) return;
      const first = firstIndex.get(ref);
      if (first === undefined) firstIndex.set(ref, i);
      else addIssue(ctx, `is the same certificate as entry [${first}] ("${ref}")`, [i]);
    });
  })
  .transform((refs) => sortCertificateRefs(refs));

const externalSchema = z.strictObject(
  {
    clientCertificate: unknownOr(certificateRefSchema),
    serverCaCertificates: unknownOr(serverCaCertificatesSchema),
    servers: unknownOr(serversSchema),
  },
  { error: "must be an object {clientCertificate, serverCaCertificates, servers}" },
);

const onboardSchema = z.strictObject(
  { passphrase: unknownOr(passphraseSchema), currentPassphrase: unknownOr(passphraseSchema).optional() },
  { error: "must be an object {passphrase, currentPassphrase?}" },
);

const serverManagementSchema = z.enum(["authoritative", "listed"], {
  error: 'must be "authoritative" or "listed"',
});

/**
 * Rules that relate several inputs. They depend only on which inputs are present (and known), so they are
 * also checked on raw inputs whose fields failed to parse: a user sees every problem at once, not in rounds.
 */
function crossFieldIssues(v: { svm?: unknown; external?: unknown; onboard?: unknown }): {
  message: string;
  path: PropertyKey[];
}[] {
  const issues: { message: string; path: PropertyKey[] }[] = [];
  if (v.external === undefined && v.onboard === undefined) {
    issues.push({
      message: "set exactly one of external (KMIP key servers) or onboard (passphrase)",
      path: [],
    });
  } else if (v.external !== undefined && v.onboard !== undefined) {
    // An unknown object may still turn out to be undefined: only complain when both are known.
    if (!isUnknown(v.external) && !isUnknown(v.onboard)) {
      issues.push({
        message: "external and onboard are mutually exclusive: set exactly one of them",
        path: [],
      });
    }
  }
  if (v.onboard !== undefined && !isUnknown(v.onboard) && v.svm !== undefined && !isUnknown(v.svm)) {
    issues.push({
      message:
        "onboard key management is only available at cluster scope: remove svm, or use external key management",
      path: ["svm"],
    });
  }
  return issues;
}

const keyManagerInputsSchema = z
  .strictObject({
    svm: unknownOr(trimmedNameSchema()).optional(),
    external: unknownOr(externalSchema).optional(),
    onboard: unknownOr(onboardSchema).optional(),
    adopt: unknownOr(z.boolean({ error: messages.boolean })).optional(),
    profile: unknownOr(trimmedNameSchema()).optional(),
    serverManagement: unknownOr(serverManagementSchema).optional(),
  })
  .superRefine((v, ctx) => {
    for (const issue of crossFieldIssues(v)) addIssue(ctx, issue.message, issue.path);
  })
  .transform((v): CheckedKeyManagerInputs => ({
    ...(v.svm !== undefined ? { svm: v.svm } : {}),
    ...(v.external !== undefined ? { external: v.external } : {}),
    ...(v.onboard !== undefined ? { onboard: v.onboard } : {}),
    adopt: v.adopt ?? false,
    ...(v.profile !== undefined ? { profile: v.profile } : {}),
    serverManagement: v.serverManagement ?? "authoritative",
  }));

/** The top-level inputs a `KeyManager` accepts. */
export const KEY_MANAGER_INPUT_NAMES: ReadonlySet<string> = new Set([
  "svm",
  "external",
  "onboard",
  "adopt",
  "profile",
  "serverManagement",
]);

const KEY_MANAGER_ADDRESSING: FailureAddressing = {
  secretTopLevel: new Set(["onboard"]),
  knownTopLevel: KEY_MANAGER_INPUT_NAMES,
};

/**
 * Validates and normalises `KeyManager` inputs (Pulumi `check`). Unknown preview values are accepted where they
 * stand and validated once known. Pulumi-internal keys (`__provider`, any `__*`) are ignored and dropped.
 * Failures name the field (`external.servers[2].timeout`) and never contain a passphrase.
 *
 * @param _olds - the previous inputs; unused (every rule depends on the new inputs only).
 * @param news - the inputs as Pulumi sends them.
 */
export function checkKeyManager(_olds: unknown, news: unknown): CheckResult<CheckedKeyManagerInputs> {
  const raw = sanitizeInputs(news);
  const parsed = keyManagerInputsSchema.safeParse(raw);
  if (parsed.success) return { valid: true, inputs: parsed.data, failures: [] };
  // zod skips the object-level rules once a field fails: add them here (issuesToFailures drops duplicates).
  const crossField = crossFieldIssues(raw).map(({ message, path }): z.core.$ZodIssue => ({
    code: "custom",
    message,
    path,
    input: undefined,
  }));
  return {
    valid: false,
    inputs: raw,
    failures: issuesToFailures([...parsed.error.issues, ...crossField], KEY_MANAGER_ADDRESSING, raw),
  };
}

/** True when checked inputs hold no unknown value anywhere (always the case outside preview). */
export function isKnownKeyManagerInputs(inputs: CheckedKeyManagerInputs): inputs is KeyManagerInputs {
  return !containsUnknown(inputs);
}

/** The scope of a key manager from its SVM name. */
export function keyManagerScope(inputs: { svm?: string }): KeyManagerScope {
  return inputs.svm === undefined ? "cluster" : "svm";
}

/**
 * The certificate names (not UUIDs) the glue must resolve, in the key manager's scope, before create or update:
 * sorted and unique. UUID references need no lookup (the glue may still check they exist).
 */
export function certificateRefsToResolve(inputs: KeyManagerInputs): string[] {
  if (!inputs.external) return [];
  const refs = [inputs.external.clientCertificate, ...inputs.external.serverCaCertificates];
  return sortCertificateRefs(refs.filter((ref) => !isUuid(ref)));
}

// ---------------------------------------------------------------------------------------------------------------
// outputs and state

/** Facts only ONTAP (or the glue's lookups) can supply when building outputs after a create or update. */
export interface KeyManagerFacts {
  /** Key manager UUID. */
  uuid: string;
  /** SVM UUID, for SVM scope. */
  svmUuid?: string;
  /** Name to UUID resolution of the certificate references (UUID references may be left out). */
  certificates?: CertificateResolution;
  /** Onboard `enabled` as ONTAP reports it; default true. */
  onboardEnabled?: boolean;
  /** Key hierarchy backup, when the release returns it. */
  keyBackup?: string;
  /** Health outputs known at this point (see {@link KeyManagerHealth}); absent ones are left out. */
  health?: KeyManagerHealth;
  /** The configuration's name (9.16+). */
  configuration?: string;
  /** Configurations of this resource's still to delete (see {@link KeyManagerOutputs.leftoverConfigurations}). */
  leftoverConfigurations?: readonly string[];
}

/**
 * Outputs after a successful create or update: the inputs, normalised, plus what ONTAP assigned.
 *
 * @throws Error when a certificate name is missing from `facts.certificates`.
 */
export function buildKeyManagerOutputs(inputs: KeyManagerInputs, facts: KeyManagerFacts): KeyManagerOutputs {
  const resolution = facts.certificates ?? new Map<string, string>();
  const external = inputs.external;
  const cas = external ? sortCertificateRefs(external.serverCaCertificates) : [];
  return {
    uuid: facts.uuid,
    scope: keyManagerScope(inputs),
    ...(inputs.svm !== undefined ? { svm: inputs.svm } : {}),
    ...(facts.svmUuid !== undefined ? { svmUuid: facts.svmUuid } : {}),
    ...(external
      ? {
          external: {
            clientCertificate: external.clientCertificate,
            clientCertificateUuid: resolveCertificateRef(external.clientCertificate, resolution),
            serverCaCertificates: cas,
            serverCaCertificateUuids: cas.map((ref) => resolveCertificateRef(ref, resolution)),
            servers: sortServerEntries(external.servers),
          },
        }
      : {}),
    ...(inputs.onboard
      ? {
          onboard: {
            enabled: facts.onboardEnabled ?? true,
            passphrase: inputs.onboard.passphrase,
            ...(inputs.onboard.currentPassphrase !== undefined
              ? { currentPassphrase: inputs.onboard.currentPassphrase }
              : {}),
            ...(facts.keyBackup !== undefined ? { keyBackup: facts.keyBackup } : {}),
          },
        }
      : {}),
    adopt: inputs.adopt,
    ...(inputs.profile !== undefined ? { profile: inputs.profile } : {}),
    serverManagement: inputs.serverManagement,
    ...healthOutputs(facts.health ?? {}, inputs.onboard !== undefined),
    ...(facts.configuration !== undefined ? { configuration: facts.configuration } : {}),
    ...(facts.leftoverConfigurations?.length
      ? { leftoverConfigurations: [...facts.leftoverConfigurations] }
      : {}),
  };
}

/** Health outputs, left out where unknown; `keysMissingOnNodes` only for onboard, `connectivity` only for external. */
function healthOutputs(health: KeyManagerHealth, onboard: boolean): KeyManagerHealth {
  return {
    ...(health.status !== undefined ? { status: { ...health.status } } : {}),
    ...(!onboard && health.connectivity !== undefined ? { connectivity: { ...health.connectivity } } : {}),
    ...(onboard && health.keysMissingOnNodes !== undefined
      ? { keysMissingOnNodes: [...health.keysMissingOnNodes].sort() }
      : {}),
  };
}

/**
 * The health an update records without reading ONTAP (no extra call): the previous `status`, the previous
 * `connectivity` of the servers the key manager keeps (a server added shows at the next refresh), and the previous
 * `keysMissingOnNodes` (`[]` once the update has synchronised them: the glue sets it).
 */
export function healthKeptByUpdate(previous: KeyManagerOutputs, inputs: KeyManagerInputs): KeyManagerHealth {
  const kept = new Set((inputs.external?.servers ?? []).map((s) => s.server));
  const connectivity =
    previous.connectivity === undefined
      ? undefined
      : Object.fromEntries(Object.entries(previous.connectivity).filter(([server]) => kept.has(server)));
  return {
    ...(previous.status !== undefined ? { status: previous.status } : {}),
    ...(connectivity !== undefined ? { connectivity } : {}),
    ...(previous.keysMissingOnNodes !== undefined ? { keysMissingOnNodes: previous.keysMissingOnNodes } : {}),
  };
}

/**
 * Whether an update must synchronise the onboard keys: the key manager stays onboard, and the last read found
 * nodes that miss keys. Nothing is sent when every node has them (or the release cannot tell).
 */
export function needsOnboardSync(previous: KeyManagerOutputs, inputs: KeyManagerInputs): boolean {
  return (
    previous.onboard !== undefined &&
    inputs.onboard !== undefined &&
    (previous.keysMissingOnNodes?.length ?? 0) > 0
  );
}

/**
 * Connectivity of the servers this resource manages: the servers of the previous outputs (all reported ones when
 * there are none, e.g. a lookup by id). A server added or removed outside Pulumi is drift, which the refresh shows
 * once, in `external.servers`; reporting its connectivity too would repeat the same change in ten more lines of
 * the preview a reviewer reads. So a server added out of band gets no entry, and a managed server ONTAP no longer
 * lists keeps its last report until the `up` that puts it back and the refresh after it.
 */
export function managedConnectivity(
  health: KeyManagerHealth,
  previous?: KeyManagerOutputs,
): KeyManagerHealth {
  const managed = previous?.external?.servers.map((s) => s.server);
  if (managed === undefined) return health;
  const connectivity = Object.fromEntries(
    managed.flatMap((server) => {
      const report = health.connectivity?.[server] ?? previous?.connectivity?.[server];
      return report !== undefined ? [[server, report] as const] : [];
    }),
  );
  const { connectivity: _reported, ...rest } = health;
  return Object.keys(connectivity).length > 0 ? { ...rest, connectivity } : rest;
}

/**
 * Health from a key-manager record read with the health fields: `status` and each server's `connectivity` (keyed
 * by canonical address), where the record has them. `keysMissingOnNodes` comes from the per-node key listings.
 */
export function healthFromRecord(record: KeyManagerRecord, keysMissingOnNodes?: string[]): KeyManagerHealth {
  const status =
    record.status?.code !== undefined
      ? { code: record.status.code, message: record.status.message ?? "" }
      : undefined;
  const reported = (record.external?.servers ?? []).filter((s) => s.connectivity !== undefined);
  const connectivity =
    reported.length > 0
      ? Object.fromEntries(
          reported.map((s) => [canonicalServerAddress(s.server), connectivityFromRecord(s.connectivity!)]),
        )
      : undefined;
  return {
    ...(status ? { status } : {}),
    ...(connectivity ? { connectivity } : {}),
    ...(keysMissingOnNodes !== undefined ? { keysMissingOnNodes } : {}),
  };
}

/** The inputs that outputs stand for (what a refresh reports as the resource's inputs). */
export function keyManagerInputsFromOutputs(outputs: KeyManagerOutputs): RefreshedKeyManagerInputs {
  const { external, onboard } = outputs;
  return {
    ...(outputs.svm !== undefined ? { svm: outputs.svm } : {}),
    ...(external
      ? {
          external: {
            clientCertificate: external.clientCertificate,
            serverCaCertificates: [...external.serverCaCertificates],
            servers: external.servers.map((s) => ({ ...s })),
          },
        }
      : {}),
    ...(onboard
      ? {
          onboard: {
            ...(onboard.passphrase !== undefined ? { passphrase: onboard.passphrase } : {}),
            ...(onboard.currentPassphrase !== undefined
              ? { currentPassphrase: onboard.currentPassphrase }
              : {}),
          },
        }
      : {}),
    adopt: outputs.adopt,
    ...(outputs.profile !== undefined ? { profile: outputs.profile } : {}),
    serverManagement: outputs.serverManagement,
  };
}

function recordServers(record: KeyManagerRecord): KeyServerSettings[] {
  return (record.external?.servers ?? []).map(serverSettingsFromRecord);
}

/**
 * The mode of an ONTAP key manager record; undefined when the record says neither (an answer that makes no
 * sense, which the glue refuses).
 */
export function keyManagerMode(record: KeyManagerRecord): "external" | "onboard" | undefined {
  // Some releases describe an external key manager with `onboard: {enabled: false}` too.
  if (record.onboard?.enabled === true) return "onboard";
  if (record.external) return "external";
  return record.onboard ? "onboard" : undefined;
}

function recordExternalState(record: KeyManagerRecord): ExternalState {
  return {
    clientCertificateUuid: record.external?.client_certificate?.uuid.toLowerCase() ?? "",
    serverCaCertificateUuids: sortCertificateRefs(
      (record.external?.server_ca_certificates ?? []).map((c) => c.uuid.toLowerCase()),
    ),
    servers: sortServerEntries(recordServers(record)),
  };
}

/**
 * The current state for {@link planKeyManagerUpdate}: everything ONTAP reports (all servers, whatever
 * `serverManagement` says, since they all count towards the limit), plus the passphrase from the previous state.
 */
export function keyManagerStateFromRecord(
  record: KeyManagerRecord,
  previousPassphrase?: string,
): KeyManagerState {
  const mode = keyManagerMode(record);
  if (mode === "external") return { external: recordExternalState(record) };
  if (mode === "onboard")
    return { onboard: previousPassphrase !== undefined ? { passphrase: previousPassphrase } : {} };
  return {};
}

/**
 * The desired state for planning, from fully known inputs and the resolution of certificate names.
 *
 * @throws Error when a certificate name is missing from `certificates`.
 */
export function desiredKeyManagerState(
  inputs: KeyManagerInputs,
  certificates: CertificateResolution = new Map(),
): DesiredKeyManagerState {
  const svm = inputs.svm !== undefined ? { svm: inputs.svm } : {};
  if (inputs.onboard) return { ...svm, onboard: { passphrase: inputs.onboard.passphrase } };
  if (!inputs.external) return svm;
  return {
    ...svm,
    external: {
      clientCertificateUuid: resolveCertificateRef(inputs.external.clientCertificate, certificates),
      serverCaCertificateUuids: sortCertificateRefs(
        inputs.external.serverCaCertificates.map((ref) => resolveCertificateRef(ref, certificates)),
      ),
      servers: sortServerEntries(inputs.external.servers),
    },
  };
}

/** The spellings to report for a UUID ONTAP uses: every previous spelling that resolved to it, else the UUID. */
function spellingsOf(uuid: string, previous: readonly (readonly [string, string])[]): string[] {
  const refs = previous.filter(([, was]) => was === uuid).map(([ref]) => ref);
  return refs.length > 0 ? refs : [uuid];
}

function readExternal(record: KeyManagerRecord, previous: KeyManagerOutputs | undefined): ExternalOutputs {
  const state = recordExternalState(record);
  const before = previous?.external;
  const clientCertificate = spellingsOf(
    state.clientCertificateUuid,
    before ? [[before.clientCertificate, before.clientCertificateUuid]] : [],
  )[0]!;
  const previousCas = before
    ? before.serverCaCertificates.map((ref, i) => [ref, before.serverCaCertificateUuids[i]!] as const)
    : [];
  const casByRef = new Map<string, string>();
  for (const uuid of state.serverCaCertificateUuids) {
    for (const ref of spellingsOf(uuid, previousCas)) casByRef.set(ref, uuid);
  }
  const serverCaCertificates = sortCertificateRefs([...casByRef.keys()]);

  let servers = [...state.servers];
  if ((previous?.serverManagement ?? "authoritative") === "listed") {
    // Servers this resource never listed belong to someone else (e.g. KeyServer resources): not drift.
    const owned = new Set((before?.servers ?? []).map((s) => s.server));
    servers = servers.filter((s) => owned.has(s.server));
  }
  // A key-manager record has no create_remove_timeout: what the state holds for a server stays.
  servers = servers.map((s) => carryCreateRemoveTimeout(s, before?.servers));
  return {
    clientCertificate,
    clientCertificateUuid: state.clientCertificateUuid,
    serverCaCertificates,
    serverCaCertificateUuids: serverCaCertificates.map((ref) => casByRef.get(ref)!),
    servers,
  };
}

/**
 * Refresh: the outputs and inputs that describe an ONTAP key manager record, given the previous outputs
 * (`undefined` when importing). Certificate spellings follow the rules in the module documentation; the
 * passphrase, `adopt`, `profile` and `serverManagement` come from the previous outputs; with `listed`, servers
 * the resource does not own are left out. The SVM name is ONTAP's (an SVM renamed out of band shows as drift).
 */
export function readKeyManager(
  record: KeyManagerRecord,
  previous: KeyManagerOutputs | undefined,
  keysMissingOnNodes?: string[],
): { outputs: KeyManagerOutputs; inputs: RefreshedKeyManagerInputs } {
  const mode = keyManagerMode(record);
  const passphrase = previous?.onboard?.passphrase;
  const currentPassphrase = previous?.onboard?.currentPassphrase;
  const svm = record.svm?.uuid !== undefined && record.svm.name !== undefined ? record.svm : undefined;
  const outputs: KeyManagerOutputs = {
    uuid: record.uuid,
    scope: record.scope ?? (svm ? "svm" : "cluster"),
    ...(svm ? { svm: svm.name, svmUuid: svm.uuid } : {}),
    ...(mode === "external" ? { external: readExternal(record, previous) } : {}),
    ...(mode === "onboard"
      ? {
          onboard: {
            enabled: record.onboard?.enabled ?? false,
            ...(passphrase !== undefined ? { passphrase } : {}),
            ...(currentPassphrase !== undefined ? { currentPassphrase } : {}),
            ...(record.onboard?.key_backup !== undefined ? { keyBackup: record.onboard.key_backup } : {}),
          },
        }
      : {}),
    adopt: previous?.adopt ?? false,
    ...(previous?.profile !== undefined ? { profile: previous.profile } : {}),
    serverManagement: previous?.serverManagement ?? "authoritative",
    ...(record.configuration?.name !== undefined ? { configuration: record.configuration.name } : {}),
    ...(previous?.leftoverConfigurations?.length
      ? { leftoverConfigurations: [...previous.leftoverConfigurations] }
      : {}),
    ...healthOutputs(
      managedConnectivity(
        healthFromRecord(
          record,
          // Not listed in this read: what the previous state knew (a read without the listings, after a failure).
          keysMissingOnNodes ?? previous?.keysMissingOnNodes,
        ),
        previous,
      ),
      mode === "onboard",
    ),
  };
  const missing = outputs.keysMissingOnNodes ?? [];
  return {
    outputs,
    inputs: {
      ...keyManagerInputsFromOutputs(outputs),
      ...(missing.length > 0 ? { keysMissingOnNodes: [...missing] } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// state shape: what the engine stores and displays

/**
 * How key servers and server CA certificates are laid out in what the provider hands the engine (checked
 * inputs, outputs, refreshed inputs). The engine's display diffs lists by position and maps by key, and dynamic
 * providers cannot return a detailed diff of their own, so the layout decides what a reviewer reads:
 * - `maps` (written since 0.2): `external.servers` keyed by canonical address (`{"10.0.0.1:5696": {timeout: 25,
 *   username: ""}}`); `external.serverCaCertificates` keyed by canonical reference, `true` in inputs and the
 *   UUID ONTAP uses in outputs (which then have no `serverCaCertificateUuids`). A server added out of band then
 *   reads `+ 10.66.66.66:5696: {...}`, not as a rename of the server sorted after it plus a new last entry.
 * - `lists` (0.1): sorted lists, with `serverCaCertificateUuids` parallel to `serverCaCertificates`.
 *
 * Both are read everywhere. A refresh keeps the layout of the outputs it refreshes, because the engine shows
 * a refresh as a diff of outputs and a new layout would read as drift; an update or create writes `maps` (the
 * engine shows an update as a diff of inputs, which are `maps` from the first `up` on).
 *
 * The rest of the model works on lists ({@link KeyManagerInputs}, {@link KeyManagerOutputs}); the layout is
 * applied at the glue's boundary only.
 */
export type KeyManagerStateShape = "maps" | "lists";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Servers as a map keyed by address; wholly unknown when any address is (a map key cannot be unknown). */
function serversToState(servers: unknown): unknown {
  if (!Array.isArray(servers)) return servers;
  const entries = servers as unknown[];
  if (entries.some((e) => !isPlainObject(e) || typeof e.server !== "string" || isUnknown(e.server))) {
    return UNKNOWN;
  }
  return Object.fromEntries(
    (entries as KeyServerSettings[]).map(({ server, ...settings }) => [server, settings]),
  );
}

/** Certificate references as a map keyed by reference (to `true`, or to `values[i]`). */
function refsToState(refs: unknown, values?: readonly string[]): unknown {
  if (!Array.isArray(refs)) return refs;
  const list = refs as unknown[];
  if (list.some((r) => typeof r !== "string" || isUnknown(r))) return UNKNOWN;
  return Object.fromEntries((list as string[]).map((ref, i) => [ref, values ? values[i] : true]));
}

/** The servers map of a state back in the list form the model and the `Args` use; anything else as is. */
function serversFromState(servers: unknown): unknown {
  if (!isPlainObject(servers)) return servers;
  // A settings value that is not an object is kept where it fails the check with a message naming it.
  return Object.entries(servers).map(([server, settings]) =>
    isPlainObject(settings) ? { server, ...settings } : { server, settings },
  );
}

/**
 * The checked inputs (or inputs reconstructed by a refresh) in the layout handed to the engine: see
 * {@link KeyManagerStateShape}.
 */
export function keyManagerInputsToState(
  inputs: CheckedKeyManagerInputs | RefreshedKeyManagerInputs,
): Record<string, unknown> {
  const external = inputs.external;
  if (!isPlainObject(external)) return { ...inputs };
  return {
    ...inputs,
    external: {
      ...external,
      serverCaCertificates: refsToState(external.serverCaCertificates),
      servers: serversToState(external.servers),
    },
  };
}

/**
 * Inputs the engine passes back (to diff, create, update), which are checked inputs in the state layout, in the
 * list form {@link checkKeyManager} reads. Inputs already in list form are returned as they are.
 */
export function keyManagerInputsFromState(news: unknown): unknown {
  if (!isPlainObject(news) || !isPlainObject(news.external)) return news;
  const external = news.external;
  const cas = external.serverCaCertificates;
  return {
    ...news,
    external: {
      ...external,
      ...("serverCaCertificates" in external
        ? { serverCaCertificates: isPlainObject(cas) ? Object.keys(cas) : cas }
        : {}),
      ...("servers" in external ? { servers: serversFromState(external.servers) } : {}),
    },
  };
}

/** Outputs in the layout handed to the engine: `maps` unless a refresh keeps `lists` (see the type). */
export function keyManagerOutputsToState(
  outputs: KeyManagerOutputs,
  shape: KeyManagerStateShape = "maps",
): Record<string, unknown> {
  const external = outputs.external;
  if (!external || shape === "lists") return { ...outputs };
  const { serverCaCertificateUuids, ...rest } = external;
  return {
    ...outputs,
    external: {
      ...rest,
      serverCaCertificates: refsToState(external.serverCaCertificates, serverCaCertificateUuids),
      servers: serversToState(external.servers),
    },
  };
}

/** The layout of stored outputs: `lists` when they hold a server or CA list (written by 0.1), else `maps`. */
export function keyManagerStateShape(state: unknown): KeyManagerStateShape {
  const external = isPlainObject(state) ? state.external : undefined;
  if (!isPlainObject(external)) return "maps";
  return Array.isArray(external.servers) || Array.isArray(external.serverCaCertificates) ? "lists" : "maps";
}

/** Stored external outputs in either layout, in the list form the outputs schema parses. */
function externalOutputsFromState(external: unknown): unknown {
  if (!isPlainObject(external)) return external;
  const cas = external.serverCaCertificates;
  const caLists = isPlainObject(cas)
    ? (() => {
        const refs = sortCertificateRefs(Object.keys(cas));
        return { serverCaCertificates: refs, serverCaCertificateUuids: refs.map((ref) => cas[ref]) };
      })()
    : {};
  const servers = serversFromState(external.servers);
  return {
    ...external,
    ...caLists,
    // The engine may hand a map back in any key order; the model keeps servers sorted.
    servers: Array.isArray(servers) && servers.every(isPlainObject) ? sortByServer(servers) : servers,
  };
}

function sortByServer(entries: Record<string, unknown>[]): Record<string, unknown>[] {
  const key = (e: Record<string, unknown>): string => (typeof e.server === "string" ? e.server : "");
  return [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------------------------
// state parsing

const keyServerSettingsSchema = z.object({
  server: z.string(),
  timeout: z.number(),
  username: z.string(),
  secondaryKeyServers: z.array(z.string()).optional(),
  createRemoveTimeout: z.number().optional(),
});

const keyManagerOutputsSchema = z.object({
  uuid: z.string().min(1),
  scope: z.enum(["cluster", "svm"]),
  svm: z.string().optional(),
  svmUuid: z.string().optional(),
  external: z
    .preprocess(
      externalOutputsFromState,
      z
        .object({
          clientCertificate: z.string(),
          clientCertificateUuid: z.string(),
          serverCaCertificates: z.array(z.string()),
          serverCaCertificateUuids: z.array(z.string()),
          servers: z.array(keyServerSettingsSchema),
        })
        .refine((e) => e.serverCaCertificates.length === e.serverCaCertificateUuids.length, {
          error: "serverCaCertificates and serverCaCertificateUuids must have the same length",
        }),
    )
    .optional(),
  onboard: z
    .object({
      enabled: z.boolean(),
      passphrase: z.string().optional(),
      currentPassphrase: z.string().optional(),
      keyBackup: z.string().optional(),
    })
    .optional(),
  adopt: z.boolean().default(false),
  profile: z.string().optional(),
  serverManagement: serverManagementSchema.default("authoritative"),
  createJob: z.string().optional(),
  status: z.object({ code: z.number(), message: z.string() }).optional(),
  connectivity: z
    .record(
      z.string(),
      z.object({
        clusterAvailability: z.boolean().optional(),
        nodeStates: z.array(z.object({ node: z.string(), state: z.string() })),
      }),
    )
    .optional(),
  keysMissingOnNodes: z.array(z.string()).optional(),
  configuration: z.string().optional(),
  leftoverConfigurations: z.array(z.string()).optional(),
  inactiveConfigurations: z
    .array(z.object({ uuid: z.string(), name: z.string().optional(), mode: z.enum(["external", "onboard"]) }))
    .optional(),
}) satisfies z.ZodType<KeyManagerOutputs, unknown>;

/**
 * Parses stored `KeyManager` outputs (the `olds` of diff, update, delete and read), in either
 * {@link KeyManagerStateShape}. Internal `__*` keys and unknown keys are ignored; `adopt` and `serverManagement`
 * default when a previous version did not store them.
 *
 * @throws Error naming the invalid fields (never their values).
 */
export function parseKeyManagerOutputs(state: unknown): KeyManagerOutputs {
  return parseStoredOutputs("KeyManager", keyManagerOutputsSchema, state);
}
