/** The errors of the deployment API: each says what went wrong and what to do. */
import type { OperationName, PolicyViolation, ProgressState } from "./progress";

/** What an error can be about: an engine operation, or a read of the stack (its outputs, its history). */
export type ErrorOperation = OperationName | "outputs" | "history";

/** The base class of every error this module throws on purpose. */
export class DeploymentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The request cannot be run as given (unknown stack file, encrypted values in a stack
 * file, no passphrase, invalid topology, unknown stack in the backend, ...). Nothing was
 * started; fix the input and retry.
 */
export class DeploymentConfigError extends DeploymentError {}

/** The topology is invalid; checked before the Pulumi CLI starts, with the program's own rules. */
export class InvalidTopologyError extends DeploymentConfigError {
  /** One line per problem, each naming the key, the value received and what is allowed. */
  readonly problems: string[];
  constructor(problems: string[], message: string) {
    super(message);
    this.problems = problems;
  }
}

/**
 * A rollback cannot be done as asked: the stack has no update to go back to, the version
 * asked for is unknown, did not succeed or runs the images deployed now. Nothing was started.
 */
export class RollbackRefusedError extends DeploymentConfigError {}

/** The Pulumi CLI, which the Automation API drives, is not installed (or not where it was said to be). */
export class PulumiNotFoundError extends DeploymentError {
  constructor(where: string, options?: { cause?: unknown }) {
    super(
      `The Pulumi CLI was not found (${where}). Deployments run it through the Automation API: ` +
        "install it (https://www.pulumi.com/docs/iac/download-install/, e.g. `curl -fsSL https://get.pulumi.com | sh`) " +
        "and make sure `pulumi` is on PATH. `npm run plan` works without it (an offline plan under mocks).",
      options,
    );
  }
}

/** Another update holds the stack's lock (the SDK's ConcurrentUpdateError). */
export class StackLockedError extends DeploymentError {
  /** The stack that is locked. */
  readonly stack: string;
  constructor(stack: string, backendUrl: string, options?: { cause?: unknown }) {
    super(
      `Stack "${stack}" is locked: another update is running on it. Wait for it to finish. If no update is ` +
        `running any more (a process was killed), release the lock with: PULUMI_BACKEND_URL=${backendUrl} pulumi cancel --stack ${stack} --yes`,
      options,
    );
    this.stack = stack;
  }
}

/** The operation was cancelled through its AbortSignal. */
export class OperationCancelledError extends DeploymentError {
  /** The operation that was cancelled. */
  readonly operation: ErrorOperation;
  constructor(operation: ErrorOperation, stack: string, options?: { cause?: unknown }) {
    super(
      `${operation} of stack "${stack}" was cancelled. Resources being changed at that moment may be in an unknown ` +
        `state; run refresh (or preview) before the next update.`,
      options,
    );
    this.operation = operation;
  }
}

/** The Pulumi CLI ran and the operation failed (provider errors, program errors, mandatory policy violations). */
export class OperationFailedError extends DeploymentError {
  /** The operation that failed. */
  readonly operation: ErrorOperation;
  /** The error diagnostics the engine reported. */
  readonly errors: string[];
  /** Policy violations reported before the failure (mandatory ones fail preview and up). */
  readonly policyViolations: PolicyViolation[];
  /** The progress when it failed, if events were followed. */
  readonly progress?: ProgressState;
  constructor(operation: ErrorOperation, stack: string, details: string[], progress?: ProgressState, options?: { cause?: unknown }) {
    super([`${operation} of stack "${stack}" failed:`, ...details.map((d) => `  ${d.replace(/\n/g, "\n  ")}`)].join("\n"), options);
    this.operation = operation;
    this.errors = progress?.diagnostics.filter((d) => d.severity === "error").map((d) => d.message) ?? [];
    this.policyViolations = progress?.policyViolations ?? [];
    this.progress = progress;
  }
}
