/**
 * The replicated database: a DigitalOcean managed PostgreSQL or MySQL cluster of two
 * nodes (a primary and a standby that DigitalOcean promotes automatically when the
 * primary fails), in the stack's VPC, reachable only from droplets carrying the nodes'
 * tag, protected from deletion by Pulumi, plus optional read-only replicas.
 *
 * Backups: DigitalOcean takes a daily backup of every PostgreSQL and MySQL cluster and
 * keeps it, with point-in-time recovery, for 7 days. There is nothing to switch on and
 * nothing to tune, so `database.backupRetentionDays` above 7 cannot be honoured here (the
 * topology refuses fewer than 7; the ha-guard rule database-backups flags a policy
 * minimum above 7 on DigitalOcean). Storage is always encrypted at rest.
 *
 * Credentials: the app uses the cluster's admin user (`doadmin`, as the AWS adapter uses
 * the RDS master user). DigitalOcean creates the database owned by `doadmin`, and on
 * PostgreSQL 15+ another user could not create tables in `public` without a grant the
 * provider cannot express; `database.username` is therefore not used here. The password
 * is DigitalOcean's, a secret in Pulumi state and in every output here. DigitalOcean has
 * no secret store, so the adapter decides how the nodes receive it (see its index).
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { DatabaseEngine, DatabaseSpec } from "../../topology";

/** Arguments of Database. */
export interface DatabaseArgs {
  /** The database part of the topology. */
  spec: DatabaseSpec;
  /** The DigitalOcean database size slug (the preset already resolved), such as "db-s-1vcpu-2gb". */
  size: string;
  /** The region slug of the cluster and its replicas, such as "fra1" (the droplets' region). */
  region: string;
  /** The VPC's id: the cluster and its replicas get their private addresses in it (`privateNetworkUuid`). */
  vpcId: pulumi.Input<string>;
  /**
   * The node tags of the workloads that use the database: its firewall admits droplets
   * with one of these tags and nothing else.
   */
  sourceTags: pulumi.Input<string>[];
  /** Tags for the cluster and its replicas (DigitalOcean tags: letters, digits, `-`, `_` and `:`). */
  tags: string[];
  /** The guard of the create-only settings (DatabaseIdentity): the database's resources wait for its check. */
  identity?: pulumi.Resource;
}

/** The DigitalOcean engine slug for each topology engine. */
export const engineSlugs: Record<DatabaseEngine, string> = { postgres: "pg", mysql: "mysql" };

/**
 * The disk, in GiB, each standard plan includes (DigitalOcean's price list for PostgreSQL
 * and MySQL). A cluster cannot have less than its plan includes, so `storageSizeMib` is
 * set only when the topology asks for more; other plans (general purpose, storage or
 * memory optimized) keep their included disk unless `storageGb` is raised in the
 * control panel.
 */
const includedStorageGb: Record<string, number> = {
  "db-s-1vcpu-1gb": 10,
  "db-s-1vcpu-2gb": 30,
  "db-s-2vcpu-4gb": 60,
  "db-s-4vcpu-8gb": 140,
  "db-s-6vcpu-16gb": 290,
  "db-s-8vcpu-32gb": 580,
  "db-s-16vcpu-64gb": 1120,
};

/**
 * `storageSizeMib` for a plan and a requested size: undefined (the plan's own disk) when
 * the plan already includes at least `storageGb` or is not in the table; otherwise the
 * request rounded up to DigitalOcean's 10 GiB increments, in MiB (a string, as the
 * provider wants it).
 */
export function storageSizeMib(size: string, storageGb: number): string | undefined {
  const included = includedStorageGb[size];
  if (included === undefined || storageGb <= included) return undefined;
  return String(Math.ceil(storageGb / 10) * 10 * 1024);
}

/**
 * Server connections of the PgBouncer pool: about 10 per GiB of the plan's memory
 * (DigitalOcean allows about 25 per GiB in all, less 3 reserved), so direct connections
 * (migrations, the console, monitoring) keep room. 20 when the slug names no memory.
 */
export function poolSize(size: string): number {
  const memoryGb = Number(/-(\d+)gb(?:-|$)/.exec(size)?.[1] ?? 2);
  return Math.max(10, Math.min(200, memoryGb * 10));
}

/** A two-node managed cluster (automatic failover), its firewall, database, user, pool and replicas. */
export class Database extends pulumi.ComponentResource {
  /**
   * Private host the app connects to: the connection pool's on PostgreSQL, the cluster's
   * on MySQL. Both follow a failover to the standby.
   */
  readonly host: pulumi.Output<string>;
  /** The port of `host` (the pool's, 25061 on DigitalOcean, or the cluster's, 25060). */
  readonly port: pulumi.Output<number>;
  /** host:port. */
  readonly endpoint: pulumi.Output<string>;
  /**
   * The cluster's own private host, bypassing the pool (equal to `host` on MySQL): for
   * migrations and anything that needs session state, such as advisory locks.
   */
  readonly directHost: pulumi.Output<string>;
  /** The port of `directHost`. */
  readonly directPort: pulumi.Output<number>;
  /** Private hosts of the read-only replicas (empty without replicas). */
  readonly replicaHosts: pulumi.Output<string[]>;
  /** The app user's name. */
  readonly username: pulumi.Output<string>;
  /** The app user's password (generated by DigitalOcean; a secret). */
  readonly password: pulumi.Output<string>;
  /**
   * The database name the app connects with: the pool's name on PostgreSQL (PgBouncer
   * routes by it; it is the database's name too), the database's on MySQL.
   */
  readonly databaseName: pulumi.Output<string>;
  /** The cluster's ID. */
  readonly clusterId: pulumi.Output<string>;
  /** The cluster's DigitalOcean URN (`do:dbaas:<id>`), for assigning it to a DigitalOcean project. */
  readonly clusterUrn: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:digitalocean:Database", name, {}, opts);
    const { spec, tags } = args;
    const parent = { parent: this };
    const storage = storageSizeMib(args.size, spec.storageGb);
    const guard = args.identity ? [args.identity] : [];
    // What holds the data, and the cluster's access path: refused for deletion and for
    // replacement (pulumi/pulumi#6191: `protect` on the cluster alone is checked only after
    // its dependents, this database and pool, are already deleted).
    const dataHolder = { parent: this, protect: true, dependsOn: guard };

