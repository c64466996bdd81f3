/**
 * The README's configuration reference, rendered from the same JSON Schema the editors
 * get (configSchema.ts, before its documentation annotations become plain keywords), so the tables cannot drift from what the program accepts: a key
 * without a description, a range changed in topology.ts, a new section all show up here.
 * README.md holds the output between `<!-- config-reference:start -->` and
 * `<!-- config-reference:end -->`; a test keeps the two identical (`npm run schema`
 * rewrites them).
 */
import { documentedKeySchemas, type JsonSchema } from "./configSchema";
import { capabilities, type Capabilities } from "./model/capabilities";
import { clouds } from "./sizes";

const typeNames: Record<string, string> = { integer: "int", boolean: "bool", string: "string", number: "number", array: "list", object: "map" };

/** The type column: JSON Schema types in the words the README uses. */
function typeOf(schema: JsonSchema): string {
  const alternatives = Array.isArray(schema.anyOf) ? (schema.anyOf as JsonSchema[]) : [schema];
  const names = alternatives.flatMap((s) => (Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type])).map((t) => typeNames[String(t)] ?? String(t));
  return [...new Set(names)].join(" or ") || "any";
}

const code = (value: unknown): string => `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;

/** The default column: a default in words, else the constant, else whether the key must be set. */
function defaultOf(schema: JsonSchema, required: boolean): string {
  if (typeof schema.defaultText === "string") return schema.defaultText;
  if (schema.default !== undefined) return code(schema.default);
  return required ? "required" : "unset";
}

/** What the schema itself restricts the value to, said before the description. */
function constraintOf(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map(code).join(", ");
  if (schema.const !== undefined) return `only ${code(schema.const)}`;
  if (schema.type === "integer" && typeof schema.minimum === "number" && typeof schema.maximum === "number") return `${schema.minimum}-${schema.maximum}`;
  if (schema.type === "boolean") return "`true`, `false`";
  return "";
}

/** A table cell: a `|` would end it. */
const cell = (text: string): string => text.replace(/\|/g, "\\|");

function table(rows: [string, JsonSchema, boolean][]): string {
  const lines = ["| Key | Type | Default | Allowed |", "|---|---|---|---|"];
  for (const [key, schema, required] of rows) {
    const allowed = [constraintOf(schema), String(schema.description ?? "")].filter((part) => part !== "").join(": ");
    lines.push(`| ${code(key)} | ${typeOf(schema)} | ${cell(defaultOf(schema, required))} | ${cell(allowed)} |`);
  }
  return lines.join("\n");
}

const isSection = (schema: JsonSchema): boolean => typeof schema.properties === "object" && schema.properties !== null;

/** The kinds of a map of entries by kind (`workloads`, `resources`): the variants of its values; undefined for any other key. */
function kindsOf(schema: JsonSchema): JsonSchema[] | undefined {
  const values = schema.additionalProperties as JsonSchema | undefined;
  return typeof values === "object" && values !== null && Array.isArray(values.oneOf) ? (values.oneOf as JsonSchema[]) : undefined;
}

/**
 * A kind's rows: every field but `kind` and the ones the kind refuses (`not`), an object's
 * fields after its own row as `object.field`.
 */
function kindRows(schema: JsonSchema, prefix = ""): [string, JsonSchema, boolean][] {
  const required = (schema.required as string[] | undefined) ?? [];
  return Object.entries(schema.properties as Record<string, JsonSchema>).flatMap(([field, s]): [string, JsonSchema, boolean][] => {
    if ((prefix === "" && field === "kind") || s.not !== undefined) return [];
    const row: [string, JsonSchema, boolean] = [`${prefix}${field}`, s, required.includes(field)];
    return isSection(s) ? [row, ...kindRows(s, `${prefix}${field}.`)] : [row];
  });
}

/** The kind a variant is for (its `kind` constant). */
const kindName = (variant: JsonSchema): string => String(((variant.properties as Record<string, JsonSchema>).kind ?? {}).const);

/**
 * The reference's markdown: one table for the top-level keys whose values are not
 * sections, then a `### <key>` heading per section (its description as the paragraph,
 * then its keys), in the schema's order.
 */
