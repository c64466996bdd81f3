/**
 * The composer: the one place the wiring order of a stack lives (DESIGN.md,
 * "Architecture"). A cloud's `Platform` builds each part; the composer calls it in this
 * order, so every cloud wires the same model the same way:
 *
 *   1. foundation: network, identity, guards, log groups (what everything else sits in);
 *   2. resources: each returns a handle whose `fields` are its binding's values;
 *   3. sites: each static site's origin and its files (issue 17), which the edge routes
 *      to; a site runs nothing, so it gets no environment and no resources;
 *   4. the edge: load balancers, certificates, routes (the sites' too), and the private
 *      entry points of the internal web workloads (their URLs reach the other workloads'
 *      environments);
 *   5. workloads: each gets its environment, resolved from the bindings it uses, and the
 *      handles of the resources it uses (for the network and identity grants);
 *   6. finish: what watches the rest (alarms).
 *
 * The outputs are maps (`workloads.<name>.url`, `resources.<name>.endpoint`,
 * `dnsRecords`), typed once here, plus today's single-service outputs for stacks that
 * have the single service.
 */
import * as pulumi from "@pulumi/pulumi";
import type { DnsRecord } from "./platforms/dnsRecord";
import { workloadEnv, type EnvSource } from "./model/bindings";
import { isContainerWorkload, legacyResourceNames, legacyWebName, type ContainerWorkload, type CronWorkload, type Model, type Resource, type ServiceWorkload, type SiteWorkload, type WebWorkload, type Workload } from "./model/model";
import type { TemplatePart } from "./model/references";
import type { Topology } from "./topology";

/** What every step of a platform receives. */
export interface ComposeContext {
  /** The stack's resource name prefix (`ha-topology:name`, default `web`): today's logical names start with it. */
  name: string;
  /**
   * The validated single-service and shared keys. `network`, `dns`, `tls`, `alarms`,
   * `logs`, `kubernetes` and `registry` are the stack's; `nodes`, `healthCheck`,
   * `database`, `storage` and `sessions` mean something only for the single service
   * (the model's entries of origin `single-service`).
   */
  topology: Topology;
  /** The workloads and resources to build. */
  model: Model;
  /** `ha-topology:secrets`: name -> secret value; every workload receives them. */
  appSecrets: Record<string, pulumi.Output<string>>;
  /** The HaService component: every resource is its descendant. */
  parent: pulumi.ComponentResource;
}

/** What a platform returns for one resource. */
export interface ResourceHandle {
  /** The resource it built. */
  resource: Resource;
  /**
   * The value of every field of the resource's binding on this cloud (bindings.ts
   * `resourceBinding`), by field name; a secret field's value is a secret Output.
   */
  fields: Record<string, pulumi.Output<string>>;
  /** The private endpoint users operate it by (host:port, the bucket's name, the secret's id). */
  endpoint: pulumi.Output<string>;
}

/** What a platform returns for the edge. */
export interface EdgeHandle {
  /**
   * Every web workload's URL: https://host/path for a public one, the stable private URL
   * (given to the others as `<WORKLOAD>_URL`) for an internal one; every site's public URL.
   */
  urls: Record<string, pulumi.Output<string>>;
  /** DNS records the user must create; empty when the program manages the zone. */
  dnsRecords: pulumi.Output<DnsRecord[]>;
  /** The public load balancer's address (the first one where there are several); undefined without a public web. */
  loadBalancerAddress: pulumi.Output<string | undefined>;
}

/** What a platform returns for one workload. */
export interface WorkloadHandle {
  /** Its node group's identifier (autoscaling group, MIG, tag or Deployment name). */
  nodeGroupId: pulumi.Output<string>;
}

/**
 * What a platform's site step returns: the site's origin (the bucket or the file server
 * its files are uploaded to), built before the edge, which routes the site's path or host
 * to it; a platform's own fields carry what its edge needs (a bucket's domain, a Service).
 */
