/**
 * The HA summary of a plan: one line per promise of the product (nodes, replacement,
 * rollouts, load balancer, database, storage, sessions, exposure), written from the
 * topology, each with the ha-guard rules that check it on the registered resources and
 * their verdict. What is asked for and what is proven sit on the same line.
 *
 * A stack that declares `ha-topology:workloads` or `ha-topology:resources` gets a line per
 * workload and per resource instead of the single service's Nodes, Database, Storage and
 * Sessions lines; each such line counts only the violations on that entry's own cloud
 * resources, found by their logical names (compose.ts `logicalName`: `<name>-<entry>`).
 */
import { logicalName } from "../components/compose";
import type { Model } from "../components/model/model";
import type { Topology } from "../components/topology";
import { unhealthySecondsOf } from "../components/platforms/digitalocean/healer";
import { resolveSize } from "../components/sizes";
import type { PolicyReport, StackResource, Violation } from "../policies/runner";
import { jobAlertsLine } from "./jobAlerts";
import { countText, databaseHa, jobText, nodeWord, siteServing, topologyView, vocabulary, usedByText, usesText, type ResourceView, type TopologyView, type WorkloadView } from "./topologyView";

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

/** A line's verdict from its rules, counting only the violations `about` accepts (all by default). */
function status(report: PolicyReport, rules: string[], about: (v: Violation) => boolean = () => true): SummaryLine["status"] {
  if (report.violations.some((v) => v.level === "mandatory" && rules.includes(v.policy) && about(v))) return "fail";
  const notApplicable = new Set(report.notApplicable.map((n) => n.policy));
  return rules.every((r) => notApplicable.has(r) || report.levels[r] === "disabled") ? "n/a" : "pass";
}

/**
 * The summary lines of a planned stack. With its `model`, a stack that declares the maps
 * gets a line per workload and resource (`servicesSummary`); without one, or for a
 * single-service stack, the lines are the single service's.
 */
export function haSummary(topology: Topology, resources: readonly StackResource[], report: PolicyReport, model?: Model): SummaryLine[] {
  if (model) {
    const view = topologyView(model);
    if (view.usesMaps) return servicesSummary(topology, view, resources, report);
  }
  return singleServiceSummary(topology, resources, report);
}

/** The single service's lines. */
function singleServiceSummary(topology: Topology, resources: readonly StackResource[], report: PolicyReport): SummaryLine[] {
  const { cloud, nodes, healthCheck, database, storage, sessions } = topology;
  const zones = zoneNames(topology, resources);
  const store = inSessionStore(resources);
  const line = (topic: string, text: string, rules: string[], about?: (v: Violation) => boolean): SummaryLine => ({
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
          ? `; systemd restarts the app, and the stack's healer (an App Platform worker) power cycles a droplet that keeps failing for ${unhealthySecondsOf(healthCheck)} s, then, if it still fails, rebuilds it from its image (the same droplet and address on a fresh disk, its user data run again); one droplet at a time, never during a rollout, and when most droplets fail at once it alerts in its log instead of acting`
          : cloud === "kubernetes"
            ? `; the liveness probe restarts a hung pod, after a ${healthCheck.gracePeriodSeconds} s startup allowance`
            : ` and is replaced after a ${healthCheck.gracePeriodSeconds} s grace period`),
      ["nodes-autoheal", "lb-http-health-check"],
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
      (v) => !store(v.urn),
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
        ? line("Sessions", storeText, storeRules, (v) => store(v.urn))
        : { topic: "Sessions", text: `${storeText}; not checked by ha-guard (no rule judges ${sessionStoreKind[cloud]})`, rules: [], status: "unchecked" },
    line(
      "Exposure",
      `nodes accept traffic from the load balancer only; no SSH from the internet${cloud === "aws" ? "; instance metadata needs tokens (IMDSv2)" : ""}`,
      ["nodes-not-world-reachable", "nodes-imdsv2"],
    ),
  ];
  return cloud === "digitalocean" ? onDigitalocean(lines, false) : lines;
}

