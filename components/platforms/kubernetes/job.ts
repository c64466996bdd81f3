/**
 * One scheduled job (`kind: cron`) on Kubernetes: a `batch/v1` CronJob, its own
 * ServiceAccount (no token) and the egress NetworkPolicy of its pods, role-labelled `cron`
 * (contract/roles.ts). No Service, no PodDisruptionBudget, no autoscaler: nothing connects
 * to a job (the namespace's default-deny admits nobody) and it has no count.
 *
 * How the promise holds:
 * - Exactly one run per tick whatever the nodes: the CronJob controller (control plane,
 *   not a node) creates one Job per tick; a lost node or zone only moves where the pod
 *   runs. A run whose pod is evicted by a disruption (a drained or lost node:
 *   `DisruptionTarget`) is started again without using a retry (`podFailurePolicy`).
 * - Never overlapping unless `concurrency: replace`: `concurrencyPolicy` Forbid (skip the
 *   tick while a run is going) or Replace (stop it, start the new one); within a tick a
 *   retry starts only once the failed pod is gone (`podReplacementPolicy: Failed`).
 * - Killed at `timeoutSeconds`: each run's pod has `activeDeadlineSeconds` =
 *   timeoutSeconds (a run killed there counts as failed, and is retried); the Job's own
 *   `activeDeadlineSeconds` = timeoutSeconds × (retries + 1) plus the retries' back-off
 *   bounds the tick, a pod that never gets a node included.
 * - Retries: `backoffLimit` = retries, `restartPolicy: Never` (a failed run is a new pod).
 * - A missed tick is not run late: `startingDeadlineSeconds` is half the schedule's
 *   shortest interval (at most an hour), so a tick the controller could not start in that
 *   window is skipped, never run long after, and at most one tick is ever counted as missed
 *   (the controller stops a CronJob that missed more than 100).
 * - `timeZone: Etc/UTC`: the schedule is UTC whatever the controller's time zone.
 *
 * The environment and access are a workload's (platform.ts gives the same `env.ts`
 * entries, the same egress rules and the database's and cache's policies admit its pods):
 * secrets are `secretKeyRef`s, read when each run's pod starts, so a rotated secret
 * reaches the next run with no checksum annotation. `command` is the container's `args`
 * (docker semantics, as the workers). Logs: the container's stdout, where the cluster's
 * logging takes every pod's; the last runs' pods are kept (`kubectl logs job/<job>`).
 *
 * Alarms: none on Kubernetes (as for the other workloads): a failed run is a Job with
 * condition Failed (`kube_job_status_failed` in kube-state-metrics) for the cluster's
 * monitoring to alert on.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { shortestIntervalSeconds } from "../../model/cronSchedule";
import { type PodResources } from "../../jobSizes";
import { kubernetesRoleKey } from "../../../contract/roles";
import type { CronWorkload } from "../../model/model";
import { containerSecurity, egressPolicy, podSecurity } from "./workload";
import type { CaMount } from "./caVolume";

/** Arguments of KubernetesJob. */
export interface JobArgs {
  /** The job. */
  job: CronWorkload;
  /** The namespace. */
  namespace: pulumi.Input<string>;
  /** Labels of every object. */
  labels: Record<string, string>;
  /** Its pods' labels (what the data tier's policies admit). */
  selector: Record<string, string>;
  /** CPU and memory of a run (the job size table, jobSizes.ts, which the plan reads too). */
  resources: PodResources;
  /** The container's environment (env.ts). */
  env: pulumi.Input<k8s.types.input.core.v1.EnvVar>[];
  /** The pull Secret for a private image, when its registry has credentials. */
  imagePullSecretName?: pulumi.Input<string>;
  /** The private CAs of the resources it uses, mounted at /etc/ha-topology/ca (caVolume.ts), when there are any. */
  ca?: CaMount;
  /** Where its pods may connect to (network.ts `egressRules`). */
  egress: pulumi.Input<k8s.types.input.networking.v1.NetworkPolicyEgressRule>[];
}

/** The longest a missed tick may still start late. */
const maxStartingDeadlineSeconds = 3600;

/** A scheduled job's CronJob and what limits it. */
export class KubernetesJob extends pulumi.ComponentResource {
  /** The CronJob's name. */
  readonly cronJobName: pulumi.Output<string>;

  constructor(name: string, args: JobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:kubernetes:Job", name, {}, opts);
    const { job, namespace, selector } = args;
    const parent = { parent: this };
    const labels = { ...args.labels, ...selector, [kubernetesRoleKey]: "cron" };
    const metadata = (objectName: string) => ({ name: objectName, namespace, labels });

    const account = new k8s.core.v1.ServiceAccount(name, { metadata: metadata(name), automountServiceAccountToken: false }, parent);

    const cronJob = new k8s.batch.v1.CronJob(name, {
      metadata: metadata(name),
      spec: {
        schedule: job.schedule,
        timeZone: "Etc/UTC",
        concurrencyPolicy: job.concurrency === "replace" ? "Replace" : "Forbid",
        startingDeadlineSeconds: startingDeadlineSeconds(job.schedule),
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: job.retries,
            activeDeadlineSeconds: jobDeadlineSeconds(job.timeoutSeconds, job.retries),
            // A run stopped by a node's disruption is not the job's failure: run it again.
            podFailurePolicy: { rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }] },
            // A retry starts once the failed pod has stopped, never next to it.
            podReplacementPolicy: "Failed",
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: "Never",
                activeDeadlineSeconds: job.timeoutSeconds,
                serviceAccountName: account.metadata.name,
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                ...(args.imagePullSecretName && { imagePullSecrets: [{ name: args.imagePullSecretName }] }),
                securityContext: podSecurity,
                containers: [{
                  name: "job",
                  image: job.image,
                  ...(job.command && { args: job.command }),
                  env: args.env,
                  resources: args.resources,
                  securityContext: containerSecurity,
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }, ...(args.ca ? [args.ca.mount] : [])],
                }],
                volumes: [{ name: "tmp", emptyDir: { sizeLimit: "256Mi" } }, ...(args.ca ? [args.ca.volume] : [])],
              },
            },
          },
        },
      },
    }, parent);

    egressPolicy(`${name}-out`, { namespace, labels: args.labels, selector, egress: args.egress }, parent);

    this.cronJobName = cronJob.metadata.name;
    this.registerOutputs({ cronJobName: this.cronJobName });
  }
}

/**
 * The Job's deadline: every run its timeout, plus the controller's back-off before each
 * retry (10 s doubling, at most 6 minutes), plus a minute to get a pod started.
 */
export function jobDeadlineSeconds(timeoutSeconds: number, retries: number): number {
  let backoff = 0;
  for (let i = 0; i < retries; i++) backoff += Math.min(10 * 2 ** i, 360);
  return timeoutSeconds * (retries + 1) + backoff + 60;
}

/** Half the schedule's shortest interval between two ticks, at most an hour. */
export function startingDeadlineSeconds(schedule: string): number {
  return Math.min(maxStartingDeadlineSeconds, Math.floor((shortestIntervalMinutes(schedule) * 60) / 2));
}

/**
 * The shortest interval between two ticks of a 5-field schedule, in minutes (cronSchedule.ts
 * `shortestIntervalSeconds`); a schedule that ticks at most once in two years counts as
 * two years apart.
 */
export function shortestIntervalMinutes(schedule: string): number {
  return (shortestIntervalSeconds(schedule) ?? 2 * 366 * 86_400) / 60;
}
