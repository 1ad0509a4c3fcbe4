import {
  UNKNOWN,
  canonicalServerAddress,
  containsUnknown,
  hasDefaultServerSettings,
  parseServerAddress,
  sortServerEntries,
} from "../../../provider/resources/model";

function address(text: string): string {
  const parsed = parseServerAddress(text);
  if (!parsed.ok) throw new Error(`expected ${text} to parse, got: ${parsed.reason}`);
  return parsed.value.address;
}

function reason(text: string): string {
  const parsed = parseServerAddress(text);
  if (parsed.ok) throw new Error(`expected ${text} to be rejected, got ${parsed.value.address}`);
  return parsed.reason;
}

describe("parseServerAddress", () => {
  test.each([
    ["10.0.0.1", "10.0.0.1:5696"],
    ["10.0.0.1:5696", "10.0.0.1:5696"],
    ["10.0.0.1:443", "10.0.0.1:443"],
    ["0.0.0.0:1", "0.0.0.0:1"],
    ["255.255.255.255:65535", "255.255.255.255:65535"],
    ["KMS.Example.COM", "kms.example.com:5696"],
    ["kms-1.example.com:05696", "kms-1.example.com:5696"],
    ["localhost", "localhost:5696"],
    ["[fd00::1]", "[fd00::1]:5696"],
    ["[FD00:0:0:0:0:0:0:1]:5696", "[fd00::1]:5696"],
    ["[fd00:0000:0000:0000:0000:0000:0000:0001]:7000", "[fd00::1]:7000"],
    ["[::]", "[::]:5696"],
    ["[::1]", "[::1]:5696"],
    ["[1:0:1:1:1:1:1:1]", "[1:0:1:1:1:1:1:1]:5696"], // a single zero group is not compressed
    ["[1:0:0:1:0:0:0:1]", "[1:0:0:1::1]:5696"], // the longest run is compressed
    ["[1:0:0:1:1:0:0:1]", "[1::1:1:0:0:1]:5696"], // first of equal runs
    ["[::ffff:192.0.2.1]", "[::ffff:c000:201]:5696"], // embedded IPv4
  ])("%s -> %s", (input, expected) => {
    expect(address(input)).toBe(expected);
  });

  test("reports the parts of an address", () => {
    expect(parseServerAddress("[fd00::1]:99")).toEqual({
      ok: true,
      value: { host: "fd00::1", kind: "ipv6", port: 99, address: "[fd00::1]:99" },
    });
    expect(parseServerAddress("Kms")).toEqual({
      ok: true,
      value: { host: "kms", kind: "dns", port: 5696, address: "kms:5696" },
    });
  });

  test("rejects a bare IPv6 address and shows the bracketed spelling", () => {
    expect(reason("fd00::1")).toBe("IPv6 addresses must be in brackets, e.g. [fd00::1]:5696");
    expect(reason("FD00:0:0:0:0:0:0:1")).toContain("[fd00::1]:5696");
    // Ambiguous: an address, or fd00::1 with port 5696. Never guessed.
    expect(reason("fd00::1:5696")).toContain("must be in brackets");
  });

  test.each([
    ["", "must not be empty"],
    [" 10.0.0.1", "must not contain whitespace"],
    ["kms .example.com", "must not contain whitespace"],
    ["10.0.0.1:0", "port must be an integer from 1 to 65535"],
    ["10.0.0.1:65536", "port must be an integer from 1 to 65535"],
    ["10.0.0.1:", "port must be an integer from 1 to 65535"],
    ["10.0.0.1:http", "port must be an integer from 1 to 65535"],
    ["10.0.0.1:-1", "port must be an integer from 1 to 65535"],
    ["10.0.0.256", "is not a valid IPv4 address"],
    ["10.0.0", "is not a valid IPv4 address"],
    ["010.0.0.1", "is not a valid IPv4 address"],
    [":5696", "host must not be empty"],
    ["kms_1.example.com", "expected host[:port]"],
    ["-kms.example.com", "expected host[:port]"],
    ["kms.example.com.", "expected host[:port]"],
    [`${"a".repeat(64)}.example.com`, "expected host[:port]"],
    ["[fd00::1", "without a matching ']'"],
    ["[fd00::1]x", "expected host[:port]"],
    ["[fd00::1]:0", "port must be"],
    ["[fd00::1%eth0]", "zone identifiers"],
    ["[fd00::1::2]", "not a valid IPv6 address"],
    ["[1:2:3:4:5:6:7:8:9]", "not a valid IPv6 address"],
    ["[10.0.0.1]", "not a valid IPv6 address"],
    ["a:b:c", "expected host[:port]"],
  ])("rejects %j (%s)", (input, expected) => {
    expect(reason(input)).toContain(expected);
  });
});

describe("canonicalServerAddress", () => {
  test("canonicalises what parses and keeps anything else verbatim", () => {
    expect(canonicalServerAddress("KMS:5696")).toBe("kms:5696");
    expect(canonicalServerAddress("not an address")).toBe("not an address");
  });
});

describe("sortServerEntries", () => {
  test("sorts by address and keeps unknown entries last in their order", () => {
    const sorted = sortServerEntries([
      { server: "b:5696" },
      UNKNOWN,
      { server: UNKNOWN },
      { server: "a:5696" },
    ] as ({ server: string } | string)[]);
    expect(sorted).toEqual([{ server: "a:5696" }, { server: "b:5696" }, UNKNOWN, { server: UNKNOWN }]);
  });
});

describe("helpers", () => {
  test("hasDefaultServerSettings", () => {
    expect(hasDefaultServerSettings({ timeout: 25, username: "" })).toBe(true);
    expect(hasDefaultServerSettings({ timeout: 26, username: "" })).toBe(false);
    expect(hasDefaultServerSettings({ timeout: 25, username: "u" })).toBe(false);
  });

  test("containsUnknown finds the sentinel at any depth", () => {
    expect(containsUnknown({ a: [1, { b: UNKNOWN }] })).toBe(true);
    expect(containsUnknown({ a: [1, { b: "x" }], c: null })).toBe(false);
  });
});
