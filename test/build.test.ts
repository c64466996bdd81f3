/**
 * The precompiled program (build.js): Pulumi runs dist/program.js, the command runs
 * dist/cli.js and the pack policies/dist/policies.js. The bundles must be the sources'
 * behaviour exactly, rebuilt whenever a source changed, and their dynamic providers must
 * load in a provider host.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runWithMocks, type RegisteredResource } from "../automation/offline/mocks";
import { loadStackConfig, stackConfigWith } from "../automation/stackFiles";
import { deserializeProvider } from "./dynamicWaitTesting";

const root = path.resolve(__dirname, "..");

interface Build {
  ensureBuilt(name: string): string;
  isFresh(name: string): boolean;
  entries: Record<string, { source: string; dir: string }>;
}

/** build.js copied into a scratch project, with the real node_modules (for esbuild). */
function scratchProject(files: Record<string, string>): { dir: string; build: Build } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-build-"));
  fs.copyFileSync(path.join(root, "build.js"), path.join(dir, "build.js"));
  fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return { dir, build: require(path.join(dir, "build.js")) as Build };
}

/** Loads a bundle afresh (the scratch project's, rebuilt). */
function loadFresh(file: string): Record<string, unknown> {
  delete require.cache[require.resolve(file)];
  return require(file) as Record<string, unknown>;
}

/**
 * The bundle's program, as program.js exports it for Pulumi's runner (test/pulumiRunner.test.ts
 * runs program.js itself, in its own process: it turns the compile cache on).
 */
function bundledProgram(): () => unknown {
  const bundle = (require(path.join(root, "build.js")) as Build).ensureBuilt("program");
  return (require(bundle) as { runProgram: () => unknown }).runProgram;
}

