import { strict as assert } from "node:assert";
import { loadStackConfig, stackConfigWith } from "../../automation/stackFiles";
import { platformEnv } from "../../components/appEnvironment";
import { resourceBinding, workloadEnv } from "../../components/model/bindings";
import { capabilities } from "../../components/model/capabilities";
import { isContainerWorkload, type Model, type WebWorkload } from "../../components/model/model";
import { parseModel } from "../../components/model/parse";
import { parseTemplate } from "../../components/model/references";
import { clouds, type Cloud } from "../../components/sizes";
import { decodeRawConfig, providerConfigOf } from "../../components/stackConfig";
import { ns } from "../programQueries";
import { maps } from "./badModelInputs";

/** An example stack (optionally patched) parsed into the model, as the program reads it. */
function modelOf(stack: string, patch: Record<string, unknown> = {}): Model {
  const values = (Object.keys(patch).length ? stackConfigWith(stack, ns(patch)) : loadStackConfig(stack)).values;
  return parseModel(decodeRawConfig(values), providerConfigOf(values));
}

/** Env names of a workload, secret ones marked with a trailing "*". */
const envOf = (model: Model, name: string) =>
  workloadEnv(model, model.workloads.filter(isContainerWorkload).find((w) => w.name === name)!).map((v) => `${v.name}${v.secret ? "*" : ""}`);

/**
 * Today's variables of the single web service on a cloud: what platformEnv renders (plain)
 * and the credentials each adapter adds from its secret store (components/platforms/<cloud>/index.ts).
 */
function todaysEnv(cloud: Cloud, options: { sessions: boolean; readReplicas: boolean }): string[] {
  const keyed = cloud === "digitalocean" || cloud === "kubernetes";
  const plain = Object.keys(
    platformEnv({
      port: 80,
      image: "x/y:1",
      trustedProxyHops: 1,
      database: { host: "h", port: 5432, name: "app", engine: "postgres", readHosts: options.readReplicas ? ["r"] : undefined },
      bucket: { name: "b", region: "r", endpoint: keyed ? "https://e" : undefined },
      sessions: options.sessions ? { host: "h", port: 6379, tls: true, caCertificates: cloud === "gcp" ? "PEM" : undefined } : undefined,
    }),
  );
  const secret = [
    "DATABASE_USER", "DATABASE_PASSWORD",
    ...(keyed ? ["BUCKET_ACCESS_KEY_ID", "BUCKET_SECRET_ACCESS_KEY"] : []),
    ...(keyed && options.sessions ? ["SESSION_STORE_PASSWORD"] : []),
  ];
  return [...plain, ...secret.map((s) => `${s}*`)].sort();
}

