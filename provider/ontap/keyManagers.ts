/**
 * `/api/security/key-managers`: list, read, create, change certificates, rotate the onboard passphrase,
 * delete. One key manager per scope (the cluster, or one data SVM).
 *
 * Reads name their `fields` explicitly: the base list exists in every release from 9.6; the later-release
 * fields are asked for only when the cluster has them (ONTAP refuses a `fields` name it does not know).
 *
 * @packageDocumentation
 */

import { z } from "zod";
import { filterValue, type OntapClient, type WriteResult } from "./client";
import { FEATURES, versionAtLeast } from "./cluster";
import { OntapBadResponseError, type OntapResponseIssue } from "./errors";
import { apiPath, pathSegment } from "./paths";
import { registerSecret } from "./redact";
import { keyServerConnectivitySchema } from "./connectivity";

/** The key-managers collection. */
export const KEY_MANAGERS_PATH = "/security/key-managers";

/**
 * One key manager's path.
 *
 * @param uuid - The key manager's uuid.
 */
export function keyManagerPath(uuid: string): string {
  return `${KEY_MANAGERS_PATH}/${pathSegment(uuid)}`;
}

/** Fields every release has (9.6 on). */
export const KEY_MANAGER_FIELDS = [
  "uuid",
  "scope",
  "svm.uuid",
  "svm.name",
  "onboard.enabled",
  "external.client_certificate.uuid",
  "external.server_ca_certificates.uuid",
  "external.servers.server",
  "external.servers.timeout",
  "external.servers.username",
] as const;

/** The servers' secondary key servers (9.11.1+; one comma-separated string per server in this record). */
export const KEY_MANAGER_SECONDARY_FIELD = "external.servers.secondary_key_servers";

/**
 * Fields of later releases asked for on request ({@link KeyManagerReadOptions.laterFields}). `status` is
 * expensive: ONTAP computes it only when named.
 */
export const KEY_MANAGER_LATER_FIELDS = [
  "external.client_certificate.name",
  "external.server_ca_certificates.name",
  "status",
  "volume_encryption",
  "is_default_data_at_rest_encryption_disabled",
] as const;

/**
 * Health fields ({@link KeyManagerReadOptions.health}), 9.7 on: the key manager's `status` and each key server's
 * `connectivity`. Both are expensive (ONTAP computes them only when named) and unavailable for an inactive
 * configuration (9.16+).
 */
export const KEY_MANAGER_HEALTH_FIELDS = [
  "status.code",
  "status.message",
  "external.servers.connectivity",
] as const;

const certRefSchema = z.looseObject({ uuid: z.string(), name: z.string().optional() });

/** A key server as it appears inside a key-manager record. */
export const keyManagerServerSchema = z.looseObject({
  server: z.string(),
  timeout: z.number().int().optional(),
  username: z.string().optional(),
  connectivity: keyServerConnectivitySchema.optional(),
  /** 9.11.1+: one comma-separated string here (an array in a key-server record); either is accepted. */
  secondary_key_servers: z.union([z.string(), z.array(z.string())]).optional(),
});

/**
 * Schema of a key-manager record. Later-release fields are optional; unknown fields are kept (loose
 * objects), so a newer release never breaks parsing.
 */
export const keyManagerRecordSchema = z.looseObject({
  uuid: z.string(),
  scope: z.enum(["cluster", "svm"]).optional(),
  svm: z.looseObject({ uuid: z.string().optional(), name: z.string().optional() }).optional(),
  external: z
    .looseObject({
      client_certificate: certRefSchema.optional(),
      server_ca_certificates: z.array(certRefSchema).optional(),
      servers: z.array(keyManagerServerSchema).optional(),
    })
    .optional(),
  onboard: z
    .looseObject({
      enabled: z.boolean().optional(),
      key_backup: z.string().optional(),
    })
    .optional(),
  status: z.looseObject({ code: z.number().optional(), message: z.string().optional() }).optional(),
  volume_encryption: z
    .looseObject({
      supported: z.boolean().optional(),
      message: z.string().optional(),
      code: z.number().optional(),
    })
    .optional(),
  is_default_data_at_rest_encryption_disabled: z.boolean().optional(),
  policy: z.string().optional(),
  enabled: z.boolean().optional(),
  /** 9.16+: the configuration this record is (a scope may hold an active one and inactive ones). */
  configuration: z.looseObject({ name: z.string().optional(), uuid: z.string().optional() }).optional(),
});

