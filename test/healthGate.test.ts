/**
 * The DigitalOcean rolling-deploy gate: the health wait and the drain against a fake
 * DigitalOcean API and a fake clock (no network, no real waiting), the provider's diff,
 * create, update and delete, and the DropletHealthGate registered under mocks with its
 * provider serialized (and deserialized again, as the provider host would).
 */
import { strict as assert } from "node:assert";
import {
  diffGate,
  diffGuard,
  drainDroplet,
  drainGuardProvider,
  healthGateProvider,
  leavePool,
  poolReleaseProvider,
  judgeDroplet,
  parseSeries,
  waitUntilHealthy,
  type GateDeps,
  type GateInputs,
  type GateState,
  type GuardInputs,
  type HttpRequest,
  type HttpResponse,
} from "../components/platforms/digitalocean/healthGate";
import { isSecretValue, runWithMocks } from "../automation/offline/mocks";
import { deserializeProvider as deserializeShared } from "./dynamicWaitTesting";
import { providerText } from "../components/shippedDynamicResource";

/** One recorded request. */
interface Call {
  url: string;
  init: HttpRequest;
  /** Fake time (ms) at which it was made. */
  at: number;
}

/** What a scripted answer can be: a response, or a network failure. */
type Answer = { status: number; body?: unknown } | "network-error";

/** A fake DigitalOcean API and clock. `answer` decides each response from the call number. */
function fakeWorld(answer: (call: Call, index: number) => Answer) {
  const start = Date.UTC(2025, 0, 1, 12, 0, 0);
  let now = start;
  const calls: Call[] = [];
  const sleeps: number[] = [];
  const deps: GateDeps = {
    async fetch(url: string, init: HttpRequest): Promise<HttpResponse> {
      const call = { url, init, at: now };
      calls.push(call);
      const a = answer(call, calls.length - 1);
      if (a === "network-error") throw new TypeError("fetch failed");
      const text = a.body === undefined ? "" : typeof a.body === "string" ? a.body : JSON.stringify(a.body);
      return { status: a.status, text: async () => text };
    },
    now: () => now,
    async sleep(ms: number) {
      sleeps.push(ms);
      now += ms;
    },
  };
  return { deps, calls, sleeps, start, elapsedMs: () => now - start };
}

/** A monitoring API answer with these series ([labels, values oldest first]); samples a minute apart ending at `end`. */
function metrics(end: number, ...series: Array<[Record<string, string>, string[]]>) {
  return {
    status: "success",
    data: {
      resultType: "matrix",
      result: series.map(([metric, values]) => ({
        metric,
        values: values.map((v, i) => [end - (values.length - 1 - i) * 60, v]),
      })),
    },
  };
}

const lbId = "4de7ac8b-495b-4884-9a69-1050c6793cd6";
const dropletId = "3164494";
const sec = (ms: number) => Math.floor(ms / 1000);

const waitOptions = { dropletId, loadBalancerId: lbId, apiToken: "dop_v1_test", healthyThreshold: 3, timeoutSeconds: 600 };

