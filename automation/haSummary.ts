/**
 * The HA summary of a plan: one line per promise of the product (nodes, replacement,
 * rollouts, load balancer, database, storage, sessions, exposure), written from the
 * topology, each with the ha-guard rules that check it on the registered resources and
 * their verdict. What is asked for and what is proven sit on the same line.
 */
import type { Topology } from "../components/topology";
import { resolveSize } from "../components/sizes";
import type { PolicyReport, StackResource } from "../policies/runner";

/** One line of the summary. */
export interface SummaryLine {
  /** What the line is about ("Nodes", "Database", ...). */
  topic: string;
  /** What the stack does, in words. */
  text: string;
  /** The rules that check it. */
  rules: string[];
  /**
   * "pass" when the rules found nothing mandatory, "fail" otherwise, "n/a" when none applied
   * (or the feature is off), "unchecked" when the stack has it but no ha-guard rule judges it,
   * "gap" when the stack does not keep the promise at all (a limit of the cloud, said in the text).
   */
  status: "pass" | "fail" | "n/a" | "unchecked" | "gap";
}

/**
 * The rules that judge each cloud's session store. ElastiCache has its own rule
 * (cache-replicated); DigitalOcean's (a managed Valkey DatabaseCluster) is checked by the
 * database rules as the database is. No rule judges Memorystore or the Kubernetes Valkey
 * StatefulSet; test/plan.test.ts breaks each store to keep this table true.
 */
export const sessionStoreRules: Record<Topology["cloud"], string[]> = {
  aws: ["cache-replicated"],
  gcp: [],
  digitalocean: ["database-replicated", "database-private", "database-backups", "database-deletion-protection"],
  kubernetes: [],
};

/** What each cloud's session store is, for the "not checked" note. */
const sessionStoreKind: Record<Topology["cloud"], string> = {
  aws: "ElastiCache replication groups",
  gcp: "Memorystore instances",
  digitalocean: "DigitalOcean Valkey clusters",
  kubernetes: "the Valkey StatefulSet",
};

/** True for a resource registered by a SessionStore component (the URN's last type is its parent's). */
function inSessionStore(resources: readonly StackResource[]): (urn: string | undefined) => boolean {
  const store = new Set(resources.filter((r) => /:SessionStore::[^:]*$/.test(r.parent ?? "")).map((r) => r.urn));
  return (urn) => urn !== undefined && store.has(urn);
}

/** How each cloud makes the database highly available. */
const databaseHa: Record<Topology["cloud"], string> = {
  aws: "Multi-AZ standby with automatic failover",
  gcp: "REGIONAL instance with a standby in another zone",
  digitalocean: "cluster with a standby node and automatic failover",
  kubernetes: "CloudNativePG cluster with a streaming standby",
};

/** The zones the nodes run in: the subnets' zones where the stack has them, else numbered zones. */
export function zoneNames(topology: Topology, resources: readonly StackResource[]): string[] {
  // DigitalOcean regions have no zones; a Kubernetes cluster's zones are the scheduler's business.
  if (topology.cloud === "digitalocean" || topology.cloud === "kubernetes") return [];
  // AWS: the private subnets' zones; GCP: the zones the regional instance group is pinned to.
  const found = [
    ...new Set(
      resources.flatMap((r) =>
        r.type === "aws:ec2/subnet:Subnet" && r.name.includes("-private-") ? [r.inputs.availabilityZone]
        : r.type === "gcp:compute/regionInstanceGroupManager:RegionInstanceGroupManager" && Array.isArray(r.inputs.distributionPolicyZones) ? r.inputs.distributionPolicyZones
        : [],
      ),
    ),
  ].filter((z): z is string => typeof z === "string");
  return found.length > 0 ? found : Array.from({ length: topology.network.zones }, (_, i) => `zone ${i + 1}`);
}

/** A line's verdict from its rules, counting only the violations on resources `about` accepts (all by default). */
function status(report: PolicyReport, rules: string[], about: (urn: string | undefined) => boolean = () => true): SummaryLine["status"] {
  if (report.violations.some((v) => v.level === "mandatory" && rules.includes(v.policy) && about(v.urn))) return "fail";
  const notApplicable = new Set(report.notApplicable.map((n) => n.policy));
  return rules.every((r) => notApplicable.has(r) || report.levels[r] === "disabled") ? "n/a" : "pass";
}

