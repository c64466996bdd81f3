/**
 * The several-workloads model on Kubernetes (components/platforms/kubernetes/platform.ts),
 * under mocks: the example stacks/examples/Pulumi.kubernetes-services.yaml (two routed
 * public webs, an internal web, a worker, a database, a bucket and a generated secret)
 * and variants of it and of the single-service stack. Every rendered object is validated
 * against the Kubernetes and CloudNativePG schemas.
 */
import { strict as assert } from "node:assert";
import { isSecretValue, runWithMocks, type RegisteredResource } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { loadStackConfig, stackConfigWith } from "../automation/stackFiles";
import { runPolicies } from "../policies/runner";
import { kubernetesObjectTypes, validateKubernetesObject } from "./kubernetesSchemas";
import { ns, plainStrings, runStack, type Program } from "./programQueries";

const example = "stacks/examples/Pulumi.kubernetes-services.yaml";

const T = {
  namespace: "kubernetes:core/v1:Namespace",
  deployment: "kubernetes:apps/v1:Deployment",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  service: "kubernetes:core/v1:Service",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  policy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  secret: "kubernetes:core/v1:Secret",
  cluster: "kubernetes:postgresql.cnpg.io/v1:Cluster",
  scheduledBackup: "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  password: "random:index/randomPassword:RandomPassword",
  identity: "pulumi-nodejs:dynamic/ha-topology:DatabaseIdentity",
};

type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };

/** Validates every Kubernetes object a run registered; returns how many. */
function validateAll(p: Program): number {
  const objects = kubernetesObjectTypes(p.run.resources);
  for (const r of objects) validateKubernetesObject(r.type, r.inputs);
  return objects.length;
}

/** The Deployment named exactly `name` (metadata.name). */
function deployment(p: Program, name: string): RegisteredResource {
  const found = p.all(T.deployment).filter((d) => d.inputs.metadata.name === name);
  assert.equal(found.length, 1, `one Deployment ${name}, found ${p.all(T.deployment).map((d) => d.inputs.metadata.name).join(", ")}`);
  return found[0];
}

const containerOf = (d: RegisteredResource) => d.inputs.spec.template.spec.containers[0];
const envOf = (d: RegisteredResource): EnvVar[] => containerOf(d).env ?? [];
const envMap = (d: RegisteredResource) => Object.fromEntries(envOf(d).map((e) => [e.name, e]));
const selectorOf = (d: RegisteredResource) => d.inputs.spec.selector.matchLabels as Record<string, string>;
const sameLabels = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The NetworkPolicies whose ingress admits pods with `labels`, by policy name. */
function admitting(p: Program, labels: Record<string, string>): string[] {
  return p
    .all(T.policy)
    .filter((np) => (np.inputs.spec.ingress ?? []).some((rule: { from?: { podSelector?: { matchLabels?: unknown } }[] }) => (rule.from ?? []).some((peer) => sameLabels(peer.podSelector?.matchLabels, labels))))
    .map((np) => np.inputs.metadata.name);
}


