/**
 * The pack on what the program really builds: every example stack passes with no
 * mandatory violation, and the failures the pack exists for (one node, an HTTP-only load
 * balancer, a single-zone database) are caught on the program's own resources.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runPolicies, type PolicyReport, type StackResource } from "../../policies/runner";
import { runWithMocks } from "../../automation/offline/mocks";
import { stackResources } from "../../automation/offline/policyInput";
import { loadStackConfig, stackFilePath, stackNames } from "../../automation/stackFiles";

/** The resources of an example stack, registered under mocks. */
async function programResources(stack: string): Promise<StackResource[]> {
  const run = await runWithMocks(loadStackConfig(stack));
  if (run.error) throw run.error;
  return stackResources(run);
}

/** Changes a property of the one resource of `type`, in inputs and outputs alike. */
function edit(resources: StackResource[], type: string, nameSuffix: string, change: (props: Record<string, unknown>) => void): void {
  const matches = resources.filter((r) => r.type === type && r.name.endsWith(nameSuffix));
  assert.equal(matches.length, 1, `expected one ${type} named *${nameSuffix}`);
  change(matches[0].inputs);
  if (matches[0].outputs) change(matches[0].outputs);
}

function mandatory(report: PolicyReport): string[] {
  return report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy} @ ${v.resourceName ?? "stack"}: ${v.message}`);
}

/**
 * A stack file passes the pack, and not vacuously. The file's cloud comes from its config,
 * never from its name: users copy the examples to stacks/Pulumi.<their-stack>.yaml.
 */
async function assertPasses(file: string): Promise<void> {
  const config = loadStackConfig(file);
  const run = await runWithMocks(config);
  if (run.error) throw run.error;
  const report = await runPolicies(stackResources(run));
  assert.deepEqual(mandatory(report), []);
  // Not vacuous: the HA rules judged the stack rather than declaring themselves not applicable.
  // A Kubernetes stack uses the user's bucket, which is not a resource of the stack. The
  // single service always has a database and a bucket; a stack of workloads alone has what
  // its resources declare (a recipe may have no data at all).
  const cloud = config.values["ha-topology:cloud"];
  const single = config.values["ha-topology:nodes"] !== undefined || config.values["ha-topology:workloads"] === undefined;
  const kinds = Object.values(JSON.parse(String(config.values["ha-topology:resources"] ?? "{}")) as Record<string, { kind?: string }>).map((r) => r.kind);
  const expected = [
    "min-nodes",
    "lb-https-only",
    ...(single || kinds.includes("sql") ? ["database-replicated"] : []),
    ...(cloud !== "kubernetes" && (single || kinds.includes("bucket")) ? ["storage-private"] : []),
  ];
  const judged = expected.filter((p) => report.notApplicable.some((n) => n.policy === p));
  assert.deepEqual(judged, [], "these rules found nothing to judge");
}

describe("ha-guard on the example stacks", () => {
  for (const stack of stackNames()) {
    it(`stacks/Pulumi.${stack}.yaml has no mandatory violation`, () => assertPasses(stackFilePath(stack)));
  }
});

describe("ha-guard on every stack file under stacks/examples/ (the recipes and examples, and any added later)", () => {
  const examples = path.join(path.dirname(stackFilePath("aws")), "examples");
  for (const stack of stackNames(examples)) {
    it(`stacks/examples/Pulumi.${stack}.yaml has no mandatory violation`, () => assertPasses(path.join(examples, `Pulumi.${stack}.yaml`)));
  }
});

describe("ha-guard on copies of the example stacks under other names (as the README says to make them)", () => {
  // Copies in a directory of their own: the tests never write into stacks/.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-stacks-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [copy, example] of [["prod", "kubernetes"], ["staging", "aws"], ["eu", "gcp"], ["kubernetes", "digitalocean"]]) {
    fs.copyFileSync(stackFilePath(example), path.join(dir, `Pulumi.${copy}.yaml`));
  }
  // A recipe copied as the README says (one without any data resource among them).
  fs.copyFileSync("stacks/examples/Pulumi.imaginator-aws.yaml", path.join(dir, "Pulumi.shop.yaml"));
  for (const stack of stackNames(dir)) {
    it(`Pulumi.${stack}.yaml has no mandatory violation`, () => assertPasses(path.join(dir, `Pulumi.${stack}.yaml`)));
  }
});

describe("ha-guard on the AWS program's resources, broken", () => {
  let pristine: StackResource[] | undefined;
  let resources: StackResource[];
  beforeEach(async () => {
    pristine ??= await programResources("aws");
    resources = structuredClone(pristine);
  });

  it("fails a stack with one node on min-nodes", async () => {
    edit(resources, "aws:autoscaling/group:Group", "-nodes", (p) => (p.minSize = 1));
    const report = await runPolicies(resources);
    assert.equal(report.passed, false);
    assert.deepEqual(mandatory(report).map((m) => m.split(" @")[0]), ["min-nodes"]);
  });

  it("fails a stack with an HTTP-only load balancer on lb-https-only", async () => {
    const https = resources.findIndex((r) => r.type === "aws:lb/listener:Listener" && r.name.endsWith("-https"));
    const forward = resources[https].inputs.defaultActions;
    resources.splice(https, 1);
    edit(resources, "aws:lb/listener:Listener", "-http", (p) => (p.defaultActions = forward));
    const report = await runPolicies(resources);
    assert.deepEqual([...new Set(mandatory(report).map((m) => m.split(" @")[0]))], ["lb-https-only"]);
  });

  it("fails a single-zone database on database-replicated", async () => {
    edit(resources, "aws:rds/instance:Instance", "-db", (p) => (p.multiAz = false));
    const report = await runPolicies(resources);
    assert.deepEqual(mandatory(report).map((m) => m.split(" @")[0]), ["database-replicated"]);
  });
});
