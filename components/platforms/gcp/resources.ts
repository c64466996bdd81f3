/**
 * The resources of the model on GCP, each with the data safety the single service's has:
 * `sql` a REGIONAL Cloud SQL (deletion protection, protect, PITR backups, a DatabaseIdentity
 * guard of its create-only settings), `bucket` a private versioned GCS bucket (protect),
 * `cache` a Memorystore STANDARD_HA Redis, `secret` a generated value (random, letters and
 * digits) kept in Secret Manager (both protected). Each returns every field of its binding
 * (bindings.ts `resourceBinding`) and what a workload using it needs: the secret to read,
 * the bucket to be granted, the addresses its nodes may reach.
 *
 * The single service's resources keep their names (`logicalName` is `ctx.name` for them)
 * and their inputs: they are built with the same components and arguments as before.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { logicalName, type ComposeContext } from "../../compose";
import { valkeyBrokerUrl } from "../../connectionUrls";
import { caFilePath, resourceBinding } from "../../model/bindings";
import type { BucketResource, CacheResource, DocumentResource, QueueResource, Resource, SecretResource, SqlResource } from "../../model/model";
import { resolveSize } from "../../sizes";
import type { DatabaseSpec } from "../../topology";
import { Bucket } from "./bucket";
import { Database } from "./database";
import { DocumentDatabase } from "./documentDatabase";
import type { GcpFoundation, GcpResource } from "./handles";
import { JsonSecret } from "./jsonSecret";
import { cacheInstanceName, SessionStore, sessionStorePort } from "./sessionStore";

/** The endpoint object storage is reached at (the JSON and XML APIs, which S3-style clients use with HMAC keys). */
export const storageEndpoint = "https://storage.googleapis.com";

/** Keeps only the fields the resource's binding has on GCP (and fails loudly when one is missing). */
function bound(resource: Resource, values: Record<string, pulumi.Output<string>>): Record<string, pulumi.Output<string>> {
  return Object.fromEntries(
    resourceBinding(resource, "gcp").map((f) => {
      const value = values[f.field];
      if (!value) throw new Error(`gcp: no value for field ${f.field} of resource ${resource.name}`);
      return [f.field, f.secret ? pulumi.secret(value) : value];
    }),
  );
}

/** The database part of the topology a sql resource stands for. */
function databaseSpec(r: SqlResource): DatabaseSpec {
  return {
    engine: r.engine,
    version: r.version,
    size: r.size,
    storageGb: r.storageGb,
    maxStorageGb: r.maxStorageGb,
    backupRetentionDays: r.backupRetentionDays,
    readReplicas: r.readReplicas,
    name: r.databaseName,
    username: r.username,
  };
}

function sql(ctx: ComposeContext, f: GcpFoundation, r: SqlResource): GcpResource {
  const name = logicalName(ctx, r);
  const withUrl = resourceBinding(r, "gcp").some((b) => b.field === "url");
  const db = new Database(name, {
    spec: databaseSpec(r),
    tier: resolveSize("gcp", "database", r.size),
    region: f.region,
    networkId: f.network.networkId,
    privateServiceConnection: f.network.privateServiceConnection,
    labels: f.labels,
    identity: f.guards.get(r.name),
    ...(withUrl && { withUrl }),
  }, f.opts);
  return {
    resource: r,
    fields: bound(r, {
      host: db.host,
      port: pulumi.output(String(db.port)),
      name: pulumi.output(r.databaseName),
      engine: pulumi.output(r.engine),
      readHosts: db.replicaHosts.apply((hosts) => hosts.join(",")),
      user: pulumi.output(db.username),
      password: db.password,
      url: db.url,
    }),
    endpoint: db.endpoint,
    secretStore: {
      secretName: db.credentialsSecretName,
      versionName: db.credentialsVersionName,
      keys: { user: "username", password: "password", ...(withUrl && { url: "url" }) },
    },
    dataPath: { hosts: pulumi.all([db.host, db.replicaHosts]).apply(([host, replicas]) => [host, ...replicas]), port: db.port },
    database: db,
  };
}

function bucket(ctx: ComposeContext, f: GcpFoundation, r: BucketResource): GcpResource {
  const b = new Bucket(logicalName(ctx, r), { spec: r, location: f.region, labels: f.labels }, f.opts);
  return {
    resource: r,
    fields: bound(r, { name: b.name, bucket: b.name, region: pulumi.output(f.region), endpoint: pulumi.output(storageEndpoint) }),
    endpoint: b.name,
    bucketName: b.name,
    bucket: b,
  };
}

