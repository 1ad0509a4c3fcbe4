/**
 * fast-check generators of valid KeyManager inputs, described by a model (what the user means) and spelled in
 * any of the ways that must mean the same thing (letter case, default port/timeout/username written or not,
 * IPv6 expanded or compressed, list order, string or object server entries).
 */
import fc from "fast-check";

type Host =
  { kind: "dns"; labels: string[] } | { kind: "ipv4"; octets: number[] } | { kind: "ipv6"; groups: number[] };

/** A key server as the user means it. */
export interface ServerModel {
  host: Host;
  port: number;
  timeout: number;
  username: string;
}

/** A certificate reference as the user means it: a name (case-sensitive) or a UUID (lower case). */
export type CertModel = { kind: "name"; name: string } | { kind: "uuid"; uuid: string };

/** KeyManager inputs as the user means them. */
export interface KeyManagerModel {
  svm?: string;
  profile?: string;
  adopt: boolean;
  serverManagement: "authoritative" | "listed";
  external?: { client: CertModel; cas: CertModel[]; servers: ServerModel[] };
  onboard?: { passphrase: string };
}

/** Identity of a server (host and port), independent of spelling. */
export function serverKey(s: Pick<ServerModel, "host" | "port">): string {
  const host = s.host;
  const text =
    host.kind === "dns"
      ? host.labels.join(".")
      : host.kind === "ipv4"
        ? host.octets.join(".")
        : host.groups.join(":");
  return `${host.kind}/${text}/${s.port}`;
}

function certKey(c: CertModel): string {
  return c.kind === "name" ? `n/${c.name}` : `u/${c.uuid}`;
}

const dnsLabel = fc.stringMatching(/^[a-z][a-z0-9-]{0,5}[a-z0-9]$|^[a-z]$/);
const hostArb: fc.Arbitrary<Host> = fc.oneof(
  fc.array(dnsLabel, { minLength: 1, maxLength: 3 }).map((labels) => ({ kind: "dns" as const, labels })),
  fc.array(fc.nat(255), { minLength: 4, maxLength: 4 }).map((octets) => ({ kind: "ipv4" as const, octets })),
  fc
    .array(fc.oneof(fc.constant(0), fc.nat(0xffff)), { minLength: 8, maxLength: 8 })
    .map((groups) => ({ kind: "ipv6" as const, groups })),
);

/** One key server (address and settings). */
export const serverModelArb: fc.Arbitrary<ServerModel> = fc.record({
  host: hostArb,
  port: fc.oneof(fc.constant(5696), fc.integer({ min: 1, max: 65535 })),
  timeout: fc.oneof(fc.constant(25), fc.integer({ min: 1, max: 60 })),
  username: fc.oneof(fc.constant(""), fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/)),
});

/** 1 to 4 distinct key servers. */
export const serverSetArb = fc.uniqueArray(serverModelArb, {
  minLength: 1,
  maxLength: 4,
  selector: serverKey,
});

const certArb: fc.Arbitrary<CertModel> = fc.oneof(
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.-]{0,10}$/).map((name) => ({ kind: "name" as const, name })),
  fc.uuid().map((uuid) => ({ kind: "uuid" as const, uuid: uuid.toLowerCase() })),
);

const passphraseArb = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  minLength: 32,
  maxLength: 256,
});
const nameArb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,8}$/);

/** Any valid KeyManager, external or onboard. */
export const keyManagerModelArb: fc.Arbitrary<KeyManagerModel> = fc.oneof(
  fc.record(
    {
      svm: nameArb,
      profile: nameArb,
      adopt: fc.boolean(),
      serverManagement: fc.constantFrom("authoritative" as const, "listed" as const),
      external: fc.record({
        client: certArb,
        cas: fc.uniqueArray(certArb, { minLength: 1, maxLength: 3, selector: certKey }),
        servers: serverSetArb,
      }),
    },
    { requiredKeys: ["adopt", "serverManagement", "external"] },
  ),
  fc.record(
    {
      profile: nameArb,
      adopt: fc.boolean(),
      serverManagement: fc.constantFrom("authoritative" as const, "listed" as const),
      onboard: fc.record({ passphrase: passphraseArb }),
    },
    { requiredKeys: ["adopt", "serverManagement", "onboard"] },
  ),
);

function respellCase(text: string, mode: number): string {
  if (mode === 1) return text.toUpperCase();
  if (mode === 2) return [...text].map((c, i) => (i % 2 ? c.toUpperCase() : c)).join("");
  return text;
}

function spellHost(host: Host, mode: number): string {
  if (host.kind === "dns") return respellCase(host.labels.join("."), mode);
  if (host.kind === "ipv4") return host.octets.join(".");
  // Uncompressed, with or without leading zeros, in either case: never the canonical form.
  const groups = host.groups.map((g) => (mode === 0 ? g.toString(16) : g.toString(16).padStart(4, "0")));
  return `[${respellCase(groups.join(":"), mode)}]`;
}

const spellingChoice = fc.record({
  caseMode: fc.integer({ min: 0, max: 2 }),
  explicitPort: fc.boolean(),
  asString: fc.boolean(),
  explicitTimeout: fc.boolean(),
  explicitUsername: fc.boolean(),
});

function spellServerArb(s: ServerModel): fc.Arbitrary<unknown> {
  return spellingChoice.map((c) => {
    const address = `${spellHost(s.host, c.caseMode)}${s.port !== 5696 || c.explicitPort ? `:${s.port}` : ""}`;
    const defaults = s.timeout === 25 && s.username === "";
    if (defaults && c.asString) return address;
    return {
      server: address,
      ...(s.timeout !== 25 || c.explicitTimeout ? { timeout: s.timeout } : {}),
      ...(s.username !== "" || c.explicitUsername ? { username: s.username } : {}),
    };
  });
}

function spellCertArb(c: CertModel): fc.Arbitrary<string> {
  return c.kind === "name"
    ? fc.constant(c.name)
    : fc.boolean().map((upper) => (upper ? c.uuid.toUpperCase() : c.uuid));
}

function shuffled<T>(items: readonly T[]): fc.Arbitrary<T[]> {
  return fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });
}

/** One of the many spellings of a model as raw Pulumi inputs (possibly with a `__provider` key). */
export function spellKeyManager(m: KeyManagerModel): fc.Arbitrary<Record<string, unknown>> {
  const ext = m.external;
  return fc
    .record({
      servers: ext
        ? shuffled(ext.servers).chain((list) => fc.tuple(...list.map(spellServerArb)))
        : fc.constant([]),
      cas: ext ? shuffled(ext.cas).chain((list) => fc.tuple(...list.map(spellCertArb))) : fc.constant([]),
      client: ext ? spellCertArb(ext.client) : fc.constant(""),
      explicitAdopt: fc.boolean(),
      explicitManagement: fc.boolean(),
      provider: fc.boolean(),
    })
    .map((c) => ({
      ...(m.svm !== undefined ? { svm: m.svm } : {}),
      ...(m.profile !== undefined ? { profile: m.profile } : {}),
      ...(m.adopt || c.explicitAdopt ? { adopt: m.adopt } : {}),
      ...(m.serverManagement !== "authoritative" || c.explicitManagement
        ? { serverManagement: m.serverManagement }
        : {}),
      ...(ext
        ? { external: { clientCertificate: c.client, serverCaCertificates: c.cas, servers: c.servers } }
        : {}),
      ...(m.onboard ? { onboard: { passphrase: m.onboard.passphrase } } : {}),
      ...(c.provider ? { __provider: "serialized-provider" } : {}),
    }));
}
