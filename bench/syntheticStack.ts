/**
 * Synthetic stacks of any size for the policy benchmark and the policy scaling test:
 * copies of what the real program registers for a cloud's example stack (one highly
 * available service each), renamed so that every copy is a complete service of its own.
 *
 * The program names everything it registers after the service (`web-nodes`, `web-vpc-id`,
 * `.../targetgroup/web-tg/...`, namespace `web-test`, tag `ha-topology-web-test-serving`),
 * so renaming the service's name wherever it stands as a word renames URNs, logical names,
 * identifiers and every reference to them alike: copy 3 of `web` is service `c3web`, as if
 * the program had been run with that name, and no reference crosses from one copy to another.
 */
import { runWithMocks } from "../automation/offline/mocks";
import { stackResources } from "../automation/offline/policyInput";
import { loadStackConfig } from "../automation/stackFiles";
import type { StackResource } from "../policies/runner";

/** The clouds with an example stack (stacks/Pulumi.<cloud>.yaml). */
export const syntheticClouds = ["aws", "gcp", "kubernetes", "digitalocean"] as const;

/** A cloud the synthetic stacks are built for. */
export type SyntheticCloud = (typeof syntheticClouds)[number];

const serviceType = "ha-topology:index:HaService";

/** What the program registers for a cloud's example stack, under mocks. */
export async function exampleStack(cloud: SyntheticCloud): Promise<StackResource[]> {
  const run = await runWithMocks(loadStackConfig(cloud));
  if (run.error) throw run.error;
  return stackResources(run);
}

/** The service name a stack's resources are named after (its one HaService component). */
function serviceNameOf(one: readonly StackResource[]): string {
  const services = one.filter((r) => r.type === serviceType);
  if (services.length !== 1) throw new Error(`a stack to copy has one ${serviceType}, this one ${services.length}`);
  return services[0].name;
}

/** Renames the service `name` to `copyName` wherever it stands as a word, in any string of the value. */
export function renamer(name: string, copyName: string): (text: string) => string {
  const word = new RegExp(`(?<![A-Za-z0-9_])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9_])`, "g");
  return (text) => text.replace(word, copyName);
}

/** The name of copy `c` of a service. */
export function copyName(service: string, c: number): string {
  return `c${c}${service}`;
}

/**
 * `copies` renamed copies of one service's resources (copy c is service `c<c><name>`).
 * Type tokens never change (a rename that would touch one throws). That a copy is judged
 * exactly as the original is test/policies/scaling.test.ts's to check.
 */
export function copiesOf(one: readonly StackResource[], copies: number): StackResource[] {
  const service = serviceNameOf(one);
  const text = JSON.stringify(one);
  const resources: StackResource[] = [];
  for (let c = 0; c < copies; c++) {
    const copy = JSON.parse(renamer(service, copyName(service, c))(text)) as StackResource[];
    copy.forEach((r, i) => {
      if (r.type !== one[i].type) throw new Error(`renaming ${service} changed the type token ${one[i].type}`);
    });
    resources.push(...copy);
  }
  return resources;
}

/** About `size` resources of `cloud`: as many whole copies of its example stack as fit (at least one). */
export async function syntheticStack(cloud: SyntheticCloud, size: number): Promise<StackResource[]> {
  const one = await exampleStack(cloud);
  return copiesOf(one, Math.max(1, Math.round(size / one.length)));
}
