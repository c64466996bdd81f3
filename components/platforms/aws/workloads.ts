/**
 * The node group of each workload on AWS: its own log group, launch template, autoscaling
 * group, IAM role and security group, and its environment delivered in two halves: the
 * plain variables in the user data, the secret ones read from Secrets Manager at every
 * start, each from where it is kept (a database's credentials secret, a generated secret,
 * the app secrets), and what is composed from secrets (a `DB_URL`, an env value that
 * references a password) from the workload's own secret `<workload>-env`. Every read is
 * pinned to the secret's current version, so a changed value is new user data: a new
 * launch template version, hence an instance refresh.
 *
 * Readiness and liveness apart (web workloads of the maps): the target group checks
 * readiness (traffic only); the group's health check type is EC2, and a watchdog on each
 * node (bootstrap.ts `livenessWatchdog`) polls the liveness path after the grace period
 * and, after `liveness.unhealthyThreshold` failures, marks its own instance unhealthy
 * (`aws autoscaling set-instance-health`): only then is the node replaced. Before that,
 * the same watchdog holds a new node out of the group (a launch lifecycle hook) until its
 * readiness path answers, so a rollout (instance refresh) replaces old nodes only with
 * ready ones, as the ELB health check type would have. The single service keeps ELB
 * health checks (its readiness and liveness are one check).
 *
 * A worker has no port, so its watchdog checks the container's process instead
 * (`workerLivenessWatchdog`): a new worker node joins only once its container has run
 * `workerLive.healthyThreshold` checks in a row without restarting (bootstrap.ts `workerWatchdog`), and a node whose
 * container keeps restarting (a crash loop) marks itself unhealthy. So a rollout of an
 * image that never gets to work stops at the first node instead of replacing them all.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BoundVariable, ComposeContext } from "../../compose";
import { logicalName } from "../../compose";
import { workloadPlatformEnv } from "../../appEnvironment";
import { workerWatchdog, type LivenessWatchdog, type RegistryLogin, type SecretSource } from "../../bootstrap";
import { registryOf, type Registry } from "../../imageReference";
import { awsLogDriver } from "../../logShipping";
import type { ServiceWorkload, WebWorkload } from "../../model/model";
import { nodeUserData, workloadUserData } from "../../nodeUserData";
import { resolveSize } from "../../sizes";
import { workerGraceSeconds } from "../../topology";
import { secretsManagerSource } from "./secretsManagerSource";
import { JsonSecret } from "./jsonSecret";
import { appLogGroup } from "./logGroup";
import { NodeGroup, readinessHookName } from "./nodeGroup";
import type { AwsEdge, AwsFoundation, AwsResourceHandle } from "./platform";
import { ecrLogin, ecrPullStatements, explainEcrPlacement, isEcr, secretsManagerLogin } from "./registryAccess";
import { sessionStorePort } from "./sessionStore";

/** The ALB is the one proxy in front of the app: it appends the client to X-Forwarded-For. */
export const trustedProxyHops = 1;

/** Seconds the single service's app gets between SIGTERM and SIGKILL (draining has already happened). */
const stopTimeoutSeconds = 30;

/** One read of a Secrets Manager secret at boot: where, and which JSON fields become which variables (all of them when unset). */
interface SecretRead {
  description: string;
  arn: pulumi.Output<string>;
  versionId: pulumi.Output<string>;
  fields?: Record<string, string>;
}

/**
 * Where each secret variable is read from: a resource's own secret when the variable is a
 * field kept there (a database's user and password, a generated secret's value), the app
 * secrets' secret for `ha-topology:secrets`; the rest (`rest`) goes in the workload's own.
 */
function secretReads(secret: readonly BoundVariable[], uses: readonly AwsResourceHandle[], f: AwsFoundation): { reads: SecretRead[]; rest: BoundVariable[] } {
  const reads: SecretRead[] = [];
  const rest: BoundVariable[] = [];
  const perResource = new Map<string, Record<string, string>>();
  let appSecrets = false;
  for (const v of secret) {
    const s = v.source;
    if ("resource" in s) {
      const handle = uses.find((h) => h.resource.name === s.resource);
      const key = handle?.stored && Object.keys(handle.stored.fields).find((k) => handle.stored!.fields[k] === s.field);
      if (key) {
        perResource.set(s.resource, { ...(perResource.get(s.resource) ?? {}), [key]: v.name });
        continue;
      }
    } else if ("appSecret" in s && f.appSecrets) {
      appSecrets = true;
      continue;
    }
    rest.push(v);
  }
  for (const [resource, fields] of perResource) {
    const stored = uses.find((h) => h.resource.name === resource)!.stored!;
    reads.push({ description: `${resource} (${uses.find((h) => h.resource.name === resource)!.resource.kind})`, arn: stored.arn, versionId: stored.versionId, fields });
  }
  if (appSecrets) reads.push({ description: "app secrets", arn: f.appSecrets!.arn, versionId: f.appSecrets!.versionId });
  return { reads, rest };
}

