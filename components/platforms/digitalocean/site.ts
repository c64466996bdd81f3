/**
 * A static site on DigitalOcean (issue 17): a Spaces bucket served by the Spaces CDN on
 * the site's own host. A DigitalOcean load balancer forwards to droplets only, never to
 * Spaces, so the site cannot share a web's host: it gets `https://<host>` of its own, with
 * a Let's Encrypt certificate for that host, and DigitalOcean writes the host's CNAME to
 * the CDN endpoint in the stack's DigitalOcean domain (`dns.zone`) when the endpoint is
 * given the custom domain.
 *
 * How public it is. The Spaces CDN has no origin access control: it fetches objects
 * anonymously, so it serves only objects whose ACL is `public-read` (a private object
 * needs a presigned URL, which the CDN does not cache). So each file is uploaded
 * `public-read`, and nothing else is public: the bucket's ACL stays `private`, so its
 * file listing (`GET /` on the bucket) needs a key, and it has no bucket policy. Each
 * object says what it is (contract/roles.ts `spacesObjectRoleMetadata` = `site`), so the
 * pack's storage-private tells a site's files from a public file left in a private bucket.
 *
 * What it cannot do: Spaces has no website configuration (no index or error document) and
 * the Spaces CDN no rewrite, so `/` is the bucket's listing (refused: a 403) and the entry
 * point is `/index.html`; a path without a file is a 403 (the listing's refusal), never
 * index.html, which is why `spa: true` is refused on digitalocean (capabilities.ts). The
 * CDN endpoint has no protocol or TLS setting the API exposes.
 *
 * Every file is one SpacesBucketObject (components/siteFiles.ts gives its content type and
 * Cache-Control); its `source` is a path (the provider takes no asset), so its `etag` is
 * the file's MD5, which is what Spaces reports for an object uploaded in one part: a
 * changed file changes its etag and only its object is uploaded again.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { logicalName, type ComposeContext, type SiteHandle } from "../../compose";
import { siteRole, spacesObjectRoleMetadata } from "../../../contract/roles";
import { capabilities } from "../../model/capabilities";
import type { SiteWorkload } from "../../model/model";
import { siteFiles } from "../../siteFiles";
import { versionLifecycle } from "./bucket";
import type { Foundation } from "./foundation";

/** What the edge needs of a site. */
export interface DoSite extends SiteHandle {
  /** The site's bucket name. */
  nodeGroupId: pulumi.Output<string>;
  /** Its public URL: `https://<host>`. */
  url: pulumi.Output<string>;
  /** The CDN endpoint the host's CNAME points at (`<bucket>.<region>.cdn.digitaloceanspaces.com`). */
  cdnEndpoint: pulumi.Output<string>;
}

/** Days a replaced or deleted file stays recoverable as a noncurrent version. */
const noncurrentVersionDays = 30;

/**
 * The Spaces CDN's edge cache TTL for the site: the shortest the API takes (60, 600, 3600,
 * 86400 or 604800 s), so a deploy's new index.html reaches every edge within a minute
 * whatever the edge does with an object's Cache-Control; browsers follow each file's own.
 */
const cdnTtlSeconds = 60;

/**
 * The origins whose pages may read the site's files: `cors.origins`, else the capability
 * row's default, the stack's public web hosts (the site is on a host of its own here, so
 * a page on the API's host reading the UI's files is cross-origin).
 */
export function siteCorsOrigins(ctx: Pick<ComposeContext, "model">, site: SiteWorkload): string[] {
  return site.cors ? [...site.cors.origins] : capabilities.digitalocean.siteCorsDefault?.(ctx.model) ?? [];
}

/** The MD5 of a file's content in hex: the ETag Spaces reports for an object uploaded in one part. */
function md5Of(file: string): string {
  return createHash("md5").update(fs.readFileSync(file)).digest("hex");
}

/** The logical name of one file's object: stable and collision-free per key (a key may hold spaces and unicode). */
export function fileObjectName(prefix: string, key: string): string {
  return `${prefix}-file-${createHash("sha256").update(key, "utf8").digest("hex").slice(0, 16)}`;
}

