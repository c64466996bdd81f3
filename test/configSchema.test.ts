import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { configReferenceMarkers, stackConfigSchemaFile } from "../automation/configSchemaFiles";
import { mergeConfig, projectRoot, readStackFile, stackFilePath, stackNames } from "../automation/stackFiles";
import { configReferenceMarkdown } from "../components/configReference";
import { stackConfigSchema, stackConfigSchemaText, type JsonSchema } from "../components/configSchema";
import { knownKeys } from "../components/topology";
import { badInputs } from "./badInputs";

// ajv is in node_modules only as a transitive dependency; the project does not declare it,
// so the schema is checked with zod's own JSON Schema reader (as policies/runner.ts does).
const validator = () => z.fromJSONSchema(JSON.parse(fs.readFileSync(stackConfigSchemaFile, "utf8")) as Parameters<typeof z.fromJSONSchema>[0]);

/** Every `pattern` in a schema, with where it is. */
function patterns(node: unknown, where = "#"): [string, string][] {
  if (Array.isArray(node)) return node.flatMap((child, i) => patterns(child, `${where}/${i}`));
  if (typeof node !== "object" || node === null) return [];
  return Object.entries(node as JsonSchema).flatMap(([key, child]): [string, string][] =>
    key === "pattern" && typeof child === "string" ? [[where, child]] : key === "examples" || key === "default" ? [] : patterns(child, `${where}/${key}`),
  );
}

/** The bad inputs a JSON Schema can express: one key's type, range, enum, pattern, or an unknown key. */
const expressible = [
  "one node",
  "node count as a word",
  "fractional node count",
  "unknown cloud",
  "domain with a scheme",
  "upper-case domain",
  "health path without slash",
  "port too high",
  "backups under a week",
  "image tagged latest",
  "unknown database engine",
  "versioning turned off",
  "one zone",
  "unknown NAT mode",
  "malformed CIDR",
  "nodes not an object",
  "misspelled key",
  "misspelled top-level key",
  "unknown session engine",
  "SSH from the whole internet",
  "plain-HTTP bucket endpoint",
  "one database instance on Kubernetes",
  "invalid namespace",
  "misspelled Kubernetes key",
  "registry credentials without a password",
  "registry password on two lines, never printed",
  "AWS region with a command in it",
  "database version with a minor part as a YAML number (16.10 reads as 16.1)",
];

/** A bad input applied to its example stack file's `config:` block, as a stack file would hold it. */
function badStackFile(what: string): { config: Record<string, unknown> } {
  const bad = badInputs.find((b) => b.what === what);
  assert.ok(bad, `no bad input "${what}" in test/badInputs.ts`);
  const patch = Object.fromEntries(Object.entries(bad.raw).map(([key, value]) => [key.includes(":") ? key : `ha-topology:${key}`, value]));
  return { config: mergeConfig(readStackFile(bad.stack ?? "aws"), patch) };
}

describe("config schema: the stack file JSON Schema", function () {
  it("the committed schema/stack-config.schema.json is what the topology schema generates (refresh: npm run schema)", function () {
    assert.equal(fs.readFileSync(stackConfigSchemaFile, "utf8"), stackConfigSchemaText(), "schema/stack-config.schema.json is stale or edited by hand: run npm run schema");
  });

  it("is a draft 2020-12 schema of { config } with every ha-topology key and the provider keys the program reads", function () {
    const schema = stackConfigSchema();
    assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
    const config = (schema.properties as Record<string, JsonSchema>).config;
    const keys = Object.keys(config.properties as JsonSchema);
    assert.deepEqual(keys.filter((k) => k.startsWith("ha-topology:")), knownKeys[""].map((k) => `ha-topology:${k}`));
    for (const key of ["aws:region", "gcp:project", "gcp:region", "digitalocean:region", "digitalocean:token"]) assert.ok(keys.includes(key), key);
    for (const [key, value] of Object.entries(config.properties as Record<string, JsonSchema>)) assert.ok(typeof value.description === "string", `${key} has no description`);
  });

  it("every pattern is an ECMA-262 regular expression in unicode mode (as editors and validators compile them)", function () {
    const found = patterns(stackConfigSchema());
    assert.ok(found.length > 10, `only ${found.length} patterns`);
    for (const [where, pattern] of found) assert.doesNotThrow(() => new RegExp(pattern, "u"), where);
  });

  for (const stack of stackNames()) {
    it(`stacks/Pulumi.${stack}.yaml is valid against it and points an editor at it`, function () {
      const result = validator().safeParse({ config: readStackFile(stack) });
      assert.ok(result.success, result.success ? "" : JSON.stringify(result.error.issues, null, 2));
      assert.equal(fs.readFileSync(stackFilePath(stack), "utf8").split("\n")[0], "# yaml-language-server: $schema=../schema/stack-config.schema.json");
    });
  }

  for (const what of expressible) {
    it(`refuses a bad input: ${what}`, function () {
      const result = validator().safeParse(badStackFile(what));
      assert.equal(result.success, false);
      // Refused for the key the program names, not for something else in the file.
      const bad = badInputs.find((b) => b.what === what)!;
      const top = bad.key.includes(":") ? bad.key : `ha-topology:${bad.key.split(".")[0]}`;
      const paths = result.error!.issues.map((i) => i.path.join("."));
      assert.ok(paths.some((p) => p.startsWith(`config.${top}`) || p === "config"), `refused at ${paths.join(", ")}, not at ${top}`);
    });
  }

  it("accepts encrypted values where the key is a secret, and other namespaces' keys", function () {
    const config = mergeConfig(readStackFile("kubernetes"), {
      "ha-topology:storage": { secretAccessKey: { secure: "v1:abc" } },
      "ha-topology:secrets": { API_KEY: { secure: "v1:def" } },
      "kubernetes:context": "kind-kind",
      "random:anything": { nested: true },
    });
    assert.ok(validator().safeParse({ config }).success);
    assert.equal(validator().safeParse({ config: { ...config, "ha-topology:nodse": {} } }).success, false, "an unknown ha-topology key");
  });
});

describe("config schema: the README's configuration reference", function () {
  it("equals the reference generated from the topology schema (refresh: npm run schema)", function () {
    const readme = fs.readFileSync(path.join(projectRoot, "README.md"), "utf8");
    const listed = new RegExp(`${configReferenceMarkers.start}\\n\\n([\\s\\S]*?)\\n\\n${configReferenceMarkers.end}`).exec(readme)?.[1];
    assert.ok(listed, "the README has no config-reference section");
    assert.equal(listed, configReferenceMarkdown(), "the README's configuration reference is stale or edited by hand: run npm run schema");
  });

  it("has a heading per section and a row per key", function () {
    const reference = configReferenceMarkdown();
    for (const [section, keys] of Object.entries(knownKeys)) {
      if (section !== "") assert.ok(reference.includes(`\n### ${section}\n`), section);
      // Top-level keys whose values are sections have a heading instead of a row.
      for (const key of keys.filter((k) => section !== "" || !(k in knownKeys))) assert.ok(reference.includes(`\n| \`${key}\` |`), `${section}.${key}`);
    }
  });
});
