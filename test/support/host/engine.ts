/**
 * A stand-in for the engine's gRPC endpoint, whose address the engine passes to every plugin as its first argument.
 * The dynamic provider host of @pulumi/pulumi 3.248 never dials it (it only checks the argument is present), but
 * anything that ever does log through it is recorded here, so tests can scan it for secrets too.
 *
 * @packageDocumentation
 */
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as enginerpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engineproto from "@pulumi/pulumi/proto/engine_pb";

/** A running fake engine. */
export interface FakeEngine {
  /** `127.0.0.1:<port>`, the argument the engine gives a plugin. */
  readonly address: string;
  /** Every Log call received, as `"<severity>: <message>"` (with ` [urn]` when one was given). */
  logs(): string[];
  /** Names of every Engine RPC received, in order (e.g. `"log"`, `"getRootResource"`). */
  calls(): string[];
  /** Stops the server; bounded, never waits on a hung peer. */
  close(): Promise<void>;
}

const severityNames: Record<engineproto.LogSeverity, string> = {
  [engineproto.LogSeverity.DEBUG]: "debug",
  [engineproto.LogSeverity.INFO]: "info",
  [engineproto.LogSeverity.WARNING]: "warning",
  [engineproto.LogSeverity.ERROR]: "error",
};

/** Starts a fake Engine service on an ephemeral loopback port. */
export async function startFakeEngine(): Promise<FakeEngine> {
  const logs: string[] = [];
  const calls: string[] = [];
  const server = new grpc.Server();
  const impl: enginerpc.IEngineServer = {
    log(call, callback) {
      calls.push("log");
      const req = call.request;
      const urn = req.getUrn();
      logs.push(`${severityNames[req.getSeverity()]}: ${req.getMessage()}${urn ? ` [${urn}]` : ""}`);
      callback(null, new Empty());
    },
    getRootResource(_call, callback) {
      calls.push("getRootResource");
      callback(null, new engineproto.GetRootResourceResponse());
    },
    setRootResource(_call, callback) {
      calls.push("setRootResource");
      callback(null, new engineproto.SetRootResourceResponse());
    },
    startDebugging(_call, callback) {
      calls.push("startDebugging");
      callback(null, new Empty());
    },
    requirePulumiVersion(_call, callback) {
      calls.push("requirePulumiVersion");
      callback(null, new engineproto.RequirePulumiVersionResponse());
    },
  };
  server.addService(enginerpc.EngineService, impl);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });
  return {
    address: `127.0.0.1:${port}`,
    logs: () => [...logs],
    calls: () => [...calls],
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
