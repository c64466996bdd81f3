/**
 * One Secret Manager secret holding a JSON object of name -> value: the app secrets,
 * and the database credentials. Nodes read one pinned version at boot with their
 * service account; the values are never in instance metadata or outputs, and only
 * encrypted in Pulumi state.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { currentStack, fitName, gcpSecretIdRule, stackSegment, type StackIdentity, warnIfLegacyName } from "../../physicalNames";

/** Arguments of JsonSecret. */
export interface JsonSecretArgs {
  /** The values; sent to the provider as a secret whatever their wrapping. */
  values: Record<string, pulumi.Input<string>>;
  /** Labels for every resource (GCP rules: lower-case keys and values). */
  labels: Record<string, string>;
  /**
   * Protect the secret (not its versions) from deletion: for a value that exists nowhere
   * else (a generated secret resource). A new value still makes a new version.
   */
  protect?: boolean;
}

/** Secret IDs allow letters, digits, `-` and `_`, at most 255 characters. */
const secretIdMaxLength = 255;

/**
 * The secret's ID. Secret Manager does not generate one, and IDs are unique per GCP
 * project, which several stacks (and several Pulumi projects) may share: the stack's
 * segment (its name, plus a hash of the exact project and stack when the plain name could
 * belong to another stack too, see physicalNames.ts) and the logical name (unique within
 * a stack). It stays the same from one `pulumi up` to the next.
 */
export function secretIdFor(name: string, id: StackIdentity = currentStack()): string {
  return fitName(`${stackSegment(id, gcpSecretIdRule)}-${name}`.replace(/[^A-Za-z0-9_-]/g, "-"), secretIdMaxLength);
}

/** Serialises the values with sorted keys, so unchanged values give the same data (no new version). */
function stableJson(values: Record<string, string>): string {
  return JSON.stringify(Object.fromEntries(Object.keys(values).sort().map((key) => [key, values[key]])));
}

/** A Secret Manager secret and its current version. */
export class JsonSecret extends pulumi.ComponentResource {
  /** The secret's short ID (for IAM bindings). */
  readonly secretId: pulumi.Output<string>;
  /** The secret's resource name, `projects/{project}/secrets/{secretId}`. */
  readonly secretName: pulumi.Output<string>;
  /**
   * The current version's full resource name, `projects/{project}/secrets/{secretId}/versions/{n}`.
   * Nodes read exactly this version and it is part of their template, so a changed
   * secret is a changed template, hence a rolling replacement of the nodes.
   */
  readonly versionName: pulumi.Output<string>;
  /** The current version's number, as a string. */
  readonly version: pulumi.Output<string>;

  constructor(name: string, args: JsonSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:JsonSecret", name, {}, opts);
    const secretId = secretIdFor(name);
    const secret = new gcp.secretmanager.Secret(name, {
      secretId,
      // Google picks the replica locations: the secret survives a regional outage.
      replication: { auto: {} },
      labels: args.labels,
      // The ID is fixed at creation: a stack created before IDs carried the project and
      // stack hash keeps its secret (the nodes read it by name) instead of a replacement.
    }, { parent: this, ignoreChanges: ["secretId"], ...(args.protect && { protect: true }) });
    warnIfLegacyName(`The Secret Manager secret ${name}`, secret.secretId, secretId, secret);
    // Changed data replaces the version: the new one is created first and the old one is
    // deleted at the end of the update, when the node template already names the new one
    // (running nodes read their secrets once, at boot).
    const version = new gcp.secretmanager.SecretVersion(name, {
      secret: secret.id,
      secretData: pulumi.secret(pulumi.output(args.values).apply(stableJson)),
    }, { parent: this });

    this.secretId = secret.secretId;
    this.secretName = secret.name;
    this.versionName = version.name;
    this.version = version.version;
    this.registerOutputs({ secretName: this.secretName, versionName: this.versionName });
  }
}
