/**
 * A static site on Kubernetes (`kind: site`, issue 17): the files in the stack's first
 * bucket resource (the user's S3-compatible storage, as the databases' backups), served by
 * an unprivileged nginx Deployment that copies them into an emptyDir at start, behind a
 * ClusterIP Service that the stack's one Ingress routes the site's host and path to
 * (platform.ts, edge.ts), with cert-manager's TLS like every route.
 *
 * Why a bucket and not ConfigMaps: a ConfigMap holds at most 1 MiB and every one lives in
 * etcd, which is not a file store; a built front end is megabytes, and the bucket is
 * already there (a Kubernetes stack with a database must declare one). The upload is one
 * `aws.s3.BucketObjectv2` per file through a provider of this component's own, pointed at
 * the bucket's endpoint (any S3-compatible store: MinIO, Ceph, R2, Spaces, S3), with the
 * content type and Cache-Control from components/siteFiles.ts and `sourceHash` its
 * SHA-256, so a deploy uploads only the files that changed. The pod template carries the
 * digest of every file and of the configuration: a deploy that changes a file rolls the
 * pods (surge first, never below the ready count), each new pod copying the new files
 * before it is ready, while the old ones keep serving theirs.
 *
 * The same promises as a web workload (workload.ts): two replicas or more (an HPA up to
 * six), a PodDisruptionBudget, readiness and liveness probes, spread over zones and hosts,
 * the restricted Pod Security profile (non-root, read-only root filesystem, no
 * capability), role web, and NetworkPolicies: the ingress controller's namespace only,
 * egress to DNS and the internet (the bucket) only.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kubernetesRoleKey } from "../../../contract/roles";
import type { BucketResource, SiteWorkload } from "../../model/model";
import type { DigestedSiteFile } from "../../siteFiles";
import { httpPortName } from "./edge";
import { egressRules } from "./network";
import { siteConfigDir, siteConfigFile, siteRoot, siteServerConfig, siteServerImage, siteServerPort, siteSyncImage, urlPathOf } from "./siteServer";
import { containerSecurity, podSecurity, spreadOverZonesAndHosts } from "./workload";

/** The pod template annotation with the digest of the site's files and configuration (a change rolls the pods). */
export const siteDigestAnnotation = "ha-topology/site-digest";

/** The fewest replicas a site runs (its HPA's minimum): as a web workload's count, one may fail or be replaced. */
export const siteMinReplicas = 2;
/** The most its HPA scales to. */
export const siteMaxReplicas = 6;

/** The logical name of a file's object: stable and collision-free whatever the key holds (unicode, spaces). */
export function siteFileObjectName(siteLogicalName: string, key: string): string {
  return `${siteLogicalName}-file-${createHash("sha256").update(key, "utf8").digest("hex").slice(0, 16)}`;
}

/** Arguments of KubernetesSite. */
export interface SiteArgs {
  /** The site. */
  site: SiteWorkload;
  /** Its files (components/siteFiles.ts `siteFiles`). */
  files: DigestedSiteFile[];
  /** The bucket its files are uploaded to and copied from. */
  bucket: BucketResource;
  /** The bucket's credentials Secret (keys ACCESS_KEY_ID and ACCESS_SECRET_KEY). */
  bucketSecretName: pulumi.Input<string>;
  /** The object key prefix of the site in the bucket (ends with `/`). */
  prefix: pulumi.Input<string>;
  /** The namespace. */
  namespace: pulumi.Input<string>;
  /** Labels of every object. */
  labels: Record<string, string>;
  /** The pods' selector labels. */
  selector: Record<string, string>;
  /** The namespace of the ingress controller (the only peer admitted to the pods). */
  ingressNamespace: string;
}

/** The Deployment, Service and objects of one site. */
export class KubernetesSite extends pulumi.ComponentResource {
  /** The Deployment's name (the site's node group). */
  readonly deploymentName: pulumi.Output<string>;
  /** The Service's name (the Ingress backend). */
  readonly serviceName: pulumi.Output<string>;

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:kubernetes:Site", name, {}, opts);
    const { site, files, bucket, namespace, selector } = args;
    const parent = { parent: this };
    const labels = { ...args.labels, ...selector, [kubernetesRoleKey]: "web" };
    const metadata = (objectName: string) => ({ name: objectName, namespace, labels });

    // The upload: the provider speaks S3 to the bucket's endpoint; with no endpoint, to AWS S3.
    const provider = new aws.Provider(`${name}-s3`, {
      region: bucket.region ?? "us-east-1",
      ...(bucket.accessKeyId !== undefined && { accessKey: bucket.accessKeyId }),
      ...(bucket.secretAccessKey !== undefined && { secretKey: pulumi.secret(bucket.secretAccessKey) }),
      ...(bucket.endpoint && {
        endpoints: [{ s3: bucket.endpoint }],
        // An S3-compatible store has no STS, IAM or instance metadata, and often no virtual-host buckets.
        s3UsePathStyle: true,
        skipCredentialsValidation: true,
        skipRequestingAccountId: true,
        skipMetadataApiCheck: true,
        skipRegionValidation: true,
      }),
    }, parent);
    const objects = files.map((file) =>
      new aws.s3.BucketObjectv2(siteFileObjectName(name, file.key), {
        bucket: bucket.bucket ?? "",
        key: pulumi.interpolate`${args.prefix}${file.key}`,
        // Relative to the project directory: the same input on every machine.
        source: new pulumi.asset.FileAsset(path.posix.join(site.source, file.key)),
        sourceHash: file.sha256,
        contentType: file.contentType,
        cacheControl: file.cacheControl,
      }, { ...parent, provider }),
    );

