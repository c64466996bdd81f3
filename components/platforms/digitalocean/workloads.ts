/**
 * The workloads of a DigitalOcean stack: per workload its own droplets (own count, size,
 * image, command, env), node tag and role tag (contract/roles.ts), firewall and user data.
 *
 * - A web (public or internal): NodeGroup, the chain of droplets, health gates and drain
 *   guards (healthGate.ts) on its own load balancer, so each web rolls out one droplet at
 *   a time on its own; its firewall admits the app port from its load balancer only. The
 *   stack's healer (healerApp.ts, registered in index.ts) covers its droplets.
 * - A worker: WorkerGroup (workerGroup.ts says what guards its rollout), no load balancer,
 *   a firewall that admits no app traffic at all.
 *
 * DigitalOcean has no secret store: a workload's secret variables (credentials of the
 * resources it uses, the generated secrets, the app secrets, its env entries that
 * reference a secret field) travel in a root-only file inside its user data, which is a
 * Pulumi secret (encrypted in state, hidden in previews); its plain variables in the env
 * file. A new secret value (rotation) changes the user data, so the nodes roll.
 *
 * The single service's `web` keeps exactly today's user data (a changed one replaces
 * every droplet): it is rendered as before (nodeUserData), and only its variables that
 * today's path does not deliver (`singleService: false`: bindings of resources added in
 * the maps, internal URLs) are added, plain ones to its env file and secret ones in a
 * file of their own.
 */
import * as pulumi from "@pulumi/pulumi";
import { workloadPlatformEnv } from "../../appEnvironment";
import { workerWatchdog } from "../../bootstrap";
import { logicalName, splitEnv, type BoundVariable, type ComposeContext, type WorkloadHandle } from "../../compose";
import { registryOf, type Registry } from "../../imageReference";
import { usesRegistryCredentials } from "../../model/images";
import type { ServiceWorkload, WebWorkload, Workload } from "../../model/model";
import { legacyResourceNames } from "../../model/model";
import { nodeUserData, workloadUserData } from "../../nodeUserData";
import { resolveSize } from "../../sizes";
import { digitaloceanRoleTag, type Role } from "../../../contract/roles";
import type { DoEdge } from "./edge";
import { Firewall } from "./firewall";
import type { Foundation } from "./foundation";
import type { HealedGroup } from "./healerApp";
import { NodeGroup, nodeImage } from "./nodeGroup";
import { embeddedRegistryLogin, registryDockerConfig } from "./registryAccess";
import type { DoResource } from "./resources";
import { WorkerGroup } from "./workerGroup";
import { workerGraceSeconds } from "../../topology";


/** The load balancer appends the client to X-Forwarded-For: one hop to trust. */
export const trustedProxyHops = 1;

/** Seconds the single service's app gets between SIGTERM and SIGKILL (draining has already happened). */
const legacyStopTimeoutSeconds = 30;

/** What every droplet installs: Docker, and python3 for the secret fetch script. */
export const packages = ["docker.io", "python3"];
/** No SSH key is configured, so DigitalOcean sets (and mails) a root password: lock it. */
export const setupCommands = ["passwd -l root"];

/** A workload's handle: its node group (the node tag) and its droplets. */
export interface DoWorkload extends WorkloadHandle {
  /** The workload's node tag, which its alarms watch. */
  nodeTag: pulumi.Output<string>;
  /** A job's droplets' public addresses, which its ping uptime checks probe (jobs.ts). */
  jobStatusTargets?: pulumi.Output<string>[];
  /** A web's node group as the healer covers it (healerApp.ts). */
  healed?: HealedGroup;
}

/** The role a workload's droplets are tagged with (contract/roles.ts). */
export function roleOf(workload: Workload): Role {
  if (workload.kind === "worker" || workload.kind === "cron") return workload.kind;
  return workload.route === undefined ? "internal" : "web";
}

/**
 * The docker config a workload's droplets log in with: read-only DOCR credentials the
 * program creates for a DOCR image; the `ha-topology:registry` credentials when its image
 * is on the one registry they are for (model/images.ts); else none.
 */
export function dockerConfigOf(ctx: ComposeContext, f: Foundation, workload: Workload, registry: Registry): pulumi.Output<string> | undefined {
  const credentials = usesRegistryCredentials(ctx.model, workload.name, ctx.topology.registry !== undefined) ? ctx.topology.registry : undefined;
  return registryDockerConfig(logicalName(ctx, workload), registry, credentials, f.opts);
}

