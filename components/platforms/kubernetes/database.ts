/**
 * The replicated database on Kubernetes: a CloudNativePG `Cluster` (a primary and streaming
 * standbys spread over zones, automatic failover by the operator, synchronous commits to
 * one standby), continuous WAL archiving and daily base backups to the user's
 * S3-compatible bucket (point-in-time recovery), protected from deletion, reachable only
 * from the app's pods.
 *
 * CloudNativePG generates the app's credentials itself, in the Secret `<cluster>-app`
 * (keys `username` and `password`): the password never passes through Pulumi state.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { sqlConnectionUrl } from "../../connectionUrls";
import * as random from "@pulumi/random";
import type { DatabaseSpec, KubernetesSpec } from "../../topology";
import { cnpgNamespace } from "./operator";

/** Arguments of Database. */
export interface DatabaseArgs {
  /** The database part of the topology (version, storage, backup retention, names). */
  spec: DatabaseSpec;
  /** The Kubernetes settings (number of instances, storage class). */
  kubernetes: KubernetesSpec;
  /** The namespace the cluster, its backups and its policy live in (the app's). */
  namespace: pulumi.Input<string>;
  /** CPU and memory requests per instance (the size preset already resolved), such as `{ cpu: "500m", memory: "1Gi" }`. */
  resources: { cpu: string; memory: string };
  /** Where backups go: the user's S3-compatible bucket. */
  bucket: {
    /** The endpoint URL, with its scheme (https://...). */
    endpoint: string;
    /** The bucket's name. */
    bucket: string;
    /** The bucket's region, for request signing (empty: the client's default). */
    region: string;
    /** A Secret in `namespace` with the keys `ACCESS_KEY_ID` and `ACCESS_SECRET_KEY`. */
    credentialsSecretName: pulumi.Input<string>;
  };
  /** The app pods' labels: the only clients the NetworkPolicy admits (unless `clients` is given). */
  appLabels: Record<string, string>;
  /**
   * The pod labels of every workload that uses the database (several-workloads model):
   * the NetworkPolicy admits these instead of `appLabels`. Empty: no client is admitted.
   */
  clients?: Record<string, string>[];
  /**
   * True: the owner's password is generated here (a protected RandomPassword) and given to
   * CloudNativePG in a `kubernetes.io/basic-auth` Secret (`<cluster>-owner`, keys
   * `username`, `password` and a ready `url`), so Pulumi knows it and can build a
   * connection URL. False (the single service's database): CloudNativePG generates it.
   */
  generatedOwner?: boolean;
  /** What the Cluster must wait for: the operator's Helm release, when this program installs it. */
  dependsOn?: pulumi.Resource[];
  /** Labels for every object. */
  labels: Record<string, string>;
  /** The guard of the create-only settings (DatabaseIdentity): the Cluster waits for its check. */
  identity?: pulumi.Resource;
}

/** The PostgreSQL port (CloudNativePG's services always use it). */
const postgresPort = 5432;
/** The instance manager's status port, which the operator polls. */
const statusPort = 8000;

/** A CloudNativePG cluster with backups, a daily base backup and a NetworkPolicy. */
export class Database extends pulumi.ComponentResource {
  /** The read-write service (always the current primary): `<cluster>-rw.<namespace>.svc.cluster.local`. */
  readonly host: pulumi.Output<string>;
  /** The read-only service (the standbys): `<cluster>-ro.<namespace>.svc.cluster.local`. */
  readonly readHost: pulumi.Output<string>;
  /** The port. */
  readonly port: number;
  /** host:port of the read-write service. */
  readonly endpoint: pulumi.Output<string>;
  /** The Cluster's name. */
  readonly clusterName: pulumi.Output<string>;
  /** The Secret with the app's `username` and `password`: CloudNativePG's `<cluster>-app`, or `<cluster>-owner` with `generatedOwner` (which also has `url`). */
  readonly credentialsSecretName: pulumi.Output<string>;
  /** The generated owner password (with `generatedOwner`), a secret. */
  readonly ownerPassword?: pulumi.Output<string>;
  /** The connection URL with the generated password (with `generatedOwner`), a secret. */
  readonly url?: pulumi.Output<string>;
  /** The labels of the instances' pods (what a client's egress policy allows). */
  readonly podSelector: Record<string, string>;

  constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:kubernetes:Database", name, {}, opts);
    const { spec, kubernetes, namespace, labels, bucket } = args;
    const parent = { parent: this };
    const clusterName = `${name}-db`;
    const metadata = (objectName: string) => ({ name: objectName, namespace, labels });

