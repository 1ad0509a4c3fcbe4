/**
 * An administrator editing the cluster by hand: plain calls to the ONTAP REST API, outside Pulumi, to make the
 * out-of-band changes that the end-to-end tests and the demo then find with `preview --refresh`.
 *
 * @packageDocumentation
 */
import type { ClusterAccess } from "./automation";
import { Client } from "./httpsClient";

/** A key manager as `GET /api/security/key-managers` shows it (the fields the callers read). */
export interface AdminKeyManager {
  uuid: string;
  scope?: string;
  svm?: { name?: string; uuid?: string };
  external?: {
    client_certificate?: { uuid: string };
    server_ca_certificates?: { uuid: string }[];
    servers?: { server: string; timeout?: number; username?: string }[];
  };
  onboard?: { enabled?: boolean };
}

const KEY_MANAGERS = "/api/security/key-managers";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The administrator: ONTAP calls through the tests' one HTTPS client ({@link Client}). */
export class OntapAdmin {
  private readonly http: Client;

  constructor(cluster: ClusterAccess) {
    this.http = new Client(cluster);
  }

  /** One call; answers the parsed body, throws with ONTAP's error on a status >= 300. */
  async call(method: "GET" | "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<unknown> {
    const res = await this.http.call(method, path, body, { timeoutMs: 20_000 });
    if (res.status >= 300)
      throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /**
   * A write that has taken effect when it returns: later releases answer with a job, which is awaited (ONTAP's
   * `return_timeout`, then polling, 20 s at most).
   */
  async write(method: "POST" | "PATCH" | "DELETE", path: string, body?: unknown): Promise<void> {
    const answer = await this.call(method, `${path}${path.includes("?") ? "&" : "?"}return_timeout=15`, body);
    const job = isObject(answer) && isObject(answer.job) ? answer.job : undefined;
    if (typeof job?.uuid !== "string") return;
    const until = Date.now() + 20_000;
    for (;;) {
      const state = await this.call("GET", `/api/cluster/jobs/${job.uuid}?fields=state,message,code`);
      if (isObject(state) && state.state === "success") return;
      if (isObject(state) && state.state === "failure") {
        throw new Error(`${method} ${path}: job failed: ${String(state.code)} ${String(state.message)}`);
      }
      if (Date.now() > until) throw new Error(`${method} ${path}: job ${job.uuid} did not end within 20 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Every key manager, with its servers and certificates. */
  async keyManagers(): Promise<AdminKeyManager[]> {
    const answer = await this.call("GET", `${KEY_MANAGERS}?fields=uuid,scope,svm,external,onboard.enabled`);
    const records = isObject(answer) && Array.isArray(answer.records) ? answer.records : [];
    return records as AdminKeyManager[];
  }

  /** The key manager of the cluster (no SVM) or of one data SVM. */
  async keyManager(svm?: string): Promise<AdminKeyManager> {
    const found = (await this.keyManagers()).find((km) =>
      svm === undefined ? km.scope === "cluster" : km.svm?.name === svm,
    );
    if (!found) throw new Error(`no key manager for ${svm === undefined ? "the cluster" : `SVM ${svm}`}`);
    return found;
  }

  /** The UUID of an installed certificate, by name (in the cluster scope, or in one data SVM). */
  async certificateUuid(name: string, svm?: string): Promise<string> {
    const filter = svm === undefined ? "scope=cluster" : `svm.name=${encodeURIComponent(svm)}`;
    const answer = await this.call(
      "GET",
      `/api/security/certificates?name=${encodeURIComponent(name)}&${filter}&fields=uuid`,
    );
    const record =
      isObject(answer) && Array.isArray(answer.records) ? (answer.records[0] as unknown) : undefined;
    if (!isObject(record) || typeof record.uuid !== "string")
      throw new Error(`certificate ${name} not found`);
    return record.uuid;
  }

  /** Adds a key server (`security key-manager external add-servers`). */
  addKeyServer(keyManagerUuid: string, server: string): Promise<void> {
    return this.write("POST", `${KEY_MANAGERS}/${keyManagerUuid}/key-servers`, { server });
  }

  /** Removes a key server (`security key-manager external remove-servers`). */
  removeKeyServer(keyManagerUuid: string, server: string): Promise<void> {
    return this.write(
      "DELETE",
      `${KEY_MANAGERS}/${keyManagerUuid}/key-servers/${encodeURIComponent(server)}`,
    );
  }

  /** Swaps the client certificate (`security key-manager external modify -client-cert`). */
  setClientCertificate(keyManagerUuid: string, certificateUuid: string): Promise<void> {
    return this.write("PATCH", `${KEY_MANAGERS}/${keyManagerUuid}`, {
      external: { client_certificate: { uuid: certificateUuid } },
    });
  }

  /** Deletes a key manager. */
  deleteKeyManager(keyManagerUuid: string): Promise<void> {
    return this.write("DELETE", `${KEY_MANAGERS}/${keyManagerUuid}`);
  }

  /** Closes the connections. */
  close(): Promise<void> {
    return this.http.close();
  }
}
