// What Pulumi's Node language host loads before any program (node_modules/@pulumi/pulumi/
// cmd/run/index.js): its OpenTelemetry hook (@opentelemetry/api; the exporters only under
// TRACEPARENT) and source-map-support/register, which installs Error.prepareStackTrace, so
// every stack trace the SDK takes per promise goes through it. bench/run.ts preloads this
// (`node -r`) into every timed child, the floor, the baseline and the program alike.
"use strict";
require("@pulumi/pulumi/cmd/run/instrumentation");
require("source-map-support/register");
