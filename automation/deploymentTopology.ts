/**
 * What to deploy, for the deployment API: a topology from a stack file or an object,
 * flattened to the stack config the program reads, and checked by the program's own
 * parser before the Pulumi CLI starts.
 */
import * as fs from "node:fs";
import type { ConfigMap, PulumiFn } from "@pulumi/pulumi/automation";
import { configNamespace, TopologyConfigError } from "../components/configError";
import { holdsSecret, isSecretTopologyPath, plaintextSecretKeys, plaintextSecretWarning } from "../components/secretKeys";
import { decodeRawConfig, providerConfigOf } from "../components/stackConfig";
import type { Cloud } from "../components/sizes";
import { type AlarmsSpec, type DatabaseSpec, type DnsSpec, type HealthCheckSpec, type KubernetesSpec, type NetworkSpec, type NodesSpec, type RegistrySpec, type SessionsSpec, type StorageSpec, type TlsSpec } from "../components/topology";
import type { PreviousDeployment } from "../components/model/migration";
import { parseStack } from "../components/model/parse";
import { isStackName, projectDefaults, readStackFile, stackFileLabel, stackFilePath, stackNames, toEngineConfig, type StackConfig } from "./stackFiles";
import { DeploymentConfigError, InvalidTopologyError } from "./deploymentErrors";
import { withImages } from "./workloadImages";

/**
 * The `ha-topology` namespace as an object (keys without the namespace), as in a stack
 * file; the README's configuration reference lists every key. Sections are partial:
 * what is left out takes its default. Secrets are not part of it (see `secrets`).
 */
export interface TopologyConfig {
  /** Which adapter builds the service. */
  cloud: Cloud;
  /** The public hostname served over TLS. */
  domain: string;
  /** Short name that prefixes resource names and tags (default `web`). */
  name?: string;
  /** The app nodes (`env` values may be numbers or booleans, as in YAML). */
  nodes?: Partial<Omit<NodesSpec, "env">> & { env?: Record<string, string | number | boolean> };
  /** The load balancer's health check. */
  healthCheck?: Partial<HealthCheckSpec>;
  /** The replicated database (`version` may be a number, as in YAML). */
  database?: Partial<Omit<DatabaseSpec, "version">> & { version?: string | number };
  /** Object storage. */
  storage?: Partial<StorageSpec>;
  /** The optional session store. */
  sessions?: Partial<SessionsSpec>;
  /** The network. */
  network?: Partial<NetworkSpec>;
  /** DNS the program may manage. */
  dns?: DnsSpec;
  /** An existing certificate. */
  tls?: TlsSpec;
  /** Where alarms go. */
  alarms?: AlarmsSpec;
  /** Kubernetes settings (with `cloud: kubernetes`). */
  kubernetes?: Partial<KubernetesSpec>;
  /** Credentials for a private registry that is not the cloud's own (the password is stored as a secret). */
  registry?: RegistrySpec;
}

/** A provider setting: a plain value, or `{ secret }` for a value stored encrypted (e.g. `digitalocean:token`). */
export type ProviderConfigValue = string | number | boolean | { secret: string };

/** What both kinds of topology input share. */
interface TopologyInputBase {
  /**
   * The stack name. With a stack file it also names the file: `stacks/Pulumi.<stack>.yaml`
   * (letters, digits, `_`, `.`, `-`).
   */
  stack: string;
  /**
   * The stack's name in the backend, when it differs from `stack`, e.g.
   * `acme/ha-topology/prod` on Pulumi Cloud. Default: `stack`.
   */
  stackName?: string;
  /**
   * Provider settings in their own namespace (`{ "aws:region": "eu-west-1" }`); they override a
   * stack file's. Credentials (`digitalocean:token`, `aws:secretKey`, `gcp:credentials`, ...:
   * see components/secretKeys.ts) are stored as secrets even when given as plain strings.
   */
  providerConfig?: Record<string, ProviderConfigValue>;
  /**
   * App secrets (`ha-topology:secrets`): name -> value. Stored encrypted in the stack's
   * config and state, injected into the app's environment at boot.
   */
  secrets?: Record<string, string>;
  /**
   * Secret topology values by path under the namespace (`{ "storage.secretAccessKey": "..." }`),
   * set over the stack file's or `config`'s value and stored encrypted. Only secret paths are
   * accepted (app secrets go in `secrets`).
   */
  secretConfig?: Record<string, string>;
  /**
   * Images set over the topology's own, by workload name (`web` is the single service's
   * `nodes.image`; the others are `workloads.<name>.image`): what a rollback deploys. Only
   * the images change; the stack file is not touched, so the next deployment without them
   * deploys the file's images again. A name that is not a workload with an image is refused.
   */
  images?: Record<string, string>;
}

