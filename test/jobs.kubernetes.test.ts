/**
 * Scheduled jobs (`kind: cron`, issue 16) on Kubernetes (components/platforms/kubernetes/job.ts),
 * under mocks: the services example plus two jobs, `housekeeping` (every 5 minutes, uses
 * the database, forbid) and `heartbeat` (every minute, uses nothing, replace, 2 retries).
 * Every rendered object is validated against the Kubernetes schemas.
 */
import { strict as assert } from "node:assert";
import type { RegisteredResource } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { jobDeadlineSeconds, shortestIntervalMinutes, startingDeadlineSeconds } from "../components/platforms/kubernetes/job";
import { runPolicies } from "../policies/runner";
import { kubernetesObjectTypes, validateKubernetesObject } from "./kubernetesSchemas";
import { plainStrings, runStack, type Program } from "./programQueries";

const example = "stacks/examples/Pulumi.kubernetes-services.yaml";
const jobs = {
  workloads: {
    housekeeping: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", command: ["alerta", "housekeeping"], schedule: "*/5 * * * *", timeoutSeconds: 600, uses: ["db"], env: { DATABASE_URL: "${resources.db.url}" } },
    heartbeat: { kind: "cron", image: "busybox:1.36", command: ["sh", "-c", "date"], schedule: "* * * * *", concurrency: "replace", retries: 2, uses: [] },
  },
};

const T = {
  cronJob: "kubernetes:batch/v1:CronJob",
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  policy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  account: "kubernetes:core/v1:ServiceAccount",
  component: "ha-topology:kubernetes:Job",
};

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };

const named = (p: Program, type: string, name: string): RegisteredResource => {
  const found = p.all(type).filter((r) => r.inputs.metadata?.name === name);
  assert.equal(found.length, 1, `one ${type} ${name}`);
  return found[0];
};
const podSpec = (c: RegisteredResource) => c.inputs.spec.jobTemplate.spec.template.spec;
const containerOf = (c: RegisteredResource) => podSpec(c).containers[0];
const envMap = (c: RegisteredResource): Record<string, EnvVar> => Object.fromEntries((containerOf(c).env as EnvVar[]).map((e) => [e.name, e]));
const egressTo = (p: Program, name: string) =>
  JSON.stringify(named(p, T.policy, `${name}-out`).inputs.spec.egress.flatMap((rule: any) => (rule.to ?? []).map((peer: any) => peer.podSelector?.matchLabels ?? peer.ipBlock?.cidr)));


