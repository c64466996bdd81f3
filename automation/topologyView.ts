/**
 * The model of a stack (components/model/) in the words the plan, the HA summary and the
 * diagram use: per workload its kind, where it is reached (a route, an internal URL
 * variable, or nothing for a worker), its count, size, image, command, checks and the
 * resources it uses; per resource its kind, what it is, its HA shape and who uses it; the
 * load balancers with their routes (one per host where the cloud cannot route by host,
 * capabilities.ts). Computed from the model alone, never from registered resources, so it
 * says the same on every platform and is tested without one.
 */
import { internalUrlVariable } from "../components/model/bindings";
import { capabilities } from "../components/model/capabilities";
import { isContainerWorkload, type ContainerWorkload, type Model, type Origin, type Resource, type SiteWorkload } from "../components/model/model";
import { jobSizeText } from "../components/jobSizes";
import { cacheControlFor } from "../components/siteFiles";
import { resolveSize, type Cloud } from "../components/sizes";

/** How each cloud makes a SQL database highly available. */
export const databaseHa: Record<Cloud, string> = {
  aws: "Multi-AZ standby with automatic failover",
  gcp: "REGIONAL instance with a standby in another zone",
  digitalocean: "cluster with a standby node and automatic failover",
  kubernetes: "CloudNativePG cluster with a streaming standby",
};

/**
 * What serves a document database and a broker on each cloud (issue 18), in the words of the
 * diagram's box and of the summary; one table, so the two never disagree.
 */
export const dataServices: Record<Cloud, { document: string; documentHa: (members: number) => string; rabbitmq: string; valkey: string }> = {
  aws: {
    document: "Amazon DocumentDB",
    documentHa: (n) => `${n} instances over zones on storage replicated six ways over three zones, automatic failover`,
    rabbitmq: "Amazon MQ for RabbitMQ, a three-node cluster over three zones (CLUSTER_MULTI_AZ)",
    valkey: "ElastiCache Valkey, a replica in another zone, never evicting",
  },
  gcp: {
    document: "Firestore with MongoDB compatibility",
    documentHa: () => "every write replicated over three zones by Firestore, no failover to wait for",
    rabbitmq: "none (Google Cloud has no managed RabbitMQ)",
    valkey: "Memorystore (Standard tier), a replica in another zone, never evicting",
  },
  digitalocean: {
    document: "DigitalOcean Managed MongoDB",
    documentHa: (n) => `a primary and ${n - 1} standby nodes, automatic failover`,
    rabbitmq: "none (DigitalOcean has no managed RabbitMQ)",
    valkey: "DigitalOcean Managed Valkey with a standby node, never evicting",
  },
  kubernetes: {
    document: "Percona Server for MongoDB (operator)",
    documentHa: (n) => `a ${n}-member replica set over zones with a PodDisruptionBudget, automatic election`,
    rabbitmq: "RabbitMQ Cluster Operator, three nodes over zones, quorum queues",
    valkey: "Valkey with a replica over zones, never evicting",
  },
};

/** Where each cloud keeps a generated secret. */
export const secretStore: Record<Cloud, string> = {
  aws: "AWS Secrets Manager",
  gcp: "GCP Secret Manager",
  // DigitalOcean has no secret store: the value travels in the droplets' (secret) user data.
  digitalocean: "the droplets' secret user data (DigitalOcean has no secret store)",
  kubernetes: "a Kubernetes Secret",
};

/** Each cloud's names for its load balancer, bucket and database failover (the diagram's words too). */
export const vocabulary: Record<Cloud, { loadBalancer: string; bucket: string; database: string }> = {
  aws: { loadBalancer: "Application Load Balancer", bucket: "S3 bucket", database: "Multi-AZ, automatic failover" },
  gcp: { loadBalancer: "Global HTTPS load balancer", bucket: "Cloud Storage bucket", database: "REGIONAL, automatic failover" },
  digitalocean: { loadBalancer: "DigitalOcean load balancer", bucket: "Spaces bucket", database: "standby node, automatic failover" },
  kubernetes: { loadBalancer: "Ingress (cert-manager TLS)", bucket: "object storage", database: "CloudNativePG, streaming standby" },
};

