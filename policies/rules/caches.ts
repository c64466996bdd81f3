/**
 * cache-replicated, cache-backups: an ElastiCache store (sessions, queues, a cache the app
 * depends on) survives a node or zone failure, and a Redis/Valkey store keeps snapshots.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { overStack } from "../dispatch";
import { num, str } from "../props";
import { aws } from "../resourceTypes";
import { describe, type StackView } from "../stackView";

const isMemcached = (r: PolicyResource) => (str(r.props.engine) ?? "redis") === "memcached";

/** Single-node caches: an ElastiCache Cluster that is not a member of a replication group. */
const standaloneClusters = (view: StackView) => view.ofType(aws.cacheCluster).filter((c) => c.props.replicationGroupId === undefined);

function replicationGroupProblem(group: PolicyResource): string | undefined {
  const shards = num(group.props.numNodeGroups);
  const clusterMode = str(group.props.clusterMode) === "enabled" || (shards !== undefined && shards > 1);
  const nodes = clusterMode ? 1 + (num(group.props.replicasPerNodeGroup) ?? 0) : (num(group.props.numCacheClusters) ?? 1);
  const missing = [
    ...(nodes < 2 ? [clusterMode ? "replicasPerNodeGroup of at least 1" : "numCacheClusters of at least 2"] : []),
    ...(group.props.automaticFailoverEnabled !== true ? ["automaticFailoverEnabled true"] : []),
    ...(group.props.multiAzEnabled !== true ? ["multiAzEnabled true"] : []),
  ];
  if (missing.length === 0) return undefined;
  return `${describe(group)} ${nodes < 2 ? "runs one node per shard" : "does not fail over across zones"}: a node or zone failure takes the store down. Set ${missing.join(", ")}.`;
}

export const cacheReplicated: StackValidationPolicy = {
  name: "cache-replicated",
  description:
    "ElastiCache stores survive a node or zone failure: a Redis/Valkey ReplicationGroup with a replica (numCacheClusters 2+ or " +
    "replicasPerNodeGroup 1+), automaticFailoverEnabled and multiAzEnabled; no single-node Redis/Valkey Cluster; Memcached clusters with " +
    "2+ nodes and azMode cross-az. Serverless caches span zones.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: overStack(
    (view) => view.ofType(aws.cacheReplicationGroup).length + standaloneClusters(view).length > 0,
    "the stack has no ElastiCache replication group or cluster",
    (view, report) => {
      for (const group of view.ofType(aws.cacheReplicationGroup)) {
        const problem = replicationGroupProblem(group);
        if (problem) report(problem, group.urn);
      }
      for (const cluster of standaloneClusters(view)) {
        if (isMemcached(cluster)) {
          if ((num(cluster.props.numCacheNodes) ?? 1) < 2 || str(cluster.props.azMode) !== "cross-az") {
            report(`${describe(cluster)} keeps its Memcached nodes in one zone or runs one: set numCacheNodes to 2 or more and azMode "cross-az".`, cluster.urn);
          }
        } else {
          report(`${describe(cluster)} is a single ${str(cluster.props.engine) ?? "Redis"} node with no replica and no failover: use a ReplicationGroup with numCacheClusters 2, automaticFailoverEnabled and multiAzEnabled.`, cluster.urn);
        }
      }
    },
  ),
};

export const cacheBackups: StackValidationPolicy = {
  name: "cache-backups",
  description:
    "Redis/Valkey stores keep automatic snapshots (snapshotRetentionLimit 1 or more; 0, the default, keeps none), so a bad write or " +
    "a lost cluster can be restored. Memcached has no snapshots.",
  enforcementLevel: "advisory",
  severity: "low",
  validateStack: overStack(
    (view) => [...view.ofType(aws.cacheReplicationGroup), ...standaloneClusters(view)].some((c) => !isMemcached(c)),
    "the stack has no Redis/Valkey ElastiCache store",
    (view, report) => {
      for (const store of [...view.ofType(aws.cacheReplicationGroup), ...standaloneClusters(view)].filter((c) => !isMemcached(c))) {
        if ((num(store.props.snapshotRetentionLimit) ?? 0) < 1) {
          report(`${describe(store)} keeps no automatic snapshots: set snapshotRetentionLimit to 1 or more (days) and a snapshotWindow.`, store.urn);
        }
      }
    },
  ),
};
