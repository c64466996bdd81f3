/**
 * The wait for a GCP scale-up (issue 19). A workload's nodes are a regional managed
 * instance group whose size the autoscaler owns (nodeGroup.ts: `ignoreChanges:
 * ["targetSize"]`), so raising `count` only raises the autoscaler's `minReplicas`, and
 * that update returns before the new instances exist. This dynamic resource, one per group
 * and depending on the group and its autoscaler, makes `pulumi up` return only when the
 * group has at least `count` instances that serve: it polls the Compute REST API (the
 * group for its `targetSize`, `status.isStable` and autohealing policy; its
 * `listManagedInstances` for each instance's status, current action and health) until at
 * least `count` instances are RUNNING with no current action (`NONE`: not CREATING, not
 * VERIFYING) and, when the group autoheals, HEALTHY in every health check. A rollout or a
 * first deploy needs none of this: the group's own `waitForInstances` covers them.
 *
 * Which updates wait: those that raise `count` above the count the previous `pulumi up`
 * declared (../dynamicWait.ts `withPreviousCount`/`raisesCount`, the same rule as AWS's).
 * A lower or unchanged count is no change and calls nothing; a failed scale-up keeps the
 * old state, so the next `pulumi up` waits again; creating this resource waits for nothing
 * (a new group's creation waits for its instances itself).
 *
 * Identity: the same as the Pulumi GCP provider's. `gcp:accessToken` (or
 * GOOGLE_OAUTH_ACCESS_TOKEN) is used as it is; otherwise `gcp:credentials` (or
 * GOOGLE_CREDENTIALS: a key file's path or contents), otherwise Application Default
 * Credentials, through the official google-auth-library, required lazily in the provider
 * so mocks and the offline plan never load it. The stack's settings come in as secret
 * inputs and never go to the outputs. HA_TOPOLOGY_GCP_COMPUTE_URL overrides the API's base
 * URL (tests point it at a fake).
 *
 * Throttling (429) and server errors (5xx) are ridden out with the shared backoff; other
 * refusals (403, 404) fail at once, naming what to check. Cancellation and progress lines
 * are those of ../dynamicWait.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { errorText, pollUntil, raisesCount, realWorld, waitError, withCancellation, withPreviousCount, type WaitWorld } from "../dynamicWait";
import { ShippedDynamicResource } from "../../shippedDynamicResource";

/** The Compute API's base URL. */
const computeBaseUrl = "https://compute.googleapis.com/compute/v1";
/** The scope the wait's token needs (read-only would do; the provider's own is cloud-platform). */
const computeScope = "https://www.googleapis.com/auth/cloud-platform";

/** The part of the Compute API's InstanceGroupManager the wait reads. */
export interface GroupAnswer {
  /** The group's name. */
  name?: string;
  /** How many instances the group means to run (the autoscaler sets it). */
  targetSize?: number;
  /** Whether every instance has reached its target state. */
  status?: { isStable?: boolean };
  /** Its autohealing policies: with one, an instance counts only once healthy. */
  autoHealingPolicies?: { healthCheck?: string; initialDelaySec?: number }[];
}

/** The part of the Compute API's ManagedInstance the wait reads. */
export interface ManagedInstanceAnswer {
  /** The instance's name. */
  name?: string;
  /** PROVISIONING, STAGING, RUNNING, STOPPING, …. */
  instanceStatus?: string;
  /** NONE, CREATING, VERIFYING, RECREATING, …. */
  currentAction?: string;
  /** Its state in each autohealing health check. */
  instanceHealth?: { healthCheck?: string; detailedHealthState?: string }[];
  /** The last attempt's errors (e.g. quota), when the group could not create it. */
  lastAttempt?: { errors?: { errors?: { code?: string; message?: string }[] } };
}

/** The group and its instances, as one poll reads them. */
export interface GroupReading {
  group: GroupAnswer;
  instances: ManagedInstanceAnswer[];
}

