/**
 * Asynchronous jobs: later releases answer key-manager writes with `202 {"job": {...}}`, and the client
 * polls `GET /api/cluster/jobs/{uuid}` until the job ends in `success` or `failure`.
 *
 * @packageDocumentation
 */

import { z } from "zod";
import type { OntapClient } from "./client";
import { OntapJobFailedError, OntapTimeoutError, type OntapRequestContext } from "./errors";
import { apiPath, pathSegment } from "./paths";
import { redact } from "./redact";

/** The jobs collection. */
export const JOBS_PATH = "/cluster/jobs";

/**
 * One job's path.
 *
 * @param uuid - The job's uuid.
 */
export function jobPath(uuid: string): string {
  return `${JOBS_PATH}/${pathSegment(uuid)}`;
}

/** The `job` link in a 202 answer. */
export const jobLinkSchema = z.looseObject({
  uuid: z.string().min(1),
  _links: z.looseObject({ self: z.looseObject({ href: z.string() }) }).optional(),
});

/** The body of a 202 answer. */
export const jobAcceptedSchema = z.looseObject({ job: jobLinkSchema });

/** Fields asked for when polling a job. */
export const JOB_FIELDS = [
  "uuid",
  "state",
  "code",
  "message",
  "description",
  "start_time",
  "end_time",
] as const;

/** Schema of a job record. `code` is an integer in job records (unlike error bodies); a numeric string is accepted. */
export const jobRecordSchema = z.looseObject({
  uuid: z.string(),
  state: z.string(),
  description: z.string().optional(),
  message: z.string().optional(),
  code: z
    .union([z.number().int(), z.string().regex(/^\d+$/)])
    .transform((c) => Number(c))
    .optional(),
  start_time: z.string().optional(),
  end_time: z.string().optional(),
});

/** A parsed job record. */
export type JobRecord = z.infer<typeof jobRecordSchema>;

/** What {@link waitForJob} needs from a client: one poll. */
export interface JobPoller {
  /** Reads the job record (an idempotent, retried GET). */
  getJob(uuid: string): Promise<JobRecord>;
}

/** Timing and reporting of {@link waitForJob}. */
export interface WaitForJobOptions {
  /** Give up after this long, in milliseconds. */
  readonly timeoutMs: number;
  /** First poll interval; also the wait before the first poll. Default 250 ms. */
  readonly minIntervalMs?: number;
  /** Longest poll interval. Default 5 s. */
  readonly maxIntervalMs?: number;
  /** Report progress once the wait exceeds this. Default 10 s. */
  readonly progressAfterMs?: number;
  /** Then report again every this often. Default 30 s. */
  readonly progressEveryMs?: number;
  /** Where progress lines go (stderr in the provider). */
  readonly log: (line: string) => void;
  /** The write that started the job, for messages. */
  readonly context: OntapRequestContext;
}

/**
 * Polls a job until it ends. Intervals grow by half each time (with a little jitter, so that many
 * resources waiting at once do not poll in step) up to `maxIntervalMs`.
 *
 * @param poller - Reads the job.
 * @param uuid - The job.
 * @param options - Limits, progress reporting, the write's context.
 * @returns The job record in state `success`.
 * @throws {@link OntapJobFailedError} when it ends in `failure`; {@link OntapTimeoutError} (phase `job`) when
 *   it runs past the timeout, in which case it may still complete.
 */
