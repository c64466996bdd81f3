/**
 * V8's code cache for the modules a run of ours loads: the bundles of dist/ and the npm
 * packages they require (the cloud SDK's modules, zod, yaml), kept under
 * `node_modules/.cache/ha-topology/compile/` and reused by the next process.
 *
 * Why: compiling JavaScript is the largest single cost of an evaluation after the SDK's own
 * import. On the aws example stack, 513 modules (4.1 MB of source) are compiled after the
 * program starts; with their code cached, the run to the last registration takes 730 ms
 * instead of 833 (`npm run bench`, 5 rounds: 1.44× the SDK-import floor instead of 1.63×).
 *
 * How: on Node >= 22.1 this is Node's own `module.enableCompileCache(dir)`. Node 20 has no
 * such API, so `Module.prototype._compile` compiles through `vm.Script` with the cached
 * data, as Node's CommonJS loader would (same wrapper, `this`, `require`, `module`,
 * `__filename`, `__dirname`, the same line and column numbers in stack traces), and falls
 * back to Node's own `_compile` wherever it cannot be the same: ES modules, syntax errors
 * (Node reports them, or re-reads the file as an ES module), a source that may call
 * `import()` (see below), the main module, source maps on (tsx, --enable-source-maps),
 * policy manifests, and files outside the project.
 *
 * Safety: a run's entries are one file, its pack (`<name>-<V8 configuration>.pack`: the
 * program's, the command's, the pack's), read once at start: per module path the SHA-1 of its source and
 * V8's data. A source that changed, a V8 that differs, or data that V8 rejects is compiled
 * afresh and its entry replaced (one entry per module path: the cache does not grow with
 * builds). The pack is written when the process exits, if anything was compiled afresh (V8's
 * data then includes the functions the run compiled lazily), by rename, so a concurrent run
 * reads a whole pack or the previous one. It lives inside the project's node_modules,
 * writable only by whoever can already change the code it caches (a shared temporary
 * directory would let another user plant code); `npm ci` starts it afresh.
 * HA_TOPOLOGY_COMPILE_CACHE_DIR puts it elsewhere (the user's choice, and trust). A pack
 * that cannot be read or written only costs the compile. NODE_DISABLE_COMPILE_CACHE=1
 * (Node's own switch) turns it off.
 */
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const vm = require("node:vm");
const { writeAtomically } = require("./build");

/** What this process's hook (Node 20) did with each module, for the tests. */
const counts = { hits: 0, misses: 0, rejected: 0, fallbacks: 0, written: 0 };

/**
 * The cache directory of a project: one per V8 version and architecture (V8 refuses another's
 * data anyway), under HA_TOPOLOGY_COMPILE_CACHE_DIR when set (a directory a CI system keeps
 * between runs, or a writable one beside a read-only node_modules), else in node_modules.
 */
function cacheDirectory(root) {
  const base = process.env.HA_TOPOLOGY_COMPILE_CACHE_DIR ? path.resolve(process.env.HA_TOPOLOGY_COMPILE_CACHE_DIR) : path.join(root, "node_modules", ".cache", "ha-topology", "compile");
  return path.join(base, `${process.versions.v8}-${process.arch}`);
}

const sha1 = (data) => crypto.createHash("sha1").update(data).digest("hex");

/**
 * What V8 checks cached data against besides the source, as a short name: its version and
 * the flags in effect (the head of any cached data: magic, version hash, source hash, flag
 * hash). Runs with other V8 flags (Pulumi.yaml's `nodeargs`, NODE_OPTIONS, e.g.
 * --max-old-space-size) keep packs of their own instead of rejecting and rewriting each
 * other's at every alternation.
 */
let configuration;
function v8Configuration() {
  configuration ??= sha1(new vm.Script("0", { filename: "ha-topology-v8-configuration" }).createCachedData().subarray(0, 16)).slice(0, 8);
  return configuration;
}

/** The pack file of one kind of run (program, cli, policies) of a project, for this process's V8 configuration. */
const packFile = (root, name) => path.join(cacheDirectory(root), `${name}-${v8Configuration()}.pack`);

/**
 * A pack's entries, module path -> { digest: SHA-1 of the source (hex), data: V8's }; empty
 * when the file is missing or not a whole pack. Layout: a 4-byte little-endian length, a
 * JSON index of [path, SHA-1, offset, length] rows, then the data.
 */
function readPack(file) {
  const entries = new Map();
  try {
    const pack = fs.readFileSync(file);
    const indexLength = pack.readUInt32LE(0);
    const start = 4 + indexLength;
    for (const [module, digest, offset, length] of JSON.parse(pack.toString("utf8", 4, start))) {
      if (start + offset + length > pack.length) return new Map();
      entries.set(module, { digest, data: pack.subarray(start + offset, start + offset + length) });
    }
  } catch {
    return new Map();
  }
  return entries;
}

