/**
 * The rolling-deploy gate for DigitalOcean droplets. DigitalOcean has no rolling
 * primitive (no instance refresh, no managed instance group), so the adapter builds one
 * whose promise is: **the load balancer never holds fewer than `nodes.count` healthy
 * droplets because of something the tool did**, on every path (rollout, size change,
 * scale-in, a failed gate, the next `pulumi up` after any failure, a crash between steps).
 *
 * Three dynamic resources (see nodeGroup.ts for how they are wired):
 *
 * - DropletHealthGate, one per droplet; droplet i+1 depends on gate i. When droplet i is
 *   replaced, its gate is UPDATED (its diff never replaces): it waits until the NEW
 *   droplet passes the load balancer's health check, then takes the OLD droplet out of
 *   the pool with `leavePool` (below). So droplets are replaced one at a time, and a new
 *   droplet that never gets healthy stops `pulumi up` before the next one is touched.
 *   Its delete does nothing: the guard below drains.
 * - DropletDrainGuard, one per droplet, REPLACED (create-before-delete) whenever its
 *   droplet is: when droplet i is replaced, the old guard stays in the state next to the
 *   old droplet, and its delete runs `leavePool` for the old droplet. The guard depends
 *   on the droplet, and Pulumi deletes dependents before what they depend on (also among
 *   resources left pending-delete by a failed update), so the old droplet's delete can
 *   only start once its guard's delete succeeded. Whatever runs first and whatever
 *   failed before, a droplet is never deleted while it is still needed.
 * - DropletPoolRelease, one per node group, depending on every guard: deleted only by
 *   `pulumi destroy` (or when the node group goes away), first of all, it removes the
 *   floor tag (below) from the droplets, so the guards may then drain them all.
 *
 * When the engine deletes what. Since Pulumi 3.46 (pulumi/pulumi#11027) `pulumi up`
 * deletes resources left pending-delete by a failed update at the END of the next update,
 * after the program's steps, in reverse dependency order and in parallel where the graph
 * allows (`performDeletes` -> `ScheduleDeletes`, antichain by antichain); older engines
 * deleted them FIRST, before any step. So a gate cannot rely on a later run to drain what
 * it left behind (the next run may delete first), and guards of different droplets may
 * run at the same time. Hence the guards and the protocol below, which are safe in every
 * order and under concurrency.
 *
 * `leavePool(X)`: a droplet X leaves the pool only when, without it, at least `floor`
 * OTHER droplets are AVAILABLE: carrying the serving tag, in the load balancer's droplet
 * list, active, not leaving, and fully healthy in the load balancer's health metric. It
 * is read live from the API (not from any state), so it holds whatever the engine did
 * before. Several leavers at once (parallel deletes) are made safe by announcing first:
 * X gets the LEAVING tag, THEN reads the pool, and counts no leaving droplet as
 * available. Of two droplets that both drain, the one that read the pool later saw the
 * other's announcement (made before the other's read) and did not count it; so the last
 * one to decide saw `floor` available droplets that are all still there. A waiting leaver
 * that sees a leaver with a smaller droplet ID withdraws its announcement and waits until
 * that one is out of the pool, so two leavers never wait for each other forever. A leaver
 * that times out withdraws too, and fails the update before anything was removed.
 *
 * The floor. The gate uses `nodes.count` from its inputs. A guard's delete cannot see
 * the current program (after a scale-in its stored count is the old one), so the floor
 * is written on the droplets themselves: each carries the tag `<nodeTag>-floor-<count>`
 * (its Tag resource is renamed, hence replaced, when `nodes.count` changes, and the
 * droplets' tags are updated in place before any delete runs); the floor of X is the
 * largest such number on the OTHER droplets of the pool, and 0 when none carries one
 * (`pulumi destroy`, after the release removed them).
 *
 * Healthy. The monitoring API's `droplets_health_checks` metric is not documented beyond
 * its name. Its samples are read as the share of the load balancer's health checks that
 * the droplet passed in the sample period: 0/1 in the answers seen, possibly a percentage
 * 0-100. A sample is healthy only at FULL health (1, or 100 in a series that uses the
 * percentage scale, i.e. has any sample above 1); "0.5", "33" or "99" are not healthy. A
 * droplet is healthy when each of its series ends with `healthyThreshold` consecutive
 * healthy samples.
 *
 * The HTTP and waiting logic are plain exported functions with an injectable fetch and
 * clock (`waitUntilHealthy`, `readPool`, `leavePool`, `changeTag`), tested against a fake
 * DigitalOcean API in milliseconds, including the engine's orders of operations.
 *
 * Where the providers run. The engine does not import this module: a separate process (the
 * dynamic provider host) runs create/update/delete, loading each provider from
 * ha-topology's providers bundle through the resource's short `__provider` text
 * (../../shippedDynamicResource.ts), one text per resource type and no code per droplet.
 * The mocks tests load each registered provider as the host does and run it.
 */
