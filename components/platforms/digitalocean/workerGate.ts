/**
 * When a DigitalOcean worker droplet is done: running and live. A worker has no port and
 * no load balancer, and a droplet holds no token (DigitalOcean has no instance identity),
 * so the one thing it can tell the API about itself is its power state. Its watchdog is
 * readiness-only (bootstrap.ts `readinessOnly`): a droplet whose container has not run
 * `workerLive.healthyThreshold` checks in a row without restarting within the grace
 * period powers itself off; one that got live keeps running whatever happens later (a
 * dependency's outage must not take every worker down for good).
 *
 * DropletWorkerGate, one per worker droplet, waits on create and whenever its droplet was
 * replaced, reading `GET /v2/droplets/{id}`: once the droplet has been up longer than its
 * watchdog can take to decide (boot + grace + a margin, counted from the droplet's
 * `created_at`) and is still active, it is live; a droplet that is off (after having been
 * active) never got live, and the gate fails the update. New worker droplets are created
 * before the old ones go and Pulumi deletes the old ones only at the end of the update, so
 * a failed gate leaves the old workers running: a worker image that never gets to work
 * stops the rollout instead of replacing every worker. It changes nothing; delete is a no-op.
 */
import * as pulumi from "@pulumi/pulumi";
import { defaultDeps, gateToken, type GateDeps } from "./healthGate";
import { ShippedDynamicResource } from "../../shippedDynamicResource";

/** Seconds allowed from a droplet's creation until its watchdog starts (boot, cloud-init, docker). */
export const workerBootSeconds = 240;

/** The gate's inputs, resolved. */
export interface WorkerGateInputs {
  /** The droplet (numeric id, as a string). */
  dropletId: string;
  /** Seconds after creation by which a droplet that is still active is live (boot + the watchdog's grace + a margin). */
  liveAfterSeconds: number;
  /** Give up after this many seconds of waiting. */
  timeoutSeconds: number;
  /** A DigitalOcean API token; "" for DIGITALOCEAN_TOKEN when it runs. */
  apiToken: string;
}

/** What one read of the droplet says. */
type DropletView = { status: string; createdAt: number } | "gone" | { transient: string };

/** Reads the droplet's status and creation time. */
async function readDroplet(dropletId: string, apiToken: string, deps: GateDeps): Promise<DropletView> {
  let status: number;
  let text: string;
  try {
    const response = await deps.fetch(`https://api.digitalocean.com/v2/droplets/${encodeURIComponent(dropletId)}`, { method: "GET", headers: { Authorization: `Bearer ${apiToken}`, Accept: "application/json" } });
    status = response.status;
    text = await response.text();
  } catch (e) {
    return { transient: `the API could not be reached (${(e as Error).message})` };
  }
  if (status === 401 || status === 403) throw new Error(`DigitalOcean refused the API token (HTTP ${status}) while the worker gate read droplet ${dropletId}: it needs droplet:read. Fix digitalocean:token and run \`pulumi up\` again.`);
  if (status === 404) return "gone";
  if (status === 429 || status >= 500) return { transient: `GET /v2/droplets/${dropletId} answered HTTP ${status}` };
  if (status < 200 || status >= 300) throw new Error(`The worker gate could not read droplet ${dropletId}: HTTP ${status}: ${text.slice(0, 300)}`);
  try {
    const d = (JSON.parse(text) as { droplet?: { status?: unknown; created_at?: unknown } }).droplet;
    const createdAt = Date.parse(String(d?.created_at));
    if (!d || Number.isNaN(createdAt)) return { transient: `GET /v2/droplets/${dropletId} answered without a droplet` };
    return { status: String(d.status), createdAt };
  } catch {
    return { transient: `GET /v2/droplets/${dropletId} answered with a body that is not JSON` };
  }
}

/**
 * Polls the droplet until it is live (active past `liveAfterSeconds` from its creation) or
 * fails: it is off after having been active (its watchdog powered it off), it is gone, or
 * the timeout passed. Transient answers (429, 5xx, network) are polled again with backoff.
 */
