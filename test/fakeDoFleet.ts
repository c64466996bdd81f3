/**
 * A fake DigitalOcean API on loopback (node:http on 127.0.0.1:0) that simulates a fleet of
 * droplets behind a load balancer, for the healer's tests: the droplets list by tag, the
 * load balancer, the `droplets_health_checks` metric (one sample a minute, computed from
 * the simulated health at each minute), and droplet actions (power_cycle, rebuild), which
 * change a droplet's health over (fake or real) time. It can answer 429, 500, or hold a
 * request until the client gives up, per path and time window.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** How a droplet fails: what fixes it. */
export type Failure =
  /** A hung kernel or app: a power cycle fixes it. */
  | "hung"
  /** A broken disk or install: only a rebuild fixes it. */
  | "disk"
  /** Nothing the healer does fixes it. */
  | "hopeless";

/** One simulated droplet. */
export interface SimDroplet {
  /** Its id. */
  id: number;
  /** Creation time (ms). */
  createdAt: number;
  /** Its tags. */
  tags: string[];
  /** Its status. */
  status: string;
  /** Whether the load balancer lists it. */
  inLoadBalancer: boolean;
  /** When it breaks (ms), and how. */
  breaks?: { at: number; failure: Failure };
  /** The actions taken on it. */
  actions: Array<{ type: string; at: number; image?: string; healthyBefore: boolean }>;
}

/** A rule that makes the fake misbehave: requests whose path matches, between `from` and `until` (ms). */
export interface Misbehaviour {
  /** Matches the request's method and path (`GET /v2/droplets`). */
  match: RegExp;
  /** Start (ms, fleet clock). */
  from: number;
  /** End (ms, fleet clock), exclusive. */
  until: number;
  /** What to do: 429 (with these headers), 500, or hold the request and never answer. */
  answer: { status: 429; headers: Record<string, string> } | { status: 500 } | "hang";
  /** Only this many times (default: always within the window). */
  times?: number;
}

/** One request the fake saw. */
export interface SeenRequest {
  /** Fleet time (ms). */
  at: number;
  /** `GET /v2/droplets?...`. */
  line: string;
  /** The status answered ("hang" when held). */
  status: number | "hang";
  /** The JSON body, if any. */
  body?: unknown;
}

/** Options of the fleet. */
export interface FleetOptions {
  /** The fleet's clock (ms): a fake clock, or Date.now. */
  now: () => number;
  /** Seconds a power-cycled droplet takes to serve again. */
  bootSeconds?: number;
  /** Seconds a rebuilt droplet takes to serve again. */
  rebuildSeconds?: number;
  /** The load balancer's id. */
  loadBalancerId: string;
}

/** The fake API and its fleet. */
export class FakeDoFleet {
  readonly droplets: SimDroplet[] = [];
  readonly requests: SeenRequest[] = [];
  readonly misbehaviours: Misbehaviour[] = [];
  private server?: Server;
  private held: ServerResponse[] = [];
  private waiters: Array<{ condition: () => boolean; resolve: () => void }> = [];
  /** The API root the healer is pointed at (`http://127.0.0.1:<port>/v2`). */
  apiRoot = "";

  constructor(readonly options: FleetOptions) {}

  /** Adds a droplet. */
  add(d: Omit<SimDroplet, "actions" | "status" | "inLoadBalancer"> & Partial<Pick<SimDroplet, "status" | "inLoadBalancer">>): SimDroplet {
    const droplet: SimDroplet = { status: "active", inLoadBalancer: true, actions: [], ...d };
    this.droplets.push(droplet);
    return droplet;
  }

  /** The simulated truth: whether the droplet passes the load balancer's check at `t`. */
  healthyAt(d: SimDroplet, t: number): boolean {
    const acts = d.actions.filter((a) => a.at <= t);
    const last = acts[acts.length - 1];
    if (last && t < last.at + 1000 * (last.type === "rebuild" ? this.options.rebuildSeconds ?? 300 : this.options.bootSeconds ?? 90)) return false;
    if (!d.breaks || t < d.breaks.at) return true;
    const since = acts.filter((a) => a.at >= d.breaks!.at);
    const fixedBy = (type: string) => (type === "power_cycle" ? d.breaks!.failure === "hung" : d.breaks!.failure !== "hopeless");
    return since.some((a) => fixedBy(a.type));
  }

  /** How many droplets are healthy at `t`. */
  healthyCount(t: number): number {
    return this.droplets.filter((d) => this.healthyAt(d, t)).length;
  }

