/**
 * Connection settings: where the cluster is and how to log in, read from the stack configuration (as the
 * dynamic provider's `configure(req)` receives it) with the environment as fallback. Never from resource
 * inputs, which end up in the state file.
 *
 * | stack config          | environment              | meaning                                              |
 * | --------------------- | ------------------------ | ---------------------------------------------------- |
 * | `ontap:host`          | `ONTAP_HOST`             | `host`, `host:port` or `https://host[:port]`         |
 * | `ontap:username`      | `ONTAP_USERNAME`         |                                                      |
 * | `ontap:password`      | `ONTAP_PASSWORD`         | secret                                               |
 * | `ontap:validateCerts` | `ONTAP_VALIDATE_CERTS`   | default true                                         |
 * | `ontap:caCert`        | `ONTAP_CA_CERT`          | PEM text, or the path of a PEM file                  |
 * | `ontap:requestTimeout`| `ONTAP_REQUEST_TIMEOUT`  | seconds per HTTP attempt, default 60 (0.1-3600)      |
 * | `ontap:deadline`      | `ONTAP_DEADLINE`         | seconds per API call incl. retries, default 300 (0.1-86400) |
 * | `ontap:jobTimeout`    | `ONTAP_JOB_TIMEOUT`      | seconds to wait for a job, default 600 (0.1-86400)   |
 * | `ontap:profiles`      | `ONTAP_PROFILES`         | JSON: named profiles with the keys above             |
 *
 * A named profile must set `host`; its other keys fall back to the default connection's (stack config,
 * then environment), because the two sites of a MetroCluster usually share the admin account.
 *
 * Error messages name the key and what is wrong, never the value: a value may be a password typed into the
 * wrong key, or key material. The one exception is a `caCert` path that looks like a path and holds no
 * registered secret.
 *
 * @packageDocumentation
 */

import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { inspect } from "node:util";
import { isIP } from "node:net";
import { z } from "zod";
import { OntapConfigurationError } from "./errors";
import { containsSecret, registerCredential, registerSecret } from "./redact";

/** Default per-attempt timeout: ONTAP answers key-manager calls in well under a minute. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Default per-call deadline, retries and backoff included. */
export const DEFAULT_DEADLINE_MS = 300_000;
/** Default limit for one asynchronous job: onboard setup on a large cluster takes minutes. */
export const DEFAULT_JOB_TIMEOUT_MS = 600_000;

/**
 * Allowed range of each duration, in seconds. The minimum keeps a tiny value from rounding to 0 ms, which
 * undici takes as "no timeout"; the maximum keeps a typo (an extra zero, milliseconds for seconds) from
 * making a hung call wait for days.
 */
export const DURATION_LIMITS_S: Readonly<
  Record<"requestTimeout" | "deadline" | "jobTimeout", readonly [number, number]>
> = {
  requestTimeout: [0.1, 3_600],
  deadline: [0.1, 86_400],
  jobTimeout: [0.1, 86_400],
};

/**
 * The stack configuration. Either a plain record (keys such as `ontap:host`) or an object with a `get`
 * method, like the `config` of a Pulumi dynamic provider's `ConfigureRequest`; declared structurally so this
 * layer needs nothing from Pulumi.
 */
export type ConfigSource = Readonly<Record<string, unknown>> | { get(key: string): unknown };

/** Input of {@link resolveConnection}. */
export interface ResolveConnectionInput {
  /** The stack configuration (`configure(req)`'s `req.config`, or a record of it). */
  readonly config?: ConfigSource;
  /** The environment, usually `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** A profile name from `ontap:profiles`; omitted for the default connection. */
  readonly profile?: string;
  /** Directory a relative `caCert` path is read from; defaults to the process's working directory. */
  readonly baseDir?: string;
}

/**
 * Validated connection settings for one cluster. `password` is not enumerable and `toJSON()` / inspect
 * hide it, so logging or serializing a settings object cannot leak it.
 */
