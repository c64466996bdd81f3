/**
 * Where the deployment API keeps state and secrets, and which Pulumi CLI it drives: the
 * defaults that work without Pulumi Cloud (a local file backend, a passphrase), finding
 * the CLI, and opening a stack with the inline program.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, type ConfigMap, type Stack } from "@pulumi/pulumi/automation";
import { configNamespace } from "../components/configError";
import { projectRoot } from "./stackFiles";
import { DeploymentConfigError, DeploymentError, PulumiNotFoundError } from "./deploymentErrors";
import { previousDeployment, type PreviousDeployment } from "../components/model/migration";
import { inlineProgramWith } from "./deploymentTopology";

/** Where state and secrets live, and which Pulumi CLI runs. All optional. */
export interface WorkspaceOptions {
  /**
   * The backend URL: `file://<dir>` (self-managed, the default:
   * `file://<home>/.ha-topology/state`, created if missing), `s3://...`, or
   * `https://api.pulumi.com` (Pulumi Cloud).
   */
  backendUrl?: string;
  /** The secrets provider for new stacks (`passphrase`, the default; `awskms://...`; `default` on Pulumi Cloud). */
  secretsProvider?: string;
  /** The passphrase of the passphrase secrets provider. Default: PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE). */
  passphrase?: string;
  /**
   * A scratch directory the workspace owns (it writes Pulumi.yaml and Pulumi.<stack>.yaml
   * there, including the passphrase salt). Default: one per project and backend under
   * `<home>/.ha-topology/workspaces`, kept between runs so the salt is kept.
   */
  workDir?: string;
  /** The Pulumi project name (default `ha-topology`); stacks are per project in the backend. */
  projectName?: string;
  /** Extra environment variables for every Pulumi CLI call (AWS_PROFILE, PULUMI_ACCESS_TOKEN, ...). */
  envVars?: Record<string, string>;
  /** A Pulumi CLI installation directory (`<root>/bin/pulumi`). Default: `pulumi` on PATH. */
  pulumiRoot?: string;
}

/** The workspace settings after defaults, ready for LocalWorkspace. */
export interface ResolvedWorkspace {
  /** The backend URL. */
  backendUrl: string;
  /** The directory of a `file://` backend (created before use), if it is one. */
  stateDir?: string;
  /** The secrets provider. */
  secretsProvider: string;
  /** The workspace directory. */
  workDir: string;
  /** The project name. */
  projectName: string;
  /** The environment for the CLI: the caller's envVars plus backend URL and passphrase. */
  envVars: Record<string, string>;
}

/** The directory a `file://` URL names (`~` expanded, query dropped), or undefined for other backends. */
export function fileBackendDir(url: string, home = os.homedir()): string | undefined {
  if (!url.startsWith("file://")) return undefined;
  const location = decodeURIComponent(url.slice("file://".length).split("?")[0]);
  return path.resolve(location.replace(/^~(?=$|[\\/])/, home));
}

/** The passphrase to use, or undefined when the CLI will read PULUMI_CONFIG_PASSPHRASE_FILE itself. */
function resolvePassphrase(options: WorkspaceOptions, env: NodeJS.ProcessEnv): string | undefined {
  const passphrase = options.passphrase ?? options.envVars?.PULUMI_CONFIG_PASSPHRASE ?? env.PULUMI_CONFIG_PASSPHRASE;
  if (passphrase !== undefined) return passphrase;
  if (options.envVars?.PULUMI_CONFIG_PASSPHRASE_FILE ?? env.PULUMI_CONFIG_PASSPHRASE_FILE) return undefined;
  throw new DeploymentConfigError(
    "The passphrase secrets provider needs a passphrase: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) " +
      "or pass `passphrase`. It encrypts the stack's secrets; keep it safe, the stack's secrets cannot be read without it.",
  );
}

/**
 * Applies the defaults. Pure apart from reading `env` (the process environment by
 * default): nothing is created, so it can run (and fail) before anything starts.
 */
