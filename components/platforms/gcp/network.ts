/**
 * The GCP network: a custom-mode VPC with one regional subnet (GCP subnets span every
 * zone of their region), Cloud NAT for the nodes' outbound traffic, and the private
 * service access peering that Cloud SQL and Memorystore use for private IPs.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { configProblem, TopologyConfigError, ZoneCountError } from "../../configError";
import type { NetworkSpec } from "../../topology";

/** Arguments of Network. */
export interface NetworkArgs {
  /** The network part of the topology. */
  spec: NetworkSpec;
  /** The region the subnet, NAT and zones are in. */
  region: string;
}

/** Prefix length of the range reserved for Google's managed services (Cloud SQL, Memorystore). */
const serviceRangePrefix = 16;

/** A VPC in one region, its zones, and the peering managed services join. */
export class Network extends pulumi.ComponentResource {
  /** The VPC's ID (`projects/<p>/global/networks/<n>`), what Cloud SQL and Memorystore take. */
  readonly networkId: pulumi.Output<string>;
  /** The VPC's self link. */
  readonly networkSelfLink: pulumi.Output<string>;
  /** The nodes' subnet (self link). */
  readonly subnetSelfLink: pulumi.Output<string>;
  /** The nodes' subnet's ID (`projects/<p>/regions/<r>/subnetworks/<n>`), what Cloud Run's Direct VPC egress takes. */
  readonly subnetId: pulumi.Output<string>;
  /** The zones the nodes are spread over (the first `spec.zones` zones of the region that are UP). */
  readonly zoneNames: pulumi.Output<string[]>;
  /** The private service access peering: managed services must be created after it. */
  readonly privateServiceConnection: gcp.servicenetworking.Connection;
  /** The range (CIDR) reserved for that peering: Cloud SQL and Memorystore addresses are in it. */
  readonly servicesRange: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:Network", name, {}, opts);
    const { spec, region } = args;
    const parent = { parent: this };

    if (spec.vpcId || spec.publicSubnetIds || spec.privateSubnetIds) {
      throw new TopologyConfigError([
        configProblem("network.vpcId", String(spec.vpcId ?? spec.privateSubnetIds), "unset on gcp (the adapter creates its own VPC; existing VPCs are supported on aws only)"),
      ]);
    }

    const zones = gcp.compute.getZonesOutput({ region, status: "UP" }, parent);
    this.zoneNames = zones.names.apply((names) => {
      // The parser already checked network.zones against the region table, before any
      // resource; this catches a zone that is not UP or not open to the project.
      if (names.length < spec.zones) throw new ZoneCountError(spec.zones, region, names);
      return [...names].sort().slice(0, spec.zones);
    });

    const network = new gcp.compute.Network(`${name}-vpc`, { autoCreateSubnetworks: false, routingMode: "REGIONAL" }, parent);
    const subnet = new gcp.compute.Subnetwork(`${name}-nodes`, {
      network: network.id,
      region,
      ipCidrRange: spec.cidr,
      // Nodes without public IPs still reach Google APIs (Secret Manager, GCS, Artifact Registry).
      privateIpGoogleAccess: true,
      logConfig: { aggregationInterval: "INTERVAL_5_MIN", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
    }, parent);

    if (spec.natGateways !== "none") {
      // Cloud NAT is a regional, software-defined service with no single-zone gateway,
      // so "per-zone" and "single" both map to one NAT; nodes keep no public IP.
      const router = new gcp.compute.Router(`${name}-router`, { network: network.id, region }, parent);
      new gcp.compute.RouterNat(`${name}-nat`, {
        router: router.name,
        region,
        natIpAllocateOption: "AUTO_ONLY",
        sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
        subnetworks: [{ name: subnet.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
        logConfig: { enable: true, filter: "ERRORS_ONLY" },
      }, parent);
    }

    const serviceRange = new gcp.compute.GlobalAddress(`${name}-services`, {
      network: network.id,
      purpose: "VPC_PEERING",
      addressType: "INTERNAL",
      prefixLength: serviceRangePrefix,
    }, parent);
    this.privateServiceConnection = new gcp.servicenetworking.Connection(`${name}-services`, {
      network: network.id,
      service: "servicenetworking.googleapis.com",
      reservedPeeringRanges: [serviceRange.name],
      // Deleting the peering while Cloud SQL still holds addresses fails; abandon it instead.
      deletionPolicy: "ABANDON",
    }, parent);

    this.servicesRange = pulumi.interpolate`${serviceRange.address}/${serviceRangePrefix}`;
    this.networkId = network.id;
    this.networkSelfLink = network.selfLink;
    this.subnetSelfLink = subnet.selfLink;
    this.subnetId = subnet.id;
    this.registerOutputs({ networkId: this.networkId, subnetSelfLink: this.subnetSelfLink, zoneNames: this.zoneNames });
  }
}
