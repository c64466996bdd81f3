/**
 * lb-https-only: clients reach the service over HTTPS with a certificate, and plain HTTP
 * only ever answers with a redirect to HTTPS.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { overStack, type Problem } from "../dispatch";
import { awsIngress, awsInstanceSecurityGroups, awsListeners, gcpAllowedRanges, gcpFirewallsOf, nodeGroups, type NodeGroup } from "../nodeGroups";
import { at, bool, list, obj, objects, str, worldCidrs } from "../props";
import { aws, digitalocean, gcp, kubernetes } from "../resourceTypes";
import { describe, StackView } from "../stackView";

const secureProtocols = ["HTTPS", "TLS"];

const isStandalone = (g: NodeGroup) => g.kind === "aws-standalone-instance" || g.kind === "gcp-standalone-instance";


function awsProblems(view: StackView, lb: PolicyResource): Problem[] {
  if ((str(lb.props.loadBalancerType) ?? "application") !== "application") return [];
  // An internal ALB has no address on the internet: it serves workloads inside the VPC
  // (behind its security group), where plain HTTP is the norm, not clients.
  if (bool(lb.props.internal) === true) return [];
  const listeners = awsListeners(view, lb);
  const problems: Problem[] = [];
  const secure = listeners.filter((l) => secureProtocols.includes(str(l.props.protocol) ?? ""));
  if (secure.length === 0) problems.push([`${describe(lb)} has no HTTPS listener: add one on 443 with an ACM certificate.`, lb.urn]);
  for (const l of secure) {
    if (!l.props.certificateArn) {
      problems.push([`${describe(l)} is HTTPS without a certificate: set certificateArn (a validated ACM certificate).`, l.urn]);
    }
  }
  for (const l of listeners.filter((l) => !secureProtocols.includes(str(l.props.protocol) ?? "HTTP"))) {
    const actions = objects(l.props.defaultActions);
    const redirects = actions.length > 0 && actions.every((a) => a.type === "redirect" && str(a, "redirect.protocol") === "HTTPS");
    const rules = view.referrers(l, aws.listenerRule, "listenerArn");
    if (!redirects || rules.length > 0) {
      problems.push([`${describe(l)} serves plain HTTP: its only action must be a redirect to HTTPS (type "redirect", protocol "HTTPS", statusCode "HTTP_301").`, l.urn]);
    }
  }
  return problems;
}

/** Ports a web server answers plain HTTP on. */
const httpPorts = [80, 8080, 8000];

/** True when an EC2 instance gets a public address (the default VPC's subnets, or a subnet that maps one). */
function awsHasPublicIp(view: StackView, instance: PolicyResource): boolean {
  const explicit = bool(instance.props.associatePublicIpAddress);
  if (explicit !== undefined) return explicit;
  if (instance.props.subnetId === undefined) return true; // the default VPC's subnets map public IPs
  const subnets = view.refs(instance, "subnetId", aws.subnet);
  return subnets.length === 0 || subnets.some((s) => s.props.mapPublicIpOnLaunch === true);
}

/** A standalone instance that answers plain HTTP from the internet, with no load balancer in front to terminate TLS. */
function standaloneProblems(view: StackView, group: NodeGroup): Problem[] {
  const r = group.resource;
  if (group.kind === "aws-standalone-instance") {
    if (!awsHasPublicIp(view, r)) return [];
    const open = awsInstanceSecurityGroups(view, r).flatMap((sg) =>
      awsIngress(view, sg).filter((i) => i.world && httpPorts.some((p) => i.from <= p && p <= i.to)).map((i) => ({ sg, i })),
    );
    if (open.length === 0) return [];
    const { sg, i } = open[0];
    const port = httpPorts.find((p) => i.from <= p && p <= i.to);
    return [[`${describe(r)} serves plain HTTP to the internet (security group ${sg.name} admits 0.0.0.0/0 on ${port}) with no load balancer to terminate HTTPS: put it behind an ALB with an HTTPS listener and an ACM certificate, and admit the port from the ALB only.`, r.urn]];
  }
  if (group.kind === "gcp-standalone-instance") {
    if (!objects(r.props.networkInterfaces).some((nic) => list(nic.accessConfigs).length > 0)) return [];
    const open = gcpFirewallsOf(view, r).filter((fw) => {
      const ranges = list(fw.props.sourceRanges).map(String);
      // A firewall with no source at all admits 0.0.0.0/0.
      const world = ranges.some((c) => worldCidrs.includes(c)) || (ranges.length === 0 && list(fw.props.sourceTags).length === 0 && list(fw.props.sourceServiceAccounts).length === 0);
      return world && gcpAllowedRanges(fw).some(([lo, hi]) => httpPorts.some((p) => lo <= p && p <= hi));
    });
    if (open.length === 0) return [];
    return [[`${describe(r)} serves plain HTTP to the internet (firewall ${open[0].name} admits 0.0.0.0/0) on its external IP, with no load balancer to terminate HTTPS: serve it through an HTTPS load balancer with a managed certificate.`, r.urn]];
  }
  return [];
}