export function resolveWorkspace(options: WorkspaceOptions = {}, env: NodeJS.ProcessEnv = process.env, home = os.homedir()): ResolvedWorkspace {
  const backendUrl = options.backendUrl ?? `file://${path.join(home, ".ha-topology", "state").split(path.sep).join("/")}`;
  const secretsProvider = options.secretsProvider ?? "passphrase";
  const projectName = options.projectName ?? configNamespace;
  const envVars: Record<string, string> = { PULUMI_SKIP_UPDATE_CHECK: "true", ...options.envVars, PULUMI_BACKEND_URL: backendUrl };
  if (secretsProvider === "passphrase") {
    const passphrase = resolvePassphrase(options, env);
    if (passphrase !== undefined) envVars.PULUMI_CONFIG_PASSPHRASE = passphrase;
  }
  // One directory per project and backend: the stack settings file holds the passphrase
  // salt of that backend's stack, so two backends must not share it.
  const key = createHash("sha256").update(backendUrl).digest("hex").slice(0, 12);
  const workDir = path.resolve(options.workDir ?? path.join(home, ".ha-topology", "workspaces", `${projectName}-${key}`));
  if (workDir === projectRoot) {
    throw new DeploymentConfigError(
      `workDir must not be the project directory (${projectRoot}): the workspace writes Pulumi.yaml and stack settings there.`,
    );
  }
  return { backendUrl, stateDir: fileBackendDir(backendUrl, home), secretsProvider, workDir, projectName, envVars };
}

/**
 * The oldest CLI that runs inline programs for every operation: the SDK passes the
 * program to refresh and destroy with `--client`, which arrived in 3.181.
 */
export const minimumPulumiVersion = "3.181.0";

/** Finds the Pulumi CLI; a missing binary becomes PulumiNotFoundError, an unusable or too old one a config error. */
export async function findPulumi(pulumiRoot?: string): Promise<PulumiCommand> {
  let command: PulumiCommand;
  try {
    command = await PulumiCommand.get(pulumiRoot ? { root: pulumiRoot } : undefined);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const where = pulumiRoot ? `no executable ${path.join(pulumiRoot, "bin", "pulumi")}` : "no `pulumi` on PATH";
    if (/ENOENT|EACCES/.test(text)) throw new PulumiNotFoundError(where, { cause: error });
    throw new DeploymentConfigError(`The Pulumi CLI cannot be used: ${text.split("\n").find((l) => l.trim()) ?? text}`, { cause: error });
  }
  if (command.version && command.version.compare(minimumPulumiVersion) < 0) {
    throw new DeploymentConfigError(
      `The Pulumi CLI ${command.command} is version ${command.version.version}; deployments need ${minimumPulumiVersion} or later. ` +
        "Upgrade it (https://www.pulumi.com/docs/iac/download-install/).",
    );
  }
  return command;
}

/** Refuses policy pack and policy config paths that do not exist, before the CLI starts. */

/** The provider plugins the program needs, at the versions of the installed SDKs. */
function providerPlugins(): { name: string; version: string }[] {
  const plugins: { name: string; version: string }[] = [];
  for (const name of ["aws", "random"]) {
    try {
      const version = (require(`@pulumi/${name}/package.json`) as { version: string }).version;
      plugins.push({ name, version: `v${version}` });
    } catch {
      // Not installed: the program cannot use it either.
    }
  }
  return plugins;
}

/** How an operation opens its stack: preview and up create it on first use; the others need it to exist. */
export type OpenMode = "create-or-select" | "select";

