import type { Env } from "./env";
import { notFound } from "./errors";
import { json } from "./http";
import {
  LINKS,
  type CollectionSpec,
  listResponse,
  parseInstanceQuery,
  parseListQuery,
  project,
} from "./query";
import type { Router } from "./router";
import type { Model, VolumeRec } from "./state";

/** Query spec of `/api/storage/volumes`. */
export const volumeSpec: CollectionSpec = {
  shape: {
    uuid: true,
    name: true,
    svm: { uuid: true, name: true, _links: LINKS },
    encryption: { enabled: true },
    _links: LINKS,
  },
  arrays: [],
  expensive: [],
  writeOnly: [],
  keys: ["uuid"],
  defaultFields: ["uuid", "name"],
};

/** A volume's full record. */
export function renderVolume(model: Model, v: VolumeRec): Record<string, unknown> {
  return {
    uuid: v.uuid,
    name: v.name,
    svm: {
      uuid: v.svmUuid,
      name: model.svms.get(v.svmUuid)?.name,
      _links: { self: { href: `/api/svm/svms/${v.svmUuid}` } },
    },
    encryption: { enabled: v.encrypted },
    _links: { self: { href: `/api/storage/volumes/${v.uuid}` } },
  };
}

/** `GET /api/storage/volumes[/{uuid}]`. */
export function registerVolumeRoutes(router: Router, env: Env): void {
  const base = "/api/storage/volumes";
  router.add(base, {
    GET: (ctx) => {
      const q = parseListQuery(ctx.pairs, volumeSpec);
      const all = [...env.model.volumes.values()].map((v) => renderVolume(env.model, v));
      return json(200, listResponse(all, q, volumeSpec, base, ctx.rawQuery));
    },
  });
  router.add(`${base}/:uuid`, {
    GET: (ctx) => {
      const sel = parseInstanceQuery(ctx.pairs, volumeSpec);
      const v = env.model.volumes.get(ctx.params.uuid ?? "");
      if (!v) throw notFound();
      return json(200, project(renderVolume(env.model, v), sel, volumeSpec));
    },
  });
}
