import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { capabilityMarkers, configReferenceMarkers, exampleEnvMarkdown, exampleEnvMarkers, examplePlanMarkdown, examplePlanMarkers, stackConfigSchemaFile } from "../automation/configSchemaFiles";
import { mergeConfig, projectRoot, readStackFile, stackFilePath, stackNames } from "../automation/stackFiles";
import { capabilityTableMarkdown, configReferenceMarkdown } from "../components/configReference";
import { capabilities } from "../components/model/capabilities";
import { stackConfigSchema, stackConfigSchemaText, type JsonSchema } from "../components/configSchema";
import { kindKeys } from "../components/model/schema";
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
    // The model's maps (parsed by parseStack, not parseTopology, so not in knownKeys) come last.
    assert.deepEqual(keys.filter((k) => k.startsWith("ha-topology:")), [...knownKeys[""], "workloads", "resources"].map((k) => `ha-topology:${k}`));
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

  const examples = fs.readdirSync(path.join(projectRoot, "stacks", "examples")).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
  // The several-workloads examples on every cloud, and the scheduled-jobs ones where the platform runs jobs.
  const expectedExamples = [
    ...["aws", "digitalocean", "gcp", "kubernetes"].map((c) => `Pulumi.${c}-services.yaml`),
    ...["aws", "gcp", "digitalocean", "kubernetes"].map((c) => `Pulumi.${c}-jobs.yaml`),
    ...["aws", "gcp", "digitalocean", "kubernetes"].map((c) => `Pulumi.alerta-${c}.yaml`),
    // Issue 18: document and queue resources.
    ...["aws", "gcp", "digitalocean", "kubernetes"].map((c) => `Pulumi.maestro-${c}.yaml`),
    // Issue 20: the recipes (README: Recipes), per system and cloud (Markable: where the cloud keeps central logs).
    ...["digitalocean", "aws", "gcp", "kubernetes"].map((c) => `Pulumi.imaginator-${c}.yaml`),
    ...["aws", "gcp", "kubernetes"].map((c) => `Pulumi.markable-${c}.yaml`),
    ...["aws", "gcp", "digitalocean", "kubernetes"].map((c) => `Pulumi.part7-${c}.yaml`),
  ];
  it("has the several-workloads, scheduled-jobs, static-site and recipe examples to check", () => assert.deepEqual(examples.sort(), expectedExamples.sort()));
  for (const file of examples) {
    it(`stacks/examples/${file} (workloads and resources) is valid against it and points an editor at it`, function () {
      const stackFile = path.join(projectRoot, "stacks", "examples", file);
      const config = readStackFile(stackFile);
      // A recipe whose system keeps no data (Imaginator) declares no resources: the map may not be empty.
      assert.ok(config["ha-topology:workloads"], "the example declares its workloads");
      const result = validator().safeParse({ config });
      assert.ok(result.success, result.success ? "" : JSON.stringify(result.error.issues, null, 2));
      assert.equal(fs.readFileSync(stackFile, "utf8").split("\n")[0], "# yaml-language-server: $schema=../../schema/stack-config.schema.json");
    });
  }

  it("accepts a cron job in the maps (an editor offers kind cron with its keys)", function () {
    const config = mergeConfig(readStackFile(path.join(projectRoot, "stacks", "examples", "Pulumi.aws-services.yaml")), {
      "ha-topology:workloads": { nightly: { kind: "cron", image: "busybox:1.36", command: ["sh", "-c", "date"], schedule: "0 3 * * *", timeoutSeconds: 600, concurrency: "replace", retries: 1, uses: ["db"] } },
    });
    const result = validator().safeParse({ config });
    assert.ok(result.success, result.success ? "" : JSON.stringify(result.error.issues, null, 2));
  });

  it("accepts a static site in the maps (an editor offers kind site with its keys)", function () {
    const config = mergeConfig(readStackFile(path.join(projectRoot, "stacks", "examples", "Pulumi.aws-services.yaml")), {
      "ha-topology:workloads": {
        ui: { kind: "site", source: "web/dist", path: "/docs", spa: true, cache: { html: 0, assets: 600, hashedAssets: 31536000, hashPattern: "^_next/static/" }, cors: { origins: ["https://app.example.com", "https://admin.example.com:8443"] } },
        "ui-own-host": { kind: "site", source: "ui", host: "ui.example.com" },
      },
    });
    const result = validator().safeParse({ config });
    assert.ok(result.success, result.success ? "" : JSON.stringify(result.error.issues, null, 2));
  });

  /** The AWS example with one workload or resource entry changed (`undefined` deletes a key). */
  const exampleWith = (map: "workloads" | "resources", name: string, change: Record<string, unknown>) => ({
    config: mergeConfig(readStackFile(path.join(projectRoot, "stacks", "examples", "Pulumi.aws-services.yaml")), { [`ha-topology:${map}`]: { [name]: change } }),
  });
  for (const [what, map, name, change] of [
    ["a worker turned into a cron job without a schedule (and with a worker's count)", "workloads", "jobs", { kind: "cron" }],
    ["a cron job with an overlap rule that does not exist", "workloads", "nightly", { kind: "cron", image: "busybox:1.36", schedule: "0 3 * * *", concurrency: "allow" }],
    ["a worker with a port (a worker has no load balancer)", "workloads", "jobs", { port: 8080 }],
    ["a worker with a health check", "workloads", "jobs", { healthCheck: { path: "/health" } }],
    ["a misspelled workload key", "workloads", "api", { helthCheck: {} }],
    ["a web workload without its port", "workloads", "api", { port: undefined }],
    ["a workload image tagged latest", "workloads", "api", { image: "traefik/whoami:latest" }],
    ["a route path with a trailing slash", "workloads", "api", { path: "/api/" }],
    ["a workload name in upper case", "workloads", "Api", { kind: "web", image: "traefik/whoami:v1.10.1", port: 8080 }],
    ["a workload name longer than 20 characters", "workloads", "a-very-long-workload-name", { kind: "worker", image: "busybox:1.36" }],
    ["a command as a shell string", "workloads", "jobs", { command: "sleep 60" }],
    ["one node of a worker", "workloads", "jobs", { count: 1 }],
    ["a misspelled liveness key", "workloads", "api", { healthCheck: { liveness: { pth: "/x" } } }],
    ["an unknown resource kind", "resources", "db", { kind: "oracle" }],
    ["a broker of an unknown engine", "resources", "broker", { kind: "queue", engine: "kafka" }],
    ["a document database of one member", "resources", "events", { kind: "document", members: 1 }],
    ["a misspelled document key", "resources", "events", { kind: "document", replicas: 3 }],
    ["a secret too short", "resources", "secret-key", { length: 8 }],
    ["an unknown database engine", "resources", "db", { engine: "oracle" }],
    ["a misspelled bucket key", "resources", "files", { versionning: true }],
    ["a site without its source", "workloads", "ui", { kind: "site" }],
    ["a site with an image (a site runs nothing)", "workloads", "ui", { kind: "site", source: "web/dist", image: "nginx:1.27" }],
    ["a site with env", "workloads", "ui", { kind: "site", source: "web/dist", env: { A: "b" } }],
    ["a site with a count", "workloads", "ui", { kind: "site", source: "web/dist", count: 2 }],
    ["a site with spa as a word", "workloads", "ui", { kind: "site", source: "web/dist", spa: "yes" }],
    ["a site caching HTML for a negative time", "workloads", "ui", { kind: "site", source: "web/dist", cache: { html: -1 } }],
    ["a misspelled site cache key", "workloads", "ui", { kind: "site", source: "web/dist", cache: { hashedAsset: 60 } }],
    ["a site CORS origin over plain HTTP", "workloads", "ui", { kind: "site", source: "web/dist", cors: { origins: ["http://app.example.com"] } }],
    ["a site CORS wildcard", "workloads", "ui", { kind: "site", source: "web/dist", cors: { origins: ["*"] } }],
    ["a site CORS without origins", "workloads", "ui", { kind: "site", source: "web/dist", cors: {} }],
  ] as const) {
    it(`refuses in the maps: ${what}`, function () {
      const result = validator().safeParse(exampleWith(map, name, change));
      assert.equal(result.success, false);
      const paths = result.error!.issues.map((i) => i.path.join("."));
      assert.ok(paths.some((p) => p.startsWith(`config.ha-topology:${map}`) || p === "config"), `refused at ${paths.join(", ")}, not in ${map}`);
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

/** The README's text between two markers (blank lines around it), if any. */
function between(markers: { start: string; end: string }): string | undefined {
  const readme = fs.readFileSync(path.join(projectRoot, "README.md"), "utf8");
  return new RegExp(`${markers.start}\\n\\n([\\s\\S]*?)\\n\\n${markers.end}`).exec(readme)?.[1];
}

describe("README: the generated parts of \"Several workloads and shared resources\"", function () {
  it("the table of what each cloud supports is components/model/capabilities.ts (refresh: npm run schema)", function () {
    assert.equal(between(capabilityMarkers), capabilityTableMarkdown(), "the README's capability table is stale or edited by hand: run npm run schema");
  });

  it("the capability table says what a cloud lacks, and why", function () {
    const narrowed = { ...capabilities, gcp: { ...capabilities.gcp, resources: ["sql", "bucket"], pathRouting: false, routingWhy: "a test took it away" } };
    const table = capabilityTableMarkdown(narrowed);
    assert.match(table, /\n\| Resource kinds \| `sql`, `bucket`, `cache`, `secret`(, `document`, `queue`)? \| `sql`, `bucket` \|/);
    assert.match(table, /\n\| Several web workloads on one host, by `path` \| yes \| no: `path` must be `\/` \|/);
    assert.match(table, /\n- GCP: a test took it away\.\n/);
  });

  it("the worked example's plan is what npm run plan prints of stacks/examples/Pulumi.aws-services.yaml (refresh: npm run schema)", function () {
    const listed = between(examplePlanMarkers);
    assert.ok(listed, "the README has no example-plan section");
    assert.equal(listed, examplePlanMarkdown(), "the README's example plan is stale: run npm run schema");
    assert.match(listed, /\n {2}jobs {8}worker {2}worker: no load balancer\n/);
  });

  it("the worked example's variables are what bindings.ts gives each workload (refresh: npm run schema)", function () {
    const listed = between(exampleEnvMarkers);
    assert.equal(listed, exampleEnvMarkdown(), "the README's example variables are stale: run npm run schema");
    assert.match(listed!, /\n\| `jobs` \| `APP_VERSION`, `DB_HOST`, .*`SECRET_KEY`\\\*, `DISCOVERY_URL` \|/);
  });

  it("leaves the marked place for each cloud's mapping, and says nothing of a preview", function () {
    const readme = fs.readFileSync(path.join(projectRoot, "README.md"), "utf8");
    const start = readme.indexOf("<!-- per-cloud:start -->");
    assert.ok(start > readme.indexOf("## Several workloads and shared resources") && readme.indexOf("<!-- per-cloud:end -->") > start);
    for (const stale of ["Several workloads (preview)", "not deployed yet", "Parsed and checked, not deployed"]) assert.ok(!readme.includes(stale), stale);
  });
});

describe("config schema: the README's configuration reference", function () {
  it("equals the reference generated from the topology schema (refresh: npm run schema)", function () {
    const readme = fs.readFileSync(path.join(projectRoot, "README.md"), "utf8");
    const listed = new RegExp(`${configReferenceMarkers.start}\\n\\n([\\s\\S]*?)\\n\\n${configReferenceMarkers.end}`).exec(readme)?.[1];
    assert.ok(listed, "the README has no config-reference section");
    assert.equal(listed, configReferenceMarkdown(), "the README's configuration reference is stale or edited by hand: run npm run schema");
  });

  it("has a table per kind of workload and resource, with a row per key the kind accepts", function () {
    const reference = configReferenceMarkdown();
    for (const [map, kinds] of [["workloads", ["web", "worker"]], ["resources", ["sql", "bucket", "cache", "secret"]]] as const) {
      assert.ok(reference.includes(`\n### ${map}\n`), map);
      for (const kind of kinds) {
        const start = reference.indexOf(`\n#### ${map}: kind ${kind}\n`);
        assert.ok(start >= 0, `${map}: kind ${kind}`);
        const next = reference.indexOf("\n###", start + 1);
        const table = reference.slice(start, next < 0 ? undefined : next);
        for (const key of kindKeys[kind].filter((k) => k !== "kind")) assert.ok(table.includes(`\n| \`${key}\` |`), `${map}.<name>.${key} (kind ${kind})`);
        // A worker's refused keys are not offered.
        if (kind === "worker") for (const key of ["port", "path", "host", "public", "healthCheck"]) assert.ok(!table.includes(`\n| \`${key}\` |`), key);
      }
    }
    assert.ok(reference.includes("\n| `healthCheck.liveness.path` | string | the readiness `path` |"));
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
