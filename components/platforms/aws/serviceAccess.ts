/**
 * What guards a private managed service of a stack (a DocumentDB cluster, an Amazon MQ
 * broker): its own security group, which admits nothing until a workload that uses it is
 * given a rule, and a generated password kept with its user in Secrets Manager, where the
 * nodes and jobs read it. The group guards access to the data: protected as the data is.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { JsonSecret } from "./jsonSecret";

/** Arguments of serviceAccess. */
export interface ServiceAccessArgs {
  /** The VPC of the security group. */
  vpcId: pulumi.Input<string>;
  /** What the service is, for the group's and the secret's descriptions ("Document database"). */
  what: string;
  /** The service's user. */
  username: string;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** What serviceAccess made. */
export interface ServiceAccess {
  /** The service's security group. */
  securityGroupId: pulumi.Output<string>;
  /** The generated password. */
  password: random.RandomPassword;
  /** The Secrets Manager secret holding `username` and `password`. */
  credentials: JsonSecret;
}

/**
 * The security group `<name>-<suffix>`, password `<name>-<suffix>` and secret
 * `<name>-<suffix>-credentials` of one service, children of `parent`. The password is
 * letters and digits only, 256 bits: DocumentDB refuses / " @ and Amazon MQ , : = in it.
 */
export function serviceAccess(name: string, suffix: string, args: ServiceAccessArgs, parent: pulumi.Resource): ServiceAccess {
  const securityGroupId = new aws.ec2.SecurityGroup(`${name}-${suffix}`, {
    vpcId: args.vpcId,
    description: `${args.what}: from the workloads that use it only`,
    tags: { ...args.tags, Name: `${name}-${suffix}` },
  }, { parent, protect: true }).id;
  const password = new random.RandomPassword(`${name}-${suffix}`, { length: 43, special: false }, { parent });
  const credentials = new JsonSecret(`${name}-${suffix}-credentials`, {
    description: `${args.what} credentials of ${name}, read by the nodes at boot`,
    values: { username: args.username, password: password.result },
    tags: args.tags,
  }, { parent });
  return { securityGroupId, password, credentials };
}
