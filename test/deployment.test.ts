import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { CommandError, ConcurrentUpdateError, type EngineEvent, type OpType } from "@pulumi/pulumi/automation";
import { isSecretValue, runWithMocks, type ProgramRun } from "../automation/offline/mocks";
import * as d from "../automation/deployment";
import { stackNames } from "../automation/stackFiles";
import { decodeRawConfig } from "../components/stackConfig";
import { exitCodeFor, formatOutputs, ProgressPrinter, registerDeployCommands, type DeployOperations } from "../automation/deployCommands";
import { initialProgress, plainText, reduceProgress, renderProgressLine, renderSummary, type ProgressState } from "../automation/progress";
import { FakePulumiCli, type FakeCall } from "./fakePulumiCli";

/** Runs the inline program under mocks with the config `topologyConfigMap` produces, as the engine would pass it. */
async function runInline(source: d.TopologySource): Promise<ProgramRun> {
  const run = await runWithMocks(d.engineConfig(d.topologyConfigMap(source)), {
    stack: source.stack,
    program: async () => (await d.inlineProgram()) ?? {},
  });
  if (run.error) throw run.error;
  return run;
}

const types = (run: ProgramRun) => new Set(run.resources.map((r) => r.type));
const one = (run: ProgramRun, type: string) => {
  const found = run.resources.filter((r) => r.type === type);
  assert.equal(found.length, 1, `one ${type}, found ${found.length}`);
  return found[0];
};

