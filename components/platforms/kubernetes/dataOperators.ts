/**
 * The operators of the document databases and the RabbitMQ queues, installed with Helm when
 * `kubernetes.installPerconaOperator` / `kubernetes.installRabbitmqOperator` are true
 * (otherwise each is a prerequisite on the cluster, as CloudNativePG's: operator.ts).
 * Pinned chart versions: an operator upgrade rolls every pod it manages, so it is a
 * reviewed change of these lines. Each release waits until its operator is ready
 * (`atomic`), and the CRs take it in `dependsOn`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/** The Percona operator's namespace (the document databases' NetworkPolicies admit it from here). */
export const psmdbNamespace = "psmdb-operator";
/** The Percona operator's version: its chart's and the CRs' `crVersion` (1.17+ has `spec.users`). */
export const psmdbVersion = "1.19.1";
/** The RabbitMQ Cluster Operator's namespace (its manifest's and chart's default). */
export const rabbitmqNamespace = "rabbitmq-system";
/** The Bitnami chart of the RabbitMQ Cluster Operator, pinned (4.4.x ships cluster-operator 2.12). */
export const rabbitmqChartVersion = "4.4.34";

/** Which operator. */
export type DataOperatorKind = "percona" | "rabbitmq";

/** One operator, as a Helm release in its namespace. */
export class DataOperator extends pulumi.ComponentResource {
  /** The Helm release: put it in `dependsOn` of the CRs it serves. */
  readonly ready: pulumi.Resource;

  constructor(name: string, args: { kind: DataOperatorKind }, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:kubernetes:DataOperator", name, {}, opts);
    const common = { createNamespace: true, atomic: true, cleanupOnFail: true, timeout: 600 };
    const release = args.kind === "percona"
      ? new k8s.helm.v3.Release(`${name}-psmdb`, {
          // One per cluster (the CRDs are cluster-wide), watching every namespace.
          name: "psmdb-operator",
          chart: "psmdb-operator",
          version: psmdbVersion,
          repositoryOpts: { repo: "https://percona.github.io/percona-helm-charts/" },
          namespace: psmdbNamespace,
          ...common,
          values: { watchAllNamespaces: true },
        }, { parent: this })
      : new k8s.helm.v3.Release(`${name}-rabbitmq`, {
          name: "rabbitmq-cluster-operator",
          chart: "oci://registry-1.docker.io/bitnamicharts/rabbitmq-cluster-operator",
          version: rabbitmqChartVersion,
          namespace: rabbitmqNamespace,
          ...common,
          // Only the cluster operator (the messaging topology operator needs its own webhooks' certificates).
          values: { msgTopologyOperator: { enabled: false } },
        }, { parent: this });
    this.ready = release;
    this.registerOutputs({});
  }
}
