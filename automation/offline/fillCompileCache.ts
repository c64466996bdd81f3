/**
 * Fills the compile cache (compileCache.js) at install, as pip byte-compiles a package when it
 * installs it, so that the first `pulumi preview` after `npm ci` starts warm: evaluates each
 * cloud's example stack under the offline mocks with no cloud account, loading program.js as
 * Pulumi's runner does (the program's pack then holds its bundle and the modules it loads,
 * the cloud SDKs' among them), then runs the offline plan of the default stack once (the
 * command's pack). `npm ci` runs it after the build (package.json `prepare`).
 *
 * Measured (aws example stack, to the last registration): the first run after an install
 * costs about 1.6x the SDK-import floor with the cache empty, 1.4x with it filled.
 * A failure here never fails the install: the first run then fills the cache itself.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { projectRoot } from "../../components/projectRoot";
import { loadStackConfig } from "../stackFiles";
import { runWithMocks } from "./mocks";

/** The example stacks evaluated: one per cloud (stacks/Pulumi.<cloud>.yaml). */
const clouds = ["aws", "gcp", "digitalocean", "kubernetes"];

/** The offline plan of the default stack in its own process, as `npm run plan` runs it: the command's pack. */
function planOnce(): Promise<void> {
  return new Promise((resolve, reject) => {
    const plan = spawn(process.execPath, [path.join(projectRoot, "bin", "ha-topology.js"), "plan", "--json"], { cwd: projectRoot, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    plan.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    plan.on("error", reject);
    plan.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`the offline plan exited ${code}: ${stderr.trim().split("\n").pop() ?? ""}`))));
  });
}

/** Each cloud's example stack, run by program.js: the program's pack. */
async function evaluateExamples(): Promise<void> {
  const programJs = path.join(projectRoot, "program.js");
  for (const cloud of clouds) {
    const result = await runWithMocks(loadStackConfig(cloud), {
      stack: `compile-cache-${cloud}`,
      // Its export is the program as a function (runWithMocks calls it, as Pulumi's runner does).
      program: async () => require(programJs) as () => unknown,
    });
    if (result.error) throw result.error;
  }
}

/** Both, the plan beside the evaluations (a second core), not after them. */
async function fill(): Promise<void> {
  await Promise.all([evaluateExamples(), planOnce()]);
}

if (process.env.NODE_DISABLE_COMPILE_CACHE !== "1") {
  fill().catch((error: unknown) => {
    const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    process.stderr.write(`ha-topology: the compile cache was not filled at install (the first run fills it): ${reason}\n`);
  });
}
