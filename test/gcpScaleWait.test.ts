/**
 * The GCP scale-up wait (components/platforms/gcp/scaleWait.ts), without a cloud: the real
 * REST client (global fetch) talks to a fake Compute API on loopback (test/fakes/computeApi.ts)
 * whose simulated managed instance group grows over polls; the token is the test's and the
 * clock is the test's, so nothing really waits and no Google account is needed. Asserted:
 * what the user reads (messages, progress lines), which calls were made, and the resources
 * registered under mocks.
 */
import { strict as assert } from "node:assert";
import { scaleUpTimeoutSeconds } from "../components/platforms/gcp/nodeGroup";
import { restReadGroup, scaleWaitErrorName, scaleWaitProvider, waitForCapacity, type CapacityOptions, type ScaleWaitDeps, type ScaleWaitInputs, type ScaleWaitState } from "../components/platforms/gcp/scaleWait";
import { isSecretValue } from "../automation/offline/mocks";
import { startFakeCompute, type FakeComputeApi, type FakeGroupOptions } from "./fakes/computeApi";
import { plainStrings, runStack, type Program } from "./programQueries";
import { assertStopsMidRequest, deserializeProvider as deserializeShared, fakeWaitWorld, waitFailure, withFake } from "./dynamicWaitTesting";
import { providerText } from "../components/shippedDynamicResource";

const project = "my-project";
const region = "europe-west1";
const groupName = "api-nodes-1a2b3c4";
const token = "ya29.fake-token-for-the-loopback-api";

/** A fake clock and sleep, the log lines, and the REST client pointed at the fake API. */
function world(api: FakeComputeApi) {
  const w = fakeWaitWorld();
  const deps: ScaleWaitDeps = { ...w.base, readGroup: restReadGroup(async () => token, api.baseUrl) };
  return { deps, lines: w.lines, sleeps: w.sleeps, controller: w.controller };
}

const fakeGroup = (extra: Partial<FakeGroupOptions> = {}): FakeGroupOptions => ({ project, region, groupName, before: 2, after: 4, autohealing: true, token, ...extra });
const scaling = (extra: Partial<CapacityOptions> = {}): CapacityOptions => ({ project, region, groupName, count: 4, previousCount: 2, timeoutSeconds: 900, ...extra });

const withApi = <T>(options: FakeGroupOptions, body: (api: FakeComputeApi) => Promise<T>): Promise<T> => withFake(() => startFakeCompute(options), body);

/** Runs a wait that must fail and returns its message. */
const failure = (run: Promise<unknown>): Promise<string> => waitFailure(run, scaleWaitErrorName);

const path = `/compute/v1/projects/${project}/regions/${region}/instanceGroupManagers/${groupName}`;

