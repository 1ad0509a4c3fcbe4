/**
 * Source of `harness-fixture-provider`, a plain-JS package the self-test installs (as real files) into the program
 * directory's node_modules: the implementation behind the one-line provider methods the test serializes. It echoes
 * what it receives so the test can see exactly what reached the provider inside the host.
 */
export const FIXTURE_PACKAGE = "harness-fixture-provider";

const indexJs = String.raw`"use strict";
const SIG = "4dabf18193072939515e22adb298388d";
let seenConfig = null;
let configureCalls = 0;
let racyConfig = null;
let releaseRacyConfigure = () => undefined;
let failingConfigureCalls = 0;

function loaderReport() {
  return {
    tsExtension: require.extensions[".ts"] !== undefined,
    tsNode: process[Symbol.for("ts-node.register.instance")] !== undefined,
    execArgv: process.execArgv,
    nodeOptions: process.env.NODE_OPTIONS === undefined ? null : process.env.NODE_OPTIONS,
    cwd: process.cwd(),
    fixtureFile: __filename,
    pulumiResolvedFrom: require.resolve("@pulumi/pulumi"),
  };
}

module.exports = {
  async configure(req) {
    configureCalls++;
    seenConfig = {
      host: req.config.get("fixture:host") ?? null,
      password: req.config.get("fixture:password") ?? null,
      projectRelative: req.config.get("greeting") ?? null,
      missing: req.config.get("fixture:missing") ?? null,
    };
  },

  // Holds configure open until a check arrives (bounded), to show whether the host awaits configure for every call.
  async configureRacy(req) {
    await new Promise((resolve) => {
      releaseRacyConfigure = resolve;
      setTimeout(resolve, 5000);
    });
    racyConfig = req.config.get("fixture:host") ?? null;
  },

  async checkRacy(olds, news) {
    const seen = racyConfig;
    releaseRacyConfigure();
    return { inputs: { ...news, configSeen: seen } };
  },

  async configureFailing() {
    failingConfigureCalls++;
    throw new Error("configure refused: fixture:host is not reachable");
  },

  async checkFailing(olds, news) {
    return { inputs: { ...news, failingConfigureCalls } };
  },

  async check(olds, news) {
    if (news.mode === "throw-check") throw new Error("check refused " + news.name);
    const failures = news.size < 0 ? [{ property: "size", reason: "size must not be negative" }] : [];
    return { inputs: { ...news, checked: true, sawSecretMarker: JSON.stringify(news).includes(SIG) }, failures };
  },

  async diff(id, olds, news) {
    const replaces = olds.name !== news.name ? ["name"] : [];
    return { changes: olds.size !== news.size || replaces.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 };
  },

  async create(inputs) {
    if (inputs.mode === "throw-create") throw new Error("create refused for " + inputs.name);
    if (inputs.mode === "partial") {
      throw Object.assign(new Error("created but not ready"), {
        id: "fx-partial",
        properties: { name: inputs.name, password: inputs.password },
        reasons: ["not ready yet"],
      });
    }
    if (inputs.mode === "undefined-output") return { id: "fx-undef", outs: { name: inputs.name, missing: undefined } };
    if (inputs.mode === "pulumi-api") {
      const pulumi = require("@pulumi/pulumi");
      pulumi.log.info("fixture log for " + inputs.name);
      return { id: "fx-api", outs: { pulumiConfigHost: new pulumi.Config("fixture").get("host") ?? null } };
    }
    process.stderr.write("fixture: creating " + inputs.name + "\n");
    return {
      id: "fx-" + inputs.name,
      outs: {
        ...inputs,
        passwordCopy: inputs.password,
        sawSecretMarker: JSON.stringify(inputs).includes(SIG),
        configSeen: seenConfig,
        configureCalls,
        loader: loaderReport(),
      },
    };
  },

  async read(id, props) {
    if (id === "fx-gone") return { id: "" };
    if (props.mode === "grpc-fields") {
      throw Object.assign(new Error("message text"), { code: 5, details: "details text wins" });
    }
    return {
      id,
      props: { ...props, size: 99 },
      inputs: { name: props.name, size: 99, password: props.password },
    };
  },

  async update(id, olds, news) {
    return { outs: { ...news, previousSize: olds.size } };
  },

  async delete(id, props) {
    if (props.mode === "throw-delete") throw new Error("delete refused for " + id);
    process.stderr.write("fixture: deleted " + id + "\n");
  },
};
`;

/** Files of the fixture package, for `writePackage`. */
export const fixtureFiles: Record<string, string> = { "index.js": indexJs };
