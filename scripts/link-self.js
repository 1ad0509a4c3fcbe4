#!/usr/bin/env node
// Makes `require("pulumi-ontap-keymanager/...")` resolve inside this repository.
//
// A dynamic provider's code is serialized without a file name, so the Pulumi provider host resolves its
// `require()` calls from its working directory's node_modules only. Programs in this repository (the root
// Pulumi.yaml, examples/, the end-to-end tests) run the host here, where the package is not in its own
// node_modules: this link puts it there. Run by `prepare`, so `npm install` and `npm ci` recreate it; it does
// nothing when the package is installed as a dependency (then it already lives in a node_modules).
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
if (path.basename(path.dirname(root)) === "node_modules") process.exit(0);

const link = path.join(root, "node_modules", "pulumi-ontap-keymanager");
try {
  if (fs.realpathSync(link) === root) process.exit(0);
  fs.rmSync(link, { recursive: true, force: true });
} catch {
  // Not there yet.
}
fs.mkdirSync(path.dirname(link), { recursive: true });
fs.symlinkSync("..", link, "dir");
