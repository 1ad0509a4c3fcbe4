import type { JobRunner } from "./jobs";
import type { Release } from "./release";
import type { Model } from "./state";

/** What the ONTAP handlers share. `model` is replaced on reset, so read it at call time. */
export interface Env {
  readonly release: Release;
  model: Model;
  readonly jobs: JobRunner;
  /** Records a change (saves the state file when there is one). */
  changed(): void;
}

/** Node names of the simulated two-node cluster. */
export function nodeNames(env: Env): string[] {
  return [`${env.model.cluster.name}-01`, `${env.model.cluster.name}-02`];
}