  /** Every action taken, oldest first, with the droplet. */
  actions(): Array<{ dropletId: number; type: string; at: number; image?: string; healthyBefore: boolean }> {
    return this.droplets.flatMap((d) => d.actions.map((a) => ({ dropletId: d.id, ...a }))).sort((a, b) => a.at - b.at);
  }

  /** Resolves once `condition` holds, checked now and after each answered request (a test waits on what the healer did, not on time). */
  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ condition, resolve }));
  }

  private wakeWaiters(): void {
    const met = this.waiters.filter((w) => w.condition());
    this.waiters = this.waiters.filter((w) => !met.includes(w));
    for (const w of met) w.resolve();
  }

  /** Starts listening on 127.0.0.1, on a free port. */
  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.apiRoot = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v2`;
  }

  /** Stops, dropping held requests. */
  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.held = [];
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    const now = this.options.now();
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const line = `${req.method} ${url.pathname}${url.search}`;
    const seen: SeenRequest = { at: now, line, status: 200, ...(body !== undefined && { body }) };
    this.requests.push(seen);
    const send = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      seen.status = status;
      res.writeHead(status, { "Content-Type": "application/json", ...headers });
      res.end(json === undefined ? "" : JSON.stringify(json));
      this.wakeWaiters();
    };
    if (req.headers.authorization !== "Bearer dop_v1_fake") return send(401, { id: "unauthorized", message: "Unable to authenticate you" });
    const rule = this.misbehaviours.find((m) => m.match.test(line) && now >= m.from && now < m.until && (m.times === undefined || m.times > 0));
    if (rule) {
      if (rule.times !== undefined) rule.times--;
      if (rule.answer === "hang") {
        seen.status = "hang";
        this.held.push(res);
        return;
      }
      return send(rule.answer.status, { id: "misbehaving", message: "simulated" }, rule.answer.status === 429 ? rule.answer.headers : {});
    }

    if (req.method === "GET" && url.pathname === "/v2/droplets") {
      const tag = url.searchParams.get("tag_name") ?? "";
      const droplets = this.droplets.filter((d) => d.tags.includes(tag)).map((d) => ({ id: d.id, status: d.status, created_at: new Date(d.createdAt).toISOString(), tags: d.tags }));
      return send(200, { droplets, links: {}, meta: { total: droplets.length } });
    }
    const lb = /^\/v2\/load_balancers\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && lb) {
      if (lb[1] !== this.options.loadBalancerId) return send(404, { id: "not_found" });
      return send(200, { load_balancer: { id: lb[1], droplet_ids: this.droplets.filter((d) => d.inLoadBalancer).map((d) => d.id) } });
    }
    if (req.method === "GET" && url.pathname === "/v2/monitoring/metrics/load_balancer/droplets_health_checks") {
      if (url.searchParams.get("lb_id") !== this.options.loadBalancerId) return send(404, { id: "not_found" });
      const start = Number(url.searchParams.get("start"));
      const end = Number(url.searchParams.get("end"));
      const result = this.droplets.filter((d) => d.inLoadBalancer).map((d) => {
        const values: Array<[number, string]> = [];
        // One sample a minute, each the truth at that minute (the check runs far more often).
        for (let s = Math.ceil(start / 60) * 60; s <= end; s += 60) {
          if (s * 1000 >= d.createdAt) values.push([s, this.healthyAt(d, s * 1000) ? "1" : "0"]);
        }
        return { metric: { lb_id: this.options.loadBalancerId, droplet_id: String(d.id) }, values };
      }).filter((s) => s.values.length > 0);
      return send(200, { status: "success", data: { resultType: "matrix", result } });
    }
    const action = /^\/v2\/droplets\/(\d+)\/actions$/.exec(url.pathname);
    if (req.method === "POST" && action) {
      const d = this.droplets.find((x) => String(x.id) === action[1]);
      if (!d) return send(404, { id: "not_found" });
      const { type, image } = (body ?? {}) as { type?: string; image?: string };
      if (type !== "power_cycle" && type !== "rebuild") return send(422, { id: "unprocessable_entity", message: `unknown type ${String(type)}` });
      if (type === "rebuild" && !image) return send(422, { id: "unprocessable_entity", message: "image is required" });
      d.actions.push({ type, at: now, healthyBefore: this.healthyAt(d, now), ...(image && { image }) });
      return send(201, { action: { id: d.actions.length, status: "in-progress", type, resource_id: d.id } });
    }
    return send(404, { id: "not_found", message: line });
  }
}
