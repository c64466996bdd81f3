/**
 * Embedding ha-topology in your own tool: preview with the ha-guard pack, then deploy,
 * with progress on stderr and Ctrl-C cancelling cleanly. Type-checked with the project
 * (`npm run typecheck`); run it with `npx tsx examples/embed.ts` (needs the Pulumi CLI,
 * PULUMI_CONFIG_PASSPHRASE and AWS credentials).
 */
import { OperationCancelledError, preview, StackLockedError, up, type InlineTopology } from "../automation/deployment";
import { renderProgressLine, type ProgressUpdate } from "../automation/progress";

const topology: InlineTopology = {
  stack: "shop-prod",
  config: {
    cloud: "aws",
    domain: "shop.example.com",
    nodes: { count: 3, maxCount: 9, size: "medium", image: "ghcr.io/acme/shop:1.4.2", port: 8080 },
    database: { engine: "postgres", version: "16", backupRetentionDays: 14 },
    sessions: { enabled: true },
  },
  providerConfig: { "aws:region": "eu-west-1" },
  secrets: { STRIPE_KEY: process.env.STRIPE_KEY ?? "" },
};

async function main(): Promise<void> {
  const abort = new AbortController();
  process.once("SIGINT", () => abort.abort());
  const onProgress = (u: ProgressUpdate) => process.stderr.write(`\r${renderProgressLine(u.state)}`);
  const options = { topology, policyPacks: ["policies"], signal: abort.signal, onProgress };
  try {
    const planned = await preview(options);
    console.log("\nplanned:", planned.changes);
    const result = await up(options);
    console.log("\nurl:", result.outputs.values.url);
  } catch (e) {
    if (e instanceof StackLockedError || e instanceof OperationCancelledError) console.error(`\n${e.message}`);
    else throw e;
    process.exitCode = 1;
  }
}

void main();
