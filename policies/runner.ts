/**
 * Runs the pack's rules in-process, without the Pulumi CLI or a cloud account: the tests
 * use it on resources a program registered under mocks, and so does the offline plan.
 *
 * It hands each rule the same argument objects the policy SDK's analyzer builds
 * (resource form and stack form, `getConfig`, `notApplicable`, `isType`/`asType`,
 * `stackTags`), fills config defaults from each rule's `configSchema` and validates the
 * config against it as the CLI does, and resolves enforcement levels like the CLI:
 * a rule's own entry, then `all`, then the rule's default, then the pack's.
 */
import type {
  EnforcementLevel,
  Policies,
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { Resource, Unwrap } from "@pulumi/pulumi";
import type { ResolvedResource } from "@pulumi/pulumi/queryable";
import * as z from "zod";
import { checksType } from "./dispatch";
import { policies as haGuard } from "./policies";

/** One resource of a stack, as a program registered it. */
export interface StackResource {
  /** Type token ("aws:autoscaling/group:Group"). */
  type: string;
  /** Logical name. */
  name: string;
  /** URN. */
  urn: string;
  /** Inputs: what resource rules see. */
  inputs: Record<string, unknown>;
  /** Outputs: what stack rules see (the engine passes outputs there); inputs when absent. */
  outputs?: Record<string, unknown>;
  /** The parent's URN. */
  parent?: string;
  /** URNs this resource depends on. */
  dependencies?: string[];
  /** Per input property, the URNs its value came from. */
  propertyDependencies?: Record<string, string[]>;
  /** The `protect` resource option. */
  protect?: boolean;
  /** The `ignoreChanges` resource option. */
  ignoreChanges?: string[];
  /** The `deleteBeforeReplace` resource option. */
  deleteBeforeReplace?: boolean;
  /** The explicit provider, if any. */
  provider?: PolicyProviderResource;
}

/** The policy config file's shape (`--policy-pack-config f.json`): per rule, a level or settings; `all` sets every rule's level. */
export type PolicyConfigFile = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

/** Options of a run. */
export interface RunOptions {
  /** The rules to run (default: the ha-guard pack). */
  policies?: Policies;
  /** The policy config, as in the file passed with `--policy-pack-config`. */
  config?: PolicyConfigFile;
  /** The pack's own default level (PolicyPackArgs.enforcementLevel; the SDK's default is advisory). */
  packEnforcementLevel?: EnforcementLevel;
  /** The stack's tags. */
  stackTags?: Record<string, string>;
}

/** One reported violation. */
export interface Violation {
  /** The rule's name. */
  policy: string;
  /** The effective level ("remediate" is reported as mandatory, as the analyzer does). */
  level: "advisory" | "mandatory";
  /** What is wrong and what to do (the rule's message, without its description). */
  message: string;
  /** The resource at fault, when the rule named one. */
  urn?: string;
  /** That resource's logical name. */
  resourceName?: string;
  /** That resource's type. */
  resourceType?: string;
}

/** A rule (for one resource, or for the stack) that declared itself not applicable. */
export interface NotApplicable {
  /** The rule's name. */
  policy: string;
  /** The resource, for resource rules. */
  urn?: string;
  /** Why. */
  reason?: string;
}

/** The outcome of a run. */
export interface PolicyReport {
  /** Every violation, in rule order. */
  violations: Violation[];
  /** Rules that judged nothing: stack rules that said so, resource rules that no resource applied to. */
  notApplicable: NotApplicable[];
  /** The effective level of each rule. */
  levels: Record<string, EnforcementLevel>;
  /** True when no mandatory violation was found (what makes `pulumi up` refuse). */
  passed: boolean;
}

/** Bad policy config: an unknown rule, a bad level, or settings that break a rule's schema. */
export class PolicyConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid policy config:\n  ${problems.join("\n  ")}`);
    this.name = "PolicyConfigError";
  }
}

const levels: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** A rule's effective level and config. */
export interface ResolvedPolicy {
  /** Effective enforcement level. */
  level: EnforcementLevel;
  /** Settings with schema defaults filled in. */
  config: Record<string, unknown>;
}

const settingsSchemas = new WeakMap<Policies[number], z.ZodType>();

/** A rule's settings schema, compiled once per rule (compiling costs more than judging a small stack). */
function settingsSchema(policy: Policies[number]): z.ZodType {
  let schema = settingsSchemas.get(policy);
  if (!schema) {
    // The SDK's and zod's JSON Schema typings differ only in optional draft-07 details.
    const jsonSchema = { type: "object", additionalProperties: false, properties: {}, ...policy.configSchema };
    settingsSchemas.set(policy, (schema = z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0])));
  }
  return schema;
}

/** Resolves levels and settings for every rule, validating the config like the CLI does. */
export function resolvePolicyConfig(policies: Policies, config: PolicyConfigFile = {}, packLevel: EnforcementLevel = "advisory"): Map<string, ResolvedPolicy> {
  const problems: string[] = [];
  const known = new Set(policies.map((p) => p.name));
  for (const key of Object.keys(config)) {
    if (key !== "all" && !known.has(key)) problems.push(`${key}: no such rule in the pack (rules: ${[...known].join(", ")})`);
  }
  const levelOf = (key: string, entry: PolicyConfigFile[string] | undefined): EnforcementLevel | undefined => {
    const level = typeof entry === "string" ? entry : entry?.enforcementLevel;
    if (level !== undefined && !levels.includes(level)) {
      problems.push(`${key}: enforcement level "${String(level)}" is not one of ${levels.join(", ")}`);
      return undefined;
    }
    return level;
  };
  const all = levelOf("all", config.all);
  const resolved = new Map<string, ResolvedPolicy>();
  for (const policy of policies) {
    const entry = config[policy.name];
    const level = levelOf(policy.name, entry) ?? all ?? policy.enforcementLevel ?? packLevel;
    const { enforcementLevel: _, ...settings } = typeof entry === "object" ? entry : {};
    const schema = settingsSchema(policy);
    const parsed = schema.safeParse(settings);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${policy.name}${issue.path.length ? `.${issue.path.join(".")}` : ""}: ${issue.message}`);
      continue;
    }
    resolved.set(policy.name, { level, config: parsed.data as Record<string, unknown> });
  }
  if (problems.length > 0) throw new PolicyConfigError(problems);
  return resolved;
}