function cloudfrontProblems(distribution: PolicyResource): Problem[] {
  const problems: Problem[] = [];
  const behaviors = [obj(distribution.props.defaultCacheBehavior), ...objects(distribution.props.orderedCacheBehaviors)];
  const plain = behaviors.filter((b) => (str(b.viewerProtocolPolicy) ?? "allow-all") === "allow-all");
  if (plain.length > 0) {
    const paths = plain.map((b) => str(b.pathPattern) ?? "default").join(", ");
    problems.push([`${describe(distribution)} serves plain HTTP (viewerProtocolPolicy allow-all on ${paths}): set viewerProtocolPolicy to "redirect-to-https" (or "https-only").`, distribution.urn]);
  }
  // A custom origin (an ALB, an API) reached over plain HTTP: the viewer's HTTPS ends at the
  // edge and the requests (cookies, tokens) cross the internet in clear to the origin.
  // S3 origins (through OAC) are always HTTPS; a website endpoint only speaks HTTP, and needs a public bucket.
  const clear = objects(distribution.props.origins).filter((o) => str(o, "customOriginConfig.originProtocolPolicy") === "http-only");
  if (clear.length > 0) {
    const ids = clear.map((o) => str(o.originId) ?? str(o.domainName) ?? "?").join(", ");
    problems.push([`${describe(distribution)} reaches its origin(s) ${ids} over plain HTTP (customOriginConfig.originProtocolPolicy http-only): set it to "https-only" (the origin terminates TLS with a certificate for the name CloudFront sends), or use an S3 bucket origin with Origin Access Control.`, distribution.urn]);
  }
  return problems;
}

function gcpProblems(view: StackView, rule: PolicyResource): Problem[] {
  const problems: Problem[] = [];
  for (const proxy of view.refs(rule, "target", gcp.httpsProxy)) {
    const certificates = list(proxy.props.sslCertificates).length + list(proxy.props.certificateManagerCertificates).length;
    if (certificates === 0 && !proxy.props.certificateMap) {
      problems.push([`${describe(proxy)} has no certificate: set sslCertificates (a ManagedSslCertificate) or a certificateMap.`, proxy.urn]);
    }
  }
  for (const proxy of view.refs(rule, "target", gcp.httpProxy)) {
    for (const map of view.refs(proxy, "urlMap", gcp.urlMap)) {
      const redirects = bool(at(map.props, "defaultUrlRedirect.httpsRedirect")) === true && !map.props.defaultService && list(map.props.pathMatchers).length === 0;
      if (!redirects) problems.push([`${describe(map)} serves plain HTTP through ${describe(proxy)}: give the HTTP proxy a URL map whose only job is defaultUrlRedirect { httpsRedirect: true }.`, map.urn]);
    }
  }
  return problems;
}

/**
 * A Spaces CDN endpoint on a custom domain (a static site's host): the endpoint serves that
 * host over TLS only with a certificate for it; the API has no protocol or TLS-version
 * setting, so the certificate is what can be judged.
 */
function digitaloceanCdnProblems(cdn: PolicyResource): Problem[] {
  if (!str(cdn.props.customDomain)) return [];
  if (cdn.props.certificateName || cdn.props.certificateId) return [];
  return [[`${describe(cdn)} serves ${String(cdn.props.customDomain)} without a certificate: set certificateName (a Let's Encrypt certificate for the host; names survive renewals, ids do not).`, cdn.urn]];
}

