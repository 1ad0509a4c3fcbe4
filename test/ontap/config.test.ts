/** Connection configuration: stack config, environment fallback, profiles, and the errors for bad settings. */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { OntapConfigurationError, resolveConnection, type ConfigSource } from "../../provider/ontap";

const PEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
const base = {
  "ontap:host": "cluster1.example.com",
  "ontap:username": "admin",
  "ontap:password": "s3cret-Passw0rd",
};

function configError(fn: () => unknown): OntapConfigurationError {
  try {
    fn();
  } catch (err) {
    if (err instanceof OntapConfigurationError) {
      return err;
    }
    throw err;
  }
  throw new Error("expected an OntapConfigurationError");
}

describe("stack config and environment", () => {
  test("reads every setting from the stack config, with defaults", () => {
    const s = resolveConnection({ config: base, env: {} });
    expect(s.origin).toBe("https://cluster1.example.com");
    expect(s.host).toBe("cluster1.example.com");
    expect(s.username).toBe("admin");
    expect(s.password).toBe("s3cret-Passw0rd");
    expect(s.validateCerts).toBe(true);
    expect(s.caCert).toBeUndefined();
    expect(s.requestTimeoutMs).toBe(60_000);
    expect(s.deadlineMs).toBe(300_000);
    expect(s.jobTimeoutMs).toBe(600_000);
    expect(s.sources.host).toBe("ontap:host");
  });

  test("accepts the config object a dynamic provider's configure(req) receives (a get method)", () => {
    const values: Record<string, string> = { ...base, "ontap:validateCerts": "true" };
    const config: ConfigSource = { get: (key: string) => values[key] };
    const s = resolveConnection({ config, env: {} });
    expect(s.host).toBe("cluster1.example.com");
    expect(s.validateCerts).toBe(true);
  });

  test("falls back to the environment key by key; the stack config wins where both are set", () => {
    const s = resolveConnection({
      config: { "ontap:host": "10.0.0.1:8443" },
      env: { ONTAP_HOST: "ignored.example.com", ONTAP_USERNAME: "envuser", ONTAP_PASSWORD: "env-password-1" },
    });
    expect(s.origin).toBe("https://10.0.0.1:8443");
    expect(s.username).toBe("envuser");
    expect(s.password).toBe("env-password-1");
    expect(s.sources).toMatchObject({
      host: "ontap:host",
      username: "ONTAP_USERNAME",
      password: "ONTAP_PASSWORD",
    });
  });

  test("works from the environment alone", () => {
    const s = resolveConnection({
      env: {
        ONTAP_HOST: "https://cluster2.example.com:443/",
        ONTAP_USERNAME: "admin",
        ONTAP_PASSWORD: "pw-from-env",
        ONTAP_VALIDATE_CERTS: "true",
        ONTAP_REQUEST_TIMEOUT: "30",
        ONTAP_DEADLINE: "90",
        ONTAP_JOB_TIMEOUT: "1200",
      },
    });
    expect(s.origin).toBe("https://cluster2.example.com");
    expect(s.requestTimeoutMs).toBe(30_000);
    expect(s.deadlineMs).toBe(90_000);
    expect(s.jobTimeoutMs).toBe(1_200_000);
  });

  test.each([
    ["cluster1", "https://cluster1", "cluster1"],
    ["cluster1:8443", "https://cluster1:8443", "cluster1:8443"],
    ["https://cluster1:8443", "https://cluster1:8443", "cluster1:8443"],
    ["HTTPS://Cluster1/", "https://cluster1", "cluster1"],
    ["fd00::10", "https://[fd00::10]", "[fd00::10]"],
    ["[fd00::10]:8443", "https://[fd00::10]:8443", "[fd00::10]:8443"],
  ])("normalises host %s", (host, origin, display) => {
    const s = resolveConnection({ config: { ...base, "ontap:host": host }, env: {} });
    expect(s.origin).toBe(origin);
    expect(s.host).toBe(display);
  });

  test.each([
    ["http://cluster1", /http:\/\/.*HTTPS only/],
    ["ftp://cluster1", /only https:\/\//],
    ["https://cluster1/api", /without a path/],
    ["https://cluster1?x=1", /without a path, query/],
    ["cluster1:99999", /not a valid host/],
  ])("rejects host %s, naming ontap:host", (host, why) => {
    const err = configError(() => resolveConnection({ config: { ...base, "ontap:host": host }, env: {} }));
    expect(err.key).toBe("ontap:host");
    expect(err.message).toMatch(why);
    expect(err.message).toContain("pulumi config set ontap:host");
  });

  test("credentials inside the host URL are refused without being repeated", () => {
    const err = configError(() =>
      resolveConnection({ config: { ...base, "ontap:host": "https://admin:Hunter2-pw@cluster1" }, env: {} }),
    );
    expect(err.message).toContain("must not contain credentials");
    expect(err.message).not.toContain("Hunter2-pw");
  });

  test("validateCerts: false only when said so; nonsense is an error naming the key", () => {
    for (const off of ["false", "FALSE", "0", "no", "off"]) {
      expect(
        resolveConnection({ config: { ...base, "ontap:validateCerts": off }, env: {} }).validateCerts,
      ).toBe(false);
    }
    const err = configError(() =>
      resolveConnection({ config: { ...base, "ontap:validateCerts": "maybe" }, env: {} }),
    );
    expect(err.key).toBe("ontap:validateCerts");
  });
});

describe("the CA bundle", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "ontap-ca-"));
    writeFileSync(join(dir, "ca.pem"), PEM);
    writeFileSync(join(dir, "not-a-cert.txt"), "hello");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("PEM text is used, normalised to its certificate blocks", () => {
    expect(resolveConnection({ config: { ...base, "ontap:caCert": PEM }, env: {} }).caCert).toBe(PEM);
  });

  test("anything else is a path to a PEM file, absolute or relative to the program", () => {
    expect(
      resolveConnection({ config: { ...base, "ontap:caCert": join(dir, "ca.pem") }, env: {} }).caCert,
    ).toBe(PEM);
    expect(
      resolveConnection({ config: { ...base }, env: { ONTAP_CA_CERT: "ca.pem" }, baseDir: dir }).caCert,
    ).toBe(PEM);
  });

  test("an unreadable path or a file without a certificate is an error naming the key", () => {
    const missing = configError(() =>
      resolveConnection({ config: { ...base, "ontap:caCert": join(dir, "nope.pem") }, env: {} }),
    );
    expect(missing.key).toBe("ontap:caCert");
    expect(missing.message).toContain("nope.pem");
    expect(missing.message).toContain("ENOENT");
    const notPem = configError(() =>
      resolveConnection({ config: { ...base, "ontap:caCert": join(dir, "not-a-cert.txt") }, env: {} }),
    );
    expect(notPem.key).toBe("ontap:caCert");
  });

  test("a CA together with verification off is contradictory", () => {
    const err = configError(() =>
      resolveConnection({
        config: { ...base, "ontap:caCert": PEM, "ontap:validateCerts": "false" },
        env: {},
      }),
    );
    expect(err.key).toBe("ontap:validateCerts");
    expect(err.message).toContain("contradict");
  });
});

