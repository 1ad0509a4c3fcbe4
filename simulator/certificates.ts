import { X509Certificate, createHash, createPrivateKey, createPublicKey } from "node:crypto";
import { z } from "zod";
import type { Env } from "./env";
import {
  SimulatedOntapError,
  invalidValue,
  missingValue,
  notFound,
  refused,
  unexpectedArgument,
} from "./errors";
import { json } from "./http";
import { newUuid, stableHex, stableUuid } from "./ids";
import { ontapTime } from "./jobs";
import { resolveSvm } from "./keyManagers";
import { LINKS, type CollectionSpec, parseWriteQuery, project } from "./query";
import { addReadOnlyCollection } from "./readOnly";
import type { Router } from "./router";
import type { CertRec, Model, SvmRec } from "./state";
import { parseBody } from "./validate";

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
    public_certificate: true,
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
    key_size: c.keySize ?? 2048,
    hash_function: "sha256",
    subject_key_identifier: c.subjectKeyIdentifier ?? (stableHex(20, c.keyPair).match(/../g) ?? []).join(":"),
    ...(c.publicCertificate !== undefined ? { public_certificate: c.publicCertificate } : {}),
    _links: { self: { href: `/api/security/certificates/${c.uuid}` } },
  };
}

/**
 * Codes of `/api/security/certificates` from NetApp's REST reference (POST and DELETE pages); see the README.
 * The duplicate-name answer is not in the reference: ONTAP's generic "duplicate entry".
 */
export const CertCode = {
  unsupportedType: "3735622",
  privateKeyEmpty: "3735693",
  privateKeyForCa: "3735618",
  badCertificate: "52559975",
  badKey: "52560123",
  notYetValid: "52559972",
  expired: "52559973",
  keyMismatch: "52559976",
  inUseByKeyManager: "3735683",
  duplicate: "1",
} as const;

const certRef = z.strictObject({ uuid: z.string().optional(), name: z.string().optional() });
const postSchema = z.strictObject({
  svm: certRef.optional(),
  name: z.string().optional(),
  type: z.string().optional(),
  public_certificate: z.string().optional(),
  private_key: z.string().optional(),
  common_name: z.string().optional(),
  intermediate_certificates: z.array(z.string()).optional(),
});

/** Types this simulator stores; ONTAP knows more (server, client_ca, root_ca) that key managers never use. */
const STORED_TYPES: readonly string[] = ["client", "server_ca"];
const KNOWN_TYPES: readonly string[] = ["client", "server", "client_ca", "server_ca", "root_ca"];

/**
 * The identity of a public key as the simulator reports it in `subject_key_identifier`: SHA-1 over the key's
 * DER SubjectPublicKeyInfo, colon-separated. Real certificates carry the identifier their CA wrote; what matters
 * here is that two certificates of one key pair share it and certificates of different key pairs do not.
 */
export function keyIdentifier(cert: X509Certificate): string {
  const der = createPublicKey(cert.publicKey.export({ type: "spki", format: "pem" })).export({
    type: "spki",
    format: "der",
  });
  const hex = createHash("sha1").update(der).digest("hex").toUpperCase();
  return (hex.match(/../g) ?? []).join(":");
}

function commonNameOf(dn: string): string {
  for (const line of dn.split("\n")) if (line.startsWith("CN=")) return line.slice(3);
  return "";
}

function parseCertificate(pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw refused(
      CertCode.badCertificate,
      "Failed to read the certificate due to incorrect formatting.",
      "public_certificate",
    );
  }
}

/** Every key manager that references a certificate, as `uuid`. */
function keyManagersUsing(env: Env, uuid: string): string[] {
  const out: string[] = [];
  for (const km of env.model.keyManagers.values()) {
    const ext = km.external;
    if (ext && (ext.clientCertificate === uuid || ext.serverCaCertificates.includes(uuid))) out.push(km.uuid);
  }
  return out;
}

