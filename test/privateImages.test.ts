/**
 * Private images on every cloud, under mocks: the identity grants scoped to exactly the
 * image's repository (ECR, Artifact Registry, DOCR) and none for public images; the boot
 * login before each pull with no credential in the user data (or, on DigitalOcean, only
 * inside the embedded root-only file of secret user data); credentials for any other
 * registry kept in the cloud's secret store; Kubernetes pull secrets.
 */
import { strict as assert } from "node:assert";
import { parse } from "yaml";
import { ecrPlacementNotes } from "../components/platforms/aws/registryAccess";
import { bootstrapPaths } from "../components/bootstrap";
import { registryOf, type EcrRegistry } from "../components/imageReference";
import { isSecretValue } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { runPolicies } from "../policies/runner";
import { kubernetesObjectTypes, loadKubernetesSchemas, validateKubernetesObject } from "./kubernetesSchemas";
import { plainStrings, runStack, type Program } from "./programQueries";

const ecrImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/api:1.4.2";
const ecrRepositoryArn = "arn:aws:ecr:us-east-1:123456789012:repository/team/api";
const arImage = "europe-west1-docker.pkg.dev/my-gcp-project/images/team/api:1.4.2";
const docrImage = "registry.digitalocean.com/acme/web:1.4.2";
const ghcrImage = "ghcr.io/acme/web:1.4.2";
const password = "ghp_registryPasswordAudit0123456789";
const credentials = { username: "acme-bot", password };

/** The `write_files` of a cloud-config, path -> decoded content (plain or base64). */
function files(userData: string): Map<string, string> {
  const config = parse(userData) as { write_files: { path: string; content: string; encoding?: string }[] };
  return new Map(config.write_files.map((f) => [f.path, f.encoding && /^(b64|base64)$/.test(f.encoding) ? Buffer.from(f.content, "base64").toString("utf8") : f.content]));
}

/** The unit's ExecStartPre/ExecStart lines, in order. */
function execLines(userData: string): string[] {
  const unit = files(userData).get(bootstrapPaths.unitFile) ?? "";
  return unit.split("\n").filter((l) => /^Exec(StartPre|Start)=/.test(l));
}

/** Asserts the unit logs in (with DOCKER_CONFIG on tmpfs) right before it pulls. */
function assertLoginBeforePull(userData: string, image: string): void {
  const lines = execLines(userData);
  const login = lines.indexOf(`ExecStartPre=-${bootstrapPaths.registryLogin}`);
  const pull = lines.indexOf(`ExecStartPre=-/usr/bin/docker pull ${image}`);
  assert.ok(login >= 0, `the unit runs the login: ${lines.join(" | ")}`);
  assert.equal(pull, login + 1, "the pull follows the login, at every start");
  const unit = files(userData).get(bootstrapPaths.unitFile) ?? "";
  assert.ok(unit.split("\n").includes(`Environment=DOCKER_CONFIG=${bootstrapPaths.dockerConfigDir}`), "docker's config (the login) lives on tmpfs");
}

/** Asserts the user data has no registry login at all (public images: unchanged user data). */
function assertNoLogin(userData: string): void {
  assert.ok(!files(userData).has(bootstrapPaths.registryLogin));
  assert.ok(!userData.includes("DOCKER_CONFIG"));
}

/** The login script. */
const loginScript = (userData: string) => files(userData).get(bootstrapPaths.registryLogin) ?? assert.fail("no login script");

/** No password is ever passed to docker on a command line. */
function assertNoPasswordArgument(script: string): void {
  assert.ok(!/docker login[^|\n]*(\s-p\s|--password(?!-stdin))/.test(script), "docker login only with --password-stdin");
}

