/**
 * storage-private, storage-versioning, storage-encryption: the object store holding the
 * service's files is private, keeps old versions, and is encrypted. On AWS each setting is
 * its own resource pointing at the bucket, so these are stack rules.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { siteRole, spacesObjectRoleMetadata } from "../contract/roles";
import { overStack } from "../dispatch";
import { list, obj, objects, str } from "../props";
import { aws, digitalocean, gcp } from "../resourceTypes";
import { describe, StackView, unique } from "../stackView";

const bucketTypes = [...aws.bucket, gcp.bucket, digitalocean.spacesBucket];
const publicAcls = ["public-read", "public-read-write", "authenticated-read"];
const publicMembers = ["allUsers", "allAuthenticatedUsers"];

/** True when a BucketIAMPolicy's `policyData` (JSON, or already an object) binds a role to allUsers/allAuthenticatedUsers. */
function publicIamPolicy(policyData: unknown): boolean {
  let data = policyData;
  if (typeof data === "string") {
    try {
      data = JSON.parse(data);
    } catch {
      return false;
    }
  }
  return objects(data, "bindings").some((b) => list(b.members).some((m) => publicMembers.includes(String(m))));
}

/**
 * What to do instead of publishing a bucket: a bucket a backend bucket serves (Cloud CDN's
 * origin) stays private and grants roles/storage.objectViewer to the load balancer's
 * service agent (private bucket access); another bucket is read through the app or a CDN.
 */
function gcpPrivateWay(view: StackView, bucket: PolicyResource): string {
  const served = view.referrers(bucket, gcp.backendBucket, "bucketName");
  if (served.length === 0) return "remove the grant.";
  return `remove it: ${served.map(describe).join(", ")} can read a private bucket when the bucket grants roles/storage.objectViewer to the load balancer's service agent, serviceAccount:service-<project number>@https-lb.iam.gserviceaccount.com (Cloud CDN private bucket access), and nothing to the public.`;
}

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

/** True when a bucket policy document lets anyone (Principal "*") in without a condition. */
function publicPolicy(document: unknown): boolean {
  let doc = document;
  if (typeof doc === "string") {
    try {
      doc = JSON.parse(doc);
    } catch {
      return false;
    }
  }
  return objects(doc, "Statement").some((st) => {
    const principal = st.Principal;
    const anyone = principal === "*" || list(obj(principal).AWS).includes("*");
    // The CloudFront service with no condition: every distribution of every account may
    // read through it (an Origin Access Control grant must name its distribution, aws:SourceArn).
    const services = obj(principal).Service;
    const anyDistribution = (services === "cloudfront.amazonaws.com" || list(services).includes("cloudfront.amazonaws.com"));
    return str(st.Effect) === "Allow" && (anyone || anyDistribution) && Object.keys(obj(st.Condition)).length === 0;
  });
}

const blockFlags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];

/**
 * An S3 bucket is private unless the stack makes it public: since April 2023 every new bucket
 * has all four Block Public Access settings on and ACLs disabled (BucketOwnerEnforced). A gap is
 * a BucketPublicAccessBlock that turns a setting off, or a public ACL or bucket policy.
 */
function s3Private(view: StackView, bucket: PolicyResource): string | undefined {
  const blocks = s3Settings(view, bucket, [aws.bucketPublicAccessBlock]);
  // A setting left unset in a BucketPublicAccessBlock is false (the provider's default).
  const off = unique(blocks.flatMap((b) => blockFlags.filter((f) => b.props[f] !== true)));
  if (off.length > 0) return `has a BucketPublicAccessBlock that turns off ${off.join(", ")}: set all four to true (new buckets have them on by default).`;
  const acls = [str(bucket.props.acl), ...s3Settings(view, bucket, aws.bucketAcl).map((a) => str(a.props.acl))];
  if (acls.some((a) => publicAcls.includes(a ?? ""))) return "has a public ACL: remove it (and set object ownership to BucketOwnerEnforced).";
  const policies = [bucket.props.policy, ...s3Settings(view, bucket, [aws.bucketPolicy]).map((p) => p.props.policy)];
  if (policies.some(publicPolicy)) return 'has a bucket policy that allows Principal "*" (or the CloudFront service, which is every distribution of every account) without a condition: grant the app\'s role, or CloudFront with aws:SourceArn naming your distribution (Origin Access Control), instead.';
  return undefined;
}

