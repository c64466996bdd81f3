/**
 * Which adapter serves which cloud. Adapters are loaded on demand, so a stack loads
 * only its own cloud's SDK (the others cost start-up time and memory for nothing).
 */
import type { Cloud } from "../sizes";
import type { Adapter } from "./adapter";
import type { AnyPlatform } from "../compose";
import { TopologyConfigError } from "../configError";

const loaders: Partial<Record<Cloud, () => Adapter>> = {
  // `require` rather than `import()`: components construct synchronously.
};

/** Loads the adapter for a cloud; refuses a cloud whose adapter is not in this version. */
export function loadAdapter(cloud: Cloud): Adapter {
  const load = loaders[cloud];
  if (!load) {
    throw new TopologyConfigError([
      `ha-topology:cloud: received "${cloud}"; allowed in this version: ${availableClouds.join(", ")} (the ${cloud} adapter is planned but not shipped yet)`,
    ]);
  }
  return load();
}

/**
 * The clouds whose adapter is a composer `Platform` (compose.ts), by loader. A cloud
 * listed here deploys the several-workloads model; the others deploy the single service
 * through their `Adapter` (and refuse the maps) until their platform lands.
 */
const platformLoaders: Partial<Record<Cloud, () => AnyPlatform>> = {
  aws: () => (require("./aws") as typeof import("./aws")).awsPlatform,
  gcp: () => (require("./gcp") as typeof import("./gcp")).gcpPlatform,
  digitalocean: () => (require("./digitalocean") as typeof import("./digitalocean")).digitaloceanPlatform,
  kubernetes: () => (require("./kubernetes") as typeof import("./kubernetes")).kubernetesPlatform,
};

/** The clouds that have an adapter or a platform in this version. */
export const availableClouds = [...new Set([...Object.keys(loaders), ...Object.keys(platformLoaders)])] as Cloud[];

/** The platform of a cloud, when its adapter is one. */
export function loadPlatform(cloud: Cloud): AnyPlatform | undefined {
  return platformLoaders[cloud]?.();
}
