/** The project file ships the fast start-up setting (see bench/ and the README's Benchmarks). */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

describe("Pulumi.yaml", function () {
  it("runs the program through tsx without ts-node's type check (CI type-checks with tsc)", function () {
    const project = parse(fs.readFileSync(path.resolve(__dirname, "..", "Pulumi.yaml"), "utf8")) as { runtime: { name: string; options: Record<string, unknown> } };
    assert.equal(project.runtime.name, "nodejs");
    assert.equal(project.runtime.options.typescript, false);
    assert.match(String(project.runtime.options.nodeargs), /--import tsx/);
    const ci = fs.readFileSync(path.resolve(__dirname, "..", ".ci", "run"), "utf8");
    assert.match(ci, /npm run typecheck/);
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "package.json"), "utf8")) as { dependencies: Record<string, string> };
    assert.ok(pkg.dependencies.tsx, "tsx is a runtime dependency: Pulumi loads the program with it");
  });
});
