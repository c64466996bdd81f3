/**
 * The DigitalOcean platform's several-workloads model under mocks: the example
 * stacks/examples/Pulumi.digitalocean-services.yaml (two public webs on their own load
 * balancers, an internal web behind an INTERNAL load balancer, a worker pool, a shared
 * database, bucket and generated secret) and its variants: what each workload registers,
 * how the parts are linked, what reaches which node, data safety, migration safety of the
 * single service, and the pack's judgement.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { parse } from "yaml";
import { isSecretValue, runWithMocks, type ProgramRun, type RegisteredResource } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { stackConfigWith } from "../automation/stackFiles";
import { runPolicies } from "../policies/runner";
import { ns, runStack, type Program } from "./programQueries";
import { readableForms } from "./userDataView";

const example = "stacks/examples/Pulumi.digitalocean-services.yaml";
const runExample = (patch: Record<string, unknown> = {}) => runStack(example, patch);

const T = {
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
  database: "digitalocean:index/databaseDb:DatabaseDb",
  pool: "digitalocean:index/databaseConnectionPool:DatabaseConnectionPool",
  bucket: "digitalocean:index/spacesBucket:SpacesBucket",
  key: "digitalocean:index/spacesKey:SpacesKey",
  uptime: "digitalocean:index/uptimeCheck:UptimeCheck",
  alert: "digitalocean:index/monitorAlert:MonitorAlert",
  password: "random:index/randomPassword:RandomPassword",
  identity: "pulumi-nodejs:dynamic/ha-topology:DatabaseIdentity",
};

/** The node tag of a maps workload in stack `test` (foundation.ts groupTagName). */
const nodeTag = (workload: string) => `ha-topology:test:web:${workload}:nodes`;
const servingTag = (workload: string) => `ha-topology:test:web:${workload}:serving`;

/** The mocks' values of the secrets (automation/offline/cloudState.ts). */
const secretValues = ["do-db-password", "mock-spaces-secret-key", "P".repeat(48)];

/** A workload's droplets, in index order. */
function droplets(p: Program, workload: string): RegisteredResource[] {
  return p.all(T.droplet).filter((d) => new RegExp(`^web-${workload}-node-\\d+$`).test(d.name)).sort((a, b) => a.name.localeCompare(b.name));
}

/** The files a droplet's user data writes, decoded: path -> content. */
function files(d: RegisteredResource): Record<string, string> {
  const config = parse(d.inputs.userData, { version: "1.1" }) as { write_files: { path: string; content: string; encoding?: string }[] };
  return Object.fromEntries(config.write_files.map((f) => [f.path, f.encoding === "b64" ? Buffer.from(f.content, "base64").toString("utf8") : f.content]));
}

/** A droplet's plain env file as a map. */
function plainEnv(d: RegisteredResource): Record<string, string> {
  const text = files(d)["/etc/ha-topology/app.env"];
  return Object.fromEntries(text.split("\n").filter(Boolean).map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]));
}

/** A droplet's embedded secret file (name under /etc/ha-topology/secrets/), parsed. */
function secretFile(d: RegisteredResource, file = "workload.json"): Record<string, string> | undefined {
  const text = files(d)[`/etc/ha-topology/secrets/${file}`];
  return text === undefined ? undefined : JSON.parse(text);
}

/** The load balancer of a workload. */
const lbOf = (p: Program, workload: string) => p.one(T.lb, `web-${workload}-lb`);

