import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { type Env, nodeNames } from "./env";
import {
  Code,
  SimulatedOntapError,
  invalidContext,
  invalidValue,
  missingValue,
  notFound,
  refused,
} from "./errors";
import { json } from "./http";
import { newUuid } from "./ids";
import {
  LINKS,
  type CollectionSpec,
  type Shape,
  listResponse,
  parseInstanceQuery,
  parseListQuery,
  parseWriteQuery,
  project,
} from "./query";
import { type Release, hasSecondaryServers } from "./release";
import type { Router } from "./router";
import { normalizeServer } from "./serverAddress";
import { type CertRec, type KmRec, type ServerRec, type SvmRec, hashSecret, secretMatches } from "./state";
import { checkRange, parseBody } from "./validate";
import { runWrite } from "./writes";

/** Default key-server timeout (seconds). */
export const DEFAULT_TIMEOUT = 25;
/** Most key servers a key manager may have. */
export const MAX_SERVERS = 4;

const certRefShape = (later: boolean): Shape => ({
  uuid: true,
  ...(later ? { name: true } : {}),
  _links: LINKS,
});

/** The `connectivity` sub-record of a key server (later releases, expensive). */
export const CONNECTIVITY_SHAPE: Shape = {
  cluster_availability: true,
  node_states: { node: { name: true }, state: true },
};

const specCache = new Map<string, CollectionSpec>();

/** 9.16 on: a scope may hold inactive configurations besides the active one, told apart by `enabled`. */
function hasConfigurations(release: Release): boolean {
  return release.current;
}

/**
 * Status of a key manager with nothing to do: NetApp's own example of `fields=status.message,status.code` answers
 * this pair (the key-managers endpoint overview, as generated into netapp_ontap 9.17.1's security_key_manager.py).
 */
export const STATUS_OK = { code: 65537200, message: "No action needed at this time." } as const;

/** Query spec of `/api/security/key-managers` for a release. */
export function keyManagerSpec(release: Release): CollectionSpec {
  const later = release.later;
  const configurations = hasConfigurations(release);
  const cacheKey = `${release.label}`;
  const cached = specCache.get(cacheKey);
  if (cached) return cached;
  const shape: Shape = {
    uuid: true,
    scope: true,
    svm: { uuid: true, name: true, _links: LINKS },
    external: {
      client_certificate: certRefShape(later),
      server_ca_certificates: certRefShape(later),
      servers: {
        server: true,
        timeout: true,
        username: true,
        ...(later ? { connectivity: CONNECTIVITY_SHAPE } : {}),
        ...(hasSecondaryServers(release) ? { secondary_key_servers: true } : {}),
      },
    },
    onboard: { enabled: true, ...(later ? { key_backup: true } : {}) },
    ...(later
      ? {
          status: { code: true, message: true },
          volume_encryption: { supported: true, message: true, code: true },
          is_default_data_at_rest_encryption_disabled: true,
        }
      : {}),
    ...(configurations ? { enabled: true, configuration: { name: true, uuid: true } } : {}),
    _links: LINKS,
  };
  const spec: CollectionSpec = {
    shape,
    arrays: [
      "external.server_ca_certificates",
      "external.servers",
      "external.servers.connectivity.node_states",
    ],
    expensive: later ? ["status", "onboard.key_backup", "external.servers.connectivity"] : [],
    writeOnly: [
      "onboard.passphrase",
      "onboard.existing_passphrase",
      ...(later ? ["onboard.synchronize"] : []),
    ],
    keys: ["uuid"],
    defaultFields: ["uuid", "scope", "svm"],
  };
  specCache.set(cacheKey, spec);
  return spec;
}

function readable(spec: CollectionSpec): (path: string) => boolean {
  const paths = new Set<string>();
  const walk = (s: Shape, prefix: string): void => {
    for (const [k, v] of Object.entries(s)) {
      const p = prefix ? `${prefix}.${k}` : k;
      paths.add(p);
      if (v !== true) walk(v, p);
    }
  };
  walk(spec.shape, "");
  return (p) => paths.has(p);
}

/** A key server's connectivity as later releases report it. */
export function connectivity(env: Env): Record<string, unknown> {
  return {
    cluster_availability: true,
    node_states: nodeNames(env).map((name) => ({ node: { name }, state: "available" })),
  };
}

function keyBackup(seed: string): string {
  const body = createHash("sha512").update(seed).digest("base64").repeat(4);
  const lines = body.match(/.{1,64}/g) ?? [];
  return [
    "--------------------------BEGIN BACKUP--------------------------",
    ...lines,
    "---------------------------END BACKUP---------------------------",
  ].join("\n");
}

