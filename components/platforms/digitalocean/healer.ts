/**
 * The DigitalOcean node healer: replaces (in place) a droplet of a web node group that
 * stopped answering its load balancer's health check, without a human and without
 * touching Pulumi's state. DigitalOcean has no autohealing primitive (its load balancer
 * only takes a failing droplet out of rotation; Droplet Autoscale Pools do not look at the
 * load balancer's health check and cannot roll through the health gates), and a NEW
 * droplet made outside Pulumi would leave the state naming a droplet id that no longer
 * exists. So the healer keeps the droplet's identity:
 *
 * 1. a droplet seen unhealthy in the load balancer's `droplets_health_checks` metric (the
 *    metric the rollout gates read, healthGate.ts) on every poll for `unhealthySeconds` is
 *    POWER CYCLED (a hung kernel, an OOM-wedged app, a stuck Docker daemon);
 * 2. still unhealthy `graceSeconds + unhealthySeconds` later, it is REBUILT from the node
 *    image: the disk is wiped, the id, IP addresses, tags and user data stay, and
 *    cloud-init runs the user data again, so it comes back as a fresh node under the same
 *    id (the state still describes it exactly);
 * 3. still unhealthy after that, the healer gives up on it and says so (it needs a human),
 *    and leaves it alone for `cooldownSeconds`.
 *
 * Safety (decide(), a pure function, tested exhaustively):
 * - per group ONE droplet at a time: while a droplet is being treated (power cycled or
 *   rebuilt and not yet healthy, within its wait), no other droplet of the group is touched;
 * - never a healthy droplet, nor one whose health is unknown (no series names it): only a
 *   droplet seen unhealthy on every poll for `unhealthySeconds`;
 * - never while a rollout's gates work on the group: a droplet carrying the leaving tag,
 *   a droplet without the serving tag (drained, waiting for its delete), a droplet younger
 *   than the grace period, a droplet the load balancer does not list yet, or more droplets
 *   than `count` (a replacement in flight) stops all action on the group;
 * - when two or more droplets and most of the group are unhealthy at once, that is an app
 *   or dependency outage, not a node failure: the healer alerts (logs) and acts on none;
 * - each droplet is acted on at most once per step; a healed droplet gets no new cycle
 *   before the cooldown (it is reported instead: a droplet that keeps failing needs a
 *   human); a 429 pauses every call until the Retry-After / ratelimit-reset time;
 * - a treated droplet whose health the metric stops showing is not escalated on.
 * Since it acts only on droplets that already serve nothing, the healer never lowers the
 * number of healthy droplets behind the load balancer; the rollout gates count only healthy
 * droplets, so a droplet being healed never counts towards their floor either.
 *
 * Where it runs: an App Platform worker (healerApp.ts) runs `healerMain` from the healer
 * bundle (healerWorker.ts), so the worker runs exactly this code. Its container has no
 * node_modules: this module imports only healthMetric.ts (which imports nothing) and uses
 * Node globals (fetch, setTimeout, AbortSignal, process, console).
 */
import { judgeDroplet, parseSeries, seriesOfDroplet } from "./healthMetric";

/** The DigitalOcean API root (the default of `HealerConfig.apiRoot`). */
export const doApiRoot = "https://api.digitalocean.com/v2";
/** The monitoring API path of the per-droplet health check metric of a load balancer. */
const healthChecksPath = "/monitoring/metrics/load_balancer/droplets_health_checks";
/** The longest pause the healer takes after errors or a 429. */
const maxPauseMs = 15 * 60_000;
/** How far back the metric is read: enough for `healthyThreshold` samples at two minutes each. */
const minWindowSeconds = 600;
/** How often a standing alert (an outage, a droplet failing again while it rests) is repeated in the log. */
export const alertRepeatMs = 30 * 60_000;

/**
 * Seconds the metric needs to show a failure: the monitoring API's samples come every one
 * to two minutes (healthGate.ts), so a few samples beyond the check's own unhealthy window.
 */
const metricLagSeconds = 300;

/** How long a droplet must fail before the healer acts: the check's unhealthy window plus the metric's lag. */
export function unhealthySecondsOf(hc: { unhealthyThreshold: number; intervalSeconds: number }): number {
  return hc.unhealthyThreshold * hc.intervalSeconds + metricLagSeconds;
}

