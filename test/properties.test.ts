/**
 * Property-based tests (fast-check): for random valid topologies on every cloud, the
 * program registers without error and ha-guard finds no mandatory violation; and for a
 * random mutation that breaks one HA property of what was registered, ha-guard names it.
 *
 * Reproduce a run with the seed it prints: HA_TOPOLOGY_FC_SEED=<seed> npm test.
 * HA_TOPOLOGY_FC_RUNS sets the runs per cloud (default 5: the suite stays fast on CI).
 */
import fc from "fast-check";
import { runWithMocks } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { stackConfigWith } from "../automation/stackFiles";
import { runPolicies, type StackResource } from "../policies/runner";
import type { Cloud } from "../components/sizes";
import { minGracePeriodSeconds } from "../components/topology";
import { ns } from "./programQueries";

const seed = Number(process.env.HA_TOPOLOGY_FC_SEED ?? Date.now() % 2 ** 31);
const runs = Number(process.env.HA_TOPOLOGY_FC_RUNS ?? 5);

type Props = Record<string, any>;

/** One way to break an HA property of a registered resource, and the rule that must catch it. */
interface Mutation {
  rule: string;
  type: string;
  /**
   * Changes the resource's properties (applied to inputs and outputs alike); a change to
   * which resources a property refers to also changes its recorded dependencies, as the
   * engine's would.
   */
  apply(props: Props, resource: StackResource): void;
}

