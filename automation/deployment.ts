/**
 * Automation API embedding: preview, up, destroy, refresh, read the outputs and the
 * history of an ha-topology stack, and roll its images back, from TypeScript, running
 * the same program as `index.ts` (`runProgram`) as an inline program. The Pulumi CLI
 * still does the work (the Automation API drives it), so every operation first checks
 * that `pulumi` exists.
 *
 * Defaults work without Pulumi Cloud: state in a self-managed local backend
 * (`file://~/.ha-topology/state`) and secrets encrypted with a passphrase. Everything
 * is overridable.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CommandError, ConcurrentUpdateError, StackNotFoundError as SdkStackNotFoundError, type EngineEvent, type OpMap, type OutputMap, type Stack } from "@pulumi/pulumi/automation";
import { initialProgress, reduceProgress, type OperationName, type PolicyViolation, type ProgressDiagnostic, type ProgressState, type ProgressUpdate } from "./progress";
import { DeploymentError, DeploymentConfigError, StackLockedError, OperationCancelledError, OperationFailedError, type ErrorOperation } from "./deploymentErrors";
import { readHistory, rollbackPlan, type DeployedVersion, type RollbackPlan } from "./rollback";
import { configImages } from "./workloadImages";
import { checkStackName, engineConfig, topologyConfigMap, topologyWarnings, validateTopologyConfig, type TopologySource } from "./deploymentTopology";
import { missingCrdHint } from "../components/platforms/kubernetes/prerequisites";
import { findPulumi, openStack, replaceConfig, installPlugins, resolveWorkspace, type OpenMode, type WorkspaceOptions } from "./deploymentWorkspace";

export {
  DeploymentError,
  DeploymentConfigError,
  InvalidTopologyError,
  PulumiNotFoundError,
  RollbackRefusedError,
  StackLockedError,
  OperationCancelledError,
  OperationFailedError,
} from "./deploymentErrors";
export {
  secretsKey,
  topologyConfigMap,
  topologyWarnings,
  engineConfig,
  validateTopologyConfig,
  inlineProgram,
  inlineProgramWith,
  type TopologyConfig,
  type ProviderConfigValue,
  type StackFileTopology,
  type InlineTopology,
  type TopologySource,
} from "./deploymentTopology";
export { deployedVersions, readHistory, rollbackPlan, type DeployedVersion, type ImageChange, type RollbackPlan } from "./rollback";
export { configImages, withImages, type WorkloadImages } from "./workloadImages";
export { fileBackendDir, findPulumi, minimumPulumiVersion, resolveWorkspace, type ResolvedWorkspace, type WorkspaceOptions } from "./deploymentWorkspace";

/** Options of every operation on a topology. */
export interface DeploymentOptions extends WorkspaceOptions {
  /** What to deploy. */
  topology: TopologySource;
  /** Called on every engine event with the progress so far; must return quickly. */
  onProgress?: (update: ProgressUpdate) => void;
  /** Cancels the operation: the CLI is interrupted and cancels cleanly; the call throws OperationCancelledError. */
  signal?: AbortSignal;
  /** Called with each warning about the input (a secret in plain text in the stack file) before the CLI starts. */
  onWarning?: (message: string) => void;
}

/** Policy packs to run (preview and up). */
export interface PolicyOptions {
  /** Policy pack directories (e.g. `policies/`, the `ha-guard` pack), passed as `--policy-pack`. */
  policyPacks?: string[];
  /** Policy config JSON files, passed as `--policy-pack-config`. */
  policyPackConfigs?: string[];
}

function checkPolicyPaths(policy: PolicyOptions): { policyPacks?: string[]; policyPackConfigs?: string[] } {
  const resolveAll = (paths: string[] | undefined, what: string) =>
    paths?.map((p) => {
      const full = path.resolve(p);
      if (!fs.existsSync(full)) throw new DeploymentConfigError(`${what} not found: ${p}`);
      return full;
    });
  return { policyPacks: resolveAll(policy.policyPacks, "Policy pack directory"), policyPackConfigs: resolveAll(policy.policyPackConfigs, "Policy pack config file") };
}

/** Options of `up`. */
export interface UpOptions extends DeploymentOptions, PolicyOptions {
  /** Return secret outputs in plain text instead of `[secret]`. */
  showSecrets?: boolean;
}

/** Options of `outputs` (only the stack name of the topology matters: nothing is run). */
export interface OutputsOptions extends WorkspaceOptions {
  /** The stack. */
  stack: string;
  /** The stack's name in the backend, when it differs from `stack`. */
  stackName?: string;
  /** Return secret outputs in plain text instead of `[secret]`. */
  showSecrets?: boolean;
}

