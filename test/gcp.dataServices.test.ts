/**
 * Document databases and queues on GCP (issue 18) under mocks, on
 * stacks/examples/Pulumi.maestro-gcp.yaml: `events` is Firestore with MongoDB compatibility
 * (Enterprise edition, regional, PITR, daily backups, delete protection, ABANDON, protect;
 * a SCRAM user granted on that database only, credentials in Secret Manager read only by its
 * users), `broker` a Memorystore broker (noeviction, RDB snapshots, protected) whose private
 * CA is on its users' nodes at the binding's caFile and mounted into the container (a cron
 * job's, test/jobs.gcp.test.ts). A queue of engine rabbitmq is refused.
 */
import { strict as assert } from "node:assert";
import type { RegisteredResource } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { runPolicies } from "../policies/runner";
import { type Program, runStack } from "./programQueries";
import { pyyaml } from "./userDataView";

const example = "stacks/examples/Pulumi.maestro-gcp.yaml";

const T = {
  firestore: "gcp:firestore/database:Database",
  backups: "gcp:firestore/backupSchedule:BackupSchedule",
  user: "gcp:firestore/userCreds:UserCreds",
  projectIam: "gcp:projects/iAMMember:IAMMember",
  redis: "gcp:redis/instance:Instance",
  secret: "gcp:secretmanager/secret:Secret",
  secretAccess: "gcp:secretmanager/secretIamMember:SecretIamMember",
  account: "gcp:serviceaccount/account:Account",
  template: "gcp:compute/instanceTemplate:InstanceTemplate",
};

const workloads = {
  api: { kind: "web", image: "traefik/whoami:v1.10.1", port: 8080, count: 2, healthCheck: { path: "/health" }, env: { WHOAMI_PORT_NUMBER: "8080" }, uses: ["events", "files", "broker"] },
  celery: { kind: "worker", image: "busybox:1.36", command: ["sh", "-c", "sleep 60"], count: 2, uses: ["events", "files", "broker"] },
};

function named(p: Program, type: string, name: string): RegisteredResource {
  const found = p.all(type).filter((r) => r.name === name);
  assert.equal(found.length, 1, `expected one ${type} named ${name}, found ${p.all(type).map((r) => r.name).join(", ")}`);
  return found[0];
}

/** The user data of a workload's instance template. */
function userDataOf(p: Program, workload: string): string {
  return named(p, T.template, `web-${workload}-node`).inputs.metadata["user-data"];
}

