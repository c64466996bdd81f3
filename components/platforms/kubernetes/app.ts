/**
 * The app on Kubernetes: a Deployment that rolls with zero unavailable, probes on the
 * health path, a preStop pause longer than the ingress controller's endpoint update, a
 * restricted security context and zone/host spreading; a PodDisruptionBudget, a
 * HorizontalPodAutoscaler, a ClusterIP Service, an Ingress with cert-manager TLS, and the
 * NetworkPolicy that admits only the ingress controller.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { HealthCheckSpec, KubernetesSpec, NodesSpec } from "../../topology";
import { spreadOverZonesAndHosts } from "./workload";
import type { CaMount } from "./caVolume";
import { ScaleWait } from "./scaleWait";

/** A container environment variable read from a key of a Secret. */
export interface SecretEnv {
  /** The variable's name. */
  name: string;
  /** The Secret's name. */
  secretName: pulumi.Input<string>;
  /** The key in the Secret. */
  key: string;
}

/** Arguments of App. */
export interface AppArgs {
  /** The nodes part of the topology (replicas, image, port, drain time). */
  nodes: NodesSpec;
  /** The health check part of the topology (probes). */
  healthCheck: HealthCheckSpec;
  /** The Kubernetes settings (ingress class, issuer, ingress namespace). */
  kubernetes: KubernetesSpec;
  /** The public hostname. */
  domain: string;
  /** The namespace. */
  namespace: pulumi.Input<string>;
  /** The pods' labels (selectors and network policies use them). */
  appLabels: Record<string, string>;
  /** CPU and memory requests per pod. */
  resources: { cpu: string; memory: string };
  /** The ConfigMap with the plain environment. */
  configMapName: pulumi.Input<string>;
  /** The Secret with the app's own secrets (every key becomes a variable), if any. */
  appSecretName?: pulumi.Input<string>;
  /** Platform secrets read key by key (database, bucket, session store credentials). */
  secretEnv: SecretEnv[];
  /** A `kubernetes.io/dockerconfigjson` Secret the kubelet pulls the app's image with (private registries only). */
  imagePullSecretName?: pulumi.Input<string>;
  /** Labels for every object. */
  labels: Record<string, string>;
  /**
   * Variables appended after `secretEnv` (the several-workloads model's variables of this
   * workload that the single service never had: see env.ts). Unset: the pod spec is
   * exactly the single service's.
   */
  extraEnv?: pulumi.Input<k8s.types.input.core.v1.EnvVar>[];
  /** The private CAs of the resources it uses, mounted at /etc/ha-topology/ca (caVolume.ts), when there are any. */
  ca?: CaMount;
  /** Annotations of the pod template (the secrets' checksum that rolls the pods on a rotation); unset: none. */
  podAnnotations?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Labels added to the Deployment and its pod template, not to the selector (the role); unset: none. */
  extraLabels?: Record<string, string>;
  /** The container's arguments (the workload's `command`, given to the image's entry point); unset: the image's. */
  args?: string[];
  /** The liveness check, when it differs from the readiness one (`healthCheck.liveness`); unset: the single service's. */
  liveness?: { path: string; unhealthyThreshold: number };
  /** Seconds the container gets after SIGTERM, beyond the preStop pause; unset: 30. */
  stopTimeoutSeconds?: number;
  /** More rules of the Ingress (the other public web workloads' routes), after the domain's. */
  extraRules?: pulumi.Input<k8s.types.input.networking.v1.IngressRule>[];
  /** More TLS entries of the Ingress (the other hosts' certificates), after the domain's. */
  extraTls?: pulumi.Input<k8s.types.input.networking.v1.IngressTLS>[];
}

/** Named port of the app container, used by probes, the Service and the policy. */
const portName = "http";

/** The app's workload and its front door. */
export class App extends pulumi.ComponentResource {
  /** The Deployment's name. */
  readonly deploymentName: pulumi.Output<string>;
  /** The Service's name. */
  readonly serviceName: pulumi.Output<string>;
  /** The Ingress's load balancer address, once the controller publishes it. */
  readonly address: pulumi.Output<string>;

