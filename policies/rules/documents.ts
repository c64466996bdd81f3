/**
 * document-replicated, document-private, document-encrypted, document-backups,
 * document-deletion-protection: a document database (MongoDB and its kin) survives a zone
 * failure, stays private and encrypted, keeps backups and cannot be deleted by accident, on
 * the four clouds: Amazon DocumentDB, Firestore, DigitalOcean managed MongoDB, and the
 * Percona and MongoDB Community operators' custom resources on Kubernetes.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { awsIngress } from "../nodeGroups";
import { forTypes, overStack } from "../dispatch";
import { bool, list, num, obj, objects, str } from "../props";
import { aws, digitalocean, gcp, kubernetes } from "../resourceTypes";
import { describe, unique, type StackView } from "../stackView";
import { digitaloceanFirewallProblem, isDocumentCluster } from "./databases";

/** The zone topology key: the only spread that survives the loss of a zone. */
export const zoneKey = "topology.kubernetes.io/zone";

/** The document databases of a stack, of every kind the rules know. */
export function documentDatabases(view: StackView): PolicyResource[] {
  return [
    ...view.ofType([aws.docdbCluster, gcp.firestoreDatabase, kubernetes.perconaMongo, kubernetes.communityMongo]),
    ...view.ofType(digitalocean.databaseCluster).filter(isDocumentCluster),
  ];
}

const relevant = (view: StackView) => documentDatabases(view).length > 0;
const noDocuments = "the stack has no document database (DocumentDB, Firestore, DigitalOcean MongoDB, Percona or MongoDB Community resource)";

/** Percona's replica sets (spec.replsets; sharded clusters list their config servers' one too). */
function perconaReplsets(cr: PolicyResource): { name: string; replset: Record<string, unknown> }[] {
  const sets = objects(cr.props, "spec.replsets").map((r, i) => ({ name: str(r.name) ?? `replsets[${i}]`, replset: r }));
  const cfg = obj(cr.props, "spec.sharding.configsvrReplSet");
  return bool(cr.props, "spec.sharding.enabled") === true && Object.keys(cfg).length > 0 ? [...sets, { name: "configsvrReplSet", replset: cfg }] : sets;
}

/** What keeps a Percona replica set's members in different zones, or undefined. */
function spreadsOverZones(replset: Record<string, unknown>): boolean {
  if (str(replset, "affinity.antiAffinityTopologyKey") === zoneKey) return true;
  return objects(replset.topologySpreadConstraints).some((c) => str(c.topologyKey) === zoneKey);
}

export const documentReplication: StackValidationPolicy = {
  name: "document-replicated",
  description:
    "Document databases keep copies in several zones with automatic failover: a DocumentDB cluster with 2 or more ClusterInstances (not all " +
    "pinned to one availabilityZone), a DigitalOcean MongoDB cluster with nodeCount 3, Percona replsets of size 3 or more spread over zones " +
    `(affinity.antiAffinityTopologyKey or topologySpreadConstraints on ${zoneKey}; the default, kubernetes.io/hostname, may put every member ` +
    "in one zone), a MongoDBCommunity with spec.members 3 or more. Firestore replicates itself (a regional database over 3 zones, or multi-region).",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: overStack(relevant, noDocuments, (view, report) => {
    for (const cluster of view.ofType(aws.docdbCluster)) {
      const instances = view.referrers(cluster, aws.docdbClusterInstance, "clusterIdentifier");
      if (instances.length < 2) {
        report(`${describe(cluster)} has ${instances.length} instance(s): DocumentDB fails over only to another instance; add a second ClusterInstance with the same clusterIdentifier (DocumentDB places it in another AZ).`, cluster.urn);
        continue;
      }
      const zones = instances.map((i) => str(i.props.availabilityZone));
      if (zones.every((z) => z !== undefined) && unique(zones).length === 1) {
        report(`${describe(cluster)}'s ${instances.length} instances are all pinned to ${zones[0]}: a zone failure takes them all; put them in different availabilityZones or leave availabilityZone unset.`, cluster.urn);
      }
    }
    for (const cluster of view.ofType(digitalocean.databaseCluster).filter(isDocumentCluster)) {
      const nodes = num(cluster.props.nodeCount) ?? 1;
      if (nodes < 3) report(`${describe(cluster)} has ${nodes} node: a DigitalOcean MongoDB cluster has 1 or 3; set nodeCount to 3 for a replica set with automatic failover.`, cluster.urn);
    }
    for (const cr of view.ofType(kubernetes.perconaMongo)) {
      const sets = perconaReplsets(cr);
      if (sets.length === 0) report(`${describe(cr)} declares no spec.replsets: declare one with size 3 spread over zones.`, cr.urn);
      for (const { name, replset } of sets) {
        const size = num(replset.size);
        if (size === undefined || size < 3) {
          report(`${describe(cr)}'s replica set ${name} has size ${size ?? "unset"}: set size to 3 or more (a primary and two secondaries that can elect a new primary).`, cr.urn);
        } else if (!spreadsOverZones(replset)) {
          const key = str(replset, "affinity.antiAffinityTopologyKey") ?? "kubernetes.io/hostname (the operator default)";
          report(`${describe(cr)}'s replica set ${name} spreads its members by ${key} only: all of them may land in one zone. Set affinity.antiAffinityTopologyKey to "${zoneKey}" or a topologySpreadConstraint on that key.`, cr.urn);
        }
      }
    }
    for (const cr of view.ofType(kubernetes.communityMongo)) {
      const members = num(cr.props, "spec.members") ?? 0;
      if (members < 3) report(`${describe(cr)} has spec.members ${members}: set it to 3 or more for a replica set that elects a new primary.`, cr.urn);
    }
  }),
};

