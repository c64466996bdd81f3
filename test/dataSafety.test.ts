/**
 * No data is lost by the tool itself (DESIGN.md, promise 8):
 * - every resource that holds data is `protect`ed (Pulumi refuses to delete or replace
 *   it), and every sub-resource whose deletion would weaken a kept parent (bucket
 *   settings, a protected database's firewall) is `retainOnDelete` or protected too:
 *   `protect` is checked only when the protected resource itself is deleted, after its
 *   dependents are gone (pulumi/pulumi#6191);
 * - a change to a create-only database setting is refused at preview by the
 *   DatabaseIdentity guard, naming the key, both values and the way forward, before any
 *   database resource is touched (they depend on the guard).
 */
import { strict as assert } from "node:assert";
import { runWithMocks, type ProgramRun, type RegisteredResource } from "../automation/offline/mocks";
import { stackConfigWith } from "../automation/stackFiles";
import { ns } from "./programQueries";
import { deserializeProvider as deserializeShared } from "./dynamicWaitTesting";
import { providerText } from "../components/shippedDynamicResource";

/** Each example stack with everything that holds data switched on (sessions, a read replica). */
async function runFull(cloud: string): Promise<ProgramRun> {
  const patch: Record<string, unknown> = { sessions: { enabled: true }, database: { readReplicas: cloud === "kubernetes" ? 0 : 1 } };
  const run = await runWithMocks(stackConfigWith(cloud, ns(patch)), { stack: cloud });
  if (run.error) throw run.error;
  return run;
}

type Option = "protect" | "retainOnDelete";

