/**
 * Managed Kubernetes clusters (GKE, DOKS): where their nodes run and how the provider
 * repairs and upgrades them. These are not node groups that serve behind a load balancer
 * (the Deployments on them are); they are the machines the pods land on, so a zone
 * outage, a dead node or an upgrade of them reaches every pod.
 */
import type { PolicyResource } from "@pulumi/policy";
import { at, bool, list, num, objects, str } from "./props";
import { digitalocean, gcp } from "./resourceTypes";
import { StackView } from "./stackView";

/** True for a GCP zone ("us-central1-a"), false for a region ("us-central1"). */
export function isGcpZone(location: string): boolean {
  return /^[a-z]+-[a-z]+\d+-[a-z]$/.test(location);
}

/** A set of GKE nodes: a NodePool resource, or a cluster's default (or inline) node pool. */
export interface GkePool {
  /** The resource that declares the nodes (violations are reported against it). */
  resource: PolicyResource;
  /** The cluster, when it is a resource of the stack. */
  cluster: PolicyResource | undefined;
  /** What the pool is called in messages ("node pool", "default node pool", "node pool <name>"). */
  label: string;
  /** The zones its nodes run in; undefined when not known (preview) or every zone of a region. */
  zones: string[] | undefined;
  /** management.autoRepair as set (undefined: unset, which is on). */
  autoRepair: boolean | undefined;
  /** The upgradeSettings block. */
  upgradeSettings: unknown;
}

/** The zones a GKE pool's nodes run in: its nodeLocations, the cluster's, else the location if it is a zone. */
function gkeZones(poolLocations: unknown, cluster: PolicyResource | undefined, location: string | undefined): string[] | undefined {
  const strings = (v: unknown) => list(v).filter((z): z is string => typeof z === "string");
  const own = strings(poolLocations);
  if (own.length > 0) return own;
  const clusters = cluster ? strings(cluster.props.nodeLocations) : [];
  if (clusters.length > 0) return clusters;
  return location !== undefined && isGcpZone(location) ? [location] : undefined;
}

/** True for an Autopilot cluster (always regional, nodes managed by Google). */
export function isAutopilot(cluster: PolicyResource): boolean {
  return bool(cluster.props.enableAutopilot) === true;
}

/** Every GKE node pool of the stack (standalone NodePools and the clusters' own pools). */
export function gkePools(view: StackView): GkePool[] {
  const pools: GkePool[] = [];
  for (const cluster of view.ofType(gcp.gkeCluster).filter((c) => !isAutopilot(c))) {
    const location = str(cluster.props.location);
    const inline = objects(cluster.props.nodePools);
    for (const pool of inline) {
      pools.push({
        resource: cluster,
        cluster,
        label: `node pool ${str(pool.name) ?? "?"}`,
        zones: gkeZones(pool.nodeLocations, cluster, location),
        autoRepair: bool(at(pool, "management.autoRepair")),
        upgradeSettings: pool.upgradeSettings,
      });
    }
    if (inline.length === 0 && bool(cluster.props.removeDefaultNodePool) !== true) {
      pools.push({ resource: cluster, cluster, label: "default node pool", zones: gkeZones(undefined, cluster, location), autoRepair: undefined, upgradeSettings: undefined });
    }
  }
  for (const pool of view.ofType(gcp.gkeNodePool)) {
    const cluster = view.refs(pool, "cluster", gcp.gkeCluster)[0];
    const location = str(pool.props.location) ?? (cluster ? str(cluster.props.location) : undefined);
    pools.push({
      resource: pool,
      cluster,
      label: "node pool",
      zones: gkeZones(pool.props.nodeLocations, cluster, location),
      autoRepair: bool(pool.props, "management.autoRepair"),
      upgradeSettings: pool.props.upgradeSettings,
    });
  }
  return pools;
}

/** GKE clusters whose location is a zone: one control plane replica, in that zone. */
export function zonalGkeClusters(view: StackView): PolicyResource[] {
  return view.ofType(gcp.gkeCluster).filter((c) => !isAutopilot(c) && isGcpZone(str(c.props.location) ?? ""));
}

/** The GKE upgrade settings that take nodes down before their replacements exist (SURGE with maxSurge 0). */
export function gkeUpgradeDropsNodes(upgradeSettings: unknown): boolean {
  const strategy = str(at(upgradeSettings, "strategy")) ?? "SURGE";
  return strategy === "SURGE" && num(at(upgradeSettings, "maxSurge")) === 0;
}

/** DigitalOcean Kubernetes clusters. */
export function doksClusters(view: StackView): PolicyResource[] {
  return view.ofType(digitalocean.kubernetesCluster);
}
