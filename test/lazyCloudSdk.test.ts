/**
 * lazyCloudSdk.js: the bundles read @pulumi/aws and @pulumi/gcp through an index that loads
 * each service module on first read. It must give the very members the package's index
 * gives, register the provider type as that index does, load nothing the program does not
 * read, and fall back to the package's own index when it cannot account for every name.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");
interface LazyCloudSdk {
  lazyPackageIndex(pkg: string, indexText?: string): Record<string, unknown>;
  readIndex(text: string): { declared: Set<string>; namespaces: unknown[]; functions: unknown[]; reexported: string[]; provider: string } | undefined;
}
const lazyCloudSdk = require(path.join(root, "lazyCloudSdk.js")) as LazyCloudSdk;
const indexText = (pkg: string) => fs.readFileSync(path.join(root, "node_modules", pkg, "index.js"), "utf8");

/** In a fresh node: what `script` prints (JSON), after the SDK's own import. */
function fresh(script: string): Record<string, unknown> {
  const result = spawnSync(process.execPath, ["-e", `require("@pulumi/pulumi"); ${script}`], { cwd: root, encoding: "utf8", timeout: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe("lazyCloudSdk.js: the cloud SDKs' index, each service module loaded on first read", function () {
  for (const pkg of ["@pulumi/aws", "@pulumi/gcp"]) {
    it(`${pkg}: every member of the package's index, the same objects, and no other`, function () {
      const lazy = lazyCloudSdk.lazyPackageIndex(pkg);
      const real = require(pkg) as Record<string, unknown>;
      assert.notEqual(lazy, real, "the lazy index, not the package's own");
      assert.deepEqual(Object.keys(lazy).sort(), Object.keys(real).sort());
      for (const name of Object.keys(real)) assert.equal(lazy[name], real[name], name);
      assert.equal(lazy.__esModule, true);
      assert.equal(lazyCloudSdk.lazyPackageIndex(pkg), lazy, "one per process");
    });
  }

  it("loads only what is read: one service module, not the package's index nor its other modules", function () {
    const loaded = fresh(`
      const aws = require("./lazyCloudSdk.js").lazyPackageIndex("@pulumi/aws");
      const before = Object.keys(require.cache).filter((f) => f.includes("/@pulumi/aws/")).length;
      const ec2 = aws.ec2;
      const files = Object.keys(require.cache).filter((f) => f.includes("/@pulumi/aws/")).map((f) => f.split("/@pulumi/aws/")[1]);
      process.stdout.write(JSON.stringify({ before, files, instance: typeof ec2.Instance, region: typeof aws.getRegionOutput }));`);
    const files = loaded.files as string[];
    assert.ok(files.includes("ec2/index.js"));
    assert.ok(!files.includes("index.js"), "the package's own index is not loaded");
    assert.ok(!files.includes("lambda/index.js") && !files.includes("s3/index.js"), "nor another service module");
    assert.ok(files.length < 40, `${files.length} files of @pulumi/aws`);
    assert.equal(loaded.instance, "function");
    assert.equal(loaded.region, "function");
  });

  it("registers the package's provider type as the package's index does (a provider reference the engine returns becomes a Provider)", function () {
    const registered = fresh(`
      require("./lazyCloudSdk.js").lazyPackageIndex("@pulumi/gcp");
      const rpc = require("@pulumi/pulumi/runtime/rpc");
      const version = require("@pulumi/gcp/utilities").getVersion();
      const entry = rpc.getResourcePackage("gcp", version);
      let refused = "";
      try { entry.constructProvider("p", "pulumi:providers:aws", "urn"); } catch (e) { refused = e.message; }
      process.stdout.write(JSON.stringify({ version: entry && entry.version, expected: version, refused }));`);
    assert.equal(registered.version, registered.expected);
    assert.match(String(registered.refused), /unknown provider type pulumi:providers:aws/);
  });

  it("falls back to the package's own index when its text is of another shape, or leaves a declared name out", function () {
    const real = require("@pulumi/aws") as Record<string, unknown>;
    const text = indexText("@pulumi/aws");
    assert.ok(lazyCloudSdk.readIndex(text), "the installed index is read");
    assert.equal(lazyCloudSdk.lazyPackageIndex("@pulumi/aws", "module.exports = require('./x');\n"), real);
    // A namespace the index declares but loads some other way.
    const without = text.replace(/^const ec2 = __importStar\(require\("\.\/ec2"\)\);$/m, "const ec2 = loadSomehow();");
    assert.notEqual(without, text);
    assert.equal(lazyCloudSdk.lazyPackageIndex("@pulumi/aws", without), real);
    assert.notEqual(lazyCloudSdk.lazyPackageIndex("@pulumi/aws", text), real, "the unchanged text gives the lazy index");
  });

  it("is what the program's bundles read for aws and gcp (not the policy pack's, which is published alone)", function () {
    const build = require(path.join(root, "build.js")) as { ensureBuilt(name: string): string };
    const program = fs.readFileSync(build.ensureBuilt("program"), "utf8");
    for (const pkg of ["@pulumi/aws", "@pulumi/gcp"]) {
      assert.ok(!program.includes(`require("${pkg}")`), `no require of ${pkg}'s own index`);
      assert.ok(program.includes(`require("../lazyCloudSdk.js").lazyPackageIndex("${pkg}")`));
    }
    assert.ok(!fs.readFileSync(build.ensureBuilt("policies"), "utf8").includes("lazyCloudSdk"));
  });

  it("a run of the aws and gcp example stacks as shipped never loads the package's own index", function () {
    const script = `
      const { runWithMocks } = require("./automation/offline/mocks");
      const { loadStackConfig } = require("./automation/stackFiles");
      (async () => {
        const out = {};
        for (const cloud of ["aws", "gcp"]) {
          const run = await runWithMocks(loadStackConfig(cloud), { stack: "lazy-" + cloud, program: async () => require("./program.js") });
          if (run.error) throw run.error;
          out[cloud] = { resources: run.resources.length, index: Object.keys(require.cache).some((f) => f.endsWith("/@pulumi/" + cloud + "/index.js")) };
        }
        process.stdout.write(JSON.stringify(out));
      })().catch((e) => { process.stderr.write(String(e.stack)); process.exit(1); });`;
    const result = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: root, encoding: "utf8", timeout: 120_000 });
    assert.equal(result.status, 0, result.stderr);
    const runs = JSON.parse(result.stdout) as Record<string, { resources: number; index: boolean }>;
    for (const cloud of ["aws", "gcp"]) {
      assert.ok(runs[cloud].resources > 20, `${cloud}: ${runs[cloud].resources} resources`);
      assert.equal(runs[cloud].index, false, `${cloud}: @pulumi/${cloud}/index.js loaded`);
    }
  });
});
