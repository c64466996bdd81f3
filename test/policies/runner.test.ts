/**
 * The in-process runner gives rules what the policy SDK's analyzer gives them: config with
 * schema defaults, enforcement overrides, `notApplicable`, `isType`/`asType`, linked
 * stack resources; and refuses bad config like the CLI.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policies/policies";
import { PolicyConfigError, resolvePolicyConfig, runPolicies } from "../../policies/runner";
import { awsFixture } from "./fixtures/aws";
import { build, copy, set } from "./fixtures/builder";

/** The AWS fixture with one node fewer than the default minimum. */
function oneNodeStack() {
  const specs = copy(awsFixture.passing);
  set(specs, "asg", "minSize", 1);
  return build(specs);
}

describe("policy runner: config and enforcement", () => {
  it("fills config defaults from each rule's configSchema", () => {
    const resolved = resolvePolicyConfig(policies);
    assert.deepEqual(resolved.get("min-nodes"), { level: "mandatory", config: { minNodes: 2 } });
    assert.deepEqual(resolved.get("database-backups")?.config, { minRetentionDays: 7 });
    assert.deepEqual(resolved.get("lb-https-only")?.config, {});
  });

  it("passes a rule's settings from the config file to getConfig", async () => {
    const twoNodes = build(awsFixture.passing);
    const strict = await runPolicies(twoNodes, { config: { "min-nodes": { minNodes: 3 } } });
    assert.deepEqual(strict.violations.map((v) => v.policy), ["min-nodes"]);
    assert.match(strict.violations[0].message, /2 node\(s\).*at least 3/);
    assert.equal(strict.passed, false);
  });

  it("lets the config file lower a rule's level, and reports it at that level", async () => {
    const report = await runPolicies(oneNodeStack(), { config: { "min-nodes": "advisory" } });
    assert.deepEqual(report.violations.map((v) => [v.policy, v.level]), [["min-nodes", "advisory"]]);
    assert.equal(report.passed, true);
    assert.equal(report.levels["min-nodes"], "advisory");
  });

  it("applies `all` to every rule, and a rule's own entry over `all`", async () => {
    const all = await runPolicies(oneNodeStack(), { config: { all: "advisory" } });
    assert.equal(all.violations[0].level, "advisory");
    assert.ok(Object.values(all.levels).every((l) => l === "advisory"));
    const own = await runPolicies(oneNodeStack(), { config: { all: "advisory", "min-nodes": { enforcementLevel: "mandatory", minNodes: 2 } } });
    assert.equal(own.violations[0].level, "mandatory");
  });

  it("skips disabled rules and reports remediate as mandatory", async () => {
    const disabled = await runPolicies(oneNodeStack(), { config: { "min-nodes": "disabled" } });
    assert.deepEqual(disabled.violations, []);
    const remediate = await runPolicies(oneNodeStack(), { config: { "min-nodes": "remediate" } });
    assert.equal(remediate.violations[0].level, "mandatory");
  });

  it("uses the pack's level for rules that set none", async () => {
    const rule: StackValidationPolicy = { name: "always", description: "always fails", validateStack: (_args, report) => report("no") };
    assert.equal((await runPolicies([], { policies: [rule] })).violations[0].level, "advisory");
    assert.equal((await runPolicies([], { policies: [rule], packEnforcementLevel: "mandatory" })).violations[0].level, "mandatory");
  });

  it("accepts the example config file the README documents", () => {
    const file = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "policies", "config.example.json"), "utf8"));
    const resolved = resolvePolicyConfig(policies, file);
    assert.deepEqual(resolved.get("min-nodes"), { level: "mandatory", config: { minNodes: 3 } });
    assert.equal(resolved.get("storage-encryption")?.level, "disabled");
    assert.equal(resolved.get("lb-drop-invalid-headers")?.level, "advisory");
  });

  it("keeps a rule's default threshold when the analyzer was never configured (getConfig returns {})", async () => {
    // Without a configSchema the runner, like an unconfigured analyzer, passes no settings.
    const minNodes = policies.find((p) => p.name === "min-nodes") as StackValidationPolicy;
    const report = await runPolicies(oneNodeStack(), { policies: [{ ...minNodes, configSchema: undefined }] });
    assert.deepEqual(report.violations.map((v) => v.message.match(/at least \d+ must serve/)?.[0]), ["at least 2 must serve"]);
  });

  it("refuses config the CLI would refuse, naming every problem", () => {
    assert.throws(
      () =>
        resolvePolicyConfig(policies, {
          "min-nodes": { minNodes: 0 },
          "database-backups": { minRetentionDays: "seven" },
          "min-node": "mandatory",
          "lb-https-only": "strict" as never,
          "nodes-span-zones": { minZone: 2 },
        }),
      (e: unknown) => {
        assert.ok(e instanceof PolicyConfigError);
        const text = e.problems.join("\n");
        assert.match(text, /min-nodes\.minNodes: .*>=1/);
        assert.match(text, /database-backups\.minRetentionDays: .*expected (int|number)/);
        assert.match(text, /min-node: no such rule/);
        assert.match(text, /lb-https-only: enforcement level "strict"/);
        assert.match(text, /nodes-span-zones: .*minZone/);
        assert.equal(e.problems.length, 5);
        return true;
      },
    );
  });
});