    // The Secret selectors of CloudNativePG can only read the region from a Secret, and the
    // credentials Secret holds just the keys. The region is not sensitive: this Secret only
    // exists because the API asks for one.
    const regionKey = "REGION";
    const regionSecret = bucket.region
      ? new k8s.core.v1.Secret(`${name}-db-backup-region`, {
          metadata: metadata(`${clusterName}-backup-region`),
          type: "Opaque",
          stringData: { [regionKey]: bucket.region },
        }, parent)
      : undefined;

    // Generated once and protected: a new password would not reach PostgreSQL (the role
    // exists already), only the apps, which could then no longer log in.
    const hostName = pulumi.interpolate`${clusterName}-rw.${namespace}.svc.cluster.local`;
    const owner = args.generatedOwner
      ? (() => {
          const password = new random.RandomPassword(`${name}-db-owner`, { length: 32, special: false }, { parent: this, protect: true });
          // TLS: CloudNativePG serves it (its own CA).
          const url = pulumi.secret(pulumi.all([password.result, hostName]).apply(([p, h]) => sqlConnectionUrl("postgres", spec.username, p, h, postgresPort, spec.name)));
          const secret = new k8s.core.v1.Secret(`${name}-db-owner`, {
            metadata: metadata(`${clusterName}-owner`),
            type: "kubernetes.io/basic-auth",
            stringData: { username: spec.username, password: pulumi.secret(password.result), url },
          }, parent);
          return { password: pulumi.secret(password.result), url, secret };
        })()
      : undefined;

    const cluster = new k8s.apiextensions.CustomResource(`${name}-db`, {
      apiVersion: "postgresql.cnpg.io/v1",
      kind: "Cluster",
      metadata: metadata(clusterName),
      spec: {
        // A primary and streaming standbys; the operator promotes a standby when the
        // primary fails (the read-write service follows it).
        instances: kubernetes.databaseInstances,
        imageName: `ghcr.io/cloudnative-pg/postgresql:${spec.version}`,
        // Updates (image, resources) roll the standbys first, then move the primary role to
        // an updated standby (a switchover: seconds of write unavailability, no crash
        // recovery) without waiting for a human. With switchover, CloudNativePG refuses an
        // update that changes the image and the parameters together: the parameters below
        // are therefore constant, not derived from the size or version.
        primaryUpdateStrategy: "unsupervised",
        primaryUpdateMethod: "switchover",
        // Synchronous replication, quorum-based: every commit waits until one standby
        // (any of them: `ANY 1`) has it, so the standby the operator promotes after a
        // failure holds every committed transaction. The price: each commit takes one more
        // round trip, to another zone. When no standby is healthy CloudNativePG lowers the
        // quorum to zero rather than block writes (availability over durability until a
        // standby is back); with the default 3 instances one standby can be lost or
        // restarted without that.
        minSyncReplicas: 1,
        maxSyncReplicas: 1,
        storage: {
          size: `${spec.storageGb}Gi`,
          ...(kubernetes.storageClass ? { storageClass: kubernetes.storageClass } : {}),
        },
        bootstrap: { initdb: { database: spec.name, owner: spec.username, ...(owner && { secret: { name: owner.secret.metadata.name } }) } },
        resources: {
          requests: { cpu: args.resources.cpu, memory: args.resources.memory },
          // Memory limit = request: PostgreSQL never uses memory the scheduler did not
          // reserve for it, so it is not the first victim when its node runs short. No CPU
          // limit: throttling would stall commits and replication while idle CPU is there.
          limits: { memory: args.resources.memory },
        },
        // One instance per zone where there are zones. "preferred" so that a single-zone
        // cluster (or one with fewer zones than instances) still schedules every instance.
        affinity: {
          enablePodAntiAffinity: true,
          topologyKey: "topology.kubernetes.io/zone",
          podAntiAffinityType: "preferred",
        },
        backup: {
          barmanObjectStore: {
            // One prefix per namespace and cluster, so that several stacks share a bucket.
            // Barman refuses to archive into a prefix that already holds another cluster's
            // WAL: a cluster restored under the same name needs a new path.
            destinationPath: pulumi.interpolate`s3://${bucket.bucket}/${namespace}/${clusterName}`,
            endpointURL: bucket.endpoint,
            s3Credentials: {
              accessKeyId: { name: bucket.credentialsSecretName, key: "ACCESS_KEY_ID" },
              secretAccessKey: { name: bucket.credentialsSecretName, key: "ACCESS_SECRET_KEY" },
              ...(regionSecret ? { region: { name: regionSecret.metadata.name, key: regionKey } } : {}),
            },
            // Compressed on the way out: WAL segments are 16 MiB and compress well.
            wal: { compression: "gzip" },
            data: { compression: "gzip" },
          },
          // Base backups and the WAL needed to recover to any moment of this window.
          retentionPolicy: `${spec.backupRetentionDays}d`,
        },
        postgresql: {
          parameters: {
            // Slow queries and lock waits in the log: the first things asked in an incident.
            log_min_duration_statement: "1s",
            log_lock_waits: "on",
          },
        },
        // No PodMonitor: it needs the Prometheus operator's CRDs, which the cluster may lack.
        monitoring: { enablePodMonitor: false },
      },
    }, {
      parent: this,
      // Deleting the Cluster deletes its volumes, the data with them (ha-guard checks this).
      protect: true,
      dependsOn: [...(args.dependsOn ?? []), ...(args.identity ? [args.identity] : [])],
    });

