/**
 * When a DigitalOcean web node group is done: `nodes.count` droplets serving behind its
 * load balancer at full health. The health gates (healthGate.ts) wait for each REPLACED
 * droplet, but a gate does not wait when it is created (a new droplet has nothing old to
 * protect, and chained waits would bring a first deployment up one droplet at a time), so
 * without this a first `pulumi up`, or one that adds droplets, would return as soon as
 * the droplets exist, before any of them serves.
 *
 * DropletPoolReady, one per node group, after every gate: on create, and on an update
 * whose droplets changed (a rollout, a scale-up) or whose count grew, it polls the pool
 * (`readPool`: the droplets with the serving tag, the load balancer's list, its health
 * metric) until `count` droplets are available (serving, listed, active, at full health
 * `healthyThreshold` samples in a row, not leaving: `availableWithout`), then returns. It
 * changes nothing, so it is safe whatever ran before; on delete it does nothing. Past its
 * timeout it fails the update, naming the droplets that are not available and why.
 */
import * as pulumi from "@pulumi/pulumi";
import { availableWithout, defaultDeps, gateToken, readPool, type GateDeps, type PoolSnapshot } from "./healthGate";
import { ShippedDynamicResource } from "../../shippedDynamicResource";

/** The resource's inputs, resolved. */
export interface PoolReadyInputs {
  /** The load balancer. */
  loadBalancerId: string;
  /** The tag it targets. */
  servingTag: string;
  /** The tag of droplets leaving the pool (not counted). */
  leavingTag: string;
  /** `nodes.count`. */
  count: number;
  /** The group's droplet ids, sorted and joined (a change is a rollout or a scale-up). */
  dropletIds: string;
  /** Consecutive samples at full health that make a droplet available. */
  healthyThreshold: number;
  /** Give up after this many seconds. */
  timeoutSeconds: number;
  /** A DigitalOcean API token; "" for DIGITALOCEAN_TOKEN when it runs. */
  apiToken: string;
}

/** Options of waitForPool. */
export interface PoolWaitOptions extends Omit<PoolReadyInputs, "dropletIds"> {
  /** Seconds between polls (default 15). */
  pollSeconds?: number;
}

/** Why each droplet of the pool does not count (for the failure message). */
export function poolProblems(pool: PoolSnapshot, leavingTag: string): string[] {
  return pool.droplets
    .filter((d) => !availableWithout({ droplets: [d] }, "", leavingTag).length)
    .map((d) => `droplet ${d.id}: ${[!d.active && "not active", !d.inLoadBalancer && "not in the load balancer's list yet", d.tags.includes(leavingTag) && "leaving the pool", d.active && d.inLoadBalancer && !d.healthy && "not at full health"].filter(Boolean).join(", ")}`);
}

/**
 * Polls until `count` droplets are available, backing off on transient API errors; fails
 * after `timeoutSeconds` with what it saw last. Returns how many polls it took.
 */
export async function waitForPool(o: PoolWaitOptions, deps: GateDeps): Promise<number> {
  const deadline = deps.now() + o.timeoutSeconds * 1000;
  const pollMs = (o.pollSeconds ?? 15) * 1000;
  let polls = 0;
  let last = "nothing read yet";
  let backoffMs = pollMs;
  for (;;) {
    polls++;
    const pool = await readPool({ servingTag: o.servingTag, loadBalancerId: o.loadBalancerId, apiToken: o.apiToken, healthyThreshold: o.healthyThreshold }, deps);
    if (typeof pool === "string") {
      last = `the API failed: ${pool}`;
      backoffMs = Math.min(backoffMs * 2, 120_000);
    } else {
      backoffMs = pollMs;
      const available = availableWithout(pool, "", o.leavingTag).length;
      if (available >= o.count) return polls;
      const problems = poolProblems(pool, o.leavingTag);
      last = `${available} of ${o.count} droplets available${problems.length > 0 ? ` (${problems.join("; ")})` : ""}`;
    }
    if (deps.now() + backoffMs > deadline) {
      throw new Error(
        `The node group behind load balancer ${o.loadBalancerId} did not get ${o.count} healthy droplets within ${o.timeoutSeconds} s: ${last}. ` +
          `Nothing was removed. Look at the droplets tagged ${o.servingTag} (\`doctl compute droplet list --tag-name ${o.servingTag}\`), their console and ` +
          "`journalctl -u ha-topology-app` on them, fix the cause and run `pulumi up` again.",
      );
    }
    await deps.sleep(backoffMs);
  }
}

