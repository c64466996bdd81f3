/**
 * One scheduled job on GCP (compose.ts `Platform.job`): a Cloud Run job that runs the
 * job's container once per execution, started by a Cloud Scheduler job on the schedule.
 * Both are regional, Google-run services spread over the region's zones: no node of the
 * stack fires the schedule, so there is one start per tick whatever the node count, and
 * still one when a node or a zone is down.
 *
 * The Cloud Run job: one task (`taskCount` 1, `parallelism` 1), killed at
 * `timeoutSeconds` (the task timeout, per attempt), started again up to `retries` times
 * when it fails (`maxRetries`); the job's `command` is the container's `args` (the list
 * after the image replaces the image's CMD and keeps its ENTRYPOINT, as `docker run` and
 * the workloads' nodes do); CPU and memory from its size. It egresses into the stack's
 * subnet (Direct VPC egress, private ranges only) with its own network tag, so the data
 * firewall (dataAccess.ts) opens to it exactly the databases and caches it uses and
 * denies it the others, as for a workload's nodes.
 *
 * Its identity: its own service account, granted object read/write on the buckets it
 * uses and read on its secrets (and on its CA files' secret), nothing else. Cloud Run takes a secret variable from a
 * whole Secret Manager secret (no key of a JSON document), so each secret variable of
 * the job is its own secret, holding the same value the workload's nodes read from the
 * resource's JSON secret; it is pinned to its version (a new value is a new version,
 * hence a new job template). Plain values are plain. The CA certificate of each resource
 * it uses whose certificate a private CA signs (Memorystore's, for a valkey queue) is a
 * file at `caFilePath(<resource>)`, where its workers have it too: see `caVolume`. Cloud
 * Run writes the container's output to Cloud Logging itself (where the workloads' logs go,
 * resource `cloud_run_job`), and pulls the image with its own service agent: no project-wide role.
 *
 * The Cloud Scheduler job calls the Cloud Run Admin API `:run` of that job with an OAuth
 * token of a service account of its own that holds `roles/run.invoker` (`run.jobs.run`)
 * on that one job and nothing else.
 *
 * Overlap: Cloud Run starts a new execution at each `:run` even while the previous one
 * runs, so what `concurrency` asks is not enforced by the platform; runs cannot overlap
 * when an execution's longest life fits in the schedule's shortest interval, and the plan
 * warns when it does not (see `overlapNote`).
 *
 * Alarms with `alarms.email`: a failed execution (its last attempt failed, or timed
 * out) and a failed start (the scheduler's call failed after its retries: a missed run).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { workloadPlatformEnv } from "../../appEnvironment";
import { caDirectory } from "../../bootstrap";
import { logicalName, type BoundVariable, type ComposeContext } from "../../compose";
import { configProblem, TopologyConfigError } from "../../configError";
import { gcpRoleLabel } from "../../../contract/roles";
import { registryOf } from "../../imageReference";
import { caFilePath } from "../../model/bindings";
import { capabilities } from "../../model/capabilities";
import { shortestIntervalSeconds } from "../../model/cronSchedule";
import type { CronWorkload } from "../../model/model";
import { currentStack, shortHash } from "../../physicalNames";
import { jobSizes } from "../../jobSizes";
import type { GcpFoundation, GcpResource, GcpWorkload } from "./handles";
import { secretIdFor } from "./jsonSecret";
import { serviceAccountId } from "./nodeIdentity";
import { grantKey, labelValue, nodeTagOf } from "./workloads";

/** The scheduler's call: `:run` answers at once with the execution's operation, so a short deadline. */
export const startDeadline = "30s";

/**
 * Retries of the scheduler's call itself (a 5xx or a deadline of the Admin API), within
 * two minutes of the tick: a start that fails all of them is a missed run (alarmed).
 */
export const startRetry = { retryCount: 3, minBackoffDuration: "10s", maxBackoffDuration: "40s", maxDoublings: 2, maxRetryDuration: "120s" };

/**
 * Seconds a start may come after its tick: the scheduler's retries of the call (120 s)
 * and a minute for the execution to start. The parser refuses a job whose runs would not
 * end before the next tick with the same figure (capabilities.ts `jobsEndBeforeNextTick`).
 */
