/**
 * Update planning: from "what ONTAP has" and "what the program wants" to the smallest ordered list of ONTAP
 * calls, without doing any of them.
 *
 * Steps never carry a passphrase or password (plans may be logged); the glue takes secrets from the inputs when
 * it executes `rotatePassphrase` or a create request, which necessarily does carry the onboard passphrase.
 *
 * Server list invariants, which the order of steps guarantees:
 * - the key manager never has more than {@link MAX_KEY_SERVERS} servers (ONTAP refuses the 5th, 65536038);
 * - it never drops to 0 servers (a key manager without a reachable server cannot serve keys);
 * - new servers are added before old ones are removed whenever the limit allows, because ONTAP refuses to
 *   remove a server that holds keys no other configured server has (65536700).
 *
 * Within those rules the plan is minimal: one DELETE per removed server, one batch POST for the additions
 * (two only when all 4 desired servers are new and the key manager must keep one old server meanwhile), one
 * PATCH per server whose settings change, one PATCH for both certificate changes.
 *
 * @packageDocumentation
 */

import type { KeyManagerCreateRequest } from "../../ontap/keyManagers";
import type { KeyServerPatch } from "../../ontap/keyServers";
import {
  DEFAULT_SERVER_TIMEOUT,
  DEFAULT_SERVER_USERNAME,
  MAX_KEY_SERVERS,
  compareServerAddresses,
  hasDefaultServerSettings,
  sameSecondaries,
  secondariesOf,
  type KeyServerSettings,
} from "./servers";

/**
 * Which servers a `KeyManager` owns.
 * - `authoritative` (default): exactly the listed servers; any other server found on ONTAP is drift and is
 *   removed by the next update.
 * - `listed`: only the listed servers; others (e.g. managed by `KeyServer` resources) are left alone, are not
 *   reported by refresh, and still count towards ONTAP's limit of 4.
 */
export type ServerManagement = "authoritative" | "listed";

/** External key management as ONTAP holds it (or should hold it), with certificates as UUIDs. */
export interface ExternalState {
  /** UUID of the client certificate. */
  readonly clientCertificateUuid: string;
  /** UUIDs of the server CA certificates, in any order. */
  readonly serverCaCertificateUuids: readonly string[];
  /** Key servers with all settings explicit. */
  readonly servers: readonly KeyServerSettings[];
}

/** The current state of a key manager: what ONTAP reports, plus the passphrase recorded in the previous state. */
export interface KeyManagerState {
  /** Present for external key management. */
  readonly external?: ExternalState;
  /** Present for onboard key management. */
  readonly onboard?: {
    /** The passphrase last applied; undefined when not known (adopted or imported key manager). */
    readonly passphrase?: string;
  };
}

/** The state the program asks for, certificate references already resolved to UUIDs. */
export interface DesiredKeyManagerState {
  /** SVM name; undefined for cluster scope. Only used when creating. */
  readonly svm?: string;
  /** Present for external key management. */
  readonly external?: ExternalState;
  /** Present for onboard key management. */
  readonly onboard?: {
    /** The passphrase the key manager must have. */
    readonly passphrase: string;
  };
}

/**
 * A server to add: its address only. A POST of key servers does not carry `timeout`/`username`; a
 * `patchServer` step follows for non-default settings.
 */
export interface ServerToAdd {
  /** Canonical `host:port`. */
  readonly server: string;
}

/** Replace the client certificate and/or the server CA certificates: one PATCH of the key manager. */
export interface PatchCertificatesStep {
  /** Discriminant. */
  readonly kind: "patchCertificates";
  /** New client certificate UUID; absent when unchanged. */
  readonly clientCertificateUuid?: string;
  /** New complete list of server CA certificate UUIDs (sorted); absent when unchanged. */
  readonly serverCaCertificateUuids?: readonly string[];
}

/** Add servers with one batch POST to the key-servers collection. */
export interface AddServersStep {
  /** Discriminant. */
  readonly kind: "addServers";
  /** Servers to add, sorted; 1 to 4 of them. */
  readonly servers: readonly ServerToAdd[];
}

/** Remove one server: one DELETE. */
export interface RemoveServerStep {
  /** Discriminant. */
  readonly kind: "removeServer";
  /** Canonical `host:port`. */
  readonly server: string;
}

/** Change a server's settings: one PATCH carrying only the changed fields. */
export interface PatchServerStep {
  /** Discriminant. */
  readonly kind: "patchServer";
  /** Canonical `host:port`. */
  readonly server: string;
  /** New timeout; absent when unchanged. */
  readonly timeout?: number;
  /** New username; absent when unchanged. */
  readonly username?: string;
  /** New complete list of secondary key servers, in order (`[]` removes them); absent when unchanged. */
  readonly secondaryKeyServers?: readonly string[];
  /** New create/remove timeout; absent when unchanged or not managed. */
  readonly createRemoveTimeout?: number;
}

