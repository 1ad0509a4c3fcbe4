/**
 * ONTAP query behaviour shared by every collection: `fields` (incl. `*`, `**` and nested names), filters
 * (exact, `*` wildcard, `|` alternatives, `!` negation, `<`/`>` ranges), `order_by`, `max_records` with
 * `_links.next` paging (`start.<field>` continuation keys), `return_records`, `return_timeout`.
 */
import { SimulatedOntapError, invalidQueryValue, unexpectedArgument } from "./errors";

/** Readable fields of a record type: nested objects, leaves are `true`. */
export interface Shape {
  [field: string]: Shape | true;
}

/** The `_links` shape every record carries. */
export const LINKS: Shape = { self: { href: true } };

/** What the query layer needs to know about a collection. */
export interface CollectionSpec {
  /** Readable fields for the release played, expensive ones included. */
  shape: Shape;
  /** Dotted paths whose values are arrays (not sortable). */
  arrays: readonly string[];
  /** Fields returned only when named in `fields` (or with `fields=**`). */
  expensive: readonly string[];
  /** Write-only fields: naming them in `fields` or as a filter is refused. */
  writeOnly: readonly string[];
  /** Identifying fields: always returned, final sort keys and paging keys. */
  keys: readonly string[];
  /** Fields a collection GET returns when `fields` is absent. */
  defaultFields: readonly string[];
}

/** `fields` as asked. */
export interface Selection {
  /** `*`: every non-expensive field. */
  star: boolean;
  /** `**`: every field, expensive ones too. */
  all: boolean;
  /** Named fields, dotted. */
  paths: string[];
}

/** A parsed collection GET query. */
export interface ListQuery {
  selection: Selection;
  filters: { path: string; pattern: string }[];
  maxRecords: number | undefined;
  orderBy: { path: string; desc: boolean }[];
  returnRecords: boolean;
  start: Map<string, string>;
  pairs: [string, string][];
}

/** Query parameters of a write. */
export interface WriteQuery {
  returnRecords: boolean;
  returnTimeout: number;
  force: boolean;
  /** POST key-managers `create_inactive` (9.16+). */
  createInactive: boolean;
}

type Rec = Record<string, unknown>;

/** Decodes a raw query string into ordered (name, value) pairs. */
export function queryPairs(rawQuery: string): [string, string][] {
  return [...new URLSearchParams(rawQuery).entries()];
}

/** Refuses secrets in the URL before anything else looks at the query (and never echoes their values). */
export function refuseSecretsInQuery(pairs: [string, string][], writeOnly: readonly string[] = []): void {
  for (const [name] of pairs) {
    if (writeOnly.includes(name) || /pass(phrase|word)/i.test(name)) {
      throw new SimulatedOntapError(
        400,
        "262202",
        `Field "${name}" is considered secret and should not be provided in the URL.`,
        name,
      );
    }
  }
}

function shapePaths(shape: Shape, prefix = "", out = new Map<string, boolean>()): Map<string, boolean> {
  for (const [k, v] of Object.entries(shape)) {
    const p = prefix ? `${prefix}.${k}` : k;
    out.set(p, v === true);
    if (v !== true) shapePaths(v, p, out);
  }
  return out;
}

const pathCache = new WeakMap<Shape, Map<string, boolean>>();
function pathsOf(spec: CollectionSpec): Map<string, boolean> {
  let m = pathCache.get(spec.shape);
  if (!m) {
    m = shapePaths(spec.shape);
    pathCache.set(spec.shape, m);
  }
  return m;
}

function isLinks(path: string): boolean {
  return path === "_links" || path.startsWith("_links.") || path.includes("._links");
}

function parseInt0(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value)) throw invalidQueryValue(name, value);
  const n = Number(value);
  if (n < min || n > max) throw invalidQueryValue(name, value);
  return n;
}

function parseBool(name: string, value: string): boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  throw invalidQueryValue(name, value);
}

/** Parses `fields`. Unknown names answer 262197, write-only ones 262249. */
export function parseFields(value: string | undefined, spec: CollectionSpec): Selection | undefined {
  if (value === undefined) return undefined;
  const sel: Selection = { star: false, all: false, paths: [] };
  const paths = pathsOf(spec);
  for (const raw of value.split(",")) {
    const f = raw.trim();
    if (f === "") continue;
    if (f === "*") sel.star = true;
    else if (f === "**") sel.all = true;
    else if (paths.has(f)) sel.paths.push(f);
    else if (spec.writeOnly.includes(f)) {
      throw new SimulatedOntapError(
        400,
        "262249",
        `Field "${f}" is not supported for GET requests because it is not a readable attribute.`,
        "fields",
      );
    } else throw invalidQueryValue("fields", f);
  }
  return sel;
}

