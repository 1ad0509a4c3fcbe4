import { z } from "zod";
import type { Env } from "./env";
import { Code, SimulatedOntapError, invalidContext, missingValue, notFound, refused } from "./errors";
import { json } from "./http";
import {
  CONNECTIVITY_SHAPE,
  MAX_SERVERS,
  connectivity,
  normalizeServers,
  refuseDuplicates,
} from "./keyManagers";
import {
  LINKS,
  type CollectionSpec,
  listResponse,
  parseInstanceQuery,
  parseListQuery,
  parseWriteQuery,
  project,
} from "./query";
import { type Release, hasSecondaryServers, hasWiderTimeouts, knowsSecondaryServers } from "./release";
import type { Router } from "./router";
import { normalizeServer } from "./serverAddress";
import { type KmRec, type ServerRec, hashSecret } from "./state";
import { checkRange, parseBody } from "./validate";
import { runWrite } from "./writes";

const specCache = new Map<string, CollectionSpec>();

/** Default `create_remove_timeout` (9.14+; the reference documents no default: the I/O timeout's is used). */
export const DEFAULT_CREATE_REMOVE_TIMEOUT = 25;

/** Most secondary servers per primary: "one primary key server and up to three secondary key servers" (KB). */
export const MAX_SECONDARY_SERVERS = 3;

/** Lowest key-server timeout a release accepts: 9.14 on document -1 (wait indefinitely) and 0 (do not wait). */
export function minTimeout(release: Release): number {
  return hasWiderTimeouts(release) ? -1 : 1;
}

/** Query spec of `/api/security/key-managers/{uuid}/key-servers` for a release. */
export function keyServerSpec(release: Release): CollectionSpec {
  const later = release.later;
  const secondaries = hasSecondaryServers(release);
  const wider = hasWiderTimeouts(release);
  const key = `${later}/${wider}/${secondaries}`;
  const cached = specCache.get(key);
  if (cached) return cached;
  const spec: CollectionSpec = {
    shape: {
      uuid: true,
      server: true,
      timeout: true,
      username: true,
      ...(later ? { connectivity: CONNECTIVITY_SHAPE } : {}),
      ...(secondaries ? { secondary_key_servers: true } : {}),
      ...(wider ? { create_remove_timeout: true } : {}),
      _links: LINKS,
    },
    arrays: ["connectivity.node_states", ...(secondaries ? ["secondary_key_servers"] : [])],
    expensive: later ? ["connectivity"] : [],
    // The 9.6 PATCH page documents `password` already (write-only).
    writeOnly: ["password"],
    keys: ["uuid", "server"],
    defaultFields: ["uuid", "server"],
  };
  specCache.set(key, spec);
  return spec;
}

/** The href of a key server: the server URL-encoded (`host%3Aport`). */
export function keyServerHref(kmUuid: string, server: string): string {
  return `/api/security/key-managers/${kmUuid}/key-servers/${encodeURIComponent(server)}`;
}

/** A key server's full record. */
export function renderKeyServer(env: Env, km: KmRec, s: ServerRec): Record<string, unknown> {
  return {
    uuid: km.uuid,
    server: s.server,
    timeout: s.timeout,
    username: s.username,
    ...(env.release.later && !km.inactive ? { connectivity: connectivity(env) } : {}),
    // An array here (a key-manager record has one comma-separated string); absent when there are none.
    ...(hasSecondaryServers(env.release) && s.secondary?.length
      ? { secondary_key_servers: [...s.secondary] }
      : {}),
    ...(hasWiderTimeouts(env.release)
      ? { create_remove_timeout: s.createRemoveTimeout ?? DEFAULT_CREATE_REMOVE_TIMEOUT }
      : {}),
    _links: { self: { href: keyServerHref(km.uuid, s.server) } },
  };
}

// The POST body carries addresses only: the 9.6 reference lists `server`, `records` and `password` for it, and
// NetApp's generated 9.19 client marks `timeout`/`username` patch-only. A readable field sent here is refused
// with 262196 (cannot be set in this operation), as a cluster's REST framework does.
const postSchema = z.strictObject({
  server: z.string().optional(),
  records: z.array(z.strictObject({ server: z.string() })).optional(),
});
interface PatchBody {
  timeout?: number;
  username?: string;
  password?: string;
  secondary_key_servers?: string[];
  create_remove_timeout?: number;
}
// `password` is in the 9.6 PATCH page's body (ontap-restapi-96/patch-security-key-managers-key-servers-.html).
const patchSchema96: z.ZodType<PatchBody> = z.strictObject({
  timeout: z.number().int().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
});
// 9.8 to 9.15: `secondary_key_servers` is in the body (refused with 65538503 before 9.11.1).
const patchSchemaLater: z.ZodType<PatchBody> = z.strictObject({
  timeout: z.number().int().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  secondary_key_servers: z.array(z.string()).optional(),
});

