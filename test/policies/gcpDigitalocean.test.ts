/**
 * GCP and DigitalOcean patterns of stacks nobody here wrote: unmanaged instance groups
 * behind a backend service, firewalls without a source (GCP then admits 0.0.0.0/0), and
 * standalone droplets that nothing replaces. Each starts from the pattern and checks the
 * rule that got it wrong.
 */
import { strict as assert } from "node:assert";
import { runPolicies, type PolicyReport } from "../../policies/runner";
import { build, copy, find, ref, remove, set, type Spec } from "./fixtures/builder";
import { autoscalePool, digitaloceanFixture, healerApp } from "./fixtures/digitalocean";
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
  /** Two tagged droplets behind a load balancer by droplet tag, and the healer covering the tag. */
  const tagged = () => copy(digitaloceanFixture.passing);

  it("accepts ICMP from the internet (pings, an uptime check's): it opens no port", async () => {
    const specs = tagged();
    const fw = find(specs, "nodes-fw");
    fw.props.inboundRules = [...(fw.props.inboundRules as unknown[]), { protocol: "icmp", sourceAddresses: ["0.0.0.0/0", "::/0"] }];
    const report = await runPolicies(build(specs));
    assert.deepEqual(on(report, "nodes-not-world-reachable"), [], summary(report));
  });

  it("fails nodes-autoheal (mandatory) for droplets behind a load balancer that no healer covers, naming them and the fix", async () => {
    const specs = tagged();
    remove(specs, "healer");
    const report = await runPolicies(build(specs));
    const heal = on(report, "nodes-autoheal");
    assert.deepEqual(heal.map((v) => [v.resourceName, v.level]), [["node-1", "mandatory"], ["node-2", "mandatory"]], summary(report));
    assert.match(heal[0].message, /^node-1 \(digitalocean:index\/droplet:Droplet\) serves behind lb .* and nothing heals it/);
    assert.match(heal[0].message, /HA_TOPOLOGY_HEALER variable lists the load balancer's droplet tag/);
    assert.match(heal[0].message, /pulumi up --replace urn:pulumi:.*::node-1/);
  });

  it("accepts them when a healer covers the load balancer's tag, among others", async () => {
    const specs = tagged();
    set(specs, "healer", "spec.workers.0.envs.0.value", "api-serving, web");
    const report = await runPolicies(build(specs));
    assert.deepEqual(on(report, "nodes-autoheal"), [], summary(report));
    assert.deepEqual(on(report, "nodes-autoheal-digitalocean"), [], summary(report));
  });

  it("with a load balancer that lists droplet ids, accepts the droplets whose own tag a healer covers and names the others", async () => {
    const specs = tagged();
    set(specs, "lb", "dropletTag", undefined);
    set(specs, "lb", "dropletIds", [ref("node-1"), ref("node-2")]);
    set(specs, "node-1", "tags", ["web", "healed"]);
    set(specs, "healer", "spec.workers.0.envs.0.value", "healed");
    const report = await runPolicies(build(specs));
    assert.deepEqual(on(report, "nodes-autoheal").map((v) => v.resourceName), ["node-2"], summary(report));
  });

  it("judges only droplets behind a load balancer: nodes-autoheal is not applicable to a stack without one", async () => {
    const specs = tagged();
    remove(specs, "lb");
    remove(specs, "healer");
    const report = await runPolicies(build(specs));
    assert.ok(report.notApplicable.some((n) => n.policy === "nodes-autoheal"), summary(report));
    // The advisory rule reports the droplets nothing reaches and nothing heals.
    assert.deepEqual(on(report, "nodes-autoheal-digitalocean").map((v) => v.resourceName), ["node-1", "node-2"], summary(report));
  });

  it("reports an autoscale pool behind a load balancer at advisory level (pools do not heal on its check), unless a healer covers its tag", async () => {
    const specs = tagged();
    for (const name of ["node-1", "node-2", "healer"]) remove(specs, name);
    specs.push(autoscalePool());
    const report = await runPolicies(build(specs));
    const gap = on(report, "nodes-autoheal-digitalocean");
    assert.deepEqual(gap.map((v) => [v.resourceName, v.level]), [["pool", "advisory"]], summary(report));
    assert.match(gap[0].message, /not one that fails the load balancer's health check/);
    assert.equal(report.passed, true, "the gap is advisory: no mandatory rule fails it");
    specs.push(healerApp("web"));
    assert.deepEqual(on(await runPolicies(build(specs)), "nodes-autoheal-digitalocean"), [], "covered by the healer");
  });
});
