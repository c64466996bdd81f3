/**
 * A cloud SDK's package index (`@pulumi/aws`, `@pulumi/gcp`) that loads each of its service
 * modules the first time the program reads it, instead of all of them at once. The bundles
 * read these packages through it (build.js rewrites their `require("@pulumi/aws")`).
 *
 * Why: the packages' own index requires every service module it exports, 250 for aws and
 * 150 for gcp, whose indexes then register their resource types: 300 files and 90-120 ms
 * for aws, 160 files and 50 ms for gcp, of which a stack uses 20 and 15 modules (20-30 ms and
 * 10 ms). Measured: the aws recipes' evaluation 7 % faster, paired.
 *
 * What it keeps: every member of the package's index, read from that index's own text (its
 * `__importStar(require("./x"))` namespaces, its `lazyLoad` functions and the modules it
 * re-exports whole), each the very object the index would give; and the index's
 * registration of the package's provider type, so a provider reference the engine returns
 * still becomes a Provider. What differs: a service module the program never reads is not
 * loaded, so neither are its resource types registered, and a reference to a resource of
 * such a type (which only a component provider could return; the clouds' providers return
 * none) would read as its URN or ID instead of a resource object. An index this cannot read
 * whole (another SDK generation) is loaded as it is: only the time differs.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

/** Per package, its lazy index (one per process, as a module is). */
const indexes = new Map();

/** What an index of the Pulumi code generator declares, exports and loads, from its text; undefined where it reads otherwise. */
function readIndex(text) {
  const declared = new Set();
  for (const line of text.match(/^exports\.[\w. =]+ = void 0;$/gm) ?? []) for (const [, name] of line.matchAll(/exports\.(\w+) =/g)) declared.add(name);
  // Its `utilities` is imported the same way but not exported.
  const namespaces = [...text.matchAll(/^const (\w+) = __importStar\(require\("\.\/([\w/]+)"\)\);$/gm)].map(([, name, file]) => ({ name, file })).filter(({ name }) => declared.has(name));
  const functions = [...text.matchAll(/^utilities\.lazyLoad\(exports, \[([^\]]*)\], \(\) => require\("\.\/([\w/]+)"\)\);$/gm)].map(([, names, file]) => ({ names: [...names.matchAll(/"(\w+)"/g)].map((m) => m[1]), file }));
  const reexported = [...text.matchAll(/^__exportStar\(require\("\.\/([\w/]+)"\), exports\);$/gm)].map(([, file]) => file);
  const provider = /^pulumi\.runtime\.registerResourcePackage\("(\w+)", \{$/m.exec(text)?.[1];
  if (declared.size === 0 || namespaces.length === 0 || !provider) return undefined;
  return { declared, namespaces, functions, reexported, provider };
}

/**
 * The lazy index of `pkg` (`@pulumi/aws`), or the package's own index when its text is not
 * of the shape above or does not account for every name it declares. `indexText` stands in
 * for the text of the package's index (the tests pass another); the result is then not kept.
 */
function lazyPackageIndex(pkg, indexText) {
  if (indexText === undefined && indexes.has(pkg)) return indexes.get(pkg);
  const text = indexText ?? fs.readFileSync(path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "index.js"), "utf8");
  const shape = readIndex(text);
  const chosen = (shape && lazyIndex(pkg, shape)) ?? require(pkg);
  if (indexText === undefined) indexes.set(pkg, chosen);
  return chosen;
}

/** The index of `pkg` from its shape, or undefined when the shape leaves a declared name out. */
function lazyIndex(pkg, { declared, namespaces, functions, reexported, provider }) {
  const index = {};
  Object.defineProperty(index, "__esModule", { value: true });
  // Loads on first read, then holds the value, as the package's own `lazyLoad` does.
  const lazy = (name, load) =>
    Object.defineProperty(index, name, {
      enumerable: true,
      configurable: true,
      get() {
        const value = load();
        Object.defineProperty(index, name, { enumerable: true, value });
        return value;
      },
    });
  for (const { name, file } of namespaces) lazy(name, () => require(`${pkg}/${file}`));
  for (const { names, file } of functions) for (const name of names) lazy(name, () => require(`${pkg}/${file}`)[name]);
  // Re-exported whole (the Provider class, a few helpers and enums): small, and their names are
  // only known once loaded. As in the package's index, they never take a declared name (there
  // `exports.ec2 = void 0` comes first, and the enums' own `ec2` is skipped).
  for (const file of reexported) {
    const module = require(`${pkg}/${file}`);
    for (const name of Object.keys(module)) if (name !== "default" && !declared.has(name) && !(name in index)) lazy(name, () => module[name]);
  }
  if ([...declared].some((name) => !(name in index))) return undefined;
  const utilities = require(`${pkg}/utilities`);
  // As the package's index registers it (a second registration of the same version is skipped).
  require("@pulumi/pulumi").runtime.registerResourcePackage(provider, {
    version: utilities.getVersion(),
    constructProvider: (name, type, urn) => {
      if (type !== `pulumi:providers:${provider}`) throw new Error(`unknown provider type ${type}`);
      return new (require(`${pkg}/provider`).Provider)(name, undefined, { urn });
    },
  });
  return index;
}

module.exports = { lazyPackageIndex, readIndex };
