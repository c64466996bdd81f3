/**
 * lb-tls-min-version: the load balancer refuses TLS 1.0 and 1.1.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { overStack } from "../dispatch";
import { list, obj, objects, str } from "../props";
import { aws, gcp, kubernetes } from "../resourceTypes";
import { describe } from "../stackView";

/** ELB security policies whose lowest protocol is TLS 1.2 or 1.3. */
const awsModernPolicy = /^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-[23]|FS-1-2)/;

export const tlsVersion: StackValidationPolicy = {
  name: "lb-tls-min-version",
  description:
    "HTTPS listeners accept TLS 1.2 or newer only: an ALB listener's sslPolicy is a TLS 1.2+ policy (ELBSecurityPolicy-TLS13-1-2-2021-06; " +
    "the default allows TLS 1.0), a GCP HTTPS proxy has an SSLPolicy with minTlsVersion TLS_1_2 (the default allows 1.0), an Ingress " +
    "does not enable older protocols, a CloudFront distribution has its own certificate with minimumProtocolVersion TLSv1.2_2018 or " +
    "newer (the default *.cloudfront.net certificate accepts TLS 1.0) and custom origins offered TLS 1.2 only (originSslProtocols). DigitalOcean load balancers accept TLS 1.2+ only.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: overStack(
    (view) => view.ofType(aws.listener).length + view.ofType(aws.cloudfrontDistribution).length + view.ofType(gcp.httpsProxy).length + view.ofType(kubernetes.ingress).length > 0,
    "the stack has no ALB listener, CloudFront distribution, GCP HTTPS proxy or Ingress",
    (view, report) => {
      for (const listener of view.ofType(aws.listener)) {
        if (!["HTTPS", "TLS"].includes(str(listener.props.protocol) ?? "")) continue;
        const policy = str(listener.props.sslPolicy) ?? "ELBSecurityPolicy-2016-08 (the default)";
        if (!awsModernPolicy.test(policy)) {
          report(`${describe(listener)} uses sslPolicy ${policy}, which accepts TLS below 1.2. Use ELBSecurityPolicy-TLS13-1-2-2021-06.`, listener.urn);
        }
      }
      for (const distribution of view.ofType(aws.cloudfrontDistribution)) {
        const certificate = obj(distribution.props.viewerCertificate);
        if (certificate.cloudfrontDefaultCertificate === true || (!certificate.acmCertificateArn && !certificate.iamCertificateId)) {
          report(`${describe(distribution)} uses CloudFront's default *.cloudfront.net certificate, which accepts TLS 1.0: serve an alias with an ACM certificate (us-east-1) and minimumProtocolVersion "TLSv1.2_2021".`, distribution.urn);
          continue;
        }
        const version = str(certificate.minimumProtocolVersion) ?? "TLSv1 (the default)";
        if (!/^TLSv1\.[23]_/.test(version)) {
          report(`${describe(distribution)} accepts ${version} (viewerCertificate.minimumProtocolVersion): set it to "TLSv1.2_2021".`, distribution.urn);
        }
      }
      // The edge's hop to a custom origin over HTTPS: CloudFront offers the oldest protocol
      // listed, so an origin that still takes TLS 1.0 is reached with it.
      for (const distribution of view.ofType(aws.cloudfrontDistribution)) {
        for (const origin of objects(distribution.props.origins)) {
          const config = obj(origin.customOriginConfig);
          if (Object.keys(config).length === 0 || str(config.originProtocolPolicy) === "http-only") continue;
          const old = list(config.originSslProtocols).map(String).filter((p) => ["SSLv3", "TLSv1", "TLSv1.1"].includes(p));
          if (old.length > 0) {
            report(`${describe(distribution)} may reach its origin ${str(origin.originId) ?? "?"} with ${old.join(", ")} (customOriginConfig.originSslProtocols): list "TLSv1.2" only.`, distribution.urn);
          }
        }
      }
      for (const proxy of view.ofType(gcp.httpsProxy)) {
        const policies = view.refs(proxy, "sslPolicy", gcp.sslPolicy);
        const versions = policies.map((p) => str(p.props.minTlsVersion) ?? "TLS_1_0");
        if (policies.length === 0 || versions.some((v) => !["TLS_1_2", "TLS_1_3"].includes(v))) {
          report(`${describe(proxy)} accepts TLS ${versions[0] ?? "1.0 (no sslPolicy)"}: attach an SSLPolicy with minTlsVersion "TLS_1_2" and profile "MODERN" or "RESTRICTED".`, proxy.urn);
        }
      }
      for (const ingress of view.ofType(kubernetes.ingress)) {
        // Annotation keys contain dots: index the map rather than walk a dotted path.
        const protocols = str(obj(ingress.props, "metadata.annotations")["nginx.ingress.kubernetes.io/ssl-protocols"]);
        if (protocols !== undefined && /TLSv1(\.[01])?(\s|$)/.test(protocols)) {
          report(`${describe(ingress)} enables ${protocols} (nginx.ingress.kubernetes.io/ssl-protocols): allow "TLSv1.2 TLSv1.3" only.`, ingress.urn);
        }
      }
    },
  ),
};
