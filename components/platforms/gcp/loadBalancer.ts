/**
 * The public entry: a global external Application Load Balancer (Envoy-based,
 * EXTERNAL_MANAGED) on one static IPv4 address, TLS 1.2+ with Google-managed (or the
 * user's) certificates on 443, port 80 answering only with a redirect, and one backend
 * service per public web workload over its regional MIG. Every public web workload shares
 * it: the URL map routes by host rule and path matcher (`/api` and `/api/*` to the
 * workload whose path is `/api`).
 *
 * A static site (site.ts) is one more route on the same URL map: its path (or host) goes to
 * its backend bucket (Cloud CDN), through the same HTTPS proxy, certificates and SSL policy.
 *
 * The single service's load balancer is this one with one backend: its parts keep their
 * names and inputs (the URL map only gains host rules and path matchers when other
 * routes are added), and its certificate keeps its one domain: each other host gets a
 * certificate of its own, since changing a managed certificate's domains replaces it.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { DnsRecord } from "../dnsRecord";
import type { Route } from "../../model/model";
import { shortHash } from "../../physicalNames";
import type { HealthCheckSpec, Topology } from "../../topology";

/** One backend service: a public web workload's MIG and the route it serves. */
export interface LoadBalancerBackend {
  /** The backend service's logical name (`<name>-backend`). */
  name: string;
  /** The regional MIG's instance group URL (its `instanceGroup` output). */
  instanceGroup: pulumi.Input<string>;
  /**
   * The health check: an existing one's id (the single service's, which its MIG autoheals
   * with too), or the readiness check to create (`<key>-ready`), which only decides traffic.
   */
  health: { id: pulumi.Input<string> } | { key: string; port: number; check: Omit<HealthCheckSpec, "gracePeriodSeconds"> };
  /** The MIG's named port the backend service sends traffic to ("http"). */
  portName: string;
  /** Seconds the backend drains a node's connections before it is removed. */
  drainSeconds: number;
  /** The host and path prefix it serves. */
  route: Route;
}

/** A static site's route: its backend bucket (site.ts). */
export interface LoadBalancerSite {
  /** The backend bucket's id. */
  backendBucket: pulumi.Input<string>;
  /** The host and path prefix it serves. */
  route: Route;
}

/** Arguments of LoadBalancer. */
export interface LoadBalancerArgs {
  /** The topology (domain, DNS zone, TLS certificate). */
  topology: Pick<Topology, "domain" | "dns" | "tls">;
  /** The public web workloads' backends, the single service's first. */
  backends: LoadBalancerBackend[];
  /**
   * The static sites' backend buckets, after the web workloads' routes; at least one backend or site in all.
   * @default none
   */
  sites?: LoadBalancerSite[];
  /** Labels for every resource that takes labels. */
  labels: Record<string, string>;
}

/** The load balancing scheme of every part: the global external ALB (not the classic one). */
const scheme = "EXTERNAL_MANAGED";

/** The most certificates a target HTTPS proxy takes (one per host here). */
export const maxCertificates = 15;

/**
 * A host's part of a logical name: readable (dots to dashes, cut) and unique (a hash of
 * the exact host), short enough for the physical names Pulumi derives (63 characters).
 */
export function hostKey(host: string): string {
  return `${host.replace(/\./g, "-").slice(0, 20).replace(/-+$/, "")}-${shortHash([host])}`;
}

/** The hosts the routes serve, in order of first appearance, the stack's domain first when it is one. */
export function routeHosts(domain: string, routes: readonly Route[]): string[] {
  const hosts = [...new Set(routes.map((r) => r.host))];
  return hosts.includes(domain) ? [domain, ...hosts.filter((h) => h !== domain)] : hosts;
}

/**
 * Requests no route serves (another host, or a path outside every prefix of a host that
 * has no "/" route) are answered 404 by the load balancer itself: a fault-injection abort
 * of every request, so no workload sees traffic that is not its own. The backend named
 * next to it never receives a request.
 */
const notFound = { faultInjectionPolicy: { abort: { httpStatus: 404, percentage: 100 } } };

/** Address + backend services + URL maps + certificates + proxies + forwarding rules (+ Cloud DNS records). */
export class LoadBalancer extends pulumi.ComponentResource {
  /** The load balancer's IPv4 address: point each host's A record here. */
  readonly address: pulumi.Output<string>;
  /** Records the user must create at their DNS host (empty with `dns.zone`). */
  readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  /** The first backend service's name (the Cloud Monitoring label of its metrics); undefined when only sites are served. */
  readonly backendServiceName: pulumi.Output<string | undefined>;
  /** The HTTPS forwarding rule: only once it exists does traffic reach the nodes. */
  readonly httpsForwardingRule: gcp.compute.GlobalForwardingRule;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:LoadBalancer", name, {}, opts);
    const { topology, labels } = args;
    const { domain, dns, tls } = topology;
    const parent = { parent: this };
    const sites = args.sites ?? [];
    if (args.backends.length === 0 && sites.length === 0) throw new Error("LoadBalancer: no backend");

