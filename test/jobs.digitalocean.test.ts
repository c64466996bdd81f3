/**
 * Scheduled jobs on DigitalOcean (issue 16): what stacks/examples/Pulumi.digitalocean-services.yaml
 * with two cron jobs registers under mocks. Each job gets its own two droplets (tagged role
 * cron and the postgres lease), whose user data (parsed with PyYAML, as cloud-init reads it)
 * fires the schedule as a systemd timer and takes the lease in the job's database; its own
 * firewall (ICMP for the ping checks, no port), trusted-source access to the resources it
 * uses only, ping uptime checks that alarm to `alarms.email`; and the pack's judgement.
 * The lease itself is tested against a real PostgreSQL in cronLease.postgres.test.ts.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { isSecretValue, type RegisteredResource } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { bootstrapPaths } from "../components/bootstrap";
import { cronLeasePaths } from "../components/cronLease";
import { cronFailingRuleComment, cronStatusPaths } from "../components/cronLeaseStatus";
import { jobRunPaths } from "../components/jobBootstrap";
import { digitaloceanLeaseTag, digitaloceanRoleTag } from "../contract/roles";
import { runPolicies } from "../policies/runner";
import { runStack, type Program } from "./programQueries";
import { pyyaml, type PyYamlView } from "./userDataView";

const example = "stacks/examples/Pulumi.digitalocean-services.yaml";

const T = {
  droplet: "digitalocean:index/droplet:Droplet",
  group: "ha-topology:digitalocean:CronGroup",
  firewall: "digitalocean:index/firewall:Firewall",
  dbFirewall: "digitalocean:index/databaseFirewall:DatabaseFirewall",
  uptime: "digitalocean:index/uptimeCheck:UptimeCheck",
  uptimeAlert: "digitalocean:index/uptimeAlert:UptimeAlert",
  alert: "digitalocean:index/monitorAlert:MonitorAlert",
  tag: "digitalocean:index/tag:Tag",
};

/** Two jobs: one on the database only, one on the database and the bucket, with a reference and retries. */
const jobs = {
  housekeeping: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", command: ["alerta", "housekeeping"], schedule: "*/5 * * * *", timeoutSeconds: 240, uses: ["db"], env: { DATABASE_URL: "${resources.db.url}", LOG_LEVEL: "info" } },
  nightly: { kind: "cron", image: "busybox:1.36", command: ["sh", "-c", "date"], schedule: "0 3 * * mon-fri", retries: 2, uses: ["db", "files"] },
};

const nodeTag = (workload: string) => `ha-topology:test:web:${workload}:nodes`;

function dropletsOf(p: Program, job: string): RegisteredResource[] {
  const found = p.all(T.droplet).filter((d) => d.name.startsWith(`web-${job}-node-`));
  assert.equal(found.length, 2, `job ${job} has two droplets: ${found.map((d) => d.name).join(", ")}`);
  return found;
}

/** What cloud-init reads from a droplet's user data (PyYAML), its files decoded. */
function cloudInit(d: RegisteredResource): PyYamlView {
  return pyyaml([d.inputs.userData])[0];
}

function fileEntry(view: PyYamlView, path: string) {
  const entry = view.config.write_files.find((f) => f.path === path);
  assert.ok(entry, `the user data writes ${path}`);
  return { ...entry, text: view.files[path] };
}

