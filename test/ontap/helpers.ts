/** Shared helpers of the ONTAP-layer tests: settings for a simulator, fast client options, stderr capture. */

import type { Simulator } from "../../simulator";
import { resolveConnection, type ClientOptions, type ConnectionSettings } from "../../provider/ontap";

/** Client options with short waits: the behaviour is the same, the suite stays fast. */
export const FAST: ClientOptions = {
  retry: { maxRetries: 3, minDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 2_000 },
  jobPoll: { minIntervalMs: 10, maxIntervalMs: 50, progressAfterMs: 60_000 },
};

/**
 * Settings for a simulator, through the same path as the provider: a stack-config record.
 *
 * @param sim - The simulator.
 * @param extra - More stack config keys (e.g. "ontap:jobTimeout").
 */
export function settingsFor(sim: Simulator, extra: Record<string, string> = {}): ConnectionSettings {
  return resolveConnection({
    config: {
      "ontap:host": sim.url,
      "ontap:username": sim.username,
      "ontap:password": sim.password,
      "ontap:caCert": sim.caCert,
      ...extra,
    },
    env: {},
  });
}

/** Lines written to process.stderr while a capture is active. */
export interface StderrCapture {
  /** Everything written so far. */
  text(): string;
  /** Stops capturing (and restores stderr). */
  restore(): void;
}

/** Captures process.stderr (still swallowing it, so test output stays readable). */
export function captureStderr(): StderrCapture {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  });
  return {
    text: () => chunks.join(""),
    restore: () => spy.mockRestore(),
  };
}

/**
 * Awaits a promise that must reject and returns the error (fails the test when it resolves).
 *
 * @param promise - The call.
 */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail, but it succeeded");
}

/**
 * Waits until a condition holds, checking every 10 ms, for at most `timeoutMs` (the simulator logs a request
 * when its response has closed, a moment after the client has it).
 *
 * @param condition - What to wait for.
 * @param timeoutMs - Upper bound of the wait.
 */
export async function eventually(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) {
      throw new Error(`condition not met within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
