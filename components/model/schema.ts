/**
 * The schema of the several-workloads keys, `ha-topology:workloads` and
 * `ha-topology:resources` (DESIGN.md, "Several workloads and named resources"). One zod
 * schema per kind is the source of the input types, the defaults and the refusals; the
 * fields the single-service keys already have reuse their schemas (topology.ts
 * `sectionShapes`), so `port` or `backupRetentionDays` is refused with the same sentence
 * in both shapes.
 *
 * A kind a cloud cannot build is refused by the parser with the kinds that cloud has
 * (capabilities.ts), rather than "unknown kind".
 */
import * as z from "zod";
import { allowedNodeText, isNodeText } from "../nodeText";
import { cronScheduleProblem } from "./cronSchedule";
import { databaseEngines, defaults, sectionShapes, sessionEngines, type FieldDoc } from "../topology";

/**
 * Documents a field (configSchema.ts and the README's reference read it). A field reused
 * from the single-service keys keeps its description unless it means something else here;
 * `defaultText: null` drops a default in words that holds only for the single service.
 */
const doc = (description: string, extra: Omit<FieldDoc, "description" | "defaultText"> & { defaultText?: string | null } = {}) => ({ description, ...extra });

const { nodes, healthCheck, database, storage } = sectionShapes;

/** The rule for a workload or resource name (it becomes an env prefix and part of cloud resource names). */
export const nameRule = "a lower-case name: a letter, then letters, digits or -, not ending with -, at most 20 characters";
/** Workload and resource names: short (they prefix cloud resource names), and `-` maps to `_` in env names. */
export const namePattern = /^[a-z]([a-z0-9-]{0,18}[a-z0-9])?$/;

/** The workload kinds, deployable now or planned. */
export const workloadKinds = ["web", "worker", "cron", "site"] as const;
/** One workload kind. */
export type WorkloadKind = (typeof workloadKinds)[number];
/** The resource kinds, deployable now or planned. */
export const resourceKinds = ["sql", "bucket", "cache", "secret", "document", "queue"] as const;
/** One resource kind. */
export type ResourceKind = (typeof resourceKinds)[number];


