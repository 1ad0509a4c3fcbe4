/**
 * The `KeyManager` resource: one ONTAP encryption key manager (external KMIP or onboard) in one scope.
 *
 * @packageDocumentation
 */

import * as pulumi from "@pulumi/pulumi";
import * as lazyProvider from "./lazy/km";
import type { ServerManagement } from "./model/plan";
import type { KeyManagerStatus } from "./model/keyManagerModel";
import type { KeyServerConnectivity } from "./model/keyServerModel";

export type { KeyManagerStatus } from "./model/keyManagerModel";

/** A key server of an external key manager, with its per-server settings. */
export interface KeyManagerServerArgs {
  /**
   * `host[:port]`: an IPv4 address, a DNS name (case-insensitive) or a bracketed IPv6 address (`[fd00::1]:5696`).
   * The port defaults to 5696 (KMIP). Changing it removes the old server and adds the new one (an update).
   */
  server: pulumi.Input<string>;
  /**
   * Seconds ONTAP waits for the server: 1-60 on every release; -1 (wait indefinitely) and 0 (do not wait) need
   * ONTAP 9.14 or later (on an older cluster the preview fails, naming the release). Default 25. Changing it is
   * an in-place update (one PATCH).
   */
  timeout?: pulumi.Input<number>;
  /** KMIP username. Default "" (none). Changing it is an in-place update (one PATCH). */
  username?: pulumi.Input<string>;
  /**
   * Secondary key servers of this primary (clustered KMIP; ONTAP 9.11.1 or later), `host[:port]` each, written
   * like `server` (port 5696 by default) and compared after the same normalisation. Order counts: when the
   * primary does not answer, ONTAP tries the secondaries in this order. At most 3; none may be the primary itself,
   * another primary of the key manager, or listed twice. Default none. Changing it is an in-place update (one
   * PATCH of this server with the whole list; removing them sends an empty list). On an older cluster the
   * preview fails, naming the release, before anything changes.
   */
  secondaryKeyServers?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Seconds ONTAP waits for the server in key create and remove operations: -1 (indefinitely) to 60, 0 does not
   * wait. ONTAP 9.14 or later (on an older cluster the preview fails naming the release before
   * any write). Default: not managed, ONTAP keeps its own value and it is never compared (the reference documents
   * no default). Changing it is an in-place update (one PATCH); removing it stops managing it (no call).
   */
  createRemoveTimeout?: pulumi.Input<number>;
}

/** External (KMIP) key management settings. */
export interface KeyManagerExternalArgs {
  /**
   * The client certificate ONTAP presents to the key servers: its UUID or its name, looked up in the key
   * manager's scope. It must already be installed on the cluster. Changing it is an in-place update; ONTAP only
   * accepts a certificate with the same key pair (65536850).
   */
  clientCertificate: pulumi.Input<string>;
  /**
   * The CA certificates that verify the key servers: UUIDs or names in the key manager's scope. Order does not
   * matter; at least one. Changing the set is an in-place update (one PATCH).
   */
  serverCaCertificates: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * 1 to 4 key servers, as `host[:port]` strings or objects with per-server settings. Order does not matter;
   * `10.0.0.1` and `10.0.0.1:5696` are the same server. Adding or removing servers is an in-place update.
   */
  servers: pulumi.Input<pulumi.Input<string | KeyManagerServerArgs>[]>;
}

/** Onboard key management settings. */
export interface KeyManagerOnboardArgs {
  /**
   * The passphrase that wraps the onboard keys: 32 to 256 printable ASCII characters. Always stored as a secret,
   * even when given as a plain string. Changing it rotates the passphrase in place (one PATCH that sends the
   * previous passphrase from state and the new one).
   */
  passphrase: pulumi.Input<string>;
  /**
   * The passphrase ONTAP holds now, when it is not the one in state: the escape hatch after a rotation whose
   * answers were lost twice, which every later rotation reports as 65536139 ("the existing passphrase does not
   * match"). Used only when given: the next rotation sends it as the existing passphrase (if it already is
   * `passphrase`, nothing is sent; the state just records it). ONTAP cannot check it without a write, so it is
   * trusted as given. Secret, like `passphrase`; 32-256 printable ASCII characters. Giving, changing or removing it
   * is an in-place update; leaving it in the program changes nothing. Optional; any ONTAP release.
   */
  currentPassphrase?: pulumi.Input<string>;
}

