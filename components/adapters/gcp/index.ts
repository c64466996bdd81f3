/**
 * The GCP adapter: a regional managed instance group over >= 2 zones behind a global
 * external HTTPS load balancer with a Google-managed certificate, GCS, Cloud SQL with
 * REGIONAL availability on private IP, optional Memorystore Redis STANDARD_HA, Secret
 * Manager for every secret, and an uptime check with an alert.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryLogin } from "../../bootstrap";
import { configProblem, TopologyConfigError } from "../../configError";
import { registryOf, type Registry } from "../../imageReference";
import { DatabaseIdentity, waitForGuard } from "../../databaseIdentity";
import { gcpLogDriver } from "../../logShipping";
import { nodeUserData } from "../../nodeUserData";
import { resolveSize } from "../../sizes";
import type { Adapter } from "../adapter";
import { Bucket } from "./bucket";
import { Database } from "./database";
import { Firewall } from "./firewall";
import { JsonSecret } from "./jsonSecret";
import { LoadBalancer } from "./loadBalancer";
import { Monitoring } from "./monitoring";
import { Network } from "./network";
import { NodeGroup, namedPort } from "./nodeGroup";
import { NodeIdentity } from "./nodeIdentity";
import { artifactRegistryLogin, explainRepositoryPlacement, secretManagerLogin } from "./registryAccess";
import { secretManagerSource } from "./secretSource";
import { SessionStore, sessionStorePort } from "./sessionStore";

/**
 * The global external load balancer's proxy appends "<client>, <load balancer IP>" to
 * X-Forwarded-For: the client is the second entry from the right.
 */
const trustedProxyHops = 2;

/** Seconds the app gets between SIGTERM and SIGKILL (draining has already happened). */
const stopTimeoutSeconds = 30;

/** The provider settings the adapter needs, or one error naming every missing one. */
function providerSettings(): { project: string; region: string } {
  const project = gcp.config.project;
  const region = gcp.config.region;
  const problems = [
    ...(project ? [] : [configProblem("gcp:project", "nothing", "your project ID (pulumi config set gcp:project <id>)")]),
    ...(region ? [] : [configProblem("gcp:region", "nothing", "a region such as europe-west1 (pulumi config set gcp:region <region>)")]),
  ];
  if (problems.length > 0 || !project || !region) throw new TopologyConfigError(problems);
  return { project, region };
}

/** GCP labels: lowercase keys and values, letters, digits, "-" and "_". */
function labelValue(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_-]/g, "-").slice(0, 63);
}

