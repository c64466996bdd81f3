import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { bootstrapPaths, renderCloudConfig, type BootstrapSpec, type SecretSource } from "../components/bootstrap";
import { renderJobCloudConfig } from "../components/jobBootstrap";

interface WriteFile {
  path: string;
  permissions: string;
  owner: string;
  content: string;
}

interface CloudConfig {
  package_update: boolean;
  packages: string[];
  write_files: WriteFile[];
  runcmd: (string | string[])[];
}

const dbSource: SecretSource = {
  description: "database credentials",
  command: "aws secretsmanager get-secret-value --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds-abc --query SecretString --output text",
  fields: { username: "DATABASE_USER", password: "DATABASE_PASSWORD" },
};

const appSource: SecretSource = {
  description: "app secrets",
  command: "aws secretsmanager get-secret-value --secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:app-xyz --query SecretString --output text",
};

function awsSpec(overrides: Partial<BootstrapSpec> = {}): BootstrapSpec {
  return {
    image: "ghcr.io/example/web:1.4.2",
    port: 80,
    env: {
      PORT: "80",
      APP_VERSION: "1.4.2",
      TRUSTED_PROXY_HOPS: "1",
      DATABASE_HOST: "db.cluster-abc.eu-west-1.rds.amazonaws.com",
      DATABASE_PORT: "5432",
      DATABASE_NAME: "app",
      DATABASE_ENGINE: "postgres",
      BUCKET_NAME: "web-assets",
      BUCKET_REGION: "eu-west-1",
      LOG_LEVEL: "info",
    },
    secretSources: [dbSource, appSource],
    stopTimeoutSeconds: 30,
    packages: ["docker"],
    ...overrides,
  };
}

/** Renders and parses a spec, every file's content decoded (each must be `encoding: b64`). */
function render(spec: BootstrapSpec): CloudConfig {
  const text = renderCloudConfig(spec);
  assert.equal(text.split("\n")[0], "#cloud-config");
  const config = parse(text) as CloudConfig & { write_files: (WriteFile & { encoding?: string })[] };
  for (const f of config.write_files) {
    assert.equal(f.encoding, "b64", `${f.path} is base64-encoded`);
    f.content = Buffer.from(f.content, "base64").toString("utf8");
  }
  return config;
}

function file(config: CloudConfig, filePath: string): WriteFile {
  const found = config.write_files.find((f) => f.path === filePath);
  assert.ok(found, `write_files has no ${filePath}`);
  return found;
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-bootstrap-"));
}

function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
}

