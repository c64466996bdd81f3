/**
 * The wait for a Deployment's scale-up (issue 19). Each workload's Deployment ignores
 * `spec.replicas` (its HorizontalPodAutoscaler owns it) and the HPA's `minReplicas` is the
 * workload's `count`; so raising `count` updates only the HPA, whose update returns at once,
 * and `pulumi up` would report done while the new pods are still being scheduled, pulled
 * and probed. This dynamic resource, one per Deployment and depending on the Deployment and
 * its HPA, makes a `pulumi up` that RAISES `count` return only when the Deployment has that
 * many available pods: it polls `GET /apis/apps/v1/namespaces/{ns}/deployments/{name}`
 * until `status.observedGeneration >= metadata.generation` (the status describes the spec
 * the HPA set) and `status.availableReplicas >= count` (more is fine: the autoscaler may
 * hold it above its new minimum). Available means what Pulumi's own Deployment await counts:
 * a web pod passed its readiness probe, a worker pod stayed up `minReadySeconds`.
 *
 * A create (new Deployment: Pulumi's Deployment await already waits for its replicas; or
 * this resource added to an existing stack) and a lower or unchanged count wait for nothing
 * and call nothing. The count the previous `pulumi up` declared comes from the old INPUTS in
 * `check`, exactly as the AWS wait's (../aws/refreshWait.ts, which explains why); a failed
 * scale-up keeps the old state, so the next `pulumi up` waits for it again.
 *
 * The cluster is the one the Pulumi Kubernetes provider uses: the program uses the default
 * provider, which reads `kubernetes:kubeconfig` (a path or the file's contents) and
 * `kubernetes:context` from the stack, else KUBECONFIG / ~/.kube/config (or in-cluster) and
 * its current context. The resource takes the same two settings as inputs (the kubeconfig
 * as a secret) and reads through @kubernetes/client-node, which handles the same auth
 * (client certificates, tokens, exec plugins such as `aws eks get-token` and
 * `gke-gcloud-auth-plugin`).
 *
 * Polling, backoff on 429/5xx/network errors, the deadline, cancellation on SIGINT/SIGTERM
 * and progress lines on stdout are the AWS wait's (`pollUntil`, `processCancellation`,
 * imported from ../aws/refreshWait.ts; see there for why stdout and why signals).
 *
 * The provider runs in the dynamic provider host, loaded from ha-topology's providers bundle
 * (../../shippedDynamicResource.ts); @kubernetes/client-node is required lazily inside the
 * real client, so neither the program, the mocks nor the offline plan ever load it.
 */
import type { AppsV1Api, KubeConfig, V1Deployment } from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import {
  abortableSleep,
  pollUntil,
  processCancellation,
  raisesCount as sharedRaisesCount,
  waitError,
  withPreviousCount,
  type Cancellation,
} from "../dynamicWait";
import { ShippedDynamicResource } from "../../shippedDynamicResource";

/** Kubernetes' default `progressDeadlineSeconds` (the Deployments set none): how long the controller gives a Deployment to make progress. */
export const progressDeadlineSeconds = 600;
/** The scale-up wait's limit: the progress deadline, plus a minute for the HPA's sync (15 s) and the last probes. */
export const scaleWaitTimeoutSeconds = progressDeadlineSeconds + 60;
/** The pause between two polls when all is well. */
const defaultPollSeconds = 5;
/** The longest one request may take before it counts as a failed (transient) poll. */
const requestTimeoutMs = 30_000;

/** What the wait reads of a Deployment. */
export interface DeploymentView {
  /** metadata.generation: bumped by every spec change (the HPA's replica count too). */
  generation: number;
  /** status.observedGeneration: the generation the controller's status describes. */
  observedGeneration: number;
  /** spec.replicas, as the HPA set it. */
  replicas: number;
  /** status.availableReplicas. */
  available: number;
  /** status.readyReplicas. */
  ready: number;
  /** status.unavailableReplicas. */
  unavailable: number;
  /** The conditions that are not fine (a Progressing or Available one that is False, a ReplicaFailure), as `Type=Status: reason: message`. */
  problems: string[];
}

