/**
 * The AWS adapter: VPC over >= 2 zones, ALB with ACM TLS, an autoscaling group of
 * nodes with ELB health checks and instance refresh, S3, RDS Multi-AZ, optional
 * ElastiCache, Secrets Manager for every secret, CloudWatch Logs for the app's output,
 * and CloudWatch alarms.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { RegistryLogin, SecretSource } from "../../bootstrap";
import { registryOf, type Registry } from "../../imageReference";
import { DatabaseIdentity, waitForGuard } from "../../databaseIdentity";
import { awsLogDriver } from "../../logShipping";
import { quoteForMessage } from "../../nodeText";
import { nodeUserData } from "../../nodeUserData";
import { resolveSize } from "../../sizes";
import type { Adapter } from "../adapter";
import { Alarms } from "./alarms";
import { Bucket } from "./bucket";
import { Database, engineFacts } from "./database";
import { Firewall } from "./firewall";
import { JsonSecret } from "./jsonSecret";
import { LoadBalancer } from "./loadBalancer";
import { appLogGroup } from "./logGroup";
import { Network } from "./network";
import { NodeGroup } from "./nodeGroup";
import { ecrLogin, ecrPullStatements, explainEcrPlacement, isEcr, secretsManagerLogin } from "./registryAccess";
import { SessionStore, sessionStorePort } from "./sessionStore";

/** The ALB is the one proxy in front of the app: it appends the client to X-Forwarded-For. */
const trustedProxyHops = 1;

/** Seconds the app gets between SIGTERM and SIGKILL (draining has already happened). */
const stopTimeoutSeconds = 30;

/** A boot-time read of one Secrets Manager secret with the node's role. */
function secretsManagerSource(description: string, arn: string, region: string, versionId: string | undefined, fields?: Record<string, string>): SecretSource {
  // The command runs as root, and the region comes from provider config: plain words only.
  for (const [what, value, pattern] of [
    ["region", region, /^[a-z]{2}(-[a-z]+)+-\d+$/],
    ["secret ARN", arn, /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/],
    ["secret version", versionId, /^[A-Za-z0-9-]{1,64}$/],
  ] as const) {
    if (typeof value !== "string" || !pattern.test(value)) throw new Error(`aws: ${description}: the ${what} ${quoteForMessage(String(value))} is not one a shell command may carry`);
  }
  // The pinned version makes a changed secret a changed user data, hence a rolling refresh.
  return {
    description,
    command: `aws secretsmanager get-secret-value --region ${region} --secret-id ${arn} --version-id ${versionId} --query SecretString --output text`,
    ...(fields && { fields }),
  };
}

