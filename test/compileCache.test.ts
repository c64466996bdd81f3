/**
 * compileCache.js: V8's code cache for the modules a run loads. A module loaded through the
 * cache must behave exactly as Node loads it (compared with the cache off, in the same
 * scratch project), a changed module must never run its old code, and a cache that is
 * corrupt, unwritable or switched off must only cost the compile.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");

/** Scratch directories made by this file's tests, removed when they are done. */
const scratchDirs: string[] = [];
function scratchDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  scratchDirs.push(dir);
  return dir;
}
after(function () {
  for (const dir of scratchDirs) fs.rmSync(dir, { recursive: true, force: true });
});
const compileCachePath = path.join(root, "compileCache.js");
/** A pack's entry: the SHA-1 of the module's source and V8's data. */
type Entry = { digest: string; data: Buffer };
const { enableCompileCache, cacheDirectory, readPack, writePack, mayImportDynamically } = require(compileCachePath) as {
  enableCompileCache(root: string, name: string, nodeModule?: { enableCompileCache?: (dir: string) => unknown }): string;
  cacheDirectory(root: string): string;
  readPack(file: string): Map<string, Entry>;
  writePack(file: string, entries: Map<string, Entry>): void;
  mayImportDynamically(source: string): boolean;
};

/** A module of the fixture package that observes what Node gives a CommonJS module. */
const observer = `"use strict";
const Module = require("node:module");
const thisAtTop = this;
exports.observe = async () => {
  const other = require("./other");
  let syntax;
  try { require("./broken"); } catch (e) { syntax = { name: e.name, message: e.message, stack: e.stack.split("\\n").slice(0, 4).join("\\n") }; }
  let thrown;
  try { require("./lineOne")(); } catch (e) { thrown = e.stack.split("\\n")[1].trim(); }
  const esm = await require("./dynamic").load();
  return {
    thisIsExports: thisAtTop === module.exports,
    filename: __filename,
    dirname: __dirname,
    id: module.id,
    parent: module.parent && module.parent.id,
    resolved: require.resolve("./other"),
    paths: require.resolve.paths("somewhere"),
    main: require.main === process.mainModule,
    cache: require.cache === Module._cache,
    extensions: require.extensions === Module._extensions,
    requireName: require.name,
    strict: (function () { return this === undefined; })(),
    other: other.value,
    json: require("./data.json"),
    esm: esm.answer,
    cycle: require("./cycleA").seen,
    syntax,
    thrown,
    source: exports.observe.toString().length,
  };
};
`;

/** The fixture's modules cached (broken.js is refused by V8 and dynamic.js imports dynamically: both fall back). */
const cacheable = ["index.js", "other.js", "lineOne.js", "cycleA.js", "cycleB.js"];

interface Run {
  how: string;
  observed: Record<string, unknown>;
  counts: { hits: number; misses: number; rejected: number; fallbacks: number; written: number };
  outside: string;
}

/** A scratch project: node_modules/fixture, a module outside it, and the script that runs them. */
function scratchProject(): { dir: string; run: (options?: { env?: Record<string, string>; nodeArgs?: string[] }) => Run } {
  const dir = scratchDir("ha-compile-cache-");
  const pkg = path.join(dir, "node_modules", "fixture");
  fs.mkdirSync(pkg, { recursive: true });
  const files: Record<string, string> = {
    "package.json": '{ "name": "fixture", "main": "index.js" }\n',
    "index.js": observer,
    "other.js": "exports.value = 1;\n",
    "broken.js": "exports.value = ;\n",
    "lineOne.js": 'module.exports = () => { throw new Error("line one"); };\n',
    "cycleA.js": 'exports.seen = "a-start"; const b = require("./cycleB"); exports.seen = `a-end:${b.seen}`;\n',
    "cycleB.js": 'exports.seen = `b saw ${require("./cycleA").seen}`;\n',
    "data.json": '{ "json": true }\n',
    "answer.mjs": "export const answer = 42;\n",
    // A dynamic import, and one a string evaluates: never cached (compileCache.js says why).
    "dynamic.js": 'exports.load = async () => { const a = await import("./answer.mjs"); const b = await new Function("s", "return import(s)")("./answer.mjs"); return a === b ? a : {}; };\n',
  };
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(pkg, file), text);
  const outside = scratchDir("ha-compile-outside-");
  fs.writeFileSync(path.join(outside, "outside.js"), "exports.where = __filename;\n");
  fs.writeFileSync(
    path.join(dir, "run.js"),
    `"use strict";
const cache = require(${JSON.stringify(compileCachePath)});
const how = cache.enableCompileCache(__dirname, "fixture");
const outside = require(${JSON.stringify(path.join(outside, "outside.js"))}).where;
require("fixture").observe().then((observed) => {
  process.on("exit", () => process.stdout.write(JSON.stringify({ how, observed, outside, counts: cache.counts })));
});
`,
  );
  const run = (options: { env?: Record<string, string>; nodeArgs?: string[] } = {}): Run => {
    const env: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: "", NODE_DISABLE_COMPILE_CACHE: undefined, ...options.env };
    const child = spawnSync(process.execPath, [...(options.nodeArgs ?? []), path.join(dir, "run.js")], { cwd: dir, env, encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    return JSON.parse(child.stdout) as Run;
  };
  return { dir, run };
}

