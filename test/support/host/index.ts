/**
 * Test harness that runs our dynamic resources' providers in the real @pulumi/pulumi dynamic provider host, driven over
 * gRPC the way the Pulumi engine drives it.
 *
 * Typical use:
 * ```ts
 * const programDir = await prepareProgramDir();            // our package installed as a real copy
 * const captured = await captureProvider(() => new KeyManager("km", args));
 * const host = await startHost({ programDir });
 * await host.configure({ "ontap:host": "127.0.0.1:8443", "ontap:password": secret("pw") });
 * const { inputs } = await host.check(captured.urn, {}, captured.properties);
 * const created = await host.create(captured.urn, inputs);
 * expect(host.userVisibleOutput()).not.toContain("pw");
 * await host.close();
 * ```
 *
 * @packageDocumentation
 */
export {
  HostCallError,
  startHost,
  DYNAMIC_PROVIDER_PACKAGE,
  type CheckResult,
  type ConfigureResult,
  type CreateResult,
  type DiffResult,
  type HostHandle,
  type ReadResult,
  type StackConfig,
  type StartHostOptions,
  type UpdateResult,
} from "./host";
export {
  captureProvider,
  makeUrn,
  PROVIDER_KEY,
  type CaptureOptions,
  type CapturedResource,
} from "./capture";
export { prepareProgramDir, writePackage, REPO_ROOT } from "./program-dir";
export { startFakeEngine, type FakeEngine } from "./engine";
export {
  annotateSecrets,
  containsSecrets,
  fromStruct,
  isPlainObject,
  isSecret,
  secret,
  SECRET_SIG,
  SIG_KEY,
  toStruct,
  UNKNOWN,
  unknown,
  unwrapSecrets,
  unwrapSecretsIn,
  type PropertyMap,
  type PropertyValue,
  type SecretValue,
} from "./wire";
