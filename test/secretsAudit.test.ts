/**
 * The secrets audit: on every cloud, with every feature that handles secrets turned on,
 * no secret value appears in plain text in the stack outputs or in any resource input
 * that is not marked secret (user data included, unless the whole user data is secret).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { isSecretValue, runWithMocks, type ProgramRun } from "../automation/offline/mocks";
import { planStack } from "../automation/plan";
import { formatPlan } from "../automation/planReport";
import { readStackFile, stackConfigWith } from "../automation/stackFiles";
import { plaintextSecretKeys } from "../components/secretKeys";
import { renderCloudConfig } from "../components/bootstrap";
import { ns } from "./programQueries";
import { readableForms } from "./userDataView";

const appSecret = "sk_live_audit_0123456789abcdef";

/** Every string in a value, split into those under a secret wrapper and the others. */
function strings(value: unknown, secret = false, out: { secret: string[]; plain: string[] } = { secret: [], plain: [] }) {
  if (isSecretValue(value)) return strings((value as { value: unknown }).value, true, out);
  // Base64 user data and its base64 files are searched decoded too: encoding hides nothing.
  if (typeof value === "string") (secret ? out.secret : out.plain).push(...readableForms(value));
  else if (Array.isArray(value)) value.forEach((v) => strings(v, secret, out));
  else if (typeof value === "object" && value !== null) Object.values(value).forEach((v) => strings(v, secret, out));
  return out;
}

/** The secret values of a run: what the cloud generates as secret, and what the user configured as secret. */
function knownSecrets(run: ProgramRun, configured: string[]): string[] {
  const generated = run.resources.flatMap((r) => {
    const o = r.outputs;
    switch (r.type) {
      case "random:index/randomPassword:RandomPassword": return [o.result];
      case "digitalocean:index/databaseCluster:DatabaseCluster": return [o.password];
      case "digitalocean:index/spacesKey:SpacesKey": return [o.secretKey];
      default: return [];
    }
  });
  return [...generated, ...configured].filter((s): s is string => typeof s === "string" && s.length >= 8);
}

/** Where a secret shows in plain text: resource inputs not marked secret, and the outputs. */
function leaks(run: ProgramRun, secrets: string[]): string[] {
  const found: string[] = [];
  for (const r of run.resources) {
    for (const plain of strings(r.rawInputs).plain) {
      for (const s of secrets) if (plain.includes(s)) found.push(`${r.type} ${r.name} has ${s.slice(0, 4)}… in a plain input`);
    }
  }
  const outputs = JSON.stringify(run.outputs ?? {});
  for (const s of secrets) if (outputs.includes(s)) found.push(`the stack outputs show ${s.slice(0, 4)}…`);
  return found;
}

/** The variant of each example stack that exercises every secret it handles. */
const variants: Record<string, Record<string, unknown>> = {
  aws: { sessions: { enabled: true }, database: { readReplicas: 1 } },
  gcp: { sessions: { enabled: true }, database: { readReplicas: 1 } },
  digitalocean: { sessions: { enabled: true }, database: { readReplicas: 1 } },
  kubernetes: { sessions: { enabled: true } },
};

