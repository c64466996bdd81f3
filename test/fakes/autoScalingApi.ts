/**
 * A fake AWS Auto Scaling API on loopback, for the instance refresh and scale-up waits
 * (components/platforms/aws/refreshWait.ts): a node:http server on 127.0.0.1 that speaks
 * enough of the Query protocol (form-encoded POST, `Action=DescribeInstanceRefreshes` or
 * `DescribeAutoScalingGroups`, XML answers in the 2011-01-01 namespace, `<ErrorResponse>`
 * errors) for the real SDK client to talk to it, and behind it a simulated fleet that a refresh replaces the way
 * AWS's rolling strategy does: it launches replacements only while the fleet stays within
 * maxHealthyPercentage, terminates an old node only while the healthy in-service nodes
 * stay at or above minHealthyPercentage, pauses at checkpoints, and rolls back the same
 * way. Every DescribeInstanceRefreshes call is one step of the simulation, so a test
 * drives the refresh by polling, with no real waiting. Likewise each DescribeAutoScalingGroups
 * call is one step of a scale-up (FakeScalingGroup): new nodes go Pending, Pending:Wait (at
 * their readiness hook), then InService, or are abandoned (a failed scaling activity) and
 * replaced.
 *
 * The fake checks the floor itself: after every step it counts the healthy in-service
 * nodes and records each moment they were fewer than `floor` (the count the stack
 * configured), so a test can assert that capacity never dropped.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** How a simulated refresh goes. */
export type Scenario =
  /** Every new node gets healthy: Successful. */
  | "success"
  /** The rollback alarm fires at the first checkpoint: RollbackInProgress, then RollbackSuccessful. */
  | "alarm-rollback"
  /** New nodes never get healthy; no auto-rollback: Failed. */
  | "unhealthy"
  /** New nodes never get healthy, and the rollback cannot launch nodes either: RollbackFailed. */
  | "rollback-failed"
  /** Someone cancels the refresh after a few steps: Cancelling, then Cancelled. */
  | "cancelled"
  /** New nodes stay pending for ever (the refresh never ends). */
  | "stuck";

/** The fleet and the refresh to simulate. */
export interface FleetOptions {
  /** The group's desired capacity (its min size). */
  desired: number;
  /** The count the test asserts is never undercut (the stack's nodes.count). */
  floor: number;
  /** The refresh's MinHealthyPercentage, as the stack sets it: the healthy floor an old node's termination keeps. */
  minHealthyPercentage: number;
  /** The refresh's MaxHealthyPercentage: how many nodes (old and new) may run at once. */
  maxHealthyPercentage: number;
  /** The refresh's CheckpointPercentages; unset, no pause. */
  checkpointPercentages?: number[];
  /** Steps a checkpoint pauses (stands for checkpointDelay). */
  checkpointSteps?: number;
  /** Steps a new node takes from launch to healthy in service. */
  warmupSteps?: number;
  scenario: Scenario;
  /** True for the calls (1-based) the API answers with Throttling. */
  throttle?: (call: number) => boolean;
  /** An error the API answers instead, for some calls (1-based): e.g. 403 AccessDenied. */
  refuse?: (call: number) => { status: number; code: string; message: string } | undefined;
  /** From this call on, requests are held unanswered (a hanging connection). */
  holdFromCall?: number;
  /** Older refreshes of the group, newest first, answered after the simulated one. */
  history?: FakeRefresh[];
  /** The launch template version the simulated refresh rolls out (its DesiredConfiguration); unset, none is sent. */
  desiredVersion?: string;
  /** No refresh is running: the API answers only the history. */
  noRefresh?: boolean;
  /** The simulated refresh shows up only from this call on (the API lagging behind the start). */
  visibleFromCall?: number;
  /** A scale-up that DescribeAutoScalingGroups answers (each call one step); unset, the group is unknown (an empty answer). */
  scaleUp?: ScaleUpOptions;
}

