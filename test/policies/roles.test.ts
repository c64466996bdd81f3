/**
 * The roles contract (contract/roles.ts): a compute group tagged `worker` or `internal` is
 * judged by node count and zone spread only, a `cron` group must be single-flight, a `web`
 * group must serve behind a load balancer, on all four clouds, each in its own spelling.
 * And the boundary: the library never imports from policies/, the pack never imports a
 * cloud SDK or anything outside its folder (it is published alone).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { digitaloceanLeaseTag, digitaloceanRoleTag, gcpLeaseLabel, gcpRoleLabel, kubernetesLeaseKey, kubernetesRoleKey, leaseTag, roleTag, type Role } from "../../contract/roles";
import { runPolicies, type PolicyReport } from "../../policies/runner";
import { awsFixture } from "./fixtures/aws";
import { build, copy, find, ref, set, type Spec } from "./fixtures/builder";
import { digitaloceanFixture } from "./fixtures/digitalocean";
import { gcpFixture } from "./fixtures/gcp";
import { kubernetesFixture } from "./fixtures/kubernetes";

const root = path.resolve(__dirname, "..", "..");

function summary(report: PolicyReport): string {
  return report.violations.map((v) => `  [${v.level}] ${v.policy} @ ${v.resourceName ?? "stack"}: ${v.message}`).join("\n") || "  (none)";
}

/** The violations on one resource. */
const about = (report: PolicyReport, name: string) => report.violations.filter((v) => v.resourceName === name).map((v) => v.policy).sort();

// ---- A group per cloud with nothing in front of it, tagged with a role -------------

/** AWS: an Auto Scaling group in two subnets, no target group, EC2 health checks, no instance refresh. */
function awsGroup(role: Role | undefined, how: "asg-tag" | "template-tag" = "asg-tag", minSize = 2): Spec[] {
  const specs = copy(awsFixture.passing);
  specs.push({ type: "aws:ec2/launchTemplate:LaunchTemplate", name: "jobs-lt", props: { metadataOptions: { httpTokens: "required" }, ...(role && how === "template-tag" && { tagSpecifications: [{ resourceType: "instance", tags: { [roleTag]: role } }] }) } });
  specs.push({
    type: "aws:autoscaling/group:Group",
    name: "jobs",
    props: {
      minSize,
      maxSize: 4,
      vpcZoneIdentifiers: [ref("private-a"), ref("private-b")],
      launchTemplate: { id: ref("jobs-lt"), version: ref("jobs-lt", "1") },
      ...(role && how === "asg-tag" && { tags: [{ key: roleTag, value: role, propagateAtLaunch: true }] }),
    },
  });
  return specs;
}

/** GCP: a regional MIG from a labelled template, no backend service, no autohealing, no update policy. */
function gcpGroup(role: Role | undefined, targetSize = 2): Spec[] {
  const specs = copy(gcpFixture.passing);
  specs.push({ type: "gcp:compute/instanceTemplate:InstanceTemplate", name: "jobs-template", props: { machineType: "e2-small", ...(role && { labels: { [gcpRoleLabel]: role } }) } });
  specs.push({ type: "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager", name: "jobs", props: { baseInstanceName: "jobs", region: "europe-west1", targetSize, versions: [{ instanceTemplate: ref("jobs-template") }] } });
  return specs;
}

/** DigitalOcean: droplets no load balancer reaches, with their own firewall. */
function digitaloceanGroup(role: Role | undefined, count = 2): Spec[] {
  const specs = copy(digitaloceanFixture.passing);
  const tags = ["jobs", ...(role ? [digitaloceanRoleTag(role)] : [])];
  for (let i = 1; i <= count; i++) specs.push({ type: "digitalocean:index/droplet:Droplet", name: `jobs-${i}`, props: { image: "ubuntu-24-04-x64", region: "fra1", size: "s-1vcpu-2gb", vpcUuid: ref("vpc"), tags } });
  specs.push({ type: "digitalocean:index/firewall:Firewall", name: "jobs-fw", props: { tags: ["jobs"], inboundRules: [{ protocol: "tcp", portRange: "22", sourceAddresses: ["10.10.0.0/16"] }] } });
  return specs;
}

/** Kubernetes: a Deployment with no Service, no probes, no PDB, spread over zones. */
function kubernetesGroup(role: Role | undefined, replicas = 2, where: "label" | "annotation" = "label"): Spec[] {
  const specs = copy(kubernetesFixture.passing);
  const labels = { app: "jobs" };
  const key = role && (where === "label" ? { labels: { ...labels, [kubernetesRoleKey]: role } } : { labels, annotations: { [kubernetesRoleKey]: role } });
  specs.push({
    type: "kubernetes:apps/v1:Deployment",
    name: "jobs",
    props: {
      metadata: { name: "jobs", namespace: "app", ...(key || { labels }) },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } }],
            containers: [{ name: "worker", image: "ghcr.io/acme/worker:1.0" }],
          },
        },
      },
    },
  });
  return specs;
}

