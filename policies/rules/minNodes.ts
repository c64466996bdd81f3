/**
 * min-nodes: the rule the product exists for. Counts the nodes that really serve behind
 * a load balancer. A plain stack validation that counts (not a typed one), so a stack
 * whose node group is missing altogether fails instead of being "not applicable".
 */
import type { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { overStack, settingsOf } from "../dispatch";
import { countedGroups, needsLoadBalancer, servingLoadBalancers } from "../nodeGroups";
import { str } from "../props";
import { describe } from "../stackView";

/** Config of min-nodes. */
export interface MinNodesConfig {
  /** The fewest nodes that must serve behind each load balancer. */
  minNodes: number;
}

const configSchema: PolicyConfigSchema = {
  properties: {
    minNodes: { type: "integer", minimum: 1, default: 2, description: "The fewest nodes that must serve behind each load balancer." },
  },
};

export const minNodes: StackValidationPolicy = {
  name: "min-nodes",
  description:
    "At least `minNodes` (default 2) nodes serve behind a load balancer: an AWS Auto Scaling group's minSize, an ECS service's desiredCount " +
    "or Application Auto Scaling minCapacity, a GCP MIG's targetSize or " +
    "autoscaler minReplicas, the droplets a DigitalOcean load balancer reaches, a Deployment's replicas or HPA minReplicas (a Deployment " +
    "that only a ClusterIP/NodePort Service selects is an internal component: it needs the replicas, not a load balancer). " +
    "A standalone EC2 or GCE instance that serves (a port other than SSH/RDP, or forwarding) is one node. " +
    "Raise the minimum (ha-topology:nodes.count) and put every node group behind a load balancer. Groups tagged with role worker or " +
    "internal (contract/roles.ts) need the minimum but no load balancer; cron groups are judged by jobs-single-flight.",
  enforcementLevel: "mandatory",
  severity: "critical",
  configSchema,
  validateStack: overStack(
    (view) => countedGroups(view).length > 0 || servingLoadBalancers(view).length > 0,
    "the stack has no node groups and no load balancers",
    (view, report, args) => {
      const { minNodes } = settingsOf<MinNodesConfig>(configSchema, args);
      const groups = countedGroups(view);
      for (const group of groups) {
        if (group.kind === "aws-standalone-instance" || group.kind === "gcp-standalone-instance") {
          if (minNodes > 1) report(`${describe(group.resource)} serves on its own: one instance, no load balancer, so when it fails, is replaced or its zone goes down the service is down. Run at least ${minNodes} nodes behind a load balancer (an Auto Scaling group with a target group, a regional MIG with a backend service).`, group.resource.urn);
        } else if (group.kind === "aws-ecs-service" && group.loadBalancers.length === 0) {
          // A service with no load balancer (a queue worker, a Service Connect backend) is judged by its task count only.
          if (group.minNodes !== undefined && group.minNodes < minNodes) {
            report(`${describe(group.resource)} can run with ${group.minNodes} task(s) (${group.countedFrom}); run at least ${minNodes} so that one can fail or be replaced without an outage.`, group.resource.urn);
          }
        } else if (group.loadBalancers.length === 0 && (group.internalServices ?? []).length > 0 && needsLoadBalancer(group)) {
          const internal = group.internalServices ?? [];
          // Served inside the cluster through its Service(s): an internal component, judged by its replicas.
          if (group.minNodes !== undefined && group.minNodes < minNodes) {
            report(`${describe(group.resource)} is an internal component (other pods reach it through ${internal.map((s) => `${s.name} (${str(s.props, "spec.type") ?? "ClusterIP"})`).join(", ")}) and can run with ${group.minNodes} pod(s) (${group.countedFrom}): when that pod or its node fails, everything that calls it fails too. Run at least ${minNodes} replicas (spec.replicas or the HPA's minReplicas).`, group.resource.urn);
          }
        } else if (group.loadBalancers.length === 0 && needsLoadBalancer(group)) {
          report(`${describe(group.resource)} has nothing in front of it: no load balancer sends it traffic, so its nodes serve no one and fail over to nothing. Register it with a load balancer (target group, backend service, droplet tag, Service + Ingress).`, group.resource.urn);
        } else if (group.minNodes !== undefined && group.minNodes < minNodes) {
          const unit = group.kind === "aws-ecs-service" ? "task(s)" : "node(s)";
          report(`${describe(group.resource)}${group.role && group.role !== "web" ? ` (role ${group.role})` : ""} can run with ${group.minNodes} ${unit} (${group.countedFrom}); at least ${minNodes} must serve so that one can fail or be replaced without an outage.`, group.resource.urn);
        }
      }
      const served = new Set(groups.flatMap((g) => g.loadBalancers));
      for (const lb of servingLoadBalancers(view)) {
        if (!served.has(lb)) {
          report(`${describe(lb)} sends traffic to no node group this policy can count (Auto Scaling group, ECS service, registered instances, MIG, droplets, Deployment): it has no nodes behind it.`, lb.urn);
        }
      }
    },
  ),
};