/** The arguments of a {@link KeyManager}. Exactly one of `external` and `onboard` must be given. */
export interface KeyManagerArgs {
  /**
   * Name of the data SVM that owns the key manager. Omit for the cluster (admin SVM) scope. Naming another SVM
   * replaces the key manager (the old one is deleted first: ONTAP allows one per scope), after the provider has
   * proven, with read-only calls during diff, that the new one can be created. An SVM is its UUID: after a rename
   * outside Pulumi, the new name is an update without any call, and the old name is an error that asks for it.
   */
  svm?: pulumi.Input<string>;
  /**
   * External (KMIP) key management. Switching between external and onboard at cluster scope is an in-place
   * update on ONTAP 9.16.1 and later (the new configuration is created inactive, enabled, then the old one
   * deleted; no key is lost); on earlier releases, or together with a change of `svm`, it replaces the key
   * manager (delete first).
   */
  external?: pulumi.Input<KeyManagerExternalArgs>;
  /**
   * Onboard key management; cluster scope only. Switching between onboard and external is an in-place update on
   * ONTAP 9.16.1 and later, a replacement (delete first) before (see `external`).
   */
  onboard?: pulumi.Input<KeyManagerOnboardArgs>;
  /**
   * When the scope already has a key manager, take it over and converge it to these arguments instead of
   * failing. For an adopted onboard key manager the given passphrase is taken as the current one (ONTAP cannot
   * verify a passphrase without changing it). Default false. Changing it alone changes nothing.
   */
  adopt?: pulumi.Input<boolean>;
  /**
   * Name of a connection profile in the stack config `ontap:profiles`; omitted means the stack's `ontap:*`
   * settings (or `ONTAP_*` environment variables). Changing it is an update that proves it reaches the same key
   * manager: one GET by UUID through the new profile, and "not found" fails it with the state unchanged. It never
   * moves a key manager between clusters (use `pulumi up --replace`).
   */
  profile?: pulumi.Input<string>;
  /**
   * Which key servers this resource owns. `authoritative` (default): the `servers` list is the whole truth, and
   * any other server found on ONTAP is drift that the next `up` removes (a rogue key server is a security event).
   * `listed`: only the servers listed here are managed; servers added by {@link KeyServer} resources or by hand
   * are left alone and not reported. Use `listed` when KeyServer resources manage servers of this key manager.
   */
  serverManagement?: pulumi.Input<ServerManagement>;
}

/** A key server's settings as they appear in outputs, under its canonical `host:port`. */
export interface KeyManagerServerOutput {
  /** Seconds. */
  timeout: number;
  /** KMIP username ("" for none). */
  username: string;
  /** Secondary key servers, canonical `host:port`, in ONTAP's order; undefined when there are none. */
  secondaryKeyServers?: string[];
  /** Seconds for key create and remove operations, when the program sets it (not refreshed: see the README). */
  createRemoveTimeout?: number;
}

/**
 * External key management as it appears in outputs. Servers and CA certificates are maps, so that a preview or
 * refresh shows a server or certificate added or removed as one `+`/`-` entry (the engine diffs lists by
 * position). A stack created by 0.1 keeps that release's lists (`servers` and `serverCaCertificates` as sorted
 * lists, `serverCaCertificateUuids` parallel to the latter) until its next update.
 */
export interface KeyManagerExternalOutput {
  /** The client certificate as written in the program (UUID lower-cased), or its UUID after drift. */
  clientCertificate: string;
  /** The UUID ONTAP uses. */
  clientCertificateUuid: string;
  /**
   * The server CA certificates as written in the program (UUIDs lower-cased), each mapped to the UUID ONTAP
   * uses; a certificate ONTAP uses that no spelling in the program resolved to (swapped out of band) is keyed
   * by its UUID.
   */
  serverCaCertificates: Record<string, string>;
  /** The key servers, keyed by canonical `host:port`, every setting explicit. */
  servers: Record<string, KeyManagerServerOutput>;
}

/** Onboard key management as it appears in outputs (a secret as a whole). */
export interface KeyManagerOnboardOutput {
  /** Whether ONTAP reports onboard key management as enabled. */
  enabled: boolean;
  /** The passphrase last applied. Secret. */
  passphrase?: string;
  /** `currentPassphrase` as last given. Secret. */
  currentPassphrase?: string;
  /** The key hierarchy backup text, on releases that return it. Secret. */
  keyBackup?: string;
}

/**
 * The dynamic provider object that {@link KeyManager} uses: the exports of `./lazy/km`, so that Pulumi's closure
 * serializer stores it as a `require()` of that module (see there); its methods load the implementation at call time.
 */
export const keyManagerProvider: pulumi.dynamic.ResourceProvider = lazyProvider;

/**
 * An ONTAP encryption key manager: external (KMIP key servers) or onboard (passphrase), at cluster scope or for
 * one data SVM. The resource id is the key manager's UUID.
 *
 * `pulumi import` does not work for dynamic resources; take over an existing key manager with `adopt: true`, or
 * look one up read-only with {@link KeyManager.get}.
 */
