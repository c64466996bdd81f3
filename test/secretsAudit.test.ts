/**
 * The secrets audit: on every cloud, with every feature that handles secrets turned on,
 * no secret value appears in plain text in the stack outputs or in any resource input
 * that is not marked secret (user data included, unless the whole user data is secret).
 */
import { strict as assert } from "node:assert";
import { isSecretValue, runWithMocks, type ProgramRun } from "../automation/offline/mocks";
import { stackConfigWith } from "../automation/stackFiles";
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