/**
 * The V8 configuration part of a pack's name in a plain node child (no flags), as the fixture's
 * runs and npm ci's fill name their packs: this test process runs with flags of its own.
 */
let plainConfiguration: string | undefined;
function packName(name: string): string {
  if (plainConfiguration === undefined) {
    const child = spawnSync(process.execPath, ["-e", `process.stdout.write(require(${JSON.stringify(compileCachePath)}).packFile("/", "x"))`], { env: { ...process.env, NODE_OPTIONS: "" }, encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    plainConfiguration = /x-([0-9a-f]{8})\.pack$/.exec(child.stdout)?.[1] ?? assert.fail(child.stdout);
  }
  return `${name}-${plainConfiguration}.pack`;
}

/** The scratch project's pack, and the path of one of its fixture's modules (a pack's key). */
const packOf = (dir: string) => path.join(cacheDirectory(dir), packName("fixture"));
const moduleOf = (dir: string, file: string) => path.join(dir, "node_modules", "fixture", file);
const sha1 = (text: string) => crypto.createHash("sha1").update(text).digest("hex");

const nodeHasItsOwn = typeof (require("node:module") as { enableCompileCache?: unknown }).enableCompileCache === "function";

describe("compileCache.js: V8's code cache for the modules a run loads", function () {
  before(function () {
    // On Node >= 22.1 the cache is Node's own (see the stand-in test below): the hook is not installed there.
    if (nodeHasItsOwn) this.skip();
  });

  it("loads modules as Node does, from the cache on the second run", function () {
    const { dir, run } = scratchProject();
    const reference = run({ env: { NODE_DISABLE_COMPILE_CACHE: "1" } });
    assert.equal(reference.how, "disabled");
    assert.equal(fs.existsSync(path.join(dir, "node_modules", ".cache")), false, "switched off: nothing written");
    assert.equal(reference.observed.esm, 42);
    assert.match(String(reference.observed.thrown), /lineOne\.js:1:\d+\)$/);

    const cold = run();
    assert.equal(cold.how, "hook");
    assert.deepEqual(cold.observed, reference.observed);
    assert.equal(cold.outside, reference.outside);
    assert.deepEqual({ misses: cold.counts.misses, hits: cold.counts.hits, written: cold.counts.written }, { misses: cacheable.length, hits: 0, written: cacheable.length });
    // run.js is compiled before the hook; the module outside the project, the syntax error and the dynamic import go to Node's own compile.
    assert.equal(cold.counts.fallbacks, 3);
    const entries = readPack(packOf(dir));
    assert.deepEqual([...entries.keys()].sort(), cacheable.map((file) => moduleOf(dir, file)).sort());
    for (const file of cacheable) assert.ok(entries.get(moduleOf(dir, file))?.digest === sha1(fs.readFileSync(moduleOf(dir, file), "utf8")), file);

    const warm = run();
    assert.deepEqual(warm.observed, reference.observed);
    assert.deepEqual({ hits: warm.counts.hits, misses: warm.counts.misses, rejected: warm.counts.rejected, written: warm.counts.written }, { hits: cacheable.length, misses: 0, rejected: 0, written: 0 });
    assert.equal(readPack(packOf(dir)).has(moduleOf(dir, "dynamic.js")), false);
  });

  it("tells a dynamic import from the rest, erring on the side of no entry", function () {
    for (const source of ['import("x")', "await import (x)", "import /* why */ (x)", "import // why\n(x)", 'new Function("s", "return import(s)")', "a.import(b)"]) {
      assert.equal(mayImportDynamically(source), true, source);
    }
    for (const source of ['import x from "y"', "important(x)", "reimport(x)", 'require("import")']) assert.equal(mayImportDynamically(source), false, source);
  });

  it("never runs a changed module's old code, even at the same length", function () {
    const { dir, run } = scratchProject();
    run();
    fs.writeFileSync(path.join(dir, "node_modules", "fixture", "other.js"), "exports.value = 2;\n");
    const changed = run();
    assert.equal(changed.observed.other, 2);
    assert.deepEqual({ hits: changed.counts.hits, misses: changed.counts.misses, written: changed.counts.written }, { hits: cacheable.length - 1, misses: 1, written: 1 });
    assert.equal(run().counts.hits, cacheable.length, "the changed module's entry was replaced");
    assert.equal(readPack(packOf(dir)).size, cacheable.length, "one entry per module: no growth");
    assert.deepEqual(fs.readdirSync(cacheDirectory(dir)), [path.basename(packOf(dir))]);
    assert.match(path.basename(packOf(dir)), /^fixture-[0-9a-f]{8}\.pack$/);
  });

  it("recompiles over a corrupt or truncated entry", function () {
    const { dir, run } = scratchProject();
    const reference = run();
    const entries = readPack(packOf(dir));
    const other = entries.get(moduleOf(dir, "other.js"));
    assert.ok(other);
    entries.set(moduleOf(dir, "other.js"), { digest: other.digest, data: crypto.randomBytes(other.data.length) });
    writePack(packOf(dir), entries);
    const corrupt = run();
    assert.deepEqual(corrupt.observed, reference.observed);
    assert.equal(corrupt.counts.rejected, 1, "V8 refused the data");
    assert.equal(corrupt.counts.written, 1);
    // A pack cut short (a full disk) is no pack: everything compiles again.
    const pack = fs.readFileSync(packOf(dir));
    fs.writeFileSync(packOf(dir), pack.subarray(0, pack.length - 10));
    assert.equal(readPack(packOf(dir)).size, 0);
    const truncated = run();
    assert.deepEqual(truncated.observed, reference.observed);
    assert.equal(truncated.counts.misses, cacheable.length);
    fs.writeFileSync(packOf(dir), "abc");
    assert.equal(run().counts.misses, cacheable.length);
    assert.equal(run().counts.hits, cacheable.length);
  });

  it("only costs the compile where the cache cannot be written", function () {
    const { dir, run } = scratchProject();
    const reference = run({ env: { NODE_DISABLE_COMPILE_CACHE: "1" } });
    // node_modules/.cache is a file: the cache directory cannot be made (root ignores modes, a file it cannot ignore).
    fs.writeFileSync(path.join(dir, "node_modules", ".cache"), "not a directory");
    const blocked = run();
    assert.deepEqual(blocked.observed, reference.observed);
    assert.equal(blocked.counts.written, 0);
    assert.equal(run().counts.hits, 0);
  });

  it("leaves modules to Node when source maps are on (tsx, --enable-source-maps)", function () {
    const { dir, run } = scratchProject();
    const mapped = run({ nodeArgs: ["--enable-source-maps"] });
    assert.equal(mapped.how, "hook");
    assert.deepEqual({ hits: mapped.counts.hits, misses: mapped.counts.misses, written: mapped.counts.written }, { hits: 0, misses: 0, written: 0 });
    assert.equal(fs.existsSync(cacheDirectory(dir)), false);
  });

  it("keeps a pack per V8 configuration: runs with other flags do not reject each other's", function () {
    const { dir, run } = scratchProject();
    const flagged = { nodeArgs: ["--max-semi-space-size=64"] };
    run();
    assert.equal(run(flagged).counts.misses, cacheable.length, "a pack of its own");
    assert.equal(run().counts.hits, cacheable.length);
    const again = run(flagged);
    assert.deepEqual({ hits: again.counts.hits, rejected: again.counts.rejected, written: again.counts.written }, { hits: cacheable.length, rejected: 0, written: 0 });
    assert.equal(fs.readdirSync(cacheDirectory(dir)).length, 2);
  });

  it("keeps the entries a run did not load (another stack's modules) when it writes the pack, and drops those of files that are gone", function () {
    const { dir, run } = scratchProject();
    run();
    const entries = readPack(packOf(dir));
    const elsewhere = path.join(dir, "node_modules", "elsewhere.js");
    const gone = path.join(dir, "node_modules", "gone.js");
    fs.writeFileSync(elsewhere, "exports.value = 4;\n");
    entries.set(elsewhere, { digest: sha1("x"), data: Buffer.from("data") });
    entries.set(gone, { digest: sha1("y"), data: Buffer.from("old") });
    writePack(packOf(dir), entries);
    fs.writeFileSync(moduleOf(dir, "other.js"), "exports.value = 3;\n");
    assert.equal(run().counts.written, 1);
    const written = readPack(packOf(dir));
    assert.equal(written.get(elsewhere)?.data.toString(), "data");
    assert.equal(written.has(gone), false);
    assert.ok(written.size >= 2, "the run's own entries stay");
  });

  it("is what the program, the command and the pack start with", function () {
    for (const file of ["program.js", "bin/ha-topology.js", "policies/pack.js"]) {
      const text = fs.readFileSync(path.join(root, file), "utf8");
      const enable = text.indexOf(".enableCompileCache(");
      assert.ok(enable >= 0, `${file} enables the compile cache`);
      assert.ok(enable < text.indexOf("ensureBuilt("), `${file}: before its bundle is compiled`);
    }
  });
});

describe("fillCompileCache.ts: the cache filled at install", function () {
  before(function () {
    if (nodeHasItsOwn) this.skip(); // Node >= 22.1 keeps its own files, not our packs.
  });

  it("holds the program's bundle and every cloud's SDK modules, and the command's bundle, after npm ci's prepare", function () {
    const build = require(path.join(root, "build.js")) as { ensureBuilt(name: string): string };
    const fill = build.ensureBuilt("fill-compile-cache");
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.prepare, new RegExp(`node ${path.relative(root, fill)}$`));
    // An empty cache of its own (HA_TOPOLOGY_COMPILE_CACHE_DIR), as after npm ci: the project's is in use by other tests.
    const cacheDir = scratchDir("ha-fill-cache-");
    const env: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: "", NODE_DISABLE_COMPILE_CACHE: undefined, HA_TOPOLOGY_COMPILE_CACHE_DIR: cacheDir };
    const child = spawnSync(process.execPath, [fill], { cwd: root, env, encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stderr, "");
    assert.deepEqual(fs.readdirSync(cacheDir), [`${process.versions.v8}-${process.arch}`]);
    const packOfFill = (name: string) => path.join(cacheDir, `${process.versions.v8}-${process.arch}`, packName(name));
    // program.js enabled the cache before its bundle was compiled, as under Pulumi's runner.
    const program = readPack(packOfFill("program"));
    const bundle = build.ensureBuilt("program");
    assert.equal(program.get(bundle)?.digest, sha1(fs.readFileSync(bundle, "utf8")), "dist/program.js's entry is of its current source (a source that mentions import( is never cached: compileCache.js mayImportDynamically)");
    for (const sdk of ["aws", "gcp", "digitalocean", "kubernetes"]) {
      assert.ok([...program.keys()].some((file) => file.startsWith(path.join(root, "node_modules", "@pulumi", sdk) + path.sep)), `@pulumi/${sdk}'s modules`);
    }
    assert.ok(readPack(packOfFill("cli")).has(build.ensureBuilt("cli")));
  });

  it("never fails the install: it says the first run will fill the cache", function () {
    // The bundle in a project without stacks: its projectRoot is the scratch directory.
    const dir = scratchDir("ha-fill-");
    fs.mkdirSync(path.join(dir, "dist"));
    fs.copyFileSync((require(path.join(root, "build.js")) as { ensureBuilt(name: string): string }).ensureBuilt("fill-compile-cache"), path.join(dir, "dist", "fill-compile-cache.js"));
    fs.symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"));
    const child = spawnSync(process.execPath, [path.join(dir, "dist", "fill-compile-cache.js")], { cwd: dir, encoding: "utf8" });
    assert.equal(child.status, 0);
    assert.match(child.stderr, /^ha-topology: the compile cache was not filled at install \(the first run fills it\): \S/);
    assert.equal(child.stderr.trim().split("\n").length, 1, child.stderr);
  });
});

