/**
 * A document database on Kubernetes: a Percona Server for MongoDB replica set
 * (`PerconaServerMongoDB`, operator `psmdb.percona.com/v1`): one replica set `rs0` of
 * `members` pods spread over zones, at most one down at a time (PodDisruptionBudget),
 * TLS required (the operator's own CA, in the Secret `<cluster>-ssl`), encryption at rest
 * (the operator's generated key), daily backups and point-in-time oplog to the stack's
 * first bucket, and the app's user declared in `spec.users` (operator 1.17+) with a
 * password generated here. Protected, reachable only from the workloads that use it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { mongodbUrl } from "../../connectionUrls";
import { caFilePath } from "../../model/bindings";
import type { DocumentResource } from "../../model/model";
import { fitName } from "../../physicalNames";
import { psmdbNamespace, psmdbVersion } from "./dataOperators";
import { spreadOverZonesAndHosts } from "./workload";

/** MongoDB's port. */
export const mongodbPort = 27017;
/** The replica set's name (the operator's pods are `<cluster>-rs0-<i>`). */
const replsetName = "rs0";
/** Percona Server for MongoDB image, pinned to a minor version. */
export const psmdbImage = "percona/percona-server-mongodb:7.0.14-8";
/** Percona Backup for MongoDB image (the backup agent beside each member). */
export const pbmImage = "percona/percona-backup-mongodb:2.7.0";
/** Percona's limit on a PerconaServerMongoDB's name (its docs: "not exceed 22 characters"). */
const clusterNameMaxLength = 22;
/**
 * mongod's own settings beside the operator's. Encryption at rest with the operator's
 * generated key (its default, stated because the design relies on it). Clients without a
 * certificate: the operator gives mongod a CA file and x509 member auth, so under
 * requireTLS mongod would otherwise reject every client that brings no certificate (Percona's
 * TLS page); the app authenticates by password over TLS and checks the server with the CA.
 */
const mongodConfiguration = "security:\n  enableEncryption: true\nnet:\n  tls:\n    allowConnectionsWithoutCertificates: true\n";

/** Arguments of DocumentDatabase. */
export interface DocumentDatabaseArgs {
  /** The resource. */
  resource: DocumentResource;
  /** The namespace. */
  namespace: pulumi.Input<string>;
  /** CPU and memory requests per member (the size preset resolved). */
  resources: { cpu: string; memory: string };
  /** The StorageClass of the members' volumes (default: the cluster's). */
  storageClass?: string;
  /** Where backups go: the stack's first bucket. */
  bucket: { endpoint: string; bucket: string; region: string; accessKeyId: pulumi.Input<string>; secretAccessKey: pulumi.Input<string> };
  /** The pod labels of the workloads that use it: the only clients admitted. Empty: none. */
  clients: Record<string, string>[];
  /** Labels of every object. */
  labels: Record<string, string>;
  /** What the CR waits for (the operator's release, when installed here). */
  dependsOn?: pulumi.Resource[];
}

/** A Percona Server for MongoDB replica set with its user, backups and NetworkPolicy. */
export class DocumentDatabase extends pulumi.ComponentResource {
  /** Every member's DNS name with the port. */
  readonly hosts: pulumi.Output<string>[];
  /** The CR's name. */
  readonly clusterName: string;
  /** The Secret with `username`, `password` and `url` of the app's user. */
  readonly credentialsSecretName: pulumi.Output<string>;
  /** The operator's CA Secret (`<cluster>-ssl`, key `ca.crt`). */
  readonly caSecretName: pulumi.Output<string>;
  /** The app's password (secret). */
  readonly password: pulumi.Output<string>;
  /** The connection URL (secret). */
  readonly url: pulumi.Output<string>;
  /** The members' pod labels (a client's egress policy allows these). */
  readonly podSelector: Record<string, string>;

