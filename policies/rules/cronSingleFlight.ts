/**
 * cron-single-flight (advisory): a scheduled job runs once per schedule, never twice at the
 * same time. A Kubernetes CronJob defaults to concurrencyPolicy Allow (a run that outlasts
 * its interval overlaps the next); a compute group tagged with role `cron`
 * (contract/roles.ts) that runs more than one node fires the schedule on every node.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { overStack } from "../dispatch";
import { allNodeGroups, type NodeGroup } from "../nodeGroups";
import { num, str } from "../props";
import { gcp, kubernetes } from "../resourceTypes";
import { describe, StackView } from "../stackView";

/** The most nodes a group can run, where the stack says (else its minimum). */
function maxNodes(view: StackView, group: NodeGroup): number | undefined {
  const r = group.resource;
  switch (group.kind) {
    case "aws-autoscaling-group":
      return num(r.props.maxSize) ?? group.minNodes;
    case "gcp-regional-mig":
    case "gcp-zonal-mig": {
      const autoscaler = view.referrers(r, [gcp.regionalAutoscaler, gcp.zonalAutoscaler], "target")[0];
      return autoscaler ? num(autoscaler.props, "autoscalingPolicy.maxReplicas") : group.minNodes;
    }
    case "kubernetes-deployment": {
      const name = str(r.props, "metadata.name");
      const hpa = view.ofType(kubernetes.hpa).find((h) => (name !== undefined && str(h.props, "spec.scaleTargetRef.name") === name) || view.refersTo(h, "spec", r));
      return hpa ? num(hpa.props, "spec.maxReplicas") : group.minNodes;
    }
    default:
      return group.minNodes;
  }
}

/** The CronJob's problem, if it can run twice at once. */
function cronJobProblem(job: PolicyResource): string | undefined {
  const policy = str(job.props, "spec.concurrencyPolicy") ?? "Allow";
  return ["Forbid", "Replace"].includes(policy)
    ? undefined
    : `${describe(job)} has concurrencyPolicy ${policy}${policy === "Allow" ? " (the default)" : ""}: a run that outlasts its schedule overlaps the next one. Set spec.concurrencyPolicy to "Forbid".`;
}

export const cronSingleFlight: StackValidationPolicy = {
  name: "cron-single-flight",
  description:
    "Scheduled jobs run single-flight: a Kubernetes CronJob sets concurrencyPolicy Forbid (or Replace; the default Allow lets runs " +
    "overlap), and a compute group tagged with role cron (ha-topology:role, contract/roles.ts) runs at most one node, since every " +
    "node fires the schedule.",
  enforcementLevel: "advisory",
  severity: "medium",
  validateStack: overStack(
    (view) => view.ofType(kubernetes.cronJob).length > 0 || allNodeGroups(view).some((g) => g.role === "cron"),
    "no CronJobs and no compute groups tagged with role cron",
    (view, report) => {
      for (const job of view.ofType(kubernetes.cronJob)) {
        const problem = cronJobProblem(job);
        if (problem) report(problem, job.urn);
      }
      for (const group of allNodeGroups(view).filter((g) => g.role === "cron")) {
        const most = maxNodes(view, group);
        if (most !== undefined && most > 1) {
          report(`${describe(group.resource)} is tagged role cron and can run ${most} nodes: each fires the schedule, so every job runs ${most} times. Run one node (the schedule resumes on its replacement), or move the jobs to a Kubernetes CronJob with concurrencyPolicy Forbid.`, group.resource.urn);
        }
      }
    },
  ),
};
