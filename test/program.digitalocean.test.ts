/**
 * The DigitalOcean adapter under mocks: the example stack (stacks/Pulumi.digitalocean.yaml)
 * and its variants; above all the chain of droplets and health gates that makes rolling
 * replacement safe, at 2 and at 50 droplets.
 */
import { strict as assert } from "node:assert";
import { isSecretValue, runWithMocks, type RegisteredResource } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { stackConfigWith } from "../automation/stackFiles";
import { runPolicies } from "../policies/runner";
import { ns, runStack, type Program } from "./programQueries";

const runDo = (patch: Record<string, unknown> = {}) => runStack("digitalocean", patch);

const T = {
  vpc: "digitalocean:index/vpc:Vpc",
  tag: "digitalocean:index/tag:Tag",
  droplet: "digitalocean:index/droplet:Droplet",
  gate: "pulumi-nodejs:dynamic/ha-topology:DropletHealthGate",
  guard: "pulumi-nodejs:dynamic/ha-topology:DropletDrainGuard",
  release: "pulumi-nodejs:dynamic/ha-topology:DropletPoolRelease",
  lb: "digitalocean:index/loadBalancer:LoadBalancer",
  cert: "digitalocean:index/certificate:Certificate",
  record: "digitalocean:index/dnsRecord:DnsRecord",
  firewall: "digitalocean:index/firewall:Firewall",
  cluster: "digitalocean:index/databaseCluster:DatabaseCluster",
  dbFirewall: "digitalocean:index/databaseFirewall:DatabaseFirewall",
  pool: "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool",
  replica: "digitalocean:index/databaseReplica:DatabaseReplica",
  bucket: "digitalocean:index/spacesBucket:SpacesBucket",
  key: "digitalocean:index/spacesKey:SpacesKey",
  uptime: "digitalocean:index/uptimeCheck:UptimeCheck",
  alert: "digitalocean:index/monitorAlert:MonitorAlert",
};

const nodeTag = "ha-topology-web-test";
const servingTag = "ha-topology-web-test-serving";
const leavingTag = "ha-topology-web-test-leaving";
const floorTag = (count: number) => `ha-topology-web-test-floor-${count}`;

/** Droplets and gates in chain order (by the index in their names). */
function chain(p: Program): { droplets: RegisteredResource[]; gates: RegisteredResource[]; guards: RegisteredResource[] } {
  const byIndex = (rs: RegisteredResource[]) => [...rs].sort((a, b) => Number(/-(\d+)$/.exec(a.name)![1]) - Number(/-(\d+)$/.exec(b.name)![1]));
  return { droplets: byIndex(p.all(T.droplet)), gates: byIndex(p.all(T.gate)), guards: byIndex(p.all(T.guard)) };
}

/** Asserts the rolling-replacement chain d0 -> g0 -> d1 -> g1 -> ... over `count` droplets. */
function assertChain(p: Program, count: number): void {
  const { droplets, gates, guards } = chain(p);
  assert.equal(droplets.length, count);
  assert.equal(gates.length, count);
  assert.equal(guards.length, count);
  const lb = p.one(T.lb);
  const release = p.one(T.release);
  assert.deepEqual(release.dependencies.filter((urn) => urn.includes("DropletDrainGuard")).sort(), guards.map((g) => g.urn).sort(), "the pool release depends on every guard (destroy deletes it first)");
  droplets.forEach((droplet, i) => {
    const gate = gates[i];
    assert.ok(p.links(guards[i], "dropletId", droplet), `guard ${i} guards droplet ${i} (so it is deleted before it)`);
    assert.ok(p.links(guards[i], "loadBalancerId", lb));
    assert.ok(p.links(gate, "dropletId", droplet), `gate ${i} watches droplet ${i}`);
    assert.ok(p.links(gate, "loadBalancerId", lb), `gate ${i} watches the load balancer`);
    const gateDeps = droplet.dependencies.filter((urn) => urn.includes("DropletHealthGate"));
    assert.deepEqual(gateDeps, i === 0 ? [] : [gates[i - 1].urn], `droplet ${i} waits for gate ${i - 1} only`);
  });
}

