/**
 * The `KeyServer` resource: one key server of an existing external key manager, managed on its own.
 *
 * @packageDocumentation
 */

import * as pulumi from "@pulumi/pulumi";
import * as lazyProvider from "./lazy/ks";
import type { KeyServerConnectivity } from "./model/keyServerModel";

export type { KeyServerConnectivity } from "./model/keyServerModel";

/** The arguments of a {@link KeyServer}. */
export interface KeyServerArgs {
  /**
   * UUID of the external key manager the server belongs to, e.g. a `KeyManager`'s `id`. That KeyManager must
   * have `serverManagement: "listed"`: an `authoritative` one removes every server it does not list. Changing
   * it replaces the KeyServer.
   */
  keyManager: pulumi.Input<string>;
  /**
   * `host[:port]`: an IPv4 address, a DNS name (case-insensitive) or a bracketed IPv6 address (`[fd00::1]:5696`).
   * The port defaults to 5696 (KMIP), so `host` and `host:5696` are the same server. Changing it replaces the
   * KeyServer (the new server is added before the old one is removed).
   */
  server: pulumi.Input<string>;
  /**
   * Seconds ONTAP waits for the server: 1-60 on every release; -1 (wait indefinitely) and 0 (do not wait) need
   * ONTAP 9.14 or later (on an older cluster the preview, or the create, fails naming the release before any
   * write). Default 25. Changing it is an in-place update (one PATCH); a non-default value at create is one
   * PATCH after the POST (ONTAP's POST takes the address only).
   */
  timeout?: pulumi.Input<number>;
  /** KMIP username. Default "" (none). Changing it is an in-place update (one PATCH). */
  username?: pulumi.Input<string>;
  /**
   * Secondary key servers of this primary (clustered KMIP; ONTAP 9.11.1 or later), `host[:port]` each, written
   * like `server` (port 5696 by default) and compared after the same normalisation. Order counts: when the
   * primary does not answer, ONTAP tries the secondaries in this order. At most 3; none may be the primary itself,
   * another primary of the key manager, or listed twice. Default none. Changing it is an in-place update (one
   * PATCH of this server with the whole list; removing them sends an empty list). At create it
   * rides on the PATCH after the POST. On an older cluster the preview (or the create) fails, naming the
   * release, before anything changes.
   */
  secondaryKeyServers?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Seconds ONTAP waits for the server in key create and remove operations: -1 (indefinitely) to 60, 0 does not
   * wait. ONTAP 9.14 or later (on an older cluster the preview, or the create, fails naming the release before
   * any write). Default: not managed, ONTAP keeps its own value and it is never compared (the reference documents
   * no default). Changing it is an in-place update (one PATCH); removing it stops managing it (no call).
   */
  createRemoveTimeout?: pulumi.Input<number>;
  /**
   * KMIP password; needs `username` (ONTAP 9.6 and later: the 9.6 PATCH reference documents it). Always stored as a secret, even when given as a plain string. ONTAP never shows it, so a password
   * changed outside Pulumi is not detected. ONTAP cannot clear a password, so removing it from the program
   * fails at preview (unless the KeyServer is being replaced); a new value changes it with one PATCH.
   */
  password?: pulumi.Input<string>;
  /**
   * Name of a connection profile in the stack config `ontap:profiles`; omitted means the stack's `ontap:*`
   * settings (or `ONTAP_*` environment variables). Changing it is an update that first reads the server through
   * the new profile (one GET): if that profile reaches another cluster, the update fails with "not found" and
   * the stack keeps the old profile. It never moves a server between clusters.
   */
  profile?: pulumi.Input<string>;
  /**
   * When the key manager already has this server, take it over and converge its settings to these arguments
   * instead of failing. Default false: a create reads the server first and, when it is there (listed by a
   * KeyManager, or added by someone else), fails before any write. Changing it alone changes nothing.
   */
  adopt?: pulumi.Input<boolean>;
}

