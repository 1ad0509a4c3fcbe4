import { readFileSync } from "node:fs";
import * as path from "node:path";
import { version } from "../provider";

test("package exports its version", () => {
  expect(version).toMatch(/^\d+\.\d+\.\d+$/);
});

test("the exported version is package.json's", () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, "..", "package.json"), "utf8")) as {
    version: string;
  };
  expect(version).toBe(pkg.version);
});
