/**
 * `/api/security/key-managers/{uuid}/key-servers`: the key servers of an external key manager. The server
 * list is not patched through the key manager; servers are added, changed and removed here.
 *
 * A server's path segment is `host:port`, sent URL-encoded (`host%3Aport`), which every release accepts.
 *
 * @packageDocumentation
 */

import { z } from "zod";
import { type OntapClient, type WriteResult } from "./client";
import { waitForJobsMentioning } from "./jobs";
import { keyManagerPath } from "./keyManagers";
import { pathSegment } from "./paths";
import { FEATURES, versionAtLeast } from "./cluster";
import { registerSecret } from "./redact";
import { keyServerConnectivitySchema } from "./connectivity";

/** Fields asked for; every release has them. */
export const KEY_SERVER_FIELDS = ["uuid", "server", "timeout", "username"] as const;

export { keyServerConnectivitySchema } from "./connectivity";

/** Schema of a key-server record; other fields are kept. */
export const keyServerRecordSchema = z.looseObject({
  uuid: z.string().optional(),
  server: z.string(),
  timeout: z.number().int().optional(),
  username: z.string().optional(),
  /** 9.11.1+: an array here (one comma-separated string in a key-manager record); either is accepted. */
  secondary_key_servers: z.union([z.string(), z.array(z.string())]).optional(),
  /** 9.14+. */
  create_remove_timeout: z.number().int().optional(),
  connectivity: keyServerConnectivitySchema.optional(),
});

/** A parsed key-server record. */
export type KeyServerRecord = z.infer<typeof keyServerRecordSchema>;

/**
 * A key manager's key-servers collection.
 *
 * @param kmUuid - The key manager's uuid.
 */
export function keyServersPath(kmUuid: string): string {
  return `${keyManagerPath(kmUuid)}/key-servers`;
}

/**
 * Waits for every unfinished job that writes a key manager's key servers (its description names
 * `<uuid>/key-servers`): after a lost answer on a later release, look only once the write's job has ended.
 *
 * @param client - The cluster.
 * @param kmUuid - The key manager's uuid.
 * @returns How many jobs were waited for.
 */
export async function waitForKeyServerJobs(client: OntapClient, kmUuid: string): Promise<number> {
  return waitForJobsMentioning(client, `${kmUuid}/key-servers`);
}

function keyServerPath(kmUuid: string, server: string): string {
  return `${keyServersPath(kmUuid)}/${pathSegment(server)}`;
}

/** Options of key-server reads. */
export interface KeyServerReadOptions {
  /**
   * Also ask for `connectivity` when the release has it (costs a version probe, cached). ONTAP computes it on
   * request only (an expensive field, it asks every node), so ask just where it is reported.
   */
  readonly connectivity?: boolean;
}

async function keyServerFields(client: OntapClient, options: KeyServerReadOptions): Promise<string[]> {
  // ONTAP refuses a `fields` name it does not know: 9.6 has no connectivity, 9.6-9.10 no secondary servers,
  // 9.6-9.13 no create_remove_timeout.
  const info = await client.clusterInfo();
  return [
    ...KEY_SERVER_FIELDS,
    ...(versionAtLeast(info.version, FEATURES.secondaryKeyServers.minVersion)
      ? ["secondary_key_servers"]
      : []),
    ...(versionAtLeast(info.version, FEATURES.keyServerCreateRemoveTimeout.minVersion)
      ? ["create_remove_timeout"]
      : []),
    ...(options.connectivity && versionAtLeast(info.version, FEATURES.keyServerConnectivity.minVersion)
      ? ["connectivity"]
      : []),
  ];
}

/**
 * Lists a key manager's servers.
 *
 * @param client - The cluster.
 * @param kmUuid - Key manager uuid.
 * @param options - Connectivity.
 */
export async function listKeyServers(
  client: OntapClient,
  kmUuid: string,
  options: KeyServerReadOptions = {},
): Promise<KeyServerRecord[]> {
  return client.getCollection(keyServersPath(kmUuid), keyServerRecordSchema, {
    fields: await keyServerFields(client, options),
  });
}

/**
 * Reads one key server.
 *
 * @param client - The cluster.
 * @param kmUuid - Key manager uuid.
 * @param server - `host:port`.
 * @param options - Connectivity.
 * @returns The record, or `undefined` when it (or the key manager) does not exist.
 */
