/**
 * The cloud-neutral topology: the typed, defaulted description of one highly available
 * web service, parsed from the `ha-topology:*` stack configuration. Every adapter
 * receives a `Topology` and nothing else from the user, so this file is where bad input
 * stops, before any resource exists.
 */
import * as z from "zod";
import { envNamePattern, isReservedEnvName } from "./appEnvironment";
import { blockSize, hasHostBits, isPrivate, networkCidr, overlaps } from "./cidr";
import { configNamespace, configProblem, formatConfigIssues, TopologyConfigError } from "./configError";
import { engineVersionProblem } from "./engineVersions";
import { registryOf } from "./imageReference";
import { providerConfigProblems } from "./providerConfig";
import { allowedNodeText, isNodeText } from "./nodeText";
import { Cloud, checkSize, clouds } from "./sizes";
import { estimateUserData, isVmCloud, userDataSizeProblem, type VmCloud } from "./userDataLimits";

/** The app nodes: identical, stateless, at least two. */
export interface NodesSpec {
  /** How many nodes serve at all times (the autoscaling floor); at least 2. */
  count: number;
  /** The autoscaling ceiling; at least `count`. Default: twice `count`. */
  maxCount: number;
  /** `small`, `medium`, `large`, or a provider-native size. */
  size: string;
  /** The container image, with a tag or digest (never `latest`: deploys key on it). */
  image: string;
  /** The port the container listens on. */
  port: number;
  /** Plain environment variables for the app (never secrets: use `secrets`). */
  env: Record<string, string>;
  /** Seconds the load balancer drains a node's connections before it is removed. */
  drainSeconds: number;
  /** Average CPU percentage the autoscaler keeps the nodes at. */
  cpuTargetPercent: number;
}

/** How the load balancer decides a node is healthy. */
export interface HealthCheckSpec {
  /** HTTP path that answers 2xx/3xx when the node can serve (leading slash). */
  path: string;
  /** Seconds between checks. */
  intervalSeconds: number;
  /** Seconds before one check counts as failed; less than the interval. */
  timeoutSeconds: number;
  /** Consecutive successes before a node receives traffic. */
  healthyThreshold: number;
  /** Consecutive failures before a node is taken out and replaced. */
  unhealthyThreshold: number;
  /** Seconds after boot before failed checks can replace a new node. */
  gracePeriodSeconds: number;
}

/** The database engines every adapter can run replicated. */
export const databaseEngines = ["postgres", "mysql"] as const;
/** A database engine. */
export type DatabaseEngine = (typeof databaseEngines)[number];

/** The replicated database. */
export interface DatabaseSpec {
  /** `postgres` (default) or `mysql`. */
  engine: DatabaseEngine;
  /** Major (or major.minor) engine version; default 16 for postgres, 8.0 for mysql. */
  version: string;
  /** `small`, `medium`, `large`, or a provider-native database size. */
  size: string;
  /** Initial storage in GB. */
  storageGb: number;
  /** Ceiling for storage autoscaling in GB, where the cloud has it; at least `storageGb`. */
  maxStorageGb: number;
  /** Days of automated backups (point-in-time recovery window); at least 7. */
  backupRetentionDays: number;
  /** Read-only replicas in addition to the standby. */
  readReplicas: number;
  /** Name of the database created for the app. */
  name: string;
  /** Name of the database's admin user. */
  username: string;
}

/** Object storage for the app's files. Private, versioned and encrypted, always. */
export interface StorageSpec {
  /** Always true: versioning cannot be turned off. */
  versioning: true;
  /** Days a replaced or deleted object version is kept before it expires. */
  noncurrentVersionDays: number;
  /** Kubernetes only (clusters have no object storage): the S3-compatible endpoint URL. */
  endpoint?: string;
  /** Kubernetes only: the existing bucket's name. */
  bucket?: string;
  /** Kubernetes only: the bucket's region (for request signing). */
  region?: string;
  /** Kubernetes only: the access key ID. */
  accessKeyId?: string;
  /** Kubernetes only: the secret access key (set it with `--secret`). */
  secretAccessKey?: string;
}

/** Kubernetes settings: where the app lives and which cluster add-ons it uses. */
export interface KubernetesSpec {
  /** The namespace the adapter creates (default: the service name). */
  namespace?: string;
  /** The ingress controller's class (default `nginx`). */
  ingressClassName: string;
  /** The cert-manager ClusterIssuer that issues the domain's certificate (default `letsencrypt-prod`). */
  clusterIssuer: string;
  /** The ingress controller's namespace: the only one whose pods may reach the app (default `ingress-nginx`). */
  ingressNamespace: string;
  /** Install the CloudNativePG operator with Helm (default false: a prerequisite). */
  installCnpgOperator: boolean;
  /** Install the Percona Operator for MongoDB with Helm (default false: a prerequisite of a document resource). */
  installPerconaOperator: boolean;
  /** Install the RabbitMQ Cluster Operator with Helm (default false: a prerequisite of a rabbitmq queue). */
  installRabbitmqOperator: boolean;
  /** Postgres instances, a primary and streaming standbys (>= 2, default 3). */
  databaseInstances: number;
  /** A storage class for the database's volumes (default: the cluster's default class). */
  storageClass?: string;
}

/** Session store engines. */
export const sessionEngines = ["valkey", "redis"] as const;

/** The optional replicated session store. */
export interface SessionsSpec {
  /** Adds a replicated Redis/Valkey store with automatic failover. */
  enabled: boolean;
  /** `valkey` (default) or `redis`. */
  engine: (typeof sessionEngines)[number];
  /** `small`, `medium`, `large`, or a provider-native cache size. */
  size: string;
}

/** How the nodes reach the internet on AWS (the biggest cost lever of the network). */
export const natModes = ["per-zone", "single", "none"] as const;
/** One NAT mode. */
export type NatMode = (typeof natModes)[number];

/** The network the service lives in. */
export interface NetworkSpec {
  /** Zones to spread nodes and subnets over; at least 2. */
  zones: number;
  /** IPv4 range of a new VPC (prefix /16 to /24); split into one public and one private subnet per zone. */
  cidr: string;
  /**
   * Outbound traffic for the nodes: `per-zone` NAT gateways (default; survives a zone
   * outage), one `single` NAT (cheaper; a zone outage cuts the others' egress), or `none`
   * (nodes in public subnets with public IPs, still reachable only from the load balancer).
   */
  natGateways: NatMode;
  /** An existing VPC to use instead of creating one. */
  vpcId?: string;
  /** Existing public subnets for the load balancer (with `vpcId`; one per zone). */
  publicSubnetIds?: string[];
  /** Existing private subnets for nodes and database (with `vpcId`; one per zone). */
  privateSubnetIds?: string[];
  /**
   * Networks allowed to SSH to the nodes besides the VPC itself (DigitalOcean, which has
   * no session manager); never the whole internet. Unset: SSH from the VPC only.
   */
  sshSourceCidrs?: string[];
}

/** DNS the program may manage. */
export interface DnsSpec {
  /**
   * The zone to create records in: a Route 53 hosted zone ID on AWS, a Cloud DNS managed
   * zone name on GCP, a domain on DigitalOcean. Without it, the records to create are
   * stack outputs.
   */
  zone?: string;
}

/** TLS for the public name. */
export interface TlsSpec {
  /** An existing certificate (an ACM certificate ARN on AWS) instead of a managed one. */
  certificate?: string;
}

/** Where alarms go. */
export interface AlarmsSpec {
  /** An email address subscribed to the alarms (confirm the subscription mail). */
  email?: string;
}

/** Where the app's logs are kept (see README, "Where the logs go"). */
export interface LogsSpec {
  /** Days CloudWatch Logs keeps the app's log events (AWS); one of `cloudWatchRetentionDays`. */
  retentionDays: number;
}

/**
 * Credentials for the registry `nodes.image` is in, when it is neither public nor the
 * cloud's own registry (which the program reaches with the nodes' identity instead).
 */
export interface RegistrySpec {
  /** The user name (e.g. a Docker Hub user, `_json_key_base64` for Artifact Registry, a DigitalOcean token). */
  username: string;
  /** The password or access token; set it with `--secret`. Never on a command line, never in plain state. */
  password: string;
}

