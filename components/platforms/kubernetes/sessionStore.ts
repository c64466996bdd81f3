/**
 * The optional session store on Kubernetes: a Valkey primary with two replicas and
 * automatic failover, inside the cluster, behind one plain host:port.
 *
 * Clusters have no managed Redis, so the store is built from three parts:
 *
 * - **Valkey with Sentinel.** A StatefulSet of 3 pods; each runs `valkey-server` and a
 *   `valkey-sentinel` next to it (3 sentinels, quorum 2: any two agree that the primary is
 *   down, after 5 s without an answer; a failover that stalls is retried after 60 s).
 *   Pod 0 starts as the primary and the others as its replicas. Every time a Valkey or
 *   Sentinel process starts, a script first asks the sentinels who the primary is *now*
 *   and only falls back to "pod 0" when none answers (a new set). So a restarted old
 *   primary rejoins as a replica of the one promoted in its absence instead of coming back
 *   as a second primary. A pod that is stopped on purpose (rolling update, node drain)
 *   while it is the primary hands over first: it pauses writes, asks a sentinel for a
 *   failover and follows the new primary, so no acknowledged write is lost.
 * - **HAProxy in front.** A Deployment of 2 HAProxy pods behind the `<name>-sessions`
 *   Service. HAProxy health-checks each Valkey pod over TCP with `AUTH`, `PING` and
 *   `INFO replication`, and only the pod answering `role:master` passes, so the Service
 *   always reaches the current primary. Apps use a plain host:port: no Sentinel-aware
 *   client library is needed, and that is why this is not "Sentinel only".
 * - **One password.** A generated password in a Secret (key `password`): Valkey's
 *   `requirepass`/`masterauth`, the sentinels' own password and `auth-pass`, HAProxy's
 *   check and the app all read it from there, never from the pod spec or a ConfigMap.
 *
 * Both `valkey` and `redis` requests get Valkey 8.0: Valkey is a fork of Redis 7.2 and
 * speaks the same protocol, so an app written for either works against it.
 *
 * Availability: pods spread over zones (when the nodes have zones) and hosts; a
 * PodDisruptionBudget for each tier lets a drain take one pod at a time; data lives on a
 * volume per pod (append-only file), so a restarted pod reloads instead of resyncing from
 * nothing. Network policies admit the app to HAProxy only, and HAProxy and the Valkey pods
 * themselves to Valkey only.
 *
 * TLS: traffic stays inside the cluster network (`tls` is false). Encrypt it in transit
 * with a service mesh (mTLS between the app, HAProxy and Valkey) if the cluster's network
 * is not trusted.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { internalAnnotation } from "../../../contract/roles";
import type { SessionsSpec } from "../../topology";

/** Arguments of SessionStore. */
export interface SessionStoreArgs {
  /** The sessions part of the topology (`engine` valkey or redis: both are served by Valkey 8.0). */
  spec: SessionsSpec;
  /** The namespace every object is created in (the app's namespace). */
  namespace: pulumi.Input<string>;
  /**
   * CPU and memory requests of each Valkey container (the preset already resolved, such
   * as `{ cpu: "100m", memory: "128Mi" }`). The memory limit is twice the request (room
   * for the fork of an append-only-file rewrite and for replication buffers), and Valkey
   * keeps its data set under three quarters of the request.
   */
  resources: { cpu: string; memory: string };
  /** The app pods' labels: the only pods that may connect to the store. */
  appLabels: Record<string, string>;
  /** Labels for every object (the selectors use their own, fixed labels). */
  labels: Record<string, string>;
  /** The StorageClass of the Valkey volumes (default: the cluster's default class). */
  storageClassName?: pulumi.Input<string>;
  /** The cluster's DNS domain (default `cluster.local`): HAProxy and the sentinels address the pods by their full names. */
  clusterDomain?: string;
  /**
   * The base of the objects' Kubernetes names (default: `name`, as the logical names):
   * shorter than `name` where `<base>-sessions-valkey` would not fit a StatefulSet's 52
   * characters (several-workloads model, long names).
   */
  objectBase?: string;
  /**
   * The pod labels of every workload that uses the store (several-workloads model): the
   * proxies admit these instead of `appLabels`. Empty: no client is admitted.
   */
  clients?: Record<string, string>[];
  /** True: the password Secret also holds a ready `url` (`redis://:<password>@<host>:6379`). */
  withUrl?: boolean;
  /**
   * True: a broker (`kind: queue`, engine valkey): `maxmemory-policy noeviction`, since a
   * broker must never drop a task (writes fail under memory pressure instead). The
   * append-only file is on either way. Unset: the cache's config, unchanged.
   */
  broker?: boolean;
}

