/**
 * What each cloud's platform can build, as data: a kind or combination outside its row
 * is refused at parse time, naming what that cloud supports, instead of failing halfway
 * through a deployment (Score's plain "not supported" for what a provisioner lacks).
 * Keep it in step with the adapters: a row says what the cloud's code really does.
 */
import { cronToOnCalendar } from "../cronLease";
import type { Cloud } from "../sizes";
import { legacyResourceNames, type CronWorkload, type Model } from "./model";
import type { SqlEngine } from "./schema";

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
  /** The longest value a load balancer rule condition holds (a host, a path pattern), where it is short. */
  maxRouteValue?: number;
  /** Why, for the refusal. */
  maxRouteValueWhy?: string;
}

/**
 * Static sites are built cloud by cloud (issue 17): until a cloud's platform has its `site`
 * step (compose.ts), its row refuses kind site, naming what will serve it there.
 */
const siteComing = (how: string) => ({ site: `issue 17 builds static sites here (${how}); not built in this version` });

const everything = {
  workloads: ["web", "worker", "cron"],
  resources: ["sql", "bucket", "cache", "secret"],
  sqlEngines: ["postgres", "mysql"],
  pathRouting: true,
  hostRouting: true,
} as const;

/** The capability table (see components/platforms/<cloud>/ and components/sizes.ts). */
export const capabilities: Record<Cloud, Capabilities> = {
  // ALB listener rules match host-header and path-pattern.
  // Scheduled jobs: EventBridge Scheduler starting a Fargate task (platforms/aws/jobs.ts).
  aws: { ...everything, comingKinds: siteComing("a private S3 bucket behind CloudFront"), maxRouteValue: 128, maxRouteValueWhy: "an ALB listener rule condition value holds at most 128 characters" },
  // The URL map routes by host rule and path matcher; Cloud Scheduler starts a Cloud Run job per cron workload;
  // a static site is a private bucket behind a backend bucket with Cloud CDN on the same URL map (platforms/gcp/site.ts).
  gcp: {
    ...everything,
    workloads: [...everything.workloads, "site"],
    // Cloud Scheduler's call retries (120 s) and an execution's start (60 s): components/platforms/gcp/job.ts.
    jobsEndBeforeNextTick: { startDelaySeconds: 180, why: "Cloud Run starts an execution at every tick whatever is still running, so a run must end before the next tick for runs never to overlap" },
  },
  digitalocean: {
    ...everything,
    comingKinds: siteComing("a Spaces bucket with the Spaces CDN on the site's own host"),
    // Forwarding rules match a port only: no path rules. Each host gets its own LB.
    pathRouting: false,
    hostRouting: false,
    routingWhy: "a DigitalOcean load balancer forwards by port only, so each public web workload gets its own load balancer and host name",
    // A job runs from its own droplets with a lease in a PostgreSQL it uses (platforms/digitalocean/jobs.ts).
    jobProblems: digitaloceanJobProblems,
  },
  kubernetes: {
    ...everything,
    comingKinds: siteComing("a static file server behind the same Ingress"),
    // A CronJob per job (components/platforms/kubernetes/job.ts).
    // The kubernetes adapter runs CloudNativePG (components/platforms/kubernetes/database.ts).
    sqlEngines: ["postgres"],
    sqlEnginesWhy: "the kubernetes adapter runs CloudNativePG",
    sqlNeedsBucket:
      "CloudNativePG archives each database's WAL and daily base backups (point-in-time recovery) to S3-compatible storage, which a cluster does not have: declare a resource of kind bucket (your S3 bucket); the first one declared holds the backups, under <namespace>/<cluster>/",
    workloadNameClash: kubernetesNameClash,
  },
};

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
    if (r.kind !== "sql" && r.kind !== "cache") continue;
    const suffix = r.kind === "sql" ? "db" : "sessions";
    const prefix = (legacyResourceNames as Record<string, string>)[r.kind] === r.name ? suffix : `${r.name}-${suffix}`;
    if (name === prefix || name.startsWith(`${prefix}-`)) {
      return `a name that does not start with ${prefix}: on kubernetes the objects of ${r.origin === "single-service" ? (r.kind === "sql" ? "ha-topology:database" : "ha-topology:sessions") : `resources.${r.name}`} are named <name>-${prefix}… in the same namespace as the workload's (<name>-<workload>)`;
    }
  }
  return undefined;
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
