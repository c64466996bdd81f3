/**
 * The public entry: one Application Load Balancer over the public subnets for every
 * public web workload, TLS 1.2+ with ACM certificates, port 80 answering only with a
 * redirect, and a target group per web workload whose health check (readiness) decides
 * which nodes serve. The route of the stack's domain at "/" is the listener's default
 * action (the single service's, as always); every other route is a listener rule by
 * host-header and path-pattern (routing.ts), and without a "/" route on the domain the
 * default answers 404.
 *
 * The domain's certificate never changes its domains (that would replace it, and the
 * listener with it): each other host gets a certificate of its own, attached to the
 * listener as an extra (SNI) certificate.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DnsRecord } from "../dnsRecord";
import { dnsValidatedCertificate } from "./certificate";
import type { Route } from "../../model/model";
import { fitName } from "../../physicalNames";
import type { HealthCheckSpec, Topology } from "../../topology";
import { routeKey, ruleConditions, rulePriorities } from "./routing";

/** One public web workload behind the load balancer. */
export interface PublicWeb {
  /** The workload's name. */
  workload: string;
  /** Its components' name prefix (compose.ts `logicalName`): the target group is `<logical>-tg`. */
  logical: string;
  /** Where it is served. */
  route: Route;
  /** The app port on its nodes. */
  port: number;
  /** Seconds a deregistering node keeps its connections. */
  drainSeconds: number;
  /** The target group's health check: the workload's readiness. */
  healthCheck: Pick<HealthCheckSpec, "path" | "intervalSeconds" | "timeoutSeconds" | "healthyThreshold" | "unhealthyThreshold">;
}

/** What the load balancer gives one web workload. */
export interface WebTarget {
  /** Its target group. */
  targetGroupArn: pulumi.Output<string>;
  /** The target group's ARN suffix (CloudWatch dimension). */
  targetGroupArnSuffix: pulumi.Output<string>;
  /** What sends the target group traffic (the listener, or the workload's rule): its nodes wait for it. */
  serving: pulumi.Resource;
}

/**
 * A target group's logical name: its AWS name is this plus Pulumi's 8 random characters,
 * and AWS allows 32, so a long name is cut (with a hash; the single service's `<name>-tg`
 * is short enough to stay as it is).
 */
export function targetGroupName(logical: string): string {
  return fitName(`${logical}-tg`, 24);
}

/** Arguments of LoadBalancer. */
export interface LoadBalancerArgs {
  /** The stack's domain, DNS and TLS choices. */
  topology: Pick<Topology, "domain" | "dns" | "tls">;
  /** The public web workloads it serves. */
  webs: PublicWeb[];
  /** The VPC. */
  vpcId: pulumi.Input<string>;
  /** Public subnets, one per zone. */
  subnetIds: pulumi.Input<string>[];
  /** The load balancer's security group. */
  securityGroupId: pulumi.Input<string>;
  /** Tags for every resource. */
  tags: Record<string, string>;
  /**
   * True when the hosts' records are written later by `serveHosts` (a stack with a site:
   * its CloudFront distribution, built after the ALB it forwards to, takes over the hosts
   * it serves). Unset: now, every host to the ALB.
   */
  deferRecords?: boolean;
}

/** Where a host's record points instead of the ALB (a CloudFront distribution). */
export interface AliasTarget {
  /** The target's DNS name. */
  name: pulumi.Input<string>;
  /** Its Route 53 hosted zone id (an alias record's). */
  zoneId: pulumi.Input<string>;
  /** What the record is for, in `dnsRecords`. */
  purpose: string;
}