/** A parsed key-manager record. */
export type KeyManagerRecord = z.infer<typeof keyManagerRecordSchema>;

/** Which key manager: cluster scope when neither is given, else the data SVM's. */
export interface KeyManagerScopeQuery {
  /** Data SVM name. */
  readonly svmName?: string;
  /** Data SVM uuid. */
  readonly svmUuid?: string;
}

/** Options of reads. */
export interface KeyManagerReadOptions {
  /** Also ask for {@link KEY_MANAGER_LATER_FIELDS} when the cluster's release has them (costs a version probe, cached). */
  readonly laterFields?: boolean;
  /**
   * Also ask for `onboard.key_backup` when the release has it. ONTAP computes it on request only (an expensive
   * field), so ask just for onboard key managers whose outputs carry it.
   */
  readonly keyBackup?: boolean;
  /**
   * Also ask for {@link KEY_MANAGER_HEALTH_FIELDS} (`status`, servers' `connectivity`) when the release has them
   * (9.7 on). Expensive on ONTAP's side: ask where they are reported (a refresh, the read-back after a create).
   */
  readonly health?: boolean;
  /**
   * Also ask for `enabled` and `configuration` when the release has several configurations per scope (9.16 on;
   * costs a version probe, cached).
   */
  readonly configuration?: boolean;
}

/** The fields of a record's configuration, 9.16 on. */
export const KEY_MANAGER_CONFIGURATION_FIELDS = [
  "enabled",
  "configuration.name",
  "configuration.uuid",
] as const;

/** Options of {@link listKeyManagers}. */
export interface ListKeyManagersOptions extends KeyManagerReadOptions, KeyManagerScopeQuery {
  /** Only this scope; with `svmName`/`svmUuid` the scope is `svm` anyway. */
  readonly scope?: "cluster" | "svm";
  /** Page size (`max_records`). */
  readonly maxRecords?: number;
}

/**
 * The `fields` list for a read.
 *
 * @param client - The cluster (its cached version probe).
 * @param options - Whether later-release fields are wanted.
 */
export async function keyManagerFields(
  client: OntapClient,
  options: KeyManagerReadOptions = {},
): Promise<string[]> {
  // Secondary servers are always asked for where the release has them, so that a refresh shows them as drift.
  const { version } = await client.clusterInfo();
  const secondaries = versionAtLeast(version, FEATURES.secondaryKeyServers.minVersion)
    ? [KEY_MANAGER_SECONDARY_FIELD]
    : [];
  const configuration =
    options.configuration === true && versionAtLeast(version, FEATURES.keyManagerConfigurations.minVersion)
      ? KEY_MANAGER_CONFIGURATION_FIELDS
      : [];
  if (!options.laterFields && !options.keyBackup && !options.health) {
    return [...KEY_MANAGER_FIELDS, ...secondaries, ...configuration];
  }
  if (!versionAtLeast(version, FEATURES.keyManagerLaterFields.minVersion)) return [...KEY_MANAGER_FIELDS];
  const fields = [
    ...KEY_MANAGER_FIELDS,
    ...secondaries,
    ...(options.laterFields ? KEY_MANAGER_LATER_FIELDS : []),
    ...(options.keyBackup ? ["onboard.key_backup"] : []),
    ...(options.health ? KEY_MANAGER_HEALTH_FIELDS : []),
    ...configuration,
  ];
  return [...new Set(fields)];
}

/**
 * Lists key managers, optionally of one scope or SVM.
 *
 * @param client - The cluster.
 * @param options - Scope filters, page size, later fields.
 */
export async function listKeyManagers(
  client: OntapClient,
  options: ListKeyManagersOptions = {},
): Promise<KeyManagerRecord[]> {
  const scoped = options.svmName !== undefined || options.svmUuid !== undefined;
  const records = await client.getCollection(KEY_MANAGERS_PATH, keyManagerRecordSchema, {
    fields: await keyManagerFields(client, options),
    maxRecords: options.maxRecords,
    query: {
      scope: scoped ? "svm" : options.scope,
      "svm.name": options.svmName === undefined ? undefined : filterValue(options.svmName),
      "svm.uuid": options.svmUuid,
    },
  });
  return records.filter(
    (r) =>
      (options.svmName === undefined || r.svm?.name === options.svmName) &&
      (options.svmUuid === undefined || r.svm?.uuid === options.svmUuid),
  );
}