/** A key manager's full record (expensive fields included; projection removes them). */
export function renderKeyManager(env: Env, km: KmRec): Record<string, unknown> {
  const later = env.release.later;
  const svm = env.model.svms.get(km.svmUuid);
  const cluster = svm?.admin ?? true;
  const certRef = (uuid: string): Record<string, unknown> => ({
    uuid,
    ...(later ? { name: env.model.certificates.get(uuid)?.name } : {}),
    _links: { self: { href: `/api/security/certificates/${uuid}` } },
  });
  const rec: Record<string, unknown> = { uuid: km.uuid, scope: cluster ? "cluster" : "svm" };
  if (!cluster && svm) {
    rec.svm = { uuid: svm.uuid, name: svm.name, _links: { self: { href: `/api/svm/svms/${svm.uuid}` } } };
  }
  if (km.external) {
    rec.external = {
      client_certificate: certRef(km.external.clientCertificate),
      server_ca_certificates: km.external.serverCaCertificates.map(certRef),
      servers: km.external.servers.map((s) => ({
        server: s.server,
        timeout: s.timeout,
        username: s.username,
        // Expensive and, on 9.16+, not available for an inactive configuration.
        ...(later && !km.inactive ? { connectivity: connectivity(env) } : {}),
        // In a key-manager record the secondary servers are ONE comma-separated string (key-server records:
        // an array); absent when there are none.
        ...(hasSecondaryServers(env.release) && s.secondary?.length
          ? { secondary_key_servers: s.secondary.join(",") }
          : {}),
      })),
    };
  }
  if (km.onboard)
    rec.onboard = { enabled: true, ...(later ? { key_backup: keyBackup(km.onboard.backupSeed) } : {}) };
  if (later) {
    if (!km.inactive) rec.status = km.status ? { ...km.status } : { ...STATUS_OK };
    rec.volume_encryption = { supported: true, message: "", code: 0 };
    rec.is_default_data_at_rest_encryption_disabled = false;
  }
  if (hasConfigurations(env.release)) {
    rec.enabled = !km.inactive;
    rec.configuration = { name: km.configName ?? "default", uuid: km.uuid };
  }
  rec._links = { self: { href: `/api/security/key-managers/${km.uuid}` } };
  return rec;
}

const ref = z.strictObject({ uuid: z.string().optional(), name: z.string().optional() });
type Ref = z.infer<typeof ref>;
const serverInput = z.strictObject({
  server: z.string(),
  timeout: z.number().int().optional(),
  username: z.string().optional(),
});

function postSchema(later: boolean) {
  return z.strictObject({
    svm: ref.optional(),
    external: z
      .strictObject({
        client_certificate: ref.optional(),
        server_ca_certificates: z.array(ref).optional(),
        servers: z.array(serverInput).optional(),
      })
      .optional(),
    onboard: z
      .strictObject({
        passphrase: z.string().optional(),
        ...(later ? { synchronize: z.boolean().optional() } : {}),
      })
      .optional(),
  });
}

function patchSchema(later: boolean) {
  return z.strictObject({
    external: z
      .strictObject({ client_certificate: ref.optional(), server_ca_certificates: z.array(ref).optional() })
      .optional(),
    onboard: z
      .strictObject({
        passphrase: z.string().optional(),
        existing_passphrase: z.string().optional(),
        ...(later ? { synchronize: z.boolean().optional() } : {}),
      })
      .optional(),
  });
}

/** Passphrase rule: 32 to 256 ASCII characters (printable). */
export function passphraseValid(p: string): boolean {
  return p.length >= 32 && p.length <= 256 && /^[\x20-\x7e]*$/.test(p);
}

function requireRef(r: Ref | undefined, target: string): void {
  if (r && r.uuid === undefined && r.name === undefined) throw missingValue(`${target}.uuid`);
}

/** Resolves `svm {uuid|name}`; the admin SVM means cluster scope. 2621462 when there is no such SVM. */
export function resolveSvm(env: Env, r: Ref | undefined): SvmRec {
  if (!r) return env.model.adminSvm();
  requireRef(r, "svm");
  const byUuid = r.uuid !== undefined ? env.model.svms.get(r.uuid) : undefined;
  const byName = r.name !== undefined ? env.model.svmByName(r.name) : undefined;
  if (r.uuid !== undefined && !byUuid) {
    throw new SimulatedOntapError(400, "2621462", `SVM "${r.uuid}" does not exist.`, "svm.uuid");
  }
  if (r.name !== undefined && !byName) {
    throw new SimulatedOntapError(400, "2621462", `SVM "${r.name}" does not exist.`, "svm.name");
  }
  if (byUuid && byName && byUuid !== byName) {
    throw invalidValue("svm.name", "svm.name and svm.uuid name different SVMs");
  }
  const svm = byUuid ?? byName;
  if (!svm) throw missingValue("svm.uuid");
  return svm;
}