describe("secrets audit: no secret in plain text, on any cloud", function () {
  for (const [stack, patch] of Object.entries(variants)) {
    it(`${stack}: database passwords, keys and app secrets appear only as Pulumi secrets`, async function () {
      const run = await runWithMocks(stackConfigWith(stack, ns({ ...patch, secrets: { STRIPE_KEY: appSecret } })));
      assert.ifError(run.error);
      const configured = [appSecret, ...(stack === "kubernetes" ? ["replace-me-with-pulumi-config-set-secret"] : [])];
      const secrets = knownSecrets(run, configured);
      assert.ok(secrets.length >= 2, `the audit knows the secrets it looks for: ${secrets.length}`);
      assert.deepEqual(leaks(run, secrets), []);
      // Not vacuous: each secret does reach the stack, wrapped.
      const wrapped = run.resources.flatMap((r) => strings(r.rawInputs).secret).join("\n");
      for (const s of secrets) assert.ok(wrapped.includes(s), `${s.slice(0, 4)}… is used somewhere as a secret`);
    });
  }

  // The bindings of the several-workloads examples: a generated secret used by three
  // workloads, a database password inside a `${resources.db.url}` template, bucket keys.
  for (const cloud of ["aws", "gcp", "digitalocean", "kubernetes"] as const) {
    it(`${cloud}: the bindings of stacks/examples/Pulumi.${cloud}-services.yaml (generated secret, DB_URL in a template) appear only as Pulumi secrets`, async function () {
      const file = `stacks/examples/Pulumi.${cloud}-services.yaml`;
      const run = await runWithMocks(stackConfigWith(file, ns({ secrets: { STRIPE_KEY: appSecret } })));
      assert.ifError(run.error);
      const configured = [appSecret, ...(cloud === "kubernetes" ? ["replace-me-with-pulumi-config-set-secret"] : [])];
      const secrets = knownSecrets(run, configured);
      const generated = run.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword");
      assert.ok(generated.length >= (cloud === "digitalocean" ? 1 : 2), `the generated secret and the database password: ${generated.map((r) => r.name).join(", ")}`);
      assert.deepEqual(leaks(run, secrets), []);
      const wrapped = run.resources.flatMap((r) => strings(r.rawInputs).secret).join("\n");
      for (const s of secrets) assert.ok(wrapped.includes(s), `${s.slice(0, 4)}… is used somewhere as a secret`);
    });
  }

  it("catches a leak (the audit itself can fail)", async function () {
    const run = await runWithMocks(stackConfigWith("aws", ns({ secrets: { STRIPE_KEY: appSecret } })));
    const leaky: ProgramRun = { ...run, outputs: { ...run.outputs, debug: `key=${appSecret}` } };
    assert.deepEqual(leaks(leaky, [appSecret]), ["the stack outputs show sk_l…"]);
  });

  it("catches a leak inside base64 user data (a base64 file in a base64 launch template)", async function () {
    const run = await runWithMocks(stackConfigWith("aws", ns({})));
    assert.ifError(run.error);
    const leakyUserData = renderCloudConfig({ image: "ghcr.io/acme/web:1.0.0", port: 80, env: { DEBUG_KEY: appSecret }, secretSources: [], stopTimeoutSeconds: 30, packages: [] });
    const resources = run.resources.map((r) =>
      r.type === "aws:ec2/launchTemplate:LaunchTemplate" ? { ...r, rawInputs: { ...r.rawInputs, userData: Buffer.from(leakyUserData).toString("base64") } } : r,
    );
    assert.ok(!Buffer.from(leakyUserData).toString("base64").includes(appSecret) && !leakyUserData.includes(appSecret), "base64 hides it from a plain search");
    assert.deepEqual(leaks({ ...run, resources }, [appSecret]), ["aws:ec2/launchTemplate:LaunchTemplate web-node has sk_l… in a plain input"]);
  });
});