const patchSchemaCurrent: z.ZodType<PatchBody> = z.strictObject({
  timeout: z.number().int().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  secondary_key_servers: z.array(z.string()).optional(),
  create_remove_timeout: z.number().int().optional(),
});

/**
 * Checks secondary key servers against their primary and the key manager's other primaries (9.16+; the
 * reference's codes are those of the key-server PATCH) and returns them as given, trimmed.
 */
function checkSecondaries(list: string[], primary: ServerRec, all: ServerRec[]): string[] {
  if (list.length > MAX_SECONDARY_SERVERS) {
    throw refused(
      Code.maxSecondaryServers,
      `A primary key server can have at most ${MAX_SECONDARY_SERVERS} secondary key servers.`,
      "secondary_key_servers",
    );
  }
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of list) {
    const n = normalizeServer(raw.trim());
    if ("problem" in n) {
      throw refused(
        Code.secondaryFormat,
        `A secondary key server address is not formatted correctly: ${n.problem}.`,
        "secondary_key_servers",
      );
    }
    if (n.server === primary.server) {
      throw refused(
        Code.secondaryIsItsPrimary,
        "A secondary key server is a duplicate of the associated primary key server.",
        "secondary_key_servers",
      );
    }
    if (all.some((o) => o !== primary && o.server === n.server)) {
      throw refused(
        Code.secondaryIsAPrimary,
        "A secondary key server is also a primary key server.",
        "secondary_key_servers",
      );
    }
    if (seen.has(n.server)) {
      throw refused(
        Code.secondaryDuplicates,
        "The list of secondary key servers contains duplicates.",
        "secondary_key_servers",
      );
    }
    seen.add(n.server);
    out.push(raw.trim());
  }
  return out;
}

/** Looks a server up by its path form (raw or URL-decoded `host:port`; a missing port means 5696). */
function findServer(km: KmRec, pathServer: string): ServerRec | undefined {
  const n = normalizeServer(pathServer);
  const key = "server" in n ? n.server : pathServer;
  return km.external?.servers.find((s) => s.server === key);
}

