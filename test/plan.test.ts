/**
 * The offline plan (`npm run plan`, `ha-topology plan`): what it prints, its JSON, the
 * policy gate and its exit codes, and its refusals of bad input.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { main, planTarget, runPlanCommand, type CliOutput } from "../automation/cli";
import { planStack, stackOfFile, type Plan } from "../automation/plan";
import { formatPlan, planJson } from "../automation/planReport";
import { haSummary } from "../automation/haSummary";
import { readStackFile, stackNames } from "../automation/stackFiles";
import { policies } from "../policies/policies";
import { runPolicies, type PolicyConfigFile, type PolicyReport, type StackResource } from "../policies/runner";
import { decodedUserData } from "./userDataView";

const root = path.resolve(__dirname, "..");

/** Captures what a command writes. */
function capture(): CliOutput & { out: string; err: string } {
  const sink = { out: "", err: "", stdout: (t: string) => void (sink.out += t), stderr: (t: string) => void (sink.err += t) };
  return sink;
}

/** A temporary directory, removed after the test. */
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-plan-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a copy of the AWS stack file with `patch` applied to its config. */
function stackFileWith(dir: string, patch: Record<string, unknown>): string {
  const file = path.join(dir, "Pulumi.variant.yaml");
  fs.writeFileSync(file, stringify({ config: { ...readStackFile("aws"), ...patch } }));
  return file;
}


/**
 * What each rule says about the default AWS stack: it passes every rule, except the ElastiCache
 * rules (no session store: not applicable) and the rules about what it does not have (droplets,
 * scheduled jobs, document databases and message brokers).
 */
function defaultStackStatus(rule: string): "PASS" | "N/A " | "FAIL" {
  if (["cache-replicated", "cache-backups", "nodes-autoheal-digitalocean", "jobs-single-flight"].includes(rule)) return "N/A ";
  if (rule.startsWith("document-") || rule.startsWith("queue-")) return "N/A ";
  return "PASS";
}

