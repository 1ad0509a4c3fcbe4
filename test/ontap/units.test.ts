/**
 * Pure parts of the ONTAP layer: the codes table, the error hierarchy and its transport-code mapping,
 * redaction, response parsing, query and path encoding, releases, key-server addresses.
 */

import { inspect } from "node:util";
import { z } from "zod";
import {
  ONTAP_CODES,
  OntapApiError,
  OntapAuthenticationError,
  OntapBadResponseError,
  OntapConnectionError,
  OntapJobFailedError,
  OntapNotFoundError,
  OntapResponseTooLargeError,
  OntapTimeoutError,
  REDACTED,
  buildQuery,
  filterValue,
  compareVersions,
  describeOntapCode,
  fromErrorResponse,
  fromTransportError,
  isOutcomeUnknown,
  keyManagerRecordSchema,
  parseBody,
  parseJsonText,
  parseVersion,
  pathSegment,
  redact,
  registerCredential,
  registerSecret,
  versionAtLeast,
} from "../../provider/ontap";

/** Every code in the error-code section of shared/ontap-key-managers-api.md. */
const DOC_CODES = (
  "196608301 196608305 65536038 65536139 65536150 65536208 65536214 65536216 65536233 65536234 65536239 " +
  "65536242 65536310 65536404 65536406 65536407 65536408 65536508 65536700 65536800 65536802 65536813 " +
  "65536817 65536821 65536822 65536823 65536824 65536827 65536828 65536834 65536843 65536845 65536846 " +
  "65536850 65536852 65536867 65536870 65536871 65536876 65536878 65536895 65536900 65536903 65536906 " +
  "65536907 65536916 65536917 65536920 65536921 66060338 66060339 66060340 66060341 4"
).split(" ");

const context = { method: "POST", path: "/api/security/key-managers", target: "cluster1.example.com" };

