/**
 * The non-destructive switch between onboard and external key management at cluster scope (ONTAP 9.16.1 and
 * later), planned without doing any of it.
 *
 * A switch is four kinds of ONTAP calls, in this order:
 * 1. `POST /security/key-managers?create_inactive=true` with the new configuration (it is created inactive, beside
 *    the active one);
 * 2. `PATCH /security/key-stores/{new}` `{enabled: true}`: ONTAP re-wraps the keys under the new configuration and
 *    leaves the old one inactive (a job; the key store reads `switching` until it ends);
 * 3. `DELETE /security/key-stores/{old}`: the old configuration, now inactive, is removed;
 * 4. the new configuration's follow-up key-server PATCHes (non-default settings), as after any create.
 *
 * Until step 2 has ended the old configuration stays the active one; a failure anywhere leaves a state the next
 * `up` resumes from, because the outputs name every configuration the resource created or replaced that is still
 * on the cluster (`leftoverConfigurations`). Only those are ever deleted: an inactive configuration the resource
 * does not know (made by hand) is reported, never taken over and never deleted.
 *
 * Data SVMs never switch: onboard key management exists only at cluster scope (65536916), and ONTAP refuses a
 * key-store switch between types on a data SVM (65539222).
 *
 * @packageDocumentation
 */

/** External (KMIP) or onboard key management. */
export type KeyManagementMode = "external" | "onboard";

/** One configuration of the scope, as the plan needs it. */
export interface ConfigurationView {
  /** Its uuid (also its key store's). */
  readonly uuid: string;
  /** Whether it is the scope's active configuration. */
  readonly enabled: boolean;
  /** Its mode. */
  readonly mode: KeyManagementMode;
  /** Its name, when ONTAP reports one. */
  readonly name?: string;
}

/** What the switch plan starts from. */
export interface ModeSwitchContext {
  /** The configuration the state records as the resource's (its uuid). */
  readonly recorded: string;
  /** Configurations the resource created or replaced that may still be on the cluster (previous outputs). */
  readonly leftovers: readonly string[];
  /** Every configuration of the scope, as ONTAP lists it now. */
  readonly configurations: readonly ConfigurationView[];
  /** The mode the program asks for. */
  readonly desired: KeyManagementMode;
}

/** Delete an inactive configuration of this resource's (`DELETE /security/key-stores/{uuid}`). */
export interface DeleteConfigurationStep {
  /** Discriminant. */
  readonly kind: "deleteConfiguration";
  /** Its uuid. */
  readonly uuid: string;
}

/** Create the new configuration inactive (POST with `create_inactive=true`). */
export interface CreateInactiveStep {
  /** Discriminant. */
  readonly kind: "createInactive";
}

/** Make the configuration just created the active one (PATCH the key store, wait until it is no longer switching). */
export interface EnableConfigurationStep {
  /** Discriminant. */
  readonly kind: "enableCreated";
}

/** Delete the previously active configuration once the switch has ended. */
export interface DeletePreviousStep {
  /** Discriminant. */
  readonly kind: "deletePrevious";
  /** Its uuid. */
  readonly uuid: string;
}

/** One step of a switch plan. */
export type ModeSwitchStep =
  DeleteConfigurationStep | CreateInactiveStep | EnableConfigurationStep | DeletePreviousStep;

/** A switch plan (or the clean-up of a finished one). */
export interface ModeSwitchPlan {
  /** The configuration that is active now: the recorded one, or a leftover a previous switch made active. */
  readonly active: ConfigurationView;
  /** Whether the active configuration already has the desired mode (then only clean-up remains). */
  readonly switched: boolean;
  /** The calls, in order. */
  readonly steps: readonly ModeSwitchStep[];
  /** Inactive configurations of the scope this resource does not know: reported, never touched. */
  readonly foreign: readonly ConfigurationView[];
}

/** A switch that cannot be planned without touching what this resource does not own; the message names the fix. */
export class ModeSwitchPlanError extends Error {
  /**
   * @param message - What is wrong and what to do.
   */
  constructor(message: string) {
    super(message);
    this.name = "ModeSwitchPlanError";
  }
}

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/**
 * Plans the switch to `context.desired` (or, when the active configuration already has that mode, the clean-up
 * of what a previous switch left): delete this resource's inactive configurations (a left-over new one is
 * recreated rather than reused, since its settings are those of an earlier program), create the new one
 * inactive, enable it, delete the previous one.
 *
 * @throws ModeSwitchPlanError when the scope's active configuration is neither the recorded one nor one this
 *   resource created (switched outside Pulumi), or when an inactive configuration of the desired mode that this
 *   resource does not know exists (ONTAP allows one per mode and the provider never takes one over).
 */
export function planModeSwitch(context: ModeSwitchContext): ModeSwitchPlan {
  const ours = (uuid: string): boolean =>
    same(uuid, context.recorded) || context.leftovers.some((l) => same(l, uuid));
  const active = context.configurations.find((c) => c.enabled);
  if (!active || !ours(active.uuid)) {
    throw new ModeSwitchPlanError(
      `the cluster's active key manager is ${active ? `${active.uuid} (${active.mode})` : "none"}, not ` +
        `${context.recorded}, which the stack records: it was changed outside Pulumi. Nothing was changed. Fix: run ` +
        "`pulumi refresh` to see what the cluster holds, then switch it back by hand (security key-manager " +
        "keystore enable) or adopt the active one in another resource.",
    );
  }
  const inactive = context.configurations.filter((c) => !c.enabled);
  const ownInactive = inactive.filter((c) => ours(c.uuid));
  const foreign = inactive.filter((c) => !ours(c.uuid));
  const cleanup: ModeSwitchStep[] = ownInactive.map((c) => ({ kind: "deleteConfiguration", uuid: c.uuid }));
  if (active.mode === context.desired) {
    return { active, switched: true, steps: cleanup, foreign };
  }
  const blocking = foreign.filter((c) => c.mode === context.desired);
  if (blocking.length > 0) {
    throw new ModeSwitchPlanError(
      `the cluster already holds an inactive ${context.desired} configuration that this stack did not create ` +
        `(${blocking.map((c) => `${c.uuid}${c.name !== undefined ? ` "${c.name}"` : ""}`).join(", ")}). ONTAP ` +
        `allows one per mode, and it is never taken over. Nothing was changed. Fix: delete it on the cluster ` +
        "(security key-manager keystore delete) or, if it is the one you want, enable it by hand and adopt it.",
    );
  }
  return {
    active,
    switched: false,
    steps: [
      ...cleanup,
      { kind: "createInactive" },
      { kind: "enableCreated" },
      { kind: "deletePrevious", uuid: active.uuid },
    ],
    foreign,
  };
}

/**
 * Whether a mode change can be the in-place switch: cluster scope before and after (the `svm` does not change),
 * and the cluster's release has it (the glue asks ONTAP).
 *
 * @param previousSvm - The SVM in the previous outputs (absent: cluster scope).
 * @param newSvm - The SVM in the new inputs (absent: cluster scope; may be unknown in a preview).
 */
export function switchableScope(previousSvm: string | undefined, newSvm: unknown): boolean {
  return previousSvm === undefined && newSvm === undefined;
}
