/**
 * The Kubernetes platform (compose.ts `Platform`): the topology on any cluster with an
 * ingress controller, cert-manager and the CloudNativePG operator.
 *
 * - foundation: the namespace (default-deny ingress), the guards of every database's
 *   create-only settings, the CloudNativePG operator (optional), the app secrets' Secret and
 *   the registry's pull Secret.
 * - resources: `sql` a CloudNativePG Cluster (backups to the stack's first bucket), `bucket`
 *   the user's S3 bucket (its keys in a Secret), `cache` the Valkey store of the session
 *   store, `secret` a generated value in a Secret (secretResource.ts).
 * - sites: a static site's files uploaded to the stack's first bucket and served by an
 *   unprivileged nginx Deployment with its own ClusterIP Service (site.ts).
 * - edge: a ClusterIP Service per web workload and one Ingress for every route, the sites'
 *   included (edge.ts).
 * - workloads: the single service's web keeps its App component (app.ts); the others are
 *   Workload components (workload.ts); a scheduled job is a Job component (a CronJob,
 *   job.ts). Each gets its environment without a secret value in its pod spec (env.ts)
 *   and NetworkPolicies per binding (network.ts).
 *
 * Migration: a stack with only the single-service keys registers exactly the objects, names
 * and inputs of the adapter this replaces. Entries named like the single service's
 * (`web`, `database`, `bucket`, `sessions` of their kinds) keep its components and names
 * (`logicalName`), so a stack rewritten in the maps keeps its database.
 */
import type * as k8s from "@pulumi/kubernetes";
import * as kube from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { kubernetesRoleKey, type Role } from "../../../contract/roles";
import { platformEnv, workloadPlatformEnv } from "../../appEnvironment";
import { logicalName, type BoundVariable, type ComposeContext, type EdgeHandle, type Platform, type ResourceHandle, type SiteHandle, type WorkloadHandle } from "../../compose";
import { DatabaseIdentity, waitForGuard } from "../../databaseIdentity";
import { parseImageReference } from "../../imageReference";
import { caFilePath, resourceBinding } from "../../model/bindings";
import { registryCredentialsHost } from "../../model/images";
import { isContainerWorkload, type BucketResource, type ContainerWorkload, type Model, type Resource, type Route, type ServiceWorkload, type WebWorkload, type Workload } from "../../model/model";
import { currentStack, dnsLabelRule, fitName, stackSegment, warnIfLegacyName } from "../../physicalNames";
import { dockerConfigJson } from "../../registryLogin";
import { resolveSize } from "../../sizes";
import { jobSizes } from "../../jobSizes";
import type { DatabaseSpec, Topology } from "../../topology";
import type { DnsRecord } from "../dnsRecord";
import { App, type SecretEnv } from "./app";
import { Database } from "./database";
import { Edge, ingressAddress, ingressRules, ingressTls, type IngressRoute } from "./edge";
import { containerEnv, escapeEnvValue, secretChecksum, secretChecksumAnnotation, type SecretKeyRef } from "./env";
import { egressRules, type PodPeer } from "./network";
import { CnpgOperator } from "./operator";
import { Broker } from "./broker";
import { caMount, type CaMount, type CaSecret } from "./caVolume";
import { DataOperator } from "./dataOperators";
import { DocumentDatabase, mongodbPort } from "./documentDatabase";
import { GeneratedSecret, generatedSecretKey } from "./secretResource";
import { SessionStore, sessionStorePasswordKey } from "./sessionStore";
import { KubernetesJob } from "./job";
import { siteFiles } from "../../siteFiles";
import { egressPolicy, KubernetesWorkload } from "./workload";
import { installAdvice, prerequisiteOf } from "./prerequisites";

/** The ingress controller appends the client to X-Forwarded-For (see README for the controller's settings). */
const trustedProxyHops = 1;

/** "250m/256Mi" -> requests. */
function requests(size: string): { cpu: string; memory: string } {
  const [cpu, memory] = size.split("/");
  return { cpu, memory };
}

/** What the foundation gives the other steps. */
export interface KubernetesFoundation {
  /** Options of every top-level object: the parent and the wait for every database guard. */
  opts: pulumi.ComponentResourceOptions;
  /** The namespace's name. */
  namespace: pulumi.Output<string>;
  /** Labels of every object. */
  labels: Record<string, string>;
  /** The CloudNativePG operator, when this program installs it. */
  operator?: CnpgOperator;
  /** The Percona and RabbitMQ operators, when this program installs them. */
  dataOperators: { percona?: DataOperator; rabbitmq?: DataOperator };
  /** The guard of each database's create-only settings, by resource name. */
  guards: Map<string, DatabaseIdentity>;
  /** The Secret holding `ha-topology:secrets`, when there are any. */
  appSecretName?: pulumi.Output<string>;
  /** The pull Secret of the single service's private registry, and that registry's host. */
  pullSecret?: { host: string; name: pulumi.Output<string> };
  /** Each workload's pod labels (its selector), by workload name. */
  selectors: Map<string, Record<string, string>>;
  /** Each bucket's credentials Secret (created on first use), by resource name. */
  bucketSecrets: Map<string, pulumi.Output<string>>;
  /** The resource handles built so far, by resource name. */
  handles: Map<string, KubernetesResourceHandle>;
}