/** TLS 1.3 with TLS 1.2 fallback, forward secrecy only. */
export const tlsPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** ALB + certificate + listeners + target group (+ Route 53 records when a zone is given). */
export class LoadBalancer extends pulumi.ComponentResource {
  /** The ALB's DNS name: point the domain here. */
  readonly dnsName: pulumi.Output<string>;
  /** The ALB's ARN suffix (CloudWatch dimension). */
  readonly arnSuffix: pulumi.Output<string>;
  /** Each web workload's target group, by workload name. */
  readonly targets: Map<string, WebTarget>;
  /** Records the user must create at their DNS host (empty with `dns.zone`); set once `serveHosts` ran. */
  dnsRecords!: pulumi.Output<DnsRecord[]>;
  /** The ALB's Route 53 hosted zone id. */
  readonly zoneId: pulumi.Output<string>;
  /** Every host of its web workloads, the domain first. */
  readonly hosts: string[];
  /** Writes the hosts' records (see `serveHosts`). */
  private readonly writeRecords: (elsewhere: ReadonlyMap<string, AliasTarget>) => void;
  /** The HTTPS listener: only once it exists does the target group health-check nodes. */
  readonly httpsListener: aws.lb.Listener;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:LoadBalancer", name, {}, opts);
    const { topology, tags } = args;
    const { domain, dns, tls } = topology;
    const parent = { parent: this };

    const alb = new aws.lb.LoadBalancer(`${name}-alb`, {
      loadBalancerType: "application",
      internal: false,
      subnets: args.subnetIds,
      securityGroups: [args.securityGroupId],
      // Requests with malformed headers never reach the app (request smuggling).
      dropInvalidHeaderFields: true,
      desyncMitigationMode: "defensive",
      // X-Forwarded-For: append the client address; the app trusts TRUSTED_PROXY_HOPS=1.
      xffHeaderProcessingMode: "append",
      enableHttp2: true,
      idleTimeout: 60,
      // Its DNS name is what the domain points at: a mistaken delete would take the
      // service off the internet until DNS follows a new one (ha-guard lb-deletion-protection).
      enableDeletionProtection: true,
      tags,
    }, parent);

    const groups = new Map(args.webs.map((web) => [web.workload, new aws.lb.TargetGroup(targetGroupName(web.logical), {
      vpcId: args.vpcId,
      port: web.port,
      protocol: "HTTP",
      targetType: "instance",
      deregistrationDelay: web.drainSeconds,
      // Round robin over stateless nodes: never pin a client to one node.
      stickiness: { type: "lb_cookie", enabled: false },
      healthCheck: {
        enabled: true,
        protocol: "HTTP",
        port: "traffic-port",
        path: web.healthCheck.path,
        matcher: "200-399",
        interval: web.healthCheck.intervalSeconds,
        timeout: web.healthCheck.timeoutSeconds,
        healthyThreshold: web.healthCheck.healthyThreshold,
        unhealthyThreshold: web.healthCheck.unhealthyThreshold,
      },
      tags,
    }, parent)]));

    const zoneId = dns.zone;
    // A host's own record keeps its place after its certificate's validation record: a
    // slot (the host's name) until serveHosts writes it.
    const records: (pulumi.Output<DnsRecord> | { host: string })[] = [];
    /** A DNS-validated ACM certificate for `host` (named `<name>-cert<suffix>`), and its validated ARN. */
    const certificateFor = (host: string, suffix: string): pulumi.Output<string> => {
      const { arn, record } = dnsValidatedCertificate({
        name: `${name}-cert${suffix}`,
        validationRecord: `${name}-cert-validation${suffix}`,
        host,
        zoneId,
        tags,
        certificateOpts: parent,
        recordOpts: parent,
        what: "the certificate",
        purpose: "certificate validation (ACM, keep it for renewals)",
        logResource: this,
      });
      if (record) records.push(record);
      return arn;
    };

    // The domain's own certificate (or the user's): its domains never change.
    const certificateArn = tls.certificate ? pulumi.output(tls.certificate) : certificateFor(domain, "");

