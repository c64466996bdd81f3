/**
 * The private entry point of an internal web workload (`public: false`): an internal
 * Application Load Balancer in the private subnets, plain HTTP on port 80, with its own
 * security group that admits only the nodes of the stack's other workloads (their rules
 * are added by the platform, firewall.ts `allowTcp`). The others get its URL,
 * `http://<the ALB's DNS name>`, as `<WORKLOAD>_URL`.
 *
 * Why an ALB and not a name for the nodes themselves: an internal ALB's DNS name is stable
 * for its lifetime, spreads requests over the zones, takes a failing node out of rotation
 * on the readiness check and drains it on a rollout, all without a client library; a
 * Route 53 private record per node would do none of that. Plain HTTP, because nothing
 * outside the VPC reaches it and an internal certificate needs a private CA.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { fitName } from "../../physicalNames";
import type { HealthCheckSpec } from "../../topology";
import { targetGroupName } from "./loadBalancer";

/** The port the internal load balancer listens on. */
export const internalListenerPort = 80;

/** Arguments of InternalLoadBalancer. */
export interface InternalLoadBalancerArgs {
  /** The VPC. */
  vpcId: pulumi.Input<string>;
  /** Private subnets, one per zone. */
  subnetIds: pulumi.Input<string>[];
  /** The app port on the workload's nodes. */
  port: number;
  /** Seconds a deregistering node keeps its connections. */
  drainSeconds: number;
  /** The target group's health check: the workload's readiness. */
  healthCheck: Pick<HealthCheckSpec, "path" | "intervalSeconds" | "timeoutSeconds" | "healthyThreshold" | "unhealthyThreshold">;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** An internal ALB, its security group, target group and HTTP listener. */
export class InternalLoadBalancer extends pulumi.ComponentResource {
  /** The private URL the other workloads are given. */
  readonly url: pulumi.Output<string>;
  /** The load balancer's security group (the callers' rules point at it). */
  readonly securityGroupId: pulumi.Output<string>;
  /** The target group the workload's nodes register in. */
  readonly targetGroupArn: pulumi.Output<string>;
  /** The listener: the nodes wait for it (before it, nothing health-checks them). */
  readonly listener: aws.lb.Listener;

  constructor(name: string, args: InternalLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:InternalLoadBalancer", name, {}, opts);
    const { tags } = args;
    const parent = { parent: this };

    const group = new aws.ec2.SecurityGroup(`${name}-lb`, {
      vpcId: args.vpcId,
      description: "Internal load balancer: HTTP from the stack's other workloads only",
      tags: { ...tags, Name: `${name}-lb` },
    }, parent);
    // Its AWS name is the logical name plus 8 random characters, at most 32.
    const alb = new aws.lb.LoadBalancer(fitName(`${name}-alb`, 24), {
      loadBalancerType: "application",
      internal: true,
      subnets: args.subnetIds,
      securityGroups: [group.id],
      dropInvalidHeaderFields: true,
      desyncMitigationMode: "defensive",
      xffHeaderProcessingMode: "append",
      idleTimeout: 60,
      // Its DNS name is in the other workloads' environment: a new one rolls them all.
      enableDeletionProtection: true,
      tags,
    }, parent);
    const targets = new aws.lb.TargetGroup(targetGroupName(name), {
      vpcId: args.vpcId,
      port: args.port,
      protocol: "HTTP",
      targetType: "instance",
      deregistrationDelay: args.drainSeconds,
      stickiness: { type: "lb_cookie", enabled: false },
      healthCheck: {
        enabled: true,
        protocol: "HTTP",
        port: "traffic-port",
        path: args.healthCheck.path,
        matcher: "200-399",
        interval: args.healthCheck.intervalSeconds,
        timeout: args.healthCheck.timeoutSeconds,
        healthyThreshold: args.healthCheck.healthyThreshold,
        unhealthyThreshold: args.healthCheck.unhealthyThreshold,
      },
      tags,
    }, parent);
    this.listener = new aws.lb.Listener(`${name}-http`, {
      loadBalancerArn: alb.arn,
      port: internalListenerPort,
      protocol: "HTTP",
      defaultActions: [{ type: "forward", targetGroupArn: targets.arn }],
      tags,
    }, parent);

    this.url = pulumi.interpolate`http://${alb.dnsName}`;
    this.securityGroupId = group.id;
    this.targetGroupArn = targets.arn;
    this.registerOutputs({ url: this.url });
  }
}
