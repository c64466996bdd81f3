/**
 * The table of bad several-workloads configurations (`ha-topology:workloads`,
 * `ha-topology:resources`): each must stop the program before anything is registered,
 * with one line naming the key, the value received and what is allowed. Kept apart from
 * test/badInputs.ts (whose README table lists the single-service refusals).
 */
import type { BadInput } from "../badInputs";

/** The single-service keys removed: a topology of the maps only (they would keep the single service). */
const mapsOnly = { nodes: undefined, healthCheck: undefined, database: undefined, storage: undefined, sessions: undefined };

/** A valid web workload, to vary. */
export const api = { kind: "web", image: "ghcr.io/acme/api:1.4.2", port: 8080, path: "/api", healthCheck: { path: "/api/health" } };
/** A valid worker, to vary. */
export const celery = { kind: "worker", image: "ghcr.io/acme/api:1.4.2", command: ["celery", "-A", "app", "worker"] };

/** A patch whose topology is `workloads` and `resources` only. */
export function maps(workloads: Record<string, unknown>, resources?: Record<string, unknown>): Record<string, unknown> {
  return { ...mapsOnly, workloads, ...(resources && { resources }) };
}

export const badModelInputs: BadInput[] = [
  // Kinds: unknown, and planned (the seams exist; the issue that builds them is named).
  { what: "unknown workload kind", raw: maps({ api: { ...api, kind: "service" } }), key: "workloads.api.kind", received: '"service"', allowed: "web or worker" },
  { what: "workload without a kind", raw: maps({ api: { image: api.image, port: 8080 } }), key: "workloads.api.kind", received: "nothing", allowed: "web or worker" },
  { what: "cron workload (planned)", raw: maps({ api, nightly: { kind: "cron", schedule: "0 3 * * *" } }), key: "workloads.nightly.kind", received: '"cron"', allowed: "kind cron is planned, issue 16" },
  { what: "site workload (planned)", raw: maps({ api, ui: { kind: "site", source: "web/dist" } }), key: "workloads.ui.kind", received: '"site"', allowed: "kind site is planned, issue 17" },
  { what: "document resource (planned)", raw: maps({ api }, { events: { kind: "document", engine: "mongodb" } }), key: "resources.events.kind", received: '"document"', allowed: "kind document is planned, issue 18" },
  { what: "queue resource (planned)", raw: maps({ api }, { broker: { kind: "queue", engine: "rabbitmq" } }), key: "resources.broker.kind", received: '"queue"', allowed: "kind queue is planned, issue 18" },
  { what: "unknown resource kind", raw: maps({ api }, { db: { kind: "postgres" } }), key: "resources.db.kind", received: '"postgres"', allowed: "sql, bucket, cache, secret" },
  // Names.
  { what: "workload name with upper case", raw: maps({ Api: api }), key: "workloads.Api", received: '"Api"', allowed: "a lower-case name" },
  { what: "resource name with an underscore", raw: maps({ api }, { my_db: { kind: "sql" } }), key: "resources.my_db", received: '"my_db"', allowed: "letters, digits or -" },
  { what: "empty workloads map", raw: maps({}), key: "workloads", received: "{}", allowed: "at least one workload" },
  // Counts and worker shape.
  { what: "one web node", raw: maps({ api: { ...api, count: 1 } }), key: "workloads.api.count", received: "1", allowed: "at least two nodes" },
  { what: "one worker node", raw: maps({ api, celery: { ...celery, count: 1 } }), key: "workloads.celery.count", received: "1", allowed: "at least two nodes" },
  { what: "maxCount below count", raw: maps({ api: { ...api, count: 4, maxCount: 3 } }), key: "workloads.api.maxCount", received: "3", allowed: "at least workloads.api.count (4)" },
  { what: "worker with a port", raw: maps({ api, celery: { ...celery, port: 8080 } }), key: "workloads.celery.port", received: "8080", allowed: "a worker gets no load balancer" },
  { what: "worker with a health check", raw: maps({ api, celery: { ...celery, healthCheck: { path: "/health" } } }), key: "workloads.celery.healthCheck", received: '{"path":"/health"}', allowed: "replaced when its process exits" },
  { what: "misspelled workload key", raw: maps({ api: { ...api, imgae: "x" } }), key: "workloads.api.imgae", received: '"x"', allowed: 'did you mean "image"?' },
  // Routes.
  { what: "two web workloads on one path", raw: maps({ api, api2: { ...api, image: "ghcr.io/acme/api2:1.0.0" } }), key: "workloads.api2.path", received: '"/api"', allowed: "workloads.api already serves app.example.com/api" },
  { what: "two web workloads on one host", raw: maps({ api: { ...api, path: undefined, host: "api.example.com" }, b: { ...api, path: undefined, host: "api.example.com" } }), key: "workloads.b.host", received: '"api.example.com"', allowed: "workloads.api already serves api.example.com/" },
  { what: "internal web workload with a path", raw: maps({ api, disc: { ...api, public: false } }), key: "workloads.disc.path", received: '"/api"', allowed: "unset for an internal web workload" },
  { what: "path routing on DigitalOcean", stack: "digitalocean", raw: maps({ api }), key: "workloads.api.path", received: '"/api"', allowed: "its own load balancer and host name" },
  // Uses and references.
  { what: "uses an undeclared resource", raw: maps({ api: { ...api, uses: ["db"] } }, { files: { kind: "bucket" } }), key: "workloads.api.uses.0", received: '"db"', allowed: "a declared resource: files" },
  { what: "reference to an undeclared resource", raw: maps({ api: { ...api, env: { DATABASE_URL_X: "${resources.db.url}" } } }, { files: { kind: "bucket" } }), key: "workloads.api.env.DATABASE_URL_X", received: '"${resources.db.url}"', allowed: "a reference to a declared resource" },
  { what: "reference to an unknown field, listing the fields", raw: maps({ api: { ...api, env: { DSN: "${resources.db.uri}" } } }, { db: { kind: "sql" } }), key: "workloads.api.env.DSN", received: '"${resources.db.uri}"', allowed: "host, port, name, engine, user, password, url" },
  { what: "reference to a resource the workload does not use", raw: maps({ api: { ...api, uses: ["files"], env: { DSN: "${resources.db.url}" } } }, { db: { kind: "sql" }, files: { kind: "bucket" } }), key: "workloads.api.env.DSN", received: '"${resources.db.url}"', allowed: "(add db to uses)" },
  { what: "malformed reference", raw: maps({ api: { ...api, env: { DSN: "${resources.db}" } } }, { db: { kind: "sql" } }), key: "workloads.api.env.DSN", received: '"${resources.db}"', allowed: "$${resources. for the literal text" },
  // Binding collisions.
  { what: "two resources giving the same variable", raw: maps({ api }, { db: { kind: "sql" }, "db-url": { kind: "secret" } }), key: "resources.db-url", received: '"db-url"', allowed: "would receive DB_URL from both resources.db and resources.db-url" },
  { what: "a user variable a binding sets", raw: maps({ api: { ...api, env: { SECRET_KEY: "x" } } }, { "secret-key": { kind: "secret" } }), key: "workloads.api.env.SECRET_KEY", received: '"SECRET_KEY"', allowed: "would receive SECRET_KEY from both resources.secret-key and workloads.api.env.SECRET_KEY" },
  { what: "an internal service's URL colliding with a resource's", raw: maps({ api, db: { ...api, path: undefined, public: false } }, { db: { kind: "sql" } }), key: "workloads.db", received: '"db"', allowed: "DB_URL from both resources.db and workloads.db" },
  { what: "a resource whose variable the platform sets", raw: maps({ api }, { port: { kind: "secret" } }), key: "resources.port", received: '"port"', allowed: "variable PORT the platform does not set itself" },
  { what: "a reserved user variable", raw: maps({ api: { ...api, env: { APP_VERSION: "1" } } }), key: "workloads.api.env.APP_VERSION", received: '"APP_VERSION"', allowed: "a name the platform does not set itself" },
  // Capabilities.
  { what: "MySQL resource on kubernetes", stack: "kubernetes", raw: maps({ api }, { db: { kind: "sql", engine: "mysql", version: "8.0" } }), key: "resources.db.engine", received: '"mysql"', allowed: "postgres on kubernetes (the kubernetes adapter runs CloudNativePG)" },
  { what: "RDS class for a sql resource on gcp", stack: "gcp", raw: maps({ api }, { db: { kind: "sql", size: "db.t4g.micro" } }), key: "resources.db.size", received: '"db.t4g.micro"', allowed: "gcp database size" },
  { what: "bucket key on a cloud that creates the bucket, never printed", raw: maps({ api }, { files: { kind: "bucket", secretAccessKey: "wJalr-never-printed" } }), key: "resources.files.secretAccessKey", received: "[secret]", allowed: "unset on aws" },
  { what: "kubernetes bucket without its endpoint", stack: "kubernetes", raw: maps({ api }, { files: { kind: "bucket", bucket: "acme-files", accessKeyId: "AKIA", secretAccessKey: "never-printed" } }), key: "resources.files.endpoint", received: "nothing", allowed: "set on kubernetes" },
  // Combining the single-service keys with the maps.
  { what: "database key without the single service", raw: { ...maps({ api }), database: { engine: "postgres" } }, key: "database", received: '{"engine":"postgres","version":"16"', allowed: "unset when ha-topology:workloads is set without ha-topology:nodes" },
  { what: "a workload named web next to the single service", raw: { workloads: { web: api } }, key: "workloads.web", received: '"web"', allowed: "web is the single service's" },
  { what: "a resource named database next to the single service", raw: { resources: { database: { kind: "sql" } } }, key: "resources.database", received: '"database"', allowed: "database is the single service's" },
  { what: "the name bucket for another kind", raw: maps({ api }, { bucket: { kind: "secret" } }), key: "resources.bucket.kind", received: '"secret"', allowed: "the name bucket is kept for the single service's bucket" },
  { what: "a web route the single service already serves", raw: { workloads: { api: { ...api, path: undefined } } }, key: "workloads.api.path", received: "nothing", allowed: "workloads.web already serves app.example.com/" },
];
