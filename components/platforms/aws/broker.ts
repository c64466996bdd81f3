/**
 * A RabbitMQ broker (kind `queue`, engine rabbitmq): an Amazon MQ cluster of three nodes
 * across zones (CLUSTER_MULTI_AZ), private, AMQP over TLS on 5671 with Amazon's public
 * certificate (no CA file), its user's credentials in Secrets Manager.
 *
 * Quorum queues: no broker configuration here (Amazon MQ's configurable values have no
 * `default_queue_type`): the app declares its queues with `x-queue-type: quorum`. A classic
 * queue is mirrored by Amazon MQ's default cluster policy (classic mirroring: deprecated,
 * removed in RabbitMQ 4), so it survives a node but with mirroring's weaker guarantees.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { fitName } from "../../physicalNames";
import { serviceAccess } from "./serviceAccess";

/** The AMQPS port of Amazon MQ for RabbitMQ. */
export const brokerPort = 5671;

/** Arguments of Broker. */
export interface BrokerArgs {
  /** The native host instance type (the preset already resolved). */
  hostInstanceType: string;
  /** The broker's user. */
  username: string;
  /** Private subnets, one per zone (a private cluster broker spreads over them). */
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The VPC of its own security group (which admits nothing until a workload that uses it is given a rule). */
  vpcId: pulumi.Input<string>;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** An Amazon MQ for RabbitMQ 3.13 cluster broker. */
export class Broker extends pulumi.ComponentResource {
  /** The AMQPS endpoint's host. */
  readonly host: pulumi.Output<string>;
  /** The user. */
  readonly username: string;
  /** Its password (secret). */
  readonly password: pulumi.Output<string>;
  /** ARN of the Secrets Manager secret holding `username` and `password`. */
  readonly credentialsSecretArn: pulumi.Output<string>;
  /** Version of that secret. */
  readonly credentialsVersionId: pulumi.Output<string>;
  /** Its security group. */
  readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: BrokerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:Broker", name, {}, opts);
    const { tags } = args;
    const { securityGroupId, password, credentials } = serviceAccess(name, "mq", { vpcId: args.vpcId, what: "Queue broker", username: args.username, tags }, this);
    const broker = new aws.mq.Broker(fitName(`${name}-mq`, 42), {
      engineType: "RabbitMQ",
      engineVersion: "3.13",
      deploymentMode: "CLUSTER_MULTI_AZ",
      hostInstanceType: args.hostInstanceType,
      publiclyAccessible: false,
      subnetIds: args.subnetIds,
      securityGroups: [securityGroupId],
      autoMinorVersionUpgrade: true,
      users: [{ username: args.username, password: password.result }],
      logs: { general: true },
      maintenanceWindowStartTime: { dayOfWeek: "SUNDAY", timeOfDay: "05:00", timeZone: "UTC" },
      applyImmediately: false,
      tags,
    }, { parent: this, protect: true });
    // amqps://<id>.mq.<region>.amazonaws.com:5671 -> the host.
    this.host = broker.instances.apply((is) => new URL(is?.[0]?.endpoints?.[0] ?? "amqps://unknown:5671").hostname);
    this.username = args.username;
    this.password = pulumi.secret(password.result);
    this.credentialsSecretArn = credentials.arn;
    this.credentialsVersionId = credentials.versionId;
    this.securityGroupId = securityGroupId;
    this.registerOutputs({ host: this.host });
  }
}
