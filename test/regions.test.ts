import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { knownRegions, regionPatterns, regionZones } from "../components/regionZones";
import { runStack } from "./programQueries";

describe("regions: the zone table the parser and the mocks share", function () {
  it("lists only well-formed regions, each with the two zones high availability needs", function () {
    for (const cloud of ["aws", "gcp"] as const) {
      for (const region of knownRegions(cloud)) {
        assert.match(region, regionPatterns[cloud].pattern, `${cloud} ${region}`);
        const zones = regionZones(cloud, region);
        assert.ok(zones && zones.names.length >= 2, `${cloud} ${region}`);
        assert.ok(zones.names.every((z) => z.startsWith(region)), `${cloud} ${region}`);
      }
    }
    for (const region of knownRegions("digitalocean")) assert.match(region, regionPatterns.digitalocean.pattern);
  });

  it("knows the regions whose zone count differs from three", function () {
    assert.equal(regionZones("aws", "us-east-1")?.names.length, 6);
    assert.equal(regionZones("aws", "us-west-1")?.names.length, 2);
    assert.deepEqual(regionZones("aws", "ap-northeast-1")?.names, ["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"]);
    assert.deepEqual(regionZones("aws", "us-east-1")?.ids.slice(0, 2), ["use1-az1", "use1-az2"]);
    assert.deepEqual(regionZones("gcp", "us-central1")?.names, ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"]);
    assert.equal(regionZones("aws", "mars-north-1"), undefined);
  });

  it("the offline AWS zones follow aws:region (eu-west-3 has three zones a, b, c)", async function () {
    const p = await runStack("aws", { "aws:region": "eu-west-3", network: { zones: 3 } });
    const zones = p.all("aws:ec2/subnet:Subnet").filter((s) => s.name.includes("private")).map((s) => s.inputs.availabilityZone);
    assert.deepEqual(zones.sort(), ["eu-west-3a", "eu-west-3b", "eu-west-3c"]);
  });

  it("allows six zones where the region has six (us-east-1)", async function () {
    const p = await runStack("aws", { network: { zones: 6 } });
    assert.equal(p.all("aws:ec2/subnet:Subnet").filter((s) => s.name.includes("private")).length, 6);
  });
});

describe("provider keys: the lists misspelled keys are checked against", function () {
  it("the kubernetes list is the installed provider's ProviderArgs", async function () {
    const { providerKeys } = await import("../components/platforms/kubernetes/providerKeys");
    const typings = fs.readFileSync(path.resolve(__dirname, "..", "node_modules/@pulumi/kubernetes/provider.d.ts"), "utf8");
    const args = /export interface ProviderArgs \{([\s\S]*?)\n\}/.exec(typings)?.[1] ?? "";
    const declared = [...args.matchAll(/^\s+(\w+)\?:/gm)].map((m) => m[1]).sort();
    assert.ok(declared.length > 10);
    assert.deepEqual([...providerKeys].sort(), declared);
  });

  it("the aws, gcp and digitalocean lists come from the providers themselves", async function () {
    const aws = (await import("../components/platforms/aws/providerKeys")).providerKeys;
    const gcp = (await import("../components/platforms/gcp/providerKeys")).providerKeys;
    const digitalocean = (await import("../components/platforms/digitalocean/providerKeys")).providerKeys;
    assert.ok(aws.includes("region") && aws.includes("profile"));
    assert.ok(gcp.includes("project") && gcp.includes("region"));
    assert.ok(digitalocean.includes("token") && digitalocean.includes("region"));
  });
});

describe("zones: the deploy-time check against the zone look-up", function () {
  it("says clearly that the region answered with fewer zones, without claiming nothing was created", async function () {
    const { runWithMocks } = await import("../automation/offline/mocks");
    const { stackConfigWith } = await import("../automation/stackFiles");
    // A library user who parses without the provider settings skips the table check:
    // the look-up (us-west-1 shows new accounts two zones) still stops the update.
    const run = await runWithMocks(stackConfigWith("aws", { "aws:region": "us-west-1" }), {
      program: async () => {
        const { HaService } = await import("../components/haService");
        const { parseTopology } = await import("../components/topology");
        const service = new HaService("web", { topology: parseTopology({ cloud: "aws", domain: "app.example.com", network: { zones: 3 } }) });
        return { url: service.url, nodes: service.nodeGroupId };
      },
    });
    assert.equal(run.error?.name, "ZoneCountError");
    assert.match(run.error?.message ?? "", /ha-topology:network\.zones: received 3; region us-west-1 answered with 2 usable zones \(us-west-1b, us-west-1c\)/);
    assert.doesNotMatch(run.error?.message ?? "", /nothing was created/);
  });
});
