/**
 * The CloudNativePG operator, installed with its Helm chart when
 * `kubernetes.installCnpgOperator` is true (otherwise it is a prerequisite of the cluster).
 *
 * The operator brings the `postgresql.cnpg.io` CRDs and the admission webhooks that every
 * `Cluster` goes through, so the database must not be created before the release has
 * finished: the release waits for the operator's Deployment to be ready, and the
 * database takes `ready` in its `dependsOn`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

/**
 * The namespace the operator runs in: the chart's and the upstream manifest's default.
 * The database's NetworkPolicy admits the operator from this namespace, so an operator
 * installed as a prerequisite must live here too.
 */
export const cnpgNamespace = "cnpg-system";

/**
 * The chart version, pinned on purpose: a chart upgrade upgrades the operator and its
 * CRDs, which rolls every PostgreSQL instance it manages. That must be a reviewed change
 * of this line, never a side effect of a `pulumi up` on a day a new chart is published.
 * 0.27.x ships CloudNativePG 1.28.
 */
export const cnpgChartVersion = "0.27.1";

/** Arguments of CnpgOperator. */
export interface CnpgOperatorArgs {
  /** The chart version to install instead of `cnpgChartVersion` (a deliberate upgrade). */
  chartVersion?: string;
  /** Seconds Helm waits for the operator to become ready before it rolls the release back (default 600). */
  timeoutSeconds?: number;
}

/** The CloudNativePG operator, as a Helm release in `cnpg-system`. */
export class CnpgOperator extends pulumi.ComponentResource {
  /** The Helm release: put it in `dependsOn` of anything that creates CloudNativePG resources. */
  readonly ready: pulumi.Resource;
  /** The namespace the operator runs in. */
  readonly namespace: string;
  /** The installed chart version. */
  readonly chartVersion: pulumi.Output<string>;

  constructor(name: string, args: CnpgOperatorArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:kubernetes:CnpgOperator", name, {}, opts);

    const release = new k8s.helm.v3.Release(`${name}-cnpg`, {
      // A fixed release name: the operator and its CRDs are cluster-wide, so there is one
      // per cluster, and its objects get the names the CloudNativePG docs use (cnpg-*).
      name: "cnpg",
      chart: "cloudnative-pg",
      version: args.chartVersion ?? cnpgChartVersion,
      repositoryOpts: { repo: "https://cloudnative-pg.github.io/charts" },
      namespace: cnpgNamespace,
      createNamespace: true,
      // Atomic implies wait: Helm returns only once the operator's Deployment is ready (its
      // webhooks answer) and rolls a failed install or upgrade back, so the Cluster is never
      // created against missing CRDs or an unreachable webhook.
      atomic: true,
      cleanupOnFail: true,
      timeout: args.timeoutSeconds ?? 600,
      values: {
        // The CRDs come with the chart (its default, stated because the Cluster relies on it).
        // The chart marks them `helm.sh/resource-policy: keep`: uninstalling the release
        // (turning installCnpgOperator off) leaves the Clusters and their volumes in place.
        crds: { create: true },
        // Failover of a PostgreSQL primary is the operator's job: a second replica (leader
        // election) keeps failover working while the operator's own node is lost.
        replicaCount: 2,
      },
    }, { parent: this });

    this.ready = release;
    this.namespace = cnpgNamespace;
    this.chartVersion = release.version;
    this.registerOutputs({ namespace: this.namespace, chartVersion: this.chartVersion });
  }
}
