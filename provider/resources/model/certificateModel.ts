/**
 * The `Certificate` resource's data model: input validation (`check`, with `node:crypto` only: no network, no
 * hand-written ASN.1), auto-naming, diff, outputs, and the mapping of ONTAP records to Pulumi state. Pure apart
 * from parsing PEM and the random suffix of an automatic name.
 *
 * Changing what the certificate is (PEM, key, type, scope, name) replaces it. With an automatic name the new one
 * is installed before the old one is removed, so a `KeyManager` can switch over in between; with an explicit
 * name unchanged, the old one has to go first (ONTAP names are unique per SVM).
 *
 * @packageDocumentation
 */

import { X509Certificate, createHash, createPrivateKey, randomBytes } from "node:crypto";
import { z } from "zod";
import {
  type CheckFailure,
  type CheckResult,
  type FailureAddressing,
  parseStoredOutputs,
  issuesToFailures,
  messages,
  sanitizeInputs,
  stringSchema,
  trimmedNameSchema,
} from "./check";
import { containsUnknown, isUnknown } from "./unknown";

/** The certificate types a key manager uses. */
export type CertificateType = "client" | "server_ca";

/** What a PEM certificate says about itself. */
export interface CertificateFacts {
  /** Subject common name; "" when the subject has none. */
  commonName: string;
  /** Serial number, upper-case hex without separators (ONTAP's spelling). */
  serialNumber: string;
  /** End of validity, ISO 8601 UTC. */
  expiryTime: string;
  /**
   * Identity of the key pair: SHA-256 of the public key's DER SubjectPublicKeyInfo, hex. Equal for a renewal
   * that keeps the key pair (what ONTAP requires of a key manager's new client certificate, 65536850).
   */
  keyPairId: string;
}

/** The normalised, fully known inputs of a `Certificate`. */
export interface CertificateInputs {
  /** ONTAP's certificate name, unique in its SVM. */
  name: string;
  /** Whether `name` was generated (logical name + random suffix) rather than given. */
  autoNamed: boolean;
  /** `client` (needs `privateKey`) or `server_ca`. */
  type: CertificateType;
  /** PEM of the certificate, normalised (one block, `\n` line ends). */
  certificate: string;
  /** PEM of the private key (client only). Secret. */
  privateKey?: string;
  /** Data SVM name; absent for cluster scope. */
  svm?: string;
  /** Take over a certificate of that name already installed with the same certificate, instead of failing. */
  adopt: boolean;
  /** Connection profile; absent means the stack's `ontap:*` settings. */
  profile?: string;
}

/** The outputs (state) of a `Certificate`. The id is the UUID. */
export interface CertificateOutputs extends CertificateInputs, CertificateFacts {
  /** ONTAP's UUID of the certificate (also the resource id). */
  uuid: string;
  /** `cluster` or `svm`. */
  scope: "cluster" | "svm";
  /** The SVM's UUID; absent at cluster scope. */
  svmUuid?: string;
  /** ONTAP's `subject_key_identifier`, when it reports one. */
  subjectKeyIdentifier?: string;
}

/** Days before expiry from which `read` warns. */
export const EXPIRY_WARNING_DAYS = 30;

/** Longest certificate name accepted (ONTAP's CLI limit for `-cert-name`). */
export const MAX_CERTIFICATE_NAME = 255;

const NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

/** A random suffix for an automatic name: 7 lower-case hex characters, like Pulumi's auto-naming. */
export function randomSuffix(): string {
  return randomBytes(4).toString("hex").slice(0, 7);
}

/** The automatic name for a logical name: `<logical name>-<suffix>`, with characters ONTAP refuses replaced. */
export function autoName(logicalName: string, suffix: string = randomSuffix()): string {
  const base =
    logicalName.replace(/[^A-Za-z0-9_.-]/g, "-").slice(0, MAX_CERTIFICATE_NAME - 8) || "certificate";
  return `${base}-${suffix}`;
}