describe("timeouts", () => {
  test("seconds, fractions allowed; a deadline shorter than the request timeout is refused", () => {
    const s = resolveConnection({ config: { ...base, "ontap:requestTimeout": "2.5" }, env: {} });
    expect(s.requestTimeoutMs).toBe(2_500);
    const err = configError(() =>
      resolveConnection({
        config: { ...base, "ontap:requestTimeout": "60", "ontap:deadline": "10" },
        env: {},
      }),
    );
    expect(err.key).toBe("ontap:deadline");
    const bad = configError(() =>
      resolveConnection({ config: { ...base, "ontap:jobTimeout": "soon" }, env: {} }),
    );
    expect(bad.key).toBe("ontap:jobTimeout");
  });
});

describe("missing settings", () => {
  test("nothing set: the error names every key, the command to set it and the variable", () => {
    const err = configError(() => resolveConnection({ config: {}, env: {} }));
    expect(err.key).toBe("ontap:host");
    expect(err.envVar).toBe("ONTAP_HOST");
    expect(err.message).toContain("ontap:host, ontap:username, ontap:password are not set");
    expect(err.message).toContain("pulumi config set ontap:host");
    expect(err.message).toContain("pulumi config set --secret ontap:password");
    expect(err.message).toContain("ONTAP_PASSWORD");
    expect(err.mayHaveReachedServer).toBe(false);
  });

  test("only the password missing: the error asks for a secret", () => {
    const err = configError(() =>
      resolveConnection({ config: { "ontap:host": "c1", "ontap:username": "admin" }, env: {} }),
    );
    expect(err.key).toBe("ontap:password");
    expect(err.message).toMatch(/ontap:password is not set.*pulumi config set --secret ontap:password/);
  });
});