/** Maps the topology onto GCP under `parent`. */
export const gcpAdapter: Adapter = (name, topology, secrets, parent) => {
  const { nodes, database: dbSpec, sessions: sessionsSpec } = topology;
  const { project, region } = providerSettings();
  const labels = { "ha-topology-service": labelValue(name), "ha-topology-stack": labelValue(pulumi.getStack()), "managed-by": "pulumi" };
  const nodeTag = `${labelValue(name)}-node`;
  // Every resource of the adapter waits for the guard of the create-only database settings
  // (registered first, below, with `guardOpts`): a refused change touches nothing.
  const guardOpts = { parent };

  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    throw new TopologyConfigError([configProblem("name", JSON.stringify(name), "lowercase letters, digits and hyphens, starting with a letter, on gcp (it names resources)")]);
  }

  const databaseIdentity = new DatabaseIdentity(`${name}-db-identity`, {
    cloud: "gcp",
    keys: { "ha-topology:database.name": dbSpec.name, "ha-topology:database.username": dbSpec.username, "ha-topology:database.engine": dbSpec.engine },
  }, guardOpts);
  const opts = { parent, transformations: [waitForGuard(databaseIdentity)] };

  const network = new Network(name, { spec: topology.network, region }, opts);
  new Firewall(name, { networkId: network.networkId, nodeTag, appPort: nodes.port }, opts);
  const bucket = new Bucket(name, { spec: topology.storage, location: region, labels }, opts);
  const database = new Database(name, {
    spec: dbSpec,
    tier: resolveSize("gcp", "database", dbSpec.size),
    region,
    networkId: network.networkId,
    privateServiceConnection: network.privateServiceConnection,
    labels,
    identity: databaseIdentity,
  }, opts);
  const sessionStore = sessionsSpec.enabled
    ? new SessionStore(name, {
        spec: sessionsSpec,
        memorySizeGb: Number(resolveSize("gcp", "sessions", sessionsSpec.size)),
        region,
        networkId: network.networkId,
        privateServiceConnection: network.privateServiceConnection,
        labels,
      }, opts)
    : undefined;
  const appSecrets = Object.keys(secrets).length > 0 ? new JsonSecret(`${name}-app-secrets`, { values: secrets, labels }, opts) : undefined;
  // A private image: Artifact Registry through the service account, any other registry
  // through credentials kept in Secret Manager (the parser has refused what cannot work).
  const registry = registryOf(nodes.image) as Registry;
  const imageRepository = registry.kind === "artifact-registry"
    ? { project: registry.project, location: registry.location, repository: registry.repository }
    : undefined;
  if (registry.kind === "artifact-registry") explainRepositoryPlacement(registry, project, region, parent);
  const registrySecret = registry.kind !== "artifact-registry" && topology.registry
    ? new JsonSecret(`${name}-registry-credentials`, {
        values: { username: pulumi.secret(topology.registry.username), password: pulumi.secret(topology.registry.password) },
        labels,
      }, opts)
    : undefined;
  const identity = new NodeIdentity(name, {
    project,
    bucketName: bucket.name,
    secretNames: [database.credentialsSecretName, ...(appSecrets ? [appSecrets.secretName] : [])],
    imageRepository,
    registrySecretName: registrySecret?.secretName,
  }, opts);

  // What the boot script needs, resolved together (pulumi.output keeps each key's type).
  const facts = pulumi.output({
    dbHost: database.host,
    readHosts: database.replicaHosts,
    dbVersion: database.credentialsVersionName,
    bucketName: bucket.name,
    sessionsHost: sessionStore ? sessionStore.host : pulumi.output(undefined),
    sessionsCa: sessionStore ? sessionStore.caCertificates : pulumi.output(undefined),
    appVersion: appSecrets ? appSecrets.versionName : pulumi.output(undefined),
    registryVersion: registrySecret ? registrySecret.versionName : pulumi.output(undefined),
  });
  const registryLogin = (registryVersion: string | undefined): RegistryLogin | undefined => {
    if (registry.kind === "artifact-registry") return artifactRegistryLogin(registry);
    return registryVersion ? secretManagerLogin(registry.host, registryVersion) : undefined;
  };
  const userData = facts.apply((f) =>
    nodeUserData(
      nodes,
      {
        trustedProxyHops,
        database: { host: f.dbHost, port: database.port, name: dbSpec.name, engine: dbSpec.engine, readHosts: f.readHosts },
        bucket: { name: f.bucketName, region },
        sessions: f.sessionsHost ? { host: f.sessionsHost, port: sessionStorePort, tls: true, caCertificates: f.sessionsCa } : undefined,
      },
      {
        secretSources: [
          secretManagerSource("database credentials", f.dbVersion, { username: "DATABASE_USER", password: "DATABASE_PASSWORD" }),
          ...(f.appVersion ? [secretManagerSource("app secrets", f.appVersion)] : []),
        ],
        stopTimeoutSeconds,
        packages: ["docker.io", "python3", "curl"],
        registryLogin: registryLogin(f.registryVersion),
        // Cloud Logging, with the nodes' service account (roles/logging.logWriter).
        logDriver: gcpLogDriver(name),
      },
      "gcp",
    ),
  );

  const nodeGroup = new NodeGroup(name, {
    nodes,
    healthCheck: topology.healthCheck,
    machineType: resolveSize("gcp", "node", nodes.size),
    region,
    zoneNames: network.zoneNames,
    zoneCount: topology.network.zones,
    subnetSelfLink: network.subnetSelfLink,
    publicAddresses: topology.network.natGateways === "none",
    serviceAccountEmail: identity.email,
    nodeTag,
    userData,
    labels,
  }, opts);
  const loadBalancer = new LoadBalancer(name, {
    topology,
    instanceGroup: nodeGroup.instanceGroup,
    healthCheckId: nodeGroup.healthCheckId,
    portName: namedPort,
    labels,
  }, opts);
  new Monitoring(name, { domain: topology.domain, healthPath: topology.healthCheck.path, email: topology.alarms.email, project, labels }, opts);

  return {
    url: pulumi.output(`https://${topology.domain}`),
    loadBalancerAddress: loadBalancer.address,
    dnsRecords: loadBalancer.dnsRecords,
    bucketName: bucket.name,
    databaseEndpoint: database.endpoint,
    nodeGroupId: nodeGroup.groupName,
    sessionStoreEndpoint: sessionStore ? sessionStore.endpoint : pulumi.output(undefined),
  };
};
