/**
 * Static sites on GCP (issue 17) under mocks: stacks/examples/Pulumi.alerta-gcp.yaml, the
 * Alerta shape (the UI at `/`, the API at `/api`, one domain). The site's files are objects
 * of a private, versioned, protected bucket with the content type and Cache-Control of
 * siteFiles.ts; the load balancer's service agent is the bucket's only reader; a backend
 * bucket with Cloud CDN is on the same URL map, HTTPS proxy and SSL policy as the API; the
 * SPA fallback is the bucket's notFoundPage; a changed file changes only its object's
 * asset; and ha-guard finds no mandatory violation.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { RegisteredResource } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { capabilities } from "../components/model/capabilities";
import { fileLogicalName, loadBalancerAgent } from "../components/platforms/gcp/site";
import { siteFiles } from "../components/siteFiles";
import { runPolicies } from "../policies/runner";
import { type Program, runStack } from "./programQueries";

const example = "stacks/examples/Pulumi.alerta-gcp.yaml";

const T = {
  site: "ha-topology:gcp:StaticSite",
  bucket: "gcp:storage/bucket:Bucket",
  object: "gcp:storage/bucketObject:BucketObject",
  reader: "gcp:storage/bucketIAMMember:BucketIAMMember",
  backendBucket: "gcp:compute/backendBucket:BackendBucket",
  backendService: "gcp:compute/backendService:BackendService",
  urlMap: "gcp:compute/uRLMap:URLMap",
  httpsProxy: "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
  httpProxy: "gcp:compute/targetHttpProxy:TargetHttpProxy",
  sslPolicy: "gcp:compute/sSLPolicy:SSLPolicy",
  certificate: "gcp:compute/managedSslCertificate:ManagedSslCertificate",
};

const api = {
  kind: "web", image: "traefik/whoami:v1.10.1", port: 8080, path: "/api", count: 2,
  healthCheck: { path: "/api/health" }, env: { WHOAMI_PORT_NUMBER: "8080", DATABASE_URL: "${resources.db.url}" }, uses: ["db"],
};
const ui = { kind: "site", source: "stacks/examples/alerta-ui", path: "/", spa: true };

/** The example with its workloads replaced (a patch merges into the example's map: `undefined` removes an entry). */
const withWorkloads = (workloads: Record<string, unknown>) => ({ workloads: { ui: undefined, api: undefined, ...workloads } });

function named(p: Program, type: string, name: string): RegisteredResource {
  const found = p.all(type).filter((r) => r.name === name);
  assert.equal(found.length, 1, `expected one ${type} named ${name}, found ${p.all(type).map((r) => r.name).join(", ")}`);
  return found[0];
}

const siteBucket = (p: Program, site = "ui") => named(p, T.bucket, `web-${site}-site-files`);
const backendBucket = (p: Program, site = "ui") => named(p, T.backendBucket, `web-${site}-cdn`);
const objectsOf = (p: Program, site = "ui") => p.all(T.object).filter((o) => o.name.startsWith(`web-${site}-file-`));
const objectAt = (p: Program, key: string, site = "ui") => named(p, T.object, fileLogicalName(`web-${site}`, key));
/** The path a FileAsset input points at (the SDK keeps it as a promise, which only the raw inputs still hold). */
async function assetPath(o: RegisteredResource): Promise<string> {
  const source = o.rawInputs.source as { __pulumiAsset?: boolean; path?: Promise<string> } | undefined;
  assert.equal(source?.__pulumiAsset, true, `${o.name}: source is a Pulumi asset`);
  return String(await source?.path);
}
const httpsUrlMap = (p: Program) => named(p, T.urlMap, "web-urlmap");

