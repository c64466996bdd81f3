/**
 * How the public web workloads' routes become ALB listener rules: conditions by
 * host-header and path-pattern, and priorities that depend only on each route itself.
 *
 * An ALB evaluates rules by priority (1 first, at most 50000) and the first match wins.
 * Routes on different hosts never overlap (every rule names its host), and on one host a
 * route can only shadow a longer one below it (`/api` over `/api/v2`). So the priority's
 * high part is the path's depth (deeper paths first) and its low part a hash of the
 * route: adding or removing a route leaves every other rule's priority as it was, so an
 * unchanged route's rule is never touched (a recomputed 1, 2, 3 would renumber them all).
 * Two routes whose hash meets at one depth are told apart in the order of their text.
 */
import { createHash } from "node:crypto";
import type { Route } from "../../model/model";

/** Rules per depth band: 128 bands of 390 fit the ALB's 50000 priorities. */
const bandSize = 390;
/** Depths beyond this share the last band (a path of 256 characters has at most 128 parts). */
const maxDepth = 127;

/** The number of segments of a path prefix: "/" is 0, "/api" 1, "/api/v2" 2. */
export function pathDepth(path: string): number {
  return path === "/" ? 0 : path.split("/").length - 1;
}

/** The key a route is known by: host and path. */
export function routeKey(route: Route): string {
  return `${route.host}${route.path}`;
}

/** The priority of every route (by `routeKey`); deterministic in the set of routes, stable for each route as others come and go. */
export function rulePriorities(routes: readonly Route[]): Map<string, number> {
  const keys = [...new Set(routes.map(routeKey))].sort();
  const byKey = new Map(routes.map((r) => [routeKey(r), r]));
  const taken = new Set<number>();
  const out = new Map<string, number>();
  for (const key of keys) {
    const band = maxDepth - Math.min(pathDepth(byKey.get(key)!.path), maxDepth);
    let slot = createHash("sha256").update(key).digest().readUInt32BE(0) % bandSize;
    // Linear probing inside the band; at most bandSize routes per depth (far above ALB's 100 rules a listener).
    for (let tries = 0; taken.has(band * bandSize + slot + 1); tries++) {
      if (tries >= bandSize) throw new Error(`aws: more than ${bandSize} routes of one path depth: an ALB listener cannot hold them`);
      slot = (slot + 1) % bandSize;
    }
    const priority = band * bandSize + slot + 1;
    taken.add(priority);
    out.set(key, priority);
  }
  return out;
}

/** A listener rule's conditions for a route: its host, and its path prefix (the prefix itself and everything under it). */
export function ruleConditions(route: Route): { hostHeader?: { values: string[] }; pathPattern?: { values: string[] } }[] {
  return [
    { hostHeader: { values: [route.host] } },
    ...(route.path === "/" ? [] : [{ pathPattern: { values: [route.path, `${route.path}/*`] } }]),
  ];
}