export interface SiteHandle extends WorkloadHandle {
  /** The origin's identifier (its bucket's name, its Deployment's). */
  nodeGroupId: pulumi.Output<string>;
}

/** One variable of a workload's environment, with its value. */
export interface BoundVariable {
  /** The variable's name. */
  name: string;
  /** Its value; a secret Output when `secret`. */
  value: pulumi.Output<string>;
  /** True when the value is secret: the platform must deliver it through the secret store, never in plain user data. */
  secret: boolean;
  /** Where it comes from (bindings.ts). */
  source: EnvSource;
  /**
   * True when the single-service path of the platform already delivers it (today's
   * DATABASE_*, BUCKET_*, SESSION_STORE_*, the app secrets and `nodes.env` of the `web`
   * workload of the single-service keys): that workload's nodes must keep exactly
   * today's user data, so only the other variables travel the new way.
   */
  singleService: boolean;
}

/**
 * A cloud's platform. `F`, `R`, `E`, `W` and `S` are its own handle types, so a step can
 * carry what the next needs (security group ids, ports, target groups, a site's origin)
 * without the composer knowing them.
 */
export interface Platform<F, R extends ResourceHandle, E extends EdgeHandle, W extends WorkloadHandle, S extends SiteHandle = SiteHandle> {
  /** Network, identity, guards and log groups. */
  foundation(ctx: ComposeContext): F;
  /** One resource of the model. */
  resource(ctx: ComposeContext, foundation: F, resource: Resource): R;
  /**
   * One static site's origin and its files (issue 17), built before the edge: its files
   * from `site.sourceDir` (components/siteFiles.ts lists them). A platform without it
   * serves no sites (its capability row refuses kind site, so the parser refuses them first).
   */
  site?(ctx: ComposeContext, foundation: F, site: SiteWorkload): S;
  /**
   * Load balancers, certificates and routes of the public web workloads and of the sites
   * (their origins, by site name; `urls` gets each site's URL), and the internal ones'
   * private entry points.
   */
  edge(ctx: ComposeContext, foundation: F, webs: WebWorkload[], sites: Map<string, S>): E;
  /** One web service or worker pool: its node group, given its environment and the handles of the resources it uses. */
  workload(ctx: ComposeContext, foundation: F, workload: ServiceWorkload, env: BoundVariable[], uses: R[], edge: E): W;
  /**
   * One scheduled job: its scheduler and its run's environment, access and identity, as a
   * workload's. A platform without it runs no cron jobs (its capability row says so, so
   * the parser refuses them first).
   */
  job?(ctx: ComposeContext, foundation: F, job: CronWorkload, env: BoundVariable[], uses: R[], edge: E): W;
  /** What watches the rest (alarms); called last. */
  finish(ctx: ComposeContext, foundation: F, edge: E, workloads: Map<string, W>, resources: R[]): void;
}

/**
 * A platform whose handle types do not matter to the caller (the composer only passes
 * each step's handle to the next; the methods' parameters are bivariant, so every
 * cloud's `Platform<F, R, E, W>` is one).
 */
export type AnyPlatform = Platform<unknown, ResourceHandle, EdgeHandle, WorkloadHandle, SiteHandle>;

/** A workload's entry in the outputs. */
export interface WorkloadOutput {
  /** Its kind. */
  kind: Workload["kind"];
  /** Its URL (public or private) for a web workload; undefined for a worker or a job. */
  url: string | undefined;
  /** Its node group's identifier (a job's: its scheduler's; a site's: what its platform step returns). */
  nodeGroupId: string;
}

/** A resource's entry in the outputs. */
export interface ResourceOutput {
  /** Its kind. */
  kind: Resource["kind"];
  /** Its private endpoint (host:port, bucket name, secret id). */
  endpoint: string;
}

