/**
 * The AWS platform (compose.ts `Platform`): the composer's steps on AWS.
 *
 * - foundation: the create-only guards of every SQL database (DatabaseIdentity), the VPC,
 *   the public load balancer's and the single service's security groups (Firewall), one
 *   security group per workload of `ha-topology:workloads` (WorkloadFirewall), the app
 *   secrets and registry credentials in Secrets Manager.
 * - resources: RDS Multi-AZ (Database), S3 (Bucket), ElastiCache (SessionStore) and
 *   generated secrets (GeneratedSecret), each with its own security group where it has a
 *   network endpoint; the single service's keep the names and groups they have always had.
 * - sites: a private S3 bucket each with its files (site.ts).
 * - edge: one ALB for every public web workload (listener rules by host and path, a target
 *   group each, extra certificates for extra hosts) and an internal ALB per internal one;
 *   a CloudFront distribution for each host with a site (cdn.ts), whose web routes go on
 *   to the ALB, and the host's record moved from the ALB to it.
 * - workloads: an autoscaling group each (workloads.ts); the single service's `web` keeps
 *   exactly the user data and settings it has always had.
 * - finish: the healthy-nodes alarm of each public web workload of the maps.
 *
 * The single-service stack registers exactly what the adapter of earlier versions did (same
 * URNs, same inputs: test/urns/aws*.txt and test/program.aws.test.ts pin them).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { amqpsUrl, mongodbUrl, sqlConnectionUrl, valkeyBrokerUrl } from "../../connectionUrls";
import { caFilePath } from "../../model/bindings";
import type { ComposeContext, EdgeHandle, Platform, ResourceHandle, SiteHandle, WorkloadHandle } from "../../compose";
import type { DnsRecord } from "../dnsRecord";
import { logicalName } from "../../compose";
import { configNamespace } from "../../configError";
import { DatabaseIdentity, waitForGuard } from "../../databaseIdentity";
import { registryCredentialsHost } from "../../model/images";
import { isContainerWorkload, isServiceWorkload, type Resource, type WebWorkload } from "../../model/model";
import { fitName } from "../../physicalNames";
import { resolveSize } from "../../sizes";
import { Alarms, AlarmTopic, WorkloadAlarms } from "./alarms";
import { Bucket } from "./bucket";
import { Cdn, cdnRecordPurpose } from "./cdn";
import { Database, engineFacts } from "./database";
import { Broker, brokerPort } from "./broker";
import { caBundleUrl, DocumentDatabase, documentPort } from "./documentDatabase";
import { allowTcp, Firewall } from "./firewall";
import { InternalLoadBalancer, internalListenerPort } from "./internalLoadBalancer";
import { JsonSecret } from "./jsonSecret";
import { LoadBalancer, type AliasTarget, type WebTarget } from "./loadBalancer";
import { Network } from "./network";
import type { NodeGroup } from "./nodeGroup";
import { eventBridgeCron } from "./cronExpression";
import { buildJob, JobAlarms, type AwsJob } from "./jobs";
import { GeneratedSecret, generatedSecretField } from "./secretResource";
import { SessionStore, sessionStorePort } from "./sessionStore";
import { SiteOrigin } from "./site";
import { WorkloadFirewall } from "./workloadFirewall";
import { singleServiceWorkload, workloadNodes } from "./workloads";

/** What the foundation gives the other steps. */
export interface AwsFoundation {
  /** Tags for every resource. */
  tags: Record<string, string>;
  /** Options of every component: the HaService parent, and the wait for every database guard. */
  opts: pulumi.ComponentResourceOptions;
  /** The VPC and its subnets. */
  network: Network;
  /** The public load balancer's group and the single service's groups; unset without either. */
  firewall?: Firewall;
  /** Each workload's node security group, by workload name. */
  nodeGroups: Map<string, pulumi.Output<string>>;
  /** Where each workload's security group rules live (its WorkloadFirewall; the Firewall for the single service). */
  ruleParents: Map<string, pulumi.Resource>;
  /** The guard of each SQL resource, by resource name. */
  identities: Map<string, DatabaseIdentity>;
  /** `ha-topology:secrets` in Secrets Manager, when there are any. */
  appSecrets?: JsonSecret;
  /** The single service's registry credentials in Secrets Manager (a private image outside ECR). */
  registrySecret?: { secret: JsonSecret; host: string };
  /** The stack's region. */
  region: pulumi.Output<string>;
  /** The ECS cluster the scheduled jobs run in; only when the stack has jobs. */
  jobCluster?: aws.ecs.Cluster;
}

