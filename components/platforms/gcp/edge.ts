/**
 * The edge on GCP: every public web workload and every static site on ONE global external
 * Application Load Balancer (loadBalancer.ts: one URL map with host rules and path
 * matchers, a backend service per workload, a site's backend bucket (site.ts) for its
 * route, a certificate per host), and an internal passthrough load balancer per internal
 * web workload (internalLoadBalancer.ts), whose URL the others receive.
 *
 * The edge is built before the workloads (the composer's order), but on GCP a backend
 * service points at its MIG, not the other way round: each backend takes its instance
 * group from a deferred output, which the workload step resolves (`GcpEdge.attach`).
 */
import * as pulumi from "@pulumi/pulumi";
import { logicalName, type ComposeContext } from "../../compose";
import type { WebWorkload } from "../../model/model";
import type { GcpEdge, GcpFoundation, GcpSite } from "./handles";
import { InternalLoadBalancer } from "./internalLoadBalancer";
import { LoadBalancer, type LoadBalancerBackend, type LoadBalancerSite } from "./loadBalancer";
import { namedPort, type NodeGroup } from "./nodeGroup";

/** A public web workload's URL: https://host, plus its path prefix. */
export function publicUrl(route: { host: string; path: string }): string {
  return `https://${route.host}${route.path === "/" ? "" : route.path}`;
}

/** Load balancers, certificates and routes of the public web workloads and the sites, and the internal ones' entry points. */
export function gcpEdge(ctx: ComposeContext, f: GcpFoundation, webs: WebWorkload[], sites: Map<string, GcpSite> = new Map()): GcpEdge {
  const attach = new Map<string, (group: NodeGroup) => void>();
  const urls: Record<string, pulumi.Output<string>> = {};
  const publicWebs = webs.filter((w) => w.route !== undefined);

  const backends = publicWebs.map((w): LoadBalancerBackend => {
    const name = logicalName(ctx, w);
    const [group, setGroup] = pulumi.deferredOutput<string>();
    let health: LoadBalancerBackend["health"];
    if (w.origin === "single-service") {
      // The single service's backend keeps its one health check, the MIG's (created with the nodes).
      const [check, setCheck] = pulumi.deferredOutput<string>();
      health = { id: check };
      attach.set(w.name, (nodes) => {
        setGroup(nodes.instanceGroup);
        if (!nodes.healthCheckId) throw new Error(`gcp: the single service's node group has no health check`);
        setCheck(nodes.healthCheckId);
      });
    } else {
      const { gracePeriodSeconds: _grace, liveness: _liveness, ...readiness } = w.healthCheck;
      health = { key: name, port: w.port, check: readiness };
      attach.set(w.name, (nodes) => setGroup(nodes.instanceGroup));
    }
    urls[w.name] = pulumi.output(w.origin === "single-service" ? `https://${ctx.model.domain}` : publicUrl(w.route!));
    return { name: `${name}-backend`, instanceGroup: group, health, portName: namedPort, drainSeconds: w.drainSeconds, route: w.route! };
  });
  const siteRoutes = [...sites.values()].map((s): LoadBalancerSite => {
    urls[s.site.name] = pulumi.output(publicUrl(s.site.route));
    return { backendBucket: s.backendBucketId, route: s.site.route };
  });
  // A stack without sites passes exactly the arguments it always did.
  const loadBalancer = backends.length + siteRoutes.length > 0
    ? new LoadBalancer(ctx.name, { topology: ctx.topology, backends, ...(siteRoutes.length > 0 && { sites: siteRoutes }), labels: f.labels }, f.opts)
    : undefined;

  for (const w of webs.filter((x) => x.route === undefined)) {
    const [group, setGroup] = pulumi.deferredOutput<string>();
    const { gracePeriodSeconds: _grace, liveness: _liveness, ...readiness } = w.healthCheck;
    const internal = new InternalLoadBalancer(logicalName(ctx, w), {
      region: f.region,
      networkId: f.network.networkId,
      subnetSelfLink: f.network.subnetSelfLink,
      port: w.port,
      readiness,
      instanceGroup: group,
      drainSeconds: w.drainSeconds,
      labels: f.labels,
    }, f.opts);
    urls[w.name] = internal.url;
    attach.set(w.name, (nodes) => setGroup(nodes.instanceGroup));
  }

  return {
    urls,
    dnsRecords: loadBalancer ? loadBalancer.dnsRecords : pulumi.output([]),
    loadBalancerAddress: loadBalancer ? loadBalancer.address : pulumi.output<string | undefined>(undefined),
    attach,
  };
}