/** A Deployment as the wait reads it. */
export function deploymentView(d: V1Deployment): DeploymentView {
  const s = d.status ?? {};
  const problems = (s.conditions ?? [])
    .filter((c) => c.type === "ReplicaFailure" ? c.status === "True" : c.status !== "True")
    .map((c) => `${c.type}=${c.status}${c.reason ? `: ${c.reason}` : ""}${c.message ? `: ${c.message}` : ""}`);
  return {
    generation: d.metadata?.generation ?? 0,
    observedGeneration: s.observedGeneration ?? 0,
    replicas: d.spec?.replicas ?? 0,
    available: s.availableReplicas ?? 0,
    ready: s.readyReplicas ?? 0,
    unavailable: s.unavailableReplicas ?? 0,
    problems,
  };
}

/** Reads one Deployment, or undefined when it does not exist (the API call; tests point it at a fake API server). */
export type ReadDeployment = (namespace: string, name: string, signal: AbortSignal) => Promise<V1Deployment | undefined>;

/** What the wait needs from the outside world; injectable so tests need no cluster and no real time. */
export interface ScaleWaitDeps {
  /** Reads the Deployment. */
  read: ReadDeployment;
  /** The current time, in milliseconds since the epoch. */
  now: () => number;
  /** Waits this many milliseconds, or rejects when the signal aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Prints one progress line where `pulumi up` shows it. */
  log: (line: string) => void;
  /** Where cancellation comes from: the provider host's signals. */
  cancellation: () => Cancellation;
}

/** Which cluster: the stack's `kubernetes:kubeconfig` (a path or contents) and `kubernetes:context`, each unset for the default. */
export interface ClusterAccess {
  /** The kubeconfig's path or its contents; unset: KUBECONFIG, ~/.kube/config, or in-cluster. */
  kubeconfig?: string;
  /** The context; unset: the kubeconfig's current context. */
  context?: string;
}

/** True when a `kubernetes:kubeconfig` value is the file's contents rather than its path (the provider accepts both). */
export function isKubeconfigContents(value: string): boolean {
  return value.includes("\n") || /^\s*[{[]/.test(value) || /^\s*apiVersion\s*:/.test(value);
}

/** The client's configuration for a cluster, the library loaded only now. */
export function loadKubeConfig(access: ClusterAccess): { kc: KubeConfig; lib: typeof import("@kubernetes/client-node") } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
  const kc = new lib.KubeConfig();
  if (access.kubeconfig === undefined) kc.loadFromDefault();
  else if (isKubeconfigContents(access.kubeconfig)) kc.loadFromString(access.kubeconfig);
  else kc.loadFromFile(access.kubeconfig.replace(/^~(?=\/|$)/, process.env.HOME ?? "~"));
  if (access.context !== undefined) kc.setCurrentContext(access.context);
  return { kc, lib };
}

/**
 * Rejects when the signal aborts or the request takes longer than `requestTimeoutMs` (the
 * generated client takes no abort signal per call). A hung request is a transient failure
 * (`TimeoutError`, which the poll loop retries); an abort ends the wait.
 */
function bounded<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error(String(signal.reason)));
    };
    if (signal.aborted) return onAbort();
    timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      const e = new Error(`no answer within ${requestTimeoutMs / 1000} s`);
      e.name = "TimeoutError";
      reject(e);
    }, requestTimeoutMs);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (v) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/**
 * An API server's refusal, with its HTTP status in `code` (`isTransient` reads it) and the
 * server's own message (its Status object's) in the message.
 */
