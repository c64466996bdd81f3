/**
 * The CloudFront invalidation of what a deploy changed (issue 17): @pulumi/aws has no
 * invalidation resource, so this dynamic resource records each file's digest by URL path
 * and, on an update, asks CloudFront (CreateInvalidation, through the AWS SDK's CloudFront
 * client and the same credential chain as the provider) to drop exactly the paths whose
 * file changed or went away, after the new objects are uploaded (it depends on them). A new
 * distribution has nothing cached, so creating it invalidates nothing.
 *
 * Why not rely on Cache-Control alone: HTML revalidates within a minute and hashed files
 * never change under their names, but other files (`cache.assets`, an hour) would be served
 * stale until they expire.
 */
import * as pulumi from "@pulumi/pulumi";
import { ShippedDynamicResource } from "../../shippedDynamicResource";

/** Above this many changed paths, one wildcard (`/*`) is sent instead: CloudFront bills paths, and a wildcard counts as one. */
export const maxInvalidationPaths = 100;

/** What the resource records: the distribution and each served path's content digest. */
export interface InvalidationInputs {
  /** The distribution's id. */
  distributionId: string;
  /** URL path (`/assets/app.js`) to the file's SHA-256. */
  files: Record<string, string>;
}

/**
 * The paths to invalidate between two deploys: each changed or removed file, URL-encoded
 * as CloudFront asks; a changed `index.html` also invalidates its directory (`/`, `/docs/`),
 * which CloudFront caches under its own path. Sorted; `/*` when there are too many.
 */
export function changedPaths(olds: Record<string, string>, news: Record<string, string>): string[] {
  const changed = Object.keys(olds).filter((p) => olds[p] !== news[p]);
  const paths = new Set<string>();
  for (const p of changed) {
    paths.add(encodeURI(p));
    if (p.endsWith("/index.html")) paths.add(encodeURI(p.slice(0, -"index.html".length)));
  }
  const sorted = [...paths].sort();
  return sorted.length > maxInvalidationPaths ? ["/*"] : sorted;
}

/** Sends one invalidation (the SDK call; tests give their own). */
export type SendInvalidation = (distributionId: string, paths: string[], callerReference: string) => Promise<void>;

/** The SDK's CreateInvalidation, loaded only when an update has paths to send. */
const sdkSend: SendInvalidation = async (distributionId, paths, callerReference) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CloudFrontClient, CreateInvalidationCommand } = require("@aws-sdk/client-cloudfront") as typeof import("@aws-sdk/client-cloudfront");
  const client = new CloudFrontClient({});
  await client.send(new CreateInvalidationCommand({ DistributionId: distributionId, InvalidationBatch: { CallerReference: callerReference, Paths: { Quantity: paths.length, Items: paths } } }));
};

/** The provider; `send` is the SDK's unless a test gives one. */
export function invalidationProvider(send: SendInvalidation = sdkSend): Required<Pick<pulumi.dynamic.ResourceProvider<InvalidationInputs, InvalidationInputs>, "diff" | "create" | "update" | "delete">> {
  return {
    async diff(_id, olds, news) {
      const changes = olds.distributionId !== news.distributionId || JSON.stringify(olds.files) !== JSON.stringify(news.files);
      return { changes, replaces: [], deleteBeforeReplace: false };
    },
    async create(inputs) {
      return { id: `invalidation-${inputs.distributionId}`, outs: inputs };
    },
    async update(_id, olds, news) {
      // Another distribution (a replaced one) has nothing cached.
      const paths = olds.distributionId === news.distributionId ? changedPaths(olds.files, news.files) : [];
      if (paths.length > 0) {
        const reference = `ha-topology-${Date.now()}`;
        pulumi.log.info(`CloudFront ${news.distributionId}: invalidating ${paths.length === 1 && paths[0] === "/*" ? "every path" : paths.join(", ")}`);
        await send(news.distributionId, paths, reference);
      }
      return { outs: news };
    },
    async delete() {
      // Nothing to undo: an invalidation is a one-off request.
    },
  };
}

/** The invalidation of a distribution's changed paths, after the uploads it depends on. */
export class CdnInvalidation extends ShippedDynamicResource {
  /** The recorded digests, by URL path. */
  declare readonly files: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: { distributionId: pulumi.Input<string>; files: pulumi.Input<Record<string, string>> }, opts?: pulumi.CustomResourceOptions) {
    super("CdnInvalidation", name, { distributionId: args.distributionId, files: args.files }, opts);
  }
}
