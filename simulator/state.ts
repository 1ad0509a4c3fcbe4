import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import {
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { seedCertificates } from "./certificates";
import { stableUuid } from "./ids";

/** An SVM: the admin SVM (cluster scope, named after the cluster) or a data SVM. */
export interface SvmRec {
  uuid: string;
  name: string;
  admin: boolean;
}

/** An installed certificate. `keyPair` is the identity of its key pair (a swap to another is refused). */
export interface CertRec {
  uuid: string;
  name: string;
  type: "client" | "server_ca";
  svmUuid: string;
  keyPair: string;
  commonName: string;
  serialNumber: string;
  expiryTime: string;
  ca: string;
  /** PEM of an installed certificate (seeded ones have none). */
  publicCertificate?: string;
  /** `subject_key_identifier` of an installed certificate, from its real public key. */
  subjectKeyIdentifier?: string;
  /** Key size in bits of an installed certificate. */
  keySize?: number;
}

/** A salted SHA-256 of a secret: passphrases and passwords are never kept in plain text, not even in memory. */
export interface SecretHash {
  salt: string;
  hash: string;
}

/** A configured key server of an external key manager. */
export interface ServerRec {
  server: string;
  timeout: number;
  username: string;
  password?: SecretHash;
  holdsKeys: boolean;
  /** 9.16+: secondary key servers of this primary (clustered KMIP), normalised `host[:port]` as given. */
  secondary?: string[];
  /** 9.16+: timeout of key create/remove operations (seconds; -1 waits indefinitely, 0 does not wait). */
  createRemoveTimeout?: number;
}

/** What a test set as a key manager's `status` (later releases); absent: "No action needed". */
export interface StatusRec {
  code: number;
  message: string;
}

/** A key manager: exactly one of `external` and `onboard`. `svmUuid` is the admin SVM for cluster scope. */
export interface KmRec {
  uuid: string;
  svmUuid: string;
  external?: { clientCertificate: string; serverCaCertificates: string[]; servers: ServerRec[] };
  onboard?: {
    passphrase: SecretHash;
    backupSeed: string;
    /** Nodes whose copy of the onboard keys is incomplete (a node joined; MetroCluster partner site). */
    missingKeysOn?: string[];
  };
  /** 9.16+: an inactive configuration beside the scope's enabled one (absent: enabled). */
  inactive?: boolean;
  /** 9.16+: `configuration.name` (absent: "default"). */
  configName?: string;
  /** 9.16+: uuid of the key-store switch job to or from this configuration (`switching` while it runs). */
  switching?: string;
  /** Status set by a test control (absent: code 0). */
  status?: StatusRec;
}

/** A volume, only there to make key-manager deletes refusable. */
export interface VolumeRec {
  uuid: string;
  name: string;
  svmUuid: string;
  encrypted: boolean;
}

/** Hashes a secret with a fresh salt. */
export function hashSecret(secret: string): SecretHash {
  const salt = randomBytes(16).toString("hex");
  return { salt, hash: digest(salt, secret) };
}

/** Whether `secret` is the one hashed. */
export function secretMatches(h: SecretHash, secret: string): boolean {
  const a = Buffer.from(digest(h.salt, secret), "hex");
  const b = Buffer.from(h.hash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

function digest(salt: string, secret: string): string {
  return createHash("sha256").update(`${salt}:${secret}`).digest("hex");
}

const svmNamePattern = /^[A-Za-z_][A-Za-z0-9_.-]{0,46}$/;

/** The cluster's configuration: SVMs, certificates, key managers, volumes. */
export class Model {
  readonly svms = new Map<string, SvmRec>();
  readonly certificates = new Map<string, CertRec>();
  readonly keyManagers = new Map<string, KmRec>();
  readonly volumes = new Map<string, VolumeRec>();

  constructor(readonly cluster: { name: string; uuid: string }) {}

  /** A model with the admin SVM and the given data SVMs, each with its certificates. */
  static seeded(clusterName: string, dataSvms: number | string[]): Model {
    const m = new Model({ name: clusterName, uuid: stableUuid("cluster", clusterName) });
    m.addSvm(clusterName, true);
    m.seedSvms(dataSvms);
    return m;
  }

  /** The admin SVM (owner of cluster-scoped objects). */
  adminSvm(): SvmRec {
    for (const s of this.svms.values()) if (s.admin) return s;
    throw new Error("model has no admin SVM");
  }

  /** An SVM (admin or data) by exact name. */
  svmByName(name: string): SvmRec | undefined {
    for (const s of this.svms.values()) if (s.name === name) return s;
    return undefined;
  }

  /** The enabled key manager of an SVM's scope (the admin SVM's is the cluster one); inactive ones are skipped. */
  keyManagerOf(svmUuid: string): KmRec | undefined {
    for (const k of this.keyManagers.values()) if (k.svmUuid === svmUuid && !k.inactive) return k;
    return undefined;
  }

  /** Every configuration of a scope, enabled and inactive (9.16+). */
  configurationsOf(svmUuid: string): KmRec[] {
    return [...this.keyManagers.values()].filter((k) => k.svmUuid === svmUuid);
  }

  /** The key manager that holds an SVM's volume keys: its own, else the cluster's. */
  effectiveKeyManagerOf(svmUuid: string): KmRec | undefined {
    return this.keyManagerOf(svmUuid) ?? this.keyManagerOf(this.adminSvm().uuid);
  }

  /** Adds data SVMs by name, or N more named "vsK" with the lowest free K. */
  seedSvms(spec: number | string[]): SvmRec[] {
    let names: string[];
    if (typeof spec === "number") {
      if (!Number.isInteger(spec) || spec < 0) throw new Error(`SVM count must be a non-negative integer`);
      names = [];
      for (let k = 0; names.length < spec; k++) if (!this.svmByName(`vs${k}`)) names.push(`vs${k}`);
    } else {
      names = spec;
    }
    return names.map((n) => this.addSvm(n, false));
  }

  /** Renames a data SVM; its UUID (and so its certificates and key manager) stays. */
  renameSvm(name: string, newName: string): SvmRec {
    const svm = this.svmByName(name);
    if (!svm || svm.admin) throw new Error(`no data SVM named "${name}"`);
    if (!svmNamePattern.test(newName)) throw new Error(`"${newName}" is not a valid SVM name`);
    if (this.svmByName(newName)) throw new Error(`SVM "${newName}" already exists`);
    svm.name = newName;
    return svm;
  }

  private addSvm(name: string, admin: boolean): SvmRec {
    if (!svmNamePattern.test(name)) throw new Error(`"${name}" is not a valid SVM name`);
    if (this.svmByName(name)) throw new Error(`SVM "${name}" already exists`);
    const svm: SvmRec = { uuid: stableUuid("svm", this.cluster.name, name), name, admin };
    this.svms.set(svm.uuid, svm);
    for (const c of seedCertificates(svm)) this.certificates.set(c.uuid, c);
    return svm;
  }

  /** The state file's content (passphrases only as salted hashes). */
  toJSON(): StateFile {
    return {
      format: 1,
      cluster: this.cluster,
      svms: [...this.svms.values()],
      certificates: [...this.certificates.values()],
      keyManagers: [...this.keyManagers.values()],
      volumes: [...this.volumes.values()],
    };
  }

  /** A model from a parsed state file. */
  static fromJSON(data: StateFile): Model {
    const m = new Model(data.cluster);
    for (const s of data.svms) m.svms.set(s.uuid, s);
    for (const c of data.certificates) m.certificates.set(c.uuid, c);
    for (const k of data.keyManagers) m.keyManagers.set(k.uuid, k);
    for (const v of data.volumes) m.volumes.set(v.uuid, v);
    m.adminSvm();
    return m;
  }
}

const secretHash = z.object({ salt: z.string(), hash: z.string() });
const stateFileSchema = z.object({
  format: z.literal(1),
  cluster: z.object({ name: z.string(), uuid: z.string() }),
  svms: z.array(z.object({ uuid: z.string(), name: z.string(), admin: z.boolean() })),
  certificates: z.array(
    z.object({
      uuid: z.string(),
      name: z.string(),
      type: z.enum(["client", "server_ca"]),
      svmUuid: z.string(),
      keyPair: z.string(),
      commonName: z.string(),
      serialNumber: z.string(),
      expiryTime: z.string(),
      ca: z.string(),
      publicCertificate: z.string().optional(),
      subjectKeyIdentifier: z.string().optional(),
      keySize: z.number().optional(),
    }),
  ),
  keyManagers: z.array(
    z.object({
      uuid: z.string(),
      svmUuid: z.string(),
      external: z
        .object({
          clientCertificate: z.string(),
          serverCaCertificates: z.array(z.string()),
          servers: z.array(
            z.object({
              server: z.string(),
              timeout: z.number(),
              username: z.string(),
              password: secretHash.optional(),
              holdsKeys: z.boolean(),
              secondary: z.array(z.string()).optional(),
              createRemoveTimeout: z.number().optional(),
            }),
          ),
        })
        .optional(),
      onboard: z
        .object({
          passphrase: secretHash,
          backupSeed: z.string(),
          missingKeysOn: z.array(z.string()).optional(),
        })
        .optional(),
      inactive: z.boolean().optional(),
      configName: z.string().optional(),
      switching: z.string().optional(),
      status: z.object({ code: z.number(), message: z.string() }).optional(),
    }),
  ),
  volumes: z.array(
    z.object({ uuid: z.string(), name: z.string(), svmUuid: z.string(), encrypted: z.boolean() }),
  ),
});

/** The state file's content. */
export type StateFile = z.infer<typeof stateFileSchema>;

/**
 * The state file's kind, without following a symlink: `undefined` when there is none. A symlink is refused
 * (not replaced, not followed): the simulator often runs in CI, where a link planted at the state path could
 * point the write at any file the job may write, and replacing the link would silently move the state.
 */
function stateFileKind(file: string): "file" | undefined {
  let stat;
  try {
    stat = lstatSync(file);
  } catch (err) {
    if ((err as { code?: unknown }).code === "ENOENT") return undefined;
    throw err;
  }
  if (stat.isSymbolicLink()) {
    throw new Error(
      `simulator state file ${file} is a symbolic link; refusing to follow or replace it: give the real path`,
    );
  }
  if (!stat.isFile()) throw new Error(`simulator state file ${file} is not a regular file`);
  return "file";
}

/** Reads a state file, or undefined when there is none. Throws naming the file when it is not ours. */
export function loadState(file: string): Model | undefined {
  if (stateFileKind(file) === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new Error(`simulator state file ${file} is not JSON`, { cause });
  }
  const r = stateFileSchema.safeParse(parsed);
  if (!r.success)
    throw new Error(`simulator state file ${file} is not a simulator state: ${r.error.message}`);
  return Model.fromJSON(r.data);
}

/**
 * Writes the state atomically: a reader sees the old file or the new one, never half of one. The new content
 * goes to a temp file in the same directory with a random name, created exclusively (`O_EXCL`, which also
 * refuses a symlink planted there) with mode 0600, then renamed over the file: the result is a fresh 0600
 * file whatever the mode of the one it replaces.
 */
export function saveState(file: string, model: Model): void {
  stateFileKind(file);
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(12).toString("hex")}.tmp`);
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
    0o600,
  );
  try {
    try {
      writeSync(fd, JSON.stringify(model.toJSON(), null, 1));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already renamed or gone.
    }
    throw err;
  }
}