describe("build.js: the precompiled bundles", function () {
  it("builds a missing bundle, keeps a fresh one, rebuilds after an edit or a deleted import", function () {
    const { dir, build } = scratchProject({
      "components/program.ts": 'import { greeting } from "./greeting";\nexport const said: string = greeting("x");\n',
      "components/greeting.ts": "export const greeting = (who: string): string => `hello ${who}`;\n",
      "automation/cli.ts": "export const main = async (): Promise<number> => 0;\n",
      "policies/index.ts": "export {};\n",
    });
    assert.equal(build.isFresh("program"), false, "nothing built yet");
    const bundle = build.ensureBuilt("program");
    assert.equal(bundle, path.join(dir, "dist", "program.js"));
    assert.equal(loadFresh(bundle).said, "hello x");
    assert.equal(build.isFresh("program"), true);
    const builtAt = fs.statSync(bundle).mtimeMs;
    build.ensureBuilt("program");
    assert.equal(fs.statSync(bundle).mtimeMs, builtAt, "a fresh bundle is not rebuilt");

    // An edit of an imported file (same size: the mtime alone tells) rebuilds it.
    const greeting = path.join(dir, "components", "greeting.ts");
    fs.writeFileSync(greeting, "export const greeting = (who: string): string => `howdy ${who}`;\n");
    fs.utimesSync(greeting, new Date(), new Date(Date.now() + 5000));
    assert.equal(build.isFresh("program"), false);
    assert.equal(loadFresh(build.ensureBuilt("program")).said, "howdy x");

    // A deleted import is stale too, and the rebuild names what is missing.
    fs.rmSync(greeting);
    assert.equal(build.isFresh("program"), false);
    assert.throws(() => build.ensureBuilt("program"), /\.\/greeting/);
    // The pack's bundle sits inside policies/ (a published pack is that directory alone).
    assert.equal(build.ensureBuilt("policies"), path.join(dir, "policies", "dist", "policies.js"));
    assert.throws(() => build.ensureBuilt("nope"), /unknown bundle nope/);
  });

  it("is what Pulumi, the command and the pack run (no TypeScript loader at run time)", function () {
    const project = fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8");
    assert.match(project, /^main: program\.js$/m);
    assert.match(fs.readFileSync(path.join(root, "program.js"), "utf8"), /ensureBuilt\("program"\)/);
    assert.match(fs.readFileSync(path.join(root, "bin", "ha-topology.js"), "utf8"), /ensureBuilt\("cli"\)/);
    assert.match(fs.readFileSync(path.join(root, "policies", "PulumiPolicy.yaml"), "utf8"), /^main: pack\.js$/m);
    assert.match(fs.readFileSync(path.join(root, "policies", "pack.js"), "utf8"), /ensureBuilt\("policies"\)/);
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string>; dependencies: Record<string, string> };
    assert.equal(pkg.scripts.prepare, "node build.js && node dist/fill-compile-cache.js", "npm ci builds the bundles, then fills the compile cache");
    assert.ok(pkg.dependencies.esbuild, "esbuild builds at install and at a stale start: a runtime dependency");
  });

  for (const cloud of ["aws", "gcp", "digitalocean", "kubernetes"]) {
    it(`${cloud}: the bundle registers what the sources register, and its dynamic providers load`, async function () {
      const config = loadStackConfig(cloud);
      const fromSources = await runWithMocks(config, { stack: `build-${cloud}` });
      const fromBundle = await runWithMocks(config, { stack: `build-${cloud}`, program: async () => bundledProgram() });
      assert.equal(fromSources.error, undefined);
      assert.equal(fromBundle.error, undefined);
      // Everything the program registers is the same, registration order aside: the dynamic
      // providers' `__provider` and the DigitalOcean healer's script come from the same
      // bundles (dist/providers.js, dist/healer.js) for both.
      const comparable = (r: RegisteredResource) => JSON.stringify({ urn: r.urn, protect: r.protect, inputs: r.inputs });
      const sorted = (rs: RegisteredResource[]) => rs.map(comparable).sort();
      assert.deepEqual(sorted(fromBundle.resources), sorted(fromSources.resources));
      assert.deepEqual(fromBundle.outputs, fromSources.outputs);

      // A provider's text is what a provider host evaluates: a module whose handler() gives
      // the provider (require-from-string, as @pulumi/pulumi's dynamic provider host does).
      const providers = new Set(fromBundle.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic")).map((r) => String(r.inputs.__provider)));
      if (cloud !== "kubernetes") assert.ok(providers.size > 0, "the example stack has dynamic providers to check");
      for (const text of providers) {
        const provider = deserializeProvider<Record<string, unknown>>(text);
        assert.equal(typeof provider.create, "function", text.slice(0, 200));
      }
    });
  }

  it("carries zod (the modules its schemas use, English messages included) and yaml, and no other npm package", function () {
    const build = require(path.join(root, "build.js")) as Build;
    for (const name of ["program", "cli"]) {
      const text = fs.readFileSync(build.ensureBuilt(name), "utf8");
      const carried = new Set([...text.matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]));
      assert.deepEqual([...carried].sort(), ["yaml", "zod"], name);
      assert.doesNotMatch(text, /require\("(zod|yaml)"\)/, `${name} loads neither from node_modules`);
      const locales = [...text.matchAll(/^\/\/ node_modules\/zod\/v4\/locales\/([\w-]+)\.js$/gm)].map((m) => m[1]);
      assert.deepEqual(locales.sort(), ["en", "index"], `${name}: the other locales are left out`);
      assert.match(text, /require\("@pulumi\/pulumi"\)/, `${name} uses the SDK the runner loaded`);
    }
  });

  it("reads an ES-module-compiled package's exports in place instead of copying them per importing file", function () {
    const build = require(path.join(root, "build.js")) as Build;
    for (const name of ["program", "cli", "providers"]) {
      const text = fs.readFileSync(build.ensureBuilt(name), "utf8");
      // If this fails after an esbuild upgrade, its helper changed: see readExportsInPlace in build.js.
      assert.match(text, /^var __toESM = \(mod, isNodeMode, target\) => !isNodeMode && mod != null && mod\.__esModule \? mod : /m, name);
    }
    // What the helper does with each kind of module, taken from a bundle.
    const text = fs.readFileSync(build.ensureBuilt("program"), "utf8");
    const helpers = text.slice(0, text.indexOf("\n", text.indexOf("var __toCommonJS")));
    const toESM = new Function(`${helpers}; return __toESM;`)() as (mod: unknown, isNodeMode?: number) => Record<string, unknown>;
    const compiled = { __esModule: true, output: () => 1, default: "d" };
    assert.equal(toESM(compiled), compiled, "a package compiled from ES modules: its exports object");
    const plain = { join: () => "j" };
    const copy = toESM(plain);
    assert.notEqual(copy, plain);
    assert.equal(copy.default, plain, "plain CommonJS: a copy whose default is the module");
    assert.equal((copy.join as () => string)(), "j");
    assert.notEqual(toESM(compiled, 1), compiled, "Node's compatibility mode: the copy");
  });

  it("refuses a bad stack with the sources' messages (the bundle's zod reads the schemas as node_modules' does)", async function () {
    const bad = [
      stackConfigWith("aws", { "ha-topology:nodes": { count: "two" }, "ha-topology:database": [1], "ha-topology:bucket": { versioning: "x", bogus: 1 } }),
      stackConfigWith("stacks/examples/Pulumi.alerta-gcp.yaml", { "ha-topology:workloads": { api: { kind: "web", port: 99999, image: 7 } } }),
    ];
    for (const config of bad) {
      const fromSources = await runWithMocks(config, { stack: "build-bad" });
      const fromBundle = await runWithMocks(config, { stack: "build-bad", program: async () => bundledProgram() });
      assert.ok(fromSources.error, "the stack is refused");
      assert.equal(fromBundle.error?.message, fromSources.error.message);
    }
  });
});
