/**
 * jobs-single-flight (mandatory): a scheduled job runs once per tick and never overlaps
 * itself, on every cloud, judged from what the providers do when a setting is left out:
 *
 * - Kubernetes CronJob: `concurrencyPolicy` defaults to Allow (a run that outlasts its
 *   interval overlaps the next); under Forbid a run with no `activeDeadlineSeconds` that
 *   hangs blocks every later tick; a Job template with `parallelism` or `completions` above 1
 *   runs the job several times per tick. `startingDeadlineSeconds` is not judged: since
 *   Kubernetes 1.21 the controller only warns after 100 missed schedules and still starts the
 *   most recent one, once.
 * - AWS EventBridge Scheduler schedules and EventBridge rule targets that run an ECS task:
 *   a `taskCount` above 1 starts that many copies per tick. With one task, whether runs
 *   overlap depends on how long the task runs (ECS has no run timeout) and on whether it
 *   takes a lock: not knowable from the inputs, so not reported.
 * - GCP Cloud Scheduler jobs that start a Cloud Run job: a `taskCount` above 1 runs that many
 *   copies per execution; an execution can last `timeout` (default 600s) times
 *   `maxRetries` + 1 (default 3 retries), and Cloud Scheduler starts the next execution at the
 *   next tick whatever is still running, so a schedule closer than that overlaps. Scheduler
 *   retries (`retryConfig`, none by default) retry a start that failed, so they are not judged.
 * - Compute groups tagged with role `cron` (contract/roles.ts): each node fires the schedule,
 *   so a group that can run more than one node must declare the lease its jobs take
 *   (`ha-topology:lease`, contract/roles.ts).
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { leaseTag } from "../contract/roles";
import { overStack } from "../dispatch";
import { allNodeGroups, hpaCandidates, leaseOfGroup, poolsWithRole, type NodeGroup } from "../nodeGroups";
import { at, num, obj, str } from "../props";
import { aws, gcp, kubernetes } from "../resourceTypes";
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
      const hpa = hpaCandidates(view, r, true).find((h) => (name !== undefined && str(h.props, "spec.scaleTargetRef.name") === name) || view.refersTo(h, "spec", r));
      return hpa ? num(hpa.props, "spec.maxReplicas") : group.minNodes;
    }
    case "digitalocean-droplets": {
      // Droplets grouped by role: the droplets, and each autoscale pool of the role at its most.
      if (group.role === undefined) return group.minNodes;
      const pools = poolsWithRole(view, group.role);
      const most = pools.map((p) => num(p.props, "config.maxInstances") ?? num(p.props, "config.targetNumberInstances"));
      return most.includes(undefined) ? undefined : group.members.length + most.reduce<number>((a, b) => a + (b ?? 0), 0);
    }
    default:
      return group.minNodes;
  }
}

// ---- Kubernetes ------------------------------------------------------------------

/** The CronJob's problems: runs that can overlap, a hung run that blocks the schedule, several pods per tick. */
function cronJobProblems(job: PolicyResource): string[] {
  const problems: string[] = [];
  const policy = str(job.props, "spec.concurrencyPolicy") ?? "Allow";
  if (!["Forbid", "Replace"].includes(policy)) {
    problems.push(`${describe(job)} has concurrencyPolicy ${policy}${at(job.props, "spec.concurrencyPolicy") === undefined ? " (the default)" : ""}: a run that outlasts its schedule overlaps the next one. Set spec.concurrencyPolicy to "Forbid" (skip a tick while a run is going) or "Replace".`);
  }
  const deadline = num(job.props, "spec.jobTemplate.spec.activeDeadlineSeconds") ?? num(job.props, "spec.jobTemplate.spec.template.spec.activeDeadlineSeconds");
  if (policy === "Forbid" && deadline === undefined) {
    problems.push(`${describe(job)} forbids overlapping runs but never kills one: with no activeDeadlineSeconds a run that hangs blocks every later tick, and the job stops running without failing. Set spec.jobTemplate.spec.activeDeadlineSeconds to the longest a run may take.`);
  }
  for (const field of ["parallelism", "completions"]) {
    const n = num(job.props, `spec.jobTemplate.spec.${field}`);
    if (n !== undefined && n > 1) {
      problems.push(`${describe(job)} runs ${n} pods per tick (spec.jobTemplate.spec.${field} ${n}): every tick runs the job ${n} times. Leave ${field} at 1 (the default).`);
    }
  }
  return problems;
}

// ---- AWS -------------------------------------------------------------------------

/** The ECS tasks a schedule or an EventBridge target starts per tick, where it starts any. */
function awsTaskCount(ecs: unknown): number | undefined {
  if (Object.keys(obj(ecs)).length === 0) return undefined;
  return at(ecs, "taskCount") === undefined ? 1 : num(ecs, "taskCount");
}

