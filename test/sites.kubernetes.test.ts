/**
 * Static sites (`kind: site`, issue 17) on Kubernetes (components/platforms/kubernetes/site.ts
 * and siteServer.ts), under mocks: the Alerta example (the UI at `/`, the API at `/api`, one
 * domain), a site under a path prefix with CORS, a site whose file changes, and the
 * refusals. Every rendered object is validated against the Kubernetes schemas.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { runWithMocks, type RegisteredResource } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { stackConfigWith } from "../automation/stackFiles";
import { siteDigestAnnotation, siteFileObjectName } from "../components/platforms/kubernetes/site";
import { siteServerConfig, siteServerImage, siteSyncImage } from "../components/platforms/kubernetes/siteServer";
import { contentTypes, siteFiles } from "../components/siteFiles";
import { runPolicies } from "../policies/runner";
import { kubernetesObjectTypes, validateKubernetesObject } from "./kubernetesSchemas";
import { ns, runStack, type Program } from "./programQueries";

const example = "stacks/examples/Pulumi.alerta-kubernetes.yaml";

const T = {
  object: "aws:s3/bucketObjectv2:BucketObjectv2",
  provider: "pulumi:providers:aws",
  deployment: "kubernetes:apps/v1:Deployment",
  service: "kubernetes:core/v1:Service",
  configMap: "kubernetes:core/v1:ConfigMap",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  pdb: "kubernetes:policy/v1:PodDisruptionBudget",
  hpa: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
  policy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  component: "ha-topology:kubernetes:Site",
};

const named = (p: Program, type: string, name: string): RegisteredResource => {
  const found = p.all(type).filter((r) => r.inputs.metadata?.name === name);
  assert.equal(found.length, 1, `one ${type} ${name}`);
  return found[0];
};
const objectsByKey = (p: Program): Map<string, RegisteredResource> => new Map(p.all(T.object).map((o) => [o.inputs.key as string, o]));
const nginxConf = (p: Program, ln: string): string => named(p, T.configMap, `${ln}-nginx`).inputs.data["nginx.conf"];

describe("Kubernetes platform: a static site (the Alerta shape)", function () {
  let p: Program;
  before(async function () {
    p = await runStack(example);
  });

  it("renders schema-valid objects: the site's Deployment, Service, PDB, HPA, policies and nginx config", function () {
    for (const r of kubernetesObjectTypes(p.run.resources)) validateKubernetesObject(r.type, r.inputs, r.name);
    assert.equal(p.all(T.component).length, 1);
    for (const type of [T.deployment, T.service, T.pdb, T.hpa]) named(p, type, "web-ui");
    assert.deepEqual(p.outputs.workloads.ui, { kind: "site", url: "https://alerta.example.com", nodeGroupId: "web-ui" });
  });

  it("uploads one object per file to the first bucket under <namespace>/sites/ui/, relative source, type and Cache-Control from siteFiles", async function () {
    const files = siteFiles("stacks/examples/alerta-ui", { html: 60, assets: 3600, hashedAssets: 31536000 });
    const objects = objectsByKey(p);
    const prefix = "web-test/sites/ui/";
    assert.deepEqual([...objects.keys()].sort(), files.map((f) => `${prefix}${f.key}`).sort());
    for (const f of files) {
      const o = objects.get(`${prefix}${f.key}`)!;
      assert.equal(o.name, siteFileObjectName("web-ui", f.key));
      assert.equal(o.inputs.bucket, "alerta-files");
      assert.equal(o.inputs.contentType, f.contentType);
      assert.equal(o.inputs.cacheControl, f.cacheControl);
      assert.equal(o.inputs.sourceHash, f.sha256);
      // Relative to the project directory: the same input on every machine.
      assert.equal(await (o.rawInputs.source as pulumi.asset.FileAsset).path, path.posix.join("stacks/examples/alerta-ui", f.key));
    }
    const byKey = Object.fromEntries(files.map((f) => [f.key, f]));
    assert.equal(byKey["index.html"].contentType, "text/html; charset=utf-8");
    assert.match(byKey["index.html"].cacheControl, /must-revalidate/);
    assert.match(byKey["assets/app.3f9a1c2b.js"].cacheControl, /immutable/);
    assert.equal(byKey["logo.svg"].contentType, "image/svg+xml");
    // The provider speaks to the bucket's endpoint (a provider's object inputs are JSON text).
    const provider = p.one(T.provider, "web-ui-s3");
    assert.deepEqual(JSON.parse(provider.inputs.endpoints), [{ s3: "https://s3.eu-west-1.amazonaws.com" }]);
    assert.ok(p.all(T.object).every((o) => o.inputs.key.startsWith(prefix)), "every object under the prefix");
    assert.equal(provider.inputs.region, "eu-west-1");
  });

  it("runs an unprivileged, pinned nginx with 2+ replicas spread over zones, probes, and an init copy from the bucket", function () {
    const d = named(p, T.deployment, "web-ui");
    const spec = d.inputs.spec.template.spec;
    assert.equal(d.inputs.spec.replicas, 2);
    assert.deepEqual(d.inputs.spec.strategy.rollingUpdate, { maxUnavailable: 0, maxSurge: 1 });
    assert.equal(d.inputs.spec.template.metadata.labels["ha-topology/role"] ?? d.inputs.spec.template.metadata.labels[Object.keys(d.inputs.spec.template.metadata.labels).find((k) => k.endsWith("role"))!], "web");
    assert.equal(spec.securityContext.runAsNonRoot, true);
    assert.deepEqual(spec.topologySpreadConstraints.map((c: any) => c.topologyKey), ["topology.kubernetes.io/zone", "kubernetes.io/hostname"]);
    const [server] = spec.containers;
    const [sync] = spec.initContainers;
    for (const c of [server, sync]) {
      assert.equal(c.securityContext.readOnlyRootFilesystem, true);
      assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
      assert.equal(c.securityContext.allowPrivilegeEscalation, false);
    }
    assert.equal(server.image, siteServerImage);
    assert.equal(sync.image, siteSyncImage);
    assert.match(server.image, /^nginxinc\/nginx-unprivileged:\d+\.\d+\.\d+/);
    assert.match(sync.image, /^rclone\/rclone:\d+\.\d+\.\d+$/);
    assert.deepEqual(server.readinessProbe.httpGet, { path: "/index.html", port: "http" });
    assert.deepEqual(server.livenessProbe.httpGet, { path: "/index.html", port: "http" });
    assert.deepEqual(sync.args.slice(0, 3), ["copy", ":s3:alerta-files/web-test/sites/ui/", "/srv/www"]);
    const env = Object.fromEntries(sync.env.map((e: any) => [e.name, e]));
    assert.equal(env.RCLONE_S3_ENDPOINT.value, "https://s3.eu-west-1.amazonaws.com");
    assert.deepEqual(env.RCLONE_S3_SECRET_ACCESS_KEY.valueFrom.secretKeyRef, { name: "web-files-bucket", key: "ACCESS_SECRET_KEY" });
    assert.ok(!JSON.stringify(d.inputs).includes("replace-me-with"), "no secret value in the pod spec");
    assert.match(d.inputs.spec.template.metadata.annotations[siteDigestAnnotation], /^[0-9a-f]{64}$/);
    assert.equal(named(p, T.pdb, "web-ui").inputs.spec.maxUnavailable, 1);
    assert.equal(named(p, T.hpa, "web-ui").inputs.spec.minReplicas, 2);
    // The objects are uploaded before a pod copies them.
    const objects = p.all(T.object).map((o) => o.urn);
    assert.ok(objects.every((urn) => d.dependencies.includes(urn)), "the Deployment depends on every file's object");
  });

  it("is a rule of the same Ingress as the API, on one host, with cert-manager TLS and HTTPS only", function () {
    const ingress = p.one(T.ingress);
    const rules = ingress.inputs.spec.rules.map((r: any) => [r.host, r.http.paths[0].path, r.http.paths[0].backend.service.name]);
    assert.deepEqual(rules.sort(), [["alerta.example.com", "/", "web-ui"], ["alerta.example.com", "/api", "web-api"]]);
    assert.deepEqual(ingress.inputs.spec.tls, [{ hosts: ["alerta.example.com"], secretName: "web-tls" }]);
    assert.equal(ingress.inputs.metadata.annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"], "true");
    assert.ok(ingress.inputs.metadata.annotations["cert-manager.io/cluster-issuer"]);
    assert.equal(named(p, T.service, "web-ui").inputs.spec.type, "ClusterIP");
  });

  it("admits only the ingress controller and reaches no private address (the web workloads' policies)", function () {
    const into = named(p, T.policy, "web-ui-in").inputs.spec;
    assert.deepEqual(into.ingress[0].from, [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }]);
    const out = named(p, T.policy, "web-ui-out").inputs.spec;
    assert.deepEqual(out.policyTypes, ["Egress"]);
    assert.ok(out.egress.some((r: any) => r.to?.some((peer: any) => peer.ipBlock?.except?.includes("10.0.0.0/8"))));
  });

  it("configures nginx from the one table: every content type, each file's Cache-Control, the SPA fallback", function () {
    const conf = nginxConf(p, "web-ui");
    for (const [ext, type] of Object.entries(contentTypes)) assert.match(conf, new RegExp(`"${type.replace(/[+.]/g, "\\$&")}"[^;]* ${ext.slice(1)}[ ;]`), ext);
    const files = siteFiles("stacks/examples/alerta-ui", { html: 60, assets: 3600, hashedAssets: 31536000 });
    for (const f of files) assert.ok(conf.includes(`"/${f.key}" "${f.cacheControl}";`), f.key);
    assert.ok(conf.includes("try_files $uri /index.html;"));
    assert.ok(!conf.includes("Access-Control-Allow-Origin"), "no CORS unless cors.origins");
    assert.ok(conf.includes("add_header X-Content-Type-Options nosniff;"));
  });

  it("passes ha-guard with zero mandatory violations, and the pack judges the site's Deployment as a web", async function () {
    const report = await runPolicies(stackResources(p.run));
    assert.deepEqual(report.violations.filter((v) => v.level === "mandatory"), []);
    // Each break of the site's objects (inputs and outputs alike) is caught by the rule a web workload's would be.
    const breaks: [string, string, (type: string, props: any) => void][] = [
      ["min-nodes", "one replica", (type, props) => {
        if (type === T.deployment) props.spec.replicas = 1;
        if (type === T.hpa) props.spec.minReplicas = 1;
      }],
      ["nodes-span-zones", "no spread", (type, props) => {
        if (type === T.deployment) delete props.spec.template.spec.topologySpreadConstraints;
      }],
      ["lb-http-health-check", "no readiness probe", (type, props) => {
        if (type === T.deployment) delete props.spec.template.spec.containers[0].readinessProbe;
      }],
    ];
    for (const [rule, what, mutate] of breaks) {
      const resources = structuredClone(stackResources(p.run));
      for (const r of resources) {
        if ((r.inputs as any).metadata?.name !== "web-ui") continue;
        mutate(r.type, r.inputs);
        if (r.outputs) mutate(r.type, r.outputs);
      }
      const broken = await runPolicies(resources);
      assert.ok(broken.violations.some((v) => v.policy === rule && /web-ui/.test(`${v.resourceName ?? ""} ${v.message}`)), `${what}: ${JSON.stringify(broken.violations)}`);
    }
  });
});

describe("Kubernetes platform: a site under a path, with CORS, and its file changes", function () {
  const projectDir = process.cwd();
  let dir: string;
  before(function () {
    dir = fs.mkdtempSync(path.join(projectDir, ".site-k8s-test-"));
    fs.cpSync("test/fixtures/site", dir, { recursive: true });
  });
  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const docs = () => ({ workloads: { docs: { kind: "site", source: path.relative(projectDir, dir), path: "/docs", cors: { origins: ["https://app.example.com"] } } } });

  it("serves the prefix from its directory, no SPA fallback, CORS for its origins only", async function () {
    const p = await runStack(example, docs());
    for (const r of kubernetesObjectTypes(p.run.resources)) validateKubernetesObject(r.type, r.inputs, r.name);
    const conf = nginxConf(p, "web-docs");
    assert.ok(conf.includes("try_files $uri $uri/ =404;"));
    assert.ok(conf.includes('"https://app.example.com" $http_origin;'));
    assert.ok(conf.includes("add_header Access-Control-Allow-Origin $site_cors_origin;"));
    assert.ok(conf.includes('"/docs/index.html"'));
    const d = named(p, T.deployment, "web-docs");
    assert.equal(d.inputs.spec.template.spec.initContainers[0].args[2], "/srv/www/docs");
    assert.deepEqual(d.inputs.spec.template.spec.containers[0].readinessProbe.httpGet.path, "/docs/index.html");
    const rules = p.one(T.ingress).inputs.spec.rules.map((r: any) => `${r.host}${r.http.paths[0].path}`).sort();
    assert.deepEqual(rules, ["alerta.example.com/", "alerta.example.com/api", "alerta.example.com/docs"]);
    assert.equal(p.outputs.workloads.docs.url, "https://alerta.example.com/docs");
  });

  it("changes only the changed file's object (and rolls the pods) when one file changes", async function () {
    const before = await runStack(example, docs());
    fs.appendFileSync(path.join(dir, "robots.txt"), "# changed\n");
    const after = await runStack(example, docs());
    const a = objectsByKey(before);
    const b = objectsByKey(after);
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    const changed = [...a].filter(([key, o]) => JSON.stringify(o.inputs) !== JSON.stringify(b.get(key)!.inputs)).map(([key]) => key);
    assert.deepEqual(changed, ["web-test/sites/docs/robots.txt"]);
    const digest = (p: Program) => named(p, T.deployment, "web-docs").inputs.spec.template.metadata.annotations[siteDigestAnnotation];
    assert.notEqual(digest(before), digest(after));
  });
});

describe("Kubernetes platform: site refusals and stacks without a site", function () {
  it("refuses a site in a stack without a bucket resource, before any resource", async function () {
    const run = await runWithMocks(stackConfigWith(example, ns({ workloads: { api: { uses: [], env: { DATABASE_URL: undefined } } }, resources: undefined })));
    assert.equal(run.error?.name, "TopologyConfigError");
    assert.match(run.error?.message ?? "", /ha-topology:workloads\.ui: received "ui"; allowed: a site next to a bucket resource on kubernetes/);
    assert.deepEqual(run.resources.filter((r) => r.custom), []);
  });

  it("refuses two files whose paths differ only in case and need different Cache-Control", function () {
    const base = { size: 1, file: "/x", sha256: "0", contentType: "text/javascript; charset=utf-8" };
    const files = [
      { ...base, key: "index.html", fileClass: "html" as const, cacheControl: "no-cache" },
      { ...base, key: "a.3f9a1c2b.js", fileClass: "hashed" as const, cacheControl: "public, max-age=31536000, immutable" },
      { ...base, key: "A.3F9A1C2B.js", fileClass: "asset" as const, cacheControl: "public, max-age=3600" },
    ];
    assert.throws(() => siteServerConfig({ name: "ui", route: { host: "h", path: "/" }, spa: true, cors: undefined }, files), /differ only in case/);
  });

  it("gives a site on its own host its own TLS entry and DNS record on the same Ingress", async function () {
    const p = await runStack(example, { workloads: { ui: { path: undefined, host: "ui.alerta.example.com" } } });
    const ingress = p.one(T.ingress);
    const hosts = ingress.inputs.spec.tls.map((t: any) => t.hosts[0]).sort();
    assert.deepEqual(hosts, ["alerta.example.com", "ui.alerta.example.com"]);
    assert.ok(ingress.inputs.spec.rules.some((r: any) => r.host === "ui.alerta.example.com" && r.http.paths[0].backend.service.name === "web-ui"));
    assert.equal(p.outputs.workloads.ui.url, "https://ui.alerta.example.com");
  });

  it("adds a site to the single service's Ingress, keeping every legacy URN and every other input", async function () {
    const legacy = await runStack("kubernetes");
    const mixed = await runStack("kubernetes", { workloads: { docs: { kind: "site", source: "test/fixtures/site", path: "/docs" } } });
    for (const r of kubernetesObjectTypes(mixed.run.resources)) validateKubernetesObject(r.type, r.inputs, r.name);
    const byUrn = new Map(mixed.run.resources.map((r) => [r.urn, r]));
    for (const r of legacy.run.resources) {
      assert.ok(byUrn.has(r.urn), `kept ${r.urn}`);
      if (r.type === T.ingress) continue; // gains the site's rule
      assert.deepEqual(byUrn.get(r.urn)!.inputs, r.inputs, `${r.type} ${r.name}`);
    }
    const ingress = mixed.one(T.ingress);
    assert.deepEqual(ingress.inputs.spec.rules.map((r: any) => [r.http.paths[0].path, r.http.paths[0].backend.service.name]), [["/", "web"], ["/docs", "web-docs"]]);
    // The single service's bucket holds the files.
    const sync = named(mixed, T.deployment, "web-docs").inputs.spec.template.spec.initContainers[0];
    assert.equal(sync.env.find((e: any) => e.name === "RCLONE_S3_ACCESS_KEY_ID").valueFrom.secretKeyRef.name, "web-bucket");
  });

  it("quotes a key with spaces, quotes and unicode in the nginx config, and names its object by a hash", function () {
    const base = { size: 1, file: "/x", sha256: "0", contentType: "image/svg+xml", fileClass: "asset" as const, cacheControl: "public, max-age=3600" };
    const files = [{ ...base, key: "index.html", cacheControl: "no-cache" }, { ...base, key: 'img/ünï "cödé" 1.svg' }];
    const conf = siteServerConfig({ name: "ui", route: { host: "h", path: "/" }, spa: false, cors: undefined }, files);
    assert.ok(conf.includes('    "/img/ünï \\"cödé\\" 1.svg" "public, max-age=3600";'), conf);
    assert.match(siteFileObjectName("web-ui", files[1].key), /^web-ui-file-[0-9a-f]{16}$/);
    assert.notEqual(siteFileObjectName("web-ui", "a"), siteFileObjectName("web-ui", "A"));
  });

  it("keeps a stack without a site exactly as before (no Site, no aws provider)", async function () {
    const p = await runStack("stacks/examples/Pulumi.kubernetes-services.yaml");
    assert.deepEqual([...p.all(T.component), ...p.all(T.object), ...p.all(T.provider)], []);
  });
});
