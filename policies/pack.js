// The pack as Pulumi runs it (PulumiPolicy.yaml `main`): the precompiled bundle of index.ts
// (the project's build.js says why). In the repository it is rebuilt first when a source
// changed, and its modules' compiled code is cached between runs (../compileCache.js); a
// published pack (`pulumi policy publish` uploads this directory alone, after
// `npm run build`) carries dist/ and loads it as it is.
const path = require("node:path");
const fs = require("node:fs");
const project = path.join(__dirname, "..");
const inRepository = fs.existsSync(path.join(project, "build.js"));
if (inRepository) require(path.join(project, "compileCache.js")).enableCompileCache(project, "policies");
module.exports = require(inRepository ? require(path.join(project, "build.js")).ensureBuilt("policies") : path.join(__dirname, "dist", "policies.js"));
