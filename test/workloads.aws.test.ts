/**
 * The AWS platform on several workloads and named resources (issue 15): what the example
 * stacks/examples/Pulumi.aws-services.yaml registers under mocks (two routed public webs,
 * an internal web, a worker, a database, a bucket and a generated secret), and variants of
 * it: properties and links of the registered resources, the single service's migration
 * safety, hostile names, and the pack on the result.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { runWithMocks, type RegisteredResource } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { loadStackConfig, stackConfigWith } from "../automation/stackFiles";
import { reportUnhealthyCommand } from "../components/platforms/aws/workloads";
import { rulePriorities } from "../components/platforms/aws/routing";
import { renderCloudConfig } from "../components/bootstrap";
import { runPolicies, type StackResource } from "../policies/runner";
import { ns, runStack, type Program } from "./programQueries";
import { runOnVirtualClock } from "./watchdogClock";

const example = "stacks/examples/Pulumi.aws-services.yaml";

const T = {
  asg: "aws:autoscaling/group:Group",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  alb: "aws:lb/loadBalancer:LoadBalancer",
  tg: "aws:lb/targetGroup:TargetGroup",
  listener: "aws:lb/listener:Listener",
  rule: "aws:lb/listenerRule:ListenerRule",
  listenerCert: "aws:lb/listenerCertificate:ListenerCertificate",
  cert: "aws:acm/certificate:Certificate",
  record: "aws:route53/record:Record",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  password: "random:index/randomPassword:RandomPassword",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  rds: "aws:rds/instance:Instance",
  identity: "pulumi-nodejs:dynamic:Resource",
  bucket: "aws:s3/bucket:Bucket",
  subnet: "aws:ec2/subnet:Subnet",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  cache: "aws:elasticache/replicationGroup:ReplicationGroup",
} as const;

/** The one resource of `type` named exactly `name`. */
function named(p: Program, type: string, name: string): RegisteredResource {
  const found = p.all(type).filter((r) => r.name === name);
  assert.equal(found.length, 1, `expected one ${type} named ${name}, found ${p.all(type).map((r) => r.name).join(", ") || "none"}`);
  return found[0];
}

/** The user data of a workload's launch template, exactly as cloud-init reads it. */
function rawUserData(p: Program, logical: string): string {
  return Buffer.from(named(p, T.lt, `${logical}-node`).inputs.userData, "base64").toString("utf8");
}

/** A node's files (path -> decoded content). */
function files(p: Program, logical: string): Record<string, string> {
  const config = parse(rawUserData(p, logical), { version: "1.1" }) as { write_files: { path: string; content: string }[] };
  return Object.fromEntries(config.write_files.map((f) => [f.path, Buffer.from(f.content, "base64").toString("utf8")]));
}