/** A CDN's index keys: its origin and every part of it before a dot (the bucket name an origin starts with). */
function originKeys(cdn: PolicyResource): string[] {
  const origin = str(cdn.props.origin);
  if (origin === undefined) return [];
  const keys = [origin];
  for (let i = origin.indexOf("."); i >= 0; i = origin.indexOf(".", i + 1)) keys.push(origin.slice(0, i));
  return keys;
}

/**
 * A Spaces bucket is private when its ACL is, no bucket policy lets anyone in, and none of
 * its objects is public, except a static site's: the Spaces CDN has no origin access
 * control and serves only public-read objects, so a site's files are public one by one
 * (contract/roles.ts `siteRole`, declared in each object's metadata) while the bucket's
 * listing stays private; such a bucket must be served by a Spaces CDN (an endpoint whose
 * origin is the bucket), or its public files are just public files.
 */
function spacesPrivate(view: StackView, bucket: PolicyResource): string | undefined {
  const acl = str(bucket.props.acl) ?? "private";
  if (publicAcls.includes(acl)) return `has the ${acl} ACL: use "private" (it makes the bucket's listing public; a static site's files are made public one by one, as public-read objects).`;
  const policies = view.referrers(bucket, [digitalocean.spacesBucketPolicy], "bucket").map((p) => p.props.policy);
  if (policies.some(publicPolicy)) return 'has a bucket policy that allows Principal "*" without a condition: grant access with a Spaces key instead (a static site\'s files are public-read objects, not a policy).';
  const publicObjects = view.referrers(bucket, [digitalocean.spacesBucketObject], "bucket").filter((o) => publicAcls.includes(str(o.props.acl) ?? "private"));
  if (publicObjects.length === 0) return undefined;
  const undeclared = publicObjects.filter((o) => str(obj(o.props.metadata)[spacesObjectRoleMetadata]) !== siteRole);
  if (undeclared.length > 0) {
    return `has public objects that are not a static site's: ${undeclared.map(describe).join(", ")}: make them private (serve them through the app or presigned URLs), or, for a site's files served by a Spaces CDN, declare them (metadata ${spacesObjectRoleMetadata}: ${siteRole}, contract/roles.ts).`;
  }
  const domain = str(bucket.props.bucketDomainName);
  const name = str(bucket.props.name);
  const candidates = view.filedUnder(digitalocean.cdn, originKeys, [domain, name].filter((k): k is string => k !== undefined));
  const served = view.referrers(bucket, [digitalocean.cdn], "origin").length > 0 ||
    candidates.some((c) => { const origin = str(c.props.origin); return origin !== undefined && (origin === domain || (name !== undefined && origin.startsWith(`${name}.`))); });
  if (!served) return `holds ${publicObjects.length} public objects declared a static site's (${spacesObjectRoleMetadata}: ${siteRole}) but no Spaces CDN serves it: add a digitalocean.Cdn whose origin is the bucket (bucketDomainName), or make the objects private.`;
  return undefined;
}