/** The port the store's Service (and every Valkey server) listens on. */
export const sessionStorePort = 6379;
/** The Sentinel port of each Valkey pod. */
export const sentinelPort = 26379;
/** The key of the password in the Secret named by `passwordSecretName`. */
export const sessionStorePasswordKey = "password";
/** Valkey and Sentinel image, pinned to a minor version (patch updates only). */
export const valkeyImage = "valkey/valkey:8.0";
/** HAProxy image, pinned to a long-term-support branch (patch updates only). */
export const haproxyImage = "haproxy:3.0";

/** One primary and two replicas: three sentinels, so any two form a majority. */
const valkeyReplicas = 3;
/** Two proxies: one can be rolled or drained while the other serves. */
const proxyReplicas = 2;
/** The name the sentinels know the primary by. */
const primaryName = "sessions";
/** The image's `valkey` user and group. */
const valkeyUid = 999;
/** The image's `haproxy` user and group. */
const haproxyUid = 99;

/** Fixed, small requests: a sentinel and a TCP proxy hardly use anything. */
const sentinelResources = { requests: { cpu: "25m", memory: "32Mi" }, limits: { memory: "64Mi" } };
const haproxyResources = { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } };

const units: Record<string, number> = { "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** "256Mi" -> bytes; refuses anything that is not a plain memory quantity. */
function memoryBytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(quantity);
  if (!match) throw new Error(`SessionStore: resources.memory is "${quantity}"; expected a Kubernetes memory quantity such as "256Mi"`);
  return Math.floor(Number(match[1]) * units[match[2] ?? ""]);
}

/**
 * Shared by the scripts below (sourced, not run): this pod's and its peers' DNS names, and
 * the question "who is the primary now?" put to every sentinel. Names are the headless
 * Service's per-pod records, which exist before the pods are ready (publishNotReadyAddresses).
 */
const commonScript = `# Sourced by the other scripts.
set -eu
umask 0077
domain="$HEADLESS_SERVICE.$POD_NAMESPACE.svc.$CLUSTER_DOMAIN"
set_name="\${POD_NAME%-*}"
self="$POD_NAME.$domain"

peer() { echo "$set_name-$1.$domain"; }

# The password comes from REDISCLI_AUTH (the container's environment), not from -a: a
# command line is visible to every process on the node (ps, /proc/<pid>/cmdline).
cli() { timeout 3 valkey-cli "$@"; }

# Prints the primary named by most of the sentinels that answer, or nothing when no sentinel answers
# (a new set, or every pod starting at once). Answers that are not one of this set's pods
# (errors, an unknown primary) are ignored.
sentinel_primary() {
  answers=""
  i=0
  while [ "$i" -lt "$REPLICAS" ]; do
    answer="$(cli -h "$(peer "$i")" -p ${sentinelPort} SENTINEL get-master-addr-by-name "$PRIMARY_NAME" 2>/dev/null | head -n 1 | tr -d '\\r' || true)"
    case "$answer" in
      "$set_name"-[0-9]*".$domain") answers="$answers$answer
" ;;
    esac
    i=$((i + 1))
  done
  printf '%s' "$answers" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }'
}

# The sentinels' answer, else pod 0: the primary of a new set.
current_primary() {
  primary="$(sentinel_primary)"
  if [ -z "$primary" ]; then primary="$(peer 0)"; fi
  echo "$primary"
}

# The flags each reachable sentinel reports for the primary (s_down, o_down,
# failover_in_progress, ...), one line per sentinel.
primary_flags() {
  i=0
  while [ "$i" -lt "$REPLICAS" ]; do
    cli -h "$(peer "$i")" -p ${sentinelPort} SENTINEL MASTER "$PRIMARY_NAME" 2>/dev/null | tr -d '\\r' | awk 'previous == "flags" { print; exit } { previous = $0 }' || true
    i=$((i + 1))
  done
}
`;

