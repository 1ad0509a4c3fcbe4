/**
 * A key server's connectivity in output form, the same for a `KeyServer` and for each server of a `KeyManager`.
 * Its own module because `keyServerModel.ts` imports `keyManagerModel.ts`, which needs it too.
 *
 * @packageDocumentation
 */

import type { KeyServerConnectivityRecord } from "../../ontap/connectivity";

/** A key server's connectivity as ONTAP last reported it (9.7 and later), in output form. */
export interface KeyServerConnectivity {
  /** Whether every node of the cluster reaches the server; absent when ONTAP did not say. */
  clusterAvailability?: boolean;
  /** Per-node states, sorted by node (9.7 lists only nodes whose state is not `available`). */
  nodeStates: { node: string; state: string }[];
}

/** ONTAP's `connectivity` in output form: nodes by name (else UUID), sorted, so that the order is no change. */
export function connectivityFromRecord(raw: KeyServerConnectivityRecord): KeyServerConnectivity {
  const nodeStates = (raw.node_states ?? [])
    .map((n) => ({ node: n.node?.name ?? n.node?.uuid ?? "", state: n.state ?? "unknown" }))
    .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return {
    ...(raw.cluster_availability !== undefined ? { clusterAvailability: raw.cluster_availability } : {}),
    nodeStates,
  };
}
