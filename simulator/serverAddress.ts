import { isIPv4, isIPv6 } from "node:net";

/** The KMIP port ONTAP assumes when a key server is given without one. */
export const DEFAULT_KMIP_PORT = 5696;

const dnsName = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Normalises a key-server address to "host:port": DNS names lower-cased, IPv6 in brackets and canonical form,
 * port 1-65535 defaulting to 5696. Returns an explanation string when the address is not valid.
 */
export function normalizeServer(input: string): { server: string } | { problem: string } {
  let host: string;
  let port: string | undefined;
  if (input.startsWith("[")) {
    const m = /^\[([^\]]+)\](?::([^:]*))?$/.exec(input);
    if (!m?.[1] || !isIPv6(m[1])) return { problem: "not a valid bracketed IPv6 address" };
    host = `[${canonicalIPv6(m[1])}]`;
    port = m[2];
  } else {
    const colons = input.split(":").length - 1;
    if (colons > 1) return { problem: "IPv6 addresses must be written in brackets, e.g. [fd00::1]:5696" };
    [host = "", port] = input.split(":");
    host = host.toLowerCase();
    if (!isIPv4(host) && (!dnsName.test(host) || /^[0-9.]+$/.test(host))) {
      return { problem: "not a valid host name or IP address" };
    }
  }
  let p = DEFAULT_KMIP_PORT;
  if (port !== undefined) {
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
      return { problem: "the port must be 1 to 65535" };
    }
    p = Number(port);
  }
  return { server: `${host}:${p}` };
}

function canonicalIPv6(addr: string): string {
  // The WHATWG URL parser prints IPv6 in its canonical (RFC 5952) form.
  return new URL(`https://[${addr}]/`).hostname.slice(1, -1);
}
