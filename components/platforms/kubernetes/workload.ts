/**
 * One workload of the several-workloads model on Kubernetes (the single service's web keeps
 * its App component, app.ts): its own Deployment (image, `command` as the container's
 * arguments, count, size, environment, probes), PodDisruptionBudget, HorizontalPodAutoscaler
 * (count to maxCount), spread over zones and hosts, role-labelled (contract/roles.ts), and
 * the NetworkPolicies of its pods. Its Service, for a web workload, is the edge's (edge.ts).
 *
 * - A web workload: readiness on `healthCheck.path` (out of the Service's endpoints when it
 *   fails: a database blip does not restart anything), liveness on
 *   `healthCheck.liveness.path` after `liveness.unhealthyThreshold` failures (the kubelet
 *   restarts the container), a startup probe on the liveness path covering the grace
 *   period; a preStop pause so the ingress controller stops sending first.
 * - A worker: no port, no Service, no probe: a process that exits is restarted by the
 *   kubelet, a lost node's pods are rescheduled. `terminationGracePeriodSeconds` is its
 *   `stopTimeoutSeconds`: SIGTERM, then that long to finish the task before SIGKILL, as
 *   `docker stop -t` on the VM clouds.
 *
 * `command` is given as `args`, not `command`: the VM clouds run `docker run <image>
 * <command...>`, which replaces the image's CMD and keeps its ENTRYPOINT; Kubernetes'
 * `args` is exactly that (its `command` would replace the ENTRYPOINT).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kubernetesRoleKey, type Role } from "../../../contract/roles";
import { workerLive } from "../../bootstrap";
import type { ServiceWorkload } from "../../model/model";
import { httpPortName } from "./edge";
import { secretChecksumAnnotation } from "./env";
import type { CaMount } from "./caVolume";
import { ScaleWait } from "./scaleWait";

/** Arguments of Workload. */
export interface WorkloadArgs {
  /** The workload. */
  workload: ServiceWorkload;
  /** Its role (web, internal or worker). */
  role: Role;
  /** The namespace. */
  namespace: pulumi.Input<string>;
  /** Labels of every object. */
  labels: Record<string, string>;
  /** The pods' selector labels (fixed for the workload's life: a Deployment's selector cannot change). */
  selector: Record<string, string>;
  /** CPU and memory requests per pod. */
  resources: { cpu: string; memory: string };
  /** The container's environment (env.ts). */
  env: pulumi.Input<k8s.types.input.core.v1.EnvVar>[];
  /** The checksum of its secret values (rolls the pods on a rotation), when it has any. */
  secretChecksum?: pulumi.Output<string>;
  /** The pull Secret for a private image, when its registry has credentials. */
  imagePullSecretName?: pulumi.Input<string>;
  /** Who may connect to its port (a web workload): the ingress controller, or the other workloads. Empty: nobody. */
  ingressFrom: pulumi.Input<k8s.types.input.networking.v1.NetworkPolicyPeer>[];
  /** The private CAs of the resources it uses, mounted at /etc/ha-topology/ca (caVolume.ts), when there are any. */
  ca?: CaMount;
  /** Where its pods may connect to (network.ts `egressRules`). */
  egress: pulumi.Input<k8s.types.input.networking.v1.NetworkPolicyEgressRule>[];
}

/** The restricted Pod Security profile, as the single service's app runs. */
/** Pods of a workload spread over zones and hosts where possible (never refused a node for it): the web's, the site's, the single service's. */
export function spreadOverZonesAndHosts(selector: Record<string, string>) {
  return [
    { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
    { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
  ];
}

export const podSecurity = { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } };
/** Its container half. */
export const containerSecurity = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };

/**
 * Seconds a worker's pod must run without its container exiting before it counts as
 * available. A worker has no probe (nothing connects to it), so it is ready the moment
 * its container starts; with this, a new image that crash-loops never becomes available,
 * the rollout (maxUnavailable 0) keeps the old pods, and Pulumi's Deployment await fails
 * the update at the progress deadline instead of reporting it done.
 */
export const workerLiveSeconds = workerLive.healthyThreshold * workerLive.intervalSeconds;

/** A workload's Deployment and what keeps it available. */
export class KubernetesWorkload extends pulumi.ComponentResource {
  /** The Deployment's name. */
  readonly deploymentName: pulumi.Output<string>;

