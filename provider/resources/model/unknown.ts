/**
 * Pulumi's "unknown value" sentinel and helpers to carry it through validation and diffing.
 *
 * During `pulumi preview`, an input whose value depends on a resource that does not exist yet reaches the
 * provider as this exact string, in any position: a scalar, an array element, or a whole object or array.
 *
 * @packageDocumentation
 */

/** The string Pulumi sends in place of a value that is not known yet (preview only). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The literal type of {@link UNKNOWN}. */
export type UnknownValue = typeof UNKNOWN;

/**
 * `T` where any part may still be unknown during preview: every scalar, array element, array, object and
 * object property may be {@link UNKNOWN} instead. Optional properties stay optional.
 *
 * For `string` positions the union collapses to `string` in TypeScript, so code must still test with
 * {@link isUnknown} before treating a string as known.
 */
export type MaybeUnknown<T> = T extends readonly (infer E)[]
  ? MaybeUnknown<E>[] | UnknownValue
  : T extends object
    ? { [K in keyof T]: MaybeUnknown<T[K]> } | UnknownValue
    : T | UnknownValue;

/** True when `value` is Pulumi's unknown sentinel. */
export function isUnknown(value: unknown): value is UnknownValue {
  return value === UNKNOWN;
}

/** True when `value` is, or contains anywhere (array elements, object property values), the unknown sentinel. */
export function containsUnknown(value: unknown): boolean {
  if (isUnknown(value)) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}
