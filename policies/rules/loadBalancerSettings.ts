/**
 * lb-cross-zone, lb-deletion-protection: AWS load balancer settings that decide what a zone
 * failure or a mistaken delete does to the front door.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { overStack } from "../dispatch";
import { str } from "../props";
import { aws } from "../resourceTypes";
import { describe } from "../stackView";

/**
 * Cross-zone load balancing: an ALB always balances over every zone, unless a target group
 * turns it off (loadBalancingCrossZoneEnabled "false"); network and gateway load balancers do
 * not by default, so each zone's load balancer node only reaches that zone's targets and a zone
 * with few healthy targets takes an equal share of traffic; a classic ELB balances across zones
 * unless crossZoneLoadBalancing is false.
 */
export const crossZone: StackValidationPolicy = {
  name: "lb-cross-zone",
  description:
    "Load balancers spread traffic over the healthy targets of every zone: network and gateway load balancers set " +
    "enableCrossZoneLoadBalancing (off by default), target groups do not set loadBalancingCrossZoneEnabled \"false\", classic ELBs keep " +
    "crossZoneLoadBalancing on. ALBs always balance across zones.",
  enforcementLevel: "advisory",
  severity: "medium",
  validateStack: overStack(
    (view) => view.ofType(aws.loadBalancer).length + view.ofType(aws.classicLoadBalancer).length > 0,
    "the stack has no AWS load balancer",
    (view, report) => {
      for (const lb of view.ofType(aws.loadBalancer)) {
        const type = str(lb.props.loadBalancerType) ?? "application";
        if (["network", "gateway"].includes(type) && lb.props.enableCrossZoneLoadBalancing !== true) {
          report(`${describe(lb)} is a ${type} load balancer without cross-zone load balancing: each zone's node sends only to its own zone's targets, so a zone with few healthy targets is overloaded. Set enableCrossZoneLoadBalancing to true.`, lb.urn);
        }
      }
      for (const tg of view.ofType(aws.targetGroup)) {
        if (String(tg.props.loadBalancingCrossZoneEnabled) === "false") {
          report(`${describe(tg)} turns cross-zone load balancing off (loadBalancingCrossZoneEnabled "false"): remove it or set "use_load_balancer_configuration".`, tg.urn);
        }
      }
      for (const elb of view.ofType(aws.classicLoadBalancer)) {
        if (elb.props.crossZoneLoadBalancing === false) {
          report(`${describe(elb)} turns cross-zone load balancing off: set crossZoneLoadBalancing to true (the default).`, elb.urn);
        }
      }
    },
  ),
};

/** Deletion protection on ALBs and NLBs (off by default). */
export const lbDeletionProtection: StackValidationPolicy = {
  name: "lb-deletion-protection",
  description:
    "Application and network load balancers have enableDeletionProtection on, so a mistaken delete (console, CLI, a replaced stack) " +
    "cannot take the front door and its DNS name away. Off by default.",
  enforcementLevel: "advisory",
  severity: "medium",
  validateStack: overStack(
    (view) => view.ofType(aws.loadBalancer).length > 0,
    "the stack has no AWS application, network or gateway load balancer",
    (view, report) => {
      for (const lb of view.ofType(aws.loadBalancer)) {
        if (lb.props.enableDeletionProtection !== true) {
          report(`${describe(lb)} can be deleted by anyone allowed to: set enableDeletionProtection to true (its DNS name dies with it).`, lb.urn);
        }
      }
    },
  ),
};
