import type { Env } from "./env";
import { SimulatedOntapError } from "./errors";
import { type Ctx, type Reply, errorReply, json } from "./http";
import type { WriteQuery } from "./query";

/** A validated write: `apply` re-checks the cluster state, mutates it and returns the synchronous answer. */
export interface WritePlan {
  /** Job description on later releases, e.g. "POST /api/security/key-managers". */
  description: string;
  /** Status of a synchronous success (201 for POST, 200 otherwise). */
  successStatus: number;
  /** Raises SimulatedOntapError for refusals; runs at once on 9.6, at the end of the job on later releases. */
  apply(): Reply;
}

/**
 * Runs a write the way the release does: 9.6 synchronously (refusals are 4xx answers); later releases
 * through a job (refusals are job failures), waiting up to `return_timeout` seconds for it to end.
 */
export async function runWrite(env: Env, ctx: Ctx, q: WriteQuery, plan: WritePlan): Promise<Reply> {
  if (!env.release.later) {
    if (ctx.jobFailure) {
      return errorReply(new SimulatedOntapError(400, String(ctx.jobFailure.code), ctx.jobFailure.message));
    }
    try {
      const r = plan.apply();
      env.changed();
      return r;
    } catch (e) {
      if (e instanceof SimulatedOntapError) return errorReply(e);
      throw e;
    }
  }
  let applied: Reply | undefined;
  const job = env.jobs.submit(
    plan.description,
    () => {
      applied = plan.apply();
      env.changed();
    },
    ctx.jobFailure,
  );
  if (q.returnTimeout > 0) await env.jobs.whenDone(job, q.returnTimeout * 1000);
  const ref = { job: { uuid: job.uuid, _links: { self: { href: `/api/cluster/jobs/${job.uuid}` } } } };
  if (job.state === "success" && applied) {
    // Ended within return_timeout: the synchronous answer (records, Location) plus the job.
    const body = typeof applied.body === "object" && applied.body !== null ? applied.body : {};
    return json(plan.successStatus, { ...body, ...ref }, applied.headers);
  }
  if (job.state === "failure" && job.error) return json(400, { error: job.error, ...ref });
  return json(202, ref);
}
