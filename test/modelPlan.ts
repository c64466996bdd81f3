/**
 * A plan built from a stack file's model alone, without running the program: what the
 * plan, the HA summary and the diagram say of the workloads and resources can be tested
 * on every cloud before (and whatever) its platform registers.
 */
import type { Plan } from "../automation/plan";
import { haSummary } from "../automation/haSummary";
import { loadStackConfig, stackConfigWith } from "../automation/stackFiles";
import type { Capabilities } from "../components/model/capabilities";
import { parseStack } from "../components/model/parse";
import type { Cloud } from "../components/sizes";
import { decodeRawConfig, providerConfigOf } from "../components/stackConfig";
import { policies } from "../policies/policies";
import type { PolicyReport, StackResource, Violation } from "../policies/runner";
import { ns } from "./programQueries";

/** A report with every rule at its own level, the given violations (mandatory unless said), and the rules that judged nothing. */
export function reportWith(violations: Array<Partial<Violation> & { policy: string }> = [], notApplicable: string[] = []): PolicyReport {
  const all = violations.map((v): Violation => ({ level: "mandatory", message: "broken on purpose", ...v }));
  return {
    violations: all,
    notApplicable: notApplicable.map((policy) => ({ policy, reason: "nothing of its kind" })),
    levels: Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel ?? "advisory"])),
    passed: !all.some((v) => v.level === "mandatory"),
  };
}

/**
 * The plan of a stack file (a stack name or a path; `patch` changes keys, bare ones in the
 * `ha-topology` namespace) as far as its model tells it: no resource registered.
 */
export function modelPlan(
  stackOrFile: string,
  options: { patch?: Record<string, unknown>; report?: PolicyReport; resources?: StackResource[]; capabilities?: Record<Cloud, Capabilities> } = {},
): Plan {
  const { patch = {}, report = reportWith(), resources = [] } = options;
  const values = (Object.keys(patch).length > 0 ? stackConfigWith(stackOrFile, ns(patch)) : loadStackConfig(stackOrFile)).values;
  const { topology, model } = parseStack(decodeRawConfig(values), providerConfigOf(values), options.capabilities);
  return {
    stack: stackOrFile.replace(/^.*Pulumi\.(.+)\.ya?ml$/, "$1"),
    stackFile: stackOrFile,
    offline: true,
    topology,
    model,
    resourceCount: resources.length,
    components: [],
    summary: haSummary(topology, resources, report, model),
    policy: report,
    outputs: {},
    logs: [],
    resources,
  };
}