function withCode(code: string, message = `failure ${code}`, cause?: unknown): Error {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

describe("ONTAP codes", () => {
  test("every code of the API doc has a meaning", () => {
    for (const code of DOC_CODES) {
      expect(ONTAP_CODES[code]?.meaning).toEqual(expect.any(String));
    }
    expect(describeOntapCode("65536823")).toEqual({
      meaning: "the SVM already has a key manager",
      remedy: "set adopt: true to take it over, or delete the existing one",
    });
    // Jobs carry the same codes as integers.
    expect(describeOntapCode(65536139)?.meaning).toBe("the existing passphrase does not match");
    expect(describeOntapCode("999")).toBeUndefined();
  });
});

describe("errors from ONTAP answers", () => {
  test("401 and 403 are authentication errors, 404 not found, others API errors with code meaning", () => {
    expect(fromErrorResponse(401, undefined, context)).toBeInstanceOf(OntapAuthenticationError);
    const forbidden = fromErrorResponse(403, { error: { code: "6", message: "not authorized" } }, context);
    expect(forbidden).toBeInstanceOf(OntapAuthenticationError);
    expect(forbidden.remedy).toContain("role");
    const missing = fromErrorResponse(404, { error: { code: "4", message: "entry doesn't exist" } }, context);
    expect(missing).toBeInstanceOf(OntapNotFoundError);
    expect(missing.ontapCode).toBe("4");
    const refused = fromErrorResponse(
      400,
      {
        error: {
          code: "65536823",
          message: "already configured",
          target: "svm.uuid",
          arguments: [{ code: "1", message: "vs0" }],
          extra: true,
        },
      },
      context,
    );
    expect(refused).toMatchObject({
      status: 400,
      ontapCode: "65536823",
      ontapTarget: "svm.uuid",
      meaning: "the SVM already has a key manager",
      remedy: "set adopt: true to take it over, or delete the existing one",
      arguments: [{ code: "1", message: "vs0" }],
      method: "POST",
      path: "/api/security/key-managers",
      target: "cluster1.example.com",
      mayHaveReachedServer: true,
    });
    expect(refused.message).toBe(
      "ONTAP refused POST /api/security/key-managers with HTTP 400, error 65536823 (the SVM already has a key manager): " +
        "already configured [field: svm.uuid]. Fix: set adopt: true to take it over, or delete the existing one",
    );
  });

  test("an answer that is not an ONTAP error body still gives an API error with the status", () => {
    const e = fromErrorResponse(502, "<html>Bad gateway</html>", context);
    expect(e).toBeInstanceOf(OntapApiError);
    expect(e.ontapCode).toBeUndefined();
    expect(e.remedy).toContain("gateway");
    expect(isOutcomeUnknown(e)).toBe(true);
    expect(isOutcomeUnknown(fromErrorResponse(400, undefined, context))).toBe(false);
  });

  test("a failed job carries uuid, code, meaning and message", () => {
    const e = new OntapJobFailedError({
      ...context,
      jobUuid: "j-1",
      jobCode: 65536139,
      jobMessage: "mismatch",
    });
    expect(e.ontapCode).toBe("65536139");
    expect(e.meaning).toBe("the existing passphrase does not match");
    expect(e.message).toMatch(
      /^ONTAP job j-1 for POST \/api\/security\/key-managers failed with code 65536139 \(the existing passphrase does not match\): mismatch\. Fix: /,
    );
  });
});

describe("transport errors are mapped in one place", () => {
  test.each([
    ["ECONNREFUSED", OntapConnectionError, "refused", false],
    ["ENOTFOUND", OntapConnectionError, "dns", false],
    ["EHOSTUNREACH", OntapConnectionError, "unreachable", false],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", OntapConnectionError, "tls-verification", false],
    ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", OntapConnectionError, "tls-verification", false],
    ["CERT_HAS_EXPIRED", OntapConnectionError, "tls-verification", false],
    ["ERR_TLS_CERT_ALTNAME_INVALID", OntapConnectionError, "tls-hostname", false],
    ["EPROTO", OntapConnectionError, "tls-protocol", false],
    ["ECONNRESET", OntapConnectionError, "reset", true],
    ["UND_ERR_SOCKET", OntapConnectionError, "reset", true],
    ["EPIPE", OntapConnectionError, "reset", true],
    ["HPE_INVALID_CONSTANT", OntapConnectionError, "protocol", true],
    ["UND_ERR_CONNECT_TIMEOUT", OntapTimeoutError, "connect", false],
    ["UND_ERR_HEADERS_TIMEOUT", OntapTimeoutError, "headers", true],
    ["UND_ERR_BODY_TIMEOUT", OntapTimeoutError, "body", true],
    ["SOMETHING_NEW", OntapConnectionError, "other", true],
  ] as const)("%s", (code, cls, kind, reached) => {
    const e = fromTransportError(withCode(code), { ...context, requestTimeoutMs: 1_000 });
    expect(e).toBeInstanceOf(cls);
    expect(e.mayHaveReachedServer).toBe(reached);
    expect(e instanceof OntapTimeoutError ? e.phase : (e as OntapConnectionError).reason).toBe(kind);
    expect(e.cause).toMatchObject({ code });
    expect(e.message).toContain(reached ? "may have reached ONTAP" : "did not reach ONTAP");
  });

  test("the most specific code wins: a cause chain or an AggregateError from happy eyeballs", () => {
    const wrapped = withCode("UND_ERR_SOCKET", "other side closed", withCode("ECONNRESET"));
    expect((fromTransportError(wrapped, context) as OntapConnectionError).errorCode).toBe("ECONNRESET");
    const aggregate = new AggregateError(
      [withCode("ECONNREFUSED"), withCode("ECONNREFUSED")],
      "connect failed",
    );
    const e = fromTransportError(aggregate, context) as OntapConnectionError;
    expect(e.reason).toBe("refused");
    expect(e.mayHaveReachedServer).toBe(false);
  });

  test("a fired deadline is a deadline timeout whatever undici reported", () => {
    const e = fromTransportError(new DOMException("aborted", "TimeoutError"), {
      ...context,
      deadlineExceeded: true,
      deadlineMs: 5_000,
    });
    expect(e).toBeInstanceOf(OntapTimeoutError);
    expect((e as OntapTimeoutError).phase).toBe("deadline");
    expect(e.message).toContain("5 s deadline");
    expect(isOutcomeUnknown(e)).toBe(true);
  });

  test("GET failures do not talk about applied writes", () => {
    const e = fromTransportError(withCode("ECONNRESET"), { ...context, method: "GET" });
    expect(e.message).not.toContain("applied");
  });
});

describe("redaction", () => {
  test("registered secrets disappear in every spelling", () => {
    const secret = 'pa"ss word/with&odd chars';
    registerSecret(secret);
    const text = `raw ${secret} json ${JSON.stringify(secret)} url ${encodeURIComponent(secret)}`;
    expect(redact(text)).not.toContain("ss word");
    expect(redact(text)).not.toContain("odd%20chars");
  });

  test("secret-shaped fragments are removed even when unregistered; prose is kept", () => {
    expect(redact("authorization: Basic YWRtaW46cGFzczEyMw==")).toBe(`authorization: ${REDACTED}`);
    expect(redact("header Basic YWRtaW46cGFzczEyMw== seen")).toBe(`header Basic ${REDACTED} seen`);
    expect(redact('{"passphrase":"abc def","existing_passphrase": "x\\"y"}')).toBe(
      `{"passphrase":"${REDACTED}","existing_passphrase": "${REDACTED}"}`,
    );
    expect(redact("GET /x?password=hunter2&y=1")).toBe(`GET /x?password=${REDACTED}&y=1`);
    expect(redact("https://admin:pw@cluster1/api")).toBe(`https://${REDACTED}@cluster1/api`);
    expect(redact("HTTP Basic authentication failed")).toBe("HTTP Basic authentication failed");
  });

  test("an error's message, cause chain, stack, JSON and inspect are all redacted", () => {
    const secret = "Cause-chain-secret-42";
    registerSecret(secret);
    const inner = Object.assign(new Error(`inner ${secret}`), {
      code: "ECONNRESET",
      config: { password: secret },
    });
    const e = fromTransportError(withCode("UND_ERR_SOCKET", `outer ${secret}`, inner), context);
    for (const text of [
      e.message,
      e.stack ?? "",
      JSON.stringify(e),
      inspect(e, { depth: 10, showHidden: true }),
    ]) {
      expect(text).not.toContain(secret);
    }
    // The cause is a redacted copy that keeps what is useful.
    expect(e.cause).toMatchObject({ code: "UND_ERR_SOCKET", cause: { code: "ECONNRESET" } });
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({
      name: "OntapConnectionError",
      cause: { code: "UND_ERR_SOCKET" },
    });
  });
});

describe("redaction reveals nothing by what it hides", () => {
  /** Every text an error shows: message, stack, JSON, inspect (own fields included). */
  const shown = (e: Error): string[] => [
    e.message,
    e.stack ?? "",
    JSON.stringify(e),
    inspect(e, { depth: 10, showHidden: true }),
  ];

  test("a secret that is a word of our own message is not hidden there: the message matches err.path", () => {
    // The ONTAP password "security", a KMIP password "key-servers": words of the paths this layer builds.
    registerSecret("security");
    registerSecret("key-servers");
    const path =
      "/api/security/key-managers/0f0e0d0c-0b0a-4909-8807-060504030201/key-servers/10.0.0.1%3A5696";
    const e = fromErrorResponse(
      500,
      { error: { code: "65536850", message: "internal error" } },
      {
        method: "PATCH",
        path,
        target: "cluster1.example.com",
      },
    );
    expect(e.path).toBe(path);
    expect(e.message).toContain(`PATCH ${path}`);
    for (const text of shown(e)) expect(text).not.toContain(REDACTED);
    const timeout = fromTransportError(withCode("UND_ERR_HEADERS_TIMEOUT"), {
      method: "GET",
      path,
      target: "c1",
    });
    expect(timeout.message).toContain(`GET ${path}`);
    expect(timeout.message).not.toContain(REDACTED);
  });

  test("outside text is redacted in every field where it lands: message, ontapMessage, ontapTarget, code, arguments", () => {
    const secret = "Outside-echo-secret-0042";
    registerSecret(secret);
    const e = fromErrorResponse(
      400,
      {
        error: {
          code: secret,
          message: `bad value ${secret}`,
          target: `onboard.${secret}`,
          arguments: [{ code: secret, message: `arg ${secret}` }],
        },
      },
      context,
    );
    expect(e.ontapTarget).toBe(`onboard.${REDACTED}`);
    expect(e.ontapMessage).toBe(`bad value ${REDACTED}`);
    expect(e.ontapCode).toBe(REDACTED);
    expect(e.message).toContain(`[field: onboard.${REDACTED}]`);
    for (const text of shown(e)) expect(text).not.toContain(secret);
    const job = new OntapJobFailedError({
      ...context,
      jobUuid: secret,
      jobCode: 1,
      jobMessage: `job ${secret}`,
    });
    for (const text of shown(job)) expect(text).not.toContain(secret);
    const bad = new OntapBadResponseError({
      ...context,
      issues: [{ field: `records[0].${secret}`, problem: "x" }],
    });
    for (const text of shown(bad)) expect(text).not.toContain(secret);
    const other = fromTransportError(withCode(`E_${secret}`, `undici says ${secret}`), context);
    for (const text of shown(other)) expect(text).not.toContain(secret);
  });

  test("the spellings a server or a proxy may echo: form-encoded, HTML-escaped, Base64 and the Basic credential", () => {
    const secret = "p&ss <word> 'quoted'";
    registerCredential("admin", secret);
    const spellings = [
      new URLSearchParams({ v: secret }).toString().slice(2),
      encodeURIComponent(secret).replace(/%20/g, "+"),
      "p&amp;ss &lt;word&gt; &#39;quoted&#39;",
      "p&amp;ss &lt;word&gt; &#x27;quoted&#x27;",
      Buffer.from(secret).toString("base64"),
      Buffer.from(`admin:${secret}`).toString("base64"),
      Buffer.from(`admin:${secret}`).toString("base64").replace(/=+$/, ""),
    ];
    for (const spelling of spellings) {
      expect(redact(`echo <${spelling}> end`)).toBe(`echo <${REDACTED}> end`);
    }
  });

  test("an ONTAP code naming an Object.prototype member means nothing", () => {
    for (const code of ["constructor", "toString", "__proto__"]) {
      const e = fromErrorResponse(400, { error: { code, message: "odd" } }, context);
      expect(e.meaning).toBeUndefined();
      expect(e.message).toBe(
        `ONTAP refused POST /api/security/key-managers with HTTP 400, error ${code}: odd.`,
      );
    }
  });

  test("short secrets are registered too, and redacted in outside text as whole tokens only", () => {
    registerSecret("q7");
    expect(redact("the password q7 was refused")).toBe(`the password ${REDACTED} was refused`);
    expect(redact('"q7"')).toBe(`"${REDACTED}"`);
    // Inside a longer word or number it is left alone: "q77", "aq7", "q7b".
    expect(redact("fields q77 aq7 q7b")).toBe("fields q77 aq7 q7b");
  });

  test("a replacement is never matched again by a shorter secret", () => {
    registerSecret("Longer-secret-holding-nothing-else");
    registerSecret("DACTED");
    expect(redact("x Longer-secret-holding-nothing-else and DACTED y")).toBe(
      `x ${REDACTED} and ${REDACTED} y`,
    );
  });
});

describe("answers too long to read", () => {
  test("the error names the limit and counts as a possibly applied write", () => {
    const e = new OntapResponseTooLargeError({ ...context, status: 201, limitBytes: 8 * 1024 * 1024 });
    expect(e).toBeInstanceOf(OntapBadResponseError);
    expect(e.message).toContain("longer than the 8 MiB limit");
    expect(e.mayHaveReachedServer).toBe(true);
    expect(isOutcomeUnknown(e)).toBe(true);
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({
      name: "OntapResponseTooLargeError",
      limitBytes: 8388608,
    });
  });
});

describe("response parsing", () => {
  const page = z.looseObject({ records: z.array(keyManagerRecordSchema) });

  test("a body that breaks the contract names the field", () => {
    const body = { records: [{ uuid: "a" }, { uuid: 7, scope: "cluster" }] };
    let err: unknown;
    try {
      parseBody(page, body, { ...context, method: "GET", status: 200 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OntapBadResponseError);
    const e = err as OntapBadResponseError;
    expect(e.field).toBe("records[1].uuid");
    expect(e.status).toBe(200);
    expect(e.message).toMatch(/breaks the expected contract at records\[1\]\.uuid: .*expected string/);
  });

  test("an unknown enum value or a wrong nested type is reported by path too", () => {
    expect(() => parseBody(keyManagerRecordSchema, { uuid: "u", scope: "galaxy" }, context)).toThrow(
      /at scope:/,
    );
    expect(() =>
      parseBody(keyManagerRecordSchema, { uuid: "u", external: { servers: [{ server: 1 }] } }, context),
    ).toThrow(/at external\.servers\[0\]\.server:/);
  });

  test("fields from newer releases are kept, not rejected", () => {
    const record = parseBody(
      keyManagerRecordSchema,
      { uuid: "u", scope: "cluster", onboard: { enabled: true, future_flag: 1 }, brand_new: { x: [1] } },
      context,
    );
    expect(record).toMatchObject({
      uuid: "u",
      onboard: { enabled: true, future_flag: 1 },
      brand_new: { x: [1] },
    });
  });

  test("a body that is not JSON is a bad response that does not quote it", () => {
    let err: unknown;
    try {
      parseJsonText("<html>secret-looking page</html>", context);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OntapBadResponseError);
    expect((err as Error).message).toContain("the body is not JSON");
    expect(JSON.stringify(err)).not.toContain("secret-looking");
    expect(parseJsonText("  ", context)).toBeUndefined();
  });
});

describe("queries, paths, releases, key-server addresses", () => {
  test("query strings are encoded, commas kept, undefined left out", () => {
    expect(
      buildQuery({ fields: ["uuid", "svm.name"], "svm.name": "vs 0|vs1", force: true, skip: undefined }),
    ).toBe("?fields=uuid,svm.name&svm.name=vs%200%7Cvs1&force=true");
    expect(buildQuery({})).toBe("");
    // ONTAP filters have no escape for their operators: cut at the first one and widen with a wildcard.
    expect(filterValue("vs0")).toBe("vs0");
    expect(filterValue("cert|odd*name")).toBe("cert*");
    expect(pathSegment("10.0.0.5:5696")).toBe("10.0.0.5%3A5696");
    expect(pathSegment("[fd00::1]:5696")).toBe("%5Bfd00%3A%3A1%5D%3A5696");
  });

  test("releases parse and order", () => {
    expect(parseVersion("NetApp Release 9.13.1P2: Thu").text).toBe("9.13.1");
    expect(compareVersions(parseVersion("9.6"), parseVersion("9.13"))).toBeLessThan(0);
    expect(versionAtLeast(parseVersion("9.7.0"), "9.7")).toBe(true);
    expect(versionAtLeast(parseVersion("9.6.0"), "9.7")).toBe(false);
  });
});

describe("jobMentions", () => {
  // Job descriptions are free text (ONTAP puts the request path in them); one that is not URL-encoded text
  // used to throw a URIError that made every job wait give up (issue 10, finding 11).
  const km = "3f1b2c4d-0000-4000-8000-00000000abcd";

  test("matches raw and URL-encoded text", async () => {
    const { jobMentions } = await import("../../provider/ontap/jobs");
    expect(jobMentions(`POST /api/security/key-managers/${km}/key-servers`, `${km}/key-servers`)).toBe(true);
    expect(
      jobMentions(`PATCH /api/security/key-managers/${km}/key-servers/10.0.0.1%3A5696`, "10.0.0.1:5696"),
    ).toBe(true);
    expect(jobMentions(undefined, km)).toBe(false);
    expect(jobMentions("POST /api/security/key-managers", km)).toBe(false);
  });

  test("a bare % or a broken escape anywhere neither throws nor hides a match", async () => {
    const { jobMentions } = await import("../../provider/ontap/jobs");
    expect(jobMentions("volume vol%1 is 100% full", km)).toBe(false);
    expect(jobMentions(`100% of ${km}/key-servers/a%3Ab %C3 %`, `${km}/key-servers/a:b`)).toBe(true);
    expect(jobMentions("%E2%82%AC and %zz", "€ and %zz")).toBe(true);
  });
});
