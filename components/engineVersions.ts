/**
 * The database engine versions each cloud offers (PostgreSQL by major version, MySQL by
 * major.minor), so a version the cloud cannot create is refused before any resource
 * exists instead of failing at the database, after the network and nodes. Versions only
 * in paid extended support are kept where running stacks may still use them. Update the
 * table when a cloud adds a version.
 */
import type { Cloud } from "./sizes";

/** What a cloud offers, per engine: PostgreSQL majors ("16"), MySQL major.minor ("8.0"). */
const offered: Record<Cloud, { postgres: string[]; mysql: string[] }> = {
  // RDS: 11 and 12 only in RDS Extended Support; MySQL 5.7 likewise.
  aws: { postgres: ["11", "12", "13", "14", "15", "16", "17", "18"], mysql: ["5.7", "8.0", "8.4"] },
  // Cloud SQL database versions POSTGRES_9_6 ... POSTGRES_18, MYSQL_5_6 ... MYSQL_8_4.
  gcp: { postgres: ["9.6", "10", "11", "12", "13", "14", "15", "16", "17", "18"], mysql: ["5.6", "5.7", "8.0", "8.4"] },
  // DigitalOcean versions clusters by major only: MySQL 8 (8.0).
  digitalocean: { postgres: ["13", "14", "15", "16", "17", "18"], mysql: ["8.0"] },
  // CloudNativePG's images (ghcr.io/cloudnative-pg/postgresql:<version>).
  kubernetes: { postgres: ["13", "14", "15", "16", "17", "18"], mysql: [] },
};

/** The part of a version a cloud chooses by: "16.4" -> "16" (postgres), "8.0.36" -> "8.0" (mysql); "9.6" stays. */
function track(engine: "postgres" | "mysql", version: string): string {
  const parts = version.split(".");
  if (engine === "mysql" || (parts[0] === "9" && parts.length > 1)) return parts.slice(0, 2).join(".");
  return parts[0];
}

/** What is allowed when `version` of `engine` is not offered on `cloud`; undefined when it is. */
export function engineVersionProblem(cloud: Cloud, engine: "postgres" | "mysql", version: string): string | undefined {
  const versions = offered[cloud][engine];
  if (versions.length === 0 || versions.includes(track(engine, version))) return undefined;
  const label = engine === "postgres" ? "PostgreSQL" : "MySQL";
  return `a ${label} version ${cloud} offers: ${versions.join(", ")}${engine === "postgres" ? " (a major version, optionally with its minor)" : ""}`;
}
