/**
 * A RabbitMQ queue on Kubernetes: a `RabbitmqCluster` (RabbitMQ Cluster Operator) of three
 * nodes spread over zones, quorum queues by default (replicated: a node's loss loses no
 * task), TLS only (a CA of the namespace issued by cert-manager: self-signed root -> CA
 * Issuer -> the server certificate), the default user's credentials generated here and
 * given to the operator (`secretBackend.externalSecret`), a PodDisruptionBudget (the
 * operator makes none), protected, reachable only from the workloads that use it.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { amqpsUrl } from "../../connectionUrls";
import type { QueueResource } from "../../model/model";
import { rabbitmqNamespace } from "./dataOperators";

/** AMQP over TLS. */
export const amqpsPort = 5671;
/** RabbitMQ 4.0, pinned to a minor version (quorum queues, `default_queue_type`). */
export const rabbitmqImage = "rabbitmq:4.0-management";
/** Three nodes: a quorum queue keeps a majority with one node down. */
const replicas = 3;

/** Arguments of Broker. */
export interface BrokerArgs {
  /** The resource. */
  resource: QueueResource;
  /** The namespace. */
  namespace: pulumi.Input<string>;
  /** CPU and memory requests per node. */
  resources: { cpu: string; memory: string };
  /** The StorageClass of the nodes' volumes (default: the cluster's). */
  storageClass?: string;
  /** The pod labels of the workloads that use it: the only clients admitted. Empty: none. */
  clients: Record<string, string>[];
  /** Labels of every object. */
  labels: Record<string, string>;
  /** What the CR waits for (the operator's release, when installed here). */
  dependsOn?: pulumi.Resource[];
}

/** A RabbitMQ cluster with its CA, user, PDB and NetworkPolicy. */
export class Broker extends pulumi.ComponentResource {
  /** The Service's DNS name. */
  readonly host: pulumi.Output<string>;
  /** The port (`amqpsPort`). */
  readonly port: number;
  /** The default user's name. */
  readonly user: string;
  /** The Secret with `username`, `password` and `url`. */
  readonly credentialsSecretName: pulumi.Output<string>;
  /** The CA Secret (key `ca.crt`). */
  readonly caSecretName: pulumi.Output<string>;
  /** The password (secret). */
  readonly password: pulumi.Output<string>;
  /** The connection URL (secret). */
  readonly url: pulumi.Output<string>;
  /** The nodes' pod labels (a client's egress policy allows these). */
  readonly podSelector: Record<string, string>;

