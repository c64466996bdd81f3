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
import { loadStackConfig } from "../automation/stackFiles";

/** The example stacks whose URNs are pinned (the ones shipped in stacks/). */
const pinnedStacks = ["aws", "gcp", "digitalocean", "kubernetes"];

const pinDir = path.join(__dirname, "urns");

/**
 * The URN the real engine gives a resource: the whole chain of parent types (the mocks'
 * own URNs name only the immediate parent's).
 */
function engineUrn(stack: string, r: RegisteredResource): string {
  return `urn:pulumi:${stack}::ha-topology::${[...r.parents, r.type].join("$")}::${r.name}`;
}

describe("migration safety: the example stacks' URNs", () => {
  for (const stack of pinnedStacks) {
    it(`stacks/Pulumi.${stack}.yaml registers exactly the pinned URNs (test/urns/${stack}.txt)`, async () => {
      const run = await runWithMocks(loadStackConfig(stack), { stack });
      if (run.error) throw run.error;
      const urns = run.resources.map((r) => engineUrn(stack, r)).sort();
      assert.equal(new Set(urns).size, urns.length, "two resources share a URN");
      const file = path.join(pinDir, `${stack}.txt`);
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
    });
  }
});