describe("Kubernetes platform: the several-workloads example", function () {
  let p: Program;
  before(async function () {
    p = await runStack(example);
  });

  it("renders only objects that the Kubernetes and CloudNativePG schemas accept", function () {
    assert.ok(validateAll(p) >= 35);
  });

  it("runs each workload as its own Deployment, role-labelled, with its PDB, HPA and zone spread", function () {
    const roles: Record<string, string> = { "web-storefront": "web", "web-api": "web", "web-discovery": "internal", "web-jobs": "worker" };
    assert.deepEqual(p.all(T.deployment).map((d) => d.inputs.metadata.name).sort(), Object.keys(roles).sort());
    for (const [name, role] of Object.entries(roles)) {
      const d = deployment(p, name);
      assert.equal(d.inputs.metadata.labels["ha-topology/role"], role, name);
      assert.equal(d.inputs.spec.template.metadata.labels["ha-topology/role"], role, name);
      assert.equal(selectorOf(d)["ha-topology/role"], undefined, "the role is not in the selector (a selector never changes)");
      assert.deepEqual(d.inputs.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
      assert.equal(d.inputs.spec.template.spec.topologySpreadConstraints[0].topologyKey, "topology.kubernetes.io/zone");
      const pdb = p.all(T.pdb).find((x) => x.inputs.metadata.name === name)!;
      assert.deepEqual(pdb.inputs.spec.selector.matchLabels, selectorOf(d));
      const hpa = p.all(T.hpa).find((x) => x.inputs.metadata.name === name)!;
      assert.ok(p.links(hpa, "spec", d), `the HPA of ${name} targets its Deployment`);
    }
    const api = p.all(T.hpa).find((x) => x.inputs.metadata.name === "web-api")!;
    assert.deepEqual([api.inputs.spec.minReplicas, api.inputs.spec.maxReplicas], [2, 6]);
  });

  it("routes every public web on ONE Ingress: a rule per (host, path prefix), TLS for every host", function () {
    const ingress = p.one(T.ingress);
    const rules = ingress.inputs.spec.rules.map((r: any) => `${r.host}${r.http.paths[0].path} -> ${r.http.paths[0].backend.service.name}`);
    assert.deepEqual(rules.sort(), ["shop.example.com/ -> web-storefront", "shop.example.com/api -> web-api"]);
    assert.deepEqual(ingress.inputs.spec.tls, [{ hosts: ["shop.example.com"], secretName: "web-tls" }]);
    assert.equal(ingress.inputs.metadata.annotations["cert-manager.io/cluster-issuer"], "letsencrypt-prod");
    for (const name of ["web-storefront", "web-api"]) {
      assert.ok(p.links(ingress, "spec", p.all(T.service).find((s) => s.inputs.metadata.name === name)!), `the Ingress routes to ${name}'s Service`);
    }
    assert.equal(p.outputs.workloads.api.url, "https://shop.example.com/api");
  });

  it("gives every other host its own certificate on the same Ingress", async function () {
    const q = await runStack(example, { workloads: { api: { path: undefined, host: "api.shop.example.com" } } });
    const ingress = q.one(T.ingress).inputs;
    assert.deepEqual(ingress.spec.rules.map((r: any) => `${r.host}${r.http.paths[0].path}`).sort(), ["api.shop.example.com/", "shop.example.com/"]);
    const tls = ingress.spec.tls.map((t: any) => `${t.hosts.join(",")}=${t.secretName}`);
    assert.equal(tls.length, 2);
    assert.ok(tls.includes("shop.example.com=web-tls"));
    assert.ok(tls.some((t: string) => /^api\.shop\.example\.com=web-tls-[0-9a-f]{6}$/.test(t)), tls.join(" "));
    validateAll(q);
  });

  it("reaches the internal web by its ClusterIP Service only, as DISCOVERY_URL in the others' env", function () {
    const service = p.all(T.service).find((s) => s.inputs.metadata.name === "web-discovery")!;
    assert.equal(service.inputs.spec.type, "ClusterIP");
    assert.deepEqual(service.inputs.spec.selector, selectorOf(deployment(p, "web-discovery")));
    assert.ok(!JSON.stringify(p.one(T.ingress).inputs.spec).includes("web-discovery"), "no public route");
    const url = "http://web-discovery.web-test.svc.cluster.local:8080";
    assert.equal(p.outputs.workloads.discovery.url, url);
    for (const name of ["web-storefront", "web-api", "web-jobs"]) assert.equal(envMap(deployment(p, name)).DISCOVERY_URL?.value, url, name);
    assert.equal(envMap(deployment(p, "web-discovery")).DISCOVERY_URL, undefined);
    // Only the other workloads may connect to it.
    const inbound = p.all(T.policy).find((np) => np.inputs.metadata.name === "web-discovery-in")!;
    const from = inbound.inputs.spec.ingress[0].from.map((peer: any) => peer.podSelector.matchLabels["app.kubernetes.io/name"]).sort();
    assert.deepEqual(from, ["web-api", "web-jobs", "web-storefront"]);
  });

  it("runs the worker with its command as arguments, its stop timeout as grace period, and no Service, route or probe", function () {
    const jobs = deployment(p, "web-jobs");
    const c = containerOf(jobs);
    assert.deepEqual(c.args, ["sh", "-c", "while true; do date; sleep 60; done"]);
    assert.equal(c.command, undefined, "the image's entry point stays (as docker run <image> <command>)");
    assert.equal(jobs.inputs.spec.template.spec.terminationGracePeriodSeconds, 120);
    assert.equal(c.ports, undefined);
    assert.equal(c.readinessProbe ?? c.livenessProbe ?? c.startupProbe, undefined);
    // Available only after 30 s up, so a crash-looping image fails the rollout's await.
    assert.equal(jobs.inputs.spec.minReadySeconds, 30);
    assert.equal(deployment(p, "web-api").inputs.spec.minReadySeconds, undefined, "a web pod is available when its readiness probe passes");
    assert.ok(!p.all(T.service).some((s) => sameLabels(s.inputs.spec.selector, selectorOf(jobs))), "no Service selects the worker");
    assert.equal(p.all(T.policy).find((np) => np.inputs.metadata.name === "web-jobs-in"), undefined, "nothing may connect to it");
    assert.equal(p.outputs.workloads.jobs.url, undefined);
  });

  it("keeps readiness and liveness apart: readiness on healthCheck.path, liveness on healthCheck.liveness", function () {
    const c = containerOf(deployment(p, "web-api"));
    assert.deepEqual(c.readinessProbe.httpGet, { path: "/api/ready", port: "http" });
    assert.deepEqual(c.livenessProbe.httpGet, { path: "/api/health", port: "http" });
    assert.equal(c.livenessProbe.failureThreshold, 5);
    assert.equal(c.readinessProbe.failureThreshold, 3);
    assert.equal(c.startupProbe.httpGet.path, "/api/health", "the start waits for liveness, not for the dependencies");
    // Without liveness, both are the readiness path.
    const s = containerOf(deployment(p, "web-storefront"));
    assert.equal(s.livenessProbe.httpGet.path, "/health");
  });

  it("generates each secret resource once (a protected RandomPassword) in one Secret, which every user reads", function () {
    const passwords = p.all(T.password).filter((r) => r.name === "web-secret-key");
    assert.equal(passwords.length, 1);
    assert.deepEqual([passwords[0].inputs.length, passwords[0].inputs.special, passwords[0].protect], [48, false, true]);
    const secret = p.all(T.secret).find((s) => s.inputs.metadata.name === "web-secret-key-secret")!;
    assert.ok(p.links(secret, "stringData", passwords[0]), "the Secret holds the generated value");
    assert.ok(isSecretValue(secret.rawInputs.stringData) || isSecretValue((secret.rawInputs.stringData as Record<string, unknown>).value));
    for (const name of ["web-storefront", "web-api", "web-jobs"]) {
      assert.deepEqual(envMap(deployment(p, name)).SECRET_KEY?.valueFrom?.secretKeyRef, { name: "web-secret-key-secret", key: "value" }, name);
    }
    assert.equal(envMap(deployment(p, "web-discovery")).SECRET_KEY, undefined, "discovery does not use secret-key");
    assert.equal(p.outputs.resources["secret-key"].endpoint, "web-test/web-secret-key-secret");
  });

  it("binds DB_* and FILES_* and resolves ${resources.db.url} in the pod from the database's Secret", function () {
    const env = envMap(deployment(p, "web-api"));
    assert.equal(env.DB_HOST.value, "web-db-db-rw.web-test.svc.cluster.local");
    assert.equal(env.DB_PORT.value, "5432");
    assert.equal(env.FILES_BUCKET.value, "shop-files");
    assert.equal(env.FILES_ENDPOINT.value, "https://s3.eu-west-1.amazonaws.com");
    for (const [name, key] of [["DB_USER", "username"], ["DB_PASSWORD", "password"], ["DB_URL", "url"]]) {
      assert.deepEqual(env[name].valueFrom?.secretKeyRef, { name: "web-db-db-owner", key }, name);
    }
    assert.deepEqual(env.FILES_SECRET_ACCESS_KEY.valueFrom?.secretKeyRef, { name: "web-files-bucket", key: "ACCESS_SECRET_KEY" });
    // The template becomes a dependent variable, defined after the one it names.
    assert.equal(env.DATABASE_URL.value, "$(DB_URL)");
    const names = envOf(deployment(p, "web-api")).map((e) => e.name);
    assert.ok(names.indexOf("DB_URL") < names.indexOf("DATABASE_URL"));
    // The URL itself, ready to use, in the database's Secret (secret), with the CloudNativePG owner secret.
    const owner = p.all(T.secret).find((s) => s.inputs.metadata.name === "web-db-db-owner")!;
    assert.equal(owner.inputs.type, "kubernetes.io/basic-auth");
    assert.equal(owner.inputs.stringData.url, `postgresql://app:${"P".repeat(32)}@web-db-db-rw.web-test.svc.cluster.local:5432/app?sslmode=require`);
    assert.ok(isSecretValue(owner.rawInputs.stringData) || isSecretValue((owner.rawInputs.stringData as Record<string, unknown>).url));
    assert.equal(p.one(T.cluster).inputs.spec.bootstrap.initdb.secret.name, "web-db-db-owner");
  });

  it("escapes literal dollars, so the kubelet's $(VAR) expansion gives the app exactly the stack file's text", async function () {
    const q = await runStack(example, { workloads: { api: { env: { PRICE: "costs $5 or $(HOME)", DSN: "${resources.db.url}&application_name=$(x)" } } } });
    const env = envMap(deployment(q, "web-api"));
    assert.equal(env.PRICE.value, "costs $$5 or $$(HOME)");
    assert.equal(env.DSN.value, "$(DB_URL)&application_name=$$(x)");
  });

  it("writes no secret value into any pod spec or other plain input", function () {
    const secrets = [
      ...p.all(T.password).map((r) => r.outputs.result as string),
      "replace-me-with-pulumi-config-set-secret",
    ];
    for (const r of p.run.resources) {
      for (const s of plainStrings(r.rawInputs)) {
        for (const secret of secrets) assert.ok(!s.includes(secret), `${r.type} ${r.name} has a secret in a plain input`);
      }
    }
    for (const d of p.all(T.deployment)) {
      for (const e of envOf(d)) if (/PASSWORD|SECRET|_URL$/.test(e.name) && e.name !== "DISCOVERY_URL") assert.ok(e.valueFrom || /^\$\(/.test(e.value ?? ""), `${d.name} ${e.name}`);
    }
  });

  it("lets a workload reach only the databases and caches it uses (both ends), DNS and the internal services", function () {
    const db = p.all(T.policy).find((np) => np.inputs.metadata.name === "web-db-db")!;
    const admitted = db.inputs.spec.ingress[0].from.map((peer: any) => peer.podSelector.matchLabels["app.kubernetes.io/name"]).sort();
    assert.deepEqual(admitted, ["web-api", "web-discovery", "web-jobs"], "storefront does not use db");
    assert.deepEqual(admitting(p, selectorOf(deployment(p, "web-storefront"))), ["web-discovery-in"]);
    const egress = (name: string) => p.all(T.policy).find((np) => np.inputs.metadata.name === `${name}-out`)!.inputs.spec;
    const to = (spec: any) => spec.egress.flatMap((rule: any) => (rule.to ?? []).map((peer: any) => peer.podSelector?.matchLabels ?? peer.ipBlock?.cidr));
    assert.deepEqual(egress("web-storefront").policyTypes, ["Egress"]);
    assert.ok(!JSON.stringify(to(egress("web-storefront"))).includes("cnpg.io/cluster"), "storefront has no path to the database");
    assert.ok(JSON.stringify(to(egress("web-api"))).includes('"cnpg.io/cluster":"web-db-db"'));
    assert.deepEqual(egress("web-api").egress[0], { ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] });
    const internet = egress("web-api").egress.at(-1).to[0].ipBlock;
    assert.equal(internet.cidr, "0.0.0.0/0");
    assert.ok(internet.except.includes("10.0.0.0/8") && internet.except.includes("169.254.0.0/16"), "no other pod, node or metadata service");
    // Public webs admit the ingress controller only.
    const inbound = p.all(T.policy).find((np) => np.inputs.metadata.name === "web-api-in")!;
    assert.deepEqual(inbound.inputs.spec.ingress[0].from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }]);
  });

  it("keeps the single service's data safety on the new database: protect, backups to the first bucket, a guard of its create-only keys", function () {
    const cluster = p.one(T.cluster);
    assert.equal(cluster.protect, true);
    assert.equal(cluster.inputs.metadata.name, "web-db-db");
    assert.equal(cluster.inputs.spec.backup.barmanObjectStore.destinationPath, "s3://shop-files/web-test/web-db-db");
    assert.deepEqual(cluster.inputs.spec.backup.barmanObjectStore.s3Credentials.secretAccessKey, { name: "web-files-bucket", key: "ACCESS_SECRET_KEY" });
    assert.equal(cluster.inputs.spec.backup.retentionPolicy, "7d");
    assert.equal(p.one(T.scheduledBackup).protect, true);
    assert.equal(p.all(T.policy).find((np) => np.inputs.metadata.name === "web-db-db")!.protect, true);
    assert.equal(p.all(T.password).find((r) => r.name === "web-db-db-owner")!.protect, true);
    const identity = p.one(T.identity);
    assert.deepEqual(identity.inputs.keys, { "ha-topology:resources.db.name": "app", "ha-topology:resources.db.username": "app" });
    assert.ok(cluster.dependencies.includes(identity.urn));
    assert.ok(p.one(T.namespace).protect);
  });

  it("passes ha-guard with zero mandatory violations, judging the worker as a worker", async function () {
    const resources = stackResources(p.run);
    const report = await runPolicies(resources);
    assert.deepEqual(report.violations.filter((v) => v.level === "mandatory"), []);
    for (const rule of ["min-nodes", "nodes-span-zones", "lb-https-only", "database-replicated", "database-backups"]) {
      assert.ok(!report.notApplicable.some((n) => n.policy === rule), `${rule} judged the stack`);
    }
    // One worker pod: min-nodes names its role, and no rule asks a worker for a load balancer.
    const hpa = resources.find((r) => r.type === T.hpa && (r.inputs as any).metadata.name === "web-jobs")!;
    (hpa.inputs as any).spec.minReplicas = 1;
    if (hpa.outputs) (hpa.outputs as any).spec.minReplicas = 1;
    const broken = await runPolicies(resources);
    const onJobs = broken.violations.filter((v) => (v.resourceName ?? "").includes("jobs") || v.message.includes("web-jobs"));
    assert.ok(onJobs.some((v) => v.policy === "min-nodes" && /role worker/.test(v.message)), JSON.stringify(onJobs));
    assert.ok(!onJobs.some((v) => /load balancer/.test(v.message) && v.policy !== "min-nodes"), JSON.stringify(onJobs));
  });
});

