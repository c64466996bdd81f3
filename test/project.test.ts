/** The project file ships the fast start-up setting (see bench/ and the README's Benchmarks); the declared Node versions are true. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as semver from "semver";
import { parse } from "yaml";

const root = path.resolve(__dirname, "..");

describe("Pulumi.yaml", function () {
  it("runs the precompiled program without ts-node's type check (CI type-checks with tsc)", function () {
    const project = parse(fs.readFileSync(path.resolve(__dirname, "..", "Pulumi.yaml"), "utf8")) as { main?: string; runtime: { name: string; options: Record<string, unknown> } };
    assert.equal(project.runtime.name, "nodejs");
    assert.equal(project.runtime.options.typescript, false);
    assert.equal(project.runtime.options.nodeargs, undefined, "no TypeScript loader: it turns source maps on (see build.js)");
    assert.equal(project.main, "program.js");
    const pack = parse(fs.readFileSync(path.resolve(__dirname, "..", "policies", "PulumiPolicy.yaml"), "utf8")) as { main?: string; runtime: { name: string; options: Record<string, unknown> } };
    assert.equal(pack.runtime.options.typescript, false);
    assert.equal(pack.main, "pack.js");
    const ci = fs.readFileSync(path.resolve(__dirname, "..", ".ci", "run"), "utf8");
    assert.match(ci, /npm run typecheck/);
  });
});

describe("package.json engines", function () {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { engines?: { node?: string } };
  const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
  };
  const declared = pkg.engines?.node ?? "";

  it("declares a valid Node range, the same in the lockfile", function () {
    assert.ok(semver.validRange(declared), `engines.node ${JSON.stringify(declared)} is not a semver range`);
    const lockRoot = lock.packages[""]?.engines;
    assert.equal(Array.isArray(lockRoot) ? undefined : lockRoot?.node, declared, "run npm install --package-lock-only after changing engines");
  });

  it("is accepted by every locked package that declares engines.node (npm ci gives no EBADENGINE warning)", function () {
    // Every Node version the project says it supports must satisfy each package's range,
    // or `npm ci` warns and the package may not work there.
    const refusing = Object.entries(lock.packages).flatMap(([where, entry]) => {
      const engines = entry.engines;
      // Old lockfiles may hold the legacy array form, which npm ignores.
      const range = engines !== undefined && !Array.isArray(engines) ? engines.node : undefined;
      if (where === "" || range === undefined) return [];
      return semver.subset(declared, range) ? [] : [`${where.replace(/^node_modules\//, "")}@${entry.version ?? "?"} needs node ${range}`];
    });
    assert.deepEqual(refusing, [], `package.json says node ${declared}`);
  });

  it("includes the Node version running the tests", function () {
    assert.ok(semver.satisfies(process.version, declared), `node ${process.version} is outside ${declared}`);
  });
});
