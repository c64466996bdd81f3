import { strict as assert } from "node:assert";
import { runWithMocks } from "../../automation/offline/mocks";
import { stackConfigWith } from "../../automation/stackFiles";
import { decodeRawConfig, providerConfigOf } from "../../components/stackConfig";
import { parseStack } from "../../components/model/parse";
import * as fs from "node:fs";
import * as path from "node:path";
import { badInputsMarkdown, qualifiedKey } from "../badInputs";
import { ns } from "../programQueries";
import { badModelInputs } from "./badModelInputs";

/** The example stack with a patch, as the engine passes it, parsed as the program parses it; returns the refusal. */
function refusal(stack: string, patch: Record<string, unknown>): string {
  const values = stackConfigWith(stack, ns(patch)).values;
  try {
    parseStack(decodeRawConfig(values), providerConfigOf(values));
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail(`expected ${JSON.stringify(patch)} to be refused`);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("model: bad workloads and resources are refused with key, value and what is allowed", function () {
  for (const bad of badModelInputs) {
    it(bad.what, function () {
      const message = refusal(bad.stack ?? "aws", bad.raw);
      const key = qualifiedKey(bad.key);
      const line = message.split("\n").find((l) => l.startsWith(`  - ${key}: `));
      assert.ok(line, `no line names ${key} in:\n${message}`);
      assert.ok(line.includes(`received ${bad.received}`), `value ${bad.received} not shown in: ${line}`);
      assert.ok(line.includes(bad.allowed), `"${bad.allowed}" not in: ${line}`);
    });
  }

  it("never echoes a bucket resource's secret key, even misspelled", function () {
    const message = refusal("aws", { workloads: { api: { kind: "web", image: "ghcr.io/acme/api:1.4.2", port: 8080, path: "/api" } }, resources: { files: { kind: "bucket", secretAcessKey: "hunter2-never-printed" } } });
    assert.match(message, /ha-topology:resources\.files\.secretAcessKey: unknown key \(received \[secret\]\).*did you mean "secretAccessKey"/);
    assert.ok(!message.includes("hunter2"), message);
  });
});

describe("model: the README's troubleshooting table of the maps", function () {
  it("lists exactly the bad maps the tests refuse", function () {
    const readme = fs.readFileSync(path.resolve(__dirname, "..", "..", "README.md"), "utf8");
    const listed = /<!-- bad-model-inputs:start -->\n([\s\S]*?)\n<!-- bad-model-inputs:end -->/.exec(readme)?.[1];
    assert.ok(listed, "the README has no bad-model-inputs section");
    assert.equal(listed, badInputsMarkdown(badModelInputs), "regenerate the README block from test/model/badModelInputs.ts");
  });
});

describe("model: the program refuses bad maps before anything is registered", function () {
  for (const bad of badModelInputs) {
    it(bad.what, async function () {
      const run = await runWithMocks(stackConfigWith(bad.stack ?? "aws", ns(bad.raw)));
      assert.ok(run.error, "the program must fail");
      assert.equal(run.error.name, "TopologyConfigError");
      assert.match(run.error.message, new RegExp(`${escape(qualifiedKey(bad.key))}: .*received ${escape(bad.received)}`));
      assert.ok(run.error.message.includes(bad.allowed), run.error.message);
      assert.deepEqual(run.resources.map((r) => r.type), [], "nothing was registered");
    });
  }
});
