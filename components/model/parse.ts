/**
 * Parses a stack's `ha-topology` keys into the model (model.ts): the single-service keys,
 * `ha-topology:workloads` and `ha-topology:resources`, combined by one rule, every problem
 * reported at once in the config-error contract (configError.ts).
 *
 * The combination rule (README, "Several workloads (preview)"):
 * - The single service exists when `workloads` is unset or `nodes` is set. It is what it
 *   is today: web workload `web` (`nodes`, `healthCheck`), SQL `database`, bucket
 *   `bucket` and, with `sessions.enabled`, cache `sessions`, each with today's defaults.
 *   `workloads` and `resources` add to it; they may not reuse its names.
 * - Otherwise (`workloads` without `nodes`) the topology is the maps, exactly: no `sql`
 *   resource, no database. `healthCheck`, `database`, `storage` and `sessions` describe
 *   the single service and are refused. The names `web`, `database`, `bucket` and
 *   `sessions` are kept for their single-service kinds, with today's variables, so a stack
 *   rewritten in the maps keeps what its single service had.
 * - Shared keys (`cloud`, `domain`, `name`, `network`, `dns`, `tls`, `alarms`,
 *   `kubernetes`, `secrets`) mean the same in both; `secrets` reach every workload.
 */
import * as path from "node:path";
import * as z from "zod";
import { envNamePattern, isReservedEnvName } from "../appEnvironment";
import { closestKey, configNamespace, configProblem, describeValue, formatConfigIssues, pathName, secretMask, TopologyConfigError, valueAt } from "../configError";
import { engineVersionProblem } from "../engineVersions";
import { registryOf } from "../imageReference";
import { checkSize, type Cloud } from "../sizes";
import { envNameRule, gracePeriodProblem, parseTopology, prototypeKeyProblems, vmReservedPorts, type Topology } from "../topology";
import { isVmCloud } from "../userDataLimits";
import { bindingField, bindingProblems, resourceBinding, type BindingProblem } from "./bindings";
import { capabilities as capabilityTable, type Capabilities } from "./capabilities";
import { shortestIntervalSeconds } from "./cronSchedule";
import { registryProblems } from "./images";
import { droppedSingleServiceProblems, type PreviousDeployment } from "./migration";
import { legacyResourceNames, legacyResources, legacyWeb, legacyWebName, type ContainerWorkload, type Model, type Resource, type Workload } from "./model";
import { parseTemplate, referencesOf, referenceText, type TemplatePart } from "./references";
import { routeOf, routeProblems, type WebEntry } from "./routes";
import { healthCheckKeys, kindKeys, livenessKeys, mapsSchema, namePattern, nameRule, siteKeysOf } from "./schema";
import { normalisedSource, siteSourceProblems } from "./siteSource";
import { networkSizeProblems, userDataProblems } from "./vmChecks";

/** The single-service keys that describe the one web service and its resources (not `nodes`: it keeps the service). */
const serviceKeys = ["healthCheck", "database", "storage", "sessions"] as const;
/** Every single-service key: in a topology of maps only, problems on them come from defaults, not from the user. */
const singleServiceKeys = ["nodes", ...serviceKeys];

/** The single-service names, which the maps keep for their kinds. */
const reservedNames: Record<string, string> = { [legacyWebName]: "web", ...Object.fromEntries(Object.entries(legacyResourceNames).map(([kind, name]) => [name, kind])) };

type Raw = Record<string, unknown>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether a stack's raw `ha-topology` keys describe the single service (web workload `web` from `nodes`): the combination rule. */
export function hasSingleService(raw: Raw): boolean {
  return raw.workloads === undefined || raw.nodes !== undefined;
}

/** An own key of a lookup table: a name such as `constructor` must not find Object.prototype's. */
const own = <T>(table: Record<string, T>, key: string): T | undefined => (Object.hasOwn(table, key) ? table[key] : undefined);

/** Keys under a resource that hold credentials: never echoed, even misspelled. */
const secretKeyPattern = /secret|password|token/i;

/**
 * The schema's issues as problem lines. Values come from the raw input; a discriminator
 * issue shows the `kind` received (not the whole entry); credentials are masked.
 */