export interface ConnectionSettings {
  /** `https://host[:port]`, no path: the origin every request goes to. */
  readonly origin: string;
  /** `host[:port]` for messages. */
  readonly host: string;
  /** The ONTAP account. */
  readonly username: string;
  /** The account's password (not enumerable). */
  readonly password: string;
  /** Whether the cluster's TLS certificate is verified. */
  readonly validateCerts: boolean;
  /** PEM text of the CA bundle to trust instead of the system's, when set. */
  readonly caCert?: string;
  /** Per HTTP attempt, milliseconds. */
  readonly requestTimeoutMs: number;
  /** Per API call including retries, milliseconds. */
  readonly deadlineMs: number;
  /** Per asynchronous job, milliseconds. */
  readonly jobTimeoutMs: number;
  /** The profile these settings came from; `undefined` for the default connection. */
  readonly profile?: string;
  /** Where each value came from (config key or variable name); for messages. */
  readonly sources: Readonly<Record<SettingName, string | undefined>>;
}

/** The keys a connection (or a profile) may set. */
export type SettingName =
  | "host"
  | "username"
  | "password"
  | "validateCerts"
  | "caCert"
  | "requestTimeout"
  | "deadline"
  | "jobTimeout";

const SETTINGS: readonly SettingName[] = [
  "host",
  "username",
  "password",
  "validateCerts",
  "caCert",
  "requestTimeout",
  "deadline",
  "jobTimeout",
];

const ENV_NAMES: Readonly<Record<SettingName, string>> = {
  host: "ONTAP_HOST",
  username: "ONTAP_USERNAME",
  password: "ONTAP_PASSWORD",
  validateCerts: "ONTAP_VALIDATE_CERTS",
  caCert: "ONTAP_CA_CERT",
  requestTimeout: "ONTAP_REQUEST_TIMEOUT",
  deadline: "ONTAP_DEADLINE",
  jobTimeout: "ONTAP_JOB_TIMEOUT",
};

/** Stack config key of the named profiles. */
export const PROFILES_KEY = "ontap:profiles";
/** Environment variable that stands in for {@link PROFILES_KEY}. */
export const PROFILES_ENV = "ONTAP_PROFILES";

/**
 * The stack config key of a setting, e.g. `ontap:host`.
 *
 * @param name - The setting.
 */
export function configKey(name: SettingName): string {
  return `ontap:${name}`;
}

const profileSchema = z.looseObject({
  host: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  validateCerts: z.union([z.boolean(), z.string()]).optional(),
  caCert: z.string().optional(),
  requestTimeout: z.union([z.number(), z.string()]).optional(),
  deadline: z.union([z.number(), z.string()]).optional(),
  jobTimeout: z.union([z.number(), z.string()]).optional(),
});
const profilesSchema = z.record(z.string(), profileSchema);
type ProfileValues = z.infer<typeof profileSchema>;

interface Raw {
  readonly value: unknown;
  /** Where it came from, in the words a user would use to change it. */
  readonly source: string;
  /** The key to name in an error about it. */
  readonly key: string;
}

/**
 * Reads, validates and normalises the connection settings.
 *
 * @param input - Stack config, environment and, optionally, a profile name.
 * @returns The settings; the password is registered for redaction.
 * @throws {@link OntapConfigurationError} naming the key to set when a setting is missing, malformed or
 *   contradicts another.
 */