  constructor(name: string, args: WorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:kubernetes:Workload", name, {}, opts);
    const { workload: w, namespace, selector } = args;
    const parent = { parent: this };
    const labels = { ...args.labels, ...selector, [kubernetesRoleKey]: args.role };
    const metadata = (objectName: string) => ({ name: objectName, namespace, labels });

    const account = new k8s.core.v1.ServiceAccount(name, { metadata: metadata(name), automountServiceAccountToken: false }, parent);

    const web = w.kind === "web" ? w : undefined;
    const preStopSeconds = web ? Math.max(web.drainSeconds, 5) : 0;
    const probes = web
      ? (() => {
          const hc = web.healthCheck;
          const probe = (path: string, failureThreshold: number) => ({
            httpGet: { path, port: httpPortName },
            periodSeconds: hc.intervalSeconds,
            timeoutSeconds: hc.timeoutSeconds,
            failureThreshold,
          });
          return {
            // The grace period, on the liveness path: the process is up, whatever its dependencies.
            startupProbe: probe(hc.liveness.path, Math.max(hc.liveness.unhealthyThreshold, Math.ceil(hc.gracePeriodSeconds / hc.intervalSeconds))),
            // Readiness decides traffic only.
            readinessProbe: { ...probe(hc.path, hc.unhealthyThreshold), successThreshold: hc.healthyThreshold },
            // Liveness decides restarts.
            livenessProbe: probe(hc.liveness.path, hc.liveness.unhealthyThreshold),
            lifecycle: { preStop: { sleep: { seconds: preStopSeconds } } },
          };
        })()
      : {};

    const deployment = new k8s.apps.v1.Deployment(name, {
      metadata: metadata(name),
      spec: {
        replicas: w.count,
        selector: { matchLabels: selector },
        // A web pod is available when its readiness probe passes; a worker when it stayed up.
        ...(!web && { minReadySeconds: workerLiveSeconds }),
        // Surge first, never below the healthy count.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels, ...(args.secretChecksum && { annotations: { [secretChecksumAnnotation]: args.secretChecksum } }) },
          spec: {
            serviceAccountName: account.metadata.name,
            automountServiceAccountToken: false,
            // No docker-link variables of every Service in the namespace (WEB_API_PORT=tcp://…):
            // the workload's environment is exactly its bindings and its own.
            enableServiceLinks: false,
            ...(args.imagePullSecretName && { imagePullSecrets: [{ name: args.imagePullSecretName }] }),
            terminationGracePeriodSeconds: preStopSeconds + w.stopTimeoutSeconds,
            securityContext: podSecurity,
            topologySpreadConstraints: spreadOverZonesAndHosts(selector),
            containers: [{
              name: "app",
              image: w.image,
              ...(w.command && { args: w.command }),
              ...(web && { ports: [{ name: httpPortName, containerPort: web.port }] }),
              env: args.env,
              ...probes,
              resources: { requests: args.resources, limits: { memory: args.resources.memory } },
              securityContext: containerSecurity,
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...(args.ca ? [args.ca.mount] : [])],
            }],
            volumes: [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }, ...(args.ca ? [args.ca.volume] : [])],
          },
        },
      },
    }, {
      ...parent,
      // The autoscaler owns the replica count once the Deployment exists.
      ignoreChanges: ["spec.replicas"],
    });

    new k8s.policy.v1.PodDisruptionBudget(name, {
      metadata: metadata(name),
      spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
    }, parent);

    const hpa = new k8s.autoscaling.v2.HorizontalPodAutoscaler(name, {
      metadata: metadata(name),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
        minReplicas: w.count,
        maxReplicas: w.maxCount,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: w.cpuTargetPercent } } }],
      },
    }, parent);

    // A raised count only raises the HPA's minimum (the Deployment ignores spec.replicas):
    // this waits until that many pods are available (scaleWait.ts).
    new ScaleWait(name, { namespace: deployment.metadata.namespace, deploymentName: deployment.metadata.name, hpaName: hpa.metadata.name, count: w.count }, { ...parent, dependsOn: [deployment, hpa] });

    // Who reaches the port (the namespace's default-deny admits nobody else). An empty
    // `from` would admit every pod: no peer, no policy.
    if (web && args.ingressFrom.length > 0) {
      new k8s.networking.v1.NetworkPolicy(`${name}-in`, {
        metadata: metadata(`${name}-in`),
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress"],
          ingress: [{ from: args.ingressFrom, ports: [{ protocol: "TCP", port: httpPortName }] }],
        },
      }, parent);
    }
    egressPolicy(`${name}-out`, { namespace, labels, selector, egress: args.egress }, parent);

    this.deploymentName = deployment.metadata.name;
    this.registerOutputs({ deploymentName: this.deploymentName });
  }
}

/** The egress NetworkPolicy of a workload's pods: only where `egress` allows. */
export function egressPolicy(
  name: string,
  args: { namespace: pulumi.Input<string>; labels: Record<string, string>; selector: Record<string, string>; egress: pulumi.Input<k8s.types.input.networking.v1.NetworkPolicyEgressRule>[] },
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy {
  return new k8s.networking.v1.NetworkPolicy(name, {
    metadata: { name, namespace: args.namespace, labels: args.labels },
    spec: { podSelector: { matchLabels: args.selector }, policyTypes: ["Egress"], egress: args.egress },
  }, opts);
}