export function apiError(code: number, body: unknown): Error {
  let detail = "";
  try {
    const status = (typeof body === "string" ? JSON.parse(body) : body) as { message?: string; reason?: string };
    detail = status?.message ?? status?.reason ?? "";
  } catch {
    detail = typeof body === "string" ? body.slice(0, 200) : "";
  }
  const e = new Error(`HTTP ${code}${detail ? `: ${detail}` : ""}`) as Error & { code: number };
  e.name = "KubernetesApiError";
  e.code = code;
  return e;
}

/** The GET of one Deployment through @kubernetes/client-node (one client per wait). */
export function clientRead(access: ClusterAccess): ReadDeployment {
  let api: AppsV1Api | undefined;
  let lib: typeof import("@kubernetes/client-node") | undefined;
  return async (namespace, name, signal) => {
    if (!api || !lib) {
      const loaded = loadKubeConfig(access);
      lib = loaded.lib;
      api = loaded.kc.makeApiClient(lib.AppsV1Api);
    }
    try {
      return await bounded(api.readNamespacedDeployment({ name, namespace }), signal);
    } catch (e) {
      if (e instanceof lib.ApiException) {
        if (e.code === 404) return undefined;
        throw apiError(e.code, e.body);
      }
      throw e;
    }
  };
}

/**
 * The real world: the cluster through @kubernetes/client-node, the system clock, setTimeout,
 * stdout, the process's signals. A function: each wait uses the globals of the moment.
 */
export function defaultScaleWaitDeps(access: ClusterAccess): ScaleWaitDeps {
  return { read: clientRead(access), now: () => Date.now(), sleep: abortableSleep, log: (line) => console.log(line), cancellation: processCancellation };
}

/** The name of the errors a wait throws. */
export const scaleWaitErrorName = "ScaleWaitError";

/** The error of a wait that stopped (dynamicWait.ts `waitError`: a plain Error with a name). */
export function scaleWaitError(message: string): Error {
  return waitError(scaleWaitErrorName, message);
}

/** A failed read worth another poll: throttling, a server error, or no answer at all (network, timeout). */
export function isTransient(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code !== "number" || code === 429 || code >= 500;
}

/** What one wait is about. */
export interface ScaleUpOptions {
  /** The Deployment's namespace. */
  namespace: string;
  /** The Deployment's name. */
  deploymentName: string;
  /** Its HorizontalPodAutoscaler's name. */
  hpaName: string;
  /** How many pods must be available: the raised `count`. */
  count: number;
  /** The count before (for the messages). */
  previousCount: number;
  /** The longest the wait lasts. */
  timeoutSeconds: number;
  /** The pause between polls. */
  pollSeconds?: number;
  /** The context, when the stack names one (the commands then name it too). */
  context?: string;
}

/** What a wait found. */
export interface ScaleUpResult {
  /** The Deployment when the wait ended. */
  deployment: DeploymentView;
  /** GET calls made. */
  polls: number;
}

/** The kubectl commands that show why pods do not come: the Deployment, the HPA, the namespace's events. */
export function kubectlCommands(o: Pick<ScaleUpOptions, "namespace" | "deploymentName" | "hpaName" | "context">): string {
  const k = `kubectl${o.context ? ` --context ${o.context}` : ""} -n ${o.namespace}`;
  return `\`${k} get deploy ${o.deploymentName}\`, \`${k} describe hpa ${o.hpaName}\` and \`${k} get events --sort-by=.lastTimestamp\``;
}

/** One progress line: `<ns>/<name>: 3 of 4 pods available`. */
export function scaleLine(o: Pick<ScaleUpOptions, "namespace" | "deploymentName" | "count">, v: DeploymentView): string {
  return `deployment ${o.namespace}/${o.deploymentName}: ${v.available} of ${o.count} pods available${v.replicas < o.count ? ` (the autoscaler has set ${v.replicas} replicas so far)` : ""}`;
}

/** True when the Deployment serves the raised count: its status is current and enough pods are available. */
export function isScaledUp(v: DeploymentView, count: number): boolean {
  return v.observedGeneration >= v.generation && v.available >= count;
}

