import type { FaultAction, FaultSpec } from "./types";

interface Pending {
  method?: string;
  path?: string | RegExp;
  remaining: number;
  action: FaultAction;
}

function pathMatches(pattern: string | RegExp | undefined, candidates: string[]): boolean {
  if (pattern === undefined) return true;
  if (pattern instanceof RegExp) return candidates.some((c) => pattern.test(c));
  if (pattern.endsWith("*")) {
    const prefix = pattern.slice(0, -1);
    return candidates.some((c) => c.startsWith(prefix));
  }
  return candidates.includes(pattern);
}

/** Scripted faults, matched in the order they were added; each matching request uses up one count. */
export class FaultRegistry {
  private pending: Pending[] = [];

  /** Queues a fault; throws when it is malformed. */
  add(spec: FaultSpec): void {
    const count = spec.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new Error("fault count must be a positive integer");
    validateAction(spec.action);
    this.pending.push({
      method: spec.method?.toUpperCase(),
      path: spec.path,
      remaining: count,
      action: spec.action,
    });
  }

  /** Drops every pending fault. */
  clear(): void {
    this.pending = [];
  }

  /** The action for a request, if a fault matches it (the raw and the decoded pathname are both tried). */
  take(method: string, rawPathname: string, decodedPathname: string): FaultAction | undefined {
    const candidates = rawPathname === decodedPathname ? [rawPathname] : [rawPathname, decodedPathname];
    const i = this.pending.findIndex(
      (p) => (p.method === undefined || p.method === method) && pathMatches(p.path, candidates),
    );
    const f = this.pending[i];
    if (!f) return undefined;
    f.remaining -= 1;
    if (f.remaining <= 0) this.pending.splice(i, 1);
    return f.action;
  }
}

function validateAction(a: FaultAction): void {
  switch (a.type) {
    case "status":
      if (!Number.isInteger(a.status) || a.status < 400 || a.status > 599) {
        throw new Error("a status fault needs an HTTP error status (400-599)");
      }
      return;
    case "stall":
      if (!(a.ms >= 0)) throw new Error("a stall fault needs ms >= 0");
      return;
    case "job-failure":
      if (!Number.isInteger(a.code)) throw new Error("a job-failure fault needs an integer code");
      return;
    case "respond":
      if (!Number.isInteger(a.status) || a.status < 200 || a.status > 599) {
        throw new Error("a respond fault needs an HTTP status (200-599)");
      }
      return;
    case "reset":
    case "drop-after-apply":
      return;
  }
}
