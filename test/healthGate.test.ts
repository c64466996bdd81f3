/**
 * The DigitalOcean rolling-deploy gate: the health wait and the drain against a fake
 * DigitalOcean API and a fake clock (no network, no real waiting), the provider's diff,
 * create, update and delete, and the DropletHealthGate registered under mocks with its
 * provider serialized (and deserialized again, as the provider host would).
 */
import { strict as assert } from "node:assert";
import Module from "node:module";
import {
  diffGate,
  drainDroplet,
  healthGateProvider,
  judgeDroplet,
  parseSeries,
  waitUntilHealthy,
  type GateDeps,
  type GateInputs,
  type GateState,
  type HttpRequest,
  type HttpResponse,
} from "../components/adapters/digitalocean/healthGate";
import { isSecretValue, runWithMocks } from "../automation/offline/mocks";

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

  it("treats percentages above zero as healthy and requires every series of the droplet to agree", function () {
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

  it("delete drains the gate's droplet with the stored tag and token", async function () {
    const w = fakeWorld(() => ({ status: 204 }));
    await healthGateProvider(w.deps).delete("gate-x", state);
    assert.equal(w.calls.length, 1);
    assert.equal(w.calls[0].url, "https://api.digitalocean.com/v2/tags/web-nodes/resources");
    assert.deepEqual(w.sleeps, [30_000]);
  });
});

/** What the dynamic provider host gets from deserializing `__provider`. */
interface DeserializedProvider {
  diff(id: string, olds: unknown, news: unknown): Promise<unknown>;
  create(inputs: unknown): Promise<{ id: string; outs?: Record<string, unknown> }>;
  delete(id: string, props: unknown): Promise<void>;
}

/** Evaluates a serialized provider the way the provider host does (require-from-string). */
function deserializeProvider(text: string): DeserializedProvider {
  const Compilable = Module as unknown as new (id: string) => {
    paths: string[];
    exports: { handler(): DeserializedProvider };
    _compile(code: string, filename: string): void;
  };
  const m = new Compilable("serialized-provider");
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(process.cwd());
  m._compile(text, "serialized-provider.js");
  return m.exports.handler();
}

describe("DigitalOcean health gate: DropletHealthGate under mocks", function () {
  it("registers the droplet id, the token as a secret, and a provider that serializes", async function () {
    const run = await runWithMocks({ values: {}, secretKeys: [] }, {
      program: async () => {
        const pulumi = await import("@pulumi/pulumi");
        const { DropletHealthGate } = await import("../components/adapters/digitalocean/healthGate");
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
    assert.doesNotMatch(text, /@pulumi\/pulumi/, "the provider does not drag the SDK along");
    const provider = deserializeProvider(text);
    assert.deepEqual(await provider.diff("gate-x", state, { ...inputs, dropletId: "3164495" }), { changes: true, replaces: [] });
    const created = await provider.create(inputs);
    assert.equal(created.id, `gate-${dropletId}`);

    // The real world is resolved in the provider host: global fetch and setTimeout, read
    // when the provider runs (a stand-in fetch here, so no request leaves the process).
    const realFetch = globalThis.fetch;
    const requests: Array<{ url: string; method?: string }> = [];
    globalThis.fetch = (async (url: string | URL | Request, init?: RequestInit) => {
      requests.push({ url: String(url), method: init?.method });
      return new Response(null, { status: 204 });
    }) as typeof fetch;
    try {
      await provider.delete("gate-x", { ...state, drainSeconds: 0 });
    } finally {
      globalThis.fetch = realFetch;
    }
    assert.deepEqual(requests, [{ url: "https://api.digitalocean.com/v2/tags/web-nodes/resources", method: "DELETE" }]);
  });

  it("refuses settings the gate cannot work with, before registering", async function () {
    const { DropletHealthGate } = await import("../components/adapters/digitalocean/healthGate");
    assert.throws(
      () => new DropletHealthGate("bad", { dropletId, loadBalancerId: lbId, nodeTag: "t", healthyThreshold: 0, timeoutSeconds: 60, drainSeconds: 0, apiToken: "x" }),
      /healthyThreshold must be an integer >= 1, got 0/,
    );
  });
});

describe("health gate: the token", () => {
  it("uses its own token, else DIGITALOCEAN_TOKEN or DIGITALOCEAN_ACCESS_TOKEN from the environment, else says what to set", async () => {
    const { gateToken } = await import("../components/adapters/digitalocean/healthGate");
    assert.equal(gateToken({ apiToken: "own" }, { DIGITALOCEAN_TOKEN: "env" }), "own");
    assert.equal(gateToken({ apiToken: "" }, { DIGITALOCEAN_TOKEN: "env" }), "env");
    assert.equal(gateToken({ apiToken: "" }, { DIGITALOCEAN_ACCESS_TOKEN: "access" }), "access");
    assert.throws(() => gateToken({ apiToken: "" }, {}), /needs a DigitalOcean API token: set digitalocean:token \(as a secret\) or DIGITALOCEAN_TOKEN/);
  });
});
