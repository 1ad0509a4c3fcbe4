import fc from "fast-check";
import {
  type KeyManagerPlanStep,
  type KeyServerSettings,
  KeyManagerPlanError,
  MAX_KEY_SERVERS,
  checkKeyManager,
  diffKeyManager,
  planServerChanges,
  readKeyManager,
} from "../../../provider/resources/model";
import { keyManagerModelArb, spellKeyManager } from "./arbitraries";
import { checked, outputsAfterCreate, recordFor } from "./fixtures";

const RUNS = { numRuns: 200 };

describe("properties of check and diff", () => {
  test("(0) check never repeats a passphrase, wherever it is misplaced", () => {
    const secretArb = fc.string({ minLength: 12, maxLength: 300 }).filter((p) => p.trim().length >= 12);
    const placements = [
      (p: string) => ({ onboard: { passphrase: p } }),
      (p: string) => ({ svm: "vs0", onboard: { passphrase: p } }),
      (p: string) => ({ onboard: { passphrase: p }, passphrase: p }),
      (p: string) => ({ onboard: { secret: p } }),
      (p: string) => ({ onboard: p }),
      (p: string) => ({ onboard: { passphrase: [p] } }),
    ];
    fc.assert(
      fc.property(secretArb, fc.constantFrom(...placements), (secret, place) => {
        const result = checkKeyManager({}, place(secret));
        for (const failure of result.failures) {
          expect(failure.reason).not.toContain(secret);
          expect(failure.property).not.toContain(secret);
          expect(["onboard", "passphrase"]).not.toContain(failure.property);
        }
      }),
      RUNS,
    );
  });

  test("every spelling of a valid model passes check", () => {
    fc.assert(
      fc.property(
        keyManagerModelArb.chain((m) => spellKeyManager(m)),
        (news) => {
          const result = checkKeyManager({}, news);
          expect(result.failures).toEqual([]);
        },
      ),
      RUNS,
    );
  });

  test("(1) no diff right after create, nor after a refresh of an unchanged key manager", () => {
    fc.assert(
      fc.property(
        keyManagerModelArb.chain((m) => spellKeyManager(m)),
        (news) => {
          const outputs = outputsAfterCreate(news);
          expect(diffKeyManager(outputs, checked(news)).changes).toBe(false);
          const refreshed = readKeyManager(recordFor(outputs), outputs);
          expect(refreshed.outputs).toEqual(outputs);
          expect(diffKeyManager(refreshed.outputs, checked(news)).changes).toBe(false);
          expect(diffKeyManager(refreshed.outputs, checked(refreshed.inputs)).changes).toBe(false);
        },
      ),
      RUNS,
    );
  });

  test("(2) respelling or reordering the same intent is no diff", () => {
    fc.assert(
      fc.property(
        keyManagerModelArb.chain((m) => fc.tuple(spellKeyManager(m), spellKeyManager(m))),
        ([first, second]) => {
          expect(diffKeyManager(outputsAfterCreate(first), checked(second)).changes).toBe(false);
          expect(checked(first)).toEqual(checked(second));
        },
      ),
      RUNS,
    );
  });
});

/** Applies plan steps to a simulated ONTAP server list, asserting ONTAP's rules at every step. */
function simulate(
  start: readonly KeyServerSettings[],
  steps: readonly KeyManagerPlanStep[],
): Map<string, KeyServerSettings> {
  const servers = new Map(start.map((s) => [s.server, { ...s }]));
  for (const step of steps) {
    switch (step.kind) {
      case "addServers":
        expect(step.servers.length).toBeGreaterThan(0);
        for (const s of step.servers) {
          expect(servers.has(s.server)).toBe(false);
          // A POST carries the address only: ONTAP's defaults until a patchServer step.
          servers.set(s.server, { server: s.server, timeout: 25, username: "" });
        }
        break;
      case "removeServer":
        expect(servers.delete(step.server)).toBe(true);
        break;
      case "patchServer": {
        const current = servers.get(step.server);
        expect(current).toBeDefined();
        expect(step.timeout !== undefined || step.username !== undefined).toBe(true);
        servers.set(step.server, {
          server: step.server,
          timeout: step.timeout ?? current!.timeout,
          username: step.username ?? current!.username,
        });
        break;
      }
      default:
        throw new Error(`unexpected step ${step.kind}`);
    }
    expect(servers.size).toBeLessThanOrEqual(MAX_KEY_SERVERS);
    expect(servers.size).toBeGreaterThanOrEqual(1);
  }
  return servers;
}

