/**
 * What `pulumi up` runs (Pulumi.yaml `main: program.js`), run by Pulumi's own Node runner
 * (`@pulumi/pulumi/cmd/run`'s `run`, what the language host calls) under the offline mocks,
 * in a fresh process (the runner installs process-wide handlers, and program.js turns the
 * compile cache on). program.js exports the program as a function: the runner calls it and
 * takes what it returns as the stack outputs.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { runWithMocks } from "../automation/offline/mocks";
import { loadStackConfig } from "../automation/stackFiles";

const root = path.resolve(__dirname, "..");

/** One registration as the runner's run made it: what, and the files and lines of its stack trace as the SDK sent it. */
interface RunnerRegistration {
  type: string;
  name: string;
  frames: string[];
}

/** Runs program.js through Pulumi's runner with a stack's configuration; its outputs (settled) and registrations. */
function underPulumiRunner(cloud: string): { outputs: Record<string, unknown>; registrations: RunnerRegistration[] } {
  const script = `
    const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
    const registrations = [];
    const register = MockMonitor.prototype.registerResource;
    MockMonitor.prototype.registerResource = function (request, callback) {
      const frames = (request.getStacktrace()?.getFramesList() ?? []).map((f) => f.getPc()).filter(Boolean).map((pc) => pc.getUri() + ":" + pc.getLine());
      registrations.push({ type: request.getType(), name: request.getName(), frames });
      return register.call(this, request, callback);
    };
    const { runWithMocks } = require("./automation/offline/mocks");
    const { loadStackConfig } = require("./automation/stackFiles");
    // run.js's package entry (cmd/run/index.js) is the language host's command line: at load it
    // parses process.argv, wants an engine's address and runs run() against it. A stand-in
    // with the one export run.js reads, so run() runs here against the mocks.
    const Module = require("node:module");
    const entry = require.resolve("@pulumi/pulumi/cmd/run");
    const standIn = new Module(entry);
    standIn.filename = entry;
    standIn.loaded = true;
    standIn.exports = { nodeJSProcessExitedAfterLoggingUserActionableMessage: 32 };
    require.cache[entry] = standIn;
    const { run } = require("@pulumi/pulumi/cmd/run/run");
    const fail = (e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); };
    runWithMocks(loadStackConfig(${JSON.stringify(cloud)}), { stack: "runner", program: () => run({ _: ["program.js"] }, () => undefined, fail, () => false) }).then((result) => {
      if (result.error) fail(result.error);
      process.stdout.write(JSON.stringify({ outputs: result.outputs, registrations }));
    }, fail);`;
  const result = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: root, encoding: "utf8", timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as { outputs: Record<string, unknown>; registrations: RunnerRegistration[] };
}

/** The lines of program.js whose text matches `pattern`, as `file:///…/program.js:<line>`. */
function programJsLines(pattern: RegExp): string[] {
  const file = path.join(root, "program.js");
  const uri = `file://${file}`;
  return fs.readFileSync(file, "utf8").split("\n").flatMap((text, i) => (pattern.test(text) ? [`${uri}:${i + 1}`] : []));
}

describe("program.js under Pulumi's own runner", function () {
  this.timeout(180_000);
  const cloud = "digitalocean";
  let runner: ReturnType<typeof underPulumiRunner>;
  before(function () {
    runner = underPulumiRunner(cloud);
  });

  it("gives the stack outputs and registers the resources the sources do (index.ts's exports, runProgram)", async function () {
    const sources = await runWithMocks(loadStackConfig(cloud), { stack: "runner" });
    assert.equal(sources.error, undefined);
    // As the child printed them: JSON (an output left undefined, sessionStoreEndpoint here, is absent).
    assert.deepEqual(runner.outputs, JSON.parse(JSON.stringify(sources.outputs)));
    assert.deepEqual(Object.keys(sources.outputs ?? {}).sort(), ["bucketName", "databaseEndpoint", "dnsRecords", "loadBalancerAddress", "nodeGroupId", "resources", "sessionStoreEndpoint", "url", "workloads"]);
    // The runner's own Stack resource, then exactly the sources' resources.
    const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
    assert.deepEqual(runner.registrations.map(key).filter((k) => !k.startsWith("pulumi:pulumi:Stack::")).sort(), sources.resources.map(key).sort());
    assert.equal(runner.registrations.filter((r) => r.type === "pulumi:pulumi:Stack").length, 1);
  });

  it("builds every resource when the runner calls the export, not while it loads program.js (shorter stacks for the SDK to format)", function () {
    const exportCall = programJsLines(/^module\.exports = \(\) => runProgram\(\);$/);
    const loads = programJsLines(/require\(/);
    assert.equal(exportCall.length, 1, "program.js exports () => runProgram()");
    assert.ok(loads.length >= 1);
    const programs = runner.registrations.filter((r) => r.type !== "pulumi:pulumi:Stack");
    assert.ok(programs.length > 30, `${programs.length} registrations`);
    for (const r of programs) {
      assert.ok(r.frames.includes(exportCall[0]), `${r.type} ${r.name}: built inside the export's call (${r.frames.join(" < ")})`);
      assert.deepEqual(r.frames.filter((f) => loads.includes(f)), [], `${r.type} ${r.name}: not inside program.js's module load`);
    }
  });
});
