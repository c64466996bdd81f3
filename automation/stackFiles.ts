/**
 * Reads a stack's configuration the way the Pulumi CLI hands it to the program: the
 * stack file's `config:` block, plus the defaults Pulumi.yaml declares, flattened to the
 * engine's string map (objects as JSON). Encrypted values cannot be decrypted offline;
 * they become placeholders and their keys are reported as secret. Files are read with the
 * Pulumi CLI's YAML rules (see goYaml.ts), or refused where a reader could differ.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../components/projectRoot";
import { parseGoYaml, setOwn } from "./goYaml";

export { projectRoot };

/** The engine's view of a stack's configuration. */
export interface StackConfig {
  /** Fully qualified key ("ha-topology:nodes") -> value as the engine passes it. */
  values: Record<string, string>;
  /** Keys whose values are secret. */
  secretKeys: string[];
}

interface ProjectFile {
  name: string;
  stackConfigDir?: string;
  config?: Record<string, { default?: unknown } | unknown>;
}

function readProject(): ProjectFile {
  const file = path.join(projectRoot, "Pulumi.yaml");
  return parseGoYaml(fs.readFileSync(file, "utf8"), readerLabel(file)) as ProjectFile;
}

/** Names of the stacks that have a file (Pulumi.<stack>.yaml) in `dir`, by default the stack config directory. */
export function stackNames(dir: string = path.join(projectRoot, readProject().stackConfigDir ?? ".")): string[] {
  return fs
    .readdirSync(dir)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

const isSecure = (v: unknown): v is { secure: string } =>
  typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;

/** Replaces `{ secure: ... }` leaves with placeholders; says whether any were found. */
function replaceSecure(value: unknown, where: string, found: { any: boolean }): unknown {
  if (isSecure(value)) {
    found.any = true;
    return `offline-placeholder-for-${where}`;
  }
  if (Array.isArray(value)) return value.map((v, i) => replaceSecure(v, `${where}.${i}`, found));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSecure(v, `${where}.${k}`, found)]));
  }
  return value;
}

/** Flattens a config map (as written in YAML) to the engine's string form. */
export function toEngineConfig(config: Record<string, unknown>, projectName = readProject().name): StackConfig {
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, rawValue] of Object.entries(config)) {
    const key = rawKey.includes(":") ? rawKey : `${projectName}:${rawKey}`;
    const found = { any: false };
    const value = replaceSecure(rawValue, key, found);
    if (found.any) secretKeys.push(key);
    values[key] = typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
  }
  return { values, secretKeys };
}

/** The project's declared defaults (Pulumi.yaml `config:` entries with a `default`). */
export function projectDefaults(): Record<string, unknown> {
  const project = readProject();
  const defaults: Record<string, unknown> = {};
  for (const [key, declaration] of Object.entries(project.config ?? {})) {
    if (typeof declaration === "object" && declaration !== null && "default" in declaration) {
      defaults[key.includes(":") ? key : `${project.name}:${key}`] = (declaration as { default: unknown }).default;
    }
  }
  return defaults;
}

/** Pulumi's rule for stack names: letters, digits, "_", "." and "-", at most 100, not starting with a punctuation mark. */
export function isStackName(stack: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(stack);
}

/** A stack file's path as messages show it: relative to the project ("stacks/Pulumi.aws.yaml"). */
export function stackFileLabel(file: string): string {
  return path.relative(projectRoot, file).split(path.sep).join("/");
}

/** How reader errors name a file: relative to the project when inside it, else its full path. */
function readerLabel(file: string): string {
  const relative = path.relative(projectRoot, file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? path.resolve(file) : relative.split(path.sep).join("/");
}

/** The path of a stack's file (which may not exist). */
export function stackFilePath(stack: string): string {
  return path.join(projectRoot, readProject().stackConfigDir ?? ".", `Pulumi.${stack}.yaml`);
}

/** The raw `config:` map of a stack file, given by stack name or by path. */
export function readStackFile(stackOrFile: string): Record<string, unknown> {
  const file = stackOrFile.endsWith(".yaml") || stackOrFile.endsWith(".yml") ? stackOrFile : stackFilePath(stackOrFile);
  const parsed = parseGoYaml(fs.readFileSync(file, "utf8"), readerLabel(file)) as { config?: Record<string, unknown> } | null;
  if (parsed !== null && (typeof parsed !== "object" || Array.isArray(parsed))) throw new Error("a stack file is a YAML map with a `config:` key");
  return parsed?.config ?? {};
}

/** A stack's configuration as the CLI would pass it: project defaults under the stack file (name or path). */
export function loadStackConfig(stackOrFile: string): StackConfig {
  return toEngineConfig({ ...projectDefaults(), ...readStackFile(stackOrFile) });
}

/** Merges `patch` into `base`: objects merge key by key, `undefined` deletes, anything else replaces. */
export function mergeConfig(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined;
    if (value === undefined) delete out[key];
    else setOwn(out, key, isPlainObject(value) && isPlainObject(current) ? mergeConfig(current, value) : value);
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A stack's configuration with some keys changed (fully qualified keys, YAML-shaped values). */
export function stackConfigWith(stack: string, patch: Record<string, unknown>): StackConfig {
  return toEngineConfig(mergeConfig({ ...projectDefaults(), ...readStackFile(stack) }, patch));
}
