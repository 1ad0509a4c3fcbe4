/** The ONTAP release the simulator plays. */
export interface Release {
  /** As given: "9.6", "9.13.1". */
  readonly label: string;
  readonly generation: number;
  readonly major: number;
  readonly minor: number;
  /** Anything after 9.6: asynchronous key-manager writes, later read-only fields, key-server password. */
  readonly later: boolean;
  /** `version.full` of `GET /api/cluster`. */
  readonly full: string;
  /**
   * 9.16 on: several configurations per scope (`enabled`, `configuration`, `create_inactive`), key-store
   * `state`, switching the admin SVM between onboard and external through `/api/security/key-stores`,
   * the per-node key-id listing (key-server `secondary_key_servers` come from 9.11, `create_remove_timeout`
   * and timeouts -1 to 60 from 9.14: see {@link hasSecondaryServers}, {@link hasWiderTimeouts}). Earlier releases keep the behaviour they had (some of these exist on a real 9.11-9.15 cluster:
   * see the README's "9.16 and later").
   */
  readonly current: boolean;
}

/** Whether the release is `generation.major` or later. */
export function atLeast(r: Release, generation: number, major: number): boolean {
  return r.generation > generation || (r.generation === generation && r.major >= major);
}

/**
 * Secondary key servers (clustered KMIP) work from 9.11.1: "Support for adding secondary key servers requires an
 * ECV of ONTAP 9.11.1 or later" (65538503, latest PATCH page).
 */
export function hasSecondaryServers(release: Release): boolean {
  return atLeast(release, 9, 11);
}

/**
 * The PATCH body documents `secondary_key_servers` from the 9.8 page on (ontap-restapi-98); 9.8 to 9.10 know the
 * field but refuse it with 65538503. 9.6 and 9.7 do not know it (262179).
 */
export function knowsSecondaryServers(release: Release): boolean {
  return atLeast(release, 9, 8);
}

/**
 * Key-server `create_remove_timeout` and timeouts of -1 (wait indefinitely) and 0 (do not wait): on the 9.14.1
 * reference pages and later (not on 9.12.1/9.13.1).
 */
export function hasWiderTimeouts(release: Release): boolean {
  return atLeast(release, 9, 14);
}

/** Parses "9.6", "9.13" or "9.13.1"; the key-managers API starts at 9.6, so earlier releases are refused. */
export function parseRelease(label: string): Release {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(label.trim());
  if (!m) throw new Error(`ontapVersion "${label}" is not a release like "9.6" or "9.13.1"`);
  const generation = Number(m[1]);
  const major = Number(m[2]);
  // ONTAP 9.6 to 9.8 shipped as x.y.0; from 9.9 on the GA release is x.y.1 ("9.13" means 9.13.1).
  const minor = m[3] === undefined ? (generation === 9 && major <= 8 ? 0 : 1) : Number(m[3]);
  if (generation < 9 || (generation === 9 && major < 6)) {
    throw new Error(`ontapVersion "${label}": /api/security/key-managers exists from ONTAP 9.6 on`);
  }
  const later = generation > 9 || major > 6;
  return {
    label: label.trim(),
    generation,
    major,
    minor,
    later,
    current: generation > 9 || major >= 16,
    full: `NetApp Release ${generation}.${major}.${minor}: Thu Jan 01 00:00:00 UTC 2026`,
  };
}