/** Rotate the onboard passphrase (PATCH with existing and new passphrase, taken from old and new inputs). */
export interface RotatePassphraseStep {
  /** Discriminant. */
  readonly kind: "rotatePassphrase";
}

/** One ONTAP call of an update plan. */
export type KeyManagerPlanStep =
  PatchCertificatesStep | AddServersStep | RemoveServerStep | PatchServerStep | RotatePassphraseStep;

/** Options for {@link planKeyManagerUpdate} and {@link planKeyManagerCreate}. */
export interface PlanOptions {
  /** Which servers the key manager owns; default `authoritative`. */
  readonly serverManagement?: ServerManagement;
  /**
   * With `listed`: the servers the key manager listed before this update (previous outputs). A server on ONTAP
   * is removed only if it was listed before and is not listed now; servers never listed are left alone.
   */
  readonly previouslyManaged?: readonly string[];
}

/** Why a plan cannot be made. */
export type KeyManagerPlanErrorCode = "modeChange" | "tooManyServers" | "noServers";

/** A desired state that no sequence of updates can reach; the message names the fix. */
export class KeyManagerPlanError extends Error {
  /** Machine-readable reason. */
  readonly code: KeyManagerPlanErrorCode;

  /**
   * @param code - why the plan cannot be made.
   * @param message - what to do about it.
   */
  constructor(code: KeyManagerPlanErrorCode, message: string) {
    super(message);
    this.name = "KeyManagerPlanError";
    this.code = code;
  }
}

/** A key manager create: the POST (with return_records=true), then PATCHes of servers with non-default settings. */
export interface KeyManagerCreatePlan {
  /** The POST. */
  readonly request: KeyManagerCreateRequest;
  /** Steps to run after the POST succeeded, in order. */
  readonly followUp: readonly PatchServerStep[];
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort(compareServerAddresses);
}

function toAdd(server: KeyServerSettings): ServerToAdd {
  return { server: server.server };
}

function settingsPatch(
  server: KeyServerSettings,
  from: Pick<KeyServerSettings, "timeout" | "username" | "secondaryKeyServers" | "createRemoveTimeout">,
): PatchServerStep | undefined {
  const timeoutChanged = server.timeout !== from.timeout;
  const usernameChanged = server.username !== from.username;
  const secondariesChanged = !sameSecondaries(server.secondaryKeyServers, from.secondaryKeyServers);
  const crtChanged = createRemoveTimeoutChanged(server, from);
  if (!timeoutChanged && !usernameChanged && !secondariesChanged && !crtChanged) return undefined;
  return {
    kind: "patchServer",
    server: server.server,
    ...(timeoutChanged ? { timeout: server.timeout } : {}),
    ...(usernameChanged ? { username: server.username } : {}),
    ...(secondariesChanged ? { secondaryKeyServers: [...secondariesOf(server)] } : {}),
    ...(crtChanged ? { createRemoveTimeout: server.createRemoveTimeout } : {}),
  };
}

/** A managed create/remove timeout that differs from what ONTAP holds (unmanaged ones are never sent). */
function createRemoveTimeoutChanged(
  desired: Pick<KeyServerSettings, "createRemoveTimeout">,
  current: Pick<KeyServerSettings, "createRemoveTimeout">,
): boolean {
  return (
    desired.createRemoveTimeout !== undefined && desired.createRemoveTimeout !== current.createRemoveTimeout
  );
}

/** The key-server PATCH of a `patchServer` step (what `updateKeyServer` sends). */
export function serverPatchOf(step: PatchServerStep): KeyServerPatch {
  return {
    ...(step.timeout !== undefined ? { timeout: step.timeout } : {}),
    ...(step.username !== undefined ? { username: step.username } : {}),
    ...(step.secondaryKeyServers !== undefined ? { secondaryKeyServers: step.secondaryKeyServers } : {}),
    ...(step.createRemoveTimeout !== undefined ? { createRemoveTimeout: step.createRemoveTimeout } : {}),
  };
}

/** PATCHes that give freshly posted servers their non-default settings (a POST carries the address only). */
function followUpPatches(added: readonly KeyServerSettings[]): PatchServerStep[] {
  return added
    .filter((s) => !hasDefaultServerSettings(s))
    .map((s) => settingsPatch(s, { timeout: DEFAULT_SERVER_TIMEOUT, username: DEFAULT_SERVER_USERNAME })!);
}

/**
 * The server part of an update: adds, removes and per-server PATCHes, ordered to respect the invariants in the
 * module documentation. `current` is what ONTAP has, `desired` what the program lists (1 to 4, unique).
 *
 * @throws KeyManagerPlanError `noServers` when `desired` is empty; `tooManyServers` when the servers kept
 * (including, with `listed`, servers the key manager does not own) plus the desired ones exceed 4.
 */
