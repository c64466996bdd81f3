/**
 * The resources of a DigitalOcean stack, several of each kind, each with the data safety
 * the single service's has:
 * - `sql`: a two-node managed cluster (Database), protected, behind trusted sources that
 *   list only the node tags of the workloads that use it, waiting for its own
 *   DatabaseIdentity guard (foundation.ts);
 * - `bucket`: a private, versioned, protected Spaces bucket with a key scoped to it alone,
 *   given only to the workloads that use it;
 * - `cache`: a two-node Valkey cluster (SessionStore), protected, trusted sources as sql;
 * - `secret`: a `random.RandomPassword` (letters and digits), generated once and
 *   protected. DigitalOcean has no secret store, so its value travels inside the (secret)
 *   user data of every workload that uses it, the way the app secrets do.
 *
 * Each returns every field of its binding (bindings.ts `resourceBinding`), secret fields
 * as secret Outputs, and its endpoint.
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { mongodbUrl, sqlConnectionUrl, valkeyBrokerUrl } from "../../connectionUrls";
import * as random from "@pulumi/random";
import { logicalName, type ComposeContext, type ResourceHandle } from "../../compose";
import { caFilePath, resourceBinding } from "../../model/bindings";
import { isContainerWorkload, type Resource } from "../../model/model";
import { resolveSize } from "../../sizes";
import { Bucket } from "./bucket";
import { Database } from "./database";
import { DocumentDatabase } from "./documentDatabase";
import { unusedTagName, type Foundation } from "./foundation";
import { SessionStore } from "./sessionStore";

/** A resource's handle, with the component that holds it (the single service's user data reads them). */
export interface DoResource extends ResourceHandle {
  /** The SQL cluster (kind sql). */
  database?: Database;
  /** The Spaces bucket (kind bucket). */
  bucket?: Bucket;
  /** The Valkey cluster (kind cache). */
  cache?: SessionStore;
  /** The generated value (kind secret). */
  secret?: random.RandomPassword;
  /** The MongoDB cluster (kind document). */
  document?: DocumentDatabase;
  /** The Valkey broker (kind queue, engine valkey). */
  queue?: SessionStore;
}

/**
 * The node tags of the workloads that use `resource` (its trusted sources), or a tag no
 * droplet carries when none does: an empty list would open the cluster to everyone.
 */
function trustedTags(ctx: ComposeContext, f: Foundation, resource: Resource): pulumi.Input<string>[] {
  const users = ctx.model.workloads.filter(isContainerWorkload).filter((w) => w.uses.includes(resource.name)).map((w) => f.groups.get(w.name)!.nodeTag);
  if (users.length > 0) return users;
  const name = unusedTagName(ctx, f.stack, resource.name);
  return [new digitalocean.Tag(`${logicalName(ctx, resource)}-no-users`, { name }, f.opts).name];
}

