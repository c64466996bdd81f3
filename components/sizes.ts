/**
 * Size presets: what `small`, `medium` and `large` mean on each cloud, and what a
 * provider-native size looks like there. One table, so that a preset means the same
 * class of machine everywhere and the cheapest preset is still highly available
 * (every database size here supports a standby replica).
 */

/** The clouds an adapter exists for (the values of `ha-topology:cloud`). */
export const clouds = ["aws", "gcp", "digitalocean", "kubernetes"] as const;
/** One of the supported clouds. */
export type Cloud = (typeof clouds)[number];

/** The portable size names. */
export const sizePresets = ["small", "medium", "large"] as const;
/** A portable size name. */
export type SizePreset = (typeof sizePresets)[number];

/**
 * What a size is for: the app nodes, the database, the session store (and a Valkey
 * broker), a document database's members, or a RabbitMQ broker's nodes.
 */
export type SizeRole = "node" | "database" | "sessions" | "document" | "queue";

/** The provider-native sizes behind one preset. */
type PresetRow = Record<SizeRole, string>;

const presets: Record<Cloud, Record<SizePreset, PresetRow>> = {
  aws: {
    // Burstable x86 for nodes (any container image runs on it); Graviton for the
    // managed services, where the architecture is invisible and cheaper.
    small: { node: "t3.small", database: "db.t4g.micro", sessions: "cache.t4g.micro", document: "db.t4g.medium", queue: "mq.m5.large" },
    medium: { node: "t3.medium", database: "db.t4g.medium", sessions: "cache.t4g.medium", document: "db.r6g.large", queue: "mq.m5.xlarge" },
    large: { node: "m6i.large", database: "db.m6g.large", sessions: "cache.m6g.large", document: "db.r6g.xlarge", queue: "mq.m5.2xlarge" },
  },
  gcp: {
    // Cloud SQL HA needs a dedicated-core tier; Memorystore sizes are in GiB.
    small: { node: "e2-small", database: "db-custom-1-3840", sessions: "1", document: "serverless", queue: "none" },
    medium: { node: "e2-medium", database: "db-custom-2-7680", sessions: "2", document: "serverless", queue: "none" },
    large: { node: "e2-standard-2", database: "db-custom-4-15360", sessions: "5", document: "serverless", queue: "none" },
  },
  digitalocean: {
    // Managed database standby nodes need a plan with at least 2 GiB of memory.
    small: { node: "s-1vcpu-1gb", database: "db-s-1vcpu-2gb", sessions: "db-s-1vcpu-2gb", document: "db-s-1vcpu-2gb", queue: "none" },
    medium: { node: "s-2vcpu-4gb", database: "db-s-2vcpu-4gb", sessions: "db-s-2vcpu-4gb", document: "db-s-2vcpu-4gb", queue: "none" },
    large: { node: "s-4vcpu-8gb", database: "db-s-4vcpu-8gb", sessions: "db-s-4vcpu-8gb", document: "db-s-4vcpu-8gb", queue: "none" },
  },
  kubernetes: {
    // "cpu/memory" requests per pod; limits are derived by the adapter.
    small: { node: "250m/256Mi", database: "500m/1Gi", sessions: "100m/128Mi", document: "500m/1Gi", queue: "250m/512Mi" },
    medium: { node: "500m/512Mi", database: "1/2Gi", sessions: "250m/256Mi", document: "1/2Gi", queue: "500m/1Gi" },
    large: { node: "1/1Gi", database: "2/4Gi", sessions: "500m/512Mi", document: "2/4Gi", queue: "1/2Gi" },
  },
};

const kubernetesResources = /^(\d+m|\d+(\.\d+)?)\/\d+(Ki|Mi|Gi)$/;

/** A native size that has the right shape but that the cloud cannot use for this role. */
type SizeLimit = (size: string) => string | undefined;

/** Memorystore for Redis (Standard tier) instances hold 1 to 300 GiB. */
const memorystoreRange: SizeLimit = (size) =>
  Number(size) > 300 ? "a Memorystore size from 1 to 300 (GiB), the range of the Standard tier (a replica in another zone)" : undefined;

