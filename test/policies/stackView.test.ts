/**
 * The StackView indexes the rules look candidates up in: what `filedUnder` returns (stack
 * order, no repeats, every resource whose key is not known yet), and that `derived` builds
 * once per view.
 */
import { strict as assert } from "node:assert";
import type { PolicyResource } from "@pulumi/policy";
import { StackView } from "../../policies/stackView";

/** What the SDK's props proxy throws on a value not known yet (matched by class name, as the pack does). */
class UnknownValueError extends Error {}

function resource(type: string, name: string, props: Record<string, unknown>): PolicyResource {
  return {
    type,
    name,
    urn: `urn:pulumi:test::p::${type}::${name}`,
    props,
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  };
}

const tagsOf = (r: PolicyResource) => (r.props.tags as string[]).map(String);

describe("StackView indexes", () => {
  const a = resource("t:a", "a", { tags: ["x", "y", "x"] });
  const b = resource("t:b", "b", { tags: ["y"] });
  const c = resource("t:a", "c", { tags: ["z"] });
  const later = resource("t:a", "later", {});
  Object.defineProperty(later.props, "tags", { get: () => { throw new UnknownValueError("unknown during preview"); } });

  it("filedUnder: the resources of the types filed under any key, in stack order, each once", () => {
    const view = new StackView([c, b, a]);
    assert.deepEqual(view.filedUnder(["t:a", "t:b"], tagsOf, ["y", "x", "z"]).map((r) => r.name), ["c", "b", "a"]);
    assert.deepEqual(view.filedUnder("t:a", tagsOf, ["y"]).map((r) => r.name), ["a"]);
    assert.deepEqual(view.filedUnder("t:a", tagsOf, ["none"]), []);
  });

  it("filedUnder: a resource whose key is not known yet is a candidate for every lookup; other errors propagate", () => {
    const view = new StackView([a, later, c]);
    assert.deepEqual(view.filedUnder("t:a", tagsOf, ["z"]).map((r) => r.name), ["later", "c"]);
    const broken = resource("t:a", "broken", {});
    assert.throws(() => new StackView([broken]).filedUnder("t:a", tagsOf, ["z"]), TypeError);
  });

  it("derived: built once per view", () => {
    let builds = 0;
    const count = (view: StackView) => {
      builds++;
      return view.resources.length;
    };
    const view = new StackView([a, b]);
    assert.equal(view.derived(count), 2);
    assert.equal(view.derived(count), 2);
    assert.equal(builds, 1);
    assert.equal(new StackView([a]).derived(count), 1);
    assert.equal(builds, 2);
  });
});