function mandatory(report: Awaited<ReturnType<typeof runPolicies>>): string[] {
  return report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy} @ ${v.resourceName}: ${v.message}`);
}

describe("DigitalOcean platform: the several-workloads example", function () {
  let p: Program;
  before(async function () {
    p = await runExample();
  });

  it("parents every resource to the HaService component", function () {
    p.assertAllUnderService();
  });

  it("gives each workload its own droplets with its node tag and role tag, size and image", function () {
    const roles: Record<string, string> = { storefront: "web", api: "web", discovery: "internal", jobs: "worker" };
    for (const [workload, role] of Object.entries(roles)) {
      const own = droplets(p, workload);
      assert.equal(own.length, 2, `${workload}: count 2`);
      for (const d of own) {
        assert.equal(d.inputs.tags[0], nodeTag(workload), `${d.name}: its node tag first (the firewall and trusted sources select it)`);
        assert.ok(d.inputs.tags.includes(`ha-topology:role:${role}`), `${d.name}: role ${role}`);
        assert.equal(d.inputs.tags.filter((t: string) => t.startsWith("ha-topology:role:")).length, 1, `${d.name}: one role`);
        assert.equal(d.inputs.size, "s-1vcpu-1gb");
        assert.equal(d.inputs.region, "ams3");
        assert.ok(isSecretValue(d.rawInputs.userData), `${d.name}: the user data carries secrets: it is a Pulumi secret`);
        assert.deepEqual(d.replaceOnChanges, ["size", "resizeDisk", "ipv6", "privateNetworking"], `${d.name}: a size change is a replacement, never a power-off resize`);
      }
    }
    assert.match(files(droplets(p, "jobs")[0])["/usr/local/sbin/ha-topology-run-app"], /busybox:1\.36 'sh' '-c' 'while true; do date; sleep 60; done'/);
    const unit = files(droplets(p, "jobs")[0])["/etc/systemd/system/ha-topology-app.service"];
    assert.match(unit, /^ExecStop=\/usr\/bin\/docker stop --time 120 ha-topology-app$/m, "a running job gets stopTimeoutSeconds");
    assert.doesNotMatch(files(droplets(p, "jobs")[0])["/usr/local/sbin/ha-topology-run-app"], / -p \d+:\d+/, "nothing published");
    assert.deepEqual(p.outputs.workloads.jobs, { kind: "worker", url: undefined, nodeGroupId: nodeTag("jobs") });
  });

  it("gives each public web its own load balancer, Let's Encrypt certificate for its host and A record (no path routing on DigitalOcean)", function () {
    for (const [workload, host, record] of [["storefront", "shop.example.com", "shop"], ["api", "api.shop.example.com", "api.shop"]]) {
      const lb = lbOf(p, workload);
      const cert = p.one(T.cert, `web-${workload}-cert`);
      assert.deepEqual([cert.inputs.type, cert.inputs.domains], ["lets_encrypt", [host]]);
      assert.equal(lb.inputs.dropletTag, servingTag(workload), `${workload}: the load balancer targets this workload's droplets only`);
      assert.equal(lb.inputs.network, undefined, "public");
      assert.deepEqual(lb.inputs.forwardingRules, [
        { entryProtocol: "https", entryPort: 443, targetProtocol: "http", targetPort: 8080, certificateName: p.state(cert).name },
        { entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: 8080 },
      ]);
      assert.equal(lb.inputs.redirectHttpToHttps, true);
      assert.equal(lb.inputs.tlsCipherPolicy, "STRONG");
      const dns = p.one(T.record, `web-${workload}-domain`);
      assert.deepEqual([dns.inputs.domain, dns.inputs.name, dns.inputs.type], ["example.com", record, "A"]);
      assert.ok(p.links(dns, "value", lb));
      assert.equal(p.outputs.workloads[workload].url, `https://${host}`);
      for (const d of droplets(p, workload)) assert.ok(d.inputs.tags.includes(servingTag(workload)));
    }
    assert.equal(p.outputs.url, "https://shop.example.com", "the first public web's URL");
    assert.deepEqual(p.outputs.dnsRecords, [], "the program writes the records itself");
    // No droplet is a target of another workload's load balancer.
    const targets = p.all(T.lb).map((lb) => lb.inputs.dropletTag);
    for (const d of p.all(T.droplet)) assert.ok(d.inputs.tags.filter((t: string) => targets.includes(t)).length <= 1, d.name);
    for (const d of droplets(p, "jobs")) assert.ok(!d.inputs.tags.some((t: string) => targets.includes(t)), "a worker is behind no load balancer");
  });

  it("puts the internal web behind an INTERNAL load balancer in the VPC and gives the others its private URL", function () {
    const lb = lbOf(p, "discovery");
    assert.equal(lb.inputs.network, "INTERNAL");
    assert.ok(p.links(lb, "vpcUuid", p.one("digitalocean:index/vpc:Vpc")));
    assert.deepEqual(lb.inputs.forwardingRules, [{ entryProtocol: "http", entryPort: 8080, targetProtocol: "http", targetPort: 8080 }]);
    assert.equal(lb.inputs.dropletTag, servingTag("discovery"));
    assert.equal(p.all(T.cert).filter((c) => c.name.includes("discovery")).length, 0, "no certificate, no DNS record");
    assert.equal(p.all(T.record).filter((c) => c.name.includes("discovery")).length, 0);
    const url = `http://${p.state(lb).ip}:8080`;
    assert.equal(p.outputs.workloads.discovery.url, url);
    for (const other of ["storefront", "api", "jobs"]) {
      for (const d of droplets(p, other)) {
        assert.equal(plainEnv(d).DISCOVERY_URL, url, `${d.name} gets DISCOVERY_URL`);
        assert.ok(p.links(d, "userData", lb), `${d.name}'s user data comes from the internal load balancer's address`);
      }
    }
    assert.equal(plainEnv(droplets(p, "discovery")[0]).DISCOVERY_URL, undefined, "not its own");
  });

  it("rolls each web (public and internal) through its own chain of health gates on its own load balancer", function () {
    for (const workload of ["storefront", "api", "discovery"]) {
      const lb = lbOf(p, workload);
      const own = droplets(p, workload);
      const gates = p.all(T.gate).filter((g) => g.name.startsWith(`web-${workload}-gate-`)).sort((a, b) => a.name.localeCompare(b.name));
      const guards = p.all(T.guard).filter((g) => g.name.startsWith(`web-${workload}-guard-`)).sort((a, b) => a.name.localeCompare(b.name));
      assert.equal(gates.length, 2);
      assert.equal(guards.length, 2);
      own.forEach((d, i) => {
        assert.ok(p.links(gates[i], "dropletId", d) && p.links(gates[i], "loadBalancerId", lb), `${gates[i].name} watches ${d.name} on its own load balancer`);
        assert.ok(p.links(guards[i], "dropletId", d) && p.links(guards[i], "loadBalancerId", lb));
        assert.equal(gates[i].inputs.nodeTag, servingTag(workload), "draining removes the serving tag only");
        assert.equal(gates[i].inputs.leavingTag, `${nodeTag(workload)}-leaving`);
        assert.equal(guards[i].inputs.floorTagPrefix, `${nodeTag(workload)}-floor-`);
        assert.equal(gates[i].inputs.count, 2);
        const gateDeps = d.dependencies.filter((urn) => urn.includes("DropletHealthGate"));
        assert.deepEqual(gateDeps, i === 0 ? [] : [gates[i - 1].urn], `${d.name} waits for its own previous gate only`);
      });
      assert.equal(p.one(T.release, `web-${workload}-release`).inputs.floorTag, `${nodeTag(workload)}-floor-2`);
    }
    assert.equal(p.all(T.gate).filter((g) => g.name.includes("jobs")).length + p.all(T.guard).filter((g) => g.name.includes("jobs")).length, 0, "a worker has no gate: no load balancer judges it");
  });

  it("checks readiness at the load balancer; the liveness path has no effect on DigitalOcean (no autohealing)", function () {
    const api = lbOf(p, "api");
    assert.equal(api.inputs.healthcheck.path, "/api/ready", "the load balancer takes a droplet out on readiness");
    assert.equal(p.one(T.uptime, "web-api-uptime").inputs.target, "https://api.shop.example.com/api/ready");
    for (const gate of p.all(T.gate).filter((g) => g.name.startsWith("web-api-"))) assert.equal(gate.inputs.healthyThreshold, 2, "the gates wait for readiness");
    // Nothing registered acts on liveness: DigitalOcean replaces no droplet by itself (issue 19).
    assert.ok(!JSON.stringify(p.run.resources.map((r) => r.inputs)).includes("/api/health"));
  });

  it("admits a web's app port from its own load balancer only, and nothing but SSH from the VPC to a worker", function () {
    for (const workload of ["storefront", "api", "discovery"]) {
      const fw = p.one(T.firewall, `web-${workload}-nodes`);
      assert.deepEqual(fw.inputs.tags, [nodeTag(workload)]);
      const [app, ssh] = fw.inputs.inboundRules;
      assert.deepEqual([app.portRange, app.sourceLoadBalancerUids, app.sourceAddresses], ["8080", [p.id(lbOf(p, workload))], undefined]);
      assert.deepEqual([ssh.portRange, ssh.sourceAddresses], ["22", ["10.0.0.0/16"]]);
      assert.equal(fw.inputs.inboundRules.length, 2);
    }
    const worker = p.one(T.firewall, "web-jobs-nodes");
    assert.deepEqual(worker.inputs.tags, [nodeTag("jobs")]);
    assert.deepEqual(worker.inputs.inboundRules.map((r: { portRange: string }) => r.portRange), ["22"]);
  });

  it("lists only the tags of the workloads that use the database in its trusted sources", function () {
    const fw = p.one(T.dbFirewall, "web-db-db");
    assert.deepEqual(fw.inputs.rules, ["api", "discovery", "jobs"].map((w) => ({ type: "tag", value: nodeTag(w) })), "storefront does not use db");
    assert.ok(p.links(fw, "rules", p.one(T.tag, "web-api-nodes")));
    const storefront = droplets(p, "storefront")[0];
    assert.ok(!Object.keys(plainEnv(storefront)).some((k) => k.startsWith("DB_")), "and it is told nothing about it");
    assert.deepEqual(Object.keys(secretFile(storefront)!), ["SECRET_KEY"]);
  });

  it("binds DB_* and FILES_* to the workloads that use them, with the ${resources.db.url} template resolved", function () {
    const api = droplets(p, "api")[0];
    const env = plainEnv(api);
    assert.deepEqual(
      [env.DB_HOST, env.DB_PORT, env.DB_NAME, env.DB_ENGINE],
      ["private-web-db-db-a1b2c3d-pool.db.ondigitalocean.com", "25061", "app", "postgres"],
      "PgBouncer's pool, as the single service's database",
    );
    assert.deepEqual([env.FILES_BUCKET, env.FILES_REGION, env.FILES_ENDPOINT], ["web-files-files-a1b2c3d", "ams3", "https://ams3.digitaloceanspaces.com"]);
    const secrets = secretFile(api)!;
    const url = "postgresql://doadmin:do-db-password@private-web-db-db-a1b2c3d-pool.db.ondigitalocean.com:25061/app?sslmode=require";
    assert.equal(secrets.DB_URL, url);
    assert.equal(secrets.DATABASE_URL, url, "the user's env entry that references a secret field is a secret too");
    assert.deepEqual([secrets.DB_USER, secrets.DB_PASSWORD, secrets.FILES_ACCESS_KEY_ID, secrets.FILES_SECRET_ACCESS_KEY], ["doadmin", "do-db-password", "DO00MOCKACCESSKEY", "mock-spaces-secret-key"]);
    assert.equal(env.WHOAMI_PORT_NUMBER, "8080");
    assert.deepEqual([env.PORT, env.TRUSTED_PROXY_HOPS, env.APP_VERSION], ["8080", "1", "v1.10.1"]);
    const jobs = plainEnv(droplets(p, "jobs")[0]);
    assert.equal(jobs.PORT, undefined, "a worker publishes no port");
    assert.equal(jobs.DB_HOST, env.DB_HOST);
  });

  it("scopes the Spaces key to its bucket and gives it only to the workloads that use the bucket", function () {
    const bucket = p.one(T.bucket, "web-files-files");
    const key = p.one(T.key, "web-files-files");
    assert.deepEqual(key.inputs.grants, [{ bucket: p.state(bucket).name, permission: "readwrite" }]);
    for (const workload of ["storefront", "discovery"]) {
      for (const d of droplets(p, workload)) assert.equal(secretFile(d)?.FILES_SECRET_ACCESS_KEY, undefined, `${d.name} does not use files`);
    }
    for (const workload of ["api", "jobs"]) assert.equal(secretFile(droplets(p, workload)[0])!.FILES_SECRET_ACCESS_KEY, "mock-spaces-secret-key");
  });

  it("generates one protected RandomPassword per secret resource, the same in every node of every workload that uses it", function () {
    const password = p.one(T.password);
    assert.deepEqual([password.name, password.inputs.length, password.inputs.special], ["web-secret-key", 48, false]);
    assert.equal(password.protect, true);
    for (const workload of ["storefront", "api", "jobs"]) {
      for (const d of droplets(p, workload)) {
        assert.equal(secretFile(d)!.SECRET_KEY, "P".repeat(48), `${d.name} gets SECRET_KEY`);
        assert.ok(p.links(d, "userData", password), `${d.name}'s user data comes from the RandomPassword`);
      }
    }
    for (const d of droplets(p, "discovery")) assert.equal(secretFile(d)?.SECRET_KEY, undefined, "discovery does not use it");
    assert.equal(p.outputs.resources["secret-key"].endpoint, password.urn, "its endpoint is the URN rotation names");
  });

  it("keeps every secret value out of the plain env files, the outputs and anything not secret", function () {
    for (const d of p.all(T.droplet)) {
      const plain = files(d)["/etc/ha-topology/app.env"];
      for (const value of secretValues) assert.ok(!plain.includes(value), `${d.name}: no secret in the plain env file`);
      for (const [path, content] of Object.entries(files(d))) {
        if (path.startsWith("/etc/ha-topology/secrets/")) continue;
        for (const value of secretValues) assert.ok(!content.includes(value), `${d.name}: ${path} holds no secret`);
      }
    }
    const outputs = JSON.stringify(p.outputs);
    for (const value of secretValues) assert.ok(!outputs.includes(value), "no secret in the outputs");
    // The audit: no secret in any input that is not under a secret wrapper (encoded forms included).
    const plain: string[] = [];
    const walk = (value: unknown): void => {
      if (isSecretValue(value)) return;
      if (typeof value === "string") plain.push(...readableForms(value));
      else if (Array.isArray(value)) value.forEach(walk);
      else if (typeof value === "object" && value !== null) Object.values(value).forEach(walk);
    };
    for (const r of p.run.resources) walk(r.rawInputs);
    for (const value of secretValues) assert.ok(!plain.some((text) => text.includes(value)), `${value.slice(0, 6)}... only in secret inputs`);
  });

  it("protects the new database, bucket and secret as the single service's, each database behind its own identity guard", function () {
    const cluster = p.one(T.cluster);
    assert.deepEqual([cluster.name, cluster.protect, cluster.inputs.nodeCount], ["web-db-db", true, 2]);
    assert.equal(p.one(T.database).protect, true);
    assert.equal(p.one(T.pool).protect, true);
    assert.equal(p.one(T.dbFirewall).retainOnDelete, true, "a stopped destroy must not open the cluster");
    assert.equal(p.one(T.bucket).protect, true);
    assert.equal(p.one(T.bucket).inputs.forceDestroy, false);
    assert.deepEqual(p.one(T.bucket).inputs.versioning, { enabled: true });
    const identity = p.one(T.identity);
    assert.equal(identity.name, "web-db-db-identity");
    assert.deepEqual(identity.inputs.keys, { "ha-topology:resources.db.name": "app", "ha-topology:resources.db.engine": "postgres" });
    for (const r of p.run.resources.filter((x) => x.custom && x !== identity)) {
      assert.ok(r.dependencies.includes(identity.urn), `${r.type} ${r.name} waits for the guard`);
    }
  });

  it("alarms on each public web's host (uptime), not on the internal web or the worker", function () {
    assert.deepEqual(p.all(T.uptime).map((u) => u.inputs.target).sort(), ["https://api.shop.example.com/api/ready", "https://shop.example.com/health"]);
    assert.equal(p.all(T.alert).length, 0, "no email: no node alerts");
  });

  it("passes ha-guard with no mandatory violation, and judges the worker as a worker and the internal web as internal", async function () {
    const resources = stackResources(p.run);
    const report = await runPolicies(resources);
    assert.deepEqual(mandatory(report), []);
    for (const rule of ["min-nodes", "lb-https-only", "database-replicated", "database-private", "storage-private"]) {
      assert.ok(!report.notApplicable.some((n) => n.policy === rule), `${rule} judged the stack`);
    }
    // The healer covers the webs' droplets; the worker and the internal web are not judged as web nodes.
    assert.deepEqual(report.violations, []);
    assert.ok(!report.notApplicable.some((n) => n.policy === "nodes-autoheal"), "nodes-autoheal judged the webs");
    // A worker of one droplet fails min-nodes as a worker group.
    const oneWorker = await runPolicies(resources.filter((r) => r.name !== "web-jobs-node-1"));
    assert.match(mandatory(oneWorker).join("\n"), /min-nodes @ web-jobs-node-0: .*role worker/);
    // An internal load balancer is not an internet-facing one: made public, the HTTP-only rule fires.
    const exposed = structuredClone(resources);
    for (const r of exposed.filter((x) => x.name === "web-discovery-lb")) {
      delete r.inputs.network;
      if (r.outputs) delete r.outputs.network;
    }
    assert.match(mandatory(await runPolicies(exposed)).join("\n"), /lb-https-only @ web-discovery-lb/);
  });
});

