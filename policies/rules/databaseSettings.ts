/**
 * database-private, database-encrypted, database-backups, database-deletion-protection:
 * the data survives mistakes and stays private. Resource rules, one per promise, over the
 * database types of the four clouds (a DigitalOcean cluster's trusted sources are a
 * separate resource, so database-private is a stack rule).
 */
import type { PolicyConfigSchema, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { forTypes, overStack, settingsOf, type PropsCheck } from "../dispatch";
import { num, obj, objects, str, worldCidrs } from "../props";
import { aws, digitalocean, gcp, kubernetes } from "../resourceTypes";
import { describe, type StackView } from "../stackView";
import { digitaloceanFirewallProblem, isReplica } from "./databases";

/** DigitalOcean clusters of the SQL and key-value engines (MongoDB ones are judged by the document-* rules). */
const sqlClusters = (view: StackView) => view.ofType(digitalocean.databaseCluster).filter((c) => (str(c.props.engine) ?? "").toLowerCase() !== "mongodb");

/** Declares a DigitalOcean MongoDB cluster not applicable: the document-* rules judge it. */
function notMongo(check: PropsCheck): PropsCheck {
  return (props, report, args) => {
    if ((str(props.engine) ?? "").toLowerCase() === "mongodb") return args.notApplicable("a MongoDB cluster is judged by the document-* rules");
    check(props, report, args);
  };
}

/** Runs a check on primaries only (read replicas take these settings from their primary). */
function primaryOnly(check: PropsCheck): PropsCheck {
  return (props, report, args) => {
    if (isReplica(props)) return args.notApplicable("read replicas take this setting from their primary");
    check(props, report, args);
  };
}

export const databasePrivate: StackValidationPolicy = {
  name: "database-private",
  description:
    "Databases have no public endpoint: RDS publiclyAccessible false, Cloud SQL with ipv4Enabled false (private IP only), a " +
    "DigitalOcean cluster restricted by a DatabaseFirewall to the nodes. Only the nodes reach the database.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: overStack(
    (view) => [aws.dbInstance, aws.dbClusterInstance, gcp.sqlInstance].some((t) => view.ofType(t).length > 0) || sqlClusters(view).length > 0,
    "the stack has no RDS, Cloud SQL or DigitalOcean database",
    (view, report) => {
      for (const db of [...view.ofType(aws.dbInstance), ...view.ofType(aws.dbClusterInstance)]) {
        if (db.props.publiclyAccessible === true) report(`${describe(db)} is publicly accessible: set publiclyAccessible to false and reach it from the nodes' security group.`, db.urn);
      }
      for (const db of view.ofType(gcp.sqlInstance)) {
        const ip = obj(db.props, "settings.ipConfiguration");
        if (ip.ipv4Enabled !== false) {
          const open = objects(ip.authorizedNetworks).some((n) => worldCidrs.includes(str(n.value) ?? ""));
          report(`${describe(db)} has a public IP${open ? " open to the whole internet" : ""}: set settings.ipConfiguration.ipv4Enabled to false and privateNetwork to the nodes' VPC.`, db.urn);
        }
      }
      for (const cluster of sqlClusters(view)) {
        const problem = digitaloceanFirewallProblem(view, cluster);
        if (problem) report(problem, cluster.urn);
      }
    },
  ),
};

export const databaseEncryption: ResourceValidationPolicy = {
  name: "database-encrypted",
  description:
    "Database storage is encrypted at rest: RDS instances and Aurora clusters set storageEncrypted (off by default). Cloud SQL and " +
    "DigitalOcean always encrypt; CloudNativePG depends on the cluster's storage class.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forTypes({
    [aws.dbInstance]: (props, report) => {
      if (props.storageEncrypted !== true) report("storageEncrypted is off: set it to true (changing it later replaces the database).");
    },
    [aws.dbCluster]: (props, report) => {
      if (props.storageEncrypted !== true && !props.dbClusterInstanceClass) report("storageEncrypted is off: set it to true (changing it later replaces the cluster).");
    },
  }),
};

/** Config of database-backups. */
export interface BackupConfig {
  /** The fewest days of backups (and point-in-time recovery) to keep. */
  minRetentionDays: number;
}

/** Days in a CloudNativePG retention policy ("30d", "4w", "3m"). */
function retentionDays(policy: string | undefined): number | undefined {
  const match = /^(\d+)([dwm])$/.exec(policy ?? "");
  if (!match) return undefined;
  return Number(match[1]) * { d: 1, w: 7, m: 30 }[match[2] as "d" | "w" | "m"];
}

const backupSchema: PolicyConfigSchema = {
  properties: {
    minRetentionDays: { type: "integer", minimum: 1, maximum: 35, default: 7, description: "The fewest days of backups to keep." },
  },
};

