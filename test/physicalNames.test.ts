/**
 * Cloud-side names are unique per Pulumi project and stack: two stacks whose names
 * normalise alike (`prod_eu`, `Prod-EU`, `prod.eu` all become `prod-eu` where only
 * lower-case letters, digits and `-` are allowed) never share a tag, a service account, a
 * secret or a namespace, and neither do two projects with the same stack name. Stacks
 * whose names were already unique keep them, and names fixed at creation carry
 * `ignoreChanges`, so a running stack keeps the names it has.
 */
import { strict as assert } from "node:assert";
import { runWithMocks, type RegisteredResource } from "../automation/offline/mocks";
import { loadStackConfig, stackConfigWith } from "../automation/stackFiles";

/** The identities compared: three stack names that normalise alike, and another project. */
const identities = [
  { project: "ha-topology", stack: "prod_eu" },
  { project: "ha-topology", stack: "Prod-EU" },
  { project: "ha-topology", stack: "prod.eu" },
  { project: "ha-topology", stack: "prod-eu" },
  { project: "other-project", stack: "prod-eu" },
];

/** Input properties that carry a name the adapter chooses (where the cloud has one namespace per account or project). */
const nameProperties = ["name", "accountId", "secretId", "identifier", "bucket", "finalSnapshotIdentifier"];

/**
 * Names that are not account- or project-wide, each with the reason. Everything else an
 * adapter names is collected and must differ between stacks.
 */
const notAccountWide: Record<string, string> = {
  "digitalocean:index/databaseDb:DatabaseDb": "a database inside the stack's own cluster",
  "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool": "a pool of the stack's own cluster",
  "digitalocean:index/dnsRecord:DnsRecord": "a record of the user's own domain (ha-topology:domain)",
  "digitalocean:index/uptimeCheck:UptimeCheck": "a display name (DigitalOcean does not require it to be unique)",
  "digitalocean:index/uptimeAlert:UptimeAlert": "a display name (DigitalOcean does not require it to be unique)",
  "gcp:sql/database:Database": "a database inside the stack's own instance",
  "gcp:sql/user:User": "a user of the stack's own instance",
  "gcp:dns/recordSet:RecordSet": "a record of the user's own zone (ha-topology:domain)",
  "aws:route53/record:Record": "a record of the user's own zone (ha-topology:domain)",
};

/** A DigitalOcean tag shared on purpose by every stack of one service: it groups them, nothing selects by it. */
const serviceLabel = /^ha-topology-service-/;

/**
 * The cloud-side names a run sets. A name that comes from another resource (a reference,
 * such as a bucket's generated name passed to its settings) is that resource's name, not
 * a new one, except DigitalOcean tags, which are collected wherever they are applied.
 * Prefixes the cloud completes with a random suffix (`namePrefix`, `baseInstanceName`)
 * and names made from a random value (RandomId) are unique without help.
 */
function cloudSideNames(resources: RegisteredResource[]): string[] {
  const names: string[] = [];
  for (const r of resources.filter((x) => x.custom && !(x.type in notAccountWide))) {
    for (const key of nameProperties) {
      const value = r.inputs[key];
      if (typeof value !== "string") continue;
      if ((r.propertyDependencies[key] ?? []).length > 0) continue;
      names.push(`${r.type} ${key}=${value}`);
    }
    if (r.type.startsWith("digitalocean:") && Array.isArray(r.inputs.tags)) {
      for (const tag of r.inputs.tags as string[]) if (!serviceLabel.test(tag)) names.push(`digitalocean tag ${tag}`);
    }
    if (r.type.startsWith("kubernetes:") && r.inputs.metadata?.name) {
      names.push(`${r.type} ${r.inputs.metadata.namespace ?? ""}/${r.inputs.metadata.name}`);
    }
  }
  return [...new Set(names)];
}

