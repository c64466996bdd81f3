// Preloaded after bench/runnerPrelude.js into a second run of the hand-written baseline: the
// stack traces as the program takes them when it starts (components/stackTraceCost.ts, its
// own code, bundled alone as dist/stack-trace-cost.js: bench/run.ts builds it first), so the
// baseline is also measured on the program's terms: source-map-support's
// Error.prepareStackTrace removed, and the SDK's per-promise traces not taken unless
// PULUMI_DEBUG_PROMISE_LEAKS is set (nothing reads them otherwise). A user's own program
// keeps both (the plain baseline row); this row shows what the program's code costs beside
// the SDK's registrations, the stack traces aside. Plain JS: the baseline runs without tsx.
"use strict";
const { dropSourceMappedStackTraces, skipUnreadPromiseStackTraces } = require("../dist/stack-trace-cost.js");
dropSourceMappedStackTraces();
skipUnreadPromiseStackTraces();
