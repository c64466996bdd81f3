// The SDK-import floor, as a plain Node process (no TypeScript loader): what any program
// on this cloud pays before its first line, the SDK core and the provider SDK. Prints
// ms from process start (performance.now() counts from the process's time origin).
"use strict";
const { performance } = require("node:perf_hooks");
const sdkOf = { aws: "@pulumi/aws", gcp: "@pulumi/gcp", digitalocean: "@pulumi/digitalocean", kubernetes: "@pulumi/kubernetes" };
require("@pulumi/pulumi");
require(sdkOf[process.argv[2]]);
process.stdout.write(`${JSON.stringify({ lastRegistrationMs: Math.round(performance.now()), resources: 0, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
