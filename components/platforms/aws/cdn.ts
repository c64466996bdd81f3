/**
 * The CloudFront distribution of one host that serves a static site (issue 17): the
 * sites' buckets (Origin Access Control, sigv4) and, for the web workloads on the same
 * host, the ALB as a second origin, so `/` and `/api` share one domain and one TLS.
 *
 * - Viewers: HTTPS only (HTTP is redirected), TLS 1.2+ (TLSv1.2_2021), the host as the
 *   alias, with an ACM certificate in us-east-1 (CloudFront takes none from elsewhere),
 *   DNS-validated like the ALB's.
 * - Web routes: an ordered behaviour per prefix (`/api` and `/api/*`) to the ALB over
 *   HTTPS, every method, nothing cached (CachingDisabled), and every viewer header,
 *   the Host included (AllViewer): the ALB's rules match the host, and CloudFront checks
 *   the ALB's certificate (the domain's) against the Host it sends.
 * - Sites: their prefix (or the default behaviour at `/`) to their bucket, cached as the
 *   files' Cache-Control says (CachingOptimized honours it): HTML a minute, hashed files
 *   a year. A viewer-request function serves `index.html` for a directory and, for a
 *   single-page app, for every path without an extension; the API's own 404s are
 *   untouched (a custom error response would rewrite them too).
 * - Only the distribution reads the buckets: each bucket's policy admits the CloudFront
 *   service for this distribution's ARN alone (aws:SourceArn), on top of TLS only.
 *
 * No invalidation: @pulumi/aws has no invalidation resource, so a deploy relies on the
 * cache policy: a changed index.html is served within its max-age, and hashed files
 * never change under their names.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DnsRecord } from "../dnsRecord";
import type { Route } from "../../model/model";
import { fitName } from "../../physicalNames";
import { CdnInvalidation } from "./cdnInvalidation";
import { dnsValidatedCertificate } from "./certificate";
import { pathDepth } from "./routing";
import type { SiteOrigin } from "./site";

/** CloudFront's managed policies (the same ids in every account). */
export const managedPolicies = {
  /** Cache policy: cache by path only, honour the origin's Cache-Control (1 s to a year), gzip and brotli. */
  cachingOptimized: "658327ea-f89d-4fab-a63d-7e88639e58f6",
  /** Cache policy: nothing cached. */
  cachingDisabled: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
  /** Origin request policy: every viewer header, cookie and query string, the Host included. */
  allViewer: "216adef6-5c7f-47e4-b989-5492eafa07d3",
  /** Response headers policy: HSTS, nosniff, frame options, referrer policy, XSS protection. */
  securityHeaders: "67f7725c-6f97-4210-82d7-5512b31e9d03",
} as const;

/** Every method, for the API (CloudFront's list). */
const allMethods = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"];

/** The viewer-request function of a site: its directory paths (and a SPA's routes) to index.html. */
export function siteFunctionCode(routePath: string, spa: boolean): string {
  const prefix = routePath === "/" ? "" : routePath;
  return [
    "function handler(event) {",
    "  var request = event.request;",
    "  var uri = request.uri;",
    `  var prefix = ${JSON.stringify(prefix)};`,
    '  if (uri === prefix || uri === prefix + "/") {',
    '    request.uri = prefix + "/index.html";',
    '  } else if (uri.charAt(uri.length - 1) === "/") {',
    '    request.uri = uri + "index.html";',
    ...(spa
      ? [
          // A path whose last part has no extension is a route of the app, not a file.
          '  } else if (uri.substring(uri.lastIndexOf("/") + 1).indexOf(".") === -1) {',
          '    request.uri = prefix + "/index.html";',
        ]
      : []),
    "  }",
    "  return request;",
    "}",
    "",
  ].join("\n");
}

/**
 * A CloudFront object's logical name: Pulumi appends 8 characters to make its name, and
 * CloudFront takes 64 (a function's, an OAC's, a policy's), so a long one is cut with a hash.
 */
function cloudfrontName(logical: string): string {
  return fitName(logical, 56);
}

/** The path patterns of a route prefix: the prefix itself and everything under it. */
function patterns(path: string): string[] {
  return [path, `${path}/*`];
}

