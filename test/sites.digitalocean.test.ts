/**
 * Static sites on DigitalOcean (issue 17): what stacks/examples/Pulumi.alerta-digitalocean.yaml
 * registers under mocks. The UI is a Spaces bucket (private listing, versioned, protected)
 * whose files are public-read objects declared a site's (the Spaces CDN serves nothing
 * else), served by a Spaces CDN endpoint on its own host with a Let's Encrypt certificate;
 * CORS lets the stack's web hosts read it; the API keeps its own load balancer. Then the
 * refusals (no host, spa, a path, a host outside the zone, no zone) and the pack.
 */
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { runWithMocks, type RegisteredResource } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { stackConfigWith } from "../automation/stackFiles";
import { siteRole, spacesObjectRoleMetadata } from "../contract/roles";
import { fileObjectName } from "../components/platforms/digitalocean/site";
import { runPolicies } from "../policies/runner";
import { ns, runStack, type Program } from "./programQueries";

const example = "stacks/examples/Pulumi.alerta-digitalocean.yaml";
const host = "ui.alerts.example.com";

const T = {
  site: "ha-topology:digitalocean:Site",
  bucket: "digitalocean:index/spacesBucket:SpacesBucket",
  object: "digitalocean:index/spacesBucketObject:SpacesBucketObject",
  cors: "digitalocean:index/spacesBucketCorsConfiguration:SpacesBucketCorsConfiguration",
  cert: "digitalocean:index/certificate:Certificate",
  cdn: "digitalocean:index/cdn:Cdn",
  record: "digitalocean:index/dnsRecord:DnsRecord",
  lb: "digitalocean:index/loadBalancer:LoadBalancer",
};

const md5 = (file: string) => createHash("md5").update(fs.readFileSync(file)).digest("hex");

function objectsByKey(p: Program): Map<string, RegisteredResource> {
  return new Map(p.all(T.object).map((o) => [o.inputs.key as string, o]));
}

