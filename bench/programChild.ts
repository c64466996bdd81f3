/**
 * The program's evaluation, timed in a fresh process by bench/run.ts: the program as a
 * runner loads it (`entry`: index.ts under tsx, program.js as shipped: the freshness check,
 * then dist/program.js) under the offline mocks, with the stack's engine configuration
 * read from `configFile` (bench/child.ts "baseline" writes it: a real run gets its
 * configuration from the CLI, it never reads the stack's YAML). Prints the resources and
 * ms from process start to the last registration.
 *
 * Its bundle (dist/bench-program.js) carries only the mocks harness, not a second copy of
 * the program (build.js keeps components/program.ts out of it): a real run has no harness
 * to load, so the one timed here is kept small.
 *
 * Usage: programChild <entry> <configFile>
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { runWithMocks } from "../automation/offline/mocks";
import type { StackConfig } from "../automation/stackFiles";
import { report } from "./childReport";

/**
 * When the last registerResource call of the mock monitor returned, in ms since process
 * start (performance.now() counts from the time origin). Hooked on the prototype, before
 * runWithMocks creates its monitor; the same hook as the generated baseline's.
 */
let lastRegistration = 0;
function hookRegistrations(): void {
  type Register = (this: unknown, request: unknown, callback: (...args: unknown[]) => unknown) => unknown;
  const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks") as { MockMonitor: { prototype: { registerResource: Register } } };
  const register = MockMonitor.prototype.registerResource;
  MockMonitor.prototype.registerResource = function (request, callback) {
    return register.call(this, request, (...args: unknown[]) => {
      lastRegistration = performance.now();
      return callback(...args);
    });
  };
}

async function main(entry: string, configFile: string): Promise<void> {
  hookRegistrations();
  const config = JSON.parse(fs.readFileSync(configFile, "utf8")) as StackConfig & { stack: string };
  const root = path.resolve(__dirname, "..");
  const result = await runWithMocks(config, { stack: config.stack, program: async () => require(path.resolve(root, entry)) as Record<string, unknown> | (() => unknown) });
  if (result.error) throw result.error;
  report({ resources: result.resources.length, lastRegistrationMs: Math.round(lastRegistration) });
}

const [entry = "", configFile = ""] = process.argv.slice(2);
main(entry, configFile).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