/** Arguments of Cdn. */
export interface CdnArgs {
  /** The host it serves (its alias and its certificate's name). */
  host: string;
  /** The sites on the host. */
  sites: SiteOrigin[];
  /** The web workloads' routes on the host (to the ALB). */
  webs: Route[];
  /** The ALB's DNS name, when a web workload is on the host. */
  albDnsName?: pulumi.Input<string>;
  /** The Route 53 zone (`dns.zone`): records are made there; unset, they are returned for the user. */
  zoneId?: string;
  /** The user's certificate (`tls.certificate`), used when it is in us-east-1. */
  certificate?: string;
  /** The provider in us-east-1, for the certificate. */
  usEast1: aws.Provider;
  /** True when the ALB's record for the host is moved here (LoadBalancer.serveHosts): no record of its own. */
  albHasRecord: boolean;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** A host's distribution, its certificate, and its sites' bucket policies. */
export class Cdn extends pulumi.ComponentResource {
  /** The distribution's domain (`d123.cloudfront.net`): what the host points at. */
  readonly domainName: pulumi.Output<string>;
  /** The distribution's Route 53 hosted zone id (alias records). */
  readonly hostedZoneId: pulumi.Output<string>;
  /** The distribution's ARN (what the buckets admit). */
  readonly arn: pulumi.Output<string>;
  /** Records the user must create (certificate validation; the host's own when the ALB has none for it). */
  readonly dnsRecords: pulumi.Output<DnsRecord>[];

