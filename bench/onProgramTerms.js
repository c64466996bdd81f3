// Preloaded after bench/runnerPrelude.js into a second run of the hand-written baseline:
// removes source-map-support's Error.prepareStackTrace as the program does when it starts
// (components/stackTraceCost.ts), so the baseline is also measured on the program's terms.
// A user's own program keeps the hook (the plain baseline row); this row shows what the
// program's code costs beside the SDK's registrations, the hook aside.
"use strict";
Reflect.deleteProperty(Error, "prepareStackTrace");
