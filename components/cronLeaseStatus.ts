/**
 * What alerts you when a DigitalOcean cron job fails or does not run. DigitalOcean can
 * alert on droplet metrics and on uptime checks of a URL, never on a signal of our own, so
 * each of a job's droplets answers an uptime check with the job's state:
 *
 * - every minute a status check (a systemd timer) reads the lease's tables
 *   (cronLease.ts) and writes a one-line verdict: `failing` when the latest tick that was
 *   due (at least `graceMinutes` + 1 minutes old, and after the job was first seen) has no
 *   row (no node claimed it: a missed run), failed, was lost, or has run past its timeout;
 *   or when any run failed or was lost in the last `recentFailureMinutes`, so a short
 *   failure is still seen by the alert; `failing` too when the database cannot be reached
 *   (then no tick can run). Otherwise `ok`;
 * - a tiny HTTP responder (python3's standard library, as an unprivileged DynamicUser)
 *   answers `GET /cron/<job>` with 200 for a fresh `ok` verdict and 503 otherwise (a
 *   stale verdict means the check stopped). The answer is one word: the details stay in
 *   the journal and the table.
 *
 * Both droplets judge the same table, so a failed run fails both checks (two mails), and
 * a dead droplet fails its own (one mail: the other still runs every tick).
 *
 * Pure (no Pulumi, no SDK): the platform writes these texts to the node.
 */
import { shellQuote } from "./bootstrap";
import { cronLeaseEnv, cronLeasePaths, cronLeaseTables, cronLeaseTablesSql, cronJobNamePattern, parseCron, type CronLeaseSpec } from "./cronLease";

/** The port the status responder listens on (the uptime checks' target; the firewall opens it). */
export const cronStatusPort = 9469;

/** A failed or lost run keeps the verdict failing this long, so the uptime alert (2 minutes) sees it. */
export const recentFailureMinutes = 15;

/** Paths and names of the status check on the node. */
export const cronStatusPaths = {
  /** Where the verdicts live (tmpfs; world-readable: a verdict holds no secret). */
  dir: "/run/ha-topology-cron",
  /** A job's verdict file. */
  verdict: (job: string) => `/run/ha-topology-cron/${job}`,
  script: (job: string) => `/usr/local/sbin/ha-topology-cron-${job}-status`,
  unitName: (job: string) => `ha-topology-cron-${job}-status`,
  serviceFile: (job: string) => `/etc/systemd/system/ha-topology-cron-${job}-status.service`,
  timerFile: (job: string) => `/etc/systemd/system/ha-topology-cron-${job}-status.timer`,
  responder: "/usr/local/sbin/ha-topology-cron-status-responder",
  responderUnitName: "ha-topology-cron-status-responder",
  responderFile: "/etc/systemd/system/ha-topology-cron-status-responder.service",
} as const;

/** The URL path the uptime check requests on each of the job's droplets. */
export function cronStatusPath(job: string): string {
  return `/cron/${job}`;
}

/** Environment the status script reads besides libpq's (tests drive it through them). */
export const cronStatusEnv = {
  /** Overrides the verdicts' directory. */
  dir: "HA_TOPOLOGY_CRON_STATUS_DIR",
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
  WHEN due.tick IS NULL OR due.tick < j.since THEN 'ok no tick was due since the job was first seen'
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
# Generated by ha-topology: the state of cron job ${spec.job} for its uptime alert (see
# ${cronStatusPaths.responder}): ok, or failing with why. No secret is read or printed here
# but libpq's own (PGPASSFILE).
set -u
export TZ=UTC LC_ALL=C
job=${shellQuote(spec.job)}
dir="\${${cronStatusEnv.dir}:-${cronStatusPaths.dir}}"
now=\${${cronLeaseEnv.now}:-$(date -u +%s)}
case "$now" in ''|*[!0-9]*) echo "ha-topology cron $job status: ${cronLeaseEnv.now} must be epoch seconds" >&2; exit 2 ;; esac
unset PGPASSWORD
export PGCONNECT_TIMEOUT="\${PGCONNECT_TIMEOUT:-10}"
verdict=$(${psql} -X -q -A -t -v job="$job" -v now="$now" <<'SQL'
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

/** A verdict older than this is stale: the check stopped, which is failing too. */
export const staleVerdictSeconds = 300;

/** The responder (python3, standard library only): one word per request, no logs, GET and HEAD. */
export function renderCronStatusResponder(): string {
  return `#!/usr/bin/python3
# Generated by ha-topology: answers the uptime checks of the cron jobs on this droplet.
# GET /cron/<job>: 200 "ok" for a fresh ok verdict, 503 "failing" otherwise (a stale or
# missing verdict too). One word only: the details stay in the journal.
import http.server, os, re, sys, time

directory = os.environ.get("${cronStatusEnv.dir}", "${cronStatusPaths.dir}")
port = int(sys.argv[1]) if len(sys.argv) > 1 else ${cronStatusPort}
job_path = re.compile(r"^/cron/([a-z][a-z0-9-]{0,62})$")

def healthy(job):
    path = os.path.join(directory, job)
    try:
        if time.time() - os.stat(path).st_mtime > ${staleVerdictSeconds}:
            return False
        with open(path) as f:
            return f.read(3) == "ok "
    except OSError:
        return False

class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "ha-topology"
    sys_version = ""

    def answer(self, body):
        m = job_path.match(self.path)
        code = 200 if m and healthy(m.group(1)) else (503 if m else 404)
        text = {200: b"ok\\n", 503: b"failing\\n", 404: b"not found\\n"}[code]
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if body:
            self.wfile.write(text)

    def do_GET(self):
        self.answer(True)

    def do_HEAD(self):
        self.answer(False)

    def log_message(self, *args):
        pass

http.server.ThreadingHTTPServer(("", port), Handler).serve_forever()
`;
}

/** The responder's unit: an unprivileged dynamic user that can read the verdicts and nothing else. */
export function renderCronStatusResponderUnit(): string {
  return `# Generated by ha-topology: answers the uptime checks of this droplet's cron jobs.
[Unit]
Description=ha-topology cron status responder
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=0

[Service]
ExecStart=${cronStatusPaths.responder} ${cronStatusPort}
Restart=always
RestartSec=5
DynamicUser=yes
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
CapabilityBoundingSet=
RestrictAddressFamilies=AF_INET AF_INET6

[Install]
WantedBy=multi-user.target
`;
}