/** A resource's handle on Kubernetes. */
export interface KubernetesResourceHandle extends ResourceHandle {
  /** Where each secret field is kept (the pods read it from there). */
  secretRefs: Record<string, SecretKeyRef>;
  /** The pods clients connect to, for the clients' egress policy (sql, cache). */
  peer?: PodPeer;
  /** The database (sql). */
  database?: Database;
  /** The store (cache). */
  store?: SessionStore;
  /** Where its private CA is kept (document, rabbitmq queue): mounted in its users' pods (caVolume.ts). */
  ca?: CaSecret;
}

/** The edge's handle on Kubernetes. */
export interface KubernetesEdgeHandle extends EdgeHandle {
  /** The Edge component (the other web workloads' Services), when there are such workloads. */
  edge?: Edge;
  /** Gives the address of the Ingress once the single service's App has created it. */
  resolveAddress(address: pulumi.Output<string> | undefined): void;
}

/** A workload's handle on Kubernetes. */
export type KubernetesWorkloadHandle = WorkloadHandle;

/** A static site's handle on Kubernetes: its route and the Service the Ingress sends it to. */
export interface KubernetesSiteHandle extends SiteHandle {
  /** Where it is served. */
  route: Route;
  /** Its Service (site.ts). */
  serviceName: pulumi.Output<string>;
}

/** The pod labels of a workload: `app.kubernetes.io/name` is its logical name, so the single service's are today's. */
function selectorOf(ctx: ComposeContext, w: Workload): Record<string, string> {
  return { "app.kubernetes.io/name": logicalName(ctx, w), "app.kubernetes.io/component": "app" };
}

/**
 * True for the web workload built by the App component: the single service's, or a maps
 * web named `web` served at the domain's root (it keeps the single service's objects).
 */
function isAppShaped(ctx: ComposeContext, w: Workload): w is WebWorkload {
  return w.kind === "web" && logicalName(ctx, w) === ctx.name && w.route?.host === ctx.model.domain && w.route.path === "/";
}

/** The bucket every database backs up to: the stack's first (the single service's when there is one; the parser refuses a database without any). */
function backupBucket(ctx: ComposeContext, what = "a database"): BucketResource {
  const bucket = ctx.model.resources.find((r): r is BucketResource => r.kind === "bucket");
  if (!bucket) throw new Error(`kubernetes: ${what} needs a bucket resource (the parser refuses a stack without one)`);
  return bucket;
}

/** The bucket's credentials Secret, created once (the single service's is `<name>-bucket`). */
function bucketSecret(ctx: ComposeContext, f: KubernetesFoundation, bucket: BucketResource): pulumi.Output<string> {
  const existing = f.bucketSecrets.get(bucket.name);
  if (existing) return existing;
  const ln = logicalName(ctx, bucket);
  const name = new kube.core.v1.Secret(`${ln}-bucket`, {
    metadata: { name: `${ln}-bucket`, namespace: f.namespace, labels: f.labels },
    type: "Opaque",
    // The key names CloudNativePG's backups are told to read.
    stringData: { ACCESS_KEY_ID: pulumi.secret(bucket.accessKeyId ?? ""), ACCESS_SECRET_KEY: pulumi.secret(bucket.secretAccessKey ?? "") },
  }, f.opts).metadata.name;
  f.bucketSecrets.set(bucket.name, name);
  return name;
}

/** The pod labels of the workloads that use a resource. */
function clientsOf(ctx: ComposeContext, f: KubernetesFoundation, resource: Resource): Record<string, string>[] {
  return ctx.model.workloads.filter(isContainerWorkload).filter((w) => w.uses.includes(resource.name)).map((w) => f.selectors.get(w.name)!);
}

/** Keeps the fields the binding of `resource` has on Kubernetes (bindings.ts), failing on a missing one. */
function bindingFields(resource: Resource, values: Record<string, pulumi.Output<string> | undefined>): Record<string, pulumi.Output<string>> {
  const out: Record<string, pulumi.Output<string>> = {};
  for (const f of resourceBinding(resource, "kubernetes")) {
    const value = values[f.field];
    if (!value) throw new Error(`kubernetes: no value for field ${f.field} of resources.${resource.name}`);
    out[f.field] = f.secret ? pulumi.secret(value) : value;
  }
  return out;
}

