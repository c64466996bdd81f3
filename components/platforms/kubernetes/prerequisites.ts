/**
 * What the Kubernetes platform needs in the cluster besides itself: the operators whose
 * custom resources it registers. Each is installed by the program when its flag is true,
 * else a prerequisite. The table is the one place that says which API group comes from
 * which operator, so both the plan's notice (before anything is created) and the refusal
 * of a failed deployment (`missingCrdHint`, when the cluster did not know a kind) name the
 * operator, its CRD and the flag that installs it.
 */

/** One operator the platform's custom resources rely on. */
export interface ClusterPrerequisite {
  /** The API group of its custom resources. */
  group: string;
  /** Its name, for people. */
  operator: string;
  /** One CRD it installs, to look for with `kubectl get crd`. */
  crd: string;
  /** The config key (under `ha-topology:`) that lets this program install it, when there is one. */
  flag?: string;
  /** How to install it by hand. */
  install: string;
}

/** The operators, by API group. */
export const clusterPrerequisites: readonly ClusterPrerequisite[] = [
  { group: "postgresql.cnpg.io", operator: "the CloudNativePG operator", crd: "clusters.postgresql.cnpg.io", flag: "kubernetes.installCnpgOperator", install: "https://cloudnative-pg.io/documentation/current/installation_upgrade/" },
  { group: "psmdb.percona.com", operator: "the Percona Operator for MongoDB", crd: "perconaservermongodbs.psmdb.percona.com", flag: "kubernetes.installPerconaOperator", install: "https://docs.percona.com/percona-operator-for-mongodb/helm.html" },
  { group: "rabbitmq.com", operator: "the RabbitMQ Cluster Operator", crd: "rabbitmqclusters.rabbitmq.com", flag: "kubernetes.installRabbitmqOperator", install: "https://www.rabbitmq.com/kubernetes/operator/install-operator" },
  { group: "cert-manager.io", operator: "cert-manager", crd: "certificates.cert-manager.io", install: "https://cert-manager.io/docs/installation/" },
];

/** The prerequisite serving `group`, if any. */
export function prerequisiteOf(group: string): ClusterPrerequisite | undefined {
  return clusterPrerequisites.find((p) => p.group === group);
}

/** What to do about a missing operator: install it by hand, or (when it has one) set its flag. */
export function installAdvice(p: ClusterPrerequisite): string {
  return p.flag
    ? `install it (${p.install}), or set ha-topology:${p.flag} true to let this program install it`
    : `install it (${p.install}); this program does not install it`;
}

/**
 * The forms in which the Kubernetes API server and the provider say a kind is unknown:
 * `no matches for kind "K" in version "group/v1"` (the discovery client) and
 * `... GVK is namespaced: group/v1, Kind=K` (pulumi-kubernetes v4).
 */
const unknownKindPatterns = [/no matches for kind "([^"]+)" in version "([^"/]+)\/[^"]+"/g, /GVK is namespaced: ([^/\s,]+)\/[^,\s]+, Kind=(\w+)/g];

/**
 * One line per missing operator named in a deployment error's text: the kind the cluster
 * did not know, the operator that brings it, its CRD and how to install it. Undefined
 * when the text names no kind of a known operator.
 */
export function missingCrdHint(message: string): string | undefined {
  const found = new Map<ClusterPrerequisite, Set<string>>();
  for (const [i, pattern] of unknownKindPatterns.entries()) {
    for (const m of message.matchAll(pattern)) {
      const [kind, group] = i === 0 ? [m[1], m[2]] : [m[2], m[1]];
      const p = prerequisiteOf(group);
      if (p) found.set(p, (found.get(p) ?? new Set()).add(kind));
    }
  }
  if (found.size === 0) return undefined;
  return [...found]
    .map(([p, kinds]) => `the cluster does not know ${[...kinds].map((k) => `${k} (${p.group})`).join(", ")}: ${p.operator} is missing (CRD ${p.crd}; check with kubectl get crd ${p.crd}); ${installAdvice(p)}`)
    .join("\n");
}
