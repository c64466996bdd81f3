/**
 * The DigitalOcean platform (compose.ts): per workload tagged droplets in the stack's VPC,
 * a web's behind its own load balancer (public with Let's Encrypt TLS for its host, or
 * internal in the VPC), replaced one at a time through health gates (DigitalOcean has no
 * rolling primitive), a worker's with no load balancer; managed Postgres or MySQL and
 * Valkey clusters with a standby, private Spaces buckets with a key each, generated
 * secrets, and uptime and resource alerts.
 *
 * One file per step: foundation.ts (settings, guards, tags, VPC), resources.ts, site.ts
 * (a static site: a Spaces bucket behind the Spaces CDN on its own host), edge.ts,
 * workloads.ts, jobs.ts (scheduled jobs from their own droplets, with a lease in the
 * job's PostgreSQL); alarms and the node healer (healerApp.ts) here.
 *
 * DigitalOcean has no secret store: secrets travel inside the droplets' user data, which
 * Pulumi keeps encrypted in state, and land in root-only files on the droplet (see README).
 */
import * as pulumi from "@pulumi/pulumi";
import { logicalName, type ComposeContext, type Platform } from "../../compose";
import { isContainerWorkload } from "../../model/model";
import { buildEdge, type DoEdge } from "./edge";
import { buildFoundation, type Foundation } from "./foundation";
import { NodeHealer, type HealedGroup } from "./healerApp";
import { buildJob } from "./jobs";
import { Monitoring } from "./monitoring";
import { buildResource, type DoResource } from "./resources";
import { buildSite, type DoSite } from "./site";
import { buildWorkload, type DoWorkload } from "./workloads";

/**
 * The alarms: per public web an uptime check of its host's readiness path (HTTPS from the
 * internet: DNS, certificate, load balancer and droplets together) and its alert; with
 * `alarms.email`, CPU and memory alerts on every workload's droplets (by node tag); per
 * job a ping check of each of its droplets, which stop answering while a run failed, was
 * missed or was lost. The
 * single service's keep their names.
 */
function finish(ctx: ComposeContext, f: Foundation, workloads: Map<string, DoWorkload>): void {
  const email = ctx.topology.alarms.email;
  for (const w of ctx.model.workloads.filter(isContainerWorkload)) {
    const route = w.kind === "web" ? w.route : undefined;
    const jobStatusTargets = workloads.get(w.name)!.jobStatusTargets;
    // Without a public host or a job there is no uptime check; without an email, no node alert either.
    if (!route && !jobStatusTargets && !email) continue;
    new Monitoring(logicalName(ctx, w), {
      domain: route?.host,
      healthPath: w.kind === "web" ? w.healthCheck.path : undefined,
      email,
      nodeTag: workloads.get(w.name)!.nodeTag,
      jobStatusTargets,
      tags: f.tags,
    }, f.opts);
  }
}

/**
 * The node healer: one App Platform worker covering every web node group of the stack
 * (healer.ts says what it does and why it is safe). Its API token is `digitalocean:token`,
 * else the DIGITALOCEAN_TOKEN (or DIGITALOCEAN_ACCESS_TOKEN) that `pulumi up` runs with, as
 * the provider and the gates fall back to it; either way a secret, in the state and in the
 * App. With neither, `pulumi up` warns: the worker would only log that it has no token.
 */
function heal(ctx: ComposeContext, f: Foundation, workloads: Map<string, DoWorkload>): void {
  const groups = [...workloads.values()].map((w) => w.healed).filter((g): g is HealedGroup => g !== undefined);
  if (groups.length === 0) return;
  const envToken = process.env.DIGITALOCEAN_TOKEN || process.env.DIGITALOCEAN_ACCESS_TOKEN;
  const token = f.token ?? pulumi.secret(envToken ?? "");
  if (!f.token && !envToken && !pulumi.runtime.isDryRun()) {
    pulumi.log.warn(
      "Neither digitalocean:token nor DIGITALOCEAN_TOKEN is set, so the node healer has no API token: a web droplet that stops answering " +
        "its health check is taken out of the load balancer but not healed. Set digitalocean:token (`pulumi config set --secret digitalocean:token ...`) " +
        "and run `pulumi up` again.",
      ctx.parent,
    );
  }
  new NodeHealer(ctx.name, { groups, token, region: f.region, appName: `${ctx.name}-${f.stack}` }, f.opts);
}

/** The DigitalOcean platform. */
export const digitaloceanPlatform: Platform<Foundation, DoResource, DoEdge, DoWorkload, DoSite> = {
  foundation: buildFoundation,
  resource: buildResource,
  site: buildSite,
  edge: buildEdge,
  workload: buildWorkload,
  job: (ctx, f, job, env, uses) => buildJob(ctx, f, job, env, uses),
  finish: (ctx, f, _edge, workloads) => {
    finish(ctx, f, workloads);
    heal(ctx, f, workloads);
  },
};