/** One node group the healer covers (a web workload's droplets and load balancer). */
export interface HealerGroup {
  /** The workload, for the log lines. */
  name: string;
  /** The tag every droplet of the group keeps until it is destroyed (the firewalls select it). */
  nodeTag: string;
  /** The tag the load balancer targets; a droplet without it is drained (a rollout). */
  servingTag: string;
  /** The tag a droplet carries while a rollout takes it out of the pool. */
  leavingTag: string;
  /** The load balancer whose health check decides. */
  loadBalancerId: string;
  /** `nodes.count`: more droplets than this means a replacement is in flight. */
  count: number;
  /** Consecutive samples at full health that make a droplet healthy (as the gates read them). */
  healthyThreshold: number;
  /** The health check's grace period: a younger droplet is booting, not failing. */
  graceSeconds: number;
  /** How long a droplet must be seen unhealthy, on every poll, before the healer acts. */
  unhealthySeconds: number;
  /** The image a rebuild boots (the node image the group's droplets were created with). */
  image: string;
}

/** What the healer runs with (the worker's HEALER_CONFIG, JSON). */
export interface HealerConfig {
  /** The API root; default the DigitalOcean API (tests point it at a loopback fake). */
  apiRoot?: string;
  /** Seconds between two rounds over the groups. */
  pollSeconds: number;
  /** Seconds before one API request is abandoned (a timeout counts as a transient failure). */
  requestTimeoutSeconds: number;
  /** Seconds a droplet the healer gave up on (or healed) is left alone before a new cycle. */
  cooldownSeconds: number;
  /** The node groups. */
  groups: HealerGroup[];
}

/** A droplet's health in the load balancer's metric. */
export type Health = "healthy" | "unhealthy" | "unknown";

/** One droplet of a group, as the API shows it now. */
export interface DropletObservation {
  /** The droplet's numeric id, as a string. */
  id: string;
  /** Its status (`new`, `active`, `off`, `archive`). */
  status: string;
  /** When it was created, in ms since the epoch. */
  createdAt: number;
  /** Its tags. */
  tags: string[];
  /** Whether the load balancer's droplet list holds it. */
  inLoadBalancer: boolean;
  /** Its health: "unknown" when no series names it (no verdict, so no action). */
  health: Health;
}

/** What the healer is doing to a droplet. */
export interface Treatment {
  /** The droplet. */
  dropletId: string;
  /** The last step taken: a power cycle, a rebuild, or "gave-up" (it needs a human). */
  step: "power_cycle" | "rebuild" | "gave-up";
  /** When, in ms since the epoch. */
  at: number;
}

/** What the healer remembers about a group between rounds (lost on a restart, which only makes it wait again). */
export interface GroupMemory {
  /** Per droplet id, since when (ms) it has been seen unhealthy on every poll. */
  unhealthySince: Record<string, number>;
  /** The droplet being treated (one per group), if any. */
  treatment?: Treatment;
  /** Per droplet id, when (ms) it was last healed: no new cycle on it before the cooldown (its rate limit). */
  restedAt: Record<string, number>;
  /** Per standing alert ("outage", "resting:<id>"), when (ms) it was last said: repeated every `alertRepeatMs` while it stands. */
  alerts: Record<string, number>;
}

/** A droplet action the healer takes (POST /v2/droplets/{id}/actions). */
export interface DropletAction {
  /** `power_cycle` or `rebuild`. */
  type: "power_cycle" | "rebuild";
  /** The droplet. */
  dropletId: string;
  /** Why, for the log. */
  reason: string;
}

/** The decision on one group. */
export interface Decision {
  /** The one action to take now, if any. */
  action?: DropletAction;
  /** What the healer tells the operator: `ALERT: ...` lines ask for a human. */
  notes: string[];
  /** The group's memory after this round, WITHOUT the action (recordAction adds it once the API accepted it). */
  memory: GroupMemory;
}

/** An empty memory (a start, or a restart). */
export function freshMemory(): GroupMemory {
  return { unhealthySince: {}, restedAt: {}, alerts: {} };
}

