/**
 * The cloud-neutral model the node rules share: which groups of nodes a stack runs, how
 * few nodes each may shrink to, and which load balancers send them traffic. Each cloud
 * has its own way to say "these nodes are behind that load balancer"; this file is the
 * one place that knows them all.
 */
import type { PolicyResource } from "@pulumi/policy";
import {
  digitaloceanLeaseTag,
  digitaloceanRoleTag,
  gcpLeaseLabel,
  gcpRoleLabel,
  internalAnnotation,
  isLease,
  isRole,
  kubernetesLeaseKey,
  kubernetesRoleKey,
  leases,
  leaseTag,
  roles,
  roleTag,
  type Lease,
  type Role,
} from "./contract/roles";
import { at, bool, list, num, obj, objects, str, worldCidrs } from "./props";
import { aws, digitalocean, gcp, kubernetes } from "./resourceTypes";
import { isUnknownValueError, push, StackView, unique, type Types } from "./stackView";

/** What kind of node group a group is. */
export type NodeGroupKind =
  | "aws-autoscaling-group"
  | "aws-instances"
  | "aws-standalone-instance"
  | "aws-ecs-service"
  | "gcp-regional-mig"
  | "gcp-zonal-mig"
  | "gcp-instance-groups"
  | "gcp-standalone-instance"
  | "digitalocean-droplets"
  | "kubernetes-deployment";

/** A set of identical nodes that serve (or should serve) behind a load balancer. */
export interface NodeGroup {
  /** Which cloud construct this is. */
  kind: NodeGroupKind;
  /** The resource that defines the group; violations are reported against it. */
  resource: PolicyResource;
  /** The fewest nodes the group can run with, undefined when not known (preview). */
  minNodes: number | undefined;
  /** Where `minNodes` comes from, for messages ("minSize", "autoscaler minReplicas"). */
  countedFrom: string;
  /** The load balancers that send the group traffic (empty: nothing in front of it). */
  loadBalancers: PolicyResource[];
  /** The individual nodes, where the group is a set of standalone machines. */
  members: PolicyResource[];
  /** The role the group is tagged with (contract/roles.ts), undefined when untagged. */
  role?: Role | undefined;
  /** The zones the nodes run in, where the model reads them off the group (unmanaged GCP groups). */
  zones?: (string | undefined)[];
  /**
   * Kubernetes: the in-cluster Services (ClusterIP, NodePort, headless) that select the
   * pods. A Deployment they serve is an internal component: other pods reach it through
   * the Service, so it needs no load balancer, only enough replicas.
   */
  internalServices?: PolicyResource[];
}

const groupsOfView = new WeakMap<StackView, NodeGroup[]>();

/**
 * Every compute group in the stack, on all four clouds, whatever its role (computed once
 * per view: several rules ask).
 */
export function allNodeGroups(view: StackView): NodeGroup[] {
  let groups = groupsOfView.get(view);
  if (!groups) {
    groups = [...awsGroups(view), ...gcpGroups(view), ...digitaloceanGroups(view), ...kubernetesGroups(view)];
    for (const group of groups) group.role ??= roleOfGroup(view, group);
    groupsOfView.set(view, groups);
  }
  return groups;
}

/**
 * The groups that serve clients: untagged ones (judged by what they are connected to) and
 * those tagged `web`. The serving rules (load balancer, health checks, autohealing,
 * rollouts) judge these.
 */
export function nodeGroups(view: StackView): NodeGroup[] {
  return allNodeGroups(view).filter((g) => g.role === undefined || g.role === "web");
}

/**
 * The groups judged by node count and zone spread: every group but `cron` ones (a
 * scheduled job must run once, not on two nodes; see jobs-single-flight).
 */
export function countedGroups(view: StackView): NodeGroup[] {
  return allNodeGroups(view).filter((g) => g.role !== "cron");
}

/** True when a group must have a load balancer in front of it (untagged or `web`). */
export function needsLoadBalancer(group: NodeGroup): boolean {
  return group.role === undefined || group.role === "web";
}

// ---- Roles -----------------------------------------------------------------------

/** The role of one resource (instance, template, droplet, Deployment), from its cloud's spelling of the contract. */
export function roleOf(r: PolicyResource): Role | undefined {
  const extra = bool(obj(r.props, "metadata.annotations")[internalAnnotation]) === true ? ["internal"] : [];
  return [...contractValues(r, { aws: roleTag, gcp: gcpRoleLabel, digitalocean: roles.map((role) => [digitaloceanRoleTag(role), role]), kubernetes: kubernetesRoleKey }), ...extra].find(isRole);
}

/** The lease a resource declares its scheduled jobs take (contract/roles.ts `leaseTag`), in its cloud's spelling. */
export function leaseOf(r: PolicyResource): Lease | undefined {
  return contractValues(r, { aws: leaseTag, gcp: gcpLeaseLabel, digitalocean: leases.map((lease) => [digitaloceanLeaseTag(lease), lease]), kubernetes: kubernetesLeaseKey }).find(isLease);
}

/** The keys of one contract entry, per cloud (DigitalOcean: each joined tag and the value it means). */
interface ContractKeys {
  aws: string;
  gcp: string;
  digitalocean: [tag: string, value: string][];
  kubernetes: string;
}

