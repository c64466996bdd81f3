/**
 * What the diagram of a planned stack shows: the topology in words the diagram draws
 * (load balancer and TLS, nodes per zone, database primary and standby, bucket, sessions),
 * or, for a stack that declares several workloads and named resources, the routes on the
 * load balancer(s), the public and internal web services, the workers and the data tier
 * with who uses what (`servicesDiagram`).
 */
import { resolveSize } from "../components/sizes";
import type { Diagram, ServicesDiagram, TopologyDiagram } from "./diagram";
import { zoneNames } from "./haSummary";
import { commandText, countText, dataServices, nodeWord, siteServing, topologyView, vocabulary, type TopologyView, type WorkloadView } from "./topologyView";
import type { Plan } from "./plan";

/** A diagram line at most `max` characters long (the plan's text has the whole value). */
const clip = (text: string, max = 56): string => ([...text].length > max ? `${[...text].slice(0, max - 1).join("")}…` : text);

/** Where a generated secret is kept, in a few words. */
const secretPlace: Record<Plan["topology"]["cloud"], string> = {
  aws: "in AWS Secrets Manager",
  gcp: "in GCP Secret Manager",
  digitalocean: "in the droplets' secret user data",
  kubernetes: "in a Kubernetes Secret",
};

/** What runs a workload's nodes, per cloud. */
const nodeGroupWord: Record<Plan["topology"]["cloud"], string> = {
  aws: "Auto Scaling group",
  gcp: "managed instance group",
  digitalocean: "set of droplets",
  kubernetes: "Deployment",
};

const engineName: Record<string, string> = { postgres: "PostgreSQL", mysql: "MySQL", valkey: "Valkey", redis: "Redis" };

/** What starts a job's run, per cloud (the caption says so): a scheduler, or on DigitalOcean the lease between its own droplets. */
const jobRunner: Record<Plan["topology"]["cloud"], string> = {
  aws: "EventBridge Scheduler starts a Fargate task per tick",
  gcp: "Cloud Scheduler starts a Cloud Run job execution per tick",
  digitalocean: "its own two droplets, one of which takes the lease and runs it per tick",
  kubernetes: "its CronJob starts a Job per tick",
};

/**
 * A job's last box line: its timeout, what happens when a run is still going at the next
 * tick, and its retries. GCP's scheduler skips and stops nothing: there the parser made
 * every run end before the next tick, which is what the box says instead of the setting.
 */
function jobLine(job: NonNullable<WorkloadView["job"]>, cloud: Plan["topology"]["cloud"]): string {
  const overlap = cloud === "gcp" ? "no overlap" : job.concurrency;
  return clip(`killed after ${job.timeoutSeconds} s · ${overlap}${job.retries > 0 ? ` · ${job.retries} retries` : ""}`);
}

/**
 * The edge boxes with the sites: on DigitalOcean a site has its own host on the Spaces CDN
 * (the load balancer cannot route to Spaces); elsewhere its route is on the edge of its
 * host, which on AWS becomes CloudFront in front of the load balancer and on GCP gains
 * Cloud CDN.
 */
function edgeBoxes(cloud: Plan["topology"]["cloud"], view: TopologyView): ServicesDiagram["loadBalancers"] {
  const words = vocabulary[cloud];
  const tls = "HTTPS 443 · TLS 1.2+ · HTTP→HTTPS redirect";
  const route = (r: { host: string; path: string; workload: string }) => ({ route: `${r.host}${r.path}`, workload: r.workload });
  const boxes = view.loadBalancers.map((lb) => ({ hosts: lb.hosts, label: words.loadBalancer, tls, routes: lb.routes.map(route) }));
  for (const site of view.sites) {
    if (cloud === "digitalocean") {
      boxes.push({ hosts: [site.route.host], label: "Spaces CDN", tls: "HTTPS · Let's Encrypt certificate", routes: [route(site.route)] });
      continue;
    }
    // The view has the site's route on its host's edge already (topologyView.ts).
    const box = boxes.find((b) => b.routes.some((r) => r.workload === site.name))!;
    if (cloud === "aws") box.label = `CloudFront → ${words.loadBalancer}`;
    if (cloud === "gcp") box.label = `${words.loadBalancer} · Cloud CDN`;
  }
  return boxes.map(({ label, tls: t, routes }) => ({ label, tls: t, routes }));
}