/** Why the group is changing under a rollout (no healer action then), or undefined when it is not. */
export function rolloutInProgress(group: HealerGroup, droplets: DropletObservation[], now: number): string | undefined {
  if (droplets.length > group.count) return `${droplets.length} droplets carry ${group.nodeTag}, more than the ${group.count} of the group: a replacement is in flight`;
  for (const d of droplets) {
    if (d.tags.includes(group.leavingTag)) return `droplet ${d.id} carries ${group.leavingTag}: a rollout is taking it out of the pool`;
    if (!d.tags.includes(group.servingTag)) return `droplet ${d.id} has no ${group.servingTag} tag: it was drained by a rollout`;
    if (now - d.createdAt < group.graceSeconds * 1000) return `droplet ${d.id} is younger than the ${group.graceSeconds} s grace period: it is booting`;
    if (!d.inLoadBalancer) return `the load balancer does not list droplet ${d.id} yet`;
  }
  return undefined;
}

/**
 * The decision on one group for this round (pure: observations and memory in, at most one
 * action and the new memory out). See the module comment for the rules.
 */
export function decide(group: HealerGroup, droplets: DropletObservation[], memory: GroupMemory, now: number, cooldownSeconds: number): Decision {
  const notes: string[] = [];
  const ids = new Set(droplets.map((d) => d.id));
  // Forget droplets that are gone; keep "unhealthy since" only while it is seen on every poll.
  const unhealthySince: Record<string, number> = {};
  for (const d of droplets) {
    if (d.health === "unhealthy") unhealthySince[d.id] = memory.unhealthySince[d.id] ?? now;
  }
  const restedAt: Record<string, number> = {};
  for (const [id, at] of Object.entries(memory.restedAt)) {
    if (ids.has(id) && now - at < cooldownSeconds * 1000) restedAt[id] = at;
  }
  let treatment = memory.treatment && ids.has(memory.treatment.dropletId) ? memory.treatment : undefined;
  // Standing alerts: said when they start, then every alertRepeatMs; forgotten when they stop.
  const alerts: Record<string, number> = {};
  const alert = (key: string, text: string) => {
    const last = memory.alerts?.[key];
    if (last !== undefined && now - last < alertRepeatMs) {
      alerts[key] = last;
      return;
    }
    alerts[key] = now;
    notes.push(text);
  };
  const next = (): GroupMemory => ({ unhealthySince, restedAt, alerts, ...(treatment && { treatment }) });
  const waitAfterAction = (group.graceSeconds + group.unhealthySeconds) * 1000;

  // The droplet under treatment: healed, still waiting, next step, or given up.
  let escalate: DropletAction | undefined;
  if (treatment && treatment.step !== "gave-up") {
    const t = treatment;
    const d = droplets.find((x) => x.id === t.dropletId)!;
    if (d.health === "healthy") {
      notes.push(`group ${group.name}: droplet ${d.id} is healthy again after its ${t.step === "power_cycle" ? "power cycle" : "rebuild"}`);
      restedAt[d.id] = now;
      treatment = undefined;
    } else if (now - t.at < waitAfterAction || d.health === "unknown") {
      // Still within its wait, or no verdict to escalate on: keep waiting.
      return { notes, memory: next() };
    } else if (t.step === "power_cycle") {
      escalate = { type: "rebuild", dropletId: d.id, reason: `droplet ${d.id} is still not healthy ${Math.round((now - t.at) / 1000)} s after its power cycle` };
    } else {
      notes.push(
        `ALERT: group ${group.name}: droplet ${d.id} is still failing its health check ${Math.round((now - t.at) / 1000)} s after a power cycle and a rebuild; ` +
          `the healer leaves it alone for ${cooldownSeconds} s. Open its console, run \`journalctl -u ha-topology-app\` and \`cloud-init status --long\`, ` +
          "or replace it with `pulumi up --replace <its URN>`.",
      );
      treatment = { dropletId: d.id, step: "gave-up", at: now };
    }
  }
  if (treatment?.step === "gave-up") {
    // Given up: the droplet rests; the group is free for another droplet.
    if (now - treatment.at >= cooldownSeconds * 1000) treatment = undefined;
  }

  const rolling = rolloutInProgress(group, droplets, now);
  const unhealthy = droplets.filter((d) => d.health === "unhealthy");
  if (rolling) {
    if (unhealthy.length > 0 || escalate) notes.push(`group ${group.name}: not acting while a rollout works (${rolling})`);
    return { notes, memory: next() };
  }
  if (unhealthy.length >= 2 && unhealthy.length * 2 > droplets.length) {
    alert(
      "outage",
      `ALERT: group ${group.name}: ${unhealthy.length} of its ${droplets.length} droplets fail the load balancer's health check at once ` +
        `(${unhealthy.map((d) => d.id).join(", ")}): that is an outage of the app or of what it depends on, not of a node; the healer does not act. ` +
        "Look at the app's logs (`journalctl -u ha-topology-app` on a droplet) and its database, cache and bucket.",
    );
    return { notes, memory: next() };
  }
  if (escalate) return { action: escalate, notes, memory: next() };
  if (treatment && treatment.step !== "gave-up") return { notes, memory: next() };

  const failing = unhealthy
    .filter((d) => d.status === "active" || d.status === "off")
    .filter((d) => treatment?.dropletId !== d.id)
    .filter((d) => now - unhealthySince[d.id]! >= group.unhealthySeconds * 1000)
    .sort((a, b) => Number(a.id) - Number(b.id));
  for (const d of failing.filter((x) => restedAt[x.id] !== undefined)) {
    alert(
      `resting:${d.id}`,
      `ALERT: group ${group.name}: droplet ${d.id} fails its health check again, ${Math.round((now - restedAt[d.id]!) / 1000)} s after it was healed; ` +
        `the healer does not act on it again before ${new Date(restedAt[d.id]! + cooldownSeconds * 1000).toISOString()} (a droplet that keeps failing needs a human): ` +
        "open its console and run `journalctl -u ha-topology-app`, or replace it with `pulumi up --replace <its URN>`.",
    );
  }
  const due = failing.filter((d) => restedAt[d.id] === undefined);
  const target = due[0];
  if (!target) return { notes, memory: next() };
  return {
    action: { type: "power_cycle", dropletId: target.id, reason: `droplet ${target.id} has failed the load balancer's health check for ${Math.round((now - unhealthySince[target.id]!) / 1000)} s` },
    notes,
    memory: next(),
  };
}

