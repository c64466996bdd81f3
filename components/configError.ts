/**
 * Turns schema issues into the one message a user reads when the stack configuration is
 * wrong: each line names the full config key, the value received and what is allowed.
 */
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { escapeRawSeparators, isNodeText, quoteForMessage } from "./nodeText";

/** The config namespace every key of this program lives in. */
export const configNamespace = "ha-topology";

/**
 * Bad stack configuration. A `pulumi.RunError`, so the CLI prints the message alone
 * (no stack trace) and the program stops before any resource is registered.
 */
export class TopologyConfigError extends pulumi.RunError {
  /** One line per problem, without the heading. */
  readonly problems: string[];
  constructor(problems: string[]) {
    const heading =
      problems.length === 1
        ? "Invalid stack configuration; nothing was created:"
        : `Invalid stack configuration (${problems.length} problems); nothing was created:`;
    super([heading, ...problems.map((p) => `  - ${p}`)].join("\n"));
    this.name = "TopologyConfigError";
    this.problems = problems;
  }
}

/**
 * Renders a received value compactly: JSON for data, "nothing" when the key is absent.
 * Control and separator characters are escaped, so a hostile value stays on its line.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (the key is not set)";
  const json = escapeRawSeparators(JSON.stringify(value));
  if (json.length <= 80) return json;
  // Never cut a surrogate pair in half (the message would carry a lone surrogate).
  const cut = json.slice(0, 77);
  return `${/[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut}...`;
}

/** A config path as the message names it: a segment with control or separator characters is quoted and escaped. */
export function pathName(path: readonly PropertyKey[]): string {
  return path.map((part) => (isNodeText(String(part)) ? String(part) : quoteForMessage(String(part)))).join(".");
}

/** Edit distance, for "did you mean" on unknown keys. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The closest accepted key, when it is close enough to be a likely typo. */
export function closestKey(key: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** Shown instead of anything under `secrets`: names are harmless, but values never print. */
export const secretMask = "[secret]";

/**
 * The config paths whose values are secrets: anything under `secrets`, the bucket's
 * secret key, and everything under `registry` (a DigitalOcean token is the user name
 * too, and a misspelled `registry.pasword` still holds a password).
 */
function isSecretPath(path: readonly PropertyKey[]): boolean {
  return path[0] === "secrets" || (path[0] === "storage" && path[1] === "secretAccessKey") || path[0] === "registry";
}

/** One problem line: the full key (after the namespace), the value as shown, what is allowed. */
export function configProblem(key: string, received: string, allowed: string): string {
  // Provider keys ("digitalocean:region") are already qualified; ours get the namespace.
  return `${key.includes(":") ? key : `${configNamespace}:${key}`}: received ${received}; allowed: ${allowed}`;
}

function keyName(path: readonly PropertyKey[]): string {
  return path.length === 0 ? configNamespace : `${configNamespace}:${pathName(path)}`;
}

/** The value at a config path of the raw input (undefined where the path leaves the objects). */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const part of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

/**
 * One line per issue. Values are read from the user's raw input (not the defaulted one)
 * so a message shows what the user wrote; secret values are never echoed.
 */
export function formatConfigIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: Record<string, unknown>,
  knownKeys: Record<string, string[]>,
): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const parent = issue.path.map(String).join(".");
      const accepted = knownKeys[parent] ?? [];
      for (const key of issue.keys) {
        const hint = closestKey(key, accepted);
        const value = isSecretPath([...issue.path, key]) ? secretMask : describeValue(valueAt(raw, [...issue.path, key]));
        lines.push(
          `${keyName([...issue.path, key])}: unknown key (received ${value}); ` +
            `allowed keys: ${accepted.join(", ")}${hint ? ` (did you mean "${hint}"?)` : ""}`,
        );
      }
      continue;
    }
    // A custom check may say what it received in words (e.g. "120 variables, 17000 bytes").
    const stated = issue.code === "custom" && typeof issue.params?.received === "string" ? issue.params.received : undefined;
    // A secret key that is not set shows as "nothing": there is no value to hide.
    const secret = isSecretPath(issue.path) && !(issue.path[0] === "registry" && valueAt(raw, issue.path) === undefined);
    const received = secret ? secretMask : stated ?? describeValue("input" in issue ? issue.input : valueAt(raw, issue.path));
    lines.push(configProblem(pathName(issue.path), received, issue.message));
  }
  return lines;
}

/**
 * The region answered with fewer zones than `network.zones` at deploy time, although the
 * region table allowed the count before any resource (a zone closed to new resources, or
 * not enabled on the account). Unlike TopologyConfigError this comes after registration
 * started, so it does not claim that nothing was created.
 */
export class ZoneCountError extends pulumi.RunError {
  constructor(requested: number, region: string, available: readonly string[]) {
    super(
      `${configNamespace}:network.zones: received ${requested}; region ${region} answered with ${available.length} usable zones ` +
        `(${available.join(", ") || "none"}), fewer than the region table lists: a zone may be closed to new resources or not enabled ` +
        `on your account. Set ${configNamespace}:network.zones to ${available.length} or fewer and run the update again; resources ` +
        `registered before this check may have been created, and the next update continues from them.`,
    );
    this.name = "ZoneCountError";
  }
}
