/**
 * The AWS adapter: VPC over >= 2 zones, ALB with ACM TLS, an autoscaling group of
 * nodes with ELB health checks and instance refresh, S3, RDS Multi-AZ, optional
 * ElastiCache, Secrets Manager for every secret, and CloudWatch alarms.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { platformEnv } from "../../appEnvironment";
import { renderCloudConfig, type SecretSource } from "../../bootstrap";
import { resolveSize } from "../../sizes";
import type { Adapter } from "../adapter";
import { Alarms } from "./alarms";
import { AppSecrets } from "./appSecrets";
import { Bucket } from "./bucket";
import { Database, engineFacts } from "./database";
import { Firewall } from "./firewall";
import { LoadBalancer } from "./loadBalancer";
import { Network } from "./network";
import { NodeGroup } from "./nodeGroup";
import { SessionStore, sessionStorePort } from "./sessionStore";

/** The ALB is the one proxy in front of the app: it appends the client to X-Forwarded-For. */
const trustedProxyHops = 1;

/** Seconds the app gets between SIGTERM and SIGKILL (draining has already happened). */
const stopTimeoutSeconds = 30;

/** A boot-time read of one Secrets Manager secret with the node's role. */
function secretsManagerSource(description: string, arn: string, region: string, versionId?: string, fields?: Record<string, string>): SecretSource {
  const version = versionId ? ` --version-id ${versionId}` : "";
  return {
    description,
    command: `aws secretsmanager get-secret-value --region ${region} --secret-id ${arn}${version} --query SecretString --output text`,
    ...(fields && { fields }),
  };
}

/** Maps the topology onto AWS under `parent`. */
export const awsAdapter: Adapter = (topology, secrets, parent) => {
  const { name, nodes, database: dbSpec, sessions: sessionsSpec } = topology;
  const tags = { "ha-topology:service": name, "ha-topology:stack": pulumi.getStack(), "managed-by": "pulumi" };
  const opts = { parent };

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
    finalSnapshotName: `${name}-${pulumi.getStack()}-final`.toLowerCase().replace(/[^a-z0-9-]/g, "-"),
    tags,
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
  const appSecrets = topology.secretNames.length > 0 ? new AppSecrets(name, { values: secrets, tags }, opts) : undefined;
  const alarms = new Alarms(name, {
    loadBalancerArnSuffix: loadBalancer.arnSuffix,
    targetGroupArnSuffix: loadBalancer.targetGroupArnSuffix,
    minHealthyNodes: nodes.count,
    email: topology.alarms.email,
    tags,
  }, opts);

  const region = aws.getRegionOutput({}, opts).region;
  const userData = pulumi
    .all([database.host, database.credentialsSecretArn, bucket.name, region, sessionStore?.host, appSecrets?.arn, appSecrets?.versionId])
    .apply(([dbHost, dbSecretArn, bucketName, regionName, sessionsHost, appSecretArn, appSecretVersion]) =>
      renderCloudConfig({
        image: nodes.image,
        port: nodes.port,
        env: {
          ...nodes.env,
          ...platformEnv({
            port: nodes.port,
            image: nodes.image,
            trustedProxyHops,
            database: { host: dbHost, port: database.port, name: dbSpec.name, engine: dbSpec.engine },
            bucket: { name: bucketName, region: regionName },
            sessions: sessionsHost ? { host: sessionsHost, port: sessionStorePort, tls: true } : undefined,
          }),
        },
        secretSources: [
          secretsManagerSource("database credentials", dbSecretArn, regionName, undefined, { username: "DATABASE_USER", password: "DATABASE_PASSWORD" }),
          ...(appSecretArn ? [secretsManagerSource("app secrets", appSecretArn, regionName, appSecretVersion)] : []),
        ],
        stopTimeoutSeconds,
        packages: ["docker"],
      }),
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
    secretArns: [database.credentialsSecretArn, ...(appSecrets ? [appSecrets.arn] : [])],
    userData,
    rollbackAlarmName: alarms.targetErrorsAlarmName,
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
