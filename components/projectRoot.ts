/**
 * The project's root directory (where package.json, build.js and dist/ are). This file sits
 * one level below it, as every bundle of build.js does (dist/), so the same expression
 * holds in the sources and in the bundles.
 */
import * as path from "node:path";

/** The absolute path of the project's root directory. */
export const projectRoot = path.resolve(__dirname, "..");

/** A bundle of build.js, built first when it is missing or a source changed (`entry` names one of build.js's entries). */
export function builtBundle(entry: string): string {
  const build = require(path.join(projectRoot, "build.js")) as { ensureBuilt(name: string): string };
  return build.ensureBuilt(entry);
}
