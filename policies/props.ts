/**
 * Reading resource properties safely. The policy SDK hands rules untyped property bags
 * (`Record<string, any>`) whose shape depends on the provider version and on whether a
 * value is known yet; these helpers read them as `unknown` and narrow, so a missing or
 * odd value is "not set" instead of a crash.
 */

/** A property bag. */
export type Props = Record<string, unknown>;

/** True for plain objects (not arrays, not null). */
export function isObject(value: unknown): value is Props {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at a dotted path ("spec.template.spec"), or undefined. */
export function at(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split(".")) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** The object at a path, or an empty one. */
export function obj(value: unknown, path?: string): Props {
  const v = path === undefined ? value : at(value, path);
  return isObject(v) ? v : {};
}

/** The list at a path; a single value becomes a one-element list (some providers flatten max-1 blocks). */
export function list(value: unknown, path?: string): unknown[] {
  const v = path === undefined ? value : at(value, path);
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** The list at a path, keeping only objects. */
export function objects(value: unknown, path?: string): Props[] {
  return list(value, path).filter(isObject);
}

/** A string value, or undefined. */
export function str(value: unknown, path?: string): string | undefined {
  const v = path === undefined ? value : at(value, path);
  return typeof v === "string" ? v : undefined;
}

/** A number value (numeric strings count: Kubernetes and some providers send them), or undefined. */
export function num(value: unknown, path?: string): number | undefined {
  const v = path === undefined ? value : at(value, path);
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

/** A boolean value (the strings "true"/"false" count, as in Kubernetes annotations), or undefined. */
export function bool(value: unknown, path?: string): boolean | undefined {
  const v = path === undefined ? value : at(value, path);
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "false") return v === "true";
  return undefined;
}

/** Every string anywhere inside a value (used to match references by value). */
export function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (typeof value === "number") return [String(value)];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (isObject(value)) return Object.values(value).flatMap(strings);
  return [];
}

/** The addresses that mean "anyone on the internet". */
export const worldCidrs: readonly string[] = ["0.0.0.0/0", "::/0"];
