/**
 * A `secret` resource on Kubernetes: a value generated once (random.RandomPassword:
 * letters and digits, `length` of them), protected, and kept in one Kubernetes Secret
 * (key `value`) that every workload using it reads with a `secretKeyRef`: the same value
 * in every pod of every workload.
 *
 * Rotation (README and notes): `pulumi state unprotect '<urn of the RandomPassword>'`, then
 * `pulumi up --replace '<urn of the RandomPassword>'`. The new value changes the Secret
 * and the secret checksum of every pod template that uses it (env.ts), so those
 * Deployments roll; the program protects the new password again.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** Arguments of GeneratedSecret. */
export interface GeneratedSecretArgs {
  /** Characters of the value (letters and digits). */
  length: number;
  /** The namespace of the Secret. */
  namespace: pulumi.Input<string>;
  /** The Secret's name. */
  secretName: string;
  /** Labels of the Secret. */
  labels: Record<string, string>;
}

/** The key of the value in the Secret. */
export const generatedSecretKey = "value";

/** A generated secret kept in a Kubernetes Secret. */
export class GeneratedSecret extends pulumi.ComponentResource {
  /** The value, a secret. */
  readonly value: pulumi.Output<string>;
  /** The Secret's name (key `generatedSecretKey`). */
  readonly secretName: pulumi.Output<string>;

  constructor(name: string, args: GeneratedSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:kubernetes:GeneratedSecret", name, {}, opts);
    // Protected: deleting it (a removed resource, a destroy) would lose the value, and every
    // session signed or token encrypted with it would be invalid.
    const password = new random.RandomPassword(name, { length: args.length, special: false }, { parent: this, protect: true });
    this.value = pulumi.secret(password.result);
    const secret = new k8s.core.v1.Secret(name, {
      metadata: { name: args.secretName, namespace: args.namespace, labels: args.labels },
      type: "Opaque",
      stringData: { [generatedSecretKey]: this.value },
    }, { parent: this });
    this.secretName = secret.metadata.name;
    this.registerOutputs({ secretName: this.secretName });
  }
}
