#!/usr/bin/env node
// The package's command: the precompiled bundle of automation/cli.ts (build.js), rebuilt
// first when a source changed; no TypeScript loader at run time.
require(require("../build").ensureBuilt("cli"))
  .main()
  .then((code) => (process.exitCode = code));