/** `/api/security/key-managers/{uuid}/key-servers[/{server}]`. */
export function registerKeyServerRoutes(router: Router, env: Env): void {
  const spec = keyServerSpec(env.release);
  const shapePaths = new Set(["uuid", "server", "timeout", "username", "connectivity", "_links"]);
  if (hasSecondaryServers(env.release)) shapePaths.add("secondary_key_servers");
  if (hasWiderTimeouts(env.release)) shapePaths.add("create_remove_timeout");
  const isReadable = (p: string): boolean => shapePaths.has(p) && (env.release.later || p !== "connectivity");
  const kmOr404 = (uuid: string | undefined): KmRec => {
    const km = env.model.keyManagers.get(uuid ?? "");
    if (!km) throw notFound();
    return km;
  };
  const externalOr828 = (km: KmRec): NonNullable<KmRec["external"]> => {
    if (!km.external) {
      throw refused(
        Code.externalNotEnabled,
        "External key management is not enabled for this key manager's scope.",
      );
    }
    return km.external;
  };
  const notConfigured = (server: string): SimulatedOntapError =>
    refused(
      Code.serverNotConfigured,
      `Key server "${server}" is not configured for this key manager.`,
      "server",
    );

  router.add("/api/security/key-managers/:uuid/key-servers", {
    GET: (ctx) => {
      const q = parseListQuery(ctx.pairs, spec);
      const km = kmOr404(ctx.params.uuid);
      const all = (km.external?.servers ?? []).map((s) => renderKeyServer(env, km, s));
      const base = `/api/security/key-managers/${km.uuid}/key-servers`;
      return json(200, listResponse(all, q, spec, base, ctx.rawQuery));
    },

    POST: (ctx) => {
      const q = parseWriteQuery(ctx.pairs, { returnRecords: true });
      const kmUuid = kmOr404(ctx.params.uuid).uuid;
      const body = parseBody(postSchema, ctx.body, (p) => isReadable(p.replace(/^records\./, "")));
      let incoming: ServerRec[];
      if (body.records) {
        if (body.server !== undefined) throw invalidContext("records", "server");
        if (body.records.length === 0) throw missingValue("records");
        incoming = normalizeServers(body.records, "records.");
      } else {
        if (body.server === undefined) throw missingValue("server");
        incoming = normalizeServers([{ server: body.server }], "");
      }
      return runWrite(env, ctx, q, {
        description: `POST /api/security/key-managers/${kmUuid}/key-servers`,
        successStatus: 201,
        apply: () => {
          const km = kmOr404(kmUuid);
          const ext = externalOr828(km);
          if (ext.servers.length + incoming.length > MAX_SERVERS) {
            throw refused(
              Code.maxServers,
              `At most ${MAX_SERVERS} key servers can be configured (${ext.servers.length} already are).`,
              body.records ? "records" : "server",
            );
          }
          refuseDuplicates(
            [...ext.servers, ...incoming].map((s) => s.server),
            body.records ? "records.server" : "server",
          );
          ext.servers.push(...incoming);
          const first = incoming[0];
          const headers = first ? { location: keyServerHref(km.uuid, first.server) } : undefined;
          if (!q.returnRecords) return json(201, {}, headers);
          const records = incoming.map((s) =>
            project(renderKeyServer(env, km, s), { star: true, all: false, paths: [] }, spec),
          );
          return json(201, { num_records: records.length, records }, headers);
        },
      });
    },
  });

  router.add("/api/security/key-managers/:uuid/key-servers/:server", {
    GET: (ctx) => {
      const sel = parseInstanceQuery(ctx.pairs, spec);
      const km = kmOr404(ctx.params.uuid);
      const s = findServer(km, ctx.params.server ?? "");
      if (!s) throw notFound();
      return json(200, project(renderKeyServer(env, km, s), sel, spec));
    },

    PATCH: (ctx) => {
      const q = parseWriteQuery(ctx.pairs, {});
      const kmUuid = kmOr404(ctx.params.uuid).uuid;
      const pathServer = ctx.params.server ?? "";
      const schema = hasWiderTimeouts(env.release)
        ? patchSchemaCurrent
        : knowsSecondaryServers(env.release)
          ? patchSchemaLater
          : patchSchema96;
      const body = parseBody(schema, ctx.body, isReadable);
      const password = body.password;
      if (
        body.timeout === undefined &&
        body.username === undefined &&
        password === undefined &&
        body.secondary_key_servers === undefined &&
        body.create_remove_timeout === undefined
      ) {
        throw new SimulatedOntapError(
          400,
          "262190",
          "You must provide one or more values to apply your changes.",
        );
      }
      checkRange(body.timeout, minTimeout(env.release), 60, "timeout");
      checkRange(body.create_remove_timeout, -1, 60, "create_remove_timeout");
      return runWrite(env, ctx, q, {
        description: `PATCH /api/security/key-managers/${kmUuid}/key-servers/${pathServer}`,
        successStatus: 200,
        apply: () => {
          const km = kmOr404(kmUuid);
          externalOr828(km);
          const s = findServer(km, pathServer);
          if (!s) throw notConfigured(pathServer);
          const username = body.username ?? s.username;
          if (password === "") {
            // The 9.6 page's "Missing password" (65536846): a password to set must have a value.
            throw refused(Code.missingPassword, "Missing password.", "password");
          }
          if (password !== undefined && username === "") {
            throw refused(
              Code.missingUsername,
              "A username is required to set a key-server password.",
              "username",
            );
          }
          if (body.secondary_key_servers !== undefined && !hasSecondaryServers(env.release)) {
            throw refused(
              Code.secondaryNeeds9111,
              "Support for adding secondary key servers requires an ECV of ONTAP 9.11.1 or later.",
              "secondary_key_servers",
            );
          }
          const secondary =
            body.secondary_key_servers === undefined
              ? undefined
              : checkSecondaries(body.secondary_key_servers, s, km.external?.servers ?? []);
          if (body.timeout !== undefined) s.timeout = body.timeout;
          if (secondary !== undefined) s.secondary = secondary;
          if (body.create_remove_timeout !== undefined) s.createRemoveTimeout = body.create_remove_timeout;
          s.username = username;
          if (password !== undefined) s.password = hashSecret(password);
          return json(200, {});
        },
      });
    },

    DELETE: (ctx) => {
      const q = parseWriteQuery(ctx.pairs, { force: env.release.later });
      const kmUuid = kmOr404(ctx.params.uuid).uuid;
      const pathServer = ctx.params.server ?? "";
      return runWrite(env, ctx, q, {
        description: `DELETE /api/security/key-managers/${kmUuid}/key-servers/${pathServer}`,
        successStatus: 200,
        apply: () => {
          const km = kmOr404(kmUuid);
          const ext = externalOr828(km);
          const s = findServer(km, pathServer);
          if (!s) throw notConfigured(pathServer);
          if (s.holdsKeys && !q.force && !ext.servers.some((o) => o !== s && o.holdsKeys)) {
            throw refused(
              Code.serverHoldsKeys,
              `Key server "${s.server}" holds keys in use that no other configured key server has.`,
              "server",
            );
          }
          ext.servers = ext.servers.filter((o) => o !== s);
          return json(200, {});
        },
      });
    },
  });
}