/** The memory once the API accepted `action`: the droplet is under treatment from now. */
export function recordAction(memory: GroupMemory, action: DropletAction, now: number): GroupMemory {
  return { ...memory, treatment: { dropletId: action.dropletId, step: action.type, at: now } };
}

// ---- The runner: observations from the API, actions to it, pauses ------------------

/** The subset of a fetch Response the healer reads (the global Response satisfies it). */
export interface HealerResponse {
  /** The HTTP status. */
  status: number;
  /** Response headers (Retry-After, ratelimit-reset). */
  headers: { get(name: string): string | null };
  /** The body, as text. */
  text(): Promise<string>;
}

/** A request the healer makes (a subset of fetch's RequestInit). */
export interface HealerRequest {
  /** The method. */
  method: "GET" | "POST";
  /** Headers. */
  headers: Record<string, string>;
  /** A JSON body. */
  body?: string;
  /** Aborts the request after `requestTimeoutSeconds`. */
  signal?: AbortSignal;
}

/** What the healer needs from the outside world; injectable, so tests use a loopback API and a fake clock. */
export interface HealerDeps {
  /** Makes an HTTP request (the global fetch). */
  fetch: (url: string, init: HealerRequest) => Promise<HealerResponse>;
  /** The current time, in ms since the epoch. */
  now: () => number;
  /** Waits this many ms. */
  sleep: (ms: number) => Promise<void>;
  /** Writes one line to the log (the worker's stdout, which App Platform keeps). */
  log: (line: string) => void;
}

/** A failed call: `pauseMs` when the API said how long to wait (429). */
export class HealerApiError extends Error {
  constructor(message: string, readonly transient: boolean, readonly pauseMs?: number) {
    super(message);
  }
}

/** How long a 429 asks to wait: Retry-After (seconds or a date), else ratelimit-reset (unix seconds), else a minute. */
export function rateLimitPauseMs(headers: HealerResponse["headers"], now: number): number {
  const retryAfter = headers.get("retry-after");
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.min(Math.max(seconds * 1000, 1000), maxPauseMs);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.min(Math.max(date - now, 1000), maxPauseMs);
  }
  const reset = Number(headers.get("ratelimit-reset"));
  if (headers.get("ratelimit-reset") !== null && Number.isFinite(reset)) return Math.min(Math.max(reset * 1000 - now, 1000), maxPauseMs);
  return 60_000;
}

