/**
 * nodes-span-zones: a zone outage must leave nodes running. Judged where the cloud has
 * zones (AWS, GCP, and Kubernetes through zone topology spreading); DigitalOcean regions
 * have no zones.
 */
import type { PolicyConfigSchema, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { overStack, settingsOf } from "../dispatch";
import { countedGroups, type NodeGroup } from "../nodeGroups";
import { at, list, obj, objects, str } from "../props";
import { aws, gcp } from "../resourceTypes";
import { gkePools, zonalGkeClusters } from "../clusters";
import { describe, StackView, unique } from "../stackView";

/** Config of nodes-span-zones. */
export interface ZoneSpreadConfig {
  /** The fewest zones a node group must span. */
  minZones: number;
}

const zoneKeys = ["topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone"];

/** The zones of the subnets at `path` of a resource (a subnet not in the stack counts as its own zone). */
function subnetZones(view: StackView, r: PolicyResource, prop: string, path: string): string[] {
  const subnetIds = list(at(r.props, path)).filter((s): s is string => typeof s === "string");
  const subnets = view.refs(r, prop, aws.subnet);
  const known = subnets.map((s) => str(s.props.availabilityZone) ?? str(s.props.availabilityZoneId) ?? s.urn);
  const unknownSubnets = Math.max(0, subnetIds.length - subnets.length);
  return unique([...known, ...Array.from({ length: unknownSubnets }, (_, i) => `subnet-${i}`)]);
}

/** The zones an Auto Scaling group's subnets are in (a subnet not in the stack counts as its own zone). */
function asgZones(view: StackView, asg: PolicyResource): string[] {
  const explicit = list(asg.props.availabilityZones).filter((z): z is string => typeof z === "string");
  const subnetIds = list(asg.props.vpcZoneIdentifiers).filter((s): s is string => typeof s === "string");
  const subnets = view.refs(asg, "vpcZoneIdentifiers", aws.subnet);
  const known = subnets.map((s) => str(s.props.availabilityZone) ?? str(s.props.availabilityZoneId) ?? s.urn);
  // Subnets from outside the stack: their zone is unknown here, each is assumed distinct.
  const unknownSubnets = Math.max(0, subnetIds.length - subnets.length);
  return unique([...explicit, ...known, ...Array.from({ length: unknownSubnets }, (_, i) => `subnet-${i}`)]);
}

/** True when a pod spec spreads (or anti-affines) its pods over zones. */
function spreadsOverZones(podSpec: unknown): boolean {
  const spread = objects(podSpec, "topologySpreadConstraints").some((c) => zoneKeys.includes(str(c.topologyKey) ?? ""));
  const antiAffinity = [
    ...objects(podSpec, "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution"),
    ...objects(podSpec, "affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution").map((p) => p.podAffinityTerm),
  ].some((term) => zoneKeys.includes(str(term, "topologyKey") ?? ""));
  return spread || antiAffinity;
}

function check(view: StackView, group: NodeGroup, minZones: number): string | undefined {
  const r = group.resource;
  switch (group.kind) {
    case "aws-autoscaling-group": {
      const zones = asgZones(view, r);
      return zones.length >= minZones ? undefined : `${describe(r)} launches nodes in ${zones.length} zone(s); list subnets in at least ${minZones} availability zones in vpcZoneIdentifiers (ha-topology:network.zones).`;
    }
    case "aws-instances": {
      const zones = unique(group.members.map((i) => str(i.props.availabilityZone) ?? str(i.props.subnetId) ?? i.urn));
      return zones.length >= minZones ? undefined : `the instances behind ${describe(r)} are in ${zones.length} zone(s); spread them over at least ${minZones}.`;
    }
    case "aws-ecs-service": {
      // awsvpc tasks (Fargate, or EC2 with awsvpc) are spread over their subnets' zones; bridge/host tasks
      // run on the cluster's instances, judged through its Auto Scaling group.
      if (Object.keys(obj(r.props.networkConfiguration)).length === 0) return undefined;
      const zones = subnetZones(view, r, "networkConfiguration", "networkConfiguration.subnets");
      if (zones.length === 0) return undefined; // subnets not known yet (preview)
      return zones.length >= minZones ? undefined : `${describe(r)} runs its tasks in ${zones.length} zone(s): list subnets in at least ${minZones} availability zones in networkConfiguration.subnets.`;
    }
    case "aws-standalone-instance":
    case "gcp-standalone-instance":
      return minZones <= 1 ? undefined : `${describe(r)} is a single instance in one zone: a zone outage takes the service down. Run the nodes in ${r.type === aws.instance ? "an Auto Scaling group over subnets" : "a regional managed instance group"} in at least ${minZones} zones.`;
    case "gcp-zonal-mig":
      return `${describe(r)} is a zonal instance group: a zone outage takes every node. Use a regional instance group manager (RegionInstanceGroupManager).`;
    case "gcp-regional-mig": {
      const zones = list(r.props.distributionPolicyZones);
      return zones.length === 0 || zones.length >= minZones ? undefined : `${describe(r)} pins its nodes to ${zones.length} zone(s) (distributionPolicyZones); list at least ${minZones} or leave it unset to use every zone of the region.`;
    }
    case "gcp-instance-groups": {
      // Each unmanaged group is zonal; a zone not known yet (preview) counts as its own.
      const zones = unique((group.zones ?? []).map((z, i) => z ?? `unknown-${i}`));
      return zones.length >= minZones ? undefined : `the unmanaged instance groups behind ${describe(r)} are in ${zones.length} zone(s): a zone outage takes every node. Add an instance group in another zone, or use a regional managed instance group.`;
    }
    case "kubernetes-deployment":
      return spreadsOverZones(at(r.props, "spec.template.spec"))
        ? undefined
        : `${describe(r)} does not spread its pods over zones: add a topologySpreadConstraint on topology.kubernetes.io/zone (whenUnsatisfiable: ScheduleAnyway works on single-zone clusters too).`;
    case "digitalocean-droplets":
      return undefined;
  }
}

const configSchema: PolicyConfigSchema = {
  properties: {
    minZones: { type: "integer", minimum: 1, default: 2, description: "The fewest zones a node group must span." },
  },
};

export const zoneSpread: StackValidationPolicy = {
  name: "nodes-span-zones",
  description:
    "Each node group spans at least `minZones` (default 2) zones, so a zone outage leaves nodes serving: Auto Scaling group subnets in " +
    "different AZs, ECS service subnets (networkConfiguration) in different AZs, no lone instance, a regional (not zonal) MIG, pods " +
    "spread over topology.kubernetes.io/zone, a regional GKE cluster whose node pools span zones. DigitalOcean regions have no zones.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema,
  validateStack: overStack(
    (view) => countedGroups(view).some((g) => g.kind !== "digitalocean-droplets") || view.ofType(gcp.gkeCluster).length + view.ofType(gcp.gkeNodePool).length > 0,
    "no node groups or GKE clusters on a cloud with zones (DigitalOcean regions have none)",
    (view, report, args) => {
      const { minZones } = settingsOf<ZoneSpreadConfig>(configSchema, args);
      for (const group of countedGroups(view)) {
        const problem = check(view, group, minZones);
        if (problem) report(problem, group.resource.urn);
      }
      // GKE: the pods can spread only over the zones the nodes are in.
      const zonal = zonalGkeClusters(view);
      for (const cluster of zonal) {
        const location = str(cluster.props.location)!;
        report(`${describe(cluster)} is a zonal cluster (location ${location}): its control plane, and its nodes unless nodeLocations lists other zones, are in that one zone, so a zone outage stops the cluster. Set location to the region (${location.replace(/-[a-z]$/, "")}) for a regional cluster over ${minZones}+ zones.`, cluster.urn);
      }
      for (const pool of gkePools(view)) {
        if (pool.zones === undefined || pool.zones.length >= minZones) continue;
        if (pool.resource === pool.cluster && zonal.includes(pool.resource)) continue; // said above
        report(`${describe(pool.resource)}: the ${pool.label} runs its nodes in ${pool.zones.length} zone(s) (${pool.zones.join(", ")}): a zone outage takes every node and every pod on them. Use a regional cluster, or list at least ${minZones} zones in nodeLocations.`, pool.resource.urn);
      }
    },
  ),
};