function mapIssues(issues: readonly z.core.$ZodIssue[], raw: Raw): string[] {
  const known: Record<string, string[]> = {};
  for (const map of ["workloads", "resources"] as const) {
    const entries = raw[map];
    if (!isObject(entries)) continue;
    for (const [name, entry] of Object.entries(entries)) {
      const kind = isObject(entry) ? entry.kind : undefined;
      if (typeof kind === "string" && own(kindKeys, kind)) known[`${map}.${name}`] = kindKeys[kind];
      known[`${map}.${name}.healthCheck`] = healthCheckKeys;
      known[`${map}.${name}.healthCheck.liveness`] = livenessKeys;
      if (kind === "site") {
        known[`${map}.${name}.cache`] = siteKeysOf.cache;
        known[`${map}.${name}.cors`] = siteKeysOf.cors;
      }
    }
  }
  const lines: string[] = [];
  for (const issue of issues) {
    const secretPath = issue.path[0] === "resources" && issue.path.length >= 3 && secretKeyPattern.test(String(issue.path[2]));
    if (issue.code === "unrecognized_keys" && issue.path[0] === "resources") {
      const secret = issue.keys.filter((k) => secretKeyPattern.test(k));
      for (const key of secret) {
        const accepted = known[issue.path.join(".")] ?? [];
        const hint = closestKey(key, accepted);
        lines.push(`${configNamespace}:${[...issue.path, key].join(".")}: unknown key (received ${secretMask}); allowed keys: ${accepted.join(", ")}${hint ? ` (did you mean "${hint}"?)` : ""}`);
      }
      const rest = issue.keys.filter((k) => !secretKeyPattern.test(k));
      if (rest.length) lines.push(...formatConfigIssues([{ ...issue, keys: rest }], raw, known));
      continue;
    }
    if (secretPath) {
      lines.push(configProblem([...issue.path].join("."), valueAt(raw, issue.path) === undefined ? describeValue(undefined) : secretMask, issue.message));
      continue;
    }
    const discriminator = issue.code === "invalid_union" && "discriminator" in issue;
    lines.push(...formatConfigIssues([discriminator ? { ...issue, input: valueAt(raw, issue.path) } : issue], raw, known));
  }
  return lines;
}

/**
 * The bucket keys a kubernetes stack without the single service is parsed with: the
 * single-service parser requires them there (the single service's bucket), but such a
 * stack has no `bucket` resource, so nothing ever reads them (its buckets are resources).
 */
const unusedClusterStorage = { endpoint: "https://unused.invalid", bucket: "unused-bucket", accessKeyId: "unused", secretAccessKey: "unused" };

/** The single-service part of the input: what parseTopology reads (`registry` included: it is shared). */
function singleServiceRaw(raw: Raw, service: boolean): Raw {
  const omit = new Set(["workloads", "resources", ...(service ? [] : serviceKeys)]);
  const kept = Object.fromEntries(Object.entries(raw).filter(([k]) => !omit.has(k)));
  return service || raw.cloud !== "kubernetes" ? kept : { ...kept, storage: unusedClusterStorage };
}

/** The problem line of a model problem (a key with control or separator characters quoted, as formatConfigIssues does). */
const line = (p: BindingProblem) => configProblem(`${configNamespace}:${pathName(p.path)}`, p.received, p.allowed);

/**
 * Parses the whole model. Throws one TopologyConfigError with every problem: the
 * single-service keys' (as parseTopology reports them), the maps', the combination's.
 * `table` is the capability table (a parameter, so tests can take a capability away).
 * `projectDir` is where a site's `source` is found (see `parseStack`).
 */
export function parseModel(raw: Raw, provider: Record<string, string> = {}, table: Record<Cloud, Capabilities> = capabilityTable, previous?: PreviousDeployment, projectDir?: string): Model {
  return parseStack(raw, provider, table, previous, projectDir).model;
}

/** A parsed stack: its shared and single-service keys, and its model. */
export interface ParsedStack {
  /**
   * The single-service and shared keys, validated. Without the single service (maps
   * only), its sections hold defaults nothing reads (compose.ts `ComposeContext`).
   */
  topology: Topology;
  /** The workloads and resources to build. */
  model: Model;
}

/**
 * Parses a whole stack: what the program and the offline plan run on. Throws one
 * TopologyConfigError with every problem (see `parseModel`). `previous` is what the
 * stack's last deployment ran (migration.ts), when the caller knows it: a configuration
 * that would drop its single service is refused. `projectDir` is the directory a site's
 * `source` is relative to: the project's, where Pulumi.yaml is, which is where the Pulumi
 * CLI runs the program (so the default, the working directory, is it under `pulumi up`).
 */