/** The plain variables as one Output. */
export function plainValues(env: readonly BoundVariable[]): pulumi.Output<Record<string, string>> {
  return pulumi.all(env.map((v) => v.value)).apply((values) => Object.fromEntries(env.map((v, i) => [v.name, values[i]])));
}

/** The reads and, when some variables are composed from secrets, the workload's own secret holding them. */
function deliverSecrets(logical: string, workload: string, secret: readonly BoundVariable[], uses: readonly AwsResourceHandle[], f: AwsFoundation): SecretRead[] {
  const { reads, rest } = secretReads(secret, uses, f);
  if (rest.length > 0) {
    const own = new JsonSecret(`${logical}-env`, {
      description: `Secret variables of the workload ${workload}, read by its nodes at boot`,
      values: Object.fromEntries(rest.map((v) => [v.name, v.value])),
      tags: f.tags,
      newVersionOnChange: true,
    }, f.opts);
    reads.push({ description: `secret variables of ${workload}`, arn: own.arn, versionId: own.versionId });
  }
  return reads;
}

/** A read with its ARN and version known. */
interface ResolvedRead {
  description: string;
  arn: string;
  versionId: string;
  fields?: Record<string, string>;
}

/** The reads, resolved (for the user data's apply). */
function resolvedReads(reads: readonly SecretRead[]): pulumi.Output<ResolvedRead[]> {
  return pulumi.all(
    reads.map((r) => pulumi.all([r.arn, r.versionId]).apply(([arn, versionId]): ResolvedRead => ({ description: r.description, arn, versionId, ...(r.fields && { fields: r.fields }) }))),
  );
}

/**
 * The command the watchdog runs to have its own node replaced: the instance ID from IMDSv2,
 * then Auto Scaling's SetInstanceHealth (the node's role may call it on its own group only).
 */
export function reportUnhealthyCommand(region: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new Error(`aws: the region ${JSON.stringify(region)} is not one a shell command may carry`);
  const imds = "http://169.254.169.254/latest";
  return (
    `token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' ${imds}/api/token) && ` +
    `id=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" ${imds}/meta-data/instance-id) && ` +
    `aws autoscaling set-instance-health --region ${region} --instance-id "$id" --health-status Unhealthy`
  );
}

/**
 * The command the readiness gate runs once the app is ready: completes the group's launch
 * lifecycle hook for this instance (the group's name from the instance's tags in IMDS).
 */
export function reportReadyCommand(region: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw new Error(`aws: the region ${JSON.stringify(region)} is not one a shell command may carry`);
  const imds = "http://169.254.169.254/latest";
  return (
    `token=$(curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' ${imds}/api/token) && ` +
    `id=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" ${imds}/meta-data/instance-id) && ` +
    `group=$(curl -fsS -H "X-aws-ec2-metadata-token: $token" ${imds}/meta-data/tags/instance/aws:autoscaling:groupName) && ` +
    `aws autoscaling complete-lifecycle-action --region ${region} --lifecycle-hook-name ${readinessHookName} --auto-scaling-group-name "$group" --instance-id "$id" --lifecycle-action-result CONTINUE`
  );
}

/** The watchdog of a web workload of the maps: its readiness gate, then its liveness after its grace period. */
export function livenessWatchdog(w: WebWorkload, region: string): LivenessWatchdog {
  const hc = w.healthCheck;
  return {
    path: hc.liveness.path,
    intervalSeconds: hc.intervalSeconds,
    timeoutSeconds: hc.timeoutSeconds,
    unhealthyThreshold: hc.liveness.unhealthyThreshold,
    startDelaySeconds: hc.gracePeriodSeconds,
    reportCommand: reportUnhealthyCommand(region),
    readiness: { path: hc.path, healthyThreshold: hc.healthyThreshold, readyCommand: reportReadyCommand(region) },
  };
}

/** A workload's image access: ECR through its role (and the login), or the single service's registry credentials for the same host. */
export function imageAccess(image: string, f: AwsFoundation, parent: pulumi.Resource): { registry: Registry; statements: aws.types.input.iam.GetPolicyDocumentStatementArgs[]; registrySecret?: JsonSecret } {
  const registry = registryOf(image) as Registry;
  if (isEcr(registry)) {
    explainEcrPlacement(registry, f.region, aws.getCallerIdentityOutput({}, { parent }).accountId, parent);
    return { registry, statements: ecrPullStatements(registry) };
  }
  const shared = f.registrySecret && f.registrySecret.host === registry.host ? f.registrySecret.secret : undefined;
  return { registry, statements: [], ...(shared && { registrySecret: shared }) };
}

