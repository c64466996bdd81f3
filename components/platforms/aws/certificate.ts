/**
 * A DNS-validated ACM certificate for one host, shared by the ALB (loadBalancer.ts) and
 * CloudFront (cdn.ts, whose certificate lives in us-east-1): with a Route 53 zone the
 * program writes the validation record (ACM asks the same record of every certificate for
 * a name, so another certificate may hold it already: `allowOverwrite`); without one the
 * record is said while `pulumi up` waits, and listed in `dnsRecords`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DnsRecord } from "../dnsRecord";

/** Arguments of dnsValidatedCertificate. */
export interface DnsValidatedCertificateArgs {
  /** Logical names: `<name>` for the certificate and its validation, `<validationRecord>` for the Route 53 record. */
  name: string;
  /** The Route 53 record's logical name. */
  validationRecord: string;
  /** The host. */
  host: string;
  /** The Route 53 zone, if the program manages DNS. */
  zoneId: string | undefined;
  /** Tags of the certificate. */
  tags: Record<string, string>;
  /** Options of the certificate and its validation (CloudFront's: the us-east-1 provider). */
  certificateOpts: pulumi.CustomResourceOptions;
  /** Options of the Route 53 record. */
  recordOpts: pulumi.CustomResourceOptions;
  /** The certificate in the log line ("the certificate", "the CloudFront certificate"). */
  what: string;
  /** The record's purpose in `dnsRecords`. */
  purpose: string;
  /** The resource the log line is about. */
  logResource: pulumi.Resource;
}

/** The certificate's validated ARN, and the record the user must create when there is no zone. */
export function dnsValidatedCertificate(args: DnsValidatedCertificateArgs): { arn: pulumi.Output<string>; record?: pulumi.Output<DnsRecord> } {
  const { name, host, zoneId } = args;
  const certificate = new aws.acm.Certificate(name, { domainName: host, validationMethod: "DNS", keyAlgorithm: "EC_prime256v1", tags: args.tags }, args.certificateOpts);
  const validation = certificate.domainValidationOptions.apply((options) => options[0]);
  if (zoneId) {
    const record = new aws.route53.Record(args.validationRecord, {
      zoneId,
      name: validation.resourceRecordName,
      type: validation.resourceRecordType,
      records: [validation.resourceRecordValue],
      ttl: 300,
      allowOverwrite: true,
    }, args.recordOpts);
    return { arn: new aws.acm.CertificateValidation(name, { certificateArn: certificate.arn, validationRecordFqdns: [record.fqdn] }, args.certificateOpts).certificateArn };
  }
  const record = validation.apply((v): DnsRecord => {
    // Said while `pulumi up` waits for the certificate, so the user can act on it now.
    pulumi.log.info(`Create this DNS record so ACM can issue ${args.what} for ${host} (the update waits for it): ${v.resourceRecordName} ${v.resourceRecordType} ${v.resourceRecordValue}`, args.logResource);
    return { name: v.resourceRecordName, type: v.resourceRecordType, value: v.resourceRecordValue, purpose: args.purpose };
  });
  return { arn: new aws.acm.CertificateValidation(name, { certificateArn: certificate.arn }, args.certificateOpts).certificateArn, record };
}
