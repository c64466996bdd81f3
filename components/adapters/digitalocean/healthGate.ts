/**
 * The rolling-deploy gate for DigitalOcean droplets. DigitalOcean has no rolling
 * primitive (no instance refresh, no managed instance group): the adapter chains its
 * droplets, droplet i+1 depending on gate i, and each gate holds the chain until its
 * droplet is healthy behind the load balancer, so Pulumi replaces one droplet at a time
 * and the pool never drops below the configured count.
 *
 * One gate per droplet, as a Pulumi dynamic resource:
 * - create: returns at once (first deployment, scale-up: there is no old droplet to
 *   protect), or waits like update when `waitOnCreate` is set;
 * - update (its droplet was replaced, so `dropletId` changed): waits until the NEW
 *   droplet passes the load balancer's health check, read from DigitalOcean's monitoring
 *   API, then drains the OLD droplet (removes the node tag, so the load balancer stops
 *   sending it new requests, and waits `drainSeconds`) before the chain moves on. A
 *   timeout fails the update, which stops `pulumi up` before any old droplet is removed;
 * - delete (scale-in, destroy): drains its droplet the same way before Pulumi deletes it
 *   (the gate depends on the droplet, and Pulumi deletes dependents first).
 *
 * Why update drains the old droplet: a gate whose droplet is replaced is updated, not
 * replaced (a replacement gate would be created, and creation does not wait), so its
 * delete never runs during a rollout; and Pulumi deletes replaced droplets only at the
 * end of the deployment. Untagging the old droplet once its successor is healthy keeps
 * `count` healthy droplets in the pool at every step (plus the new one while it boots).
 *
 * The HTTP and waiting logic are plain exported functions with an injectable fetch and
 * clock (`waitUntilHealthy`, `drainDroplet`), tested with fakes in milliseconds.
 *
 * SERIALIZATION CONSTRAINT. A dynamic provider is not imported by the engine: when a
 * DropletHealthGate is registered, Pulumi serializes the provider object with its closure
 * serialization (function source text plus every value it captures) and a separate
 * process (the dynamic provider host) evaluates that text to run create/update/delete.
 * So everything the provider methods reach must be serializable: functions and constants
 * of this module, and Node globals (fetch, setTimeout, Date, JSON, URLSearchParams), which
 * stay free names and resolve in the provider host. They must not use `pulumi` or any
 * other imported module's values: a captured module is serialized along (or the
 * serialization fails), and the SDK must not run inside the provider host. So
 * `@pulumi/pulumi` is used only by the DropletHealthGate class below, which runs in the
 * program, never in the provider host; types are erased and are fine. The mocks test
 * deserializes the registered provider and runs it, to keep this true.
 */
import * as pulumi from "@pulumi/pulumi";

/** The DigitalOcean API root. */
const apiRoot = "https://api.digitalocean.com/v2";
/** The monitoring API path of the per-droplet health check metric of a load balancer. */
const healthChecksPath = "/monitoring/metrics/load_balancer/droplets_health_checks";
/** The longest pause between two polls after errors (the backoff's ceiling). */
const maxBackoffMs = 60_000;
/**
 * The monitoring API's sample period is not documented per metric; observed load balancer
 * metrics come every one to two minutes. The query window is sized from it so that it
 * always holds `healthyThreshold` samples.
 */
const assumedSampleSeconds = 120;

/** The subset of a fetch Response the gate reads (the global Response satisfies it). */
export interface HttpResponse {
  /** The HTTP status code. */
  status: number;
  /** The body, as text. */
  text(): Promise<string>;
}

/** A request the gate makes (a subset of fetch's RequestInit). */
export interface HttpRequest {
  /** The HTTP method. */
  method: "GET" | "DELETE";
  /** Request headers (authorization, content type). */
  headers: Record<string, string>;
  /** A JSON body, when the method takes one. */
  body?: string;
}

/** The fetch the gate calls: the global fetch in the provider, a fake one in tests. */
export type FetchFn = (url: string, init: HttpRequest) => Promise<HttpResponse>;

/** What the gate needs from the outside world; injectable so tests need no network or real time. */
export interface GateDeps {
  /** Makes an HTTP request. */
  fetch: FetchFn;
  /** The current time, in milliseconds since the epoch. */
  now: () => number;
  /** Waits this many milliseconds. */
  sleep: (ms: number) => Promise<void>;
}

