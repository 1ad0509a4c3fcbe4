import { SimulatedOntapError } from "./errors";
import { newUuid } from "./ids";
import { LINKS, type CollectionSpec } from "./query";

/** A job of `/api/cluster/jobs`. */
export interface JobRec {
  uuid: string;
  description: string;
  state: "queued" | "running" | "success" | "failure";
  message: string;
  code: number;
  start_time: string;
  end_time?: string;
  error?: { code: string; message: string };
}

/** Query spec of jobs. */
export const jobSpec: CollectionSpec = {
  shape: {
    uuid: true,
    description: true,
    state: true,
    message: true,
    code: true,
    start_time: true,
    end_time: true,
    error: { code: true, message: true },
    _links: LINKS,
  },
  arrays: [],
  expensive: [],
  writeOnly: [],
  keys: ["uuid"],
  defaultFields: ["uuid"],
};

/** ONTAP's timestamp format: seconds, explicit offset. */
export function ontapTime(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "+00:00");
}

/**
 * Runs the jobs of asynchronous writes: queued, then running half-way through the delay, then the work runs
 * and the job ends in success or failure. Jobs end in the order they were submitted.
 */
export class JobRunner {
  private readonly jobs = new Map<string, JobRec>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Map<string, (() => void)[]>();
  /** Pending jobs in submission order: only the head's end is scheduled, so jobs end in order. */
  private queue: { job: JobRec; due: number; finish: () => void }[] = [];

  constructor(
    private readonly delayMs: () => number,
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Creates a job that runs `work` (or fails with `failure` without running it) after the delay. */
  submit(description: string, work: () => void, failure?: { code: number; message: string }): JobRec {
    const job: JobRec = {
      uuid: newUuid(),
      description,
      state: "queued",
      message: "Queued",
      code: 0,
      start_time: ontapTime(),
    };
    this.jobs.set(job.uuid, job);
    const delay = Math.max(0, this.delayMs());
    this.after(Math.floor(delay / 2), () => {
      if (job.state === "queued") Object.assign(job, { state: "running", message: "Running" });
    });
    const finish = (): void => {
      try {
        if (failure) throw new SimulatedOntapError(400, String(failure.code), failure.message);
        work();
        Object.assign(job, { state: "success", message: "success", code: 0 });
      } catch (e) {
        if (!(e instanceof SimulatedOntapError)) this.onError(e);
        const code = e instanceof SimulatedOntapError ? e.code : "1";
        const message = e instanceof SimulatedOntapError ? e.message : "internal error";
        Object.assign(job, { state: "failure", message, code: Number(code), error: { code, message } });
      }
      job.end_time = ontapTime();
      for (const w of this.waiters.get(job.uuid) ?? []) w();
      this.waiters.delete(job.uuid);
    };
    this.queue.push({ job, due: Date.now() + delay, finish });
    if (this.queue.length === 1) this.scheduleHead();
    return job;
  }

  private scheduleHead(): void {
    const head = this.queue[0];
    if (!head) return;
    this.after(Math.max(0, head.due - Date.now()), () => {
      this.queue.shift();
      head.finish();
      this.scheduleHead();
    });
  }

  /** A job by uuid. */
  get(uuid: string): JobRec | undefined {
    return this.jobs.get(uuid);
  }

  /** Every job, oldest first. */
  all(): JobRec[] {
    return [...this.jobs.values()];
  }

  /** Resolves when the job has ended or after `timeoutMs`, whichever comes first. */
  whenDone(job: JobRec, timeoutMs: number): Promise<void> {
    if (job.state === "success" || job.state === "failure") return Promise.resolve();
    return new Promise((resolve) => {
      const t = this.after(timeoutMs, resolve);
      const list = this.waiters.get(job.uuid) ?? [];
      list.push(() => {
        clearTimeout(t);
        this.timers.delete(t);
        resolve();
      });
      this.waiters.set(job.uuid, list);
    });
  }

  /** Drops every job and pending timer (waiters are released). */
  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queue = [];
    for (const ws of this.waiters.values()) for (const w of ws) w();
    this.waiters.clear();
    this.jobs.clear();
  }

  private after(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }
}

/** A job's full record. */
export function renderJob(job: JobRec): Record<string, unknown> {
  return { ...job, _links: { self: { href: `/api/cluster/jobs/${job.uuid}` } } };
}
