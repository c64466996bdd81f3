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
    if (isUnknownValueError(e)) return [];
    throw e;
  }
}

/** True for what the SDK's props proxy throws on reading a value not known yet (preview). */
export function isUnknownValueError(e: unknown): boolean {
  return e instanceof Error && e.constructor.name === "UnknownValueError";
}

/** The values by which other resources refer to a resource. */
function identifiers(resource: PolicyResource): Set<string> {
  const ids = new Set<string>([resource.urn]);
  for (const path of ["id", "arn", "name", "selfLink", "instanceGroup", "uuid", "urn", "metadata.name"]) {
    for (const value of knownStrings(() => at(resource.props, path))) ids.add(value);
  }
  return ids;
}

/**
 * A stack's resources with reference-following queries. Indexed on construction (by type,
 * and lazily by property), so a rule that follows references from every resource stays
 * linear in practice: stacks of tens of thousands of resources are judged in a second.
 */
export class StackView {
  private readonly position = new Map<PolicyResource, number>();
  private readonly byType = new Map<string, PolicyResource[]>();
  private readonly ids = new Map<PolicyResource, Set<string>>();
  private readonly deps = new Map<PolicyResource, Map<string, Set<string>>>();
  private readonly values = new Map<PolicyResource, Map<string, Set<string>>>();

  constructor(readonly resources: readonly PolicyResource[]) {
    resources.forEach((r, i) => {
      this.position.set(r, i);
      const list = this.byType.get(r.type);
      if (list) list.push(r);
      else this.byType.set(r.type, [r]);
    });
  }

  /** The resources of the given type(s), in stack order. */
  ofType(types: Types): PolicyResource[] {
    const lists = typeList(types).map((t) => this.byType.get(t) ?? []);
    if (lists.length === 1) return [...lists[0]];
    return lists.flat().sort((a, b) => this.position.get(a)! - this.position.get(b)!);
  }

  /** True when `from`'s property `prop` refers to `to`. */
  refersTo(from: PolicyResource, prop: string, to: PolicyResource): boolean {
    if (this.depsOf(from, prop).has(to.urn)) return true;
    let ids = this.ids.get(to);
    if (!ids) this.ids.set(to, (ids = identifiers(to)));
    const values = this.valuesOf(from, prop);
    if (values.size === 0) return false;
    for (const id of ids) if (values.has(id)) return true;
    return false;
  }

  /** The resources of `types` that `from`'s property `prop` refers to. */
  refs(from: PolicyResource, prop: string, types: Types): PolicyResource[] {
    const byId = this.identifierIndex(types);
    const found = new Set<PolicyResource>();
    for (const key of [...this.depsOf(from, prop), ...this.valuesOf(from, prop)]) {
      for (const to of byId.get(key) ?? []) if (to !== from) found.add(to);
    }
    return this.inStackOrder(found);
  }

  /** The resources of `types` whose property `prop` refers to `to`. */
  referrers(to: PolicyResource, types: Types, prop: string): PolicyResource[] {
    const index = this.referrerIndex(types, prop);
    let ids = this.ids.get(to);
    if (!ids) this.ids.set(to, (ids = identifiers(to)));
    const found = new Set<PolicyResource>();
    for (const key of ids) for (const from of index.get(key) ?? []) if (from !== to) found.add(from);
    return this.inStackOrder(found);
  }