/** A group whose minimum was just raised: nodes launch toward its desired capacity, some fail. */
export interface ScaleUpOptions {
  /** The group's minimum after the raise (the new count). */
  minSize: number;
  /** Its desired capacity (target tracking may hold it above the minimum); unset, the minimum. */
  desired?: number;
  /** Nodes InService and Healthy before the raise. */
  inService: number;
  /** Steps a new node spends Pending and then Pending:Wait (at its readiness hook) before InService. */
  warmupSteps?: number;
  /** True for the launches (1-based) whose node never gets ready: the hook abandons it (a failed scaling activity) and the group launches another. */
  failLaunch?: (launch: number) => boolean;
  /** True for the launches whose node gets InService but Unhealthy (its EC2 status check fails). */
  unhealthyLaunch?: (launch: number) => boolean;
}

/** One instance of the scaling-up group as DescribeAutoScalingGroups answers it. */
export interface FakeInstance {
  id: string;
  lifecycleState: "Pending" | "Pending:Wait" | "InService" | "Terminating" | "Terminated";
  healthStatus: "Healthy" | "Unhealthy";
  age: number;
  launch: number;
}

/** A scaling activity the fake records, as DescribeScalingActivities would list it. */
export interface FakeActivity {
  description: string;
  statusCode: "Successful" | "Failed";
  statusMessage?: string;
}

/** The simulated scale-up: the group's instances and its activities. */
export class FakeScalingGroup {
  readonly instances: FakeInstance[] = [];
  readonly activities: FakeActivity[] = [];
  /** DescribeAutoScalingGroups steps taken. */
  steps = 0;
  private launches = 0;

  constructor(readonly options: ScaleUpOptions) {
    for (let i = 0; i < options.inService; i++) this.instances.push({ id: this.nextId(), lifecycleState: "InService", healthStatus: "Healthy", age: 0, launch: 0 });
  }

  private nextId(): string {
    return `i-0a${this.instances.length.toString(16).padStart(15, "0")}`;
  }

  private live(): FakeInstance[] {
    return this.instances.filter((i) => i.lifecycleState !== "Terminated");
  }

  /** Instances InService and Healthy. */
  healthyInService(): number {
    return this.live().filter((i) => i.lifecycleState === "InService" && i.healthStatus === "Healthy").length;
  }

  /** One step: terminating nodes go, pending ones move on (or are abandoned), the group launches up to its desired capacity. */
  step(): void {
    this.steps++;
    const o = this.options;
    const warmup = o.warmupSteps ?? 2;
    for (const i of this.live()) {
      if (i.lifecycleState === "Terminating") {
        i.lifecycleState = "Terminated";
        continue;
      }
      if (i.lifecycleState === "InService") continue;
      i.age++;
      if (i.lifecycleState === "Pending") i.lifecycleState = "Pending:Wait";
      if (i.age < warmup) continue;
      if (o.failLaunch?.(i.launch)) {
        i.lifecycleState = "Terminating";
        this.activities.push({
          description: `Launching a new EC2 instance: ${i.id}`,
          statusCode: "Failed",
          statusMessage: `Instance failed to complete user's Lifecycle Action: Lifecycle Action with token 00000000-0000-4000-8000-00000000${i.launch.toString().padStart(4, "0")} was abandoned: Lifecycle Action Completed with ABANDON Result`,
        });
      } else {
        i.lifecycleState = "InService";
        if (o.unhealthyLaunch?.(i.launch)) i.healthStatus = "Unhealthy";
        this.activities.push({ description: `Launching a new EC2 instance: ${i.id}`, statusCode: "Successful" });
      }
    }
    const desired = o.desired ?? o.minSize;
    while (this.live().filter((i) => i.lifecycleState !== "Terminating").length < desired) {
      this.instances.push({ id: this.nextId(), lifecycleState: "Pending", healthStatus: "Healthy", age: 0, launch: ++this.launches });
    }
  }
}

