/**
 * The connection state a provider process shares between its resources: the stack config handed to
 * `configure(req)`, and the ONTAP clients (one connection pool per cluster) built from it.
 *
 * @packageDocumentation
 */

import { type ConfigSource, clientGeneration, getClient, resolveConnection } from "../../ontap";
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
