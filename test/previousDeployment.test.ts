/**
 * The Automation API's inline program knows what the stack's last deployment ran, and
 * refuses an update that would drop a running single service (model/migration.ts): a
 * stack without `nodes` that ran the demo single service, given `workloads`, would
 * otherwise delete its database and bucket.
 */
import { strict as assert } from "node:assert";
import { runWithMocks } from "../automation/offline/mocks";
import * as d from "../automation/deployment";
import { stackConfigWith } from "../automation/stackFiles";
import { previousDeployment } from "../components/model/migration";
import { ns } from "./programQueries";

/** The AWS example without `nodes` (the demo single service), then with a worker added. */
const withoutNodes = { nodes: undefined, healthCheck: undefined, database: undefined, sessions: undefined };
const worker = { workloads: { jobs: { kind: "worker", image: "busybox:1.36", command: ["sleep", "3600"] } } };

describe("the last deployment guards the single service (Automation API)", function () {
  it("a stack whose last deployment ran the single service is refused on nodes, naming how to keep it, before anything is registered", async function () {
    const previous = previousDeployment({ nodeGroupId: "web-nodes-1234", url: "https://app.example.com" });
    const run = await runWithMocks(stackConfigWith("aws", ns({ ...withoutNodes, ...worker })), { program: async () => (await d.inlineProgramWith(() => previous)()) ?? {} });
    assert.ok(run.error, "the update must be refused");
    assert.match(run.error.message, /ha-topology:nodes: received nothing.*last deployment ran the single service.*would delete it, its database and bucket/);
    assert.deepEqual(run.resources, []);
  });

  it("a new stack (no outputs) with the same configuration deploys the maps", async function () {
    const run = await runWithMocks(stackConfigWith("aws", ns({ ...withoutNodes, ...worker })), { program: async () => (await d.inlineProgramWith(() => previousDeployment({}))()) ?? {} });
    assert.ifError(run.error);
    assert.ok(run.resources.some((r) => r.name === "web-jobs-nodes"), "the worker's group is registered");
    assert.ok(!run.resources.some((r) => r.type === "aws:rds/instance:Instance"), "no database: the maps declare none");
  });
});
