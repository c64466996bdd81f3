// The stack program as Pulumi runs it (Pulumi.yaml `main`): the precompiled bundle of
// index.ts, rebuilt first when a source changed (build.js says why it is precompiled),
// its modules' compiled code cached between runs (compileCache.js).
require("./compileCache").enableCompileCache(__dirname, "program");
module.exports = require(require("./build").ensureBuilt("program"));