    // The domain's "/" is the default action; without one, what no rule matches is a 404.
    const root = args.webs.find((w) => w.route.host === domain && w.route.path === "/");
    this.httpsListener = new aws.lb.Listener(`${name}-https`, {
      loadBalancerArn: alb.arn,
      port: 443,
      protocol: "HTTPS",
      sslPolicy: tlsPolicy,
      certificateArn,
      routingHttpResponseStrictTransportSecurityHeaderValue: "max-age=31536000",
      defaultActions: root
        ? [{ type: "forward", targetGroupArn: groups.get(root.workload)!.arn }]
        : [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "Not found" } }],
      tags,
    }, parent);

    new aws.lb.Listener(`${name}-http`, {
      loadBalancerArn: alb.arn,
      port: 80,
      protocol: "HTTP",
      defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
      tags,
    }, parent);

    const priorities = rulePriorities(args.webs.map((w) => w.route));
    const targets = new Map<string, WebTarget>();
    for (const web of args.webs) {
      const group = groups.get(web.workload)!;
      const serving = web === root ? this.httpsListener : new aws.lb.ListenerRule(`${web.logical}-route`, {
        listenerArn: this.httpsListener.arn,
        priority: priorities.get(routeKey(web.route))!,
        conditions: ruleConditions(web.route),
        actions: [{ type: "forward", targetGroupArn: group.arn }],
        tags,
      }, parent);
      targets.set(web.workload, { targetGroupArn: group.arn, targetGroupArnSuffix: group.arnSuffix, serving });
    }

    // Every other host: its own certificate beside the domain's (SNI picks it).
    // With the user's certificate (tls.certificate), that one must cover every host.
    const hosts = [...new Set(args.webs.map((w) => w.route.host))].filter((h) => h !== domain).sort();
    for (const host of hosts) {
      if (!tls.certificate) {
        new aws.lb.ListenerCertificate(`${name}-cert-${host}`, { listenerArn: this.httpsListener.arn, certificateArn: certificateFor(host, `-${host}`) }, parent);
      }
      records.push({ host });
    }

    this.writeRecords = (elsewhere) => {
      /** The record that sends `host` to the ALB, or to what serves it instead (in the zone, or for the user to create). */
      const serve = (host: string, suffix: string) => {
        const target = elsewhere.get(host);
        if (zoneId) {
          new aws.route53.Record(`${name}-domain${suffix}`, {
            zoneId,
            name: host,
            type: "A",
            aliases: [target ? { name: target.name, zoneId: target.zoneId, evaluateTargetHealth: false } : { name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true }],
          }, parent);
          return undefined;
        }
        if (target) {
          return pulumi.output(target.name).apply((value): DnsRecord => ({ name: host, type: "CNAME", value, purpose: target.purpose }));
        }
        return alb.dnsName.apply((value): DnsRecord => ({
          name: host, type: "CNAME", value, purpose: "serve traffic (use an ALIAS/ANAME record if the name is a zone apex)",
        }));
      };
      const domainRecord = serve(domain, "");
      const written = records.flatMap((r) => {
        if (pulumi.Output.isInstance(r)) return [r];
        const record = serve(r.host, `-${r.host}`);
        return record ? [record] : [];
      });
      this.dnsRecords = pulumi.all(domainRecord ? [domainRecord, ...written] : written);
    };

    this.dnsName = alb.dnsName;
    this.arnSuffix = alb.arnSuffix;
    this.targets = targets;
    this.zoneId = alb.zoneId;
    this.hosts = [domain, ...hosts];
    if (!args.deferRecords) this.serveHosts(new Map());
  }

  /**
   * Writes each host's record: to the ALB, or to `elsewhere`'s target for the hosts a
   * CloudFront distribution serves. The record keeps its name (and URN) either way, so
   * adding a site moves the host in place: never a delete of the record the new one wrote.
   */
  serveHosts(elsewhere: ReadonlyMap<string, AliasTarget>): void {
    this.writeRecords(elsewhere);
    this.registerOutputs({ dnsName: this.dnsName, dnsRecords: this.dnsRecords });
  }
}