describe("DigitalOcean platform: variants of the example", function () {
  it("rotates a secret by a new value: every user's user data changes, nobody else's", async function () {
    const before = await runExample();
    const after = await runExample({ resources: { "secret-key": { length: 40 } } });
    for (const workload of ["storefront", "api", "jobs"]) {
      droplets(before, workload).forEach((d, i) => {
        const other = droplets(after, workload)[i];
        assert.notEqual(other.inputs.userData, d.inputs.userData, `${d.name} is replaced (through its gates) with the new value`);
        assert.equal(secretFile(other)!.SECRET_KEY, "P".repeat(40));
      });
    }
    assert.equal(droplets(after, "discovery")[0].inputs.userData, droplets(before, "discovery")[0].inputs.userData, "discovery does not use the secret");
  });

  it("registers no database without a sql resource (maps only)", async function () {
    // (The patch is merged into the example: `undefined` removes a key.)
    const p = await runExample({
      resources: { db: undefined },
      workloads: { api: { uses: ["files", "secret-key"], env: { DATABASE_URL: undefined } }, discovery: { uses: [] }, jobs: { uses: ["files", "secret-key"] } },
    });
    assert.deepEqual(p.all(T.cluster), []);
    assert.deepEqual(p.all(T.identity), []);
    assert.deepEqual(p.all(T.dbFirewall), []);
    assert.equal(p.all(T.droplet).length, 8);
    assert.ok(!JSON.stringify(p.run.resources.map((r) => r.inputs)).includes("DB_"), "and nothing binds to one");
    assert.equal(p.outputs.databaseEndpoint, undefined);
  });

  it("closes a cluster no workload uses with a tag no droplet carries", async function () {
    const p = await runExample({ resources: { cache: { kind: "cache" } } });
    const fw = p.one(T.dbFirewall, "web-cache-sessions");
    assert.deepEqual(fw.inputs.rules, [{ type: "tag", value: "ha-topology:test:web:cache:no-users" }], "every workload lists its uses without cache");
    assert.equal(p.all(T.cluster).find((c) => c.inputs.engine === "valkey")?.protect, true);
    for (const d of p.all(T.droplet)) assert.ok(!d.inputs.tags.includes("ha-topology:test:web:cache:no-users"));
  });

  it("binds a cache's ready URL (TLS, with its password) to its users", async function () {
    const p = await runExample({ workloads: { api: { uses: ["db", "files", "secret-key", "cache"] } }, resources: { cache: { kind: "cache" } } });
    const api = droplets(p, "api")[0];
    assert.deepEqual([plainEnv(api).CACHE_HOST, plainEnv(api).CACHE_TLS], ["private-web-cache-sessions-a1b2c3d-do-user-1.db.ondigitalocean.com", "true"]);
    assert.equal(secretFile(api)!.CACHE_URL, "rediss://default:do-valkey-password@private-web-cache-sessions-a1b2c3d-do-user-1.db.ondigitalocean.com:25060");
    assert.deepEqual(p.one(T.dbFirewall, "web-cache-sessions").inputs.rules, [{ type: "tag", value: nodeTag("api") }]);
  });

  it("alarms on every workload's droplets with an email, keeping the uptime checks for the public webs", async function () {
    const p = await runExample({ alarms: { email: "oncall@example.com" } });
    const alerts = p.all(T.alert);
    assert.equal(alerts.length, 8, "CPU and memory for each of the four workloads");
    assert.deepEqual([...new Set(alerts.map((a) => a.inputs.tags[0]))].sort(), ["api", "discovery", "jobs", "storefront"].map(nodeTag).sort());
    assert.equal(p.all(T.uptime).length, 2);
  });

  it("uses an uploaded certificate for every public host and outputs each host's A record when DNS is elsewhere", async function () {
    const p = await runExample({ dns: undefined, tls: { certificate: "shop-wildcard" } });
    assert.equal(p.all(T.cert).length, 0);
    assert.equal(p.all(T.record).length, 0);
    for (const workload of ["storefront", "api"]) assert.equal(lbOf(p, workload).inputs.forwardingRules[0].certificateName, "shop-wildcard");
    assert.deepEqual(p.outputs.dnsRecords.map((r: { name: string }) => r.name), ["shop.example.com", "api.shop.example.com"]);
  });

  it("pulls a workload's private DOCR image with read-only credentials of its own, inside its secret user data", async function () {
    const p = await runExample({ workloads: { jobs: { image: "registry.digitalocean.com/acme/jobs:1.0" } } });
    const docr = p.one("digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials");
    assert.deepEqual([docr.name, docr.inputs.registryName, docr.inputs.write], ["web-jobs-registry", "acme", false]);
    const jobs = droplets(p, "jobs")[0];
    assert.ok(p.links(jobs, "userData", docr));
    assert.match(files(jobs)["/etc/ha-topology/registry/config.json"], /registry\.digitalocean\.com/);
    assert.equal(files(droplets(p, "api")[0])["/etc/ha-topology/registry/config.json"], undefined, "a public image needs none");
  });

  it("refuses a public host outside the DigitalOcean domain before any cloud resource", async function () {
    const run = await runWithMocks(stackConfigWith(example, ns({ workloads: { api: { host: "api.example.org" } } })));
    assert.match(run.error?.message ?? "", /ha-topology:workloads\.api\.host: received "api\.example\.org"; allowed: a host inside the DigitalOcean domain dns\.zone \(example\.com\)/);
    assert.deepEqual(run.resources.filter((r) => r.custom), []);
  });

  it("gives each stack of the project its own tags, and 20-character names fit DigitalOcean's limits", async function () {
    const long = "a".repeat(19) + "b";
    const config = stackConfigWith(example, ns({ name: "n".repeat(20), workloads: { [long]: { kind: "worker", image: "busybox:1.36", command: ["sleep", "1d"], uses: ["db"] } } }));
    // One after the other: the mocks are the process's.
    const runs: ProgramRun[] = [];
    for (const stack of ["prod-eu", "prod_eu"]) {
      const run = await runWithMocks(config, { stack });
      if (run.error) throw run.error;
      runs.push(run);
    }
    const tagsOf = (run: ProgramRun) => new Set(run.resources.filter((r) => r.type === T.tag).map((r) => r.inputs.name as string));
    const [a, b] = runs.map(tagsOf);
    assert.deepEqual([...a].filter((t) => b.has(t)), [], "no tag of one stack is the other's");
    for (const r of runs[0].resources) {
      // Autonamed physical names are the logical name and "-" plus 7 characters.
      const physical = `${r.name}-a1b2c3d`;
      if (r.type === T.droplet) assert.match(physical, /^[a-z0-9][a-z0-9-]{0,62}$/, `${r.name}: a droplet's name is its hostname (one DNS label)`);
      if ([T.bucket, T.lb, T.cluster].includes(r.type)) assert.ok(physical.length <= 63, `${r.type} ${physical}`);
      if (r.type === T.tag) assert.ok(String(r.inputs.name).length <= 255 && /^[A-Za-z0-9:_-]+$/.test(r.inputs.name), r.inputs.name);
    }
    assert.ok(runs[0].resources.some((r) => r.name === `${"n".repeat(20)}-${long}-node-1`));
  });

  it("never gives a workload the tag of another stack's single service (name web, stack storefront-test)", async function () {
    const services = await runWithMocks(stackConfigWith(example, {}), { stack: "test" });
    const single = await runWithMocks(stackConfigWith("digitalocean", {}), { stack: "storefront-test" });
    const tagsOf = (run: typeof single) => run.resources.filter((r) => r.type === T.tag).map((r) => r.inputs.name as string);
    assert.ok(tagsOf(single).includes("ha-topology-web-storefront-test"));
    assert.deepEqual(tagsOf(services).filter((t) => tagsOf(single).includes(t)), []);
  });

  it("keeps names apart when workloads and resources share names (db, nodes, lb, node, and the single service's)", async function () {
    const web = (host: string) => ({ kind: "web", image: "traefik/whoami:v1.10.1", port: 8080, host });
    const run = await runWithMocks(stackConfigWith("digitalocean", ns({
      workloads: { db: web("db.app.example.com"), nodes: web("nodes.app.example.com"), lb: web("lb.app.example.com"), node: { kind: "worker", image: "busybox:1.36", command: ["sleep", "1d"] } },
      resources: { db: { kind: "sql" }, lb: { kind: "bucket" }, nodes: { kind: "cache" } },
    })), { stack: "digitalocean" });
    if (run.error) throw run.error;
    const urns = run.resources.map((r) => `${[...r.parents, r.type].join("$")}::${r.name}`);
    assert.equal(new Set(urns).size, urns.length, "every URN is unique");
    const tags = run.resources.filter((r) => r.type === T.tag).map((r) => r.inputs.name);
    assert.equal(new Set(tags).size, tags.length, "every tag is unique");
  });
});

