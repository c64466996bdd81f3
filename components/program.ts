/**
 * The stack program as a function: read config -> parse the stack -> HaService -> outputs.
 * `index.ts` calls it for `pulumi up`; the tests call it directly under mocks, so both
 * run exactly the same code.
 */
import { HaService } from "./haService";
import { parseStack } from "./model/parse";
import { readProviderConfig, readRawConfig, readSecrets } from "./stackConfig";

/** Runs the program against the current stack's configuration; returns the stack outputs. */
export function runProgram() {
  // Bad config throws here, before any resource is registered.
  const { topology, model } = parseStack(readRawConfig(), readProviderConfig());
  const service = new HaService(topology.name, { topology, model, secrets: readSecrets() });
  return {
    workloads: service.workloads,
    resources: service.resources,
    url: service.url,
    loadBalancerAddress: service.loadBalancerAddress,
    dnsRecords: service.dnsRecords,
    bucketName: service.bucketName,
    databaseEndpoint: service.databaseEndpoint,
    nodeGroupId: service.nodeGroupId,
    sessionStoreEndpoint: service.sessionStoreEndpoint,
  };
}