/** An AWS group of at most one node. */
function oneNode(specs: Spec[]): Spec[] {
  set(specs, "jobs", "maxSize", 1);
  return specs;
}

/** Per cloud: a group builder, the resource violations are reported on, a single-node group, and how to declare the postgres lease on the group. */
const clouds: [string, (role: Role | undefined) => Spec[], string, (role: Role) => Spec[], (specs: Spec[]) => void][] = [
  [
    "aws (Auto Scaling group tag)",
    (role) => awsGroup(role),
    "jobs",
    (role) => oneNode(awsGroup(role, "asg-tag", 1)),
    (s) => set(s, "jobs", "tags", [...(find(s, "jobs").props.tags as object[]), { key: leaseTag, value: "postgres", propagateAtLaunch: true }]),
  ],
  [
    "aws (launch template tagSpecifications)",
    (role) => awsGroup(role, "template-tag"),
    "jobs",
    (role) => oneNode(awsGroup(role, "template-tag", 1)),
    (s) => set(s, "jobs-lt", "tagSpecifications", [{ resourceType: "instance", tags: { [roleTag]: "cron", [leaseTag]: "postgres" } }]),
  ],
  ["gcp (instance template label)", (role) => gcpGroup(role), "jobs", (role) => gcpGroup(role, 1), (s) => set(s, "jobs-template", `labels.${gcpLeaseLabel}`, "postgres")],
  [
    "digitalocean (droplet tag)",
    (role) => digitaloceanGroup(role),
    "jobs-1",
    (role) => digitaloceanGroup(role, 1),
    (s) => {
      for (const d of s.filter((r) => r.name.startsWith("jobs-") && r.type === "digitalocean:index/droplet:Droplet")) d.props.tags = [...(d.props.tags as string[]), digitaloceanLeaseTag("postgres")];
    },
  ],
  ["kubernetes (label)", (role) => kubernetesGroup(role), "jobs", (role) => kubernetesGroup(role, 1), (s) => set(s, "jobs", `metadata.labels.${kubernetesLeaseKey}`, "postgres")],
];

for (const [cloud, group, name, single, withLease] of clouds) {
  describe(`ha-guard roles on ${cloud}`, () => {
    it("an untagged group with nothing in front of it fails min-nodes (judged by what it is connected to)", async () => {
      const report = await runPolicies(build(group(undefined)));
      assert.ok(about(report, name).includes("min-nodes"), summary(report));
    });

    it("a group tagged web with nothing in front of it fails min-nodes: web must serve behind a load balancer", async () => {
      const report = await runPolicies(build(group("web")));
      assert.ok(about(report, name).includes("min-nodes"), summary(report));
    });

    for (const role of ["worker", "internal"] as const) {
      it(`a group tagged ${role} needs no load balancer: no violation at all on it`, async () => {
        const report = await runPolicies(build(group(role)));
        // DigitalOcean's standalone droplets carry the cloud's known, advisory gap.
        assert.deepEqual(about(report, name).filter((p) => p !== "nodes-autoheal-digitalocean"), [], summary(report));
      });
    }

    it("a group tagged cron of one node passes every rule: exempt from min-nodes, nodes-span-zones and the serving rules", async () => {
      const report = await runPolicies(build(single("cron")));
      assert.deepEqual(about(report, name).filter((p) => p !== "nodes-autoheal-digitalocean"), [], summary(report));
      // The same single node untagged fails min-nodes: the exemption is the role's.
      assert.ok(about(await runPolicies(build(single("worker"))), name).includes("min-nodes"));
    });

    it("a group tagged cron of two nodes without a lease fails jobs-single-flight (mandatory), and nothing else: each node fires the schedule", async () => {
      const report = await runPolicies(build(group("cron")));
      assert.deepEqual(about(report, name).filter((p) => p !== "nodes-autoheal-digitalocean"), ["jobs-single-flight"], summary(report));
      assert.equal(report.violations.find((v) => v.policy === "jobs-single-flight")?.level, "mandatory");
      assert.match(report.violations.find((v) => v.policy === "jobs-single-flight")!.message, /ha-topology:lease = postgres or valkey/);
    });

    it("a group tagged cron of two nodes that declares its lease (ha-topology:lease) passes", async () => {
      const specs = group("cron");
      withLease(specs);
      const report = await runPolicies(build(specs));
      assert.deepEqual(about(report, name).filter((p) => p !== "nodes-autoheal-digitalocean"), [], summary(report));
    });
  });
}

