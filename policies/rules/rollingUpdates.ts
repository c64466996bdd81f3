/**
 * rolling-updates-keep-capacity: a deploy (new image, new template) replaces nodes
 * surge-first and never drops below the healthy count.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { overStack } from "../dispatch";
import { nodeGroups, podLabels, replicaRange, selectorsOf, type NodeGroup } from "../nodeGroups";
import { at, bool, num, obj, str } from "../props";
import { doksClusters, gkePools, gkeUpgradeDropsNodes } from "../clusters";
import { kubernetes } from "../resourceTypes";
import { describe, StackView } from "../stackView";

/** True for a Kubernetes int-or-percent that means zero ("0", 0, "0%"). */
function isZero(value: unknown): boolean {
  return value === 0 || value === "0" || value === "0%";
}

/**
 * A Kubernetes int-or-percent resolved against `total` pods, as the controllers do: a
 * percentage is rounded up or down, an integer is itself. Undefined when not readable.
 */
export function scaledValue(value: unknown, total: number, roundUp: boolean): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== "string") return undefined;
  const percent = /^(\d+)%$/.exec(value.trim());
  if (percent) {
    const exact = (Number(percent[1]) * total) / 100;
    return roundUp ? Math.ceil(exact) : Math.floor(exact);
  }
  return /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}

/**
 * How many pods a RollingUpdate may stop before their replacements are ready, at `replicas`:
 * the Deployment controller rounds a percentage maxUnavailable DOWN and maxSurge UP (both
 * default to 25 %), and when both come to 0 it lets one pod go (ResolveFenceposts).
 */
export function rolloutUnavailable(rollingUpdate: unknown, replicas: number): { surge: number; unavailable: number } | undefined {
  const surge = scaledValue(at(rollingUpdate, "maxSurge") ?? "25%", replicas, true);
  const unavailable = scaledValue(at(rollingUpdate, "maxUnavailable") ?? "25%", replicas, false);
  if (surge === undefined || unavailable === undefined) return undefined;
  return { surge, unavailable: surge === 0 && unavailable === 0 ? 1 : unavailable };
}

/**
 * How many of `replicas` pods a PodDisruptionBudget lets an eviction take (the disruption
 * controller rounds both minAvailable and maxUnavailable percentages UP). Undefined when
 * not readable.
 */
export function allowedDisruptions(budget: PolicyResource, replicas: number): number | undefined {
  const minAvailable = at(budget.props, "spec.minAvailable");
  const maxUnavailable = at(budget.props, "spec.maxUnavailable");
  if (maxUnavailable !== undefined) return scaledValue(maxUnavailable, replicas, true);
  if (minAvailable === undefined) return undefined;
  const desired = scaledValue(minAvailable, replicas, true);
  return desired === undefined ? undefined : Math.max(0, replicas - desired);
}

function awsProblems(group: NodeGroup): string[] {
  const r = group.resource;
  const problems: string[] = [];
  const maintenance = num(r.props, "instanceMaintenancePolicy.minHealthyPercentage");
  if (maintenance === undefined || maintenance < 100) {
    problems.push(`instanceMaintenancePolicy.minHealthyPercentage is ${maintenance ?? "unset"}: AWS may terminate a node before its replacement is healthy. Set it to 100 (with maxHealthyPercentage above 100).`);
  }
  const refresh = obj(r.props.instanceRefresh);
  if (Object.keys(refresh).length === 0) {
    problems.push(`has no instanceRefresh: a new launch template version never reaches the running nodes. Add instanceRefresh with strategy "Rolling".`);
  } else {
    const min = num(refresh, "preferences.minHealthyPercentage") ?? 90;
    const max = num(refresh, "preferences.maxHealthyPercentage") ?? 100;
    if (min < 100) problems.push(`instanceRefresh.preferences.minHealthyPercentage is ${min}: a refresh takes nodes out before replacements serve. Set it to 100 and maxHealthyPercentage to 200 (surge first).`);
    else if (max <= 100) problems.push(`instanceRefresh.preferences.maxHealthyPercentage is ${max}: with minHealthyPercentage 100 there is no room to launch replacements first. Set it above 100 (200 replaces all at once, surge first).`);
  }
  const version = str(r.props, "launchTemplate.version") ?? str(r.props, "mixedInstancesPolicy.launchTemplate.launchTemplateSpecification.version");
  if (version === "$Latest" || version === "$Default") {
    problems.push(`launchTemplate.version is "${version}": the group does not see a new version as a change, so no instance refresh starts. Use the template's latestVersion.`);
  }
  return problems;
}