describe("DigitalOcean health gate: waitUntilHealthy", function () {
  it("polls until the droplet's last N samples are healthy, with the token and the LB's window", async function () {
    const w = fakeWorld((call, i) => {
      const end = sec(call.at);
      const own = { droplet_id: dropletId, lb_id: lbId };
      const script = [
        metrics(end),
        metrics(end, [own, ["0", "0"]]),
        metrics(end, [own, ["0", "0", "1", "1"]]),
        metrics(end, [own, ["0", "1", "0", "1", "1"]]),
        metrics(end, [own, ["0", "0", "1", "1", "1"]]),
      ];
      return { status: 200, body: script[Math.min(i, script.length - 1)] };
    });
    const result = await waitUntilHealthy(waitOptions, w.deps);
    assert.equal(result.polls, 5);
    assert.equal(w.calls.length, 5);
    // The streak of the last poll began two samples (two minutes) before its newest one.
    const last = w.calls[4];
    assert.equal(result.healthySince, new Date((sec(last.at) - 120) * 1000).toISOString());
    assert.deepEqual(w.sleeps, [10_000, 10_000, 10_000, 10_000], "a poll every 10 s");

    const url = new URL(w.calls[0].url);
    assert.equal(url.origin + url.pathname, "https://api.digitalocean.com/v2/monitoring/metrics/load_balancer/droplets_health_checks");
    assert.equal(url.searchParams.get("lb_id"), lbId);
    const start = Number(url.searchParams.get("start"));
    const end = Number(url.searchParams.get("end"));
    assert.equal(end, sec(w.start));
    assert.ok(end - start >= 300, `a window of at least five minutes, got ${end - start} s`);
    assert.equal(w.calls[0].init.method, "GET");
    assert.equal(w.calls[0].init.headers.Authorization, "Bearer dop_v1_test");
  });

  it("ignores other droplets' series, even healthy ones and ids that only share a prefix", async function () {
    const w = fakeWorld((call, i) => {
      const end = sec(call.at);
      const others: Array<[Record<string, string>, string[]]> = [
        [{ droplet_id: "1111111", lb_id: lbId }, ["1", "1", "1", "1"]],
        [{ droplet_id: `${dropletId}9`, lb_id: lbId }, ["1", "1", "1", "1"]],
      ];
      const own: [Record<string, string>, string[]] = [{ host_id: dropletId }, i < 3 ? ["0", "0", "0"] : ["1", "1", "1"]];
      return { status: 200, body: metrics(end, ...others, own) };
    });
    const result = await waitUntilHealthy(waitOptions, w.deps);
    assert.equal(result.polls, 4, "healthy only once its own series is");
  });

  it("requires every series of the droplet to agree", function () {
    const own = { droplet_id: dropletId };
    const both = parseSeries(metrics(1000, [{ ...own, rule: "https" }, ["100", "100", "100"]], [{ ...own, rule: "http" }, ["100", "0", "100"]]));
    assert.equal(judgeDroplet(both, dropletId, 2).healthy, false);
    assert.equal(judgeDroplet(both, dropletId, 1).healthy, true);
    // An instant vector (`value` rather than `values`) is read too.
    const instant = parseSeries({ status: "success", data: { resultType: "vector", result: [{ metric: own, value: [1000, "1"] }] } });
    assert.deepEqual(instant, [{ metric: own, values: [[1000, "1"]] }]);
    assert.deepEqual(parseSeries({ status: "success", data: {} }), []);
    assert.deepEqual(parseSeries("not json"), []);
  });

  it("keeps polling through empty results, 404, 429, 5xx and network errors, backing off on errors", async function () {
    const w = fakeWorld((call, i) => {
      const script: Answer[] = [
        { status: 200, body: { status: "success", data: { resultType: "matrix", result: [] } } },
        { status: 404, body: { id: "not_found", message: "The resource you requested could not be found." } },
        { status: 429, body: { id: "too_many_requests", message: "API Rate limit exceeded." } },
        { status: 503, body: "upstream unavailable" },
        "network-error",
        { status: 500, body: { id: "server_error" } },
        { status: 200, body: "{ not json" },
        { status: 200, body: metrics(sec(call.at), [{ droplet_id: dropletId }, ["1", "1", "1"]]) },
      ];
      return script[i];
    });
    const result = await waitUntilHealthy(waitOptions, w.deps);
    assert.equal(result.polls, 8);
    // 10 s after the empty answer and the 404, then doubling on each error in a row
    // (20, 40, capped at 60), back to 10 s after a readable answer.
    assert.deepEqual(w.sleeps, [10_000, 10_000, 20_000, 40_000, 60_000, 60_000, 10_000]);
  });

  for (const status of [401, 403]) {
    it(`fails at once on HTTP ${status}, naming the access the token needs`, async function () {
      const w = fakeWorld(() => ({ status, body: { id: "unauthorized", message: "Unable to authenticate you" } }));
      await assert.rejects(waitUntilHealthy(waitOptions, w.deps), (e: Error) => {
        assert.match(e.message, new RegExp(`HTTP ${status}`));
        assert.match(e.message, /read access to monitoring/);
        assert.match(e.message, /write access to tags/);
        return true;
      });
      assert.equal(w.calls.length, 1);
      assert.deepEqual(w.sleeps, []);
    });
  }

  it("fails at once on another client error (400), quoting the answer", async function () {
    const w = fakeWorld(() => ({ status: 400, body: { id: "bad_request", message: "invalid lb_id" } }));
    await assert.rejects(waitUntilHealthy(waitOptions, w.deps), /HTTP 400.*invalid lb_id/);
    assert.equal(w.calls.length, 1);
  });

  it("times out with a message that says the rollout stopped and how to investigate", async function () {
    const w = fakeWorld((call) => ({ status: 200, body: metrics(sec(call.at), [{ droplet_id: dropletId }, ["0", "1", "0"]]) }));
    await assert.rejects(waitUntilHealthy({ ...waitOptions, timeoutSeconds: 95 }, w.deps), (e: Error) => {
      assert.match(e.message, new RegExp(`Droplet ${dropletId} did not become healthy behind load balancer ${lbId} within 95 s`));
      assert.match(e.message, /no old droplet has been removed/);
      assert.match(e.message, /console/);
      assert.match(e.message, /journalctl -u ha-topology-app/);
      assert.match(e.message, /latest samples of droplet 3164494: \[0,1,0\]/);
      return true;
    });
    // Polls at 0, 10, ..., 90 s, then a last one at the deadline itself (95 s).
    assert.equal(w.elapsedMs(), 95_000);
    assert.equal(w.calls.length, 11);
    assert.equal(w.calls[10].at - w.start, 95_000);
  });

  it("says which series it saw when none names the droplet", async function () {
    const w = fakeWorld((call) => ({ status: 200, body: metrics(sec(call.at), [{ server: "web-node-0", lb_id: lbId }, ["1"]]) }));
    await assert.rejects(waitUntilHealthy({ ...waitOptions, timeoutSeconds: 10 }, w.deps), /no series names droplet 3164494; series seen: \{server=web-node-0,lb_id=/);
  });
});

describe("DigitalOcean health gate: what a healthy sample is", function () {
  const own = { droplet_id: dropletId };
  const judge = (values: string[], threshold = 2) => judgeDroplet(parseSeries(metrics(1000, [own, values])), dropletId, threshold).healthy;

  it("counts only full health: a share of the checks passing (0.5, 33, 99.9) is not healthy", function () {
    for (const partial of ["0.5", "0.99", "33", "50", "99", "99.9"]) {
      assert.equal(judge([partial, partial, partial]), false, `"${partial}" must not count as healthy`);
    }
    assert.equal(judge(["0", "0.5", "0.5"]), false);
  });

  it("reads both encodings: 1 on a 0/1 (fraction) series, 100 on a percentage series", function () {
    assert.equal(judge(["0", "1", "1"]), true, "0/1 samples");
    assert.equal(judge(["0", "100", "100"]), true, "percentage samples");
    assert.equal(judge(["1.0", "1.000"]), true, "numeric text, not string equality");
    // On a percentage series (a sample above 1), "1" is one per cent.
    assert.equal(judge(["100", "1", "1"]), false);
    assert.equal(judge(["100", "100", "1"], 1), false, "the newest sample decides the streak");
    assert.equal(judge(["100", "NaN", "100"], 2), false);
  });
});

describe("DigitalOcean health gate: drainDroplet", function () {
  const drain = { dropletId, nodeTag: "web-nodes", apiToken: "dop_v1_test", drainSeconds: 30 };

  it("removes the node tag from the droplet, then waits the drain time", async function () {
    const w = fakeWorld(() => ({ status: 204 }));
    assert.equal(await drainDroplet(drain, w.deps), "drained");
    assert.equal(w.calls.length, 1);
    const [call] = w.calls;
    assert.equal(call.url, "https://api.digitalocean.com/v2/tags/web-nodes/resources");
    assert.equal(call.init.method, "DELETE");
    assert.equal(call.init.headers.Authorization, "Bearer dop_v1_test");
    assert.equal(call.init.headers["Content-Type"], "application/json");
    assert.deepEqual(JSON.parse(call.init.body ?? ""), { resources: [{ resource_id: dropletId, resource_type: "droplet" }] });
    assert.deepEqual(w.sleeps, [30_000]);
  });

  it("tolerates 404 (droplet or tag already gone) without waiting", async function () {
    const w = fakeWorld(() => ({ status: 404, body: { id: "not_found" } }));
    assert.equal(await drainDroplet(drain, w.deps), "already-gone");
    assert.deepEqual(w.sleeps, []);
  });

  it("retries a passing 500, then drains", async function () {
    const w = fakeWorld((_call, i) => (i === 0 ? { status: 500 } : { status: 204 }));
    assert.equal(await drainDroplet(drain, w.deps), "drained");
    assert.equal(w.calls.length, 2);
    assert.deepEqual(w.sleeps, [5_000, 30_000]);
  });

  it("fails on a lasting 500 with a clear message, without waiting the drain time", async function () {
    const w = fakeWorld(() => ({ status: 500, body: { id: "server_error", message: "Server was unable to give you a response." } }));
    await assert.rejects(drainDroplet(drain, w.deps), (e: Error) => {
      assert.match(e.message, /could not take droplet 3164494 out of the load balancer/);
      assert.match(e.message, /DELETE \/v2\/tags\/web-nodes\/resources answered HTTP 500/);
      return true;
    });
    assert.equal(w.calls.length, 4);
    assert.ok(!w.sleeps.includes(30_000));
  });

  it("fails at once on 403, naming the access the token needs", async function () {
    const w = fakeWorld(() => ({ status: 403, body: { id: "forbidden" } }));
    await assert.rejects(drainDroplet(drain, w.deps), /HTTP 403.*write access to tags/);
    assert.equal(w.calls.length, 1);
  });
});

const inputs: GateInputs = {
  dropletId,
  loadBalancerId: lbId,
  nodeTag: "web-nodes",
  healthyThreshold: 2,
  timeoutSeconds: 600,
  drainSeconds: 30,
  apiToken: "dop_v1_test",
  waitOnCreate: false,
  // A gate without the guard's tags (the legacy behaviour): the pool tests below set them.
  leavingTag: "",
  count: 0,
};
const state: GateState = { ...inputs, healthySince: "" };

describe("DigitalOcean health gate: the provider", function () {
  it("diff: a new droplet or load balancer is an update, never a replacement", function () {
    assert.deepEqual(diffGate(state, { ...inputs, dropletId: "3164495" }), { changes: true, replaces: [] });
    assert.deepEqual(diffGate(state, { ...inputs, loadBalancerId: "another-lb" }), { changes: true, replaces: [] });
    assert.deepEqual(diffGate(state, { ...inputs, drainSeconds: 60 }), { changes: true, replaces: [] });
    assert.deepEqual(diffGate(state, { ...inputs, apiToken: "dop_v1_rotated" }), { changes: true, replaces: [] });
    assert.deepEqual(diffGate(state, { ...inputs }), { changes: false });
  });

  it("create returns at once by default, and waits when waitOnCreate is set", async function () {
    const idle = fakeWorld(() => assert.fail("no request expected"));
    const created = await healthGateProvider(idle.deps).create(inputs);
    assert.equal(created.id, `gate-${dropletId}`);
    assert.deepEqual(created.outs, { ...inputs, healthySince: "" });

    const w = fakeWorld((call) => ({ status: 200, body: metrics(sec(call.at), [{ droplet_id: dropletId }, ["1", "1"]]) }));
    const waited = await healthGateProvider(w.deps).create({ ...inputs, waitOnCreate: true });
    assert.equal(w.calls.length, 1);
    assert.notEqual(waited.outs?.healthySince, "");
  });

  it("update on a new droplet waits for it, then drains the old droplet", async function () {
    const newId = "3164495";
    const w = fakeWorld((call, i) =>
      call.init.method === "DELETE"
        ? { status: 204 }
        : { status: 200, body: metrics(sec(call.at), [{ droplet_id: newId }, i < 2 ? ["0"] : ["0", "1", "1"]]) },
    );
    const result = await healthGateProvider(w.deps).update("gate-x", state, { ...inputs, dropletId: newId });
    assert.deepEqual(w.calls.map((c) => c.init.method), ["GET", "GET", "GET", "DELETE"], "the old droplet leaves the pool only after the new one is healthy");
    assert.deepEqual(JSON.parse(w.calls[3].init.body ?? ""), { resources: [{ resource_id: dropletId, resource_type: "droplet" }] });
    assert.equal(w.sleeps[w.sleeps.length - 1], 30_000, "then the drain time");
    assert.equal(result.outs?.dropletId, newId);
    assert.notEqual(result.outs?.healthySince, "");
  });

  it("update that times out fails before touching the old droplet", async function () {
    const w = fakeWorld((call) => ({ status: 200, body: metrics(sec(call.at), [{ droplet_id: "3164495" }, ["0"]]) }));
    await assert.rejects(
      healthGateProvider(w.deps).update("gate-x", state, { ...inputs, dropletId: "3164495", timeoutSeconds: 30 }),
      /no old droplet has been removed/,
    );
    assert.ok(w.calls.every((c) => c.init.method === "GET"));
  });

  it("update of settings only does not wait", async function () {
    const w = fakeWorld(() => assert.fail("no request expected"));
    const result = await healthGateProvider(w.deps).update("gate-x", { ...state, healthySince: "2025-01-01T00:00:00.000Z" }, { ...inputs, drainSeconds: 60 });
    assert.equal(result.outs?.drainSeconds, 60);
    assert.equal(result.outs?.healthySince, "2025-01-01T00:00:00.000Z");
  });

  it("delete does nothing: the droplet's drain guard decides whether the pool can spare it", async function () {
    const w = fakeWorld(() => assert.fail("no request expected"));
    await healthGateProvider(w.deps).delete("gate-x", state);
    assert.equal(w.calls.length, 0);
  });
});

/** What the dynamic provider host gets from deserializing `__provider`. */
interface DeserializedProvider {
  diff(id: string, olds: unknown, news: unknown): Promise<unknown>;
  create(inputs: unknown): Promise<{ id: string; outs?: Record<string, unknown> }>;
  delete(id: string, props: unknown): Promise<void>;
}

/** Evaluates a serialized provider the way the provider host does. */
const deserializeProvider = (text: string): DeserializedProvider => deserializeShared<DeserializedProvider>(text);

/**
 * Runs `body` with a stand-in global fetch (the provider host resolves fetch when the
 * provider runs), answering GETs with `json(url)` (404 when undefined) and the rest 204.
 */
async function withStandInFetch(body: () => Promise<unknown>, json: (url: string) => unknown = () => undefined): Promise<Array<{ url: string; method?: string }>> {
  const realFetch = globalThis.fetch;
  const requests: Array<{ url: string; method?: string }> = [];
  globalThis.fetch = (async (url: string | URL | Request, init?: RequestInit) => {
    requests.push({ url: String(url), method: init?.method });
    if (init?.method !== "GET") return new Response(null, { status: 204 });
    const answer = json(String(url));
    return answer === undefined ? new Response("{}", { status: 404 }) : new Response(JSON.stringify(answer), { status: 200 });
  }) as typeof fetch;
  try {
    await body();
  } finally {
    globalThis.fetch = realFetch;
  }
  return requests;
}

describe("DigitalOcean health gate: DropletHealthGate under mocks", function () {
  it("registers the droplet id, the token as a secret, and the shipped provider, which runs as the provider host loads it", async function () {
    const run = await runWithMocks({ values: {}, secretKeys: [] }, {
      program: async () => {
        const pulumi = await import("@pulumi/pulumi");
        const { DropletHealthGate } = await import("../components/platforms/digitalocean/healthGate");
        const gate = new DropletHealthGate("web-gate-0", {
          dropletId: pulumi.output(dropletId),
          loadBalancerId: lbId,
          nodeTag: "web-nodes",
          healthyThreshold: 2,
          timeoutSeconds: 780,
          drainSeconds: 30,
          apiToken: "dop_v1_test",
        });
        return { gateDroplet: gate.dropletId };
      },
    });
    assert.equal(run.error, undefined, run.error?.stack);
    const gate = run.resources.find((r) => r.name === "web-gate-0");
    assert.ok(gate, "the gate was registered");
    assert.equal(gate.type, "pulumi-nodejs:dynamic/ha-topology:DropletHealthGate");
    assert.equal(gate.inputs.dropletId, dropletId);
    assert.equal(gate.inputs.loadBalancerId, lbId);
    assert.equal(gate.inputs.waitOnCreate, false);
    assert.ok(isSecretValue(gate.rawInputs.apiToken), "the token is sent as a secret");
    assert.equal(run.outputs?.gateDroplet, dropletId);

    const text = gate.inputs.__provider;
    assert.equal(typeof text, "string");
    assert.equal(text, providerText("DropletHealthGate"), "the provider is the shipped one, not a serialized copy");
    const provider = deserializeProvider(text);
    assert.deepEqual(await provider.diff("gate-x", state, { ...inputs, dropletId: "3164495" }), { changes: true, replaces: [] });
    const created = await provider.create(inputs);
    assert.equal(created.id, `gate-${dropletId}`);
    const requests = await withStandInFetch(() => provider.delete("gate-x", { ...state, drainSeconds: 0 }));
    assert.deepEqual(requests, [], "the gate's delete leaves draining to the guard");
  });

  it("registers the drain guard and the pool release with the shipped providers, which run as the provider host loads them", async function () {
    const run = await runWithMocks({ values: {}, secretKeys: [] }, {
      program: async () => {
        const pulumi = await import("@pulumi/pulumi");
        const { DropletDrainGuard, DropletPoolRelease } = await import("../components/platforms/digitalocean/healthGate");
        const guard = new DropletDrainGuard("web-guard-0", {
          dropletId: pulumi.output(dropletId),
          loadBalancerId: lbId,
          servingTag: "web-nodes",
          leavingTag: "web-leaving",
          floorTagPrefix: "web-floor-",
          healthyThreshold: 2,
          timeoutSeconds: 780,
          drainSeconds: 0,
          apiToken: "dop_v1_test",
        });
        new DropletPoolRelease("web-release", { floorTag: "web-floor-2", apiToken: "dop_v1_test" }, { dependsOn: [guard] });
        return {};
      },
    });
    assert.equal(run.error, undefined, run.error?.stack);
    const guard = run.resources.find((r) => r.name === "web-guard-0");
    const release = run.resources.find((r) => r.name === "web-release");
    assert.ok(guard && release);
    assert.equal(guard.type, "pulumi-nodejs:dynamic/ha-topology:DropletDrainGuard");
    assert.equal(release.type, "pulumi-nodejs:dynamic/ha-topology:DropletPoolRelease");
    assert.ok(isSecretValue(guard.rawInputs.apiToken) && isSecretValue(release.rawInputs.apiToken), "the tokens are secrets");
    assert.deepEqual(release.dependencies, [guard.urn], "the release depends on the guards: destroy deletes it first");

    assert.equal(guard.inputs.__provider, providerText("DropletDrainGuard"));
    assert.equal(release.inputs.__provider, providerText("DropletPoolRelease"));
    const guardProvider = deserializeProvider(guard.inputs.__provider);
    assert.deepEqual(await guardProvider.diff("g", { dropletId }, { dropletId: "3164495" }), { changes: true, replaces: ["dropletId"], deleteBeforeReplace: false });
    assert.equal((await guardProvider.create({ dropletId })).id, `guard-${dropletId}`);
    // A pool with only this droplet and no floor tag (destroy): it drains at once.
    const guardRequests = await withStandInFetch(
      () => guardProvider.delete("g", { ...guard.inputs, __provider: undefined }),
      (url) => (url.includes("/droplets?") ? { droplets: [{ id: Number(dropletId), status: "active", tags: ["web-nodes"] }], links: {} } : url.includes("/load_balancers/") ? { load_balancer: { droplet_ids: [Number(dropletId)] } } : undefined),
    );
    assert.deepEqual(guardRequests.map((q) => `${q.method} ${q.url.split("?")[0]}`), [
      "GET https://api.digitalocean.com/v2/droplets",
      `GET https://api.digitalocean.com/v2/load_balancers/${lbId}`,
      "GET https://api.digitalocean.com/v2/monitoring/metrics/load_balancer/droplets_health_checks",
      "DELETE https://api.digitalocean.com/v2/tags/web-nodes/resources",
    ]);

    const releaseProvider = deserializeProvider(release.inputs.__provider);
    let listed = 0;
    const releaseRequests = await withStandInFetch(
      () => releaseProvider.delete("r", { floorTag: "web-floor-2", apiToken: "dop_v1_test" }),
      (url) => (url.includes("/droplets?") ? { droplets: listed++ === 0 ? [{ id: Number(dropletId) }] : [] } : undefined),
    );
    assert.deepEqual(releaseRequests.map((q) => `${q.method} ${q.url.split("?")[0]}`), [
      "GET https://api.digitalocean.com/v2/droplets",
      "DELETE https://api.digitalocean.com/v2/tags/web-floor-2/resources",
      "GET https://api.digitalocean.com/v2/droplets",
    ]);
  });

  it("refuses settings the gate cannot work with, before registering", async function () {
    const { DropletHealthGate } = await import("../components/platforms/digitalocean/healthGate");
    assert.throws(
      () => new DropletHealthGate("bad", { dropletId, loadBalancerId: lbId, nodeTag: "t", healthyThreshold: 0, timeoutSeconds: 60, drainSeconds: 0, apiToken: "x" }),
      /healthyThreshold must be an integer >= 1, got 0/,
    );
  });
});

describe("health gate: the token", () => {
  it("uses its own token, else DIGITALOCEAN_TOKEN or DIGITALOCEAN_ACCESS_TOKEN from the environment, else says what to set", async () => {
    const { gateToken } = await import("../components/platforms/digitalocean/healthGate");
    assert.equal(gateToken({ apiToken: "own" }, { DIGITALOCEAN_TOKEN: "env" }), "own");
    assert.equal(gateToken({ apiToken: "" }, { DIGITALOCEAN_TOKEN: "env" }), "env");
    assert.equal(gateToken({ apiToken: "" }, { DIGITALOCEAN_ACCESS_TOKEN: "access" }), "access");
    assert.throws(() => gateToken({ apiToken: "" }, {}), /needs a DigitalOcean API token: set digitalocean:token \(as a secret\) or DIGITALOCEAN_TOKEN/);
  });
});

// ---------------------------------------------------------------------------------------
// The promise on every path: a stateful fake DigitalOcean (droplets, tags, the load
// balancer's list, the health metric) and a fake clock that runs several providers at
// once, as the engine does with parallel deletes. Every change to the pool is checked
// against the promise: never fewer than `count` healthy droplets serving.
// ---------------------------------------------------------------------------------------

const serving = "web-serving";
const leaving = "web-nodes-leaving";
const floorPrefix = "web-nodes-floor-";

/** One droplet of the fake account. */
interface FakeDroplet {
  tags: Set<string>;
  /** Whether the app answers the load balancer's health check. */
  healthy: boolean;
  /** The droplet's status (active, off, new). */
  status: string;
}

/** A stateful fake DigitalOcean API and a fake clock that can run providers concurrently. */
class FakeDigitalOcean {
  now = Date.UTC(2025, 0, 1, 12, 0, 0);
  readonly start = this.now;
  readonly droplets = new Map<string, FakeDroplet>();
  /** The fewest healthy serving droplets seen after any change the providers made. */
  minHealthyServing = Infinity;
  /** What happened, in order: "untag <tag> <id>", "tag <tag> <id>", "delete <id>". */
  readonly log: string[] = [];
  private timers: Array<{ at: number; fire: () => void }> = [];

  constructor(readonly lbId: string, readonly count: number) {}

  add(id: string, healthy: boolean, extraTags: string[] = [`${floorPrefix}${this.count}`]): this {
    this.droplets.set(id, { tags: new Set([serving, ...extraTags]), healthy, status: "active" });
    return this;
  }

  healthyServing(): string[] {
    return [...this.droplets].filter(([, d]) => d.tags.has(serving) && d.healthy && d.status === "active").map(([id]) => id);
  }

  private check(): void {
    this.minHealthyServing = Math.min(this.minHealthyServing, this.healthyServing().length);
  }

  /** Runs `fire` at fake time `at` (ms after the start). */
  at(ms: number, fire: () => void): void {
    this.timers.push({ at: this.start + ms, fire });
  }

  /** The engine deleting a droplet (after its guard's delete returned). */
  deleteDroplet(id: string): void {
    this.droplets.delete(id);
    this.log.push(`delete ${id}`);
    this.check();
  }

  readonly deps: GateDeps = {
    fetch: async (url: string, init: HttpRequest): Promise<HttpResponse> => {
      const answer = this.answer(new URL(url), init);
      const text = answer.body === undefined ? "" : JSON.stringify(answer.body);
      return { status: answer.status, text: async () => text };
    },
    now: () => this.now,
    sleep: (ms: number) => new Promise<void>((resolve) => this.timers.push({ at: this.now + ms, fire: resolve })),
  };

  private answer(url: URL, init: HttpRequest): { status: number; body?: unknown } {
    const path = url.pathname.replace(/^\/v2/, "");
    if (init.method === "GET" && path === "/droplets") {
      const tag = url.searchParams.get("tag_name") ?? "";
      const page = Number(url.searchParams.get("page") ?? "1");
      const list = [...this.droplets].filter(([, d]) => d.tags.has(tag)).map(([id, d]) => ({ id: Number(id), status: d.status, tags: [...d.tags] }));
      return { status: 200, body: { droplets: page === 1 ? list : [], links: {}, meta: { total: list.length } } };
    }
    if (init.method === "GET" && path === `/load_balancers/${this.lbId}`) {
      const ids = [...this.droplets].filter(([, d]) => d.tags.has(serving)).map(([id]) => Number(id));
      return { status: 200, body: { load_balancer: { id: this.lbId, droplet_ids: ids } } };
    }
    if (init.method === "GET" && path === "/monitoring/metrics/load_balancer/droplets_health_checks") {
      const end = Math.floor(this.now / 1000);
      const series = [...this.droplets]
        .filter(([, d]) => d.tags.has(serving))
        .map(([id, d]): [Record<string, string>, string[]] => [{ droplet_id: id, lb_id: this.lbId }, d.healthy ? ["1", "1", "1"] : ["1", "0", "0"]]);
      return { status: 200, body: metrics(end, ...series) };
    }
    const tagPath = /^\/tags\/([^/]+)\/resources$/.exec(path);
    if (tagPath && (init.method === "POST" || init.method === "DELETE")) {
      const tag = decodeURIComponent(tagPath[1]);
      const [{ resource_id: id }] = (JSON.parse(init.body ?? "{}") as { resources: Array<{ resource_id: string }> }).resources;
      const d = this.droplets.get(id);
      if (!d) return { status: 404, body: { id: "not_found" } };
      if (init.method === "POST") d.tags.add(tag);
      else d.tags.delete(tag);
      this.log.push(`${init.method === "POST" ? "tag" : "untag"} ${tag} ${id}`);
      this.check();
      return { status: 204 };
    }
    return { status: 400, body: { id: "bad_request", message: `the fake API has no ${init.method} ${path}` } };
  }

  /** Runs the tasks together on the fake clock until all settle; the results in order. */
  async run<T>(...tasks: Array<() => Promise<T>>): Promise<Array<PromiseSettledResult<T>>> {
    let done = 0;
    const settled = Promise.allSettled(tasks.map((task) => task().finally(() => done++)));
    while (done < tasks.length) {
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
      if (done >= tasks.length) break;
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift();
      if (!next) continue;
      this.now = Math.max(this.now, next.at);
      next.fire();
    }
    return settled;
  }

  tagsOf(id: string): string[] {
    return [...(this.droplets.get(id)?.tags ?? [])].sort();
  }
}

const poolCount = 2;
/** The inputs of gate i of a stack with `poolCount` droplets. */
const poolGate = (droplet: string): GateInputs => ({
  ...inputs,
  dropletId: droplet,
  nodeTag: serving,
  leavingTag: leaving,
  count: poolCount,
  healthyThreshold: 2,
  timeoutSeconds: 900,
  drainSeconds: 30,
});
/** The inputs of the drain guard of `droplet`. */
const guardOf = (droplet: string): GuardInputs => ({
  dropletId: droplet,
  loadBalancerId: lbId,
  servingTag: serving,
  leavingTag: leaving,
  floorTagPrefix: floorPrefix,
  healthyThreshold: 2,
  timeoutSeconds: 900,
  drainSeconds: 30,
  apiToken: "dop_v1_test",
});

/** The engine deleting a pending-delete droplet: its guard first, then (only if that succeeded) the droplet. */
async function engineDeletes(world: FakeDigitalOcean, droplet: string): Promise<void> {
  await drainGuardProvider(world.deps).delete(`guard-${droplet}`, guardOf(droplet));
  world.deleteDroplet(droplet);
}

describe("DigitalOcean rolling replacement: never fewer than nodes.count healthy droplets", function () {
  // Old droplets 101, 102; their replacements 201, 202.

  it("a rollout: each gate drains its old droplet once the new one is healthy; the guards then find nothing to drain", async function () {
    const world = new FakeDigitalOcean(lbId, poolCount).add("101", true).add("102", true);
    const gate = healthGateProvider(world.deps);
    world.add("201", false);
    world.at(90_000, () => (world.droplets.get("201")!.healthy = true));
    await world.run(() => gate.update("gate-0", { ...poolGate("101"), healthySince: "" }, poolGate("201")));
    assert.deepEqual(world.healthyServing().sort(), ["102", "201"]);
    world.add("202", false);
    world.at(world.now - world.start + 60_000, () => (world.droplets.get("202")!.healthy = true));
    await world.run(() => gate.update("gate-1", { ...poolGate("102"), healthySince: "" }, poolGate("202")));
    // The end of the update: the old guards and droplets are deleted, in parallel.
    const results = await world.run(() => engineDeletes(world, "101"), () => engineDeletes(world, "102"));
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "fulfilled"]);
    assert.deepEqual([...world.droplets.keys()].sort(), ["201", "202"]);
    assert.ok(world.minHealthyServing >= poolCount, `the pool went down to ${world.minHealthyServing}`);
    assert.ok(world.log.indexOf("untag web-serving 101") < world.log.indexOf("tag web-nodes-leaving 102"), "one old droplet leaves at a time");
  });

  it("a failed gate, then a run that deletes the pending-delete droplet FIRST (engines before 3.46): the guard keeps it until the new one is healthy", async function () {
    const world = new FakeDigitalOcean(lbId, poolCount).add("101", true).add("102", true).add("201", false);
    // Run 1: the gate times out; the old droplet stays, serving, with no leaving tag.
    const [run1] = await world.run(() => healthGateProvider(world.deps).update("gate-0", { ...poolGate("101"), healthySince: "" }, { ...poolGate("201"), timeoutSeconds: 300 }));
    assert.equal(run1.status, "rejected");
    assert.deepEqual(world.tagsOf("101"), [floorPrefix + "2", serving].sort());
    // Run 2 starts with the pending deletes: the guard refuses while 201 is unhealthy.
    const [run2] = await world.run(() => engineDeletes(world, "101"));
    assert.equal(run2.status, "rejected");
    assert.match((run2 as PromiseRejectedResult).reason.message, /Droplet 101 was kept in the load balancer's pool for 900 s and is still serving.*fewer than 2.*Nothing was removed/);
    assert.ok(world.droplets.has("101"), "the engine did not delete the droplet: its guard's delete failed");
    assert.ok(!world.tagsOf("101").includes(leaving), "the guard withdrew its announcement");
    // Run 3, after the fix made 201 healthy: the guard drains 101, then it is deleted.
    world.droplets.get("201")!.healthy = true;
    const [run3] = await world.run(() => engineDeletes(world, "101"));
    assert.equal(run3.status, "fulfilled");
    assert.deepEqual([...world.droplets.keys()].sort(), ["102", "201"]);
    assert.ok(world.minHealthyServing >= poolCount, `the pool went down to ${world.minHealthyServing}`);
  });

  it("a failed gate, then a run that updates the gate again before deleting (Pulumi 3.46+): the gate drains, the guard finds nothing", async function () {
    const world = new FakeDigitalOcean(lbId, poolCount).add("101", true).add("102", true).add("201", false);
    const gate = healthGateProvider(world.deps);
    const [run1] = await world.run(() => gate.update("gate-0", { ...poolGate("101"), healthySince: "" }, { ...poolGate("201"), timeoutSeconds: 120 }));
    assert.equal(run1.status, "rejected");
    // The failed update left the gate's state as it was (dropletId 101): run 2 updates it again.
    world.at(world.now - world.start + 120_000, () => (world.droplets.get("201")!.healthy = true));
    const [run2] = await world.run(() => gate.update("gate-0", { ...poolGate("101"), healthySince: "" }, poolGate("201")));
    assert.equal(run2.status, "fulfilled");
    const [end] = await world.run(() => engineDeletes(world, "101"));
    assert.equal(end.status, "fulfilled");
    assert.ok(world.minHealthyServing >= poolCount, `the pool went down to ${world.minHealthyServing}`);
  });

  it("a failure after a drain (gate 0 drained 101, gate 1 timed out), then parallel pending deletes: 101 goes, 102 waits for 202", async function () {
    const world = new FakeDigitalOcean(lbId, poolCount).add("101", true).add("102", true).add("201", true);
    const gate = healthGateProvider(world.deps);
    await world.run(() => gate.update("gate-0", { ...poolGate("101"), healthySince: "" }, poolGate("201")));
    world.add("202", false);
    const [failed] = await world.run(() => gate.update("gate-1", { ...poolGate("102"), healthySince: "" }, { ...poolGate("202"), timeoutSeconds: 60 }));
    assert.equal(failed.status, "rejected");
    world.at(world.now - world.start + 200_000, () => (world.droplets.get("202")!.healthy = true));
    const results = await world.run(() => engineDeletes(world, "101"), () => engineDeletes(world, "102"));
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "fulfilled"]);
    assert.ok(world.log.indexOf("untag web-serving 102") > world.log.indexOf("delete 101"));
    assert.deepEqual([...world.droplets.keys()].sort(), ["201", "202"]);
    assert.ok(world.minHealthyServing >= poolCount, `the pool went down to ${world.minHealthyServing}`);
  });

  it("two guards deleting at once never drain together below the floor (a new droplet turned unhealthy after its gate)", async function () {
    // Without the announcement, both would see 3 healthy others... then 2 leave and one remains.
    const world = new FakeDigitalOcean(lbId, poolCount).add("101", true).add("102", true).add("201", true).add("202", false);
    const results = await world.run(
      () => engineDeletes(world, "102"),
      () => engineDeletes(world, "101"),
    );
    // The smaller id goes first; the other waits for 202 and gives up, still serving.
    assert.deepEqual(results.map((r) => r.status), ["rejected", "fulfilled"]);
    assert.ok(world.droplets.has("102") && world.tagsOf("102").includes(serving));
    assert.deepEqual(world.healthyServing().sort(), ["102", "201"]);
    assert.ok(world.minHealthyServing >= poolCount, `the pool went down to ${world.minHealthyServing}`);
  });

  it("a guard that crashed after its announcement: the stale leaving tag only makes others wait, and the rerun drains", async function () {
    const world = new FakeDigitalOcean(lbId, poolCount).add("101", true).add("102", true).add("201", true).add("202", true);
    world.droplets.get("101")!.tags.add(leaving);
    const results = await world.run(() => engineDeletes(world, "102"), () => engineDeletes(world, "101"));
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "fulfilled"]);
    assert.ok(world.log.indexOf("untag web-serving 101") < world.log.indexOf("tag web-nodes-leaving 102"), "102 stood aside for the smaller id");
    assert.ok(world.minHealthyServing >= poolCount, `the pool went down to ${world.minHealthyServing}`);
  });

  it("a scale-in (3 to 2): the guard keeps the floor the other droplets' tags carry now, not its old count", async function () {
    const world = new FakeDigitalOcean(lbId, 2).add("101", true).add("102", false).add("103", true, [`${floorPrefix}3`]);
    const [blocked] = await world.run(() => engineDeletes(world, "103"));
    assert.equal(blocked.status, "rejected", "102 is unhealthy: removing 103 would leave one");
    world.droplets.get("102")!.healthy = true;
    const [done] = await world.run(() => engineDeletes(world, "103"));
    assert.equal(done.status, "fulfilled");
    assert.deepEqual([...world.droplets.keys()].sort(), ["101", "102"]);
  });

  it("destroy: the pool release removes the floor tags first, then every guard drains at once", async function () {
    const world = new FakeDigitalOcean(lbId, poolCount).add("101", true).add("102", true);
    await world.run(() => poolReleaseProvider(world.deps).delete("release", { floorTag: `${floorPrefix}2`, apiToken: "dop_v1_test" }));
    assert.deepEqual(world.tagsOf("101"), [serving]);
    const results = await world.run(() => engineDeletes(world, "101"), () => engineDeletes(world, "102"));
    assert.deepEqual(results.map((r) => r.status), ["fulfilled", "fulfilled"]);
    assert.equal(world.droplets.size, 0);
  });

  it("the guard's diff replaces it with its droplet (create-before-delete), and updates it on other changes", function () {
    assert.deepEqual(diffGuard(guardOf("101"), guardOf("201")), { changes: true, replaces: ["dropletId"], deleteBeforeReplace: false });
    assert.deepEqual(diffGuard(guardOf("101"), { ...guardOf("101"), drainSeconds: 60 }), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(diffGuard(guardOf("101"), guardOf("101")), { changes: false });
  });

  it("a droplet already out of the pool (drained by its gate) is left alone: no tag, no wait", async function () {
    const world = new FakeDigitalOcean(lbId, poolCount).add("201", true).add("202", true);
    world.droplets.set("101", { tags: new Set([`${floorPrefix}2`]), healthy: true, status: "active" });
    const start = world.now;
    const [r] = await world.run(() => leavePool({ ...guardOf("101"), floorTagPrefix: floorPrefix }, world.deps));
    assert.deepEqual(r, { status: "fulfilled", value: "not-serving" });
    assert.equal(world.now, start);
    assert.deepEqual(world.log, []);
  });
});
