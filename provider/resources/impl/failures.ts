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
  /** The outputs describing what ONTAP holds now. */
  readonly properties: Record<string, unknown>;
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
    this.properties = properties;
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
