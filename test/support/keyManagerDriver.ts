/**
 * Drives the KeyManager provider implementation as the dynamic provider host does (stack config to `configure`,
 * the serialized provider in every property bag, checked inputs to `create`/`update`/`diff`), for the tests that
 * call it directly against the simulator.
 *
 * @packageDocumentation
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import * as provider from "../../provider/resources/impl/keyManagerProvider";

/** A property bag. */
export type Props = Record<string, unknown>;

/** What the dynamic provider host adds to every property bag; the provider must ignore it. */
export const SERIALIZED = { __provider: "exports.handler = () => require('pulumi-ontap-keymanager/km');" };

/** Hands the provider a stack config (`ontap:*` keys). */
export function configure(config: Record<string, string>): Promise<void> {
  const req = { config: { get: (key: string) => config[key] } } as unknown as dynamic.ConfigureRequest;
  return provider.configure(req);
}

/** Checks raw inputs, which must pass, and returns the checked ones. */
export async function checked(raw: Props): Promise<Props> {
  const result = await provider.check({}, { ...raw, ...SERIALIZED });
  expect(result.failures ?? []).toEqual([]);
  return result.inputs as Props;
}

/** Creates from raw inputs: the id, the outputs as the engine stores them, and the checked inputs. */
export async function create(raw: Props): Promise<{ id: string; outs: Props; inputs: Props }> {
  const inputs = await checked(raw);
  const result = await provider.create(inputs);
  return { id: result.id, outs: { ...(result.outs as Props), ...SERIALIZED }, inputs };
}

/** Updates from previous outputs to raw inputs; the new outputs as the engine stores them. */
export async function update(id: string, olds: Props, raw: Props): Promise<Props> {
  const result = await provider.update(id, olds, await checked(raw));
  return { ...(result.outs as Props), ...SERIALIZED };
}

/** Diffs previous outputs against raw inputs. */
export async function diff(id: string, olds: Props, raw: Props): Promise<dynamic.DiffResult> {
  return provider.diff(id, olds, await checked(raw));
}
