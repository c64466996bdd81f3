/**
 * Image references: the pure parser and classifier every adapter's registry access is
 * scoped by (Docker Hub defaults, ports, digests, and each cloud's registry hosts).
 */
import { strict as assert } from "node:assert";
import { classifyRegistry, dockerAuthKey, parseImageReference, registryOf } from "../components/imageReference";

const digest = `sha256:${"ab".repeat(32)}`;

describe("image references: parseImageReference", () => {
  const cases: [string, ReturnType<typeof parseImageReference>][] = [
    ["nginx:1.27", { host: "docker.io", repository: "library/nginx", tag: "1.27" }],
    ["traefik/whoami:v1.10.1", { host: "docker.io", repository: "traefik/whoami", tag: "v1.10.1" }],
    ["docker.io/nginx:1", { host: "docker.io", repository: "library/nginx", tag: "1" }],
    ["index.docker.io/acme/web:2", { host: "docker.io", repository: "acme/web", tag: "2" }],
    ["ghcr.io/acme/web:1.4.2", { host: "ghcr.io", repository: "acme/web", tag: "1.4.2" }],
    ["registry.example.com:5000/team/app/api:3", { host: "registry.example.com:5000", repository: "team/app/api", tag: "3" }],
    ["localhost/app:dev", { host: "localhost", repository: "app", tag: "dev" }],
    ["localhost:5000/app:dev", { host: "localhost:5000", repository: "app", tag: "dev" }],
    [`ghcr.io/acme/web@${digest}`, { host: "ghcr.io", repository: "acme/web", digest }],
    [`registry.example.com:5000/app@${digest}`, { host: "registry.example.com:5000", repository: "app", digest }],
    [`nginx:1.27@${digest}`, { host: "docker.io", repository: "library/nginx", tag: "1.27", digest }],
    ["acme/web", { host: "docker.io", repository: "acme/web" }],
  ];
  for (const [image, expected] of cases) {
    it(`${image} -> ${expected.host} ${expected.repository}`, () => assert.deepEqual(parseImageReference(image), expected));
  }

  it("a first part without a dot, colon or 'localhost' is a Docker Hub namespace, not a host", () => {
    assert.deepEqual(parseImageReference("acme/web:1"), { host: "docker.io", repository: "acme/web", tag: "1" });
  });

  for (const bad of ["", "ghcr.io/Acme/web:1", "ghcr.io/acme/web:bad tag", "ghcr.io/acme/web@sha256:short", "ghcr.io/:1", "-bad.example.com/app:1"]) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => parseImageReference(bad)));
  }
});

describe("image references: classifyRegistry", () => {
  it("ECR: account, region, partition and the whole repository path", () => {
    assert.deepEqual(registryOf("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:1.0"), {
      kind: "ecr", host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", account: "123456789012", region: "eu-west-1", partition: "aws", repository: "team/api",
    });
    assert.equal((registryOf("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/api:1") as { partition: string }).partition, "aws-cn");
    assert.equal((registryOf("123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/api:1") as { partition: string }).partition, "aws-us-gov");
    assert.equal(registryOf("123456789012.dkr-ecr.eu-west-1.on.aws/api:1").kind, "ecr");
    assert.equal(registryOf("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/api:1").kind, "ecr");
  });

  it("ECR Public and look-alike hosts are other registries", () => {
    assert.equal(registryOf("public.ecr.aws/nginx/nginx:1.27").kind, "other");
    assert.equal(registryOf("123.dkr.ecr.eu-west-1.amazonaws.com/api:1").kind, "other");
    assert.equal(registryOf("123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example/api:1").kind, "other");
  });

  it("Artifact Registry: location, project and the repository (not the image path)", () => {
    assert.deepEqual(registryOf("europe-west1-docker.pkg.dev/my-project/images/team/api:1"), {
      kind: "artifact-registry", host: "europe-west1-docker.pkg.dev", project: "my-project", location: "europe-west1", repository: "images",
    });
    assert.deepEqual(registryOf("us-docker.pkg.dev/example.com/my-project/images/api:1"), {
      kind: "artifact-registry", host: "us-docker.pkg.dev", project: "example.com:my-project", location: "us", repository: "images",
    });
    const missing = registryOf("europe-west1-docker.pkg.dev/my-project/api:1");
    assert.equal(missing.kind, "invalid");
  });

  it("gcr.io hosts: the gcr.io repository Artifact Registry keeps in the host's multi-region", () => {
    assert.deepEqual(registryOf("gcr.io/my-project/api:1"), { kind: "artifact-registry", host: "gcr.io", project: "my-project", location: "us", repository: "gcr.io" });
    assert.deepEqual(registryOf("eu.gcr.io/my-project/api:1"), { kind: "artifact-registry", host: "eu.gcr.io", project: "my-project", location: "europe", repository: "eu.gcr.io" });
    assert.equal((registryOf("asia.gcr.io/my-project/api:1") as { location: string }).location, "asia");
  });

  it("DigitalOcean Container Registry: the registry and the repository", () => {
    assert.deepEqual(registryOf("registry.digitalocean.com/acme/web:1"), { kind: "docr", host: "registry.digitalocean.com", registry: "acme", repository: "web" });
    assert.equal(classifyRegistry(parseImageReference("registry.digitalocean.com/acme:1")).kind, "invalid");
  });

  it("Docker Hub, GitHub and self-hosted registries are other registries, by host", () => {
    assert.deepEqual(registryOf("nginx:1.27"), { kind: "other", host: "docker.io" });
    assert.deepEqual(registryOf("ghcr.io/acme/web:1"), { kind: "other", host: "ghcr.io" });
    assert.deepEqual(registryOf("registry.example.com:5000/app:1"), { kind: "other", host: "registry.example.com:5000" });
  });

  it("docker config keys: Docker Hub's v1 URL, otherwise the host", () => {
    assert.equal(dockerAuthKey("docker.io"), "https://index.docker.io/v1/");
    assert.equal(dockerAuthKey("ghcr.io"), "ghcr.io");
  });
});
