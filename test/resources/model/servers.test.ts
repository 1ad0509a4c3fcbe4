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

describe("numeric look-alikes of IPv4 addresses", () => {
  // Each is an IP address to inet_aton and to the WHATWG URL parser; as a "DNS name" it would dodge the
  // duplicate check against the same server written as a dotted quad (issue 10, finding 12).
  test.each([
    ["0x7f.1", "127.0.0.1"],
    ["0x7f000001", "127.0.0.1"],
    ["0X7F000001:5697", "127.0.0.1"],
    ["0x7f.0x0.0x0.0x1", "127.0.0.1"],
    ["10.0x1", "10.0.0.1"],
    ["0xa.0.0.1", "10.0.0.1"],
  ])("rejects %j, read by resolvers as %s", (input, quad) => {
    expect(reason(input)).toContain("not a DNS name");
    expect(reason(input)).toContain(`e.g. ${quad}`);
  });

  test.each([
    ["127.1", "127.0.0.1"],
    ["017700000001", "127.0.0.1"],
    ["2130706433", "127.0.0.1"],
    ["0177.0.0.1", "127.0.0.1"],
  ])("rejects the decimal and octal form %j, naming %s", (input, quad) => {
    expect(reason(input)).toContain("is not a valid IPv4 address");
    expect(reason(input)).toContain(quad);
  });

  test("a name ending in a number is rejected even when it is no valid address", () => {
    expect(reason("kms.1")).toContain("not a DNS name");
    expect(reason("kms.0x")).toContain("not a DNS name");
  });

  test("hex-looking labels elsewhere are ordinary DNS names", () => {
    for (const name of ["0x7f.example.com", "kms-0x1.example.com", "0xdeadbeef.local", "a1.b2"]) {
      expect(parseServerAddress(name)).toMatchObject({ ok: true, value: { kind: "dns" } });
    }
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