describe("GCP scale-ups: pulumi up waits for the instances a raised count adds (fake Compute API)", function () {
  this.timeout(30000);

  it("waits until the raised count is RUNNING, settled and HEALTHY, one line per change, with the given token", async function () {
    await withApi(fakeGroup(), async (api) => {
      const w = world(api);
      const result = await waitForCapacity(scaling(), w.deps, w.controller.signal);
      assert.equal(result.group.ready, 4);
      assert.equal(result.group.autohealing, true);
      // GET 1: the autoscaler's minimum has not reached the group; GET 2: two new instances
      // PROVISIONING; then STAGING, RUNNING/VERIFYING, RUNNING/NONE with health UNKNOWN, HEALTHY.
      assert.equal(result.polls, 6);
      assert.deepEqual(w.lines, [`${groupName}: 2 of 4 nodes running and healthy (target size 2)`, `${groupName}: 2 of 4 nodes running and healthy (target size 4)`, `${groupName}: 4 of 4 nodes running and healthy (target size 4)`]);
      assert.deepEqual([...new Set(api.group.requests)], [`GET ${path}`, `POST ${path}/listManagedInstances`]);
      assert.ok(api.group.authorizations.every((a) => a === `Bearer ${token}`));
    });
  });

  it("without autohealing, RUNNING with no current action is enough; every listManagedInstances page is read", async function () {
    await withApi(fakeGroup({ autohealing: false, pageSize: 1 }), async (api) => {
      const w = world(api);
      const result = await waitForCapacity(scaling(), w.deps, w.controller.signal);
      assert.equal(result.polls, 5, "one poll sooner: no health to wait for");
      assert.equal(result.group.ready, 4);
      assert.equal(api.group.requests.filter((r) => r.startsWith("POST")).length, 2 + 4 * 4, "one page per instance: 2 in the first poll, 4 in each of the other four");
    });
  });

  it("an instance that never gets healthy fails the update at the timeout, saying what is missing and what to run", async function () {
    await withApi(fakeGroup({ neverHealthy: (n) => n === 2 }), async (api) => {
      const w = world(api);
      const timeoutSeconds = scaleUpTimeoutSeconds(120);
      assert.equal(timeoutSeconds, 900, "at least fifteen minutes");
      const message = await failure(waitForCapacity(scaling({ timeoutSeconds }), w.deps, w.controller.signal));
      assert.match(message, new RegExp(`^Stopped waiting for managed instance group ${groupName} to scale up from 2 to 4 nodes \\(3 of 4 RUNNING and HEALTHY; the others: 1 RUNNING/UNHEALTHY; target size 4\\): not enough nodes after 900 s \\(the wait's limit\\)\\.`));
      assert.match(message, /Its autoscaler's minimum is 4 already, so it goes on creating instances/);
      assert.match(message, new RegExp(`\`gcloud compute instance-groups managed list-instances ${groupName} --region ${region} --project ${project}\``));
      assert.match(message, new RegExp(`\`gcloud compute instance-groups managed describe ${groupName} --region ${region} --project ${project}\``));
      assert.match(message, /The next `pulumi up` waits for the scale-up again/);
      assert.equal(w.sleeps.reduce((a, b) => a + b, 0), 900_000, "the last poll is at the deadline");
      assert.equal(w.lines.at(-1), `${groupName}: 3 of 4 nodes running and healthy (target size 4)`);
    });
    assert.equal(scaleUpTimeoutSeconds(600), 1800, "two grace periods and ten minutes");
  });

  it("an instance the group cannot create (a quota) shows with its last-attempt error in the message", async function () {
    const quota = { code: "QUOTA_EXCEEDED", message: "Quota 'CPUS' exceeded. Limit: 24.0 in region europe-west1." };
    await withApi(fakeGroup({ cannotCreate: (n) => (n === 1 ? quota : undefined) }), async (api) => {
      const w = world(api);
      const message = await failure(waitForCapacity(scaling({ timeoutSeconds: 300 }), w.deps, w.controller.signal));
      assert.match(message, /\(3 of 4 RUNNING and HEALTHY; the others: 1 NO_INSTANCE\/CREATING; target size 4; last creation error: QUOTA_EXCEEDED: Quota 'CPUS' exceeded\. Limit: 24\.0 in region europe-west1\.\): not enough nodes after 300 s/);
    });
  });

  it("rides out 429 and 503 with the shared backoff, and fails at once on a refusal", async function () {
    await withApi(fakeGroup({ fail: (call) => (call === 3 ? 429 : call === 4 || call === 5 ? 503 : undefined) }), async (api) => {
      const w = world(api);
      const result = await waitForCapacity(scaling(), w.deps, w.controller.signal);
      assert.equal(result.group.ready, 4);
      assert.equal(api.group.failed, 3);
      assert.deepEqual(w.sleeps.slice(0, 4), [15_000, 30_000, 60_000, 60_000]);
      assert.equal(w.sleeps[4], 15_000, "back to the normal pause once the API answers");
    });
    await withApi(fakeGroup({ token: "another-token" }), async (api) => {
      const w = world(api);
      const message = await failure(waitForCapacity(scaling(), w.deps, w.controller.signal));
      assert.match(message, /^Could not read managed instance group api-nodes-1a2b3c4 in europe-west1 \(project my-project\): ComputeApiError: HTTP 401 UNAUTHENTICATED: Request had invalid authentication credentials\./);
      assert.match(message, /need compute\.instanceGroupManagers\.get/);
      assert.equal(api.group.calls, 1);
    });
    await withApi(fakeGroup({ groupName: "another-group" }), async (api) => {
      const w = world(api);
      const message = await failure(waitForCapacity(scaling(), w.deps, w.controller.signal));
      assert.match(message, /HTTP 404 NOT_FOUND: The resource '.*api-nodes-1a2b3c4' was not found/);
    });
  });

  it("stops at once when cancelled, between polls and mid-request", async function () {
    await withApi(fakeGroup({ neverHealthy: () => true }), async (api) => {
      const w = world(api);
      const sleep = w.deps.sleep;
      w.deps.sleep = async (ms, signal) => {
        if (w.sleeps.length === 2) w.controller.abort("SIGINT");
        return sleep(ms, signal);
      };
      const message = await failure(waitForCapacity(scaling(), w.deps, w.controller.signal));
      assert.match(message, /^Stopped waiting for managed instance group api-nodes-1a2b3c4 to scale up from 2 to 4 nodes \(2 of 4 .*\): cancelled \(SIGINT\)\./);
      assert.equal(api.group.requests.filter((r) => r.startsWith("GET")).length, 3, "no poll after the cancellation");
    });
    await withApi(fakeGroup({ holdFromCall: 3 }), async (api) => {
      const w = world(api);
      await assertStopsMidRequest(w.controller, () => waitForCapacity(scaling(), w.deps, w.controller.signal), scaleWaitErrorName);
    });
  });
});

describe("GCP scale-ups: which updates wait (the provider)", function () {
  this.timeout(30000);
  const inputs: ScaleWaitInputs = { project, region, groupName, count: 4, timeoutSeconds: 900 };
  const state: ScaleWaitState = { ...inputs, count: 2 };

  it("check takes the previous count from the old inputs; diff: only a raised count (or another group) is a change", async function () {
    const p = scaleWaitProvider();
    assert.deepEqual((await p.check({ ...inputs, count: 2 }, { ...inputs, previousCount: 9 })).inputs, { ...inputs, previousCount: 2 });
    assert.deepEqual((await p.check({} as ScaleWaitInputs, inputs)).inputs, inputs, "creation");
    const none = { changes: false, replaces: [], deleteBeforeReplace: false };
    assert.deepEqual(await p.diff("w", state, { ...inputs, previousCount: 2 }), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await p.diff("w", state, { ...inputs, count: 2, previousCount: 4 }), none, "lowered");
    assert.deepEqual(await p.diff("w", state, { ...inputs, previousCount: 4 }), none, "unchanged");
    assert.deepEqual(await p.diff("w", state, { ...inputs, count: 2, previousCount: 2, timeoutSeconds: 60, credentials: "{}" }), none, "another timeout or identity");
    assert.deepEqual(await p.diff("w", state, { ...inputs, count: 2, previousCount: 2, groupName: "api-nodes-9z8y7x6" }), { changes: true, replaces: ["groupName"], deleteBeforeReplace: false });
  });

  it("update on a raised count waits; on a lower or unchanged one it calls nothing; the identity never reaches the outputs", async function () {
    await withApi(fakeGroup(), async (api) => {
      const w = world(api);
      const updated = await scaleWaitProvider(w.deps).update("w", state, { ...inputs, previousCount: 2, credentials: '{"type":"service_account"}' });
      assert.equal(updated.outs?.count, 4);
      assert.equal((updated.outs as Record<string, unknown>).credentials, undefined);
      assert.equal(w.lines.at(-1), `${groupName}: 4 of 4 nodes running and healthy (target size 4)`);
    });
    await withApi(fakeGroup({ before: 4, after: 2 }), async (api) => {
      const w = world(api);
      await scaleWaitProvider(w.deps).update("w", { ...state, count: 4 }, { ...inputs, count: 2, previousCount: 4 });
      await scaleWaitProvider(w.deps).update("w", { ...state, count: 4 }, { ...inputs, previousCount: 4 });
      const created = await scaleWaitProvider(w.deps).create({ ...inputs, accessToken: "t" });
      assert.equal((created.outs as Record<string, unknown>).accessToken, undefined);
      assert.equal(api.group.calls, 0, "no API call");
      assert.deepEqual(w.lines, []);
    });
  });

  it("a scale-up that fails fails the update with the message", async function () {
    await withApi(fakeGroup({ neverHealthy: () => true }), async (api) => {
      const w = world(api);
      const message = await failure(scaleWaitProvider(w.deps).update("w", state, { ...inputs, previousCount: 2, timeoutSeconds: 120 }));
      assert.match(message, /^Stopped waiting for managed instance group api-nodes-1a2b3c4 to scale up from 2 to 4 nodes .*: not enough nodes after 120 s/);
    });
  });
});

/** What the dynamic provider host gets from deserializing `__provider`. */
interface DeserializedProvider {
  check(olds: unknown, news: unknown): Promise<{ inputs?: Record<string, unknown> }>;
  update(id: string, olds: unknown, news: unknown): Promise<{ outs?: Record<string, unknown> }>;
}

/** Evaluates a serialized provider the way the provider host does. */
const deserializeProvider = (text: string): DeserializedProvider => deserializeShared<DeserializedProvider>(text);

/** Sets environment variables for the body's length. */
async function withEnv<T>(vars: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await body();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe("GCP scale-ups: every managed instance group gets its scale-up wait (mocks)", function () {
  this.timeout(60000);
  const example = "stacks/examples/Pulumi.gcp-services.yaml";
  let p: Program;
  before(async function () {
    p = await runStack(example);
  });

  it("registers one wait per group, after the group and its autoscaler, with its project, region, name, count and timeout", function () {
    const groups = p.all("gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager");
    const autoscalers = p.all("gcp:compute/regionAutoscaler:RegionAutoscaler");
    const waits = p.all("pulumi-nodejs:dynamic/ha-topology:GcpScaleWait");
    assert.ok(groups.length >= 3);
    assert.equal(waits.length, groups.length);
    for (const g of groups) {
      const wait = waits.find((w) => w.inputs.groupName === p.state(g).name);
      assert.ok(wait, `a wait for ${g.name}`);
      const autoscaler = autoscalers.find((a) => a.propertyDependencies.target?.includes(g.urn));
      assert.ok(autoscaler, `an autoscaler for ${g.name}`);
      assert.ok(wait.dependencies.includes(g.urn) && wait.dependencies.includes(autoscaler.urn), `${wait.name} runs after ${g.name} and its autoscaler`);
      assert.equal(wait.inputs.project, project);
      assert.equal(wait.inputs.region, region);
      assert.equal(wait.inputs.count, autoscaler.inputs.autoscalingPolicy.minReplicas, "the count a scale-up raises");
      const grace = g.inputs.autoHealingPolicies?.initialDelaySec ?? 0;
      assert.ok(wait.inputs.timeoutSeconds >= scaleUpTimeoutSeconds(grace) && wait.inputs.timeoutSeconds >= 900);
      assert.equal(wait.inputs.previousCount, undefined, "the engine's check fills it in, never the program");
      assert.equal(wait.inputs.credentials, undefined, "no gcp:credentials in the stack: the environment's identity");
      assert.equal(wait.parents.at(-1), "ha-topology:gcp:NodeGroup");
    }
  });

  it("passes the stack's gcp:credentials to the wait as a secret", async function () {
    const q = await runStack(example, { "gcp:credentials": "/home/ci/key.json" });
    const waits = q.all("pulumi-nodejs:dynamic/ha-topology:GcpScaleWait");
    assert.ok(waits.length > 0);
    for (const w of waits) {
      assert.ok(isSecretValue(w.rawInputs.credentials), `${w.name}: credentials as a secret`);
      assert.ok(!plainStrings(w.rawInputs).includes("/home/ci/key.json"), "shown nowhere in plain text");
      assert.equal(w.inputs.credentials, "/home/ci/key.json");
    }
  });

  it("registers the shipped provider, which reads the fake API as the provider host loads and runs it", async function () {
    const wait = p.all("pulumi-nodejs:dynamic/ha-topology:GcpScaleWait")[0];
    const text: string = wait.inputs.__provider;
    assert.equal(text, providerText("GcpScaleWait"), "the provider is the shipped one, not a serialized copy");
    const provider = deserializeProvider(text);
    const count: number = wait.inputs.count;
    await withApi(fakeGroup({ groupName: wait.inputs.groupName, before: count, after: count + 1 }), async (api) => {
      await withEnv({ HA_TOPOLOGY_GCP_COMPUTE_URL: api.baseUrl, GOOGLE_OAUTH_ACCESS_TOKEN: token }, async () => {
        const olds = { ...wait.inputs, __provider: undefined };
        const checked = await provider.check(olds, { ...olds, count: count + 1, timeoutSeconds: 1 });
        assert.equal(checked.inputs?.previousCount, count);
        // Real time here: a one-second limit and the default 15 s pause leave time for two polls at most.
        await assert.rejects(provider.update("w", olds, checked.inputs), /Stopped waiting for managed instance group .* to scale up from \d+ to \d+ nodes .*not enough nodes after 1 s/);
        assert.ok(api.group.requests.includes(`GET /compute/v1/projects/${project}/regions/${region}/instanceGroupManagers/${wait.inputs.groupName}`), api.group.requests.join("\n"));
        assert.ok(api.group.authorizations.every((a) => a === `Bearer ${token}`));
      });
    });
    // Neither the program under mocks nor the provider with a given token loaded the library.
    assert.deepEqual(Object.keys(require.cache).filter((k) => k.includes("google-auth-library")), []);
  });
});
