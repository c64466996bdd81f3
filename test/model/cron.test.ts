/**
 * Scheduled jobs in the model (issue 16, first step): the schedule dialect every
 * platform's scheduler reads the same way, and a `kind: cron` workload parsed with its
 * defaults, bindings and refusals. No cloud builds jobs yet: the capability table refuses
 * them, naming when they come.
 */
import { strict as assert } from "node:assert";
import { workloadEnv } from "../../components/model/bindings";
import { capabilities } from "../../components/model/capabilities";
import { cronScheduleProblem } from "../../components/model/cronSchedule";
import { isContainerWorkload, type CronWorkload } from "../../components/model/model";
import { parseModel } from "../../components/model/parse";

describe("model: cron schedules", function () {
  it("accepts the forms every scheduler reads: values, *, ranges, steps, lists, names, 7 for Sunday", function () {
    for (const ok of ["*/5 * * * *", "0 3 * * *", "0 0 1 1 *", "15,45 9-17 * * MON-FRI", "0 */2 1-15 JAN,jul *", "30 4 * * 7", "0-30/10 0 * * 0", "  0  3 * * *  "]) {
      assert.equal(cronScheduleProblem(ok), undefined, ok);
    }
  });

  it("refuses what some scheduler reads otherwise, saying what to write", function () {
    const cases: Array<[string, RegExp]> = [
      ["@hourly", /the five fields "0 \* \* \* \*" instead of @hourly/],
      ["0 0 3 * * *", /five fields .* 6 given/],
      ["* * *", /3 given/],
      ["0 3 L * *", /no \?, L, W or #/],
      ["0 3 * * 1#2", /no \?, L, W or #/],
      ["60 * * * *", /minute field "60" has a value outside 0-59/],
      ["0 0 0 * *", /day of month field "0" has a value outside 1-31/],
      ["0 0 * 13 *", /month field "13"/],
      ["0 0 * * 8", /day of week field "8"/],
      ["0 5-1 * * *", /ends before it starts/],
      ["*/0 * * * *", /step "\/0" that is not a number/],
      ["5/10 * * * *", /step on a single value \(write a range, such as 5-59\/10\)/],
      ["0 0 * * FUNDAY", /has a value outside/],
      ["0,,5 * * * *", /is not a value, range, step or list/],
    ];
    for (const [bad, why] of cases) assert.match(cronScheduleProblem(bad) ?? "accepted", why, bad);
  });
});

describe("model: kind cron", function () {
  // A table where kubernetes builds jobs, as its platform will: the parser's side alone.
  const table = { ...capabilities, kubernetes: { ...capabilities.kubernetes, workloads: [...capabilities.kubernetes.workloads, "cron"] } };
  const raw = {
    cloud: "kubernetes",
    domain: "app.example.com",
    workloads: {
      api: { kind: "web", image: "ghcr.io/acme/api:1.4.2", port: 8080 },
      housekeeping: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", command: ["alerta", "housekeeping"], schedule: " */5  * * * * ", env: { DB: "${resources.db.url}" }, uses: ["db"] },
    },
    resources: {
      db: { kind: "sql" },
      files: { kind: "bucket", endpoint: "https://s3.eu-west-1.amazonaws.com", bucket: "acme-files", accessKeyId: "AKIA", secretAccessKey: "s" },
    },
  };

  it("parses a job with its defaults: forbid, one hour, no retries; the schedule normalised", function () {
    const job = parseModel(raw, {}, table).workloads.find((w) => w.name === "housekeeping") as CronWorkload;
    assert.equal(job.kind, "cron");
    assert.deepEqual(
      { schedule: job.schedule, concurrency: job.concurrency, timeoutSeconds: job.timeoutSeconds, retries: job.retries, maxCount: job.maxCount, uses: job.uses },
      { schedule: "*/5 * * * *", concurrency: "forbid", timeoutSeconds: 3600, retries: 0, maxCount: 0, uses: ["db"] },
    );
  });

  it("binds a job like any workload: the resources it uses, their secret fields secret, no PORT", function () {
    const model = parseModel(raw, {}, table);
    const job = model.workloads.find((w) => w.name === "housekeeping")!;
    assert.ok(isContainerWorkload(job));
    const env = workloadEnv(model, job);
    const names = env.map((v) => v.name);
    assert.ok(names.includes("DB_URL") && names.includes("APP_VERSION") && !names.includes("PORT") && !names.includes("FILES_BUCKET"), names.join(", "));
    assert.equal(env.find((v) => v.name === "DB")?.secret, true, "a reference to a secret field is secret");
  });

  it("is refused where the cloud does not build jobs yet, naming when they come", function () {
    // Kubernetes builds jobs now (issue 16): a table where it does not yet, as the other clouds until theirs land.
    const before = { ...capabilities, kubernetes: { ...capabilities.kubernetes, workloads: ["web", "worker"], comingKinds: { cron: "issue 16 builds its scheduler here" } } };
    assert.throws(() => parseModel(raw, {}, before), /ha-topology:workloads\.housekeeping\.kind: received "cron"; allowed: a workload kind kubernetes supports: web, worker \(kind cron on kubernetes: issue 16/);
  });
});

describe("plan: a job in words", function () {
  it("says each cloud's guarantee, the schedule only once (the entry has it)", async function () {
    const { jobText } = await import("../../automation/topologyView");
    const job = { schedule: "*/5 * * * *", timeoutSeconds: 100, concurrency: "forbid" as const, retries: 0 };
    assert.equal(jobText(job, "kubernetes"), "killed after 100 s; a tick is skipped while the previous run goes on; no retries");
    assert.equal(jobText({ ...job, concurrency: "replace", retries: 2 }, "aws"), "killed after 100 s; a new tick stops the previous run; 2 retries");
    assert.match(jobText(job, "gcp"), /each run ends before the next tick/);
    assert.ok(!jobText(job, "gcp").includes(job.schedule));
  });
});
