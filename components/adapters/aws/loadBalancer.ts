/**
 * The public entry: an Application Load Balancer over the public subnets, TLS 1.2+ with
 * an ACM certificate, port 80 answering only with a redirect, and a target group whose
 * health check decides which nodes serve (and, through the ASG, which are replaced).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DnsRecord } from "../adapter";
import type { Topology } from "../../topology";

/** Arguments of LoadBalancer. */
export interface LoadBalancerArgs {
  /** The topology (domain, health check, node port, DNS and TLS choices). */
  topology: Topology;
  /** The VPC. */
  vpcId: pulumi.Input<string>;
  /** Public subnets, one per zone. */
  subnetIds: pulumi.Input<string>[];
  /** The load balancer's security group. */
  securityGroupId: pulumi.Input<string>;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** TLS 1.3 with TLS 1.2 fallback, forward secrecy only. */
export const tlsPolicy = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/** ALB + certificate + listeners + target group (+ Route 53 records when a zone is given). */
export class LoadBalancer extends pulumi.ComponentResource {
  /** The ALB's DNS name: point the domain here. */
  readonly dnsName: pulumi.Output<string>;
  /** The ALB's ARN suffix (CloudWatch dimension). */
  readonly arnSuffix: pulumi.Output<string>;
  /** The target group the nodes register in. */
  readonly targetGroupArn: pulumi.Output<string>;
  /** The target group's ARN suffix (CloudWatch dimension). */
  readonly targetGroupArnSuffix: pulumi.Output<string>;
  /** Records the user must create at their DNS host (empty with `dns.zone`). */
  readonly dnsRecords: pulumi.Output<DnsRecord[]>;
  /** The HTTPS listener: only once it exists does the target group health-check nodes. */
  readonly httpsListener: aws.lb.Listener;

  constructor(name: string, args: LoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:LoadBalancer", name, {}, opts);
    const { topology, tags } = args;
    const { domain, healthCheck, nodes, dns, tls } = topology;
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

    const targets = new aws.lb.TargetGroup(`${name}-tg`, {
      vpcId: args.vpcId,
      port: nodes.port,
      protocol: "HTTP",
      targetType: "instance",
      deregistrationDelay: nodes.drainSeconds,
      // Round robin over stateless nodes: never pin a client to one node.
      stickiness: { type: "lb_cookie", enabled: false },
      healthCheck: {
        enabled: true,
        protocol: "HTTP",
        port: "traffic-port",
        path: healthCheck.path,
        matcher: "200-399",
        interval: healthCheck.intervalSeconds,
        timeout: healthCheck.timeoutSeconds,
        healthyThreshold: healthCheck.healthyThreshold,
        unhealthyThreshold: healthCheck.unhealthyThreshold,
      },
      tags,
    }, parent);

    const zoneId = dns.zone;
    let certificateArn: pulumi.Output<string>;
    const records: pulumi.Output<DnsRecord>[] = [];
    if (tls.certificate) {
      certificateArn = pulumi.output(tls.certificate);
    } else {
      const certificate = new aws.acm.Certificate(`${name}-cert`, {
        domainName: domain,
        validationMethod: "DNS",
        keyAlgorithm: "EC_prime256v1",
        tags,
      }, parent);
      const validation = certificate.domainValidationOptions.apply((options) => options[0]);
      if (zoneId) {
        const record = new aws.route53.Record(`${name}-cert-validation`, {
          zoneId,
          name: validation.resourceRecordName,
          type: validation.resourceRecordType,
          records: [validation.resourceRecordValue],
          ttl: 300,
          allowOverwrite: true,
        }, parent);
        certificateArn = new aws.acm.CertificateValidation(`${name}-cert`, {
          certificateArn: certificate.arn,
          validationRecordFqdns: [record.fqdn],
        }, parent).certificateArn;
      } else {
        const record = validation.apply((v): DnsRecord => {
          // Said while `pulumi up` waits for the certificate, so the user can act on it now.
          pulumi.log.info(
            `Create this DNS record so ACM can issue the certificate for ${domain} (the update waits for it): ` +
              `${v.resourceRecordName} ${v.resourceRecordType} ${v.resourceRecordValue}`,
            this,
          );
          return { name: v.resourceRecordName, type: v.resourceRecordType, value: v.resourceRecordValue, purpose: "certificate validation (ACM, keep it for renewals)" };
        });
        records.push(record);
        certificateArn = new aws.acm.CertificateValidation(`${name}-cert`, { certificateArn: certificate.arn }, parent).certificateArn;
      }
    }

    this.httpsListener = new aws.lb.Listener(`${name}-https`, {
      loadBalancerArn: alb.arn,
      port: 443,
      protocol: "HTTPS",
      sslPolicy: tlsPolicy,
      certificateArn,
      routingHttpResponseStrictTransportSecurityHeaderValue: "max-age=31536000",
      defaultActions: [{ type: "forward", targetGroupArn: targets.arn }],
      tags,
    }, parent);

    new aws.lb.Listener(`${name}-http`, {
      loadBalancerArn: alb.arn,
      port: 80,
      protocol: "HTTP",
      defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
      tags,
    }, parent);

    if (zoneId) {
      new aws.route53.Record(`${name}-domain`, {
        zoneId,
        name: domain,
        type: "A",
        aliases: [{ name: alb.dnsName, zoneId: alb.zoneId, evaluateTargetHealth: true }],
      }, parent);
    } else {
      records.unshift(alb.dnsName.apply((value): DnsRecord => ({
        name: domain, type: "CNAME", value, purpose: "serve traffic (use an ALIAS/ANAME record if the name is a zone apex)",
      })));
    }

    this.dnsName = alb.dnsName;
    this.arnSuffix = alb.arnSuffix;
    this.targetGroupArn = targets.arn;
    this.targetGroupArnSuffix = targets.arnSuffix;
    this.dnsRecords = pulumi.all(records);
    this.registerOutputs({ dnsName: this.dnsName, targetGroupArn: this.targetGroupArn, dnsRecords: this.dnsRecords });
  }
}