    // No `name`: Pulumi generates one, so a replacement can be created before the old
    // cluster is deleted (cluster names are unique per account).
    const cluster = new digitalocean.DatabaseCluster(`${name}-db`, {
      engine: engineSlugs[spec.engine],
      // DigitalOcean versions both engines by major version ("16", "8"); minor versions
      // come with maintenance. Raising it later runs DigitalOcean's in-place major upgrade.
      version: spec.version.split(".")[0],
      size: args.size,
      region: args.region,
      // A primary and a standby in the same region, with automatic failover: never fewer.
      nodeCount: 2,
      // Private addresses in the stack's VPC; the public endpoint is closed by the firewall below.
      privateNetworkUuid: args.vpcId,
      ...(storage !== undefined && { storageSizeMib: storage }),
      // Sunday 04:00 UTC; the standby is patched first, then the nodes swap roles.
      maintenanceWindows: [{ day: "sunday", hour: "04:00" }],
      tags,
    }, {
      parent: this,
      // DigitalOcean has no deletion-protection flag, so Pulumi refuses instead: `pulumi
      // destroy` and any change that would replace the cluster stop with an error. To
      // delete it on purpose, run `pulumi state unprotect --all` first, then destroy
      // (README: "What protects your data on `pulumi destroy`").
      protect: true,
      dependsOn: guard,
    });

    // Trusted sources: only droplets of the workloads that use it, by their node tags, over the private network. The
    // rules apply to the whole cluster, read-only replicas included. Kept on delete: a
    // destroy stopped by the protected cluster must not leave it open to any address
    // (DigitalOcean admits everyone to a cluster without firewall rules). A later
    // `pulumi up` writes the same rules again.
    new digitalocean.DatabaseFirewall(`${name}-db`, {
      clusterId: cluster.id,
      rules: args.sourceTags.map((value) => ({ type: "tag", value })),
    }, { parent: this, retainOnDelete: true });

    // DigitalOcean's MySQL requires a primary key on every table.
    const database = new digitalocean.DatabaseDb(`${name}-db`, { clusterId: cluster.id, name: spec.name }, dataHolder);

    this.directHost = cluster.privateHost;
    this.directPort = cluster.port;
    if (spec.engine === "postgres") {
      // The app connects through PgBouncer in transaction mode: many short-lived client
      // connections share a few server connections, so node count and autoscaling do
      // not exhaust the plan's connection limit. Transaction pooling keeps no session
      // state between transactions: no session-level prepared statements (use
      // unnamed/extended-protocol statements or the driver's pgbouncer mode), no SET
      // outside a transaction, no LISTEN/NOTIFY, no session advisory locks. Migrations
      // that need them connect to `directHost`/`directPort` instead. DATABASE_HOST and
      // DATABASE_PORT point at the pool, and the database name is the pool's.
      const pool = new digitalocean.DatabaseConnectionPool(`${name}-db`, {
        clusterId: cluster.id,
        // Named like the database, so the same database name works through the pool and directly.
        name: spec.name,
        mode: "transaction",
        size: poolSize(args.size),
        dbName: database.name,
        user: cluster.user,
      }, dataHolder);
      this.host = pool.privateHost;
      this.port = pool.port;
      this.databaseName = pool.name;
    } else {
      this.host = cluster.privateHost;
      this.port = cluster.port;
      this.databaseName = database.name;
    }

    // Read-only replicas hold no data of their own (DigitalOcean rebuilds them from the
    // primary, whose backups cover them), so they are not protected: lowering
    // `database.readReplicas` may delete them. They need at least the primary's disk.
    const replicas = Array.from({ length: spec.readReplicas }, (_, i) =>
      new digitalocean.DatabaseReplica(`${name}-db-replica-${i}`, {
        clusterId: cluster.id,
        size: args.size,
        region: args.region,
        privateNetworkUuid: args.vpcId,
        ...(storage !== undefined && { storageSizeMib: storage }),
        tags,
      }, parent).privateHost,
    );

    this.endpoint = pulumi.interpolate`${this.host}:${this.port}`;
    this.replicaHosts = pulumi.all(replicas);
    this.username = cluster.user;
    // The provider marks it secret already; wrapping keeps it secret under mocks and in
    // anything derived from it.
    this.password = pulumi.secret(cluster.password);
    this.clusterId = cluster.id;
    this.clusterUrn = cluster.clusterUrn;
    this.registerOutputs({ endpoint: this.endpoint, replicaHosts: this.replicaHosts, clusterId: this.clusterId });
  }
}
