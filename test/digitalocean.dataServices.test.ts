/**
 * Document databases and queues on DigitalOcean (issue 18), under mocks on
 * stacks/examples/Pulumi.maestro-digitalocean.yaml: `events` is a 3-node managed MongoDB
 * cluster in the VPC (its database and user protected, its firewall kept on delete and
 * trusting only its users' tags), whose private CA is on every droplet of its users at the
 * binding's caFile and mounted read-only into the container; `broker` the managed Valkey
 * as a broker (noeviction). The MongoDB URL is `mongodb+srv` over the one private SRV host.
 * A cron job's droplets get the CA file too.
 */
import { strict as assert } from "node:assert";
import { mongodbUrl } from "../components/connectionUrls";
import { caFilePath } from "../components/model/bindings";
import { TopologyConfigError } from "../components/configError";
import { type Program, runStack } from "./programQueries";
import { pyyaml } from "./userDataView";

const example = "stacks/examples/Pulumi.maestro-digitalocean.yaml";
const T = {
  cluster: "digitalocean:index/databaseCluster:DatabaseCluster",
  firewall: "digitalocean:index/databaseFirewall:DatabaseFirewall",
  db: "digitalocean:index/databaseDb:DatabaseDb",
  user: "digitalocean:index/databaseUser:DatabaseUser",
  droplet: "digitalocean:index/droplet:Droplet",
};
const workloads = {
  api: { kind: "web", image: "traefik/whoami:v1.10.1", port: 8080, count: 2, healthCheck: { path: "/health" }, env: { WHOAMI_PORT_NUMBER: "8080" }, uses: ["events", "files", "broker"] },
  celery: { kind: "worker", image: "busybox:1.36", command: ["sh", "-c", "sleep 60"], count: 2, uses: ["events", "files", "broker"] },
};

/** The PyYAML view of every droplet's user data of a workload (its droplets are named `<name>-<workload>-…`). */
function dropletViews(p: Program, workload: string) {
  const droplets = p.all(T.droplet).filter((d) => d.name.startsWith(`web-${workload}-`));
  assert.ok(droplets.length >= 2, `${workload} has droplets: ${p.all(T.droplet).map((d) => d.name).join(", ")}`);
  return pyyaml(droplets.map((d) => d.inputs.userData as string));
}