export async function waitForJob(
  poller: JobPoller,
  uuid: string,
  options: WaitForJobOptions,
): Promise<JobRecord> {
  const minInterval = options.minIntervalMs ?? 250;
  const maxInterval = options.maxIntervalMs ?? 5_000;
  const progressAfter = options.progressAfterMs ?? 10_000;
  const progressEvery = options.progressEveryMs ?? 30_000;
  const started = Date.now();
  let interval = minInterval;
  let nextProgress = progressAfter;
  let last: JobRecord | undefined;
  for (;;) {
    const elapsed = Date.now() - started;
    const remaining = options.timeoutMs - elapsed;
    if (remaining <= 0) {
      throw new OntapTimeoutError(
        `ONTAP job ${uuid} for ${options.context.method ?? ""} ${options.context.path ?? ""} on ${options.context.target ?? "the cluster"} ` +
          `did not end within ${Math.round(options.timeoutMs / 100) / 10} s (last state: ${last ? redact(last.state) : "unknown"}). It may still complete.`,
        {
          ...options.context,
          phase: "job",
          jobUuid: uuid,
          timeoutMs: options.timeoutMs,
          mayHaveReachedServer: true,
          remedy: `check the job with GET /api/cluster/jobs/${uuid}, then run again (the provider re-reads the state); raise ontap:jobTimeout (ONTAP_JOB_TIMEOUT, seconds) for slow clusters`,
        },
      );
    }
    await sleep(Math.min(jitter(interval), remaining));
    last = await poller.getJob(uuid);
    if (last.state === "success") {
      return last;
    }
    if (last.state === "failure") {
      throw new OntapJobFailedError({
        ...options.context,
        jobUuid: uuid,
        jobCode: last.code,
        jobMessage: last.message,
      });
    }
    const waited = Date.now() - started;
    if (waited >= nextProgress) {
      options.log(
        `[ontap] still waiting for job ${uuid}${last.description ? ` (${redact(last.description)})` : ""} on ${options.context.target ?? "the cluster"}: ` +
          `${redact(last.state)}, ${Math.round(waited / 1000)} s elapsed, giving up after ${Math.round(options.timeoutMs / 1000)} s`,
      );
      nextProgress = waited + progressEvery;
    }
    interval = Math.min(interval * 1.5, maxInterval);
  }
}

function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/**
 * Whether a job's description mentions `text`, in raw or URL-decoded form (releases put the request path in
 * it, with a key server's colon encoded or not). Only well-formed `%XX` escapes are decoded: a description is
 * free text, and one bare `%` in any job must not stop every other from matching.
 *
 * @param description - The job's `description`, if any.
 * @param text - What to look for, e.g. `<key manager uuid>/key-servers`.
 */
export function jobMentions(description: string | undefined, text: string): boolean {
  if (description === undefined) return false;
  if (description.includes(text)) return true;
  const decoded = description.replace(/(?:%[0-9a-fA-F]{2})+/g, (escapes) => {
    try {
      return decodeURIComponent(escapes);
    } catch {
      // Not UTF-8 (e.g. a lone %C3): keep the escapes as written.
      return escapes;
    }
  });
  return decoded.includes(text);
}

/**
 * Waits for every unfinished job of one kind of key-manager write, e.g. `POST /api/security/key-managers` (a
 * create) or `DELETE /api/security/key-managers/<uuid>`: ONTAP describes a REST write's job by its method and
 * path. Later releases write through jobs: when the answer to a write was lost, its effect shows only once the
 * job ends, so a lookup made to reconcile must wait for it first. A job that fails changed nothing and is not an
 * error here.
 *
 * @param client - The cluster.
 * @param method - The write's method.
 * @param path - The write's path under `/api` (a leading `/api` is accepted).
 * @returns How many jobs were waited for (0 on 9.6, which writes synchronously).
 * @throws {@link OntapTimeoutError} (phase `job`) when a job outlives the job timeout.
 */
export async function waitForKeyManagerJobs(
  client: OntapClient,
  method: "POST" | "PATCH" | "DELETE",
  path: string,
): Promise<number> {
  const full = apiPath(path);
  const description = `${method} ${full}`;
  const jobs = await client.getCollection(JOBS_PATH, jobRecordSchema, {
    fields: JOB_FIELDS,
    query: { state: "queued|running|paused", description },
  });
  const pending = jobs.filter((j) => j.description === undefined || j.description === description);
  for (const job of pending) {
    await client.waitForJob(job.uuid, { method, path: full }).catch((err: unknown) => {
      if (!(err instanceof OntapJobFailedError)) throw err;
    });
  }
  return pending.length;
}

/**
 * Waits for every unfinished job whose description mentions `text` (a key manager's uuid, or
 * `<uuid>/key-servers`). After a lost answer on a later release, the write's job may still be running: look
 * only once it has ended.
 *
 * @param client - The cluster.
 * @param text - What the job descriptions must mention.
 * @returns How many jobs were waited for.
 */
export async function waitForJobsMentioning(client: OntapClient, text: string): Promise<number> {
  const jobs = await client.getCollection(JOBS_PATH, jobRecordSchema, {
    fields: JOB_FIELDS,
    query: { state: "queued|running|paused" },
  });
  const pending = jobs.filter((j) => jobMentions(j.description, text));
  for (const job of pending) {
    await client.waitForJob(job.uuid, {}).catch((err: unknown) => {
      if (!(err instanceof OntapJobFailedError)) throw err;
    });
  }
  return pending.length;
}
