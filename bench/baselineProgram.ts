/**
 * The hand-written baseline: from what the program registered under the offline mocks,
 * the plain-JavaScript program a user would write instead (one `new <sdk>.<module>.<Class>`
 * per resource, same types, names, parents and inputs), for bench/run.ts to time.
 *
 * Its inputs are literals, not Outputs linking resources, and it makes no invokes: it
 * is a lower bound on what a hand-written program costs. Dynamic resources and components
 * are registered as bare `pulumi.CustomResource` / `pulumi.ComponentResource`. A dynamic
 * resource's `__provider` (its provider's code) becomes a short placeholder: a user would
 * pass a provider object, and what producing its code costs is the program's to measure
 * (a literal of the program's text, 42 MB for DigitalOcean at scale, would time parsing it).
 */
import * as pulumi from "@pulumi/pulumi";
import type { RegisteredResource } from "../automation/offline/mocks";

const sdkOf: Record<string, string> = {
  aws: "@pulumi/aws",
  gcp: "@pulumi/gcp",
  digitalocean: "@pulumi/digitalocean",
  kubernetes: "@pulumi/kubernetes",
  random: "@pulumi/random",
};
const sigKey = pulumi.runtime.specialSigKey;

/** A JavaScript expression for a value as the engine received it (secrets, assets, references). */
function literal(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "undefined";
  const o = value as Record<string, unknown>;
  switch (o[sigKey]) {
    case pulumi.runtime.specialSecretSig:
      return `pulumi.secret(${literal(o.value)})`;
    case pulumi.runtime.specialResourceSig:
      // A reference to another resource: its URN as a string keeps the inputs literal.
      return JSON.stringify(o.urn);
    case pulumi.runtime.specialAssetSig:
      if (typeof o.text === "string") return `new pulumi.asset.StringAsset(${JSON.stringify(o.text)})`;
      if (typeof o.path === "string") return `new pulumi.asset.FileAsset(${JSON.stringify(o.path)})`;
      return `new pulumi.asset.RemoteAsset(${JSON.stringify(o.uri)})`;
    case pulumi.runtime.specialArchiveSig:
      if (o.assets) return `new pulumi.asset.AssetArchive(${literal(o.assets)})`;
      if (typeof o.path === "string") return `new pulumi.asset.FileArchive(${JSON.stringify(o.path)})`;
      return `new pulumi.asset.RemoteArchive(${JSON.stringify(o.uri)})`;
  }
  return `{ ${Object.entries(o).map(([k, v]) => `${JSON.stringify(k)}: ${literal(v)}`).join(", ")} }`;
}

/** What the baseline registers as a dynamic resource's provider code. */
const providerPlaceholder = "exports.handler = () => ({}); // the provider's code: not part of the baseline";

/** `aws.ec2.SecurityGroup` for `aws:ec2/securityGroup:SecurityGroup`, when the SDK exports it. */
function classOf(type: string, loaded: Map<string, Record<string, unknown>>): string | undefined {
  const [pkg, module, name] = type.split(":");
  const providerOf = pkg === "pulumi" && module === "providers" ? name : undefined;
  const sdk = sdkOf[providerOf ?? pkg];
  if (!sdk || !name) return undefined;
  if (!loaded.has(sdk)) loaded.set(sdk, require(sdk) as Record<string, unknown>);
  const path = providerOf
    ? ["Provider"]
    : pkg === "kubernetes"
      ? [...module.split("/").map((part) => part.split(".")[0]), name] // helm.sh/v3 -> helm.v3
      : [...(module.split("/")[0] === "index" ? [] : [module.split("/")[0]]), name];
  let at: unknown = loaded.get(sdk);
  for (const part of path) at = (at as Record<string, unknown> | undefined)?.[part];
  return typeof at === "function" ? `${sdk}|${path.join(".")}` : undefined;
}

/**
 * The baseline's source: plain CommonJS, run with NODE_PATH at the project's node_modules.
 * It installs minimal mocks (inputs echoed as state: the program's mocks are not exported
 * and compute cloud outputs the literal inputs do not need), times the last registration
 * as bench/child.ts does, and prints the same JSON line.
 */
export function baselineSource(resources: RegisteredResource[]): string {
  const loaded = new Map<string, Record<string, unknown>>();
  const vars = new Map<string, string>();
  const sdks = new Map<string, string>();
  const lines: string[] = [];
  resources.forEach((r, i) => {
    const variable = `r${i}`;
    vars.set(r.urn, variable);
    const parent = r.parentUrn && vars.get(r.parentUrn);
    const options = parent ? `, { parent: ${parent} }` : "";
    const inputs = literal("__provider" in r.rawInputs ? { ...r.rawInputs, __provider: providerPlaceholder } : r.rawInputs);
    const found = r.custom ? classOf(r.type, loaded) : undefined;
    if (found) {
      const [sdk, path] = found.split("|");
      if (!sdks.has(sdk)) sdks.set(sdk, `sdk${sdks.size}`);
      lines.push(`const ${variable} = new ${sdks.get(sdk)}.${path}(${JSON.stringify(r.name)}, ${inputs}${options});`);
    } else if (r.custom) {
      // Dynamic resources and types no SDK here exports: the generic registration.
      lines.push(`const ${variable} = new pulumi.CustomResource(${JSON.stringify(r.type)}, ${JSON.stringify(r.name)}, ${inputs}${options});`);
    } else {
      lines.push(`const ${variable} = new pulumi.ComponentResource(${JSON.stringify(r.type)}, ${JSON.stringify(r.name)}, {}${options});`);
    }
  });
  return [
    "// Generated by bench/baselineProgram.ts at bench time: the hand-written plain-SDK program. Not committed.",
    '"use strict";',
    'const { performance } = require("node:perf_hooks");',
    'const pulumi = require("@pulumi/pulumi");',
    ...[...sdks].map(([sdk, v]) => `const ${v} = require(${JSON.stringify(sdk)});`),
    timing,
    "(async () => {",
    '  await pulumi.runtime.setMocks({ newResource: (a) => { resources++; return { id: a.custom === false ? undefined : `${a.name}-id`, state: a.inputs }; }, call: (a) => a.inputs }, "ha-topology", "bench", false);',
    ...lines.map((l) => `  ${l}`),
    "})();",
    "",
  ].join("\n");
}

/** The last-registration clock, as plain JS (the same hook as bench/programChild.ts's lastRegistration). */
const timing = `
let resources = 0;
let last = 0;
const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
const register = MockMonitor.prototype.registerResource;
MockMonitor.prototype.registerResource = function (request, callback) {
  return register.call(this, request, (...args) => { last = performance.now(); return callback(...args); });
};
process.once("beforeExit", () => process.stdout.write(JSON.stringify({ resources, lastRegistrationMs: Math.round(last), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }) + "\\n"));`;