/** The Kubernetes platform. */
export const kubernetesPlatform: Platform<KubernetesFoundation, KubernetesResourceHandle, KubernetesEdgeHandle, KubernetesWorkloadHandle, KubernetesSiteHandle> = {
  foundation(ctx) {
    const { name, topology, model, parent } = ctx;
    const { kubernetes } = topology;
    const labels = { "app.kubernetes.io/part-of": name, "app.kubernetes.io/managed-by": "pulumi" };

    // Every object waits for the guards of the databases' create-only settings (registered
    // first): a refused change touches nothing.
    const guards = new Map<string, DatabaseIdentity>();
    for (const r of model.resources) {
      if (r.kind !== "sql") continue;
      const key = r.origin === "single-service" ? "ha-topology:database" : `ha-topology:resources.${r.name}`;
      guards.set(r.name, new DatabaseIdentity(`${logicalName(ctx, r)}-db-identity`, {
        cloud: "kubernetes",
        keys: { [`${key}.name`]: r.databaseName, [`${key}.username`]: r.username },
      }, { parent }));
    }
    const opts: pulumi.ComponentResourceOptions = guards.size > 0 ? { parent, transformations: [...guards.values()].map(waitForGuard) } : { parent };

    // The default namespace is per project and stack, so two stacks on one cluster never
    // share objects. A namespace's name is fixed at creation: a stack created before the
    // default carried the stack keeps its namespace (`<name>`, ignoreChanges). An explicit
    // `kubernetes.namespace` is the user's choice and is followed as given.
    const defaultNamespace = fitName(`${name}-${stackSegment(currentStack(), dnsLabelRule)}`, 63);
    const namespaceResource = new kube.core.v1.Namespace(`${name}-ns`, {
      metadata: {
        name: kubernetes.namespace ?? defaultNamespace,
        labels: {
          ...labels,
          // The app runs restricted; the data tier's images need baseline.
          "pod-security.kubernetes.io/enforce": "baseline",
          "pod-security.kubernetes.io/warn": "restricted",
        },
      },
    }, {
      ...opts,
      ...(kubernetes.namespace === undefined && { ignoreChanges: ["metadata.name"] }),
      // Deleting a namespace deletes everything in it, the database's volumes included,
      // whatever Pulumi's `protect` on the Cluster says: it is protected like the Cluster.
      protect: true,
    });
    if (kubernetes.namespace === undefined) warnIfLegacyName("The namespace", namespaceResource.metadata.name, defaultNamespace, namespaceResource);
    const namespace = namespaceResource.metadata.name;
    const metadata = (objectName: string) => ({ name: objectName, namespace, labels });

    // Nothing reaches a pod of the namespace unless a policy says so.
    new kube.networking.v1.NetworkPolicy(`${name}-default-deny`, {
      metadata: metadata("default-deny-ingress"),
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    }, opts);

    const operator = kubernetes.installCnpgOperator && guards.size > 0 ? new CnpgOperator(name, {}, opts) : undefined;

    const dataOperators = {
      percona: kubernetes.installPerconaOperator && model.resources.some((r) => r.kind === "document") ? new DataOperator(`${name}-percona`, { kind: "percona" }, opts) : undefined,
      rabbitmq: kubernetes.installRabbitmqOperator && model.resources.some((r) => r.kind === "queue" && r.engine === "rabbitmq") ? new DataOperator(`${name}-rabbitmq`, { kind: "rabbitmq" }, opts) : undefined,
    };
    // An operator left to the cluster is a prerequisite: named before the cluster's own "no matches for kind" would be.
    for (const line of missingOperatorNotices(model, kubernetes)) void pulumi.log.warn(line, ctx.parent);

    const appSecretName = Object.keys(ctx.appSecrets).length > 0
      ? new kube.core.v1.Secret(`${name}-app-secrets`, { metadata: metadata(`${name}-app-secrets`), type: "Opaque", stringData: ctx.appSecrets }, opts).metadata.name
      : undefined;

    // A private registry's credentials, as the pull secret the kubelet uses for the images
    // of that registry. Without credentials the cluster's own pull access applies (EKS node
    // role, GKE node service account, ...).
    // The one registry they are for (model/images.ts): the workload of the single service's
    // keys or the maps whose image is on it; never nodes.image of a stack without it.
    const credentials = topology.registry;
    const registryHost = registryCredentialsHost(ctx.model, credentials !== undefined);
    const pullSecret = credentials && registryHost !== undefined
      ? {
          host: registryHost,
          name: new kube.core.v1.Secret(`${name}-registry`, {
            metadata: metadata(`${name}-registry`),
            type: "kubernetes.io/dockerconfigjson",
            stringData: { ".dockerconfigjson": pulumi.secret(dockerConfigJson(registryHost, credentials)) },
          }, opts).metadata.name,
        }
      : undefined;

    return {
      opts,
      namespace,
      labels,
      operator,
      dataOperators,
      guards,
      appSecretName,
      pullSecret,
      selectors: new Map(model.workloads.map((w) => [w.name, selectorOf(ctx, w)])),
      bucketSecrets: new Map(),
      handles: new Map(),
    };
  },

  resource(ctx, f, r) {
    const handle = buildResource(ctx, f, r);
    f.handles.set(r.name, handle);
    return handle;
  },

  site(ctx, f, site) {
    const ln = logicalName(ctx, site);
    const bucket = backupBucket(ctx, "a site");
    // Loaded only for a stack with a site: it brings @pulumi/aws (the uploads to the S3-compatible bucket), half a second at start-up.
    const { KubernetesSite } = require("./site") as typeof import("./site");
    const built = new KubernetesSite(ln, {
      site,
      files: siteFiles(site.sourceDir, site.cache),
      bucket,
      bucketSecretName: bucketSecret(ctx, f, bucket),
      // Next to the databases' backups (<namespace>/<cluster>/): per stack, so two stacks sharing a bucket never mix files.
      prefix: pulumi.interpolate`${f.namespace}/sites/${site.name}/`,
      namespace: f.namespace,
      labels: f.labels,
      selector: f.selectors.get(site.name)!,
      ingressNamespace: ctx.topology.kubernetes.ingressNamespace,
    }, f.opts);
    return { nodeGroupId: built.deploymentName, route: site.route, serviceName: built.serviceName };
  },

  edge(ctx, f, webs, sites) {
    const { name, model, topology } = ctx;
    const appWeb = webs.find((w) => isAppShaped(ctx, w));
    const others = webs.filter((w) => w !== appWeb);
    const siteRoutes: IngressRoute[] = [...sites.values()].map((s) => ({ route: s.route, serviceName: s.serviceName }));
    // A stack without sites builds exactly what it did (no Edge when only the App's web is public).
    const edge = others.length > 0 || siteRoutes.length > 0
      ? new Edge(`${name}-edge`, {
          name,
          domain: model.domain,
          namespace: f.namespace,
          labels: f.labels,
          kubernetes: topology.kubernetes,
          webs: others.map((w) => ({ workload: w.name, logicalName: logicalName(ctx, w), selector: f.selectors.get(w.name)!, port: w.port, route: w.route })),
          createIngress: appWeb === undefined,
          ...(siteRoutes.length > 0 && { sites: siteRoutes }),
        }, f.opts)
      : undefined;

    const urls: Record<string, pulumi.Output<string>> = {};
    for (const w of webs) {
      if (w.route) {
        urls[w.name] = pulumi.output(`https://${w.route.host}${w.route.path === "/" ? "" : w.route.path}`);
      } else {
        const service = edge!.services.get(w.name)!;
        urls[w.name] = pulumi.interpolate`http://${service.metadata.name}.${f.namespace}.svc.cluster.local:${w.port}`;
      }
    }
    for (const [siteName, s] of sites) urls[siteName] = pulumi.output(`https://${s.route.host}${s.route.path === "/" ? "" : s.route.path}`);

    // The Ingress's address: known here when the Edge created the Ingress, else once the
    // single service's App has (its workload step, which comes next).
    let resolve!: (address: pulumi.Output<string> | undefined) => void;
    const address = pulumi.output(new Promise<pulumi.Output<string> | undefined>((r) => (resolve = r))).apply((a) => a);
    let resolved = false;
    const resolveAddress = (a: pulumi.Output<string> | undefined) => {
      if (resolved) return;
      resolved = true;
      resolve(a);
    };
    const hosts = [...new Set([...webs.flatMap((w) => (w.route ? [w.route.host] : [])), ...siteRoutes.map((r) => r.route.host)])];
    if (hosts.length === 0) resolveAddress(undefined);
    else if (edge?.ingress) resolveAddress(ingressAddress(edge.ingress));

    return {
      urls,
      edge,
      resolveAddress,
      loadBalancerAddress: address as pulumi.Output<string | undefined>,
      dnsRecords: address.apply((a): DnsRecord[] =>
        a
          ? hosts.map((host) => ({ name: host, type: /^\d+\.\d+\.\d+\.\d+$/.test(a) ? "A" : "CNAME", value: a, purpose: "serve traffic (the ingress controller's load balancer); cert-manager issues the certificate once it resolves" }))
          : [],
      ),
    };
  },

  workload(ctx, f, w, env, _uses, edge) {
    return isAppShaped(ctx, w) ? appWorkload(ctx, f, w, env, edge) : mapsWorkload(ctx, f, w, env);
  },

  job(ctx, f, job, env) {
    const ln = logicalName(ctx, job);
    const built = new KubernetesJob(ln, {
      job,
      namespace: f.namespace,
      labels: f.labels,
      selector: f.selectors.get(job.name)!,
      resources: jobSizes.kubernetes.run(job.size),
      env: [...platformEntries(job), ...containerEnv({ model: ctx.model, workload: job, secretRefs: secretRefsOf(f), appSecretName: f.appSecretName }, env)],
      imagePullSecretName: pullSecretFor(f, job.image),
      ca: caOf(f, job),
      egress: egressRules(peersOf(ctx, f, job)),
    }, f.opts);
    return { nodeGroupId: built.cronJobName };
  },

  finish(_ctx, _f, edge) {
    // No alarms on Kubernetes (the cluster's monitoring watches the Deployments and the
    // CronJobs' Jobs: job.ts). The
    // address was resolved by the edge or the App; this only guards against a hang.
    edge.resolveAddress(undefined);
  },
};

