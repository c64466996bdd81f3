/**
 * Every rule against every cloud: a stack that passes everything, and for each property a
 * rule checks, a copy with only that property broken, which that rule (and no other
 * mandatory rule) must report.
 */
import { strict as assert } from "node:assert";
import { policies } from "../../policies/policies";
import { runPolicies, type PolicyReport } from "../../policies/runner";
import { awsFixture } from "./fixtures/aws";
import { awsEcsFixture } from "./fixtures/awsEcs";
import { build, copy, type Fixture } from "./fixtures/builder";
import { digitaloceanFixture } from "./fixtures/digitalocean";
import { documentFixtures } from "./fixtures/documents";
import { gcpFixture } from "./fixtures/gcp";
import { kubernetesFixture } from "./fixtures/kubernetes";

const fixtures: Fixture[] = [awsFixture, awsEcsFixture, gcpFixture, digitaloceanFixture, kubernetesFixture];

function summary(report: PolicyReport): string {
  return report.violations.map((v) => `  [${v.level}] ${v.policy} @ ${v.resourceName ?? "stack"}: ${v.message}`).join("\n") || "  (none)";
}

// The document and broker fixtures go through the same checks (their own tests are in test/policies.documents.test.ts).
for (const fixture of [...fixtures, ...documentFixtures]) {
  describe(`ha-guard on ${fixture.cloud}`, () => {
    // The cloud's own gaps (advisory rules nothing on that cloud passes) are the only violations allowed.
    const unexpected = (report: PolicyReport) => report.violations.filter((v) => !(fixture.knownGaps ?? []).includes(v.policy) || v.level !== "advisory");

    it(`passes the highly available stack with no violation at all${fixture.knownGaps ? ` but the cloud's known gaps (${fixture.knownGaps.join(", ")})` : ""}`, async () => {
      const report = await runPolicies(build(fixture.passing));
      assert.equal(unexpected(report).length, 0, `unexpected violations:\n${summary(report)}`);
      assert.equal(report.passed, true);
    });

    it("follows references by value when the engine recorded no property dependencies (imported or external resources)", async () => {
      const resources = build(fixture.passing).map((r) => ({ ...r, propertyDependencies: {}, dependencies: [] }));
      const report = await runPolicies(resources);
      assert.equal(unexpected(report).length, 0, `unexpected violations:\n${summary(report)}`);
    });

    for (const broken of fixture.breaks) {
      it(`${broken.rule}: catches ${broken.what}`, async () => {
        const specs = copy(fixture.passing);
        broken.apply(specs);
        const report = await runPolicies(build(specs));
        const byRule = report.violations.filter((v) => v.policy === broken.rule);
        assert.ok(byRule.length > 0, `${broken.rule} reported nothing; all violations:\n${summary(report)}`);
        const others = report.violations.filter((v) => v.policy !== broken.rule && v.level === "mandatory");
        assert.deepEqual(others, [], `other mandatory rules fired too:\n${summary(report)}`);
        for (const v of byRule) assert.ok(v.message.length > 20 && v.urn, `a violation must say what to do and name the resource: ${JSON.stringify(v)}`);
      });
    }
  });
}

describe("ha-guard coverage", () => {
  it("has at least one break per rule", () => {
    // The document-* and queue-* rules' breaks live with their own fixtures (test/policies.documents.test.ts).
    const tested = new Set([...fixtures, ...documentFixtures].flatMap((f) => f.breaks.map((b) => b.rule)));
    const untested = policies.map((p) => p.name).filter((name) => !tested.has(name));
    assert.deepEqual(untested, []);
  });
  it("names every break after a rule of the pack", () => {
    const names = new Set(policies.map((p) => p.name));
    for (const f of fixtures) for (const b of f.breaks) assert.ok(names.has(b.rule), `${f.cloud}: ${b.rule}`);
  });
});

describe("ha-guard: internal Kubernetes components", () => {
  const proxy = (annotations?: Record<string, string>) => ({
    type: "kubernetes:apps/v1:Deployment",
    name: "cache-proxy",
    props: {
      metadata: { name: "cache-proxy", namespace: "app", ...(annotations && { annotations }) },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "cache-proxy" } },
        template: {
          metadata: { labels: { app: "cache-proxy" } },
          spec: {
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: { app: "cache-proxy" } } }],
            containers: [{ name: "haproxy", image: "haproxy:3.0", readinessProbe: { tcpSocket: { port: 6379 } } }],
          },
        },
      },
    },
  });

  it("treats an unannotated Deployment with nothing in front of it as a node group that fails", async () => {
    const report = await runPolicies(build([...copy(kubernetesFixture.passing), proxy()]));
    assert.ok(report.violations.some((v) => v.policy === "min-nodes" && v.resourceName === "cache-proxy"), summary(report));
  });

  it("judges a Deployment annotated ha-guard/internal: \"true\" (role internal) by count and zones only, not by the client-facing rules", async () => {
    const report = await runPolicies(build([...copy(kubernetesFixture.passing), proxy({ "ha-guard/internal": "true" })]));
    assert.deepEqual(report.violations, [], summary(report));
  });
});