/** Parses the query of an instance GET: only `fields` and `return_timeout`. */
export function parseInstanceQuery(pairs: [string, string][], spec: CollectionSpec): Selection {
  refuseSecretsInQuery(pairs, spec.writeOnly);
  let fields: string | undefined;
  for (const [name, value] of pairs) {
    if (name === "fields") fields = fields === undefined ? value : `${fields},${value}`;
    else if (name === "return_timeout") parseInt0(name, value, 0, 120);
    else throw unexpectedArgument(name);
  }
  return parseFields(fields, spec) ?? { star: true, all: false, paths: [] };
}

/** Parses the query of a write (POST/PATCH/DELETE): `return_records` on POST, `force` where allowed. */
export function parseWriteQuery(
  pairs: [string, string][],
  allowed: { returnRecords?: boolean; force?: boolean; createInactive?: boolean },
): WriteQuery {
  refuseSecretsInQuery(pairs);
  const q: WriteQuery = { returnRecords: false, returnTimeout: 0, force: false, createInactive: false };
  for (const [name, value] of pairs) {
    if (name === "return_timeout") q.returnTimeout = parseInt0(name, value, 0, 120);
    else if (name === "return_records" && allowed.returnRecords) q.returnRecords = parseBool(name, value);
    else if (name === "force" && allowed.force) q.force = parseBool(name, value);
    else if (name === "create_inactive" && allowed.createInactive) q.createInactive = parseBool(name, value);
    else throw unexpectedArgument(name);
  }
  return q;
}

/** Parses the query of a collection GET. */
export function parseListQuery(pairs: [string, string][], spec: CollectionSpec): ListQuery {
  refuseSecretsInQuery(pairs, spec.writeOnly);
  const paths = pathsOf(spec);
  const q: ListQuery = {
    selection: { star: false, all: false, paths: [...spec.defaultFields] },
    filters: [],
    maxRecords: undefined,
    orderBy: [],
    returnRecords: true,
    start: new Map(),
    pairs,
  };
  let fields: string | undefined;
  const seenFilters = new Set<string>();
  for (const [name, value] of pairs) {
    switch (name) {
      case "fields":
        fields = fields === undefined ? value : `${fields},${value}`;
        break;
      case "max_records":
        q.maxRecords = parseInt0(name, value, 1, 2 ** 31 - 1);
        break;
      case "return_records":
        q.returnRecords = parseBool(name, value);
        break;
      case "return_timeout":
        parseInt0(name, value, 0, 120);
        break;
      case "order_by":
        for (const item of value.split(",")) {
          const [path = "", dir = "asc", ...rest] = item.trim().split(/\s+/);
          if (rest.length > 0 || (dir !== "asc" && dir !== "desc")) throw invalidQueryValue("order_by", item);
          if (
            paths.get(path) !== true ||
            isLinks(path) ||
            spec.arrays.some((a) => path.startsWith(`${a}.`))
          ) {
            throw new SimulatedOntapError(
              400,
              "262268",
              `The field "${path}" is not supported as an order_by= field.`,
              "order_by",
            );
          }
          q.orderBy.push({ path, desc: dir === "desc" });
        }
        break;
      default:
        if (name.startsWith("start.")) {
          const key = name.slice("start.".length);
          if (paths.get(key) !== true) throw unexpectedArgument(name);
          q.start.set(key, value);
        } else if (paths.get(name) === true && !isLinks(name)) {
          if (seenFilters.has(name)) {
            throw new SimulatedOntapError(400, "262188", `Field "${name}" was specified twice.`, name);
          }
          seenFilters.add(name);
          q.filters.push({ path: name, pattern: value });
        } else {
          throw unexpectedArgument(name);
        }
    }
  }
  const sel = parseFields(fields, spec);
  if (sel) q.selection = sel;
  return q;
}

/** Values at a dotted path, arrays flattened. */
function valuesAt(obj: unknown, path: string[]): unknown[] {
  if (Array.isArray(obj)) return obj.flatMap((o) => valuesAt(o, path));
  if (path.length === 0) return obj === undefined ? [] : [obj];
  if (obj === null || typeof obj !== "object") return [];
  const [head, ...rest] = path;
  return valuesAt((obj as Rec)[head ?? ""], rest);
}

function valueAt(obj: unknown, path: string): unknown {
  return valuesAt(obj, path.split("."))[0];
}