const intIn = (min: number, max: number, why = "") => {
  const error = `an integer from ${min} to ${max}${why}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
};

/** A route's path prefix: a plain path, no query, no trailing slash except "/" itself. */
const routePathError = 'a path prefix starting with "/", such as "/api" (no query, no trailing slash)';
const routePath = z
  .string({ error: routePathError })
  .max(256, { error: routePathError })
  .regex(/^\/([A-Za-z0-9._~!$&'()*+,;=:@%-]+(\/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*)?$/, { error: routePathError });

/**
 * Env values: as `nodes.env` (single-line, reach a node); references are read later
 * (references.ts). A YAML number or boolean arrives as the value the YAML reader made of
 * it and is passed as its text (String): Pulumi's reader (Go's yaml, YAML 1.1 integers; see
 * automation/goYaml.ts) reads an unquoted `010` as 8 and `0x1F90` as 8080, and the parser
 * never sees the spelling. Quote
 * a value to keep it as written. The same holds for `count`, `port` and every number; a
 * quoted number is a string, and refused where an integer is allowed.
 */
const envMap = z
  .record(z.string(), sectionShapes.envValue, { error: "a map of environment variable names to values" })
  .meta(
    doc(
      "plain variables for this workload, as `nodes.env` (names, values and refusals alike). A value may hold references `${resources.<name>.<field>}` to a binding field of a resource it uses (checked before anything exists; the variable is secret when the field is); write `$${resources.` for the literal text",
      { examples: [{ LOG_LEVEL: "info", DATABASE_URL: "${resources.db.url}" }] },
    ),
  )
  .default({});

const commandError = `a list of arguments, such as [celery, -A, app, worker] (each a non-empty string of ${allowedNodeText})`;
/** The container's command, as an argument list (never a shell string: no quoting to get wrong). */
const command = z
  .array(z.string({ error: commandError }).min(1, { error: commandError }).max(4096, { error: commandError }).refine(isNodeText, { error: commandError }), {
    error: commandError,
  })
  .min(1, { error: commandError })
  .max(64, { error: commandError });

/** `uses`: the resources a workload binds to; names are checked against `resources` (parse.ts). */
const uses = z.array(z.string({ error: nameRule }), { error: "a list of resource names, such as [db, files]" }).meta(
  doc(
    "the resources it binds to (keys of `ha-topology:resources`, and the single service's `database`, `bucket`, `sessions`): it receives their `<RESOURCE>_<FIELD>` variables, and network and identity access to them only",
    { examples: [["db", "files", "secret-key"]], defaultText: "every resource" },
  ),
);

/** Seconds a stopping container gets after SIGTERM (workers finish their task, webs drain). */
const stopTimeoutSeconds = intIn(1, 3600)
  .meta(doc("seconds the container gets after SIGTERM before it is killed: a worker finishes its task, a web service its requests"))
  .default(30);

/** The liveness check: failing it replaces the node (unlike readiness, which only takes it out of the LB). */
const livenessShape = {
  /** The HTTP path whose failure replaces the node. Default: the readiness path. */
  path: healthCheck.path.meta(doc("the HTTP path whose failure replaces the node (it should fail only when the process is stuck, not when a dependency is down)", { defaultText: "the readiness `path`" })).optional(),
  /** Consecutive liveness failures before the node is replaced. Default: the readiness threshold. */
  unhealthyThreshold: healthCheck.unhealthyThreshold.meta(doc("consecutive liveness failures before the node is replaced", { defaultText: "the readiness `unhealthyThreshold`" })).optional(),
};

const healthCheckSchema = z
  .strictObject(
    {
      path: healthCheck.path.default(defaults.healthCheck.path),
      intervalSeconds: healthCheck.intervalSeconds.default(defaults.healthCheck.intervalSeconds),
      timeoutSeconds: healthCheck.timeoutSeconds.default(defaults.healthCheck.timeoutSeconds),
      healthyThreshold: healthCheck.healthyThreshold.default(defaults.healthCheck.healthyThreshold),
      unhealthyThreshold: healthCheck.unhealthyThreshold
        .meta(doc("consecutive readiness failures before a node is taken out of traffic (it is replaced only when `liveness` fails)"))
        .default(defaults.healthCheck.unhealthyThreshold),
      gracePeriodSeconds: healthCheck.gracePeriodSeconds.default(defaults.healthCheck.gracePeriodSeconds),
      liveness: z
        .strictObject(livenessShape, { error: "an object (the liveness check) with the keys path, unhealthyThreshold" })
        .meta(doc("the check whose failure replaces a node; unset, the readiness check is also the liveness check"))
        .optional(),
    },
    { error: "an object (the health check) with the keys path, intervalSeconds, timeoutSeconds, healthyThreshold, unhealthyThreshold, gracePeriodSeconds, liveness" },
  )
  .meta(
    doc("readiness (the load balancer's check: failing it takes a node out of traffic) and `liveness` (failing it replaces the node), so a database blip that fails every readiness check recycles nothing", {
      defaultText: "each key's default",
    }),
  )
  .prefault({});

/** The fields every running workload (web or worker) has. */
const runningShape = {
  image: nodes.image.meta(doc("the container image, as `nodes.image`: a tag or a digest, not `:latest`", { defaultText: null })),
  command: command.meta(doc("the container's command as a list of arguments (never a shell string, so there is no quoting to get wrong)", { defaultText: "the image's own", examples: [["celery", "-A", "app", "worker"]] })).optional(),
  count: nodes.count.default(defaults.nodes.count),
  maxCount: nodes.maxCount,
  size: nodes.size.default(defaults.nodes.size),
  env: envMap,
  uses: uses.optional(),
  stopTimeoutSeconds,
  cpuTargetPercent: nodes.cpuTargetPercent.default(defaults.nodes.cpuTargetPercent),
};

/** An HTTP service behind the load balancer (or, `public: false`, reachable by the other workloads only). */
export const webSchema = z.strictObject({
  kind: z.literal("web").meta(doc("an HTTP service behind the load balancer, or, with `public: false`, reachable by the other workloads only")),
  ...runningShape,
  port: nodes.port,
  path: routePath
    .meta(doc("the path prefix it is served under on its host, such as `/api` (no query, no trailing slash); `/` only on DigitalOcean, whose load balancers cannot route by path (give it its own `host`)", { defaultText: "`/`", examples: ["/api"] }))
    .optional(),
  host: sectionShapes.domain.meta(doc("its own host name on the load balancer, with its own certificate: a lower-case DNS name", { defaultText: "the stack's `domain`", examples: ["api.example.com"] })).optional(),
  public: z
    .boolean({ error: "true or false" })
    .meta(doc("`false`: an internal service, with no public route; the other workloads reach it at a stable private URL, given to them as `<WORKLOAD>_URL`"))
    .default(true),
  healthCheck: healthCheckSchema,
  drainSeconds: nodes.drainSeconds.default(defaults.nodes.drainSeconds),
});

/** What a worker refuses, and why: it has no load balancer. */
const noLoadBalancer = (what: string) => {
  const error = `unset for a worker (${what}; a worker gets no load balancer: use kind: web, with public: false for an internal service)`;
  return z.never({ error }).meta(doc(error)).optional();
};

/** A background process pool: no load balancer, >= 2 nodes over >= 2 zones, replaced when it dies. */
export const workerSchema = z.strictObject({
  kind: z.literal("worker").meta(doc("a pool of background processes: no load balancer, at least two nodes over at least two zones, replaced when it dies")),
  ...runningShape,
  port: noLoadBalancer("nothing connects to a worker's port"),
  path: noLoadBalancer("a worker has no route"),
  host: noLoadBalancer("a worker has no route"),
  public: noLoadBalancer("a worker is never reachable from outside"),
  healthCheck: noLoadBalancer("a worker is replaced when its process exits"),
});

/** What a cron job refuses, and why: it runs once per tick, not as a pool or a service. */
const notForCron = (what: string) => {
  const error = `unset for a cron job (${what})`;
  return z.never({ error }).meta(doc(error)).optional();
};

const scheduleError = 'a 5-field cron schedule in UTC, such as "*/5 * * * *" (minute hour day-of-month month day-of-week)';
/** A schedule every platform's scheduler reads the same way (cronSchedule.ts). */
const schedule = z
  .string({ error: scheduleError })
  .max(128, { error: scheduleError })
  .superRefine((value, ctx) => {
    const problem = cronScheduleProblem(value);
    if (problem) ctx.addIssue({ code: "custom", input: value, message: `${scheduleError}: ${problem}` });
  });

/** A scheduled job: exactly one run per tick, whatever the number of nodes, never overlapping unless asked. */
export const cronSchema = z.strictObject({
  kind: z.literal("cron").meta(doc("a scheduled job: exactly one run per tick whatever the number of nodes, killed at its timeout, never overlapping the previous run unless asked")),
  image: runningShape.image,
  command: runningShape.command,
  schedule: schedule.meta(doc("when it runs: a 5-field cron expression, in UTC", { defaultText: null, examples: ["*/5 * * * *", "0 3 * * *"] })),
  timeoutSeconds: intIn(1, 86400).meta(doc("seconds after which a run is killed (and counts as failed)")).default(3600),
  concurrency: z
    .enum(["forbid", "replace"], { error: "forbid or replace" })
    .meta(doc("while the previous run is still going: `forbid` skips the tick, `replace` stops the previous run and starts the new one"))
    .default("forbid"),
  retries: intIn(0, 10).meta(doc("how many times a failed run is started again within its tick")).default(0),
  size: runningShape.size,
  env: envMap,
  uses: uses.optional(),
  count: notForCron("a job runs once per tick whatever the number of nodes"),
  maxCount: notForCron("a job runs once per tick whatever the number of nodes"),
  port: notForCron("nothing connects to a job"),
  path: notForCron("a job has no route"),
  host: notForCron("a job has no route"),
  public: notForCron("a job is never reachable"),
  healthCheck: notForCron("a run ends with its exit status; timeoutSeconds bounds it"),
});

/** What a static site refuses, and why: it is files behind the CDN, not a process. */
const notForSite = (what: string) => {
  const error = `unset for a site (${what})`;
  return z.never({ error }).meta(doc(error)).optional();
};

const sourceError = "a directory inside the project, relative to it with / between names, such as web/dist (not the project directory itself, no .. and not absolute)";
/**
 * A site's `source`: checked here as text (a relative path that stays inside the project),
 * and on disk by the parser (siteSource.ts: it exists, is a directory, holds index.html).
 * Not the project directory itself: it holds the stack files, whose secrets would be
 * uploaded with the site.
 */
const siteSource = z
  .string({ error: sourceError })
  .min(1, { error: sourceError })
  .max(1024, { error: sourceError })
  .superRefine((value, ctx) => {
    const problem = sitePathProblem(value);
    if (problem) ctx.addIssue({ code: "custom", input: value, message: `${sourceError}: ${problem}` });
  });

/** Why a site's `source` text is refused, or undefined (shared with the parser, which normalises it). */
export function sitePathProblem(source: string): string | undefined {
  // Control characters (and a separator a stack file shows as one line) would hide in messages.
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(source)) return "no control characters";
  if (source.startsWith("/") || /^[A-Za-z]:/.test(source)) return "not absolute";
  // A backslash is a name character on Linux and a separator on Windows: one stack file, two directories.
  if (source.includes("\\")) return "/ between names, not \\";
  const names = source.split("/").filter((n) => n !== "" && n !== ".");
  if (names.includes("..")) return "no .. (the directory stays inside the project)";
  if (names.length === 0) return "not the project directory itself";
  return undefined;
}

const seconds = (what: string, fallback: number) => intIn(0, 31536000, " (seconds, at most a year)").meta(doc(what)).default(fallback);

const hashPatternError = "a regular expression (JavaScript syntax, at most 256 characters) matched against a file's path in the site, such as ^_next/static/";
/** A user's hashed-file pattern: it must compile, here, rather than at the upload. */
const hashPattern = z
  .string({ error: hashPatternError })
  .min(1, { error: hashPatternError })
  .max(256, { error: hashPatternError })
  .refine(
    (s) => {
      try {
        new RegExp(s, "u");
        return true;
      } catch {
        return false;
      }
    },
    { error: hashPatternError },
  );

/**
 * How long browsers and the CDN keep a site's files (siteFiles.ts turns it into each
 * file's Cache-Control). HTML is the entry point, fetched by a fixed URL, so it is short
 * whatever its name; a file whose name carries a content hash never changes under that
 * name, so it is kept a year and marked immutable; anything else (favicon.ico, robots.txt,
 * images with fixed names) is kept a while, since an upload changes it under the same URL.
 */
const siteCacheSchema = z
  .strictObject(
    {
      html: seconds("seconds browsers and the CDN keep an HTML file (`index.html` and every other `.html`), then revalidate; 0: revalidated on every request", 60),
      assets: seconds("seconds a file that is neither HTML nor hashed is kept (`favicon.ico`, `robots.txt`): an upload changes it under the same URL; 0: revalidated on every request", 3600),
      hashedAssets: seconds("seconds a file whose name carries a content hash is kept, marked `immutable` (its content never changes under that name)", 31536000),
      hashPattern: hashPattern
        .meta(
          doc(
            "which files are hashed: a regular expression matched against a file's path in the site (`assets/app.js`). HTML files are never hashed. Unset: a part of the name after a `.` or `-`, other than its first part and its extension, of 8 or more lower-case hex digits, 8 or more upper-case letters and digits, or exactly 8 letters and digits mixing both cases, with at least one digit and one letter (`app.3f9a1c2b.js`, `app-3F9A1C2B.js`, `index-BdX3k9aZ.js`)",
            { examples: ["^_next/static/"] },
          ),
        )
        .optional(),
    },
    { error: "an object (the cache policy) with the keys html, assets, hashedAssets, hashPattern" },
  )
  .meta(doc("how long browsers and the CDN keep the files: short for HTML, a year and immutable for files with a content hash in their name", { defaultText: "each key's default" }))
  .prefault({});

const originError = "an https origin such as https://app.example.com (scheme and lower-case host, an optional port, no path; not *)";
/** A CORS origin: what a browser sends in `Origin`, exactly (scheme, host, port; no path). */
const corsOrigin = z
  .string({ error: originError })
  .max(260, { error: originError })
  .regex(/^https:\/\/([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(:[1-9][0-9]{0,4})?$/, { error: originError });

/** The origins allowed to read the site's files from another host (the bucket case of issue 17). */
const siteCorsSchema = z
  .strictObject(
    {
      origins: z
        .array(corsOrigin, { error: "a list of https origins, such as [https://app.example.com]" })
        .min(1, { error: "a list of at least one https origin (or leave cors unset)" })
        .max(32, { error: "a list of at most 32 https origins" })
        .refine((list) => new Set(list).size === list.length, { error: "a list of https origins, each once" })
        .meta(doc("the origins (`https://host[:port]`) whose pages may read the files with GET and HEAD; `*` is not offered", { defaultText: null, examples: [["https://app.example.com"]] })),
    },
    { error: "an object with the key origins" },
  )
  .meta(doc("set only when pages on another host read these files (fonts, JSON): the origins allowed; unset, no CORS headers (same-origin only), except on digitalocean, where a site is on a host of its own: the stack's public web hosts (`https://<host>`)"))
  .optional();