import * as pulumi from "@pulumi/pulumi";
import { judgeDroplet, parseSeries } from "./healthMetric";
import { ShippedDynamicResource } from "../../shippedDynamicResource";

export { fullHealthOf, isHealthySample, judgeDroplet, parseSeries, seriesOfDroplet, type HealthVerdict, type MetricSeries } from "./healthMetric";

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
  method: "GET" | "POST" | "DELETE";
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
 * module constant: each call uses the globals of the moment (tests stand in for fetch).
 */
export function defaultDeps(): GateDeps {
  return {
    fetch: (url, init) => fetch(url, init),
    now: () => Date.now(),
    sleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  };
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

/** What changeTag did. */
export type TagOutcome =
  /** The tag was added or removed. */
  | "done"
  /** The droplet or the tag did not exist (HTTP 404). */
  | "already-gone";

/**
 * Adds (POST) or removes (DELETE) a tag on a droplet. A 404 (droplet or tag gone) is
 * reported, not thrown. 429, 5xx and network errors are retried a few times; any other
 * answer fails with a clear message.
 */
export async function changeTag(
  method: "POST" | "DELETE",
  tag: string,
  dropletId: string,
  apiToken: string,
  deps: GateDeps,
): Promise<TagOutcome> {
  const url = `${apiRoot}/tags/${encodeURIComponent(tag)}/resources`;
  const request: HttpRequest = {
    method,
    headers: { Authorization: `Bearer ${apiToken}`, "Content-Type": "application/json" },
    body: JSON.stringify({ resources: [{ resource_id: dropletId, resource_type: "droplet" }] }),
  };
  const what = method === "POST" ? `add tag ${tag} to droplet ${dropletId}` : `remove tag ${tag} from droplet ${dropletId}`;
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
        throw new Error(`The droplet health gate could not ${what}: ${e instanceof Error ? e.message : String(e)}`);
      }
      await deps.sleep(Math.min(5_000 * 2 ** (attempt - 1), maxBackoffMs));
      continue;
    }
    if (status === 404) return "already-gone";
    if (status >= 200 && status < 300) return "done";
    if (status === 401 || status === 403) throw tokenRefused(status, `tried to ${what}`);
    if ((status === 429 || status >= 500) && attempt < attempts) {
      await deps.sleep(Math.min(5_000 * 2 ** (attempt - 1), maxBackoffMs));
      continue;
    }
    throw new Error(
      `The droplet health gate could not ${what}: ${method} /v2/tags/${tag}/resources answered HTTP ${status}: ` +
        `${text.slice(0, 300)}. No droplet was deleted. Run \`pulumi up\` (or \`pulumi destroy\`) again to retry.`,
    );
  }
}

/**
 * Takes a droplet out of the load balancer's pool: removes the serving tag from it (the
 * load balancer targets the tag), then waits `drainSeconds` for in-flight requests. A 404
 * (the droplet or the tag is already gone) is fine and skips the wait. It does NOT check
 * that the pool can spare the droplet: `leavePool` does, then calls this.
 */
