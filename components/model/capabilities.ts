/**
 * What each cloud's platform can build, as data: a kind or combination outside its row
 * is refused at parse time, naming what that cloud supports, instead of failing halfway
 * through a deployment (Score's plain "not supported" for what a provisioner lacks).
 * Keep it in step with the adapters: a row says what the cloud's code really does.
 */
import { cronToOnCalendar } from "../cronLease";
import type { Cloud } from "../sizes";
import { legacyResourceNames, type CronWorkload, type DocumentResource, type Model, type SiteWorkload } from "./model";
import type { QueueEngine, SqlEngine } from "./schema";

/** One refusal of a capability: the config path (after the namespace), the value, what is allowed. */
type Problem = { key: (string | number)[]; value: unknown; allowed: string };

/** One cloud's capabilities. */
export interface Capabilities {
  /** Workload kinds the platform runs. */
  workloads: readonly string[];
  /** Resource kinds the platform provisions. */
  resources: readonly string[];
  /** SQL engines its replicated database runs. */
  sqlEngines: readonly SqlEngine[];
  /** Why an engine missing from `sqlEngines` is missing. */
  sqlEnginesWhy?: string;
  /** Whether one load balancer routes by path prefix (several web workloads on one host). */
  pathRouting: boolean;
  /** Whether one load balancer routes by host name; false: one load balancer per host. */
  hostRouting: boolean;
  /** Why the routing is limited, for the refusal. */
  routingWhy?: string;
  /** Set where a `sql` resource needs a `bucket` resource in the stack (its backups go there): why, for the refusal. */
  sqlNeedsBucket?: string;
  /** Set where a site's files are kept in a bucket resource the stack declares: why (the refusal of a site without one). */
  siteNeedsBucket?: string;
  /** Why a workload's name would clash with another entry's cloud objects, given the model; undefined when it does not. */
  workloadNameClash?: (name: string, model: Model) => string | undefined;
  /** Kinds the schema knows that this cloud's platform does not build yet, and when it will. */
  comingKinds?: Record<string, string>;
  /**
   * Where the scheduler starts a run at every tick whatever is still running: every run
   * must end (timeoutSeconds x (retries + 1), plus the start delay) before the next tick,
   * so runs never overlap by construction.
   */
  jobsEndBeforeNextTick?: { startDelaySeconds: number; why: string };
  /** What a cron job needs on this cloud beyond the model (its lease, its timer), each problem at its key. */
  jobProblems?: (job: CronWorkload, model: Model) => { key: (string | number)[]; value: unknown; allowed: string }[];
  /**
   * What a static site needs on this cloud beyond the model (its own host, no SPA fallback),
   * each problem at its key; `given` is what the stack file set (`host` unset means the
   * stack's domain).
   */
  siteProblems?: (site: SiteWorkload, given: { host?: string; path?: string }) => { key: (string | number)[]; value: unknown; allowed: string }[];
  /**
   * The origins a site's bucket lets read its files cross-origin when the site sets no
   * `cors` (where the site is on a host of its own, so the stack's other pages are another
   * origin); unset: none (same-origin only).
   */
  siteCorsDefault?: (model: Model) => string[];
  /** Why a site must be served at its host's root (`path` "/") where the cloud cannot route by path; unset: `routingWhy`. */
  siteRoutingWhy?: string;
  /** A document database's members when `members` is unset. */
  documentDefaultMembers: number;
  /** What a document resource needs on this cloud (its member count, its engine), each problem at its key; `given` is what the stack file set. */
  documentProblems?: (document: DocumentResource, given: { members?: number }) => Problem[];
  /** Set where a document resource needs a `bucket` resource in the stack (its backups go there): why, for the refusal. */
  documentNeedsBucket?: string;
  /** Broker engines the platform runs. */
  queueEngines: readonly QueueEngine[];
  /** Why an engine missing from `queueEngines` is missing, and what to use instead. */
  queueEnginesWhy?: string;
  /** The longest value a load balancer rule condition holds (a host, a path pattern), where it is short. */
  maxRouteValue?: number;
  /** Why, for the refusal. */
  maxRouteValueWhy?: string;
}

