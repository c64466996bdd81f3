/**
 * The dynamic providers ship with ha-topology (components/shippedDynamicResource.ts): each
 * resource carries a short constant `__provider` text that loads its provider through the
 * build.js of the directory the provider host runs in. Checked here: every type has its
 * provider, the text loads in the project and fails clearly anywhere else, a large DigitalOcean stack
 * stores no code per droplet, and no program serializes a closure any more (Pulumi's closure
 * serializer parses each function with the TypeScript compiler).
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runWithMocks } from "../automation/offline/mocks";
import { loadStackConfig } from "../automation/stackFiles";
import { providers } from "../components/dynamicProviders";
import { providerText, shippedProviderTypes, type ShippedProviderType } from "../components/shippedDynamicResource";

const root = path.resolve(__dirname, "..");
const dynamicPrefix = "pulumi-nodejs:dynamic/ha-topology:";

/**
 * Evaluates `text` as @pulumi/pulumi's provider host does (require-from-string: a module
 * without a file name, its paths from the working directory), in a node process started in
 * `cwd`, and reports what `handler()` returned or threw.
 */
function loadInHost(text: string, cwd: string): { methods?: string[]; error?: string } {
  const script = `
    const Module = require("node:module");
    const m = new Module("", null);
    m.paths = Module._nodeModulePaths(process.cwd());
    try {
      m._compile(${JSON.stringify(text)}, "");
      const provider = m.exports.handler();
      process.stdout.write(JSON.stringify({ methods: Object.keys(provider).sort() }));
    } catch (e) {
      process.stdout.write(JSON.stringify({ error: String(e && e.message) }));
    }`;
  const result = spawnSync(process.execPath, ["-e", script], { cwd, encoding: "utf8", timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as { methods?: string[]; error?: string };
}

/** A scratch directory with `files` and the project's node_modules. */
function scratch(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-providers-"));
  fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const buildBundle = () => (require(path.join(root, "build.js")) as { ensureBuilt(n: string): string }).ensureBuilt("providers");

describe("Shipped dynamic providers", function () {
  it("every dynamic resource type has its provider, with the methods the engine calls", function () {
    assert.deepEqual(Object.keys(providers).sort(), [...shippedProviderTypes].sort());
    for (const type of shippedProviderTypes) {
      const provider = providers[type]();
      for (const method of ["create", "diff", "delete"] as const) assert.equal(typeof provider[method], "function", `${type}.${method}`);
    }
  });

  it("the text is short, one constant per type, and names its type", function () {
    const texts = shippedProviderTypes.map((type) => providerText(type));
    assert.equal(new Set(texts).size, texts.length);
    for (const [i, text] of texts.entries()) {
      assert.ok(text.length < 400, `${shippedProviderTypes[i]}: ${text.length} bytes`);
      assert.ok(text.includes(`dynamicProvider("${shippedProviderTypes[i]}")`));
      assert.equal(providerText(shippedProviderTypes[i]), text, "the same text every time");
    }
  });

  it("the text asks the project's build.js, which loads the current bundle (rebuilt when stale)", function () {
    for (const type of shippedProviderTypes) {
      const loaded = loadInHost(providerText(type), root);
      assert.equal(loaded.error, undefined, type);
      assert.ok(loaded.methods?.includes("create"), type);
    }
    // A stand-in build.js that records the call: the text goes through it, whatever it answers.
    const dir = scratch({ "build.js": `exports.dynamicProvider = (type) => { require("fs").writeFileSync(__dirname + "/asked", type); return { create() {} }; };` });
    try {
      assert.deepEqual(loadInHost(providerText("DropletHealthGate"), dir).methods, ["create"]);
      assert.equal(fs.readFileSync(path.join(dir, "asked"), "utf8"), "DropletHealthGate");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("build.js refuses a type it has no provider for, saying the state is another version's", function () {
    const build = require(path.join(root, "build.js")) as { dynamicProvider(type: string): unknown };
    assert.throws(() => build.dynamicProvider("DropletTeleporter"), /^Error: this ha-topology has no dynamic provider DropletTeleporter \(the state was written by another version\)$/);
    assert.throws(() => build.dynamicProvider("__proto__"), /no dynamic provider __proto__/);
  });

  it("anywhere else the host fails saying where it looked and what to do", function () {
    const dir = scratch({});
    try {
      const loaded = loadInHost(providerText("DatabaseIdentity"), dir);
      assert.equal(loaded.methods, undefined);
      assert.match(loaded.error ?? "", /^ha-topology's dynamic providers load through its build\.js, and \/\S+ has none: run pulumi in the ha-topology project$/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the bundle loads no cloud SDK until a provider calls one", function () {
    const script = `require(${JSON.stringify(buildBundle())});
      process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
    const result = spawnSync(process.execPath, ["-e", script], { cwd: root, encoding: "utf8" });
    assert.equal(result.status, 0, result.stderr);
    const loaded = JSON.parse(result.stdout) as string[];
    for (const sdk of ["@aws-sdk", "@kubernetes/client-node", "google-auth-library"]) {
      assert.ok(!loaded.some((file) => file.includes(`/node_modules/${sdk}/`)), `${sdk} is not loaded`);
    }
  });

  it("a DigitalOcean stack of 40 droplets stores no provider code per droplet", async function () {
    const config = loadStackConfig("digitalocean");
    const nodes = JSON.parse(config.values["ha-topology:nodes"] ?? "{}") as Record<string, unknown>;
    config.values["ha-topology:nodes"] = JSON.stringify({ ...nodes, count: 40, maxCount: 40 });
    const run = await runWithMocks(config, { stack: "providers-do" });
    assert.equal(run.error, undefined, run.error?.stack);
    const dynamic = run.resources.filter((r) => r.type.startsWith(dynamicPrefix));
    const byType = new Map<string, number>();
    for (const r of dynamic) {
      const type = r.type.slice(dynamicPrefix.length) as ShippedProviderType;
      assert.equal(r.inputs.__provider, providerText(type), r.name);
      byType.set(type, (byType.get(type) ?? 0) + 1);
    }
    assert.equal(byType.get("DropletHealthGate"), 40);
    assert.equal(byType.get("DropletDrainGuard"), 40);
    const providerBytes = dynamic.reduce((sum, r) => sum + String(r.inputs.__provider).length, 0);
    assert.ok(providerBytes < dynamic.length * 400, `${providerBytes} bytes of provider text for ${dynamic.length} resources`);
  });

  it("no example stack serializes a closure (Pulumi's serializer parses every function it captures with the TypeScript compiler)", function () {
    // In its own process, counting the serializer's calls (the SDK looks the function up at each call).
    const script = `
      const closure = require("@pulumi/pulumi/runtime/closure/serializeClosure");
      const serialize = closure.serializeFunction;
      let calls = 0;
      closure.serializeFunction = (...args) => (calls++, serialize(...args));
      const { runWithMocks } = require("./automation/offline/mocks");
      const { loadStackConfig } = require("./automation/stackFiles");
      (async () => {
        for (const cloud of ["aws", "gcp", "digitalocean", "kubernetes"]) {
          const run = await runWithMocks(loadStackConfig(cloud), { stack: "closure-" + cloud });
          if (run.error) throw run.error;
        }
        process.stdout.write(String(calls));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const result = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: root, encoding: "utf8", timeout: 120_000 });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, "0");
  });
});
