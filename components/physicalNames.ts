/**
 * Cloud-side names derived from the stack: unique per Pulumi project and stack.
 *
 * Pulumi stack names allow letters of both cases, digits, `-`, `_` and `.`; most clouds
 * allow fewer characters, so a name must be normalised, and normalising loses
 * information: `prod_eu`, `Prod-EU` and `prod.eu` all become `prod-eu`. Two such stacks in
 * one account (or two projects with the same stack name) would share tags, service
 * accounts, secrets or namespaces, and each would then act on the other's resources.
 *
 * The scheme: the normalised stack name, plus `-` and 6 hex digits of the SHA-256 of the
 * exact project and stack whenever the plain form could be ambiguous (normalisation
 * changed something, the project is not this repository's, or the plain name itself ends
 * like a hash). Stacks whose names were already unique keep their plain name, so their
 * cloud-side names do not change; the others get a name no other stack can get (short
 * of a hash collision, one in 16 million). Where a name can only be set at creation, the
 * adapters also ignore later changes to it (`ignoreChanges`), so a stack created before
 * this scheme keeps the name it has (see README, "Names of cloud resources").
 *
 * This module runs in the program only (it uses node:crypto and the Pulumi SDK).
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/** What identifies a stack: its Pulumi project and its stack name, exactly as given. */
export interface StackIdentity {
  /** The Pulumi project's name (`name` in Pulumi.yaml, or the Automation API's project). */
  project: string;
  /** The stack's name. */
  stack: string;
}

/** The project name of this repository's Pulumi.yaml: its stacks keep their plain names. */
export const defaultProject = "ha-topology";

/** The project and stack the program is running in. */
export function currentStack(): StackIdentity {
  return { project: pulumi.getProject(), stack: pulumi.getStack() };
}

/**
 * The first `length` hex digits of the SHA-256 of `parts` (joined with NUL, which no part
 * contains, so ["a-b", "c"] and ["a", "b-c"] differ). Stable from one run to the next.
 */
export function shortHash(parts: string[], length = 6): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, length);
}

/** How a cloud's names are spelled: the characters allowed, and whether upper case is. */
export interface NameRule {
  /** Matches one character the cloud does not allow (it becomes `-`); use the `g` flag. */
  invalid: RegExp;
  /** True when the cloud allows upper-case letters (otherwise names are lower-cased). */
  upperCase: boolean;
}

/** A looks-like-our-hash ending: a plain name must not end like this, or it could meet a hashed one. */
const hashSuffix = /-[0-9a-f]{6}$/;

/**
 * The stack's part of a cloud-side name: the stack name as the cloud allows it, with the
 * stack's hash appended whenever the plain form could belong to another stack too (see
 * the module comment). Injective over (project, stack): plain results never end like a
 * hash, hashed ones always do, and hashed ones differ by the exact project and stack.
 */
export function stackSegment(id: StackIdentity, rule: NameRule): string {
  const cased = rule.upperCase ? id.stack : id.stack.toLowerCase();
  const normalised = cased.replace(rule.invalid, "-");
  const plain =
    normalised === id.stack &&
    id.project === defaultProject &&
    !hashSuffix.test(normalised) &&
    !normalised.startsWith("-") &&
    !normalised.endsWith("-");
  return plain ? normalised : `${normalised.replace(/^-+|-+$/g, "") || "stack"}-${shortHash([id.project, id.stack])}`;
}

/**
 * `name` cut to `maxLength`: unchanged when it fits; otherwise its first characters and
 * `-` plus the hash of the whole name, so two long names that share a beginning still differ.
 */
export function fitName(name: string, maxLength: number): string {
  if (name.length <= maxLength) return name;
  const hash = shortHash([name]);
  return `${name.slice(0, maxLength - hash.length - 1).replace(/-+$/, "")}-${hash}`;
}

/** DigitalOcean tag names: letters, digits, `-`, `_` and `:`, at most 255 (lower-cased here, as before). */
export const digitaloceanTagRule: NameRule = { invalid: /[^a-z0-9-]/g, upperCase: false };
/** Secret Manager secret IDs: letters of both cases, digits, `-` and `_`. */
export const gcpSecretIdRule: NameRule = { invalid: /[^A-Za-z0-9_-]/g, upperCase: true };
/** CloudWatch Logs log group names: letters of both cases, digits, `.`, `_`, `-`, `/` and `#` (a stack segment gets no `/`, so it stays one path part). */
export const cloudWatchLogGroupRule: NameRule = { invalid: /[^A-Za-z0-9._#-]/g, upperCase: true };
/** RFC 1123 labels (Kubernetes namespaces, GCP resource IDs): lower-case letters, digits and `-`. */
export const dnsLabelRule: NameRule = { invalid: /[^a-z0-9-]/g, upperCase: false };

/**
 * Warns when a resource kept a name from before this scheme (`ignoreChanges` on it): such
 * a stack may share that name with another stack whose name normalises alike. `kept` is
 * the name the cloud has (the resource's output), `intended` what a new stack would get.
 */
export function warnIfLegacyName(what: string, kept: pulumi.Output<string>, intended: string, resource: pulumi.Resource): void {
  kept.apply((name) => {
    if (name !== undefined && name !== intended) {
      pulumi.log.warn(
        `${what} keeps its name "${name}" from before ha-topology named cloud resources per project and stack (a new stack would get "${intended}"). ` +
          'Another stack whose name normalises alike may share it: see README, "Names of cloud resources".',
        resource,
      );
    }
    return name;
  });
}
