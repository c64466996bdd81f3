/**
 * A site's `source` on disk, checked at parse time so that a missing or unservable
 * directory is refused before anything is created (issue 17): it exists, is a directory
 * inside the project, has `index.html` at its top (the entry point, and what `spa: true`
 * answers unknown paths with), and every file in it can be served (siteFiles.ts: no link
 * out of it, no name a URL cannot carry). The text rules (relative, no `..`) are the
 * schema's (schema.ts `sitePathProblem`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describeValue } from "../configError";
import { listSiteFiles } from "../siteFiles";
import type { BindingProblem } from "./bindings";
import type { SiteWorkload } from "./model";

/** `./web/dist/` as `web/dist`: the spelling the model keeps (the schema has refused `..`, absolute paths and backslashes). */
export function normalisedSource(source: string): string {
  return source
    .split("/")
    .filter((n) => n !== "" && n !== ".")
    .join("/");
}

/** At most this many of a tree's file problems are listed (the rest are counted): one bad directory can hold thousands. */
const listedFileProblems = 10;

/** Why `source` cannot be served, one problem per reason, at `workloads.<name>.source`. */
export function siteSourceProblems(site: Pick<SiteWorkload, "name" | "source" | "sourceDir" | "cache">, projectDir: string): BindingProblem[] {
  const at = ["workloads", site.name, "source"];
  const received = describeValue(site.source);
  const problem = (allowed: string): BindingProblem => ({ path: at, received, allowed });
  const where = `relative to the project directory ${projectDir}`;

  let stat: fs.Stats;
  try {
    stat = fs.statSync(site.sourceDir);
  } catch {
    return [problem(`an existing directory ${where} (${site.sourceDir} does not exist: build the site before the deployment)`)];
  }
  if (!stat.isDirectory()) return [problem(`a directory ${where} (${site.sourceDir} is not one)`)];

  // A link on the way (web -> /elsewhere) must not take the upload out of the project.
  const real = fs.realpathSync(site.sourceDir);
  const project = fs.realpathSync(projectDir);
  if (real === project || !real.startsWith(project.endsWith(path.sep) ? project : `${project}${path.sep}`)) {
    return [problem(`a directory inside the project directory ${project}, not the project directory itself (${site.source} resolves to ${real})`)];
  }

  const problems: BindingProblem[] = [];
  const index = path.join(real, "index.html");
  if (!fs.existsSync(index) || !fs.statSync(index).isFile()) {
    problems.push(problem(`a directory with index.html at its top (${site.sourceDir} has none): the site's entry point, and what spa: true answers unknown paths with`));
  }
  const files = listSiteFiles(real, site.cache).problems;
  for (const p of files.slice(0, listedFileProblems)) problems.push(problem(`a directory whose every file can be served: at ${p.key}, ${p.problem}`));
  if (files.length > listedFileProblems) problems.push(problem(`a directory whose every file can be served: ${files.length - listedFileProblems} more problems like those above`));
  return problems;
}
