/**
 * The connection state a provider process shares between its resources: the stack config handed to
 * `configure(req)`, and the ONTAP clients (one connection pool per cluster) built from it.
 *
 * @packageDocumentation
 */

import type * as dynamic from "@pulumi/pulumi/dynamic";
import {
  type ConfigSource,
  OntapConfigurationError,
  clientGeneration,
  getClient,
  resolveConnection,
} from "../../ontap";
import type { OntapClient } from "../../ontap/client";

let config: ConfigSource | undefined;
// Resolved once per profile: resolving (and keying the shared pool) costs hashing that a refresh of hundreds
// of resources should not pay on every call.
const clientsByProfile = new Map<string, { client: OntapClient; generation: number }>();

/**
 * Stores the stack config. Synchronous on purpose: the dynamic provider host caches a provider before its
 * `configure` promise settles, so a call racing it must already find the config.
 *
 * @param source - `configure(req)`'s `req.config` (keys such as `ontap:host`).
 */
export function setConfig(source: ConfigSource): void {
  config = source;
  clientsByProfile.clear();
}

/**
 * The client for a profile (or the default connection), resolved from the stack config with the
 * environment as fallback. Resolved once per profile; clients share pools per cluster.
 *
 * @param profile - A name from `ontap:profiles`, or undefined for the stack's `ontap:*` settings.
 * @throws OntapConfigurationError naming the setting to add.
 */
export function clientFor(profile: string | undefined): OntapClient {
  const key = profile ?? "";
  const cached = clientsByProfile.get(key);
  if (cached && cached.generation === clientGeneration()) return cached.client;
  const client = getClient(resolveConnection({ config: config ?? {}, env: process.env, profile }));
  clientsByProfile.set(key, { client, generation: clientGeneration() });
  return client;
}

/**
 * The check failures of a resource's connection settings: what `up` would refuse first (a missing `ontap:host`
 * for the resource's profile or the default connection, a missing username or password, a malformed
 * `ontap:profiles`), reported by `check` so that `preview` fails at once with the setting to add. Reads no
 * network; an unknown profile (not known until apply) is not checked. Only once `configure` has handed over the
 * stack config, as the engine always does first: a direct call (a unit test) has no stack to judge.
 *
 * @param profile - The resource's `profile` input, as checked.
 */
export function connectionFailures(profile: unknown): dynamic.CheckFailure[] {
  if (config === undefined) return [];
  if (profile !== undefined && typeof profile !== "string") return [];
  if (typeof profile === "string" && profile === UNKNOWN) return [];
  try {
    resolveConnection({ config: config ?? {}, env: process.env, profile });
    return [];
  } catch (err) {
    if (!(err instanceof OntapConfigurationError)) return [];
    return [{ property: profile === undefined ? "" : "profile", reason: err.message }];
  }
}

/** How the engine spells a value that is not known during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
