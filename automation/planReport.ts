/**
 * The plan as text (for people) and as JSON (for tools): the same content, grouped
 * resources, the HA summary, the policy report per rule, the program's notes and outputs.
 */
import type { EnforcementLevel } from "@pulumi/policy";
import type { Violation } from "../policies/runner";
import type { Plan, PlanComponent } from "./plan";
import { checksText, commandText, countText, jobText, topologyView, usedByText, usesText, type TopologyView } from "./topologyView";

/** One rule's line in the policy report. */
export interface RuleResult {
  /** The rule's name. */
  rule: string;
  /** Its effective level. */
  level: EnforcementLevel;
  /** What it found. */
  status: "pass" | "violation" | "not applicable" | "disabled";
  /** Why it did not apply, when it did not. */
  reason?: string;
  /** Its violations. */
  violations: Violation[];
}

/** The per-rule view of a plan's policy report. */
export function ruleResults(plan: Plan): RuleResult[] {
  return Object.entries(plan.policy.levels).map(([rule, level]) => {
    const violations = plan.policy.violations.filter((v) => v.policy === rule);
    const notApplicable = plan.policy.notApplicable.find((n) => n.policy === rule);
    const status: RuleResult["status"] =
      level === "disabled" ? "disabled" : violations.length > 0 ? "violation" : notApplicable ? "not applicable" : "pass";
    return { rule, level, status, ...(status === "not applicable" ? { reason: notApplicable?.reason } : {}), violations };
  });
}

/** The plan as a JSON-ready object. */
export function planJson(plan: Plan) {
  return {
    stack: plan.stack,
    stackFile: plan.stackFile,
    offline: plan.offline,
    cloud: plan.topology.cloud,
    domain: plan.topology.domain,
    // Sites only where the stack has one: every other plan's JSON is as it was.
    ...(({ workloads, sites, resources, loadBalancers }) => ({ workloads, ...(sites.length > 0 && { sites }), resources, loadBalancers }))(topologyView(plan.model)),
    resourceCount: plan.resourceCount,
    components: plan.components,
    summary: plan.summary,
    policy: { pack: "ha-guard", passed: plan.policy.passed, rules: ruleResults(plan) },
    notes: plan.logs,
    outputs: plan.outputs,
  };
}

function countAll(c: PlanComponent): number {
  return Object.values(c.resources).reduce((a, b) => a + b, 0) + c.children.reduce((a, child) => a + countAll(child), 0);
}

function componentLines(c: PlanComponent, depth: number): string[] {
  const pad = "  ".repeat(depth);
  const types = Object.entries(c.resources)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, n]) => `${pad}  ${type}${n > 1 ? ` × ${n}` : ""}`);
  return [`${pad}${c.type} ${c.name} (${countAll(c)})`, ...types, ...c.children.flatMap((child) => componentLines(child, depth + 1))];
}