describe("Kubernetes platform: secret rotation", function () {
  it("a new value of a secret resource changes the pod template of its users only (the Deployments roll)", async function () {
    // Under mocks a RandomPassword's value is "P" x length: another length is another value,
    // as `pulumi up --replace` on it gives in a real run.
    const before = await runStack(example);
    const after = await runStack(example, { resources: { "secret-key": { length: 40 } } });
    const checksum = (p: Program, name: string) => deployment(p, name).inputs.spec.template.metadata.annotations?.["ha-topology/secret-checksum"];
    for (const name of ["web-storefront", "web-api", "web-jobs"]) {
      assert.match(checksum(before, name), /^[0-9a-f]{64}$/);
      assert.notEqual(checksum(before, name), checksum(after, name), `${name} rolls`);
    }
    assert.equal(checksum(before, "web-discovery"), checksum(after, "web-discovery"), "discovery does not use it");
    assert.deepEqual(deployment(before, "web-discovery").inputs.spec.template, deployment(after, "web-discovery").inputs.spec.template);
    const raw = deployment(before, "web-api").rawInputs.spec as any;
    assert.ok(isSecretValue(raw) || isSecretValue(raw.template) || isSecretValue(raw.template.metadata) || isSecretValue(raw.template.metadata.annotations) || isSecretValue(raw.template.metadata.annotations["ha-topology/secret-checksum"]), "the checksum is a secret in the state");
  });
});

