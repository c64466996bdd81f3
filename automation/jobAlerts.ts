/**
 * What alerts you when a scheduled job fails or misses a tick (issue 16's promise: "a failed
 * or missed run raises an alarm to alarms.email, and is visible in the plan's summary as
 * what alerts you"): one summary line for a stack with jobs, in the words of what each
 * cloud's platform registers (components/platforms/aws/jobs.ts JobAlarms,
 * components/platforms/gcp/job.ts alert policies, the ping uptime checks of
 * components/platforms/digitalocean/jobs.ts, components/platforms/kubernetes/job.ts).
 * No ha-guard rule judges alarms, so the line is never "pass".
 */
import type { Topology } from "../components/topology";
import type { SummaryLine } from "./haSummary";
import type { TopologyView } from "./topologyView";

/** What raises the alarm, per cloud that sends one to `alarms.email`. */
const alarmed: Record<Exclude<Topology["cloud"], "kubernetes">, string> = {
  aws: "fails, times out or does not start, or when the scheduler drops its start (confirm the subscription mail)",
  gcp: "fails (its last attempt failed or timed out), or when Cloud Scheduler could not start it",
  digitalocean: "fails, is missed (no droplet claimed its tick) or is lost, when the lease's database cannot be reached, or when one of the job's droplets is down (each job droplet stops answering its ping uptime check while so)",
};

/** The "Alerts" line of a stack with jobs; undefined without jobs. */
export function jobAlertsLine(topology: Topology, view: TopologyView): SummaryLine | undefined {
  const jobs = view.workloads.filter((w) => w.job).map((w) => w.name);
  if (jobs.length === 0) return undefined;
  const which = `${jobs.length === 1 ? "job" : "jobs"} ${jobs.join(", ")}`;
  const { cloud } = topology;
  if (cloud === "kubernetes") {
    // The stack sends no alarm on Kubernetes (README: alerting is the cluster's monitoring stack's).
    return {
      topic: "Alerts",
      text: `no alarm from this stack for ${which}: a failed run is a Job with condition Failed (kube_job_status_failed in kube-state-metrics) for the cluster's monitoring to alert on`,
      rules: [],
      status: "n/a",
    };
  }
  const what = alarmed[cloud];
  const email = topology.alarms.email;
  return email
    ? { topic: "Alerts", text: `${email} gets an email when a run of ${which} ${what}; not checked by ha-guard (no rule judges alarms)`, rules: [], status: "unchecked" }
    : { topic: "Alerts", text: `none: a failed or missed run of ${which} alerts no one; set alarms.email`, rules: [], status: "gap" };
}
