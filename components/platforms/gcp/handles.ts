/**
 * What the GCP platform's steps hand each other (compose.ts `Platform`): the foundation
 * (network, guards, shared secrets), each resource's handle (its binding's values, and
 * what a workload using it needs: the secret to read, the bucket to grant, the addresses
 * to reach), each static site's backend bucket, the edge (load balancers, and how each web
 * workload's MIG joins its backend), and each workload's node group.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { EdgeHandle, ResourceHandle, SiteHandle, WorkloadHandle } from "../../compose";
import type { DatabaseIdentity } from "../../databaseIdentity";
import type { ContainerWorkload, SiteWorkload } from "../../model/model";
import type { Topology } from "../../topology";
import type { Bucket } from "./bucket";
import type { Database } from "./database";
import type { JsonSecret } from "./jsonSecret";
import type { Network } from "./network";
import type { NodeGroup } from "./nodeGroup";
import type { SessionStore } from "./sessionStore";

/** The foundation: what every other part sits in. */
export interface GcpFoundation {
  /** `gcp:project`. */
  project: string;
  /** `gcp:region`. */
  region: string;
  /** Labels for every resource that takes them. */
  labels: Record<string, string>;
  /** Options of every component: the HaService as parent, and waiting for every database guard. */
  opts: pulumi.ComponentResourceOptions;
  /** The VPC, its subnet, zones and private services access. */
  network: Network;
  /** The create-only settings guard of each sql resource, by resource name. */
  guards: Map<string, DatabaseIdentity>;
  /** `ha-topology:secrets` in Secret Manager (one JSON secret), when there are any. */
  appSecrets?: JsonSecret;
  /** `ha-topology:registry` credentials in Secret Manager, for the single service's private image (and workloads on its registry). */
  registrySecret?: { secret: JsonSecret; host: string };
}

/** How a node reads a resource's secret fields: one pinned Secret Manager version. */
export interface SecretStoreRead {
  /** The secret's resource name (`projects/.../secrets/...`): what the workload is granted. */
  secretName: pulumi.Output<string>;
  /** Its current version's full name: pinned in the user data, so a new value rolls the nodes. */
  versionName: pulumi.Output<string>;
  /** The secret's JSON keys, by the binding field each holds. */
  keys: Record<string, string>;
}

/** A resource as the GCP platform built it. */
export interface GcpResource extends ResourceHandle {
  /** Where its secret fields are kept, when it has any. */
  secretStore?: SecretStoreRead;
  /** The bucket a user's nodes are granted object read/write on. */
  bucketName?: pulumi.Output<string>;
  /** The private addresses and port a user's nodes may reach (the egress firewall's allow rule). */
  dataPath?: { hosts: pulumi.Output<string[]>; port: number };
  /** The PEM of the private CA signing its certificate: written at `caFilePath(<resource>)` in every container of its users. */
  caCertificate?: pulumi.Output<string>;
  /** The single service's components, which its nodes' user data is written from. */
  database?: Database;
  bucket?: Bucket;
  sessionStore?: SessionStore;
}

/** The edge: the load balancers, and how each web workload's MIG joins its backend. */
export interface GcpEdge extends EdgeHandle {
  /**
   * Joins a web workload's node group to its backend service (public) or internal load
   * balancer: the edge is built before the workloads, so each backend takes its instance
   * group from a deferred output that this resolves. Called once per web workload.
   */
  attach: Map<string, (group: NodeGroup) => void>;
}

/** A workload's node group. */
export interface GcpWorkload extends WorkloadHandle {
  /** The workload (a web service, a worker pool or a job: what has nodes or runs). */
  workload: ContainerWorkload;
  /** Its nodes' network tag. */
  nodeTag: string;
}

/** A static site as the GCP platform built it (site.ts): what the edge routes its path or host to. */
export interface GcpSite extends SiteHandle {
  /** The site. */
  site: SiteWorkload;
  /** Its backend bucket's id (Cloud CDN on its private bucket). */
  backendBucketId: pulumi.Output<string>;
}

/** The validated topology's parts the steps read. */
export type SharedTopology = Pick<Topology, "domain" | "dns" | "tls" | "alarms" | "network" | "registry">;
