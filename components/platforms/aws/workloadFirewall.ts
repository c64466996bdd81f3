/**
 * The security group of one workload's nodes (`ha-topology:workloads`): nothing comes in
 * until a rule admits it (its load balancer, for a web workload), and out only HTTPS (image
 * registry, AWS APIs) plus one rule per resource it uses and per internal web it calls
 * (firewall.ts `allowTcp`, parented here). A workload that does not use a database has no
 * rule to it, so no network path.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of WorkloadFirewall. */
export interface WorkloadFirewallArgs {
  /** The VPC. */
  vpcId: pulumi.Input<string>;
  /** What the nodes are (the group's description). */
  description: string;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** A workload's own node security group. */
export class WorkloadFirewall extends pulumi.ComponentResource {
  /** The nodes' group. */
  readonly groupId: pulumi.Output<string>;

  constructor(name: string, args: WorkloadFirewallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:WorkloadFirewall", name, {}, opts);
    const { tags } = args;
    const group = new aws.ec2.SecurityGroup(`${name}-nodes`, { vpcId: args.vpcId, description: args.description, tags: { ...tags, Name: `${name}-nodes` } }, { parent: this });
    // HTTPS out: image registry, AWS APIs (Secrets Manager, S3, SSM, Auto Scaling) and OS packages.
    new aws.vpc.SecurityGroupEgressRule(`${name}_https`, {
      securityGroupId: group.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "HTTPS to registries and AWS APIs", tags,
    }, { parent: this });
    this.groupId = group.id;
    this.registerOutputs({ groupId: this.groupId });
  }
}
