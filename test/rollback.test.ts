import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ConfigMap, Stack, UpdateSummary } from "@pulumi/pulumi/automation";
import * as d from "../automation/deployment";
import { configImages, withImages } from "../automation/workloadImages";
import { deployedVersions, readHistory, rollbackPlan, type DeployedVersion } from "../automation/rollback";
import { durationText, formatHistory, formatRollbackPlan, historyJson, staleFileLines } from "../automation/historyReport";
import { initialProgress } from "../automation/progress";

const dirs: string[] = [];
after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** Writes a stack file Pulumi.<stack>.yaml with this `config:` body (YAML lines, two-space indented). */
function stackFile(stack: string, body: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-rollback-"));
  dirs.push(dir);
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  fs.writeFileSync(file, `config:\n  aws:region: eu-west-1\n  ha-topology:cloud: aws\n  ha-topology:domain: app.example.com\n${body}`);
  return file;
}

/** A single-service stack file running `image`. */
const singleServiceFile = (image: string) =>
  stackFile("shop", `  ha-topology:nodes:\n    count: 3\n    image: ${image}\n    env: { LOG_LEVEL: info }\n  ha-topology:database:\n    engine: postgres\n`);

/** A stack file with the maps: a web service, a worker and a site (no image). */
const mapsFile = (images: { api: string; worker?: string }) =>
  stackFile(
    "maps",
    "  ha-topology:workloads:\n" +
      `    api:\n      kind: web\n      image: ${images.api}\n      port: 8080\n` +
      (images.worker ? `    worker:\n      kind: worker\n      image: ${images.worker}\n` : "") +
      "    front:\n      kind: site\n      source: site\n",
  );

/** A history entry's config as the CLI's `stack history --json` gives it (values as strings). */
function historyConfig(values: Record<string, unknown>, secret: string[] = []): ConfigMap {
  const map: ConfigMap = {};
  for (const [key, value] of Object.entries(values)) {
    map[key] = secret.includes(key) ? ({ secret: true } as ConfigMap[string]) : { value: typeof value === "string" ? value : JSON.stringify(value), secret: false };
  }
  return map;
}

/** One update of the history, started at minute `version` of a day. */
function update(version: number, result: UpdateSummary["result"], values: Record<string, unknown>, kind: UpdateSummary["kind"] = "update", secret: string[] = []): UpdateSummary {
  const startTime = new Date(Date.UTC(2026, 11, 1, 10, version, 0));
  return {
    version,
    kind,
    result,
    startTime,
    endTime: new Date(startTime.getTime() + 192_000),
    message: "",
    environment: {},
    config: historyConfig({ "ha-topology:cloud": "aws", "ha-topology:domain": "app.example.com", ...values }, secret),
    resourceChanges: { same: 40, update: 2 },
  };
}

const web = (image: string) => ({ "ha-topology:nodes": { count: 3, image } });
const maps = (workloads: Record<string, { kind: string; image?: string }>) => ({ "ha-topology:workloads": workloads });