function cache(ctx: ComposeContext, f: GcpFoundation, r: CacheResource): GcpResource {
  const name = logicalName(ctx, r);
  const store = new SessionStore(name, {
    spec: r,
    memorySizeGb: Number(resolveSize("gcp", "sessions", r.size)),
    region: f.region,
    networkId: f.network.networkId,
    privateServiceConnection: f.network.privateServiceConnection,
    labels: f.labels,
    // The single service's keeps `<name>-sessions`; a named cache's must fit Memorystore's 40 characters.
    ...(name !== ctx.name && { instanceName: cacheInstanceName(name) }),
  }, f.opts);
  return {
    resource: r,
    fields: bound(r, {
      host: store.host,
      port: pulumi.output(String(sessionStorePort)),
      tls: pulumi.output("true"),
      caCertBase64: store.caCertificates.apply((pem) => Buffer.from(pem).toString("base64")),
      url: pulumi.interpolate`rediss://${store.host}:${sessionStorePort}`,
    }),
    endpoint: store.endpoint,
    dataPath: { hosts: store.host.apply((host) => [host]), port: sessionStorePort },
    sessionStore: store,
  };
}

/**
 * A `document` resource: Firestore with MongoDB compatibility (documentDatabase.ts). Its
 * certificate is public, so no CA file; the credentials are in Secret Manager, read only by
 * the nodes of its users. `name` is the Firestore database ID: the connection string's path.
 */
function document(ctx: ComposeContext, f: GcpFoundation, r: DocumentResource): GcpResource {
  const db = new DocumentDatabase(logicalName(ctx, r), {
    project: f.project,
    region: f.region,
    username: r.username,
    backupRetentionDays: r.backupRetentionDays,
    labels: f.labels,
  }, f.opts);
  return {
    resource: r,
    fields: bound(r, { url: db.url, hosts: db.host, name: db.databaseId, user: db.username, password: db.password }),
    endpoint: db.host,
    secretStore: {
      secretName: db.credentialsSecretName,
      versionName: db.credentialsVersionName,
      keys: { user: "username", password: "password", url: "url" },
    },
  };
}

/**
 * A `queue` resource of engine valkey: the cache's Memorystore instance as a broker
 * (sessionStore.ts `broker`: noeviction, RDB snapshots, protected). Its server CA is
 * private: the PEM goes to `caFilePath(<resource>)` on its users' nodes and containers.
 * RabbitMQ has no managed offer on GCP: the parser refuses it (capabilities.queueProblems).
 */
function queue(ctx: ComposeContext, f: GcpFoundation, r: QueueResource): GcpResource {
  if (r.engine !== "valkey") throw new Error(`gcp: queue ${r.name}: engine ${r.engine} is refused when the stack is parsed`);
  const name = logicalName(ctx, r);
  const store = new SessionStore(name, {
    spec: { engine: "valkey" },
    memorySizeGb: Number(resolveSize("gcp", "sessions", r.size)),
    region: f.region,
    networkId: f.network.networkId,
    privateServiceConnection: f.network.privateServiceConnection,
    labels: f.labels,
    instanceName: cacheInstanceName(name),
    broker: true,
  }, f.opts);
  const caFile = caFilePath(r.name);
  return {
    resource: r,
    fields: bound(r, {
      host: store.host,
      port: pulumi.output(String(sessionStorePort)),
      tls: pulumi.output("true"),
      caFile: pulumi.output(caFile),
      url: store.host.apply((host) => valkeyBrokerUrl(host, sessionStorePort, undefined, caFile)),
    }),
    endpoint: store.endpoint,
    dataPath: { hosts: store.host.apply((host) => [host]), port: sessionStorePort },
    caCertificate: store.caCertificates,
  };
}

/**
 * A generated secret: created once, letters and digits only (safe in a URL, a shell or
 * an env file), kept in Secret Manager, both protected (a deleted or replaced value
 * would sign users out, invalidate tokens, or worse). Rotating it is deliberate:
 * `pulumi state unprotect <its RandomPassword URN>` then `pulumi up --replace <same URN>`,
 * which makes a new value, a new secret version, new node templates: a rolling replacement.
 */
function secret(ctx: ComposeContext, f: GcpFoundation, r: SecretResource): GcpResource {
  const name = `${logicalName(ctx, r)}-secret`;
  const value = new random.RandomPassword(name, { length: r.length, special: false }, { ...f.opts, protect: true });
  const stored = new JsonSecret(name, { values: { value: value.result }, labels: f.labels, protect: true }, f.opts);
  return {
    resource: r,
    fields: bound(r, { value: value.result }),
    endpoint: stored.secretName,
    secretStore: { secretName: stored.secretName, versionName: stored.versionName, keys: { value: "value" } },
  };
}

/** One resource of the model. */
export function gcpResource(ctx: ComposeContext, f: GcpFoundation, r: Resource): GcpResource {
  switch (r.kind) {
    case "sql":
      return sql(ctx, f, r);
    case "bucket":
      return bucket(ctx, f, r);
    case "cache":
      return cache(ctx, f, r);
    case "secret":
      return secret(ctx, f, r);
    case "document":
      return document(ctx, f, r);
    case "queue":
      return queue(ctx, f, r);
  }
}
