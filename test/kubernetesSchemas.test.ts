import { strict as assert } from "node:assert";
import {
  kubernetesObjectTypes,
  loadKubernetesSchemas,
  mappedKubernetesTypes,
  typeMeta,
  validateKubernetesObject,
  validateKubernetesResources,
  withoutSchema,
} from "./kubernetesSchemas";

/** A hand-written registered resource: inputs as the mocks record them. */
interface Obj {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

const labels = { app: "web" };
const meta = (name: string) => ({ name, namespace: "app", labels });
const probe = { httpGet: { path: "/health", port: 8080 } };
const podSpec = {
  containers: [
    {
      name: "app",
      image: "traefik/whoami:v1.10.1",
      ports: [{ containerPort: 8080, name: "http" }],
      readinessProbe: probe,
      livenessProbe: probe,
      resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    },
  ],
};

// Typed resources: @pulumi/kubernetes sets apiVersion and kind itself, some objects here
// carry them (with the output-only `status` left undefined), others rely on the type token.
const valid: Obj[] = [
  { type: "kubernetes:core/v1:Namespace", name: "ns", inputs: { metadata: { name: "app" } } },
  {
    type: "kubernetes:apps/v1:Deployment",
    name: "web",
    inputs: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      status: undefined,
      metadata: meta("web"),
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
        template: {
          metadata: { labels },
          spec: {
            ...podSpec,
            topologySpreadConstraints: [
              { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: labels } },
            ],
            serviceAccountName: undefined,
          },
        },
      },
    },
  },
  {
    type: "kubernetes:core/v1:Service",
    name: "web-svc",
    inputs: { metadata: meta("web"), spec: { type: "ClusterIP", selector: labels, ports: [{ port: 80, targetPort: "http", protocol: "TCP" }] } },
  },
  {
    type: "kubernetes:networking.k8s.io/v1:Ingress",
    name: "web-ingress",
    inputs: {
      metadata: { ...meta("web"), annotations: { "cert-manager.io/cluster-issuer": "letsencrypt" } },
      spec: {
        ingressClassName: "nginx",
        tls: [{ hosts: ["app.example.com"], secretName: "web-tls" }],
        rules: [{ host: "app.example.com", http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }] } }],
      },
    },
  },
  {
    type: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    name: "web-netpol",
    inputs: {
      metadata: meta("web"),
      spec: {
        podSelector: { matchLabels: labels },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ingress-nginx" } } }], ports: [{ port: 8080, protocol: "TCP" }] }],
      },
    },
  },
  { type: "kubernetes:policy/v1:PodDisruptionBudget", name: "web-pdb", inputs: { metadata: meta("web"), spec: { maxUnavailable: 1, selector: { matchLabels: labels } } } },
  {
    type: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
    name: "web-hpa",
    inputs: {
      apiVersion: "autoscaling/v2",
      kind: "HorizontalPodAutoscaler",
      metadata: meta("web"),
      spec: {
        scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
        minReplicas: 2,
        maxReplicas: 6,
        metrics: [{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } }],
      },
    },
  },
  {
    type: "kubernetes:apps/v1:StatefulSet",
    name: "cache",
    inputs: {
      metadata: meta("cache"),
      spec: {
        serviceName: "cache",
        replicas: 3,
        selector: { matchLabels: { app: "cache" } },
        template: { metadata: { labels: { app: "cache" } }, spec: { containers: [{ name: "redis", image: "redis:7.2" }] } },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
      },
    },
  },
  {
    type: "kubernetes:core/v1:Secret",
    name: "db-credentials",
    inputs: { metadata: meta("db-credentials"), type: "Opaque", stringData: { ACCESS_KEY_ID: "AKIA...", ACCESS_SECRET_KEY: "s3cr3t" } },
  },
  { type: "kubernetes:core/v1:ConfigMap", name: "web-config", inputs: { metadata: meta("web-config"), data: { LOG_LEVEL: "info" } } },
  { type: "kubernetes:core/v1:ServiceAccount", name: "web-sa", inputs: { metadata: meta("web"), automountServiceAccountToken: false } },
  {
    type: "kubernetes:rbac.authorization.k8s.io/v1:Role",
    name: "web-role",
    inputs: { metadata: meta("web"), rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list", "watch"] }] },
  },
  {
    type: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    name: "web-rolebinding",
    inputs: {
      metadata: meta("web"),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "web" },
      subjects: [{ kind: "ServiceAccount", name: "web", namespace: "app" }],
    },
  },
  // CustomResource inputs: apiVersion, kind, metadata, spec.
  {
    type: "kubernetes:postgresql.cnpg.io/v1:Cluster",
    name: "db",
    inputs: {
      apiVersion: "postgresql.cnpg.io/v1",
      kind: "Cluster",
      metadata: meta("db"),
      spec: {
        instances: 3,
        storage: { size: "10Gi" },
        minSyncReplicas: 1,
        maxSyncReplicas: 1,
        affinity: { enablePodAntiAffinity: true, topologyKey: "topology.kubernetes.io/zone", podAntiAffinityType: "required" },
        backup: {
          retentionPolicy: "14d",
          barmanObjectStore: {
            destinationPath: "s3://backups/db",
            endpointURL: "https://s3.example.com",
            s3Credentials: {
              accessKeyId: { name: "db-credentials", key: "ACCESS_KEY_ID" },
              secretAccessKey: { name: "db-credentials", key: "ACCESS_SECRET_KEY" },
            },
            wal: { compression: "gzip" },
          },
        },
      },
    },
  },
  {
    type: "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup",
    name: "db-nightly",
    inputs: {
      apiVersion: "postgresql.cnpg.io/v1",
      kind: "ScheduledBackup",
      metadata: meta("db-nightly"),
      spec: { schedule: "0 0 3 * * *", backupOwnerReference: "self", method: "barmanObjectStore", cluster: { name: "db" } },
    },
  },
];

