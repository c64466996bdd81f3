/**
 * Validates the Kubernetes objects a program registers against the Kubernetes OpenAPI
 * schemas (kubernetes-models) and the CloudNativePG CRD schemas
 * (@kubernetes-models/cloudnative-pg), so an adapter test can say "every manifest would be
 * accepted by the API server's schema" without a cluster:
 *
 *   for (const r of kubernetesObjectTypes(run.resources)) validateKubernetesObject(r.type, r.inputs, r.name);
 *
 * Loading: both packages are ES modules whose `exports` only have "import" conditions, so
 * they cannot be require()d from these CommonJS tests; they are loaded with import() by
 * `loadKubernetesSchemas()`. Under mocha, importing this module registers a root `before`
 * hook that loads them, so `validateKubernetesObject` (synchronous) works in any test or
 * hook. Outside mocha, `await loadKubernetesSchemas()` first.
 *
 * What the schemas check: types (integer, string, ...), enums (Service type, pathType,
 * imagePullPolicy, ...), required fields, formats (Secret `data` must be base64) and the
 * CRDs' patterns and minimums. What they do NOT check: unknown fields (a misspelled
 * `replica: 3` passes; no schema has additionalProperties: false), and `metadata.name`
 * (Pulumi auto-names objects without one).
 */
import * as pulumi from "@pulumi/pulumi";

/** A loaded model class: constructing it adds apiVersion/kind when absent; `validate()` throws a ValidationError. */
type ModelClass = new (data: Record<string, unknown>) => { validate(): void };

// The model typings import "@kubernetes-models/base", which this tsconfig's "node" module
// resolution cannot see (exports-only package), so the classes are typed here by shape.
const model = (cls: unknown) => cls as ModelClass;

/**
 * Type token → model class loader. Explicit, so the import paths and export names are
 * checked by tsc, and an adapter registering a type nobody mapped gets "no schema for".
 * `kubernetes:<group>/<version>:<Kind>`; group "core" is the core API (apiVersion "v1").
 */
const models: Record<string, () => Promise<ModelClass>> = {
  // core/v1
  "kubernetes:core/v1:Namespace": () => import("kubernetes-models/v1/Namespace").then((m) => model(m.Namespace)),
  "kubernetes:core/v1:Service": () => import("kubernetes-models/v1/Service").then((m) => model(m.Service)),
  "kubernetes:core/v1:Secret": () => import("kubernetes-models/v1/Secret").then((m) => model(m.Secret)),
  "kubernetes:core/v1:ConfigMap": () => import("kubernetes-models/v1/ConfigMap").then((m) => model(m.ConfigMap)),
  "kubernetes:core/v1:ServiceAccount": () => import("kubernetes-models/v1/ServiceAccount").then((m) => model(m.ServiceAccount)),
  "kubernetes:core/v1:PersistentVolumeClaim": () =>
    import("kubernetes-models/v1/PersistentVolumeClaim").then((m) => model(m.PersistentVolumeClaim)),
  // apps/v1
  "kubernetes:apps/v1:Deployment": () => import("kubernetes-models/apps/v1/Deployment").then((m) => model(m.Deployment)),
  "kubernetes:apps/v1:StatefulSet": () => import("kubernetes-models/apps/v1/StatefulSet").then((m) => model(m.StatefulSet)),
  "kubernetes:apps/v1:DaemonSet": () => import("kubernetes-models/apps/v1/DaemonSet").then((m) => model(m.DaemonSet)),
  // batch/v1
  "kubernetes:batch/v1:Job": () => import("kubernetes-models/batch/v1/Job").then((m) => model(m.Job)),
  "kubernetes:batch/v1:CronJob": () => import("kubernetes-models/batch/v1/CronJob").then((m) => model(m.CronJob)),
  // networking.k8s.io/v1
  "kubernetes:networking.k8s.io/v1:Ingress": () => import("kubernetes-models/networking.k8s.io/v1/Ingress").then((m) => model(m.Ingress)),
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": () =>
    import("kubernetes-models/networking.k8s.io/v1/NetworkPolicy").then((m) => model(m.NetworkPolicy)),
  // policy/v1, autoscaling/v2
  "kubernetes:policy/v1:PodDisruptionBudget": () =>
    import("kubernetes-models/policy/v1/PodDisruptionBudget").then((m) => model(m.PodDisruptionBudget)),
  "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": () =>
    import("kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler").then((m) => model(m.HorizontalPodAutoscaler)),
  // rbac.authorization.k8s.io/v1
  "kubernetes:rbac.authorization.k8s.io/v1:Role": () => import("kubernetes-models/rbac.authorization.k8s.io/v1/Role").then((m) => model(m.Role)),
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": () =>
    import("kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding").then((m) => model(m.RoleBinding)),
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": () =>
    import("kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole").then((m) => model(m.ClusterRole)),
  "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": () =>
    import("kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding").then((m) => model(m.ClusterRoleBinding)),
  // CloudNativePG custom resources (registered with apiextensions.CustomResource)
  "kubernetes:postgresql.cnpg.io/v1:Cluster": () =>
    import("@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster").then((m) => model(m.Cluster)),
  "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup": () =>
    import("@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/ScheduledBackup").then((m) => model(m.ScheduledBackup)),
  "kubernetes:postgresql.cnpg.io/v1:Backup": () =>
    import("@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Backup").then((m) => model(m.Backup)),
  "kubernetes:postgresql.cnpg.io/v1:Pooler": () =>
    import("@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Pooler").then((m) => model(m.Pooler)),
};