function digitaloceanProblems(lb: PolicyResource): Problem[] {
  // An internal load balancer (network INTERNAL) has no public address: it serves the VPC
  // only, like an internal ALB or a ClusterIP Service, so there is no internet client to
  // protect with TLS and nothing to redirect.
  if (str(lb.props.network)?.toUpperCase() === "INTERNAL") return [];
  const rules = objects(lb.props.forwardingRules);
  const problems: Problem[] = [];
  const secure = rules.filter((r) => ["https", "http2", "http3"].includes(str(r.entryProtocol) ?? ""));
  if (secure.length === 0) problems.push([`${describe(lb)} has no HTTPS forwarding rule: add entryProtocol "https" on 443 with a Let's Encrypt certificate (certificateName).`, lb.urn]);
  for (const r of secure) {
    if (!r.certificateName && !r.certificateId && r.tlsPassthrough !== true) {
      problems.push([`${describe(lb)} forwards ${String(r.entryProtocol)}:${String(r.entryPort)} without a certificate: set certificateName (names survive Let's Encrypt renewals; ids do not).`, lb.urn]);
    }
  }
  if (rules.some((r) => str(r.entryProtocol) === "http") && lb.props.redirectHttpToHttps !== true) {
    problems.push([`${describe(lb)} serves plain HTTP: set redirectHttpToHttps to true.`, lb.urn]);
  }
  return problems;
}

function kubernetesProblems(ingress: PolicyResource): Problem[] {
  const tls = objects(ingress.props, "spec.tls");
  const problems: Problem[] = [];
  if (tls.length === 0 || tls.some((t) => !t.secretName)) {
    problems.push([`${describe(ingress)} has no TLS: add spec.tls with the hosts and a secretName (cert-manager fills it when the cert-manager.io/cluster-issuer annotation is set).`, ingress.urn]);
  }
  const annotations = obj(ingress.props, "metadata.annotations");
  for (const key of ["nginx.ingress.kubernetes.io/ssl-redirect", "nginx.ingress.kubernetes.io/force-ssl-redirect"]) {
    if (bool(annotations[key]) === false) problems.push([`${describe(ingress)} turns the HTTPS redirect off (${key}: "false"): remove that annotation.`, ingress.urn]);
  }
  return problems;
}

/** Annotations with which a cloud's load balancer terminates TLS for a LoadBalancer Service. */
const tlsCertificateAnnotations = [
  "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
  "service.beta.kubernetes.io/do-loadbalancer-certificate-id",
  "service.beta.kubernetes.io/do-loadbalancer-certificate-name",
  "service.beta.kubernetes.io/oci-load-balancer-tls-secret",
  "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-cert-id",
];

/** True for a Service port that carries plain HTTP (by name, appProtocol or a web port number; 443 and 8443 are taken as TLS the pods end). */
function isHttpPort(port: Record<string, unknown>): boolean {
  const name = (str(port.name) ?? "").toLowerCase();
  const protocol = (str(port.appProtocol) ?? "").toLowerCase();
  if (/^https|tls|ssl/.test(name) || /https|tls/.test(protocol)) return false;
  if (/^http/.test(name) || /^(http|kubernetes\.io\/h2c|kubernetes\.io\/ws)$/.test(protocol)) return true;
  return [80, 8080, 8000, 8008, 8888, 3000, 5000].includes(Number(port.port));
}

/**
 * A Service of type LoadBalancer is the load balancer itself: its HTTP ports are served in
 * plain text unless the cloud's TLS annotations make the load balancer terminate TLS on them.
 */
