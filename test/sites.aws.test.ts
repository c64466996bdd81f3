/**
 * Static sites on AWS (issue 17): what stacks/examples/Pulumi.alerta-aws.yaml (the UI at /,
 * the API at /api, one domain) registers under mocks. A private S3 bucket per site with one
 * object per file, one CloudFront distribution for the domain (OAC, HTTPS only, TLS 1.2+,
 * an ACM certificate in us-east-1, the API's paths on to the ALB), the domain's record
 * moved from the ALB to the distribution, and the pack on the result.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { RegisteredResource } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { managedPolicies, siteFunctionCode } from "../components/platforms/aws/cdn";
import { siteKeyPrefix, siteObjectName } from "../components/platforms/aws/site";
import { runPolicies } from "../policies/runner";
import { runStack, type Program } from "./programQueries";

const example = "stacks/examples/Pulumi.alerta-aws.yaml";

const T = {
  bucket: "aws:s3/bucket:Bucket",
  object: "aws:s3/bucketObjectv2:BucketObjectv2",
  block: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  policy: "aws:s3/bucketPolicy:BucketPolicy",
  distribution: "aws:cloudfront/distribution:Distribution",
  oac: "aws:cloudfront/originAccessControl:OriginAccessControl",
  fn: "aws:cloudfront/function:Function",
  headers: "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
  certificate: "aws:acm/certificate:Certificate",
  record: "aws:route53/record:Record",
  alb: "aws:lb/loadBalancer:LoadBalancer",
  provider: "pulumi:providers:aws",
} as const;

/** The one resource of `type` named exactly `name`. */
function named(p: Program, type: string, name: string): RegisteredResource {
  const found = p.all(type).filter((r) => r.name === name);
  assert.equal(found.length, 1, `expected one ${type} named ${name}, found ${p.all(type).map((r) => r.name).join(", ") || "none"}`);
  return found[0];
}

interface Behaviour {
  pathPattern?: string;
  targetOriginId: string;
  viewerProtocolPolicy: string;
  allowedMethods: string[];
  cachePolicyId: string;
  originRequestPolicyId?: string;
  responseHeadersPolicyId?: string;
  functionAssociations?: { eventType: string; functionArn: string }[];
}

/** Runs a CloudFront function's handler on a path (the code is plain ES5: cloudfront-js-2.0 accepts it). */
function rewrite(code: string, uri: string): string {
  const handler = new Function(`${code}\nreturn handler;`)() as (e: { request: { uri: string } }) => { uri: string };
  return handler({ request: { uri } }).uri;
}

