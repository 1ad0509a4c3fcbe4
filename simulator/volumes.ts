import type { Env } from "./env";
import { LINKS, type CollectionSpec } from "./query";
import { addReadOnlyCollection } from "./readOnly";
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
  addReadOnlyCollection(router, "/api/storage/volumes", volumeSpec, {
    list: () => [...env.model.volumes.values()],
    get: (uuid) => env.model.volumes.get(uuid),
    render: (v) => renderVolume(env.model, v),
  });
}