/** A stack's outputs as plain values. */
export interface StackOutputs {
  /** Output name -> value; secret outputs are `"[secret]"` unless asked for. */
  values: Record<string, unknown>;
  /** The names of the outputs that are secret. */
  secretNames: string[];
}

/** What preview, up, destroy and refresh return. */
export interface OperationResult {
  /** The operation. */
  operation: OperationName;
  /** The stack's name in the backend. */
  stack: string;
  /** The backend the state lives in. */
  backendUrl: string;
  /** Resources per step type ("create": 3, "same": 55): planned for preview, done otherwise. */
  changes: OpMap;
  /** How long the engine took, when it said. */
  durationSeconds?: number;
  /** Info, warning and error diagnostics the engine reported. */
  diagnostics: ProgressDiagnostic[];
  /** Policy violations (warnings only: a mandatory one fails the operation). */
  policyViolations: PolicyViolation[];
  /** The final progress state. */
  progress: ProgressState;
}

/** What `up` returns. */
export interface UpOperationResult extends OperationResult {
  /** The stack outputs after the update. */
  outputs: StackOutputs;
}

/** Secret outputs masked unless `showSecrets`. */
export function plainOutputs(outputs: OutputMap, showSecrets = false): StackOutputs {
  const secretNames = Object.keys(outputs).filter((k) => outputs[k].secret).sort();
  const values = Object.fromEntries(Object.entries(outputs).map(([k, o]) => [k, o.secret && !showSecrets ? "[secret]" : o.value]));
  return { values, secretNames };
}

/** Where an error happened, for mapping it. */
export interface ErrorContext {
  /** The operation. */
  operation: ErrorOperation;
  /** The stack name. */
  stack: string;
  /** The backend URL. */
  backendUrl: string;
  /** The operation's signal: an error after abort is a cancellation. */
  signal?: AbortSignal;
  /** The progress when it failed. */
  progress?: ProgressState;
}

/** The CLI's stderr out of a CommandError's message (`code: ..\n stdout: ..\n stderr: ..\n err?: ..`). */
function commandStderr(error: Error): string {
  const match = /\n stderr: ([\s\S]*?)\n err\?: /.exec(error.message);
  return (match?.[1] ?? error.message).trim();
}

/** What to say about a failed command: the engine's errors and mandatory violations, else the CLI's stderr. */
function failureDetails(error: Error, progress?: ProgressState): string[] {
  const errors = [...new Set(progress?.diagnostics.filter((d) => d.severity === "error").map((d) => d.message) ?? [])];
  const mandatory = (progress?.policyViolations ?? [])
    .filter((v) => v.enforcementLevel === "mandatory")
    .map((v) => `[mandatory] ${v.policyPackName}/${v.policyName}: ${v.message}`);
  const details = [...mandatory, ...errors];
  if (details.length) return withOperatorHint(details);
  const stderr = commandStderr(error).split("\n").filter((l) => l.trim());
  return withOperatorHint(stderr.length ? stderr.slice(-15) : [error.message]);
}

/** The details, and after them what a kind the cluster did not know says about a missing operator (Kubernetes). */
function withOperatorHint(details: string[]): string[] {
  const hint = missingCrdHint(details.join("\n"));
  return hint ? [...details, ...hint.split("\n")] : details;
}

/**
 * Maps what the SDK throws to this module's errors: an abort becomes
 * OperationCancelledError, ConcurrentUpdateError StackLockedError, an unknown stack a
 * config error, any other CLI failure OperationFailedError. Other errors pass unchanged.
 */
export function toDeploymentError(error: unknown, context: ErrorContext): unknown {
  if (error instanceof DeploymentError) return error;
  if (context.signal?.aborted) return new OperationCancelledError(context.operation, context.stack, { cause: error });
  if (error instanceof ConcurrentUpdateError) return new StackLockedError(context.stack, context.backendUrl, { cause: error });
  if (error instanceof SdkStackNotFoundError) {
    return new DeploymentConfigError(`Stack "${context.stack}" does not exist in ${context.backendUrl} (up creates it).`, { cause: error });
  }
  if (error instanceof CommandError) {
    return new OperationFailedError(context.operation, context.stack, failureDetails(error, context.progress), context.progress, { cause: error });
  }
  return error;
}

