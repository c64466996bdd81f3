/**
 * The routes of the public web workloads on the shared load balancer: each (host, path
 * prefix) is served by one workload, and a cloud whose load balancer cannot route by path
 * gets one load balancer per host instead (capabilities.ts).
 */
import { describeValue } from "../configError";
import type { Capabilities } from "./capabilities";
import type { BindingProblem } from "./bindings";
import type { WebInput } from "./schema";

/** A parsed web workload with its name, before normalisation. */
export interface WebEntry {
  /** The workload's name. */
  name: string;
  /** Its parsed fields. */
  web: Pick<WebInput, "public" | "path" | "host">;
  /** True for a static site (its refusals name the site's reasons, not a web's). */
  site?: boolean;
}

/** Where a public web is served; undefined for an internal one. */
export function routeOf(web: WebEntry["web"], domain: string): { host: string; path: string } | undefined {
  return web.public ? { host: web.host ?? domain, path: web.path ?? "/" } : undefined;
}

/** RFC 3986 unreserved characters: percent-encoding one of them is the same path as writing it. */
const unreserved = /^[A-Za-z0-9._~-]$/;

/**
 * Why a route's path prefix has a second spelling a load balancer (or the client before
 * it) may read as another path, or undefined. Dot segments are removed by clients and
 * some load balancers (`/./api` is `/api`), a percent-encoded unreserved character is the
 * character itself (`/%61pi` is `/api`), and a `%` must start an escape: so two routes
 * could be one path to one cloud and two to another. Letter case is kept: paths are
 * case-sensitive on every cloud's load balancer, so `/api` and `/API` are two routes.
 */
export function routePathProblem(path: string): string | undefined {
  // `*` is a wildcard in ALB path patterns and GCP path rules: a literal one would route more.
  if (path.includes("*")) return 'a path prefix without "*" (a wildcard on the load balancers: every path under the prefix is already routed)';
  const segments = path.split("/").slice(1);
  if (segments.some((s) => s === "." || s === "..")) return 'a path prefix without "." or ".." segments (clients and load balancers remove them, so it would be another path)';
  for (const m of path.matchAll(/%(.{0,2})/g)) {
    if (!/^[0-9A-Fa-f]{2}$/.test(m[1])) return 'a path prefix whose "%" starts an escape of two hex digits, such as "%20"';
    const char = String.fromCharCode(parseInt(m[1], 16));
    if (unreserved.test(char)) return `a path prefix that writes ${JSON.stringify(char)} itself rather than %${m[1]} (the same path, spelled two ways)`;
  }
  return undefined;
}

/** The key two routes clash on: host and path, with percent-escapes in one case. */
function routeKey(route: { host: string; path: string }): string {
  return `${route.host}${route.path.replace(/%[0-9a-f]{2}/gi, (e) => e.toUpperCase())}`;
}

/** One problem per route no load balancer of this cloud can serve. */
export function routeProblems(webs: readonly WebEntry[], domain: string, cloud: string, caps: Capabilities): BindingProblem[] {
  const problems: BindingProblem[] = [];
  const served = new Map<string, string>();
  for (const { name, web, site } of webs) {
    if (!web.public) {
      for (const key of ["path", "host"] as const) {
        if (web[key] !== undefined) {
          problems.push({ path: ["workloads", name, key], received: describeValue(web[key]), allowed: "unset for an internal web workload (public: false has no public route; the others reach it by its private URL)" });
        }
      }
      continue;
    }
    const route = routeOf(web, domain)!;
    const spelling = web.path !== undefined ? routePathProblem(web.path) : undefined;
    if (spelling) {
      problems.push({ path: ["workloads", name, "path"], received: describeValue(web.path), allowed: spelling });
      continue;
    }
    // The domain's "/" is the load balancer's default action, not a rule condition.
    if (caps.maxRouteValue !== undefined && !(route.host === domain && route.path === "/")) {
      // The path is matched as `<path>` and `<path>/*`: the longer one must fit.
      const [key, value, length] = route.path.length + 2 > caps.maxRouteValue ? ["path", web.path, route.path.length + 2] as const : route.host.length > caps.maxRouteValue ? ["host", web.host, route.host.length] as const : [undefined, undefined, 0] as const;
      if (key) {
        problems.push({ path: ["workloads", name, key], received: describeValue(value), allowed: `a ${key} of at most ${key === "path" ? caps.maxRouteValue - 2 : caps.maxRouteValue} characters on ${cloud} (${length} given; ${caps.maxRouteValueWhy})` });
        continue;
      }
    }
    if (!caps.pathRouting && route.path !== "/" && site) {
      problems.push({
        path: ["workloads", name, "path"],
        received: describeValue(web.path),
        allowed: `"/" or unset for a site on ${cloud} (${caps.siteRoutingWhy ?? caps.routingWhy ?? "its load balancer cannot route by path"})`,
      });
      continue;
    }
    if (!caps.pathRouting && route.path !== "/") {
      problems.push({
        path: ["workloads", name, "path"],
        received: describeValue(web.path),
        allowed: `"/" or unset on ${cloud} (${caps.routingWhy ?? "its load balancer cannot route by path"}): give the workload its own host instead`,
      });
      continue;
    }
    const key = routeKey(route);
    const other = served.get(key);
    if (other) {
      // Named on the key that made the clash: the path if set, else the host (both unset: the path, "/").
      const on = web.path === undefined && web.host !== undefined ? "host" : "path";
      problems.push({
        path: ["workloads", name, on],
        received: describeValue(web[on]),
        allowed: `a route no other workload serves: workloads.${other} already serves ${route.host}${route.path}${caps.pathRouting ? "" : ` (on ${cloud} each public web workload needs its own host)`}`,
      });
      continue;
    }
    served.set(key, name);
  }
  return problems;
}
