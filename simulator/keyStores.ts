/**
 * `/api/security/key-stores` (GET 9.10+, PATCH/DELETE 9.14+; the admin SVM's onboard/external switch and
 * `state` 9.16+), the per-node key listing `/api/security/key-managers/{uuid}/keys/{node.uuid}/key-ids` and
 * the `/api/cluster/nodes` it needs. Sources are in the README's "9.16 and later".
 */
import { z } from "zod";
import { type Env, nodeNames } from "./env";
import { Code, SimulatedOntapError, notFound, refused } from "./errors";
import { json } from "./http";
import { stableUuid } from "./ids";
import {
  LINKS,
  type CollectionSpec,
  listResponse,
  parseInstanceQuery,
  parseListQuery,
  parseWriteQuery,
  project,
} from "./query";
import { type Release, atLeast } from "./release";
import type { Router } from "./router";
import type { KmRec } from "./state";
import { parseBody } from "./validate";
import { runWrite } from "./writes";

const specCache = new Map<boolean, CollectionSpec>();

/** Query spec of `/api/security/key-stores`. */
export function keyStoreSpec(release: Release): CollectionSpec {
  const cached = specCache.get(release.current);
  if (cached) return cached;
  const spec: CollectionSpec = {
    shape: {
      uuid: true,
      configuration: { name: true, uuid: true, _links: LINKS },
      enabled: true,
      location: true,
      type: true,
      ...(release.current ? { state: true } : {}),
      scope: true,
      svm: { name: true, uuid: true, _links: LINKS },
      _links: LINKS,
    },
    arrays: [],
    expensive: [],
    writeOnly: [],
    keys: ["uuid"],
    defaultFields: ["uuid", "configuration", "enabled", "location", "type", "svm"],
  };
  specCache.set(release.current, spec);
  return spec;
}

/** Whether a key-store switch to or from this configuration is still running. */
export function isSwitching(env: Env, km: KmRec): boolean {
  if (!km.switching) return false;
  const state = env.jobs.get(km.switching)?.state;
  return state === "queued" || state === "running";
}

/** A configuration as a key-store record. */
export function renderKeyStore(env: Env, km: KmRec): Record<string, unknown> {
  const svm = env.model.svms.get(km.svmUuid);
  const cluster = svm?.admin ?? true;
  const rec: Record<string, unknown> = {
    uuid: km.uuid,
    configuration: {
      name: km.configName ?? "default",
      uuid: km.uuid,
      _links: { self: { href: `/api/security/key-managers/${km.uuid}` } },
    },
    enabled: !km.inactive,
    location: km.onboard ? "onboard" : "external",
    type: km.onboard ? "okm" : "kmip",
    scope: cluster ? "cluster" : "svm",
  };
  // `state` is that of the scope's key manager: the enabled configuration reads `active` (or `switching`
  // while a switch runs); an inactive one reads `switching` during a switch and has none otherwise.
  if (env.release.current) {
    if (isSwitching(env, km)) rec.state = "switching";
    else if (!km.inactive) rec.state = "active";
  }
  if (!cluster && svm) {
    rec.svm = { name: svm.name, uuid: svm.uuid, _links: { self: { href: `/api/svm/svms/${svm.uuid}` } } };
  }
  rec._links = { self: { href: `/api/security/key-stores/${km.uuid}` } };
  return rec;
}

const patchSchema = z.strictObject({ enabled: z.boolean().optional() });

/** Node UUID of a simulated node (stable per cluster and node name). */
export function nodeUuid(env: Env, name: string): string {
  return stableUuid("node", env.model.cluster.name, name);
}

const nodeSpec: CollectionSpec = {
  shape: { uuid: true, name: true, _links: LINKS },
  arrays: [],
  expensive: [],
  writeOnly: [],
  keys: ["uuid"],
  defaultFields: ["uuid", "name"],
};

const keyIdSpec: CollectionSpec = {
  shape: {
    key_id: true,
    key_type: true,
    restored: true,
    key_store: true,
    key_store_type: true,
    key_manager: true,
    key_user: true,
    node: { uuid: true, name: true },
    security_key_manager: { uuid: true },
    svm: { name: true },
    _links: LINKS,
  },
  arrays: [],
  expensive: [],
  writeOnly: [],
  keys: ["key_id"],
  defaultFields: ["key_id", "key_type", "restored", "node", "security_key_manager"],
};

