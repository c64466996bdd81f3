/**
 * The normalised, cloud-neutral model of a topology: workloads and the resources they
 * share, every default applied. The platforms will be driven from it (issue 15's next
 * step); today it is parsed and checked only (parse.ts).
 *
 * A stack with only the single-service keys maps onto it with the names DESIGN.md fixes,
 * so the adapters can later build it from the model with no URN change: the web workload
 * `web`, the SQL resource `database`, the bucket `bucket` and, when `sessions.enabled`,
 * the cache `sessions` (`legacyModel`).
 */
import type { Cloud } from "../sizes";
import type { Topology } from "../topology";
import type { TemplatePart } from "./references";
import type { BucketInput, CacheInput, CronInput, DocumentInput, QueueInput, SecretInput, SiteInput, SqlInput, WebInput, WorkerInput } from "./schema";

/** Where an entry of the model was declared. */
export type Origin =
  /** The single-service keys (`nodes`, `healthCheck`, `database`, `storage`, `sessions`). */
  | "single-service"
  /** `ha-topology:workloads` or `ha-topology:resources`. */
  | "maps";

/** The name of the web workload the single-service keys describe. */
export const legacyWebName = "web";
/** The names of the resources the single-service keys describe, by kind. */
export const legacyResourceNames = { sql: "database", bucket: "bucket", cache: "sessions" } as const;

/** Where a public web workload is served: its host and path prefix on the load balancer. */
export interface Route {
  /** The host name (the stack's `domain` unless the workload sets `host`). */
  host: string;
  /** The path prefix ("/" unless the workload sets `path`). */
  path: string;
}

/** A web workload's health checks, readiness and liveness apart. */
export type HealthCheck = Omit<WebInput["healthCheck"], "liveness"> & {
  /**
   * What replaces a node. Failing readiness (`path`, the LB's check) only takes a node
   * out of the load balancer, so a database blip that fails every readiness check does
   * not recycle every node; failing liveness replaces it. Defaults: the readiness values.
   */
  liveness: { path: string; unhealthyThreshold: number };
};

/** What every running workload has, whatever its kind. */
interface RunningWorkload {
  /** The key in `ha-topology:workloads` (`web` for the single-service keys). */
  name: string;
  /** Where it was declared. */
  origin: Origin;
  /** The autoscaling ceiling, defaulted to twice `count` (at most 1000). */
  maxCount: number;
  /** The resources it binds to (declared `uses`, or every resource). */
  uses: string[];
  /**
   * The user's variables as templates: literal text and `${resources...}` references
   * (single-service `nodes.env` values are literal: they are not read for references, so
   * such a stack's environment stays exactly what it is).
   */
  env: Record<string, TemplatePart[]>;
}

/** An HTTP service: behind the load balancer, or internal (`route` undefined). */
export type WebWorkload = Omit<WebInput, "env" | "uses" | "maxCount" | "path" | "host" | "healthCheck"> &
  RunningWorkload & {
    /** Where the load balancer serves it; undefined for an internal one (`public: false`). */
    route: Route | undefined;
    /** Readiness and liveness. */
    healthCheck: HealthCheck;
  };

/** A pool of background processes: no load balancer. */
export type WorkerWorkload = Omit<WorkerInput, "env" | "uses" | "maxCount" | "port" | "path" | "host" | "public" | "healthCheck"> & RunningWorkload;

/**
 * A scheduled job: exactly one run per tick whatever the number of nodes. It has no
 * count (`maxCount` is 0): where it runs is the platform's scheduler's business.
 */
export type CronWorkload = Omit<CronInput, "env" | "uses" | "count" | "maxCount" | "port" | "path" | "host" | "public" | "healthCheck"> & RunningWorkload;

/**
 * Static files behind the stack's TLS and a CDN (issue 17). It runs nothing: no image, no
 * nodes, no environment, no resources. Its `source` was found on disk at parse time
 * (siteSource.ts), and components/siteFiles.ts lists what a platform uploads from it.
 */
export type SiteWorkload = Pick<SiteInput, "kind" | "spa" | "cache" | "cors"> & {
  /** The key in `ha-topology:workloads`. */
  name: string;
  /** Always the maps: the single-service keys have no site. */
  origin: "maps";
  /** The directory as the stack file names it, normalised (`web/dist`: no `./`, no trailing `/`), relative to the project. */
  source: string;
  /**
   * The directory on this machine (absolute: the project directory joined with `source`),
   * to read the files from (siteFiles.ts resolves its links).
   * It differs between machines: a platform uploads keys relative to it and never puts
   * it in a resource's inputs, or every checkout would show a diff.
   */
  sourceDir: string;
  /** Where it is served: the stack's `domain` unless it sets `host`, under `path` ("/" unless set). */
  route: Route;
};

/** One workload, discriminated by `kind`. */
export type Workload = WebWorkload | WorkerWorkload | CronWorkload | SiteWorkload;