describe("model: the single-service stacks map onto the model with fixed names", function () {
  for (const cloud of clouds) {
    it(`stacks/Pulumi.${cloud}.yaml: one web workload "web", resources database and bucket, today's variables`, function () {
      const model = modelOf(cloud);
      assert.equal(model.cloud, cloud);
      assert.deepEqual(model.workloads.map((w) => [w.kind, w.name, w.origin]), [["web", "web", "single-service"]]);
      assert.deepEqual(model.resources.map((r) => [r.kind, r.name]), [["sql", "database"], ["bucket", "bucket"]]);
      const web = model.workloads[0] as WebWorkload;
      assert.deepEqual(web.route, { host: "app.example.com", path: "/" });
      assert.deepEqual(web.uses, ["database", "bucket"]);
      assert.deepEqual(web.healthCheck.liveness, { path: web.healthCheck.path, unhealthyThreshold: web.healthCheck.unhealthyThreshold });
      const userEnv = Object.keys(web.env);
      assert.deepEqual(envOf(model, "web").filter((n) => !userEnv.includes(n)).sort(), todaysEnv(cloud, { sessions: false, readReplicas: false }));
    });

    it(`${cloud}: sessions.enabled adds the cache "sessions", and read replicas DATABASE_READ_HOSTS, with today's names`, function () {
      const model = modelOf(cloud, { sessions: { enabled: true }, database: { readReplicas: 1 } });
      assert.deepEqual(model.resources.map((r) => [r.kind, r.name]), [["sql", "database"], ["bucket", "bucket"], ["cache", "sessions"]]);
      const [web] = model.workloads;
      assert.ok(isContainerWorkload(web));
      const userEnv = Object.keys(web.env);
      assert.deepEqual(envOf(model, "web").filter((n) => !userEnv.includes(n)).sort(), todaysEnv(cloud, { sessions: true, readReplicas: true }));
    });
  }

  it("keeps the database's settings, its name as databaseName, and nodes.env literal", function () {
    const model = modelOf("aws", { database: { name: "shop", storageGb: 30 }, nodes: { env: { GREETING: "${resources.database.host}" } } });
    const sql = model.resources[0];
    assert.ok(sql.kind === "sql");
    assert.deepEqual([sql.databaseName, sql.version, sql.storageGb, sql.maxStorageGb], ["shop", "16", 30, 150]);
    // Single-service env values are never read for references: the node gets them as written.
    const [web] = model.workloads;
    assert.ok(isContainerWorkload(web));
    assert.deepEqual(web.env.GREETING, ["${resources.database.host}"]);
  });

  it("gives the single service's workload the app secrets' names, secret", function () {
    const model = modelOf("aws", { secrets: { STRIPE_KEY: "sk_test" } });
    assert.ok(envOf(model, "web").includes("STRIPE_KEY*"));
    assert.deepEqual(model.appSecrets, ["STRIPE_KEY"]);
  });
});

/** Maestro: three HTTP APIs (one internal), Celery workers, a shared secret, no SQL database. */
const maestro = maps(
  {
    server: { kind: "web", image: "ghcr.io/maestro/server:3.1.0", port: 8000, healthCheck: { path: "/health", liveness: { path: "/live" } }, env: { SIGNING_KEY: "${resources.secret-key.value}", LOG_LEVEL: "info" } },
    auth: { kind: "web", image: "ghcr.io/maestro/auth:3.1.0", port: 8001, host: "auth.example.com", healthCheck: { path: "/health" } },
    discovery: { kind: "web", public: false, image: "ghcr.io/maestro/discovery:2.0.1", port: 5000, uses: [] },
    celery: { kind: "worker", image: "ghcr.io/maestro/server:3.1.0", command: ["celery", "-A", "maestro", "worker"], count: 3, maxCount: 9 },
  },
  { "secret-key": { kind: "secret", length: 48 }, files: { kind: "bucket" } },
);

/** Alerta: the API at /api on the shared domain, SECRET_KEY on every node, a SQL database. */
const alerta = maps(
  {
    api: { kind: "web", image: "ghcr.io/alerta/api:9.0.4", port: 8080, path: "/api", healthCheck: { path: "/api/management/healthcheck" }, env: { DATABASE_URL: "${resources.db.url}", PLUGINS: "reject,blackout" } },
    ui: { kind: "web", image: "ghcr.io/alerta/ui:9.0.4", port: 80, healthCheck: { path: "/" }, uses: [] },
  },
  { db: { kind: "sql", engine: "postgres" }, "secret-key": { kind: "secret" } },
);

