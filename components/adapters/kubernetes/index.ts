/**
 * The Kubernetes adapter: the same topology on any cluster with an ingress controller,
 * cert-manager and the CloudNativePG operator. A namespace with a default-deny network
 * policy, the app (Deployment, PDB, HPA, Service, Ingress), a CloudNativePG cluster with
 * backups to the user's S3-compatible bucket, and optionally a Valkey session store.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { platformEnv } from "../../appEnvironment";
import { parseImageReference } from "../../imageReference";
import { dockerConfigJson } from "../../registryLogin";
import { DatabaseIdentity, waitForGuard } from "../../databaseIdentity";
import { currentStack, dnsLabelRule, fitName, stackSegment, warnIfLegacyName } from "../../physicalNames";
import { resolveSize } from "../../sizes";
import type { Adapter } from "../adapter";
import { App, type SecretEnv } from "./app";
import { Database } from "./database";
import { CnpgOperator } from "./operator";
import { SessionStore } from "./sessionStore";

/** The ingress controller appends the client to X-Forwarded-For (see README for the controller's settings). */
const trustedProxyHops = 1;

/** "250m/256Mi" -> requests. */
function requests(size: string): { cpu: string; memory: string } {
  const [cpu, memory] = size.split("/");
  return { cpu, memory };
}

