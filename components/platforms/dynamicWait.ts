/**
 * What every cloud's "wait until the nodes serve" dynamic resource shares (issue 19): the
 * poll loop (backoff on throttling, deadline, cancellation also mid-request), the provider
 * host's cancellation (SIGINT/SIGTERM), the real clock/sleep/stdout, the error the engine
 * shows, and the `count`-grows rule that decides when a scale-up is waited for. The AWS
 * refresh wait (aws/refreshWait.ts) and the GCP scale-up wait (gcp/scaleWait.ts) import it.
 *
 * Progress goes to stdout, one line per change: `pulumi.log` does not reach the engine from
 * a dynamic provider in @pulumi/pulumi 3.248 (pulumi/pulumi#6065), and the engine shows a
 * dynamic provider's stdout as info diagnostics (pulumi/pulumi#18253).
 *
 * Cancellation: the provider host answers the engine's Cancel RPC without telling the
 * provider (cmd/dynamic-provider `cancel()` is empty); the engine then stops its plugins
 * with SIGINT (SIGKILL 5 s later), a supervisor with SIGTERM. On either, a wait stops at
 * once and fails with its own message; the process exits a second later as the signal asked.
 *
 * The providers run in the dynamic provider host, loaded from ha-topology's providers bundle
 * (../shippedDynamicResource.ts); this module imports nothing at run time.
 */

/** The pause between two polls when all is well. */
const defaultPollSeconds = 15;
/** The longest pause between two polls after throttling or server errors. */
const maxBackoffMs = 60_000;

/** A cancellation source: a signal that aborts when the wait must stop, and its cleanup. */
export interface Cancellation {
  /** Aborts (its reason a short text: "SIGINT") when the wait must stop. */
  signal: AbortSignal;
  /** Stops listening. */
  dispose(): void;
}

/** The outside world every wait needs besides its cloud's API; injectable so tests need no real time. */
export interface WaitWorld {
  /** The current time, in milliseconds since the epoch. */
  now: () => number;
  /** Waits this many milliseconds, or rejects when the signal aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Prints one progress line where `pulumi up` shows it. */
  log: (line: string) => void;
  /** Where cancellation comes from: the provider host's signals. */
  cancellation: () => Cancellation;
}

/**
 * Cancellation from the provider host's signals: the engine stops its plugins with SIGINT
 * (SIGKILL 5 s later), a supervisor with SIGTERM. The wait stops; the reply (the update's
 * error) gets a moment to go out; then the process exits as the signal asked.
 */
export function processCancellation(): Cancellation {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    controller.abort(name);
    setTimeout(() => process.exit(name === "SIGINT" ? 130 : 143), 1000).unref();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/** setTimeout as a promise that rejects (with the signal's reason) when the signal aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new Error(String(signal.reason)));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error(String(signal.reason)));
    };
    timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The real world: the system clock, setTimeout, stdout, the process's signals. A function
 * rather than a module constant: each wait uses the globals of the moment.
 */
export function realWorld(): WaitWorld {
  return {
    now: () => Date.now(),
    sleep: abortableSleep,
    log: (line) => console.log(line),
    cancellation: processCancellation,
  };
}

/**
 * An error the engine shows as the update's failure; its message is what the user reads.
 * A plain Error with a name, not a subclass: the name is what callers and tests match, and
 * the error survives any serialization with its message (a subclass's did not under
 * Pulumi's closure serializer, which these providers used to go through).
 */
export function waitError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** An API error as one line: `<name>: <message>`. */
export function errorText(e: unknown): string {
  const err = e as { name?: string; message?: string };
  return `${err.name ?? "Error"}: ${err.message ?? String(e)}`;
}

/** One wait's polling: the call, what an answer means, and the errors it ends with. */
export interface PollSpec<A, R> {
  /** The longest the wait lasts. */
  timeoutSeconds: number;
  /** The pause between polls. */
  pollSeconds?: number;
  /** The API call. */
  read: (signal: AbortSignal) => Promise<A>;
  /** Judges an answer: a result ends the wait, undefined polls again, a throw fails it. */
  judge: (answer: A, polls: number) => R | undefined;
  /** True for a failed call worth another poll (throttling, a server error, a network failure). */
  transient: (e: unknown) => boolean;
  /** The error for a call the API refused (not transient). */
  refused: (e: unknown) => Error;
  /** The error for a wait that stopped before its end: `why` says why (timeout, cancellation). */
  stopped: (why: string) => Error;
  /** Why it stopped at the deadline. */
  timedOut: string;
}

/**
 * The poll loop every wait shares: polls every `pollSeconds` (15 by default), backs off
 * (doubling, up to a minute) while the API throttles or fails on its side, never sleeps
 * past the deadline (the last poll is at the deadline itself), and stops at once, also
 * mid-request, when the signal aborts.
 */
export async function pollUntil<A, R>(spec: PollSpec<A, R>, world: Pick<WaitWorld, "now" | "sleep">, signal: AbortSignal): Promise<R> {
  const pollMs = (spec.pollSeconds ?? defaultPollSeconds) * 1000;
  const deadline = world.now() + spec.timeoutSeconds * 1000;
  const cancelled = () => spec.stopped(`cancelled (${String(signal.reason)})`);
  let polls = 0;
  let failuresInARow = 0;
  for (;;) {
    if (signal.aborted) throw cancelled();
    polls++;
    let answer: { value: A } | undefined;
    try {
      answer = { value: await spec.read(signal) };
      failuresInARow = 0;
    } catch (e) {
      if (signal.aborted) throw cancelled();
      if (!spec.transient(e)) throw spec.refused(e);
      failuresInARow++;
    }
    if (answer) {
      const result = spec.judge(answer.value, polls);
      if (result !== undefined) return result;
    }
    const now = world.now();
    if (now >= deadline) throw spec.stopped(spec.timedOut);
    const delay = failuresInARow > 0 ? Math.min(pollMs * 2 ** failuresInARow, maxBackoffMs) : pollMs;
    try {
      await world.sleep(Math.max(0, Math.min(delay, deadline - now)), signal);
    } catch {
      throw cancelled();
    }
  }
}

/** Runs `wait` with a cancellation from `world`, and stops listening after. */
export async function withCancellation<R>(world: Pick<WaitWorld, "cancellation">, wait: (signal: AbortSignal) => Promise<R>): Promise<R> {
  const cancellation = world.cancellation();
  try {
    return await wait(cancellation.signal);
  } finally {
    cancellation.dispose();
  }
}

/** The inputs of a wait that waits for a raised count: the count now, and the one the previous run declared. */
export interface CountInputs {
  /** The node count the program declares now (unset in stacks from before scale-ups were waited for). */
  count?: number;
  /** The count the previous `pulumi up` declared (filled in by `check` from the old inputs; unset on creation). */
  previousCount?: number;
}

/** True when this run raises the count the previous run declared: a scale-up to wait for. */
export function raisesCount(news: CountInputs): boolean {
  return news.count !== undefined && news.previousCount !== undefined && news.count > news.previousCount;
}

/**
 * The `check` step of a count-waiting provider: `previousCount` comes from `olds`, the
 * previous run's INPUTS, which the engine records even when that run changed nothing (diff's
 * `olds` are the outputs of the last update, which a lowering that caused no update leaves
 * behind). Never the one passed in: only the engine's record counts.
 */
export function withPreviousCount<I extends CountInputs>(olds: unknown, news: I): I {
  const { previousCount: _ignored, ...inputs } = news;
  const before = (olds as Partial<CountInputs>).count;
  return { ...inputs, ...(typeof before === "number" && { previousCount: before }) } as I;
}
