/** What the database rules share: which types are databases, and which are read replicas. */
import type { PolicyResource } from "@pulumi/policy";
import { at, num, objects, str, worldCidrs, type Props } from "../props";
import { aws, digitalocean, gcp, kubernetes } from "../resourceTypes";
import { describe, type StackView } from "../stackView";

/** The type tokens of primary databases on the four clouds. */
export const databaseTypes: readonly string[] = [
  aws.dbInstance,
  aws.dbCluster,
  gcp.sqlInstance,
  digitalocean.databaseCluster,
  kubernetes.postgresCluster,
];

/**
 * True for a DigitalOcean managed MongoDB cluster: a document database, judged by the
 * document-* rules, not by the SQL database-* rules (which judge every other engine of a
 * DatabaseCluster, Valkey and Redis included).
 */
export function isDocumentCluster(resource: PolicyResource): boolean {
  return resource.type === digitalocean.databaseCluster && (str(resource.props.engine) ?? "").toLowerCase() === "mongodb";
}

/** The primary databases the database-* rules judge: every database type but DigitalOcean MongoDB. */
export function sqlDatabases(view: StackView): PolicyResource[] {
  return view.ofType(databaseTypes).filter((r) => !isDocumentCluster(r));
}

/**
 * What is wrong with a DigitalOcean cluster's trusted sources (its DatabaseFirewalls), or
 * undefined: with no rule the cluster accepts connections from anywhere.
 */
export function digitaloceanFirewallProblem(view: StackView, cluster: PolicyResource): string | undefined {
  const firewalls = view.referrers(cluster, digitalocean.databaseFirewall, "clusterId");
  const rules = firewalls.flatMap((f) => objects(f.props.rules));
  if (rules.length === 0) return `${describe(cluster)} accepts connections from anywhere: add a DatabaseFirewall whose rules admit only the nodes (type "tag" or "droplet").`;
  if (rules.some((r) => str(r.type) === "ip_addr" && worldCidrs.includes(str(r.value) ?? ""))) return `${describe(cluster)}'s DatabaseFirewall admits the whole internet: admit only the nodes.`;
  return undefined;
}

/**
 * True for a read replica: it takes its settings (backups, deletion, failover) from its
 * primary, which the rules judge instead.
 */
export function isReplica(props: Props): boolean {
  return Boolean(props.replicateSourceDb || props.masterInstanceName);
}

/**
 * Database engines by image name (the last path segment, without tag): the official and
 * Bitnami images of the engines that keep data. Redis, Valkey and Memcached are left out
 * (mostly caches, judged as node groups); so are exporters, proxies and poolers.
 */
const databaseImages = /^(mongo|mongodb|mongodb-community-server|mysql|mysql-server|mariadb|percona|percona-server|percona-server-mongodb|postgres|postgresql|postgis|timescaledb|timescaledb-ha|cockroach|cockroachdb|cassandra|scylla|couchdb|neo4j|influxdb|clickhouse-server|elasticsearch|opensearch|mssql-server)$/;
/** Ports and port names of those engines (for images built on them, such as "catalogue-db" on MySQL). */
const databasePorts = new Set([3306, 5432, 27017, 9042, 26257, 5984, 1433, 7687]);
const databasePortNames = /^(mysql|mariadb|postgres|postgresql|pg|mongo|mongodb|cql|cockroach|couchdb|mssql|bolt)$/;
const notDatabases = /exporter|bouncer|proxy|pgpool|adminer|admin|backup|client|operator/;

function imageName(image: unknown): string {
  return (str(image) ?? "").split("@")[0].split("/").pop()!.split(":")[0].toLowerCase();
}

/** The database engine a container runs ("mongo", "mysql", ...), or undefined. */
export function databaseEngine(container: Props): string | undefined {
  const image = imageName(container.image);
  if (notDatabases.test(image)) return undefined;
  if (databaseImages.test(image)) return image;
  const port = objects(container.ports).find((p) => databasePorts.has(num(p.containerPort) ?? -1) || databasePortNames.test((str(p.name) ?? "").toLowerCase()));
  return port ? (str(port.name) ?? `port ${String(port.containerPort)}`) : undefined;
}

/** A database run by hand in a Deployment or StatefulSet (not by an operator's custom resource). */
export interface SelfHostedDatabase {
  resource: PolicyResource;
  engine: string;
  /** spec.replicas (default 1); undefined when not known. */
  replicas: number | undefined;
}

/** The Deployments and StatefulSets whose containers run a database engine. */
export function selfHostedDatabases(view: StackView): SelfHostedDatabase[] {
  return view.ofType([kubernetes.deployment, kubernetes.statefulSet]).flatMap((r) => {
    const engine = objects(r.props, "spec.template.spec.containers").map(databaseEngine).find((e) => e !== undefined);
    if (!engine) return [];
    const replicas = at(r.props, "spec.replicas") === undefined ? 1 : num(r.props, "spec.replicas");
    return [{ resource: r, engine, replicas }];
  });
}
