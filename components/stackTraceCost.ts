/**
 * What the stack traces the Pulumi SDK takes cost the program's run, and the two it need not pay.
 *
 * Why: the SDK takes a stack trace for every promise it makes (`debuggablePromise`: about 60
 * per resource) and another for every resource's source position. Under Pulumi's runner
 * each one was also rewritten through the SDK's own `.js.map` files (source-map-support),
 * which made that mapping most of an evaluation: 1000 DigitalOcean droplets took 28 s of CPU
 * with the hook and 9.5 s without it (bench, stack traces on). What was left was mostly the
 * per-promise traces themselves: taken and formatted, then never read (see below).
 *
 * The source positions are kept as the SDK takes them: the engine records them.
 */

/** Whether source-map-support is loaded in this process (it installs `Error.prepareStackTrace`). */
function sourceMapSupportLoaded(): boolean {
  return Object.keys(require.cache).some((file) => /[\\/]node_modules[\\/]source-map-support[\\/]/.test(file));
}

/**
 * Restores V8's own stack trace formatting when source-map-support installed its own
 * (Pulumi's Node runner, `@pulumi/pulumi/cmd/run`, installs it before it loads the program).
 * The mapping only ever changed the SDK's frames: the program's bundle links no source map
 * (build.js), so its frames read the same either way (dist/program.js:line, the map beside
 * it for a human). Elsewhere, under tsx (the tests) or in the command's process, the hook is
 * not there and nothing changes.
 */
export function dropSourceMappedStackTraces(): void {
  if (sourceMapSupportLoaded()) Reflect.deleteProperty(Error, "prepareStackTrace");
}

/** The SDK module that takes the per-promise traces (`@pulumi/pulumi/runtime/debuggable`, internal). */
export interface PromiseDebugging {
  /** True under PULUMI_DEBUG_PROMISE_LEAKS: the leak report then prints each leaked promise's trace. */
  debugPromiseLeaks: boolean;
  /** Records a promise as a leak candidate until it settles, with its id, context and stack trace. */
  debuggablePromise: (promise: Promise<unknown>, context: unknown) => Promise<unknown>;
}

/** Marks the SDK's function once wrapped, so a second program run in a process wraps it no further. */
const wrapped = Symbol.for("ha-topology.unreadPromiseStackTraces");

/**
 * Has the SDK take its per-promise stack trace only when it can be read.
 *
 * `debuggablePromise` stores `new Error().stack` on each promise (formatted at once: the
 * `.stack` is read) for one reader, the report of promises still pending at exit, and that
 * report prints the traces only under PULUMI_DEBUG_PROMISE_LEAKS; otherwise it prints a
 * count and advice. So, unless that variable is set, the trace is taken with
 * `Error.stackTraceLimit` at 0 for the length of that call: the promise still gets its id
 * and context and is still a leak candidate (the report and its exit code are unchanged),
 * and every other stack trace keeps the limit it had. Measured: a fifth to a quarter of a
 * recipe's evaluation (bench), and 8.5 s to about 4 s at 1000 droplets. It holds for the
 * process: in an Automation API host that runs other programs too, theirs skip the unread
 * traces as well, and nothing they could read changes. Nothing happens when the SDK's module
 * has another shape, or when the limit cannot be set (frozen intrinsics).
 */
export function skipUnreadPromiseStackTraces(debugging: Partial<PromiseDebugging> = sdkPromiseDebugging()): void {
  const take = debugging.debuggablePromise;
  if (typeof take !== "function" || typeof debugging.debugPromiseLeaks !== "boolean" || wrapped in take) return;
  if (!Object.getOwnPropertyDescriptor(Error, "stackTraceLimit")?.writable) return;
  const takeWithoutTrace = function debuggablePromise(promise: Promise<unknown>, context: unknown): Promise<unknown> {
    if (debugging.debugPromiseLeaks) return take(promise, context);
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return take(promise, context);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
  Object.defineProperty(takeWithoutTrace, wrapped, { value: true });
  debugging.debuggablePromise = takeWithoutTrace;
}

/** The SDK's module, as the runner loaded it (the SDK calls it through its exports). */
function sdkPromiseDebugging(): Partial<PromiseDebugging> {
  return require("@pulumi/pulumi/runtime/debuggable") as Partial<PromiseDebugging>;
}
