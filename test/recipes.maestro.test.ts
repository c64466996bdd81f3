/**
 * The Maestro recipe (issue 20, "HA - Production Read"): stacks/examples/Pulumi.maestro-<cloud>.yaml,
 * planned for real on every cloud. Each sentence of the write-up is checked where the plan
 * shows it: the server, discovery and reports APIs each behind the load balancer with its
 * own /health, the discovery Celery worker and the reports worker, the MongoDB document
 * database, the broker (RabbitMQ where the cloud has it, Valkey where it has not), the
 * uploads bucket, one JWT secret on every workload, and semver image tags to roll back to.
 */
import { strict as assert } from "node:assert";
import type { Plan } from "../automation/plan";
import { formatPlan } from "../automation/planReport";
import { resourceBinding } from "../components/model/bindings";
import type { Cloud } from "../components/sizes";
import { recipePlan, summaryLine } from "./recipePlans";

const clouds = ["aws", "gcp", "digitalocean", "kubernetes"] as const satisfies readonly Cloud[];

/** Maestro's processes: the three APIs and the two workers, as the example names them. */
const webs = ["api", "discovery", "reports"];
const workers = ["celery", "reports-worker"];

/** A semver tag (`v1.10.1`, `1.36.1`): what `ha-topology history` and `rollback` name a version by. */
const semverTag = /:v?\d+\.\d+\.\d+$/;

describe("recipe Maestro: stacks/examples/Pulumi.maestro-<cloud>.yaml", () => {
  for (const cloud of clouds) {
    describe(cloud, function () {
      let plan: Plan;
      before(async function () {
        plan = await recipePlan("maestro", cloud);
      });
      const line = (topic: string) => summaryLine(plan, topic);

      it("plans with zero mandatory violations and no failing summary line", () => {
        assert.deepEqual(plan.policy.violations.filter((v) => v.level === "mandatory"), []);
        assert.deepEqual(plan.summary.filter((s) => s.status === "fail"), []);
        assert.ok(formatPlan(plan).includes("\nResult: no mandatory violation.\n"));
      });

      it("runs the three APIs behind the load balancer, each checked on its own /health, and the two workers", () => {
        assert.deepEqual(plan.model.workloads.map((w) => [w.name, w.kind]), [["api", "web"], ["discovery", "web"], ["celery", "worker"], ["reports", "web"], ["reports-worker", "worker"]]);
        for (const name of webs) {
          const text = line(`web ${name}`).text;
          assert.ok(text.includes("readiness GET /health, liveness GET /health"), text);
        }
        // One route each: by path where the load balancer routes by path, by host on DigitalOcean.
        const urls = (plan.outputs.workloads as Record<string, { url?: string }>);
        assert.deepEqual(
          webs.map((w) => urls[w].url),
          cloud === "digitalocean"
            ? ["https://maestro.example.com", "https://discovery.maestro.example.com", "https://reports.maestro.example.com"]
            : ["https://maestro.example.com", "https://maestro.example.com/discovery", "https://maestro.example.com/reports"],
        );
        for (const name of workers) assert.ok(line(`worker ${name}`).text.includes("worker: no load balancer"));
      });

      it("gives every workload the MongoDB database, the broker, the uploads bucket and the one JWT secret", () => {
        const kinds = Object.fromEntries(plan.model.resources.map((r) => [r.name, r.kind]));
        assert.deepEqual(kinds, { events: "document", broker: "queue", files: "bucket", "jwt-secret": "secret" });
        const broker = plan.model.resources.find((r) => r.name === "broker")!;
        // GCP and DigitalOcean have no managed RabbitMQ: the example says so and uses Valkey.
        assert.equal(broker.kind === "queue" && broker.engine, cloud === "aws" || cloud === "kubernetes" ? "rabbitmq" : "valkey");
        for (const w of plan.model.workloads) assert.deepEqual(w.kind === "site" ? [] : [...w.uses].sort(), ["broker", "events", "files", "jwt-secret"], w.name);
        const secret = plan.model.resources.find((r) => r.name === "jwt-secret")!;
        assert.deepEqual(resourceBinding(secret, cloud).map((b) => [b.env, b.secret]), [["JWT_SECRET", true]]);
        const used = `used by ${[...webs.slice(0, 2), workers[0], webs[2], workers[1]].join(", ")}`;
        for (const topic of ["document events", "queue broker", "bucket files", "secret jwt-secret"]) assert.ok(line(topic).text.includes(used), `${topic}: ${line(topic).text}`);
        assert.match(line("secret jwt-secret").text, /the same on every (node|droplet|pod) of every workload that uses it/);
      });

      it("pins every image to a semver tag, so history and rollback name versions", () => {
        for (const w of plan.model.workloads) assert.match(w.kind === "site" ? "" : w.image, semverTag, w.name);
      });
    });
  }
});