export function configReferenceMarkdown(): string {
  const { properties, required } = documentedKeySchemas();
  const entries = Object.entries(properties);
  const missing = entries.flatMap(([key, schema]) => [
    ...(schema.description ? [] : [key]),
    ...Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>).filter(([, field]) => !field.description).map(([field]) => `${key}.${field}`),
    ...(kindsOf(schema) ?? []).flatMap((variant) => [
      ...(((variant.properties as Record<string, JsonSchema>).kind ?? {}).description ? [] : [`${key}.<name>.kind ${kindName(variant)}`]),
      ...kindRows(variant).filter(([, field]) => !field.description).map(([field]) => `${key}.<name>.${field} (kind ${kindName(variant)})`),
    ]),
  ]);
  // Every key is documented, or the README would show an empty cell.
  if (missing.length > 0) throw new Error(`keys without a description in components/topology.ts or components/model/schema.ts: ${missing.join(", ")}`);

  const parts = ["Top level:", table(entries.filter(([, s]) => !isSection(s) && !kindsOf(s)).map(([key, s]) => [key, s, required.includes(key)]))];
  for (const [key, schema] of entries.filter(([, s]) => isSection(s))) {
    const fieldsRequired = (schema.required as string[] | undefined) ?? [];
    const fields = Object.entries(schema.properties as Record<string, JsonSchema>);
    parts.push(`### ${key}`, String(schema.description), table(fields.map(([field, s]) => [field, s, fieldsRequired.includes(field)])));
  }
  // The maps of entries by kind: a table per kind.
  for (const [key, schema] of entries.filter(([, s]) => kindsOf(s))) {
    parts.push(`### ${key}`, String(schema.description));
    for (const variant of kindsOf(schema)!) {
      const kind = (variant.properties as Record<string, JsonSchema>).kind;
      parts.push(`#### ${key}: kind ${kindName(variant)}`, `\`kind: ${kindName(variant)}\`: ${String(kind.description)}.`, table(kindRows(variant)));
    }
  }
  return parts.join("\n\n");
}

/** Each cloud's name in the README. */
const cloudTitles: Record<(typeof clouds)[number], string> = { aws: "AWS", gcp: "GCP", digitalocean: "DigitalOcean", kubernetes: "Kubernetes" };

/**
 * What each cloud supports (components/model/capabilities.ts) as a README table, with the
 * reasons of what a cloud lacks under it: generated, so the README says what the parser
 * refuses (`npm run schema` rewrites it; a test fails when they differ).
 */
export function capabilityTableMarkdown(table: Record<(typeof clouds)[number], Capabilities> = capabilities): string {
  const yesNo = (value: boolean, no: string) => (value ? "yes" : `no: ${no}`);
  const rows: [string, (c: Capabilities) => string][] = [
    ["Workload kinds", (c) => c.workloads.map((k) => `\`${k}\``).join(", ")],
    ["Resource kinds", (c) => c.resources.map((k) => `\`${k}\``).join(", ")],
    ["`sql` engines", (c) => c.sqlEngines.map((k) => `\`${k}\``).join(", ")],
    ["`document` members by default", (c) => String(c.documentDefaultMembers)],
    ["`queue` engines", (c) => c.queueEngines.map((k) => `\`${k}\``).join(", ")],
    ["Several web workloads on one host, by `path`", (c) => yesNo(c.pathRouting, "`path` must be `/`")],
    ["Several hosts on one load balancer, by `host`", (c) => yesNo(c.hostRouting, "one load balancer per host")],
    ["A `sql` resource needs a `bucket` resource", (c) => (c.sqlNeedsBucket ? "yes (its backups go there)" : "no")],
    ["A `document` resource needs a `bucket` resource", (c) => (c.documentNeedsBucket ? "yes (its backups go there)" : "no")],
  ];
  const lines = [`| | ${clouds.map((c) => cloudTitles[c]).join(" | ")} |`, `|---|${clouds.map(() => "---").join("|")}|`];
  for (const [label, value] of rows) lines.push(`| ${label} | ${clouds.map((c) => cell(value(table[c]))).join(" | ")} |`);
  const why = clouds.flatMap((c) =>
    [table[c].sqlEnginesWhy, table[c].queueEnginesWhy, table[c].routingWhy, table[c].sqlNeedsBucket, table[c].documentNeedsBucket].filter((w): w is string => w !== undefined).map((w) => `- ${cloudTitles[c]}: ${w.replace(/\.$/, "").replace(/<[^<>\s]+>/g, "`$&`")}.`),
  );
  return why.length > 0 ? `${lines.join("\n")}\n\n${why.join("\n")}` : lines.join("\n");
}
