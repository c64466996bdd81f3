/**
 * The Kubernetes adapter under mocks: the example stack (stacks/Pulumi.kubernetes.yaml)
 * and its variants, every rendered object validated against the Kubernetes OpenAPI
 * schemas (and CloudNativePG's CRD schemas), and the ha-guard verdict.
 */
import { strict as assert } from "node:assert";
import { isSecretValue, runWithMocks } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { stackConfigWith } from "../automation/stackFiles";
import { runPolicies } from "../policies/runner";
import { kubernetesObjectTypes, validateKubernetesObject } from "./kubernetesSchemas";
import { ns, runStack, type Program } from "./programQueries";

const runK8s = (patch: Record<string, unknown> = {}) => runStack("kubernetes", patch);

const T = {
  namespace: "kubernetes:core/v1:Namespace",
  deployment: "kubernetes:apps/v1:Deployment",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  service: "kubernetes:core/v1:Service",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  policy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  configMap: "kubernetes:core/v1:ConfigMap",
  secret: "kubernetes:core/v1:Secret",
  cluster: "kubernetes:postgresql.cnpg.io/v1:Cluster",
  scheduledBackup: "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  release: "kubernetes:helm.sh/v3:Release",
};

const appLabels = { "app.kubernetes.io/name": "web", "app.kubernetes.io/component": "app" };

/** Validates every Kubernetes object a run registered; returns how many. */
function validateAll(p: Program): number {
  const objects = kubernetesObjectTypes(p.run.resources);
  for (const r of objects) validateKubernetesObject(r.type, r.inputs);
  return objects.length;
}

describe("Kubernetes adapter: the example stack under mocks", function () {
  let p: Program;
  before(async function () {
    p = await runK8s();
  });

  it("renders only objects that the Kubernetes and CloudNativePG schemas accept", function () {
    assert.ok(validateAll(p) >= 12);
  });

  it("puts everything in its namespace (default: the service and stack, <name>-<stack>), behind a default-deny policy", function () {
    const namespace = p.one(T.namespace);
    assert.equal(namespace.inputs.metadata.name, "web-test");
    for (const r of kubernetesObjectTypes(p.run.resources).filter((x) => x.type !== T.namespace && x.type !== T.release)) {
      assert.equal(r.inputs.metadata.namespace, "web-test", `${r.type} ${r.name}`);
    }
    const deny = p.all(T.policy).find((x) => x.inputs.metadata.name === "default-deny-ingress");
    assert.deepEqual(deny?.inputs.spec, { podSelector: {}, policyTypes: ["Ingress"] });
  });

  it("runs the app as a Deployment that rolls with zero unavailable, probes the health path and drains before stopping", function () {
    const d = p.one(T.deployment, "-app").inputs;
    assert.equal(d.spec.replicas, 2);
    assert.deepEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    assert.equal(c.image, "traefik/whoami:v1.10.1");
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) assert.deepEqual(probe.httpGet, { path: "/health", port: "http" });
    assert.ok(c.lifecycle.preStop.sleep.seconds >= 5);
    assert.ok(pod.terminationGracePeriodSeconds > c.lifecycle.preStop.sleep.seconds, "grace covers the preStop pause");
    assert.deepEqual(c.resources, { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "256Mi" } });
    assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } });
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.deepEqual(pod.topologySpreadConstraints.map((t: { topologyKey: string }) => t.topologyKey), ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
    assert.deepEqual(d.spec.selector.matchLabels, appLabels);
  });

  it("keeps all but one pod through disruptions, and autoscales from count to maxCount", function () {
    const pdb = p.one(T.pdb, "-app").inputs;
    assert.deepEqual(pdb.spec, { maxUnavailable: 1, selector: { matchLabels: appLabels } });
    const hpa = p.one(T.hpa);
    assert.deepEqual([hpa.inputs.spec.minReplicas, hpa.inputs.spec.maxReplicas], [2, 6]);
    assert.ok(p.links(hpa, "spec", p.one(T.deployment, "-app")), "the HPA targets the Deployment");
  });

  it("serves HTTPS through the Ingress with a cert-manager certificate, HTTP redirected", function () {
    const ingress = p.one(T.ingress).inputs;
    assert.equal(ingress.metadata.annotations["cert-manager.io/cluster-issuer"], "letsencrypt-prod");
    assert.equal(ingress.metadata.annotations["nginx.ingress.kubernetes.io/ssl-redirect"], "true");
    assert.equal(ingress.spec.ingressClassName, "nginx");
    assert.deepEqual(ingress.spec.tls, [{ hosts: ["app.example.com"], secretName: "web-tls" }]);
    assert.equal(ingress.spec.rules[0].host, "app.example.com");
    assert.ok(p.links(p.one(T.ingress), "spec", p.one(T.service, "-app")), "the Ingress routes to the Service");
    assert.equal(p.one(T.service, "-app").inputs.spec.type, "ClusterIP");
  });

  it("lets only the ingress controller's namespace reach the app", function () {
    const policy = p.all(T.policy).find((x) => x.inputs.metadata.name === "web-from-ingress")!;
    assert.deepEqual(policy.inputs.spec.podSelector, { matchLabels: appLabels });
    assert.deepEqual(policy.inputs.spec.ingress[0].from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }]);
  });

  it("runs a protected CloudNativePG cluster of 3 instances with backups to the bucket", function () {
    const cluster = p.one(T.cluster);
    const spec = cluster.inputs.spec;
    assert.equal(spec.instances, 3);
    assert.equal(spec.bootstrap.initdb.database, "app");
    assert.equal(spec.backup.retentionPolicy, "7d");
    assert.match(spec.backup.barmanObjectStore.destinationPath, /^s3:\/\/my-app-files\//);
    assert.equal(spec.backup.barmanObjectStore.endpointURL, "https://s3.eu-west-1.amazonaws.com");
    assert.equal(cluster.protect, true);
    assert.equal(p.one(T.scheduledBackup).inputs.spec.cluster.name, cluster.inputs.metadata.name);
  });

  it("wires the app to the database's read-write service and generated secret, and the bucket's credentials", function () {
    const env = p.one(T.configMap, "-env").inputs.data;
    assert.match(env.DATABASE_HOST, /^web-db-rw\.web-test\.svc\.cluster\.local$/);
    assert.equal(env.DATABASE_PORT, "5432");
    assert.equal(env.BUCKET_NAME, "my-app-files");
    assert.equal(env.BUCKET_ENDPOINT, "https://s3.eu-west-1.amazonaws.com");
    assert.equal(env.TRUSTED_PROXY_HOPS, "1");
    const c = p.one(T.deployment, "-app").inputs.spec.template.spec.containers[0];
    const fromSecret = Object.fromEntries(c.env.map((e: { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }) => [e.name, `${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`]));
    assert.equal(fromSecret.DATABASE_USER, "web-db-app/username");
    assert.equal(fromSecret.DATABASE_PASSWORD, "web-db-app/password");
    assert.equal(fromSecret.BUCKET_SECRET_ACCESS_KEY, "web-bucket/ACCESS_SECRET_KEY");
    const bucketSecret = p.one(T.secret, "-bucket");
    assert.ok(isSecretValue(bucketSecret.rawInputs.stringData) || isSecretValue((bucketSecret.rawInputs.stringData as Record<string, unknown>).ACCESS_SECRET_KEY));
  });

  it("passes ha-guard with no violation at all", async function () {
    const report = await runPolicies(stackResources(p.run));
    assert.deepEqual(report.violations, []);
    for (const rule of ["min-nodes", "nodes-span-zones", "nodes-autoheal", "rolling-updates-keep-capacity", "lb-https-only", "database-replicated", "database-backups", "database-deletion-protection"]) {
      assert.ok(!report.notApplicable.some((n) => n.policy === rule), `${rule} judged the stack`);
    }
  });
});