export function planServerChanges(
  current: readonly KeyServerSettings[],
  desired: readonly KeyServerSettings[],
  options: PlanOptions = {},
): KeyManagerPlanStep[] {
  if (desired.length === 0) {
    throw new KeyManagerPlanError("noServers", "external key management needs at least one key server");
  }
  const currentByServer = new Map(current.map((s) => [s.server, s]));
  const desiredByServer = new Map(desired.map((s) => [s.server, s]));
  const owned =
    (options.serverManagement ?? "authoritative") === "listed"
      ? new Set(options.previouslyManaged ?? [])
      : undefined;

  const removeQueue = sortedUnique(
    current
      .map((s) => s.server)
      .filter((s) => !desiredByServer.has(s) && (owned === undefined || owned.has(s))),
  );
  const added = [...desiredByServer.values()]
    .filter((s) => !currentByServer.has(s.server))
    .sort((a, b) => compareServerAddresses(a.server, b.server));
  const kept = currentByServer.size - removeQueue.length;
  if (kept + added.length > MAX_KEY_SERVERS) {
    const foreign = kept - (desiredByServer.size - added.length);
    throw new KeyManagerPlanError(
      "tooManyServers",
      `the key manager would have ${kept + added.length} key servers, ONTAP allows at most ${MAX_KEY_SERVERS}` +
        (foreign > 0
          ? `: ${foreign} server(s) on ONTAP are not managed by this KeyManager (serverManagement "listed"); ` +
            `remove them (or their KeyServer resources) first, or list fewer servers`
          : ""),
    );
  }

  const steps: KeyManagerPlanStep[] = [];
  for (const server of [...desiredByServer.values()].sort((a, b) =>
    compareServerAddresses(a.server, b.server),
  )) {
    const existing = currentByServer.get(server.server);
    const patch = existing && settingsPatch(server, existing);
    if (patch) steps.push(patch);
  }

  let count = currentByServer.size;
  const addQueue = [...added];
  const remove = (n: number): void => {
    for (const server of removeQueue.splice(0, n)) steps.push({ kind: "removeServer", server });
    count -= n;
  };
  const add = (batch: readonly KeyServerSettings[]): void => {
    steps.push({ kind: "addServers", servers: batch.map(toAdd) });
    count += batch.length;
  };
  while (addQueue.length > 0) {
    const room = MAX_KEY_SERVERS - count;
    if (room >= addQueue.length) {
      add(addQueue.splice(0));
      break;
    }
    const need = addQueue.length - room;
    // Keep at least one server while making room.
    const removable = Math.max(0, Math.min(removeQueue.length, count - 1));
    if (removable >= need) {
      remove(need);
      add(addQueue.splice(0));
      break;
    }
    remove(removable);
    const batch = addQueue.splice(0, MAX_KEY_SERVERS - count);
    if (batch.length === 0) {
      // Unreachable when the final count fits (checked above); guards against an endless loop.
      throw new KeyManagerPlanError(
        "tooManyServers",
        "no order of changes keeps the key manager within 4 servers",
      );
    }
    add(batch);
  }
  remove(removeQueue.length);
  steps.push(...followUpPatches(added));
  return steps;
}

/**
 * The ordered steps that turn `current` into `desired`: a certificate PATCH first (new servers may only be
 * reachable with the new CA), then per-server PATCHes of kept servers, adds and removes, PATCHes of added
 * servers; or a passphrase rotation for onboard key management. An empty list means nothing to do on ONTAP.
 *
 * A passphrase is rotated only when the current one is known; an adopted or imported onboard key manager just
 * records the program's passphrase (ONTAP has no way to check it without rotating).
 *
 * @throws KeyManagerPlanError `modeChange` when current and desired are not the same mode (diff replaces the
 * resource in that case, so an update never sees it), or as {@link planServerChanges}.
 */
export function planKeyManagerUpdate(
  current: KeyManagerState,
  desired: DesiredKeyManagerState,
  options: PlanOptions = {},
): KeyManagerPlanStep[] {
  if (desired.onboard) {
    if (!current.onboard) throw modeChange("external", "onboard");
    const known = current.onboard.passphrase;
    return known !== undefined && known !== desired.onboard.passphrase ? [{ kind: "rotatePassphrase" }] : [];
  }
  if (!desired.external) return [];
  if (!current.external) throw modeChange("onboard", "external");

  const steps: KeyManagerPlanStep[] = [];
  const client = desired.external.clientCertificateUuid;
  const cas = sortedUnique(desired.external.serverCaCertificateUuids);
  const clientChanged = client !== current.external.clientCertificateUuid;
  const casChanged = cas.join("\n") !== sortedUnique(current.external.serverCaCertificateUuids).join("\n");
  if (clientChanged || casChanged) {
    steps.push({
      kind: "patchCertificates",
      ...(clientChanged ? { clientCertificateUuid: client } : {}),
      ...(casChanged ? { serverCaCertificateUuids: cas } : {}),
    });
  }
  steps.push(...planServerChanges(current.external.servers, desired.external.servers, options));
  return steps;
}

