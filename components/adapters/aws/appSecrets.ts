/**
 * The app secrets (`ha-topology:secrets`) in one Secrets Manager secret, as a JSON
 * object of name -> value. Nodes read it at boot with their instance role; the values
 * are never in user data, outputs or plain state.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of AppSecrets. */
export interface AppSecretsArgs {
  /** The secret values (a secret Output). */
  values: pulumi.Output<Record<string, string>>;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** One Secrets Manager secret holding every app secret. */
export class AppSecrets extends pulumi.ComponentResource {
  /** The secret's ARN (for the nodes' policy and boot script). */
  readonly arn: pulumi.Output<string>;
  /** The current version's ID: part of the user data, so a changed secret rolls the nodes. */
  readonly versionId: pulumi.Output<string>;

  constructor(name: string, args: AppSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:AppSecrets", name, {}, opts);
    const secret = new aws.secretsmanager.Secret(`${name}-app-secrets`, {
      description: `App secrets of ${name}, injected into the app's environment at boot`,
      recoveryWindowInDays: 7,
      tags: args.tags,
    }, { parent: this });
    const version = new aws.secretsmanager.SecretVersion(`${name}-app-secrets`, {
      secretId: secret.id,
      secretString: pulumi.secret(args.values.apply((values) => JSON.stringify(values))),
    }, { parent: this });
    this.arn = secret.arn;
    this.versionId = version.versionId;
    this.registerOutputs({ arn: this.arn });
  }
}