export function resolveConnection(input: ResolveConnectionInput): ConnectionSettings {
  const env = input.env ?? {};
  const lookup = (key: string): unknown => {
    const config = input.config;
    if (!config) {
      return undefined;
    }
    if (typeof (config as { get?: unknown }).get === "function") {
      return (config as { get(key: string): unknown }).get(key);
    }
    return (config as Readonly<Record<string, unknown>>)[key];
  };
  const present = (v: unknown): boolean => v !== undefined && v !== null && v !== "";

  const fromDefault = (name: SettingName): Raw | undefined => {
    const key = configKey(name);
    const configured = lookup(key);
    if (present(configured)) {
      return { value: configured, source: key, key };
    }
    const variable = ENV_NAMES[name];
    const fromEnv = env[variable];
    if (present(fromEnv)) {
      return { value: fromEnv, source: variable, key };
    }
    return undefined;
  };

  let profileValues: ProfileValues | undefined;
  if (input.profile !== undefined) {
    profileValues = readProfile(input.profile, lookup(PROFILES_KEY) ?? env[PROFILES_ENV]);
    // The password inside a profile is as secret as ontap:password; register it before anything can fail.
    registerSecret(profileValues.password);
  }
  const profileKey = (name: SettingName): string => `${PROFILES_KEY} → ${input.profile}.${name}`;

  const raw = (name: SettingName): Raw | undefined => {
    if (profileValues) {
      const v = profileValues[name];
      if (present(v)) {
        return { value: v, source: profileKey(name), key: PROFILES_KEY };
      }
      // A profile that leaves out its host would silently talk to the default cluster.
      if (name === "host") {
        return undefined;
      }
    }
    return fromDefault(name);
  };

  const values = Object.fromEntries(SETTINGS.map((n) => [n, raw(n)])) as Record<SettingName, Raw | undefined>;
  registerSecret(asString(values.password?.value));

  const missing = (["host", "username", "password"] as const).filter((n) => values[n] === undefined);
  if (missing.length > 0) {
    throw missingError(missing, input.profile);
  }

  const host = parseHost(values.host!);
  const username = asString(values.username!.value);
  const password = asString(values.password!.value);
  if (!username || !password) {
    const bad = !username ? values.username! : values.password!;
    throw new OntapConfigurationError(`${bad.source} must be a string.`, { key: bad.key });
  }
  const validateCerts = values.validateCerts ? parseBoolean(values.validateCerts) : true;
  const caCert = values.caCert ? readCaCert(values.caCert, input.baseDir) : undefined;
  if (caCert !== undefined && !validateCerts) {
    throw new OntapConfigurationError(
      `${values.caCert!.source} is set but ${values.validateCerts!.source} turns certificate verification off: the two contradict each other.`,
      {
        key: values.validateCerts!.key,
        remedy: `remove one: keep verification with the CA (pulumi config rm ${values.validateCerts!.key}), or drop the CA`,
      },
    );
  }
  const requestTimeoutMs = values.requestTimeout
    ? parseSeconds(values.requestTimeout, "requestTimeout")
    : DEFAULT_REQUEST_TIMEOUT_MS;
  const deadlineMs = values.deadline
    ? parseSeconds(values.deadline, "deadline")
    : Math.max(DEFAULT_DEADLINE_MS, requestTimeoutMs);
  if (deadlineMs < requestTimeoutMs) {
    throw new OntapConfigurationError(
      `${values.deadline!.source} (${deadlineMs / 1000} s) is shorter than the request timeout (${requestTimeoutMs / 1000} s).`,
      {
        key: values.deadline!.key,
        remedy: `set ${values.deadline!.key} to at least the request timeout`,
      },
    );
  }
  const jobTimeoutMs = values.jobTimeout
    ? parseSeconds(values.jobTimeout, "jobTimeout")
    : DEFAULT_JOB_TIMEOUT_MS;

  const sources = Object.fromEntries(SETTINGS.map((n) => [n, values[n]?.source])) as Record<
    SettingName,
    string | undefined
  >;
  return makeSettings({
    ...host,
    username,
    password,
    validateCerts,
    caCert,
    requestTimeoutMs,
    deadlineMs,
    jobTimeoutMs,
    profile: input.profile,
    sources,
  });
}

/**
 * Builds a {@link ConnectionSettings} object with the password hidden from enumeration, `toJSON()` and
 * `util.inspect`. Exported for callers (tests, tools) that have the values at hand.
 *
 * @param values - The settings, password included.
 */
