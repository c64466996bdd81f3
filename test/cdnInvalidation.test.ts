/**
 * The CloudFront invalidation of what a deploy changed (components/platforms/aws/cdnInvalidation.ts):
 * the paths between two deploys, the provider's calls with a stand-in for the SDK, and the
 * resource the AWS platform registers after the uploads.
 */
import { strict as assert } from "node:assert";
import { changedPaths, invalidationProvider, maxInvalidationPaths } from "../components/platforms/aws/cdnInvalidation";
import { runStack } from "./programQueries";

describe("AWS sites: the CloudFront invalidation of what changed", function () {
  this.timeout(60000);

  it("invalidates changed and removed files, not new or unchanged ones; a changed index.html also its directory", function () {
    const olds = { "/index.html": "a", "/assets/app.1a2b3c4d.js": "b", "/logo.svg": "c", "/docs/index.html": "d", "/old.txt": "e" };
    const news = { "/index.html": "A", "/assets/app.1a2b3c4d.js": "b", "/logo.svg": "C", "/docs/index.html": "D", "/new.txt": "f" };
    assert.deepEqual(changedPaths(olds, news), ["/", "/docs/", "/docs/index.html", "/index.html", "/logo.svg", "/old.txt"]);
    assert.deepEqual(changedPaths(olds, olds), []);
  });

  it("URL-encodes what CloudFront asks to be encoded, and sends one wildcard for very many paths", function () {
    assert.deepEqual(changedPaths({ "/my file é.txt": "a" }, {}), ["/my%20file%20%C3%A9.txt"]);
    const many = Object.fromEntries(Array.from({ length: maxInvalidationPaths + 1 }, (_, i) => [`/f${i}.css`, "x"]));
    assert.deepEqual(changedPaths(many, {}), ["/*"]);
  });

  it("sends one request on an update with changes, none on create, none for a replaced distribution", async function () {
    const sent: { id: string; paths: string[] }[] = [];
    const provider = invalidationProvider(async (id, paths) => void sent.push({ id, paths }));
    await provider.create({ distributionId: "E1", files: { "/index.html": "a" } });
    assert.deepEqual(sent, []);
    await provider.update("x", { distributionId: "E1", files: { "/index.html": "a" } }, { distributionId: "E1", files: { "/index.html": "b" } });
    assert.deepEqual(sent, [{ id: "E1", paths: ["/", "/index.html"] }]);
    await provider.update("x", { distributionId: "E1", files: { "/index.html": "b" } }, { distributionId: "E2", files: { "/index.html": "c" } });
    assert.equal(sent.length, 1, "a new distribution has nothing cached");
    const diff = await provider.diff("x", { distributionId: "E1", files: { "/a": "1" } }, { distributionId: "E1", files: { "/a": "1" } });
    assert.equal(diff.changes, false);
  });

  it("is registered per distribution after the site's uploads, with every file's digest by URL path", async function () {
    const p = await runStack("stacks/examples/Pulumi.alerta-aws.yaml");
    const invalidation = p.one("pulumi-nodejs:dynamic/ha-topology:CdnInvalidation");
    const objects = p.all("aws:s3/bucketObjectv2:BucketObjectv2");
    assert.ok(objects.length >= 4);
    for (const o of objects) {
      assert.ok(invalidation.dependencies.includes(o.urn), `waits for ${o.name}`);
      assert.equal(invalidation.inputs.files[`/${o.inputs.key}`], o.inputs.sourceHash);
    }
    assert.equal(Object.keys(invalidation.inputs.files).length, objects.length);
  });
});
