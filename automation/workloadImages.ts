/**
 * The image of each workload, in the engine's form of a stack's configuration (fully
 * qualified key -> string, objects as JSON): read from a stack file or a past update's
 * config (history, rollback), and set over it (what a rollback deploys). Only
 * `ha-topology:nodes` (the single service's workload `web`) and `ha-topology:workloads`
 * hold images; a site has none.
 *
 * Read from the raw keys rather than through the program's parser on purpose: a past
 * update's config was valid for the program of its day, and its images must still be
 * readable when today's parser would refuse something else in it.
 */
import { configNamespace } from "../components/configError";
import { legacyWebName } from "../components/model/model";
import { hasSingleService } from "../components/model/parse";
import { decodeRawConfig } from "../components/stackConfig";
import { defaults } from "../components/topology";
import { DeploymentConfigError } from "./deploymentErrors";

/** Workload name -> image reference, in the configuration's order (the single service's `web` first). */
export type WorkloadImages = Record<string, string>;

const nodesKey = `${configNamespace}:nodes`;
const workloadsKey = `${configNamespace}:workloads`;

/** The config keys that hold images: a past update whose value of one is hidden (secret) has unknown images. */
export const imageConfigKeys: readonly string[] = [nodesKey, workloadsKey];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Each workload's image. The single service (when the combination rule gives it) is `web`
 * with `nodes.image`, or the default demo image when unset, as the program reads it;
 * every entry of `workloads` with an image (web, worker, cron) is its own name.
 */
export function configImages(values: Record<string, string>): WorkloadImages {
  const raw = decodeRawConfig(values);
  const images: WorkloadImages = {};
  if (hasSingleService(raw)) {
    const image = isObject(raw.nodes) ? raw.nodes.image : undefined;
    images[legacyWebName] = typeof image === "string" ? image : defaults.nodes.image;
  }
  if (isObject(raw.workloads)) {
    for (const [name, entry] of Object.entries(raw.workloads)) {
      // A name the single service holds is refused by the parser; the single service's image stays.
      if (isObject(entry) && typeof entry.image === "string" && !Object.hasOwn(images, name)) images[name] = entry.image;
    }
  }
  return images;
}

/** A config value decoded as an object, or an empty one (unset). */
function section(values: Record<string, string>, key: string): Record<string, unknown> {
  if (values[key] === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(values[key]);
    if (isObject(parsed)) return parsed;
  } catch {
    // Not JSON: refused below as a workload without an image.
  }
  return {};
}

/**
 * The configuration with the images of `images` (workload name -> image) set over each
 * workload's own, every other value unchanged: only `nodes.image` and
 * `workloads.<name>.image` are written. A name that is not a workload with an image in this
 * configuration is refused (a rollback never adds a workload). Pure: returns a new map.
 */
export function withImages(values: Record<string, string>, images: WorkloadImages): Record<string, string> {
  const names = Object.keys(images);
  if (!names.length) return values;
  const current = configImages(values);
  const unknown = names.filter((name) => !Object.hasOwn(current, name));
  if (unknown.length) {
    throw new DeploymentConfigError(
      `images: ${unknown.map((n) => JSON.stringify(n)).join(", ")} ${unknown.length > 1 ? "are not workloads" : "is not a workload"} with an image in this topology ` +
        `(its workloads with images: ${Object.keys(current).join(", ") || "none"}).`,
    );
  }
  const out = { ...values };
  const nodes = section(values, nodesKey);
  const workloads = section(values, workloadsKey);
  const single = hasSingleService(decodeRawConfig(values));
  let nodesChanged = false;
  let workloadsChanged = false;
  for (const name of names) {
    if (single && name === legacyWebName) {
      nodes.image = images[name];
      nodesChanged = true;
    } else {
      workloads[name] = { ...(workloads[name] as Record<string, unknown>), image: images[name] };
      workloadsChanged = true;
    }
  }
  if (nodesChanged) out[nodesKey] = JSON.stringify(nodes);
  if (workloadsChanged) out[workloadsKey] = JSON.stringify(workloads);
  return out;
}
