/**
 * The pure core of the resources layer: validation, normalisation, diffing, update planning and the mapping
 * of ONTAP records to Pulumi state for `KeyManager` and `KeyServer`. No I/O and no Pulumi runtime calls.
 *
 * @packageDocumentation
 */

export * from "./unknown";
export * from "./servers";
export * from "./certificates";
export * from "./check";
export * from "./plan";
export * from "./keyManagerModel";
export * from "./keyServerModel";
export * from "./diff";
export * from "./modeSwitch";
export * from "./certificateModel";