export function makeSettings(
  values: Omit<ConnectionSettings, "sources"> & Partial<ConnectionSettings>,
): ConnectionSettings {
  registerCredential(values.username, values.password);
  const visible = {
    origin: values.origin,
    host: values.host,
    username: values.username,
    validateCerts: values.validateCerts,
    caCert: values.caCert,
    requestTimeoutMs: values.requestTimeoutMs,
    deadlineMs: values.deadlineMs,
    jobTimeoutMs: values.jobTimeoutMs,
    profile: values.profile,
    sources: values.sources ?? emptySources(),
  };
  const settings = { ...visible } as ConnectionSettings & Record<string | symbol, unknown>;
  const safeView = (): Record<string, unknown> => ({
    ...visible,
    password: "[REDACTED]",
    caCert: visible.caCert === undefined ? undefined : `<${visible.caCert.length} characters of PEM>`,
  });
  Object.defineProperty(settings, "password", { value: values.password, enumerable: false });
  Object.defineProperty(settings, "toJSON", { value: safeView, enumerable: false });
  Object.defineProperty(settings, inspect.custom, {
    value: (_depth: number, options: object) => `ConnectionSettings ${inspect(safeView(), options)}`,
    enumerable: false,
  });
  return Object.freeze(settings);
}

function emptySources(): Record<SettingName, string | undefined> {
  return Object.fromEntries(SETTINGS.map((n) => [n, undefined])) as Record<SettingName, string | undefined>;
}

/**
 * A stable key for a cluster's connection pool: origin, certificate verification and CA (hashed). Two
 * settings with the same key share TLS connections; credentials do not matter, as they travel per request.
 *
 * @param settings - Connection settings.
 */
export function transportKey(settings: ConnectionSettings): string {
  const ca = settings.caCert === undefined ? "-" : createHash("sha256").update(settings.caCert).digest("hex");
  return `${settings.origin}|${settings.validateCerts ? "verify" : "no-verify"}|${ca}`;
}

/**
 * A stable key for a client: the transport key plus the account (the password hashed, never stored).
 *
 * @param settings - Connection settings.
 */
export function clientKey(settings: ConnectionSettings): string {
  const account = createHash("sha256").update(`${settings.username}\u0000${settings.password}`).digest("hex");
  return `${transportKey(settings)}|${settings.requestTimeoutMs}|${settings.deadlineMs}|${settings.jobTimeoutMs}|${account}`;
}

/** How to set a profile, in the `--path` form (a JSON remedy would have its password placeholder redacted). */
function profileRemedy(name: string): string {
  return (
    `pulumi config set --path '${PROFILES_KEY}.${name}.host' <cluster management address>; ` +
    `pulumi config set --path '${PROFILES_KEY}.${name}.username' <username>; ` +
    `pulumi config set --secret --path '${PROFILES_KEY}.${name}.password' <password>`
  );
}

function readProfile(name: string, rawProfiles: unknown): ProfileValues {
  if (rawProfiles === undefined || rawProfiles === null || rawProfiles === "") {
    throw new OntapConfigurationError(`Profile "${name}" was asked for, but ${PROFILES_KEY} is not set.`, {
      key: PROFILES_KEY,
      envVar: PROFILES_ENV,
      remedy: profileRemedy(name),
    });
  }
  let parsed: unknown = rawProfiles;
  if (typeof rawProfiles === "string") {
    try {
      parsed = JSON.parse(rawProfiles);
    } catch {
      // The text may hold passwords: the message must not quote it.
      throw new OntapConfigurationError(`${PROFILES_KEY} is not valid JSON.`, {
        key: PROFILES_KEY,
        envVar: PROFILES_ENV,
        remedy: `set it to a JSON object of profiles, e.g. ${profileRemedy("siteB")}`,
      });
    }
  }
  // Register every profile's password first: a later error about another field must not be able to echo it.
  if (typeof parsed === "object" && parsed !== null) {
    for (const p of Object.values(parsed as Record<string, unknown>)) {
      if (typeof p === "object" && p !== null) {
        const pw = (p as Record<string, unknown>).password;
        registerSecret(typeof pw === "string" ? pw : undefined);
      }
    }
  }
  const result = profilesSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue ? issue.path.map(String).join(".") : "";
    throw new OntapConfigurationError(
      `${PROFILES_KEY} must be a JSON object of named profiles${path ? `; ${path} is wrong: ${issue?.message}` : ""}.`,
      { key: PROFILES_KEY, envVar: PROFILES_ENV },
    );
  }
  // Own properties only: "constructor" or "toString" must not find Object.prototype's.
  const profile = Object.hasOwn(result.data, name) ? result.data[name] : undefined;
  if (!profile) {
    const known = Object.keys(result.data);
    throw new OntapConfigurationError(
      `Profile "${name}" is not defined in ${PROFILES_KEY}${known.length > 0 ? ` (it defines: ${known.join(", ")})` : ""}.`,
      {
        key: PROFILES_KEY,
        envVar: PROFILES_ENV,
        remedy: `add it (${profileRemedy(name)}), or correct the resource's profile`,
      },
    );
  }
  return profile;
}

