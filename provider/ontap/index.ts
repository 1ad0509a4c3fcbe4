/**
 * The ONTAP layer: speaks HTTPS to the ONTAP REST API and knows nothing of Pulumi.
 *
 * @packageDocumentation
 */

export * from "./errors";
export * from "./transportErrors";
export * from "./codes";
export * from "./redact";
export * from "./config";
export * from "./parse";
export * from "./paths";
export * from "./client";
export * from "./cluster";
export * from "./jobs";
export * from "./svms";
export * from "./certificates";
export * from "./keyManagers";
export * from "./keyServers";
export * from "./nodes";
export * from "./keyIds";
export * from "./keyStores";