export async function drainDroplet(options: DrainOptions, deps: GateDeps): Promise<DrainOutcome> {
  const { dropletId, nodeTag, apiToken, drainSeconds } = options;
  let outcome: TagOutcome;
  try {
    outcome = await changeTag("DELETE", nodeTag, dropletId, apiToken, deps);
  } catch (e) {
    throw new Error(`The droplet health gate could not take droplet ${dropletId} out of the load balancer. ${e instanceof Error ? e.message : String(e)}`);
  }
  if (outcome === "already-gone") return "already-gone";
  await deps.sleep(drainSeconds * 1000);
  return "drained";
}

/** One droplet of the pool, as the API shows it now. */
export interface PoolDroplet {
  /** The droplet's numeric id, as a string. */
  id: string;
  /** Its tags. */
  tags: string[];
  /** True when its status is "active" (not off, not being resized or created). */
  active: boolean;
  /** True when the load balancer's droplet list holds it. */
  inLoadBalancer: boolean;
  /** True when its health check series are at full health for `healthyThreshold` samples. */
  healthy: boolean;
}

/** The pool: every droplet that carries the serving tag, read live. */
export interface PoolSnapshot {
  /** The droplets with the serving tag. */
  droplets: PoolDroplet[];
}

/** Options of readPool. */
export interface PoolReadOptions {
  /** The tag the load balancer targets. */
  servingTag: string;
  /** The load balancer. */
  loadBalancerId: string;
  /** A DigitalOcean API token (droplet, load balancer and monitoring read). */
  apiToken: string;
  /** Consecutive samples at full health that make a droplet healthy. */
  healthyThreshold: number;
}

/** The name of the errors worth retrying (see transientApiError). */
const transientApiErrorName = "TransientApiError";

/** Thrown by getJson on an answer worth retrying (429, 5xx, network); anything else is final. */
function transientApiError(message: string): Error {
  // A named plain Error, not a subclass, as every wait error (dynamicWait.ts waitError).
  const e = new Error(message);
  e.name = transientApiErrorName;
  return e;
}

/** True for an error of transientApiError. */
function isTransientApiError(e: unknown): e is Error {
  return e instanceof Error && e.name === transientApiErrorName;
}