describe("profiles", () => {
  const profiles = JSON.stringify({
    siteB: { host: "clusterb.example.com", password: "siteB-password-1", caCert: PEM },
    lab: { host: "10.1.1.1", username: "labadmin", password: "lab-password-1", validateCerts: false },
    hostless: { username: "x", password: "hostless-password" },
  });

  test("a profile sets its own keys and falls back to the default connection for the rest", () => {
    const s = resolveConnection({
      config: { ...base, "ontap:profiles": profiles },
      env: {},
      profile: "siteB",
    });
    expect(s.profile).toBe("siteB");
    expect(s.origin).toBe("https://clusterb.example.com");
    expect(s.username).toBe("admin");
    expect(s.password).toBe("siteB-password-1");
    expect(s.caCert).toBe(PEM);
    expect(s.sources.username).toBe("ontap:username");
    expect(s.sources.host).toBe("ontap:profiles → siteB.host");
  });

  test("JSON booleans and objects are accepted; ONTAP_PROFILES stands in for the stack key", () => {
    const s = resolveConnection({ config: {}, env: { ONTAP_PROFILES: profiles }, profile: "lab" });
    expect(s.validateCerts).toBe(false);
    expect(s.username).toBe("labadmin");
    const fromObject = resolveConnection({
      config: { "ontap:profiles": JSON.parse(profiles) as unknown },
      profile: "lab",
    });
    expect(fromObject.host).toBe("10.1.1.1");
  });

  test("the default connection is unaffected by profiles", () => {
    expect(resolveConnection({ config: { ...base, "ontap:profiles": profiles }, env: {} }).host).toBe(
      "cluster1.example.com",
    );
  });

  test("an unknown profile is an error that lists the defined ones", () => {
    const err = configError(() =>
      resolveConnection({ config: { ...base, "ontap:profiles": profiles }, env: {}, profile: "siteC" }),
    );
    expect(err.key).toBe("ontap:profiles");
    expect(err.message).toContain(
      'Profile "siteC" is not defined in ontap:profiles (it defines: siteB, lab, hostless)',
    );
  });

  test("a profile without a host does not silently use the default cluster", () => {
    const err = configError(() =>
      resolveConnection({ config: { ...base, "ontap:profiles": profiles }, env: {}, profile: "hostless" }),
    );
    expect(err.key).toBe("ontap:profiles");
    expect(err.message).toContain('Profile "hostless" in ontap:profiles lacks "host"');
  });

  test("a profile asked for without ontap:profiles, or with malformed JSON, is an error that echoes nothing", () => {
    const unset = configError(() => resolveConnection({ config: base, env: {}, profile: "siteB" }));
    expect(unset.message).toContain("ontap:profiles is not set");
    expect(unset.message).toContain("pulumi config set --secret --path 'ontap:profiles.siteB.password'");
    const broken = configError(() =>
      resolveConnection({
        config: { ...base, "ontap:profiles": '{"siteB": {"password": "Leaky-password-9"' },
        env: {},
        profile: "siteB",
      }),
    );
    expect(broken.message).toContain("ontap:profiles is not valid JSON");
    expect(broken.message).not.toContain("Leaky-password-9");
    const wrongType = configError(() =>
      resolveConnection({
        config: { ...base, "ontap:profiles": '{"siteB": {"host": 5, "password": "Typed-password-9"}}' },
        env: {},
        profile: "siteB",
      }),
    );
    expect(wrongType.message).toContain("siteB.host is wrong");
    expect(wrongType.message).not.toContain("Typed-password-9");
  });
});

