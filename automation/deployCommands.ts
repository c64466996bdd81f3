/**
 * The deployment commands of the `ha-topology` command line: preview, up, destroy,
 * refresh, outputs, history and rollback, on a stack file (`--stack aws` =
 * stacks/Pulumi.aws.yaml), through the Automation API (deployment.ts). Progress goes to
 * stderr, results to stdout.
 *
 * Exit codes (set on process.exitCode; nothing here calls process.exit): 0 success,
 * 1 the operation failed (including mandatory policy violations), 2 usage or config
 * errors (unknown stack file, missing passphrase, no `pulumi` binary, ...), 130 cancelled.
 */
import { Command, type ErrorOptions as CommanderErrorOptions } from "commander";
import { readSecretOptions, type SecretSources } from "./cliSecrets";
import * as deployment from "./deployment";
import { formatHistory, formatRollbackPlan, historyJson, staleFileLines } from "./historyReport";
import { renderProgressLine, renderSummary, urnName, type PolicyViolation, type ProgressDiagnostic, type ProgressUpdate } from "./progress";

/** The operations the commands call (deployment.ts; replaced by stubs in tests). */
export interface DeployOperations {
  /** See deployment.preview. */
  preview: typeof deployment.preview;
  /** See deployment.up. */
  up: typeof deployment.up;
  /** See deployment.destroy. */
  destroy: typeof deployment.destroy;
  /** See deployment.refresh. */
  refresh: typeof deployment.refresh;
  /** See deployment.outputs. */
  outputs: typeof deployment.outputs;
  /** See deployment.history. */
  history: typeof deployment.history;
  /** See deployment.planRollback. */
  planRollback: typeof deployment.planRollback;
  /** See deployment.rollback. */
  rollback: typeof deployment.rollback;
}

/** What the commands need from the outside world, injectable for tests. */
export interface DeployCommandDeps {
  /** The operations. */
  operations: DeployOperations;
  /** Writes results. Default: the program's configured output (stdout). */
  writeOut?: (text: string) => void;
  /** Writes progress and errors. Default: the program's configured error output (stderr). */
  writeErr?: (text: string) => void;
  /** Whether stderr is a terminal (one updating progress line) or not (plain lines). */
  isTTY: () => boolean;
  /** The terminal width, to keep the progress line on one row. */
  columns: () => number;
  /** Sets the exit code (process.exitCode by default). */
  setExitCode: (code: number) => void;
  /** Calls `handler` on Ctrl-C until the returned function is called. */
  onInterrupt: (handler: () => void) => () => void;
  /**
   * Whether a Ctrl-C also reaches the Pulumi CLI by itself. A terminal sends SIGINT to
   * the whole foreground process group, so the CLI already cancels; forwarding it again
   * (AbortSignal -> SIGINT) would be a second interrupt, which makes Pulumi terminate at
   * once and risk orphaned resources. Elsewhere (CI runners, `kill -INT`) only this
   * process gets it, and the signal must be forwarded.
   */
  interruptReachesChildren: () => boolean;
  /** Where `--secret` values are read from (the environment and files). */
  secretSources?: SecretSources;
}

/** The real world: deployment.ts, process streams, SIGINT. */
export const defaultDeps: DeployCommandDeps = {
  operations: {
    preview: deployment.preview,
    up: deployment.up,
    destroy: deployment.destroy,
    refresh: deployment.refresh,
    outputs: deployment.outputs,
    history: deployment.history,
    planRollback: deployment.planRollback,
    rollback: deployment.rollback,
  },
  isTTY: () => process.stderr.isTTY === true,
  columns: () => process.stderr.columns ?? 100,
  setExitCode: (code) => {
    process.exitCode = code;
  },
  onInterrupt: (handler) => {
    // `once`: a second Ctrl-C gets Node's default (exit at once) for someone who will not wait.
    process.once("SIGINT", handler);
    return () => void process.off("SIGINT", handler);
  },
  interruptReachesChildren: () => process.stdin.isTTY === true || process.stderr.isTTY === true,
};

/** Exit codes. */
export const exitCodes = { ok: 0, failed: 1, usage: 2, cancelled: 130 } as const;

/** The exit code for an error an operation threw. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof deployment.OperationCancelledError) return exitCodes.cancelled;
  if (error instanceof deployment.DeploymentConfigError || error instanceof deployment.PulumiNotFoundError) return exitCodes.usage;
  return exitCodes.failed;
}

/**
 * A subcommand whose parse errors (missing --stack, unknown option, ...) exit with 2,
 * the usage error code, instead of commander's default 1.
 */
