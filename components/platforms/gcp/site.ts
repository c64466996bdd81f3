/**
 * A static site on GCP (`kind: site`, issue 17): its files in a private Cloud Storage
 * bucket (bucket.ts: uniform bucket-level access, public access prevention enforced,
 * versioned, protected), one object per file with the content type and Cache-Control of
 * components/siteFiles.ts, and a backend bucket with Cloud CDN that the edge puts on the
 * same global URL map, HTTPS proxy and SSL policy as the web workloads (loadBalancer.ts):
 * the site's path (or host) goes to the backend bucket, the webs' paths to their backend
 * services, so `/` and `/api` share one domain, one certificate and TLS 1.2+.
 *
 * The origin stays private: nothing is granted to allUsers. The load balancer reads the
 * bucket as its project's service agent, `service-<project number>@https-lb.iam.gserviceaccount.com`,
 * granted roles/storage.objectViewer on this bucket only (Cloud CDN's private bucket
 * access). Google creates that agent with the project's first backend bucket, so the
 * grant waits for the backend bucket.
 *
 * Objects sit under the site's path prefix (`docs/index.html` for a site at `/docs`): a
 * backend bucket looks a request's path up as the object's name, without stripping the
 * prefix the URL map matched. A single-page app's unknown paths are answered with its
 * `index.html` by the bucket's website setting `notFoundPage` (backend buckets honour it),
 * with Cloud Storage's status for that page, 404: the browser renders it and the app's
 * router runs. A 200 would need the URL map's custom error response policy, which on a
 * host whose `/` is the site would also rewrite the API's 404s (a path matcher's policy
 * covers its path rules). `mainPageSuffix` answers `/` and `/docs/` with their `index.html`.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { logicalName, type ComposeContext } from "../../compose";
import type { SiteWorkload } from "../../model/model";
import { siteFiles } from "../../siteFiles";
import { defaults } from "../../topology";
import { Bucket } from "./bucket";
import type { GcpFoundation, GcpSite } from "./handles";

/** The role the load balancer's service agent needs to read a private bucket: object get and list (a missing key is then a 404, not a 403). */
export const siteReaderRole = "roles/storage.objectViewer";

/** The load balancer's service agent of a project (Cloud CDN private bucket access). */
export function loadBalancerAgent(projectNumber: string): string {
  return `serviceAccount:service-${projectNumber}@https-lb.iam.gserviceaccount.com`;
}

/** The same HSTS header the web workloads' backend services send: browsers stop trying port 80. */
const hsts = "Strict-Transport-Security: max-age=31536000";

/** The object name prefix of a site: its path without the leading `/`, with a trailing one (`""` at `/`). */
export function sitePrefix(route: { path: string }): string {
  return route.path === "/" ? "" : `${route.path.slice(1)}/`;
}

/** A file's logical name: stable, and the same whatever characters its key holds. */
export function fileLogicalName(siteName: string, key: string): string {
  return `${siteName}-file-${createHash("sha256").update(key, "utf8").digest("hex").slice(0, 16)}`;
}

/** Arguments of StaticSite. */
export interface StaticSiteArgs {
  /** The site as the model has it (source, route, spa, cache, cors). */
  site: SiteWorkload;
  /** The bucket's location: the stack's region. */
  location: string;
  /** `gcp:project`: its number names the load balancer's service agent. */
  project: string;
  /** Labels for every resource that takes labels. */
  labels: Record<string, string>;
}

/** A private bucket with the site's files, and the backend bucket with Cloud CDN that serves it. */
export class StaticSite extends pulumi.ComponentResource {
  /** The bucket's name. */
  readonly bucketName: pulumi.Output<string>;
  /** The backend bucket's id: what the URL map routes the site's path or host to. */
  readonly backendBucketId: pulumi.Output<string>;

  constructor(name: string, args: StaticSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:gcp:StaticSite", name, {}, opts);
    const { site, labels } = args;
    const parent = { parent: this };
    const prefix = sitePrefix(site.route);

    const bucket = new Bucket(`${name}-site`, {
      // Replaced and deleted files stay restorable as long as the app's files do.
      spec: { noncurrentVersionDays: defaults.storage.noncurrentVersionDays },
      location: args.location,
      labels,
      website: { mainPageSuffix: "index.html", ...(site.spa && { notFoundPage: `${prefix}index.html` }) },
      ...(site.cors && { corsOrigins: site.cors.origins }),
    }, parent);

    // Cloud CDN in front; the files' own Cache-Control decides how long the edge and the
    // browsers keep them (HTML short and revalidated, hashed names a year).
    const backend = new gcp.compute.BackendBucket(`${name}-cdn`, {
      bucketName: bucket.name,
      description: `static site ${site.name}`,
      enableCdn: true,
      cdnPolicy: {
        cacheMode: "USE_ORIGIN_HEADERS",
        // Concurrent misses for one file make one fill from the bucket.
        requestCoalescing: true,
      },
      // gzip or brotli at the edge, by Accept-Encoding, for the text types.
      compressionMode: "AUTOMATIC",
      customResponseHeaders: [hsts],
    }, parent);

    // The one reader of the bucket: the load balancer's service agent (created by Google
    // with the project's first backend bucket, hence the wait).
    const project = gcp.organizations.getProjectOutput({ projectId: args.project }, parent);
    new gcp.storage.BucketIAMMember(`${name}-site-reader`, {
      bucket: bucket.name,
      role: siteReaderRole,
      member: project.number.apply(loadBalancerAgent),
    }, { ...parent, dependsOn: [backend] });

    // One object per file: Pulumi diffs each asset by content, so an `up` uploads only
    // what changed. The path is relative to the project directory (where Pulumi runs),
    // never `sourceDir`, which differs between machines. A changed file replaces its
    // object under the same name: delete first, or the old object's delete would remove
    // the new upload. The HTML goes last: a new index.html must not name hashed files that
    // are not there yet (the old ones are deleted at the end of the update, after it).
    const files = siteFiles(site.sourceDir, site.cache);
    const upload = (file: (typeof files)[number], after: pulumi.Resource[]) =>
      new gcp.storage.BucketObject(fileLogicalName(name, file.key), {
        bucket: bucket.name,
        name: `${prefix}${file.key}`,
        source: new pulumi.asset.FileAsset(path.posix.join(site.source, file.key)),
        contentType: file.contentType,
        cacheControl: file.cacheControl,
      }, { ...parent, deleteBeforeReplace: true, ...(after.length > 0 && { dependsOn: after }) });
    const assets = files.filter((f) => f.fileClass !== "html").map((f) => upload(f, []));
    for (const file of files.filter((f) => f.fileClass === "html")) upload(file, assets);

    this.bucketName = bucket.name;
    this.backendBucketId = backend.id;
    this.registerOutputs({ bucketName: this.bucketName, backendBucketId: this.backendBucketId });
  }
}

/** One static site (compose.ts `Platform.site`): its bucket, files and backend bucket, which the edge routes to. */
export function gcpSite(ctx: ComposeContext, f: GcpFoundation, site: SiteWorkload): GcpSite {
  const s = new StaticSite(logicalName(ctx, site), { site, location: f.region, project: f.project, labels: f.labels }, f.opts);
  return { site, nodeGroupId: s.bucketName, backendBucketId: s.backendBucketId };
}
