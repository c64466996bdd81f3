/**
 * The contract between HaService and the per-cloud adapters: one function per cloud
 * that receives the validated topology and the parent component, registers every
 * resource under that parent, and returns the outputs users need.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { Topology } from "../topology";

/** A DNS record the user must create (when the program has no zone to write to). */
export interface DnsRecord {
  /** Fully qualified record name. */
  name: string;
  /** Record type: CNAME, A, AAAA or ALIAS (an apex alias where the DNS host offers it). */
  type: string;
  /** Record value. */
  value: string;
  /** Why the record is needed (serving traffic, certificate validation, ...). */
  purpose: string;
}

/** What every adapter returns; HaService exposes these as its outputs. */
export interface AdapterOutputs {
  /** The service's public URL (https://domain). */
  url: pulumi.Output<string>;
  /** The load balancer's public address (DNS name or IP). */
  loadBalancerAddress: pulumi.Output<string>;
  /** DNS records the user must create; empty when the program manages the zone. */
  dnsRecords: pulumi.Output<DnsRecord[]>;
  /** The object storage bucket's name. */
  bucketName: pulumi.Output<string>;
  /** The database's private endpoint (host:port). */
  databaseEndpoint: pulumi.Output<string>;
  /** The node group's identifier (autoscaling group, MIG, tag or Deployment name). */
  nodeGroupId: pulumi.Output<string>;
  /** The session store's private endpoint (host:port), when sessions are enabled. */
  sessionStoreEndpoint: pulumi.Output<string | undefined>;
}

/**
 * An adapter: maps a topology onto one cloud, under `parent`, naming resources after
 * `name`; `secrets` are the app secrets (name -> secret value), already validated.
 */
export type Adapter = (
  name: string,
  topology: Topology,
  secrets: Record<string, pulumi.Output<string>>,
  parent: pulumi.ComponentResource,
) => AdapterOutputs;
