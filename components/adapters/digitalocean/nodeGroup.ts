/**
 * The DigitalOcean nodes, and the rolling replacement DigitalOcean does not provide.
 *
 * Droplets d0..dn-1 carry the node tag (the load balancer and the firewall target it) and
 * are replaced create-before-delete whenever their user data changes (image, env,
 * secrets, endpoints). Each droplet has a health gate, and droplet i+1 depends on gate i:
 *
 *   d0 -> gate0 -> d1 -> gate1 -> ... -> dn-1 -> gate(n-1)
 *
 * So Pulumi replaces one droplet at a time: new d_i boots and joins the pool through the
 * serving tag; gate i (whose input is d_i's ID) is UPDATED: it waits until the load
 * balancer reports the NEW droplet healthy, then drains the OLD one (removes its serving
 * tag, so the load balancer stops sending it requests, and waits `nodes.drainSeconds`).
 * Only then may d_i+1 be replaced. So the pool never holds fewer than `nodes.count`
 * healthy droplets, and exactly one old droplet leaves it at a time. Pulumi destroys the
 * drained old droplets when the update ends. A gate that times out fails `pulumi up`
 * before the old droplet is drained and before any further droplet is touched.
 *
 * Two tags, because a droplet without its firewall tag would be open to the internet
 * until destroyed: the firewalls select `nodeTag`, the load balancer `servingTag`.
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { HealthCheckSpec, NodesSpec } from "../../topology";
import { DropletHealthGate } from "./healthGate";

/** Arguments of NodeGroup. */
export interface NodeGroupArgs {
  /** The nodes part of the topology. */
  nodes: NodesSpec;
  /** The health check part of the topology (the gate's threshold and timeout). */
  healthCheck: HealthCheckSpec;
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
  /** Extra tags (service, stack). */
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

/** The droplets and their health gates. */
export class NodeGroup extends pulumi.ComponentResource {
  /** The droplets, in chain order. */
  readonly droplets: digitalocean.Droplet[];
  /** The health gates, gate i watching droplet i. */
  readonly gates: DropletHealthGate[];

  constructor(name: string, args: NodeGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:digitalocean:NodeGroup", name, {}, opts);
    const { nodes, healthCheck: hc } = args;
    this.droplets = [];
    this.gates = [];
    for (let i = 0; i < nodes.count; i++) {
      const previousGate = this.gates[i - 1];
      const droplet = new digitalocean.Droplet(`${name}-node-${i}`, {
        image: nodeImage,
        region: args.region,
        size: args.size,
        vpcUuid: args.vpcId,
        tags: [args.nodeTag, args.servingTag, ...args.tags],
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
      });
      const gate = new DropletHealthGate(`${name}-gate-${i}`, {
        dropletId: droplet.id,
        loadBalancerId: args.loadBalancerId,
        // Draining removes only the serving tag: the firewalls keep covering the droplet.
        nodeTag: args.servingTag,
        healthyThreshold: hc.healthyThreshold,
        timeoutSeconds: hc.gracePeriodSeconds + gateSlackSeconds,
        drainSeconds: nodes.drainSeconds,
        apiToken: args.apiToken,
      }, { parent: this });
      this.droplets.push(droplet);
      this.gates.push(gate);
    }
    this.registerOutputs({});
  }
}