export async function findKeyServer(
  client: OntapClient,
  kmUuid: string,
  server: string,
  options: KeyServerReadOptions = {},
): Promise<KeyServerRecord | undefined> {
  return client.find(keyServerPath(kmUuid, server), keyServerRecordSchema, {
    fields: await keyServerFields(client, options),
  });
}

/**
 * Adds one key server. The POST carries `server` only: the 9.6 reference lists `server`, `records` and
 * `password` for this body and later releases accept `timeout`/`username` on PATCH only, so non-default
 * settings and the password follow with {@link updateKeyServer}.
 *
 * @param client - The cluster.
 * @param kmUuid - Key manager uuid.
 * @param server - The address, `host:port`.
 */
export function addKeyServer(
  client: OntapClient,
  kmUuid: string,
  server: { readonly server: string },
): Promise<WriteResult<unknown>> {
  return client.post(keyServersPath(kmUuid), { server: server.server });
}

/**
 * Adds several key servers in one request (`{records: [...]}`, at most 4 in total: ONTAP refuses a 5th, 65536038).
 *
 * @param client - The cluster.
 * @param kmUuid - Key manager uuid.
 * @param servers - Addresses (timeouts and usernames are set per server afterwards, if needed).
 */
export function addKeyServers(
  client: OntapClient,
  kmUuid: string,
  servers: readonly { readonly server: string }[],
): Promise<WriteResult<unknown>> {
  return client.post(keyServersPath(kmUuid), { records: servers.map((s) => ({ server: s.server })) });
}

/** Settings of one key server; omitted ones stay. */
export interface KeyServerPatch {
  /** I/O timeout in seconds: 1-60; -1 (wait indefinitely) and 0 (do not wait) from 9.14. */
  readonly timeout?: number;
  /** KMIP username. */
  readonly username?: string;
  /** KMIP password (secret, write-only; in the 9.6 PATCH reference already). */
  readonly password?: string;
  /**
   * The complete list of secondary key servers (`host:port`, in order; `[]` removes them). ONTAP 9.11.1 or later:
   * older releases refuse it (65538503, or 262179 where the field is unknown).
   */
  readonly secondaryKeyServers?: readonly string[];
  /** Timeout of key create and remove operations, seconds, -1 to 60 (ONTAP 9.14 or later). */
  readonly createRemoveTimeout?: number;
}

/**
 * Changes a key server's timeout, username, password and/or secondary key servers, in one PATCH.
 *
 * @param client - The cluster.
 * @param kmUuid - Key manager uuid.
 * @param server - `host:port`.
 * @param patch - What to change.
 */
export async function updateKeyServer(
  client: OntapClient,
  kmUuid: string,
  server: string,
  patch: KeyServerPatch,
): Promise<WriteResult<unknown>> {
  registerSecret(patch.password);
  return client.patch(keyServerPath(kmUuid, server), {
    ...(patch.timeout !== undefined ? { timeout: patch.timeout } : {}),
    ...(patch.username !== undefined ? { username: patch.username } : {}),
    ...(patch.password !== undefined ? { password: patch.password } : {}),
    ...(patch.secondaryKeyServers !== undefined
      ? { secondary_key_servers: [...patch.secondaryKeyServers] }
      : {}),
    ...(patch.createRemoveTimeout !== undefined ? { create_remove_timeout: patch.createRemoveTimeout } : {}),
  });
}

/**
 * Removes a key server. ONTAP refuses (65536700) while it holds keys no other server has, unless `force`
 * (later releases only).
 *
 * @param client - The cluster.
 * @param kmUuid - Key manager uuid.
 * @param server - `host:port`.
 * @param options - `force` removal.
 */
export async function deleteKeyServer(
  client: OntapClient,
  kmUuid: string,
  server: string,
  options: { readonly force?: boolean } = {},
): Promise<WriteResult<unknown>> {
  if (options.force) {
    await client.requireVersion(
      FEATURES.keyServerForceDelete.minVersion,
      FEATURES.keyServerForceDelete.feature,
    );
  }
  return client.delete(keyServerPath(kmUuid, server), { query: { force: options.force ? true : undefined } });
}
