/**
 * The AWS platform's document and queue resources (issue 18) on the maestro example
 * (stacks/examples/Pulumi.maestro-aws.yaml) under mocks: DocumentDB, Amazon MQ for
 * RabbitMQ and the Valkey broker: types, HA inputs, counts, protection, the security group
 * rules from the users' groups only, the binding env the nodes receive and the CA download.
 */
import { strict as assert } from "node:assert";
import { parse } from "yaml";
import type { RegisteredResource } from "../automation/offline/mocks";
import { runStack, type Program } from "./programQueries";

const example = "stacks/examples/Pulumi.maestro-aws.yaml";
const T = {
  cluster: "aws:docdb/cluster:Cluster",
  instance: "aws:docdb/clusterInstance:ClusterInstance",
  params: "aws:docdb/clusterParameterGroup:ClusterParameterGroup",
  docSubnets: "aws:docdb/subnetGroup:SubnetGroup",
  broker: "aws:mq/broker:Broker",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  cache: "aws:elasticache/replicationGroup:ReplicationGroup",
  cacheParams: "aws:elasticache/parameterGroup:ParameterGroup",
} as const;

/** A workload's cloud-config, parsed (YAML 1.1 as cloud-init), with its files decoded. */
function cloudConfig(p: Program, workload: string): { files: Record<string, string>; runcmd: unknown[]; raw: string } {
  const lt = p.all(T.lt).find((r) => r.name.endsWith(`${workload}-node`));
  assert.ok(lt, `no launch template for ${workload}: ${p.all(T.lt).map((r) => r.name).join(", ")}`);
  const raw = Buffer.from(lt.inputs.userData, "base64").toString("utf8");
  const config = parse(raw, { version: "1.1" }) as { write_files: { path: string; content: string }[]; runcmd: unknown[] };
  return { files: Object.fromEntries(config.write_files.map((f) => [f.path, Buffer.from(f.content, "base64").toString("utf8")])), runcmd: config.runcmd, raw };
}

/** The security group IDs the ingress rules of `group` admit, with their ports. */
function admitted(p: Program, group: RegisteredResource): string[] {
  return p.all(T.ingress).filter((r) => r.inputs.securityGroupId === p.id(group)).map((r) => `${r.inputs.referencedSecurityGroupId ?? r.inputs.cidrIpv4}:${r.inputs.fromPort}`).sort();
}