function install(env: Env, body: z.infer<typeof postSchema>, owner: SvmRec): CertRec {
  const type = body.type;
  if (type === undefined) throw missingValue("type");
  if (!KNOWN_TYPES.includes(type)) throw invalidValue("type");
  if (!STORED_TYPES.includes(type)) {
    throw refused(CertCode.unsupportedType, "The certificate type is not supported.", "type");
  }
  if (body.public_certificate === undefined) {
    // Without a certificate ONTAP creates a self-signed one; the simulator does not: key managers never need it.
    throw missingValue("public_certificate");
  }
  if (body.intermediate_certificates !== undefined && type === "server_ca") {
    throw refused(
      "3735696",
      "Intermediate certificates are not supported with client_ca and server_ca type certificates.",
      "intermediate_certificates",
    );
  }
  if (type === "server_ca" && body.private_key !== undefined) {
    throw refused(
      CertCode.privateKeyForCa,
      "Cannot accept private key for server_ca or client_ca.",
      "private_key",
    );
  }
  if (type === "client" && (body.private_key === undefined || body.private_key.trim() === "")) {
    throw refused(
      CertCode.privateKeyEmpty,
      "The certificate installation failed as private key was empty.",
      "private_key",
    );
  }
  const cert = parseCertificate(body.public_certificate);
  if (body.private_key !== undefined) {
    let key;
    try {
      key = createPrivateKey(body.private_key);
    } catch {
      throw refused(CertCode.badKey, "Failed to read the key due to incorrect formatting.", "private_key");
    }
    if (!cert.checkPrivateKey(key)) {
      throw refused(CertCode.keyMismatch, "The certificate and private key do not match.", "private_key");
    }
  }
  const now = Date.now();
  if (Date.parse(cert.validFrom) > now) {
    throw refused(CertCode.notYetValid, "The certificates start date is later than the current date.");
  }
  if (Date.parse(cert.validTo) < now) throw refused(CertCode.expired, "The certificate has expired.");
  const serial = cert.serialNumber.toUpperCase();
  const name = body.name ?? `${commonNameOf(cert.subject) || owner.name}_${serial}`;
  for (const c of env.model.certificates.values()) {
    if (c.svmUuid === owner.uuid && c.name === name) {
      throw new SimulatedOntapError(409, CertCode.duplicate, "duplicate entry", "name");
    }
  }
  const ski = keyIdentifier(cert);
  const details = cert.publicKey.asymmetricKeyDetails;
  return {
    uuid: newUuid(),
    name,
    type: type as CertRec["type"],
    svmUuid: owner.uuid,
    // The 65536850 rule compares key pairs: an installed certificate's is its real public key.
    keyPair: `key:${ski}`,
    commonName: commonNameOf(cert.subject),
    serialNumber: serial,
    expiryTime: ontapTime(new Date(cert.validTo)),
    ca: commonNameOf(cert.issuer),
    publicCertificate: cert.toString(),
    subjectKeyIdentifier: ski,
    ...(details?.modulusLength !== undefined ? { keySize: details.modulusLength } : {}),
  };
}

/** `GET, POST /api/security/certificates`, `GET, DELETE /api/security/certificates/{uuid}`. */
export function registerCertificateRoutes(router: Router, env: Env): void {
  const base = "/api/security/certificates";
  addReadOnlyCollection(router, base, certificateSpec, {
    list: () => [...env.model.certificates.values()],
    get: (uuid) => env.model.certificates.get(uuid),
    render: (c) => renderCertificate(env.model, c),
  });
  // Certificate writes answer synchronously on every release (the reference shows jobs only for Azure Key
  // Vault installs and DCN clusters, which the simulator does not play).
  router.add(base, {
    POST: (ctx) => {
      const q = parseWriteQuery(ctx.pairs, { returnRecords: true });
      const body = parseBody(postSchema, ctx.body, (p) => p in certificateSpec.shape);
      // `name` arrived in 9.8 (and, with it, filtering by name).
      if (body.name !== undefined && !(env.release.generation > 9 || env.release.major >= 8)) {
        throw unexpectedArgument("name");
      }
      const owner = resolveSvm(env, body.svm);
      const rec = install(env, body, owner);
      env.model.certificates.set(rec.uuid, rec);
      env.changed();
      const location = { location: `${base}/${rec.uuid}` };
      if (!q.returnRecords) return json(201, {}, location);
      const full = renderCertificate(env.model, rec);
      return json(
        201,
        { num_records: 1, records: [project(full, { star: true, all: false, paths: [] }, certificateSpec)] },
        location,
      );
    },
  });
  router.add(`${base}/:uuid`, {
    DELETE: (ctx) => {
      parseWriteQuery(ctx.pairs, {});
      const uuid = ctx.params.uuid ?? "";
      if (!env.model.certificates.has(uuid)) throw notFound();
      if (keyManagersUsing(env, uuid).length > 0) {
        throw refused(
          CertCode.inUseByKeyManager,
          "Cannot remove this certificate while external key manager is configured.",
        );
      }
      env.model.certificates.delete(uuid);
      env.changed();
      return json(200, {});
    },
  });
}
