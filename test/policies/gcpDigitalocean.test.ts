/**
 * GCP and DigitalOcean patterns of stacks nobody here wrote: unmanaged instance groups
 * behind a backend service, firewalls without a source (GCP then admits 0.0.0.0/0), and
 * standalone droplets that nothing replaces. Each starts from the pattern and checks the
 * rule that got it wrong.
 */
import { strict as assert } from "node:assert";
import { runPolicies, type PolicyReport } from "../../policies/runner";
import { build, copy, find, ref, remove, set, type Spec } from "./fixtures/builder";
import { digitaloceanFixture } from "./fixtures/digitalocean";
import { gcpFixture } from "./fixtures/gcp";

function summary(report: PolicyReport): string {
  return report.violations.map((v) => `  [${v.level}] ${v.policy} @ ${v.resourceName ?? "stack"}: ${v.message}`).join("\n") || "  (none)";
}

const on = (report: PolicyReport, rule: string) => report.violations.filter((v) => v.policy === rule);

/**
 * The GCP fixture with the MIG replaced by unmanaged instance groups (one per zone, the
 * pattern of hand-built GCE backends): standalone instances listed in `instances`.
 */
function unmanagedStack(zones: string[] = ["europe-west1-b", "europe-west1-c"]): Spec[] {
  const specs = copy(gcpFixture.passing);
  for (const name of ["mig", "autoscaler", "template"]) remove(specs, name);
  zones.forEach((zone, i) => {
    specs.push({ type: "gcp:compute/instance:Instance", name: `vm-${i}`, props: { zone, machineType: "e2-small", tags: ["web-node"], bootDisk: { initializeParams: { image: "debian-12" } }, networkInterfaces: [{ network: "vpc" }] } });
    specs.push({ type: "gcp:compute/instanceGroup:InstanceGroup", name: `ig-${i}`, props: { zone, instances: [ref(`vm-${i}`, `https://compute/${zone}/vm-${i}`)], namedPorts: [{ name: "http", port: 8080 }] } });
  });
  set(specs, "backend", "backends", zones.map((_, i) => ({ group: ref(`ig-${i}`) })));
  return specs;
}

describe("ha-guard on GCP unmanaged instance groups", () => {
  it("counts the instances of unmanaged groups behind a backend service as the load balancer's nodes (min-nodes)", async () => {
    const report = await runPolicies(build(unmanagedStack()));
    assert.deepEqual(on(report, "min-nodes"), [], summary(report));
    assert.deepEqual(on(report, "nodes-span-zones"), [], summary(report));
    assert.deepEqual(on(report, "rolling-updates-keep-capacity"), [], summary(report));
  });

  it("fails nodes-autoheal: nothing recreates a failed instance of an unmanaged group", async () => {
    const report = await runPolicies(build(unmanagedStack()));
    const heal = on(report, "nodes-autoheal");
    assert.equal(heal.length, 1, summary(report));
    assert.equal(heal[0].resourceName, "backend");
    assert.match(heal[0].message, /unmanaged instance groups .* do not heal.*managed instance group with autoHealingPolicies/);
    assert.deepEqual(report.violations.filter((v) => v.level === "mandatory" && v.policy !== "nodes-autoheal"), [], summary(report));
  });

  it("fails min-nodes when the unmanaged groups hold one instance", async () => {
    const report = await runPolicies(build(unmanagedStack(["europe-west1-b"])));
    const min = on(report, "min-nodes");
    assert.equal(min.length, 1, summary(report));
    assert.match(min[0].message, /can run with 1 node\(s\) \(instances of its unmanaged instance groups\)/);
  });

  it("fails nodes-span-zones when every unmanaged group is in the same zone", async () => {
    const report = await runPolicies(build(unmanagedStack(["europe-west1-b", "europe-west1-b"])));
    const zones = on(report, "nodes-span-zones");
    assert.equal(zones.length, 1, summary(report));
    assert.match(zones[0].message, /in 1 zone\(s\)/);
    assert.deepEqual(on(report, "min-nodes"), [], summary(report));
  });

  it("does not judge the zones of groups whose zone is not known yet (preview)", async () => {
    const resources = build(unmanagedStack(["europe-west1-b", "europe-west1-b"]));
    for (const r of resources.filter((r) => r.type === "gcp:compute/instanceGroup:InstanceGroup")) {
      delete r.inputs.zone;
      if (r.outputs) delete r.outputs.zone;
    }
    const report = await runPolicies(resources);
    assert.deepEqual(on(report, "nodes-span-zones"), [], summary(report));
  });
});

