/**
 * Reads the `ha-topology:*` keys of the running stack's configuration into the raw form
 * `parseTopology` takes, and the app secrets as secret Outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import { configNamespace } from "./configError";
import { plaintextSecretKeys, plaintextSecretWarning, providerSecretKeys } from "./secretKeys";
import { sectionKeys } from "./topology";

/** Keys whose values are structured (YAML maps in the stack file, JSON in the engine). */
const objectKeys = new Set<string>([...sectionKeys, "secrets", "registry"]);

/**
 * Decodes an engine config value: JSON for structured keys; for the others only when the
 * value is a JSON object or list (a misspelled structured key still shows as written).
 */
function decode(value: string, structured: boolean): unknown {
  try {
    const parsed: unknown = JSON.parse(value);
    return structured || (typeof parsed === "object" && parsed !== null) ? parsed : value;
  } catch {
    return value;
  }
}

/**
 * Every key of the namespace, including unknown ones (so typos are reported), with
 * object values decoded. A value that is not valid JSON is passed on as the string
 * received, for the schema to refuse with the key's name.
 */
export function readRawConfig(): Record<string, unknown> {
  return decodeRawConfig(pulumi.runtime.allConfig());
}

/**
 * The `ha-topology` keys of an engine config map (fully qualified key -> string), decoded
 * as `readRawConfig` decodes them. Pure, so config can be checked outside a program run.
 */
export function decodeRawConfig(engineValues: Record<string, string>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  const prefix = `${configNamespace}:`;
  for (const [fullKey, value] of Object.entries(engineValues)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    raw[key] = decode(value, objectKeys.has(key));
  }
  return raw;
}

/** Which config keys the engine reports as secret (`PULUMI_CONFIG_SECRET_KEYS`; the SDK's accessor is internal). */
function isConfigSecret(key: string): boolean {
  const runtime = pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean };
  // An SDK without the accessor: assume secret, so no false alarm is raised.
  return runtime.isConfigSecret?.(key) ?? true;
}

/**
 * The secret values the running stack's configuration holds in plain text (not
 * `secure:`), as keys such as `ha-topology:secrets.API_KEY` or `digitalocean:token`.
 */
export function plaintextSecretsInConfig(): string[] {
  const all = pulumi.runtime.allConfig();
  const config: Record<string, unknown> = Object.fromEntries(Object.entries(decodeRawConfig(all)).map(([k, v]) => [`${configNamespace}:${k}`, v]));
  for (const key of providerSecretKeys) if (key in all) config[key] = all[key];
  return plaintextSecretKeys(config, isConfigSecret);
}

/**
 * The stack's config keys outside the `ha-topology` namespace (`aws:region`, ...), fully
 * qualified, as the engine passes them: `parseTopology` checks the selected provider's.
 */
export function readProviderConfig(): Record<string, string> {
  return providerConfigOf(pulumi.runtime.allConfig());
}

/** The keys of an engine config map outside the `ha-topology` namespace. Pure, like `decodeRawConfig`. */
export function providerConfigOf(engineValues: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(engineValues).filter(([key]) => !key.startsWith(`${configNamespace}:`)));
}

/**
 * The app secrets (`ha-topology:secrets`): name -> secret Output. The names are plain
 * (they become variable names); the values never leave Pulumi's secret handling, even
 * if the user wrote them into the stack file without --secret. Such plain-text secrets
 * (and a plain bucket key or provider token) are reported as warnings, once per run.
 */
export function readSecrets(): Record<string, pulumi.Output<string>> {
  for (const key of plaintextSecretsInConfig()) void pulumi.log.warn(plaintextSecretWarning(key));
  const values = new pulumi.Config(configNamespace).getObject<Record<string, string>>("secrets") ?? {};
  return Object.fromEntries(Object.keys(values).sort().map((name) => [name, pulumi.secret(values[name])]));
}