describe("DigitalOcean adapter: the example stack under mocks", function () {
  let p: Program;
  before(async function () {
    p = await runDo();
  });

  it("parents every resource to the HaService component", function () {
    p.assertAllUnderService();
  });

  it("runs nodes.count Ubuntu droplets in the VPC, tagged for the firewall and for the load balancer", function () {
    const vpc = p.one(T.vpc);
    assert.equal(vpc.inputs.ipRange, "10.20.0.0/16");
    assert.deepEqual(p.all(T.tag).map((t) => t.inputs.name).sort(), [nodeTag, floorTag(2), leavingTag, servingTag]);
    const { droplets } = chain(p);
    assert.equal(droplets.length, 2);
    for (const d of droplets) {
      assert.equal(d.inputs.image, "ubuntu-24-04-x64");
      assert.equal(d.inputs.size, "s-1vcpu-1gb");
      assert.equal(d.inputs.region, "fra1");
      assert.ok(p.links(d, "vpcUuid", vpc));
      assert.deepEqual(d.inputs.tags, [nodeTag, servingTag, floorTag(2), "ha-topology-service-web", "ha-topology-stack-test"]);
      assert.equal(d.inputs.monitoring, true, "the metrics agent");
      assert.equal(d.inputs.gracefulShutdown, true);
      assert.ok(isSecretValue(d.rawInputs.userData), "the user data carries secrets: it is a Pulumi secret");
    }
  });

  it("chains droplets and health gates so droplets are replaced one at a time", function () {
    assertChain(p, 2);
    for (const gate of p.all(T.gate)) {
      assert.equal(gate.inputs.nodeTag, servingTag, "draining removes the serving tag only, never the firewall's");
      assert.equal(gate.inputs.healthyThreshold, 2, "the health check's healthy threshold (default 2)");
      assert.equal(gate.inputs.timeoutSeconds, 180 + 600);
      assert.equal(gate.inputs.drainSeconds, 30);
      assert.ok(isSecretValue(gate.rawInputs.apiToken), "the token is a secret");
      assert.equal(gate.inputs.leavingTag, leavingTag);
      assert.equal(gate.inputs.count, 2, "the old droplet leaves only while nodes.count others are available");
    }
    for (const guard of p.all(T.guard)) {
      assert.deepEqual([guard.inputs.servingTag, guard.inputs.leavingTag, guard.inputs.floorTagPrefix], [servingTag, leavingTag, "ha-topology-web-test-floor-"]);
      assert.equal(guard.inputs.timeoutSeconds, 180 + 600);
      assert.ok(isSecretValue(guard.rawInputs.apiToken), "the token is a secret");
    }
    assert.equal(p.one(T.release).inputs.floorTag, floorTag(2));
  });

  it("replaces a droplet through the gates, never in place with it powered off: a size change is a replacement", function () {
    for (const d of chain(p).droplets) {
      for (const key of ["size", "resizeDisk", "ipv6", "privateNetworking"]) {
        assert.ok(d.replaceOnChanges.includes(key), `${d.name}: a ${key} change replaces the droplet (the provider would power it off)`);
      }
    }
  });

  it("serves HTTPS with a Let's Encrypt certificate by name, redirects HTTP, health-checks over HTTP, no stickiness", function () {
    const lb = p.one(T.lb);
    const cert = p.one(T.cert);
    assert.deepEqual([cert.inputs.type, cert.inputs.domains], ["lets_encrypt", ["app.example.com"]]);
    assert.equal(lb.inputs.dropletTag, servingTag);
    assert.deepEqual(lb.inputs.forwardingRules, [
      { entryProtocol: "https", entryPort: 443, targetProtocol: "http", targetPort: 80, certificateName: p.state(cert).name },
      { entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: 80 },
    ]);
    assert.ok(p.links(lb, "forwardingRules", cert), "the rule references the certificate (by name)");
    assert.equal(lb.inputs.redirectHttpToHttps, true);
    assert.equal(lb.inputs.tlsCipherPolicy, "STRONG");
    assert.deepEqual(lb.inputs.stickySessions, { type: "none" });
    assert.equal(lb.inputs.healthcheck.protocol, "http");
    assert.equal(lb.inputs.healthcheck.path, "/health");
    assert.ok(p.links(lb, "vpcUuid", p.one(T.vpc)));
  });

  it("writes the A record into the DigitalOcean domain", function () {
    const record = p.one(T.record);
    assert.deepEqual([record.inputs.domain, record.inputs.type, record.inputs.name, record.inputs.value], ["example.com", "A", "app", "198.51.100.20"]);
    assert.ok(p.links(record, "value", p.one(T.lb)));
    assert.deepEqual(p.outputs.dnsRecords, []);
  });

  it("lets only the load balancer reach the app port, and SSH only from the VPC", function () {
    const fw = p.one(T.firewall);
    assert.deepEqual(fw.inputs.tags, [nodeTag]);
    const [app, ssh] = fw.inputs.inboundRules;
    assert.deepEqual([app.portRange, app.sourceAddresses], ["80", undefined]);
    assert.ok(p.links(fw, "inboundRules", p.one(T.lb)), "the app rule names the load balancer");
    assert.deepEqual([ssh.portRange, ssh.sourceAddresses], ["22", ["10.20.0.0/16"]]);
    for (const rule of fw.inputs.inboundRules) assert.ok(!(rule.sourceAddresses ?? []).includes("0.0.0.0/0"));
  });

  it("creates a protected two-node Postgres cluster on the VPC, behind a firewall that admits the nodes only, with a pool", function () {
    const cluster = p.one(T.cluster);
    assert.equal(cluster.inputs.engine, "pg");
    assert.equal(cluster.inputs.nodeCount, 2, "a primary and a standby");
    assert.equal(cluster.inputs.size, "db-s-1vcpu-2gb");
    assert.ok(p.links(cluster, "privateNetworkUuid", p.one(T.vpc)));
    assert.equal(cluster.protect, true, "DigitalOcean has no deletion protection flag: Pulumi's protect");
    const fw = p.one(T.dbFirewall, "-db");
    assert.deepEqual(fw.inputs.rules, [{ type: "tag", value: nodeTag }]);
    const pool = p.one(T.pool);
    assert.equal(pool.inputs.mode, "transaction");
    assert.equal(pool.inputs.user, "doadmin");
    assert.equal(p.outputs.databaseEndpoint, "private-web-db-a1b2c3d-pool.db.ondigitalocean.com:25061");
  });

  it("creates a private, versioned Spaces bucket and a key for that bucket alone", function () {
    const bucket = p.one(T.bucket);
    assert.equal(bucket.inputs.acl, "private");
    assert.deepEqual(bucket.inputs.versioning, { enabled: true });
    const key = p.one(T.key);
    assert.deepEqual(key.inputs.grants, [{ bucket: p.state(bucket).name, permission: "readwrite" }]);
    assert.ok(p.links(key, "grants", bucket));
  });

  it("boots with the platform env, and secrets only in root-only files inside the (secret) user data", function () {
    const userData = p.userDataOf(chain(p).droplets[0]);
    assert.match(userData, /^#cloud-config\n/);
    assert.match(userData, /DATABASE_HOST=private-web-db-a1b2c3d-pool\.db\.ondigitalocean\.com\n/);
    assert.match(userData, /DATABASE_PORT=25061\n/);
    assert.match(userData, /BUCKET_ENDPOINT=https:\/\/fra1\.digitaloceanspaces\.com\n/);
    assert.match(userData, /TRUSTED_PROXY_HOPS=1\n/);
    const env = /path: \/etc\/ha-topology\/app\.env[\s\S]*?content: ([\s\S]*?)\n {2}- path/.exec(userData)?.[1] ?? "";
    assert.ok(!env.includes("PASSWORD"), "no secret in the plain env file");
    assert.match(userData, /path: \/etc\/ha-topology\/secrets\/platform\.json\n\s+owner: root:root\n\s+permissions: "0600"/);
    assert.match(userData, /"DATABASE_PASSWORD":"do-db-password"/);
    assert.match(userData, /"BUCKET_SECRET_ACCESS_KEY":"mock-spaces-secret-key"/);
    assert.match(userData, /passwd -l root/);
    assert.ok(!JSON.stringify(p.outputs).includes("do-db-password"));
  });

  it("keeps the app's output in the droplet's journal with docker's local driver (DigitalOcean has no log service)", function () {
    const userData = p.userDataOf(chain(p).droplets[0]);
    assert.match(userData, /^\s*ExecStart=\/usr\/bin\/docker run .* --log-driver local \S+$/m);
    assert.doesNotMatch(userData, /path: \/usr\/local\/sbin\/ha-topology-run-app|--log-opt/, "no shipping driver, no run script");
  });

  it("adds an uptime check on the health path", function () {
    const uptime = p.one(T.uptime);
    assert.equal(uptime.inputs.target, "https://app.example.com/health");
  });

  it("passes ha-guard with no violation at all: the healer covers the droplets behind the load balancer (nodes-autoheal judges them)", async function () {
    const resources = stackResources(p.run);
    const report = await runPolicies(resources);
    assert.deepEqual(report.violations, []);
    for (const rule of ["min-nodes", "lb-https-only", "database-replicated", "database-private", "database-deletion-protection", "nodes-not-world-reachable", "nodes-autoheal"]) {
      assert.ok(!report.notApplicable.some((n) => n.policy === rule), `${rule} judged the stack`);
    }
    // Without the healer App, the droplets behind the load balancer fail nodes-autoheal (mandatory).
    const unhealed = await runPolicies(resources.filter((r) => r.type !== "digitalocean:index/app:App"));
    const heal = unhealed.violations.filter((v) => v.policy === "nodes-autoheal");
    assert.deepEqual(heal.map((v) => [v.level, v.resourceName]), [["mandatory", "web-node-0"], ["mandatory", "web-node-1"]]);
    assert.match(heal[0].message, /serves behind web-lb .* and nothing heals it/);
  });
});

describe("DigitalOcean adapter: scale and options", function () {
  it("builds a correct chain for 50 droplets", async function () {
    const p = await runDo({ nodes: { count: 50, maxCount: 50 } });
    assertChain(p, 50);
    for (const d of chain(p).droplets) assert.ok(d.inputs.tags.includes(floorTag(50)), "the floor tag carries nodes.count");
    assert.deepEqual((await runPolicies(stackResources(p.run))).violations.filter((v) => v.level === "mandatory"), []);
  });

  it("uses an uploaded certificate by name and outputs the A record when DNS is elsewhere", async function () {
    const p = await runDo({ dns: undefined, tls: { certificate: "app-example-com" } });
    assert.equal(p.all(T.cert).length, 0);
    assert.equal(p.one(T.lb).inputs.forwardingRules[0].certificateName, "app-example-com");
    assert.equal(p.all(T.record).length, 0);
    assert.deepEqual(p.outputs.dnsRecords, [{ name: "app.example.com", type: "A", value: "198.51.100.20", purpose: "serve traffic" }]);
  });

  it("admits configured networks to SSH, besides the VPC", async function () {
    const p = await runDo({ network: { cidr: "10.20.0.0/16", sshSourceCidrs: ["203.0.113.0/24"] } });
    assert.deepEqual(p.one(T.firewall).inputs.inboundRules[1].sourceAddresses, ["10.20.0.0/16", "203.0.113.0/24"]);
  });

  it("adds a protected two-node Valkey cluster for sessions, reachable by the nodes only, with its password as a secret", async function () {
    const p = await runDo({ sessions: { enabled: true } });
    const valkey = p.all(T.cluster).find((c) => c.inputs.engine === "valkey")!;
    assert.equal(valkey.inputs.nodeCount, 2);
    assert.equal(valkey.protect, true);
    assert.deepEqual(p.one(T.dbFirewall, "-sessions").inputs.rules, [{ type: "tag", value: nodeTag }]);
    const userData = p.userDataOf(chain(p).droplets[0]);
    assert.match(userData, /SESSION_STORE_TLS=true\n/);
    assert.match(userData, /"SESSION_STORE_PASSWORD":"do-valkey-password"/);
    assert.deepEqual((await runPolicies(stackResources(p.run))).violations.filter((v) => v.level === "mandatory"), []);
  });

  it("adds read-only replicas and tells the app their hosts", async function () {
    const p = await runDo({ database: { readReplicas: 2 } });
    assert.equal(p.all(T.replica).length, 2);
    assert.match(p.userDataOf(chain(p).droplets[0]), /DATABASE_READ_HOSTS=private-web-db-replica-0-a1b2c3d-replica\.db\.ondigitalocean\.com,private-web-db-replica-1-a1b2c3d-replica/);
  });

  it("puts app secrets in their own root-only file, never in outputs", async function () {
    const p = await runDo({ secrets: { STRIPE_KEY: "sk_live_do_not_leak" } });
    const userData = p.userDataOf(chain(p).droplets[0]);
    assert.match(userData, /secrets\/app\.json/);
    assert.ok(!JSON.stringify(p.outputs).includes("sk_live_do_not_leak"));
  });

  it("adds CPU and memory alerts on the nodes when an alert email is set", async function () {
    const p = await runDo({ alarms: { email: "oncall@example.com" } });
    const alerts = p.all(T.alert);
    assert.equal(alerts.length, 2);
    for (const a of alerts) assert.deepEqual(a.inputs.tags, [nodeTag]);
  });
});

describe("DigitalOcean adapter: refusals", function () {
  it("refuses a stack without digitalocean:region before any cloud resource", async function () {
    const run = await runWithMocks(stackConfigWith("digitalocean", { "digitalocean:region": undefined }));
    assert.match(run.error?.message ?? "", /digitalocean:region: received nothing; allowed: a region slug such as fra1/);
    assert.deepEqual(run.resources.filter((r) => r.custom), []);
  });

  it("needs a DigitalOcean domain or an uploaded certificate", async function () {
    const run = await runWithMocks(stackConfigWith("digitalocean", ns({ dns: undefined })));
    assert.match(run.error?.message ?? "", /ha-topology:dns\.zone: .*a domain managed in DigitalOcean DNS/);
    const wrong = await runWithMocks(stackConfigWith("digitalocean", ns({ dns: { zone: "example.org" } })));
    assert.match(wrong.error?.message ?? "", /ha-topology:dns\.zone: received "example\.org"; allowed: a DigitalOcean domain that contains app\.example\.com/);
  });

  it("refuses SSH from the whole internet", async function () {
    const run = await runWithMocks(stackConfigWith("digitalocean", ns({ network: { sshSourceCidrs: ["0.0.0.0/0"] } })));
    assert.match(run.error?.message ?? "", /ha-topology:network\.sshSourceCidrs\.0: .*never the whole internet/);
  });

  it("refuses a region without Spaces, naming the allowed ones", async function () {
    const run = await runWithMocks(stackConfigWith("digitalocean", { "digitalocean:region": "nyc1" }));
    assert.match(run.error?.message ?? "", /nyc1/);
    assert.match(run.error?.message ?? "", /fra1/);
  });
});
