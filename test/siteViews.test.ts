/**
 * What the plan's views say of a static site (issue 17), per cloud, from the model: the
 * diagram's site box in its own tier with its route on the edge that serves it (CloudFront
 * in front of the ALB on AWS, Cloud CDN on GCP's load balancer, its own Spaces CDN host on
 * DigitalOcean, the Ingress on Kubernetes), and its summary line with the rules that judge
 * it. The capability table lets sites through here: the views do not depend on whether a
 * cloud's platform builds them yet.
 */
import { strict as assert } from "node:assert";
import { renderSvg } from "../automation/diagram";
import { servicesDiagram } from "../automation/diagramModel";
import { capabilities, type Capabilities } from "../components/model/capabilities";
import type { Cloud } from "../components/sizes";
import { modelPlan } from "./modelPlan";

const serving = (row: Capabilities): Capabilities => ({ ...row, workloads: [...row.workloads, "site"], comingKinds: {} });
const open: Record<Cloud, Capabilities> = { aws: serving(capabilities.aws), gcp: serving(capabilities.gcp), digitalocean: serving(capabilities.digitalocean), kubernetes: serving(capabilities.kubernetes) };

const edgeLabel: Record<Cloud, RegExp> = {
  aws: /^CloudFront → Application Load Balancer$/,
  gcp: /Cloud CDN$/,
  digitalocean: /^Spaces CDN$/,
  kubernetes: /Ingress/,
};

for (const cloud of ["aws", "gcp", "digitalocean", "kubernetes"] as const) {
  describe(`plan views of a static site on ${cloud}`, function () {
    const example = `stacks/examples/Pulumi.${cloud}-services.yaml`;
    // DigitalOcean serves a site on its own host; elsewhere the UI takes "/" and the storefront moves aside.
    // DigitalOcean serves it without SPA fallback (the Spaces CDN cannot rewrite).
    const ui = { kind: "site", source: "test/fixtures/site", ...(cloud === "digitalocean" ? { host: "ui.example.com", spa: false } : { spa: true }) };
    const workloads = cloud === "digitalocean" ? { ui } : { ui, storefront: { path: "/shop" } };
    const plan = () => modelPlan(example, { patch: { workloads }, capabilities: open });

    it("draws the site in its own tier, routed from the edge that serves it", function () {
      const diagram = servicesDiagram(plan());
      const box = diagram.workloads.find((w) => w.name === "ui");
      assert.ok(box, diagram.workloads.map((w) => w.name).join(", "));
      assert.equal(box.tier, "site");
      assert.equal(box.lines[0], "ui · site");
      assert.ok(box.lines.includes("files from test/fixtures/site"), box.lines.join(" | "));
      assert.equal(box.lines.some((l) => l.startsWith("SPA: unknown paths → index.html")), cloud !== "digitalocean", box.lines.join(" | "));
      const edge = diagram.loadBalancers.find((lb) => lb.routes.some((r) => r.workload === "ui"));
      assert.ok(edge, JSON.stringify(diagram.loadBalancers));
      assert.match(edge.label, edgeLabel[cloud]);
      const svg = renderSvg(diagram);
      assert.ok(svg.includes("Static sites (files behind the CDN)"));
      assert.ok(svg.includes(`<g class="workload" data-name="ui" data-tier="site">`));
      if (cloud === "digitalocean") assert.deepEqual(edge.routes, [{ route: "ui.example.com/", workload: "ui" }], "its own host, nothing else");
      else assert.ok(edge.routes.some((r) => r.workload === "api"), "the API shares the site's edge");
    });

    it("gives the site a summary line judged by the HTTPS, TLS and private-storage rules", function () {
      const line = plan().summary.find((l) => l.topic === "site ui");
      assert.ok(line);
      assert.deepEqual(line.rules, ["lb-https-only", "lb-tls-min-version", "storage-private"]);
      assert.match(line.text, cloud === "digitalocean" ? /files from test\/fixtures\/site; / : /files from test\/fixtures\/site, unknown paths answered with index\.html/);
      // DigitalOcean's site is another origin than the API's, so its bucket lets the web hosts read it by default.
      if (cloud !== "digitalocean") assert.match(line.text, /same origin only$/);
      const edge = plan().summary.find((l) => l.topic === "Load balancer")!;
      assert.equal(edge.text.startsWith("CloudFront for the hosts with a site, in front of one Application Load Balancer"), cloud === "aws", edge.text);
    });
  });
}
