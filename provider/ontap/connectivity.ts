/**
 * A key server's `connectivity` as ONTAP reports it (9.7 on, an expensive field: only when named in `fields`), in
 * both records that carry it: a key-server record and each server of a key-manager record. One schema for both, in
 * a file of its own because `keyServers.ts` already imports `keyManagers.ts`.
 *
 * @packageDocumentation
 */

import { z } from "zod";

/**
 * Whether the whole cluster reaches the server, and per-node states (9.7 lists only nodes that are not
 * `available`).
 */
export const keyServerConnectivitySchema = z.looseObject({
  cluster_availability: z.boolean().optional(),
  node_states: z
    .array(
      z.looseObject({
        node: z.looseObject({ name: z.string().optional(), uuid: z.string().optional() }).optional(),
        state: z.string().optional(),
      }),
    )
    .optional(),
});

/** A parsed `connectivity`. */
export type KeyServerConnectivityRecord = z.infer<typeof keyServerConnectivitySchema>;