/**
 * An ECS service's rolling deployment: ECS keeps ceil(minimumHealthyPercent x desired) tasks
 * healthy and runs at most floor(maximumPercent x desired), defaults 100 and 200 (surge first).
 * Blue/green, linear and canary deployments start the new tasks before moving traffic;
 * CODE_DEPLOY and EXTERNAL controllers are outside the service.
 */
function ecsProblems(group: NodeGroup): string[] {
  const r = group.resource;
  if (str(r.props.schedulingStrategy) === "DAEMON") return [];
  if (!["ECS", undefined].includes(str(r.props, "deploymentController.type"))) return [];
  if (!["ROLLING", undefined].includes(str(r.props, "deploymentConfiguration.strategy"))) return [];
  const min = num(r.props.deploymentMinimumHealthyPercent) ?? 100;
  const max = num(r.props.deploymentMaximumPercent) ?? 200;
  const n = group.minNodes !== undefined && group.minNodes > 0 ? group.minNodes : undefined;
  const keeps = n === undefined ? min >= 100 : Math.ceil((min * n) / 100 - 1e-9) >= n;
  if (!keeps) {
    return [`deploymentMinimumHealthyPercent is ${min}: a deployment stops tasks before their replacements are healthy. Set it to 100 (and deploymentMaximumPercent to 200, surge first).`];
  }
  const room = n === undefined ? max > 100 : Math.floor((max * n) / 100 + 1e-9) > n;
  if (!room) {
    return [`deploymentMaximumPercent is ${max}: with deploymentMinimumHealthyPercent ${min} there is no room to start a replacement first, so a deployment cannot proceed. Set it to 200.`];
  }
  return [];
}

function gcpProblems(group: NodeGroup): string[] {
  const policy = obj(group.resource.props.updatePolicy);
  if (Object.keys(policy).length === 0) {
    return ["has no updatePolicy: GCP's default may take a node per zone out at once. Set updatePolicy with maxUnavailableFixed 0 and maxSurgeFixed >= the number of zones."];
  }
  const problems: string[] = [];
  const unavailableFixed = num(policy.maxUnavailableFixed);
  const unavailablePercent = num(policy.maxUnavailablePercent);
  if (!(unavailableFixed === 0 || (unavailableFixed === undefined && unavailablePercent === 0))) {
    problems.push(`updatePolicy allows ${unavailableFixed ?? `${unavailablePercent ?? "the default"}%`} unavailable node(s) during an update. Set maxUnavailableFixed to 0.`);
  }
  const surge = Math.max(num(policy.maxSurgeFixed) ?? 0, num(policy.maxSurgePercent) ?? 0);
  if (surge <= 0 || str(policy.replacementMethod) === "RECREATE") {
    problems.push("updatePolicy cannot surge (maxSurgeFixed 0 or replacementMethod RECREATE), so with nothing unavailable an update cannot proceed. Set maxSurgeFixed to at least the number of zones and replacementMethod SUBSTITUTE.");
  }
  return problems;
}

