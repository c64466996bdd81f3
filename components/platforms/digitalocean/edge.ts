/**
 * The edge of a DigitalOcean stack. A DigitalOcean load balancer forwards by port only
 * (capabilities.ts refuses path routes here), so each web workload gets its own
 * LoadBalancer (loadBalancer.ts): a public one with a Let's Encrypt certificate for its
 * host and the host's A record, or, for an internal web (`public: false`), one with
 * `network: "INTERNAL"` in the stack's VPC, whose private address is the workload's URL
 * (`http://<address>:<port>`, given to the others as `<WORKLOAD>_URL`). The single
 * service's load balancer and certificate keep their names and inputs. A static site is
 * not behind a load balancer (one cannot route to Spaces): its URL is its own host's, in
 * front of the Spaces CDN (site.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { logicalName, type ComposeContext, type EdgeHandle } from "../../compose";
import type { WebWorkload } from "../../model/model";
import type { DnsRecord } from "../dnsRecord";
import type { Foundation } from "./foundation";
import { LoadBalancer } from "./loadBalancer";
import type { DoSite } from "./site";

/** The edge, with each web workload's load balancer. */
export interface DoEdge extends EdgeHandle {
  /** Each web workload's load balancer, by workload name. */
  balancers: Map<string, LoadBalancer>;
}

/** Builds one load balancer per web workload; a site is on its own host behind the Spaces CDN (site.ts), so the edge only gives its URL. */
export function buildEdge(ctx: ComposeContext, f: Foundation, webs: WebWorkload[], sites: Map<string, DoSite>): DoEdge {
  const balancers = new Map<string, LoadBalancer>();
  const urls: Record<string, pulumi.Output<string>> = {};
  for (const web of webs) {
    const lb = new LoadBalancer(logicalName(ctx, web), {
      host: web.route?.host ?? "",
      port: web.port,
      // Readiness: failing it takes a droplet out of the pool, nothing more.
      healthCheck: web.healthCheck,
      certificate: ctx.topology.tls.certificate,
      zone: ctx.topology.dns.zone,
      internal: web.route === undefined,
      region: f.region,
      vpcId: f.vpcId,
      servingTag: f.groups.get(web.name)!.servingTag!,
    }, f.opts);
    balancers.set(web.name, lb);
    urls[web.name] = lb.url;
  }
  for (const [name, site] of sites) urls[name] = site.url;
  const publicWebs = webs.filter((w) => w.route !== undefined);
  const first = publicWebs.find((w) => w.origin === "single-service") ?? publicWebs[0];
  return {
    urls,
    balancers,
    dnsRecords: pulumi.all(publicWebs.map((w) => balancers.get(w.name)!.dnsRecords)).apply((lists): DnsRecord[] => lists.flat()),
    loadBalancerAddress: first ? balancers.get(first.name)!.ip : pulumi.output<string | undefined>(undefined),
  };
}