/**
 * Kubernetes-provider types that are accepted without validation. Only the Helm Release:
 * it is not a Kubernetes object but a Pulumi resource that installs a chart (chart, repo,
 * values, ...), so there is no manifest schema for it; what the chart renders is the
 * chart's business.
 */
export const withoutSchema: ReadonlySet<string> = new Set(["kubernetes:helm.sh/v3:Release"]);

/** The type tokens validated against a schema. */
export const mappedKubernetesTypes: readonly string[] = Object.keys(models);

const loaded = new Map<string, ModelClass>();
let loading: Promise<void> | undefined;

/** Loads every mapped model (idempotent). Mocha runs it as a root hook; call it yourself outside mocha. */
export function loadKubernetesSchemas(): Promise<void> {
  loading ??= Promise.all(
    Object.entries(models).map(async ([type, load]) => {
      loaded.set(type, await load());
    }),
  ).then(() => undefined);
  return loading;
}

// Under mocha (the `before` global exists while spec files load), load the schemas before
// the first test of the run, so the synchronous validator is ready in every test.
if (typeof before === "function") {
  before("load the Kubernetes schemas", async function () {
    this.timeout(120_000);
    await loadKubernetesSchemas();
  });
}

/** A registered resource, as the mocks harness records it. */
export interface KubernetesResourceLike {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/** The registered resources of the Kubernetes provider (type token "kubernetes:..."), in order. */
export function kubernetesObjectTypes<R extends KubernetesResourceLike>(resources: readonly R[]): R[] {
  return resources.filter((r) => r.type.startsWith("kubernetes:"));
}

/**
 * The apiVersion and kind a type token names: "kubernetes:apps/v1:Deployment" →
 * apps/v1, Deployment; "kubernetes:core/v1:Service" → v1, Service.
 */
export function typeMeta(type: string): { apiVersion: string; kind: string } {
  const match = /^kubernetes:([^:]+):([^:]+)$/.exec(type);
  if (!match) throw new Error(`not a Kubernetes type token: ${type} (expected kubernetes:<group>/<version>:<Kind>)`);
  const [, groupVersion, kind] = match;
  return { apiVersion: groupVersion.startsWith("core/") ? groupVersion.slice("core/".length) : groupVersion, kind };
}

/**
 * Makes Pulumi inputs a plain manifest: drops undefined fields (the SDK leaves output-only
 * properties such as `status` undefined) and unwraps secret wrappers (raw engine inputs).
 */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return plain(record.value);
  return Object.fromEntries(
    Object.entries(record)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, plain(v)]),
  );
}