describe("Kubernetes platform: maps-only and mixed stacks", function () {
  it("a topology without a sql resource registers no database, no guard and no operator", async function () {
    const p = await runStack(example, {
      resources: { db: undefined },
      workloads: { api: { env: { DATABASE_URL: undefined }, uses: ["files", "secret-key"] }, discovery: { uses: [] }, jobs: { uses: ["files"] } },
      kubernetes: { installCnpgOperator: true },
    });
    for (const type of [T.cluster, T.scheduledBackup, T.identity, "kubernetes:helm.sh/v3:Release"]) assert.equal(p.all(type).length, 0, type);
    assert.ok(!Object.keys(envMap(deployment(p, "web-api"))).some((n) => n.startsWith("DB_")));
    assert.equal(p.one(T.deployment, "web-discovery").inputs.spec.template.metadata.annotations, undefined, "no secret: no checksum");
    validateAll(p);
  });

  it("the single service plus workloads.jobs keeps every legacy URN and input, and adds the worker", async function () {
    const legacy = await runStack("kubernetes");
    const mixed = await runStack("kubernetes", { workloads: { jobs: { kind: "worker", image: "busybox:1.36", command: ["sh", "-c", "sleep 3600"], count: 2 } } });
    const urns = new Set(mixed.run.resources.map((r) => r.urn));
    for (const r of legacy.run.resources) assert.ok(urns.has(r.urn), `kept ${r.urn}`);
    const added = mixed.run.resources.filter((r) => !legacy.run.resources.some((l) => l.urn === r.urn)).map((r) => `${r.type.split(":").pop()} ${r.name}`);
    assert.deepEqual(added.sort(), [
      "Deployment web-jobs", "HorizontalPodAutoscaler web-jobs", "NetworkPolicy web-jobs-out", "PodDisruptionBudget web-jobs", "ScaleWait web-jobs", "ServiceAccount web-jobs", "Workload web-jobs",
    ]);
    const byUrn = (p: Program, urn: string) => p.run.resources.find((r) => r.urn === urn)!;
    for (const r of legacy.run.resources) {
      // The database and its policy now admit the worker too (it uses them); everything else is unchanged.
      if (r.type === T.policy && r.name === "web-db") continue;
      assert.deepEqual(byUrn(mixed, r.urn).inputs, r.inputs, `${r.type} ${r.name} keeps its inputs`);
    }
    const db = byUrn(mixed, legacy.one(T.policy, "web-db").urn);
    assert.deepEqual(db.inputs.spec.ingress[0].from.map((peer: any) => peer.podSelector.matchLabels["app.kubernetes.io/name"]), ["web", "web-jobs"]);
    // The worker uses the single service's database and bucket, with today's names and Secrets.
    const env = envMap(deployment(mixed, "web-jobs"));
    assert.deepEqual(env.DATABASE_PASSWORD.valueFrom?.secretKeyRef, { name: "web-db-app", key: "password" });
    assert.deepEqual(env.BUCKET_SECRET_ACCESS_KEY.valueFrom?.secretKeyRef, { name: "web-bucket", key: "ACCESS_SECRET_KEY" });
    assert.equal(env.DATABASE_HOST.value, "web-db-rw.web-test.svc.cluster.local");
    validateAll(mixed);
  });

  it("gives the single service's web what maps resources and internal webs add, after today's variables, and routes the others on its Ingress", async function () {
    const legacy = await runStack("kubernetes");
    const mixed = await runStack("kubernetes", {
      workloads: {
        api: { kind: "web", image: "ghcr.io/acme/api:1.0", port: 8080, path: "/api", healthCheck: { path: "/health" } },
        search: { kind: "web", image: "ghcr.io/acme/search:1.0", port: 9200, public: false, healthCheck: { path: "/health" } },
      },
      resources: { "signing-key": { kind: "secret" } },
    });
    const before = deployment(legacy, "web");
    const after = deployment(mixed, "web");
    assert.deepEqual(envOf(after).slice(0, envOf(before).length), envOf(before), "today's variables first, unchanged");
    const added = envOf(after).slice(envOf(before).length);
    assert.deepEqual(added.map((e) => e.name), ["SIGNING_KEY", "SEARCH_URL"]);
    assert.deepEqual(added[0].valueFrom?.secretKeyRef, { name: "web-signing-key-secret", key: "value" });
    assert.match(after.inputs.spec.template.metadata.annotations["ha-topology/secret-checksum"], /^[0-9a-f]{64}$/);
    // The same Ingress (same URN and name), the domain's rule and certificate first.
    const ingress = mixed.one(T.ingress);
    assert.equal(ingress.urn, legacy.one(T.ingress).urn);
    assert.deepEqual(ingress.inputs.spec.rules[0], legacy.one(T.ingress).inputs.spec.rules[0]);
    assert.deepEqual(ingress.inputs.spec.rules.map((r: any) => `${r.host}${r.http.paths[0].path}`), ["app.example.com/", "app.example.com/api"]);
    assert.deepEqual(ingress.inputs.spec.tls, legacy.one(T.ingress).inputs.spec.tls);
    assert.equal(mixed.outputs.workloads.search.url, "http://web-search.web-test.svc.cluster.local:9200");
    validateAll(mixed);
  });

  it("a stack rewritten in the maps (web, database, bucket, sessions) keeps every URN of the single service", async function () {
    const legacy = await runStack("kubernetes", { sessions: { enabled: true } });
    const storage = { endpoint: "https://s3.eu-west-1.amazonaws.com", bucket: "my-app-files", region: "eu-west-1", accessKeyId: "AKIAEXAMPLEEXAMPLE00", secretAccessKey: "replace-me" };
    const rewritten = await runStack("kubernetes", {
      nodes: undefined, healthCheck: undefined, database: undefined, storage: undefined, sessions: undefined,
      workloads: { web: { kind: "web", image: "traefik/whoami:v1.10.1", port: 8080, healthCheck: { path: "/health", liveness: { path: "/live" } } } },
      resources: { database: { kind: "sql" }, bucket: { kind: "bucket", ...storage }, sessions: { kind: "cache" } },
    });
    const urns = new Set(rewritten.run.resources.map((r) => r.urn));
    assert.deepEqual(legacy.run.resources.filter((r) => !urns.has(r.urn)).map((r) => r.urn), []);
    // The same database, with the password CloudNativePG generated, and the maps' probes.
    assert.deepEqual(rewritten.one(T.cluster).inputs.spec.bootstrap, legacy.one(T.cluster).inputs.spec.bootstrap);
    assert.equal(containerOf(deployment(rewritten, "web")).livenessProbe.httpGet.path, "/live");
    assert.equal(deployment(rewritten, "web").inputs.metadata.labels["ha-topology/role"], "web");
    validateAll(rewritten);
  });

  it("a maps cache is the single service's Valkey setup, with a URL, admitting only its users", async function () {
    const p = await runStack(example, { resources: { cache: { kind: "cache" } }, workloads: { storefront: { uses: ["secret-key", "cache"] } } });
    assert.equal(p.all(T.statefulSet).length, 1);
    const env = envMap(deployment(p, "web-storefront"));
    assert.equal(env.CACHE_HOST.value, "web-cache-sessions.web-test.svc.cluster.local");
    assert.deepEqual(env.CACHE_URL.valueFrom?.secretKeyRef?.key, "url");
    assert.deepEqual(env.CACHE_PASSWORD.valueFrom?.secretKeyRef?.key, "password");
    const haproxy = p.all(T.policy).find((np) => np.inputs.metadata.name === "web-cache-sessions-haproxy")!;
    const from = haproxy.inputs.spec.ingress[0].from.map((peer: any) => peer.podSelector.matchLabels["app.kubernetes.io/name"]).sort();
    // api, discovery and jobs declare `uses` without cache.
    assert.deepEqual(from, ["web-storefront"]);
    validateAll(p);
  });
});

