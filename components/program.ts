/**
 * The stack program as a function: read config -> parse topology -> HaService -> outputs.
 * `index.ts` calls it for `pulumi up`; the tests, the offline plan and the Automation
 * API call it directly, so all of them run exactly the same code.
 */
import { HaService } from "./haService";
import { loadAdapter } from "./adapters/registry";
import { readRawConfig, readSecrets } from "./stackConfig";
import { parseTopology } from "./topology";

/** Runs the program against the current stack's configuration; returns the stack outputs. */
export function runProgram() {
  // Parse and check everything first: bad config must stop us before any registration.
  const topology = parseTopology(readRawConfig());
  loadAdapter(topology.cloud);
  const service = new HaService(topology.name, { topology, secrets: readSecrets() });
  return {
    url: service.url,
    loadBalancerAddress: service.loadBalancerAddress,
    dnsRecords: service.dnsRecords,
    bucketName: service.bucketName,
    databaseEndpoint: service.databaseEndpoint,
    nodeGroupId: service.nodeGroupId,
    sessionStoreEndpoint: service.sessionStoreEndpoint,
  };
}
