/**
 * rolling-updates-keep-capacity: a deploy (new image, new template) replaces nodes
 * surge-first and never drops below the healthy count.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { overStack } from "../dispatch";
import { namespaceOf, nodeGroups, podLabels, selects, type NodeGroup } from "../nodeGroups";
import { at, num, obj, str } from "../props";
import { kubernetes } from "../resourceTypes";
import { describe, StackView } from "../stackView";

/** True for a Kubernetes int-or-percent that means zero ("0", 0, "0%"). */
function isZero(value: unknown): boolean {
  return value === 0 || value === "0" || value === "0%";
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
  if (str(strategy.type) === "Recreate") {
    problems.push("uses strategy Recreate: every pod stops before new ones start. Use RollingUpdate with maxUnavailable 0.");
  } else if (!isZero(at(strategy, "rollingUpdate.maxUnavailable"))) {
    problems.push(`rollingUpdate.maxUnavailable is ${String(at(strategy, "rollingUpdate.maxUnavailable") ?? "25% (the default)")}: pods stop before their replacements are ready. Set it to 0 (and maxSurge to 1 or more).`);
  }
  const budgets = view
    .ofType(kubernetes.pdb)
    .filter((p) => namespaceOf(p) === namespaceOf(r) && selects(at(p.props, "spec.selector.matchLabels"), podLabels(r)));
  if (budgets.length === 0) {
    problems.push("has no PodDisruptionBudget: a node drain can evict every replica at once. Add one selecting its pods with maxUnavailable 1 (or minAvailable 1).");
  } else if (budgets.every((p) => isZero(at(p.props, "spec.minAvailable")) && at(p.props, "spec.maxUnavailable") === undefined)) {
    problems.push("has a PodDisruptionBudget that allows every pod to be evicted (minAvailable 0). Use maxUnavailable 1 or minAvailable 1.");
  }
  return problems;
}

export const rollingUpdates: StackValidationPolicy = {
  name: "rolling-updates-keep-capacity",
  description:
    "Rolling updates never go below the healthy count: Auto Scaling groups use an instance refresh and maintenance policy at 100 % " +
    "healthy (surge first) with a pinned launch template version, ECS services keep deploymentMinimumHealthyPercent 100 with " +
    "deploymentMaximumPercent above it (the defaults, 100 and 200), GCP MIGs use maxUnavailable 0 with a surge, Deployments use " +
    "maxUnavailable 0 and have a PodDisruptionBudget. DigitalOcean has no rolling primitive (the adapter orders replacements).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: overStack(
    (view) => nodeGroups(view).some((g) => !["digitalocean-droplets", "aws-instances", "aws-standalone-instance", "gcp-standalone-instance"].includes(g.kind)),
    "no node groups with a rolling update mechanism (DigitalOcean has none; standalone instances are judged by nodes-autoheal)",
    (view, report) => {
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
