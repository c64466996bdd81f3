/**
 * The optional session store: a Memorystore for Redis instance in the Standard tier (a
 * replica in another zone, automatic failover), reachable only over private services
 * access, with TLS in transit.
 *
 * Both `valkey` and `redis` requests get Memorystore for Redis: Valkey is a fork of Redis
 * 7.2 and speaks the same protocol, so an app written for either works against it.
 * Memorystore for Valkey exists too, but it is reached through Private Service Connect,
 * a different network setup from the private services access that Cloud SQL already
 * needs here.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { fitName } from "../../physicalNames";
import type { SessionsSpec } from "../../topology";

/** Arguments of SessionStore. */
export interface SessionStoreArgs {
  /** The sessions part of the topology (`engine` valkey or redis: both are served by Redis 7.2). */
  spec: Pick<SessionsSpec, "engine">;
  /** Memory in GiB (the preset already resolved). */
  memorySizeGb: number;
  /** The region; Memorystore places the primary and the replica in two of its zones. */
  region: string;
  /** The VPC network (id or self link) the instance is reachable from. */
  networkId: pulumi.Input<string>;
  /**
   * The private services access connection (servicenetworking) of that network: the
   * instance takes its address from that connection's range, so it waits for it.
   */
  privateServiceConnection: pulumi.Resource;
  /** Labels for every resource (GCP rules: lower-case keys and values). */
  labels: Record<string, string>;
  /**
   * The instance's logical name (default `<name>-sessions`, the single service's). Pulumi
   * autonames the instance from it plus 8 characters, and Memorystore IDs have at most 40:
   * a named cache passes one of at most 32 (`cacheInstanceName`).
   */
  instanceName?: string;
  /**
   * A broker (`kind: queue`, engine valkey): never evict a key (`maxmemory-policy
   * noeviction`: a full broker refuses writes rather than drop a task), RDB snapshots every
   * hour, and deletion protection with `protect` (its keys are the queued tasks). Unset: the
   * cache's instance, inputs unchanged.
   */
  broker?: boolean;
}

/** Memorystore for Redis instance IDs: at most 40 characters, of which Pulumi's autoname suffix takes 8. */
const instanceNameMaxLength = 40 - 8;

/** The instance's logical name for a named cache: `fitName`-cut, so it fits and stays unique. */
export function cacheInstanceName(name: string): string {
  return fitName(name, instanceNameMaxLength);
}

/**
 * The port the store listens on. Memorystore for Redis serves TLS (in-transit encryption)
 * on 6378, not on Redis' usual 6379, and accepts nothing else once TLS is on.
 */
export const sessionStorePort = 6378;

/** A primary and a replica in different zones, with automatic failover. */
export class SessionStore extends pulumi.ComponentResource {
  /** The primary's private IP (follows failover). */
  readonly host: pulumi.Output<string>;
  /** The port (`sessionStorePort`). */
  readonly port: number;
  /** host:port. */
  readonly endpoint: pulumi.Output<string>;
  /** PEM bundle of the instance's server CA certificates: clients verify the server's TLS certificate with it. */
  readonly caCertificates: pulumi.Output<string>;

  constructor(name: string, args: SessionStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:SessionStore", name, {}, opts);

    const broker = args.broker === true;
    const instance = new gcp.redis.Instance(args.instanceName ?? `${name}-sessions`, {
      displayName: broker ? `Broker of ${name}` : `Session store of ${name}`,
      // A replica in another zone of the region, promoted automatically when the primary fails.
      tier: "STANDARD_HA",
      replicaCount: 1,
      // Reads go to the primary too: a session written a moment ago must be readable at once.
      readReplicasMode: "READ_REPLICAS_DISABLED",
      memorySizeGb: args.memorySizeGb,
      region: args.region,
      // Private IP in the network's private services range; no public endpoint exists.
      authorizedNetwork: args.networkId,
      connectMode: "PRIVATE_SERVICE_ACCESS",
      redisVersion: "REDIS_7_2",
      // TLS between the nodes and the store (server certificate from `caCertificates`).
      transitEncryptionMode: "SERVER_AUTHENTICATION",
      maintenancePolicy: {
        weeklyMaintenanceWindows: [{ day: "SUNDAY", startTime: { hours: 5, minutes: 0, seconds: 0, nanos: 0 } }],
      },
      // Sessions are disposable (users sign in again), and turning `sessions.enabled` off
      // or changing a create-only setting must be able to remove the instance.
      deletionProtection: broker,
      ...(broker && {
        redisConfigs: { "maxmemory-policy": "noeviction" },
        persistenceConfig: { persistenceMode: "RDB", rdbSnapshotPeriod: "ONE_HOUR" },
      }),
      labels: args.labels,
    }, { parent: this, dependsOn: [args.privateServiceConnection], ...(broker && { protect: true }) });

    this.host = instance.host;
    this.port = sessionStorePort;
    this.endpoint = pulumi.interpolate`${instance.host}:${sessionStorePort}`;
    this.caCertificates = instance.serverCaCerts.apply((certs) => (certs ?? []).map((c) => c.cert).join("\n"));
    this.registerOutputs({ endpoint: this.endpoint });
  }
}