describe("GCP platform: static sites (a backend bucket with Cloud CDN on the URL map)", function () {
  let p: Program;
  before(async function () {
    p = await runStack(example);
  });

  it("serves sites on gcp: the capability row lists kind site and refuses it no more", function () {
    assert.ok(capabilities.gcp.workloads.includes("site"));
    assert.equal(capabilities.gcp.comingKinds?.site, undefined);
  });

  it("keeps the files in a private, versioned, protected bucket under the HaService", function () {
    const b = siteBucket(p);
    assert.equal(b.inputs.uniformBucketLevelAccess, true);
    assert.equal(b.inputs.publicAccessPrevention, "enforced");
    assert.deepEqual(b.inputs.versioning, { enabled: true });
    assert.equal(b.inputs.forceDestroy, false);
    assert.equal(b.protect, true);
    assert.equal(b.inputs.location, "europe-west1");
    assert.deepEqual(b.parents, ["ha-topology:index:HaService", T.site, "ha-topology:gcp:Bucket"]);
    p.assertAllUnderService();
  });

  it("grants the bucket to the load balancer's service agent only (objectViewer), after the backend bucket exists", function () {
    const readers = p.all(T.reader).filter((g) => p.links(g, "bucket", siteBucket(p)));
    assert.equal(readers.length, 1, readers.map((r) => r.name).join(", "));
    const [reader] = readers;
    assert.equal(reader.inputs.role, "roles/storage.objectViewer");
    assert.equal(reader.inputs.member, loadBalancerAgent("123456789012"));
    assert.equal(reader.inputs.member, "serviceAccount:service-123456789012@https-lb.iam.gserviceaccount.com");
    assert.ok(reader.dependencies.includes(backendBucket(p).urn), "the service agent exists only once a backend bucket does");
    // Nothing anywhere grants the site's bucket to the public.
    for (const g of p.all(T.reader)) assert.doesNotMatch(String(g.inputs.member), /allUsers|allAuthenticatedUsers/);
  });

  it("puts Cloud CDN on the backend bucket, caching by the files' own Cache-Control", function () {
    const bb = backendBucket(p);
    assert.ok(p.links(bb, "bucketName", siteBucket(p)));
    assert.equal(bb.inputs.bucketName, p.state(siteBucket(p)).name ?? bb.inputs.bucketName);
    assert.equal(bb.inputs.enableCdn, true);
    assert.equal(bb.inputs.cdnPolicy.cacheMode, "USE_ORIGIN_HEADERS");
    // USE_ORIGIN_HEADERS takes no TTLs of its own: the objects' Cache-Control decides.
    for (const ttl of ["defaultTtl", "maxTtl", "clientTtl"]) assert.equal(bb.inputs.cdnPolicy[ttl], undefined, ttl);
    assert.deepEqual(bb.inputs.customResponseHeaders, ["Strict-Transport-Security: max-age=31536000"]);
  });

  it("uploads one object per file, with the content type and Cache-Control of its class, from a path relative to the project", async function () {
    const expected: Record<string, { type: string; cache: string }> = {
      "index.html": { type: "text/html; charset=utf-8", cache: "public, max-age=60, must-revalidate" },
      "assets/app.3f9a1c2b.js": { type: "text/javascript; charset=utf-8", cache: "public, max-age=31536000, immutable" },
      "assets/app.3f9a1c2b.css": { type: "text/css; charset=utf-8", cache: "public, max-age=31536000, immutable" },
      "logo.svg": { type: "image/svg+xml", cache: "public, max-age=3600" },
    };
    assert.deepEqual(objectsOf(p).map((o) => o.inputs.name).sort(), Object.keys(expected).sort());
    for (const [key, want] of Object.entries(expected)) {
      const o = objectAt(p, key);
      assert.ok(p.links(o, "bucket", siteBucket(p)), key);
      assert.equal(o.inputs.contentType, want.type, key);
      assert.equal(o.inputs.cacheControl, want.cache, key);
      const from = await assetPath(o);
      assert.equal(from, `stacks/examples/alerta-ui/${key}`, key);
      assert.ok(!path.isAbsolute(from), "an absolute path would differ between machines");
      // Same name, new content: the old object must go first, or its delete would remove the upload.
      assert.equal(o.deleteBeforeReplace, true, key);
    }
  });

  it("uploads the HTML after the other files, so a new index.html never names a file not there yet", function () {
    const assets = objectsOf(p).filter((o) => !o.inputs.name.endsWith(".html"));
    assert.equal(assets.length, 3);
    for (const a of assets) assert.ok(objectAt(p, "index.html").dependencies.includes(a.urn), a.inputs.name);
    for (const a of assets) assert.ok(!a.dependencies.some((d) => objectsOf(p).some((o) => o.urn === d)), `${a.inputs.name} waits for no other file`);
  });

  it("answers a single-page app's unknown paths with its index.html (the bucket's notFoundPage), / with index.html", function () {
    assert.deepEqual(siteBucket(p).inputs.website, { mainPageSuffix: "index.html", notFoundPage: "index.html" });
    assert.equal(siteBucket(p).inputs.cors, undefined, "no CORS unless cors.origins is set");
  });

  it("routes / to the backend bucket and /api to the API's backend service on ONE URL map", function () {
    const map = httpsUrlMap(p);
    const bb = backendBucket(p);
    const service = named(p, T.backendService, "web-api-backend");
    assert.equal(map.inputs.defaultService, p.id(bb));
    assert.equal(map.inputs.defaultRouteAction, undefined, "the site answers the domain's other paths: no 404 action");
    assert.equal(map.inputs.pathMatchers.length, 1);
    const [matcher] = map.inputs.pathMatchers;
    assert.equal(matcher.defaultService, p.id(bb));
    assert.deepEqual(matcher.pathRules, [{ paths: ["/api", "/api/*"], service: p.id(service) }]);
    assert.deepEqual(map.inputs.hostRules, [{ hosts: ["alerts.example.com"], pathMatcher: matcher.name }]);
    assert.equal(p.all(T.urlMap).length, 2, "the HTTPS URL map and the redirect-only one");
    assert.equal(p.outputs.workloads.ui.url, "https://alerts.example.com");
    assert.equal(p.outputs.workloads.api.url, "https://alerts.example.com/api");
    assert.equal(p.outputs.workloads.ui.kind, "site");
  });

  it("serves the site through the same HTTPS proxy (TLS 1.2+ SSL policy, the domain's certificate) and redirects HTTP", function () {
    const proxy = p.one(T.httpsProxy);
    assert.ok(p.links(proxy, "urlMap", httpsUrlMap(p)));
    const policy = p.one(T.sslPolicy);
    assert.ok(p.links(proxy, "sslPolicy", policy));
    assert.equal(policy.inputs.minTlsVersion, "TLS_1_2");
    assert.equal(policy.inputs.profile, "MODERN");
    assert.deepEqual(p.all(T.certificate).map((c) => c.inputs.managed.domains), [["alerts.example.com"]]);
    const redirect = named(p, T.urlMap, "web-redirect");
    assert.ok(p.links(p.one(T.httpProxy), "urlMap", redirect));
    assert.equal(redirect.inputs.defaultUrlRedirect.httpsRedirect, true);
    assert.equal(redirect.inputs.defaultService, undefined);
  });

  it("passes ha-guard with no mandatory violation", async function () {
    const report = await runPolicies(stackResources(p.run));
    const mandatory = report.violations.filter((v) => v.level === "mandatory");
    assert.deepEqual(mandatory, [], mandatory.map((v) => `${v.policy}: ${v.message}`).join("\n"));
    for (const rule of ["storage-private", "storage-versioning", "lb-https-only", "lb-tls-min-version", "min-nodes"]) {
      assert.ok(!report.notApplicable.some((n) => n.policy === rule), `${rule} judged the stack`);
    }
  });
});