const everything = {
  workloads: ["web", "worker", "cron", "site"],
  resources: ["sql", "bucket", "cache", "secret"],
  sqlEngines: ["postgres", "mysql"],
  queueEngines: ["rabbitmq", "valkey"],
  pathRouting: true,
  hostRouting: true,
  // A MongoDB replica set elects a primary by majority: three members survive one.
  documentDefaultMembers: 3,
} as const;

/** The capability table (see components/platforms/<cloud>/ and components/sizes.ts). */
export const capabilities: Record<Cloud, Capabilities> = {
  // ALB listener rules match host-header and path-pattern.
  // Scheduled jobs: EventBridge Scheduler starting a Fargate task (platforms/aws/jobs.ts).
  // Static sites: a private S3 bucket each behind one CloudFront distribution per host (platforms/aws/cdn.ts).
  // Documents: Amazon DocumentDB, instances over zones on shared storage; queues: Amazon MQ for RabbitMQ (CLUSTER_MULTI_AZ) or ElastiCache.
  aws: {
    ...everything,
    maxRouteValue: 128,
    maxRouteValueWhy: "an ALB listener rule condition value holds at most 128 characters",
    // DocumentDB keeps six copies over three zones in its storage: a second instance is the failover target.
    documentDefaultMembers: 2,
    resources: [...everything.resources, "document", "queue"],
  },
  // The URL map routes by host rule and path matcher; Cloud Scheduler starts a Cloud Run job per cron workload;
  // a static site is a private bucket behind a backend bucket with Cloud CDN on the same URL map (platforms/gcp/site.ts).
  gcp: {
    ...everything,
    // Cloud Scheduler's call retries (120 s) and an execution's start (60 s): components/platforms/gcp/job.ts.
    jobsEndBeforeNextTick: { startDelaySeconds: 180, why: "Cloud Run starts an execution at every tick whatever is still running, so a run must end before the next tick for runs never to overlap" },
    // Documents: Firestore with MongoDB compatibility, which replicates over three zones itself.
    documentProblems: (document, given) =>
      given.members === undefined ? [] : [{ key: ["resources", document.name, "members"], value: given.members, allowed: "unset on gcp: Firestore (with MongoDB compatibility) replicates every write over three zones itself, with no members to count" }],
    queueEngines: ["valkey"],
    queueEnginesWhy: noRabbitmq("Google Cloud has no managed RabbitMQ"),
    // Documents and valkey queues are built (components/platforms/gcp/documentDatabase.ts, sessionStore.ts `broker`).
    resources: [...everything.resources, "document", "queue"],
  },
  digitalocean: {
    ...everything,
    // A site is a Spaces bucket behind the Spaces CDN on its own host (platforms/digitalocean/site.ts).
    siteProblems: digitaloceanSiteProblems,
    siteCorsDefault: webOrigins,
    siteRoutingWhy: "the Spaces CDN serves a site at the root of its own host, and a DigitalOcean load balancer cannot route to Spaces",
    // Forwarding rules match a port only: no path rules. Each host gets its own LB.
    pathRouting: false,
    hostRouting: false,
    routingWhy: "a DigitalOcean load balancer forwards by port only, so each public web workload gets its own load balancer and host name",
    // A job runs from its own droplets with a lease in a PostgreSQL it uses (platforms/digitalocean/jobs.ts).
    jobProblems: digitaloceanJobProblems,
    // Documents: a managed MongoDB cluster of a primary and two standby nodes.
    documentProblems: digitaloceanDocumentProblems,
    // Documents and valkey queues are built (components/platforms/digitalocean/documentDatabase.ts, sessionStore.ts).
    resources: [...everything.resources, "document", "queue"],
    queueEngines: ["valkey"],
    queueEnginesWhy: noRabbitmq("DigitalOcean has no managed RabbitMQ"),
  },
  kubernetes: {
    ...everything,
    // A site: an unprivileged nginx Deployment behind the same Ingress, its files from the first bucket (components/platforms/kubernetes/site.ts).
    // A CronJob per job (components/platforms/kubernetes/job.ts).
    // The kubernetes adapter runs CloudNativePG (components/platforms/kubernetes/database.ts).
    resources: ["sql", "bucket", "cache", "secret", "document", "queue"],
    sqlEngines: ["postgres"],
    sqlEnginesWhy: "the kubernetes adapter runs CloudNativePG",
    sqlNeedsBucket:
      "CloudNativePG archives each database's WAL and daily base backups (point-in-time recovery) to S3-compatible storage, which a cluster does not have: declare a resource of kind bucket (your S3 bucket); the first one declared holds the backups, under <namespace>/<cluster>/",
    siteNeedsBucket:
      "a cluster has no file store, so a site's files are uploaded to S3-compatible storage and copied from there by its server's pods: declare a resource of kind bucket (your S3 bucket); the first one declared holds the files, under <namespace>/sites/<site>/",
    workloadNameClash: kubernetesNameClash,
    // Documents: a Percona Server for MongoDB replica set; queues: a RabbitMQ Cluster Operator cluster (components/platforms/kubernetes/).
    documentProblems: (document, given) =>
      document.members >= 3 && document.members <= 7 && document.members % 2 === 1
        ? []
        : [{ key: ["resources", document.name, "members"], value: given.members, allowed: "3, 5 or 7 on kubernetes: a replica set elects its primary by majority, so an even count survives no more failures than one fewer member" }],
    documentNeedsBucket:
      "the Percona operator backs each replica set up (daily snapshots and point-in-time oplog) to S3-compatible storage, which a cluster does not have: declare a resource of kind bucket (your S3 bucket); the first one declared holds the backups, under <namespace>/<resource>/",
  },
};