describe("Kubernetes platform: scheduled jobs (kind cron)", function () {
  let p: Program;
  before(async function () {
    p = await runStack(example, jobs);
  });

  it("renders one CronJob per job, schema-valid with every other object", function () {
    for (const r of kubernetesObjectTypes(p.run.resources)) validateKubernetesObject(r.type, r.inputs, r.name);
    assert.deepEqual(p.all(T.cronJob).map((c) => c.inputs.metadata.name).sort(), ["web-heartbeat", "web-housekeeping"]);
    assert.equal(p.all(T.component).length, 2);
    assert.equal(p.outputs.workloads.housekeeping.nodeGroupId, "web-housekeeping");
    assert.equal(p.outputs.workloads.housekeeping.url, undefined);
  });

  it("runs on the schedule in UTC, single-flight (Forbid) or Replace, missed ticks never run late", function () {
    const hk = named(p, T.cronJob, "web-housekeeping").inputs.spec;
    const hb = named(p, T.cronJob, "web-heartbeat").inputs.spec;
    assert.deepEqual([hk.schedule, hk.timeZone, hk.concurrencyPolicy], ["*/5 * * * *", "Etc/UTC", "Forbid"]);
    assert.deepEqual([hb.schedule, hb.timeZone, hb.concurrencyPolicy], ["* * * * *", "Etc/UTC", "Replace"]);
    // Half the interval: a tick the controller misses is skipped, and never 100 are counted.
    assert.equal(hk.startingDeadlineSeconds, 150);
    assert.equal(hb.startingDeadlineSeconds, 30);
    assert.deepEqual([hk.successfulJobsHistoryLimit, hk.failedJobsHistoryLimit], [3, 3]);
  });

  it("kills a run at timeoutSeconds, retries `retries` times with a new pod, never next to the failed one", function () {
    const hk = named(p, T.cronJob, "web-housekeeping");
    const hb = named(p, T.cronJob, "web-heartbeat");
    assert.equal(podSpec(hk).activeDeadlineSeconds, 600);
    assert.equal(podSpec(hb).activeDeadlineSeconds, 3600, "the default timeout");
    assert.equal(hk.inputs.spec.jobTemplate.spec.backoffLimit, 0);
    assert.equal(hb.inputs.spec.jobTemplate.spec.backoffLimit, 2);
    // The tick's deadline leaves every retry its full timeout.
    assert.equal(hk.inputs.spec.jobTemplate.spec.activeDeadlineSeconds, 600 + 60);
    assert.equal(hb.inputs.spec.jobTemplate.spec.activeDeadlineSeconds, 3 * 3600 + 10 + 20 + 60);
    for (const c of [hk, hb]) {
      const spec = c.inputs.spec.jobTemplate.spec;
      assert.equal(spec.template.spec.restartPolicy, "Never");
      assert.equal(spec.podReplacementPolicy, "Failed");
      assert.deepEqual(spec.podFailurePolicy.rules, [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] }], "a lost node's run is run again");
    }
  });

  it("runs the command as the container's args (docker semantics), restricted, role cron, no Service, PDB or HPA", function () {
    const hk = named(p, T.cronJob, "web-housekeeping");
    assert.deepEqual(containerOf(hk).args, ["alerta", "housekeeping"]);
    assert.equal(containerOf(hk).command, undefined);
    assert.equal(containerOf(hk).image, "ghcr.io/acme/api:1.4.2");
    assert.equal(containerOf(hk).securityContext.readOnlyRootFilesystem, true);
    assert.equal(podSpec(hk).securityContext.runAsNonRoot, true);
    for (const labels of [hk.inputs.metadata.labels, hk.inputs.spec.jobTemplate.metadata.labels, hk.inputs.spec.jobTemplate.spec.template.metadata.labels]) {
      assert.equal(labels["ha-topology/role"], "cron");
      assert.equal(labels["app.kubernetes.io/name"], "web-housekeeping");
    }
    for (const type of [T.deployment, T.service, T.pdb, T.hpa]) {
      assert.ok(!p.all(type).some((r) => /housekeeping|heartbeat/.test(r.inputs.metadata?.name ?? "")), type);
    }
    assert.ok(!p.all(T.policy).some((np) => /-(housekeeping|heartbeat)-in$/.test(np.inputs.metadata.name)), "nothing connects to a job");
    // Its own ServiceAccount, without a token.
    const account = named(p, T.account, "web-housekeeping");
    assert.equal(account.inputs.automountServiceAccountToken, false);
    assert.ok(p.links(hk, "spec", account));
    assert.equal(podSpec(hk).automountServiceAccountToken, false);
  });

  it("gets the bindings of its uses only, secrets as secretKeyRefs and dependent variables", function () {
    const hk = envMap(named(p, T.cronJob, "web-housekeeping"));
    assert.equal(hk.DB_HOST.value, "web-db-db-rw.web-test.svc.cluster.local");
    for (const [name, key] of [["DB_USER", "username"], ["DB_PASSWORD", "password"], ["DB_URL", "url"]]) {
      assert.deepEqual(hk[name].valueFrom?.secretKeyRef, { name: "web-db-db-owner", key }, name);
    }
    assert.equal(hk.DATABASE_URL.value, "$(DB_URL)");
    assert.equal(hk.APP_VERSION.value, "1.4.2");
    assert.equal(hk.PORT, undefined);
    assert.ok(!Object.keys(hk).some((n) => n.startsWith("FILES_") || n === "SECRET_KEY"), Object.keys(hk).join(", "));
    const hb = envMap(named(p, T.cronJob, "web-heartbeat"));
    assert.ok(!Object.keys(hb).some((n) => n.startsWith("DB_") || n.startsWith("FILES_") || n === "SECRET_KEY"), Object.keys(hb).join(", "));
    for (const r of p.run.resources) {
      for (const s of plainStrings(r.rawInputs)) assert.ok(!s.includes("replace-me-with-pulumi-config-set-secret") && !s.includes("P".repeat(32)), `${r.type} ${r.name} has a secret in a plain input`);
    }
  });

  it("reaches the database only when it uses it: both the job's egress and the database's policy", function () {
    const db = named(p, T.policy, "web-db-db");
    const admitted = db.inputs.spec.ingress[0].from.map((peer: any) => peer.podSelector.matchLabels["app.kubernetes.io/name"]);
    assert.ok(admitted.includes("web-housekeeping"), admitted.join(", "));
    assert.ok(!admitted.includes("web-heartbeat"), "heartbeat does not use db");
    assert.ok(egressTo(p, "web-housekeeping").includes('"cnpg.io/cluster":"web-db-db"'));
    assert.ok(!egressTo(p, "web-heartbeat").includes("cnpg.io/cluster"), "no path from heartbeat to the database");
    const out = named(p, T.policy, "web-heartbeat-out").inputs.spec;
    assert.deepEqual(out.podSelector.matchLabels, { "app.kubernetes.io/name": "web-heartbeat", "app.kubernetes.io/component": "app" });
    assert.deepEqual(out.policyTypes, ["Egress"]);
    assert.ok(out.egress.at(-1).to[0].ipBlock.except.includes("169.254.0.0/16"));
    // The internal web, as for every workload: its URL in the env, admitted by its policy.
    assert.equal(envMap(named(p, T.cronJob, "web-heartbeat")).DISCOVERY_URL.value, "http://web-discovery.web-test.svc.cluster.local:8080");
    const inbound = named(p, T.policy, "web-discovery-in").inputs.spec.ingress[0].from.map((peer: any) => peer.podSelector.matchLabels["app.kubernetes.io/name"]);
    assert.ok(inbound.includes("web-heartbeat") && inbound.includes("web-housekeeping"), inbound.join(", "));
  });

  it("raises no alarm (Kubernetes has none here, as for the other workloads): nothing but Kubernetes objects", function () {
    const added = p.run.resources.filter((r) => /housekeeping|heartbeat/.test(r.name)).map((r) => `${r.type.split(":").pop()} ${r.name}`);
    assert.deepEqual(added.sort(), [
      "CronJob web-heartbeat", "CronJob web-housekeeping", "Job web-heartbeat", "Job web-housekeeping",
      "NetworkPolicy web-heartbeat-out", "NetworkPolicy web-housekeeping-out", "ServiceAccount web-heartbeat", "ServiceAccount web-housekeeping",
    ]);
  });

  it("passes ha-guard with zero mandatory violations, and cron-single-flight catches a CronJob that may overlap", async function () {
    const resources = stackResources(p.run);
    const report = await runPolicies(resources);
    assert.deepEqual(report.violations.filter((v) => v.level === "mandatory"), []);
    assert.ok(!report.violations.some((v) => /housekeeping|heartbeat/.test(`${v.resourceName ?? ""} ${v.message}`)), JSON.stringify(report.violations));
    const cron = resources.find((r) => r.type === T.cronJob && (r.inputs as any).metadata.name === "web-housekeeping")!;
    (cron.inputs as any).spec.concurrencyPolicy = "Allow";
    if (cron.outputs) (cron.outputs as any).spec.concurrencyPolicy = "Allow";
    const broken = await runPolicies(resources);
    assert.ok(broken.violations.some((v) => /web-housekeeping/.test(`${v.resourceName ?? ""} ${v.message}`) && /concurrencyPolicy Allow/.test(v.message)), JSON.stringify(broken.violations));
  });

  it("leaves the example's other objects unchanged", async function () {
    const base = await runStack(example);
    const byUrn = new Map(p.run.resources.map((r) => [r.urn, r]));
    for (const r of base.run.resources) {
      assert.ok(byUrn.has(r.urn), `kept ${r.urn}`);
      // The database admits housekeeping, the internal web both jobs (they get DISCOVERY_URL, as every workload).
      if (r.type === T.policy && ["web-db-db", "web-discovery-in"].includes(r.inputs.metadata.name)) continue;
      assert.deepEqual(byUrn.get(r.urn)!.inputs, r.inputs, `${r.type} ${r.name}`);
    }
  });
});

