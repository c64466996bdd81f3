/**
 * `ha-topology:registry` reaches exactly one registry, on every cloud whose platform runs
 * the maps (components/model/images.ts `usesRegistryCredentials`): in a stack of maps only
 * the workload whose image is on the private registry logs in, and no public image's
 * nodes receive the credentials (they would send them to that other registry).
 */
import { strict as assert } from "node:assert";
import { parse } from "yaml";
import type { RegisteredResource } from "../../automation/offline/mocks";
import { runStack, type Program } from "../programQueries";
import { decodedUserData } from "../userDataView";

const credentials = { username: "acme-bot", password: "ghcr-token-never-elsewhere" };
const privateApi = { workloads: { api: { image: "ghcr.io/acme/api:1.4.2" } }, registry: credentials };
/** The single service's public image next to a private workload (nginx is a Docker Hub official image). */
const combined = { nodes: { image: "nginx:1.27.0" }, workloads: { api: { kind: "web", image: "ghcr.io/acme/api:1.4.2", port: 8080, path: "/api" } }, registry: credentials };

/** Every string in a value, deeply (to find the credentials wherever they sit). */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value !== null && typeof value === "object") Object.values(value).forEach((v) => strings(v, out));
  return out;
}

/** The files a cloud-config writes, decoded: path -> content. */
function files(userData: string): Record<string, string> {
  const config = parse(decodedUserData(userData), { version: "1.1" }) as { write_files: { path: string; content: string }[] };
  return Object.fromEntries(config.write_files.map((f) => [f.path, f.content]));
}

describe("registry credentials reach only their registry: gcp", function () {
  const template = (p: Program, prefix: string) => p.all("gcp:compute/instanceTemplate:InstanceTemplate").find((t) => t.name === `${prefix}-node`)!;
  const login = (p: Program, prefix: string) => files(template(p, prefix).inputs.metadata["user-data"])["/usr/local/sbin/ha-topology-registry-login"];

  it("a stack of maps: the private workload logs in to ghcr.io, the public ones do not", async function () {
    const p = await runStack("stacks/examples/Pulumi.gcp-services.yaml", privateApi);
    assert.ok(login(p, "web-api")?.includes("ghcr.io"), "the private image logs in");
    for (const w of ["storefront", "discovery", "jobs"]) assert.equal(login(p, `web-${w}`), undefined, `${w}: a public image needs no login`);
    assert.equal(p.all("gcp:secretmanager/secret:Secret").filter((s) => s.name === "web-registry-credentials").length, 1);
  });

  it("next to the single service's public image, only the private workload logs in", async function () {
    const p = await runStack("gcp", combined);
    assert.ok(login(p, "web-api")?.includes("ghcr.io"));
    assert.equal(login(p, "web"), undefined, "the single service's nginx pulls without the ghcr.io credentials");
  });
});

describe("registry credentials reach only their registry: digitalocean", function () {
  const droplet = (p: Program, prefix: string): RegisteredResource => p.all("digitalocean:index/droplet:Droplet").find((d) => d.name === `${prefix}-node-0`)!;
  const dockerConfig = (p: Program, prefix: string) => files(droplet(p, prefix).inputs.userData)["/etc/ha-topology/registry/config.json"];

  it("a stack of maps: the private workload's droplets carry the ghcr.io login, the public ones none", async function () {
    const p = await runStack("stacks/examples/Pulumi.digitalocean-services.yaml", privateApi);
    assert.deepEqual(Object.keys(JSON.parse(dockerConfig(p, "web-api")).auths), ["ghcr.io"]);
    for (const w of ["storefront", "discovery", "jobs"]) assert.equal(dockerConfig(p, `web-${w}`), undefined, w);
  });

  it("next to the single service's public image, only the private workload carries it", async function () {
    const p = await runStack("digitalocean", { ...combined, workloads: { api: { ...combined.workloads.api, path: undefined, host: "api.app.example.com" } } });
    assert.deepEqual(Object.keys(JSON.parse(dockerConfig(p, "web-api")).auths), ["ghcr.io"]);
    assert.equal(dockerConfig(p, "web"), undefined, "the single service's nginx pulls without the ghcr.io credentials");
  });
});

describe("registry credentials reach only their registry: kubernetes", function () {
  const deployments = (p: Program) => p.all("kubernetes:apps/v1:Deployment");
  const pullSecrets = (d: RegisteredResource) => (d.inputs.spec.template.spec.imagePullSecrets ?? []) as { name: string }[];

  it("a stack of maps: one pull Secret for ghcr.io, on the private workload's pods only", async function () {
    const p = await runStack("stacks/examples/Pulumi.kubernetes-services.yaml", privateApi);
    const secret = p.all("kubernetes:core/v1:Secret").filter((s) => s.inputs.type === "kubernetes.io/dockerconfigjson");
    assert.equal(secret.length, 1);
    assert.deepEqual(Object.keys(JSON.parse(secret[0].inputs.stringData[".dockerconfigjson"]).auths), ["ghcr.io"]);
    const withSecret = deployments(p).filter((d) => pullSecrets(d).length > 0).map((d) => d.inputs.spec.template.spec.containers[0].image);
    assert.deepEqual(withSecret, ["ghcr.io/acme/api:1.4.2"]);
    assert.ok(!strings(deployments(p).map((d) => d.inputs)).some((s) => s.includes(credentials.password)), "never in a pod spec");
  });
});
