/**
 * Document databases and queues on Kubernetes (components/platforms/kubernetes/
 * documentDatabase.ts, broker.ts, caVolume.ts), under mocks: the example
 * stacks/examples/Pulumi.maestro-kubernetes.yaml and a valkey-queue variant.
 */
import { strict as assert } from "node:assert";
import type { RegisteredResource } from "../automation/offline/mocks";
import { runStack, type Program } from "./programQueries";

const example = "stacks/examples/Pulumi.maestro-kubernetes.yaml";
const T = {
  mongo: "kubernetes:psmdb.percona.com/v1:PerconaServerMongoDB",
  rabbit: "kubernetes:rabbitmq.com/v1beta1:RabbitmqCluster",
  policy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  deployment: "kubernetes:apps/v1:Deployment",
  secret: "kubernetes:core/v1:Secret",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  release: "kubernetes:helm.sh/v3:Release",
  configMap: "kubernetes:core/v1:ConfigMap",
};
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
const podSpec = (d: RegisteredResource) => d.inputs.spec.template.spec;
const envOf = (d: RegisteredResource): Record<string, EnvVar> => Object.fromEntries((podSpec(d).containers[0].env ?? []).map((e: EnvVar) => [e.name, e]));
const byName = (p: Program, type: string, name: string) => {
  const found = p.all(type).find((r) => r.inputs.metadata?.name === name);
  assert.ok(found, `${type} ${name}: ${p.all(type).map((r) => r.inputs.metadata?.name).join(", ")}`);
  return found;
};