// A small pool of addresses so that current and desired sets overlap often.
const POOL = ["a", "b", "c", "d", "e", "f", "g", "h"].map((n) => `${n}:5696`);
const settingsArb = fc.record({
  timeout: fc.oneof(fc.constant(25), fc.integer({ min: 1, max: 60 })),
  username: fc.constantFrom("", "u1", "u2"),
});
const serverListArb = fc
  .uniqueArray(fc.constantFrom(...POOL), { minLength: 1, maxLength: 4 })
  .chain((names) => fc.tuple(...names.map((server) => settingsArb.map((s) => ({ server, ...s })))));

describe("properties of update planning", () => {
  test("(3) any 1-4 servers to any 1-4 servers: never above 4 or at 0, minimal, ends as desired", () => {
    fc.assert(
      fc.property(serverListArb, serverListArb, (current, desired) => {
        const steps = planServerChanges(current, desired);
        const end = simulate(current, steps);
        expect([...end.values()].sort((x, y) => x.server.localeCompare(y.server))).toEqual(
          [...desired].sort((x, y) => x.server.localeCompare(y.server)),
        );

        const currentNames = new Set(current.map((s) => s.server));
        const desiredNames = new Set(desired.map((s) => s.server));
        const added = desired.filter((s) => !currentNames.has(s.server));
        const removed = current.filter((s) => !desiredNames.has(s.server));
        const count = (kind: KeyManagerPlanStep["kind"]) => steps.filter((s) => s.kind === kind).length;
        expect(count("removeServer")).toBe(removed.length);
        // A second POST is needed only when 4 new servers replace servers of which one must stay meanwhile.
        expect(count("addServers")).toBe(added.length === 0 ? 0 : added.length === MAX_KEY_SERVERS ? 2 : 1);
        const keptChanged = desired.filter((d) => {
          const c = current.find((x) => x.server === d.server);
          return c !== undefined && (c.timeout !== d.timeout || c.username !== d.username);
        }).length;
        const addedNonDefault = added.filter((s) => s.timeout !== 25 || s.username !== "").length;
        expect(count("patchServer")).toBe(keptChanged + addedNonDefault);
      }),
      RUNS,
    );
  });

  test("(3b) listed: servers the key manager does not own are never touched", () => {
    fc.assert(
      fc.property(
        serverListArb,
        serverListArb,
        fc.array(fc.constantFrom(...POOL)),
        (current, desired, owned) => {
          const options = { serverManagement: "listed" as const, previouslyManaged: owned };
          const desiredNames = new Set(desired.map((s) => s.server));
          const foreign = current.filter((s) => !desiredNames.has(s.server) && !owned.includes(s.server));
          let steps: KeyManagerPlanStep[];
          try {
            steps = planServerChanges(current, desired, options);
          } catch (e) {
            expect(e).toBeInstanceOf(KeyManagerPlanError);
            expect(foreign.length + desired.length).toBeGreaterThan(MAX_KEY_SERVERS);
            return;
          }
          expect(foreign.length + desired.length).toBeLessThanOrEqual(MAX_KEY_SERVERS);
          const end = simulate(current, steps);
          for (const s of foreign) expect(end.get(s.server)).toEqual(s);
          for (const s of desired) expect(end.get(s.server)).toEqual(s);
          expect(end.size).toBe(foreign.length + desired.length);
        },
      ),
      RUNS,
    );
  });
});
