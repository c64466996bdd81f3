/**
 * The foundation of a DigitalOcean stack: the provider settings, the guards of the
 * create-only database settings (every other resource waits for them), the node tags of
 * every workload (the firewalls, the load balancers and the databases' trusted sources
 * select droplets by them, so they exist before any of those), and the VPC.
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { logicalName, type ComposeContext } from "../../compose";
import { configProblem, describeValue, TopologyConfigError } from "../../configError";
import { DatabaseIdentity, waitForGuard } from "../../databaseIdentity";
import { currentStack, digitaloceanTagRule, stackSegment, warnIfLegacyName } from "../../physicalNames";
import { spacesRegion } from "./bucket";
import { Network } from "./network";
import { isContainerWorkload, isServiceWorkload } from "../../model/model";

/** The tags of one workload's droplets. */
export interface GroupTags {
  /** The tag every droplet of the workload keeps until destroyed: its firewall and the trusted sources of the data it uses select it. */
  nodeTag: pulumi.Output<string>;
  /** A web's: the tag its load balancer targets (a gate removes it to drain a droplet); undefined for a worker. */
  servingTag?: pulumi.Output<string>;
}

/** What the other steps build on. */
export interface Foundation {
  /** The region (`digitalocean:region`). */
  region: string;
  /** The API token for the health gates (`digitalocean:token`); unset: DIGITALOCEAN_TOKEN at run time. */
  token: pulumi.Output<string> | undefined;
  /** The stack's part of tag names (physicalNames.ts). */
  stack: string;
  /** Options of every resource but the guards: parented to the HaService, waiting for every guard. */
  opts: pulumi.ComponentResourceOptions;
  /** The VPC's id. */
  vpcId: pulumi.Output<string>;
  /** The VPC's range. */
  vpcRange: pulumi.Output<string>;
  /** The tags of the stack's clusters and droplets: service and stack. */
  tags: string[];
  /** Each workload's tags, by workload name. */
  groups: Map<string, GroupTags>;
  /** Each SQL resource's guard, by resource name. */
  identities: Map<string, DatabaseIdentity>;
}

/**
 * The region (`digitalocean:region`, required) and, when configured, the API token for the
 * health gates. Without `digitalocean:token` the gates use DIGITALOCEAN_TOKEN from the
 * environment `pulumi up` runs in, as the provider itself does.
 */
function providerSettings(): { region: string; token: pulumi.Output<string> | undefined } {
  const config = new pulumi.Config("digitalocean");
  const region = config.get("region");
  if (!region) {
    throw new TopologyConfigError([configProblem("digitalocean:region", "nothing", "a region slug such as fra1 (pulumi config set digitalocean:region fra1)")]);
  }
  // Checked before any resource: the buckets live in the droplets' region.
  return { region: spacesRegion(region, "digitalocean:region"), token: config.getSecret("token") };
}

/**
 * The physical name of a workload's tag. The single service's (and a maps workload that
 * keeps its names, `web`) keep today's `ha-topology-<name>-<stack>[-serving]`. Every
 * other workload's tag is `ha-topology:<stack>:<name>:<workload>:<nodes|serving>`: the
 * colons, which neither a stack segment nor a name can contain, make the parts
 * unambiguous, so no workload of this stack can get another stack's or another
 * workload's tag (with dashes, name `web` and workload `api` in stack `test` would meet
 * name `web` in stack `api-test`), and the gates' derived tags (`-leaving`, `-floor-<n>`,
 * appended after `:nodes`) can never be a workload's own.
 */
export function groupTagName(ctx: Pick<ComposeContext, "name">, stack: string, workload: { name: string; kind: string }, kind: "nodes" | "serving"): string {
  if (logicalName(ctx, workload) === ctx.name) return `ha-topology-${ctx.name}-${stack}${kind === "serving" ? "-serving" : ""}`;
  return `ha-topology:${stack}:${ctx.name}:${workload.name}:${kind}`;
}

/** The tag of a resource no workload uses: its trusted sources list it alone, so nothing is admitted (DigitalOcean admits everyone to a cluster without rules). */
export function unusedTagName(ctx: Pick<ComposeContext, "name">, stack: string, resource: string): string {
  return `ha-topology:${stack}:${ctx.name}:${resource}:no-users`;
}

/**
 * A site's host on DigitalOcean: its Let's Encrypt certificate is validated in
 * DigitalOcean DNS and its CNAME to the Spaces CDN endpoint is written there, so the stack
 * needs `dns.zone` and the host must be a name below it (a zone's apex cannot hold a CNAME).
 */
