/**
 * The one combination that would drop a running single service without a word.
 *
 * `ha-topology:nodes` is not required: without it the single service runs the demo image
 * (topology.ts `defaults.nodes`) with today's database and bucket. The combination rule
 * (parse.ts) reads `workloads` set with `nodes` unset as "the topology is exactly the
 * maps". So a stack that ran the single service without `nodes`, and then gets
 * `workloads`, would no longer register its web, database or bucket: `pulumi up` would
 * delete them (their deletion protection stops it halfway, after the nodes and the load
 * balancer are gone). The configuration alone cannot tell such a stack from a new one, so
 * the parser takes what the stack's last deployment had (`PreviousDeployment`, from its
 * outputs) and refuses the drop, naming the two ways to keep it.
 *
 * Where the previous outputs come from is the program's business: the Automation API has
 * them (`stack.outputs()` before `up`); a program run by the CLI can read them with a
 * StackReference to its own stack. Without them (undefined) nothing is refused here.
 */
import { configNamespace, describeValue } from "../configError";
import type { BindingProblem } from "./bindings";
import { legacyResourceNames, legacyWebName, type Model } from "./model";

/** What the stack's last deployment ran, as its outputs tell. */
export interface PreviousDeployment {
  /** The single service ran (every version of the program exports `nodeGroupId` only then). */
  singleService: boolean;
  /** Its session store existed (`sessionStoreEndpoint`). */
  sessions: boolean;
}

const present = (value: unknown) => value !== undefined && value !== null && value !== "";

/**
 * The previous deployment from its stack outputs (`nodeGroupId`, `sessionStoreEndpoint`:
 * exported by every version of the program, set only for the single service); undefined
 * for a stack never deployed (no outputs).
 */
export function previousDeployment(outputs: Record<string, unknown> | undefined): PreviousDeployment | undefined {
  if (!outputs || Object.keys(outputs).length === 0) return undefined;
  return { singleService: present(outputs.nodeGroupId), sessions: present(outputs.sessionStoreEndpoint) };
}

/**
 * The refusal when this configuration drops the single service the last deployment ran:
 * its data-holding resources (`database`, `bucket`, and `sessions` when it existed) must
 * stay, either through `ha-topology:nodes` (the single service itself) or declared in the
 * maps by their single-service names, which keep their resources (compose.ts `logicalName`).
 */
export function droppedSingleServiceProblems(model: Model, service: boolean, previous: PreviousDeployment | undefined): BindingProblem[] {
  if (!previous?.singleService || service) return [];
  const kept = (name: string, kind: string) => model.resources.some((r) => r.name === name && r.kind === kind);
  const needed: [string, string][] = [
    [legacyResourceNames.sql, "sql"],
    [legacyResourceNames.bucket, "bucket"],
    ...(previous.sessions ? [[legacyResourceNames.cache, "cache"] as [string, string]] : []),
  ];
  const missing = needed.filter(([name, kind]) => !kept(name, kind));
  if (missing.length === 0) return [];
  const had = [`workload ${legacyWebName}`, ...needed.map(([name]) => `resource ${name}`)].join(", ");
  const declare = [...needed.map(([name, kind]) => `resources.${name} (kind ${kind})`), `workloads.${legacyWebName} (kind web)`].join(", ");
  return [
    {
      path: ["nodes"],
      received: describeValue(undefined),
      allowed:
        `set: this stack's last deployment ran the single service (${had}), and with ${configNamespace}:workloads set and ${configNamespace}:nodes unset this update would delete it, ` +
        `its ${missing.map(([name]) => name).join(" and ")} with their data. Keep it: set ${configNamespace}:nodes (its image, port and count) to run the workloads next to it, ` +
        `or declare it in the maps by its single-service names, ${declare}, which keep its resources. To retire it on purpose, deploy once with them declared, then remove them`,
    },
  ];
}
