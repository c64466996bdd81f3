/**
 * Migration safety: the URNs every example stack registers, pinned. A changed logical
 * name, parent or component type gives a resource a new URN, and Pulumi then replaces it
 * (a database, a bucket, a load balancer's address). So the list is committed, and a
 * difference fails this test: a change to it must be deliberate, carry `aliases` for what
 * moved, and be listed in the change's notes.
 *
 * After a deliberate change: `UPDATE_URNS=1 npx mocha test/urns.test.ts` rewrites the
 * lists; review the diff (`git diff test/urns`) before committing it.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { runWithMocks, type RegisteredResource } from "../automation/offline/mocks";
import { loadStackConfig, stackConfigWith } from "../automation/stackFiles";
import { ns } from "./programQueries";

/**
 * What is pinned: the example stacks as shipped, and each with the options that add
 * resources turned on (the session store, read replicas, app secrets, a DNS zone), so a
 * redesign cannot move a resource that only some running stacks have.
 */
const variants: Array<{ stack: string; variant: string; patch: Record<string, unknown> }> = [
  ...["aws", "gcp", "digitalocean", "kubernetes"].map((stack) => ({ stack, variant: stack, patch: {} })),
  { stack: "aws", variant: "aws-full", patch: { sessions: { enabled: true }, database: { readReplicas: 1 }, secrets: { API_KEY: "k" }, dns: { zone: "Z0123456789ABCDEFGHIJ" }, alarms: { email: "oncall@example.com" } } },
  { stack: "gcp", variant: "gcp-full", patch: { sessions: { enabled: true }, database: { readReplicas: 1 }, secrets: { API_KEY: "k" }, dns: { zone: "example-com" }, alarms: { email: "oncall@example.com" } } },
  { stack: "digitalocean", variant: "digitalocean-full", patch: { sessions: { enabled: true }, database: { readReplicas: 1 }, secrets: { API_KEY: "k" }, alarms: { email: "oncall@example.com" } } },
  { stack: "kubernetes", variant: "kubernetes-full", patch: { sessions: { enabled: true }, secrets: { API_KEY: "k" } } },
];

/**
 * The several-workloads examples (stacks/examples/), pinned too, per cloud whose platform
 * deploys them: a user's stack copied from one must keep its URNs across upgrades as well.
 */
const examples: Array<{ stack: string; file: string }> = [
  { stack: "aws-services", file: "stacks/examples/Pulumi.aws-services.yaml" },
  { stack: "maestro-aws", file: "stacks/examples/Pulumi.maestro-aws.yaml" },
  { stack: "gcp-services", file: "stacks/examples/Pulumi.gcp-services.yaml" },
  { stack: "digitalocean-services", file: "stacks/examples/Pulumi.digitalocean-services.yaml" },
  { stack: "kubernetes-services", file: "stacks/examples/Pulumi.kubernetes-services.yaml" },
  { stack: "maestro-kubernetes", file: "stacks/examples/Pulumi.maestro-kubernetes.yaml" },
  // A web service and two scheduled jobs (issue 16), per cloud.
  { stack: "aws-jobs", file: "stacks/examples/Pulumi.aws-jobs.yaml" },
  { stack: "gcp-jobs", file: "stacks/examples/Pulumi.gcp-jobs.yaml" },
  { stack: "digitalocean-jobs", file: "stacks/examples/Pulumi.digitalocean-jobs.yaml" },
  { stack: "kubernetes-jobs", file: "stacks/examples/Pulumi.kubernetes-jobs.yaml" },
  // The Alerta shape (issue 17): a static site at /, the API at /api on one domain (DigitalOcean: the UI on its own host).
  { stack: "alerta-aws", file: "stacks/examples/Pulumi.alerta-aws.yaml" },
  { stack: "alerta-gcp", file: "stacks/examples/Pulumi.alerta-gcp.yaml" },
  { stack: "alerta-digitalocean", file: "stacks/examples/Pulumi.alerta-digitalocean.yaml" },
  { stack: "alerta-kubernetes", file: "stacks/examples/Pulumi.alerta-kubernetes.yaml" },
  // The Maestro shape (issue 18): a document database, a bucket and a broker.
  { stack: "maestro-gcp", file: "stacks/examples/Pulumi.maestro-gcp.yaml" },
  { stack: "maestro-digitalocean", file: "stacks/examples/Pulumi.maestro-digitalocean.yaml" },
  // The recipes (issue 20, README: Recipes): a system's write-up as a stack file, per cloud.
  { stack: "imaginator-digitalocean", file: "stacks/examples/Pulumi.imaginator-digitalocean.yaml" },
  { stack: "imaginator-aws", file: "stacks/examples/Pulumi.imaginator-aws.yaml" },
  { stack: "imaginator-gcp", file: "stacks/examples/Pulumi.imaginator-gcp.yaml" },
  { stack: "imaginator-kubernetes", file: "stacks/examples/Pulumi.imaginator-kubernetes.yaml" },
  { stack: "markable-aws", file: "stacks/examples/Pulumi.markable-aws.yaml" },
  { stack: "markable-gcp", file: "stacks/examples/Pulumi.markable-gcp.yaml" },
  { stack: "markable-kubernetes", file: "stacks/examples/Pulumi.markable-kubernetes.yaml" },
  { stack: "part7-aws", file: "stacks/examples/Pulumi.part7-aws.yaml" },
  { stack: "part7-gcp", file: "stacks/examples/Pulumi.part7-gcp.yaml" },
  { stack: "part7-digitalocean", file: "stacks/examples/Pulumi.part7-digitalocean.yaml" },
  { stack: "part7-kubernetes", file: "stacks/examples/Pulumi.part7-kubernetes.yaml" },
];

