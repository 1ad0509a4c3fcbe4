/**
 * The `Certificate` resource: a KMIP client certificate (with its private key) or a key server CA certificate,
 * installed in the cluster or an SVM scope through `/api/security/certificates`.
 *
 * @packageDocumentation
 */

import * as pulumi from "@pulumi/pulumi";
import * as lazyProvider from "./lazy/ct";

/** The arguments of a {@link Certificate}. */
export interface CertificateArgs {
  /**
   * `client`: the certificate ONTAP presents to the key servers; needs `privateKey`. `server_ca`: a CA
   * certificate that verifies the key servers; no key. Changing it replaces the certificate.
   */
  type: pulumi.Input<"client" | "server_ca">;
  /**
   * The certificate, PEM (`-----BEGIN CERTIFICATE-----`). Checked before anything is sent: it must parse, be
   * valid now, and for `server_ca` be a CA certificate. Changing it replaces the certificate (see `name`).
   */
  certificate: pulumi.Input<string>;
  /**
   * The private key of a `client` certificate, unencrypted PEM; it must match the certificate. Always stored as
   * a secret, even when given as a plain string; never in a diff, log or error. Changing it replaces the
   * certificate.
   */
  privateKey?: pulumi.Input<string>;
  /**
   * ONTAP's certificate name, unique in its SVM (letters, digits, `_`, `.`, `-`; at most 255). Default: the
   * resource's name plus a random suffix (`kmip-client-3fa9c1e`), kept across updates and made anew on
   * replacement, so that the new certificate is installed before the old one is removed and a `KeyManager`
   * can switch to it in between. With an explicit name that stays the same, a replacement must delete the old
   * certificate first, which ONTAP refuses while a key manager uses it (3735683): give a renewal a new name.
   * Changing it replaces the certificate.
   */
  name?: pulumi.Input<string>;
  /** Name of the data SVM to install in. Omit for the cluster (admin SVM). Changing it replaces the certificate. */
  svm?: pulumi.Input<string>;
  /**
   * When a certificate of this name is already installed in the scope and it is the same certificate (serial
   * number and type), take it over instead of failing. Default false. Changing it alone changes nothing.
   */
  adopt?: pulumi.Input<boolean>;
  /**
   * Name of a connection profile in the stack config `ontap:profiles`; omitted means the stack's `ontap:*`
   * settings. Changing it is an update that makes no call (it never moves a certificate between clusters).
   */
  profile?: pulumi.Input<string>;
}

/**
 * The dynamic provider object that {@link Certificate} uses: the exports of `./lazy/ct`, so that Pulumi's closure
 * serializer stores it as a `require()` of that module (see there); its methods load the implementation at call time.
 */
export const certificateProvider: pulumi.dynamic.ResourceProvider = lazyProvider;

/**
 * A certificate a key manager uses, installed on ONTAP (needs ONTAP 9.8 or later, which introduced certificate
 * names). The resource id is its UUID: pass `cert.id` (or `cert.name`) to a `KeyManager`'s `clientCertificate`
 * or `serverCaCertificates`; the UUID saves the KeyManager a lookup.
 *
 * Renewing a client certificate: give the renewed PEM (same key pair). Pulumi installs the new certificate, the
 * KeyManager switches to it with one PATCH, and the old one is deleted. ONTAP refuses a client certificate with
 * another key pair (65536850) and refuses to delete a certificate a key manager uses (3735683).
 */
export class Certificate extends pulumi.dynamic.Resource {
  /** ONTAP's UUID (also the resource id). */
  declare public readonly uuid: pulumi.Output<string>;
  /** ONTAP's certificate name. */
  declare public readonly name: pulumi.Output<string>;
  /** `client` or `server_ca`. */
  declare public readonly type: pulumi.Output<"client" | "server_ca">;
  /** `cluster` or `svm`. */
  declare public readonly scope: pulumi.Output<"cluster" | "svm">;
  /** The SVM name; undefined at cluster scope. */
  declare public readonly svm: pulumi.Output<string | undefined>;
  /** The SVM UUID; undefined at cluster scope. */
  declare public readonly svmUuid: pulumi.Output<string | undefined>;
  /** The certificate's subject common name. */
  declare public readonly commonName: pulumi.Output<string>;
  /** Serial number, upper-case hex. */
  declare public readonly serialNumber: pulumi.Output<string>;
  /** End of validity, ISO 8601 UTC. */
  declare public readonly expiryTime: pulumi.Output<string>;
  /** SHA-256 of the public key (DER SubjectPublicKeyInfo), hex: equal for a renewal with the same key pair. */
  declare public readonly keyPairId: pulumi.Output<string>;
  /** ONTAP's `subject_key_identifier`. */
  declare public readonly subjectKeyIdentifier: pulumi.Output<string | undefined>;
  /** The certificate PEM, normalised. */
  declare public readonly certificate: pulumi.Output<string>;
  /** The private key (a secret); undefined for `server_ca`. */
  declare public readonly privateKey: pulumi.Output<string | undefined>;

  /**
   * @param name - the Pulumi resource name; also the start of the automatic certificate name.
   * @param args - the certificate.
   * @param opts - resource options. `additionalSecretOutputs` always includes `privateKey`.
   */
  constructor(name: string, args: CertificateArgs, opts?: pulumi.CustomResourceOptions) {
    const { privateKey } = args;
    super(
      certificateProvider,
      name,
      {
        name: args.name,
        // The automatic name starts with the resource name; check adds the suffix (dynamic providers get no URN).
        namePrefix: name,
        type: args.type,
        certificate: args.certificate,
        privateKey: privateKey === undefined ? undefined : pulumi.secret(privateKey),
        svm: args.svm,
        adopt: args.adopt,
        profile: args.profile,
        uuid: undefined,
        scope: undefined,
        svmUuid: undefined,
        commonName: undefined,
        serialNumber: undefined,
        expiryTime: undefined,
        keyPairId: undefined,
        subjectKeyIdentifier: undefined,
      },
      {
        ...opts,
        additionalSecretOutputs: [...new Set([...(opts?.additionalSecretOutputs ?? []), "privateKey"])],
      },
      // Type token `pulumi-nodejs:dynamic/ontap:Certificate`.
      "ontap",
      "Certificate",
    );
  }
}