describe("physical names: unique per project and stack", function () {
  for (const cloud of ["aws", "gcp", "digitalocean", "kubernetes"]) {
    it(`${cloud}: stacks prod_eu, Prod-EU, prod.eu, prod-eu and another project's prod-eu get disjoint cloud-side names`, async function () {
      const sets: Array<{ id: string; names: string[] }> = [];
      for (const id of identities) {
        const run = await runWithMocks(loadStackConfig(cloud), id);
        if (run.error) throw run.error;
        sets.push({ id: `${id.project}/${id.stack}`, names: cloudSideNames(run.resources) });
      }
      if (cloud === "aws") {
        // Every other AWS name is Pulumi's autoname (logical name + random suffix) or made
        // from a RandomId: the log group (a name people type, `aws logs tail`) is the one
        // the adapter sets itself, and it must differ like any other.
        for (const s of sets) assert.deepEqual(s.names.map((n) => n.split(" ")[0]), ["aws:cloudwatch/logGroup:LogGroup"], `${s.id} sets physical names: ${s.names.join(", ")}`);
      }
      for (const s of sets) assert.ok(s.names.length > 0, `${s.id}: names collected`);
      for (let i = 0; i < sets.length; i++) {
        for (let j = i + 1; j < sets.length; j++) {
          const shared = sets[i].names.filter((n) => sets[j].names.includes(n));
          assert.deepEqual(shared, [], `${sets[i].id} and ${sets[j].id} share cloud-side names`);
        }
      }
    });
  }

  it("AWS names made from a random value really depend on it (the final snapshot)", async function () {
    const run = await runWithMocks(loadStackConfig("aws"), { stack: "prod_eu" });
    if (run.error) throw run.error;
    const random = run.resources.find((r) => r.type === "random:index/randomId:RandomId");
    const primary = run.resources.find((r) => r.type === "aws:rds/instance:Instance" && r.name === "web-db");
    assert.ok(random && primary);
    assert.ok(primary.propertyDependencies.finalSnapshotIdentifier.includes(random.urn));
  });

  it("a stack whose name was already unique keeps its names (DigitalOcean tags, GCP secret IDs, nothing to migrate)", async function () {
    const run = await runWithMocks(loadStackConfig("digitalocean"), { stack: "prod-eu" });
    if (run.error) throw run.error;
    const tags = run.resources.filter((r) => r.type === "digitalocean:index/tag:Tag").map((r) => r.inputs.name).sort();
    // The leaving and floor tags of the rolling replacement are named after the node tag.
    assert.deepEqual(tags, ["ha-topology-web-prod-eu", "ha-topology-web-prod-eu-floor-2", "ha-topology-web-prod-eu-leaving", "ha-topology-web-prod-eu-serving"]);
    const gcp = await runWithMocks(loadStackConfig("gcp"), { stack: "prod-eu" });
    if (gcp.error) throw gcp.error;
    assert.equal(gcp.resources.find((r) => r.type === "gcp:secretmanager/secret:Secret")?.inputs.secretId, "prod-eu-web-db-credentials");
  });

  it("names fixed at creation ignore later changes, so running stacks keep theirs (tags, service account, secrets, namespace)", async function () {
    const expectations: Array<[string, string, string]> = [
      ["digitalocean", "digitalocean:index/tag:Tag", "name"],
      ["gcp", "gcp:serviceaccount/account:Account", "accountId"],
      ["gcp", "gcp:secretmanager/secret:Secret", "secretId"],
      ["kubernetes", "kubernetes:core/v1:Namespace", "metadata.name"],
    ];
    for (const [cloud, type, property] of expectations) {
      const run = await runWithMocks(loadStackConfig(cloud), { stack: "prod_eu" });
      if (run.error) throw run.error;
      // The rolling replacement's tags are named after the node tag, so they follow the name
      // it keeps; the floor tag must follow nodes.count (a new count is a new tag).
      const derived = (r: { name: string }) => type === "digitalocean:index/tag:Tag" && /-(leaving|floor)$/.test(r.name);
      const found = run.resources.filter((r) => r.type === type && !derived(r));
      assert.ok(found.length > 0, type);
      for (const r of found) assert.deepEqual(r.ignoreChanges, [property], `${type} ${r.name}`);
    }
  });

  it("an explicit kubernetes.namespace is followed as given, without ignoreChanges", async function () {
    const run = await runWithMocks(stackConfigWith("kubernetes", { "ha-topology:kubernetes": { namespace: "shop" } }), { stack: "prod_eu" });
    if (run.error) throw run.error;
    const ns = run.resources.find((r) => r.type === "kubernetes:core/v1:Namespace");
    assert.equal(ns?.inputs.metadata.name, "shop");
    assert.deepEqual(ns?.ignoreChanges, []);
  });
});

