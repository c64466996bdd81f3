/**
 * The DigitalOcean nodes, and the rolling replacement DigitalOcean does not provide.
 *
 * Droplets d0..dn-1 carry the node tag (the firewalls target it), the serving tag (the
 * load balancer targets it) and the floor tag `<nodeTag>-floor-<nodes.count>`. Each has a
 * health gate and a drain guard (healthGate.ts explains both), and droplet i+1 depends
 * on gate i:
 *
 *   d0 -> gate0 -> d1 -> gate1 -> ... -> dn-1 -> gate(n-1)      guard_i depends on d_i
 *                                                                release depends on all guards
 *
 * A droplet is replaced create-before-delete when its user data changes (image, env,
 * secrets, endpoints) and, through `replaceOnChanges`, when anything changes that the
 * provider would otherwise apply IN PLACE with the droplet powered off: `size` (power
 * off, resize, power on: the provider resizes every changed droplet, in parallel, with no
 * gate), `resizeDisk` (read only during a resize), `ipv6` and `privateNetworking`
 * (enabled by droplet actions). The other droplet inputs are replaced anyway (image,
 * region, vpcUuid, userData, sshKeys, monitoring, dropletAgent: ForceNew in the provider)
 * or change without touching the running droplet (name, tags, backups, volumes,
 * gracefulShutdown).
 *
 * In a replacement the new d_i boots and joins the pool; gate i is UPDATED: it waits
 * until the load balancer reports the NEW droplet healthy, then takes the OLD one out of
 * the pool once `nodes.count` others are available without it; only then may d_i+1 be
 * replaced. Guard i is REPLACED: the old guard stays with the old droplet, and its
 * delete, which Pulumi runs before the old droplet's (at the end of this update, or of a
 * later one after a failure, whatever the engine's order), drains the old droplet if the
 * gate did not, under the same condition. So the pool never holds fewer than
 * `nodes.count` healthy droplets because of the rollout, also when a gate fails and
 * `pulumi up` runs again.
 *
 * Two tags for traffic, because a droplet without its firewall tag would be open to the
 * internet until destroyed: the firewalls select `nodeTag`, the load balancer
 * `servingTag`; draining removes only the latter.
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { HealthCheckSpec, NodesSpec } from "../../topology";
import { DropletDrainGuard, DropletHealthGate, DropletPoolRelease } from "./healthGate";
import { DropletPoolReady } from "./poolReady";

/** Arguments of NodeGroup. */
export interface NodeGroupArgs {
  /** The web workload's droplet count and drain time (`nodes` of the single service). */
  nodes: Pick<NodesSpec, "count" | "drainSeconds">;
  /** Its readiness check's healthy threshold and grace period (the gate's threshold and timeout). */
  healthCheck: Pick<HealthCheckSpec, "healthyThreshold" | "gracePeriodSeconds">;
  /** The droplet size slug. */
  size: string;
  /** The region. */
  region: string;
  /** The VPC. */
  vpcId: pulumi.Input<string>;
  /** The tag the firewalls (droplet and database) select the nodes by; a droplet keeps it until destroyed. */
  nodeTag: pulumi.Input<string>;
  /** The tag the load balancer selects its targets by; a gate removes it to drain a droplet. */
  servingTag: pulumi.Input<string>;
  /** Extra tags (role, service, stack). */
  tags: string[];
  /** The `#cloud-config` user data (a secret: it carries the app's secrets). */
  userData: pulumi.Input<string>;
  /** The load balancer the gates watch. */
  loadBalancerId: pulumi.Input<string>;
  /** A DigitalOcean API token for the gates (monitoring read, tag write), as a secret; unset: DIGITALOCEAN_TOKEN at run time. */
  apiToken?: pulumi.Input<string>;
}

/** The boot image: Ubuntu LTS, which ships cloud-init. */
export const nodeImage = "ubuntu-24-04-x64";

/** How long a gate waits beyond the grace period before it fails the update. */
const gateSlackSeconds = 600;

/**
 * Droplet inputs the provider would change in place with the droplet powered off (see the
 * module comment): a change to one of them replaces the droplet through the gates instead.
 */
export const dropletReplaceOnChanges = ["size", "resizeDisk", "ipv6", "privateNetworking"];

