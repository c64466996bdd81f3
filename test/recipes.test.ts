/**
 * The recipes (issue 20, README: Recipes): each system's write-up as a stack file under
 * stacks/examples/. Every one plans with no mandatory ha-guard violation, and the sentences
 * the README maps onto config keys are checked on what the program registers: the
 * load balancer redirects HTTP to HTTPS, an AWS rollout of two nodes replaces one at a
 * time without going below two, the logs go to CloudWatch, the sessions to a replicated
 * Redis with automatic failover, and the worker processes' variable reaches the node.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { runPolicies } from "../policies/runner";
import { runWithMocks, type RegisteredResource } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { loadStackConfig } from "../automation/stackFiles";
import { refreshCheckpointPercentages } from "../components/platforms/aws/nodeGroup";
import { bootstrapPaths } from "../components/bootstrap";
import { parse } from "yaml";

const examples = path.join(__dirname, "..", "stacks", "examples");
const recipeFiles = fs.readdirSync(examples).filter((f) => /^Pulumi\.(imaginator|markable|part7)-[a-z]+\.yaml$/.test(f));

/** The resources a recipe registers under mocks (its stack name from its file name, as the plan reads it). */
async function recipe(stack: string): Promise<RegisteredResource[]> {
  const run = await runWithMocks(loadStackConfig(path.join(examples, `Pulumi.${stack}.yaml`)), { stack });
  if (run.error) throw run.error;
  return run.resources;
}

/** The one resource of `type`, by the end of its name. */
function one(resources: RegisteredResource[], type: string, nameSuffix = ""): RegisteredResource {
  const matches = resources.filter((r) => r.type === type && r.name.endsWith(nameSuffix));
  assert.equal(matches.length, 1, `expected one ${type} named *${nameSuffix}, found ${matches.map((r) => r.name).join(", ") || "none"}`);
  return matches[0];
}

/** A node's cloud-init user data (AWS sends it base64), parsed: its files decoded, its boot commands. */
function cloudConfig(userData: unknown): { files: Map<string, string>; runcmd: Array<string | string[]> } {
  const text = String(userData).startsWith("#cloud-config") ? String(userData) : Buffer.from(String(userData), "base64").toString("utf8");
  const doc = parse(text) as { write_files: Array<{ path: string; content: string; encoding?: string }>; runcmd: Array<string | string[]> };
  const files = new Map(doc.write_files.map((f) => [f.path, f.encoding === "b64" ? Buffer.from(f.content, "base64").toString("utf8") : f.content]));
  return { files, runcmd: doc.runcmd };
}

describe("recipes: the systems' write-ups as stack files", function () {
  it("has the three systems' recipes, Imaginator and Part 7 on every cloud, Markable where the cloud keeps central logs", () => {
    assert.deepEqual(recipeFiles.sort(), [
      ...["aws", "digitalocean", "gcp", "kubernetes"].map((c) => `Pulumi.imaginator-${c}.yaml`),
      ...["aws", "gcp", "kubernetes"].map((c) => `Pulumi.markable-${c}.yaml`),
      ...["aws", "digitalocean", "gcp", "kubernetes"].map((c) => `Pulumi.part7-${c}.yaml`),
    ]);
  });

  for (const file of recipeFiles) {
    it(`stacks/examples/${file} has no mandatory ha-guard violation, and min-nodes and lb-https-only judged it`, async () => {
      const stack = file.replace(/^Pulumi\.|\.yaml$/g, "");
      const run = await runWithMocks(loadStackConfig(path.join(examples, file)), { stack });
      if (run.error) throw run.error;
      const report = await runPolicies(stackResources(run));
      assert.deepEqual(report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy} @ ${v.resourceName}: ${v.message}`), []);
      const judged = ["min-nodes", "lb-https-only"].filter((p) => report.notApplicable.some((n) => n.policy === p));
      assert.deepEqual(judged, [], "these rules found nothing to judge");
    });
  }

  it("Imaginator on DigitalOcean: two droplets behind a load balancer that serves HTTPS and redirects HTTP, systemd restarting the app", async () => {
    const resources = await recipe("imaginator-digitalocean");
    assert.equal(resources.filter((r) => r.type === "digitalocean:index/droplet:Droplet").length, 2);
    const lb = one(resources, "digitalocean:index/loadBalancer:LoadBalancer");
    assert.equal(lb.inputs.redirectHttpToHttps, true);
    assert.ok(lb.inputs.forwardingRules.some((r: { entryProtocol: string; entryPort: number }) => r.entryProtocol === "https" && r.entryPort === 443));
    assert.equal(lb.inputs.healthcheck.path, "/health");
    // Restarted on crash and on reboot: the unit restarts always and is enabled at boot.
    const node = cloudConfig(resources.find((r) => r.type === "digitalocean:index/droplet:Droplet")?.inputs.userData);
    const unit = node.files.get(bootstrapPaths.unitFile);
    assert.ok(unit, "the app's systemd unit is in the user data");
    assert.match(unit, /^Restart=always$/m);
    assert.match(unit, /^WantedBy=multi-user\.target$/m);
    assert.ok(node.runcmd.some((c) => (Array.isArray(c) ? c.join(" ") : c) === `systemctl enable --now ${bootstrapPaths.serviceName}`), "the unit is enabled at boot");
  });

  it("Markable on AWS: a group of 2 to 4, an instance refresh that keeps 100 % healthy and replaces one node per checkpoint, CloudWatch logs, WEB_CONCURRENCY on the node", async () => {
    const resources = await recipe("markable-aws");
    const group = one(resources, "aws:autoscaling/group:Group", "-features-api-nodes");
    assert.equal(group.inputs.minSize, 2);
    assert.equal(group.inputs.maxSize, 4);
    const preferences = group.inputs.instanceRefresh.preferences;
    assert.equal(preferences.minHealthyPercentage, 100);
    assert.equal(preferences.maxHealthyPercentage, 200);
    assert.deepEqual(preferences.checkpointPercentages, refreshCheckpointPercentages);
    // With two nodes each checkpoint is one node: one new node joins, then one old one leaves.
    assert.deepEqual(refreshCheckpointPercentages.map((p) => Math.ceil((p / 100) * 2)), [1, 2]);
    assert.equal(one(resources, "aws:cloudwatch/logGroup:LogGroup", "-features-api-logs").inputs.retentionInDays, 30);
    const node = cloudConfig(one(resources, "aws:ec2/launchTemplate:LaunchTemplate", "-features-api-node").inputs.userData);
    assert.match(node.files.get(bootstrapPaths.appEnv) ?? "", /^WEB_CONCURRENCY=4$/m);
  });

  it("Part 7 on AWS: sessions in a Redis replication group with a replica and automatic failover, used by the app only", async () => {
    const resources = await recipe("part7-aws");
    const store = one(resources, "aws:elasticache/replicationGroup:ReplicationGroup", "-sessions");
    assert.equal(store.inputs.engine, "redis");
    assert.equal(store.inputs.automaticFailoverEnabled, true);
    assert.ok(store.inputs.numCacheClusters >= 2 || store.inputs.replicasPerNodeGroup >= 1, "a replica");
    assert.equal(one(resources, "aws:autoscaling/group:Group", "-app-nodes").inputs.minSize, 2);
  });
});
