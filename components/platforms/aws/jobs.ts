/**
 * The scheduled jobs (`kind: cron`) on AWS: EventBridge Scheduler starts one ECS Fargate
 * task per tick in the stack's jobs cluster (one cluster, made only when the stack has
 * jobs). Scheduler is a regional, multi-zone service and Fargate places the task in any
 * of the workloads' subnets, so no node or zone of the stack is special: exactly one
 * RunTask per tick (taskCount 1, flexible time window OFF), still one when a zone is down.
 *
 * Each job gets what a workload using the same resources gets, and nothing more:
 * - its environment: plain variables in the task definition, secret ones through its
 *   `secrets` (Secrets Manager ARN and JSON key: the database's own credentials secret,
 *   the generated secret, the app secrets, and the job's own `<job>-env` secret for values
 *   composed from secrets), so no secret value is in the task definition or the state's
 *   inputs in plain;
 * - its own security group: out only HTTPS and one rule per database or cache it uses
 *   (with the matching ingress on the resource's group), nothing in;
 * - a task role with the buckets it uses only, and an execution role that may read only
 *   its secrets (and its registry credentials) and write only its own log group;
 * - its logs in its own CloudWatch log group, named like the workloads' groups.
 *
 * Overlap, timeout and retries, with an arbitrary image (no shell or CLI assumed in it):
 * the task has two small sidecars from the AWS CLI image next to the job's container.
 * - `overlap-guard` runs first (the job's container starts only after it exits 0): it
 *   lists the running tasks of the job's family in the cluster (ecs:ListTasks, allowed on
 *   the jobs cluster only). With `forbid`, when another run is still going it stops its
 *   own task (reason "skipped: ..."): the job's container never starts, no alarm. With
 *   `replace`, it stops the other runs (reason "replaced by ...") and lets this one start.
 *   When it cannot tell (an API error), it exits non-zero: the run does not start and the
 *   failure alarm fires (fail closed). Two ticks are at least a minute apart, so the check
 *   cannot race with itself; a run started by hand at the same second as a tick can.
 * - `timeout` is essential: it sleeps `timeoutSeconds` and exits 124, which stops the
 *   whole task (the job's container gets SIGTERM, then SIGKILL after `stopTimeout`); the
 *   exit counts as a failure (alarm). When the job ends first, the task stops it (exit 0).
 * - retries: the schedule's retry policy re-sends a RunTask that failed (throttling, no
 *   capacity, an API error) up to `retries` times; a run that started and exited non-zero
 *   is not started again by Scheduler: it raises the failure alarm.
 *
 * CA files: a job using a resource whose certificate a private CA signs (DocumentDB: the
 * Amazon RDS CA) gets the same `caFile` a workload's node downloads at boot. A third
 * small container, `ca-files` (same AWS CLI image, it has curl), runs first and fetches
 * each CA into the task's `ca` volume (Fargate ephemeral storage shared by the task's
 * containers), mounted read-only at `caDirectory` in the job's container, which starts
 * only when that download exited 0: a CA it cannot fetch is a failed run (alarm), not a
 * run that fails at its first connection. Without such a resource there is no container
 * and no volume, and the task definition is unchanged.
 *
 * Alarms (with `alarms.email`, on the stack's topic): an EventBridge rule on the job's
 * stopped tasks with a non-zero exit code or that failed to start, and a CloudWatch alarm
 * on the schedule group's dropped invocations (a tick whose RunTask failed every retry).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { roleTag } from "../../../contract/roles";
import type { BoundVariable, ComposeContext } from "../../compose";
import { logicalName } from "../../compose";
import { workloadPlatformEnv } from "../../appEnvironment";
import { caDirectory, caDownloadCommand, shellQuote, type CaDownload } from "../../bootstrap";
import type { CronWorkload } from "../../model/model";
import { jobSizes } from "../../jobSizes";
import { eventBridgeCron } from "./cronExpression";
import { JsonSecret } from "./jsonSecret";
import { appLogGroup } from "./logGroup";
import type { AwsFoundation, AwsResourceHandle } from "./platform";
import { imageAccess, plainValues, trustedProxyHops } from "./workloads";

/** The AWS CLI image the sidecars run (pinned; public, no credentials). */
export const sidecarImage = "public.ecr.aws/aws-cli/aws-cli:2.15.0";
/** The job's own container's name (the alarm rule and the guard refer to it). */
export const jobContainer = "job";
/** Seconds the job's container gets between SIGTERM and SIGKILL (Fargate allows at most 120). */
export const jobStopTimeoutSeconds = 30;
/** How long Scheduler keeps retrying a failed RunTask of one tick. */
export const retryWindowSeconds = 300;