/** Sets environment variables for the duration of `fn`. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    return await fn();
  } finally {
    apply(saved);
  }
}

const createdDirs: string[] = [];
const tmpDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  createdDirs.push(dir);
  return dir;
};
after(() => createdDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

const inlineTopology: d.InlineTopology = {
  stack: "dev",
  config: {
    cloud: "aws",
    domain: "shop.example.org",
    name: "shop",
    nodes: { count: 3, image: "ghcr.io/acme/web:1.2.3", env: { LOG_LEVEL: "debug", WORKERS: 4 } },
    database: { engine: "mysql", version: "8.0" },
    sessions: { enabled: true },
  },
  providerConfig: { "aws:region": "eu-west-1" },
  secrets: { API_KEY: "k-123 456" },
};

describe("deployment: the inline program under mocks", function () {
  it("runs the stack-file topology (aws) with the config it flattens: resources and outputs", async function () {
    const run = await runInline({ stack: "aws", secrets: { API_KEY: "k-123" } });
    const registered = types(run);
    for (const type of ["ha-topology:index:HaService", "aws:autoscaling/group:Group", "aws:lb/loadBalancer:LoadBalancer", "aws:rds/instance:Instance"]) {
      assert.ok(registered.has(type), `${type} registered`);
    }
    assert.equal(run.outputs?.url, "https://app.example.com");
    assert.match(String(run.outputs?.loadBalancerAddress), /elb\.amazonaws\.com$/);
    assert.ok(run.outputs?.databaseEndpoint, "databaseEndpoint resolves");
    assert.equal(run.outputs?.nodeGroupId !== undefined, true, "nodeGroupId resolves");
  });

  it("runs an object topology with provider config and secrets", async function () {
    const run = await runInline(inlineTopology);
    assert.equal(run.outputs?.url, "https://shop.example.org");
    assert.ok(run.outputs?.sessionStoreEndpoint, "sessions enabled -> a session store endpoint");
    assert.equal(one(run, "aws:autoscaling/group:Group").inputs.minSize, 3);
    assert.equal(one(run, "aws:rds/instance:Instance").inputs.engine, "mysql");
  });

  it("gives readRawConfig and readSecrets exactly what setAllConfig would set, for both input kinds", async function () {
    for (const source of [inlineTopology, { stack: "aws", secrets: { API_KEY: "k-1", OTHER: "o=2" } } satisfies d.TopologySource]) {
      const map = d.topologyConfigMap(source);
      const run = await runWithMocks(d.engineConfig(map), {
        program: async () => {
          const pulumi = await import("@pulumi/pulumi");
          const { readRawConfig, readSecrets } = await import("../components/stackConfig");
          const secrets = readSecrets();
          const secretFlags = Object.fromEntries(await Promise.all(Object.entries(secrets).map(async ([k, v]) => [k, await pulumi.isSecret(v)])));
          return { raw: readRawConfig(), secrets, secretFlags };
        },
      });
      assert.ifError(run.error);
      const raw = run.outputs?.raw as Record<string, unknown>;
      // The validator decodes with the program's own decoder.
      assert.deepEqual(raw, decodeRawConfig(d.engineConfig(map).values));
      assert.equal(raw.cloud, "aws");
      assert.equal(typeof raw.nodes, "object");
      assert.deepEqual(run.outputs?.secrets, source.secrets);
      assert.deepEqual(run.outputs?.secretFlags, Object.fromEntries(Object.keys(source.secrets ?? {}).map((k) => [k, true])));
    }
  });

  it("keeps app secrets secret in what the program sends to the cloud", async function () {
    const run = await runInline({ stack: "aws", secrets: { API_KEY: "k-123" } });
    const version = run.resources.find((r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion" && r.name.includes("app-secrets"));
    assert.ok(version, "the app secrets' Secrets Manager version is registered");
    assert.ok(isSecretValue(version.rawInputs.secretString), "its value is sent as a secret");
    assert.deepEqual(JSON.parse(version.inputs.secretString), { API_KEY: "k-123" });
  });
});

describe("deployment: options and config", function () {
  const home = "/home/tester";

  it("defaults to a local file backend under the home directory and the passphrase provider", function () {
    const ws = d.resolveWorkspace({ passphrase: "pw" }, {}, home);
    assert.equal(ws.backendUrl, "file:///home/tester/.ha-topology/state");
    assert.equal(ws.stateDir, "/home/tester/.ha-topology/state");
    assert.equal(ws.secretsProvider, "passphrase");
    assert.equal(ws.projectName, "ha-topology");
    assert.match(ws.workDir, /^\/home\/tester\/\.ha-topology\/workspaces\/ha-topology-[0-9a-f]{12}$/);
    assert.equal(ws.envVars.PULUMI_BACKEND_URL, ws.backendUrl);
    assert.equal(ws.envVars.PULUMI_CONFIG_PASSPHRASE, "pw");
  });

  it("takes overrides: backend, secrets provider, project, workDir, env vars", function () {
    const ws = d.resolveWorkspace(
      { backendUrl: "https://api.pulumi.com", secretsProvider: "default", projectName: "shop", envVars: { AWS_PROFILE: "prod" } },
      {},
      home,
    );
    assert.equal(ws.backendUrl, "https://api.pulumi.com");
    assert.equal(ws.stateDir, undefined, "no directory for a cloud backend");
    assert.equal(ws.secretsProvider, "default");
    assert.equal(ws.envVars.PULUMI_CONFIG_PASSPHRASE, undefined, "no passphrase needed without the passphrase provider");
    assert.equal(ws.envVars.AWS_PROFILE, "prod");
    assert.match(ws.workDir, /workspaces\/shop-[0-9a-f]{12}$/);
    const local = d.resolveWorkspace({ passphrase: "" }, {}, home);
    assert.notEqual(ws.workDir, local.workDir, "each backend gets its own workspace (its own passphrase salt)");
    assert.equal(d.resolveWorkspace({ passphrase: "", workDir: "/tmp/ws" }, {}, home).workDir, "/tmp/ws");
    assert.equal(d.fileBackendDir("file://~/state?no_tmp_dir=true", home), "/home/tester/state");
    assert.throws(() => d.resolveWorkspace({ passphrase: "", workDir: path.resolve(__dirname, "..") }, {}, home), /must not be the project directory/);
  });

  it("requires a passphrase, from the option, PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE", async function () {
    assert.throws(() => d.resolveWorkspace({}, {}, home), (e: unknown) => e instanceof d.DeploymentConfigError && /PULUMI_CONFIG_PASSPHRASE/.test(e.message));
    assert.equal(d.resolveWorkspace({}, { PULUMI_CONFIG_PASSPHRASE: "env-pw" }, home).envVars.PULUMI_CONFIG_PASSPHRASE, "env-pw");
    assert.equal(d.resolveWorkspace({ envVars: { PULUMI_CONFIG_PASSPHRASE: "ws-pw" } }, {}, home).envVars.PULUMI_CONFIG_PASSPHRASE, "ws-pw");
    assert.equal(d.resolveWorkspace({}, { PULUMI_CONFIG_PASSPHRASE_FILE: "/run/pw" }, home).envVars.PULUMI_CONFIG_PASSPHRASE, undefined);
    // Before anything starts: the CLI is never looked for (this root does not exist either).
    await withEnv({ PULUMI_CONFIG_PASSPHRASE: undefined, PULUMI_CONFIG_PASSPHRASE_FILE: undefined }, () =>
      assert.rejects(d.preview({ topology: { stack: "aws" }, pulumiRoot: "/nonexistent" }), /needs a passphrase/),
    );
  });

  it("refuses an unknown stack file, naming the file", function () {
    assert.throws(
      () => d.topologyConfigMap({ stack: "nope" }),
      (e: unknown) => e instanceof d.DeploymentConfigError && e.message.includes("stacks/Pulumi.nope.yaml") && e.message.includes(`stack files: ${stackNames().join(", ")}`),
    );
    assert.throws(() => d.topologyConfigMap({ stack: "x", stackFile: "/nonexistent/Pulumi.x.yaml" }), /Stack file \/nonexistent\/Pulumi\.x\.yaml not found/);
    assert.throws(() => d.topologyConfigMap({ stack: "../etc/passwd" }), /Invalid stack name/);
  });

  it("refuses encrypted (secure:) values in a stack file and says to use `secrets`", function () {
    const dir = tmpDir("ha-topology-stackfile-");
    const file = path.join(dir, "Pulumi.enc.yaml");
    fs.writeFileSync(
      file,
      "encryptionsalt: v1:abc\nconfig:\n  ha-topology:cloud: aws\n  ha-topology:domain: app.example.com\n" +
        "  ha-topology:secrets:\n    API_KEY:\n      secure: v1:AAAA\n",
    );
    assert.throws(
      () => d.topologyConfigMap({ stack: "enc", stackFile: file }),
      (e: unknown) => e instanceof d.DeploymentConfigError && e.message.includes(file) && e.message.includes("ha-topology:secrets") && /through `secrets`/.test(e.message),
    );
    fs.writeFileSync(file, "config:\n  ha-topology:cloud: aws\n  ha-topology:domain: app.example.com\n");
    assert.equal(d.topologyConfigMap({ stack: "enc", stackFile: file })["ha-topology:domain"].value, "app.example.com");
  });

  it("flattens objects to JSON strings and secrets to one secret JSON object", function () {
    const map = d.topologyConfigMap(inlineTopology);
    assert.deepEqual(map["ha-topology:cloud"], { value: "aws", secret: false });
    assert.deepEqual(JSON.parse(map["ha-topology:nodes"].value), inlineTopology.config.nodes);
    assert.equal(map["ha-topology:nodes"].secret, false);
    assert.deepEqual(map["aws:region"], { value: "eu-west-1", secret: false });
    assert.deepEqual(map["ha-topology:secrets"], { value: JSON.stringify({ API_KEY: "k-123 456" }), secret: true });
    assert.deepEqual(d.engineConfig(map).secretKeys, ["ha-topology:secrets"]);

    const fromFile = d.topologyConfigMap({ stack: "aws", providerConfig: { "aws:region": "eu-west-1", "aws:token": { secret: "t" } } });
    assert.equal(fromFile["ha-topology:name"].value, "web", "Pulumi.yaml's default");
    assert.equal(fromFile["aws:region"].value, "eu-west-1", "providerConfig overrides the file");
    assert.deepEqual(fromFile["aws:token"], { value: "t", secret: true });
    assert.equal(JSON.parse(fromFile["ha-topology:nodes"].value).maxCount, 6);
    assert.equal(fromFile["ha-topology:secrets"], undefined, "no secrets, no key");
  });

  it("marks every credential secret: the bucket key's section, provider tokens given as plain strings; secretConfig takes secret paths only", function () {
    const map = d.topologyConfigMap({
      stack: "kubernetes",
      secretConfig: { "storage.secretAccessKey": "s3-secret" },
      providerConfig: { "digitalocean:token": "dop_v1_x", "aws:secretKey": "aws-x", "kubernetes:context": "prod" },
    });
    assert.equal(map["ha-topology:storage"].secret, true);
    assert.equal(JSON.parse(map["ha-topology:storage"].value).secretAccessKey, "s3-secret");
    assert.equal(JSON.parse(map["ha-topology:storage"].value).bucket, "my-app-files", "the rest of the file's section is kept");
    assert.deepEqual([map["digitalocean:token"].secret, map["aws:secretKey"].secret, map["kubernetes:context"].secret], [true, true, false]);
    assert.equal(map["ha-topology:nodes"].secret, false);
    const inline = d.topologyConfigMap({ stack: "dev", config: { cloud: "kubernetes", domain: "a.example.com", storage: { secretAccessKey: "k" } } });
    assert.equal(inline["ha-topology:storage"].secret, true, "also when given inside config");
    const registry = d.topologyConfigMap({ stack: "dev", config: { cloud: "aws", domain: "a.example.com", registry: { username: "ci", password: "reg-pass" } } });
    assert.equal(registry["ha-topology:registry"].secret, true, "the private registry's password makes its section secret");
    assert.equal(d.topologyConfigMap({ stack: "aws" })["ha-topology:storage"]?.secret ?? false, false, "a section without a secret stays plain");
    for (const bad of ["domain", "storage.bucket", "secrets.API_KEY"]) {
      assert.throws(() => d.topologyConfigMap({ stack: "aws", secretConfig: { [bad]: "x" } }), /secretConfig key .*secret path/, bad);
    }
    assert.deepEqual(d.topologyWarnings({ stack: "aws" }), [], "the aws example has no plain-text secret");
    assert.deepEqual(d.topologyWarnings(inlineTopology), []);
  });

  it("refuses secrets inside config, topology keys in providerConfig, and invalid topologies before starting", async function () {
    const bad = { ...inlineTopology, config: { ...inlineTopology.config, secrets: { A: "b" } } } as unknown as d.TopologySource;
    assert.throws(() => d.topologyConfigMap(bad), /through `secrets`/);
    assert.throws(() => d.topologyConfigMap({ ...inlineTopology, providerConfig: { "ha-topology:domain": "x" } }), /provider's namespace/);
    const invalid = d.topologyConfigMap({ stack: "dev", config: { cloud: "aws", domain: "app.example.com", nodes: { count: 1 } } });
    assert.throws(
      () => d.validateTopologyConfig(invalid),
      (e: unknown) => e instanceof d.InvalidTopologyError && e.problems.some((p) => p.startsWith("ha-topology:nodes.count: received 1")),
    );
    d.validateTopologyConfig(d.topologyConfigMap(inlineTopology));
    await assert.rejects(
      d.up({ topology: { stack: "dev", config: { cloud: "aws", domain: "https://x" } }, passphrase: "", pulumiRoot: "/nonexistent" }),
      d.InvalidTopologyError,
    );
  });
});

/** Synthetic engine events. */
let sequence = 0;
const event = (fields: Partial<EngineEvent>): EngineEvent => ({ sequence: sequence++, timestamp: 1_700_000_000, ...fields });
const urn = (type: string, name: string) => `urn:pulumi:dev::ha-topology::ha-topology:index:HaService$${type}::${name}`;
const meta = (op: OpType, type: string, name: string) => ({ op, urn: urn(type, name), type, provider: "" });
const pre = (op: OpType, type: string, name: string, planning = false) => event({ resourcePreEvent: { metadata: meta(op, type, name), planning } });
const outputsEv = (op: OpType, type: string, name: string, planning = false) => event({ resOutputsEvent: { metadata: meta(op, type, name), planning } });
const failed = (op: OpType, type: string, name: string) => event({ resOpFailedEvent: { metadata: meta(op, type, name), status: 1, steps: 1 } });

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Reduces events from a frozen initial state, freezing every intermediate state (the reducer must not mutate). */
const replay = (operation: ProgressState["operation"], events: EngineEvent[]) =>
  events.reduce((state, e) => deepFreeze(reduceProgress(state, e)), deepFreeze(initialProgress(operation)));

const SUBNET = "aws:ec2/subnet:Subnet";
const VPC = "aws:ec2/vpc:Vpc";
const LT = "aws:ec2/launchTemplate:LaunchTemplate";

