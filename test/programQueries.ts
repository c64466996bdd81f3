/**
 * Runs an example stack's program under mocks and queries what it registered: the
 * adapter tests of every cloud share these.
 */
import { strict as assert } from "node:assert";
import { mockState } from "../automation/offline/cloudState";
import { isSecretValue, runWithMocks, type ProgramRun, type RegisteredResource } from "../automation/offline/mocks";
import { loadStackConfig, stackConfigWith } from "../automation/stackFiles";
import { decodedUserData } from "./userDataView";

/** Every string of a value that is not under a secret wrapper (where a secret would show in plain text). */
export function plainStrings(value: unknown, out: string[] = []): string[] {
  if (isSecretValue(value)) return out;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => plainStrings(v, out));
  else if (typeof value === "object" && value !== null) Object.values(value).forEach((v) => plainStrings(v, out));
  return out;
}

/** Qualifies bare keys with the `ha-topology` namespace. */
export const ns = (patch: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(patch).map(([k, v]) => [k.includes(":") ? k : `ha-topology:${k}`, v]));

/** Runs an example stack with some keys changed (bare keys are `ha-topology:` keys); fails on program errors. */
export async function runStack(stack: string, patch: Record<string, unknown> = {}): Promise<Program> {
  const run = await runWithMocks(Object.keys(patch).length ? stackConfigWith(stack, ns(patch)) : loadStackConfig(stack));
  if (run.error) throw run.error;
  return new Program(run);
}

/** Queries over one run's registered resources. */
export class Program {
  constructor(readonly run: ProgramRun) {}
  all(type: string): RegisteredResource[] {
    return this.run.resources.filter((r) => r.type === type);
  }
  one(type: string, nameSuffix?: string): RegisteredResource {
    const matches = this.all(type).filter((r) => nameSuffix === undefined || r.name.endsWith(nameSuffix));
    assert.equal(matches.length, 1, `expected one ${type}${nameSuffix ? ` named *${nameSuffix}` : ""}, found ${matches.map((m) => m.name).join(", ") || "none"}`);
    return matches[0];
  }
  /** A resource's outputs as the mocked provider reported them (physical name, ARN, ...). */
  state(r: RegisteredResource): Record<string, any> {
    return mockState(r.type, r.name, r.inputs);
  }
  /** The id the mocks gave a resource (how other resources reference it). */
  id(r: RegisteredResource): string {
    return `${r.name}-id`;
  }
  /** True when `from`'s input `prop` came from `to` (the engine's property dependencies). */
  links(from: RegisteredResource, prop: string, to: RegisteredResource): boolean {
    return (from.propertyDependencies[prop] ?? []).includes(to.urn);
  }
  get outputs(): Record<string, any> {
    return this.run.outputs ?? {};
  }
  /**
   * The nodes' cloud-config user data, readable: its write_files contents decoded from
   * base64 in place (see userDataView.ts). `rawUserData()` is the exact text cloud-init gets.
   */
  userData(): string {
    return decodedUserData(this.rawUserData());
  }
  /** The nodes' cloud-config user data exactly as cloud-init reads it (base64 on AWS removed, plain metadata on GCP). */
  rawUserData(): string {
    const lt = this.all("aws:ec2/launchTemplate:LaunchTemplate")[0];
    if (lt) return Buffer.from(lt.inputs.userData, "base64").toString("utf8");
    return this.one("gcp:compute/instanceTemplate:InstanceTemplate").inputs.metadata["user-data"];
  }
  /** Asserts every resource sits under the HaService component (the first link of its parent chain). */
  assertAllUnderService(): void {
    for (const r of this.run.resources.filter((x) => x.type !== "ha-topology:index:HaService")) {
      assert.equal(r.parents[0], "ha-topology:index:HaService", `${r.type} ${r.name}`);
    }
  }
  /** The cloud-config user data of one DigitalOcean droplet, its files decoded (see `userData()`). */
  userDataOf(droplet: RegisteredResource): string {
    return decodedUserData(droplet.inputs.userData);
  }
  /** The cloud-config user data of one DigitalOcean droplet, exactly as cloud-init reads it. */
  rawUserDataOf(droplet: RegisteredResource): string {
    return droplet.inputs.userData;
  }
  /** The IAM statements granted to the AWS nodes (the mocked policy document echoes them). */
  nodeStatements(): { sid: string; actions: string[]; resources: string[] } [] {
    return JSON.parse(this.one("aws:iam/rolePolicy:RolePolicy").inputs.policy).statements;
  }
}
