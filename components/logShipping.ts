/**
 * Where a VM node's app container ships its output: the docker logging driver of each
 * cloud that has a log service. Pure (no Pulumi), so the drivers are unit-testable; the
 * adapters pass the resolved names. Each takes the workload's name, so every workload of
 * a future several-workloads stack gets its own log group (AWS) or label (GCP).
 *
 * Every driver runs in docker's non-blocking mode: when the log service is slow or
 * unreachable, lines are dropped from a bounded buffer instead of blocking the app's
 * writes (a blocked stdout stalls request handling). The unit's journal keeps every line
 * either way: `docker run` stays attached, and attach streams the container's output
 * whatever the driver.
 */
import type { LogDriver } from "./bootstrap";

/** The options every shipping driver gets: never block the app on its logs. */
const nonBlocking = { mode: "non-blocking", "max-buffer-size": "4m" } as const;

/**
 * CloudWatch Logs through docker's `awslogs` driver, with the node's instance role. One
 * stream per node, named after its host name (docker's `{{.Hostname}}` template: on EC2
 * the node's private DNS name), so a restarted container keeps writing the node's stream
 * and `aws logs tail` shows which node said what. The group is the stack's (created by
 * the program, retained on destroy): the driver must never create one (`awslogs-create-group`
 * false, and the role may not either).
 */
export function awsLogDriver(region: string, group: string): LogDriver {
  return {
    name: "awslogs",
    options: { "awslogs-region": region, "awslogs-group": group, "awslogs-create-group": "false", tag: "{{.Hostname}}", ...nonBlocking },
  };
}

/** The container label that names the workload on GCP log entries. */
export const workloadLabel = "ha-topology.workload";

/**
 * Cloud Logging through docker's `gcplogs` driver, with the node's service account
 * (roles/logging.logWriter, see platforms/gcp/nodeIdentity.ts) read from the metadata
 * server. Entries carry the instance's name, ID and zone; the workload label tells
 * workloads apart; `gcp-log-cmd` false keeps the container's command (which may carry
 * configuration) out of every entry.
 */
export function gcpLogDriver(workload: string): LogDriver {
  return {
    name: "gcplogs",
    options: { "gcp-log-cmd": "false", labels: workloadLabel, ...nonBlocking },
    labels: { [workloadLabel]: workload },
  };
}
