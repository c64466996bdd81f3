/**
 * The user data of a VM node on any cloud: the app's plain environment (the user's
 * `nodes.env` under the platform's variables) and the boot sequence, from facts the
 * adapter has resolved. One place, so every VM adapter gives the app the same contract.
 */
import * as pulumi from "@pulumi/pulumi";
import { platformEnv, type PlatformFacts } from "./appEnvironment";
import { renderCloudConfig, type BootstrapSpec } from "./bootstrap";
import type { NodesSpec } from "./topology";
import { userDataParts, userDataSizeProblem, type VmCloud } from "./userDataLimits";

/** What differs per cloud in how a node boots: secret sources, packages, stop timeout, embedded secrets, registry login, log driver. */
export type NodeBoot = Pick<BootstrapSpec, "secretSources" | "packages" | "stopTimeoutSeconds" | "embeddedSecrets" | "setupCommands" | "registryLogin" | "logDriver">;

/**
 * User data over the cloud's limit. Thrown while the adapter renders the user data from
 * resolved outputs (an apply), so it fails `pulumi up`; a `RunError`, so the CLI shows the
 * message without a stack trace. (Parse time refuses what is over the limit for certain.)
 */
export class UserDataTooLargeError extends pulumi.RunError {
  constructor(message: string) {
    super(message);
    this.name = "UserDataTooLargeError";
  }
}

/** The `#cloud-config` user data for the nodes on `cloud`; throws when it is over the cloud's limit. */
export function nodeUserData(nodes: NodesSpec, facts: Omit<PlatformFacts, "port" | "image">, boot: NodeBoot, cloud: VmCloud): string {
  const text = renderCloudConfig({
    image: nodes.image,
    port: nodes.port,
    env: { ...nodes.env, ...platformEnv({ ...facts, port: nodes.port, image: nodes.image }) },
    ...boot,
  });
  // The user's secrets, where a cloud embeds them (DigitalOcean's app.json), count as theirs.
  const embedded = Object.assign({}, ...(boot.embeddedSecrets ?? []).filter((e) => e.file === "app.json").map((e) => e.values)) as Record<string, string>;
  const problem = userDataSizeProblem(cloud, Buffer.byteLength(text, "utf8"), userDataParts(cloud, nodes.env, embedded));
  if (problem) throw new UserDataTooLargeError(`The nodes' user data is too large, so the update stops before any node is created. Allowed: ${problem}`);
  return text;
}
