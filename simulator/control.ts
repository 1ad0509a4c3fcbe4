/**
 * Test controls over HTTP, under `/__sim/` (same Basic auth; never logged, never faulted, no latency), for
 * programs that cannot reach the programmatic API (the CLI-started simulator, other processes).
 */
import { z } from "zod";
import { type Reply, json } from "./http";
import type { Router } from "./router";
import type { FaultSpec, Simulator } from "./types";

const faultAction = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("status"),
    status: z.number().int().min(400).max(599),
    code: z.string().optional(),
    message: z.string().optional(),
    retryAfterSeconds: z.number().int().min(0).optional(),
  }),
  z.strictObject({ type: z.literal("reset") }),
  z.strictObject({ type: z.literal("stall"), ms: z.number().min(0) }),
  z.strictObject({ type: z.literal("drop-after-apply") }),
  z.strictObject({ type: z.literal("job-failure"), code: z.number().int(), message: z.string() }),
  z.strictObject({
    type: z.literal("respond"),
    status: z.number().int().min(200).max(599),
    body: z.unknown(),
  }),
]);

const faultBody = z.strictObject({
  method: z.string().optional(),
  path: z.string().optional(),
  path_regex: z.string().optional(),
  count: z.number().int().min(1).optional(),
  action: faultAction,
});

const msBody = z.strictObject({ ms: z.number().min(0) });
const svmsBody = z.union([
  z.strictObject({ count: z.number().int().min(0).max(10_000) }),
  z.strictObject({ names: z.array(z.string()).min(1) }),
]);
const renameBody = z.strictObject({ name: z.string(), new_name: z.string() });
const volumeBody = z.strictObject({ svm: z.string(), name: z.string().optional() });
const holdsKeysBody = z.strictObject({ key_manager: z.string(), server: z.string(), holds: z.boolean() });
const passphraseBody = z.strictObject({ passphrase: z.string() });
const statusBody = z.strictObject({
  key_manager: z.string(),
  code: z.number().int().optional(),
  message: z.string().optional(),
});
const keysMissingBody = z.strictObject({ node: z.string(), missing: z.boolean() });

function bad(message: string): Reply {
  return json(400, { error: { message, code: "2" } });
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T | Reply {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const i = r.error.issues[0];
  return bad(`invalid control request at "${(i?.path ?? []).join(".")}": ${i?.message ?? "invalid"}`);
}

function isReply(v: unknown): v is Reply {
  return typeof v === "object" && v !== null && "status" in v && typeof (v as Reply).status === "number";
}

function guarded(fn: () => Reply): Reply {
  try {
    return fn();
  } catch (e) {
    return bad(e instanceof Error ? e.message : String(e));
  }
}

/** Registers the `/__sim/` control endpoints on their own router. */
export function registerControlRoutes(router: Router, sim: Simulator): void {
  router.add("/__sim/log", {
    GET: () => {
      const records = sim.requestLog();
      return json(200, { records, num_records: records.length, tls_handshakes: sim.tlsHandshakes() });
    },
    DELETE: () => {
      sim.clearRequestLog();
      return json(200, {});
    },
  });
  router.add("/__sim/reset", {
    POST: () => {
      sim.reset();
      return json(200, {});
    },
  });
  router.add("/__sim/faults", {
    POST: (ctx) => {
      const b = parse(faultBody, ctx.body);
      if (isReply(b)) return b;
      return guarded(() => {
        if (b.path !== undefined && b.path_regex !== undefined)
          return bad('give "path" or "path_regex", not both');
        const spec: FaultSpec = {
          action: b.action,
          ...(b.method !== undefined ? { method: b.method } : {}),
          ...(b.count !== undefined ? { count: b.count } : {}),
          ...(b.path !== undefined ? { path: b.path } : {}),
          ...(b.path_regex !== undefined ? { path: new RegExp(b.path_regex) } : {}),
        };
        sim.injectFault(spec);
        return json(201, {});
      });
    },
    DELETE: () => {
      sim.clearFaults();
      return json(200, {});
    },
  });
  router.add("/__sim/latency", {
    POST: (ctx) => {
      const b = parse(msBody, ctx.body);
      if (isReply(b)) return b;
      sim.setLatency(b.ms);
      return json(200, {});
    },
  });
  router.add("/__sim/job-delay", {
    POST: (ctx) => {
      const b = parse(msBody, ctx.body);
      if (isReply(b)) return b;
      sim.setJobDelay(b.ms);
      return json(200, {});
    },
  });
  router.add("/__sim/svms", {
    POST: (ctx) => {
      const b = parse(svmsBody, ctx.body);
      if (isReply(b)) return b;
      return guarded(() => {
        const records = sim.seedSvms("count" in b ? b.count : b.names);
        return json(201, { records, num_records: records.length });
      });
    },
  });
  router.add("/__sim/svms/rename", {
    POST: (ctx) => {
      const b = parse(renameBody, ctx.body);
      if (isReply(b)) return b;
      return guarded(() => json(200, sim.renameSvm(b.name, b.new_name)));
    },
  });
  router.add("/__sim/volumes", {
    POST: (ctx) => {
      const b = parse(volumeBody, ctx.body);
      if (isReply(b)) return b;
      return guarded(() => json(201, sim.seedEncryptedVolume(b.svm, b.name)));
    },
    DELETE: (ctx) => {
      const svm = ctx.pairs.find(([k]) => k === "svm")?.[1];
      return guarded(() => {
        sim.removeVolumes(svm);
        return json(200, {});
      });
    },
  });
  router.add("/__sim/holds-keys", {
    POST: (ctx) => {
      const b = parse(holdsKeysBody, ctx.body);
      if (isReply(b)) return b;
      return guarded(() => {
        sim.setServerHoldsKeys(b.key_manager, b.server, b.holds);
        return json(200, {});
      });
    },
  });
  router.add("/__sim/onboard-passphrase/check", {
    POST: (ctx) => {
      const b = parse(passphraseBody, ctx.body);
      if (isReply(b)) return b;
      return json(200, { matches: sim.checkOnboardPassphrase(b.passphrase) });
    },
  });
  router.add("/__sim/key-manager-status", {
    POST: (ctx) => {
      const b = parse(statusBody, ctx.body);
      if (isReply(b)) return b;
      return guarded(() => {
        const status = b.code === undefined ? undefined : { code: b.code, message: b.message ?? "" };
        sim.setKeyManagerStatus(b.key_manager, status);
        return json(200, {});
      });
    },
  });
  router.add("/__sim/onboard-keys-missing", {
    GET: () => json(200, { nodes: sim.onboardKeysMissing() }),
    POST: (ctx) => {
      const b = parse(keysMissingBody, ctx.body);
      if (isReply(b)) return b;
      return guarded(() => {
        sim.setOnboardKeysMissing(b.node, b.missing);
        return json(200, { nodes: sim.onboardKeysMissing() });
      });
    },
  });
}