/** The summary lines of a planned stack. */
export function haSummary(topology: Topology, resources: readonly StackResource[], report: PolicyReport): SummaryLine[] {
  const { cloud, nodes, healthCheck, database, storage, sessions } = topology;
  const zones = zoneNames(topology, resources);
  const store = inSessionStore(resources);
  const line = (topic: string, text: string, rules: string[], about?: (urn: string | undefined) => boolean): SummaryLine => ({
    topic,
    text,
    rules,
    status: status(report, rules, about),
  });
  const storeRules = sessionStoreRules[cloud];
  const storeText = sessions.enabled ? `${sessions.engine} (${resolveSize(cloud, "sessions", sessions.size)}) with a replica and automatic failover` : "";
  // DigitalOcean runs exactly nodes.count droplets (no autoscaling: maxCount is unused)
  // and never replaces a failed one by itself: say so instead of the other clouds' promises.
  const fixedCount = cloud === "digitalocean";
  const lines: SummaryLine[] = [
    line(
      "Nodes",
      `${fixedCount ? `exactly ${nodes.count}` : `${nodes.count}–${nodes.maxCount}`} × ${resolveSize(cloud, "node", nodes.size)} running ${nodes.image} on port ${nodes.port}` +
        (zones.length > 0 ? `, spread over ${zones.length} zones (${zones.join(", ")})`
        : cloud === "kubernetes" ? " (pods spread over the cluster's zones and hosts)"
        : " (the region has no zones)") +
        (fixedCount ? `; no autoscaling (a fixed count of droplets${nodes.maxCount > nodes.count ? `; nodes.maxCount ${nodes.maxCount} is not used` : ""})` : ""),
      ["min-nodes", "nodes-span-zones"],
    ),
    line(
      "Replacement",
      `a node failing GET ${healthCheck.path} (every ${healthCheck.intervalSeconds} s, ${healthCheck.unhealthyThreshold} failures) leaves the load balancer` +
        (cloud === "digitalocean"
          ? `; systemd restarts the app, but nothing replaces a dead droplet: DigitalOcean has no autohealing and the health gates act only during rollouts, so the pool stays one droplet short (${nodes.count - 1} of ${nodes.count} serving) until you replace it (\`pulumi up --replace <droplet URN>\`)`
          : cloud === "kubernetes"
            ? `; the liveness probe restarts a hung pod, after a ${healthCheck.gracePeriodSeconds} s startup allowance`
            : ` and is replaced after a ${healthCheck.gracePeriodSeconds} s grace period`),
      // nodes-autoheal has nothing to check on DigitalOcean (no autohealing primitive): the
      // advisory nodes-autoheal-digitalocean reports the gap on each droplet.
      cloud === "digitalocean" ? ["nodes-autoheal-digitalocean", "lb-http-health-check"] : ["nodes-autoheal", "lb-http-health-check"],
    ),
    line(
      "Rollouts",
      cloud === "digitalocean"
        ? `droplets are replaced one at a time behind health gates (a new droplet must be healthy before the old one drains for ${nodes.drainSeconds} s); never below ${nodes.count} healthy`
        : `new versions surge first and never go below ${nodes.count} healthy nodes; connections drain for ${nodes.drainSeconds} s`,
      ["rolling-updates-keep-capacity"],
    ),
    line(
      "Load balancer",
      `HTTPS for ${topology.domain} with ${topology.tls.certificate ? "your certificate" : "a managed certificate"}, TLS 1.2+, port 80 only redirects, no sticky sessions`,
      ["lb-https-only", "lb-tls-min-version", "lb-drop-invalid-headers"],
    ),
    line(
      "Database",
      `${database.engine} ${database.version} (${resolveSize(cloud, "database", database.size)}, ${database.storageGb} GB), ${databaseHa[cloud]}` +
        `${database.readReplicas > 0 ? ` and ${database.readReplicas} read replica(s)` : ""}; ${database.backupRetentionDays} days of backups with point-in-time recovery; private; deletion protected`,
      ["database-replicated", "database-private", "database-encrypted", "database-backups", "database-deletion-protection"],
      // The database rules also judge a DigitalOcean session store: its faults show on the Sessions line.
      (urn) => !store(urn),
    ),
    line(
      "Storage",
      cloud === "kubernetes"
        ? `your S3-compatible bucket ${storage.bucket ?? ""} (app files and database backups): its privacy, versioning and encryption are configured where it lives`
        : `private bucket, versioned (old versions kept ${storage.noncurrentVersionDays} days), encrypted`,
      ["storage-private", "storage-versioning", "storage-encryption"],
    ),
    !sessions.enabled
      ? { topic: "Sessions", text: "none (ha-topology:sessions.enabled is false; keep sessions in the database or signed cookies)", rules: [], status: "n/a" }
      : storeRules.length > 0
        ? line("Sessions", storeText, storeRules, store)
        : { topic: "Sessions", text: `${storeText}; not checked by ha-guard (no rule judges ${sessionStoreKind[cloud]})`, rules: [], status: "unchecked" },
    line(
      "Exposure",
      `nodes accept traffic from the load balancer only; no SSH from the internet${cloud === "aws" ? "; instance metadata needs tokens (IMDSv2)" : ""}`,
      ["nodes-not-world-reachable", "nodes-imdsv2"],
    ),
  ];
  if (cloud !== "digitalocean") return lines;
  // DigitalOcean: a dead droplet is not replaced (a gap, whatever the rules say), and the
  // health-gated rollouts are this program's own, which no rule of the pack can see.
  return lines.map((l): SummaryLine =>
    l.topic === "Replacement" && l.status !== "fail" ? { ...l, status: "gap" }
    : l.topic === "Rollouts" && l.status === "n/a" ? { ...l, text: `${l.text}; not checked by ha-guard (the gates are this program's, not a cloud primitive)`, status: "unchecked" }
    : l,
  );
}
