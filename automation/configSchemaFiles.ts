/**
 * `npm run schema`: writes what is generated from the topology schema into the files
 * users read: schema/stack-config.schema.json (for editors), the README's configuration
 * reference, its table of what each cloud supports (components/model/capabilities.ts) and
 * the worked example's plan and variables (stacks/examples/Pulumi.aws-services.yaml), each between its
 * markers. test/configSchema.test.ts fails until this has been run after a change to
 * components/topology.ts, components/model/schema.ts, the capability table, the example or
 * the plan's wording.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { capabilityTableMarkdown, configReferenceMarkdown } from "../components/configReference";
import { stackConfigSchemaText } from "../components/configSchema";
import { workloadEnv } from "../components/model/bindings";
import { isContainerWorkload, type Model } from "../components/model/model";
import { parseStack } from "../components/model/parse";
import { decodeRawConfig, providerConfigOf } from "../components/stackConfig";
import { topologyLines } from "./planReport";
import { loadStackConfig } from "./stackFiles";
import { topologyView } from "./topologyView";
import { projectRoot } from "./stackFiles";

/** Where the stack file schema is committed. */
export const stackConfigSchemaFile = path.join(projectRoot, "schema", "stack-config.schema.json");

/** The README markers around the generated reference. */
export const configReferenceMarkers = { start: "<!-- config-reference:start -->", end: "<!-- config-reference:end -->" } as const;

/** The README markers around the generated table of what each cloud supports. */
export const capabilityMarkers = { start: "<!-- capabilities:start -->", end: "<!-- capabilities:end -->" } as const;

/** The README markers around the worked example's plan (the section "Several workloads and shared resources"). */
export const examplePlanMarkers = { start: "<!-- example-plan:start -->", end: "<!-- example-plan:end -->" } as const;

/** The worked example's stack file. */
export const exampleStackFile = path.join(projectRoot, "stacks", "examples", "Pulumi.aws-services.yaml");

/** The README markers around the variables each workload of the worked example receives. */
export const exampleEnvMarkers = { start: "<!-- example-env:start -->", end: "<!-- example-env:end -->" } as const;

function exampleModel(): Model {
  const values = loadStackConfig(exampleStackFile).values;
  return parseStack(decodeRawConfig(values), providerConfigOf(values)).model;
}

/** What the plan prints of the worked example's workloads and resources, as a README code block. */
export function examplePlanMarkdown(): string {
  return ["```", ...topologyLines(topologyView(exampleModel())), "```"].join("\n");
}

/** The variables each workload of the worked example receives (bindings.ts `workloadEnv`), secret ones starred, as a README table. */
export function exampleEnvMarkdown(): string {
  const model = exampleModel();
  return [
    "| Workload | Variables (starred: secret) |",
    "|---|---|",
    ...model.workloads.filter(isContainerWorkload).map((w) => `| \`${w.name}\` | ${workloadEnv(model, w).map((v) => `\`${v.name}\`${v.secret ? "\\*" : ""}`).join(", ")} |`),
  ].join("\n");
}

/** `readme` with the text between `markers` replaced by `content`. */
export function withGenerated(readme: string, markers: { start: string; end: string }, content: string): string {
  const start = readme.indexOf(markers.start);
  const end = readme.indexOf(markers.end);
  if (start < 0 || end < start) throw new Error(`README.md has no ${markers.start} ... ${markers.end} section`);
  // Blank lines around the content: a table runs on into the next line otherwise.
  return `${readme.slice(0, start + markers.start.length)}\n\n${content}\n\n${readme.slice(end)}`;
}

/** `readme` with the text between the reference markers replaced by `content`. */
export function withConfigReference(readme: string, content: string): string {
  return withGenerated(readme, configReferenceMarkers, content);
}

if (require.main === module) {
  const readmeFile = path.join(projectRoot, "README.md");
  fs.mkdirSync(path.dirname(stackConfigSchemaFile), { recursive: true });
  fs.writeFileSync(stackConfigSchemaFile, stackConfigSchemaText());
  let readme = withConfigReference(fs.readFileSync(readmeFile, "utf8"), configReferenceMarkdown());
  readme = withGenerated(readme, capabilityMarkers, capabilityTableMarkdown());
  readme = withGenerated(readme, examplePlanMarkers, examplePlanMarkdown());
  readme = withGenerated(readme, exampleEnvMarkers, exampleEnvMarkdown());
  fs.writeFileSync(readmeFile, readme);
  console.log(`wrote ${path.relative(projectRoot, stackConfigSchemaFile)}, and the configuration reference, the capability table and the worked example's plan and variables in README.md`);
}
