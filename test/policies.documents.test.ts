/**
 * The document-* and queue-* rules on every cloud: each cloud's highly available stack with
 * document databases and brokers added passes every rule, each single-property break is
 * reported by its rule and no other mandatory rule; a foreign-style stack (a single-instance
 * DocumentDB, a SINGLE_INSTANCE RabbitMQ broker) fails; a DigitalOcean MongoDB cluster is
 * judged by the document-* rules only; a stack with none of them is "not applicable".
 */
import { strict as assert } from "node:assert";
import { policies } from "../policies/policies";
import { runPolicies, type PolicyReport } from "../policies/runner";
import { build, copy, ref, set, type Spec } from "./policies/fixtures/builder";
import { digitaloceanFixture } from "./policies/fixtures/digitalocean";
import { communityMongo, documentFixtures } from "./policies/fixtures/documents";
import { kubernetesFixture } from "./policies/fixtures/kubernetes";

const documentRules = ["document-replicated", "document-private", "document-encrypted", "document-backups", "document-deletion-protection"];
const queueRules = ["queue-replicated", "queue-private", "queue-encrypted"];

function summary(report: PolicyReport): string {
  return report.violations.map((v) => `  [${v.level}] ${v.policy} @ ${v.resourceName ?? "stack"}: ${v.message}`).join("\n") || "  (none)";
}

/** The rules that reported something. */
const rulesOf = (report: PolicyReport) => [...new Set(report.violations.map((v) => v.policy))].sort();

describe("document and queue rules", () => {
  it("are mandatory, like the database-* rules", () => {
    for (const name of [...documentRules, ...queueRules]) {
      const rule = policies.find((p) => p.name === name);
      assert.ok(rule, `${name} is not in the pack`);
      assert.equal(rule.enforcementLevel, "mandatory", name);
      assert.ok(rule.description && rule.description.length > 80, `${name} needs a description a user can act on`);
    }
  });

  // Each fixture's passing stack and breaks run with every other cloud's, in test/policies/rules.test.ts.

  it("has a break for every document-* and queue-* rule", () => {
    const tested = new Set(documentFixtures.flatMap((f) => f.breaks.map((b) => b.rule)));
    assert.deepEqual([...documentRules, ...queueRules].filter((r) => !tested.has(r)), []);
  });

  describe("a foreign-style stack", () => {
    it("fails a single-instance DocumentDB cluster and a SINGLE_INSTANCE RabbitMQ broker (the provider defaults)", async () => {
      const specs: Spec[] = [
        { type: "aws:docdb/cluster:Cluster", name: "docdb", props: { engine: "docdb", masterUsername: "admin", skipFinalSnapshot: true } },
        { type: "aws:docdb/clusterInstance:ClusterInstance", name: "docdb-1", props: { clusterIdentifier: ref("docdb"), instanceClass: "db.r5.large" } },
        { type: "aws:mq/broker:Broker", name: "broker", props: { brokerName: "jobs", engineType: "RabbitMQ", engineVersion: "3.13", hostInstanceType: "mq.t3.micro", users: [{ username: "app", password: "secret" }] } },
      ];
      const report = await runPolicies(build(specs));
      const on = (name: string) => report.violations.filter((v) => v.resourceName === name).map((v) => v.policy).sort();
      assert.deepEqual(on("docdb"), ["document-deletion-protection", "document-encrypted", "document-replicated"], summary(report));
      assert.deepEqual(on("broker"), ["queue-replicated"], summary(report));
      assert.equal(report.passed, false);
    });
  });

  describe("the MongoDB Community operator", () => {
    const withCommunity = (change?: (s: Spec[]) => void) => {
      const specs = [...copy(kubernetesFixture.passing), ...copy([communityMongo])];
      change?.(specs);
      return runPolicies(build(specs));
    };

    it("is reported by document-backups only: the operator takes no backups", async () => {
      const report = await withCommunity();
      assert.deepEqual(rulesOf(report).filter((r) => report.violations.some((v) => v.policy === r && v.level === "mandatory")), ["document-backups"], summary(report));
    });
    it("document-replicated: catches one member", async () => {
      assert.ok(rulesOf(await withCommunity((s) => set(s, "mdbc", "spec.members", 1))).includes("document-replicated"));
    });
    it("document-encrypted: catches TLS off", async () => {
      assert.ok(rulesOf(await withCommunity((s) => set(s, "mdbc", "spec.security.tls.enabled", false))).includes("document-encrypted"));
    });
    it("document-deletion-protection: catches a CR without protect", async () => {
      assert.ok(rulesOf(await withCommunity((s) => { s.find((r) => r.name === "mdbc")!.protect = false; })).includes("document-deletion-protection"));
    });
  });

  describe("DigitalOcean: a MongoDB cluster is a document database", () => {
    it("is not judged by the database-* rules", async () => {
      const specs = [
        ...copy(digitaloceanFixture.passing),
        // Everything a SQL rule would report: one node, no firewall, no protect.
        { type: "digitalocean:index/databaseCluster:DatabaseCluster", name: "mongo", props: { engine: "mongodb", version: "8", size: "db-s-1vcpu-2gb", region: "fra1", nodeCount: 1 } },
      ];
      const report = await runPolicies(build(specs));
      const onMongo = report.violations.filter((v) => v.resourceName === "mongo").map((v) => v.policy).sort();
      assert.deepEqual(onMongo, ["document-deletion-protection", "document-private", "document-replicated"], summary(report));
    });
    it("leaves a Valkey cluster to the database-* rules", async () => {
      const specs = [
        ...copy(digitaloceanFixture.passing),
        { type: "digitalocean:index/databaseCluster:DatabaseCluster", name: "valkey", props: { engine: "valkey", version: "8", size: "db-s-1vcpu-2gb", region: "fra1", nodeCount: 1 } },
      ];
      const report = await runPolicies(build(specs));
      const onValkey = rulesOf({ ...report, violations: report.violations.filter((v) => v.resourceName === "valkey") });
      assert.ok(onValkey.includes("database-replicated") && !onValkey.some((r) => r.startsWith("document-")), summary(report));
    });
  });

  it("declares every document-* and queue-* rule not applicable where there is none", async () => {
    const report = await runPolicies(build(kubernetesFixture.passing));
    assert.deepEqual(report.violations.filter((v) => v.policy.startsWith("document-") || v.policy.startsWith("queue-")), []);
    for (const rule of [...documentRules, ...queueRules]) assert.ok(report.notApplicable.some((n) => n.policy === rule), `${rule} is not reported not applicable`);
  });
});