/**
 * Which entry of the model a violation's resource belongs to: the entry whose logical name
 * prefix (`<name>-<entry>`) is the longest that starts the resource's name. The entries
 * that keep the stack's own prefix (the single service's names) are not told apart by
 * name: their violations are the ones no other entry claims (`undefined`).
 */
function ownerOf(topology: Topology, view: TopologyView): (v: Violation) => string | undefined {
  const prefixes = [
    ...view.workloads.map((w) => [`workload ${w.name}`, logicalName(topology, w)] as const),
    ...view.resources.map((r) => [`resource ${r.name}`, logicalName(topology, r)] as const),
    ...view.sites.map((site) => [`site ${site.name}`, logicalName(topology, { name: site.name, kind: "site" })] as const),
  ]
    .filter(([, prefix]) => prefix !== topology.name)
    .sort(([, a], [, b]) => b.length - a.length);
  return (v) => {
    const name = v.resourceName ?? "";
    return prefixes.find(([, prefix]) => name === prefix || name.startsWith(`${prefix}-`))?.[0];
  };
}

/** The rules that judge a workload's own node group (and, for a web workload, its load balancer's health check). */
function workloadRules(w: WorkloadView): string[] {
  if (w.tier === "job") return ["jobs-single-flight"];
  return w.tier === "worker" ? ["min-nodes", "nodes-span-zones"] : ["min-nodes", "nodes-span-zones", "lb-http-health-check"];
}

/** The rules that judge a resource, by kind and cloud. */
function resourceRules(cloud: Topology["cloud"], r: ResourceView): string[] {
  switch (r.kind) {
    case "sql":
      return ["database-replicated", "database-private", "database-encrypted", "database-backups", "database-deletion-protection"];
    case "bucket":
      return ["storage-private", "storage-versioning", "storage-encryption"];
    case "cache":
      return sessionStoreRules[cloud];
    case "secret":
      return [];
    case "document":
      return ["document-replicated", "document-private", "document-encrypted", "document-backups", "document-deletion-protection"];
    case "queue":
      // A Valkey broker is the session store's kind of store, judged by its rules.
      return r.engine === "valkey" ? sessionStoreRules[cloud] : ["queue-replicated", "queue-private", "queue-encrypted"];
  }
}

/** What no rule judges, by kind and cloud: the "not checked" note. */
function uncheckedKind(cloud: Topology["cloud"], r: ResourceView): string {
  return r.kind === "cache" || r.kind === "queue" ? sessionStoreKind[cloud] : "generated secrets";
}

/** The topic of a workload's line: its tier and name ("web api", "internal discovery", "worker jobs"). */
export function workloadTopic(w: Pick<WorkloadView, "tier" | "name">): string {
  return `${w.tier === "public" ? "web" : w.tier} ${w.name}`;
}

/** The topic of a resource's line: its kind and name ("sql db"). */
export function resourceTopic(r: Pick<ResourceView, "kind" | "name">): string {
  return `${r.kind} ${r.name}`;
}

