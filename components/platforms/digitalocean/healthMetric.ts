/**
 * Reading the load balancer's per-droplet health check metric (`droplets_health_checks`
 * of the monitoring API): the series of an answer, the series of one droplet, and the
 * verdict on it. Shared by the rollout gates (healthGate.ts) and the healer (healer.ts),
 * so both judge a droplet the same way; healthGate.ts's module comment says how the
 * samples are read. Pure functions, no imports: both bundle them into code that runs
 * outside the program (the dynamic provider host, the healer's worker, which has no
 * node_modules).
 */

/** One time series of a Prometheus-style answer of the monitoring API. */
export interface MetricSeries {
  /** The series' labels (which label names the droplet is not documented). */
  metric: Record<string, string>;
  /** The samples as [unix seconds, value as text], oldest first. */
  values: Array<[number, string]>;
}

/**
 * The value of full health in a series: 100 when the series uses the percentage scale
 * (any sample above 1), else 1 (the 0/1 or 0-1 fraction scale). See the module comment.
 */
export function fullHealthOf(series: MetricSeries): number {
  return series.values.some(([, v]) => Number(v) > 1) ? 100 : 1;
}

/**
 * A sample is healthy only at full health: `full` (1 or 100, from fullHealthOf), within
 * rounding. A share of the checks ("0.5", "33", "99.9") is not healthy.
 */
export function isHealthySample(value: string, full: number): boolean {
  const n = Number(value);
  return Number.isFinite(n) && Math.abs(n - full) < 1e-6 * full;
}

/**
 * Reads the series out of a monitoring API answer, tolerating shapes it should not have
 * (a missing result, an instant `value` instead of `values`). Anything unreadable is no
 * series: the gate keeps polling rather than failing on it.
 */
export function parseSeries(body: unknown): MetricSeries[] {
  const data = (body as { data?: { result?: unknown } } | null)?.data;
  const result = data?.result;
  if (!Array.isArray(result)) return [];
  const series: MetricSeries[] = [];
  for (const entry of result as Array<Record<string, unknown>>) {
    if (typeof entry !== "object" || entry === null) continue;
    const labels = (typeof entry.metric === "object" && entry.metric !== null ? entry.metric : {}) as Record<string, unknown>;
    const raw = Array.isArray(entry.values) ? entry.values : Array.isArray(entry.value) ? [entry.value] : [];
    const values: Array<[number, string]> = [];
    for (const sample of raw as unknown[]) {
      if (!Array.isArray(sample) || sample.length < 2) continue;
      const at = Number(sample[0]);
      if (Number.isFinite(at)) values.push([at, String(sample[1])]);
    }
    values.sort((a, b) => a[0] - b[0]);
    series.push({ metric: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])), values });
  }
  return series;
}

/**
 * The series of one droplet. The label that names the droplet is not documented
 * (`droplet_id`, `host_id`, ...), so any label whose value is the droplet's id matches.
 */
export function seriesOfDroplet(series: MetricSeries[], dropletId: string): MetricSeries[] {
  return series.filter((s) => Object.values(s.metric).some((v) => v === dropletId));
}

/** The verdict on one droplet's series. */
export interface HealthVerdict {
  /** True when every series of the droplet ends with at least `threshold` healthy samples. */
  healthy: boolean;
  /** Unix seconds of the first sample of the healthy streak (when healthy). */
  since?: number;
  /** What was seen, for the timeout message. */
  detail: string;
}

/**
 * Judges a droplet from its series: healthy when each of them ends with `threshold`
 * consecutive samples at full health (several series, e.g. one per forwarding rule, must
 * all agree).
 */
export function judgeDroplet(series: MetricSeries[], dropletId: string, threshold: number): HealthVerdict {
  const own = seriesOfDroplet(series, dropletId);
  if (own.length === 0) {
    const seen = series.slice(0, 5).map((s) => `{${Object.entries(s.metric).map(([k, v]) => `${k}=${v}`).join(",")}}`);
    return {
      healthy: false,
      detail: series.length === 0
        ? "the load balancer reported no health check series yet"
        : `no series names droplet ${dropletId}; series seen: ${seen.join(" ")}${series.length > 5 ? " ..." : ""}`,
    };
  }
  let since = 0;
  let healthy = true;
  const recent: string[] = [];
  for (const s of own) {
    const full = fullHealthOf(s);
    let streak = 0;
    while (streak < s.values.length && isHealthySample(s.values[s.values.length - 1 - streak][1], full)) streak++;
    recent.push(s.values.slice(-Math.max(threshold, 1)).map((v) => v[1]).join(","));
    if (streak < threshold) healthy = false;
    else since = Math.max(since, s.values[s.values.length - streak][0]);
  }
  return {
    healthy,
    since: healthy ? since : undefined,
    detail: `latest samples of droplet ${dropletId}: [${recent.join("] [")}]`,
  };
}
