/**
 * The app nodes: a launch template (current Amazon Linux 2023, IMDSv2 only, encrypted
 * disk, the shared cloud-init bootstrap) and an autoscaling group across the zones that
 * replaces nodes failing the load balancer's health check, scales on CPU, and rolls
 * out a changed template with an instance refresh that never goes below 100 % healthy,
 * in two halves with a pause after each (checkpoints), which `pulumi up` waits for
 * (RefreshWait, refreshWait.ts), as it waits for the nodes a raised count adds.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { roleTag, type Role } from "../../../contract/roles";
import type { NodesSpec, HealthCheckSpec } from "../../topology";
import { RefreshWait } from "./refreshWait";

/** Arguments of NodeGroup. */
export interface NodeGroupArgs {
  /** How many nodes (the floor), the autoscaling ceiling and the CPU target: the single service's `nodes`, or a workload's. */
  nodes: Pick<NodesSpec, "count" | "maxCount" | "cpuTargetPercent">;
  /** The health check (its grace period delays replacement of booting nodes). */
  healthCheck: Pick<HealthCheckSpec, "gracePeriodSeconds">;
  /** The native instance type (the preset already resolved). */
  instanceType: string;
  /** Subnets to spread over, one per zone. */
  subnetIds: pulumi.Input<string>[];
  /** Whether nodes get public addresses (NAT mode `none`). */
  publicAddresses: boolean;
  /** The nodes' security group. */
  securityGroupId: pulumi.Input<string>;
  /** The target group the nodes register in; unset for a worker (no load balancer). */
  targetGroupArn?: pulumi.Input<string>;
  /**
   * What replaces a node: "ELB" (default: failing the target group's health check) or
   * "EC2" (only a failed VM, or the node's own report through `reportsOwnHealth`).
   */
  healthCheckType?: "ELB" | "EC2";
  /**
   * True when the nodes report their own liveness (the liveness watchdog): their role may
   * call autoscaling:SetInstanceHealth on this group, and on no other.
   */
  reportsOwnHealth?: boolean;
  /**
   * Seconds a new node may take to become ready (its readiness gate, bootstrap.ts): set,
   * the group gets a launch lifecycle hook (`readinessHookName`) that the node completes
   * once its app is ready, so a rollout or a replacement counts it only then; a node that
   * is not ready in time is abandoned (terminated) and replaced. Its role may complete the
   * hook on its own group only, and it reads the group's name from its instance tags (IMDS).
   */
  readinessTimeoutSeconds?: number;
  /** The role tag (contract/roles.ts), propagated to the instances; unset keeps the single service's tags as they are. */
  role?: Role;
  /** The node role's description. */
  roleDescription?: string;
  /** The buckets the nodes may use (and no other); may be empty. */
  bucketArns: pulumi.Input<string>[];
  /** The log group the nodes' docker ships the app's output to (and no other). */
  logGroupArn: pulumi.Input<string>;
  /** Secrets Manager secrets the nodes read at boot. */
  secretArns: pulumi.Input<string>[];
  /** Pull access to the private image's ECR repository (see registryAccess.ts); empty for other registries. */
  registryStatements?: aws.types.input.iam.GetPolicyDocumentStatementArgs[];
  /** The rendered cloud-config. */
  userData: pulumi.Input<string>;
  /** An alarm that stops and rolls back an instance refresh when it fires. */
  rollbackAlarmName?: pulumi.Input<string>;
  /**
   * What must exist before the group: the listener (or listener rule) that sends the target
   * group traffic. Before it, nodes are never health-checked and the wait for healthy nodes
   * times out. Unset for a worker.
   */
  servingListener?: pulumi.Resource;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** Graviton instance families (m7g, c6gn, t4g, ...) need the arm64 image. */
export function architectureOf(instanceType: string): "arm64" | "x86_64" {
  return /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType) ? "arm64" : "x86_64";
}

