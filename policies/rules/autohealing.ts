/**
 * nodes-autoheal: a node that stops answering the load balancer's health check is
 * replaced, not just taken out of rotation (a VM can be "running" and serve nothing).
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { digitaloceanHealerMarker } from "../contract/roles";
import { overStack } from "../dispatch";
import { isEcsCapacity, nodeGroups, poolsTagged, type NodeGroup } from "../nodeGroups";
import { at, list, objects, str } from "../props";
import { aws, digitalocean } from "../resourceTypes";
import { describe, isUnknownValueError, unique, type StackView } from "../stackView";
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
      if (isUnknownValueError(e)) return true;
      throw e;
    }
    if (text === undefined) return true;
    return /"autoscaling:(SetInstanceHealth|\*)"/.test(typeof text === "string" ? text : JSON.stringify(text));
  });
}

/** True when reading `read` hits a value not known yet (preview): the benefit of the doubt. */
function unknownYet(read: () => unknown): boolean {
  try {
    read();
    return false;
  } catch (e) {
    if (isUnknownValueError(e)) return true;
    throw e;
  }
}

/**
 * The droplet tags the stack's healers cover: per App Platform App, each worker env
 * `HA_TOPOLOGY_HEALER` (contract/roles.ts) lists them, comma-separated. `"all"` when a
 * healer's list is not known yet (preview). Read once per view (`view.derived`): every
 * group asks.
 */
function healedTags(view: StackView): Set<string> | "all" {
  const tags = new Set<string>();
  for (const app of view.ofType(digitalocean.app)) {
    if (unknownYet(() => JSON.stringify(app.props.spec))) return "all";
    for (const worker of objects(app.props, "spec.workers")) {
      for (const env of objects(worker, "envs").filter((e) => str(e.key) === digitaloceanHealerMarker)) {
        const value = str(env.value);
        if (value === undefined) return "all";
        value.split(",").map((t) => t.trim()).filter(Boolean).forEach((t) => tags.add(t));
      }
    }
  }
  return tags;
}

/** True when a DigitalOcean group serves behind a load balancer: only such droplets have a health check to heal on. */
function servesBehindLoadBalancer(group: NodeGroup): boolean {
  return group.kind === "digitalocean-droplets" && group.loadBalancers.length > 0 && group.members.length > 0;
}

/**
 * The droplets of a group that no healer covers: a droplet is covered when a healer lists
 * the load balancer's droplet tag, or one of the droplet's own tags (a load balancer that
 * lists droplet ids).
 */
function unhealed(group: NodeGroup, healed: Set<string> | "all"): PolicyResource[] {
  if (healed === "all") return [];
  const lbTags = group.loadBalancers.map((lb) => str(lb.props.dropletTag)).filter((t): t is string => t !== undefined);
  if (lbTags.some((t) => healed.has(t))) return [];
  return group.members.filter((d) => !list(d.props.tags).some((t) => typeof t === "string" && healed.has(t)));
}

/** Per droplet behind a load balancer that no healer covers: what to do about it. */
function unhealedDroplets(view: StackView, group: NodeGroup): Array<[PolicyResource, string]> {
  // Only droplets behind a load balancer have a health check to heal on (the others: the advisory rule).
  if (!servesBehindLoadBalancer(group)) return [];
  const lb = describe(group.loadBalancers[0]);
  return unhealed(group, view.derived(healedTags)).map((d) => [
    d,
    `${describe(d)} serves behind ${lb} and nothing heals it: DigitalOcean only takes a droplet that fails the health check out of rotation, and nothing replaces or repairs it. Deploy a healer that covers its tag (ha-topology deploys one per stack: an App Platform worker whose ${digitaloceanHealerMarker} variable lists the load balancer's droplet tag), or replace a dead droplet by hand (\`pulumi up --replace ${d.urn}\`).`,
  ]);
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
      // Judged per droplet (unhealedDroplets): the gap is on each droplet nothing heals.
      return undefined;
  }
}