/** What a key-manager record must show to be the one asked for. */
export interface KeyManagerIdentity {
  /** The key manager's uuid (compared case-insensitively). */
  readonly uuid?: string;
  /** Its scope. */
  readonly scope?: "cluster" | "svm";
  /** Its SVM's uuid (SVM scope). An SVM renamed outside keeps its uuid, so this is what identifies it. */
  readonly svmUuid?: string;
  /** Its SVM's name, for lookups by name. */
  readonly svmName?: string;
}

/** A record's scope: ONTAP's `scope`, else derived from `svm` as ONTAP derives it. */
export function keyManagerRecordScope(record: KeyManagerRecord): "cluster" | "svm" {
  return (
    record.scope ?? (record.svm?.uuid !== undefined || record.svm?.name !== undefined ? "svm" : "cluster")
  );
}

/**
 * Why a record is not the key manager asked for, or not a key manager at all: another uuid, another scope or
 * SVM, neither external nor onboard. Empty when it fits.
 *
 * @param record - A parsed record.
 * @param asked - What it must show.
 * @param at - Its place in the answer, for the issue's field path (`records[2]`; "" for an instance GET).
 */
export function keyManagerIdentityIssues(
  record: KeyManagerRecord,
  asked: KeyManagerIdentity,
  at = "",
): OntapResponseIssue[] {
  const field = (name: string): string => (at === "" ? name : `${at}.${name}`);
  const issues: OntapResponseIssue[] = [];
  if (asked.uuid !== undefined && record.uuid.toLowerCase() !== asked.uuid.toLowerCase()) {
    issues.push({
      field: field("uuid"),
      problem: `the record is of key manager ${record.uuid}, not ${asked.uuid}`,
    });
  }
  const scope = keyManagerRecordScope(record);
  if (asked.scope !== undefined && scope !== asked.scope) {
    issues.push({ field: field("scope"), problem: `the record is of ${scope} scope, not ${asked.scope}` });
  }
  if (asked.svmUuid !== undefined && record.svm?.uuid?.toLowerCase() !== asked.svmUuid.toLowerCase()) {
    issues.push({
      field: field("svm.uuid"),
      problem: `the record belongs to SVM ${record.svm?.uuid ?? "(none)"}, not ${asked.svmUuid}`,
    });
  }
  if (asked.svmName !== undefined && record.svm?.name !== asked.svmName) {
    issues.push({
      field: field("svm.name"),
      problem: `the record belongs to SVM "${record.svm?.name ?? "(none)"}", not "${asked.svmName}"`,
    });
  }
  if (!record.external && !record.onboard) {
    issues.push({
      field: field("external"),
      problem: "the record has neither external nor onboard settings",
    });
  }
  return issues;
}

const IDENTITY_REMEDY =
  "nothing was recorded from this answer and nothing was changed; run the operation again. If it persists, the " +
  "cluster (or a proxy in front of it) answers for another object: report it with the ONTAP version";

/**
 * Reads a key manager by uuid, and checks that the answer is that key manager: the same uuid, external or onboard,
 * and (when `expect` is given) the expected scope and SVM.
 *
 * @param client - The cluster.
 * @param uuid - Key manager uuid.
 * @param options - Later fields; `expect`, the scope and SVM the record must show.
 * @returns The record, or `undefined` when it no longer exists (404).
 * @throws {@link OntapBadResponseError} when the record is not the key manager asked for.
 */
export async function findKeyManager(
  client: OntapClient,
  uuid: string,
  options: KeyManagerReadOptions & { readonly expect?: Omit<KeyManagerIdentity, "uuid"> } = {},
): Promise<KeyManagerRecord | undefined> {
  const path = keyManagerPath(uuid);
  const record = await client.find(path, keyManagerRecordSchema, {
    fields: await keyManagerFields(client, options),
  });
  if (!record) return undefined;
  const issues = keyManagerIdentityIssues(record, { ...options.expect, uuid });
  if (issues.length > 0) {
    throw new OntapBadResponseError({
      method: "GET",
      path: apiPath(path),
      target: client.target,
      status: 200,
      issues,
      remedy: IDENTITY_REMEDY,
    });
  }
  return record;
}

