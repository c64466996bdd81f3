/**
 * The YAML text of a node's `#cloud-config`, written directly for the one shape the
 * platforms render (bootstrap.ts `renderCloudConfig`, jobBootstrap.ts), byte for byte what
 * the `yaml` package writes for it (`stringify(config, { version: "1.1", lineWidth: 0 })`).
 *
 * Why: the user data is rendered for every node group, and once more for the parse-time
 * size estimate (model/vmChecks.ts); through `yaml` that was its modules' first load and their
 * first, unoptimised runs: 20 ms of CPU in a profile of the Maestro DigitalOcean recipe (ten
 * renderings), which this writes in about 3 ms. Why byte
 * for byte: a node's user data is part of its launch template, instance template or droplet,
 * so a text that differs by one quote would roll every node of every stack on upgrade.
 *
 * So it writes only what it knows `yaml` writes the same way, and answers `undefined` for
 * anything else (the caller then asks `yaml`): a map of lower-case keys whose values are
 * booleans, words, or lists (empty, or of words, of non-empty lists of words, or of maps of words).
 * A list or map that appears twice (the same object) is `yaml`'s too: it writes an anchor
 * and an alias for it. A word is written plain when `yaml` would leave it plain (test/cloudConfigYaml.test.ts
 * checks that against `yaml` on random documents), a permission such as 0644 double-quoted
 * (YAML 1.1 would read it as an octal number), and no other: a string that could read as a
 * number, a date, a boolean or null in YAML 1.1, or that holds an indicator, is `yaml`'s.
 */

/** A value of the shape: a boolean, a word, a list, or a map of words. */
type Value = unknown;

/**
 * Strings `yaml` leaves plain in a block collection: a letter, `_` or `/` first (or one or
 * two dashes and a letter: `--now`), then letters, digits, spaces and `_ . / + = : @ , % -`,
 * no `: ` and no space or `:` at the end (`yaml`'s rules for a plain scalar, narrowed).
 */
const plainWord = /^(?:[A-Za-z_/]|--?[A-Za-z])[A-Za-z0-9_./+=:@,% -]*$/;
/**
 * What `yaml` quotes among those: a YAML 1.1 boolean or null (its schema's tests, widened to
 * any case), or a float with an exponent and no digits before it (`e7`, `-E+7`: its float
 * test makes the mantissa optional). Its other tests (numbers, dates, `.inf`, `<<`) want a
 * digit, a dot or a `<` first.
 */
const resolvesToScalar = /^(?:y|yes|n|no|true|false|on|off|null|-?e[-+]?[0-9]+)$/i;
/** Digits alone (a file mode, a retry count): YAML 1.1 reads them as an integer (0644 as octal), so `yaml` double-quotes them. */
const digits = /^[0-9]+$/;
/** Keys written as they are (lower case and `_`, as cloud-init's). */
const plainKey = /^[a-z_]+$/;

/** One scalar as `yaml` writes it, or undefined when only `yaml` can say. */
function scalar(value: Value): string | undefined {
  if (typeof value === "boolean") return String(value);
  if (typeof value !== "string") return undefined;
  // Digits, and the empty string (YAML 1.1's null), double-quoted.
  if (digits.test(value) || value === "") return `"${value}"`;
  if (!plainWord.test(value) || value.includes(": ") || / $|:$/.test(value) || resolvesToScalar.test(value)) return undefined;
  return value;
}

const isList = (value: Value): value is Value[] => Array.isArray(value) && value.length > 0;
const isMap = (value: Value): value is Record<string, Value> =>
  typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype && Object.keys(value).length > 0;
const key = (k: string): string | undefined => (plainKey.test(k) && !resolvesToScalar.test(k) ? k : undefined);

/** The lines of one list item (`- ...`) at `indent`, or undefined. */
function item(value: Value, indent: string, seen: Set<object>): string[] | undefined {
  const inner = `${indent}  `;
  if (typeof value === "object" && value !== null) {
    if (seen.has(value)) return undefined;
    seen.add(value);
  }
  if (isList(value)) {
    const words = value.map(scalar);
    if (words.some((w) => w === undefined)) return undefined;
    return words.map((w, i) => (i === 0 ? `${indent}- - ${w}` : `${inner}- ${w}`));
  }
  if (isMap(value)) {
    const lines: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      const [name, text] = [key(k), scalar(v)];
      if (name === undefined || text === undefined) return undefined;
      lines.push(`${lines.length === 0 ? `${indent}- ` : inner}${name}: ${text}`);
    }
    return lines;
  }
  const word = scalar(value);
  return word === undefined ? undefined : [`${indent}- ${word}`];
}

/**
 * The YAML of a cloud-config object (without the `#cloud-config` line), as `yaml` writes it
 * with YAML 1.1 and no line folding; undefined when the object is not of the shape above.
 */
export function cloudConfigYaml(config: object): string | undefined {
  if (!isMap(config)) return undefined;
  const seen = new Set<object>();
  const lines: string[] = [];
  for (const [k, value] of Object.entries(config)) {
    const name = key(k);
    if (name === undefined) return undefined;
    if (!Array.isArray(value)) {
      const text = scalar(value);
      if (text === undefined) return undefined;
      lines.push(`${name}: ${text}`);
      continue;
    }
    if (seen.has(value)) return undefined;
    seen.add(value);
    if (value.length === 0) {
      // No packages to install: the estimate's user data (model/vmChecks.ts).
      lines.push(`${name}: []`);
      continue;
    }
    lines.push(`${name}:`);
    for (const v of value) {
      const entry = item(v, "  ", seen);
      if (entry === undefined) return undefined;
      lines.push(...entry);
    }
  }
  return `${lines.join("\n")}\n`;
}
