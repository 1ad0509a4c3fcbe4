/**
 * Errors the providers raise to the engine. They are built only from messages that are already free of
 * secrets (ONTAP errors are redacted where they are made; model errors never quote values).
 *
 * @packageDocumentation
 */

/**
 * A create or update that changed ONTAP and then failed. The dynamic provider host turns an error with `id`
 * into "created but failed to initialise": the engine records `properties` as the resource's state, so what
 * ONTAP already holds is neither orphaned nor forgotten, and the next `pulumi up` converges it.
 */
export class PartialStateError extends Error {
  /** The resource id (the key manager's UUID, or the key server id). */
  readonly id: string;
  /**
   * The outputs describing what ONTAP holds now. Not enumerable: they may hold a passphrase, which must not
   * show when the error is logged, inspected or serialized (the provider host reads the property by name).
   */
  declare readonly properties: Record<string, unknown>;
  /** Why it is not finished, for the engine's report. */
  readonly reasons: string[];

  /**
   * @param message - What failed and what was left in place.
   * @param id - The resource id.
   * @param properties - Outputs describing ONTAP's state now.
   * @param cause - The failure.
   */
  constructor(message: string, id: string, properties: Record<string, unknown>, cause: unknown) {
    super(message, { cause });
    this.name = "PartialStateError";
    this.id = id;
    Object.defineProperty(this, "properties", { value: properties, enumerable: false });
    this.reasons = [message];
  }
}

/** The message of any thrown value, never its fields (they may hold request bodies). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Whether an error is ONTAP's answer with one of `codes` (the HTTP layer exposes `ontapCode` as a string on
 * API errors and failed jobs).
 */
export function hasOntapCode(err: unknown, ...codes: string[]): boolean {
  if (typeof err !== "object" || err === null || !("ontapCode" in err)) return false;
  const code = (err as { ontapCode?: unknown }).ontapCode;
  return typeof code === "string" && codes.includes(code);
}

/** The key under which the dynamic provider host keeps the serialized provider in every resource's state. */
const SERIALIZED_PROVIDER_KEY = "__provider";

/**
 * Awaits a create or update and, when it fails with a {@link PartialStateError}, copies the serialized provider
 * from the inputs into the error's properties. The dynamic provider host records those properties verbatim as the
 * resource's outputs (it adds `__provider` to successful answers only): without it, every later operation on the
 * resource fails in the host with "code must be a string, not undefined".
 *
 * @param inputs - The inputs the host passed (they carry `__provider`).
 * @param work - The create or update.
 */
export async function keepingSerializedProvider<T>(inputs: unknown, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof PartialStateError && typeof inputs === "object" && inputs !== null) {
      const serialized = (inputs as Record<string, unknown>)[SERIALIZED_PROVIDER_KEY];
      if (typeof serialized === "string") err.properties[SERIALIZED_PROVIDER_KEY] = serialized;
    }
    throw err;
  }
}
