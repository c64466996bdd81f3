import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readStackFile, loadStackConfig, toEngineConfig } from "../automation/stackFiles";
import { decodeRawConfig } from "../components/stackConfig";
import { parseTopology } from "../components/topology";

/** Parses an aws topology whose nodes.env is `env`, through the engine's JSON form, as the program does. */
function loadStackConfigWithNodes(env: Record<string, unknown>): void {
  const engine = toEngineConfig({ "ha-topology:cloud": "aws", "ha-topology:domain": "app.example.com", "ha-topology:nodes": { env } });
  parseTopology(decodeRawConfig(engine.values), { "aws:region": "us-east-1" });
}

/** Writes a stack file with `body` under `config:` and reads it as the offline plan does. */
function read(body: string): Record<string, unknown> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ha-yaml-")), "Pulumi.test.yaml");
  fs.writeFileSync(file, `config:\n${body}`);
  return readStackFile(file);
}

/** The value of `ha-topology:x` in a stack file whose body sets it to `yamlValue`. */
const valueOf = (yamlValue: string) => read(`  ha-topology:x: ${yamlValue}\n`)["ha-topology:x"];

/** The refusal message for a stack file body (fails when it is read). */
function refusal(body: string): string {
  try {
    read(body);
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail(`expected the reader to refuse:\n${body}`);
}

describe("stack files: read as Pulumi's Go YAML (gopkg.in/yaml.v2) reads them", function () {
  it("keeps a key named __proto__ as an own entry (through merges too), so the program can refuse it by name", function () {
    const env = (body: string) => (read(body)["ha-topology:nodes"] as { env: Record<string, unknown> }).env;
    const plain = env("  ha-topology:nodes:\n    env:\n      __proto__: x\n      A: b\n");
    assert.deepEqual(Object.keys(plain), ["__proto__", "A"]);
    assert.equal(Object.getPrototypeOf(plain), Object.prototype);
    const merged = env("  ha-topology:base: &base\n    __proto__: x\n  ha-topology:nodes:\n    env:\n      <<: *base\n      A: b\n");
    assert.deepEqual(Object.keys(merged), ["__proto__", "A"]);
    assert.throws(() => loadStackConfigWithNodes(plain), /ha-topology:nodes\.env\.__proto__: received "__proto__"/);
  });

  it("reads 010 as octal 8, like Go (not 10)", function () {
    assert.equal(valueOf("010"), 8);
    assert.equal(valueOf("0o17"), 15);
    assert.equal(valueOf("-010"), -8);
  });

  it("reads 1_000 as 1000 (underscores are dropped in numbers)", function () {
    assert.equal(valueOf("1_000"), 1000);
    assert.equal(valueOf("1_0.5"), 10.5);
  });

  it("reads hex, binary, signs and Go's other numbers", function () {
    assert.equal(valueOf("0x1F"), 31);
    assert.equal(valueOf("-0x10"), -16);
    assert.equal(valueOf("0b101"), 5);
    assert.equal(valueOf("+12"), 12);
    assert.equal(valueOf("08"), 8, "not octal, so Go reads it as the float 8");
    assert.equal(valueOf("1e3"), 1000);
    assert.equal(valueOf(".5"), 0.5);
    assert.equal(valueOf("6."), 6);
    assert.equal(valueOf("16.10"), 16.1, "a number: the digits are gone, as in Pulumi");
    assert.equal(valueOf("1:30"), "1:30", "no sexagesimal numbers in Go");
    assert.equal(valueOf("0x"), "0x");
  });

  it("reads YAML 1.1 booleans (yes/no/on/off/y/n) as booleans, like Go", function () {
    for (const yes of ["yes", "Yes", "YES", "on", "On", "y", "Y", "true", "True"]) assert.equal(valueOf(yes), true, yes);
    for (const no of ["no", "No", "off", "OFF", "n", "N", "false", "FALSE"]) assert.equal(valueOf(no), false, no);
    assert.equal(valueOf("yEs"), "yEs");
    assert.equal(valueOf('"yes"'), "yes");
  });

  it("reads ~, null and an empty value as null", function () {
    assert.equal(valueOf("~"), null);
    assert.equal(valueOf("Null"), null);
    assert.equal(read("  ha-topology:x:\n")["ha-topology:x"], null);
  });

  it("keeps quoted and !!str values as text", function () {
    assert.equal(valueOf("'010'"), "010");
    assert.equal(valueOf('"1_000"'), "1_000");
    assert.equal(valueOf("!!str 010"), "010");
    assert.equal(valueOf("|\n    010\n"), "010\n");
  });

  it("merges << maps as Go does: keys after the merge win, earlier maps of a list win", function () {
    const config = read([
      "  ha-topology:base: &base { size: small, port: 80 }",
      "  ha-topology:other: &other { size: large, drainSeconds: 10 }",
      "  ha-topology:nodes:",
      "    <<: [*base, *other]",
      "    port: 8080",
      "",
    ].join("\n"));
    assert.deepEqual(config["ha-topology:nodes"], { size: "small", port: 8080, drainSeconds: 10 });
  });

  it("resolves anchors and aliases of scalars, maps and lists", function () {
    const config = read("  ha-topology:a: &n 010\n  ha-topology:b: *n\n  ha-topology:c: &l [1, yes]\n  ha-topology:d: *l\n");
    assert.deepEqual([config["ha-topology:b"], config["ha-topology:d"]], [8, [1, true]]);
  });

  it("flattens a stack file to the engine's strings as Go's JSON does", function () {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ha-yaml-")), "Pulumi.x.yaml");
    fs.writeFileSync(file, "config:\n  ha-topology:nodes:\n    port: 0x50\n    count: 1_0\n  ha-topology:flag: on\n");
    const values = loadStackConfig(file).values;
    assert.deepEqual(JSON.parse(values["ha-topology:nodes"]), { port: 80, count: 10 });
    assert.equal(values["ha-topology:flag"], "true");
  });
});

describe("stack files: refused where a reader could differ, naming the file, the key and what to write", function () {
  it("refuses a << merge that would override a key written before it (Go lets the merge win)", function () {
    const message = refusal("  ha-topology:nodes:\n    port: 8080\n    <<: { port: 80 }\n");
    assert.match(message, /Pulumi\.test\.yaml: config\.ha-topology:nodes\.port \(line 4\): set before a `<<` merge .*put `<<` first/);
  });

  it("refuses duplicate keys (Go silently keeps the last)", function () {
    const message = refusal("  ha-topology:nodes:\n    port: 80\n    port: 8080\n");
    assert.match(message, /config\.ha-topology:nodes\.port \(line 4\): a key that appears twice .*keep one/);
  });

  it("refuses .inf and .nan (JSON cannot carry them)", function () {
    assert.match(refusal("  ha-topology:x: .inf\n"), /config\.ha-topology:x \(line 2\): ".inf" is an infinite or NaN number.*quote it/);
    assert.match(refusal("  ha-topology:x: -.Inf\n"), /infinite or NaN/);
    assert.match(refusal("  ha-topology:x: .nan\n"), /infinite or NaN/);
  });

  it("refuses unquoted timestamps (Go makes them time values)", function () {
    assert.match(refusal("  ha-topology:x: 2024-01-02\n"), /"2024-01-02" is an unquoted date or timestamp.*quote it/);
    assert.match(refusal("  ha-topology:x: 2024-01-02T10:00:00Z\n"), /unquoted date or timestamp/);
    assert.equal(valueOf('"2024-01-02"'), "2024-01-02");
  });

  it("refuses integers beyond 2^53 (digits lost on the way to the program)", function () {
    assert.match(refusal("  ha-topology:x: 9007199254740993\n"), /beyond 2\^53.*quote it/);
    assert.equal(valueOf("9007199254740991"), Number.MAX_SAFE_INTEGER);
  });

  it("refuses keys Go reads as something other than their text (yes:, 010:)", function () {
    assert.match(refusal("  ha-topology:env:\n    yes: 1\n"), /the key "yes", which Pulumi's Go reader reads as true; quote the key/);
    assert.match(refusal("  ha-topology:env:\n    010: 1\n"), /reads as 8; quote the key/);
  });

  it("refuses explicit tags other than !!str", function () {
    assert.match(refusal("  ha-topology:x: !!int '010'\n"), /the explicit tag tag:yaml\.org,2002:int .*remove it/);
    assert.match(refusal("  ha-topology:x: !!binary aGk=\n"), /explicit tag/);
  });

  it("reports invalid YAML with its line", function () {
    assert.match(refusal("  ha-topology:x: [1, 2\n"), /Pulumi\.test\.yaml: line \d+: invalid YAML/);
  });

  it("a database version written as 16.10 reaches the program as 16.1 and is refused there", async function () {
    const { runWithMocks } = await import("../automation/offline/mocks");
    const { stackConfigWith } = await import("../automation/stackFiles");
    const version = valueOf("16.10");
    const run = await runWithMocks(stackConfigWith("aws", { "ha-topology:database": { version } }));
    assert.equal(run.error?.name, "TopologyConfigError");
    assert.match(run.error?.message ?? "", /ha-topology:database\.version: received 16\.1; allowed: .*quote a version with a minor part \("16\.10"\)/);
    assert.equal(run.resources.length, 0);
  });
});