/** Writes a pack of `entries` (as readPack returns them). */
function writePack(file, entries) {
  const index = [];
  let offset = 0;
  for (const [module, { digest, data }] of entries) {
    index.push([module, digest, offset, data.length]);
    offset += data.length;
  }
  const indexText = Buffer.from(JSON.stringify(index));
  const header = Buffer.alloc(4);
  header.writeUInt32LE(indexText.length, 0);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeAtomically(file, Buffer.concat([header, indexText, ...[...entries.values()].map((entry) => entry.data)]));
}

/**
 * Whether a source may call `import()`, in its code or in a string it evaluates: any
 * `import` followed by `(` (comments between allowed). Over-cautious by design: a mention in
 * a comment only costs that module its cache entry.
 */
const mayImportDynamically = (source) => /\bimport\s*(?:(?:\/\*[\s\S]*?\*\/|\/\/[^\n]*\n)\s*)*\(/.test(source);

/**
 * The Node 20 hook: `Module.prototype._compile` with V8's code cache for files under `root`.
 * Mirrors lib/internal/modules/cjs/loader.js (`_compile`, `makeRequireFunction`) of Node 20.
 */
function installHook(root, file) {
  const nodeCompile = Module.prototype._compile;
  const within = root.endsWith(path.sep) ? root : root + path.sep;
  const wrapperColumns = Module.wrapper[0].length;
  const entries = readPack(file);
  /** Scripts compiled without usable data: their entries replace the pack's at exit. */
  const pending = [];
  process.once("exit", () => {
    if (pending.length === 0) return;
    try {
      for (const { filename, digest, script } of pending) entries.set(filename, { digest, data: script.createCachedData() });
      // Entries of files that are gone (a module renamed, a package removed) would stay forever.
      for (const module of entries.keys()) if (!fs.existsSync(module)) entries.delete(module);
      writePack(file, entries);
      counts.written += pending.length;
    } catch {
      // A read-only or full disk: the next run compiles again.
    }
  });

  Module.prototype._compile = function compileWithCodeCache(content, filename, format) {
    if (format === "module" || !filename.startsWith(within) || process.sourceMapsEnabled || process.mainModule === this) {
      counts.fallbacks++;
      return nodeCompile.apply(this, arguments);
    }
    const digest = sha1(content);
    const entry = entries.get(filename);
    const cachedData = entry?.digest === digest ? entry.data : undefined;
    // Node 20's V8 keeps a script's dynamic-import callback in its cached data as a symbol of
    // the process that wrote it, so `import()` (or code that evals one) from a script read
    // back from the cache fails with ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING. Such modules are
    // never cached; an entry exists only for a source that passed this test.
    if (cachedData === undefined && mayImportDynamically(content)) {
      counts.fallbacks++;
      return nodeCompile.apply(this, arguments);
    }
    let script;
    try {
      script = new vm.Script(Module.wrap(content), {
        filename,
        // Node compiles the body alone: without the offset, line 1's columns would count the wrapper.
        columnOffset: -wrapperColumns,
        cachedData,
        importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
      });
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      // Node's own compile reports it with its decoration, or loads the file as an ES module.
      counts.fallbacks++;
      return nodeCompile.apply(this, arguments);
    }
    if (cachedData === undefined || script.cachedDataRejected) {
      counts[cachedData === undefined ? "misses" : "rejected"]++;
      pending.push({ filename, digest, script });
    } else counts.hits++;
    const compiledWrapper = script.runInThisContext({ displayErrors: true });
    const module = this;
    // Node's makeRequireFunction, without a policy's redirects (refused above).
    const moduleRequire = function require(id) {
      return module.require(id);
    };
    moduleRequire.resolve = function resolve(request, options) {
      return Module._resolveFilename(request, module, false, options);
    };
    moduleRequire.resolve.paths = function paths(request) {
      return Module._resolveLookupPaths(request, module);
    };
    moduleRequire.main = process.mainModule;
    moduleRequire.extensions = Module._extensions;
    moduleRequire.cache = Module._cache;
    return Reflect.apply(compiledWrapper, module.exports, [module.exports, moduleRequire, module, filename, path.dirname(filename)]);
  };
}

let enabled = false;

/**
 * Turns the code cache on for modules of the project at `root` compiled from now on, in the
 * pack `name` (one per kind of run: they load different modules); once per process.
 * `nodeModule` is `node:module` (a test passes a stand-in to see Node 22's path, where Node
 * keeps its own files in the same directory). Returns how: "node" (Node's own cache), "hook"
 * (ours), or why not ("disabled", "policy", "no node_modules", "already").
 */
function enableCompileCache(root, name, nodeModule = Module) {
  if (process.env.NODE_DISABLE_COMPILE_CACHE === "1") return "disabled";
  // Node's experimental policy checks each module's integrity inside its own _compile.
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  if (flags.some((flag) => flag.startsWith("--experimental-policy"))) return "policy";
  if (!fs.existsSync(path.join(root, "node_modules"))) return "no node_modules";
  if (enabled) return "already";
  enabled = true;
  if (typeof nodeModule.enableCompileCache === "function") {
    nodeModule.enableCompileCache(cacheDirectory(root));
    return "node";
  }
  installHook(root, packFile(root, name));
  return "hook";
}

module.exports = { enableCompileCache, cacheDirectory, packFile, readPack, writePack, counts, mayImportDynamically };
