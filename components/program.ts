/**
 * The stack program as a function: read config -> parse topology -> HaService -> outputs.
 * `index.ts` calls it for `pulumi up`; the tests call it directly under mocks, so both
 * run exactly the same code.
 */
import { HaService } from "./haService";
import { readProviderConfig, readRawConfig, readSecrets } from "./stackConfig";
import { parseTopology } from "./topology";

/** Runs the program against the current stack's configuration; returns the stack outputs. */
export function runProgram() {
  // Bad config throws here, before any resource is registered.
  const topology = parseTopology(readRawConfig(), readProviderConfig());
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