  constructor(name: string, args: DocumentDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:kubernetes:DocumentDatabase", name, {}, opts);
    const { resource: r, namespace, labels, bucket } = args;
    const clusterName = fitName(`${name}-mongo`, clusterNameMaxLength);
    const metadata = (objectName: string) => ({ name: objectName, namespace, labels });

    // Generated once and protected: a new one would not reach MongoDB's user store before the operator syncs it, and clients would fail meanwhile.
    const password = new random.RandomPassword(`${name}-mongo-user`, { length: 32, special: false }, { parent: this, protect: true });
    this.hosts = Array.from({ length: r.members }, (_, i) => pulumi.interpolate`${clusterName}-${replsetName}-${i}.${clusterName}-${replsetName}.${namespace}.svc.cluster.local:${mongodbPort}`);
    const url = pulumi.secret(pulumi.all([password.result, ...this.hosts]).apply(([p, ...hosts]) =>
      mongodbUrl({ user: r.username, password: p, hosts, database: r.databaseName, replicaSet: replsetName, caFile: caFilePath(r.name) })));
    const passwordKey = "password";
    const userSecret = new k8s.core.v1.Secret(`${name}-mongo-user`, {
      metadata: metadata(`${clusterName}-user`),
      type: "Opaque",
      stringData: { username: r.username, [passwordKey]: pulumi.secret(password.result), url },
    }, { parent: this, protect: true });

    // The backup agent reads these two keys (Percona's names, AWS's).
    const backupSecret = new k8s.core.v1.Secret(`${name}-mongo-backup`, {
      metadata: metadata(`${clusterName}-backup-s3`),
      type: "Opaque",
      stringData: { AWS_ACCESS_KEY_ID: pulumi.secret(bucket.accessKeyId), AWS_SECRET_ACCESS_KEY: pulumi.secret(bucket.secretAccessKey) },
    }, { parent: this, protect: true });

    // The operator's labels on the members' pods (pkg/naming MongodLabels).
    const memberLabels = { "app.kubernetes.io/instance": clusterName, "app.kubernetes.io/replset": replsetName, "app.kubernetes.io/component": "mongod" };
    const storageName = "bucket";
    const cluster = new k8s.apiextensions.CustomResource(`${name}-mongo`, {
      apiVersion: "psmdb.percona.com/v1",
      kind: "PerconaServerMongoDB",
      metadata: metadata(clusterName),
      spec: {
        // The CR's schema version: the operator's, pinned with it (dataOperators.ts).
        crVersion: psmdbVersion,
        image: psmdbImage,
        // No automatic version upgrades: an upgrade is a reviewed change of psmdbImage.
        upgradeOptions: { apply: "disabled" },
        // The operator generates the system users' and the encryption key's Secrets under these names.
        secrets: { users: `${clusterName}-secrets`, encryptionKey: `${clusterName}-mongodb-encryption-key` },
        // Every client speaks TLS; the operator issues the certificates from its CA (`<cluster>-ssl`, cert-manager when present).
        tls: { mode: "requireTLS" },
        replsets: [{
          name: replsetName,
          size: r.members,
          // Spread over zones, then hosts, never refused a node for it: the operator's antiAffinityTopologyKey is a
          // required anti-affinity (one member per zone would leave a 5-member set Pending on 3 zones), so it is off.
          affinity: { antiAffinityTopologyKey: "none" },
          topologySpreadConstraints: spreadOverZonesAndHosts(memberLabels),
          // A drain takes one member at a time: the others keep the majority.
          podDisruptionBudget: { maxUnavailable: 1 },
          resources: { requests: args.resources, limits: { memory: args.resources.memory } },
          configuration: mongodConfiguration,
          volumeSpec: {
            persistentVolumeClaim: {
              ...(args.storageClass ? { storageClassName: args.storageClass } : {}),
              resources: { requests: { storage: `${r.storageGb}Gi` } },
            },
          },
        }],
        backup: {
          enabled: true,
          image: pbmImage,
          storages: {
            [storageName]: {
              type: "s3",
              s3: {
                bucket: bucket.bucket,
                region: bucket.region,
                endpointUrl: bucket.endpoint,
                // Per namespace and resource: stacks can share a bucket.
                prefix: pulumi.interpolate`${namespace}/${r.name}`,
                credentialsSecret: backupSecret.metadata.name,
              },
            },
          },
          // The oplog, continuously: recovery to any moment since the last daily backup.
          pitr: { enabled: true },
          tasks: [{ name: "daily", enabled: true, schedule: "0 3 * * *", keep: r.backupRetentionDays, storageName, type: "logical" }],
        },
        // The app's user, owner of its database (the operator creates it and follows the Secret's password).
        users: [{
          name: r.username,
          db: r.databaseName,
          passwordSecretRef: { name: userSecret.metadata.name, key: passwordKey },
          roles: [{ name: "readWrite", db: r.databaseName }],
        }],
      },
    }, {
      parent: this,
      // Deleting the CR deletes the replica set (and, with the operator's finalizers, its volumes).
      protect: true,
      dependsOn: args.dependsOn,
    });

    // Only the users (27017), the members among themselves and the operator reach the pods.
    const memberPods = { matchLabels: { "app.kubernetes.io/instance": clusterName, "app.kubernetes.io/component": "mongod" } };
    const port = [{ protocol: "TCP", port: mongodbPort }];
    new k8s.networking.v1.NetworkPolicy(`${name}-mongo`, {
      metadata: metadata(clusterName),
      spec: {
        podSelector: { matchLabels: { "app.kubernetes.io/instance": clusterName } },
        policyTypes: ["Ingress"],
        ingress: [
          // An empty `from` would admit every pod: no client, no rule.
          ...(args.clients.length > 0 ? [{ from: args.clients.map((l) => ({ podSelector: { matchLabels: l } })), ports: port }] : []),
          { from: [{ podSelector: { matchLabels: { "app.kubernetes.io/instance": clusterName } } }], ports: port },
          { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": psmdbNamespace } } }], ports: port },
        ],
      },
    }, { parent: this, protect: true });

    this.clusterName = clusterName;
    this.credentialsSecretName = userSecret.metadata.name;
    this.caSecretName = pulumi.interpolate`${cluster.metadata.name}-ssl`;
    this.password = pulumi.secret(password.result);
    this.url = url;
    this.podSelector = memberPods.matchLabels;
    this.registerOutputs({ clusterName, hosts: this.hosts });
  }
}
