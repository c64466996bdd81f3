/**
 * lb-http-health-check: the load balancer decides a node is healthy by asking the app
 * over HTTP, not by whether a TCP port accepts connections.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { overStack } from "../dispatch";
import { nodeGroups, servicesOf } from "../nodeGroups";
import { at, num, obj, objects, str, type Props } from "../props";
import { aws, digitalocean, gcp, kubernetes } from "../resourceTypes";
import { describe } from "../stackView";

const httpProtocols = ["HTTP", "HTTPS"];

/**
 * Servers that do not speak HTTP, by image name (the last path segment, without tag):
 * their readiness is checked with their own client (exec) or a TCP connection.
 */
const nonHttpImages = /^(redis|valkey|keydb|memcached|mongo|mongodb|mysql|mariadb|percona|postgres|postgresql|postgis|timescaledb|rabbitmq|kafka|zookeeper|cassandra|scylla|nats|etcd|mosquitto|emqx|pgbouncer)([-_.].*)?$/;

/** Ports of servers that do not speak HTTP (Redis, Memcached, MongoDB, MySQL, Postgres, AMQP, Kafka, ...). */
const nonHttpPorts = new Set([6379, 26379, 11211, 27017, 3306, 5432, 5672, 9092, 2181, 9042, 4222, 2379, 1883, 1433, 1521, 26257]);
const nonHttpPortNames = /^(redis|sentinel|memcache|memcached|mongo|mongodb|mysql|postgres|postgresql|pg|amqp|amqps|kafka|zookeeper|zk|cql|nats|etcd|mqtt|tcp|tcp-.*|grpc|grpc-.*|db|database)$/;

/** The image's name without registry, path, tag or digest ("docker.io/bitnami/redis:7" -> "redis"). */
function imageName(image: unknown): string {
  return (str(image) ?? "").split("@")[0].split("/").pop()!.split(":")[0].toLowerCase();
}

/**
 * Whether a container serves HTTP, judged from its image and from the ports it and its
 * Services declare. Unknown containers count as HTTP (the common case behind a Service).
 */
function servesHttp(container: Props, services: PolicyResource[]): boolean {
  if (nonHttpImages.test(imageName(container.image))) return false;
  const ports = [
    ...objects(container.ports).map((p) => ({ number: num(p.containerPort), name: str(p.name), protocol: undefined as string | undefined })),
    ...services.flatMap((s) => objects(s.props, "spec.ports")).map((p) => ({ number: num(p.targetPort) ?? num(p.port), name: str(p.name) ?? str(p.targetPort), protocol: str(p.appProtocol) })),
  ];
  if (ports.length === 0) return true;
  const nonHttp = (p: (typeof ports)[number]) =>
    (p.number !== undefined && nonHttpPorts.has(p.number)) || nonHttpPortNames.test((p.name ?? "").toLowerCase()) || /^(tcp|grpc|mysql|postgres|redis|mongodb)/i.test(p.protocol ?? "");
  return !ports.every(nonHttp);
}

/** True for a probe that only checks a TCP connection (exec runs a real check; gRPC asks the app's health service). */
function isTcpOnly(probe: unknown): boolean {
  return at(probe, "tcpSocket") !== undefined && at(probe, "httpGet") === undefined;
}

export const healthCheck: StackValidationPolicy = {
  name: "lb-http-health-check",
  description:
    "Load balancers check node health with an HTTP request on a path: ALB target groups use protocol HTTP(S), GCP backend services use " +
    "an HTTP(S)/HTTP2 health check, DigitalOcean load balancers use an http(s) healthcheck with a path, Deployment containers have a " +
    "readinessProbe, an httpGet one when they serve HTTP (Redis, MySQL, MongoDB and other non-HTTP servers use exec or tcpSocket). " +
    "A TCP check on an HTTP server passes while the app returns errors.",
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
        const services = servicesOf(view, group.resource);
        const containers = objects(group.resource.props, "spec.template.spec.containers");
        const unprobed = containers.filter((c) => c.readinessProbe === undefined);
        // A TCP check on an HTTP server passes while the app returns errors; on Redis or MySQL it is the right check.
        const tcpOnHttp = containers.filter((c) => c.readinessProbe !== undefined && isTcpOnly(c.readinessProbe) && servesHttp(c, services));
        const name = (c: Props) => str(c.name) ?? "?";
        const http = unprobed.filter((c) => servesHttp(c, services));
        const other = unprobed.filter((c) => !servesHttp(c, services));
        if (http.length > 0) {
          report(`${describe(group.resource)}: container(s) ${http.map(name).join(", ")} have no readinessProbe, so pods get traffic before (and after) they can serve it. Add an httpGet readinessProbe on the health path.`, group.resource.urn);
        }
        if (other.length > 0) {
          report(`${describe(group.resource)}: container(s) ${other.map(name).join(", ")} (not HTTP) have no readinessProbe, so clients are sent to pods that cannot answer yet. Add a readinessProbe that asks the server itself (exec with its client, e.g. redis-cli ping or mysqladmin ping, or a tcpSocket on its port).`, group.resource.urn);
        }
        if (tcpOnHttp.length > 0) {
          report(`${describe(group.resource)}: container(s) ${tcpOnHttp.map(name).join(", ")} serve HTTP but their readinessProbe only opens a TCP connection, which passes while the app returns errors. Use an httpGet readinessProbe on the health path.`, group.resource.urn);
        }
      }
    },
  ),
};
