/**
 * Every provider method answers with a promise: a failure is a rejected promise (or, for `check`, a list of
 * failures), never a synchronous throw, which the dynamic provider host would report as a crash of the call
 * rather than as the resource's error. Values are bounded before the model's recursive code sees them
 * ({@link inputBoundsProblem}).
 *
 * @packageDocumentation
 */

import type * as dynamic from "@pulumi/pulumi/dynamic";
import { inputBoundsProblem } from "../model/bounds";

function asError(err: unknown): Error {
  if (err instanceof RangeError) {
    // A stack overflow's message says nothing the user can act on.
    return new Error(`the values are too large or too deeply nested to process (${err.message})`, {
      cause: err,
    });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Runs a method's work, turning a synchronous throw into a rejection. Each of `values` (inputs, stored
 * outputs) is bounded first: one that is too deep or too large rejects with a message saying so.
 *
 * @param what - The method and resource, for messages: "KeyManager diff".
 * @param work - The work; may return a value or a promise.
 * @param values - Values received from the engine, checked before `work` runs.
 */
export function settle<T>(what: string, work: () => T | Promise<T>, ...values: unknown[]): Promise<T> {
  try {
    for (const value of values) {
      const problem = inputBoundsProblem(value);
      if (problem !== undefined) {
        return Promise.reject(new Error(`${what}: refused, ${problem}`));
      }
    }
    return Promise.resolve(work()).catch((err: unknown) => Promise.reject(asError(err)));
  } catch (err) {
    return Promise.reject(asError(err));
  }
}

/**
 * `check` with the same guarantees: inputs out of bounds give a failure (addressed to no property, so the
 * engine prints no value), as does anything the check throws.
 *
 * @param what - The resource, for messages: "KeyManager".
 * @param news - The inputs.
 * @param work - The check itself.
 */
export function settleCheck(
  what: string,
  news: unknown,
  work: () => dynamic.CheckResult,
): Promise<dynamic.CheckResult> {
  const failed = (reason: string): dynamic.CheckResult => ({
    inputs: {},
    failures: [{ property: "", reason }],
  });
  const problem = inputBoundsProblem(news);
  if (problem !== undefined) {
    return Promise.resolve(failed(`${problem}: ${what} inputs are a few levels deep and small`));
  }
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.resolve(failed(`${what} inputs could not be checked: ${asError(err).message}`));
  }
}

/**
 * Throws when one of `values` is out of bounds; for the first line of an `async` method, where a throw is
 * already a rejection.
 *
 * @param what - The method and resource, for messages: "KeyManager read".
 * @param values - Values received from the engine.
 */
export function assertBounded(what: string, ...values: unknown[]): void {
  for (const value of values) {
    const problem = inputBoundsProblem(value);
    if (problem !== undefined) throw new Error(`${what}: refused, ${problem}`);
  }
}