/** Builds one resource and returns its handle. */
export function buildResource(ctx: ComposeContext, f: Foundation, resource: Resource): DoResource {
  const prefix = logicalName(ctx, resource);
  const secret = (value: pulumi.Input<string>) => pulumi.secret(pulumi.output(value));
  let values: Record<string, pulumi.Output<string>>;
  let endpoint: pulumi.Output<string>;
  const handle: Partial<DoResource> = { resource };

  switch (resource.kind) {
    case "sql": {
      const database = new Database(prefix, {
        spec: {
          engine: resource.engine,
          version: resource.version,
          size: resource.size,
          storageGb: resource.storageGb,
          maxStorageGb: resource.maxStorageGb,
          backupRetentionDays: resource.backupRetentionDays,
          readReplicas: resource.readReplicas,
          name: resource.databaseName,
          username: resource.username,
        },
        size: resolveSize("digitalocean", "database", resource.size),
        region: f.region,
        vpcId: f.vpcId,
        sourceTags: trustedTags(ctx, f, resource),
        tags: f.tags,
        identity: f.identities.get(resource.name),
      }, f.opts);
      handle.database = database;
      values = {
        host: database.host,
        port: database.port.apply(String),
        name: pulumi.output(resource.databaseName),
        engine: pulumi.output(resource.engine),
        readHosts: database.replicaHosts.apply((hosts) => hosts.join(",")),
        user: secret(database.username),
        password: database.password,
        url: secret(pulumi.all([database.username, database.password, database.host, database.port, database.databaseName]).apply(([u, p, h, port, n]) => sqlConnectionUrl(resource.engine, u, p, h, port, n))),
      };
      endpoint = database.endpoint;
      break;
    }
    case "bucket": {
      const bucket = new Bucket(prefix, { spec: { versioning: true, noncurrentVersionDays: resource.noncurrentVersionDays }, region: f.region, tags: f.tags }, f.opts);
      handle.bucket = bucket;
      values = {
        name: bucket.name,
        bucket: bucket.name,
        region: pulumi.output(bucket.region),
        endpoint: pulumi.output(bucket.endpoint),
        accessKeyId: secret(bucket.accessKeyId),
        secretAccessKey: bucket.secretAccessKey,
      };
      endpoint = bucket.name;
      break;
    }
    case "cache": {
      const cache = new SessionStore(prefix, {
        spec: { enabled: true, engine: resource.engine, size: resource.size },
        size: resolveSize("digitalocean", "sessions", resource.size),
        region: f.region,
        vpcId: f.vpcId,
        sourceTags: trustedTags(ctx, f, resource),
        tags: f.tags,
      }, f.opts);
      handle.cache = cache;
      values = {
        host: cache.host,
        port: cache.port.apply(String),
        tls: pulumi.output("true"),
        password: cache.password,
        // DigitalOcean's Valkey: TLS only, user `default`.
        url: secret(pulumi.all([cache.password, cache.host, cache.port]).apply(([p, h, port]) => `rediss://default:${encodeURIComponent(p)}@${h}:${port}`)),
      };
      endpoint = cache.endpoint;
      break;
    }
    case "secret": {
      // Generated once; protected, so that neither a destroy nor a change of `length`
      // (which replaces a RandomPassword) rotates it by accident. Rotation is deliberate
      // (README, notes: `pulumi state unprotect` then `pulumi up --replace` its URN).
      const password = new random.RandomPassword(prefix, { length: resource.length, special: false }, { ...f.opts, protect: true });
      handle.secret = password;
      values = { value: secret(password.result) };
      // No secret store: the value's only home is Pulumi's state; its URN is what rotation names.
      endpoint = password.urn;
      break;
    }
    case "document": {
      const document = new DocumentDatabase(prefix, {
        size: resolveSize("digitalocean", "document", resource.size),
        members: resource.members,
        databaseName: resource.databaseName,
        username: resource.username,
        region: f.region,
        vpcId: f.vpcId,
        sourceTags: trustedTags(ctx, f, resource),
        tags: f.tags,
      }, f.opts);
      handle.document = document;
      const caFile = caFilePath(resource.name);
      values = {
        hosts: document.host,
        name: document.databaseName,
        user: secret(document.username),
        password: document.password,
        caFile: pulumi.output(caFile),
        // DigitalOcean creates users in `admin`; its private host is one SRV name.
        url: secret(pulumi.all([document.username, document.password, document.host, document.databaseName, document.replicaSet]).apply(([u, p, h, n, rs]) =>
          mongodbUrl({ user: u, password: p, hosts: [h], database: n, replicaSet: rs, caFile, srv: true, options: { authSource: "admin" } }))),
      };
      endpoint = document.host;
      break;
    }
    case "queue": {
      // The parser refuses engine rabbitmq here (capabilities queueProblems).
      if (resource.engine !== "valkey") throw new Error(`digitalocean: queue ${resource.name}: engine ${resource.engine} is not offered (DigitalOcean has no managed RabbitMQ)`);
      const queue = new SessionStore(prefix, {
        spec: { enabled: true, engine: "valkey", size: resource.size },
        size: resolveSize("digitalocean", "sessions", resource.size),
        region: f.region,
        vpcId: f.vpcId,
        sourceTags: trustedTags(ctx, f, resource),
        tags: f.tags,
        evictionPolicy: "noeviction",
      }, f.opts);
      handle.queue = queue;
      values = {
        host: queue.host,
        port: queue.port.apply(String),
        tls: pulumi.output("true"),
        password: queue.password,
        url: secret(pulumi.all([queue.password, queue.host, queue.port]).apply(([p, h, port]) => valkeyBrokerUrl(h, port, p))),
      };
      endpoint = queue.endpoint;
      break;
    }
  }

  const fields: Record<string, pulumi.Output<string>> = {};
  for (const field of resourceBinding(resource, "digitalocean")) {
    const value = values[field.field];
    if (!value) throw new Error(`digitalocean: resource ${resource.name} (kind ${resource.kind}) has no value for its binding field ${field.field}`);
    fields[field.field] = field.secret ? pulumi.secret(value) : value;
  }
  return { ...handle, resource, fields, endpoint } as DoResource;
}