/** Every value a resource gives a contract key, wherever its cloud puts it. */
function contractValues(r: PolicyResource, keys: ContractKeys): unknown[] {
  const props = r.props;
  // AWS: a tag map (instances), a tag list (Auto Scaling groups), launch template tagSpecifications.
  const awsTags = [
    obj(props, "tags")[keys.aws],
    ...objects(props, "tags").filter((t) => t.key === keys.aws).map((t) => t.value),
    ...objects(props, "tagSpecifications").filter((t) => (str(t.resourceType) ?? "instance") === "instance").map((t) => obj(t, "tags")[keys.aws]),
  ];
  // GCP: labels (instances, templates) and a MIG's allInstancesConfig.
  const gcpLabels = [obj(props, "labels")[keys.gcp], obj(props, "allInstancesConfig.labels")[keys.gcp]];
  // DigitalOcean: a droplet (or pool template) tag "ha-topology:role:<role>".
  const doTags = [...list(props, "tags"), ...list(props, "dropletTemplate.tags")].map(String);
  const fromDoTags = keys.digitalocean.filter(([tag]) => doTags.includes(tag)).map(([, value]) => value);
  // Kubernetes: a label or annotation on the object or its pod template.
  const k8s = ["metadata.labels", "metadata.annotations", "spec.template.metadata.labels", "spec.template.metadata.annotations"].map((path) => obj(props, path)[keys.kubernetes]);
  return [...awsTags, ...gcpLabels, ...fromDoTags, ...k8s];
}

/** The value all of `resources` share, or undefined when one of them has none (or they differ). */
function shared<T>(resources: readonly PolicyResource[], read: (r: PolicyResource) => T | undefined): T | undefined {
  const found = resources.map(read);
  return found.length > 0 && found.every((r) => r !== undefined && r === found[0]) ? found[0] : undefined;
}

/** A contract value of a group: on the group resource itself, its template(s), or every one of its members. */
function ofGroup<T>(view: StackView, group: NodeGroup, read: (r: PolicyResource) => T | undefined): T | undefined {
  const r = group.resource;
  switch (group.kind) {
    case "aws-autoscaling-group":
      return read(r) ?? shared([...view.refs(r, "launchTemplate", aws.launchTemplate), ...view.refs(r, "mixedInstancesPolicy", aws.launchTemplate)], read);
    case "gcp-regional-mig":
    case "gcp-zonal-mig":
      return read(r) ?? shared([...view.refs(r, "versions", gcp.instanceTemplate), ...view.refs(r, "instanceTemplate", gcp.instanceTemplate)], read);
    default:
      return r.type === kubernetes.deployment || group.members.length === 0 ? read(r) : shared(group.members, read);
  }
}

/** A group's role (contract/roles.ts). */
function roleOfGroup(view: StackView, group: NodeGroup): Role | undefined {
  return ofGroup(view, group, roleOf);
}

/**
 * The lease a group declares its scheduled jobs take (contract/roles.ts `leaseTag`): on the
 * group, its template(s), or every member; for DigitalOcean droplets grouped by role, on every
 * droplet and pool of the group.
 */
export function leaseOfGroup(view: StackView, group: NodeGroup): Lease | undefined {
  if (group.kind === "digitalocean-droplets" && group.role !== undefined) {
    const pools = poolsWithRole(view, group.role);
    const tagged = unique([...group.members, ...pools]);
    if (tagged.length > 0) return shared(tagged, leaseOf);
  }
  return ofGroup(view, group, leaseOf);
}

/**
 * The load balancers that forward traffic to backends (redirect-only front ends, such as
 * GCP's port-80 forwarding rule, are not counted).
 */
export function servingLoadBalancers(view: StackView): PolicyResource[] {
  return [
    ...view.ofType(aws.loadBalancer).filter((lb) => awsForwards(view, lb)),
    ...view.ofType(aws.classicLoadBalancer),
    ...view.ofType(gcp.forwardingRule).filter((rule) => gcpBackendServices(view, rule).length > 0),
    ...view.ofType(digitalocean.loadBalancer),
    ...view.ofType(kubernetes.ingress),
    ...view.ofType(kubernetes.service).filter((s) => str(s.props, "spec.type") === "LoadBalancer"),
  ];
}

// ---- AWS -------------------------------------------------------------------------

/** The listeners of an AWS load balancer. */
export function awsListeners(view: StackView, lb: PolicyResource): PolicyResource[] {
  return view.referrers(lb, aws.listener, "loadBalancerArn");
}

function awsForwards(view: StackView, lb: PolicyResource): boolean {
  return awsListeners(view, lb).some(
    (l) => objects(l.props.defaultActions).some((a) => a.type === "forward") || view.referrers(l, aws.listenerRule, "listenerArn").length > 0,
  );
}

/** The load balancers whose listeners (or listener rules) forward to a target group. */
function awsLoadBalancersOf(view: StackView, targetGroup: PolicyResource): PolicyResource[] {
  const listeners = [
    ...view.referrers(targetGroup, aws.listener, "defaultActions"),
    ...view.referrers(targetGroup, aws.listenerRule, "actions").flatMap((rule) => view.refs(rule, "listenerArn", aws.listener)),
  ];
  return unique(listeners.flatMap((l) => view.refs(l, "loadBalancerArn", aws.loadBalancer)));
}

