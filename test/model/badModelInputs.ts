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
/** A valid static site (the fixture directory holds its files), to vary. */
export const site = { kind: "site", source: "test/fixtures/site", path: "/" };
/** A valid worker, to vary. */
export const celery = { kind: "worker", image: "ghcr.io/acme/api:1.4.2", command: ["celery", "-A", "app", "worker"] };

/** Registry credentials, never printed. */
const credentials = { username: "acme-bot", password: "never-printed-0123" };
/** A private image in ECR. */
const ecrImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1.4.2";

/** `count` variables V0, V1... of `length` characters each: a very large environment. */
export function largeEnv(count: number, length: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`V${i}`, "x".repeat(length)]));
}

/** A patch whose topology is `workloads` and `resources` only. */
export function maps(workloads: Record<string, unknown>, resources?: Record<string, unknown>): Record<string, unknown> {
  return { ...mapsOnly, workloads, ...(resources && { resources }) };
}

export const badModelInputs: BadInput[] = [
  // Kinds: unknown.
  { what: "unknown workload kind", raw: maps({ api: { ...api, kind: "service" } }), key: "workloads.api.kind", received: '"service"', allowed: "a workload kind: web, worker, cron, site" },
  { what: "workload without a kind", raw: maps({ api: { image: api.image, port: 8080 } }), key: "workloads.api.kind", received: "nothing", allowed: "a workload kind: web, worker, cron, site" },
  { what: "DigitalOcean cron job without a PostgreSQL for its lease", stack: "digitalocean", raw: maps({ api: { ...api, path: undefined }, nightly: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", schedule: "0 3 * * *", uses: ["files"] } }, { files: { kind: "bucket" } }), key: "workloads.nightly.uses", received: '["files"]', allowed: "a list with a sql resource of engine postgres on digitalocean: without a scheduler for containers, the job's droplets take a per-tick lease in it" },
  { what: "DigitalOcean cron job whose lease database is MySQL", stack: "digitalocean", raw: maps({ api: { ...api, path: undefined }, nightly: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", schedule: "0 3 * * *" } }, { db: { kind: "sql", engine: "mysql" } }), key: "workloads.nightly.uses", received: '["db"]', allowed: "a sql resource of engine postgres on digitalocean" },
  { what: "DigitalOcean cron job that replaces a running run", stack: "digitalocean", raw: maps({ api: { ...api, path: undefined }, nightly: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", schedule: "0 3 * * *", concurrency: "replace" } }, { db: { kind: "sql" } }), key: "workloads.nightly.concurrency", received: '"replace"', allowed: "forbid on digitalocean (the default): a run holds its lease on one droplet, and no other droplet can stop it" },
  { what: "DigitalOcean cron schedule a systemd timer cannot express", stack: "digitalocean", raw: maps({ api: { ...api, path: undefined }, nightly: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", schedule: "0 3 1 * 1" } }, { db: { kind: "sql" } }), key: "workloads.nightly.schedule", received: '"0 3 1 * 1"', allowed: "a schedule a systemd timer can express on digitalocean" },
  { what: "cron schedule with six fields", stack: "kubernetes", raw: maps({ api, nightly: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", schedule: "0 0 3 * * *" } }), key: "workloads.nightly.schedule", received: '"0 0 3 * * *"', allowed: "five fields (minute hour day-of-month month day-of-week), 6 given" },
  { what: "cron schedule macro", raw: maps({ api, nightly: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", schedule: "@daily" } }), key: "workloads.nightly.schedule", received: '"@daily"', allowed: 'the five fields "0 0 * * *" instead of @daily' },
  { what: "cron schedule with a Quartz extension", raw: maps({ api, nightly: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", schedule: "0 3 ? * MON" } }), key: "workloads.nightly.schedule", received: '"0 3 ? * MON"', allowed: "no ?, L, W or #" },
  { what: "cron schedule hour out of range", raw: maps({ api, nightly: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", schedule: "0 24 * * *" } }), key: "workloads.nightly.schedule", received: '"0 24 * * *"', allowed: "the hour field \"24\" has a value outside 0-23" },
  { what: "gcp cron job whose runs could overlap the next tick", stack: "gcp", raw: maps({ api, nightly: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", schedule: "*/5 * * * *", timeoutSeconds: 600 } }), key: "workloads.nightly.timeoutSeconds", received: "600", allowed: 'at most 119 seconds on gcp for "*/5 * * * *" with retries 0 (it ticks every 300 s at the shortest, and a start may come 180 s late)' },
  { what: "gcp cron job every minute", stack: "gcp", raw: maps({ api, beat: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", schedule: "* * * * *", timeoutSeconds: 30 } }), key: "workloads.beat.timeoutSeconds", received: "30", allowed: 'a schedule with more than 180 s between ticks on gcp ("* * * * *" ticks every 60 s)' },
  { what: "cron job with a count", raw: maps({ api, nightly: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", schedule: "0 3 * * *", count: 2 } }), key: "workloads.nightly.count", received: "2", allowed: "unset for a cron job (a job runs once per tick whatever the number of nodes)" },
  { what: "cron job with an unknown overlap rule", raw: maps({ api, nightly: { kind: "cron", image: "ghcr.io/acme/api:1.4.2", schedule: "0 3 * * *", concurrency: "allow" } }), key: "workloads.nightly.concurrency", received: '"allow"', allowed: "forbid or replace" },
  // Static sites: every cloud refuses the kind until its platform builds it (issue 17); the keys and the files are checked already.
  { what: "site without a source", raw: maps({ api, ui: { kind: "site" } }), key: "workloads.ui.source", received: "nothing", allowed: "a directory inside the project, relative to it" },
  { what: "site source that does not exist", raw: maps({ api, ui: { ...site, source: "web/dist" } }), key: "workloads.ui.source", received: '"web/dist"', allowed: "does not exist: build the site before the deployment" },
  { what: "site source that is a file", raw: maps({ api, ui: { ...site, source: "README.md" } }), key: "workloads.ui.source", received: '"README.md"', allowed: "is not one" },
  { what: "site source without index.html", raw: maps({ api, ui: { ...site, source: "test/fixtures/site-without-index" } }), key: "workloads.ui.source", received: '"test/fixtures/site-without-index"', allowed: "a directory with index.html at its top" },
  { what: "site source outside the project", raw: maps({ api, ui: { ...site, source: "../web/dist" } }), key: "workloads.ui.source", received: '"../web/dist"', allowed: "not the project directory itself, no .. and not absolute" },
  { what: "site source as an absolute path", raw: maps({ api, ui: { ...site, source: "/srv/www" } }), key: "workloads.ui.source", received: '"/srv/www"', allowed: "a directory inside the project, relative to it" },
  { what: "site source that is the project directory (its stack files would be uploaded)", raw: maps({ api, ui: { ...site, source: "./" } }), key: "workloads.ui.source", received: '"./"', allowed: "not the project directory itself" },
  { what: "site with an image", raw: maps({ api, ui: { ...site, image: "nginx:1.27" } }), key: "workloads.ui.image", received: '"nginx:1.27"', allowed: "unset for a site (a site is files from source, not a container)" },
  { what: "site with env", raw: maps({ api, ui: { ...site, env: { API_URL: "/api" } } }), key: "workloads.ui.env", received: '{"API_URL":"/api"}', allowed: "unset for a site (the files are served as they are; build configuration into them)" },
  { what: "site that uses a resource", raw: maps({ api, ui: { ...site, uses: ["db"] } }, { db: { kind: "sql" } }), key: "workloads.ui.uses", received: '["db"]', allowed: "unset for a site (a site binds to no resource" },
  { what: "site with a count", raw: maps({ api, ui: { ...site, count: 2 } }), key: "workloads.ui.count", received: "2", allowed: "unset for a site (the CDN serves it; there are no nodes)" },
  { what: "site with a health check", raw: maps({ api, ui: { ...site, healthCheck: { path: "/" } } }), key: "workloads.ui.healthCheck", received: '{"path":"/"}', allowed: "unset for a site (the CDN serves it; there is no process to check)" },
  { what: "site on the route of a web workload", raw: maps({ api, ui: { ...site, path: "/api" } }), key: "workloads.ui.path", received: '"/api"', allowed: "a route no other workload serves: workloads.api already serves app.example.com/api" },
  { what: "site on the single service's route", raw: { workloads: { ui: { ...site, path: undefined } } }, key: "workloads.ui.path", received: "nothing", allowed: "a route no other workload serves: workloads.web already serves app.example.com/" },
  { what: "site path with a trailing slash", raw: maps({ api, ui: { ...site, path: "/docs/" } }), key: "workloads.ui.path", received: '"/docs/"', allowed: 'a path prefix starting with "/"' },
  { what: "site spa as a word", raw: maps({ api, ui: { ...site, spa: "yes" } }), key: "workloads.ui.spa", received: '"yes"', allowed: "true or false" },
  { what: "site HTML cached for more than a year", raw: maps({ api, ui: { ...site, cache: { html: 31536001 } } }), key: "workloads.ui.cache.html", received: "31536001", allowed: "an integer from 0 to 31536000 (seconds, at most a year)" },
  { what: "site hashed-file pattern that does not compile", raw: maps({ api, ui: { ...site, cache: { hashPattern: "([a-f0-9]{8}" } } }), key: "workloads.ui.cache.hashPattern", received: '"([a-f0-9]{8}"', allowed: "a regular expression (JavaScript syntax" },
  { what: "misspelled site cache key", raw: maps({ api, ui: { ...site, cache: { hashedAsset: 60 } } }), key: "workloads.ui.cache.hashedAsset", received: "60", allowed: 'did you mean "hashedAssets"?' },
  { what: "site CORS origin over plain HTTP", raw: maps({ api, ui: { ...site, cors: { origins: ["http://app.example.com"] } } }), key: "workloads.ui.cors.origins.0", received: '"http://app.example.com"', allowed: "an https origin such as https://app.example.com" },
  { what: "site CORS origin with a path", raw: maps({ api, ui: { ...site, cors: { origins: ["https://app.example.com/"] } } }), key: "workloads.ui.cors.origins.0", received: '"https://app.example.com/"', allowed: "no path; not *" },
  { what: "site CORS wildcard", raw: maps({ api, ui: { ...site, cors: { origins: ["*"] } } }), key: "workloads.ui.cors.origins.0", received: '"*"', allowed: "not *" },
  // Document databases and brokers (issue 18): what each cloud's managed offering can be.
  { what: "RabbitMQ broker on GCP (no managed RabbitMQ)", stack: "gcp", raw: maps({ api }, { broker: { kind: "queue", engine: "rabbitmq" } }), key: "resources.broker.engine", received: '"rabbitmq"', allowed: "valkey on gcp: Google Cloud has no managed RabbitMQ; engine valkey is a replicated broker that never evicts" },
  { what: "RabbitMQ broker on DigitalOcean (no managed RabbitMQ)", stack: "digitalocean", raw: maps({ api: { ...api, path: undefined } }, { broker: { kind: "queue" } }), key: "resources.broker.engine", received: '"rabbitmq"', allowed: "or run RabbitMQ with cloud kubernetes (the RabbitMQ Cluster Operator)" },
  { what: "DigitalOcean MongoDB of 5 nodes", stack: "digitalocean", raw: maps({ api: { ...api, path: undefined } }, { events: { kind: "document", members: 5 } }), key: "resources.events.members", received: "5", allowed: "3 on digitalocean (the default): a managed MongoDB cluster has 1 or 3 nodes" },
  { what: "Kubernetes replica set of an even number of members", stack: "kubernetes", raw: maps({ api }, { events: { kind: "document", members: 4 }, files: { kind: "bucket", endpoint: "https://s3.example.com", bucket: "files", region: "us-east-1", accessKeyId: "AKIAEXAMPLE", secretAccessKey: "example-secret" } }), key: "resources.events.members", received: "4", allowed: "3, 5 or 7 on kubernetes: a replica set elects its primary by majority" },
  { what: "Kubernetes document database without a bucket for its backups", stack: "kubernetes", raw: maps({ api }, { events: { kind: "document" } }), key: "resources.events", received: '"events"', allowed: "a document resource next to a bucket resource on kubernetes: the Percona operator backs each replica set up" },
  { what: "GCP Firestore given a member count", stack: "gcp", raw: maps({ api }, { events: { kind: "document", members: 3 } }), key: "resources.events.members", received: "3", allowed: "unset on gcp: Firestore (with MongoDB compatibility) replicates every write over three zones itself" },
  { what: "document database with one member", raw: maps({ api }, { events: { kind: "document", members: 1 } }), key: "resources.events.members", received: "1", allowed: "an integer from 2 to 16" },
  { what: "document database storage off Kubernetes", raw: maps({ api }, { events: { kind: "document", storageGb: 50 } }), key: "resources.events.storageGb", received: "50", allowed: "unset on aws (the managed service sizes its own storage; read on kubernetes" },
  { what: "document database user reserved by the service", raw: maps({ api }, { events: { kind: "document", username: "admin" } }), key: "resources.events.username", received: '"admin"', allowed: "a user name that is not reserved by the database or the cloud" },
  { what: "document database engine other than MongoDB", raw: maps({ api }, { events: { kind: "document", engine: "couchdb" } }), key: "resources.events.engine", received: '"couchdb"', allowed: "mongodb" },
  { what: "Amazon MQ broker type that cannot cluster", raw: maps({ api }, { broker: { kind: "queue", size: "mq.t3.micro" } }), key: "resources.broker.size", received: '"mq.t3.micro"', allowed: "Amazon MQ runs mq.t3.micro as a single instance only" },
  { what: "broker engine unknown", raw: maps({ api }, { broker: { kind: "queue", engine: "kafka" } }), key: "resources.broker.engine", received: '"kafka"', allowed: "rabbitmq or valkey" },
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

  // Private images: the single-service registry rules, applied to every workload's image (components/model/images.ts).
  { what: "registry credentials no workload image needs (the public demo image)", raw: { ...maps({ api: { ...api, image: "traefik/whoami:v1.10.1" } }), registry: credentials }, key: "registry", received: "[secret]", allowed: "no image of this stack needs registry credentials (workloads.api.image is the public demo image)" },
  { what: "registry credentials for an ECR workload image on aws", raw: { ...maps({ api: { ...api, image: ecrImage } }), registry: credentials }, key: "registry", received: "[secret]", allowed: "workloads.api.image is in aws's own registry: the program grants the nodes' IAM role pull access" },
  { what: "registry credentials for an Artifact Registry workload image on gcp", stack: "gcp", raw: { ...maps({ api: { ...api, image: "europe-west1-docker.pkg.dev/my-gcp-project/apps/api:1.4.2" } }), registry: credentials }, key: "registry", received: "[secret]", allowed: "workloads.api.image is in gcp's own registry" },
  { what: "registry credentials for a DOCR workload image on digitalocean", stack: "digitalocean", raw: { ...maps({ api: { ...api, path: undefined, image: "registry.digitalocean.com/acme/api:1.4.2" } }), registry: credentials }, key: "registry", received: "[secret]", allowed: "workloads.api.image is in digitalocean's own registry" },
  { what: "registry credentials for an ECR workload image on kubernetes", stack: "kubernetes", raw: { ...maps({ api: { ...api, image: ecrImage } }), registry: credentials }, key: "registry", received: "[secret]", allowed: "workloads.api.image is in ECR, whose login tokens expire after 12 hours" },
  { what: "registry credentials with private images on two registries", raw: { ...maps({ api, b: { ...api, path: "/b", image: "quay.io/acme/b:1.0.0" } }), registry: credentials }, key: "registry", received: "[secret]", allowed: "the private images are on 2: ghcr.io (workloads.api.image), quay.io (workloads.b.image)" },
  { what: "the single service's image and a workload's on two registries", raw: { nodes: { image: "ghcr.io/acme/web:1.4.2" }, workloads: { jobs: { ...celery, image: "quay.io/acme/jobs:1.0.0" } }, registry: credentials }, key: "registry", received: "[secret]", allowed: "ghcr.io (nodes.image), quay.io (workloads.jobs.image)" },
  { what: "DOCR workload image on aws without credentials", raw: maps({ api: { ...api, image: "registry.digitalocean.com/acme/api:1.4.2" } }), key: "registry", received: "nothing", allowed: "whose images are always private: a DigitalOcean API token with registry read access as both username and password (password with --secret); workloads.api.image is there" },
  { what: "ECR worker image on gcp", stack: "gcp", raw: maps({ api, jobs: { ...celery, image: ecrImage } }), key: "workloads.jobs.image", received: `"${ecrImage}"`, allowed: "ECR accepts only AWS identities" },
  { what: "ECR workload image on digitalocean", stack: "digitalocean", raw: maps({ api: { ...api, path: undefined, image: ecrImage } }), key: "workloads.api.image", received: `"${ecrImage}"`, allowed: "push the image to DigitalOcean Container Registry" },
  { what: "registry password on two lines in a stack of maps, never printed", raw: { ...maps({ api }), registry: { username: "acme-bot", password: "line-one\nline-two" } }, key: "registry.password", received: "[secret]", allowed: "on one line" },

  // User data: a workload's own values over its cloud's limit (components/model/vmChecks.ts).
  { what: "a workload's env over AWS's 16 KB of user data", raw: maps({ api: { ...api, env: largeEnv(200, 60) } }), key: "workloads.api.env", received: "200 variables (17456 bytes in the user data)", allowed: "user data of at most 16383 bytes on aws (EC2 takes 16 KB of user data before base64); workload api's nodes' user data would be at least" },
  { what: "a worker's env over AWS's user data, naming it", raw: maps({ api, jobs: { ...celery, env: largeEnv(200, 60) } }), key: "workloads.jobs.env", received: "200 variables", allowed: "move large values from workloads.jobs.env to ha-topology:secrets or a secret resource" },
  { what: "a workload's secret env over DigitalOcean's user data (secrets travel in it)", stack: "digitalocean", raw: maps({ api: { ...api, path: undefined, env: Object.fromEntries(Object.entries(largeEnv(300, 200)).map(([k, v]) => [k, `${v}\${resources.key.value}`])) } }, { key: { kind: "secret" } }), key: "workloads.api.env", received: "300 variables", allowed: "user data of at most 65536 bytes on digitalocean" },
  { what: "app secrets over DigitalOcean's user data in a stack of maps, never printed", stack: "digitalocean", raw: { ...maps({ api: { ...api, path: undefined } }), secrets: largeEnv(300, 200) }, key: "secrets", received: "[secret]", allowed: "workload api's nodes' user data would be at least" },

  // Network sizing: every node group during a rolling replacement (components/model/vmChecks.ts).
  { what: "AWS subnets too small for every node group's maxCount", raw: { ...maps({ api: { ...api, maxCount: 30 }, jobs: { ...celery, maxCount: 20 } }), network: { cidr: "10.0.0.0/23" } }, key: "network.cidr", received: '"10.0.0.0/23"', allowed: "each zone's /27 subnet holds 27 nodes, and the node groups' maxCount over network.zones need 50 per zone during a rolling replacement (api 30, jobs 20)" },
  { what: "the single service and a worker together too large for the AWS subnets", raw: { nodes: { maxCount: 20 }, workloads: { jobs: { ...celery, maxCount: 20 } }, network: { cidr: "10.0.0.0/23" } }, key: "network.cidr", received: '"10.0.0.0/23"', allowed: "need 40 per zone during a rolling replacement (web 20, jobs 20)" },
  { what: "GCP subnet too small for every node group", stack: "gcp", raw: { ...maps({ api: { ...api, count: 100, maxCount: 200 }, jobs: { ...celery, maxCount: 60 } }), network: { cidr: "10.0.0.0/24" } }, key: "network.cidr", received: '"10.0.0.0/24"', allowed: "the /24 subnet holds 252 nodes, and the node groups' maxCount plus each rolling replacement's surge need 264 (api 202, jobs 62)" },
  { what: "DigitalOcean VPC too small for every droplet", stack: "digitalocean", raw: { ...maps({ api: { ...api, path: undefined, count: 100 }, jobs: { ...celery, count: 40 } }), network: { cidr: "10.20.0.0/24" } }, key: "network.cidr", received: '"10.20.0.0/24"', allowed: "the /24 VPC has 256 addresses, and the droplets need 280 during a rolling replacement" },

  // Health checks and resources: the single-service rules on every web workload and sql resource.
  { what: "a web workload's grace period beyond GCP's autohealing limit", stack: "gcp", raw: maps({ api: { ...api, healthCheck: { gracePeriodSeconds: 5000 } } }), key: "workloads.api.healthCheck.gracePeriodSeconds", received: "5000", allowed: "an integer from 60 to 3600 on gcp (the instance group's autohealing delay is at most an hour)" },
  { what: "a web workload's grace period shorter than a boot", raw: maps({ api: { ...api, healthCheck: { gracePeriodSeconds: 30 } } }), key: "workloads.api.healthCheck.gracePeriodSeconds", received: "30", allowed: "an integer from 60 to 7200 on aws: a new node boots" },
  { what: "a web workload's timeout not below its interval", raw: maps({ api: { ...api, healthCheck: { intervalSeconds: 10, timeoutSeconds: 10 } } }), key: "workloads.api.healthCheck.timeoutSeconds", received: "10", allowed: "fewer seconds than healthCheck.intervalSeconds (10)" },
  { what: "a liveness threshold of one failure", raw: maps({ api: { ...api, healthCheck: { liveness: { unhealthyThreshold: 1 } } } }), key: "workloads.api.healthCheck.liveness.unhealthyThreshold", received: "1", allowed: "an integer from 2 to 10" },
  { what: "a liveness path without a slash", raw: maps({ api: { ...api, healthCheck: { liveness: { path: "live" } } } }), key: "workloads.api.healthCheck.liveness.path", received: '"live"', allowed: 'starting with "/"' },
  { what: "a web workload on port 22 of a VM", stack: "gcp", raw: maps({ api: { ...api, port: 22 } }), key: "workloads.api.port", received: "22", allowed: "where sshd listens on 22" },
  { what: "a CPU target on DigitalOcean (no autoscaler)", stack: "digitalocean", raw: maps({ api: { ...api, path: undefined, cpuTargetPercent: 50 } }), key: "workloads.api.cpuTargetPercent", received: "50", allowed: "unset on digitalocean (DigitalOcean runs exactly count droplets, with no autoscaler" },
  { what: "a sql resource's storage ceiling below its storage", raw: maps({ api }, { db: { kind: "sql", storageGb: 100, maxStorageGb: 50 } }), key: "resources.db.maxStorageGb", received: "50", allowed: "an integer of at least resources.db.storageGb (100)" },
  { what: "a sql resource's storage ceiling on DigitalOcean", stack: "digitalocean", raw: maps({ api: { ...api, path: undefined } }, { db: { kind: "sql", maxStorageGb: 200 } }), key: "resources.db.maxStorageGb", received: "200", allowed: "unset on digitalocean (only RDS and Cloud SQL grow storage automatically" },

  // Hostile values: refused on their own key, shown escaped.
  { what: "a workload env value with U+2028", raw: maps({ api: { ...api, env: { GREETING: "hi\u2028bootcmd: [touch, /pwned]" } } }), key: "workloads.api.env.GREETING", received: '"hi\\u2028bootcmd: [touch, /pwned]"', allowed: "no U+2028/U+2029 separators" },
  { what: "a workload env value with U+0085 (next line)", stack: "gcp", raw: maps({ api: { ...api, env: { GREETING: "a\u0085b" } } }), key: "workloads.api.env.GREETING", received: '"a\\u0085b"', allowed: "U+007F-U+009F such as U+0085" },
  { what: "a worker command argument with U+2029", raw: maps({ api, jobs: { ...celery, command: ["celery", "a\u2029b"] } }), key: "workloads.jobs.command.1", received: '"a\\u2029b"', allowed: "no U+2028/U+2029 separators" },
  { what: "a worker command argument with U+0085", raw: maps({ api, jobs: { ...celery, command: ["sh\u0085-c"] } }), key: "workloads.jobs.command.0", received: '"sh\\u0085-c"', allowed: "U+007F-U+009F such as U+0085" },
  { what: "a workload name with a line break, quoted", raw: maps({ "a\nb": api }), key: 'workloads."a\\nb"', received: '"a\\nb"', allowed: "a lower-case name" },
  { what: "count as a quoted octal-looking string", raw: maps({ api: { ...api, count: "010" } }), key: "workloads.api.count", received: '"010"', allowed: "an integer from 2 to 1000" },
  { what: "port as a quoted hexadecimal string", raw: maps({ api: { ...api, port: "0x1F90" } }), key: "workloads.api.port", received: '"0x1F90"', allowed: "an integer from 1 to 65535" },
  { what: "env name __proto__ in a workload (JavaScript would drop it silently)", raw: maps({ api: { ...api, env: JSON.parse('{"__proto__": "x", "LOG_LEVEL": "info"}') } }), key: "workloads.api.env.__proto__", received: '"__proto__"', allowed: "a key other than __proto__" },
  { what: "workload named __proto__", raw: maps(JSON.parse(`{"__proto__": ${JSON.stringify(api)}}`)), key: "workloads.__proto__", received: '"__proto__"', allowed: "a key other than __proto__" },
  { what: "resource named __proto__", raw: maps({ api }, JSON.parse('{"__proto__": {"kind": "sql"}}')), key: "resources.__proto__", received: '"__proto__"', allowed: "a key other than __proto__" },
  { what: "__proto__ inside a health check", raw: maps({ api: { ...api, healthCheck: JSON.parse('{"path": "/health", "__proto__": {"path": "/x"}}') } }), key: "workloads.api.healthCheck.__proto__", received: '"__proto__"', allowed: "a key other than __proto__" },
  { what: "a 21-character workload name", raw: maps({ "abcdefghij-abcdefghij": api }), key: "workloads.abcdefghij-abcdefghij", received: '"abcdefghij-abcdefghij"', allowed: "at most 20 characters" },
  { what: "a 21-character resource name", raw: maps({ api }, { "abcdefghijabcdefghijk": { kind: "secret" } }), key: "resources.abcdefghijabcdefghijk", received: '"abcdefghijabcdefghijk"', allowed: "at most 20 characters" },
  { what: "a route that differs from another only by a trailing slash", raw: maps({ api, b: { ...api, path: "/api/" } }), key: "workloads.b.path", received: '"/api/"', allowed: "no trailing slash" },
  { what: "a host that differs from another only by case", raw: maps({ api: { ...api, path: undefined, host: "api.example.com" }, b: { ...api, path: undefined, host: "API.example.com" } }), key: "workloads.b.host", received: '"API.example.com"', allowed: "a lower-case DNS name" },
  { what: "a host with a trailing dot", raw: maps({ api: { ...api, path: undefined, host: "api.example.com." } }), key: "workloads.api.host", received: '"api.example.com."', allowed: "no scheme, port, path or trailing dot" },
  { what: "a route path with a percent-encoded letter", raw: maps({ api: { ...api, path: "/%61pi" } }), key: "workloads.api.path", received: '"/%61pi"', allowed: 'writes "a" itself rather than %61' },
  { what: "a route path with a dot segment", raw: maps({ api: { ...api, path: "/v1/../api" } }), key: "workloads.api.path", received: '"/v1/../api"', allowed: 'without "." or ".." segments' },
  { what: "a route path with a bare %", raw: maps({ api: { ...api, path: "/100%" } }), key: "workloads.api.path", received: '"/100%"', allowed: '"%" starts an escape of two hex digits' },
  { what: "two routes that differ only in an escape's hex case", raw: maps({ api: { ...api, path: "/a%2fb" }, b: { ...api, path: "/a%2Fb" } }), key: "workloads.b.path", received: '"/a%2Fb"', allowed: "workloads.api already serves app.example.com/a%2Fb" },
  // What a load balancer rule can hold.
  { what: "a route path with a wildcard", raw: maps({ api: { ...api, path: "/api*" } }), key: "workloads.api.path", received: '"/api*"', allowed: 'a path prefix without "*"' },
  { what: "a route path longer than an ALB rule holds", raw: maps({ api: { ...api, path: `/${"a".repeat(126)}` } }), key: "workloads.api.path", received: `"/${"a".repeat(75)}`, allowed: "a path of at most 126 characters on aws (129 given; an ALB listener rule condition value holds at most 128 characters)" },
  // Kubernetes: what its object names and backups need (capabilities.ts).
  { what: "kubernetes sql resource without a bucket for its backups", stack: "kubernetes", raw: maps({ api }, { db: { kind: "sql" } }), key: "resources.db", received: '"db"', allowed: "a sql resource next to a bucket resource on kubernetes: CloudNativePG archives" },
  { what: "kubernetes workload named like a database's objects", stack: "kubernetes", raw: { workloads: { "db-rw": { ...api, path: "/rw" } } }, key: "workloads.db-rw", received: '"db-rw"', allowed: "a name that does not start with db: on kubernetes the objects of ha-topology:database are named <name>-db…" },
];