/** Which group a call is about. */
export interface GroupRef {
  /** The group's project. */
  project: string;
  /** The group's region. */
  region: string;
  /** The group's name. */
  groupName: string;
}

/** Reads a group and its instances (the REST calls; tests point them at a fake API). */
export type ReadGroup = (ref: GroupRef, signal: AbortSignal) => Promise<GroupReading>;

/** What the wait needs from the outside world; injectable so tests need no Google and no real time. */
export interface ScaleWaitDeps extends WaitWorld {
  /** Reads the group and its instances. */
  readGroup: ReadGroup;
}

/** An HTTP answer the API refused, as the wait reads it. */
export interface ApiError extends Error {
  /** The HTTP status. */
  status?: number;
  /** Node's network error code (ECONNRESET, …), when the call never got an answer. */
  code?: string;
}

/** True for a failed call worth another poll: throttling, a server error, a network failure. */
export function isTransient(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const err = e as ApiError & { cause?: { code?: string } };
  if (err.status === 429 || (err.status !== undefined && err.status >= 500)) return true;
  const code = err.code ?? err.cause?.code ?? "";
  return ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "UND_ERR_SOCKET"].includes(code);
}

/** Gets an OAuth access token for the Compute API. */
export type TokenSource = () => Promise<string>;

/**
 * The Compute REST calls with global fetch: `GET …/instanceGroupManagers/{name}` and
 * `POST …/instanceGroupManagers/{name}/listManagedInstances` (every page).
 */
export function restReadGroup(token: TokenSource, baseUrl: string = computeBaseUrl): ReadGroup {
  const call = async <T>(method: "GET" | "POST", url: string, signal: AbortSignal): Promise<T> => {
    const response = await fetch(url, { method, headers: { authorization: `Bearer ${await token()}`, accept: "application/json" }, signal });
    const text = await response.text();
    if (!response.ok) {
      let detail = text.slice(0, 300);
      try {
        const body = JSON.parse(text) as { error?: { status?: string; message?: string } };
        if (body.error?.message) detail = `${body.error.status ?? response.status}: ${body.error.message}`;
      } catch {
        // Not JSON (a proxy's page): the text as it is.
      }
      const e: ApiError = new Error(`HTTP ${response.status} ${detail}`);
      e.name = "ComputeApiError";
      e.status = response.status;
      throw e;
    }
    return JSON.parse(text) as T;
  };
  return async (ref, signal) => {
    const path = `${baseUrl.replace(/\/$/, "")}/projects/${encodeURIComponent(ref.project)}/regions/${encodeURIComponent(ref.region)}/instanceGroupManagers/${encodeURIComponent(ref.groupName)}`;
    const group = await call<GroupAnswer>("GET", path, signal);
    const instances: ManagedInstanceAnswer[] = [];
    let pageToken: string | undefined;
    do {
      const page: { managedInstances?: ManagedInstanceAnswer[]; nextPageToken?: string } = await call("POST", `${path}/listManagedInstances?maxResults=500${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ""}`, signal);
      instances.push(...(page.managedInstances ?? []));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return { group, instances };
  };
}

/** The identity settings of the stack's GCP provider (secret inputs; unset: the environment's). */
export interface Identity {
  /** `gcp:accessToken`. */
  accessToken?: string;
  /** `gcp:credentials`: a key file's path or its JSON contents. */
  credentials?: string;
}

/**
 * Tokens as the Pulumi GCP provider gets them: an access token as it is (the stack's, or
 * GOOGLE_OAUTH_ACCESS_TOKEN); else google-auth-library with the stack's credentials (or
 * GOOGLE_CREDENTIALS), else Application Default Credentials. The library is required on
 * the first token only, and caches and refreshes the token itself.
 */
export function providerTokens(identity: Identity): TokenSource {
  const fixed = identity.accessToken ?? process.env.GOOGLE_OAUTH_ACCESS_TOKEN;
  if (fixed) return async () => fixed;
  let auth: import("google-auth-library").GoogleAuth | undefined;
  return async () => {
    if (!auth) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const lib = require("google-auth-library") as typeof import("google-auth-library");
      const credentials = identity.credentials ?? process.env.GOOGLE_CREDENTIALS;
      const key = credentials === undefined ? {} : credentials.trim().startsWith("{") ? { credentials: JSON.parse(credentials) as import("google-auth-library").JWTInput } : { keyFilename: credentials };
      auth = new lib.GoogleAuth({ scopes: [computeScope], ...key });
    }
    const token = await auth.getAccessToken();
    if (!token) throw new Error("google-auth-library returned no access token");
    return token;
  };
}