/** An ingress permission of a security group, normalised over its three shapes (inline, VPC rule, EC2 rule). */
export interface AwsIngress {
  /** What the permission belongs to (the group for inline rules, else the rule resource). */
  owner: PolicyResource;
  /** True when the sources include the whole internet. */
  world: boolean;
  /** The lowest and highest port it admits (0-65535 for "all traffic"). */
  from: number;
  to: number;
}

const isWorldSource = (sources: unknown[]) => sources.some((s) => worldCidrs.includes(String(s)));

function portRange(from: unknown, to: unknown, protocol: unknown): [number, number] {
  if (["-1", "all"].includes(String(protocol))) return [0, 65535];
  return [num(from) ?? 0, num(to) ?? 65535];
}

/** Every ingress permission of a security group. */
export function awsIngress(view: StackView, sg: PolicyResource): AwsIngress[] {
  const inline = objects(sg.props.ingress).map((r) => ({
    owner: sg,
    world: isWorldSource([...list(r.cidrBlocks), ...list(r.ipv6CidrBlocks)]),
    range: portRange(r.fromPort, r.toPort, r.protocol),
  }));
  const vpcRules = view.referrers(sg, aws.ingressRule, "securityGroupId").map((r) => ({
    owner: r,
    world: isWorldSource([r.props.cidrIpv4, r.props.cidrIpv6]),
    range: portRange(r.props.fromPort, r.props.toPort, r.props.ipProtocol),
  }));
  const ec2Rules = view
    .referrers(sg, aws.securityGroupRule, "securityGroupId")
    .filter((r) => str(r.props.type) === "ingress")
    .map((r) => ({
      owner: r,
      world: isWorldSource([...list(r.props.cidrBlocks), ...list(r.props.ipv6CidrBlocks)]),
      range: portRange(r.props.fromPort, r.props.toPort, r.props.protocol),
    }));
  return [...inline, ...vpcRules, ...ec2Rules].map(({ owner, world, range: [from, to] }) => ({ owner, world, from, to }));
}

/** The ports only operators use (SSH, RDP): a machine open on these alone is a bastion, not a serving node. */
export const adminPorts: readonly number[] = [22, 3389];

/** True when a port range admits something other than SSH/RDP. */
export function admitsAppPort(from: number, to: number): boolean {
  for (let port = from; port <= to; port++) if (!adminPorts.includes(port)) return true;
  return false;
}

/** The security groups an EC2 instance runs with. */
export function awsInstanceSecurityGroups(view: StackView, instance: PolicyResource): PolicyResource[] {
  return unique(["vpcSecurityGroupIds", "securityGroups"].flatMap((p) => view.refs(instance, p, aws.securityGroup)));
}

/**
 * True when a standalone EC2 instance serves something: its security groups admit a port
 * other than SSH/RDP (from anywhere, the VPC included), it forwards traffic (sourceDestCheck
 * off: a NAT or VPN instance), or it names no security group at all (the VPC's default group
 * admits every port from its members) or one this stack does not define. A bastion (SSH or RDP
 * only, or no ingress at all, reached through Session Manager) is not a node.
 */
function awsInstanceServes(view: StackView, instance: PolicyResource): boolean {
  if (instance.props.sourceDestCheck === false) return true;
  const named = ["vpcSecurityGroupIds", "securityGroups"].flatMap((p) => list(instance.props[p]));
  const groups = awsInstanceSecurityGroups(view, instance);
  if (groups.length === 0 || groups.length < named.length) return true;
  return groups.some((sg) => awsIngress(view, sg).some((i) => admitsAppPort(i.from, i.to)));
}

/** The ECS service name a scaling target's resourceId ("service/<cluster>/<name>") names, as index keys. */
const scaledServiceName = (target: PolicyResource): string[] => {
  const match = /^service\/[^/]+\/([^/]+)$/.exec(str(target.props.resourceId) ?? "");
  return match ? [match[1]] : [];
};

/** The Application Auto Scaling target that scales an ECS service's desired count, if any. */
function ecsScalingTarget(view: StackView, service: PolicyResource): PolicyResource | undefined {
  const name = str(service.props.name);
  // Candidates: the targets whose resourceId refers to the service or names it; then the test itself.
  const candidates = view.inStackOrder([
    ...view.referrers(service, aws.appAutoscalingTarget, "resourceId"),
    ...(name === undefined ? [] : view.filedUnder(aws.appAutoscalingTarget, scaledServiceName, [name])),
  ]);
  return candidates.find((t) => {
    if ((str(t.props.scalableDimension) ?? "ecs:service:DesiredCount") !== "ecs:service:DesiredCount") return false;
    if (view.refersTo(t, "resourceId", service)) return true;
    return name !== undefined && scaledServiceName(t).includes(name);
  });
}

/**
 * True when an Auto Scaling group provides the EC2 capacity of an ECS cluster: an ECS capacity
 * provider names it, or its launch template or configuration registers the instances with a
 * cluster (ECS_CLUSTER in the user data). Its instances run tasks; the tasks, not the
 * instances, are registered with the load balancer.
 */
