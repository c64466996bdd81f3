/**
 * The DigitalOcean network: one VPC in the region. DigitalOcean regions have no zones, so
 * there is nothing to spread over: a region is the failure domain (the README says so).
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { configProblem, TopologyConfigError } from "../../configError";
import type { NetworkSpec } from "../../topology";

/** Arguments of Network. */
export interface NetworkArgs {
  /** The network part of the topology. */
  spec: NetworkSpec;
  /** The region (a DigitalOcean slug such as fra1). */
  region: string;
}

/** The VPC. */
export class Network extends pulumi.ComponentResource {
  /** The VPC's ID. */
  readonly vpcId: pulumi.Output<string>;
  /** The VPC's range, which may SSH to the nodes. */
  readonly ipRange: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:digitalocean:Network", name, {}, opts);
    const { spec, region } = args;
    if (spec.vpcId || spec.publicSubnetIds || spec.privateSubnetIds) {
      throw new TopologyConfigError([
        configProblem("network.vpcId", String(spec.vpcId ?? spec.privateSubnetIds), "unset on digitalocean (the adapter creates its own VPC; existing VPCs are supported on aws only)"),
      ]);
    }
    // A VPC's range may not overlap another VPC of the account in the region: the default
    // 10.0.0.0/16 often does not, but `network.cidr` changes it.
    const vpc = new digitalocean.Vpc(`${name}-vpc`, { region, ipRange: spec.cidr, description: `ha-topology ${name}` }, { parent: this });
    this.vpcId = vpc.id;
    this.ipRange = vpc.ipRange;
    this.registerOutputs({ vpcId: this.vpcId });
  }
}
