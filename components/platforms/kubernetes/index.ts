/**
 * The Kubernetes platform: the topology on any cluster with an ingress controller,
 * cert-manager and the CloudNativePG operator (platform.ts). A namespace with a
 * default-deny network policy; per workload a Deployment, PodDisruptionBudget and
 * HorizontalPodAutoscaler (app.ts for the single service's web, workload.ts for the
 * others); a Service per web workload and one Ingress for every route (edge.ts);
 * CloudNativePG clusters with backups to the user's S3-compatible bucket (database.ts),
 * Valkey stores (sessionStore.ts) and generated secrets (secretResource.ts).
 */
export { kubernetesPlatform } from "./platform";
export type { KubernetesEdgeHandle, KubernetesFoundation, KubernetesResourceHandle, KubernetesWorkloadHandle } from "./platform";