/**
 * Every key-manager configuration ONTAP lists for a scope: the active one and, on 9.16 and later, inactive ones
 * (`enabled: false`). The filters are checked again here: a record of another scope or SVM (an answer that
 * ignored `scope=cluster`) is dropped, never taken for this scope's. A record in the scope that is neither
 * external nor onboard is an error.
 *
 * @param client - The cluster.
 * @param scope - Cluster (nothing given) or a data SVM by name or uuid.
 * @param options - Later fields.
 * @throws {@link OntapBadResponseError} for a record that is not a key manager.
 */
export async function listKeyManagersOfScope(
  client: OntapClient,
  scope: KeyManagerScopeQuery = {},
  options: KeyManagerReadOptions = {},
): Promise<KeyManagerRecord[]> {
  const scoped = scope.svmName !== undefined || scope.svmUuid !== undefined;
  const wanted: KeyManagerIdentity = {
    scope: scoped ? "svm" : "cluster",
    ...(scope.svmUuid !== undefined ? { svmUuid: scope.svmUuid } : {}),
    ...(scope.svmName !== undefined ? { svmName: scope.svmName } : {}),
  };
  const records = await client.getCollection(KEY_MANAGERS_PATH, keyManagerRecordSchema, {
    fields: await keyManagerFields(client, { ...options, configuration: true }),
    query: {
      scope: wanted.scope,
      "svm.name": scope.svmName === undefined ? undefined : filterValue(scope.svmName),
      "svm.uuid": scope.svmUuid,
    },
  });
  const inScope = records.filter((r) => {
    const issues = keyManagerIdentityIssues(r, wanted);
    return issues.every((i) => i.field === "external");
  });
  const issues = inScope.flatMap((r, i) => keyManagerIdentityIssues(r, {}, `records[${i}]`));
  if (issues.length > 0) {
    throw new OntapBadResponseError({
      method: "GET",
      path: apiPath(KEY_MANAGERS_PATH),
      target: client.target,
      status: 200,
      issues,
      remedy: IDENTITY_REMEDY,
    });
  }
  return inScope;
}

/**
 * The active key manager of a scope among its configurations: the one with `enabled: true` where records carry
 * `enabled` (9.16 and later), else the only one.
 *
 * @param records - The scope's configurations ({@link listKeyManagersOfScope}).
 * @returns The active one, or `undefined` when there is none.
 * @throws Error when the answer names more than one active key manager for one scope.
 */
export function activeKeyManager(records: readonly KeyManagerRecord[]): KeyManagerRecord | undefined {
  const flagged = records.some((r) => r.enabled !== undefined);
  const active = flagged ? records.filter((r) => r.enabled === true) : [...records];
  if (active.length > 1) {
    throw new Error(
      `ONTAP lists ${active.length} active key managers for one scope (${active.map((r) => r.uuid).join(", ")}); ` +
        `a scope has one. Nothing was changed. Check the scope on the cluster (security key-manager show).`,
    );
  }
  return active[0];
}

/**
 * The active key manager of a scope, if there is one (see {@link listKeyManagersOfScope} and
 * {@link activeKeyManager}).
 *
 * @param client - The cluster.
 * @param scope - Cluster (nothing given) or a data SVM by name or uuid.
 * @param options - Later fields.
 */
export async function findKeyManagerForScope(
  client: OntapClient,
  scope: KeyManagerScopeQuery = {},
  options: KeyManagerReadOptions = {},
): Promise<KeyManagerRecord | undefined> {
  return activeKeyManager(await listKeyManagersOfScope(client, scope, options));
}

/** A certificate by uuid or name, as ONTAP accepts it in key-manager bodies. */
export interface CertificateRef {
  /** Certificate uuid. */
  readonly uuid?: string;
  /** Certificate name (later releases also accept it; prefer the uuid). */
  readonly name?: string;
}

/** A key server in a create body. */
export interface KeyServerSpec {
  /** `host` or `host:port` (5696 when no port). */
  readonly server: string;
  /** I/O timeout in seconds, 1-60 (ONTAP's default 25). */
  readonly timeout?: number;
  /** KMIP username. */
  readonly username?: string;
}

/**
 * A key manager create, as {@link createKeyManager} sends it: exactly one of `external` and `onboard`. The one
 * definition: the model's create plan holds it and the glue passes it on as is. Holds the passphrase: a secret.
 */
