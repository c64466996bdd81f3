import { strict as assert } from "node:assert";
import { closestKey } from "../components/configError";
import { parseTopology, type Topology } from "../components/topology";
import { checkSize, resolveSize } from "../components/sizes";
import { subnetCidr } from "../components/cidr";
import { appVersionOf } from "../components/appEnvironment";
import * as fs from "node:fs";
import * as path from "node:path";
import { mergeConfig, readStackFile } from "../automation/stackFiles";
import { badInputs, badInputsMarkdown, qualifiedKey } from "./badInputs";

const minimal = { cloud: "aws", domain: "app.example.com" };

/** Parses and returns the error message (fails the test when parsing succeeds). */
function refusal(raw: Record<string, unknown>, provider: Record<string, string> = {}): string {
  try {
    parseTopology(raw, provider);
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail(`expected ${JSON.stringify(raw)} to be refused`);
}

describe("topology: defaults", function () {
  it("fills every documented default from the two required keys", function () {
    const t: Topology = parseTopology(minimal);
    assert.equal(t.name, "web");
    assert.deepEqual(
      { count: t.nodes.count, maxCount: t.nodes.maxCount, size: t.nodes.size, port: t.nodes.port },
      { count: 2, maxCount: 4, size: "small", port: 80 },
    );
    assert.match(t.nodes.image, /^traefik\/whoami:v\d/);
    assert.equal(t.healthCheck.path, "/health");
    assert.ok(t.healthCheck.timeoutSeconds < t.healthCheck.intervalSeconds);
    assert.deepEqual(
      { engine: t.database.engine, version: t.database.version, backups: t.database.backupRetentionDays, replicas: t.database.readReplicas },
      { engine: "postgres", version: "16", backups: 7, replicas: 0 },
    );
    assert.equal(t.database.maxStorageGb, 100);
    assert.equal(t.storage.versioning, true);
    assert.equal(t.sessions.enabled, false);
    assert.deepEqual({ zones: t.network.zones, nat: t.network.natGateways }, { zones: 2, nat: "per-zone" });
  });

  it("derives dependent defaults: maxCount from count, version from engine", function () {
    const t = parseTopology({ ...minimal, nodes: { count: 3 }, database: { engine: "mysql" } });
    assert.equal(t.nodes.maxCount, 6);
    assert.equal(t.database.version, "8.0");
  });

  it("checks secrets but keeps their values out of the topology", function () {
    const t = parseTopology({ ...minimal, secrets: { API_KEY: "s3cr3t-value", SIGNING_KEY: "other" } });
    assert.ok(!JSON.stringify(t).includes("s3cr3t-value"));
  });

  it("accepts a database version written as a YAML number", function () {
    assert.equal(parseTopology({ ...minimal, database: { version: 15 } }).database.version, "15");
  });

  it("caps the default storage ceiling at the largest allowed size", function () {
    assert.equal(parseTopology({ ...minimal, database: { storageGb: 20000 } }).database.maxStorageGb, 65536);
  });

  it("coerces plain env values to strings", function () {
    const t = parseTopology({ ...minimal, nodes: { env: { WORKERS: 4, DEBUG: false } } });
    assert.deepEqual(t.nodes.env, { WORKERS: "4", DEBUG: "false" });
  });
});

/** The `ha-topology` keys of an example stack file, without the namespace. */
function stackTopology(stack: string): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(readStackFile(stack)).filter(([k]) => k.startsWith("ha-topology:")).map(([k, v]) => [k.slice("ha-topology:".length), v]),
  );
}

/** The provider keys (`aws:region`, ...) of an example stack file. */
function stackProvider(stack: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(readStackFile(stack)).filter(([k]) => !k.startsWith("ha-topology:")));
}