/** What a certificate PEM says, or why it cannot be read. */
export function certificateFacts(
  pem: string,
): { ok: true; facts: CertificateFacts; cert: X509Certificate } | { ok: false; reason: string } {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return { ok: false, reason: "is not a PEM X.509 certificate (-----BEGIN CERTIFICATE----- ...)" };
  }
  return { ok: true, facts: factsOf(cert), cert };
}

function commonNameOf(dn: string): string {
  for (const line of dn.split("\n")) if (line.startsWith("CN=")) return line.slice(3);
  return "";
}

function factsOf(cert: X509Certificate): CertificateFacts {
  const der = cert.publicKey.export({ type: "spki", format: "der" });
  return {
    commonName: commonNameOf(cert.subject),
    serialNumber: cert.serialNumber.toUpperCase().replace(/^0+(?=.)/, ""),
    expiryTime: new Date(cert.validTo).toISOString(),
    keyPairId: createHash("sha256").update(der).digest("hex"),
  };
}

/** Serial numbers compared the way ONTAP and Node spell them (case, separators, leading zeros aside). */
export function sameSerial(a: string, b: string): boolean {
  const norm = (s: string): string =>
    s
      .replace(/[^0-9a-f]/gi, "")
      .toUpperCase()
      .replace(/^0+(?=.)/, "");
  return norm(a) === norm(b);
}

const rawInputsSchema = z.strictObject({
  name: trimmedNameSchema()
    .max(MAX_CERTIFICATE_NAME, { error: `must be at most ${MAX_CERTIFICATE_NAME} characters` })
    .refine((n) => NAME_PATTERN.test(n), { error: "may hold only letters, digits, '_', '.' and '-'" })
    .optional(),
  namePrefix: stringSchema().optional(),
  // Set by check itself in the inputs it returns (which the engine hands back to diff, create and update).
  autoNamed: z.boolean({ error: messages.boolean }).optional(),
  type: z.enum(["client", "server_ca"], { error: 'must be "client" or "server_ca"' }),
  certificate: stringSchema(),
  privateKey: stringSchema().optional(),
  svm: trimmedNameSchema().optional(),
  adopt: z.boolean({ error: messages.boolean }).optional(),
  profile: trimmedNameSchema().optional(),
});

/** The top-level inputs a `Certificate` accepts. */
export const CERTIFICATE_INPUT_NAMES: ReadonlySet<string> = new Set([
  "name",
  "namePrefix",
  "autoNamed",
  "type",
  "certificate",
  "privateKey",
  "svm",
  "adopt",
  "profile",
]);

const CERTIFICATE_ADDRESSING: FailureAddressing = {
  secretTopLevel: new Set(["privateKey"]),
  knownTopLevel: CERTIFICATE_INPUT_NAMES,
};

/** Checked inputs: {@link CertificateInputs} where, during preview, a value may still be unknown. */
export type CheckedCertificateInputs = { [K in keyof CertificateInputs]: CertificateInputs[K] | string };

function previousAutoName(olds: unknown): string | undefined {
  if (typeof olds !== "object" || olds === null) return undefined;
  const o = olds as { name?: unknown; autoNamed?: unknown };
  return o.autoNamed === true && typeof o.name === "string" && o.name !== "" ? o.name : undefined;
}

/**
 * Validates and normalises `Certificate` inputs (Pulumi `check`), with no network call: the PEM parses, the
 * private key parses and matches it, `client` has a key and `server_ca` none (and is a CA certificate), and the
 * certificate is valid now. Without `name`, the previous automatic name is kept (`olds`), or a new one made
 * from `namePrefix` (the engine checks again with no `olds` when it replaces, which gives the replacement its
 * own name). Failures never contain the key.
 *
 * @param olds - The previous checked inputs (`{}` on create and on replacement).
 * @param news - The inputs as Pulumi sends them.
 * @param now - The current time (tests).
 * @param suffix - Makes the suffix of a new automatic name (tests).
 */
