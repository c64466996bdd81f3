/**
 * A generated secret (`kind: secret`): a random value, letters and digits only (safe in a
 * URL, a header or a shell), made once and protected, kept in Secrets Manager as
 * `{"value": ...}`. Every node of every workload that uses it reads that one secret at
 * boot, pinned to its current version, so all of them hold the same value and a new value
 * (rotation) is new user data, hence a rolling replacement of their nodes.
 *
 * Rotation (the RandomPassword is protected, so first lift that):
 *   pulumi state unprotect '<its URN>' && pulumi up --replace '<its URN>'
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { JsonSecret } from "./jsonSecret";

/** Arguments of GeneratedSecret. */
export interface GeneratedSecretArgs {
  /** Characters of the value. */
  length: number;
  /** What it is for (the secret's description). */
  description: string;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** The JSON field of the stored secret that holds the value. */
export const generatedSecretField = "value";

/** A RandomPassword and the Secrets Manager secret holding it. */
export class GeneratedSecret extends pulumi.ComponentResource {
  /** The value (secret). */
  readonly value: pulumi.Output<string>;
  /** The Secrets Manager secret's ARN. */
  readonly arn: pulumi.Output<string>;
  /** Its current version: pinned in the users' user data. */
  readonly versionId: pulumi.Output<string>;

  constructor(name: string, args: GeneratedSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:GeneratedSecret", name, {}, opts);
    // Protected: a replacement would change the value under every workload at once; a
    // rotation is a deliberate `--replace` (see the module comment).
    const password = new random.RandomPassword(name, { length: args.length, special: false }, { parent: this, protect: true });
    const stored = new JsonSecret(`${name}-secret`, {
      description: args.description,
      values: { [generatedSecretField]: password.result },
      tags: args.tags,
      newVersionOnChange: true,
    }, { parent: this });
    this.value = pulumi.secret(password.result);
    this.arn = stored.arn;
    this.versionId = stored.versionId;
    this.registerOutputs({ arn: this.arn });
  }
}