describe("offline plan: the default stack", () => {
  let plan: Plan;
  before(async () => {
    plan = await planStack("aws");
  });

  it("groups every registered cloud resource under the component tree", () => {
    assert.equal(plan.offline, true);
    assert.equal(plan.components.length, 1);
    const root = plan.components[0];
    assert.equal(root.type, "ha-topology:index:HaService");
    const children = root.children.map((c) => c.type);
    for (const t of ["ha-topology:aws:Network", "ha-topology:aws:LoadBalancer", "ha-topology:aws:NodeGroup", "ha-topology:aws:Database", "ha-topology:aws:Bucket"]) {
      assert.ok(children.includes(t), `${t} missing from ${children.join(", ")}`);
    }
    const count = (c: Plan["components"][number]): number => Object.values(c.resources).reduce((a, b) => a + b, 0) + c.children.reduce((a, x) => a + count(x), 0);
    assert.equal(count(root), plan.resourceCount);
    const network = root.children.find((c) => c.type === "ha-topology:aws:Network")!;
    assert.equal(network.resources["aws:ec2/subnet:Subnet"], 4);
  });

  it("summarises the HA promises from the topology, each checked by its rules", () => {
    const topics = plan.summary.map((s) => s.topic);
    assert.deepEqual(topics, ["Nodes", "Replacement", "Rollouts", "Load balancer", "Database", "Storage", "Sessions", "Exposure"]);
    const nodes = plan.summary[0];
    assert.match(nodes.text, /^2–6 × t3\.small running traefik\/whoami:v1\.10\.1 on port 80, spread over 2 zones \(us-east-1a, us-east-1b\)$/);
    assert.deepEqual(nodes.rules, ["min-nodes", "nodes-span-zones"]);
    assert.ok(plan.summary.filter((s) => s.topic !== "Sessions").every((s) => s.status === "pass"), JSON.stringify(plan.summary));
    assert.equal(plan.summary.find((s) => s.topic === "Sessions")?.status, "n/a");
    const known = new Set(policies.map((p) => p.name));
    for (const s of plan.summary) for (const r of s.rules) assert.ok(known.has(r), r);
  });

  it("prints a readable plan that says it is offline, with the policy report per rule", () => {
    const text = formatPlan(plan);
    assert.match(text, /^Offline plan of stack "aws" from stacks\/Pulumi\.aws\.yaml \(cloud aws, app\.example\.com\)\n/);
    assert.match(text, /No cloud account, network or Pulumi CLI was used/);
    assert.match(text, /\n {4}ha-topology:aws:Network web \(19\)\n {6}aws:ec2\/defaultSecurityGroup:DefaultSecurityGroup\n/);
    assert.match(text, /aws:ec2\/subnet:Subnet × 4/);
    for (const p of policies) assert.match(text, new RegExp(`\\n  ${defaultStackStatus(p.name)} ${p.name} +${p.enforcementLevel}`));
    assert.match(text, /Notes from the program\n  info: Create this DNS record/);
    assert.match(text, /\n  url: https:\/\/app\.example\.com\n/);
    assert.match(text, /\n  sessionStoreEndpoint: \(none\)\n/);
    assert.match(text, /Result: no mandatory violation\.\n$/);
  });

  it("gives the same content as JSON", () => {
    const json = JSON.parse(JSON.stringify(planJson(plan)));
    assert.equal(json.stack, "aws");
    assert.equal(json.stackFile, "stacks/Pulumi.aws.yaml");
    assert.equal(json.offline, true);
    assert.equal(json.resourceCount, plan.resourceCount);
    assert.equal(json.policy.passed, true);
    assert.deepEqual(json.policy.rules.map((r: { rule: string }) => r.rule), policies.map((p) => p.name));
    const expected = { PASS: "pass", "N/A ": "not applicable", FAIL: "violation" } as const;
    assert.deepEqual(
      json.policy.rules.map((r: { rule: string; status: string }) => [r.rule, r.status]),
      policies.map((p) => [p.name, expected[defaultStackStatus(p.name)]]),
    );
    assert.equal(json.summary.length, 8);
    assert.equal(json.outputs.url, "https://app.example.com");
  });
});

/** Writes a copy of an example stack file as `dir`/Pulumi.`name`.yaml, with `change` applied to its config. */
function copyStack(dir: string, from: string, name: string, change: (config: Record<string, any>) => void = () => undefined): string {
  const config = structuredClone(readStackFile(from)) as Record<string, any>;
  change(config);
  const file = path.join(dir, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, stringify({ config }));
  return file;
}

