// The pack as Pulumi runs it (PulumiPolicy.yaml `main`): the precompiled bundle of index.ts
// (the project's build.js says why). In the repository it is rebuilt first when a source
// changed; a published pack (`pulumi policy publish` uploads this directory alone, after
// `npm run build`) carries dist/ and loads it as it is.
const path = require("node:path");
const fs = require("node:fs");
const build = path.join(__dirname, "..", "build.js");
module.exports = require(fs.existsSync(build) ? require(build).ensureBuilt("policies") : path.join(__dirname, "dist", "policies.js"));