  constructor(name: string, args: CdnArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:Cdn", name, {}, opts);
    const { host, sites, webs, zoneId, tags } = args;
    const parent = { parent: this };
    const records: pulumi.Output<DnsRecord>[] = [];

    const certificateArn = args.certificate ? pulumi.output(args.certificate) : this.certificate(name, host, zoneId, args.usEast1, tags, records);

    const oac = new aws.cloudfront.OriginAccessControl(cloudfrontName(`${name}-oac`), {
      description: `CloudFront reads the site buckets of ${host}, signed (sigv4)`,
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    }, parent);

    const albOrigin = "alb";
    const origins: aws.types.input.cloudfront.DistributionOrigin[] = sites.map((s) => ({
      originId: `site-${s.site.name}`,
      domainName: s.bucket.regionalDomainName,
      originAccessControlId: oac.id,
    }));
    if (webs.length > 0) {
      if (!args.albDnsName) throw new Error(`aws: the web routes of ${host} have no load balancer for the CDN to forward to`);
      origins.push({
        originId: albOrigin,
        domainName: args.albDnsName,
        customOriginConfig: {
          httpPort: 80,
          httpsPort: 443,
          originProtocolPolicy: "https-only",
          originSslProtocols: ["TLSv1.2"],
          // The ALB's idle timeout is 60 s (loadBalancer.ts).
          originReadTimeout: 60,
          originKeepaliveTimeout: 5,
        },
      });
    }

    type Behaviour = aws.types.input.cloudfront.DistributionDefaultCacheBehavior;
    const toAlb: Behaviour = {
      targetOriginId: albOrigin,
      viewerProtocolPolicy: "redirect-to-https",
      allowedMethods: allMethods,
      cachedMethods: ["GET", "HEAD"],
      cachePolicyId: managedPolicies.cachingDisabled,
      originRequestPolicyId: managedPolicies.allViewer,
      compress: false,
    };
    const siteBehaviour = new Map(sites.map((s) => {
      const fn = new aws.cloudfront.Function(cloudfrontName(`${name}-${s.site.name}-paths`), {
        runtime: "cloudfront-js-2.0",
        comment: `${s.site.spa ? "Single-page app: routes and directories" : "Directories"} of ${s.site.name} to index.html`,
        code: siteFunctionCode(s.site.route.path, s.site.spa),
        publish: true,
      }, parent);
      const cors = s.site.cors
        ? new aws.cloudfront.ResponseHeadersPolicy(cloudfrontName(`${name}-${s.site.name}-cors`), {
            comment: `CORS of ${s.site.name}: GET and HEAD from its origins; the security headers`,
            corsConfig: {
              accessControlAllowCredentials: false,
              accessControlAllowHeaders: { items: ["*"] },
              accessControlAllowMethods: { items: ["GET", "HEAD", "OPTIONS"] },
              accessControlAllowOrigins: { items: s.site.cors.origins },
              accessControlMaxAgeSec: 3600,
              originOverride: true,
            },
            securityHeadersConfig: {
              strictTransportSecurity: { accessControlMaxAgeSec: 31536000, override: true },
              contentTypeOptions: { override: true },
              referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
            },
          }, parent)
        : undefined;
      const behaviour: Behaviour = {
        targetOriginId: `site-${s.site.name}`,
        viewerProtocolPolicy: "redirect-to-https",
        allowedMethods: ["GET", "HEAD", "OPTIONS"],
        cachedMethods: ["GET", "HEAD"],
        cachePolicyId: managedPolicies.cachingOptimized,
        responseHeadersPolicyId: cors ? cors.id : managedPolicies.securityHeaders,
        compress: true,
        functionAssociations: [{ eventType: "viewer-request", functionArn: fn.arn }],
      };
      return [s, behaviour] as const;
    }));

    // The default: the site or web at "/", else the ALB (its 404), else the first site.
    const rootSite = sites.find((s) => s.site.route.path === "/");
    const rootWeb = webs.some((w) => w.path === "/");
    const defaultBehaviour = rootSite ? siteBehaviour.get(rootSite)! : rootWeb || webs.length > 0 ? toAlb : siteBehaviour.get(sites[0])!;
    // Ordered: deeper prefixes first (the first match wins, and `/api` must not shadow `/api/v2`), then by text.
    const prefixes = [
      ...webs.filter((w) => w.path !== "/").map((w) => ({ path: w.path, behaviour: toAlb })),
      ...sites.filter((s) => s !== rootSite).map((s) => ({ path: s.site.route.path, behaviour: siteBehaviour.get(s)! })),
    ].sort((a, b) => pathDepth(b.path) - pathDepth(a.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

    const distribution = new aws.cloudfront.Distribution(`${name}-distribution`, {
      enabled: true,
      comment: `${host}: ${sites.map((s) => `site ${s.site.name} at ${s.site.route.path}`).concat(webs.map((w) => `web at ${w.path}`)).join(", ")}`,
      aliases: [host],
      isIpv6Enabled: true,
      httpVersion: "http2and3",
      priceClass: "PriceClass_All",
      origins,
      defaultCacheBehavior: defaultBehaviour,
      orderedCacheBehaviors: prefixes.flatMap(({ path, behaviour }) => patterns(path).map((pathPattern) => ({ ...behaviour, pathPattern }))),
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate: { acmCertificateArn: certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" },
      tags,
    }, parent);

    // After the uploads, CloudFront drops the paths whose file changed (cdnInvalidation.ts).
    new CdnInvalidation(`${name}-invalidation`, {
      distributionId: distribution.id,
      files: Object.assign({}, ...sites.map((s) => s.files)) as Record<string, string>,
    }, { ...parent, dependsOn: sites.flatMap((s) => s.objects) });

    // Each bucket admits this distribution only: the CloudFront service, for its ARN.
    for (const s of sites) {
      s.bucket.writePolicy([{
        sid: "CloudFrontReadsThisSite",
        effect: "Allow",
        principals: [{ type: "Service", identifiers: ["cloudfront.amazonaws.com"] }],
        // ListBucket: a missing file is a 404, not S3's 403.
        actions: ["s3:GetObject", "s3:ListBucket"],
        resources: [s.bucket.arn, pulumi.interpolate`${s.bucket.arn}/*`],
        conditions: [{ test: "StringEquals", variable: "aws:SourceArn", values: [distribution.arn] }],
      }]);
    }

    // The host's record, unless the ALB's record for it moves here (same record, no delete).
    if (!args.albHasRecord) {
      if (zoneId) {
        new aws.route53.Record(`${name}-domain`, {
          zoneId,
          name: host,
          type: "A",
          aliases: [{ name: distribution.domainName, zoneId: distribution.hostedZoneId, evaluateTargetHealth: false }],
        }, parent);
      } else {
        records.unshift(distribution.domainName.apply((value): DnsRecord => ({ name: host, type: "CNAME", value, purpose: cdnRecordPurpose })));
      }
    }
    // IPv6 viewers: the distribution answers on both.
    if (zoneId) {
      new aws.route53.Record(`${name}-domain-ipv6`, {
        zoneId,
        name: host,
        type: "AAAA",
        aliases: [{ name: distribution.domainName, zoneId: distribution.hostedZoneId, evaluateTargetHealth: false }],
      }, parent);
    }

    this.domainName = distribution.domainName;
    this.hostedZoneId = distribution.hostedZoneId;
    this.arn = distribution.arn;
    this.dnsRecords = records;
    this.registerOutputs({ domainName: this.domainName });
  }

  /** A DNS-validated ACM certificate for the host in us-east-1 (as the ALB's: certificate.ts), and its validated ARN. */
  private certificate(name: string, host: string, zoneId: string | undefined, provider: aws.Provider, tags: Record<string, string>, records: pulumi.Output<DnsRecord>[]): pulumi.Output<string> {
    const { arn, record } = dnsValidatedCertificate({
      name: `${name}-cert`,
      validationRecord: `${name}-cert-validation`,
      host,
      zoneId,
      tags,
      certificateOpts: { parent: this, provider },
      recordOpts: { parent: this },
      what: "the CloudFront certificate",
      purpose: "certificate validation (ACM in us-east-1 for CloudFront, keep it for renewals)",
      logResource: this,
    });
    if (record) records.push(record);
    return arn;
  }
}

/** What the host's record is for, in `dnsRecords`. */
export const cdnRecordPurpose = "serve traffic through CloudFront (use an ALIAS/ANAME record if the name is a zone apex)";