/** Static files behind the same TLS domain and a CDN (issue 17). */
export const siteSchema = z.strictObject({
  kind: z.literal("site").meta(doc("static files (a built front end) served over the stack's TLS from a CDN, under a path of the shared domain or on their own host. Issue 17 builds it cloud by cloud: in this version the keys are checked (and the files in `source`), and every cloud refuses the kind, naming the issue")),
  source: siteSource.meta(doc("the directory of files to serve, relative to the project (where Pulumi.yaml is); it must exist and hold `index.html` before anything is created", { defaultText: null, examples: ["web/dist"] })),
  path: routePath
    .meta(doc("the path prefix it is served under on its host, such as `/` (no query, no trailing slash); it must not be another workload's route", { defaultText: "`/`", examples: ["/", "/docs"] }))
    .optional(),
  host: sectionShapes.domain.meta(doc("its own host name, with its own certificate: a lower-case DNS name", { defaultText: "the stack's `domain`", examples: ["ui.example.com"] })).optional(),
  spa: z
    .boolean({ error: "true or false" })
    .meta(doc("`true` for a single-page app: a path with no file is answered with `index.html` (status 200), for the app's router to handle; `false`: such a path is a 404"))
    .default(false),
  cache: siteCacheSchema,
  cors: siteCorsSchema,
  image: notForSite("a site is files from source, not a container"),
  command: notForSite("a site runs nothing"),
  count: notForSite("the CDN serves it; there are no nodes"),
  maxCount: notForSite("the CDN serves it; there are no nodes"),
  size: notForSite("the CDN serves it; there are no nodes"),
  port: notForSite("the CDN serves it; there is no process"),
  public: notForSite("a site is always public; for private files use a bucket resource"),
  env: notForSite("the files are served as they are; build configuration into them"),
  uses: notForSite("a site binds to no resource: it runs nothing that could read one"),
  healthCheck: notForSite("the CDN serves it; there is no process to check"),
  stopTimeoutSeconds: notForSite("a site runs nothing"),
  drainSeconds: notForSite("a site runs nothing"),
  cpuTargetPercent: notForSite("the CDN serves it; there are no nodes"),
  schedule: notForSite("a site is uploaded on every up; a scheduled job is kind cron"),
});

