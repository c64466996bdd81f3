/**
 * The boot-time registry login, run for real: the rendered login script with stand-in
 * `docker` and `aws` commands that record their argv and stdin, proving the password
 * reaches docker on stdin only and the login lands in DOCKER_CONFIG; and the
 * credentials-to-docker-config path that other registries use.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { ecrLogin } from "../components/platforms/aws/registryAccess";
import { bootstrapPaths, renderCloudConfig, shellQuote, type BootstrapSpec, type RegistryLogin } from "../components/bootstrap";
import { registryOf, type EcrRegistry } from "../components/imageReference";
import { credentialsLogin, dockerConfigJson, embeddedDockerConfigLogin } from "../components/registryLogin";

const spec = (registryLogin?: RegistryLogin): BootstrapSpec => ({
  image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1",
  port: 8080,
  env: { PORT: "8080" },
  secretSources: [],
  stopTimeoutSeconds: 30,
  packages: ["docker"],
  ...(registryLogin && { registryLogin }),
});

/** The rendered files, path -> decoded content. */
function files(userData: string): Map<string, string> {
  const config = parse(userData) as { write_files: { path: string; content: string; encoding?: string }[] };
  return new Map(config.write_files.map((f) => [f.path, f.encoding && /^(b64|base64)$/.test(f.encoding) ? Buffer.from(f.content, "base64").toString("utf8") : f.content]));
}

const hasTools = ["python3", "bash", "install"].every((c) => spawnSync("sh", ["-c", `command -v ${c}`]).status === 0);

/** Runs a rendered login script with stand-ins on PATH; returns what docker saw. */
function runLogin(login: RegistryLogin, tools: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-login-"));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  const record = path.join(dir, "docker");
  fs.writeFileSync(path.join(bin, "docker"), `#!/bin/bash\nprintf '%s\\n' "$@" > ${shellQuote(record + ".argv")}\ncat > ${shellQuote(record + ".stdin")}\necho "Login Succeeded"\n`, { mode: 0o755 });
  for (const [name, body] of Object.entries(tools)) fs.writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
  const script = path.join(dir, "login");
  fs.writeFileSync(script, files(renderCloudConfig(spec(login))).get(bootstrapPaths.registryLogin) ?? "", { mode: 0o700 });
  const dockerConfig = path.join(dir, "docker-config");
  const run = spawnSync("bash", [script], { env: { PATH: `${bin}:${process.env.PATH}`, DOCKER_CONFIG: dockerConfig }, encoding: "utf8" });
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined);
  return { run, argv: read(record + ".argv")?.trimEnd().split("\n"), stdin: read(record + ".stdin"), dockerConfig, dir };
}

describe("registry login: rendering", () => {
  it("a public image renders exactly as before (no login file, no DOCKER_CONFIG)", () => {
    const userData = renderCloudConfig(spec());
    assert.ok(!files(userData).has(bootstrapPaths.registryLogin));
    assert.ok(!userData.includes("DOCKER_CONFIG"));
    assert.ok(!userData.includes("registry-login"));
  });

  it("a login: the script (0700, root) runs right before the pull, with docker's config on tmpfs", () => {
    const registry = registryOf(spec().image) as EcrRegistry;
    const userData = renderCloudConfig(spec(ecrLogin(registry)));
    const config = parse(userData) as { write_files: { path: string; permissions: string; owner: string }[] };
    const script = config.write_files.find((f) => f.path === bootstrapPaths.registryLogin);
    assert.deepEqual([script?.permissions, script?.owner], ["0700", "root:root"]);
    const unit = (files(userData).get(bootstrapPaths.unitFile) ?? "").split("\n");
    const login = unit.indexOf(`ExecStartPre=-${bootstrapPaths.registryLogin}`);
    assert.ok(login > unit.indexOf(`ExecStartPre=${bootstrapPaths.fetchSecrets}`));
    assert.equal(unit[login + 2], `ExecStartPre=-/usr/bin/docker pull ${spec().image}`, "only the comment line between login and pull");
    assert.ok(unit.includes(`Environment=DOCKER_CONFIG=${bootstrapPaths.dockerConfigDir}`));
    assert.ok(bootstrapPaths.dockerConfigDir.startsWith(`${bootstrapPaths.runDir}/`), "tmpfs");
  });

  it("an embedded docker config is a root-only 0600 file, and must be JSON", () => {
    const login = embeddedDockerConfigLogin("ghcr.io", dockerConfigJson("ghcr.io", { username: "u", password: "p" }), bootstrapPaths.registryDockerConfig);
    const config = parse(renderCloudConfig(spec(login))) as { write_files: { path: string; permissions: string; owner: string }[] };
    const file = config.write_files.find((f) => f.path === bootstrapPaths.registryDockerConfig);
    assert.deepEqual([file?.permissions, file?.owner], ["0600", "root:root"]);
    assert.throws(() => renderCloudConfig(spec({ ...login, embeddedDockerConfig: "not json" })), /not JSON/);
    assert.throws(() => renderCloudConfig(spec({ description: "x", command: " " })), /empty command/);
  });
});

describe("registry login: the script, run with stand-in docker and aws", function () {
  before(function () {
    if (!hasTools) this.skip();
  });
  const token = "eyJwYXlsb2FkIjoiZWNyLXRva2VuIn0-secret";

  it("ECR: the token goes from `aws ecr get-login-password` to docker's stdin, never its argv", () => {
    const registry = registryOf("123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1") as EcrRegistry;
    const result = runLogin(ecrLogin(registry), { aws: `[ "$*" = "ecr get-login-password --region eu-west-1" ] || exit 3\nprintf '%s' ${shellQuote(token)}` });
    assert.equal(result.run.status, 0, result.run.stderr);
    assert.deepEqual(result.argv, ["login", "--username", "AWS", "--password-stdin", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"]);
    assert.equal(result.stdin, token);
    assert.ok(!result.run.stdout.includes(token) && !result.run.stderr.includes(token), "the journal never shows the token");
    assert.match(result.run.stdout, /logged in to ECR 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com/);
    assert.ok(fs.statSync(result.dockerConfig).isDirectory(), "DOCKER_CONFIG is created (0700 by the umask)");
  });

  it("credentials from a secret store: written to DOCKER_CONFIG/config.json (0600) without any command line", () => {
    const secretJson = JSON.stringify({ username: "acme-bot", password: "pa'ss\"word$(id)" });
    const fetch = `printf '%s' ${shellQuote(secretJson)}`;
    const result = runLogin(credentialsLogin("ghcr.io", "ghcr.io", fetch), {});
    assert.equal(result.run.status, 0, result.run.stderr);
    assert.equal(result.argv, undefined, "docker is not even called");
    const file = path.join(result.dockerConfig, "config.json");
    assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), { auths: { "ghcr.io": { auth: Buffer.from("acme-bot:pa'ss\"word$(id)").toString("base64") } } });
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.ok(!result.run.stdout.includes("pa'ss"));
  });

  it("an embedded docker config: installed as DOCKER_CONFIG/config.json (0600)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-embedded-"));
    const source = path.join(dir, "config.json");
    const content = dockerConfigJson("registry.digitalocean.com", { username: "dop_v1_x", password: "dop_v1_x" });
    fs.writeFileSync(source, content, { mode: 0o600 });
    const result = runLogin(embeddedDockerConfigLogin("DOCR acme", content, source), {});
    assert.equal(result.run.status, 0, result.run.stderr);
    const installed = path.join(result.dockerConfig, "config.json");
    assert.equal(fs.readFileSync(installed, "utf8"), content);
    assert.equal(fs.statSync(installed).mode & 0o777, 0o600);
  });
});