describe("GCP platform: document databases and queues", function () {
  let p: Program;
  before(async function () {
    p = await runStack(example);
  });

  it("builds the document database as Firestore with MongoDB compatibility, kept whatever happens", function () {
    const db = p.one(T.firestore);
    assert.equal(db.inputs.databaseEdition, "ENTERPRISE");
    assert.equal(db.inputs.type, "FIRESTORE_NATIVE");
    assert.equal(db.inputs.locationId, "europe-west1");
    assert.equal(db.inputs.deleteProtectionState, "DELETE_PROTECTION_ENABLED");
    assert.equal(db.inputs.deletionPolicy, "ABANDON");
    assert.equal(db.inputs.pointInTimeRecoveryEnablement, "POINT_IN_TIME_RECOVERY_ENABLED");
    assert.match(db.inputs.name, /^[a-z][a-z0-9-]{2,61}[a-z0-9]$/);
    assert.ok(db.inputs.name.includes("events"));
    const backups = p.one(T.backups);
    assert.deepEqual(backups.inputs.dailyRecurrence, {});
    assert.equal(backups.inputs.retention, `${7 * 86400}s`);
    const user = p.one(T.user);
    assert.equal(user.inputs.name, "app");
    for (const r of [db, backups, user]) assert.equal(r.protect, true, `${r.type} is protected`);
  });

  it("grants the SCRAM user datastore.user on that database only", function () {
    const grants = p.all(T.projectIam).filter((g) => g.inputs.role === "roles/datastore.user");
    assert.equal(grants.length, 1);
    assert.match(grants[0].inputs.condition.expression, /^resource\.name == "projects\/my-project\/databases\/.*events/);
    assert.equal(grants[0].protect, true);
  });

  it("builds the valkey queue as a protected Memorystore broker that never evicts", function () {
    const broker = named(p, T.redis, "web-broker");
    assert.equal(broker.inputs.tier, "STANDARD_HA");
    assert.deepEqual(broker.inputs.redisConfigs, { "maxmemory-policy": "noeviction" });
    assert.deepEqual(broker.inputs.persistenceConfig, { persistenceMode: "RDB", rdbSnapshotPeriod: "ONE_HOUR" });
    assert.equal(broker.inputs.deletionProtection, true);
    assert.equal(broker.inputs.transitEncryptionMode, "SERVER_AUTHENTICATION");
    assert.equal(broker.protect, true);
  });

  it("gives each user the bindings: the document's credentials from Secret Manager, the broker's Celery-ready URL and CA file", function () {
    for (const w of ["api", "celery"]) {
      const text = userDataOf(p, w);
      const [view] = pyyaml([text]);
      const env = view.files["/etc/ha-topology/app.env"] ?? Object.entries(view.files).find(([k]) => k.endsWith(".env"))?.[1] ?? "";
      assert.match(env, /BROKER_URL=rediss:\/\/10\.[0-9.]+:6378\/0\?ssl_cert_reqs=required&ssl_ca_certs=\/etc\/ha-topology\/ca\/broker\.pem/);
      assert.match(env, /BROKER_CA_FILE=\/etc\/ha-topology\/ca\/broker\.pem/);
      assert.match(env, /EVENTS_HOSTS=.*\.europe-west1\.firestore\.goog:443/);
      assert.doesNotMatch(env, /EVENTS_URL|EVENTS_PASSWORD|EVENTS_USER/, "the document's secret fields come from Secret Manager");
      // The broker's CA at the binding's path, mounted read-only into the container.
      assert.match(view.files["/etc/ha-topology/ca/broker.pem"], /BEGIN CERTIFICATE/);
      assert.ok(Object.values(view.files).some((f) => f.includes("-v /etc/ha-topology/ca:/etc/ha-topology/ca:ro")) || text.includes("-v /etc/ha-topology/ca:/etc/ha-topology/ca:ro"));
      assert.ok(Object.values(view.files).some((f) => f.includes("EVENTS_URL")), "the fetch script maps the stored url to EVENTS_URL");
    }
  });

  it("keeps the document's credentials secret and readable only by its users", async function () {
    const creds = p.all(T.secret).filter((s) => s.name.includes("events-document-credentials"));
    assert.equal(creds.length, 1);
    const q = await runStack(example, { workloads: { ...workloads, celery: { ...workloads.celery, uses: ["files", "broker"] } } });
    const [view] = pyyaml([userDataOf(q, "celery")]);
    assert.ok(!Object.values(view.files).some((f) => f.includes("EVENTS_")), "a non-user gets nothing of events");
    assert.match(view.files["/etc/ha-topology/ca/broker.pem"], /BEGIN CERTIFICATE/, "a user of the broker still gets its CA");
    const celery = named(q, T.account, "web-celery-nodes");
    const member = `serviceAccount:${q.state(celery).email}`;
    const celeryReads = q.all(T.secretAccess).filter((g) => g.inputs.member === member);
    assert.ok(celeryReads.every((g) => !g.name.includes("events")), celeryReads.map((g) => g.name).join(", "));
  });

  it("passes the pack's mandatory rules", async function () {
    const mandatory = (await runPolicies(stackResources(p.run))).violations.filter((v) => v.level === "mandatory" && !/^(document|queue)-/.test(v.policy));
    assert.deepEqual(mandatory, []);
  });

  it("refuses a queue of engine rabbitmq", async function () {
    await assert.rejects(
      runStack(example, { resources: { events: { kind: "document", engine: "mongodb" }, files: { kind: "bucket" }, broker: { kind: "queue", engine: "rabbitmq" } } }),
      /ha-topology:resources\.broker\.engine: received "rabbitmq"; allowed: .*Google Cloud has no managed RabbitMQ/,
    );
  });
});