/**
 * Waits until the Deployment has at least `count` available pods. Throws a ScaleWaitError
 * when `timeoutSeconds` passed (the autoscaler keeps its new minimum, so Kubernetes goes on
 * trying), when the signal aborted, when the Deployment is gone, or when the API server
 * refused the call; 429s, 5xx and network errors are ridden out with backoff.
 */
export async function waitForScaleUp(o: ScaleUpOptions, deps: ScaleWaitDeps, signal: AbortSignal): Promise<ScaleUpResult> {
  const what = `Deployment ${o.deploymentName} in namespace ${o.namespace}`;
  let last: DeploymentView | undefined;
  let lastLine = "";
  const state = () => {
    if (!last) return "";
    const stale = last.observedGeneration < last.generation ? `; the controller has not yet seen generation ${last.generation}` : "";
    return ` (${last.available} of ${o.count} available, ${last.replicas} desired, ${last.ready} ready${stale}${last.problems.length > 0 ? `; ${last.problems.join("; ")}` : ""})`;
  };
  return pollUntil<V1Deployment | undefined, ScaleUpResult>(
    {
      timeoutSeconds: o.timeoutSeconds,
      pollSeconds: o.pollSeconds ?? defaultPollSeconds,
      read: (s) => deps.read(o.namespace, o.deploymentName, s),
      transient: isTransient,
      judge: (d, polls) => {
        if (!d) throw scaleWaitError(`${what} does not exist, so its scale-up to ${o.count} pods cannot be waited for. Check it: ${kubectlCommands(o)}.`);
        last = deploymentView(d);
        const line = scaleLine(o, last);
        if (line !== lastLine) deps.log(line);
        lastLine = line;
        return isScaledUp(last, o.count) ? { deployment: last, polls } : undefined;
      },
      refused: (e) => {
        const err = e as { name?: string; message?: string };
        return scaleWaitError(
          `Could not read ${what}: ${err.name ?? "Error"}: ${err.message ?? String(e)}. ` +
            "The credentials `pulumi up` runs with (the kubeconfig the Kubernetes provider uses) need `get` on deployments.apps in that namespace. " +
            `The HorizontalPodAutoscaler's minimum is ${o.count} already, so the pods come or not without the wait: see ${kubectlCommands(o)}.`,
        );
      },
      stopped: (why) =>
        scaleWaitError(
          `Stopped waiting for ${what} to scale up from ${o.previousCount} to ${o.count} available pods${state()}: ${why}. ` +
            `Its HorizontalPodAutoscaler's minimum is ${o.count} already, so Kubernetes goes on trying (pods Pending for lack of nodes or quota, failing their readiness probe, or not pulling their image never count). ` +
            `See ${kubectlCommands(o)}. ` +
            "The next `pulumi up` waits for the scale-up again; lowering `count` back ends it.",
        ),
      timedOut: `not enough available pods after ${o.timeoutSeconds} s (the wait's limit: the Deployment's progress deadline of ${progressDeadlineSeconds} s and a minute)`,
    },
    deps,
    signal,
  );
}

/** The resource's inputs. */
export interface ScaleWaitInputs extends ClusterAccess {
  /** The Deployment's namespace. */
  namespace: string;
  /** The Deployment's name. */
  deploymentName: string;
  /** Its HorizontalPodAutoscaler's name. */
  hpaName: string;
  /** The workload's `count`, the HPA's minReplicas: raising it is a scale-up to wait for. */
  count: number;
  /** The longest a wait lasts. */
  timeoutSeconds: number;
  /** The `count` the previous `pulumi up` declared (filled in by `check` from the old inputs; unset on creation). */
  previousCount?: number;
}

/** True when this run raises the count the previous run declared: a scale-up to wait for (dynamicWait.ts). */
export const raisesCount: (news: Pick<ScaleWaitInputs, "count" | "previousCount">) => boolean = sharedRaisesCount;