describe("offline plan: the DigitalOcean summary claims only what the cloud does", () => {
  let plan: Plan;
  before(async () => {
    // As a user writes it: nodes.maxCount left out (its default, 2 × count, is what other clouds scale to).
    const file = copyStack(tempDir(), "digitalocean", "do-default", (c) => delete c["ha-topology:nodes"].maxCount);
    plan = await planStack("do-default", { stackFile: file });
  });
  const topic = (name: string) => plan.summary.find((s) => s.topic === name)!;

  it("runs exactly nodes.count droplets: no autoscaling range", () => {
    const { count, maxCount } = plan.topology.nodes;
    assert.ok(maxCount > count, "the example sets a maxCount DigitalOcean ignores");
    const nodes = topic("Nodes").text;
    assert.match(nodes, new RegExp(`^exactly ${count} × `));
    assert.ok(!nodes.includes(`${count}–${maxCount}`), nodes);
    assert.match(nodes, new RegExp(`no autoscaling .*nodes\\.maxCount ${maxCount} is not used`));
  });

  it("says what heals a failing droplet (the healer: power cycle, then rebuild, in place), judged by nodes-autoheal", () => {
    const replacement = topic("Replacement");
    const hc = plan.topology.healthCheck;
    assert.match(replacement.text, /leaves the load balancer; systemd restarts the app, and the stack's healer \(an App Platform worker\) power cycles a droplet/);
    assert.match(replacement.text, new RegExp(`keeps failing for ${hc.unhealthyThreshold * hc.intervalSeconds + 300} s, then, if it still fails, rebuilds it from its image \\(the same droplet and address on a fresh disk`));
    assert.match(replacement.text, /one droplet at a time, never during a rollout, and when most droplets fail at once it alerts in its log instead of acting$/);
    assert.doesNotMatch(replacement.text, /nothing replaces/);
    assert.deepEqual(replacement.rules, ["nodes-autoheal", "lb-http-health-check"], "nodes-autoheal judges the droplets behind the load balancer (the healer covers them)");
    assert.equal(replacement.status, "pass");
  });

  it("does not show the health-gated rollouts as checked by ha-guard, nor as not applicable", () => {
    const rollouts = topic("Rollouts");
    assert.equal(rollouts.status, "unchecked");
    assert.match(rollouts.text, /not checked by ha-guard/);
  });
});

describe("offline plan: the session store line names the rules that judge it", () => {
  /** An example stack with the session store on, planned. */
  async function withSessions(cloud: string): Promise<Plan> {
    const file = copyStack(tempDir(), cloud, `${cloud}-sessions`, (c) => (c["ha-topology:sessions"] = { ...c["ha-topology:sessions"], enabled: true }));
    return planStack(`${cloud}-sessions`, { stackFile: file });
  }
  /** The summary again, after `change` broke the plan's registered resources. */
  async function summaryAfter(plan: Plan, change: (resources: StackResource[]) => void, config?: PolicyConfigFile) {
    const resources = structuredClone(plan.resources);
    change(resources);
    const report = await runPolicies(resources, { config });
    const line = (topic: string) => haSummary(plan.topology, resources, report).find((s) => s.topic === topic)?.status;
    return { report, line };
  }
  const storeOf = (resources: StackResource[], type: string) => {
    const found = resources.filter((r) => r.type === type && /:SessionStore::[^:]*$/.test(r.parent ?? ""));
    assert.equal(found.length, 1, `one ${type} in the session store`);
    return found[0];
  };
  const set = (r: StackResource, key: string, value: unknown) => {
    r.inputs[key] = value;
    if (r.outputs) r.outputs[key] = value;
  };

  it("aws: cache-replicated judges the ElastiCache replication group, and its faults fail the Sessions line only", async () => {
    const plan = await withSessions("aws");
    const sessions = plan.summary.find((s) => s.topic === "Sessions")!;
    assert.deepEqual(sessions.rules, ["cache-replicated"]);
    assert.equal(sessions.status, "pass");
    for (const [key, value] of [["numCacheClusters", 1], ["automaticFailoverEnabled", false], ["multiAzEnabled", false]] as const) {
      const broken = await summaryAfter(plan, (resources) => set(storeOf(resources, "aws:elasticache/replicationGroup:ReplicationGroup"), key, value));
      assert.deepEqual(
        broken.report.violations.filter((v) => v.level === "mandatory").map((v) => [v.policy, v.resourceName]),
        [["cache-replicated", "web-sessions"]],
        `${key}: ${value}`,
      );
      assert.deepEqual([broken.line("Sessions"), broken.line("Database")], ["fail", "pass"]);
    }
  });

  it("digitalocean: the database rules judge the Valkey cluster, and its faults fail the Sessions line only", async () => {
    const plan = await withSessions("digitalocean");
    const sessions = plan.summary.find((s) => s.topic === "Sessions")!;
    assert.deepEqual(sessions.rules, ["database-replicated", "database-private", "database-backups", "database-deletion-protection"]);
    assert.equal(sessions.status, "pass");
    assert.match(formatPlan(plan), /\n {2}ok {3}Sessions +valkey .*\[database-replicated, database-private, database-backups, database-deletion-protection\]\n/);
    // Each listed rule really reports on the store: a single node, no firewall, no protect...
    const broken = await summaryAfter(plan, (resources) => {
      const cluster = storeOf(resources, "digitalocean:index/databaseCluster:DatabaseCluster");
      set(cluster, "nodeCount", 1);
      cluster.protect = false;
      resources.splice(resources.indexOf(storeOf(resources, "digitalocean:index/databaseFirewall:DatabaseFirewall")), 1);
    });
    const onStore = (report: PolicyReport) => [...new Set(report.violations.filter((v) => v.resourceName?.endsWith("-sessions")).map((v) => v.policy))];
    assert.deepEqual(onStore(broken.report), ["database-replicated", "database-private", "database-deletion-protection"]);
    // ...and these faults are the store's: the Sessions line fails, the Database line does not.
    assert.deepEqual([broken.line("Sessions"), broken.line("Database")], ["fail", "pass"]);
    // ...and more backup days than DigitalOcean keeps fails database-backups on the store too.
    const backups = await summaryAfter(plan, () => undefined, { "database-backups": { minRetentionDays: 14 } });
    assert.deepEqual(onStore(backups.report), ["database-backups"]);
    assert.deepEqual([backups.line("Sessions"), backups.line("Database")], ["fail", "fail"]);
  });

  for (const [cloud, type, breaks, kind] of [
    ["gcp", "gcp:redis/instance:Instance", { tier: "BASIC", replicaCount: 0, transitEncryptionMode: "DISABLED" }, "Memorystore"],
    ["kubernetes", "kubernetes:apps/v1:StatefulSet", { spec: { replicas: 1 } }, "the Valkey StatefulSet"],
  ] as const) {
    it(`${cloud}: says plainly that no ha-guard rule checks the session store (and none does)`, async () => {
      const plan = await withSessions(cloud);
      const sessions = plan.summary.find((s) => s.topic === "Sessions")!;
      assert.equal(sessions.status, "unchecked");
      assert.deepEqual(sessions.rules, []);
      assert.match(sessions.text, new RegExp(`with a replica and automatic failover; not checked by ha-guard \\(no rule judges ${kind}`));
      assert.match(formatPlan(plan), /\n {2}\?\? {3}Sessions +.*not checked by ha-guard/);
      // Not checked indeed: a single-node store without failover passes every rule.
      const { report } = await summaryAfter(plan, (resources) => {
        const store = storeOf(resources, type);
        for (const [key, value] of Object.entries(breaks)) set(store, key, typeof value === "object" ? { ...(store.inputs[key] as object), ...value } : value);
      });
      assert.deepEqual(report.violations.filter((v) => v.resourceType === type), []);
    });
  }
});

/** Plans a stack (by name, or a file elsewhere) and checks it passes; its cloud comes from its config. */
async function assertPlans(stack: string, stackFile?: string): Promise<void> {
  const plan = await planStack(stack, { stackFile });
  assert.deepEqual(plan.policy.violations.filter((v) => v.level === "mandatory"), []);
  assert.ok(plan.resourceCount > 10);
  assert.equal(plan.stack, stack);
}

describe("offline plan: every example stack", () => {
  for (const stack of stackNames()) {
    it(`plans stacks/Pulumi.${stack}.yaml with zero mandatory violations`, () => assertPlans(stack));
  }
});

describe("offline plan: copies of the example stacks under other names", () => {
  // What a user makes by following the README; in a directory of their own, never stacks/.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-copies-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [copy, example] of [["prod", "kubernetes"], ["staging", "aws"], ["eu", "gcp"], ["aws", "digitalocean"]]) {
    fs.copyFileSync(path.join(root, "stacks", `Pulumi.${example}.yaml`), path.join(dir, `Pulumi.${copy}.yaml`));
  }
  for (const stack of stackNames(dir)) {
    it(`plans Pulumi.${stack}.yaml (a copy) with zero mandatory violations`, () => assertPlans(stack, path.join(dir, `Pulumi.${stack}.yaml`)));
  }
});

