/**
 * The wait for an autoscaling group's instance refresh (issue 19): the AWS provider starts
 * an instance refresh when the group's pinned launch template version changes, and its
 * update returns as soon as the refresh has STARTED. This dynamic resource, one per node
 * group and depending on the group, makes `pulumi up` return only when the refresh has
 * ENDED: it polls DescribeInstanceRefreshes (AWS SDK v3, the same credential chain as the
 * provider) and fails the update with the refresh's own status reason when it fails, is
 * cancelled or rolls back.
 *
 * Which refresh. The resource records the newest refresh it has seen (`refreshId`,
 * `refreshStartTime`); an update waits for the newest refresh that is not that one and
 * started no earlier (DescribeInstanceRefreshes answers newest first) and, when the answer
 * names the template version it rolls out (the provider sends a DesiredConfiguration when
 * autoRollback is on, hashicorp/terraform-provider-aws#31715), rolls out the version the
 * group is now pinned to. It finds it in a few polls even when the API lags behind the start.
 * When the version changed but no new refresh shows up, there is nothing to wait for. A
 * failed update leaves the recorded refresh as it was, so the next `pulumi up` reports the
 * same failed refresh again until a newer one (a fix, or a manual restart) succeeds: the
 * stack never says "done" while the nodes do not run the version it records. A create
 * (new group, or this resource added to an existing stack) waits only for a refresh that
 * is still running: an ended one cannot be told apart from older history.
 *
 * Scale-ups. Raising a group's `count` raises its minimum size, and the provider's update
 * returns at once: its `minElbCapacity` counts only on creation, and `waitForElbCapacity`
 * waits for EXACTLY that many healthy targets, which never comes while target tracking
 * holds the group above its minimum. So the same resource also takes the group's `count`:
 * when an update raises it, the wait polls DescribeAutoScalingGroups until at least that
 * many instances are InService and Healthy (`waitForCapacity`). The workload groups check
 * EC2 health and hold each new node at a launch lifecycle hook that the node completes only
 * once its app is ready (web: its readiness check; worker: its watchdog saw it live), so
 * InService already means "ready"; no ELB target health is read (that needs the ELBv2 SDK,
 * which the program does not carry). The single service's group (health check type ELB, no
 * hook) is weaker: there a new node is Healthy until the load balancer fails it after the
 * grace period, so the wait means "launched and not failing". A lower or unchanged count
 * is no change at all: the count the previous `pulumi up` declared comes from the old
 * inputs in `check` (the engine records each run's inputs even when nothing changed, while
 * the outputs stay those of the last update), so a lowering that caused no update still
 * counts as the floor next time. A failed scale-up keeps the old state, so the next
 * `pulumi up` waits for it again. Stacks from before this record no count: their first
 * `pulumi up` records it and waits for nothing.
 *
 * Progress. `pulumi.log` does not reach the engine from a dynamic provider in
 * @pulumi/pulumi 3.248: the provider host (cmd/dynamic-provider) never connects to the
 * engine address it is given (pulumi/pulumi#6065), so `pulumi.log.info(…, ephemeral)` falls
 * back to console.log, and the engine shows a dynamic provider's stdout as plain info
 * diagnostics (pulumi/pulumi#18253), not ephemeral status. So the wait prints one line per
 * change of the refresh's progress (`instance refresh <id>: 50% (2 to go)`), not one per
 * poll, straight to stdout: those lines show during `pulumi up` and stay in its output.
 *
 * Cancellation. The provider host answers the engine's Cancel RPC without telling the
 * provider (cmd/dynamic-provider `cancel()` is empty), so a first Ctrl-C lets the wait go
 * on like any in-flight step. The engine stops its plugins with SIGINT (then SIGKILL after
 * 5 s); on SIGINT or SIGTERM the wait stops at once (also mid-request) and fails with a
 * message saying the refresh goes on. It does NOT cancel the refresh: the refresh keeps
 * 100 % of the nodes healthy and rolls itself back on the app-5xx alarm, while a cancelled
 * one leaves a mix of versions with no rollback; stopping Pulumi is not a decision about
 * the rollout. The message says how to cancel or roll back by hand.
 *
 * The poll loop, the cancellation, the progress output and the count-grows rule are the
 * cloud-neutral ones of ../dynamicWait.ts (the GCP scale-up wait shares them).
 *
 * Throttling. The SDK retries throttled and 5xx answers itself (standard mode); when it
 * gives up, the wait backs off (doubling, up to a minute) and goes on until its timeout.
 * Other errors (access denied, no such group) fail at once.
 *
 * The provider runs in the dynamic provider host, loaded from ha-topology's providers bundle
 * (../../shippedDynamicResource.ts). The SDK is required lazily inside the real client, so
 * neither the program, the mocks nor the offline plan ever load it.
 */