/** The registry login for a node, once the secret's ARN and version are known. */
function loginFor(registry: Registry, region: string, secret?: { arn: string; versionId: string }): RegistryLogin | undefined {
  if (isEcr(registry)) return ecrLogin(registry);
  if (secret) return secretsManagerLogin(registry.host, secret.arn, region, secret.versionId);
  return undefined;
}

/**
 * The single service's `web`: exactly the node group and user data it has always had. The
 * variables the single service did not have before (`singleService: false`: the bindings of
 * resources of the maps, internal URLs) are added the new way: plain ones to its
 * environment, secret ones read from Secrets Manager, so without them nothing changes.
 */
export function singleServiceWorkload(ctx: ComposeContext, f: AwsFoundation, w: WebWorkload, env: BoundVariable[], uses: AwsResourceHandle[], edge: AwsEdge): NodeGroup {
  const { name, topology } = ctx;
  const { nodes, database: dbSpec } = topology;
  const { tags, opts, network } = f;
  const own = (kind: string) => uses.find((r) => r.resource.origin === "single-service" && r.resource.kind === kind);
  const database = own("sql")!.database!;
  const bucket = own("bucket")!.bucket!;
  const sessionStore = own("cache")?.sessionStore;
  const extra = env.filter((v) => !v.singleService);
  const extraReads = deliverSecrets(name, w.name, extra.filter((v) => v.secret), uses, f);
  const { registry, statements, registrySecret } = imageAccess(nodes.image, f, ctx.parent);

  // The app's output, per workload: shipped by the nodes' docker.
  const logGroup = appLogGroup(name, topology.logs.retentionDays, tags, opts);

  // What the boot script needs, resolved together (pulumi.output keeps each key's type).
  const facts = pulumi.output({
    dbHost: database.host,
    readHosts: database.replicaHosts,
    dbSecretArn: database.credentialsSecretArn,
    dbSecretVersion: database.credentialsVersionId,
    bucketName: bucket.name,
    region: f.region,
    sessionsHost: sessionStore ? sessionStore.host : pulumi.output(undefined),
    appSecretArn: f.appSecrets ? f.appSecrets.arn : pulumi.output(undefined),
    appSecretVersion: f.appSecrets ? f.appSecrets.versionId : pulumi.output(undefined),
    registrySecretArn: registrySecret ? registrySecret.arn : pulumi.output(undefined),
    registrySecretVersion: registrySecret ? registrySecret.versionId : pulumi.output(undefined),
    logGroupName: logGroup.name,
    extraPlain: plainValues(extra.filter((v) => !v.secret)),
    extraSources: resolvedReads(extraReads),
  });
  const userData = facts.apply((x) =>
    nodeUserData(
      { ...nodes, env: { ...nodes.env, ...x.extraPlain } },
      {
        trustedProxyHops,
        database: { host: x.dbHost, port: database.port, name: dbSpec.name, engine: dbSpec.engine, readHosts: x.readHosts },
        bucket: { name: x.bucketName, region: x.region },
        sessions: x.sessionsHost ? { host: x.sessionsHost, port: sessionStorePort, tls: true } : undefined,
      },
      {
        secretSources: [
          secretsManagerSource("database credentials", x.dbSecretArn, x.region, x.dbSecretVersion, { username: "DATABASE_USER", password: "DATABASE_PASSWORD" }),
          ...(x.appSecretArn ? [secretsManagerSource("app secrets", x.appSecretArn, x.region, x.appSecretVersion)] : []),
          ...toSources(x.extraSources, x.region),
        ],
        stopTimeoutSeconds,
        packages: ["docker"],
        registryLogin: loginFor(registry, x.region, x.registrySecretArn && x.registrySecretVersion ? { arn: x.registrySecretArn, versionId: x.registrySecretVersion } : undefined),
        logDriver: awsLogDriver(x.region, x.logGroupName),
      },
      "aws",
    ),
  );

  const target = edge.targets.get(w.name)!;
  return new NodeGroup(name, {
    nodes,
    healthCheck: topology.healthCheck,
    instanceType: resolveSize("aws", "node", nodes.size),
    subnetIds: network.nodeSubnetIds,
    publicAddresses: topology.network.natGateways === "none",
    securityGroupId: f.nodeGroups.get(w.name)!,
    targetGroupArn: target.targetGroupArn,
    bucketArns: uses.flatMap((r) => (r.bucketArn ? [r.bucketArn] : [])),
    logGroupArn: logGroup.arn,
    secretArns: [database.credentialsSecretArn, ...(f.appSecrets ? [f.appSecrets.arn] : []), ...(registrySecret ? [registrySecret.arn] : []), ...extraReads.map((r) => r.arn)],
    registryStatements: statements,
    userData,
    rollbackAlarmName: edge.legacyAlarms?.targetErrorsAlarmName,
    servingListener: target.serving,
    tags,
  }, opts);
}

