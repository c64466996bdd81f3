/**
 * The accepting side of the several-workloads checks (the refusals are rows of
 * badModelInputs.ts): private images per workload, user data and network sizing on the VM
 * clouds, health checks, the drop of a running single service, and the documented meaning
 * of values that look hostile.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadStackConfig, stackConfigWith } from "../../automation/stackFiles";
import { runWithMocks } from "../../automation/offline/mocks";
import { TopologyConfigError } from "../../components/configError";
import { workloadEnv } from "../../components/model/bindings";
import { registryCredentialsHost, usesRegistryCredentials } from "../../components/model/images";
import { isContainerWorkload } from "../../components/model/model";
import { previousDeployment, type PreviousDeployment } from "../../components/model/migration";
import { parseModel, parseStack, type ParsedStack } from "../../components/model/parse";
import { workloadUserDataEstimate } from "../../components/model/vmChecks";
import { parseTopology } from "../../components/topology";
import { decodeRawConfig, providerConfigOf } from "../../components/stackConfig";
import { userDataLimits } from "../../components/userDataLimits";
import { ns } from "../programQueries";
import { api, celery, largeEnv, maps } from "./badModelInputs";

/** An example stack with a patch, parsed as the program parses it. */
function parsed(stack: string, patch: Record<string, unknown>, previous?: PreviousDeployment): ParsedStack {
  const values = stackConfigWith(stack, ns(patch)).values;
  return parseStack(decodeRawConfig(values), providerConfigOf(values), undefined, previous);
}

/** The problem lines of a refused patch. */
function refusal(stack: string, patch: Record<string, unknown>, previous?: PreviousDeployment): string[] {
  try {
    parsed(stack, patch, previous);
  } catch (e) {
    assert.ok(e instanceof TopologyConfigError, String(e));
    return e.problems;
  }
  assert.fail(`expected ${JSON.stringify(patch)} to be refused`);
}

const credentials = { username: "acme-bot", password: "never-printed-0123" };
const ecrImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2";
const hostOf = (p: ParsedStack) => registryCredentialsHost(p.model, p.topology.registry !== undefined);

describe("model checks: private images of several workloads", function () {
  it("keeps ha-topology:registry in a stack of maps only, for the one private registry", function () {
    const stack = parsed("aws", { ...maps({ api }), registry: credentials });
    assert.deepEqual(stack.topology.registry, credentials);
    assert.equal(hostOf(stack), "ghcr.io");
  });

  it("gives the credentials to the private registry, not to Docker Hub's official images or the cloud's own registry", function () {
    const withOfficial = parsed("aws", { ...maps({ api, jobs: { ...celery, image: "busybox:1.36" } }), registry: credentials });
    assert.equal(hostOf(withOfficial), "ghcr.io");
    const withEcr = parsed("aws", { ...maps({ api, jobs: { ...celery, image: ecrImage } }), registry: credentials });
    assert.equal(hostOf(withEcr), "ghcr.io");
    const withDemo = parsed("gcp", { ...maps({ api, demo: { ...api, path: "/demo", image: "traefik/whoami:v1.10.1" } }), registry: credentials });
    assert.equal(hostOf(withDemo), "ghcr.io");
  });

  it("tells each workload whether it logs in: only the images on the credentials' host", function () {
    const stack = parsed("aws", { nodes: { image: "nginx:1.27.0" }, workloads: { api, jobs: { ...celery, image: "busybox:1.36" }, ecr: { ...api, path: "/ecr", image: ecrImage } }, registry: credentials });
    const logsIn = (w: string) => usesRegistryCredentials(stack.model, w, true);
    assert.deepEqual(["web", "api", "jobs", "ecr"].map(logsIn), [false, true, false, false]);
    assert.equal(usesRegistryCredentials(stack.model, "api", false), false);
  });

  it("credentials for Docker Hub when its images are the only ones that can take them", function () {
    assert.equal(hostOf(parsed("aws", { ...maps({ api: { ...api, image: "acme/api:1.4.2" }, jobs: { ...celery, image: "busybox:1.36" } }), registry: credentials })), "docker.io");
  });

  it("the single service's DOCR image outside digitalocean takes the credentials next to a worker's public image", function () {
    const stack = parsed("aws", { nodes: { image: "registry.digitalocean.com/acme/web:1.4.2" }, workloads: { jobs: { ...celery, image: "busybox:1.36" } }, registry: credentials });
    assert.equal(hostOf(stack), "registry.digitalocean.com");
  });

  it("the cloud's own registry needs no credentials: DOCR on digitalocean, Artifact Registry on gcp, ECR on kubernetes (the nodes' role)", function () {
    assert.equal(hostOf(parsed("digitalocean", maps({ api: { ...api, path: undefined, image: "registry.digitalocean.com/acme/api:1.4.2" } }))), undefined);
    assert.equal(hostOf(parsed("gcp", maps({ api: { ...api, image: "europe-west1-docker.pkg.dev/my-gcp-project/apps/api:1.4.2" } }))), undefined);
    assert.doesNotThrow(() => parsed("kubernetes", maps({ api: { ...api, image: ecrImage } })));
    assert.doesNotThrow(() => parsed("aws", maps({ api: { ...api, image: ecrImage } })));
  });

  it("a single-service stack keeps today's rule: credentials for its nodes.image's registry", function () {
    const stack = parsed("aws", { nodes: { image: "nginx:1.27.0" }, registry: credentials });
    assert.equal(hostOf(stack), "docker.io");
    assert.deepEqual(stack.topology.registry, credentials);
  });

  it("a stack of maps refuses the credentials once, on the key, never printing them", function () {
    const lines = refusal("aws", { ...maps({ api: { ...api, image: "traefik/whoami:v1.10.1" } }), registry: credentials });
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.ok(!lines.join("\n").includes("never-printed"));
  });
});

