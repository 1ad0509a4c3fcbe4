/**
 * Certificate references: the user names a certificate by UUID or by name, ONTAP stores UUIDs.
 *
 * Resolution (name to UUID) needs ONTAP and happens in the glue; this module only spells references
 * canonically and applies a resolution the glue computed.
 *
 * @packageDocumentation
 */

import { isUnknown } from "./unknown";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Certificate references (UUID or name, as canonicalised) mapped to the UUID each one resolved to. */
export type CertificateResolution = ReadonlyMap<string, string>;

/** True when `text` is UUID-shaped (any letter case). Does not consider Pulumi's unknown sentinel specially. */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/**
 * The canonical spelling of a certificate reference: UUIDs lower-cased (ONTAP compares them case-insensitively
 * and answers in lower case), names exactly as written (names are case-sensitive).
 */
export function canonicalCertificateRef(ref: string): string {
  return isUuid(ref) && !isUnknown(ref) ? ref.toLowerCase() : ref;
}

/**
 * Sorts and de-duplicates references (code-unit order, locale-independent). Unknown entries (preview) are kept,
 * last, in their original order.
 */
export function sortCertificateRefs(refs: readonly string[]): string[] {
  const known = [...new Set(refs.filter((r) => !isUnknown(r)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...known, ...refs.filter((r) => isUnknown(r))];
}

/**
 * The UUID a reference stands for: its entry in `resolution`, else the reference itself when it is a UUID.
 *
 * @throws Error when a name has no entry in `resolution` (the glue must resolve every name first; see
 * `certificateRefsToResolve` in the key manager model).
 */
export function resolveCertificateRef(ref: string, resolution: CertificateResolution): string {
  const resolved = resolution.get(ref);
  if (resolved !== undefined) return resolved.toLowerCase();
  if (isUuid(ref)) return ref.toLowerCase();
  throw new Error(`certificate "${ref}" was not resolved to a UUID before use`);
}
