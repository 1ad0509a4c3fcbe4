/**
 * Key server addresses and per-server settings: parsing, canonical spelling, defaults and ordering.
 *
 * One canonical spelling per server is what makes diffs exact: the user may write `10.0.0.1`, ONTAP may answer
 * `10.0.0.1:5696`, and both must compare equal. The canonical form is `host:port` with
 * - the port always present (5696 when omitted),
 * - DNS names lower-cased (DNS is case-insensitive),
 * - IPv4 in dotted-quad form (octets with leading zeros are rejected: `010` is octal to some resolvers),
 * - no numeric look-alikes: a "DNS name" whose last label is a number (`0x7f.1`, `0x7f000001`) is an IPv4
 *   address to resolvers, and so are shortened and octal forms (`127.1`, `017700000001`): all rejected,
 * - IPv6 in brackets and in RFC 5952 form (`[fd00::1]:5696`).
 *
 * A bare IPv6 address (`fd00::1`) is REJECTED rather than bracketed for the user: `fd00::1:5696` is both a
 * valid IPv6 address and "fd00::1 port 5696", so guessing could silently point at the wrong server. The
 * message shows the bracketed spelling to use.
 *
 * @packageDocumentation
 */

import { isUnknown } from "./unknown";

/** The KMIP port ONTAP uses when a server address has none. */
export const DEFAULT_KMIP_PORT = 5696;
/** ONTAP's default key server timeout, in seconds. */
export const DEFAULT_SERVER_TIMEOUT = 25;
/**
 * Smallest key server timeout ONTAP accepts, in seconds: -1 (wait indefinitely) and 0 (do not wait) from 9.14
 * on, 1 before (see {@link MIN_SERVER_TIMEOUT_BEFORE_914}); the provider gates the release.
 */
export const MIN_SERVER_TIMEOUT = -1;
/** Largest key server create/remove timeout ONTAP accepts, in seconds (the same -1 to 60 as `timeout`). */
export const MAX_CREATE_REMOVE_TIMEOUT = 60;
/** Smallest key server timeout releases before 9.14 accept, in seconds. */
export const MIN_SERVER_TIMEOUT_BEFORE_914 = 1;
/** Largest key server timeout ONTAP accepts, in seconds. */
export const MAX_SERVER_TIMEOUT = 60;
/** ONTAP's default key server username (none). */
export const DEFAULT_SERVER_USERNAME = "";
/** ONTAP allows at most this many key servers per key manager. */
export const MAX_KEY_SERVERS = 4;
/**
 * Secondary key servers per primary: "a clustered key server is comprised of one primary key server and up to
 * three secondary key servers" (NetApp knowledge base; ONTAP refuses more with 65537400).
 */
export const MAX_SECONDARY_KEY_SERVERS = 3;

/** The outcome of parsing user or ONTAP text: a value, or a reason that never repeats secret input. */
export type ParseResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** A parsed key server address. */
export interface ServerAddress {
  /** Host in canonical form: lower-case DNS name, dotted-quad IPv4, or RFC 5952 IPv6 WITHOUT brackets. */
  readonly host: string;
  /** What kind of host this is. */
  readonly kind: "dns" | "ipv4" | "ipv6";
  /** TCP port, 1-65535. */
  readonly port: number;
  /** Canonical `host:port` (IPv6 bracketed), the identity of the server everywhere in this package. */
  readonly address: string;
}

/** A key server with every setting explicit: the normalised form used in inputs, outputs and plans. */
export interface KeyServerSettings {
  /** Canonical `host:port` (see {@link parseServerAddress}). */
  readonly server: string;
  /** Seconds ONTAP waits for the server, 1-60. */
  readonly timeout: number;
  /** KMIP username; `""` for none. */
  readonly username: string;
  /**
   * Secondary key servers (clustered KMIP, ONTAP 9.11.1+), canonical `host:port`, in the order ONTAP tries them
   * after the primary. Absent when there are none: absent and `[]` are the same setting, and leaving it out keeps
   * the state of programs that do not use them as it was.
   */
  readonly secondaryKeyServers?: string[];
  /**
   * Seconds ONTAP waits for the server in key create and remove operations, -1 (indefinitely) to 60 (0: does not
   * wait); ONTAP 9.14+. Absent: not managed (ONTAP keeps its value, which is then neither sent nor compared; the
   * reference documents no default).
   */
  readonly createRemoveTimeout?: number;
}