/** Arguments of Site. */
export interface SiteArgs {
  /** The site, as the model parsed it (its files are read from `sourceDir`, uploaded from `source`). */
  site: SiteWorkload;
  /** The Spaces region: the stack's (foundation.ts checked that it offers Spaces). */
  region: string;
  /** The origins allowed to read the files cross-origin (GET, HEAD); empty: no CORS configuration. */
  corsOrigins: string[];
}

/** A site's bucket, files, certificate and CDN endpoint. */
export class Site extends pulumi.ComponentResource {
  /** The bucket's name (generated: Spaces names are global). */
  readonly bucketName: pulumi.Output<string>;
  /** The CDN endpoint. */
  readonly cdnEndpoint: pulumi.Output<string>;
  /** `https://<host>`. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:digitalocean:Site", name, {}, opts);
    const { site, region } = args;
    const parent = { parent: this };
    const host = site.route.host;

    // Read (and refused, on a bad tree) before any resource of the site.
    const files = siteFiles(site.sourceDir, site.cache);

    const bucket = new digitalocean.SpacesBucket(`${name}-site`, {
      region,
      // The listing stays private: only the files are public (each object's ACL), since the CDN serves nothing else.
      acl: "private",
      // A deploy's replaced and deleted files stay recoverable as noncurrent versions.
      versioning: { enabled: true },
      lifecycleRules: versionLifecycle(noncurrentVersionDays),
      // As the app's bucket (bucket.ts): `pulumi destroy` must not empty it, and a change that would replace it is refused.
      forceDestroy: false,
    }, { ...parent, protect: true });

    if (args.corsOrigins.length > 0) {
      // Reads only: the files are fetched, never written, from a page.
      new digitalocean.SpacesBucketCorsConfiguration(`${name}-cors`, {
        bucket: bucket.name,
        region,
        corsRules: [{ allowedMethods: ["GET", "HEAD"], allowedOrigins: args.corsOrigins, allowedHeaders: ["*"], maxAgeSeconds: 3600 }],
      }, parent);
    }

    for (const file of files) {
      new digitalocean.SpacesBucketObject(fileObjectName(name, file.key), {
        region,
        bucket: bucket.name,
        key: file.key,
        // Relative to the project directory: the same input on every machine.
        source: path.posix.join(site.source, file.key),
        etag: md5Of(file.file),
        contentType: file.contentType,
        cacheControl: file.cacheControl,
        // The Spaces CDN fetches anonymously: it serves public-read objects only (see the file comment).
        acl: "public-read",
        metadata: { [spacesObjectRoleMetadata]: siteRole },
      }, parent);
    }

    // Let's Encrypt on DigitalOcean validates in DigitalOcean DNS (foundation.ts requires dns.zone for a site).
    // The CDN references it by name: a renewal issues a new ID, the name stays.
    const certificate = new digitalocean.Certificate(`${name}-cert`, { type: "lets_encrypt", domains: [host] }, parent);
    const cdn = new digitalocean.Cdn(`${name}-cdn`, {
      origin: bucket.bucketDomainName,
      customDomain: host,
      certificateName: certificate.name,
      ttl: cdnTtlSeconds,
    }, parent);

    this.bucketName = bucket.name;
    this.cdnEndpoint = cdn.endpoint;
    // Spaces has no index document: "/" asks for the (private) listing, so the URL names the entry page.
    this.url = pulumi.output(`https://${host}/index.html`);
    this.registerOutputs({ bucketName: this.bucketName, cdnEndpoint: this.cdnEndpoint, url: this.url });
  }
}

/** Builds one site: its bucket, files, certificate and CDN endpoint on its own host. */
export function buildSite(ctx: ComposeContext, f: Foundation, site: SiteWorkload): DoSite {
  const built = new Site(logicalName(ctx, site), { site, region: f.region, corsOrigins: siteCorsOrigins(ctx, site) }, f.opts);
  return { nodeGroupId: built.bucketName, url: built.url, cdnEndpoint: built.cdnEndpoint };
}
