/**
 * What can never work on a VM cloud (aws, gcp, digitalocean) once a stack has several
 * node groups: a workload whose user data alone is over the cloud's limit, and a network
 * whose node subnets cannot hold every group's nodes during a rolling replacement. Both
 * are lower bounds, as the single-service checks (topology.ts `vmChecks`, `networkChecks`)
 * are: what is refused here can never deploy; the exact user data size is checked again
 * when a platform renders it (nodeUserData.ts).
 */
import { renderCloudConfig } from "../bootstrap";
import { blockSize, hasHostBits } from "../cidr";
import { configNamespace, describeValue, secretMask } from "../configError";
import { nodeSubnets, type Topology } from "../topology";
import { base64Bytes, isVmCloud, userDataLimits, type VmCloud } from "../userDataLimits";
import { isSecretEnv, resourceBinding, type BindingProblem } from "./bindings";
import { isServiceWorkload, type Model, type ServiceWorkload, type Workload } from "./model";

/** A lower bound of one workload's user data, and the user's parts of it. */
export interface UserDataEstimate {
  /** The whole user data, at least. */
  bytes: number;
  /** The workload's own env entries. */
  env: number;
  /** What they take in it (on DigitalOcean, the secret ones too). */
  envBytes: number;
  /** The shared secrets it carries (DigitalOcean: app secrets and generated secrets). */
  secrets: number;
  /** What they take in it. */
  secretBytes: number;
}

/**
 * A lower bound of one workload's user data from the user's values alone: its image,
 * port, command and its own plain `env` (references count as empty: their values only
 * add), and on DigitalOcean, which carries secrets in the user data, its secret `env`
 * entries, the app secrets and the generated secrets it uses (their length is known).
 * Undefined when a value cannot be rendered (the schema refuses it on its own key).
 */
export function workloadUserDataEstimate(model: Model, workload: Workload, appSecrets: Record<string, string>): UserDataEstimate | undefined {
  const cloud = model.cloud;
  // A job has no node group's user data of its own (its scheduler starts its runs).
  if (!isVmCloud(cloud) || !isServiceWorkload(workload)) return undefined;
  const embeds = cloud === "digitalocean";
  const literal = (name: string) => workload.env[name].filter((p): p is string => typeof p === "string").join("");
  const env: Record<string, string> = {};
  const secretEnv: Record<string, string> = {};
  const shared: Record<string, string> = {};
  for (const name of Object.keys(workload.env)) {
    if (!isSecretEnv(model, workload, name)) env[name] = literal(name);
    else if (embeds) secretEnv[name] = literal(name);
  }
  if (embeds) {
    Object.assign(shared, appSecrets);
    for (const r of model.resources) {
      if (r.kind === "secret" && workload.uses.includes(r.name)) shared[resourceBinding(r, cloud)[0].env] = "x".repeat(r.length);
    }
  }
  const embedded = { ...secretEnv, ...shared };
  let text: string;
  try {
    text = renderCloudConfig({
      image: workload.image,
      ...(workload.kind === "web" && { port: workload.port }),
      ...(workload.command && { command: workload.command }),
      env,
      secretSources: [],
      stopTimeoutSeconds: workload.stopTimeoutSeconds,
      packages: [],
      embeddedSecrets: Object.keys(embedded).length > 0 ? [{ description: "secrets", file: "secrets.json", values: embedded }] : [],
    });
  } catch {
    return undefined;
  }
  const json = (values: Record<string, string>) => (Object.keys(values).length > 0 ? base64Bytes(JSON.stringify(values)) : 0);
  return {
    bytes: Buffer.byteLength(text, "utf8"),
    env: Object.keys(workload.env).length,
    envBytes: base64Bytes(Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join("")) + json(secretEnv),
    secrets: Object.keys(shared).length,
    secretBytes: json(shared),
  };
}