/** The whole, validated, defaulted description of one service. */
export interface Topology {
  /** Which adapter builds it. */
  cloud: Cloud;
  /** The public hostname served over TLS. */
  domain: string;
  /** Short name that prefixes resource names and tags. */
  name: string;
  /** The app nodes. */
  nodes: NodesSpec;
  /** The load balancer's health check. */
  healthCheck: HealthCheckSpec;
  /** The replicated database. */
  database: DatabaseSpec;
  /** Object storage. */
  storage: StorageSpec;
  /** The optional session store. */
  sessions: SessionsSpec;
  /** Network placement. */
  network: NetworkSpec;
  /** DNS records the program may create. */
  dns: DnsSpec;
  /** TLS certificate choice. */
  tls: TlsSpec;
  /** Alarm notifications. */
  alarms: AlarmsSpec;
  /** Where the app's logs are kept. */
  logs: LogsSpec;
  /** Kubernetes settings (used only with `cloud: kubernetes`). */
  kubernetes: KubernetesSpec;
  /** Credentials for a private registry other than the cloud's own; unset for public images and the cloud's registry. */
  registry?: RegistrySpec;
}

// ---------------------------------------------------------------------------
// The schema. Each field carries the sentence that says what is allowed, so every
// refusal names the key, the value received and that sentence.

