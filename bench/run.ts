/**
 * `npm run bench`: program evaluation against two baselines per cloud, scale, embedding,
 * policy throughput per cloud (and how it scales) and the offline plan, each as fresh processes, printed as a markdown
 * table and as JSON (bench/results.json). Never a test: timings depend on the machine.
 *
 * Method: BENCH_REPEAT rounds (default 5); in each round the floor, the baseline and the
 * program run one after the other (paired, interleaved: a machine slowing down during the
 * bench slows all three), and a ratio is the median of the per-round ratios. Figures are
 * medians. Each child prints its own "ms from process start to the last registration";
 * the parent adds the wall time (spawn to exit).
 *
 * Real-run settings: HA_TOPOLOGY_STACK_TRACES=1, so the offline mocks leave the stack trace
 * limit as a real run has it (the SDK's per-promise traces, runtime/debuggable.js: the program
 * skips those nothing reads in a real run too, components/stackTraceCost.ts, and the
 * "on the program's terms" baseline does the same); every timed child first loads what
 * Pulumi's language host loads (bench/runnerPrelude.js: source-map-support/register, which
 * every stack trace then goes through); under tsx Node's source maps are on (tsx turns them
 * on), the js runner leaves them as Node's default (off).
 *
 * Runners of the program: `tsx` (the sources, index.ts, as the old `--import tsx` ran them)
 * and `js` (as shipped: program.js, the freshness check and dist/program.js), each timed
 * by bench/programChild.ts under the mocks (run under tsx, or as its bundle
 * dist/bench-program.js); the other scenarios run bench/child.ts (tsx, or dist/bench.js).
 * The js program runs with its compile cache warm (compileCache.js; one untimed run first),
 * as every run does once the install filled it (automation/offline/fillCompileCache.ts), and
 * once more per round with the cache emptied first: the "compile cache empty" row (an
 * install that could not fill it), which also pays for writing the cache at exit (wall).
 * The js rows are skipped with a reason when the bundles are missing. The program gets the
 * stack's engine configuration as JSON, as a real run gets it from the CLI. BENCH_ONLY=<group>[,<group>] runs
 * only those groups: evaluation, examples, scale, embedding, policy, plan.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");
const repeat = Number(process.env.BENCH_REPEAT ?? 5);
const only = process.env.BENCH_ONLY?.split(",");
const wanted = (group: string) => !only || only.includes(group);
// Real-run settings for every child: the stack trace limit as a real run has it (runWithMocks sets it to 0 otherwise).
const env = { ...process.env, HA_TOPOLOGY_STACK_TRACES: "1", NODE_PATH: path.join(root, "node_modules") };

/**
 * What Pulumi's language host loads before the program (bench/runnerPrelude.js): preloaded
 * into every timed child, the floor, the baseline and the program alike.
 */
const prelude = ["-r", "./bench/runnerPrelude.js"];
// The program's stack trace settings as a bundle of their own, for the baseline on the program's terms (bench/onProgramTerms.js).
(require("../build") as { ensureBuilt(name: string): string }).ensureBuilt("stack-trace-cost");

/**
 * How a runner starts bench/child.ts (`args`) and bench/programChild.ts (`programArgs`),
 * and which entry it runs the program from, or why it cannot.
 */
type Runner = { name: "tsx" | "js"; args: string[]; programArgs: string[]; entry: string; sourceMaps: string } | { name: "js"; skipped: string };
const tsx: Extract<Runner, { args: string[] }> = {
  name: "tsx", args: [...prelude, "--import", "tsx", "bench/child.ts"], programArgs: [...prelude, "--import", "tsx", "bench/programChild.ts"], entry: "index.ts", sourceMaps: "on (tsx)",
};
const jsBuild = ["dist/bench.js", "dist/bench/child.js"].find((f) => fs.existsSync(path.join(root, f)));
const jsProgramBuild = ["dist/bench-program.js", "dist/bench/programChild.js"].find((f) => fs.existsSync(path.join(root, f)));
// As shipped: Pulumi.yaml's main, program.js (the freshness check, then dist/program.js).
const js: Runner = jsBuild && jsProgramBuild
  ? { name: "js", args: [...prelude, jsBuild], programArgs: [...prelude, jsProgramBuild], entry: "program.js", sourceMaps: "off (Node default)" }
  : { name: "js", skipped: "no dist/bench.js and dist/bench-program.js (the precompiled build, or dist/bench/ mirroring the sources) in the repo root" };
const runners = [tsx, js];
/** The compile cache (compileCache.js: our packs on Node 20, Node's own files on 22), emptied before each cold run. */
const compileCacheDir = (require("../compileCache") as { cacheDirectory(root: string): string }).cacheDirectory(root);
if ("skipped" in js) process.stderr.write(`js rows skipped: ${js.skipped}\n`);

