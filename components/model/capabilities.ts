/**
 * What each cloud's platform can build, as data: a kind or combination outside its row
 * is refused at parse time, naming what that cloud supports, instead of failing halfway
 * through a deployment (Score's plain "not supported" for what a provisioner lacks).
 * Keep it in step with the adapters: a row says what the cloud's code really does.
 */
import type { Cloud } from "../sizes";
import { legacyResourceNames, type Model } from "./model";
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
  /** The longest value a load balancer rule condition holds (a host, a path pattern), where it is short. */
  maxRouteValue?: number;
  /** Why, for the refusal. */
  maxRouteValueWhy?: string;
}

/** Scheduled jobs are built cloud by cloud (issue 16): DigitalOcean's, from the droplets with a lease, is the one left. */
const cronComing = { cron: "issue 16 runs jobs from the droplets with a lease in the stack's database (components/cronLease.ts), not wired into this platform in this version" };

const everything = {
  workloads: ["web", "worker"],
  comingKinds: cronComing,
  resources: ["sql", "bucket", "cache", "secret"],
  sqlEngines: ["postgres", "mysql"],
  pathRouting: true,
  hostRouting: true,
} as const;

/** The capability table (see components/platforms/<cloud>/ and components/sizes.ts). */
export const capabilities: Record<Cloud, Capabilities> = {
  // ALB listener rules match host-header and path-pattern.
  // Scheduled jobs: EventBridge Scheduler starting a Fargate task (platforms/aws/jobs.ts).
  aws: { ...everything, workloads: [...everything.workloads, "cron"], comingKinds: {}, maxRouteValue: 128, maxRouteValueWhy: "an ALB listener rule condition value holds at most 128 characters" },
  // The URL map routes by host rule and path matcher; Cloud Scheduler starts a Cloud Run job per cron workload.
  gcp: {
    ...everything,
    workloads: [...everything.workloads, "cron"],
    comingKinds: {},
    // Cloud Scheduler's call retries (120 s) and an execution's start (60 s): components/platforms/gcp/job.ts.
    jobsEndBeforeNextTick: { startDelaySeconds: 180, why: "Cloud Run starts an execution at every tick whatever is still running, so a run must end before the next tick for runs never to overlap" },
  },
  digitalocean: {
    ...everything,
    // Forwarding rules match a port only: no path rules. Each host gets its own LB.
    pathRouting: false,
    hostRouting: false,
    routingWhy: "a DigitalOcean load balancer forwards by port only, so each public web workload gets its own load balancer and host name",
  },
  kubernetes: {
    ...everything,
    // A CronJob per job (components/platforms/kubernetes/job.ts).
    workloads: ["web", "worker", "cron"],
    comingKinds: undefined,
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