export const autohealing: StackValidationPolicy = {
  name: "nodes-autoheal",
  description:
    "Nodes that fail the health check are replaced automatically: Auto Scaling groups use healthCheckType ELB, or EC2 with the nodes " +
    "reporting their own liveness (an IAM policy granting autoscaling:SetInstanceHealth on the group; ECS services replace " +
    "their tasks themselves), GCP MIGs have " +
    "autoHealingPolicies, Deployment containers have a livenessProbe, GKE node pools keep management.autoRepair on, DigitalOcean droplets " +
    "behind a load balancer are covered by a healer (an App Platform App whose worker's " + digitaloceanHealerMarker + " variable lists the " +
    "load balancer's droplet tag: DigitalOcean itself only takes failing droplets out of rotation); standalone instances " +
    "(registered in a target group or serving on their own), unmanaged GCP instance groups and unhealed droplets fail.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: overStack(
    (view) => nodeGroups(view).some((g) => g.kind !== "digitalocean-droplets" || servesBehindLoadBalancer(g)) || gkePools(view).length > 0,
    "no node groups, GKE node pools or DigitalOcean droplets behind a load balancer",
    (view, report) => {
      for (const group of nodeGroups(view)) {
        const problem = check(view, group);
        if (problem) report(problem, group.resource.urn);
        for (const [droplet, message] of unhealedDroplets(view, group)) report(message, droplet.urn);
      }
      // GKE repairs nodes by default (management.autoRepair); only turning it off is a gap.
      for (const pool of gkePools(view).filter((p) => p.autoRepair === false)) {
        report(`${describe(pool.resource)}: the ${pool.label} has management.autoRepair false, so a node that fails its health checks is never repaired and its pods stay down or crowd the others. Set management.autoRepair to true (the default).`, pool.resource.urn);
      }
    },
  ),
};

/**
 * nodes-autoheal-digitalocean (advisory): the serving DigitalOcean capacity nodes-autoheal
 * does not judge and no healer covers. A droplet autoscale pool behind a load balancer
 * keeps its droplet count (it replaces a droplet that is destroyed or stops) but does not
 * look at the load balancer's health check, so a droplet that runs and serves nothing stays;
 * a serving droplet (role web, or untagged; contract/roles.ts) that no load balancer reaches
 * has no health check to heal on. Reported at advisory level, so the gap stays visible.
 */
export const digitaloceanAutohealing: StackValidationPolicy = {
  name: "nodes-autoheal-digitalocean",
  description:
    "DigitalOcean capacity that nothing heals when it stops serving: droplet autoscale pools behind a load balancer (they keep their " +
    "droplet count, but do not replace a droplet that fails the load balancer's health check) and serving droplets no load balancer " +
    "reaches, unless a healer covers their tag (droplets behind a load balancer are judged by nodes-autoheal). Replace a dead droplet " +
    "by hand (`pulumi up --replace <droplet URN>`, or delete a pool's droplet), or deploy a healer that covers the tag.",
  enforcementLevel: "advisory",
  severity: "medium",
  validateStack: overStack(
    (view) => view.ofType(digitalocean.droplet).length > 0 || view.ofType(digitalocean.autoscalePool).length > 0,
    "no DigitalOcean droplets or droplet autoscale pools",
    (view, report) => {
      const healed = view.derived(healedTags);
      if (healed === "all") return;
      const covered = (tags: unknown[]) => tags.some((t) => typeof t === "string" && healed.has(t));
      const groups = nodeGroups(view).filter((g) => g.kind === "digitalocean-droplets");
      for (const group of groups.filter((g) => g.loadBalancers.length > 0)) {
        for (const lb of group.loadBalancers) {
          const tag = str(lb.props.dropletTag);
          if (tag === undefined || healed.has(tag)) continue;
          for (const pool of poolsTagged(view, tag)) {
            report(
              `${describe(pool)} serves behind ${describe(lb)}, and a droplet autoscale pool replaces a droplet that is destroyed or stops, not one that fails the load balancer's health check: a droplet that runs and serves nothing stays in the pool until someone deletes it. Deploy a healer that covers the tag ${tag}, and alert on the load balancer's healthy count.`,
              pool.urn,
            );
          }
        }
      }
      const unreached = unique(groups.filter((g) => g.loadBalancers.length === 0).flatMap((g) => g.members)).filter((d) => !covered(list(d.props.tags)));
      for (const droplet of unreached) {
        report(
          `${describe(droplet)} is a standalone droplet that no load balancer serves and no healer covers: if it dies or hangs, nothing replaces it (\`pulumi up --replace ${droplet.urn}\`). Put it behind a load balancer with the healer, or alert on its health.`,
          droplet.urn,
        );
      }
    },
  ),
};
