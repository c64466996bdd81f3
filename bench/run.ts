/**
 * `npm run bench`: start-up, program evaluation, scale and policy throughput, each as
 * fresh processes repeated N times (min / median / max), printed as a table and as JSON
 * (bench/results.json). Never a test: timings depend on the machine.
 *
 * BENCH_REPEAT sets the repetitions (default 3).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "..");
const repeat = Number(process.env.BENCH_REPEAT ?? 3);
const tsx = ["--import", "tsx"];

interface Sample {
  ms: number;
  figures: Record<string, number>;
}

/** Runs a command `repeat` times as fresh processes. */
function measure(args: string[]): Sample[] {
  return Array.from({ length: repeat }, () => {
    const start = process.hrtime.bigint();
    const run = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (run.status !== 0) throw new Error(`${args.join(" ")} failed:\n${run.stderr}`);
    // Scenarios end with one JSON line of figures; other commands (the plan) have none.
    const last = run.stdout.trim().split("\n").pop() ?? "";
    let figures: Record<string, number> = {};
    try {
      figures = JSON.parse(last) as Record<string, number>;
    } catch {
      figures = {};
    }
    return { ms, figures };
  });
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: Math.round(s[0]), median: Math.round(s[Math.floor(s.length / 2)]), max: Math.round(s[s.length - 1]) };
};

interface Row {
  group: string;
  name: string;
  wallMs: { min: number; median: number; max: number };
  maxRssMb: number;
  note: string;
}

const rows: Row[] = [];
function record(group: string, name: string, samples: Sample[], note = ""): Row {
  const row = { group, name, wallMs: stats(samples.map((s) => s.ms)), maxRssMb: Math.max(...samples.map((s) => s.figures.maxRssMb ?? 0)), note };
  rows.push(row);
  process.stderr.write(`  ${group} / ${name}: ${row.wallMs.median} ms median ${note}\n`);
  return row;
}

const clouds = ["aws", "gcp", "digitalocean", "kubernetes"];
process.stderr.write(`ha-topology benchmarks, ${repeat} runs each (fresh processes)\n`);

// 1 and 2: the floor and the program, per cloud.
const ratios: Record<string, number> = {};
for (const cloud of clouds) {
  const floor = record("floor", cloud, measure([...tsx, "bench/child.ts", "floor", cloud]));
  const program = measure([...tsx, "bench/child.ts", "program", cloud]);
  ratios[cloud] = program.length ? stats(program.map((s) => s.ms)).min / floor.wallMs.min : 0;
  record("program evaluation", cloud, program, `${program[0].figures.resources} resources, ${ratios[cloud].toFixed(2)}x the floor (min/min)`);
}

// 3: start-up as Pulumi runs the program: its default (ts-node, type-checked) vs the shipped setting.
const tsNode = record("start-up", "Pulumi default (ts-node, type check)", measure(["bench/startupTsNode.js"]), "compiles and type-checks, as after any edit");
process.env.BENCH_TSNODE_CACHE = "1";
record("start-up", "Pulumi default, ts-node cache warm", measure(["bench/startupTsNode.js"]), "nothing changed since the last run");
delete process.env.BENCH_TSNODE_CACHE;
const shipped = record("start-up", "shipped (typescript: false, --import tsx)", measure([...tsx, "bench/startupShipped.js"]));
const startupSpeedup = tsNode.wallMs.min / shipped.wallMs.min;
shipped.note = `${startupSpeedup.toFixed(1)}x faster than the default`;

// 4: scale.
for (const cloud of ["digitalocean", "kubernetes"]) {
  for (const count of [2, 10, 100, 1000]) {
    const samples = measure([...tsx, "bench/child.ts", "program", cloud, String(count)]);
    record(`scale (${cloud})`, `${count} nodes`, samples, `${samples[0].figures.resources} resources`);
  }
}
const multi = measure([...tsx, "bench/child.ts", "multi", "aws", "10"]);
record("scale (embedding)", "10 aws stacks in one process", multi, `first ${multi[0].figures.firstMs} ms, last ${multi[0].figures.lastMs} ms`);

// 5: policy throughput and the offline plan.
for (const size of [10, 1000, 10000]) {
  const samples = measure([...tsx, "bench/child.ts", "policy", String(size)]);
  const best = Math.max(...samples.map((s) => s.figures.perSecond));
  record("policy runner", `${samples[0].figures.resources} resources`, samples, `${best} resources/s warm (cold ${samples[0].figures.coldMs} ms)`);
}
record("offline plan", "npm run plan (aws, JSON)", measure(["bin/ha-topology.js", "plan", "--json"]));

const machine = `${os.cpus()[0]?.model ?? "cpu"} × ${os.cpus().length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
const table = [
  `Machine: ${machine}; ${repeat} runs per row; wall time from process start to exit.`,
  "",
  "| Group | Scenario | min ms | median ms | max ms | peak RSS MB | Note |",
  "|---|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.group} | ${r.name} | ${r.wallMs.min} | ${r.wallMs.median} | ${r.wallMs.max} | ${r.maxRssMb} | ${r.note} |`),
].join("\n");
process.stdout.write(`${table}\n`);
const json = { machine, repeat, takenAt: new Date().toISOString(), ratios, startupSpeedup, rows };
fs.writeFileSync(path.join(root, "bench", "results.json"), `${JSON.stringify(json, null, 2)}\n`);
process.stdout.write(`\n${JSON.stringify({ ratios, startupSpeedup })}\n`);
