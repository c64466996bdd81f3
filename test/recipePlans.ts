/** What the recipe tests share: a recipe's offline plan, and one line of its HA summary. */
import { strict as assert } from "node:assert";
import { planStack, type Plan } from "../automation/plan";

/** The offline plan of `stacks/examples/Pulumi.<system>-<cloud>.yaml`, under its own stack name. */
export function recipePlan(system: string, cloud: string): Promise<Plan> {
  return planStack(`${system}-${cloud}`, { stackFile: `stacks/examples/Pulumi.${system}-${cloud}.yaml` });
}

/** The plan's HA summary line on `topic`; fails naming the topics there are. */
export function summaryLine(plan: Plan, topic: string): Plan["summary"][number] {
  const found = plan.summary.find((s) => s.topic === topic);
  assert.ok(found, `no summary line ${topic} in ${plan.summary.map((s) => s.topic).join(", ")}`);
  return found;
}
