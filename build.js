/**
 * The precompiled program: `dist/<entry>.js`, one CommonJS bundle per entry point of ours
 * (the stack program, the command, the policy pack), with every npm package left external
 * but the few it carries (`bundledPackages`).
 *
 * Why: running the TypeScript sources through tsx costs about half a second per process and
 * turns Node's source maps on, which makes every `new Error().stack` the Pulumi SDK takes per
 * promise and per registration map its frames (measured: most of the evaluation time at 1000
 * droplets). Plain JS with no source maps active avoids both; the type check stays in CI
 * (`npm run typecheck`), the build only transpiles (esbuild, milliseconds).
 *
 * A bundle is rebuilt when any file it was built from changed or disappeared (esbuild's
 * metafile lists them), so an edited checkout never runs stale code: `node build.js` at
 * install (`npm ci` runs `prepare`), and `ensureBuilt` again at every start.
 * Each bundle's source map is written beside it (dist/*.js.map) but not linked from it:
 * a linked map would be loaded and applied to every stack trace the SDK takes (Pulumi's
 * runner installs source-map-support), which is the cost this build removes.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = __dirname;

/**
 * Entry name -> TypeScript source and bundle directory. Each bundle sits one level below its
 * source's package root, as the sources' own `__dirname`-relative paths expect; the pack's is
 * inside policies/, since `pulumi policy publish` uploads that directory alone.
 */
const entries = {
  // The program as a function (runProgram), which program.js exports for Pulumi's runner to call.
  program: { source: "components/program.ts", dir: "dist" },
  cli: { source: "automation/cli.ts", dir: "dist" },
  policies: { source: "policies/index.ts", dir: "policies/dist" },
  // The dynamic providers, loaded by the provider host (components/shippedDynamicResource.ts).
  providers: { source: "components/dynamicProviders.ts", dir: "dist" },
  // The DigitalOcean healer's worker program (healerApp.ts puts it in the App's spec).
  healer: { source: "components/platforms/digitalocean/healerWorker.ts", dir: "dist" },
  // Fills the compile cache at install (package.json `prepare`, after this build).
  "fill-compile-cache": { source: "automation/offline/fillCompileCache.ts", dir: "dist" },
  // The benchmark's scenarios, measured on the code as shipped (npm run bench).
  bench: { source: "bench/child.ts", dir: "dist" },
  // The program's stack trace settings alone, which the bench's baseline on the program's terms takes (bench/onProgramTerms.js).
  "stack-trace-cost": { source: "components/stackTraceCost.ts", dir: "dist" },
  // Its timing of the shipped program: the mocks harness alone, without the harness's
  // default program (a second copy of it; never run there: it runs program.js).
  "bench-program": { source: "bench/programChild.ts", dir: "dist", external: ["./components/program.ts"] },
};

/**
 * npm packages the bundles carry instead of loading them from node_modules: where most of a
 * package's load was finding and reading its files, one module per file. Measured with the
 * compile cache warm:
 * - zod (the config schemas): its `z` namespace made all of its 95 modules load at every
 *   start, its 64 locales among them (30 ms). Bundled from its ES modules, with namespace
 *   imports (`import * as z`), esbuild keeps the 28 the schemas use (English messages
 *   included: zod registers them when the first schema is made).
 * - yaml (the command's stack files, and any cloud-config components/cloudConfigYaml.ts
 *   leaves to it): 72 modules, 21 ms to load; its Node build bundled as it is, 4 ms, and
 *   still loaded only where it is used.
 * Every other package stays external, above all the Pulumi SDKs: the program must use the
 * instances Pulumi's runner loaded.
 */
const bundledPackages = new Set(["zod", "yaml"]);

/** The package a bundle input under node_modules belongs to (`@scope/name` or `name`), or undefined. */
const packageOf = (input) => /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1];

/** Every package installed in the project's node_modules but the bundled ones: esbuild's `external`. */
function externalPackages() {
  const dir = path.join(root, "node_modules");
  const names = [];
  for (const entry of fs.readdirSync(dir)) {
    if (entry.startsWith(".")) continue;
    if (entry.startsWith("@")) for (const scoped of fs.readdirSync(path.join(dir, entry))) names.push(`${entry}/${scoped}`);
    else names.push(entry);
  }
  return names.filter((name) => !bundledPackages.has(name));
}

const bundleOf = (name) => path.join(root, entries[name].dir, `${name}.js`);
const inputsOf = (name) => path.join(root, entries[name].dir, `${name}.inputs.json`);

/** The inputs a bundle was built from, with their sizes and mtimes, or undefined. */
function readInputs(name) {
  try {
    return JSON.parse(fs.readFileSync(inputsOf(name), "utf8"));
  } catch {
    return undefined;
  }
}

/** True when the bundle exists and none of its inputs changed since it was built. */
function isFresh(name) {
  const inputs = readInputs(name);
  if (!inputs || inputs.source !== entries[name].source || !fs.existsSync(bundleOf(name))) return false;
  for (const [file, seen] of Object.entries(inputs.files)) {
    let stat;
    try {
      stat = fs.statSync(path.join(root, file));
    } catch {
      return false;
    }
    if (stat.size !== seen.size || stat.mtimeMs !== seen.mtimeMs) return false;
  }
  return true;
}