/** Resolves a certificate reference in the key manager's scope; 65536821 when it is not installed there. */
function resolveCert(env: Env, r: Ref, owner: SvmRec, type: CertRec["type"], target: string): CertRec {
  let c: CertRec | undefined;
  if (r.uuid !== undefined) {
    c = env.model.certificates.get(r.uuid);
    if (c && r.name !== undefined && c.name !== r.name) c = undefined;
  } else {
    for (const x of env.model.certificates.values()) {
      if (x.name === r.name && x.svmUuid === owner.uuid && x.type === type) c = x;
    }
  }
  if (!c || c.svmUuid !== owner.uuid || c.type !== type) {
    const label = r.name ?? r.uuid ?? "";
    const where = owner.admin ? "the cluster" : `SVM "${owner.name}"`;
    throw refused(
      Code.certNotInstalled,
      `Certificate "${label}" is not installed in ${where} as a ${type} certificate.`,
      target,
    );
  }
  return c;
}

/** Normalises servers of a request: format (262185) and timeout range; duplicates are left to the subsystem. */
export function normalizeServers(servers: z.infer<typeof serverInput>[], target: string): ServerRec[] {
  return servers.map((s) => {
    const n = normalizeServer(s.server);
    if ("problem" in n) throw invalidValue(`${target}server`, n.problem);
    checkRange(s.timeout, 1, 60, `${target}timeout`);
    return {
      server: n.server,
      timeout: s.timeout ?? DEFAULT_TIMEOUT,
      username: s.username ?? "",
      holdsKeys: false,
    };
  });
}

/** 65536871 when a server appears twice (after normalisation). */
export function refuseDuplicates(servers: string[], target: string): void {
  const seen = new Set<string>();
  for (const s of servers) {
    if (seen.has(s)) throw refused(Code.duplicateServers, `Duplicate key management server "${s}".`, target);
    seen.add(s);
  }
}

function scopeLabel(svm: SvmRec): string {
  return svm.admin ? "the cluster" : `SVM "${svm.name}"`;
}

/** Encrypted volumes whose keys this key manager holds. */
function dependentEncryptedVolumes(env: Env, km: KmRec): { svm: string }[] {
  const out: { svm: string }[] = [];
  for (const v of env.model.volumes.values()) {
    if (!v.encrypted) continue;
    if (env.model.effectiveKeyManagerOf(v.svmUuid) === km)
      out.push({ svm: env.model.svms.get(v.svmUuid)?.name ?? "" });
  }
  return out;
}