/** Keys a configuration holds: its SVM key encryption key and one volume key per encrypted volume. */
function keyIds(env: Env, km: KmRec, node: string): Record<string, unknown>[] {
  const owner = env.model.svms.get(km.svmUuid);
  const users: { type: string; user: string; tag: string }[] = [
    { type: "svm_kek", user: owner?.name ?? "", tag: km.uuid },
  ];
  for (const v of env.model.volumes.values()) {
    if (v.encrypted && !km.inactive && env.model.effectiveKeyManagerOf(v.svmUuid) === km) {
      users.push({ type: "vek", user: env.model.svms.get(v.svmUuid)?.name ?? "", tag: v.uuid });
    }
  }
  const missing = km.onboard?.missingKeysOn?.includes(node) ?? false;
  return users.map((u) => {
    const keyId = stableUuid("key", km.uuid, u.tag).replace(/-/g, "").repeat(2);
    return {
      key_id: keyId,
      key_type: u.type,
      // A node that joined after the onboard keys were made (or the MetroCluster partner site) lacks them
      // until `onboard.synchronize`: its keys read `restored: false`.
      restored: !missing,
      key_store: km.onboard ? "onboard" : "external",
      key_store_type: km.onboard ? "okm" : "kmip",
      key_manager: km.onboard ? "onboard" : "external",
      key_user: u.user,
      node: { uuid: nodeUuid(env, node), name: node },
      security_key_manager: { uuid: km.uuid },
      svm: { name: owner?.name ?? "" },
      _links: {
        self: { href: `/api/security/key-managers/${km.uuid}/keys/${nodeUuid(env, node)}/key-ids/${keyId}` },
      },
    };
  });
}

