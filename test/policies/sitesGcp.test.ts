/**
 * ha-guard on a GCP static site (issue 17): a Cloud Storage bucket behind a backend bucket
 * with Cloud CDN on the web service's URL map. The passing stack keeps the bucket private
 * (the load balancer's service agent is its one reader) and serves the site through the
 * HTTPS proxy with its TLS 1.2 policy; each break is a way foreign stacks publish such a
 * bucket (the classic backend bucket tutorials make it public) or serve it insecurely.
 */
import { strict as assert } from "node:assert";
import { runPolicies, type PolicyReport } from "../../policies/runner";
import { build, copy, ref, set, type Spec } from "./fixtures/builder";
import { gcpFixture } from "./fixtures/gcp";

function summary(report: PolicyReport): string {
  return report.violations.map((v) => `  [${v.level}] ${v.policy} @ ${v.resourceName ?? "stack"}: ${v.message}`).join("\n") || "  (none)";
}

const mandatory = (report: PolicyReport) => report.violations.filter((v) => v.level === "mandatory");

/** The GCP fixture with a site: its bucket, the agent's grant, a backend bucket at / and the web at /api. */
function siteStack(): Spec[] {
  const specs = copy(gcpFixture.passing);
  specs.push(
    { type: "gcp:storage/bucket:Bucket", name: "site", props: { location: "EU", publicAccessPrevention: "enforced", uniformBucketLevelAccess: true, versioning: { enabled: true }, website: { mainPageSuffix: "index.html", notFoundPage: "index.html" } } },
    { type: "gcp:compute/backendBucket:BackendBucket", name: "site-cdn", props: { bucketName: ref("site", "site-bucket"), enableCdn: true, cdnPolicy: { cacheMode: "USE_ORIGIN_HEADERS" } } },
    { type: "gcp:storage/bucketIAMMember:BucketIAMMember", name: "site-reader", props: { bucket: ref("site", "site-bucket"), role: "roles/storage.objectViewer", member: "serviceAccount:service-123456789012@https-lb.iam.gserviceaccount.com" } },
    { type: "gcp:storage/bucketObject:BucketObject", name: "index", props: { bucket: ref("site", "site-bucket"), name: "index.html", contentType: "text/html; charset=utf-8", cacheControl: "public, max-age=60, must-revalidate" } },
  );
  set(specs, "urlmap", "defaultService", ref("site-cdn"));
  set(specs, "urlmap", "hostRules", [{ hosts: ["app.example.com"], pathMatcher: "app" }]);
  set(specs, "urlmap", "pathMatchers", [{ name: "app", defaultService: ref("site-cdn"), pathRules: [{ paths: ["/api", "/api/*"], service: ref("backend") }] }]);
  return specs;
}

/** A public grant on the site's bucket, the way a stack published its files. */
const publicGrants: { what: string; spec: Spec; loosen?: boolean }[] = [
  { what: "an IAM member for allUsers (the backend bucket tutorials' step)", spec: { type: "gcp:storage/bucketIAMMember:BucketIAMMember", name: "public", props: { bucket: ref("site", "site-bucket"), role: "roles/storage.objectViewer", member: "allUsers" } } },
  {
    what: "an authoritative IAM policy whose bindings hold allUsers",
    spec: { type: "gcp:storage/bucketIAMPolicy:BucketIAMPolicy", name: "policy", props: { bucket: ref("site", "site-bucket"), policyData: JSON.stringify({ bindings: [{ role: "roles/storage.objectViewer", members: ["allUsers"] }] }) } },
  },
  { what: "an object ACL entry for allUsers (gsutil acl ch -u AllUsers:R)", spec: { type: "gcp:storage/objectAccessControl:ObjectAccessControl", name: "index-public", props: { bucket: ref("site", "site-bucket"), object: "index.html", entity: "allUsers", role: "READER" } }, loosen: true },
  { what: "an object ACL list with READER:allUsers", spec: { type: "gcp:storage/objectACL:ObjectACL", name: "index-acl", props: { bucket: ref("site", "site-bucket"), object: "index.html", roleEntities: ["READER:allUsers"] } }, loosen: true },
];

