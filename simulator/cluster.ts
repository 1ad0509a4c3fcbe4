import type { Env } from "./env";
import { notFound } from "./errors";
import { json } from "./http";
import { type JobRec, jobSpec, renderJob } from "./jobs";
import {
  LINKS,
  type CollectionSpec,
  listResponse,
  parseInstanceQuery,
  parseListQuery,
  project,
} from "./query";
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
  router.add("/api/svm/svms", {
    GET: (ctx) => {
      const q = parseListQuery(ctx.pairs, svmSpec);
      const all = [...env.model.svms.values()].filter((s) => !s.admin).map(renderSvm);
      return json(200, listResponse(all, q, svmSpec, "/api/svm/svms", ctx.rawQuery));
    },
  });
  router.add("/api/svm/svms/:uuid", {
    GET: (ctx) => {
      const sel = parseInstanceQuery(ctx.pairs, svmSpec);
      const s = env.model.svms.get(ctx.params.uuid ?? "");
      if (!s || s.admin) throw notFound();
      return json(200, project(renderSvm(s), sel, svmSpec));
    },
  });
  router.add("/api/cluster/jobs", {
    GET: (ctx) => {
      const q = parseListQuery(ctx.pairs, jobSpec);
      const all = env.jobs.all().map(renderJob);
      return json(200, listResponse(all, q, jobSpec, "/api/cluster/jobs", ctx.rawQuery));
    },
  });
  router.add("/api/cluster/jobs/:uuid", {
    GET: (ctx) => {
      const sel = parseInstanceQuery(ctx.pairs, jobSpec);
      const j: JobRec | undefined = env.jobs.get(ctx.params.uuid ?? "");
      if (!j) throw notFound();
      return json(200, project(renderJob(j), sel, jobSpec));
    },
  });
}
