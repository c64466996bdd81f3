/**
 * cloudConfigYaml.ts writes a node's cloud-config byte for byte as `yaml` does
 * (`stringify(config, { version: "1.1", lineWidth: 0 })`, what every node's user data was
 * written with before), or leaves the config to `yaml`: a different byte would roll every
 * node of every stack on upgrade.
 */
import { strict as assert } from "node:assert";
import * as fc from "fast-check";
import { parse, stringify } from "yaml";
import { runWithMocks } from "../automation/offline/mocks";
import { loadStackConfig } from "../automation/stackFiles";
import { cloudConfigYaml } from "../components/cloudConfigYaml";
import { cloudConfigOf } from "./userDataView";

const yamlText = (config: object) => stringify(config, { version: "1.1", lineWidth: 0 });

/** Every cloud-config a run registered: as a string input, or base64 (AWS launch templates). */
function cloudConfigs(values: unknown[]): string[] {
  const found: string[] = [];
  const visit = (value: unknown): void => {
    if (typeof value === "string") {
      const text = cloudConfigOf(value);
      if (text !== undefined) found.push(text);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (typeof value === "object" && value !== null) Object.values(value).forEach(visit);
  };
  values.forEach(visit);
  return found;
}

/** Words as the platforms write them, and the ones YAML 1.1 reads as something else, or cannot leave plain. */
const sampleWords = [
  "docker.io", "root:root", "b64", "--now", "-l", "passwd -l root", "/etc/ha-topology/app.env", "ha-topology-app.service", "QUJD+/x=", "IyEvYmluL2Jhc2g=",
  "0600", "0644", "0700", "0755", "0800", "600", "0", "09", "1:20", "1.5", ".5", "1e3", ".inf", "-.inf", ".nan", "0x1f", "0b101", "2001-12-14", "1_000",
  "yes", "Yes", "YES", "no", "No", "y", "Y", "n", "N", "on", "On", "ON", "off", "Off", "true", "True", "false", "FALSE", "null", "Null", "~", "",
  "a: b", "a:", "a ", " a", "a #b", "a#b", "#a", "- a", "-", "?", "? a", "---", "--- a", "...", "%a", "@a", "a@b", "a,b", "[a]", "{a}", "a'b", 'a"b', "a\nb", "a\tb",
  "=", "<<", "*a", "&a", "!a", "|", ">", "`a", "a\\b", "é", "a\u2028b",
];
/** Words of the shape's kind most of the time (so that the direct writer takes a good share of the documents), any string otherwise. */
const word = fc.oneof(
  { weight: 40, arbitrary: fc.constantFrom(...sampleWords.slice(0, 10), "5", "0644", "systemctl", "enable") },
  { weight: 2, arbitrary: fc.constantFrom(...sampleWords) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(..."aZy0197:- #./=+,'\"@%\n_~eE.x"), maxLength: 8 }) },
);
const plainKey = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom("path", "owner", "permissions", "encoding", "content", "runcmd", "packages", "package_update") },
  { weight: 1, arbitrary: fc.constantFrom("on", "y", "No", "Key", "a b", "a-b", "") },
);
/** A cloud-config-like document: the shape cloudConfigYaml writes most of the time, and near misses of it (numbers, nulls, empty lists). */
const rare = <T>(arbitrary: fc.Arbitrary<T>) => ({ weight: 1, arbitrary });
const entry = fc.oneof(
  { weight: 20, arbitrary: fc.oneof(word, fc.array(word, { minLength: 1, maxLength: 4 }), fc.dictionary(plainKey, word, { minKeys: 1, maxKeys: 4, noNullPrototype: true })) },
  rare(fc.oneof(fc.array(word, { maxLength: 1 }), fc.dictionary(plainKey, fc.oneof(fc.boolean(), fc.integer()), { maxKeys: 2 }), fc.constant(null))),
);
const documents = fc.dictionary(
  plainKey,
  fc.oneof(
    { weight: 20, arbitrary: fc.array(entry, { minLength: 1, maxLength: 5 }) },
    { weight: 8, arbitrary: fc.oneof(fc.boolean(), word) },
    rare(fc.oneof(fc.integer(), fc.constant(null), fc.constant([]))),
  ),
  { minKeys: 1, maxKeys: 4, noNullPrototype: true },
);