  constructor(name: string, args: AppArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:kubernetes:App", name, {}, opts);
    const { nodes, healthCheck: hc, kubernetes, namespace, appLabels } = args;
    const parent = { parent: this };
    const metadata = (objectName: string) => ({ name: objectName, namespace, labels: { ...args.labels, ...appLabels } });
    const podLabels = { ...args.labels, ...appLabels, ...args.extraLabels };

    const account = new k8s.core.v1.ServiceAccount(`${name}-app`, { metadata: metadata(name), automountServiceAccountToken: false }, parent);

    const probe = (failureThreshold: number, path = hc.path) => ({
      httpGet: { path, port: portName },
      periodSeconds: hc.intervalSeconds,
      timeoutSeconds: hc.timeoutSeconds,
      failureThreshold,
    });
    // The pod stays in the endpoints for this long after it is told to stop: the ingress
    // controller removes it from its upstreams first, so no request meets a closed port.
    const preStopSeconds = Math.max(nodes.drainSeconds, 5);

    const deployment = new k8s.apps.v1.Deployment(`${name}-app`, {
      metadata: args.extraLabels ? { ...metadata(name), labels: podLabels } : metadata(name),
      spec: {
        replicas: nodes.count,
        selector: { matchLabels: appLabels },
        // Surge first, never below the healthy count.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels: podLabels, ...(args.podAnnotations && { annotations: args.podAnnotations }) },
          spec: {
            serviceAccountName: account.metadata.name,
            automountServiceAccountToken: false,
            // Only the app's pods use the user's image; the data tier runs public images.
            ...(args.imagePullSecretName && { imagePullSecrets: [{ name: args.imagePullSecretName }] }),
            terminationGracePeriodSeconds: preStopSeconds + (args.stopTimeoutSeconds ?? 30),
            securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
            topologySpreadConstraints: spreadOverZonesAndHosts(appLabels),
            containers: [{
              name: "app",
              image: nodes.image,
              ...(args.args && { args: args.args }),
              ports: [{ name: portName, containerPort: nodes.port }],
              envFrom: [
                { configMapRef: { name: args.configMapName } },
                ...(args.appSecretName ? [{ secretRef: { name: args.appSecretName } }] : []),
              ],
              env: [
                ...args.secretEnv.map((e) => ({ name: e.name, valueFrom: { secretKeyRef: { name: e.secretName, key: e.key } } })),
                ...(args.extraEnv ?? []),
              ],
              // Startup covers the grace period; then readiness gates traffic and liveness restarts a hung process.
              // Never fewer failures than readiness allows: with a short grace (0) a single
              // failed check at the container's first second would restart it, forever.
              // A separate liveness check (several-workloads model) also gates the start: the
              // process is up when it answers liveness, however its dependencies are.
              startupProbe: { ...probe(Math.max(hc.unhealthyThreshold, Math.ceil(hc.gracePeriodSeconds / hc.intervalSeconds)), args.liveness?.path) },
              readinessProbe: probe(hc.unhealthyThreshold),
              livenessProbe: args.liveness ? probe(args.liveness.unhealthyThreshold, args.liveness.path) : probe(hc.unhealthyThreshold * 2),
              // The sleep action needs no shell in the image (Kubernetes 1.30+).
              lifecycle: { preStop: { sleep: { seconds: preStopSeconds } } },
              resources: { requests: args.resources, limits: { memory: args.resources.memory } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
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

    new k8s.policy.v1.PodDisruptionBudget(`${name}-app`, {
      metadata: metadata(name),
      spec: { maxUnavailable: 1, selector: { matchLabels: appLabels } },
    }, parent);

    const hpa = new k8s.autoscaling.v2.HorizontalPodAutoscaler(`${name}-app`, {
      metadata: metadata(name),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
        minReplicas: nodes.count,
        maxReplicas: nodes.maxCount,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: nodes.cpuTargetPercent } } }],
      },
    }, parent);

    // A raised count only raises the HPA's minimum (the Deployment ignores spec.replicas):
    // this waits until that many pods are available (scaleWait.ts).
    new ScaleWait(`${name}-app`, { namespace: deployment.metadata.namespace, deploymentName: deployment.metadata.name, hpaName: hpa.metadata.name, count: nodes.count }, { ...parent, dependsOn: [deployment, hpa] });

    const service = new k8s.core.v1.Service(`${name}-app`, {
      metadata: metadata(name),
      spec: { type: "ClusterIP", selector: appLabels, ports: [{ name: portName, port: 80, targetPort: portName }] },
    }, parent);

    const ingress = new k8s.networking.v1.Ingress(`${name}-app`, {
      metadata: {
        ...metadata(name),
        annotations: {
          "cert-manager.io/cluster-issuer": kubernetes.clusterIssuer,
          "nginx.ingress.kubernetes.io/ssl-redirect": "true",
          "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
        },
      },
      spec: {
        ingressClassName: kubernetes.ingressClassName,
        tls: [{ hosts: [args.domain], secretName: `${name}-tls` }, ...(args.extraTls ?? [])],
        rules: [{
          host: args.domain,
          http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: service.metadata.name, port: { name: portName } } } }] },
        }, ...(args.extraRules ?? [])],
      },
    }, parent);

    new k8s.networking.v1.NetworkPolicy(`${name}-app`, {
      metadata: metadata(`${name}-from-ingress`),
      spec: {
        podSelector: { matchLabels: appLabels },
        policyTypes: ["Ingress"],
        ingress: [{
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": kubernetes.ingressNamespace } } }],
          ports: [{ protocol: "TCP", port: portName }],
        }],
      },
    }, parent);

    this.deploymentName = deployment.metadata.name;
    this.serviceName = service.metadata.name;
    this.address = ingress.status.apply((s) => s?.loadBalancer?.ingress?.[0]?.hostname ?? s?.loadBalancer?.ingress?.[0]?.ip ?? "");
    this.registerOutputs({ deploymentName: this.deploymentName, serviceName: this.serviceName });
  }
}