describe("topology: bad input is refused with key, value and what is allowed", function () {
  for (const bad of badInputs) {
    it(`${bad.what}`, function () {
      // Cloud-specific cases start from that cloud's example stack, merged as the program merges them.
      const own = Object.fromEntries(Object.entries(bad.raw).filter(([k]) => !k.includes(":")));
      const providerPatch = Object.fromEntries(Object.entries(bad.raw).filter(([k]) => k.includes(":")));
      const base = bad.stack ? stackTopology(bad.stack) : { ...minimal };
      const raw: Record<string, unknown> = bad.stack ? mergeConfig(base, own) : base;
      if (!bad.stack) for (const [k, v] of Object.entries(own)) raw[k] = v;
      if ("domain" in bad.raw && bad.raw.domain === undefined) delete raw.domain;
      const provider = mergeConfig(bad.stack ? stackProvider(bad.stack) : {}, providerPatch);
      const message = refusal(raw, Object.fromEntries(Object.entries(provider).map(([k, v]) => [k, String(v)])));
      const key = qualifiedKey(bad.key);
      const line = message.split("\n").find((l) => l.includes(`${key}:`));
      assert.ok(line, `no line names ${key} in:\n${message}`);
      assert.ok(line.includes(`received ${bad.received}`), `value ${bad.received} not shown in: ${line}`);
      assert.ok(line.includes(bad.allowed), `"${bad.allowed}" not in: ${line}`);
    });
  }

  it("reports every problem at once, one line each", function () {
    const message = refusal({ cloud: "aws", domain: "x", nodes: { count: 1, port: 0 } });
    assert.match(message, /^Invalid stack configuration \(3 problems\); nothing was created:/);
    assert.equal(message.split("\n").filter((l) => l.startsWith("  - ha-topology:")).length, 3);
  });

  it("never echoes a secret value", function () {
    const message = refusal({ ...minimal, secrets: { "bad name": "hunter2-secret" } });
    assert.ok(!message.includes("hunter2-secret"), message);
    assert.match(message, /ha-topology:secrets\.bad name: received \[secret\]/);
  });
});

describe("topology helpers", function () {
  it("suggests close keys only", function () {
    assert.equal(closestKey("cuont", ["count", "size"]), "count");
    assert.equal(closestKey("healthcheck", ["healthCheck", "nodes"]), "healthCheck");
    assert.equal(closestKey("zzzzzz", ["count", "size"]), undefined);
  });

  it("maps presets per cloud and passes native sizes through", function () {
    assert.equal(resolveSize("aws", "node", "small"), "t3.small");
    assert.equal(resolveSize("aws", "database", "small"), "db.t4g.micro");
    assert.equal(resolveSize("aws", "node", "m7g.large"), "m7g.large");
    assert.equal(resolveSize("gcp", "node", "medium"), "e2-medium");
    assert.equal(checkSize("aws", "node", "m7g.large"), undefined);
    assert.match(checkSize("gcp", "node", "t3.large") ?? "", /gcp node size/);
  });

  it("splits a VPC range into per-zone subnets", function () {
    assert.equal(subnetCidr("10.0.0.0/16", 4, 0), "10.0.0.0/20");
    assert.equal(subnetCidr("10.0.0.0/16", 4, 3), "10.0.48.0/20");
    assert.equal(subnetCidr("172.16.8.0/22", 4, 15), "172.16.11.192/26");
    assert.throws(() => subnetCidr("10.0.0.0/24", 6, 0), RangeError);
  });

  it("derives the app version from the image reference", function () {
    assert.equal(appVersionOf("ghcr.io/acme/web:1.4.2"), "1.4.2");
    assert.equal(appVersionOf("registry:5000/web:2024-01-01"), "2024-01-01");
    assert.equal(appVersionOf(`web@sha256:${"ab".repeat(32)}`), "sha256:abababababab");
  });
});

describe("topology: the README's troubleshooting table", function () {
  it("lists exactly the bad inputs the tests refuse (at least 40)", function () {
    const readme = fs.readFileSync(path.resolve(__dirname, "..", "README.md"), "utf8");
    const listed = /<!-- bad-inputs:start -->\n([\s\S]*?)\n<!-- bad-inputs:end -->/.exec(readme)?.[1];
    assert.ok(listed, "the README has no bad-inputs section");
    assert.equal(listed, badInputsMarkdown());
    assert.ok(badInputs.length >= 40);
    assert.deepEqual([...new Set(badInputs.map((b) => b.stack ?? "aws"))].sort(), ["aws", "digitalocean", "gcp", "kubernetes"]);
  });
});

