/**
 * The offline plan, the HA summary and the diagram of a stack of several workloads and
 * named resources (stacks/examples/Pulumi.<cloud>-services.yaml): built from the model, so
 * these run on every cloud whatever its platform registers (test/modelPlan.ts). The end of
 * the file plans each example for real, once its cloud's platform has landed.
 */
import { strict as assert } from "node:assert";
import { Resvg } from "@resvg/resvg-js";
import { renderSvg, type ServicesDiagram } from "../automation/diagram";
import { diagramModel, singleServiceDiagram } from "../automation/diagramModel";
import { haSummary } from "../automation/haSummary";
import { planStack } from "../automation/plan";
import { readStackFile } from "../automation/stackFiles";
import { formatPlan, planJson } from "../automation/planReport";
import { commandText, topologyView } from "../automation/topologyView";
import { clouds, type Cloud } from "../components/sizes";
import { modelPlan, reportWith } from "./modelPlan";

const example = (cloud: Cloud) => `stacks/examples/Pulumi.${cloud}-services.yaml`;

/** The worker's stop timeout as the example sets it (each cloud's may differ: GCE gives a stopping VM about 90 s). */
const jobsStopTimeout = (cloud: Cloud) => (readStackFile(example(cloud))["ha-topology:workloads"] as Record<string, { stopTimeoutSeconds: number }>).jobs.stopTimeoutSeconds;

/** The summary line of a topic. */
const topic = (plan: ReturnType<typeof modelPlan>, name: string) => {
  const line = plan.summary.find((s) => s.topic === name);
  assert.ok(line, `no summary line ${name} in ${plan.summary.map((s) => s.topic).join(", ")}`);
  return line;
};

/** The statuses of the summary's lines, by topic. */
const statuses = (plan: ReturnType<typeof modelPlan>) => Object.fromEntries(plan.summary.map((s) => [s.topic, s.status]));

