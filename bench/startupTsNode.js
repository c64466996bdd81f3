// Start-up as Pulumi runs a TypeScript program by default: its vendored ts-node, type
// checking on (Pulumi's default unless PULUMI_NODEJS_TRANSPILE_ONLY or noCheck), loading
// the program's module graph. ts-node 7 caches compiled files between runs: BENCH_TSNODE_CACHE=1
// measures that warm case (nothing changed since the last run), otherwise each run compiles
// and type-checks as after any edit or on a fresh machine.
const path = require("node:path");
const root = path.resolve(__dirname, "..");
require("@pulumi/pulumi/vendor/ts-node@7.0.1").register({
  compiler: require.resolve("typescript"),
  transpileOnly: false,
  cache: process.env.BENCH_TSNODE_CACHE === "1",
  project: path.join(root, "tsconfig.json"),
  compilerOptions: {},
});
require(path.join(root, "components", "program.ts"));
require(path.join(root, "components", "platforms", "aws", "index.ts"));
process.stdout.write(JSON.stringify({ maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }) + "\n");