class DeployCommand extends Command {
  override error(message: string, errorOptions?: CommanderErrorOptions): never {
    return super.error(message, { ...errorOptions, exitCode: errorOptions?.exitCode ?? exitCodes.usage });
  }
}

/** Collects a repeatable option's values (no default given: commander would print "(default: [])"). */
const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** The flags every deployment command parses. */
interface Flags {
  stack: string;
  backend?: string;
  policyPack?: string[];
  policyPackConfig?: string[];
  yes?: boolean;
  json?: boolean;
  showSecrets?: boolean;
  secret?: string[];
  to?: string;
}

/** One diagnostic or violation as a line of its own. */
function findingLine(item: ProgressDiagnostic | PolicyViolation): string {
  if ("policyName" in item) {
    const where = item.resourceUrn ? ` (${urnName(item.resourceUrn)})` : "";
    return `policy ${item.enforcementLevel}: ${item.policyPackName}/${item.policyName}${where}: ${item.message}`;
  }
  const where = item.urn ? ` (${urnName(item.urn)})` : "";
  return `${item.severity === "info#err" ? "info" : item.severity}${where}: ${item.message}`;
}

/**
 * Prints progress to stderr: on a terminal one line rewritten in place; otherwise a
 * line each time a resource finishes (logs should not fill with repaints). Diagnostics
 * and policy violations are printed as they arrive, on their own lines, in both modes.
 */
export class ProgressPrinter {
  private shown = { diagnostics: 0, violations: 0, finished: -1 };
  private lineOnScreen = false;
  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly columns: number,
  ) {}

  /** Handles one update (the `onProgress` callback). */
  readonly update = ({ state }: ProgressUpdate): void => {
    const fresh = [
      ...state.diagnostics.slice(this.shown.diagnostics).map(findingLine),
      ...state.policyViolations.slice(this.shown.violations).map(findingLine),
    ];
    this.shown.diagnostics = state.diagnostics.length;
    this.shown.violations = state.policyViolations.length;
    if (fresh.length) {
      this.clear();
      this.write(`${fresh.join("\n")}\n`);
    }
    const line = renderProgressLine(state);
    if (this.tty) {
      this.write(`\r\x1b[2K${line.length > this.columns - 1 ? `${line.slice(0, Math.max(this.columns - 2, 0))}…` : line}`);
      this.lineOnScreen = true;
    } else {
      const finished = state.totals.done + state.totals.failed;
      if (finished !== this.shown.finished) this.write(`${line}\n`);
      this.shown.finished = finished;
    }
  };

  /** Removes the progress line from a terminal (before results or errors are printed). */
  clear(): void {
    if (this.tty && this.lineOnScreen) this.write("\r\x1b[2K");
    this.lineOnScreen = false;
  }
}

/** Formats outputs: JSON, or one `name: value` line each (objects as JSON). */
export function formatOutputs(outputs: deployment.StackOutputs, json: boolean): string {
  if (json) return `${JSON.stringify(outputs.values, null, 2)}\n`;
  const names = Object.keys(outputs.values).sort();
  if (!names.length) return "(no outputs)\n";
  const width = Math.max(...names.map((n) => n.length));
  return names
    .map((n) => {
      const value = outputs.values[n];
      return `${n.padEnd(width)}  ${typeof value === "string" ? value : JSON.stringify(value)}\n`;
    })
    .join("");
}

/** What an operation prints to stdout when it succeeds. */
function formatResult(result: deployment.OperationResult | deployment.UpOperationResult): string {
  const lines = [renderSummary(result.progress)];
  for (const violation of result.policyViolations) lines.push(findingLine(violation));
  let text = `${lines.join("\n")}\n`;
  if ("outputs" in result) text += `\nOutputs:\n${formatOutputs(result.outputs, false).replace(/^(?=.)/gm, "  ")}`;
  return text;
}

/** The command's context: where to write, how to end. */
interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  deps: DeployCommandDeps;
}

/** Reports an error on stderr and sets the matching exit code. */
function fail(io: Io, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  io.err(`error: ${message}\n`);
  io.deps.setExitCode(exitCodeFor(error));
}

/** The `--secret` options as topology fields; only the fields that have values. */
function secretInputs(specs: string[], sources?: SecretSources): Partial<deployment.StackFileTopology> {
  const { secrets, secretConfig, providerConfig } = readSecretOptions(specs, sources);
  const some = (map: Record<string, unknown>) => Object.keys(map).length > 0;
  return {
    ...(some(secrets) ? { secrets } : {}),
    ...(some(secretConfig) ? { secretConfig } : {}),
    ...(some(providerConfig) ? { providerConfig } : {}),
  };
}

