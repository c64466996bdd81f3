/**
 * The environment contract between the platform and the app: the variables every node
 * (VM or pod) sets for the container, on every cloud. The user's `nodes.env` and
 * `secrets` may not reuse these names, so the app can rely on them.
 */

/** Names the platform sets; documented in the README ("What the app receives"). */
export const platformEnvNames = [
  /** The port the app must listen on (`nodes.port`). */
  "PORT",
  /** The image tag (or digest) the node runs: the deployed app version. */
  "APP_VERSION",
  /** How many proxies in X-Forwarded-For to trust (the load balancer's hops). */
  "TRUSTED_PROXY_HOPS",
  /** Database connection: host, port, name, engine, user and password. */
  "DATABASE_HOST",
  "DATABASE_PORT",
  "DATABASE_NAME",
  "DATABASE_ENGINE",
  "DATABASE_USER",
  "DATABASE_PASSWORD",
  /** Read replica hosts, comma-separated, when `database.readReplicas` > 0. */
  "DATABASE_READ_HOSTS",
  /** Object storage: bucket name and region (or endpoint where the cloud needs one). */
  "BUCKET_NAME",
  "BUCKET_REGION",
  /** The S3-compatible endpoint, where the bucket is not on AWS S3 (DigitalOcean Spaces). */
  "BUCKET_ENDPOINT",
  /**
   * Bucket credentials, where the cloud has no instance identity for the nodes
   * (DigitalOcean: a Spaces key limited to this bucket); secrets, like the database's.
   */
  "BUCKET_ACCESS_KEY_ID",
  "BUCKET_SECRET_ACCESS_KEY",
  /** Session store, when `sessions.enabled`: host, port and whether it speaks TLS. */
  "SESSION_STORE_HOST",
  "SESSION_STORE_PORT",
  "SESSION_STORE_TLS",
  /**
   * The session store's CA certificates (PEM, base64-encoded to fit one line), where the
   * store's TLS certificate comes from a private CA (Memorystore); absent when it is
   * publicly trusted.
   */
  "SESSION_STORE_CA_CERT_BASE64",
  /** The session store's password, where it requires one (DigitalOcean Valkey); a secret. */
  "SESSION_STORE_PASSWORD",
] as const;

/** A variable name the platform sets. */
export type PlatformEnvName = (typeof platformEnvNames)[number];

/** The pattern a user-supplied variable name must match (POSIX-portable names). */
export const envNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when a name is reserved by the platform (exact names and the HA_TOPOLOGY_ prefix). */
export function isReservedEnvName(name: string): boolean {
  return (platformEnvNames as readonly string[]).includes(name) || name.startsWith("HA_TOPOLOGY_");
}

/** The deployed version, as the app sees it: the image tag, or the digest's first 12 hex digits. */
export function appVersionOf(image: string): string {
  const digest = image.indexOf("@sha256:");
  if (digest >= 0) return `sha256:${image.slice(digest + 8, digest + 20)}`;
  return image.slice(image.lastIndexOf(":") + 1);
}

/** What the platform knows at deploy time, to put into the app's environment. */
export interface PlatformFacts {
  /** The app port. */
  port: number;
  /** The container image (its tag becomes APP_VERSION). */
  image: string;
  /** Proxies between the client and the app that append to X-Forwarded-For. */
  trustedProxyHops: number;
  /** Database host, port, name and engine (credentials come from the secret store). */
  database: { host: string; port: number; name: string; engine: string; readHosts?: string[] };
  /** Bucket name and region (or endpoint). */
  bucket: { name: string; region: string; endpoint?: string };
  /** Session store, when enabled. */
  sessions?: { host: string; port: number; tls: boolean; caCertificates?: string };
}

/** The platform variables for one node; the user's `nodes.env` is merged under them. */
export function platformEnv(facts: PlatformFacts): Partial<Record<PlatformEnvName, string>> {
  return {
    PORT: String(facts.port),
    APP_VERSION: appVersionOf(facts.image),
    TRUSTED_PROXY_HOPS: String(facts.trustedProxyHops),
    DATABASE_HOST: facts.database.host,
    DATABASE_PORT: String(facts.database.port),
    DATABASE_NAME: facts.database.name,
    DATABASE_ENGINE: facts.database.engine,
    ...(facts.database.readHosts?.length && { DATABASE_READ_HOSTS: facts.database.readHosts.join(",") }),
    BUCKET_NAME: facts.bucket.name,
    BUCKET_REGION: facts.bucket.region,
    ...(facts.bucket.endpoint && { BUCKET_ENDPOINT: facts.bucket.endpoint }),
    ...(facts.sessions && {
      SESSION_STORE_HOST: facts.sessions.host,
      SESSION_STORE_PORT: String(facts.sessions.port),
      SESSION_STORE_TLS: String(facts.sessions.tls),
      ...(facts.sessions.caCertificates && { SESSION_STORE_CA_CERT_BASE64: Buffer.from(facts.sessions.caCertificates).toString("base64") }),
    }),
  };
}

/** The platform variables of a workload of the several-workloads model (bindings.ts `platformVariables` names them). */
export function workloadPlatformEnv(workload: { kind: string; image: string; port?: number }, trustedProxyHops: number): Record<string, string> {
  return {
    APP_VERSION: appVersionOf(workload.image),
    ...(workload.kind === "web" && workload.port !== undefined && { PORT: String(workload.port), TRUSTED_PROXY_HOPS: String(trustedProxyHops) }),
  };
}
