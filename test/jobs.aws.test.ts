/**
 * Scheduled jobs on AWS (issue 16): what stacks/examples/Pulumi.aws-services.yaml with two
 * cron jobs registers under mocks. EventBridge Scheduler starts one Fargate task per tick
 * in the stack's jobs cluster; each job has its own task definition, log group, roles,
 * security group, schedule group and alarms. Also: the 5-field to EventBridge `cron()`
 * translation, and the pack on the result.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { RegisteredResource } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { eventBridgeCron } from "../components/platforms/aws/cronExpression";
import { caScript, fargateSize, guardScript, timeoutScript } from "../components/platforms/aws/jobs";
import { runPolicies } from "../policies/runner";
import { runStack, type Program } from "./programQueries";

const example = "stacks/examples/Pulumi.aws-services.yaml";

const T = {
  cluster: "aws:ecs/cluster:Cluster",
  task: "aws:ecs/taskDefinition:TaskDefinition",
  schedule: "aws:scheduler/schedule:Schedule",
  scheduleGroup: "aws:scheduler/scheduleGroup:ScheduleGroup",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  rule: "aws:cloudwatch/eventRule:EventRule",
  target: "aws:cloudwatch/eventTarget:EventTarget",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  topic: "aws:sns/topic:Topic",
  topicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  rds: "aws:rds/instance:Instance",
  secret: "aws:secretsmanager/secret:Secret",
  subnet: "aws:ec2/subnet:Subnet",
} as const;

/** The brief's two jobs: one using the database, one using nothing, overlapping by `replace`. */
const jobs = {
  housekeeping: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", command: ["alerta", "housekeeping"], schedule: "*/5 * * * *", timeoutSeconds: 600, uses: ["db"] },
  heartbeat: { kind: "cron", image: "busybox:1.36", command: ["sh", "-c", "date"], schedule: "* * * * *", concurrency: "replace", retries: 2, uses: [] },
};

/** The example with the two jobs added (the patch merges into the example's maps) and an alarm address. */
function patch(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { alarms: { email: "ops@example.com" }, workloads: jobs, ...extra };
}

/** The one resource of `type` named exactly `name`. */
function named(p: Program, type: string, name: string): RegisteredResource {
  const found = p.all(type).filter((r) => r.name === name);
  assert.equal(found.length, 1, `expected one ${type} named ${name}, found ${p.all(type).map((r) => r.name).join(", ") || "none"}`);
  return found[0];
}

interface Container {
  name: string;
  image: string;
  essential: boolean;
  command?: string[];
  entryPoint?: string[];
  environment?: { name: string; value: string }[];
  secrets?: { name: string; valueFrom: string }[];
  dependsOn?: { containerName: string; condition: string }[];
  stopTimeout?: number;
  logConfiguration: { logDriver: string; options: Record<string, string> };
}

function containers(p: Program, job: string): Container[] {
  return JSON.parse(named(p, T.task, `web-${job}-job`).inputs.containerDefinitions);
}

function container(p: Program, job: string, name: string): Container {
  const c = containers(p, job).find((x) => x.name === name);
  assert.ok(c, `${job} has a container ${name}`);
  return c;
}

interface Statement {
  sid: string;
  actions: string[];
  resources: string[];
  conditions?: { test: string; variable: string; values: string[] }[];
  principals?: { type: string; identifiers: string[] }[];
}

function statements(p: Program, name: string): Statement[] {
  return JSON.parse(named(p, T.rolePolicy, name).inputs.policy).statements;
}

function arnOf(p: Program, r: RegisteredResource): string {
  return p.state(r).arn;
}

