/**
 * The program undoes the source-map-support hook Pulumi's runner installs (it would map
 * every stack trace the SDK takes per promise: components/stackTraceCost.ts), and touches
 * nothing where that hook is not installed.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");

/** Runs the aws example stack under mocks in a fresh node, after `preload`; reports the stack trace hook before and after. */
function hookAround(preload: string[], setup = ""): { before: string; after: string } {
  const script = `
    ${setup}
    const name = () => typeof Error.prepareStackTrace === "function" ? Error.prepareStackTrace.name || "anonymous" : "none";
    const before = name();
    const { runWithMocks } = require("./automation/offline/mocks");
    const { loadStackConfig } = require("./automation/stackFiles");
    runWithMocks(loadStackConfig("aws"), { stack: "traces" }).then((run) => {
      if (run.error) throw run.error;
      process.stdout.write(JSON.stringify({ before, after: name() }));
    });`;
  const result = spawnSync(process.execPath, [...preload, "--import", "tsx", "-e", script], { cwd: root, encoding: "utf8", timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as { before: string; after: string };
}

describe("Stack traces under Pulumi's runner", function () {
  it("drops source-map-support's prepareStackTrace, as the runner installs it (-r source-map-support/register)", function () {
    assert.deepEqual(hookAround(["-r", "source-map-support/register"]), { before: "prepareStackTrace", after: "none" });
  });

  it("leaves any other hook alone (tsx's source maps, a user's own formatter)", function () {
    assert.deepEqual(hookAround([], "Error.prepareStackTrace = function mine(e, frames) { return String(e) + frames.length; };"), { before: "mine", after: "mine" });
  });
});
