/**
 * `npm run schema`: writes what is generated from the topology schema into the files
 * users read: schema/stack-config.schema.json (for editors) and the README's configuration
 * reference between its markers. test/configSchema.test.ts fails until this has been run
 * after a change to components/topology.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { configReferenceMarkdown } from "../components/configReference";
import { stackConfigSchemaText } from "../components/configSchema";
import { projectRoot } from "./stackFiles";

/** Where the stack file schema is committed. */
export const stackConfigSchemaFile = path.join(projectRoot, "schema", "stack-config.schema.json");

/** The README markers around the generated reference. */
export const configReferenceMarkers = { start: "<!-- config-reference:start -->", end: "<!-- config-reference:end -->" } as const;

/** `readme` with the text between the reference markers replaced by `content`. */
export function withConfigReference(readme: string, content: string): string {
  const start = readme.indexOf(configReferenceMarkers.start);
  const end = readme.indexOf(configReferenceMarkers.end);
  if (start < 0 || end < start) throw new Error(`README.md has no ${configReferenceMarkers.start} ... ${configReferenceMarkers.end} section`);
  // Blank lines around the content: a table runs on into the next line otherwise.
  return `${readme.slice(0, start + configReferenceMarkers.start.length)}\n\n${content}\n\n${readme.slice(end)}`;
}

if (require.main === module) {
  const readmeFile = path.join(projectRoot, "README.md");
  fs.mkdirSync(path.dirname(stackConfigSchemaFile), { recursive: true });
  fs.writeFileSync(stackConfigSchemaFile, stackConfigSchemaText());
  fs.writeFileSync(readmeFile, withConfigReference(fs.readFileSync(readmeFile, "utf8"), configReferenceMarkdown()));
  console.log(`wrote ${path.relative(projectRoot, stackConfigSchemaFile)} and the configuration reference in README.md`);
}