/** The state: the inputs without the kubeconfig (the cluster's credential stays out of the outputs). */
function outputsOf(inputs: ScaleWaitInputs): Omit<ScaleWaitInputs, "kubeconfig"> {
  const { kubeconfig: _kubeconfig, ...outs } = inputs;
  return outs;
}

/** The provider's methods the engine calls. */
export type ScaleWaitProvider = Required<Pick<pulumi.dynamic.ResourceProvider<ScaleWaitInputs, Omit<ScaleWaitInputs, "kubeconfig">>, "check" | "diff" | "create" | "update" | "delete">>;

/** The provider; `injected` replaces the real world in tests. */
export function scaleWaitProvider(injected?: ScaleWaitDeps): ScaleWaitProvider {
  return {
    async check(olds, news) {
      // The previous run's INPUTS (recorded even when it changed nothing), never the one passed in.
      return { inputs: withPreviousCount(olds, news) };
    },
    async diff(_id, olds, news) {
      // Another Deployment is a new wait; a raised count is a scale-up. A lower or unchanged
      // count, another timeout or other cluster settings are no change: nothing to wait for.
      const replaces = olds.namespace !== news.namespace || olds.deploymentName !== news.deploymentName ? ["deploymentName"] : [];
      return { changes: replaces.length > 0 || raisesCount(news), replaces, deleteBeforeReplace: false };
    },
    async create(inputs) {
      // A new Deployment's own await waits for its replicas; an existing one has no scale-up to wait for.
      return { id: `scale-wait-${inputs.namespace}-${inputs.deploymentName}`, outs: outputsOf(inputs) };
    },
    async update(_id, _olds, news) {
      if (raisesCount(news)) {
        const deps = injected ?? defaultScaleWaitDeps({ ...(news.kubeconfig !== undefined && { kubeconfig: news.kubeconfig }), ...(news.context !== undefined && { context: news.context }) });
        const cancellation = deps.cancellation();
        try {
          await waitForScaleUp({ ...news, count: news.count, previousCount: news.previousCount!, timeoutSeconds: news.timeoutSeconds }, deps, cancellation.signal);
        } finally {
          cancellation.dispose();
        }
      }
      return { outs: outputsOf(news) };
    },
    async delete() {
      // Nothing to undo: waiting changed nothing in the cluster.
    },
  };
}

/** Arguments of ScaleWait. */
export interface ScaleWaitArgs {
  /** The Deployment's namespace. */
  namespace: pulumi.Input<string>;
  /** The Deployment's name. */
  deploymentName: pulumi.Input<string>;
  /** Its HorizontalPodAutoscaler's name. */
  hpaName: pulumi.Input<string>;
  /** The workload's `count`. */
  count: number;
}

/**
 * The stack's cluster settings as the default Kubernetes provider reads them: the
 * kubeconfig (secret: it may be the file's contents) and the context, each only when set.
 */
export function clusterAccessInputs(): { kubeconfig?: pulumi.Output<string>; context?: string } {
  const config = new pulumi.Config("kubernetes");
  const kubeconfig = config.getSecret("kubeconfig");
  const context = config.get("context");
  return { ...(kubeconfig !== undefined && { kubeconfig }), ...(context !== undefined && { context }) };
}

/** Waits, on every `pulumi up` that raises a workload's `count`, until its Deployment has that many available pods. */
export class ScaleWait extends ShippedDynamicResource {
  constructor(name: string, args: ScaleWaitArgs, opts?: pulumi.CustomResourceOptions) {
    super("ScaleWait", name, {
      namespace: args.namespace,
      deploymentName: args.deploymentName,
      hpaName: args.hpaName,
      count: args.count,
      timeoutSeconds: scaleWaitTimeoutSeconds,
      ...clusterAccessInputs(),
    }, opts);
  }
}
