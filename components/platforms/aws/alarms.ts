/**
 * CloudWatch alarms for what an on-call engineer must know: fewer healthy nodes than
 * the floor, any unhealthy node, and 5xx answers from the app or the load balancer.
 * They notify an SNS topic (with an optional email subscription).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of Alarms. */
export interface AlarmsArgs {
  /** The ALB's ARN suffix. */
  loadBalancerArnSuffix: pulumi.Input<string>;
  /** The target group's ARN suffix. */
  targetGroupArnSuffix: pulumi.Input<string>;
  /** The node floor (`nodes.count`): fewer healthy nodes than this raises an alarm. */
  minHealthyNodes: number;
  /** An email address to subscribe, if any. */
  email?: string;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** 5xx responses in five minutes that count as an incident rather than noise. */
const errorThreshold = 10;

/** The alarms and their SNS topic. */
export class Alarms extends pulumi.ComponentResource {
  /** The SNS topic alarms notify. */
  readonly topicArn: pulumi.Output<string>;
  /** The app-5xx alarm's name: an instance refresh rolls back when it fires. */
  readonly targetErrorsAlarmName: pulumi.Output<string>;

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:Alarms", name, {}, opts);
    const { tags } = args;
    const parent = { parent: this };
    // Not encrypted with the AWS-managed SNS key: CloudWatch cannot publish to a topic
    // under that key (its policy cannot grant it), and alarm texts are not sensitive.
    const topic = new aws.sns.Topic(`${name}-alarms`, { tags }, parent);
    if (args.email) {
      new aws.sns.TopicSubscription(`${name}-alarms-email`, { topic: topic.arn, protocol: "email", endpoint: args.email }, parent);
    }

    const lb = { LoadBalancer: args.loadBalancerArnSuffix };
    const lbAndTargets = { ...lb, TargetGroup: args.targetGroupArnSuffix };
    const alarm = (suffix: string, alarmArgs: aws.cloudwatch.MetricAlarmArgs) =>
      new aws.cloudwatch.MetricAlarm(`${name}-${suffix}`, {
        namespace: "AWS/ApplicationELB",
        period: 60,
        alarmActions: [topic.arn],
        okActions: [topic.arn],
        tags,
        ...alarmArgs,
      }, parent);

    alarm("healthy-nodes", {
      alarmDescription: `Fewer than ${args.minHealthyNodes} healthy nodes behind the load balancer: the service is not highly available right now`,
      metricName: "HealthyHostCount", dimensions: lbAndTargets, statistic: "Minimum",
      comparisonOperator: "LessThanThreshold", threshold: args.minHealthyNodes, evaluationPeriods: 3,
      treatMissingData: "breaching",
    });
    alarm("unhealthy-nodes", {
      alarmDescription: "A node fails its health check (the autoscaling group replaces it)",
      metricName: "UnHealthyHostCount", dimensions: lbAndTargets, statistic: "Maximum",
      comparisonOperator: "GreaterThanOrEqualToThreshold", threshold: 1, evaluationPeriods: 3,
      treatMissingData: "notBreaching",
    });
    const targetErrors = alarm("app-5xx", {
      alarmDescription: `More than ${errorThreshold} 5xx responses from the app in 5 minutes`,
      metricName: "HTTPCode_Target_5XX_Count", dimensions: lbAndTargets, statistic: "Sum",
      period: 300, comparisonOperator: "GreaterThanThreshold", threshold: errorThreshold, evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    });
    alarm("lb-5xx", {
      alarmDescription: `More than ${errorThreshold} 5xx responses from the load balancer itself in 5 minutes (no healthy node, or nodes timing out)`,
      metricName: "HTTPCode_ELB_5XX_Count", dimensions: lb, statistic: "Sum",
      period: 300, comparisonOperator: "GreaterThanThreshold", threshold: errorThreshold, evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    });

    this.topicArn = topic.arn;
    this.targetErrorsAlarmName = targetErrors.name;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}

/** Arguments of AlarmTopic. */
export interface AlarmTopicArgs {
  /** The email address to subscribe. */
  email: string;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** The alarms' SNS topic of a stack without the single service (whose Alarms has one). */
export class AlarmTopic extends pulumi.ComponentResource {
  /** The topic's ARN. */
  readonly topicArn: pulumi.Output<string>;

  constructor(name: string, args: AlarmTopicArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:AlarmTopic", name, {}, opts);
    const topic = new aws.sns.Topic(`${name}-alarms`, { tags: args.tags }, { parent: this });
    new aws.sns.TopicSubscription(`${name}-alarms-email`, { topic: topic.arn, protocol: "email", endpoint: args.email }, { parent: this });
    this.topicArn = topic.arn;
    this.registerOutputs({ topicArn: this.topicArn });
  }
}

/** Arguments of WorkloadAlarms. */
export interface WorkloadAlarmsArgs {
  /** The workload's name (for the description). */
  workload: string;
  /** The ALB's ARN suffix. */
  loadBalancerArnSuffix: pulumi.Input<string>;
  /** The workload's target group's ARN suffix. */
  targetGroupArnSuffix: pulumi.Input<string>;
  /** The workload's node floor (`count`). */
  minHealthyNodes: number;
  /** The topic to notify. */
  topicArn: pulumi.Input<string>;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** The healthy-nodes alarm of one public web workload: fewer ready nodes behind its target group than its floor. */
export class WorkloadAlarms extends pulumi.ComponentResource {
  constructor(name: string, args: WorkloadAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:WorkloadAlarms", name, {}, opts);
    new aws.cloudwatch.MetricAlarm(`${name}-healthy-nodes`, {
      alarmDescription: `Fewer than ${args.minHealthyNodes} ready nodes of ${args.workload} behind the load balancer: it is not highly available right now`,
      namespace: "AWS/ApplicationELB",
      metricName: "HealthyHostCount",
      dimensions: { LoadBalancer: args.loadBalancerArnSuffix, TargetGroup: args.targetGroupArnSuffix },
      statistic: "Minimum",
      period: 60,
      comparisonOperator: "LessThanThreshold",
      threshold: args.minHealthyNodes,
      evaluationPeriods: 3,
      treatMissingData: "breaching",
      alarmActions: [args.topicArn],
      okActions: [args.topicArn],
      tags: args.tags,
    }, { parent: this });
    this.registerOutputs({});
  }
}