/** Builds one resource. */
function buildResource(ctx: ComposeContext, f: KubernetesFoundation, r: Resource): KubernetesResourceHandle {
  const { topology } = ctx;
  const { kubernetes } = topology;
  const ln = logicalName(ctx, r);
  // Named like the single service's (same components, names and variables).
  const shaped = ln === ctx.name;
  const clients = clientsOf(ctx, f, r);
  // The single service's app pods (what `clients` replaces; kept for the argument's contract).
  const legacyAppLabels = { "app.kubernetes.io/name": ctx.name, "app.kubernetes.io/component": "app" };
  switch (r.kind) {
    case "sql": {
      const bucket = backupBucket(ctx);
      const spec: DatabaseSpec = r.origin === "single-service"
        ? topology.database
        : { engine: r.engine, version: r.version, size: r.size, storageGb: r.storageGb, maxStorageGb: r.maxStorageGb, backupRetentionDays: r.backupRetentionDays, readReplicas: r.readReplicas, name: r.databaseName, username: r.username };
      const database = new Database(ln, {
        spec,
        kubernetes,
        namespace: f.namespace,
        resources: requests(resolveSize("kubernetes", "database", r.size)),
        bucket: { endpoint: bucket.endpoint ?? "", bucket: bucket.bucket ?? "", region: bucket.region ?? "us-east-1", credentialsSecretName: bucketSecret(ctx, f, bucket) },
        appLabels: legacyAppLabels,
        clients,
        dependsOn: f.operator ? [f.operator.ready] : undefined,
        labels: f.labels,
        identity: f.guards.get(r.name),
        // The single service's database keeps the password CloudNativePG generated.
        generatedOwner: !shaped,
      }, f.opts);
      const credentials = database.credentialsSecretName;
      return {
        resource: r,
        fields: bindingFields(r, {
          host: database.host,
          port: pulumi.output(String(database.port)),
          name: pulumi.output(r.databaseName),
          engine: pulumi.output(r.engine),
          readHosts: database.readHost,
          user: pulumi.output(r.username),
          // CloudNativePG generated the single service's password inside the cluster: Pulumi
          // never sees it. The pods read it from its Secret (secretRefs); a variable that
          // references it is written `$(DATABASE_PASSWORD)` (env.ts), as here.
          password: database.ownerPassword ?? pulumi.output("$(DATABASE_PASSWORD)"),
          url: database.url,
        }),
        secretRefs: {
          user: { name: credentials, key: "username" },
          password: { name: credentials, key: "password" },
          ...(database.url && { url: { name: credentials, key: "url" } }),
        },
        peer: { selector: database.podSelector, port: database.port },
        endpoint: database.endpoint,
        database,
      };
    }
    case "bucket": {
      const secretName = bucketSecret(ctx, f, r);
      return {
        resource: r,
        fields: bindingFields(r, {
          name: pulumi.output(r.bucket ?? ""),
          bucket: pulumi.output(r.bucket ?? ""),
          region: pulumi.output(r.region ?? "us-east-1"),
          endpoint: pulumi.output(r.endpoint ?? ""),
          accessKeyId: pulumi.output(r.accessKeyId ?? ""),
          secretAccessKey: pulumi.output(r.secretAccessKey ?? ""),
        }),
        secretRefs: { accessKeyId: { name: secretName, key: "ACCESS_KEY_ID" }, secretAccessKey: { name: secretName, key: "ACCESS_SECRET_KEY" } },
        endpoint: pulumi.output(r.bucket ?? ""),
      };
    }
    case "cache": {
      const store = new SessionStore(ln, {
        spec: r.origin === "single-service" ? topology.sessions : { enabled: true, engine: r.engine, size: r.size },
        namespace: f.namespace,
        resources: requests(resolveSize("kubernetes", "sessions", r.size)),
        appLabels: legacyAppLabels,
        labels: f.labels,
        clients,
        // `<base>-sessions-valkey` must fit a StatefulSet's name (52 characters).
        ...(!shaped && { objectBase: fitName(ln, 36), withUrl: true }),
      }, f.opts);
      return valkeyHandle(r, store);
    }
    case "secret": {
      const secret = new GeneratedSecret(ln, { length: r.length, namespace: f.namespace, secretName: `${ln}-secret`, labels: f.labels }, f.opts);
      return {
        resource: r,
        fields: bindingFields(r, { value: secret.value }),
        secretRefs: { value: { name: secret.secretName, key: generatedSecretKey } },
        endpoint: pulumi.interpolate`${f.namespace}/${secret.secretName}`,
      };
    }
    case "document": {
      const bucket = backupBucket(ctx, "a document database");
      const db = new DocumentDatabase(ln, {
        resource: r,
        namespace: f.namespace,
        resources: requests(resolveSize("kubernetes", "document", r.size)),
        storageClass: kubernetes.storageClass,
        bucket: { endpoint: bucket.endpoint ?? "", bucket: bucket.bucket ?? "", region: bucket.region ?? "us-east-1", accessKeyId: bucket.accessKeyId ?? "", secretAccessKey: bucket.secretAccessKey ?? "" },
        clients,
        labels: f.labels,
        dependsOn: f.dataOperators.percona ? [f.dataOperators.percona.ready] : undefined,
      }, f.opts);
      const hosts = pulumi.all(db.hosts).apply((h) => h.join(","));
      return {
        resource: r,
        fields: bindingFields(r, { url: db.url, hosts, name: pulumi.output(r.databaseName), user: pulumi.output(r.username), password: db.password, caFile: pulumi.output(caFilePath(r.name)) }),
        secretRefs: {
          url: { name: db.credentialsSecretName, key: "url" },
          user: { name: db.credentialsSecretName, key: "username" },
          password: { name: db.credentialsSecretName, key: "password" },
        },
        peer: { selector: db.podSelector, port: mongodbPort },
        endpoint: hosts,
        ca: { resource: r.name, name: db.caSecretName, key: "ca.crt" },
      };
    }
    case "queue": {
      if (r.engine === "valkey") {
        // The cache's Valkey, as a broker: never evicts (sessionStore.ts `broker`).
        const store = new SessionStore(ln, {
          spec: { enabled: true, engine: "valkey", size: r.size },
          namespace: f.namespace,
          resources: requests(resolveSize("kubernetes", "sessions", r.size)),
          appLabels: legacyAppLabels,
          labels: f.labels,
          clients,
          objectBase: fitName(ln, 36),
          withUrl: true,
          broker: true,
        }, f.opts);
        // The in-cluster Valkey serves plain TCP (store.tls false): its own redis:// URL, not valkeyBrokerUrl's rediss://.
        return valkeyHandle(r, store);
      }
      const broker = new Broker(ln, {
        resource: r,
        namespace: f.namespace,
        resources: requests(resolveSize("kubernetes", "queue", r.size)),
        storageClass: kubernetes.storageClass,
        clients,
        labels: f.labels,
        dependsOn: f.dataOperators.rabbitmq ? [f.dataOperators.rabbitmq.ready] : undefined,
      }, f.opts);
      return {
        resource: r,
        fields: bindingFields(r, {
          url: broker.url,
          host: broker.host,
          port: pulumi.output(String(broker.port)),
          user: pulumi.output(broker.user),
          password: broker.password,
          caFile: pulumi.output(caFilePath(r.name)),
        }),
        secretRefs: {
          url: { name: broker.credentialsSecretName, key: "url" },
          user: { name: broker.credentialsSecretName, key: "username" },
          password: { name: broker.credentialsSecretName, key: "password" },
        },
        peer: { selector: broker.podSelector, port: broker.port },
        endpoint: pulumi.interpolate`${broker.host}:${broker.port}`,
        ca: { resource: r.name, name: broker.caSecretName, key: "ca.crt" },
      };
    }
  }
}

