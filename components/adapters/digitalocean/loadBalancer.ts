/**
 * The DigitalOcean load balancer: HTTPS on 443 with a Let's Encrypt certificate (or
 * yours), port 80 redirected, the STRONG cipher policy, an HTTP health check, no sticky
 * sessions; the droplets join it through their tag. Plus the domain's A record in
 * DigitalOcean DNS, or the record to create elsewhere as an output.
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { Topology } from "../../topology";
import type { DnsRecord } from "../adapter";

/** Arguments of LoadBalancer. */
export interface LoadBalancerArgs {
  /** The topology (domain, dns, tls, nodes, health check). */
  topology: Topology;
  /** The region. */
  region: string;
  /** The VPC the load balancer reaches the droplets in. */
  vpcId: pulumi.Input<string>;
  /** The serving tag: every droplet with it is a target (a gate removes it to drain one). */
  servingTag: pulumi.Input<string>;
}

/** The record name inside a zone: "@" for the apex, else the labels before the zone. */
export function recordName(domain: string, zone: string): string {
  return domain === zone ? "@" : domain.slice(0, -(zone.length + 1));
}

/** The load balancer, its certificate and DNS. */
export class LoadBalancer extends pulumi.ComponentResource {
  /** The load balancer's ID (the firewall admits it). */
  readonly id: pulumi.Output<string>;
  /** Its public IPv4 address. */
  readonly ip: pulumi.Output<string>;
  /** Records to create at your DNS host (empty when the domain is in DigitalOcean DNS). */
  readonly dnsRecords: pulumi.Output<DnsRecord[]>;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:digitalocean:LoadBalancer", name, {}, opts);
    const { topology, region } = args;
    const { domain, nodes, healthCheck: hc } = topology;
    const parent = { parent: this };

    // Let's Encrypt on DigitalOcean validates through DigitalOcean DNS, so a managed
    // certificate needs `dns.zone` (the topology parser requires it or `tls.certificate`).
    // The LB references the certificate by NAME: a renewal issues a new ID, the name stays.
    const certificateName = topology.tls.certificate
      ? pulumi.output(topology.tls.certificate)
      : new digitalocean.Certificate(`${name}-cert`, { type: "lets_encrypt", domains: [domain] }, parent).name;

    const lb = new digitalocean.LoadBalancer(`${name}-lb`, {
      region,
      vpcUuid: args.vpcId,
      dropletTag: args.servingTag,
      forwardingRules: [
        { entryProtocol: "https", entryPort: 443, targetProtocol: "http", targetPort: nodes.port, certificateName },
        { entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: nodes.port },
      ],
      redirectHttpToHttps: true,
      // Set from the start: changing the cipher policy later replaces the LB (a new IP).
      tlsCipherPolicy: "STRONG",
      healthcheck: {
        protocol: "http",
        port: nodes.port,
        path: hc.path,
        checkIntervalSeconds: Math.min(hc.intervalSeconds, 300),
        responseTimeoutSeconds: hc.timeoutSeconds,
        healthyThreshold: hc.healthyThreshold,
        unhealthyThreshold: hc.unhealthyThreshold,
      },
      stickySessions: { type: "none" },
      enableBackendKeepalive: true,
      httpIdleTimeoutSeconds: 60,
      // The program writes the A record itself (or outputs it): no automatic records.
      disableLetsEncryptDnsRecords: true,
    }, parent);

    const zone = topology.dns.zone;
    if (zone) {
      new digitalocean.DnsRecord(`${name}-domain`, { domain: zone, type: "A", name: recordName(domain, zone), value: lb.ip, ttl: 300 }, parent);
    }
    this.id = lb.id;
    this.ip = lb.ip;
    this.dnsRecords = zone ? pulumi.output([]) : lb.ip.apply((ip) => [{ name: domain, type: "A", value: ip, purpose: "serve traffic" }]);
    this.registerOutputs({ ip: this.ip, dnsRecords: this.dnsRecords });
  }
}