describe("DigitalOcean platform: document databases and queues", function () {
  let p: Program;
  before(async function () {
    p = await runStack(example);
  });

  it("builds the document database as a 3-node managed MongoDB in the VPC, its data protected", function () {
    const mongo = p.all(T.cluster).filter((c) => c.inputs.engine === "mongodb");
    assert.equal(mongo.length, 1);
    const [cluster] = mongo;
    assert.equal(cluster.inputs.nodeCount, 3);
    assert.equal(cluster.inputs.size, "db-s-1vcpu-2gb");
    assert.ok(cluster.inputs.privateNetworkUuid, "in the stack's VPC");
    assert.equal(cluster.protect, true);
    for (const type of [T.db, T.user]) {
      const r = p.all(type).find((x) => x.name.includes("events"));
      assert.ok(r, type);
      assert.equal(r.protect, true, `${type} is protected`);
    }
    assert.equal(p.all(T.db).find((x) => x.name.includes("events"))!.inputs.name, "app");
    assert.equal(p.all(T.user).find((x) => x.name.includes("events"))!.inputs.name, "app");
  });

  it("lets only its users' droplets reach it, and keeps that firewall on delete", function () {
    const firewall = p.all(T.firewall).find((f) => f.name.includes("events"));
    assert.ok(firewall);
    assert.equal(firewall.retainOnDelete, true);
    const rules = firewall.inputs.rules as { type: string; value: string }[];
    assert.ok(rules.length >= 1 && rules.every((r) => r.type === "tag"), JSON.stringify(rules));
  });

  it("builds the valkey broker as the managed Valkey that never evicts", function () {
    const valkey = p.all(T.cluster).filter((c) => c.inputs.engine === "valkey");
    assert.equal(valkey.length, 1);
    assert.equal(valkey[0].inputs.evictionPolicy, "noeviction");
    assert.equal(valkey[0].protect, true);
  });

  it("gives each user droplet the URLs as secrets and the cluster's CA at the binding's path, mounted read-only", function () {
    for (const w of ["api", "celery"]) {
      for (const view of dropletViews(p, w)) {
        const ca = view.files[caFilePath("events")];
        assert.match(ca ?? "", /BEGIN CERTIFICATE/, `${w}: the CA file`);
        const all = Object.values(view.files).join("\n");
        assert.ok(all.includes("-v /etc/ha-topology/ca:/etc/ha-topology/ca:ro"), `${w}: the CA directory mounted read-only`);
        assert.match(all, /EVENTS_CA_FILE=\/etc\/ha-topology\/ca\/events\.pem/);
        assert.match(all, /EVENTS_URL.*mongodb\+srv:\/\/app:[^@]+@private-[^/]+\/app\?tls=true&replicaSet=[^&]+&tlsCAFile=\/etc\/ha-topology\/ca\/events\.pem&authSource=admin/);
        assert.match(all, /BROKER_URL.*rediss:\/\/:[^@]+@private-[^/]+\/0\?ssl_cert_reqs=required/);
      }
    }
  });

  it("gives a workload that does not use the document neither its CA nor its variables", async function () {
    const q = await runStack(example, { workloads: { ...workloads, celery: { ...workloads.celery, uses: ["files", "broker"] } } });
    for (const view of dropletViews(q, "celery")) {
      assert.equal(view.files[caFilePath("events")], undefined);
      assert.ok(!Object.values(view.files).some((f) => f.includes("EVENTS_")));
      assert.ok(!Object.values(view.files).join("\n").includes("-v /etc/ha-topology/ca:"), "nothing to mount");
    }
  });

  it("refuses engine rabbitmq and a retention DigitalOcean does not keep", async function () {
    const refusal = async (patch: Record<string, unknown>) => {
      try {
        await runStack(example, patch);
      } catch (e) {
        assert.ok(e instanceof TopologyConfigError, String(e));
        return e.message;
      }
      assert.fail("expected a refusal");
    };
    assert.match(await refusal({ resources: { events: { kind: "document" }, files: { kind: "bucket" }, broker: { kind: "queue", engine: "rabbitmq" } } }), /resources\.broker\.engine: .*valkey on digitalocean: DigitalOcean has no managed RabbitMQ/);
    assert.match(await refusal({ resources: { events: { kind: "document", backupRetentionDays: 14 }, files: { kind: "bucket" }, broker: { kind: "queue", engine: "valkey" } } }), /resources\.events\.backupRetentionDays: .*7 on digitalocean/);
  });
});

describe("DigitalOcean platform: a cron job that uses a document database", function () {
  it("gets the cluster's CA at the binding's path on its own droplets, mounted read-only into the run", async function () {
    const job = { kind: "cron", image: "busybox:1.36", command: ["sh", "-c", "date"], schedule: "0 3 * * *", uses: ["db", "events"] };
    const q = await runStack(example, { workloads: { ...workloads, nightly: job }, resources: { db: { kind: "sql" }, events: { kind: "document" }, files: { kind: "bucket" }, broker: { kind: "queue", engine: "valkey" } } });
    for (const view of dropletViews(q, "nightly")) {
      assert.match(view.files[caFilePath("events")] ?? "", /BEGIN CERTIFICATE/);
      const run = Object.entries(view.files).find(([path]) => path.includes("ha-topology-run-job-nightly"))?.[1] ?? "";
      assert.match(run, /docker run --rm --name ha-topology-cron-nightly --init -v \/etc\/ha-topology\/ca:\/etc\/ha-topology\/ca:ro /);
    }
  });
});

describe("digitalocean document URL", function () {
  it("is mongodb+srv over the one SRV host, with replicaSet, tlsCAFile and authSource admin", function () {
    const url = mongodbUrl({ user: "app", password: "p@ss", hosts: ["private-db-mongodb-fra1-1.mongo.ondigitalocean.com"], database: "app", replicaSet: "db-mongodb-fra1", caFile: caFilePath("events"), srv: true, options: { authSource: "admin" } });
    assert.equal(url, "mongodb+srv://app:p%40ss@private-db-mongodb-fra1-1.mongo.ondigitalocean.com/app?tls=true&replicaSet=db-mongodb-fra1&tlsCAFile=/etc/ha-topology/ca/events.pem&authSource=admin");
  });

  it("without srv stays mongodb:// (other clouds unchanged)", function () {
    assert.match(mongodbUrl({ user: "a", password: "b", hosts: ["h:27017"], database: "d" }), /^mongodb:\/\//);
  });
});
