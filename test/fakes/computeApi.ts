/**
 * A fake Compute Engine REST API on loopback, for the GCP scale-up wait
 * (components/platforms/gcp/scaleWait.ts): a node:http server on 127.0.0.1 that answers
 * `GET /projects/{p}/regions/{r}/instanceGroupManagers/{name}` and
 * `POST …/{name}/listManagedInstances` in JSON (Google's `{"error": {code, message,
 * status}}` on errors, `nextPageToken` paging), and behind it a simulated regional managed
 * instance group whose autoscaler minimum was just raised. Every GET is one step of the
 * simulation: the group's target size follows the autoscaler after a step, then each new
 * instance goes PROVISIONING → STAGING (CREATING) → RUNNING (VERIFYING) → RUNNING (NONE),
 * its health UNKNOWN → HEALTHY, or UNHEALTHY for ever when the test says so. A test drives
 * the scale-up by polling, with no real waiting.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { GroupAnswer, ManagedInstanceAnswer } from "../../components/platforms/gcp/scaleWait";

/** The group to simulate. */
export interface FakeGroupOptions {
  project: string;
  region: string;
  groupName: string;
  /** Instances running and healthy before the raise. */
  before: number;
  /** The autoscaler's new minimum: the target size the group moves to. */
  after: number;
  /** Whether the group has an autohealing policy. */
  autohealing: boolean;
  /** New instances (1-based, in creation order) that never pass their health check. */
  neverHealthy?: (n: number) => boolean;
  /** New instances (1-based) the group cannot create (a quota): they stay CREATING with this last-attempt error. */
  cannotCreate?: (n: number) => { code: string; message: string } | undefined;
  /** An HTTP status (429, 503) the API answers instead, for some calls (1-based, GET and POST alike). */
  fail?: (call: number) => number | undefined;
  /** From this call on, requests are held unanswered (a hanging connection). */
  holdFromCall?: number;
  /** Instances per listManagedInstances page (the real API: up to 500). */
  pageSize?: number;
  /** The bearer token the API accepts; another gets 401. */
  token?: string;
}

/** One simulated instance. */
interface FakeInstance {
  name: string;
  /** The steps it has been through since it was created. */
  age: number;
  /** Never healthy. */
  bad: boolean;
  /** Why it cannot be created, if it cannot. */
  error?: { code: string; message: string };
}

/** What the simulation holds and what the test reads of it. */
export interface FakeGroup {
  /** Requests answered or refused (GET and POST). */
  calls: number;
  /** Each request as `GET <path>` / `POST <path>`. */
  requests: string[];
  /** Answers that were 429 or 5xx. */
  failed: number;
  /** The Authorization headers seen. */
  authorizations: string[];
  /** The simulated instances. */
  instances: FakeInstance[];
  /** The group's target size now. */
  targetSize: number;
}

/** The fake API: its base URL (in place of https://compute.googleapis.com/compute/v1), its state, and its shutdown. */
export interface FakeComputeApi {
  baseUrl: string;
  group: FakeGroup;
  close(): Promise<void>;
}

const googleStatus: Record<number, string> = { 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE", 500: "INTERNAL" };

/** An instance as the API shows it, from its age. */
function view(i: FakeInstance, o: FakeGroupOptions, project: string): ManagedInstanceAnswer {
  const phases: [string, string][] = [["PROVISIONING", "CREATING"], ["STAGING", "CREATING"], ["RUNNING", "VERIFYING"]];
  if (i.error) return { name: i.name, currentAction: "CREATING", lastAttempt: { errors: { errors: [i.error] } } };
  const [instanceStatus, currentAction] = phases[i.age] ?? ["RUNNING", "NONE"];
  const health = i.age < 4 ? "UNKNOWN" : i.bad ? "UNHEALTHY" : "HEALTHY";
  return {
    name: i.name,
    instanceStatus,
    currentAction,
    ...(o.autohealing && instanceStatus === "RUNNING" && { instanceHealth: [{ healthCheck: `https://www.googleapis.com/compute/v1/projects/${project}/global/healthChecks/${o.groupName}-live`, detailedHealthState: health }] }),
  };
}

/** Starts the fake API on a free loopback port. */
export async function startFakeCompute(o: FakeGroupOptions): Promise<FakeComputeApi> {
  const group: FakeGroup = { calls: 0, requests: [], failed: 0, authorizations: [], instances: [], targetSize: o.before };
  // The instances from before the raise have been running (and healthy) for long.
  for (let n = 0; n < o.before; n++) group.instances.push({ name: `${o.groupName}-old${n}`, age: 99, bad: false });
  let created = 0;
  const step = () => {
    for (const i of group.instances) i.age++;
    // The autoscaler's new minimum reaches the group one step after the raise.
    if (group.calls > 1) group.targetSize = o.after;
    while (group.instances.length < group.targetSize) {
      created++;
      const error = o.cannotCreate?.(created);
      group.instances.push({ name: `${o.groupName}-new${created}`, age: 0, bad: o.neverHealthy?.(created) ?? false, ...(error && { error }) });
    }
  };
  const base = `/compute/v1/projects/${o.project}/regions/${o.region}/instanceGroupManagers/${o.groupName}`;
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, message: string) => send(res, status, { error: { code: status, message, status: googleStatus[status] ?? "UNKNOWN" } });
  const held: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      group.calls++;
      const url = new URL(req.url ?? "/", "http://fake");
      group.requests.push(`${req.method} ${url.pathname}`);
      group.authorizations.push(req.headers.authorization ?? "");
      if (o.holdFromCall !== undefined && group.calls >= o.holdFromCall) return void held.push(res);
      const failure = o.fail?.(group.calls);
      if (failure !== undefined) {
        group.failed++;
        return error(res, failure, failure === 429 ? "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per region'" : "The service is currently unavailable.");
      }
      if (o.token !== undefined && req.headers.authorization !== `Bearer ${o.token}`) return error(res, 401, "Request had invalid authentication credentials.");
      if (req.method === "GET" && url.pathname === base) {
        step();
        const stable = group.instances.every((i) => i.age >= 3);
        const answer: GroupAnswer = {
          name: o.groupName,
          targetSize: group.targetSize,
          status: { isStable: stable && group.instances.length === group.targetSize },
          ...(o.autohealing && { autoHealingPolicies: [{ healthCheck: `projects/${o.project}/global/healthChecks/${o.groupName}-live`, initialDelaySec: 120 }] }),
        };
        return send(res, 200, answer);
      }
      if (req.method === "POST" && url.pathname === `${base}/listManagedInstances`) {
        const size = o.pageSize ?? 500;
        const start = Number(url.searchParams.get("pageToken") ?? "0");
        const page = group.instances.slice(start, start + size).map((i) => view(i, o, o.project));
        const next = start + size < group.instances.length ? { nextPageToken: String(start + size) } : {};
        return send(res, 200, { managedInstances: page, ...next });
      }
      return error(res, 404, `The resource '${url.pathname}' was not found`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/compute/v1`,
    group,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
