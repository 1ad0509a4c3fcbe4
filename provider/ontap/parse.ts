/**
 * Parsing of response bodies with zod: a body that breaks the contract becomes an
 * {@link OntapBadResponseError} that names the field; unknown fields are never a reason to fail (the
 * schemas are loose objects).
 *
 * @packageDocumentation
 */

import type { z } from "zod";
import { OntapBadResponseError, type OntapRequestContext, type OntapResponseIssue } from "./errors";

/**
 * Formats a zod issue path the way a reader of the API docs writes it: `records[0].svm.uuid`.
 *
 * @param path - The issue path.
 */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") {
      out += `[${part}]`;
    } else {
      const name = String(part);
      out += out === "" ? name : `.${name}`;
    }
  }
  return out === "" ? "(root)" : out;
}

/**
 * Describes zod issues by field and problem, never by value (a value may be a secret).
 *
 * @param error - A zod error.
 */
export function issuesOf(error: z.ZodError): OntapResponseIssue[] {
  return error.issues.map((issue) => ({ field: formatFieldPath(issue.path), problem: issue.message }));
}

/**
 * Validates a parsed JSON body against a schema.
 *
 * @param schema - The expected shape (loose objects: unknown fields pass).
 * @param body - The parsed body.
 * @param context - The request, for the error; `status` too when known.
 * @returns The parsed value.
 * @throws {@link OntapBadResponseError} naming the first field that breaks the contract.
 */
export function parseBody<T>(
  schema: z.ZodType<T>,
  body: unknown,
  context: OntapRequestContext & { readonly status?: number },
): T {
  const result = schema.safeParse(body);
  if (result.success) {
    return result.data;
  }
  throw new OntapBadResponseError({ ...context, issues: issuesOf(result.error), cause: result.error });
}

/**
 * Parses response text as JSON; empty text gives `undefined`.
 *
 * @param text - The response body.
 * @param context - The request, for the error.
 * @throws {@link OntapBadResponseError} when the text is not JSON.
 */
export function parseJsonText(
  text: string,
  context: OntapRequestContext & { readonly status?: number },
): unknown {
  if (text.trim() === "") {
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // JSON.parse's message quotes the body, which is not ours to repeat: keep only the error's kind.
    throw new OntapBadResponseError({
      ...context,
      issues: [{ field: "(root)", problem: "the body is not JSON" }],
      cause: new SyntaxError(
        `${(err as Error).name}: response body of ${text.length} characters is not JSON`,
      ),
    });
  }
}
