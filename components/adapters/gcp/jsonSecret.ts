/**
 * One Secret Manager secret holding a JSON object of name -> value: the app secrets,
 * and the database credentials. Nodes read one pinned version at boot with their
 * service account; the values are never in instance metadata or outputs, and only
 * encrypted in Pulumi state.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of JsonSecret. */
export interface JsonSecretArgs {
  /** The values; sent to the provider as a secret whatever their wrapping. */
  values: Record<string, pulumi.Input<string>>;
  /** Labels for every resource (GCP rules: lower-case keys and values). */
  labels: Record<string, string>;
}

/** Secret IDs allow letters, digits, `-` and `_`, at most 255 characters. */
const secretIdMaxLength = 255;

/**
 * The secret's ID. Secret Manager does not generate one, and IDs are unique per GCP
 * project, which several stacks may share: the stack name plus the logical name (unique
 * within a stack) is unique and stays the same from one `pulumi up` to the next.
 */
export function secretIdFor(name: string, stack: string = pulumi.getStack()): string {
  return `${stack}-${name}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, secretIdMaxLength);
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
    const secret = new gcp.secretmanager.Secret(name, {
      secretId: secretIdFor(name),
      // Google picks the replica locations: the secret survives a regional outage.
      replication: { auto: {} },
      labels: args.labels,
    }, { parent: this });
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