describe("model checks: user data of each workload on the VM clouds", function () {
  it("accepts a workload's env just under AWS's limit, and refuses it just over", function () {
    const limit = userDataLimits.aws.bytes;
    const { model } = parsed("aws", maps({ api }));
    const [first] = model.workloads;
    assert.ok(isContainerWorkload(first));
    const bytes = (count: number) => {
      const env = Object.fromEntries(Object.entries(largeEnv(count, 60)).map(([k, v]) => [k, [v]]));
      return workloadUserDataEstimate(model, { ...first, env }, {})!.bytes;
    };
    let over = 1;
    while (bytes(over) <= limit) over += 1;
    assert.doesNotThrow(() => parsed("aws", maps({ api: { ...api, env: largeEnv(over - 1, 60) } })));
    const lines = refusal("aws", maps({ api: { ...api, env: largeEnv(over, 60) } }));
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], new RegExp(`^ha-topology:workloads\\.api\\.env: received ${over} variables \\(\\d+ bytes in the user data\\); allowed: user data of at most ${limit} bytes on aws .*at least ${bytes(over)} bytes`));
  });

  it("does not count secret variables on AWS and GCP (read from the secret store at boot), and counts them on DigitalOcean", function () {
    const secretEnv = Object.fromEntries(Object.entries(largeEnv(300, 200)).map(([k, v]) => [k, `${v}\${resources.key.value}`]));
    assert.doesNotThrow(() => parsed("aws", maps({ api: { ...api, env: secretEnv } }, { key: { kind: "secret" } })));
    // On GCP, 190 KB of plain variables fit; with the 90 KB of secret ones counted too they would not.
    const plain = Object.fromEntries(Object.entries(largeEnv(700, 200)).map(([k, v]) => [`P${k}`, v]));
    assert.doesNotThrow(() => parsed("gcp", maps({ api: { ...api, env: { ...secretEnv, ...plain } } }, { key: { kind: "secret" } })));
    assert.match(refusal("gcp", maps({ api: { ...api, env: { ...largeEnv(300, 225), ...plain } } }))[0], /^ha-topology:workloads\.api\.env: received 1000 variables/);
    assert.match(refusal("digitalocean", maps({ api: { ...api, path: undefined, env: secretEnv } }, { key: { kind: "secret" } }))[0], /^ha-topology:workloads\.api\.env: received 300 variables/);
  });

  it("references count as empty (their values only add): the literal parts are the lower bound", function () {
    const stack = parsed("aws", maps({ api: { ...api, env: { HOST: "db=${resources.db.host}" } } }, { db: { kind: "sql" } }));
    const plain = parsed("aws", maps({ api: { ...api, env: { HOST: "db=" } } }, { db: { kind: "sql" } }));
    assert.equal(workloadUserDataEstimate(stack.model, stack.model.workloads[0], {})!.bytes, workloadUserDataEstimate(plain.model, plain.model.workloads[0], {})!.bytes);
  });

  it("counts a generated secret's length on DigitalOcean, and the command", function () {
    const m = (length: number, command?: string[]) => {
      const stack = parsed("digitalocean", maps({ api: { ...api, path: undefined } }, { key: { kind: "secret", length } }));
      const w = { ...stack.model.workloads[0], ...(command && { command }) };
      return workloadUserDataEstimate(stack.model, w, {})!.bytes;
    };
    assert.ok(m(256) > m(16));
    assert.ok(m(16, ["x".repeat(3000)]) > m(16) + 3000);
  });

  it("a stack of maps is not refused for the single service's user data it does not have", function () {
    // 30 KB of app secrets: under DigitalOcean's 64 KiB for the one workload, so accepted.
    assert.doesNotThrow(() => parsed("digitalocean", { ...maps({ api: { ...api, path: undefined } }), secrets: largeEnv(150, 200) }));
    // Over it: one line, on the secrets, naming the workload (the single-service line is not added).
    const lines = refusal("digitalocean", { ...maps({ api: { ...api, path: undefined } }), secrets: largeEnv(300, 200) });
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /^ha-topology:secrets: received \[secret\]; allowed: .*workload api's nodes' user data/);
  });
});