describe("progress: reducer and renderer", function () {
  it("counts steps per kind, tracks the current resource, diagnostics, violations and the summary", function () {
    const start = [event({ preludeEvent: { config: {} } }), pre("create", VPC, "web-vpc"), pre("create", SUBNET, "web-private-0")];
    const mid = replay("up", start);
    assert.equal(mid.started, true);
    assert.equal(mid.current, urn(SUBNET, "web-private-0"));
    assert.equal(renderProgressLine(mid), "up: 0/2 done · creating aws:ec2/subnet:Subnet web-private-0 · 0 failed");

    const state = replay("up", [
      ...start,
      outputsEv("create", VPC, "web-vpc"),
      pre("same", LT, "web-nodes"),
      outputsEv("same", LT, "web-nodes"),
      failed("create", SUBNET, "web-private-0"),
      event({ diagnosticEvent: { message: "<{%fg 1%}>error: <{%reset%}>creating subnet: InvalidParameter\n", color: "raw", severity: "error", urn: urn(SUBNET, "web-private-0") } }),
      event({ diagnosticEvent: { message: "deprecated argument", color: "raw", severity: "warning" } }),
      event({ diagnosticEvent: { message: "downloading plugin", color: "raw", severity: "info", ephemeral: true } }),
      event({ diagnosticEvent: { message: "verbose", color: "raw", severity: "debug" as "info" } }),
      event({
        policyEvent: {
          message: "only 1 node serves traffic",
          color: "raw",
          policyName: "min-nodes",
          policyPackName: "ha-guard",
          policyPackVersion: "0.1.0",
          policyPackVersionTag: "v0.1.0",
          enforcementLevel: "mandatory",
        },
      }),
      event({ summaryEvent: { maybeCorrupt: false, durationSeconds: 312.4, resourceChanges: { create: 1, same: 1 }, policyPacks: { "ha-guard": "0.1.0" } } }),
      event({ cancelEvent: {} }),
    ]);
    assert.deepEqual(state.counts.create, { planned: 0, started: 2, done: 1, failed: 1 });
    assert.deepEqual(state.counts.same, { planned: 0, started: 1, done: 1, failed: 0 });
    assert.deepEqual(state.totals, { planned: 0, started: 3, done: 2, failed: 1 });
    assert.equal(state.current, undefined);
    assert.equal(state.ended, true);
    assert.deepEqual(state.diagnostics, [
      { severity: "error", message: "error: creating subnet: InvalidParameter", urn: urn(SUBNET, "web-private-0") },
      { severity: "warning", message: "deprecated argument" },
    ]);
    assert.deepEqual(state.policyViolations, [
      { policyName: "min-nodes", policyPackName: "ha-guard", enforcementLevel: "mandatory", message: "only 1 node serves traffic" },
    ]);
    assert.equal(state.summary?.durationSeconds, 312.4);
    assert.equal(
      renderProgressLine(state),
      "up: 2/3 done · finished · 1 failed · 1 error · 1 warning · 1 policy violation (1 mandatory)",
    );
    assert.equal(
      renderSummary(state),
      "up finished in 312 s: 1 created, 1 unchanged · 1 failed · 1 error · 1 warning · 1 policy violation (1 mandatory)",
    );
  });

  it("folds a replacement's three steps into one replaced resource, and keeps failures final", function () {
    const state = replay("up", [
      pre("create-replacement", LT, "web-nodes"),
      outputsEv("create-replacement", LT, "web-nodes"),
      pre("replace", LT, "web-nodes"),
      outputsEv("replace", LT, "web-nodes"),
      pre("delete-replaced", LT, "web-nodes"),
      outputsEv("delete-replaced", LT, "web-nodes"),
      pre("update", VPC, "web-vpc"),
      failed("update", VPC, "web-vpc"),
      outputsEv("update", VPC, "web-vpc"),
    ]);
    assert.deepEqual(state.counts.replace, { planned: 0, started: 1, done: 1, failed: 0 });
    assert.deepEqual(state.counts.create, { planned: 0, started: 0, done: 0, failed: 0 });
    assert.deepEqual(state.counts.update, { planned: 0, started: 1, done: 0, failed: 1 });
  });

  it("counts a preview's steps as planned and words them as plans", function () {
    const state = replay("preview", [
      event({ preludeEvent: { config: {} } }),
      pre("create", VPC, "web-vpc", true),
      outputsEv("create", VPC, "web-vpc", true),
      pre("create", SUBNET, "web-public-0", true),
    ]);
    assert.deepEqual(state.totals, { planned: 2, started: 0, done: 1, failed: 0 });
    assert.equal(renderProgressLine(state), "preview: 1/2 done · planning (to create) aws:ec2/subnet:Subnet web-public-0 · 0 failed");
    const done = reduceProgress(state, event({ summaryEvent: { maybeCorrupt: false, durationSeconds: 3, resourceChanges: { create: 57, same: 1 }, policyPacks: {} } }));
    assert.equal(renderSummary(done), "preview finished in 3 s: 57 to create, 1 unchanged · 0 failed");
  });

  it("strips colour markup and ANSI escapes", function () {
    assert.equal(plainText("<{%bold%}>\u001b[31mred\u001b[0m<{%reset%}>\n"), "red");
  });

  it("prints one updating line on a terminal and plain lines otherwise", function () {
    const states = [
      replay("up", [event({ preludeEvent: { config: {} } }), pre("create", VPC, "web-vpc")]),
      replay("up", [event({ preludeEvent: { config: {} } }), pre("create", VPC, "web-vpc"), outputsEv("create", VPC, "web-vpc")]),
    ];
    const plain: string[] = [];
    const printer = new ProgressPrinter((t) => plain.push(t), false, 80);
    for (const state of states) printer.update({ state, event: event({}) });
    assert.deepEqual(plain, ["up: 0/1 done · creating aws:ec2/vpc:Vpc web-vpc · 0 failed\n", "up: 1/1 done · waiting for the program · 0 failed\n"]);

    const tty: string[] = [];
    const ttyPrinter = new ProgressPrinter((t) => tty.push(t), true, 30);
    ttyPrinter.update({ state: states[0], event: event({}) });
    ttyPrinter.clear();
    // Cut to one row (29 characters on a 30-column terminal), so the line can be rewritten in place.
    assert.equal(tty[0], "\r\u001b[2Kup: 0/1 done · creating aws:…");
    assert.equal(tty[1], "\r\u001b[2K");
  });
});

