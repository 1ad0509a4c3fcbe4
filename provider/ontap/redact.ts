/**
 * Redaction of secrets, in one place.
 *
 * Every text this layer puts in an error message, a `cause`, a `toJSON()` or a debug line passes through
 * {@link redact}. Two mechanisms work together:
 *
 * - a process-wide registry of secret values (the cluster passwords read by the configuration, every
 *   `password`/`passphrase` sent in a request body, the Authorization header value), replaced wherever they
 *   appear, also in their JSON-escaped and URL-encoded spellings, because ONTAP may echo a request value
 *   back in an error message;
 * - patterns for things that are secret by shape whatever their value: `Authorization` headers, Basic and
 *   Bearer tokens, `"password": "..."`-like JSON members and user-info in URLs.
 *
 * @packageDocumentation
 */

/** What a redacted secret is replaced with. */
export const REDACTED = "[REDACTED]";

/**
 * Secrets shorter than this are not registered: replacing a 1-3 character string everywhere would shred
 * every message, and no ONTAP password (8+ characters) or passphrase (32+) is that short.
 */
const MIN_SECRET_LENGTH = 4;

const secrets = new Set<string>();
/** Longest first, so that a secret containing another is replaced whole. Rebuilt lazily. */
let ordered: string[] | undefined;

/**
 * Remembers a secret value so that {@link redact} removes it from any text from now on, in this process.
 * Also registers the spellings under which a server or a library could echo it (JSON-escaped,
 * URL-encoded, Base64 as in a Basic Authorization header).
 *
 * @param value - The secret; `undefined`, empty and very short values are ignored.
 */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH) {
    return;
  }
  const variants = [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];
  for (const v of variants) {
    if (v.length >= MIN_SECRET_LENGTH && !secrets.has(v)) {
      secrets.add(v);
      ordered = undefined;
    }
  }
}

/**
 * Registers every string found under a secret-named key (`password`, `passphrase`,
 * `existing_passphrase`, ...) anywhere in a request body, so the client needs no per-endpoint knowledge
 * of which fields are secret.
 *
 * @param body - A JSON-like value about to be sent.
 */
export function registerSecretsIn(body: unknown): void {
  walk(body, 0);
}

function walk(value: unknown, depth: number): void {
  if (depth > 20 || value === null || typeof value !== "object") {
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) {
      walk(item, depth + 1);
    }
    return;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (isSecretKey(key) && typeof item === "string") {
      registerSecret(item);
    } else {
      walk(item, depth + 1);
    }
  }
}

/**
 * Whether a property name denotes a secret (password, passphrase, secret, token, authorization).
 *
 * @param key - A JSON member or header name.
 */
export function isSecretKey(key: string): boolean {
  return /pass(word|phrase)|secret|token|authorization/i.test(key);
}

const PATTERNS: readonly [RegExp, string][] = [
  // A header line or header object member: `authorization: Basic abc`, `"authorization":"Basic abc"`.
  [/(authorization["']?\s*[:=]\s*["']?)[^"'\r\n,}]*/gi, `$1${REDACTED}`],
  // A bare token wherever it appears; the lookahead (a digit or a Base64 symbol) spares prose such as
  // "Basic authentication".
  [/\b(Basic|Bearer)\s+(?=[A-Za-z0-9+/=._~-]*[0-9+/=])[A-Za-z0-9+/=._~-]{8,}/g, `$1 ${REDACTED}`],
  // JSON members with a secret name: "password":"...", "existing_passphrase": "..."
  [/("[^"]*(?:pass(?:word|phrase)|secret|token)[^"]*"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, `$1"${REDACTED}"`],
  // key=value forms (query strings, log lines): password=..., passphrase=...
  [/(\b[\w.]*(?:pass(?:word|phrase)|secret|token)[\w.]*=)[^&\s"',;]+/gi, `$1${REDACTED}`],
  // User-info in a URL: https://user:pass@host
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, `$1${REDACTED}@`],
];

/**
 * Removes every registered secret and every secret-shaped fragment from a text.
 *
 * @param text - Any text headed for a message, a log line or a serialized error.
 * @returns The text with secrets replaced by {@link REDACTED}.
 */
export function redact(text: string): string {
  let out = text;
  if (secrets.size > 0) {
    ordered ??= [...secrets].sort((a, b) => b.length - a.length);
    for (const secret of ordered) {
      if (out.includes(secret)) {
        out = out.split(secret).join(REDACTED);
      }
    }
  }
  for (const [pattern, replacement] of PATTERNS) {
    out = out.replace(pattern, replacement);
  }
  return out;
}

/**
 * Deep-copies a JSON-like value, dropping the values of secret-named keys and redacting every string.
 * Used for the `arguments` ONTAP returns in an error and for anything else that came from outside.
 *
 * @param value - The value to copy.
 */
export function redactValue<T>(value: T): T {
  return copy(value, 0) as T;
}

function copy(value: unknown, depth: number): unknown {
  if (typeof value === "string") {
    return redact(value);
  }
  if (value === null || typeof value !== "object" || depth > 20) {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((v) => copy(v, depth + 1));
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    out[key] = isSecretKey(key) ? REDACTED : copy(item, depth + 1);
  }
  return out;
}
