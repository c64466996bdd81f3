/**
 * What alerts you when a DigitalOcean cron job fails or does not run. DigitalOcean can
 * alert on droplet metrics and on uptime checks (HTTP, HTTPS or ping), never on a signal
 * of our own, and a status port open to the internet would be an exposure. So each of a
 * job's droplets answers a ping uptime check only while the job is healthy:
 *
 * - every minute a status check (a systemd timer) reads the lease's tables
 *   (cronLease.ts) and writes a one-line verdict: `failing` when the latest tick that was
 *   due (at least `graceMinutes` + 1 minutes old, after the job was first seen and after
 *   this node booted: a changed schedule replaces the droplets) has no
 *   row (no node claimed it: a missed run), failed, was lost, or has run past its timeout;
 *   or when any run failed or was lost in the last `recentFailureMinutes`, so a short
 *   failure is still seen by the alert; `failing` too when the database cannot be reached
 *   (then no tick can run). Otherwise `ok`;
 * - while the verdict is failing, the droplet drops ICMP echo requests (one iptables rule,
 *   removed when the verdict is ok again), so the ping check of that droplet fails and its
 *   alert mails `alarms.email`. Nothing listens for it: the firewall admits ICMP only.
 *
 * Both droplets judge the same table, so a failed run fails both checks (two mails), and
 * a dead droplet fails its own (one mail: the other still runs every tick). The verdict's
 * details stay in the journal and the table.
 *
 * Pure (no Pulumi, no SDK): the platform writes these texts to the node.
 */
import { shellQuote } from "./bootstrap";
import { cronLeaseEnv, cronLeasePaths, cronLeaseTables, cronLeaseTablesSql, cronJobNamePattern, parseCron, type CronLeaseSpec } from "./cronLease";

/** A failed or lost run keeps the verdict failing this long, so the uptime alert (2 minutes) sees it. */
export const recentFailureMinutes = 15;

/** Paths and names of the status check on the node. */
export const cronStatusPaths = {
  /** Where the verdicts live (tmpfs). */
  dir: "/run/ha-topology-cron",
  /** A job's verdict file. */
  verdict: (job: string) => `/run/ha-topology-cron/${job}`,
  script: (job: string) => `/usr/local/sbin/ha-topology-cron-${job}-status`,
  unitName: (job: string) => `ha-topology-cron-${job}-status`,
  serviceFile: (job: string) => `/etc/systemd/system/ha-topology-cron-${job}-status.service`,
  timerFile: (job: string) => `/etc/systemd/system/ha-topology-cron-${job}-status.timer`,
} as const;

/** The comment of the iptables rule that drops pings while a job is failing (one rule per job). */
export function cronFailingRuleComment(job: string): string {
  return `ha-topology-cron-${job}-failing`;
}

/** Environment the status script reads besides libpq's (tests drive it through them). */
export const cronStatusEnv = {
  /** Overrides the verdicts' directory. */
  dir: "HA_TOPOLOGY_CRON_STATUS_DIR",
  /** Overrides the node's boot time (epoch seconds; default /proc/stat's btime). */
  booted: "HA_TOPOLOGY_CRON_BOOTED",
  /** Overrides the iptables binary (tests record its calls instead of changing the host's firewall). */
  iptables: "HA_TOPOLOGY_CRON_IPTABLES",
} as const;

/** A SQL int[] literal of the values (they are integers the parser produced). */
function intArray(values: number[]): string {
  return `'{${values.join(",")}}'::int[]`;
}

/** The status check's SQL: one line, `ok ...` or `failing ...`. */
function statusSql(spec: CronLeaseSpec): string {
  const c = parseCron(spec.schedule);
  const { jobs, ticks } = cronLeaseTables;
  const grace = (spec.graceMinutes ?? 5) + 1;
  const stuck = spec.timeoutSeconds + (spec.killAfterSeconds ?? 10) + 120;
  // Times: the schedule's ticks are judged against :now (the node's clock, or the test's);
  // durations of rows against the server's now(), which wrote them.
  const tickText = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"')`;
  return String.raw`\set ON_ERROR_STOP on
\set QUIET on
SET statement_timeout = '30s';
${cronLeaseTablesSql()}WITH clock AS (SELECT to_timestamp(:now) AS at),
due AS (
  SELECT (d + make_interval(hours => h, mins => m)) AT TIME ZONE 'UTC' AS tick
  FROM clock,
    generate_series(date_trunc('day', clock.at AT TIME ZONE 'UTC') - interval '366 days', date_trunc('day', clock.at AT TIME ZONE 'UTC'), interval '1 day') AS d,
    unnest(${intArray(c.hour)}) AS h,
    unnest(${intArray(c.minute)}) AS m
  WHERE extract(month FROM d)::int = ANY (${intArray(c.month)})
    AND extract(day FROM d)::int = ANY (${intArray(c.dayOfMonth)})
    AND extract(dow FROM d)::int = ANY (${intArray(c.dayOfWeek)})
    AND (d + make_interval(hours => h, mins => m)) AT TIME ZONE 'UTC' <= clock.at - interval '${grace} minutes'
  ORDER BY 1 DESC
  LIMIT 1
)
SELECT CASE
  WHEN recent.tick IS NOT NULL THEN 'failing tick ' || ${tickText("recent.tick")} || ' ' || recent.status || ': ' || coalesce(recent.detail, '')
  WHEN due.tick IS NULL OR due.tick < j.since OR due.tick < to_timestamp(:booted) THEN 'ok no tick was due since the job was first seen and this node booted'
  WHEN t.status IS NULL THEN 'failing tick ' || ${tickText("due.tick")} || ' missed: no node claimed it (are the job''s droplets up?)'
  WHEN t.status IN ('failed', 'lost') THEN 'failing tick ' || ${tickText("due.tick")} || ' ' || t.status || ': ' || coalesce(t.detail, '')
  WHEN t.status IN ('claimed', 'running') AND now() - coalesce(t.started_at, t.claimed_at) > interval '${stuck} seconds'
    THEN 'failing tick ' || ${tickText("due.tick")} || ' has run for more than ${stuck} s, past its timeout: its node may have stopped'
  ELSE 'ok tick ' || ${tickText("due.tick")} || ' ' || t.status
END
FROM ${jobs} AS j
  LEFT JOIN due ON true
  LEFT JOIN ${ticks} AS t ON t.job = j.job AND t.tick = due.tick
  LEFT JOIN LATERAL (
    SELECT tick, status, detail FROM ${ticks}
    WHERE job = j.job AND status IN ('failed', 'lost') AND finished_at > now() - interval '${recentFailureMinutes} minutes'
    ORDER BY tick DESC LIMIT 1
  ) AS recent ON true
WHERE j.job = :'job';
`;
}

