/**
 * One workload on GCP: its own network tag and firewall rules, its own service account
 * (granted only the buckets and secrets of the resources it uses, and its own), its own
 * instance template and regional MIG over the zones, role-labelled per contract/roles.ts.
 *
 * Its environment reaches the nodes in two ways. Plain variables are written into the
 * user data. Secret ones are never there: each node reads them at boot with its service
 * account from pinned Secret Manager versions: the secret of each resource it uses (the
 * database's credentials, a generated secret), `ha-topology:secrets`, and the workload's
 * own secret for the rest (its `env` entries that reference a secret field, such as
 * `DATABASE_URL: ${resources.db.url}`). A new value is a new version, hence a new
 * template, hence a rolling replacement.
 *
 * The single service's `web` keeps exactly today's nodes (names, user data, health check):
 * only the variables it did not have before (`singleService: false`: named resources,
 * internal URLs next to it) travel the new way, and they exist only once such entries
 * are added beside it.
 */
import * as pulumi from "@pulumi/pulumi";
import { servedVerdict, workerLive, workerWatchdog, type RegistryLogin, type SecretSource } from "../../bootstrap";
import { logicalName, type BoundVariable, type ComposeContext } from "../../compose";
import { workloadPlatformEnv } from "../../appEnvironment";
import { gcpRoleLabel, type Role } from "../../../contract/roles";
import { registryOf, type Registry } from "../../imageReference";
import { gcpLogDriver } from "../../logShipping";
import { isContainerWorkload, type ContainerWorkload, type ServiceWorkload, type Workload } from "../../model/model";
import { nodeUserData, workloadUserData } from "../../nodeUserData";
import { shortHash } from "../../physicalNames";
import { resolveSize } from "../../sizes";
import type { GcpEdge, GcpFoundation, GcpResource, GcpWorkload } from "./handles";
import { Firewall } from "./firewall";
import { JsonSecret } from "./jsonSecret";
import { NodeGroup, type NodeHealth } from "./nodeGroup";
import { NodeIdentity, type NodeGrant } from "./nodeIdentity";
import { artifactRegistryLogin, explainRepositoryPlacement, secretManagerLogin } from "./registryAccess";
import { secretManagerSource } from "./secretSource";
import { sessionStorePort } from "./sessionStore";
import { workerGraceSeconds } from "../../topology";

/**
 * The global external load balancer's proxy appends "<client>, <load balancer IP>" to
 * X-Forwarded-For: the client is the second entry from the right.
 */
export const publicProxyHops = 2;
/** The internal passthrough load balancer forwards packets as they are: no X-Forwarded-For hop. */
export const internalProxyHops = 0;

/** Seconds the single service's app gets between SIGTERM and SIGKILL (draining has already happened). */
const legacyStopTimeoutSeconds = 30;

/** Seconds a new worker node waits, once its health check passes, before a rollout counts it. */
export const workerReadySeconds = 120;

/**
 * A worker's node serves its watchdog's verdict here (bootstrap.ts `livenessEndpoint`):
 * the MIG's health check of a worker, admitted from Google's health checkers only.
 */
export const workerVerdictPort = 8086;


/**
 * Seconds Compute Engine gives a VM's OS to shut down when its MIG deletes it (without
 * graceful shutdown, which the v1 API behind this provider does not offer yet): a
 * container's stop timeout beyond it is cut short.
 */
export const gceShutdownSeconds = 90;

/** GCP labels: lowercase keys and values, letters, digits, "-" and "_". */
export function labelValue(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9_-]/g, "-").slice(0, 63);
}

/** A workload's nodes' network tag. */
export function nodeTagOf(ctx: ComposeContext, workload: Workload): string {
  return `${labelValue(logicalName(ctx, workload))}-node`;
}

/** A workload's role, per contract/roles.ts. */
export function roleOf(workload: ContainerWorkload): Role {
  return workload.kind !== "web" ? workload.kind : workload.route ? "web" : "internal";
}

/**
 * The key of a workload's grant on (or rule for) something it uses: readable (`label`, a
 * resource's name by default), and unique whatever the names, since names may contain "-":
 * a hash of the exact workload and what it is for (`id`: a resource, or the stack's own
 * secrets, which no resource name can be).
 */
export function grantKey(workload: string, label: string, id = `resource:${label}`): string {
  return `${label}-${shortHash([workload, id])}`;
}

