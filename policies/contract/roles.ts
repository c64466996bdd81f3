/**
 * The roles contract: the names the platforms (components/) and the ha-guard policy pack
 * (policies/) agree on to say what a compute group is for. The library never imports from
 * policies/ and the pack never imports a cloud SDK, so this file imports nothing.
 *
 * The pack is published as its own folder (`pulumi policy publish` uploads policies/ only),
 * so it carries a verbatim copy of this file in policies/contract/roles.ts; a test fails
 * when the two differ (`cp contract/roles.ts policies/contract/roles.ts` syncs them).
 *
 * What the pack does with each role:
 * - `web`: serves clients; it must have a load balancer in front of it (as an untagged group).
 * - `worker`: takes work from a queue, no load balancer: judged by node count and zone
 *   spread only (no load balancer, health-check, autohealing or rollout rules).
 * - `cron`: runs scheduled jobs: must be single-flight (one node, or several that take the
 *   lease the group declares, see `leaseTag`), not judged by the serving rules or node count.
 * - `internal`: serves other workloads inside the network (a proxy in front of a data
 *   store): judged by node count and zone spread, not by the load balancer rules.
 * Untagged groups are judged by what they are connected to.
 */

/** The roles a compute group can have. */
export const roles = ["web", "worker", "cron", "internal"] as const;

/** A compute group's role. */
export type Role = (typeof roles)[number];

/** True for one of the four role names. */
export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (roles as readonly string[]).includes(value);
}

/**
 * The role key as an AWS tag key (on the Auto Scaling group, its launch template's
 * tagSpecifications, or an instance's tags): `ha-topology:role = worker`.
 */
export const roleTag = "ha-topology:role";

/**
 * The role key as a GCP label key (on the instance template, the MIG's
 * allInstancesConfig, or an instance). GCP label keys allow only lowercase letters, digits,
 * `_` and `-`, so the colon becomes a dash: `ha-topology-role = worker`.
 */
export const gcpRoleLabel = "ha-topology-role";

/**
 * The role as a DigitalOcean droplet tag. DigitalOcean tags are single strings (letters,
 * digits, colons, dashes, underscores), so the key and the value are joined:
 * `ha-topology:role:worker`.
 */
export function digitaloceanRoleTag(role: Role): string {
  return `${roleTag}:${role}`;
}

/**
 * The role key as a Kubernetes label or annotation key (on the Deployment, or its pod
 * template). Kubernetes keys are `prefix/name` and allow no colon: `ha-topology/role: worker`.
 */
export const kubernetesRoleKey = "ha-topology/role";

/**
 * The older Kubernetes annotation `ha-guard/internal: "true"`, kept as an alias of role
 * `internal` (the Kubernetes session store's HAProxy carries it).
 */
export const internalAnnotation = "ha-guard/internal";

/**
 * The leases a group of `cron` nodes can take so that exactly one node runs each tick: the
 * store (in the topology's database or cache) in which the nodes race for a per-tick lock.
 * A node group cannot show from its inputs that its jobs take a lock, so the platform that
 * runs jobs from several nodes declares the lease on the group, and the pack's
 * `jobs-single-flight` fails a `cron` group of more than one node without it.
 */
export const leases = ["postgres", "valkey"] as const;

/** A lease store. */
export type Lease = (typeof leases)[number];

/** True for one of the lease store names. */
export function isLease(value: unknown): value is Lease {
  return typeof value === "string" && (leases as readonly string[]).includes(value);
}

/**
 * The lease key as an AWS tag key (where the role tag goes: the Auto Scaling group, its
 * launch template's instance tagSpecifications, or an instance): `ha-topology:lease = postgres`.
 */
export const leaseTag = "ha-topology:lease";

/** The lease key as a GCP label key (where the role label goes): `ha-topology-lease = postgres`. */
export const gcpLeaseLabel = "ha-topology-lease";

/** The lease as a DigitalOcean droplet tag (key and value joined): `ha-topology:lease:postgres`. */
export function digitaloceanLeaseTag(lease: Lease): string {
  return `${leaseTag}:${lease}`;
}

/** The lease key as a Kubernetes label or annotation key (where the role key goes): `ha-topology/lease: postgres`. */
export const kubernetesLeaseKey = "ha-topology/lease";

/**
 * A static site's files (issue 17): served to everyone by a CDN, so public on purpose.
 * Not a compute group's role: it marks the objects of a bucket a CDN serves, where the
 * CDN has no origin access control (DigitalOcean's Spaces CDN fetches anonymously, so a
 * site's objects must be `public-read`). The pack's storage-private accepts a public object
 * that declares it, in a bucket whose listing stays private and which a CDN serves; any
 * other public object is a finding.
 */
export const siteRole = "site";

/**
 * The object metadata key a Spaces object declares `siteRole` with (Spaces buckets and
 * objects carry no tags): S3 user metadata, sent as `x-amz-meta-ha-topology-role: site`.
 * Lower case: S3 metadata keys are case-insensitive, and the provider accepts lower case only.
 */
export const spacesObjectRoleMetadata = "ha-topology-role";

/**
 * The DigitalOcean node healer (issue 19): an App Platform App one of whose workers has
 * this environment variable, whose value lists the load balancers' droplet tags (the
 * serving tags) it heals, comma-separated. DigitalOcean has no autohealing primitive, so
 * the pack's nodes-autoheal accepts droplets behind a load balancer only when such an App
 * covers the load balancer's tag (components/platforms/digitalocean/healerApp.ts deploys it).
 */
export const digitaloceanHealerMarker = "HA_TOPOLOGY_HEALER";
