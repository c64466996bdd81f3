/**
 * DigitalOcean workers are done when running and live (components/platforms/digitalocean/workerGate.ts):
 * the readiness-only watchdog run under bash on a virtual clock with a fake systemctl (a droplet whose
 * container never gets live powers itself off; one that got live is never powered off),
 * the gate's wait against a scripted DigitalOcean API and a fake clock, and what the
 * platform registers for the services example's worker.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { isSecretValue } from "../automation/offline/mocks";
import { renderCloudConfig, workerWatchdog } from "../components/bootstrap";
import type { GateDeps, HttpRequest } from "../components/platforms/digitalocean/healthGate";
import { waitUntilLive, workerGateProvider } from "../components/platforms/digitalocean/workerGate";
import { runStack } from "./programQueries";
import { runOnVirtualClock } from "./watchdogClock";

/**
 * Runs a readiness-only worker watchdog (1 s checks, `grace` s to get live) on its virtual
 * clock (watchdogClock.ts) with a fake systemctl whose restart count grows at each look
 * while `loopingAt(second)` holds; says whether it reported (powered off) within `seconds`.
 */
async function runReadinessOnly(grace: number, seconds: number, loopingAt: (elapsed: number) => boolean): Promise<{ reported: boolean; log: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-worker-"));
  const watchdog = { ...workerWatchdog({ reportCommand: `touch ${dir}/reported`, readyCommand: "true" }, grace), intervalSeconds: 1, readinessOnly: true };
  const config = parse(renderCloudConfig({ image: "busybox:1.36", env: {}, secretSources: [], stopTimeoutSeconds: 30, packages: [], livenessWatchdog: watchdog }), { version: "1.1" }) as { write_files: { path: string; content: string }[] };
  const script = Buffer.from(config.write_files.find((f) => f.path === "/usr/local/sbin/ha-topology-liveness")!.content, "base64").toString("utf8").replace("'/run/ha-topology/ready'", `'${dir}/marker'`);
  fs.writeFileSync(path.join(dir, "watchdog"), script, { mode: 0o700 });
  // The restart count grows at each look while the scenario says the container loops (the virtual clock starts at 0).
  fs.writeFileSync(path.join(dir, "systemctl"), [
    "#!/bin/bash",
    "elapsed=$(date +%s)",
    `case "$1" in is-active) echo active ;; show) n=$(cat ${dir}/n 2>/dev/null || echo 0); if [ -e ${dir}/loop-$elapsed ] || [ -e ${dir}/loop-always ]; then n=$((n + 1)); echo $n > ${dir}/n; fi; echo $n ;; esac`,
    "",
  ].join("\n"), { mode: 0o700 });
  for (let s = 0; s <= seconds; s++) if (loopingAt(s)) fs.writeFileSync(path.join(dir, `loop-${s}`), "");
  const { log } = await runOnVirtualClock(dir, path.join(dir, "watchdog"), seconds, () => fs.existsSync(`${dir}/reported`));
  const reported = fs.existsSync(`${dir}/reported`);
  fs.rmSync(dir, { recursive: true, force: true });
  return { reported, log };
}

/** A scripted droplet API on a fake clock: `statusAt(seconds since creation)` gives the droplet's status, or an HTTP error. */
function scripted(statusAt: (t: number) => string | number): { deps: GateDeps; calls: string[] } {
  const created = 1_800_000_000_000;
  let now = created;
  const calls: string[] = [];
  const deps: GateDeps = {
    now: () => now,
    sleep: async (ms) => void (now += ms),
    fetch: async (url: string, init: HttpRequest) => {
      calls.push(`${init.method} ${url}`);
      const status = statusAt((now - created) / 1000);
      if (typeof status === "number") return { status, text: async () => "{}" };
      return { status: 200, text: async () => JSON.stringify({ droplet: { id: 7, status, created_at: new Date(created).toISOString() } }) };
    },
  };
  return { deps, calls };
}

const gate = { dropletId: "7", liveAfterSeconds: 480, timeoutSeconds: 1080, apiToken: "dop_v1_fake" };

