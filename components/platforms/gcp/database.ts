/**
 * The replicated database: a Cloud SQL instance with regional availability (a
 * synchronous standby in another zone of the region, automatic failover), a private IP
 * only, TLS enforced, daily backups with point-in-time recovery, protected from
 * deletion, with its credentials in Secret Manager.
 *
 * The password is generated here and changes only through `pulumi up`, which also rolls
 * the nodes (they read the pinned credentials version at boot); it is a secret in
 * Pulumi state (encrypted).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { sqlConnectionUrl } from "../../connectionUrls";
import * as random from "@pulumi/random";
import type { DatabaseEngine, DatabaseSpec } from "../../topology";
import { JsonSecret } from "./jsonSecret";

/** Arguments of Database. */
export interface DatabaseArgs {
  /** The database part of the topology. */
  spec: DatabaseSpec;
  /** The native Cloud SQL tier (the preset already resolved), such as "db-custom-1-3840". */
  tier: string;
  /** The region of the instance and its replicas. */
  region: string;
  /** The VPC network (id or self link) the instance gets its private IP in. */
  networkId: pulumi.Input<string>;
  /**
   * The private services access connection (servicenetworking) of that network: Cloud SQL
   * can only take a private IP once it exists, so every instance waits for it.
   */
  privateServiceConnection: pulumi.Resource;
  /** Labels for every resource (GCP rules: lower-case keys and values). */
  labels: Record<string, string>;
  /** The guard of the create-only settings (DatabaseIdentity): the database waits for its check. */
  identity?: pulumi.Resource;
  /**
   * Also keep a ready connection URL (`url`) in the credentials secret, next to `username`
   * and `password` (a named sql resource's `DB_URL`; the single service's secret keeps its two keys).
   */
  withUrl?: boolean;
}

/** What differs between the engines on Cloud SQL: default port and version string. */
export const engineFacts: Record<DatabaseEngine, { port: number; databaseVersion: (version: string) => string }> = {
  postgres: {
    port: 5432,
    // Cloud SQL names PostgreSQL by major version only; minor versions come with maintenance.
    databaseVersion: (version: string) => `POSTGRES_${version.split(".")[0]}`,
  },
  mysql: {
    port: 3306,
    // MySQL is named by major and minor ("8.0" -> MYSQL_8_0); patches come with maintenance.
    databaseVersion: (version: string) => `MYSQL_${version.split(".").slice(0, 2).join("_")}`,
  },
};

