/**
 * Which configuration values are secrets: the app secrets, the bucket's secret key, the
 * private registry's password, and the
 * provider settings that are credentials. The deployment API stores these encrypted and
 * never puts them on a command line; the program, the offline plan and the CLI warn when a
 * stack's configuration holds one in plain text.
 */
import { configNamespace } from "./configError";

/**
 * Paths under the `ha-topology` namespace whose values are secrets (`*`: every entry of a
 * map). The first segment is the config key (`ha-topology:storage`): Pulumi encrypts per
 * leaf in the stack file, but hands a program the whole key as secret when any leaf is.
 */
export const topologySecretPaths: readonly (readonly string[])[] = [
  ["secrets", "*"],
  ["storage", "secretAccessKey"],
  ["registry", "password"],
];

/**
 * Provider settings that are credentials: those the providers themselves mark secret
 * (`aws:accessKey`, `aws:secretKey`, `aws:token`, `gcp:accessToken`, `digitalocean:token`)
 * and those that hold a credential without the mark (a GCP service account key, the
 * DigitalOcean Spaces key pair, a kubeconfig's contents).
 */
export const providerSecretKeys: readonly string[] = [
  "aws:accessKey",
  "aws:secretKey",
  "aws:token",
  "gcp:accessToken",
  "gcp:credentials",
  "digitalocean:token",
  "digitalocean:spacesAccessId",
  "digitalocean:spacesSecretKey",
  "kubernetes:kubeconfig",
];

/** Settings that take either a file path or the credential itself: only the latter is a secret in the file. */
const pathOrContents = new Set(["gcp:credentials", "kubernetes:kubeconfig"]);

/**
 * True when a config entry holds a credential: a provider key above, or a topology key
 * (`ha-topology:storage`, YAML-shaped `value`) with a value at one of the secret paths.
 */
export function holdsSecret(key: string, value: unknown): boolean {
  if (providerSecretKeys.includes(key)) return true;
  return topologySecretPaths.some((path) => key === `${configNamespace}:${path[0]}` && leaves(value, path.slice(1), key).length > 0);
}

/** True when a path under the namespace (`["storage", "secretAccessKey"]`) is a secret. */
export function isSecretTopologyPath(path: readonly string[]): boolean {
  return topologySecretPaths.some((secret) => secret.length === path.length && secret.every((segment, i) => segment === "*" || segment === path[i]));
}

const isSecure = (v: unknown): boolean =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;

/** The leaves under a secret path (all of them, or only those not `secure:`), as dotted keys. */
function leaves(value: unknown, path: readonly string[], key: string, plainOnly = false): string[] {
  if (value === undefined || value === null) return [];
  if (isSecure(value)) return plainOnly ? [] : [key];
  if (path.length === 0) return value === "" ? [] : [key];
  if (typeof value !== "object" || Array.isArray(value)) return [];
  const [head, ...rest] = path;
  return Object.entries(value as Record<string, unknown>)
    .filter(([name]) => head === "*" || name === head)
    .flatMap(([name, v]) => leaves(v, rest, `${key}.${name}`, plainOnly));
}

/**
 * The secret values a configuration holds in plain text, as keys (`ha-topology:secrets.API_KEY`,
 * `ha-topology:storage.secretAccessKey`, `digitalocean:token`). `config` has fully qualified
 * keys and YAML-shaped values (maps as objects, encrypted leaves as `{ secure: ... }`);
 * `isEncrypted` says which keys the engine reports as secret (the program's view, where
 * encrypted values arrive decrypted). A path or an empty value is not a credential.
 */
export function plaintextSecretKeys(config: Record<string, unknown>, isEncrypted: (key: string) => boolean = () => false): string[] {
  const found: string[] = [];
  for (const path of topologySecretPaths) {
    const key = `${configNamespace}:${path[0]}`;
    if (!isEncrypted(key)) found.push(...leaves(config[key], path.slice(1), key, true));
  }
  for (const key of providerSecretKeys) {
    const value = config[key];
    if (isEncrypted(key) || typeof value !== "string" || value.trim() === "") continue;
    // A file path is not the credential (a kubeconfig or a key file's contents is).
    if (pathOrContents.has(key) && !/[\n{]/.test(value)) continue;
    found.push(key);
  }
  return [...new Set(found)].sort();
}

/** How a user running `pulumi` or the `ha-topology` commands removes a plain-text secret. */
export type SecretRemedy = "pulumi" | "deployment";

/** The warning for one plain-text secret, with what to do about it. */
export function plaintextSecretWarning(key: string, remedy: SecretRemedy = "pulumi"): string {
  const nested = key.startsWith(`${configNamespace}:`) && key.includes(".");
  const fix =
    remedy === "pulumi"
      ? `encrypt it with \`pulumi config set --secret ${nested ? "--path " : ""}'${key}'\` (without a value on the command line it asks for it, or reads it from stdin)`
      : "remove it from the stack file and pass it as a secret (`ha-topology --secret NAME=env:VAR` or `=file:PATH`; in the API `secrets`, `secretConfig` or `providerConfig` `{ secret }`)";
  return `${key} is stored in plain text in the stack configuration (anyone who can read the file or its history can read it): ${fix}.`;
}
