/**
 * The helpers every resource's glue shares (KeyManager, KeyServer, Certificate): the same `configure`, the same
 * way to re-check inputs the engine passes back, the same diff answer, the same lock keys. One definition each,
 * so the three resources cannot drift apart.
 *
 * @packageDocumentation
 */

import type * as dynamic from "@pulumi/pulumi/dynamic";
import type { CheckFailure, CheckResult } from "../model";
import { setConfig } from "./connection";
import { settle } from "./settle";

/** A `configure` method for `resource` (for messages: "KeyManager"): stores the stack config. */
export function configureFor(resource: string): (req: dynamic.ConfigureRequest) => Promise<void> {
  return (req) => settle(`${resource} configure`, () => setConfig(req.config));
}

/**
 * The checked inputs of a check result, or an error naming every failure: inputs the engine passes back to
 * `diff`, `create` or `update` have already been checked, so a failure here is a bug or a hand-edited state.
 *
 * @param resource - For messages: "KeyManager".
 * @param result - The model's check result.
 * @param extra - Failures the glue adds when the model's check passed (see KeyServer's password rules).
 */
export function checkedInputs<T>(
  resource: string,
  result: CheckResult<T>,
  extra: (inputs: T) => readonly CheckFailure[] = () => [],
): T {
  const failures = result.valid ? extra(result.inputs) : result.failures;
  if (!result.valid || failures.length > 0) {
    const reasons = failures.map((f) => (f.property === "" ? f.reason : `${f.property}: ${f.reason}`));
    throw new Error(`invalid ${resource} inputs: ${reasons.join("; ")}`);
  }
  return result.inputs;
}

/** `inputs` as known inputs, or an error: a write needs every value (preview never writes). */
export function knownInputs<C, K extends C>(resource: string, inputs: C, isKnown: (i: C) => i is K): K {
  if (!isKnown(inputs)) throw new Error(`${resource} inputs are not known yet`);
  return inputs;
}

/** The part of a model's diff outcome the engine reads. */
export function diffResult(outcome: {
  readonly changes: boolean;
  readonly replaces: string[];
  readonly deleteBeforeReplace: boolean;
}): dynamic.DiffResult {
  return {
    changes: outcome.changes,
    replaces: outcome.replaces,
    deleteBeforeReplace: outcome.deleteBeforeReplace,
  };
}

/** Outputs as the engine's property bag. */
export function outputsRecord(outputs: object): Record<string, unknown> {
  return outputs as Record<string, unknown>;
}

/** The connection profile recorded in stored outputs, when they name one. */
export function profileOf(props: unknown): string | undefined {
  const profile =
    typeof props === "object" && props !== null ? (props as { profile?: unknown }).profile : undefined;
  return typeof profile === "string" && profile !== "" ? profile : undefined;
}

/** The lock of one key manager: its key servers and itself change under it (see {@link withLock}). */
export function keyManagerLock(uuid: string): string {
  return `km:${uuid.toLowerCase()}`;
}

/** The lock of one scope (cluster or SVM) on one connection: at most one key manager is created there. */
export function scopeLock(inputs: { svm?: string; profile?: string }): string {
  return `scope:${inputs.profile ?? ""}:${inputs.svm ?? ""}`;
}

/** The lock of one certificate name in one scope on one connection. */
export function certificateLock(inputs: { name: string; svm?: string; profile?: string }): string {
  return `cert:${inputs.profile ?? ""}:${inputs.svm ?? ""}:${inputs.name}`;
}