/** What serves a static site's files on each cloud: in a diagram box, and in the summary's words. */
export const siteServing: Record<Cloud, { box: string; summary: string }> = {
  aws: {
    box: "private S3 bucket · CloudFront (origin access control)",
    summary: "CloudFront over a private S3 bucket (origin access control), the web paths to the load balancer on the same domain",
  },
  gcp: {
    box: "private bucket · backend bucket with Cloud CDN",
    summary: "a backend bucket with Cloud CDN on the same URL map as the web services, the bucket private",
  },
  digitalocean: {
    box: "Spaces bucket · Spaces CDN on its own host",
    summary: "the Spaces CDN on its own host (the load balancer cannot route to Spaces)",
  },
  kubernetes: {
    box: "static file server pods behind the Ingress",
    summary: "static file server pods behind the same Ingress",
  },
};

/** What a node of a workload is called on each cloud. */
export const nodeWord: Record<Cloud, string> = { aws: "node", gcp: "node", digitalocean: "droplet", kubernetes: "pod" };

/** Each cloud's word for a bucket it creates. */
const bucketWord: Record<Cloud, string> = { aws: "S3 bucket", gcp: "Cloud Storage bucket", digitalocean: "Spaces bucket", kubernetes: "S3-compatible bucket" };

/** Where a workload is reached from. */
export type Tier =
  /** A public web workload: routes on a load balancer. */
  | "public"
  /** An internal web workload (`public: false`): a private URL the other workloads get. */
  | "internal"
  /** A worker: no load balancer, nothing connects to it. */
  | "worker"
  /** A scheduled job: one run per tick, started by the platform's scheduler. */
  | "job";

/** One route of a public web workload. */
export interface RouteView {
  /** The host name. */
  host: string;
  /** The path prefix ("/" for the whole host). */
  path: string;
  /** The workload it reaches. */
  workload: string;
}

/** One workload, as the plan shows it. */
export interface WorkloadView {
  /** Its name (`web` for the single service). */
  name: string;
  /** Its kind. */
  kind: ContainerWorkload["kind"];
  /** Where it was declared. */
  origin: Origin;
  /** Where it is reached from. */
  tier: Tier;
  /** Where it is reached, in words: its URL (`routeUrl`), `internal: <URL variable>` or `worker: no load balancer`. */
  entry: string;
  /** Its route, for a public web workload. */
  route?: RouteView;
  /** The variable the other workloads get its private URL in, for an internal web workload. */
  urlVariable?: string;
  /** The number of nodes it never goes below. */
  count: number;
  /** The autoscaling ceiling; equal to `count` where the cloud runs a fixed count (DigitalOcean). */
  maxCount: number;
  /** False where the cloud runs exactly `count` nodes. */
  autoscaling: boolean;
  /**
   * The node size, resolved to the cloud's own name; for a job, what one run really gets
   * there (a Fargate task, a Cloud Run job, a pod: jobSizes.ts, the table its platform reads).
   */
  size: string;
  /** The container image. */
  image: string;
  /** The port it listens on (web workloads). */
  port?: number;
  /** The container's command, when set. */
  command?: string[];
  /** The readiness check: failing it takes a node out of the load balancer (web workloads). */
  readiness?: { path: string; intervalSeconds: number; unhealthyThreshold: number };
  /** The liveness check: failing it replaces the node (web workloads). */
  liveness?: { path: string; unhealthyThreshold: number };
  /** Seconds after boot before failed checks count (web workloads). */
  gracePeriodSeconds?: number;
  /** Seconds a stopping container gets after SIGTERM (web workloads and workers). */
  stopTimeoutSeconds?: number;
  /** A job's schedule (5-field cron, UTC), timeout and overlap rule. */
  job?: { schedule: string; timeoutSeconds: number; concurrency: "forbid" | "replace"; retries: number };
  /** The resources it uses, in the model's order. */
  uses: string[];
}