/** The several-workloads diagram of a plan. */
export function servicesDiagram(plan: Plan, view: TopologyView = topologyView(plan.model)): ServicesDiagram {
  const { topology, model } = plan;
  const cloud = topology.cloud;
  const words = vocabulary[cloud];
  const zones = zoneNames(topology, plan.resources);
  const where = zones.length > 0 ? `spread over ${zones.join(", ")}` : cloud === "kubernetes" ? "spread over the cluster's zones and hosts" : "in the region (no zones)";
  return {
    layout: "services",
    title: `${topology.name} · stack ${plan.stack}`,
    cloud,
    caption: view.workloads.some((w) => w.job)
      ? `Each service and worker: its own ${nodeGroupWord[cloud]}, ${where}; each job: ${jobRunner[cloud]}`
      : `Each workload: its own ${nodeGroupWord[cloud]}, ${where}`,
    loadBalancers: edgeBoxes(cloud, view),
    workloads: [
      ...view.sites.map((site) => ({
        name: site.name,
        tier: "site" as const,
        lines: [
          `${site.name} · site`,
          clip(site.entry),
          clip(siteServing[cloud].box),
          clip(`files from ${site.source}`),
          clip(`${site.spa ? "SPA: unknown paths → index.html · " : ""}html ${site.cacheControl.html}`),
        ],
      })),
      ...view.workloads.map((w) => ({
      name: w.name,
      tier: w.tier,
      lines: [
        `${w.name} · ${w.kind}`,
        clip(w.entry),
        // A job's runs are not nodes of its own ("one run per tick · <size>").
        w.job ? countText(w) : `${countText(w)} ${nodeWord[cloud]}s${w.port !== undefined ? ` · port ${w.port}` : ""}`,
        clip(w.image),
        ...(w.job
          ? [clip(w.command ? commandText(w.command) : "the image's own command"), jobLine(w.job, cloud)]
          : w.readiness && w.liveness
            ? [clip(`ready GET ${w.readiness.path} · live GET ${w.liveness.path}`)]
            : [clip(w.command ? commandText(w.command) : "the image's own command"), `stops within ${w.stopTimeoutSeconds} s`]),
      ],
      })),
    ],
    resources: view.resources.map((r) => {
      const resource = model.resources.find((x) => x.name === r.name)!;
      const lines =
        resource.kind === "sql"
          ? [`${engineName[resource.engine]} ${resource.version} · ${resolveSize(cloud, "database", resource.size)}`, words.database]
          : resource.kind === "bucket"
            ? [cloud === "kubernetes" ? clip(r.what) : `${words.bucket} · private · versioned · encrypted`]
            : resource.kind === "cache"
              ? [`${engineName[resource.engine]} · primary + replica`]
              : resource.kind === "document"
                ? [clip(dataServices[cloud].document), clip(`${cloud === "gcp" ? "replicated over 3 zones" : `${resource.members} members over zones`} · TLS · backups ${resource.backupRetentionDays} d`)]
                : resource.kind === "queue"
                  ? [clip(resource.engine === "rabbitmq" ? dataServices[cloud].rabbitmq : dataServices[cloud].valkey)]
                  : [`${resource.length} characters, generated once`, secretPlace[cloud]];
      return { name: r.name, kind: r.kind, lines: [`${r.name} · ${r.kind}`, ...lines, clip(r.usedBy.length > 0 ? `used by ${r.usedBy.join(", ")}` : "used by no workload")], usedBy: r.usedBy };
    }),
  };
}

/** The diagram of a plan: the single service's, or the several workloads'. */
export function diagramModel(plan: Plan): Diagram {
  const view = topologyView(plan.model);
  return view.usesMaps ? servicesDiagram(plan, view) : singleServiceDiagram(plan);
}

/** The single service's diagram. */
export function singleServiceDiagram(plan: Plan): TopologyDiagram {
  const { topology } = plan;
  const words = vocabulary[topology.cloud];
  const zones = zoneNames(topology, plan.resources);
  const { database, nodes } = topology;
  return {
    title: `${topology.name} · stack ${plan.stack}`,
    cloud: topology.cloud,
    domain: topology.domain,
    loadBalancer: { label: words.loadBalancer, tls: "HTTPS 443 · TLS 1.2+ · HTTP→HTTPS redirect" },
    // DigitalOcean runs exactly nodes.count droplets: maxCount is not used there.
    nodes: {
      label: `${resolveSize(topology.cloud, "node", nodes.size)} · ${nodes.image}`,
      port: nodes.port,
      min: nodes.count,
      max: topology.cloud === "digitalocean" ? nodes.count : nodes.maxCount,
      zones,
    },
    database: {
      label: `${database.engine === "postgres" ? "PostgreSQL" : "MySQL"} ${database.version} · ${resolveSize(topology.cloud, "database", database.size)}`,
      mode: words.database,
      primaryZone: zones[0],
      // Zone-less clouds still run a standby: name where it lives instead of a zone.
      standbyZone: zones[1] ?? (topology.cloud === "kubernetes" ? "another node" : "another host"),
      readReplicas: database.readReplicas,
    },
    bucket: { label: topology.cloud === "kubernetes" ? `your S3-compatible bucket ${topology.storage.bucket ?? ""}` : `${words.bucket} · private · versioned · encrypted` },
    ...(topology.sessions.enabled ? { sessionStore: { label: `${topology.sessions.engine === "valkey" ? "Valkey" : "Redis"} · primary + replica` } } : {}),
  };
}
