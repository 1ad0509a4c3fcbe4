/**
 * `GET /api/cluster`: the cluster's name and ONTAP release, probed once per cluster per process so that
 * features can be gated by release.
 *
 * @packageDocumentation
 */

import { z } from "zod";

/** Fields asked for by the version probe. */
export const CLUSTER_FIELDS = ["name", "uuid", "version"] as const;

/** Schema of the `GET /api/cluster` answer; fields this layer does not use are kept. */
export const clusterRecordSchema = z.looseObject({
  name: z.string().optional(),
  uuid: z.string().optional(),
  version: z.looseObject({
    full: z.string().optional(),
    generation: z.number().int(),
    major: z.number().int(),
    minor: z.number().int().optional(),
  }),
});

/** The parsed `GET /api/cluster` record. */
export type ClusterRecord = z.infer<typeof clusterRecordSchema>;

/** An ONTAP release, e.g. 9.13.1. */
export interface OntapVersion {
  /** First number (9). */
  readonly generation: number;
  /** Second number (13). */
  readonly major: number;
  /** Third number (1); 0 when unknown. */
  readonly minor: number;
  /** `generation.major.minor`. */
  readonly text: string;
}

/** What the version probe learned about a cluster. */
export interface ClusterInfo {
  /** Cluster name (also the admin SVM's name). */
  readonly name?: string;
  /** Cluster uuid. */
  readonly uuid?: string;
  /** The ONTAP release. */
  readonly version: OntapVersion;
  /** `version.full`, e.g. "NetApp Release 9.13.1: ...". */
  readonly fullVersion?: string;
}

/**
 * Features that exist only from some release on. The API facts say "later releases" for each; the first
 * release after 9.6 that has them is 9.7.
 */
export const FEATURES = {
  /**
   * `secondary_key_servers` of a key server (clustered KMIP): "requires an ECV of ONTAP 9.11.1 or later"
   * (65538503).
   */
  secondaryKeyServers: { feature: "secondary key servers", minVersion: "9.11.1" },
  /** Key-server `timeout` -1 (wait indefinitely) and 0 (do not wait): documented from the 9.14.1 reference on. */
  keyServerUnboundedTimeouts: { feature: "key server timeouts of -1 and 0", minVersion: "9.14" },
  /** Key-server `create_remove_timeout`: on the 9.14.1 reference and later (not 9.12.1/9.13.1). */
  keyServerCreateRemoveTimeout: { feature: "key server create/remove timeouts", minVersion: "9.14" },
  /** `connectivity` (expensive, on request) in key-server records. */
  keyServerConnectivity: { feature: "key server connectivity", minVersion: "9.7" },
  /** `force=true` on `DELETE .../key-servers/{server}`. */
  keyServerForceDelete: { feature: "forced removals of key servers", minVersion: "9.7" },
  /** `status`, `volume_encryption`, `policy`, `enabled`, ... in key-manager records. */
  keyManagerLaterFields: { feature: "key manager status fields", minVersion: "9.7" },
  /** `enabled` in key-manager records: a scope may hold inactive configurations besides the active one. */
  keyManagerConfigurations: { feature: "inactive key manager configurations", minVersion: "9.16" },
  /** `GET /security/key-managers/{uuid}/keys/{node.uuid}/key-ids`: keys per node, `restored` ("Introduced In: 9.11"). */
  onboardKeyIds: { feature: "per-node key listings", minVersion: "9.11" },
  /**
   * Switching the cluster (admin SVM) between onboard and external in place: `create_inactive` on POST
   * key-managers, `PATCH /security/key-stores/{uuid}` `{enabled: true}` and DELETE of the inactive one. The
   * key-store PATCH/DELETE exist from 9.14, but on the admin SVM they need 9.16.1 (65539513, 65539521).
   */
  keyManagerSwitch: { feature: "in-place switches between onboard and external", minVersion: "9.16.1" },
} as const;

/** A gated feature: its name in words and its first release. */
export interface FeatureGate {
  /** The feature, plural, in words ("key server passwords"). */
  readonly feature: string;
  /** First release with it, "9.7". */
  readonly minVersion: string;
}

/**
 * Parses "9.13", "9.13.1" or "NetApp Release 9.13.1P2: ..." into an {@link OntapVersion}.
 *
 * @param text - A release number, alone or inside a longer text.
 * @throws Error when the text holds no release number.
 */
export function parseVersion(text: string): OntapVersion {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) {
    throw new Error(`not an ONTAP release number: ${JSON.stringify(text.slice(0, 40))}`);
  }
  return makeVersion(Number(m[1]), Number(m[2]), m[3] === undefined ? 0 : Number(m[3]));
}

/**
 * Builds an {@link OntapVersion} from its numbers.
 *
 * @param generation - First number.
 * @param major - Second number.
 * @param minor - Third number.
 */
export function makeVersion(generation: number, major: number, minor = 0): OntapVersion {
  return { generation, major, minor, text: `${generation}.${major}.${minor}` };
}

/**
 * Orders two releases.
 *
 * @returns Negative when `a` is older, 0 when equal, positive when `a` is newer.
 */
export function compareVersions(a: OntapVersion, b: OntapVersion): number {
  return a.generation - b.generation || a.major - b.major || a.minor - b.minor;
}

/**
 * Whether a cluster's release is at least `min`.
 *
 * @param version - The cluster's release.
 * @param min - The lowest release, e.g. "9.7".
 */
export function versionAtLeast(version: OntapVersion, min: string): boolean {
  return compareVersions(version, parseVersion(min)) >= 0;
}

/**
 * Turns the probe's record into a {@link ClusterInfo}.
 *
 * @param record - The parsed `GET /api/cluster` answer.
 */
export function toClusterInfo(record: ClusterRecord): ClusterInfo {
  const v = record.version;
  return {
    name: record.name,
    uuid: record.uuid,
    version: makeVersion(v.generation, v.major, v.minor ?? 0),
    fullVersion: v.full,
  };
}