export const startSlackSeconds = capabilities.gcp.jobsEndBeforeNextTick!.startDelaySeconds;

/**
 * What Cloud Run does with `concurrency`, said once per job in the plan, and whether runs
 * can overlap. Cloud Run starts a new execution at every `:run`, whatever is running, so
 * neither `forbid` (skip the tick) nor `replace` (stop the previous run) is enforced by
 * the platform. What is guaranteed instead: every attempt is killed at `timeoutSeconds`,
 * so an execution ends at most timeoutSeconds x (retries + 1) after it starts; when that
 * and the start slack fit in the schedule's shortest interval, the previous execution has
 * ended before the next tick, and runs never overlap. Otherwise the plan warns.
 */
export function overlapNote(job: CronWorkload): { overlaps: boolean; text: string } {
  const longest = job.timeoutSeconds * (job.retries + 1);
  const interval = shortestIntervalSeconds(job.schedule);
  const at = `workloads.${job.name}`;
  const bound = `an execution lasts at most timeoutSeconds x (retries + 1) = ${longest} s`;
  if (interval === undefined || longest + startSlackSeconds < interval) {
    return { overlaps: false, text: `${at}: runs cannot overlap: ${bound}, plus up to ${startSlackSeconds} s of start delay, less than the schedule's shortest interval${interval === undefined ? "" : ` (${interval} s)`}` };
  }
  const what = job.concurrency === "forbid"
    ? "Cloud Run does not skip a tick while the previous execution still runs (concurrency forbid is not enforced on gcp)"
    : "Cloud Run does not stop the previous execution when a tick starts a new one (concurrency replace is not enforced on gcp): both run";
  return { overlaps: true, text: `${at}: runs can overlap: ${bound}, plus up to ${startSlackSeconds} s of start delay, and "${job.schedule}" ticks every ${interval} s at the shortest; ${what}. Lower timeoutSeconds or retries, or space the schedule, for runs never to overlap` };
}

/**
 * Where Cloud Run can pull the image from: Artifact Registry (and gcr.io), Docker Hub,
 * and public GitHub Container Registry images. Any other registry, and private images
 * on a registry that `ha-topology:registry` logs in to, need an Artifact Registry
 * remote repository (Cloud Run has no pull credentials).
 */
function imageProblem(f: GcpFoundation, job: CronWorkload): string | undefined {
  const registry = registryOf(job.image);
  if (registry.kind === "artifact-registry") return undefined;
  if (registry.kind === "invalid") return registry.problem;
  const withCredentials = f.registrySecret !== undefined && f.registrySecret.host === registry.host;
  if (!withCredentials && (registry.host === "docker.io" || registry.host === "ghcr.io")) return undefined;
  return `an image Cloud Run can pull for a job on gcp: in Artifact Registry (a remote repository proxies ${registry.host}${withCredentials ? " with its credentials" : ""}), or a public image on Docker Hub or ghcr.io`;
}

/** Cloud Run job and Cloud Scheduler job IDs: lower-case letters, digits and `-`, starting with a letter, at most 63 (unique per project and region). */
function jobId(name: string): string {
  const id = currentStack();
  const hash = shortHash([id.project, id.stack, name]);
  const readable = labelValue(`${name}-${id.stack}`).replace(/[^a-z0-9-]/g, "-").replace(/-+/g, "-").replace(/^[^a-z]+/, "");
  return `${readable.slice(0, 63 - hash.length - 1).replace(/-+$/, "") || "job"}-${hash}`;
}

/** One secret variable of the job in its own Secret Manager secret. */
function secretVariable(name: string, v: BoundVariable, labels: Record<string, string>, parent: pulumi.Resource) {
  const key = `${name}-env-${v.name.toLowerCase().replace(/_/g, "-")}`;
  const secret = new gcp.secretmanager.Secret(key, { secretId: secretIdFor(key), replication: { auto: {} }, labels }, { parent });
  const version = new gcp.secretmanager.SecretVersion(key, { secret: secret.id, secretData: pulumi.secret(v.value) }, { parent });
  return { key, variable: v.name, secret, version };
}

