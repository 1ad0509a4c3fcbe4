/**
 * The cluster's onboard key manager, its passphrase kept as a secret in the stack config. Rotating it is a
 * config change: `pulumi config set --secret passphrase '<new>'` then `pulumi up` sends ONTAP one PATCH with
 * the previous passphrase (from the encrypted state) and the new one.
 *
 * Stack config (namespace: the project's name):
 * - `passphrase` (secret): 32 to 256 printable ASCII characters.
 * - `adopt` (optional, default false): take over an onboard key manager that already exists, taking
 *   `passphrase` as its current passphrase.
 * - `currentPassphrase` (secret, optional): the passphrase the cluster holds now, when the state is wrong (a
 *   rotation whose answers were lost twice: every rotation then fails with 65536139). Used only when set.
 * - `protect` (optional, default false): Pulumi's `protect` option: destroy, removal or replacement fails before
 *   anything is deleted. Deleting an onboard key manager destroys its key hierarchy: set it once data depends on it.
 * - `retainOnDelete` (optional, default false): Pulumi's `retainOnDelete`: a destroyed stack forgets the key
 *   manager instead of deleting it (recreate the stack with `adopt: true` to manage it again). For stacks that are
 *   torn down while the keys must stay.
 *
 * @packageDocumentation
 */
import * as pulumi from "@pulumi/pulumi";
import { KeyManager } from "pulumi-ontap-keymanager";

/** The program: declares the onboard key manager and returns the stack outputs. */
export function program(): Promise<Record<string, pulumi.Output<unknown>>> {
  const config = new pulumi.Config();
  const keyManager = new KeyManager(
    "key-manager",
    {
      onboard: {
        passphrase: config.requireSecret("passphrase"),
        currentPassphrase: config.getSecret("currentPassphrase"),
      },
      adopt: config.getBoolean("adopt"),
    },
    // The defaults are false only so that the example (and its tests) can be torn down: see above.
    {
      protect: config.getBoolean("protect") ?? false,
      retainOnDelete: config.getBoolean("retainOnDelete") ?? false,
    },
  );
  return Promise.resolve({
    keyManagerUuid: keyManager.id,
    scope: keyManager.scope,
  });
}
