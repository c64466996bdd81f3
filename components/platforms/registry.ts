/**
 * Which platform serves which cloud. Platforms are loaded on demand, so a stack loads
 * only its own cloud's SDK (the others cost start-up time and memory for nothing).
 */
import type { AnyPlatform } from "../compose";
import { TopologyConfigError } from "../configError";
import type { Cloud } from "../sizes";

const loaders: Partial<Record<Cloud, () => AnyPlatform>> = {
  // `require`, not a dynamic import: components construct synchronously.
  aws: () => (require("./aws") as typeof import("./aws")).awsPlatform,
  gcp: () => (require("./gcp") as typeof import("./gcp")).gcpPlatform,
  digitalocean: () => (require("./digitalocean") as typeof import("./digitalocean")).digitaloceanPlatform,
  kubernetes: () => (require("./kubernetes") as typeof import("./kubernetes")).kubernetesPlatform,
};

/** The clouds that have a platform in this version. */
export const availableClouds = Object.keys(loaders) as Cloud[];

/** Loads the platform of a cloud; refuses a cloud whose platform is not in this version. */
export function loadPlatform(cloud: Cloud): AnyPlatform {
  const load = loaders[cloud];
  if (!load) {
    throw new TopologyConfigError([
      `ha-topology:cloud: received "${cloud}"; allowed in this version: ${availableClouds.join(", ")} (the ${cloud} platform is planned but not shipped yet)`,
    ]);
  }
  return load();
}
