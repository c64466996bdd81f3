/**
 * One Secrets Manager secret holding a JSON object of name -> value: the app secrets,
 * and the database credentials. Nodes read it at boot with their instance role; the
 * values are never in user data or outputs, and only encrypted in Pulumi state.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of JsonSecret. */
export interface JsonSecretArgs {
  /** What the secret is for (its description in the console). */
  description: string;
  /** The values; sent to the provider as a secret whatever their wrapping. */
  values: Record<string, pulumi.Input<string>>;
  /** Tags for every resource. */
  tags: Record<string, string>;
  /**
   * Makes a changed value a new version resource, hence a new version ID (what the nodes'
   * user data pins, so the change rolls them), whatever the provider's own diff says.
   */
  newVersionOnChange?: boolean;
}

/** A Secrets Manager secret and its current version. */
export class JsonSecret extends pulumi.ComponentResource {
  /** The secret's ARN (for the nodes' policy and boot script). */
  readonly arn: pulumi.Output<string>;
  /** The current version's ID: part of the user data, so a changed secret rolls the nodes. */
  readonly versionId: pulumi.Output<string>;

  constructor(name: string, args: JsonSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:JsonSecret", name, {}, opts);
    const secret = new aws.secretsmanager.Secret(name, {
      description: args.description,
      recoveryWindowInDays: 7,
      tags: args.tags,
    }, { parent: this });
    const version = new aws.secretsmanager.SecretVersion(name, {
      secretId: secret.id,
      secretString: pulumi.secret(pulumi.output(args.values).apply((values) => JSON.stringify(values))),
    }, { parent: this, ...(args.newVersionOnChange && { replaceOnChanges: ["secretString"] }) });
    this.arn = secret.arn;
    this.versionId = version.versionId;
    this.registerOutputs({ arn: this.arn });
  }
}
