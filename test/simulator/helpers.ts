/** Shared helpers of the simulator's conformance tests: the verifying HTTPS client (test/support) and small utilities. */
import { type Simulator, type SimulatorOptions, startSimulator } from "../../simulator";
import { type Body, type CallOptions, Client, type Res } from "../support/httpsClient";

export { type Body, type CallOptions, Client, type Res };

/** The value as a string (fails the test when it is not one). */
export function str(v: unknown): string {
  if (typeof v !== "string") throw new Error(`expected a string, got ${JSON.stringify(v)}`);
  return v;
}

/** Records of a collection answer. */
export function records(res: Res): Body[] {
  return list(res.body.records);
}

/** A JSON array as a list (fails the test when it is not an array). */
export function list(v: Body | undefined): Body[] {
  const u: unknown = v;
  if (!Array.isArray(u)) throw new Error(`expected an array, got ${JSON.stringify(v)}`);
  return u as Body[];
}

/** A valid onboard passphrase (32+ ASCII characters). */
export const PASSPHRASE = "correct horse battery staple 0001";
/** Another valid one. */
export const PASSPHRASE2 = "correct horse battery staple 0002";

/** Waits for `condition`, polling every 10 ms, for at most `timeoutMs`. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 3_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A POST body for an external key manager of a data SVM, from the seeded certificates. */
export function externalBody(
  svm: string,
  servers: unknown[] = [{ server: "10.0.0.1" }],
): Record<string, unknown> {
  return {
    svm: { name: svm },
    external: {
      client_certificate: { name: `${svm}-client` },
      server_ca_certificates: [{ name: `${svm}-ca-1` }],
      servers,
    },
  };
}

/** A POST body for an external key manager at cluster scope (no svm), from the seeded certificates. */
export function clusterExternalBody(servers: unknown[] = [{ server: "10.0.0.1" }]): Record<string, unknown> {
  return {
    external: {
      client_certificate: { name: "cluster-client" },
      server_ca_certificates: [{ name: "cluster-ca-1" }],
      servers,
    },
  };
}

/** Creates a key manager on a 9.6 simulator and returns its uuid (fails the test on any other answer). */
export async function createKm(c: Client, body: unknown): Promise<string> {
  const r = await c.post("/api/security/key-managers", body);
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${JSON.stringify(r.body)}`);
  const loc = r.headers.location;
  if (typeof loc !== "string") throw new Error("no location header");
  return loc.split("/").pop() ?? "";
}

/** Expects an ONTAP error answer. */
export function expectError(res: Res, status: number, code: string, target?: string): void {
  expect({ status: res.status, code: res.body.error?.code }).toEqual({ status, code });
  if (target !== undefined) expect(res.body.error?.target).toBe(target);
}

/**
 * The fixture of a simulator test file: one simulator and one client for the whole file, reset before each
 * test, closed after all. `use` receives them once started.
 */
export function useSimulator(options: SimulatorOptions, use: (sim: Simulator, client: Client) => void): void {
  let sim: Simulator | undefined;
  let client: Client | undefined;
  beforeAll(async () => {
    sim = await startSimulator(options);
    client = new Client(sim);
    use(sim, client);
  });
  afterAll(async () => {
    await client?.close();
    await sim?.close();
  });
  beforeEach(() => sim?.reset());
}
