/**
 * Hostile answers: whatever answers for the cluster (a proxy; a man-in-the-middle when certificates are not
 * verified) sends a body that never ends. A scripted HTTPS server on 127.0.0.1 serves bodies announced at
 * 2 GiB and endless chunked ones; the provider's client runs in a child process that measures its own
 * memory. The call must fail with the typed error naming the limit, and the process must stay within a
 * bound set by the limit, not by what the server sends.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { MAX_RESPONSE_BYTES } from "../../provider/ontap";
import { generateServerCertificate } from "../../simulator/tls";

const run = promisify(execFile);
const MiB = 1024 * 1024;
/**
 * The bound on the client's growth: the limit's buffers, their copy as text, undici's and TLS's own buffers,
 * and garbage not collected yet (measured: 2 to 31 MiB). Without the limit the process passes 512 MiB within
 * a second, and the child stops itself there.
 */
const GROWTH_BOUND_MIB = 12 * (MAX_RESPONSE_BYTES / MiB);

let server: Server;
let url: string;
let dir: string;
/** Bytes the server managed to send, per path. */
const sent = new Map<string, number>();
/** Requests received, per path. */
const received = new Map<string, number>();

/** Writes 64 KiB chunks as fast as the client takes them, until it goes away. */
function pour(res: import("node:http").ServerResponse, path: string): void {
  const chunk = Buffer.alloc(64 * 1024, "x");
  sent.set(path, 0);
  let open = true;
  res.on("close", () => {
    open = false;
  });
  const write = (): void => {
    while (open) {
      sent.set(path, (sent.get(path) ?? 0) + chunk.length);
      if (!res.write(chunk)) {
        res.once("drain", write);
        return;
      }
    }
  };
  write();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ontap-hostile-"));
  const { key, cert } = await generateServerCertificate("127.0.0.1");
  writeFileSync(join(dir, "ca.pem"), cert);
  server = createServer({ key, cert }, (req, res) => {
    const path = req.url ?? "";
    received.set(path, (received.get(path) ?? 0) + 1);
    if (path === "/api/small") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    } else if (path === "/api/declared-2GiB") {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(2 * 1024 * MiB) });
      pour(res, path);
    } else if (path === "/api/endless") {
      res.writeHead(200, { "content-type": "application/json" });
      pour(res, path);
    } else if (path === "/api/endless-error") {
      res.writeHead(500, { "content-type": "application/json" });
      pour(res, path);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  url = `https://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

interface ChildReport {
  outcome: "resolved" | "rejected" | "runaway" | "crashed";
  growthMiB: number;
  name?: string;
  message?: string;
  limitBytes?: number;
  declaredBytes?: number;
  mayHaveReachedServer?: boolean;
}

async function callInChild(path: string): Promise<ChildReport> {
  const { stdout } = await run(
    process.execPath,
    [
      "-r",
      "ts-node/register/transpile-only",
      join(__dirname, "hostileBodyClient.ts"),
      url,
      join(dir, "ca.pem"),
      path,
    ],
    { cwd: join(__dirname, "..", ".."), maxBuffer: MiB },
  );
  return JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as ChildReport;
}

test("the limit is a few MiB, far above any key-manager answer", () => {
  expect(MAX_RESPONSE_BYTES).toBe(8 * MiB);
});

test.each([
  ["a body announced at 2 GiB", "/api/declared-2GiB", 2 * 1024 * MiB],
  ["an endless chunked body", "/api/endless", undefined],
  ["an endless chunked error body (HTTP 500)", "/api/endless-error", undefined],
])(
  "%s fails with the typed error naming the limit, in bounded memory",
  async (_name, path, declared) => {
    const report = await callInChild(path);
    console.log(
      `${path}: ${JSON.stringify({ ...report, message: undefined })}, server sent ${Math.round((sent.get(path) ?? 0) / MiB)} MiB`,
    );
    expect(report).toMatchObject({
      outcome: "rejected",
      name: "OntapResponseTooLargeError",
      limitBytes: MAX_RESPONSE_BYTES,
      mayHaveReachedServer: true,
    });
    expect(report.declaredBytes).toBe(declared);
    expect(report.message).toContain("8 MiB limit");
    expect(report.message).toContain(`GET /api${path.slice(4)}`);
    expect(report.growthMiB).toBeLessThan(GROWTH_BOUND_MIB);
    // The client stopped reading: the server could not push much past the limit (socket buffers aside).
    expect(sent.get(path) ?? 0).toBeLessThan(MAX_RESPONSE_BYTES + 32 * MiB);
    // And did not ask again: a retry would read another body as long.
    expect(received.get(path)).toBe(1);
  },
  60_000,
);
