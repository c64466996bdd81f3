/**
 * The optional session store: an ElastiCache replication group (Valkey or Redis) with
 * a replica in another zone, automatic failover, and TLS in transit and at rest.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { fitName } from "../../physicalNames";
import type { SessionsSpec } from "../../topology";

/** Arguments of SessionStore. */
export interface SessionStoreArgs {
  /** The sessions part of the topology. */
  spec: SessionsSpec;
  /** The native node type (the preset already resolved). */
  nodeType: string;
  /** Private subnets, one per zone. */
  subnetIds: pulumi.Input<string>[];
  /**
   * The store's security group (admits the nodes only). Unset: the store gets its own group
   * in `vpcId`, which admits nothing until a workload that uses it is given a rule.
   */
  securityGroupId?: pulumi.Input<string>;
  /** The VPC of the store's own group (when `securityGroupId` is unset). */
  vpcId?: pulumi.Input<string>;
  /** Tags for every resource. */
  tags: Record<string, string>;
  /**
   * Engine parameters (a queue's `maxmemory-policy noeviction`: a broker must never evict a
   * task). Unset: the engine's default group, and a cache's inputs stay as they are.
   */
  parameters?: Record<string, string>;
  /** What the store is, in its description (default "Session store"). */
  purpose?: string;
}

/**
 * The replication group's logical name: its ID is this plus Pulumi's 8 random characters,
 * and ElastiCache allows 40, so a long name is cut (with a hash; the single service's
 * names are short enough to stay as they are).
 */
export function replicationGroupName(name: string): string {
  return fitName(`${name}-sessions`, 32);
}

/** The port every session store engine listens on. */
export const sessionStorePort = 6379;

const engineVersions = { valkey: "8.0", redis: "7.1" } as const;

/** A primary and a replica in different zones, with automatic failover. */
export class SessionStore extends pulumi.ComponentResource {
  /** The primary endpoint (follows failover). */
  readonly host: pulumi.Output<string>;
  /** host:port. */
  readonly endpoint: pulumi.Output<string>;
  /** The store's security group. */
  readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: SessionStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:SessionStore", name, {}, opts);
    const { spec, tags } = args;
    const parent = { parent: this };

    const securityGroupId = args.securityGroupId !== undefined
      ? pulumi.output(args.securityGroupId)
      : new aws.ec2.SecurityGroup(`${name}-sessions`, { vpcId: args.vpcId!, description: "Cache: from the workloads that use it only", tags: { ...tags, Name: `${name}-sessions` } }, parent).id;
    const subnets = new aws.elasticache.SubnetGroup(`${name}-sessions`, { subnetIds: args.subnetIds, tags }, parent);
    const parameterGroup = args.parameters
      ? new aws.elasticache.ParameterGroup(`${name}-sessions`, {
          family: `${spec.engine}${engineVersions[spec.engine].split(".")[0]}`,
          description: `${args.purpose ?? "Session store"} of ${name}`,
          parameters: Object.entries(args.parameters).map(([pname, value]) => ({ name: pname, value })),
          tags,
        }, { ...parent, protect: true })
      : undefined;
    const group = new aws.elasticache.ReplicationGroup(replicationGroupName(name), {
      description: `${args.purpose ?? "Session store"} of ${name}`,
      ...(parameterGroup && { parameterGroupName: parameterGroup.name }),
      engine: spec.engine,
      engineVersion: engineVersions[spec.engine],
      nodeType: args.nodeType,
      port: sessionStorePort,
      numCacheClusters: 2,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      transitEncryptionEnabled: true,
      atRestEncryptionEnabled: true,
      subnetGroupName: subnets.name,
      securityGroupIds: [securityGroupId],
      autoMinorVersionUpgrade: true,
      applyImmediately: false,
      tags,
    }, parent);

    this.host = group.primaryEndpointAddress;
    this.endpoint = pulumi.interpolate`${group.primaryEndpointAddress}:${sessionStorePort}`;
    this.securityGroupId = securityGroupId;
    this.registerOutputs({ endpoint: this.endpoint });
  }
}
