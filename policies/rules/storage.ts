/**
 * storage-private, storage-versioning, storage-encryption: the object store holding the
 * service's files is private, keeps old versions, and is encrypted. On AWS each setting is
 * its own resource pointing at the bucket, so these are stack rules.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { overStack } from "../dispatch";
import { list, obj, str } from "../props";
import { aws, digitalocean, gcp } from "../resourceTypes";
import { describe, StackView } from "../stackView";

const bucketTypes = [...aws.bucket, gcp.bucket, digitalocean.spacesBucket];
const publicAcls = ["public-read", "public-read-write", "authenticated-read"];
const publicMembers = ["allUsers", "allAuthenticatedUsers"];

/** The S3 setting resources (`types`) that point at a bucket. */
function s3Settings(view: StackView, bucket: PolicyResource, types: readonly string[]): PolicyResource[] {
  return view.referrers(bucket, types, "bucket");
}

/** A stack rule over every bucket, one message per problem. */
function bucketRule(check: (view: StackView, bucket: PolicyResource) => string | undefined) {
  return overStack(
    (view) => view.ofType(bucketTypes).length > 0,
    "the stack has no S3, GCS or Spaces bucket",
    (view, report) => {
      for (const bucket of view.ofType(bucketTypes)) {
        const problem = check(view, bucket);
        if (problem) report(`${describe(bucket)} ${problem}`, bucket.urn);
      }
    },
  );
}

export const storagePrivate: StackValidationPolicy = {
  name: "storage-private",
  description:
    "Buckets are private: S3 buckets have a public access block with all four settings on and no public ACL, GCS buckets enforce " +
    "publicAccessPrevention and grant nothing to allUsers, Spaces buckets use the private ACL. Serve public files through the app or a CDN.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: bucketRule((view, bucket) => {
    if ((aws.bucket as readonly string[]).includes(bucket.type)) {
      const acls = [str(bucket.props.acl), ...s3Settings(view, bucket, aws.bucketAcl).map((a) => str(a.props.acl))];
      if (acls.some((a) => publicAcls.includes(a ?? ""))) return "has a public ACL: remove it (and set object ownership to BucketOwnerEnforced).";
      const blocks = s3Settings(view, bucket, [aws.bucketPublicAccessBlock]);
      const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
      if (!blocks.some((b) => flags.every((f) => b.props[f] === true))) {
        return `has no BucketPublicAccessBlock with ${flags.join(", ")} all true: add one.`;
      }
    } else if (bucket.type === gcp.bucket) {
      if (str(bucket.props.publicAccessPrevention) !== "enforced") return 'does not enforce public access prevention: set publicAccessPrevention to "enforced" (and uniformBucketLevelAccess to true).';
      const grants = view.referrers(bucket, gcp.bucketIam, "bucket").filter((g) => [str(g.props.member), ...list(g.props.members)].some((m) => publicMembers.includes(String(m))));
      if (grants.length > 0) return `is granted to ${publicMembers.join("/")} by ${grants.map(describe).join(", ")}: remove the grant.`;
    } else if (publicAcls.includes(str(bucket.props.acl) ?? "private")) {
      return `has the ${String(bucket.props.acl)} ACL: use "private".`;
    }
    return undefined;
  }),
};

export const storageVersioning: StackValidationPolicy = {
  name: "storage-versioning",
  description:
    "Buckets keep old object versions, so an overwrite or delete can be undone: an S3 BucketVersioning with status Enabled, GCS or " +
    "Spaces versioning.enabled.",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateStack: bucketRule((view, bucket) => {
    if ((aws.bucket as readonly string[]).includes(bucket.type)) {
      const enabled =
        obj(bucket.props.versioning).enabled === true ||
        s3Settings(view, bucket, aws.bucketVersioning).some((v) => str(v.props, "versioningConfiguration.status") === "Enabled");
      return enabled ? undefined : 'keeps no old versions: add a BucketVersioning with versioningConfiguration { status: "Enabled" }.';
    }
    return obj(bucket.props.versioning).enabled === true ? undefined : "keeps no old versions: set versioning { enabled: true }.";
  }),
};

export const storageEncryption: StackValidationPolicy = {
  name: "storage-encryption",
  description:
    "Buckets declare their encryption at rest: an S3 BucketServerSideEncryptionConfiguration (AES256 or aws:kms), so the setting is " +
    "reviewed and kept in the stack. GCS and Spaces always encrypt.",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateStack: overStack(
    (view) => view.ofType(aws.bucket).length > 0,
    "the stack has no S3 bucket (GCS and Spaces always encrypt)",
    (view, report) => {
      for (const bucket of view.ofType(aws.bucket)) {
        const declared =
          Object.keys(obj(bucket.props.serverSideEncryptionConfiguration)).length > 0 ||
          s3Settings(view, bucket, aws.bucketEncryption).some((e) => list(e.props.rules).length > 0);
        if (!declared) report(`${describe(bucket)} declares no encryption: add a BucketServerSideEncryptionConfiguration (sseAlgorithm "AES256" or "aws:kms").`, bucket.urn);
      }
    },
  ),
};