describe("ha-guard on a GCP static site (a private bucket behind a backend bucket)", () => {
  it("passes the private site: the load balancer's service agent reads the bucket, the site rides the HTTPS proxy", async () => {
    const report = await runPolicies(build(siteStack()));
    assert.deepEqual(mandatory(report), [], summary(report));
    for (const rule of ["storage-private", "lb-https-only", "lb-tls-min-version", "min-nodes"]) {
      assert.ok(!report.notApplicable.some((n) => n.policy === rule), `${rule} judged the stack`);
    }
  });

  it("passes a stack that serves only a site: a load balancer whose one backend is a backend bucket has no nodes to count", async () => {
    const specs = siteStack().filter((s) => !["template", "hc", "mig", "autoscaler", "backend", "allow-lb", "db", "db-replica"].includes(s.name));
    set(specs, "urlmap", "hostRules", undefined);
    set(specs, "urlmap", "pathMatchers", undefined);
    const report = await runPolicies(build(specs));
    assert.deepEqual(mandatory(report), [], summary(report));
  });

  for (const { what, spec, loosen } of publicGrants) {
    it(`fails storage-private on the site's bucket published by ${what}, naming the private way`, async () => {
      const specs = siteStack();
      if (loosen) {
        // Object ACLs only take effect with fine-grained access; judged either way.
        set(specs, "site", "uniformBucketLevelAccess", false);
        set(specs, "site", "publicAccessPrevention", "inherited");
      }
      specs.push(spec);
      const report = await runPolicies(build(specs));
      const found = report.violations.filter((v) => v.policy === "storage-private");
      assert.equal(found.length, 1, summary(report));
      assert.equal(found[0].resourceName, "site");
      assert.match(found[0].message, /is granted to allUsers\/allAuthenticatedUsers by .*site-cdn.* can read a private bucket when the bucket grants roles\/storage\.objectViewer to the load balancer's service agent, serviceAccount:service-<project number>@https-lb\.iam\.gserviceaccount\.com/);
    });
  }

  it("keeps the plain advice for a public bucket no backend bucket serves", async () => {
    const specs = siteStack();
    specs.push({ type: "gcp:storage/bucketIAMPolicy:BucketIAMPolicy", name: "files-policy", props: { bucket: ref("files", "files-bucket"), policyData: { bindings: [{ role: "roles/storage.objectViewer", members: ["allAuthenticatedUsers"] }] } } });
    const report = await runPolicies(build(specs));
    const found = report.violations.filter((v) => v.policy === "storage-private");
    assert.equal(found.length, 1, summary(report));
    assert.equal(found[0].resourceName, "files");
    assert.match(found[0].message, /by .*files-policy.*: remove the grant\.$/);
  });

  it("fails lb-https-only when the site's backend bucket is served on the plain HTTP proxy", async () => {
    const specs = siteStack();
    set(specs, "redirect", "defaultUrlRedirect", undefined);
    set(specs, "redirect", "defaultService", ref("site-cdn"));
    const report = await runPolicies(build(specs));
    const found = report.violations.filter((v) => v.policy === "lb-https-only");
    assert.equal(found.length, 1, summary(report));
    assert.equal(found[0].resourceName, "redirect");
  });

  it("fails lb-tls-min-version when the proxy serving the site accepts TLS 1.0", async () => {
    const specs = siteStack();
    set(specs, "tls", "minTlsVersion", "TLS_1_0");
    const report = await runPolicies(build(specs));
    const found = report.violations.filter((v) => v.policy === "lb-tls-min-version");
    assert.equal(found.length, 1, summary(report));
    assert.equal(found[0].resourceName, "https-proxy");
  });
});
