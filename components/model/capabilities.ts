/**
 * What each cloud's platform can build, as data: a kind or combination outside its row
 * is refused at parse time, naming what that cloud supports, instead of failing halfway
 * through a deployment (Score's plain "not supported" for what a provisioner lacks).
 * Keep it in step with the adapters: a row says what the cloud's code really does.
 */
import type { Cloud } from "../sizes";
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
}

const everything = {
  workloads: ["web", "worker"],
  resources: ["sql", "bucket", "cache", "secret"],
  sqlEngines: ["postgres", "mysql"],
  pathRouting: true,
  hostRouting: true,
} as const;

/** The capability table (see components/adapters/<cloud>/ and components/sizes.ts). */
export const capabilities: Record<Cloud, Capabilities> = {
  // ALB listener rules match host-header and path-pattern.
  aws: everything,
  // The URL map routes by host rule and path matcher.
  gcp: everything,
  digitalocean: {
    ...everything,
    // Forwarding rules match a port only: no path rules. Each host gets its own LB.
    pathRouting: false,
    hostRouting: false,
    routingWhy: "a DigitalOcean load balancer forwards by port only, so each public web workload gets its own load balancer and host name",
  },
  kubernetes: {
    ...everything,
    // The kubernetes adapter runs CloudNativePG (components/adapters/kubernetes/database.ts).
    sqlEngines: ["postgres"],
    sqlEnginesWhy: "the kubernetes adapter runs CloudNativePG",
  },
};