describe("DigitalOcean workers: done when running and live", function () {
  this.timeout(60000);

  it("the watchdog: a container that stays up gets live and is never powered off, even when it loops later", async function () {
    const r = await runReadinessOnly(5, 9, (s) => s >= 7);
    assert.equal(r.reported, false, r.log);
  });

  it("the watchdog: a container that never stays up powers its droplet off after the grace period, once", async function () {
    const r = await runReadinessOnly(3, 8, () => true);
    assert.equal(r.reported, true, r.log);
    assert.match(r.log, /reported this node: it never got live/);
  });

  it("the gate passes a droplet still active past the time its watchdog may take", async function () {
    const { deps, calls } = scripted((t) => (t < 40 ? "new" : "active"));
    await waitUntilLive(gate, deps);
    assert.ok(calls.length > 10, "it waited the watchdog's time out");
    assert.ok(calls.every((c) => c === "GET https://api.digitalocean.com/v2/droplets/7"));
  });

  it("the gate fails the update when the droplet powered itself off, saying the old workers keep running", async function () {
    const { deps } = scripted((t) => (t < 40 ? "new" : t < 300 ? "active" : "off"));
    await assert.rejects(waitUntilLive(gate, deps), /Worker droplet 7 powered itself off: its container did not run without restarting[\s\S]*old worker droplets keep running/);
  });

  it("the gate rides out 429 and 5xx, and fails on a refused token, a gone droplet and its timeout", async function () {
    const flaky = scripted((t) => (t < 120 ? 429 : t < 200 ? 503 : "active"));
    await waitUntilLive(gate, flaky.deps);
    await assert.rejects(waitUntilLive(gate, scripted(() => 403).deps), /refused the API token \(HTTP 403\)[\s\S]*droplet:read/);
    await assert.rejects(waitUntilLive(gate, scripted(() => 404).deps), /is gone \(HTTP 404\)/);
    await assert.rejects(waitUntilLive(gate, scripted(() => "new").deps), /was not seen live within 1080 s \(status new\)/);
  });

  it("waits on create and on a replaced droplet, not on a new token", async function () {
    const { deps, calls } = scripted(() => "active");
    const provider = workerGateProvider(deps);
    await provider.update("x", gate, { ...gate, apiToken: "dop_v1_other" });
    assert.equal(calls.length, 0);
    await provider.update("x", gate, { ...gate, dropletId: "8" });
    assert.ok(calls.length > 0);
    assert.deepEqual(await provider.diff("x", gate, gate), { changes: false });
  });

  it("is registered for each worker droplet, its watchdog readiness-only and powering the droplet off", async function () {
    const p = await runStack("stacks/examples/Pulumi.digitalocean-services.yaml");
    const gates = p.all("pulumi-nodejs:dynamic/ha-topology:DropletWorkerGate");
    const workers = p.all("digitalocean:index/droplet:Droplet").filter((d) => /^web-jobs-node-\d+$/.test(d.name));
    assert.equal(gates.length, workers.length);
    assert.ok(workers.length >= 2);
    for (const d of workers) {
      const g = gates.find((x) => p.links(x, "dropletId", d));
      assert.ok(g, `a gate for ${d.name}`);
      assert.equal(g.inputs.liveAfterSeconds, 240 + 180 + 60);
      assert.ok(isSecretValue(g.rawInputs.apiToken));
      const config = parse(d.inputs.userData, { version: "1.1" }) as { write_files: { path: string; content: string }[] };
      const script = Buffer.from(config.write_files.find((f) => f.path === "/usr/local/sbin/ha-topology-liveness")!.content, "base64").toString("utf8");
      assert.match(script, /^report='systemctl poweroff'$/m);
      assert.match(script, /^exec sleep infinity$/m, "readiness only: nothing after");
    }
    // Web droplets keep their gates and get no worker gate; cron droplets get none.
    assert.ok(!gates.some((g) => p.all("digitalocean:index/droplet:Droplet").some((d) => !/^web-jobs-node-/.test(d.name) && p.links(g, "dropletId", d))));
  });
});
