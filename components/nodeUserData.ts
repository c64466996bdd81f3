/**
 * The user data of a VM node on any cloud: the app's plain environment (the user's
 * `nodes.env` under the platform's variables) and the boot sequence, from facts the
 * adapter has resolved. One place, so every VM adapter gives the app the same contract.
 */
import { platformEnv, type PlatformFacts } from "./appEnvironment";
import { renderCloudConfig, type BootstrapSpec } from "./bootstrap";
import type { NodesSpec } from "./topology";

/** What differs per cloud in how a node boots: secret sources, packages, stop timeout, embedded secrets, registry login. */
export type NodeBoot = Pick<BootstrapSpec, "secretSources" | "packages" | "stopTimeoutSeconds" | "embeddedSecrets" | "setupCommands" | "registryLogin">;

/** The `#cloud-config` user data for the nodes. */
export function nodeUserData(nodes: NodesSpec, facts: Omit<PlatformFacts, "port" | "image">, boot: NodeBoot): string {
  return renderCloudConfig({
    image: nodes.image,
    port: nodes.port,
    env: { ...nodes.env, ...platformEnv({ ...facts, port: nodes.port, image: nodes.image }) },
    ...boot,
  });
}