/**
 * One static site (issue 17), as the plan shows it: where it is served and from which
 * directory. The words for what serves it (a CDN, per cloud) come with its platforms.
 */
export interface SiteView {
  /** Its name. */
  name: string;
  /** Where it is served: its route's URL. */
  entry: string;
  /** Its route. */
  route: RouteView;
  /** The directory its files come from, relative to the project. */
  source: string;
  /** True when unknown paths are answered with index.html. */
  spa: boolean;
  /** The Cache-Control of its HTML, of its hashed files and of its other files (siteFiles.ts). */
  cacheControl: { html: string; hashed: string; asset: string };
  /** The origins allowed to read it from another host; empty: same-origin only. */
  corsOrigins: string[];
}

/** One resource, as the plan shows it. */
export interface ResourceView {
  /** Its name (`database`, `bucket`, `sessions` for the single service's). */
  name: string;
  /** Its kind. */
  kind: Resource["kind"];
  /** Its engine, for the kinds that have one (`postgres`, `valkey`, `mongodb`, `rabbitmq`). */
  engine?: string;
  /** Where it was declared. */
  origin: Origin;
  /** What it is: engine, version, size ("postgres 16, db.t4g.small, 20 GB"). */
  what: string;
  /** How it stays available and safe ("Multi-AZ standby with automatic failover; 7 days of backups ..."). */
  shape: string;
  /** The workloads that use it, in the model's order. */
  usedBy: string[];
}

/** One public load balancer and the routes it serves. */
export interface LoadBalancerView {
  /** The hosts it serves (each with its certificate). */
  hosts: string[];
  /** Its routes, in the model's order. */
  routes: RouteView[];
}

/** A stack's workloads, resources and load balancers. */
export interface TopologyView {
  /** The cloud. */
  cloud: Cloud;
  /** True when the stack declares `ha-topology:workloads` or `ha-topology:resources` (not only the single service). */
  usesMaps: boolean;
  /** Every workload that runs a container, in the model's order (the single service's `web` first). */
  workloads: WorkloadView[];
  /** The static sites, in the model's order. */
  sites: SiteView[];
  /** Every resource, in the model's order. */
  resources: ResourceView[];
  /** The public load balancers: one, or one per host where the cloud cannot route by host; none without a public web workload. */
  loadBalancers: LoadBalancerView[];
}

/** True when the model has an entry of `ha-topology:workloads` or `ha-topology:resources`. */
export function usesMaps(model: Model): boolean {
  return model.workloads.some((w) => w.origin === "maps") || model.resources.some((r) => r.origin === "maps");
}

/** A route as a URL, as the `workloads` output gives it: `https://<host>` for the whole host, `https://<host><path>` otherwise. */
export function routeUrl(route: { host: string; path: string }): string {
  return `https://${route.host}${route.path === "/" ? "" : route.path}`;
}

/** An argument list as one would type it: plain words bare, anything else double-quoted. */
export function commandText(command: readonly string[]): string {
  return command.map((arg) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg))).join(" ");
}

