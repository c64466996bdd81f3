/**
 * The wait for an autoscaling group's instance refresh (components/platforms/aws/refreshWait.ts),
 * without a cloud: the real AWS SDK client talks to a fake Auto Scaling API on loopback
 * (test/fakes/autoScalingApi.ts) whose simulated fleet a refresh replaces surge-first. Each
 * poll is one step of the simulation and the clock is the test's, so nothing really waits.
 * The tests assert what the user reads (the error message, the progress lines, the exit
 * code of the provider host) and, in the fake, that the healthy nodes in service never
 * dropped below the stack's node count while the refresh ran.
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import type { AutoScalingClientConfig } from "@aws-sdk/client-auto-scaling";
import { refreshCheckpointDelaySeconds, refreshCheckpointPercentages, refreshTimeoutSeconds, scaleUpTimeoutSeconds } from "../components/platforms/aws/nodeGroup";
import { refreshWaitErrorName, refreshWaitProvider, sdkDescribe, sdkDescribeGroup, waitForCapacity, waitForRefresh, type CapacityOptions, type RefreshDeps, type RefreshWaitInputs, type RefreshWaitState, type WaitOptions } from "../components/platforms/aws/refreshWait";
import { startFakeAutoScaling, type FakeAutoScalingApi, type FakeRefresh, type FleetOptions } from "./fakes/autoScalingApi";
import { runStack, type Program } from "./programQueries";
import { assertStopsMidRequest, deserializeProvider as deserializeShared, fakeWaitWorld, waitFailure, withFake } from "./dynamicWaitTesting";
import { providerText } from "../components/shippedDynamicResource";

const group = "web-api-nodes-a1b2c3d";
const region = "us-east-1";
const fakeCredentials = { accessKeyId: "AKIAFAKEFAKEFAKEFAKE", secretAccessKey: "fake-secret-for-the-loopback-api" };
/** The stack's refresh preferences (as nodeGroup.ts sets them, checked under mocks below). */
const stackFleet = { desired: 2, floor: 2, minHealthyPercentage: 100, maxHealthyPercentage: 200, checkpointPercentages: [50, 100] };

/** A fake clock and sleep, the log lines, and the SDK client pointed at the fake API. */
function world(api: FakeAutoScalingApi, sdk: Partial<AutoScalingClientConfig> = { maxAttempts: 1 }) {
  const w = fakeWaitWorld();
  const deps: RefreshDeps = {
    ...w.base,
    describe: sdkDescribe({ endpoint: api.endpoint, region, credentials: fakeCredentials, ...sdk }),
    describeGroup: sdkDescribeGroup({ endpoint: api.endpoint, region, credentials: fakeCredentials, ...sdk }),
  };
  return { deps, lines: w.lines, sleeps: w.sleeps, controller: w.controller };
}

/** The environment of a process that reaches the fake API through the SDK's own configuration. */
function childEnv(api: FakeAutoScalingApi): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_ENDPOINT_URL_AUTO_SCALING: api.endpoint, AWS_ACCESS_KEY_ID: fakeCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: fakeCredentials.secretAccessKey };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  return env;
}

const options = (extra: Partial<WaitOptions> = {}): WaitOptions => ({ groupName: group, region, launchTemplateVersion: "7", timeoutSeconds: 3600, ...extra });

const withApi = <T>(fleet: FleetOptions, body: (api: FakeAutoScalingApi) => Promise<T>): Promise<T> => withFake(() => startFakeAutoScaling(fleet), body);

/** Runs a wait that must fail and returns its message. */
const failure = (run: Promise<unknown>): Promise<string> => waitFailure(run, refreshWaitErrorName);

const refreshId = "e1d1f2aa-0000-4000-8000-00000000refr";
const older = (status: string, extra: Partial<FakeRefresh> = {}): FakeRefresh => ({
  id: "0ld00000-0000-4000-8000-000000000old",
  status,
  startTime: new Date("2026-12-01T09:00:00Z"),
  endTime: new Date("2026-12-01T09:30:00Z"),
  percentageComplete: 100,
  instancesToUpdate: 0,
  ...extra,
});