/** Resolved reads as the bootstrap's secret sources. */
function toSources(reads: readonly ResolvedRead[], region: string): SecretSource[] {
  return reads.map((r) => secretsManagerSource(r.description, r.arn, region, r.versionId, r.fields));
}

/** A workload of `ha-topology:workloads`: its own log group, secret, role, template and group. */
export function workloadNodes(ctx: ComposeContext, f: AwsFoundation, w: ServiceWorkload, env: BoundVariable[], uses: AwsResourceHandle[], edge: AwsEdge): NodeGroup {
  const { topology } = ctx;
  const { tags, opts, network } = f;
  const logical = logicalName(ctx, w);
  const web = w.kind === "web" ? w : undefined;
  const reads = deliverSecrets(logical, w.name, env.filter((v) => v.secret), uses, f);
  const { registry, statements, registrySecret } = imageAccess(w.image, f, ctx.parent);
  const logGroup = appLogGroup(logical, topology.logs.retentionDays, tags, opts);

  const facts = pulumi.output({
    region: f.region,
    logGroupName: logGroup.name,
    plain: plainValues(env.filter((v) => !v.secret)),
    sources: resolvedReads(reads),
    registrySecretArn: registrySecret ? registrySecret.arn : pulumi.output(undefined),
    registrySecretVersion: registrySecret ? registrySecret.versionId : pulumi.output(undefined),
    caDownloads: pulumi.all(uses.flatMap((r) => (r.caDownload ? [pulumi.all([r.caDownload.path, r.caDownload.url]).apply(([path, url]) => ({ path, url }))] : []))),
  });
  const userData = facts.apply((x) =>
    workloadUserData(
      {
        name: w.name,
        image: w.image,
        ...(w.command && { command: w.command }),
        ...(web && { port: web.port }),
        stopTimeoutSeconds: w.stopTimeoutSeconds,
        env: x.plain,
        platformEnv: workloadPlatformEnv(w, trustedProxyHops),
      },
      {
        secretSources: toSources(x.sources, x.region),
        packages: ["docker"],
        registryLogin: loginFor(registry, x.region, x.registrySecretArn && x.registrySecretVersion ? { arn: x.registrySecretArn, versionId: x.registrySecretVersion } : undefined),
        logDriver: awsLogDriver(x.region, x.logGroupName),
        livenessWatchdog: web
          ? livenessWatchdog(web, x.region)
          : workerWatchdog({ reportCommand: reportUnhealthyCommand(x.region), readyCommand: reportReadyCommand(x.region) }, workerGraceSeconds),
        ...(x.caDownloads.length > 0 && { caDownloads: x.caDownloads }),
      },
      "aws",
    ),
  );

  const target = web ? (web.route ? edge.targets.get(w.name) : undefined) : undefined;
  const internal = web && !web.route ? edge.internal.get(w.name) : undefined;
  const role = w.kind === "worker" ? "worker" : web!.route ? "web" : "internal";
  return new NodeGroup(logical, {
    nodes: { count: w.count, maxCount: w.maxCount, cpuTargetPercent: w.cpuTargetPercent },
    healthCheck: { gracePeriodSeconds: web ? web.healthCheck.gracePeriodSeconds : workerGraceSeconds },
    instanceType: resolveSize("aws", "node", w.size),
    subnetIds: network.nodeSubnetIds,
    publicAddresses: topology.network.natGateways === "none",
    securityGroupId: f.nodeGroups.get(w.name)!,
    ...(target && { targetGroupArn: target.targetGroupArn, servingListener: target.serving }),
    ...(internal && { targetGroupArn: internal.targetGroupArn, servingListener: internal.listener }),
    // Only a failed VM or the node's own liveness report replaces a node: never readiness.
    healthCheckType: "EC2",
    reportsOwnHealth: true,
    // The grace period is how long a node may take to boot: the readiness gate's limit too.
    readinessTimeoutSeconds: web ? web.healthCheck.gracePeriodSeconds : workerGraceSeconds,
    role,
    roleDescription: `Nodes of ${w.kind === "worker" ? "the worker" : "the web workload"} ${w.name}: the buckets and secrets it uses only`,
    bucketArns: uses.flatMap((r) => (r.bucketArn ? [r.bucketArn] : [])),
    logGroupArn: logGroup.arn,
    secretArns: [...reads.map((r) => r.arn), ...(registrySecret ? [registrySecret.arn] : [])],
    registryStatements: statements,
    userData,
    tags,
  }, opts);
}