    // A daily base backup at 03:00 (CloudNativePG's cron has a seconds field); WAL is
    // archived continuously in between. `immediate` takes the first one at creation, so
    // point-in-time recovery works from day one. The Backup objects belong to this schedule.
    new k8s.apiextensions.CustomResource(`${name}-db-daily`, {
      apiVersion: "postgresql.cnpg.io/v1",
      kind: "ScheduledBackup",
      metadata: metadata(`${clusterName}-daily`),
      spec: {
        schedule: "0 0 3 * * *",
        backupOwnerReference: "self",
        cluster: { name: cluster.metadata.name },
        immediate: true,
      },
      // Protected too: it is deleted before the Cluster (pulumi/pulumi#6191), and a destroy
      // stopped by the Cluster would leave it without base backups. (Not retainOnDelete:
      // the provider refuses to create an object that already exists, so a later
      // `pulumi up` could not take a forgotten one back.)
    }, { parent: this, dependsOn: [cluster], protect: true });

    // Only these reach the instances (egress stays open: the instances need the Kubernetes
    // API and the bucket):
    // - the app's pods, on PostgreSQL's port;
    // - the cluster's own pods (the instances and the operator's join/initdb jobs, all
    //   labelled with the cluster's name), for streaming replication, pg_rewind after a
    //   failover and the instance managers talking to each other;
    // - the operator, from its namespace, on the status port it polls to decide failovers
    //   (and PostgreSQL's port, which the CloudNativePG networking guide also asks for).
    const clusterPods = { matchLabels: { "cnpg.io/cluster": clusterName } };
    const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));
    new k8s.networking.v1.NetworkPolicy(`${name}-db`, {
      metadata: metadata(clusterName),
      spec: {
        podSelector: clusterPods,
        policyTypes: ["Ingress"],
        ingress: [
          // An empty `from` would admit every pod: no client, no rule.
          ...((args.clients ?? [args.appLabels]).length > 0
            ? [{ from: (args.clients ?? [args.appLabels]).map((labels) => ({ podSelector: { matchLabels: labels } })), ports: tcp(postgresPort) }]
            : []),
          { from: [{ podSelector: clusterPods }], ports: tcp(postgresPort, statusPort) },
          {
            from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": cnpgNamespace } } }],
            ports: tcp(statusPort, postgresPort),
          },
        ],
      },
      // Protected like the Cluster it guards: a destroy stopped by the Cluster must not
      // leave the database open to every pod of the cluster.
    }, { parent: this, protect: true });

    // From the Cluster's outputs, so that whatever uses them waits for the Cluster.
    const service = (suffix: string) =>
      pulumi.interpolate`${cluster.metadata.name}-${suffix}.${cluster.metadata.namespace}.svc.cluster.local`;
    this.host = service("rw");
    this.readHost = service("ro");
    this.port = postgresPort;
    this.endpoint = pulumi.interpolate`${this.host}:${postgresPort}`;
    this.clusterName = cluster.metadata.name;
    this.credentialsSecretName = owner ? owner.secret.metadata.name : pulumi.interpolate`${cluster.metadata.name}-app`;
    this.ownerPassword = owner?.password;
    this.url = owner?.url;
    this.podSelector = { "cnpg.io/cluster": clusterName };
    this.registerOutputs({ endpoint: this.endpoint, readHost: this.readHost, clusterName: this.clusterName });
  }
}
