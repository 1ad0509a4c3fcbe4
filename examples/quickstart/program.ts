/**
 * The quickstart: one external (KMIP) key manager, for the whole cluster or for one data SVM.
 *
 * Stack config (namespace: the project's name):
 * - `clientCertificate`: name or UUID of the client certificate installed in that scope.
 * - `serverCaCertificates`: JSON list of the CA certificates that sign the key servers' certificates.
 * - `servers`: JSON list of key servers, `"host[:port]"` strings or `{"server", "timeout", "username"}` objects.
 * - `svm` (optional): a data SVM's name; unset means the cluster scope.
 * - `protect` (optional, default false): Pulumi's `protect` option. Set it to true once the key manager protects
 *   data: any plan that would delete it (destroy, removal, a replacement such as another `svm`) then fails before
 *   anything is deleted. The default is false only so that the example (and its tests) can be torn down.
 *
 * @packageDocumentation
 */
import * as pulumi from "@pulumi/pulumi";
import { KeyManager, type KeyManagerServerArgs } from "pulumi-ontap-keymanager";

/**
 * The addresses of the servers in a KeyManager's outputs: keyed by canonical address; a stack created by 0.1 of
 * the package keeps that release's sorted list of `{server, ...}` until its next update.
 */
function serverAddresses(servers: unknown): string[] {
  if (Array.isArray(servers)) return servers.map((s: { server: string }) => s.server);
  return Object.keys(servers ?? {});
}

/** The program: declares the key manager and returns the stack outputs. */
export function program(): Promise<Record<string, pulumi.Output<unknown>>> {
  const config = new pulumi.Config();
  const keyManager = new KeyManager(
    "key-manager",
    {
      svm: config.get("svm"),
      external: {
        clientCertificate: config.require("clientCertificate"),
        serverCaCertificates: config.requireObject<string[]>("serverCaCertificates"),
        servers: config.requireObject<(string | KeyManagerServerArgs)[]>("servers"),
      },
    },
    // A key manager that encrypted volumes depend on must not be deletable by accident: `protect: true`.
    { protect: config.getBoolean("protect") ?? false },
  );
  return Promise.resolve({
    keyManagerUuid: keyManager.id,
    scope: keyManager.scope,
    keyServers: keyManager.external.apply((external) => serverAddresses(external?.servers)),
  });
}