describe("private images: AWS", function () {
  it("a public image: no ECR grant, no registry secret, no login in the user data", async function () {
    const p = await runStack("aws");
    assert.ok(p.nodeStatements().every((s) => !s.actions.some((a) => a.startsWith("ecr:"))));
    assert.ok(!p.all("aws:secretsmanager/secret:Secret").some((s) => s.name.includes("registry")));
    assertNoLogin(p.userData());
  });

  describe("an ECR image", function () {
    let p: Program;
    before(async function () {
      p = await runStack("aws", { nodes: { image: ecrImage } });
    });

    it("grants the node role pull on exactly the image's repository, and the token on * (it has no resource scope)", function () {
      const ecr = p.nodeStatements().filter((s) => s.actions.some((a) => a.startsWith("ecr:")));
      assert.deepEqual(ecr, [
        { sid: "EcrLoginToken", actions: ["ecr:GetAuthorizationToken"], resources: ["*"] },
        { sid: "PullOwnImageRepository", actions: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"], resources: [ecrRepositoryArn] },
      ]);
    });

    it("logs docker in with a fresh token before each pull, the token on stdin", function () {
      const userData = p.userData();
      assertLoginBeforePull(userData, ecrImage);
      const script = loginScript(userData);
      assert.ok(script.includes("aws ecr get-login-password --region '\"'\"'us-east-1'\"'\"' | docker login --username AWS --password-stdin '\"'\"'123456789012.dkr.ecr.us-east-1.amazonaws.com'\"'\"'"), script);
      assertNoPasswordArgument(script);
      assert.ok(!p.all("aws:secretsmanager/secret:Secret").some((s) => s.name.includes("registry")), "no stored credential");
    });

    it("explains an image in another region or account", async function () {
      const other = await runStack("aws", { nodes: { image: "210987654321.dkr.ecr.eu-west-1.amazonaws.com/api:1" } });
      assert.match(other.run.logs.map((l) => l.message).join("\n"), /ECR in eu-west-1, the stack in us-east-1/);
      assert.doesNotMatch(p.run.logs.map((l) => l.message).join("\n"), /nodes\.image is in ECR/, "nothing to explain for the stack's own region");
      // The account is known only with real credentials (offline there is none to compare).
      const registry = registryOf("210987654321.dkr.ecr.eu-west-1.amazonaws.com/api:1") as EcrRegistry;
      assert.deepEqual(ecrPlacementNotes(registry, "eu-west-1", "210987654321"), []);
      assert.match(ecrPlacementNotes(registry, "eu-west-1", "123456789012").join(), /account 210987654321, the nodes' role in 123456789012: the repository's policy in 210987654321 must also allow the role/);
      assert.deepEqual(ecrPlacementNotes(registry, "eu-west-1", undefined), []);
    });
  });

  it("another registry: credentials in Secrets Manager, read by the node role, never in the user data", async function () {
    const p = await runStack("aws", { nodes: { image: ghcrImage }, registry: credentials });
    const secret = p.one("aws:secretsmanager/secret:Secret", "-registry-credentials");
    const version = p.one("aws:secretsmanager/secretVersion:SecretVersion", "-registry-credentials");
    assert.ok(isSecretValue(version.rawInputs.secretString));
    assert.deepEqual(JSON.parse(version.inputs.secretString), credentials);
    const arn = p.state(secret).arn;
    assert.ok(p.nodeStatements().find((s) => s.sid === "ReadOwnSecrets")?.resources.includes(arn));
    assert.ok(p.nodeStatements().every((s) => !s.actions.some((a) => a.startsWith("ecr:"))));
    const userData = p.userData();
    assertLoginBeforePull(userData, ghcrImage);
    assert.ok(loginScript(userData).includes(arn));
    assert.ok(!userData.includes(password) && !userData.includes(Buffer.from(`acme-bot:${password}`).toString("base64")));
    assertNoPasswordArgument(loginScript(userData));
  });
});

describe("private images: GCP", function () {
  const iamMember = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember";

  it("a public image: no repository grant, no login", async function () {
    const p = await runStack("gcp");
    assert.equal(p.all(iamMember).length, 0);
    assertNoLogin(p.userData());
  });

  it("an Artifact Registry image: reader on exactly that repository, a metadata-token login before each pull", async function () {
    const p = await runStack("gcp", { nodes: { image: arImage } });
    const grant = p.one(iamMember).inputs;
    const account = p.state(p.one("gcp:serviceaccount/account:Account"));
    assert.deepEqual(grant, { project: "my-gcp-project", location: "europe-west1", repository: "images", role: "roles/artifactregistry.reader", member: `serviceAccount:${account.email}` });
    const userData = p.userData();
    assertLoginBeforePull(userData, arImage);
    const script = loginScript(userData);
    assert.match(script, /computeMetadata\/v1\/instance\/service-accounts\/default\/token/);
    assert.match(script, /docker login --username oauth2accesstoken --password-stdin '"'"'https:\/\/europe-west1-docker\.pkg\.dev'"'"'/);
    assertNoPasswordArgument(script);
  });

  it("a gcr.io image: reader on the gcr.io repository Artifact Registry keeps in us", async function () {
    const p = await runStack("gcp", { nodes: { image: "gcr.io/my-gcp-project/api:2" } });
    assert.deepEqual({ ...p.one(iamMember).inputs, member: undefined }, { project: "my-gcp-project", location: "us", repository: "gcr.io", role: "roles/artifactregistry.reader", member: undefined });
    const notes = p.run.logs.map((l) => l.message).join("\n");
    assert.match(notes, /location us, the stack in europe-west1/);
  });

  it("another registry: credentials in Secret Manager, readable by the nodes alone, never in the metadata", async function () {
    const p = await runStack("gcp", { nodes: { image: ghcrImage }, registry: credentials });
    assert.equal(p.all(iamMember).length, 0);
    const version = p.one("gcp:secretmanager/secretVersion:SecretVersion", "-registry-credentials");
    assert.ok(isSecretValue(version.rawInputs.secretData));
    assert.deepEqual(JSON.parse(version.inputs.secretData), { password, username: "acme-bot" });
    const access = p.one("gcp:secretmanager/secretIamMember:SecretIamMember", "-nodes-registry-secret").inputs;
    assert.equal(access.role, "roles/secretmanager.secretAccessor");
    assert.equal(access.secretId, p.state(p.one("gcp:secretmanager/secret:Secret", "-registry-credentials")).name);
    const userData = p.userData();
    assertLoginBeforePull(userData, ghcrImage);
    assert.ok(loginScript(userData).includes(p.state(version).name), "the pinned version");
    assert.ok(!userData.includes(password));
  });
});

describe("private images: DigitalOcean", function () {
  const docr = "digitalocean:index/containerRegistryDockerCredentials:ContainerRegistryDockerCredentials";
  const droplets = (p: Program) => p.all("digitalocean:index/droplet:Droplet");

  it("a public image: no registry credentials, no login", async function () {
    const p = await runStack("digitalocean");
    assert.equal(p.all(docr).length, 0);
    for (const d of droplets(p)) assertNoLogin(p.userDataOf(d));
  });

  it("a DOCR image: read-only credentials, only inside the embedded root-only file of secret user data", async function () {
    const p = await runStack("digitalocean", { nodes: { image: docrImage } });
    const credential = p.one(docr);
    assert.deepEqual(credential.inputs, { registryName: "acme", write: false });
    const dockerConfig = p.state(credential).dockerCredentials as string;
    const token = "dop_v1_mockregistrytoken";
    for (const d of droplets(p)) {
      assert.ok(isSecretValue(d.rawInputs.userData), "the user data is a secret");
      const userData = p.userDataOf(d);
      assertLoginBeforePull(userData, docrImage);
      const written = files(userData);
      assert.equal(written.get(bootstrapPaths.registryDockerConfig), dockerConfig);
      const config = (parse(userData) as { write_files: { path: string; permissions: string; owner: string }[] }).write_files.find((f) => f.path === bootstrapPaths.registryDockerConfig);
      assert.deepEqual([config?.permissions, config?.owner], ["0600", "root:root"]);
      for (const [path, content] of written) {
        if (path !== bootstrapPaths.registryDockerConfig) assert.ok(!content.includes(dockerConfig) && !content.includes(token), `${path} holds no credential`);
      }
      assert.match(loginScript(userData), /install -m 0600 .*\/etc\/ha-topology\/registry\/config\.json.* "\$DOCKER_CONFIG\/config\.json"/);
    }
  });

  it("another registry: the user's credentials as an embedded docker config, nowhere else", async function () {
    const p = await runStack("digitalocean", { nodes: { image: ghcrImage }, registry: credentials });
    assert.equal(p.all(docr).length, 0);
    const auth = Buffer.from(`acme-bot:${password}`).toString("base64");
    for (const d of droplets(p)) {
      assert.ok(isSecretValue(d.rawInputs.userData));
      const written = files(p.userDataOf(d));
      assert.deepEqual(JSON.parse(written.get(bootstrapPaths.registryDockerConfig) ?? "{}"), { auths: { "ghcr.io": { auth } } });
      for (const [path, content] of written) {
        if (path !== bootstrapPaths.registryDockerConfig) assert.ok(!content.includes(auth) && !content.includes(password), `${path} holds no credential`);
      }
    }
  });
});

describe("private images: Kubernetes", function () {
  before(loadKubernetesSchemas);
  const secretType = "kubernetes:core/v1:Secret";
  const deploymentOf = (p: Program) => p.one("kubernetes:apps/v1:Deployment", "-app");

  it("a public image: no pull secret", async function () {
    const p = await runStack("kubernetes");
    assert.ok(!p.all(secretType).some((s) => s.inputs.type === "kubernetes.io/dockerconfigjson"));
    assert.equal(deploymentOf(p).inputs.spec.template.spec.imagePullSecrets, undefined);
  });

  it("credentials: a dockerconfigjson Secret (a Pulumi secret) the app's pods pull with, valid for the API server", async function () {
    const p = await runStack("kubernetes", { nodes: { image: ghcrImage }, registry: credentials, sessions: { enabled: true } });
    const secret = p.one(secretType, "-registry");
    assert.equal(secret.inputs.type, "kubernetes.io/dockerconfigjson");
    const stringData = secret.rawInputs.stringData;
    assert.ok(isSecretValue(stringData) || isSecretValue((stringData as Record<string, unknown>)[".dockerconfigjson"]), "the docker config is a Pulumi secret");
    assert.deepEqual(JSON.parse(secret.inputs.stringData[".dockerconfigjson"]), { auths: { "ghcr.io": { auth: Buffer.from(`acme-bot:${password}`).toString("base64") } } });
    assert.deepEqual(deploymentOf(p).inputs.spec.template.spec.imagePullSecrets, [{ name: secret.inputs.metadata.name }]);
    // The data tier runs public images: no pull secret there.
    const others = [...p.all("kubernetes:apps/v1:StatefulSet"), ...p.all("kubernetes:apps/v1:Deployment").filter((d) => !d.name.endsWith("-app"))];
    assert.ok(others.length >= 2, "the session store's pods are checked too");
    for (const set of others) assert.equal(set.inputs.spec.template.spec.imagePullSecrets, undefined, set.name);
    for (const r of kubernetesObjectTypes(p.run.resources)) validateKubernetesObject(r.type, r.inputs);
  });

  it("Docker Hub credentials are filed under Docker Hub's v1 URL", async function () {
    const p = await runStack("kubernetes", { nodes: { image: "acme/private-web:3" }, registry: credentials });
    assert.deepEqual(Object.keys(JSON.parse(p.one(secretType, "-registry").inputs.stringData[".dockerconfigjson"]).auths), ["https://index.docker.io/v1/"]);
  });
});


describe("private images: the registry credential is a secret end to end, on every cloud", function () {
  const auth = Buffer.from(`acme-bot:${password}`).toString("base64");
  const cases: [string, Record<string, unknown>, string[]][] = [
    ["aws", { nodes: { image: ghcrImage }, registry: credentials }, [password, auth]],
    ["gcp", { nodes: { image: ghcrImage }, registry: credentials }, [password, auth]],
    ["digitalocean", { nodes: { image: ghcrImage }, registry: credentials }, [password, auth]],
    ["digitalocean", { nodes: { image: docrImage } }, ["dop_v1_mockregistrytoken", Buffer.from("dop_v1_mockregistrytoken:dop_v1_mockregistrytoken").toString("base64")]],
    ["kubernetes", { nodes: { image: ghcrImage }, registry: credentials }, [password, auth]],
  ];
  for (const [stack, patch, secrets] of cases) {
    it(`${stack} ${(patch.nodes as { image: string }).image}: no plain input, output or log holds it`, async function () {
      const p = await runStack(stack, patch);
      const found: string[] = [];
      for (const r of p.run.resources) {
        for (const s of plainStrings(r.rawInputs)) if (secrets.some((x) => s.includes(x))) found.push(`${r.type} ${r.name}`);
      }
      const elsewhere = JSON.stringify(p.outputs) + p.run.logs.map((l) => l.message).join("\n");
      assert.deepEqual(found, []);
      assert.ok(secrets.every((x) => !elsewhere.includes(x)), "outputs and logs");
      // Not vacuous: the credential does reach the stack, wrapped.
      const wrapped = JSON.stringify(p.run.resources.map((r) => r.inputs));
      const embedded = p.all("digitalocean:index/droplet:Droplet").map((d) => files(p.userDataOf(d)).get(bootstrapPaths.registryDockerConfig) ?? "").join("\n");
      assert.ok([wrapped, embedded].some((text) => secrets.some((x) => text.includes(x))), "the credential is used");
    });
  }
});

describe("private images: ha-guard still passes", function () {
  const variants: [string, Record<string, unknown>][] = [
    ["aws", { nodes: { image: ecrImage } }],
    ["aws", { nodes: { image: ghcrImage }, registry: credentials }],
    ["gcp", { nodes: { image: arImage } }],
    ["gcp", { nodes: { image: ghcrImage }, registry: credentials }],
    ["digitalocean", { nodes: { image: docrImage } }],
    ["kubernetes", { nodes: { image: ghcrImage }, registry: credentials }],
  ];
  for (const [stack, patch] of variants) {
    it(`${stack} with ${(patch.nodes as { image: string }).image}${patch.registry ? " and credentials" : ""}: no mandatory violation`, async function () {
      const p = await runStack(stack, patch);
      const report = await runPolicies(stackResources(p.run));
      assert.deepEqual(report.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy}: ${v.message}`), []);
    });
  }
});
