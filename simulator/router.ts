import { SimulatedOntapError } from "./errors";
import type { Ctx, Reply } from "./http";

/** Handles one method of one route. */
export type Handler = (ctx: Ctx) => Reply | Promise<Reply>;

interface Route {
  parts: string[];
  handlers: Partial<Record<string, Handler>>;
}

/** Outcome of a route lookup. */
export type Match =
  | { kind: "found"; handler: Handler; params: Record<string, string> }
  | { kind: "no-route" }
  | { kind: "no-method"; allowed: string[] };

/** A minimal router: literal segments and `:param` segments, matched on decoded path segments. */
export class Router {
  private readonly routes: Route[] = [];

  /** Registers the handlers of one path pattern, e.g. "/api/security/key-managers/:uuid". */
  add(pattern: string, handlers: Partial<Record<string, Handler>>): this {
    this.routes.push({ parts: pattern.split("/").filter(Boolean), handlers });
    return this;
  }

  /** Finds the handler for a method and a raw pathname. */
  match(method: string, pathname: string): Match {
    const segments = splitPath(pathname);
    let allowed: string[] | undefined;
    for (const r of this.routes) {
      if (r.parts.length !== segments.length) continue;
      const params: Record<string, string> = {};
      const ok = r.parts.every((p, i) => {
        const s = segments[i] ?? "";
        if (p.startsWith(":")) {
          params[p.slice(1)] = s;
          return s !== "";
        }
        return p === s;
      });
      if (!ok) continue;
      const handler = r.handlers[method];
      if (handler) return { kind: "found", handler, params };
      allowed = Object.keys(r.handlers);
    }
    return allowed ? { kind: "no-method", allowed } : { kind: "no-route" };
  }
}

/** Splits a raw pathname into decoded segments (a trailing slash is ignored). */
export function splitPath(pathname: string): string[] {
  return pathname
    .split("/")
    .filter((s, i, all) => s !== "" || (i > 0 && i < all.length - 1))
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new SimulatedOntapError(400, "262185", "The URL path is not correctly encoded.");
      }
    });
}