/** A valid stack name with no file in stacks/ (users add their own stacks there). */
function absentStack(): string {
  const known = new Set(stackNames());
  let name = "no-such-stack";
  for (let i = 2; known.has(name); i++) name = `no-such-stack-${i}`;
  return name;
}

describe("ha-topology plan: exit codes and refusals", () => {
  it("exits 0 and writes the plan to stdout, progress to stderr", async () => {
    const io = capture();
    assert.equal(await runPlanCommand({ stack: "aws" }, io), 0);
    assert.match(io.out, /^Offline plan of stack "aws"/);
    assert.match(io.err, /Planning stack "aws" offline/);
  });

  it("prints only JSON with --json", async () => {
    const io = capture();
    assert.equal(await runPlanCommand({ stack: "aws", json: true }, io), 0);
    assert.equal(JSON.parse(io.out).stack, "aws");
    assert.equal(io.err, "");
  });

  it("exits 1 on a mandatory violation, naming the rule and the resource", async () => {
    const dir = tempDir();
    const config = path.join(dir, "strict.json");
    fs.writeFileSync(config, JSON.stringify({ "min-nodes": { minNodes: 3 } }));
    const io = capture();
    assert.equal(await runPlanCommand({ stack: "aws", policyPackConfig: config }, io), 1);
    assert.match(io.out, /\n  FAIL min-nodes +mandatory\n +mandatory: web-nodes: .*at least 3 must serve/);
    assert.match(io.out, /Result: 1 mandatory violation\(s\)/);
  });

  it("exits 2 on an unknown stack, listing the stacks there are", async () => {
    const io = capture();
    const stack = absentStack();
    assert.equal(await runPlanCommand({ stack }, io), 2);
    assert.ok(io.err.endsWith(`\nha-topology plan: no stack file stacks/Pulumi.${stack}.yaml; stacks: ${stackNames().join(", ")}\n`), io.err);
    for (const shipped of ["aws", "digitalocean", "gcp", "kubernetes"]) assert.ok(stackNames().includes(shipped), shipped);
    assert.equal(io.out, "");
  });

  it("exits 2 on a stack name that is a path", async () => {
    const io = capture();
    assert.equal(await runPlanCommand({ stack: "../Pulumi" }, io), 2);
    assert.match(io.err, /"\.\.\/Pulumi" is not a stack name/);
  });

  it("exits 2 on bad config, with the program's message and nothing planned", async () => {
    const dir = tempDir();
    const file = stackFileWith(dir, { "ha-topology:nodes": { count: 1, size: "small", image: "traefik/whoami:v1.10.1", port: 80 } });
    const io = capture();
    assert.equal(await runPlanCommand({ stack: "variant", stackFile: file }, io), 2);
    assert.match(io.err, /Invalid stack configuration; nothing was created:\n  - ha-topology:nodes\.count: received 1; allowed: .*integer from 2 to 1000/);
    assert.equal(io.out, "");
  });

  it("exits 2 on a missing or unparsable stack file", async () => {
    const dir = tempDir();
    const missing = capture();
    assert.equal(await runPlanCommand({ stack: "x", stackFile: path.join(dir, "Pulumi.x.yaml") }, missing), 2);
    assert.match(missing.err, /no stack file .*Pulumi\.x\.yaml\n$/);
    const broken = path.join(dir, "Pulumi.broken.yaml");
    fs.writeFileSync(broken, "config: [unclosed\n");
    const io = capture();
    assert.equal(await runPlanCommand({ stack: "broken", stackFile: broken }, io), 2);
    assert.match(io.err, /cannot read .*Pulumi\.broken\.yaml: /);
  });

  it("exits 2 on a bad policy config file or diagram name, before planning", async () => {
    const dir = tempDir();
    const notJson = path.join(dir, "bad.json");
    fs.writeFileSync(notJson, "{ nope");
    const unknownRule = path.join(dir, "unknown.json");
    fs.writeFileSync(unknownRule, JSON.stringify({ "min-node": "advisory" }));
    for (const [options, message] of [
      [{ policyPackConfig: path.join(dir, "absent.json") }, /cannot read the policy config file .*absent\.json/],
      [{ policyPackConfig: notJson }, /bad\.json is not a JSON object/],
      [{ policyPackConfig: unknownRule }, /min-node: no such rule in the pack/],
      [{ diagram: path.join(dir, "topology.jpg") }, /--diagram .*topology\.jpg: the file name must end in \.svg or \.png/],
    ] as const) {
      const io = capture();
      assert.equal(await runPlanCommand({ stack: "aws", ...options }, io), 2, io.err);
      assert.match(io.err, message);
    }
  });

  it("writes the diagram as SVG or PNG", async () => {
    const dir = tempDir();
    for (const name of ["topology.svg", "topology.PNG"]) {
      const file = path.join(dir, name);
      const io = capture();
      assert.equal(await runPlanCommand({ stack: "aws", diagram: file }, io), 0, io.err);
      const bytes = fs.readFileSync(file);
      if (name.endsWith(".svg")) {
        const svg = bytes.toString("utf8");
        assert.match(svg, /<svg[^>]+viewBox=/);
        for (const label of ["app.example.com", "us-east-1a", "us-east-1b", "PostgreSQL 16", "S3 bucket"]) assert.ok(svg.includes(label), label);
      } else {
        assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      }
      assert.match(io.err, /Diagram written to /);
    }
  });
});