describe("rollback: the images of a configuration", function () {
  it("reads the single service's nodes.image as `web`, its default when unset, and each map workload's image (a site has none)", function () {
    assert.deepEqual(configImages({ "ha-topology:nodes": JSON.stringify({ image: "ghcr.io/acme/web:1.4.2" }) }), { web: "ghcr.io/acme/web:1.4.2" });
    assert.deepEqual(configImages({ "ha-topology:cloud": "aws" }), { web: "traefik/whoami:v1.10.1" }, "no nodes, no workloads: the single service with its default image");
    const values = { "ha-topology:workloads": JSON.stringify({ api: { kind: "web", image: "a:1" }, jobs: { kind: "cron", image: "j:2" }, front: { kind: "site", source: "site" } }) };
    assert.deepEqual(configImages(values), { api: "a:1", jobs: "j:2" }, "the maps alone: no single service");
    assert.deepEqual(configImages({ ...values, "ha-topology:nodes": JSON.stringify({ image: "w:3" }) }), { web: "w:3", api: "a:1", jobs: "j:2" }, "nodes and the maps");
  });

  it("sets images over the configuration, changing nothing else, and refuses a name that is not a workload with an image", function () {
    const nodes = { count: 3, image: "w:1", env: { LOG_LEVEL: "info" } };
    const workloads = { api: { kind: "web", image: "a:1", port: 8080 }, front: { kind: "site", source: "site" } };
    const values = { "ha-topology:nodes": JSON.stringify(nodes), "ha-topology:workloads": JSON.stringify(workloads), "ha-topology:domain": "app.example.com" };
    const set = withImages(values, { web: "w:0", api: "a:0" });
    assert.deepEqual(JSON.parse(set["ha-topology:nodes"]), { ...nodes, image: "w:0" });
    assert.deepEqual(JSON.parse(set["ha-topology:workloads"]), { ...workloads, api: { ...workloads.api, image: "a:0" } });
    assert.equal(set["ha-topology:domain"], "app.example.com");
    assert.deepEqual(JSON.parse(values["ha-topology:nodes"]), nodes, "the input is not changed");
    assert.equal(withImages(values, {}), values);
    assert.deepEqual(JSON.parse(withImages({}, { web: "w:9" })["ha-topology:nodes"]), { image: "w:9" }, "nodes unset: the single service keeps existing");
    for (const bad of ["front", "nope"]) {
      assert.throws(() => withImages(values, { [bad]: "x:1" }), (e: unknown) => e instanceof d.DeploymentConfigError && e.message.includes(`"${bad}" is not a workload with an image`) && e.message.includes("web, api"));
    }
    assert.throws(() => withImages({ "ha-topology:workloads": JSON.stringify(workloads) }, { web: "w:1" }), /"web" is not a workload/, "no single service: no `web`");
  });

  it("passes `images` through topologyConfigMap: only the image values differ from the stack file's", function () {
    const file = singleServiceFile("ghcr.io/acme/web:1.4.3");
    const base = d.topologyConfigMap({ stack: "shop", stackFile: file, secrets: { API_KEY: "k" } });
    const rolled = d.topologyConfigMap({ stack: "shop", stackFile: file, secrets: { API_KEY: "k" }, images: { web: "ghcr.io/acme/web:1.4.2" } });
    assert.deepEqual(Object.keys(rolled).sort(), Object.keys(base).sort());
    for (const key of Object.keys(base)) {
      if (key === "ha-topology:nodes") continue;
      assert.deepEqual(rolled[key], base[key], key);
    }
    assert.deepEqual(JSON.parse(rolled["ha-topology:nodes"].value), { ...JSON.parse(base["ha-topology:nodes"].value), image: "ghcr.io/acme/web:1.4.2" });
    assert.equal(rolled["ha-topology:secrets"].secret, true, "secrets stay secret");
  });
});