    // A reserved address, so the IP (and the user's A records) survives any change to the
    // proxies and forwarding rules in front of it.
    const ip = new gcp.compute.GlobalAddress(`${name}-ip`, {
      addressType: "EXTERNAL",
      ipVersion: "IPV4",
      labels,
    }, parent);

    const services = args.backends.map((spec) => {
      const health = "id" in spec.health
        ? spec.health.id
        : new gcp.compute.HealthCheck(`${spec.health.key}-ready`, {
            checkIntervalSec: spec.health.check.intervalSeconds,
            timeoutSec: spec.health.check.timeoutSeconds,
            healthyThreshold: spec.health.check.healthyThreshold,
            unhealthyThreshold: spec.health.check.unhealthyThreshold,
            httpHealthCheck: { port: spec.health.port, requestPath: spec.health.check.path },
            logConfig: { enable: true },
          }, parent).id;
      return new gcp.compute.BackendService(spec.name, {
        loadBalancingScheme: scheme,
        protocol: "HTTP",
        portName: spec.portName,
        backends: [{ group: spec.instanceGroup, balancingMode: "UTILIZATION", capacityScaler: 1 }],
        // A single health check URL in this provider (a string, not a list). The single
        // service's is the one its MIG autoheals with ("out of rotation" and "replaced" mean
        // the same failure, as before); a workload's is its readiness check only.
        healthChecks: health,
        connectionDrainingTimeoutSec: spec.drainSeconds,
        // Stateless nodes: never pin a client to one node.
        sessionAffinity: "NONE",
        timeoutSec: 30,
        logConfig: { enable: true, sampleRate: 1 },
        // The same HSTS header the AWS adapter's listener sets: browsers stop trying port 80.
        customResponseHeaders: ["Strict-Transport-Security: max-age=31536000"],
      }, parent);
    });

    const routes = [...args.backends.map((b) => b.route), ...sites.map((s) => s.route)];
    const hosts = routeHosts(domain, routes);
    const served: Served[] = [
      ...args.backends.map((b, i) => ({ route: b.route, service: services[i].id })),
      ...sites.map((s) => ({ route: s.route, service: pulumi.output(s.backendBucket), bucket: true })),
    ];
    const urlMap = new gcp.compute.URLMap(`${name}-urlmap`, urlMapArgs(domain, hosts, served), parent);

    const certificateIds: pulumi.Input<string>[] = hosts.map((host) => {
      if (host === domain && tls.certificate) return tls.certificate;
      // No fixed `name`: a certificate in use by the proxy cannot be deleted. With an
      // autoname, Pulumi's default create-before-delete makes a new one first. The domain's
      // keeps its name and its one domain; every other host gets its own (adding a host
      // never replaces a certificate in use).
      return new gcp.compute.ManagedSslCertificate(host === domain ? `${name}-cert` : `${name}-cert-${hostKey(host)}`, {
        type: "MANAGED",
        managed: { domains: [host] },
      }, parent).id;
    });

    const sslPolicy = new gcp.compute.SSLPolicy(`${name}-tls-policy`, {
      minTlsVersion: "TLS_1_2",
      profile: "MODERN",
    }, parent);

    const httpsProxy = new gcp.compute.TargetHttpsProxy(`${name}-https-proxy`, {
      urlMap: urlMap.id,
      sslCertificates: certificateIds,
      sslPolicy: sslPolicy.id,
    }, parent);

    this.httpsForwardingRule = new gcp.compute.GlobalForwardingRule(`${name}-https`, {
      target: httpsProxy.id,
      ipAddress: ip.address,
      portRange: "443",
      ipProtocol: "TCP",
      loadBalancingScheme: scheme,
      labels,
    }, parent);

    // Port 80 never reaches the app: a URL map with no backend, only a redirect to HTTPS.
    const redirect = new gcp.compute.URLMap(`${name}-redirect`, {
      defaultUrlRedirect: { httpsRedirect: true, redirectResponseCode: "MOVED_PERMANENTLY_DEFAULT", stripQuery: false },
    }, parent);
    const httpProxy = new gcp.compute.TargetHttpProxy(`${name}-http-proxy`, { urlMap: redirect.id }, parent);
    new gcp.compute.GlobalForwardingRule(`${name}-http`, {
      target: httpProxy.id,
      ipAddress: ip.address,
      portRange: "80",
      ipProtocol: "TCP",
      loadBalancingScheme: scheme,
      labels,
    }, parent);