describe("AWS static sites: a private bucket behind one CloudFront distribution on the domain", function () {
  this.timeout(120000);
  let p: Program;
  before(async () => {
    p = await runStack(example);
  });

  it("keeps the site's files in a private, owner-enforced, versioned, protected bucket of its own", () => {
    const bucket = named(p, T.bucket, "web-ui-files");
    assert.equal(bucket.protect, true);
    assert.equal(bucket.inputs.forceDestroy, false);
    const block = named(p, T.block, "web-ui-files");
    for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) assert.equal(block.inputs[flag], true, flag);
    assert.equal(named(p, T.ownership, "web-ui-files").inputs.rule.objectOwnership, "BucketOwnerEnforced");
    assert.equal(named(p, T.versioning, "web-ui-files").inputs.versioningConfiguration.status, "Enabled");
  });

  it("admits only this distribution to the bucket (the CloudFront service, aws:SourceArn), over TLS only", () => {
    const policy = named(p, T.policy, "web-ui-files");
    const distribution = named(p, T.distribution, "web-cdn-distribution");
    const { statements } = JSON.parse(policy.inputs.policy) as { statements: { sid: string; effect: string; principals: { type: string; identifiers: string[] }[]; actions: string[]; conditions: { test: string; variable: string; values: string[] }[] }[] };
    assert.deepEqual(statements.map((s) => s.sid), ["DenyInsecureTransport", "CloudFrontReadsThisSite"]);
    const read = statements[1];
    assert.equal(read.effect, "Allow");
    assert.deepEqual(read.principals, [{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }]);
    assert.deepEqual(read.actions, ["s3:GetObject", "s3:ListBucket"]);
    assert.deepEqual(read.conditions, [{ test: "StringEquals", variable: "aws:SourceArn", values: [p.state(distribution).arn] }]);
    assert.ok(p.links(policy, "policy", distribution), "the policy names the distribution's ARN");
  });

  it("uploads one object per file with the table's content type and Cache-Control, from a path relative to the project", async () => {
    const objects = p.all(T.object);
    const byKey = new Map(objects.map((o) => [o.inputs.key as string, o]));
    assert.deepEqual([...byKey.keys()].sort(), ["assets/app.3f9a1c2b.css", "assets/app.3f9a1c2b.js", "index.html", "logo.svg"]);
    const expect: Record<string, [string, string]> = {
      "index.html": ["text/html; charset=utf-8", "public, max-age=60, must-revalidate"],
      "assets/app.3f9a1c2b.js": ["text/javascript; charset=utf-8", "public, max-age=31536000, immutable"],
      "assets/app.3f9a1c2b.css": ["text/css; charset=utf-8", "public, max-age=31536000, immutable"],
      "logo.svg": ["image/svg+xml", "public, max-age=3600"],
    };
    for (const [key, [type, cache]] of Object.entries(expect)) {
      const o = byKey.get(key)!;
      assert.equal(o.name, siteObjectName("web-ui", key));
      assert.equal(o.inputs.contentType, type, key);
      assert.equal(o.inputs.cacheControl, cache, key);
      // The mocks see the FileAsset itself: its path is a promise.
      assert.equal(await (o.rawInputs.source as { path: Promise<string> }).path, `stacks/examples/alerta-ui/${key}`, key);
      assert.match(o.inputs.sourceHash, /^[0-9a-f]{64}$/);
      assert.ok(p.links(o, "bucket", named(p, T.bucket, "web-ui-files")));
    }
    assert.ok(!JSON.stringify(objects.map((o) => o.inputs)).includes(process.cwd()), "no absolute path in the inputs");
  });

  it("serves the domain over HTTPS only, TLS 1.2+, with an ACM certificate made in us-east-1", () => {
    const d = named(p, T.distribution, "web-cdn-distribution");
    assert.deepEqual(d.inputs.aliases, ["alerts.example.com"]);
    assert.equal(d.inputs.viewerCertificate.minimumProtocolVersion, "TLSv1.2_2021");
    assert.equal(d.inputs.viewerCertificate.sslSupportMethod, "sni-only");
    const certificate = named(p, T.certificate, "web-cdn-cert");
    assert.equal(certificate.inputs.domainName, "alerts.example.com");
    assert.equal(certificate.inputs.validationMethod, "DNS");
    assert.equal(named(p, T.provider, "web-us-east-1").inputs.region, "us-east-1");
    const behaviours: Behaviour[] = [d.inputs.defaultCacheBehavior, ...d.inputs.orderedCacheBehaviors];
    for (const b of behaviours) assert.equal(b.viewerProtocolPolicy, "redirect-to-https", b.pathPattern ?? "default");
  });

  it("reads the bucket through Origin Access Control (sigv4) and sends the API's paths to the ALB over HTTPS, uncached, every method", () => {
    const d = named(p, T.distribution, "web-cdn-distribution");
    const oac = named(p, T.oac, "web-cdn-oac");
    assert.deepEqual([oac.inputs.originAccessControlOriginType, oac.inputs.signingBehavior, oac.inputs.signingProtocol], ["s3", "always", "sigv4"]);
    const origins = d.inputs.origins as { originId: string; domainName: string; originAccessControlId?: string; customOriginConfig?: Record<string, unknown> }[];
    const site = origins.find((o) => o.originId === "site-ui")!;
    assert.equal(site.domainName, p.state(named(p, T.bucket, "web-ui-files")).bucketRegionalDomainName);
    assert.equal(site.originAccessControlId, p.id(oac));
    const alb = origins.find((o) => o.originId === "alb")!;
    assert.equal(alb.domainName, p.state(p.one(T.alb)).dnsName);
    assert.equal(alb.customOriginConfig!.originProtocolPolicy, "https-only");
    assert.deepEqual(alb.customOriginConfig!.originSslProtocols, ["TLSv1.2"]);

    const ordered = d.inputs.orderedCacheBehaviors as Behaviour[];
    assert.deepEqual(ordered.map((b) => b.pathPattern), ["/api", "/api/*"]);
    for (const b of ordered) {
      assert.equal(b.targetOriginId, "alb");
      assert.deepEqual([...b.allowedMethods].sort(), ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]);
      assert.equal(b.cachePolicyId, managedPolicies.cachingDisabled);
      // The Host goes on: the ALB's rules match it, and CloudFront checks the ALB's certificate against it.
      assert.equal(b.originRequestPolicyId, managedPolicies.allViewer);
      assert.equal(b.functionAssociations, undefined, "the API's paths are never rewritten");
    }
    const root = d.inputs.defaultCacheBehavior as Behaviour;
    assert.equal(root.targetOriginId, "site-ui");
    assert.equal(root.cachePolicyId, managedPolicies.cachingOptimized);
    assert.equal(root.responseHeadersPolicyId, managedPolicies.securityHeaders);
  });

  it("answers a single-page app's routes with index.html through a viewer-request function, and leaves files alone", () => {
    const d = named(p, T.distribution, "web-cdn-distribution");
    const fn = named(p, T.fn, "web-cdn-ui-paths");
    assert.equal(fn.inputs.runtime, "cloudfront-js-2.0");
    assert.equal(fn.inputs.publish, true);
    assert.deepEqual((d.inputs.defaultCacheBehavior as Behaviour).functionAssociations, [{ eventType: "viewer-request", functionArn: p.state(fn).arn }]);
    assert.equal(d.inputs.customErrorResponses, undefined, "no error rewriting: the API's 404s stay 404s");
    const code = fn.inputs.code as string;
    assert.equal(rewrite(code, "/"), "/index.html");
    assert.equal(rewrite(code, "/alerts/123"), "/index.html");
    assert.equal(rewrite(code, "/assets/app.3f9a1c2b.js"), "/assets/app.3f9a1c2b.js");
    assert.equal(rewrite(code, "/logo.svg"), "/logo.svg");
  });

  it("without spa, rewrites only directories; under a path prefix, keys and rewrites keep the prefix", () => {
    const plain = siteFunctionCode("/docs", false);
    assert.equal(rewrite(plain, "/docs"), "/docs/index.html");
    assert.equal(rewrite(plain, "/docs/guide/"), "/docs/guide/index.html");
    assert.equal(rewrite(plain, "/docs/about"), "/docs/about");
    assert.equal(rewrite(siteFunctionCode("/docs", true), "/docs/about"), "/docs/index.html");
    assert.equal(siteKeyPrefix("/"), "");
    assert.equal(siteKeyPrefix("/docs"), "docs/");
  });

  it("points the domain at the distribution instead of the ALB, and gives the site its URL", () => {
    const records = p.outputs.dnsRecords as { name: string; type: string; value: string; purpose: string }[];
    const domain = records.filter((r) => r.name === "alerts.example.com");
    assert.deepEqual(domain.map((r) => [r.type, r.value]), [["CNAME", p.state(named(p, T.distribution, "web-cdn-distribution")).domainName]]);
    const validations = records.filter((r) => r.name.startsWith("_"));
    assert.equal(validations.length, 1, "the ALB's and CloudFront's certificates ask for one record");
    assert.equal(p.outputs.workloads.ui.url, "https://alerts.example.com");
    assert.equal(p.outputs.workloads.ui.nodeGroupId, p.state(named(p, T.bucket, "web-ui-files")).bucket);
  });

  it("with a Route 53 zone, moves the ALB's own record (same name) to the distribution and adds its AAAA", async () => {
    const z = await runStack(example, { dns: { zone: "Z123" } });
    const d = named(z, T.distribution, "web-cdn-distribution");
    const a = named(z, T.record, "web-domain");
    assert.equal(a.inputs.type, "A");
    assert.deepEqual(a.inputs.aliases, [{ name: z.state(d).domainName, zoneId: "Z2FDTNDATAQYW2", evaluateTargetHealth: false }]);
    assert.equal(named(z, T.record, "web-cdn-domain-ipv6").inputs.type, "AAAA");
    assert.equal(z.all(T.record).filter((r) => r.name === "web-cdn-domain").length, 0, "no second A record for the domain");
  });

  it("serves a site on its own host from a distribution of that host, and leaves the domain on the ALB", async () => {
    const h = await runStack(example, { workloads: { ui: { kind: "site", source: "stacks/examples/alerta-ui", host: "ui.alerts.example.com", spa: true } } });
    assert.deepEqual(h.all(T.distribution).map((d) => [d.name, d.inputs.aliases]), [["web-cdn-ui-alerts-example-com-distribution", ["ui.alerts.example.com"]]]);
    const d = h.all(T.distribution)[0];
    assert.deepEqual((d.inputs.origins as { originId: string }[]).map((o) => o.originId), ["site-ui"], "no web route on that host: no ALB origin");
    assert.equal(d.inputs.orderedCacheBehaviors.length, 0);
    const records = h.outputs.dnsRecords as { name: string; type: string; value: string }[];
    assert.deepEqual(records.filter((r) => !r.name.startsWith("_")).map((r) => [r.name, r.value]), [
      ["alerts.example.com", h.state(h.one(T.alb)).dnsName],
      ["ui.alerts.example.com", h.state(d).domainName],
    ]);
    assert.equal(h.outputs.workloads.ui.url, "https://ui.alerts.example.com");
  });

  it("sets CORS, when asked, in a response headers policy of the site's behaviour", async () => {
    const c = await runStack(example, { workloads: { ui: { kind: "site", source: "stacks/examples/alerta-ui", spa: true, cors: { origins: ["https://admin.example.com"] } } } });
    const policy = named(c, T.headers, "web-cdn-ui-cors");
    assert.deepEqual(policy.inputs.corsConfig.accessControlAllowOrigins.items, ["https://admin.example.com"]);
    assert.equal(policy.inputs.corsConfig.accessControlAllowCredentials, false);
    assert.equal(named(c, T.distribution, "web-cdn-distribution").inputs.defaultCacheBehavior.responseHeadersPolicyId, c.id(policy));
  });

  it("re-uploads only a changed file: only its object's content digest differs", async () => {
    const dir = fs.mkdtempSync(path.join("test", "fixtures", ".site-aws-"));
    try {
      fs.writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>one</title>");
      fs.writeFileSync(path.join(dir, "app.js"), "console.log(1);");
      const ui = () => ({ workloads: { ui: { kind: "site", source: dir, spa: true } } });
      const inputsOf = async () => {
        const run = await runStack(example, ui());
        return new Map(run.all(T.object).map((o) => [o.name, JSON.stringify(o.inputs)]));
      };
      const before = await inputsOf();
      fs.writeFileSync(path.join(dir, "app.js"), "console.log(2);");
      const after = await inputsOf();
      assert.deepEqual([...after.keys()], [...before.keys()], "the same objects, by the same names");
      const changed = [...after.keys()].filter((k) => after.get(k) !== before.get(k));
      assert.deepEqual(changed, [siteObjectName("web-ui", "app.js")]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a tls.certificate outside us-east-1 (the stack's region): CloudFront takes none from elsewhere", async () => {
    await assert.rejects(runStack(example, { tls: { certificate: "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012" } }), /not in us-east-1/);
  });

  it("passes the pack with zero mandatory violations", async () => {
    const report = await runPolicies(stackResources(p.run));
    assert.deepEqual(report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy} @ ${v.resourceName}: ${v.message}`), []);
  });
});