/**
 * Where no managed RabbitMQ exists, why a `queue` of engine `rabbitmq` is refused, with the
 * alternatives (a third-party broker service would need an account this stack cannot create).
 */
function noRabbitmq(why: string): string {
  return `${why}; engine valkey is a replicated broker that never evicts (Celery, RQ, Sidekiq, Bull accept it), or run RabbitMQ with cloud kubernetes (the RabbitMQ Cluster Operator), or use a hosted RabbitMQ (CloudAMQP) outside this stack and pass its URL as a secret (README: Document databases and queues)`;
}

/**
 * On Kubernetes every entry's objects share the stack's namespace, named `<name>-<entry>`
 * (a workload's Deployment, Service, ServiceAccount and PodDisruptionBudget) or
 * `<name>-<entry>-db…` and `<name>-<entry>-sessions…` (a database's and a cache's, with
 * the ServiceAccount, PodDisruptionBudgets and Services CloudNativePG and the cache add).
 * A workload named like those (`db`, `db-rw`, `cache-sessions`) would take an object name
 * the resource's objects need.
 */
function kubernetesNameClash(name: string, model: Model): string | undefined {
  for (const r of model.resources) {
    if (r.kind === "bucket" || r.kind === "secret") continue;
    // A document's objects are <name>-<entry>-mongo…, a rabbitmq queue's <name>-<entry>-rabbitmq…, a valkey queue's as a cache's.
    const suffix = r.kind === "sql" ? "db" : r.kind === "document" ? "mongo" : r.kind === "queue" && r.engine === "rabbitmq" ? "rabbitmq" : "sessions";
    const prefix = (legacyResourceNames as Record<string, string>)[r.kind] === r.name ? suffix : `${r.name}-${suffix}`;
    if (name === prefix || name.startsWith(`${prefix}-`)) {
      return `a name that does not start with ${prefix}: on kubernetes the objects of ${r.origin === "single-service" ? (r.kind === "sql" ? "ha-topology:database" : "ha-topology:sessions") : `resources.${r.name}`} are named <name>-${prefix}… in the same namespace as the workload's (<name>-<workload>)`;
    }
  }
  return undefined;
}

/** The https origins of the stack's public web hosts, sorted: where a site on its own host is read from. */
function webOrigins(model: Model): string[] {
  const hosts = new Set<string>();
  for (const w of model.workloads) if (w.kind === "web" && w.route) hosts.add(w.route.host);
  return [...hosts].sort().map((h) => `https://${h}`);
}

