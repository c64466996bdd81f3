/**
 * How ha-guard judges Kubernetes, GKE and DOKS stacks it did not write: the providers'
 * defaults (a 25 % maxUnavailable that rounds down, GKE auto-repair and surge upgrades on,
 * DOKS surge upgrades on), internal components behind ClusterIP Services, non-HTTP
 * servers, LoadBalancer Services, databases run in pods, zonal GKE clusters and budgets
 * that block every drain. Each pattern is tested on an input that has the gap and on one
 * that does not.
 */
import { strict as assert } from "node:assert";
import { runPolicies, type PolicyReport, type Violation } from "../../policies/runner";
import { allowedDisruptions, rolloutUnavailable } from "../../policies/rules/rollingUpdates";
import { build, copy, ref, type Spec } from "./fixtures/builder";
import { kubernetesFixture } from "./fixtures/kubernetes";

function summary(report: PolicyReport): string {
  return report.violations.map((v) => `  ${v.policy} @ ${v.resourceName ?? "stack"}: ${v.message}`).join("\n") || "  (none)";
}

/** The violations of `rule` on resource `name`. */
async function findings(specs: Spec[], rule: string, name: string): Promise<{ found: Violation[]; report: PolicyReport }> {
  const report = await runPolicies(build(specs));
  return { found: report.violations.filter((v) => v.policy === rule && v.resourceName === name), report };
}

const meta = (name: string) => ({ name, namespace: "app" });

/** A Deployment named `name` with pods labelled app=<name>, built from the given containers. */
function deployment(name: string, spec: Record<string, unknown>, containers: Record<string, unknown>[]): Spec {
  return {
    type: "kubernetes:apps/v1:Deployment",
    name,
    props: { metadata: meta(name), spec: { selector: { matchLabels: { app: name } }, ...spec, template: { metadata: { labels: { app: name } }, spec: { containers } } } },
  };
}