export class KeyManager extends pulumi.dynamic.Resource {
  /**
   * ONTAP's UUID of the key manager (also the resource id; after an in-place switch between onboard and external,
   * the id catches up with this UUID at the next refresh).
   */
  declare public readonly uuid: pulumi.Output<string>;
  /** `cluster` or `svm`. */
  declare public readonly scope: pulumi.Output<"cluster" | "svm">;
  /** The SVM name; undefined at cluster scope. */
  declare public readonly svm: pulumi.Output<string | undefined>;
  /** The SVM UUID; undefined at cluster scope. */
  declare public readonly svmUuid: pulumi.Output<string | undefined>;
  /** External key management, normalised; undefined in onboard mode. */
  declare public readonly external: pulumi.Output<KeyManagerExternalOutput | undefined>;
  /** Onboard key management (a secret: it holds the passphrase); undefined in external mode. */
  declare public readonly onboard: pulumi.Output<KeyManagerOnboardOutput | undefined>;
  /** Whether an existing key manager may be taken over. */
  declare public readonly adopt: pulumi.Output<boolean>;
  /** The connection profile used; undefined for the stack's `ontap:*` settings. */
  declare public readonly profile: pulumi.Output<string | undefined>;
  /** Which key servers this resource owns. */
  declare public readonly serverManagement: pulumi.Output<ServerManagement>;
  /**
   * Set only while a create is pending: its ONTAP job outlasted `ontap:jobTimeout` before the key manager appeared.
   * The job's UUID, which is then also the resource id until the next `up` or refresh resolves it (read `uuid`).
   */
  declare public readonly createJob: pulumi.Output<string | undefined>;
  /**
   * ONTAP's `status {code, message}` of the key manager (ONTAP 9.7 and later; undefined on 9.6): whether it is fully
   * set up or needs action. Filled in by create, refreshed by `pulumi refresh`; never causes a diff.
   */
  declare public readonly status: pulumi.Output<KeyManagerStatus | undefined>;
  /**
   * External key managers, ONTAP 9.7 and later: per key server (`host:port`), whether the cluster's nodes reach it
   * (`clusterAvailability`, `nodeStates`). Filled in by create, refreshed by `pulumi refresh`; never causes a diff.
   */
  declare public readonly connectivity: pulumi.Output<Record<string, KeyServerConnectivity> | undefined>;
  /**
   * Onboard key managers, ONTAP 9.11 and later: the nodes that miss some of the onboard keys (found by refresh), `[]`
   * when every node has them; undefined on earlier releases and for external key managers. Not empty, the next
   * `pulumi up` synchronises the keys with one PATCH (`security key-manager onboard sync`).
   */
  declare public readonly keysMissingOnNodes: pulumi.Output<string[] | undefined>;
  /**
   * The name of the active configuration this key manager is (ONTAP 9.16 and later, where a scope may hold
   * inactive configurations too); undefined before 9.16.
   */
  declare public readonly configuration: pulumi.Output<string | undefined>;
  /**
   * UUIDs of configurations this resource created or replaced while switching between onboard and external
   * (ONTAP 9.16.1+) that are still on the cluster, inactive, because a step failed: the next `up` deletes them.
   * Undefined when there are none.
   */
  declare public readonly leftoverConfigurations: pulumi.Output<string[] | undefined>;
  /**
   * Inactive configurations of the scope that this stack did not create (ONTAP 9.16+), as the last refresh saw
   * them: reported, never adopted or deleted. Undefined when there are none.
   */
  declare public readonly inactiveConfigurations: pulumi.Output<
    { uuid: string; name?: string; mode: "external" | "onboard" }[] | undefined
  >;

  /**
   * Looks up an existing key manager by UUID without managing it.
   *
   * @param name - the Pulumi resource name.
   * @param id - the key manager's UUID.
   * @param state - optionally, the connection `profile` to read it through.
   * @param opts - resource options.
   */
  public static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    state?: { profile?: pulumi.Input<string> },
    opts?: pulumi.CustomResourceOptions,
  ): KeyManager {
    return new KeyManager(name, { profile: state?.profile }, { ...opts, id });
  }

  /**
   * @param name - the Pulumi resource name.
   * @param args - the key manager's settings.
   * @param opts - resource options. `additionalSecretOutputs` always includes `onboard`.
   */
  constructor(name: string, args: KeyManagerArgs, opts?: pulumi.CustomResourceOptions) {
    const { onboard } = args;
    super(
      keyManagerProvider,
      name,
      {
        uuid: undefined,
        scope: undefined,
        svmUuid: undefined,
        svm: args.svm,
        external: args.external,
        // Secret whatever the caller passed, so the engine keeps the passphrase encrypted in state and hidden in diffs.
        onboard: onboard === undefined ? undefined : pulumi.secret(onboard),
        adopt: args.adopt,
        profile: args.profile,
        serverManagement: args.serverManagement,
        createJob: undefined,
        status: undefined,
        connectivity: undefined,
        keysMissingOnNodes: undefined,
        configuration: undefined,
        leftoverConfigurations: undefined,
        inactiveConfigurations: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: [...new Set([...(opts?.additionalSecretOutputs ?? []), "onboard"])],
      },
      // Type token `pulumi-nodejs:dynamic/ontap:KeyManager`: readable in previews and distinct per resource.
      "ontap",
      "KeyManager",
    );
  }
}
