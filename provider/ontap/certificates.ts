/**
 * `/api/security/certificates`: resolving the certificates a key manager refers to (by uuid or name, in
 * the key manager's scope) and listing them; installing, reading and deleting them for the `Certificate`
 * resource.
 *
 * @packageDocumentation
 */

import { z } from "zod";
import { filterValue, type OntapClient } from "./client";
import { pathSegment } from "./paths";
import type { FeatureGate } from "./cluster";
import { registerSecret } from "./redact";

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
 * Certificate names (`name`, and filtering by it) and `subject_key_identifier` arrived in ONTAP 9.8: the
 * `Certificate` resource, which finds its certificate by name before it installs one, needs that release.
 */
export const CERTIFICATE_NAMES: FeatureGate = { feature: "named certificates", minVersion: "9.8" };

/** Fields of an installed certificate the `Certificate` resource reads (ONTAP 9.8 and later). */
export const INSTALLED_CERTIFICATE_FIELDS = [...CERTIFICATE_FIELDS, "subject_key_identifier"] as const;

/** Schema of a certificate record the `Certificate` resource reads; other fields are kept. */
export const installedCertificateSchema = certificateRecordSchema.extend({
  subject_key_identifier: z.string().optional(),
});

/** A parsed installed-certificate record. */
export type InstalledCertificateRecord = z.infer<typeof installedCertificateSchema>;

/** What {@link installCertificate} sends. */
export interface CertificateInstall {
  /** Data SVM name; omit for cluster scope. */
  readonly svmName?: string;
  /** Certificate name, unique in its SVM. */
  readonly name: string;
  /** `client` (with `privateKey`) or `server_ca`. */
  readonly type: KeyManagerCertificateType;
  /** PEM of the certificate. */
  readonly publicCertificate: string;
  /** PEM of the private key (client only). Secret: registered for redaction before it is sent. */
  readonly privateKey?: string;
}

/**
 * Registers a private key for redaction: the whole PEM, and each line of its Base64 body, so that an echo of
 * any part of it (a line quoted in an error) is removed from outside text.
 */
export function registerPrivateKey(pem: string): void {
  registerSecret(pem);
  for (const line of pem.split(/\r?\n/)) {
    const t = line.trim();
    if (t.length >= 16 && !t.startsWith("-----")) registerSecret(t);
  }
}

/**
 * Installs a certificate: one POST with `return_records=true`.
 *
 * @param client - The cluster.
 * @param request - Scope, name, type, PEMs.
 * @returns The created record when ONTAP returned it (a 202 job answer, or an empty body, returns undefined).
 */
export async function installCertificate(
  client: OntapClient,
  request: CertificateInstall,
): Promise<InstalledCertificateRecord | undefined> {
  if (request.privateKey !== undefined) registerPrivateKey(request.privateKey);
  const result = await client.post(
    "/security/certificates",
    {
      ...(request.svmName !== undefined ? { svm: { name: request.svmName } } : {}),
      name: request.name,
      type: request.type,
      public_certificate: request.publicCertificate,
      ...(request.privateKey !== undefined ? { private_key: request.privateKey } : {}),
    },
    {
      query: { return_records: true },
      responseSchema: z.looseObject({ records: z.array(installedCertificateSchema).optional() }),
    },
  );
  return result.body?.records?.[0];
}

/**
 * Reads one certificate by uuid.
 *
 * @param client - The cluster.
 * @param uuid - The certificate.
 * @returns The record, or `undefined` when ONTAP answers 404.
 */
export function getCertificate(
  client: OntapClient,
  uuid: string,
): Promise<InstalledCertificateRecord | undefined> {
  return client.find(`/security/certificates/${pathSegment(uuid)}`, installedCertificateSchema, {
    fields: INSTALLED_CERTIFICATE_FIELDS,
  });
}

/**
 * The certificates of a scope with one name, whatever their type (names are unique per SVM): one GET.
 *
 * @param client - The cluster.
 * @param name - The certificate name.
 * @param svmName - Data SVM name; omit for cluster scope.
 */
export async function findCertificatesNamed(
  client: OntapClient,
  name: string,
  svmName?: string,
): Promise<InstalledCertificateRecord[]> {
  const records = await client.getCollection("/security/certificates", installedCertificateSchema, {
    fields: INSTALLED_CERTIFICATE_FIELDS,
    query: {
      name: filterValue(name),
      ...(svmName === undefined ? { scope: "cluster" } : { "svm.name": filterValue(svmName) }),
    },
  });
  return records.filter((c) => c.name === name && inScope(c, svmName === undefined ? {} : { svmName }));
}

/**
 * Deletes a certificate: one DELETE.
 *
 * @param client - The cluster.
 * @param uuid - The certificate.
 */
export async function deleteCertificate(client: OntapClient, uuid: string): Promise<void> {
  await client.delete(`/security/certificates/${pathSegment(uuid)}`);
}

/** A key manager that refers to a certificate. */
export interface CertificateUser {
  /** The key manager's uuid. */
  readonly uuid: string;
  /** `cluster`, or the SVM's name. */
  readonly scope: string;
  /** How it uses the certificate. */
  readonly role: "client certificate" | "server CA certificate";
}

const keyManagerCertsSchema = z.looseObject({
  uuid: z.string(),
  scope: z.string().optional(),
  svm: z.looseObject({ name: z.string().optional() }).optional(),
  external: z
    .looseObject({
      client_certificate: z.looseObject({ uuid: z.string() }).optional(),
      server_ca_certificates: z.array(z.looseObject({ uuid: z.string() })).optional(),
    })
    .optional(),
});

/**
 * The key managers that refer to a certificate: one GET of the key managers (at most one per scope).
 *
 * @param client - The cluster.
 * @param uuid - The certificate.
 */
export async function keyManagersUsingCertificate(
  client: OntapClient,
  uuid: string,
): Promise<CertificateUser[]> {
  const records = await client.getCollection("/security/key-managers", keyManagerCertsSchema, {
    fields: [
      "uuid",
      "scope",
      "svm.name",
      "external.client_certificate.uuid",
      "external.server_ca_certificates.uuid",
    ],
  });
  const want = uuid.toLowerCase();
  const users: CertificateUser[] = [];
  for (const km of records) {
    const scope = km.svm?.name ?? "cluster";
    if (km.external?.client_certificate?.uuid.toLowerCase() === want) {
      users.push({ uuid: km.uuid, scope, role: "client certificate" });
    }
    if (km.external?.server_ca_certificates?.some((c) => c.uuid.toLowerCase() === want)) {
      users.push({ uuid: km.uuid, scope, role: "server CA certificate" });
    }
  }
  return users;
}
