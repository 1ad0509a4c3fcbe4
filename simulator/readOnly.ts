import { notFound } from "./errors";
import { json } from "./http";
import { type CollectionSpec, listResponse, parseInstanceQuery, parseListQuery, project } from "./query";
import type { Router } from "./router";

/** Where a read-only collection's records come from, and how ONTAP shows one. */
export interface ReadOnlySource<T> {
  /** Every record the collection lists. */
  list(): T[];
  /** One record by uuid, or undefined when ONTAP answers 404 for it. */
  get(uuid: string): T | undefined;
  /** The record with every field, before `fields` selection. */
  render(item: T): Record<string, unknown>;
}

/**
 * Registers `GET base` (with fields, filters, paging and ordering) and `GET base/:uuid` for a collection the
 * simulator only serves (SVMs, certificates, volumes, jobs): they differ only in their records.
 */
export function addReadOnlyCollection<T>(
  router: Router,
  base: string,
  spec: CollectionSpec,
  source: ReadOnlySource<T>,
): void {
  router.add(base, {
    GET: (ctx) => {
      const q = parseListQuery(ctx.pairs, spec);
      return json(
        200,
        listResponse(
          source.list().map((item) => source.render(item)),
          q,
          spec,
          base,
          ctx.rawQuery,
        ),
      );
    },
  });
  router.add(`${base}/:uuid`, {
    GET: (ctx) => {
      const sel = parseInstanceQuery(ctx.pairs, spec);
      const item = source.get(ctx.params.uuid ?? "");
      if (item === undefined) throw notFound();
      return json(200, project(source.render(item), sel, spec));
    },
  });
}
