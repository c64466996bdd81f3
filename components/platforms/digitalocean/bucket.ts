/**
 * Object storage for the app's files: a Spaces bucket that is private, versioned, and
 * reachable with a key scoped to this bucket alone. Spaces encrypts every object at rest
 * and serves HTTPS, so neither needs a setting here.
 *
 * Managing Spaces needs Spaces credentials on the provider (`digitalocean:spacesAccessId`
 * and `digitalocean:spacesSecretKey`, or SPACES_ACCESS_KEY_ID/SPACES_SECRET_ACCESS_KEY) in
 * addition to the API token: buckets are created through the S3-compatible API.
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { configProblem, describeValue, TopologyConfigError } from "../../configError";
import type { StorageSpec } from "../../topology";

/**
 * The regions that offer Spaces (DigitalOcean's availability matrix). A droplet region
 * slug in this list is also its Spaces region; the others (nyc1, nyc2, sfo1, ams2, ...)
 * have none.
 */
export const spacesRegions = ["nyc3", "sfo2", "sfo3", "ams3", "sgp1", "fra1", "syd1", "blr1", "lon1", "tor1", "atl1", "ric1"] as const;

/**
 * Returns `region` when Spaces is offered there; otherwise throws a TopologyConfigError
 * naming `key` (the config key, after `ha-topology:`, the region came from), the value and
 * the regions allowed. Call it before registering resources, so bad config creates nothing.
 */
export function spacesRegion(region: string, key: string): string {
  if ((spacesRegions as readonly string[]).includes(region)) return region;
  throw new TopologyConfigError([
    configProblem(key, describeValue(region), `a region that offers Spaces, where the bucket lives next to the nodes: ${spacesRegions.join(", ")}`),
  ]);
}

/**
 * The lifecycle of a versioned Spaces bucket (the app's and a site's): replaced and deleted
 * files are kept `days` as noncurrent versions, then expire; uploads that never completed
 * would otherwise be billed forever.
 */
export function versionLifecycle(days: number): { id: string; enabled: boolean; noncurrentVersionExpiration: { days: number }; abortIncompleteMultipartUploadDays: number }[] {
  return [{ id: "expire-noncurrent-versions", enabled: true, noncurrentVersionExpiration: { days }, abortIncompleteMultipartUploadDays: 7 }];
}

/** Arguments of Bucket. */
export interface BucketArgs {
  /** The storage part of the topology. */
  spec: StorageSpec;
  /** The Spaces region: the droplets' region slug, such as "fra1"; it must be one of `spacesRegions`. */
  region: string;
  /** The config key `region` came from, named if Spaces is not offered there. Default: "digitalocean:region". */
  regionKey?: string;
  /** Tags of the stack. Spaces buckets and keys carry no tags, so these are not applied. */
  tags: string[];
}

/** A private, versioned Spaces bucket and a read-write key for it alone. */
export class Bucket extends pulumi.ComponentResource {
  /** The bucket's name (generated: bucket names are global across all of Spaces). */
  readonly name: pulumi.Output<string>;
  /** The S3-compatible endpoint of the region, `https://<region>.digitaloceanspaces.com`. */
  readonly endpoint: string;
  /** The bucket's region (the S3 SDKs' region setting). */
  readonly region: string;
  /** The access key ID of the nodes' key (not secret on its own). */
  readonly accessKeyId: pulumi.Output<string>;
  /** The secret of the nodes' key (a secret). */
  readonly secretAccessKey: pulumi.Output<string>;

  constructor(name: string, args: BucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:digitalocean:Bucket", name, {}, opts);
    const region = spacesRegion(args.region, args.regionKey ?? "digitalocean:region");

    // No `name`: Pulumi adds a random suffix to the logical name, since another account
    // may already hold the plain name.
    const bucket = new digitalocean.SpacesBucket(`${name}-files`, {
      region,
      // No public listing or reads: the app reads and writes with its key, and serves
      // public files itself (or through presigned URLs).
      acl: "private",
      // Overwritten and deleted files stay recoverable as noncurrent versions.
      versioning: { enabled: true },
      lifecycleRules: versionLifecycle(args.spec.noncurrentVersionDays),
      // forceDestroy stays off: `pulumi destroy` must not delete the app's files.
      forceDestroy: false,
      // The app's files: refused for deletion and for replacement (a region change would
      // otherwise move the app onto a new, empty bucket).
    }, { parent: this, protect: true });

    // The nodes' credentials: read and write on this bucket, nothing else (no
    // `fullaccess`, which would reach every bucket of the account).
    const key = new digitalocean.SpacesKey(`${name}-files`, {
      grants: [{ bucket: bucket.name, permission: "readwrite" }],
    }, { parent: this });

    this.name = bucket.name;
    this.endpoint = `https://${region}.digitaloceanspaces.com`;
    this.region = region;
    this.accessKeyId = key.accessKey;
    // The provider marks it secret already; wrapping keeps it secret under mocks too.
    this.secretAccessKey = pulumi.secret(key.secretKey);
    this.registerOutputs({ name: this.name, endpoint: this.endpoint, accessKeyId: this.accessKeyId });
  }
}
