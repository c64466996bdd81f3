/**
 * nodes-autoheal: a node that stops answering the load balancer's health check is
 * replaced, not just taken out of rotation (a VM can be "running" and serve nothing).
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { overStack } from "../dispatch";
import { isEcsCapacity, nodeGroups, type NodeGroup } from "../nodeGroups";
import { at, list, objects, str } from "../props";
import { aws, digitalocean } from "../resourceTypes";
import { describe, unique, type StackView } from "../stackView";
import { gkePools } from "../clusters";

/**
 * True when the group's nodes report their own health (AWS's custom health checks): an IAM
 * policy made for this group grants autoscaling:SetInstanceHealth on it, so something on
 * the nodes (a liveness watchdog) marks a failing node unhealthy and the group replaces it,
 * while the load balancer's check only decides traffic (readiness). A policy whose text is
 * not known yet (preview) is given the benefit of the doubt.
 */
function reportsOwnHealth(view: StackView, asg: PolicyResource): boolean {
  return view.referrers(asg, [aws.iamRolePolicy, aws.iamPolicy], "policy").some((p) => {
    let text: unknown;
    try {
      text = p.props.policy;
    } catch (e) {
      if (e instanceof Error && e.constructor.name === "UnknownValueError") return true;
      throw e;
    }
    if (text === undefined) return true;
    return /"autoscaling:(SetInstanceHealth|\*)"/.test(typeof text === "string" ? text : JSON.stringify(text));
  });
}

function check(view: StackView, group: NodeGroup): string | undefined {
  const r = group.resource;
  switch (group.kind) {
    case "aws-autoscaling-group": {
      // ECS capacity: its instances are in no target group (the tasks are), so an ELB check would see nothing;
      // ECS replaces failing tasks, and EC2 status checks replace failing instances.
      if (isEcsCapacity(view, r)) return undefined;
      const type = str(r.props.healthCheckType) ?? "EC2";
      return /ELB|VPC_LATTICE/.test(type) || reportsOwnHealth(view, r)
        ? undefined
        : `${describe(r)} uses healthCheckType ${type}: only nodes whose VM fails are replaced. Set healthCheckType to "ELB" so nodes failing the load balancer's health check are replaced too (or let the nodes report their own liveness: grant them autoscaling:SetInstanceHealth on this group).`;
    }
    case "aws-instances":
      return `the instances behind ${describe(r)} are standalone: nothing replaces one that fails. Run them in an Auto Scaling group with healthCheckType "ELB".`;
    case "aws-ecs-service":
      // The ECS scheduler replaces tasks that stop, fail their container health check or the target group's.
      return undefined;
    case "aws-standalone-instance":
      return `${describe(r)} is a standalone instance: nothing replaces it when it fails (EC2 auto-recovery restarts it on a failed host, not when the app hangs or its zone fails). Run it in an Auto Scaling group with healthCheckType "ELB" behind a load balancer.`;
    case "gcp-standalone-instance":
      return `${describe(r)} is a standalone instance: nothing recreates it when it stops answering (automaticRestart covers host crashes only). Run it in a managed instance group with autoHealingPolicies.`;
    case "gcp-regional-mig":
    case "gcp-zonal-mig":
      // autoHealingPolicies is a list in older providers and a single block in newer ones.
      return list(r.props.autoHealingPolicies).some((p) => at(p, "healthCheck") !== undefined)
        ? undefined
        : `${describe(r)} has no autoHealingPolicies: a node that stops answering is never recreated. Add autoHealingPolicies with the load balancer's health check and an initialDelaySec that covers boot.`;
    case "gcp-instance-groups":
      return `the unmanaged instance groups behind ${describe(r)} do not heal: nothing recreates an instance that fails. Use a managed instance group with autoHealingPolicies on the load balancer's health check.`;
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
    "Nodes that fail the health check are replaced automatically: Auto Scaling groups use healthCheckType ELB, or EC2 with the nodes " +
    "reporting their own liveness (an IAM policy granting autoscaling:SetInstanceHealth on the group; ECS services replace " +
    "their tasks themselves), GCP MIGs have " +
    "autoHealingPolicies, Deployment containers have a livenessProbe, GKE node pools keep management.autoRepair on; standalone instances " +
    "(registered in a target group or serving on their own) and unmanaged GCP instance groups fail. DigitalOcean has no autohealing " +
    "primitive (its load balancer takes failing droplets out of rotation).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: overStack(
    (view) => nodeGroups(view).some((g) => g.kind !== "digitalocean-droplets") || gkePools(view).length > 0,
    "no node groups or GKE node pools on a cloud with an autohealing primitive (DigitalOcean has none)",
    (view, report) => {
      for (const group of nodeGroups(view)) {
        const problem = check(view, group);
        if (problem) report(problem, group.resource.urn);
      }
      // GKE repairs nodes by default (management.autoRepair); only turning it off is a gap.
      for (const pool of gkePools(view).filter((p) => p.autoRepair === false)) {
        report(`${describe(pool.resource)}: the ${pool.label} has management.autoRepair false, so a node that fails its health checks is never repaired and its pods stay down or crowd the others. Set management.autoRepair to true (the default).`, pool.resource.urn);
      }
    },
  ),
};

/**
 * nodes-autoheal-digitalocean (advisory): DigitalOcean has no autohealing primitive, so a
 * standalone droplet that dies or hangs is taken out of the load balancer's rotation and
 * never replaced. nodes-autoheal cannot fail such a stack (nothing on DigitalOcean would
 * pass it), so the gap is reported here, per droplet, at advisory level.
 */
export const digitaloceanAutohealing: StackValidationPolicy = {
  name: "nodes-autoheal-digitalocean",
  description:
    "DigitalOcean droplets are not replaced when they fail: DigitalOcean has no autohealing primitive (its load balancer only takes a " +
    "failing droplet out of rotation). Reported per standalone droplet that serves, so the gap is visible; replace a dead droplet " +
    "(`pulumi up --replace <droplet URN>`) or run a healer. Droplet autoscale pools are not reported (they keep their droplet count).",
  enforcementLevel: "advisory",
  severity: "medium",
  validateStack: overStack(
    (view) => view.ofType(digitalocean.droplet).length > 0,
    "no DigitalOcean droplets",
    (view, report) => {
      const droplets = unique(nodeGroups(view).filter((g) => g.kind === "digitalocean-droplets").flatMap((g) => g.members));
      for (const droplet of droplets) {
        report(
          `${describe(droplet)} is a standalone droplet: if it dies or hangs, the load balancer stops sending it traffic and nothing replaces it, so the pool stays one node short until someone does (\`pulumi up --replace ${droplet.urn}\`). Run more droplets than you need to serve, and alert on the load balancer's healthy count.`,
          droplet.urn,
        );
      }
    },
  ),
};