/** The real world: the REST API with the provider's identity, the clock, stdout, the process's signals. */
export function defaultDeps(identity: Identity): ScaleWaitDeps {
  return { ...realWorld(), readGroup: restReadGroup(providerTokens(identity), process.env.HA_TOPOLOGY_GCP_COMPUTE_URL ?? computeBaseUrl) };
}

/** What a scale-up wait reads of the group. */
export interface CapacityView {
  /** Instances RUNNING, with no current action, and (autohealing) HEALTHY: the nodes that count. */
  ready: number;
  /** The group's target size, as GCP has it. */
  targetSize?: number;
  /** Whether the group is stable. */
  isStable?: boolean;
  /** Whether the group autoheals (an instance then counts only once healthy). */
  autohealing: boolean;
  /** The other instances, by `<status>/<action>` (`NO_INSTANCE/CREATING`: no VM yet) or, running and settled, `RUNNING/<health>`. */
  others: Record<string, number>;
  /** The first error of an instance the group could not create, if any. */
  lastError?: string;
}

/** The API's answer as the wait reads it. */
export function capacityOf(r: GroupReading): CapacityView {
  const autohealing = (r.group.autoHealingPolicies ?? []).length > 0;
  const others: Record<string, number> = {};
  let ready = 0;
  let lastError: string | undefined;
  for (const i of r.instances) {
    const status = i.instanceStatus ?? "NO_INSTANCE";
    const action = i.currentAction ?? "NONE";
    const health = i.instanceHealth ?? [];
    const healthy = !autohealing || (health.length > 0 && health.every((h) => h.detailedHealthState === "HEALTHY"));
    if (status === "RUNNING" && action === "NONE" && healthy) ready++;
    else {
      const unhealthy = health.find((h) => h.detailedHealthState !== "HEALTHY")?.detailedHealthState ?? "UNKNOWN";
      const key = status === "RUNNING" && action === "NONE" ? `RUNNING/${unhealthy}` : `${status}/${action}`;
      others[key] = (others[key] ?? 0) + 1;
    }
    const error = i.lastAttempt?.errors?.errors?.[0];
    if (error && !lastError) lastError = `${error.code ?? "ERROR"}: ${error.message ?? ""}`.trim();
  }
  return {
    ready,
    ...(r.group.targetSize !== undefined && { targetSize: r.group.targetSize }),
    ...(r.group.status?.isStable !== undefined && { isStable: r.group.status.isStable }),
    autohealing,
    others,
    ...(lastError && { lastError }),
  };
}

/** What a scale-up wait is about. */
export interface CapacityOptions extends GroupRef {
  /** How many instances must serve: the raised `count`. */
  count: number;
  /** The count before (for the messages). */
  previousCount: number;
  /** The longest the wait lasts. */
  timeoutSeconds: number;
  /** The pause between polls. */
  pollSeconds?: number;
}

/** What a scale-up wait found. */
export interface CapacityResult {
  /** The group when the wait ended. */
  group: CapacityView;
  /** Polls made (each one GET and one listManagedInstances). */
  polls: number;
}

