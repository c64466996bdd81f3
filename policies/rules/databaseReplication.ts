/**
 * database-replicated: the database survives the loss of its primary (a standby in
 * another zone with automatic failover, or a cluster of at least two nodes).
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { overStack } from "../dispatch";
import { num, str } from "../props";
import { aws, digitalocean, gcp, kubernetes } from "../resourceTypes";
import { describe } from "../stackView";
import { isDocumentCluster, isReplica, selfHostedDatabases, sqlDatabases } from "./databases";

export const databaseReplication: StackValidationPolicy = {
  name: "database-replicated",
  description:
    "Databases fail over automatically to a standby in another zone: RDS with multiAz, Aurora with at least two cluster instances, Cloud " +
    "SQL with availabilityType REGIONAL, a DigitalOcean database cluster with nodeCount >= 2 (MongoDB clusters: see document-replicated), a CloudNativePG Cluster with instances >= 2, a database " +
    "(mongo, mysql, postgres, ... images) run in a Deployment or StatefulSet with more than one pod. " +
    "Read replicas are judged through their primary.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: overStack(
    (view) => sqlDatabases(view).length > 0 || selfHostedDatabases(view).length > 0,
    "the stack has no database",
    (view, report) => {
      for (const db of view.ofType(aws.dbInstance).filter((d) => !isReplica(d.props))) {
        if (db.props.multiAz !== true) report(`${describe(db)} runs in one zone: set multiAz to true for a synchronous standby with automatic failover.`, db.urn);
      }
      for (const cluster of view.ofType(aws.dbCluster)) {
        // Multi-AZ DB clusters (non-Aurora, dbClusterInstanceClass set) carry their two readable standbys themselves.
        if (cluster.props.dbClusterInstanceClass) continue;
        const members = view.referrers(cluster, aws.dbClusterInstance, "clusterIdentifier").length;
        if (members < 2) report(`${describe(cluster)} has ${members} instance(s): Aurora fails over only to another instance; add a second ClusterInstance (in another AZ).`, cluster.urn);
      }
      for (const db of view.ofType(gcp.sqlInstance).filter((d) => !isReplica(d.props))) {
        const availability = str(db.props, "settings.availabilityType") ?? "ZONAL";
        if (availability !== "REGIONAL") report(`${describe(db)} is ${availability}: set settings.availabilityType to "REGIONAL" for a standby in another zone.`, db.urn);
      }
      for (const cluster of view.ofType(digitalocean.databaseCluster).filter((c) => !isDocumentCluster(c))) {
        const nodes = num(cluster.props.nodeCount) ?? 1;
        if (nodes < 2) report(`${describe(cluster)} has ${nodes} node: set nodeCount to 2 or more to get a standby node with automatic failover.`, cluster.urn);
      }
      for (const cluster of view.ofType(kubernetes.postgresCluster)) {
        const instances = num(cluster.props, "spec.instances") ?? 1;
        if (instances < 2) report(`${describe(cluster)} has ${instances} instance: set spec.instances to 2 or more (a primary and a streaming standby).`, cluster.urn);
      }
      // A database in a Deployment or StatefulSet: one pod is one copy. More replicas may or may not
      // replicate (that is the engine's own setup), so only a single pod is reported.
      for (const db of selfHostedDatabases(view)) {
        if (db.replicas !== undefined && db.replicas < 2) {
          report(`${describe(db.resource)} runs a ${db.engine} database in ${db.replicas} pod: when the pod or its node fails the database is down, with nothing to fail over to. Run it replicated (an operator such as CloudNativePG, Percona or the MongoDB operator, with 2 or more instances) or use a managed database with a standby in another zone.`, db.resource.urn);
        }
      }
    },
  ),
};