describe("Kubernetes platform: refusals and hostile names", function () {
  async function refusal(patch: Record<string, unknown>, stack = example): Promise<string> {
    const run = await runWithMocks(stackConfigWith(stack, ns(patch)));
    assert.ok(run.error, "refused");
    assert.equal(run.resources.length, 0, "before any resource is registered");
    return run.error.message;
  }

  it("refuses a sql resource without a bucket resource for its backups, at parse time", async function () {
    const message = await refusal({ resources: { files: undefined }, workloads: { api: { uses: ["db", "secret-key"] }, jobs: { uses: ["db"] } } });
    assert.match(message, /ha-topology:resources\.db: received "db"; allowed: a sql resource next to a bucket resource on kubernetes: CloudNativePG archives/);
  });

  it("refuses workload names whose objects would take a database's or a cache's names", async function () {
    const worker = { kind: "worker", image: "busybox:1.36", command: ["true"] };
    assert.match(await refusal({ workloads: { db: worker } }, "kubernetes"), /ha-topology:workloads\.db: received "db"; allowed: a name that does not start with db/);
    assert.match(await refusal({ workloads: { "db-db-rw": worker } }), /ha-topology:workloads\.db-db-rw: received "db-db-rw"; allowed: a name that does not start with db-db: on kubernetes the objects of resources\.db/);
    assert.match(await refusal({ workloads: { "cache-sessions": worker }, resources: { cache: { kind: "cache" } } }), /workloads\.cache-sessions: .*does not start with cache-sessions/);
    // A name that only looks alike is fine.
    const ok = await runStack(example, { workloads: { dbadmin: worker } });
    assert.equal(deployment(ok, "web-dbadmin").inputs.metadata.name, "web-dbadmin");
  });

  it("fits every object name with 20-character names (the longest allowed)", async function () {
    const long = "a".repeat(19) + "z";
    const p = await runStack(example, {
      name: "n".repeat(20),
      workloads: { [long]: { kind: "web", image: "traefik/whoami:v1.10.1", port: 8080, public: false, healthCheck: { path: "/health" } } },
      resources: { ["c".repeat(20)]: { kind: "cache" }, ["d".repeat(20)]: { kind: "sql" }, ["s".repeat(20)]: { kind: "secret" } },
    });
    for (const r of kubernetesObjectTypes(p.run.resources)) {
      const name: string | undefined = r.inputs.metadata?.name;
      if (name === undefined) continue;
      const limit = r.type === T.statefulSet ? 52 : r.type === T.cluster ? 50 : r.type === T.service || r.type === T.namespace ? 63 : 253;
      assert.ok(name.length <= limit, `${r.type} ${name} (${name.length} > ${limit})`);
      assert.match(name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, name);
    }
    assert.ok(p.all(T.statefulSet)[0].inputs.metadata.name.length <= 52);
    validateAll(p);
  });

  it("gives two stacks of one project their own namespace, so no object name is shared", async function () {
    // One at a time: the mocks are global to the process.
    const a = await runWithMocks(loadStackConfig(example), { stack: "prod" });
    const b = await runWithMocks(loadStackConfig(example), { stack: "staging" });
    const namespace = (run: typeof a) => run.resources.find((r) => r.type === T.namespace)!.inputs.metadata.name;
    assert.notEqual(namespace(a), namespace(b));
    for (const run of [a, b]) {
      for (const r of kubernetesObjectTypes(run.resources).filter((x) => x.type !== T.namespace)) assert.equal(r.inputs.metadata.namespace, namespace(run), `${r.type} ${r.name}`);
    }
  });
});
