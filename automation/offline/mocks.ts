/**
 * Runs the real program under `pulumi.runtime.setMocks` with a given stack configuration
 * and returns every resource it registered (type, name, inputs, parent chain) or the
 * error it stopped with. No credentials, no network, no Pulumi CLI.
 */
import * as pulumi from "@pulumi/pulumi";
import { mockCall, mockState } from "./cloudState";
import type { StackConfig } from "../stackFiles";

/** One registered resource, as the engine would have received it. */
export interface RegisteredResource {
  /** The type token ("aws:autoscaling/group:Group"). */
  type: string;
  /** The logical name. */
  name: string;
  /** The URN (its type part carries the parent chain). */
  urn: string;
  /** The type tokens of the ancestors, outermost first (the stack itself is not one). */
  parents: string[];
  /** Inputs with secrets unwrapped, for asserting values. */
  inputs: Record<string, any>;
  /** Inputs exactly as sent, with secret wrappers, for auditing secrecy. */
  rawInputs: Record<string, unknown>;
  /** True for custom (cloud) resources, false for components. */
  custom: boolean;
  /** Outputs as the mocked provider reported them (inputs plus computed values). */
  outputs: Record<string, any>;
  /** URNs this resource depends on (explicit dependsOn and those its inputs came from). */
  dependencies: string[];
  /** Per input property, the URNs its value came from. */
  propertyDependencies: Record<string, string[]>;
  /** The parent's URN (the stack's for top-level resources). */
  parentUrn?: string;
  /** The `protect` resource option. */
  protect: boolean;
  /** The `replaceOnChanges` resource option (empty when unset). */
  replaceOnChanges: string[];
  /** The `retainOnDelete` resource option (deleting it only removes it from the state). */
  retainOnDelete: boolean;
  /** The `ignoreChanges` resource option (property paths). */
  ignoreChanges: string[];
  /** The `deleteBeforeReplace` resource option (a replacement deletes the old one first). */
  deleteBeforeReplace: boolean;
}

/** A message the program logged (pulumi.log), which a real engine would show. */
export interface ProgramLog {
  /** Its severity. */
  severity: "debug" | "info" | "warning" | "error";
  /** The text. */
  message: string;
}

/** What one program run produced. */
export interface ProgramRun {
  /** Every registered resource, in registration order. */
  resources: RegisteredResource[];
  /** What the program logged, in order. */
  logs: ProgramLog[];
  /** The stack outputs, resolved, when the program succeeded. */
  outputs?: Record<string, unknown>;
  /** The error the program stopped with, if any. */
  error?: Error;
}

/** The parts of a RegisterResourceRequest this harness reads. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getProtect(): boolean;
  getReplaceonchangesList(): string[];
  getRetainondelete(): boolean | undefined;
  getIgnorechangesList(): string[];
  getDeletebeforereplace(): boolean;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(f: (deps: { getUrnsList(): string[] }, key: string) => void): void };
}

/** The parts of the SDK's MockMonitor this harness uses. */
interface MockMonitor {
  registerResource(request: RegisterRequest, callback: unknown): unknown;
  getRegisteredResources(): Map<string, unknown>;
}

/** What the engine learns from a registration beyond the inputs. */
type Registration = Pick<RegisteredResource, "dependencies" | "propertyDependencies" | "parentUrn" | "protect" | "replaceOnChanges" | "retainOnDelete" | "ignoreChanges" | "deleteBeforeReplace">;

const secretKey = pulumi.runtime.specialSigKey;
const secretSig = pulumi.runtime.specialSecretSig;

/** True when a value sent to the engine is wrapped as secret. */
export function isSecretValue(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[secretKey] === secretSig;
}