describe("policy runner: the arguments rules receive", () => {
  it("declares rules not applicable to stacks without what they judge", async () => {
    const report = await runPolicies([]);
    assert.deepEqual(report.violations, []);
    assert.deepEqual(report.notApplicable.map((n) => n.policy), policies.map((p) => p.name));
    assert.ok(report.notApplicable.every((n) => n.reason && n.reason.length > 10));
  });

  it("works with the SDK's typed helpers (isType, asType, notApplicable)", async () => {
    const aws = await import("@pulumi/aws");
    const { validateResourceOfType, validateStackResourcesOfType } = await import("@pulumi/policy");
    const seen: string[] = [];
    const rules: Policies = [
      {
        name: "typed-resource",
        description: "buckets must not force-destroy",
        enforcementLevel: "mandatory",
        validateResource: validateResourceOfType(aws.s3.Bucket, (bucket, args, report) => {
          seen.push(args.name);
          assert.equal(args.isType(aws.s3.Bucket), true);
          assert.equal(args.asType(aws.s3.Bucket), bucket);
          if (bucket.forceDestroy !== false) report("forceDestroy must be false");
        }),
      } satisfies ResourceValidationPolicy,
      {
        name: "typed-stack",
        description: "needs a classic ELB",
        validateStack: validateStackResourcesOfType(aws.elb.LoadBalancer, (_elbs, _args, report) => report("never reached: no classic ELB")),
      },
    ];
    const specs = copy(awsFixture.passing);
    set(specs, "files", "forceDestroy", true);
    const report = await runPolicies(build(specs), { policies: rules });
    assert.deepEqual(seen, ["files"]);
    assert.deepEqual(report.violations.map((v) => [v.policy, v.resourceName, v.message]), [["typed-resource", "files", "forceDestroy must be false"]]);
    assert.deepEqual(report.notApplicable.map((n) => n.policy), ["typed-stack"]);
    assert.ok(!report.notApplicable.some((n) => n.policy === "typed-resource"), "a resource rule that judged a bucket applied");
  });

  it("links stack resources: parents, dependencies and property dependencies as resource objects", async () => {
    const resources = build(awsFixture.passing);
    const asg = resources.find((r) => r.name === "asg")!;
    const seen: Record<string, string[]> = {};
    const probe: StackValidationPolicy = {
      name: "probe",
      description: "records links",
      validateStack: (args) => {
        const r = args.resources.find((x) => x.name === "asg")!;
        seen.targetGroupArns = r.propertyDependencies.targetGroupArns.map((d) => d.name);
        seen.dependencies = r.dependencies.map((d) => d.name).sort();
        seen.stackTags = [...args.stackTags.keys()];
      },
    };
    await runPolicies(resources, { policies: [probe], stackTags: { team: "web" } });
    assert.deepEqual(seen.targetGroupArns, ["tg"]);
    assert.deepEqual(seen.dependencies, [...new Set(Object.values(asg.propertyDependencies ?? {}).flat())].map((u) => u.split("::").pop()!).sort());
    assert.deepEqual(seen.stackTags, ["team"]);
  });

  it("shows resource rules the inputs and stack rules the outputs", async () => {
    const [resource] = build([{ type: "test:index:Thing", name: "thing", props: { size: 1 } }]);
    resource.outputs = { size: 1, computed: "yes" };
    const seen: string[] = [];
    const rules: Policies = [
      { name: "inputs", description: "d", validateResource: (args) => void seen.push(`inputs:${Object.keys(args.props).join(",")}`) },
      { name: "outputs", description: "d", validateStack: (args) => void seen.push(`outputs:${Object.keys(args.resources[0].props).join(",")}`) },
    ];
    await runPolicies([resource], { policies: rules });
    assert.deepEqual(seen, ["inputs:size", "outputs:size,computed"]);
  });
});