/**
 * The dynamic provider object that {@link KeyServer} uses: the exports of `./lazy/ks`, so that Pulumi's closure
 * serializer stores it as a `require()` of that module (see there); its methods load the implementation at call time.
 */
export const keyServerProvider: pulumi.dynamic.ResourceProvider = lazyProvider;

/**
 * One key server of an existing external key manager, managed on its own (`/api/security/key-managers/{uuid}/
 * key-servers`). The resource id is `<key manager uuid>/<host:port>`.
 *
 * Use it with a `KeyManager` whose `serverManagement` is `"listed"`: that KeyManager manages only the servers
 * it lists and leaves KeyServers alone. The KeyManager's servers and its KeyServers together may number at most
 * 4. Several KeyServers of one key manager may be created, changed and deleted in parallel.
 *
 * `pulumi import` does not work for dynamic resources; take over an existing server with `adopt: true`, or look
 * one up read-only with {@link KeyServer.get}.
 */
export class KeyServer extends pulumi.dynamic.Resource {
  /** UUID of the key manager (lower case). */
  declare public readonly keyManager: pulumi.Output<string>;
  /** Canonical `host:port`. */
  declare public readonly server: pulumi.Output<string>;
  /** Seconds. */
  declare public readonly timeout: pulumi.Output<number>;
  /** KMIP username ("" for none). */
  declare public readonly username: pulumi.Output<string>;
  /** Secondary key servers, canonical `host:port`, in ONTAP's order; undefined when there are none. */
  declare public readonly secondaryKeyServers: pulumi.Output<string[] | undefined>;
  /** Seconds for key create and remove operations, as ONTAP holds it; undefined when not managed. */
  declare public readonly createRemoveTimeout: pulumi.Output<number | undefined>;
  /** The password last applied (a secret); undefined when none was set. */
  declare public readonly password: pulumi.Output<string | undefined>;
  /** Whether an existing server may be taken over. */
  declare public readonly adopt: pulumi.Output<boolean>;
  /** The connection profile used; undefined for the stack's `ontap:*` settings. */
  declare public readonly profile: pulumi.Output<string | undefined>;
  /**
   * The server's connectivity as ONTAP reported it at the last refresh (ONTAP 9.7 and later; undefined on 9.6
   * and before the first refresh, since creating and updating do not read it). Never causes a diff.
   */
  declare public readonly connectivity: pulumi.Output<KeyServerConnectivity | undefined>;

  /**
   * Looks up an existing key server without managing it.
   *
   * @param name - the Pulumi resource name.
   * @param id - `<key manager uuid>/<host:port>`.
   * @param state - optionally, the connection `profile` to read it through.
   * @param opts - resource options.
   */
  public static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    state?: { profile?: pulumi.Input<string> },
    opts?: pulumi.CustomResourceOptions,
  ): KeyServer {
    // With `id`, Pulumi reads the resource instead of creating it: key manager and server come from the id.
    return new KeyServer(name, { profile: state?.profile } as KeyServerArgs, { ...opts, id });
  }

  /**
   * @param name - the Pulumi resource name.
   * @param args - the key server's settings.
   * @param opts - resource options. `additionalSecretOutputs` always includes `password`.
   */
  constructor(name: string, args: KeyServerArgs, opts?: pulumi.CustomResourceOptions) {
    const { password } = args;
    super(
      keyServerProvider,
      name,
      {
        keyManager: args.keyManager,
        server: args.server,
        timeout: args.timeout,
        username: args.username,
        secondaryKeyServers: args.secondaryKeyServers,
        createRemoveTimeout: args.createRemoveTimeout,
        // Secret whatever the caller passed, so the engine keeps the password encrypted in state and hidden in diffs.
        password: password === undefined ? undefined : pulumi.secret(password),
        adopt: args.adopt,
        profile: args.profile,
        connectivity: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: [...new Set([...(opts?.additionalSecretOutputs ?? []), "password"])],
      },
      // Type token `pulumi-nodejs:dynamic/ontap:KeyServer`: readable in previews and distinct per resource.
      "ontap",
      "KeyServer",
    );
  }
}
