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

/** The package version, as published: read from the package's own package.json, so it cannot go stale. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- JSON outside rootDir; the package resolves itself
export const version: string = (require("pulumi-ontap-keymanager/package.json") as { version: string })
  .version;