    const config = siteServerConfig(site, files);
    const configMap = new k8s.core.v1.ConfigMap(`${name}-nginx`, { metadata: metadata(`${name}-nginx`), data: { [siteConfigFile]: config } }, parent);
    const digest = createHash("sha256").update(JSON.stringify({ files: files.map((f) => [f.key, f.sha256, f.contentType, f.cacheControl]), config })).digest("hex");

    const account = new k8s.core.v1.ServiceAccount(name, { metadata: metadata(name), automountServiceAccountToken: false }, parent);

    // Room for the files twice over (a pod evicted past it), at least 64 MiB.
    const totalBytes = files.reduce((n, f) => n + f.size, 0);
    const siteVolumeMi = Math.max(64, Math.ceil((2 * totalBytes) / (1024 * 1024)));
    const prefixDir = site.route.path === "/" ? siteRoot : `${siteRoot}${site.route.path}`;
    const index = urlPathOf(site, "index.html");
    const probe = (failureThreshold: number) => ({ httpGet: { path: index, port: httpPortName }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold });
    const secretEnv = (envName: string, key: string) => ({ name: envName, valueFrom: { secretKeyRef: { name: args.bucketSecretName, key } } });

    const deployment = new k8s.apps.v1.Deployment(name, {
      metadata: metadata(name),
      spec: {
        replicas: siteMinReplicas,
        selector: { matchLabels: selector },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        template: {
          metadata: { labels, annotations: { [siteDigestAnnotation]: digest } },
          spec: {
            serviceAccountName: account.metadata.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 30,
            securityContext: podSecurity,
            topologySpreadConstraints: spreadOverZonesAndHosts(selector),
            initContainers: [{
              name: "sync",
              image: siteSyncImage,
              // Copies the site's prefix (every file of this deploy: the objects are uploaded before the Deployment changes).
              args: ["copy", pulumi.interpolate`:s3:${bucket.bucket ?? ""}/${args.prefix}`, prefixDir, "--retries=5", "--low-level-retries=10", "--s3-no-check-bucket"],
              env: [
                { name: "RCLONE_S3_PROVIDER", value: bucket.endpoint ? "Other" : "AWS" },
                { name: "RCLONE_S3_REGION", value: bucket.region ?? "us-east-1" },
                ...(bucket.endpoint ? [{ name: "RCLONE_S3_ENDPOINT", value: bucket.endpoint }] : []),
                secretEnv("RCLONE_S3_ACCESS_KEY_ID", "ACCESS_KEY_ID"),
                secretEnv("RCLONE_S3_SECRET_ACCESS_KEY", "ACCESS_SECRET_KEY"),
                // rclone keeps its config and cache under HOME: the writable /tmp.
                { name: "HOME", value: "/tmp" },
                { name: "RCLONE_CONFIG", value: "/tmp/rclone.conf" },
              ],
              resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
              securityContext: containerSecurity,
              volumeMounts: [{ name: "site", mountPath: siteRoot }, { name: "tmp", mountPath: "/tmp" }],
            }],
            containers: [{
              name: "server",
              image: siteServerImage,
              // nginx itself (not the image's entrypoint scripts, which would edit files under a read-only /etc).
              command: ["nginx"],
              args: ["-c", `${siteConfigDir}/${siteConfigFile}`, "-e", "stderr", "-g", "daemon off;"],
              ports: [{ name: httpPortName, containerPort: siteServerPort }],
              readinessProbe: probe(3),
              livenessProbe: probe(6),
              // The ingress controller stops sending before nginx stops.
              lifecycle: { preStop: { sleep: { seconds: 5 } } },
              resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } },
              securityContext: containerSecurity,
              volumeMounts: [
                { name: "site", mountPath: siteRoot, readOnly: true },
                { name: "config", mountPath: siteConfigDir, readOnly: true },
                { name: "tmp", mountPath: "/tmp" },
              ],
            }],
            volumes: [
              { name: "site", emptyDir: { sizeLimit: `${siteVolumeMi}Mi` } },
              { name: "config", configMap: { name: configMap.metadata.name } },
              { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
            ],
          },
        },
      },
    }, {
      ...parent,
      // Every file is in the bucket before a new pod copies them.
      dependsOn: objects,
      // The autoscaler owns the replica count once the Deployment exists.
      ignoreChanges: ["spec.replicas"],
    });

    new k8s.policy.v1.PodDisruptionBudget(name, { metadata: metadata(name), spec: { maxUnavailable: 1, selector: { matchLabels: selector } } }, parent);
    new k8s.autoscaling.v2.HorizontalPodAutoscaler(name, {
      metadata: metadata(name),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
        minReplicas: siteMinReplicas,
        maxReplicas: siteMaxReplicas,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
      },
    }, parent);

    const service = new k8s.core.v1.Service(name, {
      metadata: metadata(name),
      spec: { type: "ClusterIP", selector, ports: [{ name: httpPortName, port: siteServerPort, targetPort: httpPortName }] },
    }, parent);

    // Only the ingress controller reaches the server; the pods reach DNS and the internet (the bucket) only.
    new k8s.networking.v1.NetworkPolicy(`${name}-in`, {
      metadata: metadata(`${name}-in`),
      spec: {
        podSelector: { matchLabels: selector },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.ingressNamespace } } }], ports: [{ protocol: "TCP", port: httpPortName }] }],
      },
    }, parent);
    new k8s.networking.v1.NetworkPolicy(`${name}-out`, {
      metadata: metadata(`${name}-out`),
      spec: { podSelector: { matchLabels: selector }, policyTypes: ["Egress"], egress: egressRules([]) },
    }, parent);

    this.deploymentName = deployment.metadata.name;
    this.serviceName = service.metadata.name;
    this.registerOutputs({ deploymentName: this.deploymentName, serviceName: this.serviceName });
  }
}