  /**
   * The resources of `types` filed under any of `keys` by `keysOf` (which names the keys each
   * resource is filed under), in stack order, without repeats. The index is built once per
   * view, types and `keysOf` (pass a function defined once, not a fresh closure), so a rule
   * that looks up candidates for every resource stays linear. Callers file a resource under
   * every key that could make it match and keep their own test on the candidates, so the
   * answer is the one a scan of every resource would give.
   */
  filedUnder(types: Types, keysOf: (r: PolicyResource) => Iterable<string>, keys: Iterable<string>): PolicyResource[] {
    let perTypes = this.keyIndexes.get(keysOf);
    if (!perTypes) this.keyIndexes.set(keysOf, (perTypes = new Map()));
    const typesKey = typeList(types).join("|");
    let index = perTypes.get(typesKey);
    if (!index) {
      perTypes.set(typesKey, (index = { byKey: new Map(), unknown: [] }));
      for (const r of this.ofType(types)) {
        let filed: Set<string>;
        try {
          filed = new Set(keysOf(r));
        } catch (e) {
          // A key not known yet (preview): a candidate for every lookup, left to the caller's own test, as a scan would.
          if (!isUnknownValueError(e)) throw e;
          index.unknown.push(r);
          continue;
        }
        for (const key of filed) push(index.byKey, key, r);
      }
    }
    const found = new Set<PolicyResource>(index.unknown);
    for (const key of keys) for (const r of index.byKey.get(key) ?? []) found.add(r);
    return this.inStackOrder(found);
  }

  /** What `build` derives from this view, built on first use and kept for the view's life (`build` identifies it: define it once). */
  derived<T>(build: (view: StackView) => T): T {
    if (!this.derivations.has(build)) this.derivations.set(build, build(this));
    return this.derivations.get(build) as T;
  }

  /** The resources, without repeats, in stack order. */
  inStackOrder(found: Iterable<PolicyResource>): PolicyResource[] {
    return [...new Set(found)].sort((a, b) => this.position.get(a)! - this.position.get(b)!);
  }

  private readonly keyIndexes = new Map<(r: PolicyResource) => Iterable<string>, Map<string, { byKey: Map<string, PolicyResource[]>; unknown: PolicyResource[] }>>();
  private readonly derivations = new Map<(view: StackView) => unknown, unknown>();
  private readonly identifierIndexes = new Map<string, Map<string, PolicyResource[]>>();
  private readonly referrerIndexes = new Map<string, Map<string, PolicyResource[]>>();

  /** For resources of `types`: identifier (URN, ID, ARN, name, ...) -> resources. */
  private identifierIndex(types: Types): Map<string, PolicyResource[]> {
    const key = typeList(types).join("|");
    let index = this.identifierIndexes.get(key);
    if (!index) {
      this.identifierIndexes.set(key, (index = new Map()));
      for (const r of this.ofType(types)) {
        let ids = this.ids.get(r);
        if (!ids) this.ids.set(r, (ids = identifiers(r)));
        for (const id of ids) push(index, id, r);
      }
    }
    return index;
  }

  /** For resources of `types`: what their property `prop` names (URNs and values) -> those resources. */
  private referrerIndex(types: Types, prop: string): Map<string, PolicyResource[]> {
    const key = `${typeList(types).join("|")}#${prop}`;
    let index = this.referrerIndexes.get(key);
    if (!index) {
      this.referrerIndexes.set(key, (index = new Map()));
      for (const from of this.ofType(types)) {
        for (const named of new Set([...this.depsOf(from, prop), ...this.valuesOf(from, prop)])) push(index, named, from);
      }
    }
    return index;
  }

  private depsOf(from: PolicyResource, prop: string): Set<string> {
    let perProp = this.deps.get(from);
    if (!perProp) this.deps.set(from, (perProp = new Map()));
    let set = perProp.get(prop);
    if (!set) perProp.set(prop, (set = new Set((from.propertyDependencies[prop] ?? []).map((d) => d.urn))));
    return set;
  }

  private valuesOf(from: PolicyResource, prop: string): Set<string> {
    let perProp = this.values.get(from);
    if (!perProp) this.values.set(from, (perProp = new Map()));
    let set = perProp.get(prop);
    if (!set) perProp.set(prop, (set = new Set(knownStrings(() => from.props[prop]))));
    return set;
  }
}

/** Appends `value` to the list an index holds at `key`. */
export function push<K, V>(index: Map<K, V[]>, key: K, value: V): void {
  const list = index.get(key);
  if (list) list.push(value);
  else index.set(key, [value]);
}

/** A resource's label in messages: its name and type. */
export function describe(resource: PolicyResource): string {
  return `${resource.name} (${resource.type})`;
}

/** The list without repeats, in first-seen order. */
export function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