/** A workload that runs a container image (a web service, a worker pool, a scheduled job): it has an environment and uses resources. */
export type ContainerWorkload = WebWorkload | WorkerWorkload | CronWorkload;

/** True for a workload that runs a container (not a static site). */
export function isContainerWorkload(w: Workload): w is ContainerWorkload {
  return w.kind !== "site";
}

/** A workload that runs all the time on its own node group: a web service or a worker pool. */
export type ServiceWorkload = WebWorkload | WorkerWorkload;

/** True for a web service or a worker pool (not a scheduled job). */
export function isServiceWorkload(w: Workload): w is ServiceWorkload {
  return w.kind === "web" || w.kind === "worker";
}

/** What every resource has. */
interface NamedResource {
  /** The key in `ha-topology:resources` (`database`, `bucket`, `sessions` for the single-service keys). */
  name: string;
  /** Where it was declared. */
  origin: Origin;
}

/** A replicated SQL database; `version` and `maxStorageGb` defaulted as `ha-topology:database`'s. */
export type SqlResource = Omit<SqlInput, "version" | "maxStorageGb" | "name"> &
  NamedResource & {
    /** The engine version (default 16 for postgres, 8.0 for mysql). */
    version: string;
    /** The storage autoscaling ceiling (default five times `storageGb`). */
    maxStorageGb: number;
    /** The database created for the app: the config key `name` (renamed here, where `name` is the resource's). */
    databaseName: string;
  };
/** Object storage. */
export type BucketResource = BucketInput & NamedResource;
/** A replicated Redis/Valkey store. */
export type CacheResource = CacheInput & NamedResource;
/** A generated secret. */
export type SecretResource = SecretInput & NamedResource;
/** A replicated document database; `members` resolved for the cloud, `name` renamed as a sql resource's. */
export type DocumentResource = Omit<DocumentInput, "members" | "name" | "storageGb"> &
  NamedResource & {
    /** The replica set's members (capabilities.ts `documentDefaultMembers` when unset). */
    members: number;
    /** The database the app's user owns: the config key `name`. */
    databaseName: string;
    /** Each member's volume in GB (read on kubernetes only; default 10). */
    storageGb: number;
  };
/** A clustered message broker. */
export type QueueResource = Omit<QueueInput, "storageGb"> &
  NamedResource & {
    /** Each broker node's volume in GB (read on kubernetes only; default 10). */
    storageGb: number;
  };
/** One resource, discriminated by `kind`. */
export type Resource = SqlResource | BucketResource | CacheResource | SecretResource | DocumentResource | QueueResource;

/** The whole model of one stack. */
export interface Model {
  /** The cloud whose platform builds it. */
  cloud: Cloud;
  /** The shared public domain (the default host of every public web workload). */
  domain: string;
  /** The workloads, single-service `web` first, then in declaration order. */
  workloads: Workload[];
  /** The resources, single-service ones first, then in declaration order. */
  resources: Resource[];
  /** The names of `ha-topology:secrets` (values stay secret Outputs): every workload receives them. */
  appSecrets: string[];
}

/** The single-service stack's resources as the model's. */
export function legacyResources(topology: Topology): Resource[] {
  const origin = "single-service" as const;
  return [
    (({ name: databaseName, ...database }) => ({ kind: "sql" as const, ...database, name: legacyResourceNames.sql, origin, databaseName }))(topology.database),
    { kind: "bucket", name: legacyResourceNames.bucket, origin, ...topology.storage },
    ...(topology.sessions.enabled
      ? [{ kind: "cache" as const, name: legacyResourceNames.cache, origin, engine: topology.sessions.engine, size: topology.sessions.size }]
      : []),
  ];
}

/** The single-service stack's web workload, binding to `uses` (every resource). */
export function legacyWeb(topology: Topology, uses: string[]): WebWorkload {
  const { nodes, healthCheck } = topology;
  return {
    kind: "web",
    name: legacyWebName,
    origin: "single-service",
    image: nodes.image,
    command: undefined,
    count: nodes.count,
    maxCount: nodes.maxCount,
    size: nodes.size,
    env: Object.fromEntries(Object.entries(nodes.env).map(([k, v]) => [k, [v]])),
    uses,
    // What every VM adapter passes to docker stop today.
    stopTimeoutSeconds: 30,
    cpuTargetPercent: nodes.cpuTargetPercent,
    port: nodes.port,
    route: { host: topology.domain, path: "/" },
    public: true,
    healthCheck: { ...healthCheck, liveness: { path: healthCheck.path, unhealthyThreshold: healthCheck.unhealthyThreshold } },
    drainSeconds: nodes.drainSeconds,
  };
}

/** The model of a stack that uses only the single-service keys. */
export function legacyModel(topology: Topology, appSecrets: string[] = []): Model {
  const resources = legacyResources(topology);
  return {
    cloud: topology.cloud,
    domain: topology.domain,
    workloads: [legacyWeb(topology, resources.map((r) => r.name))],
    resources,
    appSecrets: [...appSecrets].sort(),
  };
}