export function isEcsCapacity(view: StackView, asg: PolicyResource): boolean {
  if (view.referrers(asg, aws.ecsCapacityProvider, "autoScalingGroupProvider").length > 0) return true;
  const launchers = [
    ...view.refs(asg, "launchTemplate", aws.launchTemplate),
    ...view.refs(asg, "mixedInstancesPolicy", aws.launchTemplate),
    ...view.refs(asg, "launchConfiguration", aws.launchConfiguration),
  ];
  return launchers.some((l) => {
    const text = str(l.props.userData) ?? str(l.props.userDataBase64) ?? "";
    const decoded = /^[A-Za-z0-9+/=\s]+$/.test(text) ? Buffer.from(text, "base64").toString("utf8") : "";
    return /ECS_CLUSTER/.test(text) || /ECS_CLUSTER/.test(decoded);
  });
}

function awsEcsServices(view: StackView): NodeGroup[] {
  return view.ofType(aws.ecsService).map((service) => {
    const targetGroups = view.refs(service, "loadBalancers", aws.targetGroup);
    const classic = view.refs(service, "loadBalancers", aws.classicLoadBalancer);
    const target = ecsScalingTarget(view, service);
    const daemon = str(service.props.schedulingStrategy) === "DAEMON";
    return {
      kind: "aws-ecs-service",
      resource: service,
      // A replica service without desiredCount runs none (the provider's default is 0); a daemon runs one task per container instance.
      minNodes: daemon ? undefined : target ? num(target.props.minCapacity) : (num(service.props.desiredCount) ?? 0),
      countedFrom: daemon ? "one task per container instance" : target ? `Application Auto Scaling minCapacity of ${target.name}` : "desiredCount",
      loadBalancers: unique([...targetGroups.flatMap((tg) => awsLoadBalancersOf(view, tg)), ...classic]),
      members: [],
    };
  });
}

function awsGroups(view: StackView): NodeGroup[] {
  const services = awsEcsServices(view);
  const serviceLoadBalancers = unique(services.flatMap((s) => s.loadBalancers));
  const groups: NodeGroup[] = view.ofType(aws.autoscalingGroup).map((asg) => {
    const attachments = view.referrers(asg, aws.autoscalingAttachment, "autoscalingGroupName");
    const trafficSources = view.referrers(asg, aws.trafficSourceAttachment, "autoscalingGroupName");
    const targetGroups = unique([
      ...view.refs(asg, "targetGroupArns", aws.targetGroup),
      ...attachments.flatMap((a) => view.refs(a, "lbTargetGroupArn", aws.targetGroup)),
      ...trafficSources.flatMap((a) => view.refs(a, "trafficSource", aws.targetGroup)),
    ]);
    const classic = [...view.refs(asg, "loadBalancers", aws.classicLoadBalancer), ...attachments.flatMap((a) => view.refs(a, "elb", aws.classicLoadBalancer))];
    const own = unique([...targetGroups.flatMap((tg) => awsLoadBalancersOf(view, tg)), ...classic]);
    return {
      kind: "aws-autoscaling-group",
      resource: asg,
      minNodes: num(asg.props.minSize),
      countedFrom: "minSize",
      // ECS capacity: the load balancers reach its instances through the services' tasks.
      loadBalancers: own.length === 0 && isEcsCapacity(view, asg) ? serviceLoadBalancers : own,
      members: [],
    };
  });
  groups.push(...services);
  // Standalone instances registered in a target group: the target group is the "group".
  const registered = new Set<PolicyResource>();
  for (const tg of view.ofType(aws.targetGroup)) {
    const instances = unique(
      view.referrers(tg, aws.targetGroupAttachment, "targetGroupArn").flatMap((a) => view.refs(a, "targetId", aws.instance)),
    );
    if (instances.length === 0) continue;
    instances.forEach((i) => registered.add(i));
    groups.push({ kind: "aws-instances", resource: tg, minNodes: instances.length, countedFrom: "registered instances", loadBalancers: awsLoadBalancersOf(view, tg), members: instances });
  }
  // An instance that serves on its own (no target group, no Auto Scaling group) is a group of one.
  for (const instance of view.ofType(aws.instance).filter((i) => !registered.has(i) && awsInstanceServes(view, i))) {
    groups.push({ kind: "aws-standalone-instance", resource: instance, minNodes: 1, countedFrom: "a single instance", loadBalancers: [], members: [instance] });
  }
  return groups;
}

// ---- GCP -------------------------------------------------------------------------

/** The backend services a forwarding rule reaches (through proxy and URL map, or directly). */
export function gcpBackendServices(view: StackView, rule: PolicyResource): PolicyResource[] {
  const direct = view.refs(rule, "backendService", gcp.backendService);
  const proxies = view.refs(rule, "target", [gcp.httpsProxy, gcp.httpProxy]);
  const urlMaps = proxies.flatMap((p) => view.refs(p, "urlMap", gcp.urlMap));
  const viaMaps = urlMaps.flatMap((m) =>
    ["defaultService", "pathMatchers", "hostRules"].flatMap((prop) => view.refs(m, prop, gcp.backendService)),
  );
  return unique([...direct, ...viaMaps]);
}