export function parseStack(
  raw: Raw,
  provider: Record<string, string> = {},
  table: Record<Cloud, Capabilities> = capabilityTable,
  previous?: PreviousDeployment,
  projectDir: string = process.cwd(),
): ParsedStack {
  const service = hasSingleService(raw);
  const registryByModel = raw.workloads !== undefined;
  const problems: string[] = [];

  // 1. The combination rule.
  if (!service) {
    for (const key of serviceKeys) {
      if (raw[key] === undefined) continue;
      const shown = key === "storage" && isObject(raw.storage) && "secretAccessKey" in raw.storage ? secretMask : describeValue(raw[key]);
      problems.push(configProblem(key, shown, `unset when ${configNamespace}:workloads is set without ${configNamespace}:nodes (it describes the single web service, which this stack does not have): declare it in ${configNamespace}:resources (kind sql named database, kind bucket named bucket, kind cache named sessions) or keep ${configNamespace}:nodes`));
    }
  }

  // 2. The single-service and shared keys, exactly as a single-service stack checks them.
  let topology: Topology | undefined;
  try {
    // With workloads, the registry credentials are checked against every workload's image (images.ts).
    // Without the single service there are no nodes of nodes.env: each workload's user data is checked (vmChecks.ts).
    topology = parseTopology(singleServiceRaw(raw, service), provider, { registryCredentialChecks: !registryByModel, userDataCheck: service });
  } catch (e) {
    if (!(e instanceof TopologyConfigError)) throw e;
    // Without the single service, its keys hold only defaults: what they fail is not the user's.
    const users = (p: string) => service || !singleServiceKeys.some((k) => p.startsWith(`${configNamespace}:${k}:`) || p.startsWith(`${configNamespace}:${k}.`));
    problems.push(...e.problems.filter(users));
  }
  // JavaScript reads a key __proto__ as the prototype: anywhere in the maps, its entry would vanish.
  problems.push(...prototypeKeyProblems(raw.workloads, ["workloads"]), ...prototypeKeyProblems(raw.resources, ["resources"]));

  // 3. The maps' schema.
  const parsed = mapsSchema.safeParse({ workloads: raw.workloads, resources: raw.resources }, { reportInput: true });
  if (!parsed.success) problems.push(...mapIssues(parsed.error.issues, raw));
  for (const map of ["workloads", "resources"] as const) {
    if (!isObject(raw[map])) continue;
    const names = Object.keys(raw[map] as object);
    if (names.length === 0) problems.push(configProblem(map, "{}", `a map of at least one ${map === "workloads" ? "workload" : "resource"} (or unset)`));
    for (const name of names) {
      // __proto__ is refused above, as a key JavaScript would lose.
      if (!namePattern.test(name) && name !== "__proto__") problems.push(configProblem(`${configNamespace}:${pathName([map, name])}`, describeValue(name), nameRule));
    }
  }
  // Without the single service its sections hold defaults (and, on a cluster, the unused
  // bucket keys), so a refusal there with no line of the user's would be this parser's bug.
  if (!topology && problems.length === 0) throw new Error("parseStack: the shared keys were refused on the single service's defaults alone");
  if (!topology || !parsed.success || problems.length > 0) throw new TopologyConfigError(problems);

  // 4. The model, then everything that spans entries or depends on the cloud.
  const model = buildModel(topology, service ? topology : undefined, parsed.data, raw, projectDir);
  const appSecrets = isObject(raw.secrets) ? Object.fromEntries(Object.entries(raw.secrets).filter((e): e is [string, string] => typeof e[1] === "string")) : {};
  const all = [
    ...droppedSingleServiceProblems(model, service, previous),
    ...crossProblems(model, parsed.data, service, table[model.cloud], raw, projectDir),
    ...referenceProblems(model, raw),
    ...(registryByModel ? registryProblems(model, topology.registry !== undefined) : []),
    ...userDataProblems(model, appSecrets),
    ...networkSizeProblems(model, topology),
  ];
  // Collisions are only meaningful once names and references are right.
  if (all.length === 0) all.push(...bindingProblems(model));
  if (all.length > 0) throw new TopologyConfigError(all.map(line));
  return { topology, model };
}

type Maps = z.output<typeof mapsSchema>;