/** A refresh as the fake answers it (the fields of the API's InstanceRefresh it sends). */
export interface FakeRefresh {
  /** InstanceRefreshId. */
  id: string;
  /** Status. */
  status: string;
  /** StatusReason. */
  statusReason?: string;
  /** StartTime. */
  startTime: Date;
  /** EndTime. */
  endTime?: Date;
  /** PercentageComplete. */
  percentageComplete: number;
  /** InstancesToUpdate. */
  instancesToUpdate: number;
  /** RollbackDetails.RollbackReason. */
  rollbackReason?: string;
  /** DesiredConfiguration.LaunchTemplate.Version (the provider sends it with autoRollback on). */
  desiredVersion?: string;
}

interface Node {
  id: string;
  version: "old" | "new";
  state: "Pending" | "InService" | "Terminated";
  healthy: boolean;
  age: number;
}

/** The simulated group: its nodes, its refresh, what the API was asked. */
export class FakeFleet {
  readonly nodes: Node[] = [];
  readonly refresh: FakeRefresh;
  /** DescribeInstanceRefreshes calls, throttled ones included. */
  calls = 0;
  /** Throttled calls. */
  throttled = 0;
  /** Each step at which fewer than `floor` nodes were healthy and in service (the step and the count). */
  readonly belowFloor: Array<{ step: number; healthy: number }> = [];
  /** The fewest healthy in-service nodes seen at any step. */
  fewestHealthy: number;
  /** The group names asked for (either call). */
  readonly groupsAsked: string[] = [];
  /** The actions called, in order. */
  readonly actions: string[] = [];
  /** The scale-up behind DescribeAutoScalingGroups, if any. */
  readonly scaleUp?: FakeScalingGroup;
  private steps = 0;
  private nextNode = 0;
  private checkpointLeft = 0;
  private passedCheckpoints = 0;
  private target: "old" | "new" = "new";

  constructor(readonly options: FleetOptions) {
    if (options.scaleUp) this.scaleUp = new FakeScalingGroup(options.scaleUp);
    for (let i = 0; i < options.desired; i++) this.launch("old", true);
    this.fewestHealthy = this.healthyInService();
    this.refresh = {
      id: "e1d1f2aa-0000-4000-8000-00000000refr",
      status: "Pending",
      startTime: new Date("2026-12-02T10:00:00Z"),
      percentageComplete: 0,
      instancesToUpdate: options.desired,
      ...(options.desiredVersion && { desiredVersion: options.desiredVersion }),
    };
  }

  private launch(version: "old" | "new", ready: boolean): void {
    this.nodes.push({ id: `i-${(this.nextNode++).toString(16).padStart(17, "0")}`, version, state: ready ? "InService" : "Pending", healthy: ready, age: 0 });
  }

  private live(): Node[] {
    return this.nodes.filter((n) => n.state !== "Terminated");
  }

  /** Healthy nodes in service (what the load balancer can send traffic to). */
  healthyInService(): number {
    return this.live().filter((n) => n.state === "InService" && n.healthy).length;
  }

  private replaced(): number {
    return this.live().filter((n) => n.version === this.target && n.state === "InService" && n.healthy).length;
  }