function workloadView(model: Model, w: ContainerWorkload): WorkloadView {
  if (w.kind === "cron") {
    return {
      name: w.name,
      kind: w.kind,
      origin: w.origin,
      tier: "job",
      entry: `cron "${w.schedule}" (UTC)`,
      count: 0,
      maxCount: 0,
      autoscaling: false,
      // What a run gets where the scheduler starts it (a Fargate task, a Cloud Run execution), not a node size.
      size: jobSizeText(model.cloud, w.size),
      image: w.image,
      ...(w.command ? { command: [...w.command] } : {}),
      job: { schedule: w.schedule, timeoutSeconds: w.timeoutSeconds, concurrency: w.concurrency, retries: w.retries },
      uses: model.resources.filter((r) => w.uses.includes(r.name)).map((r) => r.name),
    };
  }
  const autoscaling = model.cloud !== "digitalocean";
  const common = {
    name: w.name,
    kind: w.kind,
    origin: w.origin,
    count: w.count,
    maxCount: autoscaling ? w.maxCount : w.count,
    autoscaling,
    size: resolveSize(model.cloud, "node", w.size),
    image: w.image,
    ...(w.command ? { command: [...w.command] } : {}),
    stopTimeoutSeconds: w.stopTimeoutSeconds,
    uses: model.resources.filter((r) => w.uses.includes(r.name)).map((r) => r.name),
  };
  if (w.kind === "worker") return { ...common, tier: "worker", entry: "worker: no load balancer" };
  const checks = {
    port: w.port,
    readiness: { path: w.healthCheck.path, intervalSeconds: w.healthCheck.intervalSeconds, unhealthyThreshold: w.healthCheck.unhealthyThreshold },
    liveness: { ...w.healthCheck.liveness },
    gracePeriodSeconds: w.healthCheck.gracePeriodSeconds,
  };
  if (!w.route) {
    const urlVariable = internalUrlVariable(w)!;
    return { ...common, ...checks, tier: "internal", entry: `internal: ${urlVariable}`, urlVariable };
  }
  const route = { host: w.route.host, path: w.route.path, workload: w.name };
  return { ...common, ...checks, tier: "public", entry: routeUrl(route), route };
}

function siteView(w: SiteWorkload, cloud: Cloud, model: Model): SiteView {
  const route = { host: w.route.host, path: w.route.path, workload: w.name };
  return {
    name: w.name,
    entry: routeUrl(route),
    route,
    source: w.source,
    spa: w.spa,
    cacheControl: { html: cacheControlFor("html", w.cache), hashed: cacheControlFor("hashed", w.cache), asset: cacheControlFor("asset", w.cache) },
    // Unset: the cloud's default (DigitalOcean's site is on its own host: the web hosts may read it).
    corsOrigins: [...(w.cors?.origins ?? capabilities[cloud].siteCorsDefault?.(model) ?? [])],
  };
}

function resourceView(model: Model, r: Resource): ResourceView {
  const cloud = model.cloud;
  const usedBy = model.workloads.filter(isContainerWorkload).filter((w) => w.uses.includes(r.name)).map((w) => w.name);
  const common = { name: r.name, kind: r.kind, ...("engine" in r && { engine: r.engine }), origin: r.origin, usedBy };
  switch (r.kind) {
    case "sql":
      return {
        ...common,
        what: `${r.engine} ${r.version}, ${resolveSize(cloud, "database", r.size)}, ${r.storageGb} GB`,
        shape:
          `${databaseHa[cloud]}${r.readReplicas > 0 ? ` and ${r.readReplicas} read replica(s)` : ""}; ` +
          `${r.backupRetentionDays} days of backups with point-in-time recovery; private; deletion protected`,
      };
    case "bucket":
      return cloud === "kubernetes"
        ? { ...common, what: `your ${bucketWord[cloud]}${r.bucket ? ` ${r.bucket}` : ""}`, shape: "its privacy, versioning and encryption are configured where it lives" }
        : { ...common, what: bucketWord[cloud], shape: `private, versioned (old versions kept ${r.noncurrentVersionDays} days), encrypted` };
    case "cache":
      return { ...common, what: `${r.engine}, ${resolveSize(cloud, "sessions", r.size)}`, shape: "a replica and automatic failover" };
    case "document":
      return {
        ...common,
        what: `${dataServices[cloud].document}${cloud === "gcp" ? "" : `, ${resolveSize(cloud, "document", r.size)}`}`,
        shape: `${dataServices[cloud].documentHa(r.members)}; ${r.backupRetentionDays} days of backups; TLS; private; deletion protected`,
      };
    case "queue":
      return r.engine === "rabbitmq"
        ? { ...common, what: `RabbitMQ, ${resolveSize(cloud, "queue", r.size)}`, shape: `${dataServices[cloud].rabbitmq}; TLS only; private` }
        : { ...common, what: `Valkey broker, ${resolveSize(cloud, "sessions", r.size)}`, shape: `${dataServices[cloud].valkey}; TLS; private` };
    case "secret":
      return { ...common, what: `${r.length} letters and digits, generated once`, shape: `kept in ${secretStore[cloud]}; the same on every ${nodeWord[cloud]} of every workload that uses it` };
  }
}

