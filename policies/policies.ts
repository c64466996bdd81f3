/**
 * The rules of the "ha-guard" pack, as an array, so that the pack (`index.ts`), the
 * in-process runner (`runner.ts`), the tests and the offline plan all run the same ones.
 */
import type { Policies } from "@pulumi/policy";
import { autohealing, digitaloceanAutohealing } from "./rules/autohealing";
import { cacheBackups, cacheReplicated } from "./rules/caches";
import { databaseReplication } from "./rules/databaseReplication";
import { databaseBackups, databaseDeletionProtection, databaseEncryption, databasePrivate } from "./rules/databaseSettings";
import { documentBackups, documentDeletionProtection, documentEncryption, documentPrivate, documentReplication } from "./rules/documents";
import { healthCheck } from "./rules/healthCheck";
import { httpsOnly } from "./rules/httpsOnly";
import { imdsv2 } from "./rules/imdsv2";
import { invalidHeaders } from "./rules/invalidHeaders";
import { jobsSingleFlight } from "./rules/jobsSingleFlight";
import { crossZone, lbDeletionProtection } from "./rules/loadBalancerSettings";
import { minNodes } from "./rules/minNodes";
import { natPerZone } from "./rules/natGateways";
import { nodeExposure } from "./rules/nodeExposure";
import { queueEncryption, queuePrivate, queueReplication } from "./rules/queues";
import { rollingUpdates } from "./rules/rollingUpdates";
import { storageEncryption, storagePrivate, storageVersioning } from "./rules/storage";
import { tlsVersion } from "./rules/tlsVersion";
import { zoneSpread } from "./rules/zoneSpread";

/** Every rule of the pack, HA rules first. */
export const policies: Policies = [
  minNodes,
  zoneSpread,
  autohealing,
  rollingUpdates,
  httpsOnly,
  tlsVersion,
  healthCheck,
  invalidHeaders,
  databaseReplication,
  databasePrivate,
  databaseEncryption,
  databaseBackups,
  databaseDeletionProtection,
  documentReplication,
  documentPrivate,
  documentEncryption,
  documentBackups,
  documentDeletionProtection,
  queueReplication,
  queuePrivate,
  queueEncryption,
  storagePrivate,
  storageVersioning,
  storageEncryption,
  nodeExposure,
  imdsv2,
  jobsSingleFlight,
  digitaloceanAutohealing,
  cacheReplicated,
  cacheBackups,
  crossZone,
  lbDeletionProtection,
  natPerZone,
];
