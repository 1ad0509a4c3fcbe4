/**
 * `diff` for both resources: previous OUTPUTS (olds) against checked, normalised inputs (news).
 *
 * Both sides are normalised the same way (servers canonical and sorted, defaults explicit, CA references
 * sorted and unique), so a reordered list, a default port, timeout or username written out, or a DNS name in
 * another letter case is no change. A value still unknown (preview) counts as a possible change; in a field
 * that forces replacement, as a replacement.
 *
 * ## KeyManager
 * - Replace (delete first): `svm` (which also decides the scope) and the mode (`external` <-> `onboard`).
 *   ONTAP keeps one key manager per scope, so the new one can only be created after the old one is gone. On
 *   ONTAP 9.16.1 and later the cluster switches modes in place: the glue then turns a mode-only replacement into
 *   an update ({@link asModeSwitch}).
 * - Update: certificates, server additions/removals and per-server settings, passphrase, `profile`,
 *   `serverManagement`. `updates` names each server and CA certificate that changes by its key, as the engine's
 *   display does (`external.servers["10.66.66.66:5696"]`, `external.serverCaCertificates["ca-2"]`).
 * - Nothing: `adopt` (it only matters when creating), and the health outputs `status` and `connectivity`
 *   (ONTAP's report, refreshed by `read`, never a change or a replacement).
 * - Update: `keysMissingOnNodes` not empty in the previous outputs of an onboard key manager that stays onboard
 *   (a refresh found nodes missing onboard keys): the update synchronises them with one PATCH and records `[]`, so
 *   there is no diff once they are in step.
 * - `deleteBeforeReplace` is ALWAYS true: the engine also consults it for `pulumi up --replace`, where
 *   create-first would meet the existing key manager in the same scope (or adopt it and then delete it).
 * - This pure diff compares names. The provider then asks ONTAP (read-only) whether a changed `svm` is the same
 *   SVM renamed (then an update, not a replacement), and proves a remaining replacement before the engine deletes.
 * - A pending create (`createJob` in the outputs) is always an update: the update finishes it.
 *
 * ## `profile` changes are updates, not replacements
 * A profile names a connection, not the key manager: renaming a profile, or moving from the stack's default
 * settings to a named profile for the same cluster, must not delete a key manager (deleting an onboard key
 * manager destroys its key hierarchy; deleting an external one is refused while encrypted volumes depend on
 * it). The update reaches the key manager by its UUID through the new profile: on the same cluster nothing
 * changes on ONTAP; on another cluster the UUID is not found and the update fails without touching either
 * cluster. Moving a key manager to another cluster is a deliberate `pulumi up --replace` (or delete and create).
 *
 * ## KeyServer
 * - Replace: `keyManager` or `server` (after normalisation). Create-first (`deleteBeforeReplace: false`) in
 *   that case: old and new are different ONTAP objects, and adding the new server before removing the old one
 *   keeps keys reachable (at 4 servers the create fails; the user removes a server first). With no replacing
 *   property (`pulumi up --replace`), delete-first, since both would be the same server.
 * - Update: `timeout`, `username`, `secondaryKeyServers` (order counts), `password`, `profile`. Nothing: `adopt`.
 *
 * @packageDocumentation
 */

import type { CheckedKeyManagerInputs, KeyManagerOutputs } from "./keyManagerModel";
import type { CheckedKeyServerInputs, KeyServerOutputs } from "./keyServerModel";
import { type KeyServerSettings, sameSecondaries } from "./servers";
import { containsUnknown, isUnknown } from "./unknown";

/**
 * A diff result in the shape of `@pulumi/pulumi/dynamic`'s `DiffResult` (the engine reads `changes`,
 * `replaces`, `deleteBeforeReplace`), plus `updates`, which the engine ignores.
 */
export interface DiffOutcome {
  /** Whether anything (may) change. */
  readonly changes: boolean;
  /** Top-level inputs whose change forces a replacement; empty for an in-place update. */
  readonly replaces: string[];
  /** Whether a replacement deletes the old resource before creating the new one. */
  readonly deleteBeforeReplace: boolean;
  /** Paths of the properties that (may) change in place, for tests, logs and the glue. */
  readonly updates: string[];
}

function differs(news: unknown, olds: unknown): boolean {
  return isUnknown(news) || news !== olds;
}

