/**
 * nodes-not-world-reachable: nodes take app traffic only from the load balancer, and no
 * machine in the stack has SSH (or RDP) open to the internet.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { overStack, type Problem } from "../dispatch";
import { allNodeGroups, nodeGroups, podLabels, selects, namespaceOf } from "../nodeGroups";
import { at, list, num, objects, str, worldCidrs } from "../props";
import { aws, digitalocean, gcp, kubernetes } from "../resourceTypes";
import { describe, StackView, unique } from "../stackView";

const adminPorts = [22, 3389];

/** An ingress permission, normalised across the clouds' shapes. */
interface Opening {
  /** What the permission belongs to (security group, firewall). */
  owner: PolicyResource;
  /** True when the sources include the whole internet. */
  world: boolean;
  /** True when the ports include `port` (all ports when the rule names none). */
  covers(port: number): boolean;
}

function rangeCovers(from: unknown, to: unknown, protocol: unknown): (port: number) => boolean {
  if (["-1", "all"].includes(String(protocol))) return () => true;
  const lo = num(from) ?? 0;
  const hi = num(to) ?? 65535;
  return (port) => lo <= port && port <= hi;
}

/** "22", "8000-9000", "all" (or absent): GCP and DigitalOcean port specs. */
function portSpecCovers(specs: unknown[]): (port: number) => boolean {
  if (specs.length === 0) return () => true;
  return (port) =>
    specs.some((spec) => {
      const text = String(spec);
      if (text === "all" || text === "0") return true;
      const [lo, hi = lo] = text.split("-").map(Number);
      return lo <= port && port <= hi;
    });
}

const isWorld = (sources: unknown[]) => sources.some((s) => worldCidrs.includes(String(s)));

// ---- AWS -------------------------------------------------------------------------

function awsOpenings(view: StackView, sg: PolicyResource): Opening[] {
  const inline = objects(sg.props.ingress).map((r) => ({
    owner: sg,
    world: isWorld([...list(r.cidrBlocks), ...list(r.ipv6CidrBlocks)]),
    covers: rangeCovers(r.fromPort, r.toPort, r.protocol),
  }));
  const vpcRules = view.referrers(sg, aws.ingressRule, "securityGroupId").map((r) => ({
    owner: r,
    world: isWorld([r.props.cidrIpv4, r.props.cidrIpv6]),
    covers: rangeCovers(r.props.fromPort, r.props.toPort, r.props.ipProtocol),
  }));
  const ec2Rules = view
    .referrers(sg, aws.securityGroupRule, "securityGroupId")
    .filter((r) => str(r.props.type) === "ingress")
    .map((r) => ({
      owner: r,
      world: isWorld([...list(r.props.cidrBlocks), ...list(r.props.ipv6CidrBlocks)]),
      covers: rangeCovers(r.props.fromPort, r.props.toPort, r.props.protocol),
    }));
  return [...inline, ...vpcRules, ...ec2Rules];
}

/** The security groups the nodes (ASG launch templates, registered instances) run with. */
function awsNodeSecurityGroups(view: StackView): PolicyResource[] {
  const templates = view.ofType(aws.autoscalingGroup).flatMap((asg) => [
    ...view.refs(asg, "launchTemplate", aws.launchTemplate),
    ...view.refs(asg, "mixedInstancesPolicy", aws.launchTemplate),
  ]);
  const fromTemplates = templates.flatMap((t) =>
    ["vpcSecurityGroupIds", "securityGroupNames", "networkInterfaces"].flatMap((p) => view.refs(t, p, aws.securityGroup)),
  );
  const instances = nodeGroups(view).flatMap((g) => g.members).filter((m) => m.type === aws.instance);
  const fromInstances = instances.flatMap((i) => ["vpcSecurityGroupIds", "securityGroups"].flatMap((p) => view.refs(i, p, aws.securityGroup)));
  return unique([...fromTemplates, ...fromInstances]);
}

function awsProblems(view: StackView): Problem[] {
  const nodeSgs = awsNodeSecurityGroups(view);
  const problems: Problem[] = [];
  for (const sg of view.ofType(aws.securityGroup)) {
    for (const opening of awsOpenings(view, sg).filter((o) => o.world)) {
      if (nodeSgs.includes(sg)) {
        problems.push([`${describe(opening.owner)} lets the internet reach the nodes' security group ${sg.name} directly: admit the app port from the load balancer's security group only (reach nodes with SSM, not SSH).`, opening.owner.urn]);
      } else if (adminPorts.some((p) => opening.covers(p))) {
        problems.push([`${describe(opening.owner)} opens SSH/RDP to the internet: remove it (use SSM Session Manager or a VPN).`, opening.owner.urn]);
      }
    }
  }
  return problems;
}

// ---- GCP -------------------------------------------------------------------------

/**
 * True when an ingress firewall admits the whole internet: a 0.0.0.0/0 source range, or no
 * source at all (no sourceRanges, sourceTags or sourceServiceAccounts: GCP then applies
 * 0.0.0.0/0). A source still unknown (preview) is not assumed open.
 */
function gcpAdmitsWorld(fw: PolicyResource): boolean {
  const sources = ["sourceRanges", "sourceTags", "sourceServiceAccounts"].map((key) => {
    try {
      return list(fw.props[key]);
    } catch {
      return undefined;
    }
  });
  if (sources.includes(undefined)) return isWorld(sources[0] ?? []);
  const [ranges, tags, accounts] = sources as unknown[][];
  return isWorld(ranges) || ranges.length + tags.length + accounts.length === 0;
}