describe("ha-guard on GCP firewalls without a source", () => {
  it("treats an ingress firewall with no sourceRanges, sourceTags or sourceServiceAccounts as open to 0.0.0.0/0 (nodes-not-world-reachable)", async () => {
    const specs = copy(gcpFixture.passing);
    set(specs, "allow-lb", "sourceRanges", undefined);
    const report = await runPolicies(build(specs));
    const open = on(report, "nodes-not-world-reachable");
    assert.equal(open.length, 1, summary(report));
    assert.equal(open[0].resourceName, "allow-lb");
    assert.match(open[0].message, /no source .* GCP admits 0\.0\.0\.0\/0 to the nodes: set sourceRanges/);
    assert.deepEqual(report.violations.filter((v) => v.level === "mandatory" && v.policy !== "nodes-not-world-reachable"), [], summary(report));
  });

  it("reports SSH open to the world through a firewall with no source on other machines", async () => {
    const specs = copy(gcpFixture.passing);
    specs.push({ type: "gcp:compute/firewall:Firewall", name: "ssh", props: { network: "vpc", targetTags: ["bastion"], allows: [{ protocol: "tcp", ports: ["22"] }] } });
    const report = await runPolicies(build(specs));
    assert.deepEqual(on(report, "nodes-not-world-reachable").map((v) => v.resourceName), ["ssh"], summary(report));
  });

  it("accepts a firewall whose only source is a network tag or a service account", async () => {
    for (const source of [{ sourceTags: ["lb-proxy"] }, { sourceServiceAccounts: ["proxy@p.iam.gserviceaccount.com"] }]) {
      const specs = copy(gcpFixture.passing);
      set(specs, "allow-lb", "sourceRanges", undefined);
      Object.assign(find(specs, "allow-lb").props, source);
      const report = await runPolicies(build(specs));
      assert.deepEqual(on(report, "nodes-not-world-reachable"), [], summary(report));
    }
  });

  it("applies to the instances of unmanaged groups through their network tags", async () => {
    const specs = unmanagedStack();
    set(specs, "allow-lb", "sourceRanges", undefined);
    const report = await runPolicies(build(specs));
    assert.match(on(report, "nodes-not-world-reachable")[0]?.message ?? "", /to the nodes/, summary(report));
  });
});

describe("ha-guard on standalone DigitalOcean droplets", () => {
  /** Two tagged droplets behind a load balancer by droplet tag: the common hand-built pattern. */
  const tagged = () => copy(digitaloceanFixture.passing);

  it("accepts ICMP from the internet (pings, an uptime check's): it opens no port", async () => {
    const specs = tagged();
    const fw = find(specs, "nodes-fw");
    fw.props.inboundRules = [...(fw.props.inboundRules as unknown[]), { protocol: "icmp", sourceAddresses: ["0.0.0.0/0", "::/0"] }];
    const report = await runPolicies(build(specs));
    assert.deepEqual(on(report, "nodes-not-world-reachable"), [], summary(report));
  });

  it("reports each droplet at advisory level in nodes-autoheal-digitalocean: nothing replaces a dead droplet", async () => {
    const report = await runPolicies(build(tagged()));
    const gap = on(report, "nodes-autoheal-digitalocean");
    assert.deepEqual(gap.map((v) => v.resourceName), ["node-1", "node-2"], summary(report));
    assert.ok(gap.every((v) => v.level === "advisory"));
    assert.match(gap[0].message, /nothing replaces it.*pulumi up --replace/);
    assert.equal(report.passed, true, "the gap is advisory: no mandatory rule fails it");
  });

  it("keeps nodes-autoheal itself not applicable on DigitalOcean (no autohealing primitive to check)", async () => {
    const report = await runPolicies(build(tagged()));
    assert.ok(report.notApplicable.some((n) => n.policy === "nodes-autoheal"), summary(report));
  });

  it("does not report droplets of an autoscale pool", async () => {
    const specs = tagged();
    remove(specs, "node-1");
    remove(specs, "node-2");
    specs.push({ type: "digitalocean:index/dropletAutoscale:DropletAutoscale", name: "pool", props: { config: { minInstances: 2, maxInstances: 4 }, dropletTemplate: { region: "fra1", size: "s-1vcpu-2gb", image: "ubuntu-24-04-x64", tags: ["web"] } } });
    const report = await runPolicies(build(specs));
    assert.deepEqual(on(report, "nodes-autoheal-digitalocean"), [], summary(report));
  });
});