/** A server's settings, for comparison (every setting but the address, which is the key). */
function settingsKey({ server: _server, ...settings }: KeyServerSettings): string {
  return JSON.stringify(Object.entries(settings).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `prefix["key"]`: a map entry in the engine's property path syntax (keys hold dots and colons). */
function entryPath(prefix: string, key: string): string {
  return `${prefix}[${JSON.stringify(key)}]`;
}

/**
 * The entries added, removed or changed between two maps, as property paths, in key order: servers and CA
 * certificates are maps keyed by address and reference in state (see `KeyManagerStateShape`), so a change names
 * its entry, as the engine's display does.
 */
function changedEntries(
  prefix: string,
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): string[] {
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.filter((k) => before.get(k) !== after.get(k)).map((k) => entryPath(prefix, k));
}

function serverEntries(servers: readonly KeyServerSettings[]): Map<string, string> {
  return new Map(servers.map((s) => [s.server, settingsKey(s)]));
}

function refEntries(refs: readonly string[]): Map<string, string> {
  return new Map(refs.map((r) => [r, ""]));
}

type Mode = "external" | "onboard" | "none" | "undetermined";

function newMode(news: CheckedKeyManagerInputs): Mode {
  const external = news.external !== undefined;
  const onboard = news.onboard !== undefined;
  if (external && onboard) return "undetermined"; // check lets this through only when one is unknown
  return external ? "external" : onboard ? "onboard" : "none";
}

function oldMode(olds: KeyManagerOutputs): Mode {
  return olds.external ? "external" : olds.onboard ? "onboard" : "none";
}

/** Diffs a `KeyManager`: previous outputs against checked inputs. See the module documentation for the rules. */
export function diffKeyManager(olds: KeyManagerOutputs, news: CheckedKeyManagerInputs): DiffOutcome {
  const replaces: string[] = [];
  const updates: string[] = [];

  if (differs(news.svm, olds.svm)) replaces.push("svm");

  const before = oldMode(olds);
  const after = newMode(news);
  if (after !== before) {
    if (after === "undetermined" || (news.external !== undefined) !== (olds.external !== undefined)) {
      replaces.push("external");
    }
    if (after === "undetermined" || (news.onboard !== undefined) !== (olds.onboard !== undefined)) {
      replaces.push("onboard");
    }
  } else if (after === "external" && olds.external && news.external !== undefined) {
    const ext = news.external;
    if (isUnknown(ext)) {
      updates.push("external");
    } else {
      if (differs(ext.clientCertificate, olds.external.clientCertificate))
        updates.push("external.clientCertificate");
      const cas = ext.serverCaCertificates;
      if (isUnknown(cas) || cas.some(isUnknown)) {
        updates.push("external.serverCaCertificates");
      } else {
        updates.push(
          ...changedEntries(
            "external.serverCaCertificates",
            refEntries(olds.external.serverCaCertificates),
            refEntries(cas),
          ),
        );
      }
      const servers = ext.servers;
      if (containsUnknown(servers)) {
        updates.push("external.servers");
      } else {
        updates.push(
          ...changedEntries(
            "external.servers",
            serverEntries(olds.external.servers),
            serverEntries(servers as KeyServerSettings[]),
          ),
        );
      }
    }
  } else if (after === "onboard" && news.onboard !== undefined) {
    const passphrase = isUnknown(news.onboard) ? news.onboard : news.onboard.passphrase;
    // An unknown previous passphrase (import, adopt) is recorded by an update that does not rotate.
    if (differs(passphrase, olds.onboard?.passphrase)) updates.push("onboard.passphrase");
    // A wholly unknown onboard already shows as a possible passphrase change.
    const current = isUnknown(news.onboard)
      ? olds.onboard?.currentPassphrase
      : news.onboard.currentPassphrase;
    // Given or changed, it says what ONTAP holds: an update that may rotate from it (removed: recorded, no
    // call). Left in place, nothing.
    if (differs(current, olds.onboard?.currentPassphrase)) updates.push("onboard.currentPassphrase");
    if ((olds.keysMissingOnNodes?.length ?? 0) > 0) updates.push("keysMissingOnNodes");
  }

  if (differs(news.profile, olds.profile)) updates.push("profile");
  if (differs(news.serverManagement, olds.serverManagement)) updates.push("serverManagement");
  // A switch between onboard and external left configurations of this resource's on the cluster: the update
  // deletes them (until then every preview says so; no silent leftovers).
  if ((olds.leftoverConfigurations?.length ?? 0) > 0) updates.push("leftoverConfigurations");
  // A pending create (its job outlasted the job timeout) is finished by an update, never by a replacement.
  if (olds.createJob !== undefined) {
    return { changes: true, replaces: [], deleteBeforeReplace: true, updates: [...updates, "createJob"] };
  }

  return {
    changes: replaces.length > 0 || updates.length > 0,
    replaces,
    deleteBeforeReplace: true,
    updates,
  };
}

/**
 * The same outcome with a change of mode made an in-place update: ONTAP 9.16.1 and later switch the cluster
 * between onboard and external without deleting the key manager (see `modeSwitch.ts`). Only a replacement that
 * is nothing but the mode becomes an update; one that also replaces for `svm` stays a replacement. The glue
 * decides that the cluster has the switch (release) and that the scope is the cluster's.
 *
 * @param outcome - {@link diffKeyManager}'s outcome.
 */
export function asModeSwitch(outcome: DiffOutcome): DiffOutcome {
  const mode = outcome.replaces.filter((r) => r === "external" || r === "onboard");
  if (mode.length === 0 || mode.length !== outcome.replaces.length) return outcome;
  return { ...outcome, changes: true, replaces: [], updates: [...outcome.updates, ...mode] };
}

/** Whether an outcome replaces for the mode only (the candidates of {@link asModeSwitch}). */
export function replacesModeOnly(outcome: DiffOutcome): boolean {
  return outcome.replaces.length > 0 && outcome.replaces.every((r) => r === "external" || r === "onboard");
}

/** Diffs a `KeyServer`: previous outputs against checked inputs. See the module documentation for the rules. */
export function diffKeyServer(olds: KeyServerOutputs, news: CheckedKeyServerInputs): DiffOutcome {
  const replaces = (["keyManager", "server"] as const).filter((k) => differs(news[k], olds[k]));
  const updates: string[] = (
    ["timeout", "username", "createRemoveTimeout", "password", "profile"] as const
  ).filter((k) => differs(news[k], olds[k]));
  const secondaries = news.secondaryKeyServers;
  if (
    isUnknown(secondaries) ||
    secondaries?.some(isUnknown) ||
    !sameSecondaries(secondaries, olds.secondaryKeyServers)
  ) {
    updates.push("secondaryKeyServers");
  }
  return {
    changes: replaces.length > 0 || updates.length > 0,
    replaces: [...replaces],
    deleteBeforeReplace: replaces.length === 0,
    updates: [...updates],
  };
}