describe("compileCache.js: when it turns on", function () {
  it("is off under NODE_DISABLE_COMPILE_CACHE=1, a policy manifest, or without node_modules", function () {
    const saved = { disable: process.env.NODE_DISABLE_COMPILE_CACHE, options: process.env.NODE_OPTIONS };
    try {
      process.env.NODE_DISABLE_COMPILE_CACHE = "1";
      assert.equal(enableCompileCache(root, "program"), "disabled");
      delete process.env.NODE_DISABLE_COMPILE_CACHE;
      process.env.NODE_OPTIONS = "--experimental-policy=policy.json";
      assert.equal(enableCompileCache(root, "program"), "policy");
      process.env.NODE_OPTIONS = "";
      assert.equal(enableCompileCache(scratchDir("ha-no-modules-"), "program"), "no node_modules");
    } finally {
      for (const [key, value] of [["NODE_DISABLE_COMPILE_CACHE", saved.disable], ["NODE_OPTIONS", saved.options]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it("uses Node's own module.enableCompileCache where Node has one (>= 22.1), once per process", function () {
    const dirs: string[] = [];
    // A stand-in for node:module: this process's real loader is left alone.
    assert.equal(enableCompileCache(root, "program", { enableCompileCache: (dir: string) => dirs.push(dir) }), "node");
    assert.deepEqual(dirs, [cacheDirectory(root)]);
    assert.equal(enableCompileCache(root, "program", { enableCompileCache: (dir: string) => dirs.push(dir) }), "already");
    assert.equal(dirs.length, 1);
    assert.match(cacheDirectory(root), new RegExp(`node_modules/\\.cache/ha-topology/compile/${process.versions.v8.replace(/\./g, "\\.")}-${process.arch}$`));
  });
});