/** The public load balancers: one for every route where the cloud routes by host, else one per host. */
function loadBalancers(model: Model, workloads: readonly WorkloadView[], sites: readonly SiteView[]): LoadBalancerView[] {
  // A site's route is on its host's edge, except on DigitalOcean, where it has its own host on the Spaces CDN.
  const routes = [...workloads.flatMap((w) => (w.route ? [w.route] : [])), ...(model.cloud === "digitalocean" ? [] : sites.map((s) => s.route))];
  if (routes.length === 0) return [];
  const hosts = [...new Set(routes.map((r) => r.host))];
  if (capabilities[model.cloud].hostRouting) return [{ hosts, routes }];
  return hosts.map((host) => ({ hosts: [host], routes: routes.filter((r) => r.host === host) }));
}

/** The view of a stack's model. */
export function topologyView(model: Model): TopologyView {
  const workloads = model.workloads.filter(isContainerWorkload).map((w) => workloadView(model, w));
  const sites = model.workloads.flatMap((w) => (w.kind === "site" ? [siteView(w, model.cloud, model)] : []));
  return {
    cloud: model.cloud,
    usesMaps: usesMaps(model),
    workloads,
    sites,
    resources: model.resources.map((r) => resourceView(model, r)),
    loadBalancers: loadBalancers(model, workloads, sites),
  };
}

/** "2–6 × t3.small" (or "exactly 2 × s-2vcpu-4gb" where the count is fixed). */
export function countText(w: WorkloadView): string {
  if (w.job) return `one run per tick · ${w.size}`;
  return `${w.autoscaling ? `${w.count}–${w.maxCount}` : `exactly ${w.count}`} × ${w.size}`;
}

/** A job's schedule, timeout, overlap rule and retries in words. */
export function jobText(job: NonNullable<WorkloadView["job"]>, cloud: Cloud): string {
  // GCP's scheduler skips and stops nothing: the parser made every run end before the next tick.
  const overlap =
    cloud === "gcp" ? "each run ends before the next tick (its timeout and retries fit the schedule's interval)"
    : job.concurrency === "forbid" ? "a tick is skipped while the previous run goes on"
    : "a new tick stops the previous run";
  // DigitalOcean has no scheduler: the run comes from the job's own droplets, through the lease.
  const where = cloud === "digitalocean" ? "fired by its own 2 droplets, one run per tick through a lease in its PostgreSQL; " : "";
  return `${where}killed after ${job.timeoutSeconds} s; ${overlap}; ${job.retries === 0 ? "no retries" : `${job.retries} retries`}`;
}

/** The readiness and liveness checks in words; undefined for a worker. */
export function checksText(w: WorkloadView): string | undefined {
  if (!w.readiness || !w.liveness) return undefined;
  return `readiness GET ${w.readiness.path} every ${w.readiness.intervalSeconds} s (out of traffic after ${w.readiness.unhealthyThreshold} failures), liveness GET ${w.liveness.path} (${w.liveness.unhealthyThreshold} failures)`;
}

/** "uses db, files" / "uses no resource". */
export function usesText(w: WorkloadView): string {
  return w.uses.length > 0 ? `uses ${w.uses.join(", ")}` : "uses no resource";
}

/** "used by api, jobs" / "used by no workload". */
export function usedByText(r: ResourceView): string {
  return r.usedBy.length > 0 ? `used by ${r.usedBy.join(", ")}` : "used by no workload";
}