function globRegExp(pattern: string): RegExp {
  const body = pattern
    .split("*")
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`, "i");
}

function matchesOne(value: unknown, alt: string): boolean {
  const range = /^(<=|>=|<|>)(.*)$/.exec(alt);
  if (range) {
    const [, op, rhs = ""] = range;
    const c = compare(value, coerceLike(rhs, value));
    return op === "<" ? c < 0 : op === ">" ? c > 0 : op === "<=" ? c <= 0 : c >= 0;
  }
  if (typeof value === "boolean") return String(value) === alt.toLowerCase();
  if (typeof value === "number")
    return alt.includes("*") ? globRegExp(alt).test(String(value)) : Number(alt) === value;
  if (typeof value === "string") {
    return alt.includes("*") ? globRegExp(alt).test(value) : value.toLowerCase() === alt.toLowerCase();
  }
  return false;
}

/** ONTAP filter semantics: `a|b` any of; `!a` none equal; `*` wildcard; ranges; strings case-insensitive. */
export function matchesFilter(record: unknown, path: string, pattern: string): boolean {
  const values = valuesAt(record, path.split("."));
  return pattern.split("|").some((alt) => {
    if (alt.startsWith("!")) {
      const neg = alt.slice(1);
      return values.length > 0 && values.every((v) => !matchesOne(v, neg));
    }
    return values.some((v) => matchesOne(v, alt));
  });
}

function coerceLike(s: string, like: unknown): unknown {
  if (typeof like === "number") return Number(s);
  if (typeof like === "boolean") return s === "true";
  return s;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return a ? 1 : -1;
  const sa = scalarText(a);
  const sb = scalarText(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function scalarText(v: unknown): string {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean"
    ? String(v)
    : JSON.stringify(v);
}

function deepCopy<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

function removePath(obj: unknown, path: string[]): void {
  if (Array.isArray(obj)) {
    for (const o of obj) removePath(o, path);
    return;
  }
  if (obj === null || typeof obj !== "object" || path.length === 0) return;
  const [head = "", ...rest] = path;
  if (rest.length === 0) delete (obj as Rec)[head];
  else removePath((obj as Rec)[head], rest);
}

interface Tree {
  [k: string]: Tree | true;
}

function pick(obj: unknown, tree: Tree): unknown {
  if (Array.isArray(obj)) return obj.map((o) => pick(o, tree));
  if (obj === null || typeof obj !== "object") return obj;
  const out: Rec = {};
  for (const [k, v] of Object.entries(obj as Rec)) {
    const t = tree[k];
    if (t === undefined) continue;
    if (t === true) out[k] = v;
    else {
      const sub = pick(v, t);
      if (sub !== undefined && !(typeof sub === "object" && sub !== null && Object.keys(sub).length === 0)) {
        out[k] = sub;
      }
    }
  }
  return out;
}

/** Applies a selection to a full record (expensive fields present): returns a new object. */
export function project(full: Rec, sel: Selection, spec: CollectionSpec): Rec {
  const out = deepCopy(full);
  for (const e of spec.expensive) {
    const asked = sel.all || sel.paths.some((p) => p === e || p.startsWith(`${e}.`));
    if (!asked) removePath(out, e.split("."));
  }
  if (sel.star || sel.all) return out;
  const tree: Tree = {};
  for (const p of [...spec.keys, "_links", ...sel.paths]) {
    let node: Tree = tree;
    const parts = p.split(".");
    parts.forEach((part, i) => {
      const cur = node[part];
      if (cur === true) return;
      if (i === parts.length - 1) node[part] = true;
      else {
        const next: Tree = cur ?? {};
        node[part] = next;
        node = next;
      }
    });
  }
  return pick(out, tree) as Rec;
}

function encodePairs(pairs: [string, string][]): string {
  return pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
}

/** Builds a collection answer: filters, order, paging, projection. */
export function listResponse(
  fullRecords: Rec[],
  q: ListQuery,
  spec: CollectionSpec,
  basePath: string,
  rawQuery: string,
): Rec {
  let recs = fullRecords.filter((r) => q.filters.every((f) => matchesFilter(r, f.path, f.pattern)));
  const order = [...q.orderBy];
  for (const k of spec.keys) if (!order.some((o) => o.path === k)) order.push({ path: k, desc: false });
  const cmp = (a: Rec, b: Rec): number => {
    for (const o of order) {
      const c = compare(valueAt(a, o.path), valueAt(b, o.path));
      if (c !== 0) return o.desc ? -c : c;
    }
    return 0;
  };
  recs = [...recs].sort(cmp);
  const self = { self: { href: rawQuery ? `${basePath}?${rawQuery}` : basePath } };
  if (!q.returnRecords) return { num_records: recs.length, _links: self };

  let from = 0;
  if (q.start.size > 0) {
    from = recs.findIndex((r) => {
      for (const o of order) {
        const s = q.start.get(o.path);
        if (s === undefined) continue;
        const v = valueAt(r, o.path);
        const c = compare(v, coerceLike(s, v));
        if (c !== 0) return (o.desc ? -c : c) > 0;
      }
      return true;
    });
    if (from < 0) from = recs.length;
  }
  const to = q.maxRecords === undefined ? recs.length : Math.min(recs.length, from + q.maxRecords);
  const page = recs.slice(from, to).map((r) => project(r, q.selection, spec));
  const links: Rec = { ...self };
  const nextRec = recs[to];
  if (nextRec !== undefined) {
    const kept = q.pairs.filter(([k]) => !k.startsWith("start."));
    const startPairs: [string, string][] = order.map((o) => [
      `start.${o.path}`,
      scalarText(valueAt(nextRec, o.path) ?? ""),
    ]);
    links.next = { href: `${basePath}?${encodePairs([...kept, ...startPairs])}` };
  }
  return { records: page, num_records: page.length, _links: links };
}