/**
 * The real world: global fetch, the system clock, setTimeout. A function rather than a
 * module constant so the serialized provider resolves the globals in the provider host
 * (see the serialization constraint above).
 */
export function defaultDeps(): GateDeps {
  return {
    fetch: (url, init) => fetch(url, init),
    now: () => Date.now(),
    sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  };
}

/** One time series of a Prometheus-style answer of the monitoring API. */
export interface MetricSeries {
  /** The series' labels (which label names the droplet is not documented). */
  metric: Record<string, string>;
  /** The samples as [unix seconds, value as text], oldest first. */
  values: Array<[number, string]>;
}

/** Options of waitUntilHealthy. */
export interface HealthWaitOptions {
  /** The droplet that must become healthy (numeric id, as a string). */
  dropletId: string;
  /** The load balancer whose health check decides. */
  loadBalancerId: string;
  /** A DigitalOcean API token with read access to monitoring. */
  apiToken: string;
  /** How many consecutive healthy samples (the newest ones) count as healthy. */
  healthyThreshold: number;
  /** Give up (and fail) after this many seconds. */
  timeoutSeconds: number;
  /** Seconds between polls while nothing goes wrong (default 10). */
  pollSeconds?: number;
  /**
   * How far back each query reaches, in seconds. Default: five minutes, or more when
   * `healthyThreshold` samples at the assumed sample period need more.
   */
  windowSeconds?: number;
}

/** What waitUntilHealthy found. */
export interface HealthWaitResult {
  /** ISO time of the first sample of the healthy streak that passed the gate. */
  healthySince: string;
  /** How many times the monitoring API was asked. */
  polls: number;
}

/** Options of drainDroplet. */
export interface DrainOptions {
  /** The droplet to take out of the load balancer's pool. */
  dropletId: string;
  /** The tag the load balancer targets. */
  nodeTag: string;
  /** A DigitalOcean API token with write access to tags. */
  apiToken: string;
  /** Seconds to wait after untagging, for in-flight requests to finish. */
  drainSeconds: number;
}

/** What drainDroplet did. */
export type DrainOutcome =
  /** The tag was removed and the drain time waited. */
  | "drained"
  /** The droplet or the tag did not exist any more (HTTP 404): nothing to drain, no wait. */
  | "already-gone";

/** A sample value counts as healthy when it is a positive number ("1", or a percentage above 0). */
export function isHealthySample(value: string): boolean {
  const n = Number(value);
  return Number.isFinite(n) && n > 0;
}

/**
 * Reads the series out of a monitoring API answer, tolerating shapes it should not have
 * (a missing result, an instant `value` instead of `values`). Anything unreadable is no
 * series: the gate keeps polling rather than failing on it.
 */
export function parseSeries(body: unknown): MetricSeries[] {
  const data = (body as { data?: { result?: unknown } } | null)?.data;
  const result = data?.result;
  if (!Array.isArray(result)) return [];
  const series: MetricSeries[] = [];
  for (const entry of result as Array<Record<string, unknown>>) {
    if (typeof entry !== "object" || entry === null) continue;
    const labels = (typeof entry.metric === "object" && entry.metric !== null ? entry.metric : {}) as Record<string, unknown>;
    const raw = Array.isArray(entry.values) ? entry.values : Array.isArray(entry.value) ? [entry.value] : [];
    const values: Array<[number, string]> = [];
    for (const sample of raw as unknown[]) {
      if (!Array.isArray(sample) || sample.length < 2) continue;
      const at = Number(sample[0]);
      if (Number.isFinite(at)) values.push([at, String(sample[1])]);
    }
    values.sort((a, b) => a[0] - b[0]);
    series.push({ metric: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])), values });
  }
  return series;
}

/**
 * The series of one droplet. The label that names the droplet is not documented
 * (`droplet_id`, `host_id`, ...), so any label whose value is the droplet's id matches.
 */
export function seriesOfDroplet(series: MetricSeries[], dropletId: string): MetricSeries[] {
  return series.filter((s) => Object.values(s.metric).some((v) => v === dropletId));
}