/** The networks (stack resources) a GCE instance's interfaces are on, and whether one is on a network the stack does not define. */
function gcpInstanceNetworks(view: StackView, instance: PolicyResource): { networks: PolicyResource[]; outside: boolean } {
  const networks: PolicyResource[] = [];
  let outside = false;
  for (const nic of objects(instance.props.networkInterfaces)) {
    const named = [...list(nic.network), ...list(nic.subnetwork)].map(String);
    const keys = named.flatMap(identifierLookupKeys);
    const direct = view.filedUnder(gcp.network, gcpIdentifiers, keys).filter((n) => named.some((v) => identifiersMatch(n, v)));
    const viaSubnets = view
      .filedUnder(gcp.subnetwork, gcpIdentifiers, keys)
      .filter((sn) => named.some((v) => identifiersMatch(sn, v)))
      .flatMap((sn) => view.refs(sn, "network", gcp.network));
    const found = unique([...direct, ...viaSubnets]);
    if (found.length === 0) outside = true;
    networks.push(...found);
  }
  if (objects(instance.props.networkInterfaces).length === 0) outside = true;
  // Interfaces whose values are not known yet (preview): fall back on the property's dependencies.
  const deps = [...view.refs(instance, "networkInterfaces", gcp.network), ...view.refs(instance, "networkInterfaces", gcp.subnetwork).flatMap((sn) => view.refs(sn, "network", gcp.network))];
  return { networks: unique([...networks, ...deps]), outside: outside && deps.length === 0 };
}

/** The identifiers by which a GCP resource is named (URN, id, self link, name). */
function gcpIdentifiers(r: PolicyResource): string[] {
  return [r.urn, str(r.props.id), str(r.props.selfLink), str(r.props.name)].filter((id): id is string => id !== undefined);
}

function identifiersMatch(r: PolicyResource, value: string): boolean {
  return gcpIdentifiers(r).some((id) => id === value || value.endsWith(`/${id}`));
}

/** The identifiers `identifiersMatch` could find in a value: the value itself and every part after a slash. */
function identifierLookupKeys(value: string): string[] {
  const keys = [value];
  for (let i = value.indexOf("/"); i >= 0; i = value.indexOf("/", i + 1)) keys.push(value.slice(i + 1));
  return keys;
}

/** The ingress candidates per network: the firewalls on each network of the stack, and those that name none. */
function gcpFirewallsByNetwork(view: StackView): { byNetwork: Map<PolicyResource, PolicyResource[]>; networkless: PolicyResource[] } {
  const byNetwork = new Map<PolicyResource, PolicyResource[]>();
  const networkless: PolicyResource[] = [];
  for (const fw of view.ofType(gcp.firewall)) {
    const networks = view.refs(fw, "network", gcp.network);
    if (networks.length === 0) networkless.push(fw);
    for (const network of networks) push(byNetwork, network, fw);
  }
  return { byNetwork, networkless };
}

/** The GCP firewalls (ingress, enabled) that apply to a GCE instance: same network, and its tags or no target tags. */
export function gcpFirewallsOf(view: StackView, instance: PolicyResource): PolicyResource[] {
  const { networks, outside } = gcpInstanceNetworks(view, instance);
  const tags = list(instance.props.tags).map(String);
  // Candidates: the firewalls on the instance's networks (and those on none, when it is outside the stack's); then the test itself.
  const { byNetwork, networkless } = view.derived(gcpFirewallsByNetwork);
  const candidates = view.inStackOrder([...networks.flatMap((n) => byNetwork.get(n) ?? []), ...(outside ? networkless : [])]);
  return candidates.filter((fw) => {
    if ((str(fw.props.direction) ?? "INGRESS") !== "INGRESS" || fw.props.disabled === true) return false;
    const fwNetworks = view.refs(fw, "network", gcp.network);
    const sameNetwork = fwNetworks.length > 0 ? fwNetworks.some((n) => networks.includes(n)) : outside;
    const targetTags = list(fw.props.targetTags).map(String);
    return sameNetwork && (targetTags.length === 0 || targetTags.some((t) => tags.includes(t)));
  });
}

/** The port ranges a GCP firewall allows over TCP/UDP ("all" or no ports: every port). */
export function gcpAllowedRanges(fw: PolicyResource): [number, number][] {
  return objects(fw.props.allows)
    .filter((a) => ["tcp", "udp", "all", "sctp"].includes(str(a.protocol) ?? ""))
    .flatMap((a): [number, number][] => {
      const ports = list(a.ports).map(String);
      if (ports.length === 0 || str(a.protocol) === "all") return [[0, 65535]];
      return ports.map((p): [number, number] => {
        const [lo, hi = lo] = p.split("-").map(Number);
        return [lo, hi];
      });
    });
}

/**
 * True when a standalone GCE instance serves something: it forwards traffic (canIpForward: a
 * router or NAT appliance), a firewall on its network admits a port other than SSH/RDP, or it is
 * on a network the stack does not define (the default network admits every port internally).
 * A bastion reached on SSH only is not a node.
 */