describe("deployment: error mapping", function () {
  const context: d.ErrorContext = { operation: "up", stack: "aws", backendUrl: "file:///tmp/state" };

  it("maps ConcurrentUpdateError to StackLockedError with how to cancel", function () {
    const sdkError = new ConcurrentUpdateError("code: 255\n stdout: \n stderr: error: the stack is currently locked by 1 lock(s)\n err?: \n");
    const mapped = d.toDeploymentError(sdkError, context);
    assert.ok(mapped instanceof d.StackLockedError);
    assert.ok(mapped instanceof d.DeploymentError);
    assert.match(mapped.message, /another update is running/);
    assert.match(mapped.message, /pulumi cancel --stack aws/);
    assert.equal(mapped.cause, sdkError);
  });

  it("maps any failure after an abort to OperationCancelledError, and refuses to start when already aborted", async function () {
    const controller = new AbortController();
    controller.abort();
    const mapped = d.toDeploymentError(new CommandError("code: 1\n stdout: \n stderr: interrupted\n err?: \n"), { ...context, signal: controller.signal });
    assert.ok(mapped instanceof d.OperationCancelledError);
    await assert.rejects(d.preview({ topology: { stack: "aws" }, passphrase: "", signal: controller.signal }), d.OperationCancelledError);
  });

  it("maps other CLI failures to OperationFailedError with the engine's errors and mandatory violations", function () {
    const progress = replay("preview", [
      event({ diagnosticEvent: { message: "error: No valid credential sources found", color: "raw", severity: "error" } }),
      event({
        policyEvent: { message: "one zone", color: "raw", policyName: "multi-az-database", policyPackName: "ha-guard", policyPackVersion: "1", policyPackVersionTag: "v1", enforcementLevel: "mandatory" },
      }),
    ]);
    const failedRun = d.toDeploymentError(new CommandError("code: 255\n stdout: \n stderr: error: preview failed\n err?: \n"), { ...context, operation: "preview", progress });
    assert.ok(failedRun instanceof d.OperationFailedError);
    assert.match(failedRun.message, /^preview of stack "aws" failed:/);
    assert.match(failedRun.message, /\[mandatory\] ha-guard\/multi-az-database: one zone/);
    assert.match(failedRun.message, /No valid credential sources found/);
    assert.equal(failedRun.policyViolations.length, 1);
    const bare = d.toDeploymentError(new CommandError("code: 255\n stdout: \n stderr: error: something broke\n err?: \n"), context);
    assert.match((bare as Error).message, /error: something broke/);
    const bug = new TypeError("a bug");
    assert.equal(d.toDeploymentError(bug, context), bug, "other errors pass unchanged");
  });

  it("names the missing operator, its CRD and its flag when the cluster did not know a kind of ours (Kubernetes)", function () {
    const message = 'kubernetes:psmdb.percona.com/v1:PerconaServerMongoDB (web-events): error: creation of resource ha/web-events failed because the Kubernetes API server reported that the apiVersion for this resource does not exist. Verify that any required CRDs have been created: no matches for kind "PerconaServerMongoDB" in version "psmdb.percona.com/v1"';
    const progress = replay("up", [
      event({ diagnosticEvent: { message, color: "raw", severity: "error" } }),
      event({ diagnosticEvent: { message: "error: failed to determine if the following GVK is namespaced: rabbitmq.com/v1beta1, Kind=RabbitmqCluster", color: "raw", severity: "error" } }),
    ]);
    const failed = d.toDeploymentError(new CommandError("code: 255\n stdout: \n stderr: error: update failed\n err?: \n"), { ...context, operation: "up", progress });
    assert.ok(failed instanceof d.OperationFailedError);
    const text = (failed as Error).message;
    assert.match(text, /no matches for kind "PerconaServerMongoDB"/, "the engine's error stays");
    assert.match(text, /PerconaServerMongoDB \(psmdb\.percona\.com\): the Percona Operator for MongoDB is missing \(CRD perconaservermongodbs\.psmdb\.percona\.com; check with kubectl get crd perconaservermongodbs\.psmdb\.percona\.com\); install it \(https:[^)]+\), or set ha-topology:kubernetes\.installPerconaOperator true/);
    assert.match(text, /RabbitmqCluster \(rabbitmq\.com\): the RabbitMQ Cluster Operator is missing .*ha-topology:kubernetes\.installRabbitmqOperator true/);
    // From stderr alone (no events followed), and for an operator without a flag.
    const bare = d.toDeploymentError(new CommandError('code: 255\n stdout: \n stderr: error: no matches for kind "Certificate" in version "cert-manager.io/v1"\n err?: \n'), context);
    assert.match((bare as Error).message, /Certificate \(cert-manager\.io\): cert-manager is missing .*this program does not install it/);
    // A kind of no operator of ours: no hint.
    const other = d.toDeploymentError(new CommandError('code: 255\n stdout: \n stderr: error: no matches for kind "Application" in version "argoproj.io/v1alpha1"\n err?: \n'), context);
    assert.doesNotMatch((other as Error).message, /is missing/);
  });

  it("reports a missing pulumi binary as PulumiNotFoundError, before anything starts", async function () {
    await assert.rejects(
      d.findPulumi("/nonexistent/pulumi-root"),
      (e: unknown) => e instanceof d.PulumiNotFoundError && /install/.test(e.message) && /npm run plan/.test(e.message),
    );
    await assert.rejects(d.preview({ topology: { stack: "aws" }, passphrase: "", pulumiRoot: "/nonexistent" }), d.PulumiNotFoundError);
    if (spawnSync("pulumi", ["version"]).error) {
      await assert.rejects(d.findPulumi(), d.PulumiNotFoundError, "no pulumi on PATH here");
    } else {
      assert.ok((await d.findPulumi()).command);
    }
  });

  it("gives each error its exit code", function () {
    assert.equal(exitCodeFor(new d.DeploymentConfigError("x")), 2);
    assert.equal(exitCodeFor(new d.InvalidTopologyError([], "x")), 2);
    assert.equal(exitCodeFor(new d.PulumiNotFoundError("x")), 2);
    assert.equal(exitCodeFor(new d.OperationCancelledError("up", "aws")), 130);
    assert.equal(exitCodeFor(new d.StackLockedError("aws", "file:///s")), 1);
    assert.equal(exitCodeFor(new d.OperationFailedError("up", "aws", ["x"])), 1);
    assert.equal(exitCodeFor(new Error("x")), 1);
  });
});

