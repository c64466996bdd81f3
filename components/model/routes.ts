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
}

/** Where a public web is served; undefined for an internal one. */
export function routeOf(web: WebEntry["web"], domain: string): { host: string; path: string } | undefined {
  return web.public ? { host: web.host ?? domain, path: web.path ?? "/" } : undefined;
}

/** One problem per route no load balancer of this cloud can serve. */
export function routeProblems(webs: readonly WebEntry[], domain: string, cloud: string, caps: Capabilities): BindingProblem[] {
  const problems: BindingProblem[] = [];
  const served = new Map<string, string>();
  for (const { name, web } of webs) {
    if (!web.public) {
      for (const key of ["path", "host"] as const) {
        if (web[key] !== undefined) {
          problems.push({ path: ["workloads", name, key], received: describeValue(web[key]), allowed: "unset for an internal web workload (public: false has no public route; the others reach it by its private URL)" });
        }
      }
      continue;
    }
    const route = routeOf(web, domain)!;
    if (!caps.pathRouting && route.path !== "/") {
      problems.push({
        path: ["workloads", name, "path"],
        received: describeValue(web.path),
        allowed: `"/" or unset on ${cloud} (${caps.routingWhy ?? "its load balancer cannot route by path"}): give the workload its own host instead`,
      });
      continue;
    }
    const key = `${route.host}${route.path}`;
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
