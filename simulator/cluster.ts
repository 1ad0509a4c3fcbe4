import type { Env } from "./env";
import { json } from "./http";
import { type JobRec, jobSpec, renderJob } from "./jobs";
import { LINKS, type CollectionSpec, parseInstanceQuery, project } from "./query";
import { addReadOnlyCollection } from "./readOnly";
import type { Router } from "./router";
import type { SvmRec } from "./state";

const clusterSpec: CollectionSpec = {
  shape: {
    name: true,
    uuid: true,
    version: { full: true, generation: true, major: true, minor: true },
    _links: LINKS,
  },
  arrays: [],
  expensive: [],
  writeOnly: [],
  keys: ["uuid"],
  defaultFields: [],
};

/** Query spec of `/api/svm/svms`. */
export const svmSpec: CollectionSpec = {
  shape: { uuid: true, name: true, state: true, subtype: true, _links: LINKS },
  arrays: [],
  expensive: [],
  writeOnly: [],
  keys: ["uuid"],
  defaultFields: ["uuid", "name"],
};

/** An SVM's full record. */
export function renderSvm(s: SvmRec): Record<string, unknown> {
  return {
    uuid: s.uuid,
    name: s.name,
    state: "running",
    subtype: "default",
    _links: { self: { href: `/api/svm/svms/${s.uuid}` } },
  };
}

/**
 * `GET /api/cluster`, `GET /api/svm/svms[/{uuid}]` (data SVMs only, as on a real cluster: the admin SVM is
 * not an entry of this collection) and `GET /api/cluster/jobs[/{uuid}]`.
 */
export function registerClusterRoutes(router: Router, env: Env): void {
  router.add("/api/cluster", {
    GET: (ctx) => {
      const sel = parseInstanceQuery(ctx.pairs, clusterSpec);
      const r = env.release;
      const full = {
        name: env.model.cluster.name,
        uuid: env.model.cluster.uuid,
        version: { full: r.full, generation: r.generation, major: r.major, minor: r.minor },
        _links: { self: { href: "/api/cluster" } },
      };
      return json(200, project(full, sel, clusterSpec));
    },
  });
  addReadOnlyCollection(router, "/api/svm/svms", svmSpec, {
    // ONTAP lists data SVMs only: the admin SVM is not an SVM of this endpoint.
    list: () => [...env.model.svms.values()].filter((s) => !s.admin),
    get: (uuid) => {
      const s = env.model.svms.get(uuid);
      return s && !s.admin ? s : undefined;
    },
    render: renderSvm,
  });
  addReadOnlyCollection(router, "/api/cluster/jobs", jobSpec, {
    list: () => env.jobs.all(),
    get: (uuid): JobRec | undefined => env.jobs.get(uuid),
    render: renderJob,
  });
}
