/**
 * The certificates an external key manager needs, as code: the KMIP client certificate (with its private key)
 * and the key server's CA certificate are `Certificate` resources in the SVM, and the key manager refers to
 * them by UUID. Renewing the client certificate is a config change: Pulumi installs the renewed certificate
 * under a new automatic name, points the key manager at it (one PATCH; ONTAP accepts it because the key pair
 * is the same), then deletes the old one.
 *
 * Stack config (namespace: the project's name):
 * - `svm`: the data SVM's name.
 * - `clientCertificate`: PEM of the KMIP client certificate; `clientKey` (secret): its private key, PEM.
 * - `caCertificate`: PEM of the CA that signed the key server's certificate.
 * - `server`: the key server, `"host[:port]"`.
 *
 * @packageDocumentation
 */
import * as pulumi from "@pulumi/pulumi";
import { Certificate, KeyManager } from "pulumi-ontap-keymanager";

/** The program: declares the two certificates and the key manager, and returns the stack outputs. */
export function program(): Promise<Record<string, pulumi.Output<unknown>>> {
  const config = new pulumi.Config();
  const svm = config.require("svm");
  const client = new Certificate("kmip-client", {
    svm,
    type: "client",
    certificate: config.require("clientCertificate"),
    privateKey: config.requireSecret("clientKey"),
  });
  const ca = new Certificate("kmip-ca", {
    svm,
    type: "server_ca",
    certificate: config.require("caCertificate"),
  });
  const keyManager = new KeyManager("key-manager", {
    svm,
    external: {
      // UUIDs: the key manager needs no lookup to find them.
      clientCertificate: client.id,
      serverCaCertificates: [ca.id],
      servers: [config.require("server")],
    },
  });
  return Promise.resolve({
    keyManagerUuid: keyManager.id,
    clientCertificateName: client.name,
    clientCertificateUuid: client.id,
    clientCertificateExpiry: client.expiryTime,
    clientKeyPairId: client.keyPairId,
    caCertificateName: ca.name,
  });
}