function gcpProblems(view: StackView): Problem[] {
  // The nodes' network tags: instance templates, and the instances of unmanaged groups behind a load balancer.
  const groupInstances = allNodeGroups(view).flatMap((g) => g.members).filter((m) => m.type === gcp.instance);
  const nodeTags = new Set([...view.ofType(gcp.instanceTemplate), ...groupInstances].flatMap((t) => list(t.props.tags).map(String)));
  const problems: Problem[] = [];
  for (const fw of view.ofType(gcp.firewall)) {
    if ((str(fw.props.direction) ?? "INGRESS") !== "INGRESS" || fw.props.disabled === true) continue;
    if (!gcpAdmitsWorld(fw)) continue;
    const targets = [...list(fw.props.targetTags), ...list(fw.props.targetServiceAccounts)].map(String);
    const appliesToNodes = targets.length === 0 || targets.some((t) => nodeTags.has(t));
    const allows = objects(fw.props.allows);
    const covers = (port: number) => allows.some((a) => ["tcp", "all"].includes(str(a.protocol) ?? "") && portSpecCovers(list(a.ports))(port));
    if (appliesToNodes && allows.length > 0) {
      const how = list(fw.props.sourceRanges).length === 0 ? "has no source (no sourceRanges, sourceTags or sourceServiceAccounts), so GCP admits 0.0.0.0/0" : "admits 0.0.0.0/0";
      problems.push([`${describe(fw)} ${how} to the nodes: set sourceRanges to Google's load balancer and health check ranges (130.211.0.0/22, 35.191.0.0/16) on the app port.`, fw.urn]);
    } else if (adminPorts.some(covers)) {
      problems.push([`${describe(fw)} opens SSH/RDP to the internet: remove it (use IAP TCP forwarding).`, fw.urn]);
    }
  }
  return problems;
}

// ---- DigitalOcean ----------------------------------------------------------------

function digitaloceanProblems(view: StackView): Problem[] {
  const firewalls = view.ofType(digitalocean.firewall);
  const problems: Problem[] = [];
  const nodes = unique([
    ...view.ofType(digitalocean.droplet),
    ...view.ofType(digitalocean.autoscalePool),
  ]);
  const tagsOf = (r: PolicyResource) => (r.type === digitalocean.autoscalePool ? list(r.props, "dropletTemplate.tags") : list(r.props.tags)).map(String);
  const appliesTo = (fw: PolicyResource, node: PolicyResource) =>
    view.refersTo(fw, "dropletIds", node) || list(fw.props.tags).map(String).some((t) => tagsOf(node).includes(t));
  for (const node of nodes) {
    if (!firewalls.some((fw) => appliesTo(fw, node))) {
      problems.push([`${describe(node)} has no cloud firewall: every port is open to the internet. Add a Firewall admitting the app port from the load balancer only (sourceLoadBalancerUids).`, node.urn]);
    }
  }
  for (const fw of firewalls) {
    const world = objects(fw.props.inboundRules).filter((r) => isWorld(list(r.sourceAddresses)));
    if (world.length === 0) continue;
    if (nodes.some((n) => appliesTo(fw, n))) {
      problems.push([`${describe(fw)} admits the internet to the nodes: admit the app port from the load balancer only (sourceLoadBalancerUids).`, fw.urn]);
    } else if (world.some((r) => adminPorts.some((p) => portSpecCovers(list(r.portRange))(p)))) {
      problems.push([`${describe(fw)} opens SSH to the internet: remove it.`, fw.urn]);
    }
  }
  return problems;
}

// ---- Kubernetes ------------------------------------------------------------------

function kubernetesProblems(view: StackView): Problem[] {
  const deployments = view.ofType(kubernetes.deployment);
  return view
    .ofType(kubernetes.service)
    .filter((s) => ["NodePort", "LoadBalancer"].includes(str(s.props, "spec.type") ?? ""))
    .filter((s) => deployments.some((d) => namespaceOf(d) === namespaceOf(s) && selects(at(s.props, "spec.selector"), podLabels(d))))
    .map((s): Problem => [
      `${describe(s)} is a ${String(at(s.props, "spec.type"))} Service: the pods are reachable without the Ingress (no TLS, no host routing). Use type ClusterIP and route through the Ingress.`,
      s.urn,
    ]);
}

export const nodeExposure: StackValidationPolicy = {
  name: "nodes-not-world-reachable",
  description:
    "Nodes accept traffic only from the load balancer and nothing has SSH/RDP open to the internet: no 0.0.0.0/0 rule on the nodes' " +
    "security group or GCP firewall, a DigitalOcean cloud firewall on every droplet admitting the load balancer only, app Services of " +
    "type ClusterIP behind the Ingress.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: overStack(
    (view) => [aws.securityGroup, gcp.firewall, digitalocean.droplet, digitalocean.autoscalePool, digitalocean.firewall, kubernetes.service].some((t) => view.ofType(t).length > 0),
    "the stack has no security groups, firewalls, droplets or Services",
    (view, report) => {
      for (const [message, urn] of [...awsProblems(view), ...gcpProblems(view), ...digitaloceanProblems(view), ...kubernetesProblems(view)]) {
        report(message, urn);
      }
    },
  ),
};
