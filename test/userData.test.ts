/**
 * User data injection and limits. cloud-init reads user data with PyYAML, which breaks
 * lines at U+0085, U+2028 and U+2029: a value written raw into the YAML could end a block
 * scalar and add a top-level `bootcmd:` (run as root on every node). So the user data of
 * every VM cloud is parsed here with PyYAML itself and must equal the intended object key
 * for key, hostile values included; characters that must never reach a node are refused.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { parse } from "yaml";
import { runWithMocks } from "../automation/offline/mocks";
import { stackConfigWith } from "../automation/stackFiles";
import { envNamePattern } from "../components/appEnvironment";
import { bootstrapPaths, renderCloudConfig, type BootstrapSpec } from "../components/bootstrap";
import { isNodeText } from "../components/nodeText";
import { estimateUserData, userDataLimits, type VmCloud } from "../components/userDataLimits";
import { ns, runStack, type Program } from "./programQueries";
import { cloudInitPython, pyyaml, type PyYamlView } from "./userDataView";

/** The env file the node must get: sorted `KEY=value` lines. */
function envFile(env: Record<string, string>): string {
  return Object.keys(env).sort().map((k) => `${k}=${env[k]}\n`).join("");
}

/** Values that must reach the app unchanged: YAML-special, shell-special, non-ASCII. */
const acceptedValues = [
  "yes", "no", "on", "off", "y", "0600", "010", "1_000", "0x1F", "1e3", ".inf", "~", "null", "", " ", "&a", "*a",
  "!!python/object/apply:os.system ['id']", "!!binary aGk=", "{a: b}", "[a, b]", "- x", "# c", "key: value", "'", '"',
  "|", ">", "%YAML 1.1", "---", "...", "<<", "? x", "@x", "`id`", "$(id)", "'; reboot #", "a=b=c", "\\n", "\\u2028",
  "é", "日本語", "🙂", "\u00a0", "\ufeff", "\u200b", "\uffff", " leading", "trailing ", "C:\\dir\\", "%s %d", "${HOME}",
];

/** Characters that must never reach a node, each inside a value meant to inject. */
const refusedValues = [
  "hi\u2028bootcmd:\u2028 - [touch, /pwned]", "a\u2029b", "a\u0085b", "a\vb", "a\fb", "\u001b[31mred", "a\tb", "a\rb",
  "\n bootcmd:\n - [touch, /pwned]", "a\0b", "a\u007fb", "a\u009fb", "x\ud800", "\udfffx", "end\ud83d",
];

/** A spec with hostile values in every place a value reaches (env, embedded secrets, setup commands). */
function hostileSpec(values: string[]): BootstrapSpec {
  const env = Object.fromEntries(values.map((v, i) => [`V_${i}`, v]));
  return {
    image: "ghcr.io/example/web:1.4.2",
    port: 8080,
    env,
    secretSources: [{ description: "app secrets", command: "printf '%s' '{}'" }],
    stopTimeoutSeconds: 30,
    packages: ["docker.io", "python3"],
    embeddedSecrets: [{ description: "platform credentials", file: "platform.json", values: Object.fromEntries(values.map((v, i) => [`S_${i}`, v])) }],
    setupCommands: ["passwd -l root"],
  };
}

