/**
 * Object storage for the app's files: an S3 bucket that is private (public access
 * blocked, ACLs disabled), versioned, encrypted and reachable over TLS only.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StorageSpec } from "../../topology";

/** Arguments of Bucket. */
export interface BucketArgs {
  /** The storage part of the topology. */
  spec: StorageSpec;
  /** Tags for every resource. */
  tags: Record<string, string>;
  /**
   * True when the bucket's policy is written later by `writePolicy` (a site's bucket: its
   * policy admits a CloudFront distribution that is built after it). Unset: now, TLS only.
   */
  deferPolicy?: boolean;
}

/** One statement of a bucket policy, as aws.iam.getPolicyDocument takes it. */
export type PolicyStatement = aws.types.input.iam.GetPolicyDocumentStatementArgs;

/** A private, versioned, encrypted S3 bucket. */
export class Bucket extends pulumi.ComponentResource {
  /** The bucket's name. */
  readonly name: pulumi.Output<string>;
  /** The bucket's ARN (for the nodes' IAM policy). */
  readonly arn: pulumi.Output<string>;
  /** The bucket's region. */
  readonly region: pulumi.Output<string>;
  /** The bucket's regional domain name (a CloudFront origin's). */
  readonly regionalDomainName: pulumi.Output<string>;
  /** The S3 bucket itself and its public access block (a policy waits for the block). */
  private readonly bucket: aws.s3.Bucket;
  private readonly publicAccess: aws.s3.BucketPublicAccessBlock;
  /** The component's name: its resources' names start with it. */
  private readonly logicalName: string;

  constructor(name: string, args: BucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:Bucket", name, {}, opts);
    this.logicalName = name;
    const { spec, tags } = args;
    // The bucket's settings are separate resources, deleted before the bucket on a destroy
    // (pulumi/pulumi#6191). A destroy that then stops at the bucket (protected, and never
    // force-destroyed) would leave it unversioned, unencrypted by default and open to
    // public policies. So each one is kept on delete: removing it from the stack only
    // forgets it, and the bucket keeps its protections; a later `pulumi up` writes the
    // same settings again (each is a PUT of the whole configuration).
    const parent = { parent: this, retainOnDelete: true };

    // forceDestroy stays off: `pulumi destroy` must not delete the app's files. Protected:
    // deletion and replacement are refused until `pulumi state unprotect` (README).
    const bucket = new aws.s3.Bucket(`${name}-files`, { forceDestroy: false, tags }, { parent: this, protect: true });
    const bucketArgs = { bucket: bucket.bucket };

    const publicAccess = new aws.s3.BucketPublicAccessBlock(`${name}-files`, {
      ...bucketArgs,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }, parent);
    new aws.s3.BucketOwnershipControls(`${name}-files`, { ...bucketArgs, rule: { objectOwnership: "BucketOwnerEnforced" } }, parent);
    new aws.s3.BucketVersioning(`${name}-files`, { ...bucketArgs, versioningConfiguration: { status: "Enabled" } }, parent);
    new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-files`, {
      ...bucketArgs,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
    }, parent);
    new aws.s3.BucketLifecycleConfiguration(`${name}-files`, {
      ...bucketArgs,
      rules: [{
        id: "expire-old-versions",
        status: "Enabled",
        filter: {},
        // Versioning keeps deleted and overwritten files recoverable for this long.
        noncurrentVersionExpiration: { noncurrentDays: spec.noncurrentVersionDays },
        abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
      }],
    }, parent);
    this.bucket = bucket;
    this.publicAccess = publicAccess;
    if (!args.deferPolicy) this.writePolicy([]);

    this.name = bucket.bucket;
    this.arn = bucket.arn;
    this.region = bucket.region;
    this.regionalDomainName = bucket.bucketRegionalDomainName;
    this.registerOutputs({ name: this.name, arn: this.arn });
  }

  /**
   * The bucket's one policy: TLS only, then `extra` (a CloudFront distribution's read).
   * Called once, by the constructor or (deferPolicy) by whoever builds the reader.
   */
  writePolicy(extra: PolicyStatement[]): aws.s3.BucketPolicy {
    const bucket = this.bucket;
    const parent = { parent: this, retainOnDelete: true };
    return new aws.s3.BucketPolicy(`${this.logicalName}-files`, {
      bucket: bucket.bucket,
      policy: aws.iam.getPolicyDocumentOutput({
        statements: [{
          sid: "DenyInsecureTransport",
          effect: "Deny",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["s3:*"],
          resources: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
          conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        }, ...extra],
      }, parent).json,
      // A policy written before the public access block could be judged public.
    }, { ...parent, dependsOn: [this.publicAccess] });
  }
}
