/**
 * The Kubernetes scale-up wait (components/platforms/kubernetes/scaleWait.ts): against a
 * fake API server on loopback (test/fakes/kubernetesApi.ts) through the real
 * @kubernetes/client-node and a kubeconfig, with a fake clock; its provider's
 * check/diff/update; the provider serialized and deserialized as the provider host does;
 * and, under mocks, one wait per workload Deployment (the single service's too).
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isSecretValue, runWithMocks } from "../automation/offline/mocks";
import { stackConfigWith } from "../automation/stackFiles";
import {
  clientRead,
  isKubeconfigContents,
  scaleWaitErrorName,
  scaleWaitProvider,
  scaleWaitTimeoutSeconds,
  waitForScaleUp,
  type ScaleUpOptions,
  type ScaleWaitDeps,
  type ScaleWaitInputs,
} from "../components/platforms/kubernetes/scaleWait";
import { kubeconfigFor, startFakeKubernetes, type FakeDeploymentOptions, type FakeKubernetesApi } from "./fakes/kubernetesApi";
import { kubernetesObjectTypes } from "./kubernetesSchemas";
import { Program, runStack } from "./programQueries";
import { assertStopsMidRequest, deserializeProvider as deserializeShared, fakeWaitWorld, waitFailure, withFake, withPausesSkipped } from "./dynamicWaitTesting";
import { providerText } from "../components/shippedDynamicResource";

const namespace = "shop";
const name = "web-api";
const fake = (extra: Partial<FakeDeploymentOptions> = {}): FakeDeploymentOptions => ({ namespace, name, before: 2, count: 4, ...extra });

/** A test's world: the real client against the fake, a clock that moves only when the wait sleeps. */
function world(api: FakeKubernetesApi, access: { kubeconfig?: string; context?: string } = { kubeconfig: kubeconfigFor(api.server) }) {
  const w = fakeWaitWorld();
  const deps: ScaleWaitDeps = { ...w.base, read: clientRead(access) };
  return { deps, lines: w.lines, sleeps: w.sleeps, controller: w.controller, elapsed: w.elapsed };
}

const withApi = <T>(o: FakeDeploymentOptions, run: (api: FakeKubernetesApi) => Promise<T>): Promise<T> => withFake(() => startFakeKubernetes(o), run);

/** Runs a wait that must fail and returns its message. */
const failure = (run: Promise<unknown>): Promise<string> => waitFailure(run, scaleWaitErrorName);

const options = (extra: Partial<ScaleUpOptions> = {}): ScaleUpOptions => ({ namespace, deploymentName: name, hpaName: name, count: 4, previousCount: 2, timeoutSeconds: scaleWaitTimeoutSeconds, pollSeconds: 5, ...extra });

const commands = /`kubectl -n shop get deploy web-api`, `kubectl -n shop describe hpa web-api` and `kubectl -n shop get events --sort-by=\.lastTimestamp`/;