describe("AWS rollouts: pulumi up waits for the instance refresh (fake Auto Scaling API)", function () {
  this.timeout(30000);

  it("returns when the refresh succeeds, printing each change of its progress once; the fleet kept its healthy nodes", async function () {
    await withApi({ ...stackFleet, scenario: "success" }, async (api) => {
      const w = world(api);
      const result = await waitForRefresh(options(), w.deps, w.controller.signal);
      assert.equal(result.waited, true);
      assert.equal(result.refresh?.status, "Successful");
      assert.ok(w.lines.includes(`instance refresh ${refreshId}: 0% (2 to go)`), w.lines.join("\n"));
      assert.ok(w.lines.includes(`instance refresh ${refreshId}: 50% (1 to go): Waiting at checkpoint 1 (50%)`), w.lines.join("\n"));
      assert.equal(w.lines.at(-1), `instance refresh ${refreshId}: 100% (0 to go), Successful`);
      assert.ok(w.lines.length < result.polls, "one line per change, not per poll");
      assert.deepEqual(api.fleet.groupsAsked.filter((g) => g !== group), [], "asks for its own group only");
      assert.deepEqual(api.fleet.belowFloor, []);
      assert.equal(api.fleet.fewestHealthy, 2);
      assert.ok(api.fleet.nodes.filter((n) => n.state !== "Terminated").every((n) => n.version === "new"));
    });
  });

  it("fails with the rollback's reason and the refresh's id when the rollback alarm fires at a checkpoint", async function () {
    await withApi({ ...stackFleet, scenario: "alarm-rollback" }, async (api) => {
      const w = world(api);
      const message = await failure(waitForRefresh(options(), w.deps, w.controller.signal));
      assert.match(message, new RegExp(`^Instance refresh ${refreshId} of autoscaling group ${group} \\(launch template version 7\\) rolled back: CloudWatch alarm web-app-5xx is in ALARM state\\.`));
      assert.match(message, /terraform-provider-aws#34189/, "says what the rollback returns to, as the provider leaves it");
      assert.match(message, /aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names web-api-nodes-a1b2c3d --region us-east-1/);
      assert.match(message, /run `pulumi up` again/);
      assert.match(message, /aws autoscaling start-instance-refresh --auto-scaling-group-name web-api-nodes-a1b2c3d --region us-east-1 --preferences '\{"MinHealthyPercentage":100,"MaxHealthyPercentage":200,"SkipMatching":true\}'/);
      assert.ok(w.lines.some((l) => l.includes("RollbackInProgress")), "the rollback shows while it runs");
      assert.deepEqual(api.fleet.belowFloor, [], "the rollback also replaces surge-first");
      assert.ok(api.fleet.nodes.filter((n) => n.state !== "Terminated").every((n) => n.version === "old"));
    });
  });

  it("fails with AWS's status reason when new nodes never get healthy (Failed), and when the rollback fails too", async function () {
    const failed = await withApi({ ...stackFleet, scenario: "unhealthy" }, async (api) => {
      const w = world(api);
      const message = await failure(waitForRefresh(options(), w.deps, w.controller.signal));
      assert.deepEqual(api.fleet.belowFloor, [], "old nodes stayed while the new ones never got healthy");
      return message;
    });
    assert.match(failed, new RegExp(`Instance refresh ${refreshId} .* failed: Instance refresh failed: 2 new instances failed their health checks`));
    assert.match(failed, /aws autoscaling describe-scaling-activities --auto-scaling-group-name web-api-nodes-a1b2c3d --region us-east-1/);

    const rollbackFailed = await withApi({ ...stackFleet, scenario: "rollback-failed" }, async (api) => {
      const w = world(api);
      return failure(waitForRefresh(options(), w.deps, w.controller.signal));
    });
    assert.match(rollbackFailed, /failed and its rollback failed too: new instances failed their health checks\. The group may run a mix of both versions/);
  });

  it("fails when someone cancels the refresh, saying SkipMatching keeps the nodes it replaced", async function () {
    await withApi({ ...stackFleet, scenario: "cancelled" }, async (api) => {
      const w = world(api);
      const message = await failure(waitForRefresh(options(), w.deps, w.controller.signal));
      assert.match(message, new RegExp(`Instance refresh ${refreshId} .* was cancelled: Cancelled by the user at \\d+%`));
      assert.match(message, /SkipMatching leaves the replaced nodes alone/);
    });
  });

  it("rides out Throttling: backs off (doubling, capped at a minute) and polls at the normal pace again once answered", async function () {
    await withApi({ ...stackFleet, scenario: "success", throttle: (call) => call >= 2 && call <= 5 }, async (api) => {
      const w = world(api);
      const result = await waitForRefresh(options(), w.deps, w.controller.signal);
      assert.equal(result.refresh?.status, "Successful");
      assert.equal(api.fleet.throttled, 4);
      assert.deepEqual(w.sleeps.slice(0, 6), [15_000, 30_000, 60_000, 60_000, 60_000, 15_000]);
      assert.deepEqual(api.fleet.belowFloor, []);
    });
  });

  it("leaves a single throttled answer to the SDK's own retry (standard mode)", async function () {
    await withApi({ ...stackFleet, scenario: "success", throttle: (call) => call === 2 }, async (api) => {
      const w = world(api, {});
      const result = await waitForRefresh(options(), w.deps, w.controller.signal);
      assert.equal(result.refresh?.status, "Successful");
      assert.equal(api.fleet.throttled, 1);
      assert.ok(w.sleeps.every((ms) => ms === 15_000), `no backoff of the wait's own: ${w.sleeps.join(", ")}`);
    });
  });

  it("fails at once when the API refuses the call (no permission), naming the permission", async function () {
    await withApi({ ...stackFleet, scenario: "success", refuse: () => ({ status: 403, code: "AccessDenied", message: "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: autoscaling:DescribeInstanceRefreshes" }) }, async (api) => {
      const w = world(api);
      const message = await failure(waitForRefresh(options(), w.deps, w.controller.signal));
      assert.match(message, /^Could not read the instance refreshes of autoscaling group web-api-nodes-a1b2c3d in us-east-1: AccessDenied: User: .* is not authorized/);
      assert.match(message, /need autoscaling:DescribeInstanceRefreshes/);
      assert.equal(api.fleet.calls, 1, "no retry of a refusal");
    });
  });

  it("times out with a message that the refresh goes on and how to watch it; the last poll is at the deadline", async function () {
    await withApi({ ...stackFleet, scenario: "stuck" }, async (api) => {
      const w = world(api);
      const message = await failure(waitForRefresh(options({ timeoutSeconds: 600 }), w.deps, w.controller.signal));
      assert.match(message, new RegExp(`^Stopped waiting for instance refresh ${refreshId} \\(0%, InProgress\\) of autoscaling group ${group}: still running after 600 s`));
      assert.match(message, /The refresh goes on in AWS/);
      assert.match(message, /`aws autoscaling describe-instance-refreshes --auto-scaling-group-name web-api-nodes-a1b2c3d --region us-east-1`/);
      assert.match(message, /The next `pulumi up` waits for it again/);
      assert.equal(w.sleeps.reduce((a, b) => a + b, 0), 600_000);
      assert.equal(api.fleet.calls, 41);
    });
  });

  it("stops at once when cancelled: between polls, and in the middle of a request that hangs", async function () {
    await withApi({ ...stackFleet, scenario: "stuck" }, async (api) => {
      const w = world(api);
      const sleep = w.deps.sleep;
      w.deps.sleep = async (ms, signal) => {
        if (w.sleeps.length === 2) w.controller.abort("SIGINT");
        return sleep(ms, signal);
      };
      const message = await failure(waitForRefresh(options(), w.deps, w.controller.signal));
      assert.match(message, /^Stopped waiting for instance refresh .* cancelled \(SIGINT\)\. The refresh goes on in AWS/);
      assert.match(message, /aws autoscaling cancel-instance-refresh/);
      assert.equal(api.fleet.calls, 3, "no poll after the cancellation");
    });
    await withApi({ ...stackFleet, scenario: "stuck", holdFromCall: 2 }, async (api) => {
      const w = world(api);
      await assertStopsMidRequest(w.controller, () => waitForRefresh(options(), w.deps, w.controller.signal), refreshWaitErrorName);
    });
  });

  it("in the provider host, SIGINT ends the wait within a second: the update fails with the message and the process exits 130", async function () {
    await withApi({ ...stackFleet, scenario: "stuck" }, async (api) => {
      const script = [
        `const { refreshWaitProvider } = require(${JSON.stringify(require.resolve("../components/platforms/aws/refreshWait"))});`,
        "const olds = { groupName: 'web-api-nodes-a1b2c3d', region: 'us-east-1', launchTemplateVersion: '6', timeoutSeconds: 3600 };",
        "refreshWaitProvider().update('w', olds, { ...olds, launchTemplateVersion: '7' }).then(() => console.log('DONE'), (e) => console.error(e.message));",
        // The provider host's gRPC server keeps its event loop alive; so does this.
        "setInterval(() => {}, 1000);",
      ].join("\n");
      const child = spawn(process.execPath, ["--import", "tsx", "-e", script], {
        env: childEnv(api),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      // Once it printed the refresh's progress, it is waiting for the next poll (15 s away).
      const deadline = Date.now() + 20000;
      while (!stdout.includes(`instance refresh ${refreshId}: 0% (2 to go)`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(stdout.includes("instance refresh"), `progress printed to stdout: ${stdout} ${stderr}`);
      const signalled = Date.now();
      child.kill("SIGINT");
      const code = await exited;
      assert.ok(Date.now() - signalled < 3000, `exited ${Date.now() - signalled} ms after SIGINT`);
      assert.equal(code, 130);
      assert.match(stderr, /Stopped waiting for instance refresh e1d1f2aa-0000-4000-8000-00000000refr \(0%, InProgress\) of autoscaling group web-api-nodes-a1b2c3d: cancelled \(SIGINT\)/);
      assert.doesNotMatch(stdout, /DONE/);
      assert.equal(api.fleet.calls, 1, "no poll after SIGINT");
    });
  });
});

describe("AWS rollouts: which refresh the wait waits for", function () {
  this.timeout(30000);
  const inputs = { groupName: group, region, launchTemplateVersion: "7", timeoutSeconds: 3600 };

  it("create: a new group has no refresh, and an ended one (history) is not waited for but recorded", async function () {
    await withApi({ ...stackFleet, scenario: "success", noRefresh: true }, async (api) => {
      const created = await refreshWaitProvider(world(api).deps).create(inputs);
      assert.deepEqual(created.outs, inputs);
      assert.equal(api.fleet.calls, 1);
    });
    await withApi({ ...stackFleet, scenario: "success", noRefresh: true, history: [older("Failed", { statusReason: "an old failure" })] }, async (api) => {
      const created = await refreshWaitProvider(world(api).deps).create(inputs);
      assert.equal(created.outs?.refreshId, "0ld00000-0000-4000-8000-000000000old");
      assert.equal(api.fleet.calls, 1, "an old failure fails nothing");
    });
  });

  it("create: a refresh still running (this resource added to a stack mid-rollout) is waited for", async function () {
    await withApi({ ...stackFleet, scenario: "success" }, async (api) => {
      const created = await refreshWaitProvider(world(api).deps).create(inputs);
      assert.equal(created.outs?.refreshId, refreshId);
      assert.equal(api.fleet.refresh.status, "Successful");
    });
  });

  it("update: waits for the refresh newer than the recorded one, even when it shows up a few polls late", async function () {
    const olds: RefreshWaitState = { ...inputs, launchTemplateVersion: "6", refreshId: "0ld00000-0000-4000-8000-000000000old", refreshStartTime: "2026-12-01T09:00:00.000Z" };
    await withApi({ ...stackFleet, scenario: "success", history: [older("Successful")], visibleFromCall: 3 }, async (api) => {
      const updated = await refreshWaitProvider(world(api).deps).update("w", olds, inputs);
      assert.equal(updated.outs?.refreshId, refreshId);
      assert.equal(updated.outs?.refreshStartTime, "2026-12-02T10:00:00.000Z");
      assert.equal(api.fleet.refresh.status, "Successful");
    });
  });

  it("update: a refresh that names its template version counts only for the version the group is pinned to", async function () {
    const olds: RefreshWaitState = { ...inputs, launchTemplateVersion: "6", refreshId: "0ld00000-0000-4000-8000-000000000old", refreshStartTime: "2026-12-01T09:00:00.000Z" };
    await withApi({ ...stackFleet, scenario: "success", desiredVersion: "7", history: [older("Successful")] }, async (api) => {
      const updated = await refreshWaitProvider(world(api).deps).update("w", olds, inputs);
      assert.equal(updated.outs?.refreshId, refreshId);
      assert.equal(api.fleet.refresh.status, "Successful", "waited for the refresh of version 7");
    });
    await withApi({ ...stackFleet, scenario: "alarm-rollback", desiredVersion: "5", history: [older("Successful")] }, async (api) => {
      const updated = await refreshWaitProvider(world(api).deps).update("w", olds, inputs);
      assert.equal(api.fleet.calls, 4, "looked for this change's refresh, then gave up: a refresh of version 5 is not it");
      assert.equal(updated.outs?.refreshId, refreshId, "recorded as the newest seen");
    });
  });

  it("update: no newer refresh within a few polls means nothing to wait for; the recorded one stays", async function () {
    const olds: RefreshWaitState = { ...inputs, launchTemplateVersion: "6", refreshId: "0ld00000-0000-4000-8000-000000000old", refreshStartTime: "2026-12-01T09:00:00.000Z" };
    await withApi({ ...stackFleet, scenario: "success", noRefresh: true, history: [older("Successful")] }, async (api) => {
      const updated = await refreshWaitProvider(world(api).deps).update("w", olds, inputs);
      assert.equal(updated.outs?.refreshId, olds.refreshId);
      assert.equal(api.fleet.calls, 4, "the first poll and three more");
    });
  });

  it("update after a failed update: the same rolled-back refresh fails the next pulumi up too, until a newer one succeeds", async function () {
    const olds: RefreshWaitState = { ...inputs, launchTemplateVersion: "6", refreshId: "0ld00000-0000-4000-8000-000000000old", refreshStartTime: "2026-12-01T09:00:00.000Z" };
    const rolledBack = { ...older("RollbackSuccessful", { rollbackReason: "CloudWatch alarm web-app-5xx is in ALARM state" }), id: "bad00000-0000-4000-8000-000000000bad", startTime: new Date("2026-12-02T08:00:00Z") };
    await withApi({ ...stackFleet, scenario: "success", noRefresh: true, history: [rolledBack, older("Successful")] }, async (api) => {
      const message = await failure(refreshWaitProvider(world(api).deps).update("w", olds, inputs));
      assert.match(message, /Instance refresh bad00000-0000-4000-8000-000000000bad .* rolled back: CloudWatch alarm web-app-5xx is in ALARM state/);
    });
  });

  it("diff: only a new template version (or another group) is a change; another timeout is not", async function () {
    const p = refreshWaitProvider();
    const state: RefreshWaitState = { ...inputs, refreshId: "x" };
    assert.deepEqual(await p.diff("w", state, { ...inputs, launchTemplateVersion: "8" }), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await p.diff("w", state, { ...inputs, timeoutSeconds: 60 }), { changes: false, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await p.diff("w", state, { ...inputs, groupName: "web-api-nodes-e4f5a6b" }), { changes: true, replaces: ["groupName"], deleteBeforeReplace: false });
  });
});

describe("AWS scale-ups: pulumi up waits for the nodes a raised count adds (fake Auto Scaling API)", function () {
  this.timeout(30000);
  const scaling = (extra: Partial<CapacityOptions> = {}): CapacityOptions => ({ groupName: group, region, count: 4, previousCount: 2, timeoutSeconds: 900, ...extra });
  /** A fleet with no refresh and a group raised from 2 to 4. */
  const raised = (scaleUp: Partial<NonNullable<FleetOptions["scaleUp"]>> = {}, extra: Partial<FleetOptions> = {}): FleetOptions => ({
    ...stackFleet,
    scenario: "success",
    noRefresh: true,
    scaleUp: { minSize: 4, inService: 2, ...scaleUp },
    ...extra,
  });

  it("waits until the raised count is InService and Healthy, one line per change, asking DescribeAutoScalingGroups only", async function () {
    await withApi(raised(), async (api) => {
      const w = world(api);
      const result = await waitForCapacity(scaling(), w.deps, w.controller.signal);
      assert.equal(result.group.inService, 4);
      assert.equal(result.group.minSize, 4);
      assert.equal(api.fleet.scaleUp?.healthyInService(), 4);
      assert.deepEqual(w.lines, [`${group}: 2 of 4 nodes in service`, `${group}: 4 of 4 nodes in service`]);
      assert.equal(result.polls, 3, "the new nodes waited at their hook for two polls");
      assert.ok(api.fleet.actions.every((a) => a === "DescribeAutoScalingGroups"));
      assert.deepEqual(api.fleet.groupsAsked.filter((g) => g !== group), []);
    });
  });

  it("counts only InService and Healthy: nodes at their readiness hook, abandoned ones and unhealthy ones do not count; a failed launch is replaced and waited for", async function () {
    await withApi(raised({ failLaunch: (n) => n === 1, unhealthyLaunch: (n) => n === 2, warmupSteps: 3 }), async (api) => {
      const w = world(api);
      const message = await failure(waitForCapacity(scaling({ timeoutSeconds: 60 }), w.deps, w.controller.signal));
      // Launch 2 is InService but Unhealthy; launch 3 (launch 1's replacement) is still at its hook.
      assert.match(message, new RegExp(`^Stopped waiting for autoscaling group ${group} to scale up from 2 to 4 nodes in service \\(2 of 4 InService and Healthy; the others: 1 InService/Unhealthy, 1 Pending:Wait\\): not enough nodes after 60 s`));
      assert.ok(api.fleet.scaleUp?.activities.some((a) => a.statusCode === "Failed" && /abandoned: Lifecycle Action Completed with ABANDON Result/.test(a.statusMessage ?? "")), "the fake failed a launch");
    });
    await withApi(raised({ failLaunch: (n) => n === 1, warmupSteps: 3 }), async (api) => {
      const w = world(api);
      const result = await waitForCapacity(scaling(), w.deps, w.controller.signal);
      assert.equal(result.group.inService, 4);
      assert.ok(w.lines.includes(`${group}: 3 of 4 nodes in service`), w.lines.join("\n"));
      assert.equal(w.lines.at(-1), `${group}: 4 of 4 nodes in service`);
    });
  });

  it("more than the count (target tracking holds the group above its minimum) is enough", async function () {
    await withApi(raised({ desired: 6, inService: 5 }), async (api) => {
      const w = world(api);
      const result = await waitForCapacity(scaling(), w.deps, w.controller.signal);
      assert.equal(result.polls, 1);
      assert.equal(result.group.inService, 5);
      assert.equal(result.group.desired, 6);
    });
  });

  it("a scale-up whose nodes never get ready fails after its timeout, saying what happened and where to look", async function () {
    await withApi(raised({ failLaunch: () => true }), async (api) => {
      const w = world(api);
      const message = await failure(waitForCapacity(scaling({ timeoutSeconds: 900 }), w.deps, w.controller.signal));
      assert.match(message, new RegExp(`^Stopped waiting for autoscaling group ${group} to scale up from 2 to 4 nodes in service \\(2 of 4 InService and Healthy; the others: `));
      assert.match(message, /: not enough nodes after 900 s \(the wait's limit\)\. Its minimum is 4 already, so it goes on launching nodes/);
      assert.match(message, /`aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names web-api-nodes-a1b2c3d --region us-east-1`/);
      assert.match(message, /`aws autoscaling describe-scaling-activities --auto-scaling-group-name web-api-nodes-a1b2c3d --region us-east-1` \(its launches, and why they failed\)/);
      assert.match(message, /The next `pulumi up` waits for the scale-up again/);
      assert.equal(w.sleeps.reduce((a, b) => a + b, 0), 900_000, "the last poll is at the deadline");
      assert.equal(api.fleet.calls, 61);
      assert.deepEqual(w.lines, [`${group}: 2 of 4 nodes in service`], "no line without a change");
      assert.ok((api.fleet.scaleUp?.activities.filter((a) => a.statusCode === "Failed").length ?? 0) > 10, "the group kept trying");
    });
  });

  it("rides out Throttling with the refresh wait's backoff, and fails at once on a refusal, naming the permission", async function () {
    await withApi(raised({}, { throttle: (call) => call >= 2 && call <= 4 }), async (api) => {
      const w = world(api);
      const result = await waitForCapacity(scaling(), w.deps, w.controller.signal);
      assert.equal(result.group.inService, 4);
      assert.equal(api.fleet.throttled, 3);
      assert.deepEqual(w.sleeps.slice(0, 5), [15_000, 30_000, 60_000, 60_000, 15_000]);
    });
    await withApi(raised({}, { refuse: () => ({ status: 403, code: "AccessDenied", message: "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: autoscaling:DescribeAutoScalingGroups" }) }), async (api) => {
      const w = world(api);
      const message = await failure(waitForCapacity(scaling(), w.deps, w.controller.signal));
      assert.match(message, /^Could not read autoscaling group web-api-nodes-a1b2c3d in us-east-1: AccessDenied: User: .* is not authorized/);
      assert.match(message, /need autoscaling:DescribeAutoScalingGroups/);
      assert.equal(api.fleet.calls, 1);
    });
  });

  it("fails when the group is gone, and stops at once when cancelled", async function () {
    await withApi({ ...stackFleet, scenario: "success", noRefresh: true }, async (api) => {
      const w = world(api);
      const message = await failure(waitForCapacity(scaling(), w.deps, w.controller.signal));
      assert.match(message, /^Autoscaling group web-api-nodes-a1b2c3d does not show in DescribeAutoScalingGroups in us-east-1/);
    });
    await withApi(raised({ failLaunch: () => true }), async (api) => {
      const w = world(api);
      const sleep = w.deps.sleep;
      w.deps.sleep = async (ms, signal) => {
        if (w.sleeps.length === 2) w.controller.abort("SIGINT");
        return sleep(ms, signal);
      };
      const message = await failure(waitForCapacity(scaling(), w.deps, w.controller.signal));
      assert.match(message, /^Stopped waiting for autoscaling group web-api-nodes-a1b2c3d to scale up from 2 to 4 nodes in service \(2 of 4 .*\): cancelled \(SIGINT\)\./);
      assert.equal(api.fleet.calls, 3, "no poll after the cancellation");
    });
    await withApi(raised({}, { holdFromCall: 2 }), async (api) => {
      const w = world(api);
      await assertStopsMidRequest(w.controller, () => waitForCapacity(scaling(), w.deps, w.controller.signal), refreshWaitErrorName);
    });
  });
});

describe("AWS scale-ups: which updates wait (the provider)", function () {
  this.timeout(30000);
  const inputs: RefreshWaitInputs = { groupName: group, region, launchTemplateVersion: "7", timeoutSeconds: 3600, count: 4, scaleUpTimeoutSeconds: 900 };
  const state: RefreshWaitState = { ...inputs, count: 2, refreshId: "0ld00000-0000-4000-8000-000000000old", refreshStartTime: "2026-12-01T09:00:00.000Z" };

  it("check takes the previous count from the old inputs (not from the program, and none on creation)", async function () {
    const p = refreshWaitProvider();
    assert.deepEqual((await p.check({ ...inputs, count: 2 }, inputs)).inputs, { ...inputs, previousCount: 2 });
    assert.deepEqual((await p.check({ ...inputs, count: 2 }, { ...inputs, previousCount: 9 })).inputs, { ...inputs, previousCount: 2 });
    assert.deepEqual((await p.check({} as RefreshWaitInputs, inputs)).inputs, inputs, "creation (the engine sends no old inputs)");
    assert.deepEqual((await p.check({ ...inputs, count: undefined }, inputs)).inputs, inputs, "a stack from before scale-ups were waited for");
  });

  it("diff: a raised count is a change; a lower or unchanged one is not, even when the last update recorded a higher count", async function () {
    const p = refreshWaitProvider();
    const none = { changes: false, replaces: [], deleteBeforeReplace: false };
    assert.deepEqual(await p.diff("w", state, { ...inputs, previousCount: 2 }), { changes: true, replaces: [], deleteBeforeReplace: false });
    assert.deepEqual(await p.diff("w", state, { ...inputs, count: 2, previousCount: 4 }), none, "lowered");
    assert.deepEqual(await p.diff("w", state, { ...inputs, previousCount: 4 }), none, "unchanged");
    assert.deepEqual(await p.diff("w", state, inputs), none, "no previous count known");
    // Lowered 6 -> 2 (no update: the outputs keep 6), now raised to 4: a scale-up.
    assert.deepEqual(await p.diff("w", { ...state, count: 6 }, { ...inputs, previousCount: 2 }), { changes: true, replaces: [], deleteBeforeReplace: false });
  });

  it("update on a raised count waits for the nodes and reads no refresh; the recorded refresh stays", async function () {
    await withApi({ ...stackFleet, scenario: "success", noRefresh: true, scaleUp: { minSize: 4, inService: 2 } }, async (api) => {
      const w = world(api);
      const updated = await refreshWaitProvider(w.deps).update("w", state, { ...inputs, previousCount: 2 });
      assert.equal(api.fleet.scaleUp?.healthyInService(), 4);
      assert.deepEqual([...new Set(api.fleet.actions)], ["DescribeAutoScalingGroups"]);
      assert.equal(updated.outs?.refreshId, state.refreshId);
      assert.equal(updated.outs?.count, 4);
      assert.equal(w.lines.at(-1), `${group}: 4 of 4 nodes in service`);
    });
  });

  it("update on a new template version and a raised count: the refresh first, then the count", async function () {
    await withApi({ ...stackFleet, scenario: "success", history: [older("Successful")], scaleUp: { minSize: 4, inService: 2 } }, async (api) => {
      const w = world(api);
      const updated = await refreshWaitProvider(w.deps).update("w", { ...state, launchTemplateVersion: "6" }, { ...inputs, previousCount: 2 });
      assert.equal(api.fleet.refresh.status, "Successful");
      assert.equal(updated.outs?.refreshId, refreshId);
      const first = api.fleet.actions.indexOf("DescribeAutoScalingGroups");
      assert.ok(first > 0 && api.fleet.actions.slice(first).every((a) => a === "DescribeAutoScalingGroups"), api.fleet.actions.join(" "));
    });
  });

  it("update with a lowered count (the template changed) waits for the refresh only; the timeout input is not a scale-up", async function () {
    await withApi({ ...stackFleet, scenario: "success", history: [older("Successful")], scaleUp: { minSize: 2, inService: 2 } }, async (api) => {
      const w = world(api);
      await refreshWaitProvider(w.deps).update("w", { ...state, count: 6, launchTemplateVersion: "6" }, { ...inputs, count: 2, previousCount: 6 });
      assert.ok(!api.fleet.actions.includes("DescribeAutoScalingGroups"));
      assert.ok(!w.lines.some((l) => l.includes("nodes in service")));
    });
    await withApi({ ...stackFleet, scenario: "success", noRefresh: true, scaleUp: { minSize: 2, inService: 2 } }, async (api) => {
      const w = world(api);
      const updated = await refreshWaitProvider(w.deps).update("w", state, { ...inputs, count: 2, previousCount: 4 });
      assert.equal(api.fleet.calls, 0, "an update that needs no wait calls nothing");
      assert.equal(updated.outs?.count, 2);
    });
  });

  it("a scale-up that fails fails the update with the message (the engine then keeps the old count, so the next pulumi up waits again)", async function () {
    await withApi({ ...stackFleet, scenario: "success", noRefresh: true, scaleUp: { minSize: 4, inService: 2, failLaunch: () => true } }, async (api) => {
      const w = world(api);
      const message = await failure(refreshWaitProvider(w.deps).update("w", state, { ...inputs, previousCount: 2, scaleUpTimeoutSeconds: 120 }));
      assert.match(message, /^Stopped waiting for autoscaling group web-api-nodes-a1b2c3d to scale up from 2 to 4 nodes in service .*: not enough nodes after 120 s/);
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

describe("AWS rollouts: every node group gets its refresh wait (mocks)", function () {
  this.timeout(60000);
  let p: Program;
  before(async function () {
    p = await runStack("stacks/examples/Pulumi.aws-services.yaml");
  });

  it("registers one wait per autoscaling group, after the group, with its name, region, pinned version and timeout", function () {
    const groups = p.all("aws:autoscaling/group:Group");
    const waits = p.all("pulumi-nodejs:dynamic/ha-topology:RefreshWait");
    assert.ok(groups.length >= 2);
    assert.equal(waits.length, groups.length);
    for (const g of groups) {
      const wait = waits.find((w) => w.inputs.groupName === p.state(g).name);
      assert.ok(wait, `a wait for ${g.name}`);
      assert.ok(wait.dependencies.includes(g.urn), `${wait.name} runs after ${g.name}`);
      assert.equal(wait.inputs.region, "us-east-1");
      assert.equal(wait.inputs.launchTemplateVersion, g.inputs.launchTemplate.version);
      assert.equal(wait.inputs.timeoutSeconds, refreshTimeoutSeconds(g.inputs.healthCheckGracePeriod));
      assert.equal(wait.inputs.count, g.inputs.minSize, "the count a scale-up raises");
      assert.equal(wait.inputs.scaleUpTimeoutSeconds, scaleUpTimeoutSeconds(g.inputs.healthCheckGracePeriod));
      assert.equal(wait.inputs.previousCount, undefined, "the engine's check fills it in, never the program");
      assert.equal(wait.parents.at(-1), "ha-topology:aws:NodeGroup");
    }
  });

  it("refreshes skip matching nodes and pause at 50 % and 100 % for one rollback-alarm period", function () {
    for (const g of p.all("aws:autoscaling/group:Group")) {
      const prefs = g.inputs.instanceRefresh.preferences;
      assert.equal(prefs.skipMatching, true);
      assert.deepEqual(prefs.checkpointPercentages, refreshCheckpointPercentages);
      assert.equal(prefs.checkpointDelay, String(refreshCheckpointDelaySeconds));
      assert.equal(refreshCheckpointPercentages.at(-1), 100, "the last checkpoint must be 100 to replace every node");
    }
  });

  it("the stack's own preferences keep the fake fleet at its node count, through success and rollback (and 90 % would not)", async function () {
    const g = p.all("aws:autoscaling/group:Group")[0];
    const prefs = g.inputs.instanceRefresh.preferences;
    const fleet = { desired: g.inputs.minSize, floor: g.inputs.minSize, minHealthyPercentage: prefs.minHealthyPercentage, maxHealthyPercentage: prefs.maxHealthyPercentage, checkpointPercentages: prefs.checkpointPercentages };
    for (const scenario of ["success", "alarm-rollback"] as const) {
      await withApi({ ...fleet, scenario }, async (api) => {
        const w = world(api);
        await waitForRefresh(options(), w.deps, w.controller.signal).catch(() => undefined);
        assert.ok(["Successful", "RollbackSuccessful"].includes(api.fleet.refresh.status), api.fleet.refresh.status);
        assert.deepEqual(api.fleet.belowFloor, [], `${scenario}: never below ${fleet.floor}`);
      });
    }
    // The control: AWS's default 90 % on ten nodes takes one out before its replacement serves.
    await withApi({ ...fleet, desired: 10, floor: 10, minHealthyPercentage: 90, maxHealthyPercentage: 100, scenario: "success" }, async (api) => {
      const w = world(api);
      await waitForRefresh(options(), w.deps, w.controller.signal);
      assert.equal(api.fleet.fewestHealthy, 9);
      assert.ok(api.fleet.belowFloor.length > 0);
    });
  });

  it("registers the shipped provider, which reads the real API through the SDK as the provider host loads and runs it", async function () {
    const wait = p.all("pulumi-nodejs:dynamic/ha-topology:RefreshWait")[0];
    const text: string = wait.inputs.__provider;
    assert.equal(text, providerText("RefreshWait"), "the provider is the shipped one, not a serialized copy");
    const provider = deserializeProvider(text);
    const rolledBack = { ...older("RollbackSuccessful", { rollbackReason: "CloudWatch alarm web-app-5xx is in ALARM state" }), id: "bad00000-0000-4000-8000-000000000bad" };
    await withApi({ ...stackFleet, scenario: "success", noRefresh: true, history: [rolledBack] }, async (api) => {
      const saved = { ...process.env };
      Object.assign(process.env, { AWS_ENDPOINT_URL_AUTO_SCALING: api.endpoint, AWS_ACCESS_KEY_ID: fakeCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: fakeCredentials.secretAccessKey });
      try {
        const olds = { ...wait.inputs, __provider: undefined, launchTemplateVersion: "0" };
        const message = await failure(provider.update("w", olds, { ...wait.inputs, __provider: undefined }));
        assert.match(message, /rolled back: CloudWatch alarm web-app-5xx is in ALARM state/);
        assert.deepEqual(api.fleet.groupsAsked, [wait.inputs.groupName]);
      } finally {
        for (const k of ["AWS_ENDPOINT_URL_AUTO_SCALING", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
          if (saved[k] === undefined) delete process.env[k];
          else process.env[k] = saved[k];
        }
      }
    });
    // A scale-up through the serialized provider: its group already has the nodes, so one poll.
    await withApi({ ...stackFleet, scenario: "success", noRefresh: true, scaleUp: { minSize: wait.inputs.count + 1, inService: wait.inputs.count + 1 } }, async (api) => {
      const saved = { ...process.env };
      Object.assign(process.env, { AWS_ENDPOINT_URL_AUTO_SCALING: api.endpoint, AWS_ACCESS_KEY_ID: fakeCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: fakeCredentials.secretAccessKey });
      try {
        const olds = { ...wait.inputs, __provider: undefined };
        const checked = await provider.check(olds, { ...olds, count: wait.inputs.count + 1 });
        assert.equal(checked.inputs?.previousCount, wait.inputs.count);
        const updated = await provider.update("w", olds, checked.inputs);
        assert.equal(updated.outs?.count, wait.inputs.count + 1);
        assert.deepEqual(api.fleet.actions, ["DescribeAutoScalingGroups"]);
      } finally {
        for (const k of ["AWS_ENDPOINT_URL_AUTO_SCALING", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) {
          if (saved[k] === undefined) delete process.env[k];
          else process.env[k] = saved[k];
        }
      }
    });
  });
});
