/**
 * The single-flight lease for scheduled jobs on clouds without a scheduler for containers
 * (DigitalOcean). Every node of a stack runs a systemd timer per job (the job's 5-field
 * cron schedule, in UTC); at each tick every node starts the lease script, and a lease in
 * the topology's PostgreSQL database lets exactly one of them run the job:
 *
 * 1. The tick is the scheduled minute (the latest minute at or before the node's clock that
 *    the schedule matches, within `graceMinutes`), never the clock reading itself, so nodes
 *    whose timers fire a few seconds apart name the same tick.
 * 2. Claim: `INSERT ... ON CONFLICT DO NOTHING` on the primary key (job, tick): one node
 *    in the whole stack wins the tick; the others exit.
 * 3. Single flight (concurrency `forbid`): the winner takes a session-level advisory lock
 *    (`pg_try_advisory_lock`, keyed by the job's id in `ha_topology_cron_jobs`, so two job
 *    names never share a lock) in the psql session that then runs the job (psql's `\!`)
 *    and so stays open while the job runs. A run that still holds the lock (a previous
 *    tick's) makes the tick `skipped`. A node that dies mid-run drops its session, and the
 *    database frees the lock (the session sets TCP keepalives, so a vanished peer is
 *    noticed in about a minute); the next run marks that row `lost`.
 * 4. The job runs under `timeout` (TERM at `timeoutSeconds`, KILL `killAfterSeconds` later).
 * 5. The outcome (finished, failed with the exit code, skipped, lost) is a row of
 *    `ha_topology_cron_ticks`, for alarms.
 *
 * The connection comes from libpq's environment (PGHOST, PGPORT, PGDATABASE, PGUSER,
 * PGSSLMODE), set by the unit's root-only EnvironmentFile, and the password from
 * PGPASSFILE (a root-only file): never a command line, never printed.
 *
 * Pure (no Pulumi, no SDK): the platform writes these texts to the node.
 */
import { CronExpressionError, parseCron as parseCronSchedule, type CronSchedule } from "./model/cronParse";
import { shellQuote } from "./bootstrap";
import { isNodeText } from "./nodeText";

/** Job names: the topology's workload names (lower case, digits, `-`), usable in unit names. */
export const cronJobNamePattern = /^[a-z][a-z0-9-]{0,62}$/;

/** The tables the lease keeps in the topology's database. */
export const cronLeaseTables = { jobs: "ha_topology_cron_jobs", ticks: "ha_topology_cron_ticks" } as const;

/** The first key of every advisory lock the lease takes ("ha_c"): the second is the job's id. */
export const cronLockClass = 0x68615f63;

/** The statuses a tick's row can have. */
export const cronTickStatuses = ["claimed", "running", "finished", "failed", "skipped", "lost"] as const;

/** Paths and names on the node. */
export const cronLeasePaths = {
  /** The root-only libpq environment file (PGHOST... and PGPASSFILE), read by every job's unit. */
  dbEnvFile: "/etc/ha-topology/cron/db.env",
  /** The root-only libpq password file the env file points PGPASSFILE at. */
  pgpassFile: "/etc/ha-topology/cron/pgpass",
  script: (job: string) => `/usr/local/sbin/ha-topology-cron-${job}`,
  unitName: (job: string) => `ha-topology-cron-${job}`,
  serviceFile: (job: string) => `/etc/systemd/system/ha-topology-cron-${job}.service`,
  /** The unit that runs the job once, now (`systemctl start ha-topology-cron-<job>-now`). */
  manualUnitName: (job: string) => `ha-topology-cron-${job}-now`,
  manualServiceFile: (job: string) => `/etc/systemd/system/ha-topology-cron-${job}-now.service`,
  timerFile: (job: string) => `/etc/systemd/system/ha-topology-cron-${job}.timer`,
} as const;

/** Environment variables the script reads besides libpq's (the tests drive it through them). */
export const cronLeaseEnv = {
  /** Overrides the node's clock (epoch seconds), for tests and catch-up runs by hand. */
  now: "HA_TOPOLOGY_CRON_NOW",
  /** Overrides the node's name in the tick rows (default: the hostname). */
  node: "HA_TOPOLOGY_CRON_NODE",
  /** Given to the job: the tick it runs for (ISO 8601, UTC). */
  tick: "HA_TOPOLOGY_CRON_TICK",
  /** `1`: a run by hand: the tick is the current minute, scheduled or not (the lock still applies). */
  manual: "HA_TOPOLOGY_CRON_MANUAL",
} as const;