describe("bootstrap: renderCloudConfig", () => {
  it("renders the files, unit and run commands for a realistic AWS spec", () => {
    const config = render(awsSpec());
    assert.equal(config.package_update, true);
    assert.deepEqual(config.packages, ["docker"]);

    const envFile = file(config, bootstrapPaths.appEnv);
    assert.equal(envFile.permissions, "0600");
    assert.equal(envFile.owner, "root:root");
    assert.equal(
      envFile.content,
      [
        "APP_VERSION=1.4.2",
        "BUCKET_NAME=web-assets",
        "BUCKET_REGION=eu-west-1",
        "DATABASE_ENGINE=postgres",
        "DATABASE_HOST=db.cluster-abc.eu-west-1.rds.amazonaws.com",
        "DATABASE_NAME=app",
        "DATABASE_PORT=5432",
        "LOG_LEVEL=info",
        "PORT=80",
        "TRUSTED_PROXY_HOPS=1",
        "",
      ].join("\n"),
    );
    // Passwords only come from secret sources, at boot, into tmpfs.
    assert.ok(!envFile.content.includes("DATABASE_PASSWORD"));

    const script = file(config, bootstrapPaths.fetchSecrets);
    assert.equal(script.permissions, "0700");
    assert.ok(script.content.startsWith("#!/bin/bash\n"));
    assert.ok(script.content.includes("set -euo pipefail"));
    assert.ok(script.content.includes(dbSource.command));
    assert.ok(script.content.includes(appSource.command));

    const unit = file(config, bootstrapPaths.unitFile).content;
    const lines = unit.split("\n");
    assert.ok(lines.includes("Restart=always"));
    assert.ok(lines.includes("Requires=docker.service"));
    assert.ok(lines.includes("WantedBy=multi-user.target"));
    assert.ok(lines.includes(`ExecStartPre=${bootstrapPaths.fetchSecrets}`));
    const execStart = lines.find((l) => l.startsWith("ExecStart="));
    assert.ok(execStart, "unit has no ExecStart");
    assert.ok(execStart.endsWith(" ghcr.io/example/web:1.4.2"));
    assert.ok(execStart.includes(" -p 80:80 "));
    assert.ok(execStart.includes(`--env-file ${bootstrapPaths.appEnv}`));
    assert.ok(execStart.includes(`--env-file ${bootstrapPaths.secretsEnv}`));
    assert.ok(execStart.includes("--stop-timeout 30"));
    assert.ok(lines.includes(`ExecStop=/usr/bin/docker stop --time 30 ${bootstrapPaths.containerName}`));
    const stopTimeout = Number(lines.find((l) => l.startsWith("TimeoutStopSec="))?.split("=")[1]);
    assert.ok(stopTimeout > 30);

    assert.deepEqual(config.runcmd, [
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "docker"],
      ["systemctl", "enable", "--now", bootstrapPaths.serviceName],
    ]);
  });

  it("runs setup commands first, in order", () => {
    const config = render(awsSpec({ setupCommands: ["echo one", "echo two"] }));
    assert.deepEqual(config.runcmd.slice(0, 3), ["echo one", "echo two", ["systemctl", "daemon-reload"]]);
  });

  it("is deterministic, and changes only when an input does", () => {
    assert.equal(renderCloudConfig(awsSpec()), renderCloudConfig(awsSpec()));
    const reordered = awsSpec();
    reordered.env = Object.fromEntries(Object.entries(reordered.env).reverse());
    assert.equal(renderCloudConfig(reordered), renderCloudConfig(awsSpec()));
    assert.notEqual(renderCloudConfig(awsSpec({ image: "ghcr.io/example/web:1.4.3" })), renderCloudConfig(awsSpec()));
  });

  it("refuses env values with line breaks, naming the key", () => {
    assert.throws(() => renderCloudConfig(awsSpec({ env: { GREETING: "hello\nEVIL=1" } })), (e: Error) => e.message.includes("GREETING"));
    assert.throws(() => renderCloudConfig(awsSpec({ env: { "BAD-NAME": "x" } })), (e: Error) => e.message.includes("BAD-NAME"));
  });

  it("refuses images with whitespace or shell metacharacters", () => {
    for (const image of ["ghcr.io/example/web:1 --privileged", "web;rm -rf /", "web:$(id)"]) {
      assert.throws(() => renderCloudConfig(awsSpec({ image })), (e: Error) => e.message.includes(image));
    }
  });

  it("embeds secrets for clouds without a store: a 0600 JSON file per source, read back by the fetch script", () => {
    const config = render(awsSpec({ secretSources: [], embeddedSecrets: [{ description: "app secrets", file: "app.json", values: { Z_KEY: "z", A_KEY: "a" } }] }));
    const secrets = file(config, `${bootstrapPaths.embeddedSecretsDir}/app.json`);
    assert.equal(secrets.permissions, "0600");
    assert.equal(secrets.owner, "root:root");
    assert.equal(secrets.content, '{"A_KEY":"a","Z_KEY":"z"}', "sorted keys: unchanged values, unchanged user data");
    assert.match(file(config, bootstrapPaths.fetchSecrets).content, new RegExp(`fetch_source 'app secrets' 'cat ${bootstrapPaths.embeddedSecretsDir}/app\\.json'`));
    assert.throws(() => renderCloudConfig(awsSpec({ embeddedSecrets: [{ description: "x", file: "../etc/passwd", values: {} }] })), /not a plain lower-case \.json name/);
    assert.throws(() => renderCloudConfig(awsSpec({ embeddedSecrets: [{ description: "x", file: "a.json", values: { "BAD-NAME": "v" } }] })), /not a valid environment variable name/);
  });

  it("renders a fetch script that bash parses", () => {
    for (const secretSources of [awsSpec().secretSources, []]) {
      const dir = tempDir();
      const scriptPath = path.join(dir, "fetch");
      fs.writeFileSync(scriptPath, file(render(awsSpec({ secretSources })), bootstrapPaths.fetchSecrets).content);
      const result = spawnSync("bash", ["-n", scriptPath], { encoding: "utf8" });
      assert.equal(result.status, 0, result.stderr);
    }
  });
});