function awsScheduleProblems(view: StackView): [string, string][] {
  const problems: [string, string][] = [];
  for (const schedule of view.ofType(aws.schedule)) {
    const count = awsTaskCount(at(schedule.props, "target.ecsParameters"));
    if (count !== undefined && count > 1) {
      problems.push([`${describe(schedule)} starts ${count} ECS tasks per tick (target.ecsParameters.taskCount ${count}): each runs the job, so it runs ${count} times per tick. Set taskCount to 1 (the default).`, schedule.urn]);
    }
  }
  for (const target of view.ofType(aws.eventTarget)) {
    const count = awsTaskCount(target.props.ecsTarget);
    if (count !== undefined && count > 1) {
      // Only a rule of the stack that fires on a schedule: one that matches events, or one not in the stack, may not be a scheduled job.
      const scheduled = view.refs(target, "rule", aws.eventRule).some((r) => str(r.props.scheduleExpression) !== undefined);
      if (scheduled) problems.push([`${describe(target)} starts ${count} ECS tasks each time its rule fires (ecsTarget.taskCount ${count}): each runs the job, so it runs ${count} times per tick. Set taskCount to 1 (the default).`, target.urn]);
    }
  }
  return problems;
}

// ---- GCP -------------------------------------------------------------------------

const nameKeys = (r: PolicyResource): string[] => {
  const name = str(r.props.name);
  return name === undefined ? [] : [name];
};

/** The Cloud Run jobs a Cloud Scheduler job starts (its HTTP target calls `.../jobs/<name>:run`). */
function cloudRunJobsOf(view: StackView, scheduler: PolicyResource): PolicyResource[] {
  const uri = str(scheduler.props, "httpTarget.uri");
  const named = uri?.match(/\/jobs\/([^/:?]+):run\b/)?.[1];
  const byName = named === undefined ? [] : view.filedUnder(gcp.cloudRunJob, nameKeys, [named]).filter((j) => str(j.props.name) === named);
  const byDependency = view.refs(scheduler, "httpTarget", gcp.cloudRunJob);
  return [...new Set([...byName, ...byDependency])];
}

/** A duration like "600s" or "3.5s" in seconds. */
function seconds(value: unknown): number | undefined {
  const m = str(value)?.match(/^(\d+(?:\.\d+)?)s$/);
  return m ? Number(m[1]) : num(value);
}

function gcpSchedulerProblems(view: StackView): [string, string][] {
  const problems: [string, string][] = [];
  for (const scheduler of view.ofType(gcp.schedulerJob)) {
    for (const job of cloudRunJobsOf(view, scheduler)) {
      const tasks = at(job.props, "template.taskCount") === undefined ? 1 : num(job.props, "template.taskCount");
      if (tasks !== undefined && tasks > 1) {
        problems.push([`${describe(job)} runs ${tasks} tasks per execution (template.taskCount ${tasks}) and ${describe(scheduler)} starts it every tick: each task runs the job, so it runs ${tasks} times per tick. Set template.taskCount to 1 (the default).`, job.urn]);
      }
      const timeout = at(job.props, "template.template.timeout") === undefined ? 600 : seconds(at(job.props, "template.template.timeout"));
      const retries = at(job.props, "template.template.maxRetries") === undefined ? 3 : num(job.props, "template.template.maxRetries");
      const gap = minimumInterval(str(scheduler.props.schedule));
      if (timeout !== undefined && retries !== undefined && gap !== undefined && gap < timeout * (retries + 1)) {
        const longest = timeout * (retries + 1);
        problems.push([`${describe(scheduler)} starts ${describe(job)} every ${gap / 60} minute(s) at the closest, but an execution can last ${longest / 60} minute(s) (timeout ${timeout}s × ${retries + 1} attempts${at(job.props, "template.template.timeout") === undefined || at(job.props, "template.template.maxRetries") === undefined ? ", Cloud Run's defaults are 600s and 3 retries" : ""}), and Cloud Scheduler starts the next execution whatever is still running: runs overlap. Lower template.template.timeout or maxRetries so that an execution ends before the next tick.`, scheduler.urn]);
      }
    }
  }
  return problems;
}

/** The values of one cron field (`*`, lists, ranges, steps, names), or undefined when it does not parse. */
function cronField(field: string, lo: number, hi: number, names: readonly string[] = []): Set<number> | undefined {
  const out = new Set<number>();
  const value = (v: string) => {
    const i = names.indexOf(v.toUpperCase());
    return i >= 0 ? i + lo : /^\d+$/.test(v) ? Number(v) : NaN;
  };
  for (const part of field.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    let [from, to] = range === "*" ? [lo, hi] : range.split("-").map(value);
    if (to === undefined) to = stepText === undefined ? from : hi;
    if (![from, to, step].every(Number.isInteger) || step < 1 || from < lo || to > hi + (hi === 6 ? 1 : 0) || from > to) return undefined;
    for (let v = from; v <= to; v += step) out.add(hi === 6 && v === 7 ? 0 : v);
  }
  return out;
}