/** How a node that fails is replaced, per cloud, for every workload of the stack. */
function replacementText(cloud: Topology["cloud"], view: TopologyView): string {
  const webs = view.workloads.some((w) => w.tier === "public" || w.tier === "internal");
  const workers = view.workloads.some((w) => w.tier === "worker");
  const readiness = webs ? "failing readiness only takes a node out of traffic, so a database blip recycles nothing" : "";
  switch (cloud) {
    case "aws":
    case "gcp":
      return [
        ...(webs ? [`a node failing its workload's liveness check past the grace period is replaced; ${readiness}`] : []),
        ...(workers ? ["a worker node that dies is replaced"] : []),
      ].join("; ");
    case "kubernetes":
      return [
        ...(webs ? [`a pod failing its liveness probe is restarted after its startup allowance; ${readiness.replace("a node", "a pod")}`] : []),
        ...(workers ? ["a worker pod whose process exits is restarted"] : []),
      ].join("; ");
    case "digitalocean":
      return [
        ...(webs ? ["a droplet failing readiness leaves its load balancer, and the stack's healer power cycles it, then rebuilds it from its image if it still fails (one droplet per workload at a time, never during a rollout; when most of a workload's droplets fail at once it alerts instead)"] : []),
        "systemd restarts the app",
        ...(workers ? ["nothing replaces a dead worker droplet: DigitalOcean has no autohealing and the healer covers droplets behind a load balancer only, so the worker stays one droplet short until you replace it (`pulumi up --replace <droplet URN>`)"] : []),
      ].join("; ");
  }
}

