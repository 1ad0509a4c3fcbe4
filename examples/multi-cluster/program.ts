/**
 * External key managers on several clusters from one program. Each cluster is a named connection profile in
 * the secret stack config `ontap:profiles`; each key manager says which profile reaches its cluster.
 *
 * Stack config:
 * - `ontap:profiles` (secret): `{"<profile>": {"host": "...", "username": "...", "password": "...", "caCert": "..."}}`.
 * - `clusters` (namespace: the project's name): JSON object, profile name → key manager settings:
 *   `{"clientCertificate": "...", "serverCaCertificates": ["..."], "servers": ["host[:port]", ...], "svm"?: "..."}`.
 *
 * @packageDocumentation
 */
import * as pulumi from "@pulumi/pulumi";
import { KeyManager, type KeyManagerServerArgs } from "pulumi-ontap-keymanager";

/** The key manager of one cluster, as written in the `clusters` config. */
export interface ClusterKeyManagerConfig {
  /** A data SVM's name; unset means the cluster scope. */
  svm?: string;
  /** Name or UUID of the client certificate installed in that scope. */
  clientCertificate: string;
  /** Names or UUIDs of the server CA certificates. */
  serverCaCertificates: string[];
  /** 1 to 4 key servers. */
  servers: (string | KeyManagerServerArgs)[];
}

/** The program: one key manager per profile; the outputs map each profile to its key manager's UUID. */
export function program(): Promise<Record<string, pulumi.Output<unknown>>> {
  const config = new pulumi.Config();
  const clusters = config.requireObject<Record<string, ClusterKeyManagerConfig>>("clusters");
  const keyManagers = Object.entries(clusters).map(
    ([profile, c]) =>
      [
        profile,
        new KeyManager(`key-manager-${profile}`, {
          profile,
          svm: c.svm,
          external: {
            clientCertificate: c.clientCertificate,
            serverCaCertificates: c.serverCaCertificates,
            servers: c.servers,
          },
        }),
      ] as const,
  );
  return Promise.resolve({
    keyManagerUuids: pulumi.all(Object.fromEntries(keyManagers.map(([profile, km]) => [profile, km.id]))),
  });
}