/** A topology read from `stacks/Pulumi.<stack>.yaml` (plus the defaults Pulumi.yaml declares). */
export interface StackFileTopology extends TopologyInputBase {
  /** Absent: the configuration comes from the stack file. */
  config?: undefined;
  /** A stack file elsewhere (a Pulumi.<stack>.yaml outside stacks/) to read instead; `stack` still names the stack. */
  stackFile?: string;
}

/** A topology given as an object. */
export interface InlineTopology extends TopologyInputBase {
  /** The `ha-topology` configuration. */
  config: TopologyConfig;
}

/** What to deploy: a stack file by name, or an object. */
export type TopologySource = StackFileTopology | InlineTopology;

/** The config key of the app secrets (read by `readSecrets` with `getObject("secrets")`). */
export const secretsKey = `${configNamespace}:secrets`;

/** Names Pulumi accepts for stacks and that are safe as part of a file name. */
/** Refuses a stack name Pulumi would refuse. */
export function checkStackName(stack: string): void {
  if (!isStackName(stack)) {
    throw new DeploymentConfigError(
      `Invalid stack name ${JSON.stringify(stack)}: use letters, digits, "_", "." and "-" (at most 100), starting with a letter or digit.`,
    );
  }
}

/** Reads a stack file's `config:` map; a missing or unreadable file is a config error naming it. */
function readTopologyFile(source: StackFileTopology): { label: string; config: Record<string, unknown> } {
  const label = source.stackFile ?? stackFileLabel(stackFilePath(source.stack));
  if (source.stackFile === undefined && !stackNames().includes(source.stack)) {
    throw new DeploymentConfigError(
      `No stack file ${label} for stack "${source.stack}" (stack files: ${stackNames().join(", ") || "none"}). ` +
        "Create it (copy stacks/Pulumi.aws.yaml) or pass the topology as an object.",
    );
  }
  if (source.stackFile !== undefined && !fs.existsSync(source.stackFile)) throw new DeploymentConfigError(`Stack file ${label} not found.`);
  try {
    return { label, config: readStackFile(source.stackFile ?? source.stack) };
  } catch (error) {
    throw new DeploymentConfigError(`Cannot read stack file ${label}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** The stack file's configuration in the engine's form, under the project defaults; refuses encrypted values. */
function stackFileConfig(source: StackFileTopology): StackConfig {
  const { label, config: file } = readTopologyFile(source);
  const config = toEngineConfig({ ...projectDefaults(), ...file }, configNamespace);
  if (config.secretKeys.length) {
    throw new DeploymentConfigError(
      `${label} has encrypted (secure:) values for ${config.secretKeys.join(", ")}. They are encrypted for ` +
        "that file's own secrets provider and cannot be used by this deployment's backend: remove them from the file and pass " +
        "app secrets through `secrets` (provider secrets through `providerConfig` as { secret: ... }).",
    );
  }
  return config;
}

/** An object topology in the engine's form (objects as JSON), keys qualified with the namespace. */
function inlineConfig(config: TopologyConfig): StackConfig {
  if ("secrets" in config) {
    throw new DeploymentConfigError("Pass app secrets through `secrets`, not inside `config`: they must be stored as secrets.");
  }
  const entries = Object.entries(config).filter(([, value]) => value !== undefined);
  const engine = toEngineConfig(Object.fromEntries(entries.map(([k, v]) => [`${configNamespace}:${k}`, v])), configNamespace);
  if (engine.secretKeys.length) {
    throw new DeploymentConfigError(`Encrypted (secure:) values cannot be used here (${engine.secretKeys.join(", ")}): pass secrets through \`secrets\`.`);
  }
  return engine;
}

/** Provider settings as config entries; refuses keys outside a provider namespace. */
function providerEntries(providerConfig: Record<string, ProviderConfigValue>): ConfigMap {
  const map: ConfigMap = {};
  for (const [key, value] of Object.entries(providerConfig)) {
    if (!/^[^:]+:.+$/.test(key) || key.startsWith(`${configNamespace}:`)) {
      throw new DeploymentConfigError(
        `providerConfig key ${JSON.stringify(key)}: use a provider's namespace such as "aws:region"; ${configNamespace} keys belong in the topology.`,
      );
    }
    map[key] = typeof value === "object" ? { value: value.secret, secret: true } : { value: String(value), secret: holdsSecret(key, value) };
  }
  return map;
}

/** Secrets given in the file or config in plain text (the program treats them as secret anyway), merged under `secrets`. */
function mergedSecrets(plain: string | undefined, given: Record<string, string> | undefined): Record<string, string> | undefined {
  let fromConfig: Record<string, string> = {};
  if (plain !== undefined) {
    try {
      fromConfig = JSON.parse(plain) as Record<string, string>;
    } catch {
      throw new DeploymentConfigError(`${secretsKey} must be a map of secret names to values.`);
    }
  }
  const merged = { ...fromConfig, ...(given ?? {}) };
  return Object.keys(merged).length ? merged : undefined;
}