/** The status check of one job: run every minute on each of its droplets, as root (it reads the lease's connection). */
export function renderCronStatusScript(spec: CronLeaseSpec): string {
  if (!cronJobNamePattern.test(spec.job)) throw new Error(`cron status: job name ${JSON.stringify(spec.job)} is not a workload name`);
  const psql = spec.psql ?? "psql";
  return `#!/bin/bash
# Generated by ha-topology: the state of cron job ${spec.job} for its uptime alert: ok, or
# failing with why; while failing, this droplet drops pings, so its ping check alarms.
# No secret is read or printed here but libpq's own (PGPASSFILE).
set -u
export TZ=UTC LC_ALL=C
job=${shellQuote(spec.job)}
dir="\${${cronStatusEnv.dir}:-${cronStatusPaths.dir}}"
now=\${${cronLeaseEnv.now}:-$(date -u +%s)}
# Ticks before this node booted are not judged here: a changed schedule replaces the droplets
# (it is in their user data), and the old schedule's ticks are no missed runs of the new one.
booted=\${${cronStatusEnv.booted}:-$(awk '/^btime/ { print $2 }' /proc/stat)}
case "$now$booted" in ''|*[!0-9]*) echo "ha-topology cron $job status: ${cronLeaseEnv.now} and ${cronStatusEnv.booted} must be epoch seconds" >&2; exit 2 ;; esac
unset PGPASSWORD
export PGCONNECT_TIMEOUT="\${PGCONNECT_TIMEOUT:-10}"
verdict=$(${psql} -X -q -A -t -v job="$job" -v now="$now" -v booted="$booted" <<'SQL'
${statusSql(spec)}SQL
)
psql_status=$?
if [ "$psql_status" -ne 0 ] || [ -z "$verdict" ]; then
  verdict="failing the lease database cannot be reached (psql exit code $psql_status): no tick can run"
fi
mkdir -p "$dir" && chmod 0755 "$dir"
tmp=$(mktemp "$dir/.$job.XXXXXX") || exit 1
printf '%s\\n' "$verdict" > "$tmp" && chmod 0644 "$tmp" && mv -f "$tmp" "$dir/$job"
echo "ha-topology cron $job status: $verdict"
# The signal for the ping check: one DROP rule for echo requests while failing, none while ok.
ipt="\${${cronStatusEnv.iptables}:-iptables}"
rule=(INPUT -p icmp --icmp-type echo-request -m comment --comment ${shellQuote(cronFailingRuleComment(spec.job))} -j DROP)
case "$verdict" in
  ok*) while "$ipt" -w -C "\${rule[@]}" 2>/dev/null; do "$ipt" -w -D "\${rule[@]}" || break; done ;;
  *) "$ipt" -w -C "\${rule[@]}" 2>/dev/null || "$ipt" -w -I "\${rule[@]}" || echo "ha-topology cron $job status: could not set the failing signal (iptables)" >&2 ;;
esac
`;
}

/** The status check's systemd service (started by its timer). */
export function renderCronStatusService(spec: CronLeaseSpec): string {
  return `# Generated by ha-topology: the state of cron job ${spec.job}, for its uptime alert.
[Unit]
Description=ha-topology cron job ${spec.job} status
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
EnvironmentFile=${cronLeasePaths.dbEnvFile}
ExecStart=${cronStatusPaths.script(spec.job)}
TimeoutStartSec=120
`;
}

/** The status check's timer: every minute, half-way between the ticks. */
export function renderCronStatusTimer(spec: CronLeaseSpec): string {
  return `# Generated by ha-topology: the state of cron job ${spec.job}, every minute.
[Unit]
Description=ha-topology cron job ${spec.job} status, every minute

[Timer]
OnCalendar=*-*-* *:*:30 UTC
AccuracySec=1s
Persistent=false
Unit=${cronStatusPaths.unitName(spec.job)}.service

[Install]
WantedBy=timers.target
`;
}
