/**
 * The switch plan between onboard and external (pure): which configurations it deletes (only this resource's,
 * only inactive), when it creates and enables, when it refuses (active switched outside Pulumi; a hand-made
 * inactive configuration of the desired mode), and the diff's turn of a mode-only replacement into an update.
 */
import {
  ModeSwitchPlanError,
  asModeSwitch,
  planModeSwitch,
  replacesModeOnly,
  switchableScope,
  type ConfigurationView,
} from "../../../provider/resources/model";

const A = "aaaaaaaa-0000-4000-8000-000000000001";
const N = "aaaaaaaa-0000-4000-8000-000000000002";
const H = "aaaaaaaa-0000-4000-8000-000000000003";
const cfg = (uuid: string, enabled: boolean, mode: ConfigurationView["mode"]): ConfigurationView => ({
  uuid,
  enabled,
  mode,
});

describe("planModeSwitch", () => {
  test("from the recorded active configuration: create inactive, enable, delete the previous one", () => {
    const plan = planModeSwitch({
      recorded: A,
      leftovers: [],
      configurations: [cfg(A, true, "onboard")],
      desired: "external",
    });
    expect(plan.switched).toBe(false);
    expect(plan.steps).toEqual([
      { kind: "createInactive" },
      { kind: "enableCreated" },
      { kind: "deletePrevious", uuid: A },
    ]);
  });

  test("a leftover of an earlier attempt is deleted first, never reused", () => {
    const plan = planModeSwitch({
      recorded: A,
      leftovers: [N],
      configurations: [cfg(A, true, "onboard"), cfg(N, false, "external")],
      desired: "external",
    });
    expect(plan.steps[0]).toEqual({ kind: "deleteConfiguration", uuid: N });
    expect(plan.steps.slice(1).map((s) => s.kind)).toEqual([
      "createInactive",
      "enableCreated",
      "deletePrevious",
    ]);
  });

  test("a switch that went through (its leftover active): only the recorded one, now inactive, is deleted", () => {
    const plan = planModeSwitch({
      recorded: A,
      leftovers: [N],
      configurations: [cfg(A, false, "onboard"), cfg(N, true, "external")],
      desired: "external",
    });
    expect(plan).toMatchObject({ switched: true, active: { uuid: N } });
    expect(plan.steps).toEqual([{ kind: "deleteConfiguration", uuid: A }]);
  });

  test("uuids compare without letter case", () => {
    const plan = planModeSwitch({
      recorded: A.toUpperCase(),
      leftovers: [],
      configurations: [cfg(A, true, "external")],
      desired: "external",
    });
    expect(plan).toMatchObject({ switched: true, steps: [] });
  });

  test("an active configuration this resource does not know is refused", () => {
    expect(() =>
      planModeSwitch({
        recorded: A,
        leftovers: [],
        configurations: [cfg(A, false, "onboard"), cfg(H, true, "external")],
        desired: "external",
      }),
    ).toThrow(ModeSwitchPlanError);
  });

  test("a hand-made inactive configuration of the desired mode blocks; one of the other mode is only reported", () => {
    expect(() =>
      planModeSwitch({
        recorded: A,
        leftovers: [],
        configurations: [cfg(A, true, "onboard"), cfg(H, false, "external")],
        desired: "external",
      }),
    ).toThrow(/did not create \(.*never taken over/);
    const plan = planModeSwitch({
      recorded: A,
      leftovers: [],
      configurations: [cfg(A, true, "external"), cfg(H, false, "external")],
      desired: "onboard",
    });
    expect(plan.foreign.map((c) => c.uuid)).toEqual([H]);
    expect(plan.steps.some((s) => "uuid" in s && s.uuid === H)).toBe(false);
  });
});

describe("asModeSwitch", () => {
  const outcome = (replaces: string[]) => ({
    changes: true,
    replaces,
    deleteBeforeReplace: true,
    updates: [],
  });

  test("a mode-only replacement becomes an update; one with svm stays", () => {
    expect(replacesModeOnly(outcome(["external", "onboard"]))).toBe(true);
    expect(asModeSwitch(outcome(["external", "onboard"]))).toMatchObject({
      changes: true,
      replaces: [],
      updates: ["external", "onboard"],
    });
    expect(replacesModeOnly(outcome(["svm", "external", "onboard"]))).toBe(false);
    expect(asModeSwitch(outcome(["svm", "external"])).replaces).toEqual(["svm", "external"]);
    expect(replacesModeOnly(outcome([]))).toBe(false);
  });

  test("only cluster scope before and after switches", () => {
    expect(switchableScope(undefined, undefined)).toBe(true);
    expect(switchableScope("vs0", "vs0")).toBe(false);
    expect(switchableScope(undefined, "vs0")).toBe(false);
  });
});
