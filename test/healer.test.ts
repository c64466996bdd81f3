/**
 * The DigitalOcean node healer (components/platforms/digitalocean/healer.ts): its
 * decision (a pure function) on every kind of input, and its loop against a fake
 * DigitalOcean API on loopback (test/fakeDoFleet.ts) driving a simulated fleet through
 * success, failure, throttling and timeouts over fake time. What the user sees is the
 * log; the fleet asserts that no action ever hit a healthy droplet, that one droplet of a
 * group is treated at a time, and that the healthy count never drops because of the healer.
 * Last, the App the DigitalOcean platform registers (mocks), and its script, decoded and
 * run with node against the loopback fleet as the worker runs it.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isSecretValue, runWithMocks } from "../automation/offline/mocks";
import { stackConfigWith, stackFilePath } from "../automation/stackFiles";
import {
  decide,
  freshMemory,
  rateLimitPauseMs,
  recordAction,
  rolloutInProgress,
  runHealer,
  type DropletObservation,
  type GroupMemory,
  type HealerConfig,
  type HealerDeps,
  type HealerGroup,
} from "../components/platforms/digitalocean/healer";
import { FakeDoFleet, type Failure } from "./fakeDoFleet";
import { plainStrings } from "./programQueries";

const group: HealerGroup = {
  name: "web",
  nodeTag: "web-nodes",
  servingTag: "web-serving",
  leavingTag: "web-nodes-leaving",
  loadBalancerId: "lb-1",
  count: 3,
  healthyThreshold: 2,
  graceSeconds: 180,
  unhealthySeconds: 330,
  image: "ubuntu-24-04-x64",
};
const cooldown = 6 * 3600;
const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const min = 60_000;

/** A droplet observation: old enough, serving, listed, healthy unless said otherwise. */
function obs(id: string, patch: Partial<DropletObservation> = {}): DropletObservation {
  return { id, status: "active", createdAt: t0 - 24 * 60 * min, tags: [group.nodeTag, group.servingTag], inLoadBalancer: true, health: "healthy", ...patch };
}
const fleet3 = (patch: Record<string, Partial<DropletObservation>> = {}) => ["101", "102", "103"].map((id) => obs(id, patch[id]));
/** Memory in which `ids` have been unhealthy since `since`. */
const unhealthyFor = (since: number, ...ids: string[]): GroupMemory => ({ ...freshMemory(), unhealthySince: Object.fromEntries(ids.map((id) => [id, since])) });