/** The verdict on one droplet's series. */
export interface HealthVerdict {
  /** True when every series of the droplet ends with at least `threshold` healthy samples. */
  healthy: boolean;
  /** Unix seconds of the first sample of the healthy streak (when healthy). */
  since?: number;
  /** What was seen, for the timeout message. */
  detail: string;
}

/**
 * Judges a droplet from its series: healthy when each of them ends with `threshold`
 * consecutive healthy samples (several series, e.g. one per forwarding rule, must all agree).
 */
export function judgeDroplet(series: MetricSeries[], dropletId: string, threshold: number): HealthVerdict {
  const own = seriesOfDroplet(series, dropletId);
  if (own.length === 0) {
    const seen = series.slice(0, 5).map((s) => `{${Object.entries(s.metric).map(([k, v]) => `${k}=${v}`).join(",")}}`);
    return {
      healthy: false,
      detail: series.length === 0
        ? "the load balancer reported no health check series yet"
        : `no series names droplet ${dropletId}; series seen: ${seen.join(" ")}${series.length > 5 ? " ..." : ""}`,
    };
  }
  let since = 0;
  let healthy = true;
  const recent: string[] = [];
  for (const s of own) {
    let streak = 0;
    while (streak < s.values.length && isHealthySample(s.values[s.values.length - 1 - streak][1])) streak++;
    recent.push(s.values.slice(-Math.max(threshold, 1)).map((v) => v[1]).join(","));
    if (streak < threshold) healthy = false;
    else since = Math.max(since, s.values[s.values.length - streak][0]);
  }
  return {
    healthy,
    since: healthy ? since : undefined,
    detail: `latest samples of droplet ${dropletId}: [${recent.join("] [")}]`,
  };
}

/** The message of a refused token (401/403), naming the access the gate needs. */
function tokenRefused(status: number, what: string): Error {
  return new Error(
    `DigitalOcean refused the API token (HTTP ${status}) while the droplet health gate ${what}. ` +
      "The gate uses the digitalocean:token of the stack; it needs read access to monitoring " +
      "(scope monitoring:read) and write access to tags (scopes tag:create and tag:delete) " +
      "in addition to what the rest of the stack needs. Fix the token and run `pulumi up` again.",
  );
}

/**
 * Polls the load balancer's per-droplet health check metric until the droplet's newest
 * `healthyThreshold` samples are all healthy. Keeps polling through empty answers, 404,
 * 429, 5xx and network errors (backing off on errors); fails at once on 401/403 and other
 * 4xx; fails after `timeoutSeconds` with a message that says the rollout stopped and how
 * to investigate.
 */
export async function waitUntilHealthy(options: HealthWaitOptions, deps: GateDeps): Promise<HealthWaitResult> {
  const { dropletId, loadBalancerId, apiToken, healthyThreshold, timeoutSeconds } = options;
  const pollMs = (options.pollSeconds ?? 10) * 1000;
  const windowSeconds = options.windowSeconds ?? Math.max(300, (healthyThreshold + 2) * assumedSampleSeconds);
  const deadline = deps.now() + timeoutSeconds * 1000;
  let polls = 0;
  let failuresInARow = 0;
  let detail = "no answer from the monitoring API yet";

  for (;;) {
    const end = Math.floor(deps.now() / 1000);
    const query = new URLSearchParams({ lb_id: loadBalancerId, start: String(end - windowSeconds), end: String(end) });
    polls++;
    let transient = false;
    try {
      const response = await deps.fetch(`${apiRoot}${healthChecksPath}?${query.toString()}`, {
        method: "GET",
        headers: { Authorization: `Bearer ${apiToken}`, Accept: "application/json" },
      });
      const text = await response.text();
      if (response.status === 401 || response.status === 403) {
        throw tokenRefused(response.status, `read load balancer ${loadBalancerId}'s health checks (GET /v2${healthChecksPath})`);
      }
      if (response.status === 200) {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const verdict = judgeDroplet(parseSeries(body), dropletId, healthyThreshold);
        if (verdict.healthy) {
          return { healthySince: new Date((verdict.since ?? end) * 1000).toISOString(), polls };
        }
        detail = verdict.detail;
        failuresInARow = 0;
      } else if (response.status === 404) {
        // The load balancer has no metrics yet (just created) or none for this window.
        detail = "the monitoring API answered 404 (no metrics for the load balancer yet)";
        failuresInARow = 0;
      } else if (response.status === 429 || response.status >= 500) {
        detail = `the monitoring API answered HTTP ${response.status}`;
        transient = true;
      } else {
        throw new Error(
          `The droplet health gate could not read load balancer ${loadBalancerId}'s health checks: ` +
            `GET /v2${healthChecksPath} answered HTTP ${response.status}: ${text.slice(0, 300)}`,
        );
      }
    } catch (e) {
      // Network errors (fetch throws a TypeError) are transient; our own errors are not.
      if (!(e instanceof TypeError)) throw e;
      detail = `the monitoring API could not be reached (${e.message})`;
      transient = true;
    }

    const now = deps.now();
    if (now >= deadline) {
      throw new Error(
        `Droplet ${dropletId} did not become healthy behind load balancer ${loadBalancerId} within ` +
          `${timeoutSeconds} s (the gate needs its ${healthyThreshold} latest health check samples healthy; ` +
          `${detail}). The rolling deploy stopped at this droplet: no old droplet has been removed, and ` +
          "the droplets not yet replaced keep serving behind the load balancer. To investigate, open the " +
          `new droplet's console (DigitalOcean control panel > Droplets > ${dropletId} > Access > Droplet ` +
          "Console) and run `journalctl -u ha-topology-app` (and `cloud-init status --long` if the app " +
          "never started); check that the app answers on the health check path and port. Fix the cause " +
          "and run `pulumi up` again: the gate waits again.",
      );
    }
    failuresInARow = transient ? failuresInARow + 1 : 0;
    const delay = transient ? Math.min(pollMs * 2 ** failuresInARow, maxBackoffMs) : pollMs;
    // Never sleep past the deadline: the last poll happens at the deadline itself.
    await deps.sleep(Math.max(0, Math.min(delay, deadline - now)));
  }
}