/**
 * A DigitalOcean load balancer forwards to droplets only, never to Spaces, so a site is
 * served by the Spaces CDN on a host of its own (a CNAME to the CDN endpoint), never on a
 * web's host. The Spaces CDN has no rewrite and Spaces no website configuration (no index
 * or error document), so a path without a file cannot be answered with index.html.
 */
function digitaloceanSiteProblems(site: SiteWorkload, given: { host?: string; path?: string }): { key: (string | number)[]; value: unknown; allowed: string }[] {
  const problems: { key: (string | number)[]; value: unknown; allowed: string }[] = [];
  const at = ["workloads", site.name];
  if (given.host === undefined) {
    problems.push({ key: [...at, "host"], value: undefined, allowed: "a host of the site's own on digitalocean, inside dns.zone and not the domain of a web workload (such as ui.<domain>): a DigitalOcean load balancer cannot route to Spaces, so the Spaces CDN serves the site on its own host (README: Static sites)" });
  }
  if (site.spa) {
    problems.push({ key: [...at, "spa"], value: true, allowed: "false on digitalocean: the Spaces CDN has no rewrite and Spaces no website configuration (no index or error document), so a path without a file cannot be answered with index.html; use client-side hash routing (#/...) or another cloud (README: Static sites)" });
  }
  return problems;
}

/**
 * A DigitalOcean managed MongoDB cluster has 1 or 3 nodes (one has no failover), and
 * DigitalOcean keeps its daily backups, with point-in-time recovery, for 7 days, with
 * nothing to tune: a longer retention would be a promise the cluster does not keep.
 */
function digitaloceanDocumentProblems(document: DocumentResource, given: { members?: number }): Problem[] {
  const problems: Problem[] = [];
  const at = ["resources", document.name];
  if (document.members !== 3) problems.push({ key: [...at, "members"], value: given.members, allowed: "3 on digitalocean (the default): a managed MongoDB cluster has 1 or 3 nodes, and one node has no failover" });
  if (document.backupRetentionDays !== 7) {
    problems.push({ key: [...at, "backupRetentionDays"], value: document.backupRetentionDays, allowed: "7 on digitalocean (the default): DigitalOcean keeps a managed MongoDB cluster's daily backups, with point-in-time recovery, for 7 days, and the retention cannot be set" });
  }
  return problems;
}

/**
 * DigitalOcean has no scheduler for containers: a job's droplets fire its schedule as a
 * systemd timer and take a per-tick lease in a PostgreSQL database the job uses
 * (components/cronLease.ts), directly, not through the connection pool (PgBouncer's
 * transaction mode cannot hold a session lock). So the job must use a postgres resource,
 * its schedule must be a timer's, and a run on one droplet cannot be replaced from another.
 */
function digitaloceanJobProblems(job: CronWorkload, model: Model): { key: (string | number)[]; value: unknown; allowed: string }[] {
  const problems: { key: (string | number)[]; value: unknown; allowed: string }[] = [];
  const at = ["workloads", job.name];
  if (job.concurrency !== "forbid") {
    problems.push({ key: [...at, "concurrency"], value: job.concurrency, allowed: "forbid on digitalocean (the default): a run holds its lease on one droplet, and no other droplet can stop it; replace is built on aws, gcp and kubernetes" });
  }
  try {
    cronToOnCalendar(job.schedule);
  } catch (e) {
    problems.push({ key: [...at, "schedule"], value: job.schedule, allowed: `a schedule a systemd timer can express on digitalocean: ${(e as Error).message}` });
  }
  const lease = model.resources.find((r) => job.uses.includes(r.name) && r.kind === "sql" && r.engine === "postgres");
  if (!lease) {
    problems.push({ key: [...at, "uses"], value: job.uses, allowed: "a list with a sql resource of engine postgres on digitalocean: without a scheduler for containers, the job's droplets take a per-tick lease in it so that exactly one runs each tick (README: Scheduled jobs)" });
  }
  return problems;
}

