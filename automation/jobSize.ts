/**
 * What a job's run gets, in the words of what runs it: a job has no node of its own, so its
 * size is not the node size the preset names on a cloud whose scheduler starts a container
 * elsewhere (a Fargate task on AWS, a Cloud Run execution on GCP). Read from the same
 * functions the platforms size the runs with, so the plan cannot drift from them.
 */
import type { CronWorkload } from "../components/model/model";
import { fargateSize } from "../components/platforms/aws/jobs";
import { cloudRunLimits } from "../components/platforms/gcp/job";
import { resolveSize, type Cloud } from "../components/sizes";

/** "Fargate 1 vCPU/2 GB", "Cloud Run 1 vCPU/2Gi"; the pod's or droplet's size elsewhere. */
export function jobSizeText(cloud: Cloud, size: CronWorkload["size"]): string {
  if (cloud === "aws") {
    const { cpu, memory } = fargateSize(resolveSize("aws", "node", size));
    return `Fargate ${cpu / 1024} vCPU/${memory / 1024} GB`;
  }
  if (cloud === "gcp") {
    // The platform refuses a size Cloud Run cannot run (gcp/job.ts): the plan then names the machine type asked for.
    const limits = cloudRunLimits(size);
    return limits ? `Cloud Run ${limits.cpu} vCPU/${limits.memory}` : resolveSize("gcp", "node", size);
  }
  return resolveSize(cloud, "node", size);
}
