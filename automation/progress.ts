/**
 * Turns the engine's event stream (`EngineEvent`, what the Automation API's `onEvent`
 * delivers) into progress a person can follow: how many resources each kind of change
 * has planned, started, finished and failed, which resource is being worked on, the
 * diagnostics, and the policy violations.
 *
 * The core is a pure reducer, `reduceProgress(state, event)`, so it can be tested with
 * synthetic events and replayed from a saved event log; the renderers only read state.
 */
import type { EngineEvent, OpMap, OpType } from "@pulumi/pulumi/automation";

/** The stack operations that report progress. */
export type OperationName = "preview" | "up" | "destroy" | "refresh";

/** The kinds of change progress is counted by (the engine's many step types folded into these). */
export const changeKinds = ["create", "update", "replace", "delete", "same", "refresh"] as const;

/** One kind of change. */
export type ChangeKind = (typeof changeKinds)[number];

/**
 * The engine's step types folded into the kinds people think in: a replacement is three
 * steps (create-replacement, replace, delete-replaced) on one resource, and reads and
 * imports are, for progress, creations or no-ops.
 */
const kindOfOp: Record<OpType, ChangeKind> = {
  create: "create",
  import: "create",
  update: "update",
  replace: "replace",
  "create-replacement": "replace",
  "delete-replaced": "replace",
  "discard-replaced": "replace",
  "read-replacement": "replace",
  "import-replacement": "replace",
  delete: "delete",
  discard: "delete",
  "remove-pending-replace": "delete",
  same: "same",
  read: "same",
  refresh: "refresh",
};

/** Where one resource's step stands. */
export type StepStatus = "planned" | "started" | "done" | "failed";

/** One resource the engine announced a step for. */
export interface ResourceProgress {
  /** The resource's URN. */
  urn: string;
  /** Its type token ("aws:ec2/subnet:Subnet"). */
  type: string;
  /** Its logical name (the last part of the URN). */
  name: string;
  /** The kind of change; a replacement stays "replace" through all of its steps. */
  kind: ChangeKind;
  /** Where its step stands. */
  status: StepStatus;
  /** True when the step was only planned (preview), not carried out. */
  planning: boolean;
}

/** Counts for one kind of change (or for all of them). */
export interface StepCounts {
  /** Resources with a planned step (preview only: nothing is carried out). */
  planned: number;
  /** Resources whose step was carried out or is being carried out (up, destroy, refresh). */
  started: number;
  /** Resources whose step finished (planned or carried out). */
  done: number;
  /** Resources whose step failed. */
  failed: number;
}

/** A diagnostic the engine reported (provider errors, program logs, warnings). */
export interface ProgressDiagnostic {
  /** How serious it is; `info#err` is program output written to stderr. */
  severity: "info" | "info#err" | "warning" | "error";
  /** The text, without colour codes or a trailing newline. */
  message: string;
  /** The resource it concerns, when there is one. */
  urn?: string;
}

/** A policy violation reported by a policy pack (`--policy-pack`). */
export interface PolicyViolation {
  /** The rule ("min-nodes"). */
  policyName: string;
  /** The pack ("ha-guard"). */
  policyPackName: string;
  /** `mandatory` violations fail the operation; `warning` ones only report. */
  enforcementLevel: "warning" | "mandatory";
  /** What is wrong, as the rule words it. */
  message: string;
  /** The resource it concerns (absent for stack-wide rules). */
  resourceUrn?: string;
}

/** The engine's closing summary of an operation. */
export interface ProgressSummary {
  /** Resources per step type, as the engine counted them ("create": 3, "same": 55). */
  resourceChanges: OpMap;
  /** How long the operation took. */
  durationSeconds: number;
  /** True when the engine suspects resources are in an unknown state (an interrupted operation). */
  maybeCorrupt: boolean;
  /** The policy packs that ran: name -> version. */
  policyPacks: Record<string, string>;
}

/** Everything known about an operation's progress so far. */
export interface ProgressState {
  /** The operation being reported on. */
  operation: OperationName;
  /** True once the engine has started (the prelude event arrived). */
  started: boolean;
  /** True once the engine said it was finished or cancelled. */
  ended: boolean;
  /** Every resource the engine announced a step for, by URN, in the order their steps were last reported. */
  resources: Record<string, ResourceProgress>;
  /** Counts per kind of change. */
  counts: Record<ChangeKind, StepCounts>;
  /** Counts over all kinds. */
  totals: StepCounts;
  /** The URN of the resource most recently started and not yet finished, if any. */
  current?: string;
  /** Diagnostics of severity info, warning and error, in order (ephemeral ones are left out). */
  diagnostics: ProgressDiagnostic[];
  /** Policy violations, in order. */
  policyViolations: PolicyViolation[];
  /** The engine's summary, once the operation has finished. */
  summary?: ProgressSummary;
}

