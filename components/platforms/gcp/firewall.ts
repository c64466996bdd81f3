/**
 * The GCP firewall of one workload's nodes (by their network tag): a public web accepts
 * its port only from Google's front ends and health checkers; an internal web only from
 * the other workloads' nodes (their tags: the internal passthrough load balancer keeps
 * the client's address) and the health checkers; every node accepts SSH only through
 * Identity-Aware Proxy. Nothing is open to the world: the global load balancer's proxies
 * reach the nodes from Google's own ranges.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of Firewall. */
export interface FirewallArgs {
  /** The VPC's ID. */
  networkId: pulumi.Input<string>;
  /** The network tag the nodes carry. */
  nodeTag: string;
  /** The app port on the nodes, opened to Google's front ends (a public web); unset for the others. */
  appPort?: number;
  /** A worker: the port of its watchdog's verdict, opened to Google's health checkers only. */
  verdictPort?: number;
  /** An internal web: its port, opened to the nodes with these tags and to the health checkers. */
  internal?: { port: number; sourceTags: pulumi.Input<string[]> };
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
    if (args.appPort !== undefined) {
      new gcp.compute.Firewall(`${name}-lb-to-nodes`, {
        network: args.networkId,
        direction: "INGRESS",
        description: "The app port from Google's load balancers and health checkers only",
        sourceRanges: googleFrontEndRanges,
        targetTags: [args.nodeTag],
        allows: [{ protocol: "tcp", ports: [String(args.appPort)] }],
        logConfig: { metadata: "EXCLUDE_ALL_METADATA" },
      }, parent);
    }
    if (args.verdictPort !== undefined) {
      new gcp.compute.Firewall(`${name}-health-to-verdict`, {
        network: args.networkId,
        direction: "INGRESS",
        description: "The worker's liveness verdict from Google's health checkers only",
        // Both ranges: the health checkers of autohealing come from them, as the load balancer's do.
        sourceRanges: googleFrontEndRanges,
        targetTags: [args.nodeTag],
        allows: [{ protocol: "tcp", ports: [String(args.verdictPort)] }],
        logConfig: { metadata: "EXCLUDE_ALL_METADATA" },
      }, parent);
    }
    if (args.internal) {
      new gcp.compute.Firewall(`${name}-from-stack`, {
        network: args.networkId,
        direction: "INGRESS",
        description: "The app port from the stack's other workloads (their network tags) and Google's health checkers only",
        // Either source admits: the callers by tag, the internal load balancer's health checks by range.
        sourceTags: args.internal.sourceTags,
        sourceRanges: googleFrontEndRanges,
        targetTags: [args.nodeTag],
        allows: [{ protocol: "tcp", ports: [String(args.internal.port)] }],
        logConfig: { metadata: "EXCLUDE_ALL_METADATA" },
      }, parent);
    }
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
