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
 *   ONTAP keeps one key manager per scope and cannot switch modes in place, so the new one can only be created
 *   after the old one is gone.
 * - Update: certificates, server additions/removals and per-server settings, passphrase, `profile`,
 *   `serverManagement`.
 * - Nothing: `adopt` (it only matters when creating).
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

import { sortCertificateRefs } from "./certificates";
import type { CheckedKeyManagerInputs, KeyManagerOutputs } from "./keyManagerModel";
import type { CheckedKeyServerInputs, KeyServerOutputs } from "./keyServerModel";
import { type KeyServerSettings, sameSecondaries, sortServerEntries } from "./servers";
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

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function serversKey(servers: readonly KeyServerSettings[]): string[] {
  // Secondary servers in their order: ONTAP tries them in that order.
  return sortServerEntries(servers).map((s) =>
    JSON.stringify([
      s.server,
      s.timeout,
      s.username,
      s.secondaryKeyServers ?? [],
      s.createRemoveTimeout ?? null,
    ]),
  );
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
      if (
        isUnknown(cas) ||
        cas.some(isUnknown) ||
        !sameList(sortCertificateRefs(cas), sortCertificateRefs(olds.external.serverCaCertificates))
      ) {
        updates.push("external.serverCaCertificates");
      }
      const servers = ext.servers;
      if (
        containsUnknown(servers) ||
        !sameList(serversKey(servers as KeyServerSettings[]), serversKey(olds.external.servers))
      ) {
        updates.push("external.servers");
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
  }

  if (differs(news.profile, olds.profile)) updates.push("profile");
  if (differs(news.serverManagement, olds.serverManagement)) updates.push("serverManagement");
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
