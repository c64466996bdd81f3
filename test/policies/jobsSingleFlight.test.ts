/**
 * jobs-single-flight on each cloud's scheduler: a passing stack with scheduled jobs (the
 * cloud's passing fixture plus its jobs), and copies with one property broken, which this
 * rule (and no other mandatory rule) must report. The compute groups tagged `cron` are in
 * roles.test.ts; the CronJob breaks of the Kubernetes fixture run in rules.test.ts.
 */
import { strict as assert } from "node:assert";
import { minimumInterval } from "../../policies/rules/jobsSingleFlight";
import { runPolicies, type PolicyReport } from "../../policies/runner";
import { awsEcsFixture } from "./fixtures/awsEcs";
import { build, copy, find, ref, set, type Break, type Spec } from "./fixtures/builder";
import { gcpFixture } from "./fixtures/gcp";
import { kubernetesFixture } from "./fixtures/kubernetes";

const rule = "jobs-single-flight";

function summary(report: PolicyReport): string {
  return report.violations.map((v) => `  [${v.level}] ${v.policy} @ ${v.resourceName ?? "stack"}: ${v.message}`).join("\n") || "  (none)";
}

/** AWS: an EventBridge Scheduler schedule and an EventBridge rule + target, each starting one Fargate task of its own task definition. */
const aws: Spec[] = [
  ...copy(awsEcsFixture.passing),
  { type: "aws:ecs/taskDefinition:TaskDefinition", name: "housekeeping-task", props: { family: "housekeeping", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512" } },
  {
    type: "aws:scheduler/schedule:Schedule",
    name: "housekeeping",
    props: {
      scheduleExpression: "cron(0 * * * ? *)",
      scheduleExpressionTimezone: "Etc/UTC",
      flexibleTimeWindow: { mode: "OFF" },
      target: {
        arn: ref("cluster", "arn:aws:ecs:eu-west-1:123456789012:cluster/cluster"),
        roleArn: "arn:aws:iam::123456789012:role/scheduler",
        ecsParameters: {
          taskDefinitionArn: ref("housekeeping-task", "arn:aws:ecs:eu-west-1:123456789012:task-definition/housekeeping:1"),
          launchType: "FARGATE",
          networkConfiguration: { subnets: [ref("private-a"), ref("private-b")], securityGroups: [ref("task-sg")], assignPublicIp: false },
        },
      },
    },
  },
  { type: "aws:cloudwatch/eventRule:EventRule", name: "heartbeat", props: { name: "heartbeat", scheduleExpression: "rate(5 minutes)" } },
  {
    type: "aws:cloudwatch/eventTarget:EventTarget",
    name: "heartbeat-task",
    props: {
      rule: ref("heartbeat", "heartbeat"),
      arn: ref("cluster", "arn:aws:ecs:eu-west-1:123456789012:cluster/cluster"),
      roleArn: "arn:aws:iam::123456789012:role/events",
      ecsTarget: {
        taskDefinitionArn: ref("housekeeping-task", "arn:aws:ecs:eu-west-1:123456789012:task-definition/housekeeping:1"),
        taskCount: 1,
        launchType: "FARGATE",
        networkConfiguration: { subnets: [ref("private-a"), ref("private-b")], securityGroups: [ref("task-sg")], assignPublicIp: false },
      },
    },
  },
];

/** GCP: Cloud Scheduler starting a Cloud Run job every 15 minutes; an execution lasts at most 300 s × 2 attempts. */
const gcp: Spec[] = [
  ...copy(gcpFixture.passing),
  {
    type: "gcp:cloudrunv2/job:Job",
    name: "housekeeping",
    props: {
      name: "housekeeping",
      location: "europe-west1",
      template: { taskCount: 1, template: { timeout: "300s", maxRetries: 1, containers: [{ image: "ghcr.io/acme/housekeeping:1.0" }], vpcAccess: { egress: "PRIVATE_RANGES_ONLY" } } },
    },
  },
  {
    type: "gcp:cloudscheduler/job:Job",
    name: "housekeeping-schedule",
    props: {
      region: "europe-west1",
      schedule: "*/15 * * * *",
      timeZone: "Etc/UTC",
      // A Pulumi program interpolates the job's name: the engine records the dependency.
      httpTarget: { httpMethod: "POST", uri: ref("housekeeping", "https://run.googleapis.com/v2/projects/acme/locations/europe-west1/jobs/housekeeping:run"), oauthToken: { serviceAccountEmail: "scheduler@acme.iam.gserviceaccount.com" } },
    },
  },
];

const awsBreaks: Break[] = [
  { rule, what: "a schedule that starts two ECS tasks per tick (ecsParameters.taskCount 2)", apply: (s) => set(s, "housekeeping", "target.ecsParameters.taskCount", 2) },
  { rule, what: "an EventBridge rule target that starts three ECS tasks per tick (ecsTarget.taskCount 3)", apply: (s) => set(s, "heartbeat-task", "ecsTarget.taskCount", 3) },
];

const gcpBreaks: Break[] = [
  { rule, what: "a scheduled Cloud Run job of two tasks per execution (template.taskCount 2)", apply: (s) => set(s, "housekeeping", "template.taskCount", 2) },
  { rule, what: "a scheduled Cloud Run job with parallel tasks (taskCount 4, parallelism 4)", apply: (s) => (set(s, "housekeeping", "template.taskCount", 4), set(s, "housekeeping", "template.parallelism", 4)) },
  { rule, what: "a Cloud Run job left at the default timeout (600 s × 2 attempts outlasts a 15-minute schedule)", apply: (s) => set(s, "housekeeping", "template.template.timeout", undefined) },
  { rule, what: "a schedule closer than an execution can last (every 5 minutes, 300 s × 2 attempts)", apply: (s) => set(s, "housekeeping-schedule", "schedule", "*/5 * * * *") },
];

for (const [cloud, passing, breaks] of [["aws (EventBridge Scheduler, EventBridge rule -> ECS)", aws, awsBreaks], ["gcp (Cloud Scheduler -> Cloud Run job)", gcp, gcpBreaks]] as const) {
  describe(`jobs-single-flight on ${cloud}`, () => {
    it("passes the stack with its scheduled jobs, with no violation at all", async () => {
      const report = await runPolicies(build(passing));
      assert.deepEqual(report.violations, [], summary(report));
      assert.ok(!report.notApplicable.some((n) => n.policy === rule), "the rule judged the jobs");
    });

    it("finds the jobs by value too (no property dependencies: an imported or external stack)", async () => {
      const report = await runPolicies(build(passing).map((r) => ({ ...r, propertyDependencies: {}, dependencies: [] })));
      assert.deepEqual(report.violations, [], summary(report));
      assert.ok(!report.notApplicable.some((n) => n.policy === rule));
    });

    for (const broken of breaks) {
      it(`catches ${broken.what}`, async () => {
        for (const withDependencies of [true, false]) {
          const specs = copy(passing);
          broken.apply(specs);
          const resources = build(specs).map((r) => (withDependencies ? r : { ...r, propertyDependencies: {}, dependencies: [] }));
          const report = await runPolicies(resources);
          const byRule = report.violations.filter((v) => v.policy === rule);
          assert.ok(byRule.length > 0 && byRule.every((v) => v.level === "mandatory" && v.urn && v.message.length > 40), summary(report));
          assert.deepEqual(report.violations.filter((v) => v.policy !== rule), [], `other rules fired too:\n${summary(report)}`);
        }
      });
    }
  });
}

describe("jobs-single-flight: what it does not report", () => {
  it("AWS: one ECS task per tick passes, taskCount left out (the default, 1) too", async () => {
    const specs = copy(aws);
    set(specs, "heartbeat-task", "ecsTarget.taskCount", undefined);
    assert.deepEqual((await runPolicies(build(specs))).violations, []);
  });

  it("AWS: an EventBridge rule that fires on events, not on a schedule, is not a scheduled job", async () => {
    const specs = copy(aws);
    set(specs, "heartbeat", "scheduleExpression", undefined);
    set(specs, "heartbeat", "eventPattern", JSON.stringify({ source: ["aws.s3"] }));
    set(specs, "heartbeat-task", "ecsTarget.taskCount", 3);
    assert.deepEqual((await runPolicies(build(specs))).violations, []);
  });

  it("AWS: a target of a rule the stack does not define (it may match events) is not judged", async () => {
    const specs = copy(aws);
    set(specs, "heartbeat-task", "rule", "someone-elses-rule");
    set(specs, "heartbeat-task", "ecsTarget.taskCount", 3);
    assert.deepEqual((await runPolicies(build(specs))).violations, []);
  });

  it("GCP: Cloud Scheduler retries (retryConfig) retry a start that failed: not judged; no retry config is fine", async () => {
    const specs = copy(gcp);
    set(specs, "housekeeping-schedule", "retryConfig", { retryCount: 3, minBackoffDuration: "10s" });
    assert.deepEqual((await runPolicies(build(specs))).violations, []);
  });

  it("GCP: a Cloud Run job of several tasks that no scheduler starts is a batch job, not judged", async () => {
    const specs = copy(gcp);
    set(specs, "housekeeping-schedule", "httpTarget.uri", "https://example.com/ping");
    set(specs, "housekeeping", "template.taskCount", 8);
    const report = await runPolicies(build(specs).map((r) => ({ ...r, propertyDependencies: {}, dependencies: [] })));
    assert.deepEqual(report.violations, []);
    assert.ok(report.notApplicable.some((n) => n.policy === rule));
  });

  it("GCP: a daily job passes at Cloud Run's defaults (600 s × 4 attempts)", async () => {
    const specs = copy(gcp);
    set(specs, "housekeeping-schedule", "schedule", "30 2 * * *");
    set(specs, "housekeeping", "template.template", { containers: [{ image: "ghcr.io/acme/housekeeping:1.0" }] });
    assert.deepEqual((await runPolicies(build(specs))).violations, []);
    set(specs, "housekeeping-schedule", "schedule", "*/30 * * * *");
    assert.match((await runPolicies(build(specs))).violations.map((v) => v.message).join("\n"), /can last 40 minute\(s\).*defaults are 600s and 3 retries/);
  });

  it("Kubernetes: Replace needs no activeDeadlineSeconds (the next tick replaces a hung run); startingDeadlineSeconds is not judged", async () => {
    const specs = copy(kubernetesFixture.passing);
    set(specs, "nightly", "spec.concurrencyPolicy", "Replace");
    set(specs, "nightly", "spec.jobTemplate.spec.activeDeadlineSeconds", undefined);
    set(specs, "nightly", "spec.startingDeadlineSeconds", undefined);
    assert.deepEqual((await runPolicies(build(specs))).violations, []);
  });

  it("Kubernetes: a pod-level activeDeadlineSeconds also ends a run; completions 3 runs the job three times per tick", async () => {
    const specs = copy(kubernetesFixture.passing);
    set(specs, "nightly", "spec.jobTemplate.spec.activeDeadlineSeconds", undefined);
    set(specs, "nightly", "spec.jobTemplate.spec.template.spec.activeDeadlineSeconds", 600);
    assert.deepEqual((await runPolicies(build(specs))).violations, []);
    set(specs, "nightly", "spec.jobTemplate.spec.completions", 3);
    assert.deepEqual((await runPolicies(build(specs))).violations.map((v) => v.policy), [rule]);
  });

  it("Kubernetes: judges a batch/v1beta1 CronJob (older clusters) the same way", async () => {
    const specs = copy(kubernetesFixture.passing);
    find(specs, "nightly").type = "kubernetes:batch/v1beta1:CronJob";
    assert.deepEqual((await runPolicies(build(specs))).violations, []);
    set(specs, "nightly", "spec.concurrencyPolicy", undefined);
    assert.deepEqual((await runPolicies(build(specs))).violations.map((v) => v.policy), [rule]);
  });
});

describe("jobs-single-flight: the shortest interval of a cron schedule", () => {
  for (const [schedule, minutes] of [
    ["* * * * *", 1],
    ["*/5 * * * *", 5],
    ["0,30 * * * *", 30],
    ["0 * * * *", 60],
    ["15 3 * * *", 1440],
    ["0 9-17/4 * * 1-5", 240],
    ["0 0 * * sun", 7 * 1440],
    ["0 0 1 * *", 28 * 1440],
    ["0 0 1,15 * 7", 1440],
    ["0 12 * JAN,JUL *", 1440],
  ] as const) {
    it(`"${schedule}": ${minutes} minute(s)`, () => assert.equal(minimumInterval(schedule), minutes * 60));
  }
  it("gives up on what it does not read (App Engine syntax, six fields, bad ranges)", () => {
    for (const s of ["every 5 minutes", "0 0 * * * *", "61 * * * *", "*/0 * * * *", undefined]) assert.equal(minimumInterval(s), undefined, String(s));
  });
});
