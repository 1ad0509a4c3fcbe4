/**
 * Shared plumbing for the `check` functions: the result shape Pulumi's dynamic providers use, zod helpers that
 * let unknown preview values through, and the translation of zod issues into failures that never leak secrets.
 *
 * Why failures are addressed with care. The engine renders a failure with a `property` as "property P value
 * {V} has a problem: R", where V is `inputs[P]` of the program's inputs: it looks up exact top-level names only
 * (pkg/resource/deploy/step_generator.go `issueCheckFailures`, unchanged from 3.216 to 3.276). So:
 * - A top-level input that holds no secret keeps its `property`: the engine prints its value itself, and shows a
 *   value the program made secret as `{&{{[secret]}}}`, never the text.
 * - A secret-holding top-level input (`onboard`, `password`) or an unexpected top-level key (a misplaced
 *   `passphrase`) gets an empty `property`, with the field named at the start of the reason: the engine would
 *   print a plain-text passphrase given there.
 * - A nested path (`external.servers[0].timeout`) gets an empty `property` too, because the engine would
 *   print `{<nil>}` for it: the reason names the path and the offending value, resolved against the inputs
 *   as the program wrote them (`external.servers[0].timeout: must be ... (value: 99)`). The value is shown
 *   when it is a scalar (strings quoted, cut at 60 characters); a list or an object is named by its kind; a
 *   field that holds a secret (below a secret-holding input, or named passphrase, password, privateKey) says
 *   `(value: secret)`; an unexpected key shows no value (it may be a misplaced secret). Dynamic providers
 *   receive inputs with secrets already unwrapped (they do not accept secrets), so a value the program made
 *   secret in a field that holds none cannot be told apart here: that is the one case this cannot hide.
 *
 * @packageDocumentation
 */

import { z } from "zod";
import { UNKNOWN, isUnknown, type UnknownValue } from "./unknown";

/** One validation failure, in the shape of `@pulumi/pulumi/dynamic`'s `CheckFailure`. */
export interface CheckFailure {
  /** A top-level input the engine prints the value of; `""` when the reason names the field (nested paths, secrets). */
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

/** Field names that hold a secret wherever they appear. */
const SECRET_FIELDS: ReadonlySet<string> = new Set([
  "passphrase",
  "currentPassphrase",
  "password",
  "privateKey",
]);

/** Longest string value quoted in a failure. */
const MAX_SHOWN_VALUE = 60;

/** The value at `path` in `inputs`, or undefined when there is none. */
function valueAt(inputs: unknown, path: readonly PropertyKey[]): unknown {
  let value = inputs;
  for (const segment of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** How a failure shows the offending value: see the module documentation. */
function shownValue(value: unknown, secret: boolean): string {
  if (value === undefined) return "";
  if (secret) return " (value: secret)";
  if (typeof value === "string") {
    const text = value.length > MAX_SHOWN_VALUE ? `${value.slice(0, MAX_SHOWN_VALUE - 3)}...` : value;
    return ` (value: ${JSON.stringify(text)})`;
  }
  if (typeof value === "number" || typeof value === "boolean" || value === null) {
    return ` (value: ${String(value)})`;
  }
  return Array.isArray(value) ? " (value: a list)" : " (value: an object)";
}

/**
 * Turns zod issues into failures addressed so that the engine never prints a secret and nested failures carry
 * their value (see module docs).
 *
 * @param inputs - The inputs as the program wrote them (what the engine resolves paths against): the value of a
 *   nested failure is taken from there.
 */
export function issuesToFailures(
  issues: readonly z.core.$ZodIssue[],
  addressing: FailureAddressing,
  inputs?: unknown,
): CheckFailure[] {
  const failures = flattenIssues(issues).map(({ path, message }): CheckFailure => {
    const property = formatPath(path);
    const top = path.length === 0 ? "" : String(path[0]);
    const unexpected = message === UNKNOWN_PROPERTY || !addressing.knownTopLevel.has(top);
    if (property === "") return { property, reason: message };
    if (path.length === 1) {
      const exposed = addressing.secretTopLevel.has(top) || unexpected;
      return exposed ? { property: "", reason: `${property}: ${message}` } : { property, reason: message };
    }
    const secret =
      addressing.secretTopLevel.has(top) || path.some((p) => typeof p === "string" && SECRET_FIELDS.has(p));
    const value = unexpected ? "" : shownValue(valueAt(inputs, path), secret);
    return { property: "", reason: `${property}: ${message}${value}` };
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