/** Normalises the parsed maps and the single service (`topology`, when the stack has it) into the model. */
function buildModel(shared: Pick<Topology, "cloud" | "domain">, topology: Topology | undefined, maps: Maps, raw: Raw, projectDir: string): Model {
  const defaultedVersion = { postgres: "16", mysql: "8.0" } as const;
  const resources: Resource[] = topology ? legacyResources(topology) : [];
  for (const [name, r] of Object.entries(maps.resources ?? {})) {
    const origin = "maps" as const;
    if (r.kind === "sql") {
      const { name: databaseName, ...sql } = r;
      resources.push({ ...sql, name, origin, databaseName, version: r.version ?? defaultedVersion[r.engine], maxStorageGb: r.maxStorageGb ?? Math.min(65536, r.storageGb * 5) });
    } else if (r.kind === "document") {
      const { name: databaseName, ...document } = r;
      resources.push({ ...document, name, origin, databaseName, members: r.members ?? capabilityTable[shared.cloud].documentDefaultMembers, storageGb: r.storageGb ?? 10 });
    } else if (r.kind === "queue") {
      resources.push({ ...r, name, origin, storageGb: r.storageGb ?? 10 });
    } else {
      resources.push({ ...r, name, origin });
    }
  }
  const every = resources.map((r) => r.name);
  const workloads: Workload[] = topology ? [legacyWeb(topology, every)] : [];
  for (const [name, w] of Object.entries(maps.workloads ?? {})) {
    if (w.kind === "site") {
      // It runs nothing: no count, no environment, no resources (the schema refuses those keys).
      const source = normalisedSource(w.source);
      workloads.push({ kind: "site", name, origin: "maps", source, sourceDir: path.resolve(projectDir, source), spa: w.spa, cache: w.cache, cors: w.cors, route: { host: w.host ?? shared.domain, path: w.path ?? "/" } });
      continue;
    }
    const base = {
      name,
      origin: "maps" as const,
      maxCount: w.kind === "web" || w.kind === "worker" ? (w.maxCount ?? Math.min(1000, w.count * 2)) : 0,
      uses: [...new Set(w.uses ?? every)],
      // Templates are checked in referenceProblems; a malformed one stays literal here.
      env: Object.fromEntries(Object.entries(w.env).map(([k, v]) => {
        const t = parseTemplate(v);
        return [k, Array.isArray(t) ? t : [v]];
      })) as Record<string, TemplatePart[]>,
    };
    if (w.kind === "web") {
      const { path: _path, host: _host, uses: _uses, env: _env, maxCount: _max, healthCheck, ...rest } = w;
      const { liveness, ...readiness } = healthCheck;
      workloads.push({
        ...rest,
        ...base,
        route: routeOf(w, shared.domain),
        healthCheck: { ...readiness, liveness: { path: liveness?.path ?? readiness.path, unhealthyThreshold: liveness?.unhealthyThreshold ?? readiness.unhealthyThreshold } },
      });
    } else if (w.kind === "worker") {
      const { port: _p, path: _pa, host: _h, public: _pu, healthCheck: _hc, uses: _u, env: _e, maxCount: _m, ...rest } = w;
      workloads.push({ ...rest, ...base });
    } else if (w.kind === "cron") {
      const { count: _c, maxCount: _m, port: _p, path: _pa, host: _h, public: _pu, healthCheck: _hc, uses: _u, env: _e, ...rest } = w;
      workloads.push({ ...rest, ...base, schedule: w.schedule.trim().replace(/\s+/g, " ") });
    }
  }
  const secrets = isObject(raw.secrets) ? Object.keys(raw.secrets).sort() : [];
  return { cloud: shared.cloud, domain: shared.domain, workloads, resources, appSecrets: secrets };
}