/** Where a workload reads some of a resource's secret fields at boot: its own secret. */
export interface StoredFields {
  /** The secret's ARN. */
  arn: pulumi.Output<string>;
  /** Its current version (pinned in the user data). */
  versionId: pulumi.Output<string>;
  /** JSON field of the secret -> binding field it holds. */
  fields: Record<string, string>;
}

/** What a resource step returns on AWS. */
export interface AwsResourceHandle extends ResourceHandle {
  /** Its security group and port, for a resource reached over the network (sql, cache). */
  network?: { securityGroupId: pulumi.Output<string>; port: number };
  /** The bucket's ARN (bucket). */
  bucketArn?: pulumi.Output<string>;
  /** The secret fields the users read from the resource's own Secrets Manager secret (sql credentials, a generated secret). */
  stored?: StoredFields;
  /** A CA certificate the nodes of its users fetch at boot into `path` (a private CA: DocumentDB's). */
  caDownload?: { path: string; url: pulumi.Output<string> };
  /** The components (the single service's user data is rendered from them). */
  database?: Database;
  bucket?: Bucket;
  sessionStore?: SessionStore;
}

/** What the edge step returns on AWS. */
export interface AwsEdge extends EdgeHandle {
  /** The public ALB, when a web workload is public. */
  loadBalancer?: LoadBalancer;
  /** Each public web workload's target group. */
  targets: Map<string, WebTarget>;
  /** Each internal web workload's load balancer. */
  internal: Map<string, InternalLoadBalancer>;
  /** The single service's alarms (made before its nodes: an instance refresh rolls back on one). */
  legacyAlarms?: Alarms;
  /** The CloudFront distribution of each host with a site. */
  cdns: Map<string, Cdn>;
}

/** What a site step returns on AWS. */
export interface AwsSite extends SiteHandle {
  /** Its bucket and files. */
  origin: SiteOrigin;
}

/** What a workload step returns on AWS. */
export interface AwsWorkload extends WorkloadHandle {
  /** The node group (a web workload or a worker). */
  group?: NodeGroup;
  /** The schedule and its task (a scheduled job). */
  job?: AwsJob;
}

/** The handle of a cache or a Valkey broker (one ElastiCache replication group): TLS on its port, the security group its users get a rule to. */
function valkeyHandle(r: Resource, sessionStore: SessionStore, url: pulumi.Output<string>): AwsResourceHandle {
  return {
    resource: r,
    fields: { host: sessionStore.host, port: pulumi.output(String(sessionStorePort)), tls: pulumi.output("true"), url },
    endpoint: sessionStore.endpoint,
    network: { securityGroupId: sessionStore.securityGroupId, port: sessionStorePort },
    sessionStore,
  };
}

/** The single service's `web`, when the stack has it. */
function singleWeb(ctx: ComposeContext): WebWorkload | undefined {
  return ctx.model.workloads.find((w): w is WebWorkload => w.origin === "single-service" && w.kind === "web");
}

/** The single service's resource of `kind`, when the stack has it. */
function singleResource(ctx: ComposeContext, kind: Resource["kind"]): Resource | undefined {
  return ctx.model.resources.find((r) => r.origin === "single-service" && r.kind === kind);
}

/** The public web workloads (route set). */
function publicWebs(ctx: ComposeContext): WebWorkload[] {
  return ctx.model.workloads.filter((w): w is WebWorkload => w.kind === "web" && w.route !== undefined);
}

/** What a web's URL is: https://host/path, or https://host for "/". */
function publicUrl(w: WebWorkload): string {
  return `https://${w.route!.host}${w.route!.path === "/" ? "" : w.route!.path}`;
}