describe("AWS platform: document and queue resources (maestro example)", function () {
  let p: Program;
  before(async function () {
    p = await runStack(example);
  });

  it("builds a DocumentDB 5.0 cluster: encrypted, protected, backed up, TLS required, two instances", function () {
    const cluster = p.one(T.cluster);
    assert.equal(cluster.inputs.engineVersion, "5.0.0");
    assert.equal(cluster.inputs.storageEncrypted, true);
    assert.equal(cluster.inputs.deletionProtection, true);
    assert.equal(cluster.inputs.backupRetentionPeriod, 7);
    assert.equal(cluster.inputs.skipFinalSnapshot, false);
    assert.match(cluster.inputs.finalSnapshotIdentifier, /-docdb-final-/);
    assert.equal(cluster.inputs.masterUsername, "app");
    assert.equal(cluster.protect, true);
    const params = p.one(T.params);
    assert.deepEqual(params.inputs.parameters.map((x: { name: string; value: string }) => [x.name, x.value]), [["tls", "enabled"]]);
    assert.ok(p.links(cluster, "dbClusterParameterGroupName", params));
    assert.ok(p.links(cluster, "dbSubnetGroupName", p.one(T.docSubnets)));
    const instances = p.all(T.instance);
    assert.equal(instances.length, 2);
    for (const i of instances) {
      assert.equal(i.inputs.instanceClass, "db.t4g.medium");
      assert.equal(i.protect, true);
      assert.equal(i.inputs.clusterIdentifier, p.id(cluster));
    }
  });

  it("builds an Amazon MQ RabbitMQ 3.13 cluster over zones, private, protected", function () {
    const broker = p.one(T.broker);
    assert.equal(broker.inputs.engineType, "RabbitMQ");
    assert.equal(broker.inputs.engineVersion, "3.13");
    assert.equal(broker.inputs.deploymentMode, "CLUSTER_MULTI_AZ");
    assert.equal(broker.inputs.hostInstanceType, "mq.m5.large");
    assert.equal(broker.inputs.publiclyAccessible, false);
    assert.ok(broker.inputs.subnetIds.length >= 2);
    assert.equal(broker.inputs.logs.general, true);
    assert.equal(broker.inputs.users.length, 1);
    assert.equal(broker.protect, true);
  });

  it("admits the document database and the broker from the groups of the workloads that use them only", function () {
    const docSg = p.all(T.sg).find((r) => r.name.endsWith("-docdb"))!;
    const mqSg = p.all(T.sg).find((r) => r.name.endsWith("-mq"))!;
    assert.equal(docSg.protect, true);
    assert.equal(mqSg.protect, true);
    // Maestro's five workloads all use both: the three APIs and the two workers.
    const ids = ["api", "discovery", "celery", "reports", "reports-worker"].map((w) => p.id(p.one(T.sg, `-${w}-nodes`)));
    const docRules = admitted(p, docSg);
    const mqRules = admitted(p, mqSg);
    assert.equal(docRules.length, ids.length, docRules.join(", "));
    assert.equal(mqRules.length, ids.length, mqRules.join(", "));
    assert.ok(docRules.every((r) => r.endsWith(":27017") && !r.startsWith("0.0.0.0")));
    assert.ok(mqRules.every((r) => r.endsWith(":5671") && !r.startsWith("0.0.0.0")));
    for (const id of ids) assert.ok(docRules.includes(`${id}:27017`) && mqRules.includes(`${id}:5671`));
  });

  it("gives the nodes the bindings: plain fields in app.env, credentials from Secrets Manager, never in the user data", function () {
    for (const w of ["api", "celery"]) {
      const { files, raw } = cloudConfig(p, w);
      const env = files["/etc/ha-topology/app.env"];
      assert.match(env, /^EVENTS_HOSTS=.*:27017/m);
      assert.match(env, /^EVENTS_NAME=app$/m);
      assert.match(env, /^EVENTS_CA_FILE=\/etc\/ha-topology\/ca\/events\.pem$/m);
      assert.match(env, /^BROKER_PORT=5671$/m);
      assert.match(env, /^BROKER_HOST=/m);
      assert.doesNotMatch(env, /EVENTS_URL|EVENTS_PASSWORD|BROKER_URL|BROKER_PASSWORD/);
      assert.doesNotMatch(raw, /mongodb:\/\/|amqps:\/\//);
      const fetch = files["/usr/local/sbin/ha-topology-fetch-secrets"];
      assert.match(fetch, /EVENTS_PASSWORD/);
      assert.match(fetch, /BROKER_PASSWORD/);
    }
  });

  it("fetches the RDS CA bundle at boot and mounts the CA directory read-only into the container", function () {
    const { files, runcmd } = cloudConfig(p, "celery");
    const curl = runcmd.find((c) => Array.isArray(c) && c[0] === "curl") as string[] | undefined;
    assert.ok(curl, JSON.stringify(runcmd));
    assert.ok(curl.includes("--fail") && curl.includes("--retry"));
    assert.equal(curl[curl.indexOf("--output") + 1], "/etc/ha-topology/ca/events.pem");
    assert.equal(curl[curl.length - 1], "https://truststore.pki.rds.amazonaws.com/us-east-1/us-east-1-bundle.pem");
    const start = runcmd.findIndex((c) => Array.isArray(c) && c.includes("enable") && c.some((x) => String(x).startsWith("ha-topology")));
    assert.ok(runcmd.indexOf(curl) < start, "the CA is fetched before the app starts");
    const run = Object.entries(files).filter(([, c]) => c.includes("docker run")).map(([, c]) => c).join("\n");
    assert.match(run, /-v \/etc\/ha-topology\/ca:\/etc\/ha-topology\/ca:ro/);
  });

  it("builds a valkey queue as the session store with maxmemory-policy noeviction", async function () {
    const q = await runStack(example, { resources: { events: { kind: "document", engine: "mongodb" }, broker: { kind: "queue", engine: "valkey" }, files: { kind: "bucket" } } });
    assert.equal(q.all(T.broker).length, 0);
    const group = q.one(T.cache);
    const params = q.one(T.cacheParams);
    assert.equal(params.inputs.family, "valkey8");
    assert.deepEqual(params.inputs.parameters, [{ name: "maxmemory-policy", value: "noeviction" }]);
    assert.equal(params.protect, true);
    assert.equal(group.inputs.automaticFailoverEnabled, true);
    assert.equal(group.inputs.transitEncryptionEnabled, true);
    assert.ok(group.inputs.parameterGroupName);
  });

  it("gives a scheduled job using a document the CA file its nodes get: downloaded first into a task volume, mounted read-only", async function () {
    const workloads = {
      api: { kind: "web", image: "traefik/whoami:v1.10.1", port: 8080, healthCheck: { path: "/health" }, uses: ["events"] },
      nightly: { kind: "cron", image: "busybox:1.36", schedule: "0 3 * * *", uses: ["events"] },
      tick: { kind: "cron", image: "busybox:1.36", schedule: "*/5 * * * *", uses: ["files"] },
    };
    const q = await runStack(example, { workloads });
    const task = q.all("aws:ecs/taskDefinition:TaskDefinition").find((r) => r.name.endsWith("nightly-job"))!;
    assert.deepEqual(task.inputs.volumes, [{ name: "ca" }]);
    const containers = JSON.parse(task.inputs.containerDefinitions) as { name: string; image: string; essential: boolean; command?: string[]; mountPoints?: unknown[]; dependsOn?: unknown[]; environment: { name: string; value: string }[] }[];
    const ca = containers.find((c) => c.name === "ca-files")!;
    assert.ok(ca, `a ca-files container: ${containers.map((c) => c.name).join(", ")}`);
    assert.equal(ca.essential, false, "it exits when the files are there; the task goes on");
    assert.match(ca.image, /^public\.ecr\.aws\/aws-cli\/aws-cli:/);
    assert.deepEqual(ca.mountPoints, [{ sourceVolume: "ca", containerPath: "/etc/ha-topology/ca", readOnly: false }]);
    assert.ok(ca.command![0].includes("'--output' '/etc/ha-topology/ca/events.pem' 'https://truststore.pki.rds.amazonaws.com/us-east-1/us-east-1-bundle.pem'"), ca.command![0]);
    const job = containers.find((c) => c.name === "job")!;
    assert.deepEqual(job.mountPoints, [{ sourceVolume: "ca", containerPath: "/etc/ha-topology/ca", readOnly: true }]);
    assert.deepEqual(job.dependsOn, [{ containerName: "overlap-guard", condition: "SUCCESS" }, { containerName: "ca-files", condition: "SUCCESS" }]);
    const env = Object.fromEntries(job.environment.map((e) => [e.name, e.value]));
    assert.equal(env.EVENTS_CA_FILE, "/etc/ha-topology/ca/events.pem");
    // A job without a private-CA resource: no CA container, no volume.
    const tick = q.all("aws:ecs/taskDefinition:TaskDefinition").find((r) => r.name.endsWith("tick-job"))!;
    assert.equal(tick.inputs.volumes, undefined);
    assert.deepEqual(JSON.parse(tick.inputs.containerDefinitions).map((c: { name: string }) => c.name), ["overlap-guard", "timeout", "job"]);
  });
});
