/**
 * The replicated database: RDS Multi-AZ (a synchronous standby in another zone with
 * automatic failover), private, encrypted, TLS enforced, backed up with point-in-time
 * recovery, protected from deletion, with its credentials in Secrets Manager.
 *
 * The password is generated here rather than by RDS (`manageMasterUserPassword`): an
 * RDS-managed password rotates every 7 days underneath running nodes, which read it at
 * boot, and RDS refuses read replicas of such an instance. Ours changes only through
 * `pulumi up`, which also rolls the nodes; it is a secret in Pulumi state (encrypted).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { DatabaseSpec } from "../../topology";
import { JsonSecret } from "./jsonSecret";

/** Arguments of Database. */
export interface DatabaseArgs {
  /** The database part of the topology. */
  spec: DatabaseSpec;
  /** The native instance class (the preset already resolved). */
  instanceClass: string;
  /** Private subnets, one per zone. */
  subnetIds: pulumi.Input<string>[];
  /**
   * The database's security group (admits the nodes only). Unset: the database gets its own
   * group in `vpcId`, which admits nothing until a workload that uses it is given a rule.
   */
  securityGroupId?: pulumi.Input<string>;
  /** The VPC of the database's own group (when `securityGroupId` is unset). */
  vpcId?: pulumi.Input<string>;
  /** Tags for every resource. */
  tags: Record<string, string>;
  /** The guard of the create-only settings (DatabaseIdentity): the database waits for its check. */
  identity?: pulumi.Resource;
}

/** Engine facts RDS needs: default port and parameter group family. */
export const engineFacts = {
  postgres: {
    port: 5432,
    family: (version: string) => `postgres${version.split(".")[0]}`,
    forceTls: { name: "rds.force_ssl", value: "1" },
  },
  mysql: {
    port: 3306,
    family: (version: string) => `mysql${version.split(".").slice(0, 2).join(".")}`,
    forceTls: { name: "require_secure_transport", value: "1" },
  },
} as const;

/** An RDS Multi-AZ instance, plus read replicas when asked. */
export class Database extends pulumi.ComponentResource {
  /** Host name of the primary (follows failover). */
  readonly host: pulumi.Output<string>;
  /** The port. */
  readonly port: number;
  /** host:port. */
  readonly endpoint: pulumi.Output<string>;
  /** ARN of the Secrets Manager secret holding `username` and `password`. */
  readonly credentialsSecretArn: pulumi.Output<string>;
  /** Version of that secret: in the user data, so new credentials roll the nodes. */
  readonly credentialsVersionId: pulumi.Output<string>;
  /** Host names of the read replicas. */
  readonly replicaHosts: pulumi.Output<string[]>;
  /** The admin user. */
  readonly username: string;
  /** The admin password (secret). */
  readonly password: pulumi.Output<string>;
  /** The database's security group. */
  readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:Database", name, {}, opts);
    const { spec, tags } = args;
    const parent = { parent: this };
    const engine = engineFacts[spec.engine];
    const securityGroupId = args.securityGroupId !== undefined
      ? pulumi.output(args.securityGroupId)
      : new aws.ec2.SecurityGroup(`${name}-db`, { vpcId: args.vpcId!, description: "Database: from the workloads that use it only", tags: { ...tags, Name: `${name}-db` } }, parent).id;

    const subnets = new aws.rds.SubnetGroup(`${name}-db`, { subnetIds: args.subnetIds, tags }, parent);
    const parameters = new aws.rds.ParameterGroup(`${name}-db`, {
      family: engine.family(spec.version),
      parameters: [{ ...engine.forceTls, applyMethod: "pending-reboot" }],
      tags,
    }, parent);

    // RDS allows printable ASCII except / " @ and space in passwords; letters and digits avoid
    // every quoting problem at 256 bits of entropy.
    const password = new random.RandomPassword(`${name}-db`, { length: 43, special: false }, parent);
    const credentials = new JsonSecret(`${name}-db-credentials`, {
      description: `Database credentials of ${name}, read by the nodes at boot`,
      values: { username: spec.username, password: password.result },
      tags,
    }, parent);
    // A stable suffix, so a destroy after a re-create does not collide with an old snapshot.
    const snapshotSuffix = new random.RandomId(`${name}-db-final-snapshot`, { byteLength: 4 }, parent);

    const primary = new aws.rds.Instance(`${name}-db`, {
      engine: spec.engine,
      engineVersion: spec.version,
      autoMinorVersionUpgrade: true,
      instanceClass: args.instanceClass,
      allocatedStorage: spec.storageGb,
      maxAllocatedStorage: spec.maxStorageGb,
      storageType: "gp3",
      storageEncrypted: true,
      multiAz: true,
      publiclyAccessible: false,
      port: engine.port,
      dbSubnetGroupName: subnets.name,
      vpcSecurityGroupIds: [securityGroupId],
      parameterGroupName: parameters.name,
      dbName: spec.name,
      username: spec.username,
      password: password.result,
      backupRetentionPeriod: spec.backupRetentionDays,
      copyTagsToSnapshot: true,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: pulumi.interpolate`${name}-db-final-${snapshotSuffix.hex}`,
      deleteAutomatedBackups: false,
      // Changes wait for the maintenance window instead of restarting the database now.
      applyImmediately: false,
      tags,
    }, {
      parent: this,
      // Besides RDS's deletion protection: a change to a create-only setting (dbName,
      // username, engine) would replace the instance, and create-before-delete would move
      // the app onto the new, empty one before RDS refused the old one's deletion. Pulumi
      // refuses the replacement at preview (DatabaseIdentity explains it first).
      protect: true,
      dependsOn: args.identity ? [args.identity] : [],
    });

    const replicas = Array.from({ length: spec.readReplicas }, (_, i) =>
      new aws.rds.Instance(`${name}-db-replica-${i}`, {
        replicateSourceDb: primary.identifier,
        instanceClass: args.instanceClass,
        storageEncrypted: true,
        publiclyAccessible: false,
        vpcSecurityGroupIds: [securityGroupId],
        parameterGroupName: parameters.name,
        autoMinorVersionUpgrade: true,
        // A replica holds no data of its own (the primary's backups cover it), so it
        // may be removed when `database.readReplicas` goes down.
        skipFinalSnapshot: true,
        backupRetentionPeriod: 0,
        deletionProtection: false,
        tags,
      }, parent).address,
    );

    this.replicaHosts = pulumi.all(replicas);
    this.host = primary.address;
    this.port = engine.port;
    this.endpoint = pulumi.interpolate`${primary.address}:${engine.port}`;
    this.credentialsSecretArn = credentials.arn;
    this.credentialsVersionId = credentials.versionId;
    this.username = spec.username;
    this.password = pulumi.secret(password.result);
    this.securityGroupId = securityGroupId;
    this.registerOutputs({ endpoint: this.endpoint });
  }
}