function serviceProblems(service: PolicyResource): Problem[] {
  const annotations = obj(service.props, "metadata.annotations");
  const ports = objects(service.props, "spec.ports").filter(isHttpPort);
  if (ports.length === 0) return [];
  const certificate = tlsCertificateAnnotations.find((a) => str(annotations[a]));
  // AWS and OCI: the TLS ports are listed (all ports when unset); DigitalOcean: a redirect or an https protocol annotation.
  const sslPorts = (str(annotations["service.beta.kubernetes.io/aws-load-balancer-ssl-ports"]) ?? str(annotations["service.beta.kubernetes.io/oci-load-balancer-ssl-ports"]))?.split(",").map((p) => p.trim());
  const redirects = bool(annotations["service.beta.kubernetes.io/do-loadbalancer-redirect-http-to-https"]) === true;
  const plain = ports.filter((p) => {
    if (!certificate) return true;
    if (certificate.includes("do-loadbalancer")) return !redirects && str(annotations["service.beta.kubernetes.io/do-loadbalancer-protocol"]) !== "https";
    return sslPorts !== undefined && !sslPorts.includes(String(p.port)) && !sslPorts.includes(str(p.name) ?? "") && !sslPorts.includes("*");
  });
  if (plain.length === 0) return [];
  const list = plain.map((p) => String(p.port)).join(", ");
  return [[
    certificate
      ? `${describe(service)} is a LoadBalancer Service that still serves plain HTTP on port(s) ${list}: list them in the TLS ports annotation, or redirect them to HTTPS.`
      : `${describe(service)} is a LoadBalancer Service that serves plain HTTP on port(s) ${list} straight to the internet: make it ClusterIP behind an Ingress with spec.tls, or let the cloud's load balancer terminate TLS (service.beta.kubernetes.io/aws-load-balancer-ssl-cert, do-loadbalancer-certificate-id with do-loadbalancer-redirect-http-to-https).`,
    service.urn,
  ]];
}

function loadBalancerServices(view: StackView): PolicyResource[] {
  return view.ofType(kubernetes.service).filter((s) => str(s.props, "spec.type") === "LoadBalancer");
}

export const httpsOnly: StackValidationPolicy = {
  name: "lb-https-only",
  description:
    "Load balancers terminate HTTPS with a certificate and answer plain HTTP only with a redirect: an ALB HTTPS listener with an ACM " +
    "certificate and an HTTP listener that only redirects, a GCP HTTPS proxy with a certificate and an HTTP proxy on a redirect-only URL " +
    "map, a DigitalOcean https rule with a certificate and redirectHttpToHttps (internal DigitalOcean load balancers, network INTERNAL, serve the VPC only and are not judged), a Spaces CDN endpoint on a custom domain with a certificate (certificateName), an Ingress with spec.tls, a LoadBalancer Service whose " +
    "HTTP ports the cloud's load balancer serves with a certificate (aws-load-balancer-ssl-cert, do-loadbalancer-certificate-id annotations), " +
    "CloudFront behaviors with viewerProtocolPolicy redirect-to-https or https-only, and custom origins reached over HTTPS (originProtocolPolicy not http-only). An instance serving plain HTTP to the internet with no load balancer fails. " +
    "Internal ALBs (internal: true, no address on the internet) are not judged.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: overStack(
    (view) =>
      [aws.loadBalancer, aws.cloudfrontDistribution, gcp.forwardingRule, digitalocean.loadBalancer, digitalocean.cdn, kubernetes.ingress].some((t) => view.ofType(t).length > 0) ||
      loadBalancerServices(view).length > 0 ||
      nodeGroups(view).some(isStandalone),
    "the stack has no load balancer, CDN distribution or instance serving on its own",
    (view, report) => {
      const problems = [
        ...view.ofType(aws.loadBalancer).flatMap((lb) => awsProblems(view, lb)),
        ...view.ofType(gcp.forwardingRule).flatMap((r) => gcpProblems(view, r)),
        ...view.ofType(digitalocean.loadBalancer).flatMap(digitaloceanProblems),
        ...view.ofType(digitalocean.cdn).flatMap(digitaloceanCdnProblems),
        ...view.ofType(kubernetes.ingress).flatMap(kubernetesProblems),
        ...loadBalancerServices(view).flatMap(serviceProblems),
        ...view.ofType(aws.cloudfrontDistribution).flatMap(cloudfrontProblems),
        ...nodeGroups(view).filter(isStandalone).flatMap((g) => standaloneProblems(view, g)),
      ];
      for (const [message, urn] of problems) report(message, urn);
    },
  ),
};
