/**
 * What one run of a scheduled job really gets on each cloud, for its size (a preset or a
 * native node size). A job does not run on a VM of that size everywhere: on AWS it is a
 * Fargate task, on GCP a Cloud Run job, on Kubernetes a pod. One table, read both by the
 * platform that registers the run (its task, job or pod resources) and by the plan,
 * summary and diagram that say its size, so the two cannot drift.
 *
 * Pure (no SDK): each row's `run` is what the platform sets, its `text` how the plan says it.
 */
import { resolveSize, type Cloud } from "./sizes";

/** A Fargate task's size: CPU units (1024 = one vCPU) and MiB, as `aws.ecs.TaskDefinition` takes them. */
export interface FargateSize {
  /** CPU units. */
  cpu: number;
  /** Memory, MiB. */
  memory: number;
}

/** A Cloud Run job container's limits, as `template.template.containers[].resources.limits` takes them. */
export interface CloudRunLimits {
  /** CPUs ("1", "2", ...). */
  cpu: string;
  /** Memory, in Kubernetes quantity form ("2Gi"). */
  memory: string;
}

/** A job pod's container resources, as `resources` of the CronJob's container takes them. */
export interface PodResources {
  /** What the scheduler reserves for the pod. */
  requests: { cpu: string; memory: string };
  /** Memory only: a job over its memory is killed, CPU above the request is borrowed, not capped. */
  limits: { memory: string };
}

/** What one run gets, per cloud. */
export interface JobRun {
  /** An ECS Fargate task. */
  aws: FargateSize;
  /** A Cloud Run job; undefined for a size Cloud Run cannot run (the platform refuses it). */
  gcp: CloudRunLimits | undefined;
  /** A Kubernetes pod. */
  kubernetes: PodResources;
  /**
   * DigitalOcean has no container scheduler: jobs run on the droplets themselves (the lease,
   * cronLease.ts), so a run gets the droplet's size. The DigitalOcean job platform reads this row.
   */
  digitalocean: { droplet: string };
}

/** Fargate CPU units and MiB for an EC2 size (the job runs what a node of that size would give it). */
export function fargateSize(instanceType: string): FargateSize {
  const size = instanceType.split(".")[1] ?? "";
  const table: Record<string, FargateSize> = {
    nano: { cpu: 256, memory: 512 },
    micro: { cpu: 256, memory: 1024 },
    small: { cpu: 1024, memory: 2048 },
    medium: { cpu: 2048, memory: 4096 },
    large: { cpu: 2048, memory: 8192 },
    xlarge: { cpu: 4096, memory: 16384 },
    "2xlarge": { cpu: 8192, memory: 32768 },
  };
  return table[size] ?? (/^\d+xlarge$/.test(size) || size === "metal" ? { cpu: 16384, memory: 65536 } : { cpu: 1024, memory: 2048 });
}

/** Cloud Run's CPU and memory for a size: the presets as the nodes' machine classes, a native `<family>-standard|highmem|highcpu-<n>` by its shape. */
export function cloudRunLimits(size: string): CloudRunLimits | undefined {
  const machine = resolveSize("gcp", "node", size);
  const presets: Record<string, CloudRunLimits> = {
    "e2-small": { cpu: "1", memory: "2Gi" },
    "e2-medium": { cpu: "1", memory: "4Gi" },
    "e2-standard-2": { cpu: "2", memory: "8Gi" },
  };
  if (presets[machine]) return presets[machine];
  const m = /^[a-z0-9]+-(standard|highmem|highcpu)-(\d+)$/.exec(machine);
  if (!m) return undefined;
  const cpu = Number(m[2]);
  const memory = cpu * { standard: 4, highmem: 8, highcpu: 1 }[m[1] as "standard" | "highmem" | "highcpu"];
  // Cloud Run: 1, 2, 4, 6 or 8 CPUs; at most 32 GiB; 4 CPUs need 2 GiB, 6 or more need 4 GiB.
  if (![1, 2, 4, 6, 8].includes(cpu) || memory > 32 || (cpu >= 4 && memory < 2) || (cpu >= 6 && memory < 4)) return undefined;
  return { cpu: String(cpu), memory: `${memory}Gi` };
}

/** A pod's requests (the size's `cpu/memory`) and its memory limit (the request: a run never takes a node's memory from the apps). */
export function podResources(size: string): PodResources {
  const [cpu, memory] = resolveSize("kubernetes", "node", size).split("/");
  return { requests: { cpu, memory }, limits: { memory } };
}

/** MiB said in GiB (512 -> "0.5 GiB"). */
const gib = (mib: number) => `${mib / 1024} GiB`;

/** The table: what a run gets on each cloud, and how the plan says it. */
export const jobSizes: { [C in Cloud]: { run(size: string): JobRun[C]; text(run: JobRun[C]): string } } = {
  aws: {
    run: (size) => fargateSize(resolveSize("aws", "node", size)),
    text: (r) => `Fargate ${r.cpu / 1024} vCPU, ${gib(r.memory)}`,
  },
  gcp: {
    run: cloudRunLimits,
    text: (r) => (r ? `Cloud Run ${r.cpu} CPU, ${r.memory}` : "a size Cloud Run cannot run"),
  },
  kubernetes: {
    run: podResources,
    text: (r) => `pod ${r.requests.cpu} CPU, ${r.requests.memory} (memory limit ${r.limits.memory})`,
  },
  digitalocean: {
    run: (size) => ({ droplet: resolveSize("digitalocean", "node", size) }),
    text: (r) => r.droplet,
  },
};

/** How the plan says what one run of a job of this size gets on this cloud ("Fargate 1 vCPU, 2 GiB"). */
export function jobSizeText(cloud: Cloud, size: string): string {
  switch (cloud) {
    case "aws":
      return jobSizes.aws.text(jobSizes.aws.run(size));
    case "gcp":
      return jobSizes.gcp.text(jobSizes.gcp.run(size));
    case "kubernetes":
      return jobSizes.kubernetes.text(jobSizes.kubernetes.run(size));
    case "digitalocean":
      return jobSizes.digitalocean.text(jobSizes.digitalocean.run(size));
  }
}
