/**
 * The `ha-topology` command line: `plan` (offline, no account) here, and the deployment
 * commands (preview, up, destroy, refresh, outputs, history, rollback) from deployCommands.ts.
 *
 * Exit codes: 0 success, 1 mandatory policy violations or a failed operation, 2 bad
 * usage or bad input (unknown stack, unreadable file, invalid config), 130 cancelled.
 */
import * as path from "node:path";
import { Command, CommanderError, Option } from "commander";
import { registerDeployCommands } from "./deployCommands";
import { diagramModel } from "./diagramModel";
import { writeDiagram } from "./diagram";
import { planStack, PlanInputError, readPolicyConfig, stackOfFile } from "./plan";
import { formatPlan, planJson } from "./planReport";

/** Where the commands write. */
export interface CliOutput {
  /** Results. */
  stdout: (text: string) => void;
  /** Progress and errors. */
  stderr: (text: string) => void;
}

const processOutput: CliOutput = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/** The stack `plan` plans when given neither a stack nor a stack file. */
const defaultStack = "aws";

/** True for an argument that names a stack file rather than a stack: a path, or a name ending in .yaml / .yml. */
export function isStackFileArgument(value: string): boolean {
  return /[\\/]/.test(value) || /\.ya?ml$/i.test(value);
}

/**
 * What `plan [stack]` and `--diagram` received, sorted out. `npm run plan -- <file>` appends
 * the file after the script's own `--diagram`, whose value is optional, so commander hands
 * the file to `--diagram`; a diagram must end in .svg or .png, so a .yaml or .yml file
 * there is always the plan's target, and the diagram keeps its default name.
 */
export function planTarget(argument: string | undefined, diagrams: readonly (string | true)[] | undefined): { target?: string; diagram?: string | true; problem?: string } {
  const given = diagrams ?? [];
  const swallowed = given.filter((v): v is string => typeof v === "string" && /\.ya?ml$/i.test(v));
  const targets = [...(argument === undefined ? [] : [argument]), ...swallowed];
  const rest = given.filter((v) => !swallowed.includes(v as string));
  const diagram = rest.length > 0 ? rest[rest.length - 1] : given.length > 0 ? true : undefined;
  if (targets.length > 1) return { problem: `one stack at a time: received ${targets.join(" and ")}` };
  return { target: targets[0], diagram };
}

/** Options of `plan`. */
export interface PlanCommandOptions {
  /** Stack name (its file is stacks/Pulumi.<stack>.yaml); with `stackFile`, the name the plan runs under. Default: "aws", or the stack `stackFile` is named for. */
  stack?: string;
  /** A stack file elsewhere (its config is used; without `stack`, its name Pulumi.<stack>.yaml names the stack). */
  stackFile?: string;
  /** Print JSON instead of text. */
  json?: boolean;
  /** Write a diagram to this .svg or .png file (`true`: ha-topology-<stack>.svg). */
  diagram?: string | boolean;
  /** A policy config file, as for `pulumi preview --policy-pack-config`. */
  policyPackConfig?: string;
}

/** Runs `plan`; returns the exit code. */
export async function runPlanCommand(options: PlanCommandOptions, out: CliOutput = processOutput): Promise<number> {
  try {
    // `--stack-file` alone plans the stack the file is named for, never the default "aws".
    const stack = options.stack ?? (options.stackFile !== undefined ? stackOfFile(options.stackFile) : defaultStack);
    const diagram = options.diagram === true ? `ha-topology-${stack}.svg` : options.diagram || undefined;
    if (diagram !== undefined && !/\.(svg|png)$/i.test(diagram)) {
      throw new PlanInputError(`--diagram ${diagram}: the file name must end in .svg or .png`);
    }
    const policyConfig = options.policyPackConfig ? readPolicyConfig(options.policyPackConfig) : undefined;
    if (!options.json) out.stderr(`Planning stack "${stack}"${options.stackFile !== undefined ? ` from ${options.stackFile}` : ""} offline (mocks; no cloud account needed)...\n`);
    const plan = await planStack(stack, { policyConfig, stackFile: options.stackFile });
    if (diagram !== undefined) {
      try {
        writeDiagram(diagramModel(plan), diagram);
      } catch (e) {
        throw new PlanInputError(`cannot write the diagram: ${(e as Error).message}`);
      }
    }
    out.stdout(options.json ? `${JSON.stringify(planJson(plan), null, 2)}\n` : formatPlan(plan));
    if (diagram !== undefined && !options.json) out.stderr(`Diagram written to ${path.resolve(diagram)}\n`);
    return plan.policy.passed ? 0 : 1;
  } catch (e) {
    if (e instanceof PlanInputError) {
      out.stderr(`ha-topology plan: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

/** The command-line program. */
export function buildCli(out: CliOutput = processOutput): Command {
  const program = new Command("ha-topology")
    .description("Describe a highly available web service once; plan it offline, check it with ha-guard, deploy it with Pulumi.")
    .configureOutput({ writeOut: out.stdout, writeErr: out.stderr })
    .exitOverride()
    .showHelpAfterError();
  program
    .command("plan")
    .description("Run the program offline for a stack file (no cloud account): workloads and resources, cloud resources, HA summary, ha-guard report, optional diagram.")
    .argument("[stack]", "a stack name (its file is stacks/Pulumi.<name>.yaml) or a stack file's path, such as stacks/examples/Pulumi.aws-services.yaml (same as --stack or --stack-file)")
    .option("-s, --stack <name>", `stack file stacks/Pulumi.<name>.yaml (default: ${defaultStack}, or the stack --stack-file is named for)`)
    .option("--stack-file <file>", "plan this stack file instead (a Pulumi.<stack>.yaml outside stacks/; --stack overrides the name it gives)")
    .option("--json", "print the plan as JSON")
    // Every --diagram is kept (a bare one as `true`), so a stack file commander hands to it is not lost (planTarget).
    .addOption(
      new Option("--diagram [file]", "also draw the topology to a .svg or .png file (default ha-topology-<stack>.svg)")
        .preset(true)
        .argParser((value: string | true, previous: (string | true)[] | undefined) => [...(previous ?? []), value]),
    )
    .option("--policy-pack-config <file>", "policy config JSON (levels and thresholds), as for pulumi --policy-pack-config")
    .action(async (argument: string | undefined, options: Omit<PlanCommandOptions, "diagram"> & { diagram?: (string | true)[] }) => {
      const { target, diagram, problem } = planTarget(argument, options.diagram);
      if (problem) {
        out.stderr(`ha-topology plan: ${problem}\n`);
        process.exitCode = 2;
        return;
      }
      const planOptions: PlanCommandOptions = { ...options, diagram };
      if (target !== undefined) {
        const [key, flag] = isStackFileArgument(target) ? (["stackFile", "--stack-file"] as const) : (["stack", "--stack"] as const);
        if (planOptions[key] !== undefined) {
          out.stderr(`ha-topology plan: ${target} and ${flag} ${planOptions[key]}: give the stack once\n`);
          process.exitCode = 2;
          return;
        }
        planOptions[key] = target;
      }
      process.exitCode = await runPlanCommand(planOptions, out);
    });
  registerDeployCommands(program);
  return program;
}

/** Runs the command line with `argv` (user arguments only); returns the exit code. */
export async function main(argv: string[] = process.argv.slice(2), out: CliOutput = processOutput): Promise<number> {
  const program = buildCli(out);
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    out.stderr(`ha-topology: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main().then((code) => (process.exitCode = code));
}
