/**
 * V8's code cache for the modules a run of ours loads: the bundles of dist/ and the npm
 * packages they require (the cloud SDK's modules, zod, yaml), kept per module under
 * `node_modules/.cache/ha-topology/compile/` and reused by the next process.
 *
 * Why: compiling JavaScript is the largest single cost of an evaluation after the SDK's own
 * import. On the aws example stack, 513 modules (4.1 MB of source) are compiled after the
 * program starts; with their code cached, the run to the last registration went from
 * 809 to 713 ms (bench/, 7 paired rounds), at 1.46× the SDK-import floor.
 *
 * How: on Node >= 22.1 this is Node's own `module.enableCompileCache(dir)`. Node 20 has no
 * such API, so `Module.prototype._compile` compiles through `vm.Script` with the cached
 * data, as Node's CommonJS loader would (same wrapper, `this`, `require`, `module`,
 * `__filename`, `__dirname`, dynamic `import()` through the main context's loader, the same
 * line and column numbers in stack traces), and falls back to Node's own `_compile` wherever
 * it cannot be the same: ES modules, syntax errors (Node reports them, or re-reads the file
 * as an ES module), the main module, source maps on (tsx, --enable-source-maps), policy
 * manifests, and files outside the project.
 *
 * Safety: an entry is the SHA-1 of the module's source followed by V8's data, one file per
 * module path (a changed module replaces its entry, the cache does not grow with builds);
 * a source that changed, a V8 that differs, or data that V8 rejects is compiled afresh and
 * written again. Entries are written when the process exits (V8's data then includes the
 * functions the run compiled lazily), each by rename, so a concurrent run reads a whole entry
 * or none. The cache lives inside the project's node_modules, writable only by whoever can
 * already change the code it caches (a shared temporary directory would let another user
 * plant code); `npm ci` starts it afresh. A cache that cannot be read or written only costs
 * the compile. NODE_DISABLE_COMPILE_CACHE=1 (Node's own switch) turns it off.
 */
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");
const vm = require("node:vm");

/** Entries read and written by this process's hook (Node 20), for tests and the bench. */
const counts = { hits: 0, misses: 0, rejected: 0, fallbacks: 0, written: 0 };

/** The cache directory of a project: one per V8 version and architecture (V8 refuses another's data anyway). */
function cacheDirectory(root) {
  return path.join(root, "node_modules", ".cache", "ha-topology", "compile", `${process.versions.v8}-${process.arch}`);
}

const sha1 = (text) => crypto.createHash("sha1").update(text).digest();

/** Writes a file by rename, so a concurrent reader never sees half of it. */
function writeAtomically(file, contents) {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, contents);
  fs.renameSync(temporary, file);
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
function installHook(root, dir) {
  const nodeCompile = Module.prototype._compile;
  const within = root.endsWith(path.sep) ? root : root + path.sep;
  const wrapperColumns = Module.wrapper[0].length;
  /** Scripts compiled without usable data: their entries, written at exit. */
  const pending = [];
  process.once("exit", () => {
    if (pending.length === 0) return;
    try {
      fs.mkdirSync(dir, { recursive: true });
      for (const { file, digest, script } of pending) {
        writeAtomically(file, Buffer.concat([digest, script.createCachedData()]));
        counts.written++;
      }
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
    const file = path.join(dir, `${sha1(filename).toString("hex")}.bin`);
    let cachedData;
    try {
      const entry = fs.readFileSync(file);
      if (entry.subarray(0, digest.length).equals(digest)) cachedData = entry.subarray(digest.length);
    } catch {
      // No entry yet.
    }
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
      pending.push({ file, digest, script });
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
 * Turns the code cache on for modules of the project at `root` compiled from now on; once
 * per process. `nodeModule` is `node:module` (a test passes a stand-in to see Node 22's path).
 * Returns how: "node" (Node's own cache), "hook" (ours), or why not ("disabled", "policy",
 * "no node_modules", "already").
 */
function enableCompileCache(root, nodeModule = Module) {
  if (process.env.NODE_DISABLE_COMPILE_CACHE === "1") return "disabled";
  // Node's experimental policy checks each module's integrity inside its own _compile.
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  if (flags.some((flag) => flag.startsWith("--experimental-policy"))) return "policy";
  if (!fs.existsSync(path.join(root, "node_modules"))) return "no node_modules";
  if (enabled) return "already";
  enabled = true;
  const dir = cacheDirectory(root);
  if (typeof nodeModule.enableCompileCache === "function") {
    nodeModule.enableCompileCache(dir);
    return "node";
  }
  installHook(root, dir);
  return "hook";
}

module.exports = { enableCompileCache, cacheDirectory, counts, mayImportDynamically };