function kubernetesProblems(view: StackView, group: NodeGroup): string[] {
  const r = group.resource;
  const problems: string[] = [];
  const strategy = obj(r.props, "spec.strategy");
  const rollingUpdate = at(strategy, "rollingUpdate");
  // The rollout is judged at the most replicas the Deployment runs with (an HPA's maxReplicas):
  // a percentage lets more pods go as the Deployment grows.
  const { min, max } = replicaRange(view, r);
  if (str(strategy.type) === "Recreate") {
    problems.push("uses strategy Recreate: every pod stops before new ones start. Use RollingUpdate with maxUnavailable 0.");
  } else if (isZero(at(rollingUpdate, "maxUnavailable")) && isZero(at(rollingUpdate, "maxSurge"))) {
    problems.push("sets rollingUpdate.maxUnavailable and maxSurge both to 0, which the API server rejects. Set maxUnavailable 0 and maxSurge 1.");
  } else if (max !== undefined && max > 0) {
    const rollout = rolloutUnavailable(rollingUpdate, max);
    if (rollout && rollout.unavailable > 0) {
      const setting = String(at(rollingUpdate, "maxUnavailable") ?? "25% (the default)");
      problems.push(`rollingUpdate.maxUnavailable is ${setting}: at ${max} replica(s) a rollout stops ${rollout.unavailable} pod(s) before their replacements are ready. Set it to 0 (and maxSurge to 1 or more).`);
    }
  }
  const budgets = selectorsOf(view, kubernetes.pdb, "spec.selector.matchLabels", r, podLabels(r));
  if (budgets.length === 0) {
    problems.push("has no PodDisruptionBudget: a node drain can evict every replica at once. Add one selecting its pods with maxUnavailable 1 (or minAvailable 1).");
  } else if (budgets.every((p) => isZero(at(p.props, "spec.minAvailable")) && at(p.props, "spec.maxUnavailable") === undefined)) {
    problems.push("has a PodDisruptionBudget that allows every pod to be evicted (minAvailable 0). Use maxUnavailable 1 or minAvailable 1.");
  } else if (min !== undefined && min > 0) {
    for (const budget of budgets) {
      if (allowedDisruptions(budget, min) !== 0) continue;
      const setting = at(budget.props, "spec.maxUnavailable") !== undefined ? `maxUnavailable ${String(at(budget.props, "spec.maxUnavailable"))}` : `minAvailable ${String(at(budget.props, "spec.minAvailable"))}`;
      problems.push(`has a PodDisruptionBudget (${budget.name}, ${setting}) that allows no eviction at ${min} replica(s): every node drain (upgrade, repair, scale-down) blocks, and is then forced (GKE gives up on the budget after an hour), taking the pods down anyway. Use maxUnavailable 1 with at least 2 replicas.`);
    }
  }
  return problems;
}

export const rollingUpdates: StackValidationPolicy = {
  name: "rolling-updates-keep-capacity",
  description:
    "Rolling updates never go below the healthy count: Auto Scaling groups use an instance refresh and maintenance policy at 100 % " +
    "healthy (surge first) with a pinned launch template version, ECS services keep deploymentMinimumHealthyPercent 100 with " +
    "deploymentMaximumPercent above it (the defaults, 100 and 200), GCP MIGs use maxUnavailable 0 with a surge, Deployments use " +
    "maxUnavailable 0 (or a 25 % default that rounds down to 0 pods) and a PodDisruptionBudget that lets a drain evict a pod " +
    "(not minAvailable = replicas), GKE node pools and DOKS clusters upgrade surge-first (maxSurge >= 1, surgeUpgrade). DigitalOcean " +
    "droplets have no rolling primitive (the adapter orders replacements).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: overStack(
    (view) =>
      nodeGroups(view).some((g) => !["digitalocean-droplets", "aws-instances", "aws-standalone-instance", "gcp-standalone-instance", "gcp-instance-groups"].includes(g.kind)) ||
      gkePools(view).length + doksClusters(view).length > 0,
    "no node groups with a rolling update mechanism (DigitalOcean droplets have none; standalone instances are judged by nodes-autoheal)",
    (view, report) => {
      // Managed clusters upgrade their nodes surge-first by default (GKE maxSurge 1, DOKS surgeUpgrade true).
      for (const pool of gkePools(view).filter((p) => gkeUpgradeDropsNodes(p.upgradeSettings))) {
        report(`${describe(pool.resource)}: the ${pool.label} has upgradeSettings.maxSurge 0, so an upgrade drains nodes before their replacements exist and the pods lose capacity. Set maxSurge to 1 or more and maxUnavailable to 0.`, pool.resource.urn);
      }
      for (const cluster of doksClusters(view).filter((c) => bool(c.props.surgeUpgrade) === false)) {
        report(`${describe(cluster)} has surgeUpgrade false: an upgrade drains and replaces nodes one at a time with no new node first, so the pods lose a node's capacity. Set surgeUpgrade to true (the default).`, cluster.urn);
      }
      for (const group of nodeGroups(view)) {
        const problems =
          group.kind === "aws-autoscaling-group" ? awsProblems(group)
          : group.kind === "aws-ecs-service" ? ecsProblems(group)
          : group.kind === "gcp-regional-mig" || group.kind === "gcp-zonal-mig" ? gcpProblems(group)
          : group.kind === "kubernetes-deployment" ? kubernetesProblems(view, group)
          : [];
        for (const problem of problems) report(`${describe(group.resource)} ${problem}`, group.resource.urn);
      }
    },
  ),
};
