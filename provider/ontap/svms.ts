/**
 * `/api/svm/svms`: data SVMs, looked up by name. The admin SVM is not an entry of this collection; cluster
 * scope is expressed by leaving the SVM out.
 *
 * @packageDocumentation
 */

import { z } from "zod";
import { filterValue, type OntapClient } from "./client";
import { pathSegment } from "./paths";

/** Fields asked for. */
export const SVM_FIELDS = ["uuid", "name"] as const;

/** Schema of an SVM record; other fields are kept. */
export const svmRecordSchema = z.looseObject({
  uuid: z.string(),
  name: z.string(),
});

/** A parsed SVM record. */
export type SvmRecord = z.infer<typeof svmRecordSchema>;

/**
 * Finds a data SVM by name.
 *
 * @param client - The cluster.
 * @param name - SVM name (exact; ONTAP's filter is case-insensitive, so the match is checked here too).
 * @returns The SVM, or `undefined` when there is none of that name.
 */
export async function findSvmByName(client: OntapClient, name: string): Promise<SvmRecord | undefined> {
  const records = await client.getCollection("/svm/svms", svmRecordSchema, {
    fields: SVM_FIELDS,
    query: { name: filterValue(name) },
  });
  return records.find((r) => r.name === name);
}

/**
 * Reads a data SVM by uuid: an SVM renamed outside keeps its uuid.
 *
 * @param client - The cluster.
 * @param uuid - SVM uuid.
 * @returns The SVM, or `undefined` when there is none (404, or an answer for another SVM).
 */
export async function findSvm(client: OntapClient, uuid: string): Promise<SvmRecord | undefined> {
  const record = await client.find(`/svm/svms/${pathSegment(uuid)}`, svmRecordSchema, { fields: SVM_FIELDS });
  return record && record.uuid.toLowerCase() === uuid.toLowerCase() ? record : undefined;
}
