/**
 * The JSON Schema of a stack file (`Pulumi.<stack>.yaml`), generated from the one zod
 * schema of the `ha-topology` namespace (topology.ts), so an editor validates what the
 * program will refuse, as far as JSON Schema can say it: types, ranges, enums, patterns and
 * unknown keys. What depends on several keys or on the cloud (nodes.maxCount >= count, a
 * size the cloud has, ...) stays the program's job. The generator walks the zod schema:
 * a key added there appears here and in the README's reference without being listed.
 */
import * as z from "zod";
import { configNamespace } from "./configError";
import { documentedMapsShape } from "./model/schema";
import { gcpProjectPattern } from "./providerConfig";
import { regionPatterns } from "./regionZones";
import { defaults, sectionKeys, topologyKeysSchema } from "./topology";

/** A JSON Schema node, as plain data. */
export type JsonSchema = { [keyword: string]: unknown };

/** The provider keys the program reads, in their providers' namespaces (checked by providerConfig.ts). */
const providerKeysSchema = z.strictObject({
  "aws:region": z
    .string()
    .regex(regionPatterns.aws.pattern)
    .meta({ description: "AWS only: the region to deploy to; it decides how many zones `ha-topology:network.zones` may use.", examples: [regionPatterns.aws.example] }),
  "gcp:project": z
    .string()
    .regex(gcpProjectPattern)
    .meta({ description: "GCP only, required there: the project ID (6-30 lower-case letters, digits or hyphens, starting with a letter; domain-scoped IDs as example.com:my-project).", examples: ["my-gcp-project"] }),
  "gcp:region": z
    .string()
    .regex(regionPatterns.gcp.pattern)
    .meta({ description: "GCP only, required there: the region to deploy to; it decides how many zones `ha-topology:network.zones` may use.", examples: [regionPatterns.gcp.example] }),
  "digitalocean:region": z
    .string()
    .regex(regionPatterns.digitalocean.pattern)
    .meta({ description: "DigitalOcean only, required there: the region to deploy to.", examples: [regionPatterns.digitalocean.example] }),
  "digitalocean:token": z
    .string()
    .min(1)
    .meta({ description: "DigitalOcean only: the API token (or the DIGITALOCEAN_TOKEN environment variable); set it with `pulumi config set --secret digitalocean:token`.", secret: true }),
  "kubernetes:context": z.string().min(1).meta({ description: "Kubernetes only: the kubeconfig context to deploy to (default: the current context)." }),
});

/** What `pulumi config set --secret` writes in place of a value. */
const secureValue: JsonSchema = {
  description: "an encrypted value, written by `pulumi config set --secret`",
  type: "object",
  properties: { secure: { type: "string", minLength: 1 } },
  required: ["secure"],
  additionalProperties: false,
};

const toJson = (schema: z.ZodType): JsonSchema =>
  // "input": a stack file holds what the schema accepts, before its transforms.
  z.toJSONSchema(schema, { io: "input", target: "draft-2020-12" }) as JsonSchema;

const isObject = (value: unknown): value is JsonSchema => typeof value === "object" && value !== null && !Array.isArray(value);

/** Applies `visit` to every schema node, children first. */
function mapSchema(node: unknown, visit: (node: JsonSchema) => JsonSchema): unknown {
  if (Array.isArray(node)) return node.map((child) => mapSchema(child, visit));
  if (!isObject(node)) return node;
  const mapped = Object.fromEntries(
    Object.entries(node).map(([keyword, child]) =>
      // `examples`, `default`, `enum` and `const` hold values, not schemas.
      ["examples", "default", "enum", "const"].includes(keyword) ? [keyword, child] : [keyword, mapSchema(child, visit)],
    ),
  );
  return visit(mapped);
}

/** zod bounds every integer by the safe range; said of each key it is noise. */
function dropSafeIntegerBounds(node: JsonSchema): JsonSchema {
  const { minimum, maximum, ...rest } = node;
  if (minimum === Number.MIN_SAFE_INTEGER && maximum === Number.MAX_SAFE_INTEGER) return rest;
  return node;
}

