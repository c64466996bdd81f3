/**
 * The Alerta recipe (issue 20): stacks/examples/Pulumi.alerta-<cloud>.yaml, planned for real on
 * every cloud. Each sentence of the write-up is checked where the plan shows it: the WSGI
 * API behind /api (DigitalOcean: on the domain, the UI on its own host), the static UI at /,
 * one SECRET_KEY on every API server, a replicated PostgreSQL, and the housekeeping and
 * heartbeat jobs on a schedule, each judged single-flight. (`/management/status` kept off the
 * public internet is not built: README, Recipes, Alerta.)
 */
import { strict as assert } from "node:assert";
import type { Plan } from "../automation/plan";
import { resourceBinding } from "../components/model/bindings";
import type { Cloud } from "../components/sizes";
import { recipePlan, summaryLine } from "./recipePlans";

const clouds = ["aws", "gcp", "digitalocean", "kubernetes"] as const satisfies readonly Cloud[];

/** The stack's domain, as each example sets it. */
const domain = (cloud: Cloud) => (cloud === "kubernetes" ? "alerta.example.com" : "alerts.example.com");

describe("recipe Alerta: stacks/examples/Pulumi.alerta-<cloud>.yaml", () => {
  for (const cloud of clouds) {
    describe(cloud, function () {
      let plan: Plan;
      before(async function () {
        plan = await recipePlan("alerta", cloud);
      });
      const line = (topic: string) => summaryLine(plan, topic);

      it("plans with zero mandatory violations and no failing summary line", () => {
        assert.deepEqual(plan.policy.violations.filter((v) => v.level === "mandatory"), []);
        assert.deepEqual(plan.summary.filter((s) => s.status === "fail"), []);
      });

      it("serves the API under /api and the static UI at / on one domain (DigitalOcean: the UI on its own host)", () => {
        const d = domain(cloud);
        const api = line("web api").text;
        assert.ok(api.includes(cloud === "digitalocean" ? `at https://${d};` : `at https://${d}/api;`), api);
        assert.ok(api.includes("readiness GET /api/health"), api);
        assert.ok(line("site ui").text.startsWith(cloud === "digitalocean" ? `at https://ui.${d}` : `at https://${d}`), line("site ui").text);
      });

      it("gives every API server the same SECRET_KEY, and the jobs too", () => {
        const secret = plan.model.resources.find((r) => r.name === "secret-key");
        assert.ok(secret && secret.kind === "secret");
        assert.deepEqual(resourceBinding(secret, cloud).map((b) => [b.env, b.secret]), [["SECRET_KEY", true]]);
        assert.match(line("secret secret-key").text, /the same on every (node|droplet|pod) of every workload that uses it; used by api, housekeeping, heartbeats/);
      });

      it("keeps the alerts in a replicated PostgreSQL, judged by database-replicated", () => {
        const db = line("sql db");
        assert.ok(db.text.startsWith("postgres "), db.text);
        assert.ok(db.rules.includes("database-replicated") && db.status === "pass", JSON.stringify(db));
      });

      it("runs housekeeping and heartbeats on a schedule, one run per tick (jobs-single-flight)", () => {
        for (const [name, schedule] of [["housekeeping", "*/5 * * * *"], ["heartbeats", "2-59/5 * * * *"]]) {
          const job = line(`job ${name}`);
          assert.ok(job.text.includes(`cron "${schedule}" (UTC)`), job.text);
          assert.deepEqual([job.rules, job.status], [["jobs-single-flight"], "pass"]);
        }
      });
    });
  }
});
