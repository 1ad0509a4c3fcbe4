/**
 * `/api/security/certificates`: resolving the certificates a key manager refers to (by uuid or name, in
 * the key manager's scope) and listing them.
 *
 * @packageDocumentation
 */

import { z } from "zod";
import { filterValue, pathSegment, type OntapClient } from "./client";

/** Fields asked for; all exist from ONTAP 9.6 on. */
export const CERTIFICATE_FIELDS = [
  "uuid",
  "name",
  "type",
  "scope",
  "svm.uuid",
  "svm.name",
  "common_name",
  "serial_number",
  "ca",
  "expiry_time",
] as const;

/** Schema of a certificate record; other fields are kept. */
export const certificateRecordSchema = z.looseObject({
  uuid: z.string(),
  name: z.string().optional(),
  type: z.string().optional(),
  scope: z.string().optional(),
  svm: z.looseObject({ uuid: z.string().optional(), name: z.string().optional() }).optional(),
  common_name: z.string().optional(),
  serial_number: z.string().optional(),
  ca: z.string().optional(),
  expiry_time: z.string().optional(),
});

/** A parsed certificate record. */
export type CertificateRecord = z.infer<typeof certificateRecordSchema>;

/** The certificate types key managers use. */
export type KeyManagerCertificateType = "client" | "server_ca";

/** Where to look: the cluster (admin SVM) when `svmName` is absent, else that data SVM. */
export interface CertificateScope {
  /** Data SVM name; omit for cluster scope. */
  readonly svmName?: string;
  /** Only certificates of this type. */
  readonly type?: KeyManagerCertificateType;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether a certificate reference is a uuid (otherwise it is a name).
 *
 * @param ref - A uuid or a certificate name.
 */
export function isUuid(ref: string): boolean {
  return UUID.test(ref);
}

function inScope(c: CertificateRecord, scope: CertificateScope): boolean {
  const scopeOk =
    scope.svmName === undefined
      ? c.scope === undefined || c.scope === "cluster"
      : c.scope !== "cluster" && c.svm?.name === scope.svmName;
  return scopeOk && (scope.type === undefined || c.type === scope.type);
}

/**
 * Lists certificates of a scope.
 *
 * @param client - The cluster.
 * @param scope - Cluster or SVM, and type.
 */
export async function listCertificates(
  client: OntapClient,
  scope: CertificateScope = {},
): Promise<CertificateRecord[]> {
  const records = await client.getCollection("/security/certificates", certificateRecordSchema, {
    fields: CERTIFICATE_FIELDS,
    query: {
      ...(scope.svmName === undefined ? { scope: "cluster" } : { "svm.name": filterValue(scope.svmName) }),
      type: scope.type,
    },
  });
  return records.filter((c) => inScope(c, scope));
}

/**
 * Resolves a certificate reference in a scope.
 *
 * @param client - The cluster.
 * @param ref - A certificate uuid or name.
 * @param scope - Cluster (no `svmName`) or data SVM, and the type wanted.
 * @returns The certificate, or `undefined` when no certificate of that uuid or name and type is installed
 *   in that scope (a uuid of another scope counts as not installed: ONTAP would refuse it with 65536821).
 */
export async function findCertificate(
  client: OntapClient,
  ref: string,
  scope: CertificateScope = {},
): Promise<CertificateRecord | undefined> {
  if (isUuid(ref)) {
    const c = await client.find(`/security/certificates/${pathSegment(ref)}`, certificateRecordSchema, {
      fields: CERTIFICATE_FIELDS,
    });
    return c && inScope(c, scope) ? c : undefined;
  }
  const records = await client.getCollection("/security/certificates", certificateRecordSchema, {
    fields: CERTIFICATE_FIELDS,
    query: {
      name: filterValue(ref),
      ...(scope.svmName === undefined ? { scope: "cluster" } : { "svm.name": filterValue(scope.svmName) }),
      type: scope.type,
    },
  });
  return records.find((c) => c.name === ref && inScope(c, scope));
}