/** A site's URL: https://host/path, or https://host for "/". */
function siteUrl(route: { host: string; path: string }): string {
  return `https://${route.host}${route.path === "/" ? "" : route.path}`;
}

/** CloudFront takes certificates from us-east-1 only: the user's `tls.certificate` must be there to serve a site. */
const usEast1Certificate = /^arn:aws[a-z-]*:acm:us-east-1:/;

/** Records once each (the ALB's and CloudFront's certificates for one name ask for the same validation record). */
function distinctRecords(records: DnsRecord[]): DnsRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const key = `${r.name}\0${r.type}\0${r.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export const awsPlatform: Platform<AwsFoundation, AwsResourceHandle, AwsEdge, AwsWorkload, AwsSite> = {
  foundation(ctx) {
    const { name, topology, model, parent } = ctx;
    const tags = { "ha-topology:service": name, "ha-topology:stack": pulumi.getStack(), "managed-by": "pulumi" };
    // A schedule EventBridge cannot say stops the program before anything is registered.
    for (const w of model.workloads) if (w.kind === "cron") eventBridgeCron(w.schedule, `workloads.${w.name}.schedule`);
    // Every resource waits for the guards of the create-only database settings (registered
    // first): a refused change touches nothing.
    const identities = new Map<string, DatabaseIdentity>();
    for (const r of model.resources) {
      if (r.kind !== "sql") continue;
      const single = r.origin === "single-service";
      const key = (k: string) => (single ? `${configNamespace}:database.${k}` : `${configNamespace}:resources.${r.name}.${k}`);
      identities.set(r.name, new DatabaseIdentity(`${logicalName(ctx, r)}-db-identity`, {
        cloud: "aws",
        keys: { [key("name")]: r.databaseName, [key("username")]: r.username, [key("engine")]: r.engine },
      }, { parent }));
    }
    const opts: pulumi.ComponentResourceOptions = identities.size > 0 ? { parent, transformations: [...identities.values()].map(waitForGuard) } : { parent };

    const network = new Network(name, { spec: topology.network, tags }, opts);
    const web = singleWeb(ctx);
    const database = singleResource(ctx, "sql");
    const sessions = singleResource(ctx, "cache");
    const firewall = web || publicWebs(ctx).length > 0
      ? new Firewall(name, {
          vpcId: network.vpcId,
          appPort: web?.port,
          databasePort: database?.kind === "sql" ? engineFacts[database.engine].port : undefined,
          sessionsPort: sessions ? sessionStorePort : undefined,
          tags,
        }, opts)
      : undefined;

    const nodeGroups = new Map<string, pulumi.Output<string>>();
    const ruleParents = new Map<string, pulumi.Resource>();
    for (const w of model.workloads.filter(isServiceWorkload)) {
      if (w.origin === "single-service") {
        nodeGroups.set(w.name, firewall!.nodeGroupId!);
        ruleParents.set(w.name, firewall!);
        continue;
      }
      const what = w.kind === "worker" ? "worker" : w.route ? "web workload" : "internal web workload";
      const own = new WorkloadFirewall(logicalName(ctx, w), {
        vpcId: network.vpcId,
        description: `Nodes of the ${what} ${w.name}: only what its rules admit; no SSH`,
        tags,
      }, opts);
      nodeGroups.set(w.name, own.groupId);
      ruleParents.set(w.name, own);
    }
    // A scheduled job's runs (Fargate tasks) get a group of their own, as a workload's nodes.
    const jobs = model.workloads.filter((w) => w.kind === "cron");
    for (const w of jobs) {
      const own = new WorkloadFirewall(logicalName(ctx, w), {
        vpcId: network.vpcId,
        description: `Runs of the scheduled job ${w.name}: only what its rules admit; nothing in`,
        tags,
      }, opts);
      nodeGroups.set(w.name, own.groupId);
      ruleParents.set(w.name, own);
    }
    const jobCluster = jobs.length > 0 ? new aws.ecs.Cluster(`${name}-jobs`, { tags }, opts) : undefined;

    const appSecrets = Object.keys(ctx.appSecrets).length > 0
      ? new JsonSecret(`${name}-app-secrets`, { description: `App secrets of ${name}, injected into the app's environment at boot`, values: ctx.appSecrets, tags }, opts)
      : undefined;
    // `ha-topology:registry`: the one registry host it is for (model/images.ts), outside
    // ECR; the workloads whose image is there read it before each pull (workloads.ts).
    const host = registryCredentialsHost(ctx.model, topology.registry !== undefined);
    const registrySecret = host && topology.registry
      ? {
          host,
          secret: new JsonSecret(`${name}-registry-credentials`, {
            description: `Credentials of ${name}'s nodes for the registry ${host}, read before each image pull`,
            values: { username: pulumi.secret(topology.registry.username), password: pulumi.secret(topology.registry.password) },
            tags,
          }, opts),
        }
      : undefined;

    return { tags, opts, network, firewall, nodeGroups, ruleParents, identities, appSecrets, registrySecret, region: aws.getRegionOutput({}, opts).region, ...(jobCluster && { jobCluster }) };
  },

  resource(ctx, f, r): AwsResourceHandle {
    const { topology } = ctx;
    const { network, tags, opts } = f;
    const single = r.origin === "single-service";
    const logical = logicalName(ctx, r);
    switch (r.kind) {
      case "sql": {
        const database = new Database(logical, {
          spec: { engine: r.engine, version: r.version, size: r.size, storageGb: r.storageGb, maxStorageGb: r.maxStorageGb, backupRetentionDays: r.backupRetentionDays, readReplicas: r.readReplicas, name: r.databaseName, username: r.username },
          instanceClass: resolveSize("aws", "database", r.size),
          subnetIds: network.privateSubnetIds,
          ...(single ? { securityGroupId: f.firewall!.databaseGroupId! } : { vpcId: network.vpcId }),
          tags,
          identity: f.identities.get(r.name),
        }, opts);
        const host = database.host;
        const port = String(database.port);
        const fields: Record<string, pulumi.Output<string>> = {
          host,
          port: pulumi.output(port),
          name: pulumi.output(r.databaseName),
          engine: pulumi.output(r.engine),
          readHosts: database.replicaHosts.apply((hosts) => hosts.join(",")),
          user: pulumi.secret(database.username),
          password: database.password,
          url: pulumi.secret(pulumi.all([database.username, database.password, host]).apply(([u, p, h]) => sqlConnectionUrl(r.engine, u, p, h, port, r.databaseName))),
        };
        return {
          resource: r,
          fields,
          endpoint: database.endpoint,
          network: { securityGroupId: database.securityGroupId, port: database.port },
          stored: { arn: database.credentialsSecretArn, versionId: database.credentialsVersionId, fields: { username: "user", password: "password" } },
          database,
        };
      }
      case "bucket": {
        const bucket = new Bucket(logical, { spec: { versioning: true, noncurrentVersionDays: r.noncurrentVersionDays }, tags }, opts);
        return {
          resource: r,
          fields: {
            name: bucket.name,
            bucket: bucket.name,
            region: bucket.region,
            endpoint: pulumi.interpolate`https://s3.${bucket.region}.amazonaws.com`,
          },
          endpoint: bucket.name,
          bucketArn: bucket.arn,
          bucket,
        };
      }
      case "cache": {
        const sessionStore = new SessionStore(logical, {
          spec: { enabled: true, engine: r.engine, size: r.size },
          nodeType: resolveSize("aws", "sessions", r.size),
          subnetIds: network.privateSubnetIds,
          ...(single ? { securityGroupId: f.firewall!.sessionsGroupId! } : { vpcId: network.vpcId }),
          tags,
        }, opts);
        // ElastiCache in-transit encryption: TLS, no password (the security group is the gate).
        return valkeyHandle(r, sessionStore, pulumi.interpolate`rediss://${sessionStore.host}:${sessionStorePort}`);
      }
      case "document": {
        const docdb = new DocumentDatabase(logical, {
          members: r.members,
          instanceClass: resolveSize("aws", "document", r.size),
          backupRetentionDays: r.backupRetentionDays,
          username: r.username,
          subnetIds: network.privateSubnetIds,
          vpcId: network.vpcId,
          tags,
        }, opts);
        const caFile = caFilePath(r.name);
        const hosts = docdb.memberHosts.apply((hs) => hs.map((h) => `${h}:${documentPort}`).join(","));
        return {
          resource: r,
          fields: {
            // DocumentDB has no retryable writes: a driver's default (true) fails every write.
            url: pulumi.secret(pulumi.all([docdb.password, docdb.host]).apply(([p, h]) => mongodbUrl({
              user: r.username, password: p, hosts: [`${h}:${documentPort}`], database: r.databaseName, replicaSet: "rs0", caFile,
              options: { readPreference: "secondaryPreferred", retryWrites: "false" },
            }))),
            hosts,
            name: pulumi.output(r.databaseName),
            user: pulumi.secret(pulumi.output(r.username)),
            password: docdb.password,
            caFile: pulumi.output(caFile),
          },
          endpoint: pulumi.interpolate`${docdb.host}:${documentPort}`,
          network: { securityGroupId: docdb.securityGroupId, port: documentPort },
          stored: { arn: docdb.credentialsSecretArn, versionId: docdb.credentialsVersionId, fields: { username: "user", password: "password" } },
          caDownload: { path: caFile, url: f.region.apply(caBundleUrl) },
        };
      }
      case "queue": {
        if (r.engine === "rabbitmq") {
          const broker = new Broker(logical, {
            hostInstanceType: resolveSize("aws", "queue", r.size),
            username: "app",
            subnetIds: network.privateSubnetIds,
            vpcId: network.vpcId,
            tags,
          }, opts);
          return {
            resource: r,
            fields: {
              url: pulumi.secret(pulumi.all([broker.password, broker.host]).apply(([p, h]) => amqpsUrl(broker.username, p, h, brokerPort))),
              host: broker.host,
              port: pulumi.output(String(brokerPort)),
              user: pulumi.secret(pulumi.output(broker.username)),
              password: broker.password,
            },
            endpoint: pulumi.interpolate`${broker.host}:${brokerPort}`,
            network: { securityGroupId: broker.securityGroupId, port: brokerPort },
            stored: { arn: broker.credentialsSecretArn, versionId: broker.credentialsVersionId, fields: { username: "user", password: "password" } },
          };
        }
        const sessionStore = new SessionStore(logical, {
          spec: { enabled: true, engine: "valkey", size: r.size },
          nodeType: resolveSize("aws", "sessions", r.size),
          subnetIds: network.privateSubnetIds,
          vpcId: network.vpcId,
          tags,
          // A broker must never evict a task.
          parameters: { "maxmemory-policy": "noeviction" },
          purpose: "Queue broker",
        }, opts);
        return valkeyHandle(r, sessionStore, sessionStore.host.apply((h) => valkeyBrokerUrl(h, sessionStorePort)));
      }
      case "secret": {
        const secret = new GeneratedSecret(logical, {
          length: r.length,
          description: `Generated secret ${r.name} of ${ctx.name}, read by the nodes of the workloads that use it at boot`,
          tags,
        }, opts);
        return {
          resource: r,
          fields: { value: secret.value },
          endpoint: secret.arn,
          stored: { arn: secret.arn, versionId: secret.versionId, fields: { [generatedSecretField]: "value" } },
        };
      }
    }
    // The parser admits no other kind on aws (capabilities.ts).
    throw new Error(`aws: no resource of kind ${(r as { kind: string }).kind} in this version (topology: ${topology.cloud})`);
  },

  site(ctx, f, site): AwsSite {
    const origin = new SiteOrigin(logicalName(ctx, site), { site, tags: f.tags }, f.opts);
    return { nodeGroupId: origin.bucket.name, origin };
  },

  edge(ctx, f, webs, sites) {
    const { topology } = ctx;
    const { network, tags, opts } = f;
    const open = webs.filter((w) => w.route !== undefined);
    const urls: Record<string, pulumi.Output<string>> = {};
    let loadBalancer: LoadBalancer | undefined;
    let targets = new Map<string, WebTarget>();
    if (open.length > 0) {
      loadBalancer = new LoadBalancer(ctx.name, {
        topology,
        webs: open.map((w) => ({ workload: w.name, logical: logicalName(ctx, w), route: w.route!, port: w.port, drainSeconds: w.drainSeconds, healthCheck: w.healthCheck })),
        vpcId: network.vpcId,
        subnetIds: network.publicSubnetIds,
        securityGroupId: f.firewall!.loadBalancerGroupId,
        tags,
        // With a site, CloudFront may take over a host's record (below).
        ...(sites.size > 0 && { deferRecords: true }),
      }, opts);
      targets = loadBalancer.targets;
      for (const w of open) {
        urls[w.name] = pulumi.output(publicUrl(w));
        // The single service's nodes already admit the load balancer (Firewall).
        if (w.origin === "single-service") continue;
        allowTcp(f.ruleParents.get(w.name)!, `${logicalName(ctx, w)}_from_lb`, f.firewall!.loadBalancerGroupId, f.nodeGroups.get(w.name)!, w.port, `Requests and health checks to ${w.name} from the load balancer only`, tags);
      }
    }

    const internal = new Map<string, InternalLoadBalancer>();
    for (const w of webs.filter((x) => x.route === undefined)) {
      const logical = logicalName(ctx, w);
      const lb = new InternalLoadBalancer(logical, {
        vpcId: network.vpcId,
        subnetIds: network.privateSubnetIds,
        port: w.port,
        drainSeconds: w.drainSeconds,
        healthCheck: w.healthCheck,
        tags,
      }, opts);
      internal.set(w.name, lb);
      urls[w.name] = lb.url;
      allowTcp(f.ruleParents.get(w.name)!, `${logical}_from_lb`, lb.securityGroupId, f.nodeGroups.get(w.name)!, w.port, `Requests and health checks to ${w.name} from its internal load balancer only`, tags);
      // Every other workload may call it (they all receive its URL), and nothing else.
      // A site runs nothing that calls it.
      for (const caller of ctx.model.workloads.filter(isContainerWorkload).filter((c) => c.name !== w.name)) {
        allowTcp(f.ruleParents.get(caller.name)!, `${logicalName(ctx, caller)}_calls_${w.name}`, f.nodeGroups.get(caller.name)!, lb.securityGroupId, internalListenerPort, `${caller.name} calls the internal web workload ${w.name}`, tags);
      }
    }

    // One distribution per host with a site; the host's web routes go on to the ALB.
    const cdns = new Map<string, Cdn>();
    const cdnRecords: pulumi.Output<DnsRecord>[] = [];
    if (sites.size > 0) {
      if (topology.tls.certificate && !usEast1Certificate.test(topology.tls.certificate)) {
        throw new Error(`aws: tls.certificate ${topology.tls.certificate} is not in us-east-1, and CloudFront (which serves the sites) takes certificates from us-east-1 only: import it there too, or leave tls.certificate unset for ACM certificates`);
      }
      // CloudFront's certificate must be in us-east-1, whatever the stack's region.
      const usEast1 = new aws.Provider(`${ctx.name}-us-east-1`, { region: "us-east-1", profile: new pulumi.Config("aws").get("profile") }, opts);
      const origins = [...sites.values()].map((s) => s.origin);
      const hosts = [...new Set(origins.map((o) => o.site.route.host))].sort((a, b) => (a === topology.domain ? -1 : b === topology.domain ? 1 : a < b ? -1 : 1));
      for (const host of hosts) {
        const albHasRecord = loadBalancer?.hosts.includes(host) ?? false;
        const cdn = new Cdn(host === topology.domain ? `${ctx.name}-cdn` : fitName(`${ctx.name}-cdn-${host.replace(/\./g, "-")}`, 40), {
          host,
          sites: origins.filter((o) => o.site.route.host === host),
          webs: open.filter((w) => w.route!.host === host).map((w) => w.route!),
          albDnsName: loadBalancer?.dnsName,
          zoneId: topology.dns.zone,
          certificate: topology.tls.certificate,
          usEast1,
          albHasRecord,
          tags,
        }, opts);
        cdns.set(host, cdn);
        cdnRecords.push(...cdn.dnsRecords);
      }
      for (const o of origins) urls[o.site.name] = pulumi.output(siteUrl(o.site.route));
      loadBalancer?.serveHosts(new Map([...cdns].map(([host, cdn]): [string, AliasTarget] => [host, { name: cdn.domainName, zoneId: cdn.hostedZoneId, purpose: cdnRecordPurpose }])));
    }

    const web = singleWeb(ctx);
    const legacyAlarms = web && loadBalancer
      ? new Alarms(ctx.name, {
          loadBalancerArnSuffix: loadBalancer.arnSuffix,
          targetGroupArnSuffix: targets.get(web.name)!.targetGroupArnSuffix,
          minHealthyNodes: web.count,
          email: topology.alarms.email,
          tags,
        }, opts)
      : undefined;

    return {
      urls,
      dnsRecords: sites.size === 0
        ? (loadBalancer ? loadBalancer.dnsRecords : pulumi.output([]))
        : pulumi.all([loadBalancer ? loadBalancer.dnsRecords : pulumi.output([]), pulumi.all(cdnRecords)]).apply(([lb, cdn]) => distinctRecords([...lb, ...cdn])),
      loadBalancerAddress: loadBalancer ? loadBalancer.dnsName : pulumi.output<string | undefined>(undefined),
      loadBalancer,
      targets,
      internal,
      legacyAlarms,
      cdns,
    };
  },

  workload(ctx, f, w, env, uses, edge) {
    // Network access to what it uses, and nothing else: one rule per database or cache.
    for (const r of uses) {
      if (!r.network || (w.origin === "single-service" && r.resource.origin === "single-service")) continue;
      allowTcp(f.ruleParents.get(w.name)!, `${logicalName(ctx, w)}_uses_${r.resource.name}`, f.nodeGroups.get(w.name)!, r.network.securityGroupId, r.network.port, `${w.name} uses ${r.resource.name}`, f.tags);
    }
    const group = w.origin === "single-service" ? singleServiceWorkload(ctx, f, w as WebWorkload, env, uses, edge) : workloadNodes(ctx, f, w, env, uses, edge);
    return { nodeGroupId: group.groupName, group };
  },

  job(ctx, f, w, env, uses) {
    // The same network access as a workload using the same resources: one rule per database or cache.
    for (const r of uses) {
      if (!r.network) continue;
      allowTcp(f.ruleParents.get(w.name)!, `${logicalName(ctx, w)}_uses_${r.resource.name}`, f.nodeGroups.get(w.name)!, r.network.securityGroupId, r.network.port, `${w.name} uses ${r.resource.name}`, f.tags);
    }
    const job = buildJob(ctx, f, w, env, uses);
    return { nodeGroupId: job.schedule.arn, job };
  },

  finish(ctx, f, edge, built) {
    const email = ctx.topology.alarms.email;
    const watched = publicWebs(ctx).filter((w) => w.origin === "maps");
    const jobs = [...built.values()].flatMap((b) => (b.job ? [b.job] : []));
    if (!email) return;
    let topic: pulumi.Output<string> | undefined;
    const topicArn = () => (topic ??= edge.legacyAlarms ? edge.legacyAlarms.topicArn : new AlarmTopic(ctx.name, { email, tags: f.tags }, f.opts).topicArn);
    if (jobs.length > 0) new JobAlarms(`${ctx.name}-jobs`, { topicArn: topicArn(), jobs, tags: f.tags }, f.opts);
    if (watched.length === 0 || !edge.loadBalancer) return;
    for (const w of watched) {
      new WorkloadAlarms(logicalName(ctx, w), {
        workload: w.name,
        loadBalancerArnSuffix: edge.loadBalancer.arnSuffix,
        targetGroupArnSuffix: edge.targets.get(w.name)!.targetGroupArnSuffix,
        minHealthyNodes: w.count,
        topicArn: topicArn(),
        tags: f.tags,
      }, { ...f.opts, dependsOn: [built.get(w.name)!.group!] });
    }
  },
};
