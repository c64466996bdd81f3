/**
 * What the tests of the dynamic resources share: evaluating a serialized provider as the
 * provider host does, and, for the waits (AWS refresh and scale-up, GCP and Kubernetes
 * scale-ups), a fake clock that moves only when the wait sleeps, a loopback fake API that is
 * always closed, and the message of a wait that must fail.
 */
import { strict as assert } from "node:assert";
import Module from "node:module";

/** Evaluates a serialized provider the way the provider host does (require-from-string); `P` is the part of it the test calls. */
export function deserializeProvider<P>(text: string): P {
  const Compilable = Module as unknown as new (id: string) => { paths: string[]; exports: { handler(): P }; _compile(code: string, filename: string): void };
  const m = new Compilable("serialized-provider");
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(process.cwd());
  m._compile(text, "serialized-provider.js");
  return m.exports.handler();
}

/** Where every fake clock starts. */
export const fakeStart = Date.parse("2026-12-02T10:00:00Z");

/**
 * A wait's world without its API: a clock that moves only when the wait sleeps (refusing to
 * sleep once aborted), the progress lines it prints, the sleeps it asked for, and the
 * controller of its cancellation.
 */
export function fakeWaitWorld() {
  let now = fakeStart;
  const lines: string[] = [];
  const sleeps: number[] = [];
  const controller = new AbortController();
  const base = {
    now: () => now,
    sleep: async (ms: number, signal: AbortSignal) => {
      if (signal.aborted) throw new Error(String(signal.reason));
      sleeps.push(ms);
      now += ms;
    },
    log: (line: string) => void lines.push(line),
    cancellation: () => ({ signal: controller.signal, dispose() {} }),
  };
  return { base, lines, sleeps, controller, elapsed: () => now - fakeStart };
}

/** Starts a fake API, runs `body` with it, and closes it whatever happens. */
export async function withFake<A extends { close(): Promise<void> }, T>(start: () => Promise<A>, body: (api: A) => Promise<T>): Promise<T> {
  const api = await start();
  try {
    return await body(api);
  } finally {
    await api.close();
  }
}

/** Runs a wait that must fail with an error named `errorName`, and returns its message. */
export async function waitFailure(run: Promise<unknown>, errorName: string): Promise<string> {
  try {
    await run;
  } catch (e) {
    assert.ok(e instanceof Error && e.name === errorName, `a ${errorName}, got ${String(e)}`);
    return e.message;
  }
  return assert.fail("the wait should have failed");
}

/** Aborts `controller` with SIGTERM 100 ms into `run` (a request held by the fake) and asserts the wait stopped at once, saying why. */
export async function assertStopsMidRequest(controller: AbortController, run: () => Promise<unknown>, errorName: string): Promise<void> {
  setTimeout(() => controller.abort("SIGTERM"), 100);
  const started = Date.now();
  const message = await waitFailure(run(), errorName);
  assert.ok(Date.now() - started < 2000, `stopped in ${Date.now() - started} ms`);
  assert.match(message, /cancelled \(SIGTERM\)/);
}

/**
 * Runs `body` with every timer of exactly `pauseMs` firing at once, and returns how many did.
 * A deserialized provider waits on the real clock (its world is sealed in the serialized
 * closure, as in the provider host), so this is how a test skips its poll pauses without
 * reaching into it; every other timer (a request's time limit, the SDK's own) keeps its delay.
 */
export async function withPausesSkipped<T>(pauseMs: number, body: () => Promise<T>): Promise<{ result: T; skipped: number }> {
  const real = globalThis.setTimeout;
  let skipped = 0;
  const shortened = (handler: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    if (ms === pauseMs) skipped++;
    return real(handler, ms === pauseMs ? 0 : ms, ...args);
  };
  globalThis.setTimeout = Object.assign(shortened, { __promisify__: real.__promisify__ }) as typeof setTimeout;
  try {
    return { result: await body(), skipped };
  } finally {
    globalThis.setTimeout = real;
  }
}
