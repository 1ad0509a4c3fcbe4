/**
 * A faithful ONTAP key-manager REST simulator: a real HTTPS server on 127.0.0.1 that plays ONTAP 9.6
 * (synchronous writes) or a later release (asynchronous jobs), with test controls. See simulator/README.md.
 *
 * @packageDocumentation
 */
export { startSimulator } from "./server";
export type { FaultAction, FaultSpec, RequestLogEntry, Simulator, SimulatorOptions } from "./types";