function service(name: string, selector: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Spec {
  return { type: "kubernetes:core/v1:Service", name, props: { metadata: { ...meta(name), ...(annotations && { annotations }) }, spec: { selector: { app: selector }, ...spec } } };
}

const web = (spec: Record<string, unknown> = {}) => deployment("api", spec, [{ name: "api", image: "example/api:1.0", ports: [{ containerPort: 8080 }] }]);

describe("Kubernetes rollouts: the Deployment controller's arithmetic", () => {
  it("rounds a percentage maxUnavailable down and maxSurge up (defaults 25 %)", () => {
    for (const replicas of [1, 2, 3]) assert.deepEqual(rolloutUnavailable(undefined, replicas), { surge: 1, unavailable: 0 }, `${replicas} replicas`);
    assert.deepEqual(rolloutUnavailable(undefined, 4), { surge: 1, unavailable: 1 });
    assert.deepEqual(rolloutUnavailable({ maxUnavailable: "50%", maxSurge: 0 }, 3), { surge: 0, unavailable: 1 });
    assert.deepEqual(rolloutUnavailable({ maxUnavailable: 2 }, 10), { surge: 3, unavailable: 2 });
  });
  it("lets one pod go when both resolve to 0 (maxSurge 0, maxUnavailable 10 % of 3)", () => {
    assert.deepEqual(rolloutUnavailable({ maxSurge: 0, maxUnavailable: "10%" }, 3), { surge: 0, unavailable: 1 });
  });

  for (const replicas of [1, 2, 3]) {
    it(`accepts the default strategy at ${replicas} replica(s): it already surges first`, async () => {
      const { found, report } = await findings([web({ replicas })], "rolling-updates-keep-capacity", "api");
      assert.deepEqual(found.filter((v) => /rollingUpdate|25%/.test(v.message)), [], summary(report));
    });
  }
  it("accepts replicas left unset (1) with the default strategy", async () => {
    const { found } = await findings([web()], "rolling-updates-keep-capacity", "api");
    assert.deepEqual(found.filter((v) => /rollingUpdate/.test(v.message)), []);
  });
  it("reports the default strategy at 4 replicas: one pod stops first", async () => {
    const { found, report } = await findings([web({ replicas: 4 })], "rolling-updates-keep-capacity", "api");
    assert.ok(found.some((v) => /maxUnavailable is 25% \(the default\): at 4 replica\(s\) a rollout stops 1 pod/.test(v.message)), summary(report));
  });
  it("judges a Deployment under an HPA at its maxReplicas", async () => {
    const hpa: Spec = { type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", name: "api-hpa", props: { metadata: meta("api"), spec: { scaleTargetRef: { kind: "Deployment", name: "api" }, minReplicas: 2, maxReplicas: 6 } } };
    const { found, report } = await findings([web({ replicas: 2 }), hpa], "rolling-updates-keep-capacity", "api");
    assert.ok(found.some((v) => /at 6 replica\(s\)/.test(v.message)), summary(report));
  });
  it("reports maxUnavailable 1 on a single replica, and maxSurge 0 with a percentage that rounds to 0", async () => {
    for (const rollingUpdate of [{ maxUnavailable: 1 }, { maxSurge: 0, maxUnavailable: "10%" }]) {
      const { found, report } = await findings([web({ replicas: rollingUpdate.maxUnavailable === 1 ? 1 : 3, strategy: { type: "RollingUpdate", rollingUpdate } })], "rolling-updates-keep-capacity", "api");
      assert.ok(found.some((v) => /rollingUpdate\.maxUnavailable/.test(v.message)), `${JSON.stringify(rollingUpdate)}:\n${summary(report)}`);
    }
  });
  it("reports maxUnavailable and maxSurge both 0 (rejected by the API server)", async () => {
    const { found } = await findings([web({ replicas: 2, strategy: { rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } })], "rolling-updates-keep-capacity", "api");
    assert.ok(found.some((v) => /both to 0/.test(v.message)));
  });
});

describe("Kubernetes PodDisruptionBudgets that block every drain", () => {
  const pdb = (spec: Record<string, unknown>): Spec => ({ type: "kubernetes:policy/v1:PodDisruptionBudget", name: "api-pdb", props: { metadata: meta("api-pdb"), spec: { selector: { matchLabels: { app: "api" } }, ...spec } } });

  it("computes the evictions a budget allows (percentages round up)", () => {
    // allowedDisruptions reads only the budget's props.
    const of = (spec: Record<string, unknown>, replicas: number) => allowedDisruptions({ props: { spec } } as unknown as Parameters<typeof allowedDisruptions>[0], replicas);
    assert.equal(of({ minAvailable: 2 }, 2), 0);
    assert.equal(of({ minAvailable: "100%" }, 3), 0);
    assert.equal(of({ minAvailable: "50%" }, 3), 1);
    assert.equal(of({ maxUnavailable: "10%" }, 3), 1);
    assert.equal(of({ maxUnavailable: 0 }, 3), 0);
  });

  for (const [what, spec] of [
    ["minAvailable equal to the replicas", { minAvailable: 2 }],
    ["minAvailable 100%", { minAvailable: "100%" }],
    ["maxUnavailable 0", { maxUnavailable: 0 }],
  ] as const) {
    it(`reports ${what}`, async () => {
      const { found, report } = await findings([web({ replicas: 2 }), pdb(spec)], "rolling-updates-keep-capacity", "api");
      assert.ok(found.some((v) => /PodDisruptionBudget \(api-pdb.*allows no eviction at 2 replica/.test(v.message)), summary(report));
    });
  }
  it("reports minAvailable 1 on a single replica (the drain can never proceed)", async () => {
    const { found } = await findings([web({ replicas: 1 }), pdb({ minAvailable: 1 })], "rolling-updates-keep-capacity", "api");
    assert.ok(found.some((v) => /allows no eviction at 1 replica/.test(v.message)));
  });
  it("accepts minAvailable 1 and maxUnavailable 1 on 2 replicas", async () => {
    for (const spec of [{ minAvailable: 1 }, { maxUnavailable: 1 }, { maxUnavailable: "25%" }]) {
      const { found, report } = await findings([web({ replicas: 2 }), pdb(spec)], "rolling-updates-keep-capacity", "api");
      assert.deepEqual(found, [], `${JSON.stringify(spec)}:\n${summary(report)}`);
    }
  });
});

describe("min-nodes on internal components (Deployments behind a ClusterIP Service)", () => {
  const redis = (replicas: number) => deployment("cache", { replicas }, [{ name: "redis", image: "redis:7", ports: [{ containerPort: 6379 }], readinessProbe: { tcpSocket: { port: 6379 } } }]);

  it("judges a one-replica Deployment behind a ClusterIP Service by its replicas, not as having nothing in front", async () => {
    const { found, report } = await findings([redis(1), service("cache", "cache", { ports: [{ port: 6379 }] })], "min-nodes", "cache");
    assert.equal(found.length, 1, summary(report));
    assert.match(found[0].message, /internal component .*cache \(ClusterIP\).* 1 pod\(s\) \(replicas\).* at least 2 replicas/);
    assert.doesNotMatch(found[0].message, /nothing in front/);
  });
  it("accepts two replicas behind a ClusterIP or NodePort Service", async () => {
    for (const type of ["ClusterIP", "NodePort"]) {
      const { found, report } = await findings([redis(2), service("cache", "cache", { type, ports: [{ port: 6379 }] })], "min-nodes", "cache");
      assert.deepEqual(found, [], summary(report));
    }
  });
  it("still reports a Deployment that no Service selects: it serves no one", async () => {
    const { found } = await findings([redis(2), service("cache", "other", { ports: [{ port: 6379 }] })], "min-nodes", "cache");
    assert.match(found[0]?.message ?? "", /nothing in front of it/);
  });
});

describe("lb-http-health-check on containers that do not serve HTTP", () => {
  const run = async (containers: Record<string, unknown>[], ports: unknown[] = [{ port: 6379 }]) =>
    findings([deployment("store", { replicas: 2 }, containers), service("store", "store", { ports })], "lb-http-health-check", "store");

  it("accepts a tcpSocket or exec readiness probe on Redis, MongoDB, MySQL and RabbitMQ", async () => {
    for (const [image, port] of [["redis:7", 6379], ["mongo", 27017], ["mysql:8", 3306], ["rabbitmq:3-management", 5672], ["docker.io/bitnami/redis:7.2", 6379]] as const) {
      const { found, report } = await run([{ name: "db", image, readinessProbe: { tcpSocket: { port } } }], [{ port }]);
      assert.deepEqual(found, [], `${image}:\n${summary(report)}`);
    }
    const exec = await run([{ name: "db", image: "redis:7", readinessProbe: { exec: { command: ["redis-cli", "ping"] } } }]);
    assert.deepEqual(exec.found, []);
  });
  it("judges a custom image by its ports (a MySQL image named catalogue-db with port mysql)", async () => {
    const { found } = await run([{ name: "db", image: "example/catalogue-db:0.3", ports: [{ name: "mysql", containerPort: 3306 }], readinessProbe: { tcpSocket: { port: 3306 } } }], [{ port: 3306 }]);
    assert.deepEqual(found, []);
  });
  it("reports a non-HTTP container with no readiness probe at all, without asking for httpGet", async () => {
    const { found, report } = await run([{ name: "db", image: "mongo", ports: [{ name: "mongo", containerPort: 27017 }] }], [{ port: 27017 }]);
    assert.equal(found.length, 1, summary(report));
    assert.match(found[0].message, /db \(not HTTP\) have no readinessProbe/);
    assert.doesNotMatch(found[0].message, /httpGet/);
  });
  it("still reports a tcpSocket readiness probe on an HTTP server", async () => {
    const { found, report } = await run([{ name: "app", image: "nginx:1.27", ports: [{ containerPort: 80 }], readinessProbe: { tcpSocket: { port: 80 } } }], [{ port: 80 }]);
    assert.ok(found.some((v) => /serve HTTP but their readinessProbe only opens a TCP connection/.test(v.message)), summary(report));
  });
});

describe("lb-https-only on Services of type LoadBalancer", () => {
  const app = deployment("shop", { replicas: 2 }, [{ name: "shop", image: "nginx", ports: [{ containerPort: 80 }] }]);
  const judge = async (spec: Record<string, unknown>, annotations?: Record<string, string>) => {
    const specs = [app, service("shop-lb", "shop", { type: "LoadBalancer", ...spec }, annotations)];
    const report = await runPolicies(build(specs));
    return { report, found: report.violations.filter((v) => v.policy === "lb-https-only") };
  };

  it("reports plain HTTP on port 80 (not 'no load balancer')", async () => {
    const { report, found } = await judge({ ports: [{ port: 80, targetPort: 80 }] });
    assert.ok(!report.notApplicable.some((n) => n.policy === "lb-https-only"), "lb-https-only must judge the Service");
    assert.equal(found.length, 1, summary(report));
    assert.equal(found[0].resourceName, "shop-lb");
    assert.match(found[0].message, /serves plain HTTP on port\(s\) 80/);
  });
  it("accepts a Service whose cloud load balancer terminates TLS (AWS ssl-cert on every port, DigitalOcean certificate and redirect)", async () => {
    const aws = await judge({ ports: [{ port: 443, targetPort: 80, name: "web" }, { port: 80, targetPort: 80 }] }, { "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": "arn:aws:acm:eu-west-1:123456789012:certificate/abc" });
    assert.deepEqual(aws.found, [], summary(aws.report));
    const digitalocean = await judge({ ports: [{ port: 443, targetPort: 80 }, { port: 80, targetPort: 80 }] }, {
      "service.beta.kubernetes.io/do-loadbalancer-certificate-id": "cert-id",
      "service.beta.kubernetes.io/do-loadbalancer-redirect-http-to-https": "true",
    });
    assert.deepEqual(digitalocean.found, [], summary(digitalocean.report));
  });
  it("reports port 80 left out of the AWS TLS ports", async () => {
    const { found } = await judge({ ports: [{ port: 443, targetPort: 80 }, { port: 80, targetPort: 80 }] }, {
      "service.beta.kubernetes.io/aws-load-balancer-ssl-cert": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
      "service.beta.kubernetes.io/aws-load-balancer-ssl-ports": "443",
    });
    assert.match(found[0]?.message ?? "", /still serves plain HTTP on port\(s\) 80/);
  });
  it("leaves a non-HTTP LoadBalancer Service (Postgres on 5432) alone", async () => {
    const { found } = await judge({ ports: [{ port: 5432 }] });
    assert.deepEqual(found, []);
  });
});

describe("database-replicated on databases run in Deployments and StatefulSets", () => {
  const statefulSet = (name: string, replicas: number | undefined, image: string, ports: unknown[] = []): Spec => ({
    type: "kubernetes:apps/v1:StatefulSet",
    name,
    props: { metadata: meta(name), spec: { ...(replicas !== undefined && { replicas }), serviceName: name, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image, ports }] } } } },
  });
  const judge = async (specs: Spec[]) => {
    const report = await runPolicies(build(specs));
    return { report, found: report.violations.filter((v) => v.policy === "database-replicated") };
  };

  it("reports a single-pod MongoDB Deployment and a MySQL StatefulSet left at one replica", async () => {
    const { found, report } = await judge([deployment("carts-db", { replicas: 1 }, [{ name: "db", image: "mongo" }]), statefulSet("orders-db", undefined, "mysql:8.0")]);
    assert.deepEqual(found.map((v) => v.resourceName), ["carts-db", "orders-db"], summary(report));
    assert.match(found[0].message, /runs a mongo database in 1 pod/);
  });
  it("reports a custom image that listens as MySQL", async () => {
    const { found } = await judge([deployment("catalog-db", {}, [{ name: "db", image: "example/catalogue-db:0.3", ports: [{ name: "mysql", containerPort: 3306 }] }])]);
    assert.equal(found.length, 1);
  });
  it("accepts a Postgres StatefulSet of 3 replicas, and leaves Redis, exporters and poolers alone", async () => {
    const { found, report } = await judge([
      statefulSet("pg", 3, "postgres:16"),
      deployment("cache", { replicas: 1 }, [{ name: "redis", image: "redis:7", ports: [{ containerPort: 6379 }] }]),
      deployment("pg-metrics", { replicas: 1 }, [{ name: "exporter", image: "prometheuscommunity/postgres-exporter", ports: [{ containerPort: 9187 }] }]),
      deployment("pooler", { replicas: 1 }, [{ name: "pgbouncer", image: "bitnami/pgbouncer", ports: [{ containerPort: 5432 }] }]),
    ]);
    assert.deepEqual(found, [], summary(report));
    assert.ok(!report.notApplicable.some((n) => n.policy === "database-replicated"), "the StatefulSet is a database to judge");
  });
});