describe("AWS platform: scheduled jobs (EventBridge Scheduler starting Fargate tasks)", function () {
  this.timeout(120000);
  let p: Program;
  before(async () => {
    p = await runStack(example, patch());
  });

  it("makes one ECS cluster for the stack's jobs, and none for a stack without jobs", async () => {
    const cluster = named(p, T.cluster, "web-jobs");
    assert.equal(p.all(T.cluster).length, 1);
    for (const job of ["housekeeping", "heartbeat"]) assert.equal(named(p, T.schedule, `web-${job}-job`).inputs.target.arn, arnOf(p, cluster));
    const plain = await runStack(example);
    assert.equal(plain.all(T.cluster).length, 0);
    assert.equal(plain.all(T.schedule).length, 0);
    assert.equal(plain.all(T.task).length, 0);
  });

  it("schedules each job once per tick: cron() translated, UTC, no flexible window, one Fargate task", () => {
    const expected: Record<string, string> = { housekeeping: "cron(0/5 * * * ? *)", heartbeat: "cron(* * * * ? *)" };
    for (const job of ["housekeeping", "heartbeat"]) {
      const s = named(p, T.schedule, `web-${job}-job`);
      assert.equal(s.inputs.scheduleExpression, expected[job]);
      assert.equal(s.inputs.scheduleExpressionTimezone, "UTC");
      assert.deepEqual(s.inputs.flexibleTimeWindow, { mode: "OFF" });
      assert.equal(s.inputs.state, "ENABLED");
      const ecs = s.inputs.target.ecsParameters;
      assert.equal(ecs.taskCount, 1);
      assert.equal(ecs.launchType, "FARGATE");
      assert.equal(ecs.taskDefinitionArn, arnOf(p, named(p, T.task, `web-${job}-job`)));
      assert.ok(p.links(s, "target", named(p, T.task, `web-${job}-job`)));
      assert.equal(s.inputs.groupName, p.state(named(p, T.scheduleGroup, `web-${job}-job`)).name);
      assert.equal(s.inputs.target.roleArn, arnOf(p, named(p, T.role, `web-${job}-job-scheduler`)));
    }
  });

  it("retries a failed start `retries` times within the retry window", () => {
    assert.deepEqual(named(p, T.schedule, "web-housekeeping-job").inputs.target.retryPolicy, { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 300 });
    assert.deepEqual(named(p, T.schedule, "web-heartbeat-job").inputs.target.retryPolicy, { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 300 });
  });

  it("runs in the private subnets with the job's own security group and no public address", () => {
    const privateIds = p.all(T.subnet).filter((s) => s.name.includes("private")).map((s) => p.id(s)).sort();
    for (const job of ["housekeeping", "heartbeat"]) {
      const net = named(p, T.schedule, `web-${job}-job`).inputs.target.ecsParameters.networkConfiguration;
      assert.deepEqual([...net.subnets].sort(), privateIds);
      assert.deepEqual(net.securityGroups, [p.id(named(p, T.sg, `web-${job}-nodes`))]);
      assert.equal(net.assignPublicIp, false);
    }
  });

  it("without NAT gateways runs where the workloads' nodes run: the public subnets, with a public address", async () => {
    const q = await runStack(example, patch({ network: { natGateways: "none" } }));
    const net = named(q, T.schedule, "web-heartbeat-job").inputs.target.ecsParameters.networkConfiguration;
    assert.equal(net.assignPublicIp, true);
    assert.ok(net.subnets.every((id: string) => id.includes("public")), net.subnets.join(","));
  });

  it("a Fargate task definition per job: awsvpc, its image and command, its size, stopTimeout, the role tag", () => {
    for (const [job, image, command] of [["housekeeping", "ghcr.io/acme/api:1.4.2", ["alerta", "housekeeping"]], ["heartbeat", "busybox:1.36", ["sh", "-c", "date"]]] as const) {
      const td = named(p, T.task, `web-${job}-job`);
      assert.equal(td.inputs.networkMode, "awsvpc");
      assert.deepEqual(td.inputs.requiresCompatibilities, ["FARGATE"]);
      assert.equal(td.inputs.cpu, "1024");
      assert.equal(td.inputs.memory, "2048");
      assert.equal(td.inputs.tags["ha-topology:role"], "cron");
      assert.equal(named(p, T.scheduleGroup, `web-${job}-job`).inputs.tags["ha-topology:role"], "cron");
      assert.equal(td.inputs.executionRoleArn, arnOf(p, named(p, T.role, `web-${job}-job-execution`)));
      assert.equal(td.inputs.taskRoleArn, arnOf(p, named(p, T.role, `web-${job}-job-task`)));
      const main = container(p, job, "job");
      assert.equal(main.image, image);
      assert.deepEqual(main.command, command);
      assert.equal(main.essential, true);
      assert.equal(main.stopTimeout, 30);
      assert.deepEqual(main.dependsOn, [{ containerName: "overlap-guard", condition: "SUCCESS" }]);
      assert.equal(named(p, T.schedule, `web-${job}-job`).inputs.target.ecsParameters.propagateTags, "TASK_DEFINITION");
    }
  });

  it("is killed at timeoutSeconds: an essential sidecar exits 124 after it, stopping the task", () => {
    const t = container(p, "housekeeping", "timeout");
    assert.equal(t.essential, true);
    assert.deepEqual(t.entryPoint, ["sh", "-c"]);
    assert.deepEqual(t.command, [timeoutScript(600)]);
    assert.match(t.command![0], /sleep 600 & wait; .*exit 124/);
    assert.match(container(p, "heartbeat", "timeout").command![0], /sleep 3600 /);
    assert.deepEqual(t.dependsOn, [{ containerName: "overlap-guard", condition: "SUCCESS" }]);
  });

  it("forbid skips a tick while the previous run goes on; replace stops the previous run", () => {
    const forbid = container(p, "housekeeping", "overlap-guard");
    assert.equal(forbid.essential, false);
    assert.deepEqual(forbid.command, [guardScript("forbid")]);
    assert.match(forbid.command![0], /--task "\$self" --reason "skipped/);
    assert.doesNotMatch(forbid.command![0], /--task "\$t"/);
    const replace = container(p, "heartbeat", "overlap-guard");
    assert.deepEqual(replace.command, [guardScript("replace")]);
    assert.match(replace.command![0], /--task "\$t" --reason "replaced by the next run"/);
    assert.doesNotMatch(replace.command![0], /--task "\$self"/);
    const env = Object.fromEntries(forbid.environment!.map((e) => [e.name, e.value]));
    assert.equal(env.CLUSTER, arnOf(p, named(p, T.cluster, "web-jobs")));
    assert.equal(env.FAMILY, named(p, T.task, "web-housekeeping-job").inputs.family);
    // The guard's grants: the jobs cluster's tasks only.
    for (const sid of ["OverlapGuardList", "OverlapGuardStop"]) {
      const s = statements(p, "web-housekeeping-job-task").find((x) => x.sid === sid)!;
      assert.deepEqual(s.conditions, [{ test: "ArnEquals", variable: "ecs:cluster", values: [arnOf(p, named(p, T.cluster, "web-jobs"))] }]);
    }
  });

  it("logs every container to the job's own log group, named like the workloads'", () => {
    for (const job of ["housekeeping", "heartbeat"]) {
      const group = named(p, T.logGroup, `web-${job}-logs`);
      assert.equal(group.inputs.name, `/ha-topology/test/web-${job}`);
      for (const c of containers(p, job)) {
        assert.equal(c.logConfiguration.logDriver, "awslogs");
        assert.equal(c.logConfiguration.options["awslogs-group"], group.inputs.name);
      }
    }
  });

  it("gets the workloads' bindings: plain variables plain, secret ones only through Secrets Manager ARNs", () => {
    const main = container(p, "housekeeping", "job");
    const plain = Object.fromEntries(main.environment!.map((e) => [e.name, e.value]));
    assert.equal(plain.DB_HOST, p.state(named(p, "aws:rds/instance:Instance", "web-db-db")).address);
    assert.equal(plain.DB_PORT, "5432");
    for (const name of ["DB_PASSWORD", "DB_USER", "DB_URL"]) assert.ok(!(name in plain), `${name} is not plain`);
    const credentials = arnOf(p, named(p, T.secret, "web-db-db-credentials"));
    const own = arnOf(p, named(p, T.secret, "web-housekeeping-env"));
    assert.deepEqual(main.secrets, [
      { name: "DB_PASSWORD", valueFrom: `${credentials}:password::` },
      { name: "DB_URL", valueFrom: `${own}:DB_URL::` },
      { name: "DB_USER", valueFrom: `${credentials}:username::` },
    ]);
    const text = named(p, T.task, "web-housekeeping-job").inputs.containerDefinitions as string;
    assert.doesNotMatch(text, /postgres(ql)?:\/\//);
    // A job using nothing gets no database variable and no secret.
    const heartbeat = container(p, "heartbeat", "job");
    assert.ok(!heartbeat.environment!.some((e) => e.name.startsWith("DB_")));
    assert.deepEqual(heartbeat.secrets, []);
  });

  it("its execution role reads its own secrets and writes its own log group only; the task role has only the buckets it uses", () => {
    const credentials = arnOf(p, named(p, T.secret, "web-db-db-credentials"));
    const own = arnOf(p, named(p, T.secret, "web-housekeeping-env"));
    const exec = statements(p, "web-housekeeping-job-execution");
    assert.deepEqual(exec.map((s) => s.sid), ["ReadOwnSecrets", "WriteOwnLogs"]);
    assert.deepEqual([...exec[0].resources].sort(), [credentials, own].sort());
    assert.deepEqual(exec[1].resources, [`${arnOf(p, named(p, T.logGroup, "web-housekeeping-logs"))}:*`]);
    assert.deepEqual(statements(p, "web-heartbeat-job-execution").map((s) => s.sid), ["WriteOwnLogs"]);
    for (const job of ["housekeeping", "heartbeat"]) {
      const task = statements(p, `web-${job}-job-task`);
      assert.deepEqual(task.map((s) => s.sid), ["OverlapGuardList", "OverlapGuardStop"], `${job} uses no bucket`);
      assert.ok(!task.some((s) => s.actions.some((a) => a.startsWith("s3:") || a.startsWith("secretsmanager:"))));
    }
    for (const job of ["housekeeping", "heartbeat"]) {
      const role = named(p, T.role, `web-${job}-job-task`);
      assert.deepEqual(role.inputs.assumeRolePolicy.Statement[0].Principal, { Service: "ecs-tasks.amazonaws.com" });
    }
  });

  it("a job using the bucket gets the bucket's grants on its task role, nothing more", async () => {
    const q = await runStack(example, patch({ workloads: { ...jobs, heartbeat: { ...jobs.heartbeat, uses: ["files"] } } }));
    const bucket = arnOf(q, named(q, "aws:s3/bucket:Bucket", "web-files-files"));
    const task = statements(q, "web-heartbeat-job-task");
    assert.deepEqual(task.map((s) => s.sid), ["ListOwnBucket", "UseOwnBucketObjects", "OverlapGuardList", "OverlapGuardStop"]);
    assert.deepEqual(task[0].resources, [bucket]);
    assert.deepEqual(task[1].resources, [`${bucket}/*`]);
  });

  it("its scheduler role may run only its task definition and pass only its two roles", () => {
    for (const job of ["housekeeping", "heartbeat"]) {
      const s = statements(p, `web-${job}-job-scheduler`);
      const run = s.find((x) => x.sid === "RunOwnTask")!;
      assert.deepEqual(run.actions, ["ecs:RunTask"]);
      assert.deepEqual(run.resources, [arnOf(p, named(p, T.task, `web-${job}-job`))]);
      const pass = s.find((x) => x.sid === "PassOwnRoles")!;
      assert.deepEqual(pass.actions, ["iam:PassRole"]);
      assert.deepEqual(pass.resources, [arnOf(p, named(p, T.role, `web-${job}-job-execution`)), arnOf(p, named(p, T.role, `web-${job}-job-task`))]);
      assert.deepEqual(s.map((x) => x.sid), ["RunOwnTask", "TagOwnRuns", "PassOwnRoles"]);
      assert.deepEqual(named(p, T.role, `web-${job}-job-scheduler`).inputs.assumeRolePolicy.Statement[0].Principal, { Service: "scheduler.amazonaws.com" });
    }
  });

  it("has a network path to what it uses only: egress to the database (and its ingress), HTTPS out, nothing in", () => {
    const dbGroup = p.all(T.sg).find((g) => g.name === "web-db-db")!;
    assert.ok(dbGroup, "the database's group");
    const out = named(p, T.egress, "web-housekeeping_uses_db-out");
    assert.equal(out.inputs.securityGroupId, p.id(named(p, T.sg, "web-housekeeping-nodes")));
    assert.equal(out.inputs.referencedSecurityGroupId, p.id(dbGroup));
    assert.equal(out.inputs.fromPort, 5432);
    const inn = named(p, T.ingress, "web-housekeeping_uses_db-in");
    assert.equal(inn.inputs.securityGroupId, p.id(dbGroup));
    assert.equal(inn.inputs.referencedSecurityGroupId, p.id(named(p, T.sg, "web-housekeeping-nodes")));
    const heartbeatGroup = p.id(named(p, T.sg, "web-heartbeat-nodes"));
    const heartbeatRules = [...p.all(T.egress), ...p.all(T.ingress)].filter((r) => r.inputs.securityGroupId === heartbeatGroup || r.inputs.referencedSecurityGroupId === heartbeatGroup);
    assert.ok(!heartbeatRules.some((r) => r.inputs.referencedSecurityGroupId === p.id(dbGroup) || r.inputs.securityGroupId === p.id(dbGroup)), "heartbeat has no path to db");
    assert.equal(named(p, T.egress, "web-heartbeat_https").inputs.fromPort, 443);
    assert.ok(!p.all(T.ingress).some((r) => r.inputs.securityGroupId === heartbeatGroup), "nothing comes in to a job");
  });

  it("raises failed, timed-out and missed runs to alarms.email", () => {
    const topic = p.all(T.topic);
    assert.equal(topic.length, 1);
    const topicArn = arnOf(p, topic[0]);
    const sub = p.all(T.subscription).find((s) => s.inputs.topic === topicArn)!;
    assert.equal(sub.inputs.endpoint, "ops@example.com");
    const clusterArn = arnOf(p, named(p, T.cluster, "web-jobs"));
    for (const job of ["housekeeping", "heartbeat"]) {
      const rule = named(p, T.rule, `web-${job}-job-failed`);
      const pattern = JSON.parse(rule.inputs.eventPattern);
      assert.deepEqual(pattern.source, ["aws.ecs"]);
      assert.deepEqual(pattern["detail-type"], ["ECS Task State Change"]);
      assert.deepEqual(pattern.detail.clusterArn, [clusterArn]);
      assert.deepEqual(pattern.detail.group, [`family:${named(p, T.task, `web-${job}-job`).inputs.family}`]);
      assert.deepEqual(pattern.detail.lastStatus, ["STOPPED"]);
      assert.deepEqual(pattern.detail.stoppedReason, [{ "anything-but": { prefix: "replaced by the next run" } }]);
      assert.deepEqual(pattern.detail.$or, [{ containers: { exitCode: [{ "anything-but": 0 }] } }, { stopCode: ["TaskFailedToStart"] }]);
      assert.equal(named(p, T.target, `web-${job}-job-failed`).inputs.arn, topicArn);
      const dropped = named(p, T.alarm, `web-${job}-job-dropped`);
      assert.equal(dropped.inputs.namespace, "AWS/Scheduler");
      assert.equal(dropped.inputs.metricName, "InvocationDroppedCount");
      assert.deepEqual(dropped.inputs.dimensions, { ScheduleGroup: p.state(named(p, T.scheduleGroup, `web-${job}-job`)).name });
      assert.deepEqual(dropped.inputs.alarmActions, [topicArn]);
    }
    const policy = JSON.parse(named(p, T.topicPolicy, "web-jobs-alarms-publishers").inputs.policy).statements as Statement[];
    const events = policy.find((s) => s.sid === "JobFailureRules")!;
    assert.deepEqual(events.principals, [{ type: "Service", identifiers: ["events.amazonaws.com"] }]);
    assert.deepEqual(events.conditions![0].values.sort(), ["housekeeping", "heartbeat"].map((j) => arnOf(p, named(p, T.rule, `web-${j}-job-failed`))).sort());
  });

  it("without alarms.email registers no alarm, rule or topic for the jobs", async () => {
    const q = await runStack(example, { workloads: jobs });
    assert.equal(q.all(T.rule).length, 0);
    assert.equal(q.all(T.topicPolicy).length, 0);
    assert.equal(q.all(T.schedule).length, 2);
  });

  it("refuses, before anything is registered, a schedule restricting both day of month and day of week", async () => {
    await assert.rejects(
      runStack(example, patch({ workloads: { ...jobs, nightly: { kind: "cron", image: "busybox:1.36", schedule: "0 3 1 * MON" } } })),
      /workloads\.nightly\.schedule: "0 3 1 \* MON" restricts both the day of month and the day of week/,
    );
  });

  it("finds no mandatory violation in the pack", async () => {
    const report = await runPolicies(stackResources(p.run));
    assert.deepEqual(report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy} @ ${v.resourceName}: ${v.message}`), []);
  });
});

/**
 * Runs a sidecar script under sh with fake `curl` (the task metadata endpoint) and `aws`
 * (list-tasks answers `running`; stop-task is logged, and stopping this very task sends
 * SIGTERM to the script, as ECS would).
 */
function runSidecar(script: string, running: string[]): { status: number | null; stdout: string; stops: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-guard-"));
  const self = "arn:aws:ecs:us-east-1:123456789012:task/web-jobs/self";
  fs.writeFileSync(path.join(dir, "curl"), `#!/bin/sh\necho '{"Cluster": "web-jobs", "TaskARN": "${self}", "Family": "f"}'\n`, { mode: 0o755 });
  fs.writeFileSync(
    path.join(dir, "aws"),
    [
      "#!/bin/sh",
      `case "$2" in list-tasks) echo '${running.join("\t") || "None"}' ;;`,
      `stop-task) echo "$6" >> "${dir}/stops"; if [ "$6" = "${self}" ]; then kill -TERM "$PPID"; fi ;; esac`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  const r = spawnSync("sh", ["-c", script], { env: { PATH: `${dir}:/usr/bin:/bin`, CLUSTER: "web-jobs", FAMILY: "f", ECS_CONTAINER_METADATA_URI_V4: "http://169.254.170.2/v4/x" }, encoding: "utf8", timeout: 20000 });
  const stops = fs.existsSync(path.join(dir, "stops")) ? fs.readFileSync(path.join(dir, "stops"), "utf8").trim().split("\n") : [];
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: r.status, stdout: r.stdout, stops };
}

describe("AWS: the jobs' sidecar scripts, run under sh", function () {
  this.timeout(30000);
  const self = "arn:aws:ecs:us-east-1:123456789012:task/web-jobs/self";
  const previous = "arn:aws:ecs:us-east-1:123456789012:task/web-jobs/previous";
  it("forbid, alone: lets the run start (exit 0), stops nothing", () => {
    const r = runSidecar(guardScript("forbid"), [self]);
    assert.equal(r.status, 0);
    assert.deepEqual(r.stops, []);
    assert.match(r.stdout, /no other run, starting/);
  });
  it("forbid, with the previous run going: stops its own task (the job never starts) and exits 0 (no alarm)", () => {
    const r = runSidecar(guardScript("forbid"), [previous, self]);
    assert.equal(r.status, 0);
    assert.deepEqual(r.stops, [self]);
    assert.match(r.stdout, /skipped: the previous run is still going/);
  });
  it("replace, with the previous run going: stops the previous run only, then lets this one start", () => {
    const r = runSidecar(guardScript("replace"), [previous, self]);
    assert.equal(r.status, 0);
    assert.deepEqual(r.stops, [previous]);
  });
  it("fails closed when it cannot list the runs", () => {
    const r = runSidecar(guardScript("forbid").replace("aws ecs list-tasks", "false"), [self]);
    assert.notEqual(r.status, 0);
  });
  it("the CA container fetches every CA file, and fails (the job never starts) at the first it cannot fetch", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ca-script-"));
    // A fake curl: logs its argv, fails for a URL with "missing" in it.
    fs.writeFileSync(path.join(dir, "curl"), `#!/bin/sh\necho "$@" >> "${dir}/calls"\ncase "$*" in *missing*) exit 22 ;; esac\n`, { mode: 0o755 });
    const run = (urls: string[]) => {
      fs.rmSync(path.join(dir, "calls"), { force: true });
      const script = caScript(urls.map((url, i) => ({ path: `/etc/ha-topology/ca/r${i}.pem`, url })));
      const r = spawnSync("sh", ["-c", script], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: "utf8", timeout: 20000 });
      return { status: r.status, calls: fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") : [] };
    };
    const ok = run(["https://a.example/one.pem", "https://b.example/two.pem"]);
    assert.equal(ok.status, 0);
    assert.deepEqual(ok.calls, [
      "--fail --silent --show-error --retry 5 --retry-connrefused --output /etc/ha-topology/ca/r0.pem https://a.example/one.pem",
      "--fail --silent --show-error --retry 5 --retry-connrefused --output /etc/ha-topology/ca/r1.pem https://b.example/two.pem",
    ]);
    const failed = run(["https://a.example/missing.pem", "https://b.example/two.pem"]);
    assert.notEqual(failed.status, 0);
    assert.equal(failed.calls.length, 1, "stops at the first failed download");
    fs.rmSync(dir, { recursive: true, force: true });
    assert.throws(() => caScript([{ path: "/etc/ha-topology/ca/x.pem", url: "https://a.example/$(reboot)" }]), /not a plain https URL/);
  });
  it("the timeout sidecar exits 124 at the timeout, 0 when stopped first", () => {
    assert.equal(spawnSync("sh", ["-c", timeoutScript(1)]).status, 124);
    const quoted = `'${timeoutScript(30).replace(/'/g, "'\\''")}'`;
    const child = spawnSync("sh", ["-c", `sh -c ${quoted} >/dev/null 2>&1 & pid=$!; sleep 1; kill -TERM $pid; wait $pid; echo "status=$?"`], { encoding: "utf8", timeout: 20000 });
    assert.match(child.stdout, /status=0/);
  });
});

describe("AWS: 5-field cron to EventBridge Scheduler's cron()", () => {
  const cases: [string, string][] = [
    ["*/5 * * * *", "cron(0/5 * * * ? *)"],
    ["* * * * *", "cron(* * * * ? *)"],
    ["0 3 * * *", "cron(0 3 * * ? *)"],
    ["30 2 * * 1-5", "cron(30 2 ? * 2-6 *)"],
    ["0 0 * * 0", "cron(0 0 ? * 1 *)"],
    ["0 0 * * 7", "cron(0 0 ? * 1 *)"],
    ["0 0 * * 5-7", "cron(0 0 ? * 1,6,7 *)"],
    ["0 0 * * */2", "cron(0 0 ? * 1/2 *)"],
    ["0 0 * * 0-6", "cron(0 0 ? * * *)"],
    ["0 */6 * * SUN,sat", "cron(0 0/6 ? * 1,7 *)"],
    ["0 0 1 JAN-MAR *", "cron(0 0 1 1-3 ? *)"],
    ["0 0 1,15 * *", "cron(0 0 1,15 * ? *)"],
    ["10-20/5 * * * *", "cron(10,15,20 * * * ? *)"],
    ["5-59/15 * * * *", "cron(5/15 * * * ? *)"],
    ["0 0 */2 * *", "cron(0 0 1/2 * ? *)"],
    ["15 4 * 2-12 *", "cron(15 4 * 2-12 ? *)"],
    ["0 9-17 * * *", "cron(0 9-17 * * ? *)"],
  ];
  for (const [unix, aws] of cases) {
    it(`${unix} -> ${aws}`, () => assert.equal(eventBridgeCron(unix), aws));
  }
  it("refuses both day fields restricted (cron's OR cannot be written with one ? field)", () => {
    assert.throws(() => eventBridgeCron("0 0 1 * 1"), /restricts both the day of month and the day of week/);
    assert.throws(() => eventBridgeCron("0 0 */2 * */2"), /restricts both/);
  });
  it("sizes Fargate tasks from the node sizes", () => {
    assert.deepEqual(fargateSize("t3.small"), { cpu: 1024, memory: 2048 });
    assert.deepEqual(fargateSize("t3.medium"), { cpu: 2048, memory: 4096 });
    assert.deepEqual(fargateSize("m6i.large"), { cpu: 2048, memory: 8192 });
    assert.deepEqual(fargateSize("m6i.4xlarge"), { cpu: 16384, memory: 65536 });
  });
});
