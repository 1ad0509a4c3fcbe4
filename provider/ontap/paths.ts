/**
 * REST paths: the `/api` prefix and path segments, written once for every collection file.
 *
 * @packageDocumentation
 */

/**
 * Encodes one path segment: a key server's `host:port` becomes `host%3Aport`, which every release accepts.
 *
 * @param value - The raw segment.
 */
export function pathSegment(value: string): string {
  return encodeURIComponent(value);
}

/**
 * The full REST path: `/security/key-managers` and `/api/security/key-managers` both mean the latter.
 *
 * @param path - A path under `/api`, with or without the prefix.
 */
export function apiPath(path: string): string {
  const p = path.startsWith("/") ? path : `/${path}`;
  return p === "/api" || p.startsWith("/api/") ? p : `/api${p}`;
}
