/**
 * The GCP platform (compose.ts `Platform`): regional managed instance groups over >= 2
 * zones, one per workload; the public web workloads behind one global external HTTPS load
 * balancer with Google-managed certificates, routed by host and path; internal web
 * workloads behind internal passthrough load balancers; GCS, Cloud SQL with REGIONAL
 * availability on private IP, Memorystore Redis STANDARD_HA, Secret Manager for every
 * secret; an uptime check with an alert per public web workload; a Cloud Run job started
 * by Cloud Scheduler per cron workload (job.ts); a private bucket behind a backend bucket
 * with Cloud CDN per static site (site.ts), on the same URL map as the web workloads.
 *
 * A stack of the single-service keys registers exactly the resources, names and inputs it
 * always did (test/urns/gcp*.txt, test/program.gcp.test.ts).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { logicalName, type ComposeContext, type Platform } from "../../compose";
import { configProblem, TopologyConfigError } from "../../configError";
import { DatabaseIdentity, waitForGuard } from "../../databaseIdentity";
import { fitName } from "../../physicalNames";
import { registryCredentialsHost } from "../../model/images";
import type { SqlResource, WebWorkload } from "../../model/model";
import { DataAccess, type DataPath } from "./dataAccess";
import { gcpEdge, publicUrl } from "./edge";
import type { GcpEdge, GcpFoundation, GcpResource, GcpSite, GcpWorkload } from "./handles";
import { gcpJob } from "./job";
import { JsonSecret } from "./jsonSecret";
import { maxCertificates, routeHosts } from "./loadBalancer";
import { Monitoring } from "./monitoring";
import { Network } from "./network";
import { gcpResource } from "./resources";
import { gcpSite } from "./site";
import { gcpWorkload, grantKey, labelValue } from "./workloads";

/** The provider settings the platform needs, or one error naming every missing one. */
function providerSettings(): { project: string; region: string } {
  const project = gcp.config.project;
  const region = gcp.config.region;
  const problems = [
    ...(project ? [] : [configProblem("gcp:project", "nothing", "your project ID (pulumi config set gcp:project <id>)")]),
    ...(region ? [] : [configProblem("gcp:region", "nothing", "a region such as europe-west1 (pulumi config set gcp:region <region>)")]),
  ];
  if (problems.length > 0 || !project || !region) throw new TopologyConfigError(problems);
  return { project, region };
}

/** The config keys a sql resource's create-only settings are set by. */
function identityKeys(r: SqlResource): Record<string, string> {
  const at = r.origin === "single-service" ? "ha-topology:database" : `ha-topology:resources.${r.name}`;
  // The single service's config key is `database.name`; a resource's is `resources.<name>.name` too.
  return { [`${at}.name`]: r.databaseName, [`${at}.username`]: r.username, [`${at}.engine`]: r.engine };
}

/** Refusals only this platform knows, before any resource is registered. */
function platformProblems(ctx: ComposeContext): string[] {
  // The public webs' and the sites' hosts: each gets a certificate on the one HTTPS proxy.
  const routed = ctx.model.workloads.flatMap((w) => (w.kind === "site" ? [{ name: w.name, route: w.route }] : w.kind === "web" && w.route ? [{ name: w.name, route: w.route }] : []));
  const hosts = routeHosts(ctx.model.domain, routed.map((w) => w.route));
  if (hosts.length <= maxCertificates) return [];
  const extra = routed.find((w) => w.route.host === hosts[maxCertificates])!;
  return [configProblem(`workloads.${extra.name}.host`, JSON.stringify(hosts[maxCertificates]), `at most ${maxCertificates} hosts in one stack on gcp (a target HTTPS proxy takes ${maxCertificates} certificates, one per host here): serve it under a path of another host`)];
}