describe("DigitalOcean platform: static sites (a Spaces bucket behind the Spaces CDN on the site's own host)", function () {
  this.timeout(120000);
  let p: Program;
  before(async () => {
    p = await runStack(example);
  });

  it("builds the site under one Site component: a private, versioned, protected Spaces bucket in the stack's region", () => {
    const site = p.one(T.site);
    assert.equal(site.name, "web-ui");
    const bucket = p.one(T.bucket, "-site");
    assert.equal(bucket.name, "web-ui-site");
    assert.equal(bucket.parentUrn, site.urn);
    assert.equal(bucket.inputs.region, "ams3");
    assert.equal(bucket.inputs.acl, "private", "the listing stays private: only the files are public");
    assert.deepEqual(bucket.inputs.versioning, { enabled: true });
    assert.equal(bucket.inputs.lifecycleRules[0].noncurrentVersionExpiration.days, 30);
    assert.equal(bucket.inputs.forceDestroy, false);
    assert.equal(bucket.protect, true);
    assert.equal(bucket.inputs.corsRules, undefined, "CORS is its own resource (the bucket's corsRules is deprecated)");
  });

  it("uploads every file as one public-read object declared a site's, with its content type, Cache-Control and MD5 etag, from a path relative to the project", () => {
    const objects = objectsByKey(p);
    assert.deepEqual([...objects.keys()].sort(), ["assets/app.3f9a1c2b.css", "assets/app.3f9a1c2b.js", "index.html", "logo.svg"]);
    const bucket = p.one(T.bucket, "-site");
    const expected: Record<string, [string, string]> = {
      "index.html": ["text/html; charset=utf-8", "public, max-age=60, must-revalidate"],
      "assets/app.3f9a1c2b.js": ["text/javascript; charset=utf-8", "public, max-age=31536000, immutable"],
      "assets/app.3f9a1c2b.css": ["text/css; charset=utf-8", "public, max-age=31536000, immutable"],
      "logo.svg": ["image/svg+xml", "public, max-age=3600"],
    };
    for (const [key, o] of objects) {
      assert.equal(o.name, fileObjectName("web-ui", key));
      assert.equal(o.parentUrn, p.one(T.site).urn);
      assert.deepEqual([o.inputs.contentType, o.inputs.cacheControl], expected[key], key);
      assert.equal(o.inputs.acl, "public-read", `${key}: the Spaces CDN serves public-read objects only`);
      assert.deepEqual(o.inputs.metadata, { [spacesObjectRoleMetadata]: siteRole });
      assert.equal(o.inputs.source, `stacks/examples/alerta-ui/${key}`, "relative: the same input on every machine");
      assert.equal(o.inputs.etag, md5(path.join("stacks/examples/alerta-ui", key)));
      assert.equal(o.inputs.region, "ams3");
      assert.ok(p.links(o, "bucket", bucket), `${key} goes into the site's bucket`);
    }
  });

  it("serves the bucket through a Spaces CDN endpoint on the site's host with a Let's Encrypt certificate for it, a 60 s edge TTL", () => {
    const cert = p.one(T.cert, "web-ui-cert");
    assert.deepEqual([cert.inputs.type, cert.inputs.domains], ["lets_encrypt", [host]]);
    const cdn = p.one(T.cdn);
    assert.equal(cdn.name, "web-ui-cdn");
    assert.ok(p.links(cdn, "origin", p.one(T.bucket, "-site")), "the CDN's origin is the site's bucket");
    assert.equal(cdn.inputs.origin, "web-ui-site-a1b2c3d.ams3.digitaloceanspaces.com");
    assert.equal(cdn.inputs.customDomain, host);
    assert.ok(p.links(cdn, "certificateName", cert), "by name: a renewal keeps it");
    assert.equal(cdn.inputs.certificateId, undefined);
    assert.equal(cdn.inputs.ttl, 60);
    // DigitalOcean writes the custom domain's CNAME to the endpoint itself; a record of ours would clash with it.
    assert.deepEqual(p.all(T.record).filter((r) => r.inputs.name === "ui.alerts"), []);
  });

  it("lets the stack's web hosts read the files cross-origin (GET and HEAD), unless cors.origins says otherwise", async () => {
    const cors = p.one(T.cors);
    assert.ok(p.links(cors, "bucket", p.one(T.bucket, "-site")));
    assert.deepEqual(cors.inputs.corsRules, [{ allowedMethods: ["GET", "HEAD"], allowedOrigins: ["https://alerts.example.com"], allowedHeaders: ["*"], maxAgeSeconds: 3600 }]);
    const own = await runStack(example, { workloads: { ui: { cors: { origins: ["https://app.example.com", "https://admin.example.com"] } } } });
    assert.deepEqual(own.one(T.cors).inputs.corsRules[0].allowedOrigins, ["https://app.example.com", "https://admin.example.com"]);
  });

  it("gives the site https://<host> in workloads, and the API keeps its own load balancer on the domain", () => {
    const workloads = p.outputs.workloads as Record<string, { kind: string; url: string; nodeGroupId: string }>;
    // Spaces has no index document: the URL names the entry page.
    assert.deepEqual(workloads.ui, { kind: "site", url: `https://${host}/index.html`, nodeGroupId: "web-ui-site-a1b2c3d" });
    assert.equal(workloads.api.url, "https://alerts.example.com");
    assert.equal(p.all(T.lb).length, 1, "no load balancer for the site: one cannot route to Spaces");
    assert.equal(p.outputs.url, "https://alerts.example.com");
  });

  it("uploads again only a changed file: its object's etag changes, every other object's inputs stay", async () => {
    const dir = fs.mkdtempSync(path.join("test", "fixtures", ".tmp-site-do-"));
    try {
      fs.cpSync("stacks/examples/alerta-ui", dir, { recursive: true });
      const run = async () => objectsByKey(await runStack(example, { workloads: { ui: { source: dir } } }));
      const before = await run();
      fs.writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>Alerta, next release</title>\n");
      const after = await run();
      assert.deepEqual([...after.keys()], [...before.keys()]);
      for (const [key, o] of after) {
        const old = before.get(key)!;
        assert.equal(o.name, old.name, `${key} keeps its logical name`);
        if (key === "index.html") {
          assert.notEqual(o.inputs.etag, old.inputs.etag);
          assert.deepEqual({ ...o.inputs, etag: undefined }, { ...old.inputs, etag: undefined }, "only the etag differs");
        } else {
          assert.deepEqual(o.inputs, old.inputs, `${key} is unchanged`);
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("refusals, before any cloud resource", () => {
    const refused = async (patch: Record<string, unknown>, expected: RegExp) => {
      const run = await runWithMocks(stackConfigWith(example, ns(patch)));
      assert.match(run.error?.message ?? "", expected);
      assert.deepEqual(run.resources.filter((r) => r.custom), []);
      return run.error!.message;
    };

    it("refuses a site without its own host, saying why (its load balancer cannot route to Spaces), and only that", async () => {
      const message = await refused({ workloads: { ui: { host: undefined } } }, /ha-topology:workloads\.ui\.host: received nothing \(the key is not set\); allowed: a host of the site's own on digitalocean, inside dns\.zone .*a DigitalOcean load balancer cannot route to Spaces/);
      assert.doesNotMatch(message, /already serves/, "not also named as a clash with the API on the domain");
    });

    it("refuses spa: true, saying the Spaces CDN has no rewrite to index.html", async () => {
      await refused({ workloads: { ui: { spa: true } } }, /ha-topology:workloads\.ui\.spa: received true; allowed: false on digitalocean: the Spaces CDN has no rewrite and Spaces no website configuration/);
    });

    it("refuses a path prefix with a site's reason, not a web's", async () => {
      const message = await refused({ workloads: { ui: { path: "/ui" } } }, /ha-topology:workloads\.ui\.path: received "\/ui"; allowed: "\/" or unset for a site on digitalocean \(the Spaces CDN serves a site at the root of its own host/);
      assert.doesNotMatch(message, /each public web workload/);
    });

    it("refuses a host outside dns.zone, and the zone's apex (no CNAME there)", async () => {
      await refused({ workloads: { ui: { host: "ui.example.org" } } }, /ha-topology:workloads\.ui\.host: received "ui\.example\.org"; allowed: a host below the DigitalOcean domain dns\.zone \(example\.com\)/);
      await refused({ workloads: { ui: { host: "example.com" } } }, /workloads\.ui\.host: received "example\.com"; allowed: a host below the DigitalOcean domain .*apex cannot hold a CNAME/);
    });

    it("refuses a site in a stack without dns.zone (its certificate is validated there)", async () => {
      await refused({ dns: undefined, tls: { certificate: "alerts-cert" } }, /ha-topology:dns\.zone: received nothing; allowed: a domain in DigitalOcean DNS containing workloads\.ui\.host \(ui\.alerts\.example\.com\)/);
    });
  });

  describe("the pack", () => {
    it("passes with zero mandatory violations, judging the site's files as a site's", async () => {
      const report = await runPolicies(stackResources(p.run));
      assert.deepEqual(report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.message}`), []);
    });

    it("fails storage-private when the site's objects do not declare role site (a public file is a finding)", async () => {
      const stripped = stackResources(p.run).map((r) => (r.type === T.object ? { ...r, inputs: { ...r.inputs, metadata: undefined }, outputs: { ...r.outputs, metadata: undefined } } : r));
      const report = await runPolicies(stripped);
      const found = report.violations.filter((v) => v.policy === "storage-private");
      assert.equal(found.length, 1);
      assert.match(found[0].message, /has public objects that are not a static site's/);
    });

    it("fails lb-https-only when the CDN's custom domain has no certificate", async () => {
      const stripped = stackResources(p.run).map((r) => (r.type === T.cdn ? { ...r, inputs: { ...r.inputs, certificateName: undefined }, outputs: { ...r.outputs, certificateName: undefined } } : r));
      const report = await runPolicies(stripped);
      assert.ok(report.violations.some((v) => v.policy === "lb-https-only" && /serves ui\.alerts\.example\.com without a certificate/.test(v.message)));
    });
  });
});
