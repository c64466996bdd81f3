/**
 * The public entry: a global external Application Load Balancer (Envoy-based,
 * EXTERNAL_MANAGED) on one static IPv4 address, TLS 1.2+ with a Google-managed (or the
 * user's) certificate on 443, port 80 answering only with a redirect, and a backend
 * service over the regional MIG whose health check is the one the MIG autoheals with.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { DnsRecord } from "../adapter";
import type { Topology } from "../../topology";

/** Arguments of LoadBalancer. */
export interface LoadBalancerArgs {
  /** The topology (domain, drain time, DNS zone, TLS certificate and name). */
  topology: Topology;
  /** The regional MIG's instance group URL (its `instanceGroup` output). */
  instanceGroup: pulumi.Input<string>;
  /** The global compute.HealthCheck's id, the same one the MIG autoheals with. */
  healthCheckId: pulumi.Input<string>;
  /** The MIG's named port the backend service sends traffic to ("http"). */
  portName: string;
  /** Labels for every resource that takes labels. */
  labels: Record<string, string>;
}

/** The load balancing scheme of every part: the global external ALB (not the classic one). */
const scheme = "EXTERNAL_MANAGED";

/** Address + backend service + URL maps + certificate + proxies + forwarding rules (+ Cloud DNS record). */
export class LoadBalancer extends pulumi.ComponentResource {
  /** The load balancer's IPv4 address: point the domain's A record here. */
  readonly address: pulumi.Output<string>;
  /** Records the user must create at their DNS host (empty with `dns.zone`). */
  readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  /** The backend service's name (the Cloud Monitoring label of its metrics). */
  readonly backendServiceName: pulumi.Output<string>;
  /** The HTTPS forwarding rule: only once it exists does traffic reach the nodes. */
  readonly httpsForwardingRule: gcp.compute.GlobalForwardingRule;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:LoadBalancer", name, {}, opts);
    const { topology, labels } = args;
    const { domain, nodes, dns, tls } = topology;
    const parent = { parent: this };

    // A reserved address, so the IP (and the user's A record) survives any change to the
    // proxies and forwarding rules in front of it.
    const ip = new gcp.compute.GlobalAddress(`${name}-ip`, {
      addressType: "EXTERNAL",
      ipVersion: "IPV4",
      labels,
    }, parent);

    const backend = new gcp.compute.BackendService(`${name}-backend`, {
      loadBalancingScheme: scheme,
      protocol: "HTTP",
      portName: args.portName,
      backends: [{ group: args.instanceGroup, balancingMode: "UTILIZATION", capacityScaler: 1 }],
      // A single health check URL in this provider (a string, not a list); shared with the
      // MIG's autohealing so "out of rotation" and "replaced" mean the same failure.
      healthChecks: args.healthCheckId,
      connectionDrainingTimeoutSec: nodes.drainSeconds,
      // Stateless nodes: never pin a client to one node.
      sessionAffinity: "NONE",
      timeoutSec: 30,
      logConfig: { enable: true, sampleRate: 1 },
      // The same HSTS header the AWS adapter's listener sets: browsers stop trying port 80.
      customResponseHeaders: ["Strict-Transport-Security: max-age=31536000"],
    }, parent);

    const urlMap = new gcp.compute.URLMap(`${name}-urlmap`, { defaultService: backend.id }, parent);

    let certificateId: pulumi.Input<string>;
    if (tls.certificate) {
      certificateId = tls.certificate;
    } else {
      // No fixed `name`: changing the domains replaces the certificate, and a certificate in
      // use by the proxy cannot be deleted. With an autoname, Pulumi's default
      // create-before-delete makes the new one, moves the proxy to it, then deletes the old.
      const certificate = new gcp.compute.ManagedSslCertificate(`${name}-cert`, {
        type: "MANAGED",
        managed: { domains: [domain] },
      }, parent);
      certificateId = certificate.id;
    }

    const sslPolicy = new gcp.compute.SSLPolicy(`${name}-tls-policy`, {
      minTlsVersion: "TLS_1_2",
      profile: "MODERN",
    }, parent);

    const httpsProxy = new gcp.compute.TargetHttpsProxy(`${name}-https-proxy`, {
      urlMap: urlMap.id,
      sslCertificates: [certificateId],
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
    const managedCertificate = !tls.certificate;
    if (dns.zone) {
      new gcp.dns.RecordSet(`${name}-domain`, {
        managedZone: dns.zone,
        name: `${domain}.`,
        type: "A",
        ttl: 300,
        rrdatas: [ip.address],
      }, parent);
      if (managedCertificate) {
        ip.address.apply((value) => {
          // Said while `pulumi up` runs: the update does not wait for the certificate.
          pulumi.log.info(
            `The Google-managed certificate for ${domain} is issued only once ${domain} A ${value} (created in Cloud DNS zone ${dns.zone}) resolves; HTTPS fails until then (often 15-60 minutes)`,
            this,
          );
        });
      }
    } else {
      records.push(ip.address.apply((value): DnsRecord => {
        if (managedCertificate) {
          // Said while `pulumi up` runs, so the user can act on it now: nothing waits for it.
          pulumi.log.info(
            `Create this DNS record so Google can issue the managed certificate for ${domain} (HTTPS fails until it resolves): ${domain} A ${value}`,
            this,
          );
        }
        return {
          name: domain,
          type: "A",
          value,
          purpose: managedCertificate
            ? "serve traffic; the Google-managed certificate is issued only once this record resolves"
            : "serve traffic",
        };
      }));
    }

    this.address = ip.address;
    this.backendServiceName = backend.name;
    this.dnsRecords = pulumi.all(records);
    this.registerOutputs({
      address: this.address,
      dnsRecords: this.dnsRecords,
      backendServiceName: this.backendServiceName,
      httpsForwardingRule: this.httpsForwardingRule,
    });
  }
}