/**
 * The Valkey container's entry point. The configuration is written afresh on every start
 * (an emptyDir, in memory: it holds the password), so the role comes from the sentinels'
 * current view, never from a file a failover rewrote while this process was away.
 */
const valkeyScript = `. /scripts/common.sh
primary="$(current_primary)"
# A primary that was away long enough for the sentinels to notice (a crash, an OOM kill)
# waits for their verdict, at most 30 s: starting as primary while they promote a replica
# would make two primaries until they demote this one.
waited=0
while [ "$primary" = "$self" ] && [ "$waited" -lt 30 ] && primary_flags | grep -Eq 's_down|o_down|failover'; do
  echo "the sentinels see this primary as down: waiting for their decision"
  sleep 1
  waited=$((waited + 1))
  primary="$(current_primary)"
done
{
  echo "port ${sessionStorePort}"
  echo "dir /data"
  # Every write is in the append-only file within a second: a restarted pod reloads its
  # data instead of starting empty (an empty primary would empty its replicas too).
  echo "appendonly yes"
  echo "appendfsync everysec"
  echo 'save ""'
  echo "requirepass $VALKEY_PASSWORD"
  echo "masterauth $VALKEY_PASSWORD"
  # Replicas are known by their stable DNS names, not their pod IPs (which change).
  echo "replica-announce-ip $self"
  echo "replica-announce-port ${sessionStorePort}"
  # Sessions are disposable: under memory pressure the least recently used go first,
  # rather than refusing new sign-ins.
  echo "maxmemory $MAXMEMORY_BYTES"
  echo "maxmemory-policy allkeys-lru"
  if [ "$primary" != "$self" ]; then echo "replicaof $primary ${sessionStorePort}"; fi
} > /etc/valkey/valkey.conf
echo "starting as $([ "$primary" = "$self" ] && echo primary || echo "replica of $primary")"
exec valkey-server /etc/valkey/valkey.conf
`;

/**
 * The Sentinel container's entry point. Also written afresh on every start: a stale file
 * could name a pod that no longer resolves, and Sentinel refuses to start then. The id is
 * derived from the pod's name, so a restarted sentinel is the same voter to the others
 * (new ids would pile up as phantom sentinels and make a majority harder to reach).
 */
const sentinelScript = `. /scripts/common.sh
primary="$(current_primary)"
until getent hosts "$primary" > /dev/null; do
  echo "waiting for $primary to resolve"
  sleep 1
done
myid="$(printf '%s' "$self" | sha1sum | cut -c1-40)"
cat > /etc/sentinel/sentinel.conf <<EOF
port ${sentinelPort}
dir /tmp
sentinel myid $myid
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel announce-ip $self
sentinel announce-port ${sentinelPort}
requirepass $VALKEY_PASSWORD
sentinel sentinel-pass $VALKEY_PASSWORD
sentinel monitor $PRIMARY_NAME $primary ${sessionStorePort} 2
sentinel auth-pass $PRIMARY_NAME $VALKEY_PASSWORD
sentinel down-after-milliseconds $PRIMARY_NAME 5000
sentinel failover-timeout $PRIMARY_NAME 60000
sentinel parallel-syncs $PRIMARY_NAME 1
EOF
exec valkey-server /etc/sentinel/sentinel.conf --sentinel
`;

/**
 * Readiness: the primary, or a replica whose link to the primary is up. A replica that
 * has not synced yet is not ready, so a rolling update waits for it before it stops the
 * next pod (and never stops the primary while the replicas are still empty).
 */
const readyScript = `info="$(timeout 3 valkey-cli INFO replication 2>/dev/null)" || exit 1
case "$info" in
  *role:master*) exit 0 ;;
  *master_link_status:up*) exit 0 ;;
esac
exit 1
`;