export async function waitUntilLive(o: WorkerGateInputs, deps: GateDeps, pollSeconds = 15): Promise<void> {
  const deadline = deps.now() + o.timeoutSeconds * 1000;
  let backoffMs = pollSeconds * 1000;
  let seenActive = false;
  let last = "nothing read yet";
  for (;;) {
    const view = await readDroplet(o.dropletId, o.apiToken, deps);
    if (view === "gone") throw new Error(`Worker droplet ${o.dropletId} is gone (HTTP 404) while its gate waited for it to be live: something else deleted it. Run \`pulumi refresh\`, then \`pulumi up\`.`);
    if ("transient" in view) {
      last = view.transient;
      backoffMs = Math.min(backoffMs * 2, 120_000);
    } else {
      backoffMs = pollSeconds * 1000;
      if (view.status === "active") {
        seenActive = true;
        if (deps.now() >= view.createdAt + o.liveAfterSeconds * 1000) return;
        last = `active for ${Math.round((deps.now() - view.createdAt) / 1000)} s of the ${o.liveAfterSeconds} s its watchdog may take`;
      } else if (view.status === "off" && seenActive) {
        throw new Error(
          `Worker droplet ${o.dropletId} powered itself off: its container did not run without restarting within its grace period (a crash loop, a bad command, ` +
            "missing credentials or an unreachable dependency). The rollout stopped here; the old worker droplets keep running. " +
            `Look at its console or, after \`doctl compute droplet-action power-on ${o.dropletId}\`, at \`journalctl -u ha-topology-app\`, fix the cause and run \`pulumi up\` again.`,
        );
      } else {
        last = `status ${view.status}`;
      }
    }
    if (deps.now() + backoffMs > deadline) {
      throw new Error(`Worker droplet ${o.dropletId} was not seen live within ${o.timeoutSeconds} s (${last}). Nothing was removed; check it with \`doctl compute droplet get ${o.dropletId}\` and run \`pulumi up\` again.`);
    }
    await deps.sleep(backoffMs);
  }
}

/** The dynamic provider; `injected` replaces the real world in tests. */
export function workerGateProvider(injected?: GateDeps): Required<Pick<pulumi.dynamic.ResourceProvider<WorkerGateInputs, WorkerGateInputs>, "diff" | "create" | "update" | "delete">> {
  return {
    async diff(_id, olds, news) {
      const changed = olds.dropletId !== news.dropletId || olds.apiToken !== news.apiToken || olds.liveAfterSeconds !== news.liveAfterSeconds || olds.timeoutSeconds !== news.timeoutSeconds;
      return changed ? { changes: true, replaces: [] } : { changes: false };
    },
    async create(inputs) {
      await waitUntilLive({ ...inputs, apiToken: gateToken(inputs) }, injected ?? defaultDeps());
      return { id: `worker-gate-${inputs.dropletId}`, outs: inputs };
    },
    async update(_id, olds, news) {
      // A replaced droplet is waited for; a new token or timeout is not.
      if (olds.dropletId !== news.dropletId) await waitUntilLive({ ...news, apiToken: gateToken(news) }, injected ?? defaultDeps());
      return { outs: news };
    },
    async delete() {
      // Nothing: it only ever read.
    },
  };
}

/** Arguments of DropletWorkerGate. */
export interface DropletWorkerGateArgs {
  /** The droplet: `droplet.id`. */
  dropletId: pulumi.Input<string>;
  /** The watchdog's grace period (seconds from its start to being live). */
  graceSeconds: number;
  /** A DigitalOcean API token (a secret); unset: DIGITALOCEAN_TOKEN when it runs. */
  apiToken?: pulumi.Input<string>;
}

/** Holds `pulumi up` until a worker droplet is live (see the module comment). */
export class DropletWorkerGate extends ShippedDynamicResource {
  constructor(name: string, args: DropletWorkerGateArgs, opts?: pulumi.CustomResourceOptions) {
    const liveAfterSeconds = workerBootSeconds + args.graceSeconds + 60;
    super(
      "DropletWorkerGate",
      name,
      { dropletId: args.dropletId, liveAfterSeconds, timeoutSeconds: liveAfterSeconds + 600, apiToken: pulumi.secret(args.apiToken ?? "") },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["apiToken"] }),
    );
  }
}
