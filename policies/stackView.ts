/**
 * Queries over the resources of a stack, as the policy SDK passes them to a stack policy:
 * finding resources by type and following references between them.
 *
 * A reference is followed two ways, so it works both in preview (where the referenced
 * value, an ARN or a self link, is not known yet) and on resources that were not created
 * by this program: the engine's property dependencies (which URNs a property's value came
 * from), and, failing that, the property's value compared with the target's identifiers.
 */
import type { PolicyResource } from "@pulumi/policy";
import { at, strings } from "./props";

/** One type token or several (modules with aliases, such as `lb` and `alb`). */
export type Types = string | readonly string[];

function typeList(types: Types): readonly string[] {
  return typeof types === "string" ? [types] : types;
}

/**
 * The strings in a property, or none while it is unknown (preview): the SDK's props proxy
 * throws on unknown values, and a reference made by this program is then still found
 * through the property dependencies.
 */
function knownStrings(read: () => unknown): string[] {
  try {
    return strings(read());
  } catch (e) {
    if (e instanceof Error && e.constructor.name === "UnknownValueError") return [];
    throw e;
  }
}

/** The values by which other resources refer to a resource. */
function identifiers(resource: PolicyResource): Set<string> {
  const ids = new Set<string>([resource.urn]);
  for (const path of ["id", "arn", "name", "selfLink", "instanceGroup", "uuid", "urn", "metadata.name"]) {
    for (const value of knownStrings(() => at(resource.props, path))) ids.add(value);
  }
  return ids;
}

/** A stack's resources with reference-following queries. */
export class StackView {
  private readonly ids = new Map<PolicyResource, Set<string>>();

  constructor(readonly resources: readonly PolicyResource[]) {}

  /** The resources of the given type(s), in stack order. */
  ofType(types: Types): PolicyResource[] {
    const wanted = typeList(types);
    return this.resources.filter((r) => wanted.includes(r.type));
  }

  /** True when `from`'s property `prop` refers to `to`. */
  refersTo(from: PolicyResource, prop: string, to: PolicyResource): boolean {
    if ((from.propertyDependencies[prop] ?? []).some((d) => d.urn === to.urn)) return true;
    let ids = this.ids.get(to);
    if (!ids) this.ids.set(to, (ids = identifiers(to)));
    return knownStrings(() => from.props[prop]).some((s) => ids.has(s));
  }

  /** The resources of `types` that `from`'s property `prop` refers to. */
  refs(from: PolicyResource, prop: string, types: Types): PolicyResource[] {
    return this.ofType(types).filter((to) => to !== from && this.refersTo(from, prop, to));
  }

  /** The resources of `types` whose property `prop` refers to `to`. */
  referrers(to: PolicyResource, types: Types, prop: string): PolicyResource[] {
    return this.ofType(types).filter((from) => from !== to && this.refersTo(from, prop, to));
  }
}

/** A resource's label in messages: its name and type. */
export function describe(resource: PolicyResource): string {
  return `${resource.name} (${resource.type})`;
}

/** The list without repeats, in first-seen order. */
export function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