  /** One step of the refresh: nodes warm up, replacements launch, old nodes go, status moves on. */
  step(): void {
    this.steps++;
    const r = this.refresh;
    const o = this.options;
    if (["Successful", "Failed", "Cancelled", "RollbackSuccessful", "RollbackFailed"].includes(r.status)) return;
    if (r.status === "Pending") {
      r.status = "InProgress";
      return this.check();
    }
    const failing = o.scenario === "unhealthy" || o.scenario === "rollback-failed" || o.scenario === "stuck";
    // Warm-up: pending nodes of the target version get healthy, unless the scenario says they never do.
    for (const n of this.live().filter((x) => x.state === "Pending")) {
      n.age++;
      const neverHealthy = this.target === "new" ? failing : o.scenario === "rollback-failed";
      if (!neverHealthy && n.age >= (o.warmupSteps ?? 2)) {
        n.state = "InService";
        n.healthy = true;
      }
    }
    if (o.scenario === "cancelled" && this.steps >= 4 && r.status === "InProgress") {
      r.status = "Cancelling";
      r.statusReason = "Cancelled by the user";
      return this.check();
    }
    if (r.status === "Cancelling") {
      for (const n of this.live().filter((x) => x.state === "Pending")) n.state = "Terminated";
      r.status = "Cancelled";
      r.endTime = new Date();
      return this.check();
    }
    if ((o.scenario === "unhealthy" || o.scenario === "rollback-failed") && this.steps >= 6 && this.target === "new") {
      r.statusReason = "Instance refresh failed: 2 new instances failed their health checks (ELB: Instance has failed at least the UnhealthyThreshold number of health checks consecutively)";
      if (o.scenario === "unhealthy") {
        for (const n of this.live().filter((x) => x.state === "Pending")) n.state = "Terminated";
        r.status = "Failed";
        r.endTime = new Date();
        return this.check();
      }
      this.startRollback("new instances failed their health checks");
      return this.check();
    }
    if (o.scenario === "rollback-failed" && this.target === "old") {
      r.status = "RollbackFailed";
      r.statusReason = "Rollback failed: the previous launch template version could not launch instances (InsufficientInstanceCapacity)";
      r.endTime = new Date();
      return this.check();
    }

    // At a checkpoint: pause, then go on (or, with the alarm firing, roll back).
    const checkpoints = this.target === "new" ? (o.checkpointPercentages ?? [100]) : [100];
    if (this.checkpointLeft > 0) {
      this.checkpointLeft--;
      if (o.scenario === "alarm-rollback" && this.target === "new") {
        this.startRollback("CloudWatch alarm web-app-5xx is in ALARM state");
      } else {
        if (this.checkpointLeft === 0) {
          r.statusReason = undefined;
          if (this.passedCheckpoints >= checkpoints.length) this.finish();
        }
        return this.check();
      }
    }
    this.replace();
    this.check();
  }

  /** One step of replacing nodes toward the target version, up to the next checkpoint. */
  private replace(): void {
    const o = this.options;
    const r = this.refresh;
    const checkpoints = this.target === "new" ? (o.checkpointPercentages ?? [100]) : [100];
    const goalPercent = checkpoints[Math.min(this.passedCheckpoints, checkpoints.length - 1)];
    const goal = Math.ceil((goalPercent * o.desired) / 100);
    const floor = Math.ceil((o.minHealthyPercentage * o.desired) / 100);
    const ceiling = Math.floor((o.maxHealthyPercentage * o.desired) / 100);
    const oldInService = () => this.live().filter((n) => n.version !== this.target && n.state === "InService");
    // The old nodes this phase replaces: all but those the later phases replace.
    const oldToGo = () => oldInService().length - (o.desired - goal);
    // An old node goes only while the healthy nodes in service stay at the floor.
    while (oldToGo() > 0 && this.healthyInService() - 1 >= floor) oldInService()[0].state = "Terminated";
    // Replacements launch up to the goal, within the ceiling.
    while (this.live().filter((n) => n.version === this.target).length < goal && this.live().length < ceiling) this.launch(this.target, false);
    this.progress();
    if (this.replaced() >= goal && oldToGo() <= 0) {
      this.passedCheckpoints++;
      if (this.target === "new" && o.checkpointPercentages) {
        this.checkpointLeft = o.checkpointSteps ?? 2;
        r.statusReason = `Waiting at checkpoint ${this.passedCheckpoints} (${goalPercent}%)`;
      } else if (this.passedCheckpoints >= checkpoints.length) {
        this.finish();
      }
    }
  }