function siteHostProblems(site: string, host: string, zone: string | undefined): string[] {
  if (!zone) {
    return [configProblem("dns.zone", "nothing", `a domain in DigitalOcean DNS containing workloads.${site}.host (${host}): the site's Let's Encrypt certificate is validated there and its CNAME to the Spaces CDN is written there`)];
  }
  if (!host.endsWith(`.${zone}`)) {
    return [configProblem(`workloads.${site}.host`, describeValue(host), `a host below the DigitalOcean domain dns.zone (${zone}), not the domain itself: its CNAME to the Spaces CDN and its Let's Encrypt certificate are made there, and a domain's apex cannot hold a CNAME`)];
  }
  return [];
}

/** Refuses, before any resource, what the model allows but DigitalOcean cannot serve. */
function checkModel(ctx: ComposeContext): void {
  const problems: string[] = [];
  const { zone } = ctx.topology.dns;
  for (const w of ctx.model.workloads) {
    if (w.kind === "site") {
      problems.push(...siteHostProblems(w.name, w.route.host, zone));
      continue;
    }
    if (w.origin !== "maps" || w.kind !== "web" || !w.route || !zone) continue;
    const host = w.route.host;
    // The host's A record (and its Let's Encrypt certificate) go into the DigitalOcean domain.
    if (host !== zone && !host.endsWith(`.${zone}`)) {
      problems.push(configProblem(`workloads.${w.name}.host`, describeValue(host), `a host inside the DigitalOcean domain dns.zone (${zone}): its A record and Let's Encrypt certificate are made there`));
    }
  }
  if (problems.length > 0) throw new TopologyConfigError(problems);
}

/** Builds the foundation; throws a TopologyConfigError before any cloud resource on bad settings. */
export function buildFoundation(ctx: ComposeContext): Foundation {
  const { name, topology, model, parent } = ctx;
  const { region, token } = providerSettings();
  if (!/^[a-z][a-z0-9-]*$/.test(name)) {
    throw new TopologyConfigError([configProblem("name", JSON.stringify(name), "lowercase letters, digits and hyphens on digitalocean (it names tags and resources)")]);
  }
  checkModel(ctx);
  for (const w of model.workloads.filter(isServiceWorkload)) {
    // A maps workload's maxCount defaults to twice its count: said only when the stack sets another.
    const defaulted = w.origin === "maps" && w.maxCount === Math.min(1000, w.count * 2);
    if (w.maxCount <= w.count || defaulted) continue;
    // DigitalOcean autoscale pools cannot be rolled through the health gates; say so rather than ignore it.
    const key = w.origin === "single-service" ? "nodes" : `workloads.${w.name}`;
    pulumi.log.info(`${key}.maxCount (${w.maxCount}) is not used on digitalocean: the adapter runs exactly ${key}.count (${w.count}) droplets`, parent);
  }

  // Every resource waits for the guards of the create-only database settings (registered
  // first, with `guardOpts`): a refused change touches nothing.
  const guardOpts = { parent };
  const identities = new Map<string, DatabaseIdentity>();
  for (const r of model.resources) {
    if (r.kind !== "sql") continue;
    const prefix = r.origin === "single-service" ? "ha-topology:database" : `ha-topology:resources.${r.name}`;
    identities.set(r.name, new DatabaseIdentity(`${logicalName(ctx, r)}-db-identity`, {
      cloud: "digitalocean",
      keys: { [`${prefix}.name`]: r.databaseName, [`${prefix}.engine`]: r.engine },
    }, guardOpts));
  }
  const opts: pulumi.ComponentResourceOptions = { parent, transformations: [...identities.values()].map(waitForGuard) };

  // Tags per workload, project and stack, so two stacks in one account never share
  // droplets (see groupTagName). A tag's name is fixed at creation: a stack created before
  // the names carried the stack's hash keeps its tags (ignoreChanges), and is warned if they differ.
  const stack = stackSegment(currentStack(), digitaloceanTagRule);
  const tag = (logical: string, tagName: string) => {
    const resource = new digitalocean.Tag(logical, { name: tagName }, { ...opts, ignoreChanges: ["name"] });
    warnIfLegacyName(`The DigitalOcean tag ${logical}`, resource.name, tagName, resource);
    return resource.name;
  };
  const groups = new Map<string, GroupTags>();
  // The workloads with droplets: a site has none.
  for (const w of model.workloads.filter(isContainerWorkload)) {
    const prefix = logicalName(ctx, w);
    groups.set(w.name, {
      nodeTag: tag(`${prefix}-nodes`, groupTagName(ctx, stack, w, "nodes")),
      servingTag: w.kind === "web" ? tag(`${prefix}-serving`, groupTagName(ctx, stack, w, "serving")) : undefined,
    });
  }

  const network = new Network(name, { spec: topology.network, region }, opts);
  return {
    region,
    token,
    stack,
    opts,
    vpcId: network.vpcId,
    vpcRange: network.ipRange,
    tags: [`ha-topology-service-${name}`, `ha-topology-stack-${stack}`],
    groups,
    identities,
  };
}