/** DigitalOcean managed clusters get a standby node only on plans with 2 GiB of memory or more. */
const doStandbyPlan: SizeLimit = (size) =>
  /^db-s-1vcpu-1gb$/.test(size) ? 'a plan with at least 2 GiB of memory, such as "db-s-1vcpu-2gb" (1 GiB clusters cannot have a standby node)' : undefined;

/** Amazon MQ runs a RabbitMQ cluster (three nodes over three zones) on the m5/m7g types only, not on mq.t3.micro. */
const amazonMqClusterType: SizeLimit = (size) =>
  /^mq\.t/.test(size) ? 'a non-burstable type such as "mq.m5.large" (Amazon MQ runs mq.t3.micro as a single instance only, never as a cluster over zones)' : undefined;

/** What a provider-native size must look like, per cloud and role, with an example (and limits the shape cannot say). */
const nativeSizes: Record<Cloud, Record<SizeRole, { pattern: RegExp; example: string; limit?: SizeLimit }>> = {
  aws: {
    node: { pattern: /^[a-z][a-z0-9-]*\.[a-z0-9]+$/, example: "t3.large" },
    database: { pattern: /^db\.[a-z][a-z0-9-]*\.[a-z0-9]+$/, example: "db.r6g.large" },
    sessions: { pattern: /^cache\.[a-z][a-z0-9-]*\.[a-z0-9]+$/, example: "cache.r7g.large" },
    document: { pattern: /^db\.[a-z][a-z0-9-]*\.[a-z0-9]+$/, example: "db.r6g.large" },
    queue: { pattern: /^mq\.[a-z][a-z0-9-]*\.[a-z0-9]+$/, example: "mq.m5.large", limit: amazonMqClusterType },
  },
  gcp: {
    node: { pattern: /^[a-z][a-z0-9]*-[a-z0-9-]+$/, example: "n2-standard-2" },
    database: { pattern: /^db-(custom-\d+-\d+|[a-z0-9]+-[a-z0-9-]+)$/, example: "db-custom-2-7680" },
    sessions: { pattern: /^[1-9]\d{0,2}$/, example: "10 (GiB)", limit: memorystoreRange },
    // Firestore is serverless; Google Cloud runs no RabbitMQ (the parser refuses that engine there).
    document: { pattern: /^serverless$/, example: "serverless" },
    queue: { pattern: /^none$/, example: "none" },
  },
  digitalocean: {
    node: { pattern: /^[a-z][a-z0-9_]*-[a-z0-9-]+$/, example: "s-2vcpu-2gb" },
    database: { pattern: /^(db|gd|so1_5|m)-[a-z0-9-]+$/, example: "db-s-2vcpu-4gb", limit: doStandbyPlan },
    sessions: { pattern: /^(db|gd|so1_5|m)-[a-z0-9-]+$/, example: "db-s-2vcpu-4gb", limit: doStandbyPlan },
    document: { pattern: /^(db|gd|so1_5|m)-[a-z0-9-]+$/, example: "db-s-2vcpu-4gb", limit: doStandbyPlan },
    queue: { pattern: /^none$/, example: "none" },
  },
  kubernetes: {
    node: { pattern: kubernetesResources, example: "500m/512Mi" },
    database: { pattern: kubernetesResources, example: "1/2Gi" },
    sessions: { pattern: kubernetesResources, example: "250m/256Mi" },
    document: { pattern: kubernetesResources, example: "1/2Gi" },
    queue: { pattern: kubernetesResources, example: "500m/1Gi" },
  },
};

/** True when `size` is a preset name rather than a provider-native size. */
export function isPreset(size: string): size is SizePreset {
  return (sizePresets as readonly string[]).includes(size);
}

/**
 * Checks a size (preset or native) for a cloud and role; returns what is allowed when
 * it does not fit, or undefined when it does.
 */
export function checkSize(cloud: Cloud, role: SizeRole, size: string): string | undefined {
  if (isPreset(size)) return undefined;
  const native = nativeSizes[cloud][role];
  if (native.pattern.test(size)) return native.limit?.(size);
  return `${sizePresets.join(", ")} or a ${cloud} ${role} size such as "${native.example}"`;
}

/** Resolves a preset to the cloud's native size; native sizes pass through unchanged. */
export function resolveSize(cloud: Cloud, role: SizeRole, size: string): string {
  return isPreset(size) ? presets[cloud][size][role] : size;
}
