/**
 * HaService: the one component a stack creates. It takes the validated topology and its
 * model, hands them to the selected cloud's platform through the composer (compose.ts)
 * with itself as parent, and exposes the outputs users need to reach and operate the
 * service: maps of every workload and resource, and the single service's outputs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { DnsRecord } from "./platforms/dnsRecord";
import { loadPlatform } from "./platforms/registry";
import { compose, type ResourceOutput, type WorkloadOutput } from "./compose";
import { configProblem, secretMask, TopologyConfigError } from "./configError";
import { legacyModel, type Model } from "./model/model";
import { secretNameProblem, type Topology } from "./topology";

/** Arguments of HaService. */
export interface HaServiceArgs {
  /** The validated topology (see `parseStack`; `parseTopology` for the single-service keys). */
  topology: Topology;
  /** The workloads and resources (see `parseStack`); default: the single service's model of `topology`. */
  model?: Model;
  /**
   * App secrets: environment variable name -> value. Values are treated as secrets
   * whether or not they are wrapped with `pulumi.secret` (see `readSecrets`).
   */
  secrets?: Record<string, pulumi.Input<string>>;
}

/** A highly available system of web services, workers and shared resources on the cloud the topology names. */
export class HaService extends pulumi.ComponentResource {
  /** Every workload by name: kind, URL (web) and node group. */
  readonly workloads: pulumi.Output<Record<string, WorkloadOutput>>;
  /** Every resource by name: kind and private endpoint. */
  readonly resources: pulumi.Output<Record<string, ResourceOutput>>;
  /** The public URL: the single service's (https://domain), else the first public web workload's. */
  readonly url: pulumi.Output<string | undefined>;
  /** The public load balancer's address (DNS name or IP). */
  readonly loadBalancerAddress: pulumi.Output<string | undefined>;
  /** DNS records the user must create; empty when the program manages the zone. */
  readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  /** The single service's object storage bucket name. */
  readonly bucketName: pulumi.Output<string | undefined>;
  /** The single service's database private endpoint (host:port). */
  readonly databaseEndpoint: pulumi.Output<string | undefined>;
  /** The single service's node group identifier. */
  readonly nodeGroupId: pulumi.Output<string | undefined>;
  /** The single service's session store endpoint, when sessions are enabled. */
  readonly sessionStoreEndpoint: pulumi.Output<string | undefined>;

  constructor(name: string, args: HaServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    // Refuse what cannot work before registering anything.
    const { topology } = args;
    const secrets = args.secrets ?? {};
    const model = args.model ?? legacyModel(topology, Object.keys(secrets));
    const platform = loadPlatform(topology.cloud);
    // The maps' workloads had their collisions with app secrets refused by the parser (bindings.ts).
    const singleEnv = model.workloads.some((w) => w.origin === "single-service") ? topology.nodes.env : {};
    const problems = Object.keys(secrets).flatMap((key) => {
      const problem = secretNameProblem(key, singleEnv);
      return problem ? [configProblem(`secrets.${key}`, secretMask, problem)] : [];
    });
    if (problems.length > 0) throw new TopologyConfigError(problems);
    super("ha-topology:index:HaService", name, {}, opts);
    const secretValues = Object.fromEntries(Object.entries(secrets).map(([key, value]) => [key, pulumi.secret(value)]));
    const outputs = compose(platform, { name, topology, model, appSecrets: secretValues, parent: this });
    this.workloads = outputs.workloads;
    this.resources = outputs.resources;
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
