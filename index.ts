// Stack entry point: everything lives in components/; see README.md.
import { runProgram } from "./components/program";

const outputs = runProgram();

/** The public URL. */
export const url = outputs.url;
/** The load balancer's public address: point the domain here. */
export const loadBalancerAddress = outputs.loadBalancerAddress;
/** DNS records to create at your DNS host (empty when `dns.zone` lets the program do it). */
export const dnsRecords = outputs.dnsRecords;
/** The object storage bucket. */
export const bucketName = outputs.bucketName;
/** The database's private endpoint (host:port). */
export const databaseEndpoint = outputs.databaseEndpoint;
/** The node group (autoscaling group, MIG, ...). */
export const nodeGroupId = outputs.nodeGroupId;
/** The session store's private endpoint, when enabled. */
export const sessionStoreEndpoint = outputs.sessionStoreEndpoint;