/**
 * Takes a droplet out of the load balancer's pool: removes the node tag from it (the load
 * balancer targets the tag), then waits `drainSeconds` for in-flight requests. A 404 (the
 * droplet or the tag is already gone) is fine and skips the wait. 429 and 5xx are retried
 * a few times; any other answer fails with a clear message.
 */
export async function drainDroplet(options: DrainOptions, deps: GateDeps): Promise<DrainOutcome> {
  const { dropletId, nodeTag, apiToken, drainSeconds } = options;
  const url = `${apiRoot}/tags/${encodeURIComponent(nodeTag)}/resources`;
  const request: HttpRequest = {
    method: "DELETE",
    headers: { Authorization: `Bearer ${apiToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({ resources: [{ resource_id: dropletId, resource_type: "droplet" }] }),
  };
  const attempts = 4;
  for (let attempt = 1; ; attempt++) {
    let status: number;
    let text: string;
    try {
      const response = await deps.fetch(url, request);
      status = response.status;
      text = await response.text();
    } catch (e) {
      if (!(e instanceof TypeError) || attempt >= attempts) {
        throw new Error(`The droplet health gate could not remove tag ${nodeTag} from droplet ${dropletId}: ${e instanceof Error ? e.message : String(e)}`);
      }
      await deps.sleep(Math.min(5_000 * 2 ** (attempt - 1), maxBackoffMs));
      continue;
    }
    if (status === 404) return "already-gone";
    if (status >= 200 && status < 300) break;
    if (status === 401 || status === 403) throw tokenRefused(status, `removed tag ${nodeTag} from droplet ${dropletId}`);
    if ((status === 429 || status >= 500) && attempt < attempts) {
      await deps.sleep(Math.min(5_000 * 2 ** (attempt - 1), maxBackoffMs));
      continue;
    }
    throw new Error(
      `The droplet health gate could not take droplet ${dropletId} out of the load balancer: ` +
        `DELETE /v2/tags/${nodeTag}/resources answered HTTP ${status}: ${text.slice(0, 300)}. ` +
        "The droplet was not deleted. Run `pulumi up` (or `pulumi destroy`) again to retry.",
    );
  }
  await deps.sleep(drainSeconds * 1000);
  return "drained";
}

/** The provider's inputs, resolved (secrets arrive unwrapped in the provider host). */
export interface GateInputs {
  /** The droplet the gate watches. */
  dropletId: string;
  /** The load balancer whose health check decides. */
  loadBalancerId: string;
  /** The tag the load balancer targets. */
  nodeTag: string;
  /** Consecutive healthy samples required. */
  healthyThreshold: number;
  /** Seconds before the wait fails. */
  timeoutSeconds: number;
  /** Seconds to wait after untagging a droplet. */
  drainSeconds: number;
  /** The DigitalOcean API token ("" when not configured: the environment's is used at run time). */
  apiToken: string;
  /** Whether create waits too. */
  waitOnCreate: boolean;
}

/** What the provider stores: the inputs (delete needs the tag, the token, the drain time) plus the result. */
export interface GateState extends GateInputs {
  /** ISO time the droplet was seen healthy since, or "" when the gate did not wait. */
  healthySince: string;
}

/** The inputs whose change the gate reacts to; all of them are updates, never replacements. */
const gateKeys: Array<keyof GateInputs> = [
  "dropletId", "loadBalancerId", "nodeTag", "healthyThreshold", "timeoutSeconds", "drainSeconds", "apiToken", "waitOnCreate",
];

/**
 * The gate's diff: a new droplet (or load balancer) is an UPDATE, never a replacement. A
 * replacement would create a new gate (which does not wait) and delete the old one
 * (which drains): the wait would be skipped. Other changed inputs are updates too.
 */
export function diffGate(olds: Partial<GateState>, news: GateInputs): pulumi.dynamic.DiffResult {
  const changed = gateKeys.filter((key) => olds[key] !== news[key]);
  return changed.length > 0 ? { changes: true, replaces: [] } : { changes: false };
}

/**
 * The token a gate uses: its own input, else the environment `pulumi up` runs in (the
 * dynamic provider runs in a process the CLI starts, which inherits it), as the
 * DigitalOcean provider itself falls back to DIGITALOCEAN_TOKEN.
 */
export function gateToken(inputs: Pick<GateInputs, "apiToken">, env: Record<string, string | undefined> = process.env): string {
  const token = inputs.apiToken || env.DIGITALOCEAN_TOKEN || env.DIGITALOCEAN_ACCESS_TOKEN;
  if (!token) {
    throw new Error("the rolling-replacement health gate needs a DigitalOcean API token: set digitalocean:token (as a secret) or DIGITALOCEAN_TOKEN");
  }
  return token;
}

/** The gate's dynamic provider: a ResourceProvider whose diff, update and delete are always there. */
export type HealthGateProvider = Required<Pick<pulumi.dynamic.ResourceProvider<GateInputs, GateState>, "diff" | "create" | "update" | "delete">>;

/**
 * The dynamic provider. `injected` replaces the real world in tests; the provider the
 * DropletHealthGate registers has none and resolves the globals when it runs.
 */
export function healthGateProvider(injected?: GateDeps): HealthGateProvider {
  return {
    async diff(_id: string, olds: GateState, news: GateInputs): Promise<pulumi.dynamic.DiffResult> {
      return diffGate(olds, news);
    },

    async create(inputs: GateInputs): Promise<pulumi.dynamic.CreateResult<GateState>> {
      let healthySince = "";
      if (inputs.waitOnCreate) {
        healthySince = (await waitUntilHealthy({ ...inputs, apiToken: gateToken(inputs) }, injected ?? defaultDeps())).healthySince;
      }
      // The id names the droplet the gate was created for; ids cannot change on update.
      return { id: `gate-${inputs.dropletId}`, outs: { ...inputs, healthySince } };
    },

    async update(_id: string, olds: GateState, news: GateInputs): Promise<pulumi.dynamic.UpdateResult<GateState>> {
      const deps = injected ?? defaultDeps();
      const replaced = Boolean(olds.dropletId) && olds.dropletId !== news.dropletId;
      if (!replaced && olds.loadBalancerId === news.loadBalancerId) {
        // Only settings changed (threshold, drain time, token): nothing to wait for.
        return { outs: { ...news, healthySince: olds.healthySince ?? "" } };
      }
      const apiToken = gateToken(news);
      const { healthySince } = await waitUntilHealthy({ ...news, apiToken }, deps);
      if (replaced) {
        // The old droplet is being replaced: Pulumi deletes it only at the end of the
        // deployment, and the gate is updated, not deleted, so its delete never drains
        // it. Take it out of the pool now, while the new one already serves.
        await drainDroplet({ dropletId: olds.dropletId, nodeTag: olds.nodeTag ?? news.nodeTag, apiToken, drainSeconds: news.drainSeconds }, deps);
      }
      return { outs: { ...news, healthySince } };
    },

    async delete(_id: string, props: GateState): Promise<void> {
      if (!props.dropletId) return;
      await drainDroplet({ ...props, apiToken: gateToken(props) }, injected ?? defaultDeps());
    },
  };
}

/**
 * The provider every gate registers. One object for all gates, so Pulumi serializes it
 * once (it caches the serialized text per provider object).
 */
const gateProvider = healthGateProvider();

/** Arguments of DropletHealthGate. */
export interface DropletHealthGateArgs {
  /** The droplet to gate on (its numeric id, as a string): `droplet.id`. */
  dropletId: pulumi.Input<string>;
  /** The load balancer that health-checks the droplet. */
  loadBalancerId: pulumi.Input<string>;
  /**
   * The tag the load balancer targets; removing it from a droplet drains that droplet.
   * An Input (not only a string) so the adapter can pass a `digitalocean.Tag`'s name.
   */
  nodeTag: pulumi.Input<string>;
  /**
   * Consecutive healthy samples of the monitoring API's health check metric required (the
   * newest ones). Samples come every minute or two, not once per health check.
   */
  healthyThreshold: number;
  /**
   * Seconds to wait for a new droplet before failing the update. A failed gate stops
   * `pulumi up` before any old droplet is removed; its message says to look at the
   * droplet's console and `journalctl -u ha-topology-app`.
   */
  timeoutSeconds: number;
  /** Seconds to wait after taking a droplet out of the pool, for in-flight requests. */
  drainSeconds: number;
  /**
   * A DigitalOcean API token (read access to monitoring, write access to tags). Stored as
   * a secret, in the inputs and in the state. Unset: DIGITALOCEAN_TOKEN when the gate runs.
   */
  apiToken?: pulumi.Input<string>;
  /**
   * Whether creating the gate waits for its droplet too. Default false: on the first
   * deployment and on scale-up there is no old droplet to protect, and waiting would only
   * make the first `pulumi up` slower (droplets would come up one after another).
   */
  waitOnCreate?: boolean;
}

/** Fails before registration on a setting the gate cannot work with. */
function checkGateArgs(name: string, args: DropletHealthGateArgs): void {
  const checks: Array<[string, number, number]> = [
    ["healthyThreshold", args.healthyThreshold, 1],
    ["timeoutSeconds", args.timeoutSeconds, 1],
    ["drainSeconds", args.drainSeconds, 0],
  ];
  for (const [key, value, min] of checks) {
    if (!Number.isInteger(value) || value < min) {
      throw new Error(`DropletHealthGate ${name}: ${key} must be an integer >= ${min}, got ${String(value)}`);
    }
  }
  if (args.nodeTag === "") throw new Error(`DropletHealthGate ${name}: nodeTag must not be empty`);
}

/**
 * Holds the droplet chain until its droplet is healthy behind the load balancer (see the
 * module comment). Make the next droplet `dependsOn` this gate.
 */
export class DropletHealthGate extends pulumi.dynamic.Resource {
  // `declare`, not a field: with ES2022 class fields a field initializer would overwrite
  // the output the Resource constructor attaches.
  /** The droplet the gate last waited for. */
  declare readonly dropletId: pulumi.Output<string>;
  /** ISO time the droplet was seen healthy since, or "" when the gate did not wait. */
  declare readonly healthySince: pulumi.Output<string>;

  constructor(name: string, args: DropletHealthGateArgs, opts?: pulumi.CustomResourceOptions) {
    checkGateArgs(name, args);
    super(
      gateProvider,
      name,
      {
        dropletId: args.dropletId,
        loadBalancerId: args.loadBalancerId,
        nodeTag: args.nodeTag,
        healthyThreshold: args.healthyThreshold,
        timeoutSeconds: args.timeoutSeconds,
        drainSeconds: args.drainSeconds,
        apiToken: pulumi.secret(args.apiToken ?? ""),
        waitOnCreate: args.waitOnCreate ?? false,
        healthySince: undefined,
      },
      // The provider stores the token in its outputs (delete needs it); keep it encrypted there too.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["apiToken"] }),
      "ha-topology",
      "DropletHealthGate",
    );
  }
}