/** A server's secondary key servers, `[]` when none. */
export function secondariesOf(server: Pick<KeyServerSettings, "secondaryKeyServers">): readonly string[] {
  return server.secondaryKeyServers ?? [];
}

/**
 * Whether two lists of secondary key servers are the same setting. Order counts: ONTAP keeps the list as given
 * and tries the secondaries in that order when the primary does not answer.
 */
export function sameSecondaries(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((s, i) => s === y[i]);
}

/**
 * The secondary key servers ONTAP reports, canonical and in its order: a key-server record has an array, a
 * key-manager record one comma-separated string. `undefined` when there are none.
 */
export function secondariesFromRecord(raw: string | readonly string[] | undefined): string[] | undefined {
  const list = (typeof raw === "string" ? raw.split(",") : (raw ?? []))
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(canonicalServerAddress);
  return list.length > 0 ? list : undefined;
}

/** Settings with `secondaryKeyServers` left out when empty (the canonical form). */
export function withSecondaries<T extends object>(
  settings: T,
  secondaries: readonly string[] | undefined,
): T & { secondaryKeyServers?: string[] } {
  return secondaries && secondaries.length > 0
    ? { ...settings, secondaryKeyServers: [...secondaries] }
    : settings;
}

/**
 * Why a server's secondary list cannot be what ONTAP accepts, with the code ONTAP would answer; empty when it
 * can. `otherPrimaries` are the other primary servers of the same key manager, when known.
 */
export function secondaryProblems(
  primary: string,
  secondaries: readonly string[],
  otherPrimaries: readonly string[] = [],
): { readonly index?: number; readonly reason: string }[] {
  const problems: { index?: number; reason: string }[] = [];
  if (secondaries.length > MAX_SECONDARY_KEY_SERVERS) {
    problems.push({
      reason:
        `must list at most ${MAX_SECONDARY_KEY_SERVERS} secondary key servers per primary (ONTAP refuses more ` +
        `with 65537400)`,
    });
  }
  const first = new Map<string, number>();
  secondaries.forEach((s, i) => {
    if (s === primary) {
      problems.push({
        index: i,
        reason: `is the primary key server itself (${s}; ONTAP refuses it with 65538407)`,
      });
    } else if (otherPrimaries.includes(s)) {
      problems.push({
        index: i,
        reason: `is another primary key server of this key manager (${s}; ONTAP refuses it with 65538502)`,
      });
    }
    const at = first.get(s);
    if (at === undefined) first.set(s, i);
    else
      problems.push({
        index: i,
        reason: `is the same secondary key server as entry [${at}] (${s}; ONTAP refuses duplicates with 65538408)`,
      });
  });
  return problems;
}

const IPV4_OCTET = /^(0|[1-9]\d{0,2})$/;
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const HEX_GROUP = /^[0-9a-f]{1,4}$/;
const PORT = /^\d{1,5}$/;
const HOST_PORT_HINT = "expected host[:port] with a DNS name, an IPv4 address or a bracketed IPv6 address";

function parseIPv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => IPV4_OCTET.test(p))) return undefined;
  const octets = parts.map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/** Parses IPv6 text (no brackets, no zone) into its 8 16-bit groups, or undefined when it is not IPv6. */