import type { AutoScalingClient, AutoScalingClientConfig, AutoScalingGroup, InstanceRefresh } from "@aws-sdk/client-auto-scaling";
import * as pulumi from "@pulumi/pulumi";
import { errorText, pollUntil, raisesCount, realWorld, waitError, withCancellation, withPreviousCount, type WaitWorld } from "../dynamicWait";
import { ShippedDynamicResource } from "../../shippedDynamicResource";

/** Statuses after which a refresh changes no node any more. */
const endedStatuses = ["Successful", "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"];
/** How many polls an update waits for a new refresh to show up before it concludes none was started. */
const settlePolls = 3;

/** What the wait reads of one instance refresh (the SDK's InstanceRefresh, normalized). */
export interface RefreshView {
  /** The refresh's id. */
  id: string;
  /** Pending, InProgress, Baking, Cancelling, RollbackInProgress, or an ended status. */
  status: string;
  /** AWS's explanation of the status, when it gives one. */
  statusReason?: string;
  /** Why it rolled back, when it did. */
  rollbackReason?: string;
  /** When it started, in milliseconds since the epoch. */
  startTime?: number;
  /** Percentage of the instances replaced. */
  percentageComplete?: number;
  /** Instances still to replace. */
  instancesToUpdate?: number;
  /** The launch template version it rolls out (DesiredConfiguration), when it names one. */
  desiredVersion?: string;
}

/** The SDK's answer as the wait reads it. */
export function viewOf(r: InstanceRefresh): RefreshView {
  return {
    id: r.InstanceRefreshId ?? "(no id)",
    status: r.Status ?? "Pending",
    ...(r.StatusReason && { statusReason: r.StatusReason }),
    ...(r.RollbackDetails?.RollbackReason && { rollbackReason: r.RollbackDetails.RollbackReason }),
    ...(r.StartTime && { startTime: r.StartTime.getTime() }),
    ...(r.PercentageComplete !== undefined && { percentageComplete: r.PercentageComplete }),
    ...(r.InstancesToUpdate !== undefined && { instancesToUpdate: r.InstancesToUpdate }),
    ...(r.DesiredConfiguration?.LaunchTemplate?.Version && { desiredVersion: r.DesiredConfiguration.LaunchTemplate.Version }),
  };
}

/** True when the refresh will not change any node any more. */
export function hasEnded(status: string): boolean {
  return endedStatuses.includes(status);
}

/** Lists a group's refreshes, newest first (the SDK call; tests point it at a fake API). */
export type DescribeRefreshes = (groupName: string, region: string, signal: AbortSignal) => Promise<InstanceRefresh[]>;

/** Reads one autoscaling group, or undefined when it does not exist (the SDK call; tests point it at a fake API). */
export type DescribeGroup = (groupName: string, region: string, signal: AbortSignal) => Promise<AutoScalingGroup | undefined>;

/** What the wait needs from the outside world; injectable so tests need no AWS and no real time. */
export interface RefreshDeps extends WaitWorld {
  /** Lists the group's refreshes. */
  describe: DescribeRefreshes;
  /** Reads the group (its instances) for a scale-up. */
  describeGroup: DescribeGroup;
}

/** The SDK and one client per region, loaded on the first call and shared by both calls. */
export type SdkClients = (region: string) => { sdk: typeof import("@aws-sdk/client-auto-scaling"); client: AutoScalingClient };

/**
 * The SDK's Auto Scaling clients, one per region, the SDK loaded only on the first call.
 * `config` is for tests (a fake endpoint, fake credentials); otherwise the SDK's default
 * chain (environment, `AWS_PROFILE`, SSO, instance role) or the `aws:profile` the stack uses.
 */