const mutations: Record<string, Mutation[]> = {
  aws: [
    { rule: "min-nodes", type: "aws:autoscaling/group:Group", apply: (p) => (p.minSize = 1) },
    { rule: "nodes-autoheal", type: "aws:autoscaling/group:Group", apply: (p) => (p.healthCheckType = "EC2") },
    {
      rule: "nodes-span-zones",
      type: "aws:autoscaling/group:Group",
      apply: (p, r) => {
        p.vpcZoneIdentifiers = p.vpcZoneIdentifiers.slice(0, 1);
        r.propertyDependencies = { ...r.propertyDependencies, vpcZoneIdentifiers: (r.propertyDependencies?.vpcZoneIdentifiers ?? []).slice(0, 1) };
      },
    },
    { rule: "rolling-updates-keep-capacity", type: "aws:autoscaling/group:Group", apply: (p) => delete p.instanceMaintenancePolicy },
    { rule: "database-replicated", type: "aws:rds/instance:Instance", apply: (p) => !p.replicateSourceDb && (p.multiAz = false) },
    { rule: "database-private", type: "aws:rds/instance:Instance", apply: (p) => (p.publiclyAccessible = true) },
    { rule: "lb-tls-min-version", type: "aws:lb/listener:Listener", apply: (p) => p.protocol === "HTTPS" && (p.sslPolicy = "ELBSecurityPolicy-2016-08") },
    { rule: "nodes-imdsv2", type: "aws:ec2/launchTemplate:LaunchTemplate", apply: (p) => (p.metadataOptions = { ...p.metadataOptions, httpTokens: "optional" }) },
  ],
  gcp: [
    { rule: "min-nodes", type: "gcp:compute/regionAutoscaler:RegionAutoscaler", apply: (p) => (p.autoscalingPolicy = { ...p.autoscalingPolicy, minReplicas: 1 }) },
    { rule: "nodes-autoheal", type: "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager", apply: (p) => delete p.autoHealingPolicies },
    { rule: "rolling-updates-keep-capacity", type: "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager", apply: (p) => (p.updatePolicy = { ...p.updatePolicy, maxUnavailableFixed: 1 }) },
    { rule: "database-replicated", type: "gcp:sql/databaseInstance:DatabaseInstance", apply: (p) => !p.masterInstanceName && (p.settings = { ...p.settings, availabilityType: "ZONAL" }) },
    { rule: "database-private", type: "gcp:sql/databaseInstance:DatabaseInstance", apply: (p) => (p.settings = { ...p.settings, ipConfiguration: { ...p.settings.ipConfiguration, ipv4Enabled: true } }) },
    { rule: "lb-tls-min-version", type: "gcp:compute/sSLPolicy:SSLPolicy", apply: (p) => (p.minTlsVersion = "TLS_1_0") },
    // A GCS bucket is private unless something grants it to allUsers (publicAccessPrevention only hardens that).
    { rule: "storage-private", type: "gcp:storage/bucketIAMMember:BucketIAMMember", apply: (p) => (p.member = "allUsers") },
  ],
  digitalocean: [
    { rule: "database-replicated", type: "digitalocean:index/databaseCluster:DatabaseCluster", apply: (p) => (p.nodeCount = 1) },
    { rule: "lb-https-only", type: "digitalocean:index/loadBalancer:LoadBalancer", apply: (p) => (p.redirectHttpToHttps = false) },
    { rule: "lb-http-health-check", type: "digitalocean:index/loadBalancer:LoadBalancer", apply: (p) => (p.healthcheck = { ...p.healthcheck, protocol: "tcp" }) },
    { rule: "storage-private", type: "digitalocean:index/spacesBucket:SpacesBucket", apply: (p) => (p.acl = "public-read") },
    { rule: "nodes-not-world-reachable", type: "digitalocean:index/firewall:Firewall", apply: (p) => (p.inboundRules = [...p.inboundRules, { protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/0"] }]) },
  ],
  kubernetes: [
    { rule: "min-nodes", type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", apply: (p) => (p.spec = { ...p.spec, minReplicas: 1 }) },
    { rule: "rolling-updates-keep-capacity", type: "kubernetes:apps/v1:Deployment", apply: (p) => !p.metadata?.annotations?.["ha-guard/internal"] && (p.spec = { ...p.spec, strategy: { type: "Recreate" } }) },
    { rule: "database-replicated", type: "kubernetes:postgresql.cnpg.io/v1:Cluster", apply: (p) => (p.spec = { ...p.spec, instances: 1 }) },
    { rule: "lb-https-only", type: "kubernetes:networking.k8s.io/v1:Ingress", apply: (p) => (p.spec = { ...p.spec, tls: [] }) },
    { rule: "nodes-not-world-reachable", type: "kubernetes:core/v1:Service", apply: (p) => p.spec?.selector?.["app.kubernetes.io/component"] === "app" && (p.spec = { ...p.spec, type: "NodePort" }) },
  ],
};

/** A random valid topology patch for a cloud (keys under `ha-topology:`). */
function topologyPatch(cloud: string): fc.Arbitrary<Record<string, unknown>> {
  const zoneLimit = cloud === "gcp" ? 3 : 4;
  return fc
    .record({
      count: fc.integer({ min: 2, max: 5 }),
      extra: fc.integer({ min: 0, max: 4 }),
      size: fc.constantFrom("small", "medium", "large"),
      port: fc.constantFrom(80, 3000, 8080),
      interval: fc.integer({ min: 10, max: 30 }),
      timeout: fc.integer({ min: 2, max: 9 }),
      healthy: fc.integer({ min: 2, max: 5 }),
      unhealthy: fc.integer({ min: 2, max: 5 }),
      // From the cloud's floor (a VM must boot before autohealing may judge it).
      grace: fc.integer({ min: minGracePeriodSeconds[cloud as Cloud] ?? 30, max: 300 }),
      backups: fc.integer({ min: 7, max: 35 }),
      storageGb: fc.integer({ min: 20, max: 200 }),
      readReplicas: fc.integer({ min: 0, max: 2 }),
      sessions: fc.boolean(),
      zones: fc.integer({ min: 2, max: zoneLimit }),
      nat: fc.constantFrom("per-zone", "single", "none"),
      env: fc.dictionary(fc.stringMatching(/^APP_[A-Z]{1,8}$/), fc.stringMatching(/^[a-z0-9]{0,12}$/), { maxKeys: 3 }),
    })
    .map((r) => ({
      nodes: { count: r.count, maxCount: cloud === "digitalocean" ? r.count : r.count + r.extra, size: r.size, port: r.port, env: r.env },
      healthCheck: { intervalSeconds: r.interval, timeoutSeconds: r.timeout, healthyThreshold: r.healthy, unhealthyThreshold: r.unhealthy, gracePeriodSeconds: r.grace },
      database: { backupRetentionDays: r.backups, storageGb: r.storageGb, readReplicas: cloud === "kubernetes" ? 0 : r.readReplicas },
      sessions: { enabled: r.sessions },
      ...(cloud === "aws" || cloud === "gcp" ? { network: { zones: r.zones, natGateways: r.nat } } : {}),
    }));
}

/** A copy of the resources with one mutation applied to the `index`-th resource it fits. */
function mutate(resources: StackResource[], mutation: Mutation, index: number): StackResource[] | undefined {
  const copy = structuredClone(resources);
  const candidates = copy.filter((r) => r.type === mutation.type);
  for (let i = 0; i < candidates.length; i++) {
    const target = candidates[(index + i) % candidates.length];
    const before = JSON.stringify(target.inputs);
    mutation.apply(target.inputs, target);
    if (JSON.stringify(target.inputs) === before) continue; // this resource is not one the mutation applies to
    if (target.outputs) mutation.apply(target.outputs, target);
    return copy;
  }
  return undefined;
}

describe(`property-based: random topologies on every cloud (seed ${seed}, ${runs} runs per cloud)`, function () {
  before(function () {
    console.log(`      fast-check seed ${seed}, ${runs} runs per cloud; reproduce with HA_TOPOLOGY_FC_SEED=${seed}`);
  });

  for (const cloud of Object.keys(mutations)) {
    it(`${cloud}: every valid topology registers and passes ha-guard, and every HA-breaking mutation is caught`, async function () {
      this.timeout(120_000);
      await fc.assert(
        fc.asyncProperty(topologyPatch(cloud), fc.nat(), fc.nat(), async (patch, which, where) => {
          const run = await runWithMocks(stackConfigWith(cloud, ns(patch)));
          if (run.error) throw new Error(`the program refused a valid topology: ${run.error.message}`);
          const resources = stackResources(run);
          const clean = await runPolicies(resources);
          const mandatory = clean.violations.filter((v) => v.level === "mandatory");
          if (mandatory.length > 0) throw new Error(`mandatory violations on a valid topology: ${mandatory.map((v) => `${v.policy}: ${v.message}`).join("; ")}`);

          const mutation = mutations[cloud][which % mutations[cloud].length];
          const broken = mutate(resources, mutation, where);
          if (!broken) throw new Error(`no ${mutation.type} to break for ${mutation.rule}`);
          const report = await runPolicies(broken);
          if (!report.violations.some((v) => v.policy === mutation.rule && v.level === "mandatory")) {
            throw new Error(`${mutation.rule} missed a broken ${mutation.type}`);
          }
        }),
        { seed, numRuns: runs, endOnFailure: true },
      );
    });
  }
});