describe("Kubernetes adapter: options", function () {
  it("adds a Valkey session store with failover, schema-valid and reachable by the app only", async function () {
    const p = await runK8s({ sessions: { enabled: true } });
    validateAll(p);
    assert.ok(p.all(T.statefulSet).length >= 1);
    const env = p.one(T.configMap, "-env").inputs.data;
    assert.ok(env.SESSION_STORE_HOST);
    assert.equal(env.SESSION_STORE_PORT, "6379");
    assert.deepEqual((await runPolicies(stackResources(p.run))).violations.filter((v) => v.level === "mandatory"), []);
  });

  it("installs the CloudNativePG operator with Helm when asked, before the cluster", async function () {
    const p = await runK8s({ kubernetes: { installCnpgOperator: true } });
    const release = p.one(T.release);
    assert.equal(release.inputs.chart, "cloudnative-pg");
    assert.ok(p.one(T.cluster).dependencies.includes(release.urn));
    validateAll(p);
  });

  it("exposes the standbys as read hosts when readReplicas > 0", async function () {
    const p = await runK8s({ database: { readReplicas: 1 } });
    assert.match(p.one(T.configMap, "-env").inputs.data.DATABASE_READ_HOSTS, /^web-db-ro\.web-test\.svc\.cluster\.local$/);
  });

  it("puts app secrets in a Secret the pods read as environment, never in the ConfigMap", async function () {
    const p = await runK8s({ secrets: { STRIPE_KEY: "sk_live_do_not_leak" } });
    const secret = p.one(T.secret, "-app-secrets");
    const data = secret.rawInputs.stringData;
    assert.ok(isSecretValue(data) || Object.values(data as Record<string, unknown>).every(isSecretValue), "the values are sent as Pulumi secrets");
    assert.ok(!JSON.stringify(p.one(T.configMap, "-env").inputs).includes("sk_live_do_not_leak"));
    validateAll(p);
  });
});

describe("Kubernetes adapter: refusals", function () {
  it("needs the S3-compatible bucket settings, naming each missing key", async function () {
    const run = await runWithMocks(stackConfigWith("kubernetes", ns({ storage: { endpoint: undefined, accessKeyId: undefined } })));
    assert.match(run.error?.message ?? "", /ha-topology:storage\.endpoint: .*set on kubernetes/);
    assert.match(run.error?.message ?? "", /ha-topology:storage\.accessKeyId: /);
  });

  it("never prints the bucket's secret key, even when refusing it", async function () {
    const run = await runWithMocks(stackConfigWith("aws", ns({ storage: { secretAccessKey: "wJalrXUtnFEMI-do-not-print" } })));
    assert.match(run.error?.message ?? "", /ha-topology:storage\.secretAccessKey: received \[secret\]/);
    assert.ok(!(run.error?.message ?? "").includes("wJalrXUtnFEMI"));
  });
});