/** The droplets of one web workload (public or internal) and their health gates. */
export class NodeGroup extends pulumi.ComponentResource {
  /** The droplets, in chain order. */
  readonly droplets: digitalocean.Droplet[];
  /** The health gates, gate i watching droplet i. */
  readonly gates: DropletHealthGate[];
  /** The drain guards, guard i protecting droplet i. */
  readonly guards: DropletDrainGuard[];
  /** The tag a droplet carries while a rollout takes it out of the pool (the healer leaves the group alone then). */
  readonly leavingTag: pulumi.Output<string>;

  constructor(name: string, args: NodeGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:digitalocean:NodeGroup", name, {}, opts);
    const { nodes, healthCheck: hc } = args;
    this.droplets = [];
    this.gates = [];
    this.guards = [];
    const parent = { parent: this };
    // A droplet waiting to leave the pool carries this tag (the drain protocol); it
    // selects nothing. The floor tag tells a guard's delete the current nodes.count.
    const leavingTag = new digitalocean.Tag(`${name}-leaving`, { name: pulumi.interpolate`${args.nodeTag}-leaving` }, parent).name;
    this.leavingTag = leavingTag;
    const floorTagPrefix = pulumi.interpolate`${args.nodeTag}-floor-`;
    const floorTag = new digitalocean.Tag(`${name}-floor`, { name: pulumi.interpolate`${floorTagPrefix}${nodes.count}` }, parent).name;
    const timeoutSeconds = hc.gracePeriodSeconds + gateSlackSeconds;
    for (let i = 0; i < nodes.count; i++) {
      const previousGate = this.gates[i - 1];
      const droplet = new digitalocean.Droplet(`${name}-node-${i}`, {
        image: nodeImage,
        region: args.region,
        size: args.size,
        vpcUuid: args.vpcId,
        tags: [args.nodeTag, args.servingTag, floorTag, ...args.tags],
        userData: args.userData,
        // The metrics agent (CPU and memory alerts) and a clean OS shutdown before destroy.
        monitoring: true,
        gracefulShutdown: true,
        ipv6: false,
      }, {
        parent: this,
        // The chain: this droplet is created (or replaced) only after the previous one is
        // healthy behind the load balancer.
        dependsOn: previousGate ? [previousGate] : [],
        replaceOnChanges: dropletReplaceOnChanges,
      });
      const gate = new DropletHealthGate(`${name}-gate-${i}`, {
        dropletId: droplet.id,
        loadBalancerId: args.loadBalancerId,
        // Draining removes only the serving tag: the firewalls keep covering the droplet.
        nodeTag: args.servingTag,
        leavingTag,
        count: nodes.count,
        healthyThreshold: hc.healthyThreshold,
        timeoutSeconds,
        drainSeconds: nodes.drainSeconds,
        apiToken: args.apiToken,
      }, parent);
      const guard = new DropletDrainGuard(`${name}-guard-${i}`, {
        dropletId: droplet.id,
        loadBalancerId: args.loadBalancerId,
        servingTag: args.servingTag,
        leavingTag,
        floorTagPrefix,
        healthyThreshold: hc.healthyThreshold,
        timeoutSeconds,
        drainSeconds: nodes.drainSeconds,
        apiToken: args.apiToken,
      }, parent);
      this.droplets.push(droplet);
      this.gates.push(gate);
      this.guards.push(guard);
    }
    // `pulumi up` is done only when the group serves: `count` droplets at full health (the
    // gates wait for replaced droplets only; this covers a first deployment and added droplets).
    new DropletPoolReady(`${name}-ready`, {
      loadBalancerId: args.loadBalancerId,
      servingTag: args.servingTag,
      leavingTag,
      count: nodes.count,
      dropletIds: this.droplets.map((d) => d.id),
      healthyThreshold: hc.healthyThreshold,
      timeoutSeconds,
      apiToken: args.apiToken,
    }, { parent: this, dependsOn: this.gates });
    // Deleted before every guard (it depends on them): only on destroy, where it lets the
    // guards drain everything.
    new DropletPoolRelease(`${name}-release`, { floorTag, apiToken: args.apiToken }, { parent: this, dependsOn: this.guards });
    this.registerOutputs({});
  }
}
