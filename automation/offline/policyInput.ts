/**
 * Bridges the mocks harness and the in-process policy runner: the resources a program
 * registered under mocks, in the form the runner (like the policy SDK) expects.
 */
import type { StackResource } from "../../policies/runner";
import type { ProgramRun } from "./mocks";

/** The resources of a mocked program run, as the policy runner takes them. */
export function stackResources(run: ProgramRun): StackResource[] {
  return run.resources.map((r) => ({
    type: r.type,
    name: r.name,
    urn: r.urn,
    inputs: r.inputs,
    outputs: r.outputs,
    parent: r.parentUrn,
    dependencies: r.dependencies,
    propertyDependencies: r.propertyDependencies,
    protect: r.protect,
  }));
}