  constructor(name: string, args: BrokerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:kubernetes:Broker", name, {}, opts);
    const { namespace, labels } = args;
    const clusterName = `${name}-rabbitmq`;
    const metadata = (objectName: string) => ({ name: objectName, namespace, labels });
    const parent = { parent: this };
    const host = pulumi.interpolate`${clusterName}.${namespace}.svc.cluster.local`;
    const user = "app";

    // The namespace's CA: a self-signed root signs a CA certificate, whose Issuer signs the server's.
    const selfSigned = new k8s.apiextensions.CustomResource(`${name}-rabbitmq-selfsigned`, {
      apiVersion: "cert-manager.io/v1", kind: "Issuer", metadata: metadata(`${clusterName}-selfsigned`), spec: { selfSigned: {} },
    }, parent);
    const caSecret = `${clusterName}-ca`;
    const ca = new k8s.apiextensions.CustomResource(`${name}-rabbitmq-ca`, {
      apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: metadata(caSecret),
      spec: { isCA: true, commonName: `${clusterName}-ca`, secretName: caSecret, duration: "87600h", privateKey: { algorithm: "ECDSA", size: 256 }, issuerRef: { name: selfSigned.metadata.name, kind: "Issuer" } },
    }, parent);
    const caIssuer = new k8s.apiextensions.CustomResource(`${name}-rabbitmq-ca-issuer`, {
      apiVersion: "cert-manager.io/v1", kind: "Issuer", metadata: metadata(`${clusterName}-ca`), spec: { ca: { secretName: caSecret } },
    }, { parent: this, dependsOn: [ca] });
    const tlsSecret = `${clusterName}-tls`;
    const server = new k8s.apiextensions.CustomResource(`${name}-rabbitmq-tls`, {
      apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: metadata(tlsSecret),
      spec: {
        secretName: tlsSecret,
        dnsNames: [clusterName, pulumi.interpolate`${clusterName}.${namespace}.svc`, host, pulumi.interpolate`*.${clusterName}-nodes.${namespace}.svc.cluster.local`],
        issuerRef: { name: caIssuer.metadata.name, kind: "Issuer" },
      },
    }, parent);

    // Generated here so the program knows it (the URL); protected: a new one would lock the workers out until the operator re-syncs.
    const password = new random.RandomPassword(`${name}-rabbitmq-user`, { length: 32, special: false }, { parent: this, protect: true });
    const url = pulumi.secret(pulumi.all([password.result, host]).apply(([p, h]) => amqpsUrl(user, p, h, amqpsPort)));
    // The keys the operator reads from an external default-user Secret (its own `<name>-default-user` has the same).
    const userSecret = new k8s.core.v1.Secret(`${name}-rabbitmq-user`, {
      metadata: metadata(`${clusterName}-app-user`),
      type: "Opaque",
      stringData: {
        username: user,
        password: pulumi.secret(password.result),
        "default_user.conf": pulumi.secret(pulumi.interpolate`default_user = ${user}\ndefault_pass = ${password.result}\n`),
        host,
        port: String(amqpsPort),
        provider: "rabbitmq",
        type: "rabbitmq",
        url,
      },
    }, { parent: this, protect: true });

    const selector = { "app.kubernetes.io/name": clusterName };
    const cluster = new k8s.apiextensions.CustomResource(`${name}-rabbitmq`, {
      apiVersion: "rabbitmq.com/v1beta1",
      kind: "RabbitmqCluster",
      metadata: metadata(clusterName),
      spec: {
        replicas,
        image: rabbitmqImage,
        resources: { requests: args.resources, limits: { memory: args.resources.memory } },
        persistence: { storage: `${args.resource.storageGb}Gi`, ...(args.storageClass ? { storageClassName: args.storageClass } : {}) },
        // Quorum queues unless a client asks otherwise: replicated over the nodes (classic queues live on one).
        rabbitmq: { additionalConfig: "default_queue_type = quorum\n" },
        tls: { secretName: tlsSecret, caSecretName: caSecret, disableNonTLSListeners: true },
        secretBackend: { externalSecret: { name: userSecret.metadata.name } },
        // One node per zone where possible (never refused a node for it).
        override: {
          statefulSet: {
            spec: {
              template: {
                spec: {
                  topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } }],
                },
              },
            },
          },
        },
      },
    }, { parent: this, protect: true, dependsOn: [...(args.dependsOn ?? []), server] });

    // The operator makes no PodDisruptionBudget: a drain takes one node at a time.
    new k8s.policy.v1.PodDisruptionBudget(`${name}-rabbitmq`, {
      metadata: metadata(clusterName),
      spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    }, { parent: this, dependsOn: [cluster] });

    new k8s.networking.v1.NetworkPolicy(`${name}-rabbitmq`, {
      metadata: metadata(clusterName),
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress"],
        ingress: [
          ...(args.clients.length > 0 ? [{ from: args.clients.map((l) => ({ podSelector: { matchLabels: l } })), ports: [{ protocol: "TCP", port: amqpsPort }] }] : []),
          // The nodes among themselves (clustering, Erlang distribution, CLI tools).
          { from: [{ podSelector: { matchLabels: selector } }] },
          // The operator: the management API (TLS only).
          { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": rabbitmqNamespace } } }], ports: [{ protocol: "TCP", port: 15671 }] },
        ],
      },
    }, { parent: this, protect: true });

    this.host = host;
    this.port = amqpsPort;
    this.user = user;
    this.credentialsSecretName = userSecret.metadata.name;
    this.caSecretName = pulumi.output(caSecret);
    this.password = pulumi.secret(password.result);
    this.url = url;
    this.podSelector = selector;
    this.registerOutputs({ host: this.host });
  }
}