describe("Kubernetes platform: a job next to the single service", function () {
  it("keeps every legacy URN and input, and binds the single service's database as a worker would", async function () {
    const legacy = await runStack("kubernetes");
    const mixed = await runStack("kubernetes", { workloads: { nightly: { kind: "cron", image: "busybox:1.36", command: ["sh", "-c", "date"], schedule: "0 3 * * *", uses: ["database"] } } });
    const byUrn = new Map(mixed.run.resources.map((r) => [r.urn, r]));
    for (const r of legacy.run.resources) {
      assert.ok(byUrn.has(r.urn), `kept ${r.urn}`);
      if (r.type === T.policy && r.name === "web-db") continue; // admits the job too
      assert.deepEqual(byUrn.get(r.urn)!.inputs, r.inputs, `${r.type} ${r.name}`);
    }
    const added = mixed.run.resources.filter((r) => !legacy.run.resources.some((l) => l.urn === r.urn)).map((r) => `${r.type.split(":").pop()} ${r.name}`);
    assert.deepEqual(added.sort(), ["CronJob web-nightly", "Job web-nightly", "NetworkPolicy web-nightly-out", "ServiceAccount web-nightly"]);
    const db = mixed.one(T.policy, "web-db");
    assert.deepEqual(db.inputs.spec.ingress[0].from.map((peer: any) => peer.podSelector.matchLabels["app.kubernetes.io/name"]), ["web", "web-nightly"]);
    const job = named(mixed, T.cronJob, "web-nightly");
    assert.deepEqual(envMap(job).DATABASE_PASSWORD.valueFrom?.secretKeyRef, { name: "web-db-app", key: "password" });
    assert.equal(job.inputs.spec.startingDeadlineSeconds, 3600);
    for (const r of kubernetesObjectTypes(mixed.run.resources)) validateKubernetesObject(r.type, r.inputs, r.name);
  });
});