describe("ha-topology plan --stack-file", () => {
  /** Runs the command line as a user would (commander's defaults included); restores the exit code. */
  async function cli(argv: string[]) {
    const io = capture();
    const previous = process.exitCode;
    try {
      return { code: await main(argv, io), ...io };
    } finally {
      process.exitCode = previous;
    }
  }

  it("without --stack, plans the stack the file is named for, and says which file and cloud", async () => {
    const dir = tempDir();
    const file = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(file, stringify({ config: readStackFile("kubernetes") }));
    const text = await cli(["plan", "--stack-file", file]);
    assert.equal(text.code, 0, text.err);
    assert.match(text.err, /^Planning stack "prod" from .*Pulumi\.prod\.yaml offline/);
    assert.ok(text.out.startsWith(`Offline plan of stack "prod" from ${file} (cloud kubernetes, `), text.out.split("\n")[0]);
    const json = await cli(["plan", "--stack-file", file, "--json"]);
    const plan = JSON.parse(json.out);
    assert.deepEqual([plan.stack, plan.stackFile, plan.cloud], ["prod", file, "kubernetes"]);
  });

  it("runs the program under that stack's name (cloud-side names derive from it)", async () => {
    const dir = tempDir();
    const file = path.join(dir, "Pulumi.staging.yaml");
    fs.writeFileSync(file, stringify({ config: readStackFile("digitalocean") }));
    const run = await cli(["plan", "--stack-file", file, "--json"]);
    assert.equal(run.code, 0, run.err);
    assert.equal((JSON.parse(run.out) as { stack: string }).stack, "staging");
    const plan = await planStack(stackOfFile(file), { stackFile: file });
    const tagNames = plan.resources.filter((r) => r.type === "digitalocean:index/tag:Tag").map((r) => String(r.inputs.name));
    assert.ok(tagNames.length > 0 && tagNames.every((n) => n.includes("staging") && !n.includes("aws")), tagNames.join(", "));
  });

  it("--stack still names the plan; a file not named Pulumi.<stack>.yaml needs it", async () => {
    const dir = tempDir();
    const odd = path.join(dir, "prod-config.yaml");
    fs.writeFileSync(odd, stringify({ config: readStackFile("aws") }));
    const refused = await cli(["plan", "--stack-file", odd]);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /--stack-file .*prod-config\.yaml: the stack's name cannot be read from the file name \(Pulumi\.<stack>\.yaml\); give it with --stack <name>\n$/);
    assert.equal(refused.out, "");
    const named = await cli(["plan", "--stack-file", odd, "--stack", "prod", "--json"]);
    assert.equal(named.code, 0, named.err);
    assert.equal(JSON.parse(named.out).stack, "prod");
    assert.equal(stackOfFile("stacks/Pulumi.eu-prod.yml"), "eu-prod");
  });
});