/** Follows engine events: keeps the progress state and tells the caller. */
class ProgressTracker {
  state: ProgressState;
  /** The first error the caller's callback threw: rethrown when the operation ends (it cannot be stopped half-way). */
  callbackError?: unknown;
  constructor(operation: OperationName, private readonly onProgress?: (update: ProgressUpdate) => void) {
    this.state = initialProgress(operation);
  }
  readonly onEvent = (event: EngineEvent): void => {
    this.state = reduceProgress(this.state, event);
    try {
      this.onProgress?.({ state: this.state, event });
    } catch (error) {
      this.callbackError ??= error;
    }
  };
}

function throwIfAborted(signal: AbortSignal | undefined, operation: ErrorOperation, stack: string): void {
  if (signal?.aborted) throw new OperationCancelledError(operation, stack);
}

/** Options the SDK's preview/up/destroy/refresh all take. */
interface EngineRunOptions {
  onEvent: (event: EngineEvent) => void;
  signal?: AbortSignal;
  color: "never";
}

/**
 * Runs one operation: checks the input and finds the CLI (throwing before anything
 * starts when either is wrong), opens the stack, sets the config, installs plugins, runs
 * `run` with progress and the signal, and maps errors.
 */
async function runOperation<T>(
  operation: OperationName,
  options: DeploymentOptions,
  mode: OpenMode,
  run: (stack: Stack, engine: EngineRunOptions) => Promise<T>,
): Promise<{ value: T; progress: ProgressState; stack: string; backendUrl: string }> {
  const stackName = options.topology.stackName ?? options.topology.stack;
  throwIfAborted(options.signal, operation, stackName);
  const config = topologyConfigMap(options.topology);
  // Destroy and refresh do not run the program: a topology that no longer validates must not block them.
  if (mode === "create-or-select") validateTopologyConfig(config);
  for (const warning of topologyWarnings(options.topology)) options.onWarning?.(warning);
  const ws = resolveWorkspace(options);
  const pulumiCommand = await findPulumi(options.pulumiRoot);

  const tracker = new ProgressTracker(operation, options.onProgress);
  let value: T;
  try {
    const stack = await openStack(stackName, ws, pulumiCommand, mode);
    await replaceConfig(stack, config);
    await installPlugins(stack);
    // The steps above take no signal; an abort during them is honoured here.
    throwIfAborted(options.signal, operation, stackName);
    value = await run(stack, { onEvent: tracker.onEvent, signal: options.signal, color: "never" });
  } catch (error) {
    throw toDeploymentError(error, { operation, stack: stackName, backendUrl: ws.backendUrl, signal: options.signal, progress: tracker.state });
  }
  if (tracker.callbackError !== undefined) throw tracker.callbackError;
  return { value, progress: tracker.state, stack: stackName, backendUrl: ws.backendUrl };
}

/** The common result fields. */
function result(operation: OperationName, run: { progress: ProgressState; stack: string; backendUrl: string }, changes: OpMap | undefined): OperationResult {
  return {
    operation,
    stack: run.stack,
    backendUrl: run.backendUrl,
    changes: changes ?? run.progress.summary?.resourceChanges ?? {},
    durationSeconds: run.progress.summary?.durationSeconds,
    diagnostics: run.progress.diagnostics,
    policyViolations: run.progress.policyViolations,
    progress: run.progress,
  };
}

/** Shows what `up` would change (creating the stack if it does not exist), running policy packs if given. */
export async function preview(options: DeploymentOptions & PolicyOptions): Promise<OperationResult> {
  const policy = checkPolicyPaths(options);
  const run = await runOperation("preview", options, "create-or-select", (stack, engine) => stack.preview({ ...engine, ...policy }));
  return result("preview", run, run.value.changeSummary);
}

/** Creates or updates the stack's resources, running policy packs if given; returns the outputs. */
export async function up(options: UpOptions): Promise<UpOperationResult> {
  const policy = checkPolicyPaths(options);
  const run = await runOperation("up", options, "create-or-select", (stack, engine) => stack.up({ ...engine, ...policy }));
  return { ...result("up", run, run.value.summary?.resourceChanges), outputs: plainOutputs(run.value.outputs, options.showSecrets) };
}

/** Deletes the stack's resources (the stack and its history stay). The stack must exist. */
export async function destroy(options: DeploymentOptions): Promise<OperationResult> {
  const run = await runOperation("destroy", options, "select", (stack, engine) => stack.destroy(engine));
  return result("destroy", run, run.value.summary?.resourceChanges);
}