/** One API call; throws HealerApiError (transient or not) on anything but 2xx and, for GETs, 404 (undefined). */
async function call(config: HealerConfig, token: string, deps: HealerDeps, method: "GET" | "POST", path: string, body?: unknown): Promise<unknown> {
  const url = `${config.apiRoot ?? doApiRoot}${path}`;
  const what = `${method} /v2${path.split("?")[0]}`;
  let response: HealerResponse;
  let text: string;
  try {
    response = await deps.fetch(url, {
      method,
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json", ...(body !== undefined && { "Content-Type": "application/json" }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(config.requestTimeoutSeconds * 1000),
    });
    text = await response.text();
  } catch (e) {
    const name = e instanceof Error ? e.name : "";
    const reason = name === "TimeoutError" || name === "AbortError" ? `no answer within ${config.requestTimeoutSeconds} s` : e instanceof Error ? e.message : String(e);
    throw new HealerApiError(`${what} failed: ${reason}`, true);
  }
  const { status } = response;
  if (status === 429) throw new HealerApiError(`${what} answered HTTP 429 (rate limited)`, true, rateLimitPauseMs(response.headers, deps.now()));
  if (status === 401 || status === 403) {
    throw new HealerApiError(
      `${what} answered HTTP ${status}: DigitalOcean refused the healer's token. It needs droplet read and update (power cycle, rebuild), ` +
        "load balancer read and monitoring read; set a token that has them as digitalocean:token and run `pulumi up`.",
      false,
    );
  }
  if (status >= 500) throw new HealerApiError(`${what} answered HTTP ${status}`, true);
  if (status === 404 && method === "GET") return undefined;
  if (status < 200 || status >= 300) throw new HealerApiError(`${what} answered HTTP ${status}: ${text.slice(0, 300)}`, false);
  if (text === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HealerApiError(`${what} answered with a body that is not JSON`, true);
  }
}

/** Reads a group: its droplets (by node tag), the load balancer's droplet list and each droplet's health. */
export async function observeGroup(config: HealerConfig, group: HealerGroup, token: string, deps: HealerDeps): Promise<DropletObservation[]> {
  const listed: Array<{ id: string; status: string; createdAt: number; tags: string[] }> = [];
  for (let page = 1; page <= 20; page++) {
    const query = new URLSearchParams({ tag_name: group.nodeTag, per_page: "200", page: String(page) });
    const body = (await call(config, token, deps, "GET", `/droplets?${query.toString()}`)) as
      | { droplets?: Array<{ id?: unknown; status?: unknown; created_at?: unknown; tags?: unknown }>; links?: { pages?: { next?: unknown } } }
      | undefined;
    const droplets = Array.isArray(body?.droplets) ? body.droplets : [];
    for (const d of droplets) {
      const created = Date.parse(String(d.created_at));
      // An unreadable creation time counts as "just created": the healer waits rather than acts.
      listed.push({ id: String(d.id), status: String(d.status), createdAt: Number.isFinite(created) ? created : deps.now(), tags: Array.isArray(d.tags) ? d.tags.map(String) : [] });
    }
    if (!body?.links?.pages?.next || droplets.length === 0) break;
  }
  const lb = (await call(config, token, deps, "GET", `/load_balancers/${encodeURIComponent(group.loadBalancerId)}`)) as { load_balancer?: { droplet_ids?: unknown } } | undefined;
  const inLb = new Set((Array.isArray(lb?.load_balancer?.droplet_ids) ? lb.load_balancer.droplet_ids : []).map(String));
  const end = Math.floor(deps.now() / 1000);
  const window = Math.max(minWindowSeconds, (group.healthyThreshold + 2) * 120);
  const query = new URLSearchParams({ lb_id: group.loadBalancerId, start: String(end - window), end: String(end) });
  const series = parseSeries(await call(config, token, deps, "GET", `${healthChecksPath}?${query.toString()}`));
  return listed.map((d) => ({
    ...d,
    inLoadBalancer: inLb.has(d.id),
    health: seriesOfDroplet(series, d.id).length === 0 ? "unknown" : judgeDroplet(series, d.id, group.healthyThreshold).healthy ? "healthy" : "unhealthy",
  }));
}

