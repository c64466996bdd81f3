/**
 * A stack's deployed versions and the choice of the version a rollback goes back to.
 *
 * The history is the backend's (`pulumi stack history`): every update records the
 * configuration it ran with, so the images each workload ran are read from it
 * (workloadImages.ts). Read with secrets hidden: no secret value is decrypted, or ever
 * leaves the CLI, for a listing of images (which are never secret).
 *
 * A rollback redeploys the images of an earlier update that succeeded, set over the
 * current stack file's (everything else is the file's), through the same `up` and so the
 * same health-gated rollout. "What runs now" is the newest update's images, whatever its
 * result: after a failed update, that is what the nodes were being moved to.
 */
import type { ConfigMap, Stack, UpdateKind, UpdateResult, UpdateSummary } from "@pulumi/pulumi/automation";
import { RollbackRefusedError } from "./deploymentErrors";
import { configImages, imageConfigKeys, type WorkloadImages } from "./workloadImages";

/** One update of the stack, as the history lists it. */
export interface DeployedVersion {
  /** The stack's version the update made (1, 2, ...). */
  version: number;
  /** The kind of operation; the history and rollbacks keep `update`s only. */
  kind: UpdateKind;
  /** When it started. */
  startTime: Date;
  /** When it ended; absent while it runs. */
  endTime?: Date;
  /** How it ended: `succeeded`, `failed`, `in-progress`, `not-started`. */
  result: UpdateResult;
  /**
   * Workload name -> the image it ran (`web` is the single service's `nodes.image`).
   * Absent when the update's config hides them (a secret `ha-topology:nodes` or
   * `ha-topology:workloads`, set outside ha-topology).
   */
  images?: WorkloadImages;
}

/** A config value of the history, whose `value` the CLI leaves out for a secret it did not decrypt. */
type HistoryConfigValue = ConfigMap[string] & { value?: string };

/** An update's config as engine values, and whether an image key is hidden. */
function updateImages(config: ConfigMap | undefined): WorkloadImages | undefined {
  const values: Record<string, string> = {};
  for (const [key, entry] of Object.entries(config ?? {}) as [string, HistoryConfigValue][]) {
    if (typeof entry?.value === "string") values[key] = entry.value;
    else if (imageConfigKeys.includes(key)) return undefined;
  }
  return configImages(values);
}

/** A date the CLI gave, or undefined for none or an invalid one. */
const validDate = (value: Date | undefined): Date | undefined => (value instanceof Date && !Number.isNaN(value.getTime()) ? value : undefined);

/** The updates of a history (previews, refreshes, destroys and imports left out), newest first. */
export function deployedVersions(updates: readonly UpdateSummary[]): DeployedVersion[] {
  return updates
    .filter((u) => u.kind === "update")
    .map((u): DeployedVersion => {
      const endTime = validDate(u.endTime);
      const images = updateImages(u.config);
      return {
        version: u.version,
        kind: u.kind,
        startTime: u.startTime,
        ...(endTime ? { endTime } : {}),
        result: u.result,
        ...(images ? { images } : {}),
      };
    })
    .sort((a, b) => b.version - a.version);
}

/**
 * Reads a stack's deployed versions. `stack` is the Automation API's Stack (or a stand-in
 * with its `history`); secrets stay hidden (`showSecrets` false: the SDK's default is true).
 */
export async function readHistory(stack: Pick<Stack, "history">): Promise<DeployedVersion[]> {
  return deployedVersions(await stack.history(undefined, undefined, false));
}

/** One workload whose image a rollback changes. */
export interface ImageChange {
  /** The workload. */
  workload: string;
  /** The image it runs now (the newest update's); absent when it was not deployed. */
  from?: string;
  /** The image the rollback deploys. */
  to: string;
}

/** What a rollback deploys, and what it leaves. */
export interface RollbackPlan {
  /** The stack. */
  stack: string;
  /** The version whose images are redeployed. */
  target: DeployedVersion;
  /** The newest update (what runs now). */
  deployed: DeployedVersion;
  /** The stack file's images (what the next `up` from it deploys). */
  file: WorkloadImages;
  /** Every workload of the stack file -> the image the rollback deploys. */
  images: WorkloadImages;
  /**
   * The images that differ from the stack file's: what is set over the file's (the
   * topology's `images`). The next `up` from the unchanged file deploys the file's again.
   */
  overrides: WorkloadImages;
  /** The workloads whose image changes from what runs now. */
  changes: ImageChange[];
  /** Workloads of the stack file that the target version did not have: they keep the image they run now (the file's when not deployed yet). */
  kept: { workload: string; image: string }[];
  /** Workloads of the target version that the stack file no longer has: not redeployed (a rollback changes images only). */
  notRedeployed: string[];
}

