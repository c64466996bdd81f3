/**
 * The nodes' identity: a dedicated service account that may write logs and metrics, use
 * this stack's bucket, read this stack's secrets and pull from the image's Artifact
 * Registry repository (when it is in one), and nothing else (the default
 * compute service account has Editor on the whole project).
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of NodeIdentity. */
export interface NodeIdentityArgs {
  /** The project the account lives in. */
  project: string;
  /** The stack's bucket. */
  bucketName: pulumi.Input<string>;
  /** The Secret Manager secrets the nodes read (full names, `projects/.../secrets/...`). */
  secretNames: pulumi.Input<string>[];
  /** The Artifact Registry repository of a private `nodes.image`: the nodes may read it, and no other. */
  imageRepository?: { project: string; location: string; repository: string };
  /** The Secret Manager secret with credentials for another private registry (its own grant, so adding app secrets never renames it). */
  registrySecretName?: pulumi.Input<string>;
}

/** Project-wide roles every node needs for its own telemetry. */
const telemetryRoles = ["roles/logging.logWriter", "roles/monitoring.metricWriter"];

/** A service account ID (6-30 chars, lowercase letters, digits, hyphens) derived from the service name. */
export function serviceAccountId(name: string): string {
  const base = name.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^[^a-z]+/, "");
  return `${base.slice(0, 23) || "svc"}-nodes`.replace(/-+/g, "-");
}

/** The nodes' service account and its grants. */
export class NodeIdentity extends pulumi.ComponentResource {
  /** The service account's email, for the instance template. */
  readonly email: pulumi.Output<string>;

  constructor(name: string, args: NodeIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:NodeIdentity", name, {}, opts);
    const parent = { parent: this };
    const account = new gcp.serviceaccount.Account(`${name}-nodes`, {
      accountId: serviceAccountId(name),
      displayName: `ha-topology nodes of ${name}`,
    }, parent);
    const member = pulumi.interpolate`serviceAccount:${account.email}`;
    for (const role of telemetryRoles) {
      new gcp.projects.IAMMember(`${name}-nodes-${role.split("/")[1].replace(/\./g, "-")}`, { project: args.project, role, member }, parent);
    }
    // Object read/write on this bucket only; no bucket administration.
    new gcp.storage.BucketIAMMember(`${name}-nodes-bucket`, { bucket: args.bucketName, role: "roles/storage.objectUser", member }, parent);
    args.secretNames.forEach((secretId, i) => {
      new gcp.secretmanager.SecretIamMember(`${name}-nodes-secret-${i}`, { secretId, role: "roles/secretmanager.secretAccessor", member }, parent);
    });
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