/** The name of the errors a wait throws. */
export const scaleWaitErrorName = "ScaleWaitError";

/** The gcloud commands that show a group's instances (their health, their last errors) and the group. */
export function groupCommands(ref: GroupRef): string {
  const where = `${ref.groupName} --region ${ref.region} --project ${ref.project}`;
  return `\`gcloud compute instance-groups managed list-instances ${where}\` (its instances, their health and why a creation failed) and \`gcloud compute instance-groups managed describe ${where}\` (its target size and status)`;
}

/** One progress line: `<group>: 3 of 4 nodes running and healthy (target size 4)`. */
export function capacityLine(groupName: string, view: CapacityView, count: number): string {
  return `${groupName}: ${view.ready} of ${count} nodes running${view.autohealing ? " and healthy" : ""}${view.targetSize !== undefined ? ` (target size ${view.targetSize})` : ""}`;
}

/**
 * Waits until the group has at least `count` instances RUNNING, with no current action and
 * (autohealing) HEALTHY; more is fine (the autoscaler may hold it above its minimum).
 * Throws a ScaleWaitError when `timeoutSeconds` passed (the group goes on creating), when
 * the signal aborted, or when the API refused the call; throttling is ridden out.
 */
export async function waitForCapacity(o: CapacityOptions, deps: ScaleWaitDeps, signal: AbortSignal): Promise<CapacityResult> {
  let last: CapacityView | undefined;
  let lastLine = "";
  const state = () => {
    if (!last) return "";
    const others = Object.entries(last.others).map(([key, n]) => `${n} ${key}`);
    const size = last.targetSize !== undefined ? `; target size ${last.targetSize}${last.isStable === false ? ", not stable" : ""}` : "";
    const error = last.lastError ? `; last creation error: ${last.lastError}` : "";
    return ` (${last.ready} of ${o.count} RUNNING${last.autohealing ? " and HEALTHY" : ""}${others.length > 0 ? `; the others: ${others.join(", ")}` : ""}${size}${error})`;
  };
  return pollUntil<GroupReading, CapacityResult>(
    {
      timeoutSeconds: o.timeoutSeconds,
      ...(o.pollSeconds !== undefined && { pollSeconds: o.pollSeconds }),
      read: (s) => deps.readGroup(o, s),
      judge: (reading, polls) => {
        last = capacityOf(reading);
        const line = capacityLine(o.groupName, last, o.count);
        if (line !== lastLine) deps.log(line);
        lastLine = line;
        return last.ready >= o.count ? { group: last, polls } : undefined;
      },
      transient: isTransient,
      refused: (e) =>
        waitError(
          scaleWaitErrorName,
          `Could not read managed instance group ${o.groupName} in ${o.region} (project ${o.project}): ${errorText(e)}. ` +
            "The credentials `pulumi up` runs with need compute.instanceGroupManagers.get (roles/compute.viewer). " +
            `The group goes on creating instances toward its autoscaler's new minimum of ${o.count}: see ${groupCommands(o)}.`,
        ),
      stopped: (why) =>
        waitError(
          scaleWaitErrorName,
          `Stopped waiting for managed instance group ${o.groupName} to scale up from ${o.previousCount} to ${o.count} nodes${state()}: ${why}. ` +
            `Its autoscaler's minimum is ${o.count} already, so it goes on creating instances (autohealing recreates one that stays unhealthy past its initial delay). ` +
            `See ${groupCommands(o)}. ` +
            "The next `pulumi up` waits for the scale-up again; lowering `count` back ends it.",
        ),
      timedOut: `not enough nodes after ${o.timeoutSeconds} s (the wait's limit)`,
    },
    deps,
    signal,
  );
}