function gcpInstanceServes(view: StackView, instance: PolicyResource): boolean {
  if (instance.props.canIpForward === true) return true;
  if (gcpInstanceNetworks(view, instance).outside) return true;
  return gcpFirewallsOf(view, instance).some((fw) => gcpAllowedRanges(fw).some(([lo, hi]) => admitsAppPort(lo, hi)));
}

/** Standalone GCE instances that serve: each is a group of one (instances in an unmanaged instance group are that group's). */
function gcpStandaloneInstances(view: StackView): NodeGroup[] {
  return view
    .ofType(gcp.instance)
    .filter((i) => view.referrers(i, gcp.instanceGroup, "instances").length === 0 && gcpInstanceServes(view, i))
    .map((instance) => ({ kind: "gcp-standalone-instance", resource: instance, minNodes: 1, countedFrom: "a single instance", loadBalancers: [], members: [instance] }));
}

function gcpGroups(view: StackView): NodeGroup[] {
  return [...gcpManagedGroups(view), ...gcpStandaloneInstances(view)];
}

/** Per backend service, the forwarding rules that reach it, in stack order (one pass over the rules per view). */
function gcpRulesByBackendService(view: StackView): Map<PolicyResource, PolicyResource[]> {
  const index = new Map<PolicyResource, PolicyResource[]>();
  for (const rule of view.ofType(gcp.forwardingRule)) {
    for (const backendService of gcpBackendServices(view, rule)) push(index, backendService, rule);
  }
  return index;
}

function gcpManagedGroups(view: StackView): NodeGroup[] {
  const rulesOf = view.derived(gcpRulesByBackendService);
  const migs: [PolicyResource, NodeGroupKind][] = [
    ...view.ofType(gcp.regionalGroupManager).map((m): [PolicyResource, NodeGroupKind] => [m, "gcp-regional-mig"]),
    ...view.ofType(gcp.zonalGroupManager).map((m): [PolicyResource, NodeGroupKind] => [m, "gcp-zonal-mig"]),
  ];
  const migGroups = migs.map(([mig, kind]): NodeGroup => {
    const backendServices = view.referrers(mig, gcp.backendService, "backends");
    const autoscaler = view.referrers(mig, [gcp.regionalAutoscaler, gcp.zonalAutoscaler], "target")[0];
    const fromAutoscaler = autoscaler ? num(autoscaler.props, "autoscalingPolicy.minReplicas") : undefined;
    return {
      kind,
      resource: mig,
      minNodes: autoscaler ? fromAutoscaler : num(mig.props.targetSize),
      countedFrom: autoscaler ? "autoscaler minReplicas" : "targetSize",
      loadBalancers: view.inStackOrder(backendServices.flatMap((bs) => rulesOf.get(bs) ?? [])),
      members: [],
    };
  });
  return [...migGroups, ...gcpUnmanagedGroups(view)];
}

/**
 * Unmanaged instance groups (`InstanceGroup` with a list of `instances`) used as backends:
 * the groups behind one backend service are one node group (one unmanaged group per zone is
 * the usual pattern), reported on the backend service; its nodes are the listed instances.
 * Nothing recreates a failed instance of an unmanaged group.
 */
function gcpUnmanagedGroups(view: StackView): NodeGroup[] {
  const rulesOf = view.derived(gcpRulesByBackendService);
  const groups: NodeGroup[] = [];
  for (const backendService of view.ofType(gcp.backendService)) {
    const unmanaged = view.refs(backendService, "backends", gcp.instanceGroup);
    if (unmanaged.length === 0) continue;
    const members = unique(unmanaged.flatMap((g) => view.refs(g, "instances", gcp.instance)));
    // Instances listed by self link from outside the stack still count as nodes.
    const listed = unmanaged.map((g) => {
      const instances = known(() => g.props.instances);
      return instances === unknown ? undefined : Math.max(list(instances).length, view.refs(g, "instances", gcp.instance).length);
    });
    groups.push({
      kind: "gcp-instance-groups",
      resource: backendService,
      minNodes: listed.includes(undefined) ? undefined : Math.max(members.length, listed.reduce<number>((a, b) => a + (b ?? 0), 0)),
      countedFrom: "instances of its unmanaged instance groups",
      loadBalancers: [...(rulesOf.get(backendService) ?? [])],
      members,
      zones: unmanaged.map((g) => {
        const zone = known(() => g.props.zone);
        return zone === unknown ? undefined : str(zone);
      }),
    });
  }
  return groups;
}

const unknown = Symbol("unknown");

/** A property's value, or `unknown` while it is not known (preview: the SDK's props proxy throws on it). */
function known(read: () => unknown): unknown {
  try {
    return read();
  } catch (e) {
    if (isUnknownValueError(e)) return unknown;
    throw e;
  }
}

// ---- DigitalOcean ----------------------------------------------------------------

const dropletTags = (droplet: PolicyResource) => list(droplet.props.tags).map(String);
const poolTemplateTags = (pool: PolicyResource) => list(pool.props, "dropletTemplate.tags").map(String);
const roleKeys = (r: PolicyResource): string[] => {
  const role = roleOf(r);
  return role === undefined ? [] : [role];
};

