/**
 * Dynamic resources whose provider code ships with ha-topology instead of travelling in
 * the state.
 *
 * Why: a `pulumi.dynamic.Resource` stores its provider as closure-serialized JavaScript in
 * its own `__provider` input, so every resource carries a full copy (a DigitalOcean stack
 * at 1000 droplets: 2000 gates, 42 MB of the same text), and serializing it makes the
 * program parse every captured function with the TypeScript compiler at every run. Here
 * `__provider` is one short constant per resource type (about 300 bytes) that loads the
 * provider from the precompiled bundle `dist/providers.js` (build.js; its entry is
 * components/dynamicProviders.ts) of the project the engine runs the provider host in.
 * Pulumi starts that host in the project's directory, which it needs anyway: the host
 * itself is `@pulumi/pulumi/cmd/dynamic-provider`, resolved from there (and the Automation
 * API's workspace sets `main` to the project for the same reason). It goes through
 * `build.js`, so the bundle is rebuilt first when a source changed (as the program is) or
 * is missing (`pulumi destroy` on a fresh clone).
 *
 * What this changes for state written by earlier versions: the engine hands the host the
 * NEW inputs for check, diff, create and update, so those always run the current code; a
 * delete runs the provider stored in the resource's outputs, which is the old serialized
 * closure until the resource is next updated or replaced (a rollout does both for the
 * DigitalOcean gates), and the old closure still works on its own. No diff looks at
 * `__provider`, so upgrading shows no change and replaces nothing.
 *
 * The URN is the one `pulumi.dynamic.Resource` gives (`pulumi-nodejs:dynamic/ha-topology:<Type>`):
 * existing resources are adopted as they are.
 */
import * as pulumi from "@pulumi/pulumi";

/** The dynamic resource types of ha-topology; each has its provider in dynamicProviders.ts. */
export const shippedProviderTypes = [
  "DatabaseIdentity",
  "CdnInvalidation",
  "RefreshWait",
  "GcpScaleWait",
  "ScaleWait",
  "DropletHealthGate",
  "DropletDrainGuard",
  "DropletPoolRelease",
  "DropletPoolReady",
  "DropletWorkerGate",
] as const;

/** One of ha-topology's dynamic resource types. */
export type ShippedProviderType = (typeof shippedProviderTypes)[number];

/** The type token module of every dynamic resource of ours (the URN's `pulumi-nodejs:dynamic/<module>:<Type>`). */
const dynamicModule = "ha-topology";

/**
 * The `__provider` text of `type`: what the provider host evaluates (require-from-string,
 * then `handler()`). It asks the project's build.js for the provider (`dynamicProvider`:
 * the providers bundle, rebuilt first when stale). Kept short (it is stored twice per
 * resource) and ES5 (it runs in whatever Node the host has); it is the same text for every
 * version of ha-topology, so build.js's `dynamicProvider` is a contract.
 */
export function providerText(type: ShippedProviderType): string {
  return (
    "exports.handler = function () {\n" +
    "  var build = require(\"path\").join(process.cwd(), \"build.js\");\n" +
    "  try { require.resolve(build); } catch (e) { throw new Error(\"ha-topology's dynamic providers load through its build.js, and \" + process.cwd() + \" has none: run pulumi in the ha-topology project\"); }\n" +
    `  return require(build).dynamicProvider(${JSON.stringify(type)});\n` +
    "};\n"
  );
}

/**
 * A dynamic resource of ours: registered exactly as `pulumi.dynamic.Resource` registers
 * one (same type token, same inputs), with the short `__provider` text of its type.
 */
export abstract class ShippedDynamicResource extends pulumi.CustomResource {
  protected constructor(type: ShippedProviderType, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    if ("__provider" in props) throw new Error("A dynamic resource must not define the __provider key");
    super(`pulumi-nodejs:dynamic/${dynamicModule}:${type}`, name, { ...props, __provider: providerText(type) }, opts);
  }
}