/** How the nodes pull the workload's image: Artifact Registry by identity, the stack's registry credentials, or public. */
function imageAccess(f: GcpFoundation, image: string, parent: pulumi.Resource) {
  const registry = registryOf(image) as Registry;
  if (registry.kind === "artifact-registry") {
    explainRepositoryPlacement(registry, f.project, f.region, parent);
    return {
      repository: { project: registry.project, location: registry.location, repository: registry.repository },
      login: (): RegistryLogin | undefined => artifactRegistryLogin(registry),
    };
  }
  const credentials = f.registrySecret && f.registrySecret.host === registry.host ? f.registrySecret.secret : undefined;
  return {
    credentials,
    login: (version: string | undefined): RegistryLogin | undefined => (version ? secretManagerLogin(registry.host, version) : undefined),
  };
}

/**
 * Where each secret variable comes from: the secret store of the resource it belongs to
 * (with the variable names its keys arrive as), `ha-topology:secrets`, or the workload's
 * own secret (every other secret variable). Plain variables stay plain.
 */
function split(env: readonly BoundVariable[], uses: readonly GcpResource[]) {
  const plain: BoundVariable[] = [];
  const own: BoundVariable[] = [];
  const fromStores = new Map<GcpResource, Record<string, string>>();
  let appSecrets = false;
  for (const v of env) {
    if (!v.secret) {
      plain.push(v);
      continue;
    }
    const s = v.source;
    if ("appSecret" in s) {
      appSecrets = true;
      continue;
    }
    const handle = "resource" in s ? uses.find((u) => u.resource.name === s.resource) : undefined;
    const key = handle && "resource" in s ? handle.secretStore?.keys[s.field] : undefined;
    if (handle && key) {
      fromStores.set(handle, { ...(fromStores.get(handle) ?? {}), [key]: v.name });
    } else {
      own.push(v);
    }
  }
  return { plain, own, fromStores, appSecrets };
}

/** Resolves named values into one Output of a record. */
function record(vars: readonly BoundVariable[]): pulumi.Output<Record<string, string>> {
  return pulumi.all(vars.map((v) => v.value)).apply((values) => Object.fromEntries(vars.map((v, i) => [v.name, values[i]])));
}

/** One workload: its firewall, identity, nodes, and its place behind the edge. */
export function gcpWorkload(ctx: ComposeContext, f: GcpFoundation, workload: ServiceWorkload, env: BoundVariable[], uses: GcpResource[], edge: GcpEdge): GcpWorkload {
  const handle = workload.origin === "single-service" ? singleService(ctx, f, env, uses) : named(ctx, f, workload, env, uses);
  if (workload.kind === "web") {
    const join = edge.attach.get(workload.name);
    if (!join) throw new Error(`gcp: the edge has no backend for web workload ${workload.name}`);
    join(handle.group);
    edge.attach.delete(workload.name);
  }
  return { nodeGroupId: handle.group.groupName, workload, nodeTag: nodeTagOf(ctx, workload) };
}

/** The secret sources of what `split` sent to stores, in the order the workload uses its resources. */
function storeSources(parts: ReturnType<typeof split>, uses: readonly GcpResource[]) {
  return uses.flatMap((u) => {
    const fields = parts.fromStores.get(u);
    return fields && u.secretStore ? [{ handle: u, store: u.secretStore, fields }] : [];
  });
}

/** The grants of what a workload reads and writes, named by what they are for. */
function grantsOf(workloadName: string, reads: ReturnType<typeof storeSources>, uses: readonly GcpResource[]): NodeGrant[] {
  return [
    ...uses.filter((u) => u.bucketName).map((u): NodeGrant => ({ key: grantKey(workloadName, u.resource.name), kind: "bucket", target: u.bucketName! })),
    ...reads.map((r): NodeGrant => ({ key: grantKey(workloadName, r.handle.resource.name), kind: "secret", target: r.store.secretName })),
  ];
}

/**
 * The CA certificates of the resources a workload uses whose certificate a private CA
 * signs, by file name (`<resource>.pem`, the file `caFilePath` names in the container).
 */
function caFilesOf(uses: readonly GcpResource[]): pulumi.Output<Record<string, string>> {
  const withCa = uses.filter((u) => u.caCertificate);
  return pulumi.all(withCa.map((u) => u.caCertificate!)).apply((pems) => Object.fromEntries(withCa.map((u, i) => [`${u.resource.name}.pem`, pems[i]])));
}