const pinDir = path.join(__dirname, "urns");

/**
 * The URN the real engine gives a resource: the whole chain of parent types (the mocks'
 * own URNs name only the immediate parent's).
 */
function engineUrn(stack: string, r: RegisteredResource): string {
  return `urn:pulumi:${stack}::ha-topology::${[...r.parents, r.type].join("$")}::${r.name}`;
}

/** Compares a run's URNs with the pinned list in test/urns/<variant>.txt (UPDATE_URNS=1 rewrites it). */
function comparePinned(stack: string, variant: string, resources: RegisteredResource[]): void {
  const urns = resources.map((r) => engineUrn(stack, r)).sort();
  assert.equal(new Set(urns).size, urns.length, "two resources share a URN");
  const file = path.join(pinDir, `${variant}.txt`);
  if (process.env.UPDATE_URNS === "1") fs.writeFileSync(file, `${urns.join("\n")}\n`);
  const pinned = fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "");
  const gone = pinned.filter((u) => !urns.includes(u));
  const added = urns.filter((u) => !pinned.includes(u));
  assert.deepEqual(
    { gone, added },
    { gone: [], added: [] },
    "the stack's URNs changed: a gone URN is a resource Pulumi would delete (and replace, if it was renamed); " +
      "add an alias for it, or, if the change is deliberate, rerun with UPDATE_URNS=1 and document the migration",
  );
}

describe("migration safety: the example stacks' URNs", () => {
  for (const { stack, file } of examples) {
    it(`${file} registers exactly the pinned URNs (test/urns/${stack}.txt)`, async () => {
      const run = await runWithMocks(loadStackConfig(file), { stack });
      if (run.error) throw run.error;
      comparePinned(stack, stack, run.resources);
    });
  }

  for (const { stack, variant, patch } of variants) {
    const what = variant === stack ? `stacks/Pulumi.${stack}.yaml` : `stacks/Pulumi.${stack}.yaml with ${Object.keys(patch).join(", ")}`;
    it(`${what} registers exactly the pinned URNs (test/urns/${variant}.txt)`, async () => {
      const config = Object.keys(patch).length > 0 ? stackConfigWith(stack, ns(patch)) : loadStackConfig(stack);
      const run = await runWithMocks(config, { stack });
      if (run.error) throw run.error;
      comparePinned(stack, variant, run.resources);
    });
  }
});
