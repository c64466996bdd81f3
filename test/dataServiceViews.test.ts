/**
 * What the plan's views say of a document database and a broker (issue 18), per cloud,
 * from the model: the diagram's resource boxes name the service that runs them and how it
 * stays up, and the summary lines name the rules that judge them.
 */
import { strict as assert } from "node:assert";
import { renderSvg } from "../automation/diagram";
import { servicesDiagram } from "../automation/diagramModel";
import { dataServices } from "../automation/topologyView";
import { capabilities } from "../components/model/capabilities";
import { modelPlan } from "./modelPlan";

for (const cloud of ["aws", "gcp", "digitalocean", "kubernetes"] as const) {
  describe(`plan views of a document database and a broker on ${cloud}`, function () {
    const rabbit = capabilities[cloud].queueEngines.includes("rabbitmq");
    const resources = { events: { kind: "document" }, broker: { kind: "queue", engine: rabbit ? "rabbitmq" : "valkey" } };
    const plan = () => modelPlan(`stacks/examples/Pulumi.${cloud}-services.yaml`, { patch: { resources } });

    it("draws both, with the service that runs them and who uses them", function () {
      const diagram = servicesDiagram(plan());
      const events = diagram.resources.find((r) => r.name === "events");
      const broker = diagram.resources.find((r) => r.name === "broker");
      assert.ok(events && broker, diagram.resources.map((r) => r.name).join(", "));
      assert.equal(events.lines[0], "events · document");
      assert.ok(events.lines.some((l) => l.startsWith(dataServices[cloud].document.slice(0, 20))), events.lines.join(" | "));
      assert.ok(events.lines.some((l) => (cloud === "gcp" ? /replicated over 3 zones/ : /members over zones · TLS · backups 7 d/).test(l)), events.lines.join(" | "));
      assert.equal(broker.lines[0], "broker · queue");
      assert.ok(broker.lines.some((l) => l.startsWith((rabbit ? dataServices[cloud].rabbitmq : dataServices[cloud].valkey).slice(0, 20))), broker.lines.join(" | "));
      assert.match(events.lines.at(-1)!, /^used by /);
      const svg = renderSvg(diagram);
      assert.ok(svg.includes(`data-name="events"`) && svg.includes(`data-name="broker"`));
    });

    it("gives each a summary line with the rules that judge it", function () {
      const summary = plan().summary;
      const events = summary.find((l) => l.topic === "document events");
      const broker = summary.find((l) => l.topic === "queue broker");
      assert.ok(events && broker, summary.map((l) => l.topic).join(", "));
      assert.deepEqual(events.rules, ["document-replicated", "document-private", "document-encrypted", "document-backups", "document-deletion-protection"]);
      assert.match(events.text, /7 days of backups; TLS; private; deletion protected/);
      if (rabbit) assert.deepEqual(broker.rules, ["queue-replicated", "queue-private", "queue-encrypted"]);
      assert.match(broker.text, rabbit ? /RabbitMQ/ : /never evicting/);
    });
  });
}