/** The SSM parameter AWS keeps the current Amazon Linux 2023 image ID in. */
export function amiParameter(instanceType: string): string {
  return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architectureOf(instanceType)}`;
}

/** What the SSM agent needs for Session Manager and nothing else (no Run Command, no Parameter Store). */
export const sessionManagerAgentActions = [
  "ssm:UpdateInstanceInformation",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
] as const;

/** The launch lifecycle hook a node completes once its app is ready (`readinessTimeoutSeconds`). */
export const readinessHookName = "ha-topology-ready";

/**
 * The checkpoints of an instance refresh: half the nodes are replaced, then the refresh
 * pauses `refreshCheckpointDelaySeconds`, then the other half, then it pauses again
 * before it reports success. With maxHealthyPercentage 200 the refresh would otherwise
 * replace every node at once, before the rollback alarm could judge any new node.
 */
export const refreshCheckpointPercentages = [50, 100];

/**
 * The pause after each checkpoint: one period of the app-5xx rollback alarm (300 s, one
 * evaluation period, alarms.ts) plus a minute for its metric to arrive, so that the alarm
 * judges new nodes serving real traffic before more are replaced, and before
 * `pulumi up` says the rollout succeeded.
 */
export const refreshCheckpointDelaySeconds = 360;

/**
 * How long `pulumi up` waits for an instance refresh: per half, the checkpoint pause and
 * twice the grace period (a node boots and warms up within it, and may then take as long
 * to pass its readiness gate), plus 20 minutes for launching, registering and draining.
 * Past it the update fails and the refresh goes on.
 */
export function refreshTimeoutSeconds(gracePeriodSeconds: number): number {
  return refreshCheckpointPercentages.length * (refreshCheckpointDelaySeconds + 2 * gracePeriodSeconds) + 1200;
}

/**
 * How long `pulumi up` waits for a scale-up (a raised `count`): a new node boots and passes
 * its readiness gate within the grace period (the launch hook abandons it then, and the
 * group launches another), so two attempts, plus 10 minutes for launching; at least the
 * 15 minutes a new group's creation waits. Past it the update fails and the group goes on.
 */
export function scaleUpTimeoutSeconds(gracePeriodSeconds: number): number {
  return Math.max(900, 2 * gracePeriodSeconds + 600);
}

/** Launch template + autoscaling group + target-tracking policy + the nodes' IAM role. */
export class NodeGroup extends pulumi.ComponentResource {
  /** The autoscaling group's name. */
  readonly groupName: pulumi.Output<string>;
  /** The nodes' IAM role. */
  readonly roleName: pulumi.Output<string>;
  /** The autoscaling group's ARN. */
  readonly groupArn: pulumi.Output<string>;

  constructor(name: string, args: NodeGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:NodeGroup", name, {}, opts);
    const { nodes, healthCheck, tags } = args;
    const parent = { parent: this };

    const role = new aws.iam.Role(`${name}-node`, {
      assumeRolePolicy: aws.iam.assumeRolePolicyForPrincipal({ Service: "ec2.amazonaws.com" }),
      description: args.roleDescription ?? "App nodes: their own bucket and secrets only",
      tags,
    }, parent);
    new aws.iam.RolePolicy(`${name}-node`, {
      role: role.id,
      policy: aws.iam.getPolicyDocumentOutput({
        statements: [
          ...(args.bucketArns.length > 0
            ? [
                { sid: "ListOwnBucket", actions: ["s3:ListBucket", "s3:ListBucketVersions"], resources: args.bucketArns },
                {
                  sid: "UseOwnBucketObjects",
                  actions: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                  resources: args.bucketArns.map((arn) => pulumi.interpolate`${arn}/*`),
                },
              ]
            : []),
          ...(args.secretArns.length > 0 ? [{ sid: "ReadOwnSecrets", actions: ["secretsmanager:GetSecretValue"], resources: args.secretArns }] : []),
          // Docker's awslogs driver: streams in the stack's own group only (`:*` is the
          // group's streams), and no logs:CreateLogGroup: the program owns the group.
          { sid: "WriteOwnLogs", actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [pulumi.interpolate`${args.logGroupArn}:*`] },
          // The image's own ECR repository only, when it is in ECR.
          ...(args.registryStatements ?? []),
          // Shell access through Session Manager (audited, no inbound port) instead of SSH:
          // the SSM agent's minimal permissions for sessions (AWS's "custom IAM role for
          // Session Manager"). Not AmazonSSMManagedInstanceCore: it also grants Run Command
          // (ec2messages) and ssm:GetParameter(s) on every parameter of the account. These
          // actions take no resource ARN, hence "*".
          { sid: "SessionManagerAgent", actions: [...sessionManagerAgentActions], resources: ["*"] },
        ],
      }, parent).json,
    }, parent);
    const profile = new aws.iam.InstanceProfile(`${name}-node`, { role: role.name, tags }, parent);

    const ami = aws.ssm.getParameterOutput({ name: amiParameter(args.instanceType) }, parent);
    const networkSettings = args.publicAddresses
      ? { networkInterfaces: [{ associatePublicIpAddress: "true", securityGroups: [args.securityGroupId], deleteOnTermination: "true" }] }
      : { vpcSecurityGroupIds: [args.securityGroupId] };

    const template = new aws.ec2.LaunchTemplate(`${name}-node`, {
      imageId: ami.value,
      instanceType: args.instanceType,
      iamInstanceProfile: { arn: profile.arn },
      ...networkSettings,
      userData: pulumi.output(args.userData).apply((text) => Buffer.from(text, "utf8").toString("base64")),
      metadataOptions: {
        httpEndpoint: "enabled",
        // IMDSv2 only. Two hops so the container (one bridge hop away) can use the role.
        httpTokens: "required",
        httpPutResponseHopLimit: 2,
        // The readiness gate reads its group's name from the instance's tags.
        ...(args.readinessTimeoutSeconds !== undefined && { instanceMetadataTags: "enabled" }),
      },
      blockDeviceMappings: [{
        deviceName: "/dev/xvda",
        ebs: { volumeSize: 20, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
      }],
      monitoring: { enabled: true },
      updateDefaultVersion: true,
      tagSpecifications: [
        { resourceType: "instance", tags: { ...tags, Name: `${name}-node`, ...(args.role && { [roleTag]: args.role }) } },
        { resourceType: "volume", tags },
      ],
      tags,
    }, parent);

    // The readiness hook (see `readinessTimeoutSeconds`): in the group's initial hooks, so the
    // very first nodes get it, and as its own resource too, because the provider applies
    // initial hooks only when it creates a group: a group made before the hook existed gets it
    // from this resource (PutLifecycleHook on the same name is an upsert of the same settings).
    const readinessHook = args.readinessTimeoutSeconds === undefined
      ? undefined
      : { name: readinessHookName, lifecycleTransition: "autoscaling:EC2_INSTANCE_LAUNCHING", defaultResult: "ABANDON", heartbeatTimeout: args.readinessTimeoutSeconds };
    const group = new aws.autoscaling.Group(`${name}-nodes`, {
      vpcZoneIdentifiers: args.subnetIds,
      minSize: nodes.count,
      maxSize: nodes.maxCount,
      // desiredCapacity is left unset: target tracking owns it, and setting it here would
      // fight the autoscaler on every update.
      launchTemplate: {
        id: template.id,
        // A pinned version (never "$Latest"): a new template version is a diff on the
        // group, and that diff is what starts the instance refresh.
        version: template.latestVersion.apply((v) => String(v)),
      },
      targetGroupArns: args.targetGroupArn ? [args.targetGroupArn] : [],
      // A new node stays out (Pending:Wait) until it says its app is ready: a rollout
      // surges ready nodes before it removes old ones, whatever the health check type.
      ...(readinessHook && { initialLifecycleHooks: [readinessHook] }),
      healthCheckType: args.healthCheckType ?? "ELB",
      healthCheckGracePeriod: healthCheck.gracePeriodSeconds,
      defaultInstanceWarmup: healthCheck.gracePeriodSeconds,
      // Replacing an unhealthy node also launches first and terminates after.
      instanceMaintenancePolicy: { minHealthyPercentage: 100, maxHealthyPercentage: 200 },
      instanceRefresh: {
        strategy: "Rolling",
        preferences: {
          minHealthyPercentage: 100,
          maxHealthyPercentage: 200,
          instanceWarmup: String(healthCheck.gracePeriodSeconds),
          autoRollback: true,
          // A refresh after a failed, cancelled or interrupted one (or one started by hand
          // to retry) leaves the nodes that already run this configuration alone.
          skipMatching: true,
          checkpointPercentages: refreshCheckpointPercentages,
          checkpointDelay: String(refreshCheckpointDelaySeconds),
          scaleInProtectedInstances: "Refresh",
          standbyInstances: "Terminate",
          ...(args.rollbackAlarmName && { alarmSpecification: { alarms: [args.rollbackAlarmName] } }),
        },
      },
      // On creation, `pulumi up` returns only once this many nodes pass the health check
      // (a worker has no load balancer: then the group waits for running nodes).
      ...(args.targetGroupArn && { minElbCapacity: nodes.count }),
      waitForCapacityTimeout: "15m",
      enabledMetrics: ["GroupInServiceInstances", "GroupDesiredCapacity", "GroupMinSize", "GroupMaxSize", "GroupPendingInstances", "GroupTerminatingInstances"],
      tags: [
        ...Object.entries({ ...tags, Name: `${name}-node` }).map(([key, value]) => ({ key, value, propagateAtLaunch: false })),
        // The pack (and people) read what the group is for from this tag, on the group and its instances.
        ...(args.role ? [{ key: roleTag, value: args.role, propagateAtLaunch: true }] : []),
      ],
    }, { parent: this, dependsOn: args.servingListener ? [args.servingListener] : [] });

    if (args.reportsOwnHealth) {
      // The liveness watchdog marks its own node unhealthy; the group then replaces it. Its
      // own group only: a node can never take down another workload's nodes.
      new aws.iam.RolePolicy(`${name}-liveness`, {
        role: role.id,
        policy: aws.iam.getPolicyDocumentOutput({
          statements: [
            { sid: "ReportOwnLiveness", actions: ["autoscaling:SetInstanceHealth"], resources: [group.arn] },
            ...(args.readinessTimeoutSeconds !== undefined ? [{ sid: "CompleteOwnLaunch", actions: ["autoscaling:CompleteLifecycleAction"], resources: [group.arn] }] : []),
          ],
        }, parent).json,
      }, parent);
    }

    if (readinessHook) new aws.autoscaling.LifecycleHook(`${name}-ready`, { autoscalingGroupName: group.name, ...readinessHook }, parent);

    new aws.autoscaling.Policy(`${name}-cpu`, {
      autoscalingGroupName: group.name,
      policyType: "TargetTrackingScaling",
      estimatedInstanceWarmup: healthCheck.gracePeriodSeconds,
      targetTrackingConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
        targetValue: nodes.cpuTargetPercent,
      },
    }, parent);

    // The provider's update returns once the refresh has started (or, for a raised count,
    // once the minimum is set); this returns once the refresh ended (or the nodes serve).
    new RefreshWait(`${name}-rollout`, {
      groupName: group.name,
      // arn:aws:autoscaling:<region>:<account>:autoScalingGroup:...: the group's own region,
      // whichever provider created it.
      region: group.arn.apply((arn) => arn.split(":")[3]),
      // The version the group is pinned to (what the provider compared to start the refresh).
      launchTemplateVersion: group.launchTemplate.apply((lt) => lt?.version ?? ""),
      timeoutSeconds: refreshTimeoutSeconds(healthCheck.gracePeriodSeconds),
      count: nodes.count,
      scaleUpTimeoutSeconds: scaleUpTimeoutSeconds(healthCheck.gracePeriodSeconds),
      profile: new pulumi.Config("aws").get("profile"),
    }, { parent: this, dependsOn: [group] });

    this.groupName = group.name;
    this.groupArn = group.arn;
    this.roleName = role.name;
    this.registerOutputs({ groupName: this.groupName });
  }
}