describe("deployCommands: argument handling", function () {
  interface Harness {
    program: Command;
    calls: { name: string; options: any }[];
    out: string[];
    err: string[];
    exitCodes: number[];
    interrupt?: () => void;
    /** Whether Ctrl-C comes from a terminal (and so reaches the Pulumi CLI by itself). */
    terminal: boolean;
    /** The environment and files `--secret` reads. */
    env: Record<string, string>;
    files: Record<string, string>;
  }

  /** Two updates of a single-service stack: 2 (failed, web:1.4.3) and 1 (web:1.4.2). */
  const sampleVersions = (): d.DeployedVersion[] =>
    d.deployedVersions([2, 1].map((version) => ({
      version,
      kind: "update" as const,
      result: version === 2 ? ("failed" as const) : ("succeeded" as const),
      startTime: new Date(Date.UTC(2026, 11, 1, 9, version)),
      endTime: new Date(Date.UTC(2026, 11, 1, 9, version, 45)),
      message: "",
      environment: {},
      config: { "ha-topology:nodes": { value: JSON.stringify({ image: `ghcr.io/acme/web:1.4.${version + 1}` }), secret: false } },
    })));
  /** The plan of rolling the sample back: to version 1, the stack file says 1.4.3. */
  const samplePlan = (): d.RollbackPlan => d.rollbackPlan("aws", sampleVersions(), { web: "ghcr.io/acme/web:1.4.3" });

  const okResult = (operation: "preview" | "up" | "destroy" | "refresh"): d.OperationResult => {
    const progress = replay(operation, [event({ summaryEvent: { maybeCorrupt: false, durationSeconds: 2, resourceChanges: { create: 3 }, policyPacks: {} } })]);
    return { operation, stack: "aws", backendUrl: "file:///s", changes: { create: 3 }, diagnostics: [], policyViolations: [], progress };
  };

  /** A program with stubbed operations; `behaviour` replaces an operation's result. */
  function harness(behaviour: Partial<Record<keyof DeployOperations, (options: any) => Promise<unknown>>> = {}): Harness {
    const h: Harness = { program: new Command("ha-topology"), calls: [], out: [], err: [], exitCodes: [], terminal: false, env: {}, files: {} };
    const stub = (name: keyof DeployOperations, fallback: () => unknown) => async (options: any) => {
      h.calls.push({ name, options });
      return behaviour[name] ? behaviour[name](options) : fallback();
    };
    const operations = {
      preview: stub("preview", () => okResult("preview")),
      up: stub("up", () => ({ ...okResult("up"), outputs: { values: { url: "https://app.example.com", token: "[secret]" }, secretNames: ["token"] } })),
      destroy: stub("destroy", () => okResult("destroy")),
      refresh: stub("refresh", () => okResult("refresh")),
      outputs: stub("outputs", () => ({ values: { url: "https://app.example.com", dnsRecords: [] }, secretNames: [] })),
      history: stub("history", () => ({ stack: "aws", backendUrl: "file:///s", versions: sampleVersions() })),
      planRollback: stub("planRollback", () => samplePlan()),
      rollback: stub("rollback", () => ({ ...okResult("up"), outputs: { values: {}, secretNames: [] }, plan: samplePlan() })),
    } as DeployOperations;
    h.program.exitOverride().configureOutput({ writeOut: (t) => h.out.push(t), writeErr: (t) => h.err.push(t) });
    registerDeployCommands(h.program, {
      operations,
      isTTY: () => false,
      columns: () => 100,
      setExitCode: (code) => h.exitCodes.push(code),
      onInterrupt: (handler) => {
        h.interrupt = handler;
        return () => (h.interrupt = undefined);
      },
      interruptReachesChildren: () => h.terminal,
      secretSources: {
        env: h.env,
        readFile: (file) => {
          if (!(file in h.files)) throw Object.assign(new Error(`ENOENT: ${file}`), { code: "ENOENT" });
          return h.files[file];
        },
      },
    });
    return h;
  }

  const parse = (h: Harness, ...args: string[]) => h.program.parseAsync(args, { from: "user" });

  it("refuses a command without --stack as a usage error (exit code 2), calling nothing", async function () {
    for (const command of ["preview", "up", "destroy", "refresh", "outputs", "history", "rollback"]) {
      const h = harness();
      await assert.rejects(parse(h, command), (e: unknown) => e instanceof CommanderError && e.code === "commander.missingMandatoryOptionValue" && e.exitCode === 2);
      assert.equal(h.calls.length, 0);
      assert.match(h.err.join(""), /required option '-s, --stack <name>' not specified/);
    }
  });

  it("refuses an option a command does not have (--policy-pack on destroy) as a usage error", async function () {
    const h = harness();
    await assert.rejects(parse(h, "destroy", "--stack", "aws", "--yes", "--policy-pack", "policies"), (e: unknown) => e instanceof CommanderError && e.exitCode === 2);
    assert.equal(h.calls.length, 0);
  });

  it("refuses destroy without --yes (exit code 2) and destroys with it", async function () {
    const h = harness();
    await parse(h, "destroy", "--stack", "aws");
    assert.deepEqual(h.exitCodes, [2]);
    assert.equal(h.calls.length, 0);
    assert.match(h.err.join(""), /--yes/);

    const confirmed = harness();
    await parse(confirmed, "destroy", "--stack", "aws", "--yes");
    assert.equal(confirmed.calls[0].name, "destroy");
    assert.deepEqual(confirmed.calls[0].options.topology, { stack: "aws" });
    assert.deepEqual(confirmed.exitCodes, [0]);
  });

  it("collects repeated --policy-pack and --policy-pack-config, and passes --backend", async function () {
    for (const command of ["preview", "up"]) {
      const h = harness();
      await parse(h, command, "--stack", "aws", "--policy-pack", "policies", "--policy-pack", "/opt/other-pack", "--policy-pack-config", "a.json", "--policy-pack-config", "b.json", "--backend", "file:///tmp/s");
      const { options } = h.calls[0];
      assert.equal(h.calls[0].name, command);
      assert.deepEqual(options.policyPacks, ["policies", "/opt/other-pack"]);
      assert.deepEqual(options.policyPackConfigs, ["a.json", "b.json"]);
      assert.equal(options.backendUrl, "file:///tmp/s");
      assert.deepEqual(options.topology, { stack: "aws" });
      assert.ok(options.signal instanceof AbortSignal);
      assert.deepEqual(h.exitCodes, [0]);
      assert.match(h.out.join(""), /finished in 2 s: 3 (to create|created)/);
    }
    const none = harness();
    await parse(none, "preview", "--stack", "aws");
    assert.deepEqual(none.calls[0].options.policyPacks, []);
  });

  it("reads --secret values from environment variables and files: app secrets, the bucket key, provider credentials", async function () {
    for (const command of ["preview", "up", "refresh"]) {
      const h = harness();
      Object.assign(h.env, { STRIPE: "sk_live_from_env", DO_TOKEN: "dop_v1_from_env" });
      Object.assign(h.files, { "/run/keys/s3": "bucket-key-from-file\n", "/run/keys/other": "other-from-file" });
      await parse(h, command, "--stack", "kubernetes", "--secret", "STRIPE_KEY=env:STRIPE", "--secret", "ha-topology:secrets.OTHER=file:/run/keys/other",
        "--secret", "ha-topology:storage.secretAccessKey=file:/run/keys/s3", "--secret", "digitalocean:token=env:DO_TOKEN");
      assert.deepEqual(h.calls[0].options.topology, {
        stack: "kubernetes",
        secrets: { STRIPE_KEY: "sk_live_from_env", OTHER: "other-from-file" },
        secretConfig: { "storage.secretAccessKey": "bucket-key-from-file" },
        providerConfig: { "digitalocean:token": { secret: "dop_v1_from_env" } },
      }, command);
      assert.deepEqual(h.exitCodes, [0]);
    }
    const destroy = harness();
    Object.assign(destroy.env, { DO_TOKEN: "t" });
    await parse(destroy, "destroy", "--stack", "digitalocean", "--yes", "--secret", "digitalocean:token=env:DO_TOKEN");
    assert.deepEqual(destroy.calls[0].options.topology.providerConfig, { "digitalocean:token": { secret: "t" } }, "destroy needs the token too");
  });

  it("refuses a --secret value written on the command line, an unset variable and an unreadable file: exit 2, nothing run, no value shown", async function () {
    const cases: [string, RegExp][] = [
      ["API_KEY=hunter2-literal", /--secret API_KEY=…: use NAME=env:VAR .* readable by every user of this machine/],
      ["hunter2-no-name", /--secret \(value not shown\)/],
      ["API_KEY=env:NOT_SET", /environment variable NOT_SET is not set/],
      ["API_KEY=file:/nope", /file:\/nope: cannot read the file \(ENOENT\)/],
    ];
    for (const [spec, message] of cases) {
      const h = harness();
      await parse(h, "up", "--stack", "aws", "--secret", spec);
      assert.deepEqual(h.exitCodes, [2], spec);
      assert.equal(h.calls.length, 0);
      assert.match(h.err.join(""), message);
      assert.ok(!h.err.join("").includes("hunter2"), "the value is never repeated");
    }
  });

  it("prints warnings about the input (a secret in plain text in the stack file) on stderr", async function () {
    const h = harness({
      up: async (options) => {
        options.onWarning("ha-topology:secrets.API_KEY is stored in plain text in the stack configuration");
        return { ...okResult("up"), outputs: { values: {}, secretNames: [] } };
      },
    });
    await parse(h, "up", "--stack", "aws");
    assert.match(h.err.join(""), /^warning: ha-topology:secrets\.API_KEY is stored in plain text/m);
    assert.ok(!h.out.join("").includes("warning"));
  });

  it("prints up's outputs (secrets masked) and outputs as text or JSON", async function () {
    const h = harness();
    await parse(h, "up", "--stack", "aws");
    assert.match(h.out.join(""), /Outputs:\n {2}token {2}\[secret\]\n {2}url {4}https:\/\/app\.example\.com\n/);

    const json = harness();
    await parse(json, "outputs", "--stack", "aws", "--json", "--show-secrets");
    assert.deepEqual(JSON.parse(json.out.join("")), { url: "https://app.example.com", dnsRecords: [] });
    assert.equal(json.calls[0].options.showSecrets, true);
    assert.equal(formatOutputs({ values: {}, secretNames: [] }, false), "(no outputs)\n");
  });

  it("prints the history as a table or JSON, newest first, with each workload's image", async function () {
    const h = harness();
    await parse(h, "history", "--stack", "aws", "--backend", "file:///tmp/s");
    assert.deepEqual(h.calls[0], { name: "history", options: { stack: "aws", backendUrl: "file:///tmp/s" } });
    assert.equal(
      h.out.join(""),
      "VERSION  STARTED (UTC)        DURATION  RESULT     IMAGES\n" +
        "2        2026-12-01 09:02:00  45s       failed     web  ghcr.io/acme/web:1.4.3\n" +
        "1        2026-12-01 09:01:00  45s       succeeded  web  ghcr.io/acme/web:1.4.2\n",
    );
    assert.deepEqual(h.exitCodes, [0]);
    const json = harness();
    await parse(json, "history", "--stack", "aws", "--json");
    assert.deepEqual(JSON.parse(json.out.join("")), [
      { version: 2, kind: "update", startTime: "2026-12-01T09:02:00.000Z", endTime: "2026-12-01T09:02:45.000Z", result: "failed", images: { web: "ghcr.io/acme/web:1.4.3" } },
      { version: 1, kind: "update", startTime: "2026-12-01T09:01:00.000Z", endTime: "2026-12-01T09:01:45.000Z", result: "succeeded", images: { web: "ghcr.io/acme/web:1.4.2" } },
    ]);
    const missing = harness({ history: async () => Promise.reject(new d.DeploymentConfigError('Stack "aws" does not exist in file:///s (up creates it).')) });
    await parse(missing, "history", "--stack", "aws");
    assert.deepEqual(missing.exitCodes, [2]);
    assert.match(missing.err.join(""), /does not exist/);
  });

  it("rollback without --yes shows which images change and does nothing (exit code 2)", async function () {
    const h = harness();
    await parse(h, "rollback", "--stack", "aws", "--to", "1");
    assert.deepEqual(h.calls.map((c) => c.name), ["planRollback"]);
    assert.deepEqual(h.calls[0].options, { topology: { stack: "aws" }, backendUrl: undefined, to: 1 });
    assert.match(h.out.join(""), /^Rollback of stack "aws" to the images of version 1 .*\nImages that change:\n {2}web {2}ghcr\.io\/acme\/web:1\.4\.3 → ghcr\.io\/acme\/web:1\.4\.2\n/);
    assert.match(h.out.join(""), /The stack file still says web: ghcr\.io\/acme\/web:1\.4\.3; update it \(to ghcr\.io\/acme\/web:1\.4\.2\), or the next up redeploys it\./);
    assert.match(h.err.join(""), /Nothing was done; re-run with --yes/);
    assert.deepEqual(h.exitCodes, [2]);
  });

  it("rollback --yes runs the rollback as up runs (policy packs, secrets, progress), says the plan first and what the file still says last", async function () {
    const h = harness({
      rollback: async (options) => {
        options.onPlan(samplePlan());
        return { ...okResult("up"), outputs: { values: {}, secretNames: [] }, plan: samplePlan() };
      },
    });
    Object.assign(h.env, { KEY: "k-env" });
    await parse(h, "rollback", "--stack", "aws", "--yes", "--policy-pack", "policies", "--secret", "API_KEY=env:KEY");
    assert.equal(h.calls[0].name, "rollback");
    const { options } = h.calls[0];
    assert.deepEqual(options.topology, { stack: "aws", secrets: { API_KEY: "k-env" } });
    assert.deepEqual(options.policyPacks, ["policies"]);
    assert.equal(options.to, undefined, "no --to: the API chooses");
    assert.ok(options.signal instanceof AbortSignal && typeof options.onProgress === "function");
    assert.match(h.err.join(""), /rollback of stack "aws"\.\.\.\nRollback of stack "aws" to the images of version 1/);
    assert.match(h.out.join(""), /finished in 2 s: 3 created · 0 failed\n\nOutputs:\n {2}\(no outputs\)\nThe stack file still says web: ghcr\.io\/acme\/web:1\.4\.3; update it \(to ghcr\.io\/acme\/web:1\.4\.2\), or the next up redeploys it\.\n$/);
    assert.deepEqual(h.exitCodes, [0]);
  });

  it("rollback refuses a bad --to (exit code 2, nothing called) and reports a refused version with exit code 2, a failed up with 1", async function () {
    for (const to of ["x", "0", "-1", "1.5"]) {
      const h = harness();
      await parse(h, "rollback", "--stack", "aws", "--yes", `--to=${to}`);
      assert.deepEqual([h.exitCodes, h.calls.length], [[2], 0], to);
      assert.match(h.err.join(""), /--to .*: a version number/);
    }
    const cases: [Error, number][] = [
      [new d.RollbackRefusedError("Version 2 of stack \"aws\" did not succeed (failed)"), 2],
      [new d.OperationFailedError("up", "aws", ["error: health check failed"]), 1],
    ];
    for (const [error, code] of cases) {
      for (const yes of [["--yes"], []]) {
        const h = harness({ rollback: async () => Promise.reject(error), planRollback: async () => Promise.reject(error) });
        await parse(h, "rollback", "--stack", "aws", "--to", "2", ...yes);
        assert.deepEqual(h.exitCodes, [code], `${error.name} ${yes.join("")}`);
        assert.ok(h.err.join("").includes(`error: ${error.message}`));
      }
    }
  });

  it("prints progress to stderr and results to stdout", async function () {
    const h = harness({
      preview: async (options) => {
        const states = [replay("preview", [event({ preludeEvent: { config: {} } }), pre("create", VPC, "web-vpc", true)])];
        for (const state of states) options.onProgress({ state, event: event({}) });
        return okResult("preview");
      },
    });
    await parse(h, "preview", "--stack", "aws");
    assert.match(h.err.join(""), /preview: 0\/1 done · planning \(to create\) aws:ec2\/vpc:Vpc web-vpc · 0 failed\n/);
    assert.ok(!h.out.join("").includes("planning"), "no progress on stdout");
  });

  it("sets exit codes from errors: config 2, failure 1, and Ctrl-C cancels with 130", async function () {
    const cases: [Error, number][] = [
      [new d.DeploymentConfigError("No stack file stacks/Pulumi.nope.yaml"), 2],
      [new d.PulumiNotFoundError("no `pulumi` on PATH"), 2],
      [new d.OperationFailedError("up", "aws", ["[mandatory] ha-guard/min-nodes: 1 node"]), 1],
    ];
    for (const [error, code] of cases) {
      const h = harness({ up: async () => Promise.reject(error) });
      await parse(h, "up", "--stack", "aws");
      assert.deepEqual(h.exitCodes, [code]);
      assert.ok(h.err.join("").includes(`error: ${error.message}`));
    }

    const h = harness({
      up: (options) =>
        new Promise((_resolve, reject) => {
          options.signal.addEventListener("abort", () => reject(new d.OperationCancelledError("up", "aws")));
          setImmediate(() => h.interrupt?.());
        }),
    });
    await parse(h, "up", "--stack", "aws");
    assert.deepEqual(h.exitCodes, [130]);
    assert.match(h.err.join(""), /Cancelling up/);
    assert.equal(h.interrupt, undefined, "the Ctrl-C handler is removed afterwards");
  });

  it("on a terminal, does not forward Ctrl-C (Pulumi got it already; a second one terminates it) and still exits 130", async function () {
    let signal: AbortSignal | undefined;
    const h = harness({
      up: (options) =>
        new Promise((_resolve, reject) => {
          signal = options.signal;
          // The CLI, interrupted by the terminal, stops and exits non-zero.
          setImmediate(() => {
            h.interrupt?.();
            reject(new d.OperationFailedError("up", "aws", ["error: update canceled"]));
          });
        }),
    });
    h.terminal = true;
    await parse(h, "up", "--stack", "aws");
    assert.equal(signal?.aborted, false, "no second SIGINT was sent");
    assert.deepEqual(h.exitCodes, [130]);
    assert.match(h.err.join(""), /error: up of stack "aws" was cancelled/);
  });
});