describe("Kubernetes scale-ups: pulumi up waits for the new pods (fake API server)", function () {
  this.timeout(30000);

  it("returns once the HPA raised the replicas, the controller observed it and enough pods are available, one line per change", async function () {
    await withApi(fake({ warmupSteps: 2 }), async (api) => {
      const w = world(api);
      const result = await waitForScaleUp(options(), w.deps, w.controller.signal);
      assert.equal(result.deployment.available, 4);
      assert.equal(result.deployment.observedGeneration, result.deployment.generation);
      assert.equal(api.deployment.available, 4);
      assert.equal(result.polls, api.deployment.calls);
      assert.ok(result.polls >= 7, `it kept polling while pods came: ${result.polls}`);
      assert.deepEqual(w.lines, [
        "deployment shop/web-api: 2 of 4 pods available (the autoscaler has set 2 replicas so far)",
        "deployment shop/web-api: 2 of 4 pods available",
        "deployment shop/web-api: 3 of 4 pods available",
        "deployment shop/web-api: 4 of 4 pods available",
      ]);
      assert.ok(api.requests.every((r) => r === `GET /apis/apps/v1/namespaces/${namespace}/deployments/${name}`), api.requests.join("\n"));
    });
  });

  it("does not trust a status that describes an older generation, even with enough pods", async function () {
    await withApi(fake({ before: 4, count: 4 }), async (api) => {
      // The HPA's change at the first GET, observed only at the next.
      api.deployment.generation = 8;
      api.deployment.changedAtCall = 1;
      const w = world(api);
      const result = await waitForScaleUp(options(), w.deps, w.controller.signal);
      assert.equal(result.polls, 2, "the first answer (observedGeneration 7 < generation 8) is not the end");
    });
  });

  it("fails at its timeout when pods never become available, saying how many are and what to run", async function () {
    await withApi(fake({ reachable: 3 }), async (api) => {
      const w = world(api);
      const message = await failure(waitForScaleUp(options(), w.deps, w.controller.signal));
      assert.match(message, /^Stopped waiting for Deployment web-api in namespace shop to scale up from 2 to 4 available pods \(3 of 4 available, 4 desired, 3 ready; Available=False: MinimumReplicasUnavailable: Deployment does not have minimum availability\.\): not enough available pods after 660 s/);
      assert.match(message, /minimum is 4 already, so Kubernetes goes on trying/);
      assert.match(message, commands);
      assert.match(message, /lowering `count` back ends it/);
      assert.equal(w.elapsed(), scaleWaitTimeoutSeconds * 1000, "it waited exactly its limit");
    });
  });

  it("rides out 429s and 5xx with backoff, then finishes", async function () {
    await withApi(fake({ throttle: (c) => c === 2 || c === 3, serverError: (c) => c === 4 }), async (api) => {
      const w = world(api);
      const result = await waitForScaleUp(options(), w.deps, w.controller.signal);
      assert.equal(result.deployment.available, 4);
      assert.deepEqual(w.sleeps.slice(0, 4), [5000, 10000, 20000, 40000], "doubling after each failure in a row");
      assert.equal(w.sleeps[4], 5000, "back to the normal pause after an answer");
    });
  });

  it("fails at once when the API server refuses (403) or the Deployment is gone, naming what to check", async function () {
    await withApi(fake({ refuse: () => ({ status: 403, message: 'deployments.apps "web-api" is forbidden: User "ci" cannot get resource "deployments"' }) }), async (api) => {
      const w = world(api);
      const message = await failure(waitForScaleUp(options(), w.deps, w.controller.signal));
      assert.match(message, /^Could not read Deployment web-api in namespace shop: KubernetesApiError: HTTP 403: deployments\.apps "web-api" is forbidden/);
      assert.match(message, /need `get` on deployments\.apps/);
      assert.equal(api.deployment.calls, 1);
    });
    await withApi(fake(), async (api) => {
      const w = world(api);
      const message = await failure(waitForScaleUp(options({ deploymentName: "gone" }), w.deps, w.controller.signal));
      assert.match(message, /^Deployment gone in namespace shop does not exist/);
    });
  });

  it("stops at once on cancellation, also mid-request, saying the scale-up goes on", async function () {
    await withApi(fake({ reachable: 2 }), async (api) => {
      const w = world(api);
      let polls = 0;
      const read = w.deps.read;
      w.deps.read = async (...args) => {
        const answer = await read(...args);
        // Ctrl-C while the wait sleeps after its second poll.
        if (++polls === 2) w.controller.abort("SIGINT");
        return answer;
      };
      const message = await failure(waitForScaleUp(options(), w.deps, w.controller.signal));
      assert.match(message, /^Stopped waiting for Deployment web-api in namespace shop to scale up from 2 to 4 available pods .*: cancelled \(SIGINT\)\. Its HorizontalPodAutoscaler's minimum is 4 already/);
      assert.equal(api.deployment.calls, 2, "no poll after the cancellation");
    });
    await withApi(fake({ holdFromCall: 2 }), async (api) => {
      const w = world(api);
      await assertStopsMidRequest(w.controller, () => waitForScaleUp(options(), w.deps, w.controller.signal), scaleWaitErrorName);
    });
  });

  it("in a provider-host-like process, SIGINT ends the wait within a second and the process exits 130", async function () {
    await withApi(fake({ reachable: 2 }), async (api) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scale-wait-"));
      const file = path.join(dir, "config");
      fs.writeFileSync(file, kubeconfigFor(api.server), { mode: 0o600 });
      const script = [
        `const { scaleWaitProvider } = require(${JSON.stringify(require.resolve("../components/platforms/kubernetes/scaleWait"))});`,
        `const news = { namespace: "shop", deploymentName: "web-api", hpaName: "web-api", count: 4, previousCount: 2, timeoutSeconds: 660, kubeconfig: ${JSON.stringify(file)} };`,
        "scaleWaitProvider().update('w', { ...news, count: 2 }, news).then(() => console.log('DONE'), (e) => console.error(e.message));",
        "setInterval(() => {}, 1000);",
      ].join("\n");
      const child = spawn(process.execPath, ["--import", "tsx", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const deadline = Date.now() + 20000;
      while (!stdout.includes("deployment shop/web-api: 2 of 4 pods available") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(stdout.includes("pods available"), `progress printed to stdout: ${stdout} ${stderr}`);
      const signalled = Date.now();
      child.kill("SIGINT");
      const code = await exited;
      fs.rmSync(dir, { recursive: true, force: true });
      assert.ok(Date.now() - signalled < 3000, `exited ${Date.now() - signalled} ms after SIGINT`);
      assert.equal(code, 130);
      assert.match(stderr, /Stopped waiting for Deployment web-api in namespace shop to scale up from 2 to 4 available pods .*: cancelled \(SIGINT\)/);
      assert.doesNotMatch(stdout, /DONE/);
    });
  });
});

describe("Kubernetes scale-ups: the provider waits only when count grows", function () {
  this.timeout(30000);
  const inputs: ScaleWaitInputs = { namespace, deploymentName: name, hpaName: name, count: 4, timeoutSeconds: scaleWaitTimeoutSeconds };

  it("check takes the previous count from the old inputs, never from the new ones", async function () {
    const p = scaleWaitProvider();
    assert.equal((await p.check({ ...inputs, count: 2 }, { ...inputs, previousCount: 9 })).inputs?.previousCount, 2);
    assert.equal((await p.check({} as ScaleWaitInputs, { ...inputs, previousCount: 9 })).inputs?.previousCount, undefined, "a creation has no previous count");
  });

  it("diff: a raised count is a change; a lowered or unchanged one, another timeout or cluster setting is none; another Deployment replaces", async function () {
    const p = scaleWaitProvider();
    assert.equal((await p.diff("w", inputs, { ...inputs, count: 6, previousCount: 4 })).changes, true);
    assert.equal((await p.diff("w", inputs, { ...inputs, count: 2, previousCount: 4 })).changes, false);
    assert.equal((await p.diff("w", inputs, { ...inputs, previousCount: 4 })).changes, false);
    assert.equal((await p.diff("w", inputs, { ...inputs, previousCount: 4, timeoutSeconds: 1, context: "other" })).changes, false);
    assert.deepEqual((await p.diff("w", inputs, { ...inputs, deploymentName: "web-b", previousCount: 4 })).replaces, ["deploymentName"]);
  });

  it("create and an update that lowers the count call nothing; the kubeconfig never reaches the outputs", async function () {
    await withApi(fake(), async (api) => {
      const w = world(api);
      const p = scaleWaitProvider(w.deps);
      const created = await p.create({ ...inputs, kubeconfig: "secret contents\n" });
      assert.ok(!("kubeconfig" in (created.outs ?? {})));
      assert.equal(created.outs?.count, 4);
      const updated = await p.update("w", inputs, { ...inputs, count: 2, previousCount: 4, kubeconfig: "secret contents\n" });
      assert.equal(updated.outs?.count, 2);
      assert.ok(!("kubeconfig" in (updated.outs ?? {})));
      assert.equal(api.deployment.calls, 0, "no API call");
      assert.deepEqual(w.lines, []);
    });
  });

  it("an update that raises the count waits; a failed one fails the update (the engine keeps the old count, so the next up waits again)", async function () {
    await withApi(fake(), async (api) => {
      const w = world(api);
      const updated = await scaleWaitProvider(w.deps).update("w", { ...inputs, count: 2 }, { ...inputs, previousCount: 2 });
      assert.equal(updated.outs?.count, 4);
      assert.equal(api.deployment.available, 4);
    });
    await withApi(fake({ reachable: 2 }), async (api) => {
      const w = world(api);
      const message = await failure(scaleWaitProvider(w.deps).update("w", { ...inputs, count: 2 }, { ...inputs, previousCount: 2, timeoutSeconds: 60 }));
      assert.match(message, /not enough available pods after 60 s/);
    });
  });

  it("tells a kubeconfig's contents from its path", function () {
    assert.equal(isKubeconfigContents("~/.kube/prod"), false);
    assert.equal(isKubeconfigContents("/etc/kube/config"), false);
    assert.equal(isKubeconfigContents("apiVersion: v1\nkind: Config\n"), true);
    assert.equal(isKubeconfigContents('{"apiVersion":"v1","kind":"Config"}'), true);
  });

  it("reaches the cluster of the named context, from contents or a path", async function () {
    await withApi(fake({ before: 4, count: 4 }), async (api) => {
      const config = kubeconfigFor(api.server, { context: "prod", current: "elsewhere" });
      const s = new AbortController().signal;
      assert.equal((await clientRead({ kubeconfig: config, context: "prod" })(namespace, name, s))?.metadata?.name, name);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scale-wait-"));
      try {
        const file = path.join(dir, "config");
        fs.writeFileSync(file, config, { mode: 0o600 });
        assert.equal((await clientRead({ kubeconfig: file, context: "prod" })(namespace, name, s))?.metadata?.name, name);
        // Without the context, the current one (elsewhere: nothing listens) is used: a network error, retried by the loop.
        await assert.rejects(clientRead({ kubeconfig: file })(namespace, name, s), (e: { code?: string }) => e.code === "ECONNREFUSED");
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
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

const T = {
  wait: "pulumi-nodejs:dynamic/ha-topology:ScaleWait",
  deployment: "kubernetes:apps/v1:Deployment",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
};

/** Every workload Deployment (the static site's, whose count is fixed, has none) has its wait, after it and its HPA, with its names and count. */
function assertOnePerWorkload(p: Program): void {
  const waits = p.all(T.wait);
  const hpas = p.all(T.hpa);
  const deployments = p.all(T.deployment).filter((d) => hpas.some((h) => h.inputs.spec.scaleTargetRef.name === d.inputs.metadata.name) && !d.parents.includes("ha-topology:kubernetes:Site"));
  assert.ok(deployments.length >= 1);
  assert.equal(waits.length, deployments.length, `${waits.map((w) => w.name).join(", ")} for ${deployments.map((d) => d.name).join(", ")}`);
  for (const d of deployments) {
    const hpa = hpas.find((h) => h.inputs.spec.scaleTargetRef.name === d.inputs.metadata.name)!;
    const wait = waits.find((w) => w.inputs.deploymentName === d.inputs.metadata.name);
    assert.ok(wait, `a wait for ${d.name}`);
    assert.ok(wait.dependencies.includes(d.urn) && wait.dependencies.includes(hpa.urn), `${wait.name} runs after ${d.name} and its HPA`);
    assert.equal(wait.inputs.namespace, d.inputs.metadata.namespace);
    assert.equal(wait.inputs.hpaName, hpa.inputs.metadata.name);
    assert.equal(wait.inputs.count, hpa.inputs.spec.minReplicas, "the count a scale-up raises");
    assert.equal(wait.inputs.timeoutSeconds, scaleWaitTimeoutSeconds);
    assert.equal(wait.inputs.previousCount, undefined, "the engine's check fills it in, never the program");
    assert.equal(wait.parents.at(-1), d.parents.at(-1), "in the Deployment's component");
  }
  assert.ok(kubernetesObjectTypes(p.run.resources).every((r) => r.type !== T.wait), "the schema validation skips the waits (not Kubernetes objects)");
}

describe("Kubernetes scale-ups: every workload Deployment gets its wait (mocks)", function () {
  this.timeout(60000);

  it("the several-workloads example: one per workload, none with cluster settings the stack does not set", async function () {
    const p = await runStack("stacks/examples/Pulumi.kubernetes-services.yaml");
    assertOnePerWorkload(p);
    assert.ok(p.all(T.wait).length >= 4);
    for (const w of p.all(T.wait)) assert.ok(!("kubeconfig" in w.inputs) && !("context" in w.inputs));
  });

  it("the single service: its App's Deployment has one too, and the stack's kubeconfig (secret) and context reach it", async function () {
    const run = await runWithMocks(stackConfigWith("kubernetes", { "kubernetes:kubeconfig": { secure: "v1:abc" }, "kubernetes:context": "prod" }));
    if (run.error) throw run.error;
    const p = new Program(run);
    assertOnePerWorkload(p);
    const wait = p.all(T.wait).find((w) => w.parents.includes("ha-topology:kubernetes:App"));
    assert.ok(wait, "the App's Deployment has its wait");
    for (const w of p.all(T.wait)) {
      assert.ok(isSecretValue(w.rawInputs.kubeconfig), "the kubeconfig is a secret input");
      assert.equal(w.inputs.kubeconfig, "offline-placeholder-for-kubernetes:kubeconfig");
      assert.equal(w.inputs.context, "prod");
    }
  });

  it("registers the shipped provider, which talks to the cluster of the default kubeconfig as the provider host loads and runs it", async function () {
    const p = await runStack("stacks/examples/Pulumi.kubernetes-services.yaml");
    const wait = p.all(T.wait)[0];
    const text: string = wait.inputs.__provider;
    assert.equal(text, providerText("ScaleWait"), "the provider is the shipped one, not a serialized copy");
    const provider = deserializeProvider(text);
    const { __provider: _p, ...inputs } = wait.inputs;
    await withApi({ namespace: inputs.namespace, name: inputs.deploymentName, before: inputs.count, count: inputs.count + 1, hpaSteps: 0 }, async (api) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scale-wait-"));
      const saved = process.env.KUBECONFIG;
      try {
        const file = path.join(dir, "config");
        fs.writeFileSync(file, kubeconfigFor(api.server), { mode: 0o600 });
        process.env.KUBECONFIG = file;
        const checked = await provider.check(inputs, { ...inputs, count: inputs.count + 1, timeoutSeconds: 120 });
        assert.equal(checked.inputs?.previousCount, inputs.count);
        // The fake needs a few GETs; the real pause between them (5 s) is skipped.
        const { result: updated, skipped } = await withPausesSkipped(5000, () => provider.update("w", inputs, checked.inputs));
        assert.equal(updated.outs?.count, inputs.count + 1);
        assert.equal(api.deployment.available, inputs.count + 1);
        assert.ok(api.deployment.calls >= 3, `${api.deployment.calls} GETs`);
        assert.equal(skipped, api.deployment.calls - 1, "it paused its 5 s between polls");
      } finally {
        if (saved === undefined) delete process.env.KUBECONFIG;
        else process.env.KUBECONFIG = saved;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