describe("model checks: node subnets hold every node group", function () {
  it("accepts the groups' sum when it fits, on each VM cloud", function () {
    assert.doesNotThrow(() => parsed("aws", { ...maps({ api: { ...api, maxCount: 30 }, jobs: { ...celery, maxCount: 20 } }), network: { cidr: "10.0.0.0/22" } }));
    assert.doesNotThrow(() => parsed("gcp", { ...maps({ api: { ...api, count: 100, maxCount: 200 }, jobs: { ...celery, maxCount: 44 } }), network: { cidr: "10.0.0.0/24" } }));
    assert.doesNotThrow(() => parsed("digitalocean", { ...maps({ api: { ...api, path: undefined, count: 100 }, jobs: { ...celery, count: 28 } }), network: { cidr: "10.20.0.0/24" } }));
  });

  it("an existing AWS VPC is not sized (its subnets are the user's)", function () {
    assert.doesNotThrow(() =>
      parsed("aws", {
        ...maps({ api: { ...api, maxCount: 300 }, jobs: { ...celery, maxCount: 300 } }),
        network: { cidr: "10.0.0.0/23", vpcId: "vpc-0123456789abcdef0", publicSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"], privateSubnetIds: ["subnet-0123456789abcdef2", "subnet-0123456789abcdef3"] },
      }),
    );
  });

  it("the single service alone over the limit gets today's line only", function () {
    const lines = refusal("aws", { nodes: { maxCount: 40 }, workloads: { jobs: { ...celery, maxCount: 20 } }, network: { cidr: "10.0.0.0/23" } });
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /nodes\.maxCount over network\.zones needs 40 per zone/);
  });
});

describe("model checks: health checks and sql resources", function () {
  it("accepts the grace period limits of each cloud", function () {
    assert.doesNotThrow(() => parsed("gcp", maps({ api: { ...api, healthCheck: { gracePeriodSeconds: 3600 } } })));
    assert.doesNotThrow(() => parsed("aws", maps({ api: { ...api, healthCheck: { gracePeriodSeconds: 7200 } } })));
    assert.doesNotThrow(() => parsed("aws", maps({ api: { ...api, healthCheck: { gracePeriodSeconds: 60 } } })));
    // DigitalOcean has no autohealing and Kubernetes counts from the container's start.
    assert.doesNotThrow(() => parsed("digitalocean", maps({ api: { ...api, path: undefined, healthCheck: { gracePeriodSeconds: 0 } } })));
    assert.doesNotThrow(() => parsed("kubernetes", maps({ api: { ...api, healthCheck: { gracePeriodSeconds: 0 } } })));
  });

  it("accepts a liveness check of its own, a CPU target where an autoscaler reads it, a storage ceiling where the database grows", function () {
    const stack = parsed("aws", maps({ api: { ...api, cpuTargetPercent: 50, healthCheck: { liveness: { path: "/live", unhealthyThreshold: 5 } } } }, { db: { kind: "sql", storageGb: 100, maxStorageGb: 100 } }));
    const web = stack.model.workloads[0];
    assert.ok(web.kind === "web");
    assert.deepEqual(web.healthCheck.liveness, { path: "/live", unhealthyThreshold: 5 });
    assert.doesNotThrow(() => parsed("gcp", maps({ api }, { db: { kind: "sql", maxStorageGb: 500 } })));
    assert.doesNotThrow(() => parsed("kubernetes", maps({ api: { ...api, cpuTargetPercent: 50 } })));
  });
});

