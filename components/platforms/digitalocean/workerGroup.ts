/**
 * The droplets of a worker workload: no load balancer, so no health gate (the gates judge
 * a droplet by the load balancer's health check, and nothing checks a worker's health
 * from outside: it publishes no port).
 *
 * What guards a worker rollout instead:
 * - create-before-delete: a changed droplet (image, env, secrets, size through
 *   `replaceOnChanges`) is replaced by creating the new droplet first; Pulumi deletes the
 *   replaced droplets only at the end of the update, after every new one is active. So
 *   the pool never runs fewer than `count` workers because of the rollout (it runs up
 *   to twice as many for a while, which a queue consumer tolerates);
 * - systemd restarts the container whenever its process exits (Restart=always), so a
 *   crashed worker process comes back on the same droplet;
 * - on delete, `gracefulShutdown` powers the droplet off through the OS: systemd stops
 *   the unit, and docker gives the process `stopTimeoutSeconds` after SIGTERM to finish
 *   its task.
 * - a worker gate per droplet (workerGate.ts): the droplet's watchdog powers it off when
 *   its container does not get live within the grace period, and the gate, waiting on
 *   every new droplet, fails the update then, before any old droplet is deleted. So a new
 *   image whose process never gets to work (crash loop, bad credentials) stops the
 *   rollout with the old workers running.
 * What it cannot guard: a droplet that dies after it got live is not replaced (the healer
 * judges web droplets by their load balancer's health check; a worker has none).
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { dropletReplaceOnChanges, nodeImage } from "./nodeGroup";
import { DropletWorkerGate } from "./workerGate";

/** Arguments of WorkerGroup. */
export interface WorkerGroupArgs {
  /** How many droplets run the worker (>= 2). */
  count: number;
  /** The droplet size slug. */
  size: string;
  /** The region. */
  region: string;
  /** The VPC. */
  vpcId: pulumi.Input<string>;
  /** The worker's node tag: its firewall and the trusted sources of the data it uses select it. */
  nodeTag: pulumi.Input<string>;
  /** Extra tags (role, service, stack). */
  tags: string[];
  /** The `#cloud-config` user data (a secret: it carries the worker's secrets). */
  userData: pulumi.Input<string>;
}

/** Arguments of WorkerGroup: a group's, and what its gates need. */
export interface WorkerGroupGateArgs extends WorkerGroupArgs {
  /** The watchdog's grace period (seconds from its start to being live). */
  graceSeconds: number;
  /** A DigitalOcean API token for the gates (droplet read), as a secret; unset: DIGITALOCEAN_TOKEN at run time. */
  apiToken?: pulumi.Input<string>;
}

/**
 * `count` droplets of a group without a load balancer, parented to `parent`: created
 * before the ones they replace, powered off through the OS before destroy. Shared by the
 * workers and the cron groups (cronGroup.ts).
 */
export function groupDroplets(name: string, args: WorkerGroupArgs, parent: pulumi.Resource): digitalocean.Droplet[] {
  return Array.from({ length: args.count }, (_, i) =>
    new digitalocean.Droplet(`${name}-node-${i}`, {
      image: nodeImage,
      region: args.region,
      size: args.size,
      vpcUuid: args.vpcId,
      tags: [args.nodeTag, ...args.tags],
      userData: args.userData,
      // The metrics agent (CPU and memory alerts) and a clean OS shutdown before destroy,
      // which gives the worker its stop timeout.
      monitoring: true,
      gracefulShutdown: true,
      ipv6: false,
    }, { parent, replaceOnChanges: dropletReplaceOnChanges }),
  );
}

/** A worker's droplets. */
export class WorkerGroup extends pulumi.ComponentResource {
  /** The droplets. */
  readonly droplets: digitalocean.Droplet[];

  constructor(name: string, args: WorkerGroupGateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:digitalocean:WorkerGroup", name, {}, opts);
    this.droplets = groupDroplets(name, args, this);
    this.droplets.forEach((droplet, i) => new DropletWorkerGate(`${name}-gate-${i}`, { dropletId: droplet.id, graceSeconds: args.graceSeconds, apiToken: args.apiToken }, { parent: this }));
    this.registerOutputs({});
  }
}