/** The Cloud Run volume of the job's CA files (`caVolume`). */
const caVolumeName = "ca";

/**
 * The CA files of the resources the job uses whose certificate a private CA signs, as one
 * Cloud Run secret volume at `caDirectory`, so each PEM is at `caFilePath(<resource>)`,
 * the path `<RESOURCE>_CA_FILE` and the broker URL's `ssl_ca_certs` name (as on a worker's
 * nodes). Cloud Run mounts a Secret Manager secret as a directory whose files are that one
 * secret's versions, and no two volumes may share a mount path: so the job has one secret
 * with one version per resource (its PEM exactly, not a bundle of all of them), each the
 * file `<resource>.pem`, pinned (a new CA is a new version, hence a new job template).
 * None when the job uses no such resource (no secret, no volume: nothing changes).
 */
function caVolume(name: string, uses: readonly GcpResource[], labels: Record<string, string>, parent: pulumi.Resource) {
  const withCa = uses.filter((u) => u.caCertificate).sort((a, b) => a.resource.name.localeCompare(b.resource.name));
  if (withCa.length === 0) return undefined;
  const key = `${name}-ca`;
  const secret = new gcp.secretmanager.Secret(key, { secretId: secretIdFor(key), replication: { auto: {} }, labels }, { parent });
  const items = withCa.map((u) => {
    const file = caFilePath(u.resource.name);
    if (!file.startsWith(`${caDirectory}/`)) throw new Error(`gcp: CA file ${file} of ${u.resource.name} is not under ${caDirectory}`);
    const version = new gcp.secretmanager.SecretVersion(`${key}-${u.resource.name}`, { secret: secret.id, secretData: u.caCertificate! }, { parent });
    return { path: file.slice(caDirectory.length + 1), version: version.version };
  });
  return {
    key,
    secret,
    volume: { name: caVolumeName, secret: { secret: secret.secretId, items } },
    mount: { name: caVolumeName, mountPath: caDirectory },
  };
}

/** Arguments of CronJob. */
export interface CronJobArgs {
  /** The job. */
  job: CronWorkload;
  /** Its environment, bound (compose.ts `boundEnv`). */
  env: BoundVariable[];
  /** The resources it uses. */
  uses: GcpResource[];
  /** The foundation (project, region, network, labels). */
  foundation: GcpFoundation;
  /** Its network tag (the data firewall's target). */
  nodeTag: string;
  /** Cloud Run's CPU and memory. */
  limits: { cpu: string; memory: string };
  /** `alarms.email`, when set. */
  email?: string;
}

/** The Cloud Run job, its scheduler, identities and alarms. */
export class CronJob extends pulumi.ComponentResource {
  /** The Cloud Scheduler job's name (the workload's `nodeGroupId`). */
  readonly schedulerName: pulumi.Output<string>;
  /** The Cloud Run job's name. */
  readonly jobName: pulumi.Output<string>;

