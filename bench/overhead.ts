/**
 * Provider overhead per operation: CPU milliseconds this process spends on a provider call, beside a bare
 * undici request making the same HTTP call. The simulator runs in a child process, so that only the client's
 * CPU is counted. The difference is what the provider adds: validation, zod parsing of inputs and answers,
 * planning, redaction, the retry agent.
 *
 * @packageDocumentation
 */

import { KEY_MANAGER_FIELDS, closeAllClients } from "../provider/ontap";
import { startChildSimulator } from "./childSimulator";
import { type Props, checked, configureProviders, cpuMs, external, providers, round } from "./support";

const { km, ks } = providers;

/** One operation's CPU cost. */
export interface OverheadRow {
  /** The operation. */
  op: string;
  /** The HTTP call(s) it makes, which the bare client makes too. */
  http: string;
  /** CPU ms per provider call. */
  providerCpuMs: number;
  /** CPU ms per bare undici request doing the same HTTP call(s) (0 when there is none). */
  bareCpuMs: number;
  /** providerCpuMs - bareCpuMs. */
  overheadCpuMs: number;
  /** Wall ms per provider call (the simulator answers at once). */
  providerWallMs: number;
  /** Wall ms per bare request. */
  bareWallMs: number;
  /** Calls measured per side (best of three rounds). */
  iterations: number;
}

/** Measures `fn` `n` times after `warmup` calls; CPU and wall per call. `setup`/`teardown` run unmeasured. */
async function perCall(
  n: number,
  fn: (i: number) => Promise<unknown>,
  around: { before?: (i: number) => Promise<unknown>; after?: (i: number) => Promise<unknown> } = {},
): Promise<{ cpu: number; wall: number }> {
  let cpu = 0;
  let wall = 0;
  for (let i = 0; i < n; i++) {
    await around.before?.(i);
    const c0 = cpuMs();
    const w0 = performance.now();
    await fn(i);
    wall += performance.now() - w0;
    cpu += cpuMs() - c0;
    await around.after?.(i);
  }
  return { cpu: cpu / n, wall: wall / n };
}

/** Best (lowest CPU) of three rounds after a warm-up, to damp noise from a shared machine. */
async function best(
  n: number,
  fn: (i: number) => Promise<unknown>,
  around: Parameters<typeof perCall>[2] = {},
): Promise<{ cpu: number; wall: number }> {
  await perCall(Math.max(5, Math.floor(n / 5)), fn, around);
  const rounds = [await perCall(n, fn, around), await perCall(n, fn, around), await perCall(n, fn, around)];
  return rounds.reduce((a, b) => (a.cpu <= b.cpu ? a : b));
}