/** The keys a site accepts (the refused ones, `notForSite`, are not offered). */
const siteKeys = ["kind", "source", "path", "host", "spa", "cache", "cors"];

/** The workload kinds available in this version. */
export const availableWorkloadKinds = ["web", "worker", "cron", "site"] as const;
/** The resource kinds available in this version. */
export const availableResourceKinds = ["sql", "bucket", "cache", "secret", "document", "queue"] as const;

/** One workload, by kind. */
export const workloadSchema = z.discriminatedUnion(
  "kind",
  [webSchema, workerSchema, cronSchema, siteSchema],
  { error: `a workload kind: ${availableWorkloadKinds.join(", ")}` },
);

/** A replicated SQL database: today's `ha-topology:database` keys. */
export const sqlSchema = z.strictObject({
  kind: z.literal("sql").meta(doc("a replicated SQL database, as `ha-topology:database`")),
  engine: database.engine.default(defaults.database.engine),
  version: database.version,
  size: database.size.default(defaults.database.size),
  storageGb: database.storageGb.default(defaults.database.storageGb),
  maxStorageGb: database.maxStorageGb,
  backupRetentionDays: database.backupRetentionDays.default(defaults.database.backupRetentionDays),
  readReplicas: database.readReplicas
    .meta(doc("read replicas of the primary (in addition to the standby), passed to the workloads that use it as `<RESOURCE>_READ_HOSTS`"))
    .default(defaults.database.readReplicas),
  name: database.name.default(defaults.database.name),
  username: database.username.default(defaults.database.username),
});

