/**
 * The offline plan: runs the real program for a stack file under mocks (no credentials,
 * no network, no Pulumi CLI), then judges what it registered with the ha-guard pack.
 * The same data feeds the text report, the JSON output and the diagram.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { TopologyConfigError } from "../components/configError";
import { plaintextSecretKeys, plaintextSecretWarning } from "../components/secretKeys";
import { readRawConfig } from "../components/stackConfig";
import type { Model } from "../components/model/model";
import { parseStack } from "../components/model/parse";
import type { Topology } from "../components/topology";
import { runPolicies, PolicyConfigError, type PolicyConfigFile, type PolicyReport, type StackResource } from "../policies/runner";
import { haSummary, type SummaryLine } from "./haSummary";
import { runWithMocks, type ProgramLog, type RegisteredResource } from "./offline/mocks";
import { stackResources } from "./offline/policyInput";
import { isStackName, loadStackConfig, readStackFile, stackFileLabel, stackFilePath, stackNames } from "./stackFiles";

/** Bad input to the plan (unknown stack, unreadable file, bad config): exit code 2. */
export class PlanInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PlanInputError";
  }
}

/** A component and what it contains, for the grouped resource listing. */
export interface PlanComponent {
  /** The component's type token ("ha-topology:aws:NodeGroup"). */
  type: string;
  /** Its logical name. */
  name: string;
  /** Cloud resources directly under it: type -> count. */
  resources: Record<string, number>;
  /** Components under it. */
  children: PlanComponent[];
}

/** Everything the plan found. */
export interface Plan {
  /** The stack planned. */
  stack: string;
  /** The stack file its config came from, as messages show it ("stacks/Pulumi.aws.yaml" or the path given). */
  stackFile: string;
  /** Always true: values the cloud computes are placeholders. */
  offline: true;
  /** The parsed topology (what was asked for). */
  topology: Topology;
  /** The stack's workloads and resources. */
  model: Model;
  /** Cloud resources (components not counted). */
  resourceCount: number;
  /** The component tree, outermost first. */
  components: PlanComponent[];
  /** The HA summary, each line with the rules that check it. */
  summary: SummaryLine[];
  /** The ha-guard verdict. */
  policy: PolicyReport;
  /** The stack outputs, with placeholder values. */
  outputs: Record<string, unknown>;
  /** What the program logged (e.g. DNS records to create). */
  logs: ProgramLog[];
  /** The registered resources, as the policy runner took them. */
  resources: StackResource[];
}

/** Options of a plan. */
export interface PlanOptions {
  /** Read the stack's config from this file instead of stacks/Pulumi.<stack>.yaml. */
  stackFile?: string;
  /** A policy config file's content (as for `--policy-pack-config`). */
  policyConfig?: PolicyConfigFile;
}

/**
 * The stack a stack file belongs to, from its name (Pulumi's convention, which `pulumi`
 * itself follows: `Pulumi.<stack>.yaml`): what `--stack-file` alone plans. The name
 * matters beyond the label: the program derives cloud-side names from it.
 */
export function stackOfFile(file: string): string {
  const stack = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file))?.[1];
  if (stack === undefined || !isStackName(stack)) {
    throw new PlanInputError(`--stack-file ${file}: the stack's name cannot be read from the file name (Pulumi.<stack>.yaml); give it with --stack <name>`);
  }
  return stack;
}

/** Reads a policy config file, with errors that name it. */
export function readPolicyConfig(file: string): PolicyConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new PlanInputError(`cannot read the policy config file ${file}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("not a JSON object");
    return parsed as PolicyConfigFile;
  } catch (e) {
    throw new PlanInputError(`the policy config file ${file} is not a JSON object: ${(e as Error).message}`);
  }
}

/** Groups registered resources under their components, by parent URN. */
function componentTree(resources: readonly RegisteredResource[]): PlanComponent[] {
  const nodes = new Map<string, PlanComponent>();
  for (const r of resources.filter((x) => !x.custom)) nodes.set(r.urn, { type: r.type, name: r.name, resources: {}, children: [] });
  const roots: PlanComponent[] = [];
  const orphans: PlanComponent = { type: "(stack)", name: "", resources: {}, children: [] };
  for (const r of resources) {
    const parent = r.parentUrn ? nodes.get(r.parentUrn) : undefined;
    if (!r.custom) {
      const node = nodes.get(r.urn)!;
      (parent ? parent.children : roots).push(node);
    } else {
      const holder = parent ?? orphans;
      holder.resources[r.type] = (holder.resources[r.type] ?? 0) + 1;
    }
  }
  return Object.keys(orphans.resources).length > 0 ? [...roots, orphans] : roots;
}

/**
 * The program's notes plus the stack file's plain-text secrets the program cannot see: it
 * gets a key whose leaves are partly encrypted as one secret (`secrets.A` encrypted,
 * `secrets.B` not), while the file shows each leaf.
 */
function withFileWarnings(logs: ProgramLog[], file: string): ProgramLog[] {
  const shown = new Set(logs.map((l) => l.message));
  const fromFile = plaintextSecretKeys(readStackFile(file))
    .map((key) => plaintextSecretWarning(key))
    .filter((message) => !shown.has(message))
    .map((message): ProgramLog => ({ severity: "warning", message }));
  return [...logs, ...fromFile];
}

/** Plans a stack file offline. Throws PlanInputError for bad input; returns the plan otherwise. */
export async function planStack(stack: string, options: PlanOptions = {}): Promise<Plan> {
  if (!isStackName(stack)) throw new PlanInputError(`"${stack}" is not a stack name (letters, digits, "-", "_", "."; starting with a letter or digit)`);
  const file = options.stackFile ?? stackFilePath(stack);
  const shown = options.stackFile ?? stackFileLabel(file);
  if (!fs.existsSync(file)) {
    const known = options.stackFile ? "" : `; stacks: ${stackNames().join(", ") || "(none)"}`;
    throw new PlanInputError(`no stack file ${shown}${known}`);
  }
  let config;
  try {
    config = loadStackConfig(file);
  } catch (e) {
    throw new PlanInputError(`cannot read ${shown}: ${(e as Error).message}`);
  }
  const run = await runWithMocks(config, { stack });
  if (run.error instanceof TopologyConfigError) throw new PlanInputError(run.error.message);
  if (run.error) throw run.error;

  // The run left the stack's config in the runtime: parse it again for the summary.
  const { topology, model } = parseStack(readRawConfig());
  const resources = stackResources(run);
  let policy: PolicyReport;
  try {
    policy = await runPolicies(resources, { config: options.policyConfig });
  } catch (e) {
    if (e instanceof PolicyConfigError) throw new PlanInputError(e.message);
    throw e;
  }
  return {
    stack,
    stackFile: shown,
    offline: true,
    topology,
    model,
    resourceCount: run.resources.filter((r) => r.custom).length,
    components: componentTree(run.resources),
    summary: haSummary(topology, resources, policy, model),
    policy,
    outputs: run.outputs ?? {},
    logs: withFileWarnings(run.logs, file),
    resources,
  };
}
