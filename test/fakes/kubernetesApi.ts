/**
 * A fake Kubernetes API server on loopback, for the scale-up wait
 * (components/platforms/kubernetes/scaleWait.ts): a node:http server on 127.0.0.1 that
 * answers `GET /apis/apps/v1/namespaces/{ns}/deployments/{name}` for one Deployment with
 * a bearer token, enough for @kubernetes/client-node to talk to it through a kubeconfig
 * (`kubeconfigFor`). Behind it a simulated scale-up: the HorizontalPodAutoscaler raises
 * `spec.replicas` (a new generation) after `hpaSteps` GETs, the controller observes it one
 * GET later, and one more pod becomes available every `warmupSteps` GETs, up to
 * `reachable` (fewer than the count: pods that never become available). Some GETs answer
 * 429 or 5xx instead, or are never answered.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The Deployment and its scale-up. */
export interface FakeDeploymentOptions {
  namespace: string;
  name: string;
  /** Pods available before the scale-up (and spec.replicas before the HPA raises it). */
  before: number;
  /** The HPA's new minimum: spec.replicas once it acted. */
  count: number;
  /** GETs before the HPA raises spec.replicas; default 1 (the first GET still shows the old spec). */
  hpaSteps?: number;
  /** GETs per newly available pod once the controller observed the new spec; default 1. */
  warmupSteps?: number;
  /** The most pods that ever become available; default `count`. */
  reachable?: number;
  /** True for the GETs (1-based) answered 429 Too Many Requests. */
  throttle?: (call: number) => boolean;
  /** True for the GETs (1-based) answered 503. */
  serverError?: (call: number) => boolean;
  /** A refusal for some GETs (1-based): e.g. 403. */
  refuse?: (call: number) => { status: number; message: string } | undefined;
  /** From this GET on, requests are held unanswered. */
  holdFromCall?: number;
  /** The bearer token the server accepts; default "fake-token". */
  token?: string;
}

/** The simulated Deployment. */
export class FakeDeployment {
  generation = 7;
  observedGeneration = 7;
  replicas: number;
  available: number;
  /** The GET at which the spec last changed: the controller observes it at a later one. */
  changedAtCall = 0;
  /** GETs of this Deployment (including refused ones). */
  calls = 0;
  constructor(readonly o: FakeDeploymentOptions) {
    this.replicas = o.before;
    this.available = o.before;
  }

  /** One GET: one step of the scale-up. */
  step(): void {
    const hpaSteps = this.o.hpaSteps ?? 1;
    const warmup = this.o.warmupSteps ?? 1;
    if (this.calls > hpaSteps && this.replicas !== this.o.count) {
      this.replicas = this.o.count;
      this.generation++;
      this.changedAtCall = this.calls;
    } else if (this.observedGeneration < this.generation && this.calls > this.changedAtCall) {
      this.observedGeneration = this.generation;
    } else if (this.observedGeneration === this.generation && (this.calls - hpaSteps) % warmup === 0) {
      this.available = Math.min(this.available + 1, this.replicas, this.o.reachable ?? this.o.count);
    }
  }

  /** The Deployment as the API server returns it. */
  json(): Record<string, unknown> {
    const full = this.available >= this.replicas;
    return {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: this.o.name, namespace: this.o.namespace, generation: this.generation },
      spec: { replicas: this.replicas, selector: { matchLabels: { app: this.o.name } }, template: { metadata: { labels: { app: this.o.name } }, spec: { containers: [{ name: "app", image: "x" }] } } },
      status: {
        observedGeneration: this.observedGeneration,
        replicas: this.replicas,
        readyReplicas: this.available,
        availableReplicas: this.available,
        ...(!full && { unavailableReplicas: this.replicas - this.available }),
        conditions: [
          full
            ? { type: "Available", status: "True", reason: "MinimumReplicasAvailable", message: "Deployment has minimum availability." }
            : { type: "Available", status: "False", reason: "MinimumReplicasUnavailable", message: "Deployment does not have minimum availability." },
          { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable", message: `ReplicaSet "${this.o.name}-abc" has successfully progressed.` },
        ],
      },
    };
  }
}

/** A running fake API server. */
export interface FakeKubernetesApi {
  /** http://127.0.0.1:<port> */
  server: string;
  deployment: FakeDeployment;
  /** Every request's method and path, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** A Kubernetes Status object (the API server's error body). */
function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { "content-type": "application/json" });
  res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code }));
}

/** Starts the fake on 127.0.0.1, a free port. */
export async function startFakeKubernetes(o: FakeDeploymentOptions): Promise<FakeKubernetesApi> {
  const deployment = new FakeDeployment(o);
  const requests: string[] = [];
  const held: ServerResponse[] = [];
  const path = `/apis/apps/v1/namespaces/${o.namespace}/deployments/${o.name}`;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    if (req.headers.authorization !== `Bearer ${o.token ?? "fake-token"}`) return status(res, 401, "Unauthorized", "Unauthorized");
    const url = (req.url ?? "").split("?")[0];
    if (req.method !== "GET" || !url.startsWith("/apis/apps/v1/namespaces/")) return status(res, 404, "NotFound", "the server could not find the requested resource");
    if (url !== path) {
      const name = url.split("/").at(-1);
      return status(res, 404, "NotFound", `deployments.apps "${name}" not found`);
    }
    deployment.calls++;
    const call = deployment.calls;
    if (o.holdFromCall !== undefined && call >= o.holdFromCall) return void held.push(res);
    if (o.throttle?.(call)) return status(res, 429, "TooManyRequests", "the server has received too many requests and has asked us to try again later");
    if (o.serverError?.(call)) return status(res, 503, "ServiceUnavailable", "the server is currently unable to handle the request");
    const refusal = o.refuse?.(call);
    if (refusal) return status(res, refusal.status, "Forbidden", refusal.message);
    deployment.step();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(deployment.json()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server: `http://127.0.0.1:${port}`,
    deployment,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const r of held) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A kubeconfig (YAML) whose context `context` (also the current one unless `current` names another) reaches `server` with a bearer token. */
export function kubeconfigFor(server: string, o: { context?: string; current?: string; token?: string } = {}): string {
  const context = o.context ?? "fake";
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${context}-cluster`,
    "  cluster:",
    `    server: ${server}`,
    // The client refuses plain http otherwise (the fake speaks no TLS).
    "    insecure-skip-tls-verify: true",
    // Another cluster, unreachable: a wrong context choice fails loudly.
    "- name: elsewhere-cluster",
    "  cluster:",
    "    server: http://127.0.0.1:1",
    "    insecure-skip-tls-verify: true",
    "users:",
    `- name: ${context}-user`,
    "  user:",
    `    token: ${o.token ?? "fake-token"}`,
    "contexts:",
    `- name: ${context}`,
    "  context:",
    `    cluster: ${context}-cluster`,
    `    user: ${context}-user`,
    "- name: elsewhere",
    "  context:",
    "    cluster: elsewhere-cluster",
    `    user: ${context}-user`,
    `current-context: ${o.current ?? context}`,
    "",
  ].join("\n");
}