/** The single service's user data: exactly today's, plus its variables that today's path does not deliver. */
function legacyUserData(ctx: ComposeContext, env: BoundVariable[], uses: DoResource[], registry: Registry, dockerConfig: pulumi.Output<string> | undefined): pulumi.Output<string> {
  const { topology, appSecrets } = ctx;
  const { nodes, database: dbSpec } = topology;
  const legacy = (kind: string) => uses.find((u) => u.resource.origin === "single-service" && u.resource.name === (legacyResourceNames as Record<string, string>)[kind]);
  const database = legacy("sql")!.database!;
  const bucket = legacy("bucket")!.bucket!;
  const sessionStore = legacy("cache")?.cache;
  const region = bucket.region;
  const extra = splitEnv(env.filter((v) => !v.singleService));

  // The secrets go into the user data (no secret store): resolved together, the whole
  // user data becomes a secret Output, so state and previews never show it.
  const facts = pulumi.output({
    dbHost: database.host,
    dbPort: database.port,
    readHosts: database.replicaHosts,
    dbUser: database.username,
    dbPassword: database.password,
    bucketName: bucket.name,
    bucketEndpoint: bucket.endpoint,
    bucketKeyId: bucket.accessKeyId,
    bucketSecret: bucket.secretAccessKey,
    sessionsHost: sessionStore ? sessionStore.host : pulumi.output(undefined),
    sessionsPort: sessionStore ? sessionStore.port : pulumi.output(undefined),
    sessionsPassword: sessionStore ? sessionStore.password : pulumi.output(undefined),
    appSecrets: pulumi.output(appSecrets),
    dockerConfig: dockerConfig ?? pulumi.output(undefined),
    extraPlain: extra.plain,
    extraSecret: extra.secret,
  });
  return pulumi.secret(
    facts.apply((f) =>
      nodeUserData(
        // Added variables only when there are some: otherwise today's env, byte for byte.
        Object.keys(f.extraPlain).length > 0 ? { ...nodes, env: { ...nodes.env, ...f.extraPlain } } : nodes,
        {
          trustedProxyHops,
          database: { host: f.dbHost, port: f.dbPort, name: dbSpec.name, engine: dbSpec.engine, readHosts: f.readHosts },
          bucket: { name: f.bucketName, region, endpoint: f.bucketEndpoint },
          sessions: f.sessionsHost && f.sessionsPort ? { host: f.sessionsHost, port: f.sessionsPort, tls: true } : undefined,
        },
        {
          secretSources: [],
          embeddedSecrets: [
            {
              description: "platform credentials",
              file: "platform.json",
              values: {
                DATABASE_USER: f.dbUser,
                DATABASE_PASSWORD: f.dbPassword,
                BUCKET_ACCESS_KEY_ID: f.bucketKeyId,
                BUCKET_SECRET_ACCESS_KEY: f.bucketSecret,
                ...(f.sessionsPassword ? { SESSION_STORE_PASSWORD: f.sessionsPassword } : {}),
              },
            },
            ...(Object.keys(f.appSecrets).length > 0 ? [{ description: "app secrets", file: "app.json", values: f.appSecrets }] : []),
            ...(Object.keys(f.extraSecret).length > 0 ? [{ description: "bindings", file: "bindings.json", values: f.extraSecret }] : []),
          ],
          stopTimeoutSeconds: legacyStopTimeoutSeconds,
          packages,
          setupCommands,
          registryLogin: f.dockerConfig ? embeddedRegistryLogin(registry, f.dockerConfig) : undefined,
        },
        "digitalocean",
      ),
    ),
  );
}

/**
 * The CA certificates of the document databases a workload uses (DigitalOcean's private CA
 * signs their certificates), by file name (`<resource>.pem`, the file `caFilePath` names).
 */
export function caFilesOf(uses: readonly DoResource[]): pulumi.Output<Record<string, string>> {
  const withCa = uses.filter((u) => u.document !== undefined);
  return pulumi.all(withCa.map((u) => u.document!.caCertificate)).apply((pems) => Object.fromEntries(withCa.map((u, i) => [`${u.resource.name}.pem`, pems[i]!])));
}