/** The single service's web: today's firewall, identity, user data and MIG, plus what is new beside it. */
function singleService(ctx: ComposeContext, f: GcpFoundation, env: BoundVariable[], uses: GcpResource[]): { group: NodeGroup } {
  const { name, topology } = ctx;
  const { nodes } = topology;
  const nodeTag = `${labelValue(name)}-node`;
  const legacy = (kind: string) => uses.find((u) => u.resource.origin === "single-service" && u.resource.kind === kind);
  const database = legacy("sql")!.database!;
  const bucket = legacy("bucket")!.bucket!;
  const sessionStore = legacy("cache")?.sessionStore;

  new Firewall(name, { networkId: f.network.networkId, nodeTag, appPort: nodes.port }, f.opts);

  // What is new beside the single service: delivered without touching what it had.
  const added = env.filter((v) => !v.singleService);
  const parts = split(added, uses);
  if (parts.appSecrets || parts.own.length > 0) throw new Error("gcp: the single service's own variables are delivered as before");
  const reads = storeSources(parts, uses);

  const image = imageAccess(f, nodes.image, ctx.parent);
  const identity = new NodeIdentity(name, {
    project: f.project,
    bucketName: bucket.name,
    secretNames: [database.credentialsSecretName, ...(f.appSecrets ? [f.appSecrets.secretName] : [])],
    imageRepository: image.repository,
    registrySecretName: image.credentials?.secretName,
    ...(added.length > 0 && { grants: grantsOf(legacyWorkloadName, reads, uses.filter((u) => u.resource.origin !== "single-service")) }),
  }, f.opts);

  // What the boot script needs, resolved together (pulumi.output keeps each key's type).
  const facts = pulumi.output({
    dbHost: database.host,
    readHosts: database.replicaHosts,
    dbVersion: database.credentialsVersionName,
    bucketName: bucket.name,
    sessionsHost: sessionStore ? sessionStore.host : pulumi.output(undefined),
    sessionsCa: sessionStore ? sessionStore.caCertificates : pulumi.output(undefined),
    appVersion: f.appSecrets ? f.appSecrets.versionName : pulumi.output(undefined),
    registryVersion: image.credentials ? image.credentials.versionName : pulumi.output(undefined),
    addedPlain: record(parts.plain),
    addedVersions: pulumi.all(reads.map((r) => r.store.versionName)),
  });
  const userData = facts.apply((x) =>
    nodeUserData(
      // The added plain variables join the user's; none of them exists without named entries.
      Object.keys(x.addedPlain).length > 0 ? { ...nodes, env: { ...nodes.env, ...x.addedPlain } } : nodes,
      {
        trustedProxyHops: publicProxyHops,
        database: { host: x.dbHost, port: database.port, name: topology.database.name, engine: topology.database.engine, readHosts: x.readHosts },
        bucket: { name: x.bucketName, region: f.region },
        sessions: x.sessionsHost ? { host: x.sessionsHost, port: sessionStorePort, tls: true, caCertificates: x.sessionsCa } : undefined,
      },
      {
        secretSources: [
          secretManagerSource("database credentials", x.dbVersion, { username: "DATABASE_USER", password: "DATABASE_PASSWORD" }),
          ...(x.appVersion ? [secretManagerSource("app secrets", x.appVersion)] : []),
          ...reads.map((r, i) => secretManagerSource(`${r.handle.resource.name} (${r.handle.resource.kind})`, x.addedVersions[i], r.fields)),
        ],
        stopTimeoutSeconds: legacyStopTimeoutSeconds,
        packages: ["docker.io", "python3", "curl"],
        registryLogin: image.login(x.registryVersion),
        // Cloud Logging, with the nodes' service account (roles/logging.logWriter).
        logDriver: gcpLogDriver(name),
      },
      "gcp",
    ),
  );

  const group = new NodeGroup(name, {
    nodes,
    health: { kind: "shared", check: topology.healthCheck },
    machineType: resolveSize("gcp", "node", nodes.size),
    region: f.region,
    zoneNames: f.network.zoneNames,
    zoneCount: topology.network.zones,
    subnetSelfLink: f.network.subnetSelfLink,
    publicAddresses: topology.network.natGateways === "none",
    serviceAccountEmail: identity.email,
    nodeTag,
    userData,
    labels: f.labels,
  }, f.opts);
  return { group };
}

/** The single service's workload name, for its grant keys. */
const legacyWorkloadName = "web";