describe("GKE clusters and node pools", () => {
  const cluster = (props: Record<string, unknown>): Spec => ({ type: "gcp:container/cluster:Cluster", name: "gke", props: { name: "gke", initialNodeCount: 1, removeDefaultNodePool: true, ...props } });
  const pool = (props: Record<string, unknown> = {}): Spec => ({ type: "gcp:container/nodePool:NodePool", name: "pool", props: { cluster: ref("gke", "gke"), nodeCount: 2, ...props } });
  const specs = (clusterProps: Record<string, unknown>, poolProps: Record<string, unknown> = {}): Spec[] => [cluster(clusterProps), pool(poolProps)];
  const judge = async (s: Spec[], rule: string) => (await runPolicies(build(s))).violations.filter((v) => v.policy === rule);

  it("accepts a regional cluster whose pool takes the region's zones", async () => {
    assert.deepEqual(await judge(specs({ location: "us-central1" }), "nodes-span-zones"), []);
  });
  it("reports a zonal cluster (location a zone) and its node pool", async () => {
    const found = await judge(specs({ location: "us-west1-a" }), "nodes-span-zones");
    assert.deepEqual(found.map((v) => v.resourceName).sort(), ["gke", "pool"]);
    assert.match(found.find((v) => v.resourceName === "gke")!.message, /zonal cluster \(location us-west1-a\).*location to the region \(us-west1\)/);
  });
  it("reports a regional cluster whose nodes are pinned to one zone (nodeLocations), and accepts pool nodeLocations over two zones", async () => {
    const pinned = await judge(specs({ location: "us-central1", nodeLocations: ["us-central1-b"] }), "nodes-span-zones");
    assert.deepEqual(pinned.map((v) => v.resourceName), ["pool"]);
    const spread = await judge(specs({ location: "us-central1" }, { nodeLocations: ["us-central1-a", "us-central1-b"] }), "nodes-span-zones");
    assert.deepEqual(spread, []);
  });
  it("reports a cluster's default node pool in one zone", async () => {
    const found = await judge([cluster({ location: "us-central1", removeDefaultNodePool: false, nodeLocations: ["us-central1-c"] })], "nodes-span-zones");
    assert.match(found[0]?.message ?? "", /default node pool runs its nodes in 1 zone/);
  });
  it("reports node auto-repair turned off, and accepts it left at its default (on)", async () => {
    assert.deepEqual(await judge(specs({ location: "us-central1" }), "nodes-autoheal"), []);
    const off = await judge(specs({ location: "us-central1" }, { management: { autoRepair: false } }), "nodes-autoheal");
    assert.match(off[0]?.message ?? "", /pool .*management\.autoRepair false/);
  });
  it("reports an upgrade that cannot surge (maxSurge 0), and accepts the default surge upgrade", async () => {
    assert.deepEqual(await judge(specs({ location: "us-central1" }), "rolling-updates-keep-capacity"), []);
    const noSurge = await judge(specs({ location: "us-central1" }, { upgradeSettings: { maxSurge: 0, maxUnavailable: 1 } }), "rolling-updates-keep-capacity");
    assert.match(noSurge[0]?.message ?? "", /upgradeSettings\.maxSurge 0/);
  });
  it("leaves Autopilot clusters alone (always regional, nodes managed by Google)", async () => {
    assert.deepEqual(await judge([cluster({ location: "us-central1-a", enableAutopilot: true })], "nodes-span-zones"), []);
  });
});

describe("DigitalOcean Kubernetes (DOKS) surge upgrades", () => {
  const doks = (props: Record<string, unknown> = {}): Spec => ({
    type: "digitalocean:index/kubernetesCluster:KubernetesCluster",
    name: "doks",
    props: { region: "ams3", version: "1.31.1-do.0", nodePool: { name: "default", size: "s-2vcpu-4gb", nodeCount: 3 }, ...props },
  });
  const judge = async (s: Spec) => (await runPolicies(build([s]))).violations.filter((v) => v.policy === "rolling-updates-keep-capacity");

  it("accepts surgeUpgrade left at its default (true)", async () => {
    assert.deepEqual(await judge(doks()), []);
  });
  it("reports surgeUpgrade false", async () => {
    assert.match((await judge(doks({ surgeUpgrade: false })))[0]?.message ?? "", /doks .*surgeUpgrade false/);
  });
});

describe("our own Kubernetes fixture still passes with the new checks", () => {
  it("has no violation", async () => {
    const report = await runPolicies(build(copy(kubernetesFixture.passing)));
    assert.deepEqual(report.violations, [], summary(report));
  });
});