/** Sets `secretConfig` values into the flattened topology (objects as JSON strings), refusing paths that are not secrets. */
function applySecretConfig(values: Record<string, string>, secretConfig: Record<string, string>): void {
  for (const [dotted, value] of Object.entries(secretConfig)) {
    const path = dotted.split(".");
    if (path[0] === "secrets" || !isSecretTopologyPath(path)) {
      throw new DeploymentConfigError(
        `secretConfig key ${JSON.stringify(dotted)}: use a secret path such as "storage.secretAccessKey"; app secrets belong in \`secrets\`.`,
      );
    }
    const key = `${configNamespace}:${path[0]}`;
    let section: Record<string, unknown> = {};
    const parsed = values[key] === undefined ? undefined : decodedValue(values[key]);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) section = parsed as Record<string, unknown>;
    let node = section;
    for (const segment of path.slice(1, -1)) {
      const next = node[segment];
      node = node[segment] = typeof next === "object" && next !== null && !Array.isArray(next) ? (next as Record<string, unknown>) : {};
    }
    node[path[path.length - 1]] = value;
    values[key] = JSON.stringify(section);
  }
}

/** Decodes an engine value for the secret check (objects are JSON strings). */
function decodedValue(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/**
 * The stack configuration to set on the stack: the topology flattened to the engine's
 * string form (objects as JSON strings, exactly what the CLI hands a program for YAML
 * maps), provider settings, and the app secrets as one secret JSON object under
 * `ha-topology:secrets` (what `readSecrets` reads with `getObject("secrets")`). Every entry
 * that holds a credential (app secrets, `ha-topology:storage` with its secret key, provider
 * tokens) is marked secret: the workspace sets those through stdin, never on a command line.
 */
export function topologyConfigMap(source: TopologySource): ConfigMap {
  checkStackName(source.stack);
  const engine = source.config === undefined ? stackFileConfig(source) : inlineConfig(source.config);
  applySecretConfig(engine.values, source.secretConfig ?? {});
  const values = withImages(engine.values, source.images ?? {});
  const map: ConfigMap = {};
  for (const [key, value] of Object.entries(values)) {
    if (key !== secretsKey) map[key] = { value, secret: holdsSecret(key, decodedValue(value)) };
  }
  Object.assign(map, providerEntries(source.providerConfig ?? {}));
  const secrets = mergedSecrets(values[secretsKey], source.secrets);
  if (secrets) map[secretsKey] = { value: JSON.stringify(secrets), secret: true };
  return map;
}

/**
 * Warnings about the topology's stack file: each secret it holds in plain text (it is
 * still stored encrypted by the deployment, but the file itself exposes it). None for an
 * object topology.
 */
export function topologyWarnings(source: TopologySource): string[] {
  if (source.config !== undefined) return [];
  const { config } = readTopologyFile(source);
  return plaintextSecretKeys(config).map((key) => plaintextSecretWarning(key, "deployment"));
}

/** A config map as the engine hands it to a program (values plus the secret keys): what the mocks take. */
export function engineConfig(map: ConfigMap): StackConfig {
  return {
    values: Object.fromEntries(Object.entries(map).map(([key, { value }]) => [key, value])),
    secretKeys: Object.keys(map).filter((key) => map[key].secret === true),
  };
}

/**
 * Checks the topology with the program's own parser before the CLI starts, so bad config
 * is a usage error found in milliseconds, not a failed preview after plugin downloads.
 */
export function validateTopologyConfig(map: ConfigMap): void {
  try {
    const values = engineConfig(map).values;
    parseStack(decodeRawConfig(values), providerConfigOf(values));
  } catch (error) {
    if (error instanceof TopologyConfigError) throw new InvalidTopologyError(error.problems, error.message);
    throw error;
  }
}

/**
 * The program `index.ts` runs, as an inline program; `previous` (read when the program
 * runs) is what the stack's last deployment ran. It loads the program on first run,
 * not at module load: loading the adapters is slow, and tests must load the program only
 * after installing mocks. `require`, not `import()`: under a CommonJS-only TypeScript
 * hook (`tsx/cjs`) a dynamic import() goes to Node's ESM
 * loader, which cannot resolve an extensionless .ts path.
 */
export function inlineProgramWith(previous: () => PreviousDeployment | undefined = () => undefined): PulumiFn {
  return async () => {
    const { runProgram } = require("../components/program") as typeof import("../components/program");
    return runProgram({ previous: previous() });
  };
}

/** The inline program without knowledge of the last deployment. */
export const inlineProgram: PulumiFn = inlineProgramWith();
