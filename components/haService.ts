/**
 * HaService: the one component a stack creates. It takes the validated topology, hands
 * it to the selected cloud's adapter with itself as parent, and exposes the outputs
 * users need to reach and operate the service.
 */
import * as pulumi from "@pulumi/pulumi";
import type { DnsRecord } from "./adapters/adapter";
import { loadAdapter } from "./adapters/registry";
import { configProblem, secretMask, TopologyConfigError } from "./configError";
import { secretNameProblem, type Topology } from "./topology";

/** Arguments of HaService. */
export interface HaServiceArgs {
  /** The validated topology (see `parseTopology`). */
  topology: Topology;
  /**
   * App secrets: environment variable name -> value. Values are treated as secrets
   * whether or not they are wrapped with `pulumi.secret` (see `readSecrets`).
   */
  secrets?: Record<string, pulumi.Input<string>>;
}

/** A highly available web service on the cloud the topology names. */
export class HaService extends pulumi.ComponentResource {
  /** The public URL (https://domain). */
  readonly url: pulumi.Output<string>;
  /** The load balancer's public address (DNS name or IP). */
  readonly loadBalancerAddress: pulumi.Output<string>;
  /** DNS records the user must create; empty when the program manages the zone. */
  readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  /** The object storage bucket's name. */
  readonly bucketName: pulumi.Output<string>;
  /** The database's private endpoint (host:port). */
  readonly databaseEndpoint: pulumi.Output<string>;
  /** The node group's identifier. */
  readonly nodeGroupId: pulumi.Output<string>;
  /** The session store's endpoint, when sessions are enabled. */
  readonly sessionStoreEndpoint: pulumi.Output<string | undefined>;

  constructor(name: string, args: HaServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    // Refuse what cannot work before registering anything.
    const adapter = loadAdapter(args.topology.cloud);
    const secrets = args.secrets ?? {};
    const problems = Object.keys(secrets).flatMap((key) => {
      const problem = secretNameProblem(key, args.topology.nodes.env);
      return problem ? [configProblem(`secrets.${key}`, secretMask, problem)] : [];
    });
    if (problems.length > 0) throw new TopologyConfigError(problems);
    super("ha-topology:index:HaService", name, {}, opts);
    const secretValues = Object.fromEntries(Object.entries(secrets).map(([key, value]) => [key, pulumi.secret(value)]));
    const outputs = adapter(name, args.topology, secretValues, this);
    this.url = outputs.url;
    this.loadBalancerAddress = outputs.loadBalancerAddress;
    this.dnsRecords = outputs.dnsRecords;
    this.bucketName = outputs.bucketName;
    this.databaseEndpoint = outputs.databaseEndpoint;
    this.nodeGroupId = outputs.nodeGroupId;
    this.sessionStoreEndpoint = outputs.sessionStoreEndpoint;
    this.registerOutputs({ ...outputs });
  }
}
