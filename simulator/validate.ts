import type { z } from "zod";
import { SimulatedOntapError, cannotSet, invalidValue, missingValue, unexpectedArgument } from "./errors";

/**
 * Parses a request body with a strict zod schema and turns the first problem into the ONTAP error a cluster
 * answers: unknown field 262179 (or 262196 when the field is readable but not settable here), missing 262177,
 * wrong type 262185. Values are never echoed (they may be secrets).
 */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, readable: (path: string) => boolean): T {
  const input = body === undefined ? {} : body;
  if (Array.isArray(input)) {
    throw new SimulatedOntapError(
      400,
      "262255",
      "An array was found in the JSON input when it was not expected.",
    );
  }
  if (input === null || typeof input !== "object") {
    throw new SimulatedOntapError(400, "262199", "The request body is not a JSON object.");
  }
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const name = (path: PropertyKey[]): string => path.filter((p) => typeof p === "string").join(".");
  const issues = r.error.issues;
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const key = issue.keys[0] ?? "";
      const full = name([...issue.path, key]);
      throw readable(full) ? cannotSet(full) : unexpectedArgument(full);
    }
  }
  const first = issues[0];
  if (!first) throw new SimulatedOntapError(400, "262185", "Invalid request body.");
  const target = name(first.path);
  if (valueAt(input, first.path) === undefined) throw missingValue(target);
  throw invalidValue(target);
}

function valueAt(obj: unknown, path: PropertyKey[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

/** Checks an integer range; the value is not secret, so it may be named. */
export function checkRange(value: number | undefined, min: number, max: number, target: string): void {
  if (value !== undefined && (value < min || value > max)) {
    throw invalidValue(target, `${value} is not in the range ${min} to ${max}`);
  }
}