export function sdkClients(config: Partial<AutoScalingClientConfig> = {}, profile?: string): SdkClients {
  const clients = new Map<string, AutoScalingClient>();
  return (region) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require("@aws-sdk/client-auto-scaling") as typeof import("@aws-sdk/client-auto-scaling");
    let client = clients.get(region);
    if (!client) {
      client = new sdk.AutoScalingClient({ region, ...(profile && { profile }), ...config });
      clients.set(region, client);
    }
    return { sdk, client };
  };
}

/** The DescribeInstanceRefreshes call through the SDK (see `sdkClients` for `config` and `profile`). */
export function sdkDescribe(config: Partial<AutoScalingClientConfig> = {}, profile?: string, clients: SdkClients = sdkClients(config, profile)): DescribeRefreshes {
  return async (groupName, region, signal) => {
    const { sdk, client } = clients(region);
    const answer = await client.send(new sdk.DescribeInstanceRefreshesCommand({ AutoScalingGroupName: groupName, MaxRecords: 10 }), { abortSignal: signal });
    return answer.InstanceRefreshes ?? [];
  };
}

/** The DescribeAutoScalingGroups call for one group through the SDK (see `sdkClients`). */
export function sdkDescribeGroup(config: Partial<AutoScalingClientConfig> = {}, profile?: string, clients: SdkClients = sdkClients(config, profile)): DescribeGroup {
  return async (groupName, region, signal) => {
    const { sdk, client } = clients(region);
    const answer = await client.send(new sdk.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }), { abortSignal: signal });
    return (answer.AutoScalingGroups ?? []).find((g) => g.AutoScalingGroupName === groupName);
  };
}

/**
 * The real world: the SDK, the system clock, setTimeout, stdout, the process's signals.
 * A function rather than a module constant: each wait uses the globals of the moment.
 */
export function defaultDeps(profile?: string): RefreshDeps {
  const clients = sdkClients({}, profile);
  return {
    ...realWorld(),
    describe: sdkDescribe({}, profile, clients),
    describeGroup: sdkDescribeGroup({}, profile, clients),
  };
}

/** The refresh the resource last saw; a later wait looks only at newer ones. */
export interface SeenRefresh {
  /** Its id. */
  refreshId?: string;
  /** When it started (ISO 8601). */
  refreshStartTime?: string;
}

/** What one wait is about. */
export interface WaitOptions {
  /** The autoscaling group's name. */
  groupName: string;
  /** The group's region. */
  region: string;
  /** The launch template version the stack records (for the messages). */
  launchTemplateVersion: string;
  /** The longest the wait lasts. */
  timeoutSeconds: number;
  /** The pause between polls (tests: anything; the clock is theirs). */
  pollSeconds?: number;
  /**
   * Unset (create): wait only for a refresh still running. Set (update): wait for the
   * newest refresh that is newer than this one, and look for it for a few polls.
   */
  after?: SeenRefresh;
}

/** What a wait found. */
export interface WaitResult {
  /** The refresh it waited for, or (nothing to wait for) the newest one, if any. */
  refresh?: RefreshView;
  /** True when it waited for a refresh that ended Successful. */
  waited: boolean;
  /** DescribeInstanceRefreshes calls made. */
  polls: number;
}

/** The name of the errors a wait throws. */
export const refreshWaitErrorName = "RefreshWaitError";

/**
 * The error of a wait that stopped (ended refresh, timeout, cancellation, API refusal);
 * its message is what the user reads, its name what tests and callers match
 * (../dynamicWait.ts waitError).
 */
export function refreshWaitError(message: string): Error {
  return waitError(refreshWaitErrorName, message);
}

/** The shell command that shows a group's refreshes. */
export function watchCommand(groupName: string, region: string): string {
  return `aws autoscaling describe-instance-refreshes --auto-scaling-group-name ${groupName} --region ${region}`;
}

/** One progress line: `instance refresh <id>: <PercentageComplete>% (<InstancesToUpdate> to go)`, plus the status when it is not plain progress. */
export function progressLine(r: RefreshView): string {
  const share = r.percentageComplete !== undefined ? `${r.percentageComplete}%` : "0%";
  const left = r.instancesToUpdate !== undefined ? ` (${r.instancesToUpdate} to go)` : "";
  const status = r.status === "InProgress" ? "" : `, ${r.status}`;
  return `instance refresh ${r.id}: ${share}${left}${status}${r.statusReason ? `: ${r.statusReason}` : ""}`;
}

