/**
 * `/api/cluster/nodes`: the cluster's nodes, by uuid and name. The per-node key listings (`keyIds.ts`) are
 * addressed by node uuid; outputs name nodes by name.
 *
 * @packageDocumentation
 */

import { z } from "zod";
import type { OntapClient } from "./client";

/** The nodes collection. */
export const NODES_PATH = "/cluster/nodes";

/** Fields asked for. */
export const NODE_FIELDS = ["uuid", "name"] as const;

/** Schema of a node record; other fields are kept. */
export const nodeRecordSchema = z.looseObject({
  uuid: z.string().min(1),
  name: z.string().min(1),
});

/** A parsed node record. */
export type NodeRecord = z.infer<typeof nodeRecordSchema>;

/**
 * Lists the cluster's nodes (every page).
 *
 * @param client - The cluster.
 */
export async function listNodes(client: OntapClient): Promise<NodeRecord[]> {
  return client.getCollection(NODES_PATH, nodeRecordSchema, { fields: NODE_FIELDS });
}