describe("ha-topology plan <stack or stack file>", () => {
  /** Runs the command line as a user would; restores the exit code. */
  async function cli(argv: string[]) {
    const io = capture();
    const previous = process.exitCode;
    try {
      return { code: await main(argv, io), ...io };
    } finally {
      process.exitCode = previous;
    }
  }

  it("takes a stack name or a stack file's path as its argument", async () => {
    const dir = tempDir();
    const file = path.join(dir, "Pulumi.prod.yaml");
    fs.writeFileSync(file, stringify({ config: readStackFile("kubernetes") }));
    const byFile = await cli(["plan", file, "--json"]);
    assert.equal(byFile.code, 0, byFile.err);
    assert.deepEqual(((p) => [p.stack, p.stackFile, p.cloud])(JSON.parse(byFile.out)), ["prod", file, "kubernetes"]);
    const byName = await cli(["plan", "gcp", "--json"]);
    assert.equal(byName.code, 0, byName.err);
    assert.deepEqual(((p) => [p.stack, p.stackFile])(JSON.parse(byName.out)), ["gcp", "stacks/Pulumi.gcp.yaml"]);
  });

  it("refuses the stack given twice, or two stacks", async () => {
    for (const [argv, message] of [
      [["plan", "gcp", "--stack", "aws"], /gcp and --stack aws: give the stack once/],
      [["plan", "stacks/Pulumi.gcp.yaml", "--stack-file", "stacks/Pulumi.aws.yaml"], /stacks\/Pulumi\.gcp\.yaml and --stack-file stacks\/Pulumi\.aws\.yaml: give the stack once/],
      [["plan", "stacks/Pulumi.gcp.yaml", "--diagram", "stacks/Pulumi.aws.yaml"], /one stack at a time: received stacks\/Pulumi\.gcp\.yaml and stacks\/Pulumi\.aws\.yaml/],
    ] as const) {
      const run = await cli([...argv]);
      assert.equal(run.code, 2, run.err);
      assert.match(run.err, message);
      assert.equal(run.out, "");
    }
  });

  it("reads a stack file commander hands to the script's --diagram as the stack (npm run plan -- <file>)", () => {
    assert.deepEqual(planTarget(undefined, ["stacks/examples/Pulumi.aws-services.yaml"]), { target: "stacks/examples/Pulumi.aws-services.yaml", diagram: true });
    assert.deepEqual(planTarget(undefined, [true]), { target: undefined, diagram: true });
    assert.deepEqual(planTarget(undefined, ["Pulumi.x.YML", "out/t.png"]), { target: "Pulumi.x.YML", diagram: "out/t.png" });
    assert.deepEqual(planTarget("gcp", undefined), { target: "gcp", diagram: undefined });
    // A diagram with another extension stays a diagram, and is refused as one later.
    assert.deepEqual(planTarget(undefined, ["out/t.jpg"]), { target: undefined, diagram: "out/t.jpg" });
  });

  it("runs `npm run plan -- <stack file>` as npm does (the script's --diagram, then the file): that stack, default diagram", function () {
    const cwd = tempDir();
    const file = path.join(cwd, "Pulumi.prod.yaml");
    fs.writeFileSync(file, stringify({ config: readStackFile("gcp") }));
    const script = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).scripts.plan as string;
    assert.equal(script, "node bin/ha-topology.js plan --diagram", "the test runs what the script runs");
    const run = spawnSync(process.execPath, [path.join(root, "bin", "ha-topology.js"), "plan", "--diagram", file], { cwd, encoding: "utf8", timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(run.stdout.startsWith(`Offline plan of stack "prod" from ${file} (cloud gcp, `), run.stdout.split("\n")[0]);
    assert.ok(fs.statSync(path.join(cwd, "ha-topology-prod.svg")).size > 1000);
  });
});

describe("ha-topology command line", () => {
  it("maps usage errors to exit code 2 and help to 0", async () => {
    const unknown = capture();
    assert.equal(await main(["deploy-everything"], unknown), 2);
    assert.match(unknown.err, /unknown command 'deploy-everything'/);
    const help = capture();
    assert.equal(await main(["--help"], help), 0);
    assert.match(help.out, /Usage: ha-topology/);
    assert.match(help.out, /plan \[options\]/);
  });

  it("runs as the package's bin (as `npm run plan` does), writing the default diagram", function () {
    const cwd = tempDir();
    const run = spawnSync(process.execPath, [path.join(root, "bin", "ha-topology.js"), "plan", "--diagram", "--stack", "aws"], { cwd, encoding: "utf8", timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Policy report \(ha-guard\): 0 mandatory/);
    assert.ok(fs.statSync(path.join(cwd, "ha-topology-aws.svg")).size > 1000);
    assert.match(run.stderr, /Diagram written to .*ha-topology-aws\.svg/);
    const bad = spawnSync(process.execPath, [path.join(root, "bin", "ha-topology.js"), "plan", "--stack", absentStack()], { cwd, encoding: "utf8", timeout: 60_000 });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /no stack file/);
  });
});

describe("offline plan: placeholders follow the stack's region", () => {
  /** Every string in the planned resources' outputs and the stack outputs. */
  const strings = (plan: Plan): string[] => {
    const out: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === "string") out.push(v);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (typeof v === "object" && v !== null) Object.values(v).forEach(walk);
    };
    walk(plan.resources.map((r) => r.outputs));
    walk(plan.outputs);
    return out;
  };

  it("aws:region eu-west-1: zones, ARNs, endpoints and BUCKET_REGION name eu-west-1, never us-east-1", async () => {
    const dir = tempDir();
    const file = stackFileWith(dir, { "aws:region": "eu-west-1", "ha-topology:sessions": { enabled: true } });
    const plan = await planStack("variant", { stackFile: file });
    assert.match(plan.summary[0].text, /spread over 2 zones \(eu-west-1a, eu-west-1b\)$/);
    const userData = decodedUserData(Buffer.from(String(plan.resources.find((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate")?.inputs.userData), "base64").toString("utf8"));
    assert.match(userData, /BUCKET_REGION=eu-west-1\n/);
    assert.match(userData, /--region eu-west-1 /);
    assert.equal(plan.outputs.loadBalancerAddress, "web-alb-1234567890.eu-west-1.elb.amazonaws.com");
    assert.match(String(plan.outputs.databaseEndpoint), /\.eu-west-1\.rds\.amazonaws\.com:5432$/);
    assert.match(String(plan.outputs.sessionStoreEndpoint), /\.euw1\.cache\.amazonaws\.com/);
    const s3 = plan.resources.find((r) => r.type === "aws:ec2/vpcEndpoint:VpcEndpoint");
    assert.equal(s3?.inputs.serviceName, "com.amazonaws.eu-west-1.s3");
    const all = strings(plan);
    assert.ok(all.some((s) => s.startsWith("arn:aws:acm:eu-west-1:")), "the certificate ARN is in eu-west-1");
    assert.deepEqual(all.filter((s) => /us-east-1|use1/.test(s)), []);
  });

  it("gcp:region us-central1 and gcp:project: zones, self links, connection names", async () => {
    const dir = tempDir();
    const file = path.join(dir, "Pulumi.gcp-us.yaml");
    fs.writeFileSync(file, stringify({ config: { ...readStackFile("gcp"), "gcp:region": "us-central1", "gcp:project": "acme-prod" } }));
    const plan = await planStack("gcp-us", { stackFile: file });
    assert.match(plan.summary[0].text, /spread over 2 zones \(us-central1-a, us-central1-b\)$/);
    const mig = plan.resources.find((r) => r.type === "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager");
    assert.match(String(mig?.outputs?.instanceGroup), /^https:\/\/www\.googleapis\.com\/compute\/v1\/projects\/acme-prod\/regions\/us-central1\/instanceGroups\//);
    const sql = plan.resources.find((r) => r.type === "gcp:sql/databaseInstance:DatabaseInstance");
    assert.match(String(sql?.outputs?.connectionName), /^acme-prod:us-central1:/);
    assert.deepEqual(strings(plan).filter((s) => /europe-west1|my-gcp-project/.test(s)), []);
  });
});
