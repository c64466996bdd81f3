/**
 * Building blocks shared by the rules: a resource validation that dispatches on the
 * resource type (the same rule judges the AWS, GCP, DigitalOcean and Kubernetes form of
 * a thing), and the stack view every stack validation starts from.
 */
import type { PolicyConfigSchema, ReportViolation, ResourceValidation, ResourceValidationArgs, StackValidation, StackValidationArgs } from "@pulumi/policy";
import type { Props } from "./props";
import { StackView } from "./stackView";

/** A violation found by a stack rule: the message, and the URN of the resource it is about. */
export type Problem = [message: string, urn: string];

/** Checks one resource's properties; `args` gives config and `notApplicable`. */
export type PropsCheck = (props: Props, report: ReportViolation, args: ResourceValidationArgs) => void;

const typeTests = new WeakMap<ResourceValidation, (type: string) => boolean>();

/**
 * A resource validation that runs the check registered for the resource's type and
 * declares itself not applicable to every other type (as `validateResourceOfType` does).
 */
export function forTypes(checks: Record<string, PropsCheck>): ResourceValidation {
  const reason = `applies to ${Object.keys(checks).join(", ")}`;
  const validation: ResourceValidation = (args, report) => {
    const check = checks[args.type];
    if (!check) return args.notApplicable(reason);
    check(args.props, report, args);
  };
  typeTests.set(validation, (type) => Boolean(checks[type]));
  return validation;
}

/**
 * For a validation made by `forTypes`, which resource types it checks (it declares every
 * other type not applicable); undefined for any other validation. The in-process runner
 * skips the other types instead of calling it: the same verdict, without a throw per
 * resource and rule, which was most of the runner's time on large stacks.
 */
export function checksType(validation: ResourceValidation): ((type: string) => boolean) | undefined {
  return typeTests.get(validation);
}

/** Registers one check under several type tokens (aliased modules such as `lb`/`alb`). */
export function sameCheck(types: string | readonly string[], check: PropsCheck): Record<string, PropsCheck> {
  return Object.fromEntries((typeof types === "string" ? [types] : types).map((t) => [t, check]));
}

const views = new WeakMap<readonly object[], StackView>();

/**
 * One view per resource list: the in-process runner hands every stack rule the same list,
 * so the indexes and the node model are built once per run (the analyzer builds a list per
 * rule, which only costs the indexing again).
 */
function viewOf(resources: StackValidationArgs["resources"]): StackView {
  let view = views.get(resources);
  if (!view) views.set(resources, (view = new StackView(resources)));
  return view;
}

/**
 * A stack validation over a StackView; when the stack has none of the resources the
 * rule is about, it is reported not applicable rather than silently passing.
 */
export function overStack(
  relevant: (view: StackView) => boolean,
  reason: string,
  validate: (view: StackView, report: ReportViolation, args: StackValidationArgs) => void,
): StackValidation {
  return (args, report) => {
    const view = viewOf(args.resources);
    if (!relevant(view)) return args.notApplicable(reason);
    validate(view, report, args);
  };
}

/**
 * A rule's settings: the config the engine passed, over the defaults of the rule's schema.
 * The CLI normally fills the defaults itself; an analyzer that was never configured (an
 * older CLI, a hand-driven analyzer) passes `{}`, and a threshold must not then vanish.
 */
export function settingsOf<T extends object>(schema: PolicyConfigSchema, args: { getConfig<C extends object>(): C }): T {
  const defaults = Object.fromEntries(
    Object.entries(schema.properties).flatMap(([key, property]) => (property.default === undefined ? [] : [[key, property.default]])),
  );
  return { ...defaults, ...args.getConfig<Partial<T>>() } as T;
}
