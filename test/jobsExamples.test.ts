/**
 * The scheduled-jobs examples (stacks/examples/Pulumi.<cloud>-jobs.yaml, issue 16), planned
 * for real on each cloud whose platform runs jobs: a web service and two cron jobs plan with
 * zero mandatory violations, and the plan's text, its HA summary and its diagram show each
 * job with its schedule; the summary says what alerts you when a run fails or is missed.
 */
import { strict as assert } from "node:assert";
import { Resvg } from "@resvg/resvg-js";
import { renderSvg, type ServicesDiagram } from "../automation/diagram";
import { diagramModel } from "../automation/diagramModel";
import { planStack, type Plan } from "../automation/plan";
import { formatPlan } from "../automation/planReport";
import { readStackFile } from "../automation/stackFiles";
import { jobSizeText } from "../components/jobSizes";
import type { Cloud } from "../components/sizes";
import { modelPlan } from "./modelPlan";

/** Every cloud has a jobs example. */
const jobClouds = ["aws", "gcp", "digitalocean", "kubernetes"] as const satisfies readonly Cloud[];

/** What one run of a job of the default size gets, in the plan's words (components/jobSizes.ts, the table the platforms read). */
const defaultRun = (cloud: Cloud) => jobSizeText(cloud, "small");

const example = (cloud: Cloud) => `stacks/examples/Pulumi.${cloud}-jobs.yaml`;

/** The example's jobs as written: name, schedule, concurrency (when set), retries (when set), uses. */
interface JobEntry {
  kind: string;
  schedule: string;
  concurrency?: string;
  retries?: number;
  uses?: string[];
  env?: Record<string, string>;
}

function jobsOf(cloud: Cloud): Record<string, JobEntry> {
  const workloads = readStackFile(example(cloud))["ha-topology:workloads"] as Record<string, JobEntry>;
  return Object.fromEntries(Object.entries(workloads).filter(([, w]) => w.kind === "cron"));
}

/** The schedule line the plan, the summary and the diagram all give a job. */
const scheduleText = (schedule: string) => `cron "${schedule}" (UTC)`;

