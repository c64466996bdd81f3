/**
 * Bindings and the env contract: the variables a workload receives from each resource it
 * `uses`, from the internal web workloads, and from the platform.
 *
 * A resource's variables are `<RESOURCE>_<FIELD>` (its name upper-cased, `-` -> `_`):
 * `DB_HOST`, `DB_URL`, `FILES_BUCKET`, `CACHE_URL`, `EVENTS_URL`, `BROKER_URL`; a `secret` is the variable itself
 * (`SECRET_KEY`). The single-service resources `database`, `bucket` and `sessions` keep
 * today's names (`DATABASE_*`, `BUCKET_*`, `SESSION_STORE_*`, see appEnvironment.ts), so
 * the single-service web workload receives exactly the variables it receives today. An
 * internal web workload (`public: false`) is given to the others as `<WORKLOAD>_URL`.
 */
import { isReservedEnvName } from "../appEnvironment";
import type { Cloud } from "../sizes";
import { isContainerWorkload, legacyResourceNames, type ContainerWorkload, type Model, type Resource, type Workload } from "./model";
import { referencesOf } from "./references";

/** One field of a resource's binding. */
export interface BindingField {
  /** The field as references name it: `${resources.db.url}`. */
  field: string;
  /** The env variable it arrives in. */
  env: string;
  /** True when the value is a credential: it stays a secret end to end. */
  secret: boolean;
}

/** Where one of a workload's variables comes from. */
export type EnvSource =
  /** The platform itself (`PORT`, `APP_VERSION`, `TRUSTED_PROXY_HOPS`). */
  | { platform: true }
  /** A field of a resource the workload uses. */
  | { resource: string; field: string }
  /** An internal web workload's private URL. */
  | { workload: string }
  /** An app secret of `ha-topology:secrets`. */
  | { appSecret: string }
  /** The workload's own `env` entry. */
  | { env: string };

/** One variable of a workload's environment. */
export interface EnvVariable {
  /** Its name. */
  name: string;
  /** True when its value is secret (a credential, or a user value that references one). */
  secret: boolean;
  /** Where it comes from. */
  source: EnvSource;
}

/** An env name's prefix for a resource or workload name: upper case, `-` -> `_`. */
export function envPrefix(name: string): string {
  return name.toUpperCase().replace(/-/g, "_");
}