/** What the composer returns: the maps, and the single service's outputs where the stack has it. */
export interface ComposedOutputs {
  /** Every workload by name. */
  workloads: pulumi.Output<Record<string, WorkloadOutput>>;
  /** Every resource by name. */
  resources: pulumi.Output<Record<string, ResourceOutput>>;
  /** DNS records the user must create; empty when the program manages the zone. */
  dnsRecords: pulumi.Output<DnsRecord[]>;
  /** The main public URL: the single service's, else the first public web workload's. */
  url: pulumi.Output<string | undefined>;
  /** The public load balancer's address. */
  loadBalancerAddress: pulumi.Output<string | undefined>;
  /** The single service's bucket name (resource `bucket`'s `name` field). */
  bucketName: pulumi.Output<string | undefined>;
  /** The single service's database endpoint (resource `database`). */
  databaseEndpoint: pulumi.Output<string | undefined>;
  /** The single service's node group (workload `web`). */
  nodeGroupId: pulumi.Output<string | undefined>;
  /** The single service's session store endpoint (resource `sessions`). */
  sessionStoreEndpoint: pulumi.Output<string | undefined>;
}

/** The single-service names by kind: an entry with its kind's name keeps today's logical names. */
const singleServiceNames: Record<string, string> = { web: legacyWebName, ...legacyResourceNames };

/**
 * The logical name prefix of a workload's or resource's components: `ctx.name` (today's
 * names, so the single service keeps its URNs) for the single-service names (`web`,
 * `database`, `bucket`, `sessions` of their kinds, which a stack rewritten in the maps
 * keeps too), else `<ctx.name>-<entry name>`.
 */
export function logicalName(ctx: Pick<ComposeContext, "name">, entry: { name: string; kind: string }): string {
  return singleServiceNames[entry.kind] === entry.name ? ctx.name : `${ctx.name}-${entry.name}`;
}

/** Resolves a template (literal parts and references) against the handles. */
function render(parts: readonly TemplatePart[], handles: Map<string, ResourceHandle>): pulumi.Output<string> {
  return pulumi.all(parts.map((part) => (typeof part === "string" ? pulumi.output(part) : handles.get(part.resource)!.fields[part.field]))).apply((values) => values.join(""));
}

/**
 * A workload's environment with values: every variable bindings.ts `workloadEnv` lists,
 * except the platform's own (`PORT`, `APP_VERSION`, `TRUSTED_PROXY_HOPS`), which the
 * platform sets with what only it knows.
 */
export function boundEnv(ctx: ComposeContext, workload: ContainerWorkload, handles: Map<string, ResourceHandle>, edge: EdgeHandle): BoundVariable[] {
  const single = workload.origin === "single-service";
  const legacyResources = new Set(ctx.model.resources.filter((r) => r.origin === "single-service").map((r) => r.name));
  const out: BoundVariable[] = [];
  for (const v of workloadEnv(ctx.model, workload)) {
    const s = v.source;
    if ("platform" in s) continue;
    let value: pulumi.Output<string>;
    if ("resource" in s) {
      const field = handles.get(s.resource)?.fields[s.field];
      if (!field) throw new Error(`compose: resource ${s.resource} has no value for its binding field ${s.field} (the platform must return every field of resourceBinding)`);
      value = field;
    } else if ("workload" in s) {
      const url = edge.urls[s.workload];
      if (!url) throw new Error(`compose: the edge returned no URL for the internal workload ${s.workload}`);
      value = url;
    } else if ("appSecret" in s) {
      const secret = ctx.appSecrets[s.appSecret];
      if (!secret) throw new Error(`compose: the app secret ${s.appSecret} the model lists has no value (pass it in HaService's secrets)`);
      value = secret;
    } else {
      value = render(workload.env[s.env], handles);
    }
    const singleService = single && ("appSecret" in s || "env" in s || ("resource" in s && legacyResources.has(s.resource)));
    out.push({ name: v.name, value: v.secret ? pulumi.secret(value) : value, secret: v.secret, source: s, singleService });
  }
  return out;
}