function missingError(
  missing: readonly ("host" | "username" | "password")[],
  profile: string | undefined,
): OntapConfigurationError {
  const first = missing[0]!;
  if (profile !== undefined) {
    const fields = missing.map((m) => `"${m}"`).join(", ");
    return new OntapConfigurationError(
      `Profile "${profile}" in ${PROFILES_KEY} lacks ${fields}${missing.includes("host") ? "" : " (and the default connection does not set it either)"}.`,
      {
        key: PROFILES_KEY,
        envVar: PROFILES_ENV,
        remedy: `add ${fields} to profile "${profile}": ${profileRemedy(profile)}`,
      },
    );
  }
  const commands = missing.map((m) =>
    m === "password"
      ? `pulumi config set --secret ${configKey(m)} <password> (or set ${ENV_NAMES[m]})`
      : `pulumi config set ${configKey(m)} <${m === "host" ? "cluster management address" : m}> (or set ${ENV_NAMES[m]})`,
  );
  return new OntapConfigurationError(
    `The ONTAP connection is not configured: ${missing.map((m) => configKey(m)).join(", ")} ${missing.length > 1 ? "are" : "is"} not set.`,
    { key: configKey(first), envVar: ENV_NAMES[first], remedy: commands.join("; ") },
  );
}

function asString(v: unknown): string {
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : "";
}

function parseBoolean(raw: Raw): boolean {
  if (typeof raw.value === "boolean") {
    return raw.value;
  }
  const text = asString(raw.value).trim().toLowerCase();
  if (["true", "1", "yes", "on"].includes(text)) {
    return true;
  }
  if (["false", "0", "no", "off"].includes(text)) {
    return false;
  }
  throw new OntapConfigurationError(`${raw.source} must be true or false.`, {
    key: raw.key,
    remedy: raw.key === PROFILES_KEY ? undefined : `pulumi config set ${raw.key} true`,
  });
}

function parseSeconds(raw: Raw, name: keyof typeof DURATION_LIMITS_S): number {
  const [min, max] = DURATION_LIMITS_S[name];
  const text = typeof raw.value === "number" ? String(raw.value) : asString(raw.value).trim();
  const n = text === "" ? Number.NaN : Number(text);
  if (!Number.isFinite(n) || n < min || n > max) {
    // A number is safe to repeat; anything else may be a secret typed into the wrong key.
    const got = Number.isFinite(n) ? ` (it is ${n} s)` : " (it is not a number)";
    throw new OntapConfigurationError(
      `${raw.source} must be a number of seconds from ${min} s to ${max} s${got}.`,
      {
        key: raw.key,
        remedy:
          raw.key === PROFILES_KEY
            ? `set the profile's "${name}" to a number of seconds from ${min} to ${max}`
            : `pulumi config set ${raw.key} <seconds, ${min} to ${max}>`,
      },
    );
  }
  return Math.round(n * 1000);
}

/**
 * Accepts `host`, `host:port`, `[v6]:port`, a bare IPv6 address, or `https://host[:port][/]`; refuses
 * `http://`, paths, queries and credentials in the URL.
 */