/** `/api/security/key-managers` and `/api/security/key-managers/{uuid}`. */
export function registerKeyManagerRoutes(router: Router, env: Env): void {
  const base = "/api/security/key-managers";
  const spec = keyManagerSpec(env.release);
  const isReadable = readable(spec);

  router.add(base, {
    GET: (ctx) => {
      const q = parseListQuery(ctx.pairs, spec);
      const all = [...env.model.keyManagers.values()].map((k) => renderKeyManager(env, k));
      return json(200, listResponse(all, q, spec, base, ctx.rawQuery));
    },

    POST: (ctx) => {
      const q = parseWriteQuery(ctx.pairs, { returnRecords: true, createInactive: env.release.current });
      const body = parseBody(postSchema(env.release.later), ctx.body, isReadable);
      const owner = resolveSvm(env, body.svm);
      if (body.external && body.onboard) throw invalidContext("onboard", "external");
      if (!body.external && !body.onboard) {
        throw new SimulatedOntapError(
          400,
          "262212",
          'Request is missing a required value: "external" or "onboard".',
          "external",
        );
      }
      const ext = body.external;
      const servers = ext ? normalizeServers(ext.servers ?? [], "external.servers.") : [];
      if (ext) {
        requireRef(ext.client_certificate, "external.client_certificate");
        for (const c of ext.server_ca_certificates ?? []) requireRef(c, "external.server_ca_certificates");
      }
      const passphrase = body.onboard?.passphrase;
      if (body.onboard && passphrase === undefined) throw missingValue("onboard.passphrase");

      return runWrite(env, ctx, q, {
        description: `POST ${base}`,
        successStatus: 201,
        apply: () => {
          // create_inactive: a configuration beside the enabled one; only one inactive one of each kind.
          const existing = q.createInactive
            ? env.model
                .configurationsOf(owner.uuid)
                .find((k) => k.inactive && (passphrase !== undefined ? k.onboard : k.external))
            : env.model.keyManagerOf(owner.uuid);
          let km: KmRec;
          if (passphrase !== undefined) {
            if (!passphraseValid(passphrase)) {
              throw refused(
                Code.passphraseLengthPost,
                "The passphrase must be 32 to 256 ASCII characters long.",
                "onboard.passphrase",
              );
            }
            if (!owner.admin) {
              throw refused(
                Code.onboardOnlyAdminSvm,
                "Onboard key management can only be configured for the admin SVM (cluster scope).",
                "svm",
              );
            }
            if (existing?.onboard || (q.createInactive && env.model.keyManagerOf(owner.uuid)?.onboard)) {
              throw refused(Code.onboardAlreadyEnabled, "Onboard key management is already configured.");
            }
            if (existing) {
              throw refused(
                Code.alreadyHasKeyManager,
                `A key manager is already configured for ${scopeLabel(owner)}.`,
              );
            }
            km = {
              uuid: newUuid(),
              svmUuid: owner.uuid,
              onboard: { passphrase: hashSecret(passphrase), backupSeed: randomBytes(32).toString("hex") },
            };
            if (q.createInactive) km.inactive = true;
          } else {
            if (existing) {
              throw refused(
                Code.alreadyHasKeyManager,
                `A key manager is already configured for ${scopeLabel(owner)}.`,
                owner.admin ? undefined : "svm.uuid",
              );
            }
            const e = ext ?? {};
            if (!e.client_certificate || !e.server_ca_certificates?.length || servers.length === 0) {
              throw refused(
                Code.externalIncomplete,
                "External key management needs a client certificate, at least one server CA certificate and at least one key server.",
                "external",
              );
            }
            if (servers.length > MAX_SERVERS) {
              throw refused(
                Code.maxServers,
                `At most ${MAX_SERVERS} key servers can be configured.`,
                "external.servers",
              );
            }
            refuseDuplicates(
              servers.map((s) => s.server),
              "external.servers",
            );
            const client = resolveCert(
              env,
              e.client_certificate,
              owner,
              "client",
              "external.client_certificate",
            );
            const cas = e.server_ca_certificates.map((r) =>
              resolveCert(env, r, owner, "server_ca", "external.server_ca_certificates"),
            );
            km = {
              uuid: newUuid(),
              svmUuid: owner.uuid,
              external: {
                clientCertificate: client.uuid,
                serverCaCertificates: [...new Set(cas.map((c) => c.uuid))],
                servers,
              },
            };
            if (q.createInactive) km.inactive = true;
          }
          env.model.keyManagers.set(km.uuid, km);
          const location = { location: `${base}/${km.uuid}` };
          if (!q.returnRecords) return json(201, {}, location);
          return json(
            201,
            {
              num_records: 1,
              records: [project(renderKeyManager(env, km), { star: true, all: false, paths: [] }, spec)],
            },
            location,
          );
        },
      });
    },
  });

  router.add(`${base}/:uuid`, {
    GET: (ctx) => {
      const sel = parseInstanceQuery(ctx.pairs, spec);
      const km = env.model.keyManagers.get(ctx.params.uuid ?? "");
      if (!km) throw notFound();
      return json(200, project(renderKeyManager(env, km), sel, spec));
    },

    PATCH: (ctx) => {
      const uuid = ctx.params.uuid ?? "";
      const q = parseWriteQuery(ctx.pairs, {});
      if (!env.model.keyManagers.has(uuid)) throw notFound();
      const body = parseBody(patchSchema(env.release.later), ctx.body, isReadable);
      if (body.external && body.onboard) throw invalidContext("onboard", "external");
      const ext = body.external;
      if (
        !body.onboard &&
        (!ext || (ext.client_certificate === undefined && ext.server_ca_certificates === undefined))
      ) {
        throw new SimulatedOntapError(
          400,
          "262190",
          "You must provide one or more values to apply your changes.",
        );
      }
      if (ext) {
        requireRef(ext.client_certificate, "external.client_certificate");
        for (const c of ext.server_ca_certificates ?? []) requireRef(c, "external.server_ca_certificates");
      }
      const ob = body.onboard;
      if (ob && env.model.keyManagers.get(uuid)?.external) {
        throw new SimulatedOntapError(
          400,
          "262186",
          'Field "onboard" cannot be used with a key manager in external mode.',
          "onboard",
        );
      }
      return runWrite(env, ctx, q, {
        description: `PATCH ${base}/${uuid}`,
        successStatus: 200,
        apply: () => {
          const km = env.model.keyManagers.get(uuid);
          if (!km) throw notFound();
          const owner = env.model.svms.get(km.svmUuid) ?? env.model.adminSvm();
          if (ext) {
            if (!km.external) {
              throw refused(
                Code.externalNotEnabled,
                `External key management is not enabled for ${scopeLabel(owner)}.`,
                "external",
              );
            }
            let client: CertRec | undefined;
            if (ext.client_certificate) {
              client = resolveCert(
                env,
                ext.client_certificate,
                owner,
                "client",
                "external.client_certificate",
              );
              const current = env.model.certificates.get(km.external.clientCertificate);
              if (current && current.uuid !== client.uuid && current.keyPair !== client.keyPair) {
                throw refused(
                  Code.differentKeyPair,
                  "The new client certificate has a different key pair than the current one.",
                  "external.client_certificate",
                );
              }
            }
            let cas: CertRec[] | undefined;
            if (ext.server_ca_certificates) {
              if (ext.server_ca_certificates.length === 0) {
                throw refused(
                  Code.externalIncomplete,
                  "External key management needs at least one server CA certificate.",
                  "external.server_ca_certificates",
                );
              }
              cas = ext.server_ca_certificates.map((r) =>
                resolveCert(env, r, owner, "server_ca", "external.server_ca_certificates"),
              );
            }
            if (client) km.external.clientCertificate = client.uuid;
            if (cas) km.external.serverCaCertificates = [...new Set(cas.map((c) => c.uuid))];
          }
          if (ob) {
            if (!km.onboard) {
              throw new SimulatedOntapError(
                400,
                "262186",
                'Field "onboard" cannot be used with a key manager in external mode.',
                "onboard",
              );
            }
            if (ob.synchronize !== undefined && ob.passphrase === undefined) {
              // Sync: copies the onboard keys to the nodes that miss them. With existing_passphrase (the
              // MetroCluster partner-site form) the passphrase must be the one in use.
              if (
                ob.existing_passphrase !== undefined &&
                !secretMatches(km.onboard.passphrase, ob.existing_passphrase)
              ) {
                throw refused(
                  Code.existingPassphraseWrong,
                  "The existing passphrase is not correct.",
                  "onboard.existing_passphrase",
                );
              }
              if (ob.synchronize) delete km.onboard.missingKeysOn;
              return json(200, {});
            }
            const rotating = ob.passphrase !== undefined || ob.existing_passphrase !== undefined;
            if (rotating || !("synchronize" in ob)) {
              if (ob.passphrase === undefined || ob.existing_passphrase === undefined) {
                throw refused(
                  Code.rotationNeedsBoth,
                  "Changing the passphrase needs both the existing and the new passphrase.",
                  "onboard.existing_passphrase",
                );
              }
              if (!passphraseValid(ob.passphrase)) {
                throw refused(
                  Code.passphraseLengthPatch,
                  "The passphrase must be 32 to 256 ASCII characters long.",
                  "onboard.passphrase",
                );
              }
              if (!secretMatches(km.onboard.passphrase, ob.existing_passphrase)) {
                throw refused(
                  Code.existingPassphraseWrong,
                  "The existing passphrase is not correct.",
                  "onboard.existing_passphrase",
                );
              }
              if (secretMatches(km.onboard.passphrase, ob.passphrase)) {
                throw refused(
                  Code.newPassphraseSame,
                  "The new passphrase is the same as the existing one.",
                  "onboard.passphrase",
                );
              }
              km.onboard = {
                passphrase: hashSecret(ob.passphrase),
                backupSeed: randomBytes(32).toString("hex"),
              };
            }
          }
          return json(200, {});
        },
      });
    },

    DELETE: (ctx) => {
      const uuid = ctx.params.uuid ?? "";
      const q = parseWriteQuery(ctx.pairs, {});
      if (!env.model.keyManagers.has(uuid)) throw notFound();
      return runWrite(env, ctx, q, {
        description: `DELETE ${base}/${uuid}`,
        successStatus: 200,
        apply: () => {
          const km = env.model.keyManagers.get(uuid);
          if (!km) throw notFound();
          const vols = dependentEncryptedVolumes(env, km);
          if (vols[0]) {
            throw refused(
              Code.encryptedVolumesExist,
              `The key manager cannot be deleted: encrypted volumes exist in SVM "${vols[0].svm}".`,
            );
          }
          env.model.keyManagers.delete(uuid);
          return json(200, {});
        },
      });
    },
  });
}
