/**
 * The edge on Kubernetes (several-workloads model): a ClusterIP Service per web workload
 * (the stable private entry point, `http://<service>.<namespace>.svc.cluster.local:<port>`,
 * of an internal one; the Ingress backend of a public one), and ONE Ingress with a rule
 * per (host, path prefix) and cert-manager TLS for every host.
 *
 * Where the stack has the single service (or a web workload named `web`, which keeps its
 * objects), its Ingress is that one Ingress: it keeps its name, its rule and its TLS entry,
 * and the other routes and hosts are added to it (an in-place update). Otherwise the Edge
 * component creates it. The Ingress controller picks the longest matching prefix, so
 * `/api` goes to its workload and everything else on the host to `/`'s.
 *
 * Certificates: the domain's stays `<name>-tls` (the single service's); every other host
 * gets its own entry and Secret (`<name>-tls-<hash of the host>`), so a host whose DNS is
 * not set up yet (its ACME challenge fails) never holds up the renewal of the others.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Route } from "../../model/model";
import { shortHash } from "../../physicalNames";
import type { KubernetesSpec } from "../../topology";

/** The named port of every web workload's container and Service. */
export const httpPortName = "http";

/** One public route: where it is served and the Service behind it. */
export interface IngressRoute {
  /** Host and path prefix. */
  route: Route;
  /** The Service's name. */
  serviceName: pulumi.Input<string>;
}

/** The TLS Secret of a host: the domain's is the single service's, the others' are one per host. */
export function tlsSecretName(name: string, domain: string, host: string): string {
  return host === domain ? `${name}-tls` : `${name}-tls-${shortHash([host])}`;
}

/** The Ingress rules of `routes`: one per (host, path prefix). */
export function ingressRules(routes: readonly IngressRoute[]): k8s.types.input.networking.v1.IngressRule[] {
  return routes.map(({ route, serviceName }) => ({
    host: route.host,
    http: { paths: [{ path: route.path, pathType: "Prefix", backend: { service: { name: serviceName, port: { name: httpPortName } } } }] },
  }));
}

/** The TLS entries of the routes' hosts, except those in `covered` (already in the Ingress). */
export function ingressTls(name: string, domain: string, routes: readonly IngressRoute[], covered: readonly string[] = []): k8s.types.input.networking.v1.IngressTLS[] {
  const hosts = [...new Set(routes.map((r) => r.route.host))].filter((h) => !covered.includes(h));
  return hosts.map((host) => ({ hosts: [host], secretName: tlsSecretName(name, domain, host) }));
}

/** The annotations of the Ingress (the single service's): cert-manager's issuer and HTTPS only. */
export function ingressAnnotations(kubernetes: KubernetesSpec): Record<string, string> {
  return {
    "cert-manager.io/cluster-issuer": kubernetes.clusterIssuer,
    "nginx.ingress.kubernetes.io/ssl-redirect": "true",
    "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
  };
}

/** The address an Ingress's controller publishes (hostname or IP), empty until then. */
export function ingressAddress(ingress: k8s.networking.v1.Ingress): pulumi.Output<string> {
  return ingress.status.apply((s) => s?.loadBalancer?.ingress?.[0]?.hostname ?? s?.loadBalancer?.ingress?.[0]?.ip ?? "");
}

/** One web workload the Edge gives a Service. */
export interface EdgeWeb {
  /** The workload's name. */
  workload: string;
  /** The logical name (and the Service's name): `<name>-<workload>`. */
  logicalName: string;
  /** The workload's pod labels (the Service's selector). */
  selector: Record<string, string>;
  /** The container port (also the Service's port, so the private URL names the app's port). */
  port: number;
  /** Its public route, or undefined for an internal one. */
  route: Route | undefined;
}

/** Arguments of Edge. */
export interface EdgeArgs {
  /** The stack's name prefix (`ha-topology:name`). */
  name: string;
  /** The shared domain. */
  domain: string;
  /** The namespace. */
  namespace: pulumi.Input<string>;
  /** Labels of every object. */
  labels: Record<string, string>;
  /** The Kubernetes settings (ingress class, issuer). */
  kubernetes: KubernetesSpec;
  /** The web workloads to give a Service (not the single service's, whose App has its own). */
  webs: EdgeWeb[];
  /** True: create the Ingress here (the stack has no single-service web to carry it). */
  createIngress: boolean;
  /** The static sites' routes (site.ts builds their Services): rules of the same Ingress. */
  sites?: IngressRoute[];
}

/** The Services of the web workloads and, without the single service, the Ingress. */
export class Edge extends pulumi.ComponentResource {
  /** Each web workload's Service, by workload name. */
  readonly services: Map<string, k8s.core.v1.Service>;
  /** The public routes of the workloads, with their Services. */
  readonly routes: IngressRoute[];
  /** The Ingress, when created here. */
  readonly ingress?: k8s.networking.v1.Ingress;

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:kubernetes:Edge", name, {}, opts);
    const parent = { parent: this };
    this.services = new Map();
    this.routes = [];
    for (const web of args.webs) {
      const service = new k8s.core.v1.Service(web.logicalName, {
        metadata: { name: web.logicalName, namespace: args.namespace, labels: { ...args.labels, ...web.selector } },
        spec: { type: "ClusterIP", selector: web.selector, ports: [{ name: httpPortName, port: web.port, targetPort: httpPortName }] },
      }, parent);
      this.services.set(web.workload, service);
      if (web.route) this.routes.push({ route: web.route, serviceName: service.metadata.name });
    }
    this.routes.push(...(args.sites ?? []));
    if (args.createIngress && this.routes.length > 0) {
      this.ingress = new k8s.networking.v1.Ingress(name, {
        metadata: { name: args.name, namespace: args.namespace, labels: args.labels, annotations: ingressAnnotations(args.kubernetes) },
        spec: {
          ingressClassName: args.kubernetes.ingressClassName,
          tls: ingressTls(args.name, args.domain, this.routes),
          rules: ingressRules(this.routes),
        },
      }, parent);
    }
    this.registerOutputs({});
  }
}