function parseHost(raw: Raw): { origin: string; host: string } {
  const text = asString(raw.value).trim();
  const fail = (why: string): never => {
    throw new OntapConfigurationError(`${raw.source} ${why}.`, {
      key: raw.key,
      remedy:
        raw.key === PROFILES_KEY
          ? `set the profile's "host" to host, host:port or https://host[:port]`
          : `pulumi config set ${raw.key} <host, host:port or https://host[:port]>`,
    });
  };
  if (!text) {
    fail("is empty");
  }
  let candidate = text;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (scheme) {
    if (scheme[1]!.toLowerCase() === "http") {
      fail(
        "uses http://, but ONTAP's REST API is served over HTTPS only: use https:// or leave the scheme out",
      );
    }
    if (scheme[1]!.toLowerCase() !== "https") {
      fail("uses a scheme other than https://; only https:// is supported");
    }
  } else {
    // A bare IPv6 address has several colons and no brackets.
    if (isIP(text) === 6) {
      candidate = `[${text}]`;
    }
    candidate = `https://${candidate}`;
  }
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    // Do not echo the value: it may be a mistyped secret.
    return fail("is not a valid host, host:port or https URL");
  }
  if (url.username || url.password) {
    fail("must not contain credentials: set ontap:username and ontap:password instead");
  }
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    fail("must be the cluster management address alone, without a path, query or fragment");
  }
  if (!url.hostname) {
    fail("has no host name");
  }
  const host = url.port ? `${url.hostname}:${url.port}` : url.hostname;
  return { origin: url.origin, host };
}

/** A PEM block: its label and the whole text from `-----BEGIN` to `-----END`. */
interface PemBlock {
  readonly label: string;
  readonly text: string;
}

/** Every PEM block in a text, wherever it is (text around them, e.g. `Bag Attributes` lines, is ignored). */
function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g)) {
    blocks.push({ label: m[1]!, text: m[0] });
  }
  return blocks;
}

/**
 * Whether a caCert value may be repeated in a message: one short line that looks like a path, and holds no
 * registered secret. Anything else may be a password or key material pasted into the wrong key.
 */
function quotablePath(value: string): boolean {
  return (
    value.length <= 512 &&
    /^[\w ./~\\:@+-]+$/.test(value) &&
    (/[/\\]/.test(value) || /\.(pem|crt|cer|ca-bundle|txt)$/i.test(value)) &&
    !containsSecret(value)
  );
}

function readCaCert(raw: Raw, baseDir: string | undefined): string {
  const text = asString(raw.value);
  const trimmed = text.trim();
  const remedy =
    raw.key === PROFILES_KEY
      ? `set the profile's "caCert" to the PEM text of the CA certificates or the path of a PEM file`
      : `pulumi config set ${raw.key} -- "$(cat ca.pem)", or set it to the path of the PEM file`;
  let pem: string;
  let what: string;
  if (trimmed.includes("-----BEGIN")) {
    pem = trimmed;
    what = raw.source;
  } else {
    const path = baseDir && !trimmed.startsWith("/") ? `${baseDir}/${trimmed}` : trimmed;
    try {
      pem = readFileSync(path, "utf8");
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const shown = quotablePath(trimmed)
        ? `: ${path}`
        : ` (the value is not repeated: it does not look like a path)`;
      throw new OntapConfigurationError(
        `${raw.source} is neither PEM text (-----BEGIN CERTIFICATE-----...) nor a readable file${shown}${typeof code === "string" && /^E[A-Z]+$/.test(code) ? ` (${code})` : ""}.`,
        { key: raw.key, remedy },
      );
    }
    what = `the file named by ${raw.source}`;
  }
  const blocks = pemBlocks(pem);
  // A key header counts even without its END line: a truncated key is still key material.
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(pem)) {
    // Never quoted, never used: the CA bundle is public, a private key in it is a mistake (often the whole
    // output of `openssl pkcs12 -nodes`, which holds the key next to the certificates).
    throw new OntapConfigurationError(
      `${what} holds a private key (a -----BEGIN ... PRIVATE KEY----- block). The CA bundle must hold only the CA certificates; the key was not used and is not shown.`,
      {
        key: raw.key,
        remedy: `keep only the CERTIFICATE blocks (openssl pkcs12 -in file.p12 -cacerts -nokeys), and treat the key as exposed if this value was shared; ${remedy}`,
      },
    );
  }
  const certificates = blocks.filter((b) => b.label === "CERTIFICATE");
  if (certificates.length === 0) {
    throw new OntapConfigurationError(`${what} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`, {
      key: raw.key,
      remedy,
    });
  }
  // Only the certificates go to TLS: the text around them (Bag Attributes, comments) is dropped.
  return `${certificates.map((b) => b.text).join("\n")}\n`;
}
