import { isIP } from "node:net";
import { generate } from "selfsigned";

/** A generated server key and certificate, PEM. */
export interface ServerCertificate {
  key: string;
  cert: string;
}

/**
 * Generates a self-signed certificate for the simulator (one 2048-bit RSA key, nothing cached on disk).
 * It is its own CA: clients verify the server by trusting exactly this PEM. Valid for 127.0.0.1, ::1,
 * localhost and the listen host.
 */
export async function generateServerCertificate(host: string): Promise<ServerCertificate> {
  type AltName = { type: 2; value: string } | { type: 7; ip: string };
  const altNames: AltName[] = [
    { type: 7, ip: "127.0.0.1" },
    { type: 7, ip: "::1" },
    { type: 2, value: "localhost" },
  ];
  if (isIP(host) && host !== "127.0.0.1" && host !== "::1" && host !== "0.0.0.0" && host !== "::") {
    altNames.push({ type: 7, ip: host });
  } else if (!isIP(host) && host !== "localhost") {
    altNames.push({ type: 2, value: host });
  }
  const now = new Date();
  const pems = await generate([{ name: "commonName", value: "ONTAP key-manager simulator" }], {
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 365 * 24 * 3600_000),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      { name: "subjectAltName", altNames },
    ],
  });
  return { key: pems.private, cert: pems.cert };
}