function foundation(ctx: ComposeContext): GcpFoundation {
  const { name, topology, model, parent } = ctx;
  const { project, region } = providerSettings();
  if (!/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    throw new TopologyConfigError([configProblem("name", JSON.stringify(name), "lowercase letters, digits and hyphens, starting with a letter, on gcp (it names resources)")]);
  }
  const problems = platformProblems(ctx);
  if (problems.length > 0) throw new TopologyConfigError(problems);
  const labels = { "ha-topology-service": labelValue(name), "ha-topology-stack": labelValue(pulumi.getStack()), "managed-by": "pulumi" };

  // Every resource waits for the guards of the create-only database settings (registered
  // first): a refused change touches nothing.
  const guards = new Map<string, DatabaseIdentity>();
  for (const r of model.resources) {
    if (r.kind !== "sql") continue;
    guards.set(r.name, new DatabaseIdentity(`${logicalName(ctx, r)}-db-identity`, { cloud: "gcp", keys: identityKeys(r) }, { parent }));
  }
  const opts = { parent, transformations: [...guards.values()].map(waitForGuard) };

  const network = new Network(name, { spec: topology.network, region }, opts);
  const appSecrets = Object.keys(ctx.appSecrets).length > 0 ? new JsonSecret(`${name}-app-secrets`, { values: ctx.appSecrets, labels }, opts) : undefined;
  // The registry credentials in Secret Manager, for the one registry they are for
  // (model/images.ts): the workloads whose image is on it log in (the parser has refused
  // what cannot work).
  const credentialsHost = registryCredentialsHost(model, topology.registry !== undefined);
  const registrySecret = credentialsHost !== undefined && topology.registry
    ? {
        host: credentialsHost,
        secret: new JsonSecret(`${name}-registry-credentials`, {
          values: { username: pulumi.secret(topology.registry.username), password: pulumi.secret(topology.registry.password) },
          labels,
        }, opts),
      }
    : undefined;
  return { project, region, labels, opts, network, guards, appSecrets, registrySecret };
}

/** The uptime check's path for a public web: its health path, when the route sends it there. */
function uptimePath(w: WebWorkload): string | undefined {
  const prefix = w.route!.path;
  const path = w.healthCheck.path;
  return prefix === "/" || path === prefix || path.startsWith(`${prefix}/`) ? path : undefined;
}

/** True for a workload's node group, false for a site's handle (the composer passes both to finish). */
function runs(w: GcpWorkload | GcpSite): w is GcpWorkload {
  return "nodeTag" in w;
}

function finish(ctx: ComposeContext, f: GcpFoundation, edge: GcpEdge, built: Map<string, GcpWorkload | GcpSite>, resources: GcpResource[]): void {
  const { name, topology, model } = ctx;
  // A site has no nodes: no network path, no node tag.
  const workloads = [...built.values()].filter(runs);
  const left = [...edge.attach.keys()];
  if (left.length > 0) throw new Error(`gcp: web workload(s) ${left.join(", ")} never joined the load balancer`);

  // Alarms: the single service's as before, and one per public web workload.
  for (const w of model.workloads) {
    if (w.kind !== "web" || !w.route) continue;
    if (w.origin === "single-service") {
      new Monitoring(name, { domain: topology.domain, healthPath: topology.healthCheck.path, email: topology.alarms.email, project: f.project, labels: f.labels }, f.opts);
      continue;
    }
    const path = uptimePath(w);
    if (!path) {
      pulumi.log.info(
        `workloads.${w.name}: no uptime check, since its health path ${w.healthCheck.path} is outside its route ${publicUrl(w.route)} (the load balancer would send the check to another workload); its backend's health check still applies`,
        ctx.parent,
      );
      continue;
    }
    new Monitoring(logicalName(ctx, w), { domain: w.route.host, healthPath: path, email: topology.alarms.email, project: f.project, labels: f.labels }, f.opts);
  }

  // Network access to the databases and caches per binding, once named entries exist (a
  // single-service stack, whose one workload uses everything, keeps its resources as they are).
  const named = model.workloads.some((w) => w.origin === "maps") || model.resources.some((r) => r.origin === "maps");
  const data = resources.filter((r) => r.dataPath);
  if (!named || data.length === 0) return;
  const paths: DataPath[] = [];
  for (const { workload, nodeTag } of workloads) {
    for (const r of data) {
      if (!workload.uses.includes(r.resource.name)) continue;
      paths.push({
        // A firewall rule's name has at most 63 characters, 8 of them Pulumi's suffix.
        key: fitName(`${logicalName(ctx, workload)}-egress-${grantKey(workload.name, r.resource.name)}`, 55),
        nodeTag,
        hosts: r.dataPath!.hosts,
        port: r.dataPath!.port,
        what: `${r.resource.kind} ${r.resource.name}`,
      });
    }
  }
  new DataAccess(name, {
    networkId: f.network.networkId,
    servicesRange: f.network.servicesRange,
    nodeTags: workloads.map((w) => w.nodeTag),
    paths,
  }, f.opts);
}

/** The GCP platform. */
export const gcpPlatform: Platform<GcpFoundation, GcpResource, GcpEdge, GcpWorkload, GcpSite> = {
  foundation,
  resource: gcpResource,
  site: gcpSite,
  edge: gcpEdge,
  workload: gcpWorkload,
  job: gcpJob,
  finish,
};