/**
 * What `notApplicable()` throws, as in the SDK's analyzer. Not an Error: most resources
 * are not applicable to most resource rules, and capturing a stack trace for each one
 * was the runner's largest cost on big stacks.
 */
class NotApplicableSignal {
  constructor(readonly reason?: string) {}
}

function notApplicable(reason?: string): never {
  throw new NotApplicableSignal(reason);
}

/** The SDK's type test: compare a class's `__pulumiType` (or ask its `isInstance`). */
function isTypeOf(type: string, resourceClass: unknown): boolean {
  const token = (resourceClass as { __pulumiType?: string }).__pulumiType;
  if (token !== undefined) return token === type;
  const isInstance = (resourceClass as { isInstance?: (o: unknown) => boolean }).isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

function optionsOf(r: StackResource): PolicyResourceOptions {
  return {
    protect: r.protect ?? false,
    ignoreChanges: r.ignoreChanges ?? [],
    deleteBeforeReplace: r.deleteBeforeReplace,
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    parent: r.parent,
  };
}

/** The stack form of the resources, with parents and dependencies linked as objects. */
function toPolicyResources(resources: readonly StackResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const converted = resources.map((r) => {
    const props = (r.outputs ?? r.inputs) as Record<string, any>;
    const resource: PolicyResource = {
      type: r.type,
      name: r.name,
      urn: r.urn,
      props,
      opts: optionsOf(r),
      provider: r.provider,
      dependencies: [],
      propertyDependencies: {},
      isType: (resourceClass) => isTypeOf(r.type, resourceClass),
      asType: <T extends Resource>(resourceClass: new (...rest: any[]) => T) =>
        (isTypeOf(r.type, resourceClass) ? props : undefined) as ResolvedResource<T> | undefined,
    };
    byUrn.set(r.urn, resource);
    return resource;
  });
  // URNs not in the stack are dropped. Plain loops: this runs for every dependency of every resource.
  const resolve = (urns: readonly string[] = []) => {
    const found: PolicyResource[] = [];
    for (const urn of urns) {
      const resource = byUrn.get(urn);
      if (resource) found.push(resource);
    }
    return found;
  };
  resources.forEach((r, i) => {
    converted[i].parent = r.parent ? byUrn.get(r.parent) : undefined;
    converted[i].dependencies = resolve(r.dependencies);
    const propertyDependencies: Record<string, PolicyResource[]> = {};
    for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) propertyDependencies[k] = resolve(urns);
    converted[i].propertyDependencies = propertyDependencies;
  });
  return converted;
}