/** A workload's user data (several-workloads model): its command, stop timeout, plain env file, secret file and the CA files of what it uses. */
function mapsUserData(workload: ServiceWorkload, env: BoundVariable[], registry: Registry, dockerConfig: pulumi.Output<string> | undefined, caFiles: pulumi.Output<Record<string, string>>): pulumi.Output<string> {
  const { plain, secret } = splitEnv(env);
  const port = workload.kind === "web" ? workload.port : undefined;
  return pulumi.secret(
    pulumi.all([plain, secret, dockerConfig ?? pulumi.output(undefined), caFiles]).apply(([plainEnv, secretEnv, docker, cas]) =>
      workloadUserData(
        {
          name: workload.name,
          image: workload.image,
          command: workload.command,
          port,
          stopTimeoutSeconds: workload.stopTimeoutSeconds,
          env: plainEnv,
          platformEnv: workloadPlatformEnv({ kind: workload.kind, image: workload.image, port }, trustedProxyHops),
        },
        {
          secretSources: [],
          embeddedSecrets: Object.keys(secretEnv).length > 0 ? [{ description: `workload ${workload.name} secrets`, file: "workload.json", values: secretEnv }] : [],
          packages,
          setupCommands,
          registryLogin: docker ? embeddedRegistryLogin(registry, docker) : undefined,
          ...(Object.keys(cas).length > 0 && { caFiles: cas }),
          // A worker's only report is powering its droplet off, and only before it got live: its gate sees that.
          ...(workload.kind === "worker" && { livenessWatchdog: { ...workerWatchdog({ reportCommand: "systemctl poweroff", readyCommand: "true" }, workerGraceSeconds), readinessOnly: true } }),
        },
        "digitalocean",
      ),
    ),
  );
}

/** Builds one workload: its firewall, user data and droplets. */
export function buildWorkload(ctx: ComposeContext, f: Foundation, workload: ServiceWorkload, env: BoundVariable[], uses: DoResource[], edge: DoEdge): DoWorkload {
  const prefix = logicalName(ctx, workload);
  const { nodeTag, servingTag } = f.groups.get(workload.name)!;
  const sshSourceCidrs = ctx.topology.network.sshSourceCidrs ?? [];
  const single = workload.origin === "single-service";
  // Image references are checked by the parser.
  const registry = registryOf(workload.image) as Registry;
  const dockerConfig = dockerConfigOf(ctx, f, workload, registry);
  const userData = single ? legacyUserData(ctx, env, uses, registry, dockerConfig) : mapsUserData(workload, env, registry, dockerConfig, caFilesOf(uses));
  // The single service's droplets keep today's tags (no role tag: a tag change is harmless, but its inputs stay as they are).
  const tags = single ? f.tags : [digitaloceanRoleTag(roleOf(workload)), ...f.tags];
  const size = resolveSize("digitalocean", "node", workload.size);

  if (workload.kind === "worker") {
    new Firewall(prefix, { nodeTag, vpcRange: f.vpcRange, sshSourceCidrs }, f.opts);
    new WorkerGroup(prefix, { count: workload.count, size, region: f.region, vpcId: f.vpcId, nodeTag, tags, userData, graceSeconds: workerGraceSeconds, apiToken: f.token }, f.opts);
    return { nodeGroupId: nodeTag, nodeTag };
  }

  const web: WebWorkload = workload;
  const lb = edge.balancers.get(web.name)!;
  new Firewall(prefix, { nodeTag, appPort: web.port, loadBalancerId: lb.id, vpcRange: f.vpcRange, sshSourceCidrs }, f.opts);
  const group = new NodeGroup(prefix, {
    nodes: { count: web.count, drainSeconds: web.drainSeconds },
    // The gates wait for readiness: the load balancer's own check.
    healthCheck: { healthyThreshold: web.healthCheck.healthyThreshold, gracePeriodSeconds: web.healthCheck.gracePeriodSeconds },
    size,
    region: f.region,
    vpcId: f.vpcId,
    nodeTag,
    servingTag: servingTag!,
    tags,
    userData,
    loadBalancerId: lb.id,
    apiToken: f.token,
  }, f.opts);
  const healed: HealedGroup = {
    name: web.name,
    nodeTag,
    servingTag: servingTag!,
    leavingTag: group.leavingTag,
    loadBalancerId: lb.id,
    count: web.count,
    healthCheck: web.healthCheck,
    image: nodeImage,
  };
  return { nodeGroupId: nodeTag, nodeTag, healed };
}
