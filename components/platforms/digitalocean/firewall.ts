/**
 * A workload's cloud firewall (by its node tag, so every droplet of the group is covered
 * from birth): a web's app port from its own load balancer only, nothing for a worker
 * (nothing connects to it), SSH from the VPC and the configured networks only. Without a
 * cloud firewall a droplet accepts everything. A cron job's droplets also admit ICMP from
 * anywhere (DigitalOcean does not publish its uptime checkers' addresses): their ping
 * checks are the job's alarm (components/cronLeaseStatus.ts). No port opens for it.
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of Firewall. */
export interface FirewallArgs {
  /** The droplets' tag. */
  nodeTag: pulumi.Input<string>;
  /** The app port; unset for a worker (no app traffic is admitted at all). */
  appPort?: number;
  /** The load balancer's ID (the only source of app traffic); with `appPort`. */
  loadBalancerId?: pulumi.Input<string>;
  /** The VPC's range. */
  vpcRange: pulumi.Input<string>;
  /** Extra networks that may SSH (`network.sshSourceCidrs`). */
  sshSourceCidrs: string[];
  /** A cron job's: admit ICMP from anywhere, for its ping uptime checks; unset for every other workload. */
  admitPing?: boolean;
}

const anywhere = ["0.0.0.0/0", "::/0"];

/** The droplets' firewall. */
export class Firewall extends pulumi.ComponentResource {
  constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:digitalocean:Firewall", name, {}, opts);
    const app = args.appPort !== undefined && args.loadBalancerId !== undefined
      ? [{ protocol: "tcp", portRange: String(args.appPort), sourceLoadBalancerUids: [args.loadBalancerId] }]
      : [];
    new digitalocean.Firewall(`${name}-nodes`, {
      tags: [args.nodeTag],
      inboundRules: [
        ...app,
        ...(args.admitPing ? [{ protocol: "icmp", sourceAddresses: anywhere }] : []),
        { protocol: "tcp", portRange: "22", sourceAddresses: pulumi.output(args.vpcRange).apply((vpc) => [vpc, ...args.sshSourceCidrs]) },
      ],
      // Outbound stays open: image pulls, package mirrors, Spaces and the DO API.
      outboundRules: [
        { protocol: "tcp", portRange: "1-65535", destinationAddresses: anywhere },
        { protocol: "udp", portRange: "1-65535", destinationAddresses: anywhere },
        { protocol: "icmp", destinationAddresses: anywhere },
      ],
    }, { parent: this });
    this.registerOutputs({});
  }
}