/** What `onProgress` receives on every engine event. */
export interface ProgressUpdate {
  /** The state after the event. */
  state: ProgressState;
  /** The event that produced it. */
  event: EngineEvent;
}

const zeroCounts = (): StepCounts => ({ planned: 0, started: 0, done: 0, failed: 0 });

/** The state before any event. */
export function initialProgress(operation: OperationName): ProgressState {
  return {
    operation,
    started: false,
    ended: false,
    resources: {},
    counts: Object.fromEntries(changeKinds.map((k) => [k, zeroCounts()])) as Record<ChangeKind, StepCounts>,
    totals: zeroCounts(),
    diagnostics: [],
    policyViolations: [],
  };
}

/** The logical name in a URN (`urn:pulumi:stack::project::type$type::name`). */
export function urnName(urn: string): string {
  const at = urn.lastIndexOf("::");
  return at < 0 ? urn : urn.slice(at + 2);
}

/**
 * Removes the engine's colour markup (`<{%fg 1%}>`) and ANSI escapes: event messages
 * carry them whatever colour mode was asked for, and they would garble a log file.
 */
export function plainText(message: string): string {
  // eslint-disable-next-line no-control-regex
  return message.replace(/<\{%[^%]*%\}>/g, "").replace(/\u001b\[[0-9;]*m/g, "").replace(/\s+$/, "");
}

/** Recomputes the counts from the resources (cheap: stacks have hundreds of resources, not millions). */
function withCounts(state: ProgressState): ProgressState {
  const counts = initialProgress(state.operation).counts;
  const totals = zeroCounts();
  for (const r of Object.values(state.resources)) {
    for (const c of [counts[r.kind], totals]) {
      if (r.planning) c.planned++;
      else c.started++;
      if (r.status === "done") c.done++;
      if (r.status === "failed") c.failed++;
    }
  }
  return { ...state, counts, totals };
}

/** The most recently started resource that has not finished (the one to show as current). */
function currentOf(resources: Record<string, ResourceProgress>): string | undefined {
  const open = Object.values(resources).filter((r) => r.status === "started" || r.status === "planned");
  return open.length ? open[open.length - 1].urn : undefined;
}

type StepMetadata = NonNullable<EngineEvent["resourcePreEvent"]>["metadata"];

/** Records a step's new status for its resource (a replacement keeps the kind "replace"). */
function step(state: ProgressState, metadata: StepMetadata, status: StepStatus, planning: boolean): ProgressState {
  const previous = state.resources[metadata.urn];
  const kind = previous?.kind === "replace" ? "replace" : kindOfOp[metadata.op] ?? "same";
  // A failure is final for this operation, whatever later steps of a replacement say.
  const settled: StepStatus = previous?.status === "failed" ? "failed" : status;
  const resource: ResourceProgress = {
    urn: metadata.urn,
    type: metadata.type,
    name: urnName(metadata.urn),
    kind,
    status: settled,
    planning: previous?.planning === false ? false : planning,
  };
  // Re-inserted at the end, so the order is "last reported" and the current resource is the latest one.
  const resources = { ...state.resources };
  delete resources[metadata.urn];
  resources[metadata.urn] = resource;
  return withCounts({ ...state, resources, current: currentOf(resources) });
}

/** Adds a diagnostic; debug output and ephemeral status lines are not kept. */
function diagnostic(state: ProgressState, event: NonNullable<EngineEvent["diagnosticEvent"]>): ProgressState {
  if (event.ephemeral || !["info", "info#err", "warning", "error"].includes(event.severity)) return state;
  const message = plainText(event.message);
  if (!message) return state;
  const entry: ProgressDiagnostic = { severity: event.severity, message, ...(event.urn ? { urn: event.urn } : {}) };
  return { ...state, diagnostics: [...state.diagnostics, entry] };
}

/** Adds a policy violation. */
function policy(state: ProgressState, event: NonNullable<EngineEvent["policyEvent"]>): ProgressState {
  const violation: PolicyViolation = {
    policyName: event.policyName,
    policyPackName: event.policyPackName,
    enforcementLevel: event.enforcementLevel,
    message: plainText(event.message),
    ...(event.resourceUrn ? { resourceUrn: event.resourceUrn } : {}),
  };
  return { ...state, policyViolations: [...state.policyViolations, violation] };
}

/**
 * The reducer: the state after one more engine event. Pure (the input state is never
 * changed), so callers can keep every intermediate state.
 */
export function reduceProgress(state: ProgressState, event: EngineEvent): ProgressState {
  if (event.preludeEvent) return { ...state, started: true };
  if (event.resourcePreEvent) {
    const planning = event.resourcePreEvent.planning === true;
    return step(state, event.resourcePreEvent.metadata, planning ? "planned" : "started", planning);
  }
  if (event.resOutputsEvent) return step(state, event.resOutputsEvent.metadata, "done", event.resOutputsEvent.planning === true);
  if (event.resOpFailedEvent) return step(state, event.resOpFailedEvent.metadata, "failed", false);
  if (event.diagnosticEvent) return diagnostic(state, event.diagnosticEvent);
  if (event.policyEvent) return policy(state, event.policyEvent);
  if (event.summaryEvent) {
    const { resourceChanges, durationSeconds, maybeCorrupt, policyPacks } = event.summaryEvent;
    return { ...state, summary: { resourceChanges: resourceChanges ?? {}, durationSeconds, maybeCorrupt, policyPacks: policyPacks ?? {} } };
  }
  if (event.cancelEvent) return { ...state, ended: true, current: undefined };
  return state;
}

/** Progressive verbs for the current resource, per kind of change. */
const doing: Record<ChangeKind, string> = {
  create: "creating",
  update: "updating",
  replace: "replacing",
  delete: "deleting",
  same: "checking",
  refresh: "refreshing",
};

/** Past-tense words for the summary. */
const did: Record<ChangeKind, [planned: string, done: string]> = {
  create: ["to create", "created"],
  update: ["to update", "updated"],
  replace: ["to replace", "replaced"],
  delete: ["to delete", "deleted"],
  same: ["unchanged", "unchanged"],
  refresh: ["to refresh", "refreshed"],
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The warning, error and policy part of a line ("2 warnings · 1 policy violation"), if any. */
function findings(state: ProgressState): string[] {
  const warnings = state.diagnostics.filter((d) => d.severity === "warning").length;
  const errors = state.diagnostics.filter((d) => d.severity === "error").length;
  const mandatory = state.policyViolations.filter((v) => v.enforcementLevel === "mandatory").length;
  const parts: string[] = [];
  if (errors) parts.push(plural(errors, "error"));
  if (warnings) parts.push(plural(warnings, "warning"));
  if (state.policyViolations.length) {
    parts.push(`${plural(state.policyViolations.length, "policy violation")}${mandatory ? ` (${mandatory} mandatory)` : ""}`);
  }
  return parts;
}

/**
 * One line of progress for a terminal, e.g.
 * `up: 12/58 done · creating aws:ec2/subnet:Subnet web-private-0 · 0 failed`.
 * The total is the number of resources announced so far: `up` runs without a preview,
 * so the engine learns of resources as the program registers them.
 */
export function renderProgressLine(state: ProgressState): string {
  const { totals } = state;
  const known = Object.keys(state.resources).length;
  const current = state.current ? state.resources[state.current] : undefined;
  const activity = !state.started
    ? "starting"
    : current
      ? `${current.planning ? `planning (${did[current.kind][0]})` : doing[current.kind]} ${current.type} ${current.name}`
      : state.ended || state.summary
        ? "finished"
        : "waiting for the program";
  return [`${state.operation}: ${totals.done}/${known} done`, activity, `${totals.failed} failed`, ...findings(state)].join(" · ");
}

/** "3 created, 55 unchanged" from the engine's summary, or from the counts when there is none. */
function changeList(state: ProgressState): string {
  const preview = state.operation === "preview";
  const byKind: Partial<Record<ChangeKind, number>> = {};
  if (state.summary) {
    for (const [op, n] of Object.entries(state.summary.resourceChanges)) {
      const kind = kindOfOp[op as OpType] ?? "same";
      byKind[kind] = (byKind[kind] ?? 0) + (n ?? 0);
    }
  } else {
    for (const kind of changeKinds) if (state.counts[kind].done) byKind[kind] = state.counts[kind].done;
  }
  const parts = changeKinds.filter((k) => byKind[k]).map((k) => `${byKind[k]} ${did[k][preview ? 0 : 1]}`);
  return parts.length ? parts.join(", ") : "no changes";
}

/**
 * The closing summary line, e.g.
 * `up finished in 312 s: 3 created, 1 updated, 54 unchanged · 0 failed · 1 warning`.
 */
export function renderSummary(state: ProgressState): string {
  const duration = state.summary ? ` in ${Math.round(state.summary.durationSeconds)} s` : "";
  const head = `${state.operation} finished${duration}: ${changeList(state)}`;
  const corrupt = state.summary?.maybeCorrupt ? ["some resources may be in an unknown state: run refresh"] : [];
  return [head, `${state.totals.failed} failed`, ...findings(state), ...corrupt].join(" · ");
}