describe("GCP platform: static site variants", function () {
  it("sets CORS (GET, HEAD) for the configured origins, and no notFoundPage without spa", async function () {
    const p = await runStack(example, withWorkloads({ api, ui: { ...ui, spa: false, cors: { origins: ["https://app.example.com", "https://admin.example.com"] } } }));
    const b = siteBucket(p);
    assert.deepEqual(b.inputs.cors, [{ origins: ["https://app.example.com", "https://admin.example.com"], methods: ["GET", "HEAD"], responseHeaders: ["Content-Type"], maxAgeSeconds: 3600 }]);
    assert.deepEqual(b.inputs.website, { mainPageSuffix: "index.html" });
  });

  it("serves a site under a path prefix: objects under the prefix, its paths to the bucket, the rest to the web at /", async function () {
    const app = { ...api, path: "/", healthCheck: { path: "/health" } };
    const p = await runStack(example, withWorkloads({ app, docs: { ...ui, path: "/docs" } }));
    assert.deepEqual(objectsOf(p, "docs").map((o) => o.inputs.name).sort(), ["docs/assets/app.3f9a1c2b.css", "docs/assets/app.3f9a1c2b.js", "docs/index.html", "docs/logo.svg"]);
    assert.deepEqual(siteBucket(p, "docs").inputs.website, { mainPageSuffix: "index.html", notFoundPage: "docs/index.html" });
    const map = httpsUrlMap(p);
    const [matcher] = map.inputs.pathMatchers;
    assert.equal(matcher.defaultService, p.id(named(p, T.backendService, "web-app-backend")));
    assert.deepEqual(matcher.pathRules, [{ paths: ["/docs", "/docs/*"], service: p.id(backendBucket(p, "docs")) }]);
    assert.equal(p.outputs.workloads.docs.url, "https://alerts.example.com/docs");
  });

  it("serves a site on its own host: a host rule and a certificate of its own on the same proxy", async function () {
    const p = await runStack(example, withWorkloads({ api, ui: { kind: "site", source: ui.source, host: "ui.example.com", spa: true } }));
    const map = httpsUrlMap(p);
    const hosts = map.inputs.hostRules.map((h: { hosts: string[] }) => h.hosts[0]);
    assert.deepEqual(hosts, ["alerts.example.com", "ui.example.com"]);
    const uiMatcher = map.inputs.pathMatchers.find((m: { name: string }) => m.name === map.inputs.hostRules[1].pathMatcher);
    assert.equal(uiMatcher.defaultService, p.id(backendBucket(p)));
    assert.equal(uiMatcher.defaultRouteAction, undefined);
    assert.deepEqual(p.all(T.certificate).map((c) => c.inputs.managed.domains).sort(), [["alerts.example.com"], ["ui.example.com"]]);
    assert.equal(p.outputs.workloads.ui.url, "https://ui.example.com");
    // The domain has no "/" route: its other paths are a 404 from the load balancer, on the API's backend service.
    assert.equal(map.inputs.defaultRouteAction.faultInjectionPolicy.abort.httpStatus, 404);
    assert.equal(map.inputs.defaultService, p.id(named(p, T.backendService, "web-api-backend")));
  });

  it("builds a load balancer for a stack of sites only, with the site's bucket as its one backend, and passes ha-guard", async function () {
    const p = await runStack(example, { workloads: { api: undefined, housekeeping: undefined, heartbeats: undefined }, resources: undefined });
    assert.equal(p.all(T.backendService).length, 0);
    const map = httpsUrlMap(p);
    assert.deepEqual(Object.keys(map.inputs).filter((k) => !k.startsWith("__")).sort(), ["defaultService"]);
    assert.equal(map.inputs.defaultService, p.id(backendBucket(p)));
    assert.equal(p.outputs.loadBalancerAddress, "203.0.113.10");
    const report = await runPolicies(stackResources(p.run));
    assert.deepEqual(report.violations.filter((v) => v.level === "mandatory"), []);
  });

  it("counts a site's host against the proxy's 15 certificates, refused at the site's host key", async function () {
    const webs = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`w${i}`, { ...api, path: "/", host: `h${i}.example.com`, healthCheck: { path: "/health" }, env: {}, uses: [] }]));
    await assert.rejects(
      // The site comes last, so its host is the 16th.
      runStack(example, withWorkloads({ ...webs, zz: { kind: "site", source: ui.source, host: "zz.example.com" } })),
      /workloads\.zz\.host: received "zz\.example\.com"; allowed: at most 15 hosts/,
    );
  });
});

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
/** The content digest of each file of a site directory, by key (what the engine's asset hash follows). */
const digests = (dir: string) => Object.fromEntries(siteFiles(dir, { html: 60, assets: 3600, hashedAssets: 31536000 }).map((f) => [f.key, f.sha256]));

