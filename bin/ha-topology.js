#!/usr/bin/env node
// The package's command: the precompiled bundle of automation/cli.ts (build.js), rebuilt
// first when a source changed, its modules' compiled code cached between runs
// (compileCache.js); no TypeScript loader at run time.
require("../compileCache").enableCompileCache(require("node:path").join(__dirname, ".."), "cli");
require(require("../build").ensureBuilt("cli"))
  .main()
  .then((code) => (process.exitCode = code));