    const records: pulumi.Output<DnsRecord>[] = [];
    for (const host of hosts) {
      const managedCertificate = !(host === domain && tls.certificate);
      if (dns.zone) {
        new gcp.dns.RecordSet(host === domain ? `${name}-domain` : `${name}-domain-${hostKey(host)}`, {
          managedZone: dns.zone,
          name: `${host}.`,
          type: "A",
          ttl: 300,
          rrdatas: [ip.address],
        }, parent);
        if (managedCertificate) {
          ip.address.apply((value) => {
            // Said while `pulumi up` runs: the update does not wait for the certificate.
            pulumi.log.info(
              `The Google-managed certificate for ${host} is issued only once ${host} A ${value} (created in Cloud DNS zone ${dns.zone}) resolves; HTTPS fails until then (often 15-60 minutes)`,
              this,
            );
          });
        }
      } else {
        records.push(ip.address.apply((value): DnsRecord => {
          if (managedCertificate) {
            // Said while `pulumi up` runs, so the user can act on it now: nothing waits for it.
            pulumi.log.info(
              `Create this DNS record so Google can issue the managed certificate for ${host} (HTTPS fails until it resolves): ${host} A ${value}`,
              this,
            );
          }
          return {
            name: host,
            type: "A",
            value,
            purpose: managedCertificate
              ? "serve traffic; the Google-managed certificate is issued only once this record resolves"
              : "serve traffic",
          };
        }));
      }
    }

    this.address = ip.address;
    this.backendServiceName = services.length > 0 ? services[0].name : pulumi.output<string | undefined>(undefined);
    this.dnsRecords = pulumi.all(records);
    this.registerOutputs({
      address: this.address,
      dnsRecords: this.dnsRecords,
      backendServiceName: this.backendServiceName,
      httpsForwardingRule: this.httpsForwardingRule,
    });
  }
}

/** One route and the backend service (or a site's backend bucket) that serves it. */
interface Served {
  route: Route;
  service: pulumi.Output<string>;
  /** True for a site's backend bucket: a route action (the 404 below) cannot go to one. */
  bucket?: boolean;
}

/** A path matcher's name: RFC 1035, unique per host. */
const matcherName = (host: string) => `host-${shortHash([host], 12)}`;

/**
 * The HTTPS URL map's routing. One route at "/" on the domain (the single service, or a
 * stack of one public web): only `defaultService`, exactly as before. Otherwise a host rule
 * per host and a path matcher whose path rules send `<prefix>` and `<prefix>/*` to the
 * workload of that prefix (the longest matching prefix wins) and whose default is the
 * host's "/" workload, or 404. A request for another host goes where the domain's "/"
 * goes (as every host did before), or gets a 404 when the domain has no "/" route.
 *
 * The 404 is a route action on a backend service; a stack that serves only sites has
 * none, so there an unserved request goes to the first site's backend bucket, whose keys
 * all sit under its own prefix: it answers 404 (or, for a single-page app, its index.html).
 */
export function urlMapArgs(domain: string, hosts: readonly string[], served: readonly Served[]): gcp.compute.URLMapArgs {
  const root = (host: string) => served.find((s) => s.route.host === host && s.route.path === "/")?.service;
  const fallback = root(domain);
  if (served.length === 1 && fallback) return { defaultService: fallback };
  const firstService = served.find((s) => !s.bucket)?.service;
  const orNotFound = (service: pulumi.Output<string> | undefined) =>
    service ? { service } : firstService ? { service: firstService, action: notFound } : { service: served[0].service };
  const top = orNotFound(fallback);
  return {
    defaultService: top.service,
    ...(top.action && { defaultRouteAction: top.action }),
    hostRules: hosts.map((host) => ({ hosts: [host], pathMatcher: matcherName(host) })),
    pathMatchers: hosts.map((host) => {
      const own = orNotFound(root(host));
      const prefixed = served.filter((s) => s.route.host === host && s.route.path !== "/");
      return {
        name: matcherName(host),
        defaultService: own.service,
        ...(own.action && { defaultRouteAction: own.action }),
        ...(prefixed.length > 0 && { pathRules: prefixed.map((s) => ({ paths: [s.route.path, `${s.route.path}/*`], service: s.service })) }),
      };
    }),
  };
}
