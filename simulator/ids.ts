import { createHash, randomUUID } from "node:crypto";

/** A UUID-formatted id derived from its parts, stable across runs (name-based, version 5 layout). */
export function stableUuid(...parts: string[]): string {
  const h = createHash("sha1").update(parts.join("\u0000")).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** A random UUID (key managers, volumes, jobs). */
export function newUuid(): string {
  return randomUUID();
}

/** Hex digest of a stable hash, for serial numbers and key identifiers. */
export function stableHex(bytes: number, ...parts: string[]): string {
  return createHash("sha256")
    .update(parts.join("\u0000"))
    .digest("hex")
    .slice(0, bytes * 2)
    .toUpperCase();
}
