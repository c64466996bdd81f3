/**
 * References to resource outputs inside `env` values: `${resources.<name>.<field>}`.
 * Parsed at parse time into a template (literal parts and references), so a reference to
 * an unknown resource or field is refused before anything exists, and the platform later
 * resolves it from the binding (secret when the field is).
 *
 * Escaping: `$${resources.` is the literal text `${resources.` (the `$` doubled, as in
 * Pulumi's own interpolation). Any other `$`, `$$` or `${...}` is left exactly as written,
 * so shell-like values (`$HOME`, `${PATH}`) need no escaping.
 */

/** A reference to one field of one resource's binding. */
export interface Reference {
  /** The resource's name (a key of `ha-topology:resources`, or a legacy resource). */
  resource: string;
  /** The field, as the binding names it (`host`, `url`, `value`, ...). */
  field: string;
}

/** One part of an env value: literal text or a reference. */
export type TemplatePart = string | Reference;

/** Why a value's reference syntax is wrong, and where. */
export interface ReferenceSyntaxError {
  /** The text from the opening `${resources.` that could not be read. */
  at: string;
}

const opening = "${resources.";
const reference = /^\$\{resources\.([a-z][a-z0-9-]*)\.([A-Za-z][A-Za-z0-9]*)\}/;

/** Splits a value into literal parts and references; a malformed `${resources.` is an error. */
export function parseTemplate(value: string): TemplatePart[] | ReferenceSyntaxError {
  const parts: TemplatePart[] = [];
  let literal = "";
  let i = 0;
  while (i < value.length) {
    if (value.startsWith("$" + opening, i)) {
      literal += opening;
      i += 1 + opening.length;
    } else if (value.startsWith(opening, i)) {
      const match = reference.exec(value.slice(i));
      if (!match) return { at: value.slice(i, i + 60) };
      if (literal) parts.push(literal);
      literal = "";
      parts.push({ resource: match[1], field: match[2] });
      i += match[0].length;
    } else {
      literal += value[i];
      i += 1;
    }
  }
  if (literal || parts.length === 0) parts.push(literal);
  return parts;
}

/** The references of a template. */
export function referencesOf(parts: readonly TemplatePart[]): Reference[] {
  return parts.filter((p): p is Reference => typeof p !== "string");
}

/** The reference as written in a stack file. */
export function referenceText(ref: Reference): string {
  return `\${resources.${ref.resource}.${ref.field}}`;
}