/** The lines of a stack that declares the maps: one per workload and per resource, and the shared promises. */
function servicesSummary(topology: Topology, view: TopologyView, resources: readonly StackResource[], report: PolicyReport): SummaryLine[] {
  const { cloud } = topology;
  const zones = zoneNames(topology, resources);
  const owner = ownerOf(topology, view);
  const store = inSessionStore(resources);
  const line = (topic: string, text: string, rules: string[], about?: (v: Violation) => boolean): SummaryLine => ({ topic, text, rules, status: status(report, rules, about) });
  // An entry with its own prefix owns the violations on its resources; the ones that keep
  // the stack's prefix (the single service's names) get what no other entry claims.
  const owns = (key: string, prefix: string, also: (v: Violation) => boolean = () => true) => (v: Violation) =>
    (prefix === topology.name ? owner(v) === undefined : owner(v) === key) && also(v);
  const spread =
    zones.length > 0 ? `spread over ${zones.length} zones (${zones.join(", ")})`
    : cloud === "kubernetes" ? "pods spread over the cluster's zones and hosts"
    : "the region has no zones";

  const lines: SummaryLine[] = view.workloads.map((w) => {
    // A job's runs are placed by the cloud's scheduler: no node group of its own to spread.
    const run = `${countText(w)} running ${w.image}${w.port !== undefined ? ` on port ${w.port}` : ""}${w.job ? "" : `, ${spread}`}`;
    const entry = w.tier === "public" ? `at ${w.entry}` : w.entry;
    const checks = w.job ? jobText(w.job, cloud) : w.readiness && w.liveness ? `readiness GET ${w.readiness.path}, liveness GET ${w.liveness.path}` : `${w.stopTimeoutSeconds} s to stop`;
    return line(workloadTopic(w), `${run}; ${entry}; ${checks}; ${usesText(w)}`, workloadRules(w), owns(`workload ${w.name}`, logicalName(topology, w)));
  });
  for (const site of view.sites) {
    const cors = site.corsOrigins.length > 0 ? `readable from ${site.corsOrigins.join(", ")} (CORS)` : "same origin only";
    lines.push(
      line(
        `site ${site.name}`,
        `at ${site.entry}: ${siteServing[cloud].summary}; files from ${site.source}${site.spa ? ", unknown paths answered with index.html" : ""}; Cache-Control ${site.cacheControl.html} for HTML, ${site.cacheControl.hashed} for hashed files; ${cors}`,
        ["lb-https-only", "lb-tls-min-version", "storage-private"],
        owns(`site ${site.name}`, logicalName(topology, { name: site.name, kind: "site" })),
      ),
    );
  }
  // What alerts you when a job fails or misses a tick, after the jobs' own lines.
  const alerts = jobAlertsLine(topology, view);
  if (alerts) lines.push(alerts);
  const webs = view.workloads.some((w) => w.tier === "public" || w.tier === "internal");
  lines.push(
    line(
      "Replacement",
      replacementText(cloud, view),
      [cloud === "digitalocean" && !webs ? "nodes-autoheal-digitalocean" : "nodes-autoheal", ...(webs ? ["lb-http-health-check"] : [])],
    ),
    line(
      "Rollouts",
      cloud === "digitalocean"
        ? "each workload runs exactly its count of droplets (no autoscaling), replaced one at a time behind health gates (a new droplet must be healthy before an old one stops); never below its count"
        : `each workload rolls out on its own: new versions surge first and never go below its count of healthy ${nodeWord[cloud]}s; a web's connections drain first, a worker gets its stop timeout`,
      ["rolling-updates-keep-capacity"],
    ),
  );
  const certificate = topology.tls.certificate ? "your certificate" : view.loadBalancers.flatMap((lb) => lb.hosts).length > 1 ? "managed certificates" : "a managed certificate";
  const routes = (lb: TopologyView["loadBalancers"][number]) => lb.routes.map((r) => `${r.host}${r.path} → ${r.workload}`).join(", ");
  lines.push(
    view.loadBalancers.length === 0
      ? { topic: "Load balancer", text: "none: no public web workload", rules: [], status: "n/a" }
      : line(
          "Load balancer",
          // On AWS a host with a site is served by CloudFront, which sends the web paths on to the ALB.
          `${cloud === "aws" && view.sites.length > 0 ? "CloudFront for the hosts with a site, in front of " : ""}${view.loadBalancers.length === 1 ? `one ${vocabulary[cloud].loadBalancer}: ${routes(view.loadBalancers[0])}` : `one ${vocabulary[cloud].loadBalancer} per host: ${view.loadBalancers.map(routes).join("; ")}`}; ` +
            `HTTPS with ${certificate}, TLS 1.2+, port 80 only redirects, no sticky sessions`,
          ["lb-https-only", "lb-tls-min-version", "lb-drop-invalid-headers"],
        ),
  );
  for (const r of view.resources) {
    const rules = resourceRules(cloud, r);
    const prefix = logicalName(topology, r);
    // The single service's session store is found by its component, as on a single-service stack.
    const legacyStore = prefix === topology.name ? (v: Violation) => (r.kind === "cache" ? store(v.urn) : !store(v.urn)) : undefined;
    const text = `${r.what}: ${r.shape}; ${usedByText(r)}`;
    lines.push(
      rules.length > 0
        ? line(resourceTopic(r), text, rules, owns(`resource ${r.name}`, prefix, legacyStore))
        : { topic: resourceTopic(r), text: `${text}; not checked by ha-guard (no rule judges ${uncheckedKind(cloud, r)})`, rules: [], status: "unchecked" },
    );
  }
  lines.push(
    line(
      "Exposure",
      `each workload's ${nodeWord[cloud]}s accept traffic only from its load balancer (an internal one's: from the other workloads; a worker's: from nothing) and reach only the resources it uses; no SSH from the internet${cloud === "aws" ? "; instance metadata needs tokens (IMDSv2)" : ""}`,
      ["nodes-not-world-reachable", "nodes-imdsv2"],
    ),
  );
  return cloud === "digitalocean" ? onDigitalocean(lines, view.workloads.some((w) => w.tier === "worker")) : lines;
}

/**
 * DigitalOcean's lines as they really are: a dead worker droplet is not replaced (a gap,
 * whatever the rules say: the healer covers droplets behind a load balancer only), and the
 * health-gated rollouts are this program's own, which no rule of the pack can see.
 */
function onDigitalocean(lines: SummaryLine[], unhealedWorkers: boolean): SummaryLine[] {
  return lines.map((l): SummaryLine =>
    l.topic === "Replacement" && unhealedWorkers && l.status !== "fail" ? { ...l, status: "gap" }
    : l.topic === "Rollouts" && l.status === "n/a" ? { ...l, text: `${l.text}; not checked by ha-guard (the gates are this program's, not a cloud primitive)`, status: "unchecked" }
    : l,
  );
}