/** What must carry which option, per cloud: [type, logical name, option, why]. */
const expected: Record<string, Array<[string, string, Option, string]>> = {
  aws: [
    ["aws:rds/instance:Instance", "web-db", "protect", "the primary database"],
    ["aws:s3/bucket:Bucket", "web-files", "protect", "the app's files"],
    ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "web-files", "retainOnDelete", "deleting it would open the kept bucket to public policies"],
    ["aws:s3/bucketVersioning:BucketVersioning", "web-files", "retainOnDelete", "deleting it suspends versioning of the kept bucket"],
    ["aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "web-files", "retainOnDelete", "the kept bucket's encryption"],
    ["aws:s3/bucketOwnershipControls:BucketOwnershipControls", "web-files", "retainOnDelete", "deleting it re-enables ACLs on the kept bucket"],
    ["aws:s3/bucketPolicy:BucketPolicy", "web-files", "retainOnDelete", "the kept bucket's TLS-only policy"],
    ["aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "web-files", "retainOnDelete", "the kept bucket's version expiry"],
    ["aws:cloudwatch/logGroup:LogGroup", "web-logs", "retainOnDelete", "the app's logs: a destroy leaves them to expire by their retention"],
  ],
  gcp: [
    ["gcp:sql/databaseInstance:DatabaseInstance", "web-db", "protect", "the primary instance"],
    ["gcp:sql/database:Database", "web-db", "protect", "the app's database: a rename would be a new, empty one"],
    ["gcp:sql/user:User", "web-db", "protect", "the owner of the app's tables"],
    ["gcp:storage/bucket:Bucket", "web-files", "protect", "the app's files"],
  ],
  digitalocean: [
    ["digitalocean:index/databaseCluster:DatabaseCluster", "web-db", "protect", "the database cluster"],
    ["digitalocean:index/databaseDb:DatabaseDb", "web-db", "protect", "the app's database, deleted before the protected cluster otherwise"],
    ["digitalocean:index/databaseConnectionPool:DatabaseConnectionPool", "web-db", "protect", "the app's path to the database"],
    ["digitalocean:index/databaseFirewall:DatabaseFirewall", "web-db", "retainOnDelete", "without it the kept cluster admits any address"],
    ["digitalocean:index/databaseCluster:DatabaseCluster", "web-sessions", "protect", "the Valkey cluster"],
    ["digitalocean:index/databaseFirewall:DatabaseFirewall", "web-sessions", "retainOnDelete", "without it the kept Valkey cluster admits any address"],
    ["digitalocean:index/spacesBucket:SpacesBucket", "web-files", "protect", "the app's files"],
  ],
  kubernetes: [
    ["kubernetes:postgresql.cnpg.io/v1:Cluster", "web-db", "protect", "the database and its volumes"],
    ["kubernetes:core/v1:Namespace", "web-ns", "protect", "deleting it deletes the Cluster and its volumes"],
    ["kubernetes:postgresql.cnpg.io/v1:ScheduledBackup", "web-db-daily", "protect", "the kept Cluster's base backups"],
    ["kubernetes:networking.k8s.io/v1:NetworkPolicy", "web-db", "protect", "without it the kept Cluster admits every pod"],
  ],
};

/** The resources of each cloud that hold the database's data: each waits for the guard. */
const guarded: Record<string, string[]> = {
  aws: ["aws:rds/instance:Instance::web-db"],
  gcp: ["gcp:sql/databaseInstance:DatabaseInstance::web-db", "gcp:sql/database:Database::web-db", "gcp:sql/user:User::web-db"],
  digitalocean: [
    "digitalocean:index/databaseCluster:DatabaseCluster::web-db",
    "digitalocean:index/databaseDb:DatabaseDb::web-db",
    "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool::web-db",
  ],
  kubernetes: ["kubernetes:postgresql.cnpg.io/v1:Cluster::web-db"],
};

/** The create-only keys each cloud's guard records (the settings its provider replaces the database for). */
const createOnlyKeys: Record<string, string[]> = {
  aws: ["ha-topology:database.engine", "ha-topology:database.name", "ha-topology:database.username"],
  gcp: ["ha-topology:database.engine", "ha-topology:database.name", "ha-topology:database.username"],
  // DigitalOcean: the app uses the cluster's admin user, database.username is not used.
  digitalocean: ["ha-topology:database.engine", "ha-topology:database.name"],
  // CloudNativePG runs PostgreSQL only; bootstrap.initdb's database and owner are read once.
  kubernetes: ["ha-topology:database.name", "ha-topology:database.username"],
};

const guardType = "pulumi-nodejs:dynamic/ha-topology:DatabaseIdentity";

function find(run: ProgramRun, type: string, name: string): RegisteredResource {
  const r = run.resources.find((x) => x.type === type && x.name === name);
  assert.ok(r, `${type} ${name} is registered`);
  return r;
}

describe("data safety: what protects the data on destroy and replacement", function () {
  for (const cloud of Object.keys(expected)) {
    describe(cloud, function () {
      let run: ProgramRun;
      before(async function () {
        run = await runFull(cloud);
      });

      for (const [type, name, option, why] of expected[cloud]) {
        it(`${type.split(":").pop()} ${name} carries ${option} (${why})`, function () {
          assert.equal(find(run, type, name)[option], true);
        });
      }

      it("read replicas hold no data of their own and stay removable", function () {
        const replicas = run.resources.filter((r) => /-db-replica-\d+$/.test(r.name));
        if (cloud !== "kubernetes") assert.ok(replicas.length > 0);
        for (const r of replicas) assert.equal(r.protect, false, `${r.type} ${r.name}`);
      });

      it(`records the create-only keys (${createOnlyKeys[cloud].join(", ")}) in a guard that the database and every other resource wait for`, function () {
        const guard = find(run, guardType, "web-db-identity");
        assert.deepEqual(Object.keys(guard.inputs.keys).sort(), createOnlyKeys[cloud]);
        assert.equal(guard.inputs.keys["ha-topology:database.name"], "app");
        assert.equal(guard.inputs.cloud, cloud);
        for (const key of guarded[cloud]) {
          const [type, name] = key.split("::");
          assert.ok(find(run, type, name).dependencies.includes(guard.urn), `${key} depends on the guard`);
        }
        // Without a preview (the Automation API's up) steps run as resources register: every
        // other resource waits for the guard, so a refused change touches nothing at all.
        const others = run.resources.filter((r) => r.custom && r.urn !== guard.urn);
        assert.ok(others.length > 10);
        for (const r of others) assert.ok(r.dependencies.includes(guard.urn), `${r.type} ${r.name} waits for the guard`);
      });
    });
  }
});

/** What the dynamic provider host gets from deserializing `__provider`. */
interface CheckingProvider {
  check(olds: unknown, news: unknown): Promise<{ inputs: unknown; failures: Array<{ property: string; reason: string }> }>;
  diff(id: string, olds: unknown, news: unknown): Promise<{ changes: boolean; replaces: string[] }>;
  create(inputs: unknown): Promise<{ id: string; outs: unknown }>;
}

/** Evaluates a serialized provider the way the provider host does. */
const deserializeProvider = (text: string): CheckingProvider => deserializeShared<CheckingProvider>(text);

const recorded = { cloud: "aws", keys: { "ha-topology:database.name": "app", "ha-topology:database.username": "app", "ha-topology:database.engine": "postgres" } };

/** Asserts the guard's check refuses a renamed database with a message a user can act on. */
async function assertRefusesRename(provider: Pick<CheckingProvider, "check">): Promise<void> {
  const news = { ...recorded, keys: { ...recorded.keys, "ha-topology:database.name": "shop" } };
  const result = await provider.check(recorded, news);
  assert.equal(result.failures.length, 1);
  const [failure] = result.failures;
  assert.equal(failure.property, "keys");
  assert.match(failure.reason, /^ha-topology:database\.name changed from "app" to "shop"/);
  assert.match(failure.reason, /replace the database with a new, empty one/);
  assert.match(failure.reason, /Nothing was changed/);
  assert.match(failure.reason, /pulumi config set --path 'ha-topology:database\.name' "app"/, "how to revert");
  assert.match(failure.reason, /dump this stack's database and restore it/, "the migration path");
}

describe("data safety: the DatabaseIdentity guard's provider", function () {
  it("accepts the first run (nothing recorded) and unchanged keys", async function () {
    const { databaseIdentityProvider } = await import("../components/databaseIdentity");
    const provider = databaseIdentityProvider();
    assert.deepEqual((await provider.check({}, recorded)).failures, []);
    assert.deepEqual((await provider.check(recorded, recorded)).failures, []);
    assert.deepEqual(await provider.diff("id", recorded, recorded), { changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("refuses a renamed database, naming the key, both values, how to revert and how to migrate", async function () {
    const { databaseIdentityProvider } = await import("../components/databaseIdentity");
    await assertRefusesRename(databaseIdentityProvider());
  });

  it("refuses each changed key on its own line (engine and username together)", async function () {
    const { identityFailures } = await import("../components/databaseIdentity");
    const failures = identityFailures(recorded, { ...recorded, keys: { ...recorded.keys, "ha-topology:database.engine": "mysql", "ha-topology:database.username": "shop" } });
    assert.deepEqual(failures.map((f) => f.reason.split(" ")[0]), ["ha-topology:database.engine", "ha-topology:database.username"]);
    assert.match(failures[0].reason, /from "postgres" to "mysql"/);
  });

  it("records a key it did not know yet instead of refusing it (stacks created by an older version)", async function () {
    const { identityFailures } = await import("../components/databaseIdentity");
    const older = { cloud: "aws", keys: { "ha-topology:database.name": "app" } };
    assert.deepEqual(identityFailures(older, recorded), []);
  });

  it("registers the shipped provider, which refuses the same change as the provider host loads and runs it", async function () {
    const run = await runFull("aws");
    const guard = find(run, guardType, "web-db-identity");
    const text = guard.inputs.__provider;
    assert.equal(typeof text, "string");
    assert.equal(text, providerText("DatabaseIdentity"), "the provider is the shipped one, not a serialized copy");
    const provider = deserializeProvider(text);
    assert.deepEqual((await provider.check(recorded, recorded)).failures, []);
    await assertRefusesRename(provider);
    assert.deepEqual(await provider.create(recorded), { id: "database-identity", outs: recorded });
  });
});