/** Asserts PyYAML reads exactly the intended cloud-config for `spec`, every file decoding to its intended content. */
function assertRoundTrip(spec: BootstrapSpec, view: PyYamlView, text: string): void {
  assert.deepEqual(Object.keys(view.config), ["package_update", "packages", "write_files", "runcmd"], "top-level keys");
  assert.equal(view.config.package_update, true);
  assert.deepEqual(view.config.packages, spec.packages);
  assert.deepEqual(view.config.runcmd, [
    ...(spec.setupCommands ?? []),
    ["systemctl", "daemon-reload"],
    ["systemctl", "enable", "--now", "docker"],
    ["systemctl", "enable", "--now", bootstrapPaths.serviceName],
  ]);
  const embedded = spec.embeddedSecrets ?? [];
  assert.deepEqual(view.config.write_files.map((f) => [f.path, f.owner, f.permissions, f.encoding]), [
    [bootstrapPaths.appEnv, "root:root", "0600", "b64"],
    ...embedded.map((e) => [`${bootstrapPaths.embeddedSecretsDir}/${e.file}`, "root:root", "0600", "b64"]),
    [bootstrapPaths.fetchSecrets, "root:root", "0700", "b64"],
    [bootstrapPaths.unitFile, "root:root", "0644", "b64"],
    ...(spec.logDriver ? [[bootstrapPaths.runApp, "root:root", "0700", "b64"]] : []),
  ]);
  for (const f of view.config.write_files) assert.deepEqual(Object.keys(f), ["path", "owner", "permissions", "encoding", "content"], f.path);
  assert.equal(view.files[bootstrapPaths.appEnv], envFile(spec.env));
  for (const e of embedded) {
    const content = view.files[`${bootstrapPaths.embeddedSecretsDir}/${e.file}`];
    assert.deepEqual(JSON.parse(content), { ...e.values });
    assert.deepEqual(Object.keys(JSON.parse(content)), Object.keys(e.values).sort(), "sorted keys");
  }
  for (const s of spec.secretSources) assert.ok(view.files[bootstrapPaths.fetchSecrets].includes(s.description));
  const image = spec.image.replace(/[.]/g, "\\.");
  if (spec.logDriver) {
    assert.match(view.files[bootstrapPaths.unitFile], new RegExp(`^ExecStart=${bootstrapPaths.runApp}$`, "m"));
    assert.match(view.files[bootstrapPaths.runApp], new RegExp(`^/usr/bin/docker run .* -p ${spec.port}:${spec.port} .* --log-driver ${spec.logDriver.name} .* ${image}$`, "m"));
  } else {
    assert.match(view.files[bootstrapPaths.unitFile], new RegExp(`^ExecStart=/usr/bin/docker run .* -p ${spec.port}:${spec.port} .* --log-driver local ${image}$`, "m"));
  }
  // Both YAML readers agree on every key and value (the JS one is what the tests read).
  assert.deepEqual(view.config, parse(text, { version: "1.1" }));
  assert.match(text, /^[\x20-\x7e\n]*$/, "the YAML cloud-init reads is plain ASCII");
}