function envLines(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split("\n").filter(Boolean).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

describe("DigitalOcean platform: scheduled jobs (droplets with a lease in the job's PostgreSQL)", function () {
  this.timeout(120000);
  let p: Program;
  before(async () => {
    p = await runStack(example, { alarms: { email: "ops@example.com" }, workloads: jobs });
  });

  it("gives each job its own CronGroup of two droplets, tagged role cron and the postgres lease", () => {
    for (const job of ["housekeeping", "nightly"]) {
      const group = p.all(T.group).filter((g) => g.name === `web-${job}`);
      assert.equal(group.length, 1);
      for (const d of dropletsOf(p, job)) {
        assert.equal(d.parentUrn, group[0].urn);
        assert.deepEqual(d.inputs.tags.slice(0, 3), [nodeTag(job), digitaloceanRoleTag("cron"), digitaloceanLeaseTag("postgres")]);
        assert.equal(d.inputs.size, "s-1vcpu-1gb");
        assert.equal(d.inputs.monitoring, true);
        assert.equal(d.inputs.gracefulShutdown, true, "a powered-off droplet stops its lease unit, which removes the container");
        assert.ok(isSecretValue(d.rawInputs.userData), "the user data carries the job's secrets and the lease's password: a Pulumi secret");
      }
    }
    // The webs and the worker keep what they had: no job droplet among theirs.
    assert.equal(p.all(T.droplet).filter((d) => (d.inputs.tags as string[]).includes(digitaloceanRoleTag("cron"))).length, 4);
  });

  it("fires the schedule as a systemd timer and takes the lease on the cluster directly, from root-only files", () => {
    const view = cloudInit(dropletsOf(p, "housekeeping")[0]);
    assert.ok((view.config.packages as string[]).includes("postgresql-client"));
    assert.ok((view.config.packages as string[]).includes("iptables"));
    const timer = fileEntry(view, cronLeasePaths.timerFile("housekeeping"));
    assert.match(timer.text, /^OnCalendar=\*-\*-\* \*:00\/5:00 UTC$/m);
    assert.match(fileEntry(cloudInit(dropletsOf(p, "nightly")[0]), cronLeasePaths.timerFile("nightly")).text, /^OnCalendar=Mon\.\.Fri \*-\*-\* 03:00:00 UTC$/m);
    const service = fileEntry(view, cronLeasePaths.serviceFile("housekeeping")).text;
    assert.match(service, new RegExp(`^EnvironmentFile=${cronLeasePaths.dbEnvFile}$`, "m"));
    assert.match(service, /^ExecStopPost=-\/usr\/bin\/docker rm -f ha-topology-cron-housekeeping$/m);
    assert.match(fileEntry(view, cronLeasePaths.manualServiceFile("housekeeping")).text, /^Environment=HA_TOPOLOGY_CRON_MANUAL=1$/m);

    const dbEnv = fileEntry(view, cronLeasePaths.dbEnvFile);
    assert.equal(dbEnv.permissions, "0600");
    // The cluster's own host and port: PgBouncer's transaction pool cannot hold a session lock.
    assert.deepEqual(envLines(dbEnv.text), {
      PGHOST: dbEnv.text.match(/^PGHOST=(private-web-db-db-[a-z0-9]+-do-user-1\.db\.ondigitalocean\.com)$/m)?.[1],
      PGPORT: "25060",
      PGDATABASE: "app",
      PGUSER: "doadmin",
      PGSSLMODE: "require",
      PGPASSFILE: cronLeasePaths.pgpassFile,
    });
    const pgpass = fileEntry(view, cronLeasePaths.pgpassFile);
    assert.equal(pgpass.permissions, "0600");
    assert.equal(pgpass.text, `${envLines(dbEnv.text).PGHOST}:25060:app:doadmin:do-db-password\n`);
    for (const path of [cronLeasePaths.script("housekeeping"), cronStatusPaths.script("housekeeping"), jobRunPaths.script("housekeeping"), bootstrapPaths.fetchSecrets]) {
      const script = fileEntry(view, path);
      assert.equal(script.permissions, "0700", path);
      const syntax = spawnSync("bash", ["-n"], { input: script.text, encoding: "utf8" });
      assert.equal(syntax.status, 0, `${path}: ${syntax.stderr}`);
      assert.ok(!script.text.includes("do-db-password"), `${path} holds no password`);
    }
    assert.deepEqual((view.config.runcmd as unknown[]).slice(-3), [
      ["systemctl", "enable", "--now", "docker"],
      ["systemctl", "enable", "--now", `${cronStatusPaths.unitName("housekeeping")}.timer`],
      ["systemctl", "enable", "--now", `${cronLeasePaths.unitName("housekeeping")}.timer`],
    ]);
    assert.ok(!view.config.write_files.some((f) => f.path === bootstrapPaths.unitFile), "no always-on app container");
  });

  it("runs the job's container with the job's command and its own bindings only, stopped at the timeout", () => {
    const view = cloudInit(dropletsOf(p, "housekeeping")[0]);
    const run = fileEntry(view, jobRunPaths.script("housekeeping")).text;
    assert.match(run, /^\/usr\/bin\/docker run --rm --name ha-topology-cron-housekeeping --init --env-file \/etc\/ha-topology\/app\.env --env-file \/run\/ha-topology\/secrets\.env --log-driver local ghcr\.io\/acme\/api:1\.4\.2 'alerta' 'housekeeping' &$/m);
    assert.match(run, /^trap '\/usr\/bin\/docker stop --time 8 ha-topology-cron-housekeeping/m);
    const lease = fileEntry(view, cronLeasePaths.script("housekeeping")).text;
    assert.match(lease, /timeout --kill-after=13 "\$left" '\/usr\/local\/sbin\/ha-topology-run-job-housekeeping'/);
    assert.match(lease, /'\/usr\/bin\/docker' 'rm' '-f' 'ha-topology-cron-housekeeping' <\/dev\/null/);
    assert.match(lease, /deadline=\$\(\( SECONDS \+ 240 \)\)/);

    const plain = envLines(fileEntry(view, bootstrapPaths.appEnv).text);
    // The app connects as every workload does, through the pool; only the lease goes direct.
    assert.match(plain.DB_HOST, /-pool\.db\.ondigitalocean\.com$/);
    assert.equal(plain.LOG_LEVEL, "info");
    assert.equal(plain.APP_VERSION, "1.4.2");
    assert.ok(!Object.keys(plain).some((k) => k.startsWith("FILES_") || k === "SECRET_KEY" || k === "PORT"), `housekeeping uses db only: ${Object.keys(plain)}`);
    const secrets = JSON.parse(fileEntry(view, `${bootstrapPaths.embeddedSecretsDir}/workload.json`).text);
    assert.deepEqual(Object.keys(secrets).sort(), ["DATABASE_URL", "DB_PASSWORD", "DB_URL", "DB_USER"]);
    assert.match(secrets.DATABASE_URL, /^postgres(ql)?:\/\/doadmin:do-db-password@/);

    const nightly = cloudInit(dropletsOf(p, "nightly")[0]);
    const nightlyPlain = envLines(fileEntry(nightly, bootstrapPaths.appEnv).text);
    assert.ok(nightlyPlain.FILES_BUCKET, "nightly uses files");
    assert.match(fileEntry(nightly, cronLeasePaths.script("nightly")).text, /\[ "\$attempt" -gt 2 \]/, "retries 2");
  });

  it("reaches only what it uses: the database admits the job's tag; its firewall opens no port to the internet", () => {
    const fw = p.all(T.dbFirewall).find((f) => f.name === "web-db-db")!;
    const tags = (fw.inputs.rules as { value: string }[]).map((r) => r.value);
    assert.ok(tags.includes(nodeTag("housekeeping")) && tags.includes(nodeTag("nightly")), tags.join(", "));
    for (const job of ["housekeeping", "nightly"]) {
      const own = p.all(T.firewall).find((f) => f.name === `web-${job}-nodes`)!;
      assert.deepEqual(own.inputs.tags, [nodeTag(job)]);
      const inbound = own.inputs.inboundRules as { protocol: string; portRange?: string; sourceAddresses?: string[] }[];
      assert.deepEqual(inbound.map((r) => [r.protocol, r.portRange]), [["icmp", undefined], ["tcp", "22"]]);
      assert.deepEqual(inbound[0].sourceAddresses, ["0.0.0.0/0", "::/0"], "the uptime checkers' addresses are not published");
      assert.ok(!inbound[1].sourceAddresses!.includes("0.0.0.0/0"));
    }
  });

  it("alarms to alarms.email on a failed or missed run: a ping check per droplet, which stops answering while failing", () => {
    for (const job of ["housekeeping", "nightly"]) {
      const checks = p.all(T.uptime).filter((c) => c.name.startsWith(`web-${job}-job-status-`));
      assert.equal(checks.length, 2);
      for (const check of checks) {
        assert.equal(check.inputs.type, "ping");
        assert.equal(check.inputs.target, "203.0.113.30");
        const alert = p.all(T.uptimeAlert).find((a) => a.name === `${check.name}-down`)!;
        assert.deepEqual(alert.inputs.notifications, [{ emails: ["ops@example.com"] }]);
        assert.equal(alert.inputs.type, "down");
      }
      assert.equal(p.all(T.alert).filter((a) => a.name.startsWith(`web-${job}-nodes-`)).length, 2, "CPU and memory alerts too");
      const status = fileEntry(cloudInit(dropletsOf(p, job)[0]), cronStatusPaths.script(job)).text;
      assert.ok(status.includes(cronFailingRuleComment(job)));
    }
  });

  it("passes ha-guard with zero mandatory violations; without the lease tag, jobs-single-flight fails", async () => {
    const resources = stackResources(p.run);
    const report = await runPolicies(resources);
    assert.deepEqual(report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.message}`), []);
    assert.ok(!report.notApplicable.some((n) => n.policy === "jobs-single-flight"), "jobs-single-flight judged the jobs");
    const strip = (props: Record<string, unknown> | undefined) => props && { ...props, tags: (props.tags as string[]).filter((t) => t !== digitaloceanLeaseTag("postgres")) };
    const stripped = resources.map((r) => (r.type === T.droplet && (r.inputs.tags as string[]).includes(digitaloceanRoleTag("cron")) ? { ...r, inputs: strip(r.inputs)!, outputs: strip(r.outputs) } : r));
    const broken = await runPolicies(stripped);
    assert.match(broken.violations.find((v) => v.policy === "jobs-single-flight")?.message ?? "", /tagged role cron and can run 4 nodes/, "droplets of role cron without a lease run every job on each");
  });

  it("outputs each job as a cron workload with its node tag", () => {
    assert.equal(p.outputs.workloads.housekeeping.kind, "cron");
    assert.equal(p.outputs.workloads.housekeeping.nodeGroupId, nodeTag("housekeeping"));
    assert.equal(p.outputs.workloads.housekeeping.url, undefined, "a job has no URL");
  });
});