/** Object storage: today's `ha-topology:storage` keys. */
export const bucketSchema = z.strictObject({
  kind: z.literal("bucket").meta(doc("object storage, as `ha-topology:storage`: private, versioned and encrypted")),
  versioning: storage.versioning.default(true),
  noncurrentVersionDays: storage.noncurrentVersionDays.default(defaults.storage.noncurrentVersionDays),
  endpoint: storage.endpoint,
  bucket: storage.bucket,
  region: storage.region,
  accessKeyId: storage.accessKeyId,
  secretAccessKey: storage.secretAccessKey.meta(
    doc("Kubernetes only, required there: the secret key; set it with `pulumi config set --secret --path 'ha-topology:resources.<name>.secretAccessKey' …` (never printed in errors)"),
  ),
});

/** A replicated Redis/Valkey store: today's `ha-topology:sessions` keys (declared means enabled). */
export const cacheSchema = z.strictObject({
  kind: z.literal("cache").meta(doc("a replicated Redis/Valkey store with automatic failover, as `ha-topology:sessions` (declared means enabled)")),
  engine: z.enum(sessionEngines, { error: sessionEngines.join(" or ") }).meta(doc("the store's engine")).default(defaults.sessions.engine),
  size: sectionShapes.sessions.size.default(defaults.sessions.size),
});

