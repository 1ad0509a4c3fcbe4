/**
 * Captures what a Pulumi program registers for a dynamic resource (its inputs and the serialized `__provider`), by
 * constructing it under `pulumi.runtime.setMocks` in the test process.
 *
 * @packageDocumentation
 */
import * as pulumi from "@pulumi/pulumi";
import { isSecret, type PropertyMap, type PropertyValue } from "./wire";

/** Property under which dynamic.Resource stores its serialized provider. */
export const PROVIDER_KEY = "__provider";

/** What the engine received when the program registered a dynamic resource. */
export interface CapturedResource<T> {
  /** The value `construct` returned. */
  readonly resource: T;
  /** The serialized provider: JavaScript source the host evaluates with require-from-string. */
  readonly providerText: string;
  /**
   * True when the closure serializer found a secret captured by the provider, which makes `__provider` itself a
   * secret (it is then encrypted in state and, worse, the secret is baked into every resource's state).
   */
  readonly providerIsSecret: boolean;
  /** Resource type token, e.g. `pulumi-nodejs:dynamic:Resource`. */
  readonly type: string;
  /** Logical name. */
  readonly name: string;
  /** URN the engine would give it (no parent). */
  readonly urn: string;
  /** Registered inputs without `__provider`; secrets are wire secrets (see {@link isSecret}). */
  readonly inputs: PropertyMap;
  /**
   * Registered inputs including `__provider` as registered (a wire secret when {@link providerIsSecret}): what the
   * engine holds as the resource's new inputs and passes to Check as `news`.
   */
  readonly properties: PropertyMap;
}

/** Options of {@link captureProvider}. */
export interface CaptureOptions {
  /** Project name given to setMocks (and used in the URN). Default `host-harness`. */
  project?: string;
  /** Stack name given to setMocks (and used in the URN). Default `test`. */
  stack?: string;
  /** Bound on the wait for the registration. Default 20 s. */
  timeoutMs?: number;
}

/**
 * Runs `construct` under Pulumi mocks and resolves with the first dynamic resource it registers. Replaces any mocks
 * installed before: call it before setting up mocks of your own, or set them up again afterwards.
 */
export async function captureProvider<T>(
  construct: () => T,
  opts: CaptureOptions = {},
): Promise<CapturedResource<T>> {
  const project = opts.project ?? "host-harness";
  const stack = opts.stack ?? "test";
  const timeoutMs = opts.timeoutMs ?? 20_000;
  let onRegistered: (args: pulumi.runtime.MockResourceArgs) => void = () => undefined;
  const registered = new Promise<pulumi.runtime.MockResourceArgs>((resolve) => (onRegistered = resolve));
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (args.type.startsWith("pulumi-nodejs:dynamic")) onRegistered(args);
        return { id: `${args.name}-id`, state: args.inputs as Record<string, unknown> };
      },
      call(args) {
        return args.inputs as Record<string, unknown>;
      },
    },
    project,
    stack,
    false,
  );
  const resource = construct();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`captureProvider: no dynamic resource registered within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  const args = await Promise.race([registered, timeout]).finally(() => clearTimeout(timer));

  const all = args.inputs as PropertyMap;
  const wrapped: PropertyValue | undefined = all[PROVIDER_KEY];
  const providerIsSecret = isSecret(wrapped);
  const providerText = isSecret(wrapped) ? wrapped.value : wrapped;
  if (typeof providerText !== "string") {
    throw new Error(`captureProvider: ${args.type} ${args.name} registered without a string ${PROVIDER_KEY}`);
  }
  const inputs: PropertyMap = { ...all };
  delete inputs[PROVIDER_KEY];
  return {
    resource,
    providerText,
    providerIsSecret,
    type: args.type,
    name: args.name,
    urn: makeUrn(args.type, args.name, { project, stack }),
    inputs,
    properties: { ...inputs, [PROVIDER_KEY]: wrapped ?? providerText },
  };
}

/** URN of a top-level resource, as the engine builds it. */
export function makeUrn(type: string, name: string, opts: { project?: string; stack?: string } = {}): string {
  return `urn:pulumi:${opts.stack ?? "test"}::${opts.project ?? "host-harness"}::${type}::${name}`;
}