/** "/spec/template/spec/containers/0" → "spec.template.spec.containers[0]". */
function fieldPath(instancePath: string): string {
  const segments = instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  let out = "";
  for (const s of segments) out += /^\d+$/.test(s) ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `${out ? "." : ""}${s}` : `[${JSON.stringify(s)}]`;
  return out || "(object)";
}

/** The ajv errors a ValidationError carries, as "field: problem" lines. */
function problems(error: unknown): string[] {
  const errors = (error as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return [error instanceof Error ? error.message : String(error)];
  const lines = errors.map((e: { instancePath?: string; keyword?: string; message?: string; params?: Record<string, unknown> }) => {
    const field = fieldPath(e.instancePath ?? "");
    if (e.keyword === "required") return `${field === "(object)" ? "" : `${field}.`}${String(e.params?.missingProperty)}: required field is missing`;
    if (e.keyword === "enum" && Array.isArray(e.params?.allowedValues)) {
      return `${field}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    }
    return `${field}: ${e.message ?? e.keyword}`;
  });
  return [...new Set(lines)];
}

/** How an error names an object: namespace/name, and the Pulumi resource name when known. */
function objectName(manifest: Record<string, unknown>, resourceName?: string): string {
  const metadata = (typeof manifest.metadata === "object" && manifest.metadata !== null ? manifest.metadata : {}) as Record<string, unknown>;
  const name = typeof metadata.name === "string" ? metadata.name : undefined;
  const namespace = typeof metadata.namespace === "string" ? metadata.namespace : undefined;
  const named = name === undefined ? "(no metadata.name)" : `"${namespace === undefined ? name : `${namespace}/${name}`}"`;
  return resourceName === undefined ? named : `${named} (resource "${resourceName}")`;
}

/**
 * Validates one registered Kubernetes resource's inputs against its schema. apiVersion
 * and kind come from the inputs when present (typed resources and CustomResource set
 * them; a mismatch with the type token fails the schema), else from the type token.
 * Throws an Error naming the type, the object and every invalid field; throws
 * "no schema for <type>" for a type neither mapped nor in `withoutSchema`.
 */
export function validateKubernetesObject(type: string, inputs: Record<string, unknown>, resourceName?: string): void {
  if (withoutSchema.has(type)) return;
  if (!(type in models)) {
    throw new Error(`no schema for ${type}: map it to a kubernetes-models class in test/kubernetesSchemas.ts (or list it in withoutSchema with the reason)`);
  }
  const Model = loaded.get(type);
  if (!Model) throw new Error(`the Kubernetes schemas are not loaded: await loadKubernetesSchemas() first (mocha does it in a root before hook)`);
  const manifest = { ...typeMeta(type), ...(plain(inputs) as Record<string, unknown>) };
  try {
    new Model(manifest).validate();
  } catch (e) {
    throw new Error(`${type} ${objectName(manifest, resourceName)} does not match its schema:\n  ${problems(e).join("\n  ")}`);
  }
}

/**
 * Validates every Kubernetes resource of a run and throws one Error listing all the
 * invalid ones (rather than stopping at the first).
 */
export function validateKubernetesResources(resources: readonly KubernetesResourceLike[]): void {
  const failures: string[] = [];
  for (const r of kubernetesObjectTypes(resources)) {
    try {
      validateKubernetesObject(r.type, r.inputs, r.name);
    } catch (e) {
      failures.push(e instanceof Error ? e.message : String(e));
    }
  }
  if (failures.length) throw new Error(`${failures.length} Kubernetes object(s) invalid:\n${failures.join("\n")}`);
}