/**
 * A generated secret: created once (Pulumi random, letters and digits only, so it is safe
 * in a URL or a shell), stored in the cloud's secret store, the same on every node of
 * every workload that uses it.
 */
export const secretSchema = z.strictObject({
  kind: z.literal("secret").meta(doc("a secret generated once (letters and digits), kept in the cloud's secret store, the same on every node of every workload that uses it")),
  length: intIn(16, 256, " (characters: letters and digits)").meta(doc("its length in characters (letters and digits only: safe in a URL or a shell)")).default(32),
});

/** The document database engines (MongoDB's wire protocol). */
export const documentEngines = ["mongodb"] as const;
/** A document database engine. */
export type DocumentEngine = (typeof documentEngines)[number];
/** The broker engines: RabbitMQ (AMQP), or Valkey for Celery-style brokers that accept Redis. */
export const queueEngines = ["rabbitmq", "valkey"] as const;
/** A broker engine. */
export type QueueEngine = (typeof queueEngines)[number];

const identifierError = "a lower-case identifier: a letter, then letters, digits or _ (at most 63)";
const identifier = z.string({ error: identifierError }).regex(/^[a-z][a-z0-9_]{0,62}$/, { error: identifierError });
/** A size for a resource role (the per-cloud table is sizes.ts; checked by the parser, which knows the cloud). */
const resourceSize = (what: string, example: string) =>
  z.string({ error: `small, medium, large or a provider-native ${what} size` }).min(1, { error: `small, medium, large or a provider-native ${what} size` })
    .meta(doc(`a preset or a provider-native ${what} size such as ${example}`, { examples: ["small", "medium", "large"] }));
