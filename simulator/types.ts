/** Options of {@link startSimulator}. */
export interface SimulatorOptions {
  /** Address to listen on. Default "127.0.0.1". */
  host?: string;
  /** TCP port. Default 0: an ephemeral port, read it back from `url`. */
  port?: number;
  /**
   * ONTAP release to play, "9.6" by default (synchronous writes). Any later release ("9.13", "9.13.1") answers
   * key-manager and key-server writes with 202 + a job and adds the later read-only fields; "9.16" and later
   * also play inactive configurations, key stores and their switch, secondary key servers and wider timeouts.
   */
  ontapVersion?: string;
  /** Basic-auth user name. Default "admin". */
  username?: string;
  /** Basic-auth password. Default: 24 random characters. */
  password?: string;
  /** JSON state file: loaded at start if it exists, rewritten atomically after each change. */
  stateFile?: string;
  /** Time a job takes from queued to its end (later releases). Default 50. */
  jobDelayMs?: number;
  /** Latency injected before each ONTAP request is handled. Default 0. */
  latencyMs?: number;
  /** Data SVMs to seed: names, or a count N for "vs0".."vs{N-1}". Default ["vs0", "vs1"]. */
  dataSvms?: number | string[];
  /** Cluster name, also the admin SVM's name. Default "cluster1". */
  clusterName?: string;
  /** Human log sink: one line per request (method, path, status, duration). Never bodies or secrets. */
  log?: (line: string) => void;
}

/** One answered (or dropped) ONTAP request. Control requests under `/__sim/` are not logged. */
export interface RequestLogEntry {
  /** Order of arrival, from 1. */
  seq: number;
  /** HTTP method, upper case. */
  method: string;
  /** Pathname + query as received (values of passphrase/password parameters redacted). */
  path: string;
  /** Status sent; 0 when the connection was reset or the response dropped. */
  status: number;
  /** Milliseconds from arrival to the end of the response (or the drop). */
  durationMs: number;
  /** Id of the TLS connection that carried the request. */
  connection: number;
}

/** What an injected fault does to a matching request. */
export type FaultAction =
  /** Answer with an ONTAP error body; a write is not applied. */
  | { type: "status"; status: number; code?: string; message?: string; retryAfterSeconds?: number }
  /** Destroy the socket without answering; a write is not applied. */
  | { type: "reset" }
  /** Wait `ms` before handling normally; if the client has gone by then, the request is dropped unapplied. */
  | { type: "stall"; ms: number }
  /** Apply the write (or create its job), then destroy the socket without answering. */
  | { type: "drop-after-apply" }
  /** Later releases: answer 202, the job ends in failure, nothing applied (9.6: a synchronous 400 with the code). */
  | { type: "job-failure"; code: number; message: string }
  /**
   * Answer with this status and JSON body instead of handling the request; nothing applied. For tests of what a
   * client does with an answer that does not make sense (a record of another object, a filter ignored).
   */
  | { type: "respond"; status: number; body: unknown };

/** A scripted fault: the next `count` requests matching `method` and `path` get `action`. */
export interface FaultSpec {
  /** HTTP method, case-insensitive; any method when omitted. */
  method?: string;
  /** Exact pathname, a prefix ending in '*', or a RegExp tested on the pathname; any path when omitted. */
  path?: string | RegExp;
  /** How many matching requests get the fault. Default 1. */
  count?: number;
  /** What happens to them. */
  action: FaultAction;
}

/** A running simulator. */
export interface Simulator {
  /** Base URL, "https://127.0.0.1:<port>". */
  readonly url: string;
  /** PEM of the generated server certificate: give it to clients as their CA (undici `connect.ca`). */
  readonly caCert: string;
  /** Basic-auth user name. */
  readonly username: string;
  /** Basic-auth password. */
  readonly password: string;
  /** The release played, as given ("9.6", "9.13"). */
  readonly ontapVersion: string;
  /** Stops listening, drops open connections and pending jobs. */
  close(): Promise<void>;
  /** Latency injected before each ONTAP request. */
  setLatency(ms: number): void;
  /** Time a job takes from queued to its end. */
  setJobDelay(ms: number): void;
  /** Adds a scripted fault (faults are matched in the order added). */
  injectFault(fault: FaultSpec): void;
  /** Removes every pending fault. */
  clearFaults(): void;
  /** Copy of the request log. */
  requestLog(): RequestLogEntry[];
  /** Empties the request log and zeroes the TLS handshake count. */
  clearRequestLog(): void;
  /** TLS connections accepted since start or the last clearRequestLog()/reset(). */
  tlsHandshakes(): number;
  /**
   * Back to the freshly seeded state of the start options: initial SVMs and certificates only, no key managers,
   * no volumes, no jobs, logs and faults cleared, latency and job delay back to their start values.
   */
  reset(): void;
  /** Adds data SVMs (names, or N more "vsK" with the lowest free K), each with its certificates. */
  seedSvms(spec: number | string[]): { uuid: string; name: string }[];
  /** Adds an encrypted volume to a data SVM (name defaults to "<svm>_vol<N>"). */
  seedEncryptedVolume(svmName: string, volumeName?: string): { uuid: string; name: string };
  /**
   * Renames an SVM (as `vserver rename` does outside any Pulumi program): its UUID, certificates and key manager
   * stay; only the name changes.
   */
  renameSvm(name: string, newName: string): { uuid: string; name: string };
  /** Removes the volumes of one SVM, or all volumes. */
  removeVolumes(svmName?: string): void;
  /** True iff the cluster's onboard key manager currently uses this passphrase. */
  checkOnboardPassphrase(passphrase: string): boolean;
  /** Whether key server `server` of key manager `keyManagerUuid` holds this password (a test control). */
  checkKeyServerPassword(keyManagerUuid: string, server: string, password: string): boolean;
  /** Marks a key server as holding keys in use (it cannot be deleted while no other server holds them: 65536700). */
  setServerHoldsKeys(keyManagerUuid: string, server: string, holds: boolean): void;
  /**
   * Later releases: sets the `status {code, message}` a key manager reports (an expensive field), or back to
   * code 65537200 "No action needed at this time." with `undefined`. Nothing else changes (tests of health outputs).
   */
  setKeyManagerStatus(keyManagerUuid: string, status: { code: number; message: string } | undefined): void;
  /**
   * Later releases: marks a node (e.g. "cluster1-02") as missing the cluster's onboard keys, as after a node
   * joins: its key-ids (9.11+, `/api/security/key-managers/{uuid}/keys/{node.uuid}/key-ids`) read
   * `restored: false` until a PATCH `{onboard: {synchronize: true}}`. Needs an enabled onboard key manager.
   */
  setOnboardKeysMissing(node: string, missing: boolean): void;
  /** Nodes currently missing the onboard keys. */
  onboardKeysMissing(): string[];
  /** Key-manager records as `GET /api/security/key-managers?fields=*` shows them (never a passphrase). */
  keyManagers(): unknown[];
}