/** Creates the directories, then creates or selects the stack with the inline program. */
export async function openStack(stackName: string, ws: ResolvedWorkspace, pulumiCommand: PulumiCommand, mode: OpenMode): Promise<Stack> {
  if (ws.stateDir) fs.mkdirSync(ws.stateDir, { recursive: true });
  fs.mkdirSync(ws.workDir, { recursive: true });
  // The last deployment's outputs, read once the stack is open and before any operation
  // runs the program: the program refuses an update that would drop its single service.
  let previous: PreviousDeployment | undefined;
  const args = { stackName, projectName: ws.projectName, program: inlineProgramWith(() => previous) };
  const options = {
    workDir: ws.workDir,
    envVars: ws.envVars,
    secretsProvider: ws.secretsProvider,
    pulumiCommand,
    // `main` is the project, not the workspace: the engine starts plugins in the program's
    // directory, and the dynamic provider host must find @pulumi/pulumi and our providers'
    // bundle there (components/shippedDynamicResource.ts), as the SDK's default project does.
    projectSettings: { name: ws.projectName, runtime: "nodejs" as const, main: projectRoot, backend: { url: ws.backendUrl } },
  };
  const stack = await (mode === "select" ? LocalWorkspace.selectStack(args, options) : LocalWorkspace.createOrSelectStack(args, options));
  previous = await lastDeployment(stack);
  return stack;
}

/** What the stack's last deployment ran, from its outputs; undefined for a new stack or when they cannot be read. */
async function lastDeployment(stack: Stack): Promise<PreviousDeployment | undefined> {
  try {
    const outputs = await stack.outputs();
    return previousDeployment(Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.value])));
  } catch {
    // A stack without a deployment has no outputs to read: nothing to protect yet.
    return undefined;
  }
}

/**
 * Sets one secret config value with `pulumi config set --secret <key>` and the value on
 * stdin, which the CLI reads when stdin is not a terminal ("Multi-line values may be set by
 * piping a file to standard in"): the value is never on a command line, where every local
 * user could read it in /proc/<pid>/cmdline. Runs like the SDK runs the CLI: the workspace's
 * directory and environment, the CLI's own directory first on PATH.
 */
export function setSecretConfig(stack: Stack, key: string, value: string): Promise<void> {
  const workspace = stack.workspace;
  const command = workspace.pulumiCommand.command;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...(workspace.pulumiHome ? { PULUMI_HOME: workspace.pulumiHome } : {}),
    ...workspace.envVars,
    PULUMI_AUTOMATION_API: "true",
  };
  if (path.isAbsolute(command)) env.PATH = `${path.dirname(command)}${path.delimiter}${env.PATH ?? ""}`;
  const args = ["config", "set", "--secret", "--stack", stack.name, "--non-interactive", "--", key];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: workspace.workDir, env, stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) return resolve();
      const detail = stderr.split("\n").filter((l) => l.trim()).slice(-5).join("\n");
      reject(new DeploymentError(`pulumi config set --secret ${key} failed (exit code ${code}): ${detail}`));
    });
    // The CLI drops one trailing newline: add one, so a value that ends in a newline keeps it.
    child.stdin.on("error", () => undefined);
    child.stdin.end(`${value}\n`);
  });
}

/**
 * Replaces the stack's configuration: earlier runs' keys are removed first (a key
 * dropped from the topology must not live on in the kept workspace), keeping the
 * secrets provider settings (the passphrase salt) of the stack settings file. Plain
 * values go in one `config set-all`; secret ones one by one through stdin
 * (`setSecretConfig`), never on a command line.
 */
export async function replaceConfig(stack: Stack, config: ConfigMap): Promise<void> {
  const workspace = stack.workspace as LocalWorkspace;
  const settingsFile = ["yaml", "yml", "json"].some((ext) => fs.existsSync(path.join(workspace.workDir, `Pulumi.${stack.name.split("/").pop()}.${ext}`)));
  if (settingsFile) {
    const settings = { ...(await workspace.stackSettings(stack.name)) };
    delete settings.config;
    await workspace.saveStackSettings(stack.name, settings);
  }
  const plain = Object.fromEntries(Object.entries(config).filter(([, v]) => v.secret !== true));
  if (Object.keys(plain).length) await stack.setAllConfig(plain);
  for (const [key, { value }] of Object.entries(config).filter(([, v]) => v.secret === true)) await setSecretConfig(stack, key, value);
}

/** Installs the provider plugins (a no-op when present): inline programs get no automatic plugin discovery. */
export async function installPlugins(stack: Stack): Promise<void> {
  for (const plugin of providerPlugins()) await stack.workspace.installPlugin(plugin.name, plugin.version);
}
