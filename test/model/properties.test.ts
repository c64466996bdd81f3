import { strict as assert } from "node:assert";
import fc from "fast-check";
import { bindingField, workloadEnv } from "../../components/model/bindings";
import { isContainerWorkload, type Model } from "../../components/model/model";
import { parseModel } from "../../components/model/parse";
import { referencesOf } from "../../components/model/references";
import { TopologyConfigError } from "../../components/configError";

const shared = { cloud: "aws", domain: "app.example.com" };
const provider = { "aws:region": "us-east-1" };

/** Names likely to collide (`db` and `db-url` both give DB_URL) next to arbitrary ones. */
const name = fc.oneof(
  fc.constantFrom("db", "db-url", "cache", "cache-url", "files", "secret-key", "key", "port"),
  fc.stringMatching(/^[a-z]([a-z0-9-]{0,4}[a-z0-9])?$/),
);
const resource = fc.constantFrom({ kind: "sql" }, { kind: "sql", readReplicas: 1 }, { kind: "bucket" }, { kind: "cache" }, { kind: "secret", length: 40 });
const fields = ["host", "port", "name", "user", "password", "url", "bucket", "region", "endpoint", "value", "tls"];

const topology = fc
  .record({
    resources: fc.dictionary(name, resource, { minKeys: 0, maxKeys: 5 }),
    workloads: fc.dictionary(
      name,
      fc.record({
        kind: fc.constantFrom("web", "worker"),
        internal: fc.boolean(),
        usesAll: fc.boolean(),
        pick: fc.array(fc.nat(4), { maxLength: 3 }),
        refs: fc.array(fc.tuple(fc.nat(4), fc.constantFrom(...fields)), { maxLength: 3 }),
      }),
      { minKeys: 1, maxKeys: 4 },
    ),
  })
  .map(({ resources, workloads }) => {
    const names = Object.keys(resources);
    const out: Record<string, unknown> = {};
    Object.entries(workloads).forEach(([w, spec], i) => {
      const uses = spec.usesAll || names.length === 0 ? undefined : [...new Set(spec.pick.map((n) => names[n % names.length]))];
      const env = Object.fromEntries(spec.refs.filter(() => names.length > 0).map(([n, field], j) => [`REF_${j}`, `x\${resources.${names[n % names.length]}.${field}}`]));
      out[w] =
        spec.kind === "web"
          ? { kind: "web", image: "ghcr.io/acme/app:1.0.0", port: 8080, ...(spec.internal ? { public: false } : { path: `/p${i}` }), env, ...(uses && { uses }) }
          : { kind: "worker", image: "ghcr.io/acme/app:1.0.0", env, ...(uses && { uses }) };
    });
    return { ...shared, workloads: out, ...(names.length > 0 && { resources }) };
  });

describe("model: bindings of any valid topology (property)", function () {
  it("give each workload unique env names, and keep every secret field secret", function () {
    let accepted = 0;
    fc.assert(
      fc.property(topology, (raw) => {
        let model: Model;
        try {
          model = parseModel(raw, provider);
        } catch (e) {
          // Refused topologies are refused in the contract's shape, never by a crash.
          assert.ok(e instanceof TopologyConfigError, String(e));
          assert.ok(e.problems.length > 0 && e.problems.every((p) => p.startsWith("ha-topology:")), e.message);
          return;
        }
        accepted++;
        for (const w of model.workloads.filter(isContainerWorkload)) {
          const env = workloadEnv(model, w);
          const names = env.map((v) => v.name);
          assert.equal(new Set(names).size, names.length, `${w.name}: ${names.join(" ")}`);
          for (const v of env) {
            if ("resource" in v.source) {
              const src = v.source;
              const r = model.resources.find((x) => x.name === src.resource)!;
              assert.equal(v.secret, bindingField(model, r, src.field)!.secret, `${w.name}.${v.name}`);
            }
            if ("env" in v.source) {
              const secretRef = referencesOf(w.env[v.name]).some((ref) => {
                const r = model.resources.find((x) => x.name === ref.resource)!;
                return bindingField(model, r, ref.field)!.secret;
              });
              assert.equal(v.secret, secretRef, `${w.name}.${v.name}`);
            }
            if ("appSecret" in v.source) assert.ok(v.secret);
          }
        }
      }),
      { numRuns: 300 },
    );
    // The property is not vacuous: a good share of the generated topologies are valid.
    assert.ok(accepted > 30, `only ${accepted} of 300 generated topologies were valid`);
  });
});
