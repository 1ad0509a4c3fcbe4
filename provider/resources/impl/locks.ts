/**
 * Per-key serialisation inside one provider process. Pulumi runs independent resources in parallel, but
 * ONTAP applies its limits (one key manager per scope, 4 servers per key manager) to the state each request
 * sees: changes to the same key manager or scope must not interleave.
 *
 * @packageDocumentation
 */

const tails = new Map<string, Promise<unknown>>();

/**
 * Runs `work` after every earlier `withLock` call with the same key has settled (fulfilled or rejected).
 *
 * @param key - What the work changes, e.g. `km:<uuid>` or `scope:<svm>`.
 * @param work - The critical section.
 */
export async function withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  const run = previous.then(work, work);
  const tail = run.catch(() => undefined);
  tails.set(key, tail);
  try {
    return await run;
  } finally {
    // Forget the key once nothing else queued behind this call, so the map does not grow with every key seen.
    if (tails.get(key) === tail) tails.delete(key);
  }
}
