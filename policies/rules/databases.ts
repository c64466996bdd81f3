/** What the database rules share: which types are databases, and which are read replicas. */
import type { Props } from "../props";
import { aws, digitalocean, gcp, kubernetes } from "../resourceTypes";

/** The type tokens of primary databases on the four clouds. */
export const databaseTypes: readonly string[] = [
  aws.dbInstance,
  aws.dbCluster,
  gcp.sqlInstance,
  digitalocean.databaseCluster,
  kubernetes.postgresCluster,
];

/**
 * True for a read replica: it takes its settings (backups, deletion, failover) from its
 * primary, which the rules judge instead.
 */
export function isReplica(props: Props): boolean {
  return Boolean(props.replicateSourceDb || props.masterInstanceName);
}