function outputText(value: unknown): string {
  if (value === undefined || value === null) return "(none)";
  if (Array.isArray(value)) return value.length === 0 ? "(none)" : value.map((v) => `\n    - ${outputText(v)}`).join("");
  // A map of entries (the `workloads` and `resources` outputs): one line per entry.
  if (typeof value === "object" && Object.keys(value).length > 0 && Object.values(value).every((v) => typeof v === "object" && v !== null && !Array.isArray(v))) {
    return Object.entries(value).map(([k, v]) => `\n    ${k}: ${JSON.stringify(v)}`).join("");
  }
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * The workloads and resources, each with what the plan promises of it: a section of its
 * own for a stack that declares the maps (a single-service stack's plan is the summary's
 * lines, as it always was).
 */
export function topologyLines(view: TopologyView): string[] {
  const width = Math.max(...[...view.workloads, ...view.sites, ...view.resources].map((e) => e.name.length));
  const kindWidth = Math.max(...[...view.workloads, ...view.sites.map(() => ({ kind: "site" })), ...view.resources].map((e) => e.kind.length));
  const head = (name: string, kind: string, text: string) => `  ${name.padEnd(width)}  ${kind.padEnd(kindWidth)}  ${text}`;
  const more = (text: string) => `  ${"".padEnd(width)}  ${"".padEnd(kindWidth)}  ${text}`;
  const lines = [`Workloads (${view.workloads.length})`];
  for (const w of view.workloads) {
    lines.push(head(w.name, w.kind, w.entry));
    lines.push(more([countText(w), w.image, ...(w.port !== undefined ? [`port ${w.port}`] : []), ...(w.command ? [`command ${commandText(w.command)}`] : [])].join(" · ")));
    const checks = checksText(w);
    lines.push(more(checks ?? (w.job ? jobText(w.job, view.cloud) : `no health check (nothing connects to a worker); ${w.stopTimeoutSeconds} s to stop after SIGTERM`)));
    lines.push(more(usesText(w)));
  }
  // Sites are listed only where a stack has one (issue 17): every other plan reads as before.
  if (view.sites.length > 0) lines.push(`Static sites (${view.sites.length})`);
  for (const s of view.sites) {
    lines.push(head(s.name, "site", s.entry));
    lines.push(more(`files from ${s.source}${s.spa ? " · single-page app: a path with no file gets index.html" : " · a path with no file is a 404"}`));
    lines.push(more(`Cache-Control: HTML "${s.cacheControl.html}" · hashed "${s.cacheControl.hashed}" · other "${s.cacheControl.asset}"`));
    lines.push(more(s.corsOrigins.length > 0 ? `CORS: GET and HEAD from ${s.corsOrigins.join(", ")}` : "no CORS: same-origin only"));
  }
  lines.push(`Named resources (${view.resources.length})`);
  if (view.resources.length === 0) lines.push("  none: no database, bucket, cache or secret is created");
  for (const r of view.resources) {
    lines.push(head(r.name, r.kind, `${r.what}: ${r.shape}`));
    lines.push(more(usedByText(r)));
  }
  if (view.loadBalancers.length > 0) {
    lines.push(`Load balancers (${view.loadBalancers.length})`);
    for (const lb of view.loadBalancers) lines.push(`  ${lb.routes.map((r) => `${r.host}${r.path} → ${r.workload}`).join(" · ")}`);
  }
  return lines;
}

/** The plan as text for a terminal or a pull-request comment. */
export function formatPlan(plan: Plan): string {
  const view = topologyView(plan.model);
  const rules = ruleResults(plan);
  const mandatory = plan.policy.violations.filter((v) => v.level === "mandatory").length;
  const advisory = plan.policy.violations.length - mandatory;
  const width = Math.max(...rules.map((r) => r.rule.length));
  const topicWidth = Math.max(...plan.summary.map((s) => s.topic.length));
  const mark = { pass: "ok  ", fail: "FAIL", "n/a": "--  ", unchecked: "??  ", gap: "GAP " } as const;
  const lines = [
    `Offline plan of stack "${plan.stack}" from ${plan.stackFile} (cloud ${plan.topology.cloud}, ${plan.topology.domain})`,
    "No cloud account, network or Pulumi CLI was used: the program ran under mocks, so IDs, ARNs, zones and addresses are placeholders.",
    "",
    ...(view.usesMaps ? [...topologyLines(view), ""] : []),
    `Resources: ${plan.resourceCount}`,
    ...plan.components.flatMap((c) => componentLines(c, 1)),
    "",
    "High availability",
    ...plan.summary.map((s) => `  ${mark[s.status]} ${s.topic.padEnd(topicWidth)}  ${s.text}${s.rules.length ? `  [${s.rules.join(", ")}]` : ""}`),
    "",
    `Policy report (ha-guard): ${mandatory} mandatory, ${advisory} advisory violation(s) in ${rules.length} rules`,
    ...rules.flatMap((r) => [
      `  ${{ pass: "PASS", violation: "FAIL", "not applicable": "N/A ", disabled: "OFF " }[r.status]} ${r.rule.padEnd(width)}  ${r.level}${r.reason ? `  (${r.reason})` : ""}`,
      ...r.violations.map((v) => `         ${v.level}: ${v.resourceName ?? "stack"}: ${v.message}`),
    ]),
  ];
  if (plan.logs.length > 0) lines.push("", "Notes from the program", ...plan.logs.map((l) => `  ${l.severity}: ${l.message}`));
  lines.push("", "Outputs (placeholders)", ...Object.entries(plan.outputs).map(([k, v]) => `  ${k}: ${outputText(v)}`));
  lines.push("", plan.policy.passed ? "Result: no mandatory violation." : `Result: ${mandatory} mandatory violation(s): this stack is not highly available as configured.`);
  return lines.join("\n") + "\n";
}
