// Stack entry point: everything lives in components/; see README.md.
import { runProgram } from "./components/program";

const outputs = runProgram();

/** Every workload by name: `{ kind, url, nodeGroupId }` (`url`: public or private, none for a worker). */
export const workloads = outputs.workloads;
/** Every resource by name: `{ kind, endpoint }` (private). */
export const resources = outputs.resources;
/** The public URL: the single service's, else the first public web workload's. */
export const url = outputs.url;
/** The load balancer's public address: point the domain here. */
export const loadBalancerAddress = outputs.loadBalancerAddress;
/** DNS records to create at your DNS host (empty when `dns.zone` lets the program do it). */
export const dnsRecords = outputs.dnsRecords;
/** The single service's object storage bucket. */
export const bucketName = outputs.bucketName;
/** The single service's database: its private endpoint (host:port). */
export const databaseEndpoint = outputs.databaseEndpoint;
/** The single service's node group (autoscaling group, MIG, ...). */
export const nodeGroupId = outputs.nodeGroupId;
/** The single service's session store: its private endpoint, when enabled. */
export const sessionStoreEndpoint = outputs.sessionStoreEndpoint;