/** A Cloud SQL regional (HA) instance, plus read replicas when asked. */
export class Database extends pulumi.ComponentResource {
  /** Private IP of the primary (the standby takes it over on failover). */
  readonly host: pulumi.Output<string>;
  /** The port. */
  readonly port: number;
  /** host:port. */
  readonly endpoint: pulumi.Output<string>;
  /** Private IPs of the read replicas (empty without replicas). */
  readonly replicaHosts: pulumi.Output<string[]>;
  /** The primary instance's name (generated). */
  readonly instanceName: pulumi.Output<string>;
  /** The primary's connection name, `project:region:instance` (for the Cloud SQL connectors). */
  readonly connectionName: pulumi.Output<string>;
  /** Resource name of the Secret Manager secret holding `username` and `password`. */
  readonly credentialsSecretName: pulumi.Output<string>;
  /** Full resource name of that secret's current version: in the node template, so new credentials roll the nodes. */
  readonly credentialsVersionName: pulumi.Output<string>;
  /** Short ID of that secret (for IAM bindings). */
  readonly credentialsSecretId: pulumi.Output<string>;
  /** The app user's name. */
  readonly username: string;
  /** The app user's password (a secret Output). */
  readonly password: pulumi.Output<string>;
  /** The ready connection URL (a secret Output): the value `url` holds in the credentials secret with `withUrl`. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:Database", name, {}, opts);
    const { spec, labels } = args;
    const parent = { parent: this };
    const engine = engineFacts[spec.engine];
    const databaseVersion = engine.databaseVersion(spec.version);
    const guard = args.identity ? [args.identity] : [];

    // Letters and digits only: nothing to quote in a URL, a shell or a connection string,
    // at about 190 bits of entropy.
    const password = new random.RandomPassword(`${name}-db`, { length: 32, special: false }, parent);
    // The primary's address is known only once it exists (below): the URL waits for it.
    const [host, resolveHost] = pulumi.deferredOutput<string>();
    const url = pulumi.secret(pulumi.all([password.result, host]).apply(([p, h]) => sqlConnectionUrl(spec.engine, spec.username, p, h, engine.port, spec.name)));
    const credentials = new JsonSecret(`${name}-db-credentials`, {
      values: { username: spec.username, password: password.result, ...(args.withUrl && { url }) },
      labels,
    }, parent);

    // Private IP only; clients must use TLS (the nodes connect from inside the VPC).
    const ipConfiguration = {
      ipv4Enabled: false,
      privateNetwork: args.networkId,
      sslMode: "ENCRYPTED_ONLY",
    };
    // Storage grows by itself up to the ceiling (0 means no ceiling).
    const storage = {
      diskType: "PD_SSD",
      diskSize: spec.storageGb,
      diskAutoresize: true,
      diskAutoresizeLimit: spec.maxStorageGb ?? 0,
    };
    // Once autoresize has grown the disk, the configured size is smaller than the real one
    // and the provider would plan a replacement to shrink it: the disk size is set at
    // creation only. (Raising `storageGb` later is not needed: autoresize does it.)
    const keepGrownDisk = ["settings.diskSize"];

    // No `name`: Pulumi generates one. A deleted Cloud SQL instance's name cannot be reused
    // for about a week, so a fixed name would block re-creating it.
    const primary = new gcp.sql.DatabaseInstance(`${name}-db`, {
      databaseVersion,
      region: args.region,
      // Pulumi refuses to delete it (a `pulumi destroy` must be deliberate) ...
      deletionProtection: true,
      settings: {
        tier: args.tier,
        // Custom tiers exist only in ENTERPRISE; PostgreSQL 16+ would default to ENTERPRISE_PLUS.
        edition: "ENTERPRISE",
        // A synchronous standby in another zone of the region, with automatic failover.
        availabilityType: "REGIONAL",
        ...storage,
        ipConfiguration,
        backupConfiguration: {
          enabled: true,
          startTime: "03:00",
          // Point-in-time recovery: write-ahead logs on PostgreSQL, binary logs on MySQL
          // (REGIONAL availability requires them on MySQL too).
          ...(spec.engine === "postgres" ? { pointInTimeRecoveryEnabled: true } : { binaryLogEnabled: true }),
          // ENTERPRISE keeps at most 7 days of logs; the daily backups cover the rest.
          transactionLogRetentionDays: Math.min(7, spec.backupRetentionDays),
          // One automated backup a day, so a count of backups is a number of days.
          backupRetentionSettings: { retainedBackups: spec.backupRetentionDays, retentionUnit: "COUNT" },
        },
        // ... and so does Google, from every client (console, gcloud, API).
        deletionProtectionEnabled: true,
        // Sunday 04:00 UTC, after the backup; updates two weeks after they are announced.
        maintenanceWindow: { day: 7, hour: 4, updateTrack: "stable" },
        userLabels: labels,
      },
    }, {
      parent: this,
      dependsOn: [args.privateServiceConnection, ...guard],
      ignoreChanges: keepGrownDisk,
      // Besides Cloud SQL's deletion protection: a replacement (an engine change) would
      // move the app onto a new, empty instance before the old one's deletion is refused.
      protect: true,
    });

    // ABANDON: deleting them from the stack never drops the app's data (PostgreSQL also
    // refuses to drop a user that owns objects). Protected as well: a renamed database or
    // user would be a new, empty database (or a user without rights on the tables) that
    // the app moves to; Pulumi refuses that replacement (DatabaseIdentity explains it).
    const dataHolder = { parent: this, protect: true, dependsOn: guard };
    new gcp.sql.Database(`${name}-db`, {
      instance: primary.name,
      name: spec.name,
      ...(spec.engine === "mysql" && { charset: "utf8mb4" }),
      deletionPolicy: "ABANDON",
    }, dataHolder);
    new gcp.sql.User(`${name}-db`, {
      instance: primary.name,
      name: spec.username,
      password: password.result,
      deletionPolicy: "ABANDON",
    }, dataHolder);

    const replicas = Array.from({ length: spec.readReplicas }, (_, i) =>
      new gcp.sql.DatabaseInstance(`${name}-db-replica-${i}`, {
        databaseVersion,
        region: args.region,
        masterInstanceName: primary.name,
        // Failover replicas are a legacy MySQL feature (failover is the primary's standby's
        // job); PostgreSQL takes no replica configuration at all.
        ...(spec.engine === "mysql" && { replicaConfiguration: { failoverTarget: false } }),
        // A replica holds no data of its own (it is rebuilt from the primary, whose backups
        // cover it), so it may be removed when `database.readReplicas` goes down.
        deletionProtection: false,
        settings: {
          tier: args.tier,
          edition: "ENTERPRISE",
          availabilityType: "ZONAL",
          ...storage,
          ipConfiguration,
          // Cloud SQL does not back up replicas.
          backupConfiguration: { enabled: false },
          deletionProtectionEnabled: false,
          userLabels: labels,
        },
      }, { parent: this, dependsOn: [args.privateServiceConnection], ignoreChanges: keepGrownDisk }).privateIpAddress,
    );

    resolveHost(primary.privateIpAddress);
    this.host = primary.privateIpAddress;
    this.port = engine.port;
    this.endpoint = pulumi.interpolate`${primary.privateIpAddress}:${engine.port}`;
    this.replicaHosts = pulumi.all(replicas);
    this.instanceName = primary.name;
    this.connectionName = primary.connectionName;
    this.credentialsSecretName = credentials.secretName;
    this.credentialsVersionName = credentials.versionName;
    this.credentialsSecretId = credentials.secretId;
    this.username = spec.username;
    this.password = pulumi.secret(password.result);
    this.url = url;
    this.registerOutputs({ endpoint: this.endpoint, connectionName: this.connectionName });
  }
}
