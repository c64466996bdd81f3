/**
 * The CloudWatch Logs log group a workload's nodes ship their container output to (see
 * components/logShipping.ts): one per workload, named per project and stack, with the
 * configured retention. Logs are data: a destroy leaves the group (and its events) in the
 * account (`retainOnDelete`), to expire by its retention or be deleted by hand.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { cloudWatchLogGroupRule, currentStack, stackSegment, type StackIdentity } from "../../physicalNames";

/**
 * The group's name: `/ha-topology/<stack segment>/<workload>`. The stack segment follows
 * the naming scheme of physicalNames.ts (the stack name, hashed when it could belong to
 * another project's stack), so two stacks in one account never share a group.
 */
export function logGroupName(workload: string, id: StackIdentity = currentStack()): string {
  return `/ha-topology/${stackSegment(id, cloudWatchLogGroupRule)}/${workload}`;
}

/** Creates the workload's log group. */
export function appLogGroup(workload: string, retentionDays: number, tags: Record<string, string>, opts: pulumi.CustomResourceOptions): aws.cloudwatch.LogGroup {
  return new aws.cloudwatch.LogGroup(`${workload}-logs`, {
    name: logGroupName(workload),
    retentionInDays: retentionDays,
    tags,
  }, { ...opts, retainOnDelete: true });
}