  constructor(name: string, args: CronJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:CronJob", name, {}, opts);
    const { job, env, uses, foundation: f, nodeTag } = args;
    const parent = { parent: this };
    const labels = { ...f.labels, [gcpRoleLabel]: "cron", "ha-topology-workload": labelValue(job.name) };

    // The run's identity: the buckets and secrets it uses, nothing project-wide.
    const runner = new gcp.serviceaccount.Account(`${name}-job`, {
      accountId: serviceAccountId(`${name}-job`),
      displayName: `ha-topology job ${name}`,
    }, parent);
    const member = pulumi.interpolate`serviceAccount:${runner.email}`;
    const grants: pulumi.Resource[] = [];
    for (const u of uses.filter((x) => x.bucketName)) {
      grants.push(new gcp.storage.BucketIAMMember(`${name}-grant-${grantKey(job.name, u.resource.name)}`, { bucket: u.bucketName!, role: "roles/storage.objectUser", member }, parent));
    }
    const secrets = env.filter((v) => v.secret).map((v) => secretVariable(name, v, f.labels, this));
    for (const s of secrets) {
      grants.push(new gcp.secretmanager.SecretIamMember(`${s.key}-access`, { secretId: s.secret.id, role: "roles/secretmanager.secretAccessor", member }, parent));
    }
    const ca = caVolume(name, uses, f.labels, this);
    if (ca) grants.push(new gcp.secretmanager.SecretIamMember(`${ca.key}-access`, { secretId: ca.secret.id, role: "roles/secretmanager.secretAccessor", member }, parent));

    const platformEnv = Object.entries(workloadPlatformEnv({ kind: job.kind, image: job.image }, 0)).map(([k, value]) => ({ name: k, value }));
    const envs = [
      ...platformEnv,
      ...env.filter((v) => !v.secret).map((v) => ({ name: v.name, value: v.value })),
      ...secrets.map((s) => ({ name: s.variable, valueSource: { secretKeyRef: { secret: s.secret.secretId, version: s.version.version } } })),
    ];

    const id = jobId(name);
    const run = new gcp.cloudrunv2.Job(`${name}-job`, {
      name: id,
      location: f.region,
      project: f.project,
      labels,
      // A job keeps no data: a removed job (or a destroyed stack) may go.
      deletionProtection: false,
      template: {
        labels,
        taskCount: 1,
        parallelism: 1,
        template: {
          serviceAccount: runner.email,
          maxRetries: job.retries,
          timeout: `${job.timeoutSeconds}s`,
          containers: [{
            image: job.image,
            ...(job.command && { args: job.command }),
            envs,
            resources: { limits: args.limits },
            ...(ca && { volumeMounts: [ca.mount] }),
          }],
          ...(ca && { volumes: [ca.volume] }),
          vpcAccess: {
            egress: "PRIVATE_RANGES_ONLY",
            networkInterfaces: [{ network: f.network.networkId, subnetwork: f.network.subnetId, tags: [nodeTag] }],
          },
        },
      },
    }, { parent: this, dependsOn: grants });

    // The scheduler's identity: run this one job, nothing else.
    const starter = new gcp.serviceaccount.Account(`${name}-scheduler`, {
      accountId: serviceAccountId(`${name}-scheduler`),
      displayName: `ha-topology scheduler of job ${name}`,
    }, parent);
    const invoker = new gcp.cloudrunv2.JobIamMember(`${name}-scheduler-run`, {
      project: f.project,
      location: f.region,
      name: run.name,
      role: "roles/run.invoker",
      member: pulumi.interpolate`serviceAccount:${starter.email}`,
    }, parent);
    const schedule = new gcp.cloudscheduler.Job(`${name}-schedule`, {
      name: id,
      project: f.project,
      region: f.region,
      description: `Runs Cloud Run job ${id} on "${job.schedule}" (UTC)`,
      schedule: job.schedule,
      timeZone: "Etc/UTC",
      attemptDeadline: startDeadline,
      retryConfig: startRetry,
      httpTarget: {
        httpMethod: "POST",
        uri: pulumi.interpolate`https://run.googleapis.com/v2/projects/${f.project}/locations/${f.region}/jobs/${run.name}:run`,
        oauthToken: { serviceAccountEmail: starter.email, scope: "https://www.googleapis.com/auth/cloud-platform" },
      },
    }, { parent: this, dependsOn: [invoker] });

    if (args.email) {
      const channel = new gcp.monitoring.NotificationChannel(`${name}-alerts-email`, {
        project: f.project,
        type: "email",
        displayName: `${name} alerts (${args.email})`,
        labels: { email_address: args.email },
        userLabels: f.labels,
      }, parent);
      new gcp.monitoring.AlertPolicy(`${name}-failed-alert`, {
        project: f.project,
        displayName: `${name}: a run of job ${job.name} failed`,
        combiner: "OR",
        severity: "ERROR",
        conditions: [{
          displayName: `Cloud Run job ${id} has a failed execution`,
          conditionThreshold: {
            filter: pulumi.interpolate`metric.type="run.googleapis.com/job/completed_execution_count" AND resource.type="cloud_run_job" AND resource.label.job_name="${run.name}" AND metric.label.result="failed"`,
            aggregations: [{ alignmentPeriod: "60s", perSeriesAligner: "ALIGN_SUM" }],
            comparison: "COMPARISON_GT",
            thresholdValue: 0,
            duration: "0s",
            trigger: { count: 1 },
          },
        }],
        notificationChannels: [channel.name],
        documentation: {
          mimeType: "text/markdown",
          content: `An execution of Cloud Run job ${id} (workload ${job.name}) failed: its last attempt exited non-zero or ran past ${job.timeoutSeconds} s. Its logs: Cloud Run > Jobs > ${id} > Executions, or \`gcloud run jobs executions list --job ${id} --region ${f.region}\`.`,
        },
        userLabels: f.labels,
      }, parent);
      new gcp.monitoring.AlertPolicy(`${name}-missed-alert`, {
        project: f.project,
        displayName: `${name}: a run of job ${job.name} was not started`,
        combiner: "OR",
        severity: "ERROR",
        conditions: [{
          displayName: `Cloud Scheduler job ${id} failed to start the job`,
          conditionMatchedLog: {
            filter: pulumi.interpolate`resource.type="cloud_scheduler_job" AND resource.labels.job_id="${schedule.name}" AND severity>=ERROR`,
          },
        }],
        alertStrategy: { notificationRateLimit: { period: "300s" }, autoClose: "1800s" },
        notificationChannels: [channel.name],
        documentation: {
          mimeType: "text/markdown",
          content: `Cloud Scheduler job ${id} could not start Cloud Run job ${id} (workload ${job.name}) after its retries: this tick's run is missed. Check the scheduler's log entry (a 403 means its service account lost roles/run.invoker on the job; a 404, the job is gone), then run it by hand: \`gcloud run jobs execute ${id} --region ${f.region}\`.`,
        },
        userLabels: f.labels,
      }, parent);
    }

    this.schedulerName = schedule.name;
    this.jobName = run.name;
    this.registerOutputs({ schedulerName: this.schedulerName, jobName: this.jobName });
  }
}