export interface KeyManagerCreateRequest {
  /** The data SVM; omit for cluster scope. */
  readonly svm?: { readonly uuid?: string; readonly name?: string };
  /** External (KMIP) key management. */
  readonly external?: {
    /** Client certificate installed in the same scope. */
    readonly clientCertificate: CertificateRef;
    /** Server CA certificates installed in the same scope. */
    readonly serverCaCertificates: readonly CertificateRef[];
    /** 1 to 4 key servers, sorted. */
    readonly servers: readonly KeyServerSpec[];
  };
  /** Onboard key management (cluster scope only). */
  readonly onboard?: {
    /** 32-256 ASCII characters; secret. */
    readonly passphrase: string;
  };
}

function certRef(ref: CertificateRef): Record<string, string> {
  return ref.uuid !== undefined ? { uuid: ref.uuid } : { name: ref.name ?? "" };
}

/**
 * The JSON body of a create. Exported for tests of its shape.
 *
 * @param spec - What to create.
 */
export function createKeyManagerBody(spec: KeyManagerCreateRequest): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (spec.svm) {
    body.svm = spec.svm.uuid !== undefined ? { uuid: spec.svm.uuid } : { name: spec.svm.name };
  }
  if (spec.external) {
    body.external = {
      client_certificate: certRef(spec.external.clientCertificate),
      server_ca_certificates: spec.external.serverCaCertificates.map(certRef),
      servers: spec.external.servers.map((s) => ({
        server: s.server,
        ...(s.timeout !== undefined ? { timeout: s.timeout } : {}),
        ...(s.username !== undefined ? { username: s.username } : {}),
      })),
    };
  }
  if (spec.onboard) {
    body.onboard = { passphrase: spec.onboard.passphrase };
  }
  return body;
}

const createdSchema = z.looseObject({ records: z.array(keyManagerRecordSchema).optional() });

/** Options of {@link createKeyManager} beyond reads. */
export interface CreateKeyManagerOptions {
  /**
   * Create the configuration inactive (`create_inactive=true`, 9.16 on), beside the scope's active one: the first
   * step of a switch between onboard and external (see `keyStores.ts`).
   */
  readonly inactive?: boolean;
}

/**
 * Whether a record is onboard: `onboard.enabled` (some releases describe an external key manager with
 * `onboard: {enabled: false}` too), else an `onboard` without `external`.
 */
function isOnboardRecord(record: KeyManagerRecord): boolean {
  return record.onboard?.enabled === true || (record.onboard !== undefined && record.external === undefined);
}

/**
 * The scope's one inactive configuration of a mode (`enabled: false`), if there is exactly one.
 *
 * @param records - The scope's configurations ({@link listKeyManagersOfScope}).
 * @param mode - Onboard or external.
 */
export function inactiveOfMode(
  records: readonly KeyManagerRecord[],
  mode: "external" | "onboard",
): KeyManagerRecord | undefined {
  const found = records.filter((r) => r.enabled === false && isOnboardRecord(r) === (mode === "onboard"));
  return found.length === 1 ? found[0] : undefined;
}

/**
 * Creates a key manager and returns its record. On releases that answer with a job, waits for it, then
 * finds the new key manager by scope (the job does not name it).
 *
 * @param client - The cluster.
 * @param spec - What to create.
 * @param options - Later fields in the returned record.
 * @throws {@link OntapApiError} (e.g. 65536823 when the scope already has one), {@link OntapJobFailedError},
 *   or a connection/timeout error whose `mayHaveReachedServer` says whether to look before trying again.
 */