describe("deployment: the Automation API against a scripted stand-in for the CLI", function () {
  this.timeout(60_000);
  let root = "";
  let dir = "";
  let workDir = "";
  const calls = () =>
    fs.readFileSync(path.join(dir, "calls.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as FakeCall);

  let cli: FakePulumiCli;
  before(async function () {
    cli = await FakePulumiCli.start();
  });
  after(async function () {
    await cli.close();
  });

  beforeEach(function () {
    root = tmpDir("ha-topology-fake-pulumi-");
    cli.install(root);
    dir = tmpDir("ha-topology-fake-state-");
    workDir = path.join(dir, "workspace");
  });

  const run = <T>(mode: string, fn: () => Promise<T>) => withEnv({ FAKE_PULUMI_DIR: dir, FAKE_PULUMI_MODE: mode }, fn);
  const options = () => ({ pulumiRoot: root, backendUrl: `file://${path.join(dir, "state")}`, workDir, passphrase: "pw" });

  it("previews: creates the stack, replaces its config (secrets as secret), installs plugins, passes policy packs, reports progress", async function () {
    const updates: string[] = [];
    const packs = tmpDir("ha-topology-pack-");
    const result = await run("ok", () =>
      d.preview({
        ...options(),
        topology: { stack: "aws", secrets: { API_KEY: "k-1" } },
        policyPacks: [packs],
        onProgress: (u) => updates.push(renderProgressLine(u.state)),
      }),
    );
    assert.deepEqual(result.changes, { create: 2 });
    assert.equal(result.stack, "aws");
    assert.ok(updates.includes("preview: 1/1 done · finished · 0 failed"), updates.join("\n"));
    assert.ok(fs.existsSync(path.join(dir, "state")), "the file backend's directory was created");

    const made = calls();
    const find = (...prefix: string[]) => made.find((c) => prefix.every((p, i) => c.args[i] === p));
    assert.ok(find("stack", "init", "aws")?.args.includes("passphrase"), "created with the passphrase provider");
    const setAll = find("config", "set-all");
    assert.ok(setAll, "config set-all was called");
    assert.ok(setAll.args.includes("--plaintext") && setAll.args.some((a) => a.startsWith("ha-topology:nodes={")));
    assert.ok(!setAll.args.includes("--secret") && !setAll.args.some((a) => a.includes("k-1")), "no secret in set-all");
    const secretSet = find("config", "set", "--secret");
    assert.deepEqual([secretSet?.args.at(-1), secretSet?.stdin], ["ha-topology:secrets", '{"API_KEY":"k-1"}\n'], "the app secrets go through stdin");
    assert.ok(find("plugin", "install", "resource", "aws"), "the aws plugin is installed");
    const previewCall = find("preview");
    assert.ok(previewCall);
    assert.equal(previewCall.args[previewCall.args.indexOf("--policy-pack") + 1], packs);
    assert.ok(previewCall.args.some((a) => a.startsWith("--client=127.0.0.1:")), "the inline program is served to the CLI");
    // Every call but the version probe runs in the workspace with its backend and passphrase.
    for (const c of made.filter((c) => c.args[0] !== "version")) {
      assert.deepEqual([c.backend, c.passphrase, c.cwd], [options().backendUrl, "pw", workDir], c.args.join(" "));
    }
    const settings = fs.readFileSync(path.join(workDir, "Pulumi.aws.yaml"), "utf8");
    assert.match(settings, /encryptionsalt: v1:salt/, "the passphrase salt is kept");
    assert.doesNotMatch(settings, /stale/, "config from earlier runs is dropped");
    const project = fs.readFileSync(path.join(workDir, "Pulumi.yaml"), "utf8");
    assert.match(project, /name: ha-topology[\s\S]*url: file:/);
    // The engine starts the dynamic provider host in `main`: the project, where node_modules and dist/ are.
    assert.match(project, new RegExp(`^main: ${path.resolve(__dirname, "..").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`, "m"));
  });

  it("runs up and returns the outputs with secrets masked (or shown)", async function () {
    const result = await run("ok", () => d.up({ ...options(), topology: inlineTopology }));
    assert.deepEqual(result.changes, { create: 2 });
    assert.deepEqual(result.outputs, { values: { url: "https://app.example.com", token: "[secret]" }, secretNames: ["token"] });
    const shown = await run("ok", () => d.outputs({ ...options(), stack: "dev", showSecrets: true }));
    assert.deepEqual(shown.values, { url: "https://app.example.com", token: "s3cr3t" });
  });

  it("keeps every secret off every command line: app secrets, the bucket key and provider credentials go through stdin", async function () {
    const secret = {
      app: "app-secret-9f8e7d6c",
      bucket: "bucket-secret-1a2b3c4d",
      token: "dop_v1_token_4d5e6f7a",
      kubeconfig: "apiVersion: v1\nkind: Config\nusers: [{ name: admin, user: { token: kube-secret-7b8c9d0e } }]\n",
    };
    const warnings: string[] = [];
    await run("ok", () =>
      d.up({
        ...options(),
        topology: {
          stack: "kubernetes",
          secrets: { API_KEY: secret.app },
          secretConfig: { "storage.secretAccessKey": secret.bucket },
          providerConfig: { "kubernetes:kubeconfig": secret.kubeconfig, "kubernetes:context": "prod" },
        },
        onWarning: (w) => warnings.push(w),
      }),
    );
    // A plain string for a credential is stored as a secret all the same.
    await run("ok", () => d.preview({ ...options(), topology: { stack: "digitalocean", providerConfig: { "digitalocean:token": secret.token } } }));

    const made = calls();
    const fragments = [...Object.values(secret), "kube-secret-7b8c9d0e"];
    for (const call of made) {
      for (const value of fragments) {
        assert.ok(!call.args.some((a) => a.includes(value)), `a secret on the command line of pulumi ${call.args.slice(0, 2).join(" ")}`);
        // The environment is readable by its owner only (/proc/<pid>/environ is 0400); no secret goes there either.
        assert.ok(!Object.values(call.env).some((v) => v.includes(value)), `a secret in the environment of pulumi ${call.args.slice(0, 2).join(" ")}`);
      }
    }
    const viaStdin = Object.fromEntries(
      made.filter((c) => c.args[0] === "config" && c.args[1] === "set").map((c) => [c.args.at(-1), { secret: c.args.includes("--secret"), stdin: c.stdin }]),
    );
    assert.deepEqual(viaStdin["ha-topology:secrets"], { secret: true, stdin: `{"API_KEY":"${secret.app}"}\n` });
    assert.equal(viaStdin["ha-topology:storage"]?.secret, true);
    assert.equal(JSON.parse(viaStdin["ha-topology:storage"]?.stdin ?? "{}").secretAccessKey, secret.bucket, "the bucket key replaces the file's placeholder");
    assert.deepEqual(viaStdin["kubernetes:kubeconfig"], { secret: true, stdin: `${secret.kubeconfig}\n` }, "the trailing newline survives the CLI's trim");
    assert.deepEqual(viaStdin["digitalocean:token"], { secret: true, stdin: `${secret.token}\n` });
    const setAll = made.filter((c) => c.args[0] === "config" && c.args[1] === "set-all");
    assert.ok(setAll.some((c) => c.args[c.args.indexOf("kubernetes:context=prod") - 1] === "--plaintext"), "plain settings still go in one set-all");
    // The example stack file holds a placeholder bucket key in plain text: the caller is told.
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0], /^ha-topology:storage\.secretAccessKey is stored in plain text/);
    assert.ok(!warnings[0].includes("replace-me"), "the warning never shows the value");
  });

  it("`ha-topology up --secret` end to end: no secret on any command line or in the environment it passes", async function () {
    const home = tmpDir("ha-topology-home-");
    const keys = tmpDir("ha-topology-keys-");
    fs.writeFileSync(path.join(keys, "app"), "cli-app-secret-4242\n");
    fs.writeFileSync(path.join(keys, "token"), "cli-do-token-4242\n");
    const { main } = await import("../automation/cli");
    const out: string[] = [];
    const err: string[] = [];
    const env = { FAKE_PULUMI_DIR: dir, FAKE_PULUMI_MODE: "ok", HOME: home, PULUMI_CONFIG_PASSPHRASE: "pw", PATH: `${path.join(root, "bin")}${path.delimiter}${process.env.PATH}` };
    const code = await withEnv(env, () =>
      main(
        ["up", "--stack", "digitalocean", "--backend", `file://${path.join(dir, "state")}`,
          "--secret", `API_KEY=file:${path.join(keys, "app")}`, "--secret", `digitalocean:token=file:${path.join(keys, "token")}`],
        { stdout: (t) => out.push(t), stderr: (t) => err.push(t) },
      ),
    );
    process.exitCode = undefined;
    assert.equal(code, 0, err.join(""));
    const made = calls();
    assert.ok(made.some((c) => c.args[0] === "up"), "up ran");
    for (const call of made) {
      for (const value of ["cli-app-secret-4242", "cli-do-token-4242"]) {
        assert.ok(!call.args.some((a) => a.includes(value)), `a secret on the command line of pulumi ${call.args.slice(0, 2).join(" ")}`);
        assert.ok(!Object.values(call.env).some((v) => v.includes(value)), `a secret in the environment of pulumi ${call.args.slice(0, 2).join(" ")}`);
      }
    }
    const stdin = made.filter((c) => c.stdin !== undefined).map((c) => [c.args.at(-1), c.stdin]);
    assert.deepEqual(stdin, [["digitalocean:token", "cli-do-token-4242\n"], ["ha-topology:secrets", '{"API_KEY":"cli-app-secret-4242"}\n']]);
  });

  it("`ha-topology history` and `rollback --yes` end to end: history read with secrets hidden, up sets the stack file's config but for the image", async function () {
    const home = tmpDir("ha-topology-home-");
    const keys = tmpDir("ha-topology-keys-");
    fs.writeFileSync(path.join(keys, "app"), "rollback-app-secret-77\n");
    // The stack exists, with two updates of the aws stack file: 1 ran 1.4.2, 2 (failed) the file's demo image.
    fs.writeFileSync(path.join(dir, "stack-aws"), "");
    const fileConfig = d.topologyConfigMap({ stack: "aws" });
    const recorded = (image: string) =>
      Object.fromEntries(Object.entries({ ...fileConfig, "ha-topology:nodes": { value: JSON.stringify({ ...JSON.parse(fileConfig["ha-topology:nodes"].value), image }), secret: false } })
        .map(([key, v]) => [key, { value: v.value, secret: false }]));
    fs.writeFileSync(path.join(dir, "history.json"), JSON.stringify([
      { version: 2, kind: "update", result: "failed", startTime: "2026-12-02T10:00:00Z", endTime: "2026-12-02T10:06:00Z", message: "", environment: {},
        config: { ...recorded("traefik/whoami:v1.10.1"), "ha-topology:secrets": { secret: true } } },
      { version: 1, kind: "update", result: "succeeded", startTime: "2026-12-01T10:00:00Z", endTime: "2026-12-01T10:04:00Z", message: "", environment: {},
        config: recorded("ghcr.io/acme/web:1.4.2") },
    ]));
    const { main } = await import("../automation/cli");
    const env = { FAKE_PULUMI_DIR: dir, FAKE_PULUMI_MODE: "ok", HOME: home, PULUMI_CONFIG_PASSPHRASE: "pw", PATH: `${path.join(root, "bin")}${path.delimiter}${process.env.PATH}` };
    const cli = async (...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const code = await withEnv(env, () => main(argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) }));
      process.exitCode = undefined;
      return { code, out: out.join(""), err: err.join("") };
    };
    const backend = ["--backend", `file://${path.join(dir, "state")}`];

    const listed = await cli("history", "--stack", "aws", "--json", ...backend);
    assert.equal(listed.code, 0, listed.err);
    assert.deepEqual(JSON.parse(listed.out).map((v: { version: number; result: string; images: unknown }) => [v.version, v.result, v.images]), [
      [2, "failed", { web: "traefik/whoami:v1.10.1" }],
      [1, "succeeded", { web: "ghcr.io/acme/web:1.4.2" }],
    ]);
    const historyCalls = calls().filter((c) => c.args[0] === "stack" && c.args[1] === "history");
    assert.equal(historyCalls.length, 1);
    assert.ok(!historyCalls[0].args.includes("--show-secrets"), "no secret is decrypted to list images");

    const plain = await cli("up", "--stack", "aws", ...backend, "--secret", `API_KEY=file:${path.join(keys, "app")}`);
    assert.equal(plain.code, 0, plain.err);
    const first = calls().length;
    const rolled = await cli("rollback", "--stack", "aws", "--yes", ...backend, "--secret", `API_KEY=file:${path.join(keys, "app")}`);
    assert.equal(rolled.code, 0, rolled.err);
    assert.match(rolled.err, /Images that change:\n {2}web {2}traefik\/whoami:v1\.10\.1 → ghcr\.io\/acme\/web:1\.4\.2\n/);
    assert.match(rolled.out, /The stack file still says web: traefik\/whoami:v1\.10\.1; update it \(to ghcr\.io\/acme\/web:1\.4\.2\), or the next up redeploys it\.\n$/);

    const made = calls();
    const setAll = (list: FakeCall[]) => list.filter((c) => c.args[0] === "config" && c.args[1] === "set-all").at(-1)?.args ?? [];
    const pairs = (args: string[]) => Object.fromEntries(args.filter((a) => /^[a-z-]+:[A-Za-z.]+=/.test(a)).map((a) => [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]));
    const before = pairs(setAll(made.slice(0, first)));
    const after = pairs(setAll(made.slice(first)));
    assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
    const differing = Object.keys(before).filter((k) => before[k] !== after[k]);
    assert.deepEqual(differing, ["ha-topology:nodes"], "a rollback changes the image only");
    assert.deepEqual(JSON.parse(after["ha-topology:nodes"]), { ...JSON.parse(before["ha-topology:nodes"]), image: "ghcr.io/acme/web:1.4.2" });
    assert.ok(made.slice(first).some((c) => c.args[0] === "up"), "the same up ran");
    for (const call of made) {
      assert.ok(!call.args.some((a) => a.includes("rollback-app-secret-77")), `a secret on the command line of pulumi ${call.args.slice(0, 2).join(" ")}`);
    }
    assert.deepEqual(made.slice(first).filter((c) => c.stdin !== undefined).map((c) => [c.args.at(-1), c.stdin]), [["ha-topology:secrets", '{"API_KEY":"rollback-app-secret-77"}\n']]);

    const refused = await cli("rollback", "--stack", "aws", "--yes", "--to", "2", ...backend);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /Version 2 of stack "aws" did not succeed \(failed\)/);
  });

  it("reports a failed secret write as a DeploymentError without the value", async function () {
    cli.install(root, { failConfigSet: true });
    await run("ok", () =>
      assert.rejects(
        d.preview({ ...options(), topology: { stack: "aws", secrets: { API_KEY: "k-secret-value" } } }),
        (e: unknown) => e instanceof d.DeploymentError && /config set --secret ha-topology:secrets failed.*passphrase must be set/s.test(e.message) && !e.message.includes("k-secret-value"),
      ),
    );
  });

  it("needs an existing stack for destroy, refresh and outputs", async function () {
    for (const operation of [() => d.destroy({ ...options(), topology: { stack: "aws" } }), () => d.refresh({ ...options(), topology: { stack: "aws" } }), () => d.outputs({ ...options(), stack: "aws" })]) {
      await run("ok", () => assert.rejects(operation(), (e: unknown) => e instanceof d.DeploymentConfigError && /does not exist/.test(e.message)));
    }
    assert.ok(!calls().some((c) => c.args[0] === "stack" && c.args[1] === "init"), "no stack was created");
  });

  it("maps a locked stack to StackLockedError and a failed preview to OperationFailedError with the engine's error", async function () {
    await run("locked", () => assert.rejects(d.preview({ ...options(), topology: { stack: "aws" } }), d.StackLockedError));
    await run("fail", () =>
      assert.rejects(d.preview({ ...options(), topology: { stack: "aws" } }), (e: unknown) => e instanceof d.OperationFailedError && /No valid credential sources/.test(e.message)),
    );
  });

  it("refuses a CLI too old for inline refresh and destroy, before running anything", async function () {
    cli.install(root, { version: "v3.150.0" });
    await run("ok", () =>
      assert.rejects(d.up({ ...options(), topology: { stack: "aws" } }), (e: unknown) => e instanceof d.DeploymentConfigError && /version 3\.150\.0; deployments need 3\.181\.0/.test(e.message)),
    );
    assert.deepEqual(calls().map((c) => c.args[0]), ["version"]);
  });

  it("cancels through the AbortSignal: the CLI is interrupted and the call throws OperationCancelledError", async function () {
    const controller = new AbortController();
    await run("hang", () =>
      assert.rejects(
        d.preview({ ...options(), topology: { stack: "aws" }, signal: controller.signal, onProgress: (u) => u.state.totals.planned && controller.abort() }),
        d.OperationCancelledError,
      ),
    );
  });
});