// ---------------------------------------------------------------------------------------
// cron -> OnCalendar
// ---------------------------------------------------------------------------------------

// The schedule is parsed by the model's one parser (model/cronParse.ts); its names stay
// exported from here for the lease's importers.
export { CronExpressionError, cronMatches, type CronSchedule } from "./model/cronParse";

/**
 * Parses a 5-field cron expression (UTC), refusing what a systemd timer cannot express:
 * cron runs when EITHER restricted day field matches, and OnCalendar requires both, so a
 * schedule restricting both day fields is refused (the timer's own check, on the parse).
 */
export function parseCron(expression: string): CronSchedule {
  const s = parseCronSchedule(expression);
  if (s.restricted.dayOfMonth && s.restricted.dayOfWeek) {
    throw new CronExpressionError(
      `cron schedule ${JSON.stringify(expression)}: restricts both day of month (${s.fields[2].text}) and day of week (${s.fields[4].text}); cron runs when either matches, which one systemd timer cannot express: use * in one of them, or two jobs`,
    );
  }
  return s;
}

/**
 * One OnCalendar component: `*`, `a/n` (a repetition to the end), or a list of values and
 * `a..b` ranges. Weekdays take no repetition in systemd (`Mon/2` is refused), so they pass
 * `repeat` false.
 */
function calendarField(values: number[], min: number, max: number, pad: number, show: (n: number) => string = (n) => String(n).padStart(pad, "0"), repeat = true): string {
  const count = max - min + 1;
  if (values.length === count) return "*";
  if (repeat && values.length > 2) {
    const step = values[1] - values[0];
    const progression = values.every((v, i) => v === values[0] + i * step);
    if (progression && step > 1 && values[values.length - 1] + step > max) return `${show(values[0])}/${step}`;
  }
  const parts: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) j++;
    if (j - i >= 2) parts.push(`${show(values[i])}..${show(values[j])}`);
    else for (let k = i; k <= j; k++) parts.push(show(values[k]));
    i = j + 1;
  }
  return parts.join(",");
}

const weekdayNames = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** The systemd OnCalendar= value (in UTC) of a 5-field cron expression; throws CronExpressionError. */
export function cronToOnCalendar(expression: string): string {
  const s = parseCron(expression);
  // Weekdays: Monday first, as systemd ranges run Mon..Sun.
  let weekdays = "";
  if (s.dayOfWeek.length < 7) {
    const mondayFirst = s.dayOfWeek.map((d) => (d + 6) % 7).sort((a, b) => a - b);
    weekdays = `${calendarField(mondayFirst, 0, 6, 0, (n) => weekdayNames[(n + 1) % 7], false)} `;
  }
  const date = `*-${calendarField(s.month, 1, 12, 2)}-${calendarField(s.dayOfMonth, 1, 31, 2)}`;
  const time = `${calendarField(s.hour, 0, 23, 2)}:${calendarField(s.minute, 0, 59, 2)}:00`;
  return `${weekdays}${date} ${time} UTC`;
}

// ---------------------------------------------------------------------------------------
// The node-side texts
// ---------------------------------------------------------------------------------------

export interface CronLeaseSpec {
  /** The job's name (the workload's): in unit names, table rows and the lock. */
  job: string;
  /** 5-field cron, UTC. */
  schedule: string;
  /** The command that runs the job once (argv; e.g. the `docker run` of the job's image). */
  command: string[];
  /** The job is sent TERM after this many seconds, KILL `killAfterSeconds` later. */
  timeoutSeconds: number;
  /** Default 10. */
  killAfterSeconds?: number;
  /** Extra attempts after a failed one, within the same timeout (default 0). */
  retries?: number;
  /** How late (minutes) a node may start and still claim the scheduled tick (default 5). */
  graceMinutes?: number;
  /** Only `forbid` (the default): a running job makes later ticks skip. */
  concurrency?: "forbid";
  /** The psql binary (default `psql`, from Debian's postgresql-client). */
  psql?: string;
  /**
   * Run after every attempt, whatever its outcome, still inside the lease (argv): what
   * must not outlive a run that `timeout` killed (e.g. `docker rm -f` of the job's
   * container, which a killed `docker run` client leaves running). Default: nothing.
   */
  cleanup?: string[];
}