/** A workload of `ha-topology:workloads`. */
function named(ctx: ComposeContext, f: GcpFoundation, workload: ServiceWorkload, env: BoundVariable[], uses: GcpResource[]): { group: NodeGroup } {
  const name = logicalName(ctx, workload);
  const nodeTag = nodeTagOf(ctx, workload);
  const role = roleOf(workload);
  const web = workload.kind === "web" ? workload : undefined;

  if (workload.stopTimeoutSeconds > gceShutdownSeconds - 10) {
    pulumi.log.warn(
      `workloads.${workload.name}.stopTimeoutSeconds is ${workload.stopTimeoutSeconds}: Compute Engine gives a VM about ${gceShutdownSeconds} seconds to shut down when its group deletes it (a rollout, a scale-in), so the container may be killed before that (README, "How each part maps onto each cloud")`,
      ctx.parent,
    );
  }

  // The workloads with nodes (a site has none).
  const others = ctx.model.workloads.filter(isContainerWorkload).filter((w) => w !== workload).map((w) => nodeTagOf(ctx, w));
  new Firewall(name, {
    networkId: f.network.networkId,
    nodeTag,
    ...(!web && { verdictPort: workerVerdictPort }),
    ...(web?.route && { appPort: web.port }),
    ...(web && !web.route && { internal: { port: web.port, sourceTags: others } }),
  }, f.opts);

  const parts = split(env, uses);
  const reads = storeSources(parts, uses);
  const appSecrets = parts.appSecrets ? f.appSecrets : undefined;
  // The workload's own secret: its secret variables that belong to no resource's store.
  const own = parts.own.length > 0 ? new JsonSecret(`${name}-env`, { values: record(parts.own), labels: f.labels }, f.opts) : undefined;

  const image = imageAccess(f, workload.image, ctx.parent);
  const identity = new NodeIdentity(name, {
    project: f.project,
    imageRepository: image.repository,
    registrySecretName: image.credentials?.secretName,
    grants: [
      ...grantsOf(workload.name, reads, uses),
      ...(appSecrets ? [{ key: grantKey(workload.name, "app-secrets", "ha-topology:secrets"), kind: "secret" as const, target: appSecrets.secretName }] : []),
      ...(own ? [{ key: grantKey(workload.name, "env", "ha-topology:env"), kind: "secret" as const, target: own.secretName }] : []),
    ],
  }, f.opts);

  const facts = pulumi.output({
    plain: record(parts.plain),
    versions: pulumi.all(reads.map((r) => r.store.versionName)),
    appVersion: appSecrets ? appSecrets.versionName : pulumi.output(undefined),
    ownVersion: own ? own.versionName : pulumi.output(undefined),
    registryVersion: image.credentials ? image.credentials.versionName : pulumi.output(undefined),
    caFiles: caFilesOf(uses),
  });
  const userData = facts.apply((x) => {
    const sources: SecretSource[] = [
      ...reads.map((r, i) => secretManagerSource(`${r.handle.resource.name} (${r.handle.resource.kind})`, x.versions[i], r.fields)),
      ...(x.appVersion ? [secretManagerSource("app secrets", x.appVersion)] : []),
      ...(x.ownVersion ? [secretManagerSource(`${workload.name} secrets`, x.ownVersion)] : []),
    ];
    return workloadUserData(
      {
        name: workload.name,
        image: workload.image,
        ...(workload.command && { command: workload.command }),
        ...(web && { port: web.port }),
        stopTimeoutSeconds: workload.stopTimeoutSeconds,
        env: x.plain,
        platformEnv: workloadPlatformEnv({ kind: workload.kind, image: workload.image, ...(web && { port: web.port }) }, web?.route ? publicProxyHops : internalProxyHops),
      },
      {
        secretSources: sources,
        packages: ["docker.io", "python3", "curl"],
        registryLogin: image.login(x.registryVersion),
        logDriver: gcpLogDriver(workload.name),
        ...(Object.keys(x.caFiles).length > 0 && { caFiles: x.caFiles }),
        // A worker has no port: its watchdog serves the verdict the MIG's health check reads.
        ...(!web && { livenessWatchdog: workerWatchdog(servedVerdict, workerGraceSeconds), livenessEndpoint: workerVerdictPort }),
      },
      "gcp",
    );
  });

  const health: NodeHealth = web
    ? { kind: "liveness", check: web.healthCheck, liveness: web.healthCheck.liveness }
    : { kind: "process", port: workerVerdictPort, check: { ...workerLive, healthyThreshold: 1, gracePeriodSeconds: workerGraceSeconds }, readySeconds: workerReadySeconds };
  const group = new NodeGroup(name, {
    nodes: { count: workload.count, maxCount: workload.maxCount, cpuTargetPercent: workload.cpuTargetPercent, ...(web && { port: web.port }) },
    health,
    machineType: resolveSize("gcp", "node", workload.size),
    region: f.region,
    zoneNames: f.network.zoneNames,
    zoneCount: ctx.topology.network.zones,
    subnetSelfLink: f.network.subnetSelfLink,
    publicAddresses: ctx.topology.network.natGateways === "none",
    serviceAccountEmail: identity.email,
    nodeTag,
    userData,
    // The role tells ha-guard what the group is for (a worker needs no load balancer).
    labels: { ...f.labels, [gcpRoleLabel]: role, "ha-topology-workload": labelValue(workload.name) },
  }, f.opts);
  return { group };
}