describe("DigitalOcean healer: the decision (pure)", function () {
  it("does nothing while every droplet is healthy, and remembers nothing", function () {
    const d = decide(group, fleet3(), freshMemory(), t0, cooldown);
    assert.equal(d.action, undefined);
    assert.deepEqual(d.notes, []);
    assert.deepEqual(d.memory, freshMemory());
  });

  it("starts counting when a droplet is first seen unhealthy, and acts only after unhealthySeconds of it", function () {
    const first = decide(group, fleet3({ "102": { health: "unhealthy" } }), freshMemory(), t0, cooldown);
    assert.equal(first.action, undefined);
    assert.deepEqual(first.memory.unhealthySince, { "102": t0 });
    const early = decide(group, fleet3({ "102": { health: "unhealthy" } }), first.memory, t0 + 329_000, cooldown);
    assert.equal(early.action, undefined);
    const due = decide(group, fleet3({ "102": { health: "unhealthy" } }), first.memory, t0 + 330_000, cooldown);
    assert.deepEqual(due.action && { type: due.action.type, dropletId: due.action.dropletId }, { type: "power_cycle", dropletId: "102" });
    assert.match(due.action!.reason, /failed the load balancer's health check for 330 s/);
    assert.equal(due.memory.treatment, undefined, "the action is recorded only once the API accepted it");
  });

  it("resets the count when the droplet is seen healthy or unknown in between (it must fail on every poll)", function () {
    for (const health of ["healthy", "unknown"] as const) {
      const d = decide(group, fleet3({ "102": { health } }), unhealthyFor(t0, "102"), t0 + 10 * min, cooldown);
      assert.deepEqual(d.memory.unhealthySince, {}, health);
      assert.equal(d.action, undefined);
    }
  });

  it("never acts on a droplet whose health is unknown (no series names it), however long", function () {
    const d = decide({ ...group, count: 1 }, [obs("101", { health: "unknown" })], freshMemory(), t0 + 24 * 60 * min, cooldown);
    assert.equal(d.action, undefined);
  });

  it("heals a single-droplet group (one unhealthy droplet is a node failure, not an outage)", function () {
    const d = decide({ ...group, count: 1 }, [obs("101", { health: "unhealthy" })], unhealthyFor(t0, "101"), t0 + 6 * min, cooldown);
    assert.equal(d.action?.type, "power_cycle");
  });

  it("acts on droplets that are active or off, never on one being created or archived", function () {
    for (const [status, acts] of [["active", true], ["off", true], ["new", false], ["archive", false]] as const) {
      const d = decide(group, fleet3({ "102": { health: "unhealthy", status } }), unhealthyFor(t0, "102"), t0 + 6 * min, cooldown);
      assert.equal(d.action?.type === "power_cycle", acts, status);
    }
  });

  it("picks one droplet (the smallest id) when two are due in a group where they are not the majority", function () {
    const four = [...fleet3({ "102": { health: "unhealthy" }, "103": { health: "unhealthy" } }), obs("104")];
    const d = decide({ ...group, count: 4 }, four, unhealthyFor(t0, "103", "102"), t0 + 6 * min, cooldown);
    assert.equal(d.action?.dropletId, "102");
  });

  it("treats one droplet at a time: while 102 is being healed, 103 waits", function () {
    const four = [...fleet3({ "102": { health: "unhealthy" }, "103": { health: "unhealthy" } }), obs("104")];
    const memory = recordAction(unhealthyFor(t0, "102", "103"), { type: "power_cycle", dropletId: "102", reason: "" }, t0 + 6 * min);
    const d = decide({ ...group, count: 4 }, four, memory, t0 + 8 * min, cooldown);
    assert.equal(d.action, undefined);
    assert.equal(d.memory.treatment?.dropletId, "102");
  });

  it("escalates to a rebuild with the node image when the power cycle did not help, after grace + unhealthySeconds", function () {
    const memory = recordAction(unhealthyFor(t0, "102"), { type: "power_cycle", dropletId: "102", reason: "" }, t0);
    const waiting = decide(group, fleet3({ "102": { health: "unhealthy" } }), memory, t0 + 509_000, cooldown);
    assert.equal(waiting.action, undefined, "still within the 180 + 330 s after the power cycle");
    const d = decide(group, fleet3({ "102": { health: "unhealthy" } }), memory, t0 + 510_000, cooldown);
    assert.equal(d.action?.type, "rebuild");
    assert.equal(d.action?.dropletId, "102");
    assert.match(d.action!.reason, /still not healthy 510 s after its power cycle/);
  });

  it("does not escalate on a treated droplet whose health the metric stops showing: it waits", function () {
    const memory = recordAction(unhealthyFor(t0, "102"), { type: "power_cycle", dropletId: "102", reason: "" }, t0);
    const d = decide(group, fleet3({ "102": { health: "unknown" } }), memory, t0 + 60 * min, cooldown);
    assert.equal(d.action, undefined);
    assert.equal(d.memory.treatment?.step, "power_cycle");
  });

  it("says the droplet is healthy again, ends its treatment and rests it for the cooldown (its rate limit)", function () {
    const memory = recordAction(unhealthyFor(t0, "102"), { type: "power_cycle", dropletId: "102", reason: "" }, t0);
    const d = decide(group, fleet3(), memory, t0 + 4 * min, cooldown);
    assert.deepEqual(d.notes, ["group web: droplet 102 is healthy again after its power cycle"]);
    assert.equal(d.memory.treatment, undefined);
    assert.deepEqual(d.memory.restedAt, { "102": t0 + 4 * min });
    // Failing again within the cooldown: no new cycle on it; after the cooldown: a new one.
    const again = unhealthyFor(t0 + 5 * min, "102");
    const within = decide(group, fleet3({ "102": { health: "unhealthy" } }), { ...again, restedAt: d.memory.restedAt }, t0 + 60 * min, cooldown);
    assert.equal(within.action, undefined);
    assert.equal(within.notes.length, 1);
    assert.match(within.notes[0], /^ALERT: group web: droplet 102 fails its health check again, 3360 s after it was healed; the healer does not act on it again before 2026-01-01T18:04:00.000Z/);
    // Said once, then again only after alertRepeatMs.
    assert.deepEqual(decide(group, fleet3({ "102": { health: "unhealthy" } }), within.memory, t0 + 61 * min, cooldown).notes, []);
    assert.equal(decide(group, fleet3({ "102": { health: "unhealthy" } }), within.memory, t0 + 90 * min, cooldown).notes.length, 1);
    const after = decide(group, fleet3({ "102": { health: "unhealthy" } }), { ...again, restedAt: d.memory.restedAt }, t0 + 4 * min + cooldown * 1000, cooldown);
    assert.equal(after.action?.type, "power_cycle");
  });

  it("gives up after the rebuild with an ALERT naming what to do, leaves that droplet alone, and frees the group", function () {
    const memory = recordAction(unhealthyFor(t0, "102"), { type: "rebuild", dropletId: "102", reason: "" }, t0);
    const d = decide({ ...group, count: 5 }, [...fleet3({ "102": { health: "unhealthy" } }), obs("104"), obs("105")], memory, t0 + 510_000, cooldown);
    assert.equal(d.action, undefined);
    assert.equal(d.notes.length, 1);
    assert.match(d.notes[0], /^ALERT: group web: droplet 102 is still failing its health check 510 s after a power cycle and a rebuild/);
    assert.match(d.notes[0], /journalctl -u ha-topology-app/);
    assert.deepEqual(d.memory.treatment, { dropletId: "102", step: "gave-up", at: t0 + 510_000 });
    // Another droplet failing meanwhile is healed (the group is free); 102 is not touched again.
    const other = decide({ ...group, count: 5 }, [...fleet3({ "102": { health: "unhealthy" }, "104": { health: "unhealthy" } }), obs("105")].map((o) => o), { ...d.memory, unhealthySince: { "102": t0, "104": t0 + 10 * min } }, t0 + 20 * min, cooldown);
    assert.equal(other.action?.dropletId, undefined, "104 is not yet unhealthy long enough");
    const later = decide({ ...group, count: 5 }, [...fleet3({ "102": { health: "unhealthy" } }), obs("104", { health: "unhealthy" }), obs("105")], { ...d.memory, unhealthySince: { "102": t0, "104": t0 + 10 * min } }, t0 + 16 * min + 330_000, cooldown);
    assert.equal(later.action?.dropletId, "104");
    // After the cooldown, 102 gets a new cycle.
    const rested = decide({ ...group, count: 5 }, [...fleet3({ "102": { health: "unhealthy" } }), obs("104"), obs("105")], { ...d.memory, unhealthySince: { "102": t0 } }, t0 + 510_000 + cooldown * 1000, cooldown);
    assert.equal(rested.action?.dropletId, "102");
    assert.equal(rested.action?.type, "power_cycle");
  });

  it("alerts and does nothing when two or more and most droplets fail at once (an outage of the app, not of a node)", function () {
    const d = decide(group, fleet3({ "101": { health: "unhealthy" }, "102": { health: "unhealthy" } }), unhealthyFor(t0, "101", "102"), t0 + 60 * min, cooldown);
    assert.equal(d.action, undefined);
    assert.match(d.notes.join("\n"), /^ALERT: group web: 2 of its 3 droplets fail the load balancer's health check at once \(101, 102\): that is an outage/);
    // Two of four is not most: one of them is healed.
    const four = decide({ ...group, count: 4 }, [...fleet3({ "101": { health: "unhealthy" }, "102": { health: "unhealthy" } }), obs("104")], unhealthyFor(t0, "101", "102"), t0 + 60 * min, cooldown);
    assert.equal(four.action?.dropletId, "101");
    // The alert is repeated every half hour while the outage lasts, and said again when a new one starts.
    assert.deepEqual(decide(group, fleet3({ "101": { health: "unhealthy" }, "102": { health: "unhealthy" } }), d.memory, t0 + 61 * min, cooldown).notes, []);
    assert.equal(decide(group, fleet3({ "101": { health: "unhealthy" }, "102": { health: "unhealthy" } }), d.memory, t0 + 90 * min, cooldown).notes.length, 1);
    const over = decide(group, fleet3(), d.memory, t0 + 62 * min, cooldown);
    assert.deepEqual(over.memory.alerts, {});
    assert.equal(decide(group, fleet3({ "101": { health: "unhealthy" }, "102": { health: "unhealthy" } }), over.memory, t0 + 63 * min, cooldown).notes.length, 1);
    // An outage also stops the escalation of a treatment.
    const treating = recordAction(unhealthyFor(t0, "101", "102"), { type: "power_cycle", dropletId: "101", reason: "" }, t0);
    const stopped = decide(group, fleet3({ "101": { health: "unhealthy" }, "102": { health: "unhealthy" } }), treating, t0 + 60 * min, cooldown);
    assert.equal(stopped.action, undefined);
  });

  describe("never while a rollout works on the group", function () {
    const cases: Array<[string, DropletObservation[], RegExp]> = [
      ["a droplet carries the leaving tag", fleet3({ "101": { tags: [group.nodeTag, group.servingTag, group.leavingTag] } }), /carries web-nodes-leaving/],
      ["a droplet was drained (no serving tag)", fleet3({ "101": { tags: [group.nodeTag] } }), /has no web-serving tag/],
      ["a droplet is younger than the grace period", fleet3({ "103": { createdAt: t0 + 60 * min - 179_000 } }), /younger than the 180 s grace period/],
      ["the load balancer does not list a droplet yet", fleet3({ "103": { inLoadBalancer: false } }), /does not list droplet 103/],
      ["more droplets than count (a replacement in flight)", [...fleet3(), obs("104")], /4 droplets carry web-nodes, more than the 3/],
    ];
    for (const [what, droplets, reason] of cases) {
      it(`${what}`, function () {
        const failing = droplets.map((d) => (d.id === "102" ? { ...d, health: "unhealthy" as const } : d));
        assert.match(rolloutInProgress(group, failing, t0 + 60 * min) ?? "", reason);
        const d = decide(group, failing, unhealthyFor(t0, "102"), t0 + 60 * min, cooldown);
        assert.equal(d.action, undefined);
        assert.match(d.notes.join("\n"), /not acting while a rollout works/);
        // Nor escalates a treatment.
        const treating = recordAction(unhealthyFor(t0, "102"), { type: "power_cycle", dropletId: "102", reason: "" }, t0);
        assert.equal(decide(group, failing, treating, t0 + 60 * min, cooldown).action, undefined);
      });
    }
    it("but a droplet exactly as old as the grace period is not booting any more", function () {
      assert.equal(rolloutInProgress(group, fleet3({ "103": { createdAt: t0 - 180_000 } }), t0), undefined);
    });
  });

  it("forgets droplets that are gone, including the one under treatment", function () {
    const memory = recordAction({ ...unhealthyFor(t0, "102", "999"), restedAt: { "998": t0 } }, { type: "power_cycle", dropletId: "999", reason: "" }, t0);
    const d = decide(group, fleet3({ "102": { health: "unhealthy" } }), memory, t0 + min, cooldown);
    assert.deepEqual(d.memory, { unhealthySince: { "102": t0 }, restedAt: {}, alerts: {} });
  });

  it("reads how long a 429 asks to wait: Retry-After seconds or date, ratelimit-reset, else a minute; capped", function () {
    const h = (headers: Record<string, string>) => ({ get: (name: string) => headers[name] ?? null });
    assert.equal(rateLimitPauseMs(h({ "retry-after": "42" }), t0), 42_000);
    assert.equal(rateLimitPauseMs(h({ "retry-after": new Date(t0 + 90_000).toUTCString() }), t0), 90_000);
    assert.equal(rateLimitPauseMs(h({ "ratelimit-reset": String(t0 / 1000 + 120) }), t0), 120_000);
    assert.equal(rateLimitPauseMs(h({}), t0), 60_000);
    assert.equal(rateLimitPauseMs(h({ "retry-after": "86400" }), t0), 15 * 60_000);
    assert.equal(rateLimitPauseMs(h({ "retry-after": "0" }), t0), 1000);
  });
});

// ---- The loop against the loopback fake ---------------------------------------------

/** A fake clock whose sleeps advance time in 10 s steps, sampling the fleet's healthy count. */
function world(fleet: FakeDoFleet, clock: { now: number }) {
  const lines: string[] = [];
  let minHealthy = Infinity;
  const samples: Array<[number, number]> = [];
  const deps: HealerDeps = {
    fetch: (url, init) => fetch(url, init),
    now: () => clock.now,
    async sleep(ms) {
      const end = clock.now + ms;
      while (clock.now < end) {
        clock.now = Math.min(end, clock.now + 10_000);
        const healthy = fleet.healthyCount(clock.now);
        samples.push([clock.now, healthy]);
        minHealthy = Math.min(minHealthy, healthy);
      }
    },
    log: (line) => lines.push(`${Math.round((clock.now - t0) / 1000)}s ${line}`),
  };
  return { deps, lines, samples, minHealthy: () => minHealthy };
}

/** A fleet of `n` droplets (ids 101..), created a day before t0; `breaks` maps an id to when (s after t0) and how it fails. */
async function startFleet(n: number, breaks: Record<number, [number, Failure]> = {}, opts: { rebuildSeconds?: number } = {}) {
  const clock = { now: t0 };
  const fleet = new FakeDoFleet({ now: () => clock.now, loadBalancerId: group.loadBalancerId, bootSeconds: 90, rebuildSeconds: opts.rebuildSeconds ?? 300 });
  for (let i = 0; i < n; i++) {
    const id = 101 + i;
    const b = breaks[id];
    fleet.add({ id, createdAt: t0 - 24 * 60 * min, tags: [group.nodeTag, group.servingTag, "web-nodes-floor-3"], ...(b && { breaks: { at: t0 + b[0] * 1000, failure: b[1] } }) });
  }
  await fleet.start();
  const config: HealerConfig = { apiRoot: fleet.apiRoot, pollSeconds: 30, requestTimeoutSeconds: 0.3, cooldownSeconds: cooldown, groups: [{ ...group, count: n }] };
  return { fleet, clock, config, w: world(fleet, clock) };
}

/** Rounds of the loop for this many fake minutes (one round every 30 s). */
const roundsFor = (minutes: number) => minutes * 2;

/**
 * The fleet-wide invariants: no action on a healthy droplet; per group one droplet in
 * treatment at a time (an action on another droplet only once the previous one is healthy
 * or was given up on); the healthy count never below `count` minus the droplets the
 * simulation broke and has not seen healed.
 */
function assertSafe(fleet: FakeDoFleet, w: ReturnType<typeof world>): void {
  const actions = fleet.actions();
  for (const a of actions) assert.equal(a.healthyBefore, false, `droplet ${a.dropletId} was healthy when the healer sent ${a.type}`);
  for (let i = 1; i < actions.length; i++) {
    const prev = actions[i - 1];
    const cur = actions[i];
    if (prev.dropletId === cur.dropletId) continue;
    const prevDroplet = fleet.droplets.find((d) => d.id === prev.dropletId)!;
    const gaveUp = w.lines.some((l) => l.includes(`ALERT: group web: droplet ${prev.dropletId} is still failing`));
    assert.ok(fleet.healthyAt(prevDroplet, cur.at) || gaveUp, `droplet ${cur.dropletId} was acted on while droplet ${prev.dropletId} was still being healed`);
  }
  for (const [t, healthy] of w.samples) {
    const broken = fleet.droplets.filter((d) => d.breaks && t >= d.breaks.at && !fleet.healthyAt(d, t)).length;
    assert.ok(healthy >= fleet.droplets.length - broken, `at ${t - t0} ms ${healthy} healthy with ${broken} broken by the simulation`);
  }
}

describe("DigitalOcean healer: the loop against a loopback DigitalOcean API", function () {
  this.timeout(60_000);
  let running: FakeDoFleet | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it("leaves a healthy fleet alone for an hour: only reads, no action, nothing logged but the start", async function () {
    const { fleet, config, w } = await startFleet(3);
    running = fleet;
    await runHealer(config, "dop_v1_fake", w.deps, { rounds: roundsFor(60) });
    assert.deepEqual(fleet.actions(), []);
    assert.ok(fleet.requests.every((r) => r.line.startsWith("GET ")), "only reads");
    assert.deepEqual(w.lines, ["0s healer: watching web (3 droplets tagged web-nodes)"]);
    assert.equal(w.minHealthy(), 3);
  });

  it("power cycles a hung droplet once, sees it healthy again, and the fleet is back to its count", async function () {
    const { fleet, config, w } = await startFleet(3, { 102: [600, "hung"] });
    running = fleet;
    await runHealer(config, "dop_v1_fake", w.deps, { rounds: roundsFor(60) });
    assert.deepEqual(fleet.actions().map((a) => [a.dropletId, a.type]), [[102, "power_cycle"]]);
    const at = (fleet.actions()[0].at - t0) / 1000;
    assert.ok(at >= 600 + 330 && at <= 600 + 330 + 120, `acted ${at} s after t0: after 330 s of failing, within a sample period and a poll`);
    assert.ok(w.lines.some((l) => /healer: group web: power_cycle droplet 102 \(droplet 102 has failed the load balancer's health check for \d+ s\)/.test(l)), w.lines.join("\n"));
    assert.ok(w.lines.some((l) => l.endsWith("healer: group web: droplet 102 is healthy again after its power cycle")), w.lines.join("\n"));
    assert.equal(fleet.healthyCount(t0 + 60 * min), 3);
    assertSafe(fleet, w);
    assert.equal(w.minHealthy(), 2, "one droplet down, never more");
  });

  it("rebuilds (with the node image) a droplet the power cycle did not fix", async function () {
    const { fleet, config, w } = await startFleet(3, { 103: [300, "disk"] });
    running = fleet;
    await runHealer(config, "dop_v1_fake", w.deps, { rounds: roundsFor(90) });
    assert.deepEqual(fleet.actions().map((a) => [a.dropletId, a.type, a.image]), [[103, "power_cycle", undefined], [103, "rebuild", "ubuntu-24-04-x64"]]);
    const [cycle, rebuild] = fleet.actions();
    assert.ok(rebuild.at - cycle.at >= (180 + 330) * 1000, "the rebuild waits grace + unhealthySeconds after the power cycle");
    assert.ok(w.lines.some((l) => l.includes("rebuild droplet 103 (droplet 103 is still not healthy")), w.lines.join("\n"));
    assert.ok(w.lines.some((l) => l.endsWith("droplet 103 is healthy again after its rebuild")), w.lines.join("\n"));
    assert.equal(fleet.healthyCount(t0 + 90 * min), 3);
    assertSafe(fleet, w);
  });

  it("gives up on a droplet nothing fixes, with an ALERT, and does not touch it again within the cooldown", async function () {
    const { fleet, config, w } = await startFleet(3, { 101: [0, "hopeless"] });
    running = fleet;
    await runHealer(config, "dop_v1_fake", w.deps, { rounds: roundsFor(180) });
    assert.deepEqual(fleet.actions().map((a) => [a.dropletId, a.type]), [[101, "power_cycle"], [101, "rebuild"]]);
    assert.equal(w.lines.filter((l) => l.includes("ALERT: group web: droplet 101 is still failing")).length, 1, w.lines.join("\n"));
    assertSafe(fleet, w);
  });

  it("heals two failing droplets of a group of four one after the other, never both at once", async function () {
    const { fleet, config, w } = await startFleet(4, { 101: [300, "disk"], 104: [400, "hung"] });
    running = fleet;
    await runHealer(config, "dop_v1_fake", w.deps, { rounds: roundsFor(120) });
    assert.deepEqual(fleet.actions().map((a) => [a.dropletId, a.type]), [[101, "power_cycle"], [101, "rebuild"], [104, "power_cycle"]]);
    assert.equal(fleet.healthyCount(t0 + 120 * min), 4);
    assertSafe(fleet, w);
    assert.equal(w.minHealthy(), 2);
  });

  it("does not act on a fleet-wide failure (two of three): it alerts and touches nothing", async function () {
    const { fleet, config, w } = await startFleet(3, { 101: [300, "hung"], 102: [300, "hung"] });
    running = fleet;
    await runHealer(config, "dop_v1_fake", w.deps, { rounds: roundsFor(30) });
    assert.deepEqual(fleet.actions(), []);
    const alerts = w.lines.filter((l) => l.includes("ALERT: group web: 2 of its 3 droplets fail the load balancer's health check at once (101, 102)"));
    assert.equal(alerts.length, 1, `said once in the half hour, not every poll:\n${w.lines.join("\n")}`);
  });

  it("waits out a rollout: a droplet carrying the leaving tag stops all action until it is gone", async function () {
    const { fleet, config, w } = await startFleet(3, { 102: [0, "hung"] });
    running = fleet;
    fleet.droplets[0].tags.push(group.leavingTag);
    await runHealer(config, "dop_v1_fake", w.deps, { rounds: roundsFor(30) });
    assert.deepEqual(fleet.actions(), []);
    assert.ok(w.lines.some((l) => l.includes("not acting while a rollout works (droplet 101 carries web-nodes-leaving")), w.lines.join("\n"));
    // The rollout ends (the leaving droplet is deleted, a fresh one took its place long ago): the healer acts.
    fleet.droplets.splice(0, 1);
    fleet.add({ id: 201, createdAt: t0, tags: [group.nodeTag, group.servingTag] });
    await runHealer(config, "dop_v1_fake", w.deps, { rounds: roundsFor(30) });
    assert.deepEqual(fleet.actions().map((a) => [a.dropletId, a.type]), [[102, "power_cycle"]]);
  });

  it("respects a 429: no request until the Retry-After time, then carries on and heals", async function () {
    const { fleet, config, w } = await startFleet(3, { 102: [300, "hung"] });
    running = fleet;
    fleet.misbehaviours.push({ match: /^GET \/v2\/droplets\?/, from: t0 + 10 * min, until: t0 + 11 * min, answer: { status: 429, headers: { "retry-after": "240", "ratelimit-remaining": "0" } } });
    await runHealer(config, "dop_v1_fake", w.deps, { rounds: roundsFor(40) });
    const throttled = fleet.requests.filter((r) => r.status === 429);
    assert.equal(throttled.length, 1, "one refused request, then a pause");
    const next = fleet.requests.find((r) => r.at > throttled[0].at)!;
    assert.ok(next.at - throttled[0].at >= 240_000, `next request ${(next.at - throttled[0].at) / 1000} s after the 429`);
    assert.ok(w.lines.some((l) => l.includes("GET /v2/droplets answered HTTP 429 (rate limited); retrying later, nothing was done")), w.lines.join("\n"));
    assert.deepEqual(fleet.actions().map((a) => [a.dropletId, a.type]), [[102, "power_cycle"]]);
    assertSafe(fleet, w);
  });

  it("respects a 429 on the action itself (ratelimit-reset): the action is not counted as taken, and is sent once it is allowed", async function () {
    const { fleet, config, w } = await startFleet(3, { 102: [300, "hung"] });
    running = fleet;
    fleet.misbehaviours.push({ match: /^POST \/v2\/droplets\/102\/actions/, from: t0, until: t0 + 60 * min, times: 1, answer: { status: 429, headers: { "ratelimit-reset": String(Math.floor(t0 / 1000) + 20 * 60) } } });
    await runHealer(config, "dop_v1_fake", w.deps, { rounds: roundsFor(40) });
    const posts = fleet.requests.filter((r) => r.line.startsWith("POST "));
    assert.deepEqual(posts.map((p) => p.status), [429, 201]);
    assert.ok(posts[1].at >= t0 + 20 * min, "sent again after the reset time");
    assert.deepEqual(fleet.actions().map((a) => [a.dropletId, a.type]), [[102, "power_cycle"]]);
    assertSafe(fleet, w);
  });

  it("survives timeouts and 5xx of the monitoring API: it logs, backs off, never acts on what it could not read", async function () {
    const { fleet, config, w } = await startFleet(3, { 102: [300, "hung"] });
    running = fleet;
    fleet.misbehaviours.push({ match: /droplets_health_checks/, from: t0 + 6 * min, until: t0 + 9 * min, answer: "hang" });
    fleet.misbehaviours.push({ match: /droplets_health_checks/, from: t0 + 9 * min, until: t0 + 12 * min, answer: { status: 500 } });
    await runHealer(config, "dop_v1_fake", w.deps, { rounds: roundsFor(40) });
    assert.ok(w.lines.some((l) => l.includes("GET /v2/monitoring/metrics/load_balancer/droplets_health_checks failed: no answer within 0.3 s; retrying later")), w.lines.join("\n"));
    assert.ok(w.lines.some((l) => l.includes("droplets_health_checks answered HTTP 500")), w.lines.join("\n"));
    const firstAction = fleet.actions()[0];
    assert.ok(firstAction.at >= t0 + 12 * min, "nothing was done while the metric could not be read");
    assert.deepEqual(fleet.actions().map((a) => [a.dropletId, a.type]), [[102, "power_cycle"]]);
    assertSafe(fleet, w);
  });

  it("a failed action (HTTP 500) is retried on a later round, and the droplet is acted on exactly once", async function () {
    const { fleet, config, w } = await startFleet(3, { 102: [300, "hung"] });
    running = fleet;
    fleet.misbehaviours.push({ match: /^POST /, from: t0, until: t0 + 60 * min, times: 2, answer: { status: 500 } });
    await runHealer(config, "dop_v1_fake", w.deps, { rounds: roundsFor(40) });
    assert.deepEqual(fleet.requests.filter((r) => r.line.startsWith("POST ")).map((r) => r.status), [500, 500, 201]);
    assert.deepEqual(fleet.actions().map((a) => [a.dropletId, a.type]), [[102, "power_cycle"]]);
    assertSafe(fleet, w);
  });

  it("a refused token is said in words (which access it needs), and nothing is done", async function () {
    const { fleet, config, w } = await startFleet(3, { 102: [0, "hung"] });
    running = fleet;
    await runHealer(config, "dop_v1_wrong", w.deps, { rounds: 3 });
    assert.deepEqual(fleet.actions(), []);
    assert.ok(w.lines.some((l) => l.includes("answered HTTP 401: DigitalOcean refused the healer's token. It needs droplet read and update (power cycle, rebuild)")), w.lines.join("\n"));
  });
});

// ---- The App the DigitalOcean platform registers, and its script run as the worker runs it ----

/** The registered healer App of a DigitalOcean stack run under mocks. */
async function healerOf(stackFile: string, patch: Record<string, unknown> = {}) {
  const run = await runWithMocks(stackConfigWith(stackFile, patch));
  if (run.error) throw run.error;
  const apps = run.resources.filter((r) => r.type === "digitalocean:index/app:App");
  assert.equal(apps.length, 1, "one healer App per stack");
  const app = apps[0];
  const worker = app.inputs.spec.workers[0];
  const env = (key: string) => worker.envs.find((e: { key: string }) => e.key === key);
  return { run, app, worker, env, config: JSON.parse(env("HEALER_CONFIG").value) as HealerConfig };
}

describe("DigitalOcean healer: the App Platform worker the platform registers (mocks)", function () {
  this.timeout(120_000);

  it("runs one pinned Node image from Docker Hub on the smallest instance, with the token as a SECRET variable kept secret in the state", async function () {
    const { app, worker, env, run } = await healerOf(stackFilePath("digitalocean"), { "digitalocean:token": "dop_v1_configured" });
    assert.match(app.urn, /ha-topology:digitalocean:NodeHealer\$digitalocean:index\/app:App::web-healer$/);
    assert.equal(app.inputs.spec.name, "web-test-healer");
    assert.equal(app.inputs.spec.region, "fra", "the App Platform region of the droplets' fra1");
    assert.deepEqual(app.inputs.spec.workers.length, 1);
    assert.deepEqual(worker.image, { registryType: "DOCKER_HUB", registry: "library", repository: "node", tag: "22.12.0-alpine" });
    assert.match(worker.image.tag, /^\d+\.\d+\.\d+-/, "a pinned version, not a moving tag");
    assert.equal(worker.instanceSizeSlug, "apps-s-1vcpu-0.5gb");
    assert.equal(worker.instanceCount, 1);
    assert.equal(worker.runCommand, "sh -c 'echo \"$HEALER_SCRIPT\" | base64 -d > /tmp/healer.js && exec node /tmp/healer.js'");
    assert.deepEqual({ type: env("DIGITALOCEAN_TOKEN").type, value: env("DIGITALOCEAN_TOKEN").value }, { type: "SECRET", value: "dop_v1_configured" });
    // A secret nested in an input makes the whole input secret: the spec reaches the engine (and the state) encrypted.
    assert.ok(isSecretValue(app.rawInputs.spec), "the token reaches the engine as a secret");
    assert.ok(!plainStrings(app.rawInputs).includes("dop_v1_configured"), "the token shows nowhere in plain text");
    assert.equal(run.resources.filter((r) => r.type === "digitalocean:index/app:App").length, 1);
  });

  it("covers the web's node group: its tags, load balancer, count, thresholds, grace and node image; the marker lists its serving tag", async function () {
    const { env, config, run } = await healerOf(stackFilePath("digitalocean"), { "digitalocean:token": "dop_v1_configured" });
    const lb = run.resources.find((r) => r.type === "digitalocean:index/loadBalancer:LoadBalancer")!;
    assert.deepEqual(config, {
      pollSeconds: 30,
      requestTimeoutSeconds: 20,
      cooldownSeconds: 21600,
      groups: [{
        name: "web",
        nodeTag: "ha-topology-web-test",
        servingTag: "ha-topology-web-test-serving",
        leavingTag: "ha-topology-web-test-leaving",
        loadBalancerId: `${lb.name}-id`,
        count: 2,
        healthyThreshold: 2,
        graceSeconds: 180,
        unhealthySeconds: 3 * 10 + 300,
        image: "ubuntu-24-04-x64",
      }],
    });
    assert.equal(lb.inputs.dropletTag, "ha-topology-web-test-serving", "the serving tag is what the load balancer targets");
    assert.equal(env("HA_TOPOLOGY_HEALER").value, "ha-topology-web-test-serving");
  });

  it("one App covers every web of a several-workloads stack (public and internal), and none of its workers", async function () {
    const { env, config } = await healerOf(path.join(path.dirname(stackFilePath("digitalocean")), "examples", "Pulumi.digitalocean-services.yaml"));
    assert.deepEqual(config.groups.map((g) => g.name).sort(), ["api", "discovery", "storefront"]);
    assert.deepEqual(env("HA_TOPOLOGY_HEALER").value.split(",").sort(), config.groups.map((g) => g.servingTag).sort());
    for (const g of config.groups) assert.match(g.servingTag, /:serving$/);
  });

  it("without digitalocean:token the App is still registered, its token an empty secret (the worker says it has none)", async function () {
    const { app, env } = await healerOf(stackFilePath("digitalocean"));
    assert.deepEqual({ type: env("DIGITALOCEAN_TOKEN").type, value: env("DIGITALOCEAN_TOKEN").value }, { type: "SECRET", value: "" });
    assert.ok(isSecretValue(app.rawInputs.spec), "a secret even when empty");
  });

  it("the App's script is the healer: decoded and run with node as the worker runs it, it power cycles a failing droplet of a loopback fleet and stops on SIGTERM", async function () {
    const { env, config } = await healerOf(stackFilePath("digitalocean"), { "digitalocean:token": "dop_v1_configured" });
    const script = Buffer.from(env("HEALER_SCRIPT").value, "base64").toString("utf8");
    assert.deepEqual(script.match(/\brequire\(\s*["'][^"']+["']\s*\)/g) ?? [], [], "the script needs no module: the worker's container has no node_modules");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "healer-"));
    const file = path.join(dir, "healer.js");
    fs.writeFileSync(file, script);

    const fleet = new FakeDoFleet({ now: () => Date.now(), loadBalancerId: config.groups[0].loadBalancerId });
    const g = config.groups[0];
    const day = 24 * 60 * min;
    fleet.add({ id: 7001, createdAt: Date.now() - day, tags: [g.nodeTag, g.servingTag] });
    fleet.add({ id: 7002, createdAt: Date.now() - day, tags: [g.nodeTag, g.servingTag], breaks: { at: Date.now() - 10 * min, failure: "hung" } });
    await fleet.start();
    // The deployed settings, pointed at the loopback API and made fast.
    const testConfig: HealerConfig = { ...config, apiRoot: fleet.apiRoot, pollSeconds: 0.05, groups: [{ ...g, unhealthySeconds: 0, graceSeconds: 600 }] };
    const child = spawn(process.execPath, [file], { env: { PATH: process.env.PATH ?? "", HEALER_CONFIG: JSON.stringify(testConfig), DIGITALOCEAN_TOKEN: "dop_v1_fake" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await fleet.until(() => fleet.actions().length > 0);
      assert.deepEqual(fleet.actions().map((a) => [a.dropletId, a.type]), [[7002, "power_cycle"]], out);
      // Several more rounds of the healer (a list of the group's droplets each) with the droplet under treatment, and its lines out.
      const listed = () => fleet.requests.filter((r) => r.line.startsWith("GET /v2/droplets?")).length;
      const listedAtAction = listed();
      await fleet.until(() => listed() >= listedAtAction + 5);
      await new Promise<void>((resolve) => {
        const check = () => /power_cycle droplet 7002/.test(out) && resolve();
        child.stdout.on("data", check);
        child.stderr.on("data", check);
        check();
      });
      assert.match(out, /healer: watching web \(2 droplets tagged ha-topology-web-test\)/);
      assert.match(out, /healer: group web: power_cycle droplet 7002/);
      child.kill("SIGTERM");
      assert.equal(await exited, 0, out);
      assert.deepEqual(fleet.actions().map((a) => a.dropletId), [7002], "one action: the droplet is under treatment, nothing else was touched");
    } finally {
      child.kill("SIGKILL");
      await fleet.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the worker refuses to start without a token, saying so", async function () {
    const { env } = await healerOf(stackFilePath("digitalocean"));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "healer-"));
    const file = path.join(dir, "healer.js");
    fs.writeFileSync(file, Buffer.from(env("HEALER_SCRIPT").value, "base64").toString("utf8"));
    try {
      const result = spawnSync(process.execPath, [file], { env: { PATH: process.env.PATH ?? "", HEALER_CONFIG: env("HEALER_CONFIG").value, DIGITALOCEAN_TOKEN: "" }, encoding: "utf8", timeout: 20_000 });
      assert.equal(result.status, 1);
      assert.match(result.stderr, /the healer needs DIGITALOCEAN_TOKEN/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
