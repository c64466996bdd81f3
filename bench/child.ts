/**
 * One benchmark scenario, run in a fresh process by bench/run.ts. Prints one JSON line
 * on stdout at the end: the scenario's own figures plus peak memory (max RSS).
 * Runs under tsx (the sources) or as the precompiled bundle (dist/), see bench/run.ts.
 * The program's evaluation is timed by bench/programChild.ts; the "baseline" scenario
 * writes what it and the hand-written baseline run.
 */
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";
import type { StackConfig } from "../automation/stackFiles";
import { report } from "./childReport";
import type { SyntheticCloud } from "./syntheticStack";

const [mode, arg1 = "", arg2 = "", arg3 = ""] = process.argv.slice(2);
const sdkOf: Record<string, string> = { aws: "@pulumi/aws", gcp: "@pulumi/gcp", digitalocean: "@pulumi/digitalocean", kubernetes: "@pulumi/kubernetes" };

/** A stack's engine configuration: the cloud's example stack, or it with `count` nodes. */
/** `stack`: a cloud's default stack, or `example:<name>` for stacks/examples/Pulumi.<name>.yaml (the multi-workload recipes). */
async function configOf(stack: string, count?: number): Promise<StackConfig> {
  const { stackConfigWith, loadStackConfig } = await import("../automation/stackFiles");
  const file = stack.startsWith("example:") ? `stacks/examples/Pulumi.${stack.slice("example:".length)}.yaml` : stack;
  return count ? stackConfigWith(file, { "ha-topology:nodes": { count, maxCount: count } }) : loadStackConfig(file);
}

async function run(cloud: string, count?: number) {
  const { runWithMocks } = await import("../automation/offline/mocks");
  const config = await configOf(cloud, count);
  const result = await runWithMocks(config, { stack: `bench-${cloud}` });
  if (result.error) throw result.error;
  return result.resources;
}

async function evaluate(cloud: string, count?: number): Promise<number> {
  return (await run(cloud, count)).length;
}

async function main(): Promise<void> {
  switch (mode) {
    case "floor": {
      // What any program on this cloud pays: the SDK core and the provider SDK (bench/run.ts
      // times bench/floor.js, its plain-Node twin; this one measures the runner's own cost).
      require("@pulumi/pulumi");
      require(sdkOf[arg1]);
      return report({ lastRegistrationMs: Math.round(performance.now()) });
    }
    case "baseline": {
      // Writes the hand-written baseline for this stack (arg2: the file) and the stack's
      // engine configuration (arg3: the file) for the program runs; not timed.
      const { baselineSource } = await import("./baselineProgram");
      const [cloud, count] = arg1.split("@");
      const nodes = count ? Number(count) : undefined;
      const resources = await run(cloud, nodes);
      fs.writeFileSync(arg2, baselineSource(resources));
      fs.writeFileSync(arg3, JSON.stringify({ ...(await configOf(cloud, nodes)), stack: `bench-${cloud}` }));
      return report({ resources: resources.length });
    }
    case "multi": {
      // Many stacks in one process, as an embedding platform evaluates tenants.
      const times: number[] = [];
      for (let i = 0; i < Number(arg2); i++) {
        const start = performance.now();
        await evaluate(arg1);
        times.push(performance.now() - start);
      }
      return report({ firstMs: Math.round(times[0]), lastMs: Math.round(times[times.length - 1]), stacks: times.length });
    }
    case "policy": {
      // arg1: the cloud, arg2: about how many resources.
      const { syntheticStack } = await import("./syntheticStack");
      const { runPolicies } = await import("../policies/runner");
      const resources = await syntheticStack(arg1 as SyntheticCloud, Number(arg2));
      // Wall time, and the process's CPU time (all threads, GC included), which other load on a
      // shared machine disturbs far less.
      const timed = async () => {
        const start = performance.now();
        const cpu = process.cpuUsage();
        const result = await runPolicies(resources);
        if (!result.passed) throw new Error("the synthetic stack should pass");
        const used = process.cpuUsage(cpu);
        return { wall: performance.now() - start, cpu: (used.user + used.system) / 1000 };
      };
      // Cold: the first run in a process (schemas compiled, code warmed); warm: the next,
      // as an embedding platform judging stack after stack sees it.
      const cold = await timed();
      const warm = await timed();
      return report({
        resources: resources.length,
        coldMs: Math.round(cold.wall),
        warmMs: Math.round(warm.wall),
        warmCpuMs: Math.round(warm.cpu),
        perSecond: Math.round(resources.length / (warm.wall / 1000)),
        perCpuSecond: Math.round(resources.length / (warm.cpu / 1000)),
      });
    }
    default:
      throw new Error(`unknown scenario ${mode}`);
  }
}


main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