describe("cloudConfigYaml: the platforms' cloud-config without the yaml package", function () {
  it("writes what yaml writes, or leaves the document to yaml (random documents of the shape, and near misses)", function () {
    let written = 0;
    fc.assert(
      fc.property(documents, (config) => {
        const text = cloudConfigYaml(config);
        if (text !== undefined) {
          written++;
          assert.equal(text, yamlText(config));
        }
      }),
      { numRuns: 10000 },
    );
    assert.ok(written > 2000, `the direct writer took ${written} of 10000 documents`);
  });

  it("writes every short word as yaml does, or leaves it to yaml (all words of up to 3 characters, and of 4 over the characters of numbers and booleans)", function () {
    const words = (alphabet: string, length: number): string[] => (length === 0 ? [""] : words(alphabet, length - 1).flatMap((w) => [...alphabet].map((c) => w + c)));
    const wide = "aeEnNoyYtTfFlLuUsS0179-+._:/ #=,@%~'\"";
    const numeric = "eE01+-.:_ aynoftl";
    let written = 0;
    for (const w of [...[0, 1, 2, 3].flatMap((n) => words(wide, n)), ...words(numeric, 4)]) {
      const config = { runcmd: [w] };
      const text = cloudConfigYaml(config);
      if (text === undefined) continue;
      written++;
      if (text !== yamlText(config)) assert.fail(`${JSON.stringify(w)}: written ${JSON.stringify(text)}, yaml writes ${JSON.stringify(yamlText(config))}`);
    }
    assert.ok(written > 10000, `${written} words written directly`);
  });

  it("quotes file modes as yaml does, and leaves every word YAML 1.1 could read otherwise to yaml", function () {
    assert.equal(cloudConfigYaml({ write_files: [{ path: "/a", permissions: "0644" }] }), 'write_files:\n  - path: /a\n    permissions: "0644"\n');
    for (const w of sampleWords) {
      const config = { runcmd: [w, [w, "x"]], write_files: [{ content: w }] };
      const text = cloudConfigYaml(config);
      if (text !== undefined) assert.equal(text, yamlText(config), JSON.stringify(w));
    }
    assert.equal(cloudConfigYaml({ runcmd: [["curl", "--retry", "5"]] }), 'runcmd:\n  - - curl\n    - --retry\n    - "5"\n');
    for (const w of ["yes", "on", "No", "~", "null", "1.5", "2001-12-14", "1:20", "a: b", "a #b", "---", "-5", "+5", "5_0", "e7", "-E+7"]) {
      assert.equal(cloudConfigYaml({ runcmd: [w] }), undefined, `${JSON.stringify(w)} is yaml's to write`);
    }
  });

  it("writes an empty list and an empty word as yaml does; leaves to yaml what it would write with an anchor (one list twice), and other values", function () {
    const command = ["systemctl", "daemon-reload"];
    assert.equal(cloudConfigYaml({ runcmd: [command, command] }), undefined);
    assert.match(yamlText({ runcmd: [command, command] }), /&a1/);
    assert.equal(cloudConfigYaml({ packages: [], write_files: [{ content: "" }] }), 'packages: []\nwrite_files:\n  - content: ""\n');
    for (const config of [{ a: 1 }, { a: null }, { a: { b: "c" } }, { runcmd: [[["x"]]] }, { runcmd: [[]] }, { runcmd: [{}] }]) {
      assert.equal(cloudConfigYaml(config), undefined, JSON.stringify(config));
    }
  });

  it("leaves nothing of a VM run to yaml: no node's user data, nor the parse-time size estimate's", async function () {
    this.timeout(60_000);
    const yaml = require("yaml") as { stringify: (...args: unknown[]) => string };
    const stringifyOf = yaml.stringify;
    const rendered: unknown[] = [];
    yaml.stringify = (...args: unknown[]) => {
      if ((args[1] as { version?: string } | undefined)?.version === "1.1") rendered.push(args[0]);
      return stringifyOf(...args);
    };
    try {
      for (const stack of ["aws", "stacks/examples/Pulumi.maestro-digitalocean.yaml", "stacks/examples/Pulumi.gcp-jobs.yaml"]) {
        const run = await runWithMocks(loadStackConfig(stack), { stack: "cloud-config" });
        assert.equal(run.error, undefined, stack);
      }
    } finally {
      yaml.stringify = stringifyOf;
    }
    assert.deepEqual(rendered, [], "configs written by yaml");
  });

  // The stacks whose nodes carry user data: each cloud's example, the services' and jobs' examples, the recipes.
  const stacks = [
    "aws", "gcp", "digitalocean",
    ...["aws-jobs", "gcp-jobs", "digitalocean-jobs", "aws-services", "maestro-aws", "maestro-gcp", "maestro-digitalocean", "alerta-digitalocean"].map((s) => `stacks/examples/Pulumi.${s}.yaml`),
  ];
  it("writes every node's user data of the example stacks itself, the same bytes as yaml", async function () {
    this.timeout(120_000);
    let count = 0;
    for (const stack of stacks) {
      const run = await runWithMocks(loadStackConfig(stack), { stack: "cloud-config" });
      assert.equal(run.error, undefined, stack);
      const texts = cloudConfigs(run.resources.map((r) => r.inputs));
      assert.ok(texts.length > 0, `${stack} has user data`);
      for (const text of texts) {
        const config = parse(text, { version: "1.1" }) as object;
        assert.equal(text, `#cloud-config\n${yamlText(config)}`, `${stack}: yaml writes the same`);
        assert.equal(`#cloud-config\n${cloudConfigYaml(config)}`, text, `${stack}: written directly`);
        count++;
      }
    }
    assert.ok(count >= 20, `${count} user data`);
  });
});