/** One job of `ha-topology:workloads` on GCP. */
export function gcpJob(ctx: ComposeContext, f: GcpFoundation, job: CronWorkload, env: BoundVariable[], uses: GcpResource[]): GcpWorkload {
  const at = `workloads.${job.name}`;
  const problems = [];
  const image = imageProblem(f, job);
  if (image) problems.push(configProblem(`${at}.image`, JSON.stringify(job.image), image));
  // The job size table (jobSizes.ts), which the plan reads too.
  const limits = jobSizes.gcp.run(job.size);
  if (!limits) problems.push(configProblem(`${at}.size`, JSON.stringify(job.size), "small, medium, large or an <family>-standard|highmem|highcpu-<n> machine type whose 1, 2, 4, 6 or 8 CPUs and memory (at most 32 GiB) Cloud Run runs"));
  if (problems.length > 0) throw new TopologyConfigError(problems);

  const registry = registryOf(job.image);
  if (registry.kind === "artifact-registry" && registry.project !== f.project) {
    pulumi.log.info(`${at}.image is in project ${registry.project}: grant the Cloud Run service agent of ${f.project} roles/artifactregistry.reader on repository ${registry.repository} there`, ctx.parent);
  }
  if (env.some((v) => "workload" in v.source)) {
    pulumi.log.warn(`${at}: an internal web workload's firewall admits the other workloads by network tag, which Cloud Run's Direct VPC egress does not carry into ingress rules: the job cannot reach the internal URLs it receives (README, "Scheduled jobs")`, ctx.parent);
  }
  const overlap = overlapNote(job);
  if (overlap.overlaps) pulumi.log.warn(overlap.text, ctx.parent);
  else pulumi.log.info(overlap.text, ctx.parent);

  const nodeTag = nodeTagOf(ctx, job);
  const built = new CronJob(logicalName(ctx, job), { job, env, uses, foundation: f, nodeTag, limits: limits!, email: ctx.topology.alarms.email }, f.opts);
  return { nodeGroupId: built.schedulerName, workload: job, nodeTag };
}