describe("physical names: a running stack's kept name", function () {
  it("warns when a resource kept a name from before the scheme, naming both", async function () {
    const run = await runWithMocks({ values: {}, secretKeys: [] }, {
      stack: "prod_eu",
      program: async () => {
        const pulumi = await import("@pulumi/pulumi");
        const { warnIfLegacyName } = await import("../components/physicalNames");
        const resource = new pulumi.ComponentResource("test:index:Thing", "thing");
        warnIfLegacyName("The thing", pulumi.output("web-nodes"), "web-prod-eu-ecae69", resource);
        warnIfLegacyName("The other thing", pulumi.output("same"), "same", resource);
        return {};
      },
    });
    assert.equal(run.error, undefined);
    const warnings = run.logs.filter((l) => l.severity === "warning").map((l) => l.message);
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /^The thing keeps its name "web-nodes" .* \(a new stack would get "web-prod-eu-ecae69"\)/);
  });
});

describe("physical names: the scheme", function () {
  it("keeps a plain stack name and hashes the ones normalisation would merge, within each cloud's rules", async function () {
    const { stackSegment, digitaloceanTagRule, gcpSecretIdRule, dnsLabelRule, shortHash } = await import("../components/physicalNames");
    const id = (stack: string, project = "ha-topology") => ({ project, stack });
    assert.equal(stackSegment(id("prod-eu"), digitaloceanTagRule), "prod-eu");
    assert.equal(stackSegment(id("prod_eu"), digitaloceanTagRule), `prod-eu-${shortHash(["ha-topology", "prod_eu"])}`);
    assert.equal(stackSegment(id("Prod-EU"), digitaloceanTagRule), `prod-eu-${shortHash(["ha-topology", "Prod-EU"])}`);
    assert.notEqual(stackSegment(id("prod_eu"), digitaloceanTagRule), stackSegment(id("Prod-EU"), digitaloceanTagRule));
    // Another project's stack of the same name, and a plain name that looks hashed.
    assert.equal(stackSegment(id("prod-eu", "shop"), digitaloceanTagRule), `prod-eu-${shortHash(["shop", "prod-eu"])}`);
    const hashed = stackSegment(id("Prod-EU"), dnsLabelRule);
    assert.notEqual(stackSegment(id(hashed), dnsLabelRule), hashed);
    // Secret IDs keep case and `_`: only `.` is lost there.
    assert.equal(stackSegment(id("Prod_EU"), gcpSecretIdRule), "Prod_EU");
    assert.match(stackSegment(id("prod.eu"), gcpSecretIdRule), /^prod-eu-[0-9a-f]{6}$/);
  });

  it("GCP service account IDs fit 6-30 characters, start with a letter and differ per project, stack and service", async function () {
    const { serviceAccountId } = await import("../components/platforms/gcp/nodeIdentity");
    const ids = [
      serviceAccountId("web", { project: "ha-topology", stack: "prod_eu" }),
      serviceAccountId("web", { project: "ha-topology", stack: "Prod-EU" }),
      serviceAccountId("web", { project: "other", stack: "prod_eu" }),
      serviceAccountId("a-very-long-service1", { project: "ha-topology", stack: "a-very-long-stack-name-indeed" }),
      serviceAccountId("a-very-long-service1", { project: "ha-topology", stack: "a-very-long-stack-name-indeed-2" }),
    ];
    assert.equal(new Set(ids).size, ids.length, ids.join(", "));
    for (const accountId of ids) assert.match(accountId, /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, accountId);
  });

  it("Kubernetes namespaces and long names stay within 63 characters and stay distinct", async function () {
    const { fitName } = await import("../components/physicalNames");
    const long = `web-${"x".repeat(80)}`;
    assert.equal(fitName("web-prod", 63), "web-prod");
    assert.equal(fitName(long, 63).length, 63);
    assert.notEqual(fitName(long, 63), fitName(`${long}y`, 63));
  });
});
