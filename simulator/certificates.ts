import type { Env } from "./env";
import { stableHex, stableUuid } from "./ids";
import { LINKS, type CollectionSpec } from "./query";
import { addReadOnlyCollection } from "./readOnly";
import type { Router } from "./router";
import type { CertRec, Model, SvmRec } from "./state";

/** Query spec of `/api/security/certificates`. */
export const certificateSpec: CollectionSpec = {
  shape: {
    uuid: true,
    name: true,
    type: true,
    scope: true,
    svm: { uuid: true, name: true, _links: LINKS },
    common_name: true,
    serial_number: true,
    ca: true,
    expiry_time: true,
    key_size: true,
    hash_function: true,
    subject_key_identifier: true,
    _links: LINKS,
  },
  arrays: [],
  expensive: [],
  writeOnly: ["private_key"],
  keys: ["uuid"],
  defaultFields: ["uuid", "name"],
};

/**
 * The certificates every SVM starts with. Prefix "cluster" for the admin SVM, the SVM name otherwise:
 * `-client`, `-client-renewed` (same key pair as `-client`), `-client-other` (another key pair),
 * `-ca-1`..`-ca-3` (server CAs).
 */
export function seedCertificates(svm: SvmRec): CertRec[] {
  const prefix = svm.admin ? "cluster" : svm.name;
  const cert = (
    suffix: string,
    type: CertRec["type"],
    keyPair: string,
    commonName: string,
    expiry: string,
    ca: string,
  ): CertRec => {
    const name = `${prefix}-${suffix}`;
    return {
      uuid: stableUuid("certificate", svm.name, name),
      name,
      type,
      svmUuid: svm.uuid,
      keyPair: `${svm.uuid}/${keyPair}`,
      commonName,
      serialNumber: stableHex(8, svm.uuid, name),
      expiryTime: expiry,
      ca,
    };
  };
  const issuer = `${prefix}-ca-1`;
  return [
    cert("client", "client", "client", `${prefix}-client`, "2030-01-01T00:00:00+00:00", issuer),
    cert("client-renewed", "client", "client", `${prefix}-client`, "2033-01-01T00:00:00+00:00", issuer),
    cert("client-other", "client", "other", `${prefix}-client-other`, "2033-01-01T00:00:00+00:00", issuer),
    ...[1, 2, 3].map((n) =>
      cert(
        `ca-${n}`,
        "server_ca",
        `ca-${n}`,
        `${prefix}-ca-${n}`,
        "2040-01-01T00:00:00+00:00",
        `${prefix}-ca-${n}`,
      ),
    ),
  ];
}

/** A certificate's full record. */
export function renderCertificate(model: Model, c: CertRec): Record<string, unknown> {
  const svm = model.svms.get(c.svmUuid);
  return {
    uuid: c.uuid,
    name: c.name,
    type: c.type,
    scope: svm?.admin ? "cluster" : "svm",
    svm: { uuid: c.svmUuid, name: svm?.name, _links: { self: { href: `/api/svm/svms/${c.svmUuid}` } } },
    common_name: c.commonName,
    serial_number: c.serialNumber,
    ca: c.ca,
    expiry_time: c.expiryTime,
    key_size: 2048,
    hash_function: "sha256",
    subject_key_identifier: (stableHex(20, c.keyPair).match(/../g) ?? []).join(":"),
    _links: { self: { href: `/api/security/certificates/${c.uuid}` } },
  };
}

/** `GET /api/security/certificates[/{uuid}]`. */
export function registerCertificateRoutes(router: Router, env: Env): void {
  addReadOnlyCollection(router, "/api/security/certificates", certificateSpec, {
    list: () => [...env.model.certificates.values()],
    get: (uuid) => env.model.certificates.get(uuid),
    render: (c) => renderCertificate(env.model, c),
  });
}