function checkSpec(spec: CronLeaseSpec): Required<Omit<CronLeaseSpec, "concurrency" | "cleanup">> & { cleanup: string[] } {
  const problems: string[] = [];
  if (!cronJobNamePattern.test(spec.job)) problems.push(`job name ${JSON.stringify(spec.job)}: lower-case letters, digits and -, starting with a letter, at most 63`);
  if (spec.command.length === 0) problems.push("command: at least one word");
  for (const word of [...spec.command, ...(spec.cleanup ?? [])]) if (!isNodeText(word)) problems.push(`command word ${JSON.stringify(word)}: no control characters`);
  if (spec.cleanup?.length === 0) problems.push("cleanup: at least one word, or unset");
  const int = (name: string, v: number, min: number, max: number) => {
    if (!Number.isInteger(v) || v < min || v > max) problems.push(`${name} ${v}: an integer from ${min} to ${max}`);
  };
  int("timeoutSeconds", spec.timeoutSeconds, 1, 7 * 24 * 3600);
  int("killAfterSeconds", spec.killAfterSeconds ?? 10, 1, 3600);
  int("retries", spec.retries ?? 0, 0, 10);
  int("graceMinutes", spec.graceMinutes ?? 5, 0, 60);
  if ((spec.concurrency ?? "forbid") !== "forbid") problems.push(`concurrency ${JSON.stringify(spec.concurrency)}: only forbid on this platform`);
  const psql = spec.psql ?? "psql";
  if (!/^[A-Za-z0-9._/-]+$/.test(psql)) problems.push(`psql ${JSON.stringify(psql)}: a plain path`);
  try {
    parseCron(spec.schedule);
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (problems.length > 0) throw new CronExpressionError(`cron job ${JSON.stringify(spec.job)}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return { job: spec.job, schedule: spec.schedule, command: spec.command, timeoutSeconds: spec.timeoutSeconds, killAfterSeconds: spec.killAfterSeconds ?? 10, retries: spec.retries ?? 0, graceMinutes: spec.graceMinutes ?? 5, psql, cleanup: spec.cleanup ?? [] };
}

/** A bash word list of the values, for `[[ " $set " == *" $v "* ]]` (empty: every value). */
function bashSet(values: number[], all: number): string {
  return values.length === all ? "" : ` ${values.join(" ")} `;
}

/**
 * The lease's tables, created once, and the job's row (psql, with the `job` variable):
 * concurrent first runs are serialised, since CREATE TABLE IF NOT EXISTS can race. The
 * job's `since` is when a node first ran its lease or its status check: ticks before it
 * are not missed runs (the job did not exist yet). Shared by the lease and the status
 * check (cronLeaseStatus.ts), so either may run first.
 */
export function cronLeaseTablesSql(): string {
  const { jobs, ticks } = cronLeaseTables;
  return String.raw`BEGIN;
SELECT pg_advisory_xact_lock(${cronLockClass}, 0) \g /dev/null
CREATE TABLE IF NOT EXISTS ${jobs} (id serial PRIMARY KEY, job text NOT NULL UNIQUE, since timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS ${ticks} (
  job text NOT NULL,
  tick timestamptz NOT NULL,
  node text NOT NULL,
  status text NOT NULL CHECK (status IN (${cronTickStatuses.map((t) => `'${t}'`).join(", ")})),
  exit_code integer,
  detail text,
  claimed_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  PRIMARY KEY (job, tick)
);
INSERT INTO ${jobs} (job) VALUES (:'job') ON CONFLICT (job) DO NOTHING;
COMMIT;
`;
}

/** The psql session of one tick (stdin of psql; the job's values arrive as psql variables, quoted by psql). */
function sessionSql(s: ReturnType<typeof checkSpec>): string {
  const { jobs, ticks } = cronLeaseTables;
  return String.raw`\set ON_ERROR_STOP on
\set QUIET on
-- A vanished node (its droplet died) must free its lock soon: the server probes the idle peer.
SET tcp_keepalives_idle = 30;
SET tcp_keepalives_interval = 10;
SET tcp_keepalives_count = 3;
SELECT :SERVER_VERSION_NUM >= 140000 AS has_idle_session_timeout \gset
\if :has_idle_session_timeout
  SET idle_session_timeout = 0;
\endif
SET statement_timeout = '30s';
${cronLeaseTablesSql()}SELECT id AS job_id FROM ${jobs} WHERE job = :'job' \gset
-- (a) claim the tick: one node in the stack wins it.
WITH c AS (
  INSERT INTO ${ticks} (job, tick, node, status) VALUES (:'job', :'tick', :'node', 'claimed')
  ON CONFLICT (job, tick) DO NOTHING RETURNING 1
) SELECT count(*) > 0 AS claimed FROM c \gset
\if :claimed
  -- (b) single flight: the lock is this session's until it ends, and the job runs inside it.
  SELECT pg_try_advisory_lock(${cronLockClass}, :job_id) AS locked \gset
  \if :locked
    -- Holding the lock proves no run of this job is alive: earlier unfinished rows are lost runs.
    UPDATE ${ticks} SET status = 'lost', detail = 'the node stopped during the run', finished_at = now()
      WHERE job = :'job' AND tick <> :'tick' AND (status = 'running' OR (status = 'claimed' AND claimed_at < now() - interval '10 minutes'));
    UPDATE ${ticks} SET status = 'running', node = :'node', started_at = now() WHERE job = :'job' AND tick = :'tick';
    \echo ha-topology cron :job: tick :tick claimed by :node, running
    SET statement_timeout = 0;
    \! "$HA_TOPOLOGY_CRON_SELF" --run-job
    SET statement_timeout = '30s';
    \set exit_code ${"`"}cat "$HA_TOPOLOGY_CRON_STATUS"${"`"}
    UPDATE ${ticks} SET status = CASE WHEN :exit_code = 0 THEN 'finished' ELSE 'failed' END,
      exit_code = :exit_code,
      detail = CASE WHEN :exit_code IN (124, 137) THEN 'timed out after ${s.timeoutSeconds}s' WHEN :exit_code = 0 THEN NULL ELSE 'exit code ' || :exit_code END,
      finished_at = now()
      WHERE job = :'job' AND tick = :'tick';
    SELECT pg_advisory_unlock(${cronLockClass}, :job_id) \g /dev/null
    \echo ha-topology cron :job: tick :tick done, exit code :exit_code
  \else
    -- (forbid) the previous run still holds the lock.
    UPDATE ${ticks} SET status = 'skipped', detail = 'the previous run was still running', finished_at = now()
      WHERE job = :'job' AND tick = :'tick';
    \echo ha-topology cron :job: tick :tick skipped, the previous run is still running
  \endif
\else
  \echo ha-topology cron :job: tick :tick already claimed by another node
\endif
`;
}

/**
 * The lease script for one job: run by the job's systemd service at each tick on every
 * node (as root), or by hand. Exit status: 0 when this node ran the job and it finished,
 * when another node claimed the tick, or when the tick was skipped; the job's exit code
 * when it failed; 1 when the database could not be reached (the unit fails: the journal
 * says why).
 */
export function renderCronLeaseScript(spec: CronLeaseSpec): string {
  const s = checkSpec(spec);
  const c = parseCron(s.schedule);
  const e = cronLeaseEnv;
  const job = s.command.map(shellQuote).join(" ");
  const cleanup = s.cleanup.length > 0 ? `\n    ${s.cleanup.map(shellQuote).join(" ")} </dev/null >/dev/null 2>&1` : "";
  return `#!/bin/bash
# Generated by ha-topology: the single-flight lease of cron job ${s.job} (${JSON.stringify(s.schedule)}, UTC).
# Every node runs this at each tick; one claims the tick in the database and runs the job.
# The database connection is libpq's environment (PGPASSFILE holds the password): no secret
# is ever on a command line or printed.
set -u
export TZ=UTC LC_ALL=C

if [ "\${1:-}" = --run-job ]; then
  # Inside the psql session that holds the lock: the job, under timeout, with retries.
  # The job gets its own bindings only: not the lease's database connection.
  for v in $(compgen -e); do case "$v" in PG*) unset "$v" ;; esac; done
  deadline=$(( SECONDS + ${s.timeoutSeconds} ))
  attempt=0
  status=1
  while :; do
    left=$(( deadline - SECONDS ))
    if [ "$left" -le 0 ]; then status=124; break; fi
    timeout --kill-after=${s.killAfterSeconds} "$left" ${job} </dev/null
    status=$?${cleanup}
    attempt=$(( attempt + 1 ))
    { [ "$status" -eq 0 ] || [ "$status" -eq 124 ] || [ "$status" -eq 137 ] || [ "$attempt" -gt ${s.retries} ]; } && break
    echo "ha-topology cron ${s.job}: attempt $attempt failed (exit code $status), retrying" >&2
  done
  printf '%d\\n' "$status" > "$HA_TOPOLOGY_CRON_STATUS"
  exit 0
fi

job=${shellQuote(s.job)}
minutes=${shellQuote(bashSet(c.minute, 60))}
hours=${shellQuote(bashSet(c.hour, 24))}
days=${shellQuote(bashSet(c.dayOfMonth, 31))}
months=${shellQuote(bashSet(c.month, 12))}
weekdays=${shellQuote(bashSet(c.dayOfWeek, 7))}
in_set() { [ -z "$1" ] || [[ "$1" == *" $2 "* ]]; }

# The tick: the latest scheduled minute at or before now, at most ${s.graceMinutes} minutes back.
now=\${${e.now}:-$(date -u +%s)}
case "$now" in ''|*[!0-9]*) echo "ha-topology cron $job: ${e.now} must be epoch seconds" >&2; exit 2 ;; esac
tick=
if [ "\${${e.manual}:-}" = 1 ]; then
  # By hand: this minute is the tick (one run per minute at most, and never beside a running one).
  tick=$(printf '%(%Y-%m-%dT%H:%M:00Z)T' "$now")
fi
for (( back = 0; back <= ${s.graceMinutes}; back++ )); do
  [ -n "$tick" ] && break
  t=$(( now / 60 * 60 - back * 60 ))
  printf -v fields '%(%M %H %d %m %w)T' "$t"
  read -r M H D MO W <<<"$fields"
  if in_set "$minutes" $((10#$M)) && in_set "$hours" $((10#$H)) && in_set "$days" $((10#$D)) \\
    && in_set "$months" $((10#$MO)) && in_set "$weekdays" $((10#$W)); then
    tick=$(printf '%(%Y-%m-%dT%H:%M:00Z)T' "$t")
    break
  fi
done
if [ -z "$tick" ]; then
  echo "ha-topology cron $job: no scheduled tick in the last ${s.graceMinutes} minutes: nothing to run"
  exit 0
fi
node=\${${e.node}:-\${HOSTNAME:-$(cat /proc/sys/kernel/hostname)}}

state=$(mktemp -d) || exit 1
trap 'rm -rf "$state"' EXIT
export HA_TOPOLOGY_CRON_SELF="$(readlink -f "$0")" HA_TOPOLOGY_CRON_STATUS="$state/status" ${e.tick}="$tick"
unset PGPASSWORD
export PGCONNECT_TIMEOUT="\${PGCONNECT_TIMEOUT:-10}"
${s.psql} -X -q -A -t -v job="$job" -v tick="$tick" -v node="$node" <<'SQL'
${sessionSql(s)}SQL
psql_status=$?
if [ "$psql_status" -ne 0 ]; then
  echo "ha-topology cron $job: tick $tick: the lease session failed (psql exit code $psql_status)" >&2
  exit 1
fi
if [ -s "$state/status" ]; then exit "$(cat "$state/status")"; fi
exit 0
`;
}

/**
 * The systemd service that runs the lease script: started by the timer, or with
 * `manual`, by hand (`systemctl start ha-topology-cron-<job>-now`): a run now, for the
 * current minute, under the same lease and lock.
 */
export function renderCronLeaseService(spec: CronLeaseSpec, manual = false): string {
  const s = checkSpec(spec);
  const p = cronLeasePaths;
  // A stopped unit (a node shutting down mid-run) also runs the cleanup: what the run
  // started outside the unit's cgroup (a container) must not outlive the lease.
  if (s.cleanup.some((w) => !/^[A-Za-z0-9._\/=:@+-]+$/.test(w))) throw new CronExpressionError(`cron job ${JSON.stringify(s.job)}: cleanup words must be plain (letters, digits, . _ / = : @ + -) to sit on a unit line`);
  const stopPost = s.cleanup.length > 0 ? `ExecStopPost=-${s.cleanup.join(" ")}\n` : "";
  return `# Generated by ha-topology: ${manual ? "a run by hand, now," : "one tick"} of cron job ${s.job}, single-flight across the stack's nodes.
[Unit]
Description=ha-topology cron job ${s.job}${manual ? ", run now by hand" : ""} (lease in the database)
After=network-online.target docker.service
Wants=network-online.target

[Service]
Type=oneshot
# libpq's environment (PGHOST... and PGPASSFILE): root-only, never on a command line.
EnvironmentFile=${p.dbEnvFile}
${manual ? `Environment=${cronLeaseEnv.manual}=1\n` : ""}ExecStart=${p.script(s.job)}
# The job is killed at ${s.timeoutSeconds}s by the script; this is the backstop.
TimeoutStartSec=${s.timeoutSeconds + s.killAfterSeconds + 120}
KillMode=control-group
${stopPost}`;
}

/** The systemd timer: the job's schedule in UTC, on every node. */
export function renderCronLeaseTimer(spec: CronLeaseSpec): string {
  const s = checkSpec(spec);
  return `# Generated by ha-topology: cron ${JSON.stringify(s.schedule)} (UTC) of job ${s.job}.
[Unit]
Description=ha-topology cron job ${s.job} schedule

[Timer]
OnCalendar=${cronToOnCalendar(s.schedule)}
AccuracySec=1s
RandomizedDelaySec=0
Persistent=false
Unit=${cronLeasePaths.unitName(s.job)}.service

[Install]
WantedBy=timers.target
`;
}

/** Where the lease connects: the topology's PostgreSQL, as the job's own database user. */
export interface CronLeaseConnection {
  /** The server's host name. */
  host: string;
  /** Its port. */
  port: number;
  /** The database the lease keeps its tables in. */
  database: string;
  /** The user. */
  user: string;
  /** The password: only ever in the root-only PGPASSFILE. */
  password: string;
  /** libpq's sslmode (DigitalOcean's managed clusters take TLS only: `require`). */
  sslMode: "require" | "verify-full" | "disable";
}

/** Host, database and user names libpq's environment can carry unquoted (systemd's EnvironmentFile reads quotes and backslashes). */
const plainConnectionWord = /^[A-Za-z0-9._-]{1,253}$/;

function checkConnection(c: CronLeaseConnection): void {
  const problems: string[] = [];
  for (const key of ["host", "database", "user"] as const) if (!plainConnectionWord.test(c[key])) problems.push(`${key}: letters, digits, . _ - only`);
  if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535) problems.push(`port ${c.port}: an integer from 1 to 65535`);
  // The value is never shown: it is the database password.
  if (c.password === "" || !isNodeText(c.password)) problems.push("password: not empty, no control characters");
  if (problems.length > 0) throw new CronExpressionError(`cron lease connection:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

/** The root-only EnvironmentFile of the lease's units: libpq's environment, with PGPASSFILE for the password. */
export function renderCronLeaseDbEnv(c: CronLeaseConnection): string {
  checkConnection(c);
  return [
    `PGHOST=${c.host}`,
    `PGPORT=${c.port}`,
    `PGDATABASE=${c.database}`,
    `PGUSER=${c.user}`,
    `PGSSLMODE=${c.sslMode}`,
    `PGPASSFILE=${cronLeasePaths.pgpassFile}`,
    "",
  ].join("\n");
}

/** The root-only password file (libpq's `host:port:database:user:password`, `\` and `:` escaped). */
export function renderCronLeasePgpass(c: CronLeaseConnection): string {
  checkConnection(c);
  const escape = (v: string) => v.replace(/[\\:]/g, (ch) => `\\${ch}`);
  return `${[c.host, String(c.port), c.database, c.user, c.password].map(escape).join(":")}\n`;
}
