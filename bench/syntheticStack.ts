/**
 * A synthetic stack of any size for the policy benchmark: copies of the passing AWS
 * fixture (a whole highly available service each), renamed so references stay inside
 * their copy.
 */
import type { StackResource } from "../policies/runner";
import { awsFixture } from "../test/policies/fixtures/aws";
import { build } from "../test/policies/fixtures/builder";

/** About `size` resources: as many whole copies of the AWS fixture as fit (at least one). */
export function syntheticStack(size: number): StackResource[] {
  const one = build(awsFixture.passing);
  const copies = Math.max(1, Math.round(size / one.length));
  const resources: StackResource[] = [];
  for (let c = 0; c < copies; c++) {
    const rename = (s: string) => s.replace(/::([^:]+)$/, `::c${c}-$1`);
    for (const r of one) {
      resources.push({
        ...r,
        name: `c${c}-${r.name}`,
        urn: rename(r.urn),
        // Value references (`<name>-id`) become the copy's own.
        inputs: JSON.parse(JSON.stringify(r.inputs).replace(/"([a-z0-9-]+)-id"/g, `"c${c}-$1-id"`)),
        outputs: JSON.parse(JSON.stringify(r.outputs).replace(/"([a-z0-9-]+)-id"/g, `"c${c}-$1-id"`)),
        dependencies: (r.dependencies ?? []).map(rename),
        propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies ?? {}).map(([k, urns]) => [k, urns.map(rename)])),
      });
    }
  }
  return resources;
}