/** Maps the topology onto AWS under `parent`. */
export const awsAdapter: Adapter = (name, topology, secrets, parent) => {
  const { nodes, database: dbSpec, sessions: sessionsSpec } = topology;
  const tags = { "ha-topology:service": name, "ha-topology:stack": pulumi.getStack(), "managed-by": "pulumi" };
  // Every resource of the adapter waits for the guard of the create-only database settings
  // (registered first, below, with `guardOpts`): a refused change touches nothing.
  const guardOpts = { parent };

  const identity = new DatabaseIdentity(`${name}-db-identity`, {
    cloud: "aws",
    keys: { "ha-topology:database.name": dbSpec.name, "ha-topology:database.username": dbSpec.username, "ha-topology:database.engine": dbSpec.engine },
  }, guardOpts);
  const opts = { parent, transformations: [waitForGuard(identity)] };

  const network = new Network(name, { spec: topology.network, tags }, opts);
  const firewall = new Firewall(name, {
    vpcId: network.vpcId,
    appPort: nodes.port,
    databasePort: engineFacts[dbSpec.engine].port,
    sessionsPort: sessionsSpec.enabled ? sessionStorePort : undefined,
    tags,
  }, opts);
  const loadBalancer = new LoadBalancer(name, {
    topology,
    vpcId: network.vpcId,
    subnetIds: network.publicSubnetIds,
    securityGroupId: firewall.loadBalancerGroupId,
    tags,
  }, opts);
  const bucket = new Bucket(name, { spec: topology.storage, tags }, opts);
  const database = new Database(name, {
    spec: dbSpec,
    instanceClass: resolveSize("aws", "database", dbSpec.size),
    subnetIds: network.privateSubnetIds,
    securityGroupId: firewall.databaseGroupId,
    tags,
    identity,
  }, opts);
  const sessionStore = sessionsSpec.enabled && firewall.sessionsGroupId
    ? new SessionStore(name, {
        spec: sessionsSpec,
        nodeType: resolveSize("aws", "sessions", sessionsSpec.size),
        subnetIds: network.privateSubnetIds,
        securityGroupId: firewall.sessionsGroupId,
        tags,
      }, opts)
    : undefined;
  const appSecrets = Object.keys(secrets).length > 0
    ? new JsonSecret(`${name}-app-secrets`, { description: `App secrets of ${name}, injected into the app's environment at boot`, values: secrets, tags }, opts)
    : undefined;
  // A private image: ECR through the node role, any other registry through credentials
  // kept in Secrets Manager (the parser has refused what cannot work).
  const registry = registryOf(nodes.image) as Registry;
  if (isEcr(registry)) {
    explainEcrPlacement(registry, aws.getRegionOutput({}, opts).region, aws.getCallerIdentityOutput({}, opts).accountId, parent);
  }
  const registrySecret = !isEcr(registry) && topology.registry
    ? new JsonSecret(`${name}-registry-credentials`, {
        description: `Credentials of ${name}'s nodes for the registry ${registry.host}, read before each image pull`,
        values: { username: pulumi.secret(topology.registry.username), password: pulumi.secret(topology.registry.password) },
        tags,
      }, opts)
    : undefined;
  const alarms = new Alarms(name, {
    loadBalancerArnSuffix: loadBalancer.arnSuffix,
    targetGroupArnSuffix: loadBalancer.targetGroupArnSuffix,
    minHealthyNodes: nodes.count,
    email: topology.alarms.email,
    tags,
  }, opts);

  // The app's output, per workload (today the one service): shipped by the nodes' docker.
  const logGroup = appLogGroup(name, topology.logs.retentionDays, tags, opts);

  // What the boot script needs, resolved together (pulumi.output keeps each key's type).
  const facts = pulumi.output({
    dbHost: database.host,
    readHosts: database.replicaHosts,
    dbSecretArn: database.credentialsSecretArn,
    dbSecretVersion: database.credentialsVersionId,
    bucketName: bucket.name,
    region: aws.getRegionOutput({}, opts).region,
    sessionsHost: sessionStore ? sessionStore.host : pulumi.output(undefined),
    appSecretArn: appSecrets ? appSecrets.arn : pulumi.output(undefined),
    appSecretVersion: appSecrets ? appSecrets.versionId : pulumi.output(undefined),
    registrySecretArn: registrySecret ? registrySecret.arn : pulumi.output(undefined),
    registrySecretVersion: registrySecret ? registrySecret.versionId : pulumi.output(undefined),
    logGroupName: logGroup.name,
  });
  const registryLogin = (f: { region: string; registrySecretArn?: string; registrySecretVersion?: string }): RegistryLogin | undefined => {
    if (isEcr(registry)) return ecrLogin(registry);
    if (f.registrySecretArn && f.registrySecretVersion) return secretsManagerLogin(registry.host, f.registrySecretArn, f.region, f.registrySecretVersion);
    return undefined;
  };
  const userData = facts.apply((f) =>
    nodeUserData(
      nodes,
      {
        trustedProxyHops,
        database: { host: f.dbHost, port: database.port, name: dbSpec.name, engine: dbSpec.engine, readHosts: f.readHosts },
        bucket: { name: f.bucketName, region: f.region },
        sessions: f.sessionsHost ? { host: f.sessionsHost, port: sessionStorePort, tls: true } : undefined,
      },
      {
        secretSources: [
          secretsManagerSource("database credentials", f.dbSecretArn, f.region, f.dbSecretVersion, { username: "DATABASE_USER", password: "DATABASE_PASSWORD" }),
          ...(f.appSecretArn ? [secretsManagerSource("app secrets", f.appSecretArn, f.region, f.appSecretVersion)] : []),
        ],
        stopTimeoutSeconds,
        packages: ["docker"],
        registryLogin: registryLogin(f),
        logDriver: awsLogDriver(f.region, f.logGroupName),
      },
      "aws",
    ),
  );

  const nodeGroup = new NodeGroup(name, {
    nodes,
    healthCheck: topology.healthCheck,
    instanceType: resolveSize("aws", "node", nodes.size),
    subnetIds: network.nodeSubnetIds,
    publicAddresses: topology.network.natGateways === "none",
    securityGroupId: firewall.nodeGroupId,
    targetGroupArn: loadBalancer.targetGroupArn,
    bucketArn: bucket.arn,
    logGroupArn: logGroup.arn,
    secretArns: [database.credentialsSecretArn, ...(appSecrets ? [appSecrets.arn] : []), ...(registrySecret ? [registrySecret.arn] : [])],
    registryStatements: isEcr(registry) ? ecrPullStatements(registry) : [],
    userData,
    rollbackAlarmName: alarms.targetErrorsAlarmName,
    servingListener: loadBalancer.httpsListener,
    tags,
  }, opts);

  return {
    url: pulumi.output(`https://${topology.domain}`),
    loadBalancerAddress: loadBalancer.dnsName,
    dnsRecords: loadBalancer.dnsRecords,
    bucketName: bucket.name,
    databaseEndpoint: database.endpoint,
    nodeGroupId: nodeGroup.groupName,
    sessionStoreEndpoint: sessionStore ? sessionStore.endpoint : pulumi.output(undefined),
  };
};