export const documentPrivate: StackValidationPolicy = {
  name: "document-private",
  description:
    "Document databases are reachable from the nodes only: a DocumentDB cluster (VPC only, no public endpoint) whose security groups admit " +
    "no 0.0.0.0/0 or ::/0; a DigitalOcean MongoDB cluster restricted by a DatabaseFirewall to the nodes; Percona replsets not exposed " +
    "through a LoadBalancer Service. Firestore is an API guarded by IAM, with no network endpoint to open: it passes; a MongoDBCommunity " +
    "is reached through its in-cluster Service: it passes.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: overStack(relevant, noDocuments, (view, report) => {
    for (const cluster of view.ofType(aws.docdbCluster)) {
      for (const sg of view.refs(cluster, "vpcSecurityGroupIds", aws.securityGroup)) {
        const open = awsIngress(view, sg).find((i) => i.world);
        if (open) report(`${describe(cluster)}'s security group ${sg.name} admits the whole internet (through ${open.owner.name}): admit only the nodes' security group.`, cluster.urn);
      }
    }
    for (const cluster of view.ofType(digitalocean.databaseCluster).filter(isDocumentCluster)) {
      const problem = digitaloceanFirewallProblem(view, cluster);
      if (problem) report(problem, cluster.urn);
    }
    for (const cr of view.ofType(kubernetes.perconaMongo)) {
      for (const { name, replset } of perconaReplsets(cr)) {
        if (bool(replset, "expose.enabled") === true && ["LoadBalancer", "NodePort"].includes(str(replset, "expose.type") ?? str(replset, "expose.exposeType") ?? "")) {
          report(`${describe(cr)}'s replica set ${name} is exposed outside the cluster (expose.type ${str(replset, "expose.type") ?? str(replset, "expose.exposeType")}): use ClusterIP, or set expose.enabled false.`, cr.urn);
        }
      }
    }
  }),
};

/** The DocumentDB cluster parameter groups a cluster uses that turn TLS off. */
function tlsDisabledBy(view: StackView, cluster: PolicyResource): PolicyResource[] {
  return view
    .refs(cluster, "dbClusterParameterGroupName", aws.docdbClusterParameterGroup)
    .filter((g) => objects(g.props.parameters).some((p) => str(p.name) === "tls" && str(p.value) === "disabled"));
}

export const documentEncryption: StackValidationPolicy = {
  name: "document-encrypted",
  description:
    "Document databases encrypt data at rest and in transit: DocumentDB storageEncrypted true (off by default; changing it replaces the " +
    "cluster) and no cluster parameter group with tls disabled; Percona spec.tls.mode requireTLS (unset means the operator's default, " +
    "preferTLS, which still accepts plain connections) and no spec.unsafeFlags.tls; MongoDBCommunity spec.security.tls.enabled. Firestore " +
    "and DigitalOcean always encrypt at rest and take TLS only.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: overStack(relevant, noDocuments, (view, report) => {
    for (const cluster of view.ofType(aws.docdbCluster)) {
      if (cluster.props.storageEncrypted !== true) report(`${describe(cluster)} does not encrypt its storage: set storageEncrypted to true (changing it later replaces the cluster).`, cluster.urn);
      for (const group of tlsDisabledBy(view, cluster)) {
        report(`${describe(cluster)} uses parameter group ${group.name}, which sets tls to disabled: remove that parameter (the default is enabled).`, cluster.urn);
      }
    }
    for (const cr of view.ofType(kubernetes.perconaMongo)) {
      if (bool(cr.props, "spec.unsafeFlags.tls") === true) report(`${describe(cr)} sets spec.unsafeFlags.tls: remove it and keep TLS on.`, cr.urn);
      const mode = str(cr.props, "spec.tls.mode");
      if (mode !== "requireTLS") {
        report(`${describe(cr)}'s spec.tls.mode is ${mode ?? "unset (the operator's default, preferTLS)"}: set it to "requireTLS" so no client talks to the database in clear text.`, cr.urn);
      }
    }
    for (const cr of view.ofType(kubernetes.communityMongo)) {
      if (bool(cr.props, "spec.security.tls.enabled") !== true) report(`${describe(cr)} takes plain connections: set spec.security.tls.enabled to true (with certificateKeySecretRef and caConfigMapRef).`, cr.urn);
    }
  }),
};