/** Reads the real state of the stack's resources into its state. The stack must exist. */
export async function refresh(options: DeploymentOptions): Promise<OperationResult> {
  const run = await runOperation("refresh", options, "select", (stack, engine) => stack.refresh(engine));
  return result("refresh", run, run.value.summary?.resourceChanges);
}

/** The stack's current outputs (nothing is run). The stack must exist. */
export async function outputs(options: OutputsOptions): Promise<StackOutputs> {
  return readStack(options, "outputs", async (stack) => plainOutputs(await stack.outputs(), options.showSecrets));
}

/** Opens an existing stack to read from it (nothing is run), mapping the SDK's errors. */
async function readStack<T>(options: WorkspaceOptions & { stack: string; stackName?: string }, operation: "outputs" | "history", read: (stack: Stack, stackName: string, backendUrl: string) => Promise<T>): Promise<T> {
  checkStackName(options.stack);
  const stackName = options.stackName ?? options.stack;
  const ws = resolveWorkspace(options);
  const pulumiCommand = await findPulumi(options.pulumiRoot);
  try {
    return await read(await openStack(stackName, ws, pulumiCommand, "select"), stackName, ws.backendUrl);
  } catch (error) {
    throw toDeploymentError(error, { operation, stack: stackName, backendUrl: ws.backendUrl });
  }
}

/** Options of `history` (only the stack name matters: nothing is run). */
export interface HistoryOptions extends WorkspaceOptions {
  /** The stack. */
  stack: string;
  /** The stack's name in the backend, when it differs from `stack`. */
  stackName?: string;
}

/** A stack's deployed versions. */
export interface StackHistory {
  /** The stack's name in the backend. */
  stack: string;
  /** The backend the state lives in. */
  backendUrl: string;
  /** Its updates, newest first, each with the images its workloads ran. */
  versions: DeployedVersion[];
}

/** The stack's updates, newest first: version, times, result, each workload's image (nothing is run; secrets stay hidden). The stack must exist. */
export async function history(options: HistoryOptions): Promise<StackHistory> {
  return readStack(options, "history", async (stack, stackName, backendUrl) => ({ stack: stackName, backendUrl, versions: await readHistory(stack) }));
}

/** Options of `rollback` and `planRollback`: those of `up`, and the version to go back to. */
export interface RollbackOptions extends UpOptions {
  /** The version whose images to redeploy (see `history`). Default: the newest update that succeeded with other images than the ones that run now. */
  to?: number;
  /** Called with the plan once it is made, before `up` starts (to say which images change). */
  onPlan?: (plan: RollbackPlan) => void;
}

/** What `rollback` returns: `up`'s result and the plan it ran. */
export interface RollbackResult extends UpOperationResult {
  /** Which version, which images changed, what the stack file still says. */
  plan: RollbackPlan;
}

/** The operations a rollback is made of (replaced in tests). */
export interface RollbackSteps {
  /** Reads the stack's versions. */
  history: (options: HistoryOptions) => Promise<StackHistory>;
  /** Runs the update. */
  up: (options: UpOptions) => Promise<UpOperationResult>;
}

/**
 * What `rollback` would do, without doing it: reads the history and chooses the version
 * (RollbackRefusedError when there is none, or `to` is unknown or did not succeed).
 */
export async function planRollback(options: RollbackOptions, steps: Pick<RollbackSteps, "history"> = { history }): Promise<RollbackPlan> {
  const stackName = options.topology.stackName ?? options.topology.stack;
  throwIfAborted(options.signal, "up", stackName);
  // The stack file's own images (not any `images` the caller set): the base a rollback changes.
  const file = configImages(engineConfig(topologyConfigMap({ ...options.topology, images: undefined })).values);
  const { versions } = await steps.history({ ...options, stack: options.topology.stack, stackName });
  return rollbackPlan(stackName, versions, file, options.to);
}

/**
 * Redeploys the images of an earlier version (`to`, or the newest that succeeded with
 * other images than the ones that run now) through the same `up` as a deployment, so the
 * same health-gated rollout: the topology's images are set over the stack file's, and
 * nothing else changes. The stack file is not edited: the next `up` from it deploys its
 * images again (`plan.overrides` lists the images it differs in).
 */
export async function rollback(options: RollbackOptions, steps: RollbackSteps = { history, up }): Promise<RollbackResult> {
  const plan = await planRollback(options, steps);
  options.onPlan?.(plan);
  throwIfAborted(options.signal, "up", plan.stack);
  const result = await steps.up({ ...options, topology: { ...options.topology, images: plan.overrides } });
  return { ...result, plan };
}
