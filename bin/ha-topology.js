#!/usr/bin/env node
// The package's command: the TypeScript sources run through tsx's CommonJS hook (no build step).
require("tsx/cjs");
require("../automation/cli.ts")
  .main()
  .then((code) => (process.exitCode = code));