/** Splits bound variables into the plain and the secret ones (resolved), for a platform that delivers them apart. */
export function splitEnv(env: readonly BoundVariable[]): { plain: pulumi.Output<Record<string, string>>; secret: pulumi.Output<Record<string, string>> } {
  const collect = (secret: boolean) => {
    const entries = env.filter((v) => v.secret === secret);
    return pulumi.all(entries.map((v) => v.value)).apply((values) => Object.fromEntries(entries.map((v, i) => [v.name, values[i]])));
  };
  return { plain: collect(false), secret: pulumi.secret(collect(true)) };
}

/** Builds the model on a platform, in the composer's order, and returns the outputs. */
export function compose(platform: AnyPlatform, ctx: ComposeContext): ComposedOutputs {
  const { model } = ctx;
  const foundation = platform.foundation(ctx);
  const handles = new Map<string, ResourceHandle>();
  const resources = model.resources.map((resource) => {
    const handle = platform.resource(ctx, foundation, resource);
    handles.set(resource.name, handle);
    return handle;
  });
  const webs = model.workloads.filter((w): w is WebWorkload => w.kind === "web");
  // Sites before the edge: their origins are what the edge routes their paths and hosts to.
  const sites = new Map<string, SiteHandle>();
  for (const site of model.workloads) {
    if (isContainerWorkload(site)) continue;
    if (!platform.site) throw new Error(`compose: the ${model.cloud} platform builds no static sites (its capability row must not list site)`);
    sites.set(site.name, platform.site(ctx, foundation, site));
  }
  const edge = platform.edge(ctx, foundation, webs, sites);
  const built = new Map<string, WorkloadHandle>(sites);
  for (const workload of model.workloads) {
    if (!isContainerWorkload(workload)) continue;
    const uses = resources.filter((r) => workload.uses.includes(r.resource.name));
    const env = boundEnv(ctx, workload, handles, edge);
    if (workload.kind === "cron") {
      if (!platform.job) throw new Error(`compose: the ${model.cloud} platform runs no cron jobs (its capability row must not list cron)`);
      built.set(workload.name, platform.job(ctx, foundation, workload, env, uses, edge));
    } else {
      built.set(workload.name, platform.workload(ctx, foundation, workload, env, uses, edge));
    }
  }
  platform.finish(ctx, foundation, edge, built, resources);

  const workloads = pulumi.output(
    Object.fromEntries(
      model.workloads.map((w) => [w.name, pulumi.output({ kind: w.kind, url: w.kind === "web" || w.kind === "site" ? edge.urls[w.name] : undefined, nodeGroupId: built.get(w.name)!.nodeGroupId })]),
    ),
  ) as pulumi.Output<Record<string, WorkloadOutput>>;
  const resourceMap = pulumi.output(Object.fromEntries(resources.map((r) => [r.resource.name, pulumi.output({ kind: r.resource.kind, endpoint: r.endpoint })]))) as pulumi.Output<
    Record<string, ResourceOutput>
  >;
  const legacy = (name: string) => model.resources.find((r) => r.name === name && r.origin === "single-service");
  const singleWeb = model.workloads.find((w) => w.name === legacyWebName && w.origin === "single-service");
  const firstPublic = webs.find((w) => w.route !== undefined);
  const bucket = legacy(legacyResourceNames.bucket);
  const database = legacy(legacyResourceNames.sql);
  const sessions = legacy(legacyResourceNames.cache);
  const none = pulumi.output<string | undefined>(undefined);
  return {
    workloads,
    resources: resourceMap,
    dnsRecords: edge.dnsRecords,
    url: singleWeb ? pulumi.output(`https://${ctx.model.domain}`) : firstPublic ? edge.urls[firstPublic.name] : none,
    loadBalancerAddress: edge.loadBalancerAddress,
    bucketName: bucket ? handles.get(bucket.name)!.fields.name : none,
    databaseEndpoint: database ? handles.get(database.name)!.endpoint : none,
    nodeGroupId: singleWeb ? built.get(singleWeb.name)!.nodeGroupId : none,
    sessionStoreEndpoint: sessions ? handles.get(sessions.name)!.endpoint : none,
  };
}