describe("model checks: adding workloads to a running single service without nodes", function () {
  it("a stack without ha-topology:nodes runs the single service (demo image) with a database: nodes is not required", function () {
    const topology = parseTopology({ cloud: "aws", domain: "app.example.com" }, { "aws:region": "us-east-1" });
    assert.equal(topology.nodes.image, "traefik/whoami:v1.10.1");
    const stack = parseStack({ cloud: "aws", domain: "app.example.com" }, { "aws:region": "us-east-1" });
    assert.deepEqual(stack.model.resources.map((r) => r.name), ["database", "bucket"]);
  });

  it("reads the previous deployment from the outputs every version of the program exports", async function () {
    const run = await runWithMocks(stackConfigWith("aws", ns({ nodes: undefined, healthCheck: undefined, sessions: { enabled: true } })));
    assert.ifError(run.error);
    assert.deepEqual(previousDeployment(run.outputs), { singleService: true, sessions: true });
    assert.equal(previousDeployment({}), undefined);
    assert.equal(previousDeployment(undefined), undefined);
    assert.deepEqual(previousDeployment({ nodeGroupId: undefined, workloads: { api: {} } }), { singleService: false, sessions: false });
  });

  const ran: PreviousDeployment = { singleService: true, sessions: false };

  it("refuses workloads without nodes when the last deployment ran the single service, naming the two ways to keep it", function () {
    const lines = refusal("aws", maps({ api }), ran);
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /^ha-topology:nodes: received nothing \(the key is not set\); allowed: set: this stack's last deployment ran the single service \(workload web, resource database, resource bucket\)/);
    assert.match(lines[0], /would delete it, its database and bucket with their data/);
    assert.match(lines[0], /set ha-topology:nodes .* or declare it in the maps by its single-service names, resources\.database \(kind sql\), resources\.bucket \(kind bucket\), workloads\.web \(kind web\)/);
  });

  it("names the session store when the last deployment had one", function () {
    const lines = refusal("aws", maps({ api }, { database: { kind: "sql" }, bucket: { kind: "bucket" } }), { singleService: true, sessions: true });
    assert.match(lines[0], /its sessions with their data/);
  });

  it("accepts the two ways to keep it, a new stack, and a stack whose last deployment was maps already", function () {
    // Keep it next to the workloads.
    assert.doesNotThrow(() => parsed("aws", { workloads: { jobs: celery } }, ran));
    // Declare it by its names in the maps.
    assert.doesNotThrow(() => parsed("aws", maps({ web: { ...api, path: undefined } }, { database: { kind: "sql" }, bucket: { kind: "bucket" } }), ran));
    // Never deployed, or deployed as maps: nothing to drop.
    assert.doesNotThrow(() => parsed("aws", maps({ api })));
    assert.doesNotThrow(() => parsed("aws", maps({ api }), { singleService: false, sessions: false }));
  });
});

