/**
 * The stack program as a function: read config -> parse the stack -> HaService -> outputs.
 * `pulumi up` runs it through program.js (its bundle's export, which Pulumi's runner calls),
 * `index.ts` calls it for a TypeScript entry, the Automation API as its inline program, and
 * the tests directly under mocks: all run exactly the same code.
 */
import { HaService } from "./haService";
import type { PreviousDeployment } from "./model/migration";
import { parseStack } from "./model/parse";
import { readProviderConfig, readRawConfig, readSecrets } from "./stackConfig";
import { dropSourceMappedStackTraces, skipUnreadPromiseStackTraces } from "./stackTraceCost";

/** What the program may know beyond the stack's configuration. */
export interface ProgramOptions {
  /**
   * What the stack's last deployment ran (from its outputs: model/migration.ts), so an
   * update that would drop a running single service is refused before anything changes.
   * The Automation API passes it (automation/deploymentWorkspace.ts); `pulumi up` cannot
   * read it, and there the deletion protection of the database and bucket stops the drop.
   */
  previous?: PreviousDeployment;
}

/** Runs the program against the current stack's configuration; returns the stack outputs. */
export function runProgram(options: ProgramOptions = {}) {
  dropSourceMappedStackTraces();
  skipUnreadPromiseStackTraces();
  // Bad config throws here, before any resource is registered.
  const { topology, model } = parseStack(readRawConfig(), readProviderConfig(), undefined, options.previous);
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
