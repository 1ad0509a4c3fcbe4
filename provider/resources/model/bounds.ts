/**
 * A size guard for values handed to the providers (inputs, stored outputs) before anything recursive looks
 * at them. zod, the input sanitiser and JSON handling recurse; a value nested a few thousand levels deep
 * would overflow the stack with a RangeError far from any message a user could act on. Real inputs are a
 * handful of levels deep and a few dozen values large.
 *
 * @packageDocumentation
 */

/** Deepest nesting accepted (real inputs reach about 5). */
export const MAX_INPUT_DEPTH = 64;
/** Most values (objects, arrays and scalars together) accepted in one input (real inputs hold under 100). */
export const MAX_INPUT_VALUES = 10_000;

/**
 * Why a value is too large to be looked at, or `undefined` when it is within bounds. Iterative, so it cannot
 * overflow the stack itself; names the top-level key under which the problem lies, never a value.
 *
 * @param value - Inputs or stored outputs, as received.
 */
export function inputBoundsProblem(value: unknown): string | undefined {
  const stack: { value: unknown; depth: number; top: string | undefined }[] = [
    { value, depth: 0, top: undefined },
  ];
  const seen = new Set<object>();
  let count = 0;
  while (stack.length > 0) {
    const item = stack.pop()!;
    count += 1;
    const where = item.top === undefined ? "the inputs" : `"${item.top}"`;
    if (count > MAX_INPUT_VALUES) {
      return `${where}: the inputs hold more than ${MAX_INPUT_VALUES} values`;
    }
    if (item.value === null || typeof item.value !== "object") continue;
    if (item.depth >= MAX_INPUT_DEPTH) {
      return `${where} is nested more than ${MAX_INPUT_DEPTH} levels deep`;
    }
    if (seen.has(item.value)) {
      return `${where} refers to itself (a cycle)`;
    }
    seen.add(item.value);
    const entries: [string, unknown][] = Array.isArray(item.value)
      ? item.value.map((v, i) => [String(i), v])
      : Object.entries(item.value);
    for (const [key, child] of entries) {
      // Pulumi-internal top-level keys (`__provider`) are the engine's, not the user's.
      if (item.depth === 0 && key.startsWith("__")) continue;
      stack.push({ value: child, depth: item.depth + 1, top: item.top ?? key });
    }
  }
  return undefined;
}
