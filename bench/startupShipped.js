// Start-up with the runtime setting Pulumi.yaml ships (typescript: false, nodeargs
// "--import tsx"): tsx transpiles without type checking; CI type-checks with tsc.
const path = require("node:path");
const root = path.resolve(__dirname, "..");
require(path.join(root, "components", "program.ts"));
require(path.join(root, "components", "platforms", "aws", "index.ts"));
process.stdout.write(JSON.stringify({ maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }) + "\n");
