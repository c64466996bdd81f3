/**
 * A static site's origin on AWS (issue 17): a private S3 bucket of its own (the platform's
 * Bucket: public access blocked, owner-enforced, versioned, encrypted, protected) and one
 * object per file of components/siteFiles.ts, with that table's content type and
 * Cache-Control. CloudFront reads it through Origin Access Control (cdn.ts), which also
 * writes the bucket's policy: the distribution is built after the bucket.
 *
 * A site under a path (`/docs`) keeps its files under that prefix (`docs/index.html`):
 * CloudFront forwards the viewer's path as it is, so the keys are the URL paths.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { SiteWorkload } from "../../model/model";
import { siteFiles } from "../../siteFiles";
import { Bucket } from "./bucket";

/** Days an overwritten or deleted file's old version is kept (a deploy rolled back by hand). */
export const siteVersionDays = 30;

/** The object key prefix of a site served under `routePath`: "" at "/", "docs/" at "/docs". */
export function siteKeyPrefix(routePath: string): string {
  return routePath === "/" ? "" : `${routePath.slice(1)}/`;
}

/** The logical name of one file's object: stable per key, and free of whatever the key holds (spaces, unicode). */
export function siteObjectName(logical: string, key: string): string {
  return `${logical}-file-${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
}

/** Arguments of SiteOrigin. */
export interface SiteOriginArgs {
  /** The site. */
  site: SiteWorkload;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/** A site's bucket and its files. */
export class SiteOrigin extends pulumi.ComponentResource {
  /** The site. */
  readonly site: SiteWorkload;
  /** Its bucket (its policy is written by the distribution that reads it). */
  readonly bucket: Bucket;
  /** The prefix of its keys (see `siteKeyPrefix`). */
  readonly keyPrefix: string;
  /** Its files' objects (the distribution's invalidation waits for them). */
  readonly objects: aws.s3.BucketObjectv2[];
  /** Each file's URL path (`/docs/index.html`) and SHA-256: what a deploy invalidates is what changed here (cdnInvalidation.ts). */
  readonly files: Record<string, string>;

  constructor(name: string, args: SiteOriginArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:aws:Site", name, {}, opts);
    const { site, tags } = args;
    this.site = site;
    this.bucket = new Bucket(name, { spec: { versioning: true, noncurrentVersionDays: siteVersionDays }, tags, deferPolicy: true }, { parent: this });
    this.keyPrefix = siteKeyPrefix(site.route.path);
    // One object per file: Pulumi diffs a FileAsset by its content, so an `up` sends only
    // the files that changed, and deletes the objects of files that are gone (their old
    // versions stay, siteVersionDays). The path is relative to the project (never
    // sourceDir, which differs between machines).
    const files = siteFiles(site.sourceDir, site.cache);
    this.files = Object.fromEntries(files.map((file) => [`/${this.keyPrefix}${file.key}`, file.sha256]));
    this.objects = files.map((file) =>
      new aws.s3.BucketObjectv2(siteObjectName(name, file.key), {
        bucket: this.bucket.name,
        key: `${this.keyPrefix}${file.key}`,
        source: new pulumi.asset.FileAsset(path.posix.join(site.source, file.key)),
        contentType: file.contentType,
        cacheControl: file.cacheControl,
        // The content's digest in the inputs: a changed file shows as a change of its own
        // object in the plan (the engine also diffs the asset by content).
        sourceHash: file.sha256,
        tags,
      }, { parent: this }),
    );
    this.registerOutputs({ bucket: this.bucket.name });
  }
}