/**
 * Before a primary is stopped on purpose: pause writes (clients wait instead of writing
 * to a server about to go; replication goes on, so the replicas catch up), have a peer's
 * sentinel promote a replica (this pod's own sentinel is already stopping), then follow
 * the new primary at once, so HAProxy's check fails here and passes there within two
 * seconds; HAProxy then closes the paused clients' connections and they reconnect to the
 * new primary. The pause is not lifted after a hand-over: lifted, the waiting writes would
 * meet a replica and fail with READONLY. At most about 30 s; without a hand-over the pause
 * is lifted, the pod stops, and the sentinels fail over on their own.
 */
const preStopScript = `. /scripts/common.sh
set +e
role() { cli INFO replication 2>/dev/null | tr -d '\\r' | awk -F: '$1 == "role" { print $2 }'; }
[ "$(role)" = "master" ] || exit 0
cli CLIENT PAUSE 30000 WRITE > /dev/null
requested=""
i=0
while [ "$i" -lt "$REPLICAS" ] && [ -z "$requested" ]; do
  host="$(peer "$i")"
  if [ "$host" != "$self" ] && cli -h "$host" -p ${sentinelPort} SENTINEL FAILOVER "$PRIMARY_NAME" 2>/dev/null | grep -q OK; then
    requested="$host"
  fi
  i=$((i + 1))
done
if [ -n "$requested" ]; then
  n=0
  while [ "$n" -lt 20 ]; do
    primary="$(sentinel_primary)"
    if [ -n "$primary" ] && [ "$primary" != "$self" ]; then
      cli REPLICAOF "$primary" ${sessionStorePort} > /dev/null
      # Two failed checks (1 s apart) and HAProxy has moved to the new primary.
      sleep 3
      exit 0
    fi
    sleep 1
    n=$((n + 1))
  done
fi
cli CLIENT UNPAUSE > /dev/null
exit 0
`;

/** HAProxy's configuration; `\${...}` are environment variables HAProxy expands itself. */
function haproxyConfig(valkeyName: string, clusterDomain: string): string {
  const servers = Array.from({ length: valkeyReplicas }, (_, i) =>
    `  server valkey-${i} "${valkeyName}-${i}.${valkeyName}.\${POD_NAMESPACE}.svc.${clusterDomain}:${sessionStorePort}"`);
  return [
    "global",
    "  log stdout format raw local0 info",
    // Explicit: derived from the file descriptor limit, it can reserve a lot of memory.
    "  maxconn 4096",
    // A stopping proxy lets open connections finish for this long; clients then reconnect
    // through the Service to the other proxy.
    "  hard-stop-after 15s",
    "",
    // Pods get new IPs when they are re-created: re-resolve their names continuously.
    "resolvers cluster",
    "  parse-resolv-conf",
    "  resolve_retries 3",
    "  timeout resolve 1s",
    "  timeout retry 1s",
    "  hold valid 5s",
    "  hold nx 5s",
    "  hold obsolete 5s",
    "",
    "defaults",
    "  mode tcp",
    "  log global",
    "  option tcplog",
    // The kubelet's TCP probes open and close connections without data: not worth a line.
    "  option dontlognull",
    "  timeout connect 3s",
    // Session clients keep pooled connections open; keepalives and a long idle timeout
    // keep them from being cut in the middle of a quiet hour.
    "  timeout client 1h",
    "  timeout server 1h",
    "  timeout check 2s",
    "  option clitcpka",
    "  option srvtcpka",
    "",
    "frontend sessions",
    `  bind :${sessionStorePort}`,
    "  default_backend primary",
    "",
    "backend primary",
    // Only the server that says role:master passes; replicas (and a demoted primary) fail.
    "  option tcp-check",
    "  tcp-check connect",
    '  tcp-check send "AUTH ${VALKEY_PASSWORD}\\r\\n"',
    "  tcp-check expect string +OK",
    "  tcp-check send PING\\r\\n",
    "  tcp-check expect string +PONG",
    // QUIT right behind it: the server then closes the connection, so a replica's answer
    // fails the check at once instead of when the check times out.
    "  tcp-check send INFO\\ replication\\r\\nQUIT\\r\\n",
    "  tcp-check expect string role:master",
    // When a server stops being the primary, its client connections are closed so the
    // clients reconnect (to the new primary) instead of writing to a replica.
    "  default-server check inter 1s fall 2 rise 2 on-marked-down shutdown-sessions resolvers cluster init-addr last,libc,none resolve-prefer ipv4",
    ...servers,
    "",
  ].join("\n");
}