describe("scheduled jobs: the examples stacks/examples/Pulumi.<cloud>-jobs.yaml", () => {
  for (const cloud of jobClouds) {
    it(`${cloud}: one public web service (2 nodes) and the two jobs of the issue, with a database and a bucket`, () => {
      const config = readStackFile(example(cloud));
      const workloads = config["ha-topology:workloads"] as Record<string, { kind: string; count?: number; public?: boolean }>;
      assert.deepEqual(Object.entries(workloads).map(([name, w]) => [name, w.kind]), [["web", "web"], ["housekeeping", "cron"], ["heartbeat-report", "cron"]]);
      assert.equal(workloads.web.count, 2);
      assert.notEqual(workloads.web.public, false);
      const jobs = jobsOf(cloud);
      assert.equal(jobs.housekeeping.schedule, "*/5 * * * *");
      assert.equal(jobs["heartbeat-report"].schedule, "0 3 * * *");
      assert.deepEqual(jobs.housekeeping.uses, ["db"]);
      assert.equal(jobs.housekeeping.env?.DATABASE_URL, "${resources.db.url}");
      assert.ok((jobs["heartbeat-report"].retries ?? 0) > 0, "one job retries");
      // GCP enforces neither forbid nor replace (each run ends before the next tick instead), and
      // DigitalOcean forbid only (a run on one droplet cannot be stopped from another): no concurrency there.
      assert.equal(jobs["heartbeat-report"].concurrency, cloud === "gcp" || cloud === "digitalocean" ? undefined : "replace");
      const resources = config["ha-topology:resources"] as Record<string, { kind: string; engine?: string }>;
      assert.deepEqual(Object.entries(resources).map(([name, r]) => [name, r.kind]), [["db", "sql"], ["files", "bucket"]]);
      assert.equal(resources.db.engine, "postgres");
      // Where the stack sends alarms (not on Kubernetes: the cluster's monitoring alerts there).
      const alarms = config["ha-topology:alarms"] as { email?: string } | undefined;
      assert.equal(alarms?.email, cloud === "kubernetes" ? undefined : "oncall@example.com");
    });
  }

  for (const cloud of jobClouds) {
    describe(`${cloud}: npm run plan -- ${example(cloud)}`, function () {
      let plan: Plan;
      before(async function () {
        plan = await planStack(`${cloud}-jobs`, { stackFile: example(cloud) });
      });
      const jobs = () => Object.entries(jobsOf(cloud));

      it("has zero mandatory violations, and the single-flight rule judged the jobs", () => {
        assert.deepEqual(plan.policy.violations.filter((v) => v.level === "mandatory"), []);
        assert.ok(!plan.policy.notApplicable.some((n) => n.policy === "jobs-single-flight"), "jobs-single-flight found no job to judge");
        assert.deepEqual(plan.summary.filter((s) => s.status === "fail"), []);
        assert.ok(formatPlan(plan).includes("\nResult: no mandatory violation.\n"));
      });

      it("lists each job with its schedule in the plan's workloads", () => {
        const text = formatPlan(plan);
        const section = text.slice(text.indexOf("\nWorkloads (3)\n"), text.indexOf("\nNamed resources ("));
        assert.ok(section.length > 0, text);
        for (const [name, job] of jobs()) assert.match(section, new RegExp(`\\n {2}${name} +cron +${escape(scheduleText(job.schedule))}\\n`), name);
      });

      it("names each job with its schedule in the HA summary, judged by jobs-single-flight", () => {
        for (const [name, job] of jobs()) {
          const line = plan.summary.find((s) => s.topic === `job ${name}`);
          assert.ok(line, `no summary line job ${name} in ${plan.summary.map((s) => s.topic).join(", ")}`);
          assert.ok(line.text.includes(scheduleText(job.schedule)), line.text);
          assert.deepEqual([line.rules, line.status], [["jobs-single-flight"], "pass"]);
        }
      });

      it("sizes each job as what runs it (not a node size), as the registered runs are sized", () => {
        const expected = defaultRun(cloud);
        for (const [name] of jobs()) {
          const line = plan.summary.find((s) => s.topic === `job ${name}`)!;
          assert.ok(line.text.startsWith(`one run per tick · ${expected} running busybox:1.36; `), line.text);
        }
        // The registered runs get exactly that: the same figures, from the platform's own resources.
        const sized = (type: string) => plan.resources.filter((r) => r.type === type);
        if (cloud === "aws") {
          const tasks = sized("aws:ecs/taskDefinition:TaskDefinition");
          assert.equal(tasks.length, 2);
          for (const t of tasks) assert.deepEqual([t.inputs.cpu, t.inputs.memory], ["1024", "2048"], t.name);
        } else if (cloud === "gcp") {
          const runJobs = sized("gcp:cloudrunv2/job:Job");
          assert.equal(runJobs.length, 2);
          type RunJob = { template: { template: { containers: { resources: { limits: Record<string, string> } }[] } } };
          for (const j of runJobs) assert.deepEqual((j.inputs as unknown as RunJob).template.template.containers[0].resources.limits, { cpu: "1", memory: "2Gi" }, j.name);
        } else if (cloud === "digitalocean") {
          const droplets = sized("digitalocean:index/droplet:Droplet").filter((d) => /^web-(housekeeping|heartbeat-report)-node-/.test(d.name));
          assert.equal(droplets.length, 4, "two droplets per job");
          for (const d of droplets) assert.equal(d.inputs.size, "s-1vcpu-1gb", d.name);
        } else {
          const cronJobs = sized("kubernetes:batch/v1:CronJob");
          assert.equal(cronJobs.length, 2);
          type CronJob = { spec: { jobTemplate: { spec: { template: { spec: { containers: { resources: { requests: Record<string, string> } }[] } } } } } };
          for (const c of cronJobs) assert.deepEqual((c.inputs as unknown as CronJob).spec.jobTemplate.spec.template.spec.containers[0].resources.requests, { cpu: "250m", memory: "256Mi" });
        }
      });

      it("says what alerts you when a job fails or misses a tick, right after the workloads' lines", () => {
        const topics = plan.summary.map((s) => s.topic);
        assert.deepEqual(topics.slice(0, 4), ["web web", "job housekeeping", "job heartbeat-report", "Alerts"]);
        const alerts = plan.summary.find((s) => s.topic === "Alerts")!;
        assert.ok(alerts.text.includes("jobs housekeeping, heartbeat-report"), alerts.text);
        assert.deepEqual(alerts.rules, [], "no ha-guard rule judges alarms");
        if (cloud === "kubernetes") {
          assert.equal(alerts.status, "n/a");
          assert.match(alerts.text, /^no alarm from this stack .*kube_job_status_failed/);
        } else {
          assert.equal(alerts.status, "unchecked");
          assert.match(alerts.text, /^oncall@example\.com gets an email when a run of jobs housekeeping, heartbeat-report fails/);
        }
      });

      it("draws both jobs in the job tier with their schedules, not as nodes", () => {
        const diagram = diagramModel(plan) as ServicesDiagram;
        assert.equal(diagram.layout, "services");
        assert.deepEqual(diagram.workloads.map((w) => [w.name, w.tier]), [["web", "public"], ["housekeeping", "job"], ["heartbeat-report", "job"]]);
        for (const [name, job] of jobs()) {
          const box = diagram.workloads.find((w) => w.name === name)!;
          assert.equal(box.lines[0], `${name} · cron`);
          assert.equal(box.lines[1], scheduleText(job.schedule));
          assert.equal(box.lines[2], `one run per tick · ${defaultRun(cloud)}`, "a job's runs are not nodes of its own");
          const last = box.lines[box.lines.length - 1];
          assert.match(last, /^killed after \d+ s · /);
          assert.ok(last.includes(cloud === "gcp" ? "no overlap" : (job.concurrency ?? "forbid")), last);
          if (job.retries) assert.ok(last.endsWith(`· ${job.retries} retries`), last);
        }
        assert.match(diagram.caption, /^Each service and worker: its own .*; each job: .* per tick$/);
        const svg = renderSvg(diagram);
        assert.deepEqual([...svg.matchAll(/<g class="tier" data-tier="([^"]*)">/g)].map((m) => m[1]), ["public", "job"]);
        assert.ok(svg.includes("Scheduled jobs (one run per tick)"));
        for (const [name, job] of jobs()) {
          assert.ok(svg.includes(`<g class="workload" data-name="${name}" data-tier="job">`), name);
          assert.ok(svg.includes(scheduleText(job.schedule).replace(/"/g, "&quot;")), `${name}'s schedule`);
        }
        assert.doesNotThrow(() => new Resvg(svg));
      });
    });
  }
});

describe("scheduled jobs: what alerts you, from the model", () => {
  for (const cloud of ["aws", "gcp", "digitalocean"] as const) {
    it(`${cloud}: without alarms.email, a failed or missed run alerts no one: a gap the summary says`, () => {
      const plan = modelPlan(example(cloud), { patch: { alarms: undefined } });
      assert.equal(plan.topology.alarms.email, undefined);
      assert.deepEqual(plan.summary.find((s) => s.topic === "Alerts"), {
        topic: "Alerts",
        text: "none: a failed or missed run of jobs housekeeping, heartbeat-report alerts no one; set alarms.email",
        rules: [],
        status: "gap",
      });
    });
  }

  it("names one job in the singular, and no Alerts line without a job", () => {
    const one = modelPlan(example("aws"), { patch: { workloads: { "heartbeat-report": undefined } } });
    assert.match(one.summary.find((s) => s.topic === "Alerts")!.text, / a run of job housekeeping fails/);
    const none = modelPlan(example("aws"), { patch: { workloads: { "heartbeat-report": undefined, housekeeping: undefined } } });
    assert.ok(!none.summary.some((s) => s.topic === "Alerts"), none.summary.map((s) => s.topic).join(", "));
  });
});

/** A string as a literal inside a regular expression. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