describe("ha-guard roles: workers are judged by count and zones", () => {
  it("fails min-nodes on a worker Auto Scaling group of one node", async () => {
    const report = await runPolicies(build(awsGroup("worker", "asg-tag", 1)));
    assert.deepEqual(about(report, "jobs"), ["min-nodes"], summary(report));
    assert.match(report.violations.find((v) => v.policy === "min-nodes")!.message, /\(role worker\) can run with 1 node/);
  });

  it("fails nodes-span-zones on a worker Auto Scaling group in one subnet", async () => {
    const specs = awsGroup("worker");
    set(specs, "jobs", "vpcZoneIdentifiers", [ref("private-a")]);
    const report = await runPolicies(build(specs));
    assert.deepEqual(about(report, "jobs"), ["nodes-span-zones"], summary(report));
  });

  it("fails min-nodes on a worker MIG of one node and nodes-span-zones on a zonal one", async () => {
    assert.deepEqual(about(await runPolicies(build(gcpGroup("worker", 1))), "jobs"), ["min-nodes"]);
    const zonal = gcpGroup("worker");
    find(zonal, "jobs").type = "gcp:compute/instanceGroupManager:InstanceGroupManager";
    assert.deepEqual(about(await runPolicies(build(zonal)), "jobs"), ["nodes-span-zones"]);
  });

  it("counts the droplets tagged worker together: one droplet fails min-nodes", async () => {
    const report = await runPolicies(build(digitaloceanGroup("worker", 1)));
    assert.deepEqual(about(report, "jobs-1").filter((p) => p !== "nodes-autoheal-digitalocean"), ["min-nodes"], summary(report));
  });

  it("fails min-nodes on a worker Deployment of one replica, and nodes-span-zones without a zone spread", async () => {
    assert.deepEqual(about(await runPolicies(build(kubernetesGroup("worker", 1))), "jobs"), ["min-nodes"]);
    const unspread = kubernetesGroup("worker");
    set(unspread, "jobs", "spec.template.spec.topologySpreadConstraints", undefined);
    assert.deepEqual(about(await runPolicies(build(unspread)), "jobs"), ["nodes-span-zones"]);
  });

  it("reads the Kubernetes role from an annotation too, and ha-guard/internal as role internal", async () => {
    assert.deepEqual(about(await runPolicies(build(kubernetesGroup("worker", 2, "annotation"))), "jobs"), []);
    const legacy = kubernetesGroup(undefined);
    set(legacy, "jobs", "metadata.annotations", { "ha-guard/internal": "true" });
    assert.deepEqual(about(await runPolicies(build(legacy)), "jobs"), []);
    set(legacy, "jobs", "spec.replicas", 1);
    assert.deepEqual(about(await runPolicies(build(legacy)), "jobs"), ["min-nodes"]);
  });

  it("ignores a role value outside the contract (judged as untagged)", async () => {
    const specs = kubernetesGroup(undefined);
    set(specs, "jobs", "metadata.labels", { app: "jobs", [kubernetesRoleKey]: "batch" });
    assert.ok(about(await runPolicies(build(specs)), "jobs").includes("min-nodes"));
  });
});

