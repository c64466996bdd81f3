/**
 * The cloud-neutral model the node rules share: which groups of nodes a stack runs, how
 * few nodes each may shrink to, and which load balancers send them traffic. Each cloud
 * has its own way to say "these nodes are behind that load balancer"; this file is the
 * one place that knows them all.
 */
import type { PolicyResource } from "@pulumi/policy";
import { at, bool, list, num, obj, objects, str } from "./props";
import { aws, digitalocean, gcp, kubernetes } from "./resourceTypes";
import { StackView, unique } from "./stackView";

/** What kind of node group a group is. */
export type NodeGroupKind =
  | "aws-autoscaling-group"
  | "aws-instances"
  | "gcp-regional-mig"
  | "gcp-zonal-mig"
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
  /**
   * Kubernetes: the in-cluster Services (ClusterIP, NodePort, headless) that select the
   * pods. A Deployment they serve is an internal component: other pods reach it through
   * the Service, so it needs no load balancer, only enough replicas.
   */
  internalServices?: PolicyResource[];
}

const groupsOfView = new WeakMap<StackView, NodeGroup[]>();

/** Every node group in the stack, on all four clouds (computed once per view: several rules ask). */
export function nodeGroups(view: StackView): NodeGroup[] {
  let groups = groupsOfView.get(view);
  if (!groups) groupsOfView.set(view, (groups = [...awsGroups(view), ...gcpGroups(view), ...digitaloceanGroups(view), ...kubernetesGroups(view)]));
  return groups;
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

function awsGroups(view: StackView): NodeGroup[] {
  const groups: NodeGroup[] = view.ofType(aws.autoscalingGroup).map((asg) => {
    const attachments = view.referrers(asg, aws.autoscalingAttachment, "autoscalingGroupName");
    const trafficSources = view.referrers(asg, aws.trafficSourceAttachment, "autoscalingGroupName");
    const targetGroups = unique([
      ...view.refs(asg, "targetGroupArns", aws.targetGroup),
      ...attachments.flatMap((a) => view.refs(a, "lbTargetGroupArn", aws.targetGroup)),
      ...trafficSources.flatMap((a) => view.refs(a, "trafficSource", aws.targetGroup)),
    ]);
    const classic = [...view.refs(asg, "loadBalancers", aws.classicLoadBalancer), ...attachments.flatMap((a) => view.refs(a, "elb", aws.classicLoadBalancer))];
    return {
      kind: "aws-autoscaling-group",
      resource: asg,
      minNodes: num(asg.props.minSize),
      countedFrom: "minSize",
      loadBalancers: unique([...targetGroups.flatMap((tg) => awsLoadBalancersOf(view, tg)), ...classic]),
      members: [],
    };
  });
  // Standalone instances registered in a target group: the target group is the "group".
  for (const tg of view.ofType(aws.targetGroup)) {
    const instances = unique(
      view.referrers(tg, aws.targetGroupAttachment, "targetGroupArn").flatMap((a) => view.refs(a, "targetId", aws.instance)),
    );
    if (instances.length === 0) continue;
    groups.push({ kind: "aws-instances", resource: tg, minNodes: instances.length, countedFrom: "registered instances", loadBalancers: awsLoadBalancersOf(view, tg), members: instances });
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

function gcpGroups(view: StackView): NodeGroup[] {
  const rules = view.ofType(gcp.forwardingRule);
  const migs: [PolicyResource, NodeGroupKind][] = [
    ...view.ofType(gcp.regionalGroupManager).map((m): [PolicyResource, NodeGroupKind] => [m, "gcp-regional-mig"]),
    ...view.ofType(gcp.zonalGroupManager).map((m): [PolicyResource, NodeGroupKind] => [m, "gcp-zonal-mig"]),
  ];
  return migs.map(([mig, kind]) => {
    const backendServices = view.referrers(mig, gcp.backendService, "backends");
    const autoscaler = view.referrers(mig, [gcp.regionalAutoscaler, gcp.zonalAutoscaler], "target")[0];
    const fromAutoscaler = autoscaler ? num(autoscaler.props, "autoscalingPolicy.minReplicas") : undefined;
    return {
      kind,
      resource: mig,
      minNodes: autoscaler ? fromAutoscaler : num(mig.props.targetSize),
      countedFrom: autoscaler ? "autoscaler minReplicas" : "targetSize",
      loadBalancers: rules.filter((rule) => gcpBackendServices(view, rule).some((bs) => backendServices.includes(bs))),
      members: [],
    };
  });
}

// ---- DigitalOcean ----------------------------------------------------------------

function digitaloceanGroups(view: StackView): NodeGroup[] {
  const droplets = view.ofType(digitalocean.droplet);
  const pools = view.ofType(digitalocean.autoscalePool);
  const served = new Set<PolicyResource>();
  const groups: NodeGroup[] = [];
  for (const lb of view.ofType(digitalocean.loadBalancer)) {
    const tag = str(lb.props.dropletTag);
    const members = droplets.filter((d) => view.refersTo(lb, "dropletIds", d) || (tag !== undefined && list(d.props.tags).includes(tag)));
    const lbPools = pools.filter((p) => tag !== undefined && list(p.props, "dropletTemplate.tags").includes(tag));
    // A load balancer that reaches nothing is not a group: min-nodes reports it as an empty load balancer.
    if (members.length + lbPools.length === 0) continue;
    [...members, ...lbPools].forEach((r) => served.add(r));
    const poolMinimum = lbPools.map((p) => num(p.props, "config.minInstances") ?? num(p.props, "config.targetNumberInstances"));
    const minNodes = poolMinimum.includes(undefined) ? undefined : members.length + poolMinimum.reduce<number>((a, b) => a + (b ?? 0), 0);
    groups.push({ kind: "digitalocean-droplets", resource: lb, minNodes, countedFrom: "droplets behind it", loadBalancers: [lb], members });
  }
  for (const orphan of [...droplets, ...pools].filter((r) => !served.has(r))) {
    groups.push({ kind: "digitalocean-droplets", resource: orphan, minNodes: undefined, countedFrom: "droplets behind it", loadBalancers: [], members: [] });
  }
  return groups;
}

// ---- Kubernetes ------------------------------------------------------------------

/**
 * The annotation that marks a Deployment as an internal component (a proxy in front of a
 * data store, a queue worker): it serves no clients, so the node rules do not ask for a
 * load balancer, HTTP probes or client-facing replicas.
 */
export const internalAnnotation = "ha-guard/internal";

/** True for a Deployment annotated `ha-guard/internal: "true"`. */
function isInternal(deployment: PolicyResource): boolean {
  return bool(obj(deployment.props, "metadata.annotations")[internalAnnotation]) === true;
}

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

/** The Services (same namespace) whose selector picks a Deployment's pods. */
export function servicesOf(view: StackView, deployment: PolicyResource): PolicyResource[] {
  return view
    .ofType(kubernetes.service)
    .filter((s) => namespaceOf(s) === namespaceOf(deployment) && selects(at(s.props, "spec.selector"), podLabels(deployment)));
}

/** The HorizontalPodAutoscaler (same namespace) that scales a Deployment, if any. */
export function hpaOf(view: StackView, deployment: PolicyResource): PolicyResource | undefined {
  const name = str(deployment.props, "metadata.name");
  return view
    .ofType(kubernetes.hpa)
    .find(
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
  const ingresses = view.ofType(kubernetes.ingress);
  return view.ofType(kubernetes.deployment).filter((d) => !isInternal(d)).map((deployment) => {
    const services = servicesOf(view, deployment);
    const loadBalancers = unique(
      services.flatMap((s) => [
        ...(str(s.props, "spec.type") === "LoadBalancer" ? [s] : []),
        ...ingresses.filter((i) => namespaceOf(i) === namespaceOf(s) && view.refersTo(i, "spec", s)),
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
