/**
 * Object storage for the app's files: a Cloud Storage bucket that is private (uniform
 * bucket-level access, public access prevention enforced), versioned, soft-delete
 * protected and encrypted. Cloud Storage encrypts every object at rest with
 * Google-managed keys, and its API is HTTPS-only, so neither needs a setting here.
 *
 * A static site's files (site.ts) sit in one too: the same protections, plus the website
 * settings a backend bucket answers with (index page, not-found page) and CORS when the
 * site sets it. Both are left out of the inputs unless given, so every other bucket keeps
 * exactly the inputs it always had.
 */
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { StorageSpec } from "../../topology";

/** Arguments of Bucket. */
export interface BucketArgs {
  /** The storage part of the topology (or a bucket resource's). */
  spec: Pick<StorageSpec, "noncurrentVersionDays">;
  /** The bucket's location: the stack's region, next to the nodes. */
  location: string;
  /** Labels for every resource (GCP rules: lower-case keys and values). */
  labels: Record<string, string>;
  /**
   * The index and not-found pages a backend bucket serves (a static site's): the object
   * for a path ending in `/`, and the object answered for a key that does not exist.
   * @default unset: no website settings
   */
  website?: { mainPageSuffix: string; notFoundPage?: string };
  /**
   * The origins whose pages may read the objects with GET and HEAD (CORS response headers).
   * @default unset: no CORS headers
   */
  corsOrigins?: readonly string[];
}

/** Seconds a browser may keep a CORS preflight answer. */
const corsMaxAgeSeconds = 3600;

/** Seconds a deleted object stays restorable by soft delete (the service's minimum, 7 days). */
const softDeleteSeconds = 7 * 24 * 60 * 60;

/** A private, versioned Cloud Storage bucket. */
export class Bucket extends pulumi.ComponentResource {
  /** The bucket's name (generated: bucket names are global across all of GCS). */
  readonly name: pulumi.Output<string>;
  /** The bucket's URL, `gs://{name}`. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: BucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:Bucket", name, {}, opts);
    const { spec, labels } = args;

    // No `name`: Pulumi adds a random suffix to the logical name, since another project
    // (or another stack) may already hold the plain name.
    const bucket = new gcp.storage.Bucket(`${name}-files`, {
      location: args.location,
      // A regional bucket is already replicated across the region's zones.
      storageClass: "STANDARD",
      // IAM only, no per-object ACLs: access is granted to the nodes' service account alone.
      uniformBucketLevelAccess: true,
      // Refuses allUsers/allAuthenticatedUsers grants even if someone adds one later.
      publicAccessPrevention: "enforced",
      // Overwritten and deleted files stay recoverable as noncurrent versions.
      versioning: { enabled: true },
      // A deleted noncurrent version (or the whole bucket's content) can still be restored for a week.
      softDeletePolicy: { retentionDurationSeconds: softDeleteSeconds },
      lifecycleRules: [{
        // Versioning keeps replaced and deleted files for this long, then they expire.
        action: { type: "Delete" },
        condition: { daysSinceNoncurrentTime: spec.noncurrentVersionDays, withState: "ARCHIVED" },
      }],
      ...(args.website && { website: args.website }),
      // Reads only: the files are uploaded by Pulumi, never by a browser.
      ...(args.corsOrigins && { cors: [{ origins: [...args.corsOrigins], methods: ["GET", "HEAD"], responseHeaders: ["Content-Type"], maxAgeSeconds: corsMaxAgeSeconds }] }),
      // forceDestroy stays off: `pulumi destroy` must not delete the app's files.
      forceDestroy: false,
      labels,
      // The app's files: deletion and replacement (a location change would move the app
      // onto a new, empty bucket) are refused until `pulumi state unprotect` (README).
    }, { parent: this, protect: true });

    this.name = bucket.name;
    this.url = bucket.url;
    this.registerOutputs({ name: this.name, url: this.url });
  }
}
