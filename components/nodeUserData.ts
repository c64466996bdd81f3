/**
 * The user data of a VM node on any cloud: the app's plain environment (the user's
 * `nodes.env` under the platform's variables) and the boot sequence, from facts the
 * adapter has resolved. One place, so every VM adapter gives the app the same contract.
 */
import * as pulumi from "@pulumi/pulumi";
import { platformEnv, type PlatformFacts } from "./appEnvironment";
import { renderCloudConfig, type BootstrapSpec } from "./bootstrap";
import { renderJobCloudConfig, type JobNodeSpec } from "./jobBootstrap";
import type { NodesSpec } from "./topology";
import { userDataParts, userDataSizeProblem, type VmCloud } from "./userDataLimits";

/** What differs per cloud in how a node boots: secret sources, packages, stop timeout, embedded secrets, registry login, log driver. */
export type NodeBoot = Pick<BootstrapSpec, "secretSources" | "packages" | "stopTimeoutSeconds" | "embeddedSecrets" | "setupCommands" | "registryLogin" | "logDriver" | "livenessWatchdog" | "livenessEndpoint" | "caFiles" | "caDownloads">;

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

/** What a workload's user data is rendered from: its container and its plain environment. */
export interface WorkloadNode {
  /** The workload's name, for the size message. */
  name: string;
  /** The container image. */
  image: string;
  /** The container's command, when the workload sets one. */
  command?: string[];
  /** The published port (web); unset for a worker. */
  port?: number;
  /** Seconds between SIGTERM and SIGKILL. */
  stopTimeoutSeconds: number;
  /** The plain environment: bindings' plain fields, internal URLs and the workload's own plain env. */
  env: Record<string, string>;
  /** The platform's variables (workloadPlatformEnv), set over `env`. */
  platformEnv: Record<string, string>;
}

/**
 * The `#cloud-config` user data of one workload's nodes (several-workloads model); throws
 * when it is over the cloud's limit. `boot.stopTimeoutSeconds` is the workload's own.
 */
export function workloadUserData(node: WorkloadNode, boot: Omit<NodeBoot, "stopTimeoutSeconds">, cloud: VmCloud): string {
  const text = renderCloudConfig({
    image: node.image,
    ...(node.port !== undefined && { port: node.port }),
    ...(node.command && { command: node.command }),
    env: { ...node.env, ...node.platformEnv },
    stopTimeoutSeconds: node.stopTimeoutSeconds,
    ...boot,
  });
  const embedded = Object.assign({}, ...(boot.embeddedSecrets ?? []).map((e) => e.values)) as Record<string, string>;
  const problem = userDataSizeProblem(cloud, Buffer.byteLength(text, "utf8"), userDataParts(cloud, node.env, embedded));
  if (problem) throw new UserDataTooLargeError(`The user data of workload ${node.name}'s nodes is too large, so the update stops before any node is created. Allowed: ${problem}`);
  return text;
}

/** The `#cloud-config` user data of a scheduled job's nodes (jobBootstrap.ts); throws when it is over the cloud's limit. */
export function jobUserData(spec: JobNodeSpec, cloud: VmCloud): string {
  const text = renderJobCloudConfig(spec);
  const embedded = Object.assign({}, ...(spec.boot.embeddedSecrets ?? []).map((e) => e.values)) as Record<string, string>;
  const problem = userDataSizeProblem(cloud, Buffer.byteLength(text, "utf8"), userDataParts(cloud, spec.env, embedded));
  if (problem) throw new UserDataTooLargeError(`The user data of job ${spec.job}'s nodes is too large, so the update stops before any node is created. Allowed: ${problem}`);
  return text;
}