export function checkCertificate(
  olds: unknown,
  news: unknown,
  now: Date = new Date(),
  suffix: () => string = randomSuffix,
): CheckResult<CheckedCertificateInputs> {
  const raw = sanitizeInputs(news);
  const parsed = rawInputsSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      valid: false,
      inputs: raw,
      failures: issuesToFailures(parsed.error.issues, CERTIFICATE_ADDRESSING, raw),
    };
  }
  const v = parsed.data;
  const failures: CheckFailure[] = [];
  const autoNamed = v.autoNamed ?? v.name === undefined;
  const name =
    v.name ??
    previousAutoName(olds) ??
    autoName(isUnknown(v.namePrefix) ? "certificate" : (v.namePrefix ?? "certificate"), suffix());
  const inputs: CheckedCertificateInputs = {
    name,
    autoNamed,
    type: v.type,
    certificate: v.certificate,
    ...(v.privateKey !== undefined ? { privateKey: v.privateKey } : {}),
    ...(v.svm !== undefined ? { svm: v.svm } : {}),
    adopt: v.adopt ?? false,
    ...(v.profile !== undefined ? { profile: v.profile } : {}),
  };
  if (v.type === "client" && v.privateKey === undefined) {
    failures.push({ property: "", reason: "privateKey: is required for a client certificate" });
  }
  if (v.type === "server_ca" && v.privateKey !== undefined) {
    failures.push({
      property: "",
      reason:
        "privateKey: must not be set for a server_ca certificate (ONTAP refuses a key with a CA certificate: 3735618)",
    });
  }
  if (!isUnknown(v.certificate)) {
    const read = certificateFacts(v.certificate);
    if (!read.ok) {
      failures.push({ property: "certificate", reason: read.reason });
    } else {
      const { cert } = read;
      inputs.certificate = cert.toString();
      if (Date.parse(cert.validTo) <= now.getTime()) {
        failures.push({
          property: "certificate",
          reason: `expired on ${new Date(cert.validTo).toISOString()}`,
        });
      } else if (Date.parse(cert.validFrom) > now.getTime()) {
        failures.push({
          property: "certificate",
          reason: `is not valid before ${new Date(cert.validFrom).toISOString()} (ONTAP refuses it: 52559972)`,
        });
      }
      if (v.type === "server_ca" && !cert.ca) {
        failures.push({
          property: "certificate",
          reason: "is not a CA certificate (basicConstraints CA:TRUE), so it cannot be a server_ca",
        });
      }
      if (v.privateKey !== undefined && !isUnknown(v.privateKey)) {
        let key;
        try {
          key = createPrivateKey(v.privateKey);
        } catch {
          key = undefined;
          failures.push({ property: "", reason: "privateKey: is not an unencrypted PEM private key" });
        }
        if (key && !cert.checkPrivateKey(key)) {
          failures.push({ property: "", reason: "privateKey: does not match the certificate's public key" });
        }
      }
    }
  }
  if (failures.length > 0) return { valid: false, inputs: raw, failures };
  return { valid: true, inputs, failures: [] };
}

/** True when checked inputs hold no unknown value (always the case outside preview). */
export function isKnownCertificateInputs(inputs: CheckedCertificateInputs): inputs is CertificateInputs {
  return !containsUnknown(inputs);
}

/** Outputs from inputs and what ONTAP answered. */
export function buildCertificateOutputs(
  inputs: CertificateInputs,
  ontap: { uuid: string; svmUuid?: string; subjectKeyIdentifier?: string },
): CertificateOutputs {
  const read = certificateFacts(inputs.certificate);
  if (!read.ok) throw new Error(`the certificate ${read.reason}`);
  return {
    ...inputs,
    ...read.facts,
    uuid: ontap.uuid.toLowerCase(),
    scope: inputs.svm === undefined ? "cluster" : "svm",
    ...(ontap.svmUuid !== undefined ? { svmUuid: ontap.svmUuid } : {}),
    ...(ontap.subjectKeyIdentifier !== undefined ? { subjectKeyIdentifier: ontap.subjectKeyIdentifier } : {}),
  };
}

