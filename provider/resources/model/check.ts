/**
 * Shared plumbing for the `check` functions: the result shape Pulumi's dynamic providers use, zod helpers that
 * let unknown preview values through, and the translation of zod issues into failures that never leak secrets.
 *
 * Why failures are addressed with care: when a failure's `property` is exactly the name of a top-level input,
 * the Pulumi engine prints that input's VALUE next to the reason ("property 'onboard' value {...} has a
 * problem"). A passphrase must never be printed, and a misplaced one (e.g. a top-level `passphrase` typo) must
 * not be either. So failures about a secret-holding top-level input, or about an unexpected top-level key, are
 * reported with an empty `property` and the field named at the start of the reason instead. Nested paths
 * (`onboard.passphrase`) are safe: the engine only looks up exact top-level names.
 *
 * @packageDocumentation
 */

import { z } from "zod";
import { UNKNOWN, isUnknown, type UnknownValue } from "./unknown";

/** One validation failure, in the shape of `@pulumi/pulumi/dynamic`'s `CheckFailure`. */
export interface CheckFailure {
  /** Path of the offending input, e.g. `external.servers[2].timeout`; `""` when the reason names it instead. */
  readonly property: string;
  /** Why it is invalid. Never contains the value of a secret input. */
  readonly reason: string;
}

/**
 * The result of a `check`, in the shape of `@pulumi/pulumi/dynamic`'s `CheckResult` (`valid` is extra; the
 * engine ignores it). When valid, `inputs` are normalised and may still hold unknown values during preview;
 * when not, `inputs` are the inputs as received (minus internal `__` keys) and `failures` is non-empty.
 */
export type CheckResult<T> =
  | { readonly valid: true; readonly inputs: T; readonly failures: CheckFailure[] }
  | { readonly valid: false; readonly inputs: Record<string, unknown>; readonly failures: CheckFailure[] };

/** How a resource's check addresses failures; see the module documentation. */
export interface FailureAddressing {
  /** Top-level inputs whose value contains a secret (e.g. `onboard`, `password`). */
  readonly secretTopLevel: ReadonlySet<string>;
  /** Every top-level input the resource accepts; any other top-level key is reported without `property`. */
  readonly knownTopLevel: ReadonlySet<string>;
}

/** Whether a key is Pulumi-internal (e.g. `__provider` added by dynamic resources) and must be ignored. */
export function isInternalKey(key: string): boolean {
  return key.startsWith("__");
}

/**
 * Copies raw inputs without Pulumi-internal top-level keys, and without object properties set to `null` or
 * `undefined` anywhere (an explicit `null` means "not set", like an omitted property).
 */
export function sanitizeInputs(news: unknown): Record<string, unknown> {
  if (news === null || typeof news !== "object" || Array.isArray(news)) return {};
  const dropNulls = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(dropNulls);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([, v]) => v !== null && v !== undefined)
          .map(([k, v]) => [k, dropNulls(v)]),
      );
    }
    return value;
  };
  const entries = Object.entries(news).filter(([key]) => !isInternalKey(key));
  return dropNulls(Object.fromEntries(entries)) as Record<string, unknown>;
}

/** Renders a zod path as `a.b[2].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

const UNKNOWN_PROPERTY = "is not a known property";

/**
 * Flattens zod issues into per-path messages: `unrecognized_keys` becomes one entry per key, so that each
 * unexpected key is named by its own path.
 */
function flattenIssues(issues: readonly z.core.$ZodIssue[]): { path: PropertyKey[]; message: string }[] {
  return issues.flatMap((issue) =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({ path: [...issue.path, key], message: UNKNOWN_PROPERTY }))
      : [{ path: [...issue.path], message: issue.message }],
  );
}

/**
 * Wraps a schema so that Pulumi's unknown sentinel passes through unvalidated (it stays {@link UNKNOWN} in the
 * output), while any other value is validated by `schema` with its issues reported at their own paths.
 */
export function unknownOr<T extends z.ZodType>(schema: T): z.ZodType<z.output<T> | UnknownValue, unknown> {
  return z
    .unknown()
    .transform((value, ctx): z.output<T> | UnknownValue =>
      isUnknown(value) ? UNKNOWN : parseWithin(schema, value, ctx),
    );
}

/**
 * Runs `schema` on `value` from inside a transform: returns the parsed value, or records the issues at their
 * paths relative to the current position and returns `z.NEVER`.
 */
export function parseWithin<T extends z.ZodType>(
  schema: T,
  value: unknown,
  ctx: z.core.$RefinementCtx<unknown>,
): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // Re-raised as plain messages: the original issues carry the input, which may be a secret.
  for (const { path, message } of flattenIssues(result.error.issues)) {
    ctx.issues.push({ code: "custom", message, path, input: undefined });
  }
  return z.NEVER;
}

/** Records one issue at the current position (or `path` below it) from inside a transform or refinement. */
export function addIssue(
  ctx: z.core.$RefinementCtx<unknown>,
  message: string,
  path: PropertyKey[] = [],
): void {
  ctx.issues.push({ code: "custom", message, path, input: undefined });
}

/** Turns zod issues into failures addressed so that the engine never prints a secret (see module docs). */
export function issuesToFailures(
  issues: readonly z.core.$ZodIssue[],
  addressing: FailureAddressing,
): CheckFailure[] {
  const failures = flattenIssues(issues).map(({ path, message }): CheckFailure => {
    const property = formatPath(path);
    const top = path.length === 0 ? "" : String(path[0]);
    const exposed =
      path.length === 1 && (addressing.secretTopLevel.has(top) || !addressing.knownTopLevel.has(top));
    if (property === "" || !exposed) return { property, reason: message };
    return { property: "", reason: `${property}: ${message}` };
  });
  const seen = new Set<string>();
  return failures.filter((f) => {
    const key = `${f.property}\u0000${f.reason}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Message helpers shared by the schemas, so wording stays consistent. */
export const messages = {
  string: "must be a string",
  nonEmptyTrimmed: "must be a non-empty string without leading or trailing whitespace",
  boolean: "must be a boolean (true or false)",
  object: "must be an object",
  list: "must be a list",
} as const;

/** A zod error option: "is required" for a missing value, else `message`. */
export function requiredOr(message: string): { error: (issue: { readonly input?: unknown }) => string } {
  return { error: (issue) => (issue.input === undefined ? "is required" : message) };
}

/** A string; a missing value is reported as "is required" rather than as a type error. */
export function stringSchema(): z.ZodString {
  return z.string(requiredOr(messages.string));
}

/** A non-empty string without surrounding whitespace (names, references). */
export function trimmedNameSchema(): z.ZodString {
  return (
    stringSchema()
      .min(1, { error: messages.nonEmptyTrimmed })
      .refine((s) => s.trim() === s, { error: messages.nonEmptyTrimmed })
      // No ONTAP name holds a control character; one would only reach ONTAP inside a query filter.
      // eslint-disable-next-line no-control-regex
      .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), { error: "must not contain control characters" })
  );
}

/**
 * Parses a resource's stored outputs (the `olds` of diff, update, delete and read) with its schema. Internal
 * `__*` keys are ignored.
 *
 * @param resource - For messages: "KeyManager".
 * @throws Error naming the invalid fields (never their values).
 */
export function parseStoredOutputs<T>(resource: string, schema: z.ZodType<T, unknown>, state: unknown): T {
  const parsed = schema.safeParse(sanitizeInputs(state));
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((i) => `${formatPath(i.path) || "(root)"}: ${i.message}`).join("; ");
  throw new Error(`stored ${resource} state is not valid: ${fields}`);
}
