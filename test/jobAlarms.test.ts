/**
 * The "Alerts" line (what alerts you) in the plan's summary of a stack with jobs (issue 16: a failed or missed
 * run raises an alarm to alarms.email), per cloud: what raises it, where it goes, and a gap
 * when no address is set; no line for a stack without jobs.
 */
import { strict as assert } from "node:assert";
import type { Cloud } from "../components/sizes";
import { modelPlan } from "./modelPlan";

const job = (cloud: Cloud) => ({ kind: "cron", image: "busybox:1.36", schedule: "0 3 * * *", timeoutSeconds: 60, uses: cloud === "digitalocean" ? ["db"] : [] });

const raises: Record<Cloud, RegExp> = {
  aws: /fails, times out or does not start, or when the scheduler drops its start/,
  gcp: /fails \(its last attempt failed or timed out\), or when Cloud Scheduler could not start it/,
  digitalocean: /is missed \(no droplet claimed its tick\) .* stops answering its ping uptime check/,
  kubernetes: /kube_job_status_failed in kube-state-metrics\) for the cluster's monitoring/,
};

for (const cloud of ["aws", "gcp", "digitalocean", "kubernetes"] as const) {
  describe(`plan summary on ${cloud}: what alerts you about a job`, function () {
    const example = `stacks/examples/Pulumi.${cloud}-services.yaml`;
    const alertsLine = (patch: Record<string, unknown>) => modelPlan(example, { patch }).summary.find((l) => l.topic === "Alerts");

    it("says what raises a failed or missed run, and where it is mailed", function () {
      // Kubernetes refuses alarms.email: alerting is the cluster's monitoring's.
      const line = alertsLine({ workloads: { nightly: job(cloud) }, ...(cloud === "kubernetes" ? {} : { alarms: { email: "oncall@example.com" } }) });
      assert.ok(line);
      assert.match(line.text, raises[cloud]);
      if (cloud !== "kubernetes") assert.match(line.text, /^oncall@example\.com gets an email when a run of job nightly /);
      assert.equal(line.status, cloud === "kubernetes" ? "n/a" : "unchecked", "no rule of the pack judges alarms");
    });

    if (cloud !== "kubernetes") {
      it("is a gap without alarms.email", function () {
        const line = alertsLine({ workloads: { nightly: job(cloud) } })!;
        assert.equal(line.status, "gap");
        assert.match(line.text, /^none: a failed or missed run of job nightly alerts no one; set alarms\.email/);
      });
    }

    it("has no such line without jobs", function () {
      assert.equal(alertsLine({}), undefined);
    });
  });
}
