/**
 * A replicated document database (kind `document`, engine mongodb): an Amazon DocumentDB
 * cluster of `members` instances across the private subnets' zones, encrypted at rest,
 * TLS enforced by its parameter group, backed up, protected from deletion, with its
 * credentials in Secrets Manager (the nodes read them at boot, as a sql resource's).
 *
 * DocumentDB's certificate is signed by the Amazon RDS CA (private): the workloads get the
 * regional bundle's URL (`caBundleUrl`) to fetch it at boot into their `caFile`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { serviceAccess } from "./serviceAccess";

/** The port DocumentDB listens on. */
export const documentPort = 27017;

/** Arguments of DocumentDatabase. */
export interface DocumentDatabaseArgs {
  /** The replica set's instances (primary + replicas). */
  members: number;
  /** The native instance class (the preset already resolved). */
  instanceClass: string;
  /** Days of automated backups. */
  backupRetentionDays: number;
  /** The admin user. */
  username: string;
  /** Private subnets, one per zone. */
  subnetIds: pulumi.Input<string>[];
  /** The VPC of its own security group (which admits nothing until a workload that uses it is given a rule). */
  vpcId: pulumi.Input<string>;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** The regional Amazon RDS CA bundle DocumentDB's certificates chain to. */
export function caBundleUrl(region: string): string {
  return `https://truststore.pki.rds.amazonaws.com/${region}/${region}-bundle.pem`;
}

/** An Amazon DocumentDB 5.0 cluster with `members` instances. */
export class DocumentDatabase extends pulumi.ComponentResource {
  /** The cluster endpoint (follows the primary). */
  readonly host: pulumi.Output<string>;
  /** Each instance's endpoint. */
  readonly memberHosts: pulumi.Output<string[]>;
  /** The admin user. */
  readonly username: string;
  /** The admin password (secret). */
  readonly password: pulumi.Output<string>;
  /** ARN of the Secrets Manager secret holding `username` and `password`. */
  readonly credentialsSecretArn: pulumi.Output<string>;
  /** Version of that secret (in the user data: new credentials roll the nodes). */
  readonly credentialsVersionId: pulumi.Output<string>;
  /** Its security group. */
  readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: DocumentDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:DocumentDatabase", name, {}, opts);
    const { tags } = args;
    const parent = { parent: this };
    // The cluster's only way in, and its credentials.
    const { securityGroupId, password, credentials } = serviceAccess(name, "docdb", { vpcId: args.vpcId, what: "Document database", username: args.username, tags }, this);
    const subnets = new aws.docdb.SubnetGroup(`${name}-docdb`, { subnetIds: args.subnetIds, tags }, parent);
    // `tls` is on by default in docdb5.0; set explicitly so a default change cannot turn it off.
    const parameters = new aws.docdb.ClusterParameterGroup(`${name}-docdb`, {
      family: "docdb5.0",
      description: `TLS required for ${name}`,
      parameters: [{ name: "tls", value: "enabled", applyMethod: "pending-reboot" }],
      tags,
    }, { ...parent, protect: true });

    const snapshotSuffix = new random.RandomId(`${name}-docdb-final-snapshot`, { byteLength: 4 }, parent);

    const cluster = new aws.docdb.Cluster(`${name}-docdb`, {
      engine: "docdb",
      engineVersion: "5.0.0",
      port: documentPort,
      storageEncrypted: true,
      deletionProtection: true,
      backupRetentionPeriod: args.backupRetentionDays,
      preferredBackupWindow: "03:00-04:00",
      preferredMaintenanceWindow: "sun:04:30-sun:05:30",
      masterUsername: args.username,
      masterPassword: password.result,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: pulumi.interpolate`${name}-docdb-final-${snapshotSuffix.hex}`,
      dbSubnetGroupName: subnets.name,
      dbClusterParameterGroupName: parameters.name,
      vpcSecurityGroupIds: [securityGroupId],
      enabledCloudwatchLogsExports: ["audit"],
      applyImmediately: false,
      tags,
    }, { parent: this, protect: true });

    const instances = Array.from({ length: args.members }, (_, i) =>
      new aws.docdb.ClusterInstance(`${name}-docdb-${i}`, {
        clusterIdentifier: cluster.id,
        instanceClass: args.instanceClass,
        autoMinorVersionUpgrade: true,
        applyImmediately: false,
        tags,
      }, { parent: this, protect: true }),
    );

    this.host = cluster.endpoint;
    this.memberHosts = pulumi.all(instances.map((i) => i.endpoint));
    this.username = args.username;
    this.password = pulumi.secret(password.result);
    this.credentialsSecretArn = credentials.arn;
    this.credentialsVersionId = credentials.versionId;
    this.securityGroupId = securityGroupId;
    this.registerOutputs({ host: this.host });
  }
}