describe("secrets audit: plain-text secrets in the stack configuration are reported", function () {
  const warnings = (run: ProgramRun) => run.logs.filter((l) => l.severity === "warning").map((l) => l.message);
  const plainTextKeys = (run: ProgramRun) => warnings(run).map((w) => /^(\S+) is stored in plain text/.exec(w)?.[1]).filter(Boolean);

  it("warns at `pulumi up` time (pulumi.log.warn) about each plain app secret, bucket key and provider credential, never showing it", async function () {
    const run = await runWithMocks(stackConfigWith("kubernetes", ns({ secrets: { STRIPE_KEY: appSecret, OTHER_KEY: "o-0123456789" } })));
    assert.ifError(run.error);
    assert.deepEqual(plainTextKeys(run), ["ha-topology:secrets.OTHER_KEY", "ha-topology:secrets.STRIPE_KEY", "ha-topology:storage.secretAccessKey"]);
    assert.match(warnings(run)[0], /pulumi config set --secret --path 'ha-topology:secrets\.OTHER_KEY'/);
    for (const w of warnings(run)) for (const value of [appSecret, "o-0123456789", "replace-me"]) assert.ok(!w.includes(value), w);

    const registry = await runWithMocks(stackConfigWith("aws", ns({ nodes: { image: "ghcr.io/acme/web:1.0.0" }, registry: { username: "ci", password: "reg-pass-0123" } })));
    assert.ifError(registry.error);
    assert.deepEqual(plainTextKeys(registry), ["ha-topology:registry.password"]);
    for (const w of warnings(registry)) assert.ok(!w.includes("reg-pass-0123"), w);

    const token = await runWithMocks(stackConfigWith("digitalocean", { "digitalocean:token": "dop_v1_0123456789abcdef" }));
    assert.ifError(token.error);
    assert.deepEqual(plainTextKeys(token), ["digitalocean:token"]);
  });

  it("says nothing about encrypted values, a credentials file path or an empty value", async function () {
    const config = stackConfigWith("kubernetes", ns({ secrets: { STRIPE_KEY: appSecret } }));
    // What the engine hands a program for `secure:` values: decrypted, and the key listed as secret.
    const encrypted = await runWithMocks({ ...config, secretKeys: ["ha-topology:secrets", "ha-topology:storage"] });
    assert.ifError(encrypted.error);
    assert.deepEqual(plainTextKeys(encrypted), []);
    const gcp = await runWithMocks(stackConfigWith("gcp", { "gcp:credentials": "/home/me/key.json" }));
    assert.deepEqual(plainTextKeys(gcp), [], "a path is not the key");
    const gcpKey = await runWithMocks(stackConfigWith("gcp", { "gcp:credentials": '{"type":"service_account","private_key":"x"}' }));
    assert.deepEqual(plainTextKeys(gcpKey), ["gcp:credentials"], "the key itself is");
  });

  it("the offline plan shows them too, per leaf, also when other leaves of the key are encrypted", async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ha-topology-plaintext-"));
    try {
      const file = path.join(dir, "Pulumi.mixed.yaml");
      fs.writeFileSync(
        file,
        stringify({
          config: {
            ...readStackFile("aws"),
            "ha-topology:secrets": { ENCRYPTED_KEY: { secure: "v1:AAAA" }, PLAIN_KEY: "plain-0123456789" },
          },
        }),
      );
      const plan = await planStack("mixed", { stackFile: file });
      const notes = plan.logs.filter((l) => l.severity === "warning").map((l) => l.message);
      assert.equal(notes.length, 1, notes.join("\n"));
      assert.match(notes[0], /^ha-topology:secrets\.PLAIN_KEY is stored in plain text/);
      assert.match(formatPlan(plan), /Notes from the program[\s\S]*warning: ha-topology:secrets\.PLAIN_KEY/);
      assert.deepEqual(plaintextSecretKeys(readStackFile(file)), ["ha-topology:secrets.PLAIN_KEY"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("secrets audit: no secret on a process command line (Kubernetes Valkey)", function () {
  it("valkey-cli takes the password from REDISCLI_AUTH (the Secret, via valueFrom), never -a; servers read it from config files", async function () {
    const run = await runWithMocks(stackConfigWith("kubernetes", ns({ sessions: { enabled: true } })));
    assert.ifError(run.error);
    const secret = run.resources.find((r) => r.type === "kubernetes:core/v1:Secret" && r.name.endsWith("-sessions"));
    assert.ok(secret, "the session store's Secret");
    const password = String(secret.inputs.stringData.password);
    const scripts = run.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.name.endsWith("-sessions-valkey"));
    assert.ok(scripts, "the scripts ConfigMap");

    // Every command line a pod can run: container commands and args, exec probes and hooks, and each script's lines.
    const commandLines: string[] = [];
    const containers = run.resources
      .filter((r) => r.type === "kubernetes:apps/v1:StatefulSet" || r.type === "kubernetes:apps/v1:Deployment")
      .flatMap((r) => (r.inputs.spec?.template?.spec?.containers ?? []) as Record<string, any>[]);
    assert.ok(containers.some((c) => c.name === "valkey") && containers.some((c) => c.name === "sentinel"));
    for (const c of containers) {
      commandLines.push([...(c.command ?? []), ...(c.args ?? [])].join(" "));
      for (const probe of [c.startupProbe, c.livenessProbe, c.readinessProbe, c.lifecycle?.preStop]) {
        if (probe?.exec) commandLines.push(probe.exec.command.join(" "));
      }
    }
    for (const [name, text] of Object.entries(scripts.inputs.data as Record<string, string>)) {
      let heredoc: string | undefined;
      for (const line of text.split("\n")) {
        // Heredoc bodies are a command's stdin, and echo is a shell builtin: neither is an argv.
        if (heredoc !== undefined) {
          if (line === heredoc) heredoc = undefined;
          continue;
        }
        heredoc = /<<-?\s*'?(\w+)'?/.exec(line)?.[1];
        if (!/^\s*(#|echo\s)/.test(line)) commandLines.push(`${name}: ${line}`);
      }
    }
    for (const line of commandLines) {
      assert.doesNotMatch(line, /(^|\s)(-a|--pass|--user|--requirepass|--masterauth)(\s|=|$)/, line);
      assert.doesNotMatch(line, /\$\{?(VALKEY_PASSWORD|REDISCLI_AUTH)\b/, `the password on a command line: ${line}`);
      assert.ok(!line.includes(password), "the password itself on a command line");
    }
    assert.ok(commandLines.some((l) => /valkey-cli/.test(l)), "the audit saw the valkey-cli calls");

    const statefulSet = run.resources.find((r) => r.type === "kubernetes:apps/v1:StatefulSet" && r.name.endsWith("-sessions-valkey"));
    assert.ok(statefulSet && (statefulSet.propertyDependencies.spec ?? []).includes(secret.urn), "the pods' env refers to the Secret");
    for (const c of containers.filter((x) => x.name === "valkey" || x.name === "sentinel")) {
      type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name?: string; key: string } } };
      const env = (name: string) => (c.env as Env[]).find((e) => e.name === name);
      assert.equal(env("REDISCLI_AUTH")?.value, undefined, `${c.name}: never a literal value`);
      assert.equal(env("REDISCLI_AUTH")?.valueFrom?.secretKeyRef?.key, "password", `${c.name}: REDISCLI_AUTH from the Secret`);
      assert.deepEqual(env("REDISCLI_AUTH")?.valueFrom, env("VALKEY_PASSWORD")?.valueFrom, `${c.name}: the same Secret as the servers' password`);
    }
  });
});