describe("model checks: values that look hostile, accepted with a documented meaning", function () {
  it("accepts constructor as a workload, resource and env name (no prototype lookup), with its variables", function () {
    const stack = parsed("aws", maps({ constructor: { ...api, env: { constructor: "x", toString: "y", hasOwnProperty: "z" } } }, { "to-string": { kind: "secret" } }));
    const [w] = stack.model.workloads;
    assert.ok(isContainerWorkload(w));
    assert.equal(w.name, "constructor");
    assert.deepEqual(Object.keys(w.env), ["constructor", "toString", "hasOwnProperty"]);
    assert.ok(workloadEnv(stack.model, w).some((v) => v.name === "TO_STRING" && v.secret));
    const resource = parsed("aws", maps({ api }, { constructor: { kind: "secret" } }));
    const [user] = resource.model.workloads;
    assert.ok(isContainerWorkload(user));
    assert.ok(workloadEnv(resource.model, user).some((v) => v.name === "CONSTRUCTOR" && v.secret));
    // Next to the single service, constructor is not one of its names.
    assert.doesNotThrow(() => parsed("aws", { workloads: { constructor: { ...api, path: "/c" } } }));
  });

  it("accepts an app secret named constructor, with and without the single service (and still refuses one also in nodes.env)", function () {
    assert.doesNotThrow(() => parsed("aws", { secrets: { constructor: "s3cret-value" } }));
    const stack = parsed("aws", { ...maps({ api }), secrets: { constructor: "s3cret-value" } });
    assert.deepEqual(stack.model.appSecrets, ["constructor"]);
    assert.match(refusal("aws", { nodes: { env: { constructor: "x" } }, secrets: { constructor: "y" } })[0], /^ha-topology:secrets\.constructor: received \[secret\]; allowed: a name not also used in nodes\.env/);
  });

  it("accepts 20-character workload and resource names", function () {
    const stack = parsed("aws", maps({ "abcdefghij-abcdefghi": api }, { "abcdefghijabcdefghij": { kind: "secret" } }));
    assert.deepEqual([stack.model.workloads[0].name, stack.model.resources[0].name], ["abcdefghij-abcdefghi", "abcdefghijabcdefghij"]);
  });

  it("takes numbers as Pulumi's YAML reader gives them: unquoted 010 is 8, 0x1F90 is 8080, a quoted value stays as written", function () {
    // The stack file read as the CLI reads it (automation/goYaml.ts: YAML 1.1 integers).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-octal-"));
    const file = path.join(dir, "Pulumi.octal.yaml");
    fs.writeFileSync(file, [
      "config:",
      "  aws:region: us-east-1",
      "  ha-topology:cloud: aws",
      "  ha-topology:domain: app.example.com",
      "  ha-topology:workloads:",
      "    api:",
      "      kind: web",
      "      image: ghcr.io/acme/api:1.4.2",
      "      count: 010",
      "      port: 0x1F90",
      "      env: { NUM: 010, TEXT: \"010\" }",
      "",
    ].join("\n"));
    try {
      const values = loadStackConfig(file).values;
      const w = parseStack(decodeRawConfig(values), providerConfigOf(values)).model.workloads[0];
      assert.ok(w.kind === "web");
      assert.deepEqual([w.count, w.port, w.env.NUM, w.env.TEXT], [8, 8080, ["8"], ["010"]]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps ${resources...} in a single-service nodes.env literal, also next to a resource of that name", function () {
    const stack = parsed("aws", { nodes: { env: { DSN: "${resources.db.url}" } }, resources: { db: { kind: "sql" } } });
    const web = stack.model.workloads[0];
    assert.equal(web.origin, "single-service");
    assert.deepEqual(web.env.DSN, ["${resources.db.url}"]);
    assert.deepEqual(workloadEnv(stack.model, web).find((v) => v.name === "DSN"), { name: "DSN", secret: false, source: { env: "DSN" } });
  });

  it("routes are case-sensitive (/api and /API are two routes), and escapes of reserved characters are kept", function () {
    const stack = parsed("aws", maps({ api, upper: { ...api, path: "/API" }, space: { ...api, path: "/a%20b" } }));
    assert.deepEqual(stack.model.workloads.map((w) => (w.kind === "web" ? w.route?.path : undefined)), ["/api", "/API", "/a%20b"]);
  });
});

describe("model: route values an ALB rule holds", function () {
  const web = (path: string) => ({ kind: "web", image: "ghcr.io/acme/api:1.4.2", port: 8080, path });
  const parse = (cloud: string, path: string) => parseModel({ cloud, domain: "app.example.com", workloads: { api: web(path) } });
  it("accepts a 126-character path on aws, and a longer one where the load balancer holds it (gcp)", function () {
    const path = `/${"a".repeat(125)}`;
    assert.equal(parse("aws", path).workloads[0].kind, "web");
    assert.equal(parse("gcp", `/${"a".repeat(200)}`).workloads[0].kind, "web");
  });
  it("keeps a single-service stack whose long domain is the ALB's default action (no rule condition)", function () {
    const domain = `${"a".repeat(60)}.${"b".repeat(60)}.example.com`;
    assert.ok(domain.length > 128);
    assert.equal(parseModel({ cloud: "aws", domain }).workloads[0].name, "web");
  });
});