function modeChange(from: string, to: string): KeyManagerPlanError {
  return new KeyManagerPlanError(
    "modeChange",
    `switching a key manager from ${from} to ${to} key management needs a replacement (delete, then create)`,
  );
}

/**
 * A key manager create: the POST request and the follow-up PATCHes for servers with non-default settings.
 */
export function planKeyManagerCreate(desired: DesiredKeyManagerState): KeyManagerCreatePlan {
  const svm = desired.svm !== undefined ? { svm: { name: desired.svm } } : {};
  if (desired.onboard) {
    return { request: { ...svm, onboard: { passphrase: desired.onboard.passphrase } }, followUp: [] };
  }
  if (!desired.external)
    throw new KeyManagerPlanError("noServers", "a key manager needs external or onboard");
  const servers = [...new Map(desired.external.servers.map((s) => [s.server, s])).values()].sort((a, b) =>
    compareServerAddresses(a.server, b.server),
  );
  if (servers.length === 0) {
    throw new KeyManagerPlanError("noServers", "external key management needs at least one key server");
  }
  if (servers.length > MAX_KEY_SERVERS) {
    throw new KeyManagerPlanError("tooManyServers", `ONTAP allows at most ${MAX_KEY_SERVERS} key servers`);
  }
  return {
    request: {
      ...svm,
      external: {
        clientCertificate: { uuid: desired.external.clientCertificateUuid },
        serverCaCertificates: sortedUnique(desired.external.serverCaCertificateUuids).map((uuid) => ({
          uuid,
        })),
        servers: servers.map(toAdd),
      },
    },
    followUp: followUpPatches(servers),
  };
}

/**
 * The POST of one key server: its address only. The 9.6 reference lists `server`, `records` and `password`
 * for this body, and later releases accept `timeout`/`username` on PATCH only.
 */
export interface KeyServerCreateRequest {
  /** Canonical `host:port`. */
  readonly server: string;
}

/** A key server create: the POST of its address, then one PATCH of whatever is not ONTAP's default. */
export interface KeyServerCreatePlan {
  /** The POST. */
  readonly request: KeyServerCreateRequest;
  /** The follow-up PATCH (non-default `timeout`/`username`, the password), if any. */
  readonly patch?: KeyServerPatch;
}

/** Plans a key server create from its normalised inputs. */
export function planKeyServerCreate(
  desired: KeyServerSettings & { readonly password?: string },
): KeyServerCreatePlan {
  const request: KeyServerCreateRequest = { server: desired.server };
  const patch = planKeyServerUpdate(
    { timeout: DEFAULT_SERVER_TIMEOUT, username: DEFAULT_SERVER_USERNAME },
    desired,
    undefined,
  );
  return patch ? { request, patch } : { request };
}

/**
 * The PATCH that brings a key server from `current` (ONTAP's timeout, username and secondary servers) to
 * `desired`; `undefined` when nothing changes. The password is sent when it differs from `previousPassword`
 * (ONTAP never returns it); a removed password is not sent (ONTAP cannot unset it). Secondary servers are sent
 * as the whole list, in order, when it differs in any way (`[]` to remove them).
 */
export function planKeyServerUpdate(
  current: Pick<KeyServerSettings, "timeout" | "username" | "secondaryKeyServers" | "createRemoveTimeout">,
  desired: Pick<KeyServerSettings, "timeout" | "username" | "secondaryKeyServers" | "createRemoveTimeout"> & {
    readonly password?: string;
  },
  previousPassword: string | undefined,
): KeyServerPatch | undefined {
  const patch: KeyServerPatch = {
    ...(desired.timeout !== current.timeout ? { timeout: desired.timeout } : {}),
    ...(desired.username !== current.username ? { username: desired.username } : {}),
    ...(!sameSecondaries(desired.secondaryKeyServers, current.secondaryKeyServers)
      ? { secondaryKeyServers: [...secondariesOf(desired)] }
      : {}),
    ...(createRemoveTimeoutChanged(desired, current)
      ? { createRemoveTimeout: desired.createRemoveTimeout }
      : {}),
    ...(desired.password !== undefined && desired.password !== previousPassword
      ? { password: desired.password }
      : {}),
  };
  return Object.keys(patch).length > 0 ? patch : undefined;
}
