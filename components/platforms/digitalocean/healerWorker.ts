/**
 * The DigitalOcean healer's worker program: the entry of the `healer` bundle (build.js ->
 * dist/healer.js), which healerApp.ts puts in the App's HEALER_SCRIPT. It runs in a plain
 * Node container with no node_modules, so it bundles healer.ts and healthMetric.ts, which
 * import no package (test/healer.test.ts checks the bundle requires none).
 */
import { healerMain } from "./healer";

healerMain().catch((e: unknown) => {
  console.error((e instanceof Error && e.stack) || String(e));
  process.exit(1);
});