const history = (stack: string) => `ha-topology history --stack ${stack}`;

/** The images in a line: `web ghcr.io/acme/web:1.4.2, api ...`. */
const imageList = (images: WorkloadImages) => Object.entries(images).map(([w, i]) => `${w} ${i}`).join(", ") || "none";

/** The plan for rolling back to `target`, with `deployed` running now and the stack file's images `file`. */
function planFor(stack: string, target: DeployedVersion & { images: WorkloadImages }, deployed: DeployedVersion, file: WorkloadImages): RollbackPlan {
  // Unreadable images of the newest update: the stack file's stand for them.
  const running = (w: string): string | undefined => (deployed.images ? deployed.images[w] : file[w]);
  const images: WorkloadImages = {};
  const kept: RollbackPlan["kept"] = [];
  for (const workload of Object.keys(file)) {
    if (Object.hasOwn(target.images, workload)) {
      images[workload] = target.images[workload];
    } else {
      // Added since the target version: keep what runs, rather than roll the file's image forward.
      images[workload] = running(workload) ?? file[workload];
      kept.push({ workload, image: images[workload] });
    }
  }
  const overrides = Object.fromEntries(Object.entries(images).filter(([w, image]) => image !== file[w]));
  // Only the target's images count as changes: a workload it did not have keeps its image (or is created from the file, as by up).
  const changes = Object.entries(images)
    .filter(([w, image]) => Object.hasOwn(target.images, w) && image !== running(w))
    .map(([workload, to]): ImageChange => ({ workload, ...(running(workload) !== undefined ? { from: running(workload) } : {}), to }));
  const notRedeployed = Object.keys(target.images).filter((w) => !Object.hasOwn(file, w));
  return { stack, target, deployed, file, images, overrides, changes, kept, notRedeployed };
}

/**
 * Chooses the version to roll back to and what changes: `to`, or else the newest update
 * that succeeded and would change an image of what runs now. `versions` are the stack's
 * (newest first, `deployedVersions`), `file` the stack file's images. Throws
 * RollbackRefusedError (a config error: exit code 2) when there is nothing to roll back
 * to, or `to` is unknown, did not succeed, has unreadable images or changes none.
 */
export function rollbackPlan(stack: string, versions: readonly DeployedVersion[], file: WorkloadImages, to?: number): RollbackPlan {
  const updates = [...versions].filter((v) => v.kind === "update").sort((a, b) => b.version - a.version);
  const deployed = updates[0];
  if (!deployed) throw new RollbackRefusedError(`Stack "${stack}" has no update in its history: there is no version to roll back to.`);
  const known = (v: DeployedVersion): v is DeployedVersion & { images: WorkloadImages } => v.images !== undefined;

  if (to !== undefined) {
    const target = updates.find((v) => v.version === to);
    if (!target) {
      const range = updates.length > 1 ? `${updates[updates.length - 1].version}-${deployed.version}` : String(deployed.version);
      throw new RollbackRefusedError(`Version ${to} is not an update of stack "${stack}" (its updates: ${range}; ${history(stack)} lists them).`);
    }
    if (target.result !== "succeeded") {
      throw new RollbackRefusedError(
        `Version ${to} of stack "${stack}" did not succeed (${target.result}): roll back to a version that succeeded (${history(stack)} lists them).`,
      );
    }
    if (!known(target)) throw new RollbackRefusedError(`The images of version ${to} of stack "${stack}" cannot be read: its ${imageConfigKeys.join(" or ")} config is secret.`);
    const plan = planFor(stack, target, deployed, file);
    if (!plan.changes.length) {
      throw new RollbackRefusedError(
        `Version ${to} of stack "${stack}" ran the images that run now (${imageList(plan.images)}): nothing to roll back. ` +
          "`ha-topology up` redeploys the stack file.",
      );
    }
    return plan;
  }

  for (const candidate of updates) {
    if (candidate.result !== "succeeded" || !known(candidate)) continue;
    const plan = planFor(stack, candidate, deployed, file);
    if (plan.changes.length) return plan;
  }
  throw new RollbackRefusedError(
    `No update of stack "${stack}" that succeeded ran other images than the ones that run now (version ${deployed.version}: ` +
      `${deployed.images ? imageList(deployed.images) : "images unknown"}): there is nothing to roll back to (${history(stack)} lists the versions).`,
  );
}
