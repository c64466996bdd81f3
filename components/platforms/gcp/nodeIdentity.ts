/**
 * The nodes' identity, one per workload: a dedicated service account that may write logs
 * and metrics, use the buckets and read the secrets of the resources the workload uses
 * (and its own), pull from the image's Artifact Registry repository (when it is in one),
 * and nothing else (the default compute service account has Editor on the whole project).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { currentStack, shortHash, type StackIdentity, warnIfLegacyName } from "../../physicalNames";

/** Arguments of NodeIdentity. */
export interface NodeIdentityArgs {
  /** The project the account lives in. */
  project: string;
  /** The single service's bucket (grant `-nodes-bucket`); the others' buckets are `grants`. */
  bucketName?: pulumi.Input<string>;
  /** The single service's Secret Manager secrets (full names, `projects/.../secrets/...`), granted by position (`-nodes-secret-<i>`). */
  secretNames?: pulumi.Input<string>[];
  /**
   * Grants named after what they are for (`<name>-grant-<key>`), so adding or removing a
   * resource never renames (hence never deletes and re-creates) another's grant.
   */
  grants?: NodeGrant[];
  /** The Artifact Registry repository of a private `nodes.image`: the nodes may read it, and no other. */
  imageRepository?: { project: string; location: string; repository: string };
  /** The Secret Manager secret with credentials for another private registry (its own grant, so adding app secrets never renames it). */
  registrySecretName?: pulumi.Input<string>;
}

/** One named grant: object read/write on a bucket, or read on a Secret Manager secret. */
export interface NodeGrant {
  /** Unique among the identity's grants: the child's name is `<identity>-grant-<key>`. */
  key: string;
  /** What is granted. */
  kind: "bucket" | "secret";
  /** The bucket's name, or the secret's resource name. */
  target: pulumi.Input<string>;
}

/** Project-wide roles every node needs for its own telemetry. */
const telemetryRoles = ["roles/logging.logWriter", "roles/monitoring.metricWriter"];

/** Service account IDs: 6-30 characters, lower-case letters, digits and hyphens, starting with a letter. */
const accountIdMaxLength = 30;

/**
 * The nodes' service account ID, unique per project, stack and service: IDs are unique per
 * GCP project, which several stacks (and several Pulumi projects) may share. The service
 * name and the normalised stack name (for people reading the IAM page), cut to fit, then
 * 6 hex digits of the exact Pulumi project, stack and service name (the only part that
 * must differ, and does, whatever normalising and cutting lost).
 */
export function serviceAccountId(name: string, id: StackIdentity = currentStack()): string {
  const hash = shortHash([id.project, id.stack, name]);
  const readable = `${name}-${id.stack}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/-+/g, "-").replace(/^[^a-z]+/, "");
  const head = readable.slice(0, accountIdMaxLength - hash.length - 1).replace(/-+$/, "") || "nodes";
  return `${head}-${hash}`;
}

/** The nodes' service account and its grants. */
export class NodeIdentity extends pulumi.ComponentResource {
  /** The service account's email, for the instance template. */
  readonly email: pulumi.Output<string>;

  constructor(name: string, args: NodeIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:NodeIdentity", name, {}, opts);
    const parent = { parent: this };
    const accountId = serviceAccountId(name);
    const account = new gcp.serviceaccount.Account(`${name}-nodes`, {
      accountId,
      displayName: `ha-topology nodes of ${name}`,
      // The ID is fixed at creation: a stack created before IDs carried the stack keeps its
      // account (`<name>-nodes`) rather than have its identity replaced.
    }, { parent: this, ignoreChanges: ["accountId"] });
    warnIfLegacyName("The nodes' service account", account.accountId, accountId, account);
    const member = pulumi.interpolate`serviceAccount:${account.email}`;
    for (const role of telemetryRoles) {
      new gcp.projects.IAMMember(`${name}-nodes-${role.split("/")[1].replace(/\./g, "-")}`, { project: args.project, role, member }, parent);
    }
    // Object read/write on this bucket only; no bucket administration.
    if (args.bucketName !== undefined) {
      new gcp.storage.BucketIAMMember(`${name}-nodes-bucket`, { bucket: args.bucketName, role: "roles/storage.objectUser", member }, parent);
    }
    (args.secretNames ?? []).forEach((secretId, i) => {
      new gcp.secretmanager.SecretIamMember(`${name}-nodes-secret-${i}`, { secretId, role: "roles/secretmanager.secretAccessor", member }, parent);
    });
    for (const grant of args.grants ?? []) {
      if (grant.kind === "bucket") {
        new gcp.storage.BucketIAMMember(`${name}-grant-${grant.key}`, { bucket: grant.target, role: "roles/storage.objectUser", member }, parent);
      } else {
        new gcp.secretmanager.SecretIamMember(`${name}-grant-${grant.key}`, { secretId: grant.target, role: "roles/secretmanager.secretAccessor", member }, parent);
      }
    }
    if (args.imageRepository) {
      // Read (pull) on the one repository the image is in: never project-wide.
      new gcp.artifactregistry.RepositoryIamMember(`${name}-nodes-image-repository`, {
        ...args.imageRepository,
        role: "roles/artifactregistry.reader",
        member,
      }, parent);
    }
    if (args.registrySecretName) {
      new gcp.secretmanager.SecretIamMember(`${name}-nodes-registry-secret`, { secretId: args.registrySecretName, role: "roles/secretmanager.secretAccessor", member }, parent);
    }
    this.email = account.email;
    this.registerOutputs({ email: this.email });
  }
}