/**
 * The `ha-topology` keys, one JSON Schema each, with the documentation annotations of
 * topology.ts and model/schema.ts (`defaultText`, `secret`) still in place and the
 * constants of `defaults` as `default`. Inside a section merged over its defaults no key is
 * required (the stack file sets only what differs). `workloads` and `resources` (the
 * model's maps, parsed by parseStack) come last. This is what the README's reference is
 * rendered from.
 */
export function documentedKeySchemas(): { properties: Record<string, JsonSchema>; required: string[] } {
  const namespace = mapSchema(toJson(topologyKeysSchema.extend(documentedMapsShape)), dropSafeIntegerBounds) as JsonSchema;
  const properties = { ...(namespace.properties as Record<string, JsonSchema>) };
  const merged: readonly string[] = sectionKeys;
  for (const [key, schema] of Object.entries(properties)) {
    const given = (defaults as Record<string, unknown>)[key];
    if (isObject(schema.properties)) {
      const fields = { ...(schema.properties as Record<string, JsonSchema>) };
      for (const [field, value] of Object.entries(isObject(given) ? given : {})) {
        if (fields[field]) fields[field] = { ...fields[field], default: value };
      }
      const { required, ...rest } = schema;
      properties[key] = { ...(merged.includes(key) ? rest : { ...rest, required }), properties: fields };
    } else if (given !== undefined) {
      properties[key] = { ...schema, default: given };
    }
  }
  return { properties, required: (namespace.required as string[] | undefined) ?? [] };
}

/** Turns the documentation annotations into plain JSON Schema: a default in words joins the description, a secret also accepts `{ secure: ... }`. */
function plainAnnotations(node: JsonSchema): JsonSchema {
  const { defaultText, secret, ...rest } = node;
  let out: JsonSchema = rest;
  if (typeof defaultText === "string") out = { ...out, description: `${String(out.description ?? "").replace(/([^.])$/, "$1.")} Default: ${defaultText}.`.trim() };
  // The README's anchors mean nothing in an editor's hover: name the section instead.
  if (typeof out.description === "string") out = { ...out, description: out.description.replace(/\[([^\]]+)\]\(#[a-z0-9-]+\)/g, '"$1" in the README') };
  if (secret === true) {
    const { description, examples, ...value } = out;
    const anything = Object.keys(value).length === 0;
    out = {
      ...(description !== undefined && { description }),
      ...(examples !== undefined && { examples }),
      ...(anything ? {} : { anyOf: [value, { $ref: "#/$defs/secure" }] }),
    };
  }
  return out;
}

/** The JSON Schema (draft 2020-12) of a whole stack file: `{ config: { "ha-topology:<key>": ..., "aws:region": ..., ... } }`. */
export function stackConfigSchema(): JsonSchema {
  const { properties } = documentedKeySchemas();
  const providers = toJson(providerKeysSchema).properties as Record<string, JsonSchema>;
  const keys: Record<string, unknown> = {
    ...Object.fromEntries(Object.entries(properties).map(([key, schema]) => [`${configNamespace}:${key}`, schema])),
    ...providers,
  };
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "ha-topology stack file (Pulumi.<stack>.yaml)",
    description:
      "A stack's configuration for ha-topology. Generated from components/topology.ts and components/model/schema.ts by `npm run schema`: do not edit. Checks of several keys together, and of what a cloud offers, are made by the program before any resource exists.",
    type: "object",
    properties: {
      config: {
        description:
          "The stack's configuration. `ha-topology:` keys are checked here (an unknown one is refused, as the program refuses it); other namespaces are the providers' own. `ha-topology:cloud` and `ha-topology:domain` are required, here or in Pulumi.yaml.",
        type: "object",
        properties: mapSchema(keys, plainAnnotations),
        // Every namespace but ours is open: providers and other programs have their own keys.
        patternProperties: { [`^(?!${configNamespace}:)`]: true },
        additionalProperties: false,
      },
    },
    $defs: { secure: secureValue },
  };
}

/** The committed file's text (schema/stack-config.schema.json). */
export function stackConfigSchemaText(): string {
  return `${JSON.stringify(stackConfigSchema(), null, 2)}\n`;
}
