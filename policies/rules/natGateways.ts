/**
 * nat-gateway-per-zone: private subnets in several zones that send their egress through one
 * zonal NAT gateway lose it all when that gateway's zone fails, just when the surviving zones'
 * nodes need it most (image pulls, package mirrors, APIs while replacements boot).
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { overStack } from "../dispatch";
import { objects, str } from "../props";
import { aws } from "../resourceTypes";
import { describe, StackView, unique } from "../stackView";

/** A subnet's zone, or undefined when the subnet is not in the stack or its zone is not known. */
function zoneOf(subnet: PolicyResource): string | undefined {
  return str(subnet.props.availabilityZone) ?? str(subnet.props.availabilityZoneId);
}

/** The route tables that send traffic through a NAT gateway (inline routes or Route resources). */
function routeTablesThrough(view: StackView, nat: PolicyResource): PolicyResource[] {
  // The route tables whose routes name the gateway (an index lookup), then the test itself.
  const inline = view.referrers(nat, aws.routeTable, "routes").filter((t) => objects(t.props.routes).length > 0 && view.refersTo(t, "routes", nat));
  const separate = view.referrers(nat, aws.route, "natGatewayId").flatMap((r) => view.refs(r, "routeTableId", aws.routeTable));
  return unique([...inline, ...separate]);
}

export const natPerZone: StackValidationPolicy = {
  name: "nat-gateway-per-zone",
  description:
    "Each zone's private subnets reach the internet through a NAT gateway in their own zone (or a regional NAT gateway), so a zone " +
    "outage does not cut the other zones' egress: one zonal NatGateway per zone, each zone's private route table through its own.",
  enforcementLevel: "advisory",
  severity: "medium",
  validateStack: overStack(
    (view) => view.ofType(aws.natGateway).length > 0,
    "the stack has no NAT gateway",
    (view, report) => {
      for (const nat of view.ofType(aws.natGateway)) {
        if (str(nat.props.availabilityMode) === "regional") continue;
        const own = view.refs(nat, "subnetId", aws.subnet).map(zoneOf)[0];
        const tables = routeTablesThrough(view, nat);
        const subnets = tables.flatMap((t) => view.referrers(t, aws.routeTableAssociation, "routeTableId").flatMap((a) => view.refs(a, "subnetId", aws.subnet)));
        const zones = unique(subnets.map(zoneOf).filter((z): z is string => z !== undefined));
        const others = zones.filter((z) => z !== own);
        if (zones.length >= 2 && (own === undefined || others.length > 0)) {
          report(`${describe(nat)}${own ? ` (in ${own})` : ""} carries the egress of private subnets in ${zones.length} zones (${zones.join(", ")}): when its zone fails, the others lose the internet. Add a NAT gateway in each zone and route each zone's private subnets through their own (ha-topology:network.natGateways per-zone), or use availabilityMode "regional".`, nat.urn);
        }
      }
    },
  ),
};