/** The error for a refresh that ended other than Successful: its reason, its id, the state of the nodes, what to do. */
export function endedError(r: RefreshView, o: WaitOptions): Error {
  const which = `Instance refresh ${r.id} of autoscaling group ${o.groupName} (launch template version ${o.launchTemplateVersion})`;
  const reason = r.rollbackReason ?? r.statusReason ?? "AWS gave no reason";
  const watch = `See its details with \`${watchCommand(o.groupName, o.region)} --instance-refresh-ids ${r.id}\` and the group's activities with \`aws autoscaling describe-scaling-activities --auto-scaling-group-name ${o.groupName} --region ${o.region}\`.`;
  const retry =
    "Fix the cause and run `pulumi up` again (a change to the nodes makes a new template version, which starts a new refresh); " +
    `to retry this version as it is, start a refresh yourself: \`aws autoscaling start-instance-refresh --auto-scaling-group-name ${o.groupName} --region ${o.region} ` +
    `--preferences '{"MinHealthyPercentage":100,"MaxHealthyPercentage":200,"SkipMatching":true}'\`, then run \`pulumi up\`.`;
  switch (r.status) {
    case "RollbackSuccessful":
      return refreshWaitError(
        `${which} rolled back: ${reason}. The rollback returns the nodes to the group's configuration from before the refresh; ` +
          "the AWS provider pins the group to the new version before it starts the refresh (hashicorp/terraform-provider-aws#34189), " +
          `so that may be the new version again: check which version the nodes run with \`aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names ${o.groupName} --region ${o.region} --query "AutoScalingGroups[0].Instances[].[InstanceId,LaunchTemplate.Version,HealthStatus]"\`. ${retry} ${watch}`,
      );
    case "RollbackFailed":
      return refreshWaitError(`${which} failed and its rollback failed too: ${reason}. The group may run a mix of both versions; it kept its healthy nodes. ${watch} ${retry}`);
    case "Cancelled":
      return refreshWaitError(`${which} was cancelled${r.statusReason ? `: ${r.statusReason}` : ""} at ${r.percentageComplete ?? 0}%. The nodes it replaced run the new version, the others the previous one. ${retry} (SkipMatching leaves the replaced nodes alone.) ${watch}`);
    default:
      return refreshWaitError(`${which} failed: ${reason}. The nodes it replaced (${r.percentageComplete ?? 0}%) run the new version, the others the previous one. ${retry} ${watch}`);
  }
}