export const storagePrivate: StackValidationPolicy = {
  name: "storage-private",
  description:
    "Buckets are private: S3 buckets keep Block Public Access on (the default for new buckets since 2023; a BucketPublicAccessBlock " +
    "must not turn a setting off) and have no public ACL or policy (a grant to the CloudFront service must name its distribution in aws:SourceArn), GCS buckets grant nothing to allUsers/allAuthenticatedUsers " +
    "(no IAM member, binding or policy, no bucket or object ACL; publicAccessPrevention not \"inherited\" hardens it further; a bucket a " +
    "backend bucket serves grants roles/storage.objectViewer to the load balancer's service agent instead, Cloud CDN private bucket access), " +
    "Spaces buckets use the private ACL, no public bucket policy and no public-read " +
    "object, except a static site's files (metadata ha-topology-role: site, contract/roles.ts) in a bucket a Spaces CDN serves: the Spaces CDN " +
    "has no origin access control and serves public-read objects only, so those files are public one by one and the listing stays private. " +
    "Serve other public files through the app or a CDN.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: bucketRule((view, bucket) => {
    if ((aws.bucket as readonly string[]).includes(bucket.type)) return s3Private(view, bucket);
    if (bucket.type === gcp.bucket) {
      const grants = [
        ...view.referrers(bucket, gcp.bucketIam, "bucket").filter((g) => [str(g.props.member), ...list(g.props.members)].some((m) => publicMembers.includes(String(m)))),
        ...view.referrers(bucket, [gcp.bucketIamPolicy], "bucket").filter((g) => publicIamPolicy(g.props.policyData)),
      ];
      const publicEntry = (e: unknown) => publicMembers.some((m) => String(e).endsWith(`:${m}`));
      const acls = [
        ...view.referrers(bucket, [...gcp.bucketAccessControl, gcp.objectAccessControl], "bucket").filter((a) => publicMembers.includes(str(a.props.entity) ?? "")),
        ...view.referrers(bucket, [...gcp.bucketAclList, gcp.objectAcl], "bucket").filter((a) => [...list(a.props.roleEntities), ...list(a.props.roleEntity)].some(publicEntry)),
      ];
      const enforced = str(bucket.props.publicAccessPrevention) === "enforced";
      const publicPredefined = ["publicRead", "publicReadWrite", "authenticatedRead"].includes(str(bucket.props.predefinedAcl) ?? "");
      if (grants.length > 0 || acls.length > 0) return `is granted to ${publicMembers.join("/")} by ${[...grants, ...acls].map(describe).join(", ")}: ${gcpPrivateWay(view, bucket)}`;
      if (!enforced && publicPredefined) return `has the ${String(bucket.props.predefinedAcl)} predefined ACL: remove it and set uniformBucketLevelAccess to true.`;
    } else {
      return spacesPrivate(view, bucket);
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

/**
 * S3 encrypts every new object (SSE-S3) since January 2023, GCS and Spaces always have: a
 * bucket without an encryption setting is encrypted. What still breaks encryption at rest is a
 * configuration whose KMS key cannot be used (disabled, or pending deletion): every write and
 * read of the bucket then fails.
 */
export const storageEncryption: StackValidationPolicy = {
  name: "storage-encryption",
  description:
    "Buckets are encrypted at rest with a key that works: S3 (SSE-S3 by default since 2023), GCS and Spaces always encrypt; an S3 " +
    "encryption configuration must not use a KMS key of the stack that is disabled (isEnabled false), or every read and write fails.",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateStack: overStack(
    (view) => view.ofType(aws.bucket).length > 0,
    "the stack has no S3 bucket (GCS and Spaces always encrypt)",
    (view, report) => {
      for (const bucket of view.ofType(aws.bucket)) {
        const configurations = [bucket, ...s3Settings(view, bucket, aws.bucketEncryption)];
        const keys = unique(
          configurations.flatMap((c) => [...view.refs(c, "rules", aws.kmsKey), ...view.refs(c, "serverSideEncryptionConfiguration", aws.kmsKey)]),
        );
        for (const key of keys.filter((k) => k.props.isEnabled === false)) {
          report(`${describe(bucket)} encrypts with ${describe(key)}, which is disabled: every read and write fails. Enable the key (isEnabled true) or use sseAlgorithm "AES256".`, bucket.urn);
        }
      }
    },
  ),
};
