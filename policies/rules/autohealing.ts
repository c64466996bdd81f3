/**
 * nodes-autoheal: a node that stops answering the load balancer's health check is
 * replaced, not just taken out of rotation (a VM can be "running" and serve nothing).
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { overStack } from "../dispatch";
import { nodeGroups, type NodeGroup } from "../nodeGroups";
import { at, list, objects, str } from "../props";
import { describe } from "../stackView";
import { gkePools } from "../clusters";

function check(group: NodeGroup): string | undefined {
  const r = group.resource;
  switch (group.kind) {
    case "aws-autoscaling-group": {
      const type = str(r.props.healthCheckType) ?? "EC2";
      return /ELB|VPC_LATTICE/.test(type)
        ? undefined
        : `${describe(r)} uses healthCheckType ${type}: only nodes whose VM fails are replaced. Set healthCheckType to "ELB" so nodes failing the load balancer's health check are replaced too.`;
    }
    case "aws-instances":
      return `the instances behind ${describe(r)} are standalone: nothing replaces one that fails. Run them in an Auto Scaling group with healthCheckType "ELB".`;
    case "gcp-regional-mig":
    case "gcp-zonal-mig":
      // autoHealingPolicies is a list in older providers and a single block in newer ones.
      return list(r.props.autoHealingPolicies).some((p) => at(p, "healthCheck") !== undefined)
        ? undefined
        : `${describe(r)} has no autoHealingPolicies: a node that stops answering is never recreated. Add autoHealingPolicies with the load balancer's health check and an initialDelaySec that covers boot.`;
    case "kubernetes-deployment": {
      const missing = objects(r.props, "spec.template.spec.containers").filter((c) => c.livenessProbe === undefined).map((c) => str(c.name) ?? "?");
      return missing.length === 0
        ? undefined
        : `${describe(r)}: container(s) ${missing.join(", ")} have no livenessProbe, so a hung process is never restarted. Add a livenessProbe (an httpGet on the health path).`;
    }
    case "digitalocean-droplets":
      return undefined;
  }
}

export const autohealing: StackValidationPolicy = {
  name: "nodes-autoheal",
  description:
    "Nodes that fail the health check are replaced automatically: Auto Scaling groups use healthCheckType ELB, GCP MIGs have " +
    "autoHealingPolicies, Deployment containers have a livenessProbe, GKE node pools keep management.autoRepair on; standalone instances fail. DigitalOcean has no autohealing " +
    "primitive (its load balancer takes failing droplets out of rotation).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: overStack(
    (view) => nodeGroups(view).some((g) => g.kind !== "digitalocean-droplets") || gkePools(view).length > 0,
    "no node groups or GKE node pools on a cloud with an autohealing primitive (DigitalOcean has none)",
    (view, report) => {
      for (const group of nodeGroups(view)) {
        const problem = check(group);
        if (problem) report(problem, group.resource.urn);
      }
      // GKE repairs nodes by default (management.autoRepair); only turning it off is a gap.
      for (const pool of gkePools(view).filter((p) => p.autoRepair === false)) {
        report(`${describe(pool.resource)}: the ${pool.label} has management.autoRepair false, so a node that fails its health checks is never repaired and its pods stay down or crowd the others. Set management.autoRepair to true (the default).`, pool.resource.urn);
      }
    },
  ),
};