function parseIPv6(text: string): number[] | undefined {
  const lower = text.toLowerCase();
  const halves = lower.split("::");
  if (halves.length > 2) return undefined;
  const parseSide = (side: string, allowTrailingIPv4: boolean): number[] | undefined => {
    if (side === "") return [];
    const pieces = side.split(":");
    const groups: number[] = [];
    for (const [i, piece] of pieces.entries()) {
      if (allowTrailingIPv4 && i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIPv4(piece);
        if (!v4) return undefined;
        groups.push(v4[0]! * 256 + v4[1]!, v4[2]! * 256 + v4[3]!);
      } else if (HEX_GROUP.test(piece)) {
        groups.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  if (halves.length === 1) {
    const groups = parseSide(lower, true);
    return groups && groups.length === 8 ? groups : undefined;
  }
  const head = parseSide(halves[0]!, false);
  const tail = parseSide(halves[1]!, true);
  if (!head || !tail || head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** RFC 5952 text of 8 groups: lower-case hex, no leading zeros, the longest run (>= 2) of zero groups as `::`. */
function formatIPv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

function parsePort(text: string | undefined): ParseResult<number> {
  if (text === undefined) return { ok: true, value: DEFAULT_KMIP_PORT };
  const port = PORT.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) return { ok: false, reason: "port must be an integer from 1 to 65535" };
  return { ok: true, value: port };
}

/** A label that resolvers read as a number: decimal, octal (leading 0) or hex (`0x`). */
const NUMERIC_LABEL = /^(\d+|0x[0-9a-f]*)$/;

/**
 * The dotted quad that `inet_aton` (and the WHATWG URL parser) read from 1-4 numeric parts (`127.1`,
 * `0x7f000001`, `017700000001`, `0x7f.1`); undefined when it is not such a form. For messages only.
 */
function numericIPv4(labels: readonly string[]): string | undefined {
  if (labels.length < 1 || labels.length > 4) return undefined;
  const values: number[] = [];
  for (const label of labels) {
    const value = /^0x[0-9a-f]+$/.test(label)
      ? parseInt(label.slice(2), 16)
      : /^0[0-7]*$/.test(label)
        ? parseInt(label, 8)
        : /^[1-9]\d*$/.test(label)
          ? Number(label)
          : NaN;
    if (!Number.isSafeInteger(value)) return undefined;
    values.push(value);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255) || last >= 2 ** (8 * (4 - values.length))) return undefined;
  let n = last;
  values.forEach((v, i) => (n += v * 2 ** (8 * (3 - i))));
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

function numericHostReason(labels: readonly string[]): string {
  const quad = numericIPv4(labels);
  return (
    `is a numeric address form (shortened, octal or hex) that resolvers read as ` +
    `${quad ? `the IPv4 address ${quad}` : "an IP address"}, not a DNS name: write an IPv4 address as four ` +
    `decimal octets${quad ? `, e.g. ${quad}` : ""}`
  );
}

function parseHost(text: string): ParseResult<Pick<ServerAddress, "host" | "kind">> {
  const host = text.toLowerCase();
  const labels = host.split(".");
  if (/^[0-9.]+$/.test(host)) {
    const v4 = parseIPv4(host);
    if (v4) return { ok: true, value: { host: v4.join("."), kind: "ipv4" } };
    const quad = numericIPv4(labels);
    return {
      ok: false,
      reason:
        "is not a valid IPv4 address (four decimal octets 0-255 without leading zeros)" +
        (quad ? `: resolvers would read it as ${quad}` : ""),
    };
  }
  // A name whose last label is a number is an address to every resolver (`0x7f.1` is 127.0.0.1), so it would
  // dodge the duplicate check; DNS forbids all-numeric top-level labels anyway.
  if (NUMERIC_LABEL.test(labels[labels.length - 1] ?? "")) {
    return { ok: false, reason: numericHostReason(labels) };
  }
  if (host.length > 253 || !labels.every((label) => DNS_LABEL.test(label))) {
    return { ok: false, reason: HOST_PORT_HINT };
  }
  return { ok: true, value: { host, kind: "dns" } };
}

function build(host: string, kind: ServerAddress["kind"], port: number): ServerAddress {
  const address = kind === "ipv6" ? `[${host}]:${port}` : `${host}:${port}`;
  return { host, kind, port, address };
}

/**
 * Parses a key server address as a user or ONTAP writes it (`host`, `host:port`, `[ipv6]`, `[ipv6]:port`)
 * into its canonical form. See the module documentation for the rules.
 */
export function parseServerAddress(text: string): ParseResult<ServerAddress> {
  if (text === "") return { ok: false, reason: "must not be empty" };
  if (/\s/.test(text)) return { ok: false, reason: "must not contain whitespace" };
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return { ok: false, reason: "has a '[' without a matching ']'" };
    const inner = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (inner.includes("%")) return { ok: false, reason: "IPv6 zone identifiers (%...) are not supported" };
    const groups = parseIPv6(inner);
    if (!groups) return { ok: false, reason: "is not a valid IPv6 address inside [...]" };
    if (rest !== "" && !rest.startsWith(":")) return { ok: false, reason: HOST_PORT_HINT };
    const port = parsePort(rest === "" ? undefined : rest.slice(1));
    if (!port.ok) return port;
    return { ok: true, value: build(formatIPv6(groups), "ipv6", port.value) };
  }
  const colons = text.split(":").length - 1;
  if (colons > 1) {
    const groups = parseIPv6(text.split("%")[0]!);
    if (groups) {
      return {
        ok: false,
        reason: `IPv6 addresses must be in brackets, e.g. [${formatIPv6(groups)}]:${DEFAULT_KMIP_PORT}`,
      };
    }
    return { ok: false, reason: HOST_PORT_HINT };
  }
  const [hostText, portText] = text.split(":") as [string, string | undefined];
  if (hostText === "") return { ok: false, reason: "host must not be empty" };
  const host = parseHost(hostText);
  if (!host.ok) return host;
  const port = parsePort(portText);
  if (!port.ok) return port;
  return { ok: true, value: build(host.value.host, host.value.kind, port.value) };
}

/**
 * The canonical `host:port` of an address that is expected to be valid (e.g. read from ONTAP). Text that does
 * not parse is returned unchanged, so that a surprising ONTAP answer is still reported (as drift) instead of
 * failing a refresh.
 */
export function canonicalServerAddress(text: string): string {
  const parsed = parseServerAddress(text);
  return parsed.ok ? parsed.value.address : text;
}

/** Orders servers (or anything with a `server` address) by canonical address, by code unit, locale-independent. */
export function compareServerAddresses(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Sorts entries by their `server` address. Entries that are, or whose address is, still unknown (preview) go
 * last, in their original order, because they cannot be placed.
 */
export function sortServerEntries<T extends { readonly server: string } | string>(
  entries: readonly T[],
): T[] {
  const keyOf = (entry: T): string | undefined => {
    const server = typeof entry === "string" ? entry : entry.server;
    return isUnknown(server) ? undefined : server;
  };
  const known = entries.filter((e) => keyOf(e) !== undefined);
  const unknown = entries.filter((e) => keyOf(e) === undefined);
  known.sort((a, b) => compareServerAddresses(keyOf(a)!, keyOf(b)!));
  return [...known, ...unknown];
}

/**
 * True when a server's timeout, username and secondary servers are ONTAP's defaults (so a create needs no
 * follow-up PATCH).
 */
export function hasDefaultServerSettings(
  server: Pick<KeyServerSettings, "timeout" | "username" | "secondaryKeyServers" | "createRemoveTimeout">,
): boolean {
  return (
    server.timeout === DEFAULT_SERVER_TIMEOUT &&
    server.username === DEFAULT_SERVER_USERNAME &&
    secondariesOf(server).length === 0 &&
    server.createRemoveTimeout === undefined
  );
}

/**
 * `server` with the `createRemoveTimeout` the previous settings of the same server held, if any: it is managed
 * only when the program sets it, and a key-manager record does not report it.
 */
export function carryCreateRemoveTimeout(
  server: KeyServerSettings,
  previous: readonly KeyServerSettings[] | undefined,
): KeyServerSettings {
  const before = previous?.find((p) => p.server === server.server)?.createRemoveTimeout;
  return before === undefined ? server : { ...server, createRemoveTimeout: before };
}

/** A key server's settings as ONTAP reports them (key-server or key-manager record), defaults made explicit. */
export function serverSettingsFromRecord(record: {
  readonly server: string;
  readonly timeout?: number;
  readonly username?: string;
  readonly secondary_key_servers?: string | readonly string[];
}): KeyServerSettings {
  return withSecondaries(
    {
      server: canonicalServerAddress(record.server),
      timeout: record.timeout ?? DEFAULT_SERVER_TIMEOUT,
      username: record.username ?? DEFAULT_SERVER_USERNAME,
    },
    secondariesFromRecord(record.secondary_key_servers),
  );
}