/** The provider's diff: an update when the droplets, the load balancer or the token changed, or the count grew. */
export function diffPoolReady(olds: Partial<PoolReadyInputs>, news: PoolReadyInputs): pulumi.dynamic.DiffResult {
  const changed = olds.dropletIds !== news.dropletIds || olds.loadBalancerId !== news.loadBalancerId || olds.apiToken !== news.apiToken || news.count > (olds.count ?? 0)
    || olds.servingTag !== news.servingTag || olds.leavingTag !== news.leavingTag || olds.healthyThreshold !== news.healthyThreshold || olds.timeoutSeconds !== news.timeoutSeconds;
  return changed ? { changes: true, replaces: [] } : { changes: false };
}

/** The dynamic provider; `injected` replaces the real world in tests. */
export function poolReadyProvider(injected?: GateDeps): Required<Pick<pulumi.dynamic.ResourceProvider<PoolReadyInputs, PoolReadyInputs>, "diff" | "create" | "update" | "delete">> {
  return {
    async diff(_id, olds, news) {
      return diffPoolReady(olds, news);
    },
    async create(inputs) {
      await waitForPool({ ...inputs, apiToken: gateToken(inputs) }, injected ?? defaultDeps());
      return { id: `pool-ready-${inputs.servingTag}`, outs: inputs };
    },
    async update(_id, olds, news) {
      // Only settings changed (a lower count, the token, a threshold): nothing to wait for.
      const serves = olds.dropletIds !== news.dropletIds || olds.loadBalancerId !== news.loadBalancerId || news.count > olds.count;
      if (serves) await waitForPool({ ...news, apiToken: gateToken(news) }, injected ?? defaultDeps());
      return { outs: news };
    },
    async delete() {
      // Nothing: it only ever read.
    },
  };
}

/** Arguments of DropletPoolReady. */
export interface DropletPoolReadyArgs {
  /** The load balancer. */
  loadBalancerId: pulumi.Input<string>;
  /** The tag it targets. */
  servingTag: pulumi.Input<string>;
  /** The tag of droplets leaving the pool. */
  leavingTag: pulumi.Input<string>;
  /** `nodes.count`. */
  count: number;
  /** The group's droplets' ids. */
  dropletIds: pulumi.Input<string>[];
  /** Consecutive healthy samples. */
  healthyThreshold: number;
  /** Seconds before it fails the update. */
  timeoutSeconds: number;
  /** A DigitalOcean API token (a secret); unset: DIGITALOCEAN_TOKEN when it runs. */
  apiToken?: pulumi.Input<string>;
}

/** Holds `pulumi up` until the node group serves with `count` healthy droplets (see the module comment). */
export class DropletPoolReady extends ShippedDynamicResource {
  constructor(name: string, args: DropletPoolReadyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "DropletPoolReady",
      name,
      {
        loadBalancerId: args.loadBalancerId,
        servingTag: args.servingTag,
        leavingTag: args.leavingTag,
        count: args.count,
        dropletIds: pulumi.all(args.dropletIds).apply((ids) => [...ids].sort().join(",")),
        healthyThreshold: args.healthyThreshold,
        timeoutSeconds: args.timeoutSeconds,
        apiToken: pulumi.secret(args.apiToken ?? ""),
      },
      pulumi.mergeOptions(opts, { additionalSecretOutputs: ["apiToken"] }),
    );
  }
}