/** Registers the routes the release has. */
export function registerKeyStoreRoutes(router: Router, env: Env): void {
  const release = env.release;
  if (atLeast(release, 9, 10)) registerNodeAndKeyRoutes(router, env);
  if (!atLeast(release, 9, 10)) return;
  const base = "/api/security/key-stores";
  const spec = keyStoreSpec(release);
  const writable = atLeast(release, 9, 14);
  const isReadable = (p: string): boolean =>
    ["uuid", "configuration", "location", "type", "svm", "scope", "state"].includes(p.split(".")[0] ?? "");
  const configOr908 = (uuid: string): KmRec => {
    const km = env.model.keyManagers.get(uuid);
    if (!km) {
      throw refused(
        Code.keyStoreNotFound,
        "The specified keystore configuration UUID either does not exist or corresponds to a keystore configuration that is not supported by this operation.",
      );
    }
    return km;
  };

  router.add(base, {
    GET: (ctx) => {
      const q = parseListQuery(ctx.pairs, spec);
      const all = [...env.model.keyManagers.values()].map((k) => renderKeyStore(env, k));
      return json(200, listResponse(all, q, spec, base, ctx.rawQuery));
    },
  });

  router.add(`${base}/:uuid`, {
    GET: (ctx) => {
      const sel = parseInstanceQuery(ctx.pairs, spec);
      const km = env.model.keyManagers.get(ctx.params.uuid ?? "");
      if (!km) throw notFound();
      return json(200, project(renderKeyStore(env, km), sel, spec));
    },

    ...(writable
      ? {
          PATCH: (ctx) => {
            const uuid = ctx.params.uuid ?? "";
            const q = parseWriteQuery(ctx.pairs, {});
            const body = parseBody(patchSchema, ctx.body, isReadable);
            // Checks of the switch, decided by the subsystem (a job failure); run again when the job ends.
            const check = (): { target: KmRec; from: KmRec | undefined } => {
              if (body.enabled === undefined) {
                throw refused(Code.keyStoreEnabledRequired, "A value for enabled is required.", "enabled");
              }
              if (!body.enabled) {
                throw refused(
                  Code.keyStoreDisableUnsupported,
                  "Disabling an enabled configuration through this method is currently not supported.",
                  "enabled",
                );
              }
              const target = configOr908(uuid);
              if (!target.inactive) {
                throw refused(
                  Code.keyStoreAlreadyEnabled,
                  "The specified keystore configuration is already enabled.",
                );
              }
              const owner = env.model.svms.get(target.svmUuid);
              const from = env.model.keyManagerOf(target.svmUuid);
              const typeChange = from !== undefined && Boolean(from.onboard) !== Boolean(target.onboard);
              if (owner?.admin && !release.current) {
                throw refused(
                  Code.keyStoreAdminNeeds9161,
                  "An effective cluster version of ONTAP 9.16.1 or later is required to enable an inactive key manager on the admin SVM.",
                );
              }
              if (!owner?.admin && typeChange) {
                throw refused(
                  Code.keyStoreTypesOnDataSvm,
                  "Switching between configurations of different keystore types is not supported for data SVMs.",
                );
              }
              if (owner?.admin && from && !typeChange) {
                throw refused(
                  Code.keyStoreAdminTypes,
                  "Cannot switch keystore types on the admin SVM. The keystore type for the invalid configuration must be OKM and the enabled configuration must be KMIP, or vice versa.",
                );
              }
              return { target, from };
            };
            let ok: ReturnType<typeof check> | undefined;
            try {
              ok = check();
            } catch (e) {
              if (!(e instanceof SimulatedOntapError) || !e.fromSubsystem) throw e;
            }
            const reply = runWrite(env, ctx, q, {
              description: `PATCH ${base}/${uuid}`,
              successStatus: 200,
              apply: () => {
                const { target, from } = check();
                // The volumes' keys are rewrapped by the new configuration: they stay; the old one is kept
                // inactive, not deleted.
                if (from) from.inactive = true;
                delete target.inactive;
                delete target.switching;
                if (from) delete from.switching;
                return json(200, {});
              },
            });
            // The job was submitted synchronously inside runWrite: mark both configurations `switching`.
            const job = env.jobs.all().at(-1);
            if (ok && job) {
              ok.target.switching = job.uuid;
              if (ok.from) ok.from.switching = job.uuid;
            }
            return reply;
          },

          DELETE: (ctx) => {
            const uuid = ctx.params.uuid ?? "";
            const q = parseWriteQuery(ctx.pairs, {});
            // Jobs end in order, so a delete sent during a switch would run after it: the switching state
            // is the one seen when the request arrives.
            const target = env.model.keyManagers.get(uuid);
            const switchingAtRequest =
              target !== undefined &&
              env.model.configurationsOf(target.svmUuid).some((k) => isSwitching(env, k));
            return runWrite(env, ctx, q, {
              description: `DELETE ${base}/${uuid}`,
              successStatus: 200,
              apply: () => {
                const km = configOr908(uuid);
                if (switchingAtRequest) {
                  throw refused(
                    Code.keyStoreDeleteWhileSwitching,
                    "Cannot delete an inactive key manager configuration while the keystore is in the switching state.",
                  );
                }
                if (!km.inactive) {
                  throw refused(
                    Code.keyStoreEnabledCannotDelete,
                    "The keystore configuration is currently enabled and cannot be deleted.",
                  );
                }
                const owner = env.model.svms.get(km.svmUuid);
                if (owner?.admin && !release.current) {
                  throw refused(
                    Code.keyStoreDeleteAdminNeeds9161,
                    "An effective cluster version of ONTAP 9.16.1 or later is required to delete an inactive key manager on the admin SVM.",
                  );
                }
                env.model.keyManagers.delete(km.uuid);
                return json(200, {});
              },
            });
          },
        }
      : {}),
  });
}

function registerNodeAndKeyRoutes(router: Router, env: Env): void {
  const nodes = (): Record<string, unknown>[] =>
    nodeNames(env).map((name) => ({
      uuid: nodeUuid(env, name),
      name,
      _links: { self: { href: `/api/cluster/nodes/${nodeUuid(env, name)}` } },
    }));
  router.add("/api/cluster/nodes", {
    GET: (ctx) =>
      json(
        200,
        listResponse(
          nodes(),
          parseListQuery(ctx.pairs, nodeSpec),
          nodeSpec,
          "/api/cluster/nodes",
          ctx.rawQuery,
        ),
      ),
  });
  if (!atLeast(env.release, 9, 11)) return;
  const base = "/api/security/key-managers/:uuid/keys/:node/key-ids";
  router.add(base, {
    GET: (ctx) => {
      const q = parseListQuery(ctx.pairs, keyIdSpec);
      const km = env.model.keyManagers.get(ctx.params.uuid ?? "");
      const node = nodeNames(env).find((n) => nodeUuid(env, n) === ctx.params.node);
      if (!km) {
        throw refused("65537125", "The provided key manager UUID is not the UUID of a keymanager.");
      }
      if (!node) throw notFound();
      const href = `/api/security/key-managers/${km.uuid}/keys/${ctx.params.node ?? ""}/key-ids`;
      return json(200, listResponse(keyIds(env, km, node), q, keyIdSpec, href, ctx.rawQuery));
    },
  });
}
