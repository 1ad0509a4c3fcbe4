/**
 * Test certificates made with `selfsigned` (node:crypto keys; no hand-written ASN.1): a KMIP CA, client
 * certificates it signs, and renewals that keep a client's key pair.
 *
 * @packageDocumentation
 */
import { generateKeyPairSync } from "node:crypto";
import { generate } from "selfsigned";

/** A PEM certificate with its private key. */
export interface Pem {
  cert: string;
  key: string;
}

const DAY = 86_400_000;

/** A fresh RSA key pair, PEM. */
export function keyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKey: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

/** A self-signed CA certificate valid from a minute ago for `days`. */
export async function caCertificate(commonName: string, days = 3650): Promise<Pem> {
  const now = Date.now();
  const r = await generate([{ name: "commonName", value: commonName }], {
    keySize: 2048,
    algorithm: "sha256",
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + days * DAY),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: r.cert, key: r.private };
}

/**
 * A client certificate signed by `ca`, for the key pair `pair` (a renewal passes the same pair), valid from
 * `fromDays` (negative: in the past) for `days`.
 */
export async function clientCertificate(
  commonName: string,
  ca: Pem,
  pair: { privateKey: string; publicKey: string } = keyPair(),
  days = 365,
  fromDays = 0,
): Promise<Pem> {
  const start = Date.now() + fromDays * DAY - 60_000;
  const r = await generate([{ name: "commonName", value: commonName }], {
    algorithm: "sha256",
    keyPair: pair,
    ca: { key: ca.key, cert: ca.cert },
    notBeforeDate: new Date(start),
    notAfterDate: new Date(start + days * DAY),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", clientAuth: true },
    ],
  });
  return { cert: r.cert, key: pair.privateKey };
}