const kubernetesStorage = (what: string) =>
  intIn(1, 65536, " (GB)").meta(doc(`Kubernetes only (refused elsewhere: the managed services size their own storage): the volume of each ${what} in GB`, { defaultText: "`10`" })).optional();

/**
 * A replicated MongoDB-compatible document database (issue 18): a replica set of members in
 * different zones with automatic failover, TLS, encryption at rest, backups and deletion
 * protection, reachable only from the workloads that use it.
 */
export const documentSchema = z.strictObject({
  kind: z.literal("document").meta(doc("a replicated MongoDB-compatible document database: members in different zones, automatic failover, TLS, backups, deletion protection (README: Document databases and queues)")),
  engine: z.enum(documentEngines, { error: documentEngines.join(" or ") }).meta(doc("the wire protocol the workloads speak")).default("mongodb"),
  size: resourceSize("document database", "the DocumentDB class `db.r6g.large`").default("small"),
  members: intIn(2, 16)
    .meta(doc("the replica set's members (instances), each in another zone where the cloud has zones", { defaultText: "`2` on aws (DocumentDB fails over between instances on shared storage), `3` elsewhere (a MongoDB majority)" }))
    .optional(),
  storageGb: kubernetesStorage("member"),
  backupRetentionDays: intIn(7, 35, " (at least a week of backups)").meta(doc("days of backups kept (the point-in-time recovery window where the cloud has one)")).default(7),
  name: identifier.meta(doc("`[a-z][a-z0-9_]{0,62}`: the database the app's user owns, named in the URL")).default("app"),
  username: identifier
    .refine((u) => !["admin", "root", "doadmin", "serviceadmin", "clusteradmin", "userAdmin"].includes(u), {
      error: "a user name that is not reserved by the database or the cloud (not admin, root, doadmin, ...)",
    })
    .meta(doc("same pattern as `name`; not `admin`, `root`, `doadmin`: the app's user")).default("app"),
});

/**
 * A clustered message broker (issue 18): RabbitMQ over three zones with quorum queues, or
 * Valkey (a replicated store that never evicts) for Celery-style workers that accept Redis.
 */
export const queueSchema = z.strictObject({
  kind: z.literal("queue").meta(doc("a clustered message broker over zones, TLS only, reachable only from the workloads that use it (README: Document databases and queues)")),
  engine: z.enum(queueEngines, { error: queueEngines.join(" or ") })
    .meta(doc("`rabbitmq` (AMQP 0-9-1, quorum queues) or `valkey` (a Redis-protocol broker for Celery, RQ, Sidekiq: replicated, never evicting)"))
    .default("rabbitmq"),
  size: resourceSize("broker", "the Amazon MQ type `mq.m5.large`").default("small"),
  storageGb: kubernetesStorage("broker node"),
});

/** One resource, by kind. */
export const resourceSchema = z.discriminatedUnion(
  "kind",
  [sqlSchema, bucketSchema, cacheSchema, secretSchema, documentSchema, queueSchema],
  { error: `a resource kind: ${availableResourceKinds.join(", ")}` },
);

/** The two maps; names are checked by the model (parse.ts), so a bad name gets the name rule. */
export const mapsSchema = z.object({
  workloads: z.record(z.string(), workloadSchema, { error: "a map of workload names to workloads" }).optional(),
  resources: z.record(z.string(), resourceSchema, { error: "a map of resource names to resources" }).optional(),
});