describe("Kubernetes jobs: the schedule's shortest interval and the deadlines", function () {
  it("reads steps, lists, ranges, days and weekdays (Vixie's OR when both are set)", function () {
    const cases: Array<[string, number]> = [
      ["* * * * *", 1],
      ["*/5 * * * *", 5],
      ["0,50 * * * *", 10],
      ["0 */2 * * *", 120],
      ["30 23 * * *", 1440],
      ["0 9-17 * * MON-FRI", 60],
      ["0 0 * * 1", 7 * 1440],
      ["0 0 1 * *", 28 * 1440],
      ["0 0 1 * 1", 1440], // the 1st OR a Monday: a Monday the 31st, then the 1st
      ["59 23 * * *", 1440],
      ["0 0 29 2 *", 2 * 366 * 1440], // once in four years: counted as two years apart
    ];
    for (const [schedule, minutes] of cases) assert.equal(shortestIntervalMinutes(schedule), minutes, schedule);
    assert.equal(startingDeadlineSeconds("0 3 * * *"), 3600, "at most an hour");
    assert.equal(startingDeadlineSeconds("0,1 * * * *"), 30);
    assert.equal(jobDeadlineSeconds(600, 0), 660);
    assert.equal(jobDeadlineSeconds(60, 7), 8 * 60 + 10 + 20 + 40 + 80 + 160 + 320 + 360 + 60);
  });
});
