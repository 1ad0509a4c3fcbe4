/**
 * The layer boundaries of ARCHITECTURE.md are lint rules (eslint.config.mjs): each rule fires on an import that
 * crosses its boundary, and stays quiet on the imports the layer may make.
 */

import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "../..");
const RULE = "@typescript-eslint/no-restricted-imports";

/**
 * Lints each snippet with the project's real config, as if it stood in the given file (an existing file of
 * that layer). In a child process: the flat config is an ES module, which jest's VM cannot import.
 */
const LINT_SNIPPETS = `
import { ESLint } from "eslint";
import { readFileSync } from "node:fs";
const snippets = JSON.parse(readFileSync(0, "utf8"));
const eslint = new ESLint({ cwd: process.cwd() });
const out = [];
for (const { file, code } of snippets) {
  const [result] = await eslint.lintText(code, { filePath: file });
  out.push(result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })));
}
process.stdout.write(JSON.stringify(out));
`;

function lintSnippets(snippets: { file: string; code: string }[]): { ruleId: string | null }[][] {
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", LINT_SNIPPETS], {
    cwd: ROOT,
    input: JSON.stringify(snippets.map((s) => ({ file: path.join(ROOT, s.file), code: s.code }))),
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`eslint failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { ruleId: string | null }[][];
}

const cases: [layer: string, file: string, crossing: string, allowed: string][] = [
  [
    "model/ imports no ontap/ code",
    "provider/resources/model/check.ts",
    'import { OntapClient } from "../../ontap/client";\nvoid OntapClient;',
    'import type { KeyServerRecord } from "../../ontap/keyServers";\nexport type _R = KeyServerRecord;',
  ],
  [
    "model/ imports no @pulumi/pulumi runtime",
    "provider/resources/model/check.ts",
    'import * as pulumi from "@pulumi/pulumi";\nvoid pulumi;',
    'import type * as dynamic from "@pulumi/pulumi/dynamic";\nexport type _C = dynamic.CheckResult;',
  ],
  [
    "model/ imports nothing of impl/",
    "provider/resources/model/check.ts",
    'import { settle } from "../impl/settle";\nvoid settle;',
    'import { isUnknown } from "./unknown";\nvoid isUnknown;',
  ],
  [
    "simulator/ imports nothing of provider/",
    "simulator/state.ts",
    'import { isUuid } from "../provider/resources/model";\nvoid isUuid;',
    'import { randomUUID } from "node:crypto";\nvoid randomUUID;',
  ],
  [
    "provider/ imports nothing of the simulator",
    "provider/resources/impl/glue.ts",
    'import { startSimulator } from "../../../simulator";\nvoid startSimulator;',
    'import { settle } from "./settle";\nvoid settle;',
  ],
  [
    "ontap/ imports nothing of Pulumi",
    "provider/ontap/jobs.ts",
    'import type * as dynamic from "@pulumi/pulumi/dynamic";\nexport type _C = dynamic.CheckResult;',
    'import { z } from "zod";\nvoid z;',
  ],
  [
    "resource files import nothing of impl/",
    "provider/resources/keyServer.ts",
    'import type { KeyServerState } from "./impl/keyServerProvider";\nexport type _S = KeyServerState;',
    'import type { KeyServerConnectivity } from "./model/keyServerModel";\nexport type _K = KeyServerConnectivity;',
  ],
  [
    "test/ imports helpers from test/support, not scripts/",
    "test/e2e/helpers.ts",
    'import { REPO_ROOT } from "../../scripts/engine";\nvoid REPO_ROOT;',
    'import { REPO_ROOT } from "../support/automation";\nvoid REPO_ROOT;',
  ],
  [
    "bench/ imports helpers from test/support, not other tests",
    "bench/calls.ts",
    'import { Client } from "../test/simulator/helpers";\nvoid Client;',
    'import { keyPair } from "../test/support/certs";\nvoid keyPair;',
  ],
];

let results: { ruleId: string | null }[][] = [];

beforeAll(() => {
  results = lintSnippets(
    cases.flatMap(([, file, crossing, allowed]) => [
      { file, code: `${crossing}\n` },
      { file, code: `${allowed}\n` },
    ]),
  );
}, 120_000);

const boundaryErrors = (i: number): number => results[i]!.filter((m) => m.ruleId === RULE).length;

describe.each(cases.map((c, i) => [c[0], i] as const))("%s", (_layer, i) => {
  test("an import crossing the boundary is an error", () => {
    expect(boundaryErrors(2 * i)).toBe(1);
  });

  test("an import the layer may make is not", () => {
    expect(boundaryErrors(2 * i + 1)).toBe(0);
  });
});