describe("kubernetes: document and queue resources", function () {
  let p: Program;
  before(async () => {
    p = await runStack(example);
  });

  it("declares one Percona replica set over zones, with a PDB, TLS, encryption, backups to the first bucket and the app's user", () => {
    const [mongo] = p.all(T.mongo);
    assert.equal(p.all(T.mongo).length, 1);
    const spec = mongo.inputs.spec;
    const rs = spec.replsets[0];
    assert.equal(rs.name, "rs0");
    assert.equal(rs.size, 3);
    // The operator's antiAffinityTopologyKey is a required anti-affinity: off, and a soft spread over zones then hosts instead.
    assert.equal(rs.affinity.antiAffinityTopologyKey, "none");
    assert.deepEqual(rs.topologySpreadConstraints.map((c: { topologyKey: string; whenUnsatisfiable: string }) => [c.topologyKey, c.whenUnsatisfiable]), [
      ["topology.kubernetes.io/zone", "ScheduleAnyway"],
      ["kubernetes.io/hostname", "ScheduleAnyway"],
    ]);
    assert.deepEqual(rs.topologySpreadConstraints[0].labelSelector.matchLabels, {
      "app.kubernetes.io/instance": mongo.inputs.metadata.name,
      "app.kubernetes.io/replset": "rs0",
      "app.kubernetes.io/component": "mongod",
    });
    assert.deepEqual(rs.podDisruptionBudget, { maxUnavailable: 1 });
    assert.equal(rs.volumeSpec.persistentVolumeClaim.resources.requests.storage, "10Gi");
    assert.ok(rs.resources.requests.cpu && rs.resources.requests.memory);
    assert.match(rs.configuration, /enableEncryption: true/);
    // requireTLS with the operator's CA file would otherwise refuse every client that brings no certificate.
    assert.match(rs.configuration, /net:\n {2}tls:\n {4}allowConnectionsWithoutCertificates: true\n/);
    assert.equal(spec.tls.mode, "requireTLS");
    assert.equal(spec.backup.enabled, true);
    assert.equal(spec.backup.pitr.enabled, true);
    const s3 = spec.backup.storages.bucket.s3;
    assert.equal(s3.bucket, "maestro-files");
    assert.equal(s3.endpointUrl, "https://s3.eu-west-1.amazonaws.com");
    assert.match(s3.prefix, /\/events$/);
    const creds = byName(p, T.secret, s3.credentialsSecret);
    assert.deepEqual(Object.keys(creds.inputs.stringData).sort(), ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
    assert.equal(spec.backup.tasks[0].keep, 7);
    assert.deepEqual(spec.users[0].roles, [{ name: "readWrite", db: "app" }]);
    assert.equal(spec.users[0].name, "app");
    assert.equal(mongo.protect, true, "the CR is protected");
    for (const np of p.all(T.policy).filter((x) => /-(mongo|rabbitmq)$/.test(x.inputs.metadata.name))) assert.equal(np.protect, true);
    assert.equal(p.all(T.rabbit)[0].protect, true);
  });

  it("cuts the CR's name to Percona's 22 characters, the same name in its hosts, Secrets and policy", async () => {
    assert.ok(p.all(T.mongo)[0].inputs.metadata.name.length <= 22);
    const long = "eventstorewithlongnm"; // 20, the most a resource name may have
    const q = await runStack(example, {
      workloads: { celery: { kind: "worker", image: "busybox:1.36", command: ["sh", "-c", "sleep 3600"], count: 2, uses: [long, "files"] } },
      resources: {
        [long]: { kind: "document", engine: "mongodb" },
        files: { kind: "bucket", endpoint: "https://s3.eu-west-1.amazonaws.com", bucket: "maestro-files", region: "eu-west-1", accessKeyId: "AKIAEXAMPLEEXAMPLE00", secretAccessKey: "replace-me" },
      },
    });
    const crs = q.all(T.mongo).filter((r) => r.name.includes(long));
    assert.equal(crs.length, 1, q.all(T.mongo).map((r) => r.name).join(", "));
    const name = crs[0].inputs.metadata.name;
    assert.ok(crs[0].name.endsWith(`${long}-mongo`), "the URN keeps the logical name");
    assert.ok(name.length === 22 && name.startsWith(`web-${long}`.slice(0, 10)), name);
    assert.equal(byName(q, T.policy, name).inputs.spec.podSelector.matchLabels["app.kubernetes.io/instance"], name);
    assert.equal(crs[0].inputs.spec.secrets.users, `${name}-secrets`);
  });

  it("declares a RabbitMQ cluster of 3 over zones, quorum by default, TLS only, with the generated user and a PDB", () => {
    const [rabbit] = p.all(T.rabbit);
    const spec = rabbit.inputs.spec;
    assert.equal(spec.replicas, 3);
    assert.match(spec.rabbitmq.additionalConfig, /default_queue_type = quorum/);
    assert.equal(spec.tls.disableNonTLSListeners, true);
    assert.ok(spec.tls.secretName && spec.tls.caSecretName);
    assert.equal(spec.override.statefulSet.spec.template.spec.topologySpreadConstraints[0].topologyKey, "topology.kubernetes.io/zone");
    const user = byName(p, T.secret, spec.secretBackend.externalSecret.name);
    // The keys of the operator's own <name>-default-user Secret (internal/resource/default_user_secret.go).
    for (const key of ["username", "password", "default_user.conf", "provider", "type", "host", "port"]) assert.ok(key in user.inputs.stringData, key);
    assert.equal(user.inputs.stringData.port, "5671");
    assert.ok(p.all(T.pdb).some((d) => d.inputs.metadata.name === rabbit.inputs.metadata.name));
  });

  it("installs both operators with the flags", () => {
    const charts = p.all(T.release).map((r) => r.inputs.chart);
    assert.ok(charts.includes("psmdb-operator"));
    assert.ok(charts.some((c: string) => c.endsWith("rabbitmq-cluster-operator")));
  });

  it("names each operator left to the cluster before deploying, and none it installs", async () => {
    assert.ok(!p.run.logs.some((l) => /need the (Percona|RabbitMQ)/.test(l.message)), "both are installed by the flags: nothing to name");
    const q = await runStack(example, { kubernetes: { installPerconaOperator: false, installRabbitmqOperator: false } });
    const notices = q.run.logs.filter((l) => l.severity === "warning" && /need the (Percona|RabbitMQ)/.test(l.message)).map((l) => l.message);
    assert.equal(notices.length, 2, JSON.stringify(q.run.logs));
    assert.match(notices.join("\n"), /resources events need the Percona Operator for MongoDB in the cluster \(CRD perconaservermongodbs\.psmdb\.percona\.com.*set ha-topology:kubernetes\.installPerconaOperator true/);
    assert.match(notices.join("\n"), /resources broker need the RabbitMQ Cluster Operator in the cluster \(CRD rabbitmqclusters\.rabbitmq\.com.*ha-topology:kubernetes\.installRabbitmqOperator true/);
    assert.ok(!q.all(T.release).some((r) => r.inputs.chart === "psmdb-operator"), "nothing installed without the flag");
  });

  it("admits only the users' pods on 27017 and 5671", () => {
    const mongo = p.all(T.mongo)[0].inputs.metadata.name;
    const rabbit = p.all(T.rabbit)[0].inputs.metadata.name;
    for (const [name, port] of [[mongo, 27017], [rabbit, 5671]] as const) {
      const np = byName(p, T.policy, name);
      const clientRule = np.inputs.spec.ingress.find((r: { ports?: { port: number }[]; from?: { podSelector?: { matchLabels?: Record<string, string> } }[] }) => r.ports?.some((x) => x.port === port) && r.ports.length === 1 && r.from?.[0]?.podSelector?.matchLabels?.["app.kubernetes.io/component"] === "app");
      assert.ok(clientRule, `${name} admits its users`);
      assert.equal(clientRule.from.length, 5, "the pods of Maestro's five workloads (three APIs, two workers)");
    }
  });

  it("mounts each private CA in the users' pods and reads the secrets by secretKeyRef", () => {
    const users = p.all(T.deployment).filter((d) => envOf(d).EVENTS_URL);
    assert.equal(users.length, 5, "Maestro's five workloads");
    for (const d of users) {
      const env = envOf(d);
      assert.ok(env.EVENTS_URL.valueFrom?.secretKeyRef);
      assert.ok(env.BROKER_URL.valueFrom?.secretKeyRef);
      assert.equal(env.EVENTS_CA_FILE.value, "/etc/ha-topology/ca/events.pem");
      const vol = podSpec(d).volumes.find((v: { name: string }) => v.name === "ha-topology-ca");
      assert.deepEqual(vol.projected.sources.map((s: { secret: { items: { path: string }[] } }) => s.secret.items[0].path), ["events.pem", "broker.pem"]);
      assert.ok(podSpec(d).containers[0].volumeMounts.some((m: { mountPath: string }) => m.mountPath === "/etc/ha-topology/ca"));
    }
  });

  it("a valkey queue is the cache's Valkey with noeviction", async () => {
    const q = await runStack(example, { resources: { broker: { kind: "queue", engine: "valkey" } } });
    assert.equal(q.all(T.rabbit).length, 0);
    const scripts = q.all(T.configMap).map((c) => c.inputs.data?.["valkey.sh"]).filter(Boolean);
    assert.equal(scripts.length, 1);
    assert.match(scripts[0], /maxmemory-policy noeviction/);
    assert.match(scripts[0], /appendonly yes/);
  });
});
