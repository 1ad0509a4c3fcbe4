/**
 * pulumi-ontap-keymanager: Pulumi dynamic resources for NetApp ONTAP encryption key managers.
 *
 * @packageDocumentation
 */

export {
  KeyManager,
  keyManagerProvider,
  type KeyManagerArgs,
  type KeyManagerExternalArgs,
  type KeyManagerOnboardArgs,
  type KeyManagerServerArgs,
  type KeyManagerExternalOutput,
  type KeyManagerOnboardOutput,
  type KeyManagerServerOutput,
} from "./resources/keyManager";
export {
  KeyServer,
  keyServerProvider,
  type KeyServerArgs,
  type KeyServerConnectivity,
} from "./resources/keyServer";
export { Certificate, certificateProvider, type CertificateArgs } from "./resources/certificate";
export type { ServerManagement } from "./resources/model/plan";

/** The package version, as published. */
export const version = "0.1.0";