/** `readHosts` -> `READ_HOSTS`, `caCertBase64` -> `CA_CERT_BASE64`. */
function snake(field: string): string {
  return field.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The clouds without an instance identity for the nodes: bucket keys travel as credentials (appEnvironment.ts). */
const bucketKeyClouds: readonly Cloud[] = ["digitalocean", "kubernetes"];
/** The clouds whose session store requires a password (DigitalOcean Valkey, the cluster's Valkey). */
const cachePasswordClouds: readonly Cloud[] = ["digitalocean", "kubernetes"];
/** The clouds whose session store's certificate comes from a private CA (Memorystore). */
const cacheCaClouds: readonly Cloud[] = ["gcp"];
/** The clouds whose document database's certificate comes from a private CA (DocumentDB's RDS CA, DigitalOcean's, the operator's). */
const documentCaClouds: readonly Cloud[] = ["aws", "digitalocean", "kubernetes"];
/** The clouds whose RabbitMQ's certificate comes from a private CA (the cluster's issuer; Amazon MQ's is public). */
const rabbitmqCaClouds: readonly Cloud[] = ["kubernetes"];

/**
 * Where a workload's containers find the CA certificate of a resource whose certificate a
 * private CA signs (`<RESOURCE>_CA_FILE`, and `tlsCAFile` in a MongoDB URL): the platform
 * puts the PEM there in every container of every workload that uses the resource.
 */
export function caFilePath(resource: string): string {
  return `/etc/ha-topology/ca/${resource}.pem`;
}

/** True when the resource's TLS certificate is signed by a private CA on `cloud`, so the workloads get its `caFile`. */
export function hasPrivateCa(resource: Resource, cloud: Cloud): boolean {
  switch (resource.kind) {
    case "document":
      return documentCaClouds.includes(cloud);
    case "queue":
      return resource.engine === "rabbitmq" ? rabbitmqCaClouds.includes(cloud) : cacheCaClouds.includes(cloud);
    default:
      return false;
  }
}

type Field = [field: string, secret: boolean, when?: boolean];

/** The fields of a resource's binding on a cloud, by kind; single-service names keep today's contract. */
function fieldsOf(resource: Resource, cloud: Cloud): Field[] {
  const legacy = (legacyResourceNames as Record<string, string>)[resource.kind] === resource.name;
  switch (resource.kind) {
    case "sql":
      return [
        ["host", false],
        ["port", false],
        ["name", false],
        ["engine", false],
        ["readHosts", false, resource.readReplicas > 0],
        ["user", true],
        ["password", true],
        // A ready connection string for new resources (it holds the password: secret).
        ["url", true, !legacy],
      ];
    case "bucket":
      return [
        // Today's BUCKET_NAME; a named bucket says FILES_BUCKET, as DESIGN.md shows.
        [legacy ? "name" : "bucket", false],
        ["region", false],
        // Today only where the bucket is not on AWS S3; a named bucket always gets one.
        ["endpoint", false, !legacy || bucketKeyClouds.includes(cloud)],
        ["accessKeyId", true, bucketKeyClouds.includes(cloud)],
        ["secretAccessKey", true, bucketKeyClouds.includes(cloud)],
      ];
    case "cache":
      return [
        ["host", false],
        ["port", false],
        ["tls", false],
        ["caCertBase64", false, cacheCaClouds.includes(cloud)],
        ["password", true, cachePasswordClouds.includes(cloud)],
        // The URL carries the password where there is one.
        ["url", cachePasswordClouds.includes(cloud), !legacy],
      ];
    case "secret":
      return [["value", true]];
    case "document":
      return [
        // The complete connection string: every member, the replica set, TLS, the CA file where private.
        ["url", true],
        ["hosts", false],
        ["name", false],
        ["user", true],
        ["password", true],
        ["caFile", false, hasPrivateCa(resource, cloud)],
      ];
    case "queue":
      return resource.engine === "rabbitmq"
        ? [["url", true], ["host", false], ["port", false], ["user", true], ["password", true], ["caFile", false, hasPrivateCa(resource, cloud)]]
        : [
            ["host", false],
            ["port", false],
            ["tls", false],
            ["password", true, cachePasswordClouds.includes(cloud)],
            ["caFile", false, hasPrivateCa(resource, cloud)],
            ["url", cachePasswordClouds.includes(cloud)],
          ];
  }
}

/** The env prefix a resource's variables carry (today's for the single-service resources). */
function resourcePrefix(resource: Resource): string {
  if (resource.kind === "cache" && resource.name === legacyResourceNames.cache) return "SESSION_STORE";
  return envPrefix(resource.name);
}

/** The binding of one resource on one cloud: its fields and the variables they arrive in. */
export function resourceBinding(resource: Resource, cloud: Cloud): BindingField[] {
  const prefix = resourcePrefix(resource);
  return fieldsOf(resource, cloud)
    .filter(([, , when]) => when !== false)
    .map(([field, secret]) => ({ field, secret, env: resource.kind === "secret" ? prefix : `${prefix}_${snake(field)}` }));
}

/** The variables the platform sets itself for a workload (appEnvironment.ts). */
export function platformVariables(workload: Workload): string[] {
  return workload.kind === "web" ? ["PORT", "APP_VERSION", "TRUSTED_PROXY_HOPS"] : ["APP_VERSION"];
}

/** The private URL variable an internal web workload is given to the others as. */
export function internalUrlVariable(workload: Workload): string | undefined {
  return workload.kind === "web" && !workload.public ? `${envPrefix(workload.name)}_URL` : undefined;
}

/**
 * A workload's whole environment, in the order the sources are listed in the README:
 * platform, resources it uses, internal services, app secrets, its own env. Duplicate
 * names are kept (and refused by `bindingProblems`), so nothing is silently dropped.
 */
export function workloadEnv(model: Model, workload: ContainerWorkload): EnvVariable[] {
  const out: EnvVariable[] = platformVariables(workload).map((name) => ({ name, secret: false, source: { platform: true } }));
  for (const resource of model.resources) {
    if (!workload.uses.includes(resource.name)) continue;
    for (const f of resourceBinding(resource, model.cloud)) out.push({ name: f.env, secret: f.secret, source: { resource: resource.name, field: f.field } });
  }
  for (const other of model.workloads) {
    const name = other === workload ? undefined : internalUrlVariable(other);
    if (name) out.push({ name, secret: false, source: { workload: other.name } });
  }
  for (const name of model.appSecrets) out.push({ name, secret: true, source: { appSecret: name } });
  for (const name of Object.keys(workload.env)) out.push({ name, secret: isSecretEnv(model, workload, name), source: { env: name } });
  return out;
}

/** True when a workload's own env entry is secret: it references a secret field (`${resources.db.password}`). */
export function isSecretEnv(model: Model, workload: ContainerWorkload, name: string): boolean {
  return referencesOf(workload.env[name] ?? []).some((ref) => {
    const resource = model.resources.find((r) => r.name === ref.resource);
    return resource !== undefined && bindingField(model, resource, ref.field)?.secret === true;
  });
}

/** The field of `resource`'s binding named `field`, if any. */
export function bindingField(model: Model, resource: Resource, field: string): BindingField | undefined {
  return resourceBinding(resource, model.cloud).find((f) => f.field === field);
}

/** A binding problem: the config path it is reported on, the value shown, and what is allowed. */
export interface BindingProblem {
  /** The config path (after the namespace). */
  path: (string | number)[];
  /** The value the message shows. */
  received: string;
  /** What is allowed. */
  allowed: string;
}

/** Where a variable's source is declared, for a message ("resources.db"). */
function declaredAt(model: Model, workload: Workload, source: EnvSource): (string | number)[] {
  if ("resource" in source) {
    const r = model.resources.find((x) => x.name === source.resource);
    return r?.origin === "single-service" ? [r.kind === "sql" ? "database" : r.kind === "bucket" ? "storage" : "sessions"] : ["resources", source.resource];
  }
  if ("workload" in source) return ["workloads", source.workload];
  if ("appSecret" in source) return ["secrets", source.appSecret];
  if ("env" in source) return workload.origin === "single-service" ? ["nodes", "env", source.env] : ["workloads", workload.name, "env", source.env];
  return [];
}

/**
 * Every env name that would collide: two sources giving one workload the same variable,
 * or a binding whose name the platform reserves. One problem per colliding source, on the
 * later one's key (the first keeps its name).
 */
export function bindingProblems(model: Model): BindingProblem[] {
  const problems: BindingProblem[] = [];
  const seen = new Set<string>();
  const add = (p: BindingProblem) => {
    const key = `${p.path.join(".")}|${p.received}`;
    if (!seen.has(key)) problems.push(p);
    seen.add(key);
  };
  // A site has no environment: nothing of it can collide.
  for (const workload of model.workloads.filter(isContainerWorkload)) {
    const first = new Map<string, EnvVariable>();
    for (const v of workloadEnv(model, workload)) {
      const at = declaredAt(model, workload, v.source);
      const legacyResource = "resource" in v.source && model.resources.some((r) => r.name === (v.source as { resource: string }).resource && r.origin === "single-service");
      const legacyNamed = "resource" in v.source && Object.values(legacyResourceNames).includes((v.source as { resource: string }).resource as never);
      // Platform and single-service names are the reserved ones; a user's env is checked where it is parsed.
      if (!("platform" in v.source) && !("env" in v.source) && !("appSecret" in v.source) && !legacyResource && !legacyNamed && isReservedEnvName(v.name)) {
        add({ path: at, received: JSON.stringify(at[at.length - 1]), allowed: `a name whose variable ${v.name} the platform does not set itself (see "What the app receives" in the README)` });
        continue;
      }
      const earlier = first.get(v.name);
      if (earlier) {
        add({
          path: at,
          received: JSON.stringify(at[at.length - 1]),
          allowed: `a name whose variables do not collide: workload ${workload.name} would receive ${v.name} from both ${declaredAt(model, workload, earlier.source).join(".")} and ${at.join(".")}`,
        });
        continue;
      }
      first.set(v.name, v);
    }
  }
  return problems;
}