/** Names, sizes, engines, capabilities, routes and `uses`: what spans entries or depends on the cloud. */
function crossProblems(model: Model, maps: Maps, service: boolean, caps: Capabilities, raw: Raw, projectDir: string): BindingProblem[] {
  const problems: BindingProblem[] = [];
  const add = (path: (string | number)[], value: unknown, allowed: string) => problems.push({ path, received: describeValue(value), allowed });
  const cloud = model.cloud;

  for (const [map, entries] of [["workloads", maps.workloads ?? {}], ["resources", maps.resources ?? {}]] as const) {
    for (const [name, entry] of Object.entries(entries)) {
      const kind = (entry as { kind: string }).kind;
      const reserved = own(reservedNames, name);
      if (service && reserved !== undefined) {
        const key = map === "workloads" ? "nodes and healthCheck" : { sql: "database", bucket: "storage", cache: "sessions" }[reserved];
        add([map, name], name, `a name other than ${name}: with ${configNamespace}:nodes set, ${name} is the single service's (${configNamespace}:${key})`);
      } else if (reserved !== undefined && reserved !== kind) {
        add([map, name, "kind"], kind, `${reserved}: the name ${name} is kept for the single service's ${reserved} (same resources, same variables); choose another name for a ${kind}`);
      }
      const supported = map === "workloads" ? caps.workloads : caps.resources;
      if (kindKeys[kind] !== undefined && !supported.includes(kind)) {
        const later = caps.comingKinds?.[kind];
        add([map, name, "kind"], kind, `a ${map === "workloads" ? "workload" : "resource"} kind ${cloud} supports: ${supported.join(", ")}${later ? ` (kind ${kind} on ${cloud}: ${later})` : ""}`);
      }
    }
  }

  const names = new Set(model.resources.map((r) => r.name));
  for (const w of model.workloads) {
    if (w.origin !== "maps") continue;
    if (w.kind === "site") {
      // On disk, before anything is created: it exists, is a directory in the project, and every file can be served.
      problems.push(...siteSourceProblems(w, projectDir));
      continue;
    }
    const at = ["workloads", w.name];
    const given = (maps.workloads?.[w.name] as { uses?: string[] } | undefined)?.uses ?? [];
    given.forEach((u, i) => {
      if (!names.has(u)) add([...at, "uses", i], u, `a declared resource: ${[...names].join(", ") || "none is declared"}`);
    });
    if (w.kind !== "cron" && w.maxCount < w.count) add([...at, "maxCount"], w.maxCount, `an integer of at least workloads.${w.name}.count (${w.count})`);
    const size = checkSize(cloud, "node", w.size);
    if (size) add([...at, "size"], w.size, size);
    for (const key of Object.keys(w.env)) {
      if (!envNamePattern.test(key)) add([...at, "env", key], key, envNameRule);
      else if (isReservedEnvName(key)) add([...at, "env", key], key, 'a name the platform does not set itself (see "What the app receives" in the README)');
    }
    checkImage(w, add);
    if (w.kind === "web") {
      const hc = w.healthCheck;
      if (hc.timeoutSeconds >= hc.intervalSeconds) add([...at, "healthCheck", "timeoutSeconds"], hc.timeoutSeconds, `fewer seconds than healthCheck.intervalSeconds (${hc.intervalSeconds})`);
      if (isVmCloud(cloud)) {
        const reason = vmReservedPorts[w.port];
        if (reason) add([...at, "port"], w.port, `a port other than ${Object.keys(vmReservedPorts).join(" and ")} on ${cloud}: the container's port is published on the VM itself, where ${reason}`);
        const grace = gracePeriodProblem(cloud, hc.gracePeriodSeconds);
        if (grace) add([...at, "healthCheck", "gracePeriodSeconds"], hc.gracePeriodSeconds, grace);
      }
    }
    // As nodes.cpuTargetPercent (topology.ts cloudKeys): set where nothing reads it, refused.
    const cpu = valueAt(raw, [...at, "cpuTargetPercent"]);
    if (cloud === "digitalocean" && cpu !== undefined) {
      add([...at, "cpuTargetPercent"], cpu, "unset on digitalocean (DigitalOcean runs exactly count droplets, with no autoscaler; read on aws, gcp, kubernetes)");
    }
  }

  for (const r of model.resources) {
    if (r.origin !== "maps") continue;
    const at = ["resources", r.name];
    if (r.kind === "sql") {
      if (!caps.sqlEngines.includes(r.engine)) add([...at, "engine"], r.engine, `${caps.sqlEngines.join(" or ")} on ${cloud}${caps.sqlEnginesWhy ? ` (${caps.sqlEnginesWhy})` : ""}`);
      const size = checkSize(cloud, "database", r.size);
      if (size) add([...at, "size"], r.size, size);
      const givenMax = (maps.resources?.[r.name] as { maxStorageGb?: number } | undefined)?.maxStorageGb;
      // As database.maxStorageGb (topology.ts cloudKeys): only RDS and Cloud SQL grow storage.
      if (givenMax !== undefined && cloud !== "aws" && cloud !== "gcp") add([...at, "maxStorageGb"], givenMax, `unset on ${cloud} (only RDS and Cloud SQL grow storage automatically; read on aws, gcp)`);
      else if (r.maxStorageGb < r.storageGb) add([...at, "maxStorageGb"], r.maxStorageGb, `an integer of at least resources.${r.name}.storageGb (${r.storageGb})`);
      if (r.engine === "mysql" && !/^\d+\.\d+/.test(r.version)) add([...at, "version"], r.version, 'a MySQL major.minor version such as "8.0" or "8.4" (quoted in YAML)');
      else {
        const version = engineVersionProblem(cloud, r.engine, r.version);
        if (version) add([...at, "version"], r.version, version);
      }
    } else if (r.kind === "cache") {
      const size = checkSize(cloud, "sessions", r.size);
      if (size) add([...at, "size"], r.size, size);
    } else if (r.kind === "document" || r.kind === "queue") {
      // A Valkey broker is the cache's store (sizes.ts "sessions"); the others have their own sizes.
      const size = checkSize(cloud, r.kind === "queue" && r.engine === "valkey" ? "sessions" : r.kind, r.size);
      if (size) add([...at, "size"], r.size, size);
      const given = (maps.resources?.[r.name] ?? {}) as { storageGb?: number; members?: number };
      if (given.storageGb !== undefined && cloud !== "kubernetes") {
        add([...at, "storageGb"], given.storageGb, `unset on ${cloud} (the managed service sizes its own storage; read on kubernetes, where it is each pod's volume)`);
      }
      if (r.kind === "document") for (const p of caps.documentProblems?.(r, given) ?? []) add(p.key, p.value, p.allowed);
      else if (!caps.queueEngines.includes(r.engine)) add([...at, "engine"], r.engine, `${caps.queueEngines.join(" or ")} on ${cloud}${caps.queueEnginesWhy ? `: ${caps.queueEnginesWhy}` : ""}`);
    } else if (r.kind === "bucket") {
      const keys = ["endpoint", "bucket", "accessKeyId", "secretAccessKey"] as const;
      for (const key of cloud === "kubernetes" ? keys : [...keys, "region" as const]) {
        const value = r[key];
        const shown = key === "secretAccessKey" && value !== undefined ? secretMask : describeValue(value);
        if (cloud === "kubernetes" && value === undefined) {
          problems.push({ path: [...at, key], received: shown, allowed: `set on kubernetes: the cluster has no object storage, so the workloads use your S3-compatible bucket (${keys.join(", ")})` });
        } else if (cloud !== "kubernetes" && value !== undefined) {
          problems.push({ path: [...at, key], received: shown, allowed: `unset on ${cloud} (the platform creates the bucket; these keys are for kubernetes)` });
        }
      }
    }
  }

  // Jobs whose scheduler cannot skip or stop a running one: every run must end before the next tick.
  const bound = caps.jobsEndBeforeNextTick;
  for (const w of model.workloads) {
    if (!bound || w.kind !== "cron") continue;
    const interval = shortestIntervalSeconds(w.schedule);
    const longest = w.timeoutSeconds * (w.retries + 1);
    if (interval === undefined || longest + bound.startDelaySeconds < interval) continue;
    const most = Math.floor((interval - bound.startDelaySeconds - 1) / (w.retries + 1));
    add(["workloads", w.name, "timeoutSeconds"], w.timeoutSeconds,
      most >= 1
        ? `at most ${most} seconds on ${cloud} for "${w.schedule}" with retries ${w.retries} (it ticks every ${interval} s at the shortest, and a start may come ${bound.startDelaySeconds} s late): ${bound.why}; or space the schedule, or lower retries`
        : `a schedule with more than ${bound.startDelaySeconds} s between ticks on ${cloud} ("${w.schedule}" ticks every ${interval} s): ${bound.why}`);
  }

  // What a job needs on this cloud (its lease, its timer: capabilities.ts).
  for (const w of model.workloads) {
    if (w.kind !== "cron" || w.origin !== "maps") continue;
    for (const p of caps.jobProblems?.(w, model) ?? []) add(p.key, p.value, p.allowed);
  }

  // What a cloud's object names or backups need (capabilities.ts).
  for (const w of model.workloads) {
    const clash = w.origin === "maps" ? caps.workloadNameClash?.(w.name, model) : undefined;
    if (clash) add(["workloads", w.name], w.name, clash);
  }
  if (caps.sqlNeedsBucket && !model.resources.some((r) => r.kind === "bucket")) {
    for (const r of model.resources) {
      if (r.origin === "maps" && r.kind === "sql") add(["resources", r.name], r.name, `a sql resource next to a bucket resource on ${cloud}: ${caps.sqlNeedsBucket}`);
    }
  }
  if (caps.documentNeedsBucket && !model.resources.some((r) => r.kind === "bucket")) {
    for (const r of model.resources) {
      if (r.kind === "document") add(["resources", r.name], r.name, `a document resource next to a bucket resource on ${cloud}: ${caps.documentNeedsBucket}`);
    }
  }
  if (caps.siteNeedsBucket && !model.resources.some((r) => r.kind === "bucket")) {
    for (const w of model.workloads) {
      if (w.kind === "site") add(["workloads", w.name], w.name, `a site next to a bucket resource on ${cloud}: ${caps.siteNeedsBucket}`);
    }
  }

  // A site's route follows a web's rules and must not be a web's route (nor another site's).
  const webs: WebEntry[] = [];
  for (const w of model.workloads) {
    if (w.kind === "site") {
      const given = maps.workloads?.[w.name] as { path?: string; host?: string };
      // What this cloud's CDN needs of a site (its own host, no SPA fallback: capabilities.ts).
      const own = caps.siteProblems?.(w, given) ?? [];
      for (const p of own) add(p.key, p.value, p.allowed);
      // A site refused its host is not also named as a clash with the web it would share the domain with.
      if (own.some((p) => p.key.at(-1) === "host")) continue;
      webs.push({ name: w.name, web: { public: true, path: given.path, host: given.host }, site: true });
      continue;
    }
    if (w.kind !== "web") continue;
    const given = w.origin === "maps" ? (maps.workloads?.[w.name] as WebEntry["web"]) : { public: true, path: undefined, host: undefined };
    webs.push({ name: w.name, web: given });
  }
  problems.push(...routeProblems(webs, model.domain, cloud, caps));
  return problems;
}