/**
 * The shortest time between two ticks of a 5-field cron schedule, in seconds, over a year of
 * ticks (day-of-month and day-of-week are or-ed when both are restricted, as cron does), or
 * undefined when it does not parse or ticks less than twice a year.
 */
export function minimumInterval(schedule: string | undefined): number | undefined {
  const fields = schedule?.trim().split(/\s+/);
  if (!fields || fields.length !== 5) return undefined;
  const months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
  const days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
  const [minutes, hours, dom, month, dow] = [cronField(fields[0], 0, 59), cronField(fields[1], 0, 23), cronField(fields[2], 1, 31), cronField(fields[3], 1, 12, months), cronField(fields[4], 0, 6, days)];
  if (!minutes || !hours || !dom || !month || !dow) return undefined;
  const domRestricted = fields[2] !== "*" && !fields[2].startsWith("*/");
  const dowRestricted = fields[4] !== "*" && !fields[4].startsWith("*/");
  const daily = [...hours].sort((a, b) => a - b).flatMap((h) => [...minutes].sort((a, b) => a - b).map((m) => h * 60 + m));
  let previous: number | undefined;
  let gap: number | undefined;
  const start = Date.UTC(2025, 0, 1);
  for (let day = 0; day < 2 * 366; day++) {
    const date = new Date(start + day * 86_400_000);
    if (!month.has(date.getUTCMonth() + 1)) continue;
    const byDom = dom.has(date.getUTCDate());
    const byDow = dow.has(date.getUTCDay());
    if (!(domRestricted && dowRestricted ? byDom || byDow : byDom && byDow)) continue;
    for (const minute of daily) {
      const t = day * 1440 + minute;
      if (previous !== undefined) gap = Math.min(gap ?? Infinity, t - previous);
      previous = t;
    }
  }
  return gap === undefined ? undefined : gap * 60;
}

// ---- The rule --------------------------------------------------------------------

const scheduledGcpJobs = (view: StackView) => view.ofType(gcp.schedulerJob).some((s) => cloudRunJobsOf(view, s).length > 0);
const awsEcsSchedules = (view: StackView) =>
  view.ofType(aws.schedule).some((s) => awsTaskCount(at(s.props, "target.ecsParameters")) !== undefined) ||
  view.ofType(aws.eventTarget).some((t) => awsTaskCount(t.props.ecsTarget) !== undefined && view.refs(t, "rule", aws.eventRule).some((r) => str(r.props.scheduleExpression) !== undefined));

export const jobsSingleFlight: StackValidationPolicy = {
  name: "jobs-single-flight",
  description:
    "Scheduled jobs run once per tick and never overlap themselves: a Kubernetes CronJob sets concurrencyPolicy Forbid (with " +
    "activeDeadlineSeconds, so a hung run cannot block the schedule) or Replace (the default Allow lets runs overlap) and one pod " +
    "per run; an EventBridge schedule or rule target starts one ECS task (taskCount 1); a Cloud Run job that Cloud Scheduler starts " +
    "runs one task and ends (timeout × attempts) before the next tick; a compute group tagged with role cron (ha-topology:role, " +
    "contract/roles.ts) runs one node, or declares the lease its jobs take (ha-topology:lease = postgres or valkey).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: overStack(
    (view) => view.ofType(kubernetes.cronJob).length > 0 || awsEcsSchedules(view) || scheduledGcpJobs(view) || allNodeGroups(view).some((g) => g.role === "cron"),
    "no CronJobs, no schedules that start ECS tasks or Cloud Run jobs, and no compute groups tagged with role cron",
    (view, report) => {
      for (const job of view.ofType(kubernetes.cronJob)) for (const problem of cronJobProblems(job)) report(problem, job.urn);
      for (const [problem, urn] of [...awsScheduleProblems(view), ...gcpSchedulerProblems(view)]) report(problem, urn);
      for (const group of allNodeGroups(view).filter((g) => g.role === "cron")) {
        const most = maxNodes(view, group);
        if (most !== undefined && most > 1 && leaseOfGroup(view, group) === undefined) {
          report(`${describe(group.resource)} is tagged role cron and can run ${most} nodes: each fires the schedule, so every job runs ${most} times per tick. Run one node, or make the jobs take a per-tick lease in the topology's database or cache and declare it on the group (${leaseTag} = postgres or valkey, contract/roles.ts).`, group.resource.urn);
        }
      }
    },
  ),
};
