/**
 * The cluster's onboard key manager, its passphrase kept as a secret in the stack config. Rotating it is a
 * config change: `pulumi config set --secret passphrase '<new>'` then `pulumi up` sends ONTAP one PATCH with
 * the previous passphrase (from the encrypted state) and the new one.
 *
 * Stack config (namespace: the project's name):
 * - `passphrase` (secret): 32 to 256 printable ASCII characters.
 * - `adopt` (optional, default false): take over an onboard key manager that already exists, taking
 *   `passphrase` as its current passphrase.
 *
 * @packageDocumentation
 */
import * as pulumi from "@pulumi/pulumi";
import { KeyManager } from "pulumi-ontap-keymanager";

/** The program: declares the onboard key manager and returns the stack outputs. */
export function program(): Promise<Record<string, pulumi.Output<unknown>>> {
  const config = new pulumi.Config();
  const keyManager = new KeyManager("key-manager", {
    onboard: { passphrase: config.requireSecret("passphrase") },
    adopt: config.getBoolean("adopt"),
  });
  return Promise.resolve({
    keyManagerUuid: keyManager.id,
    scope: keyManager.scope,
  });
}