function isStackPolicy(p: Policies[number]): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}

/**
 * Evaluates the rules on a stack's resources: every resource rule on every resource,
 * then every stack rule on the whole stack.
 */
export async function runPolicies(resources: readonly StackResource[], options: RunOptions = {}): Promise<PolicyReport> {
  const rules = options.policies ?? haGuard;
  const resolved = resolvePolicyConfig(rules, options.config, options.packEnforcementLevel);
  const stackTags: ReadonlyMap<string, string> = new Map(Object.entries(options.stackTags ?? {}));
  const stackResources = toPolicyResources(resources);
  const report: PolicyReport = { violations: [], notApplicable: [], levels: {}, passed: true };
  // The first resource with each URN, as a scan would find it: a violation names its resource by URN.
  const byUrn = new Map<string, StackResource>();
  for (const r of resources) if (!byUrn.has(r.urn)) byUrn.set(r.urn, r);

  for (const rule of rules) {
    const { level, config } = resolved.get(rule.name)!;
    report.levels[rule.name] = level;
    if (level === "disabled") continue;
    const reported: Violation["level"] = level === "advisory" ? "advisory" : "mandatory";
    const reporter = (defaultUrn?: string): ReportViolation => (message, urn) => {
      const at = urn ?? defaultUrn;
      const resource = at ? byUrn.get(at) : undefined;
      report.violations.push({ policy: rule.name, level: reported, message, urn: at, resourceName: resource?.name, resourceType: resource?.type });
    };
    const getConfig = <T extends object>() => ({ ...config }) as T;

    if (isStackPolicy(rule)) {
      try {
        await rule.validateStack({ resources: stackResources, stackTags, getConfig, notApplicable }, reporter());
      } catch (e) {
        if (!(e instanceof NotApplicableSignal)) throw e;
        report.notApplicable.push({ policy: rule.name, reason: e.reason });
      }
      continue;
    }
    const validations = [(rule as ResourceValidationPolicy).validateResource ?? []].flat().map((validate) => ({ validate, checks: checksType(validate) }));
    let applied = false;
    for (const r of resources) {
      // A validation that says which types it checks is not called on the others: it would declare itself not applicable.
      const applicable = validations.filter(({ checks }) => checks === undefined || checks(r.type));
      if (applicable.length === 0) continue;
      const args: ResourceValidationArgs = {
        type: r.type,
        props: r.inputs as Record<string, any>,
        urn: r.urn,
        name: r.name,
        opts: optionsOf(r),
        provider: r.provider,
        stackTags,
        isType: (resourceClass) => isTypeOf(r.type, resourceClass),
        asType: <T extends Resource, TArgs>(resourceClass: new (name: string, args: TArgs, ...rest: any[]) => T) =>
          (isTypeOf(r.type, resourceClass) ? r.inputs : undefined) as Unwrap<NonNullable<TArgs>> | undefined,
        getConfig,
        notApplicable,
      };
      for (const { validate } of applicable) {
        try {
          await validate(args, reporter(r.urn));
          applied = true;
        } catch (e) {
          if (!(e instanceof NotApplicableSignal)) throw e;
        }
      }
    }
    if (!applied) report.notApplicable.push({ policy: rule.name, reason: "no resource in the stack is of a type it checks" });
  }
  report.passed = !report.violations.some((v) => v.level === "mandatory");
  return report;
}
