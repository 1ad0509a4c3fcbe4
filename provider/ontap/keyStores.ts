/**
 * `/api/security/key-stores`: one record per key-manager configuration of a scope (GET 9.10+, PATCH/DELETE
 * 9.14+, `state` 9.16+). The provider uses it for the non-destructive switch between onboard and external key
 * management at cluster scope (9.16.1+): `PATCH {enabled: true}` makes an inactive configuration the active one
 * (the previous one stays, inactive), and `DELETE` removes an inactive configuration. A key store's uuid is
 * that of its configuration (the key manager record's uuid).
 *
 * Sources (NetApp's ONTAP REST reference, as written down in simulator/README.md "9.16 and later"):
 * patch-security-key-stores-.html ("Introduced In: 9.14"; 65539513 on the admin SVM before 9.16.1),
 * delete-security-key-stores-.html ("Deletes an inactive keystore configuration"; 65538905, 65539521, 65539593).
 *
 * @packageDocumentation
 */

import { z } from "zod";
import type { OntapClient, WriteResult } from "./client";
import { FEATURES } from "./cluster";
import { OntapBadResponseError, OntapTimeoutError } from "./errors";
import { apiPath, pathSegment } from "./paths";

/** The key-stores collection. */
export const KEY_STORES_PATH = "/security/key-stores";

/**
 * One key store's path; its uuid is its configuration's.
 *
 * @param uuid - The key store's (configuration's) uuid.
 */
export function keyStorePath(uuid: string): string {
  return `${KEY_STORES_PATH}/${pathSegment(uuid)}`;
}

/** Fields every release with key stores has (9.10 on). */
export const KEY_STORE_FIELDS = [
  "uuid",
  "configuration.name",
  "configuration.uuid",
  "enabled",
  "type",
  "location",
  "scope",
  "svm.uuid",
  "svm.name",
] as const;

/** Schema of a key-store record; unknown fields are kept. */
export const keyStoreRecordSchema = z.looseObject({
  uuid: z.string(),
  configuration: z.looseObject({ name: z.string().optional(), uuid: z.string().optional() }).optional(),
  enabled: z.boolean().optional(),
  /** `okm`, `kmip`, `akv`, `gcp`, `aws`, `ikp`, `barbican`. */
  type: z.string().optional(),
  /** `onboard` or `external`. */
  location: z.string().optional(),
  /** 9.16+: `active`, `switching`, `mixed`, `blocked`, `svm_kek_rekey`, `initializing`, `disabling`. */
  state: z.string().optional(),
  scope: z.enum(["cluster", "svm"]).optional(),
  svm: z.looseObject({ uuid: z.string().optional(), name: z.string().optional() }).optional(),
});

/** A parsed key-store record. */
export type KeyStoreRecord = z.infer<typeof keyStoreRecordSchema>;

async function keyStoreFields(client: OntapClient): Promise<string[]> {
  // `state` exists from 9.16 on; an older release refuses the name in `fields`.
  const state = await client.supports(FEATURES.keyManagerConfigurations.minVersion);
  return [...KEY_STORE_FIELDS, ...(state ? ["state"] : [])];
}

/**
 * Reads a key store by uuid and checks that the answer is that key store.
 *
 * @param client - The cluster.
 * @param uuid - The key store's (configuration's) uuid.
 * @returns The record, or `undefined` when it does not exist (404).
 * @throws {@link OntapBadResponseError} when the record is of another key store.
 */
export async function findKeyStore(client: OntapClient, uuid: string): Promise<KeyStoreRecord | undefined> {
  const path = keyStorePath(uuid);
  const record = await client.find(path, keyStoreRecordSchema, { fields: await keyStoreFields(client) });
  if (record && record.uuid.toLowerCase() !== uuid.toLowerCase()) {
    throw new OntapBadResponseError({
      method: "GET",
      path: apiPath(path),
      target: client.target,
      status: 200,
      issues: [{ field: "uuid", problem: `the record is of key store ${record.uuid}, not ${uuid}` }],
      remedy: "nothing was changed; run the operation again",
    });
  }
  return record;
}

/**
 * Makes an inactive configuration the scope's active one (`PATCH {enabled: true}`, CLI `security key-manager
 * keystore enable`); the previously active configuration stays, inactive. ONTAP runs the switch as a job, which
 * this call follows to its end; the key store may still read `switching` afterwards: see
 * {@link waitForKeyStoreSwitch}.
 *
 * @param client - The cluster.
 * @param uuid - The inactive configuration's uuid.
 */
export async function enableKeyStore(client: OntapClient, uuid: string): Promise<WriteResult<unknown>> {
  return client.patch(keyStorePath(uuid), { enabled: true });
}

/**
 * Removes an inactive configuration (`DELETE`, CLI `security key-manager keystore delete`). ONTAP refuses an
 * enabled one (65538905) and one whose scope is switching (65539593).
 *
 * @param client - The cluster.
 * @param uuid - The inactive configuration's uuid.
 */
export async function deleteKeyStore(client: OntapClient, uuid: string): Promise<WriteResult<unknown>> {
  return client.delete(keyStorePath(uuid));
}

/** Poll timing of {@link waitForKeyStoreSwitch}. */
export interface KeyStoreWaitOptions {
  /** Give up after this long, in milliseconds; default the connection's job timeout. */
  readonly timeoutMs?: number;
  /** First poll interval, in milliseconds; default 250. */
  readonly intervalMs?: number;
}

/**
 * Waits until a key store no longer reads `switching`: the switch job may end before the key store's `state`
 * settles. Returns the last record read (whatever its state besides `switching`), or `undefined` when the key
 * store does not exist.
 *
 * @param client - The cluster.
 * @param uuid - The key store's uuid.
 * @param options - Timing.
 * @throws {@link OntapTimeoutError} (phase `job`) when it still reads `switching` after the timeout.
 */
export async function waitForKeyStoreSwitch(
  client: OntapClient,
  uuid: string,
  options: KeyStoreWaitOptions = {},
): Promise<KeyStoreRecord | undefined> {
  const timeoutMs = options.timeoutMs ?? client.settings.jobTimeoutMs;
  const started = Date.now();
  let interval = options.intervalMs ?? 250;
  for (;;) {
    const record = await findKeyStore(client, uuid);
    if (record?.state !== "switching") return record;
    if (Date.now() - started >= timeoutMs) {
      throw new OntapTimeoutError(
        `key store ${uuid} on ${client.target} still reads "switching" after ${Math.round(timeoutMs / 1000)} s. ` +
          `The switch may still complete.`,
        {
          method: "GET",
          path: apiPath(keyStorePath(uuid)),
          target: client.target,
          phase: "job",
          timeoutMs,
          mayHaveReachedServer: true,
          remedy:
            "check the switch with `security key-manager keystore show`, then run again (the provider re-reads the " +
            "scope); raise ontap:jobTimeout for slow clusters",
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
    interval = Math.min(interval * 1.5, 5_000);
  }
}
