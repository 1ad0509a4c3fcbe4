/**
 * The connection state a provider process shares between its resources: the stack config handed to
 * `configure(req)`, and the ONTAP clients (one connection pool per cluster) built from it.
 *
 * @packageDocumentation
 */

import { type ConfigSource, type ConnectionSettings, getClient, resolveConnection } from "../../ontap";
import type { OntapClient } from "../../ontap/client";

let config: ConfigSource | undefined;
const settingsByProfile = new Map<string, ConnectionSettings>();

/**
 * Stores the stack config. Synchronous on purpose: the dynamic provider host caches a provider before its
 * `configure` promise settles, so a call racing it must already find the config.
 *
 * @param source - `configure(req)`'s `req.config` (keys such as `ontap:host`).
 */
export function setConfig(source: ConfigSource): void {
  config = source;
  settingsByProfile.clear();
}

/**
 * The client for a profile (or the default connection), resolved from the stack config with the
 * environment as fallback. Settings are resolved once per profile; clients share pools per cluster.
 *
 * @param profile - A name from `ontap:profiles`, or undefined for the stack's `ontap:*` settings.
 * @throws OntapConfigurationError naming the setting to add.
 */
export function clientFor(profile: string | undefined): OntapClient {
  const key = profile ?? "";
  let settings = settingsByProfile.get(key);
  if (!settings) {
    settings = resolveConnection({ config: config ?? {}, env: process.env, profile });
    settingsByProfile.set(key, settings);
  }
  return getClient(settings);
}
