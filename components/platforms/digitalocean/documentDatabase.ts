/**
 * A document database (kind document): a DigitalOcean managed MongoDB cluster of three
 * nodes (a primary and two standbys, automatic failover), in the stack's VPC, reachable
 * only from droplets carrying the node tags of the workloads that use it, over TLS with
 * DigitalOcean's private CA.
 *
 * Backups: DigitalOcean backs up managed MongoDB daily with point-in-time recovery for
 * 7 days; nothing to tune (as database.ts says for sql).
 *
 * Credentials: an app user (`DatabaseUser`, created by DigitalOcean in `admin`, so
 * `authSource=admin`) and the app's database (`DatabaseDb`).
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of DocumentDatabase. */
export interface DocumentDatabaseArgs {
  /** The size slug (the preset already resolved). */
  size: string;
  /** The node count (3: capabilities documentProblems). */
  members: number;
  /** The database the app uses. */
  databaseName: string;
  /** The app user's name. */
  username: string;
  /** The region slug, such as "fra1". */
  region: string;
  /** The VPC's id (`privateNetworkUuid`). */
  vpcId: pulumi.Input<string>;
  /** The node tags of the workloads that use it: the firewall admits these and nothing else. */
  sourceTags: pulumi.Input<string>[];
  /** Tags for the cluster. */
  tags: string[];
}

/** MongoDB major version: DigitalOcean offers 7 and 8 (verify before raising). */
const mongodbVersion = "7";

/** A three-node managed MongoDB cluster, its firewall, database and user. */
export class DocumentDatabase extends pulumi.ComponentResource {
  /** The private SRV host (`mongodb+srv`). */
  readonly host: pulumi.Output<string>;
  /** The replica set's name (DigitalOcean names it after the cluster). */
  readonly replicaSet: pulumi.Output<string>;
  /** The app user's name. */
  readonly username: pulumi.Output<string>;
  /** The app user's password (a secret). */
  readonly password: pulumi.Output<string>;
  /** The database name. */
  readonly databaseName: pulumi.Output<string>;
  /** The cluster's ID. */
  readonly clusterId: pulumi.Output<string>;
  /** DigitalOcean's CA certificate (PEM) that signs the cluster's. */
  readonly caCertificate: pulumi.Output<string>;

  constructor(name: string, args: DocumentDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:digitalocean:DocumentDatabase", name, {}, opts);
    // As database.ts: protect what holds the data (pulumi/pulumi#6191).
    const dataHolder = { parent: this, protect: true };
    const cluster = new digitalocean.DatabaseCluster(`${name}-document`, {
      engine: "mongodb",
      version: mongodbVersion,
      size: args.size,
      region: args.region,
      nodeCount: args.members,
      privateNetworkUuid: args.vpcId,
      maintenanceWindows: [{ day: "sunday", hour: "04:30" }],
      tags: args.tags,
    }, dataHolder);
    // Kept on delete, as database.ts: a stopped destroy must not leave the cluster open.
    new digitalocean.DatabaseFirewall(`${name}-document`, {
      clusterId: cluster.id,
      rules: args.sourceTags.map((value) => ({ type: "tag", value })),
    }, { parent: this, retainOnDelete: true });
    const database = new digitalocean.DatabaseDb(`${name}-document`, { clusterId: cluster.id, name: args.databaseName }, dataHolder);
    const user = new digitalocean.DatabaseUser(`${name}-document`, { clusterId: cluster.id, name: args.username }, dataHolder);

    this.host = cluster.privateHost;
    this.replicaSet = cluster.name;
    this.username = user.name;
    this.password = pulumi.secret(user.password);
    this.databaseName = database.name;
    this.clusterId = cluster.id;
    this.caCertificate = digitalocean.getDatabaseCaOutput({ clusterId: cluster.id }, { parent: this }).certificate;
    this.registerOutputs({ host: this.host, clusterId: this.clusterId });
  }
}