/** The private CAs of the resources a workload uses, as one volume (caVolume.ts), or undefined. */
function caOf(f: KubernetesFoundation, w: ContainerWorkload): CaMount | undefined {
  return caMount(w.uses.flatMap((name) => {
    const ca = f.handles.get(name)?.ca;
    return ca ? [ca] : [];
  }));
}

/** The secret fields' Secrets of every resource, for env.ts. */
function secretRefsOf(f: KubernetesFoundation): Map<string, Record<string, SecretKeyRef>> {
  return new Map([...f.handles].map(([name, h]) => [name, h.secretRefs]));
}

/** A workload's role (contract/roles.ts). */
function roleOf(w: ContainerWorkload): Role {
  return w.kind !== "web" ? w.kind : w.route ? "web" : "internal";
}

/** The pods a workload connects to: the databases and caches it uses, the internal web workloads. */
function peersOf(ctx: ComposeContext, f: KubernetesFoundation, w: ContainerWorkload): PodPeer[] {
  const data = w.uses.flatMap((name) => {
    const peer = f.handles.get(name)?.peer;
    return peer ? [peer] : [];
  });
  const internal = ctx.model.workloads.flatMap((o) => (o !== w && o.kind === "web" && !o.route ? [{ selector: f.selectors.get(o.name)!, port: o.port }] : []));
  return [...data, ...internal];
}

