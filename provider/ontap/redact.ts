/**
 * Redaction of secrets, in one place.
 *
 * The rule: **messages are built from values known not to be secret** (methods, paths this layer built,
 * setting names, status codes, our own words), and **only text that comes from outside** passes through
 * {@link redact}: ONTAP's `message`, `target`, `code` and `arguments`, job messages and descriptions, the
 * messages of errors thrown by undici, Node or zod, and field names taken from a response body. Redacting our
 * own text would turn redaction into an oracle: with the password `security`, a message reading
 * `GET /api/[REDACTED]/key-managers` next to an `err.path` of `/api/security/key-managers` gives the
 * password away. So {@link redact} is never applied to a whole message, only to the outside pieces before
 * they are put into one.
 *
 * Two mechanisms work together on outside text:
 *
 * - a process-wide registry of secret values (the cluster passwords read by the configuration, every
 *   `password`/`passphrase` sent in a request body, the Basic credential), replaced wherever they appear, in
 *   the spellings a server or a library could echo them in: raw, JSON-escaped, URL-encoded
 *   (`encodeURIComponent` and form encoding with `+`), HTML-escaped, and Base64 (the secret alone, and
 *   `user:password` as in a Basic Authorization header). Secrets of 4 characters or more are replaced
 *   wherever they occur; shorter ones (no ONTAP password or passphrase is that short, but a KMIP password may
 *   be) only as whole tokens, i.e. not inside a longer word or number, so that `ab` does not shred every
 *   message;
 * - patterns for things that are secret by shape whatever their value: `Authorization` headers, Basic and
 *   Bearer tokens, `"password": "..."`-like JSON members and user-info in URLs.
 *
 * Not covered: other encodings (Base32, hex, double URL-encoding, lower-case percent escapes, Unicode
 * escapes other than JSON's), a secret split across fields or cut in the middle, and the wording of an
 * outside message around a redacted word (someone who knows ONTAP's message can guess an ordinary word
 * that was hidden in it: do not use dictionary words as passwords).
 *
 * @packageDocumentation
 */

/** What a redacted secret is replaced with. */
export const REDACTED = "[REDACTED]";

/**
 * Secrets at least this long are replaced wherever they occur in outside text; shorter ones only as whole
 * tokens (see the module documentation).
 */
const SUBSTRING_MIN_LENGTH = 4;

/** Every spelling of every registered secret. */
const secrets = new Set<string>();
/** One regular expression for all of them, longest first. Rebuilt lazily. */
let matcher: RegExp | undefined;

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function spellings(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const url = encodeURIComponent(value);
  const form = new URLSearchParams({ v: value }).toString().slice(2);
  const html = value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
  const base64 = Buffer.from(value, "utf8").toString("base64");
  return [value, json, url, url.replace(/%20/g, "+"), form, html, html.replace(/&#39;/g, "&#x27;"), base64];
}

function add(variant: string): void {
  if (variant !== "" && !secrets.has(variant)) {
    secrets.add(variant);
    matcher = undefined;
  }
}

/**
 * Remembers a secret value so that {@link redact} removes it from any outside text from now on, in this
 * process, in every spelling listed in the module documentation.
 *
 * @param value - The secret; `undefined`, `null` and empty strings are ignored. Short values are kept too
 *   (they are redacted as whole tokens only).
 */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== "string" || value === "") {
    return;
  }
  for (const v of spellings(value)) {
    add(v);
  }
}

/**
 * Registers an account's password and its Basic credential (Base64 of `user:password`, with and without
 * padding), which is what an `Authorization` header echoed by a proxy or a library would show.
 *
 * @param username - The account.
 * @param password - Its password.
 */
export function registerCredential(username: string, password: string | undefined): void {
  if (typeof password !== "string" || password === "") {
    return;
  }
  registerSecret(password);
  const basic = Buffer.from(`${username}:${password}`, "utf8").toString("base64");
  add(basic);
  add(basic.replace(/=+$/, ""));
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

/**
 * Whether a text contains a registered secret. For deciding whether a value may be quoted at all (a
 * configuration value that turns out to be a password must not be repeated, redacted or not).
 *
 * @param text - Any text.
 */
export function containsSecret(text: string): boolean {
  return text !== redactRegistered(text);
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function buildMatcher(): RegExp | undefined {
  if (secrets.size === 0) {
    return undefined;
  }
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  const long = ordered.filter((s) => s.length >= SUBSTRING_MIN_LENGTH).map(escapeRegExp);
  const short = ordered.filter((s) => s.length < SUBSTRING_MIN_LENGTH).map(escapeRegExp);
  const parts = [...long];
  if (short.length > 0) {
    // A whole token: not preceded or followed by a letter or digit.
    parts.push(`(?<![\\p{L}\\p{N}])(?:${short.join("|")})(?![\\p{L}\\p{N}])`);
  }
  // One pass, so that the text of one replacement is never matched again by a shorter secret.
  return new RegExp(parts.join("|"), "gu");
}

function redactRegistered(text: string): string {
  matcher ??= buildMatcher();
  return matcher === undefined ? text : text.replace(matcher, REDACTED);
}

/**
 * Removes every registered secret and every secret-shaped fragment from a text that came from outside
 * (never apply it to a whole message: see the module documentation).
 *
 * @param text - Outside text headed for a message, a field, a log line or a serialized error.
 * @returns The text with secrets replaced by {@link REDACTED}.
 */
export function redact(text: string): string {
  let out = redactRegistered(text);
  for (const [pattern, replacement] of PATTERNS) {
    out = out.replace(pattern, replacement);
  }
  return out;
}

/**
 * Deep-copies a JSON-like value from outside, dropping the values of secret-named keys and redacting every
 * string, keys included.
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
  if (value === null || typeof value !== "object") {
    return value;
  }
  if (depth > 20) {
    // Too deep to be an ONTAP error body: not worth copying, and not to be passed on unredacted.
    return REDACTED;
  }
  if (Array.isArray(value)) {
    return value.map((v) => copy(v, depth + 1));
  }
  // fromEntries defines own properties, so a `__proto__` key from outside stays a plain key.
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      redact(key),
      isSecretKey(key) ? REDACTED : copy(item, depth + 1),
    ]),
  );
}
