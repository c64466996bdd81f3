/**
 * The private entry point of an internal web workload (`public: false`): an internal
 * passthrough Network Load Balancer, regional like the MIG behind it. A reserved internal
 * address in the nodes' subnet (stable: the other workloads are given
 * `http://<address>:<port>` as `<WORKLOAD>_URL`), a forwarding rule on it for the
 * workload's port, and a regional INTERNAL backend service over the MIG whose health check
 * is the workload's readiness check (a node failing it gets no new connections; only the
 * liveness check, on the MIG, replaces a node).
 *
 * Passthrough, not a proxy: packets keep the caller's address, so the firewall admits the
 * callers by their network tags (firewall.ts), and the app sees them without any
 * X-Forwarded-For hop (TRUSTED_PROXY_HOPS 0). Nothing outside the VPC can reach it.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { HealthCheckSpec } from "../../topology";

/** Arguments of InternalLoadBalancer. */
export interface InternalLoadBalancerArgs {
  /** The region of the address, the forwarding rule and the backend service (the MIG's). */
  region: string;
  /** The VPC's ID. */
  networkId: pulumi.Input<string>;
  /** The nodes' subnet (self link): the address is taken from it. */
  subnetSelfLink: pulumi.Input<string>;
  /** The workload's port (forwarded as is: the nodes publish the container on it). */
  port: number;
  /** The readiness check (the workload's `healthCheck`). */
  readiness: Omit<HealthCheckSpec, "gracePeriodSeconds">;
  /** The MIG's instance group URL. */
  instanceGroup: pulumi.Input<string>;
  /** Seconds a removed node's existing connections may finish. */
  drainSeconds: number;
  /** Labels for every resource that takes labels. */
  labels: Record<string, string>;
}

/** The address, the forwarding rule, the backend service and its readiness check. */
export class InternalLoadBalancer extends pulumi.ComponentResource {
  /** The reserved internal address. */
  readonly address: pulumi.Output<string>;
  /** `http://<address>:<port>`: what the other workloads receive as `<WORKLOAD>_URL`. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: InternalLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:InternalLoadBalancer", name, {}, opts);
    const parent = { parent: this };
    const { readiness } = args;

    // Reserved, so the URL survives any change to the forwarding rule or backend in front of it.
    const address = new gcp.compute.Address(`${name}-ilb`, {
      region: args.region,
      addressType: "INTERNAL",
      purpose: "GCE_ENDPOINT",
      subnetwork: args.subnetSelfLink,
      labels: args.labels,
    }, parent);

    const check = new gcp.compute.HealthCheck(`${name}-ready`, {
      checkIntervalSec: readiness.intervalSeconds,
      timeoutSec: readiness.timeoutSeconds,
      healthyThreshold: readiness.healthyThreshold,
      unhealthyThreshold: readiness.unhealthyThreshold,
      httpHealthCheck: { port: args.port, requestPath: readiness.path },
      logConfig: { enable: true },
    }, parent);

    const backend = new gcp.compute.RegionBackendService(`${name}-ilb`, {
      region: args.region,
      loadBalancingScheme: "INTERNAL",
      protocol: "TCP",
      backends: [{ group: args.instanceGroup, balancingMode: "CONNECTION" }],
      healthChecks: check.id,
      connectionDrainingTimeoutSec: args.drainSeconds,
      // Stateless nodes: every new connection may go to any healthy node.
      sessionAffinity: "NONE",
      // Per-connection logs (Google samples the packets itself for a passthrough load balancer).
      logConfig: { enable: true },
    }, parent);

    new gcp.compute.ForwardingRule(`${name}-ilb`, {
      region: args.region,
      loadBalancingScheme: "INTERNAL",
      backendService: backend.id,
      ipAddress: address.address,
      ipProtocol: "TCP",
      ports: [String(args.port)],
      network: args.networkId,
      subnetwork: args.subnetSelfLink,
      // Callers are in this region's VPC (the other workloads); no other region reaches it.
      allowGlobalAccess: false,
      labels: args.labels,
    }, parent);

    this.address = address.address;
    this.url = pulumi.interpolate`http://${address.address}:${args.port}`;
    this.registerOutputs({ address: this.address, url: this.url });
  }
}