describe("bootstrap: fetch script, executed", () => {
  function runFetch(secretSources: SecretSource[]): { status: number | null; output: string; runDir: string } {
    const dir = tempDir();
    const runDir = path.join(dir, "run");
    const scriptPath = path.join(dir, "fetch");
    fs.writeFileSync(scriptPath, file(render(awsSpec({ secretSources })), bootstrapPaths.fetchSecrets).content);
    const result = spawnSync("bash", [scriptPath], {
      encoding: "utf8",
      env: { ...process.env, [bootstrapPaths.runDirOverrideEnv]: runDir },
    });
    return { status: result.status, output: result.stdout + result.stderr, runDir };
  }

  it("writes mapped and unmapped secrets to a 0600 env file, never printing values", function () {
    if (!onPath("python3")) {
      console.log("      python3 not on PATH; the fetch script needs it to convert JSON");
      this.skip();
    }
    const { status, output, runDir } = runFetch([
      {
        description: "database credentials",
        command: `printf '%s' '{"username":"app_user","password":"s3cr3t-db-pw","host":"ignored.example"}'`,
        fields: { username: "DATABASE_USER", password: "DATABASE_PASSWORD" },
      },
      { description: "app secrets", command: `echo '{"API_KEY":"k-123 456","SESSION_SECRET":"p=q"}'` },
    ]);
    assert.equal(status, 0, output);
    const secretsFile = path.join(runDir, "secrets.env");
    assert.equal(
      fs.readFileSync(secretsFile, "utf8"),
      "DATABASE_USER=app_user\nDATABASE_PASSWORD=s3cr3t-db-pw\nAPI_KEY=k-123 456\nSESSION_SECRET=p=q\n",
    );
    assert.equal(fs.statSync(secretsFile).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(runDir), ["secrets.env"], "temp file left behind");
    for (const value of ["s3cr3t-db-pw", "app_user", "k-123"]) assert.ok(!output.includes(value), `output leaks ${value}`);
    assert.ok(output.includes("database credentials: wrote 2 variable(s)"), output);
  });

  it("creates an empty file when there are no secret sources", function () {
    if (!onPath("python3")) {
      console.log("      python3 not on PATH; the fetch script needs it to convert JSON");
      this.skip();
    }
    const { status, output, runDir } = runFetch([]);
    assert.equal(status, 0, output);
    assert.equal(fs.readFileSync(path.join(runDir, "secrets.env"), "utf8"), "");
  });

  it("fails on a secret value containing a newline, without printing it", function () {
    if (!onPath("python3")) {
      console.log("      python3 not on PATH; the fetch script needs it to convert JSON");
      this.skip();
    }
    const { status, output, runDir } = runFetch([
      { description: "app secrets", command: `printf '%s' '{"TOKEN":"first-line\\nEVIL=1"}'` },
    ]);
    assert.notEqual(status, 0);
    assert.ok(output.includes("TOKEN"), output);
    assert.ok(!output.includes("first-line"), output);
    assert.ok(!fs.existsSync(path.join(runDir, "secrets.env")));
  });
});

describe("bootstrap: fetch script, hostile secret values", () => {
  it("fails on a fetched value with U+2028, U+0085, an escape or a lone surrogate, without printing it", function () {
    if (!onPath("python3")) {
      console.log("      python3 not on PATH; the fetch script needs it to convert JSON");
      this.skip();
    }
    for (const escaped of ["\\u2028", "\\u0085", "\\u001b[31m", "\\ud800", "\\u000b"]) {
      const dir = tempDir();
      const runDir = path.join(dir, "run");
      const scriptPath = path.join(dir, "fetch");
      const source = { description: "app secrets", command: `printf '%s' '{"TOKEN":"keep-quiet${escaped}x"}'` };
      fs.writeFileSync(scriptPath, file(render(awsSpec({ secretSources: [source] })), bootstrapPaths.fetchSecrets).content);
      const result = spawnSync("bash", [scriptPath], { encoding: "utf8", env: { ...process.env, [bootstrapPaths.runDirOverrideEnv]: runDir } });
      const output = result.stdout + result.stderr;
      assert.notEqual(result.status, 0, `${escaped}: ${output}`);
      assert.match(output, /value of TOKEN contains a newline, control or separator character; refused/);
      assert.ok(!output.includes("keep-quiet"), output);
      assert.ok(!fs.existsSync(path.join(runDir, "secrets.env")));
    }
  });
});

describe("bootstrap: cloud-init schema", () => {
  it("passes `cloud-init schema`", function () {
    if (!onPath("cloud-init")) {
      console.log("      cloud-init not installed; .ci/run installs it");
      this.skip();
    }
    const doSpec = awsSpec({ secretSources: [], packages: ["docker.io", "python3"], embeddedSecrets: [{ description: "app secrets", file: "app.json", values: { API_KEY: "k" } }] });
    const jobNode = renderJobCloudConfig({
      job: "housekeeping", schedule: "*/5 * * * *", timeoutSeconds: 600, retries: 1, image: "busybox:1.36", command: ["sh", "-c", "date"], env: { APP_VERSION: "1.36" },
      boot: { secretSources: [], packages: ["docker.io", "python3"], embeddedSecrets: [{ description: "job secrets", file: "workload.json", values: { DB_PASSWORD: "p" } }] },
      lease: { host: "db.internal", port: 25060, database: "app", user: "doadmin", password: "p:w\\d", sslMode: "require" },
    });
    for (const text of [renderCloudConfig(awsSpec({ setupCommands: ["curl -fsSL https://example.com/agent.sh | bash"] })), renderCloudConfig(doSpec), jobNode]) {
      const userData = path.join(tempDir(), "user-data");
      fs.writeFileSync(userData, text);
      const result = spawnSync("cloud-init", ["schema", "--config-file", userData], { encoding: "utf8" });
      assert.equal(result.status, 0, `cloud-init schema failed:\n${result.stdout}\n${result.stderr}`);
    }
  });
});