/** Builds one bundle (synchronously: a program's start cannot wait on a promise here). */
function build(name) {
  const esbuild = require("esbuild");
  const result = esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: [entries[name].source],
    outfile: bundleOf(name),
    bundle: true,
    // Per entry, files of ours left out of its bundle too (bench-program: the harness's default program).
    external: [...externalPackages(), ...(entries[name].external ?? [])],
    platform: "node",
    format: "cjs",
    target: "node20",
    sourcemap: "external",
    // Class and function names appear in messages and in serialized dynamic providers.
    keepNames: true,
    metafile: true,
    logLevel: "silent", // a failed build throws with esbuild's messages
    // Written below, each file by rename: a process starting meanwhile reads the old bundle or the new one, never half of one.
    write: false,
  });
  // A package that is not installed at the top of node_modules would otherwise be carried unnoticed.
  const carried = Object.keys(result.metafile.inputs).map(packageOf).find((pkg) => pkg !== undefined && !bundledPackages.has(pkg));
  if (carried) throw new Error(`build.js: the ${name} bundle would carry ${carried} from node_modules; only ${[...bundledPackages].join(", ")} may be bundled`);
  fs.mkdirSync(path.dirname(bundleOf(name)), { recursive: true });
  for (const out of result.outputFiles) writeAtomically(out.path, out.path.endsWith(".js") ? lazyCloudSdks(name, readExportsInPlace(out.text)) : out.contents);
  const files = {};
  for (const file of Object.keys(result.metafile.inputs)) {
    const stat = fs.statSync(path.join(root, file));
    files[file] = { size: stat.size, mtimeMs: stat.mtimeMs };
  }
  writeAtomically(inputsOf(name), `${JSON.stringify({ source: entries[name].source, files }, null, 1)}\n`);
}

/** The start of esbuild's `__toESM` helper, as esbuild 0.28 writes it. */
const toESM = "var __toESM = (mod, isNodeMode, target) => (target = mod != null";

/**
 * A bundle whose imports of external ES-module-compiled packages read the package's exports
 * object itself. esbuild's `__toESM` copies every export of an external CommonJS module into
 * a fresh object, with a getter each, for every file that imports it: 89 copies of
 * @pulumi/pulumi's exports and 22 of @pulumi/aws's in the program, 2 MB kept alive and tens of
 * thousands of getters made at each start. For a module with `__esModule` (every @pulumi
 * package: compiled from ES modules) outside Node's compatibility mode, the copy's getters
 * read `mod[key]` and its `default` is `mod.default`, so `mod` itself reads the same. Other
 * modules (node:fs, plain CommonJS) still get the copy. A helper of another shape (another
 * esbuild) is left as it is: test/build.test.ts says when that happens.
 */
function readExportsInPlace(text) {
  return text.replace(toESM, "var __toESM = (mod, isNodeMode, target) => !isNodeMode && mod != null && mod.__esModule ? mod : (target = mod != null");
}

/** The cloud SDKs whose package index the bundles read through lazyCloudSdk.js (it says why). */
const lazySdks = ["@pulumi/aws", "@pulumi/gcp"];

/**
 * A bundle that reads `lazySdks` through lazyCloudSdk.js: each `require("@pulumi/aws")`
 * (the package's index; a subpath such as `@pulumi/aws/config/vars` is left alone) becomes
 * the lazy index of the package. Only the bundles of dist/, beside which lazyCloudSdk.js
 * is installed: the policy pack's (policies/dist/) is published alone.
 */
function lazyCloudSdks(name, text) {
  if (entries[name].dir !== "dist") return text;
  return lazySdks.reduce((t, pkg) => t.replaceAll(`require("${pkg}")`, `require("../lazyCloudSdk.js").lazyPackageIndex("${pkg}")`), text);
}

/** Writes a file by rename: a process reading it meanwhile sees the old contents or the new, never half. */
function writeAtomically(file, contents) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, contents);
  fs.renameSync(temporary, file);
}

/** The path of an up-to-date bundle, built first when missing or stale. */
function ensureBuilt(name) {
  if (!(name in entries)) throw new Error(`unknown bundle ${name}`);
  if (!isFresh(name)) build(name);
  return bundleOf(name);
}

/**
 * The dynamic provider of a resource type of ours, from the providers bundle: what each
 * dynamic resource's `__provider` text calls in the provider host
 * (components/shippedDynamicResource.ts). A contract: state written today calls it.
 */
function dynamicProvider(type) {
  const { providers } = require(ensureBuilt("providers"));
  if (!Object.prototype.hasOwnProperty.call(providers, type)) {
    throw new Error(`this ha-topology has no dynamic provider ${type} (the state was written by another version)`);
  }
  return providers[type]();
}

module.exports = { ensureBuilt, isFresh, entries, dynamicProvider, writeAtomically };

if (require.main === module) {
  for (const name of Object.keys(entries)) build(name);
  process.stdout.write(`built ${Object.keys(entries).map((n) => path.relative(root, bundleOf(n))).join(", ")}\n`);
}