export const documentBackups: StackValidationPolicy = {
  name: "document-backups",
  description:
    "Document databases keep automated backups: DocumentDB backupRetentionPeriod 1 or more (the provider's default is 1 day); Firestore " +
    "pointInTimeRecoveryEnablement POINT_IN_TIME_RECOVERY_ENABLED or a BackupSchedule for the database; Percona spec.backup.enabled with a " +
    "storage and a task. DigitalOcean backs up its managed MongoDB itself. The MongoDB Community operator takes no backups: a " +
    "MongoDBCommunity fails (use the Percona operator, or a managed database).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: overStack(relevant, noDocuments, (view, report) => {
    for (const cluster of view.ofType(aws.docdbCluster)) {
      const days = num(cluster.props.backupRetentionPeriod) ?? 1;
      if (days < 1) report(`${describe(cluster)} keeps ${days} days of backups: set backupRetentionPeriod to 1 or more (ha-topology:database.backupRetentionDays).`, cluster.urn);
    }
    for (const db of view.ofType(gcp.firestoreDatabase)) {
      if (str(db.props.pointInTimeRecoveryEnablement) === "POINT_IN_TIME_RECOVERY_ENABLED") continue;
      if (view.referrers(db, gcp.firestoreBackupSchedule, "database").length > 0) continue;
      report(`${describe(db)} keeps no backup: set pointInTimeRecoveryEnablement to "POINT_IN_TIME_RECOVERY_ENABLED" or add a firestore.BackupSchedule for it.`, db.urn);
    }
    for (const cr of view.ofType(kubernetes.perconaMongo)) {
      const backup = obj(cr.props, "spec.backup");
      const missing = [
        ...(bool(backup.enabled) !== true ? ["enabled true"] : []),
        ...(Object.keys(obj(backup.storages)).length === 0 ? ["a storage (S3, GCS or Azure)"] : []),
        ...(list(backup.tasks).length === 0 ? ["a scheduled task"] : []),
      ];
      if (missing.length > 0) report(`${describe(cr)} has no working backup: set spec.backup ${missing.join(", ")}.`, cr.urn);
    }
    for (const cr of view.ofType(kubernetes.communityMongo)) {
      report(`${describe(cr)}: the MongoDB Community operator takes no backups; run the Percona operator with spec.backup, or a managed database.`, cr.urn);
    }
  }),
};

export const documentDeletionProtection: ResourceValidationPolicy = {
  name: "document-deletion-protection",
  description:
    "Document databases cannot be deleted by a stray `pulumi destroy` or a replacement: DocumentDB deletionProtection true, Firestore " +
    "deleteProtectionState DELETE_PROTECTION_ENABLED; DigitalOcean MongoDB clusters and the Percona and MongoDB Community custom resources, " +
    "which have no such flag (deleting the resource deletes the data), use Pulumi's `protect` option.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forTypes({
    [aws.docdbCluster]: (props, report) => {
      if (props.deletionProtection !== true) report("deletionProtection is off: set it to true.");
    },
    [gcp.firestoreDatabase]: (props, report) => {
      if (str(props.deleteProtectionState) !== "DELETE_PROTECTION_ENABLED") report(`deleteProtectionState is ${str(props.deleteProtectionState) ?? "unset (disabled)"}: set it to "DELETE_PROTECTION_ENABLED".`);
    },
    [digitalocean.databaseCluster]: (props, report, args) => {
      if ((str(props.engine) ?? "").toLowerCase() !== "mongodb") return args.notApplicable("judged by database-deletion-protection");
      if (!args.opts.protect) report("the MongoDB cluster has no deletion protection flag: create it with the resource option { protect: true }.");
    },
    [kubernetes.perconaMongo]: (_props, report, args) => {
      if (!args.opts.protect) report("deleting the PerconaServerMongoDB deletes its replica sets (and, with the delete-psmdb-pvc finalizer, its volumes): create it with the resource option { protect: true }.");
    },
    [kubernetes.communityMongo]: (_props, report, args) => {
      if (!args.opts.protect) report("deleting the MongoDBCommunity deletes its replica set: create it with the resource option { protect: true }.");
    },
  }),
};
