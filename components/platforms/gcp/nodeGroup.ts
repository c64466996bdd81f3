/**
 * The GCP nodes of one workload: an instance template (cloud-init bootstrap, the nodes'
 * own service account, shielded VM, no public IP), a regional managed instance group over
 * the chosen zones with autohealing from an HTTP health check (a worker's: its watchdog's verdict), an
 * autoscaler, a proactive update policy that surges new nodes before removing old ones,
 * and the wait that makes a raised `count` return only once the new nodes serve
 * (ScaleWait, scaleWait.ts).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { HealthCheckSpec, NodesSpec } from "../../topology";
import { ScaleWait } from "./scaleWait";

/**
 * What decides that a node is replaced, besides its VM stopping (a MIG always recreates
 * a VM that is no longer running):
 * - `shared`: one HTTP check that the load balancer and autohealing both use (the single
 *   service: its readiness and liveness are the same check, as they always were);
 * - `liveness`: an HTTP check used for autohealing only; the load balancer's readiness
 *   check lives with the edge, so a readiness failure (a database blip) takes a node out
 *   of rotation without recycling it (a web workload of the several-workloads model);
 * - `process`: a worker (no port of its own): an HTTP check of the verdict its node's
 *   watchdog serves on `port` (bootstrap.ts `livenessEndpoint`: `/live` answers 200 once
 *   the container has run `healthyThreshold` checks in a row without restarting, and until
 *   it crash-loops), used for autohealing: so a rollout counts a new worker node only once
 *   it is running and live, and a node whose container keeps restarting is recreated.
 */
export type NodeHealth =
  | { kind: "shared"; check: HealthCheckSpec }
  | { kind: "liveness"; check: HealthCheckSpec; liveness: { path: string; unhealthyThreshold: number } }
  | { kind: "process"; port: number; check: Pick<HealthCheckSpec, "intervalSeconds" | "timeoutSeconds" | "healthyThreshold" | "unhealthyThreshold" | "gracePeriodSeconds">; readySeconds: number };

/** Arguments of NodeGroup. */
export interface NodeGroupArgs {
  /** Count, ceiling, CPU target and (web) the port the container listens on. */
  nodes: Pick<NodesSpec, "count" | "maxCount" | "cpuTargetPercent"> & { port?: number };
  /** What replaces a node (see `NodeHealth`). */
  health: NodeHealth;
  /** The machine type (resolved from the size preset). */
  machineType: string;
  /** The region of the group. */
  region: string;
  /** The zones the group spreads over. */
  zoneNames: pulumi.Input<string[]>;
  /** How many zones that is (known now: the update policy's surge must be at least this). */
  zoneCount: number;
  /** The nodes' subnet (self link). */
  subnetSelfLink: pulumi.Input<string>;
  /** Give nodes a public IP (when the network has no NAT). */
  publicAddresses: boolean;
  /** The nodes' service account. */
  serviceAccountEmail: pulumi.Input<string>;
  /** The network tag the firewall admits traffic to. */
  nodeTag: string;
  /** The `#cloud-config` user data. */
  userData: pulumi.Input<string>;
  /** Labels for every resource that takes them (the template's carry the role label of a workload). */
  labels: Record<string, string>;
}

/** The named port the load balancer's backend service sends traffic to. */
export const namedPort = "http";

/**
 * The boot image: Ubuntu LTS, because it ships cloud-init (GCE's Debian images do not).
 * A family, resolved when a template is created: a new release reaches nodes at the next
 * template change, not at every `pulumi up`.
 */
export const nodeImage = "projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64";

/**
 * The longest a scale-up wait lasts: two grace periods (a node that fails its first one is
 * recreated by autohealing and gets another) plus ten minutes to create and boot, at
 * least fifteen minutes.
 */
export function scaleUpTimeoutSeconds(graceSeconds: number): number {
  return Math.max(900, 2 * graceSeconds + 600);
}

/** The nodes, their health check, their autoscaler, and the scale-up wait. */
export class NodeGroup extends pulumi.ComponentResource {
  /** The instance group URL the backend service targets. */
  readonly instanceGroup: pulumi.Output<string>;
  /** The group's name. */
  readonly groupName: pulumi.Output<string>;
  /** The HTTP health check autohealing uses (`shared`: the load balancer's too); undefined without one. */
  readonly healthCheckId: pulumi.Output<string> | undefined;

