/**
 * The `--secret NAME=env:VAR` / `--secret NAME=file:PATH` options of the deployment
 * commands: where secret values come from, so that none is ever written on a command line
 * (neither this one nor the Pulumi CLI's, which every local user can read in
 * /proc/<pid>/cmdline). A value given literally is refused.
 */
import * as fs from "node:fs";
import { configNamespace } from "../components/configError";
import { DeploymentConfigError } from "./deploymentErrors";

/** The secrets the options name, in the deployment API's terms. */
export interface CliSecrets {
  /** App secrets (`ha-topology:secrets.NAME`). */
  secrets: Record<string, string>;
  /** Secret topology values by path (`storage.secretAccessKey`). */
  secretConfig: Record<string, string>;
  /** Provider credentials (`digitalocean:token`), stored as secrets. */
  providerConfig: Record<string, { secret: string }>;
}

/** Where the option's values are read from (injectable for tests). */
export interface SecretSources {
  /** The environment. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Reads a file as UTF-8. Default: fs.readFileSync. */
  readFile?: (file: string) => string;
}

const usage = "use NAME=env:VAR (an environment variable) or NAME=file:PATH (a file's contents)";

/** Reads one value from its source; the value itself never appears in an error. */
function readSource(name: string, source: string, sources: Required<SecretSources>): string {
  const env = /^env:(.+)$/.exec(source);
  if (env) {
    const value = sources.env[env[1]];
    if (value === undefined || value === "") throw new DeploymentConfigError(`--secret ${name}=env:${env[1]}: the environment variable ${env[1]} is not set or empty.`);
    return value;
  }
  const file = /^file:(.+)$/.exec(source);
  if (file) {
    let text: string;
    try {
      text = sources.readFile(file[1]);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new DeploymentConfigError(`--secret ${name}=file:${file[1]}: cannot read the file (${code}).`);
    }
    // Files written by editors and `echo` end in a newline that is not part of the secret.
    const value = text.replace(/\r?\n$/, "");
    if (value === "") throw new DeploymentConfigError(`--secret ${name}=file:${file[1]}: the file is empty.`);
    return value;
  }
  throw new DeploymentConfigError(
    `--secret ${name}=…: ${usage}. A value written on the command line is readable by every user of this machine (ps, /proc/<pid>/cmdline).`,
  );
}

/**
 * Resolves the `--secret` options. NAME is an app secret (`API_KEY`, or
 * `ha-topology:secrets.API_KEY`), a secret topology path (`storage.secretAccessKey`, or
 * with the `ha-topology:` prefix), or a provider setting (`digitalocean:token`).
 */
export function readSecretOptions(specs: readonly string[], options: SecretSources = {}): CliSecrets {
  const sources = { env: options.env ?? process.env, readFile: options.readFile ?? ((file: string) => fs.readFileSync(file, "utf8")) };
  const result: CliSecrets = { secrets: {}, secretConfig: {}, providerConfig: {} };
  const seen = new Set<string>();
  for (const spec of specs) {
    const at = spec.indexOf("=");
    // Without "=", the text may be the secret itself: it is not repeated.
    if (at <= 0) throw new DeploymentConfigError(`--secret (value not shown): ${usage}.`);
    const name = spec.slice(0, at);
    if (seen.has(name)) throw new DeploymentConfigError(`--secret ${name} is given twice.`);
    seen.add(name);
    const value = readSource(name, spec.slice(at + 1), sources);
    const qualified = name.startsWith(`${configNamespace}:`);
    const local = qualified ? name.slice(configNamespace.length + 1) : name;
    if (!qualified && name.includes(":")) result.providerConfig[name] = { secret: value };
    else if (local.startsWith("secrets.")) result.secrets[local.slice("secrets.".length)] = value;
    // A path (checked by the deployment: only secret paths are accepted).
    else if (qualified || local.includes(".")) result.secretConfig[local] = value;
    else result.secrets[local] = value;
  }
  return result;
}
