/**
 * The ready connection URLs the bindings give (`DB_URL`, `CACHE_URL`), one definition for
 * every platform, so `${resources.db.url}` means the same string on every cloud.
 */
import type { DatabaseEngine } from "./topology";

/**
 * A SQL connection URL with TLS required: `postgresql://user:pass@host:5432/name?sslmode=require`
 * (MySQL: `mysql://…?ssl-mode=REQUIRED`). User and password are percent-encoded (a managed
 * service's generated password may hold any character).
 */
export function sqlConnectionUrl(engine: DatabaseEngine, user: string, password: string, host: string, port: number | string, database: string): string {
  const auth = `${encodeURIComponent(user)}:${encodeURIComponent(password)}`;
  return engine === "postgres"
    ? `postgresql://${auth}@${host}:${port}/${database}?sslmode=require`
    : `mysql://${auth}@${host}:${port}/${database}?ssl-mode=REQUIRED`;
}

/**
 * A MongoDB connection URL with every member, the replica set (when the service names one),
 * TLS on and, where a private CA signs the certificate, its file (`tlsCAFile`); `options`
 * adds what a service needs (DocumentDB: `retryWrites=false`). User and password are
 * percent-encoded; the database is the one the user owns (`authSource` defaults to it).
 * `srv` writes `mongodb+srv://` for a single SRV host that lists the members.
 */
export function mongodbUrl(args: { user: string; password: string; hosts: string[]; database: string; replicaSet?: string; caFile?: string; srv?: boolean; options?: Record<string, string> }): string {
  const auth = `${encodeURIComponent(args.user)}:${encodeURIComponent(args.password)}`;
  const query = new URLSearchParams({
    tls: "true",
    ...(args.replicaSet && { replicaSet: args.replicaSet }),
    ...(args.caFile && { tlsCAFile: args.caFile }),
    ...args.options,
  });
  // `srv`: one DNS name whose SRV records list the members (DigitalOcean's), `mongodb+srv://`.
  return `${args.srv ? "mongodb+srv" : "mongodb"}://${auth}@${args.hosts.join(",")}/${args.database}?${query.toString().replace(/%2F/g, "/")}`;
}

/** An AMQP 0-9-1 URL over TLS: `amqps://user:pass@host:5671/<vhost>` (the default vhost `/` is written `%2F`). */
export function amqpsUrl(user: string, password: string, host: string, port: number | string, vhost = "/"): string {
  return `amqps://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${encodeURIComponent(vhost)}`;
}

/**
 * A Valkey broker URL over TLS for Celery-style clients: `ssl_cert_reqs=required` (Celery
 * refuses a `rediss://` URL without it) and, where a private CA signs the certificate,
 * `ssl_ca_certs=<file>`; the password, where there is one, percent-encoded.
 */
export function valkeyBrokerUrl(host: string, port: number | string, password?: string, caFile?: string): string {
  const auth = password === undefined ? "" : `:${encodeURIComponent(password)}@`;
  const query = new URLSearchParams({ ssl_cert_reqs: "required", ...(caFile && { ssl_ca_certs: caFile }) });
  return `rediss://${auth}${host}:${port}/0?${query.toString().replace(/%2F/g, "/")}`;
}