describe("model: several workloads and named resources", function () {
  it("Maestro: three web services (one internal), a worker, a shared secret and no database", function () {
    const model = modelOf("aws", maestro);
    assert.deepEqual(model.workloads.map((w) => [w.kind, w.name]), [["web", "server"], ["web", "auth"], ["web", "discovery"], ["worker", "celery"]]);
    assert.deepEqual(model.resources.map((r) => [r.kind, r.name]), [["secret", "secret-key"], ["bucket", "files"]]);
    const [server, auth, discovery, celery] = model.workloads;
    assert.ok(server.kind === "web" && auth.kind === "web" && discovery.kind === "web" && celery.kind === "worker");
    assert.deepEqual([server.route, auth.route, discovery.route], [{ host: "app.example.com", path: "/" }, { host: "auth.example.com", path: "/" }, undefined]);
    assert.deepEqual(server.healthCheck.liveness, { path: "/live", unhealthyThreshold: 3 });
    assert.deepEqual([celery.count, celery.maxCount, celery.command], [3, 9, ["celery", "-A", "maestro", "worker"]]);
    assert.deepEqual(envOf(model, "server"), [
      "PORT", "APP_VERSION", "TRUSTED_PROXY_HOPS", "SECRET_KEY*", "FILES_BUCKET", "FILES_REGION", "FILES_ENDPOINT", "DISCOVERY_URL", "SIGNING_KEY*", "LOG_LEVEL",
    ]);
    assert.deepEqual(envOf(model, "discovery"), ["PORT", "APP_VERSION", "TRUSTED_PROXY_HOPS"]);
    assert.deepEqual(envOf(model, "celery"), ["APP_VERSION", "SECRET_KEY*", "FILES_BUCKET", "FILES_REGION", "FILES_ENDPOINT", "DISCOVERY_URL"]);
  });

  it("Alerta: the api at /api with DB_* and SECRET_KEY, the database URL referenced and secret", function () {
    const model = modelOf("aws", alerta);
    const api = model.workloads[0];
    assert.ok(api.kind === "web");
    assert.deepEqual(api.route, { host: "app.example.com", path: "/api" });
    assert.deepEqual(api.env.DATABASE_URL, [{ resource: "db", field: "url" }]);
    assert.deepEqual(envOf(model, "api"), [
      "PORT", "APP_VERSION", "TRUSTED_PROXY_HOPS", "DB_HOST", "DB_PORT", "DB_NAME", "DB_ENGINE", "DB_USER*", "DB_PASSWORD*", "DB_URL*", "SECRET_KEY*", "DATABASE_URL*", "PLUGINS",
    ]);
    assert.deepEqual(envOf(model, "ui"), ["PORT", "APP_VERSION", "TRUSTED_PROXY_HOPS"]);
    const db = model.resources[0];
    assert.ok(db.kind === "sql");
    assert.deepEqual([db.engine, db.version, db.databaseName, db.backupRetentionDays], ["postgres", "16", "app", 7]);
  });

  it("DigitalOcean and Kubernetes add the bucket's keys and the cache password, secret", function () {
    const topology = maps({ api: { kind: "web", image: "ghcr.io/acme/api:1.4.2", port: 8080 } }, { cache: { kind: "cache" }, files: { kind: "bucket" } });
    assert.deepEqual(envOf(modelOf("digitalocean", topology), "api").slice(3), [
      "CACHE_HOST", "CACHE_PORT", "CACHE_TLS", "CACHE_PASSWORD*", "CACHE_URL*", "FILES_BUCKET", "FILES_REGION", "FILES_ENDPOINT", "FILES_ACCESS_KEY_ID*", "FILES_SECRET_ACCESS_KEY*",
    ]);
    assert.deepEqual(envOf(modelOf("gcp", topology), "api").slice(3, 8), ["CACHE_HOST", "CACHE_PORT", "CACHE_TLS", "CACHE_CA_CERT_BASE64", "CACHE_URL"]);
  });

  it("routes several web workloads on one host by path, on the clouds that can", function () {
    const two = maps({
      api: { kind: "web", image: "ghcr.io/acme/api:1.4.2", port: 8080, path: "/api" },
      ui: { kind: "web", image: "ghcr.io/acme/ui:1.4.2", port: 8081 },
    });
    for (const cloud of ["aws", "gcp", "kubernetes"]) {
      const model = modelOf(cloud, two);
      assert.deepEqual(model.workloads.map((w) => (w.kind === "web" ? w.route?.path : undefined)), ["/api", "/"], cloud);
    }
    // DigitalOcean: one load balancer per host, so separate hosts are fine.
    const hosts = maps({
      api: { kind: "web", image: "ghcr.io/acme/api:1.4.2", port: 8080, host: "api.app.example.com" },
      ui: { kind: "web", image: "ghcr.io/acme/ui:1.4.2", port: 8081 },
    });
    assert.deepEqual(modelOf("digitalocean", hosts).workloads.map((w) => (w.kind === "web" ? w.route?.host : undefined)), ["api.app.example.com", "app.example.com"]);
  });

  it("adds workloads and resources next to the single service when nodes is set", function () {
    const model = modelOf("aws", { workloads: { celery: { kind: "worker", image: "ghcr.io/acme/api:1.4.2" } }, resources: { "secret-key": { kind: "secret" } } });
    assert.deepEqual(model.workloads.map((w) => w.name), ["web", "celery"]);
    assert.deepEqual(model.resources.map((r) => r.name), ["database", "bucket", "secret-key"]);
    // The worker binds to the single service's resources under today's names.
    assert.deepEqual(envOf(model, "celery"), ["APP_VERSION", "DATABASE_HOST", "DATABASE_PORT", "DATABASE_NAME", "DATABASE_ENGINE", "DATABASE_USER*", "DATABASE_PASSWORD*", "BUCKET_NAME", "BUCKET_REGION", "SECRET_KEY*"]);
  });

  it("keeps today's variables for the names database, bucket and sessions in the maps", function () {
    const model = modelOf("aws", maps({ web: { kind: "web", image: "ghcr.io/acme/api:1.4.2", port: 8080 } }, { database: { kind: "sql" }, bucket: { kind: "bucket" } }));
    assert.deepEqual(envOf(model, "web").sort(), todaysEnv("aws", { sessions: false, readReplicas: false }));
  });

  it("refuses a kind a cloud's capabilities lack, naming what that cloud supports", function () {
    const values = stackConfigWith("gcp", ns(maps({ api: { kind: "web", image: "ghcr.io/acme/api:1.4.2", port: 8080 } }, { cache: { kind: "cache" } }))).values;
    const table = { ...capabilities, gcp: { ...capabilities.gcp, resources: ["sql", "bucket", "secret"] } };
    assert.throws(
      () => parseModel(decodeRawConfig(values), providerConfigOf(values), table),
      (e: Error) => e.message.includes('ha-topology:resources.cache.kind: received "cache"; allowed: a resource kind gcp supports: sql, bucket, secret'),
    );
    assert.doesNotThrow(() => parseModel(decodeRawConfig(values), providerConfigOf(values)));
  });
});