  private startRollback(reason: string): void {
    const r = this.refresh;
    r.status = "RollbackInProgress";
    r.statusReason = `Rolling back: ${reason}`;
    r.rollbackReason = reason;
    this.target = "old";
    this.passedCheckpoints = 0;
    this.checkpointLeft = 0;
    // Replacements still pending are abandoned at once: they never served.
    for (const n of this.live().filter((x) => x.state === "Pending" && x.version === "new")) n.state = "Terminated";
  }

  private progress(): void {
    const r = this.refresh;
    const toGo = this.live().filter((n) => n.version !== this.target && n.state === "InService").length + Math.max(0, this.options.desired - this.live().length);
    r.instancesToUpdate = Math.min(this.options.desired, toGo);
    r.percentageComplete = Math.round((100 * (this.options.desired - r.instancesToUpdate)) / this.options.desired);
  }

  private finish(): void {
    const r = this.refresh;
    this.progress();
    r.status = this.target === "new" ? "Successful" : "RollbackSuccessful";
    r.endTime = new Date();
    if (this.target === "new") r.statusReason = undefined;
  }

  private check(): void {
    const healthy = this.healthyInService();
    this.fewestHealthy = Math.min(this.fewestHealthy, healthy);
    if (healthy < this.options.floor) this.belowFloor.push({ step: this.steps, healthy });
  }

  /** The refreshes the API answers, newest first. */
  answer(): FakeRefresh[] {
    const visible = !this.options.noRefresh && this.calls >= (this.options.visibleFromCall ?? 1);
    return [...(visible ? [this.refresh] : []), ...(this.options.history ?? [])];
  }
}

const namespace = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function refreshXml(r: FakeRefresh, groupName: string): string {
  const field = (name: string, value: string | number | undefined) => (value === undefined ? "" : `<${name}>${escapeXml(String(value))}</${name}>`);
  return (
    "<member>" +
    field("InstanceRefreshId", r.id) +
    field("AutoScalingGroupName", groupName) +
    field("Status", r.status) +
    field("StatusReason", r.statusReason) +
    field("StartTime", r.startTime.toISOString()) +
    field("EndTime", r.endTime?.toISOString()) +
    field("PercentageComplete", r.percentageComplete) +
    field("InstancesToUpdate", r.instancesToUpdate) +
    (r.desiredVersion ? `<DesiredConfiguration><LaunchTemplate><LaunchTemplateId>lt-0123456789abcdef0</LaunchTemplateId>${field("Version", r.desiredVersion)}</LaunchTemplate></DesiredConfiguration>` : "") +
    (r.rollbackReason ? `<RollbackDetails>${field("RollbackReason", r.rollbackReason)}</RollbackDetails>` : "") +
    "</member>"
  );
}

function groupXml(g: FakeScalingGroup, groupName: string): string {
  const desired = g.options.desired ?? g.options.minSize;
  const instances = g.instances
    .filter((i) => i.lifecycleState !== "Terminated")
    .map(
      (i) =>
        `<member><InstanceId>${i.id}</InstanceId><InstanceType>t3.small</InstanceType><AvailabilityZone>us-east-1a</AvailabilityZone>` +
        `<LifecycleState>${i.lifecycleState}</LifecycleState><HealthStatus>${i.healthStatus}</HealthStatus>` +
        "<LaunchTemplate><LaunchTemplateId>lt-0123456789abcdef0</LaunchTemplateId><LaunchTemplateName>web-api-node</LaunchTemplateName><Version>7</Version></LaunchTemplate>" +
        "<ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>",
    )
    .join("");
  return (
    `<member><AutoScalingGroupName>${escapeXml(groupName)}</AutoScalingGroupName>` +
    `<AutoScalingGroupARN>arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:00000000-0000-4000-8000-000000000000:autoScalingGroupName/${escapeXml(groupName)}</AutoScalingGroupARN>` +
    `<MinSize>${g.options.minSize}</MinSize><MaxSize>${Math.max(desired, g.options.minSize) * 3}</MaxSize><DesiredCapacity>${desired}</DesiredCapacity>` +
    "<DefaultCooldown>300</DefaultCooldown><AvailabilityZones><member>us-east-1a</member><member>us-east-1b</member></AvailabilityZones>" +
    "<HealthCheckType>EC2</HealthCheckType><HealthCheckGracePeriod>180</HealthCheckGracePeriod><CreatedTime>2026-12-01T09:00:00.000Z</CreatedTime>" +
    `<Instances>${instances}</Instances></member>`
  );
}