/** Spread over zones where possible, and over hosts (balanced, never all on one node). */
function spread(selector: Record<string, string>) {
  return [
    { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
    // Nodes this pod cannot run on (tainted control planes) do not count as empty hosts.
    { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "DoNotSchedule", nodeTaintsPolicy: "Honor", labelSelector: { matchLabels: selector } },
  ];
}

/** The restricted Pod Security profile, per container. */
const containerSecurity = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

/** A replicated Valkey with automatic failover, reached through HAProxy at one stable address. */
export class SessionStore extends pulumi.ComponentResource {
  /** The Service's cluster DNS name (`<name>-sessions.<namespace>.svc.cluster.local`); always the current primary. */
  readonly host: pulumi.Output<string>;
  /** The port (`sessionStorePort`). */
  readonly port: number;
  /** host:port. */
  readonly endpoint: pulumi.Output<string>;
  /** The Secret holding the password under the key `password` (`sessionStorePasswordKey`). */
  readonly passwordSecretName: pulumi.Output<string>;
  /** False: in-cluster traffic is plain TCP (add TLS with a service mesh). */
  readonly tls: boolean;
  /** The generated password, a secret. */
  readonly password: pulumi.Output<string>;
  /** The connection URL with the password (`withUrl`), a secret. */
  readonly url?: pulumi.Output<string>;
  /** The labels of the proxies' pods: what clients connect to (a client's egress policy allows these). */
  readonly clientSelector: Record<string, string>;

  constructor(name: string, args: SessionStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ha-topology:kubernetes:SessionStore", name, {}, opts);
    const { namespace } = args;
    const parent = { parent: this };
    const clusterDomain = args.clusterDomain ?? "cluster.local";

    const base = args.objectBase ?? name;
    const serviceName = `${base}-sessions`;
    // The StatefulSet and its headless Service share a name: pods are `<valkeyName>-<i>.<valkeyName>`.
    const valkeyName = `${base}-sessions-valkey`;
    const haproxyName = `${base}-sessions-haproxy`;
    // Fixed selector labels (selectors cannot change later), distinct from the app's.
    const valkeySelector = { "app.kubernetes.io/name": "valkey", "app.kubernetes.io/instance": serviceName, "app.kubernetes.io/component": "sessions" };
    const haproxySelector = { "app.kubernetes.io/name": "haproxy", "app.kubernetes.io/instance": serviceName, "app.kubernetes.io/component": "sessions-proxy" };
    const meta = (selector: Record<string, string>, objectName?: string) => ({
      ...(objectName === undefined ? {} : { name: objectName }),
      namespace,
      labels: { ...args.labels, ...selector },
    });

    const memory = memoryBytes(args.resources.memory);
    const mebibytes = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)}Mi`;
    // The append-only file can grow to about twice the data set before it is rewritten,
    // and the old and new files coexist during a rewrite: three times the request, at least 1Gi.
    const volumeSize = `${Math.max(1, Math.ceil((3 * memory) / 2 ** 30))}Gi`;

    // Letters and digits only: nothing to quote in a config file, a RESP command or a URL.
    const password = new random.RandomPassword(`${name}-sessions`, { length: 32, special: false }, parent);
    const secret = new k8s.core.v1.Secret(`${name}-sessions`, {
      // Generated name: a new password becomes a new Secret, and the pods roll onto it.
      metadata: meta(valkeySelector),
      type: "Opaque",
      stringData: {
        [sessionStorePasswordKey]: pulumi.secret(password.result),
        ...(args.withUrl && { url: pulumi.secret(pulumi.interpolate`redis://:${password.result}@${serviceName}.${namespace}.svc.${clusterDomain}:${sessionStorePort}`) }),
      },
    }, parent);
    const passwordRef = { secretKeyRef: { name: secret.metadata.name, key: sessionStorePasswordKey } };
    // VALKEY_PASSWORD goes into the config files (written by shell builtins, never as an
    // argument); REDISCLI_AUTH is how valkey-cli (and redis-cli) take it without `-a`.
    const passwordEnv = { name: "VALKEY_PASSWORD", valueFrom: passwordRef };
    const cliAuthEnv = { name: "REDISCLI_AUTH", valueFrom: passwordRef };
    const namespaceEnv = { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } };

    // Generated names: a changed script or config is a new ConfigMap, which rolls the pods.
    const scripts = new k8s.core.v1.ConfigMap(`${name}-sessions-valkey`, {
      metadata: meta(valkeySelector),
      data: {
        "common.sh": commonScript,
        "valkey.sh": args.broker ? valkeyScript.replace("maxmemory-policy allkeys-lru", "maxmemory-policy noeviction") : valkeyScript,
        "sentinel.sh": sentinelScript,
        "ready.sh": readyScript,
        "prestop.sh": preStopScript,
      },
    }, parent);
    const haproxyConfigMap = new k8s.core.v1.ConfigMap(`${name}-sessions-haproxy`, {
      metadata: meta(haproxySelector),
      data: { "haproxy.cfg": haproxyConfig(valkeyName, clusterDomain) },
    }, parent);

    // Stable per-pod DNS names for replication, the sentinels and HAProxy. Not-ready pods
    // are published too: a replica must find a primary that is still starting, and the
    // sentinels must find each other before any of them is ready.
    const headless = new k8s.core.v1.Service(`${name}-sessions-valkey`, {
      metadata: meta(valkeySelector, valkeyName),
      spec: {
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: valkeySelector,
        ports: [
          { name: "valkey", port: sessionStorePort, targetPort: "valkey", protocol: "TCP" },
          { name: "sentinel", port: sentinelPort, targetPort: "sentinel", protocol: "TCP" },
        ],
      },
    }, parent);

    const valkeyEnv = [
      passwordEnv,
      cliAuthEnv,
      namespaceEnv,
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "HEADLESS_SERVICE", value: valkeyName },
      { name: "CLUSTER_DOMAIN", value: clusterDomain },
      { name: "REPLICAS", value: String(valkeyReplicas) },
      { name: "PRIMARY_NAME", value: primaryName },
    ];
    const valkeyPing = (port: number, accept: string) => ({
      exec: { command: ["sh", "-c", `valkey-cli -p ${port} ping | grep -Eq '${accept}'`] },
    });
    // A server loading its data set (or a replica whose primary is gone) is alive, not hung.
    const valkeyAlive = valkeyPing(sessionStorePort, "PONG|LOADING|MASTERDOWN");
    const sentinelAlive = valkeyPing(sentinelPort, "PONG");
    const scriptsMount = { name: "scripts", mountPath: "/scripts", readOnly: true };
    const tmpMount = { name: "tmp", mountPath: "/tmp" };

    const statefulSet = new k8s.apps.v1.StatefulSet(`${name}-sessions-valkey`, {
      metadata: meta(valkeySelector, valkeyName),
      spec: {
        serviceName: headless.metadata.name,
        replicas: valkeyReplicas,
        // The scripts, not the start order, decide the roles: all pods start at once, so a
        // set that lost several pods recovers in one step.
        podManagementPolicy: "Parallel",
        // One pod at a time, from the highest ordinal; the primary hands over before it stops.
        updateStrategy: { type: "RollingUpdate" },
        // Give the sentinels a round of INFO to see a new replica before the next pod stops.
        minReadySeconds: 10,
        // Volumes outlive the StatefulSet: a replaced StatefulSet finds its data again.
        // Delete the `data-*` claims by hand after turning sessions off.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
        selector: { matchLabels: valkeySelector },
        template: {
          metadata: { labels: { ...args.labels, ...valkeySelector } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            // Room for the primary's hand-over (at most about 30 s) and a clean shutdown.
            terminationGracePeriodSeconds: 60,
            securityContext: {
              runAsNonRoot: true,
              runAsUser: valkeyUid,
              runAsGroup: valkeyUid,
              // Makes the data volume writable by the valkey user.
              fsGroup: valkeyUid,
              fsGroupChangePolicy: "OnRootMismatch",
              seccompProfile: { type: "RuntimeDefault" },
            },
            topologySpreadConstraints: spread(valkeySelector),
            containers: [
              {
                name: "valkey",
                image: valkeyImage,
                imagePullPolicy: "IfNotPresent",
                command: ["sh", "/scripts/valkey.sh"],
                ports: [{ name: "valkey", containerPort: sessionStorePort, protocol: "TCP" }],
                env: [...valkeyEnv, { name: "MAXMEMORY_BYTES", value: String(Math.floor(memory * 0.75)) }],
                resources: { requests: args.resources, limits: { memory: mebibytes(2 * memory) } },
                // Loading a large append-only file may take a while after a restart.
                startupProbe: { ...valkeyAlive, periodSeconds: 2, timeoutSeconds: 5, failureThreshold: 90 },
                livenessProbe: { ...valkeyAlive, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                readinessProbe: { exec: { command: ["sh", "/scripts/ready.sh"] }, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 2 },
                lifecycle: { preStop: { exec: { command: ["sh", "/scripts/prestop.sh"] } } },
                securityContext: containerSecurity,
                volumeMounts: [
                  { name: "data", mountPath: "/data" },
                  { name: "valkey-config", mountPath: "/etc/valkey" },
                  scriptsMount,
                  tmpMount,
                ],
              },
              {
                name: "sentinel",
                image: valkeyImage,
                imagePullPolicy: "IfNotPresent",
                command: ["sh", "/scripts/sentinel.sh"],
                ports: [{ name: "sentinel", containerPort: sentinelPort, protocol: "TCP" }],
                env: valkeyEnv,
                resources: sentinelResources,
                // Waits (without listening) until the primary's name resolves.
                startupProbe: { ...sentinelAlive, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 60 },
                livenessProbe: { ...sentinelAlive, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
                readinessProbe: { ...sentinelAlive, periodSeconds: 5, timeoutSeconds: 5, failureThreshold: 2 },
                securityContext: containerSecurity,
                volumeMounts: [{ name: "sentinel-config", mountPath: "/etc/sentinel" }, scriptsMount, tmpMount],
              },
            ],
            volumes: [
              { name: "scripts", configMap: { name: scripts.metadata.name, defaultMode: 0o444 } },
              // In memory: these files hold the password. Sentinel rewrites its own file.
              { name: "valkey-config", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
              { name: "sentinel-config", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } },
              { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
            ],
          },
        },
        volumeClaimTemplates: [{
          metadata: { name: "data", labels: { ...args.labels, ...valkeySelector } },
          spec: {
            accessModes: ["ReadWriteOnce"],
            resources: { requests: { storage: volumeSize } },
            ...(args.storageClassName === undefined ? {} : { storageClassName: args.storageClassName }),
          },
        }],
      },
    }, parent);

    const haproxy = new k8s.apps.v1.Deployment(`${name}-sessions-haproxy`, {
      // Internal: it serves the app, not clients, so ha-guard's client-facing node rules skip it.
      metadata: { ...meta(haproxySelector, haproxyName), annotations: { [internalAnnotation]: "true" } },
      spec: {
        replicas: proxyReplicas,
        selector: { matchLabels: haproxySelector },
        // Surge first: never fewer than two ready proxies during a rollout.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        minReadySeconds: 5,
        template: {
          metadata: { labels: { ...args.labels, ...haproxySelector } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            // preStop pause + hard-stop-after, with a margin.
            terminationGracePeriodSeconds: 30,
            securityContext: {
              runAsNonRoot: true,
              // The image's user is a name: the kubelet needs the number to verify non-root.
              runAsUser: haproxyUid,
              runAsGroup: haproxyUid,
              fsGroup: haproxyUid,
              seccompProfile: { type: "RuntimeDefault" },
            },
            topologySpreadConstraints: spread(haproxySelector),
            containers: [{
              name: "haproxy",
              image: haproxyImage,
              imagePullPolicy: "IfNotPresent",
              // The image's entry point adds -W -db (master-worker, foreground); the image's
              // stop signal (SIGUSR1) is a graceful stop.
              args: ["haproxy", "-f", "/usr/local/etc/haproxy-sessions/haproxy.cfg"],
              ports: [{ name: "valkey", containerPort: sessionStorePort, protocol: "TCP" }],
              env: [passwordEnv, namespaceEnv],
              resources: haproxyResources,
              readinessProbe: { tcpSocket: { port: "valkey" }, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
              livenessProbe: { tcpSocket: { port: "valkey" }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
              // Stay up until the Service has dropped this pod from its endpoints.
              lifecycle: { preStop: { sleep: { seconds: 5 } } },
              securityContext: containerSecurity,
              volumeMounts: [
                { name: "config", mountPath: "/usr/local/etc/haproxy-sessions", readOnly: true },
                tmpMount,
              ],
            }],
            volumes: [
              { name: "config", configMap: { name: haproxyConfigMap.metadata.name, defaultMode: 0o444 } },
              { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
            ],
          },
        },
      },
    }, parent);

    const service = new k8s.core.v1.Service(`${name}-sessions`, {
      metadata: meta(haproxySelector, serviceName),
      spec: {
        type: "ClusterIP",
        selector: haproxySelector,
        ports: [{ name: "valkey", port: sessionStorePort, targetPort: "valkey", protocol: "TCP" }],
      },
    }, {
      ...parent,
      // The address is published once the store behind it answers, so the app, which
      // takes the address, starts after the store.
      dependsOn: [haproxy, statefulSet],
    });

    // One pod of each tier at a time; a pod that is not ready anyway may always be evicted,
    // so a crash-looping pod cannot block a node drain.
    for (const [logical, objectName, selector] of [
      [`${name}-sessions-valkey`, valkeyName, valkeySelector],
      [`${name}-sessions-haproxy`, haproxyName, haproxySelector],
    ] as const) {
      new k8s.policy.v1.PodDisruptionBudget(logical, {
        metadata: meta(selector, objectName),
        spec: { maxUnavailable: 1, selector: { matchLabels: selector }, unhealthyPodEvictionPolicy: "AlwaysAllow" },
      }, parent);
    }

    // The app reaches the proxies, and nothing else does.
    new k8s.networking.v1.NetworkPolicy(`${name}-sessions-haproxy`, {
      metadata: meta(haproxySelector, haproxyName),
      spec: {
        podSelector: { matchLabels: haproxySelector },
        policyTypes: ["Ingress"],
        // An empty `from` would admit every pod: no client, no rule.
        ingress: (args.clients ?? [args.appLabels]).length > 0
          ? [{ from: (args.clients ?? [args.appLabels]).map((labels) => ({ podSelector: { matchLabels: labels } })), ports: [{ protocol: "TCP", port: sessionStorePort }] }]
          : [],
      },
    }, parent);
    // The proxies reach Valkey; the Valkey pods reach each other (replication, sentinels).
    new k8s.networking.v1.NetworkPolicy(`${name}-sessions-valkey`, {
      metadata: meta(valkeySelector, valkeyName),
      spec: {
        podSelector: { matchLabels: valkeySelector },
        policyTypes: ["Ingress"],
        ingress: [
          { from: [{ podSelector: { matchLabels: haproxySelector } }], ports: [{ protocol: "TCP", port: sessionStorePort }] },
          {
            from: [{ podSelector: { matchLabels: valkeySelector } }],
            ports: [{ protocol: "TCP", port: sessionStorePort }, { protocol: "TCP", port: sentinelPort }],
          },
        ],
      },
    }, parent);

    this.host = pulumi.interpolate`${service.metadata.name}.${service.metadata.namespace}.svc.${clusterDomain}`;
    this.port = sessionStorePort;
    this.endpoint = pulumi.interpolate`${this.host}:${sessionStorePort}`;
    this.passwordSecretName = secret.metadata.name;
    // In-cluster traffic; a service mesh can add mTLS without changing the app.
    this.tls = false;
    this.password = pulumi.secret(password.result);
    this.url = args.withUrl ? pulumi.secret(pulumi.interpolate`redis://:${password.result}@${this.host}:${sessionStorePort}`) : undefined;
    this.clientSelector = haproxySelector;
    this.registerOutputs({
      host: this.host,
      port: this.port,
      endpoint: this.endpoint,
      passwordSecretName: this.passwordSecretName,
      tls: this.tls,
    });
  }
}
