/**
 * The GCP firewall: nodes accept the app port only from Google's front ends and health
 * checkers, and SSH only through Identity-Aware Proxy. Nothing is open to the world: the
 * global load balancer's proxies reach the nodes from Google's own ranges.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of Firewall. */
export interface FirewallArgs {
  /** The VPC's ID. */
  networkId: pulumi.Input<string>;
  /** The network tag the nodes carry. */
  nodeTag: string;
  /** The app port on the nodes. */
  appPort: number;
}

/** Where Google's load balancer proxies and health checkers connect from. */
export const googleFrontEndRanges = ["130.211.0.0/22", "35.191.0.0/16"];

/** Identity-Aware Proxy's TCP forwarding range (`gcloud compute ssh --tunnel-through-iap`). */
export const iapRange = "35.235.240.0/20";

/** The ingress rules of the nodes. */
export class Firewall extends pulumi.ComponentResource {
  constructor(name: string, args: FirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:Firewall", name, {}, opts);
    const parent = { parent: this };
    new gcp.compute.Firewall(`${name}-lb-to-nodes`, {
      network: args.networkId,
      direction: "INGRESS",
      description: "The app port from Google's load balancers and health checkers only",
      sourceRanges: googleFrontEndRanges,
      targetTags: [args.nodeTag],
      allows: [{ protocol: "tcp", ports: [String(args.appPort)] }],
      logConfig: { metadata: "EXCLUDE_ALL_METADATA" },
    }, parent);
    new gcp.compute.Firewall(`${name}-iap-ssh`, {
      network: args.networkId,
      direction: "INGRESS",
      description: "SSH through Identity-Aware Proxy only (no SSH from the internet)",
      sourceRanges: [iapRange],
      targetTags: [args.nodeTag],
      allows: [{ protocol: "tcp", ports: ["22"] }],
    }, parent);
    this.registerOutputs({});
  }
}