/** True for an SDK error worth another poll: throttling, a server error, a network failure. */
export function isTransient(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const err = e as { name?: string; code?: string; $fault?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (["Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "TimeoutError", "RequestTimeout"].includes(err.name ?? "")) return true;
  if (err.$retryable !== undefined || err.$fault === "server") return true;
  const status = err.$metadata?.httpStatusCode;
  if (status === 429 || (status !== undefined && status >= 500)) return true;
  return ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN"].includes(err.code ?? "");
}

/** True when `r` is newer than the refresh recorded last time and, if it names one, rolls out `version`. */
function isNewer(r: RefreshView, after: SeenRefresh, version: string): boolean {
  if (r.desiredVersion !== undefined && r.desiredVersion !== version) return false;
  if (!after.refreshId) return true;
  if (r.id === after.refreshId) return false;
  const since = after.refreshStartTime ? Date.parse(after.refreshStartTime) : NaN;
  return Number.isNaN(since) || r.startTime === undefined || r.startTime >= since;
}

/**
 * Waits for the group's instance refresh to end. Returns when it ended Successful (or
 * there is none to wait for); throws an error (named RefreshWaitError) with the refresh's status reason
 * when it failed, was cancelled or rolled back, when `timeoutSeconds` passed (the refresh
 * goes on), when the cancellation signal aborted, or when the API refused the call.
 */
export async function waitForRefresh(o: WaitOptions, deps: RefreshDeps, signal: AbortSignal): Promise<WaitResult> {
  // An update looks for the new refresh a few polls (the API may lag behind its start).
  let lookFor = o.after ? settlePolls : 0;
  let current: RefreshView | undefined;
  let lastLine = "";
  return pollUntil<InstanceRefresh[], WaitResult>(
    {
      timeoutSeconds: o.timeoutSeconds,
      ...(o.pollSeconds !== undefined && { pollSeconds: o.pollSeconds }),
      read: (s) => deps.describe(o.groupName, o.region, s),
      transient: isTransient,
      judge: (list, polls) => {
        const views = list.map(viewOf);
        const newest = views[0];
        // Once found, the same refresh is followed to its end (by id: a newer one would mean
        // it was cancelled, which it then says itself).
        const followed = current ? views.find((r) => r.id === current!.id) : undefined;
        const found = followed ?? (!current && newest && (o.after ? isNewer(newest, o.after, o.launchTemplateVersion) : !hasEnded(newest.status)) ? newest : undefined);
        if (!found) {
          if (current) throw refreshWaitError(`Instance refresh ${current.id} of autoscaling group ${o.groupName} no longer shows in DescribeInstanceRefreshes. Check the group: \`${watchCommand(o.groupName, o.region)}\`.`);
          if (lookFor <= 0) return { ...(newest && { refresh: newest }), waited: false, polls };
          lookFor--;
          return undefined;
        }
        current = found;
        const line = progressLine(found);
        if (line !== lastLine) deps.log(line);
        lastLine = line;
        if (found.status === "Successful") return { refresh: found, waited: true, polls };
        if (hasEnded(found.status)) throw endedError(found, o);
        return undefined;
      },
      refused: (e) =>
        refreshWaitError(
          `Could not read the instance refreshes of autoscaling group ${o.groupName} in ${o.region}: ${errorText(e)}. ` +
            "The credentials `pulumi up` runs with need autoscaling:DescribeInstanceRefreshes. " +
            `The refresh, if one started, goes on in AWS: \`${watchCommand(o.groupName, o.region)}\`.`,
        ),
      stopped: (why) =>
        refreshWaitError(
          `Stopped waiting for ${current ? `instance refresh ${current.id} (${current.percentageComplete ?? 0}%, ${current.status})` : "the instance refresh"} of autoscaling group ${o.groupName}: ${why}. ` +
            "The refresh goes on in AWS (it keeps every node healthy and rolls back by itself when the rollback alarm fires). " +
            `Watch it: \`${watchCommand(o.groupName, o.region)}\`; stop it with \`aws autoscaling cancel-instance-refresh\` or undo it with \`aws autoscaling rollback-instance-refresh\` (same arguments). ` +
            "The next `pulumi up` waits for it again, or reports how it ended.",
        ),
      timedOut: `still running after ${o.timeoutSeconds} s (the wait's limit)`,
    },
    deps,
    signal,
  );
}

/** What a scale-up wait reads of the group. */
export interface CapacityView {
  /** Instances InService and Healthy: the nodes that count. */
  inService: number;
  /** The group's minimum size, as AWS has it. */
  minSize?: number;
  /** The group's desired capacity, as AWS has it. */
  desired?: number;
  /** The other instances, by lifecycle state (an InService but Unhealthy one as `InService/Unhealthy`). */
  others: Record<string, number>;
}

/** The SDK's group as the scale-up wait reads it. */
export function capacityOf(g: AutoScalingGroup): CapacityView {
  const others: Record<string, number> = {};
  let inService = 0;
  for (const i of g.Instances ?? []) {
    if (i.LifecycleState === "InService" && i.HealthStatus === "Healthy") inService++;
    else {
      const key = i.LifecycleState === "InService" ? `InService/${i.HealthStatus ?? "unknown health"}` : (i.LifecycleState ?? "unknown");
      others[key] = (others[key] ?? 0) + 1;
    }
  }
  return { inService, ...(g.MinSize !== undefined && { minSize: g.MinSize }), ...(g.DesiredCapacity !== undefined && { desired: g.DesiredCapacity }), others };
}

/** What a scale-up wait is about. */
export interface CapacityOptions {
  /** The autoscaling group's name. */
  groupName: string;
  /** The group's region. */
  region: string;
  /** How many nodes must be InService and Healthy: the raised `count`. */
  count: number;
  /** The count before (for the messages). */
  previousCount: number;
  /** The longest the wait lasts. */
  timeoutSeconds: number;
  /** The pause between polls. */
  pollSeconds?: number;
}

/** What a scale-up wait found. */
export interface CapacityResult {
  /** The group when the wait ended. */
  group: CapacityView;
  /** DescribeAutoScalingGroups calls made. */
  polls: number;
}

/** The shell commands that show a group's instances and its scaling activities (why launches fail). */
export function groupCommands(groupName: string, region: string): string {
  return (
    `\`aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names ${groupName} --region ${region}\` (its instances) and ` +
    `\`aws autoscaling describe-scaling-activities --auto-scaling-group-name ${groupName} --region ${region}\` (its launches, and why they failed)`
  );
}

/** One scale-up progress line: `<group>: 3 of 4 nodes in service`. */
export function capacityLine(groupName: string, view: CapacityView, count: number): string {
  return `${groupName}: ${view.inService} of ${count} nodes in service`;
}

/**
 * Waits until the group has at least `count` instances InService and Healthy (more is fine:
 * target tracking may already hold it above its new minimum). Throws a RefreshWaitError when
 * `timeoutSeconds` passed (the group goes on launching), when the signal aborted, when the
 * group is gone, or when the API refused the call; throttling is ridden out like the
 * refresh wait's.
 */
export async function waitForCapacity(o: CapacityOptions, deps: RefreshDeps, signal: AbortSignal): Promise<CapacityResult> {
  let last: CapacityView | undefined;
  let lastLine = "";
  const state = () => {
    if (!last) return "";
    const others = Object.entries(last.others).map(([state, n]) => `${n} ${state}`);
    return ` (${last.inService} of ${o.count} InService and Healthy${others.length > 0 ? `; the others: ${others.join(", ")}` : ""})`;
  };
  return pollUntil<AutoScalingGroup | undefined, CapacityResult>(
    {
      timeoutSeconds: o.timeoutSeconds,
      ...(o.pollSeconds !== undefined && { pollSeconds: o.pollSeconds }),
      read: (s) => deps.describeGroup(o.groupName, o.region, s),
      transient: isTransient,
      judge: (group, polls) => {
        if (!group) throw refreshWaitError(`Autoscaling group ${o.groupName} does not show in DescribeAutoScalingGroups in ${o.region}, so its scale-up to ${o.count} nodes cannot be waited for. Check it: \`aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names ${o.groupName} --region ${o.region}\`.`);
        last = capacityOf(group);
        const line = capacityLine(o.groupName, last, o.count);
        if (line !== lastLine) deps.log(line);
        lastLine = line;
        return last.inService >= o.count ? { group: last, polls } : undefined;
      },
      refused: (e) =>
        refreshWaitError(
          `Could not read autoscaling group ${o.groupName} in ${o.region}: ${errorText(e)}. ` +
            "The credentials `pulumi up` runs with need autoscaling:DescribeAutoScalingGroups. " +
            `The group goes on launching nodes toward its new minimum of ${o.count}: see ${groupCommands(o.groupName, o.region)}.`,
        ),
      stopped: (why) =>
        refreshWaitError(
          `Stopped waiting for autoscaling group ${o.groupName} to scale up from ${o.previousCount} to ${o.count} nodes in service${state()}: ${why}. ` +
            `Its minimum is ${o.count} already, so it goes on launching nodes (a node that is not ready within its readiness timeout is terminated and replaced). ` +
            `See ${groupCommands(o.groupName, o.region)}. ` +
            "The next `pulumi up` waits for the scale-up again; lowering `count` back ends it.",
        ),
      timedOut: `not enough nodes after ${o.timeoutSeconds} s (the wait's limit)`,
    },
    deps,
    signal,
  );
}

/** The resource's inputs. */
export interface RefreshWaitInputs {
  /** The autoscaling group's name. */
  groupName: string;
  /** The group's region (from its ARN). */
  region: string;
  /** The launch template version the group is pinned to: a new one starts a refresh. */
  launchTemplateVersion: string;
  /** The longest a wait lasts. */
  timeoutSeconds: number;
  /** The group's minimum size (the nodes' `count`): raising it is a scale-up to wait for. Unset in stacks from before scale-ups were waited for. */
  count?: number;
  /** The longest a scale-up wait lasts. */
  scaleUpTimeoutSeconds?: number;
  /** The `count` the previous `pulumi up` declared (filled in by `check` from the old inputs; unset on creation). */
  previousCount?: number;
  /** The `aws:profile` the stack's provider uses, if any. */
  profile?: string;
}

/** The resource's state: its inputs and the refresh it saw last. */
export type RefreshWaitState = RefreshWaitInputs & SeenRefresh;

/** The scale-up fallback limit for a stack that sets none: the group's own creation wait (waitForCapacityTimeout 15m). */
const defaultScaleUpTimeoutSeconds = 900;

/** What the last wait saw, as state. */
function seen(result: WaitResult): SeenRefresh {
  const r = result.refresh;
  if (!r) return {};
  return { refreshId: r.id, ...(r.startTime !== undefined && { refreshStartTime: new Date(r.startTime).toISOString() }) };
}

/** The provider's methods the engine calls. */
export type RefreshWaitProvider = Required<Pick<pulumi.dynamic.ResourceProvider<RefreshWaitInputs, RefreshWaitState>, "check" | "diff" | "create" | "update" | "delete">>;

/** The provider; `injected` replaces the real world in tests. */
export function refreshWaitProvider(injected?: RefreshDeps): RefreshWaitProvider {
  return {
    async check(olds, news) {
      return { inputs: withPreviousCount(olds, news) };
    },
    async diff(_id, olds, news) {
      // A new template version starts a refresh, a raised count launches nodes; another
      // group is a new wait. A lower or unchanged count, or another timeout, is no change.
      const replaces = olds.groupName !== news.groupName || olds.region !== news.region ? ["groupName"] : [];
      return { changes: replaces.length > 0 || olds.launchTemplateVersion !== news.launchTemplateVersion || raisesCount(news), replaces, deleteBeforeReplace: false };
    },
    async create(inputs) {
      // A new group's own creation waits for its nodes (minElbCapacity, waitForCapacityTimeout).
      const deps = injected ?? defaultDeps(inputs.profile);
      const result = await withCancellation(deps, (signal) => waitForRefresh({ ...inputs }, deps, signal));
      return { id: `refresh-wait-${inputs.groupName}`, outs: { ...inputs, ...seen(result) } };
    },
    async update(_id, olds, news) {
      const deps = injected ?? defaultDeps(news.profile);
      let recorded: SeenRefresh = { refreshId: olds.refreshId, refreshStartTime: olds.refreshStartTime };
      // The refresh first (its new nodes also fill a raised minimum), then the count.
      if (olds.launchTemplateVersion !== news.launchTemplateVersion) {
        const result = await withCancellation(deps, (signal) => waitForRefresh({ ...news, after: recorded }, deps, signal));
        // The newest refresh seen (waited for or not) is what the next update must look past;
        // with none at all, the one recorded before stays.
        if (result.refresh) recorded = seen(result);
      }
      if (raisesCount(news)) {
        const scaleUp: CapacityOptions = { groupName: news.groupName, region: news.region, count: news.count!, previousCount: news.previousCount!, timeoutSeconds: news.scaleUpTimeoutSeconds ?? defaultScaleUpTimeoutSeconds };
        await withCancellation(deps, (signal) => waitForCapacity(scaleUp, deps, signal));
      }
      return { outs: { ...news, ...recorded } };
    },
    async delete() {
      // Nothing to undo: waiting changed nothing in AWS.
    },
  };
}

/** Arguments of RefreshWait. */
export interface RefreshWaitArgs {
  /** The autoscaling group's name. */
  groupName: pulumi.Input<string>;
  /** The group's region. */
  region: pulumi.Input<string>;
  /** The launch template version the group is pinned to. */
  launchTemplateVersion: pulumi.Input<string>;
  /** The longest a wait lasts. */
  timeoutSeconds: number;
  /** The group's minimum size (the nodes' `count`). */
  count: number;
  /** The longest a scale-up wait lasts. */
  scaleUpTimeoutSeconds: number;
  /** The `aws:profile` of the stack's provider, if any. */
  profile?: string;
}

/**
 * Waits, on every `pulumi up` that changes the group's template version, for the instance
 * refresh that change started, and on every one that raises the group's count, for that
 * many nodes in service.
 */
export class RefreshWait extends ShippedDynamicResource {
  /** The last refresh the wait saw. */
  declare readonly refreshId: pulumi.Output<string | undefined>;

  constructor(name: string, args: RefreshWaitArgs, opts?: pulumi.CustomResourceOptions) {
    super("RefreshWait", name, {
      groupName: args.groupName,
      region: args.region,
      launchTemplateVersion: args.launchTemplateVersion,
      timeoutSeconds: args.timeoutSeconds,
      count: args.count,
      scaleUpTimeoutSeconds: args.scaleUpTimeoutSeconds,
      ...(args.profile && { profile: args.profile }),
      refreshId: undefined,
      refreshStartTime: undefined,
    }, opts);
  }
}
