/**
 * Bytes of the serialized `__provider` per resource type, as the resources produce it: each resource is
 * constructed under Pulumi's mocks from the package as a user installs it (a real copy in a program's
 * node_modules), and the text the closure serializer wrote is measured.
 *
 * @packageDocumentation
 */

import * as path from "node:path";
import { captureProvider } from "../test/support/host";

/** The serialized provider of one resource type. */
export interface ProviderSize {
  /** `KeyManager`, `KeyServer` or `Certificate`. */
  resource: string;
  /** UTF-8 bytes of `__provider`. */
  bytes: number;
  /** Whether the serializer marked it secret (it captured a secret): must be false. */
  secret: boolean;
  /** Whether it names a secret or a connection setting given to the resource: must be false. */
  capturesInputs: boolean;
}

/**
 * Measures `__provider` of every resource.
 *
 * @param programDir - A program directory holding the package ({@link prepareProgramDir}).
 */
export async function measureProviderSizes(programDir: string): Promise<ProviderSize[]> {
  const pkg = path.join(programDir, "node_modules", "pulumi-ontap-keymanager");
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the installed copy, as a user's program loads it
  const { Certificate, KeyManager, KeyServer } = require(pkg) as typeof import("../provider");
  const passphrase = "bench-size-passphrase-0123456789-abcdefgh";
  const password = "bench-size-kmip-password-4711";
  const km = await captureProvider(
    () => new KeyManager("km", { onboard: { passphrase }, profile: "siteA", adopt: true }),
  );
  const ks = await captureProvider(
    () =>
      new KeyServer("ks", {
        keyManager: "00000000-0000-4000-8000-000000000001",
        server: "10.0.0.9",
        username: "kmip",
        password,
      }),
  );
  const privateKey = "-----BEGIN PRIVATE KEY-----bench-size-key-----END PRIVATE KEY-----";
  const ct = await captureProvider(
    () => new Certificate("ct", { type: "client", certificate: "PEM", privateKey, svm: "vs9" }),
  );
  const measure = (resource: string, text: string, secret: boolean): ProviderSize => ({
    resource,
    bytes: Buffer.byteLength(text, "utf8"),
    secret,
    capturesInputs: [passphrase, password, privateKey, "siteA", "10.0.0.9", "vs9"].some((v) =>
      text.includes(v),
    ),
  });
  return [
    measure("KeyManager", km.providerText, km.providerIsSecret),
    measure("KeyServer", ks.providerText, ks.providerIsSecret),
    measure("Certificate", ct.providerText, ct.providerIsSecret),
  ];
}