export async function createKeyManager(
  client: OntapClient,
  spec: KeyManagerCreateRequest,
  options: KeyManagerReadOptions & CreateKeyManagerOptions = {},
): Promise<KeyManagerRecord> {
  registerSecret(spec.onboard?.passphrase);
  const result = await client.post(KEY_MANAGERS_PATH, createKeyManagerBody(spec), {
    query: { return_records: true, ...(options.inactive ? { create_inactive: true } : {}) },
    responseSchema: createdSchema,
  });
  const asked: Omit<KeyManagerIdentity, "uuid"> = {
    scope: spec.svm ? "svm" : "cluster",
    ...(spec.svm?.uuid !== undefined ? { svmUuid: spec.svm.uuid } : {}),
    ...(spec.svm?.name !== undefined ? { svmName: spec.svm.name } : {}),
  };
  const first = result.body?.records?.[0];
  // A returned record of another scope is not trusted: the scope's lookup below is checked instead.
  const returned = first && keyManagerIdentityIssues(first, asked).length === 0 ? first : undefined;
  // The record a POST returns holds every field but the later releases' ones and the key backup (computed on
  // request only); a later release's job that outlasted return_timeout returns nothing: read it back then.
  const later = result.jobUuid !== undefined;
  // Health fields exist from 9.7 on (a 9.6 cluster never needs the read-back for them); the probe is cached.
  const health =
    options.health === true && (await client.supports(FEATURES.keyManagerLaterFields.minVersion));
  const scope = spec.svm ? { svmName: spec.svm.name, svmUuid: spec.svm.uuid } : {};
  const found =
    returned &&
    !options.laterFields &&
    !(options.keyBackup && later) &&
    !health &&
    (!options.inactive || returned.enabled === false)
      ? returned
      : returned
        ? await findKeyManager(client, returned.uuid, { ...options, expect: asked })
        : options.inactive
          ? inactiveOfMode(
              await listKeyManagersOfScope(client, scope, options),
              spec.onboard ? "onboard" : "external",
            )
          : await findKeyManagerForScope(client, scope, options);
  if (!found) {
    throw new OntapBadResponseError({
      method: "POST",
      path: apiPath(KEY_MANAGERS_PATH),
      target: client.target,
      status: result.status,
      issues: [
        {
          field: "records",
          problem: `the create succeeded${result.job ? ` (job ${result.job.uuid})` : ""} but the new key manager is not listed`,
        },
      ],
    });
  }
  return found;
}

/** New certificates of an external key manager; omitted ones stay. */
export interface KeyManagerCertificatesPatch {
  /** New client certificate (same key pair as the current one, or ONTAP answers 65536850). */
  readonly clientCertificate?: CertificateRef;
  /** New list of server CA certificates (replaces the list). */
  readonly serverCaCertificates?: readonly CertificateRef[];
}

/**
 * Replaces an external key manager's client and/or server CA certificates.
 *
 * @param client - The cluster.
 * @param uuid - Key manager uuid.
 * @param patch - The certificates to set.
 */
export async function updateKeyManagerCertificates(
  client: OntapClient,
  uuid: string,
  patch: KeyManagerCertificatesPatch,
): Promise<WriteResult<unknown>> {
  const external: Record<string, unknown> = {};
  if (patch.clientCertificate) {
    external.client_certificate = certRef(patch.clientCertificate);
  }
  if (patch.serverCaCertificates) {
    external.server_ca_certificates = patch.serverCaCertificates.map(certRef);
  }
  return client.patch(keyManagerPath(uuid), { external });
}

/**
 * Rotates the onboard passphrase (`{onboard: {existing_passphrase, passphrase}}`).
 *
 * @param client - The cluster.
 * @param uuid - Key manager uuid.
 * @param passphrases - The current and the new passphrase; both secret.
 */
export async function rotateOnboardPassphrase(
  client: OntapClient,
  uuid: string,
  passphrases: { readonly existingPassphrase: string; readonly passphrase: string },
): Promise<WriteResult<unknown>> {
  registerSecret(passphrases.existingPassphrase);
  registerSecret(passphrases.passphrase);
  return client.patch(keyManagerPath(uuid), {
    onboard: { existing_passphrase: passphrases.existingPassphrase, passphrase: passphrases.passphrase },
  });
}

/**
 * Synchronises the onboard keys onto every node that misses them (CLI `security key-manager onboard sync`):
 * `{onboard: {synchronize: true, existing_passphrase}}`. NetApp's example of a sync on a cluster sends both fields
 * (the key-managers endpoint overview, "Synchronizing the passphrase of the Onboard Key Manager on a cluster"); the
 * passphrase is what ONTAP checks (65536139 when it is not the one in use), and what a MetroCluster partner site
 * needs. Idempotent: a cluster in step changes nothing.
 *
 * @param client - The cluster.
 * @param uuid - Key manager uuid.
 * @param existingPassphrase - The passphrase in use; secret.
 */
export async function synchronizeOnboardKeys(
  client: OntapClient,
  uuid: string,
  existingPassphrase: string,
): Promise<WriteResult<unknown>> {
  registerSecret(existingPassphrase);
  return client.patch(keyManagerPath(uuid), {
    onboard: { synchronize: true, existing_passphrase: existingPassphrase },
  });
}

/**
 * Deletes a key manager. ONTAP refuses while encrypted data depends on it (65536867 and others).
 *
 * @param client - The cluster.
 * @param uuid - Key manager uuid.
 */
export async function deleteKeyManager(client: OntapClient, uuid: string): Promise<WriteResult<unknown>> {
  return client.delete(keyManagerPath(uuid));
}