describe("several workloads: the model in the plan's words (topologyView)", () => {
  for (const cloud of clouds) {
    it(`${cloud}: every workload with its entry, count, size, image, checks and uses; every resource with who uses it`, () => {
      const view = topologyView(modelPlan(example(cloud)).model);
      assert.equal(view.usesMaps, true);
      const api = cloud === "digitalocean" ? "https://api.shop.example.com" : "https://shop.example.com/api";
      assert.deepEqual(
        view.workloads.map((w) => [w.name, w.kind, w.tier, w.entry]),
        [
          ["storefront", "web", "public", "https://shop.example.com"],
          ["api", "web", "public", api],
          ["discovery", "web", "internal", "internal: DISCOVERY_URL"],
          ["jobs", "worker", "worker", "worker: no load balancer"],
        ],
      );
      const byName = Object.fromEntries(view.workloads.map((w) => [w.name, w]));
      // DigitalOcean runs exactly `count` droplets: its maxCount is not a range there.
      assert.deepEqual([byName.api.count, byName.api.maxCount, byName.api.autoscaling], cloud === "digitalocean" ? [2, 2, false] : [2, 6, true]);
      assert.deepEqual(byName.api.readiness, { path: "/api/ready", intervalSeconds: 15, unhealthyThreshold: 3 });
      assert.deepEqual(byName.api.liveness, { path: "/api/health", unhealthyThreshold: 5 });
      assert.deepEqual(byName.storefront.liveness, { path: "/health", unhealthyThreshold: 3 }, "liveness defaults to the readiness check");
      assert.equal(byName.jobs.readiness, undefined);
      assert.equal(byName.jobs.port, undefined);
      assert.deepEqual(byName.jobs.command, ["sh", "-c", "while true; do date; sleep 60; done"]);
      assert.equal(byName.jobs.stopTimeoutSeconds, jobsStopTimeout(cloud));
      assert.ok(jobsStopTimeout(cloud) !== 30, "the example sets its own, not the default");
      assert.equal(byName.discovery.urlVariable, "DISCOVERY_URL");
      assert.equal(byName.storefront.image, "traefik/whoami:v1.10.1");
      assert.ok(byName.storefront.size !== "small", `the size is the cloud's own name, not the preset: ${byName.storefront.size}`);
      assert.deepEqual(
        view.workloads.map((w) => [w.name, w.uses]),
        [["storefront", ["secret-key"]], ["api", ["db", "files", "secret-key"]], ["discovery", ["db"]], ["jobs", ["db", "files", "secret-key"]]],
      );
      assert.deepEqual(
        view.resources.map((r) => [r.name, r.kind, r.usedBy]),
        [["db", "sql", ["api", "discovery", "jobs"]], ["files", "bucket", ["api", "jobs"]], ["secret-key", "secret", ["storefront", "api", "jobs"]]],
      );
      // One load balancer where the cloud routes by host and path; one per host where it cannot.
      assert.deepEqual(
        view.loadBalancers.map((lb) => lb.routes.map((r) => `${r.host}${r.path} ${r.workload}`)),
        cloud === "digitalocean" ? [["shop.example.com/ storefront"], ["api.shop.example.com/ api"]] : [["shop.example.com/ storefront", "shop.example.com/api api"]],
      );
    });
  }

  it("says what each resource is and how it stays available, per cloud", () => {
    const shapes = (cloud: Cloud) => Object.fromEntries(topologyView(modelPlan(example(cloud)).model).resources.map((r) => [r.name, `${r.what}: ${r.shape}`]));
    assert.match(shapes("aws").db, /^postgres 16, db\.\S+, 20 GB: Multi-AZ standby with automatic failover; 7 days of backups with point-in-time recovery; private; deletion protected$/);
    assert.match(shapes("gcp").db, /REGIONAL instance with a standby in another zone/);
    assert.match(shapes("aws").files, /^S3 bucket: private, versioned \(old versions kept 30 days\), encrypted$/);
    assert.match(shapes("kubernetes").files, /^your S3-compatible bucket shop-files: /);
    assert.match(shapes("aws")["secret-key"], /^48 letters and digits, generated once: kept in AWS Secrets Manager; the same on every node/);
    assert.match(shapes("gcp")["secret-key"], /kept in GCP Secret Manager/);
    assert.match(shapes("kubernetes")["secret-key"], /kept in a Kubernetes Secret; the same on every pod/);
    assert.match(shapes("digitalocean")["secret-key"], /kept in the droplets' secret user data \(DigitalOcean has no secret store\)/);
  });

  it("writes a command as one would type it", () => {
    assert.equal(commandText(["celery", "-A", "app.main", "worker", "--concurrency=4"]), "celery -A app.main worker --concurrency=4");
    assert.equal(commandText(["sh", "-c", 'echo "$HOME"; ls']), 'sh -c "echo \\"$HOME\\"; ls"');
  });

  it("a single-service stack is one web workload and its resources, with today's names", () => {
    const view = topologyView(modelPlan("aws").model);
    assert.equal(view.usesMaps, false);
    assert.deepEqual(view.workloads.map((w) => [w.name, w.entry, w.uses]), [["web", "https://app.example.com", ["database", "bucket"]]]);
    assert.deepEqual(view.resources.map((r) => [r.name, r.kind]), [["database", "sql"], ["bucket", "bucket"]]);
  });
});

describe("several workloads: the plan's text and JSON", () => {
  it("lists every workload and resource, and the load balancer's routes", () => {
    const text = formatPlan(modelPlan(example("aws")));
    const section = text.slice(text.indexOf("\nWorkloads (4)\n"), text.indexOf("\nResources: "));
    assert.ok(section.length > 0, text);
    const expected = [
      "Workloads (4)",
      "  storefront  web     https://shop.example.com",
      "                      2–4 × t3.small · traefik/whoami:v1.10.1 · port 8080",
      "                      readiness GET /health every 15 s (out of traffic after 3 failures), liveness GET /health (3 failures)",
      "                      uses secret-key",
      "  api         web     https://shop.example.com/api",
      "                      2–6 × t3.small · traefik/whoami:v1.10.1 · port 8080",
      "                      readiness GET /api/ready every 15 s (out of traffic after 3 failures), liveness GET /api/health (5 failures)",
      "                      uses db, files, secret-key",
      "  discovery   web     internal: DISCOVERY_URL",
      "                      2–4 × t3.small · traefik/whoami:v1.10.1 · port 8080",
      "                      readiness GET /health every 15 s (out of traffic after 3 failures), liveness GET /health (3 failures)",
      "                      uses db",
      "  jobs        worker  worker: no load balancer",
      '                      2–4 × t3.small · busybox:1.36 · command sh -c "while true; do date; sleep 60; done"',
      "                      no health check (nothing connects to a worker); 120 s to stop after SIGTERM",
      "                      uses db, files, secret-key",
      "Named resources (3)",
    ];
    assert.deepEqual(section.split("\n").slice(1, expected.length + 1), expected);
    assert.match(section, /\n {2}db {10}sql {5}postgres 16, db\.\S+, 20 GB: Multi-AZ standby with automatic failover; .*\n {22}used by api, discovery, jobs\n/);
    assert.match(section, /\n {2}files {7}bucket {2}S3 bucket: private, versioned .*\n {22}used by api, jobs\n/);
    assert.match(section, /\n {2}secret-key {2}secret {2}48 letters and digits, generated once: kept in AWS Secrets Manager.*\n {22}used by storefront, api, jobs\n/);
    assert.match(section, /\nLoad balancers \(1\)\n {2}shop\.example\.com\/ → storefront · shop\.example\.com\/api → api\n/);
  });

  it("DigitalOcean: a fixed count, and one load balancer per host", () => {
    const text = formatPlan(modelPlan(example("digitalocean")));
    assert.match(text, /\n {22}exactly 2 × \S+ · traefik\/whoami:v1\.10\.1 · port 8080\n/);
    assert.match(text, /\nLoad balancers \(2\)\n {2}shop\.example\.com\/ → storefront\n {2}api\.shop\.example\.com\/ → api\n/);
  });

  it("a stack without resources says that nothing holds data", () => {
    const plan = modelPlan(example("gcp"), {
      patch: { resources: undefined, workloads: { api: { uses: undefined, env: { DATABASE_URL: undefined } }, storefront: { uses: undefined }, discovery: { uses: undefined }, jobs: { uses: undefined } } },
    });
    assert.deepEqual(plan.model.resources, []);
    const text = formatPlan(plan);
    assert.match(text, /\nNamed resources \(0\)\n {2}none: no database, bucket, cache or secret is created\n/);
    assert.match(text, /\n {22}uses no resource\n/);
  });

  it("gives tools the workloads, resources and load balancers in the JSON, for every stack", () => {
    const json = JSON.parse(JSON.stringify(planJson(modelPlan(example("kubernetes")))));
    assert.deepEqual(json.workloads.map((w: { name: string; entry: string }) => [w.name, w.entry]), [
      ["storefront", "https://shop.example.com"],
      ["api", "https://shop.example.com/api"],
      ["discovery", "internal: DISCOVERY_URL"],
      ["jobs", "worker: no load balancer"],
    ]);
    assert.deepEqual(json.resources.map((r: { name: string; usedBy: string[] }) => [r.name, r.usedBy.length]), [["db", 3], ["files", 2], ["secret-key", 3]]);
    assert.equal(json.loadBalancers.length, 1);
    const single = JSON.parse(JSON.stringify(planJson(modelPlan("aws"))));
    assert.deepEqual(single.workloads.map((w: { name: string }) => w.name), ["web"]);
  });

  it("prints the workloads and resources outputs one entry a line", () => {
    const plan = modelPlan(example("aws"));
    plan.outputs = {
      workloads: { api: { kind: "web", url: "https://shop.example.com/api", nodeGroupId: "web-api-nodes" }, jobs: { kind: "worker", nodeGroupId: "web-jobs-nodes" } },
      resources: { db: { kind: "sql", endpoint: "db.internal:5432" } },
      url: "https://shop.example.com",
    };
    assert.match(
      formatPlan(plan),
      /\nOutputs \(placeholders\)\n {2}workloads: \n {4}api: \{"kind":"web","url":"https:\/\/shop\.example\.com\/api","nodeGroupId":"web-api-nodes"\}\n {4}jobs: \{"kind":"worker","nodeGroupId":"web-jobs-nodes"\}\n {2}resources: \n {4}db: \{"kind":"sql","endpoint":"db\.internal:5432"\}\n {2}url: https:\/\/shop\.example\.com\n/,
    );
    plan.outputs = { workloads: {}, resources: {} };
    assert.match(formatPlan(plan), /\n {2}workloads: \{\}\n {2}resources: \{\}\n/, "empty maps as today");
  });

  it("keeps a single-service stack's text as it was: no workloads section", () => {
    const text = formatPlan(modelPlan("gcp"));
    assert.ok(!text.includes("\nWorkloads ("), text);
    assert.ok(!text.includes("\nNamed resources ("), text);
  });
});

describe("several workloads: the HA summary", () => {
  it("has a line per workload and per resource, and the shared promises", () => {
    const plan = modelPlan(example("aws"));
    assert.deepEqual(
      plan.summary.map((s) => s.topic),
      ["web storefront", "web api", "internal discovery", "worker jobs", "Replacement", "Rollouts", "Load balancer", "sql db", "bucket files", "secret secret-key", "Exposure"],
    );
    assert.match(topic(plan, "web api").text, /^2–6 × t3\.small running traefik\/whoami:v1\.10\.1 on port 8080, spread over 2 zones \(zone 1, zone 2\); at https:\/\/shop\.example\.com\/api; readiness GET \/api\/ready, liveness GET \/api\/health; uses db, files, secret-key$/);
    assert.match(topic(plan, "internal discovery").text, /; internal: DISCOVERY_URL; readiness GET \/health, liveness GET \/health; uses db$/);
    assert.match(topic(plan, "worker jobs").text, /^2–4 × t3\.small running busybox:1\.36, spread over .*; worker: no load balancer; 120 s to stop; uses db, files, secret-key$/);
    assert.deepEqual(topic(plan, "worker jobs").rules, ["min-nodes", "nodes-span-zones"], "a worker has no load balancer health check to judge");
    assert.match(topic(plan, "Replacement").text, /liveness check .* is replaced; failing readiness only takes a node out of traffic.*; a worker node that dies is replaced$/);
    assert.match(topic(plan, "Load balancer").text, /^one Application Load Balancer: shop\.example\.com\/ → storefront, shop\.example\.com\/api → api; HTTPS with a managed certificate/);
    assert.match(topic(plan, "sql db").text, /used by api, discovery, jobs$/);
    assert.match(topic(plan, "secret secret-key").text, /not checked by ha-guard \(no rule judges generated secrets\)$/);
    assert.deepEqual(statuses(plan), {
      "web storefront": "pass",
      "web api": "pass",
      "internal discovery": "pass",
      "worker jobs": "pass",
      Replacement: "pass",
      Rollouts: "pass",
      "Load balancer": "pass",
      "sql db": "pass",
      "bucket files": "pass",
      "secret secret-key": "unchecked",
      Exposure: "pass",
    });
  });

  it("DigitalOcean: one load balancer per host; the healer heals the webs' droplets, and a dead worker droplet is a gap", () => {
    // No rule judges droplets' rollouts (the gates are this program's): as the pack reports it on DigitalOcean.
    const plan = modelPlan(example("digitalocean"), { report: reportWith([], ["rolling-updates-keep-capacity"]) });
    assert.match(topic(plan, "Load balancer").text, /^one DigitalOcean load balancer per host: shop\.example\.com\/ → storefront; api\.shop\.example\.com\/ → api; /);
    const replacement = topic(plan, "Replacement");
    assert.equal(replacement.status, "gap", "the worker's droplets are not healed");
    assert.match(replacement.text, /^a droplet failing readiness leaves its load balancer, and the stack's healer power cycles it, then rebuilds it from its image if it still fails/);
    assert.match(replacement.text, /nothing replaces a dead worker droplet: .*the healer covers droplets behind a load balancer only/);
    assert.deepEqual(replacement.rules, ["nodes-autoheal", "lb-http-health-check"]);
    assert.equal(topic(plan, "Rollouts").status, "unchecked");
    assert.match(topic(plan, "web api").text, /^exactly 2 × /);
  });

  it("Kubernetes: pods restarted on liveness, not on readiness", () => {
    assert.match(topic(modelPlan(example("kubernetes")), "Replacement").text, /^a pod failing its liveness probe is restarted .*; failing readiness only takes a pod out of traffic/);
  });

  it("fails only the line of the workload or resource whose cloud resource broke a rule (by its logical name)", () => {
    const failing = (violations: Parameters<typeof reportWith>[0], patch?: Record<string, unknown>) =>
      Object.entries(statuses(modelPlan(example("aws"), { patch, report: reportWith(violations) }))).filter(([, s]) => s === "fail").map(([t]) => t);
    assert.deepEqual(failing([{ policy: "min-nodes", resourceName: "web-jobs-nodes" }]), ["worker jobs"]);
    assert.deepEqual(failing([{ policy: "lb-http-health-check", resourceName: "web-api-tg" }]), ["web api", "Replacement"]);
    assert.deepEqual(failing([{ policy: "database-replicated", resourceName: "web-db" }]), ["sql db"]);
    assert.deepEqual(failing([{ policy: "storage-versioning", resourceName: "web-files-bucket" }]), ["bucket files"]);
    // Advisory findings fail nothing; a shared resource (the network) fails only the shared lines.
    assert.deepEqual(failing([{ policy: "min-nodes", level: "advisory", resourceName: "web-jobs-nodes" }]), []);
    assert.deepEqual(failing([{ policy: "nodes-not-world-reachable", resourceName: "web-vpc" }]), ["Exposure"]);
    // The longest prefix wins: web-api-v2-nodes is api-v2's, not api's.
    const v2 = { workloads: { "api-v2": { kind: "web", image: "traefik/whoami:v1.10.1", port: 8080, path: "/v2" } } };
    assert.deepEqual(failing([{ policy: "min-nodes", resourceName: "web-api-v2-nodes" }], v2), ["web api-v2"]);
    assert.deepEqual(failing([{ policy: "min-nodes", resourceName: "web-api-nodes" }], v2), ["web api"]);
    // A name merely starting like an entry's prefix is not the entry's.
    assert.deepEqual(failing([{ policy: "min-nodes", resourceName: "web-apiary-nodes" }]), []);
  });

  it("beside the single service: its entries keep the stack's prefix and get what no added entry claims", () => {
    const jobs = { workloads: { jobs: { kind: "worker", image: "busybox:1.36", command: ["sleep", "infinity"] } } };
    const plan = (violations: Parameters<typeof reportWith>[0]) => modelPlan("aws", { patch: jobs, report: reportWith(violations) });
    assert.deepEqual(
      plan([]).summary.map((s) => s.topic),
      ["web web", "worker jobs", "Replacement", "Rollouts", "Load balancer", "sql database", "bucket bucket", "Exposure"],
    );
    const failing = (violations: Parameters<typeof reportWith>[0]) => Object.entries(statuses(plan(violations))).filter(([, s]) => s === "fail").map(([t]) => t);
    assert.deepEqual(failing([{ policy: "min-nodes", resourceName: "web-nodes" }]), ["web web"]);
    assert.deepEqual(failing([{ policy: "min-nodes", resourceName: "web-jobs-nodes" }]), ["worker jobs"]);
    assert.deepEqual(failing([{ policy: "database-backups", resourceName: "web-db" }]), ["sql database"]);
  });

  it("without a public web workload, no load balancer line to judge", () => {
    const plan = modelPlan(example("aws"), { patch: { workloads: { storefront: undefined, api: undefined } } });
    assert.deepEqual(plan.model.workloads.map((w) => w.name), ["discovery", "jobs"]);
    assert.deepEqual(topic(plan, "Load balancer"), { topic: "Load balancer", text: "none: no public web workload", rules: [], status: "n/a" });
  });

  it("keeps a single-service stack's lines exactly as they were", () => {
    for (const stack of ["aws", "gcp", "digitalocean", "kubernetes"]) {
      const plan = modelPlan(stack);
      assert.deepEqual(haSummary(plan.topology, [], plan.policy, plan.model), haSummary(plan.topology, [], plan.policy), stack);
      assert.equal(plan.summary[0].topic, "Nodes");
    }
  });
});

/** The class="…" groups of a services diagram, by their data attributes. */
const groups = (svg: string, cls: string) => [...svg.matchAll(new RegExp(`<g class="${cls}" data-name="([^"]*)" data-(?:tier|kind)="([^"]*)">`, "g"))].map(([, name, what]) => `${name} ${what}`);
const links = (svg: string, cls: string, a: string, b: string) =>
  [...svg.matchAll(new RegExp(`<line class="${cls}" data-${a}="([^"]*)" data-${b}="([^"]*)"`, "g"))].map(([, x, y]) => `${x} ${y}`);

/** The box of each workload or resource group, by name. */
function boxesOf(svg: string, cls: "workload" | "resource"): Map<string, { x: number; y: number; width: number; height: number }> {
  const found = [...svg.matchAll(new RegExp(`<g class="${cls}" data-name="([^"]*)"[^>]*>\\n<rect class="${cls}-box" x="(\\d+)" y="(\\d+)" width="(\\d+)" height="(\\d+)"`, "g"))];
  return new Map(found.map(([, name, x, y, width, height]) => [name, { x: Number(x), y: Number(y), width: Number(width), height: Number(height) }]));
}

/** Each line of a class with its data attributes and end points. */
function lines(svg: string, cls: string): { data: string[]; x1: number; y1: number; x2: number; y2: number }[] {
  return [...svg.matchAll(new RegExp(`<line class="${cls}" data-[a-z]+="([^"]*)" data-[a-z]+="([^"]*)" x1="(-?\\d+)" y1="(-?\\d+)" x2="(-?\\d+)" y2="(-?\\d+)"`, "g"))].map(
    ([, a, b, x1, y1, x2, y2]) => ({ data: [a, b], x1: Number(x1), y1: Number(y1), x2: Number(x2), y2: Number(y2) }),
  );
}

/** Asserts every route ends on its workload's box and every `uses` line runs from the workload's box to the resource's. */
function assertLinked(svg: string): void {
  const workloads = boxesOf(svg, "workload");
  const resources = boxesOf(svg, "resource");
  const within = (x: number, box: { x: number; width: number }) => x > box.x && x < box.x + box.width;
  for (const route of lines(svg, "route")) {
    const to = workloads.get(route.data[1])!;
    assert.ok(within(route.x2, to) && route.y2 === to.y, `route ${route.data.join(" ")} does not end on its workload's box`);
  }
  const uses = lines(svg, "uses");
  assert.ok(uses.length > 0);
  assert.equal(uses.length, (svg.match(/<line class="uses"/g) ?? []).length, "a uses line without whole-number end points");
  assert.equal(lines(svg, "route").length, (svg.match(/<line class="route"/g) ?? []).length, "a route without whole-number end points");
  for (const use of uses) {
    const [from, to] = [workloads.get(use.data[0])!, resources.get(use.data[1])!];
    assert.ok(within(use.x1, from) && use.y1 === from.y + from.height, `${use.data.join(" uses ")} does not start on the workload's box`);
    assert.ok(within(use.x2, to) && use.y2 === to.y, `${use.data.join(" uses ")} does not end on the resource's box`);
  }
  // Two lines never end at the same point of a resource, nor start at the same point of a workload.
  assert.equal(new Set(uses.map((u) => `${u.x2},${u.y2}`)).size, uses.length);
  assert.equal(new Set(uses.map((u) => `${u.x1},${u.y1}`)).size, uses.length);
}

describe("several workloads: the diagram", () => {
  for (const cloud of clouds) {
    it(`${cloud}: the routes on the load balancer(s), the three tiers and who uses which resource`, () => {
      const diagram = diagramModel(modelPlan(example(cloud)));
      assert.ok("layout" in diagram && diagram.layout === "services");
      const svg = renderSvg(diagram);
      assert.deepEqual(groups(svg, "workload"), ["storefront public", "api public", "discovery internal", "jobs worker"]);
      assert.deepEqual([...svg.matchAll(/<g class="tier" data-tier="([^"]*)">/g)].map((m) => m[1]), ["public", "internal", "worker"]);
      assert.deepEqual(groups(svg, "resource"), ["db sql", "files bucket", "secret-key secret"]);
      assert.equal((svg.match(/class="load-balancer"/g) ?? []).length, cloud === "digitalocean" ? 2 : 1);
      const api = cloud === "digitalocean" ? "api.shop.example.com/" : "shop.example.com/api";
      assert.deepEqual(links(svg, "route", "route", "workload"), ["shop.example.com/ storefront", `${api} api`]);
      assert.deepEqual(links(svg, "uses", "workload", "resource").sort(), [
        "api db", "api files", "api secret-key", "discovery db", "jobs db", "jobs files", "jobs secret-key", "storefront secret-key",
      ]);
      for (const text of ["internal: DISCOVERY_URL", "worker: no load balancer", `${api} → api`, "shop.example.com/ → storefront", "used by api, discovery, jobs", "ready GET /api/ready · live GET /api/health", `stops within ${jobsStopTimeout(cloud)} s`, "Workers (no load balancer)"]) {
        assert.ok(svg.includes(text), `${cloud}: ${text} missing`);
      }
      assertLinked(svg);
      // resvg's parser is strict: a malformed document throws.
      assert.doesNotThrow(() => new Resvg(svg));
      assert.equal(svg, renderSvg(structuredClone(diagram)), "deterministic");
    });
  }

  it("draws no clients or load balancer without a public web workload", () => {
    const svg = renderSvg(diagramModel(modelPlan(example("gcp"), { patch: { workloads: { storefront: undefined, api: undefined } } })));
    for (const cls of ["clients", "load-balancer", "route"]) assert.ok(!svg.includes(`class="${cls}"`), cls);
    assert.deepEqual(groups(svg, "workload"), ["discovery internal", "jobs worker"]);
  });

  it("escapes every text and keeps long values to one line", () => {
    const diagram = diagramModel(modelPlan(example("aws"))) as ServicesDiagram;
    const nasty = `<&>"'`;
    const hostile: ServicesDiagram = {
      ...diagram,
      title: nasty,
      caption: nasty,
      workloads: diagram.workloads.map((w) => ({ ...w, lines: [...w.lines, nasty] })),
      resources: diagram.resources.map((r) => ({ ...r, lines: [...r.lines, nasty] })),
    };
    const svg = renderSvg(hostile);
    assert.ok(!svg.includes(nasty));
    assert.doesNotThrow(() => new Resvg(svg));
    const long = diagramModel(modelPlan(example("aws"), { patch: { workloads: { jobs: { command: ["sh", "-c", "x".repeat(300)] } } } })) as ServicesDiagram;
    const jobs = long.workloads.find((w) => w.name === "jobs")!;
    assert.ok(jobs.lines.every((l) => [...l].length <= 56), jobs.lines.join("\n"));
    assert.ok(jobs.lines.some((l) => l.endsWith("…")));
  });

  it("keeps a single-service stack's diagram as it was", () => {
    for (const stack of ["aws", "gcp", "digitalocean", "kubernetes"]) {
      const plan = modelPlan(stack);
      assert.deepEqual(diagramModel(plan), singleServiceDiagram(plan), stack);
    }
  });
});

describe("several workloads: each example planned for real", () => {
  for (const cloud of clouds) {
    it(`${cloud}: npm run plan -- ${example(cloud)} shows every workload and resource, with zero mandatory violations`, async function () {
      const plan = await planStack(`${cloud}-services`, { stackFile: example(cloud) });
      assert.deepEqual(plan.policy.violations.filter((v) => v.level === "mandatory"), []);
      // The program's model is the one the views were tested on above.
      assert.deepEqual(plan.model, modelPlan(example(cloud)).model);
      const text = formatPlan(plan);
      for (const line of ["\nWorkloads (4)\n", "internal: DISCOVERY_URL", "worker: no load balancer", "\nNamed resources (3)\n", "Result: no mandatory violation."]) assert.ok(text.includes(line), line);
      // The plan says what the stack outputs: each public web's URL, a private one for the internal web, none for the worker.
      const outputs = plan.outputs.workloads as Record<string, { url?: string }>;
      for (const w of topologyView(plan.model).workloads) {
        if (w.tier === "public") assert.equal(outputs[w.name].url, w.entry, w.name);
        else if (w.tier === "internal") assert.match(String(outputs[w.name].url), /^https?:\/\//, w.name);
        else assert.equal(outputs[w.name].url, undefined, w.name);
      }
      // No line of the summary fails, and each workload's line judges its own node group.
      assert.deepEqual(plan.summary.filter((s) => s.status === "fail"), []);
      for (const w of ["web storefront", "web api", "internal discovery", "worker jobs"]) assert.equal(topic(plan, w).status, "pass", w);
      // The platform names every cloud resource of an entry `<name>-<entry>-…` (compose.ts logicalName),
      // which is how a violation finds its line: break a rule on one of the worker's resources.
      const jobsResource = plan.resources.find((r) => r.name.startsWith(`${plan.topology.name}-jobs`));
      assert.ok(jobsResource, "no registered resource is named after the worker jobs");
      const broken = haSummary(plan.topology, plan.resources, reportWith([{ policy: "min-nodes", resourceName: jobsResource.name, urn: jobsResource.urn }]), plan.model);
      assert.deepEqual(broken.filter((s) => s.status === "fail").map((s) => s.topic), ["worker jobs"]);
      const svg = renderSvg(diagramModel(plan));
      assert.equal(links(svg, "uses", "workload", "resource").length, 8);
      assert.equal((svg.match(/class="load-balancer"/g) ?? []).length, cloud === "digitalocean" ? 2 : 1);
    });
  }
});