describe("model: references in env values", function () {
  it("splits literal text and references", function () {
    assert.deepEqual(parseTemplate("postgres://${resources.db.user}@${resources.db.host}/x"), [
      "postgres://", { resource: "db", field: "user" }, "@", { resource: "db", field: "host" }, "/x",
    ]);
  });

  it("leaves other dollars alone and reads $${resources. as the literal text", function () {
    assert.deepEqual(parseTemplate("$HOME ${PATH} $$ $${resources.db.url}"), ["$HOME ${PATH} $$ ${resources.db.url}"]);
    assert.deepEqual(parseTemplate(""), [""]);
  });

  it("reports a malformed reference", function () {
    assert.deepEqual(parseTemplate("x ${resources.db"), { at: "${resources.db" });
  });

  it("every binding field is a valid reference field (so each can be referenced)", function () {
    const model = modelOf("kubernetes", maps({ api: { kind: "web", image: "ghcr.io/acme/api:1.4.2", port: 8080 } }, { db: { kind: "sql", readReplicas: 1 }, cache: { kind: "cache" }, k: { kind: "secret" }, files: { kind: "bucket", endpoint: "https://s3.example.com", bucket: "app-files", accessKeyId: "AKIAEXAMPLE", secretAccessKey: "s" } }));
    for (const r of model.resources) {
      for (const f of resourceBinding(r, model.cloud)) {
        const t = parseTemplate(`\${resources.${r.name}.${f.field}}`);
        assert.deepEqual(t, [{ resource: r.name, field: f.field }], `${r.name}.${f.field}`);
      }
    }
  });
});