export const databaseBackups: ResourceValidationPolicy = {
  name: "database-backups",
  description:
    "Databases keep automated backups with point-in-time recovery for at least `minRetentionDays` (default 7): RDS/Aurora " +
    "backupRetentionPeriod, Cloud SQL backups with point-in-time recovery (or binary logs) and enough retained backups, a CloudNativePG " +
    "backup with a retentionPolicy. DigitalOcean keeps 7 days automatically.",
  enforcementLevel: "mandatory",
  severity: "high",
  configSchema: backupSchema,
  validateResource: forTypes({
    [aws.dbInstance]: primaryOnly((props, report, args) => {
      const { minRetentionDays } = settingsOf<BackupConfig>(backupSchema, args);
      const days = num(props.backupRetentionPeriod) ?? 0;
      if (days < minRetentionDays) report(`backupRetentionPeriod is ${days} day(s): keep at least ${minRetentionDays} (ha-topology:database.backupRetentionDays).`);
    }),
    [aws.dbCluster]: (props, report, args) => {
      const { minRetentionDays } = settingsOf<BackupConfig>(backupSchema, args);
      const days = num(props.backupRetentionPeriod) ?? 1;
      if (days < minRetentionDays) report(`backupRetentionPeriod is ${days} day(s): keep at least ${minRetentionDays}.`);
    },
    [gcp.sqlInstance]: primaryOnly((props, report, args) => {
      const { minRetentionDays } = settingsOf<BackupConfig>(backupSchema, args);
      const backup = obj(props, "settings.backupConfiguration");
      const mysql = (str(props.databaseVersion) ?? "").startsWith("MYSQL");
      if (backup.enabled !== true) return report("automated backups are off: set settings.backupConfiguration.enabled to true.");
      if (mysql ? backup.binaryLogEnabled !== true : backup.pointInTimeRecoveryEnabled !== true) {
        report(`point-in-time recovery is off: set settings.backupConfiguration.${mysql ? "binaryLogEnabled" : "pointInTimeRecoveryEnabled"} to true.`);
      }
      const kept = num(backup, "backupRetentionSettings.retainedBackups") ?? 7;
      if (kept < minRetentionDays) report(`only ${kept} daily backups are kept: set backupRetentionSettings.retainedBackups to at least ${minRetentionDays}.`);
    }),
    [digitalocean.databaseCluster]: notMongo((_props, report, args) => {
      const { minRetentionDays } = settingsOf<BackupConfig>(backupSchema, args);
      if (minRetentionDays > 7) report(`DigitalOcean keeps backups for 7 days, fewer than the ${minRetentionDays} required: export backups elsewhere or lower minRetentionDays.`);
    }),
    [kubernetes.postgresCluster]: (props, report, args) => {
      const { minRetentionDays } = settingsOf<BackupConfig>(backupSchema, args);
      const backup = obj(props, "spec.backup");
      if (Object.keys(backup).length === 0) return report("has no spec.backup: configure barmanObjectStore (continuous WAL archiving gives point-in-time recovery) and a ScheduledBackup.");
      const days = retentionDays(str(backup.retentionPolicy));
      if (days === undefined || days < minRetentionDays) report(`spec.backup.retentionPolicy is ${str(backup.retentionPolicy) ?? "unset"}: keep at least "${minRetentionDays}d".`);
    },
  }),
};

export const databaseDeletionProtection: ResourceValidationPolicy = {
  name: "database-deletion-protection",
  description:
    "Databases cannot be deleted by a stray `pulumi destroy` or a replacement: RDS/Aurora deletionProtection, Cloud SQL " +
    "deletionProtection left on; DigitalOcean clusters and CloudNativePG Clusters, which have no such flag, use Pulumi's `protect` option.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forTypes({
    [aws.dbInstance]: primaryOnly((props, report) => {
      if (props.deletionProtection !== true) report("deletionProtection is off: set it to true.");
    }),
    [aws.dbCluster]: (props, report) => {
      if (props.deletionProtection !== true) report("deletionProtection is off: set it to true.");
    },
    [gcp.sqlInstance]: primaryOnly((props, report) => {
      if (props.deletionProtection === false) report("deletionProtection is false: leave it on (the provider's default) so Pulumi refuses to delete the instance.");
    }),
    [digitalocean.databaseCluster]: notMongo((_props, report, args) => {
      if (!args.opts.protect) report("the cluster has no deletion protection flag: create it with the resource option { protect: true }.");
    }),
    [kubernetes.postgresCluster]: (_props, report, args) => {
      if (!args.opts.protect) report("deleting the Cluster deletes its volumes: create it with the resource option { protect: true }.");
    },
  }),
};
