/**
 * Pulumi's property wire format, as the engine and the dynamic provider host exchange it over gRPC
 * (google.protobuf.Struct with "signature" objects for secrets), plus the engine's secret rules.
 *
 * @packageDocumentation
 */
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

/** Key that marks an object as a special Pulumi value (secret, asset, archive, resource reference). */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
/** Signature value of a secret: `{ [SIG_KEY]: SECRET_SIG, value }`. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
/** The string the engine sends in place of a value that is not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** Alias of {@link UNKNOWN}, for tests that read better as `news.host = unknown`. */
export const unknown = UNKNOWN;

/** A property value as it travels on the wire (JSON-like, with secrets as signature objects). */
export type PropertyValue = null | boolean | number | string | PropertyValue[] | PropertyMap;
/** A resource's property bag on the wire: what Check/Diff/Create/Read/Update/Delete send and receive. */
export type PropertyMap = { [key: string]: PropertyValue };
/** A secret on the wire. */
export type SecretValue = { readonly [SIG_KEY]: typeof SECRET_SIG; readonly value: PropertyValue };

/** Wraps a value the way the engine marks a secret on the wire. */
export function secret(value: PropertyValue): SecretValue {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/** True when `v` is a wire secret. */
export function isSecret(v: unknown): v is SecretValue {
  return isRecord(v) && v[SIG_KEY] === SECRET_SIG && "value" in v;
}

/** True when `v` is a plain object property (not an array, not a secret/asset/archive/resource signature). */
export function isPlainObject(v: unknown): v is PropertyMap {
  return isRecord(v) && !(SIG_KEY in v);
}

/** True when `v` is, or contains at any depth, a secret. */
export function containsSecrets(v: unknown): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecrets);
  if (isRecord(v)) return Object.values(v).some(containsSecrets);
  return false;
}

/**
 * Replaces every secret by its plain value, at any depth. This is what the engine does to properties it sends to a
 * provider that answered Configure with `acceptSecrets: false` (the dynamic provider host does).
 */
export function unwrapSecrets(v: PropertyValue): PropertyValue {
  if (isSecret(v)) return unwrapSecrets(v.value);
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (isRecord(v)) return mapValues(v, unwrapSecrets);
  return v;
}

/** {@link unwrapSecrets} over a whole property map. */
export function unwrapSecretsIn(map: PropertyMap): PropertyMap {
  return mapValues(map, unwrapSecrets);
}

/**
 * The engine's `annotateSecrets` (sdk/go/common/resource/plugin/provider_plugin.go): after a call to a provider that
 * does not accept secrets, an output is re-marked secret when the input of the same name contained a secret. Objects
 * present on both sides are walked recursively; any other value (arrays included) is marked as a whole. Outputs with no
 * same-named input are never marked: that is what additionalSecretOutputs is for.
 *
 * Returns a new map; neither argument is modified.
 */
export function annotateSecrets(outs: PropertyMap, ins: PropertyMap): PropertyMap {
  const result: PropertyMap = { ...outs };
  for (const [key, inValue] of Object.entries(ins)) {
    const outValue = Object.prototype.hasOwnProperty.call(result, key) ? result[key] : undefined;
    if (outValue === undefined) continue;
    if (isPlainObject(outValue) && isPlainObject(inValue)) {
      result[key] = annotateSecrets(outValue, inValue);
    } else if (!isSecret(outValue) && containsSecrets(inValue)) {
      result[key] = secret(outValue);
    }
  }
  return result;
}

/**
 * Converts a property map to the protobuf Struct sent on the wire. `undefined` members are rejected with the path of
 * the offending value, because google-protobuf would throw an opaque "Unexpected struct type".
 */
export function toStruct(map: PropertyMap, label = "properties"): Struct {
  assertWireValue(map, label);
  return Struct.fromJavaScript(map);
}

/** Converts a Struct received from the wire to a property map (`{}` when the message had none). */
export function fromStruct(struct: Struct | undefined): PropertyMap {
  if (struct === undefined) return {};
  // Struct.toJavaScript yields only JSON-like values, which is what PropertyMap describes.
  const js: unknown = struct.toJavaScript();
  return js as PropertyMap;
}

function assertWireValue(v: unknown, path: string): void {
  if (v === null || typeof v === "string" || typeof v === "boolean") return;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new TypeError(`${path} is ${v}, which protobuf's Struct cannot carry`);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((item, i) => assertWireValue(item, `${path}[${i}]`));
    return;
  }
  if (isRecord(v)) {
    for (const [k, item] of Object.entries(v)) assertWireValue(item, `${path}.${k}`);
    return;
  }
  throw new TypeError(
    `${path} is ${typeof v}, which protobuf's Struct cannot carry (use null or omit the key)`,
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function mapValues(map: Record<string, unknown>, fn: (v: PropertyValue) => PropertyValue): PropertyMap {
  const result: PropertyMap = {};
  for (const [k, v] of Object.entries(map)) result[k] = fn(v as PropertyValue);
  return result;
}