/** The autoscale pools whose droplet template carries `tag`, in stack order. */
export function poolsTagged(view: StackView, tag: string): PolicyResource[] {
  return view.filedUnder(digitalocean.autoscalePool, poolTemplateTags, [tag]).filter((p) => list(p.props, "dropletTemplate.tags").includes(tag));
}

/** The autoscale pools tagged with `role` (contract/roles.ts), in stack order. */
export function poolsWithRole(view: StackView, role: Role): PolicyResource[] {
  return view.filedUnder(digitalocean.autoscalePool, roleKeys, [role]).filter((p) => roleOf(p) === role);
}

function digitaloceanGroups(view: StackView): NodeGroup[] {
  const droplets = view.ofType(digitalocean.droplet);
  const pools = view.ofType(digitalocean.autoscalePool);
  const served = new Set<PolicyResource>();
  const groups: NodeGroup[] = [];
  for (const lb of view.ofType(digitalocean.loadBalancer)) {
    const tag = str(lb.props.dropletTag);
    // Candidates from the indexes (what the load balancer names, droplets with its tag), then the test itself.
    const candidates = view.inStackOrder([...view.refs(lb, "dropletIds", digitalocean.droplet), ...(tag === undefined ? [] : view.filedUnder(digitalocean.droplet, dropletTags, [tag]))]);
    const members = candidates.filter((d) => view.refersTo(lb, "dropletIds", d) || (tag !== undefined && list(d.props.tags).includes(tag)));
    const lbPools = tag === undefined ? [] : poolsTagged(view, tag);
    // A load balancer that reaches nothing is not a group: min-nodes reports it as an empty load balancer.
    if (members.length + lbPools.length === 0) continue;
    [...members, ...lbPools].forEach((r) => served.add(r));
    const poolMinimum = lbPools.map((p) => num(p.props, "config.minInstances") ?? num(p.props, "config.targetNumberInstances"));
    const minNodes = poolMinimum.includes(undefined) ? undefined : members.length + poolMinimum.reduce<number>((a, b) => a + (b ?? 0), 0);
    groups.push({ kind: "digitalocean-droplets", resource: lb, minNodes, countedFrom: "droplets behind it", loadBalancers: [lb], members });
  }
  const orphans = [...droplets, ...pools].filter((r) => !served.has(r));
  // Droplets no load balancer reaches but tagged with the same role (worker, cron, internal)
  // are one group: they are counted together (a pool counts its minimum).
  for (const role of roles.filter((r) => r !== "web")) {
    const tagged = orphans.filter((r) => roleOf(r) === role);
    if (tagged.length === 0) continue;
    tagged.forEach((r) => served.add(r));
    const members = tagged.filter((r) => r.type === digitalocean.droplet);
    const poolMinimum = tagged.filter((r) => r.type !== digitalocean.droplet).map((p) => num(p.props, "config.minInstances") ?? num(p.props, "config.targetNumberInstances"));
    const minNodes = poolMinimum.includes(undefined) ? undefined : members.length + poolMinimum.reduce<number>((a, b) => a + (b ?? 0), 0);
    groups.push({ kind: "digitalocean-droplets", resource: tagged[0], minNodes, countedFrom: `droplets tagged ${digitaloceanRoleTag(role)}`, loadBalancers: [], members, role });
  }
  for (const orphan of orphans.filter((r) => !served.has(r))) {
    groups.push({ kind: "digitalocean-droplets", resource: orphan, minNodes: undefined, countedFrom: "droplets behind it", loadBalancers: [], members: orphan.type === digitalocean.droplet ? [orphan] : [] });
  }
  return groups;
}

// ---- Kubernetes ------------------------------------------------------------------

/**
 * The older annotation that marks a Deployment as internal (`ha-guard/internal: "true"`),
 * an alias of role `internal` (contract/roles.ts).
 */
export { internalAnnotation };

/** A Kubernetes object's namespace ("default" when unset). */
export function namespaceOf(r: PolicyResource): string {
  return str(r.props, "metadata.namespace") ?? "default";
}

/** True when a label selector (matchLabels or a Service's plain map) selects `labels`. */
export function selects(selector: unknown, labels: unknown): boolean {
  const wanted = Object.entries(obj(selector));
  const have = obj(labels);
  return wanted.length > 0 && wanted.every(([k, v]) => have[k] === v);
}

/** The pod template labels of a Deployment. */
export function podLabels(deployment: PolicyResource): unknown {
  return at(deployment.props, "spec.template.metadata.labels");
}

/** The index key of one label (or selector entry) in a namespace. */
function labelKey(namespace: string, key: string, value: unknown): string {
  return JSON.stringify([namespace, key, value]);
}

/** The index keys of labels (every entry) in a namespace. */
function labelKeys(namespace: string, labels: unknown): string[] {
  return Object.entries(obj(labels)).map(([k, v]) => labelKey(namespace, k, v));
}

/** The index key of a selector in a namespace: its first entry, which every set of labels it selects holds. */
function selectorKeys(namespace: string, selector: unknown): string[] {
  const first = Object.entries(obj(selector))[0];
  return first ? [labelKey(namespace, first[0], first[1])] : [];
}

