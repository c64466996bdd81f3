/**
 * The program undoes the source-map-support hook Pulumi's runner installs (it would map
 * every stack trace the SDK takes per promise: components/stackTraceCost.ts), and touches
 * nothing where that hook is not installed. It has the SDK take its per-promise traces only
 * when the leak report can print them (PULUMI_DEBUG_PROMISE_LEAKS), with the report unchanged.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { skipUnreadPromiseStackTraces, type PromiseDebugging } from "../components/stackTraceCost";

const root = path.resolve(__dirname, "..");

/** Runs the aws example stack under mocks in a fresh node, after `preload`; reports the stack trace hook before and after. */
function hookAround(preload: string[], setup = ""): { before: string; after: string } {
  const script = `
    ${setup}
    const name = () => typeof Error.prepareStackTrace === "function" ? Error.prepareStackTrace.name || "anonymous" : "none";
    const before = name();
    const { runWithMocks } = require("./automation/offline/mocks");
    const { loadStackConfig } = require("./automation/stackFiles");
    runWithMocks(loadStackConfig("aws"), { stack: "traces" }).then((run) => {
      if (run.error) throw run.error;
      process.stdout.write(JSON.stringify({ before, after: name() }));
    });`;
  const result = spawnSync(process.execPath, [...preload, "--import", "tsx", "-e", script], { cwd: root, encoding: "utf8", timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as { before: string; after: string };
}

describe("Stack traces under Pulumi's runner", function () {
  it("drops source-map-support's prepareStackTrace, as the runner installs it (-r source-map-support/register)", function () {
    assert.deepEqual(hookAround(["-r", "source-map-support/register"]), { before: "prepareStackTrace", after: "none" });
  });

  it("leaves any other hook alone (tsx's source maps, a user's own formatter)", function () {
    assert.deepEqual(hookAround([], "Error.prepareStackTrace = function mine(e, frames) { return String(e) + frames.length; };"), { before: "mine", after: "mine" });
  });
});

/**
 * Runs the aws example stack under mocks in a fresh node with the SDK's stack traces on
 * (HA_TOPOLOGY_STACK_TRACES=1: the offline run would otherwise turn them off), recording the
 * stack trace limit the SDK's own `debuggablePromise` sees at each call; then leaves one
 * promise pending, for the SDK's leak report at exit.
 */
function promiseTraces(env: Record<string, string> = {}) {
  const script = `
    const debugging = require("@pulumi/pulumi/runtime/debuggable");
    const sdk = debugging.debuggablePromise;
    const limits = [];
    debugging.debuggablePromise = function (p, context) { limits.push(Error.stackTraceLimit); return sdk(p, context); };
    const { runWithMocks } = require("./automation/offline/mocks");
    const { loadStackConfig } = require("./automation/stackFiles");
    runWithMocks(loadStackConfig("aws"), { stack: "traces" }).then((run) => {
      if (run.error) throw run.error;
      const pending = new Promise(() => {});
      debugging.debuggablePromise(pending, "left pending");
      process.stdout.write(JSON.stringify({ calls: limits.length, limits: [...new Set(limits)], after: Error.stackTraceLimit, trace: pending._debugStackTrace }));
    });`;
  const result = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
    cwd: root,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, HA_TOPOLOGY_STACK_TRACES: "1", PULUMI_DEBUG_PROMISE_LEAKS: "", ...env },
  });
  const observed = JSON.parse(result.stdout) as { calls: number; limits: number[]; after: number; trace: string };
  return { ...observed, status: result.status, stderr: result.stderr };
}

describe("The SDK's per-promise stack traces", function () {
  it("are not taken when nothing can read them; the leak report and its exit code are unchanged", function () {
    const run = promiseTraces();
    assert.ok(run.calls > 1000, `the SDK made its promises through its module's export (${run.calls} calls)`);
    assert.deepEqual(run.limits, [0], "every promise of the run was recorded without a trace");
    assert.equal(run.after, 10, "every other stack trace keeps Node's limit");
    assert.equal(run.trace, "Error");
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /The Pulumi runtime detected that 1 promise was still active/);
  });

  it("are taken as the SDK takes them under PULUMI_DEBUG_PROMISE_LEAKS, and the leak report prints them", function () {
    const run = promiseTraces({ PULUMI_DEBUG_PROMISE_LEAKS: "1" });
    assert.deepEqual(run.limits, [10]);
    assert.match(run.trace, /^Error\n {4}at /);
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /Promise leak detected:\nCONTEXT\(\d+\): left pending\nSTACK_TRACE:\nError\n {4}at /);
  });

  describe("skipUnreadPromiseStackTraces", function () {
    /** A stand-in of the SDK's module whose function records the limit and returns its promise. */
    function standIn(debugPromiseLeaks = false) {
      const limits: number[] = [];
      const debugging: PromiseDebugging = {
        debugPromiseLeaks,
        debuggablePromise: (p) => {
          limits.push(Error.stackTraceLimit);
          if (limits.length === 3) throw new Error("the SDK's own failure");
          return p;
        },
      };
      return { debugging, limits };
    }

    it("wraps once: a second program run in the process adds no second wrapper", function () {
      const { debugging, limits } = standIn();
      skipUnreadPromiseStackTraces(debugging);
      const once = debugging.debuggablePromise;
      skipUnreadPromiseStackTraces(debugging);
      assert.equal(debugging.debuggablePromise, once);
      const p = Promise.resolve(1);
      assert.equal(debugging.debuggablePromise(p, "c"), p, "the SDK's promise is returned as it is");
      assert.deepEqual(limits, [0]);
    });

    it("restores the limit when the SDK throws, and reads PULUMI_DEBUG_PROMISE_LEAKS at each call", function () {
      const { debugging, limits } = standIn();
      skipUnreadPromiseStackTraces(debugging);
      const limit = Error.stackTraceLimit;
      debugging.debuggablePromise(Promise.resolve(), "a");
      debugging.debugPromiseLeaks = true;
      debugging.debuggablePromise(Promise.resolve(), "b");
      assert.throws(() => debugging.debuggablePromise(Promise.resolve(), "c"), /the SDK's own failure/);
      assert.equal(Error.stackTraceLimit, limit);
      assert.deepEqual(limits, [0, limit, limit]);
    });

    it("leaves a module of another shape alone", function () {
      const take = () => Promise.resolve();
      const noFlag: Partial<PromiseDebugging> = { debuggablePromise: take };
      skipUnreadPromiseStackTraces(noFlag);
      assert.equal(noFlag.debuggablePromise, take);
      const noFunction: Partial<PromiseDebugging> = { debugPromiseLeaks: false };
      skipUnreadPromiseStackTraces(noFunction);
      assert.deepEqual(noFunction, { debugPromiseLeaks: false });
    });

    it("leaves the SDK alone when the limit cannot be set (frozen intrinsics)", function () {
      const { debugging } = standIn();
      const take = debugging.debuggablePromise;
      const descriptor = Object.getOwnPropertyDescriptor(Error, "stackTraceLimit")!;
      Object.defineProperty(Error, "stackTraceLimit", { ...descriptor, writable: false });
      try {
        skipUnreadPromiseStackTraces(debugging);
      } finally {
        Object.defineProperty(Error, "stackTraceLimit", descriptor);
      }
      assert.equal(debugging.debuggablePromise, take);
    });
  });
});
