/**
 * When a DigitalOcean web node group is done (components/platforms/digitalocean/poolReady.ts):
 * the wait for `count` droplets at full health behind the load balancer, driven against the
 * loopback fake DigitalOcean API (test/fakeDoFleet.ts) with a fake clock, the provider's
 * diff and update, and the resource the platform registers after every gate.
 */
import { strict as assert } from "node:assert";
import { isSecretValue } from "../automation/offline/mocks";
import type { GateDeps } from "../components/platforms/digitalocean/healthGate";
import { diffPoolReady, poolReadyProvider, waitForPool, type PoolReadyInputs } from "../components/platforms/digitalocean/poolReady";
import { FakeDoFleet } from "./fakeDoFleet";
import { runStack } from "./programQueries";

const token = "dop_v1_fake";
const start = 1_800_000_000_000;

/** A fleet of `n` droplets tagged `web-serving`, each booting for `bootSeconds` from t0, and the gate's deps on the fleet's clock. */
async function fleetOf(n: number, bootSeconds = 150): Promise<{ fleet: FakeDoFleet; deps: GateDeps; clock: { t: number } }> {
  const clock = { t: start };
  const fleet = new FakeDoFleet({ now: () => clock.t, loadBalancerId: "lb-1", bootSeconds });
  await fleet.start();
  for (let i = 0; i < n; i++) {
    const d = fleet.add({ id: 101 + i, createdAt: start, tags: ["web-node", "web-serving"] });
    // Booting: the fake counts a droplet as down for bootSeconds after a power cycle.
    d.actions.push({ type: "power_cycle", at: start, healthyBefore: false });
  }
  const deps: GateDeps = {
    fetch: (url, init) => fetch(url.replace("https://api.digitalocean.com/v2", fleet.apiRoot), init),
    now: () => clock.t,
    sleep: async (ms) => void (clock.t += ms),
  };
  return { fleet, deps, clock };
}

const options = { loadBalancerId: "lb-1", servingTag: "web-serving", leavingTag: "web-node-leaving", count: 2, healthyThreshold: 2, timeoutSeconds: 780, apiToken: token };
const inputs: PoolReadyInputs = { ...options, dropletIds: "101,102" };

describe("DigitalOcean: a node group is done when count droplets serve at full health", function () {
  this.timeout(30000);

  it("waits on a first deployment until every droplet is healthy behind the load balancer", async function () {
    const { fleet, deps, clock } = await fleetOf(2);
    try {
      const polls = await waitForPool(options, deps);
      assert.ok(polls > 2, `it waited (${polls} polls)`);
      assert.ok(clock.t - start >= 150_000, "not before the droplets booted");
      assert.equal(fleet.healthyCount(clock.t), 2);
    } finally {
      await fleet.stop();
    }
  });

  it("fails after its timeout naming the droplet that never got healthy, having changed nothing", async function () {
    const { fleet, deps } = await fleetOf(2);
    fleet.droplets[1].breaks = { at: start, failure: "hopeless" };
    try {
      await assert.rejects(waitForPool(options, deps), /did not get 2 healthy droplets within 780 s: 1 of 2 droplets available \(droplet 102: not at full health\)[\s\S]*doctl compute droplet list --tag-name web-serving/);
      assert.ok(fleet.requests.every((r) => r.line.startsWith("GET ")), "it only reads");
    } finally {
      await fleet.stop();
    }
  });

  it("counts neither a droplet leaving the pool nor one the load balancer does not list", async function () {
    const { fleet, deps } = await fleetOf(3);
    fleet.droplets[1].tags.push("web-node-leaving");
    fleet.droplets[2].inLoadBalancer = false;
    try {
      await assert.rejects(waitForPool({ ...options, timeoutSeconds: 300 }, deps), /1 of 2 droplets available \(droplet 102: leaving the pool; droplet 103: not in the load balancer's list yet\)/);
    } finally {
      await fleet.stop();
    }
  });

  it("rides out throttling and server errors", async function () {
    const { fleet, deps } = await fleetOf(2);
    fleet.misbehaviours.push({ match: /^GET \/v2\/droplets/, from: start, until: start + 120_000, answer: { status: 429, headers: { "Retry-After": "30" } } });
    fleet.misbehaviours.push({ match: /^GET \/v2\/load_balancers/, from: start, until: start + 240_000, answer: { status: 500 }, times: 2 });
    try {
      await waitForPool(options, deps);
      assert.ok(fleet.requests.some((r) => r.status === 429) && fleet.requests.some((r) => r.status === 500));
    } finally {
      await fleet.stop();
    }
  });

  it("updates wait only when the group serves differently: other droplets, another load balancer, a higher count", async function () {
    const { fleet, deps } = await fleetOf(2);
    const provider = poolReadyProvider(deps);
    try {
      await provider.update("x", inputs, { ...inputs, count: 1, healthyThreshold: 3 });
      assert.equal(fleet.requests.length, 0, "a lower count or a new threshold reads nothing");
      await provider.update("x", inputs, { ...inputs, dropletIds: "101,103" });
      assert.ok(fleet.requests.length > 0, "a replaced droplet is waited for");
      assert.deepEqual(diffPoolReady(inputs, { ...inputs, count: 1 }), { changes: false });
      assert.deepEqual(diffPoolReady(inputs, { ...inputs, count: 3 }), { changes: true, replaces: [] });
      assert.deepEqual(diffPoolReady(inputs, { ...inputs, dropletIds: "101,102,103" }), { changes: true, replaces: [] });
      assert.deepEqual(diffPoolReady(inputs, inputs), { changes: false });
    } finally {
      await fleet.stop();
    }
  });

  it("is registered once per web node group, after every gate, over the group's droplets, its token a secret", async function () {
    const p = await runStack("digitalocean");
    const ready = p.all("pulumi-nodejs:dynamic/ha-topology:DropletPoolReady");
    const gates = p.all("pulumi-nodejs:dynamic/ha-topology:DropletHealthGate");
    const droplets = p.all("digitalocean:index/droplet:Droplet").filter((d) => gates.some((g) => p.links(g, "dropletId", d)));
    assert.equal(ready.length, 1);
    for (const g of gates) assert.ok(ready[0].dependencies.includes(g.urn), `after ${g.name}`);
    assert.equal(ready[0].inputs.dropletIds, droplets.map((d) => p.id(d)).sort().join(","));
    assert.equal(ready[0].inputs.count, droplets.length);
    assert.ok(isSecretValue(ready[0].rawInputs.apiToken), "the token is stored encrypted");
  });
});