/** Takes a droplet action (POST /v2/droplets/{id}/actions); a rebuild boots the group's node image. */
export async function takeAction(config: HealerConfig, group: HealerGroup, action: DropletAction, token: string, deps: HealerDeps): Promise<void> {
  const body = action.type === "rebuild" ? { type: "rebuild", image: group.image } : { type: "power_cycle" };
  await call(config, token, deps, "POST", `/droplets/${encodeURIComponent(action.dropletId)}/actions`, body);
}

/** Options of runHealer. */
export interface RunOptions {
  /** Stop after this many rounds (tests); default: run until `stop` says so. */
  rounds?: number;
  /** Checked between rounds: true stops the loop (SIGTERM). */
  stop?: () => boolean;
}

/**
 * The loop: every `pollSeconds`, each group is observed, decided and (at most one droplet)
 * acted on. A failed call ends the group's round without an action recorded (the next
 * round decides again); a 429 pauses the whole loop for as long as the API asked; other
 * transient failures back off exponentially. Returns the groups' memory (for tests).
 */
export async function runHealer(config: HealerConfig, token: string, deps: HealerDeps, options: RunOptions = {}): Promise<Record<string, GroupMemory>> {
  const memories: Record<string, GroupMemory> = {};
  for (const g of config.groups) memories[g.name] = freshMemory();
  let failuresInARow = 0;
  deps.log(`healer: watching ${config.groups.map((g) => `${g.name} (${g.count} droplets tagged ${g.nodeTag})`).join(", ") || "no groups"}`);
  for (let round = 0; options.rounds === undefined || round < options.rounds; round++) {
    if (options.stop?.()) break;
    let pauseMs = config.pollSeconds * 1000;
    let failed = false;
    for (const group of config.groups) {
      try {
        const droplets = await observeGroup(config, group, token, deps);
        const now = deps.now();
        const decision = decide(group, droplets, memories[group.name]!, now, config.cooldownSeconds);
        memories[group.name] = decision.memory;
        for (const note of decision.notes) deps.log(`healer: ${note}`);
        if (decision.action) {
          await takeAction(config, group, decision.action, token, deps);
          memories[group.name] = recordAction(decision.memory, decision.action, deps.now());
          deps.log(`healer: group ${group.name}: ${decision.action.type} droplet ${decision.action.dropletId} (${decision.action.reason})`);
        }
      } catch (e) {
        if (!(e instanceof HealerApiError)) throw e;
        failed = true;
        deps.log(`healer: group ${group.name}: ${e.message}; ${e.transient ? "retrying" : "fix the cause; retrying"} later, nothing was done`);
        if (e.pauseMs !== undefined) {
          pauseMs = Math.max(pauseMs, e.pauseMs);
          // Rate limited: every call would be refused; skip the other groups this round.
          break;
        }
        if (!e.transient) pauseMs = Math.max(pauseMs, 10 * 60_000);
      }
    }
    failuresInARow = failed ? failuresInARow + 1 : 0;
    if (failed) pauseMs = Math.max(pauseMs, Math.min(config.pollSeconds * 1000 * 2 ** failuresInARow, maxPauseMs));
    await deps.sleep(pauseMs);
  }
  return memories;
}

/**
 * The worker's entry point: HEALER_CONFIG (JSON HealerConfig) and DIGITALOCEAN_TOKEN
 * (a secret env var) from the environment; runs until SIGTERM.
 */
export async function healerMain(): Promise<void> {
  const config = JSON.parse(process.env.HEALER_CONFIG ?? "") as HealerConfig;
  const token = process.env.DIGITALOCEAN_TOKEN ?? "";
  if (!token) throw new Error("the healer needs DIGITALOCEAN_TOKEN");
  let stopping = false;
  let wake: (() => void) | undefined;
  process.on("SIGTERM", () => {
    stopping = true;
    wake?.();
  });
  await runHealer(config, token, {
    fetch: (url, init) => fetch(url, init),
    now: () => Date.now(),
    sleep: (ms) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    log: (line) => console.log(`${new Date().toISOString()} ${line}`),
  }, { stop: () => stopping });
}
