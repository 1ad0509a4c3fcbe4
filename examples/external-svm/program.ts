/**
 * An external (KMIP) key manager for one data SVM, whose key servers are managed one by one as `KeyServer`
 * resources: the key manager lists the primary server and owns only that one (`serverManagement: "listed"`);
 * each additional server is its own resource, with its own timeout and KMIP credentials.
 *
 * Stack config (namespace: the project's name):
 * - `svm`: the data SVM's name.
 * - `clientCertificate`, `serverCaCertificates` (JSON list): certificates installed in that SVM.
 * - `primaryServer`: the key server the key manager is created with, `"host[:port]"`.
 * - `keyServers`: JSON list of additional servers: `{"server": "host[:port]", "timeout"?: 1-60, "username"?: "..."}`.
 * - `keyServerPassword` (secret, optional): the KMIP password of the servers that have a `username`
 *   (ONTAP 9.6 and later).
 *
 * @packageDocumentation
 */
import * as pulumi from "@pulumi/pulumi";
import { KeyManager, KeyServer } from "pulumi-ontap-keymanager";

/** One additional key server, as written in the `keyServers` config. */
export interface KeyServerConfig {
  /** `host[:port]`. */
  server: string;
  /** Seconds, 1-60. */
  timeout?: number;
  /** KMIP username. */
  username?: string;
}

/** A resource name for a key server: its address with `:` and brackets spelled out, e.g. `kmip-10.0.0.2-5696`. */
function resourceNameOf(server: string): string {
  return `kmip-${server.replace(/[[\]]/g, "").replace(/:/g, "-")}`;
}

/** The program: declares the key manager and its key servers, and returns the stack outputs. */
export function program(): Promise<Record<string, pulumi.Output<unknown>>> {
  const config = new pulumi.Config();
  const password = config.getSecret("keyServerPassword");
  const keyManager = new KeyManager("key-manager", {
    svm: config.require("svm"),
    external: {
      clientCertificate: config.require("clientCertificate"),
      serverCaCertificates: config.requireObject<string[]>("serverCaCertificates"),
      servers: [config.require("primaryServer")],
    },
    // The KeyServer resources below manage the other servers: the key manager must leave them alone.
    serverManagement: "listed",
  });
  const keyServers = config.requireObject<KeyServerConfig[]>("keyServers").map(
    (s) =>
      new KeyServer(resourceNameOf(s.server), {
        keyManager: keyManager.id,
        server: s.server,
        timeout: s.timeout,
        username: s.username,
        password: s.username !== undefined ? password : undefined,
      }),
  );
  return Promise.resolve({
    keyManagerUuid: keyManager.id,
    svmUuid: keyManager.svmUuid,
    keyServers: pulumi.all(keyServers.map((k) => k.server)),
  });
}