describe("GCP platform: a site's deploy uploads only what changed", function () {
  // Inside the project: a site's source must be (the parser refuses a directory outside it).
  let dir = "";
  let source = "";
  before(() => {
    dir = fs.mkdtempSync(path.join(process.cwd(), ".site-gcp-test-"));
    source = path.relative(process.cwd(), dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("changes only the changed file's asset; every other object keeps its name and inputs", async function () {
    fs.writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>v1</title>");
    fs.writeFileSync(path.join(dir, "app.js"), "console.log(1);");
    const site = { kind: "site", source, spa: true };
    const first = await runStack(example, withWorkloads({ api, ui: site }));
    fs.writeFileSync(path.join(dir, "app.js"), "console.log(2);");
    const second = await runStack(example, withWorkloads({ api, ui: site }));

    const byName = (p: Program) => new Map(objectsOf(p).map((o) => [o.name, o]));
    const [was, now] = [byName(first), byName(second)];
    assert.deepEqual([...now.keys()].sort(), [...was.keys()].sort(), "the same objects, by logical name");
    const index = fileLogicalName("web-ui", "index.html");
    const app = fileLogicalName("web-ui", "app.js");
    assert.deepEqual(now.get(index)!.inputs, was.get(index)!.inputs);
    const changed = (["bucket", "name", "contentType", "cacheControl"] as const).filter((k) => JSON.stringify(now.get(app)!.inputs[k]) !== JSON.stringify(was.get(app)!.inputs[k]));
    assert.deepEqual(changed, [], "only the asset differs");
    // Pulumi diffs a file asset by its content's hash: the same path with new content is a
    // new upload of that object alone; the unchanged file's asset hashes as before.
    assert.equal(await assetPath(now.get(app)!), `${source}/app.js`);
    assert.equal(await assetPath(was.get(app)!), `${source}/app.js`);
    assert.deepEqual(digests(dir), { "app.js": sha256("console.log(2);"), "index.html": sha256("<!doctype html><title>v1</title>") });
  });
});
