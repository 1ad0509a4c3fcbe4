/**
 * Per-release key-server settings, shared by the `KeyManager` and `KeyServer` glue: secondary key servers (ONTAP
 * 9.11.1+), the timeouts -1 and 0 and `createRemoveTimeout` (9.14+). A program that uses them against an older cluster fails at diff
 * (preview included) or before the first write of a create or update, naming the release, instead of sending a
 * write ONTAP would refuse halfway through a plan. The cluster's release comes from the client's version probe
 * (one `GET /api/cluster` per cluster and process, cached); a program that uses none of them costs no call here.
 *
 * @packageDocumentation
 */

import { FEATURES, type FeatureGate, OntapCode, versionAtLeast } from "../../ontap";
import type { OntapClient } from "../../ontap/client";
import { MIN_SERVER_TIMEOUT_BEFORE_914, type KeyServerSettings, isUnknown } from "../model";
import { hasOntapCode, messageOf } from "./failures";

/** One use of a release-gated setting: which gate, and where in the inputs (`servers[host:port].timeout`). */
interface GatedUse {
  readonly gate: FeatureGate;
  readonly where: string;
}

/** Server settings as check returns them: any field, or the whole entry, may still be unknown during preview. */
type MaybeSettings = Partial<Record<keyof KeyServerSettings, unknown>> | string;

/**
 * The release-gated settings `servers` use; unknown values (preview) count as unused, and are checked again
 * once known (up's diff, create, update).
 *
 * @param servers - Server settings, checked.
 * @param prefix - What comes before a setting's name in messages: `external.servers[kms1:5696].`, or `""` for a
 *   KeyServer's own inputs.
 */
export function gatedUses(servers: readonly MaybeSettings[], prefix: (server: string) => string): GatedUse[] {
  const uses: GatedUse[] = [];
  for (const s of servers) {
    if (typeof s === "string" || isUnknown(s)) continue;
    const name = typeof s.server === "string" && !isUnknown(s.server) ? s.server : "?";
    const secondaries = s.secondaryKeyServers;
    if (Array.isArray(secondaries) && secondaries.length > 0) {
      uses.push({ gate: FEATURES.secondaryKeyServers, where: `${prefix(name)}secondaryKeyServers` });
    }
    if (typeof s.createRemoveTimeout === "number") {
      uses.push({ gate: FEATURES.keyServerCreateRemoveTimeout, where: `${prefix(name)}createRemoveTimeout` });
    }
    if (typeof s.timeout === "number" && s.timeout < MIN_SERVER_TIMEOUT_BEFORE_914) {
      uses.push({
        gate: FEATURES.keyServerUnboundedTimeouts,
        where: `${prefix(name)}timeout (${s.timeout})`,
      });
    }
  }
  return uses;
}

/**
 * Fails, before anything is written, when the cluster's release lacks a setting `uses` need. No call when
 * nothing is gated; else the cached version probe.
 *
 * @throws Error naming each setting, the release it needs and the cluster's release.
 */
export async function requireServerFeatures(client: OntapClient, uses: readonly GatedUse[]): Promise<void> {
  if (uses.length === 0) return;
  const info = await client.clusterInfo();
  const missing = uses.filter((u) => !versionAtLeast(info.version, u.gate.minVersion));
  if (missing.length === 0) return;
  const list = missing.map((u) => `${u.where}: ${u.gate.feature} need ONTAP ${u.gate.minVersion} or later`);
  throw new Error(
    `${list.join("; ")}, and ${client.target} runs ONTAP ${info.version.text}. Nothing was changed. Fix: remove ` +
      `these settings from the program (a timeout from 1 to 60 seconds works on every release), or upgrade the ` +
      `cluster.`,
  );
}

/**
 * ONTAP's refusal of secondary key servers explained, when `err` is one (65538503: the effective cluster version
 * is older than 9.11.1, e.g. while some nodes still run an older release; 65538502: another primary); otherwise
 * `undefined`.
 */
export function secondaryRefusal(err: unknown, server: string): Error | undefined {
  if (hasOntapCode(err, OntapCode.SECONDARY_SERVERS_NEED_9111)) {
    return new Error(
      `ONTAP refused the secondary key servers of ${server}: ${FEATURES.secondaryKeyServers.feature} need an ` +
        `effective cluster version of ONTAP ${FEATURES.secondaryKeyServers.minVersion} or later (every node; ` +
        `${OntapCode.SECONDARY_SERVERS_NEED_9111}). Fix: remove secondaryKeyServers, or finish upgrading every ` +
        `node. ONTAP said: ${messageOf(err)}`,
      { cause: err },
    );
  }
  if (hasOntapCode(err, OntapCode.SECONDARY_IS_A_PRIMARY)) {
    return new Error(
      `ONTAP refused the secondary key servers of ${server}: one of them is a primary key server of the same key ` +
        `manager (${OntapCode.SECONDARY_IS_A_PRIMARY}; a KeyManager or another KeyServer may list it). Fix: ` +
        `remove it from secondaryKeyServers, or remove that primary first. ONTAP said: ${messageOf(err)}`,
      { cause: err },
    );
  }
  return undefined;
}