/** An image the registry reader refuses (the per-registry access checks come with the platforms). */
function checkImage(w: ContainerWorkload, add: (path: (string | number)[], value: unknown, allowed: string) => void): void {
  try {
    const registry = registryOf(w.image);
    if (registry.kind === "invalid") add(["workloads", w.name, "image"], w.image, registry.problem);
  } catch {
    add(["workloads", w.name, "image"], w.image, "a container image with an explicit tag or digest");
  }
}

/** `${resources.<name>.<field>}` references: syntax, resource, `uses`, field. */
function referenceProblems(model: Model, raw: Raw): BindingProblem[] {
  const problems: BindingProblem[] = [];
  for (const w of model.workloads) {
    if (w.origin !== "maps" || w.kind === "site") continue;
    const env = (valueAt(raw, ["workloads", w.name, "env"]) ?? {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(env)) {
      const at = ["workloads", w.name, "env", key];
      const template = parseTemplate(String(value));
      const shown = describeValue(value);
      if (!Array.isArray(template)) {
        problems.push({ path: at, received: shown, allowed: "references of the form ${resources.<name>.<field>} (write $${resources. for the literal text ${resources.)" });
        continue;
      }
      for (const ref of referencesOf(template)) {
        const resource = model.resources.find((r) => r.name === ref.resource);
        if (!resource) {
          problems.push({ path: at, received: shown, allowed: `a reference to a declared resource (${referenceText(ref)} names none): ${model.resources.map((r) => r.name).join(", ") || "none is declared"}` });
        } else if (!w.uses.includes(resource.name)) {
          problems.push({ path: at, received: shown, allowed: `a reference to a resource workloads.${w.name}.uses lists: ${w.uses.join(", ") || "none"} (add ${resource.name} to uses)` });
        } else if (!bindingField(model, resource, ref.field)) {
          const fields = bindingFields(model, resource);
          problems.push({ path: at, received: shown, allowed: `a field of resources.${resource.name} (kind ${resource.kind}) on ${model.cloud}: ${fields.join(", ")}` });
        }
      }
    }
  }
  return problems;
}

/** The field names of a resource's binding. */
function bindingFields(model: Model, resource: Resource): string[] {
  return resourceBinding(resource, model.cloud).map((f) => f.field);
}
