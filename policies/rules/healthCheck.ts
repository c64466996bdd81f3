/**
 * lb-http-health-check: the load balancer decides a node is healthy by asking the app
 * over HTTP, not by whether a TCP port accepts connections.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { overStack } from "../dispatch";
import { nodeGroups } from "../nodeGroups";
import { at, obj, objects, str } from "../props";
import { aws, digitalocean, gcp, kubernetes } from "../resourceTypes";
import { describe } from "../stackView";

const httpProtocols = ["HTTP", "HTTPS"];

export const healthCheck: StackValidationPolicy = {
  name: "lb-http-health-check",
  description:
    "Load balancers check node health with an HTTP request on a path: ALB target groups use protocol HTTP(S), GCP backend services use " +
    "an HTTP(S)/HTTP2 health check, DigitalOcean load balancers use an http(s) healthcheck with a path, Deployment containers have an " +
    "httpGet readinessProbe. A TCP check passes while the app returns errors.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: overStack(
    (view) =>
      [aws.targetGroup, gcp.backendService, digitalocean.loadBalancer, kubernetes.deployment].some((t) => view.ofType(t).length > 0),
    "the stack has no target group, backend service, DigitalOcean load balancer or Deployment",
    (view, report) => {
      for (const tg of view.ofType(aws.targetGroup)) {
        if (!["HTTP", "HTTPS", undefined].includes(str(tg.props.protocol))) continue; // NLB target groups (TCP/TLS)
        const check = obj(tg.props.healthCheck);
        const protocol = str(check.protocol) ?? "HTTP";
        if (check.enabled === false || !httpProtocols.includes(protocol)) {
          report(`${describe(tg)} health check is ${check.enabled === false ? "disabled" : `over ${protocol}`}: enable it with protocol HTTP and the app's health path.`, tg.urn);
        }
      }
      for (const service of view.ofType(gcp.backendService)) {
        const checks = view.refs(service, "healthChecks", gcp.healthCheck);
        if (checks.length === 0) {
          report(`${describe(service)} has no health check: attach a HealthCheck with httpHealthCheck { requestPath } so failing nodes leave rotation.`, service.urn);
        }
        for (const check of checks.filter((c) => !["httpHealthCheck", "httpsHealthCheck", "http2HealthCheck"].some((k) => c.props[k]))) {
          report(`${describe(check)} is not an HTTP check: use httpHealthCheck with the app's requestPath.`, check.urn);
        }
      }
      for (const lb of view.ofType(digitalocean.loadBalancer)) {
        const protocol = str(lb.props, "healthcheck.protocol");
        if (!["http", "https"].includes(protocol ?? "") || !str(lb.props, "healthcheck.path")) {
          report(`${describe(lb)} health check is ${protocol ?? "unset"}: set healthcheck { protocol: "http", path: <health path>, port: <app port> }.`, lb.urn);
        }
      }
      for (const group of nodeGroups(view).filter((g) => g.kind === "kubernetes-deployment")) {
        const missing = objects(group.resource.props, "spec.template.spec.containers")
          .filter((c) => at(c, "readinessProbe.httpGet") === undefined)
          .map((c) => str(c.name) ?? "?");
        if (missing.length > 0) {
          report(`${describe(group.resource)}: container(s) ${missing.join(", ")} have no httpGet readinessProbe, so pods get traffic before (and after) they can serve it.`, group.resource.urn);
        }
      }
    },
  ),
};
