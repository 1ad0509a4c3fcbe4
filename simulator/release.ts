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
    full: `NetApp Release ${generation}.${major}.${minor}: Thu Jan 01 00:00:00 UTC 2026`,
  };
}
