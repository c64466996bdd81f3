/**
 * The AWS network: a VPC with one public and one private subnet per zone, or the user's
 * existing VPC and subnets. Outbound traffic for the nodes follows `network.natGateways`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { subnetCidr } from "../../cidr";
import { ZoneCountError } from "../../configError";
import type { NetworkSpec } from "../../topology";

/** Arguments of Network. */
export interface NetworkArgs {
  /** The network part of the topology. */
  spec: NetworkSpec;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** Subnets per zone: public i at index i, private i at index zones + i (4 bits = up to 8 zones). */
const subnetBits = 4;

/** A VPC spread over `spec.zones` availability zones. */
export class Network extends pulumi.ComponentResource {
  /** The VPC's ID. */
  readonly vpcId: pulumi.Output<string>;
  /** One public subnet per zone (load balancer, NAT gateways). */
  readonly publicSubnetIds: pulumi.Output<string>[];
  /** One private subnet per zone (database, session store, and nodes unless NAT is `none`). */
  readonly privateSubnetIds: pulumi.Output<string>[];
  /** Where the nodes go: the private subnets, or the public ones when there is no NAT. */
  readonly nodeSubnetIds: pulumi.Output<string>[];
  /** The availability zones used, in subnet order (empty for an existing VPC). */
  readonly zoneNames: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:Network", name, {}, opts);
    const { spec, tags } = args;
    const parent = { parent: this };

    if (spec.vpcId && spec.publicSubnetIds && spec.privateSubnetIds) {
      // The topology parser guarantees all three together, one subnet per zone at least.
      this.vpcId = pulumi.output(spec.vpcId);
      this.publicSubnetIds = spec.publicSubnetIds.map((id) => pulumi.output(id));
      this.privateSubnetIds = spec.privateSubnetIds.map((id) => pulumi.output(id));
      this.nodeSubnetIds = spec.natGateways === "none" ? this.publicSubnetIds : this.privateSubnetIds;
      this.zoneNames = pulumi.output([]);
      this.registerOutputs({ vpcId: this.vpcId });
      return;
    }

    const zones = aws.getAvailabilityZonesOutput(
      { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
      parent,
    );
    const zoneNames = pulumi.all([zones.names, zones.id]).apply(([names, region]) => {
      // The parser already checked network.zones against the region table, before any
      // resource; this catches a zone the table lists but the account cannot use.
      if (names.length < spec.zones) throw new ZoneCountError(spec.zones, region, names);
      return names.slice(0, spec.zones);
    });
    const zone = (i: number) => zoneNames.apply((names) => names[i]);

    const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
      cidrBlock: spec.cidr,
      enableDnsHostnames: true,
      enableDnsSupport: true,
      tags: { ...tags, Name: `${name}-vpc` },
    }, parent);
    // The default security group allows all traffic between its members; take its rules away.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, tags }, parent);

    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags }, parent);
    const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, {
      vpcId: vpc.id,
      routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
      tags: { ...tags, Name: `${name}-public` },
    }, parent);

    const zoneIndexes = Array.from({ length: spec.zones }, (_, i) => i);
    const publicSubnets = zoneIndexes.map((i) => {
      const subnet = new aws.ec2.Subnet(`${name}-public-${i}`, {
        vpcId: vpc.id,
        cidrBlock: subnetCidr(spec.cidr, subnetBits, i),
        availabilityZone: zone(i),
        // Nodes that need a public address (NAT "none") ask for one in their launch template.
        mapPublicIpOnLaunch: false,
        tags: { ...tags, Name: `${name}-public-${i}`, "ha-topology:tier": "public" },
      }, parent);
      new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, parent);
      return subnet;
    });

    const natCount = spec.natGateways === "per-zone" ? spec.zones : spec.natGateways === "single" ? 1 : 0;
    const nats = zoneIndexes.slice(0, natCount).map((i) => {
      const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags }, parent);
      return new aws.ec2.NatGateway(`${name}-nat-${i}`, {
        subnetId: publicSubnets[i].id,
        allocationId: eip.id,
        tags: { ...tags, Name: `${name}-nat-${i}` },
      }, { parent: this, dependsOn: [igw] });
    });

    const privateRouteTables: aws.ec2.RouteTable[] = [];
    const privateSubnets = zoneIndexes.map((i) => {
      const subnet = new aws.ec2.Subnet(`${name}-private-${i}`, {
        vpcId: vpc.id,
        cidrBlock: subnetCidr(spec.cidr, subnetBits, spec.zones + i),
        availabilityZone: zone(i),
        mapPublicIpOnLaunch: false,
        tags: { ...tags, Name: `${name}-private-${i}`, "ha-topology:tier": "private" },
      }, parent);
      // Each zone routes through its own NAT when there is one per zone, so a zone
      // outage never cuts the surviving zones' egress (image pulls during recovery).
      const nat = nats.length === 0 ? undefined : nats[Math.min(i, nats.length - 1)];
      const routes = new aws.ec2.RouteTable(`${name}-private-${i}`, {
        vpcId: vpc.id,
        routes: nat ? [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }] : [],
        tags: { ...tags, Name: `${name}-private-${i}` },
      }, parent);
      privateRouteTables.push(routes);
      new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: subnet.id, routeTableId: routes.id }, parent);
      return subnet;
    });

    // S3 traffic through a gateway endpoint: free, and it keeps bucket traffic off NAT.
    const region = aws.getRegionOutput({}, parent);
    new aws.ec2.VpcEndpoint(`${name}-s3`, {
      vpcId: vpc.id,
      serviceName: pulumi.interpolate`com.amazonaws.${region.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: [publicRoutes.id, ...privateRouteTables.map((t) => t.id)],
      tags,
    }, parent);

    this.vpcId = vpc.id;
    this.publicSubnetIds = publicSubnets.map((s) => s.id);
    this.privateSubnetIds = privateSubnets.map((s) => s.id);
    this.nodeSubnetIds = spec.natGateways === "none" ? this.publicSubnetIds : this.privateSubnetIds;
    this.zoneNames = zoneNames;
    this.registerOutputs({ vpcId: this.vpcId, zoneNames });
  }
}