const helmRelease: Obj = {
  type: "kubernetes:helm.sh/v3:Release",
  name: "ingress-nginx",
  inputs: { chart: "ingress-nginx", repositoryOpts: { repo: "https://kubernetes.github.io/ingress-nginx" }, values: { controller: { replicaCount: "two" } } },
};

/** A deep copy of the valid object of `type` with `edit` applied. */
function broken(type: string, edit: (inputs: Record<string, any>) => void): Obj {
  const original = valid.find((o) => o.type === type);
  assert.ok(original, `no valid ${type} to break`);
  // structuredClone keeps undefined fields: the validator has to strip them.
  const copy = structuredClone(original);
  edit(copy.inputs);
  return copy;
}

/** One invalid field and what the message must name. */
interface Break {
  what: string;
  object: Obj;
  /** The object name the message must show. */
  names: string;
  /** The field path the message must show. */
  field: string;
}

const breaks: Break[] = [
  {
    what: "Deployment replicas as a word",
    object: broken("kubernetes:apps/v1:Deployment", (i) => (i.spec.replicas = "two")),
    names: '"app/web"',
    field: "spec.replicas: must be integer",
  },
  {
    what: "Deployment container without a name",
    object: broken("kubernetes:apps/v1:Deployment", (i) => delete i.spec.template.spec.containers[0].name),
    names: '"app/web"',
    field: "spec.template.spec.containers[0].name: required field is missing",
  },
  {
    what: "Deployment with an unknown strategy",
    object: broken("kubernetes:apps/v1:Deployment", (i) => (i.spec.strategy.type = "BlueGreen")),
    names: '"app/web"',
    field: 'spec.strategy.type: must be one of "Recreate", "RollingUpdate"',
  },
  {
    what: "Service type Public",
    object: broken("kubernetes:core/v1:Service", (i) => (i.spec.type = "Public")),
    names: '"app/web"',
    field: "spec.type: must be one of",
  },
  {
    what: "Service port as a string",
    object: broken("kubernetes:core/v1:Service", (i) => (i.spec.ports[0].port = "80")),
    names: '"app/web"',
    field: "spec.ports[0].port: must be integer",
  },
  {
    what: "Ingress path without pathType",
    object: broken("kubernetes:networking.k8s.io/v1:Ingress", (i) => delete i.spec.rules[0].http.paths[0].pathType),
    names: '"app/web"',
    field: "spec.rules[0].http.paths[0].pathType: required field is missing",
  },
  {
    what: "NetworkPolicy with an unknown policy type",
    object: broken("kubernetes:networking.k8s.io/v1:NetworkPolicy", (i) => (i.spec.policyTypes = ["Inbound"])),
    names: '"app/web"',
    field: "spec.policyTypes[0]: must be one of",
  },
  {
    what: "PDB selector labels that are not strings",
    object: broken("kubernetes:policy/v1:PodDisruptionBudget", (i) => (i.spec.selector.matchLabels = { replicas: 2 })),
    names: '"app/web"',
    field: "spec.selector.matchLabels.replicas: must be string",
  },
  {
    what: "HPA without maxReplicas",
    object: broken("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", (i) => delete i.spec.maxReplicas),
    names: '"app/web"',
    field: "spec.maxReplicas: required field is missing",
  },
  {
    what: "StatefulSet replicas as a word",
    object: broken("kubernetes:apps/v1:StatefulSet", (i) => (i.spec.replicas = "three")),
    names: '"app/cache"',
    field: "spec.replicas: must be integer",
  },
  {
    what: "Secret data that is not base64",
    object: broken("kubernetes:core/v1:Secret", (i) => (i.data = { password: "not base64!" })),
    names: '"app/db-credentials"',
    field: 'data.password: must match format "byte"',
  },
  {
    what: "Deployment with the wrong apiVersion",
    object: broken("kubernetes:apps/v1:Deployment", (i) => (i.apiVersion = "apps/v1beta1")),
    names: '"app/web"',
    field: 'apiVersion: must be one of "apps/v1"',
  },
  {
    what: "CNPG instances as a word",
    object: broken("kubernetes:postgresql.cnpg.io/v1:Cluster", (i) => (i.spec.instances = "three")),
    names: '"app/db"',
    field: "spec.instances: must be integer",
  },
  {
    what: "CNPG barmanObjectStore without destinationPath",
    object: broken("kubernetes:postgresql.cnpg.io/v1:Cluster", (i) => delete i.spec.backup.barmanObjectStore.destinationPath),
    names: '"app/db"',
    field: "spec.backup.barmanObjectStore.destinationPath: required field is missing",
  },
  {
    what: "CNPG retention policy in words",
    object: broken("kubernetes:postgresql.cnpg.io/v1:Cluster", (i) => (i.spec.backup.retentionPolicy = "two weeks")),
    names: '"app/db"',
    field: "spec.backup.retentionPolicy: must match pattern",
  },
  {
    what: "ScheduledBackup without a cluster",
    object: broken("kubernetes:postgresql.cnpg.io/v1:ScheduledBackup", (i) => delete i.spec.cluster),
    names: '"app/db-nightly"',
    field: "spec.cluster: required field is missing",
  },
];

