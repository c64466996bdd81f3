/**
 * The pack names resource types by plain token (it loads no cloud SDK), so a misspelled
 * token silently makes a rule blind. Every token in policies/resourceTypes.ts must be one
 * the installed SDKs register (their classes' `__pulumiType`), except the custom
 * resources no SDK ships (CloudNativePG's Cluster and the like).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as types from "../../policies/resourceTypes";

/** Tokens of custom resources: defined by CRDs in the cluster, not by an SDK class. */
const customResourceGroups = ["postgresql.cnpg.io", "psmdb.percona.com", "mongodbcommunity.mongodb.com", "rabbitmq.com"];

/** Every `__pulumiType` the installed SDK packages declare. */
function sdkTokens(): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".js")) {
        for (const m of fs.readFileSync(full, "utf8").matchAll(/__pulumiType = ['"]([^'"]+)['"]/g)) found.add(m[1]);
      }
    }
  };
  for (const sdk of ["aws", "gcp", "digitalocean", "kubernetes"]) walk(path.dirname(require.resolve(`@pulumi/${sdk}/package.json`)));
  return found;
}

/** Every token the pack's type table names. */
function packTokens(): string[] {
  const out: string[] = [];
  const collect = (value: unknown) => {
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (typeof value === "object" && value !== null) Object.values(value).forEach(collect);
  };
  collect(types);
  return [...new Set(out)].sort();
}

describe("ha-guard: the resource type tokens", function () {
  it("every token names a resource the installed SDKs register (or a known custom resource)", function () {
    const known = sdkTokens();
    assert.ok(known.size > 1000, "the SDKs' type tokens were found");
    const tokens = packTokens();
    assert.ok(tokens.length > 50);
    const unknown = tokens.filter((t) => !known.has(t) && !customResourceGroups.some((g) => t.startsWith(`kubernetes:${g}/`)));
    assert.deepEqual(unknown, [], "tokens no installed SDK registers (misspelled, or removed from the SDK)");
  });

  it("jobs-single-flight's schedulers and jobs are named by the tokens the SDKs register", function () {
    const known = sdkTokens();
    const jobs = [
      types.kubernetes.cronJob,
      types.aws.schedule,
      types.aws.eventRule,
      types.aws.eventTarget,
      types.gcp.schedulerJob,
      types.gcp.cloudRunJob,
    ].flat();
    assert.deepEqual(jobs, [
      "kubernetes:batch/v1:CronJob",
      "kubernetes:batch/v1beta1:CronJob",
      "aws:scheduler/schedule:Schedule",
      "aws:cloudwatch/eventRule:EventRule",
      "aws:cloudwatch/eventTarget:EventTarget",
      "gcp:cloudscheduler/job:Job",
      "gcp:cloudrunv2/job:Job",
    ]);
    assert.deepEqual(jobs.filter((t) => !known.has(t)), []);
  });

  it("jobs-single-flight reads properties the SDKs' input types declare (a renamed field would make it blind)", function () {
    /** The fields of `interface name` in `namespace` of an SDK's types/input.d.ts (or of the resource's Args). */
    const fields = (sdk: string, namespace: string, name: string): string[] => {
      const file = path.join(path.dirname(require.resolve(`@pulumi/${sdk}/package.json`)), "types", "input.d.ts");
      const text = fs.readFileSync(file, "utf8");
      const start = text.indexOf(`export declare namespace ${namespace} {`);
      const end = text.indexOf("export declare namespace ", start + 1);
      const ns = text.slice(start, end < 0 ? undefined : end);
      const body = ns.slice(ns.indexOf(`interface ${name} {`)).split(/\n {4}\}/)[0];
      assert.ok(start >= 0 && body.startsWith(`interface ${name} {`), `${sdk} ${namespace}.${name} not found`);
      return [...body.matchAll(/^ {8}(\w+)\??:/gm)].map((m) => m[1]);
    };
    const argsFields = (sdk: string, module: string, file: string, name: string): string[] => {
      const text = fs.readFileSync(path.join(path.dirname(require.resolve(`@pulumi/${sdk}/package.json`)), module, `${file}.d.ts`), "utf8");
      const body = text.slice(text.indexOf(`export interface ${name} {`)).split(/\n\}/)[0];
      return [...body.matchAll(/^ {4}(\w+)\??:/gm)].map((m) => m[1]);
    };
    const has = (found: string[], wanted: string[], what: string) => assert.deepEqual(wanted.filter((f) => !found.includes(f)), [], what);
    has(argsFields("aws", "scheduler", "schedule", "ScheduleArgs"), ["scheduleExpression", "target"], "aws.scheduler.ScheduleArgs");
    has(fields("aws", "scheduler", "ScheduleTarget"), ["ecsParameters"], "aws scheduler.ScheduleTarget");
    has(fields("aws", "scheduler", "ScheduleTargetEcsParameters"), ["taskCount", "taskDefinitionArn"], "aws scheduler.ScheduleTargetEcsParameters");
    has(argsFields("aws", "cloudwatch", "eventTarget", "EventTargetArgs"), ["rule", "ecsTarget"], "aws.cloudwatch.EventTargetArgs");
    has(fields("aws", "cloudwatch", "EventTargetEcsTarget"), ["taskCount"], "aws cloudwatch.EventTargetEcsTarget");
    has(argsFields("aws", "cloudwatch", "eventRule", "EventRuleArgs"), ["scheduleExpression"], "aws.cloudwatch.EventRuleArgs");
    has(argsFields("gcp", "cloudscheduler", "job", "JobArgs"), ["schedule", "httpTarget", "retryConfig"], "gcp.cloudscheduler.JobArgs");
    has(fields("gcp", "cloudscheduler", "JobHttpTarget"), ["uri"], "gcp cloudscheduler.JobHttpTarget");
    has(argsFields("gcp", "cloudrunv2", "job", "JobArgs"), ["name", "template"], "gcp.cloudrunv2.JobArgs");
    has(fields("gcp", "cloudrunv2", "JobTemplate"), ["taskCount", "parallelism", "template"], "gcp cloudrunv2.JobTemplate");
    has(fields("gcp", "cloudrunv2", "JobTemplateTemplate"), ["timeout", "maxRetries"], "gcp cloudrunv2.JobTemplateTemplate");
  });
});