/** The commands that run the engine with progress; a rollback is an `up`. */
type ProgressCommand = "preview" | "up" | "destroy" | "refresh" | "rollback";

/** Runs preview/up/destroy/refresh/rollback with progress, Ctrl-C cancellation and exit codes. */
async function runWithProgress(io: Io, operation: ProgressCommand, flags: Flags, to?: number): Promise<void> {
  const controller = new AbortController();
  const printer = new ProgressPrinter(io.err, io.deps.isTTY(), io.deps.columns());
  let interrupted = false;
  const stopListening = io.deps.onInterrupt(() => {
    interrupted = true;
    printer.clear();
    io.err(`Cancelling ${operation}: waiting for Pulumi to stop cleanly (Ctrl-C again to stop at once, which may leave the stack locked)...\n`);
    if (!io.deps.interruptReachesChildren()) controller.abort();
  });
  const warn = (message: string) => {
    printer.clear();
    io.err(`warning: ${message}\n`);
  };
  let topology: deployment.StackFileTopology = { stack: flags.stack };
  try {
    topology = { ...topology, ...secretInputs(flags.secret ?? [], io.deps.secretSources) };
  } catch (error) {
    stopListening();
    fail(io, error);
    return;
  }
  const options = {
    topology,
    backendUrl: flags.backend,
    onProgress: printer.update,
    onWarning: warn,
    signal: controller.signal,
  };
  const policy = { policyPacks: flags.policyPack ?? [], policyPackConfigs: flags.policyPackConfig ?? [] };
  try {
    io.err(`${operation} of stack "${flags.stack}"...\n`);
    let plan: deployment.RollbackPlan | undefined;
    const onPlan = (made: deployment.RollbackPlan) => {
      plan = made;
      printer.clear();
      io.err(formatRollbackPlan(made));
    };
    const result =
      operation === "preview" ? await io.deps.operations.preview({ ...options, ...policy })
      : operation === "up" ? await io.deps.operations.up({ ...options, ...policy })
      : operation === "rollback" ? await io.deps.operations.rollback({ ...options, ...policy, to, onPlan })
      : await io.deps.operations[operation](options);
    printer.clear();
    io.out(formatResult(result));
    // Said last, where it stays on screen: the file was not changed.
    if (plan) for (const line of staleFileLines(plan)) io.out(`${line}\n`);
    io.deps.setExitCode(exitCodes.ok);
  } catch (error) {
    printer.clear();
    // After a Ctrl-C the CLI received itself, it stops with a plain failure: that is the cancellation.
    const cancelled = interrupted && error instanceof deployment.OperationFailedError;
    fail(io, cancelled ? new deployment.OperationCancelledError(operation === "rollback" ? "up" : operation, flags.stack, { cause: error }) : error);
  } finally {
    stopListening();
  }
}

/** Runs `outputs`. */
async function runOutputs(io: Io, flags: Flags): Promise<void> {
  try {
    const result = await io.deps.operations.outputs({ stack: flags.stack, backendUrl: flags.backend, showSecrets: flags.showSecrets });
    io.out(formatOutputs(result, flags.json === true));
    io.deps.setExitCode(exitCodes.ok);
  } catch (error) {
    fail(io, error);
  }
}

/** Runs `history`. */
async function runHistory(io: Io, flags: Flags): Promise<void> {
  try {
    const result = await io.deps.operations.history({ stack: flags.stack, backendUrl: flags.backend });
    io.out(flags.json ? `${JSON.stringify(historyJson(result.versions), null, 2)}\n` : formatHistory(result.stack, result.versions));
    io.deps.setExitCode(exitCodes.ok);
  } catch (error) {
    fail(io, error);
  }
}

/** The `--to` version as a number, or a usage error. */
function versionFlag(io: Io, value: string | undefined): number | undefined | "bad" {
  if (value === undefined) return undefined;
  if (/^[1-9][0-9]{0,9}$/.test(value)) return Number(value);
  io.err(`error: --to ${value}: a version number of the stack's history (1, 2, ...; ha-topology history lists them)\n`);
  io.deps.setExitCode(exitCodes.usage);
  return "bad";
}

/**
 * Runs `rollback`: with `--yes`, the plan then the update; without, only the plan (read
 * from the history, nothing changed) and exit code 2, as `destroy` without `--yes`.
 */
async function runRollback(io: Io, flags: Flags): Promise<void> {
  const to = versionFlag(io, flags.to);
  if (to === "bad") return;
  if (flags.yes) return runWithProgress(io, "rollback", flags, to);
  try {
    const plan = await io.deps.operations.planRollback({ topology: { stack: flags.stack }, backendUrl: flags.backend, to });
    io.out(formatRollbackPlan(plan));
    io.err(`Nothing was done; re-run with --yes to roll back stack "${flags.stack}".\n`);
    io.deps.setExitCode(exitCodes.usage);
  } catch (error) {
    fail(io, error);
  }
}