describe("rollback: the stack's history", function () {
  it("keeps updates only, newest first, with times, result and images; hidden image config is unknown images", function () {
    const versions = deployedVersions([
      update(1, "succeeded", web("w:1")),
      update(2, "succeeded", {}, "refresh"),
      update(4, "failed", web("w:3")),
      update(3, "succeeded", web("w:2")),
      update(5, "succeeded", web("w:4"), "update", ["ha-topology:nodes"]),
      { ...update(6, "in-progress", web("w:5")), endTime: undefined as unknown as Date },
    ]);
    assert.deepEqual(versions.map((v) => v.version), [6, 5, 4, 3, 1]);
    assert.deepEqual(versions.map((v) => v.result), ["in-progress", "succeeded", "failed", "succeeded", "succeeded"]);
    assert.deepEqual(versions[2].images, { web: "w:3" });
    assert.equal(versions[1].images, undefined, "a secret ha-topology:nodes hides the image");
    assert.equal(versions[0].endTime, undefined, "a running update has no end");
    assert.equal(versions[3].startTime.toISOString(), "2026-12-01T10:03:00.000Z");
  });

  it("reads the history from the Automation API's Stack with secrets hidden", async function () {
    const asked: unknown[][] = [];
    const stack: Pick<Stack, "history"> = {
      history: async (...args: unknown[]) => {
        asked.push(args);
        return [update(1, "succeeded", web("w:1"))];
      },
    };
    const versions = await readHistory(stack);
    assert.deepEqual(asked, [[undefined, undefined, false]], "showSecrets false: the SDK's default would decrypt every secret");
    assert.deepEqual(versions[0].images, { web: "w:1" });
  });

  it("prints the history as a table, a workload per line, and as JSON", function () {
    const versions = deployedVersions([
      update(1, "succeeded", maps({ api: { kind: "web", image: "ghcr.io/acme/api:2.0.0" }, worker: { kind: "worker", image: "ghcr.io/acme/worker:1.1" } })),
      update(2, "failed", maps({ api: { kind: "web", image: "ghcr.io/acme/api:2.1.0" }, worker: { kind: "worker", image: "ghcr.io/acme/worker:1.1" } })),
      update(3, "succeeded", web("w:1"), "update", ["ha-topology:nodes"]),
    ]);
    assert.equal(
      formatHistory("maps", versions),
      [
        "VERSION  STARTED (UTC)        DURATION  RESULT     IMAGES",
        "3        2026-12-01 10:03:00  3m 12s    succeeded  (images unknown: the update's config hides them)",
        "2        2026-12-01 10:02:00  3m 12s    failed     api     ghcr.io/acme/api:2.1.0",
        "                                                   worker  ghcr.io/acme/worker:1.1",
        "1        2026-12-01 10:01:00  3m 12s    succeeded  api     ghcr.io/acme/api:2.0.0",
        "                                                   worker  ghcr.io/acme/worker:1.1",
        "",
      ].join("\n"),
    );
    assert.equal(formatHistory("new", []), 'Stack "new" has no update yet.\n');
    assert.deepEqual(JSON.parse(JSON.stringify(historyJson(versions)))[1], {
      version: 2,
      kind: "update",
      startTime: "2026-12-01T10:02:00.000Z",
      endTime: "2026-12-01T10:05:12.000Z",
      result: "failed",
      images: { api: "ghcr.io/acme/api:2.1.0", worker: "ghcr.io/acme/worker:1.1" },
    });
    assert.equal(historyJson(versions)[0].images, null);
    assert.deepEqual([durationText(new Date(0), new Date(45_000)), durationText(new Date(0), new Date(3_725_000)), durationText(new Date(0), undefined)], ["45s", "1h 02m", "-"]);
  });
});