/** GETs a DigitalOcean API path and parses the JSON answer; 404 gives `undefined`. */
async function getJson(path: string, apiToken: string, deps: GateDeps, what: string): Promise<unknown> {
  let status: number;
  let text: string;
  try {
    const response = await deps.fetch(`${apiRoot}${path}`, { method: "GET", headers: { Authorization: `Bearer ${apiToken}`, Accept: "application/json" } });
    status = response.status;
    text = await response.text();
  } catch (e) {
    if (e instanceof TypeError) throw transientApiError(`the API could not be reached while the gate read ${what} (${e.message})`);
    throw e;
  }
  if (status === 401 || status === 403) throw tokenRefused(status, `read ${what} (GET /v2${path.split("?")[0]})`);
  if (status === 404) return undefined;
  if (status === 429 || status >= 500) throw transientApiError(`GET /v2${path.split("?")[0]} answered HTTP ${status}`);
  if (status < 200 || status >= 300) {
    throw new Error(`The droplet health gate could not read ${what}: GET /v2${path.split("?")[0]} answered HTTP ${status}: ${text.slice(0, 300)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw transientApiError(`GET /v2${path.split("?")[0]} answered with a body that is not JSON`);
  }
}

/**
 * Reads the pool live: the droplets carrying the serving tag (with their tags and
 * status), the load balancer's droplet list, and the health metric of each. Returns a
 * string (what went wrong) on a transient failure, so the caller polls again.
 */
export async function readPool(options: PoolReadOptions, deps: GateDeps): Promise<PoolSnapshot | string> {
  const { servingTag, loadBalancerId, apiToken, healthyThreshold } = options;
  try {
    const listed: Array<{ id: string; tags: string[]; status: string }> = [];
    for (let page = 1; page <= 50; page++) {
      const query = new URLSearchParams({ tag_name: servingTag, per_page: "200", page: String(page) });
      const body = (await getJson(`/droplets?${query.toString()}`, apiToken, deps, `the droplets tagged ${servingTag}`)) as
        | { droplets?: Array<{ id?: unknown; tags?: unknown; status?: unknown }>; links?: { pages?: { next?: unknown } } }
        | undefined;
      const droplets = Array.isArray(body?.droplets) ? body.droplets : [];
      for (const d of droplets) {
        listed.push({ id: String(d.id), tags: Array.isArray(d.tags) ? d.tags.map(String) : [], status: String(d.status) });
      }
      if (!body?.links?.pages?.next || droplets.length === 0) break;
    }
    const lb = (await getJson(`/load_balancers/${encodeURIComponent(loadBalancerId)}`, apiToken, deps, `load balancer ${loadBalancerId}`)) as
      | { load_balancer?: { droplet_ids?: unknown } }
      | undefined;
    const inLb = new Set((Array.isArray(lb?.load_balancer?.droplet_ids) ? lb.load_balancer.droplet_ids : []).map(String));
    const end = Math.floor(deps.now() / 1000);
    const window = Math.max(300, (healthyThreshold + 2) * assumedSampleSeconds);
    const query = new URLSearchParams({ lb_id: loadBalancerId, start: String(end - window), end: String(end) });
    const series = parseSeries(await getJson(`${healthChecksPath}?${query.toString()}`, apiToken, deps, `load balancer ${loadBalancerId}'s health checks`));
    return {
      droplets: listed.map((d) => ({
        id: d.id,
        tags: d.tags,
        active: d.status === "active",
        inLoadBalancer: inLb.has(d.id),
        healthy: judgeDroplet(series, d.id, healthyThreshold).healthy,
      })),
    };
  } catch (e) {
    if (isTransientApiError(e)) return e.message;
    throw e;
  }
}

/**
 * The floor a guard keeps when it removes `dropletId`: the largest `<floorTagPrefix><n>`
 * on the other droplets of the pool (their tags say the current `nodes.count`), 0 when
 * none carries one (see the module comment).
 */
export function floorFromTags(pool: PoolSnapshot, dropletId: string, floorTagPrefix: string): number {
  let floor = 0;
  for (const d of pool.droplets) {
    if (d.id === dropletId) continue;
    for (const tag of d.tags) {
      if (!tag.startsWith(floorTagPrefix)) continue;
      const n = Number(tag.slice(floorTagPrefix.length));
      if (Number.isInteger(n) && n > floor) floor = n;
    }
  }
  return floor;
}

/** The droplets that count towards the floor when `dropletId` leaves (see the module comment). */
export function availableWithout(pool: PoolSnapshot, dropletId: string, leavingTag: string): PoolDroplet[] {
  return pool.droplets.filter((d) => d.id !== dropletId && d.inLoadBalancer && d.active && d.healthy && !d.tags.includes(leavingTag));
}

/** Options of leavePool. */
export interface LeaveOptions extends PoolReadOptions {
  /** The droplet to take out of the pool. */
  dropletId: string;
  /** The tag a droplet carries while it waits to leave. */
  leavingTag: string;
  /** A fixed floor (the gate: `nodes.count`); unset: floorFromTags with `floorTagPrefix`. */
  floor?: number;
  /** The prefix of the floor tags (`<nodeTag>-floor-`), when `floor` is unset. */
  floorTagPrefix?: string;
  /** Seconds to wait after untagging, for in-flight requests. */
  drainSeconds: number;
  /** Give up (withdraw, and fail) after this many seconds. */
  timeoutSeconds: number;
  /** Seconds between polls (default 10). */
  pollSeconds?: number;
}

/** What leavePool did. */
export type LeaveOutcome =
  /** The droplet was taken out of the pool and drained. */
  | "drained"
  /** The droplet was not in the pool (already drained, or gone): nothing to do. */
  | "not-serving";

/**
 * Takes a droplet out of the load balancer's pool only when at least `floor` other
 * droplets are available without it, announcing itself first so that concurrent leavers
 * never together go below the floor (the protocol and its proof: module comment). Fails
 * after `timeoutSeconds` with the droplet still serving and its announcement withdrawn.
 */
export async function leavePool(options: LeaveOptions, deps: GateDeps): Promise<LeaveOutcome> {
  const { dropletId, servingTag, leavingTag, apiToken, drainSeconds, timeoutSeconds } = options;
  const pollMs = (options.pollSeconds ?? 10) * 1000;
  const deadline = deps.now() + timeoutSeconds * 1000;
  let announced = false;
  let detail = "no answer from the API yet";
  let failuresInARow = 0;
  for (;;) {
    const pool = await readPool(options, deps);
    let pause = pollMs;
    if (typeof pool === "string") {
      detail = pool;
      failuresInARow++;
      pause = Math.min(pollMs * 2 ** failuresInARow, maxBackoffMs);
    } else {
      failuresInARow = 0;
      const self = pool.droplets.find((d) => d.id === dropletId);
      if (!self) return "not-serving";
      const floor = options.floor ?? (options.floorTagPrefix ? floorFromTags(pool, dropletId, options.floorTagPrefix) : 0);
      const first = pool.droplets
        .filter((d) => d.id !== dropletId && d.tags.includes(leavingTag))
        .map((d) => d.id)
        .find((id) => Number(id) < Number(dropletId));
      const available = availableWithout(pool, dropletId, leavingTag);
      if (floor === 0) {
        // Nothing to keep (destroy): drain at once.
        await drainDroplet({ dropletId, nodeTag: servingTag, apiToken, drainSeconds }, deps);
        return "drained";
      }
      if (first !== undefined) {
        // A leaver with a smaller id goes first; stand aside so we never wait for each other.
        if (announced) {
          await changeTag("DELETE", leavingTag, dropletId, apiToken, deps);
          announced = false;
        }
        detail = `droplet ${first} is leaving the pool first`;
      } else if (!announced) {
        await changeTag("POST", leavingTag, dropletId, apiToken, deps);
        announced = true;
        // Read the pool again only after the announcement is in place.
        continue;
      } else if (available.length >= floor) {
        await drainDroplet({ dropletId, nodeTag: servingTag, apiToken, drainSeconds }, deps);
        return "drained";
      } else {
        detail = `without it ${available.length} droplet(s) would serve healthy (${available.map((d) => d.id).join(", ") || "none"}), fewer than ${floor}`;
      }
    }
    const now = deps.now();
    if (now >= deadline) {
      if (announced) await changeTag("DELETE", leavingTag, dropletId, apiToken, deps).catch(() => "already-gone");
      throw new Error(
        `Droplet ${dropletId} was kept in the load balancer's pool for ${timeoutSeconds} s and is still serving: ` +
          `removing it would leave fewer healthy droplets than the stack promises (${detail}). Nothing was removed ` +
          "and no droplet was deleted. Usually a new droplet is not healthy: open its console (DigitalOcean control " +
          "panel > Droplets > Access > Droplet Console), run `journalctl -u ha-topology-app`, fix the cause and run " +
          "`pulumi up` again; this droplet leaves once enough others are healthy.",
      );
    }
    await deps.sleep(Math.max(0, Math.min(pause, deadline - now)));
  }
}

/** The provider's inputs, resolved (secrets arrive unwrapped in the provider host). */
export interface GateInputs {
  /** The droplet the gate watches. */
  dropletId: string;
  /** The load balancer whose health check decides. */
  loadBalancerId: string;
  /** The tag the load balancer targets (the serving tag). */
  nodeTag: string;
  /** The tag a droplet carries while it waits to leave the pool ("" from gates registered before it existed). */
  leavingTag: string;
  /** `nodes.count`: the floor the gate keeps when it drains the old droplet (0: unknown, the old droplet is drained once the new one is healthy). */
  count: number;
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

/** What the provider stores: the inputs plus the result. */
export interface GateState extends GateInputs {
  /** ISO time the droplet was seen healthy since, or "" when the gate did not wait. */
  healthySince: string;
}

/** The inputs whose change the gate reacts to; all of them are updates, never replacements. */
const gateKeys: Array<keyof GateInputs> = [
  "dropletId", "loadBalancerId", "nodeTag", "leavingTag", "count", "healthyThreshold", "timeoutSeconds", "drainSeconds", "apiToken", "waitOnCreate",
];

/**
 * The gate's diff: a new droplet (or load balancer) is an UPDATE, never a replacement. A
 * replacement would create a new gate (which does not wait): the wait would be skipped.
 * Other changed inputs are updates too.
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
      if (replaced && !news.leavingTag) {
        // A gate used without the guard's tags: drain the old droplet once the new one is healthy.
        await drainDroplet({ dropletId: olds.dropletId, nodeTag: olds.nodeTag || news.nodeTag, apiToken, drainSeconds: news.drainSeconds }, deps);
      } else if (replaced) {
        // The old droplet is being replaced: Pulumi deletes it only at the end of the
        // deployment (its guard drains it then if this did not). Take it out of the pool
        // now, so one old droplet leaves at a time, but only while the pool keeps
        // `count` available droplets without it (the new one among them).
        await leavePool({
          dropletId: olds.dropletId,
          servingTag: olds.nodeTag || news.nodeTag,
          leavingTag: news.leavingTag,
          floor: news.count,
          loadBalancerId: news.loadBalancerId,
          apiToken,
          healthyThreshold: news.healthyThreshold,
          drainSeconds: news.drainSeconds,
          timeoutSeconds: news.timeoutSeconds,
        }, deps);
      }
      return { outs: { ...news, healthySince } };
    },

    async delete(): Promise<void> {
      // Nothing: the droplet's DropletDrainGuard, deleted before the droplet too, drains
      // it only when the pool can spare it. Draining here, unconditionally, would take a
      // droplet out on scale-in or destroy without that check.
    },
  };
}

/** The drain guard's inputs, resolved. */
export interface GuardInputs {
  /** The droplet the guard protects. */
  dropletId: string;
  /** The load balancer whose health check decides. */
  loadBalancerId: string;
  /** The tag the load balancer targets. */
  servingTag: string;
  /** The tag a droplet carries while it waits to leave the pool. */
  leavingTag: string;
  /** The prefix of the floor tags (`<nodeTag>-floor-`), read from the other droplets on delete. */
  floorTagPrefix: string;
  /** Consecutive healthy samples that make another droplet count as healthy. */
  healthyThreshold: number;
  /** Seconds the delete waits for the pool to spare the droplet before it fails. */
  timeoutSeconds: number;
  /** Seconds to wait after untagging. */
  drainSeconds: number;
  /** The DigitalOcean API token ("" when not configured: the environment's). */
  apiToken: string;
}

/** The guard's diff: a new droplet REPLACES the guard (so the old guard stays with the old droplet); other changes update it. */
export function diffGuard(olds: Partial<GuardInputs>, news: GuardInputs): pulumi.dynamic.DiffResult {
  const keys: Array<keyof GuardInputs> = ["dropletId", "loadBalancerId", "servingTag", "leavingTag", "floorTagPrefix", "healthyThreshold", "timeoutSeconds", "drainSeconds", "apiToken"];
  const changed = keys.filter((key) => olds[key] !== news[key]);
  if (changed.length === 0) return { changes: false };
  const replaces = olds.dropletId !== news.dropletId ? ["dropletId"] : [];
  return { changes: true, replaces, deleteBeforeReplace: false };
}

/** The drain guard's dynamic provider. */
export type DrainGuardProvider = Required<Pick<pulumi.dynamic.ResourceProvider<GuardInputs, GuardInputs>, "diff" | "create" | "update" | "delete">>;

/** The drain guard's provider; `injected` replaces the real world in tests. */
export function drainGuardProvider(injected?: GateDeps): DrainGuardProvider {
  return {
    async diff(_id: string, olds: GuardInputs, news: GuardInputs): Promise<pulumi.dynamic.DiffResult> {
      return diffGuard(olds, news);
    },
    async create(inputs: GuardInputs): Promise<pulumi.dynamic.CreateResult<GuardInputs>> {
      return { id: `guard-${inputs.dropletId}`, outs: inputs };
    },
    async update(_id: string, _olds: GuardInputs, news: GuardInputs): Promise<pulumi.dynamic.UpdateResult<GuardInputs>> {
      return { outs: news };
    },
    async delete(_id: string, props: GuardInputs): Promise<void> {
      if (!props.dropletId) return;
      await leavePool({ ...props, apiToken: gateToken(props) }, injected ?? defaultDeps());
    },
  };
}

/** The pool release's inputs, resolved. */
export interface ReleaseInputs {
  /** The floor tag the node group's droplets carry now. */
  floorTag: string;
  /** The DigitalOcean API token ("" when not configured: the environment's). */
  apiToken: string;
}

/** The pool release's dynamic provider. */
export type PoolReleaseProvider = Required<Pick<pulumi.dynamic.ResourceProvider<ReleaseInputs, ReleaseInputs>, "diff" | "create" | "update" | "delete">>;

/**
 * The pool release's provider: nothing on create and update (a changed floor tag is an
 * update); on delete (destroy, first of the node group) it removes the floor tag from
 * every droplet carrying it, so the guards then drain with a floor of 0.
 */
export function poolReleaseProvider(injected?: GateDeps): PoolReleaseProvider {
  return {
    async diff(_id: string, olds: ReleaseInputs, news: ReleaseInputs): Promise<pulumi.dynamic.DiffResult> {
      return olds.floorTag !== news.floorTag || olds.apiToken !== news.apiToken ? { changes: true, replaces: [] } : { changes: false };
    },
    async create(inputs: ReleaseInputs): Promise<pulumi.dynamic.CreateResult<ReleaseInputs>> {
      return { id: `release-${inputs.floorTag}`, outs: inputs };
    },
    async update(_id: string, _olds: ReleaseInputs, news: ReleaseInputs): Promise<pulumi.dynamic.UpdateResult<ReleaseInputs>> {
      return { outs: news };
    },
    async delete(_id: string, props: ReleaseInputs): Promise<void> {
      if (!props.floorTag) return;
      const deps = injected ?? defaultDeps();
      const apiToken = gateToken(props);
      for (let round = 0; round < 50; round++) {
        const query = new URLSearchParams({ tag_name: props.floorTag, per_page: "200" });
        let body: { droplets?: Array<{ id?: unknown }> } | undefined;
        try {
          body = (await getJson(`/droplets?${query.toString()}`, apiToken, deps, `the droplets tagged ${props.floorTag}`)) as typeof body;
        } catch (e) {
          if (!(isTransientApiError(e)) || round >= 5) throw e;
          await deps.sleep(5_000 * 2 ** round);
          continue;
        }
        const ids = (Array.isArray(body?.droplets) ? body.droplets : []).map((d) => String(d.id));
        if (ids.length === 0) return;
        for (const id of ids) await changeTag("DELETE", props.floorTag, id, apiToken, deps);
      }
    },
  };
}

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
   * The tag a droplet carries while it waits to leave the pool (see leavePool). Unset: the
   * old droplet is drained as soon as the new one is healthy, without the pool check.
   */
  leavingTag?: pulumi.Input<string>;
  /** `nodes.count`: the old droplet leaves only while this many others are available. */
  count?: number;
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
export class DropletHealthGate extends ShippedDynamicResource {
  // `declare`, not a field: with ES2022 class fields a field initializer would overwrite
  // the output the Resource constructor attaches.
  /** The droplet the gate last waited for. */
  declare readonly dropletId: pulumi.Output<string>;
  /** ISO time the droplet was seen healthy since, or "" when the gate did not wait. */
  declare readonly healthySince: pulumi.Output<string>;

  constructor(name: string, args: DropletHealthGateArgs, opts?: pulumi.CustomResourceOptions) {
    checkGateArgs(name, args);
    super(
      "DropletHealthGate",
      name,
      {
        dropletId: args.dropletId,
        loadBalancerId: args.loadBalancerId,
        nodeTag: args.nodeTag,
        leavingTag: args.leavingTag ?? "",
        count: args.count ?? 0,
        healthyThreshold: args.healthyThreshold,
        timeoutSeconds: args.timeoutSeconds,
        drainSeconds: args.drainSeconds,
        apiToken: pulumi.secret(args.apiToken ?? ""),
        waitOnCreate: args.waitOnCreate ?? false,
        healthySince: undefined,
      },
      // The provider stores the token in its outputs (delete needs it); keep it encrypted there too.
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["apiToken"] }),
    );
  }
}

