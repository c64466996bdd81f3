/**
 * Network access to the data services per binding. Cloud SQL and Memorystore take their
 * private addresses from the private services range peered into the VPC, and a VPC's
 * implied egress rule lets every VM reach every address of it: any node could open a
 * connection to any database of the stack. So the nodes' egress to that whole range is
 * denied (low priority), and each workload's nodes are allowed, above it, only to the
 * addresses and port of the databases and caches the workload uses.
 *
 * Credentials are the other lock (a workload that does not use a database cannot read
 * its Secret Manager secret); this one means a leaked password is no use from the other
 * workloads' nodes either. Egress to Google APIs (Secret Manager, Cloud Storage, Cloud
 * Logging) is not in the range and is untouched.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** One workload's access to one data service. */
export interface DataPath {
  /** Unique among the paths: the rule's logical name is `<key>`. */
  key: string;
  /** The workload nodes' network tag. */
  nodeTag: string;
  /** The service's private addresses (primary, read replicas). */
  hosts: pulumi.Input<string[]>;
  /** Its port. */
  port: number;
  /** What it is, for the rule's description. */
  what: string;
}

/** Arguments of DataAccess. */
export interface DataAccessArgs {
  /** The VPC's ID. */
  networkId: pulumi.Input<string>;
  /** The private services range (CIDR) the data services take their addresses from. */
  servicesRange: pulumi.Input<string>;
  /** Every workload's network tag: all are denied the range, except what `paths` allow. */
  nodeTags: string[];
  /** The allowed paths. */
  paths: DataPath[];
}

/** Priority of the allow rules (lower wins). */
const allowPriority = 1000;
/** Priority of the deny rule: below every allow rule, above the implied allow-all egress (65535). */
const denyPriority = 64000;

/** The egress rules of the nodes towards the data services. */
export class DataAccess extends pulumi.ComponentResource {
  constructor(name: string, args: DataAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:DataAccess", name, {}, opts);
    const parent = { parent: this };
    const allows = args.paths.map((path) =>
      new gcp.compute.Firewall(path.key, {
        network: args.networkId,
        direction: "EGRESS",
        priority: allowPriority,
        description: `The nodes of ${path.nodeTag} may reach ${path.what}, which their workload uses`,
        destinationRanges: pulumi.output(path.hosts).apply((hosts) => hosts.map((h) => `${h}/32`)),
        targetTags: [path.nodeTag],
        allows: [{ protocol: "tcp", ports: [String(path.port)] }],
      }, parent),
    );
    // Created after every allow rule, so a running workload never loses its database for a moment.
    new gcp.compute.Firewall(`${name}-deny-data`, {
      network: args.networkId,
      direction: "EGRESS",
      priority: denyPriority,
      description: "No node reaches a database or cache its workload does not use (the allow rules above open the ones it uses)",
      destinationRanges: [args.servicesRange],
      targetTags: args.nodeTags,
      denies: [{ protocol: "all" }],
    }, { parent: this, dependsOn: allows });
    this.registerOutputs({});
  }
}
