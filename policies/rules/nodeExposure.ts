/**
 * nodes-not-world-reachable: nodes take app traffic only from the load balancer, and no
 * machine in the stack has SSH (or RDP) open to the internet.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { overStack, type Problem } from "../dispatch";
import { adminPorts, allNodeGroups, awsIngress, awsInstanceSecurityGroups, nodeGroups, selectedDeployments } from "../nodeGroups";
import { at, bool, list, objects, str, worldCidrs } from "../props";
import { aws, digitalocean, gcp, kubernetes } from "../resourceTypes";
import { describe, StackView, unique } from "../stackView";

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

/**
 * The security groups of the nodes, each with what the nodes are: the instances of Auto Scaling
 * groups (launch templates and configurations), registered and standalone serving instances, and
 * the tasks of ECS services that get a public IP (assignPublicIp; tasks with private IPs only are
 * reached through the load balancer, even when they share its group).
 */
function awsNodeSecurityGroups(view: StackView): Map<PolicyResource, string> {
  const nodes = new Map<PolicyResource, string>();
  const add = (sgs: PolicyResource[], what: string) => sgs.forEach((sg) => nodes.has(sg) || nodes.set(sg, what));
  const templates = view.ofType(aws.autoscalingGroup).flatMap((asg) => [
    ...view.refs(asg, "launchTemplate", aws.launchTemplate),
    ...view.refs(asg, "mixedInstancesPolicy", aws.launchTemplate),
  ]);
  add(templates.flatMap((t) => ["vpcSecurityGroupIds", "securityGroupNames", "networkInterfaces"].flatMap((p) => view.refs(t, p, aws.securityGroup))), "the nodes");
  const configurations = view.ofType(aws.autoscalingGroup).flatMap((asg) => view.refs(asg, "launchConfiguration", aws.launchConfiguration));
  add(configurations.flatMap((c) => view.refs(c, "securityGroups", aws.securityGroup)), "the nodes");
  for (const group of nodeGroups(view)) {
    if (group.kind === "aws-instances") add(group.members.flatMap((i) => awsInstanceSecurityGroups(view, i)), "the nodes");
    if (group.kind === "aws-standalone-instance") add(awsInstanceSecurityGroups(view, group.resource), `the instance ${group.resource.name}`);
    if (group.kind === "aws-ecs-service" && bool(at(group.resource.props, "networkConfiguration.assignPublicIp")) === true) {
      add(view.refs(group.resource, "networkConfiguration", aws.securityGroup), `the public tasks of ${group.resource.name} (assignPublicIp)`);
    }
  }
  return nodes;
}

function awsProblems(view: StackView): Problem[] {
  const nodeSgs = awsNodeSecurityGroups(view);
  const problems: Problem[] = [];
  for (const sg of view.ofType(aws.securityGroup)) {
    const nodes = nodeSgs.get(sg);
    for (const opening of awsIngress(view, sg).filter((o) => o.world)) {
      const covers = (port: number) => opening.from <= port && port <= opening.to;
      if (nodes !== undefined) {
        const fix = nodes.startsWith("the public tasks")
          ? "set assignPublicIp to false (tasks in private subnets, egress through NAT) and admit the app port from the load balancer's security group only"
          : nodes.startsWith("the instance")
            ? "put the instance behind a load balancer and admit the app port from the load balancer's security group only (reach it with SSM, not SSH)"
            : "admit the app port from the load balancer's security group only (reach nodes with SSM, not SSH)";
        problems.push([`${describe(opening.owner)} lets the internet reach ${nodes} directly through security group ${sg.name}: ${fix}.`, opening.owner.urn]);
      } else if (adminPorts.some(covers)) {
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
  // The nodes' network tags: instance templates, the instances of unmanaged groups behind a
  // load balancer, and standalone instances that serve on their own.
  const groupInstances = allNodeGroups(view).flatMap((g) => g.members).filter((m) => m.type === gcp.instance);
  const standalone = allNodeGroups(view).filter((g) => g.kind === "gcp-standalone-instance").map((g) => g.resource);
  const nodeTags = new Set([...view.ofType(gcp.instanceTemplate), ...groupInstances, ...standalone].flatMap((t) => list(t.props.tags).map(String)));
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

const digitaloceanNodeTypes = [digitalocean.droplet, digitalocean.autoscalePool];
const tagsOf = (r: PolicyResource) => (r.type === digitalocean.autoscalePool ? list(r.props, "dropletTemplate.tags") : list(r.props.tags)).map(String);
const firewallTags = (fw: PolicyResource) => list(fw.props.tags).map(String);

function digitaloceanProblems(view: StackView): Problem[] {
  const firewalls = view.ofType(digitalocean.firewall);
  const problems: Problem[] = [];
  const nodes = unique([
    ...view.ofType(digitalocean.droplet),
    ...view.ofType(digitalocean.autoscalePool),
  ]);
  const appliesTo = (fw: PolicyResource, node: PolicyResource) =>
    view.refersTo(fw, "dropletIds", node) || firewallTags(fw).some((t) => tagsOf(node).includes(t));
  // Candidates from the indexes (what a firewall names, what shares a tag with it), then appliesTo itself.
  const firewallsOf = (node: PolicyResource) => [...view.referrers(node, digitalocean.firewall, "dropletIds"), ...view.filedUnder(digitalocean.firewall, firewallTags, tagsOf(node))];
  const nodesOf = (fw: PolicyResource) => [...view.refs(fw, "dropletIds", digitaloceanNodeTypes), ...view.filedUnder(digitaloceanNodeTypes, tagsOf, firewallTags(fw))];
  for (const node of nodes) {
    if (!firewallsOf(node).some((fw) => appliesTo(fw, node))) {
      problems.push([`${describe(node)} has no cloud firewall: every port is open to the internet. Add a Firewall admitting the app port from the load balancer only (sourceLoadBalancerUids).`, node.urn]);
    }
  }
  for (const fw of firewalls) {
    // ICMP from the internet opens no port: pings (an uptime check's) reach the kernel, not a service.
    const world = objects(fw.props.inboundRules).filter((r) => isWorld(list(r.sourceAddresses)) && str(r.protocol) !== "icmp");
    if (world.length === 0) continue;
    if (nodesOf(fw).some((n) => appliesTo(fw, n))) {
      problems.push([`${describe(fw)} admits the internet to the nodes: admit the app port from the load balancer only (sourceLoadBalancerUids).`, fw.urn]);
    } else if (world.some((r) => adminPorts.some((p) => portSpecCovers(list(r.portRange))(p)))) {
      problems.push([`${describe(fw)} opens SSH to the internet: remove it.`, fw.urn]);
    }
  }
  return problems;
}

// ---- Kubernetes ------------------------------------------------------------------

function kubernetesProblems(view: StackView): Problem[] {
  return view
    .ofType(kubernetes.service)
    .filter((s) => ["NodePort", "LoadBalancer"].includes(str(s.props, "spec.type") ?? ""))
    .filter((s) => selectedDeployments(view, s, at(s.props, "spec.selector")).length > 0)
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