describe("Kubernetes schema validation (test helper)", () => {
  before(loadKubernetesSchemas);

  describe("accepts valid objects", () => {
    for (const o of valid) {
      it(`${o.type} ${o.name}`, () => validateKubernetesObject(o.type, o.inputs, o.name));
    }
    it("every listed type token has a valid example here", () => {
      const listed = [
        "kubernetes:apps/v1:Deployment",
        "kubernetes:core/v1:Service",
        "kubernetes:core/v1:Namespace",
        "kubernetes:core/v1:Secret",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:core/v1:ServiceAccount",
        "kubernetes:networking.k8s.io/v1:Ingress",
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "kubernetes:policy/v1:PodDisruptionBudget",
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "kubernetes:apps/v1:StatefulSet",
        "kubernetes:rbac.authorization.k8s.io/v1:Role",
        "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
        "kubernetes:postgresql.cnpg.io/v1:Cluster",
        "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup",
      ];
      for (const type of listed) {
        assert.ok(mappedKubernetesTypes.includes(type), `${type} is mapped`);
        assert.ok(valid.some((o) => o.type === type), `${type} has a valid example`);
      }
    });
    it("the Helm Release without validation (it has no manifest schema)", () => {
      assert.ok(withoutSchema.has(helmRelease.type));
      assert.deepEqual([...withoutSchema], ["kubernetes:helm.sh/v3:Release"]);
      validateKubernetesObject(helmRelease.type, helmRelease.inputs, helmRelease.name);
    });
    it("a whole run's resources at once", () => {
      validateKubernetesResources([...valid, helmRelease, { type: "aws:s3/bucket:Bucket", name: "not-kubernetes", inputs: { bucket: 3 } }]);
    });
  });

  describe("refuses an invalid field, naming the object and the field", () => {
    for (const b of breaks) {
      it(b.what, () => {
        assert.throws(
          () => validateKubernetesObject(b.object.type, b.object.inputs, b.object.name),
          (e: Error) => {
            assert.ok(e.message.startsWith(`${b.object.type} ${b.names} (resource "${b.object.name}")`), e.message);
            assert.ok(e.message.includes(b.field), `expected "${b.field}" in:\n${e.message}`);
            return true;
          },
        );
      });
    }
    it("lists every invalid field, not only the first", () => {
      const o = broken("kubernetes:apps/v1:Deployment", (i) => {
        i.spec.replicas = "two";
        i.spec.template.spec.containers[0].imagePullPolicy = "Sometimes";
      });
      assert.throws(() => validateKubernetesObject(o.type, o.inputs), /spec\.replicas: must be integer[\s\S]*imagePullPolicy: must be one of "Always", "IfNotPresent", "Never"/);
    });
    it("an object without metadata.name is named as such", () => {
      const o = broken("kubernetes:core/v1:Service", (i) => {
        delete i.metadata.name;
        i.spec.type = "Public";
      });
      assert.throws(() => validateKubernetesObject(o.type, o.inputs), /kubernetes:core\/v1:Service \(no metadata\.name\) does not match its schema/);
    });
    it("a whole run's invalid resources, all of them", () => {
      assert.throws(
        () => validateKubernetesResources([...valid, ...breaks.slice(0, 3).map((b) => b.object)]),
        (e: Error) => e.message.startsWith("3 Kubernetes object(s) invalid") && (e.message.match(/does not match its schema/g) ?? []).length === 3,
      );
    });
  });

  describe("nothing is silently skipped", () => {
    it("an unmapped Kubernetes type is refused with 'no schema for'", () => {
      assert.throws(
        () => validateKubernetesObject("kubernetes:core/v1:Pod", { metadata: { name: "p" }, spec: { containers: [{ name: "a" }] } }),
        /no schema for kubernetes:core\/v1:Pod/,
      );
      assert.throws(() => validateKubernetesObject("kubernetes:helm.sh/v4:Chart", {}), /no schema for kubernetes:helm\.sh\/v4:Chart/);
    });
    it("validateKubernetesResources refuses an unmapped type too", () => {
      assert.throws(() => validateKubernetesResources([{ type: "kubernetes:core/v1:Pod", name: "p", inputs: {} }]), /no schema for kubernetes:core\/v1:Pod/);
    });
  });

  describe("Pulumi inputs", () => {
    it("undefined fields are stripped (the SDK leaves output-only properties undefined)", () => {
      validateKubernetesObject("kubernetes:core/v1:ConfigMap", { apiVersion: undefined, kind: undefined, metadata: { name: "c", labels: undefined }, data: { a: "b" }, binaryData: undefined });
    });
    it("secret wrappers of raw engine inputs are unwrapped", () => {
      const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
      validateKubernetesObject("kubernetes:core/v1:Secret", { metadata: { name: "s" }, stringData: secret({ password: "hunter2" }) });
      assert.throws(() => validateKubernetesObject("kubernetes:core/v1:Secret", { metadata: { name: "s" }, stringData: secret({ password: 42 }) }), /stringData\.password: must be string/);
    });
    it("apiVersion and kind come from the type token when absent", () => {
      assert.deepEqual(typeMeta("kubernetes:core/v1:Service"), { apiVersion: "v1", kind: "Service" });
      assert.deepEqual(typeMeta("kubernetes:networking.k8s.io/v1:Ingress"), { apiVersion: "networking.k8s.io/v1", kind: "Ingress" });
      assert.deepEqual(typeMeta("kubernetes:postgresql.cnpg.io/v1:Cluster"), { apiVersion: "postgresql.cnpg.io/v1", kind: "Cluster" });
      assert.throws(() => typeMeta("aws:s3/bucket:Bucket"), /not a Kubernetes type token/);
    });
    it("a CustomResource kind that disagrees with its type token is refused", () => {
      const o = broken("kubernetes:postgresql.cnpg.io/v1:Cluster", (i) => (i.kind = "ScheduledBackup"));
      assert.throws(() => validateKubernetesObject(o.type, o.inputs), /kind: must be one of "Cluster"/);
    });
    it("kubernetesObjectTypes keeps the Kubernetes provider's resources, in order", () => {
      const resources = [
        { type: "aws:s3/bucket:Bucket", name: "b", inputs: {} },
        { type: "kubernetes:apps/v1:Deployment", name: "d", inputs: {} },
        { type: "pulumi:providers:kubernetes", name: "k8s", inputs: {} },
        { type: "kubernetes:helm.sh/v3:Release", name: "r", inputs: {} },
      ];
      assert.deepEqual(kubernetesObjectTypes(resources).map((r) => r.name), ["d", "r"]);
    });
  });

  describe("what the schemas do not check (documented gaps)", () => {
    it("unknown fields are accepted: a misspelled field passes", () => {
      const o = broken("kubernetes:apps/v1:Deployment", (i) => {
        i.spec.replica = 3;
        delete i.spec.replicas;
      });
      validateKubernetesObject(o.type, o.inputs);
    });
  });
});