describe("DigitalOcean platform: the single service with workloads and resources next to it", function () {
  let legacy: Program;
  before(async function () {
    legacy = await runStack("digitalocean");
  });

  it("renders the single service's user data byte for byte as the adapter did before the platform (a changed one replaces every droplet)", async function () {
    // SHA-256 of web-node-0's user data as the Adapter of main (db6349c) rendered it, for
    // the example stack and for one with every option that adds to the user data. A
    // deliberate change to the bootstrap changes these: it rolls every running droplet.
    const full = { sessions: { enabled: true }, database: { readReplicas: 1 }, secrets: { API_KEY: "k" }, alarms: { email: "oncall@example.com" }, registry: { username: "u", password: "p" }, nodes: { image: "ghcr.io/acme/app:1.0", count: 2, maxCount: 4 } };
    const sha = (q: Program) => createHash("sha256").update(q.one(T.droplet, "web-node-0").inputs.userData).digest("hex");
    assert.equal(sha(legacy), "06f0522e3c35ece9b58e800f0516ea881016657fb90823af7fb4340e0405e2c0");
    assert.equal(sha(await runStack("digitalocean", full)), "6b8dd5dd881015d9915bbf20030725a5b643350ed34b1a4a6cf2c45741cacd0b");
  });

  it("keeps every URN and input of the single service, and its droplets' user data byte for byte, when a worker is added", async function () {
    const p = await runStack("digitalocean", { workloads: { jobs: { kind: "worker", image: "busybox:1.36", command: ["sh", "-c", "sleep 1d"] } } });
    const key = (r: RegisteredResource) => `${r.type}::${r.name}`;
    const added = p.run.resources.filter((r) => !legacy.run.resources.some((l) => key(l) === key(r)));
    const gone = legacy.run.resources.filter((l) => !p.run.resources.some((r) => key(l) === key(r)));
    assert.deepEqual(gone.map(key), []);
    assert.deepEqual([...new Set(added.map((r) => r.name.replace(/-\d+$/, "")))].sort(), ["web-jobs", "web-jobs-gate", "web-jobs-node", "web-jobs-nodes"]);
    for (const l of legacy.run.resources) {
      const r = p.run.resources.find((x) => key(x) === key(l))!;
      if (l.type === T.dbFirewall) continue;
      assert.deepEqual(r.inputs, l.inputs, `${key(l)} keeps its inputs`);
    }
    for (const name of ["web-node-0", "web-node-1"]) assert.equal(p.one(T.droplet, name).inputs.userData, legacy.one(T.droplet, name).inputs.userData);
    // The worker uses every resource (no `uses`): the trusted sources add its tag, in place.
    assert.deepEqual(p.one(T.dbFirewall, "web-db").inputs.rules, [{ type: "tag", value: "ha-topology-web-test" }, { type: "tag", value: nodeTag("jobs") }]);
    const env = plainEnv(p.one(T.droplet, "web-jobs-node-0"));
    assert.equal(env.DATABASE_HOST, "private-web-db-a1b2c3d-pool.db.ondigitalocean.com", "the single service's resources keep their variables");
    assert.equal(env.BUCKET_NAME, "web-files-a1b2c3d");
    assert.deepEqual((await runPolicies(stackResources(p.run))).violations.filter((v) => v.level === "mandatory"), []);
  });

  it("adds to the single service's user data only what it did not have: an internal web's URL and a new bucket's binding", async function () {
    const p = await runStack("digitalocean", {
      workloads: { discovery: { kind: "web", public: false, image: "traefik/whoami:v1.10.1", port: 8080, uses: [] } },
      resources: { uploads: { kind: "bucket" } },
    });
    const d = p.one(T.droplet, "web-node-0");
    const env = plainEnv(d);
    const before = plainEnv(legacy.one(T.droplet, "web-node-0"));
    assert.deepEqual(
      Object.keys(env).filter((k) => !(k in before)).sort(),
      ["DISCOVERY_URL", "UPLOADS_BUCKET", "UPLOADS_ENDPOINT", "UPLOADS_REGION"],
    );
    for (const k of Object.keys(before)) assert.equal(env[k], before[k], k);
    assert.equal(env.DISCOVERY_URL, `http://${p.state(p.one(T.lb, "web-discovery-lb")).ip}:8080`);
    assert.deepEqual(secretFile(d, "bindings.json"), { UPLOADS_ACCESS_KEY_ID: "DO00MOCKACCESSKEY", UPLOADS_SECRET_ACCESS_KEY: "mock-spaces-secret-key" });
    assert.deepEqual(secretFile(d, "platform.json"), secretFile(legacy.one(T.droplet, "web-node-0"), "platform.json"));
    assert.equal(p.one(T.lb, "web-lb").inputs.dropletTag, "ha-topology-web-test-serving", "the single service keeps its load balancer");
  });
});