/**
 * The maps as a stack file holds them, for the JSON Schema and the README's reference
 * (configSchema.ts): the kinds this version builds (an unknown kind is refused, as the
 * program refuses it), names by the name rule. The program parses with `mapsSchema`.
 */
export const documentedMapsShape = {
  workloads: z
    .record(z.string().regex(namePattern), z.discriminatedUnion("kind", [webSchema, workerSchema, cronSchema, siteSchema]))
    .meta(
      doc(
        "the workloads: names (a lower-case letter, then letters, digits or `-`, at most 20) to a web service (`kind: web`) or a worker (`kind: worker`), each with its own nodes, image, count and checks, or to a scheduled job (`kind: cron`), or to a static site (`kind: site`: files from a directory of the project behind the CDN). Without `nodes`, the stack is exactly these (see [Several workloads and shared resources](#several-workloads-and-shared-resources)).",
      ),
    )
    .optional(),
  resources: z
    .record(z.string().regex(namePattern), z.discriminatedUnion("kind", [sqlSchema, bucketSchema, cacheSchema, secretSchema, documentSchema, queueSchema]))
    .meta(
      doc(
        "the resources the workloads share: names to a SQL database (`kind: sql`), a bucket (`kind: bucket`), a cache (`kind: cache`), a generated secret (`kind: secret`), a document database (`kind: document`) or a message broker (`kind: queue`). Exactly these are created, beside the single service's when the stack has it.",
      ),
    )
    .optional(),
};

/** A web workload as parsed (defaults applied), before normalisation. */
export type WebInput = z.output<typeof webSchema>;
/** A worker as parsed. */
export type WorkerInput = z.output<typeof workerSchema>;
/** A cron job as parsed. */
export type CronInput = z.output<typeof cronSchema>;
/** A static site as parsed. */
export type SiteInput = z.output<typeof siteSchema>;
/** A SQL resource as parsed. */
export type SqlInput = z.output<typeof sqlSchema>;
/** A bucket resource as parsed. */
export type BucketInput = z.output<typeof bucketSchema>;
/** A cache resource as parsed. */
export type CacheInput = z.output<typeof cacheSchema>;
/** A secret resource as parsed. */
export type SecretInput = z.output<typeof secretSchema>;
/** A document database resource as parsed. */
export type DocumentInput = z.output<typeof documentSchema>;
/** A broker resource as parsed. */
export type QueueInput = z.output<typeof queueSchema>;

/** The accepted keys of each kind, for "unknown key" messages (a worker's refused keys are not offered). */
export const kindKeys: Record<string, string[]> = {
  web: Object.keys(webSchema.shape),
  worker: Object.keys(workerSchema.shape).filter((k) => !["port", "path", "host", "public", "healthCheck"].includes(k)),
  cron: Object.keys(cronSchema.shape).filter((k) => !["count", "maxCount", "port", "path", "host", "public", "healthCheck"].includes(k)),
  site: siteKeys,
  sql: Object.keys(sqlSchema.shape),
  bucket: Object.keys(bucketSchema.shape),
  cache: Object.keys(cacheSchema.shape),
  secret: Object.keys(secretSchema.shape),
  document: Object.keys(documentSchema.shape),
  queue: Object.keys(queueSchema.shape),
};
/** The accepted keys of a web workload's health check and of its liveness check. */
export const healthCheckKeys = Object.keys(healthCheckSchema.unwrap().shape);
/** The accepted keys of the liveness check. */
export const livenessKeys = Object.keys(livenessShape);
/** The accepted keys of a site's `cache` and `cors`. */
export const siteKeysOf = { cache: Object.keys(siteCacheSchema.unwrap().shape), cors: Object.keys(siteCorsSchema.unwrap().shape) };

/** The database engine type, re-exported for the model's users. */
export type SqlEngine = (typeof databaseEngines)[number];
