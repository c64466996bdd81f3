/**
 * Scheduled jobs on GCP (issue 16) under mocks: stacks/examples/Pulumi.gcp-services.yaml
 * with two cron workloads. Each is a Cloud Run job (one task, its timeout, retries, size,
 * the command as args, Direct VPC egress with its own tag) started by a Cloud Scheduler
 * job (UTC schedule, the Admin API's :run with an OAuth token of an account allowed only
 * to run that job); its own service account with the grants of what it uses only; its
 * secrets in Secret Manager pinned to versions, never plain; its network path to the
 * data services it uses only; the CA file of a valkey queue it uses (Memorystore's private
 * CA) mounted where its binding points; the alarms to alarms.email; and the ha-guard verdict.
 */
import { strict as assert } from "node:assert";
import { isSecretValue, type RegisteredResource } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { caDirectory } from "../components/bootstrap";
import { caFilePath } from "../components/model/bindings";
import { gcpRoleLabel } from "../contract/roles";
import { shortestIntervalSeconds } from "../components/model/cronSchedule";
import { overlapNote } from "../components/platforms/gcp/job";
import { runPolicies } from "../policies/runner";
import { type Program, runStack } from "./programQueries";

const example = "stacks/examples/Pulumi.gcp-services.yaml";

const T = {
  runJob: "gcp:cloudrunv2/job:Job",
  runJobIam: "gcp:cloudrunv2/jobIamMember:JobIamMember",
  scheduler: "gcp:cloudscheduler/job:Job",
  account: "gcp:serviceaccount/account:Account",
  secret: "gcp:secretmanager/secret:Secret",
  secretVersion: "gcp:secretmanager/secretVersion:SecretVersion",
  secretAccess: "gcp:secretmanager/secretIamMember:SecretIamMember",
  bucketAccess: "gcp:storage/bucketIAMMember:BucketIAMMember",
  projectIam: "gcp:projects/iAMMember:IAMMember",
  redis: "gcp:redis/instance:Instance",
  firewall: "gcp:compute/firewall:Firewall",
  subnet: "gcp:compute/subnetwork:Subnetwork",
  network: "gcp:compute/network:Network",
  sql: "gcp:sql/databaseInstance:DatabaseInstance",
  policy: "gcp:monitoring/alertPolicy:AlertPolicy",
  channel: "gcp:monitoring/notificationChannel:NotificationChannel",
};

const jobs = {
  // Each run ends before the next tick (the parser refuses otherwise on gcp: Cloud Run skips nothing).
  housekeeping: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", command: ["alerta", "housekeeping"], schedule: "*/5 * * * *", timeoutSeconds: 100, uses: ["db"] },
  heartbeat: { kind: "cron", image: "busybox:1.36", command: ["sh", "-c", "date"], schedule: "*/10 * * * *", timeoutSeconds: 60, concurrency: "replace", retries: 2, uses: [] },
};

/** The example's workloads with the two jobs beside them. */
function withJobs(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { workloads: { ...exampleWorkloads, ...jobs, ...extra }, alarms: { email: "oncall@example.com" } };
}

// The example's own workloads (the patch replaces the whole map).
const exampleWorkloads = {
  storefront: { kind: "web", image: "traefik/whoami:v1.10.1", port: 8080, count: 2, healthCheck: { path: "/health" }, env: { WHOAMI_PORT_NUMBER: "8080" }, uses: ["secret-key"] },
  api: {
    kind: "web", image: "traefik/whoami:v1.10.1", port: 8080, path: "/api", count: 2, maxCount: 6,
    healthCheck: { path: "/api/ready", liveness: { path: "/api/health", unhealthyThreshold: 5 } },
    env: { WHOAMI_PORT_NUMBER: "8080", DATABASE_URL: "${resources.db.url}" }, uses: ["db", "files", "secret-key"],
  },
  discovery: { kind: "web", public: false, image: "traefik/whoami:v1.10.1", port: 8080, healthCheck: { path: "/health" }, env: { WHOAMI_PORT_NUMBER: "8080" }, uses: ["db"] },
  jobs: { kind: "worker", image: "busybox:1.36", command: ["sh", "-c", "while true; do date; sleep 60; done"], count: 2, stopTimeoutSeconds: 80, uses: ["db", "files", "secret-key"] },
};

// The example's own resources (the patch replaces the whole map).
const exampleResources = {
  db: { kind: "sql", engine: "postgres" },
  files: { kind: "bucket" },
  "secret-key": { kind: "secret", length: 48 },
};