/** The inputs outputs stand for (what refresh reports as inputs). */
export function certificateInputsFromOutputs(o: CertificateOutputs): CertificateInputs {
  return {
    name: o.name,
    autoNamed: o.autoNamed,
    type: o.type,
    certificate: o.certificate,
    ...(o.privateKey !== undefined ? { privateKey: o.privateKey } : {}),
    ...(o.svm !== undefined ? { svm: o.svm } : {}),
    adopt: o.adopt,
    ...(o.profile !== undefined ? { profile: o.profile } : {}),
  };
}

const outputsSchema = z.object({
  uuid: z.string().min(1),
  name: z.string().min(1),
  autoNamed: z.boolean().default(false),
  type: z.enum(["client", "server_ca"]),
  certificate: z.string().min(1),
  privateKey: z.string().optional(),
  svm: z.string().optional(),
  svmUuid: z.string().optional(),
  scope: z.enum(["cluster", "svm"]),
  adopt: z.boolean().default(false),
  profile: z.string().optional(),
  commonName: z.string(),
  serialNumber: z.string(),
  expiryTime: z.string(),
  keyPairId: z.string(),
  subjectKeyIdentifier: z.string().optional(),
}) satisfies z.ZodType<CertificateOutputs, unknown>;

/**
 * Parses stored `Certificate` outputs.
 *
 * @throws Error naming the invalid fields (never their values).
 */
export function parseCertificateOutputs(state: unknown): CertificateOutputs {
  return parseStoredOutputs("Certificate", outputsSchema, state);
}

/** What a diff found. */
export interface CertificateDiff {
  /** Whether anything changes (a replacement, or state only: `profile`, how the name was given). */
  changes: boolean;
  /** The inputs that force a replacement. */
  replaces: string[];
  /** Whether the old certificate must go first (an explicit name kept: names are unique per SVM). */
  deleteBeforeReplace: boolean;
}

/**
 * Previous outputs against checked inputs. The certificate, its key, type, SVM and name are what ONTAP cannot
 * change in place: any of them replaces. `profile` alone is an update without a call; `adopt` changes nothing.
 * A replacement deletes first only when an explicit name stays the same (two certificates of one SVM cannot
 * share it); otherwise the new one is installed first.
 */
export function diffCertificate(olds: CertificateOutputs, news: CheckedCertificateInputs): CertificateDiff {
  const replaces: string[] = [];
  const differs = (a: unknown, b: unknown): boolean => isUnknown(b) || a !== b;
  if (differs(olds.certificate, news.certificate)) replaces.push("certificate");
  if (
    olds.privateKey !== news.privateKey &&
    (olds.privateKey !== undefined || news.privateKey !== undefined)
  ) {
    replaces.push("privateKey");
  }
  if (differs(olds.type, news.type)) replaces.push("type");
  if (olds.svm !== news.svm) replaces.push("svm");
  // An automatic name kept from the previous inputs is no change; a new explicit one is.
  if (!news.autoNamed && differs(olds.name, news.name)) replaces.push("name");
  // Naming a certificate explicitly with the name it already has changes nothing on ONTAP, only the state.
  const recorded = olds.profile !== news.profile || olds.autoNamed !== news.autoNamed;
  const deleteBeforeReplace = replaces.length > 0 && !news.autoNamed && news.name === olds.name;
  return { changes: replaces.length > 0 || recorded, replaces, deleteBeforeReplace };
}

/** Whole days from `now` until `expiryTime` (negative once expired). */
export function daysUntil(expiryTime: string, now: Date = new Date()): number {
  return Math.floor((Date.parse(expiryTime) - now.getTime()) / 86_400_000);
}
