/**
 * The pack judges a stack of many services as it judges each one alone: N renamed copies of
 * a cloud's example stack (bench/syntheticStack.ts, what the policy benchmark times) get
 * exactly the violations of one copy, N times, each on its own copy's resources. Run on the
 * example stacks as the program registers them (no violation) and on broken ones (several
 * rules fire), on all four clouds: an index that mixed up copies, or lost a candidate a scan
 * of every resource would have found, changes the count or the resources named.
 */
import { strict as assert } from "node:assert";
import { copiesOf, copyName, exampleStack, renamer, syntheticClouds, type SyntheticCloud } from "../../bench/syntheticStack";
import { runPolicies, type PolicyReport, type StackResource } from "../../policies/runner";

/** One change to the example stack: a property set on every resource of a type, or those resources removed. */
type Break = { type: string; path: string; value: unknown } | { type: string; remove: true };

/** Per cloud, changes that make several rules fire (node count, autohealing, replication, exposure, firewalls). */
const breaks: Record<SyntheticCloud, Break[]> = {
  aws: [
    { type: "aws:autoscaling/group:Group", path: "minSize", value: 1 },
    { type: "aws:autoscaling/group:Group", path: "healthCheckType", value: "EC2" },
    { type: "aws:rds/instance:Instance", path: "multiAz", value: false },
  ],
  gcp: [
    { type: "gcp:compute/regionAutoscaler:RegionAutoscaler", path: "autoscalingPolicy.minReplicas", value: 1 },
    { type: "gcp:sql/databaseInstance:DatabaseInstance", path: "settings.availabilityType", value: "ZONAL" },
  ],
  kubernetes: [
    { type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", path: "spec.minReplicas", value: 1 },
    { type: "kubernetes:core/v1:Service", path: "spec.type", value: "LoadBalancer" },
    { type: "kubernetes:policy/v1:PodDisruptionBudget", remove: true },
  ],
  digitalocean: [
    { type: "digitalocean:index/databaseCluster:DatabaseCluster", path: "nodeCount", value: 1 },
    { type: "digitalocean:index/firewall:Firewall", remove: true },
    { type: "digitalocean:index/app:App", remove: true },
  ],
};

function setAt(props: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let target = props;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  target[keys[keys.length - 1]] = value;
}

/** A deep copy of the stack with the changes applied (in inputs and outputs alike). */
function broken(stack: readonly StackResource[], changes: readonly Break[]): StackResource[] {
  let resources = JSON.parse(JSON.stringify(stack)) as StackResource[];
  for (const change of changes) {
    const matches = resources.filter((r) => r.type === change.type);
    assert.ok(matches.length > 0, `the example stack has no ${change.type}`);
    if ("remove" in change) resources = resources.filter((r) => r.type !== change.type);
    else for (const r of matches) for (const props of [r.inputs, r.outputs ?? {}]) setAt(props, change.path, change.value);
  }
  return resources;
}

/** A report's violations as comparable lines, each renamed by `rename` (the copy's service name). */
function violationLines(report: PolicyReport, rename: (text: string) => string = (t) => t): string[] {
  return report.violations.map((v) =>
    JSON.stringify([v.policy, v.level, v.resourceType, v.resourceName && rename(v.resourceName), v.urn && rename(v.urn), rename(v.message)]),
  );
}

const copies = 3;

describe("policy runner: N copies of a stack get N times one copy's verdicts", () => {
  for (const cloud of syntheticClouds) {
    describe(cloud, () => {
      let example: StackResource[] = [];
      before(async () => {
        example = await exampleStack(cloud);
      });

      for (const variant of ["example stack", "broken stack"] as const) {
        it(`${variant}: ${copies} copies, each judged as one`, async () => {
          const one = variant === "example stack" ? example : broken(example, breaks[cloud]);
          const service = one.find((r) => r.type === "ha-topology:index:HaService")?.name ?? "";
          const single = await runPolicies(one);
          if (variant === "broken stack") assert.ok(new Set(single.violations.map((v) => v.policy)).size >= 2, "the breaks make several rules fire");
          const many = await runPolicies(copiesOf(one, copies));
          const expected = Array.from({ length: copies }, (_, c) => violationLines(single, renamer(service, copyName(service, c)))).flat();
          assert.deepEqual(violationLines(many).sort(), expected.sort());
          assert.deepEqual(many.notApplicable, single.notApplicable);
          assert.equal(many.passed, single.passed);
        });
      }
    });
  }
});