describe("rollback: choosing the version", function () {
  const history = (...updates: UpdateSummary[]): DeployedVersion[] => deployedVersions(updates);
  const refused = (fn: () => unknown, message: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof d.RollbackRefusedError && e instanceof d.DeploymentConfigError && message.test(e.message));

  it("goes back to the newest succeeded update with other images than the newest update's, skipping failed ones and same images", function () {
    const versions = history(
      update(1, "succeeded", web("w:1")),
      update(2, "succeeded", web("w:2")),
      update(3, "failed", web("w:1")),
      update(4, "succeeded", { "ha-topology:nodes": { count: 5, image: "w:3" } }),
      update(5, "succeeded", { "ha-topology:nodes": { count: 6, image: "w:3" } }),
    );
    const plan = rollbackPlan("shop", versions, { web: "w:3" });
    assert.equal(plan.target.version, 2, "4 ran the same image; 3 failed");
    assert.equal(plan.deployed.version, 5);
    assert.deepEqual(plan.changes, [{ workload: "web", from: "w:3", to: "w:2" }]);
    assert.deepEqual(plan.images, { web: "w:2" });
    assert.deepEqual(plan.overrides, { web: "w:2" });
    assert.deepEqual(staleFileLines(plan), ["The stack file still says web: w:3; update it (to w:2), or the next up redeploys it."]);
  });

  it("after a failed update, goes back to the last image that succeeded", function () {
    const plan = rollbackPlan("shop", history(update(1, "succeeded", web("w:1")), update(2, "failed", web("w:2"))), { web: "w:2" });
    assert.deepEqual([plan.target.version, plan.changes], [1, [{ workload: "web", from: "w:2", to: "w:1" }]]);
  });

  it("compares with what runs (the newest update), not with an edited stack file", function () {
    // 2 runs w:2; the file already says w:3 (not deployed): the rollback goes to w:1, not to w:2.
    const plan = rollbackPlan("shop", history(update(1, "succeeded", web("w:1")), update(2, "succeeded", web("w:2"))), { web: "w:3" });
    assert.equal(plan.target.version, 1);
    assert.deepEqual(plan.changes, [{ workload: "web", from: "w:2", to: "w:1" }]);
    assert.match(staleFileLines(plan)[0], /still says web: w:3/);
  });

  it("takes --to: that version's images; refuses an unknown, failed, running or unreadable version and one that changes nothing", function () {
    const versions = history(
      update(1, "succeeded", web("w:1")),
      update(2, "failed", web("w:2")),
      update(3, "succeeded", web("w:3"), "update", ["ha-topology:nodes"]),
      update(4, "succeeded", web("w:1")),
      update(5, "succeeded", web("w:4")),
      update(6, "in-progress", web("w:5")),
    );
    const plan = rollbackPlan("shop", versions, { web: "w:5" }, 4);
    assert.deepEqual([plan.target.version, plan.images], [4, { web: "w:1" }]);
    refused(() => rollbackPlan("shop", versions, { web: "w:5" }, 9), /^Version 9 is not an update of stack "shop" \(its updates: 1-6; ha-topology history --stack shop lists them\)\.$/);
    refused(() => rollbackPlan("shop", versions, { web: "w:5" }, 2), /Version 2 of stack "shop" did not succeed \(failed\): roll back to a version that succeeded/);
    refused(() => rollbackPlan("shop", versions, { web: "w:5" }, 6), /did not succeed \(in-progress\)/);
    refused(() => rollbackPlan("shop", versions, { web: "w:5" }, 3), /images of version 3 of stack "shop" cannot be read: its ha-topology:nodes or ha-topology:workloads config is secret/);
    const same = history(update(1, "succeeded", web("w:1")), update(2, "succeeded", web("w:1")));
    refused(() => rollbackPlan("shop", same, { web: "w:1" }, 1), /Version 1 of stack "shop" ran the images that run now \(web w:1\): nothing to roll back/);
  });

  it("refuses a stack with no update, or none with other images", function () {
    refused(() => rollbackPlan("shop", [], { web: "w:1" }), /Stack "shop" has no update in its history/);
    refused(() => rollbackPlan("shop", history(update(1, "succeeded", {}, "refresh")), { web: "w:1" }), /has no update in its history/);
    refused(
      () => rollbackPlan("shop", history(update(1, "succeeded", web("w:1")), update(2, "failed", web("w:0")), update(3, "succeeded", web("w:1"))), { web: "w:1" }),
      /No update of stack "shop" that succeeded ran other images than the ones that run now \(version 3: web w:1\)/,
    );
  });

  it("with the maps: a workload added since keeps its image, one removed since is not redeployed, a site has no image", function () {
    const versions = history(
      update(1, "succeeded", maps({ api: { kind: "web", image: "a:1" }, old: { kind: "worker", image: "o:1" }, front: { kind: "site" } })),
      update(2, "succeeded", maps({ api: { kind: "web", image: "a:2" }, worker: { kind: "worker", image: "k:1" }, front: { kind: "site" } })),
    );
    // The file has api (deployed a:2) and worker (deployed k:1, the file already says k:2).
    const plan = rollbackPlan("maps", versions, { api: "a:2", worker: "k:2" });
    assert.equal(plan.target.version, 1);
    assert.deepEqual(plan.changes, [{ workload: "api", from: "a:2", to: "a:1" }]);
    assert.deepEqual(plan.kept, [{ workload: "worker", image: "k:1" }], "not in version 1: keeps what runs, not the file's k:2");
    assert.deepEqual(plan.notRedeployed, ["old"]);
    assert.deepEqual(plan.images, { api: "a:1", worker: "k:1" });
    assert.deepEqual(plan.overrides, { api: "a:1", worker: "k:1" });
    const text = formatRollbackPlan(plan);
    assert.match(text, /^Rollback of stack "maps" to the images of version 1 \(succeeded 2026-12-01 10:01:00 UTC\); version 2 \(succeeded\) is the newest\.\n/);
    assert.match(text, /\n {2}api {2}a:2 → a:1\n/);
    assert.match(text, /\nNot in version 1, keeps its image: worker k:1\.\n/);
    assert.match(text, /\nIn version 1 but no longer in the stack file, not redeployed \(a rollback changes images only\): old\.\n/);
    assert.match(text, /still says api: a:2; update it \(to a:1\)/);
    assert.match(text, /still says worker: k:2; update it \(to k:1\)/);
  });

  it("moves the single service's image alongside the maps' (nodes and workloads together)", function () {
    const versions = history(
      update(1, "succeeded", { ...web("w:1"), ...maps({ api: { kind: "web", image: "a:1" } }) }),
      update(2, "succeeded", { ...web("w:2"), ...maps({ api: { kind: "web", image: "a:1" } }) }),
    );
    const plan = rollbackPlan("shop", versions, { web: "w:2", api: "a:1" });
    assert.deepEqual(plan.changes, [{ workload: "web", from: "w:2", to: "w:1" }]);
    assert.deepEqual(plan.overrides, { web: "w:1" }, "api is already the file's");
    assert.match(formatRollbackPlan(plan), /\nUnchanged: api a:1\.\n/);
  });

  it("a single-service stack whose nodes.image was unset ran the default image", function () {
    const versions = history(update(1, "succeeded", { "ha-topology:nodes": { count: 3 } }), update(2, "succeeded", web("w:2")));
    assert.deepEqual(rollbackPlan("shop", versions, { web: "w:2" }).changes, [{ workload: "web", from: "w:2", to: "traefik/whoami:v1.10.1" }]);
  });
});