describe("deployment: end to end with the Pulumi CLI", function () {
  const pulumiMissing = spawnSync("pulumi", ["version"]).error !== undefined;
  let backendDir = "";
  let workDir = "";

  before(function () {
    if (pulumiMissing) return;
    backendDir = tmpDir("ha-topology-state-");
    workDir = tmpDir("ha-topology-ws-");
  });

  const skipWithoutPulumi = (test: Mocha.Context) => {
    if (pulumiMissing) {
      console.log("      (skipped: the Pulumi CLI is not on PATH; these tests run the Automation API against a temporary local backend)");
      test.skip();
    }
  };

  const options = () => ({ backendUrl: `file://${backendDir}`, workDir, passphrase: "e2e-test-passphrase" });

  it("previews the aws stack: succeeds with credentials, or fails at AWS credentials after running the program", async function () {
    skipWithoutPulumi(this);
    this.timeout(20 * 60_000);
    const updates: ProgressState[] = [];
    try {
      const result = await d.preview({ ...options(), topology: { stack: "aws", secrets: { API_KEY: "k-123" } }, onProgress: (u) => updates.push(u.state) });
      // With AWS credentials: a fresh stack plans to create everything, and the program's resources were seen.
      assert.ok((result.changes.create ?? 0) > 50, `creates expected, got ${JSON.stringify(result.changes)}`);
      assert.ok(Object.values(result.progress.resources).some((r) => r.type === "aws:autoscaling/group:Group"));
    } catch (error) {
      // Without credentials the AWS provider refuses; what matters is that the engine ran our program with our
      // config: no config error, and the component was registered before the provider failed.
      assert.ok(error instanceof d.OperationFailedError, `unexpected ${String(error)}`);
      assert.doesNotMatch(error.message, /Invalid stack configuration/);
      assert.match(error.message, /credential|NoCredentialProviders|security token|AccessDenied|expired/i);
      assert.ok(updates.some((s) => s.started), "the engine reported progress");
      const last = updates[updates.length - 1];
      assert.ok(last && Object.values(last.resources).some((r) => r.type === "ha-topology:index:HaService"), "the program ran");
    }
  });

  it("reads outputs of the stack preview created (none yet) and refuses an unknown stack", async function () {
    skipWithoutPulumi(this);
    this.timeout(5 * 60_000);
    assert.deepEqual(await d.outputs({ ...options(), stack: "aws" }), { values: {}, secretNames: [] });
    await assert.rejects(d.outputs({ ...options(), stack: "never-created" }), (e: unknown) => e instanceof d.DeploymentConfigError && /does not exist/.test(e.message));
  });

  it("cancels a running preview through the AbortSignal", async function () {
    skipWithoutPulumi(this);
    this.timeout(10 * 60_000);
    const controller = new AbortController();
    await assert.rejects(
      d.preview({ ...options(), topology: { stack: "aws" }, signal: controller.signal, onProgress: () => controller.abort() }),
      d.OperationCancelledError,
    );
  });
});
