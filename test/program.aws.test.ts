import { strict as assert } from "node:assert";
import { runWithMocks, type ProgramRun } from "./harness/mocks";
import { loadStackConfig } from "./harness/stackFiles";

describe("smoke", function () {
  it("runs", async function () {
    const run: ProgramRun = await runWithMocks(loadStackConfig("aws"));
    if (run.error) throw run.error;
    console.log(run.resources.length, run.outputs);
    const types = new Map<string, number>();
    for (const r of run.resources) types.set(r.type, (types.get(r.type) ?? 0) + 1);
    console.log(types);
    assert.ok(run.resources.length > 10);
  });
});