const selectorKeysByPath = new Map<string, (r: PolicyResource) => string[]>();

/** The function that files an object under its selector at `path` (one per path, so the view indexes it once). */
function selectorKeysAt(path: string): (r: PolicyResource) => string[] {
  let keysOf = selectorKeysByPath.get(path);
  if (!keysOf) selectorKeysByPath.set(path, (keysOf = (r) => selectorKeys(namespaceOf(r), at(r.props, path))));
  return keysOf;
}

const podLabelKeys = (deployment: PolicyResource) => labelKeys(namespaceOf(deployment), podLabels(deployment));

/** The objects of `types` in `r`'s namespace whose selector at `selectorPath` selects `labels`, in stack order. */
export function selectorsOf(view: StackView, types: Types, selectorPath: string, r: PolicyResource, labels: unknown): PolicyResource[] {
  const namespace = namespaceOf(r);
  return view
    .filedUnder(types, selectorKeysAt(selectorPath), labelKeys(namespace, labels))
    .filter((s) => namespaceOf(s) === namespace && selects(at(s.props, selectorPath), labels));
}

/** The Deployments in `r`'s namespace whose pods `selector` selects, in stack order. */
export function selectedDeployments(view: StackView, r: PolicyResource, selector: unknown): PolicyResource[] {
  const namespace = namespaceOf(r);
  return view
    .filedUnder(kubernetes.deployment, podLabelKeys, selectorKeys(namespace, selector))
    .filter((d) => namespaceOf(d) === namespace && selects(selector, podLabels(d)));
}

/** The Services (same namespace) whose selector picks a Deployment's pods. */
export function servicesOf(view: StackView, deployment: PolicyResource): PolicyResource[] {
  return selectorsOf(view, kubernetes.service, "spec.selector", deployment, podLabels(deployment));
}

/** An HPA's index keys: the name of the object it scales, alone and in the HPA's namespace. */
function hpaTargetKeys(hpa: PolicyResource): string[] {
  const name = str(hpa.props, "spec.scaleTargetRef.name");
  return name === undefined ? [] : [JSON.stringify([name]), JSON.stringify([namespaceOf(hpa), name])];
}

/**
 * The HorizontalPodAutoscalers that may scale a Deployment, in stack order: those that name it
 * (in its namespace, or in any with `anyNamespace`) and those whose spec refers to it.
 */
export function hpaCandidates(view: StackView, deployment: PolicyResource, anyNamespace = false): PolicyResource[] {
  const name = str(deployment.props, "metadata.name");
  const key = name === undefined ? [] : [JSON.stringify(anyNamespace ? [name] : [namespaceOf(deployment), name])];
  return view.inStackOrder([...view.filedUnder(kubernetes.hpa, hpaTargetKeys, key), ...view.referrers(deployment, kubernetes.hpa, "spec")]);
}

/** The HorizontalPodAutoscaler (same namespace) that scales a Deployment, if any. */
export function hpaOf(view: StackView, deployment: PolicyResource): PolicyResource | undefined {
  const name = str(deployment.props, "metadata.name");
  return hpaCandidates(view, deployment).find(
    (h) =>
      namespaceOf(h) === namespaceOf(deployment) &&
      str(h.props, "spec.scaleTargetRef.kind") === "Deployment" &&
      ((name !== undefined && str(h.props, "spec.scaleTargetRef.name") === name) || view.refersTo(h, "spec", deployment)),
  );
}

/**
 * The replicas a Deployment runs with: the fewest and the most (its HPA's minReplicas,
 * default 1, and maxReplicas; else spec.replicas, default 1). Undefined where not known.
 */
export function replicaRange(view: StackView, deployment: PolicyResource): { min: number | undefined; max: number | undefined; from: string } {
  const hpa = hpaOf(view, deployment);
  if (hpa) {
    const min = at(hpa.props, "spec.minReplicas") === undefined ? 1 : num(hpa.props, "spec.minReplicas");
    return { min, max: num(hpa.props, "spec.maxReplicas"), from: "HorizontalPodAutoscaler minReplicas" };
  }
  const replicas = at(deployment.props, "spec.replicas") === undefined ? 1 : num(deployment.props, "spec.replicas");
  return { min: replicas, max: replicas, from: "replicas" };
}

function kubernetesGroups(view: StackView): NodeGroup[] {
  return view.ofType(kubernetes.deployment).map((deployment) => {
    const services = servicesOf(view, deployment);
    const loadBalancers = unique(
      services.flatMap((s) => [
        ...(str(s.props, "spec.type") === "LoadBalancer" ? [s] : []),
        ...view.referrers(s, kubernetes.ingress, "spec").filter((i) => namespaceOf(i) === namespaceOf(s) && view.refersTo(i, "spec", s)),
      ]),
    );
    const replicas = replicaRange(view, deployment);
    return {
      kind: "kubernetes-deployment",
      resource: deployment,
      minNodes: replicas.min,
      countedFrom: replicas.from,
      loadBalancers,
      members: [],
      // ExternalName Services have no selector, so every Service here forwards to the pods.
      internalServices: services.filter((s) => str(s.props, "spec.type") !== "LoadBalancer"),
    };
  });
}
