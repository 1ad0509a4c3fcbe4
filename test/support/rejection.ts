/**
 * Awaiting what must fail: the tests assert on the error, and a call that succeeds fails the test.
 *
 * @packageDocumentation
 */

/** Awaits a promise that must reject and returns its error (a non-Error rejection fails the test). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`rejected with a non-error: ${String(err)}`, { cause: err });
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/** The message of an operation that must fail (e.g. an engine operation, whose error text is the CLI's output). */
export async function rejectionMessage(operation: Promise<unknown>): Promise<string> {
  try {
    await operation;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  throw new Error("expected the operation to fail, but it succeeded");
}