describe("the settings object", () => {
  test("JSON, inspect and spreading never show the password", () => {
    const s = resolveConnection({ config: base, env: {} });
    for (const text of [
      JSON.stringify(s),
      inspect(s),
      inspect(s, { showHidden: true }),
      JSON.stringify({ ...s }),
    ]) {
      expect(text).not.toContain("s3cret-Passw0rd");
    }
    expect(JSON.parse(JSON.stringify(s))).toMatchObject({
      host: "cluster1.example.com",
      password: "[REDACTED]",
    });
    expect(Object.isFrozen(s)).toBe(true);
  });
});

describe("hostile and mistaken values", () => {
  /** Everything an error shows. */
  const shown = (e: Error): string =>
    [e.message, e.stack ?? "", JSON.stringify(e), inspect(e, { depth: 5 })].join("\n");
  const KEY_MATERIAL = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7-private-key-material";
  const PKCS12_DUMP =
    "Bag Attributes\n    localKeyID: 01 00 00 00 \n    friendlyName: cluster-ca\nsubject=CN = cluster CA\n" +
    PEM +
    "Bag Attributes\n    localKeyID: 01 00 00 00 \nKey Attributes: <No Attributes>\n" +
    `-----BEGIN PRIVATE KEY-----\n${KEY_MATERIAL}\n-----END PRIVATE KEY-----\n`;

  test("caCert: PEM blocks are found after other text; only the certificates are kept", () => {
    const onlyCert = `Bag Attributes\n    friendlyName: cluster-ca\nsubject=CN = cluster CA\n${PEM}`;
    expect(resolveConnection({ config: { ...base, "ontap:caCert": onlyCert }, env: {} }).caCert).toBe(PEM);
  });

  test.each([
    ["PEM text (openssl pkcs12 -nodes output)", PKCS12_DUMP],
    ["an RSA key", `${PEM}-----BEGIN RSA PRIVATE KEY-----\n${KEY_MATERIAL}\n-----END RSA PRIVATE KEY-----\n`],
    ["a truncated key (no END line)", `${PEM}-----BEGIN EC PRIVATE KEY-----\n${KEY_MATERIAL}\n`],
    [
      "an encrypted key",
      `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${KEY_MATERIAL}\n-----END ENCRYPTED PRIVATE KEY-----\n${PEM}`,
    ],
  ])("caCert holding a private key is refused, saying so, without quoting it: %s", (_name, value) => {
    const err = configError(() => resolveConnection({ config: { ...base, "ontap:caCert": value }, env: {} }));
    expect(err.key).toBe("ontap:caCert");
    expect(err.message).toContain("holds a private key");
    expect(shown(err)).not.toContain(KEY_MATERIAL);
    expect(shown(err)).not.toContain("Bag Attributes");
  });

  test("caCert naming a file that holds a private key is refused the same way", () => {
    const dir = mkdtempSync(join(tmpdir(), "ontap-ca-key-"));
    try {
      writeFileSync(join(dir, "bundle.pem"), PKCS12_DUMP);
      const err = configError(() =>
        resolveConnection({ config: { ...base, "ontap:caCert": join(dir, "bundle.pem") }, env: {} }),
      );
      expect(err.message).toContain("holds a private key");
      expect(shown(err)).not.toContain(KEY_MATERIAL);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("caCert: a missing path is quoted only when it looks like a path and is no known secret", () => {
    const path = configError(() =>
      resolveConnection({ config: { ...base, "ontap:caCert": "./certs/missing-ca.pem" }, env: {} }),
    );
    expect(path.message).toContain("./certs/missing-ca.pem");
    const password = configError(() =>
      resolveConnection({ config: { ...base, "ontap:caCert": base["ontap:password"] }, env: {} }),
    );
    expect(shown(password)).not.toContain(base["ontap:password"]);
    const notAPath = configError(() =>
      resolveConnection({ config: { ...base, "ontap:caCert": "MIIBfake base64 without a header" }, env: {} }),
    );
    expect(shown(notAPath)).not.toContain("MIIBfake");
  });

  test.each([
    ["ontap:host", "Mistyped-Secret-7://cluster1"],
    ["ontap:host", "cluster1/Mistyped-Secret-7"],
    ["ontap:validateCerts", "Mistyped-Secret-7"],
    ["ontap:requestTimeout", "Mistyped-Secret-7"],
    ["ontap:deadline", "Mistyped-Secret-7"],
    ["ontap:jobTimeout", "Mistyped-Secret-7"],
    ["ontap:caCert", "Mistyped-Secret-7"],
    ["ontap:caCert", "-----BEGIN Mistyped-Secret-7"],
    ["ontap:profiles", '{"siteB": "Mistyped-Secret-7"}'],
    ["ontap:profiles", '{"siteB": {"host": "Mistyped-Secret-7://x"}}'],
  ])("no configuration error quotes the value: %s = %s", (key, value) => {
    const err = configError(() =>
      resolveConnection({
        config: { ...base, [key]: value },
        env: {},
        profile: key === "ontap:profiles" ? "siteB" : undefined,
      }),
    );
    expect(shown(err)).not.toContain("Mistyped-Secret-7");
  });

  test.each([
    ["ontap:requestTimeout", "0.0001", "from 0.1 s to 3600 s (it is 0.0001 s)"],
    ["ontap:requestTimeout", "0", "from 0.1 s to 3600 s (it is 0 s)"],
    ["ontap:requestTimeout", "3601", "from 0.1 s to 3600 s (it is 3601 s)"],
    ["ontap:deadline", "0.04", "from 0.1 s to 86400 s (it is 0.04 s)"],
    ["ontap:jobTimeout", "1e9", "from 0.1 s to 86400 s (it is 1000000000 s)"],
    ["ontap:jobTimeout", "-5", "from 0.1 s to 86400 s (it is -5 s)"],
  ])("a duration out of range is refused, with its unit: %s = %s", (key, value, range) => {
    const err = configError(() => resolveConnection({ config: { ...base, [key]: value }, env: {} }));
    expect(err.key).toBe(key);
    expect(err.message).toContain(`${key} must be a number of seconds ${range}`);
  });

  test("a duration at the minimum is kept, never rounded to 0 ms (which would turn timeouts off)", () => {
    const s = resolveConnection({
      config: { ...base, "ontap:requestTimeout": 0.1, "ontap:deadline": "0.1", "ontap:jobTimeout": "0.1" },
      env: {},
    });
    expect([s.requestTimeoutMs, s.deadlineMs, s.jobTimeoutMs]).toEqual([100, 100, 100]);
  });

  test.each(["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"])(
    "profile %s is looked up among the defined profiles only",
    (name) => {
      const err = configError(() =>
        resolveConnection({
          config: { ...base, "ontap:profiles": JSON.stringify({ siteB: { host: "b.example.com" } }) },
          env: {},
          profile: name,
        }),
      );
      expect(err.key).toBe("ontap:profiles");
      expect(err.message).toContain(`Profile "${name}" is not defined in ontap:profiles (it defines: siteB)`);
    },
  );
});