const intIn = (min: number, max: number, why = "") => {
  const error = `an integer from ${min} to ${max}${why}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
};

const text = (pattern: RegExp, error: string, maxLength = 253) =>
  z.string({ error }).max(maxLength, { error }).regex(pattern, { error });

const hostnamePattern =
  /^(?=.{1,253}$)(?!\d+\.\d+\.\d+\.\d+$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const domainError = 'a lower-case DNS name with at least two labels, such as "app.example.com" (no scheme, port, path or trailing dot)';

const imagePattern =
  /^(?:[a-z0-9]+(?:[.-][a-z0-9]+)*(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/;
const imageError =
  'a container image with an explicit tag or digest, such as "ghcr.io/acme/web:1.4.2" (not "latest": a rolling deploy starts when the reference changes)';

const identifierPattern = /^[a-z][a-z0-9_]{0,62}$/;
/** An IPv4 network allowed to reach SSH: /8 or longer, so never 0.0.0.0/0. */
const sshCidrPattern = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/([89]|[12]\d|3[0-2])$/;
const cidrPattern =
  /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\/(1[6-9]|2[0-4])$/;

/** What an env or secret value may hold: it reaches the node's user data, env file and shell. */
const envValueError = `a single-line string, number or boolean of ${allowedNodeText}`;
const envValue = z
  .union([z.string(), z.number(), z.boolean()], { error: envValueError })
  .transform((v) => String(v))
  .refine(isNodeText, { error: envValueError });

/** The rule for an environment variable's name, said where a name is refused (crossChecks). */
export const envNameRule = "an environment variable name: letters, digits and _, not starting with a digit (such as LOG_LEVEL)";

// Names are checked in crossChecks, so a bad name gets the name rule, not the map's.
const envMap = z.record(z.string(), envValue, { error: "a map of environment variable names to values" });

/**
 * What a field's metadata may hold besides the JSON Schema annotations zod copies as they
 * are (`description`, `examples`): `defaultText` says a default the `defaults` table cannot
 * hold (derived from another key, or set by an adapter), `secret` marks a value a stack
 * file usually holds encrypted (`{ secure: ... }`). configSchema.ts turns both into plain
 * JSON Schema; the README's reference renders them.
 */
export type FieldDoc = {
  /** What the field is and what is allowed, as a sentence fragment (the README table's "Allowed" column). */
  description: string;
  /** Values an editor may offer. */
  examples?: unknown[];
  /** The default, in words, when it is not a constant in `defaults` (markdown). */
  defaultText?: string;
  /** Set with `--secret`: the stack file holds `{ secure: ... }` instead of the value. */
  secret?: true;
};

/** Documents a field: the one place its description lives (the JSON Schema and the README take it from here). */
const doc = (description: string, extra: Omit<FieldDoc, "description"> = {}): FieldDoc => ({ description, ...extra });

const nodesShape = {
  count: intIn(2, 1000, " (high availability needs at least two nodes)").meta(doc("the floor, never fewer serving (the autoscaler's minimum)")),
  maxCount: intIn(2, 1000)
    .meta(doc("the autoscaling ceiling, at least `count` (not used on DigitalOcean, which runs exactly `count` droplets)", { defaultText: "`2 × count` (max 1000)" }))
    .optional(),
  size: z
    .string({ error: "small, medium, large or a provider-native size" })
    .min(1)
    .meta(
      doc(
        "a preset (see [Size presets](#size-presets)) or a provider-native size such as the instance type `t3.large`. Graviton types (e.g. `m7g.large`) get the arm64 AMI, so your image must support arm64.",
        { examples: ["small", "medium", "large", "t3.large"] },
      ),
    ),
  image: text(imagePattern, imageError, 512).meta(
    doc(
      "the container image: an image with a tag **or** a digest (not both), not `:latest` (a rolling deploy starts when the reference changes), at most 512 characters. See [Private images](#private-images) for private registries.",
      { examples: ["ghcr.io/acme/web:1.4.2"], defaultText: "`traefik/whoami:v1.10.1` (demo)" },
    ),
  ),
  port: intIn(1, 65535).meta(
    doc("the port the container listens on, published on the host as the same port; on AWS, GCP and DigitalOcean not 22 (sshd) or 53 (the DNS stub resolver), which the VM holds itself"),
  ),
  env: envMap.meta(
    doc(
      "plain environment variables for the app (never secrets: use `secrets`). Names `[A-Za-z_][A-Za-z0-9_]*`; values are single-line strings, numbers or booleans of printable characters: no control characters (tab, line breaks, U+0000-U+001F, U+007F-U+009F), no U+2028/U+2029, no unpaired surrogates (any other Unicode is fine). Platform names (see [What the app receives](#what-the-app-receives)) and `HA_TOPOLOGY_*` are refused. With `secrets` (DigitalOcean) they must fit the cloud's user data: 16 KB on AWS, 256 KiB on GCP, 64 KiB on DigitalOcean, of which the platform's boot files take about 6 KB.",
      { examples: [{ LOG_LEVEL: "info" }] },
    ),
  ),
  drainSeconds: intIn(0, 3600).meta(doc("seconds the load balancer drains a node's connections before it is removed (the ALB deregistration delay)")),
  cpuTargetPercent: intIn(10, 90).meta(doc("the average CPU percentage the autoscaler keeps the nodes at (target tracking); not on DigitalOcean, which has no autoscaler")),
};

const healthCheckShape = {
  path: text(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%\/-]*(\?[A-Za-z0-9._~!$&'()*+,;=:@%\/?-]*)?$/, 'an HTTP path starting with "/", such as "/health"', 1024).meta(
    doc("an HTTP path starting with `/` (query allowed), at most 1024 characters. Must answer 200-399 when the node can serve.", { examples: ["/health"] }),
  ),
  intervalSeconds: intIn(5, 300).meta(doc("seconds between checks")),
  timeoutSeconds: intIn(2, 120).meta(doc("seconds before one check counts as failed, less than `intervalSeconds`")),
  healthyThreshold: intIn(2, 10).meta(doc("consecutive successes before a node receives traffic")),
  unhealthyThreshold: intIn(2, 10).meta(doc("consecutive failures before a node is taken out and replaced")),
  gracePeriodSeconds: intIn(0, 7200).meta(
    doc(
      "seconds after boot before failed checks can replace a new node: the ASG health check grace period, instance warmup and refresh warmup. At least 60 on AWS and GCP (a new VM boots, installs Docker and pulls the image first; less replaces nodes forever), at most 3600 on GCP (the autohealing delay's limit). On Kubernetes the startup probe allows at least `unhealthyThreshold` failures whatever the grace",
    ),
  ),
};

const databaseShape = {
  engine: z.enum(databaseEngines, { error: databaseEngines.join(" or ") }).meta(doc("the engine, run replicated on every cloud (only `postgres` on Kubernetes, which runs CloudNativePG)")),
  // YAML reads `version: 16` as a number: accept whole numbers, but a version with a
  // minor part must be quoted: Pulumi's YAML reads 16.10 as the number 16.1 (and 8.0 as 8).
  version: z
    .union([z.string(), z.int()], {
      error: 'an engine version such as "16" or "8.0"; quote a version with a minor part ("16.10"): YAML reads 16.10 as the number 16.1',
    })
    .transform((v) => String(v))
    .pipe(text(/^\d+(\.\d+){0,2}$/, 'an engine version such as "16" or "8.0"', 16))
    .meta(
      doc(
        "`16`, `16.4`, `8.0`, ... (digits and dots, at most 3 parts; major.minor for MySQL), a version the cloud offers (`components/engineVersions.ts`: PostgreSQL 11-18 on RDS, 9.6-18 on Cloud SQL, 13-18 on DigitalOcean and CloudNativePG; MySQL 5.7/8.0/8.4 on RDS, 5.6-8.4 on Cloud SQL, 8.0 on DigitalOcean). A whole YAML number (`16`) is accepted; quote anything with a minor part: `16.10` unquoted is the number 16.1 and is refused, `8.0` unquoted is 8.",
        { examples: ["16", "8.0"], defaultText: "`16` (postgres) / `8.0` (mysql)" },
      ),
    )
    .optional(),
  size: z
    .string({ error: "small, medium, large or a provider-native database size" })
    .min(1)
    .meta(doc("a preset or a provider-native database size such as the RDS class `db.r6g.large`", { examples: ["small", "medium", "large", "db.r6g.large"] })),
  storageGb: intIn(20, 65536).meta(doc("initial storage in GB")),
  maxStorageGb: intIn(20, 65536)
    .meta(
      doc("the ceiling for storage autoscaling in GB, at least `storageGb` (AWS and GCP only, refused elsewhere: only RDS and Cloud SQL grow storage automatically)", {
        defaultText: "`5 × storageGb` (max 65536)",
      }),
    )
    .optional(),
  backupRetentionDays: intIn(7, 35, " (at least a week of point-in-time recovery)").meta(doc("days of automated backups (the point-in-time recovery window)")),
  readReplicas: intIn(0, 5).meta(doc("read replicas of the primary (in addition to the standby), passed to the app as `DATABASE_READ_HOSTS`")),
  name: text(identifierPattern, "a lower-case identifier: a letter, then letters, digits or _ (at most 63)", 63).meta(doc("`[a-z][a-z0-9_]{0,62}`: the database created for the app")),
  username: text(identifierPattern, "a lower-case identifier: a letter, then letters, digits or _ (at most 63)", 63)
    .refine((u) => !["admin", "rdsadmin", "root", "postgres", "mysql", "cloudsqladmin"].includes(u), {
      error: "a user name that is not reserved by the database or the cloud (not admin, root, postgres, ...)",
    })
    .meta(doc("same pattern as `name`; not `admin`, `rdsadmin`, `root`, `postgres`, `mysql`, `cloudsqladmin`: the master user")),
};

const storageShape = {
  versioning: z
    .literal(true, { error: "true (versioning cannot be turned off: it is what makes deletes recoverable)" })
    .meta(doc("versioning cannot be turned off (it is what makes deletes recoverable)")),
  noncurrentVersionDays: intIn(1, 3650).meta(doc("days a replaced or deleted object version is kept before it expires")),
  endpoint: text(/^https:\/\/[A-Za-z0-9.-]+(:\d+)?\/?$/, 'an https URL of an S3-compatible endpoint, such as "https://s3.eu-west-1.amazonaws.com"', 255)
    .meta(doc("Kubernetes only, required there: the S3-compatible endpoint, `https://…`", { examples: ["https://s3.eu-west-1.amazonaws.com"] }))
    .optional(),
  bucket: text(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an existing bucket's name (3-63 lower-case letters, digits, dots, hyphens)", 63)
    .meta(doc("Kubernetes only, required there: an existing bucket's name (3-63 lower-case letters, digits, dots, hyphens)"))
    .optional(),
  region: text(/^[a-z0-9-]{2,32}$/, 'a region name such as "us-east-1"', 32)
    .meta(doc("Kubernetes only: the bucket's region (for request signing)", { examples: ["eu-west-1"], defaultText: "`us-east-1`" }))
    .optional(),
  accessKeyId: z.string({ error: "an access key ID" }).min(1).max(256).meta(doc("Kubernetes only, required there: the access key ID")).optional(),
  secretAccessKey: z
    .string({ error: "a secret access key (set it with --secret)" })
    .min(1)
    .max(512)
    .meta(
      doc("Kubernetes only, required there: the secret key; set it with `pulumi config set --secret --path 'ha-topology:storage.secretAccessKey' …` (never printed in errors)", {
        secret: true,
      }),
    )
    .optional(),
};

const kubernetesShape = {
  namespace: text(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "a namespace name (lower-case letters, digits, -; at most 63)", 63)
    .meta(
      doc(
        "a namespace name of the app's own (created by the program, which applies a default-deny policy to it and deletes it on destroy): not `default`, `kube-system`, `kube-public`, `kube-node-lease`, `cnpg-system`, `cert-manager` or `ingressNamespace`",
        { defaultText: "`<name>-<stack>` (see [Names of cloud resources](#names-of-cloud-resources))" },
      ),
    )
    .optional(),
  ingressClassName: text(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'an IngressClass name such as "nginx"').meta(doc("the IngressClass of your controller")),
  clusterIssuer: text(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a cert-manager ClusterIssuer name such as "letsencrypt-prod"').meta(
    doc("a cert-manager ClusterIssuer: it issues the domain's certificate"),
  ),
  ingressNamespace: text(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'the ingress controller\'s namespace, such as "ingress-nginx"', 63).meta(
    doc("the controller's namespace: the only one whose pods may reach the app"),
  ),
  installCnpgOperator: z.boolean({ error: "true or false" }).meta(doc("`true` installs the CloudNativePG operator with Helm (by default it is a prerequisite on the cluster)")),
  installPerconaOperator: z.boolean({ error: "true or false" }).meta(doc("`true` installs the Percona Operator for MongoDB with Helm (by default it is a prerequisite of a document resource)")),
  installRabbitmqOperator: z.boolean({ error: "true or false" }).meta(doc("`true` installs the RabbitMQ Cluster Operator with Helm (by default it is a prerequisite of a rabbitmq queue)")),
  databaseInstances: intIn(2, 9, " (a primary and at least one streaming standby)").meta(doc("CloudNativePG instances (a primary and streaming standbys)")),
  storageClass: text(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, "a StorageClass name")
    .meta(doc("a StorageClass for the database volumes", { defaultText: "the cluster's default" }))
    .optional(),
};

const sessionsShape = {
  enabled: z.boolean({ error: "true or false" }).meta(doc("`true` adds a replicated Redis/Valkey store with automatic failover")),
  engine: z.enum(sessionEngines, { error: sessionEngines.join(" or ") }).meta(doc("the store's engine")),
  size: z
    .string({ error: "small, medium, large or a provider-native cache size" })
    .min(1)
    .meta(
      doc(
        "a preset, or on AWS a node type such as `cache.r7g.large`, on GCP a memory size in GiB from 1 to 300 such as `5`, on DigitalOcean a plan with at least 2 GiB (a standby node needs it)",
        { examples: ["small", "medium", "large"] },
      ),
    ),
};

const networkShape = {
  zones: intIn(2, 6, " (high availability needs at least two zones)").meta(
    doc(
      "zones to spread nodes and subnets over, at most the zones the region has (`components/regionZones.ts`: most AWS and GCP regions have 3, us-east-1 6, us-west-2 4, us-west-1 2 for new accounts, us-central1 4). AWS and GCP only: DigitalOcean regions have no zones and Kubernetes spreads pods over the nodes' zones, so it is refused there",
    ),
  ),
  cidr: text(cidrPattern, 'an IPv4 CIDR block with a prefix from /16 to /24, such as "10.0.0.0/16"', 18).meta(
    doc(
      "the IPv4 range of a new VPC, split into one public and one private subnet per zone: a network address (no host bits set) with prefix /16-/24 (ignored with `vpcId`). AWS: /23 or larger (the load balancer needs /27 subnets), and each zone's subnet must hold twice `maxCount / zones` nodes (an instance refresh doubles the group). GCP: the subnet must hold `maxCount` plus one node per zone. DigitalOcean: an RFC 1918 range that does not overlap 10.244.0.0/16, 10.245.0.0/16, 10.246.0.0/24 or 10.229.0.0/16 (DigitalOcean's own). Not used on Kubernetes (refused there)",
      { examples: ["10.0.0.0/16"] },
    ),
  ),
  natGateways: z.enum(natModes, { error: natModes.join(", ") }).meta(
    doc(
      "AWS and GCP only. Outbound traffic for the nodes (the biggest cost lever of the network): `per-zone` NAT gateways (survives a zone outage), one `single` NAT (cheaper; a zone outage cuts the others' egress), or `none` (nodes in public subnets with public IPs, still reachable only from the load balancer). On GCP `per-zone` and `single` both mean one regional Cloud NAT. With `vpcId`, this only chooses the node subnets: `none` uses the public ones with public IPs, anything else uses the private ones.",
    ),
  ),
  vpcId: z
    .string({ error: "an existing VPC ID" })
    .min(1)
    .meta(doc("AWS only: an existing VPC to use instead of creating one, `vpc-` + 8-17 hex digits, only together with both subnet lists", { examples: ["vpc-0123456789abcdef0"] }))
    .optional(),
  publicSubnetIds: z
    .array(z.string().min(1), { error: "a list of subnet IDs" })
    .meta(doc("with `vpcId`: at least `zones` distinct `subnet-…` IDs, one per zone (load balancer, NAT)"))
    .optional(),
  privateSubnetIds: z
    .array(z.string().min(1), { error: "a list of subnet IDs" })
    .meta(doc("with `vpcId`: at least `zones` distinct `subnet-…` IDs, one per zone (nodes, database, sessions)"))
    .optional(),
  sshSourceCidrs: z
    .array(text(sshCidrPattern, 'IPv4 networks with a prefix of /8 or longer, such as "203.0.113.0/24" (never the whole internet)', 18), {
      error: "a list of IPv4 CIDR blocks",
    })
    .meta(
      doc(
        "DigitalOcean only (refused elsewhere: AWS nodes are reached through Session Manager, GCP nodes through IAP): IPv4 networks that may SSH to the droplets besides the VPC: private ranges, or public ones of /24 or longer (never `0.0.0.0/0`). Unset: SSH from the VPC only",
        { examples: [["203.0.113.0/24"]] },
      ),
    )
    .optional(),
};

const dnsShape = {
  zone: z
    .string({ error: "a DNS zone identifier" })
    .min(1)
    .meta(
      doc(
        "the zone to create the records in. AWS: a Route 53 hosted zone ID (`Z` + up to 32 upper-case letters or digits) that contains `domain`. GCP: a Cloud DNS managed zone name (`example-com`). DigitalOcean: a domain in DigitalOcean DNS that contains `domain` (required unless `tls.certificate` is set). Unset: the records to create are stack outputs. Not on Kubernetes (DNS is the ingress controller's and external-dns' business)",
      ),
    )
    .optional(),
};
const tlsShape = {
  certificate: z
    .string({ error: "a certificate identifier" })
    .min(1)
    .meta(
      doc(
        "an existing certificate instead of a managed one. AWS: an ACM certificate ARN in the stack's region (`aws:region`; another region's certificate is refused). GCP: a global SSL certificate (`projects/<p>/global/sslCertificates/<name>`). DigitalOcean: the name of an uploaded certificate. Not on Kubernetes (cert-manager issues it: `kubernetes.clusterIssuer`)",
      ),
    )
    .optional(),
};
const alarmsShape = {
  email: text(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "an email address", 254)
    .meta(doc("an email address subscribed to the alarms (confirm the subscription mail). Not on Kubernetes (alerting is the cluster's monitoring stack's)"))
    .optional(),
};

/**
 * The retention periods CloudWatch Logs accepts (PutRetentionPolicy): any other number is
 * refused by the API at `pulumi up`, so it is refused at parse time instead.
 */
export const cloudWatchRetentionDays = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const retentionError = `one of the periods CloudWatch Logs accepts, in days: ${cloudWatchRetentionDays.join(", ")}`;
const logsShape = {
  retentionDays: z
    .int({ error: retentionError })
    .refine((days) => (cloudWatchRetentionDays as readonly number[]).includes(days), { error: retentionError })
    .meta(
      doc(
        `AWS only: days CloudWatch Logs keeps the app's log events, one of ${cloudWatchRetentionDays.join(", ")}. Not on GCP (Cloud Logging's retention is the project's log bucket's), DigitalOcean (the node's journal) or Kubernetes (the cluster's log pipeline)`,
      ),
    ),
};

/** Printable, single-line characters only: these values reach a node's docker config. */
const credentialText = (what: string, maxLength: number) =>
  z.string({ error: what }).min(1, { error: what }).max(maxLength, { error: what }).regex(/^[\x20-\x7e]+$/, { error: what });

const registryShape = {
  username: credentialText("a registry user name: printable ASCII on one line (at most 256)", 256).meta(
    doc("printable ASCII on one line, at most 256 (e.g. a robot account, `_json_key_base64` for an Artifact Registry key, a DigitalOcean token)"),
  ),
  password: credentialText("a registry password or token on one line, printable ASCII (at most 8192; for an Artifact Registry key use _json_key_base64); set it with --secret", 8192).meta(
    doc("a password or token on one line, printable ASCII, at most 8192; set it with `--secret` (never printed in errors)", { secret: true }),
  ),
};

const section = <S extends z.core.$ZodLooseShape>(shape: S, what: string, description: string) =>
  z.strictObject(shape, { error: `an object (${what}) with the keys ${Object.keys(shape).join(", ")}` }).meta(doc(description));

/** The `ha-topology` namespace: every key the program reads. */
const topLevelShape = {
  cloud: z.enum(clouds, { error: clouds.join(", ") }).meta(doc("which cloud builds the stack; each has an adapter")),
  domain: text(hostnamePattern, domainError).meta(
    doc("the public hostname served over TLS: a lower-case DNS name with at least two labels, no scheme, port, path or trailing dot, at most 253 characters", { examples: ["app.example.com"] }),
  ),
  name: text(/^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$/, "a short lower-case name: a letter, then letters, digits or -, at most 20", 20).meta(
    doc("a letter, then letters, digits or `-`, not ending in `-`, at most 20 characters. Prefixes resource names and tags."),
  ),
  nodes: section(nodesShape, "the app nodes", "The app nodes: identical, stateless, at least two."),
  healthCheck: section(healthCheckShape, "the health check", "How the load balancer decides a node is healthy."),
  database: section(databaseShape, "the database", "The replicated database: a primary with a standby, automated backups and point-in-time recovery."),
  storage: section(
    storageShape,
    "object storage",
    "Object storage for the app's files: private, versioned and encrypted, always. On Kubernetes (and only there) the bucket is yours: `endpoint`, `bucket`, `accessKeyId` and `secretAccessKey` are required there, and these Kubernetes-only keys (and `region`) are refused on the other clouds, where the adapter creates the bucket.",
  ),
  sessions: section(sessionsShape, "the session store", "The optional replicated session store."),
  network: section(networkShape, "the network", "The network the service lives in."),
  dns: section(dnsShape, "DNS", "DNS records the program may create."),
  tls: section(tlsShape, "TLS", "The TLS certificate for the public name."),
  alarms: section(alarmsShape, "alarm notifications", "Where alarms go."),
  logs: section(logsShape, "log shipping", "Where the app's logs are kept: CloudWatch Logs on AWS, Cloud Logging on GCP, the node's journal on DigitalOcean, the cluster's log pipeline on Kubernetes (see [Where the logs go](#where-the-logs-go))."),
  kubernetes: section(
    kubernetesShape,
    "Kubernetes settings",
    "Used only with `cloud: kubernetes` (refused on the other clouds): where the app lives and which cluster add-ons it uses.",
  ),
  registry: section(
    registryShape,
    "private registry credentials",
    "Credentials for the registry `nodes.image` is in, when it is private and not the cloud's own registry. Unset by default (public images, and the cloud's own registry, need none); when set, both keys are required.",
  ).optional(),
  secrets: z
    .record(z.string(), z.unknown().meta(doc("a secret value", { secret: true })), { error: "a map of secret names to secret values" })
    .meta(
      doc(
        "app secrets, passed to the app as environment variables: names as for `nodes.env`, not platform names, not also in `nodes.env`; values are non-empty single-line strings of the characters `env` allows. Set each with `pulumi config set --secret --path 'ha-topology:secrets.NAME' …`.",
      ),
    )
    .optional(),
};

/**
 * The `ha-topology` namespace's keys and their single-key rules, before defaults and the
 * checks that span keys: what a JSON Schema can say about a stack file (configSchema.ts).
 */
export const topologyKeysSchema = z.strictObject(topLevelShape);

/** The accepted keys, per object path ("" is the `ha-topology` namespace itself). */
export const knownKeys: Record<string, string[]> = {
  "": Object.keys(topLevelShape),
  nodes: Object.keys(nodesShape),
  healthCheck: Object.keys(healthCheckShape),
  database: Object.keys(databaseShape),
  storage: Object.keys(storageShape),
  sessions: Object.keys(sessionsShape),
  network: Object.keys(networkShape),
  dns: Object.keys(dnsShape),
  tls: Object.keys(tlsShape),
  alarms: Object.keys(alarmsShape),
  logs: Object.keys(logsShape),
  kubernetes: Object.keys(kubernetesShape),
  registry: Object.keys(registryShape),
};

/** The keys whose values are objects merged over their defaults (`secrets` is a free map). */
export const sectionKeys = ["nodes", "healthCheck", "database", "storage", "sessions", "network", "dns", "tls", "alarms", "logs", "kubernetes"] as const;

/** Defaults, in one place (the README's configuration reference lists the same values). */
export const defaults = {
  name: "web",
  nodes: { count: 2, size: "small", image: "traefik/whoami:v1.10.1", port: 80, env: {}, drainSeconds: 30, cpuTargetPercent: 60 },
  healthCheck: { path: "/health", intervalSeconds: 15, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 3, gracePeriodSeconds: 180 },
  database: { engine: "postgres", size: "small", storageGb: 20, backupRetentionDays: 7, readReplicas: 0, name: "app", username: "app" },
  storage: { versioning: true, noncurrentVersionDays: 30 },
  sessions: { enabled: false, engine: "valkey", size: "small" },
  network: { zones: 2, cidr: "10.0.0.0/16", natGateways: "per-zone" },
  dns: {},
  tls: {},
  alarms: {},
  // A month: enough to look back over an incident, without keeping personal data (client IPs) for long.
  logs: { retentionDays: 30 },
  kubernetes: { ingressClassName: "nginx", clusterIssuer: "letsencrypt-prod", ingressNamespace: "ingress-nginx", installCnpgOperator: false, installPerconaOperator: false, installRabbitmqOperator: false, databaseInstances: 3 },
} as const;

const defaultEngineVersion: Record<DatabaseEngine, string> = { postgres: "16", mysql: "8.0" };

/** Where a cloud-specific identifier must look a certain way. */
const cloudIdentifiers: Partial<Record<Cloud, { vpcId?: [RegExp, string]; subnetId?: [RegExp, string]; dnsZone?: [RegExp, string]; certificate?: [RegExp, string] }>> = {
  aws: {
    vpcId: [/^vpc-[0-9a-f]{8,17}$/, 'a VPC ID such as "vpc-0123456789abcdef0"'],
    subnetId: [/^subnet-[0-9a-f]{8,17}$/, 'subnet IDs such as "subnet-0123456789abcdef0"'],
    dnsZone: [/^Z[A-Z0-9]{1,32}$/, 'a Route 53 hosted zone ID such as "Z0123456789ABCDEFGHIJ"'],
    certificate: [/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, "an ACM certificate ARN in the stack's region"],
  },
  digitalocean: {
    dnsZone: [/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a domain managed in DigitalOcean DNS, such as "example.com" (it must contain the domain)'],
    certificate: [/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/, "the name of a certificate in your DigitalOcean account (names survive renewals; IDs do not)"],
  },
  gcp: {
    dnsZone: [/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a Cloud DNS managed zone name such as "example-com"'],
    certificate: [
      /^(https:\/\/www\.googleapis\.com\/compute\/v1\/)?projects\/[a-z][-a-z0-9]{4,28}[a-z0-9]\/global\/sslCertificates\/[a-z]([-a-z0-9]*[a-z0-9])?$/,
      'a global SSL certificate such as "projects/my-project/global/sslCertificates/app-cert"',
    ],
  },
};

/** Seconds a worker's node has from boot (image pull included) to be live: the default grace period (a worker has no health check to set it). */
export const workerGraceSeconds = defaults.healthCheck.gracePeriodSeconds;

type Raw = z.output<z.ZodObject<typeof topLevelShape>>;

/**
 * Why a secret name cannot be used, or undefined when it can: secrets become environment
 * variables, so they follow the same naming rules and may not shadow a plain variable.
 */
export function secretNameProblem(name: string, env: Record<string, string>): string | undefined {
  if (!envNamePattern.test(name) || isReservedEnvName(name)) {
    return "an environment variable name (letters, digits and _) that the platform does not set itself";
  }
  // An own key: `in` would find Object.prototype's `constructor` and refuse a secret of that name.
  if (Object.hasOwn(env, name)) return "a name not also used in nodes.env (a value is either plain or secret)";
  return undefined;
}

/** Each cloud's own registry, which the program reaches with the nodes' identity. */
export const ownRegistry: Partial<Record<Cloud, { kind: string; what: string }>> = {
  aws: { kind: "ecr", what: "grants the nodes' IAM role pull access to the ECR repository" },
  gcp: { kind: "artifact-registry", what: "grants the nodes' service account roles/artifactregistry.reader on the Artifact Registry repository" },
  digitalocean: { kind: "docr", what: "creates read-only DigitalOcean Container Registry credentials for the registry" },
};

/**
 * The sentences of the image and registry refusals, by the image's config key (`nodes.image`
 * here, `workloads.<name>.image` in the several-workloads check, components/model/images.ts),
 * so both shapes refuse the same thing with the same words.
 */
export const registryRefusals = {
  demoImage: "unset while nodes.image is the public demo image (registry credentials are for the registry of your private nodes.image)",
  ownRegistry: (cloud: Cloud, what: string, key: string) => `unset: on ${cloud} the program ${what} of ${key} itself, so there are no credentials to keep or rotate`,
  ecrElsewhere: (cloud: Cloud) =>
    `an image ${cloud} nodes can pull: ECR accepts only AWS identities, with login tokens that expire after 12 hours; push the image to ${cloud === "gcp" ? "Artifact Registry" : "DigitalOcean Container Registry"} (the program then grants access itself) or to a registry with long-lived credentials (ha-topology:registry)`,
  ecrOnKubernetes:
    "unset for an ECR image on kubernetes: ECR login tokens expire after 12 hours, so a pull secret would stop working; give the cluster's nodes pull access instead (on EKS the node role's AmazonEC2ContainerRegistryReadOnly)",
  docrCredentials:
    "credentials for registry.digitalocean.com, whose images are always private: a DigitalOcean API token with registry read access as both username and password (password with --secret)",
};

/**
 * Whether the nodes can pull `nodes.image` with what the stack gives them: the cloud's
 * own registry through identity, any other registry through `registry` credentials.
 * What can never work is refused here, before any resource exists.
 */
function imageRegistryChecks(raw: Raw, issue: (path: (string | number)[], input: unknown, message: string) => void, credentialChecks: boolean): void {
  const { cloud, nodes, registry: credentials } = raw;
  let registry: ReturnType<typeof registryOf>;
  try {
    registry = registryOf(nodes.image);
  } catch {
    issue(["nodes", "image"], nodes.image, imageError);
    return;
  }
  if (registry.kind === "invalid") {
    issue(["nodes", "image"], nodes.image, registry.problem);
    return;
  }
  if (registry.kind === "ecr" && cloud !== "aws" && cloud !== "kubernetes") {
    issue(["nodes", "image"], nodes.image, registryRefusals.ecrElsewhere(cloud));
  }
  // With several workloads the credentials are checked against every image (components/model/images.ts).
  if (!credentialChecks) return;
  const own = ownRegistry[cloud];
  if (credentials && nodes.image === defaults.nodes.image) {
    issue(["registry"], credentials, registryRefusals.demoImage);
  } else if (credentials && own && registry.kind === own.kind) {
    issue(["registry"], credentials, registryRefusals.ownRegistry(cloud, own.what, "nodes.image"));
  }
  if (registry.kind === "ecr" && cloud === "kubernetes" && credentials) {
    issue(["registry"], credentials, registryRefusals.ecrOnKubernetes);
  }
  if (registry.kind === "docr" && cloud !== "digitalocean" && !credentials) {
    issue(["registry"], undefined, registryRefusals.docrCredentials);
  }
}

/** Namespaces Kubernetes and the cluster add-ons own: the app's namespace must be its own. */
const systemNamespaces = ["default", "kube-system", "kube-public", "kube-node-lease", "cnpg-system", "cert-manager"];

/**
 * The node subnets of a new network, and the addresses one node group needs in them during
 * a rolling replacement (shared with the several-workloads check, which adds the groups up,
 * components/model/parse.ts). `needs` is per zone on AWS, for the one subnet on GCP.
 */
export const nodeSubnets = {
  // Each zone gets a public and a private subnet 4 bits longer than the VPC (network.ts);
  // AWS keeps 5 addresses per subnet. An instance refresh runs up to twice the group
  // (maxHealthyPercentage 200), so a group needs twice its share of maxCount per zone.
  aws: {
    prefix: (cidr: string) => Number(cidr.split("/")[1]) + 4,
    holds: (prefix: number) => blockSize(prefix) - 5,
    needs: (maxCount: number, zones: number) => Math.ceil(maxCount / zones) * 2,
  },
  // One regional subnet; GCP keeps 4 addresses. A group needs its ceiling plus the surge (one node per zone).
  gcp: {
    prefix: (cidr: string) => Number(cidr.split("/")[1]),
    holds: (prefix: number) => blockSize(prefix) - 4,
    needs: (maxCount: number, zones: number) => maxCount + zones,
  },
};

/** Network values that can never work on the stack's cloud. */
function networkChecks(raw: Raw, issue: Issue): void {
  const { cloud, network, nodes, kubernetes } = raw;
  const cidr = network.cidr;
  if (hasHostBits(cidr)) {
    issue(["network", "cidr"], cidr, `a network address with no host bits set, such as "${networkCidr(cidr)}"`);
  } else if (cloud === "digitalocean") {
    const reserved = digitaloceanReserved.find((range) => overlaps(cidr, range));
    if (!isPrivate(cidr)) issue(["network", "cidr"], cidr, 'a private (RFC 1918) range on digitalocean, inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, such as "10.20.0.0/16"');
    else if (reserved) issue(["network", "cidr"], cidr, `a range that does not overlap ${reserved}, which DigitalOcean reserves (${digitaloceanReserved.join(", ")})`);
  } else if (cloud === "aws" && network.vpcId === undefined) {
    const subnetPrefix = nodeSubnets.aws.prefix(cidr);
    const needed = nodeSubnets.aws.needs(nodes.maxCount ?? Math.min(1000, nodes.count * 2), network.zones);
    if (subnetPrefix > 27) {
      issue(["network", "cidr"], cidr, "a /23 or larger range on aws: each zone's subnets are 4 bits longer, and the load balancer needs /27 subnets or larger");
    } else if (needed > nodeSubnets.aws.holds(subnetPrefix)) {
      issue(["network", "cidr"], cidr, `a larger range: each zone's /${subnetPrefix} subnet holds ${nodeSubnets.aws.holds(subnetPrefix)} nodes, and nodes.maxCount over network.zones needs ${needed} per zone during a rolling replacement`);
    }
  } else if (cloud === "gcp") {
    const prefix = nodeSubnets.gcp.prefix(cidr);
    const needed = nodeSubnets.gcp.needs(nodes.maxCount ?? Math.min(1000, nodes.count * 2), network.zones);
    if (needed > nodeSubnets.gcp.holds(prefix)) {
      issue(["network", "cidr"], cidr, `a larger range: the /${prefix} subnet holds ${nodeSubnets.gcp.holds(prefix)} nodes, and nodes.maxCount plus a rolling replacement's surge needs ${needed}`);
    }
  }
  // Read on DigitalOcean only (elsewhere the key itself is refused, see cloudKeys).
  if (cloud === "digitalocean") (network.sshSourceCidrs ?? []).forEach((source, i) => {
    if (/^[\d.]+\/\d+$/.test(source) && !isPrivate(source) && Number(source.split("/")[1]) < 24) {
      issue(["network", "sshSourceCidrs", i], source, "a private range, or a public one of /24 or longer (an office or a VPN's addresses, not a provider's whole block)");
    }
  });
  if (cloud === "kubernetes") {
    const namespace = kubernetes.namespace ?? raw.name;
    const key = kubernetes.namespace === undefined ? ["name"] : ["kubernetes", "namespace"];
    if (systemNamespaces.includes(namespace) || namespace === kubernetes.ingressNamespace) {
      issue(key, namespace, `a namespace of the app's own, not ${[...systemNamespaces, kubernetes.ingressNamespace].join(", ")} (the adapter creates it, applies a default-deny policy to it and deletes it on destroy)`);
    }
  }
}

/** Ranges DigitalOcean reserves for its own networking (DOKS and internal services). */
const digitaloceanReserved = ["10.244.0.0/16", "10.245.0.0/16", "10.246.0.0/24", "10.229.0.0/16"];

/**
 * Host ports a VM node holds itself: the node publishes the container's port on the VM
 * (`docker run -p PORT:PORT`), so these can never be bound.
 */
export const vmReservedPorts: Record<number, string> = {
  22: "sshd listens on 22",
  53: "the DNS stub resolver (systemd-resolved) listens on 53",
};

/**
 * The shortest grace period per VM cloud whose autohealing replaces nodes from the load
 * balancer's health check: a new VM boots, cloud-init installs Docker and pulls the image,
 * and only then can the app answer. With less, every new node is replaced before it can
 * start, forever. DigitalOcean has no autohealing (the grace only lengthens the health
 * gate's wait), so any value works there; Kubernetes counts it from the container's start.
 */
export const minGracePeriodSeconds: Partial<Record<Cloud, number>> = { aws: 60, gcp: 60 };
/** GCP caps the managed instance group's autohealing delay and minReadySec at an hour. */
const maxGracePeriodSeconds: Partial<Record<Cloud, number>> = { gcp: 3600 };

/**
 * Why a health check's grace period can never work on a VM cloud, or undefined when it
 * can (shared with the several-workloads check, components/model/parse.ts).
 */
export function gracePeriodProblem(cloud: VmCloud, seconds: number): string | undefined {
  const min = minGracePeriodSeconds[cloud] ?? 0;
  const max = maxGracePeriodSeconds[cloud] ?? 7200;
  if (seconds >= min && seconds <= max) return undefined;
  return seconds < min
    ? `an integer from ${min} to ${max} on ${cloud}: a new node boots, installs Docker and pulls the image before it can pass a health check, and with less the nodes are replaced before they start, forever`
    : `an integer from ${min} to ${max} on ${cloud} (the instance group's autohealing delay is at most an hour)`;
}

type Issue = (path: (string | number)[], input: unknown, message: string, received?: string) => void;

/** What can never work on a VM node: a port the VM holds, a grace period shorter than a boot, user data over the limit. */
function vmChecks(raw: Raw, cloud: VmCloud, issue: Issue, userDataCheck: boolean): void {
  const { nodes, healthCheck } = raw;
  const reason = vmReservedPorts[nodes.port];
  if (reason) {
    issue(["nodes", "port"], nodes.port, `a port other than ${Object.keys(vmReservedPorts).join(" and ")} on ${cloud}: the container's port is published on the VM itself, where ${reason}`);
  }
  const grace = gracePeriodProblem(cloud, healthCheck.gracePeriodSeconds);
  if (grace) issue(["healthCheck", "gracePeriodSeconds"], healthCheck.gracePeriodSeconds, grace);
  if (!userDataCheck) return;
  // Only a lower bound of the real user data (which adds the platform's values): what is
  // over the limit here can never deploy; the exact size is checked when it is rendered.
  const secrets = Object.fromEntries(Object.entries(raw.secrets ?? {}).filter((e): e is [string, string] => typeof e[1] === "string"));
  let estimate: ReturnType<typeof estimateUserData> | undefined;
  try {
    estimate = estimateUserData(cloud, { image: nodes.image, port: nodes.port, env: nodes.env, secrets });
  } catch {
    return; // a value the renderer refuses: the schema reports it on its own key
  }
  const problem = userDataSizeProblem(cloud, estimate.bytes, estimate.parts, true);
  if (problem) {
    const [envPart, secretsPart] = estimate.parts;
    const onSecrets = secretsPart !== undefined && secretsPart.bytes > envPart.bytes;
    issue(onSecrets ? ["secrets"] : ["nodes", "env"], undefined, problem, onSecrets ? undefined : `${Object.keys(nodes.env).length} variables (${envPart.bytes} bytes in the user data)`);
  }
}

/** Checks that span several keys, or depend on the cloud. */
function crossChecks(raw: Raw, ctx: z.RefinementCtx, checks: Required<ParseTopologyOptions>): void {
  const issue: Issue = (path, input, message, received) =>
    ctx.addIssue({ code: "custom", path, input, message, ...(received !== undefined && { params: { received } }) });
  const { cloud, nodes, healthCheck, database, sessions, network, dns, tls } = raw;

  if (nodes.maxCount !== undefined && nodes.maxCount < nodes.count) {
    issue(["nodes", "maxCount"], nodes.maxCount, `an integer of at least nodes.count (${nodes.count})`);
  }
  if (healthCheck.timeoutSeconds >= healthCheck.intervalSeconds) {
    issue(["healthCheck", "timeoutSeconds"], healthCheck.timeoutSeconds, `fewer seconds than healthCheck.intervalSeconds (${healthCheck.intervalSeconds})`);
  }
  if (database.maxStorageGb !== undefined && database.maxStorageGb < database.storageGb) {
    issue(["database", "maxStorageGb"], database.maxStorageGb, `an integer of at least database.storageGb (${database.storageGb})`);
  }
  for (const [path, role, size] of [
    [["nodes", "size"], "node", nodes.size],
    [["database", "size"], "database", database.size],
    [["sessions", "size"], "sessions", sessions.size],
  ] as const) {
    const allowed = checkSize(cloud, role, size);
    if (allowed) issue([...path], size, allowed);
  }
  if (database.engine === "mysql" && database.version !== undefined && !/^\d+\.\d+/.test(database.version)) {
    issue(["database", "version"], database.version, 'a MySQL major.minor version such as "8.0" or "8.4" (quoted in YAML)');
  }
  if (cloud === "kubernetes" && database.engine !== "postgres") {
    issue(["database", "engine"], database.engine, "postgres (the kubernetes adapter runs CloudNativePG)");
  }
  for (const key of Object.keys(nodes.env)) {
    if (!envNamePattern.test(key)) issue(["nodes", "env", key], key, envNameRule);
    else if (isReservedEnvName(key)) issue(["nodes", "env", key], key, "a name the platform does not set itself (see \"What the app receives\" in the README)");
  }
  if (database.version !== undefined && /^\d+(\.\d+){0,2}$/.test(database.version)) {
    const problem = engineVersionProblem(cloud, database.engine, database.version);
    if (problem) issue(["database", "version"], database.version, problem);
  }
  networkChecks(raw, issue);
  for (const key of Object.keys(raw.secrets ?? {})) {
    const problem = secretNameProblem(key, nodes.env);
    if (problem) issue(["secrets", key], key, problem);
    const value = raw.secrets?.[key];
    // Never shown (the path is masked): the value is a secret, even when it is wrong.
    if (typeof value !== "string" || value.length === 0 || !isNodeText(value)) {
      issue(["secrets", key], undefined, `a non-empty single-line string of ${allowedNodeText}`);
    }
  }
  if (isVmCloud(cloud)) vmChecks(raw, cloud, issue, checks.userDataCheck);

  const ids = cloudIdentifiers[cloud];
  const hasExisting = network.vpcId !== undefined || network.publicSubnetIds !== undefined || network.privateSubnetIds !== undefined;
  if (hasExisting && !ids?.vpcId) {
    issue(["network", "vpcId"], network.vpcId ?? network.publicSubnetIds ?? network.privateSubnetIds, `no existing network on ${cloud} yet (leave network.vpcId and the subnet lists unset)`);
  } else if (hasExisting && ids?.vpcId && ids.subnetId) {
    if (network.vpcId === undefined || !ids.vpcId[0].test(network.vpcId)) {
      issue(["network", "vpcId"], network.vpcId, `${ids.vpcId[1]} (required together with network.publicSubnetIds and network.privateSubnetIds)`);
    }
    for (const key of ["publicSubnetIds", "privateSubnetIds"] as const) {
      const list = network[key];
      const subnet = ids.subnetId;
      if (!list || list.length < network.zones || !list.every((s) => subnet[0].test(s)) || new Set(list).size !== list.length) {
        issue(["network", key], list, `${network.zones} or more distinct ${subnet[1]}, one per zone (network.zones is ${network.zones})`);
      }
    }
  }
  if (dns.zone !== undefined && ids?.dnsZone && !ids.dnsZone[0].test(dns.zone)) issue(["dns", "zone"], dns.zone, ids.dnsZone[1]);
  else if (cloud === "digitalocean" && dns.zone === undefined && tls.certificate === undefined) {
    issue(["dns", "zone"], undefined, "a domain managed in DigitalOcean DNS (Let's Encrypt on DigitalOcean validates through it), or set tls.certificate to an uploaded certificate's name");
  } else if (cloud === "digitalocean" && dns.zone !== undefined && raw.domain !== dns.zone && !String(raw.domain).endsWith(`.${dns.zone}`)) {
    issue(["dns", "zone"], dns.zone, `a DigitalOcean domain that contains ${String(raw.domain)}`);
  }
  if (tls.certificate !== undefined && ids?.certificate && !ids.certificate[0].test(tls.certificate)) {
    issue(["tls", "certificate"], tls.certificate, ids.certificate[1]);
  }

  imageRegistryChecks(raw, issue, checks.registryCredentialChecks);

  // Clusters have no object storage of their own: the user brings an S3-compatible bucket.
  const storage = raw.storage;
  const bucketKeys = ["endpoint", "bucket", "accessKeyId", "secretAccessKey"] as const;
  if (cloud === "kubernetes") {
    for (const key of bucketKeys) {
      if (storage[key] === undefined) issue(["storage", key], undefined, `set on kubernetes: the cluster has no object storage, so the app and the database backups use your S3-compatible bucket (${bucketKeys.join(", ")})`);
    }
  } else {
    for (const key of [...bucketKeys, "region"] as const) {
      if (storage[key] !== undefined) issue(["storage", key], storage[key], `unset on ${cloud} (the adapter creates the bucket; these keys are for kubernetes)`);
    }
  }
}

/** The schema with its cross-key checks (ParseTopologyOptions says which the model's parser makes instead). */
const topologySchemaWith = (checks: Required<ParseTopologyOptions>) => topologyKeysSchema
  .superRefine((raw, ctx) => crossChecks(raw, ctx, checks))
  .transform(
    (raw): Topology => ({
      cloud: raw.cloud,
      domain: raw.domain,
      name: raw.name,
      nodes: { ...raw.nodes, maxCount: raw.nodes.maxCount ?? Math.min(1000, raw.nodes.count * 2) },
      healthCheck: raw.healthCheck,
      database: {
        ...raw.database,
        version: raw.database.version ?? defaultEngineVersion[raw.database.engine],
        maxStorageGb: raw.database.maxStorageGb ?? Math.min(65536, raw.database.storageGb * 5),
      },
      storage: raw.storage,
      sessions: raw.sessions,
      network: raw.network,
      dns: raw.dns,
      tls: raw.tls,
      kubernetes: raw.kubernetes,
      alarms: raw.alarms,
      logs: raw.logs,
      ...(raw.registry && { registry: raw.registry }),
    }),
  );
/** The four variants, built once: by `registryCredentialChecks`, then `userDataCheck`. */
const topologySchemas = [false, true].map((registryCredentialChecks) => [false, true].map((userDataCheck) => topologySchemaWith({ registryCredentialChecks, userDataCheck })));

/**
 * Keys another cloud reads and the stack's cloud ignores: `[section, key, the clouds that
 * read it, why]` (key undefined: the whole section). Set on a cloud that ignores it, a key
 * is refused rather than silently doing nothing.
 */
const cloudKeys: [string, string | undefined, Cloud[], string][] = [
  ["kubernetes", undefined, ["kubernetes"], "these settings are for cloud: kubernetes"],
  ["network", "sshSourceCidrs", ["digitalocean"], "only DigitalOcean nodes take SSH; AWS nodes are reached through Session Manager, GCP nodes through IAP, pods through kubectl"],
  ["network", "natGateways", ["aws", "gcp"], "only AWS and GCP route the nodes' egress through NAT"],
  ["network", "zones", ["aws", "gcp"], "DigitalOcean regions have no zones; on Kubernetes the scheduler spreads pods over the nodes' zones"],
  ["network", "cidr", ["aws", "gcp", "digitalocean"], "the cluster's network is not created by the adapter"],
  ["dns", "zone", ["aws", "gcp", "digitalocean"], "on Kubernetes, DNS is the ingress controller's and external-dns' business"],
  ["tls", "certificate", ["aws", "gcp", "digitalocean"], "on Kubernetes, cert-manager issues the certificate (kubernetes.clusterIssuer)"],
  ["alarms", "email", ["aws", "gcp", "digitalocean"], "on Kubernetes, alerting is the cluster's monitoring stack's"],
  ["logs", "retentionDays", ["aws"], "only the CloudWatch log group is created by the adapter; see README, \"Where the logs go\""],
  ["database", "maxStorageGb", ["aws", "gcp"], "only RDS and Cloud SQL grow storage automatically"],
  ["nodes", "cpuTargetPercent", ["aws", "gcp", "kubernetes"], "DigitalOcean runs exactly nodes.count droplets, with no autoscaler"],
];

/** One line per key the user set that the stack's cloud does not read. */
function foreignKeyProblems(raw: Record<string, unknown>): string[] {
  const cloud = raw.cloud;
  if (!(clouds as readonly unknown[]).includes(cloud)) return [];
  const problems: string[] = [];
  for (const [section, key, readBy, why] of cloudKeys) {
    if (readBy.includes(cloud as Cloud)) continue;
    const value = raw[section];
    const set = key === undefined ? value !== undefined : typeof value === "object" && value !== null && (value as Record<string, unknown>)[key] !== undefined;
    if (!set) continue;
    const path = key === undefined ? section : `${section}.${key}`;
    const received = key === undefined ? value : (value as Record<string, unknown>)[key];
    problems.push(`${configNamespace}:${path}: received ${JSON.stringify(received)?.slice(0, 80)}; allowed: unset on ${String(cloud)} (${why}; read on ${readBy.join(", ")})`);
  }
  return problems;
}

/** What the provider checks need from the user's keys, when they have the right type. */
function providerCheckInput(raw: Record<string, unknown>, cloud: Cloud): Parameters<typeof providerConfigProblems>[0] {
  const network = (typeof raw.network === "object" && raw.network !== null ? raw.network : {}) as Record<string, unknown>;
  const tls = (typeof raw.tls === "object" && raw.tls !== null ? raw.tls : {}) as Record<string, unknown>;
  const zones = network.zones ?? defaults.network.zones;
  return {
    cloud,
    zones: Number.isInteger(zones) && (zones as number) >= 2 && (zones as number) <= 6 ? (zones as number) : undefined,
    existingNetwork: network.vpcId !== undefined,
    certificate: typeof tls.certificate === "string" ? tls.certificate : undefined,
  };
}

/** Applies the documented defaults to a raw config object (one level deep per section). */
function withDefaults(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { name: defaults.name, ...raw };
  for (const key of sectionKeys) {
    const given = raw[key];
    // Only merge into real objects: anything else is left for the schema to refuse.
    if (given === undefined) out[key] = { ...defaults[key] };
    else if (typeof given === "object" && given !== null && !Array.isArray(given)) out[key] = { ...defaults[key], ...given };
  }
  return out;
}

/**
 * Keys named `__proto__` anywhere in the config. JSON.parse keeps such a key, but every
 * object built from it later (the schema's maps among them) reads it as the prototype, so
 * an env variable `__proto__` would vanish without a word: refused instead.
 */
export function prototypeKeyProblems(value: unknown, path: string[] = []): string[] {
  if (typeof value !== "object" || value === null) return [];
  const here = Object.prototype.hasOwnProperty.call(value, "__proto__")
    ? [configProblem([...path, "__proto__"].join("."), '"__proto__"', "a key other than __proto__ (JavaScript reads it as the object's prototype, so its value would be lost)")]
    : [];
  return [...here, ...Object.entries(value).flatMap(([key, child]) => prototypeKeyProblems(child, [...path, key]))];
}

/** How parseTopology runs for the several-workloads parser (components/model/parse.ts). */
export interface ParseTopologyOptions {
  /**
   * false: `registry` is checked for its shape only, not against `nodes.image` (whether an
   * image needs the credentials): with several workloads the model's parser checks them
   * against every workload's image. Default true.
   */
  registryCredentialChecks?: boolean;
  /**
   * false: the nodes' user data is not estimated from `nodes.env` and `secrets`: a stack
   * without the single service has no such nodes, and each workload's is checked instead.
   * Default true.
   */
  userDataCheck?: boolean;
}

/**
 * Parses the `ha-topology` namespace of a stack's configuration (keys without the
 * namespace, object values already decoded) into a Topology. `provider` holds the stack's
 * other config keys, fully qualified (`aws:region`), as the engine passes them: the
 * selected cloud's are checked too (region names and their zone counts, misspelled keys).
 * Throws one TopologyConfigError listing every problem, each with key, value and what is
 * allowed.
 */
export function parseTopology(raw: Record<string, unknown>, provider: Record<string, string> = {}, options: ParseTopologyOptions = {}): Topology {
  // Several workloads: the model's parser reads the whole stack (parseStack), and calls
  // this one for the single-service and shared keys only.
  if (raw.workloads !== undefined || raw.resources !== undefined) {
    throw new Error("parseTopology: this stack sets ha-topology:workloads or ha-topology:resources; parse it with parseStack (components/model/parse.ts)");
  }
  const schema = topologySchemas[options.registryCredentialChecks === false ? 0 : 1][options.userDataCheck === false ? 0 : 1];
  const result = schema.safeParse(withDefaults(raw), { reportInput: true });
  const problems = [
    ...prototypeKeyProblems(raw),
    ...(result.success ? [] : formatConfigIssues(result.error.issues, raw, knownKeys)),
    ...foreignKeyProblems(raw),
    ...((clouds as readonly unknown[]).includes(raw.cloud) ? providerConfigProblems(providerCheckInput(raw, raw.cloud as Cloud), provider) : []),
  ];
  if (result.success && problems.length === 0) return result.data;
  throw new TopologyConfigError(problems);
}

/**
 * The single-service sections' field schemas (no defaults: `defaults` holds them), reused
 * by the several-workloads model (components/model/schema.ts) so a field means the same
 * thing, with the same refusal, in both shapes.
 */
export const sectionShapes = {
  nodes: nodesShape,
  healthCheck: healthCheckShape,
  database: databaseShape,
  storage: storageShape,
  sessions: sessionsShape,
  domain: topLevelShape.domain,
  envValue,
};