function named(p: Program, type: string, name: string): RegisteredResource {
  const found = p.all(type).filter((r) => r.name === name);
  assert.equal(found.length, 1, `expected one ${type} named ${name}, found ${p.all(type).map((r) => r.name).join(", ")}`);
  return found[0];
}

const runJob = (p: Program, j: string) => named(p, T.runJob, `web-${j}-job`);
const scheduler = (p: Program, j: string) => named(p, T.scheduler, `web-${j}-schedule`);
const runner = (p: Program, j: string) => named(p, T.account, `web-${j}-job`);
const starter = (p: Program, j: string) => named(p, T.account, `web-${j}-scheduler`);
const member = (p: Program, a: RegisteredResource) => `serviceAccount:${p.state(a).email}`;
const container = (p: Program, j: string) => runJob(p, j).inputs.template.template.containers[0];
const envOf = (p: Program, j: string): Record<string, any> => Object.fromEntries(container(p, j).envs.map((e: any) => [e.name, e]));

describe("GCP platform: scheduled jobs (Cloud Scheduler starting Cloud Run jobs)", function () {
  let p: Program;
  before(async function () {
    p = await runStack(example, withJobs());
  });

  it("parents every resource to the HaService component", function () {
    p.assertAllUnderService();
  });

  it("builds one Cloud Run job per cron workload: one task, its timeout, retries, command as args, size, role label, deletable", function () {
    assert.equal(p.all(T.runJob).length, 2);
    const hk = runJob(p, "housekeeping");
    const hb = runJob(p, "heartbeat");
    for (const [j, timeout, retries] of [[hk, "100s", 0], [hb, "60s", 2]] as const) {
      assert.equal(j.inputs.location, "europe-west1");
      assert.equal(j.inputs.template.taskCount, 1);
      assert.equal(j.inputs.template.parallelism, 1);
      assert.equal(j.inputs.template.template.timeout, timeout);
      assert.equal(j.inputs.template.template.maxRetries, retries);
      assert.equal(j.inputs.labels[gcpRoleLabel], "cron");
      assert.equal(j.inputs.template.labels[gcpRoleLabel], "cron");
      assert.equal(j.inputs.deletionProtection, false);
      assert.match(j.inputs.name, /^[a-z][a-z0-9-]{0,62}$/);
    }
    // The list after the image replaces CMD (docker run's semantics): args, not command.
    assert.deepEqual(container(p, "housekeeping").args, ["alerta", "housekeeping"]);
    assert.equal(container(p, "housekeeping").commands, undefined);
    assert.equal(container(p, "housekeeping").image, "ghcr.io/acme/api:1.4.2");
    assert.deepEqual(container(p, "heartbeat").args, ["sh", "-c", "date"]);
    assert.deepEqual(container(p, "heartbeat").resources.limits, { cpu: "1", memory: "2Gi" });
  });

  it("starts each job from Cloud Scheduler on its schedule in UTC, calling :run with a token of an account that may only run that job", function () {
    assert.equal(p.all(T.scheduler).length, 2);
    for (const [j, schedule] of [["housekeeping", "*/5 * * * *"], ["heartbeat", "*/10 * * * *"]] as const) {
      const s = scheduler(p, j);
      const job = runJob(p, j);
      assert.equal(s.inputs.schedule, schedule);
      assert.equal(s.inputs.timeZone, "Etc/UTC");
      assert.equal(s.inputs.region, "europe-west1");
      assert.equal(s.inputs.attemptDeadline, "30s");
      assert.ok(s.inputs.retryConfig.retryCount >= 1 && s.inputs.retryConfig.maxRetryDuration === "120s");
      assert.equal(s.inputs.httpTarget.httpMethod, "POST");
      assert.equal(s.inputs.httpTarget.uri, `https://run.googleapis.com/v2/projects/my-project/locations/europe-west1/jobs/${p.state(job).name}:run`);
      assert.ok(p.links(s, "httpTarget", job), `${j}'s schedule calls its own job`);
      assert.equal(s.inputs.httpTarget.oauthToken.serviceAccountEmail, p.state(starter(p, j)).email);
      // The scheduler's account: run.invoker on this job only, no other grant anywhere.
      const grants = p.all(T.runJobIam).filter((g) => g.inputs.member === member(p, starter(p, j)));
      assert.equal(grants.length, 1);
      assert.equal(grants[0].inputs.role, "roles/run.invoker");
      assert.ok(p.links(grants[0], "name", job));
      for (const type of [T.projectIam, T.secretAccess, T.bucketAccess]) {
        assert.deepEqual(p.all(type).filter((g) => g.inputs.member === member(p, starter(p, j))), [], `${j}'s scheduler has no ${type}`);
      }
    }
    assert.deepEqual(p.outputs.workloads.housekeeping, { kind: "cron", url: undefined, nodeGroupId: p.state(scheduler(p, "housekeeping")).name });
  });

  it("runs each job as its own account, granted only the secrets of what it uses and no project-wide role", function () {
    const hk = runner(p, "housekeeping");
    const hb = runner(p, "heartbeat");
    assert.equal(runJob(p, "housekeeping").inputs.template.template.serviceAccount, p.state(hk).email);
    assert.equal(runJob(p, "heartbeat").inputs.template.template.serviceAccount, p.state(hb).email);
    assert.notEqual(p.state(hk).email, p.state(hb).email);
    // heartbeat uses nothing: no grant at all.
    for (const type of [T.projectIam, T.secretAccess, T.bucketAccess, T.runJobIam]) {
      assert.deepEqual(p.all(type).filter((g) => g.inputs.member === member(p, hb)), [], `heartbeat has no ${type}`);
      assert.deepEqual(p.all(type).filter((g) => g.inputs.member === member(p, hk) && type !== T.secretAccess), [], `housekeeping has no ${type}`);
    }
    // housekeeping reads exactly its secret variables' secrets.
    const reads = p.all(T.secretAccess).filter((g) => g.inputs.member === member(p, hk));
    const secretIds = Object.values(envOf(p, "housekeeping")).filter((e) => e.valueSource).map((e) => e.valueSource.secretKeyRef.secret);
    assert.ok(secretIds.length > 0);
    assert.equal(reads.length, secretIds.length);
    for (const g of reads) assert.equal(g.inputs.role, "roles/secretmanager.secretAccessor");
    const own = p.all(T.secret).filter((s) => s.name.startsWith("web-housekeeping-env-"));
    assert.deepEqual(new Set(reads.map((g) => g.inputs.secretId)), new Set(own.map((s) => p.id(s))));
  });

  it("delivers secret variables from pinned Secret Manager versions, never as plain values, and the plain ones plain", function () {
    const env = envOf(p, "housekeeping");
    assert.ok("DB_PASSWORD" in env || Object.keys(env).some((k) => k.endsWith("PASSWORD")), Object.keys(env).join(", "));
    const password = Object.entries(env).find(([k]) => k.endsWith("PASSWORD"))![1];
    assert.equal(password.value, undefined);
    const ref = password.valueSource.secretKeyRef;
    const version = p.all(T.secretVersion).find((v) => p.state(v).version === ref.version && p.links(runJob(p, "housekeeping"), "template", v));
    assert.ok(version, "pinned to a version the job depends on");
    assert.notEqual(ref.version, "latest");
    assert.ok(isSecretValue(version.inputs.secretData) || typeof version.inputs.secretData === "string");
    for (const e of Object.values(env)) {
      if (e.value === undefined) continue;
      assert.ok(!/P{8,}/.test(String(e.value)), `${e.name} carries no generated password`);
    }
    assert.equal(env.APP_VERSION.value, "1.4.2");
    assert.ok(!Object.values(envOf(p, "heartbeat")).some((e) => e.valueSource), "heartbeat has no secret");
    assert.ok(!Object.keys(envOf(p, "heartbeat")).some((k) => k.startsWith("DB_")), "heartbeat gets nothing of db");
  });

  it("egresses into the stack's subnet with its own tag: the firewall opens db to housekeeping only and denies heartbeat every data service", function () {
    for (const j of ["housekeeping", "heartbeat"]) {
      const vpc = runJob(p, j).inputs.template.template.vpcAccess;
      assert.equal(vpc.egress, "PRIVATE_RANGES_ONLY");
      assert.equal(vpc.networkInterfaces.length, 1);
      assert.deepEqual(vpc.networkInterfaces[0].tags, [`web-${j}-node`]);
      assert.ok(p.links(runJob(p, j), "template", p.one(T.subnet)));
    }
    const allows = p.all(T.firewall).filter((f) => f.inputs.direction === "EGRESS" && f.inputs.allows);
    const to = (tag: string) => allows.filter((f) => f.inputs.targetTags.includes(tag));
    assert.equal(to("web-housekeeping-node").length, 1);
    assert.deepEqual(to("web-housekeeping-node")[0].inputs.allows, [{ protocol: "tcp", ports: ["5432"] }]);
    assert.deepEqual(to("web-heartbeat-node"), []);
    const deny = p.all(T.firewall).find((f) => f.inputs.denies)!;
    assert.ok(deny.inputs.targetTags.includes("web-heartbeat-node") && deny.inputs.targetTags.includes("web-housekeeping-node"));
  });

  it("alarms to alarms.email on a failed execution and on a start the scheduler could not make", function () {
    for (const j of ["housekeeping", "heartbeat"]) {
      const channel = named(p, T.channel, `web-${j}-alerts-email`);
      assert.deepEqual(channel.inputs.labels, { email_address: "oncall@example.com" });
      const failed = named(p, T.policy, `web-${j}-failed-alert`);
      assert.match(failed.inputs.conditions[0].conditionThreshold.filter, new RegExp(`run.googleapis.com/job/completed_execution_count.*job_name="${p.state(runJob(p, j)).name}".*result="failed"`));
      assert.ok(p.links(failed, "notificationChannels", channel));
      const missed = named(p, T.policy, `web-${j}-missed-alert`);
      assert.match(missed.inputs.conditions[0].conditionMatchedLog.filter, /cloud_scheduler_job.*severity>=ERROR/);
      assert.ok(p.links(missed, "conditions", scheduler(p, j)));
      assert.ok(p.links(missed, "notificationChannels", channel));
    }
  });

  it("passes ha-guard with no mandatory violation", async function () {
    const report = await runPolicies(stackResources(p.run));
    assert.deepEqual(report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.message}`), []);
  });

  it("grants a job object read/write on the buckets it uses, and on no other", async function () {
    const q = await runStack(example, { workloads: { ...exampleWorkloads, archive: { ...jobs.heartbeat, uses: ["files"] } } });
    const account = named(q, T.account, "web-archive-job");
    const grants = q.all(T.bucketAccess).filter((g) => g.inputs.member === member(q, account));
    assert.equal(grants.length, 1);
    assert.equal(grants[0].inputs.role, "roles/storage.objectUser");
    assert.equal(grants[0].inputs.bucket, q.state(q.one("gcp:storage/bucket:Bucket", "web-files-files")).name);
    assert.deepEqual(q.all(T.secretAccess).filter((g) => g.inputs.member === member(q, account)).length, Object.values(Object.fromEntries(runJob(q, "archive").inputs.template.template.containers[0].envs.map((e: any) => [e.name, e]))).filter((e: any) => e.valueSource).length);
  });

  it("has no CA secret or volume for a job using no resource with a private CA", function () {
    for (const j of ["housekeeping", "heartbeat"]) {
      assert.equal(runJob(p, j).inputs.template.template.volumes, undefined, `${j} has no volume`);
      assert.equal(container(p, j).volumeMounts, undefined, `${j} mounts nothing`);
      assert.ok(!Object.keys(envOf(p, j)).some((k) => k.endsWith("_CA_FILE")), `${j} is told of no CA file`);
    }
    assert.deepEqual(p.all(T.secret).filter((s) => s.name.endsWith("-ca")).map((s) => s.name), []);
  });

  describe("a job using a valkey queue (Memorystore's private CA)", function () {
    let q: Program;
    const drain = { kind: "cron", image: "busybox:1.36", command: ["sh", "-c", "date"], schedule: "0 3 * * *", timeoutSeconds: 60, uses: ["broker"] };
    before(async function () {
      q = await runStack(example, {
        resources: { ...exampleResources, broker: { kind: "queue", engine: "valkey" } },
        workloads: { ...exampleWorkloads, drain, heartbeat: jobs.heartbeat },
      });
    });

    it("plans (no refusal), with one CA secret of the job whose pinned version is the broker's PEM exactly", function () {
      const secret = named(q, T.secret, "web-drain-ca");
      const versions = q.all(T.secretVersion).filter((v) => q.links(v, "secret", secret));
      assert.deepEqual(versions.map((v) => v.name), ["web-drain-ca-broker"]);
      const pem = q.state(q.one(T.redis)).serverCaCerts.map((c: { cert: string }) => c.cert).join("\n");
      assert.match(pem, /BEGIN CERTIFICATE/);
      assert.equal(versions[0].inputs.secretData, pem);
      assert.ok(q.links(versions[0], "secretData", q.one(T.redis)), "the PEM comes from the Memorystore instance");
    });

    it("grants read of that secret to the job's own service account only, and the job waits for the grant", function () {
      const secret = named(q, T.secret, "web-drain-ca");
      const grants = q.all(T.secretAccess).filter((g) => g.inputs.secretId === q.id(secret));
      assert.equal(grants.length, 1);
      assert.equal(grants[0].inputs.role, "roles/secretmanager.secretAccessor");
      assert.equal(grants[0].inputs.member, member(q, runner(q, "drain")));
      assert.ok(runJob(q, "drain").dependencies.includes(grants[0].urn), "the Cloud Run job depends on the grant");
      assert.deepEqual(q.all(T.secretAccess).filter((g) => g.inputs.member === member(q, runner(q, "heartbeat"))), [], "another job reads nothing");
    });

    it("mounts the secret at caDirectory with the item <resource>.pem on its pinned version, where BROKER_CA_FILE and the broker URL point", function () {
      const job = runJob(q, "drain");
      const secret = named(q, T.secret, "web-drain-ca");
      const version = named(q, T.secretVersion, "web-drain-ca-broker");
      const volumes = job.inputs.template.template.volumes;
      assert.equal(volumes.length, 1);
      assert.equal(volumes[0].secret.secret, q.state(secret).secretId);
      assert.deepEqual(volumes[0].secret.items, [{ path: "broker.pem", version: q.state(version).version }]);
      assert.notEqual(volumes[0].secret.items[0].version, "latest");
      assert.ok(q.links(job, "template", version), "pinned to that version");
      const c = job.inputs.template.template.containers[0];
      assert.deepEqual(c.volumeMounts, [{ name: volumes[0].name, mountPath: caDirectory }]);
      const env = envOf(q, "drain");
      const mounted = `${c.volumeMounts[0].mountPath}/${volumes[0].secret.items[0].path}`;
      assert.equal(mounted, caFilePath("broker"));
      assert.equal(env.BROKER_CA_FILE.value, mounted);
      assert.ok(String(env.BROKER_URL.value).includes(`ssl_ca_certs=${mounted}`), String(env.BROKER_URL.value));
      assert.equal(runJob(q, "heartbeat").inputs.template.template.volumes, undefined, "a job not using the queue has no volume");
    });

    it("passes ha-guard with no mandatory violation", async function () {
      const report = await runPolicies(stackResources(q.run));
      assert.deepEqual(report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.message}`), []);
    });
  });

  it("mounts one item per private-CA resource, sorted by name, each on its own version of the one secret", async function () {
    const q = await runStack(example, {
      resources: { ...exampleResources, tasks: { kind: "queue", engine: "valkey" }, broker: { kind: "queue", engine: "valkey" } },
      workloads: { ...exampleWorkloads, drain: { ...jobs.heartbeat, uses: ["tasks", "broker", "db"] } },
    });
    const job = runJob(q, "drain");
    const [volume] = job.inputs.template.template.volumes;
    const secret = named(q, T.secret, "web-drain-ca");
    assert.equal(volume.secret.secret, q.state(secret).secretId);
    assert.deepEqual(volume.secret.items.map((i: { path: string }) => i.path), ["broker.pem", "tasks.pem"]);
    for (const r of ["broker", "tasks"]) {
      const version = named(q, T.secretVersion, `web-drain-ca-${r}`);
      assert.ok(q.links(version, "secret", secret));
      assert.ok(q.links(job, "template", version));
      assert.equal(Object.fromEntries(job.inputs.template.template.containers[0].envs.map((e: any) => [e.name, e]))[`${r.toUpperCase()}_CA_FILE`].value, `${caDirectory}/${r}.pem`);
    }
    assert.equal(q.all(T.secretAccess).filter((g) => g.inputs.secretId === q.id(secret)).length, 1, "one grant on the one secret");
  });

  it("keeps every URN and the user data of the single service when a job is added beside it, and the job reaches its database", async function () {
    const legacy = await runStack("gcp");
    const q = await runStack("gcp", { workloads: { nightly: { kind: "cron", image: "busybox:1.36", command: ["sh", "-c", "date"], schedule: "0 3 * * *" } } });
    const urns = (x: Program) => x.run.resources.map((r) => `${[...r.parents, r.type].join("$")}::${r.name}`);
    assert.deepEqual(urns(legacy).filter((u) => !urns(q).includes(u)), [], "no URN of the single service is gone");
    const webTemplate = (x: Program) => named(x, "gcp:compute/instanceTemplate:InstanceTemplate", "web-node");
    assert.equal(webTemplate(q).inputs.metadata["user-data"], webTemplate(legacy).inputs.metadata["user-data"], "the single service's user data is byte-identical");
    // The job uses every resource (no `uses`): the database's credentials as pinned secrets, the bucket, a path to the database.
    const env = Object.fromEntries(runJob(q, "nightly").inputs.template.template.containers[0].envs.map((e: any) => [e.name, e]));
    assert.equal(env.DATABASE_HOST.value, "10.100.0.3");
    assert.ok(env.DATABASE_PASSWORD.valueSource.secretKeyRef.version, "the password from a pinned version");
    assert.equal(q.all(T.bucketAccess).filter((g) => g.inputs.member === member(q, runner(q, "nightly"))).length, 1);
    assert.deepEqual(named(q, T.firewall, "web-deny-data").inputs.targetTags, ["web-node", "web-nightly-node"]);
    assert.ok(q.all(T.firewall).some((f) => f.inputs.direction === "EGRESS" && f.inputs.allows && f.inputs.targetTags.includes("web-nightly-node")));
    assert.deepEqual((await runPolicies(stackResources(q.run))).violations.filter((v) => v.level === "mandatory"), []);
  });

  it("refuses an image Cloud Run cannot pull and a size it cannot run, naming the keys", async function () {
    await assert.rejects(
      runStack(example, { workloads: { ...exampleWorkloads, nightly: { ...jobs.heartbeat, image: "quay.io/acme/tool:1" } } }),
      /ha-topology:workloads\.nightly\.image: received "quay\.io\/acme\/tool:1"; allowed: an image Cloud Run can pull/,
    );
    await assert.rejects(
      runStack(example, { workloads: { ...exampleWorkloads, nightly: { ...jobs.heartbeat, size: "n2-standard-16" } } }),
      /ha-topology:workloads\.nightly\.size: received "n2-standard-16"/,
    );
  });

  it("knows a schedule's shortest interval, and says when runs can overlap (Cloud Run enforces neither forbid nor replace)", function () {
    assert.equal(shortestIntervalSeconds("* * * * *"), 60);
    assert.equal(shortestIntervalSeconds("*/5 * * * *"), 300);
    assert.equal(shortestIntervalSeconds("0 3 * * *"), 86400);
    assert.equal(shortestIntervalSeconds("0,50 3 * * *"), 3000);
    assert.equal(shortestIntervalSeconds("0 0 * * MON-FRI"), 86400);
    assert.equal(shortestIntervalSeconds("0 0 1 JAN *"), 365 * 86400);
    // The gap across midnight (23:59 to 00:00), twice on a leap day, and once in the two years.
    assert.equal(shortestIntervalSeconds("0,59 0,23 * * *"), 60);
    assert.equal(shortestIntervalSeconds("0,30 12 29 FEB *"), 1800);
    assert.equal(shortestIntervalSeconds("0 12 29 FEB *"), undefined);
    assert.equal(shortestIntervalSeconds("0 0 30 FEB *"), undefined);
    // Day of month or day of week when both are set: the 1st and every Sunday.
    assert.equal(shortestIntervalSeconds("0 0 1 * 0"), 86400);
    assert.equal(shortestIntervalSeconds("0 0 29 2 *"), undefined);
    const job = (over: Record<string, unknown>) => ({ name: "j", kind: "cron", schedule: "*/5 * * * *", timeoutSeconds: 60, retries: 0, concurrency: "forbid", ...over }) as any;
    assert.equal(overlapNote(job({})).overlaps, false);
    // housekeeping of the brief: 600 s on a 5-minute schedule can overlap.
    const hk = overlapNote(job({ timeoutSeconds: 600 }));
    assert.equal(hk.overlaps, true);
    assert.match(hk.text, /concurrency forbid is not enforced on gcp/);
    assert.equal(overlapNote(job({ timeoutSeconds: 100, retries: 1 })).overlaps, true, "two attempts of 100 s and the start slack exceed 300 s");
    assert.match(overlapNote(job({ timeoutSeconds: 3600, schedule: "* * * * *", concurrency: "replace" })).text, /concurrency replace is not enforced on gcp/);
    assert.equal(overlapNote(job({ timeoutSeconds: 3600, schedule: "0 3 * * *" })).overlaps, false);
  });
});