/** The platform's own variables of a workload (PORT, APP_VERSION, TRUSTED_PROXY_HOPS). */
function platformEntries(w: ContainerWorkload): k8s.types.input.core.v1.EnvVar[] {
  const port = w.kind === "web" ? w.port : undefined;
  return Object.entries(workloadPlatformEnv({ kind: w.kind, image: w.image, port }, trustedProxyHops)).map(([name, value]) => ({ name, value: escapeEnvValue(value) }));
}

/** The pull Secret for a workload's image, when its registry is the one with credentials. */
function pullSecretFor(f: KubernetesFoundation, image: string): pulumi.Output<string> | undefined {
  return f.pullSecret && parseImageReference(image).host === f.pullSecret.host ? f.pullSecret.name : undefined;
}

/** A workload of the maps: its Workload component. */
function mapsWorkload(ctx: ComposeContext, f: KubernetesFoundation, w: ServiceWorkload, env: BoundVariable[]): KubernetesWorkloadHandle {
  const { kubernetes } = ctx.topology;
  const ln = logicalName(ctx, w);
  const ingressFrom: k8s.types.input.networking.v1.NetworkPolicyPeer[] =
    w.kind !== "web"
      ? []
      : w.route
        ? [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": kubernetes.ingressNamespace } } }]
        // An internal web workload: the other workloads, which receive its URL.
        : ctx.model.workloads.filter(isContainerWorkload).filter((o) => o !== w).map((o) => ({ podSelector: { matchLabels: f.selectors.get(o.name)! } }));
  const workload = new KubernetesWorkload(ln, {
    workload: w,
    role: roleOf(w),
    namespace: f.namespace,
    labels: f.labels,
    selector: f.selectors.get(w.name)!,
    resources: requests(resolveSize("kubernetes", "node", w.size)),
    env: [...platformEntries(w), ...containerEnv({ model: ctx.model, workload: w, secretRefs: secretRefsOf(f), appSecretName: f.appSecretName }, env)],
    secretChecksum: secretChecksum(env),
    imagePullSecretName: pullSecretFor(f, w.image),
    ingressFrom,
    ca: caOf(f, w),
    egress: egressRules(peersOf(ctx, f, w)),
  }, f.opts);
  return { nodeGroupId: workload.deploymentName };
}

/**
 * The web workload the App component builds: the single service's (exactly today's
 * objects, its variables delivered as today, only the variables it never had appended),
 * or a maps web named `web` at the domain's root.
 */
function appWorkload(ctx: ComposeContext, f: KubernetesFoundation, w: WebWorkload, env: BoundVariable[], edge: KubernetesEdgeHandle): KubernetesWorkloadHandle {
  const { name, topology } = ctx;
  const { kubernetes } = topology;
  const legacy = w.origin === "single-service";
  const metadata = (objectName: string) => ({ name: objectName, namespace: f.namespace, labels: f.labels });
  const envCtx = { model: ctx.model, workload: w, secretRefs: secretRefsOf(f), appSecretName: f.appSecretName };

  let configData: pulumi.Input<Record<string, string>>;
  let secretEnv: SecretEnv[] = [];
  // The variables the App's ConfigMap and secretEnv do not carry.
  let extra: BoundVariable[];
  if (legacy) {
    const database = f.handles.get("database")?.database;
    const store = f.handles.get("sessions")?.store;
    if (!database) throw new Error("kubernetes: the single service has no database");
    const { nodes, database: dbSpec, storage } = topology;
    const bucket = { name: storage.bucket ?? "", region: storage.region ?? "us-east-1", endpoint: storage.endpoint ?? "" };
    configData = pulumi
      .output({ dbHost: database.host, readHost: database.readHost, sessionsHost: store ? store.host : pulumi.output(undefined) })
      .apply((v) => ({
        ...nodes.env,
        ...platformEnv({
          port: nodes.port,
          image: nodes.image,
          trustedProxyHops,
          database: { host: v.dbHost, port: database.port, name: dbSpec.name, engine: dbSpec.engine, readHosts: dbSpec.readReplicas > 0 ? [v.readHost] : undefined },
          bucket,
          sessions: v.sessionsHost && store ? { host: v.sessionsHost, port: store.port, tls: store.tls } : undefined,
        }),
      }));
    const bucketSecretName = f.bucketSecrets.get("bucket")!;
    secretEnv = [
      { name: "DATABASE_USER", secretName: database.credentialsSecretName, key: "username" },
      { name: "DATABASE_PASSWORD", secretName: database.credentialsSecretName, key: "password" },
      { name: "BUCKET_ACCESS_KEY_ID", secretName: bucketSecretName, key: "ACCESS_KEY_ID" },
      { name: "BUCKET_SECRET_ACCESS_KEY", secretName: bucketSecretName, key: "ACCESS_SECRET_KEY" },
      ...(store ? [{ name: "SESSION_STORE_PASSWORD", secretName: store.passwordSecretName, key: sessionStorePasswordKey }] : []),
    ];
    // Only what maps resources and internal web workloads add (they exist only when declared next to it).
    extra = env.filter((v) => !v.singleService);
  } else {
    configData = workloadPlatformEnv({ kind: "web", image: w.image, port: w.port }, trustedProxyHops);
    extra = env;
  }
  const configMap = new kube.core.v1.ConfigMap(`${name}-env`, { metadata: metadata(`${name}-env`), data: configData }, f.opts).metadata.name;

  const nodes = legacy
    ? topology.nodes
    : { count: w.count, maxCount: w.maxCount, size: w.size, image: w.image, port: w.port, env: {}, drainSeconds: w.drainSeconds, cpuTargetPercent: w.cpuTargetPercent };
  const { liveness, ...healthCheck } = w.healthCheck;
  const checksum = secretChecksum(extra);
  const routes: IngressRoute[] = edge.edge?.routes ?? [];
  const app = new App(name, {
    nodes,
    healthCheck: legacy ? topology.healthCheck : healthCheck,
    kubernetes,
    domain: ctx.model.domain,
    namespace: f.namespace,
    appLabels: f.selectors.get(w.name)!,
    resources: requests(resolveSize("kubernetes", "node", nodes.size)),
    configMapName: configMap,
    // The maps' web reads its app secrets one by one (env.ts), as every other workload.
    appSecretName: legacy ? f.appSecretName : undefined,
    secretEnv,
    imagePullSecretName: legacy ? f.pullSecret?.name : pullSecretFor(f, w.image),
    labels: f.labels,
    ...(extra.length > 0 && { extraEnv: containerEnv(envCtx, extra) }),
    ca: caOf(f, w),
    ...(checksum && { podAnnotations: { [secretChecksumAnnotation]: checksum } }),
    ...(!legacy && { extraLabels: { [kubernetesRoleKey]: "web" }, liveness, args: w.command, stopTimeoutSeconds: w.stopTimeoutSeconds }),
    ...(routes.length > 0 && { extraRules: ingressRules(routes), extraTls: ingressTls(name, ctx.model.domain, routes, [ctx.model.domain]) }),
  }, f.opts);
  edge.resolveAddress(app.address);
  if (!legacy) {
    // The single service's web keeps its open egress (as before); a maps one gets the maps' policy.
    egressPolicy(`${name}-out`, { namespace: f.namespace, labels: f.labels, selector: f.selectors.get(w.name)!, egress: egressRules(peersOf(ctx, f, w)) }, { parent: app });
  }
  return { nodeGroupId: app.deploymentName };
}

/**
 * The operators a stack's resources need that the program does not install (their flag is
 * off): each must already run in the cluster, or the first `pulumi up` fails on a custom
 * resource whose kind the cluster does not know. One line per operator, naming the
 * resources, the CRD to look for and the flag that installs it.
 */
export function missingOperatorNotices(model: Model, kubernetes: Pick<Topology["kubernetes"], "installPerconaOperator" | "installRabbitmqOperator">): string[] {
  const needs = [
    { install: kubernetes.installPerconaOperator, names: model.resources.filter((r) => r.kind === "document").map((r) => r.name), operator: prerequisiteOf("psmdb.percona.com")! },
    { install: kubernetes.installRabbitmqOperator, names: model.resources.filter((r) => r.kind === "queue" && r.engine === "rabbitmq").map((r) => r.name), operator: prerequisiteOf("rabbitmq.com")! },
  ];
  return needs
    .filter((n) => !n.install && n.names.length > 0)
    .map(({ names, operator: p }) => `resources ${names.join(", ")} need ${p.operator} in the cluster (CRD ${p.crd}; check with kubectl get crd ${p.crd}): ${installAdvice(p)}`);
}

/** The handle of a cache or a Valkey broker: its binding's values, the Secret keys its users read, the peer its NetworkPolicy admits. */
function valkeyHandle(r: Resource, store: SessionStore): KubernetesResourceHandle {
  return {
    resource: r,
    fields: bindingFields(r, {
      host: store.host,
      port: pulumi.output(String(store.port)),
      tls: pulumi.output(String(store.tls)),
      password: store.password,
      url: store.url,
    }),
    secretRefs: {
      password: { name: store.passwordSecretName, key: sessionStorePasswordKey },
      ...(store.url && { url: { name: store.passwordSecretName, key: "url" } }),
    },
    peer: { selector: store.clientSelector, port: store.port },
    endpoint: store.endpoint,
    store,
  };
}
