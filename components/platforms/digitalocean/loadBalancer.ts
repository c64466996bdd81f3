/**
 * A DigitalOcean load balancer of one web workload. DigitalOcean load balancers forward
 * by port only (no host or path rules), so each web workload gets its own:
 *
 * - public: HTTPS on 443 with a Let's Encrypt certificate for its host (or your uploaded
 *   one), port 80 redirected, the STRONG cipher policy, an HTTP health check on the
 *   readiness path, no sticky sessions; plus the host's A record in DigitalOcean DNS, or
 *   the record to create elsewhere as an output;
 * - internal (`public: false`): `network: "INTERNAL"`, an address in the stack's VPC
 *   only, plain HTTP on the workload's port (the traffic never leaves the VPC), the same
 *   health check. Its private address is the workload's stable private entry point: it
 *   lives as long as the load balancer, which nothing here replaces (no TLS settings to
 *   change), unlike a droplet's address, which every rollout changes.
 *
 * The droplets join through their serving tag (a gate removes it to drain one).
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { HealthCheckSpec } from "../../topology";
import type { DnsRecord } from "../dnsRecord";

/** Arguments of LoadBalancer. */
export interface LoadBalancerArgs {
  /** The host name it serves (its certificate and A record); unused for an internal one. */
  host: string;
  /** The app port on the droplets (and the entry port of an internal load balancer). */
  port: number;
  /** The readiness check: what decides whether a droplet receives traffic. */
  healthCheck: Pick<HealthCheckSpec, "path" | "intervalSeconds" | "timeoutSeconds" | "healthyThreshold" | "unhealthyThreshold">;
  /** An uploaded certificate's name (`tls.certificate`); unset: a Let's Encrypt certificate for `host`. */
  certificate?: string;
  /** The DigitalOcean DNS domain the host's A record goes into (`dns.zone`); unset: the record is an output. */
  zone?: string;
  /** True for an internal web workload: a VPC-only load balancer, plain HTTP on `port`. */
  internal?: boolean;
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
  /** The load balancer's ID (the firewall admits it, the gates watch it). */
  readonly id: pulumi.Output<string>;
  /** Its IPv4 address: public, or in the VPC for an internal one. */
  readonly ip: pulumi.Output<string>;
  /** Records to create at your DNS host (empty when the domain is in DigitalOcean DNS, or internal). */
  readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  /** The URL the workload is reached at: `https://<host>`, or `http://<private address>:<port>` when internal. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:digitalocean:LoadBalancer", name, {}, opts);
    const { host, port, healthCheck: hc, region } = args;
    const parent = { parent: this };
    const healthcheck = {
      protocol: "http",
      port,
      path: hc.path,
      checkIntervalSeconds: Math.min(hc.intervalSeconds, 300),
      responseTimeoutSeconds: hc.timeoutSeconds,
      healthyThreshold: hc.healthyThreshold,
      unhealthyThreshold: hc.unhealthyThreshold,
    };

    if (args.internal) {
      const lb = new digitalocean.LoadBalancer(`${name}-lb`, {
        region,
        vpcUuid: args.vpcId,
        // Reachable inside the VPC only: no public address at all.
        network: "INTERNAL",
        dropletTag: args.servingTag,
        forwardingRules: [{ entryProtocol: "http", entryPort: port, targetProtocol: "http", targetPort: port }],
        healthcheck,
        stickySessions: { type: "none" },
        enableBackendKeepalive: true,
        httpIdleTimeoutSeconds: 60,
        disableLetsEncryptDnsRecords: true,
      }, parent);
      this.id = lb.id;
      this.ip = lb.ip;
      this.dnsRecords = pulumi.output([]);
      this.url = pulumi.interpolate`http://${lb.ip}:${port}`;
      this.registerOutputs({ ip: this.ip, url: this.url });
      return;
    }

    // Let's Encrypt on DigitalOcean validates through DigitalOcean DNS, so a managed
    // certificate needs `dns.zone` (the topology parser requires it or `tls.certificate`).
    // The LB references the certificate by NAME: a renewal issues a new ID, the name stays.
    const certificateName = args.certificate
      ? pulumi.output(args.certificate)
      : new digitalocean.Certificate(`${name}-cert`, { type: "lets_encrypt", domains: [host] }, parent).name;

    const lb = new digitalocean.LoadBalancer(`${name}-lb`, {
      region,
      vpcUuid: args.vpcId,
      dropletTag: args.servingTag,
      forwardingRules: [
        { entryProtocol: "https", entryPort: 443, targetProtocol: "http", targetPort: port, certificateName },
        { entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: port },
      ],
      redirectHttpToHttps: true,
      // Set from the start: changing the cipher policy later replaces the LB (a new IP).
      tlsCipherPolicy: "STRONG",
      healthcheck,
      stickySessions: { type: "none" },
      enableBackendKeepalive: true,
      httpIdleTimeoutSeconds: 60,
      // The program writes the A record itself (or outputs it): no automatic records.
      disableLetsEncryptDnsRecords: true,
    }, parent);

    const zone = args.zone;
    if (zone) {
      new digitalocean.DnsRecord(`${name}-domain`, { domain: zone, type: "A", name: recordName(host, zone), value: lb.ip, ttl: 300 }, parent);
    }
    this.id = lb.id;
    this.ip = lb.ip;
    this.dnsRecords = zone ? pulumi.output([]) : lb.ip.apply((ip) => [{ name: host, type: "A", value: ip, purpose: "serve traffic" }]);
    this.url = pulumi.output(`https://${host}`);
    this.registerOutputs({ ip: this.ip, dnsRecords: this.dnsRecords });
  }
}