/** Maps the topology onto a Kubernetes cluster under `parent`. */
export const kubernetesAdapter: Adapter = (name, topology, secrets, parent) => {
  const { nodes, database: dbSpec, sessions: sessionsSpec, storage, kubernetes } = topology;
  // Every resource of the adapter waits for the guard of the create-only database settings
  // (registered first, below, with `guardOpts`): a refused change touches nothing.
  const guardOpts = { parent };
  const labels = { "app.kubernetes.io/part-of": name, "app.kubernetes.io/managed-by": "pulumi" };
  const appLabels = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "app" };

  const identity = new DatabaseIdentity(`${name}-db-identity`, {
    cloud: "kubernetes",
    keys: { "ha-topology:database.name": dbSpec.name, "ha-topology:database.username": dbSpec.username },
  }, guardOpts);
  const opts = { parent, transformations: [waitForGuard(identity)] };

  // The default namespace is per project and stack, so two stacks on one cluster never
  // share objects. A namespace's name is fixed at creation: a stack created before the
  // default carried the stack keeps its namespace (`<name>`, ignoreChanges). An explicit
  // `kubernetes.namespace` is the user's choice and is followed as given.
  const defaultNamespace = fitName(`${name}-${stackSegment(currentStack(), dnsLabelRule)}`, 63);
  const namespaceResource = new k8s.core.v1.Namespace(`${name}-ns`, {
    metadata: {
      name: kubernetes.namespace ?? defaultNamespace,
      labels: {
        ...labels,
        // The app runs restricted; the data tier's images need baseline.
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/warn": "restricted",
      },
    },
  }, {
    ...opts,
    ...(kubernetes.namespace === undefined && { ignoreChanges: ["metadata.name"] }),
    // Deleting a namespace deletes everything in it, the database's volumes included,
    // whatever Pulumi's `protect` on the Cluster says: it is protected like the Cluster.
    protect: true,
  });
  if (kubernetes.namespace === undefined) warnIfLegacyName("The namespace", namespaceResource.metadata.name, defaultNamespace, namespaceResource);
  const namespace = namespaceResource.metadata.name;
  const metadata = (objectName: string) => ({ name: objectName, namespace, labels });

  // Nothing reaches a pod of the namespace unless a policy says so.
  new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, {
    metadata: metadata("default-deny-ingress"),
    spec: { podSelector: {}, policyTypes: ["Ingress"] },
  }, opts);

  // The parser guarantees the bucket settings on kubernetes.
  const bucket = { endpoint: storage.endpoint ?? "", bucket: storage.bucket ?? "", region: storage.region ?? "us-east-1" };
  const bucketSecret = new k8s.core.v1.Secret(`${name}-bucket`, {
    metadata: metadata(`${name}-bucket`),
    type: "Opaque",
    // The key names CloudNativePG's backups are told to read.
    stringData: { ACCESS_KEY_ID: pulumi.secret(storage.accessKeyId ?? ""), ACCESS_SECRET_KEY: pulumi.secret(storage.secretAccessKey ?? "") },
  }, opts).metadata.name;

  const operator = kubernetes.installCnpgOperator ? new CnpgOperator(name, {}, opts) : undefined;
  const database = new Database(name, {
    spec: dbSpec,
    kubernetes,
    namespace,
    resources: requests(resolveSize("kubernetes", "database", dbSpec.size)),
    bucket: { ...bucket, credentialsSecretName: bucketSecret },
    appLabels,
    dependsOn: operator ? [operator.ready] : undefined,
    labels,
    identity,
  }, opts);
  const sessionStore = sessionsSpec.enabled
    ? new SessionStore(name, { spec: sessionsSpec, namespace, resources: requests(resolveSize("kubernetes", "sessions", sessionsSpec.size)), appLabels, labels }, opts)
    : undefined;

  const env = pulumi
    .output({ dbHost: database.host, readHost: database.readHost, sessionsHost: sessionStore ? sessionStore.host : pulumi.output(undefined) })
    .apply((f) => ({
      ...nodes.env,
      ...platformEnv({
        port: nodes.port,
        image: nodes.image,
        trustedProxyHops,
        database: { host: f.dbHost, port: database.port, name: dbSpec.name, engine: dbSpec.engine, readHosts: dbSpec.readReplicas > 0 ? [f.readHost] : undefined },
        bucket: { name: bucket.bucket, region: bucket.region, endpoint: bucket.endpoint },
        sessions: f.sessionsHost && sessionStore ? { host: f.sessionsHost, port: sessionStore.port, tls: sessionStore.tls } : undefined,
      }),
    }));
  const configMap = new k8s.core.v1.ConfigMap(`${name}-env`, { metadata: metadata(`${name}-env`), data: env }, opts).metadata.name;
  const appSecret = Object.keys(secrets).length > 0
    ? new k8s.core.v1.Secret(`${name}-app-secrets`, { metadata: metadata(`${name}-app-secrets`), type: "Opaque", stringData: secrets }, opts).metadata.name
    : undefined;
  const secretEnv: SecretEnv[] = [
    { name: "DATABASE_USER", secretName: database.credentialsSecretName, key: "username" },
    { name: "DATABASE_PASSWORD", secretName: database.credentialsSecretName, key: "password" },
    { name: "BUCKET_ACCESS_KEY_ID", secretName: bucketSecret, key: "ACCESS_KEY_ID" },
    { name: "BUCKET_SECRET_ACCESS_KEY", secretName: bucketSecret, key: "ACCESS_SECRET_KEY" },
    ...(sessionStore ? [{ name: "SESSION_STORE_PASSWORD", secretName: sessionStore.passwordSecretName, key: "password" }] : []),
  ];

  // A private registry's credentials, as the pull secret the kubelet uses for the app's
  // image. Without credentials the cluster's own pull access applies (EKS node role, GKE
  // node service account, ...).
  const credentials = topology.registry;
  const imagePullSecret = credentials
    ? new k8s.core.v1.Secret(`${name}-registry`, {
        metadata: metadata(`${name}-registry`),
        type: "kubernetes.io/dockerconfigjson",
        stringData: { ".dockerconfigjson": pulumi.secret(dockerConfigJson(parseImageReference(nodes.image).host, credentials)) },
      }, opts).metadata.name
    : undefined;

  const app = new App(name, {
    nodes,
    healthCheck: topology.healthCheck,
    kubernetes,
    domain: topology.domain,
    namespace,
    appLabels,
    resources: requests(resolveSize("kubernetes", "node", nodes.size)),
    configMapName: configMap,
    appSecretName: appSecret,
    secretEnv,
    imagePullSecretName: imagePullSecret,
    labels,
  }, opts);

  return {
    url: pulumi.output(`https://${topology.domain}`),
    loadBalancerAddress: app.address,
    dnsRecords: app.address.apply((address) =>
      address ? [{ name: topology.domain, type: /^\d+\.\d+\.\d+\.\d+$/.test(address) ? "A" : "CNAME", value: address, purpose: "serve traffic (the ingress controller's load balancer); cert-manager issues the certificate once it resolves" }] : [],
    ),
    bucketName: pulumi.output(bucket.bucket),
    databaseEndpoint: database.endpoint,
    nodeGroupId: app.deploymentName,
    sessionStoreEndpoint: sessionStore ? sessionStore.endpoint : pulumi.output(undefined),
  };
};