describe("rollback: the Automation API", function () {
  const upResult = (): d.UpOperationResult => ({
    operation: "up",
    stack: "shop",
    backendUrl: "file:///s",
    changes: { update: 2 },
    diagnostics: [],
    policyViolations: [],
    progress: initialProgress("up"),
    outputs: { values: {}, secretNames: [] },
  });

  it("runs up with the stack file's topology and only the images changed; the file is not edited", async function () {
    const file = singleServiceFile("ghcr.io/acme/web:1.4.3");
    const before = fs.readFileSync(file, "utf8");
    const calls: { history: d.HistoryOptions[]; up: d.UpOptions[] } = { history: [], up: [] };
    const plans: d.RollbackPlan[] = [];
    const topology = { stack: "shop", stackFile: file, secrets: { API_KEY: "k-1" } };
    const result = await d.rollback(
      { topology, backendUrl: "file:///s", policyPacks: ["policies"], onPlan: (p) => plans.push(p) },
      {
        history: async (options) => {
          calls.history.push(options);
          return { stack: "shop", backendUrl: "file:///s", versions: deployedVersions([update(1, "succeeded", web("ghcr.io/acme/web:1.4.2")), update(2, "succeeded", web("ghcr.io/acme/web:1.4.3"))]) };
        },
        up: async (options) => {
          calls.up.push(options);
          return upResult();
        },
      },
    );
    assert.deepEqual([calls.history[0].stack, calls.history[0].backendUrl], ["shop", "file:///s"]);
    assert.equal(calls.up.length, 1);
    const [upOptions] = calls.up;
    assert.deepEqual(upOptions.topology, { ...topology, images: { web: "ghcr.io/acme/web:1.4.2" } });
    assert.deepEqual(upOptions.policyPacks, ["policies"], "the same up: policy packs too");
    // What the stack receives: the stack file's configuration but for the image.
    const sent = d.topologyConfigMap(upOptions.topology);
    const plain = d.topologyConfigMap(topology);
    const differing = Object.keys(plain).filter((k) => JSON.stringify(sent[k]) !== JSON.stringify(plain[k]));
    assert.deepEqual(differing, ["ha-topology:nodes"]);
    assert.deepEqual(JSON.parse(sent["ha-topology:nodes"].value), { ...JSON.parse(plain["ha-topology:nodes"].value), image: "ghcr.io/acme/web:1.4.2" });
    assert.equal(plans.length, 1, "the plan is told before up runs");
    assert.equal(result.plan, plans[0]);
    assert.equal(result.plan.target.version, 1);
    assert.equal(fs.readFileSync(file, "utf8"), before, "the stack file is not edited");
  });

  it("with the maps: sets the map workloads' images only", async function () {
    const file = mapsFile({ api: "a:3", worker: "k:1" });
    const ups: d.UpOptions[] = [];
    await d.rollback(
      { topology: { stack: "maps", stackFile: file } },
      {
        history: async () => ({
          stack: "maps",
          backendUrl: "file:///s",
          versions: deployedVersions([
            update(1, "succeeded", maps({ api: { kind: "web", image: "a:2" }, worker: { kind: "worker", image: "k:0" } })),
            update(2, "succeeded", maps({ api: { kind: "web", image: "a:3" }, worker: { kind: "worker", image: "k:1" } })),
          ]),
        }),
        up: async (options) => (ups.push(options), upResult()),
      },
    );
    assert.deepEqual(ups[0].topology.images, { api: "a:2", worker: "k:0" });
    const sent = JSON.parse(d.topologyConfigMap(ups[0].topology)["ha-topology:workloads"].value);
    const plain = JSON.parse(d.topologyConfigMap({ stack: "maps", stackFile: file })["ha-topology:workloads"].value);
    assert.deepEqual(sent, { ...plain, api: { ...plain.api, image: "a:2" }, worker: { ...plain.worker, image: "k:0" } });
    assert.equal(sent.front.image, undefined, "the site gets no image");
  });

  it("refuses before up runs: nothing to roll back to, an unknown stack file, a cancelled signal", async function () {
    let ups = 0;
    const steps = (versions: DeployedVersion[]): d.RollbackSteps => ({
      history: async () => ({ stack: "shop", backendUrl: "file:///s", versions }),
      up: async () => (ups++, upResult()),
    });
    const file = singleServiceFile("w:1");
    await assert.rejects(d.rollback({ topology: { stack: "shop", stackFile: file } }, steps([])), d.RollbackRefusedError);
    await assert.rejects(d.rollback({ topology: { stack: "shop", stackFile: file }, to: 7 }, steps(deployedVersions([update(1, "succeeded", web("w:1"))]))), /Version 7 is not an update/);
    await assert.rejects(d.rollback({ topology: { stack: "nope" } }, steps([])), /No stack file stacks\/Pulumi\.nope\.yaml/);
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(d.rollback({ topology: { stack: "shop", stackFile: file }, signal: aborted.signal }, steps([])), d.OperationCancelledError);
    assert.equal(ups, 0);
    const plan = await d.planRollback(
      { topology: { stack: "shop", stackFile: file } },
      { history: async () => ({ stack: "shop", backendUrl: "file:///s", versions: deployedVersions([update(1, "succeeded", web("w:0")), update(2, "succeeded", web("w:1"))]) }) },
    );
    assert.deepEqual(plan.overrides, { web: "w:0" });
  });
});