/** Arguments of DropletDrainGuard. */
export interface DropletDrainGuardArgs {
  /** The droplet to guard: `droplet.id`. */
  dropletId: pulumi.Input<string>;
  /** The load balancer that health-checks the droplets. */
  loadBalancerId: pulumi.Input<string>;
  /** The tag the load balancer targets. */
  servingTag: pulumi.Input<string>;
  /** The tag a droplet carries while it waits to leave the pool. */
  leavingTag: pulumi.Input<string>;
  /** The prefix of the floor tags the droplets carry (`<nodeTag>-floor-`). */
  floorTagPrefix: pulumi.Input<string>;
  /** Consecutive healthy samples that make another droplet count. */
  healthyThreshold: number;
  /** Seconds the delete waits for the pool to spare the droplet before it fails. */
  timeoutSeconds: number;
  /** Seconds to wait after untagging. */
  drainSeconds: number;
  /** A DigitalOcean API token (droplet, load balancer and monitoring read, tag write), as a secret. */
  apiToken?: pulumi.Input<string>;
}

/**
 * Keeps a droplet from being deleted while the pool still needs it: replaced with the
 * droplet, its delete (which runs before the droplet's) takes the droplet out of the pool
 * only when `floor` other droplets are available (see the module comment).
 */
export class DropletDrainGuard extends ShippedDynamicResource {
  /** The droplet the guard protects. */
  declare readonly dropletId: pulumi.Output<string>;

