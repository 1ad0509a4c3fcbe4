/**
 * `/api/security/key-managers/{uuid}/keys/{node.uuid}/key-ids` (ONTAP 9.11 and later): the keys a key manager
 * holds, as one node sees them. A record with `restored: false` is a key that is not present on that node: after a
 * node joins a cluster with onboard key management (or on a MetroCluster partner site), until the onboard keys
 * are synchronised (`PATCH /security/key-managers/{uuid}` `{onboard: {synchronize: true}}`).
 *
 * One GET per node: call it only for onboard key managers, and only where the answer is reported.
 *
 * @packageDocumentation
 */

import { z } from "zod";
import type { OntapClient } from "./client";
import { FEATURES } from "./cluster";
import { OntapBadResponseError, type OntapResponseIssue } from "./errors";
import { keyManagerPath } from "./keyManagers";
import { listNodes } from "./nodes";
import { apiPath, pathSegment } from "./paths";

/** Fields asked for: enough to tell a key missing on the node, and whose answer it is. */
export const KEY_ID_FIELDS = ["key_id", "key_type", "restored", "node.uuid", "node.name"] as const;

/** Schema of a key-id record; other fields are kept. */
export const keyIdRecordSchema = z.looseObject({
  key_id: z.string().optional(),
  key_type: z.string().optional(),
  restored: z.boolean().optional(),
  node: z.looseObject({ uuid: z.string().optional(), name: z.string().optional() }).optional(),
});

/** A parsed key-id record. */
export type KeyIdRecord = z.infer<typeof keyIdRecordSchema>;

/**
 * The key-ids collection of a key manager on one node.
 *
 * @param kmUuid - The key manager's uuid.
 * @param nodeUuid - The node's uuid.
 */
export function keyIdsPath(kmUuid: string, nodeUuid: string): string {
  return `${keyManagerPath(kmUuid)}/keys/${pathSegment(nodeUuid)}/key-ids`;
}

/**
 * Whether the cluster's release lists keys per node (9.11 and later; a version probe, cached).
 *
 * @param client - The cluster.
 */
export async function hasKeyIds(client: OntapClient): Promise<boolean> {
  return client.supports(FEATURES.onboardKeyIds.minVersion);
}

/**
 * The keys of key manager `kmUuid` as node `nodeUuid` sees them. An answer about another node is an error.
 *
 * @param client - The cluster.
 * @param kmUuid - The key manager's uuid.
 * @param nodeUuid - The node's uuid.
 * @throws {@link OntapApiError} 65537125 when `kmUuid` is not a key manager; {@link OntapBadResponseError} for
 *   records of another node.
 */
export async function listKeyIds(
  client: OntapClient,
  kmUuid: string,
  nodeUuid: string,
): Promise<KeyIdRecord[]> {
  const path = keyIdsPath(kmUuid, nodeUuid);
  const records = await client.getCollection(path, keyIdRecordSchema, { fields: KEY_ID_FIELDS });
  const issues: OntapResponseIssue[] = records.flatMap((r, i) =>
    r.node?.uuid !== undefined && r.node.uuid.toLowerCase() !== nodeUuid.toLowerCase()
      ? [{ field: `records[${i}].node.uuid`, problem: `the key is of node ${r.node.uuid}, not ${nodeUuid}` }]
      : [],
  );
  if (issues.length > 0) {
    throw new OntapBadResponseError({
      method: "GET",
      path: apiPath(path),
      target: client.target,
      status: 200,
      issues,
      remedy: "nothing was recorded from this answer; run the operation again",
    });
  }
  return records;
}

/**
 * The names of the nodes that miss some of key manager `kmUuid`'s keys (a key `restored: false`), sorted; empty
 * when every node has them all. `undefined` on releases without per-node key listings (before 9.11), which costs
 * no call but the cached version probe. Costs one GET of the nodes and one GET per node.
 *
 * @param client - The cluster.
 * @param kmUuid - The key manager's uuid (an onboard one: external keys live on the key servers).
 */
export async function nodesMissingKeys(client: OntapClient, kmUuid: string): Promise<string[] | undefined> {
  if (!(await hasKeyIds(client))) return undefined;
  const nodes = await listNodes(client);
  const missing = await Promise.all(
    nodes.map(async (node) => {
      const keys = await listKeyIds(client, kmUuid, node.uuid);
      return keys.some((k) => k.restored === false) ? node.name : undefined;
    }),
  );
  return missing.filter((name): name is string => name !== undefined).sort();
}