/** Removes secret wrappers, recursively. */
export function unwrapSecrets(value: unknown): any {
  if (isSecretValue(value)) return unwrapSecrets((value as { value: unknown }).value);
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

// The runtime's internal "wait until every registration has settled" (what disconnect
// awaits); public API only offers it combined with tearing the connection down.
const waitForRegistrations = (pulumi.runtime as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs;

/** Resolves an Output (or plain value) to its value, rejecting when the Output failed. */
function settle(value: unknown): Promise<unknown> {
  // Output.promise() is internal but stable; apply() alone never settles a failed Output.
  return (pulumi.output(value) as unknown as { promise(): Promise<unknown> }).promise();
}

/**
 * Runs `components/program` with `config`. The program module is imported after the
 * mocks are installed (it must never see a real engine).
 */
export async function runWithMocks(
  config: StackConfig,
  options: {
    project?: string;
    stack?: string;
    /**
     * Another program to run instead of `components/program` (imports inside it happen after
     * the mocks): its stack outputs, or a module's exports. Exports that are a function are
     * called and what it returns is the outputs, as Pulumi's runner does (program.js).
     */
    program?: () => Promise<Record<string, unknown> | (() => unknown)>;
  } = {},
): Promise<ProgramRun> {
  const recorded = new Map<string, Omit<RegisteredResource, "urn" | "parents" | keyof Registration>>();
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const rawInputs = args.inputs as Record<string, unknown>;
        const inputs = unwrapSecrets(rawInputs) as Record<string, any>;
        const outputs = mockState(args.type, args.name, inputs);
        recorded.set(`${args.type}::${args.name}`, { type: args.type, name: args.name, inputs, rawInputs, outputs, custom: args.custom ?? true });
        return { id: args.custom === false ? undefined : `${args.name}-id`, state: outputs };
      },
      call: (args) => mockCall(args),
    },
    options.project ?? "ha-topology",
    options.stack ?? "test",
    false,
  );
  pulumi.runtime.setAllConfig(config.values, config.secretKeys);

  // The mocks API does not pass dependencies or options to newResource: read them off the requests.
  const registrations = new Map<string, Registration>();
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    const propertyDependencies: Record<string, string[]> = {};
    request.getPropertydependenciesMap().forEach((deps, key) => (propertyDependencies[key] = deps.getUrnsList()));
    registrations.set(`${request.getType()}::${request.getName()}`, {
      dependencies: request.getDependenciesList(),
      propertyDependencies,
      parentUrn: request.getParent() || undefined,
      protect: request.getProtect(),
      replaceOnChanges: request.getReplaceonchangesList(),
      retainOnDelete: request.getRetainondelete() ?? false,
      ignoreChanges: request.getIgnorechangesList(),
      deleteBeforeReplace: request.getDeletebeforereplace(),
    });
    return register(request, callback);
  };

  // Without an engine, pulumi.log writes "<severity>: [runtime] <message>" to the console;
  // keep those lines as data (the plan prints them, JSON output must stay clean).
  const logs: ProgramLog[] = [];
  const consoleMethods = ["log", "warn", "error"] as const;
  const originals = consoleMethods.map((m) => console[m]);
  consoleMethods.forEach((method, i) => {
    console[method] = (...args: unknown[]) => {
      const match = args.length === 1 && typeof args[0] === "string" ? /^(debug|info|warning|error): \[runtime\] ([\s\S]*)$/.exec(args[0]) : null;
      if (match) logs.push({ severity: match[1] as ProgramLog["severity"], message: match[2] });
      else originals[i].apply(console, args);
    };
  });

  // An error thrown while a resource's inputs resolve (e.g. a check inside an apply) is an
  // unhandled rejection; the real runtime fails the program on it, and so does this run,
  // instead of waiting forever for a registration that will never complete.
  const toError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));
  let rejected: (e: Error) => void = () => undefined;
  const unhandled = new Promise<never>((_, reject) => (rejected = reject));
  const onUnhandled = (reason: unknown) => rejected(toError(reason));
  process.on("unhandledRejection", onUnhandled);

  // The SDK records a stack trace for every promise it creates (for leak reports); under
  // tsx's source maps that costs ~20 ms per resource (27 s for 1000 droplets). Offline runs
  // report errors by message, so stack capture is off while the program runs, unless
  // HA_TOPOLOGY_STACK_TRACES=1 asks for it (to debug a crash in the program).
  const stackTraceLimit = Error.stackTraceLimit;
  const sourceMaps = process.sourceMapsEnabled;
  if (process.env.HA_TOPOLOGY_STACK_TRACES !== "1") {
    Error.stackTraceLimit = 0;
    // The SDK still takes a whole stack per resource (its source position, whatever the
    // limit); a loader's source maps (tsx: the tests) made mapping it most of that cost.
    process.setSourceMapsEnabled(false);
  }

  let outputs: Record<string, unknown> | undefined;
  let error: Error | undefined;
  try {
    await Promise.race([
      unhandled,
      (async () => {
        // Loaded only now, after setMocks (a program module must never see a real engine);
        // require rather than import(): it also works under a CommonJS-only TypeScript hook.
        const program = (): typeof import("../../components/program") => require("../../components/program");
        const exported = options.program ? await options.program() : program().runProgram();
        const stackOutputs = (typeof exported === "function" ? await exported() : exported) as Record<string, unknown>;
        outputs = Object.fromEntries(
          await Promise.all(Object.entries(stackOutputs).map(async ([key, value]) => [key, await settle(value)] as const)),
        );
        await waitForRegistrations();
      })(),
    ]);
  } catch (e) {
    error = toError(e);
    outputs = undefined;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    process.setSourceMapsEnabled(sourceMaps);
    process.off("unhandledRejection", onUnhandled);
    consoleMethods.forEach((method, i) => (console[method] = originals[i]));
  }

  // A mock URN names only the immediate parent's type: the chain is followed through each
  // registration's parent URN (a component type may sit under several parents: JsonSecret).
  const keyOf = (urn: string) => {
    const [, , qualifiedType, name] = urn.split("::");
    const chain = qualifiedType.split("$");
    return { type: chain[chain.length - 1], name };
  };
  const resources: RegisteredResource[] = [];
  for (const urn of monitor.getRegisteredResources().keys()) {
    const link = keyOf(urn);
    const entry = recorded.get(`${link.type}::${link.name}`);
    if (!entry) continue;
    const registration = registrations.get(`${link.type}::${link.name}`) ?? { dependencies: [], propertyDependencies: {}, protect: false, replaceOnChanges: [], retainOnDelete: false, ignoreChanges: [], deleteBeforeReplace: false };
    const parents: string[] = [];
    const seen = new Set<string>();
    for (let p = registration.parentUrn; p !== undefined && !seen.has(p); p = registrations.get(`${keyOf(p).type}::${keyOf(p).name}`)?.parentUrn) {
      seen.add(p);
      parents.unshift(keyOf(p).type);
    }
    resources.push({ ...entry, ...registration, urn, parents });
  }
  return { resources, logs, outputs, error };
}