  constructor(name: string, args: DropletDrainGuardArgs, opts?: pulumi.CustomResourceOptions) {
    checkGateArgs(name, { ...args, nodeTag: args.servingTag });
    super(
      "DropletDrainGuard",
      name,
      {
        dropletId: args.dropletId,
        loadBalancerId: args.loadBalancerId,
        servingTag: args.servingTag,
        leavingTag: args.leavingTag,
        floorTagPrefix: args.floorTagPrefix,
        healthyThreshold: args.healthyThreshold,
        timeoutSeconds: args.timeoutSeconds,
        drainSeconds: args.drainSeconds,
        apiToken: pulumi.secret(args.apiToken ?? ""),
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["apiToken"] }),
    );
  }
}

/** Arguments of DropletPoolRelease. */
export interface DropletPoolReleaseArgs {
  /** The floor tag the node group's droplets carry. */
  floorTag: pulumi.Input<string>;
  /** A DigitalOcean API token (droplet read, tag write), as a secret. */
  apiToken?: pulumi.Input<string>;
}

/**
 * Lets `pulumi destroy` drain every droplet: make it depend on all the guards, so it is
 * deleted before them; its delete removes the floor tag from the droplets.
 */
export class DropletPoolRelease extends ShippedDynamicResource {
  constructor(name: string, args: DropletPoolReleaseArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "DropletPoolRelease",
      name,
      { floorTag: args.floorTag, apiToken: pulumi.secret(args.apiToken ?? "") },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["apiToken"] }),
    );
  }
}