/** A node's plain environment (app.env) as a map. */
function appEnv(p: Program, logical: string): Record<string, string> {
  return Object.fromEntries(files(p, logical)["/etc/ha-topology/app.env"].trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

/** The secret reads of a node's fetch script: secret ID -> fields mapping (null: every field). */
function secretReads(p: Program, logical: string): Map<string, Record<string, string> | null> {
  const script = files(p, logical)["/usr/local/sbin/ha-topology-fetch-secrets"];
  const out = new Map<string, Record<string, string> | null>();
  for (const m of script.matchAll(/^fetch_source '[^']*' '[^']*--secret-id (\S+) [^']*' '([^']*)'$/gm)) out.set(m[1], JSON.parse(m[2]));
  return out;
}

/** The IAM statements of a workload's node role. */
function statements(p: Program, logical: string): { sid: string; actions: string[]; resources: string[] }[] {
  return JSON.parse(named(p, T.rolePolicy, `${logical}-node`).inputs.policy).statements;
}

/** The mocked ARN of a Secrets Manager secret. */
const secretArn = (name: string) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`;

/** The security group IDs the ingress rules of `group` admit. */
function admitted(p: Program, group: RegisteredResource): string[] {
  return p.all(T.ingress).filter((r) => r.inputs.securityGroupId === p.id(group)).map((r) => r.inputs.referencedSecurityGroupId ?? r.inputs.cidrIpv4).sort();
}

/** The example's workloads, to patch one of them. */
function exampleWorkloads(): Record<string, Record<string, unknown>> {
  return JSON.parse(loadStackConfig(example).values["ha-topology:workloads"]);
}

describe("AWS platform: the several-workloads example", function () {
  let p: Program;
  before(async function () {
    p = await runStack(example);
  });

  it("parents every resource to the HaService component", function () {
    p.assertAllUnderService();
  });

  it("gives every workload its own autoscaling group, launch template, role and security group, tagged with its role", function () {
    const roles: Record<string, string> = { storefront: "web", api: "web", discovery: "internal", jobs: "worker" };
    for (const [workload, role] of Object.entries(roles)) {
      const logical = `web-${workload}`;
      const asg = named(p, T.asg, `${logical}-nodes`);
      const lt = named(p, T.lt, `${logical}-node`);
      assert.ok(p.links(asg, "launchTemplate", lt), `${workload}: its group runs its own template`);
      assert.deepEqual(asg.inputs.tags.find((t: { key: string }) => t.key === "ha-topology:role"), { key: "ha-topology:role", value: role, propagateAtLaunch: true }, workload);
      assert.equal(lt.inputs.tagSpecifications.find((s: { resourceType: string }) => s.resourceType === "instance").tags["ha-topology:role"], role, workload);
      const sg = named(p, T.sg, `${logical}-nodes`);
      assert.deepEqual(lt.inputs.vpcSecurityGroupIds, [p.id(sg)], `${workload}: its nodes are in its own security group`);
      assert.ok(p.links(lt, "iamInstanceProfile", named(p, "aws:iam/instanceProfile:InstanceProfile", `${logical}-node`)), workload);
    }
    assert.equal(p.all(T.asg).length, 4, "one group per workload, nothing else");
  });

  it("spreads each group over the private subnets of two zones, with its own count and ceiling", function () {
    const privates = p.all(T.subnet).filter((s) => s.name.includes("private"));
    for (const [workload, min, max] of [["storefront", 2, 4], ["api", 2, 6], ["discovery", 2, 4], ["jobs", 2, 4]] as const) {
      const asg = named(p, T.asg, `web-${workload}-nodes`);
      assert.deepEqual(asg.inputs.vpcZoneIdentifiers, privates.map((s) => p.id(s)), workload);
      assert.equal(asg.inputs.minSize, min, workload);
      assert.equal(asg.inputs.maxSize, max, workload);
    }
  });

  it("routes the public webs on the one ALB: / is the listener's default, /api a host and path rule", function () {
    const albs = p.all(T.alb);
    const alb = named(p, T.alb, "web-alb");
    assert.equal(alb.inputs.internal, false);
    assert.equal(albs.filter((a) => a.inputs.internal === false).length, 1, "one public load balancer");
    const https = named(p, T.listener, "web-https");
    assert.deepEqual(https.inputs.defaultActions, [{ type: "forward", targetGroupArn: named(p, T.tg, "web-storefront-tg").outputs.arn }]);
    const rule = named(p, T.rule, "web-api-route");
    assert.ok(p.links(rule, "listenerArn", https));
    assert.deepEqual(rule.inputs.conditions, [{ hostHeader: { values: ["shop.example.com"] } }, { pathPattern: { values: ["/api", "/api/*"] } }]);
    assert.deepEqual(rule.inputs.actions, [{ type: "forward", targetGroupArn: named(p, T.tg, "web-api-tg").outputs.arn }]);
    assert.ok(p.links(named(p, T.asg, "web-api-nodes"), "targetGroupArns", named(p, T.tg, "web-api-tg")));
    assert.ok(p.links(named(p, T.asg, "web-storefront-nodes"), "targetGroupArns", named(p, T.tg, "web-storefront-tg")));
    assert.equal(p.outputs.workloads.api.url, "https://shop.example.com/api");
    assert.equal(p.outputs.workloads.storefront.url, "https://shop.example.com");
  });

  it("lets the ALB reach each public web's app port only", function () {
    const lb = named(p, T.sg, "web-lb");
    for (const workload of ["storefront", "api"]) {
      assert.deepEqual(admitted(p, named(p, T.sg, `web-${workload}-nodes`)), [p.id(lb)], workload);
      const rule = named(p, T.ingress, `web-${workload}_from_lb-in`);
      assert.equal(rule.inputs.fromPort, 8080);
    }
  });

  it("puts the internal web behind its own internal ALB in the private subnets, admitting only the other workloads' nodes", function () {
    const alb = named(p, T.alb, "web-discovery-alb");
    assert.equal(alb.inputs.internal, true);
    const privates = p.all(T.subnet).filter((s) => s.name.includes("private"));
    assert.deepEqual(alb.inputs.subnets, privates.map((s) => p.id(s)));
    const lbGroup = named(p, T.sg, "web-discovery-lb");
    assert.deepEqual(alb.inputs.securityGroups, [p.id(lbGroup)]);
    const others = ["api", "jobs", "storefront"].map((w) => p.id(named(p, T.sg, `web-${w}-nodes`))).sort();
    assert.deepEqual(admitted(p, lbGroup), others);
    const listener = named(p, T.listener, "web-discovery-http");
    assert.equal(listener.inputs.port, 80);
    assert.deepEqual(listener.inputs.defaultActions, [{ type: "forward", targetGroupArn: named(p, T.tg, "web-discovery-tg").outputs.arn }]);
    // Its nodes admit the internal ALB, nothing else.
    assert.deepEqual(admitted(p, named(p, T.sg, "web-discovery-nodes")), [p.id(lbGroup)]);
    assert.ok(p.links(named(p, T.asg, "web-discovery-nodes"), "targetGroupArns", named(p, T.tg, "web-discovery-tg")));
  });

  it("gives the internal web's URL to every other workload as DISCOVERY_URL", function () {
    const url = `http://${named(p, T.alb, "web-discovery-alb").outputs.dnsName}`;
    for (const workload of ["storefront", "api", "jobs"]) assert.equal(appEnv(p, `web-${workload}`).DISCOVERY_URL, url, workload);
    assert.equal(appEnv(p, "web-discovery").DISCOVERY_URL, undefined);
    assert.equal(p.outputs.workloads.discovery.url, url);
  });

  it("runs the worker without a load balancer, with its command and its stop timeout", function () {
    const asg = named(p, T.asg, "web-jobs-nodes");
    assert.deepEqual(asg.inputs.targetGroupArns, []);
    assert.equal(asg.inputs.minElbCapacity, undefined);
    assert.equal(asg.inputs.healthCheckType, "EC2");
    assert.deepEqual(admitted(p, named(p, T.sg, "web-jobs-nodes")), [], "nothing may connect to a worker");
    const f = files(p, "web-jobs");
    const run = f["/usr/local/sbin/ha-topology-run-app"];
    assert.match(run, /--stop-timeout 120 .* busybox:1\.36 'sh' '-c' 'while true; do date; sleep 60; done'\n/);
    assert.doesNotMatch(run, / -p /, "a worker publishes no port");
    assert.match(f["/etc/systemd/system/ha-topology-app.service"], /ExecStop=\/usr\/bin\/docker stop --time 120 /);
    // No port to check: its watchdog watches the container's process (running, not restarting).
    const watchdog = f["/usr/local/sbin/ha-topology-liveness"];
    assert.match(watchdog, /^unit='ha-topology-app\.service'$/m);
    assert.doesNotMatch(watchdog, /127\.0\.0\.1/);
    assert.match(watchdog, /set-instance-health --region us-east-1 --instance-id "\$id" --health-status Unhealthy/);
    assert.match(watchdog, /complete-lifecycle-action --region us-east-1 --lifecycle-hook-name ha-topology-ready/);
    assert.equal(appEnv(p, "web-jobs").PORT, undefined);
    assert.equal(p.outputs.workloads.jobs.kind, "worker");
  });

  it("checks readiness at the load balancer and replaces a node only on its liveness", function () {
    assert.equal(named(p, T.tg, "web-api-tg").inputs.healthCheck.path, "/api/ready");
    const asg = named(p, T.asg, "web-api-nodes");
    assert.equal(asg.inputs.healthCheckType, "EC2", "a failing readiness check must not replace the node");
    const watchdog = files(p, "web-api")["/usr/local/sbin/ha-topology-liveness"];
    assert.match(watchdog, /^url='http:\/\/127\.0\.0\.1:8080\/api\/health'$/m);
    assert.match(watchdog, /^threshold=5$/m);
    assert.match(watchdog, /^rest=\$\(\( 180 - \$\(elapsed\) \)\)$/m, "not before the grace period");
    // A new node joins (leaves Pending:Wait) only once its readiness path answers.
    assert.match(watchdog, /^  ready_url='http:\/\/127\.0\.0\.1:8080\/api\/ready'$/m);
    assert.match(watchdog, /aws autoscaling complete-lifecycle-action --region us-east-1 --lifecycle-hook-name ha-topology-ready --auto-scaling-group-name "\$group" --instance-id "\$id" --lifecycle-action-result CONTINUE/);
    assert.deepEqual(asg.inputs.initialLifecycleHooks, [{ name: "ha-topology-ready", lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING", defaultResult: "ABANDON", heartbeatTimeout: 180 }]);
    assert.equal(named(p, T.lt, "web-api-node").inputs.metadataOptions.instanceMetadataTags, "enabled");
    // Also its own resource: the provider applies initial hooks only when it creates a group,
    // so a group made before the hook existed gets it from there.
    for (const workload of ["api", "jobs"]) {
      const hook = named(p, "aws:autoscaling/lifecycleHook:LifecycleHook", `web-${workload}-ready`);
      const group = named(p, T.asg, `web-${workload}-nodes`);
      assert.ok(p.links(hook, "autoscalingGroupName", group), `the hook of ${workload} is on its group`);
      const { autoscalingGroupName: _group, ...settings } = hook.inputs;
      assert.deepEqual(settings, group.inputs.initialLifecycleHooks[0]);
    }
    // A worker joins once its container has stayed up (the same hook, within the default grace period).
    assert.deepEqual(named(p, T.asg, "web-jobs-nodes").inputs.initialLifecycleHooks, [{ name: "ha-topology-ready", lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING", defaultResult: "ABANDON", heartbeatTimeout: 180 }]);
    assert.match(watchdog, /aws autoscaling set-instance-health --region us-east-1 --instance-id "\$id" --health-status Unhealthy/);
    assert.match(watchdog, /X-aws-ec2-metadata-token/, "the instance ID comes from IMDSv2");
    assert.ok(rawUserData(p, "web-api").includes("ha-topology-liveness.service"));
    // It may mark unhealthy the nodes of its own group, and no other.
    const liveness = named(p, T.rolePolicy, "web-api-liveness");
    assert.deepEqual(JSON.parse(liveness.inputs.policy).statements, [
      { sid: "ReportOwnLiveness", actions: ["autoscaling:SetInstanceHealth"], resources: [asg.outputs.arn] },
      { sid: "CompleteOwnLaunch", actions: ["autoscaling:CompleteLifecycleAction"], resources: [asg.outputs.arn] },
    ]);
    assert.ok(p.links(liveness, "role", named(p, "aws:iam/role:Role", "web-api-node")));
    // The liveness path defaults to the readiness path.
    assert.match(files(p, "web-storefront")["/usr/local/sbin/ha-topology-liveness"], /^url='http:\/\/127\.0\.0\.1:8080\/health'$/m);
    assert.equal(p.all(T.rolePolicy).filter((r) => r.name.endsWith("-liveness")).length, 4, "every workload of the maps, the worker too");
    assert.deepEqual(JSON.parse(named(p, T.rolePolicy, "web-jobs-liveness").inputs.policy).statements.map((x: { resources: string[] }) => x.resources), [[named(p, T.asg, "web-jobs-nodes").outputs.arn], [named(p, T.asg, "web-jobs-nodes").outputs.arn]]);
  });

  it("generates the secret resource once, protected, letters and digits only, kept in Secrets Manager", function () {
    const passwords = p.all(T.password).filter((r) => !r.name.endsWith("-db"));
    assert.deepEqual(passwords.map((r) => r.name), ["web-secret-key"]);
    const password = passwords[0];
    assert.equal(password.inputs.length, 48);
    assert.equal(password.inputs.special, false);
    assert.equal(password.protect, true);
    const version = named(p, T.secretVersion, "web-secret-key-secret");
    assert.ok(p.links(version, "secretString", password));
    assert.deepEqual(JSON.parse(version.inputs.secretString), { value: "P".repeat(48) });
    assert.ok(JSON.stringify(version.rawInputs.secretString).includes(pulumi.runtime.specialSecretSig), "stored as a secret");
    assert.deepEqual(version.replaceOnChanges, ["secretString"], "a new value is a new version");
  });

  it("delivers that secret to every node of every workload that uses it, from the one secret, and to no other", function () {
    const arn = secretArn("web-secret-key-secret");
    for (const workload of ["storefront", "api", "jobs"]) {
      assert.deepEqual(secretReads(p, `web-${workload}`).get(arn), { value: "SECRET_KEY" }, workload);
      assert.ok(statements(p, `web-${workload}`).find((s) => s.sid === "ReadOwnSecrets")!.resources.includes(arn), workload);
    }
    assert.equal(secretReads(p, "web-discovery").has(arn), false);
    assert.ok(!statements(p, "web-discovery").find((s) => s.sid === "ReadOwnSecrets")!.resources.includes(arn));
  });

  it("binds DB_* and FILES_* and renders ${resources.db.url} into DATABASE_URL, secret", function () {
    const env = appEnv(p, "web-api");
    const host = named(p, T.rds, "web-db-db").outputs.address;
    assert.deepEqual({ ...env, DISCOVERY_URL: undefined, FILES_BUCKET: undefined }, {
      APP_VERSION: "v1.10.1", DB_ENGINE: "postgres", DB_HOST: host, DB_NAME: "app", DB_PORT: "5432", DISCOVERY_URL: undefined,
      FILES_BUCKET: undefined, FILES_ENDPOINT: "https://s3.us-east-1.amazonaws.com", FILES_REGION: "us-east-1", PORT: "8080", TRUSTED_PROXY_HOPS: "1", WHOAMI_PORT_NUMBER: "8080",
    });
    assert.equal(env.FILES_BUCKET, named(p, T.bucket, "web-files-files").outputs.bucket);
    assert.deepEqual(secretReads(p, "web-api").get(secretArn("web-db-db-credentials")), { username: "DB_USER", password: "DB_PASSWORD" });
    const url = `postgresql://app:${"P".repeat(43)}@${host}:5432/app?sslmode=require`;
    const own = named(p, T.secretVersion, "web-api-env");
    assert.deepEqual(JSON.parse(own.inputs.secretString), { DB_URL: url, DATABASE_URL: url });
    assert.equal(secretReads(p, "web-api").get(secretArn("web-api-env")), null);
    assert.ok(JSON.stringify(own.rawInputs.secretString).includes(pulumi.runtime.specialSecretSig));
  });

  it("keeps every secret value out of every plain user data", function () {
    for (const lt of p.all(T.lt)) {
      const text = Buffer.from(lt.inputs.userData, "base64").toString("utf8");
      const decoded = Object.values(files(p, lt.name.replace(/-node$/, ""))).join("\n");
      for (const secret of ["P".repeat(43), "P".repeat(48), "postgresql://"]) {
        assert.ok(!text.includes(secret) && !decoded.includes(secret), `${lt.name} holds a secret value`);
      }
    }
  });

  it("gives a workload no network path and no IAM grant to a resource it does not use", function () {
    const db = named(p, T.sg, "web-db-db");
    const users = ["api", "discovery", "jobs"].map((w) => p.id(named(p, T.sg, `web-${w}-nodes`))).sort();
    assert.deepEqual(admitted(p, db), users, "the database admits its users' nodes only");
    const storefront = named(p, T.sg, "web-storefront-nodes");
    assert.deepEqual(p.all(T.egress).filter((r) => r.inputs.securityGroupId === p.id(storefront) && r.inputs.referencedSecurityGroupId === p.id(db)), []);
    const own = statements(p, "web-storefront");
    assert.equal(own.find((s) => s.sid === "ListOwnBucket"), undefined, "storefront does not use the bucket");
    assert.ok(!own.find((s) => s.sid === "ReadOwnSecrets")!.resources.includes(secretArn("web-db-db-credentials")));
    assert.equal(Object.keys(appEnv(p, "web-storefront")).filter((k) => k.startsWith("DB_") || k.startsWith("FILES_")).length, 0);
    assert.equal(statements(p, "web-discovery").find((s) => s.sid === "ListOwnBucket"), undefined, "discovery does not use the bucket");
    const bucketArn = named(p, T.bucket, "web-files-files").outputs.arn;
    assert.deepEqual(statements(p, "web-jobs").find((s) => s.sid === "ListOwnBucket")!.resources, [bucketArn]);
  });

  it("ships each workload's output to its own log group, and lets its nodes write there only", function () {
    for (const workload of ["storefront", "api", "discovery", "jobs"]) {
      const group = named(p, T.logGroup, `web-${workload}-logs`);
      assert.equal(group.inputs.name, `/ha-topology/test/web-${workload}`);
      assert.equal(group.retainOnDelete, true);
      assert.deepEqual(statements(p, `web-${workload}`).find((s) => s.sid === "WriteOwnLogs")!.resources, [`${group.outputs.arn}:*`]);
      assert.match(files(p, `web-${workload}`)["/usr/local/sbin/ha-topology-run-app"], new RegExp(`--log-opt awslogs-group=/ha-topology/test/web-${workload} `));
    }
  });

  it("produces user data that `cloud-init schema` accepts, for every workload", function () {
    if (spawnSync("cloud-init", ["--version"]).error) {
      console.log("      (skipped: cloud-init is not installed; .ci/run installs it with apt-get)");
      this.skip();
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-aws-workloads-"));
    for (const lt of p.all(T.lt)) {
      const file = path.join(dir, `${lt.name}.yaml`);
      fs.writeFileSync(file, Buffer.from(lt.inputs.userData, "base64").toString("utf8"));
      const result = spawnSync("cloud-init", ["schema", "--config-file", file], { encoding: "utf8" });
      assert.equal(result.status, 0, `${lt.name}: ${result.stdout}\n${result.stderr}`);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("registers no alarm without alarms.email, and none for the single service it does not have", function () {
    assert.deepEqual(p.all(T.alarm), []);
  });
});

describe("AWS platform: alarms", function () {
  it("alarms on each public web workload's ready nodes when alarms.email is set", async function () {
    const p = await runStack(example, { alarms: { email: "oncall@example.com" } });
    const alarms = p.all(T.alarm);
    assert.deepEqual(alarms.map((a) => a.name).sort(), ["web-api-healthy-nodes", "web-storefront-healthy-nodes"]);
    for (const workload of ["storefront", "api"]) {
      const alarm = named(p, T.alarm, `web-${workload}-healthy-nodes`);
      assert.equal(alarm.inputs.dimensions.TargetGroup, named(p, T.tg, `web-${workload}-tg`).outputs.arnSuffix);
      assert.equal(alarm.inputs.dimensions.LoadBalancer, named(p, T.alb, "web-alb").outputs.arnSuffix);
      assert.equal(alarm.inputs.threshold, 2);
      assert.equal(alarm.inputs.metricName, "HealthyHostCount");
      assert.ok(p.links(alarm, "alarmActions", named(p, "aws:sns/topic:Topic", "web-alarms")));
    }
    assert.equal(named(p, "aws:sns/topicSubscription:TopicSubscription", "web-alarms-email").inputs.endpoint, "oncall@example.com");
  });

  it("keeps the single service's alarms by their names, and adds the workloads' beside them", async function () {
    const p = await runStack("aws", { alarms: { email: "oncall@example.com" }, workloads: { api: { kind: "web", image: "traefik/whoami:v1.10.1", port: 8080, path: "/api" } } });
    const names = p.all(T.alarm).map((a) => a.name).sort();
    assert.deepEqual(names, ["web-api-healthy-nodes", "web-app-5xx", "web-healthy-nodes", "web-lb-5xx", "web-unhealthy-nodes"]);
    assert.equal(p.all("aws:sns/topic:Topic").length, 1, "one topic");
  });
});

describe("AWS platform: the liveness watchdog on a node", function () {
  /**
   * Runs the watchdog script of a rendered user data for `seconds` of its virtual clock
   * (watchdogClock.ts), with a fake curl that answers `curlStatus` (0: the app answers);
   * says whether it told the cloud the node is ready and whether it reported it unhealthy.
   */
  async function runWatchdog(curlStatus: number, seconds: number, gate: boolean, until?: "ready" | "reported", worker?: { restarting: boolean }): Promise<{ ready: boolean; reported: boolean; log: string }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-watchdog-"));
    const text = renderCloudConfig({
      image: "traefik/whoami:v1.10.1", ...(!worker && { port: 8080 }), env: {}, secretSources: [], stopTimeoutSeconds: 30, packages: [],
      livenessWatchdog: {
        ...(!worker && { path: "/api/health" }), intervalSeconds: 1, timeoutSeconds: 1, unhealthyThreshold: 2, startDelaySeconds: gate ? 2 : 0, reportCommand: `touch ${dir}/reported`,
        ...(gate && { readiness: { ...(!worker && { path: "/api/ready" }), healthyThreshold: 2, readyCommand: `touch ${dir}/ready` } }),
      },
    });
    // A fake systemctl: the app unit is active; its restart count grows at every look when the container crash-loops.
    fs.writeFileSync(path.join(dir, "systemctl"), [
      "#!/bin/bash",
      `case "$1" in is-active) echo active ;; show) n=$(cat ${dir}/restarts 2>/dev/null || echo 0); ${worker?.restarting ? `n=$((n + 1)); echo $n > ${dir}/restarts;` : ""} echo $n ;; esac`,
      "",
    ].join("\n"), { mode: 0o700 });
    const config = parse(text, { version: "1.1" }) as { write_files: { path: string; content: string }[] };
    // The script as written to the node, its once-per-boot marker moved into the test's directory.
    const script = Buffer.from(config.write_files.find((f) => f.path === "/usr/local/sbin/ha-topology-liveness")!.content, "base64").toString("utf8").replace("'/run/ha-topology/ready'", `'${dir}/marker'`);
    fs.writeFileSync(path.join(dir, "watchdog"), script, { mode: 0o700 });
    fs.writeFileSync(path.join(dir, "curl"), `#!/bin/bash\nexit ${curlStatus}\n`, { mode: 0o700 });
    // What must happen is waited for (up to a generous 15 s of the script's clock); what must
    // not happen is watched for `seconds` of it.
    const { log } = await runOnVirtualClock(dir, path.join(dir, "watchdog"), until ? 15 : seconds, () => until !== undefined && fs.existsSync(`${dir}/${until}`));
    const result = { ready: fs.existsSync(`${dir}/ready`), reported: fs.existsSync(`${dir}/reported`), log };
    fs.rmSync(dir, { recursive: true, force: true });
    return result;
  }

  it("reports its node unhealthy after the threshold of consecutive failures, and never while the app answers", async function () {
    this.timeout(40000);
    const failing = await runWatchdog(7, 4, false, "reported");
    assert.equal(failing.reported, true, failing.log);
    assert.match(failing.log, /liveness check of http:\/\/127\.0\.0\.1:8080\/api\/health failed \(2\/2\)/);
    const healthy = await runWatchdog(0, 3, false);
    assert.equal(healthy.reported, false, healthy.log);
  });

  it("lets a new node join once its app is ready, and a node whose app never is does not join and is reported after the grace period", async function () {
    this.timeout(40000);
    const healthy = await runWatchdog(0, 4, true, "ready");
    assert.deepEqual({ ready: healthy.ready, reported: healthy.reported }, { ready: true, reported: false }, healthy.log);
    const failing = await runWatchdog(7, 6, true, "reported");
    assert.deepEqual({ ready: failing.ready, reported: failing.reported }, { ready: false, reported: true }, failing.log);
    assert.match(failing.log, /was not ready within 2 seconds/);
  });

  it("a worker's node joins once its container stays up, and one whose container keeps restarting never joins and is reported", async function () {
    this.timeout(40000);
    const steady = await runWatchdog(0, 4, true, "ready", { restarting: false });
    assert.deepEqual({ ready: steady.ready, reported: steady.reported }, { ready: true, reported: false }, steady.log);
    const looping = await runWatchdog(0, 6, true, "reported", { restarting: true });
    assert.deepEqual({ ready: looping.ready, reported: looping.reported }, { ready: false, reported: true }, looping.log);
    assert.match(looping.log, /liveness check of the app's container \(ha-topology-app\.service\) failed \(2\/2\)/);
    // Without the gate (a running worker): quiet while it runs, reported once it loops.
    assert.equal((await runWatchdog(0, 3, false, undefined, { restarting: false })).reported, false);
    assert.equal((await runWatchdog(0, 4, false, "reported", { restarting: true })).reported, true);
  });

  it("carries the region in the report command only when it is a plain region name", function () {
    assert.match(reportUnhealthyCommand("eu-west-1"), /--region eu-west-1 /);
    assert.throws(() => reportUnhealthyCommand("eu-west-1; reboot"), /is not one a shell command may carry/);
  });
});

describe("AWS platform: routes and certificates", function () {
  it("gives each route a priority of its own that other routes coming and going never change, deeper paths first", async function () {
    const d = "shop.example.com";
    const base = rulePriorities([{ host: d, path: "/api" }, { host: d, path: "/" }, { host: "x.example.org", path: "/" }]);
    const more = rulePriorities([{ host: d, path: "/api" }, { host: d, path: "/" }, { host: "x.example.org", path: "/" }, { host: d, path: "/api/v2" }, { host: d, path: "/docs" }]);
    for (const [key, priority] of base) assert.equal(more.get(key), priority, key);
    assert.ok(more.get(`${d}/api/v2`)! < more.get(`${d}/api`)!, "a deeper path is evaluated first");
    assert.ok(more.get(`${d}/api`)! < more.get(`${d}/`)!);
    assert.equal(new Set(more.values()).size, more.size, "no two rules share a priority");
    for (const priority of more.values()) assert.ok(priority >= 1 && priority <= 50000);

    // On the program: a new route leaves the others' rules as they were.
    const before = await runStack(example);
    const after = await runStack(example, { workloads: { v2: { kind: "web", image: "traefik/whoami:v1.10.1", port: 8080, path: "/api/v2", uses: [] } } });
    assert.equal(named(after, T.rule, "web-api-route").inputs.priority, named(before, T.rule, "web-api-route").inputs.priority);
    assert.ok(named(after, T.rule, "web-v2-route").inputs.priority < named(after, T.rule, "web-api-route").inputs.priority);
  });

  it("answers 404 when no web workload serves / on the domain", async function () {
    const p = await runStack(example, { workloads: { storefront: { path: "/shop" } } });
    assert.deepEqual(named(p, T.listener, "web-https").inputs.defaultActions, [
      { type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Not found" } },
    ]);
    assert.deepEqual(named(p, T.rule, "web-storefront-route").inputs.conditions[1], { pathPattern: { values: ["/shop", "/shop/*"] } });
  });

  it("gives an extra host a certificate of its own beside the domain's, whose domains never change", async function () {
    const p = await runStack(example, { workloads: { api: { host: "api.example.org", path: undefined } } });
    assert.equal(named(p, T.cert, "web-cert").inputs.domainName, "shop.example.com");
    assert.deepEqual(named(p, T.cert, "web-cert").inputs.subjectAlternativeNames, undefined);
    const extra = named(p, T.cert, "web-cert-api.example.org");
    assert.equal(extra.inputs.domainName, "api.example.org");
    const attached = named(p, T.listenerCert, "web-cert-api.example.org");
    assert.ok(p.links(attached, "listenerArn", named(p, T.listener, "web-https")));
    assert.ok(p.links(attached, "certificateArn", named(p, "aws:acm/certificateValidation:CertificateValidation", "web-cert-api.example.org")));
    assert.deepEqual(named(p, T.rule, "web-api-route").inputs.conditions, [{ hostHeader: { values: ["api.example.org"] } }]);
    const records = p.outputs.dnsRecords as { name: string; type: string }[];
    assert.ok(records.some((r) => r.name === "api.example.org" && r.type === "CNAME"));
    assert.ok(records.some((r) => r.name === "_0123456789abcdef.api.example.org." && r.type === "CNAME"), "its validation record");
    assert.equal(p.outputs.workloads.api.url, "https://api.example.org");

    const zoned = await runStack(example, { workloads: { api: { host: "api.example.org", path: undefined } }, dns: { zone: "Z0123456789ABCDEFGHIJ" } });
    assert.equal(named(zoned, T.record, "web-domain-api.example.org").inputs.name, "api.example.org");
    assert.equal(named(zoned, T.record, "web-cert-validation-api.example.org").inputs.zoneId, "Z0123456789ABCDEFGHIJ");
    assert.deepEqual(zoned.outputs.dnsRecords, []);
  });
});

describe("AWS platform: resources", function () {
  it("registers no database for a topology without a sql resource", async function () {
    const workloads = exampleWorkloads();
    for (const w of Object.values(workloads)) {
      w.uses = (w.uses as string[]).filter((u) => u !== "db");
      // undefined deletes a key of the stack file (mergeConfig).
      if (w.env) (w.env as Record<string, string | undefined>).DATABASE_URL = undefined;
    }
    const p = await runStack(example, { workloads, resources: { db: undefined } });
    for (const type of [T.rds, "aws:rds/subnetGroup:SubnetGroup", "aws:rds/parameterGroup:ParameterGroup"]) assert.deepEqual(p.all(type), [], type);
    assert.deepEqual(p.run.resources.filter((r) => r.type.includes("DatabaseIdentity")), []);
    assert.equal(p.all(T.sg).filter((s) => s.name.endsWith("-db")).length, 0);
    assert.ok(!("db" in p.outputs.resources));
  });

  it("protects the data of every sql, bucket and secret resource", async function () {
    const p = await runStack(example, {
      resources: { reports: { kind: "sql", engine: "mysql", readReplicas: 1 }, archive: { kind: "bucket" } },
      workloads: { api: { uses: ["db", "files", "secret-key", "reports"] } },
    });
    for (const [sql, engine] of [["db", "postgres"], ["reports", "mysql"]] as const) {
      const db = named(p, T.rds, `web-${sql}-db`);
      assert.equal(db.protect, true, sql);
      assert.equal(db.inputs.engine, engine);
      assert.equal(db.inputs.deletionProtection, true);
      assert.equal(db.inputs.multiAz, true);
      assert.equal(db.inputs.skipFinalSnapshot, false);
      assert.equal(db.inputs.finalSnapshotIdentifier, `web-${sql}-db-final-0a1b2c3d`);
      assert.ok(db.inputs.backupRetentionPeriod >= 7);
      assert.equal(db.inputs.storageEncrypted, true);
      assert.equal(db.inputs.publiclyAccessible, false);
      const guard = p.run.resources.find((r) => r.name === `web-${sql}-db-identity`)!;
      assert.deepEqual(guard.inputs.keys, { [`ha-topology:resources.${sql}.name`]: "app", [`ha-topology:resources.${sql}.username`]: "app", [`ha-topology:resources.${sql}.engine`]: engine });
      assert.ok(db.dependencies.includes(guard.urn), `${sql} waits for its guard`);
    }
    for (const bucket of ["files", "archive"]) {
      assert.equal(named(p, T.bucket, `web-${bucket}-files`).protect, true, bucket);
      assert.equal(named(p, T.bucket, `web-${bucket}-files`).inputs.forceDestroy, false);
      assert.equal(named(p, "aws:s3/bucketVersioning:BucketVersioning", `web-${bucket}-files`).retainOnDelete, true);
      assert.equal(named(p, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `web-${bucket}-files`).retainOnDelete, true);
    }
    assert.equal(named(p, T.password, "web-secret-key").protect, true);
    // MySQL's URL and the replica's hosts reach the users too.
    assert.ok(appEnv(p, "web-api").REPORTS_READ_HOSTS);
    assert.match(JSON.parse(named(p, T.secretVersion, "web-api-env").inputs.secretString).REPORTS_URL, /^mysql:\/\/app:P{43}@[^:]+:3306\/app\?ssl-mode=REQUIRED$/);
  });

  it("adds a cache with its own security group, reached by the workloads that use it only", async function () {
    const workloads = exampleWorkloads();
    (workloads.jobs.uses as string[]).push("cache");
    const p = await runStack(example, { workloads, resources: { cache: { kind: "cache" } } });
    const store = named(p, T.cache, "web-cache-sessions");
    assert.equal(store.inputs.automaticFailoverEnabled, true);
    assert.equal(store.inputs.transitEncryptionEnabled, true);
    const sg = named(p, T.sg, "web-cache-sessions");
    assert.deepEqual(store.inputs.securityGroupIds, [p.id(sg)]);
    assert.deepEqual(admitted(p, sg), [p.id(named(p, T.sg, "web-jobs-nodes"))]);
    assert.equal(appEnv(p, "web-jobs").CACHE_URL, `rediss://${store.outputs.primaryEndpointAddress}:6379`);
    assert.equal(appEnv(p, "web-api").CACHE_URL, undefined);
  });

  it("rolls the nodes of every workload that uses a secret when its value changes, and only theirs", async function () {
    // AWS gives a new secret version a new ID; the mocks' ID is one constant, so here it
    // is derived from the content, as a new version's would differ.
    const runtime = pulumi.runtime as unknown as { setMocks: typeof pulumi.runtime.setMocks };
    const original = runtime.setMocks;
    runtime.setMocks = (mocks, ...rest) =>
      original({
        ...mocks,
        newResource(args) {
          const result = mocks.newResource(args) as { id: string; state: Record<string, unknown> };
          if (args.type === T.secretVersion) result.state.versionId = createHash("sha256").update(JSON.stringify(args.inputs)).digest("hex").slice(0, 32);
          return result;
        },
      }, ...rest);
    try {
      const before = await runStack(example);
      const after = await runStack(example, { resources: { "secret-key": { length: 49 } } });
      for (const workload of ["storefront", "api", "jobs"]) assert.notEqual(rawUserData(after, `web-${workload}`), rawUserData(before, `web-${workload}`), `${workload} must roll`);
      assert.equal(rawUserData(after, "web-discovery"), rawUserData(before, "web-discovery"), "discovery does not use the secret");
    } finally {
      runtime.setMocks = original;
    }
    // The user data pins the version that holds the value, so the new one is a new template version.
    const p = await runStack(example);
    const version = named(p, T.secretVersion, "web-secret-key-secret");
    assert.ok(p.links(named(p, T.lt, "web-storefront-node"), "userData", version));
    assert.match(files(p, "web-storefront")["/usr/local/sbin/ha-topology-fetch-secrets"], new RegExp(`--version-id ${version.outputs.versionId} `));
    assert.equal(named(p, T.asg, "web-storefront-nodes").inputs.launchTemplate.version, "1", "pinned to the template's latest version, never $Latest");
  });
});

describe("AWS platform: the single service beside the maps", function () {
  /** Every resource of a run by URN (the engine's, with the whole parent chain). */
  const byUrn = (run: { resources: RegisteredResource[] }) => new Map(run.resources.map((r) => [`${[...r.parents, r.type].join("$")}::${r.name}`, r]));

  it("keeps every URN and every input of the single service, user data included, when a worker is added", async function () {
    const legacy = await runWithMocks(loadStackConfig("aws"));
    const jobs = { kind: "worker", image: "busybox:1.36", command: ["sh", "-c", "sleep 3600"], count: 2 };
    const mixed = await runWithMocks(stackConfigWith("aws", ns({ workloads: { jobs } })));
    if (legacy.error || mixed.error) throw legacy.error ?? mixed.error;
    const before = byUrn(legacy);
    const after = byUrn(mixed);
    for (const [urn, r] of before) {
      assert.ok(after.has(urn), `${urn} is gone`);
      assert.deepEqual(after.get(urn)!.rawInputs, r.rawInputs, `${urn} changed`);
    }
    const added = [...after.keys()].filter((u) => !before.has(u));
    assert.ok(added.includes("ha-topology:index:HaService$ha-topology:aws:NodeGroup$aws:autoscaling/group:Group::web-jobs-nodes"));
    const p = await runStack("aws", { workloads: { jobs } });
    const env = appEnv(p, "web-jobs");
    // The single service's resources keep their variable names for the worker too.
    assert.equal(env.DATABASE_HOST, named(p, T.rds, "web-db").outputs.address);
    assert.equal(env.BUCKET_NAME, named(p, T.bucket, "web-files").outputs.bucket);
    assert.deepEqual(secretReads(p, "web-jobs").get(secretArn("web-db-credentials")), { username: "DATABASE_USER", password: "DATABASE_PASSWORD" });
    assert.deepEqual(admitted(p, named(p, T.sg, "web-db")).sort(), [p.id(named(p, T.sg, "web-jobs-nodes")), p.id(named(p, T.sg, "web-nodes"))].sort());
    assert.equal(named(p, T.asg, "web-nodes").inputs.healthCheckType, "ELB", "the single service keeps ELB health checks");
  });

  it("gives the single service the variables of a resource of the maps the new way, and changes nothing else of it", async function () {
    const legacy = await runWithMocks(loadStackConfig("aws"));
    const mixed = await runWithMocks(stackConfigWith("aws", ns({ resources: { reports: { kind: "sql" } } })));
    if (legacy.error || mixed.error) throw legacy.error ?? mixed.error;
    const after = byUrn(mixed);
    const changed = [...byUrn(legacy)].filter(([urn, r]) => JSON.stringify(after.get(urn)?.rawInputs) !== JSON.stringify(r.rawInputs)).map(([, r]) => r.name);
    assert.deepEqual(changed.sort(), ["web-node", "web-node"], "only the launch template (user data) and the role policy (the new secrets)");
    const p = await runStack("aws", { resources: { reports: { kind: "sql" } } });
    const env = appEnv(p, "web");
    assert.equal(env.REPORTS_HOST, named(p, T.rds, "web-reports-db").outputs.address);
    assert.equal(env.DATABASE_HOST, named(p, T.rds, "web-db").outputs.address);
    assert.deepEqual(secretReads(p, "web").get(secretArn("web-reports-db-credentials")), { username: "REPORTS_USER", password: "REPORTS_PASSWORD" });
    assert.ok(JSON.parse(named(p, T.secretVersion, "web-env").inputs.secretString).REPORTS_URL.startsWith("postgresql://app:"));
    assert.ok(admitted(p, named(p, T.sg, "web-reports-db")).includes(p.id(named(p, T.sg, "web-nodes"))));
  });
});

describe("AWS platform: app secrets and rewrites", function () {
  it("gives every workload the app secrets from the one Secrets Manager secret, never in its user data", async function () {
    const p = await runStack(example, { secrets: { API_KEY: "k-very-secret-value" } });
    const arn = secretArn("web-app-secrets");
    for (const workload of ["storefront", "api", "discovery", "jobs"]) {
      assert.equal(secretReads(p, `web-${workload}`).get(arn), null, workload);
      assert.ok(statements(p, `web-${workload}`).find((s) => s.sid === "ReadOwnSecrets")!.resources.includes(arn), workload);
      assert.ok(!rawUserData(p, `web-${workload}`).includes("k-very-secret-value") && !Object.values(files(p, `web-${workload}`)).join("").includes("k-very-secret-value"), workload);
    }
  });

  it("lets a workload pull its private ECR image, and no other workload", async function () {
    const image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/storefront:1.0";
    const p = await runStack(example, { workloads: { storefront: { image } } });
    const pull = statements(p, "web-storefront").find((s) => s.sid === "PullOwnImageRepository")!;
    assert.deepEqual(pull.resources, ["arn:aws:ecr:us-east-1:123456789012:repository/shop/storefront"]);
    assert.match(files(p, "web-storefront")["/usr/local/sbin/ha-topology-registry-login"], /^description='ECR 123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com'$/m);
    assert.equal(files(p, "web-api")["/usr/local/sbin/ha-topology-registry-login"], undefined);
    for (const workload of ["api", "discovery", "jobs"]) assert.equal(statements(p, `web-${workload}`).find((s) => s.sid === "PullOwnImageRepository"), undefined, workload);
  });

  it("keeps the URNs of the data, network and load balancer when a single-service stack is rewritten in the maps", async function () {
    const legacy = await runWithMocks(loadStackConfig("aws"));
    const rewritten = await runWithMocks(stackConfigWith("aws", ns({
      nodes: undefined, healthCheck: undefined, database: undefined, storage: undefined, sessions: undefined,
      workloads: { web: { kind: "web", image: "traefik/whoami:v1.10.1", port: 8080 } },
      resources: { database: { kind: "sql" }, bucket: { kind: "bucket" } },
    })));
    if (legacy.error || rewritten.error) throw legacy.error ?? rewritten.error;
    const urn = (r: RegisteredResource) => `${[...r.parents, r.type].join("$")}::${r.name}`;
    const after = new Set(rewritten.resources.map(urn));
    const kept = [T.rds, T.bucket, "aws:ec2/vpc:Vpc", T.alb, T.cert, T.tg, T.asg, "aws:secretsmanager/secret:Secret", T.logGroup];
    for (const r of legacy.resources.filter((x) => kept.includes(x.type))) assert.ok(after.has(urn(r)), `${r.type} ${r.name} would be replaced`);
    assert.equal(after.size, rewritten.resources.length, "no two resources share a URN");
  });
});

describe("AWS platform: hostile names", function () {
  it("keeps names that look like the platform's own (db, nodes, lb, node, alb, tg) apart from everything", async function () {
    const image = "traefik/whoami:v1.10.1";
    const workloads = {
      db: { kind: "worker", image, command: ["sleep", "1"] },
      nodes: { kind: "web", image, port: 8080, path: "/nodes" },
      lb: { kind: "web", image, port: 8080, public: false },
      node: { kind: "worker", image, command: ["sleep", "1"] },
    };
    const resources = { alb: { kind: "bucket" }, tg: { kind: "secret" }, cert: { kind: "sql" } };
    const legacy = await runWithMocks(loadStackConfig("aws"));
    const run = await runWithMocks(stackConfigWith("aws", ns({ workloads, resources, sessions: { enabled: true } })));
    if (legacy.error || run.error) throw legacy.error ?? run.error;
    const urns = run.resources.map((r) => `${[...r.parents, r.type].join("$")}::${r.name}`);
    assert.equal(new Set(urns).size, urns.length, `two resources share a URN: ${urns.filter((u, i) => urns.indexOf(u) !== i).join(", ")}`);
    for (const r of legacy.resources) assert.ok(urns.includes(`${[...r.parents, r.type].join("$")}::${r.name}`), `${r.name} is gone`);
  });

  it("refuses a single-service name used as another kind", async function () {
    const run = await runWithMocks(stackConfigWith(example, ns({ resources: { sessions: { kind: "secret" } } })));
    assert.match(String(run.error), /ha-topology:resources\.sessions\.kind: received "secret"; allowed: cache/);
    assert.deepEqual(run.resources, []);
  });

  it("fits 20-character names into AWS's name limits", async function () {
    const long = "abcdefghij-klmnopq-r";
    const renamed = Object.entries(exampleWorkloads()).map(([k, w]) => [k, `${k}-${long}`.slice(0, 20).replace(/-$/, "x"), w] as const);
    // The old names deleted (undefined), the long ones added.
    const workloads = Object.fromEntries(renamed.flatMap(([k, long, w]) => [[k, undefined], [long, w]]));
    const p = await runStack(example, { name: "stack-name-of-twenty", workloads, resources: { "cache-abcdefghijklmn": { kind: "cache" } } });
    // Pulumi names these <logical name>-<7 random characters>: ALBs and target groups 32 at most, replication groups 40, IAM roles 64.
    for (const [type, max] of [[T.alb, 32], [T.tg, 32], [T.cache, 40], ["aws:iam/role:Role", 64], ["aws:iam/instanceProfile:InstanceProfile", 128], [T.lt, 128]] as const) {
      assert.ok(p.all(type).length > 0, type);
      for (const r of p.all(type)) assert.ok(r.name.length + 8 <= max, `${type} ${r.name}: ${r.name.length + 8} > ${max}`);
    }
    for (const g of p.all(T.logGroup)) assert.ok(g.inputs.name.length <= 512);
    assert.equal(new Set(p.all(T.tg).map((r) => r.name)).size, p.all(T.tg).length);
  });

  it("gives two stacks of one project names of their own", async function () {
    const config = loadStackConfig(example);
    const one = await runWithMocks(config, { stack: "prod" });
    const two = await runWithMocks(config, { stack: "staging" });
    if (one.error || two.error) throw one.error ?? two.error;
    // The only names given explicitly (the others are Pulumi's, with a random suffix): log
    // groups. A lifecycle hook's name is its group's own (each group has its one readiness hook).
    const scopedToParent = new Set(["aws:autoscaling/lifecycleHook:LifecycleHook"]);
    const explicit = (run: typeof one) => run.resources.filter((r) => r.custom && typeof r.inputs.name === "string" && !scopedToParent.has(r.type)).map((r) => `${r.type} ${r.inputs.name}`);
    assert.ok(explicit(one).length >= 4);
    const shared = explicit(one).filter((n) => explicit(two).includes(n));
    assert.deepEqual(shared, []);
  });
});

describe("AWS platform: the pack on the example", function () {
  let resources: StackResource[];
  before(async function () {
    const run = await runWithMocks(loadStackConfig(example));
    if (run.error) throw run.error;
    resources = stackResources(run);
  });

  it("finds no mandatory violation, and judges every rule it should", async function () {
    const report = await runPolicies(resources);
    assert.deepEqual(report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.message}`), []);
    for (const policy of ["min-nodes", "nodes-autoheal", "lb-https-only", "database-replicated", "storage-private", "nodes-span-zones"]) {
      assert.ok(!report.notApplicable.some((n) => n.policy === policy), `${policy} judged nothing`);
    }
  });

  it("judges the worker as a worker: by its nodes, never for a missing load balancer", async function () {
    const broken = structuredClone(resources);
    const jobs = broken.find((r) => r.type === T.asg && r.name === "web-jobs-nodes")!;
    jobs.inputs.minSize = 1;
    if (jobs.outputs) jobs.outputs.minSize = 1;
    const report = await runPolicies(broken);
    const onJobs = report.violations.filter((v) => v.resourceName === "web-jobs-nodes");
    assert.deepEqual(onJobs.map((v) => v.policy), ["min-nodes"]);
    assert.match(onJobs[0].message, /\(role worker\)/);
  });

  it("fails a web workload of the maps whose nodes cannot report their liveness", async function () {
    const broken = structuredClone(resources).filter((r) => !(r.type === T.rolePolicy && r.name === "web-api-liveness"));
    const report = await runPolicies(broken);
    assert.deepEqual(report.violations.filter((v) => v.policy === "nodes-autoheal").map((v) => v.resourceName), ["web-api-nodes"]);
  });
});