/** Runs the overhead measurements against a simulator child process. */
export async function measureOverhead(iterations = 60): Promise<OverheadRow[]> {
  const sim = await startChildSimulator();
  /** A bare HTTP call on a pool of its own: send, read the body, parse the JSON (any client must). */
  const bare = (method: string, p: string, body?: unknown): Promise<unknown> => sim.call(method, p, body);
  const rows: OverheadRow[] = [];
  const add = (
    op: string,
    http: string,
    provider: { cpu: number; wall: number },
    plain: { cpu: number; wall: number },
  ): void => {
    rows.push({
      op,
      http,
      providerCpuMs: round(provider.cpu, 3),
      bareCpuMs: round(plain.cpu, 3),
      overheadCpuMs: round(provider.cpu - plain.cpu, 3),
      providerWallMs: round(provider.wall, 3),
      bareWallMs: round(plain.wall, 3),
      iterations,
    });
  };
  try {
    await closeAllClients();
    await configureProviders({
      "ontap:host": sim.url,
      "ontap:username": sim.username,
      "ontap:password": sim.password,
      "ontap:caCert": sim.caCert,
    });
    const certs = (await bare("GET", "/api/security/certificates?fields=uuid,name&svm.name=vs0")) as {
      records: { uuid: string; name: string }[];
    };
    const uuidOf = (name: string): string => certs.records.find((c) => c.name === name)!.uuid;
    const client = uuidOf("vs0-client");
    const ca = uuidOf("vs0-ca-1");
    const createRaw = { svm: "vs0", external: external(["10.9.0.1"], client, [ca]) };
    const createNews = await checked(km, createRaw);
    const body = {
      svm: { name: "vs0" },
      external: {
        client_certificate: { uuid: client },
        server_ca_certificates: [{ uuid: ca }],
        servers: [{ server: "10.9.0.1:5696" }],
      },
    };

    // check + diff: no HTTP at all.
    const base = await km.create(createNews);
    const outs = base.outs as Props;
    const changedNews = await checked(km, {
      svm: "vs0",
      external: external([{ server: "10.9.0.1", timeout: 30 }], client, [ca]),
    });
    const checkDiff = await best(iterations * 5, async () => {
      await km.check({}, createRaw);
      await km.diff(base.id, outs, changedNews);
    });
    add("KeyManager check + diff", "none", checkDiff, { cpu: 0, wall: 0 });

    const readPath = `/api/security/key-managers/${base.id}?fields=${KEY_MANAGER_FIELDS.join(",")}`;
    add(
      "KeyManager read",
      "1 GET",
      await best(iterations * 2, () => km.read(base.id, outs)),
      await best(iterations * 2, () => bare("GET", readPath)),
    );

    const serverPath = `/api/security/key-managers/${base.id}/key-servers/${encodeURIComponent("10.9.0.1:5696")}`;
    let current = outs;
    add(
      "KeyManager update (server timeout)",
      "1 PATCH",
      await best(iterations, async (i) => {
        const news = await checked(km, {
          svm: "vs0",
          external: external([{ server: "10.9.0.1", timeout: i % 2 === 0 ? 30 : 25 }], client, [ca]),
        });
        current = (await km.update(base.id, current, news)).outs as Props;
      }),
      await best(iterations, (i) => bare("PATCH", serverPath, { timeout: i % 2 === 0 ? 30 : 25 })),
    );
    await km.delete(base.id, current);

    // create and delete alternate; each is measured on its own.
    let created: { id: string; outs: Props } | undefined;
    const providerCreate = await best(
      iterations,
      async () => {
        const r = await km.create(createNews);
        created = { id: r.id, outs: r.outs as Props };
      },
      { after: () => km.delete(created!.id, created!.outs) },
    );
    const providerDelete = await best(iterations, () => km.delete(created!.id, created!.outs), {
      before: async () => {
        const r = await km.create(createNews);
        created = { id: r.id, outs: r.outs as Props };
      },
    });
    let bareUuid = "";
    const bareCreate = await best(
      iterations,
      async () => {
        // The same calls as the provider: the scope's GET (read before writing), then the POST.
        await bare("GET", "/api/security/key-managers?scope=cluster&fields=uuid,scope,svm");
        const r = (await bare("POST", "/api/security/key-managers?return_records=true", body)) as {
          records: { uuid: string }[];
        };
        bareUuid = r.records[0]!.uuid;
      },
      { after: () => bare("DELETE", `/api/security/key-managers/${bareUuid}`) },
    );
    const bareDelete = await best(
      iterations,
      () => bare("DELETE", `/api/security/key-managers/${bareUuid}`),
      {
        before: async () => {
          const r = (await bare("POST", "/api/security/key-managers?return_records=true", body)) as {
            records: { uuid: string }[];
          };
          bareUuid = r.records[0]!.uuid;
        },
      },
    );
    add("KeyManager create (cert UUIDs)", "1 GET + 1 POST", providerCreate, bareCreate);
    add("KeyManager delete", "1 DELETE", providerDelete, bareDelete);

    // KeyServer create + delete on a listed key manager.
    const host = await km.create(
      await checked(km, {
        svm: "vs0",
        external: external(["10.9.1.1"], client, [ca]),
        serverManagement: "listed",
      }),
    );
    const ksNews = await checked(ks, { keyManager: host.id, server: "10.9.1.2" });
    let ksCreated: { id: string; outs: Props } | undefined;
    const ksCollection = `/api/security/key-managers/${host.id}/key-servers`;
    const ksInstance = `${ksCollection}/${encodeURIComponent("10.9.1.2:5696")}`;
    add(
      "KeyServer create",
      "1 GET + 1 POST",
      await best(
        iterations,
        async () => {
          const r = await ks.create(ksNews);
          ksCreated = { id: r.id, outs: r.outs as Props };
        },
        { after: () => ks.delete(ksCreated!.id, ksCreated!.outs) },
      ),
      await best(
        iterations,
        async () => {
          // The same read before write: the server is not there yet (404).
          await bare("GET", ksInstance).catch(() => undefined);
          await bare("POST", ksCollection, { server: "10.9.1.2" });
        },
        { after: () => bare("DELETE", ksInstance) },
      ),
    );
    await km.delete(host.id, host.outs);
  } finally {
    await closeAllClients();
    await sim.close();
  }
  return rows;
}
