/**
 * The GCP adapter under mocks: the example stack (stacks/Pulumi.gcp.yaml) and its
 * variants, asserting the registered resources, their settings and the links between
 * them, the nodes' boot script, the refusals, and the ha-guard verdict.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { parse } from "yaml";
import { isSecretValue, runWithMocks } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { stackConfigWith } from "../automation/stackFiles";
import { runPolicies } from "../policies/runner";
import { ns, runStack, type Program } from "./programQueries";

const runGcp = (patch: Record<string, unknown> = {}) => runStack("gcp", patch);

const T = {
  template: "gcp:compute/instanceTemplate:InstanceTemplate",
  mig: "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager",
  autoscaler: "gcp:compute/regionAutoscaler:RegionAutoscaler",
  healthCheck: "gcp:compute/healthCheck:HealthCheck",
  firewall: "gcp:compute/firewall:Firewall",
  network: "gcp:compute/network:Network",
  subnet: "gcp:compute/subnetwork:Subnetwork",
  connection: "gcp:servicenetworking/connection:Connection",
  address: "gcp:compute/globalAddress:GlobalAddress",
  backend: "gcp:compute/backendService:BackendService",
  urlMap: "gcp:compute/uRLMap:URLMap",
  cert: "gcp:compute/managedSslCertificate:ManagedSslCertificate",
  sslPolicy: "gcp:compute/sSLPolicy:SSLPolicy",
  httpsProxy: "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
  httpProxy: "gcp:compute/targetHttpProxy:TargetHttpProxy",
  rule: "gcp:compute/globalForwardingRule:GlobalForwardingRule",
  record: "gcp:dns/recordSet:RecordSet",
  bucket: "gcp:storage/bucket:Bucket",
  sql: "gcp:sql/databaseInstance:DatabaseInstance",
  secret: "gcp:secretmanager/secret:Secret",
  secretVersion: "gcp:secretmanager/secretVersion:SecretVersion",
  secretAccess: "gcp:secretmanager/secretIamMember:SecretIamMember",
  account: "gcp:serviceaccount/account:Account",
  redis: "gcp:redis/instance:Instance",
  uptime: "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig",
  alert: "gcp:monitoring/alertPolicy:AlertPolicy",
};

describe("GCP adapter: the example stack under mocks", function () {
  let p: Program;
  before(async function () {
    p = await runGcp();
  });

  it("parents every resource to the HaService component", function () {
    p.assertAllUnderService();
  });

  it("runs the nodes from a shielded, private, cloud-init template with their own service account", function () {
    const template = p.one(T.template);
    const i = template.inputs;
    assert.equal(i.namePrefix, "web-node-", "a prefix, so a new template can exist next to the one in use");
    assert.equal(i.name, undefined);
    assert.equal(i.machineType, "e2-small");
    assert.match(i.disks[0].sourceImage, /ubuntu-os-cloud\/global\/images\/family\/ubuntu-2404-lts/);
    assert.equal(i.networkInterfaces[0].accessConfigs, undefined, "no public IP");
    assert.ok(p.links(template, "networkInterfaces", p.one(T.subnet)));
    assert.deepEqual(i.shieldedInstanceConfig, { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true });
    assert.equal(i.metadata["enable-oslogin"], "TRUE");
    assert.equal(i.metadata["block-project-ssh-keys"], "TRUE");
    assert.deepEqual(i.tags, ["web-node"]);
    assert.equal(i.serviceAccount.email, p.state(p.one(T.account)).email);
    assert.ok(p.links(template, "serviceAccount", p.one(T.account)));
  });

  it("spreads a regional MIG over 2 zones, autohealed by the HTTP health check", function () {
    const mig = p.one(T.mig);
    const hc = p.one(T.healthCheck);
    assert.deepEqual(mig.inputs.distributionPolicyZones, ["europe-west1-b", "europe-west1-c"]);
    assert.deepEqual(mig.inputs.namedPorts, [{ name: "http", port: 80 }]);
    assert.equal(mig.inputs.versions[0].instanceTemplate, p.state(p.one(T.template)).selfLinkUnique);
    assert.ok(p.links(mig, "versions", p.one(T.template)));
    assert.deepEqual(mig.inputs.autoHealingPolicies, { healthCheck: p.id(hc), initialDelaySec: 180 });
    assert.deepEqual(hc.inputs.httpHealthCheck, { port: 80, requestPath: "/health" });
    assert.equal(hc.inputs.checkIntervalSec, 15);
  });

  it("updates proactively by surge (at least the zone count), never below the healthy count, and waits", function () {
    const mig = p.one(T.mig);
    assert.deepEqual(
      { ...mig.inputs.updatePolicy },
      { type: "PROACTIVE", minimalAction: "REPLACE", mostDisruptiveAllowedAction: "REPLACE", maxSurgeFixed: 2, maxUnavailableFixed: 0, replacementMethod: "SUBSTITUTE", instanceRedistributionType: "PROACTIVE", minReadySec: 180 },
    );
    assert.equal(mig.inputs.waitForInstances, true);
    assert.equal(mig.inputs.waitForInstancesStatus, "UPDATED");
  });

  it("autoscales between nodes.count and nodes.maxCount", function () {
    const autoscaler = p.one(T.autoscaler);
    assert.ok(p.links(autoscaler, "target", p.one(T.mig)));
    assert.equal(autoscaler.inputs.autoscalingPolicy.minReplicas, 2);
    assert.equal(autoscaler.inputs.autoscalingPolicy.maxReplicas, 6);
  });

  it("opens the app port to Google's front ends only and SSH to IAP only", function () {
    const [lb, ssh] = ["-lb-to-nodes", "-iap-ssh"].map((n) => p.one(T.firewall, n));
    assert.deepEqual(lb.inputs.sourceRanges, ["130.211.0.0/22", "35.191.0.0/16"]);
    assert.deepEqual(lb.inputs.allows, [{ protocol: "tcp", ports: ["80"] }]);
    assert.deepEqual(lb.inputs.targetTags, ["web-node"]);
    assert.deepEqual(ssh.inputs.sourceRanges, ["35.235.240.0/20"]);
    for (const fw of p.all(T.firewall)) assert.ok(!fw.inputs.sourceRanges.includes("0.0.0.0/0"), fw.name);
  });

  it("grants the nodes' service account its bucket, its secrets and telemetry, nothing project-wide beyond that", function () {
    const member = `serviceAccount:${p.state(p.one(T.account)).email}`;
    const projectRoles = p.all("gcp:projects/iAMMember:IAMMember").map((m) => [m.inputs.role, m.inputs.member]);
    assert.deepEqual(projectRoles, [["roles/logging.logWriter", member], ["roles/monitoring.metricWriter", member]]);
    const bucketGrant = p.one("gcp:storage/bucketIAMMember:BucketIAMMember");
    assert.equal(bucketGrant.inputs.role, "roles/storage.objectUser");
    assert.ok(p.links(bucketGrant, "bucket", p.one(T.bucket)));
    const secretGrant = p.one(T.secretAccess);
    assert.equal(secretGrant.inputs.role, "roles/secretmanager.secretAccessor");
    assert.ok(p.links(secretGrant, "secretId", p.one(T.secret, "-db-credentials")));
  });

  it("boots with the platform env and a pinned Secret Manager read, never a secret value", function () {
    const userData = p.userData();
    assert.match(userData, /^#cloud-config\n/);
    for (const pkg of ["docker.io", "python3", "curl"]) assert.match(userData, new RegExp(`- ${pkg}\\n`));
    assert.match(userData, /TRUSTED_PROXY_HOPS=2\n/);
    assert.match(userData, /DATABASE_HOST=10\.100\.0\.3\n/);
    assert.match(userData, /BUCKET_NAME=web-files-a1b2c3d\n/);
    assert.match(userData, /BUCKET_REGION=europe-west1\n/);
    assert.match(userData, /secretmanager\.googleapis\.com/);
    assert.match(userData, /projects\/my-gcp-project\/secrets\/[a-z0-9-]+-db-credentials\/versions\/1/);
    assert.ok(!userData.includes("PPPPPPPP"), "the database password is not in the user data");
  });

  it("ships the app's output to Cloud Logging with docker's gcplogs driver, labelled with the workload, never blocking the app", function () {
    const config = parse(p.userData());
    const unit = config.write_files.find((f: { path: string }) => f.path.endsWith(".service")).content as string;
    assert.match(unit, /^ExecStart=\/usr\/local\/sbin\/ha-topology-run-app$/m);
    const script = config.write_files.find((f: { path: string }) => f.path === "/usr/local/sbin/ha-topology-run-app").content as string;
    const run = script.split("\n").find((line: string) => line.startsWith("/usr/bin/docker run ")) as string;
    assert.match(run, / --label ha-topology\.workload=web --log-driver gcplogs /);
    for (const option of ["gcp-log-cmd=false", "labels=ha-topology.workload", "mode=non-blocking"]) assert.ok(run.includes(` --log-opt ${option} `), `${option} missing from: ${run}`);
    // The driver writes with the nodes' own account: the project-wide log writer role it already has.
    assert.ok(p.all("gcp:projects/iAMMember:IAMMember").some((m) => m.inputs.role === "roles/logging.logWriter"));
  });

  it("renders a secret read that bash and python3 accept", function () {
    const { secretManagerSource } = require("../components/platforms/gcp/secretSource") as typeof import("../components/platforms/gcp/secretSource");
    const source = secretManagerSource("x", "projects/p/secrets/s/versions/3");
    assert.equal(spawnSync("bash", ["-n", "-c", source.command]).status, 0);
    const python = /python3 -c '([^']*)'/.exec(source.command)?.[1] ?? "";
    const compiled = spawnSync("python3", ["-c", "import sys; compile(sys.argv[1], 'fetch', 'exec')", python]);
    if (compiled.error) this.skip();
    assert.equal(compiled.status, 0, String(compiled.stderr));
    assert.throws(() => secretManagerSource("x", "projects/p/secrets/s/versions/1; rm -rf /"), /not a Secret Manager version name/);
  });

  it("puts a global external HTTPS load balancer in front of the MIG", function () {
    const backend = p.one(T.backend);
    assert.ok(p.links(backend, "backends", p.one(T.mig)), "the backend uses the MIG's instance group");
    assert.equal(backend.inputs.backends[0].group, p.state(p.one(T.mig)).instanceGroup);
    assert.ok(p.links(backend, "healthChecks", p.one(T.healthCheck)));
    assert.equal(backend.inputs.protocol, "HTTP");
    assert.equal(backend.inputs.portName, "http");
    assert.equal(backend.inputs.loadBalancingScheme, "EXTERNAL_MANAGED");
    assert.equal(backend.inputs.connectionDrainingTimeoutSec, 30);
    assert.equal(backend.inputs.sessionAffinity, "NONE");
    assert.equal(backend.inputs.logConfig.enable, true);
    const map = p.one(T.urlMap, "-urlmap");
    assert.ok(p.links(map, "defaultService", backend));
  });

  it("terminates TLS 1.2+ with a managed certificate, and port 80 only redirects", function () {
    const proxy = p.one(T.httpsProxy);
    assert.ok(p.links(proxy, "sslCertificates", p.one(T.cert)), "the proxy uses the certificate");
    assert.ok(p.links(proxy, "sslPolicy", p.one(T.sslPolicy)), "and the SSL policy");
    assert.ok(p.links(proxy, "urlMap", p.one(T.urlMap, "-urlmap")));
    assert.deepEqual(p.one(T.cert).inputs.managed.domains, ["app.example.com"]);
    assert.equal(p.one(T.cert).inputs.name, undefined, "autonamed: a domain change makes a second certificate first");
    assert.deepEqual([p.one(T.sslPolicy).inputs.minTlsVersion, p.one(T.sslPolicy).inputs.profile], ["TLS_1_2", "MODERN"]);
    const redirect = p.one(T.urlMap, "-redirect");
    assert.equal(redirect.inputs.defaultUrlRedirect.httpsRedirect, true);
    assert.equal(redirect.inputs.defaultService, undefined);
    assert.ok(p.links(p.one(T.httpProxy), "urlMap", redirect));
    const address = p.one(T.address, "-ip");
    for (const [suffix, port, proxyType] of [["-https", "443", T.httpsProxy], ["-http", "80", T.httpProxy]] as const) {
      const rule = p.one(T.rule, suffix);
      assert.equal(rule.inputs.portRange, port);
      assert.ok(p.links(rule, "ipAddress", address), `${suffix} uses the address`);
      assert.ok(p.links(rule, "target", p.one(proxyType)));
      assert.equal(rule.inputs.loadBalancingScheme, "EXTERNAL_MANAGED");
    }
  });

  it("outputs the A record to create, since no managed zone is configured", function () {
    assert.deepEqual(p.outputs.dnsRecords, [
      { name: "app.example.com", type: "A", value: "203.0.113.10", purpose: "serve traffic; the Google-managed certificate is issued only once this record resolves" },
    ]);
    assert.equal(p.all(T.record).length, 0);
    assert.ok(p.run.logs.some((l) => l.severity === "info" && /app\.example\.com A 203\.0\.113\.10/.test(l.message)));
  });

  it("creates a private, versioned GCS bucket with soft delete", function () {
    const b = p.one(T.bucket).inputs;
    assert.equal(b.uniformBucketLevelAccess, true);
    assert.equal(b.publicAccessPrevention, "enforced");
    assert.deepEqual(b.versioning, { enabled: true });
    assert.equal(b.softDeletePolicy.retentionDurationSeconds, 7 * 24 * 3600);
    assert.equal(b.location, "europe-west1");
    assert.equal(b.forceDestroy, false);
    assert.equal(b.lifecycleRules[0].condition.daysSinceNoncurrentTime, 30);
  });

  it("creates a REGIONAL Cloud SQL on private IP only, TLS only, with PITR backups and deletion protection", function () {
    const db = p.one(T.sql, "-db");
    const s = db.inputs.settings;
    assert.equal(db.inputs.databaseVersion, "POSTGRES_16");
    assert.equal(db.inputs.deletionProtection, true);
    assert.equal(s.tier, "db-custom-1-3840");
    assert.equal(s.availabilityType, "REGIONAL");
    assert.equal(s.ipConfiguration.ipv4Enabled, false);
    assert.equal(s.ipConfiguration.sslMode, "ENCRYPTED_ONLY");
    assert.ok(p.links(db, "settings", p.one(T.network)), "private IP on the stack's VPC");
    assert.ok(db.dependencies.includes(p.one(T.connection).urn), "created after private service access");
    assert.equal(s.backupConfiguration.enabled, true);
    assert.equal(s.backupConfiguration.pointInTimeRecoveryEnabled, true);
    assert.equal(s.backupConfiguration.backupRetentionSettings.retainedBackups, 7);
    assert.equal(s.deletionProtectionEnabled, true);
  });

  it("keeps the database password in Secret Manager only, as a secret", function () {
    const version = p.one(T.secretVersion, "-db-credentials");
    assert.ok(isSecretValue(version.rawInputs.secretData), "the secret's data is a Pulumi secret");
    const user = p.one("gcp:sql/user:User");
    assert.ok(isSecretValue(user.rawInputs.password));
    assert.equal(p.outputs.databaseEndpoint, "10.100.0.3:5432");
  });

  it("adds an uptime check on the health path and an alert policy on it", function () {
    const uptime = p.one(T.uptime).inputs;
    assert.equal(uptime.httpCheck.path, "/health");
    assert.equal(uptime.httpCheck.useSsl, true);
    assert.equal(uptime.monitoredResource.labels.host, "app.example.com");
    const alert = p.one(T.alert);
    assert.ok(p.links(alert, "conditions", p.one(T.uptime)));
    assert.match(alert.inputs.conditions[0].conditionThreshold.filter, /uptime_check\/check_passed/);
  });

  it("exports what users need", function () {
    assert.equal(p.outputs.url, "https://app.example.com");
    assert.equal(p.outputs.loadBalancerAddress, "203.0.113.10");
    assert.equal(p.outputs.bucketName, "web-files-a1b2c3d");
    assert.equal(p.outputs.nodeGroupId, "web-nodes-a1b2c3d");
    assert.equal(p.outputs.sessionStoreEndpoint, undefined);
  });

  it("passes ha-guard with no violation at all", async function () {
    const report = await runPolicies(stackResources(p.run));
    assert.deepEqual(report.violations, []);
  });
});

describe("GCP adapter: options", function () {
  it("writes the A record into a Cloud DNS managed zone when one is given", async function () {
    const p = await runGcp({ dns: { zone: "example-com" } });
    const record = p.one(T.record);
    assert.deepEqual([record.inputs.managedZone, record.inputs.name, record.inputs.type, record.inputs.rrdatas], ["example-com", "app.example.com.", "A", ["203.0.113.10"]]);
    assert.deepEqual(p.outputs.dnsRecords, []);
  });

  it("uses an existing certificate instead of a managed one", async function () {
    const certificate = "projects/my-gcp-project/global/sslCertificates/app-cert";
    const p = await runGcp({ tls: { certificate } });
    assert.equal(p.all(T.cert).length, 0);
    assert.deepEqual(p.one(T.httpsProxy).inputs.sslCertificates, [certificate]);
  });

  it("adds a Memorystore Redis STANDARD_HA session store on private service access, with TLS", async function () {
    const p = await runGcp({ sessions: { enabled: true } });
    const redis = p.one(T.redis);
    assert.equal(redis.inputs.tier, "STANDARD_HA");
    assert.equal(redis.inputs.replicaCount, 1);
    assert.equal(redis.inputs.connectMode, "PRIVATE_SERVICE_ACCESS");
    assert.equal(redis.inputs.transitEncryptionMode, "SERVER_AUTHENTICATION");
    assert.ok(p.links(redis, "authorizedNetwork", p.one(T.network)));
    assert.ok(redis.dependencies.includes(p.one(T.connection).urn));
    assert.equal(p.outputs.sessionStoreEndpoint, "10.100.1.4:6378");
    const userData = p.userData();
    assert.match(userData, /SESSION_STORE_HOST=10\.100\.1\.4\n/);
    assert.match(userData, /SESSION_STORE_PORT=6378\n/);
    assert.match(userData, /SESSION_STORE_TLS=true\n/);
    const ca = /SESSION_STORE_CA_CERT_BASE64=([A-Za-z0-9+/=]+)\n/.exec(userData)?.[1];
    assert.match(Buffer.from(ca ?? "", "base64").toString(), /BEGIN CERTIFICATE/);
    assert.deepEqual((await runPolicies(stackResources(p.run))).violations.filter((v) => v.level === "mandatory"), []);
  });

  it("adds read replicas that follow the primary, and tells the app their hosts", async function () {
    const p = await runGcp({ database: { readReplicas: 1 } });
    const replica = p.one(T.sql, "-db-replica-0");
    assert.ok(p.links(replica, "masterInstanceName", p.one(T.sql, "-db")));
    assert.equal(replica.inputs.settings.ipConfiguration.ipv4Enabled, false);
    assert.match(p.userData(), /DATABASE_READ_HOSTS=10\.100\.0\.5\n/);
    assert.deepEqual((await runPolicies(stackResources(p.run))).violations.filter((v) => v.level === "mandatory"), []);
  });

  it("maps MySQL to its Cloud SQL version with binary-log point-in-time recovery", async function () {
    const p = await runGcp({ database: { engine: "mysql", version: "8.0" } });
    const db = p.one(T.sql, "-db");
    assert.equal(db.inputs.databaseVersion, "MYSQL_8_0");
    assert.equal(db.inputs.settings.backupConfiguration.binaryLogEnabled, true);
    assert.equal(p.outputs.databaseEndpoint, "10.100.0.3:3306");
  });

  it("stores app secrets in Secret Manager, readable by the nodes, out of the user data", async function () {
    const p = await runGcp({ secrets: { STRIPE_KEY: "sk_live_do_not_leak" } });
    const secret = p.one(T.secret, "-app-secrets");
    assert.ok(p.all(T.secretAccess).some((g) => p.links(g, "secretId", secret)));
    const userData = p.userData();
    assert.match(userData, /app secrets/);
    assert.ok(!userData.includes("sk_live_do_not_leak"));
    assert.ok(!JSON.stringify(p.outputs).includes("sk_live_do_not_leak"));
  });

  it("gives nodes public IPs and no Cloud NAT when natGateways is none", async function () {
    const p = await runGcp({ network: { zones: 2, natGateways: "none" } });
    assert.deepEqual(p.one(T.template).inputs.networkInterfaces[0].accessConfigs, [{}]);
    assert.equal(p.all("gcp:compute/routerNat:RouterNat").length, 0);
  });

  it("spreads over 3 zones with a surge of 3", async function () {
    const p = await runGcp({ network: { zones: 3 } });
    assert.deepEqual(p.one(T.mig).inputs.distributionPolicyZones, ["europe-west1-b", "europe-west1-c", "europe-west1-d"]);
    assert.equal(p.one(T.mig).inputs.updatePolicy.maxSurgeFixed, 3);
  });
});

describe("GCP adapter: refusals", function () {
  it("refuses a stack without gcp:project or gcp:region, naming both, before any cloud resource", async function () {
    const run = await runWithMocks(stackConfigWith("gcp", { "gcp:project": undefined, "gcp:region": undefined }));
    assert.equal(run.error?.name, "TopologyConfigError");
    assert.match(run.error?.message ?? "", /gcp:project: received nothing; allowed: your project ID/);
    assert.match(run.error?.message ?? "", /gcp:region: received nothing/);
    assert.deepEqual(run.resources.filter((r) => r.custom), []);
  });

  it("refuses more zones than the region has before any resource (Cloud SQL was registered before)", async function () {
    const run = await runWithMocks(stackConfigWith("gcp", ns({ network: { zones: 4 } })));
    assert.equal(run.error?.name, "TopologyConfigError");
    assert.match(run.error?.message ?? "", /ha-topology:network\.zones: received 4; allowed: at most 3, the zones gcp region europe-west1 offers \(europe-west1-b, europe-west1-c, europe-west1-d\)/);
    assert.deepEqual(run.resources.map((r) => r.type), [], "nothing was registered");
  });

  it("knows each region's zone count: us-central1 has four", async function () {
    const p = await runGcp({ network: { zones: 4 }, "gcp:region": "us-central1" });
    assert.deepEqual(p.one(T.mig).inputs.distributionPolicyZones, ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"]);
  });

  it("refuses AWS-style identifiers and existing-VPC settings on gcp", async function () {
    const zone = await runWithMocks(stackConfigWith("gcp", ns({ dns: { zone: "Z0123456789ABCDEFGHIJ" } })));
    assert.match(zone.error?.message ?? "", /ha-topology:dns\.zone: .*a Cloud DNS managed zone name/);
    const vpc = await runWithMocks(stackConfigWith("gcp", ns({ network: { vpcId: "vpc-0123456789abcdef0" } })));
    assert.ok(vpc.error, "an existing VPC is refused on gcp");
  });
});