/** The resource's inputs. */
export interface ScaleWaitInputs extends Identity {
  /** The group's project. */
  project: string;
  /** The group's region. */
  region: string;
  /** The group's name. */
  groupName: string;
  /** The autoscaler's minimum (the nodes' `count`): raising it is a scale-up to wait for. */
  count: number;
  /** The `count` the previous `pulumi up` declared (filled in by `check` from the old inputs; unset on creation). */
  previousCount?: number;
  /** The longest a scale-up wait lasts. */
  timeoutSeconds: number;
}

/** The resource's state: its inputs without the identity. */
export type ScaleWaitState = Omit<ScaleWaitInputs, keyof Identity>;

/** The provider's methods the engine calls. */
export type ScaleWaitProvider = Required<Pick<pulumi.dynamic.ResourceProvider<ScaleWaitInputs, ScaleWaitState>, "check" | "diff" | "create" | "update" | "delete">>;

/** The inputs as state: the identity stays out of the outputs. */
function stateOf(inputs: ScaleWaitInputs): ScaleWaitState {
  const { accessToken: _token, credentials: _credentials, ...state } = inputs;
  return state;
}

/** The provider; `injected` replaces the real world in tests. */
export function scaleWaitProvider(injected?: ScaleWaitDeps): ScaleWaitProvider {
  return {
    async check(olds, news) {
      return { inputs: withPreviousCount(olds, news) };
    },
    async diff(_id, olds, news) {
      // A raised count is a scale-up to wait for; another group is a new wait. A lower or
      // unchanged count, another timeout or another identity is no change.
      const replaces = olds.groupName !== news.groupName || olds.region !== news.region || olds.project !== news.project ? ["groupName"] : [];
      return { changes: replaces.length > 0 || raisesCount(news), replaces, deleteBeforeReplace: false };
    },
    async create(inputs) {
      // A new group's creation waits for its instances itself (waitForInstances).
      return { id: `scale-wait-${inputs.project}-${inputs.region}-${inputs.groupName}`, outs: stateOf(inputs) };
    },
    async update(_id, _olds, news) {
      if (raisesCount(news)) {
        const deps = injected ?? defaultDeps({ ...(news.accessToken && { accessToken: news.accessToken }), ...(news.credentials && { credentials: news.credentials }) });
        const o: CapacityOptions = { project: news.project, region: news.region, groupName: news.groupName, count: news.count, previousCount: news.previousCount!, timeoutSeconds: news.timeoutSeconds };
        await withCancellation(deps, (signal) => waitForCapacity(o, deps, signal));
      }
      return { outs: stateOf(news) };
    },
    async delete() {
      // Nothing to undo: waiting changed nothing in GCP.
    },
  };
}

/** Arguments of ScaleWait. */
export interface ScaleWaitArgs {
  /** The group's project. */
  project: pulumi.Input<string>;
  /** The group's region. */
  region: pulumi.Input<string>;
  /** The group's name. */
  groupName: pulumi.Input<string>;
  /** The autoscaler's minimum (the nodes' `count`). */
  count: number;
  /** The longest a scale-up wait lasts. */
  timeoutSeconds: number;
  /** `gcp:accessToken`, when the stack sets it (a secret). */
  accessToken?: pulumi.Input<string>;
  /** `gcp:credentials`, when the stack sets it (a secret: a key file's path or contents). */
  credentials?: pulumi.Input<string>;
}

/** Waits, on every `pulumi up` that raises the group's count, for that many instances to serve. */
export class ScaleWait extends ShippedDynamicResource {
  constructor(name: string, args: ScaleWaitArgs, opts?: pulumi.CustomResourceOptions) {
    super("GcpScaleWait", name, {
      project: args.project,
      region: args.region,
      groupName: args.groupName,
      count: args.count,
      timeoutSeconds: args.timeoutSeconds,
      ...(args.accessToken && { accessToken: pulumi.secret(args.accessToken) }),
      ...(args.credentials && { credentials: pulumi.secret(args.credentials) }),
    }, { ...opts, additionalSecretOutputs: ["accessToken", "credentials"] });
  }
}