function errorXml(type: "Sender" | "Receiver", code: string, message: string): string {
  return `<ErrorResponse xmlns="${namespace}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>`;
}

/** A running fake API: its endpoint, the fleet behind it, and how to stop it. */
export interface FakeAutoScalingApi {
  /** `http://127.0.0.1:<port>`, for the SDK client's `endpoint`. */
  endpoint: string;
  fleet: FakeFleet;
  close(): Promise<void>;
}

/** Starts the fake API on a free loopback port. */
export async function startFakeAutoScaling(options: FleetOptions): Promise<FakeAutoScalingApi> {
  const fleet = new FakeFleet(options);
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
      const send = (status: number, body: string) => {
        res.writeHead(status, { "content-type": "text/xml", "x-amzn-requestid": "00000000-0000-4000-8000-000000000000" });
        res.end(body);
      };
      if (req.method !== "POST" || form.get("Version") !== "2011-01-01") {
        return send(400, errorXml("Sender", "InvalidAction", "The fake answers POSTed Query requests of version 2011-01-01 only"));
      }
      const action = form.get("Action") ?? "";
      if (action !== "DescribeInstanceRefreshes" && action !== "DescribeAutoScalingGroups") {
        return send(400, errorXml("Sender", "InvalidAction", `The fake does not know ${action}`));
      }
      const groupName = (action === "DescribeAutoScalingGroups" ? form.get("AutoScalingGroupNames.member.1") : form.get("AutoScalingGroupName")) ?? "";
      fleet.calls++;
      fleet.actions.push(action);
      fleet.groupsAsked.push(groupName);
      if (options.holdFromCall !== undefined && fleet.calls >= options.holdFromCall) {
        held.push(res);
        return;
      }
      const refusal = options.refuse?.(fleet.calls);
      if (refusal) return send(refusal.status, errorXml(refusal.status >= 500 ? "Receiver" : "Sender", refusal.code, refusal.message));
      if (options.throttle?.(fleet.calls)) {
        fleet.throttled++;
        return send(400, errorXml("Sender", "Throttling", "Rate exceeded"));
      }
      if (action === "DescribeAutoScalingGroups") {
        fleet.scaleUp?.step();
        const members = fleet.scaleUp ? groupXml(fleet.scaleUp, groupName) : "";
        return send(200, `<DescribeAutoScalingGroupsResponse xmlns="${namespace}"><DescribeAutoScalingGroupsResult><AutoScalingGroups>${members}</AutoScalingGroups></DescribeAutoScalingGroupsResult><ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ResponseMetadata></DescribeAutoScalingGroupsResponse>`);
      }
      if (fleet.calls >= (options.visibleFromCall ?? 1) && !options.noRefresh) fleet.step();
      const members = fleet.answer().map((r) => refreshXml(r, groupName)).join("");
      send(200, `<DescribeInstanceRefreshesResponse xmlns="${namespace}"><DescribeInstanceRefreshesResult><InstanceRefreshes>${members}</InstanceRefreshes></DescribeInstanceRefreshesResult><ResponseMetadata><RequestId>00000000-0000-4000-8000-000000000000</RequestId></ResponseMetadata></DescribeInstanceRefreshesResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    fleet,
    close: () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