/** One problem per workload of the maps whose user data alone is over its cloud's limit. */
export function userDataProblems(model: Model, appSecrets: Record<string, string>): BindingProblem[] {
  const cloud = model.cloud;
  if (!isVmCloud(cloud)) return [];
  const limit = userDataLimits[cloud];
  const problems: BindingProblem[] = [];
  for (const w of model.workloads) {
    if (w.origin !== "maps") continue;
    const estimate = workloadUserDataEstimate(model, w, appSecrets);
    if (!estimate || estimate.bytes <= limit.bytes) continue;
    const key = `workloads.${w.name}.env`;
    const parts = [
      `${key} (${estimate.env} variables) ${estimate.envBytes}`,
      ...(estimate.secrets > 0 ? [`secrets (${estimate.secrets}) ${estimate.secretBytes}`] : []),
      `the platform's boot files ${Math.max(0, estimate.bytes - estimate.envBytes - estimate.secretBytes)}`,
    ];
    const advice = cloud === "digitalocean"
      ? `keep large values out of ${key}, ${configNamespace}:secrets and secret resources (DigitalOcean secrets travel in the user data): put them in a bucket and pass their object names instead`
      : `move large values from ${key} to ${configNamespace}:secrets or a secret resource (read from the secret store at boot, not carried in the user data), or put them in a bucket`;
    const allowed = `user data of at most ${limit.bytes} bytes on ${cloud} (${limit.source}); workload ${w.name}'s nodes' user data would be at least ${estimate.bytes} bytes (${parts.join(", ")}): ${advice}`;
    // On the key that made it large: the workload's own env, or the secrets every workload shares.
    const onSecrets = estimate.secretBytes > estimate.envBytes;
    problems.push(onSecrets ? { path: ["secrets"], received: secretMask, allowed } : { path: ["workloads", w.name, "env"], received: `${estimate.env} variables (${estimate.envBytes} bytes in the user data)`, allowed });
  }
  return problems;
}

/** What one node group needs in the node subnets, for the message. */
interface GroupNeed {
  name: string;
  needs: number;
}

/**
 * The node subnets of a new network must hold every VM node group during a rolling
 * replacement, all at once (one update can roll them all: a rotated secret reaches every
 * workload that uses it). AWS: per zone, each group's share of its maxCount, twice; GCP:
 * each group's maxCount plus one surge node per zone, in the one regional subnet;
 * DigitalOcean: every droplet twice (each group runs exactly `count`, and a replaced
 * droplet is deleted at the end of the update), in the VPC's range. Checked only with
 * workloads in the maps: alone, the single service is checked by topology.ts (and when it
 * alone is over, that is the one line reported).
 */
export function networkSizeProblems(model: Model, topology: Pick<Topology, "network">): BindingProblem[] {
  const cloud = model.cloud;
  const network = topology.network;
  if (!isVmCloud(cloud) || !model.workloads.some((w) => w.origin === "maps") || hasHostBits(network.cidr)) return [];
  const prefix = Number(network.cidr.split("/")[1]);
  const groups = (needs: (w: ServiceWorkload) => number): GroupNeed[] => model.workloads.filter(isServiceWorkload).map((w) => ({ name: w.name, needs: needs(w) }));
  const check = (vm: VmCloud, holds: number, list: GroupNeed[], what: string): BindingProblem[] => {
    const total = list.reduce((sum, g) => sum + g.needs, 0);
    const single = list.find((g) => model.workloads.some((w) => w.name === g.name && w.origin === "single-service"));
    // The single service alone over the limit: topology.ts reports it, with today's words.
    if (total <= holds || (vm !== "digitalocean" && single && single.needs > holds)) return [];
    return [{ path: ["network", "cidr"], received: describeValue(network.cidr), allowed: `a larger range: ${what.replace("{holds}", String(holds)).replace("{total}", String(total))} (${list.map((g) => `${g.name} ${g.needs}`).join(", ")})` }];
  };
  if (cloud === "aws") {
    if (network.vpcId !== undefined) return [];
    const subnetPrefix = nodeSubnets.aws.prefix(network.cidr);
    // Too small for the load balancer: topology.ts refuses the range itself.
    if (subnetPrefix > 27) return [];
    return check("aws", nodeSubnets.aws.holds(subnetPrefix), groups((w) => nodeSubnets.aws.needs(w.maxCount, network.zones)),
      `each zone's /${subnetPrefix} subnet holds {holds} nodes, and the node groups' maxCount over network.zones need {total} per zone during a rolling replacement`);
  }
  if (cloud === "gcp") {
    return check("gcp", nodeSubnets.gcp.holds(prefix), groups((w) => nodeSubnets.gcp.needs(w.maxCount, network.zones)),
      `the /${prefix} subnet holds {holds} nodes, and the node groups' maxCount plus each rolling replacement's surge need {total}`);
  }
  return check("digitalocean", blockSize(prefix), groups((w) => w.count * 2),
    `the /${prefix} VPC has {holds} addresses, and the droplets need {total} during a rolling replacement (each group runs exactly count droplets, and a replaced droplet is deleted at the end of the update)`);
}
