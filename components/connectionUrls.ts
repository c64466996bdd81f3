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