interface Sample {
  /** Wall time the parent measured, spawn to exit. */
  wallMs: number;
  /** The child's JSON line (lastRegistrationMs, resources, maxRssMb, ...). */
  figures: Record<string, number>;
}

/** One fresh process. */
function once(args: string[]): Sample {
  const start = process.hrtime.bigint();
  const run = spawnSync(process.execPath, args, { cwd: root, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (run.status !== 0) throw new Error(`${args.join(" ")} failed:\n${run.stderr}`);
  // Scenarios end with one JSON line of figures; other commands (the plan) have none.
  const last = run.stdout.trim().split("\n").pop() ?? "";
  try {
    return { wallMs, figures: JSON.parse(last) as Record<string, number> };
  } catch {
    return { wallMs, figures: {} };
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x: number, digits = 0) => Number(x.toFixed(digits));

/** Median figures of a set of samples. */
function summary(samples: Sample[]) {
  return {
    wallMs: round(median(samples.map((s) => s.wallMs))),
    lastRegistrationMs: round(median(samples.map((s) => s.figures.lastRegistrationMs ?? NaN))),
    maxRssMb: Math.max(...samples.map((s) => s.figures.maxRssMb ?? 0)),
    resources: samples[0]?.figures.resources,
  };
}

/** One printed row. */
interface Row {
  group: string;
  name: string;
  runner: string;
  sourceMaps: string;
  lastRegistrationMs?: number;
  wallMs: number;
  maxRssMb: number;
  resources?: number;
  note: string;
}
const rows: Row[] = [];
function record(row: Row): void {
  rows.push(row);
  process.stderr.write(`  ${row.group} / ${row.name} [${row.runner}]: ${row.lastRegistrationMs ?? "-"} ms to last registration, ${row.wallMs} ms wall ${row.note}\n`);
}

const clouds = ["aws", "gcp", "digitalocean", "kubernetes"];
process.stderr.write(`ha-topology benchmarks, ${repeat} rounds (fresh processes, interleaved)\n`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-bench-"));

/** Per cloud: floor, baseline and the program under each runner, interleaved per round. */
interface Evaluation {
  floor: ReturnType<typeof summary>;
  baseline: ReturnType<typeof summary>;
  /** The same baseline with the stack traces as the program takes them (bench/onProgramTerms.js). */
  baselineOnProgramTerms: ReturnType<typeof summary>;
  program: Partial<Record<Runner["name"], ProgramFigures>>;
  /** The js program with its compile cache emptied before each run (an install that could not fill it). */
  programColdCache?: ProgramFigures;
}
/** A program row's medians and its ratios (median of the per-round ratios). */
type ProgramFigures = ReturnType<typeof summary> & { ratioToFloor: number; ratioToBaseline: number; ratioToBaselineOnProgramTerms: number; wallRatioToFloor: number; wallRatioToBaseline: number };
const evaluations: Record<string, Evaluation> = {};

/** `stack` is a cloud, or `<cloud>@<nodes>` for a scale row. */
function evaluate(group: string, stack: string, label: string): void {
  // A recipe's name ends with its cloud (stacks/examples/Pulumi.<system>-<cloud>.yaml).
  const [cloud] = stack.startsWith("example:") ? [stack.split("-").pop() ?? ""] : stack.split("@");
  const baselineFile = path.join(tmp, `${stack.replace(/[@:]/g, "-")}.js`);
  const configFile = path.join(tmp, `${stack.replace(/[@:]/g, "-")}.config.json`);
  const generated = once([...tsx.args, "baseline", stack, baselineFile, configFile]);
  const live = runners.filter((r): r is Extract<Runner, { args: string[] }> => "args" in r);
  const floors: Sample[] = [];
  const baselines: Sample[] = [];
  const termsBaselines: Sample[] = [];
  const programs = new Map<string, Sample[]>(live.map((r) => [r.name, []]));
  // The js program's compile cache (compileCache.js): the timed rounds run it warm, as every
  // run does once the install filled it; the empty-cache row times a run that fills it.
  const jsRunner = live.find((r) => r.name === "js");
  const coldPrograms: Sample[] = [];
  if (jsRunner) once([...jsRunner.programArgs, jsRunner.entry, configFile]);
  for (let i = 0; i < repeat; i++) {
    floors.push(once([...prelude, "bench/floor.js", cloud]));
    baselines.push(once([...prelude, baselineFile]));
    termsBaselines.push(once([...prelude, "-r", "./bench/onProgramTerms.js", baselineFile]));
    for (const r of live) programs.get(r.name)?.push(once([...r.programArgs, r.entry, configFile]));
    if (jsRunner) {
      fs.rmSync(compileCacheDir, { recursive: true, force: true });
      coldPrograms.push(once([...jsRunner.programArgs, jsRunner.entry, configFile]));
    }
  }
  const baseline = summary(baselines);
  if (baseline.resources !== generated.figures.resources) throw new Error(`${stack}: the baseline registered ${baseline.resources} resources, the program ${generated.figures.resources}`);
  const evaluation: Evaluation = { floor: summary(floors), baseline, baselineOnProgramTerms: summary(termsBaselines), program: {} };
  record({ group, name: `${label}: SDK-import floor (plain node)`, runner: "node", sourceMaps: "off", ...evaluation.floor, note: "" });
  record({ group, name: `${label}: hand-written baseline (plain node)`, runner: "node", sourceMaps: "off", ...baseline, note: "literal inputs: a lower bound" });
  record({ group, name: `${label}: hand-written baseline, on the program's terms`, runner: "node", sourceMaps: "off", ...evaluation.baselineOnProgramTerms, note: "stack traces as the program takes them (components/stackTraceCost.ts)" });
  const last = (s: Sample) => s.figures.lastRegistrationMs;
  const wall = (s: Sample) => s.wallMs;
  const figuresOf = (samples: Sample[], what: string) => {
    const perRound = (pick: (s: Sample) => number, against: Sample[]) => round(median(samples.map((s, i) => pick(s) / pick(against[i]))), 2);
    const figures = { ...summary(samples), ratioToFloor: perRound(last, floors), ratioToBaseline: perRound(last, baselines), ratioToBaselineOnProgramTerms: perRound(last, termsBaselines), wallRatioToFloor: perRound(wall, floors), wallRatioToBaseline: perRound(wall, baselines) };
    if (figures.resources !== baseline.resources) throw new Error(`${stack} [${what}]: ${figures.resources} resources, the baseline ${baseline.resources}`);
    const note = `${figures.ratioToFloor}× floor, ${figures.ratioToBaseline}× baseline, ${figures.ratioToBaselineOnProgramTerms}× baseline on its terms (to last registration; wall ${figures.wallRatioToFloor}× / ${figures.wallRatioToBaseline}×)`;
    return { figures, note };
  };
  for (const r of live) {
    const { figures, note } = figuresOf(programs.get(r.name) ?? [], r.name);
    evaluation.program[r.name] = figures;
    record({ group, name: `${label}: program`, runner: r.name, sourceMaps: r.sourceMaps, ...figures, note: r === jsRunner ? `${note}; compile cache warm` : note });
  }
  if (jsRunner) {
    const { figures, note } = figuresOf(coldPrograms, "js, cold");
    evaluation.programColdCache = figures;
    record({ group, name: `${label}: program, compile cache empty`, runner: jsRunner.name, sourceMaps: jsRunner.sourceMaps, ...figures, note: `${note}; as when the install could not fill it (written at exit)` });
  }
  for (const r of runners) if ("skipped" in r) record({ group, name: `${label}: program`, runner: r.name, sourceMaps: "-", wallMs: NaN, maxRssMb: 0, note: `skipped: ${r.skipped}` });
  evaluations[stack] = evaluation;
}

/** A scenario with no baseline, under each runner, rounds interleaved across runners; its samples per runner. */
function scenario(group: string, name: string, args: string[], note: (s: Sample[]) => string): Map<string, Sample[]> {
  const live = runners.filter((r): r is Extract<Runner, { args: string[] }> => "args" in r);
  const samples = new Map<string, Sample[]>(live.map((r) => [r.name, []]));
  for (let i = 0; i < repeat; i++) for (const r of live) samples.get(r.name)?.push(once([...r.args, ...args]));
  for (const r of live) {
    const s = samples.get(r.name) ?? [];
    record({ group, name, runner: r.name, sourceMaps: r.sourceMaps, ...summary(s), note: note(s) });
  }
  for (const r of runners) if ("skipped" in r) record({ group, name, runner: r.name, sourceMaps: "-", wallMs: NaN, maxRssMb: 0, note: `skipped: ${r.skipped}` });
  return samples;
}

if (wanted("evaluation")) for (const cloud of clouds) evaluate("program evaluation", cloud, cloud);
// The multi-workload recipes (README, Recipes): Maestro (services, workers, MongoDB, a broker) and Alerta (API, UI site, jobs).
if (wanted("examples")) {
  for (const system of ["maestro", "alerta"]) for (const cloud of clouds) evaluate("program evaluation (recipes)", `example:${system}-${cloud}`, `${system}-${cloud}`);
}

// Scale: nodes per stack (1000 droplets; on Kubernetes 1000 nodes are 1000 pods of one Deployment's replicas).
if (wanted("scale")) {
  for (const cloud of ["digitalocean", "kubernetes"]) {
    // Kubernetes' nodes are one Deployment's replicas: 1000 nodes are 1000 pods, registered as the same resources as 2.
    for (const count of [2, 10, 100, 1000]) evaluate(`scale (${cloud})`, `${cloud}@${count}`, cloud === "kubernetes" ? `${count} nodes (pods)` : `${count} nodes (droplets)`);
  }
}

if (wanted("embedding")) {
  scenario("scale (embedding)", "10 aws stacks in one process", ["multi", "aws", "10"], (s) =>
    `median first ${round(median(s.map((x) => x.figures.firstMs)))} ms, last ${round(median(s.map((x) => x.figures.lastMs)))} ms`);
}

/**
 * Policy runner: copies of each cloud's example stack (bench/syntheticStack.ts) at two sizes,
 * warm throughput per wall second and per CPU second (the process's, GC threads included:
 * other load on a shared machine moves it far less). Linearity: the per-resource CPU cost at
 * the larger size over the smaller's, median of the per-round ratios (1.0: linear; a scan of
 * every resource per resource makes it about 4).
 */
const policySizes = [10000, 40000];
/** One size's figures (medians). */
interface PolicyFigures {
  resources: number;
  perSecond: number;
  perCpuSecond: number;
  coldMs: number;
}
/** Per cloud and runner: the figures at each size and the per-resource cost ratio (bench/results.json `policy`). */
const policy: Record<string, { sizes: Record<string, PolicyFigures>; perResourceCpuCostRatio: number }> = {};
const policyFigures = (s: Sample[]): PolicyFigures => ({
  resources: s[0]?.figures.resources,
  perSecond: round(median(s.map((x) => x.figures.perSecond))),
  perCpuSecond: round(median(s.map((x) => x.figures.perCpuSecond))),
  coldMs: round(median(s.map((x) => x.figures.coldMs))),
});
if (wanted("policy")) {
  for (const cloud of clouds) {
    const group = `policy runner (${cloud})`;
    const bySize = policySizes.map((size) =>
      scenario(group, `~${size} resources`, ["policy", cloud, String(size)], (s) => {
        const f = policyFigures(s);
        return `${f.resources} resources, median ${f.perSecond} resources/s warm (${f.perCpuSecond} per CPU second; cold ${f.coldMs} ms)`;
      }),
    );
    for (const [runner, small] of bySize[0]) {
      const large = bySize[1].get(runner) ?? [];
      const cost = (s: Sample) => s.figures.warmCpuMs / s.figures.resources;
      const ratio = round(median(small.map((s, i) => cost(large[i]) / cost(s))), 2);
      record({ group, name: `per-resource CPU cost, ~${policySizes[1]} / ~${policySizes[0]}`, runner, sourceMaps: "-", wallMs: NaN, maxRssMb: 0, note: `${ratio}× (1.0: linear)` });
      policy[`${cloud}/${runner}`] = {
        sizes: Object.fromEntries(bySize.map((samples, i) => [String(policySizes[i]), policyFigures(samples.get(runner) ?? [])])),
        perResourceCpuCostRatio: ratio,
      };
    }
  }
}

if (wanted("plan")) {
  const samples = Array.from({ length: repeat }, () => once(["bin/ha-topology.js", "plan", "--json"]));
  record({ group: "offline plan", name: "npm run plan (aws, JSON)", runner: "bin", sourceMaps: "as the bin sets", ...summary(samples), note: "" });
}
fs.rmSync(tmp, { recursive: true, force: true });

const machine = `${os.cpus()[0]?.model ?? "cpu"} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
const cell = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? "-" : String(x));
const table = [
  `Machine: ${machine}. ${repeat} rounds, medians; floor, baseline and program interleaved per round, ratios = median of per-round ratios.`,
  "Real-run settings: the stack trace limit as a real run has it (HA_TOPOLOGY_STACK_TRACES=1: the SDK takes its per-promise traces, except where the program skips those nothing reads, as in a real run); source maps as each runner leaves them.",
  "",
  "| Group | Scenario | Runner | Source maps | to last registration ms | wall ms | resources | peak RSS MB | Note |",
  "|---|---|---|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.group} | ${r.name} | ${r.runner} | ${r.sourceMaps} | ${cell(r.lastRegistrationMs)} | ${cell(r.wallMs)} | ${cell(r.resources)} | ${r.maxRssMb || "-"} | ${r.note} |`),
].join("\n");
process.stdout.write(`${table}\n`);
const json = {
  machine, repeat, takenAt: new Date().toISOString(),
  settings: { stackTraces: "on (HA_TOPOLOGY_STACK_TRACES=1)", sourceMaps: Object.fromEntries(runners.map((r) => [r.name, "skipped" in r ? `skipped: ${r.skipped}` : r.sourceMaps])) },
  evaluations, policy, rows,
};
fs.writeFileSync(path.join(root, "bench", "results.json"), `${JSON.stringify(json, null, 2)}\n`);