  constructor(name: string, args: NodeGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:NodeGroup", name, {}, opts);
    const { nodes, health, labels } = args;
    const parent = { parent: this };

    // The single service's one check keeps its name (`-health`); a liveness-only check is `-live`.
    const check = health.check;
    const probe = health.kind === "process"
      ? { port: health.port, requestPath: "/live" }
      : nodes.port === undefined ? undefined : { port: nodes.port, requestPath: health.kind === "liveness" ? health.liveness.path : health.check.path };
    const healthCheck = probe === undefined ? undefined : new gcp.compute.HealthCheck(health.kind === "shared" ? `${name}-health` : `${name}-live`, {
      checkIntervalSec: check.intervalSeconds,
      timeoutSec: check.timeoutSeconds,
      healthyThreshold: check.healthyThreshold,
      unhealthyThreshold: health.kind === "liveness" ? health.liveness.unhealthyThreshold : check.unhealthyThreshold,
      httpHealthCheck: probe,
      logConfig: { enable: true },
    }, parent);
    // Seconds a new node gets before it counts (a rollout waits this long per batch).
    const readySeconds = health.kind === "process" ? health.readySeconds : check.gracePeriodSeconds;

    const template = new gcp.compute.InstanceTemplate(`${name}-node`, {
      // A template cannot change and cannot be deleted while the group uses it: a prefix
      // (not a fixed name) lets Pulumi create the new one, move the group, then delete the old.
      namePrefix: `${name}-node-`,
      machineType: args.machineType,
      disks: [{ sourceImage: nodeImage, boot: true, autoDelete: true, diskType: "pd-balanced", diskSizeGb: 20 }],
      networkInterfaces: [{ subnetwork: args.subnetSelfLink, ...(args.publicAddresses ? { accessConfigs: [{}] } : {}) }],
      serviceAccount: { email: args.serviceAccountEmail, scopes: ["cloud-platform"] },
      metadata: {
        "user-data": args.userData,
        // Shell access goes through IAM (OS Login over IAP), never through project-wide keys.
        "enable-oslogin": "TRUE",
        "block-project-ssh-keys": "TRUE",
      },
      shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
      scheduling: { automaticRestart: true, onHostMaintenance: "MIGRATE" },
      tags: [args.nodeTag],
      labels,
    }, parent);

    const group = new gcp.compute.RegionInstanceGroupManager(`${name}-nodes`, {
      baseInstanceName: name,
      region: args.region,
      // selfLinkUnique changes with every new template, so the group always sees a new version.
      versions: [{ name: "app", instanceTemplate: template.selfLinkUnique }],
      targetSize: nodes.count,
      ...(nodes.port !== undefined && { namedPorts: [{ name: namedPort, port: nodes.port }] }),
      distributionPolicyZones: args.zoneNames,
      distributionPolicyTargetShape: "EVEN",
      ...(healthCheck && { autoHealingPolicies: { healthCheck: healthCheck.id, initialDelaySec: check.gracePeriodSeconds } }),
      updatePolicy: {
        type: "PROACTIVE",
        minimalAction: "REPLACE",
        mostDisruptiveAllowedAction: "REPLACE",
        // Surge first, never below the healthy count. A regional group's fixed surge must
        // be 0 or at least the number of zones.
        maxSurgeFixed: Math.max(args.zoneCount, 1),
        maxUnavailableFixed: 0,
        replacementMethod: "SUBSTITUTE",
        instanceRedistributionType: "PROACTIVE",
        minReadySec: readySeconds,
      },
      // `pulumi up` returns only when every instance runs the new template.
      waitForInstances: true,
      waitForInstancesStatus: "UPDATED",
    }, {
      ...parent,
      // The autoscaler owns the size once it exists.
      ignoreChanges: ["targetSize"],
    });

    const autoscaler = new gcp.compute.RegionAutoscaler(`${name}-autoscaler`, {
      region: args.region,
      target: group.id,
      autoscalingPolicy: {
        minReplicas: nodes.count,
        maxReplicas: nodes.maxCount,
        cooldownPeriod: Math.max(readySeconds, 60),
        cpuUtilization: { target: nodes.cpuTargetPercent / 100 },
        mode: "ON",
      },
    }, parent);

    // The autoscaler's update (a raised minReplicas) returns before the new instances exist;
    // this returns once `count` of them run and (autohealing) pass their health check.
    const config = new pulumi.Config("gcp");
    new ScaleWait(`${name}-scale-up`, {
      // The group's own project, whichever provider created it (mocks leave it unset).
      project: pulumi.output(group.project).apply((p) => p ?? config.get("project") ?? ""),
      region: args.region,
      groupName: group.name,
      count: nodes.count,
      timeoutSeconds: scaleUpTimeoutSeconds(Math.max(check.gracePeriodSeconds, readySeconds)),
      // The provider's identity, as secrets, so the wait reads the API as the same principal.
      accessToken: config.getSecret("accessToken"),
      credentials: config.getSecret("credentials"),
    }, { ...parent, dependsOn: [group, autoscaler] });

    this.instanceGroup = group.instanceGroup;
    this.groupName = group.name;
    this.healthCheckId = healthCheck?.id;
    this.registerOutputs({ instanceGroup: this.instanceGroup, groupName: this.groupName });
  }
}
