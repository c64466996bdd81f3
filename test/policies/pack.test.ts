/**
 * The pack as the Pulumi CLI runs it: `policies/index.ts` started in its own process
 * (constructing a PolicyPack starts the analyzer's gRPC server, so never in this one),
 * then asked over gRPC what the CLI asks: its rules, a configuration, and a verdict on a
 * stack and on a resource. Its verdicts must match the in-process runner's.
 */
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as rpc from "@pulumi/pulumi/proto/analyzer_pb";
import { policies } from "../../policies/policies";
import { resolvePolicyConfig, runPolicies, type StackResource } from "../../policies/runner";
import { awsFixture } from "./fixtures/aws";
import { build, copy, set } from "./fixtures/builder";

const packDir = path.resolve(__dirname, "..", "..", "policies");
const levelNames = ["advisory", "mandatory", "disabled", "remediate"] as const;

/** Starts the pack and resolves with the port it prints, as the CLI reads it. */
function startPack(): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "index.ts"], { cwd: packDir, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += String(d)));
    child.stdout!.once("data", (d) => {
      const port = Number(String(d).trim());
      if (Number.isInteger(port)) resolve({ child, port });
      else reject(new Error(`the pack printed ${String(d)} instead of a port; stderr: ${stderr}`));
    });
    child.once("exit", (code) => reject(new Error(`the pack exited with ${code}: ${stderr}`)));
  });
}

/** Calls a unary RPC as a promise. */
function call<Req, Res>(method: (req: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => method(req, (e, r) => (e ? reject(e) : resolve(r))));
}

function toAnalyzerResource(r: StackResource): rpc.AnalyzerResource {
  const resource = new rpc.AnalyzerResource();
  resource.setType(r.type);
  resource.setName(r.name);
  resource.setUrn(r.urn);
  resource.setProperties(Struct.fromJavaScript((r.outputs ?? r.inputs) as Record<string, never>));
  const options = new rpc.AnalyzerResourceOptions();
  options.setProtect(r.protect ?? false);
  resource.setOptions(options);
  resource.setDependenciesList(r.dependencies ?? []);
  for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
    const deps = new rpc.AnalyzerPropertyDependencies();
    deps.setUrnsList(urns);
    resource.getPropertydependenciesMap().set(key, deps);
  }
  return resource;
}

/** The (rule, level, urn) triples of an analyzer response. */
function verdicts(response: rpc.AnalyzeResponse): string[] {
  return response.getDiagnosticsList().map((d) => `${d.getPolicyname()} ${levelNames[d.getEnforcementlevel()]} ${d.getUrn()}`).sort();
}

describe("the ha-guard pack over the analyzer protocol (as the Pulumi CLI drives it)", function () {
  let pack: { child: ChildProcess; port: number };
  let client: AnalyzerClient;

  before(async () => {
    pack = await startPack();
    client = new AnalyzerClient(`127.0.0.1:${pack.port}`, grpc.credentials.createInsecure());
    // The CLI sends every rule's level and schema-filled settings before analysing.
    const configure = new rpc.ConfigureAnalyzerRequest();
    for (const [name, { level, config }] of resolvePolicyConfig(policies)) {
      const entry = new rpc.PolicyConfig();
      entry.setEnforcementlevel(levelNames.indexOf(level));
      entry.setProperties(Struct.fromJavaScript(config as Record<string, never>));
      configure.getPolicyconfigMap().set(name, entry);
    }
    await call<rpc.ConfigureAnalyzerRequest, Empty>(client.configure.bind(client), configure);
  });

  after(() => {
    client?.close();
    pack?.child.kill();
  });

  it("announces the pack's name and every rule with its description, level and config schema", async () => {
    const info = await call<Empty, rpc.AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty());
    assert.equal(info.getName(), "ha-guard");
    const rules = info.getPoliciesList();
    assert.deepEqual(rules.map((p) => p.getName()), policies.map((p) => p.name));
    for (const [i, rule] of rules.entries()) {
      assert.equal(rule.getDescription(), policies[i].description);
      assert.equal(levelNames[rule.getEnforcementlevel()], policies[i].enforcementLevel);
    }
    const minNodes = rules.find((p) => p.getName() === "min-nodes")!;
    assert.deepEqual(minNodes.getConfigschema()?.getProperties()?.toJavaScript().minNodes, { type: "integer", minimum: 1, default: 2, description: "The fewest nodes that must serve behind each load balancer." });
  });

  it("judges a stack as the in-process runner does (passing, then one node)", async () => {
    const oneNode = copy(awsFixture.passing);
    set(oneNode, "asg", "minSize", 1);
    for (const specs of [awsFixture.passing, oneNode]) {
      const resources = build(specs);
      const request = new rpc.AnalyzeStackRequest();
      request.setResourcesList(resources.map(toAnalyzerResource));
      const response = await call<rpc.AnalyzeStackRequest, rpc.AnalyzeResponse>(client.analyzeStack.bind(client), request);
      const local = await runPolicies(resources);
      const expected = local.violations.filter((v) => policies.find((p) => p.name === v.policy && "validateStack" in p)).map((v) => `${v.policy} ${v.level} ${v.urn}`).sort();
      assert.deepEqual(verdicts(response), expected);
    }
  });

  it("judges a single resource as the in-process runner does", async () => {
    const specs = copy(awsFixture.passing);
    set(specs, "lt", "metadataOptions.httpTokens", "optional");
    const lt = build(specs).find((r) => r.name === "lt")!;
    const request = new rpc.AnalyzeRequest();
    request.setType(lt.type);
    request.setName(lt.name);
    request.setUrn(lt.urn);
    request.setProperties(Struct.fromJavaScript(lt.inputs as Record<string, never>));
    request.setOptions(new rpc.AnalyzerResourceOptions());
    const response = await call<rpc.AnalyzeRequest, rpc.AnalyzeResponse>(client.analyze.bind(client), request);
    // Resource diagnostics carry no URN: the engine knows which resource it asked about.
    assert.deepEqual(verdicts(response), ["nodes-imdsv2 mandatory "]);
    const local = await runPolicies([lt]);
    assert.deepEqual(local.violations.map((v) => v.policy), ["nodes-imdsv2"]);
  });
});