describe("ha-guard roles: cron is single-flight", () => {
  it("accepts a cron group of one node", async () => {
    const specs = awsGroup("cron", "asg-tag", 1);
    set(specs, "jobs", "maxSize", 1);
    assert.deepEqual(about(await runPolicies(build(specs)), "jobs"), []);
  });

  it("counts the most nodes a cron group can run: minSize 1 with maxSize 4 fails", async () => {
    const report = await runPolicies(build(awsGroup("cron", "asg-tag", 1)));
    assert.deepEqual(about(report, "jobs"), ["jobs-single-flight"], summary(report));
    assert.match(report.violations[0].message, /can run 4 nodes/);
  });

  it("ignores a lease value outside the contract", async () => {
    const specs = awsGroup("cron");
    set(specs, "jobs", "tags", [{ key: roleTag, value: "cron", propagateAtLaunch: true }, { key: leaseTag, value: "etcd", propagateAtLaunch: true }]);
    assert.deepEqual(about(await runPolicies(build(specs)), "jobs"), ["jobs-single-flight"]);
  });

  it("asks the lease of every droplet of a DigitalOcean cron group", async () => {
    const specs = digitaloceanGroup("cron");
    find(specs, "jobs-1").props.tags = [...(find(specs, "jobs-1").props.tags as string[]), digitaloceanLeaseTag("valkey")];
    assert.deepEqual(about(await runPolicies(build(specs)), "jobs-1").filter((p) => p !== "nodes-autoheal-digitalocean"), ["jobs-single-flight"]);
  });

  it("counts a DigitalOcean cron autoscale pool at its maxInstances", async () => {
    const specs = digitaloceanGroup("cron", 0);
    specs.push({
      type: "digitalocean:index/dropletAutoscale:DropletAutoscale",
      name: "jobs-pool",
      props: { config: { minInstances: 1, maxInstances: 3, targetCpuUtilization: 0.6 }, dropletTemplate: { image: "ubuntu-24-04-x64", region: "fra1", size: "s-1vcpu-2gb", vpcUuid: ref("vpc"), tags: ["jobs", digitaloceanRoleTag("cron")] } },
    });
    const report = await runPolicies(build(specs));
    assert.deepEqual(about(report, "jobs-pool"), ["jobs-single-flight"], summary(report));
    assert.match(report.violations.find((v) => v.policy === "jobs-single-flight")!.message, /can run 3 nodes/);
    set(specs, "jobs-pool", "config.maxInstances", 1);
    assert.deepEqual(about(await runPolicies(build(specs)), "jobs-pool"), [], summary(report));
    set(specs, "jobs-pool", "config.maxInstances", 3);
    set(specs, "jobs-pool", "dropletTemplate.tags", ["jobs", digitaloceanRoleTag("cron"), digitaloceanLeaseTag("valkey")]);
    assert.deepEqual(about(await runPolicies(build(specs)), "jobs-pool"), [], summary(report));
  });

  it("reports a CronJob left at concurrencyPolicy Allow, and accepts Forbid and Replace", async () => {
    for (const [policy, expected] of [[undefined, ["jobs-single-flight"]], ["Allow", ["jobs-single-flight"]], ["Forbid", []], ["Replace", []]] as const) {
      const specs = copy(kubernetesFixture.passing);
      set(specs, "nightly", "spec.concurrencyPolicy", policy);
      const report = await runPolicies(build(specs));
      assert.deepEqual(about(report, "nightly"), expected, `${policy}: ${summary(report)}`);
    }
  });

  it("is not applicable to a stack without scheduled jobs or cron groups", async () => {
    const report = await runPolicies(build(copy(awsFixture.passing)));
    assert.ok(report.notApplicable.some((n) => n.policy === "jobs-single-flight"));
  });
});

// ---- The boundary between the library and the pack ---------------------------------

/** Every .ts file under a folder of the repository. */
function tsFiles(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** The module specifiers a file imports (static imports, re-exports, dynamic imports, require). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), "utf8");
  return [...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm)].map((m) => m[1]);
}

describe("the roles contract and the import boundary", () => {
  it("has no file under components/ that imports from policies/", () => {
    const offenders = tsFiles("components").flatMap((file) =>
      importsOf(file)
        .filter((spec) => spec.startsWith(".") && path.relative(root, path.resolve(root, path.dirname(file), spec)).split(path.sep)[0] === "policies")
        .map((spec) => `${file}: ${spec}`),
    );
    assert.deepEqual(offenders, []);
  });

  it("has the pack import no cloud SDK and nothing outside policies/ (it is published as that folder alone)", () => {
    const offenders = tsFiles("policies").flatMap((file) =>
      importsOf(file)
        .filter((spec) =>
          /^@pulumi\/(aws|awsx|gcp|digitalocean|kubernetes|random|eks)(\/|$)/.test(spec) ||
          (spec.startsWith(".") && path.relative(path.join(root, "policies"), path.resolve(root, path.dirname(file), spec)).startsWith("..")),
        )
        .map((spec) => `${file}: ${spec}`),
    );
    assert.deepEqual(offenders, []);
  });

  it("ships the pack's copy of contract/roles.ts unchanged (sync: cp contract/roles.ts policies/contract/roles.ts)", () => {
    assert.equal(fs.readFileSync(path.join(root, "policies", "contract", "roles.ts"), "utf8"), fs.readFileSync(path.join(root, "contract", "roles.ts"), "utf8"));
  });

  it("type-checks contract/ with the project, and the pack's copy with the pack", () => {
    const project = JSON.parse(fs.readFileSync(path.join(root, "tsconfig.json"), "utf8")) as { include: string[] };
    assert.ok(project.include.includes("contract/**/*.ts"));
    const pack = JSON.parse(fs.readFileSync(path.join(root, "policies", "tsconfig.json"), "utf8")) as { include: string[] };
    assert.ok(pack.include.includes("contract/*.ts"));
  });

  it("spells the role in each cloud's allowed characters", () => {
    assert.match(roleTag, /^[\w .:/=+\-@]{1,128}$/, "AWS tag keys");
    assert.match(gcpRoleLabel, /^[a-z][a-z0-9_-]{0,62}$/, "GCP label keys");
    for (const role of ["web", "worker", "cron", "internal"] as const) assert.match(digitaloceanRoleTag(role), /^[A-Za-z0-9:_-]{1,255}$/, "DigitalOcean tags");
    assert.match(kubernetesRoleKey, /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, "Kubernetes label keys");
  });
});

