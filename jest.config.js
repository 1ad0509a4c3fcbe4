// The package needs Node 22 or later (undici 8, @pulumi/pulumi 3.27x): fail before 200 confusing errors.
if (Number(process.versions.node.split(".")[0]) < 22) {
  throw new Error(
    `Node ${process.version} is too old for this package and its tests (Node >= 22). ` +
      'Run them with a newer Node, e.g. PATH="$(scripts/get-node.sh 24 | tail -n 1):$PATH" npm test',
  );
}

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: {
    // Type errors are caught by `npm run typecheck`; transpiling alone keeps the suite fast on 2 cores.
    "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json", diagnostics: false }],
  },
  testTimeout: 60000,
  maxWorkers: 2,
};