// The Fargate sizes are the job size table's (jobSizes.ts), which the plan reads too.
export { fargateSize } from "../../jobSizes";

/** A name ECS accepts for a task definition family: letters, digits, `-` and `_`, at most 255. */
export function familyName(project: string, stack: string, logical: string): string {
  return `${project}-${stack}-${logical}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 255);
}

/** The guard's shell script (sh in the AWS CLI image; CLUSTER, FAMILY and the ECS metadata endpoint in its environment). */
export function guardScript(concurrency: CronWorkload["concurrency"]): string {
  const self = `self=$(curl -fsS "$ECS_CONTAINER_METADATA_URI_V4/task" | sed -n 's/.*"TaskARN" *: *"\\([^"]*\\)".*/\\1/p') && [ -n "$self" ] || { echo "overlap-guard: cannot read this task's ARN"; exit 1; }`;
  const list = `running=$(aws ecs list-tasks --cluster "$CLUSTER" --family "$FAMILY" --desired-status RUNNING --query 'taskArns' --output text) || { echo "overlap-guard: cannot list the running runs"; exit 1; }`;
  const others = `others=$(for t in $running; do [ "$t" = "$self" ] || [ "$t" = None ] || echo "$t"; done)`;
  const act =
    concurrency === "forbid"
      ? `if [ -n "$others" ]; then echo "skipped: the previous run is still going ($others)"; trap 'exit 0' TERM; aws ecs stop-task --cluster "$CLUSTER" --task "$self" --reason "skipped: the previous run is still going" >/dev/null || exit 1; sleep 600 & wait; exit 0; fi; echo "overlap-guard: no other run, starting"`
      : `for t in $others; do echo "replacing $t"; aws ecs stop-task --cluster "$CLUSTER" --task "$t" --reason "replaced by the next run" >/dev/null || exit 1; done; echo "overlap-guard: starting"`;
  return `set -u; ${self}; ${list}; ${others}; ${act}`;
}

/** The timeout sidecar's script: exit 124 after the job's timeout (it is essential: the task stops), 0 when stopped first. */
export function timeoutScript(timeoutSeconds: number): string {
  return `trap 'exit 0' TERM; sleep ${timeoutSeconds} & wait; echo "timed out after ${timeoutSeconds}s: stopping the run"; exit 124`;
}

/** The CA container's name (the job's container starts after it succeeded). */
export const caContainer = "ca-files";
/** The task volume the CA files are written to. */
export const caVolume = "ca";

/** The CA container's shell script: each download in turn, stopping at the first that fails (non-zero exit). */
export function caScript(downloads: readonly CaDownload[]): string {
  return ["set -e", ...downloads.map((d) => caDownloadCommand(d).map(shellQuote).join(" ")), `echo "ca-files: ${downloads.length} CA file(s) in ${caDirectory}"`].join("\n");
}

/** What job() returns. */
export interface AwsJob {
  /** The schedule. */
  schedule: aws.scheduler.Schedule;
  /** Its schedule group (the dropped-invocations alarm's dimension). */
  scheduleGroup: aws.scheduler.ScheduleGroup;
  /** The task definition's family. */
  family: string;
  /** The cluster the runs start in. */
  clusterArn: pulumi.Output<string>;
  /** The job's name. */
  name: string;
  /** The logical name prefix. */
  logical: string;
}

/** One secret variable as the task definition's `secrets` entry, and which secret it reads. */
interface SecretRef {
  name: string;
  arn: pulumi.Output<string>;
  key: string;
}

/** Where each secret variable comes from, as a workload reads it; the rest in the job's own secret. */
function secretRefs(logical: string, job: string, secret: readonly BoundVariable[], uses: readonly AwsResourceHandle[], f: AwsFoundation): SecretRef[] {
  const refs: SecretRef[] = [];
  const rest: BoundVariable[] = [];
  for (const v of secret) {
    const s = v.source;
    if ("resource" in s) {
      const handle = uses.find((h) => h.resource.name === s.resource);
      const key = handle?.stored && Object.keys(handle.stored.fields).find((k) => handle.stored!.fields[k] === s.field);
      if (handle?.stored && key) {
        refs.push({ name: v.name, arn: handle.stored.arn, key });
        continue;
      }
    } else if ("appSecret" in s && f.appSecrets) {
      refs.push({ name: v.name, arn: f.appSecrets.arn, key: s.appSecret });
      continue;
    }
    rest.push(v);
  }
  if (rest.length > 0) {
    const own = new JsonSecret(`${logical}-env`, {
      description: `Secret variables of the scheduled job ${job}, read by ECS when a run starts`,
      values: Object.fromEntries(rest.map((v) => [v.name, v.value])),
      tags: f.tags,
    }, f.opts);
    for (const v of rest) refs.push({ name: v.name, arn: own.arn, key: v.name });
  }
  return refs;
}

/** Builds one job: log group, roles, task definition, schedule group and schedule. */
export function buildJob(ctx: ComposeContext, f: AwsFoundation, w: CronWorkload, env: BoundVariable[], uses: AwsResourceHandle[]): AwsJob {
  const { topology } = ctx;
  const { tags, opts, network } = f;
  const cluster = f.jobCluster!;
  const logical = logicalName(ctx, w);
  const family = familyName(pulumi.getProject(), pulumi.getStack(), logical);
  const roleTags = { ...tags, [roleTag]: "cron" };
  const logGroup = appLogGroup(logical, topology.logs.retentionDays, tags, opts);
  const refs = secretRefs(logical, w.name, env.filter((v) => v.secret), uses, f);
  const { statements: ecrStatements, registrySecret } = imageAccess(w.image, f, ctx.parent);
  const secretArns = [...new Set([...refs.map((r) => r.arn), ...(registrySecret ? [registrySecret.arn] : [])])];

  const ecsTasks = aws.iam.assumeRolePolicyForPrincipal({ Service: "ecs-tasks.amazonaws.com" });
  const execution = new aws.iam.Role(`${logical}-job-execution`, {
    assumeRolePolicy: ecsTasks,
    description: `ECS starting the job ${w.name}: its image, its secrets and its log group only`,
    tags,
  }, opts);
  new aws.iam.RolePolicy(`${logical}-job-execution`, {
    role: execution.id,
    policy: aws.iam.getPolicyDocumentOutput({
      statements: [
        ...(secretArns.length > 0 ? [{ sid: "ReadOwnSecrets", actions: ["secretsmanager:GetSecretValue"], resources: secretArns }] : []),
        { sid: "WriteOwnLogs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [pulumi.interpolate`${logGroup.arn}:*`] },
        ...ecrStatements,
      ],
    }, opts).json,
  }, opts);

  const bucketArns = uses.flatMap((r) => (r.bucketArn ? [r.bucketArn] : []));
  const onCluster = [{ test: "ArnEquals", variable: "ecs:cluster", values: [cluster.arn] }];
  const task = new aws.iam.Role(`${logical}-job-task`, {
    assumeRolePolicy: ecsTasks,
    description: `Runs of the job ${w.name}: the buckets it uses only, and its overlap guard`,
    tags,
  }, opts);
  new aws.iam.RolePolicy(`${logical}-job-task`, {
    role: task.id,
    policy: aws.iam.getPolicyDocumentOutput({
      statements: [
        ...(bucketArns.length > 0
          ? [
              { sid: "ListOwnBucket", actions: ["s3:ListBucket", "s3:ListBucketVersions"], resources: bucketArns },
              {
                sid: "UseOwnBucketObjects",
                actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                resources: bucketArns.map((arn) => pulumi.interpolate`${arn}/*`),
              },
            ]
          : []),
        // The overlap guard: the runs in the stack's jobs cluster only (these actions take
        // the cluster as a condition; ListTasks has no resource ARN).
        { sid: "OverlapGuardList", actions: ["ecs:ListTasks"], resources: ["*"], conditions: onCluster },
        { sid: "OverlapGuardStop", actions: ["ecs:StopTask"], resources: ["*"], conditions: onCluster },
      ],
    }, opts).json,
  }, opts);

  const { cpu, memory } = jobSizes.aws.run(w.size);
  const withCa = uses.filter((r) => r.caDownload);
  const downloads = pulumi.all(withCa.map((r) => r.caDownload!.url.apply((url) => ({ path: r.caDownload!.path, url }))));
  const containers = pulumi
    .all([f.region, logGroup.name, plainValues(env.filter((v) => !v.secret)), cluster.arn, pulumi.all(refs.map((r) => r.arn)), registrySecret ? registrySecret.arn : pulumi.output<string | undefined>(undefined), downloads])
    .apply(([region, group, plain, clusterArn, secrets, registry, cas]) => {
      const x = { region, group, plain, clusterArn, secrets: secrets as string[], registry, cas: cas as CaDownload[] };
      const logs = (prefix: string) => ({ logDriver: "awslogs", options: { "awslogs-region": x.region, "awslogs-group": x.group, "awslogs-stream-prefix": prefix } });
      const afterGuard = [{ containerName: "overlap-guard", condition: "SUCCESS" }];
      const hasCa = x.cas.length > 0;
      const environment = Object.entries({ ...x.plain, ...workloadPlatformEnv(w, trustedProxyHops) })
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, value]) => ({ name, value }));
      return JSON.stringify([
        {
          name: "overlap-guard",
          image: sidecarImage,
          essential: false,
          entryPoint: ["sh", "-c"],
          command: [guardScript(w.concurrency)],
          environment: [{ name: "CLUSTER", value: x.clusterArn }, { name: "FAMILY", value: family }],
          logConfiguration: logs("overlap-guard"),
        },
        {
          name: "timeout",
          image: sidecarImage,
          essential: true,
          entryPoint: ["sh", "-c"],
          command: [timeoutScript(w.timeoutSeconds)],
          dependsOn: afterGuard,
          logConfiguration: logs("timeout"),
        },
        ...(hasCa
          ? [{
              name: caContainer,
              image: sidecarImage,
              essential: false,
              entryPoint: ["sh", "-c"],
              command: [caScript(x.cas)],
              mountPoints: [{ sourceVolume: caVolume, containerPath: caDirectory, readOnly: false }],
              logConfiguration: logs(caContainer),
            }]
          : []),
        {
          name: jobContainer,
          image: w.image,
          essential: true,
          ...(w.command && { command: w.command }),
          environment,
          secrets: refs.map((r, i) => ({ name: r.name, valueFrom: `${x.secrets[i]}:${r.key}::` })).sort((a, b) => a.name.localeCompare(b.name)),
          ...(x.registry && { repositoryCredentials: { credentialsParameter: x.registry } }),
          ...(hasCa && { mountPoints: [{ sourceVolume: caVolume, containerPath: caDirectory, readOnly: true }] }),
          dependsOn: hasCa ? [...afterGuard, { containerName: caContainer, condition: "SUCCESS" }] : afterGuard,
          stopTimeout: jobStopTimeoutSeconds,
          logConfiguration: logs(jobContainer),
        },
      ]);
    });
  const taskDefinition = new aws.ecs.TaskDefinition(`${logical}-job`, {
    family,
    requiresCompatibilities: ["FARGATE"],
    networkMode: "awsvpc",
    cpu: String(cpu),
    memory: String(memory),
    runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: "X86_64" },
    executionRoleArn: execution.arn,
    taskRoleArn: task.arn,
    containerDefinitions: containers,
    // Ephemeral task storage the CA container writes and the job's container reads.
    ...(withCa.length > 0 && { volumes: [{ name: caVolume }] }),
    tags: roleTags,
  }, opts);

  const scheduler = new aws.iam.Role(`${logical}-job-scheduler`, {
    assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "scheduler.amazonaws.com" }),
    description: `EventBridge Scheduler starting the job ${w.name}: its task definition only`,
    tags,
  }, opts);
  new aws.iam.RolePolicy(`${logical}-job-scheduler`, {
    role: scheduler.id,
    policy: aws.iam.getPolicyDocumentOutput({
      statements: [
        { sid: "RunOwnTask", actions: ["ecs:RunTask"], resources: [taskDefinition.arn], conditions: onCluster },
        // RunTask with tags (the role tag, propagated from the task definition) needs TagResource at creation.
        { sid: "TagOwnRuns", actions: ["ecs:TagResource"], resources: ["*"], conditions: [...onCluster, { test: "StringEquals", variable: "ecs:CreateAction", values: ["RunTask"] }] },
        { sid: "PassOwnRoles", actions: ["iam:PassRole"], resources: [execution.arn, task.arn], conditions: [{ test: "StringEquals", variable: "iam:PassedToService", values: ["ecs-tasks.amazonaws.com"] }] },
      ],
    }, opts).json,
  }, opts);

  const scheduleGroup = new aws.scheduler.ScheduleGroup(`${logical}-job`, { tags: roleTags }, opts);
  const schedule = new aws.scheduler.Schedule(`${logical}-job`, {
    description: `The job ${w.name}: ${w.schedule} (UTC), concurrency ${w.concurrency}, killed after ${w.timeoutSeconds}s`,
    groupName: scheduleGroup.name,
    scheduleExpression: eventBridgeCron(w.schedule),
    scheduleExpressionTimezone: "UTC",
    flexibleTimeWindow: { mode: "OFF" },
    state: "ENABLED",
    target: {
      arn: cluster.arn,
      roleArn: scheduler.arn,
      ecsParameters: {
        taskDefinitionArn: taskDefinition.arn,
        launchType: "FARGATE",
        taskCount: 1,
        platformVersion: "LATEST",
        propagateTags: "TASK_DEFINITION",
        enableEcsManagedTags: true,
        networkConfiguration: {
          subnets: network.nodeSubnetIds,
          securityGroups: [f.nodeGroups.get(w.name)!],
          // As the workloads' nodes: without NAT gateways they sit in the public subnets
          // with a public address (their group admits nothing in); else private, no address.
          assignPublicIp: topology.network.natGateways === "none",
        },
      },
      retryPolicy: { maximumRetryAttempts: w.retries, maximumEventAgeInSeconds: retryWindowSeconds },
    },
  }, opts);
  return { schedule, scheduleGroup, family, clusterArn: cluster.arn, name: w.name, logical };
}

/** Arguments of JobAlarms. */
export interface JobAlarmsArgs {
  /** The stack's alarm topic. */
  topicArn: pulumi.Output<string>;
  /** Every job of the stack. */
  jobs: AwsJob[];
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/**
 * The failed and missed runs of every job, to the stack's alarm topic: one EventBridge rule
 * per job on its stopped tasks (a non-zero exit, the timeout's 124 included, or a task that
 * failed to start; a run stopped by `replace` is not a failure), one CloudWatch alarm per
 * job on its schedule group's dropped invocations, and the topic policy that lets
 * EventBridge publish (for those rules only) besides the account's own alarms.
 */
export class JobAlarms extends pulumi.ComponentResource {
  constructor(name: string, args: JobAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:JobAlarms", name, {}, opts);
    const parent = { parent: this };
    const { tags, topicArn } = args;
    const rules = args.jobs.map((job) => {
      const rule = new aws.cloudwatch.EventRule(`${job.logical}-job-failed`, {
        description: `A run of the job ${job.name} failed, timed out or did not start`,
        eventPattern: job.clusterArn.apply((clusterArn) =>
          JSON.stringify({
            source: ["aws.ecs"],
            "detail-type": ["ECS Task State Change"],
            detail: {
              clusterArn: [clusterArn],
              group: [`family:${job.family}`],
              lastStatus: ["STOPPED"],
              stoppedReason: [{ "anything-but": { prefix: "replaced by the next run" } }],
              $or: [{ containers: { exitCode: [{ "anything-but": 0 }] } }, { stopCode: ["TaskFailedToStart"] }],
            },
          }),
        ),
        tags,
      }, parent);
      new aws.cloudwatch.EventTarget(`${job.logical}-job-failed`, { rule: rule.name, arn: topicArn }, parent);
      new aws.cloudwatch.MetricAlarm(`${job.logical}-job-dropped`, {
        alarmDescription: `A tick of the job ${job.name} was missed: EventBridge Scheduler could not start its run after every retry`,
        namespace: "AWS/Scheduler",
        metricName: "InvocationDroppedCount",
        dimensions: { ScheduleGroup: job.scheduleGroup.name },
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        treatMissingData: "notBreaching",
        alarmActions: [topicArn],
        tags,
      }, parent);
      return rule;
    });
    const account = aws.getCallerIdentityOutput({}, parent).accountId;
    new aws.sns.TopicPolicy(`${name}-alarms-publishers`, {
      arn: topicArn,
      policy: aws.iam.getPolicyDocumentOutput({
        statements: [
          // The default policy of a topic: the account's own principals and services (its CloudWatch alarms).
          {
            sid: "AccountOwner",
            principals: [{ type: "AWS", identifiers: ["*"] }],
            actions: ["SNS:Publish", "SNS:Subscribe", "SNS:Receive", "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:ListSubscriptionsByTopic"],
            resources: [topicArn],
            conditions: [{ test: "StringEquals", variable: "AWS:SourceOwner", values: [account] }],
          },
          {
            sid: "JobFailureRules",
            principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
            actions: ["sns:Publish"],
            resources: [topicArn],
            conditions: [{ test: "ArnEquals", variable: "aws:SourceArn", values: rules.map((r) => r.arn) }],
          },
        ],
      }, parent).json,
    }, parent);
    this.registerOutputs({});
  }
}