describe("user data: PyYAML reads exactly the intended cloud-config", function () {
  before(function () {
    const probe = spawnSync(cloudInitPython, ["-c", "import yaml"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) {
      assert.fail("PyYAML is missing: install python3-yaml (apt-get install -y python3-yaml; .ci/run installs it). These tests parse user data with the parser cloud-init uses and must not be skipped.");
    }
  });

  it("round-trips YAML-special, shell-special and non-ASCII values in env and embedded secrets", function () {
    const spec = hostileSpec(acceptedValues);
    const text = renderCloudConfig(spec);
    assertRoundTrip(spec, pyyaml([text])[0], text);
  });

  it("refuses control, separator and lone-surrogate characters in every value it renders, never echoing the value", function () {
    for (const value of refusedValues) {
      const places: [string, BootstrapSpec][] = [
        ["env value", { ...hostileSpec([]), env: { GREETING: value } }],
        ["embedded secret", { ...hostileSpec([]), embeddedSecrets: [{ description: "app secrets", file: "app.json", values: { TOKEN: value } }] }],
        ["secret source command", { ...hostileSpec([]), secretSources: [{ description: "app secrets", command: `aws secretsmanager get-secret-value --region ${value}` }] }],
        ["setup command", { ...hostileSpec([]), setupCommands: [`echo ${value}`] }],
        ["registry login command", { ...hostileSpec([]), registryLogin: { description: "ghcr.io", command: `docker login ghcr.io -u ${value} --password-stdin` } }],
        ["registry docker config", { ...hostileSpec([]), registryLogin: { description: "ghcr.io", command: "true", embeddedDockerConfig: `{"auths":{"ghcr.io":{"auth":"${value}"}}}` } }],
      ];
      for (const [place, spec] of places) {
        // A multi-line command is legitimate (python3 -c): only line feeds pass there.
        if ((place === "secret source command" || place === "registry login command") && value === "\n bootcmd:\n - [touch, /pwned]") continue;
        assert.throws(() => renderCloudConfig(spec), (e: Error) => {
          assert.match(e.message, /contains U\+[0-9A-F]{4}; allowed: printable characters only/, `${place} ${JSON.stringify(value)}`);
          assert.ok(!e.message.includes(value), `${place}: the message echoes the value`);
          return true;
        });
      }
    }
  });

  it("renders a log driver's options and labels on the ExecStart line, read back by PyYAML, and keeps the local driver without one", function () {
    const plain = hostileSpec([]);
    const execStart = (text: string) => pyyaml([text])[0].files[bootstrapPaths.unitFile].split("\n").find((l) => l.startsWith("ExecStart=")) as string;
    assert.match(execStart(renderCloudConfig(plain)), /^ExecStart=\/usr\/bin\/docker run .* --log-driver local ghcr\.io\/example\/web:1\.4\.2$/);
    const spec: BootstrapSpec = {
      ...plain,
      logDriver: {
        name: "awslogs",
        // Unsorted on purpose: rendered sorted, so the user data only changes with a value.
        options: { tag: "{{.Hostname}}", "awslogs-group": "/ha-topology/prod_eu.1/web", "awslogs-region": "eu-west-1" },
        labels: { "ha-topology.workload": "web" },
      },
    };
    const text = renderCloudConfig(spec);
    const view = pyyaml([text])[0];
    assertRoundTrip(spec, view, text);
    assert.equal(execStart(text), `ExecStart=${bootstrapPaths.runApp}`);
    const runs = view.files[bootstrapPaths.runApp].split("\n").filter((l) => /^(exec )?\/usr\/bin\/docker run /.test(l));
    assert.deepEqual(runs.map((l) => l.replace(/^.* --stop-timeout 30 /, "")), [
      "--label ha-topology.workload=web --log-driver awslogs --log-opt awslogs-group=/ha-topology/prod_eu.1/web --log-opt awslogs-region=eu-west-1 --log-opt tag={{.Hostname}} ghcr.io/example/web:1.4.2",
      "--log-driver local ghcr.io/example/web:1.4.2",
    ], "the shipping run, then the local fallback");
  });

  it("falls back to the local driver only when docker itself cannot start the container (exit 125), passing the app's own status through", function () {
    const spec: BootstrapSpec = { ...hostileSpec([]), logDriver: { name: "gcplogs", options: { "gcp-log-cmd": "false" } } };
    const script = pyyaml([renderCloudConfig(spec)])[0].files[bootstrapPaths.runApp];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-run-"));
    // A fake docker: logs its calls; "run" exits with the status given for its driver.
    const fake = path.join(dir, "docker");
    fs.writeFileSync(fake, '#!/bin/bash\necho "$*" >> "$CALLS"\ncase "$*" in run*gcplogs*) exit "$REMOTE";; run*) exit "$LOCAL";; esac\n', { mode: 0o755 });
    const runScript = path.join(dir, "run-app");
    fs.writeFileSync(runScript, script.replace(/\/usr\/bin\/docker/g, fake), { mode: 0o755 });
    const run = (remote: number, local: number) => {
      const calls = path.join(dir, `calls-${remote}-${local}`);
      const result = spawnSync("bash", [runScript], { env: { ...process.env, CALLS: calls, REMOTE: String(remote), LOCAL: String(local) }, encoding: "utf8" });
      return { status: result.status, stderr: result.stderr, calls: fs.readFileSync(calls, "utf8").trim().split("\n").map((c) => c.split(" ")[0] + (c.includes("--log-driver local") ? " local" : c.includes("gcplogs") ? " gcplogs" : "")) };
    };
    assert.deepEqual(run(0, 9), { status: 0, stderr: "", calls: ["run gcplogs"] }, "a clean stop");
    assert.deepEqual(run(143, 9), { status: 143, stderr: "", calls: ["run gcplogs"] }, "the app's own exit status: no second start");
    const fallback = run(125, 0);
    assert.deepEqual([fallback.status, fallback.calls], [0, ["run gcplogs", "rm", "run local"]]);
    assert.match(fallback.stderr, /could not start the app with the gcplogs log driver \(exit 125\): starting it with the local driver/);
    assert.equal(run(125, 125).status, 125, "a start that fails either way fails the unit (systemd restarts it)");
  });

  it("passes a workload's command to docker argument by argument, whatever it holds, and publishes no port for a worker", function () {
    // Each argument as the user wrote it: quotes, $, %, backslashes, globs, spaces, a leading dash.
    const command = ["sh", "-c", `echo "it's $HOME" 100% \\ \`id\` *; exit 3`, "--flag=a b", "", "'", '"', "%h %%", "$(reboot)"].filter((a) => a !== "");
    for (const logDriver of [undefined, { name: "gcplogs", options: { "gcp-log-cmd": "false" } }]) {
      const spec: BootstrapSpec = { ...hostileSpec([]), port: undefined, command, ...(logDriver && { logDriver }) };
      const text = renderCloudConfig(spec);
      const view = pyyaml([text])[0];
      // Never on systemd's ExecStart line (whose quoting and % specifiers differ from a shell's).
      assert.ok(view.files[bootstrapPaths.unitFile].split("\n").includes(`ExecStart=${bootstrapPaths.runApp}`));
      const script = view.files[bootstrapPaths.runApp];
      assert.ok(!/ -p \d/.test(script), "a worker publishes no port");
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-cmd-"));
      // A fake docker that writes each argument it receives, NUL-terminated.
      const fake = path.join(dir, "docker");
      fs.writeFileSync(fake, '#!/bin/bash\nprintf \'%s\\0\' "$@" > "$ARGS"\n', { mode: 0o755 });
      const runScript = path.join(dir, "run-app");
      fs.writeFileSync(runScript, script.replace(/\/usr\/bin\/docker/g, fake), { mode: 0o755 });
      const args = path.join(dir, "args");
      const result = spawnSync("bash", [runScript], { env: { ...process.env, ARGS: args, HOME: "/nonexistent" }, encoding: "utf8" });
      assert.equal(result.status, 0, result.stderr);
      const received = fs.readFileSync(args, "utf8").split("\0").slice(0, -1);
      const image = received.indexOf(spec.image);
      assert.ok(image > 0, `the image is an argument: ${received.join(" | ")}`);
      assert.deepEqual(received.slice(image + 1), command, "every argument after the image, verbatim");
      assert.ok(!received.includes("-p"), "no published port");
    }
  });

  it("refuses a command argument a node must never receive, and an empty command", function () {
    for (const bad of ["a\nb", "a\u2028b", "a\u0085b", "a\u0000b"]) {
      assert.throws(() => renderCloudConfig({ ...hostileSpec([]), command: ["sh", "-c", bad] }), /^Error: bootstrap: argument 3 of the command contains/);
    }
    assert.throws(() => renderCloudConfig({ ...hostileSpec([]), command: [] }), /the command is an empty list/);
  });

  it("refuses a log driver name, option or label that is not plain words, never echoing the value", function () {
    const hostile = ["x --privileged", "a;reboot", "$(id)", "%h", "a,b", "a'b", 'a"b', "a\\b", "{{.Name | printf}}", "{{range .}}", "a b", "a\u2028b", ""];
    const driver = (patch: object) => ({ ...hostileSpec([]), logDriver: { name: "syslog", options: { "syslog-address": "tcp+tls://logs.example.com:6514" }, ...patch } });
    for (const value of hostile) {
      const places: [string, BootstrapSpec][] = [
        ["driver name", driver({ name: value })],
        ["option name", driver({ options: { [value]: "x" } })],
        ["option value", driver({ options: { "syslog-address": value } })],
        ["label name", driver({ labels: { [value]: "x" } })],
        ["label value", driver({ labels: { "ha-topology.workload": value } })],
      ];
      for (const [place, spec] of places) {
        assert.throws(() => renderCloudConfig(spec), (e: Error) => {
          assert.match(e.message, /^bootstrap: .*log driver/, `${place} ${JSON.stringify(value)}`);
          if (place.endsWith("value") && value !== "") assert.ok(!e.message.includes(value), `${place}: the message echoes the value`);
          return true;
        }, `${place} ${JSON.stringify(value)} was rendered`);
      }
    }
  });

  it("round-trips any accepted string, in any env name (property)", function () {
    // Biased towards the characters and fragments that break YAML, env files and shells.
    const fragment = fc.oneof(
      fc.string({ unit: "binary", maxLength: 12 }),
      fc.constantFrom(...acceptedValues, ...refusedValues, "\n", ": ", " #", "\u2028", "\u0085", "\ud800", "bootcmd:", "- "),
    );
    const value = fc.array(fragment, { maxLength: 6 }).map((parts) => parts.join(""));
    const spec = fc.record({
      env: fc.dictionary(fc.stringMatching(envNamePattern).filter((k) => k.length <= 40), value, { maxKeys: 6 }),
      secrets: fc.dictionary(fc.stringMatching(/^[A-Z][A-Z0-9_]{0,15}$/), value, { maxKeys: 4 }),
    });
    fc.assert(
      fc.property(fc.array(spec, { minLength: 1, maxLength: 5 }), (batch) => {
        const specs = batch.map((b): BootstrapSpec => ({
          ...hostileSpec([]),
          env: b.env,
          embeddedSecrets: [{ description: "app secrets", file: "app.json", values: b.secrets }],
        }));
        const accepted = specs.filter((s) => [...Object.values(s.env), ...Object.values(s.embeddedSecrets?.[0].values ?? {})].every(isNodeText));
        for (const s of specs.filter((x) => !accepted.includes(x))) assert.throws(() => renderCloudConfig(s), /allowed: printable characters only/);
        const texts = accepted.map((s) => renderCloudConfig(s));
        if (texts.length === 0) return;
        pyyaml(texts).forEach((view, i) => assertRoundTrip(accepted[i], view, texts[i]));
      }),
      // Batched: one PyYAML process per run (pure-Python parsing is the cost).
      { numRuns: Number(process.env.HA_TOPOLOGY_FC_RUNS ?? 8), seed: Number(process.env.HA_TOPOLOGY_FC_SEED ?? Date.now() % 2 ** 31) },
    );
  });

  const userValues = Object.fromEntries(acceptedValues.map((v, i) => [`HOSTILE_${i}`, v]));
  const rawUserData = (stack: string, p: Program): string => (stack === "digitalocean" ? p.rawUserDataOf(p.all("digitalocean:index/droplet:Droplet")[0]) : p.rawUserData());
  for (const stack of ["aws", "gcp", "digitalocean"]) {
    it(`${stack}: the program's user data reads back exactly, hostile env and secrets included`, async function () {
      const p = await runStack(stack, { nodes: { env: userValues }, secrets: { API_KEY: "yes", OTHER: "!!python/object:x {a: b}\u00a0🙂" } });
      const text = rawUserData(stack, p);
      const [view] = pyyaml([text]);
      const js = parse(text, { version: "1.1" });
      assert.deepEqual(view.config, js, "PyYAML and the JS reader agree");
      assert.deepEqual(Object.keys(view.config), ["package_update", "packages", "write_files", "runcmd"]);
      assert.ok(view.config.write_files.every((f) => f.encoding === "b64"), "every file is base64");
      assert.match(text, /^[\x20-\x7e\n]*$/);
      const lines = view.files[bootstrapPaths.appEnv].split("\n");
      for (const [k, v] of Object.entries(userValues)) assert.ok(lines.includes(`${k}=${v}`), `${k}=${JSON.stringify(v)} reaches the app unchanged`);
      if (stack === "digitalocean") {
        assert.deepEqual(JSON.parse(view.files[`${bootstrapPaths.embeddedSecretsDir}/app.json`]), { API_KEY: "yes", OTHER: "!!python/object:x {a: b}\u00a0🙂" });
      } else {
        assert.ok(!text.includes("!!python/object:x") && !Object.values(view.files).some((f) => f.includes("!!python/object:x")), "secrets stay in the secret store");
      }
    });

    it(`${stack}: a value with a refused character stops the program before any resource, shown escaped`, async function () {
      const secret = "k-never-print\u2028bootcmd: [touch, /pwned]";
      const run = await runWithMocks(stackConfigWith(stack, ns({ nodes: { env: { GREETING: "hi\u2028bootcmd: [touch, /pwned]" } }, secrets: { API_KEY: secret } })));
      assert.equal(run.error?.name, "TopologyConfigError");
      assert.deepEqual(run.resources, [], "nothing was registered");
      const message = run.error.message;
      assert.ok(message.includes('ha-topology:nodes.env.GREETING: received "hi\\u2028bootcmd: [touch, /pwned]"'), message);
      assert.ok(message.includes("ha-topology:secrets.API_KEY: received [secret]"), message);
      assert.ok(!message.includes("k-never-print"), "the secret is never echoed");
      assert.ok(!/[\u2028\u2029\u0085]/.test(message), "the message holds no raw separator");
    });
  }
});

describe("user data of several workloads: PyYAML reads every node group's exactly", function () {
  const hostile = Object.fromEntries(acceptedValues.map((v, i) => [`HOSTILE_${i}`, v]));
  /** Every node group's user data, as cloud-init receives it, by the resource that carries it. */
  const allUserData = (cloud: string, p: Program): Array<[string, string]> => {
    if (cloud === "aws") return p.all("aws:ec2/launchTemplate:LaunchTemplate").map((t) => [t.name, Buffer.from(t.inputs.userData, "base64").toString("utf8")]);
    if (cloud === "gcp") return p.all("gcp:compute/instanceTemplate:InstanceTemplate").map((t) => [t.name, t.inputs.metadata["user-data"]]);
    return p.all("digitalocean:index/droplet:Droplet").map((d) => [d.name, p.rawUserDataOf(d)]);
  };
  for (const cloud of ["aws", "gcp", "digitalocean"]) {
    it(`${cloud}: stacks/examples/Pulumi.${cloud}-services.yaml with hostile env values in a web and the worker`, async function () {
      const p = await runStack(`stacks/examples/Pulumi.${cloud}-services.yaml`, { workloads: { api: { env: hostile }, jobs: { env: hostile } } });
      const texts = allUserData(cloud, p);
      assert.ok(texts.length >= 4, `one user data per node group at least: ${texts.map(([n]) => n).join(", ")}`);
      const views = pyyaml(texts.map(([, t]) => t));
      assert.ok(texts.filter(([name]) => /-(api|jobs)-node/.test(name)).length >= 2, "the api's and the worker's user data are among them");
      texts.forEach(([name, text], i) => {
        const view = views[i];
        assert.deepEqual(view.config, parse(text, { version: "1.1" }), `${name}: PyYAML and the JS reader agree`);
        assert.deepEqual(Object.keys(view.config), ["package_update", "packages", "write_files", "runcmd"], name);
        assert.match(text, /^[\x20-\x7e\n]*$/, name);
        if (/-(api|jobs)-node/.test(name)) {
          const lines = view.files[bootstrapPaths.appEnv].split("\n");
          for (const [k, v] of Object.entries(hostile)) assert.ok(lines.includes(`${k}=${v}`), `${name}: ${k}=${JSON.stringify(v)} reaches the app unchanged`);
        }
      });
    });
  }
});

describe("user data: the cloud's size limit", function () {
  it("the parse-time estimate is a lower bound of the real user data on every VM cloud", async function () {
    for (const stack of ["aws", "gcp", "digitalocean"] as VmCloud[]) {
      const env = { LOG_LEVEL: "info", EXTRA: "x".repeat(500) };
      const secrets = { API_KEY: "k".repeat(300) };
      const p = await runStack(stack, { nodes: { env }, secrets });
      const actual = Buffer.byteLength(stack === "digitalocean" ? p.rawUserDataOf(p.all("digitalocean:index/droplet:Droplet")[0]) : p.rawUserData());
      const estimate = estimateUserData(stack, { image: "traefik/whoami:v1.10.1", port: 80, env, secrets }).bytes;
      assert.ok(estimate <= actual, `${stack}: estimate ${estimate} <= actual ${actual}`);
      assert.ok(actual < userDataLimits[stack].bytes);
    }
  });

  it("aws: user data that only the rendered size puts over 16 KB fails the program with the size, the limit and what made it large", async function () {
    // The largest environment the estimate lets through: the platform's values push it over.
    let length = 100;
    const envOf = (n: number) => ({ LOG_LEVEL: "info", BIG: "x".repeat(n) });
    while (estimateUserData("aws", { image: "traefik/whoami:v1.10.1", port: 80, env: envOf(length + 100), secrets: {} }).bytes <= userDataLimits.aws.bytes) length += 100;
    const run = await runWithMocks(stackConfigWith("aws", ns({ nodes: { env: envOf(length) } })));
    assert.equal(run.error?.name, "UserDataTooLargeError", run.error?.message);
    assert.match(run.error.message, /user data of at most 16383 bytes on aws .*the nodes' user data would be \d+ bytes \(nodes\.env \(2 variables\) \d+, the platform's boot files and variables \d+\): move large values from nodes\.env to secrets/);
    assert.equal(run.resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate").length, 0, "no launch template with that user data");
  });

  it("digitalocean: counts the embedded secrets, never showing them", async function () {
    const run = await runWithMocks(stackConfigWith("digitalocean", ns({ secrets: { BIG: "s3cr3t".repeat(12000) } })));
    assert.equal(run.error?.name, "TopologyConfigError");
    assert.match(run.error.message, /ha-topology:secrets: received \[secret\]; allowed: user data of at most 65536 bytes on digitalocean .*secrets \(1\) \d+/);
    assert.ok(!run.error.message.includes("s3cr3t"));
  });
});

describe("grace periods shorter than a start", function () {
  it("kubernetes: the startup probe always tolerates as many failures as readiness does", async function () {
    const p = await runStack("kubernetes", { healthCheck: { gracePeriodSeconds: 0, unhealthyThreshold: 3 } });
    const container = p.one("kubernetes:apps/v1:Deployment").inputs.spec.template.spec.containers[0];
    assert.equal(container.startupProbe.failureThreshold, 3);
  });
});