/** Creates a subcommand with the options all of them share. */
function deployCommand(program: Command, name: string, description: string): Command {
  const command = new DeployCommand(name).description(description);
  // As program.command() would: the parent's output, exit override and help settings.
  command.copyInheritedSettings(program);
  program.addCommand(command);
  return command
    .requiredOption("-s, --stack <name>", "the stack: its config is stacks/Pulumi.<name>.yaml")
    .option("--backend <url>", "state backend URL (default file://~/.ha-topology/state; e.g. https://api.pulumi.com)");
}

/** Adds `--secret` (preview, up, destroy, refresh, rollback: provider tokens are needed by all of them). */
function withSecretOption(command: Command): Command {
  return command.option(
    "--secret <NAME=env:VAR|NAME=file:PATH>",
    "a secret read from an environment variable or a file, never from the command line: an app secret (API_KEY), " +
      "ha-topology:storage.secretAccessKey or a provider credential (digitalocean:token) (repeatable)",
    collect,
  );
}

/** Adds the policy options (preview, up and rollback). */
function withPolicyOptions(command: Command): Command {
  return command
    .option("--policy-pack <dir>", "run this policy pack, e.g. policies (repeatable)", collect)
    .option("--policy-pack-config <file>", "policy pack config JSON (repeatable)", collect);
}

/**
 * Adds `preview`, `up`, `destroy`, `refresh`, `outputs`, `history` and `rollback` to the
 * program. Call it after configuring the program's output and exit override: subcommands
 * inherit them.
 */
export function registerDeployCommands(program: Command, overrides: Partial<DeployCommandDeps> = {}): void {
  const deps: DeployCommandDeps = { ...defaultDeps, ...overrides };
  const output = program.configureOutput();
  const io: Io = {
    out: deps.writeOut ?? ((text) => (output.writeOut ?? ((t: string) => process.stdout.write(t)))(text)),
    err: deps.writeErr ?? ((text) => (output.writeErr ?? ((t: string) => process.stderr.write(t)))(text)),
    deps,
  };
  const flagsOf = (command: Command) => command.opts<Flags>();

  withSecretOption(withPolicyOptions(deployCommand(program, "preview", "show what up would change (Pulumi CLI, real cloud API calls, no changes)")))
    .action(async (_options: unknown, command: Command) => runWithProgress(io, "preview", flagsOf(command)));
  withSecretOption(withPolicyOptions(deployCommand(program, "up", "create or update the stack's resources")))
    .action(async (_options: unknown, command: Command) => runWithProgress(io, "up", flagsOf(command)));
  withSecretOption(deployCommand(program, "destroy", "delete the stack's resources (data is protected: run `pulumi state unprotect --all` and turn off the cloud's deletion protection first, see README)"))
    .option("-y, --yes", "confirm: destroy without asking")
    .action(async (_options: unknown, command: Command) => {
      const flags = flagsOf(command);
      if (!flags.yes) {
        io.err(`destroy deletes every resource of stack "${flags.stack}". Nothing was done; re-run with --yes to confirm.\n`);
        deps.setExitCode(exitCodes.usage);
        return;
      }
      await runWithProgress(io, "destroy", flags);
    });
  withSecretOption(deployCommand(program, "refresh", "read the real state of the stack's resources into its state"))
    .action(async (_options: unknown, command: Command) => runWithProgress(io, "refresh", flagsOf(command)));
  deployCommand(program, "outputs", "print the stack's outputs")
    .option("--json", "print them as JSON")
    .option("--show-secrets", "print secret outputs in plain text")
    .action(async (_options: unknown, command: Command) => runOutputs(io, flagsOf(command)));
  deployCommand(program, "history", "list the stack's deployed versions, newest first: version, start time, duration, result and each workload's image")
    .option("--json", "print them as JSON")
    .action(async (_options: unknown, command: Command) => runHistory(io, flagsOf(command)));
  withSecretOption(withPolicyOptions(deployCommand(
    program,
    "rollback",
    "redeploy the images of an earlier version (default: the newest that succeeded with other images) through the same health-gated up; only the images change, the stack file is not edited",
  )))
    .option("--to <version>", "the version whose images to redeploy (see history); it must have succeeded")
    .option("-y, --yes", "confirm: roll back without asking (without it, the plan is shown and nothing is done)")
    .action(async (_options: unknown, command: Command) => runRollback(io, flagsOf(command)));
}
