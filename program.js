// The stack program as Pulumi runs it (Pulumi.yaml `main`): the precompiled bundle of
// components/program.ts, rebuilt first when a source changed (build.js says why it is
// precompiled), its modules' compiled code cached between runs (compileCache.js).
require("./compileCache").enableCompileCache(__dirname, "program");
const { runProgram } = require(require("./build").ensureBuilt("program"));

// Exported as a function: Pulumi's runner calls it and takes what it returns as the stack
// outputs, the same as index.ts exports. Called by the runner, not inside this module's
// `require`, each resource is built with 15 fewer frames below it (the module loader's,
// twice), and the SDK formats each resource's whole stack for its source position:
// 3-4 % of a recipe's evaluation, paired runs (README, Benchmarks).
module.exports = () => runProgram();
